/**
 * The queue_log read thread's work (started by {@link readInThread} in
 * read-thread.ts): reads the files given in `workerData` with
 * {@link loadQueueLogFiles}, runs them through the adapter, and posts the
 * events to the main thread in batches ({@link packEvents}), at most
 * {@link BATCHES_IN_FLIGHT} unacknowledged, then a summary of the read.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { FloorEvent } from '../../shared/events.ts';
import { loadQueueLogFiles, UnreadableFileError } from './reader.ts';
import { BATCH_EVENTS, BATCHES_IN_FLIGHT, packEvents, type FromReadThread, type ReadThreadData, type ToReadThread } from './read-thread.ts';

const port = parentPort;
if (!port) throw new Error('read-worker.ts runs as a worker thread only');
const data = workerData as ReadThreadData;

let inFlight = 0;
let wake: (() => void) | undefined;
/** Runs asked for (their reorder windows) and not yet begun. */
const runs: (number | undefined)[] = [];
let runAsked: (() => void) | undefined;

port.on('message', (m: ToReadThread) => {
  if (m.type === 'ack') {
    inFlight--;
    wake?.();
  } else if (m.type === 'run') {
    runs.push(m.windowMs ?? undefined);
    runAsked?.();
  }
});

async function nextRun(): Promise<number | undefined> {
  while (runs.length === 0) await new Promise<void>((resolve) => (runAsked = resolve));
  return runs.shift();
}

/** Posts a batch, counted until the main thread acknowledges it; waits while {@link BATCHES_IN_FLIGHT} are out. */
async function send(events: FloorEvent[]): Promise<void> {
  post({ type: 'events', batch: packEvents(events) });
  inFlight++;
  while (inFlight >= BATCHES_IN_FLIGHT) await new Promise<void>((resolve) => (wake = resolve));
}

function post(m: FromReadThread): void {
  port?.postMessage(m);
}

async function main(): Promise<void> {
  const loaded = await loadQueueLogFiles(data.files, { timeZone: data.timeZone });
  try {
    for (;;) {
      const run = loaded.run(await nextRun());
      let batch: FloorEvent[] = [];
      for (const e of run.events) {
        batch.push(e);
        if (batch.length < BATCH_EVENTS) continue;
        await send(batch);
        batch = [];
      }
      if (batch.length > 0) await send(batch);
      const r = run.reader;
      post({
        type: 'done',
        summary: {
          stats: r.stats,
          firstAtMs: r.firstAtMs,
          lastAtMs: r.lastAtMs,
          talkByQueue: [...r.adapter.talkByQueue],
          talkByAgent: [...r.adapter.talkByAgent],
          late: run.late,
          problems: run.problems(),
        },
      });
    }
  } finally {
    loaded.close();
  }
}

main().catch((err: unknown) => {
  const e = err instanceof Error ? err : new Error(String(err));
  post({ type: 'error', message: e.message, unreadable: err instanceof UnreadableFileError });
});
