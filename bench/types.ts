/**
 * The one shape every benchmark reports in. Machines here are shared and
 * noisy, so a figure is only meaningful next to a baseline measured in the
 * same run: `ratio` = value ÷ baseline.value.
 */
export interface BenchRow {
  /** Which benchmark: `freshness`, `ingest`, `engine`, `replay`, `memory`, `browser`, … */
  bench: string;
  /** What was measured, with its condition: `p99 latency, 2,000 clients`. */
  metric: string;
  value: number;
  /** Unit of `value` and of the baseline: `ms`, `events/s`, `MB`, `µs/event`, `kB`. */
  unit: string;
  /** The same quantity, measured in the same run on a simpler system. */
  baseline?: { name: string; value: number };
  /** value ÷ baseline.value. */
  ratio?: number;
  /** The target as words, e.g. `< 100 ms`. */
  target?: string;
  /** Whether the target was met; undefined when the row has no target. */
  met?: boolean;
  note?: string;
}

/** A benchmark module's export: `export const run: BenchRun`. */
export type BenchRun = (opts: { quick: boolean }) => Promise<BenchRow[]>;

/** Ratio rounded to two decimals; undefined when the baseline is 0. */
export function ratio(value: number, baseline: number): number | undefined {
  return baseline === 0 ? undefined : Math.round((value / baseline) * 100) / 100;
}

/** The p-th percentile (0–100) of numbers, nearest rank. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}
