/**
 * The settings' company names and phrase lists (issue 18) as an admin edits them: one phrase a line in a
 * textarea, the default list shown while none is stored, each line checked by the server's own schema
 * (shared/phrases.ts `phraseSchema`, `PhraseListsSchema`; shared/config.ts `companyNames`) with its
 * problem in the admin's language. Pure: no component state here.
 */
import { DEFAULT_PHRASES, PHRASE_LANGS, PHRASE_MAX_CHARS, PHRASE_MAX_WORDS, PHRASES_PER_LIST_MAX, PhraseListsSchema, phraseSchema, type PhraseLists, type PhraseRuleId } from '../../shared/phrases.ts';
import { floorConfigSchema } from '../../shared/config.ts';
import { t } from './i18n/index.ts';

/** Most company names: shared/config.ts `companyNames` (`.max(20)`), checked by that schema in {@link companyProblems}. */
export const COMPANY_NAMES_MAX = 20;

/** The lines of a textarea: trimmed, empty ones left out, each with its line number (1-based) for messages. */
export function textLines(text: string): { line: number; text: string }[] {
  return text
    .split(/\r?\n/)
    .map((l, i) => ({ line: i + 1, text: l.trim() }))
    .filter((l) => l.text !== '');
}

/** One line's problem by `phraseSchema`, in words ("longer than 80 characters"), or null. */
export function phraseProblem(phrase: string): string | null {
  const r = phraseSchema.safeParse(phrase);
  if (r.success) return null;
  const issue = r.error.issues[0];
  if (issue.code === 'too_big') return t('cs.tooLong', { max: PHRASE_MAX_CHARS });
  if (issue.code === 'too_small') return t('cs.empty');
  if (issue.message.includes('at most')) return t('cs.tooManyWords', { max: PHRASE_MAX_WORDS });
  if (issue.message.includes('at least one word')) return t('cs.empty');
  return issue.message;
}

/** The problems of a textarea's lines (at most `max` lines), each "Line 3 ("…"): more than 8 words". */
export function linesProblems(text: string, max: number): string[] {
  const lines = textLines(text);
  const out: string[] = [];
  for (const l of lines) {
    const p = phraseProblem(l.text);
    if (p) out.push(t('cs.line', { line: l.line, text: l.text.length > 24 ? `${l.text.slice(0, 24)}…` : l.text, problem: p }));
  }
  if (lines.length > max) out.push(t('cs.tooMany', { max }));
  return out;
}

/** The company names' textarea: each line's problem, then the schema's own verdict on the whole list. */
export function companyProblems(text: string): string[] {
  const out = linesProblems(text, COMPANY_NAMES_MAX);
  if (out.length === 0) {
    const r = floorConfigSchema.shape.companyNames.safeParse(textPhrases(text));
    if (!r.success) out.push(r.error.issues[0].message);
  }
  return out;
}

/** The languages the editor offers: the defaults' (en, tr, et), then any other a stored list has, in code order. */
export function phraseLangs(lists: PhraseLists | undefined): string[] {
  const extra = new Set<string>();
  for (const byLang of Object.values(lists ?? {})) for (const l of Object.keys(byLang ?? {})) if (!(PHRASE_LANGS as readonly string[]).includes(l)) extra.add(l);
  return [...PHRASE_LANGS, ...[...extra].sort()];
}

/** The stored list of `rule` in `lang`, or undefined when the default holds. */
export function storedList(lists: PhraseLists | undefined, rule: PhraseRuleId, lang: string): string[] | undefined {
  return lists?.[rule]?.[lang];
}

/** The default list of `rule` in `lang` ([] for a language without defaults). */
export function defaultList(rule: PhraseRuleId, lang: string): readonly string[] {
  return (PHRASE_LANGS as readonly string[]).includes(lang) ? DEFAULT_PHRASES[rule][lang as (typeof PHRASE_LANGS)[number]] : [];
}

/** What the textarea shows for `rule` in `lang`: the stored list, else the default one, a phrase a line. */
export function listText(lists: PhraseLists | undefined, rule: PhraseRuleId, lang: string): { text: string; isDefault: boolean } {
  const own = storedList(lists, rule, lang);
  return { text: (own ?? defaultList(rule, lang)).join('\n'), isDefault: own === undefined };
}

/**
 * `lists` with `rule` in `lang` set to `phrases` (a new object; the argument is not changed), or with that
 * list removed when `phrases` is null ("reset to default"). Undefined when nothing is left stored. A list
 * equal to the default while none is stored stays unstored, so showing the default never saves a copy.
 */
export function withList(lists: PhraseLists | undefined, rule: PhraseRuleId, lang: string, phrases: string[] | null): PhraseLists | undefined {
  const next: PhraseLists = {};
  for (const [r, byLang] of Object.entries(lists ?? {}) as [PhraseRuleId, Record<string, string[]>][]) next[r] = { ...byLang };
  const unchangedDefault = phrases !== null && storedList(lists, rule, lang) === undefined && phrases.join('\n') === defaultList(rule, lang).join('\n');
  if (phrases === null || unchangedDefault) {
    if (next[rule]) {
      delete next[rule][lang];
      if (Object.keys(next[rule]).length === 0) delete next[rule];
    }
  } else {
    next[rule] = { ...next[rule], [lang]: phrases };
  }
  return Object.keys(next).length ? next : undefined;
}

/** The whole lists checked by the server's schema: null when valid, else its first problem as `path: message`. */
export function listsProblem(lists: PhraseLists | undefined): string | null {
  if (lists === undefined) return null;
  const r = PhraseListsSchema.safeParse(lists);
  return r.success ? null : `${r.error.issues[0].path.join(' › ')}: ${r.error.issues[0].message}`;
}

/** A list's phrases from its textarea (the server trims too). */
export function textPhrases(text: string): string[] {
  return textLines(text).map((l) => l.text);
}

/** Most phrases a list holds (the schema's). */
export { PHRASES_PER_LIST_MAX };
