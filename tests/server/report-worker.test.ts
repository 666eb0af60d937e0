/**
 * Past days' reports are built on a worker thread and cached per day (issue 13, section 2): a
 * large log no longer stalls the server while several past-day reports are asked for at once; the
 * worker's figures equal the in-process fold; a repeated request comes from the cache; a late
 * event of that day drops it; a dead worker costs one request a 503, never the server.
 */
import { describe, expect, it } from 'vitest';
import { defaultConfig, type FloorConfig } from '../../shared/config.ts';
import { applyEvent, createFloorState, observeClock, tick } from '../../shared/engine.ts';
import type { FloorEvent } from '../../shared/events.ts';
import { selectDayTables } from '../../shared/selectors.ts';
import { localDay } from '../../shared/time.ts';
import { openSqliteLog } from '../../server/log/sqlite.ts';
import type { LogStore } from '../../server/log/store.ts';
import { ReportService, type ReportStats } from '../../server/report-cache.ts';
import { INGEST_TOKEN, T0, VIEW_TOKEN, closeHarnessesAfterEach, ev, getJson, postEvents, tempDbFile, type Harness } from './harness.ts';

const { start } = closeHarnessesAfterEach();

/** The harness's today is 2026-11-24 (UTC); the two days before it are filled. */
const D1 = '2026-11-23';
const D2 = '2026-11-22';
const dayStart = (date: string) => Date.parse(`${date}T00:00:00Z`);

/**
 * A busy day as the log holds it: `agents` agents sign in at 08:00, then every `stepSec` s from
 * 08:00 `perStep` calls are queued; each rings its agent 10 s later, is answered after 10 s of
 * ringing and ends 60 s after that. An agent takes one call at a time (agents are used in turn,
 * each again only after its call ended). Each step is one append at that step's time (the receive
 * time the live run would have had). About 4 events per call.
 */
async function fillDay(log: ReturnType<typeof openSqliteLog>, date: string, opts: { calls: number; perStep?: number; stepSec?: number; agents?: number; queues?: number }) {
  const perStep = opts.perStep ?? 10;
  const stepSec = opts.stepSec ?? 10;
  const agents = opts.agents ?? 100;
  const queues = opts.queues ?? 6;
  const t8 = dayStart(date) + 8 * 3_600_000;
  const at = new Map<number, FloorEvent[]>();
  const put = (ms: number, e: Omit<FloorEvent, 'at'>) => {
    let list = at.get(ms);
    if (!list) at.set(ms, (list = []));
    list.push({ ...e, at: ms } as FloorEvent);
  };
  for (let a = 0; a < agents; a++) put(t8, { type: 'agent.state', id: `${date}-a${a}`, agentId: `a${a}`, state: 'available', name: `Agent ${a}`, team: `t${a % 4}` } as Omit<FloorEvent, 'at'>);
  for (let i = 0; i < opts.calls; i++) {
    const t = t8 + 1_000 + Math.floor(i / perStep) * stepSec * 1_000;
    const callId = `${date}-c${i}`;
    const agentId = `a${i % agents}`;
    put(t, { type: 'call.queued', id: `${callId}-q`, callId, queueId: `q${i % queues}` } as Omit<FloorEvent, 'at'>);
    put(t + 10_000, { type: 'call.ringing', id: `${callId}-r`, callId, agentId } as Omit<FloorEvent, 'at'>);
    put(t + 20_000, { type: 'call.answered', id: `${callId}-a`, callId, agentId } as Omit<FloorEvent, 'at'>);
    put(t + 80_000, { type: 'call.ended', id: `${callId}-e`, callId, by: 'caller', notes: true } as Omit<FloorEvent, 'at'>);
  }
  let n = 0;
  for (const ms of [...at.keys()].sort((x, y) => x - y)) {
    const batch = at.get(ms)!;
    await log.append(batch, ms);
    n += batch.length;
  }
  return n;
}

/** A log file with the given days filled, closed again (the server opens it). */
async function seededLog(days: { date: string; calls: number }[]): Promise<{ file: string; events: number }> {
  const file = tempDbFile();
  const log = openSqliteLog({ file, synchronous: 'normal' });
  let events = 0;
  for (const d of days) events += await fillDay(log, d.date, { calls: d.calls });
  await log.close();
  return { file, events };
}

/**
 * The past-day report as the server built it before the worker: the whole log folded in-process,
 * each event at its receive time, on a floor keeping every day, read at that day.
 */
async function inProcessTables(log: LogStore, config: FloorConfig, date: string) {
  const day = localDay(Date.parse(`${date}T12:00:00Z`), config.timeZone);
  const past = createFloorState(config, 0, { historyDays: Number.MAX_SAFE_INTEGER, clock: 'server' });
  await log.replay((e, receivedAtMs) => {
    observeClock(past, receivedAtMs);
    applyEvent(past, e);
  });
  tick(past, Math.max(past.nowMs, day.endMs - 1));
  return JSON.parse(JSON.stringify(selectDayTables(past, day.startMs))) as unknown;
}

async function reportStats(h: Harness): Promise<ReportStats> {
  const r = await getJson(h, '/api/health');
  return (r.body.data as { reports: ReportStats }).reports;
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t = performance.now();
  const value = await fn();
  return { ms: performance.now() - t, value };
}

/** A few of today's events, so the floor's day is the harness's today. */
async function someOfToday(h: Harness) {
  const r = await postEvents(h, [ev.agent('a1', 'available', 0), ev.queued('today-1', 'q0', 5), ev.answered('today-1', 'a1', 15), ev.ended('today-1', 75, { notes: true })]);
  expect(r.body.data?.accepted).toBe(4);
}

describe('past-day reports on a worker thread', () => {
  it('keeps /healthz answering within 200 ms while four past-day reports of a 112k-event log are built', async () => {
    // Two past days of 14,000 calls each: 112,200 events, replayed whole by every build.
    const seeded = await seededLog([
      { date: D2, calls: 14_000 },
      { date: D1, calls: 14_000 },
    ]);
    expect(seeded.events).toBeGreaterThan(110_000);
    const h = await start({ dbFile: seeded.file });
    await someOfToday(h);

    let done = false;
    const latencies: number[] = [];
    const poll = (async () => {
      while (!done) {
        const { ms, value } = await timed(() => fetch(`${h.url}/healthz`).then((r) => r.status));
        expect(value).toBe(200);
        latencies.push(ms);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const started = performance.now();
    const reports = await Promise.all([D1, D2, D1, D2].map((d) => getJson(h, `/api/report?date=${d}`)));
    const buildMs = performance.now() - started;
    done = true;
    await poll;

    for (const r of reports) expect(r.status, JSON.stringify(r.body).slice(0, 200)).toBe(200);
    const [r1, r2, r3, r4] = reports.map((r) => r.body.data as { queues: { offered: number; answered: number }[]; agents: unknown[] });
    expect(r1.queues.reduce((n, q) => n + q.offered, 0)).toBe(14_000);
    expect(r1.queues.reduce((n, q) => n + q.answered, 0)).toBe(14_000);
    expect(r2.queues.reduce((n, q) => n + q.offered, 0)).toBe(14_000);
    expect(r3).toEqual(r1);
    expect(r4).toEqual(r2);
    // The poller looked every 50 ms throughout and was answered at once: the event loop kept turning.
    // (In-process, before the worker, they held it 0.66 s at a time, 2.1 s on a loaded machine: 3 polls in all.)
    // The 95th percentile is held to 200 ms, the worst to 600 ms: on a loaded CI machine the OS
    // itself can hold a thread back 100-250 ms now and then, which is not what is measured here.
    const sorted = [...latencies].sort((x, y) => x - y);
    const detail = `healthz latencies (ms) over ${Math.round(buildMs)} ms of builds: ${latencies.map((l) => Math.round(l)).join(', ')}`;
    expect(sorted[Math.floor(0.95 * (sorted.length - 1))], detail).toBeLessThan(200);
    expect(sorted[sorted.length - 1], detail).toBeLessThan(600);
    expect(latencies.length, detail).toBeGreaterThanOrEqual(Math.max(4, Math.floor(buildMs / 100)));
    // Two days, two builds: the repeated requests joined the build of their day.
    const stats = await reportStats(h);
    expect(stats).toMatchObject({ source: 'sqlite', builds: 2, misses: 2, shared: 2, cached: 2 });
  }, 60_000);

  it('gives the same figures as the in-process fold, for the SQLite file and for a streamed log', async () => {
    for (const dbFile of [undefined, ':memory:']) {
      const h = await start({ dbFile });
      // Two past days and today, with an abandoned call, a call answered after midnight, holds and a transfer.
      const y = (sec: number) => sec - 9 * 3_600 - 86_400; // seconds from T0 of yesterday's midnight + sec
      const batch1 = [
        ev.agent('a1', 'available', y(8 * 3_600) - 86_400, { name: 'Ann', team: 'red' }),
        ev.queued('p1', 'q1', y(8 * 3_600 + 10) - 86_400),
        ev.answered('p1', 'a1', y(8 * 3_600 + 30) - 86_400),
        ev.ended('p1', y(8 * 3_600 + 400) - 86_400, { notes: false }),
      ];
      const batch2 = [
        ev.agent('a1', 'available', y(8 * 3_600), { name: 'Ann', team: 'red' }),
        ev.agent('a2', 'available', y(8 * 3_600), { name: 'Bob', team: 'blue' }),
        ev.queued('c1', 'q1', y(9 * 3_600)),
        ev.ringing('c1', 'a1', y(9 * 3_600 + 5)),
        ev.answered('c1', 'a1', y(9 * 3_600 + 14), { ringCount: 2 }),
        ev.hold('c1', y(9 * 3_600 + 60), false),
        ev.unhold('c1', y(9 * 3_600 + 160)),
        { type: 'call.transferred', id: 'tr-c1', at: T0 + y(9 * 3_600 + 200) * 1_000, callId: 'c1', toAgentId: 'a2', askedPermission: false },
        ev.ended('c1', y(9 * 3_600 + 300), { notes: true }),
        ev.queued('c2', 'q2', y(10 * 3_600)),
        ev.abandoned('c2', y(10 * 3_600 + 70)),
        ev.queued('c3', 'q1', y(86_400 - 30)),
        ev.answered('c3', 'a2', y(86_400 + 20)),
        ev.ended('c3', y(86_400 + 200), { notes: true }),
      ];
      for (const b of [batch1, batch2]) for (const e of b) expect((await postEvents(h, [e])).body.data?.accepted).toBe(1);
      await someOfToday(h);
      for (const date of [D1, D2]) {
        const got = await getJson(h, `/api/report?date=${date}`);
        expect(got.status).toBe(200);
        expect(got.body.data, `${dbFile ?? 'file'} ${date}`).toEqual(await inProcessTables(h.log, h.server.state().config, date));
      }
      const c = (await getJson(h, `/api/report?date=${D1}`)).body.data as { queues: { queueId: string; offered: number; abandoned: number }[] };
      expect(c.queues.find((q) => q.queueId === 'q1')?.offered).toBe(2);
      expect(c.queues.find((q) => q.queueId === 'q2')?.abandoned).toBe(1);
      // The CSV export of a past day comes from the same build (here, the cache).
      const csv = await fetch(`${h.url}/api/export/queues.csv?date=${D1}`, { headers: { authorization: `Bearer ${VIEW_TOKEN}` } });
      expect(csv.status).toBe(200);
      expect((await csv.text()).split('\r\n').find((l) => l.startsWith('q1,'))).toMatch(/^q1,2,2,0,/);
      expect(await reportStats(h)).toMatchObject({ source: dbFile ? 'stream' : 'sqlite', builds: 2, hits: 2 });
      // Not in the log, not yet, not a date.
      expect((await getJson(h, '/api/report?date=2026-11-01')).status).toBe(404);
      expect((await getJson(h, '/api/report?date=2026-11-25')).status).toBe(404);
      expect((await getJson(h, '/api/report?date=23-11-2026')).status).toBe(400);
    }
  });

  it('serves a repeated request from the cache, and a late event of the day (or new settings) rebuilds it', async () => {
    const seeded = await seededLog([{ date: D1, calls: 10_000 }]);
    const h = await start({ dbFile: seeded.file });
    await someOfToday(h);
    const first = await timed(() => getJson(h, `/api/report?date=${D1}`));
    const second = await timed(() => getJson(h, `/api/report?date=${D1}`));
    expect(second.value.body).toEqual(first.value.body);
    expect(await reportStats(h)).toMatchObject({ builds: 1, hits: 1, cached: 1 });
    expect(second.ms).toBeLessThan(first.ms / 3);

    const offered = (r: { body: { data?: unknown } }) => (r.body.data as { queues: { offered: number }[] }).queues.reduce((n, q) => n + q.offered, 0);
    expect(offered(first.value)).toBe(10_000);

    // A caller of yesterday, reported late: yesterday's report is dropped and rebuilt with it.
    const late = dayStart(D1) + 20 * 3_600_000;
    const r = await postEvents(h, [
      { type: 'call.queued', id: 'late-q', at: late, callId: 'late-1', queueId: 'q0' },
      { type: 'call.abandoned', id: 'late-x', at: late + 40_000, callId: 'late-1' },
    ]);
    expect(r.body.data?.accepted).toBe(2);
    expect((await reportStats(h)).cached).toBe(0);
    const third = await getJson(h, `/api/report?date=${D1}`);
    expect(offered(third)).toBe(10_001);
    expect(await reportStats(h)).toMatchObject({ builds: 2, hits: 1, cached: 1 });

    // Today's events leave yesterday's report alone.
    await postEvents(h, [ev.queued('today-2', 'q0', 200), ev.abandoned('today-2', 260)]);
    expect(offered(await getJson(h, `/api/report?date=${D1}`))).toBe(10_001);
    expect(await reportStats(h)).toMatchObject({ builds: 2, hits: 2 });

    // New settings: every cached report goes.
    await h.auth.createUser({ username: 'boss', password: 'correct horse battery', role: 'admin' }, h.clock.now());
    const login = await fetch(`${h.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'boss', password: 'correct horse battery' }) });
    expect(login.status).toBe(200);
    const cookie = login.headers.get('set-cookie')!.split(';')[0];
    const settings = { ...h.server.state().config, serviceLevel: { ...h.server.state().config.serviceLevel, thresholdSec: 15 } };
    const put = await fetch(`${h.url}/api/settings`, { method: 'PUT', headers: { 'content-type': 'application/json', cookie, origin: h.url }, body: JSON.stringify(settings) });
    expect(put.status, await put.clone().text()).toBe(200);
    expect((await reportStats(h)).cached).toBe(0);
    expect((await getJson(h, `/api/report?date=${D1}`)).status).toBe(200);
    expect(await reportStats(h)).toMatchObject({ builds: 3, cached: 1 });
  });

  it('does not cache a day while one of its calls is still live, and counts a late end of it there', async () => {
    const h = await start();
    const y = (sec: number) => sec - 9 * 3_600 - 86_400; // yesterday at `sec` seconds after midnight, from T0
    const e0 = ev.agent('a1', 'available', y(22 * 3_600));
    const e1 = ev.queued('open-1', 'q1', y(23 * 3_600));
    expect((await postEvents(h, [e0, e1])).body.data?.accepted).toBe(2);
    await someOfToday(h);
    const a = (await getJson(h, `/api/report?date=${D1}`)).body.data as { queues: { queueId: string; offered: number; answered: number }[] };
    expect(a.queues.find((q) => q.queueId === 'q1')).toMatchObject({ offered: 1, answered: 0 });
    expect(await reportStats(h)).toMatchObject({ builds: 1, cached: 0 });
    // Answered today: it counts on yesterday, the day it was offered.
    expect((await postEvents(h, [ev.answered('open-1', 'a1', 60), ev.ended('open-1', 120, { notes: true })])).body.data?.accepted).toBe(2);
    const b = (await getJson(h, `/api/report?date=${D1}`)).body.data as { queues: { queueId: string; offered: number; answered: number }[] };
    expect(b.queues.find((q) => q.queueId === 'q1')).toMatchObject({ offered: 1, answered: 1 });
    expect(await reportStats(h)).toMatchObject({ builds: 2, cached: 1 });
  });

  it('answers 503 when the worker dies mid-build, stays up, and builds again with a new worker', async () => {
    const seeded = await seededLog([{ date: D1, calls: 10_000 }]);
    const h = await start({ dbFile: seeded.file });
    await someOfToday(h);
    const pending = getJson(h, `/api/report?date=${D1}`);
    const end = Date.now() + 10_000;
    while ((await reportStats(h)).worker !== 'building') {
      if (Date.now() > end) throw new Error('the build never started');
      await new Promise((r) => setTimeout(r, 5));
    }
    await h.server.reports.stopWorker();
    const failed = await pending;
    expect(failed.status).toBe(503);
    expect(failed.body.error).toMatch(/report worker failed/);
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
    expect((await postEvents(h, [ev.queued('after-crash', 'q0', 300)], INGEST_TOKEN)).body.data?.accepted).toBe(1);
    const again = await getJson(h, `/api/report?date=${D1}`);
    expect(again.status).toBe(200);
    expect((again.body.data as { queues: { offered: number }[] }).queues.reduce((n, q) => n + q.offered, 0)).toBe(10_000);
    expect(await reportStats(h)).toMatchObject({ builds: 1, failures: 1, cached: 1 });
  });
});

describe('the report service on its own', () => {
  /** A log file with a few calls on each of the three days before the harness's today, and a floor on today. */
  async function smallLog() {
    const file = tempDbFile();
    const log = openSqliteLog({ file, synchronous: 'normal' });
    for (const date of ['2026-11-21', D2, D1]) await fillDay(log, date, { calls: 20 });
    const state = createFloorState(defaultConfig(), T0, { clock: 'server' });
    return { log, state };
  }
  const dayOf = (date: string) => localDay(Date.parse(`${date}T12:00:00Z`), 'UTC');

  it('refuses a build beyond the queue with a 503 and builds the rest', async () => {
    const { log, state } = await smallLog();
    const reports = new ReportService({ log, state: () => state, queueMax: 1 });
    try {
      // The first starts at once, the second waits, the third finds the queue full; a repeat of the second joins it.
      const first = reports.get(dayOf(D1), state.config);
      const second = reports.get(dayOf(D2), state.config);
      const third = reports.get(dayOf('2026-11-21'), state.config);
      const again = reports.get(dayOf(D2), state.config);
      await expect(third).rejects.toMatchObject({ status: 503, message: expect.stringMatching(/queue full/) });
      const [a, b, c] = await Promise.all([first, second, again]);
      expect(a.queues.reduce((n, q) => n + q.offered, 0)).toBe(20);
      expect(b.queues.reduce((n, q) => n + q.offered, 0)).toBe(20);
      expect(c).toBe(b);
      expect(reports.stats()).toMatchObject({ builds: 2, shared: 1, failures: 1, cached: 2 });
    } finally {
      await reports.close();
      await log.close();
    }
  });

  it('folds a past day with the live floor’s engine limits (FLOORWATCH_STALE_*), not the defaults', async () => {
    const file = tempDbFile();
    const log = openSqliteLog({ file, synchronous: 'normal' });
    const t8 = dayStart(D1) + 8 * 3_600_000;
    // A caller who waits and is never heard of again; another call two hours later, answered and ended.
    const at = (e: Omit<FloorEvent, 'at'>, ms: number) => log.append([{ ...e, at: ms } as FloorEvent], ms);
    await at({ type: 'call.queued', id: 'w-q', callId: 'w', queueId: 'q0' } as Omit<FloorEvent, 'at'>, t8);
    await at({ type: 'call.queued', id: 'c-q', callId: 'c', queueId: 'q0' } as Omit<FloorEvent, 'at'>, t8 + 7_200_000);
    await at({ type: 'call.answered', id: 'c-a', callId: 'c', agentId: 'a1' } as Omit<FloorEvent, 'at'>, t8 + 7_210_000);
    await at({ type: 'call.ended', id: 'c-e', callId: 'c', by: 'caller' } as Omit<FloorEvent, 'at'>, t8 + 7_300_000);
    const state = createFloorState(defaultConfig(), T0, { clock: 'server' });
    const lostWith = async (engineLimits?: { staleWaitingSec: number }) => {
      const reports = new ReportService({ log, state: () => state, engineLimits });
      try {
        return (await reports.get(localDay(Date.parse(`${D1}T12:00:00Z`), 'UTC'), state.config)).queues.find((q) => q.queueId === 'q0')?.endLost;
      } finally {
        await reports.close();
      }
    };
    try {
      // The day is folded to its end: by the default (4 h) the caller's end was lost; with 20 h they still wait at midnight.
      expect(await lostWith()).toBe(1);
      expect(await lostWith({ staleWaitingSec: 20 * 3_600 })).toBe(0);
    } finally {
      await log.close();
    }
  });

  it('stops a build that takes too long with a 503, and the next one gets a fresh worker', async () => {
    const { log, state } = await smallLog();
    const reports = new ReportService({ log, state: () => state, buildTimeoutMs: 1 });
    try {
      await expect(reports.get(dayOf(D1), state.config)).rejects.toMatchObject({ status: 503, message: expect.stringMatching(/took longer than/) });
      expect(reports.stats()).toMatchObject({ worker: 'stopped', failures: 1, cached: 0 });
    } finally {
      await reports.close();
    }
    const patient = new ReportService({ log, state: () => state });
    try {
      expect((await patient.get(dayOf(D1), state.config)).queues.reduce((n, q) => n + q.offered, 0)).toBe(20);
      await expect(patient.get(dayOf('2026-11-01'), state.config)).rejects.toMatchObject({ status: 404, message: 'no events in the log for 2026-11-01' });
      await patient.close();
      await expect(patient.get(dayOf(D2), state.config)).rejects.toMatchObject({ status: 503 });
    } finally {
      await patient.close();
      await log.close();
    }
  });
});
