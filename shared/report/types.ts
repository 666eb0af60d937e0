/**
 * Range reports and scorecards: the shapes stored per closed day (daily
 * aggregates) and the JSON `GET /api/reports` and `GET /api/scorecard` return.
 * Times are epoch ms (`…Ms`), durations in seconds where the name says `Sec`.
 */
import type { RuleId } from '../config.ts';
import type { AgentDay, QueueDay } from '../state.ts';

/** Bump when {@link DayAggregate} changes shape: stored aggregates of another version are rebuilt from the log. */
export const AGGREGATE_VERSION = 1;

/**
 * The counters a queue keeps for a day or one of its 15-minute intervals: the engine's own day
 * counters (QueueDay, which a 15-minute IntervalBucket also carries), sums that add across days and
 * intervals, but for `maxWaitMs`, a maximum.
 */
export type QueueCounters = QueueDay;

/** One queue's closed day: its counters, its 15-minute intervals (only those with calls), and its alerts by rule. */
export interface QueueDayAggregate {
  queueId: string;
  counters: QueueCounters;
  /** The SL threshold T, s, and target, % in force for the queue that day (for Erlang C per interval). */
  thresholdSec: number;
  targetPct: number;
  intervals: (QueueCounters & { startMs: number })[];
}

/** Alerts of a day by rule, queue and agent (final level; retracted ones not counted): any filter of a report can sum them. */
export interface AlertCount {
  rule: RuleId;
  /** The queue of the alert's call (or the queue itself, queue-wait); null for none. */
  queueId: string | null;
  agentId: string | null;
  /** The agent's team that day, null for none. */
  team: string | null;
  warn: number;
  breach: number;
}

/** One agent's closed day: the engine's own day counters (AgentDay), with who the agent was and their quota that day. */
export interface AgentDayAggregate extends AgentDay {
  agentId: string;
  name: string;
  team: string | null;
  /** Daily quota of calls in force for the agent that day. */
  quota: number;
}

/** A call with alerts, kept (the worst few per agent and day) for the scorecard's "worst calls". */
export interface NotableCall {
  callId: string;
  /** Floor-local date of the call, YYYY-MM-DD (its drill-down asks for the day). */
  date: string;
  agentId: string | null;
  queueId: string | null;
  /** First alert's time on the call. */
  atMs: number;
  breaches: number;
  warns: number;
  rules: RuleId[];
}

/** Everything a range report needs of one closed floor-local day; stored once the day is closed. */
export interface DayAggregate {
  version: number;
  /** YYYY-MM-DD, floor-local. */
  date: string;
  dayStartMs: number;
  dayEndMs: number;
  queues: QueueDayAggregate[];
  agents: AgentDayAggregate[];
  alerts: AlertCount[];
  /** The worst calls of the day (most breaches, then warnings), at most a few per agent. */
  notableCalls: NotableCall[];
}

/** How a range report groups its time rows. */
export type ReportGroup = 'day' | 'week' | 'interval15' | 'interval30' | 'interval60';

/** A range report request: floor-local dates, inclusive; empty filters mean all. */
export interface ReportQuery {
  from: string;
  to: string;
  group: ReportGroup;
  queues: string[];
  teams: string[];
  agents: string[];
  /**
   * A scoped supervisor's limits (shared/scope.ts `ScopeFilter.limit`), on top of the filters:
   * each list given restricts, an empty one to nothing. `queues` the call figures and the alerts
   * naming a queue; `teams` and `agents` the agent rows and the alerts naming an agent.
   */
  limit?: ReportLimit;
}

/** See {@link ReportQuery.limit}. */
export interface ReportLimit {
  queues?: string[];
  teams?: string[];
  agents?: string[];
}

/** Derived figures of a set of {@link QueueCounters}. */
export interface QueueFigures extends QueueCounters {
  serviceLevelPct: number | null;
  asaSec: number | null;
  ahtSec: number | null;
  maxWaitSec: number;
  abandonedPct: number | null;
}

/** One time row of a range report: a day, a week (ISO, starting Monday) or an interval of the day summed over the range's days. */
export interface ReportTimeRow extends QueueFigures {
  /** Row label: `2026-11-23` (day), `2026-W48` (week), `09:15` (interval). */
  label: string;
  /** The row's start: the day's or week's first day (epoch ms), or for intervals the minutes after local midnight. */
  startMs: number;
  /** Erlang C agents needed for the row's traffic at its AHT to meet the SL target (intervals only; null without handled calls). */
  neededAgents: number | null;
  /** Breaches and warnings on the row's calls (null for interval rows: alerts are kept per day). */
  breaches: number | null;
  warns: number | null;
}

/** A queue's figures over the range. */
export interface ReportQueueRow extends QueueFigures {
  queueId: string;
  breaches: number;
  warns: number;
}

/** An agent's figures over the range. */
export interface ReportAgentRow {
  agentId: string;
  name: string;
  team: string | null;
  days: number;
  handled: number;
  /** Sum of the daily quotas of the days the agent worked. */
  quota: number;
  ahtSec: number | null;
  holds: number;
  holdSec: number;
  ringNoAnswer: number;
  breaches: number;
  warns: number;
  /** Breaches per 100 handled calls (null with no call handled). */
  breachesPer100: number | null;
}

/** Alerts of one rule over the range: counts and per 100 handled calls. */
export interface ReportRuleRow {
  rule: RuleId;
  warns: number;
  breaches: number;
  warnsPer100: number | null;
  breachesPer100: number | null;
}

/**
 * What `GET /api/reports` returns. The queue filter applies to the call figures, the queue and
 * time rows, the rules and the breach counts; the team and agent filters to the agent rows, the
 * rules and the breach counts. Call volumes belong to queues, and an agent's day is not split by
 * queue, so the agent rows are never filtered by queue.
 */
export interface RangeReport {
  query: ReportQuery;
  /** The range's first day start and last day end, epoch ms. */
  startMs: number;
  endMs: number;
  /** Dates in the range the log has no events for (or not yet). */
  missingDates: string[];
  /** Dates whose aggregates were built under settings other than today's and cannot be rebuilt (raw events pruned). */
  staleDates: string[];
  /** Breaches and warnings per 100 handled calls: the filtered agents' calls when filtered by team or agent, else the queues'. */
  totals: QueueFigures & { breaches: number; warns: number; breachesPer100: number | null; warnsPer100: number | null };
  rows: ReportTimeRow[];
  queues: ReportQueueRow[];
  agents: ReportAgentRow[];
  rules: ReportRuleRow[];
}

/** One scorecard: an agent's or a team's etiquette over a range, with the previous period of the same length beside it. */
export interface Scorecard {
  kind: 'agent' | 'team';
  /** Agent id or team name. */
  id: string;
  name: string;
  from: string;
  to: string;
  current: ScorecardFigures;
  /** The same figures for the period of equal length just before (`previousFrom`..`previousTo`). */
  previous: ScorecardFigures;
  previousFrom: string;
  previousTo: string;
  /** The worst calls in the range, most breaches first, at most 10. */
  worstCalls: NotableCall[];
  /** For a team: its agents' own figures (current period). */
  members?: (ScorecardFigures & { agentId: string; name: string })[];
}

/** The figures of a scorecard period. */
export interface ScorecardFigures {
  days: number;
  calls: number;
  ahtSec: number | null;
  /** Rings to answer, share of answered calls per bucket (0..5 rings, 6+), %. */
  ringsPct: number[];
  /** Answered within the ring limit (rings < the breach ring), %. */
  withinRingLimitPct: number | null;
  holdsPerCall: number | null;
  /** Mean hold, s (over holds). */
  avgHoldSec: number | null;
  ringNoAnswer: number;
  breaches: number;
  breachesPer100: number | null;
  rules: ReportRuleRow[];
}
