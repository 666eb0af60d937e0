/**
 * The `floorwatch` command line (installed as the package's bin):
 *
 *   floorwatch serve [--port N] [--data DIR] […]   the server (bin/floorwatch.mjs starts server/main.ts)
 *   floorwatch report --queue-log FILE [--queue-log FILE2 ...] [--json] [--tz ZONE]
 *   floorwatch replay --queue-log FILE [...] --to URL --token T [--speed N] [--tz ZONE]
 *   floorwatch doctor --data DIR [--quarantine] [--json]   (server/doctor.ts)
 *   floorwatch user reset-password NAME --data DIR        (server/user-cli.ts)
 *   floorwatch what-if --data DIR --from D --to D --set PATH=VALUE … [--json]   (server/what-if-cli.ts)
 *
 * Exit codes: 0 done, 1 a file could not be read, is not queue_log in a
 * layout Floorwatch reads, or the server could not be reached (the reason is
 * printed), 2 usage error.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import { formatProblem, QueueLogLayoutError, UnreadableFileError } from './reader.ts';
import { buildReport, formatReport } from './report.ts';
import { ReplayError, replayQueueLog } from './replay.ts';
import { engineLimitsFromEnv } from '../health-limits.ts';
import type { EngineLimits } from '../../shared/engine.ts';

export const USAGE = `Usage:
  floorwatch serve [--port N] [--host H] [--data DIR] [...]
      Runs the server, with the flags and environment of npm start (see the README's
      configuration; floorwatch serve --help lists the flags); SIGTERM or Ctrl-C stops
      it gracefully. An unknown flag or a stray argument is refused (exit code 2).
  floorwatch report --queue-log FILE [--queue-log FILE2 ...] [--json] [--tz ZONE]
      Replays Asterisk queue_log files through the Floorwatch engine and prints
      per-queue and per-agent figures for the whole file (--json: one JSON object).
  floorwatch replay --queue-log FILE [--queue-log FILE2 ...] --to URL --token TOKEN [--speed N] [--tz ZONE]
      Sends the files into a running Floorwatch server (POST URL/api/events) in
      time order: at N× real time with --speed N, else as fast as possible.
  floorwatch doctor --data DIR [--quarantine] [--json]
      Checks a data folder's event log and accounts (floorwatch doctor --help).
  floorwatch user reset-password NAME --data DIR
      Gives a user a new one-time password, e.g. a locked-out admin (floorwatch user --help).
  floorwatch what-if --data DIR --from YYYY-MM-DD --to YYYY-MM-DD --set PATH=VALUE [--set ...] [--json]
      Replays those days of the event log with candidate settings (e.g. --set hold-long.warnSec=60)
      and compares warnings and breaches per rule and agent (floorwatch what-if --help).

Options:
  --queue-log FILE  a queue_log file; repeat for rotated files (any order) or database exports
                    (CSV, TSV, psql or mysql output of the queue_log table, read by column names)
  --json            report: print one JSON object instead of tables
  --tz ZONE         IANA zone of dates in database exports and of day boundaries
                    (default: FLOORWATCH_TZ, else this machine's zone)
  --to URL          replay: the server, e.g. http://localhost:3000
  --token TOKEN     replay: an ingest token (default: FLOORWATCH_INGEST_TOKEN)
  --speed N         replay: N× real time (N > 0), or "max" for as fast as possible

Environment (report): FLOORWATCH_STALE_WAITING_SEC, FLOORWATCH_STALE_CONNECTED_SEC and
  FLOORWATCH_MAX_LIVE_CALLS close stale calls as the server does (see the README).
`;

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
}

class UsageError extends Error {}

interface Parsed {
  command: 'report' | 'replay' | 'help';
  files: string[];
  json: boolean;
  tz?: string;
  to?: string;
  token?: string;
  speed?: string;
}

const VALUE_OPTIONS = new Set(['queue-log', 'tz', 'to', 'token', 'speed']);
const FLAG_OPTIONS = new Set(['json', 'help']);
const ALLOWED: Record<'report' | 'replay', string[]> = {
  report: ['queue-log', 'json', 'tz', 'help'],
  replay: ['queue-log', 'to', 'token', 'speed', 'tz', 'help'],
};

export function parseArgs(argv: string[]): Parsed {
  const [command, ...rest] = argv;
  if (command === undefined) throw new UsageError('expected a command: report or replay');
  if (command === 'help' || command === '--help' || command === '-h') return { command: 'help', files: [], json: false };
  if (command !== 'report' && command !== 'replay') {
    throw new UsageError(command.startsWith('-') ? `expected a command (report or replay) before ${command}` : `unknown command "${command}"; expected report or replay`);
  }
  const p: Parsed = { command, files: [], json: false };
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument "${arg}"`);
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    if (!VALUE_OPTIONS.has(name) && !FLAG_OPTIONS.has(name)) throw new UsageError(`unknown option --${name}`);
    if (!ALLOWED[command].includes(name)) throw new UsageError(`--${name} does not apply to ${command}`);
    if (name === 'help') return { command: 'help', files: [], json: false };
    if (FLAG_OPTIONS.has(name)) {
      if (eq !== -1) throw new UsageError(`--${name} takes no value`);
      p.json = true;
      continue;
    }
    let value: string | undefined;
    if (eq !== -1) value = arg.slice(eq + 1);
    else {
      value = rest[i + 1];
      if (value === undefined || value.startsWith('--')) throw new UsageError(`--${name} needs a value`);
      i++;
    }
    if (value === '') throw new UsageError(`--${name} needs a value`);
    if (name === 'queue-log') p.files.push(value);
    else if (name === 'tz') p.tz = value;
    else if (name === 'to') p.to = value;
    else if (name === 'token') p.token = value;
    else if (name === 'speed') p.speed = value;
  }
  if (p.files.length === 0) throw new UsageError('--queue-log FILE is required');
  return p;
}

function timeZoneOf(p: Parsed, env: NodeJS.ProcessEnv): string {
  const tz = p.tz ?? env.FLOORWATCH_TZ ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
  } catch {
    throw new UsageError(`--tz: unknown time zone "${tz}"`);
  }
  return tz;
}

function limitsOf(env: NodeJS.ProcessEnv): Partial<EngineLimits> {
  try {
    return engineLimitsFromEnv(env);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** Runs the command line; resolves with the exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  // `floorwatch doctor --data DIR [--quarantine]`: the data folder's state (server/doctor.ts).
  if (argv[0] === 'doctor') return (await import('../doctor.ts')).runDoctor(argv.slice(1), io);
  // `floorwatch user reset-password NAME --data DIR`: a locked-out admin's way back in (server/user-cli.ts).
  if (argv[0] === 'user') return (await import('../user-cli.ts')).runUserCli(argv.slice(1), io);
  // `floorwatch what-if --data DIR --from D --to D --set …`: past days with candidate settings (server/what-if-cli.ts).
  if (argv[0] === 'what-if') return (await import('../what-if-cli.ts')).runWhatIfCli(argv.slice(1), io);
  let p: Parsed;
  let timeZone: string;
  let limits: Partial<EngineLimits>;
  try {
    p = parseArgs(argv);
    timeZone = timeZoneOf(p, io.env);
    // The server's FLOORWATCH_STALE_* / FLOORWATCH_MAX_LIVE_CALLS: a report closes stale calls as the live floor does.
    limits = limitsOf(io.env);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.stderr(`floorwatch: ${err.message}\nRun "floorwatch --help" for usage.\n`);
    return 2;
  }
  if (p.command === 'help') {
    io.stdout(USAGE);
    return 0;
  }
  // A batch job over files of any size: let V8's heap grow by half its live size between full
  // collections rather than up to four times (peak memory of a million-line report 480 -> 310 MB,
  // same speed). Read by V8 at each collection, so it takes effect when set here.
  v8.setFlagsFromString('--heap-growing-percent=50');
  try {
    if (p.command === 'report') {
      const { report, details } = await buildReport(p.files, { timeZone, limits });
      if (details.problems.length > 0) {
        // Figures from a file Floorwatch cannot read would be silently wrong: say why, and no report.
        io.stderr(`${details.problems.map((x) => `floorwatch: ${formatProblem(x)}`).join('\n')}\nfloorwatch: no report: ${details.problems.length === 1 ? 'that file is' : 'those files are'} not a queue_log layout Floorwatch reads\n`);
        return 1;
      }
      io.stdout(p.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report, details));
      return 0;
    }
    // replay
    let speed: number | undefined;
    try {
      if (!p.to) throw new UsageError('replay needs --to URL (the Floorwatch server, e.g. http://localhost:3000)');
      const token = p.token ?? io.env.FLOORWATCH_INGEST_TOKEN;
      if (!token) throw new UsageError('replay needs --token TOKEN (an ingest token of the server)');
      if (p.speed !== undefined && p.speed !== 'max') {
        speed = Number(p.speed);
        if (!Number.isFinite(speed) || speed <= 0) throw new UsageError(`--speed: expected a positive number or "max", got "${p.speed}"`);
      }
      p.token = token;
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      io.stderr(`floorwatch: ${err.message}\nRun "floorwatch --help" for usage.\n`);
      return 2;
    }
    const s = await replayQueueLog({ files: p.files, to: p.to, token: p.token, speed, timeZone });
    const l = s.lines;
    io.stdout(
      `replayed ${s.events} events from ${l.read} lines (${l.skipped} skipped, ${l.damaged} damaged) in ${s.requests} requests: ` +
        `${s.accepted} accepted, ${s.duplicates} duplicates, ${s.rejected} rejected\n`,
    );
    if (s.firstError) io.stderr(`floorwatch: the server rejected events, e.g.: ${s.firstError}\n`);
    return s.events > 0 && s.accepted + s.duplicates === 0 ? 1 : 0;
  } catch (err) {
    if (err instanceof QueueLogLayoutError) {
      io.stderr(`${err.problems.map((x) => `floorwatch: ${formatProblem(x)}`).join('\n')}\nfloorwatch: nothing sent\n`);
      return 1;
    }
    if (err instanceof UnreadableFileError || err instanceof ReplayError) {
      io.stderr(`floorwatch: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

const invokedDirectly = process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  runCli(process.argv.slice(2), { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t), env: process.env }).then(
    (code) => {
      process.exitCode = code;
    },
    (err: Error) => {
      process.stderr.write(`floorwatch: ${err.message}\n`);
      process.exitCode = 1;
    },
  );
}
