/**
 * Memory (issue 6): the server's resident set with 1,000 agents and 5,000
 * `/live` clients while a 1,000 events/s feed runs (`--quick`: 500 clients).
 * Read from `/proc/<pid>/status` (VmRSS, highest sample in the measured
 * window) of the server child. Baselines in the same run: the same server
 * idle (no agents, no clients), and a bare socket.io server with the same
 * clients and feed. Uses the freshness rig (`bench/lib/fresh-rig.ts`).
 */
import { FreshRig, type Scenario } from './lib/fresh-rig.ts';
import { ratio, type BenchRow, type BenchRun } from './types.ts';

const TARGET_MB = 300;
const AGENTS = 1_000;
const RATE_EPS = 1_000;

export const run: BenchRun = async ({ quick }) => {
  const clients = quick ? 500 : 5_000;
  const rig = new FreshRig({ workers: 4, redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' });
  const base: Omit<Scenario, 'label' | 'mode'> = { nodes: 1, clients, agents: AGENTS, rateEps: RATE_EPS, warmupMs: 2_000, windowMs: quick ? 3_000 : 5_000, sampleRss: true };
  try {
    await rig.start();
    const bare = await rig.run({ ...base, label: 'memory, bare socket.io', mode: 'bare' });
    const fw = await rig.run({ ...base, label: 'memory, 1 node', mode: 'floorwatch' });
    const loaded = fw.rssLoadedMb ?? NaN;
    const idle = fw.rssIdleMb ?? NaN;
    const bareLoaded = bare.rssLoadedMb ?? NaN;
    const cond = `${AGENTS.toLocaleString('en-US')} agents, ${clients.toLocaleString('en-US')} clients, ${RATE_EPS.toLocaleString('en-US')} events/s`;
    // The target is stated for 5,000 clients; a quick run reports without judging.
    const target = quick ? {} : { target: `< ${TARGET_MB} MB`, met: loaded < TARGET_MB };
    const rows: BenchRow[] = [
      {
        bench: 'memory',
        metric: `server RSS, ${cond}`,
        value: loaded,
        unit: 'MB',
        baseline: { name: 'same server idle, no agents, no clients', value: idle },
        ratio: ratio(loaded, idle),
        ...target,
        note: `highest VmRSS sample in a ${base.windowMs / 1000} s window after ${base.warmupMs / 1000} s of feed; ${fw.connected} clients connected`,
      },
      {
        bench: 'memory',
        metric: `server RSS, ${cond}, vs bare socket.io`,
        value: loaded,
        unit: 'MB',
        baseline: { name: 'bare socket.io, same clients and feed', value: bareLoaded },
        ratio: ratio(loaded, bareLoaded),
        ...target,
      },
      {
        bench: 'memory',
        metric: `server peak RSS (VmHWM, includes the clients' snapshots at connect), ${cond}`,
        value: fw.rssPeakMb ?? NaN,
        unit: 'MB',
        baseline: { name: 'bare socket.io', value: bare.rssPeakMb ?? NaN },
        ratio: ratio(fw.rssPeakMb ?? NaN, bare.rssPeakMb ?? NaN),
      },
    ];
    return rows;
  } finally {
    await rig.close();
  }
};
