/**
 * What-if throughput (issue 16): events per second of `createWhatIfFold`
 * (shared/what-if.ts), which folds every event through two engines (the
 * settings as logged, and a candidate) and compares their alerts at the end.
 *
 * Baseline, in the same run on the same events: the plain replay of a past
 * day's report (`createDayFold`, server/report-worker.ts): one engine, the
 * same clock handling, the same drains. Two engines should cost about twice
 * one; the ratio says how much the comparison and the alert bookkeeping add.
 *
 * Both read the events from a SQLite log the way their workers do
 * (`readSqliteLog`: a read-only connection, chunks by seq), so the figure is
 * what a run on the server costs per event; the in-memory fold (the log read
 * once beforehand) is a second row. The simulator's floor: 200 agents, about
 * 300,000 events (a working day of a 200-agent floor), alternated runs, best kept.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultConfig } from '../shared/config.ts';
import type { FloorEvent } from '../shared/events.ts';
import { localDay } from '../shared/time.ts';
import { createWhatIfFold, localDate, parseSetting } from '../shared/what-if.ts';
import { openSqliteLog } from '../server/log/sqlite.ts';
import { createDayFold, readSqliteLog } from '../server/report-worker.ts';
import type { BenchRow, BenchRun } from './types.ts';
import { ratio } from './types.ts';
import { FEED_T0, feedSeconds, progress } from './lib/feed.ts';

const AGENTS = 200;
const ROUNDS = 3;
/** Two engines cost about twice one: the comparison must not add much on top. */
const TARGET_RATIO = 0.4;

async function fill(file: string, total: number): Promise<number> {
  const log = openSqliteLog({ file, synchronous: 'normal' });
  let events = 0;
  let pending: FloorEvent[] = [];
  let lastAtMs = FEED_T0;
  for (const sec of feedSeconds({ agents: AGENTS, seed: 16, events: total })) {
    pending.push(...sec.events);
    lastAtMs = sec.atMs;
    if (pending.length >= 2_000) {
      events += (await log.append(pending, sec.atMs)).appended.length;
      pending = [];
    }
  }
  if (pending.length) events += (await log.append(pending, lastAtMs)).appended.length;
  await log.close();
  return events;
}

export const run: BenchRun = async ({ quick }) => {
  const total = quick ? 60_000 : 300_000;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floorwatch-bench-what-if-'));
  const file = path.join(dir, 'floorwatch.db');
  try {
    progress('what-if', `writing ${total.toLocaleString('en-US')} simulator events (${AGENTS} agents) to a SQLite log…`);
    const tf = performance.now();
    const events = await fill(file, total);
    progress('what-if', `filled in ${Math.round(performance.now() - tf)} ms`);
    const config = defaultConfig();
    const date = localDate(FEED_T0, config.timeZone);
    const day = localDay(FEED_T0, config.timeZone);
    const set = parseSetting('hold-long.warnSec=60');
    if (!set.ok) throw new Error(set.error);
    const inMemory: [FloorEvent, number][] = [];
    readSqliteLog(file, (e, rx) => inMemory.push([e, rx]));

    const replayFile = () => {
      const t0 = performance.now();
      const fold = createDayFold(config, day);
      readSqliteLog(file, (e, rx) => fold.add(e, rx));
      if (!fold.finish()) throw new Error('the replay found no events on the day');
      return performance.now() - t0;
    };
    const whatIfFile = () => {
      const t0 = performance.now();
      const fold = createWhatIfFold({ config, changes: [set.change], from: date, to: date });
      readSqliteLog(file, (e, rx) => fold.add(e, rx));
      const r = fold.finish();
      if (r.totals.baseline.warn + r.totals.baseline.breach === 0) throw new Error('the what-if found no alerts');
      return performance.now() - t0;
    };
    const replayMemory = () => {
      const t0 = performance.now();
      const fold = createDayFold(config, day);
      for (const [e, rx] of inMemory) fold.add(e, rx);
      fold.finish();
      return performance.now() - t0;
    };
    const whatIfMemory = () => {
      const t0 = performance.now();
      const fold = createWhatIfFold({ config, changes: [set.change], from: date, to: date });
      for (const [e, rx] of inMemory) fold.add(e, rx);
      fold.finish();
      return performance.now() - t0;
    };
    const best = { replayFile: Infinity, whatIfFile: Infinity, replayMemory: Infinity, whatIfMemory: Infinity };
    for (let i = 0; i < ROUNDS; i++) {
      // Alternated, so that noise on a shared machine hits both alike; each keeps its best.
      best.replayFile = Math.min(best.replayFile, replayFile());
      best.whatIfFile = Math.min(best.whatIfFile, whatIfFile());
      best.replayMemory = Math.min(best.replayMemory, replayMemory());
      best.whatIfMemory = Math.min(best.whatIfMemory, whatIfMemory());
      progress('what-if', `round ${i + 1}: what-if ${Math.round(best.whatIfFile)} ms, replay ${Math.round(best.replayFile)} ms (from the log)`);
    }
    const rate = (ms: number) => Math.round(events / (ms / 1000));
    const rows: BenchRow[] = [];
    for (const [where, w, r] of [
      ['from the SQLite log', best.whatIfFile, best.replayFile],
      ['in memory', best.whatIfMemory, best.replayMemory],
    ] as const) {
      const q = ratio(rate(w), rate(r));
      rows.push({
        bench: 'what-if',
        metric: `what-if throughput, ${AGENTS} agents, ${events.toLocaleString('en-US')} events, ${where}`,
        value: rate(w),
        unit: 'events/s',
        baseline: { name: 'past-day report replay (one engine)', value: rate(r) },
        ratio: q,
        target: `≥ ${TARGET_RATIO}× the replay`,
        met: q !== undefined && q >= TARGET_RATIO,
        note: `what-if ${Math.round(w)} ms, replay ${Math.round(r)} ms`,
      });
    }
    return rows;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
};
