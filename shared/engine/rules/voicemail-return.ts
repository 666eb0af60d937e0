/**
 * `voicemail-return` — check voicemail at the start and end of every day and
 * answer it: an unreturned voicemail warns after 4 h and is a breach at the
 * close of the business day it must be returned by.
 */
import type { FloorState, Voicemail } from '../../state.ts';
import { type FinalSpec, finalize, raiseOrUpdate } from '../alerts.ts';
import { configFor, enabled } from '../core.ts';

function voicemailSpec(s: FloorState, v: Voicemail, atMs: number): FinalSpec & { on: boolean } {
  const eff = configFor(s, v.queueId, undefined);
  const ageSec = (atMs - v.leftAtMs) / 1000;
  const warnAt = Math.min(v.leftAtMs + eff.rules.voicemailWarnSec * 1000, v.dueByMs);
  const level = atMs >= v.dueByMs ? 'breach' : ageSec >= eff.rules.voicemailWarnSec ? 'warn' : null;
  return {
    id: `voicemail-return:${v.voicemailId}`,
    ruleId: 'voicemail-return',
    level,
    value: Math.round(ageSec),
    threshold: level === 'breach' ? Math.round((v.dueByMs - v.leftAtMs) / 1000) : eff.rules.voicemailWarnSec,
    unit: 'sec',
    raisedAtMs: warnAt,
    atMs,
    voicemailId: v.voicemailId,
    agentId: v.agentId,
    queueId: v.queueId,
    on: enabled(eff, 'voicemail-return'),
  };
}

/** Live: every unreturned voicemail at `nowMs`. */
export function checkVoicemailsLive(s: FloorState, nowMs: number): void {
  for (const v of s.voicemails.values()) {
    if (v.returnedAtMs !== undefined) continue;
    const { on, ...spec } = voicemailSpec(s, v, nowMs);
    if (on && spec.level !== null) raiseOrUpdate(s, { ...spec, level: spec.level });
  }
}

/** Final: the voicemail was returned at `atMs`. */
export function judgeVoicemailReturned(s: FloorState, v: Voicemail, atMs: number): void {
  const { on, ...spec } = voicemailSpec(s, v, atMs);
  if (on) finalize(s, spec);
}
