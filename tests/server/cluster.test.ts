/**
 * Several Floorwatch nodes on one Redis: each folds the same stream, so a
 * client of any node sees what was ingested on any other.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { io as ioClient } from 'socket.io-client';
import { createServer, type FloorwatchServer } from '../../server/app.ts';
import { openRedisLog, type RedisLog } from '../../server/log/redis.ts';
import { AuthStore } from '../../server/auth/store.ts';
import { serializeState } from '../../shared/selectors.ts';
import type { Alert } from '../../shared/state.ts';
import type { Delta, FloorPayload, LiveClientToServer, LiveServerToClient, Snapshot } from '../../shared/wire.ts';
import type { Socket } from 'socket.io-client';
import { ev, FakeClock, INGEST_TOKEN, portOpen, redisReachable, VIEW_TOKEN, waitFor } from './harness.ts';

const redisUp = await redisReachable('cluster tests need Redis on 127.0.0.1:6379 (.ci/run starts it)');
const redisServer = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).stdout.trim();

if (!redisServer) console.warn('\n*** SKIPPED: the Redis-restart test needs the redis-server binary (apt-get install redis-server) ***\n');

interface Node {
  server: FloorwatchServer;
  log: RedisLog;
  auth: AuthStore;
  url: string;
}
let nodes: Node[] = [];
let sockets: { close(): void }[] = [];
let children: ChildProcess[] = [];
afterEach(async () => {
  for (const s of sockets) s.close();
  for (const n of nodes) {
    await n.server.close();
    await n.log.purge().catch(() => undefined);
    await n.log.close();
    n.auth.close();
  }
  for (const c of children) c.kill('SIGKILL');
  nodes = [];
  sockets = [];
  children = [];
});

async function node(prefix: string, clock: FakeClock, url = 'redis://127.0.0.1:6379'): Promise<Node> {
  const log = await openRedisLog({ url, prefix });
  const auth = new AuthStore(':memory:');
  const server = createServer({ log, auth, clock, ingestTokens: [INGEST_TOKEN], viewTokens: [VIEW_TOKEN], tickMs: 0, logger: { info() {}, warn() {}, error() {} } });
  const port = await server.listen(0, '127.0.0.1');
  const n = { server, log, auth, url: `http://127.0.0.1:${port}` };
  nodes.push(n);
  return n;
}

async function post(n: Node, events: unknown[]): Promise<{ status: number; accepted: number }> {
  const res = await fetch(`${n.url}/api/events`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${INGEST_TOKEN}` }, body: JSON.stringify(events) });
  const body = (await res.json()) as { data?: { accepted: number } };
  return { status: res.status, accepted: body.data?.accepted ?? 0 };
}

function floorClient(n: Node) {
  const socket: Socket<LiveServerToClient, LiveClientToServer> = ioClient(`${n.url}/live`, { auth: { scope: 'floor', token: VIEW_TOKEN }, transports: ['websocket'], reconnection: false, forceNew: true });
  sockets.push(socket);
  const deltas: { at: number; d: Delta }[] = [];
  socket.on('live:delta', (d) => deltas.push({ at: Date.now(), d }));
  const first = new Promise<Snapshot<FloorPayload>>((resolve, reject) => {
    socket.once('live:snapshot', (s) => resolve(s as Snapshot<FloorPayload>));
    socket.once('connect_error', reject);
  });
  return { socket, deltas, first };
}

const newPrefix = () => `fw-cluster-${process.pid}-${Math.random().toString(36).slice(2)}`;

describe.skipIf(!redisUp)('two nodes on Redis', () => {
  it('shows events ingested on node A to the clients of node B within a second', async () => {
    const clock = new FakeClock();
    const p = newPrefix();
    const a = await node(p, clock);
    const b = await node(p, clock);
    const c = floorClient(b);
    await c.first;
    const sent = Date.now();
    expect((await post(a, [ev.agent('A1', 'available', 0, { name: 'Ann' }), ev.queued('k1', 'sales', 1), ev.ringing('k1', 'A1', 2)])).accepted).toBe(3);
    await waitFor(() => c.deltas.some(({ d }) => d.calls?.some((x) => x.callId === 'k1' && x.status === 'ringing')), 1_000, 'the call on node B');
    const arrived = c.deltas.find(({ d }) => d.calls?.some((x) => x.callId === 'k1' && x.status === 'ringing'))!.at;
    expect(arrived - sent).toBeLessThan(1_000);
    // Both nodes folded the same thing.
    expect(serializeState(b.server.state())).toEqual(serializeState(a.server.state()));
  });

  it("shows an acknowledgement made on node B to node A's clients", async () => {
    const clock = new FakeClock();
    const p = newPrefix();
    const a = await node(p, clock);
    const b = await node(p, clock);
    await post(a, [ev.agent('A1', 'available', 0), ev.queued('k1', 'q', 1), ev.ringing('k1', 'A1', 2), ev.answered('k1', 'A1', 3), ev.hold('k1', 10, false)]);
    await waitFor(() => b.server.state().recentAlerts.some((x) => x.ruleId === 'hold-permission'), 2_000, 'the alert on node B');
    const alert = b.server.state().recentAlerts.find((x) => x.ruleId === 'hold-permission') as Alert;
    const ca = floorClient(a);
    await ca.first;
    const res = await fetch(`${b.url}/api/alerts/${encodeURIComponent(alert.id)}/ack`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${VIEW_TOKEN}` }, body: JSON.stringify({ note: 'seen on B' }) });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { data: Alert }).data.ack?.note).toBe('seen on B');
    await waitFor(() => ca.deltas.some(({ d }) => d.alerts?.some((x) => x.id === alert.id && x.ack?.note === 'seen on B')), 2_000, "the ack on node A's client");
  });

  it('lets a node started late catch up to the same state', async () => {
    const clock = new FakeClock();
    const p = newPrefix();
    const a = await node(p, clock);
    const batch: Record<string, unknown>[] = [ev.agent('A1', 'available', 0)];
    for (let i = 0; i < 50; i++) batch.push(ev.queued(`c${i}`, 'q', 1 + i), ev.ringing(`c${i}`, 'A1', 1 + i));
    await post(a, batch);
    const late = await node(p, clock);
    expect(late.server.replayed).toBe(101);
    a.server.tickNow(clock.t + 60_000);
    late.server.tickNow(clock.t + 60_000);
    expect(serializeState(late.server.state())).toEqual(serializeState(a.server.state()));
  });

  it('refuses ingest with a clear error while Redis is away, and loses no acknowledged event across a Redis restart', async (ctx) => {
    if (!redisServer) return ctx.skip();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fw-redis-'));
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const startRedis = () => {
      const child = spawn(redisServer, ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', ''], { stdio: 'ignore' });
      children.push(child);
      return child;
    };
    let redis = startRedis();
    for (let i = 0; i < 50 && !(await portOpen(port)); i++) await new Promise((r) => setTimeout(r, 100));
    const clock = new FakeClock();
    const a = await node('fw-restart', clock, `redis://127.0.0.1:${port}`);
    const acked = new Set<string>();
    let refused = 0;
    let restarted = false;
    for (let i = 0; i < 60; i++) {
      const e = ev.queued(`r${i}`, 'q', i);
      if (i === 20) {
        redis.kill('SIGTERM'); // Redis goes away mid-ingest...
        await new Promise((r) => redis.once('exit', r));
        setTimeout(() => {
          redis = startRedis(); // ...and comes back 1.5 s later
          restarted = true;
        }, 1_500);
      }
      // A producer retries what was not acknowledged.
      for (let attempt = 0; attempt < 150; attempt++) {
        const r = await post(a, [e]).catch(() => ({ status: 0, accepted: 0 }));
        if (r.status === 200) {
          acked.add(e.id);
          break;
        }
        refused++;
        expect([503, 0]).toContain(r.status);
        await new Promise((res) => setTimeout(res, 100));
      }
    }
    expect(restarted).toBe(true);
    expect(refused).toBeGreaterThan(0);
    expect(acked.size).toBe(60);
    expect(await a.log.count()).toBe(60);
    await waitFor(() => a.server.state().diagnostics.applied === 60, 5_000, 'node A caught up');
    expect(a.server.state().queues.get('q')?.today.offered).toBe(60);
  }, 60_000);
});
