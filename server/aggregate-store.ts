/**
 * Daily aggregates kept beside the event log: one row per closed floor-local
 * day and configuration fingerprint, in the log's SQLite file (its own table,
 * a second connection, WAL), or in memory when the log is not a SQLite file
 * (Redis in cluster mode: each node keeps its own, rebuilt from the log).
 *
 * The raw events of a day may be pruned (`--retain-days`); its aggregates are
 * kept for ever. A fingerprint other than today's means "built under other
 * settings": it is rebuilt from the log when the log still holds the day,
 * else shown as it is and named stale.
 */
import type Database from 'better-sqlite3';
import { openBesideLog } from './log/side-db.ts';
import { AGGREGATE_VERSION, type DayAggregate } from '../shared/report/types.ts';

/** A stored aggregate: its settings fingerprint, whether the log held events of its day, and when it was built. */
export interface StoredAggregate {
  configKey: string;
  /** False for a day the log had no event of when it was built (kept so the day is not folded again). */
  logged: boolean;
  builtAtMs: number;
  aggregate: DayAggregate;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS daily_aggregates (
    day_start_ms INTEGER NOT NULL,
    config_key TEXT NOT NULL,
    version INTEGER NOT NULL,
    logged INTEGER NOT NULL,
    built_ms INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (day_start_ms, config_key)
  );`;

/** Daily aggregates by day start (epoch ms) and settings fingerprint. Opened at first use. */
export class AggregateStore {
  private handle: Database.Database | undefined;

  /** `file`: the event log's SQLite file, or ':memory:'. */
  constructor(private readonly file: string) {}

  private get db(): Database.Database {
    return (this.handle ??= openBesideLog(this.file, SCHEMA));
  }

  /** Every stored aggregate of the days in [fromMs, toMs) of this version, by day start. */
  range(fromMs: number, toMs: number): Map<number, StoredAggregate[]> {
    const rows = this.db
      .prepare<[number, number, number], { day_start_ms: number; config_key: string; logged: number; built_ms: number; body: string }>(
        'SELECT day_start_ms, config_key, logged, built_ms, body FROM daily_aggregates WHERE day_start_ms >= ? AND day_start_ms < ? AND version = ? ORDER BY day_start_ms, built_ms',
      )
      .all(fromMs, toMs, AGGREGATE_VERSION);
    const out = new Map<number, StoredAggregate[]>();
    for (const r of rows) {
      let list = out.get(r.day_start_ms);
      if (!list) out.set(r.day_start_ms, (list = []));
      list.push({ configKey: r.config_key, logged: r.logged === 1, builtAtMs: r.built_ms, aggregate: JSON.parse(r.body) as DayAggregate });
    }
    return out;
  }

  /**
   * Stores the aggregate of a day under `configKey`. A logged one replaces every
   * other of its day (they are outdated); an unlogged one never replaces a logged
   * one built under other settings (the raw events were pruned since: that one is
   * all there is).
   */
  put(configKey: string, logged: boolean, aggregate: DayAggregate, builtAtMs: number): void {
    const db = this.db;
    db.transaction(() => {
      if (logged) db.prepare('DELETE FROM daily_aggregates WHERE day_start_ms = ? AND config_key <> ?').run(aggregate.dayStartMs, configKey);
      db.prepare(
        'INSERT INTO daily_aggregates (day_start_ms, config_key, version, logged, built_ms, body) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(day_start_ms, config_key) DO UPDATE SET version = excluded.version, logged = excluded.logged, built_ms = excluded.built_ms, body = excluded.body',
      ).run(aggregate.dayStartMs, configKey, AGGREGATE_VERSION, logged ? 1 : 0, builtAtMs, JSON.stringify(aggregate));
    })();
  }

  /** Drops every aggregate of the days starting at `dayStartsMs` (late events of those days arrived: the next report rebuilds them), in one transaction. */
  dropDays(dayStartsMs: readonly number[]): number {
    const del = this.db.prepare('DELETE FROM daily_aggregates WHERE day_start_ms = ?');
    return this.db.transaction(() => dayStartsMs.reduce((n, d) => n + del.run(d).changes, 0))();
  }

  /** Days stored (for health). */
  count(): number {
    return this.db.prepare('SELECT COUNT(DISTINCT day_start_ms) FROM daily_aggregates').pluck().get() as number;
  }

  close(): void {
    this.handle?.close();
    this.handle = undefined;
  }
}
