/**
 * `floorwatch report` on queue_log files with known answers: every figure is
 * asserted exactly, through the library and through the installed command.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { packEvents, unpackEvents } from '../../server/queuelog/read-thread.ts';
import { readQueueLogFiles } from '../../server/queuelog/reader.ts';
import { buildReport, formatReport, type QueueLogReport } from '../../server/queuelog/report.ts';
import type { FloorEvent } from '../../shared/events.ts';

const ROOT = path.resolve(__dirname, '../..');
const FIXTURE = path.join(ROOT, 'tests/fixtures/queuelog/known-answers.log');
const BIN = path.join(ROOT, 'bin/floorwatch.mjs');
const run = promisify(execFile);

/**
 * The answers, worked out by hand from the fixture (see the comments there):
 * sales: 9 offered (c1 c2 c3 c4 c9 c10 c11 c13 c14), answered c1 c2 c9 c10 c11 c14 with waits
 * 21+8+5+2+10+20 = 66 s; c3 (30 s) and c4 (3 s, short) abandoned; c2 c10 c11 transferred;
 * talk 120+60+1700+30+20 = 1930 s over 5; SL = within 20 s (5) ÷ (6 answered + 1 abandoned after 20 s).
 * support: 5 offered, c5 answered after 35 s and transferred; c6 (90 s) c7 (5 s) c8 (25 s) c12 (20 s)
 * abandoned, two of them after 20 s; SL = 0 ÷ (1 + 2). No call is open at the QUEUESTART: no end lost.
 */
const KNOWN: QueueLogReport = {
  queues: {
    sales: { offered: 9, answered: 6, abandoned: 2, endLost: 0, transferred: 3, avgWaitSec: 11, avgTalkSec: 386, maxWaitSec: 30, serviceLevelPct: 71.4 },
    support: { offered: 5, answered: 1, abandoned: 4, endLost: 0, transferred: 1, avgWaitSec: 35, avgTalkSec: 45, maxWaitSec: 90, serviceLevelPct: 0 },
  },
  agents: {
    // c5 (45 s) and c9 (1700 s: over twice the 816 s call budget).
    // PAUSEALL with no reason 09:35:00–09:36:40 (100 s).
    'Agent/1004': { answered: 2, ringNoAnswer: 0, ringCanceled: 0, avgTalkSec: 872.5, breaches: { 'call-long': 1 }, awaySecByDay: { '2026-11-24': { '': 100 } } },
    // Rang 25 s on c5 (RINGNOANSWER 25000: 5 rings, a ring-no-answer and a ring-limit breach) and 19 s on
    // c12 until the caller hung up (RINGCANCELED 19000: cancelled, never held against the agent).
    'Local/1003@from-queue': { answered: 0, ringNoAnswer: 1, ringCanceled: 1, avgTalkSec: null, breaches: { 'ring-limit': 1 } },
    // PAUSE "Lunch" 09:11:40–09:16:40 (300 s, within lunch's 35 min).
    'SIP/1001': { answered: 2, ringNoAnswer: 0, ringCanceled: 0, avgTalkSec: 70, breaches: {}, awaySecByDay: { '2026-11-24': { lunch: 300 } } },
    // Rang 15 s on c1 (3 rings: a warning, not a breach); c14 is still connected at the end.
    'SIP/1002': { answered: 3, ringNoAnswer: 1, ringCanceled: 0, avgTalkSec: 45, breaches: {} },
  },
  // 52 records; QUEUESTART, CONFIGRELOAD, DID and a custom verb skipped; a line of prose and a CONNECT with wait "abc" damaged.
  lines: { read: 52, skipped: 4, damaged: 2 },
};

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'floorwatch-ql-'));
}

describe('floorwatch report', () => {
  it('computes the known answers of a file exactly', async () => {
    const { report, details } = await buildReport([FIXTURE], { timeZone: 'UTC' });
    expect(report).toEqual(KNOWN);
    expect(details.open).toEqual({ waiting: 1, connected: 1 });
    expect(details.engine).toMatchObject({ orphan: 0, outOfOrder: 0, ignored: 0 });
  });

  it('gives the same figures for the file rotated in two, whatever the order the parts are named in', async () => {
    const dir = tempDir();
    const lines = fs.readFileSync(FIXTURE, 'utf8').split('\n');
    fs.writeFileSync(path.join(dir, 'queue_log.1'), lines.slice(0, 24).join('\n') + '\n');
    fs.writeFileSync(path.join(dir, 'queue_log'), lines.slice(24).join('\n'));
    const { report } = await buildReport([path.join(dir, 'queue_log'), path.join(dir, 'queue_log.1')], { timeZone: 'UTC' });
    expect(report).toEqual(KNOWN);
  });

  it('prints the known answers as one JSON object from the installed command', async () => {
    const { stdout, stderr } = await run(process.execPath, [BIN, 'report', '--queue-log', FIXTURE, '--json', '--tz', 'UTC'], { cwd: os.tmpdir() });
    expect(stderr).toBe('');
    expect(JSON.parse(stdout)).toEqual(KNOWN);
  });

  it('prints readable tables without --json', async () => {
    const { stdout } = await run(process.execPath, [BIN, 'report', `--queue-log=${FIXTURE}`, '--tz', 'UTC'], { cwd: os.tmpdir() });
    expect(stdout).toContain('Lines: 52 read, 4 skipped, 2 damaged');
    expect(stdout).toMatch(/^sales\s+9\s+6\s+2\s+0\s+3\s+11\.0 s\s+386\.0 s\s+30 s\s+71\.4 %$/m);
    expect(stdout).toMatch(/^Local\/1003@from-queue\s+0\s+1\s+1\s+–\s+ring-limit 1$/m);
    expect(stdout).toContain('Still open at the end of the file: 1 waiting or ringing, 1 connected');
    expect(stdout).toContain('known-answers.log:44  CONNECT: queue wait (s) "abc" is not a whole number');
  });

  it('sums a file that spans midnight instead of starting over at the new day', async () => {
    const dir = tempDir();
    const midnight = Date.parse('2026-11-25T00:00:00Z') / 1000;
    const l = (dt: number, rest: string) => `${midnight + dt}|${rest}`;
    fs.writeFileSync(
      path.join(dir, 'queue_log'),
      [
        l(-100, 'a|sales|NONE|ENTERQUEUE||1|1'),
        l(-90, 'a|sales|SIP/1001|CONNECT|10|a2|2'),
        l(-30, 'a|sales|SIP/1001|COMPLETECALLER|10|60|1'),
        l(-20, 'b|sales|NONE|ENTERQUEUE||2|1'),
        l(10, 'b|sales|SIP/1001|CONNECT|30|b2|4'),
        l(70, 'b|sales|SIP/1001|COMPLETEAGENT|30|60|1'),
        l(100, 'c|sales|NONE|ENTERQUEUE||3|1'),
        l(130, 'c|sales|SIP/1001|RINGNOANSWER|20000'),
        l(140, 'c|sales|NONE|ABANDON|1|1|40'),
      ].join('\n') + '\n',
    );
    const { report } = await buildReport([path.join(dir, 'queue_log')], { timeZone: 'UTC' });
    expect(report.queues.sales).toEqual({
      offered: 3,
      answered: 2,
      abandoned: 1,
      endLost: 0,
      transferred: 0,
      avgWaitSec: 20,
      avgTalkSec: 60,
      maxWaitSec: 40,
      serviceLevelPct: 33.3,
    });
    expect(report.agents['SIP/1001']).toEqual({ answered: 2, ringNoAnswer: 1, ringCanceled: 0, avgTalkSec: 60, breaches: { 'ring-limit': 1 } });
  });

  it('reports an empty file as nothing, not as an error', async () => {
    const file = path.join(tempDir(), 'queue_log');
    fs.writeFileSync(file, '');
    const { report, details } = await buildReport([file], { timeZone: 'UTC' });
    expect(report).toEqual({ queues: {}, agents: {}, lines: { read: 0, skipped: 0, damaged: 0 } });
    expect(formatReport(report, details)).toContain('No queues.');
  });
});

describe('floorwatch report read on a second thread (large files)', () => {
  /** Both ways of building a report, for the same files: every figure and detail must match. */
  async function both(files: string[]) {
    const one = await buildReport(files, { timeZone: 'UTC', threads: 'one' });
    const two = await buildReport(files, { timeZone: 'UTC', threads: 'two' });
    return { one, two };
  }

  it('gives the known answers and details of the fixture exactly as on one thread', async () => {
    const { one, two } = await both([FIXTURE]);
    expect(two.report).toEqual(KNOWN);
    expect(two).toEqual(one);
  });

  it('reads again with no reorder window when an event is dated further back than it, as on one thread', async () => {
    // b's COMPLETEAGENT at 5 h rebuilds an answer at 1 h (wait 10 s, talk 4 h): older than a's abandon at
    // 2.5 h, already handed to the engine. Both ways read the file again with no window.
    const h = 3_600;
    const file = path.join(tempDir(), 'queue_log');
    fs.writeFileSync(
      file,
      [
        `${1_764_000_000}|a|sales|NONE|ENTERQUEUE||1|1`,
        `${1_764_000_000 + 2.5 * h}|a|sales|NONE|ABANDON|1|1|${2.5 * h}`,
        `${1_764_000_000 + 5 * h}|b|sales|SIP/1001|COMPLETEAGENT|10|${4 * h}|1`,
      ].join('\n') + '\n',
    );
    const { one, two } = await both([file]);
    expect(two.report.queues.sales).toMatchObject({ offered: 2, answered: 1, abandoned: 1, avgWaitSec: 10, avgTalkSec: 4 * h });
    expect(two).toEqual(one);
  });

  it('counts damaged and skipped lines as on one thread', async () => {
    const file = path.join(tempDir(), 'queue_log');
    fs.writeFileSync(file, ['1764000000|a|sales|NONE|ENTERQUEUE||1|1', 'not a record', '1764000005|a|sales|NONE|ABAN\u0000\u0000', '1764000009|NONE|NONE|NONE|QUEUESTART|'].join('\n') + '\n');
    const { one, two } = await both([file]);
    expect(two.details.lineStats.damaged).toBe(2);
    expect(two).toEqual(one);
  });

  it('counts a record with a wait, talk or ring of more than a week as damaged, as on one thread', async () => {
    const file = path.join(tempDir(), 'queue_log');
    fs.writeFileSync(
      file,
      [
        '1764000000|a|sales|NONE|ENTERQUEUE||1|1',
        '1764000010|a|sales|SIP/1001|CONNECT|999999999|a1|4', // a wait of 31 years: a damaged field
        '1764000020|b|sales|NONE|ENTERQUEUE||2|1',
        '1764000030|b|sales|SIP/1001|RINGNOANSWER|604800001', // a ring of a week and a millisecond
        '1764000040|b|sales|NONE|ABANDON|1|1|20',
      ].join('\n') + '\n',
    );
    const { one, two } = await both([file]);
    expect(two.details.lineStats.damaged).toBe(2);
    expect(Object.keys(two.details.lineStats.reasons).join('; ')).toMatch(/queue wait \(s\) 999999999 is more than a week.*ring time \(ms\) 604800001 is more than a week|ring time \(ms\) 604800001 is more than a week.*queue wait \(s\) 999999999 is more than a week/);
    expect(two.report.queues.sales).toMatchObject({ offered: 2, answered: 0, abandoned: 1 });
    expect(two).toEqual(one);
  });

  it('names a file it cannot read, as on one thread', async () => {
    await expect(buildReport(['/nonexistent/queue_log'], { timeZone: 'UTC', threads: 'two' })).rejects.toThrow(/cannot read \/nonexistent\/queue_log/);
  });

  it('packs a batch of events so that they cross with their keys in order and their values as they were', async () => {
    const { events } = await readQueueLogFiles([FIXTURE], { timeZone: 'UTC' });
    const extra = [
      { type: 'agent.state', id: 'a1', at: 1, agentId: 'PJSIP/201', state: 'available', queues: ['sales', 'support'] },
      { type: 'agent.state', id: 'a2', at: 2, agentId: 'PJSIP/201', state: 'away', reason: 'lunch' },
      { type: 'call.queued', id: 'q1', at: 3, callId: 'c', queueId: 'sales', caller: '555' },
      { type: 'call.queued', id: 'q2', at: 4, callId: 'c', queueId: 'sales' },
    ] as FloorEvent[];
    const sent = [...events, ...extra];
    const batch = packEvents(sent);
    // Fewer key lists than events: each shape crosses once.
    expect(batch.shapes.length).toBeLessThan(20);
    const got = unpackEvents(structuredClone(batch));
    expect(got).toEqual(sent);
    expect(got.map((e) => Object.keys(e))).toEqual(sent.map((e) => Object.keys(e)));
  });
});
