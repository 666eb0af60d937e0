/**
 * Retention (`--retain-days N`): the raw events of the last N floor-local days
 * before today, and today's, stay in the log; older ones are pruned once at
 * start (after the replay) and then every day a few minutes after the floor's
 * midnight. What the days kept still stand on stays (server/log/prune.ts), so
 * a restart rebuilds them as the live run saw them. The daily aggregates of
 * the range reports, alerts, the saved configuration and the audit trail are
 * never pruned. Each prune is logged and, when it deleted anything, audited
 * (actor `system`, action `events.prune`); a failure is logged and tried again
 * at the next run, never thrown.
 */
import { localDay, zoneOffsetMs } from '../shared/time.ts';
import type { LogStore, PruneOptions, PruneResult } from './log/store.ts';

/** Runs start this long after the floor's midnight, ms: the day has turned on every node and the last calls of the night are in. */
export const RETENTION_AFTER_MIDNIGHT_MS = 5 * 60_000;
/** The most days `--retain-days` takes: a century. */
export const RETAIN_DAYS_MAX = 36_500;

/**
 * `--retain-days`: undefined (absent or empty: keep every event), else a whole
 * number of days 1..36,500. Throws an error saying what is expected for 0,
 * a fraction, a negative number or text: today's and yesterday's events are
 * what the live floor is folded from, so they are never pruned.
 */
export function parseRetainDays(v: string | undefined): number | undefined {
  if (v === undefined || v.trim() === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > RETAIN_DAYS_MAX) {
    const why = n === 0 ? ' (0 would prune yesterday, which the live floor is still folded from; leave the flag out to keep every event)' : '';
    throw new Error(`--retain-days: expected a whole number of days, 1 to ${RETAIN_DAYS_MAX}, got "${v}"${why}`);
  }
  return n;
}

/** A floor-local calendar date, 'YYYY-MM-DD', of the instant `ms` in `timeZone`. */
export function localDate(ms: number, timeZone: string): string {
  return new Date(ms + zoneOffsetMs(ms, timeZone)).toISOString().slice(0, 10);
}

/**
 * The cut for `retainDays` at `nowMs`: the start of the floor-local day
 * `retainDays` days before today (epoch ms), and that day's date. Events before
 * it go; that day, the days after it and today stay. Exact across DST changes:
 * a local day is 23 to 25 hours long, so noon-ish of `retainDays` × 24 h
 * before today's start always falls in the wanted day.
 */
export function retentionCut(nowMs: number, timeZone: string, retainDays: number): { cutMs: number; day: string } {
  const todayStartMs = localDay(nowMs, timeZone).startMs;
  const cutMs = localDay(todayStartMs - retainDays * 86_400_000 + 12 * 3_600_000, timeZone).startMs;
  return { cutMs, day: localDate(cutMs, timeZone) };
}

/** When the next daily run falls due after `nowMs`: `afterMidnightMs` past the next floor-local midnight (or today's, if still ahead). */
export function nextRunAtMs(nowMs: number, timeZone: string, afterMidnightMs = RETENTION_AFTER_MIDNIGHT_MS): number {
  const day = localDay(nowMs, timeZone);
  const today = day.startMs + afterMidnightMs;
  return today > nowMs ? today : day.endMs + afterMidnightMs;
}

/** Where retention stands, for `/api/health` under `retention`. Times in epoch ms. */
export interface RetentionStats {
  retainDays: number;
  running: boolean;
  nextRunAtMs: number | null;
  lastRunAtMs: number | null;
  /** The first day kept by the last run, 'YYYY-MM-DD'. */
  lastCutDay: string | null;
  /** Events the last run deleted, and kept before its cut because the days after still stand on them. */
  lastPruned: number | null;
  lastKept: number | null;
  /** Events deleted since this server started. */
  totalPruned: number;
  /** Why the last run failed, if it did; cleared by the next success. */
  lastError: string | null;
}

/** Options of {@link Retention}. */
export interface RetentionOptions {
  retainDays: number;
  log: LogStore;
  clock: { now(): number };
  /** The floor's time zone now (it can change with the settings). */
  timeZone: () => string;
  logger: Pick<Console, 'info' | 'warn' | 'error'>;
  /** Passed to {@link LogStore.prune}: how a replay reopens queue-wait episodes (see `episodesLeftBy`). */
  episodesLeft?: PruneOptions['episodesLeft'];
  /**
   * Awaited before events are deleted, with the cut (epoch ms): e.g. to make
   * sure the daily aggregates of the days about to go are stored. A rejection
   * skips this run (logged, counted as failed) and deletes nothing.
   */
  beforePrune?: (cutMs: number) => Promise<void>;
  /** How long after the floor's midnight the daily run starts, ms (default {@link RETENTION_AFTER_MIDNIGHT_MS}). */
  afterMidnightMs?: number;
}

/** What one run did: its cut, and the store's answer. */
export interface RetentionRun {
  cutMs: number;
  day: string;
  result: PruneResult;
}

/**
 * The retention schedule of one server: {@link start} runs a prune at once and
 * then daily; {@link runNow} runs one (a run already going is joined, not
 * doubled); {@link stop} clears the timer and ends a run going at its next step.
 * Timers are unref'd: they never keep the process alive.
 */
export class Retention {
  private readonly o: RetentionOptions;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<RetentionRun | undefined> | undefined;
  private lastRun: RetentionRun | undefined;
  private readonly abort = new AbortController();
  private stopped = false;
  private s: Omit<RetentionStats, 'running' | 'retainDays'> = { nextRunAtMs: null, lastRunAtMs: null, lastCutDay: null, lastPruned: null, lastKept: null, totalPruned: 0, lastError: null };

  constructor(opts: RetentionOptions) {
    if (!Number.isInteger(opts.retainDays) || opts.retainDays < 1) throw new RangeError(`retainDays: expected a whole number of days, 1 or more, got ${opts.retainDays}`);
    this.o = opts;
  }

  /** Runs a prune now (not awaited) and schedules the daily ones. */
  start(): void {
    void this.runNow();
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    const now = this.o.clock.now();
    const at = nextRunAtMs(now, this.o.timeZone(), this.o.afterMidnightMs);
    this.s.nextRunAtMs = at;
    // Recomputed after each run from the clock, so a clock step or a sleeping machine only delays one run.
    this.timer = setTimeout(
      () => {
        void this.runNow().finally(() => this.schedule());
      },
      Math.max(1_000, at - now),
    );
    this.timer.unref();
  }

  /**
   * Prunes the events before the cut of today (the floor's) less `retainDays`
   * days; resolves with what was done, or undefined when the run failed or
   * was skipped (logged, in {@link stats}). Never rejects.
   */
  runNow(): Promise<RetentionRun | undefined> {
    if (this.stopped) return Promise.resolve(undefined);
    this.running ??= this.run().finally(() => (this.running = undefined));
    return this.running;
  }

  private async run(): Promise<RetentionRun | undefined> {
    const { log, logger } = this.o;
    const startedMs = this.o.clock.now();
    const timeZone = this.o.timeZone();
    const { cutMs, day } = retentionCut(startedMs, timeZone, this.o.retainDays);
    try {
      await this.o.beforePrune?.(cutMs);
      const result = await log.prune(cutMs, { episodesLeft: this.o.episodesLeft, signal: this.abort.signal });
      this.s.lastRunAtMs = startedMs;
      this.lastRun = { cutMs, day, result };
      if (result.busy) {
        logger.info(`retention: another node is pruning the shared log; nothing done here`);
        return { cutMs, day, result };
      }
      this.s = { ...this.s, lastCutDay: day, lastPruned: result.events, lastKept: result.kept, totalPruned: this.s.totalPruned + result.events, lastError: null };
      const kept = result.kept > 0 ? ` (${result.kept} older kept: ${Object.entries(result.keptBy).map(([k, n]) => `${k} ${n}`).join(', ')})` : '';
      logger.info(`retention: pruned ${result.events} events before ${day}${kept}`);
      if (result.events > 0) {
        await log.appendAudit({
          atMs: this.o.clock.now(),
          actor: 'system',
          action: 'events.prune',
          after: { beforeDay: day, beforeMs: cutMs, timeZone, retainDays: this.o.retainDays, events: result.events, kept: result.kept, keptBy: result.keptBy },
        });
      }
      return { cutMs, day, result };
    } catch (err) {
      const message = this.stopped ? 'stopped: the server is closing' : (err as Error).message;
      this.s.lastRunAtMs = startedMs;
      this.s.lastError = message;
      if (!this.stopped) logger.error(`retention: pruning the events before ${day} failed: ${message}; tried again at the next run`);
      return undefined;
    }
  }

  /** The run going, once it ends, else the last one that did not fail (undefined before any). */
  settled(): Promise<RetentionRun | undefined> {
    return this.running ?? Promise.resolve(this.lastRun);
  }

  /** Where retention stands (`/api/health`). */
  stats(): RetentionStats {
    return { retainDays: this.o.retainDays, running: this.running !== undefined, ...this.s };
  }

  /** Clears the timer and stops a run going at its next step; resolves when it has. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.s.nextRunAtMs = null;
    this.abort.abort();
    await this.running;
  }
}
