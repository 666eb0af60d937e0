/**
 * What a transcript segment says, as the conversation rules read it: its cues (shared/events.ts
 * `TRANSCRIPT_CUES`) — it greets, names the agent, names the company, asks to repeat, says a bare
 * "I don't know", offers to find out, holds listed words — with their spans in the text. The phrase
 * lists are data (shared/phrases.ts defaults, the admin's lists in the floor's settings); matching is
 * whole words, case- and punctuation-blind, with the language's own casing (Turkish dotted and dotless
 * i). Pure: compiled matchers are cached per list, never per text.
 */
import type { FloorConfig } from '../config.ts';
import type { TranscriptCue } from '../events.ts';
import { type PhraseLists, type PhraseMatch, type PhraseMatcher, type PhraseRuleId, PHRASE_LANGS, compilePhrases, phraseListFor, wordsOf } from '../phrases.ts';

/** One cue found in a text, with its span (UTF-16 units, end exclusive) for evidence and masking. */
export interface CueSpan {
  cue: TranscriptCue;
  start: number;
  end: number;
}

/** What a segment's words gave: its cues (a `language` cue per listed word) and where each was found. */
export interface SegmentReading {
  cues: TranscriptCue[];
  spans: CueSpan[];
}

/** Who and what a segment is read against: the floor's phrase lists and company names, the agent's name. */
export interface ReadingContext {
  phrases?: PhraseLists;
  companyNames?: readonly string[];
  /** The agent's display name: any of its words of two letters or more counts as giving the name. */
  agentName?: string;
}

/** The reading context of a floor's settings (the agent's name added per segment). */
export function readingContext(config: FloorConfig, agentName?: string): ReadingContext {
  return { phrases: config.phrases, companyNames: config.companyNames, agentName };
}

const NO_LISTS: PhraseLists = {};
const listMatchers = new WeakMap<object, Map<string, PhraseMatcher>>();
const companyMatchers = new WeakMap<readonly string[], Map<string, PhraseMatcher>>();
/** Agent names' matchers by language and name; a floor has hundreds of agents at most, cleared past the cap. */
const nameMatchers = new Map<string, PhraseMatcher>();
const NAME_MATCHERS_CAP = 5_000;

function cached<K extends object>(store: WeakMap<K, Map<string, PhraseMatcher>>, owner: K, key: string, make: () => PhraseMatcher): PhraseMatcher {
  let m = store.get(owner);
  if (!m) store.set(owner, (m = new Map()));
  let matcher = m.get(key);
  if (!matcher) m.set(key, (matcher = make()));
  return matcher;
}

function ruleMatcher(lists: PhraseLists | undefined, rule: PhraseRuleId, lang: string): PhraseMatcher {
  return cached(listMatchers, lists ?? NO_LISTS, `${rule}|${lang}`, () => compilePhrases(phraseListFor(lists, rule, lang), lang));
}

function nameMatcher(name: string, lang: string): PhraseMatcher {
  const key = `${lang}|${name}`;
  let m = nameMatchers.get(key);
  if (!m) {
    if (nameMatchers.size >= NAME_MATCHERS_CAP) nameMatchers.clear();
    // Each word of the name on its own: "this is Ayşe" gives the name of "Ayşe Yılmaz".
    const words = name.split(/[\s,.;:]+/u).filter((w) => [...w].length >= 2);
    nameMatchers.set(key, (m = compilePhrases(words, lang)));
  }
  return m;
}

/**
 * The languages a segment is read in: its own (`lang`, a BCP 47 tag), or, when the engine named none,
 * every language with a list (the defaults' en, tr, et and any the admin added).
 */
function languagesOf(lang: string | undefined, lists: PhraseLists | undefined): string[] {
  if (lang !== undefined) return [lang];
  const all = new Set<string>(PHRASE_LANGS);
  for (const byLang of Object.values(lists ?? {})) for (const l of Object.keys(byLang ?? {})) all.add(l);
  return [...all];
}

function push(out: CueSpan[], cue: TranscriptCue, ms: readonly PhraseMatch[]): void {
  for (const m of ms) out.push({ cue, start: m.start, end: m.end });
}

/**
 * Reads one segment's text in language `lang` (or in every listed language when undefined).
 * `dont-know` is bare only when no offer to find out starts after it in the same text ("I don't know,
 * let me check" is not a lapse); `language` gives one cue per listed word; the other cues at most once.
 * Cost: linear in the text per language and list (compiled matchers are cached).
 */
export function readSegment(text: string, lang: string | undefined, ctx: ReadingContext): SegmentReading {
  let best: CueSpan[] = [];
  let bestWords = -1;
  const found = new Set<TranscriptCue>();
  const spans: CueSpan[] = [];
  for (const l of languagesOf(lang, ctx.phrases)) {
    const one: CueSpan[] = [];
    const split = wordsOf(text, l); // once per language, for every list
    push(one, 'greeting', ruleMatcher(ctx.phrases, 'greeting', l).matchWords(split));
    if (ctx.agentName) push(one, 'name', nameMatcher(ctx.agentName, l).matchWords(split));
    if (ctx.companyNames && ctx.companyNames.length > 0) {
      const names = ctx.companyNames;
      push(one, 'company', cached(companyMatchers, names, l, () => compilePhrases(names, l)).matchWords(split));
    }
    push(one, 'clarity', ruleMatcher(ctx.phrases, 'clarity', l).matchWords(split));
    const offers = ruleMatcher(ctx.phrases, 'find-out', l).matchWords(split);
    push(one, 'find-out', offers);
    const bare = ruleMatcher(ctx.phrases, 'dont-know', l)
      .matchWords(split)
      .filter((d) => !offers.some((o) => o.start >= d.end));
    push(one, 'dont-know', bare);
    const words = ruleMatcher(ctx.phrases, 'language', l).matchWords(split);
    push(one, 'language', words);
    for (const sp of one) {
      if (sp.cue === 'language' || spans.some((x) => x.cue === sp.cue && x.start === sp.start && x.end === sp.end)) continue;
      found.add(sp.cue);
      spans.push(sp);
    }
    // Listed words: the language that finds most (a word listed in two languages counts once).
    if (words.length > bestWords) {
      bestWords = words.length;
      best = one.filter((sp) => sp.cue === 'language');
    }
  }
  const cues: TranscriptCue[] = [...found];
  for (let i = 0; i < Math.max(0, bestWords); i++) cues.push('language');
  spans.push(...best);
  spans.sort((a, b) => a.start - b.start || a.end - b.end);
  return { cues, spans };
}
