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

 * Every event's id is `ql:<epoch s>:<callid>:<VERB>:<hash of the record>`,
 * with a role suffix when one record yields several events, so a record read
 * twice (tail restarted, file replayed, rotated file read again) produces the
 * same ids and the event log ignores the repeats.
 */
import type { AgentPresence, FloorEventInput } from '../../shared/events.ts';
import { hashText, type QueueLogRecord } from './parse.ts';

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/g;
/** Call ids and queue names longer than this are replaced by a hash: event ids must stay within 128 characters. */
const MAX_NAME = 60;
/**
 * Finished calls remembered (to number the legs of a call that comes back
 * into a queue): a busy floor's day or two. Open calls are always kept; the
 * bound keeps a tail that runs for months from growing without end.
 */
import { MemberRoster } from '../members.ts';

export const FINISHED_CALLS_KEPT = 100_000;

export type FeedResult =
  | { kind: 'events'; events: FloorEventInput[] }
  | { kind: 'skipped'; reason: string }
  | { kind: 'damaged'; reason: string };

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
  let a = field.replace(CONTROL, '').trim();
  if (a === '' || a.toUpperCase() === 'NONE') return undefined;
  a = a.replace(/;\d$/, '');
  a = a.replace(/-[0-9a-f]{8}$/i, '');
  const local = /^(Local\/[^@/]+@[^/]+)\/[A-Za-z]*$/i.exec(a);
  if (local) a = local[1];
  if (a.length > 128) a = `${a.slice(0, 100)}~${hashText(a)}`;
  return a;
}

function cleanName(field: string): string | undefined {
  const s = field.replace(CONTROL, '').trim();
  if (s === '' || s.toUpperCase() === 'NONE') return undefined;
  return s.length > MAX_NAME ? `${s.slice(0, 40)}~${hashText(s)}` : s;
}

function int(text: string | undefined): number | undefined {
  if (text === undefined || !/^-?\d+$/.test(text)) return undefined;
  return Number(text);
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
}

interface CallTrack {
  legs: number;
  open?: Leg;
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

  /** Calls with an open leg: still waiting or connected at this point of the file. */
  openCalls(): { callId: string; queueId: string; agentId?: string }[] {
    const out: { callId: string; queueId: string; agentId?: string }[] = [];
    for (const t of this.calls.values()) if (t.open) out.push({ callId: t.open.callId, queueId: t.open.queueId, agentId: t.open.agentId });
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
      return { kind: 'skipped', reason: `informational verb ${r.verb}` };
    } catch (err) {
      if (!(err instanceof InvalidRecord)) throw err;
      // A damaged record must not leave an empty call behind.
      const id = cleanName(r.callId);
      if (id !== undefined && this.calls.get(id)?.legs === 0) this.calls.delete(id);
      return { kind: 'damaged', reason: `${r.verb}: ${err.message}` };
    }
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
    const base = this.idBase(r, rawCall);
    const t = r.atMs;
    const out: EventBody[] = [];
    let track = this.calls.get(rawCall);
    if (!track) {
      track = { legs: 0 };
      this.calls.set(rawCall, track);
    }
    const trackRef = track;
    /** An event of this leg, never earlier than the leg's previous one. */
    const emit = (leg: Leg, atMs: number, role: string, body: EventBody): number => {
      const at = Math.max(atMs, leg.lastAtMs);
      leg.lastAtMs = at;
      out.push({ ...body, id: role ? `${base}:${role}` : base, at, callId: leg.callId });
      return at;
    };
    /** A member's ring of this leg from `startMs` (see {@link ringStart}), with the member's sighting. */
    const ring = (leg: Leg, agent: string, startMs: number) => {
      const at = this.ringStart(leg, agent, startMs);
      this.sighting(out, base, agent, leg.queueId, at);
      out.push({ type: 'call.ringing', agentId: agent, id: `${base}:ring`, at, callId: leg.callId });
      leg.lastAtMs = Math.max(leg.lastAtMs, at);
    };
    /** The open leg, or a leg rebuilt from the data fields when the call began before the file did. */
    const ensureLeg = (enteredAtMs: number): Leg => {
      if (trackRef.open) return trackRef.open;
      const leg = this.newLeg(trackRef, rawCall, queueId, enteredAtMs);
      emit(leg, enteredAtMs, 'enter', { type: 'call.queued', queueId });
      return leg;
    };
    const need = (i: number, what: string): number => {
      const n = int(r.data[i]);
      if (n === undefined) throw new InvalidRecord(r.data[i] === undefined || r.data[i] === '' ? `${what} missing` : `${what} "${r.data[i].slice(0, 20)}" is not a whole number`);
      return Math.max(0, n);
    };
    const optional = (i: number, what: string): number | undefined => (r.data[i] === undefined || r.data[i] === '' ? undefined : need(i, what));
    const needAgent = (): string => {
      if (agentId === undefined) throw new InvalidRecord('no agent');
      return agentId;
    };

    switch (r.verb) {
      case 'ENTERQUEUE': {
        const caller = r.data[1]?.replace(CONTROL, '').trim().slice(0, 200);
        const body: EventBody = { type: 'call.queued', queueId };
        if (caller) body.caller = caller;
        const open = track.open;
        if (open) {
          // Entered a queue while still in one (a transfer into a queue, a repeat): the engine moves it.
          open.queueId = queueId;
          open.agentId = undefined;
          open.enteredAtMs = emit(open, t, '', body);
        } else {
          emit(this.newLeg(track, rawCall, queueId, t), t, '', body);
        }
        break;
      }
      case 'RINGNOANSWER':
      case 'RINGCANCELED': {
        // app_queue's rna() writes RINGNOANSWER (the ring timed out on this member, or their phone
        // was busy or refused it); RINGCANCELED is written for each member still ringing when the
        // caller hangs up or leaves with a key (canceled_by_caller in wait_for_answer()): never
        // held against the member. Both give the ring's length in ms, logged at its end.
        const ringMs = need(0, 'ring time (ms)');
        const agent = needAgent();
        const leg = ensureLeg(t - ringMs);
        if (leg.agentId !== undefined) return { kind: 'skipped', reason: `${r.verb} after the call was answered` };
        ring(leg, agent, t - ringMs);
        const end = emit(leg, t, '', { type: 'call.ring-ended', agentId: agent, outcome: r.verb === 'RINGNOANSWER' ? 'no-answer' : 'canceled' });
        (leg.ringEnds ??= new Map()).set(agent, end);
        break;
      }
      case 'CONNECT': {
        const waitSec = need(0, 'queue wait (s)');
        const ringSec = optional(2, 'ring time (s)');
        const agent = needAgent();
        const leg = ensureLeg(t - waitSec * 1000);
        if (leg.agentId === agent) return { kind: 'skipped', reason: 'CONNECT repeated' };
        // No ring count: the engine counts rings from the ringing time and its cadence.
        if (ringSec !== undefined) ring(leg, agent, t - ringSec * 1000);
        else this.sighting(out, base, agent, leg.queueId, Math.max(t, leg.lastAtMs));
        emit(leg, t, '', { type: 'call.answered', agentId: agent });
        leg.agentId = agent;
        break;
      }
      case 'COMPLETECALLER':
      case 'COMPLETEAGENT': {
        const waitSec = need(0, 'queue wait (s)');
        const talkSec = need(1, 'talk time (s)');
        if (track.open?.agentId === undefined && agentId === undefined) throw new InvalidRecord('no agent, and no CONNECT before it');
        const leg = this.ensureConnected(out, base, ensureLeg, emit, t, waitSec, talkSec, agentId);
        emit(leg, t, '', { type: 'call.ended', by: r.verb === 'COMPLETECALLER' ? 'caller' : 'agent' });
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
        const waitSec = need(waitAt, 'queue wait (s)');
        const talkSec = need(waitAt + 1, 'talk time (s)');
        if (track.open?.agentId === undefined && agentId === undefined) throw new InvalidRecord('no agent, and no CONNECT before it');
        const leg = this.ensureConnected(out, base, ensureLeg, emit, t, waitSec, talkSec, agentId);
        const body: EventBody = { type: 'call.transferred' };
        if (r.verb === 'BLINDTRANSFER') body.mode = 'blind';
        if (r.verb === 'ATTENDEDTRANSFER') body.mode = 'attended';
        emit(leg, t, '', body);
        this.closeLeg(track);
        this.tallyTalk(queueId, agentId ?? leg.agentId, talkSec);
        break;
      }
      case 'ABANDON':
      case 'EXITWITHTIMEOUT':
      case 'EXITEMPTY':
      case 'EXITWITHKEY':
      case 'WITHDRAW': {
        // The verbs app_queue writes when a caller's wait ends unanswered (queue_exec() and
        // try_calling()): ABANDON (hung up, also just before being connected), EXITWITHTIMEOUT,
        // EXITEMPTY (leaveempty), EXITWITHKEY (an exit digit), and WITHDRAW (the AMI action
        // QueueWithdrawCaller, added in 2022, Asterisk 20), each with record_abandoned(). Their wait
        // is the caller's whole time in the queue.
        const waitSec = optional(r.verb === 'EXITWITHKEY' ? 3 : 2, 'queue wait (s)');
        const leg = ensureLeg(t - (waitSec ?? 0) * 1000);
        // Left the queue unanswered. (After an answer it can only mean the call ended: close it.)
        emit(leg, t, '', leg.agentId !== undefined ? { type: 'call.ended' } : { type: 'call.abandoned' });
        this.closeLeg(track);
        break;
      }
    }
    return { kind: 'events', events: out as unknown as FloorEventInput[] };
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

  /** A COMPLETE* or transfer record on a call whose CONNECT we did not see: rebuild the answer from wait and talk. */
  private ensureConnected(
    out: EventBody[],
    base: string,
    ensureLeg: (enteredAtMs: number) => Leg,
    emit: (leg: Leg, atMs: number, role: string, body: EventBody) => void,
    t: number,
    waitSec: number,
    talkSec: number,
    agentId: string | undefined,
  ): Leg {
    const leg = ensureLeg(t - (talkSec + waitSec) * 1000);
    if (leg.agentId === undefined && agentId !== undefined) {
      this.sighting(out, base, agentId, leg.queueId, Math.max(t - talkSec * 1000, leg.lastAtMs));
      emit(leg, t - talkSec * 1000, 'answer', { type: 'call.answered', agentId });
      leg.agentId = agentId;
    }
    return leg;
  }

  private tallyTalk(queueId: string, agentId: string | undefined, talkSec: number): void {
    const add = (m: Map<string, TalkTally>, k: string) => {
      const x = m.get(k) ?? { sumSec: 0, count: 0 };
      x.sumSec += talkSec;
      x.count++;
      m.set(k, x);
    };
    add(this.talkByQueue, queueId);
    if (agentId !== undefined) add(this.talkByAgent, agentId);
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
        state = 'available';
        break;
      case 'REMOVEMEMBER':
        if (queueId !== undefined) a.queues = a.queues.filter((q) => q !== queueId);
        body.queues = [...a.queues];
        // Still a member elsewhere: still signed in.
        state = a.queues.length === 0 ? 'offline' : (a.presence ?? 'available');
        break;
      case 'PAUSE':
      case 'PAUSEALL': {
        state = 'away';
        const reason = r.data[0]?.replace(CONTROL, '').trim().slice(0, 200);
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
      const at = Math.max(this.lastRecordAtMs ?? r.atMs, leg.lastAtMs);
      out.push({ type: 'call.lost', id: this.idBase(r, leg.callId), at, callId: leg.callId, reason: 'Asterisk restarted (QUEUESTART) while the call was open' });
      this.closeLeg(track);
    }
    if (out.length === 0) return { kind: 'skipped', reason: 'informational verb QUEUESTART' };
    return { kind: 'events', events: out as unknown as FloorEventInput[] };
  }
}
