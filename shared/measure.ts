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
