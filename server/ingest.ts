/**
 * Ingest: validate · dedupe · append to the log (ack = durable) · apply.
 *
 * Every producer goes through {@link IngestPipeline.submit}: the HTTP batch
 * endpoint, the socket.io `/ingest` namespace, the simulator, and later the
 * queue_log tail. Batches submitted in the same turn of the event loop are
 * written in one transaction (group commit), so per-event socket acks do not
 * cost one fsync each.
 */
import type { FloorEvent } from '../shared/events.ts';
import { parseEvent } from '../shared/events.ts';
import type { IngestResult } from '../shared/wire.ts';
import type { LogStore } from './log/store.ts';

/** Most events accepted in one batch: big enough for bulk loads, small enough to bound one request's work. */
export const MAX_BATCH_EVENTS = 10_000;

/**
 * How far ahead of the server's clock an event's `at` may be, s, by default.
 * The live clock is the server's and never runs backwards: an event dated
 * ahead within this margin counts at the server's time (it cannot pull the
 * floor ahead); further ahead, a producer whose clock runs fast is told so per
 * event. Five minutes absorbs drift and a PBX slightly off NTP.
 */
export const DEFAULT_MAX_FUTURE_SEC = 300;

/** The per-event error of an event dated too far ahead of the server's clock, or undefined when it is not. */
export function futureError(atMs: number, nowMs: number, maxFutureMs: number): string | undefined {
  const ahead = atMs - nowMs;
  if (ahead <= maxFutureMs) return undefined;
  return `at: ${Math.ceil(ahead / 1000)} s ahead of the server's clock (limit ${Math.round(maxFutureMs / 1000)} s); check the producer's clock (NTP)`;
}

/** The answer to a batch sent while the server stops: nothing of it was written, so the producer sends it again (to another node, or after the restart). */
export const SHUTTING_DOWN = 'server shutting down: nothing from this batch was written; send it again in a few seconds';

export class IngestError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

interface Pending {
  valid: FloorEvent[];
  rejected: IngestResult['rejected'];
  resolve: (r: IngestResult) => void;
  reject: (e: Error) => void;
}

/**
 * Where a batch came from, for the per-source counters (`/api/health` → `ingest.bySource`, and
 * `floorwatch_events_*_total{source}` on /metrics): the HTTP batch endpoint, the socket.io
 * `/ingest` namespace, the queue_log tail, the AMI client, the simulator, or the server itself
 * (acknowledgements, notes, settings changes).
 */
export type IngestSource = 'http' | 'socket' | 'queue_log' | 'ami' | 'freeswitch' | 'simulator' | 'server';

/** One source's counts: events accepted (newly written), duplicates (already in the log or repeated in a batch), rejected (invalid), failed (not written: log unavailable or its write failed). */
export interface SourceCounts {
  batches: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  failed: number;
}

/** Timings of the pipeline, for the latency histograms of server/metrics.ts; seconds of real (monotonic) time. */
export interface IngestObserver {
  /** One batch answered or refused: from `submit` to its answer (validation, queue, log append, fold). */
  batch(source: IngestSource, seconds: number): void;
  /** One log append (a group commit of every batch waiting): its duration. */
  commit(seconds: number): void;
}

export interface IngestPipelineOptions {
  log: LogStore;
  clock: { now(): number };
  /** Called with the newly appended events, in log order, once they are durable. */
  apply: (events: FloorEvent[], receivedAtMs: number) => void;
  /** When false, ingest is refused (the log is unavailable). */
  isWritable?: () => boolean;
  /** Events dated more than this far ahead of `clock` are rejected, ms (default {@link DEFAULT_MAX_FUTURE_SEC} s). */
  maxFutureMs?: number;
  /** Told every batch's and every append's duration (server/metrics.ts); none by default. */
  observer?: IngestObserver;
  /**
   * What is logged (and applied) in place of each event of a group commit, just before the append: same
   * length, same order (server/transcripts.ts strips transcript words under `--transcripts evidence|drop`).
   * Every input passes here (HTTP, socket, queue_log, AMI, FreeSWITCH, the simulator, the server's own events).
   */
  prepare?: (events: FloorEvent[]) => FloorEvent[];
}

export class IngestPipeline {
  private pending: Pending[] = [];
  private flushing = false;
  private scheduled = false;
  /** Set by {@link drain}: every new batch is refused from then on. */
  private draining = false;
  private drained: (() => void)[] = [];
  readonly stats = { batches: 0, accepted: 0, duplicates: 0, rejected: 0, commits: 0, tooFarAhead: 0, bySource: {} as Partial<Record<IngestSource, SourceCounts>> };
  /** The last log append failed (and none succeeded since): `/readyz` answers 503 until one does. */
  lastAppendError: string | undefined;

  constructor(private readonly opts: IngestPipelineOptions) {}

  /**
   * Validates a batch (an array of events, or one event) and resolves once the
   * valid ones are in the log. Invalid events are reported with their index
   * and reason; they never hold back the valid ones beside them. An event
   * dated more than `maxFutureMs` ahead of the server's clock is invalid.
   * `source` names the producer in the per-source counters (default `http`).
   */
  submit(input: unknown, source: IngestSource = 'http'): Promise<IngestResult> {
    const items = Array.isArray(input) ? input : [input];
    return this.track(source, items.length, performance.now(), this.validate(items));
  }

  /** Counts a batch's outcome under its source and tells the observer how long it took. */
  private track(source: IngestSource, size: number, t0: number, result: Promise<IngestResult>): Promise<IngestResult> {
    const c = (this.stats.bySource[source] ??= { batches: 0, accepted: 0, duplicates: 0, rejected: 0, failed: 0 });
    c.batches++;
    const took = () => this.opts.observer?.batch(source, (performance.now() - t0) / 1000);
    return result.then(
      (r) => {
        c.accepted += r.accepted;
        c.duplicates += r.duplicates;
        c.rejected += r.rejected.length;
        took();
        return r;
      },
      (err: unknown) => {
        c.failed += size;
        took();
        throw err;
      },
    );
  }

  private validate(items: unknown[]): Promise<IngestResult> {
    if (this.draining) return Promise.reject(new IngestError(SHUTTING_DOWN, 503));
    if (items.length > MAX_BATCH_EVENTS) {
      return Promise.reject(new IngestError(`batch too large: ${items.length} events, at most ${MAX_BATCH_EVENTS} per batch`, 413));
    }
    if (this.opts.isWritable && !this.opts.isWritable()) {
      return Promise.reject(new IngestError('event log unavailable: ingest refused, nothing was written; retry later', 503));
    }
    const valid: FloorEvent[] = [];
    const rejected: IngestResult['rejected'] = [];
    const seen = new Set<string>();
    const nowMs = this.opts.clock.now();
    const maxFutureMs = this.opts.maxFutureMs ?? DEFAULT_MAX_FUTURE_SEC * 1000;
    for (let i = 0; i < items.length; i++) {
      const r = parseEvent(items[i]);
      if (!r.ok) {
        rejected.push({ index: i, error: r.error });
        continue;
      }
      const ahead = futureError(r.event.at, nowMs, maxFutureMs);
      if (ahead !== undefined) {
        rejected.push({ index: i, error: ahead });
        this.stats.tooFarAhead++;
        continue;
      }
      if (seen.has(r.event.id)) continue; // repeated inside the batch: counted as duplicate below
      seen.add(r.event.id);
      valid.push(r.event);
    }
    const repeats = items.length - rejected.length - valid.length;
    this.stats.batches++;
    this.stats.rejected += rejected.length;
    return new Promise<IngestResult>((resolve, reject) => {
      this.pending.push({
        valid,
        rejected,
        resolve: (r) => resolve({ ...r, duplicates: r.duplicates + repeats }),
        reject,
      });
      this.schedule();
    });
  }

  /**
   * Appends events the server itself built (acknowledgements, notes…) through
   * the same queue, so the log order is the order the engine applies them in.
   */
  submitInternal(events: FloorEvent[]): Promise<IngestResult> {
    const t0 = performance.now();
    if (this.draining) return this.track('server', events.length, t0, Promise.reject(new IngestError(SHUTTING_DOWN, 503)));
    if (this.opts.isWritable && !this.opts.isWritable()) {
      return this.track('server', events.length, t0, Promise.reject(new IngestError('event log unavailable: nothing was written; retry later', 503)));
    }
    return this.track(
      'server',
      events.length,
      t0,
      new Promise<IngestResult>((resolve, reject) => {
        this.pending.push({ valid: events, rejected: [], resolve, reject });
        this.schedule();
      }),
    );
  }

  /**
   * A graceful stop: from now on every batch is refused (503, nothing written),
   * and the promise resolves once each batch submitted before is in the log,
   * applied and answered. Called again, it waits for the same.
   */
  drain(): Promise<void> {
    this.draining = true;
    if (this.idle()) return Promise.resolve();
    return new Promise<void>((resolve) => this.drained.push(resolve));
  }

  /** True while ingest is being drained or has been: new batches are refused. */
  get isDraining(): boolean {
    return this.draining;
  }

  private idle(): boolean {
    return !this.flushing && !this.scheduled && this.pending.length === 0;
  }

  private schedule(): void {
    if (this.scheduled || this.flushing) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.pending.length > 0) {
        const batch = this.pending;
        this.pending = [];
        const all: FloorEvent[] = [];
        for (const p of batch) for (const e of p.valid) all.push(e);
        const receivedAtMs = this.opts.clock.now();
        let appended: FloorEvent[] = [];
        // Each event of the batches as it is logged (the same object unless `prepare` replaced it).
        let loggedAs: (e: FloorEvent) => FloorEvent = (e) => e;
        try {
          if (all.length > 0) {
            const t0 = performance.now();
            const logged = this.opts.prepare ? this.opts.prepare(all) : all;
            if (logged !== all) {
              const map = new Map<FloorEvent, FloorEvent>();
              all.forEach((e, i) => map.set(e, logged[i] ?? e));
              loggedAs = (e) => map.get(e) ?? e;
            }
            appended = (await this.opts.log.append(logged, receivedAtMs)).appended;
            this.opts.observer?.commit((performance.now() - t0) / 1000);
            this.stats.commits++;
            this.lastAppendError = undefined;
          }
        } catch (err) {
          this.lastAppendError = (err as Error).message;
          const e = new IngestError(`event log write failed: ${(err as Error).message}; nothing from this batch was applied`, 503);
          for (const p of batch) p.reject(e);
          continue;
        }
        if (appended.length > 0) this.opts.apply(appended, receivedAtMs);
        const written = new Set(appended);
        for (const p of batch) {
          let accepted = 0;
          for (const e of p.valid) if (written.has(loggedAs(e))) accepted++;
          this.stats.accepted += accepted;
          this.stats.duplicates += p.valid.length - accepted;
          p.resolve({ accepted, duplicates: p.valid.length - accepted, rejected: p.rejected });
        }
      }
    } finally {
      this.flushing = false;
      if (this.idle()) for (const resolve of this.drained.splice(0)) resolve();
    }
  }
}
