/**
 * Starts a real Floorwatch server on port 0 with a fake clock, and talks to it
 * with fetch and the real socket.io-client.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { io as ioClient, type Socket } from 'socket.io-client';
import { afterEach } from 'vitest';
import { createServer, type FloorwatchServer, type ServerOptions } from '../../server/app.ts';
import { openSqliteLog } from '../../server/log/sqlite.ts';
import { AuthStore } from '../../server/auth/store.ts';
import type { LogStore } from '../../server/log/store.ts';
import type { Delta, LiveClientToServer, LiveServerToClient, Snapshot, IngestClientToServer, IngestServerToClient } from '../../shared/wire.ts';
import type { FloorConfig } from '../../shared/config.ts';
import { parseEvent } from '../../shared/events.ts';

export const INGEST_TOKEN = 'test-ingest-token';
export const VIEW_TOKEN = 'test-view-token';
export const WALL_TOKEN = 'test-wall-token';
export const T0 = Date.parse('2026-11-24T09:00:00Z');

export class FakeClock {
  constructor(public t = T0) {}
  now = (): number => this.t;
  advance(ms: number): number {
    this.t += ms;
    return this.t;
  }
}

export interface Harness {
  server: FloorwatchServer;
  auth: AuthStore;
  log: LogStore;
  clock: FakeClock;
  port: number;
  url: string;
  dbFile: string;
  /**
   * The fake clock follows the feed: before a batch is posted it moves to the batch's newest event,
   * as a producer sends events when they happen. Off for tests of the clock itself (those that pass
   * `maxFutureSec`), which move the clock by hand and send events ahead of it on purpose.
   */
  followPosts: boolean;
  close(): Promise<void>;
}

export function tempDbFile(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floorwatch-test-'));
  return path.join(dir, 'floorwatch.db');
}

/**
 * How far ahead of the fake clock a harness server accepts events by default: a day. Tests script
 * whole mornings against a clock they move by hand; the tests of the limit itself pass `maxFutureSec`.
 */
export const HARNESS_MAX_FUTURE_SEC = 86_400;

/** The edge settings a test may turn (tests/server/edge-server.ts): they go to the server last, over the harness's own. */
export type EdgeOptions = Pick<ServerOptions, 'trustProxy' | 'allowedOrigins' | 'secureCookies' | 'demo' | 'staticDir' | 'commandsPerSec'>;

export async function startHarness(opts: { dbFile?: string; clock?: FakeClock; demo?: boolean; config?: FloorConfig; sources?: () => Record<string, unknown>; port?: number; maxFutureSec?: number; edge?: EdgeOptions; pbxActions?: ServerOptions['pbxActions']; transcripts?: ServerOptions['transcripts'] } = {}): Promise<Harness> {
  const clock = opts.clock ?? new FakeClock();
  const dbFile = opts.dbFile ?? tempDbFile();
  const log = openSqliteLog({ file: dbFile, synchronous: 'normal' });
  const auth = new AuthStore(':memory:');
  const server = createServer({
    log,
    auth,
    clock,
    config: opts.config,
    ingestTokens: [INGEST_TOKEN],
    viewTokens: [VIEW_TOKEN],
    wallboardTokens: [WALL_TOKEN],
    demo: opts.demo ?? false,
    tickMs: 0,
    maxFutureSec: opts.maxFutureSec ?? HARNESS_MAX_FUTURE_SEC,
    sources: opts.sources,
    pbxActions: opts.pbxActions,
    transcripts: opts.transcripts,
    logger: { info: () => {}, warn: () => {}, error: (m: unknown) => console.error(m) },
    ...opts.edge,
  });
  // A chosen port lets a test stop a server and start another where clients left it.
  const port = await server.listen(opts.port ?? 0, '127.0.0.1');
  return {
    server,
    auth,
    log,
    clock,
    port,
    url: `http://127.0.0.1:${port}`,
    dbFile,
    followPosts: opts.maxFutureSec === undefined,
    async close() {
      await server.close();
      await log.close();
      auth.close();
    },
  };
}

/**
 * Harnesses (and /live clients) closed after each test of the file that calls this at its top level.
 * `start` starts one; `live` connects a /live client; `stop` closes a harness within a test (a
 * restart), so that it is not closed again after the test.
 */
export function closeHarnessesAfterEach() {
  let open: Harness[] = [];
  let clients: Recorder[] = [];
  let others: { stop(): Promise<unknown> }[] = [];
  afterEach(async () => {
    for (const o of others) await o.stop();
    for (const c of clients) c.socket.close();
    for (const h of open) await h.close().catch(() => undefined);
    open = [];
    clients = [];
    others = [];
  });
  return {
    /** Something else a test starts (a queue_log tail, an AMI client): stopped first, before the clients and servers. */
    track<T extends { stop(): Promise<unknown> }>(thing: T): T {
      others.push(thing);
      return thing;
    },
    live(h: Harness, auth: Record<string, string>): Recorder {
      const r = connectLive(h, auth);
      clients.push(r);
      return r;
    },
    async start(opts: Parameters<typeof startHarness>[0] = {}): Promise<Harness> {
      const h = await startHarness(opts);
      open.push(h);
      return h;
    },
    async stop(h: Harness): Promise<void> {
      await h.close();
      open = open.filter((x) => x !== h);
    },
  };
}

/** The newest `at` of the valid events of a batch (or of one event), epoch ms, if any. */
function newestAt(body: unknown): number | undefined {
  let newest: number | undefined;
  for (const e of Array.isArray(body) ? body : [body]) {
    const r = parseEvent(e);
    if (r.ok && (newest === undefined || r.event.at > newest)) newest = r.event.at;
  }
  return newest;
}

export async function postEvents(h: Harness, body: unknown, token: string | null = INGEST_TOKEN, raw = false) {
  if (h.followPosts && !raw) {
    const newest = newestAt(body);
    if (newest !== undefined && newest > h.clock.now()) h.clock.t = newest;
  }
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${h.url}/api/events`, { method: 'POST', headers, body: raw ? (body as string) : JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as { ok: boolean; data?: { accepted: number; duplicates: number; rejected: { index: number; error: string }[] }; error?: string } };
}

export async function getJson(h: Harness, p: string, token: string | null = VIEW_TOKEN) {
  const res = await fetch(`${h.url}${p}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.status, body: (await res.json()) as { ok: boolean; data?: unknown; error?: string } };
}

export type LiveClient = Socket<LiveServerToClient, LiveClientToServer>;

/** A /live client that records its snapshot and deltas. */
export interface Recorder {
  socket: LiveClient;
  snapshots: Snapshot[];
  deltas: Delta[];
  firstSnapshot: Promise<Snapshot>;
}

export function connectLive(h: Harness, auth: Record<string, string>): Recorder {
  const socket: LiveClient = ioClient(`${h.url}/live`, { auth, transports: ['websocket'], reconnection: false, forceNew: true });
  const snapshots: Snapshot[] = [];
  const deltas: Delta[] = [];
  const firstSnapshot = new Promise<Snapshot>((resolve, reject) => {
    socket.once('live:snapshot', resolve);
    socket.once('connect_error', reject);
  });
  socket.on('live:snapshot', (s) => snapshots.push(s));
  socket.on('live:delta', (d) => deltas.push(d));
  return { socket, snapshots, deltas, firstSnapshot };
}

export function connectIngest(h: Harness, token: string): Socket<IngestServerToClient, IngestClientToServer> {
  return ioClient(`${h.url}/ingest`, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true });
}

/** Polls until `cond` holds (real time), failing after `ms`. */
export async function waitFor(cond: () => boolean, ms = 3_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

let n = 0;
/** Event builders with unique ids and times relative to T0. */
export const ev = {
  agent: (agentId: string, state: string, atSec: number, extra: Record<string, unknown> = {}) => ({ type: 'agent.state', id: `e${++n}`, at: T0 + atSec * 1000, agentId, state, ...extra }),
  queued: (callId: string, queueId: string, atSec: number) => ({ type: 'call.queued', id: `e${++n}`, at: T0 + atSec * 1000, callId, queueId }),
  ringing: (callId: string, agentId: string, atSec: number) => ({ type: 'call.ringing', id: `e${++n}`, at: T0 + atSec * 1000, callId, agentId }),
  answered: (callId: string, agentId: string, atSec: number, extra: Record<string, unknown> = {}) => ({ type: 'call.answered', id: `e${++n}`, at: T0 + atSec * 1000, callId, agentId, ...extra }),
  hold: (callId: string, atSec: number, askedPermission?: boolean) => ({ type: 'call.hold', id: `e${++n}`, at: T0 + atSec * 1000, callId, ...(askedPermission === undefined ? {} : { askedPermission }) }),
  unhold: (callId: string, atSec: number) => ({ type: 'call.unhold', id: `e${++n}`, at: T0 + atSec * 1000, callId }),
  abandoned: (callId: string, atSec: number) => ({ type: 'call.abandoned', id: `e${++n}`, at: T0 + atSec * 1000, callId }),
  ended: (callId: string, atSec: number, extra: Record<string, unknown> = {}) => ({ type: 'call.ended', id: `e${++n}`, at: T0 + atSec * 1000, callId, ...extra }),
};

/** Whether something accepts TCP connections on 127.0.0.1:`port` (within 1 s). */
export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
    setTimeout(() => (s.destroy(), resolve(false)), 1_000);
  });
}

/**
 * Whether Redis answers on 127.0.0.1:6379. When it does not, prints `*** SKIPPED: <what> ***`
 * loudly, so a machine without Redis says which tests it left out.
 */
export async function redisReachable(what: string): Promise<boolean> {
  const up = await portOpen(6379);
  if (!up) console.warn(`\n*** SKIPPED: ${what} ***\n`);
  return up;
}
