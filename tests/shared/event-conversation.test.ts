/**
 * The conversation events (`call.transcript`, `call.talking`): what they accept and refuse, and that
 * parseEvent's fast path (FAST_FIELDS) and the zod schema agree on every case, with the same value back.
 */
import { describe, expect, it } from 'vitest';
import { FAST_FIELDS, MAX_TRANSCRIPT_TEXT, floorEventSchema, parseEvent } from '../../shared/events.ts';

const AT = 1_764_000_000_000;
const segment = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  type: 'call.transcript',
  id: 't1',
  at: AT,
  callId: 'c1',
  speaker: 'agent',
  text: 'Hello, this is Aylin from Floorwatch, how can I help?',
  startMs: 1_200,
  endMs: 4_800,
  final: true,
  ...over,
});
const talking = (over: Record<string, unknown> = {}): Record<string, unknown> => ({ type: 'call.talking', id: 'v1', at: AT, callId: 'c1', party: 'caller', talking: true, ...over });

/** Parses with both paths; they must agree, and return the same value when they accept. */
function both(e: Record<string, unknown>): boolean {
  const zod = floorEventSchema.safeParse(e);
  const ours = parseEvent(e);
  expect(ours.ok, JSON.stringify(e).slice(0, 200)).toBe(zod.success);
  if (ours.ok && zod.success) expect(ours.event).toStrictEqual(zod.data);
  return ours.ok;
}

describe('call.transcript', () => {
  it.each<[string, Record<string, unknown>]>([
    ['offsets from the answer', {}],
    ['epoch-ms times', { startMs: AT - 5_000, endMs: AT - 1_000 }],
    ['a zero-length segment at the answer', { startMs: 0, endMs: 0 }],
    ['fractional offsets', { startMs: 10.5, endMs: 20.25 }],
    ['the longest text', { text: 'a'.repeat(MAX_TRANSCRIPT_TEXT) }],
    ['empty text (an engine heard noise)', { text: '' }],
    ['Turkish text and a language', { text: 'İyi günler, ben Işıl', lang: 'tr', speaker: 'agent' }],
    ['Estonian text, caller, interim', { text: 'Kuidas palun? Ma ei saanud aru.', lang: 'et', speaker: 'caller', final: false }],
    ['a region subtag', { lang: 'en-GB' }],
    ['a script subtag', { lang: 'zh-Hant' }],
    ['the largest offset', { startMs: 99_999_999_999, endMs: 99_999_999_999 }],
  ])('accepts %s, on both paths', (_, over) => {
    expect(both(segment(over))).toBe(true);
  });

  it('takes the fast path for a plain valid segment (the same object back)', () => {
    const e = segment({ lang: 'et' });
    const r = parseEvent(e);
    expect(r.ok && r.event === e).toBe(true);
  });

  it.each<[string, Record<string, unknown>]>([
    ['text one character too long', { text: 'a'.repeat(MAX_TRANSCRIPT_TEXT + 1) }],
    ['a newline in the text', { text: 'hello\nworld' }],
    ['NUL in the text', { text: 'a\u0000b' }],
    ['ESC in the text', { text: '\u001b[31mred' }],
    ['DEL in the text', { text: 'a\u007f' }],
    ['a speaker other than agent or caller', { speaker: 'supervisor' }],
    ['a negative offset', { startMs: -1 }],
    ['an end before the start', { startMs: 5_000, endMs: 4_999 }],
    ['an offset start with an epoch end', { startMs: 0, endMs: AT }],
    ['an epoch start with an offset end', { startMs: AT, endMs: 10 }],
    ['a value neither offset nor time (1e11 .. 2000)', { startMs: 1e11, endMs: 1e11 }],
    ['a time after 2100', { startMs: 4_102_444_800_001, endMs: 4_102_444_800_001 }],
    ['NaN', { startMs: Number.NaN }],
    ['Infinity', { endMs: Number.POSITIVE_INFINITY }],
    ['an ISO time as start', { startMs: '2026-11-24T09:00:00Z' }],
    ['a language in capitals', { lang: 'EN' }],
    ['a language spelt out', { lang: 'english' }],
    ['a language with an underscore', { lang: 'en_GB' }],
    ['an empty language', { lang: '' }],
    ['final as text', { final: 'true' }],
    ['no final', { final: undefined }],
    ['no text', { text: undefined }],
    ['an unknown field', { confidence: 0.9 }],
  ])('refuses %s, on both paths', (_, over) => {
    const e = segment(over);
    for (const k of Object.keys(over)) if (over[k] === undefined) delete e[k];
    expect(both(e)).toBe(false);
  });

  it('names the field at fault', () => {
    const r = parseEvent(segment({ startMs: 5_000, endMs: 10 }));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/^endMs: /);
    const t = parseEvent(segment({ text: 'x\ty' }));
    expect(t.ok ? 'accepted' : t.error).toBe('text: must not contain control characters');
  });
});

describe('call.talking', () => {
  it.each([
    ['caller', true],
    ['caller', false],
    ['agent', true],
    ['agent', false],
  ] as const)('accepts party %s talking %s on both paths, the fast path giving the same object back', (party, on) => {
    const e = talking({ party, talking: on });
    expect(both(e)).toBe(true);
    const r = parseEvent(e);
    expect(r.ok && r.event === e).toBe(true);
  });

  it.each<[string, Record<string, unknown>]>([
    ['a third party', { party: 'supervisor' }],
    ['talking as a number', { talking: 1 }],
    ['no talking', { talking: undefined }],
    ['no party', { party: undefined }],
    ['an empty call id', { callId: '' }],
    ['a duration field (not part of the event)', { durationMs: 1200 }],
  ])('refuses %s, on both paths', (_, over) => {
    const e = talking(over);
    for (const k of Object.keys(over)) if (over[k] === undefined) delete e[k];
    expect(both(e)).toBe(false);
  });

  it('has the same fields on the fast path as in the schema', () => {
    expect(Object.keys(FAST_FIELDS['call.talking']).sort()).toEqual(['at', 'callId', 'id', 'party', 'talking', 'type']);
    expect(Object.keys(FAST_FIELDS['call.transcript']).sort()).toEqual(['at', 'callId', 'cues', 'endMs', 'final', 'id', 'lang', 'speaker', 'startMs', 'text', 'type']);
  });
});
