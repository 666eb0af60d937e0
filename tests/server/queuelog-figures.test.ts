/**
 * Figures from what Asterisk logged (issue 12, items 1–5): waits from the data
 * fields, every verb that ends a caller's wait, repeated completion lines,
 * lines of one second in any order, and records cut by NUL bytes. Each of the
 * issue's examples is here with its value, through `floorwatch report --json`
 * and, where the issue says so, through the live tail on a real server.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { orderWithinSeconds } from '../../server/queuelog/adapter.ts';
import { QueueLogReader } from '../../server/queuelog/reader.ts';
import { buildReport, type QueueLogReport } from '../../server/queuelog/report.ts';
import { QueueLogTail } from '../../server/queuelog/tail.ts';
import type { FloorEvent } from '../../shared/events.ts';
import type { FloorPayload, QueueKpis, Snapshot } from '../../shared/wire.ts';
import { Rng } from './faults/prng.ts';
import { closeHarnessesAfterEach, FakeClock, VIEW_TOKEN, waitFor } from './harness.ts';

const ROOT = path.resolve(__dirname, '../..');
const BIN = path.join(ROOT, 'bin/floorwatch.mjs');
const run = promisify(execFile);
const quiet = { info: () => {}, warn: () => {}, error: () => {} };
const NUL = '\u0000';

/** The example of item 1, as written. */
const WAITS_EXAMPLE = [
  '1709287200|c1|sales|NONE|ENTERQUEUE||5550100|1',
  '1709287204|c1|sales|PJSIP/201|CONNECT|5|c1b|4',
  '1709287300|c1|sales|PJSIP/201|COMPLETECALLER|5|96|1',
  '1709287400|c2|sales|NONE|ENTERQUEUE||5550101|1',
  '1709287420|c2|sales|PJSIP/202|CONNECT|21|c2b|4',
  '1709287500|c2|sales|PJSIP/202|COMPLETECALLER|21|80|1',
  '1709287600|c3|sales|NONE|ENTERQUEUE||5550102|1',
  '1709287608|c3|sales|NONE|ABANDON|1|1|9',
];

function tempFile(text: string, name = 'queue_log'): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'floorwatch-figures-')), name);
  fs.writeFileSync(file, text);
  return file;
}

async function report(lines: string[]): Promise<Awaited<ReturnType<typeof buildReport>>> {
  return buildReport([tempFile(lines.join('\n') + '\n')], { timeZone: 'UTC' });
}

/** Lines fed one at a time, as the live tail reads a file written line by line (no reordering). */
function feedOneByOne(lines: string[]) {
  const reader = new QueueLogReader({ timeZone: 'UTC', name: 'test' });
  const events: FloorEvent[] = [];
  for (const l of lines) events.push(...reader.line(l));
  return { reader, events, stats: reader.stats };
}

/** Tails, live clients and servers a test starts, stopped after it in that order. */
const opened = closeHarnessesAfterEach();

/**
 * A real server whose clock starts at `startSec`, fed by a tail of a file the test writes line by
 * line: the clock moves to each line's time as Asterisk writes it.
 */
async function liveFloor(startSec: number) {
  const h = await opened.start({ clock: new FakeClock(startSec * 1000) });
  const file = tempFile('');
  const tail = new QueueLogTail({ file, timeZone: 'UTC', pollMs: 20, logger: quiet, submit: (events) => h.server.pipeline.submit(events) }).start();
  opened.track(tail);
  const write = async (line: string) => {
    const sec = Number(line.slice(0, line.indexOf('|')));
    if (Number.isFinite(sec) && sec * 1000 > h.clock.t) h.clock.t = sec * 1000;
    const read = tail.stats.lines.read;
    fs.appendFileSync(file, line + '\n');
    await waitFor(() => tail.stats.lines.read > read, 3000, `the tail to read ${line.slice(0, 60)}`);
    await waitFor(() => tail.stats.events === tail.stats.accepted + tail.stats.duplicates + tail.stats.rejected, 3000, 'the events to be submitted');
  };
  const floorQueue = async (queueId: string): Promise<QueueKpis> => {
    const c = opened.live(h, { scope: 'floor', token: VIEW_TOKEN });
    const snap = (await c.firstSnapshot) as Snapshot<FloorPayload>;
    const q = snap.payload.queues.find((x) => x.queueId === queueId);
    if (!q) throw new Error(`no queue ${queueId} on the floor`);
    return q;
  };
  return { h, tail, write, floorQueue };
}

// ------------------------------------------------------------------ 1. waits from the data fields

describe('1. waits come from the data fields, not from line times', () => {
  it("gives the issue's example avgWaitSec 13.0, maxWaitSec 21, serviceLevelPct 50.0 in floorwatch report --json", async () => {
    const file = tempFile(WAITS_EXAMPLE.join('\n') + '\n');
    const { stdout, stderr } = await run(process.execPath, [BIN, 'report', '--queue-log', file, '--json', '--tz', 'UTC'], { cwd: os.tmpdir() });
    expect(stderr).toBe('');
    const out = JSON.parse(stdout) as QueueLogReport;
    // Line times say 4 s and 20 s (mean 12.0, all within 20 s: 100 %); the fields say 5 s and 21 s.
    expect(out.queues.sales).toEqual({
      offered: 3,
      answered: 2,
      abandoned: 1,
      endLost: 0,
      transferred: 0,
      avgWaitSec: 13,
      avgTalkSec: 88,
      maxWaitSec: 21,
      serviceLevelPct: 50,
    });
  });

  it("shows the same on the live floor fed by the tail: ASA 13 s, longest wait 21 s, service level 50 %", async () => {
    const live = await liveFloor(1709287200);
    for (const line of WAITS_EXAMPLE) await live.write(line);
    const q = await live.floorQueue('sales');
    expect(q).toMatchObject({ offered: 3, answered: 2, abandoned: 1, waiting: 0, asaSec: 13, maxWaitSec: 21, serviceLevelPct: 50, longestWaitSinceMs: null });
  });

  it('reads each exit verb\'s wait from its own field, in app_queue.c\'s order', async () => {
    // Every wait field is one second more than the line times say, so a wrong field or the times show.
    const S = 1709290000;
    const lines: string[] = [];
    const exits: [string, string, number][] = [
      ['ABANDON', '2|3|31', 31], // position|origposition|wait
      ['EXITWITHTIMEOUT', '1|2|41', 41],
      ['EXITEMPTY', '1|1|51', 51],
      ['EXITWITHKEY', '5|1|2|61', 61], // key|position|origposition|wait
      ['WITHDRAW', '1|1|71|callback requested', 71], // position|origposition|wait|info
    ];
    exits.forEach(([verb, data, wait], i) => {
      const id = `x${i}`;
      lines.push(`${S + i * 1000}|${id}|sales|NONE|ENTERQUEUE||555|1`);
      lines.push(`${S + i * 1000 + wait - 1}|${id}|sales|NONE|${verb}|${data}`);
    });
    const { events } = feedOneByOne(lines);
    expect(events.filter((e) => e.type === 'call.abandoned').map((e) => [e.callId, 'waitSec' in e ? e.waitSec : undefined])).toEqual(
      exits.map(([, , wait], i) => [`x${i}`, wait]),
    );
    const { report: r, details } = await report(lines);
    expect(r.queues.sales).toMatchObject({ offered: 5, abandoned: 5, maxWaitSec: 71, serviceLevelPct: 0 });
    expect(details.open).toEqual({ waiting: 0, connected: 0 });
  });

  it('counts the service level at the threshold by the wait field: 20 s in the field is within 20 s even when the times say 21', async () => {
    const S = 1709300000;
    const { report: r } = await report([
      `${S}|a|sales|NONE|ENTERQUEUE||1|1`,
      `${S + 21}|a|sales|PJSIP/201|CONNECT|20|ab|3`, // written a second after the wait was taken
      `${S + 81}|a|sales|PJSIP/201|COMPLETEAGENT|20|60|1`,
      `${S + 100}|b|sales|NONE|ENTERQUEUE||2|1`,
      `${S + 120}|b|sales|NONE|ABANDON|1|1|21`, // 21 s in the field: an abandon after T, though the times say 20
    ]);
    expect(r.queues.sales).toMatchObject({ answered: 1, abandoned: 1, avgWaitSec: 20, maxWaitSec: 21, serviceLevelPct: 50 });
  });

  it('takes the wait from COMPLETE* and transfer lines when their CONNECT was not read', async () => {
    const S = 1709310000;
    const { report: r, events } = await (async () => {
      const lines = [
        `${S + 100}|p|sales|PJSIP/201|COMPLETECALLER|17|80|1`, // the file begins mid-call
        `${S + 200}|q|sales|PJSIP/202|BLINDTRANSFER|600|from-internal|9|50|1`,
      ];
      return { ...(await report(lines)), events: feedOneByOne(lines).events };
    })();
    expect(events.filter((e) => e.type === 'call.answered').map((e) => ('waitSec' in e ? e.waitSec : undefined))).toEqual([17, 9]);
    expect(r.queues.sales).toMatchObject({ offered: 2, answered: 2, transferred: 1, avgWaitSec: 13, maxWaitSec: 17 });
  });
});

// ------------------------------------------------------------------ 2. WITHDRAW and the other exits

describe('2. WITHDRAW and every other verb that ends a wait', () => {
  const S = 1709287200;
  const withdrawn = [`${S}|w1|sales|NONE|ENTERQUEUE||5550100|1`, `${S + 30}|w1|sales|NONE|WITHDRAW|1|1|30|callback requested`];

  it("ends the wait of the issue's withdrawn caller after 30 s, counted as abandoned (no figure of its own yet)", async () => {
    const { events } = feedOneByOne(withdrawn);
    expect(events.at(-1)).toMatchObject({ type: 'call.abandoned', at: (S + 30) * 1000, callId: 'w1', waitSec: 30 });
    const { report: r, details } = await report(withdrawn);
    expect(r.queues.sales).toMatchObject({ offered: 1, answered: 0, abandoned: 1, maxWaitSec: 30 });
    expect(details.open).toEqual({ waiting: 0, connected: 0 });
  });

  it('raises no queue-wait alert on the live floor for the withdrawn caller, while one still waiting gets one', async () => {
    const live = await liveFloor(S);
    for (const line of withdrawn) await live.write(line);
    await live.write(`${S + 40}|still|sales|NONE|ENTERQUEUE||5550199|1`);
    live.h.clock.t = (S + 40 + 300) * 1000; // five minutes on: past the queue-wait breach (120 s)
    live.h.server.tickNow();
    const waitAlerts = [...live.h.server.state().alerts.values()].filter((a) => a.ruleId === 'queue-wait');
    expect(waitAlerts.length).toBeGreaterThan(0);
    expect(live.h.server.state().calls.get('w1')?.status).toBe('abandoned');
    const q = await live.floorQueue('sales');
    expect(q).toMatchObject({ offered: 2, abandoned: 1, waiting: 1, maxWaitSec: 30 });
  });

  it('takes SYSCOMPAT as informational (app_queue writes the ABANDON after it) and AGENTDUMP as the caller waiting on', async () => {
    const T = 1709320000;
    const { report: r, details } = await report([
      `${T}|s1|sales|NONE|ENTERQUEUE||1|1`,
      `${T + 6}|s1|sales|PJSIP/201|SYSCOMPAT|`,
      `${T + 6}|s1|sales|NONE|ABANDON|1|1|6`,
      `${T + 10}|d1|sales|NONE|ENTERQUEUE||2|1`,
      `${T + 14}|d1|sales|PJSIP/202|AGENTDUMP|`, // the member hung up before the bridge: the caller waits on
      `${T + 30}|d1|sales|PJSIP/203|CONNECT|20|d1b|5`,
      `${T + 90}|d1|sales|PJSIP/203|COMPLETECALLER|20|60|1`,
    ]);
    expect(r.queues.sales).toMatchObject({ offered: 2, answered: 1, abandoned: 1, avgWaitSec: 20, maxWaitSec: 20 });
    expect(r.lines).toEqual({ read: 7, skipped: 2, damaged: 0 });
    expect(details.open).toEqual({ waiting: 0, connected: 0 });
  });

  it('counts an ABANDON written with the member\'s name (the caller hung up just before being connected) as abandoned, not answered', async () => {
    const T = 1709330000;
    const { report: r } = await report([`${T}|h1|sales|NONE|ENTERQUEUE||1|1`, `${T + 12}|h1|sales|PJSIP/201|ABANDON|1|1|12`]);
    expect(r.queues.sales).toMatchObject({ offered: 1, answered: 0, abandoned: 1, maxWaitSec: 12 });
  });

  it('ends the wait at EXITWITHKEY after the RINGCANCELED lines of the phones that rang, and the caller may go on into another queue', async () => {
    const T = 1709340000;
    const { report: r, details } = await report([
      `${T}|k1|sales|NONE|ENTERQUEUE||1|1`,
      `${T + 9}|k1|sales|PJSIP/201|RINGCANCELED|4000`,
      `${T + 9}|k1|sales|PJSIP/202|RINGCANCELED|4000`,
      `${T + 9}|k1|sales|NONE|EXITWITHKEY|0|1|1|9`,
      `${T + 9}|k1|support|NONE|ENTERQUEUE||1|1`,
      `${T + 15}|k1|support|PJSIP/301|CONNECT|6|k1c|2`,
    ]);
    expect(r.queues.sales).toMatchObject({ offered: 1, answered: 0, abandoned: 1, maxWaitSec: 9 });
    expect(r.queues.support).toMatchObject({ offered: 1, answered: 1, avgWaitSec: 6 });
    expect(r.agents['PJSIP/201']).toMatchObject({ ringCanceled: 1, ringNoAnswer: 0 });
    expect(details.open).toEqual({ waiting: 0, connected: 1 });
  });
});

// ------------------------------------------------------------------ 3. repeated completion lines

describe('3. a repeated completion line is not a new call', () => {
  const S = 1709350000;
  const call = [`${S}|r1|sales|NONE|ENTERQUEUE||5550100|1`, `${S + 6}|r1|sales|PJSIP/201|CONNECT|6|r1b|2`];

  it("gives offered 1, answered 1 for the issue's two COMPLETEAGENT lines (origposition 1 and 4)", async () => {
    const lines = [...call, `${S + 234}|r1|sales|PJSIP/201|COMPLETEAGENT|6|228|1`, `${S + 234}|r1|sales|PJSIP/201|COMPLETEAGENT|6|228|4`];
    const { report: r } = await report(lines);
    expect(r.queues.sales).toMatchObject({ offered: 1, answered: 1, abandoned: 0, avgWaitSec: 6, avgTalkSec: 228 });
    expect(r.agents['PJSIP/201']).toMatchObject({ answered: 1, avgTalkSec: 228 });
    expect(r.lines).toEqual({ read: 4, skipped: 1, damaged: 0 });
    const { stats } = feedOneByOne(lines);
    expect(stats.reasons['COMPLETEAGENT of a call that had ended: a repeated or late line of that call, not a new call']).toBe(1);
  });

  it('treats a repeat written a second later, a repeated exit and a repeated transfer alike', async () => {
    const { report: r, details } = await report([
      ...call,
      `${S + 234}|r1|sales|PJSIP/201|COMPLETECALLER|6|228|1`,
      `${S + 235}|r1|sales|PJSIP/201|COMPLETECALLER|6|228|3`,
      `${S + 300}|r2|sales|NONE|ENTERQUEUE||2|1`,
      `${S + 310}|r2|sales|NONE|ABANDON|1|1|10`,
      `${S + 311}|r2|sales|NONE|ABANDON|1|2|10`,
      `${S + 400}|r3|sales|NONE|ENTERQUEUE||3|1`,
      `${S + 403}|r3|sales|PJSIP/202|CONNECT|3|r3b|1`,
      `${S + 443}|r3|sales|PJSIP/202|BLINDTRANSFER|600|from-internal|3|40|1`,
      `${S + 443}|r3|sales|PJSIP/202|BLINDTRANSFER|600|from-internal|3|40|2`,
    ]);
    expect(r.queues.sales).toMatchObject({ offered: 3, answered: 2, abandoned: 1, transferred: 1, avgTalkSec: 134 });
    expect(details.open).toEqual({ waiting: 0, connected: 0 });
  });

  it('takes a completion line repeated on a call rebuilt from it (the file began mid-call) as a repeat too', async () => {
    const { report: r } = await report([`${S + 100}|m1|sales|PJSIP/201|COMPLETEAGENT|6|90|1`, `${S + 100}|m1|sales|PJSIP/201|COMPLETEAGENT|6|90|4`]);
    expect(r.queues.sales).toMatchObject({ offered: 1, answered: 1 });
  });

  it('still opens a new leg for a later line whose own times begin after the end (its ENTERQUEUE lost)', async () => {
    const { report: r } = await report([
      ...call,
      `${S + 100}|r1|sales|PJSIP/201|COMPLETECALLER|6|94|1`,
      // A second leg whose ENTERQUEUE was not logged: it waited 5 s and talked 20 s from 200 s on.
      `${S + 225}|r1|sales|PJSIP/202|COMPLETECALLER|5|20|1`,
    ]);
    expect(r.queues.sales).toMatchObject({ offered: 2, answered: 2 });
  });
});

// ------------------------------------------------------------------ 4. order inside one second

describe('4. order inside one second', () => {
  const S = 1709360000;

  it('does not open a second call for an ABANDON read before the RINGCANCELED of the same second: offered 1, nobody waiting', async () => {
    const lines = [`${S}|o1|sales|NONE|ENTERQUEUE||5550100|1`, `${S + 25}|o1|sales|NONE|ABANDON|1|1|25`, `${S + 25}|o1|sales|PJSIP/201|RINGCANCELED|19000`];
    const { report: r, details } = await report(lines);
    expect(r.queues.sales).toMatchObject({ offered: 1, abandoned: 1, maxWaitSec: 25 });
    // Read in Asterisk's order, the cancelled ring still counts for the member.
    expect(r.agents['PJSIP/201']).toMatchObject({ ringCanceled: 1, ringNoAnswer: 0 });
    expect(details.open).toEqual({ waiting: 0, connected: 0 });
    // Fed one line at a time (a tail that read the two in two polls): the late line is that call's.
    const one = feedOneByOne(lines);
    expect(one.reader.adapter.openCalls()).toEqual([]);
    expect(new Set(one.events.flatMap((e) => ('callId' in e ? [e.callId] : [])))).toEqual(new Set(['o1']));
    expect(one.stats.reasons['RINGCANCELED of a call that had ended: a repeated or late line of that call, not a new call']).toBe(1);
  });

  it('reads the other kinds of a second out of order as one call: CONNECT before ENTERQUEUE, COMPLETE before CONNECT, rings after the answer', async () => {
    const inOrder = [
      `${S + 100}|z1|sales|NONE|ENTERQUEUE||1|1`,
      `${S + 100}|z1|sales|PJSIP/201|CONNECT|0|z1b|0`,
      `${S + 160}|z1|sales|PJSIP/201|COMPLETECALLER|0|60|1`,
      `${S + 200}|z2|sales|NONE|ENTERQUEUE||2|1`,
      `${S + 215}|z2|sales|PJSIP/202|RINGNOANSWER|15000`,
      `${S + 215}|z2|sales|PJSIP/203|RINGNOANSWER|15000`,
      `${S + 221}|z2|sales|PJSIP/204|CONNECT|21|z2b|5`,
      `${S + 221}|z2|sales|PJSIP/204|COMPLETEAGENT|21|0|1`,
    ];
    const shuffled = [inOrder[1], inOrder[0], inOrder[2], inOrder[3], inOrder[7], inOrder[6], inOrder[5], inOrder[4]];
    const a = await report(inOrder);
    const b = await report(shuffled);
    expect(b.report).toEqual(a.report);
    expect(a.report.queues.sales).toMatchObject({ offered: 2, answered: 2, avgWaitSec: 10.5, maxWaitSec: 21, avgTalkSec: 30 });
    expect(a.report.agents['PJSIP/202']).toMatchObject({ ringNoAnswer: 1 });
    expect(b.details.open).toEqual({ waiting: 0, connected: 0 });
  });

  it('keeps the legs of a caller who leaves one queue and enters another in the same second, whatever the order', async () => {
    const inOrder = [
      `${S + 300}|v1|sales|NONE|ENTERQUEUE||1|1`,
      `${S + 360}|v1|sales|NONE|EXITWITHTIMEOUT|1|1|60`,
      `${S + 360}|v1|support|NONE|ENTERQUEUE||1|1`, // overflow to another queue
      `${S + 365}|v1|support|PJSIP/301|CONNECT|5|v1b|2`,
      `${S + 400}|v1|support|PJSIP/301|BLINDTRANSFER|700|queues|5|35|1`,
      `${S + 400}|v1|billing|NONE|ENTERQUEUE||1|1`, // transferred into a queue
      `${S + 400}|v1|billing|PJSIP/401|CONNECT|0|v1c|0`,
    ];
    // The transfer is written from the bridge's Stasis callback: it may follow the next ENTERQUEUE.
    const shuffled = [inOrder[0], inOrder[2], inOrder[1], inOrder[3], inOrder[6], inOrder[5], inOrder[4]];
    const a = await report(inOrder);
    const b = await report(shuffled);
    expect(b.report).toEqual(a.report);
    expect(a.report.queues).toMatchObject({
      sales: { offered: 1, abandoned: 1, maxWaitSec: 60 },
      support: { offered: 1, answered: 1, transferred: 1, avgWaitSec: 5 },
      billing: { offered: 1, answered: 1, avgWaitSec: 0 },
    });
  });

  it('gives exactly the same report for a generated 2,000-call queue_log whose same-second lines are shuffled', async () => {
    const gen = generateQueueLog(12, 2000);
    const rng = new Rng(99);
    const bySecond = new Map<string, string[]>();
    for (const l of gen.lines) {
      const sec = l.slice(0, l.indexOf('|'));
      const list = bySecond.get(sec);
      if (list) list.push(l);
      else bySecond.set(sec, [l]);
    }
    const shuffled = [...bySecond.values()].flatMap((group) => rng.shuffle([...group]));
    expect(shuffled).not.toEqual(gen.lines);
    expect(gen.sameSecondGroups).toBeGreaterThan(600); // 721 groups of one call's lines sharing a second: what the shuffle can break

    const a = await report(gen.lines);
    const b = await report(shuffled);
    expect(b.report).toEqual(a.report);
    expect(b.details.open).toEqual(a.details.open);

    // And the unshuffled figures are the generator's own.
    for (const [q, e] of Object.entries(gen.expect.queues)) {
      expect(a.report.queues[q], q).toMatchObject({
        offered: e.offered,
        answered: e.answered,
        abandoned: e.abandoned,
        transferred: e.transferred,
        avgWaitSec: Math.round((e.waitSum / e.answered) * 10) / 10,
        maxWaitSec: e.maxWait,
      });
    }
    for (const [agent, e] of Object.entries(gen.expect.agents)) {
      expect(a.report.agents[agent], agent).toMatchObject({ answered: e.answered, ringNoAnswer: e.ringNoAnswer, ringCanceled: e.ringCanceled });
    }
    expect(a.details.open).toEqual({ waiting: 0, connected: 0 });
    expect(a.report.lines).toEqual({ read: gen.lines.length, skipped: gen.expect.skipped, damaged: 0 });
  });

  it('orders only one call\'s lines of one second among the places they hold, and leaves every other line where it is', () => {
    const recs = ['2|c|q|NONE|ABANDON|1|1|5', '2|d|q|A|PAUSE|', '2|e|q|NONE|ENTERQUEUE||1|1', '2|c|q|A|RINGCANCELED|3000', '3|c|q|NONE|ENTERQUEUE||1|1'].map((raw) => {
      const f = raw.split('|');
      return { raw, atMs: Number(f[0]) * 1000, callId: f[1], verb: f[4], data: f.slice(5) };
    });
    const ordered = orderWithinSeconds(recs, (r) => r as never);
    expect(ordered.map((r) => r.raw)).toEqual(['2|c|q|A|RINGCANCELED|3000', '2|d|q|A|PAUSE|', '2|e|q|NONE|ENTERQUEUE||1|1', '2|c|q|NONE|ABANDON|1|1|5', '3|c|q|NONE|ENTERQUEUE||1|1']);
  });
});

// ------------------------------------------------------------------ 5. records cut by NULs

describe('5. a record whose verb is cut by NUL bytes', () => {
  const S = 1709287400;
  const cut = [`${S}|c2|sales|NONE|ENTERQUEUE||5550101|1`, `${S + 8}|c2|sales|NONE|ABAN${NUL.repeat(64)}`];

  it("is damaged, not skipped, and closes the issue's caller as lost at its time instead of leaving them waiting", async () => {
    const { report: r, details } = await report(cut);
    expect(r.lines).toEqual({ read: 2, skipped: 0, damaged: 1 });
    expect(details.lineStats.damagedSamples[0].reason).toBe('cut short by NUL bytes: verb "ABAN" not known, perhaps cut too');
    expect(r.queues.sales).toMatchObject({ offered: 1, answered: 0, abandoned: 0, endLost: 1, maxWaitSec: 0, serviceLevelPct: null });
    expect(details.open).toEqual({ waiting: 0, connected: 0 });
    const { events } = feedOneByOne(cut);
    expect(events.at(-1)).toMatchObject({ type: 'call.lost', at: (S + 8) * 1000, callId: 'c2' });
  });

  it('leaves nobody waiting on the live floor fed by the tail', async () => {
    const live = await liveFloor(S);
    for (const line of cut) await live.write(line);
    const q = await live.floorQueue('sales');
    expect(q).toMatchObject({ offered: 1, abandoned: 0, endLost: 1, waiting: 0, longestWaitSinceMs: null });
    expect(live.tail.stats.lines).toMatchObject({ read: 2, damaged: 1 });
  });

  it('is corrected by a later line of the call: a cut RINGNOANSWER, then the CONNECT', async () => {
    const { report: r, details } = await report([
      `${S}|c4|sales|NONE|ENTERQUEUE||1|1`,
      `${S + 15}|c4|sales|PJSIP/201|RINGNOANS${NUL.repeat(10)}`,
      `${S + 22}|c4|sales|PJSIP/202|CONNECT|22|c4b|6`,
    ]);
    expect(r.queues.sales).toMatchObject({ offered: 1, answered: 1, endLost: 0, avgWaitSec: 22 });
    expect(details.engine).toMatchObject({ endLost: 0, endLostCorrected: 1 });
  });

  it('also closes a call whose known verb lost its data fields, and a restart after it does not count it twice', async () => {
    const { report: r, details } = await report([
      `${S}|c5|sales|NONE|ENTERQUEUE||1|1`,
      `${S + 9}|c5|sales|PJSIP/201|CONNECT|9${NUL.repeat(20)}`,
      `${S + 600}|NONE|NONE|NONE|QUEUESTART|`,
      `${S + 700}|c6|sales|NONE|ENTERQUEUE||2|1`,
      `${S + 701}|c6|sales|NONE|ABA${NUL.repeat(5)}`,
      `${S + 702}|NONE|sales|PJSIP/201|PAUS${NUL.repeat(5)}`, // no call named: damaged only
    ]);
    expect(r.lines).toEqual({ read: 6, skipped: 1, damaged: 3 });
    expect(r.queues.sales).toMatchObject({ offered: 2, answered: 0, abandoned: 0, endLost: 2 });
    expect(details.open).toEqual({ waiting: 0, connected: 0 });
  });
});

// ------------------------------------------------------------------ the generator

interface QueueExpect {
  offered: number;
  answered: number;
  abandoned: number;
  transferred: number;
  waitSum: number;
  maxWait: number;
}
interface AgentExpect {
  answered: number;
  ringNoAnswer: number;
  ringCanceled: number;
}

/**
 * A seeded queue_log of `calls` callers as app_queue writes it, rich in lines of one call that
 * share a second: answers within the second of entry, ringall timeouts (one RINGNOANSWER per member
 * in one second), RINGCANCELED then ABANDON or EXITWITHKEY, zero-second talks, overflow into
 * another queue and transfers into a queue in the second the previous leg ended (the transfer line
 * coming from another thread, sometimes after the new ENTERQUEUE), repeated completion lines, and
 * pauses. Members are never rung while busy, paused or ringing for another caller (ringinuse=no),
 * and wrap up for 2–10 s. Lines are in time order; within a second, in the order written.
 */
function generateQueueLog(seed: number, calls: number) {
  const rng = new Rng(seed);
  const START = 1709280000; // 2024-03-01 08:00 UTC
  const queues: Record<string, string[]> = {
    sales: Array.from({ length: 20 }, (_, i) => `PJSIP/2${String(i + 1).padStart(2, '0')}`),
    support: Array.from({ length: 16 }, (_, i) => `PJSIP/3${String(i + 1).padStart(2, '0')}`),
  };
  const other = (q: string) => (q === 'sales' ? 'support' : 'sales');
  const busyUntil = new Map<string, number>();
  const out: { ms: number; seq: number; text: string }[] = [];
  let seq = 0;
  const line = (ms: number, text: string) => out.push({ ms: Math.floor(ms / 1000) * 1000, seq: seq++, text: `${Math.floor(ms / 1000)}|${text}` });
  const sec = (ms: number) => Math.floor(ms / 1000);
  const expect = { queues: {} as Record<string, QueueExpect>, agents: {} as Record<string, AgentExpect>, skipped: 0 };
  const q$ = (q: string) => (expect.queues[q] ??= { offered: 0, answered: 0, abandoned: 0, transferred: 0, waitSum: 0, maxWait: 0 });
  const a$ = (a: string) => (expect.agents[a] ??= { answered: 0, ringNoAnswer: 0, ringCanceled: 0 });
  const startMs = START * 1000;
  for (const [q, members] of Object.entries(queues)) for (const m of members) line(startMs, `NONE|${q}|${m}|ADDMEMBER|`);

  /**
   * One leg of call `id` in queue `q` from `enterMs`, written line by line. A leg that follows
   * another in the same second (`follows`) waits at least a second before anything else happens.
   */
  const leg = (id: string, q: string, enterMs: number, depth: number, follows = false): void => {
    q$(q).offered++;
    line(enterMs, `${id}|${q}|NONE|ENTERQUEUE||555${rng.int(1000, 9999)}|${rng.int(1, 3)}`);
    const patienceMs = !follows && rng.bool(0.1) ? rng.int(0, 3000) : rng.int(5000, 150_000);
    const giveUpAt = enterMs + patienceMs;
    let now = enterMs + (!follows && rng.bool(0.4) ? rng.int(0, 900) : rng.int(1000, 4000));
    /** The caller goes on into the other queue in the same second (overflow, a transfer to a queue). */
    const goesOn = (atMs: number) => depth < 2 && sec(atMs) > sec(enterMs);
    const exit = (atMs: number, canceled: string[], ringStartMs: number) => {
      const wait = sec(atMs) - sec(enterMs);
      for (const m of canceled) {
        line(atMs, `${id}|${q}|${m}|RINGCANCELED|${atMs - ringStartMs}`);
        a$(m).ringCanceled++;
      }
      const e = q$(q);
      e.abandoned++;
      e.maxWait = Math.max(e.maxWait, wait);
      const pos = rng.int(1, 3);
      const verb = canceled.length ? rng.pick(['ABANDON', 'ABANDON', 'EXITWITHKEY']) : rng.pick(['ABANDON', 'ABANDON', 'EXITWITHTIMEOUT', 'EXITEMPTY', 'WITHDRAW', 'EXITWITHKEY']);
      if (verb === 'EXITWITHKEY') line(atMs, `${id}|${q}|NONE|EXITWITHKEY|${rng.int(0, 9)}|${pos}|${pos}|${wait}`);
      else if (verb === 'WITHDRAW') line(atMs, `${id}|${q}|NONE|WITHDRAW|${pos}|${pos}|${wait}|callback`);
      else line(atMs, `${id}|${q}|NONE|${verb}|${pos}|${pos}|${wait}`);
      if (verb !== 'ABANDON' && verb !== 'WITHDRAW' && goesOn(atMs) && rng.bool(0.5)) leg(id, other(q), atMs + rng.int(0, 999 - (atMs % 1000)), depth + 1, true);
    };
    for (;;) {
      const free = queues[q].filter((m) => (busyUntil.get(m) ?? 0) <= now);
      if (free.length === 0) {
        const next = now + 5000; // app_queue's retry
        if (next >= giveUpAt) return exit(Math.max(now, giveUpAt), [], now);
        now = next;
        continue;
      }
      const rung = rng.shuffle(free).slice(0, rng.pick([1, 1, 2, 3]));
      const ringStart = now;
      const timeoutMs = 15_000;
      const answerIn = rng.bool(0.7) ? (rng.bool(0.3) ? rng.int(0, 900) : rng.int(1000, 14_000)) : undefined;
      const hangupIn = giveUpAt - ringStart;
      if (hangupIn < timeoutMs && (answerIn === undefined || hangupIn < answerIn)) {
        // The caller leaves while the phones ring: a RINGCANCELED for each, then the exit.
        const at = Math.max(ringStart, giveUpAt);
        for (const m of rung) busyUntil.set(m, at + 1000);
        return exit(at, rung, ringStart);
      }
      if (answerIn === undefined) {
        // Nobody answers within the timeout: one RINGNOANSWER per member rung, all in one second.
        const at = ringStart + timeoutMs;
        for (const m of rung) {
          line(at, `${id}|${q}|${m}|RINGNOANSWER|${timeoutMs}`);
          a$(m).ringNoAnswer++;
          busyUntil.set(m, at + 1000);
        }
        now = at + rng.int(0, 2000);
        continue;
      }
      // Answered by one member; the others' phones are hung up without a line.
      const agent = rung[0];
      const connectMs = ringStart + answerIn;
      for (const m of rung.slice(1)) busyUntil.set(m, connectMs + 1000);
      const wait = sec(connectMs) - sec(enterMs);
      line(connectMs, `${id}|${q}|${agent}|CONNECT|${wait}|${id}b|${sec(connectMs) - sec(ringStart)}`);
      const e = q$(q);
      e.answered++;
      e.waitSum += wait;
      e.maxWait = Math.max(e.maxWait, wait);
      a$(agent).answered++;
      const talkMs = rng.bool(0.1) ? rng.int(0, 999 - (connectMs % 1000)) : rng.int(1000, 150_000);
      const endMs = connectMs + talkMs;
      const talk = sec(endMs) - sec(connectMs);
      busyUntil.set(agent, endMs + rng.int(2000, 10_000));
      const pos = rng.int(1, 3);
      const how = rng.next();
      if (how < 0.1 && goesOn(endMs)) {
        // Transferred into the other queue. The BLINDTRANSFER comes from the bridge's Stasis
        // callback, the new ENTERQUEUE from the caller's thread: either may be written first.
        e.transferred++;
        const transfer = `${sec(endMs)}|${id}|${q}|${agent}|BLINDTRANSFER|700|queues|${wait}|${talk}|${pos}`;
        const first = out.length;
        if (rng.bool(0.5)) line(endMs, transfer.slice(transfer.indexOf('|') + 1));
        leg(id, other(q), endMs, depth + 1, true);
        if (out.length > first && !out[first].text.includes('BLINDTRANSFER')) out.push({ ms: sec(endMs) * 1000, seq: out[first].seq + 0.5, text: transfer });
      } else if (how < 0.15) {
        e.transferred++;
        line(endMs, `${id}|${q}|${agent}|ATTENDEDTRANSFER|BRIDGE|b-${id}|${wait}|${talk}|${pos}`);
      } else {
        const verb = rng.bool(0.5) ? 'COMPLETECALLER' : 'COMPLETEAGENT';
        line(endMs, `${id}|${q}|${agent}|${verb}|${wait}|${talk}|${pos}`);
        if (rng.bool(0.03)) {
          line(endMs, `${id}|${q}|${agent}|${verb}|${wait}|${talk}|${pos + 3}`); // the repeated completion line
          expect.skipped++;
        }
      }
      return;
    }
  };

  let arrival = startMs + 5000;
  for (let n = 0; n < calls; n++) {
    arrival += rng.int(0, 6000);
    // Now and then a free member takes a break.
    if (rng.bool(0.03)) {
      const q = rng.pick(Object.keys(queues));
      const m = rng.pick(queues[q]);
      if ((busyUntil.get(m) ?? 0) <= arrival) {
        line(arrival, `NONE|${q}|${m}|PAUSE|break`);
        line(arrival + 120_000, `NONE|${q}|${m}|UNPAUSE|`);
        busyUntil.set(m, arrival + 121_000);
      }
    }
    leg(`${START + n}.${n}`, rng.pick(Object.keys(queues)), arrival, 0);
  }
  out.sort((a, b) => a.ms - b.ms || a.seq - b.seq);
  const lines = out.map((l) => l.text);
  // How many groups of one call's lines share a second.
  const groups = new Map<string, number>();
  for (const l of lines) {
    const f = l.split('|');
    if (f[1] === 'NONE') continue;
    const k = `${f[0]}|${f[1]}`;
    groups.set(k, (groups.get(k) ?? 0) + 1);
  }
  const sameSecondGroups = [...groups.values()].filter((n) => n > 1).length;
  return { lines, expect, sameSecondGroups };
}
