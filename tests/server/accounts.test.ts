/**
 * Accounts (issue 14, "Words, units, accounts"): changing one's own password,
 * an admin's reset to a one-time password, the first admin's forced change,
 * `floorwatch user reset-password` on a data folder, and the ingest token a
 * start makes kept across restarts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { io as ioClient } from 'socket.io-client';
import { closeHarnessesAfterEach, type Harness, type LiveClient } from './harness.ts';
import { AuthStore, hashPassword } from '../../server/auth/store.ts';
import type { RevokedNotice } from '../../shared/wire.ts';

const ROOT = path.resolve(__dirname, '../..');
const servers = closeHarnessesAfterEach();
const sockets: LiveClient[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.close();
});

type Body = { ok: boolean; data?: Record<string, unknown>; error?: string };

async function login(h: { url: string }, username: string, password: string): Promise<{ status: number; cookie: string; body: Body }> {
  const res = await fetch(`${h.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  return { status: res.status, cookie: (res.headers.get('set-cookie') ?? '').split(';')[0], body: (await res.json()) as Body };
}

async function call(h: { url: string }, method: string, p: string, cookie: string | null, body?: unknown): Promise<{ status: number; body: Body }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (cookie) headers.cookie = cookie;
  const res = await fetch(`${h.url}${p}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Body };
}

/** A /live floor socket on a session cookie; resolves once it has its snapshot, and records a revocation notice. */
async function floorSocket(h: Harness, cookie: string): Promise<{ socket: LiveClient; revoked: () => RevokedNotice | undefined; disconnected: () => boolean }> {
  const socket: LiveClient = ioClient(`${h.url}/live`, { auth: { scope: 'floor' }, transports: ['websocket'], reconnection: false, forceNew: true, extraHeaders: { cookie } });
  sockets.push(socket);
  let notice: RevokedNotice | undefined;
  let gone = false;
  socket.on('auth:revoked', (n) => (notice = n));
  socket.on('disconnect', () => (gone = true));
  await new Promise<void>((resolve, reject) => {
    socket.once('live:snapshot', () => resolve());
    socket.once('connect_error', reject);
  });
  return { socket, revoked: () => notice, disconnected: () => gone };
}

async function until(cond: () => boolean, ms = 3_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function withUsers(): Promise<Harness> {
  const h = await servers.start();
  const now = h.clock.now();
  await h.auth.createUser({ username: 'boss', password: 'admin-password-1', role: 'admin' }, now);
  await h.auth.createUser({ username: 'sue', password: 'supervisor-pass-1', role: 'supervisor' }, now);
  return h;
}

describe('changing one’s own password', () => {
  it('refuses a wrong current password with 403 and a weak new one with 400, changing nothing', async () => {
    const h = await withUsers();
    const { cookie } = await login(h, 'sue', 'supervisor-pass-1');
    const wrong = await call(h, 'POST', '/api/me/password', cookie, { current: 'not-my-password', next: 'a-new-password-9' });
    expect(wrong.status).toBe(403);
    expect(wrong.body.error).toMatch(/current password is not right/);
    const short = await call(h, 'POST', '/api/me/password', cookie, { current: 'supervisor-pass-1', next: 'short' });
    expect(short.status).toBe(400);
    expect(short.body.error).toMatch(/at least 10 characters/);
    const same = await call(h, 'POST', '/api/me/password', cookie, { current: 'supervisor-pass-1', next: 'supervisor-pass-1' });
    expect(same.status).toBe(400);
    expect(same.body.error).toMatch(/must differ/);
    expect((await login(h, 'sue', 'supervisor-pass-1')).status).toBe(200);
  });

  it('refuses a password equal to the user name, whatever its case', async () => {
    const h = await servers.start();
    await expect(h.auth.createUser({ username: 'longusername', password: 'LongUserName', role: 'supervisor' }, h.clock.now())).rejects.toThrow(/must not be the user name/);
  });

  it('changes it: the old one fails, the new one works, other sessions and their sockets end, this one stays', async () => {
    const h = await withUsers();
    const mine = await login(h, 'sue', 'supervisor-pass-1');
    const other = await login(h, 'sue', 'supervisor-pass-1');
    const otherSocket = await floorSocket(h, other.cookie);
    const mySocket = await floorSocket(h, mine.cookie);

    const r = await call(h, 'POST', '/api/me/password', mine.cookie, { current: 'supervisor-pass-1', next: 'a-new-password-9' });
    expect(r.status).toBe(200);
    expect(r.body.data).toMatchObject({ username: 'sue', mustChange: false });

    await until(() => otherSocket.disconnected(), 3_000, 'the other session’s socket to be cut');
    expect(otherSocket.revoked()?.reason).toBe('session-ended');
    expect((await call(h, 'GET', '/api/snapshot?scope=floor', other.cookie)).status).toBe(401);
    // The session that changed it carries on, socket and all.
    expect((await call(h, 'GET', '/api/snapshot?scope=floor', mine.cookie)).status).toBe(200);
    expect(mySocket.disconnected()).toBe(false);

    expect((await login(h, 'sue', 'supervisor-pass-1')).status).toBe(401);
    expect((await login(h, 'sue', 'a-new-password-9')).status).toBe(200);
    const audit = await call(h, 'GET', '/api/admin/audit', (await login(h, 'boss', 'admin-password-1')).cookie);
    const entries = audit.body.data as unknown as { action: string; actor: string; after: unknown }[];
    const change = entries.find((e) => e.action === 'user.password-change');
    expect(change?.actor).toBe('sue');
    expect(JSON.stringify(change)).not.toContain('a-new-password-9');
  });

  it('counts wrong current passwords per account: the 6th within 15 min answers 429, from any session; weak new ones cost nothing', async () => {
    const h = await withUsers();
    const a = await login(h, 'sue', 'supervisor-pass-1');
    const b = await login(h, 'sue', 'supervisor-pass-1');
    // Weak new passwords (400) are mistakes, not guesses: not counted.
    for (let i = 0; i < 6; i++) expect((await call(h, 'POST', '/api/me/password', a.cookie, { current: 'supervisor-pass-1', next: 'short' })).status).toBe(400);
    for (let i = 0; i < 5; i++) expect((await call(h, 'POST', '/api/me/password', i % 2 ? a.cookie : b.cookie, { current: `guess-${i}`, next: 'a-new-password-9' })).status).toBe(403);
    const blocked = await call(h, 'POST', '/api/me/password', b.cookie, { current: 'supervisor-pass-1', next: 'a-new-password-9' });
    expect(blocked.status).toBe(429);
    expect(blocked.body.error).toMatch(/too many wrong current passwords/);
    // Another account is not slowed; after the block (1 min) the right password works.
    const boss = await login(h, 'boss', 'admin-password-1');
    expect((await call(h, 'POST', '/api/me/password', boss.cookie, { current: 'wrong-one', next: 'a-new-password-9' })).status).toBe(403);
    h.clock.advance(61_000);
    expect((await call(h, 'POST', '/api/me/password', a.cookie, { current: 'supervisor-pass-1', next: 'a-new-password-9' })).status).toBe(200);
  });

  it('is for signed-in users only', async () => {
    const h = await withUsers();
    expect((await call(h, 'POST', '/api/me/password', null, { current: 'x', next: 'y' })).status).toBe(401);
  });
});

describe('an admin resets a password', () => {
  it('gives a one-time password; until it is changed every API but the change answers 403, then all works', async () => {
    const h = await withUsers();
    const admin = await login(h, 'boss', 'admin-password-1');
    const sue = await login(h, 'sue', 'supervisor-pass-1');
    const sueSocket = await floorSocket(h, sue.cookie);
    const users = (await call(h, 'GET', '/api/admin/users', admin.cookie)).body.data as unknown as { id: number; username: string }[];
    const sueId = users.find((u) => u.username === 'sue')!.id;

    const reset = await call(h, 'POST', `/api/admin/users/${sueId}/reset-password`, admin.cookie);
    expect(reset.status).toBe(200);
    const temp = reset.body.data!.password as string;
    expect(temp.length).toBeGreaterThanOrEqual(10);
    expect(reset.body.data).toMatchObject({ username: 'sue', mustChange: true });
    // Her sessions end at once, open sockets too.
    await until(() => sueSocket.disconnected(), 3_000, 'sue’s socket to be cut');
    expect((await call(h, 'GET', '/api/snapshot?scope=floor', sue.cookie)).status).toBe(401);
    expect((await login(h, 'sue', 'supervisor-pass-1')).status).toBe(401);

    const again = await login(h, 'sue', temp);
    expect(again.status).toBe(200);
    expect(again.body.data).toMatchObject({ mustChange: true });
    expect((await call(h, 'GET', '/api/me', again.cookie)).body.data).toMatchObject({ username: 'sue', mustChange: true });
    const refused = await call(h, 'GET', '/api/snapshot?scope=floor', again.cookie);
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatch(/set a new password first/);
    expect((await call(h, 'GET', '/api/settings', again.cookie)).status).toBe(403);
    await expect(floorSocket(h, again.cookie)).rejects.toThrow(/set a new password first/);

    expect((await call(h, 'POST', '/api/me/password', again.cookie, { current: temp, next: 'sues-own-password' })).status).toBe(200);
    expect((await call(h, 'GET', '/api/snapshot?scope=floor', again.cookie)).status).toBe(200);
    await floorSocket(h, again.cookie);
    expect((await call(h, 'GET', '/api/me', again.cookie)).body.data).toMatchObject({ mustChange: false });

    const audit = (await call(h, 'GET', '/api/admin/audit', admin.cookie)).body.data as unknown as { action: string; actor: string }[];
    const entry = audit.find((e) => e.action === 'user.password-reset');
    expect(entry?.actor).toBe('boss');
    expect(JSON.stringify(audit)).not.toContain(temp);
  });

  it('is for admins only, and not for one’s own account', async () => {
    const h = await withUsers();
    const sue = await login(h, 'sue', 'supervisor-pass-1');
    const admin = await login(h, 'boss', 'admin-password-1');
    const users = (await call(h, 'GET', '/api/admin/users', admin.cookie)).body.data as unknown as { id: number; username: string }[];
    const bossId = users.find((u) => u.username === 'boss')!.id;
    expect((await call(h, 'POST', `/api/admin/users/${bossId}/reset-password`, sue.cookie)).status).toBe(403);
    expect((await call(h, 'POST', `/api/admin/users/${bossId}/reset-password`, admin.cookie)).status).toBe(400);
    expect((await call(h, 'POST', '/api/admin/users/9999/reset-password', admin.cookie)).status).toBe(404);
  });
});

describe('an admin creates a user', () => {
  it('makes the password the admin chose one-time: the new user must set their own before anything else', async () => {
    const h = await withUsers();
    const admin = await login(h, 'boss', 'admin-password-1');
    const created = await call(h, 'POST', '/api/admin/users', admin.cookie, { username: 'nia', password: 'chosen-by-admin-1', role: 'supervisor' });
    expect(created.status).toBe(201);
    expect(created.body.data).toMatchObject({ username: 'nia', mustChange: true });
    const users = (await call(h, 'GET', '/api/admin/users', admin.cookie)).body.data as unknown as { username: string; mustChange: boolean }[];
    expect(users.find((u) => u.username === 'nia')?.mustChange).toBe(true);

    const nia = await login(h, 'nia', 'chosen-by-admin-1');
    expect(nia.status).toBe(200);
    expect(nia.body.data).toMatchObject({ mustChange: true });
    expect((await call(h, 'GET', '/api/snapshot?scope=floor', nia.cookie)).status).toBe(403);
    expect((await call(h, 'POST', '/api/me/password', nia.cookie, { current: 'chosen-by-admin-1', next: 'nias-own-password' })).status).toBe(200);
    expect((await call(h, 'GET', '/api/snapshot?scope=floor', nia.cookie)).status).toBe(200);
    // The admin's choice no longer opens the account.
    expect((await login(h, 'nia', 'chosen-by-admin-1')).status).toBe(401);
  });
});

describe('the user store’s schema', () => {
  it('adds the must-change column to an auth.db made before it, keeping its users able to sign in', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floorwatch-acct-'));
    const file = path.join(dir, 'auth.db');
    const old = new Database(file);
    old.exec(`CREATE TABLE users (id INTEGER PRIMARY KEY, username TEXT NOT NULL UNIQUE COLLATE NOCASE, role TEXT NOT NULL,
      agent_id TEXT, pw_hash TEXT NOT NULL, created_ms INTEGER NOT NULL);`);
    old.prepare('INSERT INTO users (username, role, agent_id, pw_hash, created_ms) VALUES (?, ?, ?, ?, ?)').run('old-admin', 'admin', null, await hashPassword('old-password-1'), 1);
    old.close();
    const auth = new AuthStore(file);
    try {
      const u = await auth.checkPassword('old-admin', 'old-password-1');
      expect(u).toMatchObject({ username: 'old-admin', mustChange: false });
    } finally {
      auth.close();
    }
  });
});

// ---------------------------------------------------------------- the real start and the CLI

let child: ChildProcess | undefined;
afterEach(async () => {
  if (child && child.exitCode === null) {
    const c = child;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill('SIGTERM');
    });
  }
  child = undefined;
});

/** `server/main.ts` on a data folder, no simulator, no demo mode; resolves with its URL and what it printed. */
function startMain(dataDir: string): Promise<{ url: string; output: () => string; stop: () => Promise<void> }> {
  let out = '';
  const c = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts', '--port', '0', '--host', '127.0.0.1', '--simulator', 'off', '--demo', 'off', '--data', dataDir], {
    cwd: ROOT,
    env: { ...process.env, FLOORWATCH_INGEST_TOKENS: '', FLOORWATCH_API_TOKENS: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = c;
  const stop = () =>
    new Promise<void>((resolve) => {
      if (c.exitCode !== null) return resolve();
      c.once('exit', () => resolve());
      c.kill('SIGTERM');
    });
  return new Promise((resolve, reject) => {
    const onData = (b: Buffer) => {
      out += b.toString();
      const m = /live at (http:\/\/[^\s/]+)\/floor/.exec(out);
      if (m) resolve({ url: m[1], output: () => out, stop });
    };
    c.stdout!.on('data', onData);
    c.stderr!.on('data', onData);
    c.once('exit', (code) => reject(new Error(`server exited with ${code}: ${out}`)));
    setTimeout(() => reject(new Error(`no URL printed within 30 s: ${out}`)), 30_000);
  });
}

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, ['bin/floorwatch.mjs', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    c.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    c.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

let seq = 0;
/** A call entering a queue now, as a producer would send it to a real server. */
const event = (at: number) => ({ type: 'call.queued', id: `acct-${process.pid}-${++seq}`, at, callId: `acct-call-${seq}`, queueId: 'sales' });

describe('a real start', () => {
  it('makes the first admin change the one-time password, and keeps the ingest token across a restart without printing it again', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'floorwatch-acct-'));
    const first = await startMain(dataDir);
    const password = /one-time password (\S+)/.exec(first.output())?.[1];
    const token = /ingest token \(generated[^)]*\): ([^\s"]+)/.exec(first.output())?.[1];
    expect(password).toBeTruthy();
    expect(token).toBeTruthy();

    const admin = await login(first, 'admin', password!);
    expect(admin.body.data).toMatchObject({ role: 'admin', mustChange: true });
    expect((await call(first, 'GET', '/api/admin/users', admin.cookie)).status).toBe(403);
    expect((await call(first, 'POST', '/api/me/password', admin.cookie, { current: password, next: 'the-admins-own-1' })).status).toBe(200);
    expect((await call(first, 'GET', '/api/admin/users', admin.cookie)).status).toBe(200);

    const post = (url: string) => fetch(`${url}/api/events`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify([event(Date.now())]) });
    expect((await post(first.url)).status).toBeLessThan(300);
    await first.stop();

    const second = await startMain(dataDir);
    expect(second.output()).not.toContain(token!);
    expect(second.output()).not.toMatch(/one-time password/);
    expect(second.output()).toMatch(/ingest tokens: 1 kept in .*auth\.db.*Users page/);
    expect((await post(second.url)).status).toBeLessThan(300);
    expect((await login(second, 'admin', 'the-admins-own-1')).body.data).toMatchObject({ mustChange: false });
    await second.stop();
  }, 90_000);

  it('`floorwatch user reset-password` gives a locked-out admin a one-time password; exit codes 0, 1 and 2', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'floorwatch-acct-'));
    const auth = new AuthStore(path.join(dataDir, 'auth.db'));
    await auth.createUser({ username: 'admin', password: 'forgotten-pass-1', role: 'admin' }, Date.now());
    auth.close();

    const ok = await cli(['user', 'reset-password', 'admin', '--data', dataDir]);
    expect(ok.code).toBe(0);
    const temp = /one-time password (\S+)/.exec(ok.stdout)?.[1];
    expect(temp).toBeTruthy();

    const after = new AuthStore(path.join(dataDir, 'auth.db'));
    try {
      expect(await after.checkPassword('admin', 'forgotten-pass-1')).toBeNull();
      expect(await after.checkPassword('admin', temp!)).toMatchObject({ username: 'admin', mustChange: true });
    } finally {
      after.close();
    }

    const unknown = await cli(['user', 'reset-password', 'nobody', '--data', dataDir]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no user "nobody".*users: admin/);
    const noStore = await cli(['user', 'reset-password', 'admin', '--data', path.join(dataDir, 'elsewhere')]);
    expect(noStore.code).toBe(1);
    expect(noStore.stderr).toMatch(/no user store at/);
    expect(fs.existsSync(path.join(dataDir, 'elsewhere', 'auth.db'))).toBe(false);
    const usage = await cli(['user', 'reset-password', '--data', dataDir]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/needs the user name/);
    expect((await cli(['user', 'rename', 'admin'])).code).toBe(2);
  }, 60_000);
});
