/**
 * `npm run soak [-- --minutes N] [--clients N]`: the real server (a child
 * process) with the simulator at 10× speed, N /live clients following it.
 * Not part of `npm test` (30 minutes by default).
 *
 * Pass/fail, printed with a table of samples:
 * - memory flat: the server's RSS, sampled every minute (every 10 s in runs
 *   under 10 minutes), has a last-third mean within 20 % of the middle-third
 *   mean (the first third is warm-up: caches, JIT, the first alerts);
 * - no alert lost: every alert id any client saw raised (and not retracted)
 *   is in `GET /api/alerts` at the end;
 * - clients converge: at the end each client asks for a fresh snapshot and,
 *   at that same sequence number, its copy built from snapshot + deltas holds
 *   the same agents, live calls and alerts (queue KPIs are coalesced, so they
 *   may trail by one push and are not compared).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { io as ioClient, type Socket } from 'socket.io-client';
import { startChild, stopChild } from '../tests/server/faults/child.ts';
import { comparable, Mirror, stateOf } from '../tests/server/faults/mirror.ts';
import type { Alert } from '../shared/state.ts';
import type { Ack, FloorPayload, LiveClientToServer, LiveServerToClient, Snapshot } from '../shared/wire.ts';

/** Allowed drift of the last third's mean RSS from the middle third's: leaks show as steady growth well past this. */
const MEMORY_FLAT_PCT = 20;
const VIEW = 'soak-view-token';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : dflt;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name}: expected a positive number`);
  return v;
}

function rssMb(pid: number): number {
  return Number(execFileSync('ps', ['-o', 'rss=', '-p', String(pid)]).toString().trim()) / 1024;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type LiveSocket = Socket<LiveServerToClient, LiveClientToServer>;
interface Client {
  socket: LiveSocket;
  mirror: Mirror;
  kind: string;
}

interface Health {
  log: { events: number };
  engine: { liveCalls: number; openAlerts: number };
  live: { sockets: number; deltas: number; laggards: number; deltasDropped: number };
}

async function main(): Promise<void> {
  const minutes = arg('minutes', 30);
  const clientCount = Math.round(arg('clients', 200));
  const sampleMs = minutes >= 10 ? 60_000 : 10_000;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'floorwatch-soak-'));
  console.info(`soak: ${minutes} min, ${clientCount} clients, simulator at 10×, sampling every ${sampleMs / 1000} s`);
  const server = await startChild(['--simulator', 'on', '--speed', '10', '--port', '0', '--host', '127.0.0.1', '--demo', 'off', '--data', dataDir, '--max-connections-per-address', '0'], {
    FLOORWATCH_API_TOKENS: VIEW,
    FLOORWATCH_INGEST_TOKENS: 'soak-ingest-token',
  });
  const pid = server.proc.pid as number;
  const get = async <T>(p: string): Promise<T> => {
    const res = await fetch(`${server.url}${p}`, { headers: { authorization: `Bearer ${VIEW}` } });
    return ((await res.json()) as { data: T }).data;
  };

  const floor = await get<Snapshot<FloorPayload>>('/api/snapshot?scope=floor');
  const agentIds = floor.payload.agents.map((a) => a.agentId);
  const clients: Client[] = [];
  for (let i = 0; i < clientCount; i++) {
    // Like a real floor: mostly supervisors, some agents' own views, a few wallboards.
    const r = i % 10;
    const auth: Record<string, string> =
      r < 7 ? { scope: 'floor', token: VIEW } : r < 9 ? { scope: 'agent', agentId: agentIds[i % agentIds.length], token: VIEW } : { scope: 'wallboard', token: VIEW };
    const socket: LiveSocket = ioClient(`${server.url}/live`, { auth, transports: ['websocket'], forceNew: true, reconnection: true, reconnectionDelayMax: 2_000 });
    clients.push({ socket, mirror: new Mirror(socket), kind: auth.scope });
  }
  const t0 = Date.now();
  while (clients.some((c) => c.mirror.state === null)) {
    if (Date.now() - t0 > 30_000) throw new Error('clients did not all receive a snapshot within 30 s');
    await sleep(50);
  }

  const samples: { atMin: number; rssMb: number; events: number; liveCalls: number; openAlerts: number; sockets: number; deltas: number; dropped: number }[] = [];
  const endAt = Date.now() + minutes * 60_000;
  const sample = async () => {
    const h = await get<Health>('/api/health');
    samples.push({
      atMin: (Date.now() - t0) / 60_000,
      rssMb: rssMb(pid),
      events: h.log.events,
      liveCalls: h.engine.liveCalls,
      openAlerts: h.engine.openAlerts,
      sockets: h.live.sockets,
      deltas: h.live.deltas,
      dropped: h.live.deltasDropped,
    });
  };
  await sample();
  while (Date.now() < endAt) {
    await sleep(Math.min(sampleMs, Math.max(0, endAt - Date.now())));
    await sample();
    const s = samples[samples.length - 1];
    console.info(`  ${s.atMin.toFixed(1)} min: rss ${s.rssMb.toFixed(0)} MB, ${s.events} events, ${s.sockets} sockets`);
  }

  // Convergence: each client's copy at the sequence of a fresh snapshot equals that snapshot.
  let converged = 0;
  const diverged: string[] = [];
  await Promise.all(
    clients.map(
      (c, i) =>
        new Promise<void>((resolve) => {
          const timer = setTimeout(() => (diverged.push(`client ${i}: no answer`), resolve()), 10_000);
          c.socket.emit('live:resync', (r: Ack<Snapshot>) => {
            clearTimeout(timer);
            if (!r.ok || !c.mirror.state) diverged.push(`client ${i}: ${r.ok ? 'no state' : r.error}`);
            else if (c.mirror.seq !== r.data.seq) diverged.push(`client ${i} (${c.kind}): at seq ${c.mirror.seq}, snapshot at ${r.data.seq}`);
            else {
              const fresh = stateOf(r.data.payload);
              const mine = c.mirror.state;
              const opts = { stateOnly: true };
              // Alerts: the snapshot carries the open and recent ones; a copy may hold older ones too, but must agree on these.
              const same =
                JSON.stringify(comparable({ ...mine, alerts: new Map() }, opts)) === JSON.stringify(comparable({ ...fresh, alerts: new Map() }, opts)) &&
                [...fresh.alerts.values()].every((a) => JSON.stringify(mine.alerts.get(a.id)) === JSON.stringify(a));
              if (same) converged++;
              else diverged.push(`client ${i} (${c.kind}): copy differs from the snapshot at seq ${r.data.seq}`);
            }
            // The next snapshot supersedes the copy anyway: take it, as the client would.
            if (r.ok) c.mirror.hydrate(r.data);
            resolve();
          });
        }),
    ),
  );

  // No alert lost: every alert a client saw raised, and not retracted, is in the record.
  const seen = new Set<string>();
  const retracted = new Set<string>();
  for (const c of clients) {
    for (const id of c.mirror.alertIdsSeen) seen.add(id);
    for (const id of c.mirror.alertIdsRetracted) retracted.add(id);
  }
  const recorded = new Set<string>();
  let untilMs: number | undefined;
  for (;;) {
    const page = await get<Alert[]>(`/api/alerts?limit=5000${untilMs === undefined ? '' : `&untilMs=${untilMs}`}`);
    for (const a of page) recorded.add(a.id);
    if (page.length < 5000) break;
    untilMs = Math.min(...page.map((a) => a.raisedAtMs)) + 1;
    if (page.every((a) => a.raisedAtMs >= (untilMs as number) - 1)) break;
  }
  const lost = [...seen].filter((id) => !retracted.has(id) && !recorded.has(id));

  for (const c of clients) c.socket.close();
  await stopChild(server);
  fs.rmSync(dataDir, { recursive: true, force: true });

  // Memory: middle third against last third of the samples.
  const third = Math.floor(samples.length / 3);
  const middle = samples.slice(third, 2 * third).map((s) => s.rssMb);
  const last = samples.slice(2 * third).map((s) => s.rssMb);
  const driftPct = middle.length && last.length ? ((mean(last) - mean(middle)) / mean(middle)) * 100 : 0;
  const memoryFlat = samples.length >= 3 && Math.abs(driftPct) <= MEMORY_FLAT_PCT;

  console.info('\n| min | RSS MB | events in log | live calls | open alerts | sockets | deltas sent | deltas dropped (slow sockets) |');
  console.info('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const s of samples) {
    console.info(`| ${s.atMin.toFixed(1)} | ${s.rssMb.toFixed(0)} | ${s.events} | ${s.liveCalls} | ${s.openAlerts} | ${s.sockets} | ${s.deltas} | ${s.dropped} |`);
  }
  const checks = [
    { name: `memory flat (last third within ${MEMORY_FLAT_PCT} % of middle third)`, ok: memoryFlat, detail: `${mean(middle).toFixed(0)} → ${mean(last).toFixed(0)} MB (${driftPct >= 0 ? '+' : ''}${driftPct.toFixed(1)} %)` },
    { name: 'no alert lost', ok: lost.length === 0, detail: `${seen.size} alerts seen by clients (${retracted.size} retracted), ${recorded.size} recorded, ${lost.length} missing${lost.length ? `: ${lost.slice(0, 5).join(', ')}` : ''}` },
    { name: 'clients converge to the server', ok: diverged.length === 0, detail: `${converged} of ${clients.length}${diverged.length ? `; ${diverged.slice(0, 5).join('; ')}` : ''}` },
  ];
  console.info('');
  for (const c of checks) console.info(`${c.ok ? 'PASS' : 'FAIL'}  ${c.name}: ${c.detail}`);
  process.exit(checks.every((c) => c.ok) ? 0 : 1);
}

main().catch((err: Error) => {
  console.error(`soak: ${err.message}`);
  process.exit(2);
});
