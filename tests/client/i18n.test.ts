// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { catalogues, i18n, setLocale, initialLocale } from '../../client/src/i18n/index.ts';
import { formatPct, formatClock } from '../../client/src/format.ts';
import { ruleName, formatValue } from '../../client/src/rules.ts';
import { RULE_IDS } from '../../shared/config.ts';
import type { AlertUnit } from '../../shared/state.ts';
import { PHRASE_RULE_IDS } from '../../shared/phrases.ts';
import { TRANSCRIPT_CUES } from '../../shared/events.ts';
import { RULE_FIELDS, SL_FIELDS, WORK_FIELDS } from '../../client/src/thresholds.ts';

type Tree = { [k: string]: string | Tree };

function flatten(t: Tree, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(t)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (typeof v === 'string') out.set(key, v);
    else for (const [kk, vv] of flatten(v, key)) out.set(kk, vv);
  }
  return out;
}
const placeholders = (s: string) => [...new Set(s.match(/\{\w+\}/g) ?? [])].sort();

describe('translations', () => {
  const en = flatten(catalogues.en as unknown as Tree);

  it.each(['tr', 'et'] as const)('%s has every key of English, and no other', (lang) => {
    const other = flatten(catalogues[lang] as unknown as Tree);
    const missing = [...en.keys()].filter((k) => !other.has(k));
    const extra = [...other.keys()].filter((k) => !en.has(k));
    expect({ missing, extra }).toEqual({ missing: [], extra: [] });
  });

  it.each(['en', 'tr', 'et'] as const)('%s has no empty text and keeps every placeholder of English', (lang) => {
    const other = flatten(catalogues[lang] as unknown as Tree);
    const wrong: string[] = [];
    for (const [k, v] of en) {
      const w = other.get(k) ?? '';
      if (!w.trim()) wrong.push(`${k}: empty`);
      if (JSON.stringify(placeholders(w)) !== JSON.stringify(placeholders(v))) wrong.push(`${k}: ${placeholders(w).join()} ≠ ${placeholders(v).join()}`);
    }
    expect(wrong).toEqual([]);
  });

  it('explains every rule of the engine in every language', () => {
    for (const lang of ['en', 'tr', 'et'] as const) {
      expect(Object.keys(catalogues[lang].rule).sort()).toEqual([...RULE_IDS].sort());
    }
  });

  it('gives every rule its advice, and every threshold field its label, help and unit, in every language', () => {
    for (const lang of ['en', 'tr', 'et'] as const) {
      const c = catalogues[lang];
      expect(Object.keys(c.advice).sort(), lang).toEqual([...RULE_IDS].sort());
      for (const f of [...RULE_FIELDS, ...WORK_FIELDS, ...SL_FIELDS]) {
        expect(c.settings.f, `${lang} settings.f.${f.key}`).toHaveProperty([f.key]);
        expect(c.settings.help, `${lang} settings.help.${f.key}`).toHaveProperty([f.key]);
        expect(c.settings.u, `${lang} settings.u.${f.unit}`).toHaveProperty([f.unit]);
      }
      // The conversation settings: every phrase list the editor shows, every cue a transcript marks.
      for (const r of PHRASE_RULE_IDS) expect(c.cs.lists, `${lang} cs.lists.${r}`).toHaveProperty([r]);
      for (const cue of TRANSCRIPT_CUES) expect(c.tx.cue, `${lang} tx.cue.${cue}`).toHaveProperty([cue]);
    }
  });

  it('says every alert unit in words, in every language (only a bare event has no value)', () => {
    // A Record over the union: a unit added to AlertUnit without an entry here fails the typecheck.
    const samples: Record<AlertUnit, number> = { rings: 4, sec: 75, holds: 3, calls: 2, dbfs: -6, requests: 2, event: 1, words: 2, times: 3 };
    for (const lang of ['en', 'tr', 'et'] as const) {
      setLocale(lang);
      for (const [unit, n] of Object.entries(samples)) {
        const text = formatValue(n, unit);
        if (unit === 'event') expect(text).toBe('');
        else {
          expect(text, `${lang} ${unit}`).toContain(String(Math.abs(n) >= 60 ? 1 : Math.abs(n)));
          expect(text, `${lang} ${unit}`).not.toMatch(/unit\./);
        }
      }
    }
    setLocale('en');
    expect([formatValue(1, 'words'), formatValue(3, 'times')]).toEqual(['1 listed word', '3 times']);
  });

  it('switches language, remembers it per user, and formats numbers and times by it', () => {
    setLocale('tr', 'ayse');
    expect(i18n.global.locale.value).toBe('tr');
    expect(ruleName('hold-long')).toBe('Uzun bekletme');
    expect(formatValue(4, 'rings')).toBe('4 çalış');
    expect(formatPct(80)).toBe('%80');
    setLocale('et');
    expect(ruleName('hold-long')).toBe('Pikk ootel hoidmine');
    expect(formatValue(4, 'rings')).toBe('4 helinat');
    expect(formatPct(80)).toMatch(/^80\s?%$/);
    expect(formatClock(Date.UTC(2026, 10, 24, 15, 5), 'et')).toMatch(/\d{2}:05/);
    expect(localStorage.getItem('fw-lang:ayse')).toBe('tr');
    expect(initialLocale('?lang=et')).toBe('et');
    expect(initialLocale('?lang=xx')).toBe('et'); // unknown in the URL: what this browser remembered
    setLocale('en');
    expect(formatValue(1, 'rings')).toBe('1 ring');
  });

  it('names an alert apart from the warn level in every language (tr "uyarı" and et "hoiatus" mean the warn level only)', () => {
    for (const lang of ['en', 'tr', 'et'] as const) {
      const c = catalogues[lang];
      // The warn level's word, cut to its stem so inflected forms (uyarılar, hoiatused) are caught too.
      const warnStem = c.tone.warn.toLocaleLowerCase(lang).slice(0, 4);
      const alertTexts = {
        'alerts.title': c.alerts.title, 'alerts.none': c.alerts.none, 'lx.legendNow': c.lx.legendNow,
        'ns.alerts': c.ns.alerts, 'ns.kinds.alert': c.ns.kinds.alert, 'ns.intro': c.ns.intro, 'ns.formatHelp': c.ns.formatHelp,
        'ns.groupHelp': c.ns.groupHelp, 'ns.allClearHelp': c.ns.allClearHelp, 'ns.routingHelp': c.ns.routingHelp,
        'af.showEnded': c.af.showEnded, 'af.hideEnded': c.af.hideEnded, 'af.noMatch': c.af.noMatch,
        'signals.title': c.signals.title, 'signals.agentNote': c.signals.agentNote,
      };
      for (const [key, text] of Object.entries(alertTexts)) expect(text.toLocaleLowerCase(lang), `${lang} ${key}`).not.toContain(warnStem);
      // The header's warnings count and the alerts panel's title are two different words.
      expect(c.alerts.title.toLocaleLowerCase(lang).slice(0, 4)).not.toBe(c.totals.warnings.toLocaleLowerCase(lang).slice(0, 4));
    }
    expect([catalogues.tr.alerts.title, catalogues.tr.ns.kinds.alert, catalogues.et.alerts.title, catalogues.et.ns.kinds.alert]).toEqual(['Alarmlar', 'alarm', 'Häired', 'häire']);
  });
});
