/**
 * Phrase matching (issue 18, shared/phrases.ts): milliseconds to match a compiled list of 200
 * phrases against a 10,000-word transcript, in Turkish, Estonian and English (folding, whole-word
 * matching and spans included). A transcript segment is a few dozen words, so this is hundreds of
 * segments' worth per run.
 *
 * Baseline, in the same run on the same text: `toLowerCase()` and a split on whitespace, the least
 * any matcher must do; the ratio says what the language rules, the spans and the trie add.
 * Alternated runs, best kept.
 */
import { compilePhrases } from '../shared/phrases.ts';
import type { BenchRow, BenchRun } from './types.ts';
import { ratio } from './types.ts';

const WORDS = 10_000;
const PHRASES = 200;
/** A 10,000-word text in a few ms leaves room for every segment of a large floor. */
const TARGET_MS = 10;

const VOCAB: Record<string, string[]> = {
  tr: ['Merhaba', 'İYİ', 'günler,', 'efendim', 'BİLMİYORUM', 'kontrol', 'edeyim', 'ışık', 'İstanbul’da', 'KIRMIZI', 'tamam.', 'anlamadım?'],
  et: ['Tere', 'päevast,', 'MA', 'ei', 'tea', 'uurin', 'järele', 'õun', 'ÄRA', 'öö', 'kuidas', 'palun?'],
  en: ['Hello,', 'I', "DON'T", 'know', 'let', 'me', 'check', 'pardon?', 'can', 'you', 'repeat', 'that.'],
};

export const run: BenchRun = async ({ quick }) => {
  const rounds = quick ? 5 : 20;
  const rows: BenchRow[] = [];
  for (const [lang, vocab] of Object.entries(VOCAB)) {
    const text = Array.from({ length: WORDS }, (_, i) => vocab[(i * 5 + (i >> 3)) % vocab.length]).join(' ');
    const phrases = Array.from({ length: PHRASES }, (_, i) => `${vocab[i % vocab.length]} ${vocab[(i * 7 + 3) % vocab.length]}`);
    const matcher = compilePhrases(phrases, lang);
    let best = Infinity;
    let bestBase = Infinity;
    let matches = 0;
    for (let r = 0; r < rounds; r++) {
      let t0 = performance.now();
      matches = matcher.match(text).length;
      best = Math.min(best, performance.now() - t0);
      t0 = performance.now();
      const n = text.toLowerCase().split(/\s+/).length;
      bestBase = Math.min(bestBase, performance.now() - t0);
      if (n !== WORDS) throw new Error('the baseline split the text wrongly');
    }
    rows.push({
      bench: 'phrases',
      metric: `match ${PHRASES} phrases, ${WORDS.toLocaleString('en-US')} words, ${lang}`,
      value: Math.round(best * 100) / 100,
      unit: 'ms',
      baseline: { name: 'lower-case + split', value: Math.round(bestBase * 100) / 100 },
      ratio: ratio(best, bestBase),
      target: `< ${TARGET_MS} ms`,
      met: best < TARGET_MS,
      note: `${matches} matches`,
    });
  }
  return rows;
};
