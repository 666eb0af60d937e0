/**
 * `npm run bench [-- NAME ...] [--quick]`: runs the benchmarks (all, or the
 * named ones), prints one table and writes `bench-results.json`. Not part of
 * `npm test`: figures, not pass/fail.
 */
import fs from 'node:fs';
import os from 'node:os';
import type { BenchRow, BenchRun } from './types.ts';

/** In the order they run: the cheap, in-process ones first. */
const BENCHES = ['engine', 'replay', 'queuelog', 'reports', 'what-if', 'phrases', 'ingest', 'freshness', 'memory', 'browser'] as const;

function fmt(n: number | undefined): string {
  if (n === undefined || Number.isNaN(n)) return '–';
  if (Math.abs(n) >= 100) return Math.round(n).toLocaleString('en-US');
  return String(Math.round(n * 100) / 100);
}

function table(rows: BenchRow[]): string {
  const head = ['bench', 'metric', 'value', 'unit', 'baseline', 'ratio', 'target', 'met'];
  const body = rows.map((r) => [
    r.bench,
    r.metric,
    fmt(r.value),
    r.unit,
    r.baseline ? `${fmt(r.baseline.value)} (${r.baseline.name})` : '–',
    r.ratio === undefined ? '–' : `${fmt(r.ratio)}×`,
    r.target ?? '–',
    r.met === undefined ? '–' : r.met ? 'yes' : 'NO',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const wanted = args.filter((a) => !a.startsWith('--'));
  const unknown = wanted.filter((w) => !(BENCHES as readonly string[]).includes(w));
  if (unknown.length > 0) {
    console.error(`unknown bench ${unknown.join(', ')}; known: ${BENCHES.join(', ')}`);
    process.exit(2);
  }
  const names = wanted.length > 0 ? wanted : [...BENCHES];
  const rows: BenchRow[] = [];
  const failures: { bench: string; error: string }[] = [];
  for (const name of names) {
    const started = Date.now();
    console.error(`bench: ${name} …`);
    try {
      const mod = (await import(`./${name}.ts`)) as { run: BenchRun };
      const got = await mod.run({ quick });
      rows.push(...got);
      console.error(`bench: ${name} done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      failures.push({ bench: name, error });
      console.error(`bench: ${name} failed: ${error}`);
    }
  }
  console.log(table(rows));
  const result = {
    at: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version },
    quick,
    rows,
    failures,
  };
  fs.writeFileSync('bench-results.json', JSON.stringify(result, null, 2) + '\n');
  console.log(`\nwrote bench-results.json (${rows.length} rows${failures.length ? `, ${failures.length} benches failed` : ''})`);
  process.exit(failures.length > 0 ? 1 : 0);
}

void main();
