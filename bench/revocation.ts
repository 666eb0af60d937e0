/**
 * What ending access costs (server/auth/revocation.ts), in one process on a
 * throw-away auth.db: `npx tsx bench/revocation.ts [SESSIONS]` (default 5,000).
 * Not part of `npm run bench`: three small figures, printed.
 *
 * - The per-command re-check of a socket's credential, µs: a session (two
 *   indexed SQLite reads and a hash) and an issued token (a hash and a Map).
 * - One sweep of every open socket with SESSIONS distinct sessions: total time
 *   and the longest the event loop was held (the sweep yields every
 *   `SWEEP_CHUNK` credentials).
 * - Revoking one user with SESSIONS sockets open (the registry's own work,
 *   sockets faked: no network).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AuthStore } from '../server/auth/store.ts';
import { recheckCredential, resolveCredential, type Credentials, type PrincipalOptions } from '../server/auth/principal.ts';
import { RevocationRegistry, type RevocableSocket } from '../server/auth/revocation.ts';

const sessions = Number(process.argv[2] ?? 5_000);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floorwatch-bench-revoke-'));
const auth = new AuthStore(path.join(dir, 'auth.db'));
const nowMs = Date.now();
const o: PrincipalOptions = { auth, apiTokens: ['static-a'], wallboardTokens: ['static-b'], ingestTokens: ['static-c'], demo: false, sessionIdleMs: 8 * 3_600_000, now: () => Date.now() };

const user = await auth.createUser({ username: 'bench-sup', password: 'correct horse battery', role: 'supervisor' }, nowMs);
const token = auth.createToken('wallboard', 'tv', 'bench', nowMs).token;

for (const [name, creds] of [
  ['session', { cookie: `fw_session=${auth.createSession(user.id, nowMs)}` }],
  ['issued token', { kiosk: token }],
] as [string, Credentials][]) {
  const was = resolveCredential(creds, o);
  if (!was) throw new Error(`${name}: did not resolve`);
  const runs = 100_000;
  for (let i = 0; i < 2_000; i++) recheckCredential(creds, was, o);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < runs; i++) if (recheckCredential(creds, was, o)) throw new Error(`${name}: revoked?`);
  console.log(`re-check per command, ${name}: ${(Number(process.hrtime.bigint() - t0) / 1e3 / runs).toFixed(2)} µs`);
}

const registry = new RevocationRegistry({ sweepMs: 0, beforeSweep: () => auth.refreshTokens() });
let connect: (s: RevocableSocket) => void = () => {};
registry.watch({ on: (_event, fn) => void (connect = fn) });
for (let i = 0; i < sessions; i++) {
  const creds = { cookie: `fw_session=${auth.createSession(user.id, nowMs)}` };
  const was = resolveCredential(creds, o);
  if (!was) throw new Error('session did not resolve');
  const socket: RevocableSocket = { id: String(i), connected: true, conn: { close: () => undefined }, use: () => undefined, on: () => undefined, emit: () => undefined, disconnect: () => undefined };
  registry.admit(socket, was.keys, (touch) => recheckCredential(creds, was, { ...o, touch }));
  connect(socket);
}
await registry.sweep(); // warm
let longestMs = 0;
let last = performance.now();
let ticking = true;
const tickLoop = () => {
  const t = performance.now();
  longestMs = Math.max(longestMs, t - last);
  last = t;
  if (ticking) setImmediate(tickLoop);
};
setImmediate(tickLoop);
const t0 = performance.now();
await registry.sweep();
const sweepMs = performance.now() - t0;
ticking = false;
console.log(`sweep of ${registry.stats.tracked} sockets on ${sessions} sessions: ${sweepMs.toFixed(1)} ms, event loop held at most ${longestMs.toFixed(1)} ms at a time`);
const t1 = performance.now();
const cut = registry.revoke(`user:${user.id}`, 'user-deleted');
console.log(`revoking one user with ${cut} open sockets: ${(performance.now() - t1).toFixed(1)} ms`);
registry.close();
auth.close();
fs.rmSync(dir, { recursive: true, force: true });
process.exit(0);
