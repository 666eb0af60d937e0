/**
 * `npm start` as a newcomer runs it: a child process with no configuration but
 * a free port and a fresh data folder. It must serve /healthz quickly and show
 * the simulator's floor in a /live snapshot.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { io as ioClient } from 'socket.io-client';
import type { FloorPayload, Snapshot } from '../../shared/wire.ts';

let child: ChildProcess | undefined;
afterEach(() => {
  child?.kill('SIGTERM');
  child = undefined;
});

function startMain(args: string[]): Promise<{ url: string; output: () => string }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'floorwatch-start-'));
  let out = '';
  child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts', '--port', '0', '--demo', 'on', '--data', dataDir, ...args], {
    cwd: path.resolve(__dirname, '../..'),
    env: { ...process.env, FLOORWATCH_INGEST_TOKENS: '', FLOORWATCH_VIEW_TOKENS: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    const onData = (b: Buffer) => {
      out += b.toString();
      const m = /live at (http:\/\/[^\s/]+)\/floor/.exec(out);
      if (m) resolve({ url: m[1], output: () => out });
    };
    child!.stdout!.on('data', onData);
    child!.stderr!.on('data', onData);
    child!.once('exit', (code) => reject(new Error(`server exited with ${code}: ${out}`)));
    setTimeout(() => reject(new Error(`no URL printed within 30 s: ${out}`)), 30_000);
  });
}

it('serves /healthz within 30 s of start and shows the simulated floor in a /live snapshot', async () => {
  const t0 = Date.now();
  const { url, output } = await startMain(['--speed', '10']);
  const health = await fetch(`${url}/healthz`);
  const startupMs = Date.now() - t0;
  expect(health.status).toBe(200);
  expect(startupMs).toBeLessThan(30_000);
  expect(output()).toMatch(/DEMO MODE/);
  expect(output()).toMatch(/ingest token \(generated/);

  // Let the simulator run a few (simulated) minutes, then take a snapshot as a supervisor would.
  await new Promise((r) => setTimeout(r, 3_000));
  const socket = ioClient(`${url}/live`, { auth: { scope: 'floor' }, transports: ['websocket'], forceNew: true });
  try {
    const snap = await new Promise<Snapshot<FloorPayload>>((resolve, reject) => {
      socket.once('live:snapshot', (s) => resolve(s as Snapshot<FloorPayload>));
      socket.once('connect_error', reject);
    });
    expect(snap.payload.agents.length).toBe(40);
    expect(snap.payload.queues.length).toBeGreaterThanOrEqual(3);
    expect(snap.payload.totals.offered).toBeGreaterThan(0);
    expect(snap.payload.agents.some((a) => a.activity === 'talking' || a.activity === 'ringing')).toBe(true);
  } finally {
    socket.close();
  }
}, 60_000);
