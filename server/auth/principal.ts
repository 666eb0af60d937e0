/**
 * Who is asking: a signed-in user (session cookie), an API or kiosk token, or
 * nobody. Every route and socket decides from this, on the server.
 */
import { timingSafeEqual } from 'node:crypto';
import type { AuthStore, Role } from './store.ts';

export const SESSION_COOKIE = 'fw_session';

export type Principal =
  | { kind: 'user'; role: Role; username: string; userId: number; agentId: string | null }
  | { kind: 'token'; role: 'supervisor' | 'wallboard' | 'ingest'; username: string }
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

/** Resolves credentials to a principal: session first, then tokens, then demo mode. */
export function resolvePrincipal(c: Credentials, o: PrincipalOptions): Principal | undefined {
  const sid = parseCookies(c.cookie)[SESSION_COOKIE];
  if (sid) {
    const u = o.auth.sessionUser(sid, o.now(), o.sessionIdleMs);
    if (u) return { kind: 'user', role: u.role, username: u.username, userId: u.id, agentId: u.agentId };
  }
  for (const t of [c.bearer, c.kiosk]) {
    if (!t) continue;
    if (tokenIn(t, o.apiTokens)) return { kind: 'token', role: 'supervisor', username: 'api-token' };
    if (tokenIn(t, o.wallboardTokens)) return { kind: 'token', role: 'wallboard', username: 'kiosk' };
    if (tokenIn(t, o.ingestTokens)) return { kind: 'token', role: 'ingest', username: 'producer' };
    const kind = o.auth.tokenKind(t);
    if (kind === 'wallboard') return { kind: 'token', role: 'wallboard', username: 'kiosk' };
    if (kind === 'ingest') return { kind: 'token', role: 'ingest', username: 'producer' };
  }
  if (o.demo) return { kind: 'demo', role: 'supervisor', username: 'demo' };
  return undefined;
}

export function canSupervise(p: Principal | undefined): boolean {
  return p !== undefined && (p.role === 'supervisor' || p.role === 'admin');
}
