/** The agent grid's filters, kept out of the component so they are tested on their own. */
import type { AgentView } from '../../shared/wire.ts';

export interface AgentFilter {
  team: string;
  queue: string;
  /** An activity (available, ringing, talking, hold, wrapup, away, offline) or '' for all. */
  state: string;
  breachingOnly: boolean;
  search: string;
}

export function filterAgents(agents: AgentView[], f: AgentFilter, breaching: Set<string>): AgentView[] {
  const needle = f.search.trim().toLocaleLowerCase();
  return agents.filter(
    (a) =>
      (!f.team || a.team === f.team) &&
      (!f.queue || a.queues.includes(f.queue)) &&
      (!f.state || a.activity === f.state) &&
      (!f.breachingOnly || breaching.has(a.agentId)) &&
      (!needle || a.name.toLocaleLowerCase().includes(needle) || a.agentId.toLocaleLowerCase().includes(needle)),
  );
}

/** Columns the agent grid sorts by; `time` is time in the current state. */
export type AgentSortKey = 'name' | 'state' | 'time' | 'handled' | 'breaches';
export interface AgentSort {
  key: AgentSortKey;
  dir: 'asc' | 'desc';
}

/** Activities in the order a supervisor reads the floor: who can take a call, then who is busy, then who is gone. */
const ACTIVITY_ORDER = ['available', 'ringing', 'talking', 'hold', 'wrapup', 'away', 'offline'];

/** Breaches of the day over every rule. */
export function breachCount(a: AgentView): number {
  return Object.values(a.alertsByRule).reduce((n, c) => n + (c?.breach ?? 0), 0);
}

/**
 * The grid's rows in the chosen order, ties by name. Time in state sorts on the state's start (the earliest start
 * is the longest in state), so the order does not change with the clock, only with events.
 */
export function sortAgents(agents: AgentView[], sort: AgentSort | null): AgentView[] {
  if (!sort) return agents;
  const sign = sort.dir === 'asc' ? 1 : -1;
  const key = (a: AgentView): number | string => {
    switch (sort.key) {
      case 'state':
        return ACTIVITY_ORDER.indexOf(a.activity);
      case 'time':
        return -a.activitySinceMs;
      case 'handled':
        return a.handled;
      case 'breaches':
        return breachCount(a);
      default:
        return a.name.toLocaleLowerCase();
    }
  };
  return agents
    .map((a) => ({ a, k: key(a) }))
    .sort((x, y) => (x.k < y.k ? -sign : x.k > y.k ? sign : x.a.name.localeCompare(y.a.name)))
    .map((x) => x.a);
}
