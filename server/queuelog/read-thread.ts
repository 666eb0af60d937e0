/**
 * Reading queue_log files on a thread of their own, for the report: the
 * reading (both passes of {@link loadQueueLogFiles}, the adapter, the events'
 * validation) runs on a worker thread while the main thread applies the
 * events to the engine, so a long file takes the time of the slower half, not
 * of both. Events cross in batches of {@link BATCH_EVENTS} (postMessage's
 * structured clone: a third cheaper than JSON text both ways, measured here;
 * packed by {@link packEvents}), at most {@link BATCHES_IN_FLIGHT} unapplied
 * (memory stays bounded whichever side is faster). The events and figures are the same as read on one thread
 * (tests/server/queuelog-report.test.ts compares both).
 */
import { Worker } from 'node:worker_threads';
import type { FloorEvent } from '../../shared/events.ts';
import type { TalkTally } from './adapter.ts';
import { UnreadableFileError, type FileProblem, type LineStats } from './reader.ts';

/** Events per message to the main thread. */
export const BATCH_EVENTS = 2_000;
/** Batches posted and not yet applied before the read thread waits. */
export const BATCHES_IN_FLIGHT = 8;

/**
 * A batch of events as it crosses between threads: each event as the index of its key list in
 * `shapes`, then its values in that order, all in one flat array. Structured clone writes every
 * object's keys again and the receiver looks each one up again; here a batch's few key lists
 * cross once (about half the cost of cloning the objects on the sending side, a third on the
 * receiving side, measured on the bench's events).
 */
export interface EventBatch {
  shapes: string[][];
  values: unknown[];
}

/** `events` as an {@link EventBatch}. */
export function packEvents(events: readonly FloorEvent[]): EventBatch {
  const shapes: string[][] = [];
  /** Shapes seen by event type: a type has one or a few (optional fields). */
  const byType = new Map<string, number[]>();
  const values: unknown[] = [];
  for (const e of events) {
    const keys = Object.keys(e);
    let known = byType.get(e.type);
    if (!known) byType.set(e.type, (known = []));
    let shape = known.find((i) => sameKeys(shapes[i], keys));
    if (shape === undefined) {
      shape = shapes.push(keys) - 1;
      known.push(shape);
    }
    values.push(shape);
    for (const k of keys) values.push((e as unknown as Record<string, unknown>)[k]);
  }
  return { shapes, values };
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The events of an {@link EventBatch}, equal to those packed (the same keys in the same order). */
export function unpackEvents(batch: EventBatch): FloorEvent[] {
  const { shapes, values } = batch;
  const out: FloorEvent[] = [];
  for (let i = 0; i < values.length; ) {
    const keys = shapes[values[i++] as number];
    const e: Record<string, unknown> = {};
    for (let k = 0; k < keys.length; k++) e[keys[k]] = values[i++];
    out.push(e as unknown as FloorEvent);
  }
  return out;
}

/** What one read of the files tells besides its events (what the report needs of the reader). */
export interface ReadSummary {
  stats: LineStats;
  firstAtMs: number | undefined;
  lastAtMs: number | undefined;
  /** Talk from the data fields of COMPLETE* and transfer records (see {@link TalkTally}). */
  talkByQueue: Map<string, TalkTally>;
  talkByAgent: Map<string, TalkTally>;
  /** Events dated further back than the reorder window allowed: read again with no window. */
  late: number;
  problems: FileProblem[];
}

/** `workerData` of the read thread. */
export interface ReadThreadData {
  files: string[];
  timeZone: string;
}

export type ToReadThread = { type: 'ack' } | { type: 'run'; windowMs: number | null };

export type FromReadThread =
  | { type: 'events'; batch: EventBatch }
  | { type: 'done'; summary: Omit<ReadSummary, 'talkByQueue' | 'talkByAgent'> & { talkByQueue: [string, TalkTally][]; talkByAgent: [string, TalkTally][] } }
  | { type: 'error'; message: string; unreadable: boolean };

/** Files read on a thread: each `run` reads them through a fresh adapter, as `loadQueueLogFiles(...).run()` does. */
export interface ThreadedRead {
  /**
   * Reads the files once more in time order, handing each batch of events to `apply` (on the main
   * thread, in order). `windowMs`: the reorder window (default: the reader's). Resolves with the
   * summary. Throws {@link UnreadableFileError} for a file that cannot be read.
   */
  run(apply: (events: FloorEvent[]) => void, windowMs?: number): Promise<ReadSummary>;
  close(): Promise<void>;
}

/**
 * Starts the read thread for `files` (read as `loadQueueLogFiles(files, { timeZone })`).
 * Errors of the thread itself (it could not start) reject the first `run`.
 */
export function readInThread(files: string[], timeZone: string): ThreadedRead {
  const worker = new Worker(new URL('./read-worker.mjs', import.meta.url), {
    workerData: { files, timeZone } satisfies ReadThreadData,
    // The parent's flags are for its own loader (tsx's, vitest's), not the thread's.
    execArgv: [],
  });
  let current: { apply: (events: FloorEvent[]) => void; resolve: (s: ReadSummary) => void; reject: (e: Error) => void } | undefined;
  let failed: Error | undefined;
  const fail = (err: Error) => {
    failed = err;
    current?.reject(err);
    current = undefined;
  };
  worker.on('message', (m: FromReadThread) => {
    if (m.type === 'error') return fail(m.unreadable ? new UnreadableFileError(m.message) : new Error(m.message));
    if (!current) return;
    if (m.type === 'events') {
      try {
        current.apply(unpackEvents(m.batch));
      } catch (err) {
        fail(err as Error);
        return;
      }
      worker.postMessage({ type: 'ack' } satisfies ToReadThread);
    } else if (m.type === 'done') {
      const s = m.summary;
      current.resolve({ ...s, talkByQueue: new Map(s.talkByQueue), talkByAgent: new Map(s.talkByAgent) });
      current = undefined;
    }
  });
  worker.on('error', (err) => fail(err));
  worker.on('exit', (code) => {
    if (current) fail(new Error(`the queue_log read thread stopped (exit code ${code})`));
  });
  return {
    run(apply, windowMs) {
      if (failed) return Promise.reject(failed);
      return new Promise<ReadSummary>((resolve, reject) => {
        current = { apply, resolve, reject };
        worker.postMessage({ type: 'run', windowMs: windowMs ?? null } satisfies ToReadThread);
      });
    },
    async close() {
      await worker.terminate();
    },
  };
}
