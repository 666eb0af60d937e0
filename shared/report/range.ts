/**
 * A range report from daily aggregates: sums of the days' counters (so a
 * range equals the sum of its single-day reports), grouped by day, ISO week
 * or interval of the day, and filtered by queue, team and agent.
 */
import type { RuleId } from '../config.ts';
import { RULE_IDS } from '../config.ts';
import { emptyQueueDay } from '../engine/core.ts';
import { meanSec, serviceLevelPct } from '../selectors.ts';
import { isoWeekOf } from '../time.ts';
import { outsideAlertCounts } from '../scope.ts';
import type { RuleCounts } from '../state.ts';
import type { AgentDayAggregate, AlertCount, DayAggregate, QueueCounters, QueueFigures, RangeReport, ReportAgentRow, ReportGroup, ReportQuery, ReportQueueRow, ReportRuleRow, ReportTimeRow } from './types.ts';

/** A time row's Erlang C staffing: agents needed for `offered` calls in `periodSec` at `ahtSec` (null without handled calls). */
export type StaffingFn = (offered: number, periodSec: number, ahtSec: number | null, thresholdSec: number, targetPct: number) => number | null;

/** Interval minutes of each grouping by interval. */
const INTERVAL_MIN: Partial<Record<ReportGroup, number>> = { interval15: 15, interval30: 30, interval60: 60 };

/** Adds `b` into `a` (sums; the longest wait is a maximum). */
export function addCounters(a: QueueCounters, b: QueueCounters): void {
  a.offered += b.offered;
  a.answered += b.answered;
  a.abandoned += b.abandoned;
  a.shortAbandoned += b.shortAbandoned;
  a.answeredWithinT += b.answeredWithinT;
  a.abandonedAfterT += b.abandonedAfterT;
  a.endLost += b.endLost;
  a.transferredOut += b.transferredOut;
  a.answeredWaitMs += b.answeredWaitMs;
  a.handled += b.handled;
  a.handleMs += b.handleMs;
  if (b.maxWaitMs > a.maxWaitMs) a.maxWaitMs = b.maxWaitMs;
}

const round1 = (n: number) => Math.round(n * 10) / 10;

/**
 * Figures of summed counters, computed as the single-day report computes them
 * (`serviceLevelPct`, `meanSec` of selectors.ts); abandoned % of offered.
 */
export function figuresOf(c: QueueCounters): QueueFigures {
  return {
    ...c,
    serviceLevelPct: serviceLevelPct(c.answeredWithinT, c.answered, c.abandonedAfterT),
    asaSec: meanSec(c.answeredWaitMs, c.answered),
    ahtSec: meanSec(c.handleMs, c.handled),
    maxWaitSec: Math.round(c.maxWaitMs / 1000),
    abandonedPct: c.offered > 0 ? round1((100 * c.abandoned) / c.offered) : null,
  };
}

const per100 = (n: number, calls: number) => (calls > 0 ? round1((100 * n) / calls) : null);

/** Whether an agent (by id and team that day) passes the team and agent filters. */
function agentFilter(q: ReportQuery): (agentId: string | null, team: string | null) => boolean {
  const agents = new Set(q.agents);
  const teams = new Set(q.teams);
  if (agents.size === 0 && teams.size === 0) return () => true;
  return (agentId, team) => agentId !== null && (agents.size === 0 || agents.has(agentId)) && (teams.size === 0 || (team !== null && teams.has(team)));
}

/**
 * The predicates of a query's scope limit ({@link ReportQuery.limit}); all true without one. An
 * alert is within it when each subject it names (queue, agent) is, and it names at least one.
 */
function limitOf(q: ReportQuery) {
  const l = q.limit;
  const queues = l?.queues ? new Set(l.queues) : undefined;
  const teams = l?.teams ? new Set(l.teams) : undefined;
  const agents = l?.agents ? new Set(l.agents) : undefined;
  const queue = (id: string | null) => !queues || (id !== null && queues.has(id));
  const agent = (agentId: string | null, team: string | null) => (!teams || (team !== null && teams.has(team))) && (!agents || (agentId !== null && agents.has(agentId)));
  return {
    /** Whether agent rows are limited at all. */
    agents: teams !== undefined || agents !== undefined,
    queue,
    agent,
    alert: (c: { queueId: string | null; agentId: string | null; team: string | null }) =>
      !l || ((c.queueId !== null || c.agentId !== null) && (c.queueId === null || queue(c.queueId)) && (c.agentId === null || agent(c.agentId, c.team))),
  };
}

/** Rule rows of summed warn/breach counts against `calls` handled. */
export function ruleRows(byRule: Map<RuleId, { warn: number; breach: number }>, calls: number): ReportRuleRow[] {
  return RULE_IDS.filter((r) => byRule.has(r)).map((rule) => {
    const c = byRule.get(rule) as { warn: number; breach: number };
    return { rule, warns: c.warn, breaches: c.breach, warnsPer100: per100(c.warn, calls), breachesPer100: per100(c.breach, calls) };
  });
}

/**
 * Agent day `a` with its alerts by rule less `outside` (the day's {@link AlertCount} rows of this
 * agent outside a scope limit: shared/scope.ts `outsideAlertCounts`), so that a limited report's
 * agent rows and scorecards count the alerts its rules count. `a` itself when nothing is taken off.
 * Info notices are not in the day's counts and stay.
 */
export function limitAgentDay(a: AgentDayAggregate, outside: readonly AlertCount[] | undefined): AgentDayAggregate {
  if (!outside || outside.length === 0) return a;
  const alerts: AgentDayAggregate['alerts'] = {};
  for (const [k, c] of Object.entries(a.alerts) as [RuleId, RuleCounts][]) alerts[k] = { ...c };
  for (const o of outside) {
    const c = alerts[o.rule];
    if (!c) continue;
    c.warn = Math.max(0, c.warn - o.warn);
    c.breach = Math.max(0, c.breach - o.breach);
    if (!c.info && !c.warn && !c.breach) delete alerts[o.rule];
  }
  return { ...a, alerts };
}

/** Sums agent days into a report row (name and team: the latest day's). */
function agentRow(days: AgentDayAggregate[]): ReportAgentRow {
  const last = days[days.length - 1];
  let handled = 0;
  let handleMs = 0;
  let quota = 0;
  let holds = 0;
  let holdMs = 0;
  let ringNoAnswer = 0;
  let breaches = 0;
  let warns = 0;
  for (const d of days) {
    handled += d.handled;
    handleMs += d.talkMs + d.holdMs + d.wrapMs;
    quota += d.quota;
    holds += d.holds;
    holdMs += d.holdMs;
    ringNoAnswer += d.ringNoAnswer;
    for (const c of Object.values(d.alerts)) {
      breaches += c?.breach ?? 0;
      warns += c?.warn ?? 0;
    }
  }
  return { agentId: last.agentId, name: last.name, team: last.team, days: days.length, handled, quota, ahtSec: meanSec(handleMs, handled), holds, holdSec: Math.round(holdMs / 1000), ringNoAnswer, breaches, warns, breachesPer100: per100(breaches, handled) };
}

/**
 * The range report of `days` (the aggregates of the range's dates the log
 * has, in date order) for `query`. `missingDates` and `staleDates` are passed
 * through; `staffing` gives interval rows their Erlang C agents needed.
 */
export function buildRangeReport(days: readonly DayAggregate[], query: ReportQuery, opts: { missingDates?: string[]; staleDates?: string[]; staffing?: StaffingFn; startMs: number; endMs: number; timeZone: string }): RangeReport {
  const lim = limitOf(query);
  const asked = query.queues.length === 0 ? () => true : ((set) => (id: string | null) => id !== null && set.has(id))(new Set(query.queues));
  const queueOk = (id: string | null) => asked(id) && lim.queue(id);
  const askedAgent = agentFilter(query);
  const agentOk = (agentId: string | null, team: string | null) => askedAgent(agentId, team) && lim.agent(agentId, team);
  const agentFiltered = query.agents.length > 0 || query.teams.length > 0 || lim.agents;
  const total = emptyQueueDay();
  const byQueue = new Map<string, QueueCounters>();
  const queueAlerts = new Map<string, { warn: number; breach: number }>();
  const byAgent = new Map<string, AgentDayAggregate[]>();
  const byRule = new Map<RuleId, { warn: number; breach: number }>();
  const rows = new Map<string, { row: QueueCounters; startMs: number; breaches: number | null; warns: number | null; sl: { thresholdSec: number; targetPct: number } }>();
  const intervalMin = INTERVAL_MIN[query.group];
  let agentHandled = 0;
  let alertBreaches = 0;
  let alertWarns = 0;

  for (const day of days) {
    const dayAlerts = { breach: 0, warn: 0 };
    let dayRow: { row: QueueCounters; breaches: number | null; warns: number | null } | undefined;
    if (!intervalMin) {
      const key = query.group === 'week' ? isoWeekOf(day.date).label : day.date;
      let r = rows.get(key);
      if (!r) rows.set(key, (r = { row: emptyQueueDay(), startMs: day.dayStartMs, breaches: 0, warns: 0, sl: { thresholdSec: 20, targetPct: 80 } }));
      dayRow = r;
    }
    for (const q of day.queues) {
      if (!queueOk(q.queueId)) continue;
      addCounters(total, q.counters);
      let qc = byQueue.get(q.queueId);
      if (!qc) byQueue.set(q.queueId, (qc = emptyQueueDay()));
      addCounters(qc, q.counters);
      if (dayRow) addCounters(dayRow.row, q.counters);
      else if (intervalMin) {
        for (const iv of q.intervals) {
          const offsetMin = Math.floor((iv.startMs - day.dayStartMs) / 60_000 / intervalMin) * intervalMin;
          const label = `${String(Math.floor(offsetMin / 60)).padStart(2, '0')}:${String(offsetMin % 60).padStart(2, '0')}`;
          let r = rows.get(label);
          if (!r) rows.set(label, (r = { row: emptyQueueDay(), startMs: offsetMin, breaches: null, warns: null, sl: { thresholdSec: q.thresholdSec, targetPct: q.targetPct } }));
          addCounters(r.row, iv);
        }
      }
    }
    // A scoped supervisor's agent rows count only the alerts the limit lets them see (their agent on another queue's call: not).
    const outside = query.limit ? outsideAlertCounts(day.alerts, lim.alert) : undefined;
    for (const a of day.agents) {
      if (!agentOk(a.agentId, a.team)) continue;
      let list = byAgent.get(a.agentId);
      if (!list) byAgent.set(a.agentId, (list = []));
      list.push(outside ? limitAgentDay(a, outside.get(a.agentId)) : a);
      agentHandled += a.handled;
    }
    for (const c of day.alerts) {
      if (!asked(c.queueId) && query.queues.length > 0) continue;
      if (!askedAgent(c.agentId, c.team) || !lim.alert(c)) continue;
      let r = byRule.get(c.rule);
      if (!r) byRule.set(c.rule, (r = { warn: 0, breach: 0 }));
      r.warn += c.warn;
      r.breach += c.breach;
      alertBreaches += c.breach;
      alertWarns += c.warn;
      dayAlerts.breach += c.breach;
      dayAlerts.warn += c.warn;
      if (c.queueId !== null) {
        let qa = queueAlerts.get(c.queueId);
        if (!qa) queueAlerts.set(c.queueId, (qa = { warn: 0, breach: 0 }));
        qa.warn += c.warn;
        qa.breach += c.breach;
      }
    }
    if (dayRow && dayRow.breaches !== null) dayRow.breaches += dayAlerts.breach;
    if (dayRow && dayRow.warns !== null) dayRow.warns += dayAlerts.warn;
  }

  // Calls behind "per 100 calls": the filtered agents' handled calls when filtered by agent or team, else the queues'.
  const calls = agentFiltered ? agentHandled : total.handled;
  const timeRows: ReportTimeRow[] = [...rows.entries()]
    .sort(([, a], [, b]) => a.startMs - b.startMs)
    .map(([label, r]) => {
      const f = figuresOf(r.row);
      const periodSec = (intervalMin ?? 0) * 60 * Math.max(1, days.length);
      const neededAgents = intervalMin && opts.staffing ? opts.staffing(r.row.offered, periodSec, f.ahtSec, r.sl.thresholdSec, r.sl.targetPct) : null;
      return { ...f, label, startMs: r.startMs, neededAgents, breaches: r.breaches, warns: r.warns };
    });
  const queues: ReportQueueRow[] = [...byQueue.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([queueId, c]) => ({ queueId, ...figuresOf(c), breaches: queueAlerts.get(queueId)?.breach ?? 0, warns: queueAlerts.get(queueId)?.warn ?? 0 }));
  const agents = [...byAgent.values()].map(agentRow).sort((a, b) => a.name.localeCompare(b.name) || a.agentId.localeCompare(b.agentId));
  return {
    query,
    startMs: opts.startMs,
    endMs: opts.endMs,
    missingDates: opts.missingDates ?? [],
    staleDates: opts.staleDates ?? [],
    totals: { ...figuresOf(total), breaches: alertBreaches, warns: alertWarns, breachesPer100: per100(alertBreaches, calls), warnsPer100: per100(alertWarns, calls) },
    rows: timeRows,
    queues,
    agents,
    rules: ruleRows(byRule, calls),
  };
}
