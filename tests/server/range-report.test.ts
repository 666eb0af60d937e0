/**
 * Range reports and scorecards (issue 16): a range's figures are the sum of its single-day
 * reports, in every grouping; closed days are kept as daily aggregates (a second report, and a
 * restarted server, fold nothing) and rebuilt when the settings change; XLSX and CSV exports hold
 * the JSON's values; a scorecard of a seeded feed has its known values; an agent sees only their own.
 */
import fs from 'node:fs';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import type { FloorEvent } from '../../shared/events.ts';
import type { RangeReport, Scorecard } from '../../shared/report/types.ts';
import type { QueueKpis } from '../../shared/wire.ts';
import { openSqliteLog } from '../../server/log/sqlite.ts';
import { ReportService, type ReportStats } from '../../server/report-cache.ts';
import { AggregateStore } from '../../server/aggregate-store.ts';
import type { LogStore } from '../../server/log/store.ts';
import { defaultConfig } from '../../shared/config.ts';
import { createFloorState } from '../../shared/engine.ts';
import { datesBetween, dayOfDate } from '../../shared/time.ts';
import { createServer } from '../../server/app.ts';
import { AuthStore } from '../../server/auth/store.ts';
import { closeHarnessesAfterEach, getJson, postEvents, tempDbFile, ev, T0, VIEW_TOKEN, type Harness } from './harness.ts';

const { start, stop } = closeHarnessesAfterEach();

/** The harness's today is 2026-11-24 (UTC); the four days before it are seeded. */
const DAYS = ['2026-11-20', '2026-11-21', '2026-11-22', '2026-11-23'];
const AGENTS = [
  { agentId: 'a1', name: 'Ann', team: 'A' },
  { agentId: 'a2', name: 'Bob', team: 'A' },
  { agentId: 'a3', name: 'Cem', team: 'B' },
];

/** One seeded call: its agent, queue, rings to answer and whether it had a 50 s hold (a hold-long warning at 45 s). */
interface PlannedCall {
  callId: string;
  agentId: string;
  queueId: string;
  rings: number;
  hold: boolean;
}

/** Day k (0-based) has 5 + 2k answered calls, agents in turn, rings 1..5 in turn, a hold on every fourth, and one abandon. */
function planOf(k: number, date: string): PlannedCall[] {
  return Array.from({ length: 5 + 2 * k }, (_, i) => ({ callId: `${date}-c${i}`, agentId: AGENTS[i % 3].agentId, queueId: `q${i % 2}`, rings: (i % 5) + 1, hold: i % 4 === 0 }));
}

/** The day's events, each at its time (08:00 UTC on): calls 10 min apart, answered after their rings (6 s each), 120 s long. */
function dayEvents(k: number, date: string): FloorEvent[] {
  const t8 = Date.parse(`${date}T08:00:00Z`);
  const out: FloorEvent[] = [];
  let n = 0;
  const put = (atMs: number, e: Record<string, unknown>) => out.push({ ...e, id: `${date}-e${n++}`, at: atMs } as unknown as FloorEvent);
  for (const a of AGENTS) put(t8, { type: 'agent.state', agentId: a.agentId, state: 'available', name: a.name, team: a.team });
  planOf(k, date).forEach((c, i) => {
    const t = t8 + 60_000 + i * 600_000;
    put(t, { type: 'call.queued', callId: c.callId, queueId: c.queueId });
    put(t + 5_000, { type: 'call.ringing', callId: c.callId, agentId: c.agentId });
    const ans = t + 5_000 + c.rings * 6_000;
    put(ans, { type: 'call.answered', callId: c.callId, agentId: c.agentId, ringCount: c.rings });
    if (c.hold) {
      put(ans + 20_000, { type: 'call.hold', callId: c.callId, askedPermission: true });
      put(ans + 70_000, { type: 'call.unhold', callId: c.callId });
    }
    put(ans + 120_000, { type: 'call.ended', callId: c.callId, by: 'caller', notes: true });
  });
  const ta = t8 + 3 * 3_600_000;
  put(ta, { type: 'call.queued', callId: `${date}-x`, queueId: 'q1' });
  put(ta + 30_000, { type: 'call.abandoned', callId: `${date}-x` });
  return out;
}

/** A log file holding the seeded days, each event appended at its own time. */
async function seededLog(): Promise<string> {
  const file = tempDbFile();
  const log = openSqliteLog({ file, synchronous: 'normal' });
  for (const [k, date] of DAYS.entries()) for (const e of dayEvents(k, date)) await log.append([e], e.at);
  await log.close();
  return file;
}

async function todayCalls(h: Harness) {
  const r = await postEvents(h, [ev.agent('a1', 'available', 0, { name: 'Ann', team: 'A' }), ev.queued('t-1', 'q0', 5), ev.ringing('t-1', 'a1', 6), ev.answered('t-1', 'a1', 12, { ringCount: 1 }), ev.ended('t-1', 72, { by: 'caller', notes: true })]);
  expect(r.body.data?.accepted).toBe(5);
}

async function reportOf(h: Harness, query: string): Promise<RangeReport> {
  const r = await getJson(h, `/api/reports?${query}`);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body.data as RangeReport;
}

async function builds(h: Harness): Promise<number> {
  const r = await getJson(h, '/api/health');
  return (r.body.data as { reports: ReportStats }).reports.builds;
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

describe('range reports', () => {
  it('sums the single-day reports, in every grouping and filter', async () => {
    const h = await start({ dbFile: await seededLog() });
    await todayCalls(h);
    const dates = [...DAYS, '2026-11-24'];
    const single = await Promise.all(dates.map(async (d) => ((await getJson(h, `/api/report?date=${d}`)).body.data as { queues: QueueKpis[]; agents: { agentId: string; handled: number }[] })));
    const r = await reportOf(h, `from=${DAYS[0]}&to=2026-11-24`);
    for (const k of ['offered', 'answered', 'abandoned', 'shortAbandoned', 'transferredOut', 'endLost'] as const) {
      expect(r.totals[k], k).toBe(sum(single.map((d) => sum(d.queues.map((q) => q[k])))));
    }
    // Day k has 5 + 2k answered calls and one abandon; today one call.
    expect(r.totals.offered).toBe(5 + 7 + 9 + 11 + 4 + 1);
    expect(r.rows.map((x) => x.label)).toEqual(dates);
    expect(r.rows.map((x) => x.offered)).toEqual(single.map((d) => sum(d.queues.map((q) => q.offered))));
    expect(r.agents.find((a) => a.agentId === 'a1')?.handled).toBe(sum(single.map((d) => d.agents.find((a) => a.agentId === 'a1')?.handled ?? 0)));
    expect(r.missingDates).toEqual([]);
    // Each day row carries its breaches and warnings; together the range's.
    expect(sum(r.rows.map((x) => x.warns ?? 0))).toBe(r.totals.warns);
    expect(sum(r.rows.map((x) => x.breaches ?? 0))).toBe(r.totals.breaches);
    // Days yet to come are not "missing": nothing could have been recorded on them.
    expect((await reportOf(h, `from=${DAYS[3]}&to=2026-11-27`)).missingDates).toEqual([]);
    // Longest wait: the abandon's 30 s; ASA from the rings (5 s to ring + 6 s a ring).
    expect(r.totals.maxWaitSec).toBe(35);
    // One week (2026-W47 holds 20–22, W48 23–24), intervals: the totals again.
    const weeks = await reportOf(h, `from=${DAYS[0]}&to=2026-11-24&group=week`);
    expect(weeks.rows.map((x) => x.label)).toEqual(['2026-W47', '2026-W48']);
    expect(sum(weeks.rows.map((x) => x.offered))).toBe(r.totals.offered);
    const iv = await reportOf(h, `from=${DAYS[0]}&to=2026-11-24&group=interval60`);
    expect(sum(iv.rows.map((x) => x.answered))).toBe(r.totals.answered);
    expect(iv.rows[0].label).toBe('08:00');
    expect(iv.rows.every((x) => x.neededAgents === null || x.neededAgents >= 1)).toBe(true);
    // Filters: a queue's figures alone; a team's agents alone.
    const q0 = await reportOf(h, `from=${DAYS[0]}&to=2026-11-24&queue=q0`);
    expect(q0.queues.map((q) => q.queueId)).toEqual(['q0']);
    expect(q0.totals.offered).toBe(r.queues.find((q) => q.queueId === 'q0')?.offered);
    const teamB = await reportOf(h, `from=${DAYS[0]}&to=2026-11-24&team=B`);
    expect(teamB.agents.map((a) => a.agentId)).toEqual(['a3']);
  });

  it('keeps closed days as aggregates: a second report and a restarted server fold nothing; new settings rebuild', async () => {
    const file = await seededLog();
    let h = await start({ dbFile: file });
    await todayCalls(h);
    const first = await reportOf(h, `from=${DAYS[0]}&to=${DAYS[3]}`);
    expect(await builds(h)).toBe(1); // four days, one fold of the log
    const again = await reportOf(h, `from=${DAYS[0]}&to=${DAYS[3]}`);
    expect(again).toEqual(first);
    expect(await builds(h)).toBe(1);
    await stop(h);
    h = await start({ dbFile: file });
    await todayCalls(h);
    expect(await reportOf(h, `from=${DAYS[0]}&to=${DAYS[3]}`)).toEqual(first);
    expect(await builds(h)).toBe(0);
    // A wider range folds only the days not kept yet (2026-11-19 has no events: missing, and kept as such).
    const wider = await reportOf(h, `from=2026-11-19&to=${DAYS[3]}`);
    expect(wider.missingDates).toEqual(['2026-11-19']);
    expect(await builds(h)).toBe(1);
    await reportOf(h, `from=2026-11-19&to=${DAYS[3]}`);
    expect(await builds(h)).toBe(1);
    expect(sum(wider.agents.map((a) => a.warns))).toBeGreaterThan(0);
    expect(wider.rules.find((x) => x.rule === 'hold-long')?.warns).toBe(sum(DAYS.map((d, k) => planOf(k, d).filter((c) => c.hold).length)));
    // New settings: the days are folded again under them (50 s holds no longer warn at 60 s).
    await h.auth.createUser({ username: 'root', password: 'admin-password-1', role: 'admin' }, h.clock.now());
    const login = await fetch(`${h.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'root', password: 'admin-password-1' }) });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0];
    const config = (await getJson(h, '/api/settings')).body.data as { rules: Record<string, number> };
    const put = await fetch(`${h.url}/api/settings`, { method: 'PUT', headers: { cookie, 'content-type': 'application/json' }, body: JSON.stringify({ ...config, rules: { ...config.rules, holdLongWarnSec: 60 } }) });
    expect(put.status).toBe(200);
    const rebuilt = await reportOf(h, `from=2026-11-19&to=${DAYS[3]}`);
    expect(await builds(h)).toBe(2);
    expect(rebuilt.rules.find((x) => x.rule === 'hold-long')).toBeUndefined();
    expect(rebuilt.totals.offered).toBe(wider.totals.offered);
  });

  it('folds a past day again when events of it arrive late, also a day first reported empty', async () => {
    const h = await start({ dbFile: await seededLog() });
    await todayCalls(h);
    // 2026-11-19 has no events yet: reported missing, and stored as such.
    const first = await reportOf(h, `from=2026-11-19&to=${DAYS[0]}`);
    expect(first.missingDates).toEqual(['2026-11-19']);
    expect(await builds(h)).toBe(1);
    // A producer backfills a call of the 19th, and one more of the 20th.
    const at = (iso: string) => Date.parse(iso);
    const late = [
      { type: 'call.queued', id: 'late-q1', at: at('2026-11-19T10:00:00Z'), callId: 'late-1', queueId: 'q0' },
      { type: 'call.abandoned', id: 'late-a1', at: at('2026-11-19T10:00:40Z'), callId: 'late-1' },
      { type: 'call.queued', id: 'late-q2', at: at('2026-11-20T15:00:00Z'), callId: 'late-2', queueId: 'q1' },
      { type: 'call.abandoned', id: 'late-a2', at: at('2026-11-20T15:00:50Z'), callId: 'late-2' },
    ];
    expect((await postEvents(h, late)).body.data?.accepted).toBe(4);
    const again = await reportOf(h, `from=2026-11-19&to=${DAYS[0]}`);
    expect(again.missingDates).toEqual([]);
    expect(again.rows.map((r) => [r.label, r.offered, r.abandoned])).toEqual([
      ['2026-11-19', 1, 1],
      [DAYS[0], first.rows[0].offered + 1, first.rows[0].abandoned + 1],
    ]);
    // The range agrees with the single-day reports.
    for (const d of ['2026-11-19', DAYS[0]]) {
      const single = (await getJson(h, `/api/report?date=${d}`)).body.data as { queues: QueueKpis[] };
      expect(again.rows.find((r) => r.label === d)?.offered).toBe(sum(single.queues.map((q) => q.offered)));
    }
  });

  it('exports the tables as XLSX (one typed sheet each, header frozen) and CSV with the JSON values', async () => {
    const h = await start({ dbFile: await seededLog() });
    await todayCalls(h);
    const q = `from=${DAYS[0]}&to=${DAYS[3]}`;
    const r = await reportOf(h, q);
    const res = await fetch(`${h.url}/api/reports/export.xlsx?${q}`, { headers: { authorization: 'Bearer test-view-token' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toContain(`floorwatch-report-${DAYS[0]}-${DAYS[3]}.xlsx`);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(await res.arrayBuffer());
    expect(wb.worksheets.map((w) => w.name)).toEqual(['days', 'queues', 'agents', 'rules']);
    const days = wb.getWorksheet('days')!;
    expect(days.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
    const header = (days.getRow(1).values as unknown[]).slice(1);
    expect(header.slice(0, 3)).toEqual(['day', 'offered', 'answered']);
    r.rows.forEach((row, i) => {
      const cells = (days.getRow(i + 2).values as unknown[]).slice(1);
      expect(cells[0]).toBe(row.label);
      expect(cells[1]).toBe(row.offered);
      expect(cells[2]).toBe(row.answered);
      expect(typeof cells[1]).toBe('number');
      // Service level is a percentage cell: the fraction, shown as 0.0 %.
      expect(cells[header.indexOf('service_level_pct')]).toBeCloseTo((row.serviceLevelPct ?? 0) / 100, 6);
    });
    const agents = wb.getWorksheet('agents')!;
    const aHeader = (agents.getRow(1).values as unknown[]).slice(1);
    r.agents.forEach((a, i) => {
      const cells = (agents.getRow(i + 2).values as unknown[]).slice(1);
      expect(cells[aHeader.indexOf('agent_id')]).toBe(a.agentId);
      expect(cells[aHeader.indexOf('handled')]).toBe(a.handled);
      expect(cells[aHeader.indexOf('breaches')]).toBe(a.breaches);
    });
    const csv = await fetch(`${h.url}/api/reports/export/queues.csv?${q}`, { headers: { authorization: 'Bearer test-view-token' } });
    expect(csv.status).toBe(200);
    const lines = (await csv.text()).trim().split(/\r?\n/);
    expect(lines[0].split(',').slice(0, 3)).toEqual(['queue', 'offered', 'answered']);
    expect(lines.slice(1).map((l) => l.split(',').slice(0, 2).join(','))).toEqual(r.queues.map((x) => `${x.queueId},${x.offered}`));
    expect((await fetch(`${h.url}/api/reports/export/nope.csv?${q}`, { headers: { authorization: 'Bearer test-view-token' } })).status).toBe(404);
  });

  it('answers the same from a streamed log (cluster mode: the fold on the worker, the answer on the main thread)', async () => {
    const file = await seededLog();
    const h = await start({ dbFile: file });
    const q = `from=${DAYS[0]}&to=${DAYS[3]}`;
    const viaFile = await reportOf(h, q);
    // A store the worker cannot open itself: the main thread replays it and streams the events.
    const log = openSqliteLog({ file, synchronous: 'normal' });
    const streamed = { kind: 'stream-test', replay: log.replay.bind(log) } as unknown as LogStore;
    const config = defaultConfig();
    const floor = createFloorState(config, Date.parse('2026-11-24T09:00:00Z'));
    const service = new ReportService({ log: streamed, state: () => floor, aggregates: new AggregateStore(':memory:') });
    const dates = datesBetween(DAYS[0], DAYS[3]).map((date) => ({ date, ...dayOfDate(date, 'UTC') }));
    const ask = { kind: 'report' as const, query: viaFile.query, timeZone: 'UTC', maxOccupancyPct: 85 };
    const first = await service.answer(ask, dates, config, undefined);
    expect(first.built).toBe(4);
    expect(first.answer).toEqual(viaFile);
    const again = await service.answer(ask, dates, config, undefined);
    expect(again.built).toBe(0);
    expect(service.stats()).toMatchObject({ source: 'stream' });
    await service.close();
    await log.close();
  });

  it('keeps the figures of days whose raw events retention pruned, never built before: stored first, then shown as they were (stale under new settings)', async () => {
    const file = await seededLog();
    // A copy of the seeded log before any report: no aggregate stored in it.
    const copy = tempDbFile();
    fs.copyFileSync(file, copy);
    const reference = await start({ dbFile: file });
    const before = await reportOf(reference, `from=${DAYS[0]}&to=${DAYS[3]}`);
    await stop(reference);
    const log = openSqliteLog({ file: copy, synchronous: 'normal' });
    const auth = new AuthStore(':memory:');
    const lines: string[] = [];
    const server = createServer({ log, auth, clock: { now: () => T0 }, ingestTokens: [], viewTokens: [VIEW_TOKEN], tickMs: 0, retainDays: 1, logger: { info: (m: string) => lines.push(m), warn: () => {}, error: (m: unknown) => console.error(m) } });
    const port = await server.listen(0, '127.0.0.1');
    try {
      const run = await server.retention!.settled();
      expect(run?.day).toBe(DAYS[3]); // --retain-days 1: the 23rd and today are kept
      expect(run!.result.events).toBeGreaterThan(0);
      expect(lines, lines.join('; ')).toContain('retention: stored the daily aggregates of 366 days before pruning their events');
      const h = { url: `http://127.0.0.1:${port}` } as Harness;
      const after = await reportOf(h, `from=${DAYS[0]}&to=${DAYS[3]}`);
      expect(after).toEqual(before);
      // New settings: the kept day is folded again under them; the pruned days keep their last figures, named stale.
      await auth.createUser({ username: 'root', password: 'admin-password-1', role: 'admin' }, T0);
      const login = await fetch(`${h.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'root', password: 'admin-password-1' }) });
      const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0];
      const config = (await getJson(h as Harness, '/api/settings')).body.data as { rules: Record<string, number> };
      expect((await fetch(`${h.url}/api/settings`, { method: 'PUT', headers: { cookie, 'content-type': 'application/json' }, body: JSON.stringify({ ...config, rules: { ...config.rules, holdLongWarnSec: 60 } }) })).status).toBe(200);
      const rebuilt = await reportOf(h, `from=${DAYS[0]}&to=${DAYS[3]}`);
      expect(rebuilt.staleDates).toEqual(DAYS.slice(0, 3));
      expect(rebuilt.totals.offered).toBe(before.totals.offered);
      // Only the kept day lost its hold-long warnings under the new threshold.
      const holdWarns = (r: RangeReport) => r.rules.find((x) => x.rule === 'hold-long')?.warns ?? 0;
      expect(holdWarns(rebuilt)).toBe(holdWarns(before) - planOf(3, DAYS[3]).filter((c) => c.hold).length);
    } finally {
      await server.close();
      await log.close();
      auth.close();
    }
  });

  it('refuses malformed ranges with a 400 that says why, and agents and wallboards with 403', async () => {
    const h = await start({ dbFile: await seededLog() });
    for (const [q, msg] of [
      ['from=2026-11-31&to=2026-12-01', /from: a date/],
      ['from=2026-11-23&to=2026-11-20', /after to/],
      ['from=2025-01-01&to=2026-11-24', /at most 366 days/],
      ['group=fortnight', /group: one of/],
      ['from=0001-01-01&to=0001-01-01', /from: a date/],
    ] as const) {
      const r = await getJson(h, `/api/reports?${q}`);
      expect(r.status, q).toBe(400);
      expect(r.body.error).toMatch(msg);
    }
    expect((await getJson(h, '/api/reports', 'test-wall-token')).status).toBe(403);
    expect((await getJson(h, '/api/reports', null)).status).toBe(401);
  });
});

describe('scorecards', () => {
  /** What the plan says of an agent over dates `ks` (day indexes): calls, rings histogram, holds, ring-limit breaches and warnings, hold-long warnings. */
  function expected(agentId: string, ks: number[]) {
    const calls = ks.flatMap((k) => planOf(k, DAYS[k]).filter((c) => c.agentId === agentId));
    const rings = [0, 0, 0, 0, 0, 0, 0];
    for (const c of calls) rings[Math.min(c.rings, 6)]++;
    return {
      calls: calls.length,
      rings,
      holds: calls.filter((c) => c.hold).length,
      ringBreaches: calls.filter((c) => c.rings >= 4).length,
      ringWarns: calls.filter((c) => c.rings === 3).length,
      holdWarns: calls.filter((c) => c.hold).length,
    };
  }

  async function login(h: Harness, username: string, password: string): Promise<string> {
    const res = await fetch(`${h.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
    expect(res.status).toBe(200);
    return (res.headers.get('set-cookie') ?? '').split(';')[0];
  }

  it('has the seeded feed known values, the previous period beside, and the worst calls first', async () => {
    const h = await start({ dbFile: await seededLog() });
    await todayCalls(h);
    const r = await getJson(h, `/api/scorecard?agent=a1&from=${DAYS[2]}&to=${DAYS[3]}`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const card = r.body.data as Scorecard;
    const cur = expected('a1', [2, 3]);
    const prev = expected('a1', [0, 1]);
    expect(card).toMatchObject({ kind: 'agent', id: 'a1', name: 'Ann', previousFrom: DAYS[0], previousTo: DAYS[1] });
    expect(card.current.calls).toBe(cur.calls);
    expect(card.previous.calls).toBe(prev.calls);
    expect(card.current.ahtSec).toBe(120);
    expect(card.current.holdsPerCall).toBe(Math.round((100 * cur.holds) / cur.calls) / 100);
    expect(card.current.avgHoldSec).toBe(50);
    const rung = sum(cur.rings);
    expect(card.current.ringsPct).toEqual(cur.rings.map((n) => Math.round((1000 * n) / rung) / 10));
    const rule = (id: string) => card.current.rules.find((x) => x.rule === id);
    expect(rule('ring-limit')).toMatchObject({ breaches: cur.ringBreaches, warns: cur.ringWarns });
    expect(rule('hold-long')).toMatchObject({ warns: cur.holdWarns, breaches: 0 });
    expect(card.current.breachesPer100).toBe(Math.round((1000 * card.current.breaches) / cur.calls) / 10);
    // Worst calls: the ring-limit breaches first, each on its own date.
    expect(card.worstCalls.length).toBeGreaterThan(0);
    expect(card.worstCalls[0].breaches).toBeGreaterThanOrEqual(card.worstCalls[card.worstCalls.length - 1].breaches);
    expect(card.worstCalls.every((c) => c.agentId === 'a1' && c.date >= DAYS[2] && c.date <= DAYS[3])).toBe(true);
    // A team: its members, each with their own calls.
    const team = (await getJson(h, `/api/scorecard?team=A&from=${DAYS[2]}&to=${DAYS[3]}`)).body.data as Scorecard;
    expect(team.members?.map((m) => m.agentId)).toEqual(['a1', 'a2']);
    expect(team.current.calls).toBe(cur.calls + expected('a2', [2, 3]).calls);
    expect((await getJson(h, `/api/scorecard?agent=nobody&from=${DAYS[2]}&to=${DAYS[3]}`)).status).toBe(404);
  });

  it('shows an agent their own scorecard and refuses anyone else’s', async () => {
    const h = await start({ dbFile: await seededLog() });
    await h.auth.createUser({ username: 'ann', password: 'agent-password-1', role: 'agent', agentId: 'a1' }, h.clock.now());
    const cookie = await login(h, 'ann', 'agent-password-1');
    const get = (q: string) => fetch(`${h.url}/api/scorecard?${q}`, { headers: { cookie } });
    const own = await get(`from=${DAYS[2]}&to=${DAYS[3]}`);
    expect(own.status).toBe(200);
    expect(((await own.json()) as { data: Scorecard }).data.id).toBe('a1');
    expect((await get(`agent=a2&from=${DAYS[2]}&to=${DAYS[3]}`)).status).toBe(403);
    expect((await get(`team=A&from=${DAYS[2]}&to=${DAYS[3]}`)).status).toBe(403);
    expect((await fetch(`${h.url}/api/reports`, { headers: { cookie } })).status).toBe(403);
  });
});
