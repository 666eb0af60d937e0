/**
 * The conversation rules of issue 18 as the client shows them: their timeline entries
 * (`conversation.*`, shared/engine/rules/), an alert's evidence (segments or a silence), a kept
 * transcript segment cut into plain text and highlighted cues, and the one live nudge an agent sees
 * while their own call has an open conversation alert. Pure: time comes in as arguments.
 */
import type { Alert, TimelineEntry } from '../../shared/state.ts';
import type { TranscriptSegmentView } from '../../shared/wire.ts';
import { formatDuration } from './format.ts';
import { ruleName } from './rules.ts';
import { catalogues, t } from './i18n/index.ts';

/** The timeline entry types the conversation rules write (shared/engine/rules/*.ts `timeline(...)`). */
export const CONVERSATION_TIMELINE_TYPES = [
  'conversation.greeting',
  'conversation.repeat-request',
  'conversation.language',
  'conversation.dont-know',
  'conversation.find-out',
  'conversation.dead-air',
  'conversation.talk-over',
] as const;

/** One tick of a greeting entry: what the first words should hold, and whether they did. */
export interface GreetingTick {
  /** `conv.greeted`, `conv.name` or `conv.company`, in the current language. */
  label: string;
  ok: boolean;
}

/** A conversation timeline entry in words; `ticks` for the greeting (shown as ✓/✗ with words for screen readers). */
export interface ConversationLine {
  text: string;
  ticks?: GreetingTick[];
}

/** `m:ss` from `anchorMs` (the answer) to `atMs`, never negative. */
export function sinceAnswer(atMs: number, anchorMs: number): string {
  return formatDuration(atMs - anchorMs);
}

/**
 * A `conversation.*` timeline entry in the current language, or null for any other type. `who` is the
 * agent's display name (the greeting names whose first words they were).
 */
export function describeConversation(e: Pick<TimelineEntry, 'type' | 'detail'>, who: string): ConversationLine | null {
  const d = e.detail ?? {};
  const n = Number(d.n ?? d.request ?? d.dontKnow ?? 0);
  switch (e.type) {
    case 'conversation.greeting':
      return {
        text: t('conv.firstWords', { who }),
        ticks: [
          { label: t('conv.greeted'), ok: d.greeted === true },
          { label: t('conv.name'), ok: d.name === true },
          { label: t('conv.company'), ok: d.company === true },
        ],
      };
    case 'conversation.repeat-request':
      return { text: t('conv.repeat', { n: d.request ?? '?' }) };
    case 'conversation.language': {
      const words = Number(d.words ?? 1);
      return { text: t('conv.language', { n: words }, words) };
    }
    case 'conversation.dont-know':
      return { text: t('conv.dontKnow', { n }) };
    case 'conversation.find-out':
      return { text: t('conv.findOut', { n: d.dontKnow ?? '?' }) };
    case 'conversation.dead-air':
      // Whole seconds rounded like the alert's value (formatValue), so 37.5 s reads 0:38 in both places.
      return { text: t('conv.deadAir', { time: formatDuration(Math.round(Number(d.sec ?? 0)) * 1000) }) };
    case 'conversation.talk-over':
      return { text: t('conv.talkOver', { n }) };
    default:
      return null;
  }
}

/** A cue's name (shared/events.ts TRANSCRIPT_CUES) in the current language; an unknown one as sent. */
export function cueName(cue: string): string {
  return cue in catalogues.en.tx.cue ? t(`tx.cue.${cue}`) : cue;
}

/** The speaker's word ("Agent", "Caller") in the current language. */
export function speakerName(speaker: 'agent' | 'caller'): string {
  return t(speaker === 'agent' ? 'tx.agent' : 'tx.caller');
}

/**
 * An alert's evidence in words, one item each, times from `anchorMs` (the answer): a silence as
 * "silence 0:32 from 1:10", a segment as "Caller 0:41–0:43", a moment (talk-over) as "Agent, 2:05".
 * None for an alert without evidence.
 */
export function evidenceTexts(a: Pick<Alert, 'evidence'>, anchorMs: number): string[] {
  return (a.evidence ?? []).map((ev) => {
    const from = sinceAnswer(ev.startMs, anchorMs);
    if (!ev.speaker) return t('ev.silence', { len: formatDuration(Math.round((ev.endMs - ev.startMs) / 1000) * 1000), from });
    if (ev.endMs <= ev.startMs) return t('ev.moment', { speaker: speakerName(ev.speaker), from });
    return t('ev.segment', { speaker: speakerName(ev.speaker), from, to: sinceAnswer(ev.endMs, anchorMs) });
  });
}

/** A piece of a segment's text: plain, or a cue's span (`cue` one of shared/events.ts TRANSCRIPT_CUES). */
export interface TextPart {
  text: string;
  cue?: string;
}

/**
 * A segment's text cut at its cue spans (UTF-16, end exclusive), in text order. Spans are clamped to
 * the text; one that overlaps an earlier one keeps only its part after it, so no character shows twice
 * and none is lost.
 */
export function transcriptParts(seg: Pick<TranscriptSegmentView, 'text' | 'spans'>): TextPart[] {
  const text = seg.text;
  const spans = [...seg.spans]
    .map((s) => ({ cue: s.cue, start: Math.max(0, Math.min(text.length, s.start)), end: Math.max(0, Math.min(text.length, s.end)) }))
    .sort((x, y) => x.start - y.start || y.end - x.end);
  const out: TextPart[] = [];
  let at = 0;
  for (const s of spans) {
    const start = Math.max(s.start, at);
    if (s.end <= start) continue;
    if (start > at) out.push({ text: text.slice(at, start) });
    out.push({ text: text.slice(start, s.end), cue: s.cue });
    at = s.end;
  }
  if (at < text.length) out.push({ text: text.slice(at) });
  return out;
}

/** The rule names of the alerts a segment is evidence of (by id, among `alerts`), for its note. */
export function segmentRules(seg: Pick<TranscriptSegmentView, 'alertIds'>, alerts: readonly Pick<Alert, 'id' | 'ruleId'>[]): string[] {
  const names = new Set<string>();
  for (const id of seg.alertIds) {
    const a = alerts.find((x) => x.id === id);
    names.add(ruleName(a?.ruleId ?? id.slice(0, id.indexOf(':') >= 0 ? id.indexOf(':') : undefined)));
  }
  return [...names];
}

/** A live nudge for the agent's own call. */
export interface ConversationNudge {
  level: 'info' | 'warn' | 'breach';
  /** The rule it comes from (for tests and a data attribute). */
  ruleId: 'greeting' | 'dead-air' | 'talk-over' | 'clarity';
  /** What is shown; a silence's seconds tick in it. */
  text: string;
  /** What a screen reader is told: steady while the nudge stands (a silence at its threshold), so a live region speaks it once per level. */
  spoken: string;
}

/** Most urgent first: a silence is now, a missing greeting is the first seconds, the others are tips. */
const NUDGE_ORDER = ['dead-air', 'greeting', 'talk-over', 'clarity'] as const;
/**
 * How long a tip stays after its alert last grew, ms. Clarity, talk-over and a greeting without name or
 * company are facts (resolved as they are raised): their tip shows for a minute, then leaves the agent be.
 */
export const NUDGE_TIP_MS = 60_000;

/**
 * Whether alert `a` speaks for a nudge on call `callId` at `nowMs`: open, or a fresh fact. Not dead air once
 * over (it is live), nor a late greeting once over (its unit is seconds; the fact of missing words counts
 * events): it resolves when the agent is first heard, and "say your name" then would talk over them.
 */
function nudging(a: Alert, callId: string, nowMs: number): boolean {
  if (a.callId !== callId || a.level === 'info') return false;
  if (a.status === 'open') return true;
  if (a.ruleId === 'dead-air' || (a.ruleId === 'greeting' && a.unit === 'sec')) return false;
  return a.status === 'resolved' && nowMs - a.updatedAtMs <= NUDGE_TIP_MS;
}

/**
 * The one conversation nudge for the agent's live call `callId` at `nowMs`, or null. From its alerts:
 * dead air open ("Silence 16 s — tell the caller what you are doing", counted from the silence's start),
 * greeting ("Say your name and the company": late while open, or name/company missing), talk-over and
 * clarity (a short tip for {@link NUDGE_TIP_MS}). Without an open one, from `silence.sinceMs` (the agent's own
 * call view, when talk detection runs) once the silence reaches `silence.leadSec`: a calm info before the
 * warning, ahead of the tips (a late greeting nudges only until the agent is heard). One at a time, most urgent first, so the agent never gets a wall of advice mid-call.
 */
export function conversationNudge(alerts: readonly Alert[], callId: string | null | undefined, nowMs: number, silence?: { sinceMs: number | null | undefined; leadSec: number }): ConversationNudge | null {
  if (!callId) return null;
  const mine = alerts.filter((a) => nudging(a, callId, nowMs));
  // What stands now (an open alert), then a silence growing now, then the tips of what is over.
  return pickNudge(mine.filter((a) => a.status === 'open'), nowMs) ?? silenceLead(nowMs, silence) ?? pickNudge(mine.filter((a) => a.status !== 'open'), nowMs);
}

/** The calm info before the dead-air warning, from the silence's start, once it reaches `leadSec`. */
function silenceLead(nowMs: number, silence?: { sinceMs: number | null | undefined; leadSec: number }): ConversationNudge | null {
  if (!silence || silence.sinceMs == null) return null;
  const sec = Math.floor((nowMs - silence.sinceMs) / 1000);
  return sec >= silence.leadSec ? { level: 'info', ruleId: 'dead-air', text: t('nudge.deadAir', { sec }), spoken: t('nudge.deadAir', { sec: silence.leadSec }) } : null;
}

/** The most urgent of `mine` ({@link NUDGE_ORDER}) as a nudge, or null. */
function pickNudge(mine: readonly Alert[], nowMs: number): ConversationNudge | null {
  for (const rule of NUDGE_ORDER) {
    const a = mine.find((x) => x.ruleId === rule);
    if (!a) continue;
    const level = a.level === 'breach' ? 'breach' : 'warn';
    if (rule === 'dead-air') {
      const since = a.evidence?.[0]?.startMs;
      const sec = Math.max(0, Math.floor(since !== undefined ? (nowMs - since) / 1000 : a.value));
      return { level, ruleId: rule, text: t('nudge.deadAir', { sec }), spoken: t('nudge.deadAir', { sec: Math.round(a.threshold) }) };
    }
    const text = t(rule === 'greeting' ? 'nudge.greeting' : rule === 'talk-over' ? 'nudge.talkOver' : 'nudge.clarity');
    return { level: rule === 'greeting' ? level : 'info', ruleId: rule, text, spoken: text };
  }
  return null;
}
