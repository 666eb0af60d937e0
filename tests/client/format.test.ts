// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';
import { formatDuration, formatPct, formatSec, levelTone, livePace, paceTone, serviceLevelTone, thresholdTone } from '../../client/src/format.ts';
import { formatValue, ruleExplain, ruleName, RULE_TEXT } from '../../client/src/rules.ts';
import { RULE_IDS } from '../../shared/config.ts';
import { setLocale } from '../../client/src/i18n/index.ts';

describe('time formatting', () => {
  it.each([
    [0, '0:00'],
    [999, '0:00'],
    [5_000, '0:05'],
    [65_000, '1:05'],
    [59 * 60_000 + 59_000, '59:59'],
    [3_600_000, '1:00:00'],
    [3_600_000 + 61_000, '1:01:01'],
    [-5_000, '0:00'],
  ])('shows %i ms as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('shows missing numbers as a dash, not zero', () => {
    expect(formatSec(null)).toBe('–');
    expect(formatPct(null)).toBe('–');
    expect(formatSec(83)).toBe('1:23');
    expect(formatPct(79.6)).toBe('80%');
  });
});

describe('threshold colours always come with a text and an icon', () => {
  it('maps values to ok, warn and breach at the thresholds', () => {
    expect(thresholdTone(44.9, 45, 90)).toMatchObject({ tone: 'ok', label: 'OK', icon: '●' });
    expect(thresholdTone(45, 45, 90)).toMatchObject({ tone: 'warn', label: 'Warn', icon: '▲' });
    expect(thresholdTone(90, 45, 90)).toMatchObject({ tone: 'breach', label: 'Breach', icon: '■' });
    expect(thresholdTone(null, 45, 90).tone).toBe('none');
  });

  it('colours service level against its target: green at target, amber within 10 points, red below', () => {
    expect(serviceLevelTone(80, 80).tone).toBe('ok');
    expect(serviceLevelTone(70, 80).tone).toBe('warn');
    expect(serviceLevelTone(69.9, 80).tone).toBe('breach');
    expect(serviceLevelTone(null, 80).tone).toBe('none');
  });

  it('flags pace only when more calls behind than allowed', () => {
    expect(paceTone(3, 5, 2).tone).toBe('ok');
    expect(paceTone(2, 5, 2).tone).toBe('warn');
    expect(paceTone(2, null, 2).tone).toBe('none');
  });

  it('labels alert levels', () => {
    expect(levelTone('breach').label).toBe('Breach');
    expect(levelTone('info').label).toBe('Info');
    expect(levelTone(null).label).toBe('OK');
  });
});

describe('rule texts', () => {
  it('explain every rule of the engine in plain words', () => {
    expect(Object.keys(RULE_TEXT).sort()).toEqual([...RULE_IDS].sort());
    for (const id of RULE_IDS) {
      expect(ruleName(id).length).toBeGreaterThan(3);
      expect(ruleExplain(id)).toMatch(/\.$/);
    }
  });

  it('states measured values with their unit', () => {
    expect(formatValue(4, 'rings')).toBe('4 rings');
    expect(formatValue(1, 'rings')).toBe('1 ring');
    expect(formatValue(95, 'sec')).toBe('1 min 35 s');
    expect(formatValue(45, 'sec')).toBe('45 s');
    expect(formatValue(-6.5, 'dbfs')).toBe('-6.5 dBFS');
    expect(formatValue(0, 'event')).toBe('');
  });
});

describe('live pace', () => {
  it('moves with the clock from the shift start, without a new push, and is null before the shift', () => {
    const start = Date.parse('2026-11-24T09:00:00Z');
    const view = { shiftStartMs: start, shiftMinutes: 480, quota: 30 };
    expect(livePace(view, start)).toBe(0);
    expect(livePace(view, start + 4 * 3_600_000)).toBe(15);
    expect(livePace(view, start + 4 * 3_600_000 + 16 * 60_000)).toBe(16);
    expect(livePace(view, start + 10 * 3_600_000)).toBe(30); // never beyond the quota
    expect(livePace({ ...view, shiftStartMs: null }, start)).toBeNull();
  });
});


describe('durations never show 60 in the seconds place', () => {
  const cases: [number, string, string][] = [
    [59.5, '1 min 0 s', '1 dk 0 sn'],
    [119.7, '2 min 0 s', '2 dk 0 sn'],
    [3599.6, '60 min 0 s', '60 dk 0 sn'],
    [0.4, '0 s', '0 sn'],
    [95.2, '1 min 35 s', '1 dk 35 sn'],
  ];
  afterEach(() => setLocale('en'));

  it.each(cases)('writes a measured %s s as %s (en) and %s (tr)', (sec, en, tr) => {
    setLocale('en');
    expect(formatValue(sec, 'sec')).toBe(en);
    setLocale('tr');
    expect(formatValue(sec, 'sec')).toBe(tr);
  });

  it.each([
    [59.5, '0:59'],
    [119.7, '1:59'],
    [3599.6, '59:59'],
    [0.4, '0:00'],
  ])('shows a running %s s timer as %s, whole seconds floored once in every language', (sec, text) => {
    for (const locale of ['en', 'tr'] as const) {
      setLocale(locale);
      expect(formatSec(sec)).toBe(text);
      expect(formatDuration(sec * 1000)).toBe(text);
    }
  });
});
