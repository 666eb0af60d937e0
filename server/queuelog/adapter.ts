/**
 * The queue_log adapter: turns Asterisk queue_log records into Floorwatch feed
 * events. Stateful (it follows each call and agent through the file), with no
 * I/O: the tail, the report and the replay feed it records in file order.
 *
 * What queue_log can and cannot say:
 * - Rings are logged only when they end, as durations (RINGNOANSWER and
 *   RINGCANCELED in ms, CONNECT's ring time in s). A ring therefore becomes a
 *   `call.ringing` back-dated to its start, followed at its end by
 *   `call.ring-ended` (RINGNOANSWER: `no-answer`, RINGCANCELED: `canceled`)
 *   or by `call.answered`. The engine counts the rings from the ringing time
 *   and its ring cadence. A live floor sees a ring only once it has ended.
 * - Several phones may ring at once (`ringall`): when the attempt times out,
 *   app_queue writes one RINGNOANSWER per member still ringing, all in the
 *   same second and each with the attempt's whole ring time. Each keeps its
 *   own ring, so a ring's start may precede another member's ring end that
 *   was written before it; it is never put before the call entered its queue
 *   nor before the same member's previous ring on the call ended.
 * - When one member answers, app_queue hangs up the others' phones without a
 *   line for them: their cancelled rings are not in queue_log at all.
 * - "Holdtime" in queue_log is the caller's wait in the queue, not agent hold;
 *   agent hold is not in queue_log at all, so no hold events are produced.
 * - A transfer takes the call off the floor: queue_log says nothing of the
 *   call after it, so a target agent would be left ringing for ever. If the
 *   call comes back into a queue (same callid), that is a new leg with its
 *   own call id (`<callid>#2`), offered again.
 * - QUEUESTART means Asterisk started again: calls still open lost their
 *   end, and are closed as `call.lost` (outcome unknown), not abandoned.
 *
 * What the ring times mean, from Asterisk's apps/app_queue.c (master):
 * - `rna()` writes RINGNOANSWER with the ms it is given: in
 *   `wait_for_answer()`, a member who is busy, congested or whose phone
 *   hangs up gets the whole seconds since their own ring began (`starttime`,
 *   reset for each member rung); when the attempt runs out (`!*to`) every
 *   member still ringing gets `orig`, the attempt's full timeout.
 * - RINGCANCELED is written only when the caller hangs up or leaves with a
 *   key while phones ring (`canceled_by_caller`), once per member still
 *   ringing, with the ms since the attempt began (`start_time_tv`).
 * - So under strategies that ring one member at a time, the timeout's
 *   RINGNOANSWER and RINGCANCELED count from the attempt's start, not from
 *   that member's ring, unless `timeoutrestart = yes` restarts the clock for
 *   each member: queue_log cannot say which, and the time is taken as given.
 * - CONNECT's third field is the attempt's ring time in whole seconds
 *   (`(orig - to) / 1000`), its first the caller's wait.
 *
 * Waits are taken from the data fields, never from line times: every wait
 * app_queue writes is `time(NULL) - qe->start` (CONNECT in try_calling(),
 * ABANDON, EXITWITHTIMEOUT, EXITEMPTY, EXITWITHKEY and WITHDRAW in
 * queue_exec() and wait_our_turn()), taken when the line is written, while
 * the line's own time is the second the logger formats it: the two may differ
 * by a second. CONNECT's wait goes out as `call.answered.waitSec`, an exit's
 * as `call.abandoned.waitSec`; the engine counts those (ASA, service level,
 * longest wait). COMPLETE* and transfer lines carry the wait again
 * (`starttime - holdstart`): used when their CONNECT was not seen.
 *
 * What ends a caller's wait in app_queue.c (master), and how it maps:
 * - CONNECT (try_calling(), after `qe->handled++`): answered.
 * - ABANDON: the caller hung up while waiting (queue_exec(), `res < 0` and
 *   `!qe.handled`), or just before being connected (try_calling(), written
 *   with the member's name); also after SYSCOMPAT (channels could not be made
 *   compatible: try_calling() returns -1 before `handled++`, and queue_exec()
 *   writes the ABANDON), so SYSCOMPAT itself is informational.
 * - EXITWITHTIMEOUT (queue timeout, or the `n` option's cycle), EXITEMPTY
 *   (`leavewhenempty`, in wait_our_turn() or in the head caller's loop),
 *   EXITWITHKEY (an exit digit: in wait_a_bit(), or while phones ring, after
 *   their RINGCANCELED lines), WITHDRAW (AMI QueueWithdrawCaller, Asterisk
 *   20+; `record_abandoned()` counts it as an abandon): each an abandon here,
 *   with its wait field (EXITWITHKEY: key|position|origposition|wait; the
 *   others position|origposition|wait; WITHDRAW adds its info).
 * - RINGCANCELED ends only a ring: wait_for_answer() writes it for every
 *   member still ringing when the caller hangs up or presses a key, then
 *   returns, and queue_exec() writes the exit (ABANDON or EXITWITHKEY).
 * - AGENTDUMP (the member hung up between answer and bridge) sends the caller
 *   back to waiting: informational.
 * - COMPLETECALLER / COMPLETEAGENT and the transfers end a connected call;
 *   they are written from the bridge's Stasis callbacks, not the caller's
 *   thread, so a caller who goes on into another queue may have that
 *   ENTERQUEUE written first (see {@link orderWithinSeconds}).
 * - QUEUESTART: Asterisk restarted; calls still open lost their end.
 *
 * Repeats and late lines. A call record (other than ENTERQUEUE) of a call
 * whose last leg has ended, whose own fields show its leg existed before that
 * end (a ring that began, a wait or talk that started, no later than the
 * end), belongs to that leg: a repeated completion line (the same
 * COMPLETEAGENT twice, with another origposition) or a line written in the
 * same second as the end but read after it. It is skipped, never a new call.
 * A new leg enters after the previous one ended, with its ENTERQUEUE.
 *
 * Records cut by NUL bytes. A record cut short (its verb, or fields its verb
 * needs, lost) is damaged; when it names a call that is open, that call is
 * closed as `call.lost` at the record's time (something happened to it then,
 * and what is unknown). A later line of the call continues it on the same
 * call id, and the engine reopens or corrects the lost call.
 *
 * Every event's id is `ql:<epoch s>:<callid>:<VERB>:<hash of the record>`,
 * with a role suffix when one record yields several events, so a record read
 * twice (tail restarted, file replayed, rotated file read again) produces the
 * same ids and the event log ignores the repeats.
 */
import type { AgentPresence, FloorEventInput } from '../../shared/events.ts';
import { MemberRoster } from '../members.ts';
import { hashText, type QueueLogRecord } from './parse.ts';
import { normalizeAwayReason } from '../../shared/away.ts';

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/g;
/** Call ids and queue names longer than this are replaced by a hash: event ids must stay within 128 characters. */
const MAX_NAME = 60;
/**
 * Finished calls remembered (to number the legs of a call that comes back
 * into a queue): a busy floor's day or two. Open calls are always kept; the
 * bound keeps a tail that runs for months from growing without end.
 */
export const FINISHED_CALLS_KEPT = 100_000;

export type FeedResult =
  | { kind: 'events'; events: FloorEventInput[] }
  | { kind: 'skipped'; reason: string }
  /**
   * A record that cannot be used. `events`: what it still says — a record cut short by NUL
   * bytes closes its call as lost at its time (see {@link QueueLogAdapter.cutShort}).
   */
  | { kind: 'damaged'; reason: string; events?: FloorEventInput[] };

/** Talk seconds taken from queue_log's own data fields (COMPLETE*, transfers), for the report. */
export interface TalkTally {
  sumSec: number;
  count: number;
}

/** Verbs that describe a call, and the fields each has in current Asterisk (a cut record must have them all). */
const CALL_VERBS: Record<string, number> = {
  ENTERQUEUE: 3,
  RINGNOANSWER: 1,
  RINGCANCELED: 1,
  CONNECT: 3,
  COMPLETECALLER: 3,
  COMPLETEAGENT: 3,
  BLINDTRANSFER: 5,
  ATTENDEDTRANSFER: 5,
  TRANSFER: 5,
  ABANDON: 3,
  EXITWITHTIMEOUT: 3,
  EXITEMPTY: 3,
  EXITWITHKEY: 4,
  WITHDRAW: 3,
};

const AGENT_VERBS = new Set([
  'ADDMEMBER',
  'REMOVEMEMBER',
  'PAUSE',
  'UNPAUSE',
  'PAUSEALL',
  'UNPAUSEALL',
  'AGENTLOGIN',
  'AGENTLOGOFF',
  'AGENTCALLBACKLOGIN',
  'AGENTCALLBACKLOGOFF',
]);

/** Fields of ATTENDEDTRANSFER's transfer data per method: LINK names two channels. */
const ATTENDED_METHODS: Record<string, number> = { BRIDGE: 1, APP: 1, LINK: 2, THREEWAY: 1 };

/** Verbs with which app_queue ends a caller's wait unanswered (see the file's comment). */
const EXIT_VERBS = new Set(['ABANDON', 'EXITWITHTIMEOUT', 'EXITEMPTY', 'EXITWITHKEY', 'WITHDRAW']);

/**
 * Index of the caller's wait (s) among a record's data fields, as app_queue.c writes each verb:
 * CONNECT `wait|uniqueid|ringtime`; COMPLETE* `wait|talk|origposition`; BLINDTRANSFER and TRANSFER
 * `exten|context|wait|talk|origposition`; ATTENDEDTRANSFER `<method fields>|wait|talk|origposition`
 * (BRIDGE|id, APP|app, LINK|chan|chan); EXITWITHKEY `key|position|origposition|wait`; ABANDON,
 * EXITWITHTIMEOUT, EXITEMPTY `position|origposition|wait`; WITHDRAW `position|origposition|wait|info`.
 * Undefined for other verbs, and for an ATTENDEDTRANSFER of an unknown method.
 */
function waitField(r: QueueLogRecord): number | undefined {
  switch (r.verb) {
    case 'CONNECT':
    case 'COMPLETECALLER':
    case 'COMPLETEAGENT':
      return 0;
    case 'BLINDTRANSFER':
    case 'TRANSFER':
      return 2;
    case 'ATTENDEDTRANSFER': {
      const method = (r.data[0] ?? '').toUpperCase();
      return method in ATTENDED_METHODS ? 1 + ATTENDED_METHODS[method] : undefined;
    }
    case 'EXITWITHKEY':
      return 3;
    case 'ABANDON':
    case 'EXITWITHTIMEOUT':
    case 'EXITEMPTY':
    case 'WITHDRAW':
      return 2;
    default:
      return undefined;
  }
}

/**
 * The earliest moment a call record's own fields show its leg in being: a ring's start (t − ring
 * ms), the entry of an answered caller (CONNECT: t − wait), of a completed or transferred one
 * (t − talk − wait), of a caller who left (t − wait; t when the wait is not written). Undefined
 * for ENTERQUEUE, other verbs, and fields that are not numbers.
 */
function legEvidenceMs(r: QueueLogRecord): number | undefined {
  const t = r.atMs;
  if (r.verb === 'RINGNOANSWER' || r.verb === 'RINGCANCELED') {
    const ringMs = int(r.data[0]);
    return ringMs === undefined ? undefined : t - Math.max(0, ringMs);
  }
  const w = waitField(r);
  if (w === undefined) return undefined;
  const wait = int(r.data[w]);
  if (EXIT_VERBS.has(r.verb)) return t - Math.max(0, wait ?? 0) * 1000;
  if (wait === undefined) return undefined;
  if (r.verb === 'CONNECT') return t - Math.max(0, wait) * 1000;
  const talk = int(r.data[w + 1]);
  return talk === undefined ? undefined : t - (Math.max(0, wait) + Math.max(0, talk)) * 1000;
}

/** Place of a call verb in the order app_queue writes one leg's lines: entry, rings, answer, end. */
function verbRank(verb: string): number | undefined {
  if (verb === 'ENTERQUEUE') return 0;
  if (verb === 'RINGNOANSWER' || verb === 'RINGCANCELED') return 1;
  if (verb === 'CONNECT') return 2;
  return verb in CALL_VERBS ? 3 : undefined;
}

/**
 * Puts the lines of one call written in the same second in the order app_queue writes them.
 *
 * queue_log has whole seconds, and exports of the realtime table sorted by time alone give the
 * lines of one second in any order: an ABANDON before the RINGCANCELED that preceded it, a
 * COMPLETEAGENT before its CONNECT. Even a live file is not strictly in order: COMPLETE* and
 * transfer lines come from the bridge's Stasis callbacks while the caller's thread writes the rest,
 * so a caller who goes on into another queue may have that ENTERQUEUE first.
 *
 * `items` are in time order; those whose records have the same time and name the same call
 * (call verbs only) are reordered among the places they hold, so every other line keeps its place.
 * Within such a group:
 * - with no ENTERQUEUE, all lines belong to one leg: rings (RINGNOANSWER, RINGCANCELED), then
 *   CONNECT, then the end (COMPLETE*, transfers, ABANDON, EXIT*, WITHDRAW); app_queue writes a
 *   RINGCANCELED before the exit it leads to (wait_for_answer() returns, then queue_exec() writes
 *   the exit), and no ring of a leg after its CONNECT (the other phones are hung up unlogged);
 * - with an ENTERQUEUE, the lines whose own fields show a leg that began before this second (a
 *   ring of a second or more, a wait or talk of a second or more: {@link legEvidenceMs}) end the
 *   previous leg and come first, in the order above; then the ENTERQUEUE and the new leg's lines.
 * Lines of equal place keep their order (they are independent: several members' rings, or
 * repeats). Items without a record, or with a record of another kind, are left where they are.
 */
export function orderWithinSeconds<T>(items: readonly T[], recordOf: (item: T) => QueueLogRecord | undefined): T[] {
  const out = items.slice();
  const places: number[] = [];
  for (let i = 0; i < out.length; i++) if (recordOf(out[i]) !== undefined) places.push(i);
  let start = 0;
  while (start < places.length) {
    const t = (recordOf(out[places[start]]) as QueueLogRecord).atMs;
    let end = start + 1;
    while (end < places.length && (recordOf(out[places[end]]) as QueueLogRecord).atMs === t) end++;
    if (end - start > 1) orderRun(out, places.slice(start, end), recordOf, t);
    start = end;
  }
  return out;
}

/** Runs of up to this many records are first checked pair by pair for two lines of one call. */
const SMALL_RUN = 8;

function orderRun<T>(out: T[], run: number[], recordOf: (item: T) => QueueLogRecord | undefined, t: number): void {
  // Most seconds hold lines of different calls: nothing to reorder, and no map to build.
  if (run.length <= SMALL_RUN && !twoOfOneCall(out, run, recordOf)) return;
  const byCall = new Map<string, number[]>();
  for (const i of run) {
    const call = callOf(recordOf(out[i]) as QueueLogRecord);
    if (call === undefined) continue;
    const list = byCall.get(call);
    if (list) list.push(i);
    else byCall.set(call, [i]);
  }
  const secondStart = Math.floor(t / 1000) * 1000;
  for (const at of byCall.values()) {
    if (at.length < 2) continue;
    const recs = at.map((i) => recordOf(out[i]) as QueueLogRecord);
    const entered = recs.some((r) => r.verb === 'ENTERQUEUE');
    const keyed = recs.map((r, n) => {
      const rank = verbRank(r.verb) as number;
      const seen = rank === 0 ? undefined : legEvidenceMs(r);
      // Whole seconds: only a second or more before this one is sure to be before it.
      const leg = entered && (seen === undefined || seen > secondStart - 1000) ? 1 : 0;
      return { item: out[at[n]], leg, rank, n, verb: r.verb };
    });
    if (entered) {
      // A ring cancelled within the second it began goes with the caller's exit it led to (ABANDON,
      // EXITWITHKEY), when only the previous leg has one.
      const exitOf = (leg: number) => keyed.some((k) => k.leg === leg && (k.verb === 'ABANDON' || k.verb === 'EXITWITHKEY'));
      if (exitOf(0) && !exitOf(1)) for (const k of keyed) if (k.verb === 'RINGCANCELED') k.leg = 0;
    }
    keyed.sort((a, b) => a.leg - b.leg || a.rank - b.rank || a.n - b.n);
    keyed.forEach((k, n) => (out[at[n]] = k.item));
  }
}

/** The call a record names when it is a call record (what {@link orderRun} groups by), else undefined. */
function callOf(r: QueueLogRecord): string | undefined {
  return verbRank(r.verb) === undefined ? undefined : cleanName(r.callId);
}

/** Whether two records of `run` are call records of the same call. */
function twoOfOneCall<T>(out: T[], run: number[], recordOf: (item: T) => QueueLogRecord | undefined): boolean {
  for (let a = 1; a < run.length; a++) {
    const call = callOf(recordOf(out[run[a]]) as QueueLogRecord);
    if (call === undefined) continue;
    for (let b = 0; b < a; b++) if (callOf(recordOf(out[run[b]]) as QueueLogRecord) === call) return true;
  }
  return false;
}

/**
 * An agent id from queue_log's agent field. The field is kept as it is written
 * (`SIP/1001`, `PJSIP/1001`, `Agent/1001`, a member name such as `Ann Lee`),
 * with three exceptions that name the same member in different ways:
 * - a Local channel member loses its dial options: `Local/1001@from-queue/n`
 *   (and `/nj`, `/j`…) → `Local/1001@from-queue`;
 * - a channel name loses its per-call suffix: `SIP/1001-0000002a` → `SIP/1001`,
 *   `Local/1001@from-queue-0000002b;1` → `Local/1001@from-queue`;
 * - `NONE` or an empty field is no agent.
 * `SIP/1001` and `Agent/1001` stay two ids: queue_log does not say they are the
 * same person (give members a `membername` in queues.conf to log one name).
 */
export function normalizeAgent(field: string): string | undefined {
  return cached(AGENTS, field, agentOf);
}

function agentOf(field: string): string | undefined {
  let a = field.replace(CONTROL, '').trim();
  if (a === '' || a.toUpperCase() === 'NONE') return undefined;
  a = a.replace(/;\d$/, '');
  a = a.replace(/-[0-9a-f]{8}$/i, '');
  const local = /^(Local\/[^@/]+@[^/]+)\/[A-Za-z]*$/i.exec(a);
  if (local) a = local[1];
  if (a.length > 128) a = `${a.slice(0, 100)}~${hashText(a)}`;
  return a;
}

/** A call id or queue name from its field: without control characters and blanks around; none for `NONE` or empty. */
function cleanName(field: string): string | undefined {
  // The usual field needs nothing done: returned as it is, with no copy and no lookup.
  if (field.length > 0 && field.length <= MAX_NAME && !HAS_CONTROL.test(field) && !EDGE_BLANK.test(field) && !(field.length === 4 && field.toUpperCase() === 'NONE')) return field;
  const s = field.replace(CONTROL, '').trim();
  if (s === '' || s.toUpperCase() === 'NONE') return undefined;
  return s.length > MAX_NAME ? `${s.slice(0, 40)}~${hashText(s)}` : s;
}

// eslint-disable-next-line no-control-regex
const HAS_CONTROL = /[\u0000-\u001f\u007f]/;
/** Blank at either end (what trim() would remove, in its common forms). */
const EDGE_BLANK = /^\s|\s$/;

/**
 * Agent fields already normalized, with what they gave: a floor's few hundred members repeat on
 * every line. Emptied when it reaches {@link FIELDS_KEPT} (a file of made-up agents).
 */
const AGENTS = new Map<string, string | undefined>();
const FIELDS_KEPT = 20_000;

function cached(m: Map<string, string | undefined>, field: string, clean: (field: string) => string | undefined): string | undefined {
  let v = m.get(field);
  if (v === undefined && !m.has(field)) {
    v = clean(field);
    if (m.size >= FIELDS_KEPT) m.clear();
    m.set(field, v);
  }
  return v;
}

/** A whole number written in decimal digits (a leading minus allowed), or undefined. */
function int(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = text.length;
  let i = n > 0 && text.charCodeAt(0) === 45 ? 1 : 0;
  if (i === n) return undefined;
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
  }
  return Number(text);
}

/**
 * Longest wait, talk or ring a data field may give: a week (the feed schema's bound on `waitSec`).
 * A larger figure is a damaged field, and its record damaged, not a call of years.
 */
const MAX_FIELD_SEC = 7 * 86_400;

/**
 * A whole-number data field, clamped at 0: seconds, or ms when `what` says so (bounded by
 * {@link MAX_FIELD_SEC} either way). Throws InvalidRecord naming `what` when it is missing, not a
 * whole number, or beyond the bound.
 */
function need(r: QueueLogRecord, i: number, what: string): number {
  const n = int(r.data[i]);
  if (n === undefined) throw new InvalidRecord(r.data[i] === undefined || r.data[i] === '' ? `${what} missing` : `${what} "${r.data[i].slice(0, 20)}" is not a whole number`);
  const max = what.endsWith('(ms)') ? MAX_FIELD_SEC * 1000 : MAX_FIELD_SEC;
  if (n > max) throw new InvalidRecord(`${what} ${r.data[i].slice(0, 20)} is more than a week`);
  return Math.max(0, n);
}

/** {@link need} for a field that may be absent or empty (undefined then). */
function optional(r: QueueLogRecord, i: number, what: string): number | undefined {
  return r.data[i] === undefined || r.data[i] === '' ? undefined : need(r, i, what);
}

function needAgent(agentId: string | undefined): string {
  if (agentId === undefined) throw new InvalidRecord('no agent');
  return agentId;
}

function addTalk(m: Map<string, TalkTally>, key: string, talkSec: number): void {
  const x = m.get(key);
  if (x) {
    x.sumSec += talkSec;
    x.count++;
  } else m.set(key, { sumSec: talkSec, count: 1 });
}

interface Leg {
  /** The engine's call id: the callid, or `<callid>#<n>` from the second leg on. */
  callId: string;
  queueId: string;
  /** Agent the call is connected to. */
  agentId?: string;
  /**
   * Time of the leg's latest event: the next one is never earlier, so one call's
   * events stay in order (ring starts excepted, see {@link QueueLogAdapter.ringStart}).
   */
  lastAtMs: number;
  /** When the leg entered its queue: no ring of it starts earlier. */
  enteredAtMs: number;
  /** End of each member's latest ring on this leg: their next ring starts no earlier. */
  ringEnds?: Map<string, number>;
  /** Time of the record that rebuilt the leg, when its ENTERQUEUE had not been read. */
  rebuiltAtMs?: number;
  /**
   * Set when a record of the leg was cut short by NUL bytes: the call was closed as lost at this
   * time. The leg stays open here, so that a later line of the call continues it.
   */
  lostAtMs?: number;
}

interface CallTrack {
  legs: number;
  open?: Leg;
  /** The latest leg that ended: a late or repeated line of it is not a new call. */
  last?: Leg;
}

/** One call record being mapped: what its events are built from (one object per record, no closures). */
interface RecordWork {
  r: QueueLogRecord;
  /** The record's time (epoch ms). */
  t: number;
  /** Id base of the record's events (see {@link QueueLogAdapter.idBase}). */
  base: string;
  out: EventBody[];
  track: CallTrack;
  rawCall: string;
  queueId: string;
}

type EventBody = { type: string } & Record<string, unknown>;

class InvalidRecord extends Error {}

export class QueueLogAdapter {
  private readonly calls = new Map<string, CallTrack>();
  /** Calls in `calls` with no open leg. */
  private finished = 0;
  private readonly members = new MemberRoster();
  /** Time of the latest record read: the last moment Asterisk is known to have been running. */
  private lastRecordAtMs: number | undefined;
  /** Talk time from the data fields of COMPLETE* and transfer records, by queue and by agent. */
  readonly talkByQueue = new Map<string, TalkTally>();
  readonly talkByAgent = new Map<string, TalkTally>();

  /** Calls with an open leg: still waiting or connected at this point of the file (not those closed as lost by a cut record). */
  openCalls(): { callId: string; queueId: string; agentId?: string }[] {
    const out: { callId: string; queueId: string; agentId?: string }[] = [];
    for (const t of this.calls.values()) {
      if (t.open && t.open.lostAtMs === undefined) out.push({ callId: t.open.callId, queueId: t.open.queueId, agentId: t.open.agentId });
    }
    return out;
  }

  /** Maps one record to events. Never throws: a record it cannot use is reported as skipped or damaged. */
  feed(r: QueueLogRecord): FeedResult {
    const result = this.map(r);
    // Any record, used or not, shows Asterisk running at its time (QUEUESTART reads it before this).
    if (this.lastRecordAtMs === undefined || r.atMs > this.lastRecordAtMs) this.lastRecordAtMs = r.atMs;
    return result;
  }

  private map(r: QueueLogRecord): FeedResult {
    try {
      if (r.verb in CALL_VERBS) return this.callRecord(r);
      if (AGENT_VERBS.has(r.verb)) return this.agentRecord(r);
      if (r.verb === 'QUEUESTART') return this.queueStart(r);
      // A verb cut by NULs ("ABAN") is not an unknown verb: the record lost what it said.
      if (r.cut) return this.cutShort(r, `cut short by NUL bytes: verb "${r.verb.slice(0, 24)}" not known, perhaps cut too`);
      return { kind: 'skipped', reason: `informational verb ${r.verb}` };
    } catch (err) {
      if (!(err instanceof InvalidRecord)) throw err;
      // A damaged record must not leave an empty call behind.
      const id = cleanName(r.callId);
      if (id !== undefined && this.calls.get(id)?.legs === 0) this.calls.delete(id);
      const reason = `${r.verb}: ${err.message}`;
      return r.cut ? this.cutShort(r, reason) : { kind: 'damaged', reason };
    }
  }

  /**
   * A record cut short by NUL bytes (a crash lost the rest of it): damaged. When it names a call
   * that is open, something happened to that call at the record's time and what is unknown: the
   * call is closed as `call.lost` then (neither answered nor abandoned), rather than left waiting
   * until the next QUEUESTART. A later line of the call continues it on the same call id, and the
   * engine reopens or corrects the lost call.
   */
  private cutShort(r: QueueLogRecord, reason: string): FeedResult {
    const id = cleanName(r.callId);
    const leg = id !== undefined ? this.calls.get(id)?.open : undefined;
    if (!leg || leg.lostAtMs !== undefined) return { kind: 'damaged', reason };
    const at = Math.max(r.atMs, leg.lastAtMs);
    leg.lastAtMs = at;
    leg.lostAtMs = at;
    const lost = { type: 'call.lost', id: `${this.idBase(r, leg.callId)}:lost`, at, callId: leg.callId, reason: 'its queue_log record was cut short by NUL bytes: what happened then is unknown' };
    return { kind: 'damaged', reason, events: [lost as unknown as FloorEventInput] };
  }

  // ------------------------------------------------------------ ids

  private idBase(r: QueueLogRecord, callId?: string): string {
    const call = callId ?? cleanName(r.callId) ?? 'NONE';
    return `ql:${Math.floor(r.atMs / 1000)}:${call}:${r.verb.slice(0, 24)}:${r.hash}`;
  }

  // ------------------------------------------------------------ calls

  private callRecord(r: QueueLogRecord): FeedResult {
    const rawCall = cleanName(r.callId);
    if (rawCall === undefined) throw new InvalidRecord('a call record without a call id');
    const queueId = cleanName(r.queue);
    if (queueId === undefined) throw new InvalidRecord('a call record without a queue');
    if (r.cut && r.data.length < CALL_VERBS[r.verb]) throw new InvalidRecord(`cut short by NUL bytes (${r.data.length} of ${CALL_VERBS[r.verb]} data fields)`);
    const agentId = normalizeAgent(r.agent);
    const t = r.atMs;
    let track = this.calls.get(rawCall);
    if (!track) {
      track = { legs: 0 };
      this.calls.set(rawCall, track);
    }
    const last = track.last;
    if (!track.open && last && r.verb !== 'ENTERQUEUE') {
      // A line of the leg that ended: repeated, or written in the second of the end and read after it.
      const seen = legEvidenceMs(r);
      if (seen !== undefined && seen <= last.lastAtMs) return { kind: 'skipped', reason: `${r.verb} of a call that had ended: a repeated or late line of that call, not a new call` };
    }
    const c: RecordWork = { r, t, base: this.idBase(r, rawCall), out: [], track, rawCall, queueId };

    switch (r.verb) {
      case 'ENTERQUEUE': {
        const caller = r.data[1]?.replace(CONTROL, '').trim().slice(0, 200);
        const body: EventBody = { type: 'call.queued', queueId };
        if (caller) body.caller = caller;
        const open = track.open;
        const own = open ?? last;
        if (own?.rebuiltAtMs !== undefined && Math.floor(own.rebuiltAtMs / 1000) === Math.floor(t / 1000) && own.queueId === queueId) {
          // Read after a line of the same second that rebuilt the call: its own entry, not a new one.
          own.rebuiltAtMs = undefined;
          return { kind: 'skipped', reason: 'ENTERQUEUE read after a line of its call of the same second: that call\'s entry, not a new call' };
        }
        if (open) {
          // Entered a queue while still in one (a transfer into a queue, a repeat): the engine moves it.
          open.queueId = queueId;
          open.agentId = undefined;
          open.enteredAtMs = this.emit(c, open, t, '', body);
        } else {
          this.emit(c, this.newLeg(track, rawCall, queueId, t), t, '', body);
        }
        break;
      }
      case 'RINGNOANSWER':
      case 'RINGCANCELED': {
        // app_queue's rna() writes RINGNOANSWER (the ring timed out on this member, or their phone
        // was busy or refused it); RINGCANCELED is written for each member still ringing when the
        // caller hangs up or leaves with a key (canceled_by_caller in wait_for_answer()): never
        // held against the member. Both give the ring's length in ms, logged at its end.
        const ringMs = need(r, 0, 'ring time (ms)');
        const agent = needAgent(agentId);
        const leg = this.ensureLeg(c, t - ringMs);
        if (leg.agentId !== undefined) return { kind: 'skipped', reason: `${r.verb} after the call was answered` };
        this.ring(c, leg, agent, t - ringMs);
        const end = this.emit(c, leg, t, '', { type: 'call.ring-ended', agentId: agent, outcome: r.verb === 'RINGNOANSWER' ? 'no-answer' : 'canceled' });
        (leg.ringEnds ??= new Map()).set(agent, end);
        break;
      }
      case 'CONNECT': {
        const waitSec = need(r, 0, 'queue wait (s)');
        const ringSec = optional(r, 2, 'ring time (s)');
        const agent = needAgent(agentId);
        const leg = this.ensureLeg(c, t - waitSec * 1000);
        if (leg.agentId === agent) return { kind: 'skipped', reason: 'CONNECT repeated' };
        // No ring count: the engine counts rings from the ringing time and its cadence.
        if (ringSec !== undefined) this.ring(c, leg, agent, t - ringSec * 1000);
        else this.sighting(c.out, c.base, agent, leg.queueId, Math.max(t, leg.lastAtMs));
        // The caller's wait as app_queue measured it (`time(NULL) - qe->start`), not the line times'.
        this.emit(c, leg, t, '', { type: 'call.answered', agentId: agent, waitSec });
        leg.agentId = agent;
        break;
      }
      case 'COMPLETECALLER':
      case 'COMPLETEAGENT': {
        const waitSec = need(r, 0, 'queue wait (s)');
        const talkSec = need(r, 1, 'talk time (s)');
        if (track.open?.agentId === undefined && agentId === undefined) throw new InvalidRecord('no agent, and no CONNECT before it');
        const leg = this.ensureConnected(c, waitSec, talkSec, agentId);
        this.emit(c, leg, t, '', { type: 'call.ended', by: r.verb === 'COMPLETECALLER' ? 'caller' : 'agent' });
        this.closeLeg(track);
        this.tallyTalk(queueId, agentId ?? leg.agentId, talkSec);
        break;
      }
      case 'BLINDTRANSFER':
      case 'TRANSFER':
      case 'ATTENDEDTRANSFER': {
        let waitAt = 2;
        if (r.verb === 'ATTENDEDTRANSFER') {
          const method = (r.data[0] ?? '').toUpperCase();
          if (!(method in ATTENDED_METHODS)) throw new InvalidRecord(`unknown transfer method "${(r.data[0] ?? '').slice(0, 20)}"`);
          waitAt = 1 + ATTENDED_METHODS[method];
          if (r.cut && r.data.length < waitAt + 3) throw new InvalidRecord('cut short by NUL bytes');
        }
        const waitSec = need(r, waitAt, 'queue wait (s)'); // = waitField(r)
        const talkSec = need(r, waitAt + 1, 'talk time (s)');
        if (track.open?.agentId === undefined && agentId === undefined) throw new InvalidRecord('no agent, and no CONNECT before it');
        const leg = this.ensureConnected(c, waitSec, talkSec, agentId);
        const body: EventBody = { type: 'call.transferred' };
        if (r.verb === 'BLINDTRANSFER') body.mode = 'blind';
        if (r.verb === 'ATTENDEDTRANSFER') body.mode = 'attended';
        this.emit(c, leg, t, '', body);
        this.closeLeg(track);
        this.tallyTalk(queueId, agentId ?? leg.agentId, talkSec);
        break;
      }
      case 'ABANDON':
      case 'EXITWITHTIMEOUT':
      case 'EXITEMPTY':
      case 'EXITWITHKEY':
      case 'WITHDRAW': {
        // The verbs app_queue writes when a caller's wait ends unanswered (queue_exec(),
        // wait_our_turn() and try_calling()): ABANDON (hung up, also just before being connected),
        // EXITWITHTIMEOUT, EXITEMPTY (leavewhenempty), EXITWITHKEY (an exit digit), and WITHDRAW
        // (the AMI action QueueWithdrawCaller, Asterisk 20+). All but EXITWITHKEY go through
        // record_abandoned(). Their wait, `time(NULL) - qe->start`, is the caller's whole time in
        // the queue: EXITWITHKEY `key|position|origposition|wait`, the others
        // `position|origposition|wait` (WITHDRAW then its info). WITHDRAW takes a caller out for a
        // callback: not one who gave up, but the engine has no figure of its own for it yet, so it
        // counts as abandoned (README, Report figures).
        const waitSec = optional(r, waitField(r) as number, 'queue wait (s)');
        const leg = this.ensureLeg(c, t - (waitSec ?? 0) * 1000);
        // Left the queue unanswered. (After an answer it can only mean the call ended: close it.)
        const body: EventBody = leg.agentId !== undefined ? { type: 'call.ended' } : { type: 'call.abandoned' };
        if (body.type === 'call.abandoned' && waitSec !== undefined) body.waitSec = waitSec;
        this.emit(c, leg, t, '', body);
        this.closeLeg(track);
        break;
      }
    }
    // The events of this record reopen or correct a call closed as lost by a cut record.
    if (track.open) track.open.lostAtMs = undefined;
    return { kind: 'events', events: c.out as unknown as FloorEventInput[] };
  }

  private newLeg(track: CallTrack, rawCall: string, queueId: string, atMs: number): Leg {
    if (track.legs > 0) this.finished--; // a finished call comes back
    track.legs++;
    const leg: Leg = { callId: track.legs === 1 ? rawCall : `${rawCall}#${track.legs}`, queueId, lastAtMs: atMs, enteredAtMs: atMs };
    track.open = leg;
    return leg;
  }

  /**
   * When a ring logged at its end began: its end less its length, but never
   * before the leg entered its queue (the log has whole seconds: a ring of
   * 15.8 s logged at 25 s on a call that entered at 10 s began at 10 s, not
   * 9.2 s), nor before the same member's previous ring of the call ended. It
   * may be earlier than other members' rings already reported: under ringall
   * every member's RINGNOANSWER comes at the attempt's end, each with the
   * attempt's whole ring time, and each keeps its own ring.
   */
  private ringStart(leg: Leg, agent: string, startMs: number): number {
    return Math.max(startMs, leg.enteredAtMs, leg.ringEnds?.get(agent) ?? -Infinity);
  }

  private closeLeg(track: CallTrack): void {
    track.last = track.open;
    track.open = undefined;
    this.finished++;
    if (this.finished > FINISHED_CALLS_KEPT * 1.1) this.forgetOldest();
  }

  /** Forgets the oldest finished calls (the Map keeps first-seen order) down to the bound. */
  private forgetOldest(): void {
    for (const [id, t] of this.calls) {
      if (this.finished <= FINISHED_CALLS_KEPT) break;
      if (t.open) continue;
      this.calls.delete(id);
      this.finished--;
    }
  }

  /**
   * Closes here the open legs whose latest record is older than `beforeMs`
   * (epoch ms): their end was lost and the engine has closed them as end lost
   * by its stale-call limit. They join the finished calls, which are bounded,
   * so the calls remembered are at most those open in the last hours plus
   * {@link FINISHED_CALLS_KEPT}. O(calls): the live tail runs it at most once
   * a minute. Returns how many were closed.
   */
  expireIdle(beforeMs: number): number {
    let n = 0;
    for (const track of [...this.calls.values()]) {
      if (track.open === undefined || track.open.lastAtMs >= beforeMs) continue;
      this.closeLeg(track);
      n++;
    }
    return n;
  }

  /** Calls remembered (open and finished), for `/api/health` and tests of the memory bound. */
  get callsKept(): number {
    return this.calls.size;
  }

  /** A COMPLETE* or transfer record on a call whose CONNECT we did not see: rebuild the answer from wait and talk. */
  private ensureConnected(c: RecordWork, waitSec: number, talkSec: number, agentId: string | undefined): Leg {
    const t = c.t;
    const leg = this.ensureLeg(c, t - (talkSec + waitSec) * 1000);
    if (leg.agentId === undefined && agentId !== undefined) {
      this.sighting(c.out, c.base, agentId, leg.queueId, Math.max(t - talkSec * 1000, leg.lastAtMs));
      this.emit(c, leg, t - talkSec * 1000, 'answer', { type: 'call.answered', agentId, waitSec });
      leg.agentId = agentId;
    }
    return leg;
  }

  /** An event of a record's leg, never earlier than the leg's previous one; returns its time. */
  private emit(c: RecordWork, leg: Leg, atMs: number, role: string, body: EventBody): number {
    const at = Math.max(atMs, leg.lastAtMs);
    leg.lastAtMs = at;
    body.id = role ? `${c.base}:${role}` : c.base;
    body.at = at;
    body.callId = leg.callId;
    c.out.push(body);
    return at;
  }

  /** A member's ring of a record's leg from `startMs` (see {@link ringStart}), with the member's sighting. */
  private ring(c: RecordWork, leg: Leg, agent: string, startMs: number): void {
    const at = this.ringStart(leg, agent, startMs);
    this.sighting(c.out, c.base, agent, leg.queueId, at);
    c.out.push({ type: 'call.ringing', agentId: agent, id: `${c.base}:ring`, at, callId: leg.callId });
    leg.lastAtMs = Math.max(leg.lastAtMs, at);
  }

  /** The record's open leg, or a leg rebuilt from the data fields when the call began before the file did. */
  private ensureLeg(c: RecordWork, enteredAtMs: number): Leg {
    if (c.track.open) return c.track.open;
    const leg = this.newLeg(c.track, c.rawCall, c.queueId, enteredAtMs);
    leg.rebuiltAtMs = c.t;
    this.emit(c, leg, enteredAtMs, 'enter', { type: 'call.queued', queueId: c.queueId });
    return leg;
  }

  private tallyTalk(queueId: string, agentId: string | undefined, talkSec: number): void {
    addTalk(this.talkByQueue, queueId, talkSec);
    if (agentId !== undefined) addTalk(this.talkByAgent, agentId, talkSec);
  }

  // ------------------------------------------------------------ agents


  /**
   * An agent seen on a call in a queue we did not know they serve (static
   * members in queues.conf never log ADDMEMBER): they are a member of it, and
   * signed in if we knew nothing else of them.
   */
  private sighting(out: EventBody[], base: string, agentId: string, queueId: string, atMs: number): void {
    const e = this.members.sighting(`${base}:member`, agentId, queueId, atMs);
    if (e) out.push(e);
  }

  private agentRecord(r: QueueLogRecord): FeedResult {
    const agentId = normalizeAgent(r.agent);
    if (agentId === undefined) throw new InvalidRecord('no agent');
    const queueId = cleanName(r.queue);
    const a = this.members.track(agentId);
    const body: EventBody = { type: 'agent.state', id: this.idBase(r), at: r.atMs, agentId };
    let state: AgentPresence;
    switch (r.verb) {
      case 'ADDMEMBER':
        if (queueId !== undefined && !a.queues.includes(queueId)) a.queues.push(queueId);
        body.queues = [...a.queues];
        // app_queue.c logs ADDMEMBER with data "PAUSED" for a member added paused (add_to_queue callers): away, with no reason yet.
        state = r.data[0]?.trim().toUpperCase() === 'PAUSED' ? 'away' : 'available';
        break;
      case 'REMOVEMEMBER':
        if (queueId !== undefined) a.queues = a.queues.filter((q) => q !== queueId);
        body.queues = [...a.queues];
        // Still a member elsewhere: still signed in.
        state = a.queues.length === 0 ? 'offline' : (a.presence ?? 'available');
        break;
      case 'PAUSE':
      case 'PAUSEALL': {
        // The reason is the data field: app_queue.c's set_queue_member_pause() logs
        // `ast_queue_log(q->name, "NONE", mem->membername, "PAUSE", "%s", mem->reason_paused)`, and
        // set_member_paused() logs PAUSEALL (queue NONE) with `S_OR(reason, "")` before each queue's
        // PAUSE. Normalised as every source's reason is (shared/away.ts), so the pause limits find it.
        state = 'away';
        const reason = normalizeAwayReason(r.data[0]?.replace(CONTROL, ''));
        if (reason) body.reason = reason;
        break;
      }
      case 'UNPAUSE':
      case 'UNPAUSEALL':
      case 'AGENTLOGIN':
      case 'AGENTCALLBACKLOGIN':
        state = 'available';
        break;
      default: // AGENTLOGOFF, AGENTCALLBACKLOGOFF
        state = 'offline';
        break;
    }
    a.presence = state;
    body.state = state;
    return { kind: 'events', events: [body as unknown as FloorEventInput] };
  }

  /**
   * QUEUESTART is written once Asterisk has fully booted (`logger_queue_start()`
   * in main/logger.c), i.e. after a (re)start: no call survives that. A call
   * still open here lost its end: whether the caller was answered, hung up or
   * was cut off by the stop, queue_log does not say. It is closed as
   * `call.lost` at the best-known time, the latest record read before the
   * restart (Asterisk was still running then), never before the call's own
   * latest event. With no call open the line is informational.
   */
  private queueStart(r: QueueLogRecord): FeedResult {
    const out: EventBody[] = [];
    for (const track of this.calls.values()) {
      const leg = track.open;
      if (!leg) continue;
      if (leg.lostAtMs !== undefined) {
        this.closeLeg(track); // closed as lost already, by a record cut short
        continue;
      }
      const at = Math.max(this.lastRecordAtMs ?? r.atMs, leg.lastAtMs);
      out.push({ type: 'call.lost', id: this.idBase(r, leg.callId), at, callId: leg.callId, reason: 'Asterisk restarted (QUEUESTART) while the call was open' });
      this.closeLeg(track);
    }
    if (out.length === 0) return { kind: 'skipped', reason: 'informational verb QUEUESTART' };
    return { kind: 'events', events: out as unknown as FloorEventInput[] };
  }
}
