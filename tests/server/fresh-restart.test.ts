/**
 * The "lost data" alarm at start and in `floorwatch doctor` rests on auth.db's record that the
 * event log once held events, not on its users: a fresh install restarted before its first event
 * (only the first-start "admin" in auth.db) starts quietly and the doctor says ok, while a used
 * folder whose floorwatch.db was replaced by an empty one still warns and is a PROBLEM.
 * A first start that cannot bind its port makes no secrets, so the next start still prints the
 * admin's one-time password and the ingest token.
 * Real processes (server/main.ts), temp folders, loopback only.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runDoctor } from '../../server/doctor.ts';
import { AuthStore } from '../../server/auth/store.ts';
import { startChild, stopChild, type ChildServer } from './faults/child.ts';

const children: ChildServer[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) await stopChild(c, 'SIGKILL');
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const TOKEN = 'fresh-restart-ingest-token-123456';

async function start(dataDir: string): Promise<ChildServer> {
  const c = await startChild(['--simulator', 'off', '--demo', 'off', '--port', '0', '--host', '127.0.0.1', '--data', dataDir, '--log-format', 'json'], { FLOORWATCH_INGEST_TOKENS: TOKEN });
  children.push(c);
  return c;
}

async function doctor(dataDir: string): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await runDoctor(['--data', dataDir], { stdout: (t) => void (out += t), stderr: (t) => void (out += t) });
  return { code, out };
}

describe('an empty event log at start', () => {
  it('is no alarm on a fresh install restarted before any event arrived', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'floorwatch-fresh-'));
    dirs.push(dataDir);
    const first = await start(dataDir);
    expect(first.output()).toMatch(/first start: created user \\?"admin\\?"/);
    await stopChild(first);
    const second = await start(dataDir);
    await stopChild(second);
    expect(second.output()).not.toMatch(/WARNING|this folder had data/);
    const d = await doctor(dataDir);
    expect(d.out).not.toMatch(/PROBLEM/);
    expect(d.code).toBe(0);
  }, 60_000);

  it('still warns, and the doctor reports a PROBLEM, when a used folder\'s log is replaced by an empty one', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'floorwatch-used-'));
    dirs.push(dataDir);
    const first = await start(dataDir);
    const res = await fetch(`${first.url}/api/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify([{ type: 'agent.state', id: 'e1', at: Date.now(), agentId: '1001', state: 'available', name: 'Ann' }]),
    });
    expect(res.status, await res.text()).toBeLessThan(300);
    await stopChild(first);
    // The mark was set by the append (the log held an event), before any restart replayed it.
    const auth = new AuthStore(path.join(dataDir, 'auth.db'));
    expect(auth.logHeldEventsAtMs()).toBeTypeOf('number');
    auth.close();

    // The log file swapped for an empty one (another folder's fresh log).
    const emptyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'floorwatch-empty-'));
    dirs.push(emptyDir);
    await stopChild(await start(emptyDir));
    for (const f of ['floorwatch.db-wal', 'floorwatch.db-shm']) fs.rmSync(path.join(dataDir, f), { force: true });
    fs.copyFileSync(path.join(emptyDir, 'floorwatch.db'), path.join(dataDir, 'floorwatch.db'));

    const second = await start(dataDir);
    await stopChild(second);
    expect(second.output()).toMatch(/WARNING: event log .*floorwatch\.db is empty, but .*auth\.db .*records that it held events .*this folder had data/);
    const d = await doctor(dataDir);
    expect(d.out).toMatch(/PROBLEM: event log .* holds no events, yet .*auth\.db records that it held events/);
    expect(d.code).toBe(1);
  }, 90_000);
});

describe('a first start whose port is taken', () => {
  it('fails before making the admin and the ingest token, so the next start shows both', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'floorwatch-busy-'));
    dirs.push(dataDir);
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const busyPort = (blocker.address() as net.AddressInfo).port;
    try {
      const proc = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts', '--simulator', 'off', '--port', String(busyPort), '--host', '127.0.0.1', '--data', dataDir], {
        cwd: path.resolve(__dirname, '../..'),
        env: { ...process.env, FLOORWATCH_INGEST_TOKENS: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      proc.stdout.on('data', (b: Buffer) => void (out += b.toString()));
      proc.stderr.on('data', (b: Buffer) => void (out += b.toString()));
      const code = await new Promise<number | null>((resolve) => proc.once('exit', (c) => resolve(c)));
      expect(code, out).toBe(1);
      expect(out).toMatch(/EADDRINUSE|in use/);
      expect(out).not.toMatch(/one-time password|ingest token/);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
    const auth = new AuthStore(path.join(dataDir, 'auth.db'));
    expect([auth.countUsers(), auth.listTokens().length]).toEqual([0, 0]);
    auth.close();

    const next = await startChild(['--simulator', 'off', '--port', '0', '--host', '127.0.0.1', '--data', dataDir], { FLOORWATCH_INGEST_TOKENS: '' });
    children.push(next);
    expect(next.output()).toMatch(/first start: created user \\?"admin\\?" with the one-time password \S+/);
    expect(next.output()).toMatch(/ingest token \(generated at first start .*shown only now\): \S+/);
  }, 60_000);
});
