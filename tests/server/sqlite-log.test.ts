import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteLog, SQLITE_SCHEMA_VERSION, type SqliteLog, type SqliteLogOptions } from '../../server/log/sqlite.ts';
import { defaultConfig } from '../../shared/config.ts';
import type { FloorEvent } from '../../shared/events.ts';
import type { Alert } from '../../shared/state.ts';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const SQLITE_MODULE = pathToFileURL(path.join(REPO, 'server/log/sqlite.ts')).href;
const T = 1_700_000_000_000;

const queued = (id: string, callId = 'c1', at = T): FloorEvent => ({ type: 'call.queued', id, at, callId, queueId: 'q1' });
const alert = (id: string, raisedAtMs: number, agentId: string | undefined, level: Alert['level'] = 'warn'): Alert => ({
  id,
  ruleId: 'hold-long',
  level,
  status: 'open',
  value: 50,
  threshold: 45,
  unit: 'sec',
  raisedAtMs,
  updatedAtMs: raisedAtMs,
  ...(agentId !== undefined ? { agentId } : {}),
});

const dirs: string[] = [];
let opened: SqliteLog[] = [];
/** A database path in a fresh temp dir, one folder deeper than exists (the log must create it). */
function dbFile(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fw-sqlite-'));
  dirs.push(dir);
  return path.join(dir, 'data', 'floorwatch.db');
}
function open(file = dbFile(), more: Omit<SqliteLogOptions, 'file'> = {}): SqliteLog {
  const log = openSqliteLog({ file, ...more });
  opened.push(log);
  return log;
}
async function ids(log: SqliteLog): Promise<string[]> {
  const seen: string[] = [];
  await log.replay((e) => seen.push(e.id));
  return seen;
}

afterEach(async () => {
  for (const log of opened) await log.close();
  opened = [];
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('SQLite event log: append and replay', () => {
  it('replays events in append order, not in source-time order, and creates the missing folder', async () => {
    const file = dbFile();
    expect(fs.existsSync(path.dirname(file))).toBe(false);
    const log = open(file);
    // Sources' clocks disagree: the log keeps arrival order, the engine sorts out time.
    const r1 = await log.append([queued('e1', 'c1', T + 3), queued('e2', 'c2', T + 1)], T);
    const r2 = await log.append([{ type: 'call.abandoned', id: 'e3', at: T, callId: 'c1' }], T + 10);
    expect(r1).toEqual({ appended: [queued('e1', 'c1', T + 3), queued('e2', 'c2', T + 1)], duplicates: 0 });
    expect(r2.appended.map((e) => e.id)).toEqual(['e3']);

    const seen: FloorEvent[] = [];
    expect(await log.replay((e) => seen.push(e))).toBe(3);
    expect(seen).toEqual([queued('e1', 'c1', T + 3), queued('e2', 'c2', T + 1), { type: 'call.abandoned', id: 'e3', at: T, callId: 'c1' }]);
    expect(await log.count()).toBe(3);
    expect(fs.existsSync(file)).toBe(true);
  });

  it('keeps every field of the events it stores, feed and internal alike', async () => {
    const log = open();
    const events: FloorEvent[] = [
      { type: 'agent.state', id: 'a1', at: T, agentId: 'ag1', state: 'available', name: 'Ann', team: 't1', queues: ['q1', 'q2'] },
      { type: 'call.hold', id: 'h1', at: T + 1, callId: 'c1', askedPermission: false },
      { type: 'call.volume', id: 'v1', at: T + 2, callId: 'c1', dbfs: -7.5 },
      { type: 'callback.scheduled', id: 'cb1', at: T + 3, callbackId: 'cb', agentId: 'ag1', dueAt: T + 3_600_000 },
      // Events the server writes itself (what people did) share the log with the feed.
      { type: 'alert.acknowledged', id: 'ack1', at: T + 4, alertId: 'hold-long:c1:1', by: 'sup1', note: 'spoke to Ann' },
    ];
    await log.append(events, T);
    const seen: FloorEvent[] = [];
    await log.replay((e) => seen.push(e));
    expect(seen).toEqual(events);
  });

  it('counts an id already in the log, or repeated inside one batch, as a duplicate and writes it once', async () => {
    const log = open();
    await log.append([queued('e1'), queued('e2')], T);
    // A retried batch overlapping the first, with e3 twice and a changed copy of e2: the first write wins.
    const again = await log.append([{ ...queued('e2'), queueId: 'changed' } as FloorEvent, queued('e3'), queued('e3'), queued('e4')], T);
    expect(again.appended.map((e) => e.id)).toEqual(['e3', 'e4']);
    expect(again.duplicates).toBe(2);
    const inside = await log.append([queued('e5'), queued('e5'), queued('e5')], T);
    expect(inside).toEqual({ appended: [queued('e5')], duplicates: 2 });

    expect(await log.count()).toBe(5);
    expect(await ids(log)).toEqual(['e1', 'e2', 'e3', 'e4', 'e5']);
    const e2 = (await log.eventsForCall('c1')).find((e) => e.id === 'e2');
    expect(e2).toMatchObject({ queueId: 'q1' });
  });

  it('accepts an empty batch', async () => {
    const log = open();
    expect(await log.append([], T)).toEqual({ appended: [], duplicates: 0 });
    expect(await log.count()).toBe(0);
    expect(await log.replay(() => undefined)).toBe(0);
  });

  it('replays 200,000 events, all of them, in order', async () => {
    const log = open(dbFile(), { synchronous: 'normal' });
    const BATCH = 10_000;
    for (let b = 0; b < 20; b++) {
      await log.append(Array.from({ length: BATCH }, (_, i) => queued(`e${b * BATCH + i}`, `c${i % 300}`, T + b * BATCH + i)), T);
    }
    let expected = 0;
    let inOrder = true;
    const n = await log.replay((e) => {
      if (e.id !== `e${expected}`) inOrder = false;
      expected++;
    });
    expect(n).toBe(200_000);
    expect(expected).toBe(200_000);
    expect(inOrder).toBe(true);
    expect(await log.count()).toBe(200_000);
  });

  it('works in memory', async () => {
    const log = open(':memory:');
    await log.append([queued('e1')], T);
    expect(await ids(log)).toEqual(['e1']);
  });
});

describe('SQLite event log: durability', () => {
  it('keeps events, config, alerts and audit across close and reopen', async () => {
    const file = dbFile();
    const a = open(file);
    await a.append([queued('e1'), queued('e2', 'c2')], T);
    await a.saveConfig({ ...defaultConfig(), timeZone: 'Europe/Tallinn' }, 'admin');
    await a.saveAlerts([alert('x', T, 'ag1')]);
    await a.close();

    const b = open(file);
    expect(await ids(b)).toEqual(['e1', 'e2']);
    expect((await b.loadConfig())?.timeZone).toBe('Europe/Tallinn');
    expect((await b.listAlerts()).map((x) => x.id)).toEqual(['x']);
    expect(await b.listAudit()).toHaveLength(1);
    // Ids are remembered across opens too: a retry after a restart is still a duplicate.
    expect(await b.append([queued('e2', 'c2'), queued('e3')], T)).toMatchObject({ duplicates: 1 });
  });

  it('lets a second connection see every acknowledged event while the first is still open', async () => {
    const file = dbFile();
    const writer = open(file);
    const reader = open(file);
    await writer.append([queued('e1'), queued('e2')], T);
    expect(await reader.count()).toBe(2);
    await writer.append([queued('e3')], T);
    expect(await ids(reader)).toEqual(['e1', 'e2', 'e3']);
  });

  it('has every acknowledged event on disk even when the writing process is killed without closing', () => {
    const file = dbFile();
    const script = path.join(path.dirname(path.dirname(file)), 'writer.mts');
    fs.writeFileSync(
      script,
      `import { openSqliteLog } from ${JSON.stringify(SQLITE_MODULE)};
const log = openSqliteLog({ file: process.argv[2] });
let acked = 0;
for (let b = 0; b < 5; b++) {
  const batch = Array.from({ length: 100 }, (_, i) => ({ type: 'call.queued', id: 'p' + (b * 100 + i), at: ${T}, callId: 'c' + i, queueId: 'q1' }));
  acked += (await log.append(batch, ${T})).appended.length;
}
process.stdout.write('acked ' + acked + '\\n');
process.kill(process.pid, 'SIGKILL');
`,
    );
    const child = spawnSync(process.execPath, ['--import', 'tsx', script, file], { cwd: REPO, encoding: 'utf8', timeout: 30_000 });
    expect(child.stderr).not.toMatch(/Error/);
    expect(child.signal).toBe('SIGKILL');
    expect(child.stdout).toBe('acked 500\n');

    return (async () => {
      const log = open(file);
      expect(await log.count()).toBe(500);
      const seen = await ids(log);
      expect(seen[0]).toBe('p0');
      expect(seen[499]).toBe('p499');
    })();
  }, 30_000);

  it('runs in WAL mode with synchronous=FULL unless told otherwise', () => {
    expect(open().info()).toMatchObject({ journalMode: 'wal', synchronous: 2, schemaVersion: SQLITE_SCHEMA_VERSION });
    expect(open(dbFile(), { synchronous: 'normal' }).info()).toMatchObject({ journalMode: 'wal', synchronous: 1 });
  });
});

describe('SQLite event log: reads', () => {
  it('returns the events of one call in log order, bounded by the limit', async () => {
    const log = open();
    await log.append(
      [
        queued('e1', 'c1', T + 9),
        queued('e2', 'c2'),
        { type: 'agent.state', id: 'e3', at: T, agentId: 'ag1', state: 'available' },
        { type: 'call.ringing', id: 'e4', at: T + 1, callId: 'c1', agentId: 'ag1' },
        { type: 'call.answered', id: 'e5', at: T + 2, callId: 'c1', agentId: 'ag1', ringCount: 2 },
      ],
      T,
    );
    expect((await log.eventsForCall('c1')).map((e) => e.id)).toEqual(['e1', 'e4', 'e5']);
    expect((await log.eventsForCall('c1', 2)).map((e) => e.id)).toEqual(['e1', 'e4']);
    expect(await log.eventsForCall('c1', 0)).toEqual([]);
    expect((await log.eventsForCall('c1', -1)).map((e) => e.id)).toEqual([]);
    expect(await log.eventsForCall('nope')).toEqual([]);
  });

  it('caps a call drill-down at 500 events by default', async () => {
    const log = open();
    await log.append(Array.from({ length: 600 }, (_, i) => ({ type: 'call.volume', id: `v${i}`, at: T + i, callId: 'loud', dbfs: -5 }) as FloorEvent), T);
    const events = await log.eventsForCall('loud');
    expect(events).toHaveLength(500);
    expect(events[499].id).toBe('v499');
  });
});

describe('SQLite event log: config and audit', () => {
  it('has no config until one is saved, then returns the latest, each save audited with before and after', async () => {
    let now = T;
    const log = open(dbFile(), { nowMs: () => now });
    expect(await log.loadConfig()).toBeUndefined();

    const first = { ...defaultConfig(), timeZone: 'Europe/Tallinn' };
    await log.saveConfig(first, 'admin');
    expect(await log.loadConfig()).toEqual(first);

    now = T + 60_000;
    const second = { ...first, rules: { ...first.rules, holdLongWarnSec: 30 } };
    await log.saveConfig(second, 'sup1', first);
    expect(await log.loadConfig()).toEqual(second);

    const audit = await log.listAudit();
    expect(audit).toEqual([
      { atMs: T + 60_000, actor: 'sup1', action: 'config.update', before: first, after: second },
      { atMs: T, actor: 'admin', action: 'config.update', after: first },
    ]);
  });

  it('appends audit entries and lists the newest first, bounded by the limit', async () => {
    const log = open();
    await log.appendAudit({ atMs: T, actor: 'sup1', action: 'alert.acknowledge', after: { alertId: 'x', note: 'called back' } });
    await log.appendAudit({ atMs: T + 1, actor: 'sup2', action: 'alert.acknowledge' });
    await log.appendAudit({ atMs: T + 2, actor: 'admin', action: 'token.rotate', before: 'old', after: 'new' });
    expect((await log.listAudit()).map((a) => a.actor)).toEqual(['admin', 'sup2', 'sup1']);
    expect(await log.listAudit(1)).toEqual([{ atMs: T + 2, actor: 'admin', action: 'token.rotate', before: 'old', after: 'new' }]);
    expect((await log.listAudit())[2]).toEqual({ atMs: T, actor: 'sup1', action: 'alert.acknowledge', after: { alertId: 'x', note: 'called back' } });
  });
});

describe('SQLite event log: alerts', () => {
  it('upserts alerts by id: the latest content wins and nothing is doubled', async () => {
    const log = open();
    await log.saveAlerts([alert('x', T, 'ag1'), alert('y', T + 10, 'ag2')]);
    const acked: Alert = { ...alert('x', T, 'ag1', 'breach'), value: 95, ack: { by: 'sup1', atMs: T + 5 } };
    await log.saveAlerts([acked]);
    await log.saveAlerts([]);
    const all = await log.listAlerts();
    expect(all).toHaveLength(2);
    expect(all.find((a) => a.id === 'x')).toEqual(acked);
  });

  it('lists alerts newest raised first, filtered by time window, agent and limit', async () => {
    const log = open();
    await log.saveAlerts([
      alert('a', T, 'ag1'),
      alert('b', T + 10, 'ag2'),
      alert('c', T + 20, 'ag1'),
      alert('d', T + 30, undefined),
      alert('e', T + 20, 'ag2'),
    ]);
    expect((await log.listAlerts()).map((a) => a.id)).toEqual(['d', 'c', 'e', 'b', 'a']);
    expect((await log.listAlerts({ agentId: 'ag1' })).map((a) => a.id)).toEqual(['c', 'a']);
    // sinceMs inclusive, untilMs exclusive: adjacent windows never count an alert twice.
    expect((await log.listAlerts({ sinceMs: T + 10, untilMs: T + 30 })).map((a) => a.id)).toEqual(['c', 'e', 'b']);
    expect((await log.listAlerts({ sinceMs: T + 10, agentId: 'ag2' })).map((a) => a.id)).toEqual(['e', 'b']);
    expect((await log.listAlerts({ limit: 2 })).map((a) => a.id)).toEqual(['d', 'c']);
    // Pages by offset in the same order (ties by id), as the scoped /api/alerts reads them.
    expect((await log.listAlerts({ limit: 2, offset: 2 })).map((a) => a.id)).toEqual(['e', 'b']);
    expect((await log.listAlerts({ limit: 2, offset: 4 })).map((a) => a.id)).toEqual(['a']);
    expect((await log.listAlerts({ sinceMs: T + 10, limit: 5, offset: 1 })).map((a) => a.id)).toEqual(['c', 'e', 'b']);
    expect(await log.listAlerts({ agentId: 'nobody' })).toEqual([]);
  });
});

describe('SQLite event log: opening', () => {
  it('refuses a file that is not a database, naming the file', () => {
    const file = dbFile();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, 'these are not the bytes of a SQLite file\n'.repeat(200));
    expect(() => open(file)).toThrow(/is not a SQLite database/);
    expect(() => open(file)).toThrow(file);
  });

  it('refuses another application\'s SQLite database without changing it', () => {
    const file = dbFile();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const other = new Database(file);
    other.exec('CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)');
    other.close();

    expect(() => open(file)).toThrow(/not a Floorwatch log/);
    const after = new Database(file);
    const tables = after.prepare<[], string>("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all();
    const journal = after.pragma('journal_mode', { simple: true });
    after.close();
    expect(tables).toEqual(['customers']);
    expect(journal).toBe('delete');
  });

  it('says the file is locked when another process holds it', async () => {
    const file = dbFile();
    await open(file).close();
    const holder = new Database(file);
    holder.pragma('locking_mode = EXCLUSIVE');
    holder.exec('BEGIN EXCLUSIVE');
    try {
      expect(() => open(file, { busyTimeoutMs: 50 })).toThrow(/locked by another process/);
    } finally {
      holder.exec('COMMIT');
      holder.close();
    }
    expect(await open(file).count()).toBe(0);
  });

  it('refuses a log written by a newer schema', async () => {
    const file = dbFile();
    await open(file).close();
    const raw = new Database(file);
    raw.prepare("UPDATE meta SET value = '99' WHERE key = 'schema_version'").run();
    raw.close();
    expect(() => open(file)).toThrow(/schema v99, newer/);
  });

  it('adopts a log of the first release, which kept its version in user_version', async () => {
    const file = dbFile();
    const first = open(file);
    await first.append([queued('e1')], T);
    await first.close();
    const raw = new Database(file);
    raw.exec('DROP TABLE meta');
    raw.pragma('user_version = 1');
    raw.close();

    const log = open(file);
    expect(await ids(log)).toEqual(['e1']);
    expect(log.info().schemaVersion).toBe(SQLITE_SCHEMA_VERSION);
    await log.close();
    const check = new Database(file);
    expect(check.prepare<[], string>("SELECT value FROM meta WHERE key = 'schema_version'").pluck().get()).toBe(String(SQLITE_SCHEMA_VERSION));
    check.close();
  });

  it('rejects calls after close, and closing twice is harmless', async () => {
    const log = open();
    await log.close();
    await log.close();
    await expect(log.append([queued('e1')], T)).rejects.toThrow(/closed/);
    await expect(log.count()).rejects.toThrow(/closed/);
  });
});
