/**
 * The what-if fold (shared/what-if.ts) on a worker thread, so that replaying
 * the log twice never holds up the server's event loop. Like the report
 * worker (report-worker.ts), it reads a SQLite log itself, read-only, on its
 * own connection (`readSqliteLog`), or is fed events by the main thread for
 * any other store. One run per worker: server/what-if.ts starts a worker for
 * a run and ends it after, so the memory of two whole-log folds is given back.
 *
 * Loaded through what-if-worker.mjs, which registers tsx first.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { FloorConfig } from '../shared/config.ts';
import type { EngineLimits } from '../shared/engine.ts';
import type { ScopeLimit } from '../shared/scope.ts';
import type { FloorEvent } from '../shared/events.ts';
import { createWhatIfFold, WhatIfError, type SettingChange, type WhatIfResult } from '../shared/what-if.ts';
import { readSqliteLog, type ReportSource } from './report-worker.ts';

/** main → worker: run a what-if from `config` (the starting configuration) with `changes`, over `from`..`to`. */
export interface WhatIfRunRequest {
  type: 'run';
  jobId: number;
  config: FloorConfig;
  changes: SettingChange[];
  from: string;
  to: string;
  /** The server's clock when the run was asked for: both engines are ticked to it at the end, as the live floor's ticks were. */
  nowMs: number;
  source: ReportSource;
  limits?: Partial<EngineLimits>;
  /** A scoped supervisor's limits: only their queues' and agents' alerts counted (shared/what-if.ts `WhatIfOptions.scope`). */
  scope?: ScopeLimit;
}
/** main → worker (stream source): the next events of the log, each `[event, receivedAtMs]`, in log order. */
export interface WhatIfChunk {
  type: 'chunk';
  jobId: number;
  events: [FloorEvent, number][];
}
/** main → worker (stream source): the log is read to its end (or could not be: `error`). */
export interface WhatIfEnd {
  type: 'end';
  jobId: number;
  error?: string;
}
export type ToWhatIfWorker = WhatIfRunRequest | WhatIfChunk | WhatIfEnd;

/** worker → main: the comparison, or why there is none (400: the candidate or range is wrong; 500: anything else). */
export type FromWhatIfWorker =
  | { type: 'ready' }
  | { type: 'done'; jobId: number; ok: true; result: WhatIfResult; ms: number }
  | { type: 'done'; jobId: number; ok: false; status: 400 | 500; error: string };

/** The worker's side: one run, as the main thread sends it. */
function serve(port: NonNullable<typeof parentPort>): void {
  let streaming: { jobId: number; fold: ReturnType<typeof createWhatIfFold>; nowMs: number; startedMs: number } | undefined;
  const reply = (m: FromWhatIfWorker) => port.postMessage(m);
  const fail = (jobId: number, err: unknown) => reply({ type: 'done', jobId, ok: false, status: err instanceof WhatIfError ? 400 : 500, error: (err as Error).message });
  port.on('message', (m: ToWhatIfWorker) => {
    try {
      if (m.type === 'run') {
        const startedMs = performance.now();
        const fold = createWhatIfFold({ config: m.config, changes: m.changes, from: m.from, to: m.to, limits: m.limits, scope: m.scope });
        if (m.source.kind === 'stream') {
          streaming = { jobId: m.jobId, fold, nowMs: m.nowMs, startedMs };
          return;
        }
        readSqliteLog(m.source.file, (e, rx) => fold.add(e, rx));
        reply({ type: 'done', jobId: m.jobId, ok: true, result: fold.finish(m.nowMs), ms: Math.round(performance.now() - startedMs) });
      } else if (m.type === 'chunk') {
        if (streaming?.jobId !== m.jobId) return;
        for (const [e, rx] of m.events) streaming.fold.add(e, rx);
      } else if (m.type === 'end') {
        if (streaming?.jobId !== m.jobId) return;
        const s = streaming;
        streaming = undefined;
        if (m.error) return reply({ type: 'done', jobId: m.jobId, ok: false, status: 500, error: m.error });
        reply({ type: 'done', jobId: m.jobId, ok: true, result: s.fold.finish(s.nowMs), ms: Math.round(performance.now() - s.startedMs) });
      }
    } catch (err) {
      if (streaming?.jobId === m.jobId) streaming = undefined;
      fail(m.jobId, err);
    }
  });
  reply({ type: 'ready' });
}

if (!isMainThread && parentPort && (workerData as { role?: unknown } | null)?.role === 'floorwatch-what-if') serve(parentPort);
