/**
 * The embedded event log: one SQLite file in WAL mode (better-sqlite3).
 *
 * better-sqlite3 is synchronous; the store still answers with promises so it
 * is interchangeable with network stores. Each append is one transaction, so a
 * resolved append is on disk (`synchronous=full`, the default: WAL is fsynced
 * at every commit) or at least survives a crash of the process (`normal`).
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { EVENT_TYPES, floorEventSchema, internalEventSchema, type FloorEvent } from '../../shared/events.ts';
import type { FloorConfig } from '../../shared/config.ts';
import type { Alert } from '../../shared/state.ts';
import type { AlertQuery, AppendResult, AuditEntry, LogHorizon, LogStore, PruneOptions, PruneResult } from './store.ts';
import { PRUNE_BATCH, PRUNE_BODY_TYPES, PrunePlan, type PruneRow } from './prune.ts';

/**
 * Schema steps: MIGRATIONS[v] brings a file from version v to v + 1. Only ever
 * append a step; a released step is never edited, or files already past it
 * would differ from new ones.
 */
const MIGRATIONS: readonly string[] = [
  // v1: events, config, alerts, audit.
  `CREATE TABLE events (
     seq INTEGER PRIMARY KEY,
     id TEXT NOT NULL UNIQUE,
     type TEXT NOT NULL,
     at_ms INTEGER NOT NULL,
     call_id TEXT,
     received_ms INTEGER NOT NULL,
     body TEXT NOT NULL
   );
   CREATE INDEX events_call ON events(call_id) WHERE call_id IS NOT NULL;
   CREATE TABLE config (id INTEGER PRIMARY KEY CHECK (id = 1), body TEXT NOT NULL, updated_ms INTEGER NOT NULL);
   CREATE TABLE alerts (id TEXT PRIMARY KEY, raised_ms INTEGER NOT NULL, agent_id TEXT, body TEXT NOT NULL);
   CREATE INDEX alerts_raised ON alerts(raised_ms);
   CREATE TABLE audit (seq INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, body TEXT);`,
];

/** The schema version this code writes and understands. */
export const SQLITE_SCHEMA_VERSION = MIGRATIONS.length;

/** Wait for another connection's lock before giving up, ms: covers a checkpoint or a large batch elsewhere, yet fails a locked start in seconds. */
const DEFAULT_BUSY_TIMEOUT_MS = 5_000;
/** Rows fetched per replay step: big enough that per-query cost vanishes, small enough to hold in memory. */
const REPLAY_CHUNK = 5_000;
const DEFAULT_CALL_EVENTS = 500;
const DEFAULT_ALERTS = 1_000;
const DEFAULT_AUDIT = 1_000;

/** Options of {@link openSqliteLog}. */
export interface SqliteLogOptions {
  /** Database file, or ':memory:'. Its folder is created if missing. */
  file: string;
  /** `full` (default): an ack means the event is on disk. `normal`: survives a process crash, may lose the last commits on power loss. */
  synchronous?: 'full' | 'normal';
  /** How long to wait for a lock held by another connection, ms (default 5,000). */
  busyTimeoutMs?: number;
  /** Clock for audit entries written by {@link SqliteLog.saveConfig} and for `updated_ms` (default `Date.now`). */
  nowMs?: () => number;
  /** Where a replay reports each damaged row it skips (default `console.warn`). */
  warn?: (message: string) => void;
}

/** One row of the events table that cannot be replayed, and why. */
export interface BadEventRow {
  /** The row's `seq` (its SQLite rowid). */
  seq: number;
  /** The `id` column, when readable. */
  id: string | null;
  /** The `type` column. */
  type: string | null;
  reason: string;
}

/** Every event type the log may hold: the feed's and the server's own. */
export const LOG_EVENT_TYPES: ReadonlySet<string> = new Set<string>([...EVENT_TYPES, ...internalEventSchema.options.map((o) => o.shape.type.value)]);
/** Event types that concern one call (their handlers look the call up by `callId`). */
const CALL_TYPES: ReadonlySet<string> = new Set<string>(floorEventSchema.options.filter((o) => 'callId' in o.shape).map((o) => o.shape.type.value));

/**
 * The cheap checks a replay makes on each stored row, without the full schema
 * (re-validating a million events would triple start-up time): the body is a
 * JSON object of a known type, with an id and a time, and a call id where the
 * type needs one. What passes can be folded by the engine; what fails is a
 * damaged row (a hand edit, a foreign writer, a newer Floorwatch's type).
 * `floorwatch doctor` uses the same checks.
 */
export function checkEventRow(body: unknown): { ok: true; event: FloorEvent } | { ok: false; reason: string } {
  if (typeof body !== 'string') return { ok: false, reason: `body is ${body === null ? 'NULL' : `a ${typeof body}`}, not JSON text` };
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (err) {
    return { ok: false, reason: `body is not valid JSON (${(err as Error).message})` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { ok: false, reason: 'body is not a JSON object' };
  const e = value as { type?: unknown; id?: unknown; at?: unknown; callId?: unknown };
  if (typeof e.type !== 'string') return { ok: false, reason: 'body has no event type' };
  if (!LOG_EVENT_TYPES.has(e.type)) return { ok: false, reason: `unknown event type "${e.type.slice(0, 80)}"` };
  if (typeof e.id !== 'string' || e.id === '') return { ok: false, reason: 'body has no event id' };
  if (typeof e.at !== 'number' || !Number.isFinite(e.at)) return { ok: false, reason: 'body has no time ("at" in epoch ms)' };
  if (CALL_TYPES.has(e.type) && (typeof e.callId !== 'string' || e.callId === '')) return { ok: false, reason: `a ${e.type} event without a callId` };
  return { ok: true, event: value as FloorEvent };
}

/** Damaged rows met by the last replay: how many, and the first few in detail. */
export interface ReplayProblems {
  skipped: number;
  /** At most {@link BAD_ROWS_KEPT}, in log order. */
  rows: BadEventRow[];
}

const BAD_ROWS_KEPT = 20;
/** Warnings printed per replay; the rest are counted (a log with thousands of bad rows must not flood the console). */
const BAD_ROWS_WARNED = 20;

/** Settings in force on an open log, for the health endpoint and tests. */
export interface SqliteLogInfo {
  file: string;
  journalMode: string;
  /** SQLite's code: 2 = FULL, 1 = NORMAL. */
  synchronous: number;
  schemaVersion: number;
}

/** A failure whose message is already meant for people (not a raw SQLite error). */
class OpenError extends Error {}

interface SqliteErrorLike {
  code?: unknown;
  message?: unknown;
}

/** Turns SQLite's terse errors at open time into one a person running the server can act on. */
export function openError(file: string, err: unknown): Error {
  const e = (err ?? {}) as SqliteErrorLike;
  const code = typeof e.code === 'string' ? e.code : '';
  const msg = typeof e.message === 'string' ? e.message : String(err);
  let text: string;
  if (code === 'SQLITE_NOTADB') text = `event log ${file} is not a SQLite database (SQLite: file is not a database); point the data folder at a Floorwatch log or move the file away`;
  else if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))
    text = `event log ${file} is locked by another process (database is locked); is another Floorwatch running on the same data folder?`;
  else if (code.startsWith('SQLITE_CORRUPT')) text = `event log ${file} is corrupt: ${msg}`;
  else if (code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_PERM'))
    text = `cannot open event log ${file} for writing: ${msg}`;
  else text = `cannot open event log ${file}: ${msg}`;
  return new Error(text, { cause: err });
}

/** A JSON object's fields, or undefined when the text is not one. */
function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Clamps a caller's limit to a non-negative integer: SQLite reads a negative LIMIT as "no limit". */
function limitOf(value: number | undefined, fallback: number): number {
  if (value === undefined || !Number.isFinite(value)) return fallback;
  return Math.max(0, Math.floor(value));
}

/** The SQLite implementation of {@link LogStore}. Prefer {@link openSqliteLog}. */
export class SqliteLog implements LogStore {
  readonly kind = 'sqlite';
  readonly file: string;
  private readonly db: Database.Database;
  private readonly nowMs: () => number;
  private readonly warn: (message: string) => void;
  private problems: ReplayProblems = { skipped: 0, rows: [] };
  private readonly appendTx: (events: FloorEvent[], receivedAtMs: number) => FloorEvent[];
  private readonly replayStep: Database.Statement<[number, number], [number, unknown, number | null, unknown, string | null, unknown]>;
  private readonly countEvents: Database.Statement<[], number>;
  private readonly callEvents: Database.Statement<[string, number], string>;
  private readonly selectConfig: Database.Statement<[], string>;
  private readonly saveConfigTx: (config: FloorConfig, actor: string, before: FloorConfig | undefined) => void;
  private readonly saveAlertsTx: (alerts: Alert[]) => void;
  /** listAlerts has one SQL text per combination of filters (at most 16): prepare each once. */
  private readonly alertQueries = new Map<string, Database.Statement<(string | number)[], string>>();
  private readonly insertAudit: Database.Statement<[number, string, string, string]>;
  private readonly pruneStep: Database.Statement<[number, number], [number, string | null, number, number, string | null, string | null]>;
  private readonly callGoesOn: Database.Statement<[string, number, number], number>;
  private readonly alertsBefore: Database.Statement<[number, number], string>;
  private readonly deleteTx: (seqs: number[]) => void;
  private readonly selectHorizon: Database.Statement<[], string>;
  private readonly saveHorizon: Database.Statement<[string]>;
  private readonly selectAudit: Database.Statement<[number], { at_ms: number; actor: string; action: string; body: string | null }>;

  constructor(opts: SqliteLogOptions) {
    this.file = opts.file;
    this.nowMs = opts.nowMs ?? Date.now;
    this.warn = opts.warn ?? ((m) => console.warn(m));
    const memory = opts.file === ':memory:';
    if (!memory) {
      try {
        fs.mkdirSync(path.dirname(path.resolve(opts.file)), { recursive: true });
      } catch (err) {
        throw new Error(`cannot create the folder of event log ${opts.file}: ${(err as Error).message}`, { cause: err });
      }
    }
    let db: Database.Database | undefined;
    try {
      db = new Database(opts.file, { timeout: opts.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS });
      // First read of the file: a non-database fails here, and a foreign or newer one is refused before WAL mode changes it.
      checkVersion(db, opts.file);
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${opts.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
      migrate(db, opts.file);
    } catch (err) {
      if (db?.open) db.close();
      throw err instanceof OpenError ? err : openError(opts.file, err);
    }
    this.db = db;

    const insertEvent = db.prepare<[string, string, number, string | null, number, string]>(
      'INSERT OR IGNORE INTO events (id, type, at_ms, call_id, received_ms, body) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.appendTx = db.transaction((events: FloorEvent[], receivedAtMs: number) => {
      const appended: FloorEvent[] = [];
      for (const e of events) {
        const callId = 'callId' in e ? e.callId : null;
        // OR IGNORE + changes: a repeated id (earlier batch, or earlier in this one) writes nothing and counts as a duplicate.
        if (insertEvent.run(e.id, e.type, e.at, callId, receivedAtMs, JSON.stringify(e)).changes === 1) appended.push(e);
      }
      return appended;
    });
    this.replayStep = db
      .prepare<[number, number], [number, unknown, number | null, unknown, string | null, unknown]>('SELECT seq, body, received_ms, at_ms, id, type FROM events WHERE seq > ? ORDER BY seq LIMIT ?')
      .raw();
    this.countEvents = db.prepare<[], number>('SELECT count(*) FROM events').pluck();
    // The body only of the few types a prune reads (server/log/prune.ts): the rest are decided by their columns.
    const bodyTypes = [...PRUNE_BODY_TYPES].map((t) => `'${t}'`).join(', ');
    this.pruneStep = db
      .prepare<[number, number], [number, string | null, number, number, string | null, string | null]>(
        `SELECT seq, type, at_ms, received_ms, call_id, CASE WHEN type IN (${bodyTypes}) THEN body END FROM events WHERE seq > ? ORDER BY seq LIMIT ?`,
      )
      .raw();
    // `call_id = ?` implies `call_id IS NOT NULL`, so the partial index events_call answers it.
    this.callGoesOn = db.prepare<[string, number, number], number>('SELECT 1 FROM events WHERE call_id = ? AND (at_ms >= ? OR received_ms >= ?) LIMIT 1').pluck();
    // What a prune needs of the alerts raised before its cut: those still open at it, and the queue-wait episodes.
    this.alertsBefore = db
      .prepare<[number, number], string>(
        "SELECT body FROM alerts WHERE raised_ms < ? AND (id LIKE 'queue-wait:%' OR json_extract(body, '$.status') = 'open' OR json_extract(body, '$.resolvedAtMs') >= ?)",
      )
      .pluck();
    this.selectHorizon = db.prepare<[], string>("SELECT value FROM meta WHERE key = 'horizon'").pluck();
    this.saveHorizon = db.prepare<[string]>("INSERT INTO meta (key, value) VALUES ('horizon', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value");
    const deleteEvent = db.prepare<[number]>('DELETE FROM events WHERE seq = ?');
    this.deleteTx = db.transaction((seqs: number[]) => {
      for (const seq of seqs) deleteEvent.run(seq);
    });
    this.callEvents = db.prepare<[string, number], string>('SELECT body FROM events WHERE call_id = ? ORDER BY seq LIMIT ?').pluck();
    this.selectConfig = db.prepare<[], string>('SELECT body FROM config WHERE id = 1').pluck();
    this.insertAudit = db.prepare<[number, string, string, string]>('INSERT INTO audit (at_ms, actor, action, body) VALUES (?, ?, ?, ?)');
    this.selectAudit = db.prepare<[number], { at_ms: number; actor: string; action: string; body: string | null }>(
      'SELECT at_ms, actor, action, body FROM audit ORDER BY seq DESC LIMIT ?',
    );
    const upsertConfig = db.prepare<[string, number]>(
      'INSERT INTO config (id, body, updated_ms) VALUES (1, ?, ?) ON CONFLICT(id) DO UPDATE SET body = excluded.body, updated_ms = excluded.updated_ms',
    );
    // Config and its audit line commit together: an audited change that did not happen (or the reverse) would mislead.
    this.saveConfigTx = db.transaction((config: FloorConfig, actor: string, before: FloorConfig | undefined) => {
      const now = this.nowMs();
      upsertConfig.run(JSON.stringify(config), now);
      this.insertAudit.run(now, actor, 'config.update', JSON.stringify({ before, after: config }));
    });
    const upsertAlert = db.prepare<[string, number, string | null, string]>(
      'INSERT INTO alerts (id, raised_ms, agent_id, body) VALUES (?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET raised_ms = excluded.raised_ms, agent_id = excluded.agent_id, body = excluded.body',
    );
    this.saveAlertsTx = db.transaction((alerts: Alert[]) => {
      for (const a of alerts) upsertAlert.run(a.id, a.raisedAtMs, a.agentId ?? null, JSON.stringify(a));
    });
  }

  /** Settings in force (journal mode, synchronous level, schema version). */
  info(): SqliteLogInfo {
    this.ensureOpen();
    return {
      file: this.file,
      journalMode: String(this.db.pragma('journal_mode', { simple: true })),
      synchronous: Number(this.db.pragma('synchronous', { simple: true })),
      schemaVersion: readVersion(this.db),
    };
  }

  async append(events: FloorEvent[], receivedAtMs: number): Promise<AppendResult> {
    this.ensureOpen();
    if (events.length === 0) return { appended: [], duplicates: 0 };
    const appended = this.appendTx(events, receivedAtMs);
    return { appended, duplicates: events.length - appended.length };
  }

  /**
   * Reads in chunks by seq rather than through one open cursor, so that fn may
   * itself use this store (a cursor keeps the connection busy and better-sqlite3
   * would refuse the write). It never yields to the event loop: events ingested
   * meanwhile would be both replayed and applied live.
   */
  async replay(fn: (event: FloorEvent, receivedAtMs: number) => void): Promise<number> {
    this.ensureOpen();
    this.problems = { skipped: 0, rows: [] };
    let n = 0;
    let after = 0;
    for (;;) {
      const rows = this.replayStep.all(after, REPLAY_CHUNK);
      for (const [seq, body, receivedMs, atMs, id, type] of rows) {
        // Trusted after cheap checks only: the log holds events validated at ingest, and
        // re-validating a million would triple start-up time. A damaged row is skipped, named
        // and counted (never the valid events beside it lost); `floorwatch doctor` moves it aside.
        const checked = checkEventRow(body);
        if (!checked.ok) {
          this.skipRow({ seq, id: typeof id === 'string' ? id : null, type: typeof type === 'string' ? type : null, reason: checked.reason });
          continue;
        }
        // A row without a receive time (none is written so, but a hand-made file may have 0) falls back to the event's time.
        const received = typeof receivedMs === 'number' && receivedMs ? receivedMs : typeof atMs === 'number' && atMs ? atMs : checked.event.at;
        try {
          fn(checked.event, received);
          n++;
        } catch (err) {
          this.skipRow({ seq, id: typeof id === 'string' ? id : null, type: typeof type === 'string' ? type : null, reason: `the engine failed on it: ${(err as Error).message}` });
        }
      }
      if (rows.length < REPLAY_CHUNK) break;
      after = rows[rows.length - 1][0];
      // A turn of the event loop between chunks: a long replay still answers /healthz and /readyz ("replaying").
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (this.problems.skipped > 0) {
      this.warn(
        `event log ${this.file}: ${this.problems.skipped} damaged row(s) skipped at replay, ${n} event(s) replayed; ` +
          `run "floorwatch doctor --data ${path.dirname(path.resolve(this.file))}" to list them and add --quarantine to move them aside (kept, not deleted)`,
      );
    }
    return n;
  }

  /** Damaged rows the last {@link replay} skipped (shown in `/api/health`). */
  replayProblems(): ReplayProblems {
    return { skipped: this.problems.skipped, rows: [...this.problems.rows] };
  }

  private skipRow(row: BadEventRow): void {
    const p = this.problems;
    p.skipped++;
    if (p.rows.length < BAD_ROWS_KEPT) p.rows.push(row);
    if (p.skipped <= BAD_ROWS_WARNED) {
      this.warn(`event log ${this.file}: skipping damaged row seq (rowid) ${row.seq}${row.id !== null ? `, id "${row.id}"` : ''}${row.type !== null ? `, type "${row.type}"` : ''}: ${row.reason}`);
    } else if (p.skipped === BAD_ROWS_WARNED + 1) {
      this.warn(`event log ${this.file}: more damaged rows; only counted from here`);
    }
  }

  async count(): Promise<number> {
    this.ensureOpen();
    return this.countEvents.get() ?? 0;
  }

  /**
   * Two passes over the events by seq (see {@link PrunePlan} for what is
   * kept), in steps of {@link PRUNE_BATCH} rows, each step's deletions one
   * short transaction, yielding to the event loop between steps so ingest
   * appends go on. Calls going on past the cut are found by the call index.
   * No VACUUM: the file keeps its size and the freed pages are reused by the
   * next days' events, so it stops growing at about the retained days' size;
   * a VACUUM would rewrite the whole file and block the writer meanwhile, and
   * incremental vacuum needs `auto_vacuum` set before the first table exists,
   * which existing logs do not have.
   */
  async prune(beforeMs: number, opts: PruneOptions = {}): Promise<PruneResult> {
    this.ensureOpen();
    const previous = await this.horizon();
    const plan = new PrunePlan<number>(beforeMs, previous, async (ids) => new Set(ids.filter((id) => this.callGoesOn.get(id, beforeMs, beforeMs) !== undefined)));
    plan.noteAlerts(this.alertsBefore.all(beforeMs, beforeMs).map((b) => parseObject(b)));
    await this.pruneWalk(plan, opts.signal, async (rows) => plan.survey(rows));
    plan.endSurvey();
    await this.pruneWalk(plan, opts.signal, async (rows) => {
      const { remove } = await plan.sweep(rows);
      if (remove.length > 0) this.deleteTx(remove);
    });
    // The horizon goes last, with the episodes the events left before the cut open again; a prune cut
    // short before it leaves the last one, and the next prune (at the next start) completes it.
    const reopened = opts.episodesLeft?.(this.eventsBefore(beforeMs), beforeMs) ?? {};
    if (previous === undefined || beforeMs >= previous.beforeMs) this.saveHorizon.run(JSON.stringify(plan.horizon(reopened)));
    return plan.result;
  }

  /** The events a replay folds before reaching `cutMs` (log order, until the first received at or after it), each with its receive time. */
  private eventsBefore(cutMs: number): [FloorEvent, number][] {
    const out: [FloorEvent, number][] = [];
    let after = 0;
    for (;;) {
      const rows = this.replayStep.all(after, REPLAY_CHUNK);
      for (const [, body, receivedMs, atMs] of rows) {
        const received = typeof receivedMs === 'number' && receivedMs ? receivedMs : typeof atMs === 'number' ? atMs : 0;
        if (received >= cutMs) return out;
        const checked = checkEventRow(body);
        if (checked.ok) out.push([checked.event, received]);
      }
      if (rows.length < REPLAY_CHUNK) return out;
      after = rows[rows.length - 1][0];
    }
  }

  /** One pass of a prune over the events by seq, a chunk at a time, yielding to the event loop between chunks. */
  private async pruneWalk(plan: PrunePlan<number>, signal: AbortSignal | undefined, step: (rows: PruneRow<number>[]) => Promise<void>): Promise<void> {
    let after = 0;
    while (!plan.done) {
      signal?.throwIfAborted();
      this.ensureOpen();
      const rows = this.pruneStep.all(after, PRUNE_BATCH);
      if (rows.length === 0) break;
      after = rows[rows.length - 1][0];
      // A row without a receive time (a hand-made file) counts at its own time, as in replay.
      await step(rows.map(([seq, type, atMs, receivedMs, callId, body]) => ({ key: seq, type, atMs, receivedMs: receivedMs || atMs, callId, body: body === null ? undefined : parseObject(body) })));
      if (rows.length < PRUNE_BATCH) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  async horizon(): Promise<LogHorizon | undefined> {
    this.ensureOpen();
    const v = this.selectHorizon.get();
    return v === undefined ? undefined : (JSON.parse(v) as LogHorizon);
  }

  async eventsForCall(callId: string, limit?: number): Promise<FloorEvent[]> {
    this.ensureOpen();
    return this.callEvents.all(callId, limitOf(limit, DEFAULT_CALL_EVENTS)).map((b) => JSON.parse(b) as FloorEvent);
  }

  async loadConfig(): Promise<FloorConfig | undefined> {
    this.ensureOpen();
    const body = this.selectConfig.get();
    return body === undefined ? undefined : (JSON.parse(body) as FloorConfig);
  }

  async saveConfig(config: FloorConfig, actor: string, before?: FloorConfig): Promise<void> {
    this.ensureOpen();
    this.saveConfigTx(config, actor, before);
  }

  async saveAlerts(alerts: Alert[]): Promise<void> {
    this.ensureOpen();
    if (alerts.length > 0) this.saveAlertsTx(alerts);
  }

  async listAlerts(opts: AlertQuery = {}): Promise<Alert[]> {
    this.ensureOpen();
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (opts.sinceMs !== undefined) {
      where.push('raised_ms >= ?');
      args.push(opts.sinceMs);
    }
    if (opts.untilMs !== undefined) {
      where.push('raised_ms < ?');
      args.push(opts.untilMs);
    }
    if (opts.agentId !== undefined) {
      where.push('agent_id = ?');
      args.push(opts.agentId);
    }
    args.push(limitOf(opts.limit, DEFAULT_ALERTS));
    const offset = opts.offset !== undefined && Number.isFinite(opts.offset) && opts.offset > 0 ? Math.floor(opts.offset) : 0;
    if (offset > 0) args.push(offset);
    const sql = `SELECT body FROM alerts ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY raised_ms DESC, id LIMIT ?${offset > 0 ? ' OFFSET ?' : ''}`;
    let stmt = this.alertQueries.get(sql);
    if (!stmt) {
      stmt = this.db.prepare<(string | number)[], string>(sql).pluck();
      this.alertQueries.set(sql, stmt);
    }
    return stmt.all(...args).map((b) => JSON.parse(b) as Alert);
  }

  async appendAudit(entry: AuditEntry): Promise<void> {
    this.ensureOpen();
    this.insertAudit.run(entry.atMs, entry.actor, entry.action, JSON.stringify({ before: entry.before, after: entry.after }));
  }

  async listAudit(limit?: number): Promise<AuditEntry[]> {
    this.ensureOpen();
    return this.selectAudit.all(limitOf(limit, DEFAULT_AUDIT)).map((r) => {
      const body = r.body ? (JSON.parse(r.body) as { before?: unknown; after?: unknown }) : {};
      const entry: AuditEntry = { atMs: r.at_ms, actor: r.actor, action: r.action };
      if (body.before !== undefined) entry.before = body.before;
      if (body.after !== undefined) entry.after = body.after;
      return entry;
    });
  }

  async close(): Promise<void> {
    // Closing the last connection checkpoints the WAL into the main file.
    if (this.db.open) this.db.close();
  }

  private ensureOpen(): void {
    if (!this.db.open) throw new Error(`event log ${this.file} is closed`);
  }
}

/**
 * The file's schema version: the `meta` row, or else `PRAGMA user_version`,
 * where the first release kept it before the meta table existed (0 on a new file).
 */
function readVersion(db: Database.Database): number {
  return readVersionFrom(db).version;
}

function readVersionFrom(db: Database.Database): { version: number; inMeta: boolean } {
  const hasMeta = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").pluck().get() !== undefined;
  if (hasMeta) {
    const v = db.prepare<[], string>("SELECT value FROM meta WHERE key = 'schema_version'").pluck().get();
    if (v !== undefined) return { version: Number(v), inMeta: true };
  }
  return { version: Number(db.pragma('user_version', { simple: true })), inMeta: false };
}

/**
 * Reads the schema version and refuses what must not be touched: a file from a
 * newer Floorwatch, and a SQLite database that belongs to something else.
 */
function checkVersion(db: Database.Database, file: string): { version: number; inMeta: boolean } {
  const found = readVersionFrom(db);
  const { version } = found;
  if (!Number.isInteger(version) || version < 0) throw new OpenError(`event log ${file} has an unreadable schema version "${version}"`);
  if (version > MIGRATIONS.length) {
    throw new OpenError(`event log ${file} has schema v${version}, newer than this Floorwatch understands (v${MIGRATIONS.length}); upgrade Floorwatch`);
  }
  if (version === 0) {
    const foreign = db
      .prepare<[], string>("SELECT name FROM sqlite_master WHERE type = 'table' AND name <> 'meta' AND name NOT LIKE 'sqlite_%' LIMIT 1")
      .pluck()
      .get();
    if (foreign !== undefined) throw new OpenError(`event log ${file} is a SQLite database but not a Floorwatch log (it has a table "${foreign}")`);
  }
  return found;
}

/**
 * Brings the file to {@link SQLITE_SCHEMA_VERSION}. Runs in one IMMEDIATE
 * transaction, checking the version again inside it, so that two processes
 * opening a new file at once do not both create the tables.
 */
function migrate(db: Database.Database, file: string): void {
  db.transaction(() => {
    const { version, inMeta } = checkVersion(db, file);
    if (version === MIGRATIONS.length && inMeta) return; // up to date: an open writes nothing
    db.exec('CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
    for (let v = version; v < MIGRATIONS.length; v++) db.exec(MIGRATIONS[v]);
    db.prepare("INSERT INTO meta (key, value) VALUES ('schema_version', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(String(MIGRATIONS.length));
  }).immediate();
}

/**
 * Opens (creating if needed) the SQLite event log at `opts.file`. Throws an
 * error naming the file and the likely cause when it is not a database, is
 * locked by another process, or was written by a newer Floorwatch.
 */
export function openSqliteLog(opts: SqliteLogOptions): SqliteLog {
  return new SqliteLog(opts);
}
