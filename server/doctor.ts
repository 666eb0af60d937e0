/**
 * `floorwatch doctor --data DIR [--quarantine] [--json]`: the state of a data
 * folder (event log and user store), read without starting a server.
 *
 * It lists every row of the events table a replay would skip (with its seq,
 * which is the SQLite rowid, and the reason), checks both files with SQLite's
 * quick_check, and says when the log is empty in a folder that had data. With
 * --quarantine it moves the damaged rows, unchanged, into a table
 * `events_quarantine` of the same file (with the reason and the time): nothing
 * is deleted, and the next start replays the rest without warnings.
 *
 * Exit codes: 0 nothing wrong (or, with --quarantine, every problem found was
 * a damaged row and all of them were moved aside), 1 problems found, 2 usage.
 * Stop the server before --quarantine: it writes to the log.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { checkEventRow, openError, type BadEventRow } from './log/sqlite.ts';
import { authOpenError, LOG_HELD_EVENTS_KEY } from './auth/store.ts';

export const LOG_FILE = 'floorwatch.db';
export const AUTH_FILE = 'auth.db';
export const QUARANTINE_TABLE = 'events_quarantine';
/** The table of transcript words kept as alerts' evidence (server/transcripts.ts). */
const TRANSCRIPT_EVIDENCE_TABLE = 'transcript_evidence';

export const DOCTOR_USAGE = `Usage:
  floorwatch doctor --data DIR [--quarantine] [--json]
      Reports the state of a Floorwatch data folder: events in floorwatch.db,
      damaged rows (seq = SQLite rowid, and why), and auth.db (users, damage).
      --quarantine  moves damaged event rows into the table ${QUARANTINE_TABLE}
                    of the same file (kept, not deleted); stop the server first
      --json        one JSON object instead of text
  Exit codes: 0 ok, 1 problems found, 2 usage error.
`;

/** Damaged rows listed in full; more are counted. */
const ROWS_LISTED = 1_000;

export interface DoctorReport {
  dataDir: string;
  log: {
    file: string;
    exists: boolean;
    /** Rows in the events table (damaged ones included), before any quarantine. */
    events: number | null;
    damagedRows: number;
    /** The first {@link ROWS_LISTED} damaged rows. */
    damaged: BadEventRow[];
    /** Rows moved to {@link QUARANTINE_TABLE} by this run. */
    quarantinedNow: number;
    /** Rows in {@link QUARANTINE_TABLE} after this run. */
    inQuarantine: number;
    /**
     * What the folder holds of transcript words (`--transcripts`, server/transcripts.ts): logged segments
     * with their words (received under `keep`), and segments kept beside the log as alerts' evidence.
     */
    transcripts: { segmentsWithWords: number; evidenceSegments: number };
    error?: string;
  };
  /** `logHeldEventsAtMs`: when auth.db recorded that the event log held events (epoch ms); null if it never did (a fresh install) or unknown. */
  auth: { file: string; exists: boolean; users: number | null; logHeldEventsAtMs: number | null; error?: string };
  /** What needs a person's attention; empty when all is well. */
  problems: string[];
  /** Worth knowing, not wrong. */
  notes: string[];
}

interface SqliteErrorLike {
  code?: unknown;
}

function quickCheck(db: Database.Database): string | undefined {
  const lines = db.pragma('quick_check(20)', { simple: false }) as { quick_check: string }[];
  const text = lines.map((l) => l.quick_check).filter((l) => l !== 'ok');
  return text.length ? text.join('; ') : undefined;
}

function hasTable(db: Database.Database, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").pluck().get(name) !== undefined;
}

function nonEmptyFile(file: string): boolean {
  try {
    return fs.statSync(file).size > 0;
  } catch {
    return false;
  }
}

/** Examines a data folder; with `quarantine`, moves damaged event rows aside. Never throws on a damaged file: it reports it. */
export function examineDataFolder(dataDir: string, opts: { quarantine?: boolean; nowMs?: number } = {}): DoctorReport {
  const dir = path.resolve(dataDir);
  const logFile = path.join(dir, LOG_FILE);
  const authFile = path.join(dir, AUTH_FILE);
  const report: DoctorReport = {
    dataDir: dir,
    log: { file: logFile, exists: fs.existsSync(logFile), events: null, damagedRows: 0, damaged: [], quarantinedNow: 0, inQuarantine: 0, transcripts: { segmentsWithWords: 0, evidenceSegments: 0 } },
    auth: { file: authFile, exists: fs.existsSync(authFile), users: null, logHeldEventsAtMs: null },
    problems: [],
    notes: [],
  };
  if (!fs.existsSync(dir)) {
    report.problems.push(`data folder ${dir} does not exist`);
    return report;
  }

  // ---- auth.db first: it tells whether the folder was in use.
  if (report.auth.exists) {
    let db: Database.Database | undefined;
    try {
      db = new Database(authFile, { readonly: true, fileMustExist: true });
      const bad = quickCheck(db);
      if (bad) throw Object.assign(new Error(bad), { code: 'SQLITE_CORRUPT' });
      report.auth.users = hasTable(db, 'users') ? (db.prepare('SELECT count(*) FROM users').pluck().get() as number) : 0;
      const held = hasTable(db, 'meta') ? (db.prepare('SELECT value FROM meta WHERE key = ?').pluck().get(LOG_HELD_EVENTS_KEY) as string | undefined) : undefined;
      report.auth.logHeldEventsAtMs = held === undefined ? null : Number(held);
    } catch (err) {
      report.auth.error = authOpenError(authFile, err).message;
      report.problems.push(report.auth.error);
    } finally {
      if (db?.open) db.close();
    }
  } else {
    report.notes.push(`no ${AUTH_FILE}: the next start makes one with a new "admin" and a one-time password`);
  }

  // ---- the event log
  if (!report.log.exists) {
    if (nonEmptyFile(`${logFile}-wal`)) report.problems.push(`${logFile}-wal exists without ${logFile}: the log file was deleted or moved away from its WAL; put it back before starting`);
    if (report.auth.logHeldEventsAtMs !== null) report.problems.push(`no event log ${logFile}, yet ${authFile} records that it held events (${heldSince(report.auth.logHeldEventsAtMs)}): this folder had data; restore ${LOG_FILE} from a backup, or accept starting with an empty floor`);
    else report.notes.push(`no event log ${logFile}: the next start makes an empty one`);
    return report;
  }
  let db: Database.Database | undefined;
  try {
    db = new Database(logFile, { readonly: !opts.quarantine, fileMustExist: true, timeout: 5_000 });
    const bad = quickCheck(db);
    if (bad) throw Object.assign(new Error(bad), { code: 'SQLITE_CORRUPT' });
    if (!hasTable(db, 'events')) throw Object.assign(new Error('it has no events table (not a Floorwatch log, or one never started)'), { code: 'FLOORWATCH_NOEVENTS' });
    report.log.events = db.prepare('SELECT count(*) FROM events').pluck().get() as number;
    const rows = db.prepare('SELECT seq, id, type, body FROM events ORDER BY seq').raw().iterate() as IterableIterator<[number, unknown, unknown, unknown]>;
    const damaged: BadEventRow[] = [];
    for (const [seq, id, type, body] of rows) {
      const checked = checkEventRow(body);
      if (checked.ok) {
        const e = checked.event as { type: string; text?: unknown };
        if (e.type === 'call.transcript' && typeof e.text === 'string' && e.text.trim() !== '') report.log.transcripts.segmentsWithWords++;
        continue;
      }
      const reason = checked.reason;
      report.log.damagedRows++;
      damaged.push({ seq, id: typeof id === 'string' ? id : null, type: typeof type === 'string' ? type : null, reason });
    }
    report.log.damaged = damaged.slice(0, ROWS_LISTED);
    if (damaged.length > 0) {
      if (opts.quarantine) {
        report.log.quarantinedNow = quarantineRows(db, damaged, opts.nowMs ?? Date.now());
        report.notes.push(`moved ${report.log.quarantinedNow} damaged row(s) to the table ${QUARANTINE_TABLE} of ${logFile} (kept with their reason; nothing deleted)`);
      } else {
        report.problems.push(`${damaged.length} damaged row(s) in ${logFile}: a start skips them with a warning; run again with --quarantine (server stopped) to move them aside`);
      }
    }
    if (hasTable(db, TRANSCRIPT_EVIDENCE_TABLE)) report.log.transcripts.evidenceSegments = db.prepare(`SELECT count(*) FROM ${TRANSCRIPT_EVIDENCE_TABLE}`).pluck().get() as number;
    const t = report.log.transcripts;
    if (t.segmentsWithWords > 0 || t.evidenceSegments > 0) {
      report.notes.push(`transcript words held: ${t.segmentsWithWords} logged segment(s) with their words (received under --transcripts keep), ${t.evidenceSegments} segment(s) kept as alerts' evidence`);
    }
    if (hasTable(db, QUARANTINE_TABLE)) report.log.inQuarantine = db.prepare(`SELECT count(*) FROM ${QUARANTINE_TABLE}`).pluck().get() as number;
    const valid = report.log.events - report.log.damagedRows;
    // Users alone say nothing: a first start makes "admin" before any event arrives. auth.db's mark says the log once held events.
    if (valid === 0 && report.auth.logHeldEventsAtMs !== null) {
      report.problems.push(`event log ${logFile} holds no events, yet ${authFile} records that it held events (${heldSince(report.auth.logHeldEventsAtMs)}): this folder had data; if ${LOG_FILE} was replaced or lost, restore it from a backup`);
    } else if (valid === 0 && (report.auth.users ?? 0) > 0) {
      report.notes.push(`event log ${logFile} holds no events yet (a new floor: ${AUTH_FILE} records none ever held)`);
    }
  } catch (err) {
    const code = (err as SqliteErrorLike).code;
    report.log.error =
      code === 'FLOORWATCH_NOEVENTS'
        ? `event log ${logFile}: ${(err as Error).message}`
        : `${openError(logFile, err).message}; restore it from a backup, or move it aside (with its -wal and -shm files) to start an empty log`;
    report.problems.push(report.log.error);
  } finally {
    if (db?.open) db.close();
  }
  return report;
}

/** "first seen <ISO time>", for a message. */
function heldSince(atMs: number): string {
  return `first seen ${Number.isFinite(atMs) ? new Date(atMs).toISOString() : 'at an unreadable time'}`;
}

/** Moves rows out of `events` into {@link QUARANTINE_TABLE}, unchanged, in one transaction; resolves with the number moved. */
function quarantineRows(db: Database.Database, rows: BadEventRow[], nowMs: number): number {
  db.exec(`CREATE TABLE IF NOT EXISTS ${QUARANTINE_TABLE} (
    qid INTEGER PRIMARY KEY,
    seq INTEGER NOT NULL,
    id TEXT,
    type TEXT,
    at_ms INTEGER,
    call_id TEXT,
    received_ms INTEGER,
    body TEXT,
    reason TEXT NOT NULL,
    quarantined_ms INTEGER NOT NULL
  )`);
  const copy = db.prepare<[string, number, number]>(
    `INSERT INTO ${QUARANTINE_TABLE} (seq, id, type, at_ms, call_id, received_ms, body, reason, quarantined_ms)
     SELECT seq, id, type, at_ms, call_id, received_ms, body, ?, ? FROM events WHERE seq = ?`,
  );
  const remove = db.prepare<[number]>('DELETE FROM events WHERE seq = ?');
  return db.transaction(() => {
    let n = 0;
    for (const r of rows) {
      if (copy.run(r.reason, nowMs, r.seq).changes === 1) n += remove.run(r.seq).changes;
    }
    return n;
  }).immediate();
}

export function formatDoctorReport(r: DoctorReport): string {
  const out: string[] = [`data folder: ${r.dataDir}`];
  const l = r.log;
  if (l.error) out.push(`event log:   ${l.file}: DAMAGED`);
  else if (!l.exists) out.push(`event log:   ${l.file}: missing`);
  else out.push(`event log:   ${l.file}: ${l.events} row(s), ${l.damagedRows} damaged${l.inQuarantine ? `, ${l.inQuarantine} in ${QUARANTINE_TABLE}` : ''}`);
  for (const d of l.damaged) out.push(`  row seq (rowid) ${d.seq}${d.id !== null ? ` id "${d.id}"` : ''}${d.type !== null ? ` type "${d.type}"` : ''}: ${d.reason}`);
  if (l.damagedRows > l.damaged.length) out.push(`  … and ${l.damagedRows - l.damaged.length} more`);
  const a = r.auth;
  out.push(`user store:  ${a.file}: ${a.error ? 'DAMAGED' : !a.exists ? 'missing' : `${a.users} user(s)`}`);
  for (const p of r.problems) out.push(`PROBLEM: ${p}`);
  for (const n of r.notes) out.push(`note: ${n}`);
  out.push(r.problems.length ? `${r.problems.length} problem(s) found` : 'ok');
  return out.join('\n') + '\n';
}

interface DoctorIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/** `floorwatch doctor …` (argv without the command); resolves with the exit code. */
export async function runDoctor(argv: string[], io: DoctorIo): Promise<number> {
  let dataDir: string | undefined;
  let quarantine = false;
  let json = false;
  const usage = (msg: string) => {
    io.stderr(`floorwatch doctor: ${msg}\n${DOCTOR_USAGE}`);
    return 2;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') {
      io.stdout(DOCTOR_USAGE);
      return 0;
    }
    if (arg === '--quarantine') quarantine = true;
    else if (arg === '--json') json = true;
    else if (arg === '--data' || arg.startsWith('--data=')) {
      const value = arg === '--data' ? argv[++i] : arg.slice('--data='.length);
      if (value === undefined || value === '' || value.startsWith('--')) return usage('--data needs a folder');
      if (dataDir !== undefined) return usage('--data given twice');
      dataDir = value;
    } else return usage(arg.startsWith('--') ? `unknown option ${arg}` : `unexpected argument "${arg}"`);
  }
  if (dataDir === undefined) return usage('--data DIR is required');
  const report = examineDataFolder(dataDir, { quarantine });
  io.stdout(json ? `${JSON.stringify(report, null, 2)}\n` : formatDoctorReport(report));
  return report.problems.length ? 1 : 0;
}

/** What a start needs to know about the folder before it opens (and so creates) its files. */
export interface FolderBefore {
  logExisted: boolean;
  walExisted: boolean;
  authExisted: boolean;
}

export function folderBeforeStart(dataDir: string): FolderBefore {
  const logFile = path.join(dataDir, LOG_FILE);
  return { logExisted: fs.existsSync(logFile), walExisted: nonEmptyFile(`${logFile}-wal`), authExisted: fs.existsSync(path.join(dataDir, AUTH_FILE)) };
}

/**
 * Warnings for a start on an empty event log in a folder that had data (e.g. a lost or replaced floorwatch.db).
 * "Had data" is auth.db's record that the log once held events (`logHeldEventsAtMs`, AuthStore), not its users:
 * a fresh install restarted before its first event has an admin and an empty log, and nothing is wrong.
 */
export function emptyLogWarnings(dataDir: string, before: FolderBefore, now: { events: number; users: number; logHeldEventsAtMs: number | undefined }): string[] {
  const logFile = path.join(dataDir, LOG_FILE);
  const out: string[] = [];
  if (!before.logExisted && before.walExisted) {
    out.push(`${logFile} was missing but its ${LOG_FILE}-wal was there: the log file was deleted or moved; stop now and put it back, or the events in it are lost to this floor`);
  }
  if (now.events === 0 && before.authExisted && now.logHeldEventsAtMs !== undefined) {
    out.push(
      `event log ${logFile} is ${before.logExisted ? 'empty' : 'new'}, but ${path.join(dataDir, AUTH_FILE)} (${now.users} user(s)) records that it held events (${heldSince(now.logHeldEventsAtMs)}): this folder had data. ` +
        `If ${LOG_FILE} was deleted, replaced or restored from the wrong backup, stop now and put the right one back (with its -wal file); "floorwatch doctor --data ${dataDir}" shows the folder's state`,
    );
  }
  return out;
}
