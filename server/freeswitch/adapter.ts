/**
 * The FreeSWITCH adapter: turns mod_callcenter's `CUSTOM callcenter::info` events and the channel
 * events of the queue calls into Floorwatch feed events. Stateful (it follows each queue call, its
 * rings and its channels), with no I/O and no clock of its own: the client hands it each event with
 * the time it arrived.
 *
 * Source of truth: mod_callcenter.c (src/mod/applications/mod_callcenter, FreeSWITCH master). Each
 * `CC-Action` and the headers it carries:
 * - `member-queue-start` (callcenter_function(), `member-queue-resume` for a caller coming back
 *   within `abandoned-resume-allowed`): the caller joins `CC-Queue`; `CC-Member-UUID` names the
 *   queue entry, `CC-Member-Session-UUID` the caller's channel, `CC-Member-CID-Number/-Name` the
 *   caller → `call.queued`.
 * - `agent-offering` (outbound_agent_thread_run(), before the agent's phone is dialled) →
 *   `call.ringing` for `CC-Agent`. Under `ring-all` several agents are offered at once: each has a
 *   ring of their own.
 * - `bridge-agent-fail` (the agent's originate failed) → `call.ring-ended`. Its `CC-Hangup-Cause`
 *   decides the outcome as mod_callcenter itself does when it counts no-answers: `LOSE_RACE`
 *   (another agent answered a ring-all call) and `ORIGINATOR_CANCEL` (the caller left) are
 *   `canceled`, never held against the agent; every other cause (NO_ANSWER, USER_BUSY,
 *   CALL_REJECTED, …) is `no-answer`.
 * - `bridge-agent-start` (the agent answered; `CC-Agent-UUID` is the agent's channel,
 *   `CC-Member-Joined-Time` and `CC-Agent-Answered-Time` epoch seconds) → `call.answered` with
 *   `waitSec` = answered − joined; the other agents' rings still open are cancelled explicitly.
 * - `bridge-agent-end` (the bridge is over) → `call.ended`, `by` the side whose channel hung up
 *   first (CHANNEL_HANGUP_COMPLETE of the caller's or the agent's channel before it), else unsaid.
 * - `member-queue-end`: `CC-Cause: Terminated` after a bridge (a `call.ended` only if the
 *   bridge-agent-end was missed); `CC-Cause: Cancel` with `CC-Cancel-Reason` NONE (the caller hung
 *   up), TIMEOUT (max-wait-time), NO_AGENT_TIMEOUT, BREAK_OUT (callcenter_break / transferred out)
 *   or EXIT_WITH_KEY: the caller left unanswered → `call.abandoned` with `waitSec` = leaving − joined,
 *   open rings cancelled first (as Asterisk's EXITWITHTIMEOUT/EXITWITHKEY are abandons in the
 *   queue_log adapter).
 * - `agent-status-change` (`CC-Agent-Status`: `Logged Out`, `Available`, `Available (On Demand)`,
 *   `On Break`) → `agent.state` offline / available / away with reason `on break`;
 *   `agent-state-change` (`CC-Agent-State`: `Waiting`, `Receiving`, `In a queue call`, `Idle`,
 *   `Reserved`): `Idle` (an available agent who takes no calls until set `Waiting` again, e.g. after
 *   an on-demand call) is away with reason `idle`, `Waiting` ends it; the others follow the calls and
 *   are skipped. `members-count` is skipped: the queue's length follows the calls.
 * - `CHANNEL_HOLD` / `CHANNEL_UNHOLD` (switch_channel_mark_hold(), on the channel put on hold: the
 *   agent's when their phone holds, the caller's with `uuid_hold`) → `call.hold` / `call.unhold`
 *   of the call either channel belongs to (by `Unique-ID`, else by its bridged peer's
 *   `Other-Leg-Unique-ID`). FreeSWITCH does not say whether the caller was asked
 *   first: no `askedPermission` (unknown, not "no"), so hold-permission never fires on this source.
 *
 * Identity. A call's id is the caller's channel UUID (`CC-Member-Session-UUID`, the `Unique-ID` of
 * the member's channel events), so the channel events of the caller find it directly; when the same
 * channel enters a queue again after its call finished (a transfer into another queue), that is a
 * new leg `<uuid>#<n>`. Agent ids are mod_callcenter's agent names (`1000@default`).
 *
 * Time and ids. Every FreeSWITCH event carries `Event-Date-Timestamp` (epoch µs, switch_event.c),
 * used as the event's time and in its id (`fs:<call or agent>:<action>:<µs>[:<agent>]`): the same
 * event always yields the same ids, so a batch submitted again, or the same event seen by two
 * Floorwatch nodes, is stored once. Without it the arrival time is used.
 */
import type { AgentPresence, FloorEventInput } from '../../shared/events.ts';
import { normalizeAwayReason } from '../../shared/away.ts';
import { DEFAULT_ENGINE_LIMITS } from '../../shared/engine.ts';
import { MemberRoster } from '../members.ts';
import { FINISHED_CALLS_KEPT } from '../queuelog/adapter.ts';
import { hashText } from '../queuelog/parse.ts';
import type { EslEvent } from './esl-parse.ts';

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/g;
/** Names longer than this in an id are replaced by a hash: event ids must stay within 128 characters. */
const MAX_NAME = 60;
/** Longest id or name kept as given (the feed's limit). */
const MAX_ID = 128;
/** Earliest and latest `Event-Date-Timestamp` taken as a clock (2000..2100, µs); anything else falls back to arrival time. */
const MIN_TS_US = 946_684_800_000_000;
const MAX_TS_US = 4_102_444_800_000_000;

/** Idle open legs are looked for at most once per minute of event time: a scan of the calls is cheap at that rate. */
const IDLE_SWEEP_MS = 60_000;
/** Hangup causes of a failed agent originate that are not the agent's doing (mod_callcenter.c, outbound_agent_thread_run()). */
const CANCEL_CAUSES = new Set(['LOSE_RACE', 'ORIGINATOR_CANCEL']);
/** mod_callcenter's agent statuses (AGENT_STATUS_CHART) → presence. */
const STATUS_PRESENCE: Record<string, AgentPresence> = {
  'logged out': 'offline',
  available: 'available',
  'available (on demand)': 'available',
  'on break': 'away',
};

export type FsFeedResult = { kind: 'events'; events: FloorEventInput[] } | { kind: 'skipped'; reason: string };

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
type CallEventInput = Extract<FloorEventInput, { callId: string }>;
type CallBody = DistributiveOmit<CallEventInput, 'id' | 'at' | 'callId'>;
type LegStatus = 'waiting' | 'ringing' | 'connected';

interface Leg {
  callId: string;
  queueId: string;
  /** mod_callcenter's queue entry (`CC-Member-UUID`), when seen. */
  memberUuid?: string;
  status: LegStatus;
  /** Agents whose phones ring now, with when each ring began. */
  rings: Map<string, number>;
  agentId?: string;
  /** The connected agent's channel (`CC-Agent-UUID`). */
  agentChannel?: string;
  onHold: boolean;
  /** Time of the leg's latest event: the next is never earlier. */
  lastAtMs: number;
  enteredAtMs: number;
  /** Whose channel hung up first while connected. */
  firstHangup?: 'agent' | 'caller';
}

interface CallTrack {
  /** The caller's channel UUID. */
  uid: string;
  legs: number;
  open?: Leg;
  /** The leg a reconcile closed as lost: a later event of the call continues it. */
  lost?: Leg;
}

/** One row of `callcenter_config queue list members` (the `members` table of mod_callcenter.c). */
export interface CcMemberRow {
  queue: string;
  uuid: string;
  /** The caller's channel; empty for an `Abandoned` entry (mod_callcenter clears it). */
  sessionUuid: string;
  cidNumber?: string;
  cidName?: string;
  /** Epoch seconds; 0 when unset. */
  joinedEpoch: number;
  bridgeEpoch: number;
  abandonedEpoch: number;
  servingAgent?: string;
  /** `Waiting`, `Trying`, `Answered`, `Abandoned`. */
  state: string;
}

export interface FsAdapterStats {
  events: number;
  mapped: number;
  skipped: number;
  made: number;
  /** Open legs forgotten as idle (see {@link FsAdapter.expireIdle}). */
  expired: number;
}

function clean(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  const s = v.replace(CONTROL, '').trim();
  if (s === '' || s === '_undef_' || s.toLowerCase() === 'unknown') return undefined;
  return s.length > MAX_ID ? `${s.slice(0, 100)}~${hashText(s)}` : s;
}

function idPart(s: string): string {
  return s.length > MAX_NAME ? `${s.slice(0, 40)}~${hashText(s)}` : s;
}

/** Whole epoch seconds of a header (`CC-Member-Joined-Time`), or undefined when absent, 0 or not a number. */
function epochSec(v: string | undefined): number | undefined {
  if (v === undefined || !/^\s*\d+\s*$/.test(v)) return undefined;
  const n = Number(v);
  return n * 1000 >= MIN_TS_US / 1000 && n * 1000 <= MAX_TS_US / 1000 ? n : undefined;
}

/** An event's `Event-Date-Timestamp` (epoch µs) in epoch ms, when it is a usable clock. */
export function fsTimestampMs(ev: EslEvent): number | undefined {
  const ts = ev.headers.get('Event-Date-Timestamp')?.trim();
  if (ts === undefined || !/^\d{1,17}$/.test(ts)) return undefined;
  const us = Number(ts);
  if (us < MIN_TS_US || us > MAX_TS_US) return undefined;
  return Math.floor(us / 1000);
}

export class FsAdapter {
  private readonly calls = new Map<string, CallTrack>();
  /** Agent channel UUID → the caller's channel UUID of the call it is connected to. */
  private readonly byAgentChannel = new Map<string, string>();
  private readonly members = new MemberRoster();
  /** mod_callcenter status and state of each agent, as last said. */
  private readonly agentCc = new Map<string, { status?: string; idle?: boolean }>();
  private finished = 0;
  private seq = 0;
  private lastSeenAtMs: number | undefined;
  private readonly keep: number;
  /** An open leg with no event for this long is forgotten here (the engine closes its stale calls itself), ms. */
  private readonly idleLimitMs: number;
  /** Event time up to which idle legs were last looked for. */
  private expiredUpToMs = Number.NEGATIVE_INFINITY;
  readonly stats: FsAdapterStats = { events: 0, mapped: 0, skipped: 0, made: 0, expired: 0 };
  /** Why events were skipped, counted per reason (a fixed set of texts). */
  readonly skippedBy = new Map<string, number>();

  constructor(opts: { finishedCallsKept?: number; idleLimitSec?: number } = {}) {
    this.keep = opts.finishedCallsKept ?? FINISHED_CALLS_KEPT;
    this.idleLimitMs = (opts.idleLimitSec ?? DEFAULT_ENGINE_LIMITS.staleConnectedSec) * 1000;
  }

  /**
   * Forgets open legs whose latest event is older than `beforeMs` (their end never reached us and
   * no reconnect came to reconcile them), so the adapter's memory stays bounded. Nothing is emitted:
   * the engine closes stale calls by its own limits. Returns how many.
   */
  expireIdle(beforeMs: number): number {
    this.expiredUpToMs = beforeMs + this.idleLimitMs;
    let n = 0;
    for (const t of [...this.calls.values()]) {
      if (t.open === undefined || t.open.lastAtMs >= beforeMs) continue;
      this.closeLeg(t.uid);
      n++;
    }
    this.stats.expired += n;
    return n;
  }

  /** Time of the latest event fed: where a lost link's story stops. */
  get lastEventAtMs(): number | undefined {
    return this.lastSeenAtMs;
  }

  /** Calls with an open leg: waiting, ringing or connected. */
  openCalls(): { uid: string; callId: string; queueId: string; status: LegStatus; agentId?: string; memberUuid?: string }[] {
    const out: { uid: string; callId: string; queueId: string; status: LegStatus; agentId?: string; memberUuid?: string }[] = [];
    for (const t of this.calls.values()) {
      const l = t.open;
      if (l) out.push({ uid: t.uid, callId: l.callId, queueId: l.queueId, status: l.status, agentId: l.agentId, memberUuid: l.memberUuid });
    }
    return out;
  }

  /**
   * The channel to eavesdrop on to hear an agent's live queue call: the agent's own channel
   * (`CC-Agent-UUID` of its bridge-agent-start) when known, else the caller's; undefined when the
   * agent is on no call we follow.
   */
  liveCallOf(agentId: string): { uuid: string; side: 'agent' | 'caller'; callId: string } | undefined {
    for (const t of this.calls.values()) {
      const l = t.open;
      if (!l || l.status !== 'connected' || l.agentId !== agentId) continue;
      return l.agentChannel !== undefined ? { uuid: l.agentChannel, side: 'agent', callId: l.callId } : { uuid: t.uid, side: 'caller', callId: l.callId };
    }
    return undefined;
  }

  /** The queues an agent is known to serve (from mod_callcenter's events and the calls), in the order first seen. */
  queuesOf(agentId: string): string[] {
    return [...this.members.track(agentId).queues];
  }

  /**
   * After a Floorwatch restart: takes over the calls the engine still has open (from the log) whose
   * ids are FreeSWITCH channel UUIDs, so their later events continue them and the reconcile after
   * the login can close those that ended meanwhile. Returns how many were taken over.
   */
  resume(calls: Iterable<{ callId: string; queueId?: string; status: string; agentId?: string; queuedAtMs?: number; rings?: readonly { agentId: string; startMs?: number }[] }>, nowMs: number): number {
    let n = 0;
    for (const c of calls) {
      const m = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?:#(\d+))?$/i.exec(c.callId);
      if (!m || c.queueId === undefined || this.calls.get(m[1])?.open) continue;
      const status: LegStatus | undefined = c.status === 'queued' ? 'waiting' : c.status === 'ringing' ? 'ringing' : c.status === 'talking' || c.status === 'hold' ? 'connected' : undefined;
      if (status === undefined) continue;
      const leg: Leg = { callId: c.callId, queueId: c.queueId, status, rings: new Map(), onHold: c.status === 'hold', lastAtMs: nowMs, enteredAtMs: c.queuedAtMs ?? nowMs };
      if (status === 'ringing') for (const r of c.rings ?? []) leg.rings.set(r.agentId, r.startMs ?? nowMs);
      if (status === 'ringing' && leg.rings.size === 0) leg.status = 'waiting';
      if (status === 'connected') leg.agentId = c.agentId;
      this.calls.set(m[1], { uid: m[1], legs: m[2] === undefined ? 1 : Number(m[2]), open: leg });
      n++;
    }
    return n;
  }

  /** Feeds one event (`arrivalMs` dates it when it has no `Event-Date-Timestamp`). */
  feed(ev: EslEvent, arrivalMs: number): FsFeedResult {
    this.stats.events++;
    const stamped = fsTimestampMs(ev);
    const t = stamped ?? arrivalMs;
    this.lastSeenAtMs = Math.max(this.lastSeenAtMs ?? t, t);
    if (stamped !== undefined && this.calls.size > 0 && t - this.expiredUpToMs >= IDLE_SWEEP_MS) this.expireIdle(t - this.idleLimitMs);
    const stamp = stamped !== undefined ? ev.headers.get('Event-Date-Timestamp')!.trim() : `a${arrivalMs}-${++this.seq}`;
    const name = (ev.headers.get('Event-Name') ?? '').trim().toUpperCase();
    let r: FsFeedResult;
    if (name === 'CUSTOM') {
      const sub = (ev.headers.get('Event-Subclass') ?? '').trim().toLowerCase();
      r = sub === 'callcenter::info' ? this.callcenter(ev, t, stamp) : { kind: 'skipped', reason: 'CUSTOM event of another subclass' };
    } else if (name === 'CHANNEL_HOLD' || name === 'CHANNEL_UNHOLD') {
      r = this.hold(ev, name === 'CHANNEL_HOLD', t, stamp);
    } else if (name === 'CHANNEL_HANGUP_COMPLETE') {
      r = this.hangup(ev);
    } else if (name === 'CHANNEL_ANSWER') {
      r = { kind: 'skipped', reason: 'CHANNEL_ANSWER: an answer counts from bridge-agent-start' };
    } else {
      r = { kind: 'skipped', reason: 'event not used' };
    }
    if (r.kind === 'skipped' || r.events.length === 0) {
      const reason = r.kind === 'skipped' ? r.reason : 'no change';
      this.stats.skipped++;
      this.skippedBy.set(reason, (this.skippedBy.get(reason) ?? 0) + 1);
      return r.kind === 'skipped' ? r : { kind: 'skipped', reason };
    }
    this.stats.mapped++;
    this.stats.made += r.events.length;
    return r;
  }

  // ------------------------------------------------------------ calls

  private callcenter(ev: EslEvent, t: number, stamp: string): FsFeedResult {
    const h = ev.headers;
    const action = (h.get('CC-Action') ?? '').trim().toLowerCase();
    switch (action) {
      case 'agent-status-change':
      case 'agent-state-change':
        return this.agentEvent(action, ev, t, stamp);
      case 'members-count':
        return { kind: 'skipped', reason: "members-count: the queue's length follows the calls" };
      case 'member-queue-start':
      case 'member-queue-resume':
      case 'agent-offering':
      case 'bridge-agent-fail':
      case 'bridge-agent-start':
      case 'bridge-agent-end':
      case 'member-queue-end':
        break;
      default:
        return { kind: 'skipped', reason: 'CC-Action not used' };
    }
    const uid = clean(h.get('CC-Member-Session-UUID')) ?? clean(h.get('Unique-ID'));
    if (uid === undefined) return { kind: 'skipped', reason: `${action} without CC-Member-Session-UUID` };
    const queueId = clean(h.get('CC-Queue'));
    const agent = clean(h.get('CC-Agent'));
    const memberUuid = clean(h.get('CC-Member-UUID'));
    const out: FloorEventInput[] = [];
    const base = (leg: Leg) => `fs:${idPart(leg.callId)}:${action}:${stamp}`;
    const emit = (leg: Leg, atMs: number, suffix: string, body: CallBody) => {
      const at = Math.max(atMs, leg.lastAtMs);
      leg.lastAtMs = at;
      out.push({ ...body, id: `${base(leg)}${suffix}`, at, callId: leg.callId } as FloorEventInput);
    };
    const cancelRings = (leg: Leg, atMs: number, except?: string) => {
      for (const a of [...leg.rings.keys()]) {
        if (a === except) continue;
        leg.rings.delete(a);
        emit(leg, atMs, `:${idPart(a)}:canceled`, { type: 'call.ring-ended', agentId: a, outcome: 'canceled' });
      }
      if (leg.status === 'ringing' && leg.rings.size === 0) leg.status = 'waiting';
    };
    const sighting = (leg: Leg, a: string, atMs: number) => {
      const e = this.members.sighting(`${base(leg)}:${idPart(a)}:member`, a, leg.queueId, atMs);
      if (e) out.push(e);
    };
    let track = this.calls.get(uid);
    if (track?.open && memberUuid !== undefined) track.open.memberUuid ??= memberUuid;
    /** The open leg, a lost leg this event corrects, or (for an event of a call joined before we listened) a leg rebuilt from its join time. */
    const legOrRebuild = (): Leg | undefined => {
      if (track?.open) return track.open;
      if (track?.lost) {
        track.open = track.lost;
        track.lost = undefined;
        this.finished--;
        return track.open;
      }
      if (queueId === undefined) return undefined;
      const joined = epochSec(h.get('CC-Member-Joined-Time'));
      const leg = this.openLeg(uid, queueId, joined !== undefined ? Math.min(joined * 1000, t) : t, memberUuid);
      track = this.calls.get(uid);
      emit(leg, leg.enteredAtMs, ':queued', { type: 'call.queued', queueId, ...caller(h) });
      return leg;
    };

    switch (action) {
      case 'member-queue-start':
      case 'member-queue-resume': {
        if (queueId === undefined) return { kind: 'skipped', reason: `${action} without CC-Queue` };
        if (track?.open) return { kind: 'skipped', reason: `${action} of a call already in a queue` };
        const leg = this.openLeg(uid, queueId, t, memberUuid);
        emit(leg, t, '', { type: 'call.queued', queueId, ...caller(h) });
        break;
      }
      case 'agent-offering': {
        if (agent === undefined) return { kind: 'skipped', reason: 'agent-offering without CC-Agent' };
        const leg = legOrRebuild();
        if (!leg) return { kind: 'skipped', reason: 'agent-offering of an unknown call without CC-Queue' };
        if (leg.status === 'connected') return { kind: 'skipped', reason: 'agent-offering of a call already answered' };
        if (leg.rings.has(agent)) return { kind: 'skipped', reason: 'agent-offering of an agent already ringing' };
        sighting(leg, agent, t);
        leg.rings.set(agent, Math.max(t, leg.lastAtMs));
        leg.status = 'ringing';
        emit(leg, t, `:${idPart(agent)}`, { type: 'call.ringing', agentId: agent });
        break;
      }
      case 'bridge-agent-fail': {
        const leg = track?.open;
        if (!leg || agent === undefined || !leg.rings.has(agent)) return { kind: 'skipped', reason: 'bridge-agent-fail of no open ring' };
        const cause = (h.get('CC-Hangup-Cause') ?? '').trim().toUpperCase();
        leg.rings.delete(agent);
        if (leg.rings.size === 0 && leg.status === 'ringing') leg.status = 'waiting';
        emit(leg, t, `:${idPart(agent)}`, { type: 'call.ring-ended', agentId: agent, outcome: CANCEL_CAUSES.has(cause) ? 'canceled' : 'no-answer' });
        break;
      }
      case 'bridge-agent-start': {
        if (agent === undefined) return { kind: 'skipped', reason: 'bridge-agent-start without CC-Agent' };
        const leg = legOrRebuild();
        if (!leg) return { kind: 'skipped', reason: 'bridge-agent-start of an unknown call without CC-Queue' };
        if (leg.status === 'connected') return { kind: 'skipped', reason: 'bridge-agent-start of a call already answered' };
        this.answer(leg, uid, agent, t, h, emit, cancelRings, sighting);
        break;
      }
      case 'bridge-agent-end': {
        let leg = track?.open;
        if (!leg && track?.lost) leg = legOrRebuild();
        if (!leg) return { kind: 'skipped', reason: 'bridge-agent-end of a call not open' };
        if (leg.status !== 'connected') {
          // Its start was missed (the link was down): the answer is dated from CC-Agent-Answered-Time.
          if (agent === undefined) return { kind: 'skipped', reason: 'bridge-agent-end without CC-Agent' };
          const answered = epochSec(h.get('CC-Agent-Answered-Time'));
          this.answer(leg, uid, agent, answered !== undefined ? answered * 1000 : t, h, emit, cancelRings, sighting);
        }
        emit(leg, t, '', { type: 'call.ended', ...(leg.firstHangup ? { by: leg.firstHangup } : {}) });
        this.closeLeg(uid);
        break;
      }
      case 'member-queue-end': {
        const cause = (h.get('CC-Cause') ?? '').trim().toLowerCase();
        if (cause === 'terminated') {
          const leg = track?.open;
          if (!leg || leg.status !== 'connected') return { kind: 'skipped', reason: 'member-queue-end Terminated after the call was finished' };
          emit(leg, t, '', { type: 'call.ended', ...(leg.firstHangup ? { by: leg.firstHangup } : {}) });
          this.closeLeg(uid);
          break;
        }
        if (track && !track.open && !track.lost) return { kind: 'skipped', reason: 'member-queue-end after the call was finished' };
        const leg = legOrRebuild();
        if (!leg) return { kind: 'skipped', reason: 'member-queue-end of an unknown call without CC-Queue' };
        if (leg.status === 'connected') return { kind: 'skipped', reason: 'member-queue-end Cancel after the call was answered' };
        cancelRings(leg, t);
        const joined = epochSec(h.get('CC-Member-Joined-Time'));
        const leaving = epochSec(h.get('CC-Member-Leaving-Time'));
        const waitSec = joined !== undefined && leaving !== undefined && leaving >= joined ? leaving - joined : undefined;
        emit(leg, t, '', { type: 'call.abandoned', ...(waitSec !== undefined ? { waitSec } : {}) });
        this.closeLeg(uid);
        break;
      }
    }
    return { kind: 'events', events: out };
  }

  private answer(
    leg: Leg,
    uid: string,
    agent: string,
    atMs: number,
    h: EslEvent['headers'],
    emit: (leg: Leg, atMs: number, suffix: string, body: CallBody) => void,
    cancelRings: (leg: Leg, atMs: number, except?: string) => void,
    sighting: (leg: Leg, a: string, atMs: number) => void,
  ): void {
    if (!leg.rings.has(agent)) sighting(leg, agent, atMs);
    cancelRings(leg, atMs, agent);
    leg.rings.delete(agent);
    leg.status = 'connected';
    leg.agentId = agent;
    const agentChannel = clean(h.get('CC-Agent-UUID'));
    if (agentChannel !== undefined) {
      leg.agentChannel = agentChannel;
      this.byAgentChannel.set(agentChannel, uid);
    }
    const joined = epochSec(h.get('CC-Member-Joined-Time'));
    const answered = epochSec(h.get('CC-Agent-Answered-Time'));
    const waitSec = joined !== undefined && answered !== undefined && answered >= joined ? answered - joined : undefined;
    emit(leg, atMs, ':answered', { type: 'call.answered', agentId: agent, ...(waitSec !== undefined ? { waitSec } : {}) });
  }

  private openLeg(uid: string, queueId: string, atMs: number, memberUuid: string | undefined): Leg {
    let track = this.calls.get(uid);
    if (!track) {
      track = { uid, legs: 0 };
      this.calls.set(uid, track);
    } else if (track.lost) {
      track.lost = undefined;
    } else if (!track.open) {
      this.finished--; // finished and now back in a queue: open again
    }
    track.legs++;
    const leg: Leg = { callId: track.legs === 1 ? uid : `${uid}#${track.legs}`, queueId, memberUuid, status: 'waiting', rings: new Map(), onHold: false, lastAtMs: atMs, enteredAtMs: atMs };
    track.open = leg;
    return leg;
  }

  private closeLeg(uid: string, lost = false): void {
    const track = this.calls.get(uid);
    const leg = track?.open;
    if (!track || !leg) return;
    if (leg.agentChannel !== undefined) this.byAgentChannel.delete(leg.agentChannel);
    track.open = undefined;
    if (lost) track.lost = leg;
    this.finished++;
    this.forgetOldest();
  }

  private forgetOldest(): void {
    for (const [uid, t] of this.calls) {
      if (this.finished <= this.keep) break;
      if (t.open) continue;
      this.calls.delete(uid);
      this.finished--;
    }
  }

  /** The open call a channel belongs to: the caller's channel itself, or the connected agent's. */
  private legOfChannel(channel: string | undefined): { leg: Leg; uid: string; party: 'agent' | 'caller' } | undefined {
    if (channel === undefined) return undefined;
    const own = this.calls.get(channel)?.open;
    if (own) return { leg: own, uid: channel, party: 'caller' };
    const uid = this.byAgentChannel.get(channel);
    const leg = uid === undefined ? undefined : this.calls.get(uid)?.open;
    return leg && uid !== undefined ? { leg, uid, party: 'agent' } : undefined;
  }

  /**
   * The call of a channel event: by its `Unique-ID`, else by `Other-Leg-Unique-ID` (the bridged
   * peer, which switch_channel_event_set_data() adds): an agent channel we were never told of (its
   * bridge-agent-start was missed, or the call was taken over after a restart) is found through the
   * caller it is bridged to, and remembered as the call's agent channel.
   */
  private channelCall(ev: EslEvent): { leg: Leg; uid: string; party: 'agent' | 'caller' } | undefined {
    const uuid = clean(ev.headers.get('Unique-ID'));
    const own = this.legOfChannel(uuid);
    if (own) return own;
    const other = this.legOfChannel(clean(ev.headers.get('Other-Leg-Unique-ID')));
    if (!other || uuid === undefined) return undefined;
    const party = other.party === 'caller' ? 'agent' : 'caller';
    if (party === 'agent' && other.leg.status === 'connected' && other.leg.agentChannel === undefined) {
      other.leg.agentChannel = uuid;
      this.byAgentChannel.set(uuid, other.uid);
    }
    return { ...other, party };
  }

  private hold(ev: EslEvent, on: boolean, t: number, stamp: string): FsFeedResult {
    const found = this.channelCall(ev);
    if (!found) return { kind: 'skipped', reason: 'hold on a channel of no queue call' };
    const { leg } = found;
    if (leg.status !== 'connected') return { kind: 'skipped', reason: 'hold on a call not answered' };
    if (leg.onHold === on) return { kind: 'skipped', reason: on ? 'hold of a call already on hold' : 'unhold of a call not on hold' };
    leg.onHold = on;
    const at = Math.max(t, leg.lastAtMs);
    leg.lastAtMs = at;
    const type = on ? 'call.hold' : 'call.unhold';
    return { kind: 'events', events: [{ type, id: `fs:${idPart(leg.callId)}:${on ? 'hold' : 'unhold'}:${stamp}`, at, callId: leg.callId }] };
  }

  private hangup(ev: EslEvent): FsFeedResult {
    const found = this.channelCall(ev);
    if (!found) return { kind: 'skipped', reason: 'hangup of a channel of no queue call' };
    // Waiting or ringing, the caller's hangup ends the call through member-queue-end (Cancel).
    if (found.leg.status !== 'connected') return { kind: 'skipped', reason: 'hangup of a call not answered' };
    found.leg.firstHangup ??= found.party;
    return { kind: 'skipped', reason: 'hangup: noted for who ended the call' };
  }

  // ------------------------------------------------------------ reconcile

  /**
   * After a (re)connect: what mod_callcenter lists now (`callcenter_config queue list members`) and,
   * when asked, which channels exist (`show channels as json`). Each open call we know:
   * - waiting or ringing: listed `Waiting`/`Trying` stays; listed `Answered` was answered while
   *   nobody listened (`call.answered` by its serving agent at its bridge time); listed `Abandoned`
   *   left unanswered (`call.abandoned` at its abandon time); not listed left in a way we cannot
   *   tell: closed as `call.lost` at `lostAtMs`, the last event seen before the link was lost;
   * - connected: lost when its caller's channel no longer exists.
   * Callers listed that we never saw (waiting before Floorwatch listened) are taken in: queued at
   * their join time, answered at their bridge time when already answered.
   */
  reconcile(rows: readonly CcMemberRow[], liveChannels: ReadonlySet<string> | undefined, nowMs: number, lostAtMs = this.lastSeenAtMs ?? nowMs): FloorEventInput[] {
    const out: FloorEventInput[] = [];
    // The last event seen (its own clock), not the reconcile's: what ended meanwhile ended after it.
    const lostAt = lostAtMs;
    const tag = `r${Math.floor(nowMs)}`;
    const bySession = new Map<string, CcMemberRow>();
    // mod_callcenter empties an abandoned entry's session_uuid: such an entry is found by its member UUID.
    const byMember = new Map(rows.map((r) => [r.uuid, r]));
    for (const r of rows) {
      if (r.sessionUuid === '') continue;
      const prev = bySession.get(r.sessionUuid);
      // One channel may be listed in several queues (an abandoned entry kept, a later one live): a live one wins.
      if (!prev || prev.state.toLowerCase() === 'abandoned') bySession.set(r.sessionUuid, r);
    }
    const push = (leg: Leg, atMs: number, what: string, body: CallBody) => {
      const at = Math.max(atMs, leg.lastAtMs);
      leg.lastAtMs = at;
      out.push({ ...body, id: `fs:${idPart(leg.callId)}:reconcile:${tag}:${what}`, at, callId: leg.callId } as FloorEventInput);
    };
    const cancelAll = (leg: Leg, atMs: number) => {
      for (const a of [...leg.rings.keys()]) {
        leg.rings.delete(a);
        push(leg, atMs, `${idPart(a)}:canceled`, { type: 'call.ring-ended', agentId: a, outcome: 'canceled' });
      }
    };
    for (const t of [...this.calls.values()]) {
      const leg = t.open;
      if (!leg) continue;
      const row = bySession.get(t.uid) ?? (leg.memberUuid !== undefined ? byMember.get(leg.memberUuid) : undefined);
      const state = row?.state.toLowerCase();
      if (leg.status === 'connected') {
        if (liveChannels && !liveChannels.has(t.uid)) {
          push(leg, lostAt, 'lost', { type: 'call.lost', reason: 'caller channel gone after a FreeSWITCH reconnect' });
          this.closeLeg(t.uid, true);
        }
        continue;
      }
      if (state === 'waiting' || state === 'trying') continue;
      if (state === 'answered' && row?.servingAgent) {
        const at = row.bridgeEpoch > 0 ? row.bridgeEpoch * 1000 : lostAt;
        cancelAll(leg, at);
        leg.status = 'connected';
        leg.agentId = row.servingAgent;
        push(leg, at, 'answered', { type: 'call.answered', agentId: row.servingAgent, ...(row.joinedEpoch > 0 && row.bridgeEpoch >= row.joinedEpoch ? { waitSec: row.bridgeEpoch - row.joinedEpoch } : {}) });
        continue;
      }
      if (state === 'abandoned' && row && row.abandonedEpoch > 0) {
        const at = row.abandonedEpoch * 1000;
        cancelAll(leg, at);
        push(leg, at, 'abandoned', { type: 'call.abandoned', ...(row.joinedEpoch > 0 && row.abandonedEpoch >= row.joinedEpoch ? { waitSec: row.abandonedEpoch - row.joinedEpoch } : {}) });
        this.closeLeg(t.uid);
        continue;
      }
      cancelAll(leg, lostAt);
      push(leg, lostAt, 'lost', { type: 'call.lost', reason: 'caller no longer in its queue after a FreeSWITCH reconnect' });
      this.closeLeg(t.uid, true);
    }
    // Callers waiting (or answered) that we never saw.
    for (const row of bySession.values()) {
      const state = row.state.toLowerCase();
      if (state !== 'waiting' && state !== 'trying' && state !== 'answered') continue;
      const track = this.calls.get(row.sessionUuid);
      if (track?.open || track?.lost) continue;
      if (track && liveChannels && !liveChannels.has(row.sessionUuid)) continue;
      const joinedMs = row.joinedEpoch > 0 ? Math.min(row.joinedEpoch * 1000, nowMs) : nowMs;
      const leg = this.openLeg(row.sessionUuid, row.queue, joinedMs, row.uuid);
      push(leg, joinedMs, 'queued', { type: 'call.queued', queueId: row.queue, ...(row.cidNumber || row.cidName ? { caller: (row.cidNumber || row.cidName)!.slice(0, 200) } : {}) });
      if (state === 'answered' && row.servingAgent) {
        const at = row.bridgeEpoch > 0 ? Math.min(row.bridgeEpoch * 1000, nowMs) : nowMs;
        const s = this.members.sighting(`fs:${idPart(leg.callId)}:reconcile:${tag}:${idPart(row.servingAgent)}:member`, row.servingAgent, row.queue, at);
        if (s) out.push(s);
        leg.status = 'connected';
        leg.agentId = row.servingAgent;
        push(leg, at, 'answered', { type: 'call.answered', agentId: row.servingAgent, ...(row.bridgeEpoch >= row.joinedEpoch && row.joinedEpoch > 0 ? { waitSec: row.bridgeEpoch - row.joinedEpoch } : {}) });
      }
    }
    return out;
  }

  /**
   * The agents as mod_callcenter lists them (`callcenter_config agent list`: name, status, state)
   * and the queues each serves (`callcenter_config tier list`: queue, agent): an `agent.state` for
   * each agent whose presence or queues differ from what we knew, at `nowMs`. After a connect, so a
   * floor starts with its agents signed in or out as they are, and their queues known.
   */
  roster(agents: readonly Record<string, string>[], tiers: readonly Record<string, string>[], nowMs: number): FloorEventInput[] {
    const queuesOf = new Map<string, string[]>();
    for (const t of tiers) {
      const agent = clean(t.agent);
      const queue = clean(t.queue);
      if (agent === undefined || queue === undefined) continue;
      const qs = queuesOf.get(agent) ?? [];
      if (!qs.includes(queue)) qs.push(queue);
      queuesOf.set(agent, qs);
    }
    const out: FloorEventInput[] = [];
    for (const row of agents) {
      const agentId = clean(row.name);
      const status = (row.status ?? '').trim().toLowerCase();
      if (agentId === undefined || !(status in STATUS_PRESENCE)) continue;
      const cc = this.agentCc.get(agentId) ?? {};
      this.agentCc.set(agentId, cc);
      cc.status = status;
      cc.idle = (row.state ?? '').trim().toLowerCase() === 'idle';
      const { state, reason } = presenceOf(cc);
      const a = this.members.track(agentId);
      const queues = queuesOf.get(agentId) ?? a.queues;
      if (a.presence === state && a.reason === reason && a.queues.join('\u0000') === queues.join('\u0000')) continue;
      a.presence = state;
      a.reason = reason;
      a.queues = [...queues];
      out.push({ type: 'agent.state', id: `fs:${idPart(agentId)}:roster:r${Math.floor(nowMs)}`, at: nowMs, agentId, state, ...(queues.length ? { queues: [...queues] } : {}), ...(reason !== undefined ? { reason } : {}) });
    }
    return out;
  }

  // ------------------------------------------------------------ agents

  private agentEvent(action: string, ev: EslEvent, t: number, stamp: string): FsFeedResult {
    const agentId = clean(ev.headers.get('CC-Agent'));
    if (agentId === undefined) return { kind: 'skipped', reason: `${action} without CC-Agent` };
    const cc = this.agentCc.get(agentId) ?? {};
    this.agentCc.set(agentId, cc);
    if (action === 'agent-status-change') {
      const status = (ev.headers.get('CC-Agent-Status') ?? '').trim().toLowerCase();
      if (!(status in STATUS_PRESENCE)) return { kind: 'skipped', reason: 'agent-status-change to an unknown status' };
      cc.status = status;
    } else {
      const state = (ev.headers.get('CC-Agent-State') ?? '').trim().toLowerCase();
      if (state === 'idle') cc.idle = true;
      else if (state === 'waiting') cc.idle = false;
      else return { kind: 'skipped', reason: 'agent-state-change: the state follows the calls' };
    }
    const { state, reason } = presenceOf(cc);
    const a = this.members.track(agentId);
    if (a.presence === state && a.reason === reason) return { kind: 'skipped', reason: `${action} with no change of presence` };
    a.presence = state;
    a.reason = reason;
    const event: FloorEventInput = { type: 'agent.state', id: `fs:${idPart(agentId)}:${action}:${stamp}`, at: t, agentId, state, ...(a.queues.length ? { queues: [...a.queues] } : {}), ...(reason !== undefined ? { reason } : {}) };
    return { kind: 'events', events: [event] };
  }
}

/** Presence from mod_callcenter's status, and its state `Idle` (an available agent taking no calls: away, `idle`). */
function presenceOf(cc: { status?: string; idle?: boolean }): { state: AgentPresence; reason?: string } {
  const state: AgentPresence = cc.status !== undefined ? STATUS_PRESENCE[cc.status] : 'available';
  if (state === 'away') return { state, reason: normalizeAwayReason(cc.status) };
  if (state === 'available' && cc.idle) return { state: 'away', reason: 'idle' };
  return { state };
}

/** The caller as the feed shows it: the number, else the name. */
function caller(h: EslEvent['headers']): { caller?: string } {
  const c = clean(h.get('CC-Member-CID-Number')) ?? clean(h.get('CC-Member-CID-Name'));
  return c === undefined ? {} : { caller: c.slice(0, 200) };
}

/**
 * A `callcenter_config … list` answer: a `|`-separated header line naming the columns (of
 * mod_callcenter's members, agents or tiers table), one line per row, then `+OK`
 * (list_result_callback() in mod_callcenter.c). A line with a different number of fields is
 * skipped and counted in `damaged`; `ok` is false for an `-ERR` answer (mod_callcenter not loaded).
 */
export function parsePipeList(text: string): { rows: Record<string, string>[]; damaged: number; ok: boolean } {
  const lines = text.split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l !== '');
  const ok = lines.some((l) => l.startsWith('+OK'));
  const body = lines.filter((l) => !l.startsWith('+OK') && !l.startsWith('-ERR'));
  if (body.length === 0) return { rows: [], damaged: 0, ok };
  const cols = body[0].split('|');
  const rows: Record<string, string>[] = [];
  let damaged = 0;
  for (const line of body.slice(1)) {
    const f = line.split('|');
    if (f.length !== cols.length) {
      damaged++;
      continue;
    }
    rows.push(Object.fromEntries(cols.map((c, i) => [c, f[i]])));
  }
  return { rows, damaged, ok };
}

/**
 * Rows of `callcenter_config queue list members` (the members table of mod_callcenter.c, plus
 * `score`); rows without a member uuid or queue are left out.
 */
export function parseMemberList(text: string): { rows: CcMemberRow[]; damaged: number; ok: boolean } {
  const list = parsePipeList(text);
  const num = (v: string | undefined) => (v !== undefined && /^\d+$/.test(v) ? Number(v) : 0);
  const rows: CcMemberRow[] = [];
  for (const r of list.rows) {
    const uuid = clean(r.uuid);
    const queue = clean(r.queue);
    if (uuid === undefined || queue === undefined) continue;
    rows.push({
      queue,
      uuid,
      sessionUuid: clean(r.session_uuid) ?? '', // an abandoned entry's session is emptied
      cidNumber: clean(r.cid_number),
      cidName: clean(r.cid_name),
      joinedEpoch: num(r.joined_epoch),
      bridgeEpoch: num(r.bridge_epoch),
      abandonedEpoch: num(r.abandoned_epoch),
      servingAgent: clean(r.serving_agent),
      state: (r.state ?? '').trim(),
    });
  }
  return { rows, damaged: list.damaged, ok: list.ok };
}

/** Channel UUIDs of `show channels as json` (`{"row_count":N,"rows":[{"uuid":…},…]}`, mod_commands.c), or undefined when the answer is not that. */
export function parseChannelList(text: string): Set<string> | undefined {
  let data: unknown;
  try {
    data = JSON.parse(text.trim());
  } catch {
    return undefined;
  }
  if (typeof data !== 'object' || data === null || typeof (data as { row_count?: unknown }).row_count !== 'number') return undefined;
  const rows = (data as { rows?: unknown }).rows;
  const out = new Set<string>();
  if (Array.isArray(rows)) for (const r of rows) if (r && typeof r === 'object' && typeof (r as { uuid?: unknown }).uuid === 'string') out.add((r as { uuid: string }).uuid);
  return out;
}
