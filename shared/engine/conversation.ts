/**
 * The conversation on a call: transcript segments (`call.transcript`) and voice activity
 * (`call.talking`), and the six conversation rules they feed (issue 18): `greeting`
 * (rules/greeting.ts), `clarity`, `language` and `dont-know` (rules/spoken-words.ts), `dead-air`
 * (rules/dead-air.ts) and `talk-over` (rules/talk-over.ts).
 *
 * The state keeps times and counts, never words: a segment's words are read once, into cues
 * (shared/engine/cues.ts), when it is applied. A segment logged without its words (the server's
 * `--transcripts evidence|drop`) carries its cues, so a replay judges it as it was judged live. Which
 * words are kept, and where, is the server's decision, made outside the state.
 *
 * Timeline entries only for what the rules note (the greeting, a repeat request, a listed word, an "I
 * don't know", a long silence, a talk-over): talk detection reports every few seconds per party and a
 * call has dozens of segments, which would fill the call's capped timeline (TIMELINE_CAP) with noise.
 */
import type { EffectiveConfig } from '../config.ts';
import { type EventOf, SEGMENT_OFFSET_LIMIT_MS, type TranscriptCue } from '../events.ts';
import type { AlertEvidence, CallState, ConversationState, FloorState, PartyVoice } from '../state.ts';
import { type Handler, callOrOrphan } from './calls.ts';
import { isConnected, touchCall } from './core.ts';
import { withdrawOpen } from './alerts.ts';
import { type SegmentReading, readSegment, readingContext } from './cues.ts';
import { checkGreetingLive, endGreeting, judgeGreetingTime, judgeGreetingWords } from './rules/greeting.ts';
import { agentSpokeAfterDontKnow, callerSpokeAfterDontKnow, checkDontKnowLive, endDontKnow, judgeClarity, judgeDontKnow, judgeLanguage, settleDontKnow } from './rules/spoken-words.ts';
import { checkDeadAirLive, endSilence } from './rules/dead-air.ts';
import { noteCutIn, settleCutIns } from './rules/talk-over.ts';

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

/** A party began to speak at `startMs` on a connected call: the silence before ends; the agent's speech goes on with their turn, the caller's ends it. */
function speechStarts(s: FloorState, c: CallState, conv: ConversationState, party: 'agent' | 'caller', startMs: number, seg?: AlertEvidence): void {
  endSilence(s, c, conv, startMs);
  if (party === 'agent') {
    judgeGreetingTime(s, c, conv, startMs, seg);
    agentSpokeAfterDontKnow(s, c, conv, startMs);
  } else callerSpokeAfterDontKnow(s, c, conv, startMs);
}

/**
 * Applies a transcript segment to its call. Only `final` segments count (an engine's interim guesses
 * are replaced by its final one). Per speaker it keeps `firstSpeechMs`, `lastSpeechEndMs` and
 * `finalSegments`; on a connected call the rules judge it: the silence before it (dead-air), the
 * agent's first segment (greeting), a caller's request to repeat (clarity), the agent's listed words
 * (language) and "I don't know"s (dont-know). The words are read into cues here and not kept.
 */
export function noteTranscript(s: FloorState, c: CallState, e: EventOf<'call.transcript'>): void {
  if (!e.final) return;
  const conv = conversationOf(c);
  const voice = conv[e.speaker];
  const startMs = segmentTimeMs(c, e.startMs, e.at);
  const endMs = segmentTimeMs(c, e.endMs, e.at);
  const connected = isConnected(c) && c.answeredAtMs !== undefined;
  if (connected) {
    const seg: AlertEvidence = { speaker: e.speaker, startMs, endMs };
    settleDontKnow(s, c, conv, startMs);
    speechStarts(s, c, conv, e.speaker, startMs, seg);
    const cues = e.text.trim().length > 0 ? readTranscript(s, e).cues : (e.cues ?? []);
    judgeSegment(s, c, conv, e.speaker, cues, seg);
  }
  if (e.lang !== undefined) conv.lang = e.lang;
  if (voice.firstSpeechMs === undefined || startMs < voice.firstSpeechMs) voice.firstSpeechMs = startMs;
  voice.lastSpeechEndMs = later(voice.lastSpeechEndMs, endMs);
  voice.finalSegments = (voice.finalSegments ?? 0) + 1;
  if (connected) touchCall(s, c);
}

/**
 * Reads a transcript segment's words (shared/engine/cues.ts) as the rules do when it is applied: with
 * the floor's phrase lists and company names, the name of the call's agent, and in the segment's
 * language — else the language of the call's last segment that named one, else the floor's
 * `transcriptLang`, else every listed language. The server calls it to log a segment's cues instead of
 * its words (`--transcripts evidence|drop`) and to find the spans it shows; it reads, never changes, `s`.
 */
export function readTranscript(s: FloorState, e: Pick<EventOf<'call.transcript'>, 'callId' | 'text' | 'lang'>): SegmentReading {
  const c = s.calls.get(e.callId);
  const agentName = c?.agentId !== undefined ? s.agents.get(c.agentId)?.name : undefined;
  return readSegment(e.text, e.lang ?? c?.conversation?.lang ?? s.config.transcriptLang, readingContext(s.config, agentName));
}

/** The rules read in one final segment's words. */
function judgeSegment(s: FloorState, c: CallState, conv: ConversationState, speaker: 'agent' | 'caller', cues: readonly TranscriptCue[], seg: AlertEvidence): void {
  if (speaker === 'caller') {
    judgeClarity(s, c, conv, cues, seg);
    return;
  }
  judgeGreetingWords(s, c, conv, cues, seg);
  judgeLanguage(s, c, conv, cues, seg);
  judgeDontKnow(s, c, conv, cues, seg);
}

/**
 * Applies voice activity to its call, at the event's time `e.at` (epoch ms): `talking: true` opens the
 * party's stretch of speech (`talkingSinceMs`, kept from the first start when a start repeats),
 * `talking: false` closes it (`lastSpeechEndMs`). On a connected call a start ends the silence before
 * it (dead-air), times the agent's first words (greeting), and notes the agent starting while the
 * caller talks, a talk-over if the caller's stop comes dated after it (rules/talk-over.ts). A stop
 * without a start (detection set after the party began) just closes.
 */
export function noteTalking(s: FloorState, c: CallState, e: EventOf<'call.talking'>): void {
  const conv = conversationOf(c);
  conv.talkDetection = true;
  const voice: PartyVoice = conv[e.party];
  const connected = isConnected(c) && c.answeredAtMs !== undefined;
  if (connected) settleDontKnow(s, c, conv, e.at);
  if (e.talking) {
    const starts = voice.talkingSinceMs === undefined;
    if (connected && starts) {
      speechStarts(s, c, conv, e.party, e.at);
      if (e.party === 'agent' && c.status === 'talking' && conv.caller.talkingSinceMs !== undefined) noteCutIn(conv, e.at);
    }
    voice.talkingSinceMs ??= e.at;
    voice.firstSpeechMs ??= e.at;
  } else {
    if (e.party === 'caller') settleCutIns(s, c, conv, e.at);
    delete voice.talkingSinceMs;
    voice.lastSpeechEndMs = later(voice.lastSpeechEndMs, e.at);
  }
  if (connected) touchCall(s, c);
}

/** A hold begins at `atMs`: a lapsed "I don't know" is settled, the silence before ends there (hold time is never dead air). */
export function conversationHolds(s: FloorState, c: CallState, atMs: number): void {
  if (!c.conversation) return;
  settleDontKnow(s, c, c.conversation, atMs);
  endSilence(s, c, c.conversation, atMs);
}

/**
 * The call's end was lost and it is closed at `atMs`, the best-known time: the silence running up to
 * it may be the time after the real, unreported end, so it is no one's dead air — a live alert of it
 * is withdrawn (as a replay, which sees no tick, never raises it) and the silence is not judged.
 */
export function forgetSilence(s: FloorState, c: CallState, atMs: number): void {
  const conv = c.conversation;
  if (!conv) return;
  const open = s.alerts.get(`dead-air:${c.callId}:${(conv.deadAirs ?? 0) + 1}`);
  if (open) withdrawOpen(s, open, atMs, open.value, open.threshold);
  for (const voice of [conv.agent, conv.caller]) {
    delete voice.talkingSinceMs;
    voice.lastSpeechEndMs = later(voice.lastSpeechEndMs, atMs);
  }
}

/**
 * The agent's part of a call ends at `atMs` (end, transfer, lost end; the call is still connected):
 * its silence, an agent never heard (greeting) and a bare "I don't know" still waiting are judged.
 */
export function endConversationSegment(s: FloorState, c: CallState, atMs: number): void {
  const conv = c.conversation;
  if (!conv) return;
  endSilence(s, c, conv, atMs);
  endGreeting(s, c, conv, atMs);
  endDontKnow(s, c, conv, atMs);
  // The caller still talking at the part's end talked on past the agent's starts.
  settleCutIns(s, c, conv, atMs);
  // Speech in progress belongs to this part: the next agent's silence counts from their own start.
  delete conv.agent.talkingSinceMs;
  delete conv.caller.talkingSinceMs;
}

/** Live, at `nowMs`: a connected call's greeting not yet heard, its silence, its pending "I don't know". */
export function checkConversationLive(s: FloorState, c: CallState, nowMs: number, eff: EffectiveConfig): void {
  const conv = c.conversation;
  if (!conv) return;
  // Each check only when it has something to watch: the tick comes to every connected call every second.
  if (conv.greetingTimedSegment !== c.segments) checkGreetingLive(s, c, conv, nowMs, eff);
  if (conv.talkDetection) checkDeadAirLive(s, c, conv, nowMs, eff);
  if (conv.dontKnow) checkDontKnowLive(s, c, conv, nowMs);
}

/** `call.transcript`: an unknown call counts as an orphan, as for any call event; else the segment is applied. */
export const onTranscript: Handler<'call.transcript'> = (s, e) => {
  const c = callOrOrphan(s, e);
  if (c) noteTranscript(s, c, e);
};

/** `call.talking`: an unknown call counts as an orphan, as for any call event; else the voice activity is applied. */
export const onTalking: Handler<'call.talking'> = (s, e) => {
  const c = callOrOrphan(s, e);
  if (c) noteTalking(s, c, e);
};
