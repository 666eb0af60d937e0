/**
 * Past-day reports without stalling the server: each is built on one worker
 * thread (report-worker.ts), one build at a time, and kept in a small cache
 * per closed day.
 *
 * - Requests wait in a bounded queue; requests for a day (and configuration)
 *   already queued or building share that build.
 * - The cache holds at most `cacheDays` reports (least recently used goes
 *   first), keyed by the day and the configuration the floor started the fold
 *   with. A changed configuration (a `config.changed` event) empties it; an
 *   event dated on a past day, or an event of a call offered on a past day,
 *   drops that day's report (and a build of it in progress is not cached).
 * - A day is only cached once it is closed: no call offered on it is still
 *   live on the floor (its figures could still change with the clock).
 * - The worker stops after `idleMs` without work and starts again on demand.
 *   When it fails or dies, the build in progress fails with a 503 and the next
 *   request starts a fresh worker; the server itself is not affected.
 */
import path from 'node:path';
import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import type { FloorConfig } from '../shared/config.ts';
import type { EngineLimits } from '../shared/engine.ts';
import type { FloorEvent } from '../shared/events.ts';
import type { CallState, FloorState } from '../shared/state.ts';
import { addDays, datesBetween, dayOfDate, localDay } from '../shared/time.ts';
import { dateOfDay } from '../shared/report/aggregate.ts';
import type { LogStore } from './log/store.ts';
import { SqliteLog } from './log/sqlite.ts';
import type { DayAggregate, RangeReport, Scorecard } from '../shared/report/types.ts';
import type { AggregateStore } from './aggregate-store.ts';
import type { AggregateResult, DatedDay, DayRange, DayTables, FromWorker, RangeRequest, ReportSource, ToWorker } from './report-worker.ts';
import { answerRange, planRange, settleRange, type RangeAsk } from './range-build.ts';

/**
 * Days before a retention cut whose aggregates are made sure of before the
 * prune: a year. Daily runs find them stored (one day is new); a first prune
 * of a log older than that loses the older days from range reports.
 */
export const STORE_BEFORE_PRUNE_DAYS = 366;
/** Past days' reports kept: a month of look-backs, each a few hundred kB at most (one row per queue and agent). */
export const REPORT_CACHE_DAYS = 30;
/** Builds waiting for the worker (distinct days): more are refused with a 503 rather than queued without end. */
export const REPORT_QUEUE_MAX = 16;
/** The idle worker stops after this long, ms: its heap (a whole log's fold) is given back. */
const WORKER_IDLE_MS = 30_000;
/** A build taking longer than this, ms, is abandoned (the worker is stopped): 10 M events fold in well under that. */
const BUILD_TIMEOUT_MS = 300_000;
/** Events per message on the stream path: large enough that posting costs little, small enough to keep each step short. */
const STREAM_CHUNK = 5_000;

/** Call statuses after which nothing moves a call's figures but a late event of it (which {@link ReportService.noteEvent} sees). */
const OVER: ReadonlySet<CallState['status']> = new Set(['ended', 'abandoned', 'lost']);

/** A report that cannot be given: 404 (no such day in the log, or not yet), 503 (worker failed or busy; try again). */
export class ReportError extends Error {
  constructor(
    message: string,
    readonly status: 404 | 503,
  ) {
    super(message);
  }
}

/** Counters of {@link ReportService}, shown in `/api/health` under `reports`. */
export interface ReportStats {
  /** `stopped` (no thread), `idle`, or `building`. */
  worker: 'stopped' | 'idle' | 'building';
  /** Where the worker reads the log: `sqlite` (its own read-only connection) or `stream` (fed by the main thread). */
  source: ReportSource['kind'];
  cached: number;
  cacheDays: number;
  /** Requests answered from the cache. */
  hits: number;
  /** Requests that started a build. */
  misses: number;
  /** Requests that joined a build already queued or running. */
  shared: number;
  /** Builds finished (with tables or "no events that day"). */
  builds: number;
  /** Builds failed (worker error, crash, timeout) or refused (queue full). */
  failures: number;
  /** Cached reports dropped, or builds not cached, because of a late event or a configuration change. */
  invalidations: number;
  queued: number;
  queueMax: number;
  /** The last successful build: its time on the worker, ms, and the events it folded. */
  lastBuild: { ms: number; events: number; skipped: number } | null;
}

/** Options of {@link ReportService}; every limit has a default. */
export interface ReportServiceOptions {
  log: LogStore;
  /** The live floor: its calls decide whether a day is closed, its day which events are late. */
  state: () => FloorState;
  logger?: Pick<Console, 'warn' | 'error'>;
  cacheDays?: number;
  queueMax?: number;
  idleMs?: number;
  buildTimeoutMs?: number;
  /** The live floor's engine limits (stale calls, live-call cap): past days are folded with the same. */
  engineLimits?: Partial<EngineLimits>;
  /** Where closed days' aggregates are kept for range reports (none: every range is folded from the log). */
  aggregates?: AggregateStore;
}


/** What a range job answers (see {@link ReportService.answer}). */
interface RangeAnswer {
  answer: RangeReport | Scorecard;
  built: number;
}

type JobResult = DayTables | AggregateResult[] | RangeAnswer;

/** A worker job: one day's tables (`day`), the daily aggregates of several days in one fold (`days`), or a whole range answer (`range`). */
interface Job {
  id: number;
  key: string;
  day?: DayRange;
  days?: DatedDay[];
  range?: Omit<RangeRequest, 'jobId'>;
  /** Days a late event made stale while the job ran: their aggregates are dropped again once it ends (it may have stored them). */
  staleDays?: Set<number>;
  /** The days it reads (a late event of one of them makes it stale). */
  dayStarts: number[];
  config: FloorConfig;
  /** A late event of the day (or a new configuration) came while it was building: answer, but do not cache. */
  stale: boolean;
  resolve: (t: JobResult) => void;
  reject: (e: Error) => void;
  promise: Promise<JobResult>;
  timer?: NodeJS.Timeout;
  /** The worker building it (a job fails only with its own worker). */
  worker?: Worker;
  /** Why its worker was stopped, when this service stopped it (timeout). */
  failure?: string;
}

/** Where a worker can read `log` from: the SQLite file itself when there is one, else a stream fed by the main thread. */
function sourceOf(log: LogStore): ReportSource {
  if (log instanceof SqliteLog && log.file !== ':memory:' && log.file !== '' && !log.file.startsWith('file:')) return { kind: 'sqlite', file: path.resolve(log.file) };
  return { kind: 'stream' };
}

/** A short fingerprint per configuration object (they are replaced, never mutated, when settings change). */
const configKeys = new WeakMap<FloorConfig, string>();
function configKey(c: FloorConfig): string {
  let k = configKeys.get(c);
  if (!k) configKeys.set(c, (k = createHash('sha1').update(JSON.stringify(c)).digest('hex').slice(0, 16)));
  return k;
}

/**
 * Builds, queues and caches past days' reports (see the module comment).
 * `get` resolves with the day's tables or rejects with a {@link ReportError};
 * `noteEvent` must see every event the live floor applies.
 */
export class ReportService {
  private readonly log: LogStore;
  private readonly state: () => FloorState;
  private readonly logger: Pick<Console, 'warn' | 'error'>;
  private readonly source: ReportSource;
  private readonly cacheDays: number;
  private readonly queueMax: number;
  private readonly idleMs: number;
  private readonly buildTimeoutMs: number;
  private readonly engineLimits: Partial<EngineLimits>;
  private readonly store: AggregateStore | undefined;
  /** Days whose stored aggregates late events made stale, dropped at the next answer. */
  private readonly dropped = new Set<number>();
  /** Insertion order = recency: a hit moves its entry to the end, the first one is evicted. */
  private readonly cache = new Map<string, DayTables>();
  private readonly inflight = new Map<string, Job>();
  private readonly queue: Job[] = [];
  private current: Job | undefined;
  private worker: Worker | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private nextId = 1;
  private closed = false;
  private counts = { hits: 0, misses: 0, shared: 0, builds: 0, failures: 0, invalidations: 0 };
  private lastBuild: ReportStats['lastBuild'] = null;

  constructor(opts: ReportServiceOptions) {
    this.log = opts.log;
    this.state = opts.state;
    this.logger = opts.logger ?? console;
    this.source = sourceOf(opts.log);
    this.cacheDays = opts.cacheDays ?? REPORT_CACHE_DAYS;
    this.queueMax = opts.queueMax ?? REPORT_QUEUE_MAX;
    this.idleMs = opts.idleMs ?? WORKER_IDLE_MS;
    this.buildTimeoutMs = opts.buildTimeoutMs ?? BUILD_TIMEOUT_MS;
    this.engineLimits = opts.engineLimits ?? {};
    this.store = opts.aggregates;
  }

  /**
   * Answers `ask` (a range report or a scorecard) over `dates` (every date
   * asked, in order) with `config` as the floor's starting configuration and
   * `today` the live day's aggregate when the range holds it. Past days come
   * from the stored aggregates; those missing are folded from the log in one
   * pass and stored once closed. With a SQLite log the whole answer is made on
   * the worker (the main thread sends the request and gets the small answer);
   * otherwise the fold runs there and the answer here. Rejects with a
   * {@link ReportError}: 404 for a scorecard without any day of its subject,
   * 503 when the worker failed or is busy.
   */
  async answer(ask: RangeAsk, dates: DatedDay[], config: FloorConfig, today: DayAggregate | undefined): Promise<{ answer: RangeReport | Scorecard; built: number }> {
    if (this.closed) throw new ReportError('the server is shutting down', 503);
    const horizonMs = (await this.log.horizon?.())?.beforeMs;
    this.flushDropped(horizonMs);
    const key = configKey(config);
    const s = this.state();
    const past = dates.filter((d) => d.startMs < s.dayStartMs);
    if (this.source.kind === 'sqlite') {
      const request: Omit<RangeRequest, 'jobId'> = { type: 'range', file: this.source.file, dates, past, today, openDays: [...this.openDays()], horizonMs, config, configKey: key, limits: this.engineLimits, ask };
      const r = (await this.enqueue(`range:${key}:${JSON.stringify(ask)}:${dates[0].date}:${dates[dates.length - 1].date}:${today ? this.state().version : ''}`, { range: request, dayStarts: past.map((d) => d.startMs), config })) as RangeAnswer;
      return { answer: r.answer, built: r.built };
    }
    const plan = planRange(this.store, past, key, horizonMs);
    let results: AggregateResult[] = [];
    if (plan.need.length) results = (await this.enqueue(`agg:${key}:${plan.need.map((d) => d.startMs).join(',')}`, { days: plan.need, dayStarts: plan.need.map((d) => d.startMs), config })) as AggregateResult[];
    // The aggregate job stored what it could (closed days, not made stale meanwhile).
    const got = settleRange(plan, results, undefined, key, () => false, Date.now());
    try {
      return { answer: answerRange(ask, dates, got, today), built: got.built };
    } catch (err) {
      if (err instanceof RangeError) throw new ReportError(err.message, 404);
      throw err;
    }
  }

  /**
   * Makes sure the daily aggregates of the {@link STORE_BEFORE_PRUNE_DAYS} days
   * before `cutMs` (a floor-local day start) are stored, folding the log once
   * for those missing: retention calls it before it deletes their raw events.
   * Rejects with a {@link ReportError} when the worker fails (the prune is then skipped).
   */
  async storeDaysBefore(cutMs: number, config: FloorConfig): Promise<number> {
    const tz = config.timeZone;
    const cutDate = dateOfDay(cutMs, tz);
    const dates = datesBetween(addDays(cutDate, -STORE_BEFORE_PRUNE_DAYS), addDays(cutDate, -1)).map((date) => ({ date, ...dayOfDate(date, tz) }));
    const query = { from: dates[0].date, to: dates[dates.length - 1].date, group: 'day' as const, queues: [], teams: [], agents: [] };
    const r = await this.answer({ kind: 'report', query, timeZone: tz, maxOccupancyPct: 100 }, dates, config, undefined);
    return r.built;
  }

  /**
   * The tables of the past `day` (epoch ms, end exclusive) with `config` as the
   * floor's starting configuration: from the cache, else from the worker.
   * Rejects with a {@link ReportError}: 404 when no event of the log is dated
   * on that day, 503 when the worker failed or the queue is full.
   */
  get(day: DayRange, config: FloorConfig): Promise<DayTables> {
    if (this.closed) return Promise.reject(new ReportError('the server is shutting down', 503));
    const key = `${day.startMs}:${configKey(config)}`;
    const hit = this.cache.get(key);
    if (hit) {
      this.cache.delete(key);
      this.cache.set(key, hit);
      this.counts.hits++;
      return Promise.resolve(hit);
    }
    return this.enqueue(key, { day, dayStarts: [day.startMs], config }) as Promise<DayTables>;
  }

  /** Queues a worker job (or joins the same one queued or running). */
  private enqueue(key: string, what: Pick<Job, 'day' | 'days' | 'range' | 'dayStarts' | 'config'>): Promise<JobResult> {
    if (this.closed) return Promise.reject(new ReportError('the server is shutting down', 503));
    const running = this.inflight.get(key);
    if (running) {
      this.counts.shared++;
      return running.promise;
    }
    if (this.queue.length >= this.queueMax) {
      this.counts.failures++;
      return Promise.reject(new ReportError(`report queue full (${this.queueMax} days waiting); try again shortly`, 503));
    }
    let resolve!: Job['resolve'];
    let reject!: (e: Error) => void;
    const promise = new Promise<JobResult>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const job: Job = { id: this.nextId++, key, ...what, stale: false, resolve, reject, promise };
    this.counts.misses++;
    this.inflight.set(key, job);
    this.queue.push(job);
    this.pump();
    return promise;
  }

  /**
   * Drops what a newly applied event makes stale (call after the live floor
   * applied it): every report after a configuration change; the report of
   * the past day the event is dated on, or on which its call was offered.
   */
  noteEvent(e: FloorEvent, s: FloorState): void {
    // The stored aggregates of a day an event changes go too: noted here, dropped before the next answer.
    const lateDay = e.at < s.dayStartMs ? localDay(e.at, s.config.timeZone).startMs : undefined;
    const callId = 'callId' in e ? e.callId : undefined;
    const call = callId === undefined ? undefined : s.calls.get(callId);
    const callDay = call && call.dayStartMs < s.dayStartMs ? call.dayStartMs : undefined;
    if (lateDay !== undefined) this.dropped.add(lateDay);
    if (callDay !== undefined) this.dropped.add(callDay);
    if (this.cache.size === 0 && this.inflight.size === 0) return;
    if (e.type === 'config.changed') return this.invalidate(() => true);
    if (lateDay !== undefined) this.invalidate((d) => d === lateDay);
    if (callDay !== undefined) this.invalidate((d) => d === callDay);
  }

  /**
   * Drops the stored aggregates of the days late events changed since the last answer (one
   * transaction), except days before the log's retention horizon: their raw events are gone, so
   * their stored figures are all there is (a late event of such a day is not folded into them).
   */
  private flushDropped(horizonMs = -Infinity): void {
    if (this.dropped.size === 0) return;
    this.store?.dropDays([...this.dropped].filter((d) => d >= horizonMs));
    this.dropped.clear();
  }

  /** Counters for `/api/health`. */
  stats(): ReportStats {
    return {
      worker: !this.worker ? 'stopped' : this.current ? 'building' : 'idle',
      source: this.source.kind,
      cached: this.cache.size,
      cacheDays: this.cacheDays,
      ...this.counts,
      queued: this.queue.length,
      queueMax: this.queueMax,
      lastBuild: this.lastBuild,
    };
  }

  /** Ends the worker now: a build in progress fails with a 503, and the next request starts a new worker. */
  async stopWorker(): Promise<void> {
    const w = this.worker;
    if (!w) return;
    this.worker = undefined; // a request arriving meanwhile gets a new worker, not this dying one
    await w.terminate();
  }

  /** Stops the worker and refuses what is still queued (503); the service answers nothing after. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    for (const job of this.queue.splice(0)) this.settle(job, new ReportError('the server is shutting down', 503));
    await this.stopWorker();
  }

  private invalidate(dayMatches: (dayStartMs: number) => boolean): void {
    for (const key of [...this.cache.keys()]) {
      if (dayMatches(Number(key.slice(0, key.indexOf(':'))))) {
        this.cache.delete(key);
        this.counts.invalidations++;
      }
    }
    // A queued build has not read the log yet: it will see the event. A running one may have read past it.
    const job = this.current;
    if (job?.range) for (const d of job.dayStarts) if (dayMatches(d)) (job.staleDays ??= new Set()).add(d);
    if (job && !job.stale && job.dayStarts.some(dayMatches)) {
      job.stale = true;
      this.counts.invalidations++;
      if (this.inflight.get(job.key) === job) this.inflight.delete(job.key);
    }
  }

  /**
   * Whether no call offered on the day is still open on the floor (live, or a past day's call
   * learnt of late and not yet over): only then can its figures no longer change with the clock.
   */
  private dayClosed(dayStartMs: number, open = this.openDays()): boolean {
    return dayStartMs < this.state().dayStartMs && !open.has(dayStartMs);
  }

  /** The days (their starts) with a call still open on the floor: one pass over the calls. */
  private openDays(): Set<number> {
    const open = new Set<number>();
    for (const c of this.state().calls.values()) if (!OVER.has(c.status)) open.add(c.dayStartMs);
    return open;
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    let failed: Error | undefined;
    // A bootstrap that registers tsx, then loads report-worker.ts: works under tsx, vitest and plain node.
    // No inherited flags: the parent's (tsx's, vitest's) are for its own loader, not the worker's.
    const w = new Worker(new URL('./report-worker.mjs', import.meta.url), { workerData: { role: 'floorwatch-report' }, execArgv: [] });
    w.unref(); // an idle worker never keeps the process alive; a pending request does
    w.on('message', (m: FromWorker) => this.onMessage(m));
    w.on('error', (err) => {
      failed = err;
      this.logger.error(`report worker failed: ${err.message}`);
    });
    w.on('exit', (code) => {
      if (this.worker === w) this.worker = undefined;
      const job = this.current;
      if (job?.worker === w) {
        const why = job.failure ?? failed?.message ?? `it stopped (exit code ${code})`;
        this.finishJob(job, new ReportError(`the report worker failed: ${why}; try again`, 503));
      }
    });
    this.worker = w;
    return w;
  }

  private pump(): void {
    if (this.current || this.closed) return;
    const job = this.queue.shift();
    if (!job) {
      this.armIdle();
      return;
    }
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    this.current = job;
    let w: Worker;
    try {
      w = this.ensureWorker();
    } catch (err) {
      this.finishJob(job, new ReportError(`the report worker could not start: ${(err as Error).message}`, 503));
      return;
    }
    job.worker = w;
    job.timer = setTimeout(() => {
      job.failure = `the build took longer than ${Math.round(this.buildTimeoutMs / 1000)} s`;
      if (this.worker === w) this.worker = undefined;
      void w.terminate();
    }, this.buildTimeoutMs);
    job.timer.unref();
    const request: ToWorker = job.range
      ? { ...job.range, jobId: job.id }
      : job.days
      ? { type: 'aggregate', jobId: job.id, days: job.days, config: job.config, source: this.source, limits: this.engineLimits }
      : { type: 'build', jobId: job.id, day: job.day as DayRange, config: job.config, source: this.source, limits: this.engineLimits };
    w.postMessage(request);
    if (this.source.kind === 'stream' && !job.range) void this.stream(w, job);
  }

  /**
   * The stream path: the log is read here (for Redis, a round trip per chunk,
   * so the event loop keeps turning) and posted to the worker in chunks.
   */
  private async stream(w: Worker, job: Job): Promise<void> {
    const post = (m: ToWorker) => {
      if (this.current === job) w.postMessage(m);
    };
    let chunk: [FloorEvent, number][] = [];
    try {
      await this.log.replay((e, rx) => {
        chunk.push([e, rx]);
        if (chunk.length >= STREAM_CHUNK) {
          post({ type: 'chunk', jobId: job.id, events: chunk });
          chunk = [];
        }
      });
      if (chunk.length) post({ type: 'chunk', jobId: job.id, events: chunk });
      post({ type: 'end', jobId: job.id });
    } catch (err) {
      post({ type: 'end', jobId: job.id, error: `reading the event log failed: ${(err as Error).message}` });
    }
  }

  private onMessage(m: FromWorker): void {
    if (m.type !== 'done') return;
    const job = this.current;
    if (!job || job.id !== m.jobId) return;
    if (m.ok && 'answer' in m) {
      this.counts.builds += m.built > 0 ? 1 : 0;
      if (m.built > 0) this.lastBuild = { ms: m.ms, events: m.events, skipped: m.skipped };
      this.finishJob(job, { answer: m.answer, built: m.built });
    } else if (m.ok && 'aggregates' in m) {
      this.counts.builds++;
      this.lastBuild = { ms: m.ms, events: m.events, skipped: m.skipped };
      if (!job.stale && !this.closed && this.store) {
        const key = configKey(job.config);
        const builtAtMs = Date.now();
        const open = this.openDays();
        for (const r of m.aggregates) if (this.dayClosed(r.aggregate.dayStartMs, open)) this.store.put(key, r.logged, r.aggregate, builtAtMs);
      }
      this.finishJob(job, m.aggregates);
    } else if (m.ok) {
      this.counts.builds++;
      this.lastBuild = { ms: m.ms, events: m.events, skipped: m.skipped };
      if (!job.stale && !this.closed && this.dayClosed((job.day as DayRange).startMs)) {
        this.cache.set(job.key, m.tables);
        while (this.cache.size > this.cacheDays) this.cache.delete(this.cache.keys().next().value as string);
      }
      this.finishJob(job, m.tables);
    } else if (m.notFound) {
      this.counts.builds++;
      this.finishJob(job, new ReportError(m.error, 404));
    } else {
      this.logger.error(`report worker: ${m.error}`);
      this.finishJob(job, new ReportError(`the report could not be built: ${m.error}`, 503));
    }
  }

  private finishJob(job: Job, outcome: JobResult | ReportError): void {
    if (job.timer) clearTimeout(job.timer);
    // The worker may have stored a day a late event changed meanwhile: the next report folds it again.
    if (job.staleDays) this.store?.dropDays([...job.staleDays]);
    if (this.current === job) this.current = undefined;
    if (outcome instanceof ReportError && outcome.status === 503) this.counts.failures++;
    this.settle(job, outcome);
    this.pump();
  }

  private settle(job: Job, outcome: JobResult | ReportError): void {
    if (this.inflight.get(job.key) === job) this.inflight.delete(job.key);
    if (outcome instanceof ReportError) job.reject(outcome);
    else job.resolve(outcome);
  }

  private armIdle(): void {
    if (!this.worker || this.idleTimer || this.closed) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      if (!this.current && this.queue.length === 0) void this.stopWorker();
    }, this.idleMs);
    this.idleTimer.unref();
  }
}
