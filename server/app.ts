/**
 * `createServer` builds a Floorwatch node from its parts with no side effects:
 * nothing listens, reads the log or starts a timer until `listen()`. Tests
 * build it with an in-memory log and a fake clock; `main.ts` wires the real
 * parts.
 */
import http from 'node:http';
import { Server as NetServer, type AddressInfo } from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import { Server as IoServer } from 'socket.io';
import type { FloorConfig } from '../shared/config.ts';
import { defaultConfig } from '../shared/config.ts';
import { applyEvent, createFloorState, drainChanges, observeClock, tick, type EngineLimits } from '../shared/engine.ts';
import { engineLimitsFromEnv, healthLimits } from './health-limits.ts';
import type { FloorEvent } from '../shared/events.ts';
import type { FloorState, Alert } from '../shared/state.ts';
import type { CallDetail, IngestClientToServer, IngestServerToClient, LiveScope, ShutdownNotice, TranscriptMode } from '../shared/wire.ts';
import { selectAgentCallDetail, selectCallDetail } from '../shared/selectors.ts';
import type { LogStore } from './log/store.ts';
import { DEFAULT_MAX_FUTURE_SEC, IngestError, IngestPipeline, MAX_BATCH_EVENTS, SHUTTING_DOWN } from './ingest.ts';
import { LiveHub, scopeFromHandshake, type LiveNamespace } from './live.ts';
import { fallbackPage } from './page.ts';
import { DEFAULT_MAX_CONNECTIONS_PER_ADDRESS, SMALL_MESSAGE_BYTES, SocketGuard } from './socket-guard.ts';
import { handshakeRefusal, httpGuard, inlineParts, type TrustProxy } from './http-guard.ts';
import type { AuthStore } from './auth/store.ts';
import { canSupervise, recheckCredential, resolveCredential, resolvePrincipal, type Credentials, type Principal, type PrincipalOptions } from './auth/principal.ts';
import { hasRevocationBus, RevocationRegistry } from './auth/revocation.ts';
import { mountAuthRoutes, mustChangeGate, MUST_CHANGE_ERROR } from './auth/routes.ts';
import type { SsoOptions } from './auth/oidc.ts';
import { mountFloorRoutes } from './floor-routes.ts';
import { filterOfResponse, limitedLiveScope, listAlertsInScope, refuseOutOfScope } from './scope-guard.ts';
import { eventsInScope, scopeCallDetail, scopeCallEvents } from '../shared/scope.ts';
import { mountWhatIfRoutes } from './what-if-routes.ts';
import { mountReportRoutes } from './report-routes.ts';
import { AggregateStore } from './aggregate-store.ts';
import { ReportService } from './report-cache.ts';
import { applyHorizon, episodesLeftBy } from './log/prune.ts';
import { Retention } from './retention.ts';
import { registerAlertCommands } from './alert-commands.ts';
import { registerWorklistCommands } from './worklist-commands.ts';
import { anA, type NewEvent } from './context.ts';
import { Notifier, type Sender } from './notify/dispatcher.ts';
import { SqliteNotifyStore, sqliteFileOf, type NotifyStore } from './notify/store.ts';
import { mountNotifyRoutes } from './notify/routes.ts';
import { mountActionRoutes, NO_PBX_STATUS } from './action-routes.ts';
import type { PbxActions } from './pbx-actions.ts';
import { packageRoot } from './paths.ts';
import { FloorwatchMetrics, tokenMatches, type MetricsAccess } from './metrics.ts';
import { requestIdOf, requestIds, requestLogging } from './logging.ts';
import { DEFAULT_TRANSCRIPT_MODE, TranscriptKeeper } from './transcripts.ts';
import type { Logger as PinoLogger } from 'pino';

/** How long a supervisor's action waits to come back from a shared log before answering anyway, ms. */
const RECORD_WAIT_MS = 5_000;

/** A log several nodes share: it can be followed, and it can be unreachable. */
export interface SharedLog {
  /** Delivers appended events in log order, each with the receive time stored beside it (same index). */
  follow(fromId: string, onEvents: (events: FloorEvent[], receivedAtMs: number[]) => void, onError?: (err: Error) => void): void;
  lastReplayedId: string;
  isWritable(): boolean;
}
function isSharedLog(l: unknown): l is SharedLog {
  return typeof (l as Partial<SharedLog>).follow === 'function';
}

/** Sessions end after 8 idle hours: a shift, not a week. */
export const SESSION_IDLE_MS = 8 * 3_600_000;

/** The engine's live rules run once a second: the finest unit any threshold is stated in. */
export const TICK_MS = 1_000;
/** Alerts are written to the log at most this often, ms: one write for many batches, and /api/alerts flushes first. */
const ALERT_SAVE_MS = 500;
/** …or as soon as this many are waiting, to bound memory under an alert storm. */
const ALERT_SAVE_MAX = 5_000;
/** Largest HTTP body: 10,000 events of ~1.5 kB each. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;
/** Retry-After of an ingest refused while the server stops, s: a service restart takes a few seconds. */
export const SHUTDOWN_RETRY_AFTER_SEC = 5;
/** How long a stop waits for HTTP requests in flight to be answered, ms (ingest batches are answered within milliseconds of their commit). */
const DRAIN_HTTP_MS = 5_000;
/** How long a stop waits for sockets to write what they hold (the shutdown notice, last acks) and close, ms, before cutting them. */
const DRAIN_SOCKETS_MS = 2_000;

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
  /** Users, sessions and issued tokens. */
  auth: AuthStore;
  /** Static API tokens with supervisor rights, for scripts (FLOORWATCH_API_TOKENS). */
  viewTokens?: string[];
  sessionIdleMs?: number;
  /** How often every open socket's credential is re-checked, ms (idle expiry, missed revocations; default 10 s; 0 = never). */
  revocationSweepMs?: number;
  /** Mark the session cookie Secure (behind HTTPS); also sends HSTS and upgrade-insecure-requests. */
  secureCookies?: boolean;
  /** express's `trust proxy`: which proxies' X-Forwarded-For / X-Forwarded-Host to believe (default: none). */
  trustProxy?: TrustProxy;
  /** Origins besides the floor's own allowed to send state-changing requests and open sockets (http-guard.ts). */
  allowedOrigins?: string[];
  /** Open socket.io connections one client address may hold (default 50; 0 = no cap): socket-guard.ts. */
  maxConnectionsPerAddress?: number;
  /** Commands per second one /live socket may send, burst 4× (default 10; 0 = no budget): socket-guard.ts. */
  commandsPerSec?: number;
  /** Tokens that open only the wallboard. */
  wallboardTokens?: string[];
  /** Views and read APIs open without credentials: only when explicitly asked for. */
  demo?: boolean;
  /** Single sign-on through an OpenID provider, and whether local passwords are accepted (default: none, on): auth/oidc.ts. */
  sso?: SsoOptions;
  /** Live-rule tick period; 0 = no timer (tests call `tickNow`). */
  tickMs?: number;
  /** Events dated more than this many seconds ahead of the server's clock are rejected at ingest (default 60). */
  maxFutureSec?: number;
  /** Built client to serve, if present. */
  staticDir?: string;
  /** The PBX supervisor actions go to (server/pbx-actions.ts; Asterisk: server/ami/actions.ts), read at each request: made after the server (the AMI client starts later). None: the actions are unavailable. */
  pbxActions?: () => PbxActions | undefined;
  /** `--transcripts`: what of a transcript's words is logged and kept (server/transcripts.ts; default `evidence`). */
  transcripts?: TranscriptMode;
  /** Status of the inputs feeding this node (queue_log tail, AMI), shown in `/api/health` under `sources`. */
  sources?: () => Record<string, unknown>;
  /** Stale-call limits and the live-call cap (default: `FLOORWATCH_STALE_*` / `FLOORWATCH_MAX_LIVE_CALLS`, else the engine's defaults); see server/health-limits.ts. */
  engineLimits?: Partial<EngineLimits>;
  logger?: Pick<Console, 'info' | 'warn' | 'error'>;
  /** Logs every HTTP request (pino-http, server/logging.ts); none when absent (tests). Request ids are given either way. */
  httpLogger?: PinoLogger;
  /** `GET /metrics` (server/metrics.ts): behind a bearer token on this port, and/or on a port of its own; absent: not exposed (404). */
  metrics?: MetricsAccess;
  /** `--retain-days`: the raw events of this many floor-local days before today (and today's) are kept, older ones pruned at start and daily (retention.ts). Absent: every event is kept. */
  retainDays?: number;
  /**
   * Notification channels, routing and delivery records (server/notify/): the store (default: tables in the
   * SQLite log's file; pass a Redis store on a shared log), and for tests a sender and the retry span.
   */
  notify?: { store?: NotifyStore; sender?: Sender; retryForMs?: number; env?: NodeJS.ProcessEnv };
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
  const engineLimits = opts.engineLimits ?? engineLimitsFromEnv(process.env);
  let state: FloorState = createFloorState(opts.config ?? defaultConfig(), 0, { clock: 'server', limits: engineLimits });
  let replayed = 0;
  /** Readiness (`/readyz`): false until `listen` has replayed the log; events folded so far meanwhile. */
  let replayDone = false;
  let replayProgress = 0;
  let tickTimer: NodeJS.Timeout | undefined;
  const startedAtMs = clock.now();
  const maxFutureSec = opts.maxFutureSec ?? DEFAULT_MAX_FUTURE_SEC;

  /**
   * The live clock is the server's, whatever the feed's times: a back-dated
   * batch counts at its own times but moves no clock, and the engine's clock
   * never runs backwards (it only ever moves forward in `observeClock`, `tick`
   * and `applyEvent`).
   */
  const engineNow = () => clock.now();

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', opts.trustProxy ?? false);
  const fallbackInline = inlineParts(fallbackPage());
  const guard = { allowedOrigins: opts.allowedOrigins ?? [], secure: opts.secureCookies ?? false, trusts: app.get('trust proxy fn') as (addr: string, hop: number) => boolean };
  // Every request gets an id (X-Request-Id kept when well-formed, echoed) and, with a structured logger, one log line.
  app.use(requestIds());
  if (opts.httpLogger) app.use(requestLogging(opts.httpLogger));
  app.use(httpGuard({ ...guard, inlineScripts: fallbackInline.scripts, inlineStyles: fallbackInline.styles }));
  // Until the log is replayed only the probes and the scrape answer: the floor is not yet the floor.
  app.use((req, res, next) => {
    if (replayDone || req.path === '/healthz' || req.path === '/readyz' || req.path === '/metrics') return next();
    res.setHeader('Retry-After', '5');
    res.status(503).json({ ok: false, error: `starting: replaying the event log (${replayProgress} events so far); try again in a few seconds` });
  });
  /** Set by `close()`: ingest is refused and every answer closes its connection. */
  let draining = false;
  /** Requests express is answering (socket.io's own polls are not among them), for the stop to wait on. */
  const inflight = new Set<Response>();
  app.use((req, res, next) => {
    inflight.add(res);
    res.once('close', () => inflight.delete(res));
    if (!draining) return next();
    // Stopping: no answer keeps its connection, and a batch is refused before its body is read (nothing written).
    res.setHeader('Connection', 'close');
    if (req.method === 'POST' && req.path === '/api/events') {
      return res.status(503).set('Retry-After', String(SHUTDOWN_RETRY_AFTER_SEC)).json({ ok: false, error: SHUTTING_DOWN });
    }
    next();
  });
  const httpServer = http.createServer(app);
  /** Every TCP connection, upgraded websockets too: a stop destroys those a peer leaves open. */
  const connections = new Set<import('node:net').Socket>();
  httpServer.on('connection', (c) => {
    connections.add(c);
    c.once('close', () => connections.delete(c));
  });
  // Small messages until a connection authenticates on /ingest, /live always; unauthenticated connections closed; a cap per address.
  const socketGuard = new SocketGuard({ ingestMessageBytes: MAX_BODY_BYTES, maxPerAddress: opts.maxConnectionsPerAddress ?? DEFAULT_MAX_CONNECTIONS_PER_ADDRESS, commandsPerSec: opts.commandsPerSec, trusts: guard.trusts });
  const io = new IoServer(httpServer, {
    maxHttpBufferSize: SMALL_MESSAGE_BYTES,
    serveClient: true,
    // Handshakes of every namespace from another site's page are refused (http-guard.ts), and past the per-address cap (socket-guard.ts).
    allowRequest: (req, done) => {
      const refused = handshakeRefusal(req, guard) ?? (replayDone ? undefined : 'starting: replaying the event log') ?? socketGuard.allowRequest(req);
      done(refused ?? null, refused === undefined);
    },
  });
  socketGuard.attach(io);
  const liveNsp = io.of('/live') as LiveNamespace;
  /** The transcript privacy setting: words stripped before the log, evidence words kept beside it (transcripts.ts). */
  const transcripts = new TranscriptKeeper({ mode: opts.transcripts ?? DEFAULT_TRANSCRIPT_MODE, file: sqliteFileOf(log), log, state: () => state });
  const hub = new LiveHub(liveNsp, () => state, { now: engineNow }, (d, c, viewer) => transcripts.withTranscript(d, c, viewer));
  /** Alerts sent out to email and webhooks (server/notify/): fed from every flush, never on the ingest path. */
  const ownNotifyStore = opts.notify?.store ? undefined : new SqliteNotifyStore(sqliteFileOf(log));
  const notifyStore = opts.notify?.store ?? (ownNotifyStore as NotifyStore);
  const notifier = new Notifier({
    store: notifyStore,
    audit: (entry) => log.appendAudit(entry),
    clock,
    timeZone: () => state.config.timeZone,
    agentOf: (agentId) => state.agents.get(agentId),
    sender: opts.notify?.sender,
    retryForMs: opts.notify?.retryForMs,
    env: opts.notify?.env,
    logger,
  });
  /** Past days' reports, built on a worker thread and cached per closed day (report-cache.ts). */
  /** Closed days' aggregates for range reports, beside the log (aggregate-store.ts). */
  const aggregates = new AggregateStore(sqliteFileOf(log));
  const reports = new ReportService({ log, state: () => state, logger, engineLimits, aggregates });
  /**
   * Prunes the log's older raw events (retention.ts), once `listen` has replayed it. A replay starts
   * from the newest settings, which are the live floor's, and counts with its engine limits.
   */
  const retention =
    opts.retainDays === undefined
      ? undefined
      : new Retention({
          retainDays: opts.retainDays,
          log,
          clock,
          logger,
          timeZone: () => state.config.timeZone,
          episodesLeft: episodesLeftBy(() => state.config, engineLimits),
          // The days about to go keep their daily aggregates for ever: stored first (one fold, when any is missing).
          beforePrune: async (cutMs) => {
            const built = await reports.storeDaysBefore(cutMs, state.config);
            if (built > 0) logger.info(`retention: stored the daily aggregates of ${built} days before pruning their events`);
            // Transcript words kept as evidence go with their days' raw events (the alerts stay).
            const words = transcripts.pruneBefore(cutMs);
            if (words > 0) logger.info(`retention: deleted the words of ${words} transcript segment(s) kept as evidence before ${new Date(cutMs).toISOString()}`);
          },
        });

  /**
   * Alerts waiting to be written, latest content per id. They are saved
   * together at most every ALERT_SAVE_MS rather than after every batch: an
   * alert is derived from the log, and a replay saves again every alert it
   * rebuilds, so a crash before a save loses none of them.
   */
  const pendingAlerts = new Map<string, Alert>();
  let alertTimer: NodeJS.Timeout | undefined;

  function persistAlerts(alerts: Alert[]): void {
    if (alerts.length === 0) return;
    for (const a of alerts) pendingAlerts.set(a.id, a);
    if (pendingAlerts.size >= ALERT_SAVE_MAX) void saveAlertsNow();
    else if (!alertTimer) {
      alertTimer = setTimeout(() => void saveAlertsNow(), ALERT_SAVE_MS);
      alertTimer.unref();
    }
  }

  async function saveAlertsNow(): Promise<void> {
    if (alertTimer) clearTimeout(alertTimer);
    alertTimer = undefined;
    if (pendingAlerts.size === 0) return;
    const batch = [...pendingAlerts.values()].map((a) => ({ ...a }));
    pendingAlerts.clear();
    await log.saveAlerts(batch).catch((err: Error) => logger.error(`saving alerts failed: ${err.message}`));
  }

  function flushChanges(): void {
    const { changes, alerts } = drainChanges(state);
    hub.publish(changes, alerts);
    // Before anything else may forget them: the words an alert stands on are stored with it (`evidence`).
    transcripts.observeAlerts(alerts, engineNow());
    persistAlerts(alerts);
    notifier.observe(alerts);
  }

  /**
   * Folds events as they were received: the engine's clock is first brought to
   * the receive time (forward only), then each event applied. A replay of the
   * log does exactly this with the stored receive times, so it sees the same
   * "now" at every event as the live run did.
   */
  function foldReceived(e: FloorEvent, receivedAtMs: number): void {
    observeClock(state, receivedAtMs);
    applyEvent(state, e);
    transcripts.applied(e, state);
    reports.noteEvent(e, state); // a late event of a past day drops that day's cached report
  }

  function applyBatch(events: FloorEvent[], receivedAtMs: number): void {
    for (const e of events) foldReceived(e, receivedAtMs);
    flushChanges();
  }

  /**
   * A log other nodes append to as well (Redis Streams): this node applies
   * what it reads back from the log, in log order, never straight from its
   * own ingest, so every node folds the same sequence.
   */
  const shared = isSharedLog(log) ? log : undefined;
  const appliedWaiters = new Map<string, () => void>();
  function applyFromLog(events: FloorEvent[], receivedAtMs: number[]): void {
    // The receive time stored with each entry, not this node's: every node folds with the same clock.
    events.forEach((e, i) => foldReceived(e, receivedAtMs[i] ?? e.at));
    flushChanges();
    for (const e of events) {
      const w = appliedWaiters.get(e.id);
      if (w) {
        appliedWaiters.delete(e.id);
        w();
      }
    }
  }
  const pipeline = new IngestPipeline({
    log,
    clock,
    apply: shared ? () => {} : applyBatch,
    prepare: (events) => transcripts.prepare(events),
    isWritable: shared ? () => shared.isWritable() : undefined,
    maxFutureMs: maxFutureSec * 1000,
    // Latency histograms, when /metrics is exposed (the metrics are made below, once everything they read exists).
    observer: { batch: (source, sec) => metrics?.observer.batch(source, sec), commit: (sec) => metrics?.observer.commit(sec) },
  });

  /** Why the log cannot be written now, or undefined when it can: a shared log unreachable, the last append failed, the SQLite file read-only. */
  function logUnwritable(): string | undefined {
    if (shared && !shared.isWritable()) return 'the shared event log is unreachable';
    if (pipeline.lastAppendError !== undefined) return `the last write to the event log failed: ${pipeline.lastAppendError.slice(0, 200)}`;
    const file = sqliteFileOf(log);
    if (file === ':memory:') return undefined;
    try {
      fs.accessSync(file, fs.constants.W_OK);
    } catch {
      return 'the event log file is not writable';
    }
    return undefined;
  }

  /** Why this node should get no traffic now (`/readyz` 503), or undefined when it is ready. */
  function notReady(): { status: 'stopping' | 'replaying' | 'log-unwritable'; reason: string } | undefined {
    if (draining) return { status: 'stopping', reason: 'the server is stopping' };
    if (!replayDone) return { status: 'replaying', reason: `replaying the event log (${replayProgress} events so far)` };
    const w = logUnwritable();
    return w === undefined ? undefined : { status: 'log-unwritable', reason: w };
  }

  /** Puts a new configuration in force at once (live calls re-evaluated), persisted and audited. */
  async function applyConfig(next: FloorConfig, actor: string): Promise<void> {
    const before = state.config;
    // The change is an event in the log (every node and every replay applies it at the same point);
    // the saved copy and its audit entry make a restart start from it.
    await record([{ type: 'config.changed', config: next, by: actor }]);
    await log.saveConfig(next, actor, before);
  }

  function tickNow(nowMs = engineNow()): void {
    tick(state, nowMs);
    flushChanges();
    // Grouping windows, escalations and retries are due on the same clock (the notifier reads it itself).
    void notifier.poll();
  }

  // ------------------------------------------------------------ auth helpers
  const principalOpts: PrincipalOptions = {
    auth: opts.auth,
    apiTokens: opts.viewTokens ?? [],
    wallboardTokens: opts.wallboardTokens ?? [],
    ingestTokens: opts.ingestTokens,
    demo: opts.demo ?? false,
    sessionIdleMs: opts.sessionIdleMs ?? SESSION_IDLE_MS,
    now: () => clock.now(),
  };
  /**
   * Open sockets and the credential each rode on: a sign-out, deleted or
   * changed user, idle session or revoked token (the user store reports each)
   * disconnects them at once, on every node through the log's bus.
   */
  const revocations = new RevocationRegistry({
    sweepMs: opts.revocationSweepMs,
    bus: hasRevocationBus(log) ? log.revocationBus() : undefined,
    // Another node sharing auth.db revoked a token: this node's cache of live tokens must forget it too.
    onRemote: (m) => m.key.startsWith('token:') && opts.auth.refreshTokens(),
    // …and one missed notice (or a node sharing auth.db without a bus) is caught by the sweep's own re-read.
    beforeSweep: () => opts.auth.refreshTokens(),
    logger,
  });
  const stopRevokeHook = opts.auth.onRevoke((key, reason) => revocations.revoke(key, reason));
  /** Remembers what a socket's handshake resolved to, so every command re-checks it (revocation.ts). */
  const admitSocket = (socket: object, creds: Credentials, resolved: NonNullable<ReturnType<typeof resolveCredential>>, o: PrincipalOptions) =>
    revocations.admit(socket, resolved.keys, (touch) => recheckCredential(creds, resolved, { ...o, touch }));
  const principalOf = (req: Request): Principal | undefined =>
    resolvePrincipal(
      { cookie: req.headers.cookie, bearer: bearer(req), kiosk: typeof req.query.kiosk === 'string' ? req.query.kiosk : undefined },
      principalOpts,
    );

  const requireIngest = (req: Request, res: Response, next: NextFunction) => {
    const t = bearer(req);
    if (!t) return res.status(401).json({ ok: false, error: 'missing ingest token: send "Authorization: Bearer <token>"' });
    const p = resolvePrincipal({ bearer: t }, { ...principalOpts, demo: false });
    if (p?.role !== 'ingest') return res.status(401).json({ ok: false, error: 'invalid or revoked ingest token' });
    next();
  };
  /** Supervisors and admins; a wallboard or agent gets 403, nobody 401. */
  const requireSupervisor = (req: Request, res: Response, next: NextFunction) => {
    const p = principalOf(req);
    if (canSupervise(p)) {
      res.locals.principal = p;
      return next();
    }
    return res.status(p ? 403 : 401).json({ ok: false, error: p ? `${anA(p.role)} may not do this` : 'sign in first' });
  };
  const requireAdmin = (req: Request, res: Response, next: NextFunction) => {
    const p = principalOf(req);
    if (p?.role === 'admin') {
      res.locals.principal = p;
      return next();
    }
    return res.status(p ? 403 : 401).json({ ok: false, error: p ? 'admins only' : 'sign in first' });
  };

  /** Writes server-made events (acknowledgements, notes…) to the log and applies them, stamped with the server's clock. */
  async function record(events: NewEvent[]): Promise<FloorEvent[]> {
    const at = Math.round(clock.now());
    const built = events.map((e) => ({ ...e, id: `srv-${randomUUID()}`, at }) as FloorEvent);
    // On a shared log the event takes effect when this node reads it back: wait for that.
    const applied = shared ? built.map((e) => new Promise<void>((resolve) => appliedWaiters.set(e.id, resolve))) : [];
    await pipeline.submitInternal(built);
    if (applied.length) {
      const timeout = new Promise<void>((_, reject) => setTimeout(() => reject(new Error('the log did not deliver the change back in time; it will apply when it does')), RECORD_WAIT_MS).unref());
      await Promise.race([Promise.all(applied), timeout]);
    }
    return built;
  }

  // ------------------------------------------------------------ HTTP routes
  // A session with a one-time password may only change it (or sign out) until it does.
  app.use(mustChangeGate(principalOf));
  app.get('/healthz', (_req, res) => {
    res.json({ ok: true, uptimeSec: Math.round((clock.now() - startedAtMs) / 1000) });
  });
  // Readiness for a load balancer: 200 once the log is replayed and writable; 503 with the reason before, while stopping, or when the log fails.
  app.get('/readyz', (_req, res) => {
    const why = notReady();
    if (!why) return res.json({ ok: true, status: 'ready', replayed });
    res.setHeader('Retry-After', '5');
    res.status(503).json({ ok: false, status: why.status, error: why.reason, ...(why.status === 'replaying' ? { replayed: replayProgress } : {}) });
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

  app.get('/api/health', requireSupervisor, async (_req, res, next) => {
    try {
      // The whole floor's diagnostics (counts of every queue's calls and agents): not a scoped supervisor's.
      if (filterOfResponse(state, res).restricted) return refuseOutOfScope(res, 'the whole floor’s diagnostics');
      res.json({
        ok: true,
        data: {
          nowMs: clock.now(),
          engineNowMs: state.nowMs,
          maxFutureSec,
          log: { kind: log.kind, writable: shared ? shared.isWritable() : true, events: await log.count().catch(() => null), replayedAtStart: replayed, damagedRows: log.replayProblems?.() ?? { skipped: 0, rows: [] } },
          engine: {
            version: state.version,
            agents: state.agents.size,
            queues: state.queues.size,
            liveCalls: state.liveCalls.size,
            openAlerts: state.alerts.size,
            diagnostics: state.diagnostics,
          },
          limits: healthLimits(state),
          ingest: pipeline.stats,
          live: { ...hub.stats, sockets: liveNsp.sockets.size, connections: { ...socketGuard.open, ...socketGuard.stats } },
          revocations: revocations.stats,
          reports: reports.stats(),
          retention: retention?.stats() ?? null,
          notify: notifier.stats,
          sources: opts.sources?.() ?? {},
          actions: opts.pbxActions?.()?.status() ?? NO_PBX_STATUS,
          transcripts: transcripts.stats(),
        },
      });
    } catch (err) {
      next(err);
    }
  });

  app.get('/api/snapshot', requireSupervisor, (req, res) => {
    const asked = scopeFromHandshake({}, req.query as Record<string, unknown>);
    if (typeof asked === 'string') return res.status(400).json({ ok: false, error: asked });
    // A scoped supervisor gets their scope's snapshot, as on the socket (scope-guard.ts).
    const scope = limitedLiveScope(asked, res.locals.principal as Principal, state);
    if (typeof scope === 'string') return refuseOutOfScope(res);
    res.json({ ok: true, data: hub.snapshot(scope) });
  });

  /**
   * An agent's own call (issue 18: agents see their own evidence only), as the socket's `call:detail` answers it:
   * their part of it (shared/selectors.ts selectAgentCallDetail), their alerts, the segments those stand on with
   * listed words masked. A past call is folded here from its logged events (an agent gets no raw events: they
   * would show other agents and the caller's number). 404 when it is not theirs, as when it does not exist.
   */
  async function agentCall(callId: string, agentId: string, res: Response): Promise<void> {
    const live = state.calls.get(callId);
    let detail = live ? selectAgentCallDetail(state, callId, agentId) : null;
    if (!live) {
      const events = await log.eventsForCall(callId);
      if (events.length > 0) {
        const past = createFloorState(state.config, events[0].at);
        for (const e of events) applyEvent(past, e);
        detail = selectAgentCallDetail(past, callId, agentId);
      }
    }
    if (!detail) {
      res.status(404).json({ ok: false, error: `no call ${callId.slice(0, 128)} of yours` });
      return;
    }
    res.json({ ok: true, data: await transcripts.withTranscript(detail, live, { kind: 'agent', agentId }) });
  }

  app.get('/api/calls/:callId', (req, res, next) => {
    const p = principalOf(req);
    if (p?.kind === 'user' && p.role === 'agent' && p.agentId) return void agentCall(String(req.params.callId), p.agentId, res).catch(next);
    requireSupervisor(req, res, next);
  }, async (req, res, next) => {
    try {
      const callId = String(req.params.callId);
      const f = filterOfResponse(state, res);
      const live = state.calls.get(callId);
      if (live && f.restricted && !f.call(live)) return refuseOutOfScope(res, `call ${callId.slice(0, 128)}`);
      const detail = selectCallDetail(state, callId);
      // With the transcript words the privacy setting keeps (supervisors see them unmasked).
      if (detail) return res.json({ ok: true, data: await transcripts.withTranscript(scopeCallDetail(detail, f), live, { kind: 'supervisor', filter: f }) });
      const events = await log.eventsForCall(callId);
      if (events.length === 0) return res.status(404).json({ ok: false, error: `no call ${callId.slice(0, 128)}` });
      // A past call: theirs by the queues it was in (or the agents it rang, never queued); other teams' agents renamed.
      if (!eventsInScope(events, f)) return refuseOutOfScope(res, `call ${callId.slice(0, 128)}`);
      const { transcript, transcriptMode } = await transcripts.withTranscript({ callId, alerts: [] } as unknown as CallDetail, undefined, { kind: 'supervisor', filter: f });
      res.json({ ok: true, data: { callId, events: scopeCallEvents(events, f), transcriptMode, ...(transcript ? { transcript } : {}) } });
    } catch (err) {
      next(err);
    }
  });

  app.get('/api/alerts', requireSupervisor, async (req, res, next) => {
    try {
      const num = (v: unknown) => (typeof v === 'string' && v !== '' && Number.isFinite(Number(v)) ? Number(v) : undefined);
      await saveAlertsNow();
      // Withdrawn (retracted) alerts stay on record with their status: the floor saw them as real.
      // A scoped supervisor: theirs (by their agents' teams and queues now, shared/scope.ts), the
      // scope applied before the limit, reading the log in bounded pages (server/scope-guard.ts).
      const f = filterOfResponse(state, res);
      const alerts = await listAlertsInScope(log, f, {
        sinceMs: num(req.query.sinceMs),
        untilMs: num(req.query.untilMs),
        limit: Math.min(num(req.query.limit) ?? 500, 5_000),
      });
      res.json({ ok: true, data: alerts });
    } catch (err) {
      next(err);
    }
  });

  const ctx = { app, auth: opts.auth, log, clock, logger, principalOf, requireSupervisor, requireAdmin, record, state: () => state, hub, engineNow, secureCookies: opts.secureCookies ?? false, setConfig: applyConfig, reports };
  mountAuthRoutes(ctx, opts.sso);
  mountFloorRoutes(ctx);
  mountReportRoutes(ctx);
  mountNotifyRoutes({ ...ctx, store: notifyStore, notifier });
  mountActionRoutes(ctx, () => opts.pbxActions?.());
  /** What if: past days replayed with candidate settings, on a worker (what-if-routes.ts). */
  const whatIf = mountWhatIfRoutes({ ...ctx, engineLimits });

  /** Prometheus metrics (server/metrics.ts), made only when exposed: a token on this port and/or a port of their own. */
  const metricsToken = opts.metrics?.token || undefined;
  const metrics =
    metricsToken !== undefined || opts.metrics?.port !== undefined
      ? new FloorwatchMetrics({
          state: () => state,
          nowMs: engineNow,
          ingest: pipeline.stats,
          logEvents: () => log.count(),
          logFile: sqliteFileOf(log) === ':memory:' ? undefined : sqliteFileOf(log),
          logWritable: () => logUnwritable() === undefined,
          ready: () => notReady() === undefined,
          liveScopes: function* () {
            for (const s of liveNsp.sockets.values()) yield s.data.scope?.kind ?? 'unknown';
          },
          live: hub.stats,
          notify: notifier.stats,
          reports: () => reports.stats(),
          whatIf: () => whatIf.stats(),
          sources: () => opts.sources?.() ?? {},
        })
      : undefined;
  let metricsServer: http.Server | undefined;
  let metricsPort: number | undefined;
  // On this port only with the token (Authorization: Bearer); without one configured, /metrics is not here (404).
  app.get('/metrics', (req, res, next) => {
    if (!metrics || metricsToken === undefined) return next();
    if (!tokenMatches(bearer(req), metricsToken)) return res.status(401).set('WWW-Authenticate', 'Bearer realm="metrics"').json({ ok: false, error: 'metrics: send "Authorization: Bearer <FLOORWATCH_METRICS_TOKEN>"' });
    metrics.handler()(req, res);
  });

  const PAGES = ['/', '/floor', '/me', '/wall', '/login', '/settings', '/audit', '/users', '/account', '/what-if', '/reports', '/scorecard'];
  if (opts.staticDir && fs.existsSync(path.join(opts.staticDir, 'index.html'))) {
    const dir = opts.staticDir;
    app.use(express.static(dir, { index: false }));
    app.get(PAGES, (_req, res) => res.sendFile(path.join(dir, 'index.html')));
  } else {
    app.get(PAGES, (_req, res) => res.type('html').send(fallbackPage()));
  }

  app.get('/favicon.ico', (_req, res) => res.status(204).end());
  // The README, as plain text: a first-run floor links here for how to send events or start the simulator.
  const readme = path.join(packageRoot(), 'README.md');
  app.get('/readme', (_req, res) => (fs.existsSync(readme) ? res.type('text/plain; charset=utf-8').sendFile(readme) : res.status(404).type('text/plain').send('README.md is not installed here')));

  app.use('/api', (_req, res) => res.status(404).json({ ok: false, error: 'no such endpoint' }));

  // Errors: always JSON with a clear reason, never a stack trace.
  app.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    void next;
    const e = err as { type?: string; status?: number; message?: string; limit?: number };
    if (e instanceof IngestError) {
      // Nothing was written: the producer sends the batch again (the log unavailable, or the server stopping).
      if (e.status === 503) res.set('Retry-After', String(SHUTDOWN_RETRY_AFTER_SEC));
      return res.status(e.status).json({ ok: false, error: e.message });
    }
    if (e.type === 'entity.parse.failed') return res.status(400).json({ ok: false, error: `malformed JSON: ${e.message ?? 'parse error'}` });
    if (e.type === 'entity.too.large') {
      return res.status(413).json({ ok: false, error: `body too large: at most ${MAX_BODY_BYTES} bytes and ${MAX_BATCH_EVENTS} events per request` });
    }
    if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) return res.status(e.status).json({ ok: false, error: e.message ?? 'bad request' });
    logger.error(`request ${requestIdOf(req) ?? ''} ${req.method} ${req.path} failed: ${e.message ?? String(err)}`);
    res.status(500).json({ ok: false, error: 'internal error' });
  });

  // ------------------------------------------------------------ sockets
  const ingestNsp = io.of('/ingest') as unknown as import('socket.io').Namespace<IngestClientToServer, IngestServerToClient>;
  ingestNsp.use((socket, next) => {
    const auth = socket.handshake.auth as Record<string, unknown>;
    const token = typeof auth.token === 'string' ? auth.token : bearer(socket.handshake);
    const ingestOpts = { ...principalOpts, demo: false };
    const r = token ? resolveCredential({ bearer: token }, ingestOpts) : undefined;
    if (r?.principal.role !== 'ingest') return next(new Error(token ? 'invalid or revoked ingest token' : 'missing ingest token: connect with auth: { token }'));
    admitSocket(socket, { bearer: token }, r, ingestOpts);
    next();
  });
  revocations.watch(ingestNsp);
  ingestNsp.on('connection', (socket) => {
    socket.on('events:ingest', (events, ack) => {
      if (typeof ack !== 'function') return; // without an ack there is no one to tell: nothing is done
      pipeline.submit(events, 'socket').then(
        (data) => ack({ ok: true, data }),
        (err: Error) => ack({ ok: false, error: err.message }),
      );
    });
    socket.emit('ingest:ready');
  });

  liveNsp.use((socket, next) => {
    const auth = (socket.handshake.auth ?? {}) as Record<string, unknown>;
    const query = socket.handshake.query as Record<string, unknown>;
    const requested = scopeFromHandshake(auth, query);
    if (typeof requested === 'string') return next(new Error(requested));
    const creds: Credentials = {
      cookie: socket.handshake.headers.cookie,
      bearer: typeof auth.token === 'string' ? auth.token : bearer(socket.handshake),
      kiosk: typeof auth.kiosk === 'string' ? auth.kiosk : typeof query.kiosk === 'string' ? query.kiosk : undefined,
    };
    const resolved = resolveCredential(creds, principalOpts);
    const p = resolved?.principal;
    if (!resolved || !p) return next(new Error('sign in first'));
    if (p.kind === 'user' && p.mustChange) return next(new Error(MUST_CHANGE_ERROR));
    let scope: LiveScope;
    if (canSupervise(p) || p.role === 'wallboard') {
      if (p.role === 'wallboard' && requested.kind !== 'wallboard') return next(new Error('a wallboard token opens the wallboard only'));
      // A scoped supervisor or wallboard joins the room of their scope only (scope-guard.ts, shared/scope.ts).
      const limited = limitedLiveScope(requested, p, state);
      if (typeof limited === 'string') return next(new Error(limited));
      scope = limited;
    } else if (p.kind === 'user' && p.role === 'agent' && p.agentId) {
      // An agent's socket joins only their own room, whatever it asks for.
      if (requested.kind !== 'agent' || requested.agentId !== p.agentId) return next(new Error('agents see only their own view'));
      scope = { kind: 'agent', agentId: p.agentId };
    } else return next(new Error(`${anA(p.role)} may not open the live views`));
    socket.data.scope = scope;
    socket.data.principal = p;
    admitSocket(socket, creds, resolved, principalOpts);
    next();
  });
  revocations.watch(liveNsp);
  registerAlertCommands(liveNsp, { record, state: () => state, log, now: () => clock.now(), logger, recheck: (socket) => revocations.recheckNow(socket) });
  registerWorklistCommands(liveNsp, { record, state: () => state, log, now: () => clock.now(), recheck: (socket) => revocations.recheckNow(socket) });

  // ------------------------------------------------------------ lifecycle
  /**
   * Listens, then rebuilds state from the log (only the probes and /metrics answer meanwhile: see
   * `/readyz`), then starts the live tick. Resolves with the bound port once the floor is ready.
   */
  async function listen(port: number, host = '0.0.0.0'): Promise<number> {
    // Bound first: /healthz answers and /readyz says "replaying" while the log replays (everything else answers 503).
    await new Promise<void>((resolve, reject) => {
      httpServer.once('error', reject);
      httpServer.listen(port, host, () => {
        httpServer.off('error', reject);
        resolve();
      });
    });
    try {
      if (metrics && opts.metrics?.port !== undefined) ({ server: metricsServer, port: metricsPort } = await metrics.listenSeparately(opts.metrics.port, opts.metrics.host));
      await replayLog();
    } catch (err) {
      metricsServer?.close();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
      throw err;
    }
    replayDone = true;
    if (tickMs > 0) {
      tickTimer = setInterval(() => tickNow(), tickMs);
      tickTimer.unref();
    }
    retention?.start();
    return (httpServer.address() as AddressInfo).port;
  }

  /** Rebuilds the floor from the log (its saved settings, horizon and events), restores alerts and notifications, then follows a shared log. */
  async function replayLog(): Promise<void> {
    const saved = await log.loadConfig();
    // A pruned log starts from its horizon: the queues it knew, and where their queue-wait episode numbers stood (log/prune.ts).
    const horizon = await log.horizon();
    state = applyHorizon(createFloorState(saved ?? opts.config ?? defaultConfig(), 0, { clock: 'server', limits: engineLimits }), horizon);
    let n = 0;
    // Every alert the replay rebuilds is saved again (latest content per id): one the last run
    // raised but had not yet written when it stopped is recorded now.
    const rebuilt = new Map<string, Alert>();
    const keep = () => {
      for (const a of drainChanges(state).alerts) rebuilt.set(a.id, a);
    };
    replayed = await log.replay((e, receivedAtMs) => {
      // The clock the live run had when it received the event, then the event: the same "now" at every step.
      foldReceived(e, receivedAtMs);
      replayProgress = ++n;
      // Keep the replay's change sets small.
      if (n % 10_000 === 0) keep();
    });
    keep();
    tick(state, engineNow());
    keep();
    // Before a prune's horizon the replay is partial (those days' calls are gone): an alert it last changed
    // there is not the live run's, whose saved copy stands.
    const restored = [...rebuilt.values()].filter((a) => horizon === undefined || a.raisedAtMs >= horizon.beforeMs || a.updatedAtMs > horizon.beforeMs);
    for (const a of restored) pendingAlerts.set(a.id, a);
    await saveAlertsNow();
    // The replay sent nothing; what was notified before the restart is followed again (escalations due, all-clears).
    await notifier.restore(restored).catch((err: Error) => logger.error(`notifications: escalations not restored after the restart: ${err.message}`));
    if (shared) shared.follow(shared.lastReplayedId, applyFromLog, (err) => logger.warn(`event log: ${err.message}; retrying`));
    await revocations.start();
  }

  let closing: Promise<void> | undefined;

  /**
   * A graceful stop (SIGTERM through main.ts): no new connections; ingest refused from now on (HTTP 503
   * with Retry-After, a socket batch's ack `ok: false`), nothing of it written, while every batch already
   * submitted is appended, applied and answered; requests in flight answered (up to DRAIN_HTTP_MS); the
   * alerts waiting saved; every socket sent `server:shutdown` (the client reconnects by itself with
   * backoff), its last acks written, then closed (up to DRAIN_SOCKETS_MS). Resolves when no connection is
   * left; the log and the auth store are the caller's to close. Called again, it returns the same stop.
   */
  function close(): Promise<void> {
    closing ??= stop();
    return closing;
  }

  async function stop(): Promise<void> {
    draining = true;
    // No new connections from here. Those open stay to the end: a batch sent down an idle keep-alive one is
    // answered 503 with Retry-After and Connection: close, not cut (http.Server's own close() cuts idle ones at once).
    const httpClosed = new Promise<void>((resolve) => NetServer.prototype.close.call(httpServer, () => resolve()));
    // Answers not yet begun close their connection too: no producer sends its next batch down it.
    for (const res of inflight) if (!res.headersSent) res.setHeader('Connection', 'close');
    if (tickTimer) clearInterval(tickTimer);
    await pipeline.drain();
    // The drained batches' answers (HTTP responses, socket acks) are written in the turns after their commit.
    await new Promise<void>((resolve) => setImmediate(resolve));
    for (const until = Date.now() + DRAIN_HTTP_MS; inflight.size > 0 && Date.now() < until; ) await new Promise((r) => setTimeout(r, 10));
    await retention?.stop();
    stopRevokeHook();
    revocations.close();
    await saveAlertsNow();
    await notifier.close();
    await ownNotifyStore?.close();
    await reports.close();
    await whatIf.close();
    metricsServer?.close();
    metricsServer?.closeAllConnections();
    aggregates.close();
    transcripts.close();
    hub.close();
    await closeSockets();
    await new Promise<void>((resolve) => io.close(() => resolve()));
    httpServer.closeAllConnections?.();
    // A peer that does not answer a websocket close would hold its connection (and the stop) for half a minute.
    await Promise.race([httpClosed, new Promise((r) => setTimeout(r, 200))]);
    for (const c of connections) c.destroy();
    await httpClosed;
  }

  /**
   * Tells every socket of every namespace the server is stopping, then closes each connection once it has
   * written what it holds (engine.io's close without discard), so the notice and the last acks arrive; the
   * client sees its transport close and reconnects with its usual backoff. Not a room emit: every socket must hear it.
   */
  async function closeSockets(): Promise<void> {
    const notice: ShutdownNotice = { retryAfterSec: SHUTDOWN_RETRY_AFTER_SEC, message: 'the server is stopping (a restart or an upgrade); reconnecting' };
    liveNsp.emit('server:shutdown', notice);
    ingestNsp.emit('server:shutdown', notice);
    const conns = new Set([...io.sockets.sockets.values(), ...liveNsp.sockets.values(), ...ingestNsp.sockets.values()].map((s) => s.conn));
    const closed = [...conns].map(
      (conn) =>
        new Promise<void>((resolve) => {
          if (conn.readyState === 'closed') return resolve();
          conn.once('close', () => resolve());
          conn.close();
        }),
    );
    await Promise.race([Promise.all(closed), new Promise((r) => setTimeout(r, DRAIN_SOCKETS_MS))]);
  }

  return {
    app,
    httpServer,
    io,
    pipeline,
    hub,
    /** Open sockets by credential, cut when it ends (revocation.ts). */
    revocations,
    /** Past days' reports: worker, queue and cache (report-cache.ts). */
    reports,
    /** `--retain-days` pruning, when configured (retention.ts). */
    retention,
    /** Notifications: routing, grouping, escalation, delivery (server/notify/). */
    notifier,
    /** The transcript privacy setting and the words it keeps (transcripts.ts). */
    transcripts,
    /** The engine state (read-only use). */
    state: () => state,
    engineNow,
    tickNow,
    listen,
    close,
    get replayed() {
      return replayed;
    },
    /** The port of the separate metrics listener (`metrics.port`), once `listen` bound it. */
    get metricsPort() {
      return metricsPort;
    },
    /** True once `close()` began: ingest is refused, the node is going away (for a readiness probe). */
    get draining() {
      return draining;
    },
  };
}

export type FloorwatchServer = ReturnType<typeof createServer>;
