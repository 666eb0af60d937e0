/**
 * The event log: the one durable record of the floor. Events, configuration,
 * alerts and the audit trail live behind this interface so that another store
 * (Redis Streams for several nodes) can replace the embedded SQLite one.
 *
 * Every method is async even though the SQLite store answers synchronously:
 * a network store cannot, and callers must not come to rely on the difference.
 */
import type { FloorEvent } from '../../shared/events.ts';
import type { FloorConfig } from '../../shared/config.ts';
import type { Alert } from '../../shared/state.ts';

/** What {@link LogStore.append} did with a batch. */
export interface AppendResult {
  /** The events newly written, in input order. */
  appended: FloorEvent[];
  /** Events whose id was already in the log (or repeated in the batch): not written again. */
  duplicates: number;
}

/** One line of the audit trail: who changed what, and the value before and after. */
export interface AuditEntry {
  atMs: number;
  actor: string;
  /** What was done, domain then verb, e.g. `config.update`, `alert.acknowledge`. */
  action: string;
  before?: unknown;
  after?: unknown;
}

/** What {@link LogStore.prune} did. */
export interface PruneResult {
  /** Events deleted. */
  events: number;
  /** Events before the cut kept because the floor after it still stands on them (see server/log/prune.ts). */
  kept: number;
  /** `kept` by reason: `config`, `agents`, `calls`, `callbacks`, `voicemails`, `alerts`, `ticker`, `notes`. */
  keptBy: Partial<Record<string, number>>;
  /** Set when nothing was done because another node of a shared log is pruning it right now. */
  busy?: true;
}

/** Options of {@link LogStore.prune}. */
export interface PruneOptions {
  /**
   * How many queue-wait episodes each queue opens when a replay folds the
   * events left before the cut (given in log order with their receive times;
   * the fold ends with the clock at `cutMs`): see `episodesLeftBy` in
   * server/log/prune.ts. Without it none are assumed, and episodes rebuilt from
   * calls going on past the cut shift the numbers after them.
   */
  episodesLeft?: (events: [FloorEvent, number][], cutMs: number) => Record<string, number>;
  /** Stops the prune between two steps (what was deleted stays deleted; the horizon is not moved): the server is closing. */
  signal?: AbortSignal;
}

/**
 * What a pruned log keeps of what it no longer holds, for a replay to start
 * from (server/log/prune.ts, `applyHorizon`).
 */
export interface LogHorizon {
  /** The latest cut a prune was asked for, epoch ms: events before it may be missing. */
  beforeMs: number;
  /** Every queue seen before the cut, with the queue-wait episodes it had numbered by then (its next alert is `queue-wait:<queue>:<n + 1>`). */
  queueWaitEpisodes: Record<string, number>;
}

/** Filters of {@link LogStore.listAlerts}; times are on `raisedAtMs`, `untilMs` exclusive. */
export interface AlertQuery {
  sinceMs?: number;
  untilMs?: number;
  /** At most this many alerts (default 1,000). */
  limit?: number;
  /** Skips this many of the matching alerts first (in the list's order), for reading in pages; default 0. */
  offset?: number;
  agentId?: string;
}

/** The durable log behind the server: events first, then config, alerts and audit. */
export interface LogStore {
  /** Which implementation this is (`sqlite`), for the health endpoint and logs. */
  readonly kind: string;
  /**
   * Writes the events whose id was never seen, in one transaction; durable when
   * the promise resolves (the ingest ack depends on it). Ids already in the log,
   * or repeated within the batch, are counted as duplicates and not written.
   * `receivedAtMs` (the server's clock at receipt) is kept with each event: a
   * replay folds with the same clock the live run had.
   */
  append(events: FloorEvent[], receivedAtMs: number): Promise<AppendResult>;
  /**
   * Calls fn for every event in log order, with the server-clock time it was
   * received at (what `append` was given; the event's own time for an entry
   * written before receive times were kept); resolves with the count. Fast
   * enough to rebuild the state at start-up: a million events in well under 5 s.
   */
  replay(fn: (event: FloorEvent, receivedAtMs: number) => void): Promise<number>;
  /** Damaged rows the last replay skipped (named in warnings, counted in `/api/health`); stores that cannot hold any leave it out. */
  replayProblems?(): { skipped: number; rows: { seq: number; id: string | null; type: string | null; reason: string }[] };
  /** Number of events in the log. */
  count(): Promise<number>;
  /**
   * Deletes the raw events dated and received before `beforeMs` (epoch ms), in
   * short batches so that ingest goes on meanwhile, and remembers `beforeMs` as
   * the log's {@link horizon}; resolves with what it did. Events the floor after the
   * cut still stands on are kept (the newest settings change, each agent's
   * newest presence, calls going on past the cut, open callbacks and
   * voicemails…: server/log/prune.ts), so a replay rebuilds the kept days as
   * the live run saw them. The saved configuration, alerts and the audit trail
   * are not touched. The caller picks a cut on a floor-local day boundary
   * (server/retention.ts).
   */
  prune(beforeMs: number, opts?: PruneOptions): Promise<PruneResult>;
  /** What the log still knows of what its prunes deleted; undefined when it was never pruned. */
  horizon(): Promise<LogHorizon | undefined>;
  /** Events of one call in log order, for a drill-down of a call no longer in memory; at most `limit` (default 500). */
  eventsForCall(callId: string, limit?: number): Promise<FloorEvent[]>;
  /** The saved configuration, or undefined when none was ever saved. */
  loadConfig(): Promise<FloorConfig | undefined>;
  /** Saves the configuration and writes a `config.update` audit entry (with `before`) in the same transaction. */
  saveConfig(config: FloorConfig, actor: string, before?: FloorConfig): Promise<void>;
  /** Upserts alerts by id: the latest content wins. */
  saveAlerts(alerts: Alert[]): Promise<void>;
  /** Alerts newest first by raisedAtMs (ties by id). */
  listAlerts(opts?: AlertQuery): Promise<Alert[]>;
  appendAudit(entry: AuditEntry): Promise<void>;
  /** The newest `limit` (default 1,000) audit entries, newest first. */
  listAudit(limit?: number): Promise<AuditEntry[]>;
  /** Releases the store; further calls reject. Closing twice is harmless. */
  close(): Promise<void>;
}
