/**
 * `ring-limit` — answer every call within three rings. Judged per ring: a call
 * may ring several agents at once, and each ring is its own. Rings come from
 * an explicit count or from ringing time ÷ cadence (the 1st ring sounds at
 * once). Warn live at ring 3, breach at ring 4 (defaults). A ring that timed
 * out on the agent is judged; a ring cut off by a colleague's answer or the
 * caller hanging up is never held against the agent (its live alert is retracted).
 */
import type { CallState, FloorState, Ring, RingOutcome } from '../../state.ts';
import { ringsAfter } from '../../measure.ts';
import { type FinalSpec, finalize, raiseOrUpdate } from '../alerts.ts';
import { callConfig, enabled } from '../core.ts';

function ringSpec(s: FloorState, c: CallState, ring: Ring, rings: number, atMs: number): FinalSpec & { on: boolean } {
  const eff = callConfig(s, c, ring.agentId);
  const r = eff.rules;
  const level = rings >= r.ringBreachAt ? 'breach' : rings >= r.ringWarnAt ? 'warn' : null;
  const cadenceMs = r.ringCadenceSec * 1000;
  return {
    id: `ring-limit:${c.callId}:${ring.attempt}`,
    ruleId: 'ring-limit',
    level,
    value: rings,
    threshold: level === 'breach' ? r.ringBreachAt : r.ringWarnAt,
    unit: 'rings',
    raisedAtMs: ring.startMs !== undefined ? Math.min(atMs, ring.startMs + (r.ringWarnAt - 1) * cadenceMs) : atMs,
    atMs,
    callId: c.callId,
    agentId: ring.agentId,
    queueId: c.queueId,
    on: enabled(eff, 'ring-limit'),
  };
}

/** Rings a ring has sounded by `atMs` (from its start and the cadence), or undefined when its start is unknown. */
export function ringsSoFar(s: FloorState, c: CallState, ring: Ring, atMs: number): number | undefined {
  if (ring.startMs === undefined) return undefined;
  return ringsAfter(atMs - ring.startMs, callConfig(s, c, ring.agentId).rules.ringCadenceSec);
}

/** Live: every open ring of a call, at `nowMs`. */
export function checkRingsLive(s: FloorState, c: CallState, nowMs: number): void {
  for (const ring of c.rings) {
    const rings = ringsSoFar(s, c, ring, nowMs);
    // A ring only grows: below the warning there is nothing to raise or update (the tick's common case).
    if (rings === undefined || rings < callConfig(s, c, ring.agentId).rules.ringWarnAt) continue;
    const { on, ...spec } = ringSpec(s, c, ring, rings, nowMs);
    if (on && spec.level !== null) raiseOrUpdate(s, { ...spec, level: spec.level });
  }
}

/** Final: a ring ended with `rings` rings; a canceled ring is never held against the agent. */
export function judgeRing(s: FloorState, c: CallState, ring: Ring, rings: number | undefined, atMs: number, outcome: RingOutcome): void {
  if (rings === undefined) return;
  const { on, ...spec } = ringSpec(s, c, ring, rings, atMs);
  if (!on) return;
  // Canceled: withdrawn if a tick raised it, recorded against the warning like every withdrawn one.
  finalize(s, outcome === 'canceled' ? { ...spec, level: null, threshold: callConfig(s, c, ring.agentId).rules.ringWarnAt } : spec);
}
