/**
 * The server's side of supervisor scopes (shared/scope.ts): which scope a
 * principal carries, the filter a request or socket is answered through, and
 * the refusals. Every route and socket handler that serves or acts on floor
 * data asks here, so a scoped supervisor is held to their queues and teams
 * the same way everywhere.
 */
import type { Response } from 'express';
import type { Alert, FloorState } from '../shared/state.ts';
import type { AlertQuery, LogStore } from './log/store.ts';
import type { LiveScope } from '../shared/wire.ts';
import { scopeFilter, WHOLE_FLOOR, type ScopeFilter } from '../shared/scope.ts';
import { scopeOf, type Principal } from './auth/principal.ts';

/** The answer's text when something asked for is not in the asker's scope (403). */
export const NOT_IN_SCOPE = 'not in your scope: your account is limited to some queues and teams';

/** The filter a principal's requests are answered through: {@link WHOLE_FLOOR} for admins and unscoped principals. */
export function filterFor(s: FloorState, p: Principal | undefined): ScopeFilter {
  const scope = scopeOf(p);
  return scope ? scopeFilter(s, scope) : WHOLE_FLOOR;
}

/** The filter of the principal a `require…` middleware put on the response. */
export function filterOfResponse(s: FloorState, res: Response): ScopeFilter {
  return filterFor(s, res.locals.principal as Principal | undefined);
}

/** Answers 403 with what is out of scope. */
export function refuseOutOfScope(res: Response, what?: string): Response {
  return res.status(403).json({ ok: false, error: what ? `${NOT_IN_SCOPE} (${what})` : NOT_IN_SCOPE });
}

/**
 * The live scope a supervisor's or wallboard's socket gets for what it asked: the same room kind,
 * limited to the principal's queues and teams (never to a limit the client sends). An agent's view
 * opened by a scoped supervisor must be one of their agents; returns the refusal's text otherwise.
 */
export function limitedLiveScope(requested: LiveScope, p: Principal, s: FloorState): LiveScope | string {
  const scope = scopeOf(p);
  if (!scope) return requested.kind === 'agent' ? { kind: 'agent', agentId: requested.agentId } : { kind: requested.kind };
  if (requested.kind === 'agent') {
    if (!scopeFilter(s, scope).agent(requested.agentId)) return `${NOT_IN_SCOPE}: agent ${requested.agentId.slice(0, 64)} is not one of yours`;
    return { kind: 'agent', agentId: requested.agentId, limit: scope };
  }
  return { kind: requested.kind, limit: scope };
}

/** Something asked for or acted on is not in the asker's scope: a 403 over HTTP, an error ack on a socket. */
export class ScopeError extends Error {
  constructor(what?: string) {
    super(what ? `${NOT_IN_SCOPE} (${what})` : NOT_IN_SCOPE);
  }
}

/** Alerts one page of {@link listAlertsInScope} reads from the log. */
export const ALERT_PAGE = 500;
/** Most alerts {@link listAlertsInScope} reads from the log for one answer, whatever the limit: a scoped supervisor's rare alerts in a large log do not read it all. */
export const ALERT_SCAN_CAP = 20_000;

/**
 * The newest `query.limit` alerts of the log that filter `f` lets through, newest first (the log's order):
 * the scope is applied before the limit, so a scoped supervisor asking for 50 gets 50 of theirs when the
 * log holds that many. Reads the log in pages of `page` alerts until the limit is filled, the log is
 * exhausted or `cap` alerts were read (then it answers with what it found); memory stays one page plus
 * the answer. An unrestricted filter asks the log once.
 */
export async function listAlertsInScope(log: Pick<LogStore, 'listAlerts'>, f: ScopeFilter, query: AlertQuery & { limit: number }, page = ALERT_PAGE, cap = ALERT_SCAN_CAP): Promise<Alert[]> {
  if (!f.restricted) return log.listAlerts(query);
  const out: Alert[] = [];
  const limit = Math.max(0, Math.floor(query.limit));
  const size = Math.max(1, Math.min(page, cap));
  for (let read = 0; out.length < limit && read < cap; ) {
    const batch = await log.listAlerts({ ...query, offset: (query.offset ?? 0) + read, limit: Math.min(size, cap - read) });
    read += batch.length;
    for (const a of batch) {
      if (!f.alert(a)) continue;
      out.push(a);
      if (out.length === limit) break;
    }
    if (batch.length < size) break;
  }
  return out;
}
