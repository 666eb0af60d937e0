/**
 * Issue 11, section 1 (server side): the live clock is the server's. A
 * back-dated batch moves no clock backwards, supervisor actions carry the
 * server's real time, and events too far ahead of the server's clock are
 * rejected one by one. On a shared (Redis) log every node folds with the
 * receive time stored in the log, not its own.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type FloorwatchServer } from '../../server/app.ts';
import { DEFAULT_MAX_FUTURE_SEC } from '../../server/ingest.ts';
import { openRedisLog, type RedisLog } from '../../server/log/redis.ts';
import { AuthStore } from '../../server/auth/store.ts';
import { readOptions } from '../../server/main.ts';
import { futureError } from '../../server/ingest.ts';
import type { Alert } from '../../shared/state.ts';
import type { IngestResult } from '../../shared/wire.ts';
import { connectIngest, ev, FakeClock, getJson, INGEST_TOKEN, postEvents, redisReachable, startHarness, T0, VIEW_TOKEN, waitFor, type Harness } from './harness.ts';

let harnesses: Harness[] = [];
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
  for (const h of harnesses) await h.close();
  harnesses = [];
});

async function start(opts: Parameters<typeof startHarness>[0] = {}): Promise<Harness> {
  const h = await startHarness({ maxFutureSec: 60, ...opts });
  harnesses.push(h);
  return h;
}

async function ackOverHttp(h: Harness, alertId: string): Promise<{ status: number; body: { ok: boolean; data?: Alert; error?: string } }> {
  const res = await fetch(`${h.url}/api/alerts/${encodeURIComponent(alertId)}/ack`, {
    method: 'POST',
    headers: { authorization: `Bearer ${VIEW_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ note: 'on it' }),
  });
  return { status: res.status, body: (await res.json()) as { ok: boolean; data?: Alert; error?: string } };
}

describe('the live clock is the server clock', () => {
  it('a producer sending two minutes of history, then live events, never moves the engine clock back; an acknowledgement carries the server time', async () => {
    const clock = new FakeClock(T0 + 10 * 60_000); // 09:10:00
    const h = await start({ clock });
    const seen: number[] = [];
    const sample = (what: string) => {
      const now = h.server.state().nowMs;
      if (seen.length) expect(now, `engine clock after ${what}`).toBeGreaterThanOrEqual(seen[seen.length - 1]);
      // Never behind the server's clock once something was folded or ticked.
      expect(now, `engine clock after ${what}`).toBeGreaterThanOrEqual(clock.now());
      seen.push(now);
    };
    h.server.tickNow();
    sample('the first tick');

    // History: the agent and a caller queued 120 s ago who is still waiting.
    const base = (clock.now() - T0) / 1000;
    const history = [
      ev.agent('a1', 'away', base - 120, { name: 'Ann Lee', queues: ['sales'], reason: 'lunch' }),
      ev.queued('h1', 'sales', base - 120),
      ev.agent('a2', 'available', base - 115, { name: 'Bo Tan', queues: ['sales'] }),
    ];
    const r1 = await postEvents(h, history);
    expect(r1.body.data).toEqual({ accepted: 3, duplicates: 0, rejected: [] });
    sample('the back-dated batch');
    expect(h.server.state().nowMs).toBe(clock.now());

    // Then live ones, a second at a time, the tick running between them.
    for (let i = 1; i <= 3; i++) {
      clock.advance(1_000);
      const r = await postEvents(h, [ev.queued(`l${i}`, 'sales', (clock.now() - T0) / 1000)]);
      expect(r.body.data?.accepted).toBe(1);
      sample(`live batch ${i}`);
      h.server.tickNow();
      sample(`tick ${i}`);
    }
    // The caller queued 123 s ago raised a queue-wait alert from the tick, started at the crossing (60 s into the wait).
    const alert = [...h.server.state().alerts.values()].find((a) => a.ruleId === 'queue-wait');
    expect(alert, 'a queue-wait alert').toBeDefined();
    expect(alert!.raisedAtMs).toBe(T0 + (base - 120 + 60) * 1000);
    expect(alert!.level).toBe('breach');

    clock.advance(400);
    const acked = await ackOverHttp(h, alert!.id);
    expect(acked.status).toBe(200);
    expect(acked.body.data?.ack?.atMs).toBe(clock.now());
    expect(acked.body.data!.ack!.atMs).toBeGreaterThanOrEqual(alert!.raisedAtMs);
    sample('the acknowledgement');

    // What the log and the audit trail keep carries the same time.
    const saved = ((await getJson(h, '/api/alerts')).body.data as Alert[]).find((a) => a.id === alert!.id);
    expect(saved?.ack).toEqual({ by: 'api-token', atMs: clock.now(), note: 'on it' });
    // The health endpoint no longer reports a feed offset: there is one clock.
    const health = (await getJson(h, '/api/health')).body.data as Record<string, unknown>;
    expect(health).not.toHaveProperty('feedOffsetMs');
    expect(health.nowMs).toBe(clock.now());
  });

  it('never runs ahead for events dated up to the limit in the future: they count at the server time, alerts are not raised early, an acknowledgement is never before its alert', async () => {
    const clock = new FakeClock(T0 + 10 * 60_000);
    const h = await start({ clock });
    const now = () => (clock.now() - T0) / 1000;
    // A caller who has waited 30 s, then a producer whose clock runs 55 s fast.
    await postEvents(h, [ev.queued('s1', 'skewq', now() - 30)]);
    const r = await postEvents(h, [ev.agent('9999', 'available', now() + 55, { queues: ['skewq'] }), ev.hold('nope', now() + 50, false)]);
    expect(r.body.data?.accepted).toBe(2);
    expect(h.server.state().nowMs).toBe(clock.now());
    clock.advance(1_000);
    h.server.tickNow();
    expect(h.server.state().nowMs).toBe(clock.now());
    expect([...h.server.state().alerts.values()].filter((a) => a.ruleId === 'queue-wait')).toEqual([]); // 31 s of wait, not 86
    expect(h.server.state().agents.get('9999')?.presenceSinceMs).toBe(clock.now() - 1_000); // counted at its arrival
    clock.advance(30_000);
    h.server.tickNow();
    const [wait] = [...h.server.state().alerts.values()].filter((a) => a.ruleId === 'queue-wait');
    expect(wait).toMatchObject({ level: 'warn', raisedAtMs: clock.now() - 1_000 });
    const ack = await ackOverHttp(h, wait.id);
    expect(ack.body.data?.ack?.atMs).toBeGreaterThanOrEqual(wait.raisedAtMs);
    const health = (await getJson(h, '/api/health')).body.data as { engine: { diagnostics: { aheadOfClock: number } } };
    expect(health.engine.diagnostics.aheadOfClock).toBe(2);
  });

  it('stamps a ticker message and a note with the server clock even after a back-dated batch', async () => {
    const clock = new FakeClock(T0 + 3_600_000); // 10:00
    const h = await start({ clock });
    await postEvents(h, [ev.agent('a1', 'available', 0, { name: 'Ann Lee' }), ev.queued('c1', 'sales', 5)]); // an hour old
    const post = async (p: string, body: unknown) => {
      const res = await fetch(`${h.url}${p}`, { method: 'POST', headers: { authorization: `Bearer ${VIEW_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return (await res.json()) as { ok: boolean; data?: { at: number; untilMs?: number } };
    };
    const ticker = await post('/api/ticker', { text: 'Team meeting at 11', minutes: 5 });
    expect(ticker.data?.at).toBe(clock.now());
    expect(ticker.data?.untilMs).toBe(clock.now() + 5 * 60_000);
    const note = await post('/api/agents/a1/notes', { text: 'Please log your breaks' });
    expect(note.data?.at).toBe(clock.now());
    expect(h.server.state().nowMs).toBe(clock.now());
  });
});

describe('events too far in the future', () => {
  it('rejects events more than 60 s ahead per event, naming the field and the limit, and accepts those beside them', async () => {
    const h = await start();
    const at = (sec: number) => T0 + sec * 1000;
    const batch = [
      { type: 'agent.state', id: 'f0', at: at(0), agentId: 'a1', state: 'available', name: 'Ann Lee' },
      { type: 'call.queued', id: 'f1', at: at(125), callId: 'x1', queueId: 'sales' },
      { type: 'call.queued', id: 'f2', at: at(30), callId: 'x2', queueId: 'sales' },
      { type: 'call.queued', id: 'f3', at: new Date(at(61)).toISOString(), callId: 'x3', queueId: 'sales' },
      { type: 'call.queued', id: 'f4', at: at(60), callId: 'x4', queueId: 'sales' },
      { type: 'call.queued', id: 'f5', at: at(-30), callId: 'x5', queueId: 'sales' },
    ];
    const r = await postEvents(h, batch);
    expect(r.status).toBe(200);
    expect(r.body.data?.accepted).toBe(4);
    expect(r.body.data?.rejected).toEqual([
      { index: 1, error: "at: 125 s ahead of the server's clock (limit 60 s); check the producer's clock (NTP)" },
      { index: 3, error: "at: 61 s ahead of the server's clock (limit 60 s); check the producer's clock (NTP)" },
    ]);
    const s = h.server.state();
    expect([...s.calls.keys()].sort()).toEqual(['x2', 'x4', 'x5']);
    expect(await h.log.count()).toBe(4);
    // A rejected event was not written: sent again once the producer's clock is right, it is new.
    h.clock.advance(70_000);
    const again = await postEvents(h, [batch[1]]);
    expect(again.body.data).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
  });

  it('never lets an event dated 2099 move the floor to 2099: rejected by the default limit, so never in the log to replay', async () => {
    const h = await start({ maxFutureSec: DEFAULT_MAX_FUTURE_SEC });
    const r = await postEvents(h, [{ type: 'agent.state', id: 'y2099', at: '2099-06-15T09:00:00Z', agentId: 'a1', state: 'available' }, ev.queued('q1c', 'sales', 1)]);
    expect(r.body.data?.accepted).toBe(1);
    expect(r.body.data?.rejected[0].error).toMatch(/^at: \d+ s ahead of the server's clock \(limit 300 s\)/);
    expect(h.server.state().dayStartMs).toBe(Date.parse('2026-11-24T00:00:00Z'));
    expect(await h.log.count()).toBe(1);
  });

  it('answers 400 when every event of a batch is too far ahead, and says why', async () => {
    const h = await start();
    const r = await postEvents(h, [{ type: 'call.queued', id: 'g1', at: T0 + 3_600_000, callId: 'y1', queueId: 'sales' }]);
    expect(r.status).toBe(400);
    expect(r.body.data?.rejected).toEqual([{ index: 0, error: "at: 3600 s ahead of the server's clock (limit 60 s); check the producer's clock (NTP)" }]);
    expect(h.server.state().calls.size).toBe(0);
  });

  it('rejects them on the /ingest socket the same way', async () => {
    const h = await start();
    const socket = connectIngest(h, INGEST_TOKEN);
    cleanups.push(() => void socket.close());
    await new Promise<void>((resolve, reject) => {
      socket.once('ingest:ready', () => resolve());
      socket.once('connect_error', reject);
    });
    const reply = await new Promise<{ ok: boolean; data?: IngestResult }>((resolve) =>
      socket.emit('events:ingest', [ev.queued('s1', 'sales', 30), ev.queued('s2', 'sales', 90), ev.queued('s3', 'sales', 1)], (r: { ok: boolean; data?: IngestResult }) => resolve(r)),
    );
    expect(reply.ok).toBe(true);
    expect(reply.data?.accepted).toBe(2);
    expect(reply.data?.rejected).toEqual([{ index: 1, error: "at: 90 s ahead of the server's clock (limit 60 s); check the producer's clock (NTP)" }]);
    expect([...h.server.state().calls.keys()].sort()).toEqual(['s1', 's3']);
  });

  it('takes its limit from ServerOptions.maxFutureSec, --max-future-sec or FLOORWATCH_MAX_FUTURE_SEC', async () => {
    expect(readOptions([], {}).maxFutureSec).toBe(300);
    expect(readOptions(['--max-future-sec', '5'], { FLOORWATCH_MAX_FUTURE_SEC: '300' }).maxFutureSec).toBe(5);
    expect(readOptions(['--max-future-sec=0'], {}).maxFutureSec).toBe(0);
    expect(readOptions([], { FLOORWATCH_MAX_FUTURE_SEC: '300' }).maxFutureSec).toBe(300);
    expect(() => readOptions(['--max-future-sec', '-1'], {})).toThrow(/--max-future-sec: expected a number of seconds/);
    expect(() => readOptions(['--max-future-sec', 'soon'], {})).toThrow(/--max-future-sec/);
    expect(futureError(T0 + 1_500, T0, 1_000)).toBe("at: 2 s ahead of the server's clock (limit 1 s); check the producer's clock (NTP)");
    expect(futureError(T0 + 1_000, T0, 1_000)).toBeUndefined();

    const clock = new FakeClock();
    const { SqliteLog } = await import('../../server/log/sqlite.ts');
    const log = new SqliteLog({ file: ':memory:' });
    const auth = new AuthStore(':memory:');
    const server = createServer({ log, auth, clock, ingestTokens: [INGEST_TOKEN], tickMs: 0, maxFutureSec: 5, logger: { info() {}, warn() {}, error() {} } });
    const port = await server.listen(0, '127.0.0.1');
    cleanups.push(async () => {
      await server.close();
      await log.close();
      auth.close();
    });
    const res = await fetch(`http://127.0.0.1:${port}/api/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${INGEST_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify([ev.queued('m1', 'sales', 5), ev.queued('m2', 'sales', 6)]),
    });
    const body = (await res.json()) as { data: IngestResult };
    expect(body.data.accepted).toBe(1);
    expect(body.data.rejected).toEqual([{ index: 1, error: "at: 6 s ahead of the server's clock (limit 5 s); check the producer's clock (NTP)" }]);
  });
});

// ------------------------------------------------------------------ Redis: every node folds with the stored receive time

const redisUp = await redisReachable('the Redis receive-time tests need Redis on 127.0.0.1:6379');

describe.skipIf(!redisUp)('receive times on the Redis stream', () => {
  async function redisNode(prefix: string, clock: FakeClock): Promise<{ server: FloorwatchServer; log: RedisLog; url: string }> {
    const log = await openRedisLog({ url: 'redis://127.0.0.1:6379', prefix });
    const auth = new AuthStore(':memory:');
    const server = createServer({ log, auth, clock, ingestTokens: [INGEST_TOKEN], viewTokens: [VIEW_TOKEN], tickMs: 0, logger: { info() {}, warn() {}, error() {} } });
    const port = await server.listen(0, '127.0.0.1');
    cleanups.push(async () => {
      await server.close();
      await log.purge().catch(() => undefined);
      await log.close();
      auth.close();
    });
    return { server, log, url: `http://127.0.0.1:${port}` };
  }

  it('stores each entry with its receive time, and a follower and a late node fold with it rather than their own clock', async () => {
    const prefix = `fw-time-${process.pid}-${Math.random().toString(36).slice(2)}`;
    const clockA = new FakeClock(T0 + 5 * 60_000);
    const clockB = new FakeClock(T0); // a node whose clock lags five minutes
    const a = await redisNode(prefix, clockA);
    const b = await redisNode(prefix, clockB);
    const res = await fetch(`${a.url}/api/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${INGEST_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify([ev.agent('a1', 'available', 0, { name: 'Ann Lee' }), ev.queued('r1', 'sales', 10)]),
    });
    expect(((await res.json()) as { data: IngestResult }).data.accepted).toBe(2);
    await waitFor(() => b.server.state().calls.has('r1') && a.server.state().calls.has('r1'), 3_000, 'both nodes folded the batch');
    expect(a.server.state().nowMs).toBe(clockA.now());
    expect(b.server.state().nowMs).toBe(clockA.now());

    const received: number[] = [];
    await a.log.replay((_e, rx) => received.push(rx));
    expect(received).toEqual([clockA.now(), clockA.now()]);

    // A node started later, on yet another clock, replays to the same engine clock.
    const c = await redisNode(prefix, new FakeClock(T0 + 60_000));
    expect(c.server.state().nowMs).toBe(clockA.now());
  });
});
