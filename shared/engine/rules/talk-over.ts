/**
 * `talk-over` — do not talk over the caller: the agent starting to speak while the caller is talking
 * (talk detection, `call.talking`), for the `talkOverWarnAt`-th time on a call (default 3), warns;
 * later times raise its count. Issue 18.
 *
 * Judged when the caller's speech is known to have gone on past the agent's start: at the caller's
 * stop, when it is dated after that start, or at the end of the agent's part with the caller still
 * talking. Talk detection reports a stop only after a silence (Asterisk's TALK_DETECT: 2.5 s by
 * default), dated back to the last word, so an agent who answers within that silence starts while
 * the caller still counts as talking; the stop then shows the caller had finished.
 */
import { conversationThreshold } from '../../config.ts';
import { type CallState, type ConversationState, type FloorState, ALERT_EVIDENCE_CAP } from '../../state.ts';
import { countOnCall } from '../alerts.ts';
import { callConfig, enabled, timeline } from '../core.ts';

/** Most agent starts kept waiting for one stretch of the caller's speech (each needs a stop of the agent's between). */
const CUT_INS_KEPT = 32;

/** The agent started to talk at `atMs` (epoch ms) while the caller was talking: judged at the caller's stop. */
export function noteCutIn(conv: ConversationState, atMs: number): void {
  const pending = (conv.cutInsMs ??= []);
  if (pending.length < CUT_INS_KEPT) pending.push(atMs);
}

/**
 * The caller's speech ended at `callerEndMs` (epoch ms; its stop, or the end of the agent's part): the
 * agent's starts before it were talk-overs, a start at or after it was the agent taking their turn.
 */
export function settleCutIns(s: FloorState, c: CallState, conv: ConversationState, callerEndMs: number): void {
  const pending = conv.cutInsMs;
  if (!pending) return;
  delete conv.cutInsMs;
  for (const atMs of pending) if (atMs < callerEndMs) judgeTalkOver(s, c, conv, atMs);
}

/** The agent started to talk at `atMs` (epoch ms) while the caller was talking, and the caller went on. */
export function judgeTalkOver(s: FloorState, c: CallState, conv: ConversationState, atMs: number): void {
  const n = (conv.talkOvers = (conv.talkOvers ?? 0) + 1);
  const moments = (conv.talkOverEvidence ??= []);
  if (moments.length < ALERT_EVIDENCE_CAP) moments.push({ speaker: 'agent', startMs: atMs, endMs: atMs });
  timeline(c, { at: atMs, type: 'conversation.talk-over', agentId: c.agentId }, { n });
  const eff = callConfig(s, c);
  if (!enabled(eff, 'talk-over')) return;
  countOnCall(s, c, 'talk-over', 'warn', 'times', n, conversationThreshold(eff.rules, 'talkOverWarnAt'), atMs, moments);
}
