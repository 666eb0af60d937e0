/**
 * The conversation on a call: transcript segments (`call.transcript`) and voice activity
 * (`call.talking`). This step only records, per call, what the conversation rules of issue 18 will
 * read (greeting, clarity, language, dont-know, dead-air, talk-over); no rule judges yet, so no figure,
 * alert or timeline entry changes, and the call is not pushed to screens.
 *
 * What is kept is times and counts, never words: the transcript text is not stored in the state. Which
 * text is kept, and where (all of it, only the segments that raised an alert, or none), is the later
 * `--transcripts keep|evidence|drop` option's decision, made outside the state.
 *
 * No timeline entries: talk detection reports every few seconds per party and a call has dozens of
 * segments, which would fill the call's capped timeline (TIMELINE_CAP) with noise; the rules will add
 * entries for what they flag (the greeting, a repeat request, a dead-air stretch).
 */
import { type EventOf, SEGMENT_OFFSET_LIMIT_MS } from '../events.ts';
import type { CallState, ConversationState, FloorState, PartyVoice } from '../state.ts';
import { type Handler, callOrOrphan } from './calls.ts';

/** The call's conversation record, made on its first conversation event. */
function conversationOf(c: CallState): ConversationState {
  c.conversation ??= { agent: {}, caller: {} };
  return c.conversation;
}

/** The later of a kept time and a new one (segments and stops may arrive out of order). */
function later(kept: number | undefined, ms: number): number {
  return kept === undefined || ms > kept ? ms : kept;
}

/**
 * A transcript time as epoch ms: an offset (`< SEGMENT_OFFSET_LIMIT_MS`) counts from the call's answer;
 * before any answer an offset has no anchor, and the event's own time `atMs` stands in for it.
 */
export function segmentTimeMs(c: CallState, ms: number, atMs: number): number {
  if (ms >= SEGMENT_OFFSET_LIMIT_MS) return ms;
  return c.answeredAtMs !== undefined ? c.answeredAtMs + ms : atMs;
}

/**
 * Records a transcript segment on its call. Only `final` segments count (an engine's interim guesses
 * are replaced by its final one); per speaker it keeps `firstSpeechMs` (start of the first final
 * segment: the greeting rule measures it from the answer), `lastSpeechEndMs` (the latest end: dead-air
 * measures silence from it) and `finalSegments` (how many). The words are not kept.
 * `s` is passed for the rules that will raise alerts from here.
 */
export function noteTranscript(_s: FloorState, c: CallState, e: EventOf<'call.transcript'>): void {
  if (!e.final) return;
  const voice = conversationOf(c)[e.speaker];
  const startMs = segmentTimeMs(c, e.startMs, e.at);
  const endMs = segmentTimeMs(c, e.endMs, e.at);
  if (voice.firstSpeechMs === undefined || startMs < voice.firstSpeechMs) voice.firstSpeechMs = startMs;
  voice.lastSpeechEndMs = later(voice.lastSpeechEndMs, endMs);
  voice.finalSegments = (voice.finalSegments ?? 0) + 1;
}

/**
 * Records voice activity on its call, at the event's time `e.at` (epoch ms): `talking: true` opens
 * the party's stretch of speech (`talkingSinceMs`, kept from the first start when a start repeats),
 * `talking: false` closes it (`lastSpeechEndMs`). The talk-over rule will read, when the agent starts,
 * whether the caller's `talkingSinceMs` is set; dead-air reads both parties' `talkingSinceMs` and
 * `lastSpeechEndMs`. A stop without a start (detection set after the party began) just closes.
 * `s` is passed for the rules that will raise alerts from here.
 */
export function noteTalking(_s: FloorState, c: CallState, e: EventOf<'call.talking'>): void {
  const voice: PartyVoice = conversationOf(c)[e.party];
  if (e.talking) {
    voice.talkingSinceMs ??= e.at;
    voice.firstSpeechMs ??= e.at;
  } else {
    delete voice.talkingSinceMs;
    voice.lastSpeechEndMs = later(voice.lastSpeechEndMs, e.at);
  }
}

/** `call.transcript`: an unknown call counts as an orphan, as for any call event; else the call's record of final segments (no figure changes yet). */
export const onTranscript: Handler<'call.transcript'> = (s, e) => {
  const c = callOrOrphan(s, e);
  if (c) noteTranscript(s, c, e);
};

/** `call.talking`: an unknown call counts as an orphan, as for any call event; else the call's record of voice activity (no figure changes yet). */
export const onTalking: Handler<'call.talking'> = (s, e) => {
  const c = callOrOrphan(s, e);
  if (c) noteTalking(s, c, e);
};
