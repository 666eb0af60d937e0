/** `speakerphone` — use the speakerphone only when necessary: one continuous speaker-on stretch, live; warn after 60 s. */
import type { CallState, FloorState } from '../../state.ts';
import { type FinalSpec, finalize, raiseOrUpdate } from '../alerts.ts';
import { callConfig, enabled } from '../core.ts';

function speakerSpec(s: FloorState, c: CallState, onMs: number, atMs: number): FinalSpec & { on: boolean } {
  const eff = callConfig(s, c);
  const sec = onMs / 1000;
  return {
    id: `speakerphone:${c.callId}:${c.speakerOnMs ?? atMs}`,
    ruleId: 'speakerphone',
    level: sec >= eff.rules.speakerWarnSec ? 'warn' : null,
    value: Math.round(sec),
    threshold: eff.rules.speakerWarnSec,
    unit: 'sec',
    raisedAtMs: (c.speakerOnMs ?? atMs) + eff.rules.speakerWarnSec * 1000,
    atMs,
    callId: c.callId,
    agentId: c.agentId,
    queueId: c.queueId,
    on: enabled(eff, 'speakerphone'),
  };
}

/** Live: the speaker of a connected call on since `c.speakerOnMs`. */
export function checkSpeakerLive(s: FloorState, c: CallState, nowMs: number, eff = callConfig(s, c)): void {
  if (c.speakerOnMs === undefined) return;
  if (nowMs - c.speakerOnMs < eff.rules.speakerWarnSec * 1000) return; // below the warning: nothing to do
  const { on, ...spec } = speakerSpec(s, c, nowMs - c.speakerOnMs, nowMs);
  if (on && spec.level !== null) raiseOrUpdate(s, { ...spec, level: spec.level });
}

/** Final: the speaker went off (or the agent's part of the call ended) at `atMs`. */
export function endSpeaker(s: FloorState, c: CallState, atMs: number): void {
  if (c.speakerOnMs === undefined) return;
  const { on, ...spec } = speakerSpec(s, c, atMs - c.speakerOnMs, atMs);
  if (on) finalize(s, spec);
  c.speakerOnMs = undefined;
}
