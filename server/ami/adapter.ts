/**
 * The AMI adapter: turns Asterisk Manager Interface events into Floorwatch
 * feed events. Stateful (it follows each queue call and its channels), with
 * no I/O and no clock of its own: the client hands it each message with the
 * time it arrived.
 *
 * What AMI says that queue_log does not:
 * - rings live: `AgentCalled` when a member's phone starts ringing, so the
 *   floor sees the ring (and the ring-limit warning) while it happens. Each
 *   member rung has a ring of their own (`ringall` rings several at once):
 *   `AgentRingNoAnswer` ends that member's ring as `no-answer`; an answer,
 *   the caller's abandon or hangup, or a `DialEnd` with `CANCEL` ends the
 *   others' as `canceled`, sent explicitly as `call.ring-ended`;
 * - agent hold: `Hold`/`Unhold` on the channel that asked for it, or
 *   `MusicOnHoldStart`/`Stop` on the channel that hears the music. Either leg
 *   (caller or agent, or a phone behind a Local channel, found by Linkedid)
 *   maps back to its call. AMI does not say whether the caller was asked
 *   first, so holds carry no `askedPermission`: unknown, not "no", and
 *   `hold-permission` never fires on this source while `hold-long` and
 *   `hold-repeat` do;
 * - voice activity: `ChannelTalkingStart`/`Stop` on the caller's and the
 *   agent's channels, when the dialplan sets `TALK_DETECT(set)=` on them,
 *   become `call.talking` with the party (see `talkingEvent`).
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
 * Lost ends. Asterisk does not replay what happened while the link was down.
 * After a reconnect the client asks `QueueStatus` and `CoreShowChannels`: a
 * caller we saw waiting that the queue no longer lists, or a call whose
 * caller channel is gone, left while nobody listened, and how is unknown. It
 * is closed as `call.lost` at the best-known time, when the link was lost
 * (the last event seen before it), open rings cancelled first. A later event
 * of that call (`AgentComplete` with HoldTime and TalkTime, `AgentConnect`)
 * continues the same call id, so the engine corrects it.
 *
 * Time and ids. With `timestampevents = yes` in manager.conf every event
 * carries `Timestamp: <epoch s>.<µs>`, used as the event's time and in its id
 * (`ami:<call or agent>:<Event>:<Timestamp>[:<member>][:<role>]`): the same
 * AMI event always yields the same ids, so a batch submitted again, or the
 * same event seen by two Floorwatch nodes, is stored once. Without it the
 * arrival time is used, and ids are unique per process.
 */
import type { AgentPresence, FloorEventInput } from '../../shared/events.ts';
import { DEFAULT_ENGINE_LIMITS } from '../../shared/engine.ts';
import { FINISHED_CALLS_KEPT, normalizeAgent } from '../queuelog/adapter.ts';
import { hashText } from '../queuelog/parse.ts';
import type { AmiMessage } from './parse.ts';
import { normalizeAwayReason } from '../../shared/away.ts';

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/g;
/** Names longer than this in an id are replaced by a hash: event ids must stay within 128 characters. */
const MAX_NAME = 60;
/** Earliest and latest `Timestamp` taken as a clock (2000..2100); anything else falls back to arrival time. */
const MIN_TS_SEC = 946_684_800;
const MAX_TS_SEC = 4_102_444_800;
/** Stamped events remembered to recognise a repeat: minutes of a busy floor, a few MB at most. */
const RECENT_KEPT = 20_000;
/** Idle open legs are looked for at most once per minute of event time: a scan of the calls is cheap at that rate. */
const IDLE_SWEEP_MS = 60_000;

import { MemberRoster } from '../members.ts';

export type AmiFeedResult = { kind: 'events'; events: FloorEventInput[] } | { kind: 'skipped'; reason: string };

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
type CallEventInput = Extract<FloorEventInput, { callId: string }>;
/** A call event before the adapter stamps its id, time and call id. */
type CallBody = DistributiveOmit<CallEventInput, 'id' | 'at' | 'callId'>;

type LegStatus = 'waiting' | 'ringing' | 'connected';
/** A side of a call, as `call.talking` names it. */
type TalkParty = 'agent' | 'caller';

/** One member's phone ringing for a leg. */
interface Ring {
  startMs: number;
  /** The member's channel (`DestUniqueid`): finds the ring from a `DialEnd`. */
  channel?: string;
}

interface Leg {
  /** The engine's call id: the caller's Uniqueid, or `<uniqueid>#<n>` from the second leg on. */
  callId: string;
  queueId: string;
  /** `connected` once answered; else `ringing` while any ring is open, `waiting` when none is. */
  status: LegStatus;
  /** Members whose phones ring now, each with its own ring (several at once under ringall). */
  rings: Map<string, Ring>;
  /** Member the caller is connected to. */
  agentId?: string;
  onHold: boolean;
  /** Agent channel unique ids of this leg (the connected member's), forgotten when it closes. */
  agentChannels: string[];
  /**
   * Time of the leg's latest event: the next one is never earlier, so a call's events stay in
   * order (a ring not seen starting excepted, see {@link AmiAdapter.ringStart}).
   */
  lastAtMs: number;
  /** When the leg entered its queue: no ring of it is back-dated earlier. */
  enteredAtMs: number;
  /** End of each member's latest ring on this leg: their next ring starts no earlier. */
  ringEnds?: Map<string, number>;
  /** Times the leg was closed as lost (names each `call.lost`). */
  lostCount: number;
  /**
   * The leg's channels that talk now (by Uniqueid, else channel name): whose party each is and when its
   * current stretch began (its latest `ChannelTalkingStart`), until its stop.
   */
  talking?: Map<string, { party: TalkParty; sinceMs: number }>;
}

interface CallTrack {
  /** Uniqueid of the caller's channel. */
  uid: string;
  linkedid?: string;
  legs: number;
  open?: Leg;
  /** The leg a reconcile closed as lost: a later event of the call (an answer, its completion) continues it. */
  lost?: Leg;
  /** The caller's channel hung up: it can never come back. */
  hungUp: boolean;
}

export interface AmiAdapterOptions {
  /** Finished calls remembered (to number legs, to recognise late events); open calls are kept while events of theirs come. */
  finishedCallsKept?: number;
  /** An open call with no event for this long is closed here and forgotten in time, s (default: the engine's connected stale-call limit, 12 h). */
  idleLimitSec?: number;
}

export interface AmiAdapterStats {
  messages: number;
  mapped: number;
  skipped: number;
  events: number;
}

/** Call-side events: `Uniqueid` is the caller's channel. */
const CALLER_EVENTS = new Set(['QueueCallerJoin', 'AgentCalled', 'AgentRingNoAnswer', 'AgentConnect', 'AgentComplete', 'QueueCallerAbandon', 'QueueCallerLeave', 'QueueEntry']);
/** Events that, for a call closed as lost, show what really became of it: they continue the lost leg. */
const CORRECTIONS = new Set(['AgentCalled', 'AgentRingNoAnswer', 'AgentConnect', 'AgentComplete', 'QueueCallerAbandon']);
const MEMBER_EVENTS = new Set(['QueueMemberStatus', 'QueueMemberPause', 'QueueMemberAdded', 'QueueMemberRemoved', 'QueueMember']);
const HOLD_ON = new Set(['Hold', 'MusicOnHoldStart']);
const HOLD_OFF = new Set(['Unhold', 'MusicOnHoldStop']);
/** Talk detection (TALK_DETECT on a channel): speech starts and stops. */
const TALKING = new Set(['ChannelTalkingStart', 'ChannelTalkingStop']);
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

/** Member interfaces remembered (their agent): far more than a floor has phones. */
const INTERFACES_KEPT = 10_000;
/** Outbound dials waiting for their DialEnd: a DialEnd lost with the link leaves one behind, so bounded. */
const OUTBOUND_DIALS_KEPT = 2_000;
/** Fewer digits than this is an internal extension, not an outside number to call back. */
export const OUTSIDE_MIN_DIGITS = 7;
/** DIALSTATUS values of a dial that reached nobody (Dial() documentation; CANCEL: the agent hung up first). */
const UNANSWERED_DIAL = new Set(['BUSY', 'NOANSWER', 'CONGESTION', 'CHANUNAVAIL', 'CANCEL']);

/** The number of a dial target (`+3725550123`, `PJSIP/+3725550123@trunk` → `+3725550123`) when it is an outside number. */
function outsideNumber(v: string | undefined): string | undefined {
  const c = clean(v);
  if (c === undefined) return undefined;
  const target = c.split('/').pop()?.split('@')[0]?.trim() ?? '';
  if (!/^\+?[\d\s().-]+$/.test(target) || target.replace(/\D/g, '').length < OUTSIDE_MIN_DIGITS) return undefined;
  return target.slice(0, 128);
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
  /** Member interface (`PJSIP/1001`) → agent id (the member name), from the events that name both: finds the agent of a phone's channel. */
  private readonly agentByInterface = new Map<string, string>();
  /** Outbound dials from agents' phones seen starting (DialBegin), by the dialled channel's DestUniqueid, until their DialEnd (bounded). */
  private readonly outboundDials = new Map<string, { agentId: string; to: string; callId: string }>();
  private finished = 0;
  private seq = 0;
  /** Time of the latest event fed (its Timestamp, else its arrival): where a lost link's story stops. */
  private lastSeenAtMs: number | undefined;
  /** Stamped events seen lately (insertion-ordered, bounded): the same event delivered again is skipped. */
  private readonly recent = new Set<string>();
  private readonly keep: number;
  readonly stats: AmiAdapterStats = { messages: 0, mapped: 0, skipped: 0, events: 0 };
  /** Why messages were skipped, counted per reason (a fixed set of texts). */
  readonly skippedBy = new Map<string, number>();

  /** An open leg with no event for this long is closed here (see {@link expireIdle}), ms. */
  private readonly idleLimitMs: number;
  /** Event time up to which idle legs were last looked for. */
  private expiredUpToMs = Number.NEGATIVE_INFINITY;
  /** Open legs closed as idle so far. */
  private expired = 0;
  /** Whether any event came with a `Timestamp` (then unstamped ones, on the arrival clock, do not judge idleness). */
  private stamped = false;

  constructor(opts: AmiAdapterOptions = {}) {
    this.keep = opts.finishedCallsKept ?? FINISHED_CALLS_KEPT;
    this.idleLimitMs = (opts.idleLimitSec ?? DEFAULT_ENGINE_LIMITS.staleConnectedSec) * 1000;
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
  resume(
    calls: Iterable<{ callId: string; queueId?: string; status: string; agentId?: string; queuedAtMs?: number; rings?: readonly { agentId: string; startMs?: number }[]; timeline?: readonly { atMs: number }[] }>,
    nowMs: number,
  ): number {
    let n = 0;
    for (const c of calls) {
      const m = /^(\d+\.\d+)(?:#(\d+))?$/.exec(c.callId);
      if (!m || c.queueId === undefined || this.calls.get(m[1])?.open) continue;
      const status: LegStatus | undefined = c.status === 'queued' ? 'waiting' : c.status === 'ringing' ? 'ringing' : c.status === 'talking' || c.status === 'hold' ? 'connected' : undefined;
      if (status === undefined) continue;
      const track: CallTrack = { uid: m[1], legs: m[2] === undefined ? 1 : Number(m[2]), hungUp: false };
      // The call's own latest event keeps its later events in order; without a timeline, now.
      const lastAtMs = c.timeline?.length ? c.timeline.reduce((m, x) => Math.max(m, x.atMs), -Infinity) : nowMs;
      const leg: Leg = { callId: c.callId, queueId: c.queueId, status, rings: new Map(), onHold: c.status === 'hold', agentChannels: [], lastAtMs, enteredAtMs: c.queuedAtMs ?? lastAtMs, lostCount: 0 };
      track.open = leg;
      if (status === 'ringing') {
        for (const r of c.rings ?? (c.agentId !== undefined ? [{ agentId: c.agentId }] : [])) leg.rings.set(r.agentId, { startMs: r.startMs ?? lastAtMs });
        if (leg.rings.size === 0) leg.status = 'waiting';
      }
      if (status === 'connected') leg.agentId = c.agentId;
      this.calls.set(track.uid, track);
      this.byChannel.set(track.uid, track.uid);
      n++;
    }
    return n;
  }

  /** Calls and channels remembered (the calls' cap: open ones of the last `idleLimitMs` plus `finishedCallsKept`), and open legs closed as idle. */
  get sizes(): { calls: number; channels: number; linkedids: number; agents: number; recentEvents: number; expiredIdle: number; finishedCallsKept: number; idleLimitSec: number } {
    return {
      calls: this.calls.size,
      channels: this.byChannel.size,
      linkedids: this.byLinkedid.size,
      agents: this.members.size,
      recentEvents: this.recent.size,
      expiredIdle: this.expired,
      finishedCallsKept: this.keep,
      idleLimitSec: this.idleLimitMs / 1000,
    };
  }

  /**
   * Maps one AMI event to feed events. `nowMs` is the arrival time, used when
   * the event has no `Timestamp`. Never throws on odd input: what it cannot
   * use is reported as skipped, with the reason.
   */
  feed(msg: AmiMessage, nowMs: number): AmiFeedResult {
    this.stats.messages++;
    if (msg.event !== undefined) {
      const ts = amiTimestampMs(msg);
      const t = ts ?? nowMs;
      if (this.lastSeenAtMs === undefined || t > this.lastSeenAtMs) this.lastSeenAtMs = t;
      // Idle calls are judged on one clock: Asterisk's stamps once it sends them, else arrival times.
      if (ts !== undefined) this.stamped = true;
      if ((ts !== undefined || !this.stamped) && this.calls.size > 0 && t - this.expiredUpToMs >= IDLE_SWEEP_MS) this.expireIdle(t - this.idleLimitMs);
    }
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

  /** Time of the latest event seen (its Timestamp, else its arrival); undefined before the first. */
  get lastEventAtMs(): number | undefined {
    return this.lastSeenAtMs;
  }

  /**
   * After a reconnect: calls that were open before the `CoreShowChannels`
   * snapshot was asked for and whose caller channel is no longer among the
   * live channels ended while we were away, how and when unknown (a waiting
   * caller may have been answered and finished, a connected call's
   * AgentComplete never reached us). Each is closed as `call.lost` at
   * `lostAtMs`, when the link was lost (the last event seen before it), else
   * at `nowMs`; never before the call's own latest event.
   *
   * A call still live whose parties were talking when the link was lost gets their stops at `nowMs`
   * (never before its latest event): a `ChannelTalkingStop` lost with the link would leave the party
   * talking until it next stopped (no silence seen, the agent's starts taken as cutting in), and one
   * still to come is a stop without a start, harmless. Speech is counted up to the reconnect.
   */
  reconcile(openBefore: ReadonlySet<string>, liveChannels: ReadonlySet<string>, nowMs: number, lostAtMs?: number): FloorEventInput[] {
    const out: FloorEventInput[] = [];
    for (const uid of openBefore) {
      if (liveChannels.has(uid)) {
        const leg = this.calls.get(uid)?.open;
        if (leg?.talking?.size) out.push(...this.talkingReset(leg, nowMs));
        continue;
      }
      const track = this.calls.get(uid);
      if (!track?.open) continue;
      out.push(...this.lose(track, lostAtMs ?? nowMs, 'caller channel gone after an AMI reconnect'));
      track.hungUp = true;
    }
    this.stats.events += out.length;
    return out;
  }

  /**
   * After a reconnect: callers we saw waiting (or ringing) before the
   * `QueueStatus` list was asked for, and that the list (its `QueueEntry`
   * events, `listed` by Uniqueid) no longer shows, left their queue while
   * nobody listened: answered, abandoned or timed out, we cannot tell. Each is
   * closed as `call.lost` at `lostAtMs` (else `nowMs`), its open rings
   * cancelled first; `AgentComplete` arriving later back-dates the answer on
   * the same call id. `waitingBefore` maps each caller Uniqueid to the call id
   * of its leg then: a leg begun or answered since is left alone.
   */
  reconcileQueues(waitingBefore: ReadonlyMap<string, string>, listed: ReadonlySet<string>, nowMs: number, lostAtMs?: number): FloorEventInput[] {
    const out: FloorEventInput[] = [];
    for (const [uid, callId] of waitingBefore) {
      if (listed.has(uid)) continue;
      const track = this.calls.get(uid);
      const leg = track?.open;
      if (!track || !leg || leg.callId !== callId || leg.status === 'connected') continue;
      out.push(...this.lose(track, lostAtMs ?? nowMs, 'caller no longer in its queue after an AMI reconnect'));
    }
    this.stats.events += out.length;
    return out;
  }

  /** Stops, at `nowMs` (never before the leg's latest event), each party the leg has talking, and forgets its talking channels. */
  private talkingReset(leg: Leg, nowMs: number): FloorEventInput[] {
    const at = Math.max(nowMs, leg.lastAtMs);
    const parties = new Set([...(leg.talking?.values() ?? [])].map((v) => v.party));
    leg.talking?.clear();
    leg.lastAtMs = at;
    return [...parties].sort().map((party) => ({ type: 'call.talking', id: `ami:${idPart(leg.callId)}:talking-reset:${at}:${party}`, at, callId: leg.callId, party, talking: false }));
  }

  /**
   * Closes a track's open leg as lost at `atMs` (never before its own latest
   * event): its open rings end as cancelled (we cannot say they timed out),
   * then `call.lost`. The leg is kept, so a later event of the call continues
   * it; its `lastAtMs` is left as it was, so a back-dated correction (the
   * answer TalkTime seconds before AgentComplete) keeps its true time.
   */
  private lose(track: CallTrack, atMs: number, reason: string): FloorEventInput[] {
    const leg = track.open as Leg;
    const at = Math.max(atMs, leg.lastAtMs);
    leg.lostCount++;
    const base = `ami:${idPart(leg.callId)}:lost:${leg.lostCount}`;
    const out: FloorEventInput[] = [];
    for (const [agentId, ring] of leg.rings) {
      out.push({ type: 'call.ring-ended', id: `${base}:ring:${hashText(agentId).slice(0, 8)}`, at: Math.max(at, ring.startMs), callId: leg.callId, agentId, outcome: 'canceled' });
      this.endRing(leg, agentId, at);
    }
    out.push({ type: 'call.lost', id: base, at, callId: leg.callId, reason });
    if (leg.status !== 'connected') leg.status = 'waiting';
    this.closeLeg(track);
    track.lost = leg;
    return out;
  }

  /** A lost leg shown to go on by a later event of its call: open again, same call id. */
  private reopen(track: CallTrack): void {
    track.open = track.lost;
    track.lost = undefined;
    this.finished--;
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
    this.learnInterface(msg);
    if (CALLER_EVENTS.has(name)) return this.callerEvent(name, msg, t, stamp);
    if (MEMBER_EVENTS.has(name)) return this.memberEvent(name, msg, t, stamp);
    if (HOLD_ON.has(name) || HOLD_OFF.has(name)) return this.holdEvent(name, msg, t, stamp);
    if (TALKING.has(name)) return this.talkingEvent(name, msg, t, stamp);
    if (name === 'BlindTransfer' || name === 'AttendedTransfer') return this.transferEvent(name, msg, t, stamp);
    if (name === 'Hangup') return this.hangup(msg, t, stamp);
    if (name === 'DialBegin') return this.outboundBegin(msg);
    if (name === 'DialEnd') return this.outboundEnd(msg, t, stamp) ?? this.dialEnd(msg, t, stamp);
    if (name === 'OriginateResponse') return this.originateResponse(msg, t, stamp);
    return { kind: 'skipped', reason: 'event not used' };
  }

  // ------------------------------------------------------------ outbound calls (the callback worklist)

  /** Remembers which agent a member interface is, from any event naming both (member events, AgentCalled…). */
  private learnInterface(msg: AmiMessage): void {
    const iface = clean(msg.get('Interface')) ?? clean(msg.get('Location'));
    const member = clean(msg.get('MemberName')) ?? clean(msg.get('Name'));
    if (iface === undefined || member === undefined) return;
    const agentId = normalizeAgent(member);
    if (agentId === undefined || this.agentByInterface.get(iface) === agentId) return;
    this.agentByInterface.delete(iface);
    this.agentByInterface.set(iface, agentId);
    if (this.agentByInterface.size > INTERFACES_KEPT) this.agentByInterface.delete(this.agentByInterface.keys().next().value as string);
  }

  /**
   * The member interface (`PJSIP/1001`, `Local/1001@agents`) of a Floorwatch agent id, for the actions
   * that name a member by it (QueuePause, QueueRemove, ChanSpy's channel prefix): the one last seen with
   * that member name (member events, QueueStatus's QueueMember, AgentCalled…); else the agent id itself
   * when it is an interface (Asterisk names a member by its interface when queues.conf gives no name);
   * else undefined (never seen).
   */
  interfaceOf(agentId: string): string | undefined {
    let found: string | undefined;
    for (const [iface, id] of this.agentByInterface) if (id === agentId) found = iface; // the latest learnt comes last
    return found ?? (/^[A-Za-z][A-Za-z0-9_]*\/\S+$/.test(agentId) ? agentId : undefined);
  }

  /** The agent whose phone `channel` is (`PJSIP/1001-0000002a` → the member on interface `PJSIP/1001`), if any. */
  private agentOfChannel(channel: string | undefined): string | undefined {
    const c = clean(channel);
    const iface = c === undefined ? undefined : normalizeAgent(c);
    return iface === undefined ? undefined : this.agentByInterface.get(iface);
  }

  /**
   * `DialBegin` from an agent's phone to an outside number: remembered until its `DialEnd`, which
   * tells whether it was answered. Per the AMI event documentation (docs.asterisk.org, AMI_Events/DialBegin,
   * Asterisk 13+), `Channel` is the dialling channel (here the agent's phone), `DestChannel`/`DestUniqueid`
   * the channel dialled and `DestExten` (else `DialString`) the number. app_queue's own dials to members
   * come from the caller's channel, never from a member's phone, so they are not taken for callbacks.
   */
  private outboundBegin(msg: AmiMessage): AmiFeedResult {
    const agentId = this.agentOfChannel(msg.get('Channel'));
    if (agentId === undefined) return { kind: 'skipped', reason: "DialBegin not from an agent's phone" };
    const to = outsideNumber(msg.get('DestExten')) ?? outsideNumber(msg.get('DialString'));
    if (to === undefined) return { kind: 'skipped', reason: 'DialBegin to no outside number' };
    const dest = clean(msg.get('DestUniqueid'));
    if (dest === undefined) return { kind: 'skipped', reason: 'DialBegin without a DestUniqueid' };
    this.outboundDials.set(dest, { agentId, to, callId: idPart(clean(msg.get('Uniqueid')) ?? dest) });
    if (this.outboundDials.size > OUTBOUND_DIALS_KEPT) this.outboundDials.delete(this.outboundDials.keys().next().value as string);
    return { kind: 'skipped', reason: 'DialBegin of an outbound call: its DialEnd tells the outcome' };
  }

  /**
   * `DialEnd` of an outbound dial seen starting: a `call.outbound`, answered when `DialStatus` is
   * `ANSWER`, unanswered for `BUSY`, `NOANSWER`, `CONGESTION`, `CHANUNAVAIL` or `CANCEL` (the values of
   * DIALSTATUS documented for Dial() and carried by DialEnd, docs.asterisk.org AMI_Events/DialEnd).
   * Undefined when the dial is not one of ours (the queue's ring handling takes it).
   */
  private outboundEnd(msg: AmiMessage, t: number, stamp: string): AmiFeedResult | undefined {
    const dest = clean(msg.get('DestUniqueid'));
    const dial = dest === undefined ? undefined : this.outboundDials.get(dest);
    if (dest === undefined || dial === undefined) return undefined;
    const status = (msg.get('DialStatus') ?? '').trim().toUpperCase();
    const answered = status === 'ANSWER' ? true : UNANSWERED_DIAL.has(status) ? false : undefined;
    if (answered === undefined) return { kind: 'skipped', reason: 'DialEnd of an outbound call with no final status' };
    this.outboundDials.delete(dest);
    const event: FloorEventInput = { type: 'call.outbound', id: `ami:${dial.callId}:DialEnd:${stamp}:out`, at: t, callId: dial.callId, to: dial.to, agentId: dial.agentId, answered };
    return { kind: 'events', events: [event] };
  }

  /**
   * `OriginateResponse` (docs.asterisk.org AMI_Events/OriginateResponse: `Response` Success or Failure,
   * `Channel`, `Exten`, `Uniqueid`) of a click-to-call that rings the agent's phone (`Channel`) and
   * then dials `Exten`: a Failure is an attempt that reached nobody (`answered: false`); on Success the
   * dialplan's Dial() from the agent's channel follows and its DialBegin/DialEnd tell the outcome, so
   * nothing is sent here (the same call is not counted twice).
   */
  private originateResponse(msg: AmiMessage, t: number, stamp: string): AmiFeedResult {
    const agentId = this.agentOfChannel(msg.get('Channel'));
    if (agentId === undefined) return { kind: 'skipped', reason: "OriginateResponse not for an agent's phone" };
    const to = outsideNumber(msg.get('Exten'));
    if (to === undefined) return { kind: 'skipped', reason: 'OriginateResponse to no outside number' };
    if ((msg.get('Response') ?? '').trim().toLowerCase() !== 'failure') return { kind: 'skipped', reason: 'OriginateResponse Success: the DialEnd that follows tells the outcome' };
    const callId = idPart(clean(msg.get('Uniqueid')) ?? `originate-${stamp}`);
    const event: FloorEventInput = { type: 'call.outbound', id: `ami:${callId}:OriginateResponse:${stamp}:out`, at: t, callId, to, agentId, answered: false };
    return { kind: 'events', events: [event] };
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
    // A call closed as lost that shows what became of it (answered, completed, abandoned): the same leg goes on.
    if (track && !track.open && track.lost && CORRECTIONS.has(name)) this.reopen(track);
    if (track?.hungUp && !track.open) return { kind: 'skipped', reason: `${name} after the caller hung up` };
    const base = (leg: Leg) => `ami:${idPart(leg.callId)}:${name}:${stamp}${agentId !== undefined ? `:${hashText(agentId).slice(0, 8)}` : ''}`;
    const emit = (leg: Leg, atMs: number, role: string, body: CallBody): number => {
      const at = Math.max(atMs, leg.lastAtMs);
      leg.lastAtMs = at;
      out.push({ ...body, id: role ? `${base(leg)}:${role}` : base(leg), at, callId: leg.callId } as FloorEventInput);
      return at;
    };
    /** A member's ring of this leg, from `startMs` (a ring seen live starts at the event; one not seen is back-dated). */
    const ring = (leg: Leg, agent: string, startMs: number, role: string) => {
      const at = this.ringStart(leg, agent, startMs);
      this.sighting(out, base(leg), agent, leg.queueId, at);
      out.push({ type: 'call.ringing', id: role ? `${base(leg)}:${role}` : base(leg), at, callId: leg.callId, agentId: agent });
      leg.lastAtMs = Math.max(leg.lastAtMs, at);
      leg.rings.set(agent, { startMs: at });
      leg.status = 'ringing';
    };
    /** Ends every open ring of the leg but `except`'s as cancelled at `atMs` (a colleague answered, the caller left). */
    const cancelRings = (leg: Leg, atMs: number, except?: string) => {
      for (const other of [...leg.rings.keys()]) {
        if (other === except) continue;
        const at = emit(leg, atMs, `cancel:${hashText(other).slice(0, 8)}`, { type: 'call.ring-ended', agentId: other, outcome: 'canceled' });
        this.endRing(leg, other, at);
      }
    };
    /** The answer by `agent` at `atMs`: the others' rings end cancelled first, the answerer's ring with the answer. */
    const answer = (leg: Leg, agent: string, atMs: number, role: string) => {
      cancelRings(leg, atMs, agent);
      const at = emit(leg, atMs, role, { type: 'call.answered', agentId: agent });
      const own = leg.rings.get(agent);
      this.endRing(leg, agent, at);
      if (own?.channel !== undefined) {
        // The answering member's channel stays with the call (holds, transfers find it by it).
        this.byChannel.set(own.channel, (track as CallTrack).uid);
        leg.agentChannels.push(own.channel);
      }
      leg.status = 'connected';
      leg.agentId = agent;
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
      track.lost = undefined;
      const leg = this.newLeg(track, queueId, enteredAtMs);
      emit(leg, enteredAtMs, 'enter', { type: 'call.queued', queueId });
      return leg;
    };

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
        track.lost = undefined; // a new entry into a queue: whatever became of the lost leg, this is a new offer
        const caller = clean(msg.get('CallerIDNum'))?.slice(0, 200);
        const body: CallBody = caller !== undefined ? { type: 'call.queued', queueId, caller } : { type: 'call.queued', queueId };
        const open = track.open;
        if (open) {
          // Entered a queue while still in the floor's view (moved on by the dialplan): the engine moves it.
          // Phones still ringing for the old queue stopped: cancelled.
          cancelRings(open, t);
          this.releaseAgentChannels(open);
          Object.assign(open, { queueId, status: 'waiting', agentId: undefined, onHold: false });
          open.enteredAtMs = emit(open, t, '', body);
        } else {
          emit(this.newLeg(track, queueId, t), t, '', body);
        }
        break;
      }
      case 'AgentCalled': {
        if (agentId === undefined) return { kind: 'skipped', reason: 'AgentCalled without a member' };
        const leg = legOrRebuild(t);
        if (leg.status === 'connected') return { kind: 'skipped', reason: 'AgentCalled while connected' };
        if (leg.rings.has(agentId)) return { kind: 'skipped', reason: 'AgentCalled repeated' };
        // Each member rung has a ring of their own: ringall rings several at once.
        ring(leg, agentId, Math.max(t, leg.lastAtMs), '');
        this.noteRingChannel(track as CallTrack, leg, agentId, msg);
        break;
      }
      case 'AgentRingNoAnswer': {
        if (agentId === undefined) return { kind: 'skipped', reason: 'AgentRingNoAnswer without a member' };
        // Published by app_queue's rna(), with the queue_log RINGNOANSWER line: the ring timed out on
        // this member (or their phone was busy or refused it). RingTime in ms.
        const ringMs = count(msg.get('RingTime')) ?? 0;
        const leg = legOrRebuild(t - ringMs);
        if (leg.status === 'connected') return { kind: 'skipped', reason: 'AgentRingNoAnswer after the call was answered' };
        // A ring we did not see start began RingTime ms before its end.
        if (!leg.rings.has(agentId)) ring(leg, agentId, t - ringMs, 'ring');
        const at = emit(leg, t, '', { type: 'call.ring-ended', agentId, outcome: 'no-answer' });
        this.endRing(leg, agentId, at);
        break;
      }
      case 'AgentConnect': {
        if (agentId === undefined) return { kind: 'skipped', reason: 'AgentConnect without a member' };
        const waitSec = count(msg.get('HoldTime')) ?? 0; // seconds in the queue, ringing included
        const ringSec = count(msg.get('RingTime')); // seconds
        const leg = legOrRebuild(t - waitSec * 1000);
        if (leg.status === 'connected' && leg.agentId === agentId) return { kind: 'skipped', reason: 'AgentConnect repeated' };
        if (!leg.rings.has(agentId)) {
          // A ring we did not see start began RingTime s before the answer.
          if (ringSec !== undefined && leg.status !== 'connected') ring(leg, agentId, t - ringSec * 1000, 'ring');
          else this.sighting(out, base(leg), agentId, leg.queueId, Math.max(t, leg.lastAtMs));
        }
        // Picked up by another member with no transfer event: the engine ends the first one's part.
        if (leg.status === 'connected') this.releaseAgentChannels(leg);
        // The others' phones stop at the answer (app_queue's hangupcalls() hangs them up): cancelled, not timed out.
        answer(leg, agentId, t, '');
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
          // We missed the answer (we connected mid-call, or the call was closed as lost while the
          // link was down): it was TalkTime seconds ago.
          const agent = agentId ?? (leg.rings.size === 1 ? [...leg.rings.keys()][0] : undefined);
          if (agent === undefined) return { kind: 'skipped', reason: 'AgentComplete without a member' };
          if (!leg.rings.has(agent)) this.sighting(out, base(leg), agent, leg.queueId, Math.max(t - talkSec * 1000, leg.lastAtMs));
          answer(leg, agent, t - talkSec * 1000, 'answer');
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
        // The caller hung up while phones rang: their rings were cut off (RINGCANCELED in queue_log).
        cancelRings(leg, t);
        emit(leg, t, '', { type: 'call.abandoned' });
        this.closeLeg(track as CallTrack);
        break;
      }
      case 'QueueCallerLeave': {
        const leg = track?.open;
        if (!leg) return { kind: 'skipped', reason: 'QueueCallerLeave of a call not waiting' };
        // Leaving while a member rings is the answer on its way (app_queue's leave_queue() comes before
        // AgentConnect), or rings cancelled by the caller (DialEnd CANCEL or the Hangup follows).
        // Leaving while nobody rings is leaving unanswered: timeout, exit key, or the queue emptied.
        if (leg.status !== 'waiting') return { kind: 'skipped', reason: `QueueCallerLeave while ${leg.status}` };
        emit(leg, t, '', { type: 'call.abandoned' });
        this.closeLeg(track as CallTrack);
        break;
      }
    }
    return { kind: 'events', events: out };
  }

  /**
   * When a ring began: `startMs`, but never before the leg entered its queue,
   * nor before the same member's previous ring of the call ended. It may be
   * earlier than other members' rings already reported: each keeps its own.
   */
  private ringStart(leg: Leg, agent: string, startMs: number): number {
    return Math.max(startMs, leg.enteredAtMs, leg.ringEnds?.get(agent) ?? -Infinity);
  }

  /** Closes a member's ring of a leg (its end kept for their next ring), and forgets its channel. */
  private endRing(leg: Leg, agent: string, atMs: number): void {
    const r = leg.rings.get(agent);
    if (!r) return;
    leg.rings.delete(agent);
    (leg.ringEnds ??= new Map()).set(agent, atMs);
    if (r.channel !== undefined && !leg.agentChannels.includes(r.channel)) this.byChannel.delete(r.channel);
    if (leg.status === 'ringing' && leg.rings.size === 0) leg.status = 'waiting';
  }

  /** The ringing member's channel (`DestUniqueid` of AgentCalled): a DialEnd for it finds the ring. */
  private noteRingChannel(track: CallTrack, leg: Leg, agent: string, msg: AmiMessage): void {
    const dest = clean(msg.get('DestUniqueid'));
    const r = leg.rings.get(agent);
    if (dest === undefined || dest === track.uid || !r) return;
    r.channel = dest;
    this.byChannel.set(dest, track.uid);
  }

  /**
   * `DialEnd` of a member's phone rung for a queue caller: `CANCEL` means
   * app_queue hung the phone up before it was answered, because a colleague
   * answered (hangupcalls()) or the caller hung up or left with a key
   * (wait_for_answer()): the ring ends cancelled at once. The other statuses
   * are told better by their own events (ANSWER by AgentConnect; NOANSWER,
   * BUSY, CONGESTION by AgentRingNoAnswer).
   */
  private dialEnd(msg: AmiMessage, t: number, stamp: string): AmiFeedResult {
    if ((msg.get('DialStatus') ?? '').trim().toUpperCase() !== 'CANCEL') return { kind: 'skipped', reason: 'DialEnd other than CANCEL' };
    const uid = clean(msg.get('Uniqueid'));
    const dest = clean(msg.get('DestUniqueid'));
    const track = uid === undefined ? undefined : this.calls.get(uid);
    const leg = track?.open;
    const found = leg && dest !== undefined ? [...leg.rings].find(([, r]) => r.channel === dest) : undefined;
    if (!leg || !found) return { kind: 'skipped', reason: 'DialEnd of no ring we follow' };
    const [agentId] = found;
    const at = Math.max(t, leg.lastAtMs);
    leg.lastAtMs = at;
    this.endRing(leg, agentId, at);
    const event: FloorEventInput = { type: 'call.ring-ended', id: `ami:${idPart(leg.callId)}:DialEnd:${stamp}:${hashText(agentId).slice(0, 8)}`, at, callId: leg.callId, agentId, outcome: 'canceled' };
    return { kind: 'events', events: [event] };
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

  /**
   * `ChannelTalkingStart` / `ChannelTalkingStop`, raised on a channel the dialplan set
   * `TALK_DETECT(set)=` on (func_talkdetect.c; AMI event docs, AMI_Events/ChannelTalkingStart and
   * ChannelTalkingStop, class EVENT_FLAG_CLASS, so the AMI user needs `read = class`). Fields used:
   * `Uniqueid` and `Linkedid` (the channel snapshot), and on the stop `Duration`, ms: how long talking
   * was detected, which func_talkdetect.c computes as the time since the start minus the silence
   * threshold it waited for (dsp_silence_threshold, 2,500 ms by default).
   *
   * The party is the channel's place in the call: the caller's channel (the call's own Uniqueid) is
   * `caller`; the connected member's channel (the `DestUniqueid` of its AgentConnect), or a phone behind
   * a Local-channel member found by Linkedid whose channel name is that member's interface, is `agent`.
   * Any other channel (a channel of no queue call, a third party on it) is skipped, as is talk on a
   * call not connected (a caller speaking while waiting: no conversation rule reads it).
   *
   * A party talks while any of its channels does (an agent behind a Local-channel member may have
   * `TALK_DETECT` on the Local channel and on the phone): only the party's first start and last stop
   * are sent. A start on a channel already talking (its stop was lost) sends nothing and restarts the
   * channel's stretch; a stop without a start closes the party's speech.
   *
   * The stop is dated at the end of speech, start + Duration, when the start was seen and that lies
   * between the start and the stop's own time; at the start when Duration is 0 or less (nothing was
   * said: the stretch was all silence threshold, as at the first frames after `TALK_DETECT(set)`,
   * whose silence count starts at 0); else (no start seen, no usable Duration) at the stop's time. A
   * stop with nothing said and no start seen (its start came before the answer) is skipped. Never
   * before the call's latest event, so a call's events stay in order.
   */
  private talkingEvent(name: string, msg: AmiMessage, t: number, stamp: string): AmiFeedResult {
    const uid = clean(msg.get('Uniqueid'));
    const track = this.callOfChannel([uid], [clean(msg.get('Linkedid'))]);
    const leg = track?.open;
    if (!track || !leg) return { kind: 'skipped', reason: 'talking on a channel of no queue call' };
    let party: TalkParty | undefined;
    if (uid !== undefined && uid === track.uid) party = 'caller';
    else if (uid !== undefined && leg.agentChannels.includes(uid)) party = 'agent';
    else if (leg.agentId !== undefined && this.agentOfChannel(msg.get('Channel')) === leg.agentId) party = 'agent';
    if (party === undefined) return { kind: 'skipped', reason: 'talking on a channel neither the caller nor the agent of its call' };
    if (leg.status !== 'connected') return { kind: 'skipped', reason: 'talking on a call not connected' };
    const talking = name === 'ChannelTalkingStart';
    const key = uid ?? clean(msg.get('Channel')) ?? party;
    const open = (leg.talking ??= new Map());
    const own = open.get(key);
    const otherChannelTalks = [...open].some(([k, v]) => k !== key && v.party === party);
    let at = t;
    if (talking) {
      // Duration counts from the channel's latest start.
      open.set(key, { party, sinceMs: t });
      if (own) return { kind: 'skipped', reason: 'talking start on a channel already talking' };
      if (otherChannelTalks) return { kind: 'skipped', reason: 'talking start of a party already talking on another channel' };
    } else {
      open.delete(key);
      if (otherChannelTalks) return { kind: 'skipped', reason: 'talking stop of a party still talking on another channel' };
      const durationText = msg.get('Duration')?.trim() ?? '';
      const durationMs = /^-?\d+$/.test(durationText) ? Number(durationText) : undefined;
      // Nothing said: the stretch was all silence threshold. func_talkdetect.c's silence count starts at 0,
      // so the first frames after TALK_DETECT(set) raise a start with no speech behind it (Duration ≈ −20).
      const nothingSaid = durationMs !== undefined && durationMs <= 0;
      if (!own && nothingSaid) return { kind: 'skipped', reason: 'talking stop with nothing said and no start seen' };
      if (own && nothingSaid) at = own.sinceMs;
      else if (own && durationMs !== undefined && own.sinceMs + durationMs <= t) at = own.sinceMs + durationMs;
    }
    at = Math.max(at, leg.lastAtMs);
    leg.lastAtMs = at;
    const event: FloorEventInput = { type: 'call.talking', id: `ami:${idPart(leg.callId)}:${name}:${stamp}:${party}`, at, callId: leg.callId, party, talking };
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
    if (!leg) return { kind: 'skipped', reason: track.lost ? 'Hangup of a call closed as lost' : 'Hangup after the call was finished' };
    const at = Math.max(t, leg.lastAtMs);
    const id = `ami:${idPart(leg.callId)}:Hangup:${stamp}`;
    const events: FloorEventInput[] = [];
    // The caller hung up while phones rang: every open ring was cut off, not timed out.
    for (const agentId of [...leg.rings.keys()]) {
      events.push({ type: 'call.ring-ended', id: `${id}:cancel:${hashText(agentId).slice(0, 8)}`, at, callId: leg.callId, agentId, outcome: 'canceled' });
      this.endRing(leg, agentId, at);
    }
    events.push(leg.status === 'connected' ? { type: 'call.ended', id, at, callId: leg.callId } : { type: 'call.abandoned', id, at, callId: leg.callId });
    this.closeLeg(track);
    return { kind: 'events', events };
  }

  private newLeg(track: CallTrack, queueId: string, atMs: number): Leg {
    if (track.legs > 0) this.finished--; // a finished call comes back
    track.legs++;
    const leg: Leg = { callId: track.legs === 1 ? track.uid : `${track.uid}#${track.legs}`, queueId, status: 'waiting', rings: new Map(), onHold: false, agentChannels: [], lastAtMs: atMs, enteredAtMs: atMs, lostCount: 0 };
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

  /** Forgets the channels of a leg's open rings and the rings with them (the leg closes or moves on). */
  private releaseRings(leg: Leg): void {
    for (const r of leg.rings.values()) if (r.channel !== undefined) this.byChannel.delete(r.channel);
    leg.rings.clear();
  }

  private closeLeg(track: CallTrack): void {
    const leg = track.open;
    if (leg) {
      this.releaseAgentChannels(leg);
      this.releaseRings(leg);
    }
    track.open = undefined;
    this.finished++;
    if (this.finished > Math.max(1, Math.floor(this.keep * 1.1))) this.forgetOldest();
  }

  /**
   * Closes here the open legs whose latest event is older than `beforeMs`
   * (epoch ms): their end was lost and the engine has closed them as end lost
   * by its stale-call limit. Their channels, rings and agent channels are
   * released and they join the finished calls, which are bounded; so the
   * per-call maps hold at most the calls of the last `idleLimitMs`. O(calls);
   * run at most once per {@link IDLE_SWEEP_MS} of event time. Returns how many.
   */
  expireIdle(beforeMs: number): number {
    this.expiredUpToMs = beforeMs + this.idleLimitMs;
    let n = 0;
    for (const track of [...this.calls.values()]) {
      if (track.open === undefined || track.open.lastAtMs >= beforeMs) continue;
      this.closeLeg(track);
      n++;
    }
    this.expired += n;
    return n;
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
      // Asterisk 13+ says PausedReason on every member event (queue_member_blob_create() in app_queue.c, and
      // QueueMemberPause's documentation includes QueueMemberStatus's parameters); QueueMemberPause of older
      // releases said Reason. A member event with neither (QueueMemberStatus before 13, a device state change)
      // says nothing of the reason: a pause already known keeps its reason, so its timer runs on.
      const pausedReason = msg.get('PausedReason');
      const raw = pausedReason?.trim() ? pausedReason : (msg.get('Reason') ?? pausedReason);
      reason = raw === undefined ? (a.presence === 'away' ? a.reason : undefined) : normalizeAwayReason(clean(raw)) || undefined;
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
