/**
 * Generators of feed events for the fuzz test: valid ones (with odd but legal
 * content: unicode, ids like `__proto__`) and hostile ones that the ingest
 * edge must refuse, each with the word its error has to name.
 */
import { Rng } from './prng.ts';

/** One generated input: what to send, whether it is a valid event, and what a rejection must mention. */
export interface GenItem {
  value: unknown;
  valid: boolean;
  /** For a valid event: its id. */
  id?: string;
  /** For an invalid one: a text its error must contain (usually the field's name). */
  mention?: string;
  kind: string;
}

type Obj = Record<string, unknown>;

/** Base time of generated events (2026-11-24T09:00:00Z, the harness's T0). */
const BASE_MS = Date.parse('2026-11-24T09:00:00Z');

/** Legal but unusual text: every one of these is a valid id. */
export const ODD_IDS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
  '日本語',
  '🙂',
  '👩‍👩‍👧',
  'e\u0301',
  'é',
  '\u200b',
  '\u202eevil',
  '\ufeffbom',
  'x\ud800',
  'y\udfff',
  '\ufffd',
  'İı',
  "O'Brien; DROP TABLE events;--",
  '<script>alert(1)</script>',
  '${x}',
  '%s%n',
  ' ',
  'a'.repeat(128),
];

export const AGENTS = ['a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7', 'a8', '__proto__', 'constructor', '日本語', 'x\ud800'];
export const QUEUES = ['q1', 'q2', 'q3', '__proto__', 'constructor', 'toString', '🙂'];

/** Nested arrays or objects `depth` levels deep. */
export function nest(depth: number, asObject: boolean): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = asObject ? { a: v } : [v];
  return v;
}

/** Defines an own enumerable property even for `__proto__`, as JSON.parse would (plain assignment would set the prototype). */
function defineOwn(o: Obj, key: string, value: unknown): Obj {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
  return o;
}

function isoAt(ms: number, rng: Rng): string {
  const d = new Date(ms).toISOString();
  // Same instant, written three legal ways.
  const r = rng.int(0, 2);
  if (r === 0) return d;
  if (r === 1) return d.replace('.000Z', 'Z').replace(/\.\d{3}Z$/, 'Z');
  const shifted = new Date(ms + 2 * 3_600_000).toISOString().slice(0, 19);
  return `${shifted}+02:00`;
}

function oddOr(rng: Rng, plain: string): string {
  return rng.bool(0.1) ? rng.pick(ODD_IDS) : plain;
}

/** A valid feed event of a random type with the given id. */
export function validEvent(rng: Rng, id: string): Obj {
  const atMs = BASE_MS + rng.int(0, 3_600_000);
  const at: unknown = rng.bool(0.5) ? atMs : isoAt(atMs, rng);
  const callId = oddOr(rng, `c${rng.int(0, 300)}`);
  const agentId = rng.pick(AGENTS);
  const queueId = rng.pick(QUEUES);
  const type = rng.pick([
    'agent.state',
    'call.queued',
    'call.ringing',
    'call.answered',
    'call.hold',
    'call.unhold',
    'call.transferred',
    'call.ended',
    'call.abandoned',
    'call.speaker',
    'call.volume',
    'call.escalation',
    'voicemail.left',
    'voicemail.returned',
    'callback.scheduled',
    'callback.completed',
  ]);
  const e: Obj = { type, id, at };
  switch (type) {
    case 'agent.state':
      Object.assign(e, { agentId, state: rng.pick(['offline', 'available', 'away', 'wrapup']) });
      if (rng.bool()) e.name = rng.pick(['Ann Lee', 'Zoë Ågren', '李小龙', 'Ōtani 🙂', 'x'.repeat(200)]);
      if (rng.bool(0.3)) e.team = oddOr(rng, 'blue');
      if (rng.bool(0.3)) e.queues = [rng.pick(QUEUES), rng.pick(QUEUES)];
      if (rng.bool(0.2)) e.reason = 'lunch ☕';
      break;
    case 'call.queued':
      Object.assign(e, { callId, queueId });
      if (rng.bool(0.3)) e.caller = '+3725550100';
      break;
    case 'call.ringing':
      Object.assign(e, { callId, agentId });
      break;
    case 'call.answered':
      Object.assign(e, { callId, agentId });
      if (rng.bool(0.5)) e.ringCount = rng.int(0, 1000);
      break;
    case 'call.hold':
      Object.assign(e, { callId });
      if (rng.bool()) e.askedPermission = rng.bool();
      break;
    case 'call.transferred':
      Object.assign(e, { callId });
      if (rng.bool()) e.toQueueId = queueId;
      else e.toAgentId = agentId;
      if (rng.bool()) e.mode = rng.pick(['blind', 'attended']);
      break;
    case 'call.ended':
      Object.assign(e, { callId });
      if (rng.bool()) e.by = rng.pick(['agent', 'caller']);
      if (rng.bool()) e.notes = rng.bool();
      break;
    case 'call.speaker':
      Object.assign(e, { callId, on: rng.bool() });
      break;
    case 'call.volume':
      Object.assign(e, { callId, dbfs: rng.pick([0, -200, -10.5, -0]) });
      break;
    case 'voicemail.left':
    case 'voicemail.returned':
      Object.assign(e, { voicemailId: oddOr(rng, `vm${rng.int(0, 50)}`) });
      if (rng.bool()) e.queueId = queueId;
      if (rng.bool()) e.agentId = agentId;
      break;
    case 'callback.scheduled':
    case 'callback.completed':
      Object.assign(e, { callbackId: oddOr(rng, `cb${rng.int(0, 50)}`), agentId, dueAt: atMs + 600_000 });
      break;
    default:
      Object.assign(e, { callId });
  }
  return e;
}

/** Dates that must be refused: impossible calendars, no zone, out of range, wrong types. */
const BAD_DATES: unknown[] = [
  '2026-02-30T10:00:00Z',
  '2026-02-29T10:00:00Z',
  '2026-13-01T00:00:00Z',
  '2026-00-10T00:00:00Z',
  '2026-11-24T24:00:00Z',
  '2026-11-24T09:60:00Z',
  '2026-11-24T09:00:60Z',
  '2026-11-24',
  '2026-11-24T09:00:00',
  '2026-11-24 09:00:00Z',
  'yesterday',
  '',
  ' 2026-11-24T09:00:00Z',
  '2026-11-24T09:00:00Z\u0000',
  '2026-11-24T09:00:00.1234567890Z',
  '1999-12-31T23:59:59Z',
  '2100-01-01T00:00:01Z',
  '+275760-09-13T00:00:00Z',
  '１７９５５１０８６５０００',
  '1795510865000',
  -1,
  0,
  1_795_510_865, // epoch seconds, not ms: 1970
  1e300,
  4_102_444_800_001,
  null, // what NaN and Infinity become in JSON
  true,
  {},
  [],
  [1_795_510_865_000],
  { $date: 1_795_510_865_000 },
];

/** Keys that would pollute a prototype if merged naively. */
const POLLUTING_KEYS = ['__proto__', 'constructor', 'prototype', '__defineGetter__', '__lookupSetter__'];

type Mutation = (rng: Rng, e: Obj) => { value: unknown; mention: string; kind: string };

const MUTATIONS: Mutation[] = [
  (rng, e) => ({ value: { ...e, id: rng.pick<unknown>([42, true, null, [], {}, ['x'], { $ne: null }, 1.5]) }, mention: 'id', kind: 'id-type' }),
  (_rng, e) => ({ value: { ...e, id: '' }, mention: 'id', kind: 'id-empty' }),
  (rng, e) => ({ value: { ...e, id: 'x'.repeat(rng.int(129, 200_000)) }, mention: 'id', kind: 'id-huge' }),
  (rng, e) => {
    const ctl = rng.pick(['\u0000', '\u0007', '\u001b[31m', '\u007f', '\n', '\r\n', '\t']);
    const s = String(e.id);
    const at = rng.int(0, s.length);
    return { value: { ...e, id: s.slice(0, at) + ctl + s.slice(at) }, mention: 'id', kind: 'id-control' };
  },
  (rng, e) => ({ value: { ...e, at: rng.pick(BAD_DATES) }, mention: 'at', kind: 'at-invalid' }),
  (rng, e) => ({ value: { ...e, at: nest(rng.int(2, 3_000), rng.bool()) }, mention: 'at', kind: 'at-deep' }),
  (rng, e) => {
    const o = { ...e };
    delete o[rng.pick(['id', 'at'])];
    return { value: o, mention: 'required', kind: 'missing' };
  },
  (rng, e) => ({ value: { ...e, type: rng.pick<unknown>(['call.Queued', 'call.queued\u0000', 'toString', '__proto__', 'constructor', 'alert.acknowledged', 'config.changed', 'x'.repeat(10_000)]) }, mention: 'type', kind: 'type-unknown' }),
  (rng, e) => ({ value: { ...e, type: rng.pick<unknown>([1, null, true, [], { a: 1 }]) }, mention: 'type', kind: 'type-wrong' }),
  (rng, e) => {
    const o = { ...e };
    delete o.type;
    return { value: o, mention: 'type', kind: 'type-missing' };
  },
  (rng, e) => {
    const key = rng.pick(POLLUTING_KEYS);
    return { value: defineOwn({ ...e }, key, { polluted: 'yes', isAdmin: true, toString: 'x' }), mention: key, kind: 'pollution' };
  },
  (rng, e) => {
    const key = rng.pick(['Notes', 'asked_permission', 'extra', 'role', 'x'.repeat(100)]);
    return { value: { ...e, [key]: rng.bool() ? nest(rng.int(1, 2_000), rng.bool()) : 'surplus' }, mention: key.slice(0, 40), kind: 'unknown-field' };
  },
  (rng, e) => {
    // A field of the event's own type with the wrong content.
    if ('callId' in e) return { value: { ...e, callId: rng.pick<unknown>([7, null, '', 'c\u0000', 'z'.repeat(5_000), nest(50, false)]) }, mention: 'callId', kind: 'callId-bad' };
    if ('agentId' in e) return { value: { ...e, agentId: rng.pick<unknown>([7, null, '', 'a\u0000']) }, mention: 'agentId', kind: 'agentId-bad' };
    return { value: { ...e, at: 'not a date' }, mention: 'at', kind: 'at-invalid' };
  },
  (rng, e) => {
    if (e.type === 'agent.state') return { value: { ...e, state: rng.pick<unknown>(['busy', 'AVAILABLE', '', 1, null]) }, mention: 'state', kind: 'enum-bad' };
    if (e.type === 'call.volume') return { value: { ...e, dbfs: rng.pick<unknown>([1, -201, '−10', null, 1e308]) }, mention: 'dbfs', kind: 'number-bad' };
    if (e.type === 'call.answered') return { value: { ...e, ringCount: rng.pick<unknown>([-1, 1.5, 1001, '3']) }, mention: 'ringCount', kind: 'number-bad' };
    if (e.type === 'call.hold') return { value: { ...e, askedPermission: rng.pick<unknown>(['false', 0, null]) }, mention: 'askedPermission', kind: 'bool-bad' };
    return { value: { ...e, id: { toString: 'x' } }, mention: 'id', kind: 'id-type' };
  },
  (rng, e) => {
    // Free text over its 200-character bound, or with control characters.
    if (e.type === 'agent.state') {
      const bad = rng.bool() ? 'n'.repeat(rng.int(201, rng.bool(0.1) ? 1_000_000 : 2_000)) : `Ann\u0000Lee`;
      return { value: { ...e, name: bad }, mention: 'name', kind: 'text-bad' };
    }
    if (e.type === 'call.queued') return { value: { ...e, caller: rng.bool() ? 'c'.repeat(201) : '+372\u0000555' }, mention: 'caller', kind: 'text-bad' };
    return { value: { ...e, at: rng.pick(BAD_DATES) }, mention: 'at', kind: 'at-invalid' };
  },
];

/** Values that are not an event object at all. */
const NOT_OBJECTS: unknown[] = [null, 0, -1, 'agent.state', '', true, false, [], [[]], [{}], 1e308, 'x'.repeat(1_000)];

/** An invalid input (mutated event, or not an object), with what its error must name. */
export function invalidItem(rng: Rng, idForBase: string): GenItem {
  if (rng.bool(0.06)) return { value: rng.pick(NOT_OBJECTS), valid: false, mention: 'object', kind: 'not-object' };
  const m = rng.pick(MUTATIONS)(rng, validEvent(rng, idForBase));
  return { value: m.value, valid: false, mention: m.mention, kind: m.kind };
}

/**
 * Raw HTTP bodies that are not JSON, or not JSON of the right shape, or sent
 * the wrong way. Each must be answered with a 4xx and a clear error.
 */
export interface RawRequest {
  body: string | Uint8Array<ArrayBuffer>;
  contentType: string | null;
  headers?: Record<string, string>;
  /** The status the server must answer. */
  status: number;
  kind: string;
}

export function rawRequests(rng: Rng, count: number): RawRequest[] {
  const json = 'application/json';
  const ok = JSON.stringify(validEvent(rng, 'raw-never-accepted'));
  const fixed: RawRequest[] = [
    { body: '', contentType: json, status: 400, kind: 'empty' },
    { body: 'null', contentType: json, status: 400, kind: 'json-null' },
    { body: '42', contentType: json, status: 400, kind: 'json-number' },
    { body: '"agent.state"', contentType: json, status: 400, kind: 'json-string' },
    { body: 'true', contentType: json, status: 400, kind: 'json-bool' },
    { body: '[1,2,', contentType: json, status: 400, kind: 'truncated' },
    { body: "{'type':'agent.state'}", contentType: json, status: 400, kind: 'single-quotes' },
    { body: '[{"a":1},]', contentType: json, status: 400, kind: 'trailing-comma' },
    { body: '{"at": NaN}', contentType: json, status: 400, kind: 'nan-literal' },
    { body: '{"a":1}\u0000', contentType: json, status: 400, kind: 'nul-after' },
    { body: '\u0000\u0000\u0000', contentType: json, status: 400, kind: 'nul-only' },
    { body: '['.repeat(100_000) + ']'.repeat(100_000), contentType: json, status: 400, kind: 'deep-array' },
    { body: '{"a":'.repeat(50_000) + '1' + '}'.repeat(50_000), contentType: json, status: 400, kind: 'deep-object' },
    { body: '['.repeat(100_000), contentType: json, status: 400, kind: 'deep-unclosed' },
    { body: ok, contentType: 'text/plain', status: 400, kind: 'content-type-text' },
    { body: ok, contentType: null, status: 400, kind: 'content-type-none' },
    { body: ok, contentType: 'application/x-www-form-urlencoded', status: 400, kind: 'content-type-form' },
    { body: ok, contentType: 'multipart/form-data; boundary=x', status: 400, kind: 'content-type-multipart' },
    { body: ok, contentType: 'application/octet-stream', status: 400, kind: 'content-type-binary' },
    { body: ok, contentType: 'application/json; charset=latin1', status: 415, kind: 'charset-unsupported' },
    { body: ok, contentType: json, headers: { 'content-encoding': 'gzip' }, status: 400, kind: 'gzip-not-gzip' },
    { body: ok, contentType: json, headers: { 'content-encoding': 'x-evil' }, status: 415, kind: 'encoding-unknown' },
    { body: JSON.stringify(Array.from({ length: 10_001 }, () => 0)), contentType: json, status: 413, kind: 'too-many-events' },
    { body: `["${'x'.repeat(17 * 1024 * 1024)}"]`, contentType: json, status: 413, kind: 'too-many-bytes' },
    { body: new Uint8Array([0xff, 0xfe, 0x00, 0x5b, 0xc3, 0x28, 0xa0, 0xa1]), contentType: json, status: 400, kind: 'invalid-utf8' },
  ];
  const out = [...fixed];
  while (out.length < count) {
    // Random garbage: JSON cut at a random point, or random bytes.
    if (rng.bool()) {
      const cut = rng.int(1, ok.length - 2);
      out.push({ body: ok.slice(0, cut), contentType: json, status: 400, kind: 'cut' });
    } else {
      const bytes = new Uint8Array(rng.int(1, 300));
      for (let i = 0; i < bytes.length; i++) bytes[i] = rng.int(0, 255);
      // A random byte string that happens to start like JSON could parse: make sure it cannot.
      bytes[0] = 0x01;
      out.push({ body: bytes, contentType: json, status: 400, kind: 'random-bytes' });
    }
  }
  return out;
}
