/**
 * What the PBX inputs (server/ami/client.ts, server/freeswitch/esl-client.ts) share: the life of the
 * link ({@link PbxLink}: start, stop, reconnect with backoff, failures logged once), the bounded queue
 * of feed events submitted to the event log in order ({@link PbxSubmitQueue}), and the `HOST:PORT` flag
 * value they connect to.
 */
import net from 'node:net';
import type { FloorEventInput } from '../shared/events.ts';
import { MAX_BATCH_EVENTS } from './ingest.ts';
import type { IngestResult } from '../shared/wire.ts';

/** Events a PBX input keeps while the log does not take them (oldest dropped beyond it): minutes of a busy floor. */
export const PBX_MAX_PENDING = 200_000;
/** Wait before submitting again after the log refused a batch, ms. */
export const PBX_RETRY_MS = 1_000;

/** The submission counts a PBX input reports in /api/health (added to its own link counts). */
export interface PbxSubmitCounts {
  events: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  dropped: number;
}

/** How a {@link PbxSubmitQueue} submits and speaks. */
export interface PbxSubmitOptions {
  /** Names the input in log lines: `AMI`, `FreeSWITCH`. */
  label: string;
  submit: (events: FloorEventInput[]) => Promise<IngestResult>;
  /** Logs a failure once while it lasts (the input's own report-once logger). */
  report: (message: string) => void;
  /** Logs a warning every time. */
  warn: (message: string) => void;
  /** True once the input is stopped: a failed batch is then not retried. */
  stopped: () => boolean;
  maxPending?: number;
  retryMs?: number;
}

/** A PBX input's events on their way to the log: in order, bounded ({@link PBX_MAX_PENDING}), retried every {@link PBX_RETRY_MS}. */
export class PbxSubmitQueue {
  private pending: FloorEventInput[] = [];
  private pumping: Promise<void> | undefined;

  /** `counts` is the input's own counts object: the queue adds to its submission fields. */
  constructor(
    private readonly opts: PbxSubmitOptions,
    private readonly counts: PbxSubmitCounts,
  ) {}

  /** Events waiting for the log. */
  get size(): number {
    return this.pending.length;
  }

  /** Resolves once the batch being submitted (if any) is answered. */
  settled(): Promise<void> {
    return this.pumping ?? Promise.resolve();
  }

  /** Queues events for the log; beyond `maxPending` the oldest are dropped, counted and reported. */
  enqueue(events: FloorEventInput[]): void {
    if (events.length === 0) return;
    this.counts.events += events.length;
    this.pending.push(...events);
    const max = this.opts.maxPending ?? PBX_MAX_PENDING;
    if (this.pending.length > max) {
      const over = this.pending.length - max;
      this.pending.splice(0, over);
      this.counts.dropped += over;
      this.opts.report(`${this.opts.label}: the event log has not accepted events for a long time; ${this.counts.dropped} oldest events dropped`);
    }
    this.pumping ??= this.pump().finally(() => (this.pumping = undefined));
  }

  /** Submits pending events in order, one batch at a time, until none is left. */
  private async pump(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.slice(0, MAX_BATCH_EVENTS);
      try {
        const r = await this.opts.submit(batch);
        this.pending.splice(0, batch.length);
        this.counts.accepted += r.accepted;
        this.counts.duplicates += r.duplicates;
        this.counts.rejected += r.rejected.length;
        if (r.rejected.length) this.opts.warn(`${this.opts.label}: ${r.rejected.length} events rejected: ${r.rejected[0].error}`);
      } catch (err) {
        if (this.opts.stopped()) return;
        this.opts.report(`${this.opts.label}: submitting events failed (${(err as Error).message}); retrying`);
        await new Promise((r) => setTimeout(r, this.opts.retryMs ?? PBX_RETRY_MS));
      }
    }
  }
}

/**
 * Reads a flag's `HOST:PORT` (`[::1]:PORT` for IPv6; the port defaults to `defaultPort`).
 * Throws an Error naming `flag` when the text is no address or the port is outside 1..65535.
 */
export function parseHostPort(text: string, flag: string, defaultPort: number): { host: string; port: number } {
  const m = /^\s*(?:\[([^\]]+)\]|([^:\s]+))(?::(\d+))?\s*$/.exec(text);
  if (!m) throw new Error(`${flag}: expected HOST:PORT, got "${text}"`);
  const port = m[3] === undefined ? defaultPort : Number(m[3]);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new Error(`${flag}: port must be 1..65535, got "${m[3]}"`);
  return { host: m[1] ?? m[2], port };
}

/** `host:port` as people write it back: an IPv6 host in brackets (`[::1]:8021`), as {@link parseHostPort} reads it. */
export function formatHostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** What every PBX link is told: where, how to submit, and its clocks and pauses (each client adds its own). */
export interface PbxLinkOptions {
  host: string;
  port: number;
  submit: (events: FloorEventInput[]) => Promise<IngestResult>;
  /** Arrival time of events the PBX did not date, and the reconcile's clock. */
  now?: () => number;
  logger?: Pick<Console, 'info' | 'warn' | 'error'>;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  retryMs?: number;
  maxPending?: number;
}

/** First pause before dialling the PBX again: quick enough for a restart of the PBX to go unnoticed. */
export const PBX_BACKOFF_INITIAL_MS = 500;
/** Longest pause between attempts: a PBX down for long is retried twice a minute. */
export const PBX_BACKOFF_MAX_MS = 30_000;

/**
 * The life of a PBX link the AMI and FreeSWITCH clients share: started and stopped once, dialled again
 * with exponential backoff ({@link PBX_BACKOFF_INITIAL_MS} doubling to {@link PBX_BACKOFF_MAX_MS}, back
 * to the start after a good login), failures logged once while they last, and the events the adapter
 * makes queued for the log ({@link PbxSubmitQueue}). Each client speaks its own protocol in `connect`
 * and says its own goodbye; `counts` is its counts object, whose submission fields the queue keeps.
 */
export abstract class PbxLink<O extends PbxLinkOptions, C extends PbxSubmitCounts> {
  protected readonly logger: Pick<Console, 'info' | 'warn' | 'error'>;
  protected readonly now: () => number;
  protected socket: net.Socket | undefined;
  protected stopped = true;
  protected backoffMs: number;
  protected reconnectTimer: NodeJS.Timeout | undefined;
  protected lastError = '';
  /** Resolves when the current socket has closed (`connect` replaces it). */
  protected closed: Promise<void> = Promise.resolve();
  protected lastEventAtMs: number | undefined;
  /** Feed events on their way to the log. */
  protected readonly queue: PbxSubmitQueue;

  constructor(
    protected readonly opts: O,
    label: string,
    protected readonly counts: C,
  ) {
    this.logger = opts.logger ?? console;
    this.now = opts.now ?? (() => Date.now());
    this.backoffMs = opts.backoffInitialMs ?? PBX_BACKOFF_INITIAL_MS;
    this.queue = new PbxSubmitQueue(
      {
        label,
        submit: (events) => this.opts.submit(events),
        report: (message) => this.report(message),
        warn: (message) => this.logger.warn(message),
        stopped: () => this.stopped,
        maxPending: opts.maxPending,
        retryMs: opts.retryMs,
      },
      counts,
    );
  }

  /** Dials the PBX (once; a started link stays started until {@link stop}). */
  start(): this {
    if (!this.stopped) return this;
    this.stopped = false;
    this.connect();
    return this;
  }

  /** Says goodbye, closes the connection and stops reconnecting; waits for a submission in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    const sock = this.socket;
    if (sock && !sock.destroyed) {
      this.sayGoodbye(sock);
      sock.end();
      // A peer that does not close its side within a moment is cut off.
      const force = setTimeout(() => sock.destroy(), 500);
      await this.closed;
      clearTimeout(force);
    }
    await this.queue.settled();
  }

  /** Opens a connection and speaks the protocol on it; on its close, {@link scheduleReconnect}. */
  protected abstract connect(): void;

  /** Writes the protocol's goodbye on the socket if the session is established (AMI Logoff, ESL exit). */
  protected abstract sayGoodbye(sock: net.Socket): void;

  /** The PBX's address as people write it. */
  protected target(): string {
    return formatHostPort(this.opts.host, this.opts.port);
  }

  /** Dials again after the current pause, which then doubles up to the maximum. */
  protected scheduleReconnect(): void {
    if (this.stopped) return;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.opts.backoffMaxMs ?? PBX_BACKOFF_MAX_MS);
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  /** A good login: the next failure is dialled again at once and logged anew. */
  protected loggedIn(): void {
    this.backoffMs = this.opts.backoffInitialMs ?? PBX_BACKOFF_INITIAL_MS;
    this.lastError = '';
  }

  /** Logs a failure once, not on every attempt while it lasts. */
  protected report(message: string): void {
    if (message === this.lastError) return;
    this.lastError = message;
    this.logger.warn(message);
  }

  protected enqueue(events: FloorEventInput[]): void {
    this.queue.enqueue(events);
  }
}
