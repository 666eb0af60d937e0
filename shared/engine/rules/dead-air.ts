/**
 * `dead-air` — do not leave the line silent: a silence on an answered call, hold excluded, warns at
 * `deadAirWarnSec` (default 15 s) and is a breach at `deadAirBreachSec` (default 30 s). A silence runs
 * from the later of the agent's part beginning, the last hold's end and the last speech of either
 * party, while neither talks; it ends when either starts to speak, a hold begins, or the agent's part
 * ends. Issue 18.
 *
 * Live only on calls with talk detection (`call.talking`): a transcript tells of speech only when its
 * segment is final, after the speech, so a transcript-only call is judged when the next segment comes
 * (a live alert there would rise during every long sentence and be withdrawn at its end).
 */
import { conversationThreshold } from '../../config.ts';
import type { EffectiveConfig } from '../../config.ts';
import type { CallState, ConversationState, FloorState } from '../../state.ts';
import { type FinalSpec, finalize, raiseOrUpdate } from '../alerts.ts';
import { callConfig, enabled, round1, timeline } from '../core.ts';

/** When the current silence on the call began (epoch ms), or undefined when someone is talking or it is not a connected, unheld call. */
export function silenceSinceMs(c: CallState, conv: ConversationState): number | undefined {
  if (c.status !== 'talking' || conv.agent.talkingSinceMs !== undefined || conv.caller.talkingSinceMs !== undefined) return undefined;
  let since = c.segmentStartMs ?? c.answeredAtMs;
  if (since === undefined) return undefined;
  // The latest of four times, written out: the tick asks this of every connected call every second.
  const resumed = c.resumedAtMs;
  if (resumed !== undefined && resumed > since) since = resumed;
  const agentEnd = conv.agent.lastSpeechEndMs;
  if (agentEnd !== undefined && agentEnd > since) since = agentEnd;
  const callerEnd = conv.caller.lastSpeechEndMs;
  if (callerEnd !== undefined && callerEnd > since) since = callerEnd;
  return since;
}

function deadAirSpec(c: CallState, conv: ConversationState, sinceMs: number, atMs: number, eff: EffectiveConfig): FinalSpec & { on: boolean } {
  const warnSec = conversationThreshold(eff.rules, 'deadAirWarnSec');
  const breachSec = conversationThreshold(eff.rules, 'deadAirBreachSec');
  const sec = (atMs - sinceMs) / 1000;
  const level = sec >= breachSec ? 'breach' : sec >= warnSec ? 'warn' : null;
  return {
    id: `dead-air:${c.callId}:${(conv.deadAirs ?? 0) + 1}`,
    ruleId: 'dead-air',
    level,
    value: round1(sec),
    threshold: level === 'breach' ? breachSec : warnSec,
    unit: 'sec',
    raisedAtMs: sinceMs + warnSec * 1000,
    atMs,
    callId: c.callId,
    agentId: c.agentId,
    queueId: c.queueId,
    evidence: [{ startMs: sinceMs, endMs: atMs }],
    on: enabled(eff, 'dead-air'),
  };
}

/**
 * The silence on the call (if any) ends at `atMs`: speech began, a hold began, or the agent's part
 * ended. Judged with its final length; one that reached the warning goes on the call's timeline.
 */
export function endSilence(s: FloorState, c: CallState, conv: ConversationState, atMs: number): void {
  const since = silenceSinceMs(c, conv);
  if (since === undefined || atMs <= since) return;
  const { on, ...spec } = deadAirSpec(c, conv, since, atMs, callConfig(s, c));
  if (on) finalize(s, spec);
  if (spec.level === null) return;
  conv.deadAirs = (conv.deadAirs ?? 0) + 1;
  timeline(c, { at: since, type: 'conversation.dead-air', agentId: c.agentId }, { sec: spec.value });
}

/** Live: the silence on a call with talk detection, at `nowMs`. */
export function checkDeadAirLive(s: FloorState, c: CallState, conv: ConversationState, nowMs: number, eff: EffectiveConfig): void {
  if (!conv.talkDetection) return;
  const since = silenceSinceMs(c, conv);
  // A silence only grows: below the warning there is nothing to raise or update (the tick's common case).
  if (since === undefined || nowMs - since < conversationThreshold(eff.rules, 'deadAirWarnSec') * 1000) return;
  const { on, ...spec } = deadAirSpec(c, conv, since, nowMs, eff);
  if (on && spec.level !== null) raiseOrUpdate(s, { ...spec, level: spec.level });
}
