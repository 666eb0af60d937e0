/**
 * Access ends at once, on every open connection (issue 13, section 1): a
 * sign-out, a deleted user, a new role or agent, an idle session and a revoked
 * token disconnect every socket that rode on them within a second, with a
 * reason the page can show; every command re-checks the principal; and in
 * cluster mode a revocation on node A cuts the sockets of node B.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { io as ioClient, type Socket } from 'socket.io-client';
import { createPinia, setActivePinia } from 'pinia';
import { createServer, type FloorwatchServer } from '../../server/app.ts';
import { openSqliteLog } from '../../server/log/sqlite.ts';
import { openRedisLog, type RedisLog } from '../../server/log/redis.ts';
import { AuthStore, type Role } from '../../server/auth/store.ts';
import type { LogStore } from '../../server/log/store.ts';
import type { Ack, IngestClientToServer, IngestResult, IngestServerToClient, LiveClientToServer, LiveServerToClient, RevokedNotice, Snapshot, Delta } from '../../shared/wire.ts';
import type { Alert } from '../../shared/state.ts';
import { routeTo } from '../../client/src/live.ts';
import { useConnectionStore, type LiveSocketLike } from '../../client/src/stores/connection.ts';
import { closeHarnessesAfterEach, ev, FakeClock, INGEST_TOKEN, postEvents, redisReachable, T0, waitFor, type Harness } from './harness.ts';

/** A revoked socket must be gone within this, ms (the issue: "at once"). */
const CUT_WITHIN_MS = 1_000;
/** How long a cut socket is watched for anything more arriving, ms. */
const QUIET_MS = 300;
const PASSWORD = 'correct horse battery';

const harness = closeHarnessesAfterEach();

interface Server {
  url: string;
  /** The auth.db file (a second AuthStore on it is another node sharing the folder). */
  authFile: string;
  server: FloorwatchServer;
  auth: AuthStore;
  clock: FakeClock;
  log: LogStore;
}

/** A /live client that records everything it is sent, and how and when it was disconnected. */
interface Client {
  socket: Socket<LiveServerToClient, LiveClientToServer>;
  snapshots: Snapshot[];
  deltas: Delta[];
  revoked: RevokedNotice[];
  disconnect: { reason: string; atMs: number } | null;
  first: Promise<Snapshot>;
  /** Messages of any kind received after the disconnect. */
  afterCut: number;
}
let clients: { close(): void }[] = [];
let cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of clients) c.close();
  clients = [];
  for (const f of cleanups.reverse()) await f().catch(() => undefined);
  cleanups = [];
});

function live(s: { url: string }, auth: Record<string, string>, cookie?: string): Client {
  const socket: Socket<LiveServerToClient, LiveClientToServer> = ioClient(`${s.url}/live`, {
    auth,
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    // The floor's own origin, as a browser on the floor's page sends it.
    extraHeaders: { origin: s.url, ...(cookie ? { cookie } : {}) },
  });
  clients.push(socket);
  const c: Client = {
    socket,
    snapshots: [],
    deltas: [],
    revoked: [],
    disconnect: null,
    afterCut: 0,
    first: new Promise<Snapshot>((resolve, reject) => {
      socket.once('live:snapshot', resolve);
      socket.once('connect_error', reject);
    }),
  };
  socket.onAny(() => {
    if (c.disconnect) c.afterCut++;
  });
  socket.on('live:snapshot', (x) => c.snapshots.push(x));
  socket.on('live:delta', (d) => c.deltas.push(d));
  socket.on('auth:revoked', (n) => c.revoked.push(n));
  socket.on('disconnect', (reason) => (c.disconnect = { reason, atMs: Date.now() }));
  return c;
}

/** A user with a session of their own; the cookie a browser would send. */
async function signedIn(s: Pick<Server, "auth" | "clock">, username: string, role: Role, agentId?: string): Promise<{ id: number; cookie: string }> {
  const existing = s.auth.listUsers().find((u) => u.username === username);
  const user = existing ?? (await s.auth.createUser({ username, password: PASSWORD, role, agentId }, s.clock.now()));
  return { id: user.id, cookie: `fw_session=${s.auth.createSession(user.id, s.clock.now())}` };
}

async function call(s: { url: string }, method: string, p: string, cookie: string, body?: unknown): Promise<{ status: number; body: { ok: boolean; data?: unknown; error?: string } }> {
  const res = await fetch(`${s.url}${p}`, {
    method,
    headers: { cookie, origin: s.url, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(5_000),
  });
  return { status: res.status, body: (await res.json()) as { ok: boolean; data?: unknown; error?: string } };
}

/** Revokes (by `act`) and measures how long until the client was disconnected; checks the notice and that nothing came after. */
async function expectCut(c: Client, act: () => Promise<unknown>, reason: RevokedNotice['reason'], more?: () => Promise<unknown>): Promise<number> {
  expect(c.socket.connected).toBe(true);
  const t0 = Date.now();
  await act();
  await waitFor(() => c.disconnect !== null, CUT_WITHIN_MS + 500, 'the socket to be disconnected');
  const tookMs = (c.disconnect?.atMs ?? Infinity) - t0;
  expect(tookMs).toBeLessThan(CUT_WITHIN_MS);
  expect(c.revoked).toEqual([expect.objectContaining({ reason })]);
  // The server closed it: socket.io's client does not try again by itself.
  expect(c.disconnect?.reason).toMatch(/io server disconnect|transport close/);
  await more?.();
  await new Promise((r) => setTimeout(r, QUIET_MS));
  expect(c.afterCut).toBe(0);
  return tookMs;
}

/** Posts one new agent event: every floor socket still in the room gets a delta. */
let seq = 0;
async function feed(h: Harness): Promise<void> {
  seq++;
  const r = await postEvents(h, [ev.agent(`z${seq}`, 'available', 60 + seq)]);
  expect(r.status).toBe(200);
}

/** A hold without permission on call c1: one open `hold-permission` alert to acknowledge. */
async function openAlert(h: Harness): Promise<Alert> {
  await postEvents(h, [ev.agent('1001', 'available', 0), ev.queued('c1', 'sales', 0), ev.ringing('c1', '1001', 1), ev.answered('c1', '1001', 3), ev.hold('c1', 20, false)]);
  const a = [...h.server.state().alerts.values(), ...h.server.state().recentAlerts].find((x) => x.ruleId === 'hold-permission');
  expect(a).toBeDefined();
  return a as Alert;
}

/** The alert as the engine holds it now (open, or among the day's recent ones). */
function alertNow(s: { server: FloorwatchServer }, id: string): Alert | undefined {
  const st = s.server.state();
  return st.alerts.get(id) ?? st.recentAlerts.find((a) => a.id === id);
}

/** A server on a file-backed auth.db, with options the harness does not take (idle time, sweep period). */
async function startOwn(o: { sessionIdleMs?: number; revocationSweepMs?: number; authFile?: string } = {}): Promise<Server> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floorwatch-revoke-'));
  const clock = new FakeClock();
  const log = openSqliteLog({ file: path.join(dir, 'floorwatch.db'), synchronous: 'normal' });
  const authFile = o.authFile ?? path.join(dir, 'auth.db');
  const auth = new AuthStore(authFile);
  const server = createServer({ log, auth, clock, ingestTokens: [INGEST_TOKEN], tickMs: 0, sessionIdleMs: o.sessionIdleMs, revocationSweepMs: o.revocationSweepMs, logger: { info() {}, warn() {}, error() {} } });
  const port = await server.listen(0, '127.0.0.1');
  cleanups.push(async () => {
    await server.close();
    await log.close();
    auth.close();
  });
  return { url: `http://127.0.0.1:${port}`, authFile, server, auth, clock, log };
}

describe('access ends at once on every open /live socket', () => {
  it('disconnects the sockets of a session that signs out, within a second, and only those', async () => {
    const h = await harness.start();
    const a = await signedIn(h, 'sup', 'supervisor');
    const other = await signedIn(h, 'sup', 'supervisor'); // the same user on another browser: another session
    const c1 = live(h, { scope: 'floor' }, a.cookie);
    const c2 = live(h, { scope: 'wallboard' }, a.cookie);
    const keep = live(h, { scope: 'floor' }, other.cookie);
    await Promise.all([c1.first, c2.first, keep.first]);
    const took = await expectCut(c1, () => call(h, 'POST', '/api/logout', a.cookie), 'signed-out', () => feed(h));
    await waitFor(() => c2.disconnect !== null, 500, 'the second socket of the session');
    expect(c2.revoked[0]?.reason).toBe('signed-out');
    // The other session of the same user is untouched and still gets the floor.
    expect(keep.socket.connected).toBe(true);
    await waitFor(() => keep.deltas.length > 0, 2_000, 'the kept socket to get a delta');
    expect(h.server.revocations.stats).toMatchObject({ tracked: 1, cut: 2 });
    console.info(`[revocation] sign-out cut its socket in ${took} ms`);
  });

  it('disconnects a deleted supervisor at once; an acknowledgement sent after is never recorded', async () => {
    const h = await harness.start();
    const admin = await signedIn(h, 'boss', 'admin');
    const sup = await signedIn(h, 'sup', 'supervisor');
    const alert = await openAlert(h);
    const c = live(h, { scope: 'floor' }, sup.cookie);
    await c.first;
    await expectCut(c, () => call(h, 'DELETE', `/api/admin/users/${sup.id}`, admin.cookie).then((r) => expect(r.status).toBe(200)), 'user-deleted', () => feed(h));
    // The page still holds the socket object: an acknowledgement from it goes nowhere.
    const r = await c.socket
      .timeout(QUIET_MS)
      .emitWithAck('alert:acknowledge', { alertId: alert.id })
      .catch((e: Error) => e);
    expect(r).toBeInstanceOf(Error);
    expect(alertNow(h, alert.id)).toMatchObject({ id: alert.id });
    expect(alertNow(h, alert.id)?.ack).toBeUndefined();
    const audit = await h.log.listAudit(100);
    expect(audit.filter((e) => e.actor === 'sup')).toEqual([]);
  });

  it('refuses a command from a supervisor deleted on another node sharing auth.db, and then disconnects them', async () => {
    // No notice reaches this node (no bus, no sweep): only the per-command re-check stands between the socket and the ack.
    const s = await startOwn({ revocationSweepMs: 0 });
    const sup = await signedIn(s, 'sup', 'supervisor');
    const h = { ...s, followPosts: true } as unknown as Harness;
    const alert = await openAlert(h);
    const c = live(s, { scope: 'floor' }, sup.cookie);
    await c.first;
    const otherNode = new AuthStore(s.authFile);
    expect(otherNode.deleteUser(sup.id)).toBe(true);
    otherNode.close();
    expect(c.socket.connected).toBe(true);
    const r = (await c.socket.timeout(CUT_WITHIN_MS).emitWithAck('alert:acknowledge', { alertId: alert.id })) as Ack<Alert>;
    expect(r).toEqual({ ok: false, error: expect.stringMatching(/refused: this user was deleted/) });
    await waitFor(() => c.disconnect !== null, CUT_WITHIN_MS, 'the refused socket to be disconnected');
    expect(c.revoked.map((n) => n.reason)).toEqual(['user-deleted']);
    expect(alertNow(s, alert.id)).toMatchObject({ id: alert.id });
    expect(alertNow(s, alert.id)?.ack).toBeUndefined();
    expect((await s.log.listAudit(100)).filter((e) => e.action.startsWith('alert.'))).toEqual([]);
    expect(s.server.revocations.stats.refused).toBe(1);
  });

  it("disconnects a user's sockets when their role changes", async () => {
    const h = await harness.start();
    const admin = await signedIn(h, 'boss', 'admin');
    const sup = await signedIn(h, 'sup', 'supervisor');
    const c = live(h, { scope: 'floor' }, sup.cookie);
    await c.first;
    await expectCut(
      c,
      async () => {
        const r = await call(h, 'PATCH', `/api/admin/users/${sup.id}`, admin.cookie, { role: 'agent', agentId: '1001' });
        expect(r.body).toMatchObject({ ok: true, data: { role: 'agent', agentId: '1001' } });
      },
      'role-changed',
      () => feed(h),
    );
    // Their session ended with it: the floor is not theirs any more.
    expect((await call(h, 'GET', '/api/snapshot?scope=floor', sup.cookie)).status).toBe(401);
    expect((await h.log.listAudit(10)).map((e) => e.action)).toContain('user.update');
  });

  it("disconnects an agent's socket when they are bound to another agent", async () => {
    const h = await harness.start();
    const admin = await signedIn(h, 'boss', 'admin');
    const ag = await signedIn(h, 'ann', 'agent', '1001');
    const c = live(h, { scope: 'agent', agentId: '1001' }, ag.cookie);
    await c.first;
    await expectCut(c, () => call(h, 'PATCH', `/api/admin/users/${ag.id}`, admin.cookie, { agentId: '1002' }), 'role-changed', () =>
      postEvents(h, [ev.queued('c9', 'sales', 70), ev.ringing('c9', '1001', 71)]),
    );
  });

  it('cuts the sockets of a session that went idle, and the sweep itself keeps no session alive', async () => {
    const idleMs = 5 * 60_000;
    const s = await startOwn({ sessionIdleMs: idleMs, revocationSweepMs: 50 });
    const sup = await signedIn(s, 'sup', 'supervisor');
    const busy = await signedIn(s, 'sup', 'supervisor');
    const c = live(s, { scope: 'floor' }, sup.cookie);
    const b = live(s, { scope: 'floor' }, busy.cookie);
    await Promise.all([c.first, b.first]);
    s.clock.advance(3 * 60_000);
    // Several sweeps run at minute 3: none of them may count as the user's activity.
    const sweeps = s.server.revocations.stats.sweeps;
    await waitFor(() => s.server.revocations.stats.sweeps >= sweeps + 3, 2_000, 'three sweeps');
    // A command is activity: the busy session's idle timer starts again at minute 3.
    expect(await b.socket.timeout(1_000).emitWithAck('live:resync')).toMatchObject({ ok: true });
    expect(c.socket.connected && b.socket.connected).toBe(true);
    await expectCut(c, async () => s.clock.advance(3 * 60_000), 'session-expired');
    expect(b.socket.connected).toBe(true);
    expect((await call(s, 'GET', '/api/snapshot?scope=floor', sup.cookie)).status).toBe(401);
  });

  it('disconnects a kiosk wallboard whose token is revoked, and the page shows why instead of reconnecting', async () => {
    const h = await harness.start();
    const admin = await signedIn(h, 'boss', 'admin');
    const made = (await call(h, 'POST', '/api/admin/tokens', admin.cookie, { kind: 'wallboard', name: 'TV 1' })).body.data as { id: number; token: string };
    const c = live(h, { scope: 'wallboard', kiosk: made.token });
    // The page's own wiring (client/src/live.ts) on the same socket: the connection store learns why.
    const pinia = createPinia();
    setActivePinia(pinia);
    const conn = useConnectionStore(pinia);
    routeTo(c.socket as unknown as LiveSocketLike);
    await c.first;
    await waitFor(() => conn.status === 'live', 1_000, 'the store to go live');
    await expectCut(c, () => call(h, 'DELETE', `/api/admin/tokens/${made.id}`, admin.cookie), 'token-revoked', () => feed(h));
    expect(conn.revoked).toEqual({ reason: 'token-revoked', message: 'the access token was revoked' });
    expect(conn.status).toBe('lost');
    expect(c.socket.active).toBe(false);
    conn.reset();
  });
});

describe('access ends at once on /ingest sockets', () => {
  it('disconnects a producer whose ingest token is revoked; nothing it sends after is accepted', async () => {
    const h = await harness.start();
    const admin = await signedIn(h, 'boss', 'admin');
    const made = (await call(h, 'POST', '/api/admin/tokens', admin.cookie, { kind: 'ingest', name: 'pbx' })).body.data as { id: number; token: string };
    const socket: Socket<IngestServerToClient, IngestClientToServer> = ioClient(`${h.url}/ingest`, { auth: { token: made.token }, transports: ['websocket'], reconnection: false, forceNew: true });
    clients.push(socket);
    const revoked: RevokedNotice[] = [];
    let cutAt = 0;
    socket.on('auth:revoked', (n) => revoked.push(n));
    socket.on('disconnect', () => (cutAt = Date.now()));
    await new Promise<void>((resolve, reject) => {
      socket.once('ingest:ready', resolve);
      socket.once('connect_error', reject);
    });
    const ok = (await socket.timeout(2_000).emitWithAck('events:ingest', [ev.agent('p1', 'available', 1)])) as Ack<IngestResult>;
    expect(ok).toMatchObject({ ok: true, data: { accepted: 1 } });
    const t0 = Date.now();
    expect((await call(h, 'DELETE', `/api/admin/tokens/${made.id}`, admin.cookie)).status).toBe(200);
    await waitFor(() => cutAt > 0, CUT_WITHIN_MS + 500, 'the ingest socket to be disconnected');
    expect(cutAt - t0).toBeLessThan(CUT_WITHIN_MS);
    expect(revoked.map((n) => n.reason)).toEqual(['token-revoked']);
    const accepted = h.server.pipeline.stats;
    const before = JSON.stringify(accepted);
    const late = await socket
      .timeout(QUIET_MS)
      .emitWithAck('events:ingest', [ev.agent('p2', 'available', 2)])
      .catch((e: Error) => e);
    expect(late).toBeInstanceOf(Error);
    expect(JSON.stringify(h.server.pipeline.stats)).toBe(before);
    expect(h.server.state().agents.has('p2')).toBe(false);
  });

  it('cuts, at its next sweep, an ingest socket whose token another node sharing auth.db revoked with no bus between them', async () => {
    const s = await startOwn({ revocationSweepMs: 0 });
    const made = s.auth.createToken('ingest', 'pbx', 'test', s.clock.now());
    const socket: Socket<IngestServerToClient, IngestClientToServer> = ioClient(`${s.url}/ingest`, { auth: { token: made.token }, transports: ['websocket'], reconnection: false, forceNew: true });
    clients.push(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('ingest:ready', resolve);
      socket.once('connect_error', reject);
    });
    const otherNode = new AuthStore(s.authFile);
    otherNode.revokeToken(made.info.id, s.clock.now());
    otherNode.close();
    // No notice reached this node, and its cache of live tokens still holds the token: its sweep re-reads the file.
    expect(socket.connected).toBe(true);
    await s.server.revocations.sweep();
    await waitFor(() => !socket.connected, CUT_WITHIN_MS, 'the ingest socket to be disconnected by the sweep');
    expect(s.server.state().agents.size).toBe(0);
    const res = await fetch(`${s.url}/api/events`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${made.token}` }, body: JSON.stringify([ev.agent('p3', 'available', 3)]) });
    expect(res.status).toBe(401);
  });
});

// ------------------------------------------------------------------ cluster
const redisUp = await redisReachable('the two-node revocation tests need Redis on 127.0.0.1:6379 (.ci/run starts it)');

describe.skipIf(!redisUp)('two nodes on Redis: a revocation on node A cuts the sockets of node B', () => {
  /** Two nodes on one Redis stream sharing one auth.db (as `--data` on one machine), with no sweep: only the bus can cut. */
  async function twoNodes(): Promise<[Server, Server]> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floorwatch-revoke-cluster-'));
    const prefix = `fwtest-revoke-${process.pid}-${Date.now()}`;
    const clock = new FakeClock(T0);
    const out: Server[] = [];
    for (const name of ['a', 'b']) {
      const log: RedisLog = await openRedisLog({ url: 'redis://127.0.0.1:6379', prefix });
      const authFile = path.join(dir, 'auth.db');
      const auth = new AuthStore(authFile);
      const server = createServer({ log, auth, clock, ingestTokens: [INGEST_TOKEN], tickMs: 0, revocationSweepMs: 0, logger: { info() {}, warn() {}, error() {} } });
      const port = await server.listen(0, '127.0.0.1');
      cleanups.push(async () => {
        await server.close();
        if (name === 'a') await log.purge().catch(() => undefined);
        await log.close();
        auth.close();
      });
      out.push({ url: `http://127.0.0.1:${port}`, authFile, server, auth, clock, log });
    }
    return [out[0], out[1]];
  }

  it("deleting a supervisor on node A disconnects their socket on node B within a second", async () => {
    const [a, b] = await twoNodes();
    const admin = await signedIn(a, 'boss', 'admin');
    const sup = await signedIn(a, 'sup', 'supervisor');
    const c = live(b, { scope: 'floor' }, sup.cookie);
    await c.first;
    const took = await expectCut(c, () => call(a, 'DELETE', `/api/admin/users/${sup.id}`, admin.cookie).then((r) => expect(r.status).toBe(200)), 'user-deleted');
    expect(b.server.revocations.stats).toMatchObject({ received: 1, cut: 1, tracked: 0 });
    console.info(`[revocation] node A's deletion cut node B's socket in ${took} ms`);
  });

  it("signing out on node A and revoking a kiosk token on node A cut node B's sockets; node B refuses the token over HTTP too", async () => {
    const [a, b] = await twoNodes();
    const admin = await signedIn(a, 'boss', 'admin');
    const sup = await signedIn(a, 'sup', 'supervisor');
    const made = (await call(a, 'POST', '/api/admin/tokens', admin.cookie, { kind: 'wallboard', name: 'TV 2' })).body.data as { id: number; token: string };
    b.auth.refreshTokens(); // node B learns of a new token when it reads the file (at its next sweep, or here)
    const floor = live(b, { scope: 'floor' }, sup.cookie);
    const wall = live(b, { scope: 'wallboard', kiosk: made.token });
    await Promise.all([floor.first, wall.first]);
    await expectCut(floor, () => call(a, 'POST', '/api/logout', sup.cookie), 'signed-out');
    expect(wall.socket.connected).toBe(true);
    await expectCut(wall, () => call(a, 'DELETE', `/api/admin/tokens/${made.id}`, admin.cookie), 'token-revoked');
    const res = await fetch(`${b.url}/api/snapshot?scope=wallboard&kiosk=${encodeURIComponent(made.token)}`, { signal: AbortSignal.timeout(5_000) });
    expect(res.status).toBe(401);
  });
});
