/**
 * GET /metrics: a real server fed over HTTP and the /ingest socket, scraped, the
 * text parsed by a strict exposition parser (prom-text.ts), and its values held
 * against what the server itself says (the floor snapshot, the engine's open
 * alerts, the log) and against what was posted. Exposure: 404 when not
 * configured, 401 without or with a wrong token, a separate port without one.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type ServerOptions } from '../../server/app.ts';
import { openSqliteLog } from '../../server/log/sqlite.ts';
import { AuthStore } from '../../server/auth/store.ts';
import type { MetricsAccess } from '../../server/metrics.ts';
import type { FloorPayload, Snapshot } from '../../shared/wire.ts';
import { connectIngest, connectLive, ev, FakeClock, getJson, INGEST_TOKEN, postEvents, T0, tempDbFile, VIEW_TOKEN, WALL_TOKEN, waitFor, type Harness, type Recorder } from './harness.ts';
import { parsePrometheusText, sampleValue, type PromFamily } from './prom-text.ts';

const METRICS_TOKEN = 'metrics-token-0123456789abcdef';
const quiet = { info: () => {}, warn: () => {}, error: (m: unknown) => console.error(m) };

const open: Harness[] = [];
const clients: Recorder[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.socket.close();
  for (const h of open.splice(0)) await h.close();
});

/** A server on loopback with a fake clock and no tick timer, its metrics exposed as asked. */
async function startNode(metrics: MetricsAccess | undefined, extra: Partial<ServerOptions> = {}): Promise<Harness> {
  const clock = new FakeClock();
  const dbFile = tempDbFile();
  const log = openSqliteLog({ file: dbFile, synchronous: 'normal' });
  const auth = new AuthStore(':memory:');
  const server = createServer({ log, auth, clock, ingestTokens: [INGEST_TOKEN], viewTokens: [VIEW_TOKEN], wallboardTokens: [WALL_TOKEN], tickMs: 0, maxFutureSec: 86_400, logger: quiet, metrics, ...extra });
  const port = await server.listen(0, '127.0.0.1');
  const h: Harness = {
    server,
    auth,
    log,
    clock,
    port,
    url: `http://127.0.0.1:${port}`,
    dbFile,
    followPosts: true,
    async close() {
      await server.close();
      await log.close();
      auth.close();
    },
  };
  open.push(h);
  return h;
}

async function scrape(url: string, token?: string): Promise<{ status: number; type: string | null; text: string }> {
  const res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
}

async function scrapeParsed(h: Harness): Promise<Map<string, PromFamily>> {
  const r = await scrape(`${h.url}/metrics`, METRICS_TOKEN);
  expect(r.status).toBe(200);
  expect(r.type).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(r.text);
}

describe('GET /metrics', () => {
  it('counts what was posted per source, and gives the floor’s queues and open alerts as the floor shows them', async () => {
    const h = await startNode({ token: METRICS_TOKEN });
    const a = ev.agent('A1', 'available', 0, { name: 'Ann', queues: ['sales', 'support'] });
    const batch = [
      a,
      ev.queued('c1', 'sales', 1),
      ev.ringing('c1', 'A1', 2),
      ev.answered('c1', 'A1', 4),
      ev.hold('c1', 10), // on hold from 10 s: hold-long warns at 45 s
      ev.queued('c2', 'sales', 5),
      ev.queued('c3', 'sales', 6),
      ev.queued('c4', 'sales', 7),
      ev.queued('c5', 'support', 8),
      { type: 'call.queued', id: 'bad-1', at: T0 }, // no callId: rejected
    ];
    const first = await postEvents(h, batch);
    expect(first.body.data).toMatchObject({ accepted: 9, duplicates: 0 });
    expect(first.body.data?.rejected).toHaveLength(1);
    const again = await postEvents(h, [a]); // a producer's retry
    expect(again.body.data).toMatchObject({ accepted: 0, duplicates: 1 });

    // One batch over the /ingest socket.
    const sock = connectIngest(h, INGEST_TOKEN);
    try {
      const ack = await new Promise<unknown>((resolve) => sock.emit('events:ingest', [ev.queued('c6', 'support', 9)], resolve));
      expect(ack).toMatchObject({ ok: true, data: { accepted: 1 } });
    } finally {
      sock.close();
    }

    // Seventy seconds on: both queues have waited past the queue-wait warning (60 s).
    h.clock.t = T0 + 70_000;
    h.server.tickNow();
    const floor = connectLive(h, { token: VIEW_TOKEN, scope: 'floor' });
    const wall = connectLive(h, { token: WALL_TOKEN, scope: 'wallboard' });
    clients.push(floor, wall);
    await Promise.all([floor.firstSnapshot, wall.firstSnapshot]);

    const m = await scrapeParsed(h);
    // Ingest, per source, equal to what the producers were told.
    expect(sampleValue(m, 'floorwatch_events_ingested_total', { source: 'http' })).toBe(9);
    expect(sampleValue(m, 'floorwatch_events_ingested_total', { source: 'socket' })).toBe(1);
    expect(sampleValue(m, 'floorwatch_events_rejected_total', { source: 'http' })).toBe(1);
    expect(sampleValue(m, 'floorwatch_events_duplicates_total', { source: 'http' })).toBe(1);
    expect(sampleValue(m, 'floorwatch_events_ingested_total', { source: 'queue_log' })).toBe(0);
    expect(sampleValue(m, 'floorwatch_ingest_batches_total', { source: 'http' })).toBe(2);
    expect(sampleValue(m, 'floorwatch_ingest_batch_seconds_count', { source: 'http' })).toBe(2);
    expect(sampleValue(m, 'floorwatch_ingest_batch_seconds_count', { source: 'socket' })).toBe(1);
    expect(m.get('floorwatch_ingest_batch_seconds')?.type).toBe('histogram');
    // Two appends at least (a retry of known ids writes nothing, so it may commit nothing).
    expect(sampleValue(m, 'floorwatch_log_append_seconds_count')).toBeGreaterThanOrEqual(2);
    expect(sampleValue(m, 'floorwatch_log_events')).toBe(await h.log.count());
    expect(sampleValue(m, 'floorwatch_log_bytes')).toBeGreaterThan(0);
    expect(sampleValue(m, 'floorwatch_log_writable')).toBe(1);
    expect(sampleValue(m, 'floorwatch_ready')).toBe(1);

    // Per queue, what the floor's own snapshot shows.
    const snap = (await getJson(h, '/api/snapshot?scope=floor')).body.data as Snapshot<FloorPayload>;
    for (const q of snap.payload.queues) {
      expect(sampleValue(m, 'floorwatch_queue_waiting', { queue: q.queueId })).toBe(q.waiting);
      expect(sampleValue(m, 'floorwatch_queue_longest_wait_seconds', { queue: q.queueId })).toBe(q.longestWaitSinceMs === null ? 0 : (h.clock.t - q.longestWaitSinceMs) / 1000);
    }
    expect(sampleValue(m, 'floorwatch_queue_waiting', { queue: 'sales' })).toBe(3);
    expect(sampleValue(m, 'floorwatch_queue_waiting', { queue: 'support' })).toBe(2);
    expect(sampleValue(m, 'floorwatch_queue_longest_wait_seconds', { queue: 'sales' })).toBe(65);
    expect(sampleValue(m, 'floorwatch_queue_service_level_percent', { queue: 'sales' })).toBe(snap.payload.queues.find((q) => q.queueId === 'sales')?.serviceLevelPct);
    expect(sampleValue(m, 'floorwatch_queue_calls_today', { queue: 'sales', outcome: 'offered' })).toBe(4);

    // Open alerts by rule and level: the engine's, and zero for the rest.
    const open = new Map<string, number>();
    for (const al of h.server.state().alerts.values()) if (al.status === 'open') open.set(`${al.ruleId}/${al.level}`, (open.get(`${al.ruleId}/${al.level}`) ?? 0) + 1);
    expect(open.get('queue-wait/warn')).toBe(2);
    expect(open.get('hold-long/warn')).toBe(1);
    const alerts = m.get('floorwatch_alerts_open')!;
    for (const s of alerts.samples) expect(s.value).toBe(open.get(`${s.labels.rule}/${s.labels.level}`) ?? 0);
    expect(alerts.samples.reduce((n, s) => n + s.value, 0)).toBe([...open.values()].reduce((x, y) => x + y, 0));

    // Sockets by scope, deltas, deliveries, workers, the process.
    expect(sampleValue(m, 'floorwatch_live_sockets', { scope: 'floor' })).toBe(1);
    expect(sampleValue(m, 'floorwatch_live_sockets', { scope: 'wallboard' })).toBe(1);
    expect(sampleValue(m, 'floorwatch_live_sockets', { scope: 'agent' })).toBe(0);
    expect(sampleValue(m, 'floorwatch_live_deltas_total')).toBe(h.server.hub.stats.deltas);
    expect(sampleValue(m, 'floorwatch_live_deltas_dropped_total')).toBe(0);
    expect(sampleValue(m, 'floorwatch_notify_deliveries_total', { outcome: 'sent' })).toBe(0);
    expect(sampleValue(m, 'floorwatch_worker_runs_total', { worker: 'report', outcome: 'ok' })).toBe(0);
    expect(sampleValue(m, 'floorwatch_agents', { activity: 'hold' }) + sampleValue(m, 'floorwatch_agents', { activity: 'talking' })).toBe(1);
    expect(m.get('nodejs_eventloop_lag_seconds')?.type).toBe('gauge');
    expect(m.get('nodejs_eventloop_lag_p99_seconds')?.type).toBe('gauge');
    expect(sampleValue(m, 'process_resident_memory_bytes')).toBeGreaterThan(0);

    // A queue drained: its gauge follows at the next scrape.
    await postEvents(h, [ev.abandoned('c2', 71), ev.abandoned('c3', 71), ev.abandoned('c4', 71)]);
    const after = await scrapeParsed(h);
    expect(sampleValue(after, 'floorwatch_queue_waiting', { queue: 'sales' })).toBe(0);
    expect(sampleValue(after, 'floorwatch_events_ingested_total', { source: 'http' })).toBe(12);
  });

  it('answers 401 without the token or with a wrong one, and 404 on a server that exposes none', async () => {
    const h = await startNode({ token: METRICS_TOKEN });
    const none = await scrape(`${h.url}/metrics`);
    expect(none.status).toBe(401);
    expect(none.text).not.toContain('floorwatch_');
    expect((await scrape(`${h.url}/metrics`, 'metrics-token-0123456789abcdeX')).status).toBe(401);
    // Other credentials do not open it: the ingest and supervisor tokens are for other doors.
    expect((await scrape(`${h.url}/metrics`, INGEST_TOKEN)).status).toBe(401);
    expect((await scrape(`${h.url}/metrics`, VIEW_TOKEN)).status).toBe(401);
    expect((await scrape(`${h.url}/metrics`, METRICS_TOKEN)).status).toBe(200);

    const bare = await startNode(undefined);
    expect((await scrape(`${bare.url}/metrics`)).status).toBe(404);
    expect((await scrape(`${bare.url}/metrics`, METRICS_TOKEN)).status).toBe(404);
  });

  it('serves a separate port without a token (and only /metrics there); the main port keeps its 404', async () => {
    const h = await startNode({ port: 0, host: '127.0.0.1' });
    const port = h.server.metricsPort;
    expect(port).toBeGreaterThan(0);
    expect(port).not.toBe(h.port);
    await postEvents(h, [ev.queued('p1', 'sales', 1)]);
    const r = await scrape(`http://127.0.0.1:${port}/metrics`);
    expect(r.status).toBe(200);
    const m = parsePrometheusText(r.text);
    expect(sampleValue(m, 'floorwatch_events_ingested_total', { source: 'http' })).toBe(1);
    expect(sampleValue(m, 'floorwatch_queue_waiting', { queue: 'sales' })).toBe(1);
    expect((await scrape(`http://127.0.0.1:${port}/api/health`)).status).toBe(404);
    expect((await scrape(`${h.url}/metrics`)).status).toBe(404);
    await h.close();
    open.splice(open.indexOf(h), 1);
    // Closed with the server.
    await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();
  });

  it('keeps each server’s metrics its own: two in one process count apart', async () => {
    const one = await startNode({ token: METRICS_TOKEN });
    const two = await startNode({ token: METRICS_TOKEN });
    await postEvents(one, [ev.queued('x1', 'sales', 1), ev.queued('x2', 'sales', 2)]);
    await waitFor(() => one.server.pipeline.stats.accepted === 2);
    expect(sampleValue(await scrapeParsed(one), 'floorwatch_events_ingested_total', { source: 'http' })).toBe(2);
    expect(sampleValue(await scrapeParsed(two), 'floorwatch_events_ingested_total', { source: 'http' })).toBe(0);
  });
});
