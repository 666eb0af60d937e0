/**
 * Live tail of an Asterisk queue_log: follows appends and rotation and feeds
 * the events to the ingest pipeline (`server.pipeline.submit`), like any
 * other producer.
 *
 * It polls the path (a stat every 200 ms is cheap and, unlike fs.watch,
 * behaves the same on every file system and across renames):
 * - appended bytes are read from the open descriptor; a last line without its
 *   line break waits for the rest of it;
 * - rotation by rename (Asterisk's `logger rotate`, logrotate's default): the
 *   path names a new file (another inode). The old file is read to its end
 *   first (its descriptor stays open), then the new one from its start;
 * - rotation by truncation (logrotate `copytruncate`): the file is shorter
 *   than what was read; reading starts over from its start.
 *
 * By default the current file is read from its beginning: events already in
 * the log are recognised by their ids and ignored, and the adapter learns the
 * calls that are still open. Submissions are retried until they succeed, so
 * a log that is briefly unavailable loses nothing.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { FloorEvent } from '../../shared/events.ts';
import { DEFAULT_ENGINE_LIMITS } from '../../shared/engine.ts';
import type { IngestResult } from '../../shared/wire.ts';
import { MAX_BATCH_EVENTS } from '../ingest.ts';
import { orderWithinSeconds } from './adapter.ts';
import type { RecordResult } from './parse.ts';
import { formatProblem, QueueLogReader, type FileProblem, type LineStats } from './reader.ts';

/** Poll period: a line appended shows on the floor well within a second. */
export const TAIL_POLL_MS = 200;
/** Bytes read per system call: bounds memory when a big file is read from the start. */
const READ_CHUNK_BYTES = 1024 * 1024;
/** Pause before submitting a batch again after the pipeline refused it. */
const RETRY_MS = 1_000;
/** Damaged lines logged one by one before the log goes quiet (they are still counted). */
const DAMAGED_LOGGED = 20;
/** Records of a file read before "most of them are damaged" is judged (a file that begins with one bad line is not yet a bad file). */
export const TAIL_JUDGE_AFTER = 20;
/** Idle open calls are looked for at most once per minute of record time: a scan of the adapter's calls is cheap at that rate. */
const IDLE_SWEEP_MS = 60_000;

export interface QueueLogTailOptions {
  file: string;
  submit: (events: FloorEvent[]) => Promise<IngestResult>;
  /** Zone for the local times of database exports (queue_log files carry epoch seconds). */
  timeZone: string;
  pollMs?: number;
  /** Read the current file from its start (default) or only what is appended from now on. */
  from?: 'start' | 'end';
  logger?: Pick<Console, 'info' | 'warn' | 'error'>;
  /**
   * A call open in the adapter with no record for this long is closed there (its end was lost; the
   * engine closes it as end lost by its own stale-call limit), s. Default: the engine's connected
   * limit (12 h), so the adapter's per-call memory holds the calls of the last 12 h at most.
   */
  idleLimitSec?: number;
}

export interface TailStats {
  file: string;
  lines: LineStats;
  events: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  rotations: number;
  truncations: number;
  /** Byte offset read so far in the current file. */
  offset: number;
  /** The adapter's per-call memory: calls kept (open and recently finished), open calls closed as idle, the idle limit (s). */
  calls: { kept: number; expiredIdle: number; idleLimitSec: number };
  /**
   * Present while the file is not queue_log Floorwatch reads: its header names no known layout,
   * or most of its records (from {@link TAIL_JUDGE_AFTER} on) are damaged. Logged once.
   */
  problem?: FileProblem;
}

export class QueueLogTail {
  readonly reader: QueueLogReader;
  private fh: fs.FileHandle | undefined;
  private ino = -1;
  private dev = -1;
  private pos = 0;
  private partial: Buffer = Buffer.alloc(0);
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;
  private running: Promise<void> | undefined;
  private firstOpen = true;
  private lastError = '';
  /** The kind of problem already logged for the current file. */
  private problemLogged: FileProblem['kind'] | undefined;
  private readonly logger: Pick<Console, 'info' | 'warn' | 'error'>;
  private counts = { events: 0, accepted: 0, duplicates: 0, rejected: 0, rotations: 0, truncations: 0 };
  /** Latest record time read, and the record time of the last look for idle calls (ms). */
  private latestRecordMs = Number.NEGATIVE_INFINITY;
  private sweptAtMs = Number.NEGATIVE_INFINITY;
  private expiredIdle = 0;

  constructor(private readonly opts: QueueLogTailOptions) {
    this.reader = new QueueLogReader({ timeZone: opts.timeZone, name: path.basename(opts.file) });
    this.logger = opts.logger ?? console;
  }

  get stats(): TailStats {
    const problem = this.reader.problem(TAIL_JUDGE_AFTER);
    const calls = { kept: this.reader.adapter.callsKept, expiredIdle: this.expiredIdle, idleLimitSec: this.idleLimitSec() };
    return { file: this.opts.file, lines: this.reader.stats, ...this.counts, offset: this.pos, calls, ...(problem ? { problem } : {}) };
  }

  start(): this {
    if (!this.stopped) return this;
    this.stopped = false;
    this.schedule(0);
    return this;
  }

  /** Stops polling and closes the file once the current poll has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    await this.fh?.close().catch(() => {});
    this.fh = undefined;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.poll()
        .catch((err: Error) => this.report(`queue_log tail: ${err.message}`))
        .finally(() => this.schedule(this.opts.pollMs ?? TAIL_POLL_MS));
    }, ms);
    this.timer.unref?.();
  }

  /** Logs a failure once, not on every poll while it lasts. */
  private report(message: string): void {
    if (message === this.lastError) return;
    this.lastError = message;
    this.logger.error(message);
  }

  private async poll(): Promise<void> {
    let st: import('node:fs').Stats | undefined;
    try {
      st = await fs.stat(this.opts.file);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code !== 'ENOENT') throw new Error(`cannot read ${this.opts.file}: ${e.message}`);
      if (!this.fh) this.report(`queue_log tail: waiting for ${this.opts.file} to appear`);
    }
    if (this.fh && st && (st.ino !== this.ino || st.dev !== this.dev)) {
      // Rotated by rename: finish the old file, then follow the new one from its start.
      await this.drain();
      await this.flushPartial();
      await this.fh.close().catch(() => {});
      this.fh = undefined;
      this.counts.rotations++;
      this.logger.info(`queue_log tail: ${this.opts.file} was rotated; reading the new file from its start`);
    }
    if (!this.fh) {
      if (!st) return;
      await this.open(st);
    } else if (st && st.size < this.pos) {
      // Truncated in place (copytruncate): what was not read yet is gone; start over.
      this.counts.truncations++;
      this.partial = Buffer.alloc(0);
      this.pos = 0;
      this.reader.newFile();
      this.problemLogged = undefined;
      this.logger.info(`queue_log tail: ${this.opts.file} was truncated; reading it again from its start`);
    }
    await this.drain();
    this.lastError = '';
  }

  private async open(st: import('node:fs').Stats): Promise<void> {
    try {
      this.fh = await fs.open(this.opts.file, 'r');
    } catch (err) {
      throw new Error(`cannot open ${this.opts.file}: ${(err as Error).message}`);
    }
    const opened = await this.fh.stat();
    this.ino = opened.ino;
    this.dev = opened.dev;
    this.pos = this.firstOpen && this.opts.from === 'end' ? st.size : 0;
    this.partial = Buffer.alloc(0);
    if (!this.firstOpen) this.reader.newFile();
    this.firstOpen = false;
    this.problemLogged = undefined;
    this.logger.info(`queue_log tail: following ${this.opts.file}${this.pos > 0 ? ` from byte ${this.pos}` : ''}`);
  }

  /** Reads what was appended to the open file and submits the events of its complete lines. */
  private async drain(): Promise<void> {
    const fh = this.fh;
    if (!fh) return;
    const buf = Buffer.alloc(READ_CHUNK_BYTES);
    for (;;) {
      if (this.stopped) return;
      const { bytesRead } = await fh.read(buf, 0, buf.length, this.pos);
      if (bytesRead === 0) return;
      this.pos += bytesRead;
      const chunk = this.partial.length ? Buffer.concat([this.partial, buf.subarray(0, bytesRead)]) : Buffer.from(buf.subarray(0, bytesRead));
      const lastBreak = chunk.lastIndexOf(10);
      if (lastBreak === -1) {
        this.partial = chunk;
        continue;
      }
      this.partial = Buffer.from(chunk.subarray(lastBreak + 1));
      await this.lines(chunk.subarray(0, lastBreak));
    }
  }

  /** The old file's last line had no line break when it was rotated away: take it as it is. */
  private async flushPartial(): Promise<void> {
    if (this.partial.length === 0) return;
    const rest = this.partial;
    this.partial = Buffer.alloc(0);
    await this.lines(rest);
  }

  private async lines(bytes: Buffer): Promise<void> {
    const events: FloorEvent[] = [];
    const damagedBefore = this.reader.stats.damaged;
    const results: RecordResult[] = [];
    let start = 0;
    for (;;) {
      const i = bytes.indexOf(10, start);
      const end = i === -1 ? bytes.length : i;
      for (const r of this.reader.parse(bytes.toString('utf8', start, end))) results.push(r);
      if (i === -1) break;
      start = i + 1;
    }
    // The lines read at once (the whole file at start, a burst later) with one call's lines of one
    // second in the order app_queue writes them, as the report reads them: a line of the second of
    // its call's end read in a later poll is still known as that call's (the adapter skips it).
    for (const r of orderWithinSeconds(results, (x) => (x.kind === 'record' ? x.record : undefined))) {
      this.reader.result(r, events);
      if (r.kind === 'record' && r.record.atMs > this.latestRecordMs) this.latestRecordMs = r.record.atMs;
    }
    this.expireIdleCalls();
    const problem = this.reader.problem(TAIL_JUDGE_AFTER);
    // Rows under a header of an unknown layout are one problem, said once below, not a line each.
    const samples = this.reader.stats.damagedSamples;
    if (problem?.kind !== 'layout') {
      for (let d = damagedBefore; d < this.reader.stats.damaged && d < DAMAGED_LOGGED; d++) {
        const s = samples[d];
        if (s) this.logger.warn(`queue_log tail: damaged line ${s.where}: ${s.reason}`);
      }
    }
    if (problem && problem.kind !== this.problemLogged) {
      this.problemLogged = problem.kind;
      this.logger.error(`queue_log tail: ${formatProblem(problem)}\n  its lines are counted as damaged; see /api/health (sources)`);
    }
    if (events.length) await this.send(events);
  }

  private idleLimitSec(): number {
    return this.opts.idleLimitSec ?? DEFAULT_ENGINE_LIMITS.staleConnectedSec;
  }

  /** Closes in the adapter the calls with no record for the idle limit, at most once per minute of record time. */
  private expireIdleCalls(): void {
    if (this.latestRecordMs - this.sweptAtMs < IDLE_SWEEP_MS) return;
    this.sweptAtMs = this.latestRecordMs;
    this.expiredIdle += this.reader.adapter.expireIdle(this.latestRecordMs - this.idleLimitSec() * 1000);
  }

  private async send(events: FloorEvent[]): Promise<void> {
    for (let i = 0; i < events.length; i += MAX_BATCH_EVENTS) {
      const batch = events.slice(i, i + MAX_BATCH_EVENTS);
      for (;;) {
        try {
          const r = await this.opts.submit(batch);
          this.counts.events += batch.length;
          this.counts.accepted += r.accepted;
          this.counts.duplicates += r.duplicates;
          this.counts.rejected += r.rejected.length;
          if (r.rejected.length) this.logger.warn(`queue_log tail: ${r.rejected.length} events rejected: ${r.rejected[0].error}`);
          break;
        } catch (err) {
          if (this.stopped) return;
          this.report(`queue_log tail: submitting events failed (${(err as Error).message}); retrying`);
          await new Promise((r) => setTimeout(r, RETRY_MS));
        }
      }
    }
  }
}

/** Starts a tail and returns it (call `stop()` on shutdown). */
export function startQueueLogTail(opts: QueueLogTailOptions): QueueLogTail {
  return new QueueLogTail(opts).start();
}
