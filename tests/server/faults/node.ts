/**
 * A server like the harness's, but on a chosen port, so a test can stop it
 * and start another on the same port and database: clients that reconnect
 * find the "restarted" server where they left it.
 */
import { createServer } from '../../../server/app.ts';
import { openSqliteLog } from '../../../server/log/sqlite.ts';
import { AuthStore } from '../../../server/auth/store.ts';
import { FakeClock, INGEST_TOKEN, VIEW_TOKEN, WALL_TOKEN, type Harness } from '../harness.ts';

export async function startNodeAt(dbFile: string, port: number, clock: FakeClock): Promise<Harness> {
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
    logger: { info: () => {}, warn: () => {}, error: (m: unknown) => console.error(m) },
  });
  const bound = await server.listen(port, '127.0.0.1');
  return {
    server,
    auth,
    log,
    clock,
    port: bound,
    url: `http://127.0.0.1:${bound}`,
    dbFile,
    async close() {
      await server.close();
      await log.close();
      auth.close();
    },
  };
}
