/**
 * `talk-over` — do not talk over the caller: the agent starting to speak while the caller is talking
 * (talk detection, `call.talking`), for the `talkOverWarnAt`-th time on a call (default 3), warns;
 * later times raise its count. Issue 18.
 */
import { conversationThreshold } from '../../config.ts';
import { type CallState, type ConversationState, type FloorState, ALERT_EVIDENCE_CAP } from '../../state.ts';
import { countOnCall } from '../alerts.ts';
import { callConfig, enabled, timeline } from '../core.ts';

/** The agent started to talk at `atMs` (epoch ms) while the caller was talking. */
export function judgeTalkOver(s: FloorState, c: CallState, conv: ConversationState, atMs: number): void {
  const n = (conv.talkOvers = (conv.talkOvers ?? 0) + 1);
  const moments = (conv.talkOverEvidence ??= []);
  if (moments.length < ALERT_EVIDENCE_CAP) moments.push({ speaker: 'agent', startMs: atMs, endMs: atMs });
  timeline(c, { at: atMs, type: 'conversation.talk-over', agentId: c.agentId }, { n });
  const eff = callConfig(s, c);
  if (!enabled(eff, 'talk-over')) return;
  countOnCall(s, c, 'talk-over', 'warn', 'times', n, conversationThreshold(eff.rules, 'talkOverWarnAt'), atMs, moments);
}
