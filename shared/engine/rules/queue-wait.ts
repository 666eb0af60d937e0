/**
 * `queue-wait` — callers must not wait long: the longest current wait in a
 * queue, live (warn 60 s, breach 120 s). One alert per episode: it opens when
 * the first caller crosses the warning and ends when nobody waiting is over
 * it.
 *
 * An episode's figures — when it began (the first crossing), the longest
 * wait, the level — are those of the callers who really waited past the
 * warning. A live tick can only measure the callers it believes still wait;
 * when later evidence (an answer the PBX back-dates, a caller found gone, a
 * past day's event) shows a caller left earlier, the episode is figured again
 * from what is now known each time a caller leaves, and retracted (its number
 * given back) when no caller really crossed. So a replay of the log, which has
 * no ticks, ends with the same alerts as the live run that ticked every second.
 * A caller who left on a day already over gets a record of that day, apart
 * from today's episode.
 */
import type { Alert, AlertLevel, CallState, FloorState, QueueState } from '../../state.ts';
import type { EffectiveConfig } from '../../config.ts';
import { closeAlert, findAnyAlert, raiseOrUpdate, recordFact, retractResolved, reviseAlert, withdrawOpen } from '../alerts.ts';
import { configFor, enabled } from '../core.ts';
import { oldestWaiting } from '../waiting.ts';

/** Queue-wait episodes remembered per queue for corrections: far more than a day has at once. */
const CONTRIBUTORS_CAP = 20;

/** What is known of one caller of an episode: when their wait crossed the warning, and (once they left) when and after how long. */
interface Member {
  crossingMs: number;
  waitMs?: number;
  leftMs?: number;
}
/** An episode's members, and the first crossing, longest wait and last leaving of those who left (kept as they join, recomputed after a correction). */
interface Members {
  byCall: Map<string, Member>;
  firstMs: number;
  longestMs: number;
  lastLeftMs: number;
  stale: boolean;
}
/** The members' details, beside each episode's set of caller ids in `QueueState.waitContributors`. */
const memberInfo = new WeakMap<Set<string>, Members>();

export { oldestWaiting } from '../waiting.ts';

function warnMsOf(eff: EffectiveConfig): number {
  return eff.rules.queueWaitWarnSec * 1000;
}

function levelOf(eff: EffectiveConfig, waitMs: number): { level: AlertLevel; threshold: number } | null {
  const sec = waitMs / 1000;
  const r = eff.rules;
  if (sec >= r.queueWaitBreachSec) return { level: 'breach', threshold: r.queueWaitBreachSec };
  if (sec >= r.queueWaitWarnSec) return { level: 'warn', threshold: r.queueWaitWarnSec };
  return null;
}

function episodeId(q: QueueState, n: number): string {
  return `queue-wait:${q.queueId}:${n}`;
}

/** Caller `callId` counts towards episode `alertId`: still waiting, or (`left`) gone at `left.atMs` after `left.waitMs`. */
function join(q: QueueState, alertId: string, callId: string, crossingMs: number, left?: { waitMs: number; atMs: number }): void {
  let ids = q.waitContributors.get(alertId);
  if (!ids) {
    q.waitContributors.set(alertId, (ids = new Set()));
    if (q.waitContributors.size > CONTRIBUTORS_CAP) q.waitContributors.delete(q.waitContributors.keys().next().value as string);
  }
  let m = memberInfo.get(ids);
  if (!m) memberInfo.set(ids, (m = { byCall: new Map(), firstMs: Number.POSITIVE_INFINITY, longestMs: -1, lastLeftMs: Number.NEGATIVE_INFINITY, stale: false }));
  if (m.byCall.get(callId)?.waitMs !== undefined) m.stale = true;
  ids.add(callId);
  m.byCall.set(callId, left === undefined ? { crossingMs } : { crossingMs, waitMs: left.waitMs, leftMs: left.atMs });
  if (left !== undefined) {
    m.firstMs = Math.min(m.firstMs, crossingMs);
    m.longestMs = Math.max(m.longestMs, left.waitMs);
    m.lastLeftMs = Math.max(m.lastLeftMs, left.atMs);
  }
}

function leave(q: QueueState, alertId: string, callId: string): void {
  const ids = q.waitContributors.get(alertId);
  if (!ids) return;
  ids.delete(callId);
  const m = memberInfo.get(ids);
  if (m?.byCall.get(callId)?.waitMs !== undefined) m.stale = true;
  m?.byCall.delete(callId);
}

/** The first crossing, the longest wait and the last leaving of the callers of episode `alertId` who have left after crossing. */
function settledFigures(q: QueueState, alertId: string): { firstMs: number; longestMs: number; lastLeftMs: number } {
  const ids = q.waitContributors.get(alertId);
  const m = ids ? memberInfo.get(ids) : undefined;
  if (!m) return { firstMs: Number.POSITIVE_INFINITY, longestMs: -1, lastLeftMs: Number.NEGATIVE_INFINITY };
  if (m.stale) {
    m.firstMs = Number.POSITIVE_INFINITY;
    m.longestMs = -1;
    m.lastLeftMs = Number.NEGATIVE_INFINITY;
    for (const x of m.byCall.values()) {
      if (x.waitMs === undefined || x.leftMs === undefined) continue;
      m.firstMs = Math.min(m.firstMs, x.crossingMs);
      m.longestMs = Math.max(m.longestMs, x.waitMs);
      m.lastLeftMs = Math.max(m.lastLeftMs, x.leftMs);
    }
    m.stale = false;
  }
  return { firstMs: m.firstMs, longestMs: m.longestMs, lastLeftMs: m.lastLeftMs };
}

function raise(s: FloorState, q: QueueState, eff: EffectiveConfig, callId: string, waitMs: number, sinceMs: number, atMs: number, settled: boolean): Alert | undefined {
  const lv = levelOf(eff, waitMs);
  if (lv === null) return undefined;
  const open = q.waitAlertId !== undefined ? s.alerts.get(q.waitAlertId) : undefined;
  if (!open) q.waitEpisodes++;
  const crossing = sinceMs + warnMsOf(eff);
  const a = raiseOrUpdate(s, {
    id: open?.id ?? episodeId(q, q.waitEpisodes),
    ruleId: 'queue-wait',
    level: lv.level,
    value: Math.max(Math.round(waitMs / 1000), open?.value ?? 0),
    threshold: lv.threshold,
    unit: 'sec',
    raisedAtMs: crossing,
    atMs,
    queueId: q.queueId,
  });
  // The episode began when its first caller crossed the threshold; a replay (no ticks) may learn
  // of that caller only after a later one, so the start can move earlier, never later.
  if (crossing < a.raisedAtMs) a.raisedAtMs = crossing;
  q.waitAlertId = a.id;
  join(q, a.id, callId, crossing, settled ? { waitMs, atMs } : undefined);
  const c = s.calls.get(callId);
  if (c) c.waitAlertId = a.id;
  return a;
}

/**
 * Figures episode `a` again at `atMs` from what is now known: the callers who
 * left after waiting past the warning and (unless it is `closing`) those still
 * waiting past it. Closing, the callers a tick counted who still wait leave it
 * (they belong to the next episode). Retracts it when nobody really crossed.
 * Returns whether it stands.
 */
function refigure(s: FloorState, q: QueueState, eff: EffectiveConfig, a: Alert, atMs: number, closing: boolean): boolean {
  const warnMs = warnMsOf(eff);
  if (closing) {
    const ids = q.waitContributors.get(a.id);
    for (const [callId, m] of ids ? [...(memberInfo.get(ids)?.byCall ?? [])] : []) {
      if (m.waitMs !== undefined) continue;
      leave(q, a.id, callId);
      const c = s.calls.get(callId);
      if (c?.waitAlertId === a.id) c.waitAlertId = undefined;
    }
  }
  let { firstMs, longestMs } = settledFigures(q, a.id);
  if (!closing) {
    // The caller waiting longest has both the first crossing and the longest wait of those still waiting.
    const oldest = oldestWaiting(q);
    const w = oldest !== undefined ? atMs - oldest[1] : -1;
    if (oldest !== undefined && w >= warnMs) {
      firstMs = Math.min(firstMs, oldest[1] + warnMs);
      longestMs = Math.max(longestMs, w);
    }
  }
  const lv = longestMs < 0 ? null : levelOf(eff, longestMs);
  if (lv === null) {
    if (a.status === 'open') withdrawOpen(s, a, atMs, Math.max(0, Math.round(longestMs / 1000)), eff.rules.queueWaitWarnSec);
    else retractResolved(s, a, atMs);
    if (q.waitAlertId === a.id) q.waitAlertId = undefined;
    // Never real: a replay never counted it, so its number is the next episode's.
    if (a.id === episodeId(q, q.waitEpisodes)) {
      q.waitEpisodes--;
      q.waitContributors.delete(a.id);
    }
    return false;
  }
  reviseAlert(s, a, { level: lv.level, threshold: lv.threshold, value: Math.round(longestMs / 1000), raisedAtMs: firstMs, atMs });
  return true;
}

/** Live: the longest wait of the queue at `nowMs`. */
export function checkQueueWaitLive(s: FloorState, q: QueueState, nowMs: number): void {
  if (q.waiting.size === 0) return;
  const eff = configFor(s, q.queueId, undefined);
  if (!enabled(eff, 'queue-wait')) return;
  const [callId, since] = oldestWaiting(q) as [string, number];
  raise(s, q, eff, callId, nowMs - since, since, nowMs, false);
}

/**
 * Final: caller `c` left the queue at `atMs` after waiting `waitMs` (already
 * out of `q.waiting`). Settles the caller's part in the episode it counted
 * towards, figures the open episode again from what is now known, and ends it
 * when nobody left is over the warning (retracted when no caller really crossed).
 */
export function settleQueueWait(s: FloorState, q: QueueState, c: CallState, waitMs: number, atMs: number): void {
  const eff = configFor(s, q.queueId, undefined);
  if (!enabled(eff, 'queue-wait')) return;
  const warnMs = warnMsOf(eff);
  const earlier = c.waitAlertId;
  c.waitAlertId = undefined;
  if (earlier !== undefined) leave(q, earlier, c.callId);
  const closedEarlier = earlier !== undefined && earlier !== q.waitAlertId ? findAnyAlert(s, earlier) : undefined;
  if (earlier !== undefined && closedEarlier?.status === 'resolved' && q.waitContributors.has(earlier)) {
    // A caller of an episode already over: a late event corrected how long they waited.
    if (waitMs >= warnMs) {
      join(q, earlier, c.callId, atMs - waitMs + warnMs, { waitMs, atMs });
      c.waitAlertId = earlier;
    }
    refigure(s, q, eff, closedEarlier, atMs, true);
  } else if (c.history || atMs < s.dayStartMs) {
    // Left on a day already over: that day's record, never today's episode.
    const lv = levelOf(eff, waitMs);
    if (lv !== null) {
      recordFact(s, {
        id: `queue-wait:${q.queueId}:${c.callId}:${atMs - waitMs}`,
        ruleId: 'queue-wait',
        level: lv.level,
        value: Math.round(waitMs / 1000),
        threshold: lv.threshold,
        unit: 'sec',
        raisedAtMs: atMs - waitMs + warnMs,
        atMs,
        queueId: q.queueId,
      });
    }
  } else if (waitMs >= warnMs) raise(s, q, eff, c.callId, waitMs, atMs - waitMs, atMs, true);
  const open = q.waitAlertId !== undefined ? s.alerts.get(q.waitAlertId) : undefined;
  if (open) {
    const oldest = oldestWaiting(q);
    if (oldest === undefined || atMs - oldest[1] < warnMs) {
      // It ends when its last caller left (a back-dated event may close it at an earlier time).
      if (refigure(s, q, eff, open, atMs, true)) closeAlert(s, open, Math.max(atMs, settledFigures(q, open.id).lastLeftMs), 'resolved');
      q.waitAlertId = undefined;
    } else refigure(s, q, eff, open, atMs, false);
  }
  s.changes.queues.add(q.queueId);
}
