/**
 * The browser benchmark's producer, in a process of its own so that neither
 * the server nor the browser shares its event loop:
 * `node --import tsx bench/lib/browser-feeder.ts '<json options>'`.
 *
 * 1. Posts the warm-up (the simulator's floor up to "now") as fast as the
 *    server takes it, then prints `{"warm":N}`.
 * 2. On a `go [MS]` line on stdin, posts the rest at `rate` events/s in a
 *    batch every MS ms (default 100; a later `go MS` changes the cadence, not
 *    the rate). `mark` prints `{"sent":N,"ms":T}` so far; `stop` prints it and exits.
 */
import readline from 'node:readline';
import type { FeedEvent } from '../../shared/events.ts';
import { feedSeconds } from './feed.ts';

export interface FeederOptions {
  url: string;
  token: string;
  agents: number;
  seed: number;
  startMs: number;
  warmupSec: number;
  /** Live events per second. */
  rate: number;
  /** Most live events to prepare (rate × longest run). */
  liveEvents: number;
}

/** Live batches go out ten times a second by default: smooth enough to look like a feed, few enough to stay cheap. */
const SEND_EVERY_MS = 100;
const WARM_BATCH = 1_000;

async function post(o: FeederOptions, events: FeedEvent[]): Promise<void> {
  const res = await fetch(`${o.url}/api/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${o.token}` },
    body: JSON.stringify(events),
  });
  if (!res.ok) throw new Error(`POST /api/events answered ${res.status}: ${await res.text()}`);
}

async function main(): Promise<void> {
  const o = JSON.parse(process.argv[2] ?? '{}') as FeederOptions;
  const warm: FeedEvent[] = [];
  const live: FeedEvent[] = [];
  // Lazy: the generator stops being pulled once enough live events are ready (an hour of feed time is a ceiling).
  for (const sec of feedSeconds({ agents: o.agents, seed: o.seed, startMs: o.startMs, seconds: o.warmupSec + 3_600 })) {
    if (sec.atMs <= o.startMs + o.warmupSec * 1000) warm.push(...sec.events);
    else live.push(...sec.events);
    if (live.length >= o.liveEvents) break;
  }
  for (let i = 0; i < warm.length; i += WARM_BATCH) await post(o, warm.slice(i, i + WARM_BATCH));
  process.stdout.write(JSON.stringify({ warm: warm.length }) + '\n');

  const lines = readline.createInterface({ input: process.stdin });
  let stopped = false;
  let started = 0;
  let sent = 0;
  let timer: NodeJS.Timeout | undefined;
  let busy = false;
  const pump = () => {
    if (busy || stopped) return;
    // Catch up to the events due by now, so a slow answer does not lower the rate.
    const due = Math.min(live.length, Math.floor(((performance.now() - started) / 1000) * o.rate));
    if (due <= sent) return;
    busy = true;
    const batch = live.slice(sent, due);
    sent = due;
    post(o, batch).then(
      () => {
        busy = false;
      },
      (err: unknown) => {
        process.stderr.write(`feeder: ${err instanceof Error ? err.message : String(err)}\n`);
        busy = false;
      },
    );
  };
  const report = () => process.stdout.write(JSON.stringify({ sent, ms: Math.round(performance.now() - started) }) + '\n');
  lines.on('line', (line) => {
    const [cmd, arg] = line.trim().split(/\s+/);
    if (cmd === 'go') {
      if (!timer) started = performance.now();
      else clearInterval(timer);
      timer = setInterval(pump, Number(arg) > 0 ? Number(arg) : SEND_EVERY_MS);
    } else if (cmd === 'mark') {
      report();
    } else if (cmd === 'stop') {
      stopped = true;
      if (timer) clearInterval(timer);
      report();
      lines.close();
      process.exit(0);
    }
  });
}

void main().catch((err: unknown) => {
  process.stderr.write(`feeder: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
