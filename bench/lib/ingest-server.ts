/**
 * A real Floorwatch node in a process of its own, for the ingest and browser
 * benchmarks: `node --import tsx bench/lib/ingest-server.ts '<json options>'`.
 * It opens the SQLite log, builds the server with `createServer`, listens on
 * an ephemeral port, prints `{"port":N}` on stdout and runs until SIGTERM.
 * On SIGUSR2 it prints `{"cpuUs":N}`, the CPU time it has used so far (user +
 * system): a figure the other processes on a shared machine barely disturb.
 */
import { createServer } from '../../server/app.ts';
import { openSqliteLog } from '../../server/log/sqlite.ts';
import { AuthStore } from '../../server/auth/store.ts';

export interface BenchServerOptions {
  file: string;
  sync: 'full' | 'normal';
  ingestToken: string;
  viewToken: string;
  demo?: boolean;
  staticDir?: string;
}

async function main(): Promise<void> {
  const opts = JSON.parse(process.argv[2] ?? '{}') as BenchServerOptions;
  const log = openSqliteLog({ file: opts.file, synchronous: opts.sync });
  const auth = new AuthStore(':memory:');
  const server = createServer({
    log,
    auth,
    ingestTokens: [opts.ingestToken],
    viewTokens: [opts.viewToken],
    demo: opts.demo ?? false,
    staticDir: opts.staticDir,
    logger: { info() {}, warn: (m: string) => process.stderr.write(`server: ${m}\n`), error: (m: string) => process.stderr.write(`server: ${m}\n`) },
  });
  const port = await server.listen(0, '127.0.0.1');
  process.stdout.write(JSON.stringify({ port }) + '\n');
  const stop = () => {
    void server
      .close()
      .then(() => log.close())
      .then(() => {
        auth.close();
        process.exit(0);
      });
  };
  process.on('SIGUSR2', () => {
    const u = process.cpuUsage();
    process.stdout.write(JSON.stringify({ cpuUs: u.user + u.system }) + '\n');
  });
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

void main().catch((err: unknown) => {
  process.stderr.write(`server: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
