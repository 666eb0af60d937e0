/**
 * The engine: folds the call feed into live floor state and checks every call
 * against the etiquette rules.
 *
 * Pure and clock-injected: no I/O and no `Date.now()`. `applyEvent` costs O(1)
 * per event (it mutates the state in place); `tick` costs O(live calls +
 * agents + open voicemails and callbacks) and is called at about 1 Hz.
 *
 * Determinism: replaying the same log gives the same state. Live rules are
 * evaluated by `tick`, but an alert's `raisedAtMs` is the exact moment its
 * threshold was crossed, and when the condition ends (unhold, answer, end…)
 * the final value and level are computed from the event times alone. So a
 * replay with no ticks between events ends in the same alerts as a live run.
 */
import type { EventOf, FloorEvent } from './events.ts';
import { effectiveConfig, type EffectiveConfig, type FloorConfig, type RuleId } from './config.ts';
import type {
  AgentDay,
  AgentState,
  Alert,
  AlertLevel,
  AlertUnit,
  Callback,
  CallState,
  ChangeSet,
  FloorState,
  IntervalBucket,
  QueueDay,
  QueueState,
  Voicemail,
} from './state.ts';
import { HOLD_HIST_EDGES_SEC } from './state.ts';
import { businessDayCloseAfter, intervalStart, localDay } from './time.ts';
import { paceExpectedAt, ringsAfter } from './measure.ts';

/** Ended calls kept in memory for drill-down; older ones are read back from the log. */
export const ENDED_CALLS_CAP = 2_000;
/** Resolved alerts kept in memory for the feed; all of them are in the log. */
export const RECENT_ALERTS_CAP = 500;
/** Alerts of one agent kept for their view of today: far more than a bad day brings, bounded against a runaway source. */
export const AGENT_ALERTS_CAP = 1_000;
/** Timeline entries per call: enough for a long, messy call, bounded against a runaway source. */
export const TIMELINE_CAP = 80;

const LEVEL_RANK: Record<AlertLevel, number> = { info: 0, warn: 1, breach: 2 };

// ---------------------------------------------------------------- creation

function emptyChanges(): ChangeSet {
  return {
    agents: new Set(),
    queues: new Set(),
    calls: new Set(),
    alerts: new Set(),
    voicemails: new Set(),
    callbacks: new Set(),
    kpis: false,
    resync: false,
    ticker: false,
    notes: new Set(),
  };
}

function emptyQueueDay(): QueueDay {
  return {
    offered: 0,
    answered: 0,
    abandoned: 0,
    shortAbandoned: 0,
    answeredWithinT: 0,
    abandonedAfterT: 0,
    answeredWaitMs: 0,
    maxWaitMs: 0,
    transferredOut: 0,
    handled: 0,
    handleMs: 0,
  };
}

function emptyAgentDay(): AgentDay {
  return {
    handled: 0,
    talkMs: 0,
    holdMs: 0,
    wrapMs: 0,
    holds: 0,
    ringNoAnswer: 0,
    ringsHist: [0, 0, 0, 0, 0, 0, 0],
    holdHist: [0, 0, 0, 0, 0],
    alerts: {},
  };
}

/** A fresh floor, with "today" being the local day containing `nowMs`. */
export function createFloorState(config: FloorConfig, nowMs: number): FloorState {
  const day = localDay(nowMs, config.timeZone);
  return {
    config,
    version: 0,
    nowMs,
    dayStartMs: day.startMs,
    dayEndMs: day.endMs,
    queues: new Map(),
    agents: new Map(),
    calls: new Map(),
    alerts: new Map(),
    recentAlerts: [],
    agentAlerts: new Map(),
    voicemails: new Map(),
    callbacks: new Map(),
    liveCalls: new Set(),
    endedCalls: new Set(),
    diagnostics: { applied: 0, orphan: 0, outOfOrder: 0, ignored: 0, byReason: {} },
    changes: emptyChanges(),
    alertLog: [],
    ticker: [],
    agentNotes: new Map(),
  };
}

/** Returns what changed since the last drain and starts a new change set. */
export function drainChanges(s: FloorState): { changes: ChangeSet; alerts: Alert[] } {
  const changes = s.changes;
  const alerts = s.alertLog;
  s.changes = emptyChanges();
  s.alertLog = [];
  return { changes, alerts };
}

// ---------------------------------------------------------------- config

/**
 * Effective thresholds per config object, then per queue, then per team. Two
 * levels of Map rather than one string key: the tick looks this up for every
 * live call and agent each second, and a key built per lookup was a string
 * allocation each time (profile of a 10,000-agent floor).
 */
const configCache = new WeakMap<FloorConfig, Map<string | undefined, Map<string | undefined, EffectiveConfig>>>();

/** Thresholds for a call in `queueId` handled by an agent of `team` (cached per config object). */
export function configFor(s: FloorState, queueId: string | undefined, team: string | undefined): EffectiveConfig {
  let byQueue = configCache.get(s.config);
  if (!byQueue) {
    byQueue = new Map();
    configCache.set(s.config, byQueue);
  }
  let byTeam = byQueue.get(queueId);
  if (!byTeam) {
    byTeam = new Map();
    byQueue.set(queueId, byTeam);
  }
  let eff = byTeam.get(team);
  if (!eff) {
    eff = effectiveConfig(s.config, queueId, team);
    byTeam.set(team, eff);
  }
  return eff;
}

function callConfig(s: FloorState, c: CallState): EffectiveConfig {
  const team = c.agentId !== undefined ? s.agents.get(c.agentId)?.team : undefined;
  return configFor(s, c.queueId, team);
}

function agentConfig(s: FloorState, a: AgentState): EffectiveConfig {
  return configFor(s, undefined, a.team);
}

/**
 * Replaces the configuration and re-evaluates everything live at once, so a
 * changed threshold shows on the floor without waiting for the next event.
 */
export function setConfig(s: FloorState, config: FloorConfig, nowMs: number): void {
  s.config = config;
  s.changes.kpis = true;
  s.changes.resync = true; // every view takes the new thresholds with a fresh snapshot
  for (const q of s.queues.keys()) s.changes.queues.add(q);
  tick(s, nowMs);
}

// ---------------------------------------------------------------- helpers

function note(s: FloorState, kind: 'orphan' | 'outOfOrder' | 'ignored', reason: string): void {
  s.diagnostics[kind]++;
  s.diagnostics.byReason[reason] = (s.diagnostics.byReason[reason] ?? 0) + 1;
}

function ensureQueue(s: FloorState, queueId: string): QueueState {
  let q = s.queues.get(queueId);
  if (!q) {
    q = { queueId, waiting: new Map(), today: emptyQueueDay(), intervals: new Map(), waitEpisodes: 0 };
    s.queues.set(queueId, q);
    s.changes.queues.add(queueId);
  }
  return q;
}

function ensureAgent(s: FloorState, agentId: string, atMs: number): AgentState {
  let a = s.agents.get(agentId);
  if (!a) {
    a = {
      agentId,
      queues: [],
      presence: 'offline',
      presenceSinceMs: atMs,
      today: emptyAgentDay(),
      paceEpisodes: 0,
    };
    s.agents.set(agentId, a);
    s.changes.agents.add(agentId);
  }
  return a;
}

function bucket(s: FloorState, q: QueueState, atMs: number): IntervalBucket {
  const start = intervalStart(atMs, s.dayStartMs);
  let b = q.intervals.get(start);
  if (!b) {
    b = { startMs: start, offered: 0, answered: 0, abandoned: 0, shortAbandoned: 0, answeredWithinT: 0, abandonedAfterT: 0 };
    q.intervals.set(start, b);
  }
  return b;
}

function newCall(s: FloorState, callId: string, atMs: number): CallState {
  const c: CallState = {
    callId,
    status: 'queued',
    firstSeenMs: atMs,
    ringAttempts: 0,
    segments: 0,
    holdCount: 0,
    holdMs: 0,
    segmentHoldMs: 0,
    escalations: 0,
    transfers: 0,
    volumeEpisodes: 0,
    timeline: [],
    openAlerts: {},
    alertIds: [],
  };
  s.calls.set(callId, c);
  s.liveCalls.add(callId);
  return c;
}

function timeline(c: CallState, e: FloorEvent, detail?: Record<string, string | number | boolean>): void {
  if (c.timeline.length >= TIMELINE_CAP) return;
  const entry: CallState['timeline'][number] = { atMs: e.at, type: e.type };
  if ('agentId' in e && e.agentId !== undefined) entry.agentId = e.agentId;
  if ('queueId' in e && e.queueId !== undefined) entry.queueId = e.queueId;
  if (detail) entry.detail = detail;
  c.timeline.push(entry);
}

function touchCall(s: FloorState, c: CallState): void {
  s.changes.calls.add(c.callId);
  if (c.agentId !== undefined) s.changes.agents.add(c.agentId);
}

function isConnected(c: CallState): boolean {
  return c.status === 'talking' || c.status === 'hold';
}

function isOver(c: CallState): boolean {
  return c.status === 'ended' || c.status === 'abandoned';
}

function retireCall(s: FloorState, c: CallState, atMs: number, reason: string): void {
  c.endedAtMs = atMs;
  c.endReason = reason;
  s.liveCalls.delete(c.callId);
  s.endedCalls.add(c.callId);
  if (s.endedCalls.size > ENDED_CALLS_CAP) {
    const oldest = s.endedCalls.values().next().value as string;
    s.endedCalls.delete(oldest);
    s.calls.delete(oldest);
  }
  touchCall(s, c);
}

// ---------------------------------------------------------------- alerts

interface RaiseSpec {
  id: string;
  ruleId: RuleId;
  level: AlertLevel;
  value: number;
  threshold: number;
  unit: AlertUnit;
  raisedAtMs: number;
  atMs: number;
  callId?: string;
  agentId?: string;
  queueId?: string;
  voicemailId?: string;
  callbackId?: string;
}

function countAlert(s: FloorState, a: Alert, delta: 1 | -1): void {
  if (a.agentId === undefined) return;
  const agent = s.agents.get(a.agentId);
  if (!agent) return;
  const counts = (agent.today.alerts[a.ruleId] ??= { info: 0, warn: 0, breach: 0 });
  counts[a.level] += delta;
  s.changes.agents.add(a.agentId);
}

function logAlert(s: FloorState, a: Alert): void {
  s.changes.alerts.add(a.id);
  s.alertLog.push(a);
  if (a.queueId !== undefined) s.changes.queues.add(a.queueId);
  s.changes.kpis = true;
}

/**
 * Raises an alert, or updates the open one with the same id: the value moves,
 * the level only ever rises while it is open.
 */
function raiseOrUpdate(s: FloorState, spec: RaiseSpec): Alert {
  const existing = s.alerts.get(spec.id);
  if (existing) {
    if (LEVEL_RANK[spec.level] > LEVEL_RANK[existing.level]) {
      countAlert(s, existing, -1);
      existing.level = spec.level;
      existing.threshold = spec.threshold;
      countAlert(s, existing, 1);
    }
    existing.value = spec.value;
    existing.updatedAtMs = spec.atMs;
    logAlert(s, existing);
    return existing;
  }
  const a: Alert = {
    id: spec.id,
    ruleId: spec.ruleId,
    level: spec.level,
    status: 'open',
    value: spec.value,
    threshold: spec.threshold,
    unit: spec.unit,
    raisedAtMs: spec.raisedAtMs,
    updatedAtMs: spec.atMs,
  };
  if (spec.callId !== undefined) a.callId = spec.callId;
  if (spec.agentId !== undefined) a.agentId = spec.agentId;
  if (spec.queueId !== undefined) a.queueId = spec.queueId;
  if (spec.voicemailId !== undefined) a.voicemailId = spec.voicemailId;
  if (spec.callbackId !== undefined) a.callbackId = spec.callbackId;
  s.alerts.set(a.id, a);
  countAlert(s, a, 1);
  if (a.agentId !== undefined && a.raisedAtMs >= s.dayStartMs) {
    let list = s.agentAlerts.get(a.agentId);
    if (!list) s.agentAlerts.set(a.agentId, (list = []));
    list.push(a);
    if (list.length > AGENT_ALERTS_CAP) list.splice(0, list.length - AGENT_ALERTS_CAP);
  }
  if (spec.callId !== undefined) {
    const c = s.calls.get(spec.callId);
    if (c) {
      c.openAlerts[spec.ruleId] = a.id;
      c.alertIds.push(a.id);
    }
  }
  logAlert(s, a);
  return a;
}

function closeAlert(s: FloorState, a: Alert, atMs: number, status: 'resolved' | 'retracted'): void {
  if (status === 'retracted') countAlert(s, a, -1);
  a.status = status;
  a.resolvedAtMs = atMs;
  a.updatedAtMs = Math.max(a.updatedAtMs, atMs);
  s.alerts.delete(a.id);
  if (a.callId !== undefined) {
    const c = s.calls.get(a.callId);
    if (c) {
      if (c.openAlerts[a.ruleId] === a.id) delete c.openAlerts[a.ruleId];
      if (status === 'retracted') c.alertIds = c.alertIds.filter((id) => id !== a.id);
    }
  }
  if (a.agentId !== undefined) s.changes.agents.add(a.agentId);
  if (status === 'resolved') {
    s.recentAlerts.push(a);
    if (s.recentAlerts.length > RECENT_ALERTS_CAP) s.recentAlerts.splice(0, s.recentAlerts.length - RECENT_ALERTS_CAP);
  }
  logAlert(s, a);
}

/** Raises a point-in-time breach (a fact, not a condition): it is resolved as it is raised. */
function recordFact(s: FloorState, spec: RaiseSpec): void {
  const a = raiseOrUpdate(s, spec);
  closeAlert(s, a, spec.atMs, 'resolved');
}

/** A step the etiquette asks for was skipped (permission, notes): a breach at one moment, on one call. */
function recordOmission(s: FloorState, c: CallState, ruleId: RuleId, id: string, atMs: number, agentId: string | undefined): void {
  recordFact(s, { id, ruleId, level: 'breach', value: 0, threshold: 1, unit: 'event', raisedAtMs: atMs, atMs, callId: c.callId, agentId, queueId: c.queueId });
}

/**
 * Ends a live condition with its final measurement: the alert takes the level
 * the final value deserves (raised now if no tick saw it, retracted if a late
 * event shows the threshold was never crossed).
 */
function finalize(s: FloorState, spec: Omit<RaiseSpec, 'level'> & { level: AlertLevel | null }): void {
  const open = s.alerts.get(spec.id);
  if (spec.level === null) {
    if (open) closeAlert(s, open, spec.atMs, 'retracted');
    return;
  }
  if (open && LEVEL_RANK[spec.level] < LEVEL_RANK[open.level]) {
    // A tick ran ahead of a late event: the final measurement rules.
    countAlert(s, open, -1);
    open.level = spec.level;
    open.threshold = spec.threshold;
    countAlert(s, open, 1);
  }
  const a = raiseOrUpdate(s, { ...spec, level: spec.level });
  closeAlert(s, a, spec.atMs, 'resolved');
}

function enabled(eff: EffectiveConfig, rule: RuleId): boolean {
  return !eff.disabled.has(rule);
}

// ---------------------------------------------------------------- rules: measurements

export { ringsAfter } from './measure.ts';

function ringSpec(c: CallState, eff: EffectiveConfig, rings: number, atMs: number, startMs: number | undefined) {
  const r = eff.rules;
  const level: AlertLevel | null = rings >= r.ringBreachAt ? 'breach' : rings >= r.ringWarnAt ? 'warn' : null;
  const cadenceMs = r.ringCadenceSec * 1000;
  return {
    id: `ring-limit:${c.callId}:${c.ringAttempts}`,
    ruleId: 'ring-limit' as const,
    level,
    value: rings,
    threshold: level === 'breach' ? r.ringBreachAt : r.ringWarnAt,
    unit: 'rings' as const,
    raisedAtMs: startMs !== undefined ? Math.min(atMs, startMs + (r.ringWarnAt - 1) * cadenceMs) : atMs,
    atMs,
    callId: c.callId,
    agentId: c.agentId,
    queueId: c.queueId,
  };
}

/** Ends the current ringing attempt, answered or not, and checks ring-limit on it. */
function endRinging(s: FloorState, c: CallState, atMs: number, answeredRings: number | undefined): number | undefined {
  if (c.status !== 'ringing' || c.agentId === undefined) return undefined;
  const eff = callConfig(s, c);
  let rings = answeredRings;
  if (rings === undefined && c.ringStartMs !== undefined) rings = ringsAfter(atMs - c.ringStartMs, eff.rules.ringCadenceSec);
  if (rings !== undefined && enabled(eff, 'ring-limit')) finalize(s, ringSpec(c, eff, rings, atMs, c.ringStartMs));
  c.ringStartMs = undefined;
  return rings;
}

function holdSpec(c: CallState, eff: EffectiveConfig, holdMs: number, atMs: number) {
  const r = eff.rules;
  const sec = holdMs / 1000;
  const level: AlertLevel | null = sec >= r.holdLongBreachSec ? 'breach' : sec >= r.holdLongWarnSec ? 'warn' : null;
  return {
    id: `hold-long:${c.callId}:${c.holdCount}`,
    ruleId: 'hold-long' as const,
    level,
    value: round1(sec),
    threshold: level === 'breach' ? r.holdLongBreachSec : r.holdLongWarnSec,
    unit: 'sec' as const,
    raisedAtMs: (c.holdStartMs ?? atMs) + r.holdLongWarnSec * 1000,
    atMs,
    callId: c.callId,
    agentId: c.agentId,
    queueId: c.queueId,
  };
}

/** Ends the current hold, adding its time to the call and the agent. */
function endHold(s: FloorState, c: CallState, atMs: number): void {
  if (c.status !== 'hold' || c.holdStartMs === undefined) return;
  const eff = callConfig(s, c);
  const ms = Math.max(0, atMs - c.holdStartMs);
  if (enabled(eff, 'hold-long')) finalize(s, holdSpec(c, eff, ms, atMs));
  c.holdMs += ms;
  c.segmentHoldMs += ms;
  if (c.agentId !== undefined) {
    const a = s.agents.get(c.agentId);
    if (a) {
      a.today.holdMs += ms;
      let b = 0;
      while (b < HOLD_HIST_EDGES_SEC.length && ms >= HOLD_HIST_EDGES_SEC[b] * 1000) b++;
      a.today.holdHist[b]++;
    }
  }
  c.holdStartMs = undefined;
  c.status = 'talking';
}

function callLongSpec(c: CallState, eff: EffectiveConfig, durMs: number, atMs: number) {
  const r = eff.rules;
  const budget = eff.callBudgetSec;
  const sec = durMs / 1000;
  const level: AlertLevel | null =
    sec >= r.callLongBreachFactor * budget ? 'breach' : sec >= r.callLongWarnFactor * budget ? 'warn' : null;
  return {
    id: `call-long:${c.callId}:${c.segments}`,
    ruleId: 'call-long' as const,
    level,
    value: Math.round(sec),
    threshold: Math.round((level === 'breach' ? r.callLongBreachFactor : r.callLongWarnFactor) * budget),
    unit: 'sec' as const,
    raisedAtMs: (c.segmentStartMs ?? atMs) + r.callLongWarnFactor * budget * 1000,
    atMs,
    callId: c.callId,
    agentId: c.agentId,
    queueId: c.queueId,
  };
}

function speakerSpec(c: CallState, eff: EffectiveConfig, onMs: number, atMs: number) {
  const sec = onMs / 1000;
  return {
    id: `speakerphone:${c.callId}:${c.speakerOnMs ?? atMs}`,
    ruleId: 'speakerphone' as const,
    level: sec >= eff.rules.speakerWarnSec ? ('warn' as const) : null,
    value: Math.round(sec),
    threshold: eff.rules.speakerWarnSec,
    unit: 'sec' as const,
    raisedAtMs: (c.speakerOnMs ?? atMs) + eff.rules.speakerWarnSec * 1000,
    atMs,
    callId: c.callId,
    agentId: c.agentId,
    queueId: c.queueId,
  };
}

function endSpeaker(s: FloorState, c: CallState, atMs: number): void {
  if (c.speakerOnMs === undefined) return;
  const eff = callConfig(s, c);
  if (enabled(eff, 'speakerphone')) finalize(s, speakerSpec(c, eff, atMs - c.speakerOnMs, atMs));
  c.speakerOnMs = undefined;
}

function endLoud(s: FloorState, c: CallState, atMs: number): void {
  c.loudSinceMs = undefined;
  const id = c.openAlerts.volume;
  const a = id !== undefined ? s.alerts.get(id) : undefined;
  if (a) closeAlert(s, a, atMs, 'resolved');
}

/**
 * Ends the current agent's part of a call (at end or transfer): counts it as
 * handled by that agent and checks its length against the per-call budget.
 */
function endSegment(s: FloorState, c: CallState, atMs: number): void {
  if (!isConnected(c)) return;
  endHold(s, c, atMs);
  endSpeaker(s, c, atMs);
  endLoud(s, c, atMs);
  const eff = callConfig(s, c);
  const durMs = Math.max(0, atMs - (c.segmentStartMs ?? atMs));
  if (enabled(eff, 'call-long')) finalize(s, callLongSpec(c, eff, durMs, atMs));
  const talkMs = Math.max(0, durMs - c.segmentHoldMs);
  if (c.agentId !== undefined) {
    const a = s.agents.get(c.agentId);
    if (a) {
      evaluatePace(s, a, atMs);
      a.today.handled++;
      a.today.talkMs += talkMs;
      if (a.callId === c.callId) a.callId = undefined;
      // Wrap-up time counts while the agent is in the wrap-up state after this call.
      a.wrapQueueId = c.queueId;
      a.wrapStartMs = a.presence === 'wrapup' ? atMs : undefined;
      evaluatePace(s, a, atMs);
      s.changes.agents.add(a.agentId);
    }
  }
  if (c.queueId !== undefined) {
    const q = s.queues.get(c.queueId);
    if (q) {
      q.today.handled++;
      q.today.handleMs += durMs;
      s.changes.queues.add(q.queueId);
    }
  }
  c.segmentHoldMs = 0;
  c.segmentStartMs = undefined;
  s.changes.kpis = true;
}

function finishWrap(s: FloorState, a: AgentState, atMs: number): void {
  if (a.wrapStartMs !== undefined) {
    const ms = Math.max(0, atMs - a.wrapStartMs);
    a.today.wrapMs += ms;
    if (a.wrapQueueId !== undefined) {
      const q = s.queues.get(a.wrapQueueId);
      if (q) q.today.handleMs += ms;
    }
  }
  a.wrapStartMs = undefined;
  a.wrapQueueId = undefined;
}

// ---------------------------------------------------------------- queue wait

function oldestWaitingMs(q: QueueState): number | undefined {
  let oldest: number | undefined;
  for (const t of q.waiting.values()) if (oldest === undefined || t < oldest) oldest = t;
  return oldest;
}

function queueWaitLevel(eff: EffectiveConfig, waitSec: number): AlertLevel | null {
  return waitSec >= eff.rules.queueWaitBreachSec ? 'breach' : waitSec >= eff.rules.queueWaitWarnSec ? 'warn' : null;
}

function raiseQueueWait(s: FloorState, q: QueueState, eff: EffectiveConfig, waitMs: number, sinceMs: number, atMs: number): void {
  const sec = waitMs / 1000;
  const level = queueWaitLevel(eff, sec);
  if (level === null) return;
  const open = q.waitAlertId !== undefined ? s.alerts.get(q.waitAlertId) : undefined;
  if (!open) q.waitEpisodes++;
  const a = raiseOrUpdate(s, {
    id: q.waitAlertId ?? `queue-wait:${q.queueId}:${q.waitEpisodes}`,
    ruleId: 'queue-wait',
    level,
    value: Math.max(Math.round(sec), open?.value ?? 0),
    threshold: level === 'breach' ? eff.rules.queueWaitBreachSec : eff.rules.queueWaitWarnSec,
    unit: 'sec',
    raisedAtMs: sinceMs + eff.rules.queueWaitWarnSec * 1000,
    atMs,
    queueId: q.queueId,
  });
  // The episode began when its first caller crossed the threshold; a replay (no ticks) may learn
  // of that caller only after a later one, so the start can move earlier, never later.
  const crossing = sinceMs + eff.rules.queueWaitWarnSec * 1000;
  if (crossing < a.raisedAtMs) a.raisedAtMs = crossing;
  q.waitAlertId = a.id;
}

/** A call leaves the queue (answered, abandoned, transferred): settle the queue-wait episode. */
function leaveQueue(s: FloorState, q: QueueState, c: CallState, atMs: number): number {
  const queuedAt = q.waiting.get(c.callId) ?? atMs;
  q.waiting.delete(c.callId);
  const waitMs = Math.max(0, atMs - queuedAt);
  if (waitMs > q.today.maxWaitMs) q.today.maxWaitMs = waitMs;
  const eff = configFor(s, q.queueId, undefined);
  if (enabled(eff, 'queue-wait')) {
    raiseQueueWait(s, q, eff, waitMs, queuedAt, atMs);
    const open = q.waitAlertId !== undefined ? s.alerts.get(q.waitAlertId) : undefined;
    if (open) {
      const oldest = oldestWaitingMs(q);
      if (oldest === undefined || atMs - oldest < eff.rules.queueWaitWarnSec * 1000) {
        closeAlert(s, open, atMs, 'resolved');
        q.waitAlertId = undefined;
      }
    }
  }
  s.changes.queues.add(q.queueId);
  s.changes.kpis = true;
  return waitMs;
}

// ---------------------------------------------------------------- quota pace

/** Calls the quota's pace expects from an agent by `atMs` (null before their shift). */
export function paceExpected(a: AgentState, eff: EffectiveConfig, atMs: number): number | null {
  return paceExpectedAt(a.shiftStartMs, eff.workload.shiftMinutes, eff.workload.dailyQuota, atMs);
}

function evaluatePace(s: FloorState, a: AgentState, atMs: number): void {
  const eff = agentConfig(s, a);
  if (!enabled(eff, 'quota-pace')) return;
  const expected = paceExpected(a, eff, atMs);
  if (expected === null) return;
  const behind = expected - a.today.handled;
  const limit = eff.rules.quotaPaceWarnBehind;
  const open = a.paceAlertId !== undefined ? s.alerts.get(a.paceAlertId) : undefined;
  if (behind > limit && a.presence !== 'offline') {
    if (!open) a.paceEpisodes++;
    const shiftMs = eff.workload.shiftMinutes * 60_000;
    const crossing = (a.shiftStartMs ?? atMs) + ((a.today.handled + limit) / eff.workload.dailyQuota) * shiftMs;
    const alert = raiseOrUpdate(s, {
      id: a.paceAlertId ?? `quota-pace:${a.agentId}:${s.dayStartMs}:${a.paceEpisodes}`,
      ruleId: 'quota-pace',
      level: 'warn',
      value: round1(behind),
      threshold: limit,
      unit: 'calls',
      raisedAtMs: Math.min(atMs, Math.round(crossing)),
      atMs,
      agentId: a.agentId,
    });
    a.paceAlertId = alert.id;
  } else if (open && behind <= limit) {
    open.value = round1(Math.max(0, behind));
    closeAlert(s, open, atMs, 'resolved');
    a.paceAlertId = undefined;
  }
}

// ---------------------------------------------------------------- day rollover

function rollover(s: FloorState, atMs: number): void {
  const day = localDay(atMs, s.config.timeZone);
  s.dayStartMs = day.startMs;
  s.dayEndMs = day.endMs;
  for (const q of s.queues.values()) {
    q.today = emptyQueueDay();
    q.intervals = new Map();
  }
  for (const a of s.agents.values()) {
    a.today = emptyAgentDay();
    a.shiftStartMs = a.presence === 'offline' ? undefined : s.dayStartMs;
    const open = a.paceAlertId !== undefined ? s.alerts.get(a.paceAlertId) : undefined;
    if (open) closeAlert(s, open, s.dayStartMs, 'resolved');
    a.paceAlertId = undefined;
    a.paceEpisodes = 0;
  }
  s.agentAlerts.clear();
  for (const a of s.alerts.values()) {
    if (a.agentId === undefined) continue;
    let list = s.agentAlerts.get(a.agentId);
    if (!list) s.agentAlerts.set(a.agentId, (list = []));
    list.push(a); // still open: it stays in the agent's view until it ends
  }
  for (const [id, v] of s.voicemails) if (v.returnedAtMs !== undefined) s.voicemails.delete(id);
  for (const [id, cb] of s.callbacks) if (cb.completedAtMs !== undefined) s.callbacks.delete(id);
  s.changes.kpis = true;
  s.changes.resync = true;
}

function advanceClock(s: FloorState, atMs: number): void {
  if (atMs >= s.dayEndMs) rollover(s, atMs);
  if (atMs > s.nowMs) s.nowMs = atMs;
}

/**
 * Moves the engine's clock to `nowMs` (never backwards; the day rolls over at
 * midnight) without evaluating any rule. The replay at start-up calls it with
 * each event's receive time, so a restart sees the same "now" the live run saw.
 */
export function observeClock(s: FloorState, nowMs: number): void {
  advanceClock(s, nowMs);
}

// ---------------------------------------------------------------- events

type Handler<T extends FloorEvent['type']> = (s: FloorState, e: EventOf<T>) => void;

function callOrOrphan(s: FloorState, e: Extract<FloorEvent, { callId: string }>): CallState | undefined {
  const c = s.calls.get(e.callId);
  if (!c) {
    note(s, 'orphan', `${e.type} for unknown call`);
    return undefined;
  }
  if (isOver(c)) {
    note(s, 'outOfOrder', `${e.type} after the call ended`);
    return undefined;
  }
  return c;
}

const onAgentState: Handler<'agent.state'> = (s, e) => {
  const a = ensureAgent(s, e.agentId, e.at);
  if (e.name !== undefined) a.name = e.name;
  if (e.team !== undefined) a.team = e.team;
  if (e.queues !== undefined) {
    a.queues = [...e.queues];
    // A queue someone serves belongs on the floor even before its first call.
    for (const q of e.queues) ensureQueue(s, q);
  }
  evaluatePace(s, a, e.at);
  if (a.presence !== e.state) {
    if (a.presence === 'wrapup') finishWrap(s, a, e.at);
    if (e.state === 'wrapup' && a.wrapQueueId !== undefined && a.wrapStartMs === undefined) a.wrapStartMs = e.at;
    a.presence = e.state;
    a.presenceSinceMs = e.at;
  }
  a.reason = e.reason;
  if (e.state !== 'offline' && a.shiftStartMs === undefined) a.shiftStartMs = e.at;
  s.changes.agents.add(a.agentId);
  s.changes.kpis = true;
};

/**
 * The call an event that can start one refers to: created when new (an
 * answer with no ring or queue before it is also counted as an orphan),
 * undefined when the call has already ended (counted as out of order).
 */
function callToStart(s: FloorState, e: Extract<FloorEvent, { callId: string }>, orphanIfNew: boolean): { call: CallState; isNew: boolean } | undefined {
  const c = s.calls.get(e.callId);
  if (c && isOver(c)) {
    note(s, 'outOfOrder', `${e.type} after the call ended`);
    return undefined;
  }
  if (c) return { call: c, isNew: false };
  if (orphanIfNew) note(s, 'orphan', `${e.type} for unknown call`);
  return { call: newCall(s, e.callId, e.at), isNew: true };
}

const onQueued: Handler<'call.queued'> = (s, e) => {
  const found = callToStart(s, e, false);
  if (!found) return;
  const c = found.call;
  if (!found.isNew) {
    // Re-queued (transfer to a queue, a ring that went unanswered, or a repeat): leave the old queue first.
    const wasRinging = c.status === 'ringing';
    if (wasRinging) ringNoAnswer(s, c, e.at);
    if (isConnected(c)) endSegment(s, c, e.at);
    if (c.queueId !== undefined && c.queueId !== e.queueId) {
      const old = s.queues.get(c.queueId);
      if (old?.waiting.has(c.callId)) leaveQueue(s, old, c, e.at);
    } else if (c.queueId === e.queueId && s.queues.get(e.queueId)?.waiting.has(c.callId)) {
      // Still waiting in the same queue: a ring that went unanswered returns it to the queue
      // (it is not offered again); otherwise the event is a plain repeat.
      if (!wasRinging) note(s, 'ignored', 'call.queued repeated for a waiting call');
      c.status = 'queued';
      timeline(c, e);
      touchCall(s, c);
      return;
    }
    if (c.agentId !== undefined) releaseAgent(s, c);
  }
  const q = ensureQueue(s, e.queueId);
  c.queueId = e.queueId;
  if (e.caller !== undefined) c.caller = e.caller;
  c.status = 'queued';
  c.queuedAtMs = e.at;
  c.offeredIntervalMs = intervalStart(e.at, s.dayStartMs);
  q.waiting.set(c.callId, e.at);
  q.today.offered++;
  bucket(s, q, e.at).offered++;
  timeline(c, e);
  s.changes.queues.add(q.queueId);
  s.changes.kpis = true;
  touchCall(s, c);
};

function releaseAgent(s: FloorState, c: CallState): void {
  if (c.agentId === undefined) return;
  const a = s.agents.get(c.agentId);
  if (a && a.callId === c.callId) a.callId = undefined;
  s.changes.agents.add(c.agentId);
  c.agentId = undefined;
}

function startRinging(s: FloorState, c: CallState, agentId: string, atMs: number): void {
  const a = ensureAgent(s, agentId, atMs);
  if (a.callId !== undefined && a.callId !== c.callId) {
    // The agent's previous call ended without us hearing of it: do not leave it attached.
    note(s, 'ignored', 'agent rang while on another call');
  }
  finishWrap(s, a, atMs);
  a.callId = c.callId;
  c.agentId = agentId;
  c.status = 'ringing';
  c.ringStartMs = atMs;
  c.ringAttempts++;
  s.changes.agents.add(agentId);
}

const onRinging: Handler<'call.ringing'> = (s, e) => {
  const found = callToStart(s, e, false); // a new call here is a direct call that never queued
  if (!found) return;
  const c = found.call;
  if (isConnected(c)) {
    note(s, 'ignored', 'call.ringing while connected without a transfer');
    return;
  }
  if (c.status === 'ringing' && c.agentId === e.agentId) return; // the same attempt, reported twice
  if (c.status === 'ringing' && c.agentId !== undefined) ringNoAnswer(s, c, e.at);
  startRinging(s, c, e.agentId, e.at);
  timeline(c, e);
  touchCall(s, c);
};

function ringNoAnswer(s: FloorState, c: CallState, atMs: number): void {
  endRinging(s, c, atMs, undefined);
  const a = c.agentId !== undefined ? s.agents.get(c.agentId) : undefined;
  if (a) a.today.ringNoAnswer++;
  releaseAgent(s, c);
}

const onAnswered: Handler<'call.answered'> = (s, e) => {
  const found = callToStart(s, e, true);
  if (!found) return;
  const c = found.call;
  if (isConnected(c)) {
    if (c.agentId === e.agentId) {
      note(s, 'ignored', 'call.answered repeated');
      return;
    }
    // Picked up by someone else without a transfer event: the previous agent's part ends.
    endSegment(s, c, e.at);
    releaseAgent(s, c);
  }
  if (c.status === 'ringing' && c.agentId !== undefined && c.agentId !== e.agentId) ringNoAnswer(s, c, e.at);
  const sawRinging = c.status === 'ringing' && c.agentId === e.agentId;
  if (!sawRinging) {
    startRinging(s, c, e.agentId, e.at);
    c.ringStartMs = undefined; // we never saw it ring: only an explicit ringCount tells the rings
  }
  const rings = endRinging(s, c, e.at, e.ringCount);
  const a = s.agents.get(e.agentId) as AgentState;
  if (rings !== undefined) a.today.ringsHist[Math.min(6, rings)]++;
  if (c.answeredAtMs === undefined) {
    c.answeredAtMs = e.at;
    c.ringsToAnswer = rings;
  }
  if (c.queueId !== undefined) {
    const q = s.queues.get(c.queueId);
    if (q?.waiting.has(c.callId)) {
      const waitMs = leaveQueue(s, q, c, e.at);
      c.waitMs = waitMs;
      q.today.answered++;
      q.today.answeredWaitMs += waitMs;
      const b = q.intervals.get(c.offeredIntervalMs ?? -1) ?? bucket(s, q, e.at);
      b.answered++;
      if (waitMs <= configFor(s, q.queueId, undefined).serviceLevel.thresholdSec * 1000) {
        q.today.answeredWithinT++;
        b.answeredWithinT++;
      }
    }
  }
  c.status = 'talking';
  c.segmentStartMs = e.at;
  c.segments++;
  c.segmentHoldMs = 0;
  timeline(c, e, rings !== undefined ? { rings } : undefined);
  touchCall(s, c);
  s.changes.kpis = true;
};

const onHold: Handler<'call.hold'> = (s, e) => {
  const c = callOrOrphan(s, e);
  if (!c) return;
  if (c.status !== 'talking') {
    note(s, 'ignored', `call.hold while ${c.status}`);
    return;
  }
  c.status = 'hold';
  c.holdStartMs = e.at;
  c.holdCount++;
  const a = c.agentId !== undefined ? s.agents.get(c.agentId) : undefined;
  if (a) a.today.holds++;
  const eff = callConfig(s, c);
  const subject = { callId: c.callId, agentId: c.agentId, queueId: c.queueId, atMs: e.at, raisedAtMs: e.at };
  if (e.askedPermission === false && enabled(eff, 'hold-permission')) {
    recordOmission(s, c, 'hold-permission', `hold-permission:${c.callId}:${c.holdCount}`, e.at, c.agentId);
  }
  if (c.holdCount >= eff.rules.holdRepeatBreachAt && enabled(eff, 'hold-repeat')) {
    recordFact(s, {
      ...subject,
      id: `hold-repeat:${c.callId}:${c.holdCount}`,
      ruleId: 'hold-repeat',
      level: 'breach',
      value: c.holdCount,
      threshold: eff.rules.holdRepeatBreachAt,
      unit: 'holds',
    });
  }
  timeline(c, e, e.askedPermission !== undefined ? { askedPermission: e.askedPermission, hold: c.holdCount } : { hold: c.holdCount });
  touchCall(s, c);
};

const onUnhold: Handler<'call.unhold'> = (s, e) => {
  const c = callOrOrphan(s, e);
  if (!c) return;
  if (c.status !== 'hold' || c.holdStartMs === undefined) {
    note(s, 'ignored', 'call.unhold without a hold');
    return;
  }
  const holdSec = Math.round((e.at - c.holdStartMs) / 1000);
  endHold(s, c, e.at);
  timeline(c, e, { holdSec });
  touchCall(s, c);
};

const onTransferred: Handler<'call.transferred'> = (s, e) => {
  const c = callOrOrphan(s, e);
  if (!c) return;
  if (!isConnected(c) && c.status !== 'ringing') {
    note(s, 'ignored', `call.transferred while ${c.status}`);
    return;
  }
  const eff = callConfig(s, c);
  if (e.askedPermission === false && isConnected(c) && enabled(eff, 'transfer-permission')) {
    recordOmission(s, c, 'transfer-permission', `transfer-permission:${c.callId}:${c.transfers + 1}`, e.at, c.agentId);
  }
  c.transfers++;
  const detail: Record<string, string | number | boolean> = {};
  if (e.askedPermission !== undefined) detail.askedPermission = e.askedPermission;
  if (e.mode !== undefined) detail.mode = e.mode;
  if (e.toAgentId !== undefined) detail.toAgentId = e.toAgentId;
  if (e.toQueueId !== undefined) detail.toQueueId = e.toQueueId;
  timeline(c, e, detail);
  if (c.status === 'ringing') ringNoAnswer(s, c, e.at);
  else {
    if (c.queueId !== undefined) {
      const q = s.queues.get(c.queueId);
      if (q) q.today.transferredOut++;
    }
    endSegment(s, c, e.at);
    releaseAgent(s, c);
  }
  c.status = 'queued'; // between agents until routed below
  if (e.toQueueId !== undefined) {
    onQueued(s, { type: 'call.queued', id: e.id, at: e.at, callId: c.callId, queueId: e.toQueueId });
    c.timeline.pop(); // the transfer entry already says where it went
  } else if (e.toAgentId !== undefined) {
    startRinging(s, c, e.toAgentId, e.at);
  } else {
    // Transferred out of sight of this floor (an outside number, an unknown extension).
    // A call still waiting in its queue (transferred while it rang) leaves the queue too.
    const q = c.queueId !== undefined ? s.queues.get(c.queueId) : undefined;
    if (q?.waiting.has(c.callId)) leaveQueue(s, q, c, e.at);
    c.status = 'ended';
    retireCall(s, c, e.at, 'transferred-out');
  }
  touchCall(s, c);
  s.changes.kpis = true;
};

const onEnded: Handler<'call.ended'> = (s, e) => {
  const c = callOrOrphan(s, e);
  if (!c) return;
  if (c.status === 'queued' || c.status === 'ringing') {
    // Ended before anyone answered: from the caller's side that is an abandon.
    abandon(s, c, e.at);
    timeline(c, e);
    return;
  }
  const agentId = c.agentId;
  const eff = callConfig(s, c);
  endSegment(s, c, e.at);
  if (e.notes === false && enabled(eff, 'notes-missing')) {
    recordOmission(s, c, 'notes-missing', `notes-missing:${c.callId}`, e.at, agentId);
  }
  const esc = c.openAlerts.escalation !== undefined ? s.alerts.get(c.openAlerts.escalation) : undefined;
  if (esc) closeAlert(s, esc, e.at, 'resolved');
  c.status = 'ended';
  timeline(c, e, e.by !== undefined ? { by: e.by } : undefined);
  retireCall(s, c, e.at, e.by ?? 'ended');
  s.changes.kpis = true;
};

function abandon(s: FloorState, c: CallState, atMs: number): void {
  if (c.status === 'ringing') ringNoAnswer(s, c, atMs);
  if (c.queueId !== undefined) {
    const q = s.queues.get(c.queueId);
    if (q?.waiting.has(c.callId)) {
      const waitMs = leaveQueue(s, q, c, atMs);
      const sl = configFor(s, q.queueId, undefined).serviceLevel;
      const b = q.intervals.get(c.offeredIntervalMs ?? -1) ?? bucket(s, q, atMs);
      q.today.abandoned++;
      b.abandoned++;
      if (waitMs < sl.shortAbandonSec * 1000) {
        q.today.shortAbandoned++;
        b.shortAbandoned++;
      } else if (waitMs > sl.thresholdSec * 1000) {
        q.today.abandonedAfterT++;
        b.abandonedAfterT++;
      }
    }
  }
  releaseAgent(s, c);
  c.status = 'abandoned';
  retireCall(s, c, atMs, 'abandoned');
  s.changes.kpis = true;
}

const onAbandoned: Handler<'call.abandoned'> = (s, e) => {
  const c = callOrOrphan(s, e);
  if (!c) return;
  if (isConnected(c)) {
    note(s, 'ignored', 'call.abandoned after it was answered');
    return;
  }
  timeline(c, e);
  abandon(s, c, e.at);
};

const onSpeaker: Handler<'call.speaker'> = (s, e) => {
  const c = callOrOrphan(s, e);
  if (!c) return;
  if (!isConnected(c)) {
    note(s, 'ignored', 'call.speaker on a call not connected');
    return;
  }
  if (e.on && c.speakerOnMs === undefined) c.speakerOnMs = e.at;
  else if (!e.on) endSpeaker(s, c, e.at);
  timeline(c, e, { on: e.on });
  touchCall(s, c);
};

const onVolume: Handler<'call.volume'> = (s, e) => {
  const c = callOrOrphan(s, e);
  if (!c) return;
  if (!isConnected(c)) {
    note(s, 'ignored', 'call.volume on a call not connected');
    return;
  }
  const eff = callConfig(s, c);
  if (e.dbfs <= eff.rules.volumeWarnDbfs) {
    if (c.loudSinceMs !== undefined) endLoud(s, c, e.at);
    return;
  }
  if (c.loudSinceMs === undefined) {
    c.loudSinceMs = e.at;
    c.volumeEpisodes++;
  }
  const loudSinceMs = c.loudSinceMs;
  const sustainedMs = e.at - loudSinceMs;
  if (sustainedMs >= eff.rules.volumeSustainSec * 1000 && enabled(eff, 'volume')) {
    const open = c.openAlerts.volume !== undefined ? s.alerts.get(c.openAlerts.volume) : undefined;
    if (!open) timeline(c, e, { dbfs: e.dbfs });
    raiseOrUpdate(s, {
      id: `volume:${c.callId}:${c.volumeEpisodes}`,
      ruleId: 'volume',
      level: 'warn',
      value: Math.max(e.dbfs, open?.value ?? -200),
      threshold: eff.rules.volumeWarnDbfs,
      unit: 'dbfs',
      raisedAtMs: loudSinceMs + eff.rules.volumeSustainSec * 1000,
      atMs: e.at,
      callId: c.callId,
      agentId: c.agentId,
      queueId: c.queueId,
    });
    touchCall(s, c);
  }
};

const onEscalation: Handler<'call.escalation'> = (s, e) => {
  const c = callOrOrphan(s, e);
  if (!c) return;
  c.escalations++;
  timeline(c, e, { request: c.escalations });
  const eff = callConfig(s, c);
  if (enabled(eff, 'escalation')) {
    raiseOrUpdate(s, {
      id: `escalation:${c.callId}`,
      ruleId: 'escalation',
      level: c.escalations >= 2 ? 'warn' : 'info',
      value: c.escalations,
      threshold: c.escalations >= 2 ? 2 : 1,
      unit: 'requests',
      raisedAtMs: e.at,
      atMs: e.at,
      callId: c.callId,
      agentId: c.agentId,
      queueId: c.queueId,
    });
  }
  touchCall(s, c);
};

function voicemailSpec(s: FloorState, v: Voicemail, atMs: number) {
  const eff = configFor(s, v.queueId, undefined);
  const ageSec = (atMs - v.leftAtMs) / 1000;
  const warnAt = Math.min(v.leftAtMs + eff.rules.voicemailWarnSec * 1000, v.dueByMs);
  const level: AlertLevel | null = atMs >= v.dueByMs ? 'breach' : ageSec >= eff.rules.voicemailWarnSec ? 'warn' : null;
  return {
    id: `voicemail-return:${v.voicemailId}`,
    ruleId: 'voicemail-return' as const,
    level,
    value: Math.round(ageSec),
    threshold: level === 'breach' ? Math.round((v.dueByMs - v.leftAtMs) / 1000) : eff.rules.voicemailWarnSec,
    unit: 'sec' as const,
    raisedAtMs: warnAt,
    atMs,
    voicemailId: v.voicemailId,
    agentId: v.agentId,
    queueId: v.queueId,
    enabled: enabled(eff, 'voicemail-return'),
  };
}

const onVoicemailLeft: Handler<'voicemail.left'> = (s, e) => {
  if (s.voicemails.has(e.voicemailId)) {
    note(s, 'ignored', 'voicemail.left repeated');
    return;
  }
  const v = {
    voicemailId: e.voicemailId,
    queueId: e.queueId,
    agentId: e.agentId,
    leftAtMs: e.at,
    dueByMs: businessDayCloseAfter(e.at, s.config.timeZone, s.config.businessDayEndHour),
  };
  if (v.queueId === undefined) delete v.queueId;
  if (v.agentId === undefined) delete v.agentId;
  s.voicemails.set(e.voicemailId, v);
  s.changes.voicemails.add(e.voicemailId);
  if (e.agentId !== undefined) s.changes.agents.add(e.agentId);
};

/**
 * A voicemail is returned, a callback completed, once: an unknown id is an
 * orphan and a second time is ignored, both counted.
 */
function firstSettlement(s: FloorState, type: string, what: string, settledAtMs: number | undefined, unknown = false): boolean {
  if (unknown) {
    note(s, 'orphan', `${type} for unknown ${what}`);
    return false;
  }
  if (settledAtMs !== undefined) {
    note(s, 'ignored', `${type} twice`);
    return false;
  }
  return true;
}

const onVoicemailReturned: Handler<'voicemail.returned'> = (s, e) => {
  const v = s.voicemails.get(e.voicemailId);
  if (!firstSettlement(s, e.type, 'voicemail', v?.returnedAtMs, v === undefined) || !v) return;
  v.returnedAtMs = e.at;
  if (e.agentId !== undefined && v.agentId === undefined) v.agentId = e.agentId;
  const { enabled: on, ...spec } = voicemailSpec(s, v, e.at);
  if (on) finalize(s, spec);
  s.changes.voicemails.add(v.voicemailId);
};

function callbackSpec(s: FloorState, cb: Callback, atMs: number) {
  const a = s.agents.get(cb.agentId);
  const eff = configFor(s, undefined, a?.team);
  const lateSec = (atMs - cb.dueAtMs) / 1000;
  return {
    id: `callback-missed:${cb.callbackId}:${cb.reschedules}`,
    ruleId: 'callback-missed' as const,
    level: lateSec >= eff.rules.callbackGraceSec ? ('breach' as const) : null,
    value: Math.round(lateSec),
    threshold: eff.rules.callbackGraceSec,
    unit: 'sec' as const,
    raisedAtMs: cb.dueAtMs + eff.rules.callbackGraceSec * 1000,
    atMs,
    callbackId: cb.callbackId,
    agentId: cb.agentId,
    enabled: enabled(eff, 'callback-missed'),
  };
}

const onCallbackScheduled: Handler<'callback.scheduled'> = (s, e) => {
  ensureAgent(s, e.agentId, e.at);
  const cb = s.callbacks.get(e.callbackId);
  if (cb && cb.completedAtMs === undefined) {
    // Rescheduled: a missed promise stays on record, the new one starts clean.
    const open = s.alerts.get(`callback-missed:${cb.callbackId}:${cb.reschedules}`);
    if (open) closeAlert(s, open, e.at, 'resolved');
    cb.reschedules++;
    cb.dueAtMs = e.dueAt;
    cb.agentId = e.agentId;
  } else if (cb) {
    note(s, 'ignored', 'callback.scheduled after it was completed');
    return;
  } else {
    s.callbacks.set(e.callbackId, { callbackId: e.callbackId, agentId: e.agentId, dueAtMs: e.dueAt, scheduledAtMs: e.at, reschedules: 0 });
  }
  s.changes.callbacks.add(e.callbackId);
  s.changes.agents.add(e.agentId);
};

const onCallbackCompleted: Handler<'callback.completed'> = (s, e) => {
  const cb = s.callbacks.get(e.callbackId);
  if (!firstSettlement(s, e.type, 'callback', cb?.completedAtMs, cb === undefined) || !cb) return;
  cb.completedAtMs = e.at;
  const { enabled: on, ...spec } = callbackSpec(s, cb, e.at);
  if (on) finalize(s, spec);
  s.changes.callbacks.add(cb.callbackId);
  s.changes.agents.add(cb.agentId);
};

/** Ticker messages kept: a TV shows a few, the rest is in the log. */
export const TICKER_CAP = 5;
/** Private notes kept per agent for their view. */
export const NOTES_CAP = 20;

/** Finds an alert that is open or still among the recent ones. */
function findAlert(s: FloorState, id: string): Alert | undefined {
  const open = s.alerts.get(id);
  if (open) return open;
  for (let i = s.recentAlerts.length - 1; i >= 0; i--) if (s.recentAlerts[i].id === id) return s.recentAlerts[i];
  return undefined;
}

const onAcknowledged: Handler<'alert.acknowledged'> = (s, e) => {
  const a = findAlert(s, e.alertId);
  if (!a) {
    note(s, 'orphan', 'alert.acknowledged for an alert no longer in memory');
    return;
  }
  if (a.ack) return; // acknowledging twice is harmless: the first acknowledgement stands
  a.ack = e.note !== undefined ? { by: e.by, atMs: e.at, note: e.note } : { by: e.by, atMs: e.at };
  logAlert(s, a);
};

const onReopened: Handler<'alert.reopened'> = (s, e) => {
  const a = findAlert(s, e.alertId);
  if (!a) {
    note(s, 'orphan', 'alert.reopened for an alert no longer in memory');
    return;
  }
  delete a.ack;
  a.reopened = e.note !== undefined ? { by: e.by, atMs: e.at, note: e.note } : { by: e.by, atMs: e.at };
  logAlert(s, a);
};

const onTicker: Handler<'ticker.posted'> = (s, e) => {
  s.ticker.push({ id: e.id, text: e.text, by: e.by, atMs: e.at, untilMs: e.untilMs ?? null });
  if (s.ticker.length > TICKER_CAP) s.ticker.splice(0, s.ticker.length - TICKER_CAP);
  s.changes.ticker = true;
};

const onAgentNoted: Handler<'agent.noted'> = (s, e) => {
  let list = s.agentNotes.get(e.agentId);
  if (!list) s.agentNotes.set(e.agentId, (list = []));
  list.push({ id: e.id, agentId: e.agentId, text: e.text, by: e.by, atMs: e.at });
  if (list.length > NOTES_CAP) list.splice(0, list.length - NOTES_CAP);
  s.changes.notes.add(e.agentId);
};

const onConfigChanged: Handler<'config.changed'> = (s, e) => {
  setConfig(s, e.config, e.at);
};

const HANDLERS: { [T in FloorEvent['type']]: Handler<T> } = {
  'config.changed': onConfigChanged,
  'alert.acknowledged': onAcknowledged,
  'alert.reopened': onReopened,
  'ticker.posted': onTicker,
  'agent.noted': onAgentNoted,
  'agent.state': onAgentState,
  'call.queued': onQueued,
  'call.ringing': onRinging,
  'call.answered': onAnswered,
  'call.hold': onHold,
  'call.unhold': onUnhold,
  'call.transferred': onTransferred,
  'call.ended': onEnded,
  'call.abandoned': onAbandoned,
  'call.ring-ended': (s) => note(s, 'ignored', 'call.ring-ended not yet supported'),
  'call.lost': (s) => note(s, 'ignored', 'call.lost not yet supported'),
  'call.speaker': onSpeaker,
  'call.volume': onVolume,
  'call.escalation': onEscalation,
  'voicemail.left': onVoicemailLeft,
  'voicemail.returned': onVoicemailReturned,
  'callback.scheduled': onCallbackScheduled,
  'callback.completed': onCallbackCompleted,
};

/**
 * Folds one validated event into the state. Never throws on odd input: orphan
 * and out-of-order events are counted in `diagnostics` and otherwise ignored.
 */
export function applyEvent(s: FloorState, e: FloorEvent): void {
  advanceClock(s, e.at);
  if (s.diagnostics.lastEventAtMs !== undefined && e.at < s.diagnostics.lastEventAtMs - 60_000) {
    // More than a minute older than the feed's newest event: counted, still applied.
    note(s, 'outOfOrder', 'event more than 60 s older than the newest');
  }
  (HANDLERS[e.type] as Handler<typeof e.type>)(s, e as never);
  s.diagnostics.applied++;
  if (s.diagnostics.lastEventAtMs === undefined || e.at > s.diagnostics.lastEventAtMs) s.diagnostics.lastEventAtMs = e.at;
  s.version++;
}

// ---------------------------------------------------------------- tick

/**
 * Evaluates the live rules at `nowMs`: rings while ringing, hold and call
 * length, speaker use, queue wait, quota pace, voicemails and callbacks due.
 * An alert fires on the first tick at or after its threshold, with the exact
 * crossing time as `raisedAtMs`.
 */
export function tick(s: FloorState, nowMs: number): void {
  const before = s.alertLog.length;
  advanceClock(s, nowMs);
  const now = s.nowMs;

  for (const id of s.liveCalls) {
    const c = s.calls.get(id);
    if (!c) continue;
    const eff = callConfig(s, c);
    if (c.status === 'ringing' && c.ringStartMs !== undefined && enabled(eff, 'ring-limit')) {
      const spec = ringSpec(c, eff, ringsAfter(now - c.ringStartMs, eff.rules.ringCadenceSec), now, c.ringStartMs);
      if (spec.level !== null) raiseOrUpdate(s, { ...spec, level: spec.level });
    }
    if (isConnected(c)) {
      if (c.status === 'hold' && c.holdStartMs !== undefined && enabled(eff, 'hold-long')) {
        const spec = holdSpec(c, eff, now - c.holdStartMs, now);
        if (spec.level !== null) raiseOrUpdate(s, { ...spec, level: spec.level });
      }
      if (c.segmentStartMs !== undefined && enabled(eff, 'call-long')) {
        const spec = callLongSpec(c, eff, now - c.segmentStartMs, now);
        if (spec.level !== null) raiseOrUpdate(s, { ...spec, level: spec.level });
      }
      if (c.speakerOnMs !== undefined && enabled(eff, 'speakerphone')) {
        const spec = speakerSpec(c, eff, now - c.speakerOnMs, now);
        if (spec.level !== null) raiseOrUpdate(s, { ...spec, level: spec.level });
      }
    }
  }

  for (const q of s.queues.values()) {
    if (q.waiting.size === 0) continue;
    const eff = configFor(s, q.queueId, undefined);
    if (!enabled(eff, 'queue-wait')) continue;
    const oldest = oldestWaitingMs(q) as number;
    raiseQueueWait(s, q, eff, now - oldest, oldest, now);
  }

  for (const a of s.agents.values()) {
    if (a.shiftStartMs !== undefined && a.presence !== 'offline') evaluatePace(s, a, now);
  }

  for (const v of s.voicemails.values()) {
    if (v.returnedAtMs !== undefined) continue;
    const { enabled: on, ...spec } = voicemailSpec(s, v, now);
    if (on && spec.level !== null) raiseOrUpdate(s, { ...spec, level: spec.level });
  }

  for (const cb of s.callbacks.values()) {
    if (cb.completedAtMs !== undefined) continue;
    const { enabled: on, ...spec } = callbackSpec(s, cb, now);
    if (on && spec.level !== null) raiseOrUpdate(s, { ...spec, level: spec.level });
  }

  if (s.alertLog.length !== before) s.version++;
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}
