/**
 * The Redis Streams event log against a real Redis (127.0.0.1:6379, which
 * .ci/run starts if absent). Each test uses its own key prefix.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { openRedisLog, type RedisLog } from '../../server/log/redis.ts';
import type { FloorEvent } from '../../shared/events.ts';
import type { Alert } from '../../shared/state.ts';
import { redisReachable } from './harness.ts';

const URL = process.env.REDIS_TEST_URL ?? 'redis://127.0.0.1:6379';
const reachable = await redisReachable('Redis event-log tests need Redis on 127.0.0.1:6379 (.ci/run starts it)');

const T = 1_795_510_800_000;
const q = (id: string, callId = 'c1', at = T): FloorEvent => ({ type: 'call.queued', id, at, callId, queueId: 'q1' });
let logs: RedisLog[] = [];
const prefix = () => `fw-test-${process.pid}-${Math.random().toString(36).slice(2)}`;
afterEach(async () => {
  for (const l of logs) {
    await l.purge().catch(() => undefined);
    await l.close();
  }
  logs = [];
});
async function open(p = prefix()): Promise<RedisLog> {
  const l = await openRedisLog({ url: URL, prefix: p });
  logs.push(l);
  return l;
}

describe.skipIf(!reachable)('Redis Streams event log', () => {
  it('appends once per id across batches and nodes, and replays in order', async () => {
    const p = prefix();
    const a = await open(p);
    const b = await open(p);
    expect((await a.append([q('e1'), q('e2', 'c2')], T)).appended.map((e) => e.id)).toEqual(['e1', 'e2']);
    const again = await b.append([q('e2', 'c2'), q('e3', 'c3'), q('e3', 'c3')], T);
    expect(again.appended.map((e) => e.id)).toEqual(['e3']);
    expect(again.duplicates).toBe(2);
    const seen: string[] = [];
    expect(await b.replay((e) => seen.push(e.id))).toBe(3);
    expect(seen).toEqual(['e1', 'e2', 'e3']);
    expect(await a.count()).toBe(3);
    expect((await a.eventsForCall('c2')).map((e) => e.id)).toEqual(['e2']);
  });

  it('delivers events appended on another node to a follower, in order', async () => {
    const p = prefix();
    const a = await open(p);
    const b = await open(p);
    await a.append([q('x1')], T);
    await b.replay(() => {});
    const got: string[] = [];
    b.follow(b.lastReplayedId, (evs) => got.push(...evs.map((e) => e.id)));
    await a.append([q('x2'), q('x3')], T);
    const end = Date.now() + 3_000;
    while (got.length < 2 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    expect(got).toEqual(['x2', 'x3']);
  });

  it('replays more than one read chunk', async () => {
    const l = await open();
    for (let b = 0; b < 3; b++) await l.append(Array.from({ length: 4_000 }, (_, i) => q(`b${b}-${i}`, `c${i}`)), T);
    expect(await l.replay(() => {})).toBe(12_000);
  });

  it('keeps config, alerts (latest wins) and the audit trail', async () => {
    const l = await open();
    const alert = (id: string, level: Alert['level'], at: number): Alert => ({ id, ruleId: 'hold-long', level, status: 'open', value: 1, threshold: 1, unit: 'sec', raisedAtMs: at, updatedAtMs: at, agentId: 'a1' });
    await l.saveAlerts([alert('x', 'warn', T), alert('y', 'warn', T + 5)]);
    await l.saveAlerts([alert('x', 'breach', T)]);
    expect((await l.listAlerts()).map((a) => [a.id, a.level])).toEqual([['y', 'warn'], ['x', 'breach']]);
    // Pages by offset in the same order, as the scoped /api/alerts reads them.
    expect((await l.listAlerts({ limit: 1, offset: 1 })).map((a) => a.id)).toEqual(['x']);
    expect(await l.listAlerts({ limit: 1, offset: 2 })).toEqual([]);
    expect(await l.loadConfig()).toBeUndefined();
    await l.appendAudit({ atMs: T, actor: 'sue', action: 'alert.acknowledge' });
    const { defaultConfig } = await import('../../shared/config.ts');
    await l.saveConfig(defaultConfig(), 'admin');
    expect((await l.loadConfig())?.workload.dailyQuota).toBe(30);
    expect((await l.listAudit()).map((e) => e.action)).toEqual(['config.update', 'alert.acknowledge']);
  });

  it('says clearly when Redis cannot be reached', async () => {
    await expect(openRedisLog({ url: 'redis://127.0.0.1:1', prefix: 'x' })).rejects.toThrow(/cannot reach Redis/);
  });
});
