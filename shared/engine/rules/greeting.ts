/**
 * `greeting` — introduce yourself at once: the agent's first words on their part of a call come within
 * N s of the answer (warn when later than `greetingWarnSec`, default 5 s: "later than", so 5.0 s is in
 * time) and say who is speaking and from where (a breach when the agent's first final transcript
 * segment lacks the agent's name, or the company's when the floor names it in `companyNames`).
 * Judged per agent segment (a transferred call is greeted again by the new agent). Issue 18.
 *
 * Only calls with a conversation (transcripts or talk detection) are judged: a floor without either
 * never hears of this rule. The first words come from a talk-detection start or a final segment's start,
 * whichever is known first.
 */
import { conversationThreshold } from '../../config.ts';
import type { TranscriptCue } from '../../events.ts';
import type { AlertEvidence, CallState, ConversationState, FloorState } from '../../state.ts';
import { type FinalSpec, addEvidence, finalize, findAnyAlert, raiseOrUpdate, recordFact, touchAlert } from '../alerts.ts';
import { type EffectiveConfig } from '../../config.ts';
import { callConfig, enabled, round1, timeline } from '../core.ts';

/** When the current agent's part of the call began (the answer, or a transfer in), epoch ms. */
function segmentAnchor(c: CallState): number | undefined {
  return c.segmentStartMs ?? c.answeredAtMs;
}

function lateSpec(s: FloorState, c: CallState, afterMs: number, atMs: number, eff: EffectiveConfig, evidence?: AlertEvidence[]): FinalSpec & { on: boolean } {
  const warnSec = conversationThreshold(eff.rules, 'greetingWarnSec');
  const sec = afterMs / 1000;
  return {
    id: `greeting:${c.callId}:${c.segments}:late`,
    ruleId: 'greeting',
    level: sec > warnSec ? 'warn' : null,
    value: round1(sec),
    threshold: warnSec,
    unit: 'sec',
    raisedAtMs: (segmentAnchor(c) ?? atMs) + warnSec * 1000,
    atMs,
    callId: c.callId,
    agentId: c.agentId,
    queueId: c.queueId,
    evidence,
    on: enabled(eff, 'greeting'),
  };
}

/**
 * The agent was first heard on this part of the call at `speechMs` (epoch ms): judges the timing once
 * per agent segment. `evidence` is the segment that was heard, when a transcript told it.
 */
export function judgeGreetingTime(s: FloorState, c: CallState, conv: ConversationState, speechMs: number, evidence?: AlertEvidence): void {
  const anchor = segmentAnchor(c);
  if (anchor === undefined || c.status === 'queued' || conv.greetingTimedSegment === c.segments) return;
  conv.greetingTimedSegment = c.segments;
  const { on, ...spec } = lateSpec(s, c, Math.max(0, speechMs - anchor), speechMs, callConfig(s, c), evidence ? [evidence] : undefined);
  if (on) finalize(s, spec);
}

/**
 * The agent's first final transcript segment on this part of the call, read as `cues`: judges what it
 * says, once per agent segment. A breach when the name (the agent's name is known) or the company
 * (`companyNames` set) is missing. Puts the greeting on the call's timeline either way.
 */
export function judgeGreetingWords(s: FloorState, c: CallState, conv: ConversationState, cues: readonly TranscriptCue[], seg: AlertEvidence): void {
  if (segmentAnchor(c) === undefined || conv.greetedSegment === c.segments) return;
  conv.greetedSegment = c.segments;
  const eff = callConfig(s, c);
  const agentName = c.agentId !== undefined ? s.agents.get(c.agentId)?.name : undefined;
  const needsName = agentName !== undefined && agentName.trim().length > 0;
  const needsCompany = (s.config.companyNames?.length ?? 0) > 0;
  const name = cues.includes('name');
  const company = cues.includes('company');
  timeline(c, { at: seg.startMs, type: 'conversation.greeting', agentId: c.agentId }, { greeted: cues.includes('greeting'), name, company });
  // A late greeting timed by talk detection (or a live tick) before this segment came stands on it too:
  // its words are the evidence a supervisor checks (and, under `--transcripts evidence`, the ones kept).
  const late = findAnyAlert(s, `greeting:${c.callId}:${c.segments}:late`);
  if (late && late.status !== 'retracted' && addEvidence(late, [seg])) touchAlert(s, late);
  if (!enabled(eff, 'greeting')) return;
  const missing = (needsName && !name ? 1 : 0) + (needsCompany && !company ? 1 : 0);
  if (missing === 0) return;
  recordFact(s, {
    id: `greeting:${c.callId}:${c.segments}`,
    ruleId: 'greeting',
    level: 'breach',
    value: missing,
    threshold: 1,
    unit: 'event',
    raisedAtMs: seg.endMs,
    atMs: seg.endMs,
    callId: c.callId,
    agentId: c.agentId,
    queueId: c.queueId,
    evidence: [seg],
  });
}

/** Live: a connected call whose agent has not been heard yet on their part of it, at `nowMs`. */
export function checkGreetingLive(s: FloorState, c: CallState, conv: ConversationState, nowMs: number, eff: EffectiveConfig): void {
  const anchor = segmentAnchor(c);
  if (anchor === undefined || c.status !== 'talking' || conv.greetingTimedSegment === c.segments) return;
  if (nowMs - anchor <= conversationThreshold(eff.rules, 'greetingWarnSec') * 1000) return;
  const { on, ...spec } = lateSpec(s, c, nowMs - anchor, nowMs, eff);
  if (on && spec.level !== null) raiseOrUpdate(s, { ...spec, level: spec.level });
}

/** The agent's part of the call ends at `atMs` without their voice ever heard: never greeted, judged as late as it got. */
export function endGreeting(s: FloorState, c: CallState, conv: ConversationState, atMs: number): void {
  const anchor = segmentAnchor(c);
  if (anchor === undefined || conv.greetingTimedSegment === c.segments) return;
  conv.greetingTimedSegment = c.segments;
  const { on, ...spec } = lateSpec(s, c, Math.max(0, atMs - anchor), atMs, callConfig(s, c));
  if (on) finalize(s, spec);
}
