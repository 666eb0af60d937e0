/**
 * Access ends at once, on every open connection.
 *
 * A socket is checked when it connects, and it stays open for hours. This
 * registry remembers which credential each open socket (`/live` and `/ingest`)
 * rode on — its credential keys (`session:<sha256>`, `user:<id>`,
 * `token:<sha256>`, see `credentialKey`) — and ends it when that credential
 * ends:
 *
 * - **At once, here:** the user store calls {@link RevocationRegistry.revoke}
 *   on sign-out, user deletion, role or agent-binding change, idle expiry and
 *   token revocation; every socket under the key is told why
 *   (`auth:revoked`) and disconnected.
 * - **At once, on every node:** the same notice goes out on a bus (Redis
 *   pub/sub in cluster mode); each node disconnects its own sockets.
 * - **Before every command:** a socket middleware re-checks the principal
 *   (one session lookup or token hash); a command on a socket whose access
 *   ended is refused with a clear error and the socket is disconnected. This
 *   holds even when a notice was lost (Redis away, another node changing a
 *   shared `auth.db`).
 * - **Every `sweepMs`:** every open socket is re-checked without counting as
 *   activity: sessions that went idle meanwhile expire and their sockets are
 *   cut, and anything a lost notice missed is caught.
 */
import { randomUUID } from 'node:crypto';
import type { RevokeReason, RevokedNotice } from '../../shared/wire.ts';

/** How often every open socket is re-checked by default, ms: idle expiry lands within this of its time. */
export const REVOCATION_SWEEP_MS = 10_000;
/**
 * How long a cut socket may take to flush its `auth:revoked` notice before its
 * transport is dropped, ms: a client that stopped reading gets no more.
 */
export const REVOKE_FLUSH_MS = 1_000;

/**
 * Credentials re-checked per turn of the event loop during a sweep: one costs
 * ~15–20 µs on an idle machine (a session: two indexed SQLite reads and a
 * hash), so 250 hold the loop ~5 ms at a time; 5,000 sessions take ~0.1 s in
 * twenty slices, every {@link REVOCATION_SWEEP_MS}.
 */
export const SWEEP_CHUNK = 250;

const REASONS: Record<RevokeReason, string> = {
  'signed-out': 'signed out',
  'user-deleted': 'this user was deleted',
  'role-changed': "this user's role or agent changed: sign in again",
  'scope-changed': 'the queues and teams this user supervises changed: sign in again',
  'session-expired': 'the session expired after being idle',
  'session-ended': 'the session ended',
  'token-revoked': 'the access token was revoked',
};

/** The notice a socket gets for `reason` (plain English beside the reason code). */
export function revokedNotice(reason: RevokeReason): RevokedNotice {
  return { reason, message: REASONS[reason] };
}

/** One revocation on the wire between nodes: the credential key, why, and the node that sent it. */
export interface RevocationMessage {
  key: string;
  reason: RevokeReason;
  /** The sending node's id ({@link RevocationRegistry.nodeId}). */
  from: string;
}

/** Parses a bus message; undefined for anything that is not a well-formed {@link RevocationMessage}. */
export function parseRevocationMessage(raw: string): RevocationMessage | undefined {
  let m: unknown;
  try {
    m = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (!m || typeof m !== 'object') return undefined;
  const { key, reason, from } = m as Record<string, unknown>;
  if (typeof key !== 'string' || !/^(session|user|token):[A-Za-z0-9]{1,128}$/.test(key)) return undefined;
  if (typeof reason !== 'string' || !(reason in REASONS)) return undefined;
  if (typeof from !== 'string' || from.length > 100) return undefined;
  return { key, reason: reason as RevokeReason, from };
}

/** Carries revocations between the nodes of a cluster (Redis pub/sub: `RedisLog.revocationBus`). */
export interface RevocationBus {
  /** Sends to every node, this one included; rejects when the bus is unreachable. */
  publish(m: RevocationMessage): Promise<void>;
  /** Delivers every message any node publishes from now on, for as long as the bus is open. */
  subscribe(fn: (m: RevocationMessage) => void): Promise<void>;
}

/** A log that can also carry revocations between nodes. */
export interface RevocationBusHost {
  revocationBus(): RevocationBus;
}

/** True for a log that offers a {@link RevocationBus} (the Redis log). */
export function hasRevocationBus(log: unknown): log is RevocationBusHost {
  return typeof (log as Partial<RevocationBusHost>).revocationBus === 'function';
}

/**
 * What the registry needs of a socket.io server socket. `emit` and `use` are
 * loosely typed here because the namespaces' typed sockets differ; the
 * registry only ever emits `auth:revoked` and answers acks with `{ ok: false, error }`.
 */
export interface RevocableSocket {
  readonly id: string;
  readonly connected: boolean;
  readonly conn: { readyState?: string; close(discard?: boolean): unknown };
  use(fn: (packet: unknown[], next: (err?: Error) => void) => void): unknown;
  on(event: 'disconnect', fn: () => void): unknown;
  emit(event: 'auth:revoked', notice: RevokedNotice): unknown;
  disconnect(close?: boolean): unknown;
}

/**
 * Re-checks a socket's principal: undefined while it holds, else why not.
 * `touch` is true for a command (the user's own activity keeps a session
 * alive) and false for the sweep.
 */
export type Recheck = (touch: boolean) => RevokeReason | undefined;

interface Entry {
  socket: RevocableSocket;
  keys: string[];
  recheck: Recheck;
  cut: boolean;
}

export interface RevocationOptions {
  /** Period of the re-check of every open socket, ms (default {@link REVOCATION_SWEEP_MS}; 0 = no timer). */
  sweepMs?: number;
  bus?: RevocationBus;
  /** Called for a revocation from another node, after its sockets here are cut (e.g. to re-read tokens). */
  onRemote?: (m: RevocationMessage) => void;
  /** Called at the start of every sweep (e.g. to re-read tokens another node may have revoked). */
  beforeSweep?: () => void;
  logger?: Pick<Console, 'warn'>;
}

/**
 * Which open sockets rode on which credential (`session:…`, `user:…`,
 * `token:…` keys), cutting them when it ends: at once on {@link revoke} or a
 * bus message, before any command whose re-check fails, and at each sweep.
 */
export class RevocationRegistry {
  /** This node's id on the bus. */
  readonly nodeId = randomUUID();
  private readonly byKey = new Map<string, Set<Entry>>();
  private readonly entries = new Map<RevocableSocket, Entry>();
  /** Admitted at the handshake, not yet connected: a handshake another middleware refuses leaves nothing behind. */
  private readonly admitted = new WeakMap<object, { keys: string[]; recheck: Recheck }>();
  private sweepTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private sweeping = false;
  /**
   * `cut`: sockets disconnected because their access ended; `refused`: commands
   * refused by the per-command re-check; `published`/`received`: bus messages;
   * `busErrors`: publishes that failed (the sweep and the per-command re-check still hold).
   */
  readonly counts = { cut: 0, refused: 0, published: 0, received: 0, busErrors: 0, sweeps: 0 };

  constructor(private readonly o: RevocationOptions = {}) {}

  /** Sockets tracked now, and the counters. */
  get stats() {
    return { tracked: this.entries.size, credentials: this.byKey.size, ...this.counts };
  }

  /**
   * Called by a namespace's handshake middleware once it has let a socket in:
   * remembers the credential keys and how to re-check them until the socket
   * connects ({@link watch}).
   */
  admit(socket: object, keys: string[], recheck: Recheck): void {
    this.admitted.set(socket, { keys, recheck });
  }

  /** Tracks every socket admitted on `nsp` from its connection on. */
  watch(nsp: { on(event: 'connection', fn: (socket: RevocableSocket) => void): unknown }): void {
    nsp.on('connection', (socket) => this.attach(socket));
  }

  private attach(socket: RevocableSocket): void {
    const a = this.admitted.get(socket);
    if (!a) return;
    this.admitted.delete(socket);
    const entry: Entry = { socket, keys: a.keys, recheck: a.recheck, cut: false };
    this.entries.set(socket, entry);
    for (const k of entry.keys) {
      let set = this.byKey.get(k);
      if (!set) this.byKey.set(k, (set = new Set()));
      set.add(entry);
    }
    socket.on('disconnect', () => this.forget(entry));
    // Runs before every handler of every incoming packet: no command passes on access that ended.
    socket.use((packet, next) => {
      if (entry.cut) return;
      const why = entry.recheck(true);
      if (!why) return next();
      this.counts.refused++;
      const ack = packet[packet.length - 1];
      if (typeof ack === 'function') (ack as (r: { ok: false; error: string }) => void)({ ok: false, error: `refused: ${REASONS[why]}` });
      this.cut(entry, why);
    });
  }

  private forget(entry: Entry): void {
    this.entries.delete(entry.socket);
    for (const k of entry.keys) {
      const set = this.byKey.get(k);
      if (!set) continue;
      set.delete(entry);
      if (set.size === 0) this.byKey.delete(k);
    }
  }

  private cut(entry: Entry, reason: RevokeReason): void {
    if (entry.cut) return;
    entry.cut = true;
    this.counts.cut++;
    this.forget(entry);
    const s = entry.socket;
    if (!s.connected) return;
    s.emit('auth:revoked', revokedNotice(reason));
    // Leaves every room at once (nothing more is sent to it), then closes the connection once the notice is flushed.
    s.disconnect(true);
    const t = setTimeout(() => {
      if (s.conn.readyState !== 'closed') s.conn.close(true);
    }, REVOKE_FLUSH_MS);
    t.unref();
  }

  /** Re-checks one socket now (as a command would, counting as activity); undefined while it holds, else why not. */
  recheckNow(socket: object): RevokeReason | undefined {
    const entry = this.entries.get(socket as RevocableSocket);
    if (!entry) return undefined;
    if (entry.cut) return 'session-ended';
    const why = entry.recheck(true);
    if (why) this.cut(entry, why);
    return why;
  }

  /** Disconnects this node's sockets under `key` (no bus message); returns how many were cut. */
  cutLocal(key: string, reason: RevokeReason): number {
    const set = this.byKey.get(key);
    if (!set) return 0;
    let n = 0;
    for (const entry of [...set]) {
      this.cut(entry, reason);
      n++;
    }
    return n;
  }

  /**
   * Ends access under `key` everywhere: this node's sockets at once, other
   * nodes' through the bus. Returns how many sockets were cut here. A bus that
   * fails is logged and counted: the other nodes still refuse the next
   * command and cut at their next sweep.
   */
  revoke(key: string, reason: RevokeReason): number {
    const n = this.cutLocal(key, reason);
    const bus = this.o.bus;
    if (bus && !this.closed) {
      this.counts.published++;
      bus.publish({ key, reason, from: this.nodeId }).catch((err: Error) => {
        this.counts.busErrors++;
        this.o.logger?.warn(`revocation of ${key.split(':')[0]} not sent to other nodes: ${err.message}; they cut at their next check`);
      });
    }
    return n;
  }

  /**
   * Re-checks every open socket without counting as activity, {@link SWEEP_CHUNK}
   * credentials per event-loop turn; resolves with how many sockets it cut.
   * A sweep still running when the next is due is not started twice.
   */
  async sweep(): Promise<number> {
    if (this.sweeping) return 0;
    this.sweeping = true;
    try {
      this.counts.sweeps++;
      this.o.beforeSweep?.();
      // One re-check per credential: a floor of sockets on one session costs one lookup.
      const verdicts = new Map<string, RevokeReason | undefined>();
      let n = 0;
      let checked = 0;
      for (const entry of [...this.entries.values()]) {
        if (this.closed) break;
        if (entry.cut || entry.keys.length === 0) continue;
        const id = entry.keys.join(' ');
        let why: RevokeReason | undefined;
        if (verdicts.has(id)) why = verdicts.get(id);
        else {
          verdicts.set(id, (why = entry.recheck(false)));
          if (++checked % SWEEP_CHUNK === 0) await new Promise((r) => setImmediate(r));
        }
        if (why && !entry.cut) {
          this.cut(entry, why);
          n++;
        }
      }
      return n;
    } finally {
      this.sweeping = false;
    }
  }

  /** Starts the sweep timer and listens to the bus. Resolves once subscribed (rejects if the bus cannot subscribe). */
  async start(): Promise<void> {
    const every = this.o.sweepMs ?? REVOCATION_SWEEP_MS;
    if (every > 0 && !this.sweepTimer) {
      this.sweepTimer = setInterval(() => void this.sweep(), every);
      this.sweepTimer.unref();
    }
    if (this.o.bus) {
      await this.o.bus.subscribe((m) => {
        if (this.closed || m.from === this.nodeId) return;
        this.counts.received++;
        this.cutLocal(m.key, m.reason);
        this.o.onRemote?.(m);
      });
    }
  }

  /** Stops the sweep and ignores the bus from now on (the log closes the subscriber connection). */
  close(): void {
    this.closed = true;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
  }
}
