/**
 * Engine throughput: `applyEvent` + `tick` (shared/engine.ts) folding the
 * simulator's feed, with a 1 Hz tick of feed time and the change set drained
 * after every second as the server does after every batch.
 *
 * - Cost per event as the floor grows from 40 to 1,000 to 10,000 agents: the
 *   engine is meant to be O(1) per event, so µs/event should stay flat; the
 *   40-agent figure is the baseline. Ticks are included: a tick's work grows
 *   with the floor, but so does the number of events per second of feed time.
 * - Absolute events/s at 1,000 agents against a trivial fold (one Map update
 *   per event) of the same events.
 *
 * Each size gets 10 minutes of feed time untimed (agents sign in, queues
 * fill, the JIT warms up), then a timed window; three runs on fresh states,
 * the median is reported.
 */
import { applyEvent, createFloorState, drainChanges, tick } from '../shared/engine.ts';
import { defaultConfig } from '../shared/config.ts';
import type { FeedEvent } from '../shared/events.ts';
import type { BenchRow, BenchRun } from './types.ts';
import { ratio } from './types.ts';
import { FEED_T0, feedSeconds, progress, type FeedSecond } from './lib/feed.ts';

const SIZES = [40, 1_000, 10_000] as const;
/** Untimed lead-in of feed time: long enough for every agent to sign in and calls to be in every state. */
const WARMUP_SEC = 600;
/** The timed window never spans more than a shift of feed time (the 40-agent floor is slow). */
const MAX_WINDOW_SEC = 8 * 3_600;
const RUNS = 3;
/** Within this factor of the 40-agent cost per event counts as flat (the machine is noisy). */
const FLAT_FACTOR = 1.5;

interface PerEvent {
  us: number;
  applyUs: number;
  eventsPerFeedSec: number;
  tickUs: number;
}

interface Measured {
  events: number;
  ticks: number;
  ms: number;
  tickMs: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Folds the warm-up untimed, then the window timed; returns the window's figures. */
function foldOnce(warmup: FeedSecond[], window: FeedSecond[]): Measured {
  const state = createFloorState(defaultConfig(), FEED_T0);
  for (const sec of warmup) {
    for (const e of sec.events) applyEvent(state, e);
    tick(state, sec.atMs);
    drainChanges(state);
  }
  let events = 0;
  let tickMs = 0;
  const t0 = performance.now();
  for (const sec of window) {
    for (const e of sec.events) applyEvent(state, e);
    const t1 = performance.now();
    tick(state, sec.atMs);
    tickMs += performance.now() - t1;
    drainChanges(state);
    events += sec.events.length;
  }
  return { events, ticks: window.length, ms: performance.now() - t0, tickMs };
}

interface ConversationCost {
  /** Extra µs per conversation event. */
  us: number;
  /** µs per event of the feed without them. */
  otherUs: number;
  /** Their share of the feed's events, %. */
  share: number;
}

/**
 * What the conversation rules cost (issue 18): the same window folded without the simulator's
 * `call.transcript` and `call.talking` events; their cost per event is the difference over their number.
 */
function conversationCost(warmup: FeedSecond[], window: FeedSecond[], withMs: number): ConversationCost {
  const isTalk = (e: FeedEvent) => e.type === 'call.transcript' || e.type === 'call.talking';
  const strip = (secs: FeedSecond[]) => secs.map((sec) => ({ atMs: sec.atMs, events: sec.events.filter((e) => !isTalk(e)) }));
  const runs = Array.from({ length: RUNS }, () => foldOnce(strip(warmup), strip(window)));
  const withoutMs = median(runs.map((m) => m.ms));
  const others = runs[0].events;
  let total = 0;
  for (const sec of window) total += sec.events.length;
  const talk = total - others;
  return { us: talk > 0 ? (Math.max(0, withMs - withoutMs) * 1000) / talk : 0, otherUs: (withoutMs * 1000) / others, share: (100 * talk) / total };
}

/** The simplest fold there is: one Map update per event, keyed by what the event is about. */
function trivialFold(window: FeedSecond[]): { events: number; ms: number; keys: number } {
  const counts = new Map<string, number>();
  const key = (e: FeedEvent): string => ('callId' in e ? e.callId : 'agentId' in e ? (e.agentId ?? e.id) : e.id);
  let events = 0;
  const t0 = performance.now();
  for (const sec of window) {
    for (const e of sec.events) {
      const k = key(e);
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    events += sec.events.length;
  }
  return { events, ms: performance.now() - t0, keys: counts.size };
}

export const run: BenchRun = async ({ quick }) => {
  const windowEvents = quick ? 20_000 : 150_000;
  const rows: BenchRow[] = [];
  const perEvent = new Map<number, PerEvent>();
  let throughput1k: { eps: number; trivialEps: number } | undefined;
  let conversation1k: ConversationCost | undefined;

  for (const agents of SIZES) {
    const warmup: FeedSecond[] = [];
    const window: FeedSecond[] = [];
    let n = 0;
    for (const sec of feedSeconds({ agents, seed: 11, seconds: WARMUP_SEC + MAX_WINDOW_SEC })) {
      if (warmup.length < WARMUP_SEC) warmup.push(sec);
      else {
        window.push(sec);
        n += sec.events.length;
        if (n >= windowEvents) break;
      }
    }
    const runs: Measured[] = [];
    for (let r = 0; r < RUNS; r++) runs.push(foldOnce(warmup, window));
    const us = median(runs.map((m) => (m.ms * 1000) / m.events));
    const tickUs = median(runs.map((m) => (m.tickMs * 1000) / m.ticks));
    const applyUs = median(runs.map((m) => ((m.ms - m.tickMs) * 1000) / m.events));
    const eventsPerFeedSec = n / window.length;
    perEvent.set(agents, { us, applyUs, eventsPerFeedSec, tickUs });
    progress('engine', `${agents} agents: ${n} events over ${window.length} s of feed time, ${us.toFixed(2)} µs/event (${applyUs.toFixed(2)} without ticks), tick ${tickUs.toFixed(1)} µs`);
    if (agents === 1_000) {
      conversation1k = conversationCost(warmup, window, median(runs.map((m) => m.ms)));
      const trivialUs = median(Array.from({ length: RUNS }, () => trivialFold(window)).map((t) => (t.ms * 1000) / t.events));
      throughput1k = { eps: 1e6 / us, trivialEps: 1e6 / trivialUs };
    }
    // Let the previous size's feed be collected before the next one is generated.
    warmup.length = 0;
    window.length = 0;
    await new Promise((resolve) => setImmediate(resolve));
  }

  if (throughput1k) {
    rows.push({
      bench: 'engine',
      metric: 'throughput, 1,000 agents (applyEvent + 1 Hz tick + drain)',
      value: Math.round(throughput1k.eps),
      unit: 'events/s',
      baseline: { name: 'Map update per event', value: Math.round(throughput1k.trivialEps) },
      ratio: ratio(throughput1k.eps, throughput1k.trivialEps),
      note: 'single thread, events pre-generated and pre-validated; median of 3 runs',
    });
  }
  if (conversation1k) {
    const c = conversation1k;
    rows.push({
      bench: 'engine',
      metric: 'conversation events (call.transcript read into cues, call.talking), 1,000 agents',
      value: Math.round(c.us * 100) / 100,
      unit: 'µs/event',
      baseline: { name: 'every other event of the same feed', value: Math.round(c.otherUs * 100) / 100 },
      ratio: ratio(c.us, c.otherUs),
      note: `${c.share.toFixed(0)} % of the feed's events; (fold with them − fold without them) ÷ their number, medians of ${RUNS}`,
    });
  }
  const base = perEvent.get(40);
  /** One row per floor size for a per-event cost, against the 40-agent cost: flat means a ratio near 1. */
  const flatRows = (what: (agents: string) => string, pick: (m: PerEvent) => number, note?: (m: PerEvent) => string) => {
    for (const agents of SIZES) {
      const m = perEvent.get(agents);
      if (!m || !base) continue;
      const r = ratio(pick(m), pick(base));
      rows.push({
        bench: 'engine',
        metric: what(agents.toLocaleString('en-US')),
        value: Math.round(pick(m) * 100) / 100,
        unit: 'µs/event',
        baseline: { name: 'same, 40 agents', value: Math.round(pick(base) * 100) / 100 },
        ratio: r,
        target: `flat: ≤ ${FLAT_FACTOR}× the 40-agent cost`,
        met: r !== undefined && r <= FLAT_FACTOR,
        ...(note ? { note: note(m) } : {}),
      });
    }
  };
  flatRows(
    (n) => `cost per event, ${n} agents (ticks included)`,
    (m) => m.us,
    (m) => `${m.eventsPerFeedSec.toFixed(1)} events per second of feed time; one tick costs ${m.tickUs.toFixed(1)} µs`,
  );
  // The same without the ticks: the per-event fold alone, which is what O(1) per event promises.
  flatRows((n) => `applyEvent + drain alone, ${n} agents`, (m) => m.applyUs);
  return rows;
};
