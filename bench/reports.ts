/**
 * Range reports (issue 16): a 90-day report of a 200-agent floor, with the
 * daily aggregates kept beside the log against building the same days from
 * the raw log.
 *
 * The log: 90 days (30 with --quick) of a floor of 200 agents (50), each
 * answering `CALLS_PER_AGENT_DAY` calls a day (queued, ringing, answered, a
 * hold on every fifth, ended), written through the real SQLite store. Then the
 * real server (`createServer` + `listen`) on it, its clock on the day after:
 * - baseline: the first `GET /api/reports` of the 90 days, built from the raw
 *   log (one fold of the whole log on the report worker, every day stored);
 * - value: the same request again, answered from the stored aggregates;
 * - the longest `/healthz` answer while the cold report was being built (the
 *   live floor must stay fresh meanwhile).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createServer } from '../server/app.ts';
import { AuthStore } from '../server/auth/store.ts';
import { openSqliteLog } from '../server/log/sqlite.ts';
import type { FloorEvent } from '../shared/events.ts';
import type { RangeReport } from '../shared/report/types.ts';
import { progress } from './lib/feed.ts';
import type { BenchRun } from './types.ts';
import { ratio } from './types.ts';

const CALLS_PER_AGENT_DAY = 12;
const QUEUES = 8;
const TOKEN = 'bench-report-token';
const quiet = { info() {}, warn() {}, error() {} };
/** The first day of the log (UTC floor), and the fold's start: 08:00. */
const DAY0 = Date.parse('2026-06-01T00:00:00Z');

function dateOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** One day's events in time order: agents sign in at 08:00, calls every few minutes per agent, 3 minutes each. */
function dayEvents(day: number, agents: number): FloorEvent[] {
  const start = DAY0 + day * 86_400_000 + 8 * 3_600_000;
  const out: FloorEvent[] = [];
  for (let a = 0; a < agents; a++) out.push({ type: 'agent.state', id: `d${day}-s${a}`, at: start, agentId: `a${a}`, state: 'available', name: `Agent ${a}`, team: `t${a % 10}` } as FloorEvent);
  for (let i = 0; i < CALLS_PER_AGENT_DAY; i++) {
    for (let a = 0; a < agents; a++) {
      const t = start + 60_000 + i * 30 * 60_000 + (a % 60) * 1_000;
      const callId = `d${day}-a${a}-c${i}`;
      const rings = 1 + ((a + i) % 5);
      const answered = t + 5_000 + rings * 6_000;
      out.push({ type: 'call.queued', id: `${callId}q`, at: t, callId, queueId: `q${(a + i) % QUEUES}` } as FloorEvent);
      out.push({ type: 'call.ringing', id: `${callId}r`, at: t + 5_000, callId, agentId: `a${a}` } as FloorEvent);
      out.push({ type: 'call.answered', id: `${callId}a`, at: answered, callId, agentId: `a${a}`, ringCount: rings } as FloorEvent);
      if ((a + i) % 5 === 0) {
        out.push({ type: 'call.hold', id: `${callId}h`, at: answered + 20_000, callId, askedPermission: (a + i) % 10 === 0 } as FloorEvent);
        out.push({ type: 'call.unhold', id: `${callId}u`, at: answered + 70_000, callId } as FloorEvent);
      }
      out.push({ type: 'call.ended', id: `${callId}e`, at: answered + 180_000, callId, by: 'caller', notes: true } as FloorEvent);
    }
  }
  return out.sort((x, y) => x.at - y.at);
}

/** Fills the log: every day's events, appended in batches at their own times. */
export async function fill(file: string, days: number, agents: number): Promise<number> {
  const log = openSqliteLog({ file, synchronous: 'normal' });
  let n = 0;
  for (let d = 0; d < days; d++) {
    const events = dayEvents(d, agents);
    for (let i = 0; i < events.length; i += 5_000) {
      const batch = events.slice(i, i + 5_000);
      n += (await log.append(batch, batch[batch.length - 1].at)).appended.length;
    }
    if (d % 10 === 9) progress('reports', `log holds ${days === d + 1 ? 'all' : d + 1} days, ${n.toLocaleString('en-US')} events`);
  }
  await log.close();
  return n;
}

export const run: BenchRun = async ({ quick }) => {
  const days = quick ? 30 : 90;
  const agents = quick ? 50 : 200;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fw-bench-reports-'));
  const file = path.join(dir, 'events.db');
  try {
    const events = await fill(file, days, agents);
    const log = openSqliteLog({ file, synchronous: 'normal' });
    const auth = new AuthStore(':memory:');
    const now = DAY0 + days * 86_400_000 + 9 * 3_600_000;
    const server = createServer({ log, auth, clock: { now: () => now }, ingestTokens: [], viewTokens: [TOKEN], wallboardTokens: [], demo: false, tickMs: 0, logger: quiet });
    const port = await server.listen(0, '127.0.0.1');
    const url = `http://127.0.0.1:${port}`;
    const q = `/api/reports?from=${dateOf(DAY0)}&to=${dateOf(DAY0 + (days - 1) * 86_400_000)}`;
    const get = async () => {
      const t = performance.now();
      const res = await fetch(url + q, { headers: { authorization: `Bearer ${TOKEN}` } });
      const body = (await res.json()) as { ok: boolean; data?: RangeReport; error?: string };
      if (!body.ok || !body.data) throw new Error(`report failed: ${res.status} ${body.error}`);
      return { ms: performance.now() - t, report: body.data };
    };
    let building = true;
    let worstHealthMs = 0;
    const poll = (async () => {
      while (building) {
        const t = performance.now();
        await fetch(`${url}/healthz`);
        worstHealthMs = Math.max(worstHealthMs, performance.now() - t);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    progress('reports', `building ${days} days from the raw log (${events.toLocaleString('en-US')} events)`);
    const cold = await get();
    building = false;
    await poll;
    const warm = [await get(), await get(), await get()].sort((a, b) => a.ms - b.ms)[0];
    if (JSON.stringify(warm.report) !== JSON.stringify(cold.report)) throw new Error('the report from the aggregates differs from the one built from the log');
    if (warm.report.totals.answered !== days * agents * CALLS_PER_AGENT_DAY) throw new Error(`answered ${warm.report.totals.answered}, expected ${days * agents * CALLS_PER_AGENT_DAY}`);
    await server.close();
    await log.close();
    auth.close();
    const label = `${days}-day report, ${agents} agents, ${events.toLocaleString('en-US')} events`;
    return [
      {
        bench: 'reports',
        metric: `${label}: from the daily aggregates`,
        value: Math.round(warm.ms),
        unit: 'ms',
        baseline: { name: 'the same days built from the raw log', value: Math.round(cold.ms) },
        ratio: ratio(warm.ms, cold.ms),
        target: '< 5,000 ms',
        met: warm.ms < 5_000,
      },
      {
        bench: 'reports',
        metric: `${label}: longest /healthz while building from the log`,
        value: Math.round(worstHealthMs),
        unit: 'ms',
        target: '< 200 ms',
        met: worstHealthMs < 200,
        note: 'the fold runs on the report worker; the event loop stays free',
      },
    ];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
};
