/**
 * The server under test, as its own process so that clients and producer do
 * not share its event loop. Forked by the freshness and memory benchmarks:
 *
 *   fresh-server.ts '<ServerChildArgs as JSON>'
 *
 * `floorwatch`: the real `createServer` (SQLite log in a temporary folder, or
 * the Redis stream in cluster mode), no simulator, static tokens.
 * `bare`: the baseline, a bare socket.io server with the same namespaces that
 * answers ingest and broadcasts deltas of the same shape and size to the
 * same room, with no engine, no log and no selectors behind them.
 *
 * Answers `{ type: 'ready', port }` over IPC; stops on `{ type: 'stop' }` or
 * when the bench process goes away.
 */
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { Server as IoServer, type Namespace } from 'socket.io';
import { createServer } from '../../server/app.ts';
import { openSqliteLog } from '../../server/log/sqlite.ts';
import { openRedisLog } from '../../server/log/redis.ts';
import { AuthStore } from '../../server/auth/store.ts';
import { defaultConfig } from '../../shared/config.ts';
import { applyEvent, createFloorState } from '../../shared/engine.ts';
import { selectAgentView, selectTotals } from '../../shared/selectors.ts';
import { diffAgentView, type AgentPatch } from '../../shared/agent-patch.ts';
import type { AgentView, Delta, FloorPayload, IngestClientToServer, IngestResult, IngestServerToClient, LiveClientToServer, LiveServerToClient } from '../../shared/wire.ts';
import type { ServerChildArgs, ServerChildMessage, ServerParentMessage } from './fresh-proto.ts';

/** As the real server: KPI pushes at most every 250 ms. */
const KPI_PUSH_MS = 250;

function send(m: ServerChildMessage): void {
  process.send?.(m);
}

async function startFloorwatch(a: ServerChildArgs): Promise<{ port: number; close: () => Promise<void> }> {
  const log = a.redisUrl ? await openRedisLog({ url: a.redisUrl, prefix: a.redisPrefix }) : openSqliteLog({ file: path.join(a.dataDir, 'floorwatch.db') });
  const auth = new AuthStore(':memory:');
  const server = createServer({
    log,
    auth,
    ingestTokens: [a.ingestToken],
    viewTokens: [a.viewToken],
    demo: false,
    // The bench's thousands of clients all come from loopback.
    maxConnectionsPerAddress: 0,
    logger: { info: () => {}, warn: (m: unknown) => console.error(m), error: (m: unknown) => console.error(m) },
  });
  const port = await server.listen(0, '127.0.0.1');
  return {
    port,
    close: async () => {
      await server.close();
      await log.close();
      auth.close();
    },
  };
}

/** An agent view as the real selectors make it, so the baseline's deltas have the same size. */
function agentTemplate(): AgentView {
  const s = createFloorState(defaultConfig(), Date.now());
  applyEvent(s, { type: 'agent.state', id: 'template', at: Date.now(), agentId: 'template', state: 'available', name: 'template' });
  const a = s.agents.get('template');
  if (!a) throw new Error('template agent missing');
  return selectAgentView(s, a);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

async function startBare(a: ServerChildArgs): Promise<{ port: number; close: () => Promise<void> }> {
  const httpServer = http.createServer();
  const io = new IoServer(httpServer, { serveClient: false, maxHttpBufferSize: 16 * 1024 * 1024 });
  const live = io.of('/live') as Namespace<LiveClientToServer, LiveServerToClient>;
  const ingest = io.of('/ingest') as Namespace<IngestClientToServer, IngestServerToClient>;
  const template = agentTemplate();
  const totals = selectTotals(createFloorState(defaultConfig(), Date.now()));
  const config = defaultConfig();
  const views = new Map<string, AgentView>();
  let seq = 0;
  let kpiTimer: NodeJS.Timeout | undefined;
  let lastKpiMs = -Infinity;

  live.use((socket, next) => {
    const token = (socket.handshake.auth as Record<string, unknown>).token;
    next(token === a.viewToken ? undefined : new Error('sign in first'));
  });
  live.on('connection', (socket) => {
    void socket.join('floor');
    const payload: FloorPayload = { queues: [], totals, agents: [...views.values()], calls: [], alerts: [], intervals: {}, voicemails: [], callbacks: [], ticker: [] };
    const now = Date.now();
    socket.emit('live:snapshot', { scope: { kind: 'floor' }, seq, serverNowMs: now, day: { startMs: now, endMs: now }, config, payload });
  });
  const emit = (d: Omit<Delta, 'seq' | 'serverNowMs'>) => live.to('floor').emit('live:delta', { seq: ++seq, serverNowMs: Date.now(), ...d });
  const scheduleKpis = () => {
    if (kpiTimer) return;
    kpiTimer = setTimeout(
      () => {
        kpiTimer = undefined;
        lastKpiMs = performance.now();
        emit({ queues: [], totals, intervals: {} });
      },
      Math.max(0, KPI_PUSH_MS - (performance.now() - lastKpiMs)),
    );
  };

  ingest.use((socket, next) => {
    const token = (socket.handshake.auth as Record<string, unknown>).token;
    next(token === a.ingestToken ? undefined : new Error('invalid ingest token'));
  });
  // What arrives in one event-loop turn goes out as one delta, as Floorwatch's group commit does.
  const pending = new Map<string, AgentView>();
  // Agents go out as Floorwatch sends them: the fields that changed since the last delta.
  const sent = new Map<string, AgentView>();
  let flushScheduled = false;
  const flush = () => {
    flushScheduled = false;
    if (pending.size === 0) return;
    const patches: AgentPatch[] = [];
    for (const view of pending.values()) {
      const patch = diffAgentView(sent.get(view.agentId), view);
      if (patch) patches.push(patch);
      sent.set(view.agentId, view);
    }
    emit({ agents: patches });
    pending.clear();
    scheduleKpis();
  };
  ingest.on('connection', (socket) => {
    socket.on('events:ingest', (events, ack) => {
      if (typeof ack !== 'function') return;
      const list = Array.isArray(events) ? (events as unknown[]) : [events];
      let accepted = 0;
      for (const e of list) {
        if (!isRecord(e) || typeof e.agentId !== 'string') continue;
        const presence = e.state === 'away' || e.state === 'wrapup' || e.state === 'offline' ? e.state : 'available';
        const prev = views.get(e.agentId);
        const view: AgentView = {
          ...template,
          agentId: e.agentId,
          name: typeof e.name === 'string' ? e.name : (prev?.name ?? e.agentId),
          team: typeof e.team === 'string' ? e.team : (prev?.team ?? null),
          presence,
          activity: presence,
          reason: typeof e.reason === 'string' ? e.reason : null,
          activitySinceMs: typeof e.at === 'number' ? e.at : Date.now(),
        };
        views.set(e.agentId, view);
        pending.set(e.agentId, view);
        accepted++;
      }
      if (accepted > 0 && !flushScheduled) {
        flushScheduled = true;
        setImmediate(flush);
      }
      const data: IngestResult = { accepted, duplicates: 0, rejected: [] };
      ack({ ok: true, data });
    });
    socket.emit('ingest:ready');
  });

  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  return {
    port: (httpServer.address() as AddressInfo).port,
    close: async () => {
      if (kpiTimer) clearTimeout(kpiTimer);
      await new Promise<void>((resolve) => io.close(() => resolve()));
    },
  };
}

async function main(): Promise<void> {
  const a = JSON.parse(process.argv[2] ?? '{}') as ServerChildArgs;
  let server: { port: number; close: () => Promise<void> };
  try {
    server = a.mode === 'bare' ? await startBare(a) : await startFloorwatch(a);
  } catch (err) {
    send({ type: 'failed', error: err instanceof Error ? err.message : String(err) });
    process.exit(1);
  }
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    // A slow close must not keep the process (and its CPU profile) from ending.
    const force = setTimeout(() => process.exit(0), 5_000);
    force.unref();
    await server.close().catch((err: Error) => console.error(`close failed: ${err.message}`));
    process.exit(0);
  };
  process.on('message', (m: ServerParentMessage) => {
    if (m.type === 'stop') void stop();
  });
  process.on('disconnect', () => void stop());
  process.on('SIGTERM', () => void stop());
  send({ type: 'ready', port: server.port });
}

void main();
