/**
 * `createServer` builds a Floorwatch node from its parts with no side effects:
 * nothing listens, reads the log or starts a timer until `listen()`. Tests
 * build it with an in-memory log and a fake clock; `main.ts` wires the real
 * parts.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import { timingSafeEqual } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import { Server as IoServer } from 'socket.io';
import type { FloorConfig } from '../shared/config.ts';
import { defaultConfig } from '../shared/config.ts';
import { applyEvent, createFloorState, drainChanges, tick } from '../shared/engine.ts';
import type { FloorEvent } from '../shared/events.ts';
import type { FloorState, Alert } from '../shared/state.ts';
import type { IngestClientToServer, IngestServerToClient, LiveScope } from '../shared/wire.ts';
import { selectCallDetail } from '../shared/selectors.ts';
import type { LogStore } from './log/store.ts';
import { IngestError, IngestPipeline, MAX_BATCH_EVENTS } from './ingest.ts';
import { LiveHub, scopeFromHandshake, type LiveNamespace } from './live.ts';
import { fallbackPage } from './page.ts';

/** The engine's live rules run once a second: the finest unit any threshold is stated in. */
export const TICK_MS = 1_000;
/** A feed whose clock differs from ours by more than this is followed on its own clock (a replayed file, a skewed PBX). */
export const FEED_SKEW_FOLLOW_MS = 5_000;
/** Largest HTTP body: 10,000 events of ~1.5 kB each. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

export interface Clock {
  now(): number;
}

export interface ServerOptions {
  log: LogStore;
  clock?: Clock;
  /** Used when the log holds no saved configuration. */
  config?: FloorConfig;
  /** Bearer tokens producers must present. */
  ingestTokens: string[];
  /** Tokens that open the supervisor views and the REST API (until real sign-in exists). */
  viewTokens?: string[];
  /** Tokens that open only the wallboard. */
  wallboardTokens?: string[];
  /** Views and read APIs open without credentials: only when explicitly asked for. */
  demo?: boolean;
  /** Live-rule tick period; 0 = no timer (tests call `tickNow`). */
  tickMs?: number;
  /** Built client to serve, if present. */
  staticDir?: string;
  logger?: Pick<Console, 'info' | 'warn' | 'error'>;
}

function tokenMatches(given: string | undefined, allowed: readonly string[]): boolean {
  if (!given) return false;
  const g = Buffer.from(given);
  let ok = false;
  for (const t of allowed) {
    const b = Buffer.from(t);
    if (b.length === g.length && timingSafeEqual(b, g)) ok = true;
  }
  return ok;
}

function bearer(req: { headers: Record<string, string | string[] | undefined> }): string | undefined {
  const h = req.headers.authorization;
  if (typeof h === 'string' && h.startsWith('Bearer ')) return h.slice(7).trim();
  const t = req.headers['x-floorwatch-token'];
  return typeof t === 'string' ? t : undefined;
}

export function createServer(opts: ServerOptions) {
  const clock = opts.clock ?? { now: () => Date.now() };
  const logger = opts.logger ?? console;
  const log = opts.log;
  const tickMs = opts.tickMs ?? TICK_MS;
  let state: FloorState = createFloorState(opts.config ?? defaultConfig(), 0);
  /** Feed time minus our time, when the feed runs on a clock of its own. */
  let feedOffsetMs = 0;
  let replayed = 0;
  let tickTimer: NodeJS.Timeout | undefined;
  const startedAtMs = clock.now();

  const engineNow = () => clock.now() + feedOffsetMs;

  const app = express();
  app.disable('x-powered-by');
  const httpServer = http.createServer(app);
  const io = new IoServer(httpServer, { maxHttpBufferSize: MAX_BODY_BYTES, serveClient: true });
  const liveNsp = io.of('/live') as LiveNamespace;
  const hub = new LiveHub(liveNsp, () => state, { now: engineNow });

  function persistAlerts(alerts: Alert[]): void {
    if (alerts.length === 0) return;
    const latest = new Map<string, Alert>();
    for (const a of alerts) latest.set(a.id, a);
    log.saveAlerts([...latest.values()].map((a) => ({ ...a }))).catch((err: Error) => logger.error(`saving alerts failed: ${err.message}`));
  }

  function flushChanges(): void {
    const { changes, alerts } = drainChanges(state);
    hub.publish(changes, alerts);
    persistAlerts(alerts);
  }

  function applyBatch(events: FloorEvent[], receivedAtMs: number): void {
    let maxAt = -Infinity;
    for (const e of events) {
      applyEvent(state, e);
      if (e.at > maxAt) maxAt = e.at;
    }
    const skew = maxAt - receivedAtMs;
    if (Math.abs(skew) > FEED_SKEW_FOLLOW_MS) feedOffsetMs = skew;
    else if (Math.abs(feedOffsetMs) > FEED_SKEW_FOLLOW_MS) feedOffsetMs = 0;
    flushChanges();
  }

  const pipeline = new IngestPipeline({ log, clock, apply: applyBatch });

  function tickNow(nowMs = engineNow()): void {
    tick(state, nowMs);
    flushChanges();
  }

  // ------------------------------------------------------------ auth helpers
  type Role = 'supervisor' | 'wallboard' | 'ingest';
  function roleOf(token: string | undefined): Role | undefined {
    if (tokenMatches(token, opts.viewTokens ?? [])) return 'supervisor';
    if (tokenMatches(token, opts.wallboardTokens ?? [])) return 'wallboard';
    if (tokenMatches(token, opts.ingestTokens)) return 'ingest';
    return undefined;
  }

  const requireIngest = (req: Request, res: Response, next: NextFunction) => {
    const t = bearer(req);
    if (!t) return res.status(401).json({ ok: false, error: 'missing ingest token: send "Authorization: Bearer <token>"' });
    if (!tokenMatches(t, opts.ingestTokens)) return res.status(401).json({ ok: false, error: 'invalid ingest token' });
    next();
  };
  const requireViewer = (req: Request, res: Response, next: NextFunction) => {
    if (opts.demo) return next();
    const role = roleOf(bearer(req));
    if (role === 'supervisor') return next();
    return res.status(role ? 403 : 401).json({ ok: false, error: role ? 'this token may not read floor data' : 'missing or invalid token' });
  };
  const requireAnyToken = (req: Request, res: Response, next: NextFunction) => {
    if (opts.demo || roleOf(bearer(req)) !== undefined) return next();
    return res.status(401).json({ ok: false, error: 'missing or invalid token' });
  };

  // ------------------------------------------------------------ HTTP routes
  app.get('/healthz', (_req, res) => {
    res.json({ ok: true, uptimeSec: Math.round((clock.now() - startedAtMs) / 1000) });
  });

  app.post('/api/events', requireIngest, express.json({ limit: MAX_BODY_BYTES, strict: false }), (req, res, next) => {
    const body: unknown = req.body;
    if (body === undefined || body === null || typeof body !== 'object') {
      return res.status(400).json({ ok: false, error: 'body must be a JSON array of events (or one event object) with Content-Type: application/json' });
    }
    pipeline.submit(body).then(
      (data) => {
        const allBad = data.accepted === 0 && data.duplicates === 0 && data.rejected.length > 0;
        res.status(allBad ? 400 : 200).json({ ok: !allBad, data, ...(allBad ? { error: 'no valid event in the batch' } : {}) });
      },
      (err: unknown) => next(err),
    );
  });

  app.get('/api/health', requireAnyToken, async (_req, res, next) => {
    try {
      res.json({
        ok: true,
        data: {
          nowMs: clock.now(),
          feedOffsetMs,
          log: { kind: log.kind, events: await log.count(), replayedAtStart: replayed },
          engine: {
            version: state.version,
            agents: state.agents.size,
            queues: state.queues.size,
            liveCalls: state.liveCalls.size,
            openAlerts: state.alerts.size,
            diagnostics: state.diagnostics,
          },
          ingest: pipeline.stats,
          live: { ...hub.stats, sockets: liveNsp.sockets.size },
        },
      });
    } catch (err) {
      next(err);
    }
  });

  app.get('/api/snapshot', requireViewer, (req, res) => {
    const scope = scopeFromHandshake({}, req.query as Record<string, unknown>);
    if (typeof scope === 'string') return res.status(400).json({ ok: false, error: scope });
    res.json({ ok: true, data: hub.snapshot(scope) });
  });

  app.get('/api/calls/:callId', requireViewer, async (req, res, next) => {
    try {
      const callId = String(req.params.callId);
      const detail = selectCallDetail(state, callId);
      if (detail) return res.json({ ok: true, data: detail });
      const events = await log.eventsForCall(callId);
      if (events.length === 0) return res.status(404).json({ ok: false, error: `no call ${callId.slice(0, 128)}` });
      res.json({ ok: true, data: { callId, events } });
    } catch (err) {
      next(err);
    }
  });

  app.get('/api/alerts', requireViewer, async (req, res, next) => {
    try {
      const num = (v: unknown) => (typeof v === 'string' && v !== '' && Number.isFinite(Number(v)) ? Number(v) : undefined);
      const alerts = await log.listAlerts({
        sinceMs: num(req.query.sinceMs),
        untilMs: num(req.query.untilMs),
        limit: Math.min(num(req.query.limit) ?? 500, 5_000),
      });
      res.json({ ok: true, data: alerts.filter((a) => a.status !== 'retracted') });
    } catch (err) {
      next(err);
    }
  });

  if (opts.staticDir && fs.existsSync(path.join(opts.staticDir, 'index.html'))) {
    const dir = opts.staticDir;
    app.use(express.static(dir, { index: false }));
    app.get(['/', '/floor', '/me', '/wall'], (_req, res) => res.sendFile(path.join(dir, 'index.html')));
  } else {
    app.get(['/', '/floor', '/me', '/wall'], (_req, res) => res.type('html').send(fallbackPage()));
  }

  app.get('/favicon.ico', (_req, res) => res.status(204).end());

  app.use('/api', (_req, res) => res.status(404).json({ ok: false, error: 'no such endpoint' }));

  // Errors: always JSON with a clear reason, never a stack trace.
  app.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    void next;
    const e = err as { type?: string; status?: number; message?: string; limit?: number };
    if (e instanceof IngestError) return res.status(e.status).json({ ok: false, error: e.message });
    if (e.type === 'entity.parse.failed') return res.status(400).json({ ok: false, error: `malformed JSON: ${e.message ?? 'parse error'}` });
    if (e.type === 'entity.too.large') {
      return res.status(413).json({ ok: false, error: `body too large: at most ${MAX_BODY_BYTES} bytes and ${MAX_BATCH_EVENTS} events per request` });
    }
    if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) return res.status(e.status).json({ ok: false, error: e.message ?? 'bad request' });
    logger.error(`request failed: ${e.message ?? String(err)}`);
    res.status(500).json({ ok: false, error: 'internal error' });
  });

  // ------------------------------------------------------------ sockets
  const ingestNsp = io.of('/ingest') as unknown as import('socket.io').Namespace<IngestClientToServer, IngestServerToClient>;
  ingestNsp.use((socket, next) => {
    const auth = socket.handshake.auth as Record<string, unknown>;
    const token = typeof auth.token === 'string' ? auth.token : bearer(socket.handshake);
    if (!tokenMatches(token, opts.ingestTokens)) return next(new Error(token ? 'invalid ingest token' : 'missing ingest token: connect with auth: { token }'));
    next();
  });
  ingestNsp.on('connection', (socket) => {
    socket.on('events:ingest', (events, ack) => {
      if (typeof ack !== 'function') return; // without an ack there is no one to tell: nothing is done
      pipeline.submit(events).then(
        (data) => ack({ ok: true, data }),
        (err: Error) => ack({ ok: false, error: err.message }),
      );
    });
    socket.emit('ingest:ready');
  });

  liveNsp.use((socket, next) => {
    const auth = (socket.handshake.auth ?? {}) as Record<string, unknown>;
    const scope = scopeFromHandshake(auth, socket.handshake.query as Record<string, unknown>);
    if (typeof scope === 'string') return next(new Error(scope));
    if (!opts.demo) {
      const role = roleOf(typeof auth.token === 'string' ? auth.token : bearer(socket.handshake));
      const allowed = role === 'supervisor' || (role === 'wallboard' && scope.kind === 'wallboard');
      if (!allowed) return next(new Error(role ? 'this token may not open that view' : 'missing or invalid token'));
    }
    socket.data.scope = scope as LiveScope;
    next();
  });

  // ------------------------------------------------------------ lifecycle
  /** Rebuilds state from the log, then listens. Resolves with the bound port. */
  async function listen(port: number, host = '0.0.0.0'): Promise<number> {
    const saved = await log.loadConfig();
    state = createFloorState(saved ?? opts.config ?? defaultConfig(), 0);
    let n = 0;
    replayed = await log.replay((e) => {
      applyEvent(state, e);
      // Keep the replay's change sets small; the alerts they describe are already in the log.
      if (++n % 10_000 === 0) drainChanges(state);
    });
    drainChanges(state);
    tick(state, engineNow());
    persistAlerts(drainChanges(state).alerts);
    await new Promise<void>((resolve, reject) => {
      httpServer.once('error', reject);
      httpServer.listen(port, host, () => {
        httpServer.off('error', reject);
        resolve();
      });
    });
    if (tickMs > 0) {
      tickTimer = setInterval(() => tickNow(), tickMs);
      tickTimer.unref();
    }
    return (httpServer.address() as AddressInfo).port;
  }

  async function close(): Promise<void> {
    if (tickTimer) clearInterval(tickTimer);
    hub.close();
    await new Promise<void>((resolve) => io.close(() => resolve()));
    await new Promise<void>((resolve) => {
      httpServer.close(() => resolve());
      httpServer.closeAllConnections?.();
    });
  }

  return {
    app,
    httpServer,
    io,
    pipeline,
    hub,
    /** The engine state (read-only use). */
    state: () => state,
    engineNow,
    tickNow,
    listen,
    close,
    get replayed() {
      return replayed;
    },
  };
}

export type FloorwatchServer = ReturnType<typeof createServer>;
