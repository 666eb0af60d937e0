#!/usr/bin/env node
/**
 * `npm run build`: the client with Vite into dist/client, then the server (and the shared/ code it
 * runs) with tsc into dist/server and dist/shared (tsconfig.server.json), which `npm run serve`, the
 * `floorwatch` command and the systemd unit run with plain node. The server's output folders are
 * emptied first, so a source file deleted since the last build leaves nothing behind.
 *
 * `--prepare` (npm's `prepare`, after `npm ci` or `npm install`): builds the same when the
 * development dependencies are installed (a checkout; a git dependency), and keeps the build that is
 * there when they are not (`npm ci --omit=dev` on a built tree): that install has no Vite or tsc, and
 * needs none.
 */
import { existsSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const prepare = process.argv.includes('--prepare');

/** The path of a development tool's command, or undefined when it is not installed. */
function tool(pkg, bin) {
  try {
    return path.join(path.dirname(require.resolve(`${pkg}/package.json`)), bin);
  } catch {
    return undefined;
  }
}

function run(what, script, args) {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [script, ...args], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`build: ${what} failed`);
    process.exit(r.status ?? 1);
  }
  console.info(`build: ${what} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

const vite = tool('vite', 'bin/vite.js');
const tsc = tool('typescript', 'bin/tsc');
if (!vite || !tsc) {
  const built = ['dist/client/index.html', 'dist/server/main.js'].every((f) => existsSync(path.join(root, f)));
  if (prepare && built) {
    console.info('prepare: no build tools installed (--omit=dev): running the build in dist/ as it is');
    process.exit(0);
  }
  console.error(`build: ${!vite ? 'vite' : 'typescript'} is not installed: install the development dependencies (npm ci) to build${prepare ? ', or install from a built tree (dist/ with dist/client and dist/server)' : ''}`);
  process.exit(1);
}
run('client (vite)', vite, ['build', '--logLevel', 'warn']);
for (const dir of ['dist/server', 'dist/shared']) rmSync(path.join(root, dir), { recursive: true, force: true });
// Emit only: `npm run typecheck` checks the same sources (CI runs it), and a check here would double
// the build's time (about 12 s of CPU against 5) for every `npm ci`.
run('server (tsc)', tsc, ['-p', 'tsconfig.server.json', '--noCheck']);
