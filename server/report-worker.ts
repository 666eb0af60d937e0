/**
 * A past day's report, built on a worker thread (node:worker_threads) so that
 * replaying the whole log never holds up the server's event loop.
 *
 * The fold is the one the live run does (each event at its receive time, see
 * `foldReceived` in app.ts), on a floor that keeps every past day, read at
 * the asked day: a call counts on the day it was offered, so events after the
 * day's end (an answer after midnight) still count there.
 *
 * Where the events come from:
 * - `sqlite`: the worker opens the log file itself, read-only, on a
 *   connection of its own (the log is in WAL mode: readers never block the
 *   writer, and the writer never blocks them) and reads it in chunks by seq,
 *   with the same row checks as the log's own replay.
 * - `stream`: any other store (Redis Streams in cluster mode, a `:memory:`
 *   SQLite log) is replayed by the main thread through `LogStore.replay` and
 *   the events are posted here in chunks; the main thread only reads and
 *   forwards, the fold runs here (see `ReportService` in report-cache.ts).
 *
 * Loaded through report-worker.mjs, which registers tsx first: the worker runs
 * the TypeScript sources under `tsx server/main.ts`, under vitest and under
 * plain `node` alike.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { FloorConfig } from '../shared/config.ts';
import { applyEvent, createFloorState, drainChanges, observeClock, tick, type EngineLimits } from '../shared/engine.ts';
import type { FloorEvent } from '../shared/events.ts';
import { selectDayTables } from '../shared/selectors.ts';
import { AlertTally, alertCounts, dayAggregate } from '../shared/report/aggregate.ts';
import type { AlertCount, DayAggregate, RangeReport, Scorecard } from '../shared/report/types.ts';
import { AggregateStore } from './aggregate-store.ts';
import { answerRange, planRange, settleRange, type RangeAsk } from './range-build.ts';
import { checkEventRow } from './log/sqlite.ts';

/**
 * What `/api/report` returns for a day: `selectDayTables` of that day. A past day's, from the
 * worker, also carries the day's alert counts by rule × queue × agent (`alerts`): the route takes
 * them off the answer and recounts a scoped supervisor's agent rows from them (shared/scope.ts).
 */
export type DayTables = ReturnType<typeof selectDayTables> & { alerts?: AlertCount[] };

/** One floor-local day: its start and end, epoch ms (end exclusive). */
export interface DayRange {
  startMs: number;
  endMs: number;
}

/** A floor-local day with its calendar date (`YYYY-MM-DD`). */
export interface DatedDay extends DayRange {
  date: string;
}

/** One day of an aggregate build: its aggregate, and whether the log holds any event dated on it. */
export interface AggregateResult {
  date: string;
  logged: boolean;
  aggregate: DayAggregate;
}

/** Where the worker reads the log from (see the module's comment). */
export type ReportSource = { kind: 'sqlite'; file: string } | { kind: 'stream' };

/** main → worker: build `day` with `config` as the floor's starting configuration. */
export interface BuildRequest {
  type: 'build';
  jobId: number;
  day: DayRange;
  config: FloorConfig;
  source: ReportSource;
  /** The live floor's stale-call limits and cap, so a past day closes its calls as the live floor did (default: the engine's). */
  limits?: Partial<EngineLimits>;
}
/** main → worker: build the daily aggregates of `days` (in date order) in one fold of the log, `config` the floor's starting configuration. */
export interface AggregateRequest {
  type: 'aggregate';
  jobId: number;
  days: DatedDay[];
  config: FloorConfig;
  source: ReportSource;
  limits?: Partial<EngineLimits>;
}
/**
 * main → worker (SQLite source only): answer `ask` over `dates`: the past days
 * from the stored aggregates, those missing folded from the log in one pass
 * and stored (except `openDays`, not closed yet), today's from `today`.
 */
export interface RangeRequest {
  type: 'range';
  jobId: number;
  file: string;
  /** Every date asked (the scorecard's previous period included), in order. */
  dates: DatedDay[];
  /** The past ones among them (before the live day). */
  past: DatedDay[];
  today?: DayAggregate;
  openDays: number[];
  /** The log's retention cut (its horizon), epoch ms: days before it are not folded again. */
  horizonMs?: number;
  config: FloorConfig;
  configKey: string;
  limits?: Partial<EngineLimits>;
  ask: RangeAsk;
}
/** main → worker (stream source): the next events of the log, each `[event, receivedAtMs]`, in log order. */
export interface StreamChunk {
  type: 'chunk';
  jobId: number;
  events: [FloorEvent, number][];
}
/** main → worker (stream source): the log is read to its end (or could not be: `error`). */
export interface StreamEnd {
  type: 'end';
  jobId: number;
  error?: string;
}
export type ToWorker = BuildRequest | AggregateRequest | RangeRequest | StreamChunk | StreamEnd;

/** worker → main: the day's tables, or why there are none. */
export type FromWorker =
  | { type: 'ready' }
  | { type: 'done'; jobId: number; ok: true; tables: DayTables; events: number; skipped: number; ms: number }
  | { type: 'done'; jobId: number; ok: true; aggregates: AggregateResult[]; events: number; skipped: number; ms: number }
  | { type: 'done'; jobId: number; ok: true; answer: RangeReport | Scorecard; built: number; events: number; skipped: number; ms: number }
  | { type: 'done'; jobId: number; ok: false; notFound: boolean; error: string };

/** Events folded between two drains of the engine's change sets (the report reads none: drained only to bound memory). */
const DRAIN_EVERY = 10_000;
/** Rows read per step from SQLite: the log's own replay chunk. */
const READ_CHUNK = 5_000;

/**
 * The fold past-day builds share: a floor keeping every past day, fed event by
 * event in log order with each event's receive time (ms), as the live run
 * folded them. `applied` sees each event the engine took; the change sets are
 * drained every {@link DRAIN_EVERY} events (to `drained` when given), only to
 * bound memory. An event the engine throws on is skipped and counted (as the
 * log's own replay does), never the whole build lost.
 */
function pastFold(config: FloorConfig, limits: Partial<EngineLimits> | undefined, applied: (e: FloorEvent) => void, drained?: (alerts: ReturnType<typeof drainChanges>['alerts']) => void) {
  const past = createFloorState(config, 0, { historyDays: Number.MAX_SAFE_INTEGER, clock: 'server', limits });
  let events = 0;
  let skipped = 0;
  const drain = (): void => {
    const { alerts } = drainChanges(past);
    drained?.(alerts);
  };
  return {
    past,
    drain,
    add(e: FloorEvent, receivedAtMs: number): void {
      try {
        observeClock(past, receivedAtMs);
        applyEvent(past, e);
      } catch {
        skipped++;
        return;
      }
      applied(e);
      if (++events % DRAIN_EVERY === 0) drain();
    },
    get events() {
      return events;
    },
    get skipped() {
      return skipped;
    },
  };
}

/**
 * A past day's fold ({@link pastFold}); `finish()` returns the day's tables,
 * or undefined when no event of the log is dated on that day.
 */
export function createDayFold(config: FloorConfig, day: DayRange, limits?: Partial<EngineLimits>) {
  let seen = false;
  const tally = new AlertTally((dayStartMs) => dayStartMs === day.startMs);
  const fold = pastFold(
    config,
    limits,
    (e) => {
      if (e.at >= day.startMs && e.at < day.endMs) seen = true;
    },
    (alerts) => tally.add(fold.past, alerts),
  );
  return Object.assign(fold, {
    finish(): DayTables | undefined {
      if (!seen) return undefined;
      tick(fold.past, Math.max(fold.past.nowMs, day.endMs - 1));
      fold.drain();
      return { ...selectDayTables(fold.past, day.startMs), alerts: alertCounts(fold.past, tally.take(day.startMs)) };
    },
  });
}

/**
 * The daily aggregates of `days` (in date order) in one fold of the log
 * ({@link pastFold}): each wanted day's figures as its single-day report has
 * them, its alerts tallied as the fold drains them (other days' alerts are not
 * held). `finish()` gives every wanted day, `logged: false` for a day no event
 * of the log is dated on (its aggregate is empty).
 */
export function createAggregateFold(config: FloorConfig, days: readonly DatedDay[], limits?: Partial<EngineLimits>) {
  const wanted = new Set(days.map((d) => d.startMs));
  const tally = new AlertTally((dayStartMs) => wanted.has(dayStartMs));
  const seen = new Set<number>();
  const firstMs = days.length ? days[0].startMs : 0;
  const lastMs = days.length ? days[days.length - 1].endMs : 0;
  /** The wanted day holding `atMs`, by binary search of the sorted days. */
  const dayAt = (atMs: number): number | undefined => {
    let lo = 0;
    let hi = days.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (atMs < days[mid].startMs) hi = mid - 1;
      else if (atMs >= days[mid].endMs) lo = mid + 1;
      else return days[mid].startMs;
    }
    return undefined;
  };
  const fold = pastFold(
    config,
    limits,
    (e) => {
      if (e.at < firstMs || e.at >= lastMs) return;
      const d = dayAt(e.at);
      if (d !== undefined) seen.add(d);
    },
    (alerts) => tally.add(fold.past, alerts),
  );
  return Object.assign(fold, {
    finish(): AggregateResult[] {
      if (days.length) tick(fold.past, Math.max(fold.past.nowMs, lastMs - 1));
      fold.drain();
      return days.map((d) => ({ date: d.date, logged: seen.has(d.startMs), aggregate: dayAggregate(fold.past, d.startMs, tally.take(d.startMs)) }));
    },
  });
}

/**
 * Reads a SQLite event log read-only, in log order, calling fn with each
 * event and its receive time (ms; the event's own time for a row without one,
 * as `SqliteLog.replay` does). Damaged rows are skipped (the live log counts
 * and names them). Throws when the file cannot be opened.
 */
export function readSqliteLog(file: string, fn: (e: FloorEvent, receivedAtMs: number) => void): void {
  const db = new Database(file, { readonly: true, fileMustExist: true, timeout: 5_000 });
  try {
    const step = db
      .prepare<[number, number], [number, unknown, number | null, unknown]>('SELECT seq, body, received_ms, at_ms FROM events WHERE seq > ? ORDER BY seq LIMIT ?')
      .raw();
    let after = 0;
    for (;;) {
      const rows = step.all(after, READ_CHUNK);
      for (const [, body, receivedMs, atMs] of rows) {
        const checked = checkEventRow(body);
        if (!checked.ok) continue;
        const received = typeof receivedMs === 'number' && receivedMs ? receivedMs : typeof atMs === 'number' && atMs ? atMs : checked.event.at;
        fn(checked.event, received);
      }
      if (rows.length < READ_CHUNK) break;
      after = rows[rows.length - 1][0];
    }
  } finally {
    db.close();
  }
}

/** The worker's side: one job at a time, as the main thread sends them. */
function serve(port: NonNullable<typeof parentPort>): void {
  type Fold = { add(e: FloorEvent, rx: number): void; readonly events: number; readonly skipped: number };
  let streaming: { jobId: number; fold: Fold; finish: () => void } | undefined;
  const reply = (m: FromWorker) => port.postMessage(m);
  const finishAggregates = (jobId: number, fold: ReturnType<typeof createAggregateFold>, startedMs: number) => {
    const aggregates = fold.finish();
    reply({ type: 'done', jobId, ok: true, aggregates, events: fold.events, skipped: fold.skipped, ms: Math.round(performance.now() - startedMs) });
  };
  const finish = (jobId: number, day: DayRange, fold: ReturnType<typeof createDayFold>, startedMs: number) => {
    const tables = fold.finish();
    if (!tables) {
      const date = new Date(day.startMs + 12 * 3_600_000).toISOString().slice(0, 10);
      return reply({ type: 'done', jobId, ok: false, notFound: true, error: `no events in the log for ${date}` });
    }
    reply({ type: 'done', jobId, ok: true, tables, events: fold.events, skipped: fold.skipped, ms: Math.round(performance.now() - startedMs) });
  };
  /** The aggregate store of the log file, opened at the first range request and kept while the worker lives. */
  let store: AggregateStore | undefined;
  const answer = (m: RangeRequest) => {
    const startedMs = performance.now();
    if (!store) store = new AggregateStore(m.file);
    const plan = planRange(store, m.past, m.configKey, m.horizonMs);
    let results: AggregateResult[] = [];
    let events = 0;
    let skipped = 0;
    if (plan.need.length) {
      const fold = createAggregateFold(m.config, plan.need, m.limits);
      readSqliteLog(m.file, (e, rx) => fold.add(e, rx));
      results = fold.finish();
      events = fold.events;
      skipped = fold.skipped;
    }
    const open = new Set(m.openDays);
    const got = settleRange(plan, results, store, m.configKey, (d) => !open.has(d), Date.now());
    try {
      const a = answerRange(m.ask, m.dates, got, m.today);
      reply({ type: 'done', jobId: m.jobId, ok: true, answer: a, built: got.built, events, skipped, ms: Math.round(performance.now() - startedMs) });
    } catch (err) {
      if (!(err instanceof RangeError)) throw err;
      reply({ type: 'done', jobId: m.jobId, ok: false, notFound: true, error: err.message });
    }
  };
  port.on('message', (m: ToWorker) => {
    try {
      if (m.type === 'range') return answer(m);
      if (m.type === 'build') {
        const fold = createDayFold(m.config, m.day, m.limits);
        const startedMs = performance.now();
        const done = () => finish(m.jobId, m.day, fold, startedMs);
        if (m.source.kind === 'stream') {
          streaming = { jobId: m.jobId, fold, finish: done };
          return;
        }
        readSqliteLog(m.source.file, (e, rx) => fold.add(e, rx));
        done();
      } else if (m.type === 'aggregate') {
        const fold = createAggregateFold(m.config, m.days, m.limits);
        const startedMs = performance.now();
        const done = () => finishAggregates(m.jobId, fold, startedMs);
        if (m.source.kind === 'stream') {
          streaming = { jobId: m.jobId, fold, finish: done };
          return;
        }
        readSqliteLog(m.source.file, (e, rx) => fold.add(e, rx));
        done();
      } else if (m.type === 'chunk') {
        if (streaming?.jobId !== m.jobId) return;
        for (const [e, rx] of m.events) streaming.fold.add(e, rx);
      } else if (m.type === 'end') {
        if (streaming?.jobId !== m.jobId) return;
        const s = streaming;
        streaming = undefined;
        if (m.error) return reply({ type: 'done', jobId: m.jobId, ok: false, notFound: false, error: m.error });
        s.finish();
      }
    } catch (err) {
      const jobId = m.jobId;
      if (streaming?.jobId === jobId) streaming = undefined;
      reply({ type: 'done', jobId, ok: false, notFound: false, error: (err as Error).message });
    }
  });
  reply({ type: 'ready' });
}

if (!isMainThread && parentPort && (workerData as { role?: unknown } | null)?.role === 'floorwatch-report') serve(parentPort);
