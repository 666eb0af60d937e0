/**
 * The harness's server (tests/server/harness.ts: in-memory users, SQLite log in a temp
 * folder, fake clock, loopback, port 0) with the edge settings the sign-in and
 * cross-site tests turn: trust proxy, allowed origins, secure cookies.
 */
import { afterEach } from 'vitest';
import { createServer, type ServerOptions } from '../../server/app.ts';
import { openSqliteLog } from '../../server/log/sqlite.ts';
import { AuthStore } from '../../server/auth/store.ts';
import { FakeClock, HARNESS_MAX_FUTURE_SEC, INGEST_TOKEN, VIEW_TOKEN, WALL_TOKEN, tempDbFile, type Harness } from './harness.ts';

export type EdgeOptions = Pick<ServerOptions, 'trustProxy' | 'allowedOrigins' | 'secureCookies' | 'demo' | 'staticDir'>;

async function startEdge(opts: EdgeOptions): Promise<Harness> {
  const clock = new FakeClock();
  const dbFile = tempDbFile();
  const log = openSqliteLog({ file: dbFile, synchronous: 'normal' });
  const auth = new AuthStore(':memory:');
  const server = createServer({
    log,
    auth,
    clock,
    ingestTokens: [INGEST_TOKEN],
    viewTokens: [VIEW_TOKEN],
    wallboardTokens: [WALL_TOKEN],
    tickMs: 0,
    maxFutureSec: HARNESS_MAX_FUTURE_SEC,
    logger: { info: () => {}, warn: () => {}, error: (m: unknown) => console.error(m) },
    ...opts,
  });
  const port = await server.listen(0, '127.0.0.1');
  return {
    server,
    auth,
    log,
    clock,
    port,
    url: `http://127.0.0.1:${port}`,
    dbFile,
    followPosts: true,
    async close() {
      await server.close();
      await log.close();
      auth.close();
    },
  };
}

/** Servers started by `start` in a test are closed after it (call at the file's top level). */
export function edgeServers(): { start(opts?: EdgeOptions): Promise<Harness> } {
  let open: Harness[] = [];
  afterEach(async () => {
    for (const h of open) await h.close().catch(() => undefined);
    open = [];
  });
  return {
    async start(opts: EdgeOptions = {}) {
      const h = await startEdge(opts);
      open.push(h);
      return h;
    },
  };
}
