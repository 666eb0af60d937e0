import { describe, expect, it } from 'vitest';
import {
  compilePhrases,
  countWords,
  DEFAULT_PHRASES,
  foldText,
  maskMatches,
  matchPhrases,
  PHRASE_MAX_CHARS,
  PHRASE_MAX_WORDS,
  PHRASES_PER_LIST_MAX,
  PhraseListsSchema,
  phraseListFor,
  wordsOf,
} from '../../shared/phrases.ts';

const found = (text: string, phrases: string[], lang: string) =>
  matchPhrases(text, phrases, lang).map((m) => text.slice(m.start, m.end));

describe('foldText: Turkish dotted and dotless i (SpecialCasing tr/az)', () => {
  it('folds İ to i and I to ı in Turkish, never I to i', () => {
    expect(foldText('İYİ GÜNLER', 'tr')).toBe('iyi günler');
    expect(foldText('KIRMIZI', 'tr')).toBe('kırmızı');
    expect(foldText('BİLMİYORUM', 'tr')).toBe('bilmiyorum');
    expect(foldText('BILMIYORUM', 'tr')).toBe('bılmıyorum');
    expect(foldText('Istanbul', 'tr-TR')).toBe('ıstanbul');
  });

  it('folds a decomposed dotted capital (I + U+0307) and a dotted small i (i + U+0307) to i in Turkish', () => {
    expect(foldText('I\u0307YI\u0307', 'tr')).toBe('iyi');
    expect(foldText('i\u0307yi\u0307 günler', 'tr')).toBe('iyi günler');
  });

  it('matches "İYİ GÜNLER" for "iyi günler" and keeps "ılık" apart from "ilik" in Turkish', () => {
    expect(found('Alo, İYİ GÜNLER efendim', ['iyi günler'], 'tr')).toEqual(['İYİ GÜNLER']);
    expect(found('ILIK', ['ilik'], 'tr')).toEqual([]);
    expect(found('ILIK', ['ılık'], 'tr')).toEqual(['ILIK']);
  });

  it('uses default casing in English, with İ still folding to i', () => {
    expect(foldText('KIRMIZI', 'en')).toBe('kirmizi');
    expect(foldText('İstanbul', 'en')).toBe('istanbul');
    expect(found('I DON\u2019T KNOW', ["i don't know"], 'en')).toEqual(['I DON\u2019T KNOW']);
    expect(found("I DON'T KNOW", ['i dont know'], 'en')).toEqual(["I DON'T KNOW"]);
  });
});

describe('foldText: Estonian letters and normalisation', () => {
  it('keeps õ ä ö ü distinct from o a u', () => {
    expect(foldText('ÕUN ÄRA ÖÖ ÜLE', 'et')).toBe('õun ära öö üle');
    expect(found('Ma ei tee seda', ['ma ei tea'], 'et')).toEqual([]);
    expect(found('Ma ei tea.', ['ma ei tea'], 'et')).toEqual(['Ma ei tea']);
    expect(found('Tere päevast', ['tere paevast'], 'et')).toEqual([]);
  });

  it('treats a decomposed õ (o + U+0303) as the precomposed letter', () => {
    expect(foldText('TERE O\u0303HTUST', 'et')).toBe('tere õhtust');
    expect(found('tere o\u0303htust', ['Tere õhtust'], 'et')).toEqual(['tere o\u0303htust']);
  });
});

describe('foldText: punctuation, symbols and spaces', () => {
  it('drops punctuation and symbols and collapses whitespace', () => {
    expect(foldText('  Pardon?!  ', 'en')).toBe('pardon');
    expect(foldText('can   you...\trepeat\n', 'en')).toBe('can you repeat');
    expect(foldText('«Tekrar» eder misiniz? 🙏', 'tr')).toBe('tekrar eder misiniz');
    expect(found('Pardon?!', ['pardon'], 'en')).toEqual(['Pardon']);
    expect(found('sorry, can   you... repeat that?', ['can you repeat'], 'en')).toEqual(['can   you... repeat']);
  });

  it('keeps quotes around a word out of it and letters outside the BMP inside it', () => {
    expect(foldText("'Hello' — ‘there’", 'en')).toBe('hello there');
    expect(found("say 'damn' twice", ['damn'], 'en')).toEqual(['damn']);
    expect(foldText('𝐀bc de', 'en')).toBe('𝐀bc de'.toLowerCase());
    expect(countWords('𝐀bc, de…  f')).toBe(3);
  });

  it('drops apostrophes inside words, so "don\'t" is "dont" but not "do not"', () => {
    expect(foldText("I don't know", 'en')).toBe('i dont know');
    expect(foldText("İstanbul'da", 'tr')).toBe('istanbulda');
    expect(found('i do not know', ["i don't know"], 'en')).toEqual([]);
  });
});

describe('matchPhrases: whole words only', () => {
  it.each([
    ['en', 'This is a first-class service', 'ass'],
    ['en', 'hello there', 'hell'],
    ['tr', 'Boku yok, tamam', 'bok'],
    ['tr', 'bilmiyorum', 'bilmiyor'],
    ['et', 'Ma ei teata teile', 'ei tea'],
    ['et', 'Kuradikell õitseb', 'kurat'],
  ])('in %s, %j does not match %j inside a longer word', (lang, text, phrase) => {
    expect(matchPhrases(text, [phrase], lang)).toEqual([]);
  });

  it('matches a listed suffixed form only when it is listed (Turkish agglutination)', () => {
    expect(found('Bu çok boktan bir durum', ['bok'], 'tr')).toEqual([]);
    expect(found('Bu çok boktan bir durum', ['bok', 'boktan'], 'tr')).toEqual(['boktan']);
    expect(found('Bilmiyorum ki', ['bilmiyorum'], 'tr')).toEqual(['Bilmiyorum']);
  });

  it('prefers the longest phrase at a word and does not overlap matches', () => {
    const m = matchPhrases('Ma ei tea, ei tea tõesti.', ['ei tea', 'ma ei tea'], 'et');
    expect(m.map((x) => x.phrase)).toEqual(['ma ei tea', 'ei tea']);
  });

  it('reports the phrase as written in the list and spans that slice the original text', () => {
    const text = 'Well… I DON\u2019T  KNOW, honestly; NO IDEA!';
    const m = matchPhrases(text, ["I don't know", 'no idea'], 'en');
    expect(m).toEqual([
      { phrase: "I don't know", start: 6, end: 19 },
      { phrase: 'no idea', start: 31, end: 38 },
    ]);
    expect(m.map((x) => text.slice(x.start, x.end))).toEqual(['I DON\u2019T  KNOW', 'NO IDEA']);
  });

  it('ignores phrases that fold to nothing and keeps the first of two that fold alike', () => {
    const matcher = compilePhrases(['?!', '', 'Pardon', 'pardon?'], 'en');
    expect(matcher.size).toBe(1);
    expect(matcher.match('PARDON')).toEqual([{ phrase: 'Pardon', start: 0, end: 6 }]);
  });

  it('finds each default list phrase in its own language', () => {
    for (const [rule, byLang] of Object.entries(DEFAULT_PHRASES)) {
      for (const [lang, phrases] of Object.entries(byLang)) {
        const matcher = compilePhrases(phrases, lang);
        for (const p of phrases) {
          const upper = p.toLocaleUpperCase(lang);
          expect(matcher.match(`— ${upper}?`), `${rule}/${lang}: ${p}`).toHaveLength(1);
        }
      }
    }
  });
});

describe('maskMatches', () => {
  it('keeps the first letter, the length and the punctuation', () => {
    const text = "Oh damn, that's BOKTAN! Kurat küll.";
    const m = [
      ...matchPhrases(text, ['damn', "that's"], 'en'),
      ...matchPhrases(text, ['boktan'], 'tr'),
      ...matchPhrases(text, ['kurat'], 'et'),
    ];
    const masked = maskMatches(text, m);
    expect(masked).toBe("Oh d•••, t•••'• B•••••! K•••• küll.");
    expect(masked).toHaveLength(text.length);
  });

  it('masks every word of a multi-word match and leaves the text alone without matches', () => {
    expect(maskMatches('please shut up now', matchPhrases('please shut up now', ['shut up'], 'en'))).toBe('please s••• u• now');
    expect(maskMatches('İyi günler', [])).toBe('İyi günler');
  });
});

describe('PhraseListsSchema', () => {
  it('accepts the default lists', () => {
    expect(PhraseListsSchema.safeParse(DEFAULT_PHRASES).success).toBe(true);
    expect(PhraseListsSchema.safeParse({ language: { tr: ['lan'] } }).success).toBe(true);
  });

  it.each([
    ['an unknown rule', { swearing: { en: ['damn'] } }],
    ['a language that is not a code', { language: { English: ['damn'] } }],
    ['a phrase of punctuation only', { clarity: { en: ['?!'] } }],
    ['a phrase too long', { clarity: { en: ['a'.repeat(PHRASE_MAX_CHARS + 1)] } }],
    ['a phrase of too many words', { clarity: { en: [Array(PHRASE_MAX_WORDS + 1).fill('w').join(' ')] } }],
    ['a list too long', { greeting: { en: Array(PHRASES_PER_LIST_MAX + 1).fill('hi') } }],
    ['too many languages', { greeting: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`l${String.fromCharCode(97 + i)}`, ['hi']])) }],
  ])('rejects %s', (_what, lists) => {
    expect(PhraseListsSchema.safeParse(lists).success).toBe(false);
  });
});

describe('phraseListFor', () => {
  it("takes the admin's list for the rule and language, else the default, else none", () => {
    const lists = { language: { tr: ['lan'], et: [] } };
    expect(phraseListFor(lists, 'language', 'tr-TR')).toEqual(['lan']);
    expect(phraseListFor(lists, 'language', 'et')).toEqual([]);
    expect(phraseListFor(lists, 'language', 'en')).toBe(DEFAULT_PHRASES.language.en);
    expect(phraseListFor(undefined, 'dont-know', 'ET')).toBe(DEFAULT_PHRASES['dont-know'].et);
    expect(phraseListFor(lists, 'greeting', 'de')).toEqual([]);
  });
});

describe('speed', () => {
  it('matches 200 phrases against a 10,000-word text once compiled, with bounded trie steps', () => {
    const words = ['merhaba', 'iyi', 'günler', 'efendim', 'bilmiyorum', 'kontrol', 'edeyim', 'ışık', 'İstanbul’da', 'kırmızı'];
    const text = Array.from({ length: 10_000 }, (_, i) => words[i % words.length] + (i % 13 === 0 ? ',' : '')).join(' ');
    const phrases = Array.from({ length: 200 }, (_, i) => `${words[i % words.length]} w${i}`);
    phrases.push('iyi günler', 'kontrol edeyim');
    const matcher = compilePhrases(phrases, 'tr');
    expect(matcher.maxWords).toBe(2); // each word of the text costs at most 2 trie steps
    const t0 = performance.now();
    const m = matcher.match(text);
    const elapsedMs = performance.now() - t0;
    expect(m).toHaveLength(2_000); // both two-word phrases once in every ten words
    expect(m.every((x) => ['iyi günler', 'kontrol edeyim'].includes(x.phrase))).toBe(true);
    expect(elapsedMs).toBeLessThan(200); // very loose: a few ms on a laptop; the bench is the measure
  });
});

describe('one split for several lists (wordsOf + matchWords)', () => {
  it('gives the same matches as match() on the text, and refuses words split for another casing', () => {
    const text = 'İYİ günler, BİLMİYORUM ama kontrol edeyim. Efendim?';
    const lists = [DEFAULT_PHRASES.greeting.tr, DEFAULT_PHRASES['dont-know'].tr, DEFAULT_PHRASES['find-out'].tr, DEFAULT_PHRASES.clarity.tr];
    const words = wordsOf(text, 'tr');
    for (const list of lists) {
      const m = compilePhrases(list, 'tr');
      expect(m.matchWords(words)).toEqual(m.match(text));
      expect(m.match(text).length).toBeGreaterThan(0);
    }
    expect(() => compilePhrases(['ışık'], 'tr').matchWords(wordsOf(text, 'en'))).toThrow(/split for en/);
  });
});
