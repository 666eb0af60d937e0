/**
 * The call feed: one zod schema per event type, and the TypeScript types
 * inferred from them. Validation happens at the edge (ingest); everything
 * behind it works on {@link FloorEvent}, where `at` is already epoch ms.
 */
import { z } from 'zod';
import { floorConfigSchema } from './config.ts';

/** Longest id we accept from a producer: long enough for UUIDs and PBX unique ids, short enough to index. */
const MAX_ID_LEN = 128;
/** Earliest and latest timestamps we accept (2000-01-01 .. 2100-01-01): outside that a clock is broken. */
const MIN_AT_MS = 946_684_800_000;
const MAX_AT_MS = 4_102_444_800_000;

// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

/** A producer's identifier: non-empty printable text, bounded in length. */
export const idSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(MAX_ID_LEN, `must be at most ${MAX_ID_LEN} characters`)
  .refine((s) => !CONTROL_CHARS.test(s), 'must not contain control characters');

const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

/** Rejects dates the JS parser would silently roll over (Feb 31 → Mar 3) and out-of-range clock fields. */
function validCalendar(v: string): boolean {
  const [y, mo, d, h, mi, sec] = [v.slice(0, 4), v.slice(5, 7), v.slice(8, 10), v.slice(11, 13), v.slice(14, 16), v.slice(17, 19)].map(Number);
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || (v[16] === ':' && sec > 59)) return false;
  const daysInMonth = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  return d <= daysInMonth;
}

/**
 * A source timestamp: ISO-8601 with a zone (`2026-11-24T09:00:00Z`) or epoch
 * milliseconds. Always parsed to epoch ms.
 */
export const timestampSchema = z
  .union([z.number(), z.string()], { error: 'must be ISO-8601 with a time zone, or epoch milliseconds' })
  .transform((v, ctx) => {
    let ms: number;
    if (typeof v === 'number') {
      ms = v;
    } else {
      if (!ISO_DATE.test(v)) {
        ctx.addIssue({ code: 'custom', message: 'must be ISO-8601 with a time zone, or epoch milliseconds' });
        return z.NEVER;
      }
      ms = validCalendar(v) ? Date.parse(v) : NaN;
    }
    if (!Number.isFinite(ms) || ms < MIN_AT_MS || ms > MAX_AT_MS) {
      ctx.addIssue({ code: 'custom', message: 'must be a valid time between 2000 and 2100' });
      return z.NEVER;
    }
    return Math.round(ms);
  });

const base = {
  id: idSchema,
  at: timestampSchema,
};

const callBase = { ...base, callId: idSchema };

export const AGENT_STATES = ['offline', 'available', 'away', 'wrapup'] as const;
export type AgentPresence = (typeof AGENT_STATES)[number];

/** Free text (names, reasons, caller ids): shown on screens and in CSV exports, so no control characters (NUL, ESC…). */
const shortText = z
  .string()
  .max(200, 'must be at most 200 characters')
  .refine((s) => !CONTROL_CHARS.test(s), 'must not contain control characters');

export const agentStateEvent = z.strictObject({
  type: z.literal('agent.state'),
  ...base,
  agentId: idSchema,
  state: z.enum(AGENT_STATES),
  reason: shortText.optional(),
  name: shortText.optional(),
  team: idSchema.optional(),
  /** Queues this agent serves, when the source knows them. */
  queues: z.array(idSchema).max(100).optional(),
});

export const callQueuedEvent = z.strictObject({
  type: z.literal('call.queued'),
  ...callBase,
  queueId: idSchema,
  caller: shortText.optional(),
});

export const callRingingEvent = z.strictObject({
  type: z.literal('call.ringing'),
  ...callBase,
  agentId: idSchema,
});

/**
 * The source's own measure of how long the caller waited in the queue, s (Asterisk's wait field):
 * when sent, it is the wait that counts (ASA, service level, longest wait), not `at` minus the
 * queue entry's `at`, which whole-second line times can make a second off.
 */
const waitSec = z.number().min(0).max(7 * 86_400).optional();

export const callAnsweredEvent = z.strictObject({
  type: z.literal('call.answered'),
  ...callBase,
  agentId: idSchema,
  ringCount: z.number().int().min(0).max(1000).optional(),
  waitSec,
});

/**
 * One agent's ring on a call ended without that agent answering. `no-answer`: the ring timed out on
 * them (Asterisk RINGNOANSWER / AgentRingNoAnswer) and counts as a ring-no-answer; `canceled`: it was
 * cut off by a colleague's answer or the caller hanging up (RINGCANCELED) and is never held against them.
 */
export const callRingEndedEvent = z.strictObject({
  type: z.literal('call.ring-ended'),
  ...callBase,
  agentId: idSchema,
  outcome: z.enum(['no-answer', 'canceled']),
});

export const callHoldEvent = z.strictObject({
  type: z.literal('call.hold'),
  ...callBase,
  askedPermission: z.boolean().optional(),
});

export const callUnholdEvent = z.strictObject({
  type: z.literal('call.unhold'),
  ...callBase,
});

export const callTransferredEvent = z.strictObject({
  type: z.literal('call.transferred'),
  ...callBase,
  toAgentId: idSchema.optional(),
  toQueueId: idSchema.optional(),
  askedPermission: z.boolean().optional(),
  mode: z.enum(['blind', 'attended']).optional(),
});

export const callEndedEvent = z.strictObject({
  type: z.literal('call.ended'),
  ...callBase,
  by: z.enum(['agent', 'caller']).optional(),
  notes: z.boolean().optional(),
});

export const callAbandonedEvent = z.strictObject({
  type: z.literal('call.abandoned'),
  ...callBase,
  waitSec,
});

/**
 * Later evidence shows the call's end (or its leaving the queue) was lost: e.g. a reconcile with the
 * PBX no longer lists the caller. The call is closed as "end lost" at `at`, the best-known time,
 * counted apart from answers and abandons. A later event of the call still corrects it.
 */
export const callLostEvent = z.strictObject({
  type: z.literal('call.lost'),
  ...callBase,
  reason: shortText.optional(),
});

export const callSpeakerEvent = z.strictObject({
  type: z.literal('call.speaker'),
  ...callBase,
  on: z.boolean(),
});

export const callVolumeEvent = z.strictObject({
  type: z.literal('call.volume'),
  ...callBase,
  /** Agent voice level in dBFS: 0 is full scale, quieter is negative. */
  dbfs: z.number().min(-200).max(0),
});

export const callEscalationEvent = z.strictObject({
  type: z.literal('call.escalation'),
  ...callBase,
});

/** Longest transcript segment text, UTF-16 units: a long turn of speech (≈ 2 min at 150 words/min) fits, a runaway engine's dump does not. */
export const MAX_TRANSCRIPT_TEXT = 2_000;
/**
 * `startMs`/`endMs` of a transcript segment below this are offsets from the call's answer, ms (1e11 ms is
 * over three years: no call is that long); at or above it, epoch ms, which must then lie in 2000..2100 like
 * any time. The values between (no offset, no valid time) are refused.
 */
export const SEGMENT_OFFSET_LIMIT_MS = 1e11;

/** An offset from the answer (0 ≤ ms < 1e11) or an epoch-ms time (2000..2100), as {@link SEGMENT_OFFSET_LIMIT_MS} says. */
function segmentMsHolds(v: number): boolean {
  return Number.isFinite(v) && v >= 0 && (v < SEGMENT_OFFSET_LIMIT_MS || (v >= MIN_AT_MS && v <= MAX_AT_MS));
}
const segmentMs = z.number().refine(segmentMsHolds, 'must be an offset from the answer in ms (0 to 1e11) or epoch milliseconds between 2000 and 2100');

/** A segment's start and end are both offsets or both times, and it does not end before it starts. */
export function segmentInOrder(e: { startMs: number; endMs: number }): boolean {
  return e.startMs < SEGMENT_OFFSET_LIMIT_MS === e.endMs < SEGMENT_OFFSET_LIMIT_MS && e.endMs >= e.startMs;
}

/** A short language tag, BCP 47's language and optional region or script (`en`, `tr`, `et`, `en-GB`, `zh-Hant`). */
const LANG_TAG = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$/;
/** Whether `s` is a language tag as {@link LANG_TAG} says. */
export function langTagHolds(s: string): boolean {
  return LANG_TAG.test(s);
}

/**
 * What a transcript segment said, as the conversation rules read it (shared/engine/cues.ts): it greets,
 * names the agent, names the company, asks to repeat (`clarity`), says a bare "I don't know" (one not
 * followed by an offer to find out in the same segment), offers to find out, or holds a listed word
 * (`language`, once per word). A segment logged without its words (`--transcripts evidence|drop`)
 * carries these instead, so a replay judges it exactly as it was judged live.
 */
export const TRANSCRIPT_CUES = ['greeting', 'name', 'company', 'clarity', 'dont-know', 'find-out', 'language'] as const;
export type TranscriptCue = (typeof TRANSCRIPT_CUES)[number];
/** Most cues one segment carries (a long turn full of listed words is still bounded). */
export const MAX_TRANSCRIPT_CUES = 64;

/**
 * One segment of a call's transcript, from any speech-to-text engine: who spoke (`agent` | `caller`),
 * the words, and when (`startMs`/`endMs`: both offsets from the answer in ms, or both epoch ms, see
 * {@link SEGMENT_OFFSET_LIMIT_MS}). Engines send interim guesses and then a `final` segment: only final
 * segments are judged. The text is never shown or exported beyond what the privacy setting allows.
 */
export const callTranscriptEvent = z
  .strictObject({
    type: z.literal('call.transcript'),
    ...callBase,
    speaker: z.enum(['agent', 'caller']),
    text: z
      .string()
      .max(MAX_TRANSCRIPT_TEXT, `must be at most ${MAX_TRANSCRIPT_TEXT} characters`)
      .refine((s) => !CONTROL_CHARS.test(s), 'must not contain control characters'),
    startMs: segmentMs,
    endMs: segmentMs,
    lang: z.string().refine(langTagHolds, 'must be a language tag such as en, tr, et or en-GB').optional(),
    final: z.boolean(),
    /** What the words said, when they are not kept (see {@link TRANSCRIPT_CUES}); with text too, the text decides. */
    cues: z.array(z.enum(TRANSCRIPT_CUES)).max(MAX_TRANSCRIPT_CUES).optional(),
  })
  .refine(segmentInOrder, { message: 'startMs and endMs must both be offsets or both be times, and endMs not before startMs', path: ['endMs'] });

/** Voice activity on one side of a call (Asterisk's talk detection, or any voice activity detector): `talking` starts or stops. */
export const callTalkingEvent = z.strictObject({
  type: z.literal('call.talking'),
  ...callBase,
  party: z.enum(['agent', 'caller']),
  talking: z.boolean(),
});

const voicemailBase = {
  ...base,
  voicemailId: idSchema,
  queueId: idSchema.optional(),
  agentId: idSchema.optional(),
};

export const voicemailLeftEvent = z.strictObject({ type: z.literal('voicemail.left'), ...voicemailBase });
export const voicemailReturnedEvent = z.strictObject({ type: z.literal('voicemail.returned'), ...voicemailBase });

const callbackBase = {
  ...base,
  callbackId: idSchema,
  agentId: idSchema,
  dueAt: timestampSchema,
};

export const callbackScheduledEvent = z.strictObject({ type: z.literal('callback.scheduled'), ...callbackBase });
export const callbackCompletedEvent = z.strictObject({
  type: z.literal('callback.completed'),
  ...base,
  callbackId: idSchema,
  agentId: idSchema,
  dueAt: timestampSchema.optional(),
});

/**
 * An agent dialled out: `to` is the number dialled, as the source shows it. Closes an abandoned
 * caller's item on the callback worklist when it reaches them (`answered: true`) or when the source
 * cannot tell (`answered` absent: the call was made); `answered: false` counts as an attempt and
 * leaves the item open.
 */
export const callOutboundEvent = z.strictObject({
  type: z.literal('call.outbound'),
  ...callBase,
  /** The number dialled: non-empty printable text like any id (a dial string, `+3725551234`, `0 555 123`). */
  to: idSchema,
  agentId: idSchema,
  answered: z.boolean().optional(),
});

export const floorEventSchema = z.discriminatedUnion('type', [
  agentStateEvent,
  callQueuedEvent,
  callRingingEvent,
  callRingEndedEvent,
  callAnsweredEvent,
  callHoldEvent,
  callUnholdEvent,
  callTransferredEvent,
  callEndedEvent,
  callAbandonedEvent,
  callLostEvent,
  callSpeakerEvent,
  callVolumeEvent,
  callEscalationEvent,
  callTranscriptEvent,
  callTalkingEvent,
  voicemailLeftEvent,
  voicemailReturnedEvent,
  callbackScheduledEvent,
  callbackCompletedEvent,
  callOutboundEvent,
]);

/** An event as a producer sends it (`at` as ISO text or epoch ms). */
export type FloorEventInput = z.input<typeof floorEventSchema>;
/** A validated feed event: `at` (and `dueAt`) in epoch ms. */
export type FeedEvent = z.output<typeof floorEventSchema>;

/**
 * Events the server itself writes to the log: what people do on the floor
 * (acknowledge, reopen, post to the wallboard, note to an agent). They travel
 * in the same log as the feed, so a replay — or another node — rebuilds them
 * too. Producers can never send them: ingest accepts feed events only.
 */
const noteText = z.string().min(1, 'must not be empty').max(500, 'must be at most 500 characters');
export const alertAcknowledgedEvent = z.strictObject({ type: z.literal('alert.acknowledged'), ...base, alertId: z.string().min(1).max(300), by: idSchema, note: noteText.optional() });
export const alertReopenedEvent = z.strictObject({ type: z.literal('alert.reopened'), ...base, alertId: z.string().min(1).max(300), by: idSchema, note: noteText.optional() });
export const tickerPostedEvent = z.strictObject({ type: z.literal('ticker.posted'), ...base, text: noteText, by: idSchema, untilMs: z.number().optional() });
export const agentNotedEvent = z.strictObject({ type: z.literal('agent.noted'), ...base, agentId: idSchema, text: noteText, by: idSchema });
/** A settings change: every node (and every replay) takes the same configuration at the same point of the log. */
export const configChangedEvent = z.strictObject({ type: z.literal('config.changed'), ...base, config: floorConfigSchema, by: idSchema });
/** A supervisor assigns an item of the callback worklist to an agent (`agentId`), or takes it back (no `agentId`). */
export const worklistAssignedEvent = z.strictObject({ type: z.literal('worklist.assigned'), ...base, itemId: z.string().min(1).max(300), agentId: idSchema.optional(), by: idSchema });
export const internalEventSchema = z.discriminatedUnion('type', [alertAcknowledgedEvent, alertReopenedEvent, tickerPostedEvent, agentNotedEvent, configChangedEvent, worklistAssignedEvent]);
export type InternalEvent = z.output<typeof internalEventSchema>;

/** Everything in the log: the feed and what people did. */
export type FloorEvent = FeedEvent | InternalEvent;
export type FloorEventType = FloorEvent['type'];
export type EventOf<T extends FloorEventType> = Extract<FloorEvent, { type: T }>;

/** The feed's event types (what producers may send). */
export const EVENT_TYPES = floorEventSchema.options.map((o) => o.shape.type.value) as FeedEvent['type'][];

/** Events that concern one call carry a `callId`. */
export type CallEvent = Extract<FloorEvent, { callId: string }>;

/** Validates an internal event built by the server (a bug, not bad input, if it fails). */
export function parseInternalEvent(value: unknown): { ok: true; event: InternalEvent } | { ok: false; error: string } {
  const r = internalEventSchema.safeParse(value);
  return r.success ? { ok: true, event: r.data } : { ok: false, error: formatIssues(r.error.issues, value) };
}

export type ValidationResult =
  | { ok: true; event: FeedEvent }
  | { ok: false; error: string };

/**
 * Validates one untrusted value as a feed event. Never throws: a bad value
 * yields a readable reason naming the offending field.
 */
export function parseEvent(value: unknown): ValidationResult {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, error: 'event must be a JSON object' };
  }
  const type = (value as { type?: unknown }).type;
  if (typeof type !== 'string') {
    return { ok: false, error: `type: ${type === undefined ? 'required' : `must be a string, got ${type === null ? 'null' : Array.isArray(type) ? 'an array' : typeof type}`}; one of ${EVENT_TYPES.join(', ')}` };
  }
  const plan = FAST_PLANS.get(type);
  if (plan === undefined) {
    return { ok: false, error: `type: unknown event type "${type.slice(0, 60)}"; expected one of ${EVENT_TYPES.join(', ')}` };
  }
  const fast = plainFeedEvent(value as Record<string, unknown>, plan);
  if (fast !== undefined) return { ok: true, event: fast };
  const r = floorEventSchema.safeParse(value);
  if (r.success) return { ok: true, event: r.data };
  return { ok: false, error: formatIssues(r.error.issues, value) };
}

// ------------------------------------------------------------ the fast path

/**
 * How each field of a feed event is checked on the fast path: the same bounds as the zod schema
 * above, written out so that the common case (an event an adapter built, or a producer's plain
 * event with `at` in epoch ms) costs a few comparisons instead of zod's generic walk, which was
 * about a fifth of a queue_log report's time. Anything the fast path does not take for certain
 * (ISO times, fractions of a ms, an unknown key, a value out of bounds) goes to zod, which decides
 * and words the error: the fast path only ever says yes.
 */
type FieldKind =
  | { k: 'id' | 'time' | 'bool' | 'segment-ms' | 'lang' }
  | { k: 'text'; max?: number }
  | { k: 'num'; min: number; max: number; int?: boolean }
  | { k: 'enum'; of: readonly string[] }
  | { k: 'ids'; max: number }
  | { k: 'enums'; of: readonly string[]; max: number };
type FieldSpec = FieldKind & { opt?: boolean };

const ID: FieldSpec = { k: 'id' };
const ID_OPT: FieldSpec = { k: 'id', opt: true };
const TEXT_OPT: FieldSpec = { k: 'text', opt: true };
const TIME: FieldSpec = { k: 'time' };
const BOOL: FieldSpec = { k: 'bool' };
const BOOL_OPT: FieldSpec = { k: 'bool', opt: true };
const WAIT_OPT: FieldSpec = { k: 'num', min: 0, max: 7 * 86_400, opt: true };
const TYPE: FieldSpec = { k: 'id' }; // checked before: one of EVENT_TYPES
const BASE = { type: TYPE, id: ID, at: TIME } as const;
const CALL = { ...BASE, callId: ID } as const;
const PARTY: FieldSpec = { k: 'enum', of: ['agent', 'caller'] };
const VOICEMAIL = { ...BASE, voicemailId: ID, queueId: ID_OPT, agentId: ID_OPT } as const;

/** The fields of each feed event type as {@link plainFeedEvent} checks them (kept equal to the zod shapes by tests/shared/event-fast-path.test.ts). */
export const FAST_FIELDS: Record<FeedEvent['type'], Record<string, FieldSpec>> = {
  'agent.state': { ...BASE, agentId: ID, state: { k: 'enum', of: AGENT_STATES }, reason: TEXT_OPT, name: TEXT_OPT, team: ID_OPT, queues: { k: 'ids', max: 100, opt: true } },
  'call.queued': { ...CALL, queueId: ID, caller: TEXT_OPT },
  'call.ringing': { ...CALL, agentId: ID },
  'call.ring-ended': { ...CALL, agentId: ID, outcome: { k: 'enum', of: ['no-answer', 'canceled'] } },
  'call.answered': { ...CALL, agentId: ID, ringCount: { k: 'num', min: 0, max: 1000, int: true, opt: true }, waitSec: WAIT_OPT },
  'call.hold': { ...CALL, askedPermission: BOOL_OPT },
  'call.unhold': CALL,
  'call.transferred': { ...CALL, toAgentId: ID_OPT, toQueueId: ID_OPT, askedPermission: BOOL_OPT, mode: { k: 'enum', of: ['blind', 'attended'], opt: true } },
  'call.ended': { ...CALL, by: { k: 'enum', of: ['agent', 'caller'], opt: true }, notes: BOOL_OPT },
  'call.abandoned': { ...CALL, waitSec: WAIT_OPT },
  'call.lost': { ...CALL, reason: TEXT_OPT },
  'call.speaker': { ...CALL, on: BOOL },
  'call.volume': { ...CALL, dbfs: { k: 'num', min: -200, max: 0 } },
  'call.escalation': CALL,
  'call.transcript': { ...CALL, speaker: PARTY, text: { k: 'text', max: MAX_TRANSCRIPT_TEXT }, startMs: { k: 'segment-ms' }, endMs: { k: 'segment-ms' }, lang: { k: 'lang', opt: true }, final: BOOL, cues: { k: 'enums', of: TRANSCRIPT_CUES, max: MAX_TRANSCRIPT_CUES, opt: true } },
  'call.talking': { ...CALL, party: PARTY, talking: BOOL },
  'voicemail.left': VOICEMAIL,
  'voicemail.returned': VOICEMAIL,
  'callback.scheduled': { ...BASE, callbackId: ID, agentId: ID, dueAt: TIME },
  'callback.completed': { ...BASE, callbackId: ID, agentId: ID, dueAt: { k: 'time', opt: true } },
  'call.outbound': { ...CALL, to: ID, agentId: ID, answered: BOOL_OPT },
};

/** One field as the fast path checks it: every spec in the same shape, so the checks stay monomorphic. */
interface FastField {
  k: FieldKind['k'];
  opt: boolean;
  min: number;
  max: number;
  int: boolean;
  of: readonly string[];
}
/** What the fast path checks of one type: its fields, and how many of them are required. */
interface FastPlan {
  fields: Map<string, FastField>;
  required: number;
}
const fastField = (f: FieldSpec): FastField => ({
  k: f.k,
  opt: f.opt === true,
  min: f.k === 'num' ? f.min : 0,
  max: f.k === 'num' || f.k === 'ids' || f.k === 'enums' ? f.max : f.k === 'text' ? (f.max ?? 200) : 0,
  int: f.k === 'num' && f.int === true,
  of: f.k === 'enum' || f.k === 'enums' ? f.of : [],
});
const FAST_PLANS = new Map<string, FastPlan>(
  Object.entries(FAST_FIELDS).map(([t, spec]) => [t, { fields: new Map(Object.entries(spec).map(([key, f]) => [key, fastField(f)])), required: Object.values(spec).filter((f) => !f.opt).length }]),
);
const FAST_ID = fastField(ID);

/** Printable text of at most `max` UTF-16 units (no C0 control character, no DEL), as CONTROL_CHARS says. */
function printable(s: string, max: number): boolean {
  return s.length <= max && !CONTROL_CHARS.test(s);
}

function fieldHolds(v: unknown, f: FastField): boolean {
  switch (f.k) {
    case 'id':
      return typeof v === 'string' && v.length > 0 && printable(v, MAX_ID_LEN);
    case 'text':
      return typeof v === 'string' && printable(v, f.max);
    case 'segment-ms':
      return typeof v === 'number' && segmentMsHolds(v);
    case 'lang':
      return typeof v === 'string' && langTagHolds(v);
    case 'time':
      // Whole epoch ms in range: zod's transform would give the same number back.
      return typeof v === 'number' && Number.isInteger(v) && v >= MIN_AT_MS && v <= MAX_AT_MS;
    case 'bool':
      return typeof v === 'boolean';
    case 'num':
      return typeof v === 'number' && Number.isFinite(v) && v >= f.min && v <= f.max && (!f.int || Number.isSafeInteger(v));
    case 'enum':
      return typeof v === 'string' && f.of.includes(v);
    case 'ids':
      if (!Array.isArray(v) || v.length > f.max) return false;
      for (const x of v) if (!fieldHolds(x, FAST_ID)) return false;
      return true;
    case 'enums':
      if (!Array.isArray(v) || v.length > f.max) return false;
      for (const x of v) if (typeof x !== 'string' || !f.of.includes(x)) return false;
      return true;
  }
}

/**
 * `value` itself when it is certainly a valid feed event of `type` that zod would return unchanged
 * (only own string keys of its type, none undefined, every value within bounds, times in whole epoch ms);
 * otherwise undefined, and zod decides.
 */
function plainFeedEvent(value: Record<string, unknown>, plan: FastPlan): FeedEvent | undefined {
  if (Object.getPrototypeOf(value) !== Object.prototype) return undefined;
  let required = 0;
  for (const key in value) {
    const f = plan.fields.get(key);
    if (f === undefined || !Object.hasOwn(value, key)) return undefined;
    const v = value[key];
    if (v === undefined || !fieldHolds(v, f)) return undefined;
    if (!f.opt) required++;
  }
  // Symbol keys: zod ignores them and returns a copy without them; JSON and the adapters never make them.
  if (required !== plan.required) return undefined;
  // The one check across fields (a transcript segment's times): zod's refine decides and words it.
  if ('startMs' in value && !segmentInOrder(value as { startMs: number; endMs: number })) return undefined;
  return value as unknown as FeedEvent;
}

/** The value at `path` inside `root`, or undefined when any step is missing. */
function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v = root;
  for (const k of path) {
    if (v === null || typeof v !== 'object' || !Object.hasOwn(v, k)) return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

/**
 * One readable line per issue. "required" only when the field is really
 * absent (zod does not keep the input on its issues, so look it up): a field
 * sent with the wrong type gets zod's "expected string, received number".
 */
function formatIssues(issues: readonly z.core.$ZodIssue[], value?: unknown): string {
  return issues
    .slice(0, 5)
    .map((i) => {
      const path = i.path.map(String).join('.') || '(event)';
      if (i.code === 'unrecognized_keys') return `${path}: unknown field(s) ${i.keys.map((k) => JSON.stringify(k.slice(0, 40))).join(', ')}`;
      if ((i.code === 'invalid_type' || i.code === 'invalid_union') && i.path.length > 0 && valueAt(value, i.path) === undefined) return `${path}: required`;
      return `${path}: ${i.message}`;
    })
    .join('; ');
}
