/** The agent grid's sortable columns (issue 14): state, time in state, handled, breaches; ties by name. */
import { describe, expect, it } from 'vitest';
import { sortAgents, breachCount } from '../../client/src/agentFilter.ts';
import type { AgentView } from '../../shared/wire.ts';

const T = Date.UTC(2026, 10, 30, 10, 0, 0);
function agent(id: string, over: Partial<AgentView> = {}): AgentView {
  return {
    agentId: id, name: `Agent ${id}`, team: 't1', queues: ['q1'], presence: 'available', reason: null, activity: 'available', activitySinceMs: T,
    callId: null, handled: 0, quota: 30, shiftStartMs: null, shiftMinutes: 480, ahtSec: null, holds: 0, holdSec: 0, ringNoAnswer: 0, ringCanceled: 0, ringsHist: [0, 0, 0, 0, 0, 0, 0],
    holdHist: [0, 0, 0, 0, 0], alertsByRule: {}, openAlerts: 0, worstOpenLevel: null, ...over,
  };
}

const agents = [
  agent('1', { name: 'Cara', activity: 'away', activitySinceMs: T - 60_000, handled: 9, alertsByRule: { 'hold-long': { info: 0, warn: 2, breach: 1 } } }),
  agent('2', { name: 'Ann', activity: 'talking', activitySinceMs: T - 600_000, handled: 3, alertsByRule: { 'ring-limit': { info: 0, warn: 0, breach: 2 }, 'hold-long': { info: 0, warn: 0, breach: 2 } } }),
  agent('3', { name: 'Bea', activity: 'available', activitySinceMs: T - 5_000, handled: 9 }),
];
const ids = (list: AgentView[]): string[] => list.map((a) => a.agentId);

describe('sortAgents', () => {
  it('keeps the incoming order when no column is chosen', () => {
    expect(ids(sortAgents(agents, null))).toEqual(['1', '2', '3']);
  });
  it('sorts by state in floor order: available, then on a call, then away', () => {
    expect(ids(sortAgents(agents, { key: 'state', dir: 'asc' }))).toEqual(['3', '2', '1']);
    expect(ids(sortAgents(agents, { key: 'state', dir: 'desc' }))).toEqual(['1', '2', '3']);
  });
  it('puts the longest in their state first when time in state sorts descending', () => {
    expect(ids(sortAgents(agents, { key: 'time', dir: 'desc' }))).toEqual(['2', '1', '3']);
  });
  it('breaks ties on handled calls by name', () => {
    expect(ids(sortAgents(agents, { key: 'handled', dir: 'desc' }))).toEqual(['3', '1', '2']);
  });
  it('counts breaches over every rule and sorts the most first', () => {
    expect(breachCount(agents[1])).toBe(4);
    expect(ids(sortAgents(agents, { key: 'breaches', dir: 'desc' }))).toEqual(['2', '1', '3']);
  });
  it('does not reorder the array it was given', () => {
    sortAgents(agents, { key: 'name', dir: 'asc' });
    expect(ids(agents)).toEqual(['1', '2', '3']);
  });
});
