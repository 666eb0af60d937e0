/**
 * Memory bounds of a running server (issue 13, section 2): a feed of calls
 * that never end cannot grow the server without end. Live calls are capped,
 * stale ones close as "end lost" once the clock passes their limit, the caps
 * and sizes are in `GET /api/health` (`limits`), and the per-call maps of the
 * queue_log tail and the AMI adapter forget calls whose end never came.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_ENGINE_LIMITS } from '../../shared/engine.ts';
import type { HealthLimits } from '../../server/health-limits.ts';
import { engineLimitsFromEnv } from '../../server/health-limits.ts';
import { QueueLogTail } from '../../server/queuelog/tail.ts';
import { AmiAdapter } from '../../server/ami/adapter.ts';
import { ami } from './asterisk-fixtures.ts';
import type { FloorPayload, Snapshot } from '../../shared/wire.ts';
import { closeHarnessesAfterEach, getJson, INGEST_TOKEN, T0, VIEW_TOKEN, waitFor, type Harness } from './harness.ts';

const h$ = closeHarnessesAfterEach();
const HOUR = 3_600_000;

/** A full garbage collection, so the heap measures what is retained (not what a batch left to collect). */
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

async function health(h: Harness): Promise<HealthLimits> {
  const r = await getJson(h, '/api/health');
  expect(r.status).toBe(200);
  return (r.body.data as { limits: HealthLimits }).limits;
}

/** The floor snapshot over REST: its size in bytes and its body. */
async function snapshot(h: Harness): Promise<{ bytes: number; data: Snapshot<FloorPayload> }> {
  const res = await fetch(`${h.url}/api/snapshot?scope=floor`, { headers: { authorization: `Bearer ${VIEW_TOKEN}` } });
  expect(res.status).toBe(200);
  const text = await res.text();
  return { bytes: text.length, data: (JSON.parse(text) as { data: Snapshot<FloorPayload> }).data };
}

/** Posts a batch as is (the harness's helper would also parse every event to move the clock). */
async function post(h: Harness, events: unknown[]): Promise<{ accepted: number }> {
  const res = await fetch(`${h.url}/api/events`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${INGEST_TOKEN}` }, body: JSON.stringify(events) });
  expect(res.status).toBe(200);
  return ((await res.json()) as { data: { accepted: number } }).data;
}

describe('a server fed calls that never end', () => {
  it('keeps 100,000 never-ending call.queued within the live-call cap and bounded RSS, then closes them as end lost after the stale limit', async () => {
    const h = await h$.start();
    gc();
    const heapBefore = process.memoryUsage().heapUsed;
    const rssBefore = process.memoryUsage().rss;
    let peakRss = rssBefore;
    const total = 100_000;
    const batch = 10_000;
    for (let b = 0; b < total / batch; b++) {
      const events = [];
      for (let i = b * batch; i < (b + 1) * batch; i++) events.push({ type: 'call.queued', id: `q${i}`, at: T0 + i, callId: `c${i}`, queueId: `q${i % 8}`, caller: `+372555${String(i).padStart(6, '0')}` });
      h.clock.t = T0 + (b + 1) * batch;
      expect((await post(h, events)).accepted).toBe(batch);
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }
    h.server.tickNow();
    let lim = await health(h);
    expect(lim.liveCalls).toEqual({ size: DEFAULT_ENGINE_LIMITS.maxLiveCalls, cap: DEFAULT_ENGINE_LIMITS.maxLiveCalls });
    expect(lim.expiredCap).toBe(total - DEFAULT_ENGINE_LIMITS.maxLiveCalls);
    expect(lim.calls.size).toBeLessThanOrEqual(lim.calls.cap!);
    expect(lim.waiting.size).toBe(DEFAULT_ENGINE_LIMITS.maxLiveCalls);
    expect(lim).toMatchObject({ staleWaitingSec: 4 * 3600, staleConnectedSec: 12 * 3600, expiredStale: 0 });
    expect(lim.dedupe.perBatchCap).toBe(10_000);
    // Retained after a full GC: ~30 MB here, 89 MB on the code before the bounds (all 100,000 calls kept
    // live). RSS also counts what each 10,000-event batch leaves behind until the next collection
    // (~210 MB either way in this process), so it is only checked against a blow-up.
    gc();
    expect((process.memoryUsage().heapUsed - heapBefore) / 2 ** 20).toBeLessThan(50);
    expect((peakRss - rssBefore) / 2 ** 20).toBeLessThan(400);
    const atCap = await snapshot(h);
    expect(atCap.data.payload.calls).toHaveLength(DEFAULT_ENGINE_LIMITS.maxLiveCalls);
    expect(atCap.bytes).toBeLessThan(8_000_000); // 23 MB before the bounds

    // The fake clock passes the waiting limit (counted from when each batch was received): every caller still listed closes as end lost.
    h.clock.t = T0 + 4 * HOUR + 5 * 60_000;
    h.server.tickNow();
    lim = await health(h);
    expect(lim.liveCalls.size).toBe(0);
    expect(lim.waiting.size).toBe(0);
    expect(lim.expiredStale).toBe(DEFAULT_ENGINE_LIMITS.maxLiveCalls);
    expect(lim.calls.size).toBeLessThanOrEqual(lim.endedCalls.cap!);
    const snap = await snapshot(h);
    expect(snap.bytes).toBeLessThan(1_000_000);
    expect(snap.data.payload.calls).toEqual([]);
    // Figures: every call offered, none answered or abandoned, every one an end lost (outside the service level).
    const queues = snap.data.payload.queues;
    expect(queues.reduce((n, q) => n + q.offered, 0)).toBe(total);
    expect(queues.reduce((n, q) => n + q.endLost, 0)).toBe(total);
    expect(queues.reduce((n, q) => n + q.abandoned + q.answered + q.waiting, 0)).toBe(0);
    expect(queues.every((q) => q.serviceLevelPct === null)).toBe(true);
  }, 60_000);

  it('replays the log after a restart into the same closed calls (the limits are part of the fold)', async () => {
    const h = await h$.start();
    const events = [];
    for (let i = 0; i < 300; i++) events.push({ type: 'call.queued', id: `r${i}`, at: T0 + i * 1000, callId: `r${i}`, queueId: 'q1' });
    h.clock.t = T0 + 300_000;
    await post(h, events);
    h.clock.t = T0 + 5 * HOUR;
    h.server.tickNow();
    await post(h, [{ type: 'call.queued', id: 'late', at: h.clock.t, callId: 'late', queueId: 'q1' }]);
    const before = await health(h);
    const snapBefore = (await snapshot(h)).data;
    expect(snapBefore.payload.calls.map((c) => c.callId)).toEqual(['late']);
    await h$.stop(h);
    const again = await h$.start({ dbFile: h.dbFile, clock: h.clock });
    const after = await health(again);
    expect(after.liveCalls).toEqual(before.liveCalls);
    expect(after.expiredStale).toBe(300);
    expect(stripSeq((await snapshot(again)).data.payload)).toEqual(stripSeq(snapBefore.payload));
  });

  it('reads the limits from FLOORWATCH_STALE_* and FLOORWATCH_MAX_LIVE_CALLS, and refuses nonsense', () => {
    expect(engineLimitsFromEnv({ FLOORWATCH_STALE_WAITING_SEC: '600', FLOORWATCH_MAX_LIVE_CALLS: '500' })).toEqual({ staleWaitingSec: 600, maxLiveCalls: 500 });
    expect(engineLimitsFromEnv({})).toEqual({});
    expect(() => engineLimitsFromEnv({ FLOORWATCH_STALE_CONNECTED_SEC: '-1' })).toThrow(/FLOORWATCH_STALE_CONNECTED_SEC/);
  });
});

/** A snapshot without what differs between two servers at the same state (sequence numbers, the server's clock). */
function stripSeq(x: unknown): unknown {
  return JSON.parse(JSON.stringify(x, (k, v: unknown) => (k === 'seq' || k === 'serverNowMs' || k === 'version' ? undefined : v)));
}

describe('adapters forget calls whose end never came', () => {
  let dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
    dirs = [];
  });

  it('the queue_log tail closes open calls with no line for the idle limit, keeping its per-call map bounded', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floorwatch-bounds-'));
    dirs.push(dir);
    const file = path.join(dir, 'queue_log');
    const B = 1_795_510_800;
    const lines: string[] = [];
    for (let i = 0; i < 5000; i++) lines.push(`${B + Math.floor(i / 10)}|open${i}|sales|NONE|ENTERQUEUE||555${i}|1`);
    fs.writeFileSync(file, lines.join('\n') + '\n');
    let submitted = 0;
    const tail = new QueueLogTail({
      file,
      timeZone: 'UTC',
      pollMs: 20,
      idleLimitSec: 3600,
      logger: { info: () => {}, warn: () => {}, error: () => {} },
      submit: async (events) => {
        submitted += events.length;
        return { accepted: events.length, duplicates: 0, rejected: [] };
      },
    }).start();
    try {
      await waitFor(() => submitted >= 5000, 10_000, 'the first lines');
      expect(tail.stats.calls).toMatchObject({ kept: 5000, expiredIdle: 0, idleLimitSec: 3600 });
      fs.appendFileSync(file, `${B + 2 * 3600}|fresh|sales|NONE|ENTERQUEUE||5550000|1\n`);
      await waitFor(() => tail.stats.calls.expiredIdle === 5000, 5_000, 'the idle calls closed');
      expect(tail.reader.adapter.openCalls()).toEqual([{ callId: 'fresh', queueId: 'sales' }]);
    } finally {
      await tail.stop();
    }
  });

  it('the AMI adapter closes open legs with no event for the idle limit and releases their channels', () => {
    const adapter = new AmiAdapter({ finishedCallsKept: 100, idleLimitSec: 3600 });
    for (let i = 0; i < 2000; i++) {
      const uid = `1795510800.${1000 + i}`;
      adapter.feed(ami('QueueCallerJoin', i, { Channel: `PJSIP/trunk-${i}`, Uniqueid: uid, Linkedid: uid, Queue: 'sales', Position: 1, Count: 1 }), T0);
    }
    expect(adapter.sizes).toMatchObject({ calls: 2000, expiredIdle: 0 });
    const uid = '1795517999.1';
    adapter.feed(ami('QueueCallerJoin', 2 * 3600, { Channel: 'PJSIP/trunk-x', Uniqueid: uid, Linkedid: uid, Queue: 'sales', Position: 1, Count: 1 }), T0);
    const sizes = adapter.sizes;
    expect(sizes.expiredIdle).toBe(2000);
    expect(sizes.calls).toBeLessThanOrEqual(111);
    expect(sizes.channels).toBeLessThanOrEqual(111);
    expect(adapter.openCalls().map((c) => c.uid)).toEqual([uid]);
  });
});
