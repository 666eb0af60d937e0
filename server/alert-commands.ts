/**
 * Supervisors acknowledge and reopen alerts over the live socket. Each action
 * is an event in the log (so a replay and every node agree) and a line in the
 * audit trail.
 */
import type { Alert } from '../shared/state.ts';
import type { FloorEvent } from '../shared/events.ts';
import type { FloorState } from '../shared/state.ts';
import type { LogStore } from './log/store.ts';
import type { LiveNamespace } from './live.ts';
import type { NewEvent } from './context.ts';
import { canSupervise, type Principal } from './auth/principal.ts';
import { filterFor, ScopeError } from './scope-guard.ts';

export interface AlertCommandContext {
  record: (events: NewEvent[]) => Promise<FloorEvent[]>;
  state: () => FloorState;
  log: LogStore;
  now: () => number;
  logger: Pick<Console, 'error'>;
  /**
   * Re-checks the socket's credential before the command (revocation.ts):
   * undefined while it holds, else why not (the socket is then disconnected).
   * Without it, the principal of the handshake is trusted.
   */
  recheck?: (socket: object) => string | undefined;
}

function findAlert(s: FloorState, id: string): Alert | undefined {
  return s.alerts.get(id) ?? s.recentAlerts.find((a) => a.id === id);
}

/** Validates a request `{ alertId, note? }`; returns an error text or the clean values. */
export function readAlertRequest(req: unknown): { alertId: string; note?: string } | string {
  if (!req || typeof req !== 'object') return 'expected { alertId, note? }';
  const { alertId, note } = req as { alertId?: unknown; note?: unknown };
  if (typeof alertId !== 'string' || alertId.length === 0 || alertId.length > 300) return 'alertId: required text';
  if (note !== undefined && (typeof note !== 'string' || note.length > 500)) return 'note: text of at most 500 characters';
  const trimmed = typeof note === 'string' ? note.trim() : undefined;
  return trimmed ? { alertId, note: trimmed } : { alertId };
}

/** The name a demo visitor's actions are recorded under: anyone may be one, so it never passes for a supervisor. */
export const DEMO_ACTOR = 'demo visitor';

/** Who an action is recorded as: a user's or token's name, or {@link DEMO_ACTOR} (marked `demo`) for an anonymous demo visitor. */
export function actorOf(p: Principal | string): { by: string; demo: boolean } {
  if (typeof p === 'string') return { by: p, demo: false };
  return p.kind === 'demo' ? { by: DEMO_ACTOR, demo: true } : { by: p.username, demo: false };
}

/**
 * Acknowledges (or reopens) an alert as `who`; resolves with the alert as it now stands. A demo visitor's action is recorded as {@link DEMO_ACTOR} with `demo: true` in the audit trail.
 * Rejects with a {@link ScopeError} when `who` is a scoped supervisor and the alert is not theirs (shared/scope.ts).
 */
export async function actOnAlert(ctx: AlertCommandContext, action: 'acknowledge' | 'reopen', req: { alertId: string; note?: string }, who: Principal | string): Promise<Alert> {
  const { by, demo } = actorOf(who);
  const before = findAlert(ctx.state(), req.alertId);
  if (!before) throw new Error(`alert ${req.alertId.slice(0, 120)} is not open or recent`);
  if (typeof who !== 'string' && !filterFor(ctx.state(), who).alert(before)) throw new ScopeError(`alert ${req.alertId.slice(0, 120)}`);
  const snapshot = { ack: before.ack, reopened: before.reopened };
  if (action === 'acknowledge' && before.ack) return before; // twice is harmless: nothing new to record
  const type = action === 'acknowledge' ? 'alert.acknowledged' : 'alert.reopened';
  await ctx.record([{ type, alertId: req.alertId, by, ...(req.note ? { note: req.note } : {}) } as NewEvent]);
  const after = findAlert(ctx.state(), req.alertId) as Alert;
  await ctx.log.appendAudit({ atMs: ctx.now(), actor: by, action: `alert.${action}`, before: { alertId: req.alertId, ...snapshot }, after: { alertId: req.alertId, ack: after.ack, reopened: after.reopened, ...(demo ? { demo: true } : {}) } });
  return after;
}

/** Handles `alert:acknowledge` and `alert:reopen` on every /live socket: supervisors only, re-checked per command, acked `{ ok, data | error }`. */
export function registerAlertCommands(nsp: LiveNamespace, ctx: AlertCommandContext): void {
  nsp.on('connection', (socket) => {
    for (const action of ['acknowledge', 'reopen'] as const) {
      socket.on(`alert:${action}`, (req: unknown, ack: unknown) => {
        if (typeof ack !== 'function') return;
        const reply = ack as (r: { ok: true; data: Alert } | { ok: false; error: string }) => void;
        // A deleted or demoted supervisor, or one signed out, acknowledges nothing: checked again here, not only at connect.
        const gone = ctx.recheck?.(socket);
        if (gone) return reply({ ok: false, error: `refused: access ended (${gone})` });
        const p = socket.data.principal;
        if (!canSupervise(p) || !p) return reply({ ok: false, error: 'only supervisors acknowledge alerts' });
        const r = readAlertRequest(req);
        if (typeof r === 'string') return reply({ ok: false, error: r });
        actOnAlert(ctx, action, r, p).then(
          (data) => reply({ ok: true, data }),
          (err: Error) => reply({ ok: false, error: err.message }),
        );
      });
    }
  });
}
