/**
 * `abandon-callback` — call back callers who hung up; keep the promise: an
 * abandoned caller on the callback worklist not reached back
 * `abandonCallbackWarnSec` (default 30 min, per queue) after their first
 * abandon warns, and at twice that is a breach. One alert per worklist item,
 * resolved when the item closes (reached, called in, expired, dropped) with
 * how long the caller waited for it: live ticks and a replay without them
 * record the same alert.
 */
import { DEFAULT_ABANDON_CALLBACK_WARN_SEC } from '../../config.ts';
import type { FloorState } from '../../state.ts';
import { type FinalSpec, finalize, raiseOrUpdate } from '../alerts.ts';
import { configFor, enabled } from '../core.ts';
import type { WorklistItem } from '../worklist.ts';

/** The breach comes at this multiple of the warning threshold (DESIGN: warn 30 min, breach 60 min). */
export const ABANDON_CALLBACK_BREACH_FACTOR = 2;

function itemSpec(s: FloorState, item: WorklistItem, atMs: number): FinalSpec & { on: boolean } {
  const eff = configFor(s, item.queueId, undefined);
  // A configuration saved before this rule existed has no threshold for it: the default holds.
  const warnSec = eff.rules.abandonCallbackWarnSec ?? DEFAULT_ABANDON_CALLBACK_WARN_SEC;
  const breachSec = warnSec * ABANDON_CALLBACK_BREACH_FACTOR;
  const ageSec = (atMs - item.firstAbandonedAtMs) / 1000;
  const level = ageSec >= breachSec ? 'breach' : ageSec >= warnSec ? 'warn' : null;
  return {
    id: `abandon-callback:${item.itemId}`,
    ruleId: 'abandon-callback',
    level,
    value: Math.round(ageSec),
    threshold: level === 'breach' ? breachSec : warnSec,
    unit: 'sec',
    raisedAtMs: item.firstAbandonedAtMs + warnSec * 1000,
    atMs,
    queueId: item.queueId,
    on: enabled(eff, 'abandon-callback'),
  };
}

/** Live: every open worklist item at `nowMs`. */
export function checkWorklistLive(s: FloorState, items: Iterable<WorklistItem>, nowMs: number): void {
  for (const item of items) {
    const { on, ...spec } = itemSpec(s, item, nowMs);
    if (on && spec.level !== null) raiseOrUpdate(s, { ...spec, level: spec.level });
  }
}

/** Final: the item closed at `atMs` (its alert, if the caller waited past the warning, is resolved with the wait). */
export function judgeItemClosed(s: FloorState, item: WorklistItem, atMs: number): void {
  const { on, ...spec } = itemSpec(s, item, atMs);
  if (on) finalize(s, spec);
}
