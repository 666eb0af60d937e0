/**
 * Agent deltas on the wire carry only what changed. A state change touches
 * four fields of an agent's ~20 (presence, reason, activity, since): sending
 * the whole view made a floor delta four times larger than it needs to be,
 * and with thousands of floor sockets the bytes, not the frames, were the
 * cost (freshness bench).
 */
import type { AgentView } from './wire.ts';

/** An agent's id and the fields of its view that changed; a full view is a patch too. */
export type AgentPatch = Pick<AgentView, 'agentId'> & Partial<AgentView>;

function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => x === b[i]);
  // Small nested records (alerts by rule): compared by content.
  return typeof a === 'object' && typeof b === 'object' && a !== null && b !== null && JSON.stringify(a) === JSON.stringify(b);
}

/**
 * The fields of `next` that differ from `prev`, with the agent id; all of
 * `next` when there is no `prev`. Returns null when nothing changed.
 * A patch is only sound applied to `prev` itself: the server diffs against
 * what every client of the room holds as of the previous seq.
 */
export function diffAgentView(prev: AgentView | undefined, next: AgentView): AgentPatch | null {
  if (!prev) return next;
  const patch: Record<string, unknown> = { agentId: next.agentId };
  let changed = false;
  for (const key of Object.keys(next) as (keyof AgentView)[]) {
    if (key === 'agentId' || same(prev[key], next[key])) continue;
    patch[key] = next[key];
    changed = true;
  }
  return changed ? (patch as AgentPatch) : null;
}

/**
 * Applies a patch to what a client holds. A patch for an agent it does not
 * hold yet is a full view (the server sends one for an agent it never sent).
 */
export function applyAgentPatch(prev: AgentView | undefined, patch: AgentPatch): AgentView {
  return prev ? { ...prev, ...patch } : (patch as AgentView);
}
