/**
 * `callback-missed` — be there when you promised; if you can't, call and
 * reschedule: a callback not completed 5 min after it was due is a breach. A
 * reschedule keeps a missed promise on record and starts the new one clean.
 */
import type { Callback, FloorState } from '../../state.ts';
import { closeAlert, type FinalSpec, finalize, raiseOrUpdate } from '../alerts.ts';
import { configFor, enabled } from '../core.ts';

function callbackSpec(s: FloorState, cb: Callback, atMs: number): FinalSpec & { on: boolean } {
  const a = s.agents.get(cb.agentId);
  const eff = configFor(s, undefined, a?.team);
  const lateSec = (atMs - cb.dueAtMs) / 1000;
  return {
    id: `callback-missed:${cb.callbackId}:${cb.reschedules}`,
    ruleId: 'callback-missed',
    level: lateSec >= eff.rules.callbackGraceSec ? 'breach' : null,
    value: Math.round(lateSec),
    threshold: eff.rules.callbackGraceSec,
    unit: 'sec',
    raisedAtMs: cb.dueAtMs + eff.rules.callbackGraceSec * 1000,
    atMs,
    callbackId: cb.callbackId,
    agentId: cb.agentId,
    on: enabled(eff, 'callback-missed'),
  };
}

/** Live: every open callback at `nowMs`. */
export function checkCallbacksLive(s: FloorState, nowMs: number): void {
  for (const cb of s.callbacks.values()) {
    if (cb.completedAtMs !== undefined) continue;
    const { on, ...spec } = callbackSpec(s, cb, nowMs);
    if (on && spec.level !== null) raiseOrUpdate(s, { ...spec, level: spec.level });
  }
}

/** Final: the callback was completed at `atMs`. */
export function judgeCallbackCompleted(s: FloorState, cb: Callback, atMs: number): void {
  const { on, ...spec } = callbackSpec(s, cb, atMs);
  if (on) finalize(s, spec);
}

/**
 * The callback is rescheduled at `atMs`: a missed promise stays on record
 * (resolved), judged by how late it was then, whether or not a live tick had
 * raised it (a replay of the log has no ticks and records the same).
 */
export function endMissedPromise(s: FloorState, cb: Callback, atMs: number): void {
  const { on, ...spec } = callbackSpec(s, cb, atMs);
  const open = s.alerts.get(spec.id);
  if (on) finalize(s, spec);
  else if (open) closeAlert(s, open, atMs, 'resolved');
}
