/**
 * Language-aware phrase matching for the transcript rules (`greeting`, `clarity`, `language`,
 * `dont-know` and its `find-out` offer): folding, whole-word matching with spans in the original
 * text, masking, the default phrase lists and the schema of the lists an admin edits.
 *
 * How a text is folded (`foldText`), in this order, per word:
 * - Words are the runs of letters, marks and numbers (`\p{L}\p{M}\p{N}`). Everything else —
 *   punctuation `\p{P}`, symbols `\p{S}`, spaces `\p{Z}`, controls — separates words, so
 *   "Pardon?!" is "pardon" and "can   you... repeat" is "can you repeat".
 * - An apostrophe between two letters (' ’ ʼ ‘ ` ´) belongs to the word and is dropped:
 *   "don't" is "dont", "İstanbul'da" is "istanbulda". "don't" therefore matches "dont" but not
 *   "do not": a list that wants both writes both. Lists are folded the same way as texts, so a
 *   phrase may be written with or without the apostrophe. A soft hyphen (U+00AD) and the zero-width
 *   (non-)joiner inside a word are dropped too.
 * - NFC normalisation, so a decomposed "õ" (o + U+0303) is the same word as a precomposed one.
 * - Lower-casing with the language's rules. Turkish and Azerbaijani (`tr`, `az`) follow
 *   Unicode SpecialCasing.txt's tr/az conditional mappings: `İ` (U+0130) → `i`, `I` → `ı`
 *   (U+0131) unless a COMBINING DOT ABOVE (U+0307) follows, and `I` + U+0307 → `i`; `I` never
 *   becomes `i`. Every other language takes the default lower-casing, except that `İ` still folds
 *   to `i` (the default would give `i` + U+0307, which would not match a phrase written with `i`).
 *   In every language an `i` followed by U+0307 (a dotted capital İ lower-cased by a non-Turkish
 *   rule somewhere upstream, e.g. in a speech-to-text engine) folds to `i`.
 * - Nothing else is stripped: Estonian õ ä ö ü, Turkish ç ğ ş ö ü and the dotless ı stay distinct
 *   letters ("ma ei tee" is not "ma ei tea", "ışık" is not "isik").
 *
 * Matching is whole words (token sequences): a phrase matches a run of whole words of the text,
 * never part of a longer word ("ass" is not in "class", "bok" is not in "boku"). Turkish and
 * Estonian are agglutinative: a suffixed form is a different word, so every form a rule should
 * catch must be listed ("bok", "boktan"; "bilmiyorum", "bilmiyoruz").
 */
import { z } from 'zod';

/** A matched phrase: the list's phrase as written and its span in the original text. */
export interface PhraseMatch {
  /** The phrase as written in the list (the first one, when two fold to the same words). */
  phrase: string;
  /** Start of the match in the original text, in UTF-16 code units (as `String.prototype.slice` takes it). */
  start: number;
  /** End of the match in the original text, exclusive, in UTF-16 code units. */
  end: number;
}

/** A phrase list compiled once for one language; `match` is linear in the text. */
export interface PhraseMatcher {
  /** The language the list was folded for (`en`, `tr`, `et`, …). */
  readonly lang: string;
  /** Number of distinct folded phrases in the matcher. */
  readonly size: number;
  /** The most words in one phrase: the bound on trie steps per word of a text. */
  readonly maxWords: number;
  /** Leftmost-longest, non-overlapping matches in text order (see `compilePhrases`). */
  match(text: string): PhraseMatch[];
  /** The same on a text already split by {@link wordsOf} for this matcher's language (several lists, one split). */
  matchWords(words: TextWords): PhraseMatch[];
}

/** A text split into folded words for one language's matchers ({@link wordsOf}); opaque to callers. */
export interface TextWords {
  readonly lang: string;
  readonly tokens: readonly Token[];
}

/** The in-word characters that are dropped when a word is folded. */
const IN_WORD_DROP_RE = /['\u2019\u02BC\u2018`\u00B4\u00AD\u200C\u200D]/g;
/** Whether a word holds a character to drop (non-global: `test` keeps no state). */
const IN_WORD_DROP_TEST_RE = /['\u2019\u02BC\u2018`\u00B4\u00AD\u200C\u200D]/;
/** Anything beyond printable ASCII: only such words need NFC and the special casings. */
const NON_ASCII_RE = /[^ -~]/;

/** Languages whose lower-casing follows SpecialCasing.txt's tr/az conditions. */
function isTurkic(lang: string): boolean {
  const primary = lang.toLowerCase().split(/[-_]/)[0];
  return primary === 'tr' || primary === 'az';
}

/** Folds one word (no separators inside) for `lang`; see the module comment for the steps. */
function foldWord(word: string, turkic: boolean): string {
  let w = IN_WORD_DROP_TEST_RE.test(word) ? word.replace(IN_WORD_DROP_RE, '') : word;
  if (!NON_ASCII_RE.test(w)) {
    // ASCII fast path: the only special case is Turkish I → ı.
    return turkic ? w.replace(/I/g, '\u0131').toLowerCase() : w.toLowerCase();
  }
  w = w.normalize('NFC');
  if (turkic) {
    // SpecialCasing.txt, tr/az: "0130; 0069; 0130; 0130; tr" (İ → i), "0307; ; 0307; 0307; tr After_I"
    // (the dot above after I is removed), "0049; 0131; 0049; 0049; tr Not_Before_Dot" (I → ı).
    // NFC has already composed I + U+0307 into U+0130; the I + U+0307 left is a defence only
    // (After_I's rarer case, other below-marks between I and the dot, is not handled).
    if (w.includes('\u0130')) w = w.replace(/\u0130/g, 'i');
    if (w.includes('I')) w = w.replace(/I\u0307/g, 'i').replace(/I/g, '\u0131');
  } else if (w.includes('\u0130')) {
    w = w.replace(/\u0130/g, 'i');
  }
  w = w.toLowerCase();
  return w.includes('\u0307') ? w.replace(/i\u0307/g, 'i').normalize('NFC') : w;
}

interface Token {
  folded: string;
  start: number;
  end: number;
}

const WORD_CHAR_RE = /^[\p{L}\p{M}\p{N}]$/u;
const JOIN_CHAR_RE = /^['\u2019\u02BC\u2018`\u00B4\u00AD\u200C\u200D]$/;
const WORD = 1;
const JOIN = 2;
const SEP = 3;
/**
 * Class of each BMP code unit (0 = not looked up yet, then WORD, JOIN or SEP), filled on first
 * sight: a pure memo of Unicode properties, the same for every caller. A scan by this table is
 * some 20 times faster than `matchAll` with property escapes, which matters on every segment.
 */
const BMP_CLASS = new Uint8Array(0x10000);

/** Class of the character at `i` and its length in code units (2 for a surrogate pair). */
function charClass(text: string, i: number): [cls: number, width: number] {
  const c = text.charCodeAt(i);
  if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
    const d = text.charCodeAt(i + 1);
    if (d >= 0xdc00 && d <= 0xdfff) return [WORD_CHAR_RE.test(text.slice(i, i + 2)) ? WORD : SEP, 2];
  }
  let k = BMP_CLASS[c];
  if (k === 0) {
    const ch = String.fromCharCode(c);
    k = WORD_CHAR_RE.test(ch) ? WORD : JOIN_CHAR_RE.test(ch) ? JOIN : SEP;
    BMP_CLASS[c] = k;
  }
  return [k, 1];
}

/**
 * Calls `onWord(start, end)` for each word of `text`: a run of letters, marks and numbers, with
 * runs of in-word characters (apostrophes, soft hyphen, zero-width joiners) between two such runs.
 * A combining mark after a space starts a word of its own, so no letter is lost.
 */
function scanWords(text: string, onWord: (start: number, end: number) => void): void {
  const len = text.length;
  let i = 0;
  while (i < len) {
    const [k, w] = charClass(text, i);
    if (k !== WORD) {
      i += w;
      continue;
    }
    const start = i;
    i += w;
    let end = i;
    while (i < len) {
      const [k2, w2] = charClass(text, i);
      if (k2 === SEP) break;
      i += w2;
      if (k2 === WORD) end = i;
    }
    onWord(start, end);
    i = end;
  }
}

function tokenize(text: string, turkic: boolean): Token[] {
  const tokens: Token[] = [];
  scanWords(text, (start, end) => {
    const folded = foldWord(text.slice(start, end), turkic);
    if (folded.length > 0) tokens.push({ folded, start, end });
  });
  return tokens;
}

/** Number of words in `text` as `foldText` splits it (before folding): for bounds on phrase length. */
export function countWords(text: string): number {
  let n = 0;
  scanWords(text, () => n++);
  return n;
}

/**
 * Folds a text for matching in language `lang` (a BCP 47 tag; only its primary subtag matters):
 * words lower-cased with the language's rules and NFC-normalised, apostrophes inside words dropped,
 * punctuation and symbols removed, words joined by one space, no leading or trailing space.
 * Examples: ("İYİ GÜNLER", "tr") → "iyi günler"; ("KIRMIZI", "tr") → "kırmızı";
 * ("I DON'T KNOW!", "en") → "i dont know". Source of the Turkish casing: Unicode SpecialCasing.txt,
 * the conditional mappings for tr and az.
 */
export function foldText(text: string, lang: string): string {
  const turkic = isTurkic(lang);
  return tokenize(text, turkic)
    .map((t) => t.folded)
    .join(' ');
}

interface TrieNode {
  next: Map<string, TrieNode>;
  phrase?: string;
}

/**
 * Compiles a phrase list for language `lang` into a matcher: each phrase is folded like a text
 * (so "I don't know", "i dont know" and "I DON'T KNOW?" are one phrase) and put into a trie of
 * words. Phrases that fold to nothing are ignored; when two fold to the same words the first wins.
 * `match(text)` tokenises the text once and walks the trie from each word, keeping the longest
 * phrase that starts there and resuming after it (leftmost-longest, non-overlapping: with both
 * "ma ei tea" and "ei tea" listed, "Ma ei tea" is one match). Cost: O(text length + words ×
 * `maxWords`) per text, independent of the number of phrases.
 */
export function compilePhrases(phrases: readonly string[], lang: string): PhraseMatcher {
  const turkic = isTurkic(lang);
  const root: TrieNode = { next: new Map() };
  let size = 0;
  let maxWords = 0;
  for (const phrase of phrases) {
    const words = tokenize(phrase, turkic).map((t) => t.folded);
    if (words.length === 0) continue;
    let node = root;
    for (const w of words) {
      let child = node.next.get(w);
      if (!child) {
        child = { next: new Map() };
        node.next.set(w, child);
      }
      node = child;
    }
    if (node.phrase === undefined) {
      node.phrase = phrase;
      size++;
      maxWords = Math.max(maxWords, words.length);
    }
  }
  return {
    lang,
    size,
    maxWords,
    match(text: string): PhraseMatch[] {
      return size === 0 ? [] : matchTokens(tokenize(text, turkic));
    },
    matchWords(words: TextWords): PhraseMatch[] {
      if (isTurkic(words.lang) !== turkic) throw new Error(`matchWords: words split for ${words.lang}, matcher folded for ${lang}`);
      return size === 0 ? [] : matchTokens(words.tokens);
    },
  };

  function matchTokens(tokens: readonly Token[]): PhraseMatch[] {
    const out: PhraseMatch[] = [];
    let i = 0;
    while (i < tokens.length) {
      let node: TrieNode | undefined = root;
      let best = -1;
      let bestPhrase = '';
      for (let j = i; j < tokens.length; j++) {
        node = node.next.get(tokens[j].folded);
        if (!node) break;
        if (node.phrase !== undefined) {
          best = j;
          bestPhrase = node.phrase;
        }
      }
      if (best >= 0) {
        out.push({ phrase: bestPhrase, start: tokens[i].start, end: tokens[best].end });
        i = best + 1;
      } else {
        i++;
      }
    }
    return out;
  }
}

/** Splits and folds `text` once for every matcher of language `lang` (see `PhraseMatcher.matchWords`). */
export function wordsOf(text: string, lang: string): TextWords {
  return { lang, tokens: tokenize(text, isTurkic(lang)) };
}

/**
 * Matches `phrases` against `text` in language `lang`: whole words only, leftmost-longest and
 * non-overlapping, spans in the original text. Compiles the list on every call: for a list used on
 * many texts (every transcript segment), compile it once with `compilePhrases`.
 */
export function matchPhrases(text: string, phrases: readonly string[], lang: string): PhraseMatch[] {
  return compilePhrases(phrases, lang).match(text);
}

const MASK = '\u2022'; // •

/**
 * Masks the matched words of `text` for showing flagged words to agents: every word that overlaps
 * a match keeps its first letter (with its combining marks); each later letter or number becomes
 * one `•`, its combining marks dropped. Apostrophes, hyphens, spaces and punctuation are kept, so
 * an NFC text of the Basic Multilingual Plane keeps its length: "Damn it!" with "damn" matched is
 * "D••• it!". Matches may come in any order and may overlap; spans outside the text are clamped.
 */
export function maskMatches(text: string, matches: readonly Pick<PhraseMatch, 'start' | 'end'>[]): string {
  if (matches.length === 0) return text;
  const spans = matches
    .map((m) => [Math.max(0, m.start), Math.min(text.length, m.end)] as const)
    .filter(([s, e]) => e > s)
    .sort((a, b) => a[0] - b[0]);
  let out = '';
  let last = 0;
  let k = 0;
  scanWords(text, (start, end) => {
    while (k < spans.length && spans[k][1] <= start) k++;
    if (k >= spans.length || spans[k][0] >= end) return;
    out += text.slice(last, start) + maskWord(text.slice(start, end));
    last = end;
  });
  return out + text.slice(last);
}

function maskWord(word: string): string {
  let out = '';
  let seenFirst = false;
  let inFirst = false;
  for (const ch of word) {
    if (/[\p{L}\p{N}]/u.test(ch)) {
      if (!seenFirst) {
        out += ch;
        seenFirst = true;
        inFirst = true;
      } else {
        out += MASK;
        inFirst = false;
      }
    } else if (/\p{M}/u.test(ch)) {
      if (inFirst || !seenFirst) out += ch;
    } else {
      out += ch; // an in-word apostrophe or joiner
      inFirst = false;
    }
  }
  return out;
}

/** The transcript rules that use phrase lists (`find-out` is the offer that clears `dont-know`). */
export const PHRASE_RULE_IDS = ['greeting', 'clarity', 'dont-know', 'find-out', 'language'] as const;
export type PhraseRuleId = (typeof PHRASE_RULE_IDS)[number];

/** The floor's languages that ship with default lists. */
export const PHRASE_LANGS = ['en', 'tr', 'et'] as const;
export type PhraseLang = (typeof PHRASE_LANGS)[number];

/**
 * The default phrase lists: data, replaced per rule and language by the admin's lists. Written as
 * people write them (apostrophes, capitals, punctuation allowed: lists are folded like texts).
 * Whole words only, so suffixed forms are listed one by one. `language` is deliberately short and
 * mild: the floor's own list belongs to the admin.
 */
export const DEFAULT_PHRASES: Readonly<Record<PhraseRuleId, Readonly<Record<PhraseLang, readonly string[]>>>> = {
  greeting: {
    en: ['hello', 'hi', 'good morning', 'good afternoon', 'good evening', 'welcome', 'thank you for calling', 'thanks for calling'],
    tr: ['merhaba', 'merhabalar', 'iyi günler', 'günaydın', 'iyi akşamlar', 'hoş geldiniz', 'aradığınız için teşekkürler', 'aradığınız için teşekkür ederim'],
    et: ['tere', 'tere päevast', 'tere hommikust', 'tere õhtust', 'head päeva', 'tervist', 'aitäh helistamast'],
  },
  clarity: {
    en: [
      'pardon', 'sorry what', 'sorry come again', 'come again', 'can you repeat', 'could you repeat',
      'please repeat', 'say that again', 'what did you say', "i didn't catch that", 'i did not catch that',
    ],
    tr: [
      'efendim', 'anlamadım', 'anlayamadım', 'tekrar eder misiniz', 'tekrarlar mısınız', 'tekrar söyler misiniz',
      'bir daha söyler misiniz', 'ne dediniz', 'duyamadım',
    ],
    et: [
      'kuidas palun', 'ei saanud aru', 'ma ei saanud aru', 'palun korrake', 'kas saaksite korrata',
      'kas te saaksite korrata', 'mida te ütlesite', 'vabandust mida',
    ],
  },
  'dont-know': {
    en: ["i don't know", 'i do not know', 'i have no idea', 'no idea', 'dunno'],
    tr: ['bilmiyorum', 'bilmem', 'bilemiyorum', 'hiçbir fikrim yok', 'fikrim yok'],
    et: ['ma ei tea', 'ei tea', 'mul pole aimugi', 'pole aimugi'],
  },
  'find-out': {
    en: [
      'i will find out', "i'll find out", 'let me find out', 'let me check', "i'll check", 'i will check',
      'let me look into', "i'll get back to you", 'i will get back to you',
    ],
    tr: ['öğrenip', 'öğreneyim', 'kontrol edeyim', 'kontrol edip', 'bakıp dönüş yapacağım', 'size dönüş yapacağım', 'hemen bakıyorum'],
    et: ['uurin järele', 'ma uurin', 'kontrollin', 'vaatan järele', 'annan teada', 'ma annan teada'],
  },
  language: {
    en: ['damn', 'crap', 'bloody', 'sucks', 'shut up'],
    tr: ['lan', 'ulan', 'salak', 'aptal', 'bok', 'boktan', 'kahretsin'],
    et: ['kurat', 'kuradi', 'raisk', 'pagan', 'jama'],
  },
};

/** Most languages one rule may carry lists for. */
export const PHRASE_LANGS_MAX = 16;
/** Most phrases in one rule's list for one language: enough for a house list, small enough to edit. */
export const PHRASES_PER_LIST_MAX = 500;
/** Longest phrase, in UTF-16 code units. */
export const PHRASE_MAX_CHARS = 80;
/** Most words in one phrase: bounds the trie walk per word of a transcript. */
export const PHRASE_MAX_WORDS = 8;

/** One phrase as lists hold it: trimmed, 1..PHRASE_MAX_CHARS characters, 1..PHRASE_MAX_WORDS words. */
export const phraseSchema = z
  .string()
  .trim()
  .min(1)
  .max(PHRASE_MAX_CHARS)
  .refine((p) => countWords(p) >= 1, { message: 'a phrase needs at least one word' })
  .refine((p) => countWords(p) <= PHRASE_MAX_WORDS, { message: `a phrase has at most ${PHRASE_MAX_WORDS} words` });

/** A language tag's primary subtag, lower case: `en`, `tr`, `et`, `az`, … */
const langSchema = z.string().regex(/^[a-z]{2,3}$/, 'a language is a two- or three-letter code');

/**
 * Admin-edited phrase lists: per rule (`PHRASE_RULE_IDS`, each optional), per language (two- or
 * three-letter code, at most `PHRASE_LANGS_MAX`), at most `PHRASES_PER_LIST_MAX` phrases of at most
 * `PHRASE_MAX_CHARS` characters and `PHRASE_MAX_WORDS` words each. A list given for a rule and
 * language replaces the default one; an empty list switches the rule's matching off for that language.
 */
export const PhraseListsSchema = z.partialRecord(
  z.enum(PHRASE_RULE_IDS),
  z
    .record(langSchema, z.array(phraseSchema).max(PHRASES_PER_LIST_MAX))
    .refine((byLang) => Object.keys(byLang).length <= PHRASE_LANGS_MAX, {
      message: `at most ${PHRASE_LANGS_MAX} languages per rule`,
    }),
);

/** Phrase lists per rule and language, as stored in the settings (see `PhraseListsSchema`). */
export type PhraseLists = z.infer<typeof PhraseListsSchema>;

/**
 * The list a rule uses in language `lang` (a BCP 47 tag; its primary subtag picks the list): the
 * admin's list when one is stored for that rule and language (even an empty one), else the default
 * list, else none. Returns the stored array itself: compile it once with `compilePhrases`.
 */
export function phraseListFor(lists: PhraseLists | undefined, rule: PhraseRuleId, lang: string): readonly string[] {
  const primary = lang.toLowerCase().split(/[-_]/)[0];
  const own = lists?.[rule]?.[primary];
  if (own) return own;
  return (PHRASE_LANGS as readonly string[]).includes(primary) ? DEFAULT_PHRASES[rule][primary as PhraseLang] : [];
}
