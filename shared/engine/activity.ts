/**
 * The stale-call index of each floor (see bounds.ts): live calls by the engine
 * time of their latest event, waiting and connected apart, oldest first. A
 * leaf module (types only), so the engine's core can keep it up to date
 * without an import cycle.
 */
import type { CallState, FloorState } from '../state.ts';

/** Limits on the live calls the engine keeps (seconds of engine time; a count). */
export interface EngineLimits {
  /** A call queued or ringing with no event of its own for this long is closed as end lost, s. */
  staleWaitingSec: number;
  /** A call connected (talking or on hold) with no event of its own for this long is closed as end lost, s. */
  staleConnectedSec: number;
  /** Most live calls kept; beyond it the call idle longest is closed as end lost at once. */
  maxLiveCalls: number;
}

/**
 * Defaults. 4 h waiting: no queue keeps a caller that long (queue timeouts
 * are minutes), yet it is far beyond any queue-wait breach, so a real wait is
 * always judged first. 12 h connected: longer than any shift, so a real call
 * (however long, with its call-long breach) is never cut; a call with no
 * event for 12 h lost its end. 20,000 live calls: ten times the calls a
 * 2,000-seat floor has open at once, a few MB of state.
 */
export const DEFAULT_ENGINE_LIMITS: Readonly<EngineLimits> = Object.freeze({
  staleWaitingSec: 4 * 3600,
  staleConnectedSec: 12 * 3600,
  maxLiveCalls: 20_000,
});

/** The stale-call index and limits of one floor. */
export interface Bounds {
  limits: EngineLimits;
  /** Live calls queued or ringing: call id → engine time of their latest event, oldest first. */
  waiting: Map<string, number>;
  /** Live calls connected or on hold: call id → engine time of their latest event, oldest first. */
  connected: Map<string, number>;
  /**
   * No call goes stale before this (engine ms): a lower bound on the heads' due times, so a clock
   * move before it costs one comparison (a Map's first entry can sit behind many deleted slots).
   */
  nextDueMs: number;
  expiredStale: number;
  expiredCap: number;
}

export const boundsByState = new WeakMap<FloorState, Bounds>();

/** The index of floor `s`, made on first use (from its live calls, each as heard of now). */
export function boundsOf(s: FloorState): Bounds {
  let b = boundsByState.get(s);
  if (!b) {
    b = { limits: { ...DEFAULT_ENGINE_LIMITS }, waiting: new Map(), connected: new Map(), nextDueMs: Number.POSITIVE_INFINITY, expiredStale: 0, expiredCap: 0 };
    boundsByState.set(s, b);
    // A state built before its index (e.g. a copy): every live call counts as heard of now.
    for (const id of s.liveCalls) {
      const c = s.calls.get(id);
      if (c) (isWaiting(c) ? b.waiting : b.connected).set(id, s.nowMs);
    }
    if (b.waiting.size + b.connected.size > 0) b.nextDueMs = s.nowMs; // looked at on the next clock move
  }
  return b;
}

/**
 * Sets the live-call limits of floor `s` (missing fields keep their value).
 * Throws a RangeError for a limit that is not a positive number. Call it right
 * after `createFloorState`, before any event: a replay must fold with the
 * limits the live run had.
 */
export function setEngineLimits(s: FloorState, limits: Partial<EngineLimits>): void {
  const b = boundsOf(s);
  for (const [k, v] of Object.entries(limits) as [keyof EngineLimits, number | undefined][]) {
    if (v === undefined) continue;
    if (!Number.isFinite(v) || v <= 0) throw new RangeError(`engine limit ${k} must be a positive number, got ${String(v)}`);
    b.limits[k] = v;
  }
  b.nextDueMs = Number.NEGATIVE_INFINITY; // shorter limits may be due at once: look on the next clock move
}

function isWaiting(c: CallState): boolean {
  return c.status === 'queued' || c.status === 'ringing';
}

/**
 * Events of one call within this much engine time move it in the index once: its limit then
 * counts from its latest event to within a minute, and a busy call costs no Map churn per event.
 */
export const ACTIVITY_GRAIN_MS = 60_000;

/**
 * Records that call `callId` was just heard of (after its event was folded), at the engine's
 * clock, and returns the floor's bounds (for the live-call cap check that follows).
 */
export function noteCallActivity(s: FloorState, callId: string): Bounds {
  const b = boundsOf(s);
  const c = s.liveCalls.has(callId) ? s.calls.get(callId) : undefined;
  if (!c) {
    b.waiting.delete(callId);
    b.connected.delete(callId);
    return b;
  }
  const [into, other, limitSec] = isWaiting(c) ? [b.waiting, b.connected, b.limits.staleWaitingSec] : [b.connected, b.waiting, b.limits.staleConnectedSec];
  const seenMs = into.get(callId);
  if (seenMs !== undefined && s.nowMs - seenMs < ACTIVITY_GRAIN_MS) return b;
  other.delete(callId);
  into.delete(callId);
  into.set(callId, s.nowMs);
  const dueMs = s.nowMs + limitSec * 1000;
  if (dueMs < b.nextDueMs) b.nextDueMs = dueMs;
  return b;
}

/** Takes call `callId` out of the stale-call index (it ended, or left the live floor). */
export function forgetCallActivity(s: FloorState, callId: string): void {
  const b = boundsByState.get(s);
  if (!b) return;
  b.waiting.delete(callId);
  b.connected.delete(callId);
}

