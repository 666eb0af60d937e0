/**
 * Runs the real entry point (`server/main.ts`) as a child process, so a test
 * can kill it like a crash would (SIGKILL: no handler runs, nothing is
 * flushed) and start it again on the same data folder.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export interface ChildServer {
  proc: ChildProcess;
  url: string;
  port: number;
  /** Everything the child printed, for a failing test's message. */
  output: () => string;
  /** Resolves when the process has exited. */
  exited: Promise<number | null>;
}

/**
 * Starts `server/main.ts` with `args` and resolves once it prints its URL
 * ("Floorwatch is live at http://host:port/floor").
 */
export function startChild(args: string[], env: Record<string, string>, startTimeoutMs = 20_000): Promise<ChildServer> {
  const proc = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'server', 'main.ts'), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return new Promise<ChildServer>((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`server did not start within ${startTimeoutMs} ms:\n${out}`));
    }, startTimeoutMs);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = /Floorwatch is live at (http:\/\/[^/\s]+)\/floor/.exec(out);
      if (m) {
        clearTimeout(timer);
        const url = m[1].replace('//localhost:', '//127.0.0.1:');
        resolve({ proc, url, port: Number(new URL(url).port), output: () => out, exited });
      }
    };
    proc.stdout?.on('data', onData);
    proc.stderr?.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before it was live:\n${out}`));
    });
  });
}

/** Stops a child: SIGTERM (a clean shutdown), or SIGKILL when asked (a crash). */
export async function stopChild(c: ChildServer, signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
  if (c.proc.exitCode !== null || c.proc.signalCode !== null) return;
  c.proc.kill(signal);
  const t = setTimeout(() => c.proc.kill('SIGKILL'), 5_000);
  await c.exited;
  clearTimeout(t);
}
