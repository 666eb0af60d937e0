/**
 * Agent etiquette scorecards: an agent's or a team's calls, handling time,
 * rings to answer, holds and breaches over a range, beside the period of the
 * same length just before it, with the range's worst calls.
 */
import type { RuleId } from '../config.ts';
import { meanSec } from '../selectors.ts';
import { worseFirst } from './aggregate.ts';
import { outsideAlertCounts } from '../scope.ts';
import { limitAgentDay, ruleRows } from './range.ts';
import type { AgentDayAggregate, DayAggregate, NotableCall, Scorecard, ScorecardFigures } from './types.ts';

/** Worst calls a scorecard lists. */
export const SCORECARD_WORST_CALLS = 10;

const round1 = (n: number) => Math.round(n * 10) / 10;

/**
 * Who a scorecard is of: one agent, or every agent of a team (by their team on each day); a team's
 * `agents`, when given, keeps only those of its agents (a supervisor scoped to queues: shared/scope.ts).
 */
export type ScorecardSubject = ({ kind: 'agent'; agentId: string } | { kind: 'team'; team: string; agents?: string[] }) & {
  /** A scoped supervisor's queues (shared/scope.ts): the agents' alerts on calls of other queues are left out. */
  queues?: string[];
};

function belongs(subject: ScorecardSubject, a: AgentDayAggregate): boolean {
  return subject.kind === 'agent' ? a.agentId === subject.agentId : a.team === subject.team && (!subject.agents || subject.agents.includes(a.agentId));
}

/**
 * The figures of agent days `list` (of one agent or several) over `days` dates worked. `ringBreachAt`:
 * the ring that is a breach (answers on an earlier ring are "within the ring
 * limit"); rings-to-answer shares are of answered calls with a known count.
 */
export function scorecardFigures(list: readonly AgentDayAggregate[], ringBreachAt: number, days: number): ScorecardFigures {
  let calls = 0;
  let handleMs = 0;
  let holds = 0;
  let holdMs = 0;
  let ringNoAnswer = 0;
  const rings = [0, 0, 0, 0, 0, 0, 0];
  const byRule = new Map<RuleId, { warn: number; breach: number }>();
  for (const d of list) {
    calls += d.handled;
    handleMs += d.talkMs + d.holdMs + d.wrapMs;
    holds += d.holds;
    holdMs += d.holdMs;
    ringNoAnswer += d.ringNoAnswer;
    d.ringsHist.forEach((n, i) => (rings[Math.min(i, 6)] += n));
    for (const [rule, c] of Object.entries(d.alerts) as [RuleId, { warn: number; breach: number }][]) {
      let r = byRule.get(rule);
      if (!r) byRule.set(rule, (r = { warn: 0, breach: 0 }));
      r.warn += c.warn;
      r.breach += c.breach;
    }
  }
  const rung = rings.reduce((a, b) => a + b, 0);
  const within = rings.slice(0, Math.max(0, Math.min(7, ringBreachAt))).reduce((a, b) => a + b, 0);
  const breaches = [...byRule.values()].reduce((n, r) => n + r.breach, 0);
  return {
    days,
    calls,
    ahtSec: meanSec(handleMs, calls),
    ringsPct: rings.map((n) => (rung > 0 ? round1((100 * n) / rung) : 0)),
    withinRingLimitPct: rung > 0 ? round1((100 * within) / rung) : null,
    holdsPerCall: calls > 0 ? Math.round((100 * holds) / calls) / 100 : null,
    avgHoldSec: meanSec(holdMs, holds),
    ringNoAnswer,
    breaches,
    breachesPer100: calls > 0 ? round1((100 * breaches) / calls) : null,
    rules: ruleRows(byRule, calls),
  };
}

/**
 * The scorecard of `subject` over `current` (the range's day aggregates) with
 * `previous` (the period of equal length before it) for the trend. Throws a
 * RangeError when the subject has no day in either period (unknown agent or team).
 */
export function buildScorecard(
  subject: ScorecardSubject,
  period: { from: string; to: string; previousFrom: string; previousTo: string },
  current: readonly DayAggregate[],
  previous: readonly DayAggregate[],
  ringBreachAt: number,
): Scorecard {
  const queues = subject.queues ? new Set(subject.queues) : undefined;
  const pick = (days: readonly DayAggregate[]) =>
    days.flatMap((d) => {
      const mine = d.agents.filter((a) => belongs(subject, a));
      if (!queues || mine.length === 0) return mine;
      const outside = outsideAlertCounts(d.alerts, (c) => c.queueId === null || queues.has(c.queueId));
      return mine.map((a) => limitAgentDay(a, outside.get(a.agentId)));
    });
  const datesWorked = (days: readonly DayAggregate[]) => days.filter((d) => d.agents.some((a) => belongs(subject, a))).length;
  const cur = pick(current);
  const prev = pick(previous);
  const id = subject.kind === 'agent' ? subject.agentId : subject.team;
  const last = cur[cur.length - 1] ?? prev[prev.length - 1];
  if (!last) throw new RangeError(`${subject.kind === 'agent' ? 'agent' : 'team'} ${id} has no calls or alerts from ${period.previousFrom} to ${period.to}`);
  const agentIds = new Set(cur.map((a) => a.agentId));
  const worst: NotableCall[] = current
    .flatMap((d) => d.notableCalls)
    .filter((n) => n.agentId !== null && (subject.kind === 'agent' ? n.agentId === subject.agentId : agentIds.has(n.agentId)))
    .sort(worseFirst)
    .slice(0, SCORECARD_WORST_CALLS);
  const card: Scorecard = {
    kind: subject.kind,
    id,
    name: subject.kind === 'agent' ? last.name : subject.team,
    from: period.from,
    to: period.to,
    current: scorecardFigures(cur, ringBreachAt, datesWorked(current)),
    previous: scorecardFigures(prev, ringBreachAt, datesWorked(previous)),
    previousFrom: period.previousFrom,
    previousTo: period.previousTo,
    worstCalls: worst,
  };
  if (subject.kind === 'team') {
    // One aggregate per agent and day: an agent's days worked are the length of their list.
    const byAgent = new Map<string, AgentDayAggregate[]>();
    for (const a of cur) {
      let list = byAgent.get(a.agentId);
      if (!list) byAgent.set(a.agentId, (list = []));
      list.push(a);
    }
    card.members = [...byAgent.entries()]
      .map(([agentId, list]) => ({ agentId, name: list[list.length - 1].name, ...scorecardFigures(list, ringBreachAt, list.length) }))
      .sort((a, b) => a.name.localeCompare(b.name) || a.agentId.localeCompare(b.agentId));
  }
  return card;
}
