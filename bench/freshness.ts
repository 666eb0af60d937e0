/**
 * Freshness (issues 6 and 7): an event sent by a producer → received by the
 * supervisors' `/live` clients, p50 and p99, at 1,000 events/s with 500,
 * 2,000 and 5,000 clients (`--quick`: 200 and 500, shorter windows).
 *
 * - One node: the real server (`createServer`, SQLite log) in its own
 *   process; baseline: a bare socket.io server that answers the same ingest
 *   and broadcasts deltas of the same shape and size to the same room, with
 *   the same clients, workers and rate, in the same run.
 * - Two nodes (cluster mode on Redis): the producer ingests on node A,
 *   half the clients are on A and half on B; baseline: the one-node figure.
 *   Skipped, with a note, when Redis does not answer.
 *
 * Environment: `REDIS_URL` (default redis://127.0.0.1:6379);
 * `FRESH_CLIENTS=2000,5000` to run other client counts;
 * `FRESH_CPU_PROF=DIR` writes a CPU profile of every server child to DIR.
 */
import { FreshRig, redisReachable, type Scenario, type ScenarioResult } from './lib/fresh-rig.ts';
import { ratio, type BenchRow, type BenchRun } from './types.ts';

const RATE_EPS = 1_000;
const AGENTS = 1_000;
/** Client processes: the sockets are spread over these (two per node in cluster mode). */
const WORKERS = 4;
/** The target: p99 under 100 ms at 2,000 clients. */
const TARGET_P99_MS = 100;
const TARGET_CLIENTS = 2_000;

const n = (v: number) => v.toLocaleString('en-US');

function clientCounts(quick: boolean): number[] {
  const env = process.env.FRESH_CLIENTS;
  if (env) {
    const list = env.split(',').map((s) => Number(s.trim()));
    if (list.every((c) => Number.isInteger(c) && c > 0)) return list;
    throw new Error(`FRESH_CLIENTS: expected comma-separated client counts, got "${env}"`);
  }
  return quick ? [200, 500] : [500, 2_000, 5_000];
}

function describe(r: ScenarioResult): string {
  const parts = [`${(r.delivered * 100).toFixed(1)} % of receipts counted`, `max ${Math.round(r.maxMs)} ms`, `${r.deltasPerClientSec.toFixed(0)} deltas/s per client`, `ingest ack p99 ${r.ackP99Ms.toFixed(1)} ms`, `CPU cores busy: server ${r.serverCores.toFixed(2)}, clients ${r.clientCores.toFixed(2)}`, `ramp ${r.rampSec.toFixed(0)} s (server CPU ${r.rampServerCpuSec.toFixed(1)} s)`];
  if (r.failed) parts.push(`${r.failed} clients failed to connect`);
  if (r.disconnects) parts.push(`${r.disconnects} disconnects`);
  if (r.ingestErrors) parts.push(`${r.ingestErrors} ingest batches failed`);
  return parts.join('; ');
}

export const run: BenchRun = async ({ quick }) => {
  const counts = clientCounts(quick);
  const windowMs = quick ? 4_000 : 10_000;
  const warmupMs = quick ? 500 : 2_000;
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const redisOk = await redisReachable(redisUrl);
  if (!redisOk) {
    process.stderr.write(`\n  freshness: *** Redis does not answer at ${redisUrl}: the two-node rows are SKIPPED ***\n\n`);
  }
  const rows: BenchRow[] = [];
  const rig = new FreshRig({ workers: WORKERS, cpuProfDir: process.env.FRESH_CPU_PROF, redisUrl });
  try {
    await rig.start();
    for (const clients of counts) {
      const base = { clients, agents: AGENTS, rateEps: RATE_EPS, warmupMs, windowMs };
      const scenario = (label: string, mode: Scenario['mode'], nodes: 1 | 2): Scenario => ({ ...base, label: `${label}, ${n(clients)} clients`, mode, nodes });
      // Baseline first, then the server under test, back to back: the same noise for both.
      const bare = await rig.run(scenario('bare socket.io', 'bare', 1));
      const one = await rig.run(scenario('1 node', 'floorwatch', 1));
      const two = redisOk ? await rig.run(scenario('2 nodes', 'floorwatch', 2)) : undefined;
      const targeted = clients === TARGET_CLIENTS;
      const cond = `${n(clients)} clients, ${n(RATE_EPS)} events/s`;
      rows.push(
        {
          bench: 'freshness',
          metric: `p50 sent→received, ${cond}, 1 node`,
          value: one.p50Ms,
          unit: 'ms',
          baseline: { name: 'bare socket.io', value: bare.p50Ms },
          ratio: ratio(one.p50Ms, bare.p50Ms),
          note: `${describe(one)} | baseline: ${describe(bare)}`,
        },
        {
          bench: 'freshness',
          metric: `p99 sent→received, ${cond}, 1 node`,
          value: one.p99Ms,
          unit: 'ms',
          baseline: { name: 'bare socket.io', value: bare.p99Ms },
          ratio: ratio(one.p99Ms, bare.p99Ms),
          ...(targeted ? { target: `< ${TARGET_P99_MS} ms`, met: one.p99Ms < TARGET_P99_MS } : {}),
          note: redisOk ? undefined : `two-node rows skipped: Redis does not answer at ${redisUrl}`,
        },
      );
      if (two) {
        rows.push(
          {
            bench: 'freshness',
            metric: `p50 sent→received, ${cond}, 2 nodes (half the clients on each)`,
            value: two.p50Ms,
            unit: 'ms',
            baseline: { name: '1 node', value: one.p50Ms },
            ratio: ratio(two.p50Ms, one.p50Ms),
            note: describe(two),
          },
          {
            bench: 'freshness',
            metric: `p99 sent→received, ${cond}, 2 nodes (half the clients on each)`,
            value: two.p99Ms,
            unit: 'ms',
            baseline: { name: '1 node', value: one.p99Ms },
            ratio: ratio(two.p99Ms, one.p99Ms),
            ...(targeted ? { target: `< ${TARGET_P99_MS} ms`, met: two.p99Ms < TARGET_P99_MS } : {}),
          },
        );
      }
    }
  } finally {
    await rig.close();
  }
  return rows;
};
