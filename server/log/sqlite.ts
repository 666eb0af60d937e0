/**
 * The embedded event log: one SQLite file in WAL mode (better-sqlite3).
 *
 * better-sqlite3 is synchronous; the store still answers with promises so it
 * is interchangeable with network stores. Each append is one transaction, so a
 * resolved append is on disk (with `synchronous=full`) or at least survives a
 * process crash (`normal`).
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { FloorEvent } from '../../shared/events.ts';
import type { FloorConfig } from '../../shared/config.ts';
import type { Alert } from '../../shared/state.ts';
import type { AppendResult, AuditEntry, LogStore } from './store.ts';

/** Schema version; each step of MIGRATIONS brings the file one version up. */
const MIGRATIONS: string[] = [
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

export interface SqliteLogOptions {
  /** Database file, or ':memory:'. Its folder is created if missing. */
  file: string;
  synchronous?: 'full' | 'normal';
}

export class SqliteLog implements LogStore {
  readonly kind = 'sqlite';
  private readonly db: Database.Database;
  private readonly insertEvent: Database.Statement;
  private readonly appendTx: (events: FloorEvent[], receivedAtMs: number) => FloorEvent[];
  private readonly upsertAlert: Database.Statement;
  private readonly insertAudit: Database.Statement;

  constructor(opts: SqliteLogOptions) {
    if (opts.file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(opts.file)), { recursive: true });
    try {
      this.db = new Database(opts.file);
      this.db.pragma('journal_mode = WAL');
    } catch (err) {
      throw new Error(`cannot open event log ${opts.file}: ${(err as Error).message}`);
    }
    this.db.pragma(`synchronous = ${opts.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
    this.db.pragma('busy_timeout = 5000');
    this.migrate();
    this.insertEvent = this.db.prepare(
      'INSERT OR IGNORE INTO events (id, type, at_ms, call_id, received_ms, body) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.appendTx = this.db.transaction((events: FloorEvent[], receivedAtMs: number) => {
      const appended: FloorEvent[] = [];
      for (const e of events) {
        const callId = 'callId' in e ? e.callId : null;
        const r = this.insertEvent.run(e.id, e.type, e.at, callId, receivedAtMs, JSON.stringify(e));
        if (r.changes === 1) appended.push(e);
      }
      return appended;
    });
    this.upsertAlert = this.db.prepare(
      'INSERT INTO alerts (id, raised_ms, agent_id, body) VALUES (?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET raised_ms = excluded.raised_ms, agent_id = excluded.agent_id, body = excluded.body',
    );
    this.insertAudit = this.db.prepare('INSERT INTO audit (at_ms, actor, action, body) VALUES (?, ?, ?, ?)');
  }

  private migrate(): void {
    let version: number;
    try {
      version = this.db.pragma('user_version', { simple: true }) as number;
    } catch (err) {
      throw new Error(`event log is not a Floorwatch database: ${(err as Error).message}`);
    }
    if (version > MIGRATIONS.length) throw new Error(`event log schema v${version} is newer than this Floorwatch (v${MIGRATIONS.length})`);
    for (let v = version; v < MIGRATIONS.length; v++) {
      this.db.transaction(() => {
        this.db.exec(MIGRATIONS[v]);
        this.db.pragma(`user_version = ${v + 1}`);
      })();
    }
  }

  async append(events: FloorEvent[], receivedAtMs: number): Promise<AppendResult> {
    const appended = this.appendTx(events, receivedAtMs);
    return { appended, duplicates: events.length - appended.length };
  }

  async replay(fn: (event: FloorEvent) => void): Promise<number> {
    let n = 0;
    const stmt = this.db.prepare('SELECT body FROM events ORDER BY seq').pluck();
    for (const body of stmt.iterate() as IterableIterator<string>) {
      fn(JSON.parse(body) as FloorEvent);
      n++;
    }
    return n;
  }

  async count(): Promise<number> {
    return this.db.prepare('SELECT count(*) FROM events').pluck().get() as number;
  }

  async eventsForCall(callId: string, limit = 500): Promise<FloorEvent[]> {
    const rows = this.db.prepare('SELECT body FROM events WHERE call_id = ? ORDER BY seq LIMIT ?').pluck().all(callId, limit) as string[];
    return rows.map((b) => JSON.parse(b) as FloorEvent);
  }

  async loadConfig(): Promise<FloorConfig | undefined> {
    const body = this.db.prepare('SELECT body FROM config WHERE id = 1').pluck().get() as string | undefined;
    return body === undefined ? undefined : (JSON.parse(body) as FloorConfig);
  }

  async saveConfig(config: FloorConfig, actor: string, before?: FloorConfig): Promise<void> {
    const now = Date.now();
    this.db.transaction(() => {
      this.db
        .prepare('INSERT INTO config (id, body, updated_ms) VALUES (1, ?, ?) ON CONFLICT(id) DO UPDATE SET body = excluded.body, updated_ms = excluded.updated_ms')
        .run(JSON.stringify(config), now);
      this.insertAudit.run(now, actor, 'config.update', JSON.stringify({ before, after: config }));
    })();
  }

  async saveAlerts(alerts: Alert[]): Promise<void> {
    this.db.transaction(() => {
      for (const a of alerts) this.upsertAlert.run(a.id, a.raisedAtMs, a.agentId ?? null, JSON.stringify(a));
    })();
  }

  async listAlerts(opts: { sinceMs?: number; untilMs?: number; limit?: number; agentId?: string } = {}): Promise<Alert[]> {
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
    const sql = `SELECT body FROM alerts ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY raised_ms DESC, id LIMIT ?`;
    args.push(opts.limit ?? 1_000);
    return (this.db.prepare(sql).pluck().all(...args) as string[]).map((b) => JSON.parse(b) as Alert);
  }

  async appendAudit(entry: AuditEntry): Promise<void> {
    this.insertAudit.run(entry.atMs, entry.actor, entry.action, JSON.stringify({ before: entry.before, after: entry.after }));
  }

  async listAudit(limit = 1_000): Promise<AuditEntry[]> {
    const rows = this.db.prepare('SELECT at_ms, actor, action, body FROM audit ORDER BY seq DESC LIMIT ?').all(limit) as {
      at_ms: number;
      actor: string;
      action: string;
      body: string | null;
    }[];
    return rows.map((r) => {
      const body = r.body ? (JSON.parse(r.body) as { before?: unknown; after?: unknown }) : {};
      return { atMs: r.at_ms, actor: r.actor, action: r.action, before: body.before, after: body.after };
    });
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

export function openSqliteLog(opts: SqliteLogOptions): SqliteLog {
  return new SqliteLog(opts);
}
