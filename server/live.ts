/**
 * The `/live` namespace: a versioned snapshot on connect, then deltas.
 *
 * Each room (`floor`, `wallboard`, `agent:<id>`) has its own sequence number;
 * a client that sees a gap asks for a fresh snapshot. State changes (an agent
 * starts ringing, an alert is raised) are pushed at once; KPI changes are
 * coalesced. Nothing is ever sent with `io.emit`: every emit goes to a room,
 * and an agent's room only ever carries that agent's data.
 */
import type { Namespace, Socket } from 'socket.io';
import type { FloorState, ChangeSet, Alert } from '../shared/state.ts';
import type { Ack, AgentView, Delta, LiveClientToServer, LiveScope, LiveServerToClient, Snapshot } from '../shared/wire.ts';
import { diffAgentView, type AgentPatch } from '../shared/agent-patch.ts';
import { diffAlert, isValueOnly, type AlertPatch } from '../shared/alert-patch.ts';
import {
  selectAgentCallDetail,
  selectAgentPayload,
  selectAgentView,
  selectAlertForAgent,
  selectAllQueueKpis,
  selectCallbackView,
  selectCallDetail,
  selectCallView,
  selectFloorPayload,
  selectIntervals,
  selectScopeConfig,
  selectTickerTexts,
  selectTotals,
  selectVoicemailView,
  selectWallboardPayload,
} from '../shared/selectors.ts';
import { selectAgentWorklist, selectFloorWorklist } from '../shared/worklist-view.ts';

/** KPI pushes at most every 250 ms: 4 Hz is smooth for humans and cheap for thousands of sockets. */
export const KPI_PUSH_MS = 250;
/** Agent rooms get floor totals at most once a second: they are context, not the agent's own numbers. */
export const AGENT_TOTALS_PUSH_MS = 1_000;
/**
 * A growing open alert's measured value (and `updatedAtMs`) alone reaches the floor at most every
 * 5 s: the tick moves every such value each second, and 10,000 of them whole each second were
 * 4.55 MB/s per floor client. Its level, status or acknowledgement go out at once.
 */
export const ALERT_VALUE_PUSH_MS = 5_000;

/**
 * Most bytes the server keeps queued for one /live socket that is not reading
 * (engine.io's write buffer plus the WebSocket's unsent bytes). A floor
 * snapshot of 1,000 agents is ~0.5 MB: past this, one fresh snapshot when the
 * socket drains is cheaper than the backlog, so its deltas are dropped until then.
 */
export const LIVE_MAX_BACKLOG_BYTES = 1024 * 1024;
/** How often sockets that fell behind are checked for having drained: 4 Hz, like the KPI push. */
export const LAGGARD_CHECK_MS = 250;
/**
 * One resync answer per socket at most this often, ms. A client asks again only after a gap or a
 * `resync` delta, a few times a minute at worst; a snapshot of a big floor costs ~10 ms of CPU and
 * ~0.5 MB, so one a second per socket bounds what one client can make the server build.
 */
export const RESYNC_MIN_INTERVAL_MS = 1_000;
/**
 * Resync requests of one socket waiting for the same answer: the real client never has more than
 * one outstanding; more are answered at once with an error rather than held (each holds an ack).
 */
export const RESYNC_MAX_WAITING = 4;

/** A socket that does not read its snapshots must not be able to queue more of them. */
const TOO_SLOW = { ok: false, error: 'connection too slow: a fresh snapshot follows once it catches up' } as const;

interface EnginePacket {
  data?: unknown;
}
/** What the backlog check reads of engine.io's connection (its write buffer is not in the public types). */
interface EngineConnLike {
  writeBuffer?: EnginePacket[];
  transport?: { name?: string; writable?: boolean; socket?: { bufferedAmount?: number } };
}

function sizeOf(data: unknown): number {
  if (typeof data === 'string') return data.length;
  if (data instanceof ArrayBuffer) return data.byteLength;
  if (ArrayBuffer.isView(data)) return data.byteLength;
  return 0;
}

/** Bytes queued on the server for one socket and not yet handed to the network. */
export function liveBacklogBytes(socket: { conn: unknown }): number {
  const conn = socket.conn as EngineConnLike;
  let n = 0;
  for (const p of conn.writeBuffer ?? []) n += sizeOf(p.data);
  const t = conn.transport;
  if (t?.name === 'websocket') n += t.socket?.bufferedAmount ?? 0;
  return n;
}

export interface LiveSocketData {
  scope: LiveScope;
  principal?: import('./auth/principal.ts').Principal;
}

export type LiveNamespace = Namespace<LiveClientToServer, LiveServerToClient, Record<string, never>, LiveSocketData>;
type LiveSocket = Socket<LiveClientToServer, LiveServerToClient, Record<string, never>, LiveSocketData>;

export function roomOf(scope: LiveScope): string {
  return scope.kind === 'agent' ? `agent:${scope.agentId}` : scope.kind;
}

export class LiveHub {
  private seqs = new Map<string, number>();
  private kpiTimer: NodeJS.Timeout | undefined;
  private agentTimer: NodeJS.Timeout | undefined;
  private lastKpiPushMs = -Infinity;
  private lastAgentTotalsMs = -Infinity;
  private pendingQueues = new Set<string>();
  /**
   * The floor's diff baseline: each agent's view as every member of the floor
   * room holds it, i.e. as of the room's last seq. A floor delta carries only
   * the fields that differ from it, so it must never lag or lead what the
   * members hold. It is kept up to date by every floor delta, and made the
   * current state by every floor snapshot (see {@link rebaseFloor}): whatever
   * happened while nobody was in the room, a snapshot and the next delta agree
   * on their base.
   */
  private floorBase = new Map<string, AgentView>();
  /**
   * False while no member of the floor room holds a copy built on
   * {@link floorBase}: after a resync delta every member takes a snapshot, so
   * none of them needs a catch-up delta first.
   */
  private floorBaseHeld = false;
  /**
   * Each agent room's own view (`me`) as its members hold it, i.e. as of the
   * room's last seq; absent while no member holds one built on it (after a
   * resync delta). A snapshot whose `me` differs sends it to the members first.
   */
  private agentMeHeld = new Map<string, AgentView | null>();
  /**
   * The floor's open alerts as every member of the room holds them (copies), as of the room's
   * last seq, like {@link floorBase} for agents: an open alert the room holds is sent as a patch
   * against its copy here. Rebased by every floor snapshot; meaningful while {@link floorBaseHeld}.
   */
  private floorAlerts = new Map<string, Alert>();
  /** Open alerts held by the floor room whose value alone moved since: sent together by {@link flushAlertValues}. */
  private pendingAlertValues = new Set<string>();
  private alertValueTimer: NodeJS.Timeout | undefined;
  /** Last agent each live call was shown to, so a transfer removes it from the old agent's view. */
  private callShownTo = new Map<string, string>();
  /** Sockets whose deltas are being dropped because they stopped reading; each gets a fresh snapshot once drained. */
  private behind = new Map<string, LiveSocket>();
  private laggardTimer: NodeJS.Timeout | undefined;
  /**
   * Resync requests waiting for their socket's next answer, per socket id: the acks that share it
   * and the timer that sends it (see {@link RESYNC_MIN_INTERVAL_MS}).
   */
  private resyncWaiting = new Map<string, { acks: ((r: Ack<Snapshot>) => void)[]; timer: NodeJS.Timeout }>();
  /** When each socket was last answered a resync (performance.now() ms), for the rate limit. */
  private lastResyncMs = new Map<string, number>();
  /** Sockets connected this turn, per room, waiting for their shared snapshot. */
  private joining = new Map<string, { scope: LiveScope; ids: string[] }>();
  /**
   * `catchUps`: deltas sent to a floor or agent room before a snapshot because
   * its members held agent views that differed from the current state without
   * any change having been published (an engine change set that missed an
   * agent); zero in a healthy run.
   */
  readonly stats = { snapshots: 0, deltas: 0, laggards: 0, deltasDropped: 0, catchUps: 0, resyncsCoalesced: 0, resyncsRefused: 0 };

  constructor(
    private readonly nsp: LiveNamespace,
    private readonly state: () => FloorState,
    private readonly clock: { now(): number },
  ) {
    nsp.on('connection', (socket) => this.onConnection(socket));
  }

  private onConnection(socket: LiveSocket): void {
    const scope = socket.data.scope;
    this.queueJoin(roomOf(scope), scope, socket.id);
    socket.on('live:resync', (ack) => {
      if (typeof ack !== 'function') return;
      this.requestResync(socket, ack);
    });
    socket.on('disconnect', () => {
      this.behind.delete(socket.id);
      const waiting = this.resyncWaiting.get(socket.id);
      if (waiting) clearTimeout(waiting.timer);
      this.resyncWaiting.delete(socket.id);
      this.lastResyncMs.delete(socket.id);
    });
    socket.on('call:detail', (callId, ack) => {
      if (typeof ack !== 'function') return;
      if (typeof callId !== 'string') return ack({ ok: false, error: 'callId must be a string' });
      if (scope.kind === 'wallboard') return ack({ ok: false, error: 'the wallboard cannot open calls' });
      const s = this.state();
      if (!s.calls.has(callId)) return ack({ ok: false, error: `call ${callId.slice(0, 128)} is not in memory` });
      // An agent sees their own part of a call only: their rings and segments, their alerts, no other agent.
      const detail = scope.kind === 'agent' ? selectAgentCallDetail(s, callId, scope.agentId) : selectCallDetail(s, callId);
      if (!detail) return ack({ ok: false, error: 'not your call' });
      ack({ ok: true, data: detail });
    });
  }

  /**
   * A socket's `live:resync`: answered with a fresh snapshot at most once per
   * {@link RESYNC_MIN_INTERVAL_MS}; requests made while one waits share its
   * answer (up to {@link RESYNC_MAX_WAITING}); a socket whose unsent backlog is
   * past {@link LIVE_MAX_BACKLOG_BYTES} gets none and is marked behind like a
   * socket that misses deltas: one snapshot is pushed when it has drained.
   * Every ack is answered: `{ ok: true, data: Snapshot }` or `{ ok: false, error }`.
   */
  private requestResync(socket: LiveSocket, ack: (r: Ack<Snapshot>) => void): void {
    if (this.behind.has(socket.id)) {
      this.stats.resyncsRefused++;
      return ack(TOO_SLOW);
    }
    const waiting = this.resyncWaiting.get(socket.id);
    if (waiting) {
      if (waiting.acks.length >= RESYNC_MAX_WAITING) {
        this.stats.resyncsRefused++;
        return ack({ ok: false, error: 'a resync is already pending on this connection: its answer brings the snapshot' });
      }
      this.stats.resyncsCoalesced++;
      waiting.acks.push(ack);
      return;
    }
    // Real elapsed time, like the KPI push: the limit protects the server, not the feed.
    const wait = (this.lastResyncMs.get(socket.id) ?? -Infinity) + RESYNC_MIN_INTERVAL_MS - performance.now();
    if (wait <= 0) return this.answerResync(socket, [ack]);
    const timer = setTimeout(() => {
      const w = this.resyncWaiting.get(socket.id);
      this.resyncWaiting.delete(socket.id);
      if (w && socket.connected) this.answerResync(socket, w.acks);
    }, Math.max(0, wait));
    timer.unref?.();
    this.resyncWaiting.set(socket.id, { acks: [ack], timer });
  }

  /** Answers the acks waiting for one resync with one snapshot, or with an error when the socket is behind. */
  private answerResync(socket: LiveSocket, acks: ((r: Ack<Snapshot>) => void)[]): void {
    this.lastResyncMs.set(socket.id, performance.now());
    let snapshot: Snapshot | undefined;
    for (const ack of acks) {
      if (this.behind.has(socket.id) || this.fellBehind(socket)) {
        this.stats.resyncsRefused++;
        ack(TOO_SLOW);
        continue;
      }
      // Built once for all the acks sharing it; each send is counted by the backlog check of the next.
      snapshot ??= this.snapshot(socket.data.scope);
      ack({ ok: true, data: snapshot });
    }
  }

  /**
   * Marks a socket behind when its unsent backlog passed {@link LIVE_MAX_BACKLOG_BYTES}: it then
   * misses deltas and snapshots alike until it drains, and gets one fresh snapshot then.
   */
  private fellBehind(socket: LiveSocket): boolean {
    if (this.behind.has(socket.id)) return true;
    if ((socket.conn.transport as { writable?: boolean }).writable !== false) return false;
    if (liveBacklogBytes(socket) <= LIVE_MAX_BACKLOG_BYTES) return false;
    this.behind.set(socket.id, socket);
    this.stats.laggards++;
    this.watchLaggards();
    return true;
  }

  /**
   * Sockets that connect in the same turn share one snapshot, built and
   * encoded once and sent as one broadcast. A reconnect storm (a restart, a
   * network blip) is thousands of floor views at once; one snapshot each —
   * 1,000 agent views selected and stringified per socket — was most of the
   * server's CPU in the freshness bench's profile. They join the room in the
   * same turn as their snapshot goes out, so no delta comes between; the
   * snapshot is built before they join, so a catch-up delta it sends to the
   * members already there never reaches them ahead of their snapshot.
   */
  private queueJoin(room: string, scope: LiveScope, socketId: string): void {
    let batch = this.joining.get(room);
    if (!batch) {
      this.joining.set(room, (batch = { scope, ids: [] }));
      setImmediate(() => this.flushJoins(room));
    }
    batch.ids.push(socketId);
  }

  private flushJoins(room: string): void {
    const batch = this.joining.get(room);
    this.joining.delete(room);
    const ids = batch?.ids.filter((id) => this.nsp.sockets.has(id)) ?? [];
    if (!batch || ids.length === 0) return;
    const snapshot = this.snapshot(batch.scope);
    this.nsp.in(ids).socketsJoin(room);
    this.nsp.to(ids).emit('live:snapshot', snapshot);
  }

  private nextSeq(room: string): number {
    const n = (this.seqs.get(room) ?? 0) + 1;
    this.seqs.set(room, n);
    return n;
  }

  /**
   * A fresh snapshot of one scope, stamped with the room's current sequence:
   * the next delta of the room carries seq + 1 and is built on this state.
   * Agent and wallboard deltas carry whole values (views, calls, alerts,
   * KPIs), so any fresh state is a sound base for them; floor deltas carry
   * agent patches, so a floor snapshot first makes the floor's diff baseline
   * the state it shows.
   */
  snapshot(scope: LiveScope): Snapshot {
    const s = this.state();
    const now = this.clock.now();
    this.stats.snapshots++;
    let payload: Snapshot['payload'];
    if (scope.kind === 'floor') {
      const floor = selectFloorPayload(s);
      // Alerts first: both ask whether the room's members hold a baseline, which rebaseFloor then makes true.
      floor.alerts = this.floorAlertsAsHeld(floor.alerts);
      this.rebaseFloor(floor.agents);
      payload = floor;
    } else if (scope.kind === 'agent') {
      const mine = selectAgentPayload(s, scope.agentId);
      this.rebaseAgent(scope.agentId, mine.me);
      payload = mine;
    } else payload = selectWallboardPayload(s);
    return {
      scope,
      seq: this.seqs.get(roomOf(scope)) ?? 0,
      serverNowMs: now,
      day: { startMs: s.dayStartMs, endMs: s.dayEndMs },
      config: selectScopeConfig(s, scope),
      payload,
    };
  }

  /**
   * Makes the current agent views the floor's diff baseline. Members that
   * hold the old baseline first get the difference as a delta (one seq), so
   * that every member and the snapshot about to go out hold the same views at
   * the same seq. With nobody in the room (or everybody about to take a
   * snapshot) there is nothing to send.
   */
  private rebaseFloor(views: AgentView[]): void {
    if (this.floorBaseHeld && this.hasMembers('floor')) {
      const patches: AgentPatch[] = [];
      for (const v of views) {
        const patch = diffAgentView(this.floorBase.get(v.agentId), v);
        if (patch) patches.push(patch);
      }
      if (patches.length > 0) {
        this.stats.catchUps++;
        this.emit('floor', { agents: patches });
      }
    }
    this.floorBase = new Map(views.map((v) => [v.agentId, v]));
    this.floorBaseHeld = true;
  }

  /**
   * The floor snapshot's alerts. While members hold the room's copies, an
   * open alert whose value alone moved since is shown as they hold it (its
   * value as of the last push, with the `updatedAtMs` it was measured at): the
   * snapshot and every member then agree at the same seq, and the coalesced
   * push brings all of them the new values at once. With nobody holding a
   * baseline, the current alerts become it.
   */
  private floorAlertsAsHeld(alerts: Alert[]): Alert[] {
    if (this.floorBaseHeld && this.hasMembers('floor')) {
      if (this.pendingAlertValues.size === 0) return alerts;
      return alerts.map((a) => (this.pendingAlertValues.has(a.id) ? (this.floorAlerts.get(a.id) ?? a) : a));
    }
    this.pendingAlertValues.clear();
    if (this.alertValueTimer) clearTimeout(this.alertValueTimer);
    this.alertValueTimer = undefined;
    this.floorAlerts = new Map(alerts.filter((a) => a.status === 'open').map((a) => [a.id, { ...a }]));
    return alerts;
  }

  /**
   * Sends the floor room the values of open alerts that moved since it was
   * last sent them, as patches (one seq), and forgets them. With nobody
   * holding the baseline (no members, or all of them about to take a
   * snapshot) there is nothing to send.
   */
  private flushAlertValues(): void {
    if (this.alertValueTimer) clearTimeout(this.alertValueTimer);
    this.alertValueTimer = undefined;
    if (this.pendingAlertValues.size === 0) return;
    const ids = [...this.pendingAlertValues];
    this.pendingAlertValues.clear();
    if (!this.floorBaseHeld || !this.hasMembers('floor')) return;
    const s = this.state();
    const patches: AlertPatch[] = [];
    for (const id of ids) {
      const a = s.alerts.get(id);
      const held = this.floorAlerts.get(id);
      if (!a || !held) continue;
      const patch = diffAlert(held, a);
      if (!patch) continue;
      patches.push(patch);
      this.floorAlerts.set(id, { ...a });
    }
    if (patches.length > 0) this.emit('floor', { alertPatches: patches });
  }

  private scheduleAlertValues(): void {
    if (this.alertValueTimer || this.pendingAlertValues.size === 0) return;
    this.alertValueTimer = setTimeout(() => {
      this.alertValueTimer = undefined;
      this.flushAlertValues();
    }, ALERT_VALUE_PUSH_MS);
    this.alertValueTimer.unref?.();
  }

  /**
   * The same for an agent's room: its deltas carry `me` whole, so members
   * only lag when the view changed without a change being published; they
   * get it first, at the same seq as the snapshot.
   */
  private rebaseAgent(agentId: string, me: AgentView | null): void {
    const room = `agent:${agentId}`;
    const held = this.agentMeHeld.get(agentId);
    if (held !== undefined && this.hasMembers(room) && JSON.stringify(held) !== JSON.stringify(me)) {
      this.stats.catchUps++;
      this.emit(room, { me });
    }
    this.agentMeHeld.set(agentId, me);
  }

  /** The sequence number of a room's last delta (0 before any). */
  seqOf(scope: LiveScope): number {
    return this.seqs.get(roomOf(scope)) ?? 0;
  }

  /**
   * True when no coalesced push, join, resync answer or laggard snapshot is pending: every room has
   * been sent all it will be sent. Growing alerts' values waiting for their coalesced push do not
   * count: until it goes out, snapshots show the values the floor room holds.
   */
  get settled(): boolean {
    return this.kpiTimer === undefined && this.agentTimer === undefined && this.joining.size === 0 && this.behind.size === 0 && this.resyncWaiting.size === 0;
  }

  private hasMembers(room: string): boolean {
    return (this.nsp.adapter.rooms.get(room)?.size ?? 0) > 0;
  }

  private emit(room: string, delta: Omit<Delta, 'seq' | 'serverNowMs'>): void {
    const full: Delta = { seq: this.nextSeq(room), serverNowMs: this.clock.now(), ...delta };
    this.stats.deltas++;
    const skip = this.laggardsIn(room);
    if (skip.length > 0) {
      this.stats.deltasDropped += skip.length;
      this.nsp.to(room).except(skip).emit('live:delta', full);
    } else this.nsp.to(room).emit('live:delta', full);
  }

  /**
   * Sockets of a room that must not get this delta: those already behind, and
   * those whose unsent backlog passed {@link LIVE_MAX_BACKLOG_BYTES} (a client
   * that stopped reading). They miss deltas, never see a gap, and get one
   * fresh snapshot when they drain, so they cannot grow the server's memory
   * or slow the room down.
   */
  private laggardsIn(room: string): string[] {
    const ids = this.nsp.adapter.rooms.get(room);
    if (!ids) return [];
    const out: string[] = [];
    for (const id of ids) {
      if (this.behind.has(id)) {
        out.push(id);
        continue;
      }
      const socket = this.nsp.sockets.get(id);
      // Cheap test first: a transport that is writable has nothing waiting.
      if (!socket || (socket.conn.transport as { writable?: boolean }).writable !== false) continue;
      if (liveBacklogBytes(socket) <= LIVE_MAX_BACKLOG_BYTES) continue;
      this.behind.set(id, socket);
      this.stats.laggards++;
      out.push(id);
    }
    if (out.length > 0) this.watchLaggards();
    return out;
  }

  private watchLaggards(): void {
    if (this.laggardTimer) return;
    this.laggardTimer = setInterval(() => {
      for (const [id, socket] of this.behind) {
        if (!socket.connected) this.behind.delete(id);
        else if (liveBacklogBytes(socket) === 0) {
          // Drained: one snapshot stamped with the room's current seq replaces every delta it missed.
          // Built while the socket is still skipped, so a catch-up delta for the room does not reach it first.
          const snapshot = this.snapshot(socket.data.scope);
          this.behind.delete(id);
          socket.emit('live:snapshot', snapshot);
        }
      }
      if (this.behind.size === 0) {
        clearInterval(this.laggardTimer);
        this.laggardTimer = undefined;
      }
    }, LAGGARD_CHECK_MS);
    this.laggardTimer.unref?.();
  }

  /** Pushes the state changes of one drain at once; KPI changes are coalesced. */
  publish(changes: ChangeSet, alerts: Alert[]): void {
    const s = this.state();
    if (changes.resync) {
      this.resyncAll();
      return;
    }
    for (const q of changes.queues) this.pendingQueues.add(q);
    const alertById = new Map<string, Alert>();
    for (const a of alerts) alertById.set(a.id, a);

    // Which agents' rooms are touched, and with what.
    const perAgent = new Map<string, Omit<Delta, 'seq' | 'serverNowMs'>>();
    const forAgent = (id: string) => {
      let d = perAgent.get(id);
      if (!d) perAgent.set(id, (d = {}));
      return d;
    };

    const floor: Omit<Delta, 'seq' | 'serverNowMs'> = {};
    const floorWanted = this.hasMembers('floor');

    if (changes.calls.size > 0) {
      const calls = [];
      const removed: string[] = [];
      for (const id of changes.calls) {
        const c = s.calls.get(id);
        const live = c !== undefined && s.liveCalls.has(id);
        const view = c ? selectCallView(c) : undefined;
        if (live && view) calls.push(view);
        else removed.push(id);
        const prevAgent = this.callShownTo.get(id);
        const agent = live ? c?.agentId : undefined;
        if (prevAgent !== undefined && prevAgent !== agent) {
          (forAgent(prevAgent).callsRemoved ??= []).push(id);
          this.callShownTo.delete(id);
        }
        if (agent !== undefined && view) {
          (forAgent(agent).calls ??= []).push(view);
          this.callShownTo.set(id, agent);
        }
      }
      if (calls.length) floor.calls = calls;
      if (removed.length) floor.callsRemoved = removed;
    }

    if (alertById.size > 0) {
      // An alert change reaches a room as an upsert when the alert is among those the room's
      // snapshot is built from, and as a removal when it is not (any more): the engine decides
      // what each list holds, and a delta never leaves a copy holding what a snapshot would not.
      // The floor's feed: open alerts and the day's resolved ones (a retracted one, or a past
      // day's resolved after midnight, leaves it). An agent's room: every alert of theirs of the
      // live day (state.agentAlerts), which may hold one retracted after it was resolved.
      // An open alert the floor already holds goes as a patch; its value alone waits for the coalesced push.
      const list: Alert[] = [];
      const removed: string[] = [];
      const patches: AlertPatch[] = [];
      let recent: Set<string> | undefined;
      const ofToday = new Map<string, Set<string>>();
      for (const a of alertById.values()) {
        if (floorWanted) {
          recent ??= new Set(s.recentAlerts.map((x) => x.id));
          const held = this.floorBaseHeld ? this.floorAlerts.get(a.id) : undefined;
          if (!s.alerts.has(a.id) && !recent.has(a.id)) {
            removed.push(a.id);
            this.floorAlerts.delete(a.id);
            this.pendingAlertValues.delete(a.id);
          } else if (held && a.status === 'open') {
            const patch = diffAlert(held, a);
            if (patch && isValueOnly(patch)) this.pendingAlertValues.add(a.id);
            else if (patch) {
              patches.push(patch);
              this.floorAlerts.set(a.id, { ...a });
              this.pendingAlertValues.delete(a.id);
            }
          } else {
            list.push(a);
            if (a.status === 'open') this.floorAlerts.set(a.id, { ...a });
            else this.floorAlerts.delete(a.id);
            this.pendingAlertValues.delete(a.id);
          }
        }
        const agentId = a.agentId;
        if (agentId === undefined || !this.hasMembers(`agent:${agentId}`)) continue;
        let mine = ofToday.get(agentId);
        if (!mine) ofToday.set(agentId, (mine = new Set((s.agentAlerts.get(agentId) ?? []).map((x) => x.id))));
        const d = forAgent(agentId);
        if (mine.has(a.id)) (d.alerts ??= []).push(selectAlertForAgent(a));
        else (d.alertsRemoved ??= []).push(a.id);
      }
      if (list.length) floor.alerts = list;
      if (removed.length) floor.alertsRemoved = removed;
      if (patches.length) floor.alertPatches = patches;
      this.scheduleAlertValues();
    }

    if (changes.voicemails.size > 0) {
      const list = [];
      for (const id of changes.voicemails) {
        const v = s.voicemails.get(id);
        if (!v) continue;
        const view = selectVoicemailView(v);
        list.push(view);
        if (v.agentId !== undefined) (forAgent(v.agentId).voicemails ??= []).push(view);
      }
      if (list.length) floor.voicemails = list;
    }

    if (changes.callbacks.size > 0) {
      const list = [];
      for (const id of changes.callbacks) {
        const cb = s.callbacks.get(id);
        if (!cb) continue;
        const view = selectCallbackView(cb);
        list.push(view);
        (forAgent(cb.agentId).callbacks ??= []).push(view);
      }
      if (list.length) floor.callbacks = list;
    }

    const teamChanged = new Set<string>();
    if (changes.agents.size > 0) {
      const patches: AgentPatch[] = [];
      for (const id of changes.agents) {
        const a = s.agents.get(id);
        if (!a) continue;
        const agentRoom = this.hasMembers(`agent:${id}`);
        // With nobody on the floor the baseline is left as it is: the next floor snapshot rebases it.
        if (!floorWanted && !agentRoom) continue;
        const view = selectAgentView(s, a);
        if (floorWanted) {
          const patch = diffAgentView(this.floorBase.get(id), view);
          if (patch) patches.push(patch);
          this.floorBase.set(id, view);
        }
        if (agentRoom) {
          // Another team means other thresholds (the room's config): its members take a fresh snapshot.
          const held = this.agentMeHeld.get(id);
          if (held && held.team !== view.team) teamChanged.add(id);
          forAgent(id).me = view;
          this.agentMeHeld.set(id, view);
        }
      }
      if (patches.length && floorWanted) floor.agents = patches;
    }

    if (changes.ticker) {
      floor.ticker = [...s.ticker];
      if (this.hasMembers('wallboard')) this.emit('wallboard', { ticker: selectTickerTexts(s) });
    }
    for (const id of changes.notes) forAgent(id).notes = [...(s.agentNotes.get(id) ?? [])];
    if (changes.worklist) {
      // The whole list (bounded) to each room: the floor's with every number; each agent's built here,
      // on the server, with the numbers of items not assigned to them masked and others' items left out.
      if (floorWanted) floor.worklist = selectFloorWorklist(s);
      for (const room of this.nsp.adapter.rooms.keys()) {
        if (room.startsWith('agent:')) forAgent(room.slice('agent:'.length)).worklist = selectAgentWorklist(s, room.slice('agent:'.length));
      }
    }

    if (floorWanted && Object.keys(floor).length > 0) this.emit('floor', floor);
    for (const [id, d] of perAgent) {
      const room = `agent:${id}`;
      if (!this.hasMembers(room)) continue;
      if (teamChanged.has(id)) {
        this.agentMeHeld.delete(id);
        this.emit(room, { resync: true });
      } else if (Object.keys(d).length > 0) this.emit(room, d);
    }
    // Agent and call changes move agents-by-state and waiting counts too.
    if (changes.kpis || changes.queues.size > 0 || changes.agents.size > 0 || changes.calls.size > 0) this.scheduleKpis();
  }

  private scheduleKpis(): void {
    if (this.kpiTimer) return;
    // Real elapsed time, not the engine's clock: the limit protects sockets and people, not the feed.
    const wait = Math.max(0, KPI_PUSH_MS - (performance.now() - this.lastKpiPushMs));
    this.kpiTimer = setTimeout(() => {
      this.kpiTimer = undefined;
      this.pushKpis();
    }, wait);
    this.kpiTimer.unref?.();
  }

  /** The coalesced KPI push: queue tiles and totals to floor and wallboard, totals to agents. */
  pushKpis(): void {
    const s = this.state();
    this.lastKpiPushMs = performance.now();
    const floorWanted = this.hasMembers('floor');
    const wallWanted = this.hasMembers('wallboard');
    const queues = floorWanted || wallWanted ? selectAllQueueKpis(s) : [];
    const totals = selectTotals(s);
    if (floorWanted) {
      // fromEntries defines own properties: a queue named "__proto__" is a key like any other, not the object's prototype.
      const intervals: Record<string, ReturnType<typeof selectIntervals>> = Object.fromEntries(
        [...this.pendingQueues].flatMap((id) => {
          const q = s.queues.get(id);
          return q ? [[id, selectIntervals(s, q)]] : [];
        }),
      );
      this.emit('floor', { queues, totals, intervals });
    }
    if (wallWanted) this.emit('wallboard', { queues, totals });
    this.pendingQueues.clear();
    const sinceAgents = this.lastKpiPushMs - this.lastAgentTotalsMs;
    if (sinceAgents >= AGENT_TOTALS_PUSH_MS) this.pushAgentTotals();
    else if (!this.agentTimer) {
      // Trailing push: the last change of a burst reaches agents too, a little later.
      this.agentTimer = setTimeout(() => {
        this.agentTimer = undefined;
        this.pushAgentTotals();
      }, AGENT_TOTALS_PUSH_MS - sinceAgents);
      this.agentTimer.unref?.();
    }
  }

  private pushAgentTotals(): void {
    this.lastAgentTotalsMs = performance.now();
    let totals: ReturnType<typeof selectTotals> | undefined;
    for (const room of this.nsp.adapter.rooms.keys()) {
      if (!room.startsWith('agent:')) continue;
      totals ??= selectTotals(this.state());
      this.emit(room, { totals });
    }
  }

  /** After a day rollover or a configuration change: every room starts over from a snapshot. */
  resyncAll(): void {
    // Every member is told to take a snapshot: none holds the baseline any more, and the first snapshot rebases it.
    this.floorBaseHeld = false;
    this.pendingAlertValues.clear();
    this.agentMeHeld.clear();
    for (const room of [...this.nsp.adapter.rooms.keys()]) {
      if (room === 'floor' || room === 'wallboard' || room.startsWith('agent:')) this.emit(room, { resync: true });
    }
  }

  /** Refreshes one agent's own view (e.g. after their quota changed). */
  refreshAgent(agentId: string): void {
    const s = this.state();
    const a = s.agents.get(agentId);
    if (a && this.hasMembers(`agent:${agentId}`)) {
      const me = selectAgentView(s, a);
      this.agentMeHeld.set(agentId, me);
      this.emit(`agent:${agentId}`, { me });
    }
  }

  close(): void {
    if (this.laggardTimer) clearInterval(this.laggardTimer);
    this.laggardTimer = undefined;
    this.behind.clear();
    for (const w of this.resyncWaiting.values()) clearTimeout(w.timer);
    this.resyncWaiting.clear();
    if (this.kpiTimer) clearTimeout(this.kpiTimer);
    if (this.agentTimer) clearTimeout(this.agentTimer);
    if (this.alertValueTimer) clearTimeout(this.alertValueTimer);
    this.alertValueTimer = undefined;
    this.kpiTimer = undefined;
    this.agentTimer = undefined;
  }
}

/** Reads the scope a socket asks for from its handshake; returns an error text when it makes no sense. */
export function scopeFromHandshake(auth: Record<string, unknown>, query: Record<string, unknown>): LiveScope | string {
  const pick = (k: string) => (typeof auth[k] === 'string' ? (auth[k] as string) : typeof query[k] === 'string' ? (query[k] as string) : undefined);
  const kind = pick('scope') ?? 'floor';
  if (kind === 'floor' || kind === 'wallboard') return { kind };
  if (kind === 'agent') {
    const agentId = pick('agentId');
    if (!agentId || agentId.length > 128) return 'agent scope needs an agentId';
    return { kind: 'agent', agentId };
  }
  return `unknown scope "${kind.slice(0, 40)}": expected floor, wallboard or agent`;
}
