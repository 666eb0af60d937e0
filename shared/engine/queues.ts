/**
 * Queues: callers entering and leaving, and the day's counters. A call counts
 * on the day and 15-minute interval it was offered: its answer, abandon or
 * lost end lands there even after midnight.
 */
import type { CallState, FloorState, IntervalBucket, QueueDayRecord, QueueState } from '../state.ts';
import { configFor } from './core.ts';
import { bucketOf, offerIntervalOf, queueDay } from './days.ts';
import { settleQueueWait } from './rules/queue-wait.ts';
import { leftWaiting } from './waiting.ts';

export { enterWaiting, oldestWaiting } from './waiting.ts';

/** The day record and interval bucket call `c` counts in, for queue `q`. */
export function offerRecord(s: FloorState, q: QueueState, c: CallState): { rec: QueueDayRecord; bucket: IntervalBucket } {
  const rec = queueDay(s, q, c.dayStartMs);
  return { rec, bucket: bucketOf(rec, c.dayStartMs, offerIntervalOf(c)) };
}

/**
 * Caller `c` leaves queue `q` at `atMs` for `outcome`: settles its wait (and
 * the queue-wait episode) and returns the wait in ms. A call leaves a queue once.
 */
export function leaveQueue(s: FloorState, q: QueueState, c: CallState, atMs: number, outcome: NonNullable<CallState['queueOutcome']>, sourceWaitMs?: number): number {
  const queuedAt = q.waiting.get(c.callId) ?? c.queuedAtMs ?? atMs;
  q.waiting.delete(c.callId);
  leftWaiting(q, c.callId);
  c.queueOutcome = outcome;
  // The source's own measure when it sent one (exact), else the event times.
  const waitMs = sourceWaitMs ?? Math.max(0, atMs - queuedAt);
  const { rec, bucket } = offerRecord(s, q, c);
  // A lost caller's wait is only an upper bound (we did not see them leave): it sets no record.
  if (outcome !== 'lost' && waitMs > rec.today.maxWaitMs) rec.today.maxWaitMs = waitMs;
  if (outcome !== 'lost' && waitMs > bucket.maxWaitMs) bucket.maxWaitMs = waitMs;
  settleQueueWait(s, q, c, waitMs, atMs);
  s.changes.queues.add(q.queueId);
  s.changes.kpis = true;
  return waitMs;
}

/** The queue a call still waits in (offered and not yet left), if any. */
export function pendingQueue(s: FloorState, c: CallState): QueueState | undefined {
  if (c.queueId === undefined || c.queueOutcome !== undefined) return undefined;
  return s.queues.get(c.queueId);
}

/** The call was answered at `atMs`: counted on its offer day, with its wait (`sourceWaitMs`: the source's own measure). */
export function countAnswered(s: FloorState, c: CallState, atMs: number, sourceWaitMs?: number): void {
  const q = pendingQueue(s, c);
  if (!q) return;
  const waitMs = leaveQueue(s, q, c, atMs, 'answered', sourceWaitMs);
  c.waitMs = waitMs;
  const { rec, bucket } = offerRecord(s, q, c);
  rec.today.answered++;
  rec.today.answeredWaitMs += waitMs;
  bucket.answered++;
  bucket.answeredWaitMs += waitMs;
  if (waitMs <= configFor(s, q.queueId, undefined).serviceLevel.thresholdSec * 1000) {
    rec.today.answeredWithinT++;
    bucket.answeredWithinT++;
  }
}

/** The caller hung up before an answer at `atMs`: an abandon on the offer day (short, within T, or after T). Returns the wait in ms, or undefined when the call waited in no queue. */
export function countAbandoned(s: FloorState, c: CallState, atMs: number, sourceWaitMs?: number): number | undefined {
  const q = pendingQueue(s, c);
  if (!q) return undefined;
  const waitMs = leaveQueue(s, q, c, atMs, 'abandoned', sourceWaitMs);
  const sl = configFor(s, q.queueId, undefined).serviceLevel;
  const { rec, bucket } = offerRecord(s, q, c);
  rec.today.abandoned++;
  bucket.abandoned++;
  if (waitMs < sl.shortAbandonSec * 1000) {
    rec.today.shortAbandoned++;
    bucket.shortAbandoned++;
  } else if (waitMs > sl.thresholdSec * 1000) {
    rec.today.abandonedAfterT++;
    bucket.abandonedAfterT++;
  }
  return waitMs;
}

/** Counts (delta 1) or uncounts (−1) a call closed as end lost, on its offer day. */
export function countEndLost(s: FloorState, c: CallState, delta: 1 | -1): void {
  if (c.queueId === undefined) return;
  const q = s.queues.get(c.queueId);
  if (!q) return;
  const { rec, bucket } = offerRecord(s, q, c);
  rec.today.endLost += delta;
  bucket.endLost += delta;
  s.changes.queues.add(q.queueId);
  s.changes.kpis = true;
}
