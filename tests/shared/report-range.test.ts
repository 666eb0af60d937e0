/**
 * The pure parts of range reports (issue 16): calendar dates and ISO weeks, floor-local days across
 * a DST change, and a range's sums from daily aggregates (the longest wait a maximum, the service
 * level from the summed counters, per-100 rates, filters by queue, team and agent).
 */
import { describe, expect, it } from 'vitest';
import { buildRangeReport } from '../../shared/report/range.ts';
import { emptyQueueDay } from '../../shared/engine/core.ts';
import { scorecardFigures } from '../../shared/report/scorecard.ts';
import { AGGREGATE_VERSION, type AgentDayAggregate, type DayAggregate, type QueueCounters } from '../../shared/report/types.ts';
import { addDays, datesBetween, dayOfDate, isoWeekOf, parseDate } from '../../shared/time.ts';
import { dateOfDay } from '../../shared/report/aggregate.ts';

describe('calendar dates', () => {
  it('knows real dates from strings that only look like them', () => {
    expect(parseDate('2028-02-29')).toEqual({ year: 2028, month: 2, day: 29 });
    for (const bad of ['2026-02-29', '2026-13-01', '2026-11-31', '26-11-01', '2026-1-01', '']) expect(parseDate(bad), bad).toBeNull();
    expect(() => datesBetween('2026-11-31', '2026-12-01')).toThrow(RangeError);
  });

  it('lists ranges across month and year ends, and steps days', () => {
    expect(datesBetween('2026-12-30', '2027-01-02')).toEqual(['2026-12-30', '2026-12-31', '2027-01-01', '2027-01-02']);
    expect(datesBetween('2026-11-02', '2026-11-01')).toEqual([]);
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
    expect(addDays('2028-02-28', 1)).toBe('2028-02-29');
  });

  it('numbers ISO 8601 weeks (a week belongs to the year of its Thursday)', () => {
    expect(isoWeekOf('2026-11-30')).toEqual({ label: '2026-W49', monday: '2026-11-30' });
    expect(isoWeekOf('2026-11-29')).toEqual({ label: '2026-W48', monday: '2026-11-23' });
    expect(isoWeekOf('2027-01-01').label).toBe('2026-W53'); // Friday: 2026 has 53 weeks
    expect(isoWeekOf('2024-12-30').label).toBe('2025-W01');
    expect(isoWeekOf('2021-01-03').label).toBe('2020-W53');
  });

  it('gives floor-local days, 23 and 25 hours long at the DST changes, and their dates back', () => {
    const spring = dayOfDate('2026-03-29', 'Europe/Tallinn');
    expect(spring.endMs - spring.startMs).toBe(23 * 3_600_000);
    const autumn = dayOfDate('2026-10-25', 'Europe/Tallinn');
    expect(autumn.endMs - autumn.startMs).toBe(25 * 3_600_000);
    expect(new Date(dayOfDate('2026-11-30', 'Europe/Istanbul').startMs).toISOString()).toBe('2026-11-29T21:00:00.000Z');
    expect(dateOfDay(dayOfDate('2026-11-30', 'Pacific/Kiritimati').startMs, 'Pacific/Kiritimati')).toBe('2026-11-30');
    expect(dateOfDay(dayOfDate('2026-11-30', 'Pacific/Pago_Pago').startMs, 'Pacific/Pago_Pago')).toBe('2026-11-30');
  });
});

function counters(c: Partial<QueueCounters>): QueueCounters {
  return { ...emptyQueueDay(), ...c };
}

function agentDay(a: Partial<AgentDayAggregate> & { agentId: string }): AgentDayAggregate {
  return { name: a.agentId, team: null, quota: 30, handled: 0, talkMs: 0, holdMs: 0, wrapMs: 0, holds: 0, ringNoAnswer: 0, ringCanceled: 0, ringsHist: [0, 0, 0, 0, 0, 0, 0], holdHist: [0, 0, 0, 0, 0], alerts: {}, awayMs: {}, ...a };
}

function day(date: string, queues: DayAggregate['queues'], agents: AgentDayAggregate[], alerts: DayAggregate['alerts'] = []): DayAggregate {
  const { startMs, endMs } = dayOfDate(date, 'UTC');
  return { version: AGGREGATE_VERSION, date, dayStartMs: startMs, dayEndMs: endMs, queues, agents, alerts, notableCalls: [] };
}

const query = { from: '2026-11-23', to: '2026-11-24', group: 'day' as const, queues: [], teams: [], agents: [] };

describe('range sums', () => {
  const d1 = day(
    '2026-11-23',
    [
      { queueId: 'sales', counters: counters({ offered: 10, answered: 8, abandoned: 2, shortAbandoned: 1, answeredWithinT: 6, abandonedAfterT: 1, answeredWaitMs: 80_000, maxWaitMs: 50_000, handled: 8, handleMs: 960_000 }), thresholdSec: 20, targetPct: 80, intervals: [] },
      { queueId: 'support', counters: counters({ offered: 4, answered: 4, answeredWithinT: 4, answeredWaitMs: 20_000, maxWaitMs: 9_000, handled: 4, handleMs: 400_000 }), thresholdSec: 20, targetPct: 80, intervals: [] },
    ],
    [agentDay({ agentId: 'a1', team: 'A', handled: 8, talkMs: 900_000, holdMs: 60_000, holds: 2 }), agentDay({ agentId: 'a2', team: 'B', handled: 4, talkMs: 400_000 })],
    [
      { rule: 'ring-limit', queueId: 'sales', agentId: 'a1', team: 'A', warn: 1, breach: 2 },
      { rule: 'queue-wait', queueId: 'sales', agentId: null, team: null, warn: 1, breach: 0 },
    ],
  );
  const d2 = day(
    '2026-11-24',
    [{ queueId: 'sales', counters: counters({ offered: 6, answered: 6, answeredWithinT: 3, answeredWaitMs: 120_000, maxWaitMs: 70_000, handled: 6, handleMs: 600_000 }), thresholdSec: 20, targetPct: 80, intervals: [] }],
    [agentDay({ agentId: 'a1', team: 'A', handled: 6, talkMs: 600_000 })],
    [{ rule: 'ring-limit', queueId: 'sales', agentId: 'a1', team: 'A', warn: 0, breach: 1 }],
  );
  const opts = { startMs: d1.dayStartMs, endMs: d2.dayEndMs, timeZone: 'UTC' };

  it('adds counters, takes the longest wait as a maximum and computes figures from the sums', () => {
    const r = buildRangeReport([d1, d2], query, opts);
    expect(r.totals).toMatchObject({ offered: 20, answered: 18, abandoned: 2, maxWaitSec: 70, breaches: 3, warns: 2, breachesPer100: 16.7, warnsPer100: 11.1 });
    // SL = within T ÷ (answered + abandoned after T) = 13 ÷ 19; ASA = 220 s ÷ 18; AHT = 1,960 s ÷ 18.
    expect(r.totals.serviceLevelPct).toBe(68.4);
    expect(r.totals.asaSec).toBe(12.2);
    expect(r.totals.ahtSec).toBe(108.9);
    expect(r.rows.map((x) => [x.label, x.offered, x.breaches])).toEqual([
      ['2026-11-23', 14, 2],
      ['2026-11-24', 6, 1],
    ]);
    expect(r.queues.find((q) => q.queueId === 'sales')).toMatchObject({ offered: 16, maxWaitSec: 70, breaches: 3, warns: 2 });
    // Per 100 calls: 3 breaches on 18 handled calls.
    expect(r.rules.find((x) => x.rule === 'ring-limit')).toMatchObject({ breaches: 3, warns: 1, breachesPer100: 16.7 });
    // Agents: days worked, the quotas of those days summed (their breaches are the engine's own day counts, none here).
    expect(r.agents.map((a) => [a.agentId, a.handled, a.days, a.quota, a.breaches])).toEqual([
      ['a1', 14, 2, 60, 0],
      ['a2', 4, 1, 30, 0],
    ]);
  });

  it('filters agents and their alerts by team and agent, calls by queue', () => {
    const teamB = buildRangeReport([d1, d2], { ...query, teams: ['B'] }, opts);
    expect(teamB.agents.map((a) => a.agentId)).toEqual(['a2']);
    expect(teamB.rules).toEqual([]);
    expect(teamB.totals.offered).toBe(20); // call volumes belong to queues
    const support = buildRangeReport([d1, d2], { ...query, queues: ['support'] }, opts);
    expect(support.totals).toMatchObject({ offered: 4, breaches: 0 });
  });

  it('scores rings to answer against the ring limit', () => {
    const f = scorecardFigures([agentDay({ agentId: 'a1', handled: 10, ringsHist: [0, 4, 3, 1, 2, 0, 0], holds: 5, holdMs: 150_000 })], 4, 1);
    expect(f.ringsPct).toEqual([0, 40, 30, 10, 20, 0, 0]);
    expect(f.withinRingLimitPct).toBe(80);
    expect(f.holdsPerCall).toBe(0.5);
    expect(f.avgHoldSec).toBe(30);
  });
});
