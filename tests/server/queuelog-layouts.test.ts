/**
 * Exports of the queue_log table as people have them (issue 12, items 6–8):
 * read by column names in every layout, a file Floorwatch cannot read is an
 * error (report, replay and the live tail say so), and whole files are read
 * in time and memory linear in the file.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { QueueLogParser } from '../../server/queuelog/parse.ts';
import { loadQueueLogFiles, QueueLogLayoutError, QueueLogReader, readQueueLogFiles, REORDER_WINDOW_MS, STEADY_WINDOW_MS } from '../../server/queuelog/reader.ts';
import { buildReport, type QueueLogReport } from '../../server/queuelog/report.ts';
import { QueueLogTail, TAIL_JUDGE_AFTER } from '../../server/queuelog/tail.ts';
import { generateQueueLog } from '../../bench/lib/queuelog-gen.ts';
import type { FloorEvent } from '../../shared/events.ts';
import { getJson, startHarness, waitFor, type Harness } from './harness.ts';

/** 2026-11-24T09:00:00Z in epoch seconds: 10:00 in Berlin. */
const B = 1_795_510_800;
const quiet: Pick<Console, 'info' | 'warn' | 'error'> = { info: () => {}, warn: () => {}, error: () => {} };

function tempFile(text: string, name = 'queue_log'): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'floorwatch-layouts-')), name);
  fs.writeFileSync(file, text);
  return file;
}

/** Berlin wall time of B + dt, as the realtime table stores it (`%F %T.%6q`, the PBX's local time). */
function berlin(dt: number, micros = '000000'): string {
  const d = new Date((B + dt + 3600) * 1000).toISOString();
  return `${d.slice(0, 10)} ${d.slice(11, 19)}.${micros}`;
}

type Line = [dt: number, callId: string, queue: string, agent: string, verb: string, ...data: (string | number)[]];

/**
 * Four calls and a member's break in the sales queue, with known figures:
 * c1 answered after 8 s, talk 120; c2 rang PJSIP/202 15 s (no answer), answered by PJSIP/203 after
 * 30 s, talk 90; c3 hung up after 25 s; c4 timed out after 300 s.
 */
const CALLS: Line[] = [
  [-60, 'NONE', 'sales', 'PJSIP/201', 'ADDMEMBER', ''],
  [0, 'c1', 'sales', 'NONE', 'ENTERQUEUE', '', '5550100', 1],
  [8, 'c1', 'sales', 'PJSIP/201', 'CONNECT', 8, 'c1b', 3],
  [30, 'c2', 'sales', 'NONE', 'ENTERQUEUE', '', '5550101', 1],
  [45, 'c2', 'sales', 'PJSIP/202', 'RINGNOANSWER', 15000],
  [60, 'c2', 'sales', 'PJSIP/203', 'CONNECT', 30, 'c2b', 10],
  [100, 'c3', 'sales', 'NONE', 'ENTERQUEUE', '', '5550102', 1],
  [125, 'c3', 'sales', 'NONE', 'ABANDON', 1, 1, 25],
  [128, 'c1', 'sales', 'PJSIP/201', 'COMPLETECALLER', 8, 120, 1],
  [130, 'NONE', 'NONE', 'PJSIP/201', 'PAUSE', 'lunch'],
  [150, 'c2', 'sales', 'PJSIP/203', 'COMPLETEAGENT', 30, 90, 1],
  [200, 'c4', 'sales', 'NONE', 'ENTERQUEUE', '', '5550103', 1],
  [200, 'NONE', 'NONE', 'PJSIP/201', 'UNPAUSE', ''],
  [500, 'c4', 'sales', 'NONE', 'EXITWITHTIMEOUT', 1, 1, 300],
];

/** The figures of {@link CALLS}: SL = within 20 s (c1) ÷ (2 answered + 2 abandoned after 20 s). */
const KNOWN: Omit<QueueLogReport, 'lines'> = {
  queues: {
    sales: { offered: 4, answered: 2, abandoned: 2, endLost: 0, transferred: 0, avgWaitSec: 19, avgTalkSec: 105, maxWaitSec: 300, serviceLevelPct: 25 },
  },
  agents: {
    // Paused for lunch from 130 s to 200 s.
    'PJSIP/201': { answered: 1, ringNoAnswer: 0, ringCanceled: 0, avgTalkSec: 120, breaches: {}, awaySecByDay: { '2026-11-24': { lunch: 70 } } },
    'PJSIP/202': { answered: 0, ringNoAnswer: 1, ringCanceled: 0, avgTalkSec: null, breaches: {} },
    'PJSIP/203': { answered: 1, ringNoAnswer: 0, ringCanceled: 0, avgTalkSec: 90, breaches: {} },
  },
};

/** The data fields of a line, five columns (data1…data5). */
const five = (data: (string | number)[]) => [0, 1, 2, 3, 4].map((i) => (data[i] === undefined ? '' : String(data[i])));

const LAYOUTS: Record<string, { text: () => string; tz: string; lines: QueueLogReport['lines'] }> = {
  'a queue_log file': {
    tz: 'UTC',
    text: () => CALLS.map(([dt, ...rest]) => [B + dt, ...rest].join('|')).join('\n') + '\n',
    lines: { read: 14, skipped: 0, damaged: 0 },
  },
  // Asterisk's realtime table with both columns (queue_adaptive_realtime on: `data` left empty), as psql prints it.
  'the realtime table with data and data1…data5, psql': {
    tz: 'Europe/Berlin',
    text: () =>
      [
        ' id |            time            | callid | queuename |   agent   |      event      | data | data1 | data2   | data3 | data4 | data5',
        '----+----------------------------+--------+-----------+-----------+-----------------+------+-------+---------+-------+-------+-------',
        ...CALLS.map(([dt, callId, queue, agent, verb, ...data], i) => ` ${i + 1} | ${berlin(dt, '250000')} | ${callId} | ${queue} | ${agent} | ${verb} |  | ${five(data).join(' | ')}`),
        `(${CALLS.length} rows)`,
      ].join('\n') + '\n',
    lines: { read: 17, skipped: 3, damaged: 0 },
  },
  // The same table as the mysql client prints it, with its footer.
  'the realtime table with data and data1…data5, mysql': {
    tz: 'Europe/Berlin',
    text: () => {
      const border = '+----+----------------------------+--------+-----------+-----------+-----------------+------+-------+---------+-------+-------+-------+';
      return (
        [
          border,
          '| id | time                       | callid | queuename | agent     | event           | data | data1 | data2   | data3 | data4 | data5 |',
          border,
          ...CALLS.map(([dt, callId, queue, agent, verb, ...data], i) => `| ${i + 1} | ${berlin(dt)} | ${callId} | ${queue} | ${agent} | ${verb} | NULL | ${five(data).join(' | ')} |`),
          border,
          `${CALLS.length} rows in set (0.00 sec)`,
        ].join('\n') + '\n'
      );
    },
    lines: { read: 19, skipped: 5, damaged: 0 },
  },
  // queue_adaptive_realtime off: one `data` column holding the fields joined with "|", data1…data5 NULL; CSV.
  'the realtime table with the joined data column, CSV': {
    tz: 'Europe/Berlin',
    text: () =>
      [
        'id,time,callid,queuename,agent,event,data,data1,data2,data3,data4,data5',
        ...CALLS.map(([dt, callId, queue, agent, verb, ...data], i) => `${i + 1},"${berlin(dt)}",${callId},${queue},${agent},${verb},"${data.join('|')}",\\N,\\N,\\N,\\N,\\N`),
      ].join('\n') + '\n',
    lines: { read: 15, skipped: 1, damaged: 0 },
  },
  // QueueMetrics' queue_log table, as `mysql -B` prints it (tab-separated).
  "QueueMetrics' table, TSV": {
    tz: 'UTC',
    text: () =>
      [
        ['partition', 'time_id', 'call_id', 'queue', 'agent', 'verb', 'data1', 'data2', 'data3', 'data4', 'data5', 'serverid', 'unique_row_count'].join('\t'),
        ...CALLS.map(([dt, callId, queue, agent, verb, ...data], i) => ['P001', B + dt, callId, queue, agent, verb, ...five(data), '1', 1000 + i].join('\t')),
      ].join('\n') + '\n',
    lines: { read: 15, skipped: 1, damaged: 0 },
  },
  // The other names, in another order: date_time (local), call_id, queue_name, verb, param1…param5, uid.
  'other column names in another order, CSV': {
    tz: 'Europe/Berlin',
    text: () =>
      [
        'verb,uid,call_id,param1,param2,param3,param4,param5,agent,queue_name,date_time',
        ...CALLS.map(([dt, callId, queue, agent, verb, ...data], i) => [verb, 500 + i, callId, ...five(data), agent, queue, berlin(dt).slice(0, 19)].join(',')),
      ].join('\n') + '\n',
    lines: { read: 15, skipped: 1, damaged: 0 },
  },
};

describe('6. table exports read by column names', () => {
  for (const [name, layout] of Object.entries(LAYOUTS)) {
    it(`gives the known figures for ${name}`, async () => {
      const { report, details } = await buildReport([tempFile(layout.text())], { timeZone: layout.tz });
      expect(report).toEqual({ ...KNOWN, lines: layout.lines });
      expect(details.problems).toEqual([]);
    });
  }

  it("reads the issue's CONNECT/COMPLETECALLER pair of a realtime table with both data and data1…data5: answered 1, wait 12, talk 100", async () => {
    const text = [
      ' id |            time            |    callid    | queuename |   agent   |     event      | data | data1 |    data2     | data3 | data4 | data5',
      '----+----------------------------+--------------+-----------+-----------+----------------+------+-------+--------------+-------+-------+-------',
      '  1 | 2026-11-24 10:00:20.000000 | 1795510808.1 | sales     | PJSIP/201 | CONNECT        |      | 12    | 1795510816.2 | 4     |       |',
      '  2 | 2026-11-24 10:02:00.000000 | 1795510808.1 | sales     | PJSIP/201 | COMPLETECALLER |      | 12    | 100          | 1     |       |',
      '(2 rows)',
    ].join('\n');
    const { report } = await buildReport([tempFile(text)], { timeZone: 'Europe/Berlin' });
    expect(report.queues.sales).toEqual({ offered: 1, answered: 1, abandoned: 0, endLost: 0, transferred: 0, avgWaitSec: 12, avgTalkSec: 100, maxWaitSec: 12, serviceLevelPct: 100 });
    expect(report.agents['PJSIP/201']).toEqual({ answered: 1, ringNoAnswer: 0, ringCanceled: 0, avgTalkSec: 100, breaches: {} });
    expect(report.lines).toEqual({ read: 5, skipped: 3, damaged: 0 });
  });

  it("takes the mysql client's footers and psql's row count as what they are, not as damaged lines", () => {
    const parser = new QueueLogParser({ timeZone: 'UTC', name: 'x' });
    for (const footer of ['85 rows in set (0.00 sec)', '1 row in set (0.01 sec)', '3 rows in set, 1 warning (0.02 sec)', 'Empty set (0.00 sec)', '(1 row)', '(85 rows)']) {
      expect(parser.parseLine(footer)).toEqual([{ kind: 'skipped', reason: 'table footer of an export', where: `x:${parser['lineNo']}` }]);
    }
  });

  it('takes a data column that holds the fields when data1…data5 are empty, and data1…data5 when they are not', () => {
    const parser = new QueueLogParser({ timeZone: 'UTC', name: 'x' });
    parser.parseLine('time,callid,queuename,agent,event,data,data1,data2,data3,data4,data5');
    const data = (line: string) => {
      const [r] = parser.parseLine(line);
      return r.kind === 'record' ? r.record.data : r;
    };
    expect(data(`${B},c1,sales,PJSIP/201,CONNECT,,12,c1b,4,,`)).toEqual(['12', 'c1b', '4']);
    expect(data(`${B},c1,sales,PJSIP/201,CONNECT,"12|c1b|4",,,,,`)).toEqual(['12', 'c1b', '4']);
    expect(data(`${B},c1,sales,PJSIP/201,CONNECT,"12|c1b|4",\\N,NULL,\\N,\\N,\\N`)).toEqual(['12', 'c1b', '4']);
    expect(data(`${B},c1,sales,NONE,ENTERQUEUE,,,5550100,1,,`)).toEqual(['', '5550100', '1']);
    expect(data(`${B},c1,sales,NONE,ENTERQUEUE,"|5550100|1",,,,,`)).toEqual(['', '5550100', '1']);
    // Both written: the numbered columns are the fields.
    expect(data(`${B},c1,sales,PJSIP/201,CONNECT,"99|x|1",12,c1b,4,,`)).toEqual(['12', 'c1b', '4']);
  });

  it('orders rows of one second by the row id (unique_row_count): a PAUSE and UNPAUSE exported the wrong way round', async () => {
    const head = ['partition', 'time_id', 'call_id', 'queue', 'agent', 'verb', 'data1', 'data2', 'data3', 'data4', 'data5', 'serverid', 'unique_row_count'].join(',');
    const rows = [
      `P001,${B},NONE,sales,Agent/101,ADDMEMBER,,,,,,1,7`,
      // Sorted by time_id alone, the same second's rows came out in any order; the row id says PAUSE was first.
      `P001,${B + 60},NONE,NONE,Agent/101,UNPAUSE,,,,,,1,9`,
      `P001,${B + 60},NONE,NONE,Agent/101,PAUSE,coffee,,,,,1,8`,
    ];
    const states = async (lines: string[]) => {
      const { events } = await readQueueLogFiles([tempFile([head, ...lines].join('\n'))], { timeZone: 'UTC' });
      return events.map((e) => (e.type === 'agent.state' ? `${e.state}${e.reason ? ` ${e.reason}` : ''}` : e.type));
    };
    expect(await states(rows)).toEqual(['available', 'away coffee', 'available']);
    // Newest first (ORDER BY time_id DESC, unique_row_count DESC): the same.
    expect(await states([...rows].reverse())).toEqual(['available', 'away coffee', 'available']);
    // Without the row id the export's order is all there is.
    const noId = rows.map((r) => r.replace(/,\d+$/, ','));
    expect(await states(noId)).toEqual(['available', 'available', 'away coffee']);
  });

  it('reads the leading id of an export without a header as its row id', () => {
    const parser = new QueueLogParser({ timeZone: 'UTC', name: 'x' });
    const [r] = parser.parseLine(`42\t${B}\tc1\tsales\tNONE\tENTERQUEUE\t\\N\t555\t1`);
    expect(r.kind === 'record' && { rowId: r.record.rowId, data: r.record.data }).toEqual({ rowId: 42, data: ['', '555', '1'] });
  });
});

describe('7. a file in a layout Floorwatch does not read is an error', () => {
  /** An export of another table of call statistics: its columns are not queue_log's. */
  const UNFAMILIAR = [
    'id,timestamp_in,qname,action,position,duration,hold,agent,cid,qdescr',
    ...Array.from({ length: 30 }, (_, i) => `${i + 1},${B + i * 40},sales,${i % 3 === 0 ? 'ABANDON' : 'COMPLETECALLER'},1,${i % 3 === 0 ? 0 : 90},8,SIP/20${i % 5},555${i},Sales`),
  ].join('\n');

  it('says which columns it found and which it expected, and gives no figures, for an export with unfamiliar columns', async () => {
    const { report, details } = await buildReport([tempFile(UNFAMILIAR, 'stats.csv')], { timeZone: 'UTC' });
    expect(details.problems).toEqual([
      {
        file: 'stats.csv',
        kind: 'layout',
        message:
          'stats.csv: the header (stats.csv:1) names no queue_log layout Floorwatch reads; missing a time (time, time_id or date_time), a call id (callid or call_id), a queue (queuename, queue or queue_name), an event (event or verb)',
        found: 'columns id, timestamp_in, qname, action, position, duration, hold, agent, cid, qdescr',
        expected:
          'columns time (or time_id, date_time), callid (or call_id), queuename (or queue, queue_name), agent, event (or verb), data1…data5 (or param1…param5) and/or data (the fields joined with "|"); optionally a row id (id, uid or unique_row_count)',
      },
    ]);
    // Its rows are damaged, every one: none is read as a call.
    expect(report).toEqual({ queues: {}, agents: {}, lines: { read: 31, skipped: 1, damaged: 30 } });
  });

  it('says so when most records are damaged, with a line as found', async () => {
    // A headerless export in another column order: the time is not where a queue_log line has it.
    const lines = [
      ...Array.from({ length: 8 }, (_, i) => `c${i}|sales|${B + i}|NONE|ENTERQUEUE||555|1`),
      `${B + 100}|c9|sales|NONE|ENTERQUEUE||555|1`,
      `${B + 130}|c9|sales|NONE|ABANDON|1|1|30`,
    ];
    const { details } = await buildReport([tempFile(lines.join('\n'), 'reordered.log')], { timeZone: 'UTC' });
    expect(details.problems).toEqual([
      {
        file: 'reordered.log',
        kind: 'damaged',
        message: 'reordered.log: 8 of 10 records (80 %) are damaged: not a queue_log layout Floorwatch reads',
        found: 'lines like reordered.log:1 "c0|sales|1795510800|NONE|ENTERQUEUE||555|1" (time "c0" is not epoch seconds or a date)',
        expected:
          'epochSeconds|callid|queue|agent|VERB|data… (a queue_log file), or an export (CSV, TSV, psql or mysql output) with a header naming time (or time_id, date_time), callid (or call_id), queuename (or queue, queue_name), agent, event (or verb), data1…data5 (or param1…param5) and/or data (the fields joined with "|"); optionally a row id (id, uid or unique_row_count)',
      },
    ]);
  });

  it('counts damage the adapter finds too: a file whose every CONNECT has words for numbers', async () => {
    const lines = [`${B}|c1|sales|NONE|ENTERQUEUE||555|1`, ...Array.from({ length: 3 }, (_, i) => `${B + 10 + i}|c1|sales|SIP/1|CONNECT|ten|x|four`)];
    const { details } = await buildReport([tempFile(lines.join('\n'), 'words.log')], { timeZone: 'UTC' });
    expect(details.problems.map((p) => p.message)).toEqual(['words.log: 3 of 4 records (75 %) are damaged: not a queue_log layout Floorwatch reads']);
  });

  it('reads a file with a few damaged lines as it is: no problem', async () => {
    const lines = [`${B}|c1|sales|NONE|ENTERQUEUE||555|1`, 'a line of prose', `${B + 10}|c1|sales|NONE|ABANDON|1|1|10`];
    const { report, details } = await buildReport([tempFile(lines.join('\n'))], { timeZone: 'UTC' });
    expect(details.problems).toEqual([]);
    expect(report.lines).toEqual({ read: 3, skipped: 0, damaged: 1 });
  });

  it('refuses to replay such a file (nothing to send)', async () => {
    await expect(readQueueLogFiles([tempFile(UNFAMILIAR, 'stats.csv')], { timeZone: 'UTC' })).rejects.toBeInstanceOf(QueueLogLayoutError);
  });

  describe('the live tail', () => {
    let tails: QueueLogTail[] = [];
    let harnesses: Harness[] = [];
    afterEach(async () => {
      for (const t of tails) await t.stop();
      for (const h of harnesses) await h.close();
      tails = [];
      harnesses = [];
    });

    function tail(file: string, logger: Pick<Console, 'info' | 'warn' | 'error'> = quiet) {
      const submitted: FloorEvent[] = [];
      const t = new QueueLogTail({
        file,
        timeZone: 'UTC',
        pollMs: 20,
        logger,
        submit: async (events) => {
          submitted.push(...events);
          return { accepted: events.length, duplicates: 0, rejected: [] };
        },
      });
      tails.push(t);
      return { tail: t.start(), submitted };
    }

    it('logs an unknown layout plainly once, not each row, and shows it in /api/health sources', async () => {
      const file = tempFile(UNFAMILIAR + '\n', 'queue_log');
      const logged: { level: string; text: string }[] = [];
      const logger = { info: () => {}, warn: (text: string) => logged.push({ level: 'warn', text }), error: (text: string) => logged.push({ level: 'error', text }) };
      const { tail: t, submitted } = tail(file, logger);
      const h = await startHarness({ sources: () => ({ queueLog: t.stats }) });
      harnesses.push(h);
      await waitFor(() => t.stats.lines.read === 31, 5000, 'the tail to read the export');
      fs.appendFileSync(file, `31,${B + 2000},sales,ABANDON,1,0,8,,5559,Sales\n`);
      await waitFor(() => t.stats.lines.read === 32, 5000, 'the appended row');
      expect(submitted).toEqual([]);
      expect(logged).toHaveLength(1);
      expect(logged[0].level).toBe('error');
      expect(logged[0].text).toContain('queue_log tail: queue_log: the header (queue_log:1) names no queue_log layout Floorwatch reads; missing a time (time, time_id or date_time)');
      expect(logged[0].text).toContain('found: columns id, timestamp_in, qname, action, position, duration, hold, agent, cid, qdescr');
      expect(logged[0].text).toContain('expected: columns time (or time_id, date_time), callid (or call_id)');
      const health = await getJson(h, '/api/health');
      expect(health.body.data).toMatchObject({ sources: { queueLog: { lines: { read: 32, damaged: 31 }, problem: { kind: 'layout', found: 'columns id, timestamp_in, qname, action, position, duration, hold, agent, cid, qdescr' } } } });
    });

    it(`judges "most records damaged" from ${TAIL_JUDGE_AFTER} records on, and says it once`, async () => {
      const file = tempFile('');
      const errors: string[] = [];
      const { tail: t } = tail(file, { ...quiet, error: (text: string) => errors.push(text) });
      const prose = (n: number) => Array.from({ length: n }, (_, i) => `line ${i} of something else`).join('\n') + '\n';
      fs.appendFileSync(file, prose(TAIL_JUDGE_AFTER - 1));
      await waitFor(() => t.stats.lines.read === TAIL_JUDGE_AFTER - 1, 5000, 'the first lines');
      expect(t.stats.problem).toBeUndefined();
      fs.appendFileSync(file, prose(1));
      await waitFor(() => t.stats.lines.read === TAIL_JUDGE_AFTER, 5000, 'one more');
      expect(t.stats.problem).toMatchObject({ kind: 'damaged', message: `queue_log: ${TAIL_JUDGE_AFTER} of ${TAIL_JUDGE_AFTER} records (100 %) are damaged: not a queue_log layout Floorwatch reads` });
      fs.appendFileSync(file, prose(5));
      await waitFor(() => t.stats.lines.read === TAIL_JUDGE_AFTER + 5, 5000, 'five more');
      expect(errors).toHaveLength(1);
      expect(errors[0]).toContain('found: lines like queue_log:1 "line 0 of something else" (no field separator)');
    });

    it('clears the problem when good lines outnumber the damaged ones', async () => {
      const file = tempFile(Array.from({ length: 25 }, () => 'not queue_log').join('\n') + '\n');
      const { tail: t } = tail(file);
      await waitFor(() => t.stats.problem !== undefined, 5000, 'the problem');
      fs.appendFileSync(file, Array.from({ length: 30 }, (_, i) => `${B + i}|c${i}|sales|NONE|ENTERQUEUE||555|1`).join('\n') + '\n');
      await waitFor(() => t.stats.lines.read === 55, 5000, 'the good lines');
      expect(t.stats.problem).toBeUndefined();
    });
  });
});

describe('8. whole files in time and memory linear in the file', () => {
  it('forgets the oldest remembered record first, in constant time, and keeps no more than its bound', () => {
    const reader = new QueueLogReader({ timeZone: 'UTC', dedupeRecords: 3 });
    const line = (i: number) => `${B + i}|c${i}|sales|NONE|ENTERQUEUE||555|1`;
    for (let i = 0; i < 5; i++) reader.line(line(i));
    expect(reader.remembered).toBe(3);
    // Records 2, 3 and 4 are remembered: a repeat of 4 is dropped, a repeat of 1 is read again.
    expect(reader.line(line(4))).toEqual([]);
    expect(reader.stats.reasons['exact repeat of an earlier record']).toBe(1);
    expect(reader.line(line(1)).map((e) => e.type)).toEqual(['call.queued']);
    expect(reader.remembered).toBe(3);
  });

  it('gives the same figures for a 2 MB file read whole, rotated in three parts named in any order, and exported newest first', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floorwatch-layouts-'));
    const whole = path.join(dir, 'queue_log');
    generateQueueLog(whole, { lines: 40_000, seed: 7 });
    const lines = fs.readFileSync(whole, 'utf8').trimEnd().split('\n');
    expect(fs.statSync(whole).size).toBeGreaterThan(2 * 2 ** 20); // longer than a read chunk (1 MB)
    const parts = [lines.slice(0, 9_000), lines.slice(9_000, 27_000), lines.slice(27_000)].map((p, i) => {
      const f = path.join(dir, `queue_log.${i}`);
      fs.writeFileSync(f, p.join('\n') + '\n');
      return f;
    });
    const reversed = path.join(dir, 'queue_log.desc');
    fs.writeFileSync(reversed, [...lines].reverse().join('\n') + '\n');
    const a = await buildReport([whole], { timeZone: 'UTC' });
    const b = await buildReport([parts[2], parts[0], parts[1]], { timeZone: 'UTC' });
    const c = await buildReport([reversed], { timeZone: 'UTC' });
    expect(a.report.lines).toEqual({ read: 40_000, skipped: expect.any(Number), damaged: 0 });
    expect(a.report.queues.support.offered).toBeGreaterThan(1_000);
    expect(b.report).toEqual(a.report);
    expect(c.report).toEqual(a.report);
  });

  it('reads again with no window when a call rebuilt from its fields began further back than the reorder window', async () => {
    // Ten calls over three hours, then the end of a 3-hour call that began among the first of them.
    const talk = 3 * 3600;
    const lines = [
      ...Array.from({ length: 10 }, (_, i) => [`${B + 1200 * i}|c${i}|sales|NONE|ENTERQUEUE||555|1`, `${B + 1200 * i + 6}|c${i}|sales|NONE|ABANDON|1|1|6`]).flat(),
      `${B + 11_000}|long|sales|PJSIP/201|COMPLETECALLER|20|${talk}|1`,
    ];
    const file = tempFile(lines.join('\n'));
    const loaded = await loadQueueLogFiles([file], { timeZone: 'UTC' });
    // Its entry, the member's sighting and the answer are dated before events that already went out.
    const windowed = loaded.run(REORDER_WINDOW_MS);
    const n = [...windowed.events].length;
    expect(windowed.late).toBe(3);
    const unbounded = loaded.run(Infinity);
    const events = [...unbounded.events];
    expect(unbounded.late).toBe(0);
    expect(events.length).toBe(n);
    expect(events.map((e) => e.at)).toEqual([...events.map((e) => e.at)].sort((x, y) => x - y));
    expect(events.filter((e) => 'callId' in e && e.callId === 'long').map((e) => [e.type, e.at / 1000 - B])).toEqual([
      ['call.queued', 11_000 - talk - 20],
      ['call.answered', 11_000 - talk],
      ['call.ended', 11_000],
    ]);
    loaded.close();
    // The report is read again with no window: every call in its place.
    const { report } = await buildReport([file], { timeZone: 'UTC' });
    expect(report.queues.sales).toMatchObject({ offered: 11, answered: 1, abandoned: 10, avgWaitSec: 20, avgTalkSec: talk });
  });

  it('drops an exact repeat of a record of the same second in whole files, and only that', async () => {
    const enter = (i: number, dt: number) => `${B + dt}|c${i}|sales|NONE|ENTERQUEUE||555|1`;
    // c1's entry repeated after c5's of the same second; c3's of the next second twice in a row;
    // c4's entry at a later second is a line of its own.
    const lines = [enter(2, 0), enter(1, 0), enter(5, 0), enter(1, 0), enter(3, 1), enter(3, 1), enter(4, 2), enter(4, 3)];
    const { reader, events } = await readQueueLogFiles([tempFile(lines.join('\n'))], { timeZone: 'UTC' });
    expect(reader.stats.reasons['exact repeat of an earlier record']).toBe(2);
    expect(events.map((e) => [e.type, 'callId' in e ? e.callId : '', e.at / 1000 - B])).toEqual([
      ['call.queued', 'c2', 0],
      ['call.queued', 'c1', 0],
      ['call.queued', 'c5', 0],
      ['call.queued', 'c3', 1],
      ['call.queued', 'c4', 2],
      ['call.queued', 'c4', 3],
    ]);
  });

  it('holds the whole reorder window for the first two hours, then a quarter hour', async () => {
    // Calls every 10 minutes for four hours; at 1:50 ends a call in progress when the file began
    // (1.5 h of talk: rebuilt, dated back within the window of the start); at 3:30 ends one whose
    // lines before its end were lost (30 min of talk: dated back more than the steady window).
    const lines = Array.from({ length: 24 }, (_, i) => [`${B + 600 * i}|c${i}|sales|NONE|ENTERQUEUE||555|1`, `${B + 600 * i + 6}|c${i}|sales|NONE|ABANDON|1|1|6`]).flat();
    const early = `${B + 6600}|early|sales|PJSIP/201|COMPLETECALLER|10|${5400}|1`;
    const lost = `${B + 12_600}|lost|sales|PJSIP/202|COMPLETEAGENT|10|${1800}|1`;
    const at = (line: string) => Number(line.split('|')[0]);
    const byTime = (extra: string[]) => tempFile([...lines, ...extra].sort((x, y) => at(x) - at(y)).join('\n'));
    const steady = STEADY_WINDOW_MS / 1000;
    expect(steady).toBeLessThan(1800);

    const first = await loadQueueLogFiles([byTime([early])], { timeZone: 'UTC' });
    const a = first.run();
    const events = [...a.events];
    expect(a.late).toBe(0);
    expect(events.map((e) => e.at)).toEqual([...events.map((e) => e.at)].sort((x, y) => x - y));
    first.close();

    const later = await loadQueueLogFiles([byTime([early, lost])], { timeZone: 'UTC' });
    const b = later.run();
    [...b.events].forEach(() => {});
    expect(b.late).toBeGreaterThan(0);
    const c = later.run(Infinity);
    const all = [...c.events];
    expect(c.late).toBe(0);
    expect(all.filter((e) => 'callId' in e && e.callId === 'lost').map((e) => [e.type, e.at / 1000 - B])).toEqual([
      ['call.queued', 12_600 - 1800 - 10],
      ['call.answered', 12_600 - 1800],
      ['call.ended', 12_600],
    ]);
    later.close();
  });
});
