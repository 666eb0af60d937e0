/**
 * A /live client as the browser runs it: a real socket.io-client socket wired
 * by the client's own code (client/src/live.ts `routeTo`) into the real Pinia
 * stores (connection, floor, alerts), one Pinia per client. Its copy of the
 * room is what a page would show; `view()` puts it in the same comparable form
 * as a server snapshot (tests/server/faults/mirror.ts).
 */
import { io as ioClient } from 'socket.io-client';
import { createPinia, setActivePinia, type Pinia } from 'pinia';
import { routeTo } from '../../client/src/live.ts';
import { useConnectionStore, type LiveSocketLike } from '../../client/src/stores/connection.ts';
import { useFloorStore } from '../../client/src/stores/floor.ts';
import { useAlertsStore } from '../../client/src/stores/alerts.ts';
import { comparable, stateOf, type CompareOptions } from './faults/mirror.ts';
import type { LiveScope, Snapshot } from '../../shared/wire.ts';
import { VIEW_TOKEN, WALL_TOKEN, type LiveClient } from './harness.ts';

export interface StoreClientOptions {
  /** Let socket.io reconnect by itself (quickly); off: the test calls `reconnect()`. */
  autoReconnect?: boolean;
}

export class StoreClient {
  readonly socket: LiveClient;
  readonly pinia: Pinia;
  readonly conn: ReturnType<typeof useConnectionStore>;
  readonly floor: ReturnType<typeof useFloorStore>;
  readonly alerts: ReturnType<typeof useAlertsStore>;
  /** Snapshots pushed by the server (on connect, or after the socket fell behind); resync answers are counted by `conn.resyncs`. */
  pushedSnapshots = 0;

  constructor(
    url: string,
    readonly scope: LiveScope,
    opts: StoreClientOptions = {},
  ) {
    const auth: Record<string, string> = { scope: scope.kind, token: scope.kind === 'wallboard' ? WALL_TOKEN : VIEW_TOKEN };
    if (scope.kind === 'agent') auth.agentId = scope.agentId;
    this.socket = ioClient(`${url}/live`, {
      auth,
      transports: ['websocket'],
      forceNew: true,
      reconnection: opts.autoReconnect ?? false,
      reconnectionDelay: 20,
      reconnectionDelayMax: 100,
    });
    this.socket.on('live:snapshot', () => this.pushedSnapshots++);
    this.pinia = createPinia();
    setActivePinia(this.pinia);
    this.conn = useConnectionStore(this.pinia);
    this.floor = useFloorStore(this.pinia);
    this.alerts = useAlertsStore(this.pinia);
    routeTo(this.socket as unknown as LiveSocketLike);
  }

  /** The seq of the room the stores are at (-1 before the first snapshot). */
  get seq(): number {
    return this.conn.status === 'connecting' ? -1 : this.conn.seq;
  }

  /** Live, hydrated and not waiting for a resync answer. */
  get live(): boolean {
    return this.socket.connected && this.conn.status === 'live';
  }

  /** A network drop: the transport closes under the client. */
  drop(): void {
    this.socket.io.engine.close();
  }

  /** Comes back after a drop (a page whose network returns). */
  reconnect(): void {
    this.socket.connect();
  }

  /** What the page holds, in the comparable form of a room state. */
  view(o?: CompareOptions): unknown {
    const f = this.floor;
    return comparable(
      {
        queues: f.queues,
        totals: f.totals,
        agents: f.agents,
        calls: f.calls,
        alerts: this.alerts.byId,
        voicemails: f.voicemails,
        callbacks: f.callbacks,
        intervals: f.intervals,
        me: f.me,
        ticker: f.ticker,
        notes: f.notes,
      },
      o,
    );
  }

  close(): void {
    this.socket.close();
    this.conn.reset();
  }
}

/** A server snapshot in the same comparable form as {@link StoreClient.view}. */
export function snapshotView(s: Snapshot, o?: CompareOptions): unknown {
  return comparable(stateOf(s.payload), o);
}
