/**
 * `floorwatch what-if --data DIR --from D --to D --set PATH=VALUE [--set …] [--json] [--tz ZONE]`:
 * the what-if of `POST /api/what-if` from the command line, on a data folder's
 * event log (read-only: the server may be running on it). The starting
 * configuration is the one the log's folder saved (else the defaults in
 * `--tz`, as a first start has them); the fold is shared/what-if.ts, run
 * in this process (a batch job: no event loop to keep free).
 *
 * Exit codes: 0 done; 1 no event log in DIR, or it cannot be read; 2 usage
 * (an unknown flag, a bad date, range or setting), each with a one-line message.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { defaultConfig, parseConfig, type FloorConfig } from '../shared/config.ts';
import type { EngineLimits } from '../shared/engine.ts';
import type { RuleCounts } from '../shared/state.ts';
import { createWhatIfFold, parseSetting, WhatIfError, type SettingChange, type WhatIfExample, type WhatIfResult } from '../shared/what-if.ts';
import { LOG_FILE } from './doctor.ts';
import { engineLimitsFromEnv } from './health-limits.ts';
import { readSqliteLog } from './report-worker.ts';

export const WHAT_IF_USAGE = `Usage:
  floorwatch what-if --data DIR --from YYYY-MM-DD --to YYYY-MM-DD --set PATH=VALUE [--set ...] [--json] [--tz ZONE]
      Replays those days of the data folder's event log with the floor's settings and
      with the candidate ones, and compares the warnings and breaches per rule and per
      agent, with example calls that would newly warn or breach, or no longer.
      --set PATH=VALUE  a candidate setting; repeat for more. PATH is a rule's threshold
                        (hold-long.warnSec, ring-limit.breachAt), a settings path
                        (serviceLevel.thresholdSec, rules.holdLongWarnSec,
                        queues.sales.rules.holdLongWarnSec, teams.A.disabled=hold-repeat,volume),
                        away-long.REASON (minutes, or none), or disabled+=RULE / disabled-=RULE
      --json            the same JSON as POST /api/what-if
      --tz ZONE         the floor's zone when the log holds no saved settings
                        (default: FLOORWATCH_TZ, else this machine's zone)
  Exit codes: 0 done, 1 no event log in DIR or it cannot be read, 2 usage error.
`;

interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
}

class UsageError extends Error {}

interface Parsed {
  data: string;
  from: string;
  to: string;
  set: SettingChange[];
  json: boolean;
  tz?: string;
}

function parseArgs(argv: string[]): Parsed | 'help' {
  const p: Partial<Parsed> & { set: SettingChange[]; json: boolean } = { set: [], json: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h' || arg === 'help') return 'help';
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument "${arg}"`);
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    if (name === 'json') {
      if (eq !== -1) throw new UsageError('--json takes no value');
      p.json = true;
      continue;
    }
    if (!['data', 'from', 'to', 'set', 'tz'].includes(name)) throw new UsageError(`unknown option --${name}`);
    let value: string | undefined;
    if (eq !== -1) value = arg.slice(eq + 1);
    else {
      value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) throw new UsageError(`--${name} needs a value`);
      i++;
    }
    if (value === '') throw new UsageError(`--${name} needs a value`);
    if (name === 'set') {
      const r = parseSetting(value);
      if (!r.ok) throw new UsageError(`--set ${r.error}`);
      p.set.push(r.change);
    } else {
      const key = name as 'data' | 'from' | 'to' | 'tz';
      if (p[key] !== undefined) throw new UsageError(`--${name} given twice`);
      p[key] = value;
    }
  }
  for (const k of ['data', 'from', 'to'] as const) if (p[k] === undefined) throw new UsageError(`--${k} is required`);
  return p as Parsed;
}

/** The settings the folder's log saved (read-only), or undefined when it never saved any. Throws when the file is no readable log. */
function savedConfig(file: string): FloorConfig | undefined {
  const db = new Database(file, { readonly: true, fileMustExist: true, timeout: 5_000 });
  try {
    const hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'config'").pluck().get() !== undefined;
    if (!hasTable) return undefined;
    const body = db.prepare<[], string>('SELECT body FROM config WHERE id = 1').pluck().get();
    if (body === undefined) return undefined;
    const r = parseConfig(JSON.parse(body));
    if (!r.ok) throw new Error(`the saved settings do not read: ${r.error}`);
    return r.config;
  } finally {
    db.close();
  }
}

/** Runs `floorwatch what-if …` (argv without the word `what-if`); resolves with the exit code. */
export async function runWhatIfCli(argv: string[], io: CliIo): Promise<number> {
  const usage = (msg: string) => {
    io.stderr(`floorwatch what-if: ${msg}\n`);
    return 2;
  };
  let p: Parsed | 'help';
  let limits: Partial<EngineLimits>;
  try {
    p = parseArgs(argv);
    limits = engineLimitsFromEnv(io.env);
  } catch (err) {
    // A bad flag, setting, or FLOORWATCH_STALE_* / FLOORWATCH_MAX_LIVE_CALLS value: all usage errors.
    return usage((err as Error).message);
  }
  if (p === 'help') {
    io.stdout(WHAT_IF_USAGE);
    return 0;
  }
  const dir = path.resolve(p.data);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) return usage(`--data: ${p.data} is not a folder`);
  const file = path.join(dir, LOG_FILE);
  if (!fs.existsSync(file)) {
    io.stderr(`floorwatch what-if: no event log at ${file}; is ${p.data} the folder given to the server with --data?\n`);
    return 1;
  }
  let config: FloorConfig;
  try {
    const tz = p.tz ?? io.env.FLOORWATCH_TZ ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
    const fallback = parseConfig({ ...defaultConfig(), timeZone: tz });
    if (!fallback.ok) return usage(`--tz: ${fallback.error}`);
    config = savedConfig(file) ?? fallback.config;
  } catch (err) {
    io.stderr(`floorwatch what-if: cannot read ${file}: ${(err as Error).message}\n`);
    return 1;
  }
  const startedMs = performance.now();
  let result: WhatIfResult;
  try {
    const fold = createWhatIfFold({ config, changes: p.set, from: p.from, to: p.to, limits });
    try {
      readSqliteLog(file, (e, rx) => fold.add(e, rx));
    } catch (err) {
      if (err instanceof WhatIfError) throw err;
      io.stderr(`floorwatch what-if: cannot read ${file}: ${(err as Error).message}\n`);
      return 1;
    }
    result = fold.finish(Date.now());
  } catch (err) {
    if (err instanceof WhatIfError) return usage(err.message);
    throw err;
  }
  const ms = Math.round(performance.now() - startedMs);
  io.stdout(p.json ? `${JSON.stringify({ ...result, ms }, null, 2)}\n` : formatWhatIf(result, ms));
  return 0;
}

// ---------------------------------------------------------------- text output

const num = (n: number) => n.toLocaleString('en-US');
const signed = (n: number) => (n > 0 ? `+${num(n)}` : n < 0 ? `−${num(-n)}` : '0');

function table(head: string[], rows: string[][], rightFrom = 1): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i >= rightFrom ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** Cells of one row: warnings now, with the candidate, the difference; the same for breaches (and info when any). */
function countCells(b: RuleCounts, c: RuleCounts, info: boolean): string[] {
  const cells = [num(b.warn), num(c.warn), signed(c.warn - b.warn), num(b.breach), num(c.breach), signed(c.breach - b.breach)];
  return info ? [...cells, num(b.info), num(c.info), signed(c.info - b.info)] : cells;
}

function side(x: WhatIfExample['baseline'], unit: string): string {
  const u = unit === 'sec' ? 's' : unit;
  return x ? `${x.level} (${x.value} ${u}, threshold ${x.threshold})` : 'none';
}

/** The text report: per rule, then per agent (those whose counts change first), then examples. */
export function formatWhatIf(r: WhatIfResult, ms: number): string {
  const out: string[] = [];
  out.push(`What if ${r.from} to ${r.to} (${r.timeZone}): ${num(r.events)} events replayed twice in ${(ms / 1000).toFixed(1)} s, ${num(r.eventsInRange)} of them on those days${r.skipped ? `, ${num(r.skipped)} skipped` : ''}`);
  out.push(`Candidate: ${r.settings.length ? r.settings.join('  ') : '(no change: the settings as they are)'}${r.configChanges ? `, applied on top of each of the ${r.configChanges} settings change(s) in the log` : ''}`);
  out.push('');
  const info = r.rules.some((x) => x.baseline.info + x.candidate.info > 0);
  const head = ['rule', 'warn now', 'what if', 'diff', 'breach now', 'what if', 'diff', ...(info ? ['info now', 'what if', 'diff'] : [])];
  const rows = r.rules.map((x) => [x.ruleId, ...countCells(x.baseline, x.candidate, info)]);
  rows.push(['total', ...countCells(r.totals.baseline, r.totals.candidate, info)]);
  out.push(r.rules.length ? table(head, rows) : 'No warnings or breaches on those days, with either settings.');
  if (r.agents.length) {
    const moved = (a: WhatIfResult['agents'][number]) => Math.abs(a.candidate.warn - a.baseline.warn) + Math.abs(a.candidate.breach - a.baseline.breach);
    const agents = [...r.agents].sort((x, y) => moved(y) - moved(x) || x.agentId.localeCompare(y.agentId));
    out.push('', 'Per agent (most changed first):');
    out.push(table(['agent', 'name', 'team', 'warn now', 'what if', 'diff', 'breach now', 'what if', 'diff'], agents.map((a) => [a.agentId, a.name ?? '', a.team ?? '', ...countCells(a.baseline, a.candidate, false)]), 3));
  }
  for (const [key, title] of [
    ['worse', 'newly warn or breach'],
    ['better', 'no longer warn or breach (or only warn)'],
  ] as const) {
    const list = r.examples[key];
    if (list.length === 0) continue;
    out.push('', `Alerts that would ${title}: ${num(r.changed[key])}${r.changed[key] > list.length ? `, the first ${list.length}` : ''}`);
    for (const x of list) {
      const who = [x.callId !== undefined ? `call ${x.callId}` : '', x.agentId !== undefined ? `agent ${x.agentId}` : '', x.queueId !== undefined ? `queue ${x.queueId}` : ''].filter(Boolean).join(', ');
      out.push(`  ${x.day}  ${x.ruleId.padEnd(19)} ${who}: ${side(x.baseline, x.unit)} -> ${side(x.candidate, x.unit)}`);
    }
  }
  return `${out.join('\n')}\n`;
}
