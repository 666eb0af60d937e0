/**
 * A damaged data folder: bad rows in the events table are named (file, seq =
 * rowid, reason) and skipped at start-up, counted in /api/health, never taking
 * the valid events beside them down; `floorwatch doctor` reports them and moves
 * them aside with --quarantine; a damaged auth.db and an empty log in a folder
 * that had data are said plainly. Temp folders only, loopback only.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteLog } from '../../server/log/sqlite.ts';
import { AuthStore } from '../../server/auth/store.ts';
import { emptyLogWarnings, examineDataFolder, folderBeforeStart, QUARANTINE_TABLE, runDoctor } from '../../server/doctor.ts';
import { runCli } from '../../server/queuelog/cli.ts';
import type { FloorEvent } from '../../shared/events.ts';
import { ev, startHarness, T0, type Harness } from './harness.ts';

const dirs: string[] = [];
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'floorwatch-doctor-'));
  dirs.push(d);
  return d;
}

/** A data folder whose log holds five valid events and, between them, a row of bad JSON and one of an unknown type. */
async function damagedFolder(): Promise<{ dir: string; file: string; badSeqs: number[] }> {
  const dir = tempDir();
  const file = path.join(dir, 'floorwatch.db');
  const log = openSqliteLog({ file });
  await log.append([ev.agent('A', 'available', 0, { name: 'Ann' }), ev.queued('c1', 'q', 1)] as FloorEvent[], T0 + 1_000);
  await log.close();
  const db = new Database(file);
  const insert = db.prepare('INSERT INTO events (id, type, at_ms, call_id, received_ms, body) VALUES (?, ?, ?, ?, ?, ?)');
  const bad1 = Number(insert.run('bad-json', 'call.ringing', T0 + 2_000, 'c1', T0 + 2_000, '{"type":"call.ringing","id":"bad-json",').lastInsertRowid);
  const bad2 = Number(insert.run('bad-type', 'call.teleported', T0 + 2_500, 'c1', T0 + 2_500, JSON.stringify({ type: 'call.teleported', id: 'bad-type', at: T0 + 2_500, callId: 'c1' })).lastInsertRowid);
  db.close();
  const log2 = openSqliteLog({ file });
  await log2.append([ev.ringing('c1', 'A', 3), ev.answered('c1', 'A', 4), ev.ended('c1', 60)] as FloorEvent[], T0 + 60_000);
  await log2.close();
  return { dir, file, badSeqs: [bad1, bad2] };
}

function capture() {
  let out = '';
  let err = '';
  return {
    io: { stdout: (t: string) => void (out += t), stderr: (t: string) => void (err += t), env: {} as NodeJS.ProcessEnv },
    out: () => out,
    err: () => err,
  };
}

describe('replay of a damaged log', () => {
  it('skips each bad row loudly, naming file and rowid, and replays every valid event', async () => {
    const { file, badSeqs } = await damagedFolder();
    const warnings: string[] = [];
    const log = openSqliteLog({ file, warn: (m) => warnings.push(m) });
    const seen: string[] = [];
    const n = await log.replay((e) => seen.push(e.id));
    await log.close();
    expect(n).toBe(5);
    expect(seen).toHaveLength(5);
    expect(seen).not.toContain('bad-json');
    expect(warnings[0]).toContain(file);
    expect(warnings[0]).toMatch(new RegExp(`rowid\\) ${badSeqs[0]}, id "bad-json".*not valid JSON`));
    expect(warnings[1]).toMatch(new RegExp(`rowid\\) ${badSeqs[1]}, id "bad-type".*unknown event type "call.teleported"`));
    expect(warnings[2]).toMatch(/2 damaged row\(s\) skipped.*floorwatch doctor --data/);
    expect(log.replayProblems().skipped).toBe(2);
  });

  it('starts the server on it, the floor intact, and counts the rows in /api/health', { timeout: 15_000 }, async () => {
    const { file, badSeqs } = await damagedFolder();
    h = await startHarness({ dbFile: file });
    expect(h.server.replayed).toBe(5);
    await h.auth.createUser({ username: 'sue', password: 'supervisor-pass-1', role: 'supervisor' }, h.clock.now());
    const login = await fetch(`${h.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'sue', password: 'supervisor-pass-1' }) });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0];
    const health = (await (await fetch(`${h.url}/api/health`, { headers: { cookie }, signal: AbortSignal.timeout(5_000) })).json()) as {
      data: { log: { damagedRows: { skipped: number; rows: { seq: number; reason: string }[] } } };
    };
    expect(health.data.log.damagedRows.skipped).toBe(2);
    expect(health.data.log.damagedRows.rows.map((r) => r.seq)).toEqual(badSeqs);
    const report = (await (await fetch(`${h.url}/api/report`, { headers: { cookie }, signal: AbortSignal.timeout(5_000) })).json()) as { data: { queues: { offered: number; answered: number }[] } };
    expect([report.data.queues[0].offered, report.data.queues[0].answered]).toEqual([1, 1]);
  });
});

describe('floorwatch doctor', () => {
  it('reports the bad rows (exit 1), moves them aside with --quarantine (exit 0), and keeps them', async () => {
    const { dir, file, badSeqs } = await damagedFolder();
    const first = capture();
    expect(await runCli(['doctor', '--data', dir], first.io)).toBe(1);
    expect(first.out()).toContain(`${file}: 7 row(s), 2 damaged`);
    expect(first.out()).toContain(`row seq (rowid) ${badSeqs[0]} id "bad-json" type "call.ringing": body is not valid JSON`);
    expect(first.out()).toContain(`row seq (rowid) ${badSeqs[1]} id "bad-type" type "call.teleported": unknown event type "call.teleported"`);
    expect(first.out()).toMatch(/PROBLEM: 2 damaged row\(s\).*--quarantine/);

    const fix = capture();
    expect(await runDoctor(['--data', dir, '--quarantine'], fix.io)).toBe(0);
    expect(fix.out()).toContain(`moved 2 damaged row(s) to the table ${QUARANTINE_TABLE}`);
    const db = new Database(file, { readonly: true });
    const kept = db.prepare(`SELECT seq, id, body, reason FROM ${QUARANTINE_TABLE} ORDER BY seq`).all() as { seq: number; id: string; body: string; reason: string }[];
    expect(kept.map((r) => [r.seq, r.id])).toEqual([
      [badSeqs[0], 'bad-json'],
      [badSeqs[1], 'bad-type'],
    ]);
    expect(kept[0].body).toBe('{"type":"call.ringing","id":"bad-json",');
    expect(kept[1].reason).toMatch(/unknown event type/);
    expect(db.prepare('SELECT count(*) FROM events').pluck().get()).toBe(5);
    db.close();

    const after = capture();
    expect(await runDoctor(['--data', dir, '--json'], after.io)).toBe(0);
    const r = JSON.parse(after.out()) as ReturnType<typeof examineDataFolder>;
    expect([r.log.events, r.log.damagedRows, r.log.inQuarantine, r.problems]).toEqual([5, 0, 2, []]);
    // The quarantined file still opens and replays cleanly.
    const warnings: string[] = [];
    const log = openSqliteLog({ file, warn: (m) => warnings.push(m) });
    expect(await log.replay(() => {})).toBe(5);
    await log.close();
    expect(warnings).toEqual([]);
  });

  it('answers usage errors with 2', async () => {
    for (const argv of [[], ['--data'], ['--data', 'x', '--data', 'y'], ['--data', 'x', '--nope'], ['stray']]) {
      const c = capture();
      expect(await runDoctor(argv, c.io)).toBe(2);
      expect(c.err()).toMatch(/floorwatch doctor: .*\nUsage:/);
    }
    const help = capture();
    expect(await runCli(['doctor', '--help'], help.io)).toBe(0);
    expect(help.out()).toContain('--quarantine');
  });

  it('says which auth.db is damaged and what to do, at start and in the doctor', async () => {
    const dir = tempDir();
    const authFile = path.join(dir, 'auth.db');
    fs.writeFileSync(authFile, 'this is not a database, just text that fills a page '.repeat(100));
    expect(() => new AuthStore(authFile)).toThrow(new RegExp(`user store ${authFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not a SQLite database.*move .* aside`));
    const c = capture();
    expect(await runDoctor(['--data', dir], c.io)).toBe(1);
    expect(c.out()).toContain(`user store:  ${authFile}: DAMAGED`);
    expect(c.out()).toMatch(/PROBLEM: user store .* is not a SQLite database/);
  });

  it('says when the event log is empty in a folder whose auth.db records that it held events', async () => {
    const dir = tempDir();
    const auth = new AuthStore(path.join(dir, 'auth.db'));
    await auth.createUser({ username: 'admin', password: 'admin-password-1', role: 'admin' }, T0);
    auth.markLogHeldEvents(T0);
    auth.markLogHeldEvents(T0 + 1_000); // the first time wins
    expect(auth.logHeldEventsAtMs()).toBe(T0);
    auth.close();
    // At start: the folder is looked at before opening creates the log.
    const before = folderBeforeStart(dir);
    const log = openSqliteLog({ file: path.join(dir, 'floorwatch.db') });
    const auth2 = new AuthStore(path.join(dir, 'auth.db'));
    const warnings = emptyLogWarnings(dir, before, { events: await log.count(), users: auth2.countUsers(), logHeldEventsAtMs: auth2.logHeldEventsAtMs() });
    auth2.close();
    await log.close();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/floorwatch\.db is new, but .*auth\.db \(1 user\(s\)\) records that it held events \(first seen .*\): this folder had data/);
    // An empty log beside that record is a problem for the doctor too.
    const c = capture();
    expect(await runDoctor(['--data', dir], c.io)).toBe(1);
    expect(c.out()).toMatch(/PROBLEM: event log .* holds no events, yet .*auth\.db records that it held events/);
    // A fresh folder is no problem.
    expect(emptyLogWarnings(tempDir(), { logExisted: false, walExisted: false, authExisted: false }, { events: 0, users: 1, logHeldEventsAtMs: undefined })).toEqual([]);
  });

  it('does not call a fresh install with its first admin and no events yet a lost log', async () => {
    const dir = tempDir();
    const auth = new AuthStore(path.join(dir, 'auth.db'));
    await auth.createUser({ username: 'admin', password: 'admin-password-1', role: 'admin', mustChange: true }, T0);
    auth.close();
    const before = folderBeforeStart(dir);
    const log = openSqliteLog({ file: path.join(dir, 'floorwatch.db') });
    const auth2 = new AuthStore(path.join(dir, 'auth.db'));
    expect(auth2.logHeldEventsAtMs()).toBeUndefined();
    expect(emptyLogWarnings(dir, before, { events: await log.count(), users: auth2.countUsers(), logHeldEventsAtMs: auth2.logHeldEventsAtMs() })).toEqual([]);
    auth2.close();
    await log.close();
    const c = capture();
    expect(await runDoctor(['--data', dir], c.io)).toBe(0);
    expect(c.out()).toMatch(/note: event log .* holds no events yet \(a new floor/);
    // Its log file missing altogether is no problem either.
    fs.rmSync(path.join(dir, 'floorwatch.db'));
    fs.rmSync(path.join(dir, 'floorwatch.db-wal'), { force: true });
    const d = capture();
    expect(await runDoctor(['--data', dir], d.io)).toBe(0);
  });

  it('names an event log that is not a database', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'floorwatch.db'), 'garbage '.repeat(1_000));
    const c = capture();
    expect(await runDoctor(['--data', dir], c.io)).toBe(1);
    expect(c.out()).toMatch(/PROBLEM: event log .*floorwatch\.db is not a SQLite database.*move it aside/);
  });
});
