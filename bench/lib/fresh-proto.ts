/**
 * What the freshness and memory benchmarks share: the messages between the
 * bench process and its children (the server under test, the client
 * workers), a latency histogram that crosses process boundaries cheaply,
 * and a set of child processes that is always cleaned up.
 */
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';

/** One clock for every process on this machine: epoch ms with sub-ms resolution. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * Events carry their send time in `reason`, which the floor delta's agent
 * view repeats verbatim: `fw:m:<ms>` inside the measured window, `fw:w:<ms>`
 * during warm-up (not counted).
 */
export const MARK_MEASURED = 'fw:m:';
export const MARK_WARMUP = 'fw:w:';

// ------------------------------------------------------------ server child

export type ServerMode = 'floorwatch' | 'bare';

export interface ServerChildArgs {
  mode: ServerMode;
  /** Data folder for the SQLite log (one node). */
  dataDir: string;
  /** Cluster mode: the Redis URL and a prefix unique to this run. */
  redisUrl?: string;
  redisPrefix?: string;
  ingestToken: string;
  viewToken: string;
}

export type ServerChildMessage = { type: 'ready'; port: number } | { type: 'failed'; error: string };
export type ServerParentMessage = { type: 'stop' };

// ------------------------------------------------------------ client worker

export type WorkerCommand =
  | { type: 'connect'; url: string; token: string; count: number; batch: number }
  | { type: 'reset' }
  | { type: 'report' }
  | { type: 'close' };

export interface WorkerReport {
  type: 'report';
  /** Sparse histogram: [bucket, count] pairs. */
  buckets: [number, number][];
  count: number;
  maxMs: number;
  deltas: number;
  connected: number;
  disconnects: number;
}

export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'connected'; connected: number; failed: number; firstError?: string }
  | { type: 'reset-done' }
  | WorkerReport;

// ------------------------------------------------------------ histogram

/** 0.1 ms buckets up to 60 s; later arrivals land in the last bucket (and in `maxMs`). */
const BUCKET_MS = 0.1;
const BUCKETS = 600_000;

export class LatencyHistogram {
  private counts = new Uint32Array(BUCKETS + 1);
  count = 0;
  maxMs = 0;

  add(ms: number): void {
    const v = ms < 0 ? 0 : ms;
    const i = Math.min(BUCKETS, Math.floor(v / BUCKET_MS));
    this.counts[i]++;
    this.count++;
    if (v > this.maxMs) this.maxMs = v;
  }

  clear(): void {
    this.counts.fill(0);
    this.count = 0;
    this.maxMs = 0;
  }

  sparse(): [number, number][] {
    const out: [number, number][] = [];
    for (let i = 0; i <= BUCKETS; i++) if (this.counts[i] > 0) out.push([i, this.counts[i]]);
    return out;
  }

  merge(buckets: [number, number][], maxMs: number): void {
    for (const [i, n] of buckets) {
      this.counts[i] += n;
      this.count += n;
    }
    if (maxMs > this.maxMs) this.maxMs = maxMs;
  }

  /** The p-th percentile (0–100), nearest rank, at the upper edge of its bucket; NaN when empty. */
  percentile(p: number): number {
    if (this.count === 0) return NaN;
    const rank = Math.min(this.count, Math.max(1, Math.ceil((p / 100) * this.count)));
    let seen = 0;
    for (let i = 0; i <= BUCKETS; i++) {
      seen += this.counts[i];
      if (seen >= rank) return i === BUCKETS ? this.maxMs : Math.min(this.maxMs, (i + 1) * BUCKET_MS);
    }
    return this.maxMs;
  }
}

// ------------------------------------------------------------ children

/** Resident set size of a process in MB (VmRSS), or NaN once it is gone. */
export function rssMb(pid: number, field: 'VmRSS' | 'VmHWM' = 'VmRSS'): number {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** CPU seconds (user + system) a process has used so far, or NaN once it is gone. */
export function cpuSec(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / CLOCK_TICKS_PER_SEC;
  } catch {
    return NaN;
  }
}
/** USER_HZ: 100 on every Linux this runs on. */
const CLOCK_TICKS_PER_SEC = 100;

/**
 * Child processes of one benchmark run. Every child is killed by
 * {@link ChildSet.killAll} (call it in `finally`), and also when this
 * process exits for any other reason.
 */
export class ChildSet {
  private readonly children = new Set<ChildProcess>();
  private readonly onExit = () => {
    for (const c of this.children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  };

  constructor() {
    process.once('exit', this.onExit);
  }

  /** Forks a TypeScript module through tsx, with an IPC channel; stderr is passed through with a prefix. */
  forkTs(module: string, args: string[], opts: { label: string; execArgv?: string[]; env?: NodeJS.ProcessEnv }): ChildProcess {
    const child = fork(module, args, {
      execArgv: ['--import', 'tsx', ...(opts.execArgv ?? [])],
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    child.stderr?.setEncoding('utf8');
    let partial = '';
    child.stderr?.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) process.stderr.write(`  [${opts.label}] ${line}\n`);
    });
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  /** Asks a child to stop (an IPC message), then kills it if it has not exited within `graceMs`. */
  async stop(child: ChildProcess, message: unknown, graceMs = 10_000): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      if (child.connected) child.send(message as object);
      else child.kill('SIGTERM');
    } catch {
      child.kill('SIGTERM');
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }

  killAll(): void {
    this.onExit();
    process.removeListener('exit', this.onExit);
  }
}

/** The next message from a child that satisfies `pick`, or a rejection after `timeoutMs` or when it exits. */
export function nextMessage<M, T>(child: ChildProcess, pick: (m: M) => T | undefined, timeoutMs: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    const onMessage = (m: unknown) => {
      const got = pick(m as M);
      if (got !== undefined) {
        done();
        resolve(got);
      }
    };
    const onExit = (code: number | null, signal: string | null) => {
      done();
      reject(new Error(`${what}: the child exited (${signal ?? `code ${code}`}) first`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`${what}: no answer within ${Math.round(timeoutMs / 1000)} s`));
    }, timeoutMs);
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}
