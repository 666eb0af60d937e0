/**
 * Prometheus metrics (`GET /metrics`, text exposition format 0.0.4) through
 * prom-client, on a registry of this server's own: two servers in one process
 * (tests, a CLI next to a server) never share or double-register a metric.
 *
 * Counters mirror the counters `/api/health` already keeps (ingest per source,
 * live deltas, notification deliveries, worker runs): they are read at scrape
 * time, so the two never disagree. Gauges of the floor (queues, alerts, agents,
 * sockets, the log's size) are computed at scrape time from the live state.
 * Histograms (ingest and log-append latency) are observed as batches go by.
 *
 * Exposure (see {@link metricsAccess}): a bearer token (`FLOORWATCH_METRICS_TOKEN`)
 * on the main port, and/or a separate port (`--metrics-port`, bound to
 * `--metrics-host`, loopback by default) that answers without a token. With
 * neither, `/metrics` answers 404: nothing is exposed.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { timingSafeEqual, createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { RULE_IDS } from '../shared/config.ts';
import type { FloorState, AlertLevel } from '../shared/state.ts';
import { selectAllQueueKpis, selectTotals } from '../shared/selectors.ts';
import type { IngestObserver, IngestSource, SourceCounts } from './ingest.ts';
import type { NotifierStats } from './notify/dispatcher.ts';
import type { ReportStats } from './report-cache.ts';
import type { WhatIfStats } from './what-if.ts';

/** How `/metrics` is exposed: a token on the main port, a port of its own, both, or neither (404). */
export interface MetricsAccess {
  /** `FLOORWATCH_METRICS_TOKEN`: `Authorization: Bearer <token>` opens `/metrics` on the main port. */
  token?: string;
  /** `--metrics-port`: a separate listener serving only `/metrics`, without a token (0 = any free port). */
  port?: number;
  /** `--metrics-host`: where that listener binds (default 127.0.0.1: only this machine may scrape). */
  host?: string;
}

/** What the metrics read at scrape time; every member is cheap to call. */
export interface MetricsInputs {
  state: () => FloorState;
  /** The server's clock, epoch ms: a queue's longest wait is measured to it. */
  nowMs: () => number;
  ingest: { bySource: Partial<Record<IngestSource, SourceCounts>> };
  /** Events in the log (a count query on SQLite, XLEN on Redis). */
  logEvents: () => Promise<number>;
  /** The SQLite log's file (its size and its WAL's are reported); undefined for Redis or in memory. */
  logFile: string | undefined;
  logWritable: () => boolean;
  ready: () => boolean;
  /** The scope kind (`floor`, `agent`, `wallboard`) of every open /live socket. */
  liveScopes: () => Iterable<string>;
  live: { deltas: number; deltasDropped: number; snapshots: number; laggards: number };
  notify: NotifierStats;
  reports: () => ReportStats;
  whatIf: () => WhatIfStats;
  /** Feeds (`/api/health` → `sources`): `ami`, `freeswitch` and `queueLog` stats when they run. */
  sources: () => Record<string, unknown>;
}

const SOURCES: IngestSource[] = ['http', 'socket', 'queue_log', 'ami', 'freeswitch', 'simulator', 'server'];
const SCOPES = ['floor', 'agent', 'wallboard'];
const LEVELS: AlertLevel[] = ['info', 'warn', 'breach'];

/**
 * Latency buckets, s: a group commit on SQLite with `synchronous=full` is one fsync (0.5–20 ms on
 * SSDs, more on disks or a busy Redis), a batch adds validation, queueing and the fold.
 */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** A file's size, bytes; 0 when it does not exist. */
function sizeOf(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

/** True when `given` is the configured token; constant time over their digests (their lengths may differ). */
export function tokenMatches(given: string | undefined, want: string): boolean {
  if (!given) return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(want).digest();
  return timingSafeEqual(a, b);
}

/** A counter whose value is read from an existing counter at scrape time (`read` gives label values → total). */
function mirrorCounter<L extends string>(registry: Registry, name: string, help: string, labelNames: readonly L[], read: () => [Partial<Record<L, string>>, number][]): Counter<L> {
  return new Counter<L>({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const [labels, v] of read()) this.inc(labels, v);
    },
  });
}

/** One server's metrics: the registry, the pipeline's observer, and the text a scrape gets. */
export class FloorwatchMetrics {
  readonly registry = new Registry();
  /** Give to the ingest pipeline: observes batch and log-append latency. */
  readonly observer: IngestObserver;

  constructor(inputs: MetricsInputs) {
    const r = this.registry;
    // Process and runtime: CPU, memory, handles, GC, event-loop delay (perf_hooks.monitorEventLoopDelay).
    collectDefaultMetrics({ register: r });

    const bySource = (k: keyof SourceCounts) => () => SOURCES.map((s): [{ source: string }, number] => [{ source: s }, inputs.ingest.bySource[s]?.[k] ?? 0]);
    mirrorCounter(r, 'floorwatch_events_ingested_total', 'Events newly written to the log, by producer.', ['source'], bySource('accepted'));
    mirrorCounter(r, 'floorwatch_events_rejected_total', 'Events refused as invalid (schema, or dated too far ahead), by producer.', ['source'], bySource('rejected'));
    mirrorCounter(r, 'floorwatch_events_duplicates_total', 'Events whose id the log already held (or repeated in a batch): not written again, by producer.', ['source'], bySource('duplicates'));
    mirrorCounter(r, 'floorwatch_events_failed_total', 'Events not written because the log was unavailable or its write failed (the producer was told to retry), by producer.', ['source'], bySource('failed'));
    mirrorCounter(r, 'floorwatch_ingest_batches_total', 'Batches submitted, by producer.', ['source'], bySource('batches'));

    const batch = new Histogram({
      name: 'floorwatch_ingest_batch_seconds',
      help: 'Time from a batch submitted to its answer (validation, queue, log append, fold), by producer.',
      labelNames: ['source'],
      buckets: LATENCY_BUCKETS,
      registers: [r],
    });
    const commit = new Histogram({
      name: 'floorwatch_log_append_seconds',
      help: 'Duration of one durable append to the event log (a group commit of every waiting batch).',
      buckets: LATENCY_BUCKETS,
      registers: [r],
    });
    this.observer = {
      batch: (source, seconds) => batch.observe({ source }, seconds),
      commit: (seconds) => commit.observe(seconds),
    };

    new Gauge({
      name: 'floorwatch_log_events',
      help: 'Events held in the event log.',
      registers: [r],
      async collect() {
        this.set(await inputs.logEvents().catch(() => NaN));
      },
    });
    if (inputs.logFile !== undefined) {
      const file = inputs.logFile;
      new Gauge({
        name: 'floorwatch_log_bytes',
        help: 'Size on disk of the SQLite event log: the database file plus its write-ahead log.',
        registers: [r],
        collect() {
          this.set(sizeOf(file) + sizeOf(`${file}-wal`));
        },
      });
    }
    new Gauge({
      name: 'floorwatch_log_writable',
      help: '1 while the event log takes writes (the last append succeeded; a shared log is reachable), else 0.',
      registers: [r],
      collect() {
        this.set(inputs.logWritable() ? 1 : 0);
      },
    });
    new Gauge({
      name: 'floorwatch_ready',
      help: '1 once the log is replayed and writable (what /readyz answers 200 to), else 0.',
      registers: [r],
      collect() {
        this.set(inputs.ready() ? 1 : 0);
      },
    });

    new Gauge({
      name: 'floorwatch_live_sockets',
      help: 'Open /live sockets by the view they hold: floor (supervisors), agent (one agent each), wallboard.',
      labelNames: ['scope'],
      registers: [r],
      collect() {
        const n = new Map<string, number>(SCOPES.map((s) => [s, 0]));
        for (const kind of inputs.liveScopes()) n.set(kind, (n.get(kind) ?? 0) + 1);
        this.reset();
        for (const [scope, v] of n) this.set({ scope }, v);
      },
    });
    mirrorCounter(r, 'floorwatch_live_deltas_total', 'Deltas broadcast to a live room (floor, wallboard, one agent).', [], () => [[{}, inputs.live.deltas]]);
    mirrorCounter(r, 'floorwatch_live_deltas_dropped_total', 'Deltas not sent to a socket that stopped reading (it gets one fresh snapshot when it drains).', [], () => [[{}, inputs.live.deltasDropped]]);
    mirrorCounter(r, 'floorwatch_live_snapshots_total', 'Snapshots sent (connects, resyncs, drained laggards).', [], () => [[{}, inputs.live.snapshots]]);
    mirrorCounter(r, 'floorwatch_live_laggards_total', 'Times a socket fell behind (its unsent backlog passed the limit).', [], () => [[{}, inputs.live.laggards]]);

    // The floor, at scrape time. One pass over the queues' figures serves the three per-queue gauges.
    let kpis: { at: number; rows: ReturnType<typeof selectAllQueueKpis> } | undefined;
    const queueKpis = () => {
      // Collect callbacks run one after another in one scrape: compute once per scrape (same clock reading).
      const now = inputs.nowMs();
      if (!kpis || kpis.at !== now) kpis = { at: now, rows: selectAllQueueKpis(inputs.state()) };
      return kpis.rows;
    };
    new Gauge({
      name: 'floorwatch_queue_waiting',
      help: 'Callers waiting in the queue now.',
      labelNames: ['queue'],
      registers: [r],
      collect() {
        this.reset();
        for (const q of queueKpis()) this.set({ queue: q.queueId }, q.waiting);
      },
    });
    new Gauge({
      name: 'floorwatch_queue_longest_wait_seconds',
      help: 'Longest current wait in the queue, s (0 when nobody waits).',
      labelNames: ['queue'],
      registers: [r],
      collect() {
        this.reset();
        const now = inputs.nowMs();
        for (const q of queueKpis()) this.set({ queue: q.queueId }, q.longestWaitSinceMs === null ? 0 : Math.max(0, (now - q.longestWaitSinceMs) / 1000));
      },
    });
    new Gauge({
      name: 'floorwatch_queue_service_level_percent',
      help: 'Service level today, %: answered within T s / (answered + abandoned after T s), short abandons excluded; absent before any call counts.',
      labelNames: ['queue'],
      registers: [r],
      collect() {
        this.reset();
        for (const q of queueKpis()) if (q.serviceLevelPct !== null) this.set({ queue: q.queueId }, q.serviceLevelPct);
      },
    });
    new Gauge({
      name: 'floorwatch_queue_calls_today',
      help: 'Calls of the floor-local day so far, by queue and outcome (offered, answered, abandoned); back to 0 at midnight.',
      labelNames: ['queue', 'outcome'],
      registers: [r],
      collect() {
        this.reset();
        for (const q of queueKpis()) {
          this.set({ queue: q.queueId, outcome: 'offered' }, q.offered);
          this.set({ queue: q.queueId, outcome: 'answered' }, q.answered);
          this.set({ queue: q.queueId, outcome: 'abandoned' }, q.abandoned);
        }
      },
    });
    new Gauge({
      name: 'floorwatch_agents',
      help: 'Agents by what they are doing now (available, ringing, talking, hold, wrapup, away, offline…).',
      labelNames: ['activity'],
      registers: [r],
      collect() {
        this.reset();
        for (const [activity, v] of Object.entries(selectTotals(inputs.state()).agentsByState)) this.set({ activity }, v);
      },
    });
    new Gauge({
      name: 'floorwatch_alerts_open',
      help: 'Open alerts by rule and level.',
      labelNames: ['rule', 'level'],
      registers: [r],
      collect() {
        const n = new Map<string, number>();
        for (const a of inputs.state().alerts.values()) if (a.status === 'open') n.set(`${a.ruleId}\n${a.level}`, (n.get(`${a.ruleId}\n${a.level}`) ?? 0) + 1);
        this.reset();
        // Every rule and level, 0 included: a series that drops to nothing reads as 0, not as gone.
        for (const rule of RULE_IDS) for (const level of LEVELS) this.set({ rule, level }, n.get(`${rule}\n${level}`) ?? 0);
      },
    });

    const notify = inputs.notify;
    mirrorCounter(r, 'floorwatch_notify_deliveries_total', 'Notification delivery outcomes (email, webhooks): sent, failed (given up), retried, suppressed (quiet hours), dropped (a bound reached), claimed_elsewhere (another node sent it).', ['outcome'], () => [
      [{ outcome: 'sent' }, notify.sent],
      [{ outcome: 'failed' }, notify.failed],
      [{ outcome: 'retried' }, notify.retried],
      [{ outcome: 'suppressed' }, notify.suppressed],
      [{ outcome: 'dropped' }, notify.dropped],
      [{ outcome: 'claimed_elsewhere' }, notify.claimedElsewhere],
    ]);
    new Gauge({
      name: 'floorwatch_notify_queue',
      help: 'Notifications waiting to be sent, and being sent now.',
      labelNames: ['state'],
      registers: [r],
      collect() {
        this.set({ state: 'queued' }, notify.queued);
        this.set({ state: 'in_flight' }, notify.inFlight);
      },
    });

    mirrorCounter(r, 'floorwatch_worker_runs_total', 'Worker-thread builds: past-day reports (worker="report") and what-if replays (worker="what_if"), by outcome (ok, failed, busy: refused while another ran).', ['worker', 'outcome'], () => {
      const rep = inputs.reports();
      const wi = inputs.whatIf();
      return [
        [{ worker: 'report', outcome: 'ok' }, rep.builds],
        [{ worker: 'report', outcome: 'failed' }, rep.failures],
        [{ worker: 'what_if', outcome: 'ok' }, Math.max(0, wi.runs - wi.failures)],
        [{ worker: 'what_if', outcome: 'failed' }, wi.failures],
        [{ worker: 'what_if', outcome: 'busy' }, wi.busyRefusals],
      ];
    });
    new Gauge({
      name: 'floorwatch_worker_last_run_seconds',
      help: "The last successful worker build's time on its thread, s.",
      labelNames: ['worker'],
      registers: [r],
      collect() {
        this.reset();
        const rep = inputs.reports().lastBuild;
        const wi = inputs.whatIf().last;
        if (rep) this.set({ worker: 'report' }, rep.ms / 1000);
        if (wi) this.set({ worker: 'what_if' }, wi.ms / 1000);
      },
    });
    new Gauge({
      name: 'floorwatch_report_queue',
      help: 'Past-day report builds waiting for the worker.',
      registers: [r],
      collect() {
        this.set(inputs.reports().queued);
      },
    });

    new Gauge({
      name: 'floorwatch_source_up',
      help: 'Telephony feeds this node follows: 1 while it flows (AMI logged in; FreeSWITCH event socket authenticated and subscribed; the queue_log file readable as queue_log), else 0.',
      labelNames: ['source'],
      registers: [r],
      collect() {
        this.reset();
        const s = inputs.sources();
        const ami = s.ami as { connected?: boolean } | undefined;
        const tail = s.queueLog as { problem?: unknown } | undefined;
        if (ami) this.set({ source: 'ami' }, ami.connected ? 1 : 0);
        const fs = s.freeswitch as { connected?: boolean } | undefined;
        if (fs) this.set({ source: 'freeswitch' }, fs.connected ? 1 : 0);
        if (tail) this.set({ source: 'queue_log' }, tail.problem ? 0 : 1);
      },
    });
  }

  /** The exposition text (awaits the async collectors). */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  /** The content type of {@link text}. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** An express handler answering a scrape. */
  handler(): (req: Request, res: Response) => void {
    return (_req, res) => {
      this.text().then(
        (body) => res.type(this.contentType).send(body),
        (err: Error) => res.status(500).type('text/plain').send(`metrics failed: ${err.message}\n`),
      );
    };
  }

  /**
   * Starts a listener of its own answering only `GET /metrics` (no token: bind it where only the
   * scraper reaches). Resolves with it and its port; rejects when the port cannot be bound.
   */
  async listenSeparately(port: number, host = '127.0.0.1'): Promise<{ server: http.Server; port: number }> {
    const server = http.createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: this port serves GET /metrics only\n');
        return;
      }
      this.text().then(
        (body) => res.writeHead(200, { 'content-type': this.contentType }).end(req.method === 'HEAD' ? undefined : body),
        (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${err.message}\n`),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return { server, port: (server.address() as AddressInfo).port };
  }
}
