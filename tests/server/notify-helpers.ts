/**
 * Shared setup of the notification tests: a Floorwatch server with an admin,
 * a real local HTTP receiver that verifies signatures, an SMTP server
 * in-process (smtp-server), and the admin API.
 */
import http from 'node:http';
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { createServer, type FloorwatchServer, type ServerOptions } from '../../server/app.ts';
import { openSqliteLog } from '../../server/log/sqlite.ts';
import { AuthStore } from '../../server/auth/store.ts';
import type { LogStore } from '../../server/log/store.ts';
import { FakeClock, INGEST_TOKEN, T0, tempDbFile, VIEW_TOKEN } from './harness.ts';

export const ADMIN = { username: 'admin', password: 'admin-password-1' };
export const AGENT = { username: 'ann', password: 'agent-password-1' };

export interface NotifyNode {
  server: FloorwatchServer;
  url: string;
  clock: FakeClock;
  auth: AuthStore;
  log: LogStore;
  /** Every line the server logged. */
  logged: string[];
  adminCookie: string;
  close(): Promise<void>;
}

/** A server on loopback with a fake clock, no tick timer, an admin and an agent account. */
export async function startNotifyNode(o: { clock?: FakeClock; log?: LogStore; notify?: ServerOptions['notify'] } = {}): Promise<NotifyNode> {
  const clock = o.clock ?? new FakeClock();
  const log = o.log ?? openSqliteLog({ file: tempDbFile(), synchronous: 'normal' });
  const auth = new AuthStore(':memory:');
  await auth.createUser({ ...ADMIN, role: 'admin' }, clock.now());
  await auth.createUser({ ...AGENT, role: 'agent', agentId: 'A1' }, clock.now());
  const logged: string[] = [];
  const keep = (...args: unknown[]) => logged.push(args.map(String).join(' '));
  const server = createServer({ log, auth, clock, ingestTokens: [INGEST_TOKEN], viewTokens: [VIEW_TOKEN], tickMs: 0, maxFutureSec: 86_400, logger: { info: keep, warn: keep, error: keep }, notify: o.notify });
  const port = await server.listen(0, '127.0.0.1');
  const url = `http://127.0.0.1:${port}`;
  const adminCookie = await signIn(url, ADMIN.username, ADMIN.password);
  return {
    server,
    url,
    clock,
    auth,
    log,
    logged,
    adminCookie,
    async close() {
      await server.close();
      await log.close();
      auth.close();
    },
  };
}

/** Signs in; resolves with the session cookie. */
export async function signIn(url: string, username: string, password: string): Promise<string> {
  const res = await fetch(`${url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  if (res.status !== 200) throw new Error(`sign-in of ${username} failed: ${res.status}`);
  return (res.headers.get('set-cookie') ?? '').split(';')[0];
}

/** Calls the API with a cookie or a bearer token; resolves with status, body and the raw text. */
export async function api(url: string, method: string, path: string, who: { cookie?: string; bearer?: string } | null, body?: unknown) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (who?.cookie) headers.cookie = who.cookie;
  if (who?.bearer) headers.authorization = `Bearer ${who.bearer}`;
  const res = await fetch(`${url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) as { ok: boolean; data?: unknown; error?: string }, text };
}

/** Posts events with the ingest token; moves the fake clock to the newest event first. */
export async function post(n: NotifyNode, events: Record<string, unknown>[]): Promise<number> {
  const newest = Math.max(...events.map((e) => Number(e.at)));
  if (newest > n.clock.t) n.clock.t = newest;
  const res = await fetch(`${n.url}/api/events`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${INGEST_TOKEN}` }, body: JSON.stringify(events) });
  await res.arrayBuffer();
  return res.status;
}

let seq = 0;
/** A call answered by `agentId` and put on hold without asking: a `hold-permission` breach (a fact). */
export function holdWithoutAsking(callId: string, agentId: string, atSec: number, queueId = 'sales'): Record<string, unknown>[] {
  const at = (s: number) => T0 + (atSec + s) * 1000;
  const id = () => `n${++seq}-${Math.random().toString(36).slice(2, 8)}`;
  return [
    { type: 'call.queued', id: id(), at: at(0), callId, queueId },
    { type: 'call.ringing', id: id(), at: at(0), callId, agentId },
    { type: 'call.answered', id: id(), at: at(1), callId, agentId },
    { type: 'call.hold', id: id(), at: at(2), callId, askedPermission: false },
  ];
}

/** An agent coming on the floor. */
export function agentOn(agentId: string, name: string, team: string, atSec = 0): Record<string, unknown> {
  return { type: 'agent.state', id: `n${++seq}-a`, at: T0 + atSec * 1000, agentId, state: 'available', name, team };
}

export interface Received {
  headers: http.IncomingHttpHeaders;
  raw: string;
  body: Record<string, unknown>;
  /** The receiver's own check of the signature with the shared secret (its code, not the server's). */
  verified: boolean;
  atMs: number;
}

/**
 * A real HTTP receiver on loopback. `mode`: `ok` answers 204; a number answers 500 that many
 * times, then 204; `fail` always 500; `hang` never answers.
 */
export async function startReceiver(secret: string | undefined, mode: 'ok' | 'fail' | 'hang' | number = 'ok') {
  const got: Received[] = [];
  let failures = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const ts = String(req.headers['x-floorwatch-timestamp'] ?? '');
      const sig = String(req.headers['x-floorwatch-signature'] ?? '');
      let verified = false;
      if (secret && /^\d+$/.test(ts)) {
        const want = Buffer.from(`sha256=${createHmac('sha256', secret).update(`${ts}.${raw}`).digest('hex')}`);
        verified = want.length === Buffer.byteLength(sig) && timingSafeEqual(want, Buffer.from(sig));
      }
      got.push({ headers: req.headers, raw, body: JSON.parse(raw) as Record<string, unknown>, verified, atMs: Date.now() });
      if (mode === 'hang') return; // never answers
      if (mode === 'fail' || (typeof mode === 'number' && failures++ < mode)) return void res.writeHead(500).end('down');
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    got,
    url: `http://127.0.0.1:${port}/hook`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

export interface Mail {
  from: string;
  to: string[];
  raw: string;
  user: string | undefined;
}

/** An SMTP server in-process (no TLS, on loopback) that takes one user and password and keeps every message. */
export async function startSmtp(user: string, password: string) {
  const mails: Mail[] = [];
  const server = new SMTPServer({
    secure: false,
    disabledCommands: ['STARTTLS'],
    authOptional: false,
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, cb) {
      if (auth.username === user && auth.password === password) return cb(null, { user: auth.username });
      return cb(new Error('Invalid username or password'));
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
          user: typeof session.user === 'string' ? session.user : undefined,
        });
        cb();
      });
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.server.address() as AddressInfo).port;
  return { mails, port, close: () => new Promise<void>((r) => server.close(() => r())) };
}
