/**
 * `floorwatch what-if` run with plain node on a data folder: the settings the folder saved are the
 * starting point, --json prints the same JSON as POST /api/what-if on the same log, the text
 * report has the per-rule table, and bad flags exit 2 (one line) while a missing log exits 1.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultConfig, DEFAULT_RULES } from '../../shared/config.ts';
import type { FloorEvent } from '../../shared/events.ts';
import type { WhatIfResult } from '../../shared/what-if.ts';
import { openSqliteLog } from '../../server/log/sqlite.ts';
import { closeHarnessesAfterEach, VIEW_TOKEN } from './harness.ts';

const { start } = closeHarnessesAfterEach();
const ROOT = path.resolve(__dirname, '../..');
const BIN = path.join(ROOT, 'bin/floorwatch.mjs');
const DAY = '2026-11-23';

/** Runs the command from another directory, as `npx floorwatch` would; never rejects. */
function floorwatch(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: os.tmpdir(), env: { ...process.env, FLOORWATCH_TZ: 'UTC' } }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/**
 * A data folder whose log holds agent A's four calls of 2026-11-23 with holds of 40, 55, 70 and
 * 95 s, and saved settings warning at 40 s (quota pace off, so the end of the run adds nothing).
 */
async function dataFolder(): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floorwatch-what-if-'));
  const log = openSqliteLog({ file: path.join(dir, 'floorwatch.db'), synchronous: 'normal' });
  const t9 = Date.parse(`${DAY}T09:00:00Z`);
  let n = 0;
  const e = (at: number, body: Record<string, unknown>) => ({ id: `c${++n}`, at, ...body }) as FloorEvent;
  const events = [e(t9 - 60_000, { type: 'agent.state', agentId: 'A', state: 'available', name: 'Ann', team: 'north' })];
  [40, 55, 70, 95].forEach((holdSec, i) => {
    const t = t9 + i * 600_000;
    const callId = `hold-${holdSec}`;
    events.push(
      e(t, { type: 'call.queued', callId, queueId: 'sales' }),
      e(t + 6_000, { type: 'call.answered', callId, agentId: 'A', ringCount: 1 }),
      e(t + 30_000, { type: 'call.hold', callId, askedPermission: true }),
      e(t + 30_000 + holdSec * 1000, { type: 'call.unhold', callId }),
      e(t + 200_000, { type: 'call.ended', callId, notes: true }),
    );
  });
  for (const ev of events) await log.append([ev], ev.at);
  await log.saveConfig({ ...defaultConfig(), rules: { ...DEFAULT_RULES, holdLongWarnSec: 40 }, disabled: ['quota-pace'] }, 'admin');
  await log.close();
  return dir;
}

describe('floorwatch what-if', () => {
  it('prints the same JSON as POST /api/what-if, starting from the settings the folder saved', async () => {
    const dir = await dataFolder();
    const cli = await floorwatch('what-if', '--data', dir, '--from', DAY, '--to', DAY, '--set', 'hold-long.warnSec=60', '--json');
    expect(cli.stderr).toBe('');
    expect(cli.code).toBe(0);
    const json = JSON.parse(cli.stdout) as WhatIfResult & { ms: number };
    // Saved warning 40 s: the 40, 55 and 70 s holds warn, the 95 s one breaches; at 60 s only 70 s warns.
    expect(json.rules).toEqual([{ ruleId: 'hold-long', baseline: { info: 0, warn: 3, breach: 1 }, candidate: { info: 0, warn: 1, breach: 1 } }]);
    expect(json.examples.better.map((x) => x.callId).sort()).toEqual(['hold-40', 'hold-55']);

    const h = await start({ dbFile: path.join(dir, 'floorwatch.db') });
    const res = await fetch(`${h.url}/api/what-if`, {
      method: 'POST',
      headers: { authorization: `Bearer ${VIEW_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ from: DAY, to: DAY, set: { 'hold-long.warnSec': 60 } }),
    });
    const api = ((await res.json()) as { data: WhatIfResult & { ms: number } }).data;
    const { ms: cliMs, ...cliRest } = json;
    const { ms: apiMs, ...apiRest } = api;
    expect(cliMs).toBeGreaterThanOrEqual(0);
    expect(apiMs).toBeGreaterThanOrEqual(0);
    expect(cliRest).toEqual(apiRest);
  });

  it('prints a table per rule and per agent, and the calls that change', async () => {
    const dir = await dataFolder();
    const r = await floorwatch('what-if', '--data', dir, '--from', DAY, '--to', DAY, '--set', 'hold-long.warnSec=60', '--set', 'hold-long.breachSec=120');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^What if 2026-11-23 to 2026-11-23 \(UTC\): 21 events replayed twice/);
    expect(r.stdout).toContain('Candidate: hold-long.warnSec=60  hold-long.breachSec=120');
    expect(r.stdout).toMatch(/\nhold-long\s+3\s+2\s+−1\s+1\s+0\s+−1\n/);
    expect(r.stdout).toMatch(/\nA\s+Ann\s+north\s+3\s+2\s+−1\s+1\s+0\s+−1\n/);
    expect(r.stdout).toContain('call hold-95, agent A, queue sales: breach (95 s, threshold 90) -> warn (95 s, threshold 60)');
  });

  it('exits 2 with one line for a bad flag, date, range or setting, and 1 for a folder without a log', async () => {
    const dir = await dataFolder();
    const cases: [string[], RegExp][] = [
      [['--data', dir, '--from', DAY, '--to', DAY, '--bogus', '1'], /^floorwatch what-if: unknown option --bogus\n$/],
      [['--data', dir, '--to', DAY], /^floorwatch what-if: --from is required\n$/],
      [['--data', dir, '--from', DAY, '--to', DAY, '--set'], /^floorwatch what-if: --set needs a value\n$/],
      [['--data', dir, '--from', DAY, '--to', DAY, '--set', 'hold-long.warnSecs=60'], /^floorwatch what-if: --set unknown setting: hold-long\.warnSecs \(hold-long has hold-long\.warnSec, hold-long\.breachSec\)\n$/],
      [['--data', dir, '--from', DAY, '--to', DAY, '--set', 'hold-long.warnSec=200'], /^floorwatch what-if: hold-long\.warnSec=200: rules\.holdLongWarnSec: must not exceed holdLongBreachSec\n$/],
      [['--data', dir, '--from', '2026-11-31', '--to', DAY], /^floorwatch what-if: from: "2026-11-31" is not a date \(YYYY-MM-DD\)\n$/],
      [['--data', dir, '--from', '2026-01-01', '--to', DAY], /^floorwatch what-if: 2026-01-01 to 2026-11-23 is 327 days; a what-if covers at most 92\n$/],
      [['--data', path.join(dir, 'nowhere'), '--from', DAY, '--to', DAY], /^floorwatch what-if: --data: .* is not a folder\n$/],
    ];
    for (const [args, re] of cases) {
      const r = await floorwatch('what-if', ...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(re);
      expect(r.stdout).toBe('');
    }
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'floorwatch-what-if-empty-'));
    const missing = await floorwatch('what-if', '--data', empty, '--from', DAY, '--to', DAY);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^floorwatch what-if: no event log at .*floorwatch\.db; is .* the folder given to the server with --data\?\n$/);
  });

  it('is listed in floorwatch --help and has its own --help', async () => {
    const all = await floorwatch('--help');
    expect(all.stdout).toContain('floorwatch what-if --data DIR --from YYYY-MM-DD --to YYYY-MM-DD --set PATH=VALUE');
    const own = await floorwatch('what-if', '--help');
    expect(own.code).toBe(0);
    expect(own.stdout).toMatch(/hold-long\.warnSec, ring-limit\.breachAt/);
  });
});
