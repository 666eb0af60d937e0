/**
 * What one socket.io connection may cost the server before and after it
 * proves who it is (issue 13, section 2).
 *
 * - **Message size.** engine.io has one `maxHttpBufferSize` for every packet
 *   of every connection, checked before any namespace's credentials. It is
 *   set small ({@link SMALL_MESSAGE_BYTES}): a stranger's 15 MB frame is
 *   refused by the WebSocket parser on its header (close 1009), or by the
 *   polling transport after 64 KiB of body (413), never buffered. A
 *   connection that authenticates on `/ingest` (producers' batches of up to
 *   10,000 events, the documented contract) is raised to the HTTP body limit
 *   for that connection only; `/live` keeps the small limit at all times:
 *   on a raised connection a `/live` (or any non-`/ingest`) message over it
 *   closes the connection.
 *   engine.io has no public per-connection limit: the raise sets the
 *   WebSocket receiver's `_maxPayload` (ws 8) or the polling transport's
 *   `maxHttpBufferSize`, again after a transport upgrade; tests/server/
 *   socket-bounds.test.ts proves both limits on the versions installed.
 * - **Unauthenticated connections** are closed when they have joined no
 *   authenticated namespace (`/live`, `/ingest`) within
 *   {@link AUTH_DEADLINE_MS}, or when the last one they had leaves; the
 *   default namespace `/` is refused outright (Floorwatch has nothing there).
 * - **Connections per address**: at most `maxPerAddress` open engine
 *   connections from one client address; more are refused at the handshake
 *   (403). The address is the TCP peer's, or with express's `trust proxy`
 *   set, the first untrusted hop of X-Forwarded-For (as `req.ip` reads it).
 * - **Commands per socket**: every command a `/live` socket sends (opening a
 *   call, acknowledging, resyncing, any added later) draws from a token bucket
 *   of 4 s of its rate ({@link COMMAND_BURST_SEC}), refilled at
 *   {@link COMMANDS_PER_SEC} a second (`--commands-per-sec`). An
 *   empty bucket answers the command's acknowledgement `{ ok: false, error }`
 *   without running it; a socket that keeps sending after
 *   {@link COMMANDS_REFUSED_TO_CLOSE} refusals in a row is disconnected. A
 *   person clicking never comes near it; a script looping on `call:detail` does.
 */
import type { IncomingMessage } from 'node:http';
import type { Server as IoServer, Socket } from 'socket.io';

/** engine.io's limit for every packet until a connection authenticates on /ingest, and for /live always: 64 KiB, far above any /live command (an acknowledgement with its note is < 2 kB). */
export const SMALL_MESSAGE_BYTES = 64 * 1024;
/** A connection that has joined no authenticated namespace within this many ms is closed: a real client joins in one round trip. */
export const AUTH_DEADLINE_MS = 5_000;
/** Open engine connections per client address by default: a wall of TVs and a supervisors' office behind one NAT fit; a flood from one host does not. */
export const DEFAULT_MAX_CONNECTIONS_PER_ADDRESS = 50;
/** Commands per second a /live socket's bucket refills by default. */
export const COMMANDS_PER_SEC = 10;
/** Commands a /live socket may send at once, in seconds of its rate (40 by default: a supervisor acknowledging a burst of alerts with the keyboard). */
export const COMMAND_BURST_SEC = 4;
/** Refused commands in a row after which the socket is disconnected. */
export const COMMANDS_REFUSED_TO_CLOSE = 200;

export interface SocketGuardOptions {
  /** Largest message of a connection authenticated on /ingest, bytes (the HTTP body limit). */
  ingestMessageBytes: number;
  /** Open engine connections per address; 0 = no cap. */
  maxPerAddress: number;
  /** ms an engine connection may stay without an authenticated namespace (default {@link AUTH_DEADLINE_MS}). */
  authDeadlineMs?: number;
  /** express's compiled `trust proxy` function (`app.get('trust proxy fn')`): which hops' X-Forwarded-For to believe. */
  trusts?: (addr: string, hop: number) => boolean;
  /** Commands per second a /live socket's bucket refills, burst 4× (default {@link COMMANDS_PER_SEC}; 0 = no budget). */
  commandsPerSec?: number;
  /** Monotonic ms for the command buckets (default performance.now; tests pass a fake). */
  now?: () => number;
}

/** What the guard reads and writes of engine.io's connection (not in its public types). */
interface EngineConn {
  id: string;
  request: IncomingMessage;
  readyState: string;
  transport: { name: string; maxHttpBufferSize?: number; socket?: { _receiver?: { _maxPayload?: number } } };
  on(event: 'close', fn: () => void): unknown;
  on(event: 'upgrade', fn: () => void): unknown;
  on(event: 'packet', fn: (p: { type: string; data?: unknown }) => void): unknown;
  close(discard?: boolean): void;
}

interface ConnEntry {
  address: string;
  /** Authenticated namespace sockets open on the connection. */
  authed: number;
  timer: NodeJS.Timeout | undefined;
  raised: boolean;
}

/**
 * The client address of a request: the TCP peer, or with a `trust proxy`
 * function the first X-Forwarded-For hop (from the nearest) that is not
 * trusted, as express's `req.ip` and proxy-addr read it.
 */
export function clientAddress(req: IncomingMessage, trusts?: (addr: string, hop: number) => boolean): string {
  const peer = req.socket?.remoteAddress ?? 'unknown';
  if (!trusts) return peer;
  const fwd = req.headers['x-forwarded-for'];
  const hops = (Array.isArray(fwd) ? fwd.join(',') : (fwd ?? ''))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .reverse();
  const chain = [peer, ...hops];
  for (let i = 0; i < chain.length - 1; i++) if (!trusts(chain[i], i)) return chain[i];
  return chain[chain.length - 1];
}

/** The namespace a socket.io packet string is for (`2/live,["x"]` → `/live`; no prefix → `/`). */
export function packetNamespace(data: string): string {
  let i = 1;
  if (data[0] === '5' || data[0] === '6') i = data.indexOf('-') + 1; // binary: "<n>-" attachments count
  if (data[i] !== '/') return '/';
  const comma = data.indexOf(',', i);
  return comma < 0 ? data.slice(i) : data.slice(i, comma);
}

/** Sets one connection's largest message; false when the transport's internals are not what this version knows. */
function setMessageLimit(conn: EngineConn, bytes: number): boolean {
  const t = conn.transport;
  if (t.name === 'polling') {
    t.maxHttpBufferSize = bytes;
    return true;
  }
  const receiver = t.socket?._receiver;
  if (t.name === 'websocket' && receiver && typeof receiver._maxPayload === 'number') {
    receiver._maxPayload = bytes;
    return true;
  }
  return false;
}

/**
 * Guards an IoServer's engine connections (see the module comment). Build it
 * before the IoServer and pass {@link SocketGuard.allowRequest} into its
 * `allowRequest` check, then {@link SocketGuard.attach} the IoServer, which
 * must be made with `maxHttpBufferSize: SMALL_MESSAGE_BYTES`.
 */
export class SocketGuard {
  private readonly conns = new Map<string, ConnEntry>();
  private readonly perAddress = new Map<string, number>();
  /** Connections closed for what they sent on a raised connection; their packets are dropped if any still arrive. */
  private readonly violated = new WeakSet<object>();
  readonly stats = { refusedPerAddress: 0, closedUnauthenticated: 0, closedOversize: 0, raisedForIngest: 0, raiseFailed: 0, commandsRefused: 0, closedFlooding: 0 };
  private readonly deadlineMs: number;

  constructor(private readonly opts: SocketGuardOptions) {
    this.deadlineMs = opts.authDeadlineMs ?? AUTH_DEADLINE_MS;
  }

  /** The handshake check: a refusal text when the client's address already has `maxPerAddress` connections, else undefined. */
  allowRequest(req: IncomingMessage): string | undefined {
    if (this.opts.maxPerAddress <= 0) return undefined;
    const address = clientAddress(req, this.opts.trusts);
    if ((this.perAddress.get(address) ?? 0) < this.opts.maxPerAddress) return undefined;
    this.stats.refusedPerAddress++;
    return `too many connections from ${address}: at most ${this.opts.maxPerAddress}`;
  }

  /** Watches every engine connection of `io`, refuses the default namespace, and counts `/live` and `/ingest` sockets as authenticated. */
  attach(io: IoServer): void {
    io.engine.on('connection', (conn: EngineConn) => this.onEngineConnection(conn));
    io.of('/').use((_socket, next) => next(new Error('nothing here: connect to /live or /ingest')));
    io.of('/live').on('connection', (socket) => this.admitted(socket, false));
    io.of('/ingest').on('connection', (socket) => this.admitted(socket, true));
    // On a connection raised for /ingest, a /live command over the small limit never reaches a handler.
    io.of('/live').use((socket, next) => {
      socket.use((_packet, nextPacket) => (this.violated.has(socket.conn) ? nextPacket(new Error('message too large')) : nextPacket()));
      next();
    });
  }

  /** Open engine connections now, and how many addresses they come from. */
  get open(): { connections: number; addresses: number } {
    return { connections: this.conns.size, addresses: this.perAddress.size };
  }

  private onEngineConnection(conn: EngineConn): void {
    const address = clientAddress(conn.request, this.opts.trusts);
    const n = (this.perAddress.get(address) ?? 0) + 1;
    this.perAddress.set(address, n);
    const entry: ConnEntry = { address, authed: 0, timer: undefined, raised: false };
    this.conns.set(conn.id, entry);
    conn.on('close', () => {
      if (entry.timer) clearTimeout(entry.timer);
      this.conns.delete(conn.id);
      const left = (this.perAddress.get(address) ?? 1) - 1;
      if (left > 0) this.perAddress.set(address, left);
      else this.perAddress.delete(address);
    });
    // Handshakes in flight together all passed allowRequest: the count is checked again once open.
    if (this.opts.maxPerAddress > 0 && n > this.opts.maxPerAddress) {
      this.stats.refusedPerAddress++;
      conn.close(true);
      return;
    }
    this.armDeadline(conn, entry);
  }

  private armDeadline(conn: EngineConn, entry: ConnEntry): void {
    if (entry.timer) clearTimeout(entry.timer);
    entry.timer = setTimeout(() => {
      entry.timer = undefined;
      if (entry.authed > 0 || conn.readyState !== 'open') return;
      this.stats.closedUnauthenticated++;
      conn.close(true);
    }, this.deadlineMs);
    entry.timer.unref?.();
  }

  /** A socket passed its namespace's credential check: its connection may stay, and for /ingest carry big batches. */
  private admitted(socket: Socket, ingest: boolean): void {
    const conn = socket.conn as unknown as EngineConn;
    const entry = this.conns.get(conn.id);
    if (!entry) return;
    entry.authed++;
    if (entry.timer) clearTimeout(entry.timer);
    entry.timer = undefined;
    socket.on('disconnect', () => {
      entry.authed--;
      if (entry.authed === 0 && conn.readyState === 'open') this.armDeadline(conn, entry);
    });
    if (ingest && !entry.raised) this.raise(conn, entry);
    const rate = this.opts.commandsPerSec ?? COMMANDS_PER_SEC;
    if (!ingest && rate > 0) this.budgetCommands(socket, rate);
  }

  /** The per-socket command bucket (see the module comment); `now()` in ms. */
  private budgetCommands(socket: Socket, perSec: number): void {
    const now = this.opts.now ?? (() => performance.now());
    const burst = perSec * COMMAND_BURST_SEC;
    let tokens = burst;
    let lastMs = now();
    let refusedInRow = 0;
    socket.use((packet, next) => {
      const t = now();
      tokens = Math.min(burst, tokens + ((t - lastMs) / 1000) * perSec);
      lastMs = t;
      if (tokens >= 1) {
        tokens -= 1;
        refusedInRow = 0;
        return next();
      }
      if (!socket.connected) return; // packets still buffered after the cut below
      this.stats.commandsRefused++;
      if (++refusedInRow >= COMMANDS_REFUSED_TO_CLOSE) {
        this.stats.closedFlooding++;
        socket.disconnect(true);
        return;
      }
      const ack: unknown = packet[packet.length - 1];
      if (typeof ack === 'function') (ack as (r: { ok: false; error: string }) => void)({ ok: false, error: `too many commands: at most ${perSec} a second from one connection; try again in a moment` });
    });
  }

  private raise(conn: EngineConn, entry: ConnEntry): void {
    entry.raised = true;
    const apply = () => {
      if (setMessageLimit(conn, this.opts.ingestMessageBytes)) this.stats.raisedForIngest++;
      else this.stats.raiseFailed++;
    };
    apply();
    conn.on('upgrade', apply);
    let binaryFor: string | undefined;
    conn.on('packet', (p) => {
      if (p.type !== 'message') return;
      let nsp: string | undefined;
      let size = 0;
      if (typeof p.data === 'string') {
        size = p.data.length;
        nsp = packetNamespace(p.data);
        if (p.data[0] === '5' || p.data[0] === '6') binaryFor = nsp;
      } else {
        // A binary attachment belongs to the binary event header before it.
        size = (p.data as { byteLength?: number } | undefined)?.byteLength ?? 0;
        nsp = binaryFor;
      }
      if (size <= SMALL_MESSAGE_BYTES || nsp === '/ingest') return;
      this.stats.closedOversize++;
      this.violated.add(conn);
      conn.close(true);
    });
  }
}
