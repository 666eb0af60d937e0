/**
 * Small measurement formulas shared by the engine and the views. No imports:
 * the browser bundle takes these without the schema library.
 */

/** Rings heard after `elapsedMs` of ringing: the first ring sounds at once. */
export function ringsAfter(elapsedMs: number, cadenceSec: number): number {
  return Math.floor(Math.max(0, elapsedMs) / (cadenceSec * 1000)) + 1;
}

/** Per-call budget in seconds: shift minutes × target occupancy ÷ daily quota. */
export function callBudgetSec(w: { shiftMinutes: number; targetOccupancy: number; dailyQuota: number }): number {
  return (w.shiftMinutes * 60 * w.targetOccupancy) / w.dailyQuota;
}

/**
 * Calls the daily quota expects by `nowMs`: the quota times the share of the
 * shift elapsed since the agent's first sign-in of the day (null before it).
 * The engine's pace rule and the views' pace marker both use it, so a view
 * recomputes the pace each second instead of showing the value of its last push.
 */
export function paceExpectedAt(shiftStartMs: number | null | undefined, shiftMinutes: number, dailyQuota: number, nowMs: number): number | null {
  if (shiftStartMs === undefined || shiftStartMs === null) return null;
  const share = Math.min(1, Math.max(0, (nowMs - shiftStartMs) / (shiftMinutes * 60_000)));
  return dailyQuota * share;
}
