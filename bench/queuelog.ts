/**
 * queue_log (issue 12): `floorwatch report` on a 1,000,000-line Asterisk
 * queue_log (`--quick`: 100,000 lines), and the live tail over the same lines.
 *
 * The file is generated, seeded, by `bench/lib/queuelog-gen.ts`: five queues,
 * 146 members, business days of calls with rings, answers, completions,
 * transfers, abandons and breaks, as app_queue writes them (about 69 bytes a
 * line, 287,000 calls in a million lines).
 *
 * - report: the installed command's path (`runCli`) in a process of its own,
 *   timed from loading its modules to its end, with its peak RSS. Baseline in
 *   the same run: a bare read-and-split of the same file in the same kind of
 *   process (read it, split into lines and fields). Targets: under 10 s and
 *   400 MB for a million lines. Each of the two runs twice, alternated; each
 *   keeps its best.
 * - one thread: the same report with its reading forced onto the main thread.
 * - linear: the report on the file's first tenth, per line, against the whole
 *   file per line (module loading left out): a path that grows faster than the
 *   file shows a ratio above 1.
 * - tail: the live tail (`QueueLogTail`, events submitted nowhere) following
 *   the file as it grows a tenth at a time; the last tenth's time against the
 *   second's (the first warms the JIT): flat means linear over a long day.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { QueueLogTail } from '../server/queuelog/tail.ts';
import { progress } from './lib/feed.ts';
import { generateQueueLog } from './lib/queuelog-gen.ts';
import { ratio, type BenchRow, type BenchRun } from './types.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const TARGET_S = 10;
const TARGET_MB = 400;
const ROUNDS = 2;
const SEED = 12;

interface ChildResult {
  ms: number;
  /** `ms` without loading the modules. */
  workMs: number;
  maxRssMb: number;
  lines: number;
}

/** Runs one measurement in a fresh process (`bench/lib/queuelog-child.ts`). */
function child(mode: 'bare' | 'report' | 'report-one' | 'report-two', file: string): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', path.join(HERE, 'lib', 'queuelog-child.ts'), mode, file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${mode} child exited ${code}: ${err.trim().slice(0, 500)}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').pop() as string) as ChildResult);
      } catch {
        reject(new Error(`${mode} child printed no result: ${out.slice(0, 200)} ${err.slice(0, 200)}`));
      }
    });
  });
}

/** The first `n` lines of a file into another. */
function head(from: string, to: string, n: number): void {
  const text = fs.readFileSync(from, 'utf8');
  let at = 0;
  for (let i = 0; i < n; i++) at = text.indexOf('\n', at) + 1;
  fs.writeFileSync(to, text.slice(0, at));
}

/** The live tail following `file` as its lines are appended a tenth at a time: ms per tenth. */
async function tailSlices(source: string, dir: string, slices: number): Promise<number[]> {
  const lines = fs.readFileSync(source, 'utf8').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const file = path.join(dir, 'queue_log');
  fs.writeFileSync(file, '');
  let submitted = 0;
  const tail = new QueueLogTail({
    file,
    timeZone: 'UTC',
    pollMs: 2,
    logger: { info() {}, warn() {}, error() {} },
    submit: async (events) => {
      submitted += events.length;
      return { accepted: events.length, duplicates: 0, rejected: [] };
    },
  }).start();
  const times: number[] = [];
  try {
    const per = Math.ceil(lines.length / slices);
    for (let s = 0; s < slices; s++) {
      const text = lines.slice(s * per, (s + 1) * per).join('\n') + '\n';
      const size = fs.statSync(file).size + Buffer.byteLength(text);
      const t0 = performance.now();
      fs.appendFileSync(file, text);
      while (tail.stats.offset < size) await new Promise((r) => setTimeout(r, 1));
      times.push(performance.now() - t0);
    }
  } finally {
    await tail.stop();
  }
  if (submitted === 0) throw new Error('the tail submitted no events');
  return times;
}

const r2 = (x: number) => Math.round(x * 100) / 100;

export const run: BenchRun = async ({ quick }) => {
  const total = quick ? 100_000 : 1_000_000;
  const n = total.toLocaleString('en-US');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floorwatch-bench-queuelog-'));
  const file = path.join(dir, 'queue_log');
  try {
    progress('queuelog', `writing a ${n}-line queue_log (seed ${SEED})…`);
    const gen = generateQueueLog(file, { lines: total, seed: SEED });
    const mb = gen.bytes / 1e6;
    progress('queuelog', `${gen.lines.toLocaleString('en-US')} lines, ${mb.toFixed(1)} MB, ${gen.calls.toLocaleString('en-US')} calls over ${gen.days} days`);

    // Alternate the two so that noise on this shared machine hits them alike; keep each one's best.
    const bare: ChildResult[] = [];
    const report: ChildResult[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const b = await child('bare', file);
      const v = await child('report', file);
      if (b.lines !== total) throw new Error(`bare read split ${b.lines} lines, expected ${total}`);
      bare.push(b);
      report.push(v);
      progress('queuelog', `round ${r + 1}: bare read-and-split ${(b.ms / 1000).toFixed(2)} s ${Math.round(b.maxRssMb)} MB, report ${(v.ms / 1000).toFixed(2)} s ${Math.round(v.maxRssMb)} MB`);
    }
    const bareS = Math.min(...bare.map((x) => x.ms)) / 1000;
    const bareMb = Math.min(...bare.map((x) => x.maxRssMb));
    const reportS = Math.min(...report.map((x) => x.ms)) / 1000;
    const reportMb = Math.min(...report.map((x) => x.maxRssMb));

    // The same report with the reading on this thread: what the second thread gains.
    const one = await child('report-one', file);
    const oneS = one.ms / 1000;
    progress('queuelog', `report read on one thread: ${oneS.toFixed(2)} s ${Math.round(one.maxRssMb)} MB`);

    const two = await child('report-two', file);
    const twoS = two.ms / 1000;
    progress('queuelog', `report read on a second thread: ${twoS.toFixed(2)} s ${Math.round(two.maxRssMb)} MB`);

    // The same path on the first tenth: time per line should not grow with the file. Both read on
    // one thread: a second thread's start (about a second, loading its modules) would flatter the tenth.
    const tenth = path.join(dir, 'queue_log.tenth');
    head(file, tenth, total / 10);
    const small = [await child('report-one', tenth), await child('report-one', tenth)];
    const smallS = Math.min(...small.map((x) => x.ms)) / 1000;
    const perLine = (one.workMs / 1000 / total) * 1e6;
    const perLineSmall = (Math.min(...small.map((x) => x.workMs)) / 1000 / (total / 10)) * 1e6;
    progress('queuelog', `report on ${(total / 10).toLocaleString('en-US')} lines: ${smallS.toFixed(2)} s`);

    progress('queuelog', 'the live tail following the file as it grows a tenth at a time…');
    const slices = await tailSlices(file, dir, 10);
    progress('queuelog', `tail, s per tenth: ${slices.map((x) => (x / 1000).toFixed(2)).join(' ')}`);
    const tailFirst = slices[1] / 1000;
    const tailLast = slices[slices.length - 1] / 1000;
    const tailTotal = slices.reduce((a, b) => a + b, 0) / 1000;

    const cond = `${n}-line queue_log (${mb.toFixed(1)} MB)`;
    const judged = !quick;
    const rows: BenchRow[] = [
      {
        bench: 'queuelog',
        metric: `floorwatch report, ${cond}`,
        value: r2(reportS),
        unit: 's',
        baseline: { name: 'bare read-and-split of the file', value: r2(bareS) },
        ratio: ratio(reportS, bareS),
        ...(judged ? { target: `< ${TARGET_S} s`, met: reportS < TARGET_S } : {}),
        note: `${Math.round(total / reportS).toLocaleString('en-US')} lines/s; runCli in its own process, modules loaded included; best of ${ROUNDS}`,
      },
      {
        bench: 'queuelog',
        metric: `report with the reading on a second thread, ${cond}`,
        value: r2(twoS),
        unit: 's',
        baseline: { name: 'the same report read on one thread', value: r2(oneS) },
        ratio: ratio(twoS, oneS),
        note: `peak RSS ${Math.round(two.maxRssMb)} MB against ${Math.round(one.maxRssMb)} MB; the engine folds events on the main thread while the second reads, checks and maps the file (runCli reads on two from 8 MB of files)`,
      },
      {
        bench: 'queuelog',
        metric: `floorwatch report peak RSS, ${cond}`,
        value: Math.round(reportMb),
        unit: 'MB',
        baseline: { name: 'bare read-and-split of the file', value: Math.round(bareMb) },
        ratio: ratio(reportMb, bareMb),
        ...(judged ? { target: `< ${TARGET_MB} MB`, met: reportMb < TARGET_MB } : {}),
        note: 'process.resourceUsage().maxRSS of each child (node with tsx, as the installed command)',
      },
      {
        bench: 'queuelog',
        metric: `report µs per line, ${n} lines against its first tenth`,
        value: r2(perLine),
        unit: 'µs/line',
        baseline: { name: `${(total / 10).toLocaleString('en-US')} lines`, value: r2(perLineSmall) },
        ratio: ratio(perLine, perLineSmall),
        target: 'linear: ratio ≤ 1.2',
        met: perLine <= perLineSmall * 1.2,
        note: 'buildReport read on one thread, module loading left out; tenth best of 2',
      },
      {
        bench: 'queuelog',
        metric: `live tail, last tenth of ${n} lines against the second`,
        value: r2(tailLast),
        unit: 's',
        baseline: { name: 'second tenth', value: r2(tailFirst) },
        ratio: ratio(tailLast, tailFirst),
        target: 'flat: ratio ≤ 1.5',
        met: tailLast <= tailFirst * 1.5,
        note: `QueueLogTail polling every 2 ms, events submitted nowhere; ${Math.round(total / tailTotal).toLocaleString('en-US')} lines/s over the whole file`,
      },
    ];
    return rows;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
};
