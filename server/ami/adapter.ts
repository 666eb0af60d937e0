/**
 * The AMI adapter: turns Asterisk Manager Interface events into Floorwatch
 * feed events. Stateful (it follows each queue call and its channels), with
 * no I/O and no clock of its own: the client hands it each message with the
 * time it arrived.
 *
 * What AMI says that queue_log does not:
 * - rings live: `AgentCalled` when a member's phone starts ringing, so the
 *   floor sees the ring (and the ring-limit warning) while it happens;
 * - agent hold: `Hold`/`Unhold` on the channel that asked for it, or
 *   `MusicOnHoldStart`/`Stop` on the channel that hears the music. Either leg
 *   (caller or agent, or a phone behind a Local channel, found by Linkedid)
 *   maps back to its call. AMI does not say whether the caller was asked
 *   first, so holds carry no `askedPermission`: unknown, not "no", and
 *   `hold-permission` never fires on this source while `hold-long` and
 *   `hold-repeat` do.
 *
 * Identity. A call's id is the Uniqueid of the caller's channel (what
 * queue_log calls the callid, so both sources name a call alike); when the
 * same channel comes back into a queue after its call was finished (a
 * transfer back into a queue), that is a new leg `<uniqueid>#<n>`, offered
 * again, as in the queue_log adapter. Agent channels (`DestUniqueid` of
 * AgentCalled/AgentConnect) and the caller's Linkedid point at the call too.
 * Agent ids are the member name (Asterisk sets it to the interface when
 * queues.conf names none), normalised like queue_log's agent field.
 *
 * Time and ids. With `timestampevents = yes` in manager.conf every event
 * carries `Timestamp: <epoch s>.<µs>`, used as the event's time and in its id
 * (`ami:<call or agent>:<Event>:<Timestamp>[:<member>][:<role>]`): the same
 * AMI event always yields the same ids, so a batch submitted again, or the
 * same event seen by two Floorwatch nodes, is stored once. Without it the
 * arrival time is used, and ids are unique per process.
 */
import type { AgentPresence, FloorEventInput } from '../../shared/events.ts';
import { FINISHED_CALLS_KEPT, normalizeAgent } from '../queuelog/adapter.ts';
import { hashText } from '../queuelog/parse.ts';
import type { AmiMessage } from './parse.ts';

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/g;
/** Names longer than this in an id are replaced by a hash: event ids must stay within 128 characters. */
const MAX_NAME = 60;
/** Earliest and latest `Timestamp` taken as a clock (2000..2100); anything else falls back to arrival time. */
const MIN_TS_SEC = 946_684_800;
const MAX_TS_SEC = 4_102_444_800;
/** Stamped events remembered to recognise a repeat: minutes of a busy floor, a few MB at most. */
const RECENT_KEPT = 20_000;

import { MemberRoster } from '../members.ts';

export type AmiFeedResult = { kind: 'events'; events: FloorEventInput[] } | { kind: 'skipped'; reason: string };

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
type CallEventInput = Extract<FloorEventInput, { callId: string }>;
/** A call event before the adapter stamps its id, time and call id. */
type CallBody = DistributiveOmit<CallEventInput, 'id' | 'at' | 'callId'>;

type LegStatus = 'waiting' | 'ringing' | 'connected';

interface Leg {
  /** The engine's call id: the caller's Uniqueid, or `<uniqueid>#<n>` from the second leg on. */
  callId: string;
  queueId: string;
  status: LegStatus;
  /** Member whose phone rings now (the first one, when a strategy rings several at once). */
  ringingAgent?: string;
  /** Member the caller is connected to. */
  agentId?: string;
  onHold: boolean;
  /** Agent channel unique ids of this leg, forgotten when it closes. */
  agentChannels: string[];
  /** Time of the leg's latest event: the next one is never earlier, so a call's events stay in order. */
  lastAtMs: number;
}

interface CallTrack {
  /** Uniqueid of the caller's channel. */
  uid: string;
  linkedid?: string;
  legs: number;
  open?: Leg;
  /** The caller's channel hung up: it can never come back. */
  hungUp: boolean;
}

export interface AmiAdapterOptions {
  /** Finished calls remembered (to number legs, to recognise late events); open calls are always kept. */
  finishedCallsKept?: number;
}

export interface AmiAdapterStats {
  messages: number;
  mapped: number;
  skipped: number;
  events: number;
}

/** Call-side events: `Uniqueid` is the caller's channel. */
const CALLER_EVENTS = new Set(['QueueCallerJoin', 'AgentCalled', 'AgentRingNoAnswer', 'AgentConnect', 'AgentComplete', 'QueueCallerAbandon', 'QueueCallerLeave', 'QueueEntry']);
const MEMBER_EVENTS = new Set(['QueueMemberStatus', 'QueueMemberPause', 'QueueMemberAdded', 'QueueMemberRemoved', 'QueueMember']);
const HOLD_ON = new Set(['Hold', 'MusicOnHoldStart']);
const HOLD_OFF = new Set(['Unhold', 'MusicOnHoldStop']);
/** Device states that mean the member's phone cannot take a call (AST_DEVICE_INVALID, AST_DEVICE_UNAVAILABLE). */
const DEVICE_GONE = new Set(['4', '5']);

function clean(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  const s = v.replace(CONTROL, '').trim();
  return s === '' || s === '<unknown>' || s.toUpperCase() === 'NONE' ? undefined : s;
}

function idPart(s: string): string {
  return s.length > MAX_NAME ? `${s.slice(0, 40)}~${hashText(s)}` : s;
}

function yes(v: string | undefined): boolean {
  return v !== undefined && ['1', 'true', 'yes', 'on'].includes(v.trim().toLowerCase());
}

/** A whole number of seconds or milliseconds from a field, or undefined. */
function count(v: string | undefined): number | undefined {
  if (v === undefined || !/^\s*\d+\s*$/.test(v)) return undefined;
  return Number(v);
}

/** A message's `Timestamp` (`1795510800.123456`) in epoch ms, when it is a usable clock. */
export function amiTimestampMs(msg: AmiMessage): number | undefined {
  const ts = msg.get('Timestamp')?.trim();
  if (ts === undefined || !/^\d+(\.\d{1,9})?$/.test(ts)) return undefined;
  const [sec, frac = ''] = ts.split('.');
  const s = Number(sec);
  if (s < MIN_TS_SEC || s > MAX_TS_SEC) return undefined;
  return s * 1000 + Number(frac.padEnd(3, '0').slice(0, 3));
}

export class AmiAdapter {
  private readonly calls = new Map<string, CallTrack>();
  /** Channel Uniqueid (caller or agent leg) → the caller's Uniqueid. */
  private readonly byChannel = new Map<string, string>();
  /** Linkedid → the caller's Uniqueid: finds the call of a channel we were never told of (a phone behind a Local channel). */
  private readonly byLinkedid = new Map<string, string>();
  private readonly members = new MemberRoster();
  private finished = 0;
  private seq = 0;
  /** Stamped events seen lately (insertion-ordered, bounded): the same event delivered again is skipped. */
  private readonly recent = new Set<string>();
  private readonly keep: number;
  readonly stats: AmiAdapterStats = { messages: 0, mapped: 0, skipped: 0, events: 0 };
  /** Why messages were skipped, counted per reason (a fixed set of texts). */
  readonly skippedBy = new Map<string, number>();

  constructor(opts: AmiAdapterOptions = {}) {
    this.keep = opts.finishedCallsKept ?? FINISHED_CALLS_KEPT;
  }

  /** Calls with an open leg: waiting, ringing or connected. */
  openCalls(): { uid: string; callId: string; queueId: string; status: LegStatus; agentId?: string }[] {
    const out: { uid: string; callId: string; queueId: string; status: LegStatus; agentId?: string }[] = [];
    for (const t of this.calls.values()) {
      const l = t.open;
      if (l) out.push({ uid: t.uid, callId: l.callId, queueId: l.queueId, status: l.status, agentId: l.agentId });
    }
    return out;
  }

  /**
   * After a Floorwatch restart: takes over the calls the engine still has open
   * (from the log) that came from AMI, so their later events continue them
   * instead of rebuilding them, and the reconcile after the login can close
   * those that ended while nobody listened. Calls of other producers (ids
   * that are not Asterisk unique ids) are left alone.
   */
  resume(calls: Iterable<{ callId: string; queueId?: string; status: string; agentId?: string }>, nowMs: number): number {
    let n = 0;
    for (const c of calls) {
      const m = /^(\d+\.\d+)(?:#(\d+))?$/.exec(c.callId);
      if (!m || c.queueId === undefined || this.calls.get(m[1])?.open) continue;
      const status: LegStatus | undefined = c.status === 'queued' ? 'waiting' : c.status === 'ringing' ? 'ringing' : c.status === 'talking' || c.status === 'hold' ? 'connected' : undefined;
      if (status === undefined) continue;
      const track: CallTrack = { uid: m[1], legs: m[2] === undefined ? 1 : Number(m[2]), hungUp: false };
      track.open = { callId: c.callId, queueId: c.queueId, status, onHold: c.status === 'hold', agentChannels: [], lastAtMs: nowMs };
      if (status === 'ringing') track.open.ringingAgent = c.agentId;
      if (status === 'connected') track.open.agentId = c.agentId;
      this.calls.set(track.uid, track);
      this.byChannel.set(track.uid, track.uid);
      n++;
    }
    return n;
  }

  /** Calls and channels remembered, for tests of the memory bound. */
  get sizes(): { calls: number; channels: number; linkedids: number; agents: number } {
    return { calls: this.calls.size, channels: this.byChannel.size, linkedids: this.byLinkedid.size, agents: this.members.size };
  }

  /**
   * Maps one AMI event to feed events. `nowMs` is the arrival time, used when
   * the event has no `Timestamp`. Never throws on odd input: what it cannot
   * use is reported as skipped, with the reason.
   */
  feed(msg: AmiMessage, nowMs: number): AmiFeedResult {
    this.stats.messages++;
    const r = this.map(msg, nowMs);
    if (r.kind === 'skipped' || r.events.length === 0) {
      const reason = r.kind === 'skipped' ? r.reason : 'nothing to report';
      this.stats.skipped++;
      this.skippedBy.set(reason, (this.skippedBy.get(reason) ?? 0) + 1);
      return { kind: 'skipped', reason };
    }
    this.stats.mapped++;
    this.stats.events += r.events.length;
    return r;
  }

  /**
   * After a reconnect: calls that were open before the `CoreShowChannels`
   * snapshot was asked for and whose caller channel is no longer among the
   * live channels ended while we were away. Close them (ended if connected,
   * abandoned otherwise) so they do not tick on for ever.
   */
  reconcile(openBefore: ReadonlySet<string>, liveChannels: ReadonlySet<string>, nowMs: number): FloorEventInput[] {
    const out: FloorEventInput[] = [];
    for (const uid of openBefore) {
      if (liveChannels.has(uid)) continue;
      const track = this.calls.get(uid);
      const leg = track?.open;
      if (!track || !leg) continue;
      const at = Math.max(nowMs, leg.lastAtMs);
      const base = `ami:${idPart(leg.callId)}:gone:${at}`;
      if (leg.status === 'connected') out.push({ type: 'call.ended', id: base, at, callId: leg.callId });
      else out.push({ type: 'call.abandoned', id: base, at, callId: leg.callId });
      track.hungUp = true;
      this.closeLeg(track);
    }
    this.stats.events += out.length;
    return out;
  }

  // ------------------------------------------------------------ dispatch

  private map(msg: AmiMessage, nowMs: number): AmiFeedResult {
    const name = msg.event;
    if (name === undefined) return { kind: 'skipped', reason: 'not an event' };
    const tsMs = amiTimestampMs(msg);
    const t = tsMs ?? nowMs;
    // The same event always yields the same id when Asterisk stamps it; else the arrival time and a counter.
    const stamp = tsMs !== undefined ? (msg.get('Timestamp') as string).trim() : `${nowMs}-${++this.seq}`;
    if (tsMs !== undefined) {
      // Event, time to the µs, channel, member channel, queue and member name tell one AMI event from another.
      const key = [name, stamp, msg.get('Uniqueid'), msg.get('DestUniqueid'), msg.get('Queue'), msg.get('MemberName') ?? msg.get('Interface')].join('\u0000');
      if (this.recent.has(key)) return { kind: 'skipped', reason: 'the same event again' };
      this.recent.add(key);
      if (this.recent.size > RECENT_KEPT) this.recent.delete(this.recent.values().next().value as string);
    }
    if (CALLER_EVENTS.has(name)) return this.callerEvent(name, msg, t, stamp);
    if (MEMBER_EVENTS.has(name)) return this.memberEvent(name, msg, t, stamp);
    if (HOLD_ON.has(name) || HOLD_OFF.has(name)) return this.holdEvent(name, msg, t, stamp);
    if (name === 'BlindTransfer' || name === 'AttendedTransfer') return this.transferEvent(name, msg, t, stamp);
    if (name === 'Hangup') return this.hangup(msg, t, stamp);
    return { kind: 'skipped', reason: 'event not used' };
  }

  // ------------------------------------------------------------ calls

  private callerEvent(name: string, msg: AmiMessage, t: number, stamp: string): AmiFeedResult {
    const uid = clean(msg.get('Uniqueid'));
    if (uid === undefined) return { kind: 'skipped', reason: `${name} without a Uniqueid` };
    const queueId = clean(msg.get('Queue'));
    if (queueId === undefined) return { kind: 'skipped', reason: `${name} without a Queue` };
    const member = clean(msg.get('MemberName')) ?? clean(msg.get('Interface'));
    const agentId = member === undefined ? undefined : normalizeAgent(member);
    const out: FloorEventInput[] = [];
    let track = this.calls.get(uid);
    if (track?.hungUp && !track.open) return { kind: 'skipped', reason: `${name} after the caller hung up` };
    const base = (leg: Leg) => `ami:${idPart(leg.callId)}:${name}:${stamp}${agentId !== undefined ? `:${hashText(agentId).slice(0, 8)}` : ''}`;
    const emit = (leg: Leg, atMs: number, role: string, body: CallBody) => {
      const at = Math.max(atMs, leg.lastAtMs);
      leg.lastAtMs = at;
      out.push({ ...body, id: role ? `${base(leg)}:${role}` : base(leg), at, callId: leg.callId } as FloorEventInput);
    };
    const newTrack = (): CallTrack => {
      const tr: CallTrack = { uid, legs: 0, hungUp: false };
      this.calls.set(uid, tr);
      this.byChannel.set(uid, uid);
      const linkedid = clean(msg.get('Linkedid'));
      if (linkedid !== undefined) {
        tr.linkedid = linkedid;
        this.byLinkedid.set(linkedid, uid);
      }
      return tr;
    };
    /** The open leg, or one rebuilt from the event's own durations when the call began before we listened. */
    const legOrRebuild = (enteredAtMs: number): Leg => {
      track ??= newTrack();
      if (track.open) return track.open;
      const leg = this.newLeg(track, queueId, enteredAtMs);
      emit(leg, enteredAtMs, 'enter', { type: 'call.queued', queueId });
      return leg;
    };
    const needAgent = (): string | undefined => agentId;

    switch (name) {
      case 'QueueCallerJoin':
      case 'QueueEntry': {
        if (name === 'QueueEntry') {
          // A caller already waiting when we (re)connected, from the QueueStatus list.
          if (track?.open) return { kind: 'skipped', reason: 'QueueEntry for a call we follow' };
          const waitSec = count(msg.get('Wait')) ?? 0;
          t -= waitSec * 1000;
        }
        track ??= newTrack();
        const caller = clean(msg.get('CallerIDNum'))?.slice(0, 200);
        const body: CallBody = caller !== undefined ? { type: 'call.queued', queueId, caller } : { type: 'call.queued', queueId };
        const open = track.open;
        if (open) {
          // Entered a queue while still in the floor's view (moved on by the dialplan): the engine moves it.
          this.releaseAgentChannels(open);
          Object.assign(open, { queueId, status: 'waiting', ringingAgent: undefined, agentId: undefined, onHold: false });
          emit(open, t, '', body);
        } else {
          emit(this.newLeg(track, queueId, t), t, '', body);
        }
        break;
      }
      case 'AgentCalled': {
        const agent = needAgent();
        if (agent === undefined) return { kind: 'skipped', reason: 'AgentCalled without a member' };
        const leg = legOrRebuild(t);
        if (leg.status === 'connected') return { kind: 'skipped', reason: 'AgentCalled while connected' };
        if (leg.status === 'ringing') return { kind: 'skipped', reason: leg.ringingAgent === agent ? 'AgentCalled repeated' : 'AgentCalled while another member rings (ring strategy rings several)' };
        this.sighting(out, base(leg), agent, leg.queueId, Math.max(t, leg.lastAtMs));
        emit(leg, t, '', { type: 'call.ringing', agentId: agent });
        leg.status = 'ringing';
        leg.ringingAgent = agent;
        this.noteAgentChannel(track as CallTrack, leg, msg);
        break;
      }
      case 'AgentRingNoAnswer': {
        const agent = needAgent();
        if (agent === undefined) return { kind: 'skipped', reason: 'AgentRingNoAnswer without a member' };
        const ringMs = count(msg.get('RingTime')) ?? 0; // milliseconds
        const leg = legOrRebuild(t - ringMs);
        if (leg.status === 'connected') return { kind: 'skipped', reason: 'AgentRingNoAnswer after the call was answered' };
        if (leg.status === 'ringing' && leg.ringingAgent !== agent) return { kind: 'skipped', reason: 'AgentRingNoAnswer of a member rung beside another' };
        if (leg.status !== 'ringing') {
          // We did not see this ring start: it began RingTime ms before its end.
          this.sighting(out, base(leg), agent, leg.queueId, Math.max(t - ringMs, leg.lastAtMs));
          emit(leg, t - ringMs, 'ring', { type: 'call.ringing', agentId: agent });
        }
        // The ring is over: the call waits in its queue again (the engine counts a ring-no-answer).
        emit(leg, t, '', { type: 'call.queued', queueId: leg.queueId });
        leg.status = 'waiting';
        leg.ringingAgent = undefined;
        this.releaseAgentChannels(leg);
        break;
      }
      case 'AgentConnect': {
        const agent = needAgent();
        if (agent === undefined) return { kind: 'skipped', reason: 'AgentConnect without a member' };
        const waitSec = count(msg.get('HoldTime')) ?? 0; // seconds in the queue, ringing included
        const ringSec = count(msg.get('RingTime')); // seconds
        const leg = legOrRebuild(t - waitSec * 1000);
        if (leg.status === 'connected' && leg.agentId === agent) return { kind: 'skipped', reason: 'AgentConnect repeated' };
        if (!(leg.status === 'ringing' && leg.ringingAgent === agent)) {
          const ringAt = t - (ringSec ?? 0) * 1000;
          this.sighting(out, base(leg), agent, leg.queueId, Math.max(ringAt, leg.lastAtMs));
          if (ringSec !== undefined && leg.status !== 'connected') emit(leg, ringAt, 'ring', { type: 'call.ringing', agentId: agent });
        }
        emit(leg, t, '', { type: 'call.answered', agentId: agent });
        leg.status = 'connected';
        leg.agentId = agent;
        leg.ringingAgent = undefined;
        this.noteAgentChannel(track as CallTrack, leg, msg);
        break;
      }
      case 'AgentComplete': {
        const waitSec = count(msg.get('HoldTime')) ?? 0;
        const talkSec = count(msg.get('TalkTime')) ?? 0;
        if (!track?.open && agentId === undefined) return { kind: 'skipped', reason: 'AgentComplete without a member for a call we never saw' };
        if (track && !track.open) return { kind: 'skipped', reason: 'AgentComplete after the call was finished' };
        const leg = legOrRebuild(t - (waitSec + talkSec) * 1000);
        if (leg.status !== 'connected') {
          // We missed the answer (we connected mid-call): it was TalkTime seconds ago.
          const agent = agentId ?? leg.ringingAgent;
          if (agent === undefined) return { kind: 'skipped', reason: 'AgentComplete without a member' };
          this.sighting(out, base(leg), agent, leg.queueId, Math.max(t - talkSec * 1000, leg.lastAtMs));
          emit(leg, t - talkSec * 1000, 'answer', { type: 'call.answered', agentId: agent });
          leg.status = 'connected';
          leg.agentId = agent;
        }
        const reason = (msg.get('Reason') ?? '').trim().toLowerCase();
        if (reason === 'transfer') emit(leg, t, '', { type: 'call.transferred' });
        else if (reason === 'caller' || reason === 'agent') emit(leg, t, '', { type: 'call.ended', by: reason });
        else emit(leg, t, '', { type: 'call.ended' });
        this.closeLeg(track as CallTrack);
        break;
      }
      case 'QueueCallerAbandon': {
        const waitSec = count(msg.get('HoldTime')) ?? 0;
        if (track && !track.open) return { kind: 'skipped', reason: 'QueueCallerAbandon after the call was finished' };
        const leg = legOrRebuild(t - waitSec * 1000);
        if (leg.status === 'connected') return { kind: 'skipped', reason: 'QueueCallerAbandon after the call was answered' };
        emit(leg, t, '', { type: 'call.abandoned' });
        this.closeLeg(track as CallTrack);
        break;
      }
      case 'QueueCallerLeave': {
        const leg = track?.open;
        if (!leg) return { kind: 'skipped', reason: 'QueueCallerLeave of a call not waiting' };
        // Leaving while a member rings is the answer on its way (AgentConnect follows), or a
        // cancelled ring (the Hangup follows). Leaving while nobody rings is leaving unanswered:
        // timeout, exit key, or the queue emptied.
        if (leg.status !== 'waiting') return { kind: 'skipped', reason: `QueueCallerLeave while ${leg.status}` };
        emit(leg, t, '', { type: 'call.abandoned' });
        this.closeLeg(track as CallTrack);
        break;
      }
    }
    return { kind: 'events', events: out };
  }

  /** Finds the call a channel belongs to: by its own Uniqueid (caller or agent leg), else by Linkedid. */
  private callOfChannel(uids: (string | undefined)[], linkedids: (string | undefined)[]): CallTrack | undefined {
    for (const u of uids) {
      const c = u === undefined ? undefined : this.byChannel.get(u);
      if (c !== undefined) return this.calls.get(c);
    }
    for (const l of linkedids) {
      const c = l === undefined ? undefined : this.byLinkedid.get(l);
      if (c !== undefined) return this.calls.get(c);
    }
    return undefined;
  }

  private holdEvent(name: string, msg: AmiMessage, t: number, stamp: string): AmiFeedResult {
    const track = this.callOfChannel([clean(msg.get('Uniqueid'))], [clean(msg.get('Linkedid'))]);
    const leg = track?.open;
    if (!leg) return { kind: 'skipped', reason: 'hold on a channel of no queue call' };
    // Music on hold also plays to callers waiting in a queue: only a connected call can be held.
    if (leg.status !== 'connected') return { kind: 'skipped', reason: 'hold on a call not connected' };
    const on = HOLD_ON.has(name);
    // Hold on the agent's phone and music on the caller's channel report the same hold: count it once.
    if (leg.onHold === on) return { kind: 'skipped', reason: on ? 'hold while already on hold' : 'unhold while not on hold' };
    leg.onHold = on;
    const at = Math.max(t, leg.lastAtMs);
    leg.lastAtMs = at;
    const id = `ami:${idPart(leg.callId)}:${name}:${stamp}`;
    // No askedPermission: AMI cannot know whether the caller was asked, and unknown is not "no".
    const event: FloorEventInput = on ? { type: 'call.hold', id, at, callId: leg.callId } : { type: 'call.unhold', id, at, callId: leg.callId };
    return { kind: 'events', events: [event] };
  }

  private transferEvent(name: 'BlindTransfer' | 'AttendedTransfer', msg: AmiMessage, t: number, stamp: string): AmiFeedResult {
    const result = (msg.get('Result') ?? '').trim();
    if (result !== '' && result.toLowerCase() !== 'success') return { kind: 'skipped', reason: `${name} that did not succeed` };
    const uids =
      name === 'BlindTransfer'
        ? ['TransfereeUniqueid', 'TransfererUniqueid']
        : ['TransfereeUniqueid', 'OrigTransfererUniqueid', 'SecondTransfererUniqueid', 'TransferTargetUniqueid'];
    const linkedids = name === 'BlindTransfer' ? ['TransfereeLinkedid', 'TransfererLinkedid'] : ['TransfereeLinkedid', 'OrigTransfererLinkedid'];
    const track = this.callOfChannel(
      uids.map((k) => clean(msg.get(k))),
      linkedids.map((k) => clean(msg.get(k))),
    );
    const leg = track?.open;
    if (!track || !leg) return { kind: 'skipped', reason: `${name} of no queue call` };
    if (leg.status !== 'connected') return { kind: 'skipped', reason: `${name} of a call not connected` };
    const at = Math.max(t, leg.lastAtMs);
    // The call leaves the floor's view (the target is an extension, not a member we follow); if it
    // comes back into a queue, that is a new leg, offered again.
    const event: FloorEventInput = { type: 'call.transferred', id: `ami:${idPart(leg.callId)}:${name}:${stamp}`, at, callId: leg.callId, mode: name === 'BlindTransfer' ? 'blind' : 'attended' };
    this.closeLeg(track);
    return { kind: 'events', events: [event] };
  }

  private hangup(msg: AmiMessage, t: number, stamp: string): AmiFeedResult {
    const uid = clean(msg.get('Uniqueid'));
    if (uid === undefined) return { kind: 'skipped', reason: 'Hangup without a Uniqueid' };
    const owner = this.byChannel.get(uid);
    if (owner === undefined) return { kind: 'skipped', reason: 'Hangup of a channel of no queue call' };
    this.byChannel.delete(uid);
    const track = this.calls.get(owner);
    if (!track || owner !== uid) return { kind: 'skipped', reason: 'Hangup of an agent channel' }; // AgentComplete tells how the call ended
    track.hungUp = true;
    if (track.linkedid !== undefined && this.byLinkedid.get(track.linkedid) === uid) this.byLinkedid.delete(track.linkedid);
    const leg = track.open;
    if (!leg) return { kind: 'skipped', reason: 'Hangup after the call was finished' };
    const at = Math.max(t, leg.lastAtMs);
    const id = `ami:${idPart(leg.callId)}:Hangup:${stamp}`;
    const event: FloorEventInput = leg.status === 'connected' ? { type: 'call.ended', id, at, callId: leg.callId } : { type: 'call.abandoned', id, at, callId: leg.callId };
    this.closeLeg(track);
    return { kind: 'events', events: [event] };
  }

  private newLeg(track: CallTrack, queueId: string, atMs: number): Leg {
    if (track.legs > 0) this.finished--; // a finished call comes back
    track.legs++;
    const leg: Leg = { callId: track.legs === 1 ? track.uid : `${track.uid}#${track.legs}`, queueId, status: 'waiting', onHold: false, agentChannels: [], lastAtMs: atMs };
    track.open = leg;
    return leg;
  }

  private noteAgentChannel(track: CallTrack, leg: Leg, msg: AmiMessage): void {
    const dest = clean(msg.get('DestUniqueid'));
    if (dest !== undefined && dest !== track.uid && !leg.agentChannels.includes(dest)) {
      this.byChannel.set(dest, track.uid);
      leg.agentChannels.push(dest);
    }
  }

  private releaseAgentChannels(leg: Leg): void {
    for (const c of leg.agentChannels) this.byChannel.delete(c);
    leg.agentChannels = [];
  }

  private closeLeg(track: CallTrack): void {
    const leg = track.open;
    if (leg) this.releaseAgentChannels(leg);
    track.open = undefined;
    this.finished++;
    if (this.finished > Math.max(1, Math.floor(this.keep * 1.1))) this.forgetOldest();
  }

  /** Forgets the oldest finished calls (the Map keeps first-seen order) down to the bound. */
  private forgetOldest(): void {
    for (const [uid, t] of this.calls) {
      if (this.finished <= this.keep) break;
      if (t.open) continue;
      this.calls.delete(uid);
      if (this.byChannel.get(uid) === uid) this.byChannel.delete(uid);
      if (t.linkedid !== undefined && this.byLinkedid.get(t.linkedid) === uid) this.byLinkedid.delete(t.linkedid);
      this.finished--;
    }
  }

  // ------------------------------------------------------------ agents


  /**
   * An agent seen on a call in a queue we did not know they serve (before the
   * first member event, or a member of a queue we joined late): a member of
   * it, and signed in if we knew nothing else of them.
   */
  private sighting(out: FloorEventInput[], base: string, agentId: string, queueId: string, atMs: number): void {
    const e = this.members.sighting(`${base}:member`, agentId, queueId, atMs);
    if (e) out.push(e);
  }

  /**
   * QueueMemberStatus (every device state change), QueueMemberPause,
   * QueueMemberAdded/Removed and QueueMember (the QueueStatus list): an
   * `agent.state` only when presence, pause reason or queues change, so a
   * phone going in use and back does not flood the log.
   */
  private memberEvent(name: string, msg: AmiMessage, t: number, stamp: string): AmiFeedResult {
    // The QueueStatus list (QueueMember) says Name and Location where the member events say MemberName and Interface.
    const member = clean(msg.get('MemberName')) ?? clean(msg.get('Name')) ?? clean(msg.get('Interface')) ?? clean(msg.get('Location'));
    const agentId = member === undefined ? undefined : normalizeAgent(member);
    if (agentId === undefined) return { kind: 'skipped', reason: `${name} without a member` };
    const queueId = clean(msg.get('Queue'));
    const a = this.members.track(agentId);
    const queuesBefore = a.queues.join('\u0000');
    if (queueId !== undefined) {
      if (name === 'QueueMemberRemoved') a.queues = a.queues.filter((q) => q !== queueId);
      else if (!a.queues.includes(queueId)) a.queues.push(queueId);
    }
    let state: AgentPresence;
    let reason: string | undefined;
    if (name === 'QueueMemberRemoved') {
      state = a.queues.length === 0 ? 'offline' : (a.presence ?? 'available');
      reason = state === 'away' ? a.reason : undefined;
    } else if (DEVICE_GONE.has((msg.get('Status') ?? '').trim())) {
      state = 'offline';
    } else if (yes(msg.get('Paused'))) {
      state = 'away';
      // Asterisk 13+ says PausedReason; QueueMemberPause of older releases said Reason.
      reason = (clean(msg.get('PausedReason')) ?? clean(msg.get('Reason')))?.slice(0, 200);
    } else {
      state = 'available';
    }
    if (a.presence === state && a.reason === reason && a.queues.join('\u0000') === queuesBefore) return { kind: 'skipped', reason: `${name} with no change of presence` };
    a.presence = state;
    a.reason = reason;
    const id = `ami:${idPart(agentId)}:${name}:${stamp}${queueId !== undefined ? `:${hashText(queueId).slice(0, 8)}` : ''}`;
    const event: FloorEventInput = { type: 'agent.state', id, at: t, agentId, state, queues: [...a.queues], ...(reason !== undefined ? { reason } : {}) };
    return { kind: 'events', events: [event] };
  }
}
