/**
 * A second connection to the event log's SQLite file for the tables kept
 * beside the log (notification settings and deliveries, daily aggregates):
 * WAL mode, so it never blocks the log's writer nor is blocked by it.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

/** Opens `file` (the log's, or ':memory:'), creating its folder, and runs `schema` (idempotent `CREATE … IF NOT EXISTS`). Throws when the file cannot be opened. */
export function openBesideLog(file: string, schema: string): Database.Database {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const db = new Database(file, { timeout: 5_000 });
  db.pragma('journal_mode = WAL');
  db.exec(schema);
  return db;
}
