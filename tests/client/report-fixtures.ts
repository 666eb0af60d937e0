/**
 * A range report and scorecards as `GET /api/reports` and `GET /api/scorecard` return them, for the
 * component tests of the reports and scorecard pages (typed by shared/report/types.ts, so a change of
 * the wire shows here).
 */
import type { QueueFigures, RangeReport, ReportRuleRow, Scorecard, ScorecardFigures } from '../../shared/report/types.ts';

const figures = (over: Partial<QueueFigures>): QueueFigures => ({
  offered: 0, answered: 0, abandoned: 0, shortAbandoned: 0, answeredWithinT: 0, abandonedAfterT: 0, endLost: 0, transferredOut: 0, answeredWaitMs: 0, maxWaitMs: 0, handled: 0, handleMs: 0,
  serviceLevelPct: null, asaSec: null, ahtSec: null, maxWaitSec: 0, abandonedPct: null, ...over,
});

export const REPORT: RangeReport = {
  query: { from: '2026-11-23', to: '2026-11-29', group: 'day', queues: ['sales'], teams: [], agents: [] },
  startMs: Date.UTC(2026, 10, 23),
  endMs: Date.UTC(2026, 10, 30),
  missingDates: ['2026-11-28', '2026-11-29'],
  staleDates: [],
  totals: { ...figures({ offered: 1234, answered: 1180, abandoned: 54, shortAbandoned: 9, transferredOut: 31, handled: 1200, serviceLevelPct: 83, asaSec: 14, ahtSec: 245, maxWaitSec: 312 }), breaches: 42, warns: 80, breachesPer100: 3.5, warnsPer100: 6.7 },
  rows: [
    { ...figures({ offered: 600, answered: 580, abandoned: 20, serviceLevelPct: 88, asaSec: 12, ahtSec: 240, maxWaitSec: 200 }), label: '2026-11-23', startMs: Date.UTC(2026, 10, 23), neededAgents: null, breaches: 20, warns: 31 },
    { ...figures({ offered: 634, answered: 600, abandoned: 34, serviceLevelPct: 71, asaSec: 16, ahtSec: 250, maxWaitSec: 312 }), label: '2026-11-24', startMs: Date.UTC(2026, 10, 24), neededAgents: null, breaches: 22, warns: 49 },
  ],
  queues: [{ ...figures({ offered: 1234, answered: 1180, abandoned: 54, shortAbandoned: 9, serviceLevelPct: 83 }), queueId: 'sales', breaches: 42, warns: 80 }],
  agents: [
    { agentId: '1001', name: 'Ada Lovelace', team: 'North', days: 5, handled: 140, quota: 150, ahtSec: 230, holds: 30, holdSec: 900, ringNoAnswer: 2, breaches: 7, warns: 9, breachesPer100: 5 },
    { agentId: '1002', name: 'Bo Diddley', team: 'South', days: 5, handled: 160, quota: 150, ahtSec: 260, holds: 12, holdSec: 300, ringNoAnswer: 0, breaches: 1, warns: 2, breachesPer100: 0.6 },
  ],
  rules: [
    { rule: 'hold-long', warns: 40, breaches: 30, warnsPer100: 3.3, breachesPer100: 2.5 },
    { rule: 'ring-limit', warns: 40, breaches: 12, warnsPer100: 3.3, breachesPer100: 1 },
    { rule: 'volume', warns: 0, breaches: 0, warnsPer100: 0, breachesPer100: 0 },
  ],
};

const rules = (holdLong: number, ring: number): ReportRuleRow[] => [
  { rule: 'hold-long', warns: 2, breaches: holdLong, warnsPer100: 1, breachesPer100: holdLong },
  { rule: 'ring-limit', warns: 1, breaches: ring, warnsPer100: 0.5, breachesPer100: ring },
];
const period = (over: Partial<ScorecardFigures>): ScorecardFigures => ({
  days: 5, calls: 100, ahtSec: 240, ringsPct: [40, 30, 15, 10, 5, 0, 0], withinRingLimitPct: 95, holdsPerCall: 0.3, avgHoldSec: 40, ringNoAnswer: 2, breaches: 6, breachesPer100: 6, rules: rules(4, 2), ...over,
});

/** Ada's scorecard: fewer breaches than before (better), a longer AHT (neutral), more holds per call (worse). */
export const AGENT_CARD: Scorecard = {
  kind: 'agent',
  id: '1001',
  name: 'Ada Lovelace',
  from: '2026-11-23',
  to: '2026-11-29',
  previousFrom: '2026-11-16',
  previousTo: '2026-11-22',
  current: period({ breaches: 3, breachesPer100: 3, ahtSec: 260, holdsPerCall: 0.5, rules: rules(2, 1) }),
  previous: period({}),
  worstCalls: [{ callId: 'c-77', date: '2026-11-24', agentId: '1001', queueId: 'sales', atMs: Date.UTC(2026, 10, 24, 10, 5), breaches: 2, warns: 1, rules: ['hold-long', 'ring-limit'] }],
};

export const TEAM_CARD: Scorecard = {
  ...AGENT_CARD,
  kind: 'team',
  id: 'North',
  name: 'North',
  members: [
    { ...period({}), agentId: '1001', name: 'Ada Lovelace' },
    { ...period({ calls: 80 }), agentId: '1003', name: 'Cy Twombly' },
  ],
};
