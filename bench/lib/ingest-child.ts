/**
 * Starts and stops {@link ./ingest-server.ts} as a child process, so that a
 * benchmark's clients (or a browser) never share an event loop with the
 * server they measure.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchServerOptions } from './ingest-server.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const START_TIMEOUT_MS = 30_000;

export interface ChildServer {
  port: number;
  url: string;
  pid: number;
  /** CPU time the server process has used so far, µs (user + system). */
  cpuUs(): Promise<number>;
  stop(): Promise<void>;
}

export async function startChildServer(opts: BenchServerOptions): Promise<ChildServer> {
  // FLOORWATCH_BENCH_CPU_PROF=DIR writes a V8 CPU profile of the server into DIR when it stops (for finding where time goes).
  const prof = process.env.FLOORWATCH_BENCH_CPU_PROF;
  const flags = prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : [];
  const child: ChildProcess = spawn(process.execPath, [...flags, '--import', 'tsx', path.join(HERE, 'ingest-server.ts'), JSON.stringify(opts)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('bench server did not start within 30 s')), START_TIMEOUT_MS);
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) {
        clearTimeout(timer);
        resolve((JSON.parse(line) as { port: number }).port);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`bench server exited with code ${code} before listening`));
    });
  });
  const pid = child.pid ?? 0;
  const cpuWaiters: ((us: number) => void)[] = [];
  let rest = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    rest += chunk.toString();
    const lines = rest.split('\n');
    rest = lines.pop() ?? '';
    for (const l of lines) {
      if (!l.startsWith('{"cpuUs"')) continue;
      cpuWaiters.shift()?.((JSON.parse(l) as { cpuUs: number }).cpuUs);
    }
  });
  return {
    cpuUs: () =>
      new Promise<number>((resolve) => {
        cpuWaiters.push(resolve);
        child.kill('SIGUSR2');
      }),
    port,
    url: `http://127.0.0.1:${port}`,
    pid,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(kill);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}
