/**
 * /healthz and /readyz for a load balancer: the server listens before it
 * replays its log, answers liveness at once and readiness only once the floor
 * is rebuilt (503 "replaying" with its progress before, every other request
 * and socket handshake refused meanwhile), and says "log-unwritable" while its
 * log refuses writes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { io as ioClient } from 'socket.io-client';
import { createServer, type FloorwatchServer } from '../../server/app.ts';
import { openSqliteLog } from '../../server/log/sqlite.ts';
import { AuthStore } from '../../server/auth/store.ts';
import type { LogStore } from '../../server/log/store.ts';
import type { FloorEvent } from '../../shared/events.ts';
import { ev, FakeClock, INGEST_TOKEN, T0, tempDbFile, VIEW_TOKEN } from './harness.ts';

const quiet = { info: () => {}, warn: () => {}, error: () => {} };
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
});

/** A server on `log`, its listen started but not awaited; resolves once it is bound (the replay may still run). */
async function startUnawaited(log: LogStore): Promise<{ server: FloorwatchServer; url: string; listening: Promise<number> }> {
  const auth = new AuthStore(':memory:');
  const server = createServer({ log, auth, clock: new FakeClock(T0 + 3_600_000), ingestTokens: [INGEST_TOKEN], viewTokens: [VIEW_TOKEN], tickMs: 0, maxFutureSec: 86_400, logger: quiet });
  const listening = server.listen(0, '127.0.0.1');
  stops.push(async () => {
    await listening.catch(() => undefined);
    await server.close();
    await log.close();
    auth.close();
  });
  while (!server.httpServer.address()) await new Promise((r) => setTimeout(r, 1));
  const addr = server.httpServer.address() as { port: number };
  return { server, url: `http://127.0.0.1:${addr.port}`, listening };
}

/** The same store with `replay` and `append` replaceable (the store's own methods otherwise). */
function hooked(log: LogStore): LogStore & { hooks: { beforeReplay?: Promise<void>; appendFails?: string } } {
  const hooks: { beforeReplay?: Promise<void>; appendFails?: string } = {};
  const wrapper = Object.create(log) as LogStore & { hooks: typeof hooks };
  wrapper.hooks = hooks;
  wrapper.replay = async (fn) => {
    await hooks.beforeReplay;
    return log.replay.call(wrapper, fn);
  };
  wrapper.append = async (events, receivedAtMs) => {
    if (hooks.appendFails) throw new Error(hooks.appendFails);
    return log.append.call(wrapper, events, receivedAtMs);
  };
  return wrapper;
}

async function get(url: string, token?: string): Promise<{ status: number; body: Record<string, unknown>; retryAfter: string | null }> {
  const res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, retryAfter: res.headers.get('retry-after') };
}

describe('/healthz and /readyz', () => {
  it('answers liveness at once and readiness only after the replay; other requests and sockets wait with a 503', async () => {
    const log = hooked(openSqliteLog({ file: tempDbFile(), synchronous: 'normal' }));
    await log.append([ev.agent('A1', 'available', 0) as FloorEvent, ev.queued('r1', 'sales', 1) as FloorEvent], T0 + 1_000);
    let release!: () => void;
    log.hooks.beforeReplay = new Promise<void>((r) => (release = r));
    const { url, listening } = await startUnawaited(log);

    expect((await get(`${url}/healthz`)).status).toBe(200);
    const before = await get(`${url}/readyz`);
    expect(before.status).toBe(503);
    expect(before.body).toMatchObject({ ok: false, status: 'replaying' });
    expect(String(before.body.error)).toMatch(/replaying the event log/);
    expect(before.retryAfter).toBe('5');
    const api = await get(`${url}/api/health`, VIEW_TOKEN);
    expect(api.status).toBe(503);
    expect(String(api.body.error)).toMatch(/^starting: replaying the event log/);
    const post = await fetch(`${url}/api/events`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${INGEST_TOKEN}` }, body: JSON.stringify([ev.queued('r2', 'sales', 2)]) });
    expect(post.status).toBe(503);
    const refused = await new Promise<string>((resolve) => {
      const s = ioClient(`${url}/live`, { auth: { token: VIEW_TOKEN, scope: 'floor' }, transports: ['websocket'], reconnection: false, forceNew: true });
      s.once('connect', () => (s.close(), resolve('connected')));
      s.once('connect_error', (err) => (s.close(), resolve(err.message)));
    });
    expect(refused).not.toBe('connected');

    release();
    await listening;
    const after = await get(`${url}/readyz`);
    expect(after.status).toBe(200);
    expect(after.body).toMatchObject({ ok: true, status: 'ready', replayed: 2 });
    expect((await get(`${url}/api/health`, VIEW_TOKEN)).status).toBe(200);
  });

  it('reports the replay’s progress while a big log replays, then turns ready', async () => {
    const file = tempDbFile();
    const writer = openSqliteLog({ file, synchronous: 'normal' });
    const total = 100_000;
    for (let i = 0; i < total; i += 10_000) {
      const batch: FloorEvent[] = [];
      for (let j = i; j < i + 10_000; j += 2) {
        batch.push(ev.queued(`b${j}`, `q${j % 7}`, j / 100) as FloorEvent);
        batch.push(ev.abandoned(`b${j}`, j / 100 + 5) as FloorEvent);
      }
      await writer.append(batch, T0 + i * 10);
    }
    await writer.close();

    const { url, listening } = await startUnawaited(openSqliteLog({ file, synchronous: 'normal' }));
    let done = false;
    void listening.then(() => (done = true));
    const seen: { status: number; body: Record<string, unknown> }[] = [];
    while (!done) seen.push(await get(`${url}/readyz`));
    await listening;
    seen.push(await get(`${url}/readyz`));

    const replaying = seen.filter((r) => r.status === 503);
    expect(replaying.length).toBeGreaterThan(0);
    for (const r of replaying) expect(r.body.status).toBe('replaying');
    // Counting up as it goes: some answer fell between the first and the last chunk.
    expect(replaying.some((r) => Number(r.body.replayed) > 0 && Number(r.body.replayed) < total)).toBe(true);
    expect(seen[seen.length - 1]).toMatchObject({ status: 200, body: { status: 'ready', replayed: total } });
  }, 60_000);

  it('says log-unwritable while appends fail, and ready again after one succeeds', async () => {
    const log = hooked(openSqliteLog({ file: tempDbFile(), synchronous: 'normal' }));
    const { url, listening } = await startUnawaited(log);
    await listening;
    expect((await get(`${url}/readyz`)).status).toBe(200);

    log.hooks.appendFails = 'SQLITE_FULL: database or disk is full';
    const postOne = (id: string) =>
      fetch(`${url}/api/events`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${INGEST_TOKEN}` }, body: JSON.stringify([ev.queued(id, 'sales', 3)]) });
    expect((await postOne('w1')).status).toBe(503);
    const down = await get(`${url}/readyz`);
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({ ok: false, status: 'log-unwritable' });
    expect(String(down.body.error)).toContain('database or disk is full');
    // Liveness is not readiness: the process still answers.
    expect((await get(`${url}/healthz`)).status).toBe(200);

    log.hooks.appendFails = undefined;
    expect((await postOne('w2')).status).toBe(200);
    expect((await get(`${url}/readyz`)).body).toMatchObject({ ok: true, status: 'ready' });
  });
});
