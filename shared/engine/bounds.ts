/**
 * Bounds on the live calls. A feed can open calls whose end never comes (a
 * producer that sends only `call.queued`, a PBX link that drops every end);
 * nothing else would ever close them, so memory, snapshots and the tick's work
 * would grow without end. Two bounds, both closing the call through the usual
 * lost-end path ({@link closeLost}), so figures, alerts and late corrections
 * behave as for any lost end:
 *
 * - **Stale calls.** A live call with no event of its own for longer than its
 *   state's limit (waiting or ringing `DEFAULT_ENGINE_LIMITS`
 *   `staleWaitingSec`, connected or on hold `staleConnectedSec`) is closed as
 *   end lost at the instant the limit ran out, checked whenever the engine's
 *   clock moves (every tick and every event), before anything else happens at
 *   the new time: a live run with ticks and a replay without them close the
 *   same calls at the same instants.
 * - **A hard cap** on live calls: beyond `maxLiveCalls`, the call idle longest
 *   is closed as end lost at once, counted apart (`expiredCap`).
 *
 * The index is two Maps (waiting, connected) of call id → engine time of its
 * latest event (to the minute: `ACTIVITY_GRAIN_MS`), in the order the events
 * were folded. The engine's clock never runs back, so each Map is sorted by
 * time and its head is the next call to go stale; with the earliest due time
 * kept apart, a clock move costs one comparison plus O(1) per call closed, and
 * an event at most one delete and one set.
 */
import type { FloorState } from '../state.ts';
import { ENDED_CALLS_CAP } from './core.ts';
import { closeLost } from './lost.ts';
import { type Bounds, boundsByState, boundsOf, type EngineLimits } from './activity.ts';
import { WORKLIST_CLOSED_CAP, worklistBounds } from './worklist.ts';

export { DEFAULT_ENGINE_LIMITS, type EngineLimits, forgetCallActivity, noteCallActivity, setEngineLimits } from './activity.ts';

/** The live-call limits in force on floor `s`. */
export function engineLimits(s: FloorState): Readonly<EngineLimits> {
  return boundsOf(s).limits;
}

/** The head of one index Map as [call id, latest event ms], or undefined when empty. */
function head(m: Map<string, number>): [string, number] | undefined {
  const it = m.entries().next();
  return it.done ? undefined : it.value;
}

/**
 * Closes as end lost every live call whose stale limit ran out at or before
 * `uptoMs`, in the order the limits ran out, each at the instant its limit
 * ran out (the engine's clock is moved there first, never back).
 */
export function expireStale(s: FloorState, uptoMs: number): void {
  const b = boundsByState.get(s);
  if (!b || uptoMs < b.nextDueMs) return;
  const waitMs = b.limits.staleWaitingSec * 1000;
  const connMs = b.limits.staleConnectedSec * 1000;
  for (;;) {
    const w = head(b.waiting);
    const c = head(b.connected);
    const wDue = w ? w[1] + waitMs : Number.POSITIVE_INFINITY;
    const cDue = c ? c[1] + connMs : Number.POSITIVE_INFINITY;
    const dueMs = Math.min(wDue, cDue);
    if (dueMs > uptoMs) {
      b.nextDueMs = dueMs;
      return;
    }
    const waiting = wDue <= cDue;
    const id = (waiting ? w : c)![0];
    (waiting ? b.waiting : b.connected).delete(id);
    const call = s.calls.get(id);
    if (!call || !s.liveCalls.has(id) || call.status === 'lost' || call.status === 'ended' || call.status === 'abandoned') continue;
    if (dueMs > s.nowMs) s.nowMs = dueMs;
    b.expiredStale++;
    closeLost(s, call, dueMs, waiting ? 'no event while waiting for longer than the stale-call limit' : 'no event while connected for longer than the stale-call limit');
  }
}

/**
 * Keeps the live calls at most `maxLiveCalls`: beyond it, the call idle
 * longest (oldest latest event, waiting or connected) is closed as end lost
 * now, counted in `expiredCap`.
 */
export function enforceLiveCap(s: FloorState, b: Bounds = boundsOf(s)): void {
  while (s.liveCalls.size > b.limits.maxLiveCalls) {
    const w = head(b.waiting);
    const c = head(b.connected);
    const pick = !w ? c : !c ? w : w[1] <= c[1] ? w : c;
    if (!pick) return;
    const fromWaiting = pick === w;
    (fromWaiting ? b.waiting : b.connected).delete(pick[0]);
    const call = s.calls.get(pick[0]);
    if (!call || !s.liveCalls.has(pick[0])) continue;
    b.expiredCap++;
    closeLost(s, call, s.nowMs, 'live-call cap reached: the call idle longest was closed');
  }
}

/** One bounded collection: its size now and its cap (`null`: bounded by another, named in the README). */
export interface BoundedSize {
  size: number;
  cap: number | null;
}

/** What `GET /api/health` shows under `limits`: the engine's collections that grow with the feed, their sizes and caps. */
export interface EngineBoundsReport {
  liveCalls: BoundedSize;
  /** Calls in memory: live plus recently ended (drill-down). */
  calls: BoundedSize;
  endedCalls: BoundedSize;
  recentAlerts: BoundedSize;
  /** Open alerts: bounded by the live calls, queues, agents and open promises they belong to. */
  openAlerts: BoundedSize;
  /** The largest agent's list of today's alerts. */
  agentAlertsMax: BoundedSize;
  /** Past days kept per queue and agent (the largest). */
  pastDaysMax: BoundedSize;
  /** Callers waiting, all queues (a subset of the live calls). */
  waiting: BoundedSize;
  /** Voicemails and callbacks: settled ones leave when the day turns; open ones stay until settled (no cap: each is a promise to a caller). */
  voicemails: BoundedSize;
  callbacks: BoundedSize;
  /** Open items of the callback worklist (beyond the cap the oldest is closed as dropped; a day old, as expired) and the closed ones kept. */
  worklist: BoundedSize;
  worklistClosed: BoundedSize;
  /** Worklist items closed because they were a day old, or because the cap was reached. */
  worklistExpired: number;
  worklistDropped: number;
  /** Agents and queues ever heard of (no cap: the floor's own size). */
  agents: BoundedSize;
  queues: BoundedSize;
  staleWaitingSec: number;
  staleConnectedSec: number;
  /** Calls closed as end lost because their stale limit ran out. */
  expiredStale: number;
  /** Calls closed as end lost because the live-call cap was reached. */
  expiredCap: number;
}

/** The sizes and caps of floor `s`'s collections that grow with the feed (cost: one pass over queues and agents). */
export function engineBounds(s: FloorState, caps: { recentAlerts: number; agentAlerts: number }): EngineBoundsReport {
  const b = boundsOf(s);
  let agentAlertsMax = 0;
  for (const list of s.agentAlerts.values()) agentAlertsMax = Math.max(agentAlertsMax, list.length);
  let pastDaysMax = 0;
  let waiting = 0;
  for (const q of s.queues.values()) {
    pastDaysMax = Math.max(pastDaysMax, q.pastDays.size);
    waiting += q.waiting.size;
  }
  for (const a of s.agents.values()) pastDaysMax = Math.max(pastDaysMax, a.pastDays.size);
  const wl = worklistBounds(s);
  return {
    liveCalls: { size: s.liveCalls.size, cap: b.limits.maxLiveCalls },
    calls: { size: s.calls.size, cap: b.limits.maxLiveCalls + ENDED_CALLS_CAP },
    endedCalls: { size: s.endedCalls.size, cap: ENDED_CALLS_CAP },
    recentAlerts: { size: s.recentAlerts.length, cap: caps.recentAlerts },
    openAlerts: { size: s.alerts.size, cap: null },
    agentAlertsMax: { size: agentAlertsMax, cap: caps.agentAlerts },
    pastDaysMax: { size: pastDaysMax, cap: s.historyDays },
    waiting: { size: waiting, cap: b.limits.maxLiveCalls },
    voicemails: { size: s.voicemails.size, cap: null },
    callbacks: { size: s.callbacks.size, cap: null },
    worklist: { size: wl.open, cap: wl.cap },
    worklistClosed: { size: wl.closed, cap: WORKLIST_CLOSED_CAP },
    worklistExpired: wl.expired,
    worklistDropped: wl.dropped,
    agents: { size: s.agents.size, cap: null },
    queues: { size: s.queues.size, cap: null },
    staleWaitingSec: b.limits.staleWaitingSec,
    staleConnectedSec: b.limits.staleConnectedSec,
    expiredStale: b.expiredStale,
    expiredCap: b.expiredCap,
  };
}
