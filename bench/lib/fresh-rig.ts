/**
 * The rig behind the freshness and memory benchmarks: the server under test
 * (one or two nodes) in child processes, `/live` clients spread over a few
 * worker processes, and a producer in this process that ingests
 * `agent.state` events at a fixed rate over the `/ingest` socket.
 *
 * Latency is "sent by the producer → received by a client": each event's
 * `reason` carries the producer's send time, the floor delta repeats it in
 * the agent's view, and the clients subtract it from their receipt time on
 * the same machine clock. Send rather than ack time makes the figure include
 * validation and the durable append; the ack round trip is reported too.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import { io as ioClient, type Socket } from 'socket.io-client';
import type { FloorEventInput } from '../../shared/events.ts';
import type { Ack, IngestClientToServer, IngestResult, IngestServerToClient } from '../../shared/wire.ts';
import { openRedisLog } from '../../server/log/redis.ts';
import { percentile } from '../types.ts';
import {
  ChildSet,
  LatencyHistogram,
  MARK_MEASURED,
  MARK_WARMUP,
  cpuSec,
  nextMessage,
  nowMs,
  rssMb,
  type ServerChildArgs,
  type ServerChildMessage,
  type ServerMode,
  type WorkerCommand,
  type WorkerMessage,
  type WorkerReport,
} from './fresh-proto.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const SERVER_MODULE = path.join(here, 'fresh-server.ts');
const WORKER_MODULE = path.join(here, 'clients-worker.ts');

/** The producer sends a batch every 10 ms: 10 events at 1,000 events/s, as a PBX adapter with a short flush would. */
const PRODUCER_TICK_MS = 10;
/** Handshakes in flight per worker while ramping up. */
const RAMP_BATCH = 100;

type IngestSocket = Socket<IngestServerToClient, IngestClientToServer>;

export interface Scenario {
  label: string;
  mode: ServerMode;
  nodes: 1 | 2;
  clients: number;
  agents: number;
  rateEps: number;
  warmupMs: number;
  windowMs: number;
  /** Read the server's RSS before anything is loaded and during the measured window. */
  sampleRss?: boolean;
}

export interface ScenarioResult {
  label: string;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Receipts counted ÷ (measured events × clients). */
  delivered: number;
  measuredEvents: number;
  connected: number;
  failed: number;
  disconnects: number;
  ackP50Ms: number;
  ackP99Ms: number;
  ingestErrors: number;
  /** CPU cores busy during the measured window: the server node(s), and all client workers together. */
  serverCores: number;
  clientCores: number;
  /** Deltas each client received a second, on average over warm-up and window. */
  deltasPerClientSec: number;
  /** Node A's RSS, MB: before any agent or client, and the highest sample in the window. */
  rssIdleMb?: number;
  rssLoadedMb?: number;
  rssPeakMb?: number;
  rampSec: number;
  /** CPU seconds the server node(s) spent while the clients connected (snapshots, handshakes). */
  rampServerCpuSec: number;
}

export interface RigOptions {
  workers: number;
  /** Directory for the server children's CPU profiles (`--cpu-prof`), if wanted. */
  cpuProfDir?: string;
  redisUrl: string;
}

function log(msg: string): void {
  process.stderr.write(`  freshness: ${msg}\n`);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Whether Redis answers at `url` within a second or two. */
export async function redisReachable(url: string): Promise<boolean> {
  try {
    const l = await openRedisLog({ url, prefix: `fwbench-probe-${randomBytes(4).toString('hex')}` });
    await l.close();
    return true;
  } catch {
    return false;
  }
}

export class FreshRig {
  private readonly children = new ChildSet();
  private workers: ChildProcess[] = [];

  constructor(private readonly opts: RigOptions) {}

  async start(): Promise<void> {
    this.workers = Array.from({ length: this.opts.workers }, (_, i) => this.children.forkTs(WORKER_MODULE, [], { label: `clients-${i}` }));
    await Promise.all(this.workers.map((w, i) => nextMessage<WorkerMessage, true>(w, (m) => (m.type === 'ready' ? true : undefined), 30_000, `client worker ${i}`)));
  }

  /** Stops every child: call it in `finally`. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => this.children.stop(w, { type: 'close' }, 100).catch(() => undefined)));
    this.children.killAll();
  }

  private command<T>(w: ChildProcess, cmd: WorkerCommand, pick: (m: WorkerMessage) => T | undefined, timeoutMs: number): Promise<T> {
    const answer = nextMessage<WorkerMessage, T>(w, pick, timeoutMs, `client worker: ${cmd.type}`);
    w.send(cmd);
    return answer;
  }

  private async startServer(mode: ServerMode, dataDir: string, tokens: { ingest: string; view: string }, redisPrefix?: string): Promise<{ child: ChildProcess; url: string }> {
    const args: ServerChildArgs = { mode, dataDir, ingestToken: tokens.ingest, viewToken: tokens.view, ...(redisPrefix ? { redisUrl: this.opts.redisUrl, redisPrefix } : {}) };
    fs.mkdirSync(dataDir, { recursive: true });
    const execArgv = this.opts.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${this.opts.cpuProfDir}`] : [];
    const child = this.children.forkTs(SERVER_MODULE, [JSON.stringify(args)], { label: `server ${mode}`, execArgv });
    const ready = await nextMessage<ServerChildMessage, ServerChildMessage>(child, (m) => (m.type === 'ready' || m.type === 'failed' ? m : undefined), 60_000, `${mode} server`);
    if (ready.type === 'failed') throw new Error(`${mode} server did not start: ${ready.error}`);
    return { child, url: `http://127.0.0.1:${ready.port}` };
  }

  async run(s: Scenario): Promise<ScenarioResult> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fw-bench-'));
    const tokens = { ingest: `ingest-${randomBytes(9).toString('hex')}`, view: `view-${randomBytes(9).toString('hex')}` };
    const prefix = s.nodes === 2 ? `fwbench-${Date.now()}-${randomBytes(4).toString('hex')}` : undefined;
    const servers: ChildProcess[] = [];
    let producer: IngestSocket | undefined;
    try {
      const a = await this.startServer(s.mode, path.join(dir, 'a'), tokens, prefix);
      servers.push(a.child);
      const urls = [a.url];
      if (s.nodes === 2) {
        const b = await this.startServer(s.mode, path.join(dir, 'b'), tokens, prefix);
        servers.push(b.child);
        urls.push(b.url);
      }
      const pid = a.child.pid ?? -1;
      let rssIdleMb: number | undefined;
      if (s.sampleRss) {
        await sleep(2_000);
        rssIdleMb = rssMb(pid);
      }

      producer = await connectProducer(a.url, tokens.ingest);
      const agentIds = Array.from({ length: s.agents }, (_, i) => `bench-${i}`);
      const seed: FloorEventInput[] = agentIds.map((agentId, i) => ({ type: 'agent.state', id: `seed-${agentId}`, at: Date.now(), agentId, state: 'available', name: `Agent ${i}`, team: `team-${i % 20}` }));
      const seeded = await ingest(producer, seed);
      if (!seeded.ok) throw new Error(`seeding agents failed: ${seeded.error}`);
      // In cluster mode node B folds the seed from the stream: give it a moment so that its snapshots carry the agents.
      if (s.nodes === 2) await sleep(500);

      // Clients: split over the workers; with two nodes, half the workers on each.
      const t0 = Date.now();
      const rampCpu0 = servers.reduce((n, c) => n + cpuSec(c.pid ?? -1), 0);
      const per = splitEvenly(s.clients, this.workers.length);
      const connected = await Promise.all(
        this.workers.map((w, i) =>
          this.command(
            w,
            { type: 'connect', url: urls[s.nodes === 2 && i >= this.workers.length / 2 ? 1 : 0], token: tokens.view, count: per[i], batch: RAMP_BATCH },
            (m) => (m.type === 'connected' ? m : undefined),
            300_000,
          ),
        ),
      );
      const rampSec = (Date.now() - t0) / 1000;
      const rampServerCpuSec = servers.reduce((n, c) => n + cpuSec(c.pid ?? -1), 0) - rampCpu0;
      const nConnected = connected.reduce((n, c) => n + c.connected, 0);
      const nFailed = connected.reduce((n, c) => n + c.failed, 0);
      log(`${s.label}: ${nConnected} clients connected in ${rampSec.toFixed(1)} s (server CPU ${rampServerCpuSec.toFixed(1)} s)${nFailed ? `, ${nFailed} failed (${connected.find((c) => c.firstError)?.firstError})` : ''}`);
      if (nConnected === 0) throw new Error(`${s.label}: no client could connect`);

      // Feed: warm-up (not counted), then the measured window.
      await Promise.all(this.workers.map((w) => this.command(w, { type: 'reset' }, (m) => (m.type === 'reset-done' ? true : undefined), 30_000)));
      let rssLoadedMb: number | undefined;
      const rssTimer = s.sampleRss
        ? setInterval(() => {
            if (!feed.measuring()) return;
            const v = rssMb(pid);
            if (!Number.isNaN(v)) rssLoadedMb = Math.max(rssLoadedMb ?? 0, v);
          }, 250)
        : undefined;
      const feed = startFeed(producer, agentIds, s.rateEps, s.warmupMs);
      await sleep(s.warmupMs);
      const cpuOf = (cs: ChildProcess[]) => cs.reduce((n, c) => n + cpuSec(c.pid ?? -1), 0);
      const cpu0 = { server: cpuOf(servers), clients: cpuOf(this.workers), at: nowMs() };
      await sleep(s.windowMs);
      const cpuWallSec = (nowMs() - cpu0.at) / 1000;
      const serverCores = (cpuOf(servers) - cpu0.server) / cpuWallSec;
      const clientCores = (cpuOf(this.workers) - cpu0.clients) / cpuWallSec;
      const produced = feed.stop();
      if (rssTimer) clearInterval(rssTimer);
      const rssPeakMb = s.sampleRss ? rssMb(pid, 'VmHWM') : undefined;

      // Drain: late receipts are the slow tail, so wait for them (within reason).
      const expected = produced.measured * nConnected;
      let reports: WorkerReport[] = [];
      let lastCount = -1;
      const drainUntil = Date.now() + 8_000;
      while (Date.now() < drainUntil) {
        await sleep(500);
        reports = await Promise.all(this.workers.map((w) => this.command(w, { type: 'report' }, (m) => (m.type === 'report' ? m : undefined), 60_000)));
        const count = reports.reduce((n, r) => n + r.count, 0);
        if (count >= expected || count === lastCount) break;
        lastCount = count;
      }
      await feed.settled(5_000);
      const hist = new LatencyHistogram();
      for (const r of reports) hist.merge(r.buckets, r.maxMs);
      const acks = produced.ackMs;
      const result: ScenarioResult = {
        label: s.label,
        p50Ms: hist.percentile(50),
        p99Ms: hist.percentile(99),
        maxMs: hist.maxMs,
        delivered: expected === 0 ? 0 : hist.count / expected,
        measuredEvents: produced.measured,
        connected: nConnected,
        failed: nFailed,
        disconnects: reports.reduce((n, r) => n + r.disconnects, 0),
        ackP50Ms: percentile(acks, 50),
        ackP99Ms: percentile(acks, 99),
        ingestErrors: produced.errors.length,
        serverCores,
        clientCores,
        deltasPerClientSec: reports.reduce((n, r) => n + r.deltas, 0) / nConnected / ((s.warmupMs + s.windowMs) / 1000),
        rssIdleMb,
        rssLoadedMb,
        rssPeakMb,
        rampSec,
        rampServerCpuSec,
      };
      if (produced.errors.length) log(`${s.label}: ${produced.errors.length} ingest batches failed, first: ${produced.errors[0]}`);
      log(
        `${s.label}: p50 ${result.p50Ms.toFixed(1)} ms, p99 ${result.p99Ms.toFixed(1)} ms, max ${result.maxMs.toFixed(0)} ms, ` +
          `delivered ${(result.delivered * 100).toFixed(1)} %, ${result.deltasPerClientSec.toFixed(0)} deltas/s per client, ack p99 ${result.ackP99Ms.toFixed(1)} ms, ` +
          `CPU cores: server ${serverCores.toFixed(2)}, clients ${clientCores.toFixed(2)}` +
          (s.sampleRss ? `, RSS idle ${rssIdleMb?.toFixed(0)} MB, loaded ${rssLoadedMb?.toFixed(0)} MB, peak ${rssPeakMb?.toFixed(0)} MB` : ''),
      );
      return result;
    } finally {
      producer?.close();
      await Promise.all(this.workers.map((w) => this.command(w, { type: 'close' }, (m) => (m.type === 'reset-done' ? true : undefined), 60_000).catch(() => undefined)));
      await Promise.all(servers.map((c) => this.children.stop(c, { type: 'stop' })));
      fs.rmSync(dir, { recursive: true, force: true });
      if (prefix) await purgeRedis(this.opts.redisUrl, prefix);
    }
  }
}

function splitEvenly(total: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));
}

async function purgeRedis(url: string, prefix: string): Promise<void> {
  try {
    const l = await openRedisLog({ url, prefix });
    await l.purge();
    await l.close();
  } catch (err) {
    process.stderr.write(`  freshness: could not delete the Redis keys ${prefix}:* (${(err as Error).message}); delete them by hand\n`);
  }
}

function connectProducer(url: string, token: string): Promise<IngestSocket> {
  return new Promise((resolve, reject) => {
    const socket: IngestSocket = ioClient(`${url}/ingest`, { transports: ['websocket'], forceNew: true, auth: { token } });
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error('producer: the ingest socket did not get ready within 30 s'));
    }, 30_000);
    socket.once('ingest:ready', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('connect_error', (err) => {
      clearTimeout(timer);
      socket.close();
      reject(new Error(`producer: ${err.message}`));
    });
  });
}

function ingest(socket: IngestSocket, events: FloorEventInput[]): Promise<Ack<IngestResult>> {
  return new Promise((resolve) => socket.emit('events:ingest', events, resolve));
}

interface Feed {
  measuring(): boolean;
  stop(): { measured: number; ackMs: number[]; errors: string[] };
  /** Waits for outstanding acks, at most `ms`. */
  settled(ms: number): Promise<void>;
}

/**
 * Sends `rateEps` agent state changes a second in a batch every
 * {@link PRODUCER_TICK_MS}, round-robin over the agents, each with its send
 * time in `reason`.
 */
function startFeed(socket: IngestSocket, agentIds: string[], rateEps: number, warmupMs: number): Feed {
  const tag = randomBytes(4).toString('hex');
  const t0 = nowMs();
  let sent = 0;
  let measured = 0;
  let inflight = 0;
  let inWindow = false;
  const ackMs: number[] = [];
  const errors: string[] = [];
  const timer = setInterval(() => {
    const t = nowMs();
    const due = Math.floor(((t - t0) * rateEps) / 1000) - sent;
    if (due <= 0) return;
    // After a stall, catch up by at most a second's worth rather than flooding.
    const n = Math.min(due, rateEps);
    inWindow = t - t0 >= warmupMs;
    const mark = (inWindow ? MARK_MEASURED : MARK_WARMUP) + t.toFixed(3);
    const events: FloorEventInput[] = [];
    for (let i = 0; i < n; i++) {
      const k = sent + i;
      const agentId = agentIds[k % agentIds.length];
      // Alternate presence each round so every event is a visible change.
      const state = Math.floor(k / agentIds.length) % 2 === 0 ? 'away' : 'available';
      events.push({ type: 'agent.state', id: `${tag}-${k}`, at: Math.round(t), agentId, state, reason: mark });
    }
    sent += n;
    const counted = inWindow;
    if (counted) measured += n;
    inflight++;
    socket.emit('events:ingest', events, (r) => {
      inflight--;
      if (counted) ackMs.push(nowMs() - t);
      if (!r.ok) errors.push(r.error);
      else if (r.data.rejected.length) errors.push(r.data.rejected[0].error);
    });
  }, PRODUCER_TICK_MS);
  return {
    measuring: () => inWindow,
    stop() {
      clearInterval(timer);
      return { measured, ackMs, errors };
    },
    async settled(ms) {
      const until = Date.now() + ms;
      while (inflight > 0 && Date.now() < until) await sleep(50);
    },
  };
}
