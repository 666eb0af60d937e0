/**
 * Replay: the time a node takes to rebuild its state from the event log on
 * start. One million simulator events (a 2,000-agent floor over about five
 * hours) are written to a SQLite log through the real store; then the server
 * is started on it exactly as `main.ts` does (open the log, `createServer`,
 * `listen`: load the saved config, `LogStore.replay` + `applyEvent`, the first
 * tick) and timed until it listens.
 *
 * Baseline: the same rows read with a bare `SELECT body … ORDER BY seq` and
 * `JSON.parse`, in the same run, on the same (warm) file.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { createServer } from '../server/app.ts';
import { openSqliteLog } from '../server/log/sqlite.ts';
import { AuthStore } from '../server/auth/store.ts';
import type { BenchRow, BenchRun } from './types.ts';
import { ratio } from './types.ts';
import { feedSeconds, progress } from './lib/feed.ts';
import type { FeedEvent } from '../shared/events.ts';

const AGENTS = 2_000;
/** Events per append while filling the log: the size of a large ingest batch. */
const FILL_BATCH = 5_000;
const TARGET_S = 5;
/** Rounds of the three reads, alternated; each keeps its best. */
const ROUNDS = 2;

const quiet = { info() {}, warn() {}, error() {} };

async function fill(file: string, total: number): Promise<{ events: number; lastAtMs: number; ms: number }> {
  // Filling is set-up, not the measurement: `normal` spares a few hundred fsyncs.
  const log = openSqliteLog({ file, synchronous: 'normal' });
  const t0 = performance.now();
  let events = 0;
  let lastAtMs = 0;
  let pending: FeedEvent[] = [];
  for (const sec of feedSeconds({ agents: AGENTS, seed: 5, events: total })) {
    for (const e of sec.events) {
      if (events + pending.length >= total) break;
      pending.push(e);
    }
    lastAtMs = sec.atMs;
    if (pending.length >= FILL_BATCH || events + pending.length >= total) {
      const r = await log.append(pending, sec.atMs);
      events += r.appended.length;
      pending = [];
      if (events % 100_000 < FILL_BATCH) progress('replay', `log holds ${events.toLocaleString('en-US')} events`);
    }
    if (events >= total) break;
  }
  if (pending.length) events += (await log.append(pending, lastAtMs)).appended.length;
  await log.close();
  return { events, lastAtMs, ms: performance.now() - t0 };
}

/** The floor: the rows out of SQLite and parsed, nothing else. */
function bareRead(file: string): { rows: number; ms: number } {
  const db = new Database(file, { readonly: true });
  const t0 = performance.now();
  let rows = 0;
  let sink = 0;
  for (const body of db.prepare<[], string>('SELECT body FROM events ORDER BY seq').pluck().iterate()) {
    const e = JSON.parse(body) as { at: number };
    sink += e.at & 1;
    rows++;
  }
  const ms = performance.now() - t0;
  db.close();
  if (sink < 0) throw new Error('unreachable');
  return { rows, ms };
}

/** `LogStore.replay` with a no-op fold: what the store adds over the bare read. */
async function storeOnly(file: string): Promise<{ rows: number; ms: number }> {
  const t0 = performance.now();
  const log = openSqliteLog({ file });
  let sink = 0;
  const rows = await log.replay((e) => {
    sink += e.at & 1;
  });
  const ms = performance.now() - t0;
  await log.close();
  if (sink < 0) throw new Error('unreachable');
  return { rows, ms };
}

/** What a node does on start, timed from opening the log until it listens. */
async function serverStart(file: string, nowMs: number): Promise<{ rows: number; ms: number; agents: number }> {
  const auth = new AuthStore(':memory:');
  const t0 = performance.now();
  const log = openSqliteLog({ file });
  const server = createServer({ log, auth, ingestTokens: ['bench-ingest'], clock: { now: () => nowMs }, tickMs: 0, logger: quiet });
  await server.listen(0, '127.0.0.1');
  const ms = performance.now() - t0;
  const rows = server.replayed;
  const agents = server.state().agents.size;
  await server.close();
  await log.close();
  auth.close();
  return { rows, ms, agents };
}

export const run: BenchRun = async ({ quick }) => {
  const total = quick ? 100_000 : 1_000_000;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floorwatch-bench-replay-'));
  const file = path.join(dir, 'floorwatch.db');
  try {
    progress('replay', `writing ${total.toLocaleString('en-US')} simulator events (${AGENTS} agents) through the SQLite store…`);
    const filled = await fill(file, total);
    progress('replay', `filled in ${(filled.ms / 1000).toFixed(1)} s (${(fs.statSync(file).size / 2 ** 20).toFixed(0)} MB)`);
    if (filled.events !== total) throw new Error(`log holds ${filled.events} events, expected ${total}`);

    // Alternate the three so that noise on this shared machine hits them alike; keep each one's best.
    const bare: number[] = [];
    const store: number[] = [];
    const start: number[] = [];
    let agents = 0;
    for (let r = 0; r < ROUNDS; r++) {
      const b = bareRead(file);
      const s = await storeOnly(file);
      const v = await serverStart(file, filled.lastAtMs + 1_000);
      for (const x of [b.rows, s.rows, v.rows]) if (x !== total) throw new Error(`replayed ${x} events, expected ${total}`);
      bare.push(b.ms);
      store.push(s.ms);
      start.push(v.ms);
      agents = v.agents;
      progress('replay', `round ${r + 1}: bare read ${(b.ms / 1000).toFixed(2)} s, store replay ${(s.ms / 1000).toFixed(2)} s, server start ${(v.ms / 1000).toFixed(2)} s (${v.agents} agents rebuilt)`);
    }
    const bareS = Math.min(...bare) / 1000;
    const storeS = Math.min(...store) / 1000;
    const startS = Math.min(...start) / 1000;
    const n = total.toLocaleString('en-US');
    const rows: BenchRow[] = [
      {
        bench: 'replay',
        metric: `rebuild state on start, ${n} events`,
        value: Math.round(startS * 100) / 100,
        unit: 's',
        baseline: { name: 'bare SELECT + JSON.parse', value: Math.round(bareS * 100) / 100 },
        ratio: ratio(startS, bareS),
        target: `< ${TARGET_S} s`,
        met: startS < TARGET_S,
        note: `open log + createServer().listen(): LogStore.replay + applyEvent + first tick; ${Math.round(total / startS).toLocaleString('en-US')} events/s; ${agents} agents rebuilt; best of ${ROUNDS}`,
      },
      {
        bench: 'replay',
        metric: `LogStore.replay alone (no engine), ${n} events`,
        value: Math.round(storeS * 100) / 100,
        unit: 's',
        baseline: { name: 'bare SELECT + JSON.parse', value: Math.round(bareS * 100) / 100 },
        ratio: ratio(storeS, bareS),
        note: 'chunked reads of 5,000 rows by seq, as the store replays',
      },
    ];
    return rows;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
};
