/**
 * The hold family. `hold-long` — don't leave a caller on hold; check back: one
 * hold's length, live (warn 45 s, breach 90 s). `hold-repeat` — being put on
 * hold again and again exhausts callers: breach at the 3rd hold of a call.
 * `hold-permission` — ask the caller before putting them on hold: a hold with
 * `askedPermission: false` is a breach (a missing flag is "unknown", never "no").
 */
import type { EventOf } from '../../events.ts';
import type { CallState, FloorState } from '../../state.ts';
import { type FinalSpec, finalize, raiseOrUpdate, recordFact } from '../alerts.ts';
import { callConfig, enabled, round1 } from '../core.ts';
import { recordOmission } from './omission.ts';

function holdLongSpec(s: FloorState, c: CallState, holdMs: number, atMs: number): FinalSpec & { on: boolean } {
  const eff = callConfig(s, c);
  const r = eff.rules;
  const sec = holdMs / 1000;
  const level = sec >= r.holdLongBreachSec ? 'breach' : sec >= r.holdLongWarnSec ? 'warn' : null;
  return {
    id: `hold-long:${c.callId}:${c.holdCount}`,
    ruleId: 'hold-long',
    level,
    value: round1(sec),
    threshold: level === 'breach' ? r.holdLongBreachSec : r.holdLongWarnSec,
    unit: 'sec',
    raisedAtMs: (c.holdStartMs ?? atMs) + r.holdLongWarnSec * 1000,
    atMs,
    callId: c.callId,
    agentId: c.agentId,
    queueId: c.queueId,
    on: enabled(eff, 'hold-long'),
  };
}

/** Live: the current hold of a call on hold, at `nowMs`. */
export function checkHoldLive(s: FloorState, c: CallState, nowMs: number, eff = callConfig(s, c)): void {
  if (c.status !== 'hold' || c.holdStartMs === undefined) return;
  // A hold only grows: below the warning there is nothing to raise or update (the tick's common case).
  if (nowMs - c.holdStartMs < eff.rules.holdLongWarnSec * 1000) return;
  const { on, ...spec } = holdLongSpec(s, c, nowMs - c.holdStartMs, nowMs);
  if (on && spec.level !== null) raiseOrUpdate(s, { ...spec, level: spec.level });
}

/** Final: a hold of `holdMs` ended at `atMs`. */
export function judgeHold(s: FloorState, c: CallState, holdMs: number, atMs: number): void {
  const { on, ...spec } = holdLongSpec(s, c, holdMs, atMs);
  if (on) finalize(s, spec);
}

/** At a hold's start (the call's `holdCount` already counts it): permission and repetition. */
export function judgeHoldStart(s: FloorState, c: CallState, e: EventOf<'call.hold'>): void {
  const eff = callConfig(s, c);
  if (e.askedPermission === false && enabled(eff, 'hold-permission')) {
    recordOmission(s, c, 'hold-permission', `hold-permission:${c.callId}:${c.holdCount}`, e.at, c.agentId);
  }
  if (c.holdCount >= eff.rules.holdRepeatBreachAt && enabled(eff, 'hold-repeat')) {
    recordFact(s, {
      id: `hold-repeat:${c.callId}:${c.holdCount}`,
      ruleId: 'hold-repeat',
      level: 'breach',
      value: c.holdCount,
      threshold: eff.rules.holdRepeatBreachAt,
      unit: 'holds',
      raisedAtMs: e.at,
      atMs: e.at,
      callId: c.callId,
      agentId: c.agentId,
      queueId: c.queueId,
    });
  }
}
