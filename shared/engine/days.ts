/**
 * Days and the engine's clock. Every event counts on the floor-local day it
 * belongs to: a call on the day (and 15-minute interval) it was offered, even
 * when it is answered or ends after midnight. The live day is the one holding
 * the engine's clock; past days stay in memory for `historyDays` so late
 * events of their calls still land there, never in today's figures.
 */
import type { AgentDay, AgentState, CallState, FloorState, IntervalBucket, QueueDayRecord, QueueState } from '../state.ts';
import { intervalStart, localDay } from '../time.ts';
import { emptyAgentDay, emptyQueueDay } from './core.ts';
import { closeAlert } from './alerts.ts';
import { evaluateLive } from './tick.ts';
import { expireStale } from './bounds.ts';
import { splitAwayAtDay } from './rules/away-long.ts';
import { expireWorklist } from './worklist.ts';

function trimDays<V>(m: Map<number, V>, keep: number): void {
  while (m.size > keep) m.delete(m.keys().next().value as number);
}

/** The counters of `q` for the day starting at `dayStartMs` (today's, or a past day's, created if missing). */
export function queueDay(s: FloorState, q: QueueState, dayStartMs: number): QueueDayRecord {
  if (dayStartMs === s.dayStartMs) return q;
  let r = q.pastDays.get(dayStartMs);
  if (!r) {
    r = { today: emptyQueueDay(), intervals: new Map() };
    q.pastDays.set(dayStartMs, r);
    sortDays(q.pastDays);
    trimDays(q.pastDays, s.historyDays);
  }
  return r;
}

/** The 15-minute bucket of `rec` holding `atMs` (the day's start anchors the intervals). */
export function bucketOf(rec: QueueDayRecord, dayStartMs: number, atMs: number): IntervalBucket {
  const start = intervalStart(atMs, dayStartMs);
  let b = rec.intervals.get(start);
  if (!b) {
    b = { startMs: start, offered: 0, answered: 0, abandoned: 0, shortAbandoned: 0, answeredWithinT: 0, abandonedAfterT: 0, endLost: 0, answeredWaitMs: 0, maxWaitMs: 0, handled: 0, handleMs: 0, transferredOut: 0 };
    rec.intervals.set(start, b);
  }
  return b;
}

/** Start of the 15-minute interval call `c` counts in (the one it was offered in). */
export function offerIntervalOf(c: CallState): number {
  return c.offeredIntervalMs ?? c.queuedAtMs ?? c.firstSeenMs;
}

/** The counters of agent `a` for the day starting at `dayStartMs`. */
export function agentDay(s: FloorState, a: AgentState, dayStartMs: number): AgentDay {
  if (dayStartMs === s.dayStartMs) return a.today;
  let d = a.pastDays.get(dayStartMs);
  if (!d) {
    d = emptyAgentDay();
    a.pastDays.set(dayStartMs, d);
    sortDays(a.pastDays);
    trimDays(a.pastDays, s.historyDays);
  }
  return d;
}

/** Keeps a day map in day order (a late event may create an older day after a newer one). */
function sortDays<V>(m: Map<number, V>): void {
  let prev = -Infinity;
  let sorted = true;
  for (const k of m.keys()) {
    if (k < prev) sorted = false;
    prev = k;
  }
  if (sorted) return;
  const entries = [...m.entries()].sort(([x], [y]) => x - y);
  m.clear();
  for (const [k, v] of entries) m.set(k, v);
}

/** The floor-local day (its start) holding `atMs`. */
export function dayOf(s: FloorState, atMs: number): number {
  if (atMs >= s.dayStartMs && atMs < s.dayEndMs) return s.dayStartMs;
  return localDay(atMs, s.config.timeZone).startMs;
}

/** The live day turns: today's counters become history, and the new day starts empty. */
function rollover(s: FloorState, atMs: number): void {
  const day = localDay(atMs, s.config.timeZone);
  const old = s.dayStartMs;
  s.dayStartMs = day.startMs;
  s.dayEndMs = day.endMs;
  for (const q of s.queues.values()) {
    q.pastDays.set(old, { today: q.today, intervals: q.intervals });
    trimDays(q.pastDays, s.historyDays);
    q.today = emptyQueueDay();
    q.intervals = new Map();
  }
  for (const a of s.agents.values()) {
    splitAwayAtDay(a, s.dayStartMs);
    a.pastDays.set(old, a.today);
    trimDays(a.pastDays, s.historyDays);
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

/**
 * Moves the clock forward to `atMs` (never back), turning the day at midnight
 * and closing as end lost the calls whose stale limit runs out on the way.
 * Before the day turns, the live rules are evaluated at its last instant: what
 * is still open then (a call running past midnight, a pace alert the turn
 * closes) stays in the agent's view of the new day or is closed with the day,
 * and a replay of the log, which has no ticks of its own, sees the same turn
 * as the live run whose ticks had raised those alerts.
 */
export function advanceClock(s: FloorState, atMs: number): void {
  if (atMs <= s.nowMs) return;
  if (atMs >= s.dayEndMs) {
    expireStale(s, s.dayEndMs - 1);
    s.nowMs = Math.max(s.nowMs, s.dayEndMs - 1);
    evaluateLive(s, s.nowMs);
    rollover(s, atMs);
  }
  // Calls whose stale limit ran out by now close first, at the instant it ran out (see bounds.ts).
  expireStale(s, atMs);
  // Callback worklist items a day old close as expired, each at the instant it came of age (see worklist.ts).
  expireWorklist(s, atMs);
  s.nowMs = atMs;
}

/**
 * Moves the engine's clock to `nowMs` (never backwards; the day turns at
 * midnight) without evaluating any rule. The replay at start-up calls it with
 * each event's receive time, so a restart sees the same "now" the live run saw.
 */
export function observeClock(s: FloorState, nowMs: number): void {
  advanceClock(s, nowMs);
}
