/**
 * The engine's building blocks shared by every domain module: creating the
 * state, the change set, thresholds per queue and team, diagnostics, and the
 * bookkeeping of calls, queues and agents that every handler needs.
 */
import { effectiveConfig, type EffectiveConfig, type FloorConfig, type RuleId } from '../config.ts';
import type { AgentDay, AgentState, CallState, ChangeSet, FloorState, QueueDay, QueueState } from '../state.ts';
import { localDay } from '../time.ts';
import { type EngineLimits, forgetCallActivity, setEngineLimits } from './activity.ts';
import { enterWaiting } from './waiting.ts';

/** Ended calls kept in memory for drill-down; older ones are read back from the log. */
export const ENDED_CALLS_CAP = 2_000;
/** Resolved alerts kept in memory for the feed; all of them are in the log. */
export const RECENT_ALERTS_CAP = 500;
/** Alerts of one agent kept for their view of today: far more than a bad day brings, bounded against a runaway source. */
export const AGENT_ALERTS_CAP = 1_000;
/** Timeline entries per call: enough for a long, messy call, bounded against a runaway source. */
export const TIMELINE_CAP = 80;
/** Past days kept in memory by the live engine: yesterday's late events still land there; older days are rebuilt from the log. */
export const HISTORY_DAYS = 3;

export function emptyChanges(): ChangeSet {
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
    worklist: false,
  };
}

export function emptyQueueDay(): QueueDay {
  return {
    offered: 0,
    answered: 0,
    abandoned: 0,
    shortAbandoned: 0,
    answeredWithinT: 0,
    abandonedAfterT: 0,
    endLost: 0,
    answeredWaitMs: 0,
    maxWaitMs: 0,
    transferredOut: 0,
    handled: 0,
    handleMs: 0,
  };
}

export function emptyAgentDay(): AgentDay {
  return {
    handled: 0,
    talkMs: 0,
    holdMs: 0,
    wrapMs: 0,
    holds: 0,
    ringNoAnswer: 0,
    ringCanceled: 0,
    ringsHist: [0, 0, 0, 0, 0, 0, 0],
    holdHist: [0, 0, 0, 0, 0],
    alerts: {},
    awayMs: {},
  };
}

/** How a floor is kept: see {@link FloorState.historyDays} and {@link FloorState.clock}. */
export interface FloorOptions {
  /** Past days kept per queue and agent (default HISTORY_DAYS; the offline report keeps every day). */
  historyDays?: number;
  /** `server` for a live floor on the server's clock; `events` (default) for an offline fold. */
  clock?: FloorState['clock'];
  /** Stale-call limits and the live-call cap (see bounds.ts; defaults `DEFAULT_ENGINE_LIMITS`). A replay must use the live run's. */
  limits?: Partial<EngineLimits>;
}

/** A fresh floor, with "today" being the local day containing `nowMs`. Throws a RangeError for a limit in `opts.limits` that is not a positive number. */
export function createFloorState(config: FloorConfig, nowMs: number, opts: FloorOptions = {}): FloorState {
  const historyDays = opts.historyDays ?? HISTORY_DAYS;
  const day = localDay(nowMs, config.timeZone);
  const s: FloorState = {
    config,
    version: 0,
    nowMs,
    dayStartMs: day.startMs,
    dayEndMs: day.endMs,
    historyDays,
    clock: opts.clock ?? 'events',
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
    diagnostics: { applied: 0, orphan: 0, outOfOrder: 0, ignored: 0, endLost: 0, endLostCorrected: 0, pastDay: 0, aheadOfClock: 0, backDated: 0, byReason: {} },
    changes: emptyChanges(),
    alertLog: [],
    ticker: [],
    agentNotes: new Map(),
  };
  if (opts.limits) setEngineLimits(s, opts.limits);
  return s;
}

/** Returns what changed since the last drain and starts a new change set. */
export function drainChanges(s: FloorState): { changes: FloorState['changes']; alerts: FloorState['alertLog'] } {
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
let lastConfig: FloorConfig | undefined;
let lastByQueue: Map<string | undefined, Map<string | undefined, EffectiveConfig>> | undefined;

export function configFor(s: FloorState, queueId: string | undefined, team: string | undefined): EffectiveConfig {
  // The same config object nearly every time: skip the WeakMap (a third of a lookup's cost in a 10,000-agent tick).
  let byQueue = s.config === lastConfig ? lastByQueue : configCache.get(s.config);
  if (!byQueue) {
    byQueue = new Map();
    configCache.set(s.config, byQueue);
  }
  lastConfig = s.config;
  lastByQueue = byQueue;
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

/** Thresholds for a call with the agent `agentId` (by default its connected agent). */
export function callConfig(s: FloorState, c: CallState, agentId = c.agentId): EffectiveConfig {
  const team = agentId !== undefined ? s.agents.get(agentId)?.team : undefined;
  return configFor(s, c.queueId, team);
}

export function agentConfig(s: FloorState, a: AgentState): EffectiveConfig {
  return configFor(s, undefined, a.team);
}

export function enabled(eff: EffectiveConfig, rule: RuleId): boolean {
  return !eff.disabled.has(rule);
}

// ---------------------------------------------------------------- helpers

export type DiagnosticKind = 'orphan' | 'outOfOrder' | 'ignored';

export function note(s: FloorState, kind: DiagnosticKind, reason: string): void {
  s.diagnostics[kind]++;
  countReason(s, reason);
}

export function countReason(s: FloorState, reason: string, delta = 1): void {
  s.diagnostics.byReason[reason] = (s.diagnostics.byReason[reason] ?? 0) + delta;
}

export function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

export function ensureQueue(s: FloorState, queueId: string): QueueState {
  let q = s.queues.get(queueId);
  if (!q) {
    q = { queueId, waiting: new Map(), today: emptyQueueDay(), intervals: new Map(), pastDays: new Map(), waitContributors: new Map(), waitEpisodes: 0 };
    s.queues.set(queueId, q);
    s.changes.queues.add(queueId);
  }
  return q;
}

export function ensureAgent(s: FloorState, agentId: string, atMs: number): AgentState {
  let a = s.agents.get(agentId);
  if (!a) {
    a = {
      agentId,
      queues: [],
      presence: 'offline',
      // First heard of through a past day's event: on today's floor they are offline since the day began.
      presenceSinceMs: Math.max(atMs, s.dayStartMs),
      today: emptyAgentDay(),
      pastDays: new Map(),
      paceEpisodes: 0,
    };
    s.agents.set(agentId, a);
    s.changes.agents.add(agentId);
  }
  return a;
}

/** A new call first seen at `atMs`; a call first seen on a day already over is history, never live. */
export function newCall(s: FloorState, callId: string, atMs: number): CallState {
  const day = atMs >= s.dayStartMs ? s.dayStartMs : localDay(atMs, s.config.timeZone).startMs;
  const c: CallState = {
    callId,
    status: 'queued',
    firstSeenMs: atMs,
    dayStartMs: day,
    rings: [],
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
  if (day < s.dayStartMs) {
    c.history = true;
    s.endedCalls.add(callId); // bounded like ended calls; never in liveCalls
    trimEndedCalls(s);
  } else s.liveCalls.add(callId);
  return c;
}

/** Adds an entry to a call's timeline (an event's, or a rule's own `type` such as `conversation.greeting`), up to TIMELINE_CAP. */
export function timeline(c: CallState, e: { at: number; type: string; agentId?: string; queueId?: string }, detail?: Record<string, string | number | boolean>): void {
  if (c.timeline.length >= TIMELINE_CAP) return;
  const entry: CallState['timeline'][number] = { atMs: e.at, type: e.type };
  if (e.agentId !== undefined) entry.agentId = e.agentId;
  if (e.queueId !== undefined) entry.queueId = e.queueId;
  if (detail) entry.detail = detail;
  c.timeline.push(entry);
}

export function touchCall(s: FloorState, c: CallState): void {
  if (c.history) return; // not on today's floor
  s.changes.calls.add(c.callId);
  if (c.agentId !== undefined) s.changes.agents.add(c.agentId);
  for (const r of c.rings) s.changes.agents.add(r.agentId);
}

export function isConnected(c: CallState): boolean {
  return c.status === 'talking' || c.status === 'hold';
}

export function isOver(c: CallState): boolean {
  return c.status === 'ended' || c.status === 'abandoned' || c.status === 'lost';
}

function trimEndedCalls(s: FloorState): void {
  while (s.endedCalls.size > ENDED_CALLS_CAP) {
    const oldest = s.endedCalls.values().next().value as string;
    s.endedCalls.delete(oldest);
    if (!s.liveCalls.has(oldest)) s.calls.delete(oldest);
  }
}

export function retireCall(s: FloorState, c: CallState, atMs: number, reason: string): void {
  c.endedAtMs = atMs;
  c.endReason = reason;
  touchCall(s, c);
  s.liveCalls.delete(c.callId);
  forgetCallActivity(s, c.callId);
  s.endedCalls.delete(c.callId);
  s.endedCalls.add(c.callId);
  trimEndedCalls(s);
}

/**
 * A call first heard of after its day was over gets an event of the live day:
 * it is alive now, so it joins the live floor (its figures stay on its day).
 */
export function promoteToLive(s: FloorState, c: CallState): void {
  if (!c.history) return;
  c.history = undefined;
  if (isOver(c)) return;
  s.endedCalls.delete(c.callId);
  s.liveCalls.add(c.callId);
  const q = c.queueId !== undefined && c.queueOutcome === undefined ? s.queues.get(c.queueId) : undefined;
  if (q && c.queuedAtMs !== undefined) enterWaiting(q, c.callId, c.queuedAtMs);
  for (const agentId of [...c.rings.map((r) => r.agentId), ...(isConnected(c) && c.agentId !== undefined ? [c.agentId] : [])]) {
    const a = s.agents.get(agentId);
    if (a && a.callId === undefined) a.callId = c.callId;
  }
  touchCall(s, c);
  if (q) s.changes.queues.add(q.queueId);
}

/** Puts a call closed as "end lost" back among the live ones (a late event of it arrived). */
export function reviveCall(s: FloorState, c: CallState): void {
  c.endedAtMs = undefined;
  c.endReason = undefined;
  if (!c.history) {
    s.endedCalls.delete(c.callId);
    s.liveCalls.add(c.callId);
  }
}
