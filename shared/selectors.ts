/**
 * Selectors: the metric definitions of DESIGN.md computed from engine state,
 * and the per-room payloads built from them. Pure; time comes in as `nowMs`.
 * The client imports the same functions, so a number means the same
 * everywhere.
 */
import type { FloorState, AgentDay, AgentState, CallState, Alert, AlertLevel, QueueDay, QueueState, Voicemail, Callback, TimelineEntry } from './state.ts';
import { localDay } from './time.ts';
import type {
  AgentActivity,
  AgentConfig,
  AgentPayload,
  AgentView,
  CallDetail,
  CallView,
  CallbackView,
  FloorPayload,
  FloorTotals,
  IntervalView,
  LiveScope,
  QueueKpis,
  ScopeConfig,
  TickerText,
  VoicemailView,
  WallboardConfig,
  WallboardPayload,
} from './wire.ts';
import { configFor, emptyAgentDay, emptyQueueDay } from './engine.ts';
import { awayLimitsFor } from './engine/rules/away-long.ts';
import { silenceSinceMs } from './engine/rules/dead-air.ts';
import { serializeWorklist } from './engine/worklist.ts';
import { selectAgentWorklist, selectFloorWorklist } from './worklist-view.ts';
import { selectQueueStaffing } from './staffing.ts';
import { scopeAgentView, scopeCallView, scopeConfig, scopeFilter, scopeVoicemailView, WHOLE_FLOOR, type ScopeFilter } from './scope.ts';

/** Resolved alerts sent in a floor snapshot (the rest are in the log). */
export const SNAPSHOT_RECENT_ALERTS = 200;

export const ACTIVITIES: AgentActivity[] = ['available', 'ringing', 'talking', 'hold', 'wrapup', 'away', 'offline'];

const LEVEL_RANK: Record<AlertLevel, number> = { info: 0, warn: 1, breach: 2 };

function emptyActivityCounts(): Record<AgentActivity, number> {
  return { available: 0, ringing: 0, talking: 0, hold: 0, wrapup: 0, away: 0, offline: 0 };
}

/**
 * Service level in percent: answered within T ÷ (answered + abandoned after T).
 * Short abandons never count. Null when nothing counts yet.
 */
export function serviceLevelPct(answeredWithinT: number, answered: number, abandonedAfterT: number): number | null {
  const denominator = answered + abandonedAfterT;
  if (denominator === 0) return null;
  return Math.round((answeredWithinT / denominator) * 1000) / 10;
}

/** Mean of a sum over a count, in seconds with one decimal; null when the count is zero. */
export function meanSec(sumMs: number, count: number): number | null {
  return count === 0 ? null : Math.round(sumMs / count / 100) / 10;
}

/** What an agent is doing now: the call they are on decides, else their presence. */
export function agentActivity(s: FloorState, a: AgentState): { activity: AgentActivity; sinceMs: number } {
  const c = a.callId !== undefined ? s.calls.get(a.callId) : undefined;
  if (c) {
    if (c.agentId === a.agentId && c.status === 'hold') return { activity: 'hold', sinceMs: c.holdStartMs ?? a.presenceSinceMs };
    if (c.agentId === a.agentId && c.status === 'talking') return { activity: 'talking', sinceMs: c.segmentStartMs ?? a.presenceSinceMs };
    const ring = c.rings.find((r) => r.agentId === a.agentId);
    if (ring) return { activity: 'ringing', sinceMs: ring.startMs ?? a.presenceSinceMs };
  }
  // Time in state counts from the later of the last presence change and the end of the last call or ring.
  return { activity: a.presence, sinceMs: Math.max(a.presenceSinceMs, a.freeSinceMs ?? a.presenceSinceMs) };
}

function worstLevel(levels: Iterable<AlertLevel>): AlertLevel | null {
  let worst: AlertLevel | null = null;
  for (const l of levels) if (worst === null || LEVEL_RANK[l] > LEVEL_RANK[worst]) worst = l;
  return worst;
}

/** Open alerts grouped by agent, computed once per payload. */
function openAlertsByAgent(s: FloorState): Map<string, Alert[]> {
  const m = new Map<string, Alert[]>();
  for (const a of s.alerts.values()) {
    if (a.agentId === undefined) continue;
    let list = m.get(a.agentId);
    if (!list) m.set(a.agentId, (list = []));
    list.push(a);
  }
  return m;
}

/** One agent's figures: today's by default, or those of a past day still in memory (`dayStartMs`). */
export function selectAgentView(s: FloorState, a: AgentState, open?: Alert[], dayStartMs = s.dayStartMs): AgentView {
  const eff = configFor(s, undefined, a.team);
  const d = dayStartMs === s.dayStartMs ? a.today : a.pastDays.get(dayStartMs) ?? EMPTY_AGENT_DAY;
  const { activity, sinceMs } = agentActivity(s, a);
  const openList = open ?? [...s.alerts.values()].filter((x) => x.agentId === a.agentId);
  return {
    agentId: a.agentId,
    name: a.name ?? a.agentId,
    team: a.team ?? null,
    queues: a.queues,
    presence: a.presence,
    reason: a.reason ?? null,
    activity,
    activitySinceMs: sinceMs,
    callId: a.callId ?? null,
    handled: d.handled,
    quota: eff.workload.dailyQuota,
    shiftStartMs: a.shiftStartMs ?? null,
    shiftMinutes: eff.workload.shiftMinutes,
    ahtSec: meanSec(d.talkMs + d.holdMs + d.wrapMs, d.handled),
    holds: d.holds,
    holdSec: Math.round(d.holdMs / 1000),
    ringNoAnswer: d.ringNoAnswer,
    ringCanceled: d.ringCanceled,
    ringsHist: [...d.ringsHist],
    holdHist: [...d.holdHist],
    alertsByRule: structuredCloneCounts(d.alerts),
    openAlerts: openList.length,
    worstOpenLevel: worstLevel(openList.map((x) => x.level)),
    awaySecByReason: awaySecByReason(d.awayMs),
    away: dayStartMs === s.dayStartMs && a.away !== undefined ? { ...a.away, ...(awayLimitsFor(s, a, a.away.reason) ?? { limitSec: null, breachSec: null }) } : null,
  };
}

/** A day's time away by reason in whole seconds (a day before pause limits has none). */
function awaySecByReason(awayMs: AgentDay['awayMs'] | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, ms] of Object.entries(awayMs ?? {})) out[k] = Math.round(ms / 1000);
  return out;
}

const EMPTY_AGENT_DAY: AgentDay = emptyAgentDay();

/**
 * The agent's alerts of the day by rule. A rule whose alerts were all retracted
 * (a live warning later evidence disproved) counts nowhere, so it is left out
 * like a rule that never fired: a replay, which never raised it, shows the same.
 */
function structuredCloneCounts(c: AgentState['today']['alerts']): AgentView['alertsByRule'] {
  const out: AgentView['alertsByRule'] = {};
  for (const [k, v] of Object.entries(c)) if (v.info || v.warn || v.breach) out[k as keyof typeof c] = { ...v };
  return out;
}

export function selectCallView(c: CallState): CallView {
  return {
    callId: c.callId,
    queueId: c.queueId ?? null,
    agentId: c.agentId ?? null,
    status: c.status,
    queuedAtMs: c.queuedAtMs ?? null,
    ringStartMs: c.rings.reduce<number | null>((min, r) => (r.startMs !== undefined && (min === null || r.startMs < min) ? r.startMs : min), null),
    ringAttempts: c.ringAttempts,
    answeredAtMs: c.answeredAtMs ?? null,
    ringsToAnswer: c.ringsToAnswer ?? null,
    holdStartMs: c.holdStartMs ?? null,
    holdCount: c.holdCount,
    holdSec: Math.round(c.holdMs / 1000),
    endedAtMs: c.endedAtMs ?? null,
    // Only where talk detection runs: a transcript tells of speech after the fact, so its silence is not live.
    ...(c.conversation?.talkDetection ? { silenceSinceMs: silenceSinceMs(c, c.conversation) ?? null } : {}),
  };
}

/** A call's drill-down: its timeline and every alert raised on it that is still in memory. */
export function selectCallDetail(s: FloorState, callId: string): CallDetail | null {
  const c = s.calls.get(callId);
  if (!c) return null;
  const wanted = new Set(c.alertIds);
  const alerts: Alert[] = [];
  for (const a of s.alerts.values()) if (wanted.has(a.id)) alerts.push(a);
  for (const a of s.recentAlerts) if (wanted.has(a.id)) alerts.push(a);
  return { ...selectCallView(c), caller: c.caller ?? null, timeline: c.timeline.map((t) => ({ ...t })), alerts };
}

/**
 * One agent's part of a call (their `call:detail`): their rings and how each
 * ended, the segments they were connected (with what happened in them), and
 * the alerts raised on them; nothing that happened while another agent rang,
 * talked or held, nothing after their part ended, and never another agent's
 * id. The call-level fields describe their part too (their holds, their
 * answer, when their part ended). Null when the call is not in memory or the
 * agent had no part in it.
 */
export function selectAgentCallDetail(s: FloorState, callId: string, agentId: string): CallDetail | null {
  const c = s.calls.get(callId);
  if (!c) return null;
  const timeline = agentTimeline(c.timeline, agentId);
  if (timeline.length === 0) return null;
  const connectedNow = c.agentId === agentId && (c.status === 'talking' || c.status === 'hold');
  const ringingNow = c.rings.some((r) => r.agentId === agentId);
  let queueId: string | null = null, queuedAtMs: number | null = null, ringStartMs: number | null = null, answeredAtMs: number | null = null, ringsToAnswer: number | null = null;
  let ringAttempts = 0, holdCount = 0, holdMs = 0;
  for (const t of timeline) {
    if (t.type === 'call.queued') {
      queueId = t.queueId ?? queueId;
      queuedAtMs = t.atMs;
    } else if (t.type === 'call.ringing') {
      ringAttempts++;
      if (ringStartMs === null || t.atMs < ringStartMs) ringStartMs = t.atMs;
    } else if (t.type === 'call.answered') {
      answeredAtMs ??= t.atMs;
      if (ringsToAnswer === null && typeof t.detail?.rings === 'number') ringsToAnswer = t.detail.rings;
    } else if (t.type === 'call.hold') holdCount++;
    else if (t.type === 'call.unhold' && typeof t.detail?.holdSec === 'number') holdMs += t.detail.holdSec * 1000;
  }
  // While it is theirs (ringing or connected) its queue is the one their own view of the call shows.
  if ((connectedNow || ringingNow) && c.queueId !== undefined) queueId = c.queueId;
  const holdStartMs = connectedNow && c.status === 'hold' ? c.holdStartMs ?? null : null;
  const last = timeline[timeline.length - 1];
  const wanted = new Set(c.alertIds);
  const alerts: Alert[] = [];
  for (const a of s.alerts.values()) if (wanted.has(a.id) && a.agentId === agentId) alerts.push(selectAlertForAgent(a));
  for (const a of s.recentAlerts) if (wanted.has(a.id) && a.agentId === agentId) alerts.push(selectAlertForAgent(a));
  return {
    callId: c.callId,
    queueId,
    agentId: connectedNow || answeredAtMs !== null ? agentId : null,
    status: connectedNow ? c.status : ringingNow ? 'ringing' : 'ended',
    queuedAtMs,
    ringStartMs,
    ringAttempts,
    answeredAtMs,
    ringsToAnswer,
    holdStartMs,
    holdCount,
    holdSec: Math.round(holdMs / 1000),
    endedAtMs: connectedNow || ringingNow ? null : last.atMs,
    caller: c.caller ?? null,
    timeline,
    alerts,
  };
}

/**
 * The entries of a call's timeline that are `agentId`'s part of it. An entry
 * that names an agent (a ring, its end, an answer) belongs to that agent; one
 * that does not (a hold, an escalation, a transfer, the end, a lost end)
 * belongs to the agent connected when it happened, or to the call while it
 * waited. The agent sees their own entries, and what happened to the call
 * before their part began (it waited in a queue): nothing of another agent's,
 * nothing after their part. Counters in the details (hold n, request n) count
 * their own, and a transfer does not say to whom.
 */
export function agentTimeline(entries: readonly TimelineEntry[], agentId: string): TimelineEntry[] {
  const out: TimelineEntry[] = [];
  let connected: string | undefined;
  let lostFrom: string | undefined;
  let mineSeen = false;
  let holds = 0, escalations = 0;
  const pending: TimelineEntry[] = [];
  for (const t of entries) {
    let owner: string | undefined;
    if (t.agentId !== undefined) owner = t.agentId;
    else if (t.detail?.correctsLostEnd === true) owner = lostFrom;
    else owner = connected;
    // Who is connected after this entry.
    if (t.type === 'call.answered') connected = t.agentId;
    else if (t.type === 'call.lost') {
      lostFrom = connected;
      connected = undefined;
    } else if (t.type === 'call.transferred' || t.type === 'call.ended' || t.type === 'call.queued' || t.type === 'call.abandoned') connected = undefined;
    if (owner === undefined) {
      // The call's own (it waited): shown when it led up to this agent's part, never after it.
      if (!mineSeen) pending.push(t);
      continue;
    }
    if (owner !== agentId) {
      // What led up to another agent's connected part is not what led up to this one's.
      if (!mineSeen && t.type !== 'call.ringing' && t.type !== 'call.ring-ended') pending.length = 0;
      continue;
    }
    if (!mineSeen) {
      mineSeen = true;
      for (const p of pending) out.push(forAgent(p, agentId));
    }
    const entry = forAgent(t, agentId);
    if (entry.type === 'call.hold' && entry.detail && 'hold' in entry.detail) entry.detail.hold = ++holds;
    if (entry.type === 'call.escalation' && entry.detail && 'request' in entry.detail) entry.detail.request = ++escalations;
    out.push(entry);
  }
  return out;
}

/** A copy of a timeline entry fit for `agentId`: no other agent's id in it. */
function forAgent(t: TimelineEntry, agentId: string): TimelineEntry {
  const entry: TimelineEntry = { ...t };
  if (t.detail) {
    const detail = { ...t.detail };
    if (detail.toAgentId !== undefined && detail.toAgentId !== agentId) delete detail.toAgentId;
    entry.detail = detail;
  }
  return entry;
}

/**
 * An alert as an agent's face gets it: who acknowledged or reopened it, and
 * their note, are supervisors' business (the agent's view shows neither).
 */
export function selectAlertForAgent(a: Alert): Alert {
  if (a.ack === undefined && a.reopened === undefined) return a;
  const { ack: _ack, reopened: _reopened, ...rest } = a;
  return rest;
}

/**
 * A queue's figures. `dayStartMs`: a past day still in memory (its counters;
 * nobody waits on a day that is over); by default today, live, with its
 * live staffing (Erlang C over the last minutes, shared/staffing.ts).
 */
export function selectQueueKpis(s: FloorState, q: QueueState, agentsByQueue?: Map<string, Record<AgentActivity, number>>, dayStartMs = s.dayStartMs): QueueKpis {
  const eff = configFor(s, q.queueId, undefined);
  const past = dayStartMs !== s.dayStartMs;
  const t = past ? q.pastDays.get(dayStartMs)?.today ?? EMPTY_QUEUE_DAY : q.today;
  let oldest: number | null = null;
  for (const at of q.waiting.values()) if (oldest === null || at < oldest) oldest = at;
  const openWait = q.waitAlertId !== undefined ? s.alerts.get(q.waitAlertId) : undefined;
  const agentsByState = agentsByQueue?.get(q.queueId) ?? emptyActivityCounts();
  return {
    queueId: q.queueId,
    offered: t.offered,
    answered: t.answered,
    abandoned: t.abandoned,
    shortAbandoned: t.shortAbandoned,
    transferredOut: t.transferredOut,
    endLost: t.endLost,
    waiting: past ? 0 : q.waiting.size,
    longestWaitSinceMs: past ? null : oldest,
    maxWaitSec: Math.round(t.maxWaitMs / 1000),
    serviceLevelPct: serviceLevelPct(t.answeredWithinT, t.answered, t.abandonedAfterT),
    serviceLevelTargetPct: eff.serviceLevel.targetPct,
    serviceLevelThresholdSec: eff.serviceLevel.thresholdSec,
    asaSec: meanSec(t.answeredWaitMs, t.answered),
    ahtSec: meanSec(t.handleMs, t.handled),
    agentsByState,
    alertLevel: openWait && !past ? openWait.level : null,
    staffing: past ? null : selectQueueStaffing(s, q, agentsByState),
  };
}

const EMPTY_QUEUE_DAY: QueueDay = emptyQueueDay();

/**
 * Per-queue and per-agent tables of one floor-local day (`dayStartMs`): today's
 * live, or a past day still in memory. A call counts on the day it was offered.
 */
export function selectDayTables(s: FloorState, dayStartMs = s.dayStartMs): { day: { startMs: number; endMs: number }; queues: QueueKpis[]; agents: AgentView[] } {
  const endMs = dayStartMs === s.dayStartMs ? s.dayEndMs : localDay(dayStartMs + 43_200_000, s.config.timeZone).endMs;
  const byQueue = dayStartMs === s.dayStartMs ? activityCounts(s).byQueue : undefined;
  const queues = [...s.queues.values()].map((q) => selectQueueKpis(s, q, byQueue, dayStartMs)).sort((a, b) => a.queueId.localeCompare(b.queueId));
  const today = dayStartMs === s.dayStartMs;
  const agents = [...s.agents.values()]
    .filter((a) => today || a.pastDays.has(dayStartMs))
    .map((a) => {
      const v = selectAgentView(s, a, undefined, dayStartMs);
      // A day that is over has no "now": the live fields say nothing about it.
      return today ? v : { ...v, presence: 'offline' as const, reason: null, activity: 'offline' as const, activitySinceMs: endMs, callId: null, shiftStartMs: null, openAlerts: 0, worstOpenLevel: null, away: null };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
  return { day: { startMs: dayStartMs, endMs }, queues, agents };
}

function activityCounts(s: FloorState): { floor: Record<AgentActivity, number>; byQueue: Map<string, Record<AgentActivity, number>> } {
  const floor = emptyActivityCounts();
  const byQueue = new Map<string, Record<AgentActivity, number>>();
  for (const a of s.agents.values()) {
    const { activity } = agentActivity(s, a);
    floor[activity]++;
    for (const qid of a.queues) {
      let counts = byQueue.get(qid);
      if (!counts) byQueue.set(qid, (counts = emptyActivityCounts()));
      counts[activity]++;
    }
  }
  return { floor, byQueue };
}

export function selectAllQueueKpis(s: FloorState): QueueKpis[] {
  const { byQueue } = activityCounts(s);
  return [...s.queues.values()].map((q) => selectQueueKpis(s, q, byQueue)).sort((a, b) => a.queueId.localeCompare(b.queueId));
}

/**
 * Floor-wide totals: sums over queues, SL/ASA/AHT recomputed from the summed counters (not averaged).
 * With a scope filter `f` (shared/scope.ts): over their queues, their agents and their open alerts.
 */
export function selectTotals(s: FloorState, f: ScopeFilter = WHOLE_FLOOR): FloorTotals {
  let offered = 0, answered = 0, abandoned = 0, waiting = 0, withinT = 0, afterT = 0, waitMs = 0, handled = 0, handleMs = 0;
  let oldest: number | null = null;
  for (const q of s.queues.values()) {
    if (f.restricted && !f.queue(q.queueId)) continue;
    const t = q.today;
    offered += t.offered;
    answered += t.answered;
    abandoned += t.abandoned;
    withinT += t.answeredWithinT;
    afterT += t.abandonedAfterT;
    waitMs += t.answeredWaitMs;
    handled += t.handled;
    handleMs += t.handleMs;
    waiting += q.waiting.size;
    for (const at of q.waiting.values()) if (oldest === null || at < oldest) oldest = at;
  }
  const openAlerts: Record<AlertLevel, number> = { info: 0, warn: 0, breach: 0 };
  for (const a of s.alerts.values()) if (!f.restricted || f.alert(a)) openAlerts[a.level]++;
  let agentsByState: Record<AgentActivity, number>;
  if (f.restricted) {
    agentsByState = emptyActivityCounts();
    for (const a of s.agents.values()) if (f.agentOf(a.team, a.queues)) agentsByState[agentActivity(s, a).activity]++;
  } else agentsByState = activityCounts(s).floor;
  return {
    offered,
    answered,
    abandoned,
    waiting,
    longestWaitSinceMs: oldest,
    serviceLevelPct: serviceLevelPct(withinT, answered, afterT),
    serviceLevelTargetPct: s.config.serviceLevel.targetPct,
    asaSec: meanSec(waitMs, answered),
    ahtSec: meanSec(handleMs, handled),
    agentsByState,
    openAlerts,
  };
}

export function selectIntervals(s: FloorState, q: QueueState): IntervalView[] {
  return [...q.intervals.values()]
    .sort((a, b) => a.startMs - b.startMs)
    .map((b) => ({
      startMs: b.startMs,
      offered: b.offered,
      answered: b.answered,
      abandoned: b.abandoned,
      serviceLevelPct: serviceLevelPct(b.answeredWithinT, b.answered, b.abandonedAfterT),
    }));
}

export function selectVoicemailView(v: Voicemail): VoicemailView {
  return {
    voicemailId: v.voicemailId,
    queueId: v.queueId ?? null,
    agentId: v.agentId ?? null,
    leftAtMs: v.leftAtMs,
    dueByMs: v.dueByMs,
    returnedAtMs: v.returnedAtMs ?? null,
  };
}

export function selectCallbackView(cb: Callback): CallbackView {
  return { callbackId: cb.callbackId, agentId: cb.agentId, dueAtMs: cb.dueAtMs, completedAtMs: cb.completedAtMs ?? null };
}

/** Open alerts, then the most recent resolved ones, newest first. */
export function selectAlertFeed(s: FloorState, filter?: (a: Alert) => boolean): Alert[] {
  const out: Alert[] = [];
  for (const a of s.alerts.values()) if (!filter || filter(a)) out.push(a);
  for (let i = s.recentAlerts.length - 1; i >= 0 && out.length < s.alerts.size + SNAPSHOT_RECENT_ALERTS; i--) {
    const a = s.recentAlerts[i];
    if (!filter || filter(a)) out.push(a);
  }
  return out.sort(newestFirst);
}

/**
 * Newest raised first; alerts raised at the same instant (the pace of agents
 * who signed in together) by id, so that a replay, which may raise them in
 * another order than the live ticks did, lists them the same.
 */
function newestFirst(a: Alert, b: Alert): number {
  return b.raisedAtMs - a.raisedAtMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * The supervisors' floor: everything, or with a scope filter `f` (shared/scope.ts) only their
 * queues, agents, calls, alerts, voicemails, callbacks and worklist items, with references to
 * anything else blanked ({@link scopeAgentView}, {@link scopeCallView}). The ticker is the floor's.
 */
export function selectFloorPayload(s: FloorState, f: ScopeFilter = WHOLE_FLOOR): FloorPayload {
  const byAgent = openAlertsByAgent(s);
  const queueList = f.restricted ? [...s.queues.values()].filter((q) => f.queue(q.queueId)) : [...s.queues.values()];
  // fromEntries defines own properties: a queue named "__proto__" is a key like any other, not the object's prototype.
  const intervals: Record<string, IntervalView[]> = Object.fromEntries(queueList.map((q) => [q.queueId, selectIntervals(s, q)]));
  const calls: CallView[] = [];
  for (const id of s.liveCalls) {
    const c = s.calls.get(id);
    if (c && (!f.restricted || f.call(c))) calls.push(scopeCallView(selectCallView(c), f));
  }
  const agents = f.restricted ? [...s.agents.values()].filter((a) => f.agentOf(a.team, a.queues)) : [...s.agents.values()];
  return {
    queues: f.restricted ? selectAllQueueKpis(s).filter((q) => f.queue(q.queueId)) : selectAllQueueKpis(s),
    totals: selectTotals(s, f),
    agents: agents.map((a) => scopeAgentView(selectAgentView(s, a, byAgent.get(a.agentId) ?? []), f, s)),
    calls,
    alerts: f.restricted ? selectAlertFeed(s, (a) => f.alert(a)) : selectAlertFeed(s),
    intervals,
    voicemails: [...s.voicemails.values()].filter((v) => !f.restricted || f.voicemail(v)).map((v) => scopeVoicemailView(selectVoicemailView(v), f)),
    callbacks: [...s.callbacks.values()].filter((cb) => !f.restricted || f.callback(cb)).map(selectCallbackView),
    ticker: [...s.ticker],
    worklist: selectFloorWorklist(s, f),
  };
}

/**
 * Every alert of one agent of the live day, newest first, from the engine's
 * per-agent record of the day (`state.agentAlerts`: open, resolved, and
 * retracted after being resolved), never from the floor's bounded feed: an
 * agent with more alerts than the floor keeps resolved ones must not lose
 * theirs on a reconnect. None of an earlier day's but those still open when
 * it turned; never another agent's, and without who acknowledged or
 * reopened them ({@link selectAlertForAgent}).
 */
export function selectAgentAlerts(s: FloorState, agentId: string): Alert[] {
  const today = s.agentAlerts.get(agentId) ?? [];
  return today.filter((x) => x.agentId === agentId).sort(newestFirst).map(selectAlertForAgent);
}

/**
 * One agent's payload: nothing in it names or describes another agent. With a scope filter `f`
 * (a scoped supervisor opening the view of one of their agents): only the calls, alerts,
 * voicemails and worklist items that are theirs, and the totals of their scope.
 */
export function selectAgentPayload(s: FloorState, agentId: string, f: ScopeFilter = WHOLE_FLOOR): AgentPayload {
  const a = s.agents.get(agentId);
  const calls: CallView[] = [];
  for (const id of s.liveCalls) {
    const c = s.calls.get(id);
    if (c && c.agentId === agentId && (!f.restricted || f.call(c))) calls.push(selectCallView(c));
  }
  const worklist = selectAgentWorklist(s, agentId);
  return {
    me: a ? scopeAgentView(selectAgentView(s, a), f, s) : null,
    calls,
    alerts: f.restricted ? selectAgentAlerts(s, agentId).filter((x) => f.alert(x)) : selectAgentAlerts(s, agentId),
    voicemails: [...s.voicemails.values()].filter((v) => v.agentId === agentId && (!f.restricted || f.voicemail(v))).map(selectVoicemailView),
    callbacks: [...s.callbacks.values()].filter((cb) => cb.agentId === agentId).map(selectCallbackView),
    totals: selectTotals(s, f),
    notes: [...(s.agentNotes.get(agentId) ?? [])],
    worklist: f.restricted ? worklist.filter((w) => f.worklistItem(w)) : worklist,
  };
}

/** The wallboard: every queue, or with a scope filter `f` their queues and the totals of their scope. */
export function selectWallboardPayload(s: FloorState, f: ScopeFilter = WHOLE_FLOOR): WallboardPayload {
  const queues = selectAllQueueKpis(s);
  return { queues: f.restricted ? queues.filter((q) => f.queue(q.queueId)) : queues, totals: selectTotals(s, f), ticker: selectTickerTexts(s) };
}

/** The ticker as the wallboard shows it: texts and times, not the supervisors who posted them. */
export function selectTickerTexts(s: FloorState): TickerText[] {
  return s.ticker.map((m) => ({ id: m.id, text: m.text, atMs: m.atMs, untilMs: m.untilMs }));
}

/** The settings each face is sent: supervisors all of them (a scoped one the overrides of their queues and teams), an agent their team's rules, the wallboard its wait thresholds. */
export function selectScopeConfig(s: FloorState, scope: LiveScope): ScopeConfig {
  if (scope.kind === 'floor') return scope.limit ? scopeConfig(s.config, scopeFilter(s, scope.limit)) : s.config;
  if (scope.kind === 'wallboard') return { rules: { queueWaitWarnSec: s.config.rules.queueWaitWarnSec, queueWaitBreachSec: s.config.rules.queueWaitBreachSec } } satisfies WallboardConfig;
  const eff = configFor(s, undefined, s.agents.get(scope.agentId)?.team);
  return { rules: { ...eff.rules }, workload: { ...eff.workload }, awayLimitMinutes: { ...eff.awayLimitMinutes } } satisfies AgentConfig;
}

/**
 * A canonical plain-object form of the state, for comparing two states (live
 * ingest vs. replay). Leaves out the change set and the version counter,
 * which count ticks rather than describe the floor.
 */
export function serializeState(s: FloorState): unknown {
  const sortMap = <V>(m: Map<string, V>): [string, V][] => [...m.entries()].sort(([a], [b]) => a.localeCompare(b));
  return JSON.parse(
    JSON.stringify({
      nowMs: s.nowMs,
      day: [s.dayStartMs, s.dayEndMs],
      queues: sortMap(s.queues).map(([id, q]) => [id, { ...q, waiting: [...q.waiting.entries()], intervals: [...q.intervals.entries()] }]),
      // A rule whose alerts were all retracted counts nowhere, like one never raised (a replay never raised it).
      agents: sortMap(s.agents).map(([id, a]) => [id, { ...a, today: { ...a.today, alerts: structuredCloneCounts(a.today.alerts) } }]),
      // Alert ids in the order raised: a tick may raise two alerts of one call in the other order than a replay.
      calls: sortMap(s.calls).map(([id, c]) => [id, { ...c, alertIds: [...c.alertIds].sort() }]),
      alerts: sortMap(s.alerts),
      recentAlerts: s.recentAlerts,
      voicemails: sortMap(s.voicemails),
      callbacks: sortMap(s.callbacks),
      liveCalls: [...s.liveCalls].sort(),
      ticker: s.ticker,
      agentNotes: sortMap(s.agentNotes),
      worklist: serializeWorklist(s),
      endedCalls: [...s.endedCalls],
      diagnostics: s.diagnostics,
    }),
  );
}
