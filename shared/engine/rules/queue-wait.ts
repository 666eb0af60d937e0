/**
 * `queue-wait` — callers must not wait long: the longest current wait in a
 * queue, live (warn 60 s, breach 120 s). One alert per episode: it opens when
 * the first caller crosses the warning and ends when nobody waiting is over
 * it. The callers whose wait crossed are remembered: when later evidence (an
 * answer back-dated by the PBX, a caller found gone) shows none of them really
 * waited that long, the alert is retracted rather than resolved.
 */
import type { Alert, CallState, FloorState, QueueState } from '../../state.ts';
import type { EffectiveConfig } from '../../config.ts';
import { closeAlert, findAnyAlert, raiseOrUpdate, retractResolved } from '../alerts.ts';
import { configFor, enabled } from '../core.ts';

/** Queue-wait episodes remembered per queue for corrections: far more than a day has at once. */
const CONTRIBUTORS_CAP = 20;

/** The caller waiting longest in `q`: [callId, queued since ms]. */
export function oldestWaiting(q: QueueState): [string, number] | undefined {
  let oldest: [string, number] | undefined;
  for (const entry of q.waiting) if (oldest === undefined || entry[1] < oldest[1]) oldest = entry;
  return oldest;
}

function raise(s: FloorState, q: QueueState, eff: EffectiveConfig, callId: string, waitMs: number, sinceMs: number, atMs: number): Alert | undefined {
  const sec = waitMs / 1000;
  const r = eff.rules;
  const level = sec >= r.queueWaitBreachSec ? 'breach' : sec >= r.queueWaitWarnSec ? 'warn' : null;
  if (level === null) return undefined;
  const open = q.waitAlertId !== undefined ? s.alerts.get(q.waitAlertId) : undefined;
  if (!open) q.waitEpisodes++;
  const a = raiseOrUpdate(s, {
    id: open?.id ?? `queue-wait:${q.queueId}:${q.waitEpisodes}`,
    ruleId: 'queue-wait',
    level,
    value: Math.max(Math.round(sec), open?.value ?? 0),
    threshold: level === 'breach' ? r.queueWaitBreachSec : r.queueWaitWarnSec,
    unit: 'sec',
    raisedAtMs: sinceMs + r.queueWaitWarnSec * 1000,
    atMs,
    queueId: q.queueId,
  });
  // The episode began when its first caller crossed the threshold; a replay (no ticks) may learn
  // of that caller only after a later one, so the start can move earlier, never later.
  const crossing = sinceMs + r.queueWaitWarnSec * 1000;
  if (crossing < a.raisedAtMs) a.raisedAtMs = crossing;
  q.waitAlertId = a.id;
  let set = q.waitContributors.get(a.id);
  if (!set) {
    q.waitContributors.set(a.id, (set = new Set()));
    if (q.waitContributors.size > CONTRIBUTORS_CAP) q.waitContributors.delete(q.waitContributors.keys().next().value as string);
  }
  set.add(callId);
  const c = s.calls.get(callId);
  if (c) c.waitAlertId = a.id;
  return a;
}

/** Live: the longest wait of the queue at `nowMs`. */
export function checkQueueWaitLive(s: FloorState, q: QueueState, nowMs: number): void {
  if (q.waiting.size === 0) return;
  const eff = configFor(s, q.queueId, undefined);
  if (!enabled(eff, 'queue-wait')) return;
  const [callId, since] = oldestWaiting(q) as [string, number];
  raise(s, q, eff, callId, nowMs - since, since, nowMs);
}

/**
 * Final: caller `c` left the queue at `atMs` after waiting `waitMs` (already
 * out of `q.waiting`). Ends the episode when nobody left is over the warning;
 * retracts it when no caller really crossed it.
 */
export function settleQueueWait(s: FloorState, q: QueueState, c: CallState, waitMs: number, atMs: number): void {
  const eff = configFor(s, q.queueId, undefined);
  if (!enabled(eff, 'queue-wait')) return;
  const warnMs = eff.rules.queueWaitWarnSec * 1000;
  const earlier = c.waitAlertId;
  if (waitMs >= warnMs) raise(s, q, eff, c.callId, waitMs, atMs - waitMs, atMs);
  else if (earlier !== undefined) {
    // Counted towards an alert while we thought it still waited; it did not wait that long.
    q.waitContributors.get(earlier)?.delete(c.callId);
    c.waitAlertId = undefined;
  }
  const open = q.waitAlertId !== undefined ? s.alerts.get(q.waitAlertId) : undefined;
  if (open) {
    const oldest = oldestWaiting(q);
    if (oldest === undefined || atMs - oldest[1] < warnMs) {
      const real = (q.waitContributors.get(open.id)?.size ?? 0) > 0;
      closeAlert(s, open, atMs, real ? 'resolved' : 'retracted');
      q.waitAlertId = undefined;
    }
  }
  if (earlier !== undefined && waitMs < warnMs && earlier !== q.waitAlertId && (q.waitContributors.get(earlier)?.size ?? 0) === 0) {
    const a = findAnyAlert(s, earlier);
    if (a?.status === 'resolved') retractResolved(s, a, atMs);
  }
  s.changes.queues.add(q.queueId);
}
