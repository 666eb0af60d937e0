/**
 * "What if" off the event loop: each run replays the log through the engine
 * twice (shared/what-if.ts) on a worker thread of its own (what-if-worker.ts),
 * never touching the live floor's state.
 *
 * - One run at a time: a second request while one runs is refused at once
 *   ({@link WhatIfBusyError}, a 503 with Retry-After), not queued: a run
 *   folds the whole log twice, and a queue of them would only grow.
 * - A run taking longer than `timeoutMs` is stopped (the worker is
 *   terminated) and answered with a 503.
 * - Where the events come from is the report worker's choice (report-cache.ts):
 *   the SQLite file itself, read-only on the worker's own connection, or, for
 *   any other store (Redis, a `:memory:` log), the main thread's
 *   `LogStore.replay` posted to the worker in chunks.
 * - The worker ends with its run: two folds of a whole log are a lot of heap
 *   to keep between the rare runs.
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { FloorConfig } from '../shared/config.ts';
import type { ScopeLimit } from '../shared/scope.ts';
import type { EngineLimits } from '../shared/engine.ts';
import type { FloorEvent } from '../shared/events.ts';
import { applyChanges, whatIfRange, WhatIfError, type SettingChange, type WhatIfResult } from '../shared/what-if.ts';
import type { LogStore } from './log/store.ts';
import { SqliteLog } from './log/sqlite.ts';
import type { ReportSource } from './report-worker.ts';
import type { FromWhatIfWorker, ToWhatIfWorker } from './what-if-worker.ts';

/** A run taking longer than this, ms, is stopped: a quarter of a 200-agent floor's log folds twice well within it. */
export const WHAT_IF_TIMEOUT_MS = 300_000;
/** Events per message on the stream path (as the report worker's). */
const STREAM_CHUNK = 5_000;

/** Another what-if is running: try again when it is done (503). */
export class WhatIfBusyError extends Error {
  readonly status = 503;
}
/** The run failed (worker error, crash, timeout, log unreadable): 503, the server is not affected. */
export class WhatIfFailedError extends Error {
  readonly status = 503;
}

/** What a caller asks: the floor's starting configuration, the changes, the range, and the server's clock now (ms). */
export interface WhatIfRequest {
  config: FloorConfig;
  changes: SettingChange[];
  from: string;
  to: string;
  nowMs: number;
  /** A scoped supervisor's limits (shared/scope.ts): only their queues' and agents' alerts are counted and shown. */
  scope?: ScopeLimit;
}

/** Counters shown with a result and usable in health output. */
export interface WhatIfStats {
  running: boolean;
  runs: number;
  failures: number;
  busyRefusals: number;
  /** The last finished run: time on the worker (ms) and events folded. */
  last: { ms: number; events: number } | null;
}

export interface WhatIfServiceOptions {
  log: LogStore;
  logger?: Pick<Console, 'error'>;
  /** The live floor's stale-call limits and cap: the replay closes calls as the live floor did. */
  engineLimits?: Partial<EngineLimits>;
  timeoutMs?: number;
}

/** Where the worker reads the log: the SQLite file when there is one, else a stream from this thread. */
export function whatIfSource(log: LogStore): ReportSource {
  if (log instanceof SqliteLog && log.file !== ':memory:' && log.file !== '' && !log.file.startsWith('file:')) return { kind: 'sqlite', file: path.resolve(log.file) };
  return { kind: 'stream' };
}

/**
 * Runs what-ifs on a worker thread, one at a time (see the module comment).
 * `run` resolves with the comparison and the worker's time, or rejects with a
 * {@link WhatIfError} (400: bad range or candidate, found before or during
 * the fold), {@link WhatIfBusyError} or {@link WhatIfFailedError} (503).
 */
export class WhatIfService {
  private readonly log: LogStore;
  private readonly logger: Pick<Console, 'error'>;
  private readonly limits: Partial<EngineLimits>;
  private readonly timeoutMs: number;
  private readonly source: ReportSource;
  private current: { worker: Worker; timer: NodeJS.Timeout } | undefined;
  private closed = false;
  private nextId = 1;
  private counts = { runs: 0, failures: 0, busyRefusals: 0 };
  private last: WhatIfStats['last'] = null;

  constructor(opts: WhatIfServiceOptions) {
    this.log = opts.log;
    this.logger = opts.logger ?? console;
    this.limits = opts.engineLimits ?? {};
    this.timeoutMs = opts.timeoutMs ?? WHAT_IF_TIMEOUT_MS;
    this.source = whatIfSource(opts.log);
  }

  stats(): WhatIfStats {
    return { running: this.current !== undefined, ...this.counts, last: this.last };
  }

  async run(req: WhatIfRequest): Promise<{ result: WhatIfResult; ms: number }> {
    if (this.closed) throw new WhatIfFailedError('the server is shutting down');
    // What can be told at once is told before a worker starts: the range and the candidate on today's settings.
    whatIfRange(req.from, req.to, req.config.timeZone);
    const start = applyChanges(req.config, req.changes);
    if (!start.ok) throw new WhatIfError(start.error);
    if (this.current) {
      this.counts.busyRefusals++;
      throw new WhatIfBusyError('another what-if is running; try again when it is done');
    }
    const jobId = this.nextId++;
    // No inherited flags: the parent's (tsx's, vitest's) are for its own loader, not the worker's.
    const worker = new Worker(new URL('./what-if-worker.mjs', import.meta.url), { workerData: { role: 'floorwatch-what-if' }, execArgv: [] });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      void worker.terminate();
    }, this.timeoutMs);
    timer.unref();
    this.current = { worker, timer };
    try {
      return await new Promise<{ result: WhatIfResult; ms: number }>((resolve, reject) => {
        let failure: Error | undefined;
        worker.on('message', (m: FromWhatIfWorker) => {
          if (m.type === 'ready') {
            worker.postMessage({ type: 'run', jobId, config: req.config, changes: req.changes, from: req.from, to: req.to, nowMs: req.nowMs, source: this.source, limits: this.limits, ...(req.scope ? { scope: req.scope } : {}) } satisfies ToWhatIfWorker);
            if (this.source.kind === 'stream') void this.stream(worker, jobId);
            return;
          }
          if (m.jobId !== jobId) return;
          if (m.ok) {
            this.last = { ms: m.ms, events: m.result.events };
            resolve({ result: m.result, ms: m.ms });
          } else if (m.status === 400) reject(new WhatIfError(m.error));
          else reject(new WhatIfFailedError(`the what-if could not be run: ${m.error}`));
        });
        worker.on('error', (err) => {
          failure = err;
          this.logger.error(`what-if worker failed: ${err.message}`);
        });
        worker.on('exit', (code) => {
          const why = timedOut ? `it took longer than ${Math.round(this.timeoutMs / 1000)} s` : (failure?.message ?? `the worker stopped (exit code ${code})`);
          reject(new WhatIfFailedError(`the what-if could not be run: ${why}; try a shorter range`));
        });
      });
    } catch (err) {
      if (!(err instanceof WhatIfError)) this.counts.failures++;
      throw err;
    } finally {
      this.counts.runs++;
      clearTimeout(timer);
      this.current = undefined;
      await worker.terminate();
    }
  }

  /** Stops a run in progress (it fails with a 503) and refuses new ones. */
  async close(): Promise<void> {
    this.closed = true;
    const c = this.current;
    if (c) await c.worker.terminate();
  }

  /** The stream path: the log is read here and posted to the worker in chunks (as ReportService does). */
  private async stream(w: Worker, jobId: number): Promise<void> {
    const post = (m: ToWhatIfWorker) => {
      if (this.current?.worker === w) w.postMessage(m);
    };
    let chunk: [FloorEvent, number][] = [];
    try {
      await this.log.replay((e, rx) => {
        chunk.push([e, rx]);
        if (chunk.length >= STREAM_CHUNK) {
          post({ type: 'chunk', jobId, events: chunk });
          chunk = [];
        }
      });
      if (chunk.length) post({ type: 'chunk', jobId, events: chunk });
      post({ type: 'end', jobId });
    } catch (err) {
      post({ type: 'end', jobId, error: `reading the event log failed: ${(err as Error).message}` });
    }
  }
}
