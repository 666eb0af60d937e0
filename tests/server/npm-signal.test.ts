/**
 * `npm run serve` / `npm start` under a supervisor that signals npm: npm 11 exits 143 at once on
 * SIGTERM and only its direct child gets the signal, so a script `node …` run through `sh -c`
 * left the server reparented and listening. The scripts `exec` the server in place of the shell:
 * the SIGTERM reaches it, it stops gracefully, and npm exits with its code.
 * The project's own script text is run (dist/ swapped for the `floorwatch serve` command, which
 * runs the sources), from a temp package, on a temp data folder and a free port.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';

const root = path.resolve(__dirname, '../..');
const scripts = (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
const dirs: string[] = [];
/** The server's pid (from its JSON log lines), stopped after a failing test so no orphan outlives it. */
let serverPid: number | undefined;
afterEach(() => {
  if (serverPid !== undefined) {
    try {
      process.kill(serverPid, 'SIGKILL');
    } catch {
      // Already gone: the expected case.
    }
    serverPid = undefined;
  }
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

it('npm start and npm run serve hand the shell over to the server (exec)', () => {
  expect(scripts.serve).toMatch(/^exec node dist\/server\/main\.js /);
  expect(scripts.start).toMatch(/^exec tsx server\/main\.ts /);
});

it('a SIGTERM to `npm run serve` stops the server gracefully and leaves nothing listening', async () => {
  const pkg = fs.mkdtempSync(path.join(os.tmpdir(), 'floorwatch-npm-'));
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'floorwatch-npm-data-'));
  dirs.push(pkg, dataDir);
  const serve = scripts.serve.replace('node dist/server/main.js', `node ${JSON.stringify(path.join(root, 'bin/floorwatch.mjs'))} serve`);
  fs.writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: 'npm-signal', private: true, scripts: { serve } }));
  const npm = spawn('npm', ['run', '--silent', 'serve', '--', '--data', dataDir, '--port', '0', '--host', '127.0.0.1', '--log-format', 'json'], {
    cwd: pkg,
    env: { ...process.env, FLOORWATCH_INGEST_TOKENS: 'npm-signal-ingest-token-1234567' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  npm.stdout.on('data', (b: Buffer) => void (out += b.toString()));
  npm.stderr.on('data', (b: Buffer) => void (out += b.toString()));
  const exited = new Promise<number | null>((resolve) => npm.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`not live within 30 s:\n${out}`)), 30_000);
    const check = () => {
      const m = /Floorwatch is live at (http:\/\/[^/\s]+)\/floor/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve(m[1]);
      }
    };
    npm.stdout.on('data', check);
    npm.stderr.on('data', check);
  });
  serverPid = Number(/"pid":(\d+)/.exec(out)?.[1]);
  expect(serverPid).toBeGreaterThan(0);
  expect((await fetch(`${url}/healthz`)).status).toBe(200);
  npm.kill('SIGTERM');
  const code = await exited;
  expect(out).toMatch(/SIGTERM: stopping/);
  expect(out).toMatch(/"msg":"stopped"/);
  expect(code, out).toBe(0);
  // Nothing is left listening on the server's port (an orphaned server would still answer).
  await expect(fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) })).rejects.toThrow();
}, 60_000);
