/**
 * The installed `floorwatch` command run with plain node: usage errors,
 * unreadable files and files in a layout it does not read, and `replay` into
 * a running server.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { QueueLogTail } from '../../server/queuelog/tail.ts';
import { INGEST_TOKEN, startHarness, waitFor, type Harness } from './harness.ts';

const ROOT = path.resolve(__dirname, '../..');
const BIN = path.join(ROOT, 'bin/floorwatch.mjs');
const FIXTURE = path.join(ROOT, 'tests/fixtures/queuelog/known-answers.log');
const B = 1_795_510_800;

let harnesses: Harness[] = [];
afterEach(async () => {
  for (const h of harnesses) await h.close();
  harnesses = [];
});

/** Runs the command from another directory, as `npx floorwatch` would; never rejects. */
function floorwatch(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return floorwatchWith({}, ...args);
}

/** {@link floorwatch} with more environment variables. */
function floorwatchWith(env: Record<string, string>, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: os.tmpdir(), env: { ...process.env, FLOORWATCH_INGEST_TOKEN: '', ...env } }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('floorwatch command line', () => {
  it('exits 2 with a clear message on usage errors', async () => {
    const cases: [string[], RegExp][] = [
      [[], /expected a command: report or replay/],
      [['frobnicate'], /unknown command "frobnicate"/],
      [['report'], /--queue-log FILE is required/],
      [['report', '--queue-log'], /--queue-log needs a value/],
      [['report', '--queue-log', FIXTURE, '--loud'], /unknown option --loud/],
      [['report', '--queue-log', FIXTURE, '--speed', '2'], /--speed does not apply to report/],
      [['report', '--queue-log', FIXTURE, '--tz', 'Mars/Olympus'], /unknown time zone "Mars\/Olympus"/],
      [['replay', '--queue-log', FIXTURE, '--token', 't'], /replay needs --to URL/],
      [['replay', '--queue-log', FIXTURE, '--to', 'http://localhost:1'], /replay needs --token/],
      [['replay', '--queue-log', FIXTURE, '--to', 'http://localhost:1', '--token', 't', '--speed', '0'], /--speed: expected a positive number or "max"/],
    ];
    for (const [args, message] of cases) {
      const r = await floorwatch(...args);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toContain('floorwatch --help');
      expect(r.stdout).toBe('');
    }
  });

  it('closes stale calls with the server’s limits (FLOORWATCH_STALE_*), and names a bad one with exit 2', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fw-stale-')), 'queue_log');
    // A call connected and a caller waiting, neither ever ending; another call two hours later.
    const lines = [
      `${B}|s1|sales|NONE|ENTERQUEUE||5550100|1`,
      `${B + 10}|s1|sales|PJSIP/201|CONNECT|10|s1b|4`,
      `${B + 20}|w1|sales|NONE|ENTERQUEUE||5550101|1`,
      `${B + 7200}|c2|sales|NONE|ENTERQUEUE||5550102|1`,
      `${B + 7205}|c2|sales|PJSIP/202|CONNECT|5|c2b|1`,
      `${B + 7300}|c2|sales|PJSIP/202|COMPLETECALLER|5|95|1`,
    ];
    fs.writeFileSync(file, `${lines.join('\n')}\n`);
    const endLost = async (env: Record<string, string>) => {
      const r = await floorwatchWith(env, 'report', '--queue-log', file, '--json', '--tz', 'UTC');
      expect(r.code, r.stderr).toBe(0);
      return (JSON.parse(r.stdout) as { queues: Record<string, { endLost: number }> }).queues.sales.endLost;
    };
    // The defaults (4 h waiting, 12 h connected) leave both open after two hours; one hour closes both as lost.
    expect(await endLost({})).toBe(0);
    expect(await endLost({ FLOORWATCH_STALE_WAITING_SEC: '3600', FLOORWATCH_STALE_CONNECTED_SEC: '3600' })).toBe(2);
    expect(await endLost({ FLOORWATCH_STALE_WAITING_SEC: '3600' })).toBe(1);
    const bad = await floorwatchWith({ FLOORWATCH_STALE_WAITING_SEC: 'abc' }, 'report', '--queue-log', file);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('FLOORWATCH_STALE_WAITING_SEC=abc: must be a positive number');
  });

  it('prints its usage with --help and exits 0', async () => {
    const r = await floorwatch('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('floorwatch report --queue-log FILE');
    expect(r.stdout).toContain('floorwatch replay --queue-log FILE');
    // Every command the program runs is listed, each with the way to its own help.
    expect(r.stdout).toContain('floorwatch doctor --data DIR');
    expect(r.stdout).toContain('floorwatch user reset-password NAME --data DIR');
    for (const sub of ['doctor', 'user']) {
      const own = await floorwatch(sub, '--help');
      expect(own.code, sub).toBe(0);
      expect(own.stdout, sub).toContain(`floorwatch ${sub}`);
    }
  });

  it('exits 1 with the reason when a file cannot be read', async () => {
    const missing = await floorwatch('report', '--queue-log', '/nonexistent/queue_log');
    expect(missing).toMatchObject({ code: 1, stdout: '' });
    expect(missing.stderr).toBe('floorwatch: cannot read /nonexistent/queue_log: no such file\n');
    const dir = await floorwatch('report', '--queue-log', os.tmpdir());
    expect(dir.code).toBe(1);
    expect(dir.stderr).toContain('is a directory');
  });

  it('exits 1 with the reason when the server cannot be reached or refuses the token', async () => {
    const h = await startHarness();
    harnesses.push(h);
    const wrongToken = await floorwatch('replay', '--queue-log', FIXTURE, '--to', h.url, '--token', 'not-a-token');
    expect(wrongToken.code).toBe(1);
    expect(wrongToken.stderr).toMatch(/answered 401/);
    const port = h.port;
    await h.close();
    harnesses = [];
    const down = await floorwatch('replay', '--queue-log', FIXTURE, '--to', `http://127.0.0.1:${port}`, '--token', INGEST_TOKEN);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/cannot reach http:\/\/127\.0\.0\.1:\d+\/api\/events/);
  });
});

/** An export of another table (call statistics): its columns are not queue_log's. */
function unfamiliarExport(): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'floorwatch-cli-')), 'stats.csv');
  const rows = Array.from({ length: 12 }, (_, i) => `${i + 1},${B + 40 * i},sales,COMPLETECALLER,1,90,8,SIP/201,555${i},Sales`);
  fs.writeFileSync(file, ['id,timestamp_in,qname,action,position,duration,hold,agent,cid,qdescr', ...rows].join('\n') + '\n');
  return file;
}

describe('a file in a layout floorwatch does not read', () => {
  it('makes report exit 1, saying which columns it found and which it expected, with no figures', async () => {
    for (const json of [[], ['--json']]) {
      const r = await floorwatch('report', '--queue-log', unfamiliarExport(), '--tz', 'UTC', ...json);
      expect(r).toMatchObject({ code: 1, stdout: '' });
      expect(r.stderr).toBe(
        [
          'floorwatch: stats.csv: the header (stats.csv:1) names no queue_log layout Floorwatch reads; missing a time (time, time_id or date_time), a call id (callid or call_id), a queue (queuename, queue or queue_name), an event (event or verb)',
          '  found: columns id, timestamp_in, qname, action, position, duration, hold, agent, cid, qdescr',
          '  expected: columns time (or time_id, date_time), callid (or call_id), queuename (or queue, queue_name), agent, event (or verb), data1…data5 (or param1…param5) and/or data (the fields joined with "|"); optionally a row id (id, uid or unique_row_count)',
          'floorwatch: no report: that file is not a queue_log layout Floorwatch reads',
          '',
        ].join('\n'),
      );
    }
  });

  it('makes report exit 1 when most records are damaged, naming the file among good ones', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floorwatch-cli-'));
    const prose = path.join(dir, 'notes.txt');
    fs.writeFileSync(prose, 'Monday: queue was busy\nTuesday: quiet\n' + `${B}|c1|sales|NONE|ENTERQUEUE||555|1\n`);
    const r = await floorwatch('report', '--queue-log', FIXTURE, '--queue-log', prose, '--tz', 'UTC');
    expect(r).toMatchObject({ code: 1, stdout: '' });
    expect(r.stderr).toMatch(/^floorwatch: notes\.txt: 2 of 3 records \(67 %\) are damaged: not a queue_log layout Floorwatch reads\n {2}found: lines like notes\.txt:1 "Monday: queue was busy" \(no field separator\)\n {2}expected: epochSeconds\|callid\|queue\|agent\|VERB\|data… \(a queue_log file\), or an export/);
  });

  it('makes replay exit 1 and send nothing', async () => {
    const h = await startHarness();
    harnesses.push(h);
    const r = await floorwatch('replay', '--queue-log', unfamiliarExport(), '--to', h.url, '--token', INGEST_TOKEN, '--tz', 'UTC');
    expect(r).toMatchObject({ code: 1, stdout: '' });
    expect(r.stderr).toContain('floorwatch: stats.csv: the header (stats.csv:1) names no queue_log layout Floorwatch reads');
    expect(r.stderr).toMatch(/floorwatch: nothing sent\n$/);
    expect(h.server.state().queues.size).toBe(0);
  });

  it("reads the realtime table exported by the mysql client, footer and all: exit 0", async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'floorwatch-cli-')), 'queue_log.txt');
    const border = '+----+----------------------------+--------------+-----------+-----------+----------------+------+-------+--------------+-------+-------+-------+';
    fs.writeFileSync(
      file,
      [
        border,
        '| id | time                       | callid       | queuename | agent     | event          | data | data1 | data2        | data3 | data4 | data5 |',
        border,
        '|  1 | 2026-11-24 10:00:20.000000 | 1795510808.1 | sales     | PJSIP/201 | CONNECT        |      | 12    | 1795510816.2 | 4     |       |       |',
        '|  2 | 2026-11-24 10:02:00.000000 | 1795510808.1 | sales     | PJSIP/201 | COMPLETECALLER |      | 12    | 100          | 1     |       |       |',
        border,
        '2 rows in set (0.00 sec)',
      ].join('\n') + '\n',
    );
    const r = await floorwatch('report', '--queue-log', file, '--tz', 'Europe/Berlin', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      queues: { sales: { offered: 1, answered: 1, abandoned: 0, avgWaitSec: 12, avgTalkSec: 100, maxWaitSec: 12, serviceLevelPct: 100 } },
      lines: { read: 7, skipped: 5, damaged: 0 },
    });
  });
});

describe('floorwatch replay', () => {
  it('sends a file into a running server as fast as possible, and a second replay changes nothing', async () => {
    const h = await startHarness();
    harnesses.push(h);
    const first = await floorwatch('replay', '--queue-log', FIXTURE, '--to', h.url, '--token', INGEST_TOKEN, '--tz', 'UTC');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^replayed 58 events from 52 lines \(4 skipped, 2 damaged\) in 1 requests: 58 accepted, 0 duplicates, 0 rejected$/m);
    const s = h.server.state();
    expect(s.queues.get('sales')?.today).toMatchObject({ offered: 9, answered: 6, abandoned: 2, transferredOut: 3 });
    expect(s.queues.get('support')?.today).toMatchObject({ offered: 5, answered: 1, abandoned: 4, transferredOut: 1 });
    expect([...s.liveCalls].sort()).toEqual(['1795513590.20', '1795513600.21']);
    const again = await floorwatch('replay', '--queue-log', FIXTURE, '--to', `${h.url}/api/events`, '--token', INGEST_TOKEN, '--speed', 'max');
    expect(again.stdout).toContain('0 accepted, 58 duplicates');
  });

  it('sends events in timed order at N× real time', async () => {
    const h = await startHarness();
    harnesses.push(h);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'floorwatch-replay-')), 'queue_log');
    fs.writeFileSync(
      file,
      [
        `${B}|c1|sales|NONE|ENTERQUEUE||555|1`,
        `${B + 20}|c1|sales|SIP/1001|RINGNOANSWER|15000`,
        `${B + 40}|c1|sales|SIP/1002|CONNECT|40|x|4`,
        `${B + 100}|c1|sales|SIP/1002|COMPLETECALLER|40|60|1`,
      ].join('\n') + '\n',
    );
    const t0 = Date.now();
    const r = await floorwatch('replay', '--queue-log', file, '--to', h.url, '--token', INGEST_TOKEN, '--speed', '50');
    const elapsedMs = Date.now() - t0;
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('8 accepted');
    // 100 s of file at 50× is 2 s; events due at different times (80 ms or more apart) go in separate
    // requests. (At 200× they were 20 ms apart: on a loaded machine one request took longer than
    // that, and the replay rightly sent what had fallen due meanwhile together.)
    expect(elapsedMs).toBeGreaterThanOrEqual(2_000);
    expect(Number(/in (\d+) requests/.exec(r.stdout)?.[1])).toBeGreaterThanOrEqual(4);
    const events: { type: string; at: number }[] = [];
    await h.log.replay((e) => events.push(e));
    expect(events.map((e) => e.at)).toEqual([...events.map((e) => e.at)].sort((a, b) => a - b));
    expect(h.server.state().calls.get('c1')).toMatchObject({ status: 'ended', ringsToAnswer: 1, ringAttempts: 2 });
  });

  it('gives the same event ids as the live tail: a file tailed and then replayed is ignored', async () => {
    const h = await startHarness();
    harnesses.push(h);
    const tail = new QueueLogTail({
      file: FIXTURE,
      timeZone: 'UTC',
      pollMs: 20,
      logger: { info: () => {}, warn: () => {}, error: () => {} },
      submit: (events) => h.server.pipeline.submit(events),
    }).start();
    try {
      await waitFor(() => tail.stats.accepted === 58, 5000, 'the tail to read the fixture');
    } finally {
      await tail.stop();
    }
    const r = await floorwatch('replay', '--queue-log', FIXTURE, '--to', h.url, '--token', INGEST_TOKEN, '--tz', 'UTC');
    expect(r.stdout).toContain('0 accepted, 58 duplicates, 0 rejected');
  });
});
