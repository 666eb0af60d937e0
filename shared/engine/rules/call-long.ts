/**
 * `call-long` — a call that runs on costs the other callers of the day. The
 * agent's part of the call (their segment), live, against the per-call budget
 * = shift minutes × target occupancy ÷ daily quota: warn at 1×, breach at 2×
 * (8 h × 85 % ÷ 30 calls ≈ 13.6 min).
 */
import type { Alert, CallState, FloorState } from '../../state.ts';
import { type FinalSpec, finalize, raiseOrUpdate, remeasure } from '../alerts.ts';
import { callConfig, enabled } from '../core.ts';

function callLongSpec(s: FloorState, c: CallState, segmentStartMs: number, atMs: number, agentId = c.agentId): FinalSpec & { on: boolean } {
  const eff = callConfig(s, c, agentId);
  const r = eff.rules;
  const budget = eff.callBudgetSec;
  const sec = Math.max(0, atMs - segmentStartMs) / 1000;
  const level = sec >= r.callLongBreachFactor * budget ? 'breach' : sec >= r.callLongWarnFactor * budget ? 'warn' : null;
  return {
    id: callLongId(c),
    ruleId: 'call-long',
    level,
    value: Math.round(sec),
    threshold: Math.round((level === 'breach' ? r.callLongBreachFactor : r.callLongWarnFactor) * budget),
    unit: 'sec',
    raisedAtMs: segmentStartMs + r.callLongWarnFactor * budget * 1000,
    atMs,
    callId: c.callId,
    agentId,
    queueId: c.queueId,
    on: enabled(eff, 'call-long'),
  };
}

/** The id of the call-long alert of the call's current (or last) segment. */
export function callLongId(c: CallState): string {
  return `call-long:${c.callId}:${c.segments}`;
}

/** Live: a connected call's current segment, at `nowMs`. */
export function checkCallLongLive(s: FloorState, c: CallState, nowMs: number, eff = callConfig(s, c)): void {
  if (c.segmentStartMs === undefined) return;
  // A call only grows: below the warning there is nothing to raise or update (the tick's common case).
  if (nowMs - c.segmentStartMs < eff.rules.callLongWarnFactor * eff.callBudgetSec * 1000) return;
  const { on, ...spec } = callLongSpec(s, c, c.segmentStartMs, nowMs);
  if (on && spec.level !== null) raiseOrUpdate(s, { ...spec, level: spec.level });
}

/** Final: the segment that began at `segmentStartMs` ended at `atMs`. */
export function judgeCallLong(s: FloorState, c: CallState, segmentStartMs: number, atMs: number): void {
  const { on, ...spec } = callLongSpec(s, c, segmentStartMs, atMs);
  if (on) finalize(s, spec);
}

/** Correction: the segment's true end came late (its end had been lost); re-judges the closed alert. */
export function rejudgeCallLong(s: FloorState, c: CallState, existing: Alert | undefined, segmentStartMs: number, atMs: number, agentId: string | undefined): void {
  const { on, ...spec } = callLongSpec(s, c, segmentStartMs, atMs, agentId);
  if (on) remeasure(s, existing, spec);
}
