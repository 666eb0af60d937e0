/**
 * The audit page shows what a settings save changed (a first-time user could not see which
 * threshold an applied what-if moved: both sides held the whole configuration, cut at 160 characters).
 */
import { describe, expect, it } from 'vitest';
import { auditChanges, auditValue } from '../../client/src/auditDiff.ts';
import { defaultConfig } from '../../shared/config.ts';

describe('audit changes', () => {
  it('lists only the values a settings save moved, by dotted path', () => {
    const before = defaultConfig();
    const after = { ...before, rules: { ...before.rules, holdLongWarnSec: 60 }, queues: { sales: { rules: { ringBreachAt: 5 } } }, disabled: ['speakerphone' as const] };
    expect(auditChanges(before, after)).toEqual([
      { path: 'disabled', before: [], after: ['speakerphone'] },
      { path: 'queues.sales', before: undefined, after: { rules: { ringBreachAt: 5 } } },
      { path: 'rules.holdLongWarnSec', before: 45, after: 60 },
    ]);
  });

  it('leaves entries that are not two objects alone, and caps a long list', () => {
    expect(auditChanges(undefined, { a: 1 })).toEqual([]);
    expect(auditChanges({ a: 1 }, { a: 1 })).toEqual([]);
    const many = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`k${String(i).padStart(2, '0')}`, i]));
    expect(auditChanges({}, many, 12)).toHaveLength(12);
    expect(auditValue(undefined)).toBe('–');
    expect(auditValue('x'.repeat(500), 10)).toBe('"xxxxxxxxx');
  });
});
