import { describe, expect, it } from 'vitest';
import { Feed, T0, configWith } from './feed.ts';
import { selectAllQueueKpis, selectDayTables } from '../../shared/selectors.ts';
import { agentsNeeded } from '../../shared/erlang.ts';
import { DEFAULT_STAFFING_WINDOW_MINUTES, defaultConfig, parseConfig, type FloorConfig } from '../../shared/config.ts';

const staffing = (f: Feed, q = 'q1') => selectAllQueueKpis(f.state).find((k) => k.queueId === q)!.staffing;

/**
 * Feeds calls in time order: each `[offerSec, handleSec, agentId]` is queued, rung and answered at
 * `offerSec` and ends `handleSec` later (no wrap-up), unless that is after `untilSec`; then the
 * clock ticks to `untilSec`.
 */
function feedCalls(f: Feed, calls: [number, number, string][], untilSec: number, queueId = 'q1'): Feed {
  const steps: { at: number; order: number; run: () => void }[] = [];
  calls.forEach(([at, handleSec, agentId], i) => {
    const id = `${queueId}-c${i}`;
    steps.push({ at, order: 1, run: () => f.queued(at, id, queueId).ringing(at, id, agentId).answered(at, id, agentId) });
    if (at + handleSec <= untilSec) steps.push({ at: at + handleSec, order: 0, run: () => f.ended(at + handleSec, id) });
  });
  // Ends first at one instant: the agent is free for the next call.
  steps.sort((a, b) => a.at - b.at || a.order - b.order);
  for (const s of steps) s.run();
  return f.tick(untilSec);
}

/**
 * Issue 16's worked example on a floor: 100 calls in the 30 minutes to 09:30, one every 18 s,
 * each handled 180 s (10 Erlangs), by 15 agents of q1 in turn; also an away agent of q1, an
 * offline one, and an agent of another queue.
 */
function workedExample(config: FloorConfig = defaultConfig()): Feed {
  const f = new Feed(config);
  for (let i = 0; i < 15; i++) f.agent(0, `a${i}`, 'available', { queues: ['q1'] });
  f.agent(0, 'away1', 'away', { queues: ['q1'], reason: 'lunch' });
  f.agent(0, 'gone', 'offline', { queues: ['q1'] });
  f.agent(0, 'other', 'available', { queues: ['q2'] });
  const calls: [number, number, string][] = [];
  for (let i = 0; i < 100; i++) calls.push([i * 18, 180, `a${i % 15}`]);
  return feedCalls(f, calls, 30 * 60);
}

describe('live staffing per queue (Erlang C over the last 30 minutes)', () => {
  it('needs 14 agents for the worked example (100 calls in 30 min, AHT 180 s, 80/20), against 15 serving (16 signed in, one away) and 6 free', () => {
    const f = workedExample();
    expect(staffing(f)).toEqual({
      neededAgents: 14,
      // 9 of the 15 are on the calls offered in the last 180 s; the away agent is signed in, not free.
      availableAgents: 6,
      signedInAgents: 16,
      servingAgents: 15,
      erlangs: 10,
      callsPerHour: 200,
      ahtSec: 180,
      windowMin: 30,
      source: 'window',
    });
    expect(staffing(f, 'q2')).toBeNull(); // no handled call there: no AHT known
  });

  it('takes the SL target and T from the queue\'s override', () => {
    const f = workedExample(configWith((c) => (c.queues.q1 = { serviceLevel: { targetPct: 90 } })));
    expect(staffing(f)?.neededAgents).toBe(15); // 14 agents give 88.8 %, 15 give 94.2 %
  });

  it('caps occupancy at the floor\'s target occupancy, and at a queue\'s own', () => {
    expect(staffing(workedExample(configWith((c) => (c.workload.targetOccupancy = 0.7))))?.neededAgents).toBe(15); // 10 / 0.7 = 14.3
    expect(staffing(workedExample(configWith((c) => (c.queues.q1 = { workload: { targetOccupancy: 0.6 } }))))?.neededAgents).toBe(17); // 10 / 0.6 = 16.7
  });

  it('measures over the configured window', () => {
    const f = workedExample(configWith((c) => (c.staffing = { windowMinutes: 60 })));
    // The same 100 calls over an hour: half the rate, 5 Erlangs.
    expect(staffing(f)).toMatchObject({ windowMin: 60, callsPerHour: 100, erlangs: 5, ahtSec: 180, source: 'window' });
    expect(staffing(f)?.neededAgents).toBe(agentsNeeded({ erlangs: 5, ahtSec: 180, thresholdSec: 20, targetPct: 80, maxOccupancyPct: 85 }).agents);
  });

  it('uses 30 minutes for a configuration saved before the window existed', () => {
    const c = defaultConfig();
    delete c.staffing;
    const parsed = parseConfig(JSON.parse(JSON.stringify(c)));
    expect(parsed.ok).toBe(true);
    const f = workedExample(parsed.ok ? parsed.config : c);
    expect(staffing(f)).toMatchObject({ windowMin: DEFAULT_STAFFING_WINDOW_MINUTES, neededAgents: 14 });
  });

  it('refuses a window under 5 or over 240 minutes, or not whole', () => {
    for (const windowMinutes of [4, 241, 30.5]) {
      const r = parseConfig({ ...defaultConfig(), staffing: { windowMinutes } });
      expect(r.ok ? 'accepted' : r.error).toMatch(/^staffing\.windowMinutes: /);
    }
  });

  it('prorates the oldest interval by its overlap with the window', () => {
    // 30 calls in 09:00–09:15, one every 30 s, each 120 s; at 09:40 the window (09:10–09:40) holds a third of that interval.
    const f = new Feed();
    for (let i = 0; i < 5; i++) f.agent(0, `a${i}`, 'available', { queues: ['q1'] });
    const calls: [number, number, string][] = [];
    for (let i = 0; i < 30; i++) calls.push([i * 30, 120, `a${i % 5}`]);
    feedCalls(f, calls, 40 * 60);
    const erlangs = (10 * 120) / 1800;
    expect(staffing(f)).toEqual({
      neededAgents: agentsNeeded({ erlangs, ahtSec: 120, thresholdSec: 20, targetPct: 80, maxOccupancyPct: 85 }).agents,
      availableAgents: 5,
      signedInAgents: 5,
      servingAgents: 5,
      erlangs: 0.67,
      callsPerHour: 20,
      ahtSec: 120,
      windowMin: 30,
      source: 'window',
    });
    expect(staffing(f)?.neededAgents).toBe(2);
  });

  it('falls back to the day\'s AHT when the window holds fewer than 5 handled calls, and needs nobody when no call comes', () => {
    const f = new Feed();
    f.agent(0, 'a1', 'available', { queues: ['q1'] }).agent(0, 'a2', 'available', { queues: ['q1'] });
    // 09:00: six calls of 300 s; 11:00: two of 60 s. At 11:10 the window holds the two.
    const calls: [number, number, string][] = [];
    for (let i = 0; i < 6; i++) calls.push([i * 600, 300, 'a1']);
    calls.push([7200, 60, 'a1'], [7300, 60, 'a2']);
    feedCalls(f, calls, 7800);
    expect(staffing(f)).toMatchObject({ source: 'day', ahtSec: (6 * 300 + 2 * 60) / 8, callsPerHour: 4, erlangs: round2((2 * 240) / 1800) });
    expect(staffing(f)?.neededAgents).toBe(2); // 0.27 Erlangs: one agent answers only 74.9 % within 20 s
    // 14:00: nothing offered in the last half hour.
    f.tick(5 * 3600);
    expect(staffing(f)).toMatchObject({ source: 'day', ahtSec: 240, callsPerHour: 0, erlangs: 0, neededAgents: 0, signedInAgents: 2, servingAgents: 2, availableAgents: 2 });
  });

  it('is null while no call has been handled (no AHT known), even with callers waiting', () => {
    const f = new Feed().agent(0, 'a1', 'available', { queues: ['q1'] });
    f.queued(10, 'c1').queued(20, 'c2').tick(60);
    expect(staffing(f)).toBeNull();
  });

  it('reaches back before midnight into yesterday\'s intervals', () => {
    const f = new Feed();
    const midnight = 15 * 3600; // seconds after 09:00 UTC
    f.agent(midnight - 1200, 'a1', 'available', { queues: ['q1'] }).agent(midnight - 1200, 'a2', 'available', { queues: ['q1'] });
    // Six calls of 100 s from 23:45, on two agents.
    const calls: [number, number, string][] = [];
    for (let i = 0; i < 6; i++) calls.push([midnight - 900 + i * 60, 100, i % 2 === 0 ? 'a1' : 'a2']);
    feedCalls(f, calls, midnight + 600);
    expect(f.state.dayStartMs).toBe(T0 + midnight * 1000);
    expect(f.state.queues.get('q1')?.today.handled).toBe(0);
    // The window 23:40–00:10 holds the six: 12 an hour, AHT 100 s from the window itself (today has none).
    expect(staffing(f)).toMatchObject({ source: 'window', callsPerHour: 12, ahtSec: 100, erlangs: round2((6 * 100) / 1800) });
  });

  it('has no staffing for a day that is over', () => {
    const f = workedExample();
    const yesterday = f.state.dayStartMs;
    f.tick(15 * 3600 + 60);
    expect(selectDayTables(f.state, yesterday).queues.find((q) => q.queueId === 'q1')?.staffing).toBeNull();
  });
});

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
