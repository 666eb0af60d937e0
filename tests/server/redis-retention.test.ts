/**
 * Retention on the Redis Streams log (issue 16): the same prune as SQLite's, done with XDEL, the
 * duplicate check and the drill-down lists of deleted calls going with the events; one node prunes
 * at a time; a replay of the pruned stream gives the floor of the whole one. Against a real Redis
 * (127.0.0.1:6379, which .ci/run starts if absent); each test uses its own key prefix.
 */
import { isDeepStrictEqual } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { applyEvent, createFloorState, drainChanges, observeClock, tick } from '../../shared/engine.ts';
import type { FloorEvent } from '../../shared/events.ts';
import type { Alert } from '../../shared/state.ts';
import { openRedisLog, type RedisLog } from '../../server/log/redis.ts';
import { applyHorizon, episodesLeftBy } from '../../server/log/prune.ts';
import { redisReachable } from './harness.ts';
import { configIn, D0, DAY, ev, floorView, HOUR, simulatedFeed, TZ } from './retention-fixtures.ts';

const URL = process.env.REDIS_TEST_URL ?? 'redis://127.0.0.1:6379';
const reachable = await redisReachable('Redis retention tests need Redis on 127.0.0.1:6379 (.ci/run starts it)');

let logs: RedisLog[] = [];
afterEach(async () => {
  for (const l of logs) {
    await l.purge().catch(() => undefined);
    await l.close();
  }
  logs = [];
});
async function open(): Promise<RedisLog> {
  const l = await openRedisLog({ url: URL, prefix: `fw-test-${process.pid}-${Math.random().toString(36).slice(2)}` });
  logs.push(l);
  return l;
}
async function ids(log: RedisLog): Promise<string[]> {
  const out: string[] = [];
  await log.replay((e) => out.push(e.id));
  return out;
}

describe.skipIf(!reachable)('Redis log prune', () => {
  it('deletes the events before the cut with their duplicate check and drill-down, and keeps what the days after stand on', async () => {
    const log = await open();
    const cut = D0 + 2 * DAY;
    const events = [
      ev(D0 + 9 * HOUR, { type: 'config.changed', config: configIn(TZ), by: 'admin' }),
      ev(D0 + 9 * HOUR + 1, { type: 'agent.state', agentId: 'a1', state: 'available', name: 'Liis Tamm', queues: ['sales'] }),
      ev(D0 + 10 * HOUR, { type: 'call.queued', callId: 'c-old', queueId: 'sales' }),
      ev(D0 + 10 * HOUR + 60_000, { type: 'call.abandoned', callId: 'c-old' }),
      ev(D0 + 11 * HOUR, { type: 'callback.scheduled', callbackId: 'cb-open', agentId: 'a1', dueAt: D0 + 5 * DAY }),
      ev(D0 + DAY + 9 * HOUR, { type: 'config.changed', config: configIn(TZ, (c) => (c.rules.holdLongWarnSec = 40)), by: 'admin' }),
      ev(D0 + DAY + 10 * HOUR, { type: 'agent.state', agentId: 'a1', state: 'away', reason: 'lunch' }),
      ev(cut - 30_000, { type: 'call.queued', callId: 'c-night', queueId: 'sales' }),
      ev(cut + 30_000, { type: 'call.abandoned', callId: 'c-night' }),
      ev(cut + HOUR, { type: 'call.queued', callId: 'c-day2', queueId: 'sales' }),
    ];
    for (const e of events) await log.append([e], e.at);
    await log.saveAlerts([{ id: 'queue-wait:sales:7', ruleId: 'queue-wait', level: 'warn', status: 'resolved', value: 70, threshold: 60, unit: 'sec', raisedAtMs: D0 + 10 * HOUR, updatedAtMs: D0 + 10 * HOUR, resolvedAtMs: D0 + 10 * HOUR, queueId: 'sales' } as Alert]);

    const r = await log.prune(cut);
    const [cfgOld, a1First, oldQ, oldA, cb, cfgNew, a1Newest, nightQ, nightA, day2] = events.map((e) => e.id);
    expect(await ids(log)).toEqual([a1First, cb, cfgNew, a1Newest, nightQ, nightA, day2]);
    expect(r).toEqual({ events: 3, kept: 5, keptBy: { agents: 2, callbacks: 1, config: 1, calls: 1 } });
    expect(await log.count()).toBe(7);
    // The deleted call's drill-down went with it; the call over midnight keeps its own.
    expect(await log.eventsForCall('c-old')).toEqual([]);
    expect((await log.eventsForCall('c-night')).map((e) => e.id)).toEqual([nightQ, nightA]);
    // A deleted id is no longer a duplicate (as in SQLite, whose unique index goes with the row); a kept one still is.
    const again = await log.append([events[2], events[7]], cut + 2 * HOUR);
    expect(again.appended.map((e) => e.id)).toEqual([oldQ]);
    expect(again.duplicates).toBe(1);
    expect(await log.horizon()).toEqual({ beforeMs: cut, queueWaitEpisodes: { sales: 7 } });
    expect([cfgOld, oldA]).not.toContain(undefined);
  });

  it('lets one node prune at a time', async () => {
    const log = await open();
    const other = await openRedisLog({ url: URL, prefix: (log as unknown as { prefix: string }).prefix });
    logs.push(other);
    await log.append([ev(D0, { type: 'call.queued', callId: 'x', queueId: 'q' })], D0);
    // Another node holds the lock: this one does nothing and says so.
    const raw = (other as unknown as { client: { set(k: string, v: string): Promise<unknown> } }).client;
    await raw.set(`${(log as unknown as { prefix: string }).prefix}:prune-lock`, 'someone-else');
    expect(await log.prune(D0 + DAY)).toEqual({ events: 0, kept: 0, keptBy: {}, busy: true });
    expect(await log.count()).toBe(1);
    // The lock is not taken from its holder, and once it is gone the prune runs.
    await (other as unknown as { client: { del(k: string): Promise<unknown> } }).client.del(`${(log as unknown as { prefix: string }).prefix}:prune-lock`);
    expect((await log.prune(D0 + DAY)).events).toBe(1);
    expect(await log.count()).toBe(0);
  });

  it('gives, replayed after a prune, the floor and alerts of the whole stream', async () => {
    const log = await open();
    const END = D0 + 4 * DAY + 14 * HOUR;
    const CUT = D0 + 2 * DAY;
    const { batches, newest } = simulatedFeed(5, END);
    for (const [events, rx] of batches) await log.append(events, rx);
    await log.saveConfig(newest, 'admin');
    /** A start-up replay (app.ts `listen`): the floor, and every alert it rebuilt. */
    async function fold() {
      const s = applyHorizon(createFloorState((await log.loadConfig())!, 0, { clock: 'server' }), await log.horizon());
      const alerts = new Map<string, Alert>();
      await log.replay((e, rx) => {
        observeClock(s, rx);
        applyEvent(s, e as FloorEvent);
        for (const a of drainChanges(s).alerts) alerts.set(a.id, { ...a });
      });
      tick(s, END);
      for (const a of drainChanges(s).alerts) alerts.set(a.id, { ...a });
      return { view: floorView(s, CUT), alerts: [...alerts.values()].sort((x, y) => x.id.localeCompare(y.id)) };
    }
    const full = await fold();
    await log.saveAlerts(full.alerts); // the live run saved every alert it raised
    const stored = await log.listAlerts({ limit: 100_000 });
    const before = await log.count();
    const r = await log.prune(CUT, { episodesLeft: episodesLeftBy(() => newest) });
    expect(r.events).toBeGreaterThan(before / 3);
    expect(await log.count()).toBe(before - r.events);

    const after = await fold();
    expect(isDeepStrictEqual(after.view, full.view)).toBe(true);
    // Every alert raised from the cut on comes back as it was, by the same id.
    const fromCut = (list: Alert[]) => list.filter((a) => a.raisedAtMs >= CUT);
    expect(fromCut(after.alerts)).toEqual(fromCut(full.alerts));
    // What a restart saves again (the alerts it changed after the horizon) leaves the record as it was.
    await log.saveAlerts(after.alerts.filter((a) => a.raisedAtMs >= CUT || a.updatedAtMs > CUT));
    expect(await log.listAlerts({ limit: 100_000 })).toEqual(stored);
  });
});
