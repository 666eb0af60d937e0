/**
 * How a range report or scorecard is answered from daily aggregates, in three
 * steps that run where the log is read: on the report worker when the log is
 * a SQLite file (the main thread then only sends the request and receives a
 * small answer), else on the main thread with the fold on the worker.
 *
 * 1. {@link planRange}: what the store already holds for the past days, and
 *    which days must be folded from the log.
 * 2. {@link settleRange}: the fold's results stored (closed days only) and
 *    merged with what was held.
 * 3. {@link answerRange}: the report or scorecard of those days plus today's
 *    live aggregate.
 */
import { agentsNeeded, trafficErlangs } from '../shared/erlang.ts';
import { buildRangeReport, type StaffingFn } from '../shared/report/range.ts';
import { buildScorecard, type ScorecardSubject } from '../shared/report/scorecard.ts';
import type { DayAggregate, RangeReport, ReportQuery, Scorecard } from '../shared/report/types.ts';
import type { AggregateStore } from './aggregate-store.ts';
import type { AggregateResult, DatedDay } from './report-worker.ts';

/** The aggregates of a range's past days: by date, and the dates without events or built under other settings. */
export interface RangeAggregates {
  byDate: Map<string, DayAggregate>;
  /** Dates the log holds no event of. */
  missing: string[];
  /** Dates shown as built under earlier settings (their raw events were pruned). */
  stale: string[];
  /** Days folded from the log for this answer (0: all from the store). */
  built: number;
}

/** What {@link planRange} found: the days held, and the days to fold. */
export interface RangePlan extends RangeAggregates {
  need: DatedDay[];
  /** Per day start, a logged aggregate built under other settings (the only one left when the raw events are gone). */
  older: Map<number, DayAggregate>;
}

/** What is asked of a range: a report, or a scorecard (the range then also holds the previous period). */
export type RangeAsk =
  | { kind: 'report'; query: ReportQuery; timeZone: string; maxOccupancyPct: number }
  | { kind: 'scorecard'; subject: ScorecardSubject; period: { from: string; to: string; previousFrom: string; previousTo: string }; ringBreachAt: number };

/**
 * Step 1: the past `days`' aggregates the store holds under settings fingerprint `key`, and the days
 * it lacks. A day before `horizonMs` (the log's retention cut: its raw events were pruned, but for
 * the few the days after stand on) is never folded again: its stored aggregate stands, named stale
 * when built under other settings, and a day without one is missing.
 */
export function planRange(store: AggregateStore | undefined, days: readonly DatedDay[], key: string, horizonMs = -Infinity): RangePlan {
  const plan: RangePlan = { byDate: new Map(), missing: [], stale: [], built: 0, need: [], older: new Map() };
  const stored = days.length && store ? store.range(days[0].startMs, days[days.length - 1].endMs) : new Map();
  for (const d of days) {
    const list = (stored.get(d.startMs) ?? []) as { configKey: string; logged: boolean; aggregate: DayAggregate }[];
    const mine = list.find((x) => x.configKey === key);
    const other = list.find((x) => x.configKey !== key && x.logged);
    if (d.startMs < horizonMs) {
      const kept = mine?.logged ? mine : other;
      if (kept) plan.byDate.set(d.date, kept.aggregate);
      if (kept && kept !== mine) plan.stale.push(d.date);
      if (!kept) plan.missing.push(d.date);
      continue;
    }
    if (other) plan.older.set(d.startMs, other.aggregate);
    if (mine?.logged) plan.byDate.set(d.date, mine.aggregate);
    else if (mine && other) {
      plan.byDate.set(d.date, other.aggregate);
      plan.stale.push(d.date);
    } else if (mine) plan.missing.push(d.date);
    else plan.need.push(d);
  }
  return plan;
}

/**
 * Step 2: the fold's `results` (one per needed day) merged into the plan; each
 * day `storable` says is closed is stored under `key` (when `store` is given).
 */
export function settleRange(plan: RangePlan, results: readonly AggregateResult[], store: AggregateStore | undefined, key: string, storable: (dayStartMs: number) => boolean, builtAtMs: number): RangeAggregates {
  const out: RangeAggregates = { byDate: plan.byDate, missing: [...plan.missing], stale: [...plan.stale], built: plan.need.length };
  for (const r of results) {
    const prior = plan.older.get(r.aggregate.dayStartMs);
    if (store && storable(r.aggregate.dayStartMs)) store.put(key, r.logged, r.aggregate, builtAtMs);
    if (r.logged) out.byDate.set(r.date, r.aggregate);
    else if (prior) {
      out.byDate.set(r.date, prior);
      out.stale.push(r.date);
    } else out.missing.push(r.date);
  }
  out.missing.sort();
  out.stale.sort();
  return out;
}

/** Erlang C agents needed for a report row (null without traffic or AHT), capped at the floor's target occupancy, %. */
export function staffingFn(maxOccupancyPct: number): StaffingFn {
  return (offered, periodSec, ahtSec, thresholdSec, targetPct) => {
    if (ahtSec === null || ahtSec <= 0 || periodSec <= 0) return null;
    return agentsNeeded({ erlangs: trafficErlangs(offered, periodSec, ahtSec), ahtSec, thresholdSec, targetPct, maxOccupancyPct }).agents;
  };
}

/**
 * Step 3: the answer over `dates` (every date of the range, in order) from the
 * past days' aggregates `got`, today's live aggregate `today` (when the range
 * holds today) and nothing for later dates (yet to come: not listed as missing). Throws a RangeError for
 * a scorecard whose subject has no day in the range.
 */
export function answerRange(ask: RangeAsk, dates: readonly DatedDay[], got: RangeAggregates, today: DayAggregate | undefined): RangeReport | Scorecard {
  const days: DayAggregate[] = [];
  // Every past date is in `got` (held or missing); a date with neither nor today's is yet to come: not "missing".
  const missing = [...got.missing].sort();
  for (const d of dates) {
    const a = got.byDate.get(d.date) ?? (today && today.dayStartMs === d.startMs ? today : undefined);
    if (a) days.push(a);
  }
  if (ask.kind === 'report') {
    return buildRangeReport(days, ask.query, { missingDates: missing, staleDates: got.stale, staffing: staffingFn(ask.maxOccupancyPct), startMs: dates[0].startMs, endMs: dates[dates.length - 1].endMs, timeZone: ask.timeZone });
  }
  const current = days.filter((d) => d.date >= ask.period.from);
  const previous = days.filter((d) => d.date < ask.period.from);
  return buildScorecard(ask.subject, ask.period, current, previous, ask.ringBreachAt);
}
