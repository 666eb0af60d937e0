/**
 * Supervisors assign callback worklist items to agents (and take them back)
 * over the live socket, like acknowledging an alert: each assignment is an
 * internal event in the log (`worklist.assigned`, so a replay and every node
 * agree) and a line in the audit trail. Supervisors and admins only, checked
 * on every command.
 */
import type { FloorEvent } from '../shared/events.ts';
import type { FloorState } from '../shared/state.ts';
import type { WorklistItemView } from '../shared/wire.ts';
import { findOpenItem } from '../shared/engine.ts';
import { selectWorklistItemView } from '../shared/worklist-view.ts';
import { scopeWorklistItem } from '../shared/scope.ts';
import type { LogStore } from './log/store.ts';
import type { LiveNamespace } from './live.ts';
import type { NewEvent } from './context.ts';
import { canSupervise, type Principal } from './auth/principal.ts';
import { actorOf } from './alert-commands.ts';
import { filterFor, ScopeError } from './scope-guard.ts';

export interface WorklistCommandContext {
  record: (events: NewEvent[]) => Promise<FloorEvent[]>;
  state: () => FloorState;
  log: LogStore;
  now: () => number;
  /** Re-checks the socket's credential before the command (revocation.ts): undefined while it holds, else why not. */
  recheck?: (socket: object) => string | undefined;
}

/** Validates a request `{ itemId, agentId }` (`agentId: null` takes the item back); returns an error text or the clean values. */
export function readAssignRequest(req: unknown): { itemId: string; agentId: string | null } | string {
  if (!req || typeof req !== 'object') return 'expected { itemId, agentId }';
  const { itemId, agentId } = req as { itemId?: unknown; agentId?: unknown };
  if (typeof itemId !== 'string' || itemId.length === 0 || itemId.length > 300) return 'itemId: required text';
  if (agentId !== null && (typeof agentId !== 'string' || agentId.length === 0 || agentId.length > 128)) return 'agentId: an agent id, or null to unassign';
  return { itemId, agentId };
}

/**
 * Assigns (or, with `agentId: null`, unassigns) an open worklist item as `who`; resolves with the item as it now stands.
 * Rejects with a {@link ScopeError} when `who` is a scoped supervisor and the item's queue, or the agent, is not theirs (shared/scope.ts).
 */
export async function assignWorklistItem(ctx: WorklistCommandContext, req: { itemId: string; agentId: string | null }, who: Principal | string): Promise<WorklistItemView> {
  const { by, demo } = actorOf(who);
  const s = ctx.state();
  const before = findOpenItem(s, req.itemId);
  if (!before) throw new Error(`worklist item ${req.itemId.slice(0, 120)} is not open`);
  const f = typeof who === 'string' ? undefined : filterFor(s, who);
  if (f?.restricted && !f.worklistItem(before)) throw new ScopeError(`worklist item ${req.itemId.slice(0, 120)}`);
  if (f?.restricted && req.agentId !== null && !f.agent(req.agentId)) throw new ScopeError(`agent ${req.agentId.slice(0, 128)}`);
  if (req.agentId !== null && !s.agents.has(req.agentId)) throw new Error(`unknown agent ${req.agentId.slice(0, 128)}`);
  const previous = before.assignedTo ?? null;
  if (previous === req.agentId) return f ? scopeWorklistItem(selectWorklistItemView(before), f) : selectWorklistItemView(before);
  await ctx.record([{ type: 'worklist.assigned', itemId: req.itemId, by, ...(req.agentId !== null ? { agentId: req.agentId } : {}) } as NewEvent]);
  const after = findOpenItem(ctx.state(), req.itemId);
  await ctx.log.appendAudit({
    atMs: ctx.now(),
    actor: by,
    action: req.agentId !== null ? 'worklist.assign' : 'worklist.unassign',
    before: { itemId: req.itemId, assignedTo: previous },
    after: { itemId: req.itemId, assignedTo: after?.assignedTo ?? null, ...(demo ? { demo: true } : {}) },
  });
  if (!after) throw new Error(`worklist item ${req.itemId.slice(0, 120)} closed meanwhile`);
  return f ? scopeWorklistItem(selectWorklistItemView(after), f) : selectWorklistItemView(after);
}

/** Handles `worklist:assign` on every /live socket: supervisors only, re-checked per command, acked `{ ok, data | error }`. */
export function registerWorklistCommands(nsp: LiveNamespace, ctx: WorklistCommandContext): void {
  nsp.on('connection', (socket) => {
    socket.on('worklist:assign', (req: unknown, ack: unknown) => {
      if (typeof ack !== 'function') return;
      const reply = ack as (r: { ok: true; data: WorklistItemView } | { ok: false; error: string }) => void;
      const gone = ctx.recheck?.(socket);
      if (gone) return reply({ ok: false, error: `refused: access ended (${gone})` });
      const p = socket.data.principal;
      if (!canSupervise(p) || !p) return reply({ ok: false, error: 'only supervisors assign callbacks' });
      const r = readAssignRequest(req);
      if (typeof r === 'string') return reply({ ok: false, error: r });
      assignWorklistItem(ctx, r, p).then(
        (data) => reply({ ok: true, data }),
        (err: Error) => reply({ ok: false, error: err.message }),
      );
    });
  });
}
