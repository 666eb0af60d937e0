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
