/**
 * One measurement of the queue_log bench in a process of its own, so that its
 * peak resident set is its own: `node --import tsx bench/lib/queuelog-child.ts MODE FILE`.
 *
 * - `bare`: the baseline, a bare read-and-split of the file: read it, split it
 *   into lines and each line at "|", touch every field.
 * - `report`: `floorwatch report --queue-log FILE --json --tz UTC` as the
 *   installed command runs it (`runCli`), its output thrown away.
 * - `report-one`, `report-two`: the same report built by `buildReport` with
 *   the reading forced onto this thread or a second one (`runCli` picks by
 *   the files' size), with the heap setting `runCli` makes.
 *
 * Prints one JSON line `{ ms, workMs, maxRssMb, lines }` on stdout: wall time
 * from before the work's modules are loaded to its end, the same without the
 * loading, and the process's peak RSS.
 */
import fs from 'node:fs';

const [mode, file] = process.argv.slice(2);
const t0 = performance.now();
let t1 = t0;
let lines = 0;
if (mode === 'bare') {
  const text = fs.readFileSync(file, 'utf8');
  let sink = 0;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    lines++;
    for (const f of line.split('|')) sink += f.length;
  }
  if (sink < 0) throw new Error('unreachable');
} else if (mode === 'report') {
  const { runCli } = await import('../../server/queuelog/cli.ts');
  t1 = performance.now();
  let out = 0;
  const code = await runCli(['report', '--queue-log', file, '--json', '--tz', 'UTC'], {
    stdout: (t) => (out += t.length),
    stderr: (t) => process.stderr.write(t),
    env: process.env,
  });
  if (code !== 0 || out === 0) throw new Error(`floorwatch report exited ${code}`);
} else if (mode === 'report-one' || mode === 'report-two') {
  const v8 = await import('node:v8');
  v8.setFlagsFromString('--heap-growing-percent=50'); // as runCli does
  const { buildReport } = await import('../../server/queuelog/report.ts');
  t1 = performance.now();
  const { report } = await buildReport([file], { timeZone: 'UTC', threads: mode === 'report-one' ? 'one' : 'two' });
  if (JSON.stringify(report).length === 0) throw new Error('no report');
} else {
  throw new Error(`unknown mode ${mode}`);
}
const t2 = performance.now();
process.stdout.write(`${JSON.stringify({ ms: t2 - t0, workMs: t2 - t1, maxRssMb: process.resourceUsage().maxRSS / 1024, lines })}\n`);
