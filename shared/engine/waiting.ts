/**
 * The callers waiting in a queue, in order of their wait: `QueueState.waiting`
 * with the bookkeeping that keeps its longest wait O(1). A leaf module (types
 * only), so the engine's core can use it without an import cycle.
 */
import type { QueueState } from '../state.ts';

/**
 * Keeps the head of `q.waiting` the longest wait without a scan: `maxMs` is the
 * latest entry time set in order; an entry set earlier than it (a back-dated
 * caller) waits in `unordered` until it leaves. While `unordered` is empty the
 * Map's first entry is the oldest caller (entries are only ever appended).
 */
interface WaitOrder {
  maxMs: number;
  unordered: Set<string>;
}
const waitOrders = new WeakMap<QueueState, WaitOrder>();

function waitOrder(q: QueueState): WaitOrder {
  let o = waitOrders.get(q);
  if (!o) {
    o = { maxMs: Number.NEGATIVE_INFINITY, unordered: new Set() };
    for (const [id, at] of q.waiting) {
      if (at < o.maxMs) o.unordered.add(id);
      else o.maxMs = at;
    }
    waitOrders.set(q, o);
  }
  return o;
}

/** Caller `callId` waits in `q` since `sinceMs` (appended: a caller already listed moves to the end). */
export function enterWaiting(q: QueueState, callId: string, sinceMs: number): void {
  const o = waitOrder(q);
  q.waiting.delete(callId);
  o.unordered.delete(callId);
  q.waiting.set(callId, sinceMs);
  if (sinceMs < o.maxMs) o.unordered.add(callId);
  else o.maxMs = sinceMs;
}

/** The caller waiting longest in `q`: [callId, queued since ms]; O(1) unless back-dated callers wait (then O(their number) more). */
export function oldestWaiting(q: QueueState): [string, number] | undefined {
  if (q.waiting.size === 0) return undefined;
  const o = waitOrder(q);
  let oldest: [string, number] | undefined;
  for (const entry of q.waiting) {
    if (o.unordered.has(entry[0])) continue;
    oldest = entry; // the first entry set in order: the oldest of those
    break;
  }
  for (const id of o.unordered) {
    const at = q.waiting.get(id);
    if (at !== undefined && (oldest === undefined || at < oldest[1])) oldest = [id, at];
  }
  return oldest;
}

/** Caller `callId` left `q.waiting` (the caller deletes the entry itself). */
export function leftWaiting(q: QueueState, callId: string): void {
  waitOrders.get(q)?.unordered.delete(callId);
}
