/**
 * Deterministic, realistic feed events for the benchmarks: the built-in
 * simulator of a busy floor (`server/simulator.ts`: Poisson arrivals, rings,
 * holds, transfers, breaks and every kind of etiquette lapse), scaled to N
 * agents, stepped one second of feed time at a time, and validated by the
 * real schema so the benchmarks fold exactly what ingest would hand the engine.
 *
 * The same options always give the same events (the simulator is seeded).
 */
import { createSimulator } from '../../server/simulator.ts';
import { parseEvent, type FeedEvent } from '../../shared/events.ts';

/** 08:00 UTC on a Tuesday: the start of a business day in the default zone. */
export const FEED_T0 = Date.parse('2026-11-24T08:00:00Z');

/** One second of feed time: the events the simulator emitted for it, in time order. */
export interface FeedSecond {
  /** End of this second of feed time (epoch ms): a 1 Hz engine tick belongs here. */
  atMs: number;
  events: FeedEvent[];
}

export interface FeedOptions {
  agents: number;
  seed?: number;
  /** Feed time of the first second (default {@link FEED_T0}). */
  startMs?: number;
  /** Stop after this many seconds of feed time… */
  seconds?: number;
  /** …or once at least this many events were emitted, whichever comes first. */
  events?: number;
}

/**
 * Steps the simulator second by second and yields each second's validated
 * events (seconds without events are yielded too, empty, so a consumer can
 * tick at 1 Hz of feed time). Throws if the schema rejects an event: that
 * would be a simulator bug, not a benchmark figure.
 */
export function* feedSeconds(opts: FeedOptions): Generator<FeedSecond> {
  const startMs = opts.startMs ?? FEED_T0;
  const maxSeconds = opts.seconds ?? Infinity;
  const maxEvents = opts.events ?? Infinity;
  if (!Number.isFinite(maxSeconds) && !Number.isFinite(maxEvents)) throw new Error('feedSeconds: give seconds or events');
  let pending: unknown[] = [];
  const sim = createSimulator(
    {
      agents: opts.agents,
      seed: opts.seed ?? 1,
      emit: (batch) => {
        pending = batch;
      },
    },
    startMs,
  );
  let emitted = 0;
  for (let s = 1; s <= maxSeconds && emitted < maxEvents; s++) {
    const atMs = startMs + s * 1000;
    pending = [];
    sim.step(atMs);
    const events: FeedEvent[] = [];
    for (const raw of pending) {
      const r = parseEvent(raw);
      if (!r.ok) throw new Error(`simulator event rejected by the schema: ${r.error}`);
      events.push(r.event);
    }
    emitted += events.length;
    yield { atMs, events };
  }
}

/** All events of {@link feedSeconds} in one array (time order), without the per-second grouping. */
export function feedEvents(opts: FeedOptions): FeedEvent[] {
  const out: FeedEvent[] = [];
  for (const sec of feedSeconds(opts)) for (const e of sec.events) out.push(e);
  if (opts.events !== undefined && out.length > opts.events) out.length = opts.events;
  return out;
}

/** Splits events into consecutive batches of `size`. */
export function batches<T>(events: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < events.length; i += size) out.push(events.slice(i, i + size));
  return out;
}

/** Writes a progress line to stderr (the table on stdout stays clean). */
export function progress(bench: string, text: string): void {
  process.stderr.write(`  ${bench}: ${text}\n`);
}
