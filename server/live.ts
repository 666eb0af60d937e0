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
import type { FloorState, ChangeSet, Alert, AgentState, CallState } from '../shared/state.ts';
import type { TranscriptViewer } from './transcripts.ts';
import type { Ack, AgentView, CallDetail, CallView, Delta, FloorTotals, LiveClientToServer, LiveScope, LiveServerToClient, Snapshot } from '../shared/wire.ts';
import { scopeAgentView, scopeCallDetail, scopeCallView, scopeFilter, scopeKey, scopeVoicemailView, type ScopeFilter, type SupervisorScope } from '../shared/scope.ts';
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
type DeltaBody = Omit<Delta, 'seq' | 'serverNowMs'>;

/** Between a room's kind (and agent id) and its scope's key: ids never hold control characters (shared/events.ts). */
const SCOPE_SEP = '\u001f';

/**
 * The room of a scope: `floor`, `wallboard`, `agent:<id>` for the whole floor; the same
 * followed by the scope's key (shared/scope.ts `scopeKey`) for a scoped supervisor or
 * wallboard. Every socket of one scope shares its room, its sequence and its deltas.
 */
export function roomOf(scope: LiveScope): string {
  const base = scope.kind === 'agent' ? `agent:${scope.agentId}` : scope.kind;
  const key = scopeKey(scope.limit);
  return key ? `${base}${SCOPE_SEP}${key}` : base;
}

/**
 * A floor room (the whole floor, or one scope of it) and what its members hold, as of the
 * room's last seq: the diff baseline of its agents and open alerts (see {@link LiveHub}).
 */
interface FloorRoom {
  name: string;
  limit: SupervisorScope | undefined;
  /**
   * Each agent's view as every member holds it, i.e. as of the room's last seq. A floor delta
   * carries only the fields that differ from it, so it must never lag or lead what the members
   * hold. Kept up to date by every delta of the room, and made the current state by every
   * snapshot of it (see `rebaseFloor`): whatever happened while nobody was in the room, a
   * snapshot and the next delta agree on their base.
   */
  base: Map<string, AgentView>;
  /**
   * False while no member holds a copy built on `base`: after a resync delta every member
   * takes a snapshot, so none of them needs a catch-up delta first.
   */
  baseHeld: boolean;
  /**
   * The room's open alerts as every member holds them (copies), as of the room's last seq,
   * like `base` for agents: an open alert the room holds is sent as a patch against its copy.
   */
  alerts: Map<string, Alert>;
  /** Open alerts held whose value alone moved since: sent together by `flushAlertValues`. */
  pendingAlertValues: Set<string>;
  /** Scoped rooms: the live calls the members hold, so a call that stops being theirs is removed and no other id is ever sent. */
  shownCalls: Set<string>;
  /** Scoped rooms: the callbacks the members hold (a callback handed to an agent not theirs resyncs the room: there is no removal). */
  shownCallbacks: Set<string>;
  /** Scoped rooms: their queues as of the last snapshot (with only teams they follow the agents, and a change resyncs the room). */
  queuesKey: string;
}

/** An agent's room, the agent's own or a scoped supervisor's view of one of their agents. */
interface AgentRoom {
  name: string;
  agentId: string;
  limit: SupervisorScope | undefined;
  /**
   * The room's own view (`me`) as its members hold it, as of the room's last seq; undefined
   * while no member holds one built on it (after a resync delta). A snapshot whose `me`
   * differs sends it to the members first.
   */
  meHeld: AgentView | null | undefined;
  /** Scoped rooms: the live calls the members hold. */
  shownCalls: Set<string>;
}

/** A wallboard room: the whole floor's, or a scoped wallboard token's. */
interface WallRoom {
  name: string;
  limit: SupervisorScope | undefined;
}

function queuesKeyOf(f: ScopeFilter): string {
  const q = f.queueIds();
  return q ? [...q].sort().join(SCOPE_SEP) : '';
}

/**
 * The /live rooms and what goes out to them. Each distinct scope is one room: supervisors with
 * the same queues and teams share its snapshots' and deltas' computation (one ScopeFilter, one
 * diff baseline, one broadcast), whatever their number.
 */
export class LiveHub {
  private seqs = new Map<string, number>();
  private kpiTimer: NodeJS.Timeout | undefined;
  private agentTimer: NodeJS.Timeout | undefined;
  private lastKpiPushMs = -Infinity;
  private lastAgentTotalsMs = -Infinity;
  private pendingQueues = new Set<string>();
  /** Floor rooms by name; `floor` (the whole floor) always. */
  private floors = new Map<string, FloorRoom>();
  /** Agent rooms by name, and by agent id. */
  private agentRooms = new Map<string, AgentRoom>();
  private agentRoomsOf = new Map<string, Set<AgentRoom>>();
  /** Wallboard rooms by name. */
  private walls = new Map<string, WallRoom>();
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
   * agent); zero in a healthy run. `scopeResyncs`: scoped rooms told to take a
   * fresh snapshot because what is theirs changed (an agent joined or left
   * their teams or queues); `scopeCuts`: scoped supervisors' sockets closed
   * because the agent whose view they watched left their scope.
   */
  readonly stats = { snapshots: 0, deltas: 0, laggards: 0, deltasDropped: 0, catchUps: 0, resyncsCoalesced: 0, resyncsRefused: 0, scopeResyncs: 0, scopeCuts: 0 };

  constructor(
    private readonly nsp: LiveNamespace,
    private readonly state: () => FloorState,
    private readonly clock: { now(): number },
    /** Adds what the transcript privacy setting keeps to a drill-down (server/transcripts.ts); none: the detail as it is. */
    private readonly withTranscript?: (detail: CallDetail, c: CallState | undefined, viewer: TranscriptViewer) => Promise<CallDetail>,
  ) {
    this.floorRoom({ kind: 'floor' });
    nsp.on('connection', (socket) => this.onConnection(socket));
  }

  /** Rooms of distinct scopes open now, by kind (the whole floor's counted too). */
  get roomCounts(): { floor: number; agent: number; wallboard: number } {
    let floor = 0, agent = 0, wallboard = 0;
    for (const r of this.floors.values()) if (this.hasMembers(r.name)) floor++;
    for (const r of this.agentRooms.values()) if (this.hasMembers(r.name)) agent++;
    for (const r of this.walls.values()) if (this.hasMembers(r.name)) wallboard++;
    return { floor, agent, wallboard };
  }

  private floorRoom(scope: { kind: 'floor'; limit?: SupervisorScope }): FloorRoom {
    const name = roomOf(scope);
    let r = this.floors.get(name);
    if (!r) this.floors.set(name, (r = { name, limit: scope.limit, base: new Map(), baseHeld: false, alerts: new Map(), pendingAlertValues: new Set(), shownCalls: new Set(), shownCallbacks: new Set(), queuesKey: '' }));
    return r;
  }

  private agentRoom(scope: { kind: 'agent'; agentId: string; limit?: SupervisorScope }): AgentRoom {
    const name = roomOf(scope);
    let r = this.agentRooms.get(name);
    if (!r) {
      this.agentRooms.set(name, (r = { name, agentId: scope.agentId, limit: scope.limit, meHeld: undefined, shownCalls: new Set() }));
      let set = this.agentRoomsOf.get(scope.agentId);
      if (!set) this.agentRoomsOf.set(scope.agentId, (set = new Set()));
      set.add(r);
    }
    return r;
  }

  private wallRoom(scope: { kind: 'wallboard'; limit?: SupervisorScope }): WallRoom {
    const name = roomOf(scope);
    let r = this.walls.get(name);
    if (!r) this.walls.set(name, (r = { name, limit: scope.limit }));
    return r;
  }

  /** Forgets scoped and agent rooms nobody is in or joining: their baselines are rebuilt by the next snapshot anyway. */
  private pruneRooms(): void {
    for (const name of this.floors.keys()) if (name !== 'floor' && !this.hasMembers(name) && !this.joining.has(name)) this.floors.delete(name);
    for (const [name, r] of this.agentRooms) {
      if (this.hasMembers(name) || this.joining.has(name)) continue;
      this.agentRooms.delete(name);
      const set = this.agentRoomsOf.get(r.agentId);
      set?.delete(r);
      if (set?.size === 0) this.agentRoomsOf.delete(r.agentId);
    }
    for (const name of this.walls.keys()) if (name !== 'wallboard' && !this.hasMembers(name) && !this.joining.has(name)) this.walls.delete(name);
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
      const c = s.calls.get(callId);
      if (!c) return ack({ ok: false, error: `call ${callId.slice(0, 128)} is not in memory` });
      // A scoped supervisor opens their calls only (shared/scope.ts), and sees no other team's agent in them.
      const f = scopeFilter(s, scope.limit);
      if (f.restricted && !f.call(c)) return ack({ ok: false, error: 'not in your scope: this call is not in your queues or teams' });
      // An agent sees their own part of a call only: their rings and segments, their alerts, no other agent.
      const detail = scope.kind === 'agent' ? selectAgentCallDetail(s, callId, scope.agentId) : selectCallDetail(s, callId);
      if (!detail) return ack({ ok: false, error: 'not your call' });
      const scoped = scopeCallDetail(detail, f);
      if (!this.withTranscript) return ack({ ok: true, data: scoped });
      // The words: a supervisor's unmasked, an agent's their own evidence with listed words masked.
      const viewer: TranscriptViewer = scope.kind === 'agent' ? { kind: 'agent', agentId: scope.agentId } : { kind: 'supervisor', filter: f };
      this.withTranscript(scoped, c, viewer).then(
        (data) => ack({ ok: true, data }),
        (err: Error) => ack({ ok: false, error: `the call's transcript could not be read: ${err.message.slice(0, 200)}` }),
      );
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
   * agent patches, so a floor snapshot first makes the room's diff baseline
   * the state it shows. A scoped scope (`limit`) gets only what is theirs
   * (shared/scope.ts), through the same selectors.
   */
  snapshot(scope: LiveScope): Snapshot {
    const s = this.state();
    const now = this.clock.now();
    const f = scopeFilter(s, scope.limit);
    this.stats.snapshots++;
    let payload: Snapshot['payload'];
    if (scope.kind === 'floor') {
      const room = this.floorRoom(scope);
      const floor = selectFloorPayload(s, f);
      // Alerts first: both ask whether the room's members hold a baseline, which rebaseFloor then makes true.
      floor.alerts = this.floorAlertsAsHeld(room, floor.alerts);
      this.rebaseFloor(room, floor.agents);
      if (f.restricted) {
        room.shownCalls = new Set(floor.calls.map((c) => c.callId));
        room.shownCallbacks = new Set(floor.callbacks.map((c) => c.callbackId));
        room.queuesKey = queuesKeyOf(f);
      }
      payload = floor;
    } else if (scope.kind === 'agent') {
      const room = this.agentRoom(scope);
      const mine = selectAgentPayload(s, scope.agentId, f);
      this.rebaseAgent(room, mine.me);
      // The calls the snapshot shows are the agent's: their end or move must reach the room as a removal
      // even when no delta ever showed them (a call taken over from the log's replay after a restart).
      for (const c of mine.calls) if (!this.callShownTo.has(c.callId)) this.callShownTo.set(c.callId, scope.agentId);
      if (f.restricted) room.shownCalls = new Set(mine.calls.map((c) => c.callId));
      payload = mine;
    } else {
      this.wallRoom(scope);
      payload = selectWallboardPayload(s, f);
    }
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
   * Makes the current agent views a floor room's diff baseline. Members that
   * hold the old baseline first get the difference as a delta (one seq), so
   * that every member and the snapshot about to go out hold the same views at
   * the same seq. With nobody in the room (or everybody about to take a
   * snapshot) there is nothing to send.
   */
  private rebaseFloor(room: FloorRoom, views: AgentView[]): void {
    if (room.baseHeld && this.hasMembers(room.name)) {
      const patches: AgentPatch[] = [];
      for (const v of views) {
        const patch = diffAgentView(room.base.get(v.agentId), v);
        if (patch) patches.push(patch);
      }
      if (patches.length > 0) {
        this.stats.catchUps++;
        this.emit(room.name, { agents: patches });
      }
    }
    room.base = new Map(views.map((v) => [v.agentId, v]));
    room.baseHeld = true;
  }

  /**
   * A floor snapshot's alerts. While members hold the room's copies, an
   * open alert whose value alone moved since is shown as they hold it (its
   * value as of the last push, with the `updatedAtMs` it was measured at): the
   * snapshot and every member then agree at the same seq, and the coalesced
   * push brings all of them the new values at once. With nobody holding a
   * baseline, the current alerts become it.
   */
  private floorAlertsAsHeld(room: FloorRoom, alerts: Alert[]): Alert[] {
    if (room.baseHeld && this.hasMembers(room.name)) {
      if (room.pendingAlertValues.size === 0) return alerts;
      return alerts.map((a) => (room.pendingAlertValues.has(a.id) ? (room.alerts.get(a.id) ?? a) : a));
    }
    room.pendingAlertValues.clear();
    room.alerts = new Map(alerts.filter((a) => a.status === 'open').map((a) => [a.id, { ...a }]));
    return alerts;
  }

  /**
   * Sends each floor room the values of open alerts that moved since it was
   * last sent them, as patches (one seq), and forgets them. With nobody
   * holding the baseline (no members, or all of them about to take a
   * snapshot) there is nothing to send.
   */
  private flushAlertValues(): void {
    if (this.alertValueTimer) clearTimeout(this.alertValueTimer);
    this.alertValueTimer = undefined;
    const s = this.state();
    for (const room of this.floors.values()) {
      if (room.pendingAlertValues.size === 0) continue;
      const ids = [...room.pendingAlertValues];
      room.pendingAlertValues.clear();
      if (!room.baseHeld || !this.hasMembers(room.name)) continue;
      const patches: AlertPatch[] = [];
      for (const id of ids) {
        const a = s.alerts.get(id);
        const held = room.alerts.get(id);
        if (!a || !held) continue;
        const patch = diffAlert(held, a);
        if (!patch) continue;
        patches.push(patch);
        room.alerts.set(id, { ...a });
      }
      if (patches.length > 0) this.emit(room.name, { alertPatches: patches });
    }
  }

  private scheduleAlertValues(): void {
    if (this.alertValueTimer) return;
    let pending = false;
    for (const room of this.floors.values()) if (room.pendingAlertValues.size > 0) pending = true;
    if (!pending) return;
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
  private rebaseAgent(room: AgentRoom, me: AgentView | null): void {
    const held = room.meHeld;
    if (held !== undefined && this.hasMembers(room.name) && JSON.stringify(held) !== JSON.stringify(me)) {
      this.stats.catchUps++;
      this.emit(room.name, { me });
    }
    room.meHeld = me;
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

  private emit(room: string, delta: DeltaBody): void {
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

  /** Whether anybody watches agent `id`'s view (their own room or a scoped supervisor's). */
  private agentWatched(id: string): boolean {
    const set = this.agentRoomsOf.get(id);
    if (!set) return false;
    for (const r of set) if (this.hasMembers(r.name)) return true;
    return false;
  }

  /** Pushes the state changes of one drain at once; KPI changes are coalesced. */
  publish(changes: ChangeSet, alerts: Alert[]): void {
    const s = this.state();
    if (changes.resync) {
      this.resyncAll();
      return;
    }
    this.pruneRooms();
    for (const q of changes.queues) this.pendingQueues.add(q);
    const alertById = new Map<string, Alert>();
    for (const a of alerts) alertById.set(a.id, a);
    // Agent views and call views of this drain, selected once for every room.
    const agentViews = new Map<string, AgentView>();
    const viewOf = (a: AgentState): AgentView => {
      let v = agentViews.get(a.agentId);
      if (!v) agentViews.set(a.agentId, (v = selectAgentView(s, a)));
      return v;
    };

    // Which agents' rooms are touched, and with what.
    const perAgent = new Map<string, DeltaBody>();
    const forAgent = (id: string) => {
      let d = perAgent.get(id);
      if (!d) perAgent.set(id, (d = {}));
      return d;
    };

    if (changes.calls.size > 0) {
      for (const id of changes.calls) {
        const c = s.calls.get(id);
        const live = c !== undefined && s.liveCalls.has(id);
        const view = c ? selectCallView(c) : undefined;
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
    }

    if (alertById.size > 0) {
      // An agent's room: every alert of theirs of the live day (state.agentAlerts), which may hold one
      // retracted after it was resolved; an alert change that left that list is a removal.
      const ofToday = new Map<string, Set<string>>();
      for (const a of alertById.values()) {
        const agentId = a.agentId;
        if (agentId === undefined || !this.agentWatched(agentId)) continue;
        let mine = ofToday.get(agentId);
        if (!mine) ofToday.set(agentId, (mine = new Set((s.agentAlerts.get(agentId) ?? []).map((x) => x.id))));
        const d = forAgent(agentId);
        if (mine.has(a.id)) (d.alerts ??= []).push(selectAlertForAgent(a));
        else (d.alertsRemoved ??= []).push(a.id);
      }
    }

    for (const id of changes.voicemails) {
      const v = s.voicemails.get(id);
      if (v?.agentId !== undefined) (forAgent(v.agentId).voicemails ??= []).push(selectVoicemailView(v));
    }
    for (const id of changes.callbacks) {
      const cb = s.callbacks.get(id);
      if (cb) (forAgent(cb.agentId).callbacks ??= []).push(selectCallbackView(cb));
    }

    if (changes.agents.size > 0) {
      for (const id of changes.agents) {
        const a = s.agents.get(id);
        if (!a || !this.agentWatched(id)) continue;
        forAgent(id).me = viewOf(a);
      }
    }
    for (const id of changes.notes) forAgent(id).notes = [...(s.agentNotes.get(id) ?? [])];
    if (changes.worklist) {
      // Each agent's worklist is built here, on the server, with the numbers of items not assigned to them masked and others' items left out.
      for (const id of this.agentRoomsOf.keys()) if (this.agentWatched(id)) forAgent(id).worklist = selectAgentWorklist(s, id);
    }

    // Every floor room with members: the whole floor, and each scope of it.
    for (const room of this.floors.values()) {
      if (!this.hasMembers(room.name)) continue;
      const f = scopeFilter(s, room.limit);
      const d = this.floorDelta(room, f, s, changes, alertById, viewOf);
      if (d === 'resync') this.resyncFloor(room);
      else if (Object.keys(d).length > 0) this.emit(room.name, d);
    }
    this.scheduleAlertValues();

    if (changes.ticker) {
      const texts = selectTickerTexts(s);
      for (const w of this.walls.values()) if (this.hasMembers(w.name)) this.emit(w.name, { ticker: texts });
    }

    for (const [id, d] of perAgent) {
      const rooms = this.agentRoomsOf.get(id);
      if (!rooms) continue;
      for (const room of rooms) {
        if (!this.hasMembers(room.name)) continue;
        if (room.limit === undefined) this.emitAgent(room, d);
        else this.emitScopedAgent(room, d, s, alertById);
      }
    }
    // Agent and call changes move agents-by-state and waiting counts too.
    if (changes.kpis || changes.queues.size > 0 || changes.agents.size > 0 || changes.calls.size > 0) this.scheduleKpis();
  }

  /** An agent's own room: its delta as built, or a resync when the agent moved to another team (other thresholds, the room's config). */
  private emitAgent(room: AgentRoom, d: DeltaBody): void {
    const held = room.meHeld;
    if (d.me && held && held.team !== d.me.team) {
      room.meHeld = undefined;
      this.emit(room.name, { resync: true });
      return;
    }
    if (d.me !== undefined) room.meHeld = d.me;
    if (Object.keys(d).length > 0) this.emit(room.name, d);
  }

  /**
   * A scoped supervisor's view of one of their agents: the agent's delta with only what is theirs
   * (shared/scope.ts). When the agent leaves their scope, their sockets in the room are closed:
   * they may not watch that agent any more (a reconnect is refused at the handshake).
   */
  private emitScopedAgent(room: AgentRoom, d: DeltaBody, s: FloorState, alertById: Map<string, Alert>): void {
    const f = scopeFilter(s, room.limit);
    const a = s.agents.get(room.agentId);
    if (!a || !f.agentOf(a.team, a.queues)) {
      this.stats.scopeCuts += this.nsp.adapter.rooms.get(room.name)?.size ?? 0;
      this.nsp.in(room.name).disconnectSockets(true);
      room.meHeld = undefined;
      return;
    }
    const out: DeltaBody = {};
    if (d.me !== undefined) {
      const me = d.me ? scopeAgentView(d.me, f, s) : null;
      if (me && room.meHeld && room.meHeld.team !== me.team) {
        room.meHeld = undefined;
        this.emit(room.name, { resync: true });
        return;
      }
      out.me = me;
      room.meHeld = me;
    }
    const removed: string[] = [];
    for (const id of d.callsRemoved ?? []) if (room.shownCalls.delete(id)) removed.push(id);
    const calls: CallView[] = [];
    for (const v of d.calls ?? []) {
      const c = s.calls.get(v.callId);
      if (c && f.call(c)) {
        calls.push(scopeCallView(v, f));
        room.shownCalls.add(v.callId);
      } else if (room.shownCalls.delete(v.callId)) removed.push(v.callId);
    }
    if (calls.length) out.calls = calls;
    if (removed.length) out.callsRemoved = removed;
    const alertsOk = d.alerts?.filter((x) => f.alert(x));
    if (alertsOk?.length) out.alerts = alertsOk;
    const alertsGone = d.alertsRemoved?.filter((id) => {
      const x = alertById.get(id);
      return x !== undefined && f.alert(x);
    });
    if (alertsGone?.length) out.alertsRemoved = alertsGone;
    const vms = d.voicemails?.filter((v) => f.voicemail(v));
    if (vms?.length) out.voicemails = vms;
    if (d.callbacks) out.callbacks = d.callbacks;
    if (d.notes) out.notes = d.notes;
    if (d.worklist) out.worklist = d.worklist.filter((w) => f.worklistItem(w));
    if (Object.keys(out).length > 0) this.emit(room.name, out);
  }

  /**
   * One floor room's delta of a drain, or `'resync'` when what is theirs changed (a scoped
   * room: an agent joined or left their teams or queues, or their queues followed their
   * agents): then every member takes a fresh snapshot. The whole floor's room gets every
   * change, as before scopes; a scoped room only what its filter lets through, with the
   * references to anything else blanked (shared/scope.ts), and a call removed only when the
   * room held it.
   */
  private floorDelta(room: FloorRoom, f: ScopeFilter, s: FloorState, changes: ChangeSet, alertById: Map<string, Alert>, viewOf: (a: AgentState) => AgentView): DeltaBody | 'resync' {
    const floor: DeltaBody = {};
    if (f.restricted && room.baseHeld && queuesKeyOf(f) !== room.queuesKey) return 'resync';

    if (changes.agents.size > 0) {
      const patches: AgentPatch[] = [];
      for (const id of changes.agents) {
        const a = s.agents.get(id);
        if (!a) continue;
        let view = viewOf(a);
        if (f.restricted) {
          const held = room.base.get(id);
          const theirs = f.agentOf(a.team, a.queues);
          if (!theirs) {
            // An agent leaving their scope cannot be patched away: the members take a snapshot without them.
            room.base.delete(id);
            if (held && room.baseHeld) return 'resync';
            continue;
          }
          // One joining brings calls and alerts of theirs along.
          if (room.baseHeld && !held && agentHasMore(s, id)) return 'resync';
          view = scopeAgentView(view, f, s);
        }
        const patch = diffAgentView(room.base.get(id), view);
        if (patch) patches.push(patch);
        room.base.set(id, view);
      }
      if (patches.length) floor.agents = patches;
    }

    if (changes.calls.size > 0) {
      const calls: CallView[] = [];
      const removed: string[] = [];
      for (const id of changes.calls) {
        const c = s.calls.get(id);
        const live = c !== undefined && s.liveCalls.has(id);
        if (!f.restricted) {
          if (live && c) calls.push(selectCallView(c));
          else removed.push(id);
        } else if (live && c && f.call(c)) {
          calls.push(scopeCallView(selectCallView(c), f));
          room.shownCalls.add(id);
        } else if (room.shownCalls.delete(id)) removed.push(id);
      }
      if (calls.length) floor.calls = calls;
      if (removed.length) floor.callsRemoved = removed;
    }

    if (alertById.size > 0) {
      // An alert change reaches the room as an upsert when the alert is among those the room's
      // snapshot is built from, and as a removal when it is not (any more): the engine decides
      // what the list holds, and a delta never leaves a copy holding what a snapshot would not.
      // The floor's feed: open alerts and the day's resolved ones (a retracted one, or a past
      // day's resolved after midnight, leaves it). An open alert the room already holds goes as
      // a patch; its value alone waits for the coalesced push. A scoped room: only its alerts
      // (whose subjects never change: an alert not theirs now never was).
      const list: Alert[] = [];
      const removed: string[] = [];
      const patches: AlertPatch[] = [];
      let recent: Set<string> | undefined;
      for (const a of alertById.values()) {
        if (f.restricted && !f.alert(a)) continue;
        recent ??= new Set(s.recentAlerts.map((x) => x.id));
        const held = room.baseHeld ? room.alerts.get(a.id) : undefined;
        if (!s.alerts.has(a.id) && !recent.has(a.id)) {
          removed.push(a.id);
          room.alerts.delete(a.id);
          room.pendingAlertValues.delete(a.id);
        } else if (held && a.status === 'open') {
          const patch = diffAlert(held, a);
          if (patch && isValueOnly(patch)) room.pendingAlertValues.add(a.id);
          else if (patch) {
            patches.push(patch);
            room.alerts.set(a.id, { ...a });
            room.pendingAlertValues.delete(a.id);
          }
        } else {
          list.push(a);
          if (a.status === 'open') room.alerts.set(a.id, { ...a });
          else room.alerts.delete(a.id);
          room.pendingAlertValues.delete(a.id);
        }
      }
      if (list.length) floor.alerts = list;
      if (removed.length) floor.alertsRemoved = removed;
      if (patches.length) floor.alertPatches = patches;
    }

    if (changes.voicemails.size > 0) {
      const list = [];
      for (const id of changes.voicemails) {
        const v = s.voicemails.get(id);
        if (v && (!f.restricted || f.voicemail(v))) list.push(scopeVoicemailView(selectVoicemailView(v), f));
      }
      if (list.length) floor.voicemails = list;
    }

    if (changes.callbacks.size > 0) {
      const list = [];
      for (const id of changes.callbacks) {
        const cb = s.callbacks.get(id);
        if (!cb) continue;
        if (!f.restricted) list.push(selectCallbackView(cb));
        else if (f.callback(cb)) {
          list.push(selectCallbackView(cb));
          room.shownCallbacks.add(id);
        } else if (room.shownCallbacks.has(id) && room.baseHeld) return 'resync';
      }
      if (list.length) floor.callbacks = list;
    }

    if (changes.ticker) floor.ticker = [...s.ticker];
    // The whole list (bounded), with every number: the floor's, or their queues' items.
    if (changes.worklist) floor.worklist = selectFloorWorklist(s, f);
    return floor;
  }

  /** Tells a floor room's members to take a fresh snapshot; none of them holds the baseline any more. */
  private resyncFloor(room: FloorRoom): void {
    this.stats.scopeResyncs++;
    room.baseHeld = false;
    room.pendingAlertValues.clear();
    this.emit(room.name, { resync: true });
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

  /** The coalesced KPI push: queue tiles and totals to floor and wallboard rooms (each scope its own), totals to agents. */
  pushKpis(): void {
    const s = this.state();
    this.lastKpiPushMs = performance.now();
    const floors = [...this.floors.values()].filter((r) => this.hasMembers(r.name));
    const walls = [...this.walls.values()].filter((r) => this.hasMembers(r.name));
    if (floors.length > 0 || walls.length > 0) {
      const queues = selectAllQueueKpis(s);
      let totals: FloorTotals | undefined;
      const of = (limit: SupervisorScope | undefined) => {
        const f = scopeFilter(s, limit);
        if (!f.restricted) return { f, queues, totals: (totals ??= selectTotals(s)) };
        return { f, queues: queues.filter((q) => f.queue(q.queueId)), totals: selectTotals(s, f) };
      };
      // One computation per distinct scope, however many rooms and members share it.
      const byKey = new Map<string, ReturnType<typeof of>>();
      const cached = (limit: SupervisorScope | undefined) => {
        const key = scopeKey(limit);
        let v = byKey.get(key);
        if (!v) byKey.set(key, (v = of(limit)));
        return v;
      };
      for (const room of floors) {
        const { f, queues: qs, totals: t } = cached(room.limit);
        // fromEntries defines own properties: a queue named "__proto__" is a key like any other, not the object's prototype.
        const intervals: Record<string, ReturnType<typeof selectIntervals>> = Object.fromEntries(
          [...this.pendingQueues].flatMap((id) => {
            const q = s.queues.get(id);
            return q && (!f.restricted || f.queue(id)) ? [[id, selectIntervals(s, q)]] : [];
          }),
        );
        this.emit(room.name, { queues: qs, totals: t, intervals });
      }
      for (const room of walls) {
        const { queues: qs, totals: t } = cached(room.limit);
        this.emit(room.name, { queues: qs, totals: t });
      }
    }
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
    const byKey = new Map<string, FloorTotals>();
    for (const room of this.agentRooms.values()) {
      if (!this.hasMembers(room.name)) continue;
      const key = scopeKey(room.limit);
      let totals = byKey.get(key);
      if (!totals) {
        const s = this.state();
        byKey.set(key, (totals = selectTotals(s, scopeFilter(s, room.limit))));
      }
      this.emit(room.name, { totals });
    }
  }

  /** After a day rollover or a configuration change: every room starts over from a snapshot. */
  resyncAll(): void {
    // Every member is told to take a snapshot: none holds the baseline any more, and the first snapshot rebases it.
    for (const room of this.floors.values()) {
      room.baseHeld = false;
      room.pendingAlertValues.clear();
    }
    for (const room of this.agentRooms.values()) room.meHeld = undefined;
    const names = [...this.floors.keys(), ...this.walls.keys(), ...this.agentRooms.keys()];
    for (const name of names) if (this.hasMembers(name)) this.emit(name, { resync: true });
  }

  /** Refreshes one agent's own view (e.g. after their quota changed), in every room watching it. */
  refreshAgent(agentId: string): void {
    const s = this.state();
    const a = s.agents.get(agentId);
    if (!a) return;
    for (const room of this.agentRoomsOf.get(agentId) ?? []) {
      if (!this.hasMembers(room.name)) continue;
      const me = scopeAgentView(selectAgentView(s, a), scopeFilter(s, room.limit), s);
      room.meHeld = me;
      this.emit(room.name, { me });
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

/**
 * Whether a floor room would hold more of an agent than its view once the agent is theirs: a
 * call, an alert of the day, a voicemail or a callback. An agent joining a scope with none of
 * these (a new agent signing in) is sent as a patch; else the room takes a fresh snapshot.
 */
function agentHasMore(s: FloorState, agentId: string): boolean {
  const a = s.agents.get(agentId);
  if (a?.callId !== undefined || (s.agentAlerts.get(agentId)?.length ?? 0) > 0) return true;
  for (const x of s.alerts.values()) if (x.agentId === agentId) return true;
  for (const v of s.voicemails.values()) if (v.agentId === agentId) return true;
  for (const cb of s.callbacks.values()) if (cb.agentId === agentId) return true;
  return false;
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
