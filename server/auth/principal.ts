/**
 * Who is asking: a signed-in user (session cookie), an API or kiosk token, or
 * nobody. Every route and socket decides from this, on the server.
 */
import { timingSafeEqual } from 'node:crypto';
import { credentialKey, type AuthStore, type Role } from './store.ts';
import type { RevokeReason } from '../../shared/wire.ts';
import { scopeKey, type SupervisorScope } from '../../shared/scope.ts';

export const SESSION_COOKIE = 'fw_session';

/**
 * `scope`: the queues and teams a supervisor or a wallboard token is limited to (shared/scope.ts),
 * from the user store; absent for the whole floor (always for admins).
 */
export type Principal =
  | { kind: 'user'; role: Role; username: string; userId: number; agentId: string | null; mustChange?: boolean; scope?: SupervisorScope }
  | { kind: 'token'; role: 'supervisor' | 'wallboard' | 'ingest'; username: string; scope?: SupervisorScope }
  | { kind: 'demo'; role: 'supervisor'; username: 'demo' };

export interface PrincipalOptions {
  auth: AuthStore;
  /** Static API tokens with supervisor rights (for scripts), from the environment. */
  apiTokens: readonly string[];
  wallboardTokens: readonly string[];
  ingestTokens: readonly string[];
  demo: boolean;
  sessionIdleMs: number;
  now: () => number;
  /** Whether resolving a session counts as its user's activity (default true; false for a sweep). */
  touch?: boolean;
}

export function tokenIn(given: string | undefined, allowed: readonly string[]): boolean {
  if (!given) return false;
  const g = Buffer.from(given);
  let ok = false;
  for (const t of allowed) {
    const b = Buffer.from(t);
    if (b.length === g.length && timingSafeEqual(b, g)) ok = true;
  }
  return ok;
}

export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header) return out;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    const k = part.slice(0, i).trim();
    try {
      out[k] = decodeURIComponent(part.slice(i + 1).trim());
    } catch {
      // A malformed cookie is ignored, not fatal.
    }
  }
  return out;
}

export interface Credentials {
  cookie?: string;
  bearer?: string;
  /** A kiosk token from the page URL (`?kiosk=`), for a TV with no keyboard. */
  kiosk?: string;
}

/** A principal and the credential keys ({@link credentialKey}) it rode on: what ends it. */
export interface Resolved {
  principal: Principal;
  /** `session:…` and `user:…` for a signed-in user, `token:…` for an issued token; none for static tokens and demo mode. */
  keys: string[];
}

/** Resolves credentials to a principal and the keys of what it rode on: session first, then tokens, then demo mode. */
export function resolveCredential(c: Credentials, o: PrincipalOptions): Resolved | undefined {
  const sid = parseCookies(c.cookie)[SESSION_COOKIE];
  if (sid) {
    const u = o.auth.sessionUser(sid, o.now(), o.sessionIdleMs, o.touch ?? true);
    if (u) {
      const principal: Principal = { kind: 'user', role: u.role, username: u.username, userId: u.id, agentId: u.agentId, mustChange: u.mustChange };
      if (u.role === 'supervisor' && u.scope) principal.scope = u.scope;
      return { principal, keys: [credentialKey.session(sid), credentialKey.user(u.id)] };
    }
  }
  for (const t of [c.bearer, c.kiosk]) {
    if (!t) continue;
    // Static tokens come from the environment: nothing revokes them while the node runs.
    if (tokenIn(t, o.apiTokens)) return { principal: { kind: 'token', role: 'supervisor', username: 'api-token' }, keys: [] };
    if (tokenIn(t, o.wallboardTokens)) return { principal: { kind: 'token', role: 'wallboard', username: 'kiosk' }, keys: [] };
    if (tokenIn(t, o.ingestTokens)) return { principal: { kind: 'token', role: 'ingest', username: 'producer' }, keys: [] };
    const kind = o.auth.tokenKind(t);
    if (kind === 'wallboard') {
      const scope = o.auth.tokenScope(t);
      return { principal: { kind: 'token', role: 'wallboard', username: 'kiosk', ...(scope ? { scope } : {}) }, keys: [credentialKey.token(t)] };
    }
    if (kind === 'ingest') return { principal: { kind: 'token', role: 'ingest', username: 'producer' }, keys: [credentialKey.token(t)] };
  }
  if (o.demo) return { principal: { kind: 'demo', role: 'supervisor', username: 'demo' }, keys: [] };
  return undefined;
}

/** Resolves credentials to a principal: session first, then tokens, then demo mode. */
export function resolvePrincipal(c: Credentials, o: PrincipalOptions): Principal | undefined {
  return resolveCredential(c, o)?.principal;
}

/**
 * Whether the credentials a socket connected with still give the same
 * principal: undefined if so, else why not. Same means the same credential
 * keys, role, user and agent binding; anything else (a session gone, a user
 * deleted or changed, a token revoked, even a fall-back to demo mode) ends the
 * socket's access. One session lookup (two indexed SQLite reads) or one token
 * hash per call: cheap enough for every command.
 */
export function recheckCredential(c: Credentials, was: Resolved, o: PrincipalOptions): RevokeReason | undefined {
  const now = resolveCredential(c, o);
  const a = was.principal;
  const b = now?.principal;
  if (b && b.kind === a.kind && b.role === a.role && b.username === a.username && now?.keys.join(' ') === was.keys.join(' ') && scopeKey(scopeOf(a)) === scopeKey(scopeOf(b))) {
    if (a.kind !== 'user' || (b.kind === 'user' && b.userId === a.userId && b.agentId === a.agentId)) return undefined;
  }
  if (a.kind === 'user') {
    const u = o.auth.getUser(a.userId);
    if (!u) return 'user-deleted';
    if (u.role !== a.role || u.agentId !== a.agentId) return 'role-changed';
    if (scopeKey(u.scope) !== scopeKey(scopeOf(a))) return 'scope-changed';
    return 'session-ended';
  }
  return 'token-revoked';
}

export function canSupervise(p: Principal | undefined): boolean {
  return p !== undefined && (p.role === 'supervisor' || p.role === 'admin');
}

/**
 * The queues and teams a principal is limited to (shared/scope.ts): a scoped supervisor's or
 * wallboard token's; undefined for the whole floor (admins, unscoped supervisors, static
 * tokens, demo visitors).
 */
export function scopeOf(p: Principal | undefined): SupervisorScope | undefined {
  if (!p || p.kind === 'demo' || p.role === 'admin') return undefined;
  return p.scope;
}
