/**
 * Live staffing per queue: the agents Erlang C (./erlang.ts) says the queue
 * needs now, from the arrivals and AHT of the last few minutes, against the
 * agents signed in to it. Pure; time is the state's clock (`s.nowMs`).
 *
 * Cheap enough for every KPI push: it reads the queue's 15-minute interval
 * buckets overlapping the window (at most windowMinutes / 15 + 2 map
 * lookups), never the calls, and the Erlang C search is O(agents needed).
 */
import type { FloorState, IntervalBucket, QueueState } from './state.ts';
import type { AgentActivity, QueueStaffing } from './wire.ts';
import { DEFAULT_STAFFING_WINDOW_MINUTES } from './config.ts';
import { configFor } from './engine.ts';
import { agentsNeeded, trafficErlangs } from './erlang.ts';
import { INTERVAL_MS, intervalStart } from './time.ts';

/**
 * Fewer handled calls than this in the window (prorated) and the window's AHT
 * is a guess from a handful of calls: the day's AHT so far is used instead.
 */
export const STAFFING_MIN_WINDOW_HANDLED = 5;

const round = (x: number, decimals: number) => Math.round(x * 10 ** decimals) / 10 ** decimals;

/**
 * The buckets of `q` for the 15-minute intervals overlapping [fromMs, toMs],
 * with the share of each that lies in the window (the oldest one prorated by
 * its overlap, assuming its calls came evenly). The window may reach back
 * before midnight: those intervals are read from the latest past day in memory.
 */
function windowTotals(s: FloorState, q: QueueState, fromMs: number, toMs: number): { offered: number; handled: number; handleMs: number } {
  let previous: Map<number, IntervalBucket> | undefined;
  if (fromMs < s.dayStartMs) {
    let latest = -Infinity;
    for (const [day, rec] of q.pastDays) {
      if (day < s.dayStartMs && day > latest) {
        latest = day;
        previous = rec.intervals;
      }
    }
  }
  let offered = 0, handled = 0, handleMs = 0;
  for (let start = intervalStart(fromMs, s.dayStartMs); start <= toMs; start += INTERVAL_MS) {
    const b = start >= s.dayStartMs ? q.intervals.get(start) : previous?.get(start);
    if (!b) continue;
    const share = start < fromMs ? (start + INTERVAL_MS - fromMs) / INTERVAL_MS : 1;
    offered += b.offered * share;
    handled += b.handled * share;
    handleMs += b.handleMs * share;
  }
  return { offered, handled, handleMs };
}

/**
 * Queue `q`'s live staffing at the state's clock. Arrivals: calls offered in
 * the last `config.staffing.windowMinutes` (default 30), as buckets count them
 * (by offer interval). AHT: talk + hold + wrap-up of the window's handled
 * calls, or the day's so far when the window holds fewer than
 * {@link STAFFING_MIN_WINDOW_HANDLED}; null when neither holds a handled
 * call (no AHT known). SL target and T from the queue's effective config,
 * the occupancy cap from its `workload.targetOccupancy`. `agents`: the
 * queue's agents by activity now (offline ones are not signed in, away ones
 * signed in but not serving).
 */
export function selectQueueStaffing(s: FloorState, q: QueueState, agents: Record<AgentActivity, number>): QueueStaffing | null {
  const windowMin = s.config.staffing?.windowMinutes ?? DEFAULT_STAFFING_WINDOW_MINUTES;
  const windowMs = windowMin * 60_000;
  const w = windowTotals(s, q, s.nowMs - windowMs, s.nowMs);
  let source: QueueStaffing['source'];
  let ahtMs: number;
  if (w.handled >= STAFFING_MIN_WINDOW_HANDLED || (w.handled > 0 && q.today.handled === 0)) {
    source = 'window';
    ahtMs = w.handleMs / w.handled;
  } else if (q.today.handled > 0) {
    source = 'day';
    ahtMs = q.today.handleMs / q.today.handled;
  } else return null;
  const eff = configFor(s, q.queueId, undefined);
  const ahtSec = ahtMs / 1000;
  const erlangs = ahtSec > 0 ? trafficErlangs(w.offered, windowMs / 1000, ahtSec) : 0;
  let neededAgents: number;
  try {
    neededAgents = erlangs === 0 ? 0 : agentsNeeded({ erlangs, ahtSec, thresholdSec: eff.serviceLevel.thresholdSec, targetPct: eff.serviceLevel.targetPct, maxOccupancyPct: eff.workload.targetOccupancy * 100 }).agents;
  } catch {
    // Traffic past any floor (millions of Erlangs): no staffing figure rather than a failed KPI push.
    return null;
  }
  let signedInAgents = 0;
  for (const [activity, n] of Object.entries(agents)) if (activity !== 'offline') signedInAgents += n;
  return {
    neededAgents,
    availableAgents: agents.available,
    signedInAgents,
    servingAgents: signedInAgents - agents.away,
    erlangs: round(erlangs, 2),
    callsPerHour: round((w.offered * 3_600_000) / windowMs, 1),
    ahtSec: round(ahtSec, 1),
    windowMin,
    source,
  };
}
