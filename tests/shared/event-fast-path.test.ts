/**
 * parseEvent's fast path (shared/events.ts FAST_FIELDS) must only ever say yes where zod says yes
 * with the same value: checked here field by field against the zod shapes, and on 20,000 seeded
 * random events, valid and broken in every way a field can be broken, each compared with zod alone.
 */
import { describe, expect, it } from 'vitest';
import { EVENT_TYPES, FAST_FIELDS, floorEventSchema, parseEvent } from '../../shared/events.ts';
import { mulberry32 } from '../../shared/random.ts';

const rand = mulberry32(20261130);
const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
const CHARS = ['a', 'Z', '7', '-', ':', ' ', 'ç', 'õ', 'ş', '€', '😀', '|', '"'];
/** Text of lo..hi UTF-16 units (an emoji is two). */
function word(lo: number, hi: number): string {
  const n = int(lo, hi);
  let s = '';
  while (s.length < n) s += pick(CHARS);
  return s.length > hi ? s.slice(0, hi) : s;
}
const AT = 1_764_000_000_000;

/** A valid value for a field of the fast path's kind. */
function validValue(f: (typeof FAST_FIELDS)[keyof typeof FAST_FIELDS][string]): unknown {
  switch (f.k) {
    case 'id':
      return word(1, rand() < 0.1 ? 128 : 12);
    case 'text':
      return word(0, rand() < 0.1 ? (f.max ?? 200) : 20);
    case 'segment-ms':
      return rand() < 0.5 ? int(0, 600_000) : AT + int(0, 86_400_000);
    case 'lang':
      return pick(['en', 'tr', 'et', 'en-GB', 'zh-Hant']);
    case 'time':
      return AT + int(0, 86_400_000);
    case 'bool':
      return rand() < 0.5;
    case 'num':
      return f.int ? int(f.min, f.max) : f.min + rand() * (f.max - f.min);
    case 'enum':
      return pick(f.of);
    case 'ids':
      return Array.from({ length: int(0, rand() < 0.1 ? f.max : 3) }, () => word(1, 8));
    case 'enums':
      return Array.from({ length: int(0, rand() < 0.1 ? f.max : 3) }, () => pick(f.of));
  }
}

function validEvent(type: (typeof EVENT_TYPES)[number]): Record<string, unknown> {
  const e: Record<string, unknown> = {};
  for (const [key, f] of Object.entries(FAST_FIELDS[type])) {
    if (f.opt && rand() < 0.5) continue;
    e[key] = validValue(f);
  }
  e.type = type;
  // A transcript segment's times go together: both offsets or both epoch ms, the end not before the start.
  if (typeof e.startMs === 'number' && typeof e.endMs === 'number') e.endMs = e.startMs + int(0, 30_000);
  return e;
}

/** Values that break some field of some type (or, for another field, may be valid). */
const ODD_VALUES: unknown[] = [
  '', 'x'.repeat(128), 'x'.repeat(129), 'x'.repeat(200), 'x'.repeat(201), 'a\u0000b', 'a\u001fb', 'a\u007fb', 'é'.repeat(129), '😀'.repeat(64), '😀'.repeat(65),
  0, -0, -1, 0.5, 1.5, 1000, 1001, 1000.5, 604_800, 604_801, -200, -200.0001, 12.25, NaN, Infinity, -Infinity, 2 ** 53, 2 ** 53 + 2,
  946_684_800_000, 946_684_799_999, 4_102_444_800_000, 4_102_444_800_001, AT + 0.4, AT + 0.6, '2026-11-24T09:00:00Z', '2026-02-31T09:00:00Z', String(AT),
  true, false, null, undefined, [], {}, ['q'], ['q', ''], ['q', 5], Array(100).fill('q'), Array(101).fill('q'), [undefined],
  'available', 'offline', 'busy', 'no-answer', 'canceled', 'blind', 'attended', 'agent', 'caller', 'call.queued', 'nope',
  'x'.repeat(2000), 'x'.repeat(2001), 'a\nb', 99_999_999_999, 100_000_000_000, 'en', 'tr', 'et', 'EN', 'en-GB', 'english', 'e', 'en_GB',
  ['greeting'], ['greeting', 'name', 'language', 'language'], ['swear'], [1], Array(64).fill('language'), Array(65).fill('language'),
];

function mutate(e: Record<string, unknown>, type: (typeof EVENT_TYPES)[number]): Record<string, unknown> {
  const keys = Object.keys(FAST_FIELDS[type]);
  switch (int(0, 7)) {
    case 0:
    case 1:
    case 2:
      e[pick(keys)] = pick(ODD_VALUES);
      return e;
    case 3:
      delete e[pick(keys)];
      return e;
    case 4:
      e[pick(['extra', 'notes', 'agentId', 'queueId', 'waitSec', 'constructor', 'toString'])] = pick(ODD_VALUES);
      return e;
    case 5:
      return JSON.parse(`{"__proto__": {"x": 1}, ${JSON.stringify(e).slice(1)}`) as Record<string, unknown>;
    case 6:
      return Object.assign(Object.create(rand() < 0.5 ? null : { inherited: 1 }), e) as Record<string, unknown>;
    default:
      e[Symbol('s') as unknown as string] = 1;
      return e;
  }
}

describe('parseEvent fast path', () => {
  it('knows exactly the fields of every feed event type, and which are optional, as the zod schema does', () => {
    expect(Object.keys(FAST_FIELDS).sort()).toEqual([...EVENT_TYPES].sort());
    for (const option of floorEventSchema.options) {
      const type = option.shape.type.value;
      const fast = FAST_FIELDS[type];
      expect(Object.keys(fast).sort(), type).toEqual(Object.keys(option.shape).sort());
      for (const [key, schema] of Object.entries(option.shape)) {
        if (key === 'type') continue;
        expect(!!fast[key].opt, `${type}.${key} optional`).toBe(schema.safeParse(undefined).success);
      }
    }
  });

  it('gives what zod alone gives for every odd value in every field of every type', () => {
    let cases = 0;
    for (const type of EVENT_TYPES) {
      for (const key of [...Object.keys(FAST_FIELDS[type]), 'extra']) {
        for (const odd of ODD_VALUES) {
          const e = { ...validEvent(type), [key]: odd };
          const zod = floorEventSchema.safeParse(e);
          const ours = parseEvent(e);
          expect(ours.ok, `${type}.${key} = ${JSON.stringify(odd)}`).toBe(zod.success);
          if (ours.ok && zod.success) expect(ours.event).toStrictEqual(zod.data);
          cases++;
        }
      }
    }
    expect(cases).toBeGreaterThan(7_000);
  });

  it('on 20,000 seeded events, valid and broken, gives what zod alone gives, and takes the fast path for plain valid ones', () => {
    let fast = 0;
    let valid = 0;
    let broken = 0;
    for (let i = 0; i < 20_000; i++) {
      const type = pick(EVENT_TYPES);
      let e = validEvent(type);
      const rounds = i % 3; // a third left valid, the rest broken once or twice
      for (let r = 0; r < rounds; r++) e = mutate(e, type);
      const zod = floorEventSchema.safeParse(e);
      const ours = parseEvent(e);
      expect(ours.ok, JSON.stringify(e)).toBe(zod.success);
      if (ours.ok && zod.success) {
        // zod drops symbol keys (JSON and the adapters never make them); the fast path leaves them be.
        if (Object.getOwnPropertySymbols(e).length > 0) expect(Object.fromEntries(Object.entries(ours.event))).toStrictEqual(zod.data);
        else expect(ours.event).toStrictEqual(zod.data);
        if (ours.event === e) fast++;
        valid++;
      } else broken++;
      if (rounds === 0) expect(ours.ok && ours.event === e, `a plain valid ${type} takes the fast path`).toBe(true);
    }
    expect(fast).toBeGreaterThan(6_000);
    expect(broken).toBeGreaterThan(5_000);
    expect(valid).toBeGreaterThan(fast - 1);
  });
});
