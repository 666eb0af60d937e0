/**
 * What a telephony source has shown of its agents: the queues each serves and
 * their presence. The Asterisk adapters (queue_log, AMI) learn it line by line
 * and event by event, and both need the same rule for an agent first seen on
 * a call.
 */
import type { AgentPresence } from '../shared/events.ts';

export interface MemberTrack {
  presence?: AgentPresence;
  reason?: string;
  queues: string[];
}

// A type, not an interface: adapters push it into loosely typed event lists.
export type MemberSighting = {
  type: 'agent.state';
  id: string;
  at: number;
  agentId: string;
  state: AgentPresence;
  queues: string[];
};

export class MemberRoster {
  private readonly agents = new Map<string, MemberTrack>();

  get size(): number {
    return this.agents.size;
  }

  /** The agent's track, made empty on first sight. */
  track(agentId: string): MemberTrack {
    let a = this.agents.get(agentId);
    if (!a) {
      a = { queues: [] };
      this.agents.set(agentId, a);
    }
    return a;
  }

  /**
   * An agent seen on a call in a queue we did not know they serve (static
   * members in queues.conf never log ADDMEMBER; a member of a queue we joined
   * late): a member of it, and signed in if we knew nothing else of them.
   * Returns the `agent.state` event that says so, or undefined when nothing is new.
   */
  sighting(id: string, agentId: string, queueId: string, atMs: number): MemberSighting | undefined {
    const a = this.track(agentId);
    if (a.queues.includes(queueId) && a.presence !== undefined) return undefined;
    if (!a.queues.includes(queueId)) a.queues.push(queueId);
    a.presence ??= 'available';
    return { type: 'agent.state', id, at: atMs, agentId, state: a.presence, queues: [...a.queues] };
  }
}
