/**
 * Supervisors scoped to queues and teams: one pure filter that says what of
 * the floor a scoped supervisor (or a scoped wallboard) may receive. The live
 * hub's snapshots and deltas, the REST routes and the reports all ask the same
 * {@link ScopeFilter}, so the boundary is drawn in one place, like the agent's.
 *
 * The definitions (README, "Supervisors scoped to queues and teams"):
 *
 * - A scope is `{ queues?, teams? }`; a list left out (or empty) limits
 *   nothing, so `{}` is the whole floor. Admins are never scoped.
 * - **Their queues**: `queues` when given; with only `teams`, the queues at
 *   least one of their agents is signed in to right now; else every queue.
 * - **Their agents**: the agents whose team is in `teams` when given; with only
 *   `queues`, the agents signed in to at least one of their queues; else all.
 * - **Their calls**: a call in one of their queues; a call with no queue (a
 *   direct call) when it rings or is connected to one of their agents.
 * - An **alert**: theirs when every subject it names is theirs (its agent, if
 *   it names one, and its queue, if it names one); one naming neither is the
 *   unscoped supervisors'. A **voicemail**: its queue's; one left for an agent
 *   with no queue, that agent's. A **callback**: its agent's. A **worklist
 *   item**: its queue's.
 * - Inside something of theirs, a reference to something that is not is
 *   blanked: another team's agent on their call (or returning their queue's
 *   voicemail, or holding their queue's callback) reads as none, their
 *   agent's call in another queue reads `callId: null`, an agent's other
 *   queues are left out of its `queues`.
 *
 * Pure: no I/O, no clock; a filter reads the floor state it was made from.
 */
import type { FloorConfig, RuleId } from './config.ts';
import type { FloorEvent } from './events.ts';
import { alertDay } from './engine/alerts.ts';
import type { AlertCount } from './report/types.ts';
import type { AlertLevel, CallState, Callback, FloorState, RuleCounts } from './state.ts';
import type { AgentView, CallDetail, CallView, VoicemailView, WorklistItemView } from './wire.ts';

/** The queues and teams a supervisor or wallboard is limited to; a list left out limits nothing. */
export interface SupervisorScope {
  queues?: string[];
  teams?: string[];
}

/** Most queues or teams one scope lists. */
export const SCOPE_MAX_ITEMS = 200;
/** Longest queue or team id in a scope: the feed's own id limit. */
export const SCOPE_ID_MAX = 128;

// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

function readList(v: unknown, name: string): string[] | string {
  const raw = typeof v === 'string' ? v.split(',') : Array.isArray(v) ? v : undefined;
  if (raw === undefined) return `${name}: a list of ids, or one comma-separated text`;
  const out = new Set<string>();
  for (const item of raw) {
    if (typeof item !== 'string') return `${name}: a list of ids, or one comma-separated text`;
    const id = item.trim();
    if (!id) continue;
    if (id.length > SCOPE_ID_MAX || CONTROL_CHARS.test(id)) return `${name}: "${id.slice(0, 40)}" is not an id (at most ${SCOPE_ID_MAX} printable characters)`;
    out.add(id);
  }
  if (out.size > SCOPE_MAX_ITEMS) return `${name}: at most ${SCOPE_MAX_ITEMS}`;
  return [...out].sort();
}

/**
 * Reads a scope from a request or the store: `null`/absent, `{}` or empty lists give `null`
 * (the whole floor); lists are arrays of ids or one comma-separated text, trimmed, without
 * duplicates, sorted. Returns the error text for anything else (unknown keys included).
 */
export function parseScope(input: unknown): { ok: true; scope: SupervisorScope | null } | { ok: false; error: string } {
  if (input === undefined || input === null) return { ok: true, scope: null };
  if (typeof input !== 'object' || Array.isArray(input)) return { ok: false, error: 'scope: expected { queues?, teams? } or null' };
  const o = input as Record<string, unknown>;
  const unknown = Object.keys(o).filter((k) => k !== 'queues' && k !== 'teams');
  if (unknown.length) return { ok: false, error: `scope: unknown field ${unknown[0].slice(0, 40)} (expected queues, teams)` };
  const scope: SupervisorScope = {};
  for (const k of ['queues', 'teams'] as const) {
    if (o[k] === undefined || o[k] === null) continue;
    const list = readList(o[k], `scope.${k}`);
    if (typeof list === 'string') return { ok: false, error: list };
    if (list.length) scope[k] = list;
  }
  return { ok: true, scope: scope.queues || scope.teams ? scope : null };
}

/** Whether a scope limits anything (a `null`, `{}` or empty-listed one is the whole floor). */
export function isRestricted(scope: SupervisorScope | null | undefined): scope is SupervisorScope {
  return !!scope && ((scope.queues?.length ?? 0) > 0 || (scope.teams?.length ?? 0) > 0);
}

/**
 * A canonical text of a scope: `''` for the whole floor, else the sorted lists as JSON. Two
 * supervisors with equal keys share one live room and one payload computation.
 */
export function scopeKey(scope: SupervisorScope | null | undefined): string {
  if (!isRestricted(scope)) return '';
  const sorted = (l?: string[]) => (l && l.length ? [...new Set(l)].sort() : null);
  return JSON.stringify([sorted(scope.queues), sorted(scope.teams)]);
}

/** A scope as stored and sent: sorted lists, empty ones left out; `null` for the whole floor. */
export function normalScope(scope: SupervisorScope | null | undefined): SupervisorScope | null {
  if (!isRestricted(scope)) return null;
  const out: SupervisorScope = {};
  if (scope.queues?.length) out.queues = [...new Set(scope.queues)].sort();
  if (scope.teams?.length) out.teams = [...new Set(scope.teams)].sort();
  return out;
}

/** What a report must be limited to besides its own filters: each list given restricts (an empty one to nothing). */
export interface ScopeLimit {
  queues?: string[];
  teams?: string[];
  agents?: string[];
}

/** The subjects an alert or a voicemail names (a state object or its view). */
export interface Subjects {
  agentId?: string | null;
  queueId?: string | null;
}

/** What a scoped supervisor may receive of floor `s`, object by object (see the module comment). */
export interface ScopeFilter {
  /** The scope it applies, normalised; null for the whole floor. */
  readonly scope: SupervisorScope | null;
  /** False for the whole floor: every predicate is true and every view is passed as it is. */
  readonly restricted: boolean;
  /** Their queues, or null for every queue. */
  queueIds(): ReadonlySet<string> | null;
  /** Whether a queue is theirs (an absent queue is not, when restricted). */
  queue(queueId: string | null | undefined): boolean;
  /** Whether an agent with this team and these queues is theirs. */
  agentOf(team: string | null | undefined, queues: readonly string[]): boolean;
  /** Whether the agent with this id is theirs, by the floor's current team and queues of it (an unknown agent is not, when restricted). */
  agent(agentId: string | null | undefined): boolean;
  /** Whether a team is theirs: one of `teams`; with only `queues`, the team of one of their agents. */
  team(team: string | null | undefined): boolean;
  call(c: CallState): boolean;
  /** An alert (or its record): theirs when its agent, if named, and its queue, if named, are. */
  alert(a: Subjects): boolean;
  /** A voicemail (or its view): its queue's; with no queue, its agent's. */
  voicemail(v: Subjects): boolean;
  callback(cb: Pick<Callback, 'agentId'>): boolean;
  worklistItem(item: { queueId: string }): boolean;
  /** The limits a range report, export, scorecard or what-if of this supervisor is built with; undefined for the whole floor. */
  limit(): ScopeLimit | undefined;
}

const yes = () => true;

/** The filter of the whole floor: everything passes. */
export const WHOLE_FLOOR: ScopeFilter = {
  scope: null,
  restricted: false,
  queueIds: () => null,
  queue: yes,
  agentOf: yes,
  agent: yes,
  team: yes,
  call: yes,
  alert: yes,
  voicemail: yes,
  callback: yes,
  worklistItem: yes,
  limit: () => undefined,
};

/**
 * The filter of `scope` on floor `s` as it stands now: made per snapshot, delta or request
 * (derived sets are computed at most once, on first use). {@link WHOLE_FLOOR} when the scope
 * limits nothing.
 */
export function scopeFilter(s: FloorState, scope: SupervisorScope | null | undefined): ScopeFilter {
  const norm = normalScope(scope);
  if (!norm) return WHOLE_FLOOR;
  const Q = norm.queues ? new Set(norm.queues) : undefined;
  const T = norm.teams ? new Set(norm.teams) : undefined;
  const agentOf = (team: string | null | undefined, queues: readonly string[]): boolean => {
    if (T) return team !== null && team !== undefined && T.has(team);
    return queues.some((q) => (Q as Set<string>).has(q));
  };
  const agent = (id: string | null | undefined): boolean => {
    if (id === null || id === undefined) return false;
    const a = s.agents.get(id);
    return a !== undefined && agentOf(a.team, a.queues);
  };
  let derivedQueues: Set<string> | undefined;
  const queueSet = (): Set<string> => {
    if (Q) return Q;
    if (!derivedQueues) {
      derivedQueues = new Set();
      for (const a of s.agents.values()) if (agentOf(a.team, a.queues)) for (const q of a.queues) derivedQueues.add(q);
    }
    return derivedQueues;
  };
  let derivedTeams: Set<string> | undefined;
  const teamSet = (): Set<string> => {
    if (T) return T;
    if (!derivedTeams) {
      derivedTeams = new Set();
      for (const a of s.agents.values()) if (a.team !== undefined && agentOf(a.team, a.queues)) derivedTeams.add(a.team);
    }
    return derivedTeams;
  };
  const queue = (id: string | null | undefined): boolean => id !== null && id !== undefined && queueSet().has(id);
  const namedOk = (x: Subjects): boolean => {
    const hasAgent = x.agentId !== undefined && x.agentId !== null;
    const hasQueue = x.queueId !== undefined && x.queueId !== null;
    return (hasAgent || hasQueue) && (!hasAgent || agent(x.agentId)) && (!hasQueue || queue(x.queueId));
  };
  return {
    scope: norm,
    restricted: true,
    queueIds: queueSet,
    queue,
    agentOf,
    agent,
    team: (team) => team !== null && team !== undefined && teamSet().has(team),
    call: (c) => (c.queueId !== undefined ? queue(c.queueId) : agent(c.agentId) || c.rings.some((r) => agent(r.agentId))),
    alert: namedOk,
    voicemail: (v) => (v.queueId !== undefined && v.queueId !== null ? queue(v.queueId) : agent(v.agentId)),
    callback: (cb) => agent(cb.agentId),
    worklistItem: (item) => queue(item.queueId),
    limit: () => {
      const out: ScopeLimit = { queues: [...queueSet()].sort() };
      if (T) out.teams = [...T].sort();
      // Only queues: their agents are those signed in to their queues now (a day aggregate keeps no agent's queues).
      else out.agents = [...s.agents.values()].filter((a) => agentOf(a.team, a.queues)).map((a) => a.agentId).sort();
      return out;
    },
  };
}

/**
 * An agent's view as a scoped room receives it: only their queues in `queues`, `callId` blanked
 * when the call is not theirs, and — for a view of the live day (`liveDay`, the default) — its
 * alert figures (`alertsByRule`, `openAlerts`, `worstOpenLevel`) counting only the alerts that are
 * theirs ({@link scopeAgentAlerts}). A past day's view keeps its figures: the caller recounts them
 * from that day's alert counts ({@link scopeAgentDayAlerts}). The view itself when the filter limits nothing.
 */
export function scopeAgentView(v: AgentView, f: ScopeFilter, s: FloorState, liveDay = true): AgentView {
  if (!f.restricted) return v;
  const c = v.callId !== null ? s.calls.get(v.callId) : undefined;
  const out = { ...v, queues: v.queues.filter((q) => f.queue(q)), callId: c && f.call(c) ? v.callId : null };
  return liveDay ? scopeAgentAlerts(out, f, s) : out;
}

const LEVEL_ORDER: Record<AlertLevel, number> = { info: 0, warn: 1, breach: 2 };

/** Rule counts without the rules left at zero (a rule none of whose alerts count is left out, as the engine's view does). */
function withoutEmptyRules(c: AgentView['alertsByRule']): AgentView['alertsByRule'] {
  const out: AgentView['alertsByRule'] = {};
  for (const [k, v] of Object.entries(c) as [RuleId, RuleCounts][]) if (v.info || v.warn || v.breach) out[k] = v;
  return out;
}

/**
 * The live-day alert figures of agent view `v` as filter `f` sees them: the engine's counts of the
 * day by rule less the agent's alerts of the day (`s.agentAlerts`, not retracted, counting on the
 * live day) that are not theirs — the feed's own {@link ScopeFilter.alert}, so a breach of their
 * agent on another queue's call counts nowhere they cannot open it — and the open alerts among
 * theirs only. Costs nothing for an agent without alerts; the view itself when nothing changes.
 */
export function scopeAgentAlerts(v: AgentView, f: ScopeFilter, s: FloorState): AgentView {
  if (!f.restricted) return v;
  let byRule = v.alertsByRule;
  if (Object.keys(byRule).length > 0) {
    let copy: AgentView['alertsByRule'] | undefined;
    for (const a of s.agentAlerts.get(v.agentId) ?? []) {
      if (a.agentId !== v.agentId || a.status === 'retracted' || f.alert(a) || alertDay(s, a) !== s.dayStartMs) continue;
      copy ??= Object.fromEntries(Object.entries(byRule).map(([k, c]) => [k, { ...c }]));
      const c = copy[a.ruleId];
      if (c) c[a.level] = Math.max(0, c[a.level] - 1);
    }
    if (copy) byRule = withoutEmptyRules(copy);
  }
  let openAlerts = v.openAlerts;
  let worst = v.worstOpenLevel;
  if (openAlerts > 0) {
    openAlerts = 0;
    worst = null;
    for (const a of s.alerts.values()) {
      if (a.agentId !== v.agentId || !f.alert(a)) continue;
      openAlerts++;
      if (worst === null || LEVEL_ORDER[a.level] > LEVEL_ORDER[worst]) worst = a.level;
    }
  }
  if (byRule === v.alertsByRule && openAlerts === v.openAlerts && worst === v.worstOpenLevel) return v;
  return { ...v, alertsByRule: byRule, openAlerts, worstOpenLevel: worst };
}

/**
 * A past day's agent view with its alerts by rule counting only those of the day that are theirs:
 * the view's counts less `outside`, the day's alert counts (shared/report/types.ts `AlertCount`, by
 * rule × queue × agent) of this agent that `f` does not let them see ({@link outsideAlertCounts}).
 * Info notices are not in the day's counts: an info notice of another queue's call stays counted.
 */
export function scopeAgentDayAlerts(v: AgentView, outside: readonly AlertCount[] | undefined): AgentView {
  if (!outside || outside.length === 0 || Object.keys(v.alertsByRule).length === 0) return v;
  const copy: AgentView['alertsByRule'] = Object.fromEntries(Object.entries(v.alertsByRule).map(([k, c]) => [k, { ...c }]));
  for (const o of outside) {
    const c = copy[o.rule];
    if (!c) continue;
    c.warn = Math.max(0, c.warn - o.warn);
    c.breach = Math.max(0, c.breach - o.breach);
  }
  return { ...v, alertsByRule: withoutEmptyRules(copy) };
}

/**
 * A day's alert counts (`AlertCount` rows) that name an agent and are not within `alertOk`, grouped
 * by agent id: what a limited report takes off an agent's row so that it counts only the alerts its
 * rules and breach totals count. Empty when nothing is left out.
 */
export function outsideAlertCounts<C extends AlertCount>(rows: readonly C[], alertOk: (c: C) => boolean): Map<string, C[]> {
  const out = new Map<string, C[]>();
  for (const c of rows) {
    if (c.agentId === null || alertOk(c)) continue;
    let list = out.get(c.agentId);
    if (!list) out.set(c.agentId, (list = []));
    list.push(c);
  }
  return out;
}

/** A call's view as a scoped room receives it: an agent who is not theirs reads `agentId: null`. */
export function scopeCallView<V extends CallView>(v: V, f: ScopeFilter): V {
  if (!f.restricted || v.agentId === null || f.agent(v.agentId)) return v;
  return { ...v, agentId: null };
}

/** A voicemail's view as a scoped room receives it: returned by (or left for) an agent who is not theirs reads `agentId: null`. */
export function scopeVoicemailView(v: VoicemailView, f: ScopeFilter): VoicemailView {
  if (!f.restricted || v.agentId === null || f.agent(v.agentId)) return v;
  return { ...v, agentId: null };
}

/** A worklist item as a scoped room receives it: assigned to an agent who is not theirs reads `assignedTo: null`. */
export function scopeWorklistItem(v: WorklistItemView, f: ScopeFilter): WorklistItemView {
  if (!f.restricted || v.assignedTo === null || f.agent(v.assignedTo)) return v;
  return { ...v, assignedTo: null };
}

/**
 * A call's drill-down for a scoped supervisor (the call must be theirs: the caller checks): no
 * agent who is not theirs by id (the call's agent, a timeline entry's agent, a transfer's target),
 * and only the alerts that are theirs.
 */
export function scopeCallDetail(d: CallDetail, f: ScopeFilter): CallDetail {
  if (!f.restricted) return d;
  const timeline = d.timeline.map((t) => {
    const foreign = t.agentId !== undefined && !f.agent(t.agentId);
    const foreignTarget = typeof t.detail?.toAgentId === 'string' && !f.agent(t.detail.toAgentId);
    if (!foreign && !foreignTarget) return t;
    const entry = { ...t };
    if (foreign) delete entry.agentId;
    if (foreignTarget && t.detail) {
      const detail = { ...t.detail };
      delete detail.toAgentId;
      entry.detail = detail;
    }
    return entry;
  });
  return { ...scopeCallView(d, f), timeline, alerts: d.alerts.filter((a) => f.alert(a)) };
}

/**
 * Whether a past call, by its logged events, is theirs: one of the queues it was queued or
 * transferred to is theirs; a call never queued, when an agent of theirs rang or answered it.
 */
export function eventsInScope(events: readonly FloorEvent[], f: ScopeFilter): boolean {
  if (!f.restricted) return true;
  let queued = false;
  for (const e of events) {
    const q = e.type === 'call.queued' ? e.queueId : e.type === 'call.transferred' ? e.toQueueId : undefined;
    if (q === undefined) continue;
    queued = true;
    if (f.queue(q)) return true;
  }
  if (queued) return false;
  return events.some((e) => 'agentId' in e && typeof e.agentId === 'string' && f.agent(e.agentId));
}

/**
 * A past call's logged events for a scoped supervisor: every agent who is not theirs renamed
 * `other-1`, `other-2`… (by first appearance), so the call folds the same without naming them.
 */
export function scopeCallEvents(events: readonly FloorEvent[], f: ScopeFilter): FloorEvent[] {
  if (!f.restricted) return [...events];
  const names = new Map<string, string>();
  const rename = (id: string) => {
    if (f.agent(id)) return id;
    let n = names.get(id);
    if (!n) names.set(id, (n = `other-${names.size + 1}`));
    return n;
  };
  return events.map((e) => {
    const r = e as FloorEvent & { agentId?: unknown; toAgentId?: unknown };
    if (typeof r.agentId !== 'string' && typeof r.toAgentId !== 'string') return e;
    const copy = { ...r };
    if (typeof r.agentId === 'string') copy.agentId = rename(r.agentId);
    if (typeof r.toAgentId === 'string') copy.toAgentId = rename(r.toAgentId);
    return copy as FloorEvent;
  });
}

/** The settings as a scoped supervisor receives them: the overrides of their queues and teams only. */
export function scopeConfig(config: FloorConfig, f: ScopeFilter): FloorConfig {
  if (!f.restricted) return config;
  const pick = <V>(m: Record<string, V>, ok: (k: string) => boolean) => Object.fromEntries(Object.entries(m).filter(([k]) => ok(k)));
  return { ...config, queues: pick(config.queues, (q) => f.queue(q)), teams: pick(config.teams, (t) => f.team(t)) };
}
