/**
 * Sign-in, sign-out, who am I; and the admin's users, tokens and audit trail.
 * Every change here is written to the audit trail.
 */
import express from 'express';
import type { NextFunction, Request, Response } from 'express';
import { actor, toCsv, type RouteContext } from '../context.ts';
import { SESSION_COOKIE, parseCookies, scopeOf, type Principal } from './principal.ts';
import { ROLES, ssoOnly, type Role, type TokenKind } from './store.ts';
import { passwordChangeThrottle, signInThrottle } from './throttle.ts';
import { OIDC_CALLBACK_PATH, OIDC_LOGIN_PATH, OidcClient, type SsoOptions } from './oidc.ts';
import { mountOidcRoutes, ownOrigin } from './oidc-routes.ts';
import { parseExtension } from '../../shared/extension.ts';

/** A scoped supervisor's `scope` for `/api/me` (shared/scope.ts); nothing for the whole floor. */
const scopeField = (p: Principal) => {
  const scope = scopeOf(p);
  return scope ? { scope } : {};
};

/** What a session that must set a new password may still call: everything else answers 403. */
const OPEN_WHILE_MUST_CHANGE = new Set(['/api/login', '/api/logout', '/api/me', '/api/me/password', '/api/auth/methods', OIDC_LOGIN_PATH, OIDC_CALLBACK_PATH]);
/** The answer (409) to a password change by a user who signs in only through single sign-on. */
export const SSO_NO_PASSWORD = 'this account signs in through single sign-on and has no password here to change: change it at your identity provider';
export const MUST_CHANGE_ERROR = 'set a new password first: this account has a one-time password (POST /api/me/password { current, next })';

/**
 * Middleware for every /api route: a signed-in user whose password must be
 * changed (first start, an admin's reset, the CLI) gets 403 with
 * {@link MUST_CHANGE_ERROR} everywhere but sign-in, sign-out, who am I and
 * the change of password. Requests without a session cookie pass untouched.
 */
export function mustChangeGate(principalOf: (req: Request) => Principal | undefined) {
  return (req: Request, res: Response, next: NextFunction) => {
    if (!req.path.startsWith('/api/') || OPEN_WHILE_MUST_CHANGE.has(req.path) || !parseCookies(req.headers.cookie)[SESSION_COOKIE]) return next();
    const p = principalOf(req);
    if (p?.kind === 'user' && p.mustChange) return res.status(403).json({ ok: false, error: MUST_CHANGE_ERROR });
    next();
  };
}

/**
 * Sign-in, sign-out, who am I, one's own password; the admin's users, tokens and audit trail.
 * `sso`: single sign-on through an OpenID provider (oidc-routes.ts) and whether passwords
 * are accepted (default: no single sign-on, passwords on).
 */
export function mountAuthRoutes(ctx: RouteContext, sso: SsoOptions = { oidc: undefined, localPasswords: true }): void {
  const { app, auth, log, clock } = ctx;
  const oidc = sso.oidc ? new OidcClient(sso.oidc, { key: auth.secret('oidc-flow'), now: () => clock.now() }) : undefined;
  const json = express.json({ limit: '64kb' });
  // Counted before the password is checked, per address and per account (see throttle.ts).
  const throttle = signInThrottle({ now: () => clock.now(), deviceSecret: auth.secret('device-cookie'), secureCookies: ctx.secureCookies, logger: ctx.logger });
  const credentialsGiven = (req: Request, res: Response, next: NextFunction) => {
    const { username, password } = (req.body ?? {}) as { username?: unknown; password?: unknown };
    if (typeof username !== 'string' || typeof password !== 'string' || !username || !password) {
      return res.status(400).json({ ok: false, error: 'username and password are required' });
    }
    next();
  };

  if (oidc) mountOidcRoutes(ctx, { sso: oidc, perAddress: throttle.perAddress });

  // What the sign-in form offers: public, it reveals nothing but the provider's display name.
  app.get('/api/auth/methods', (_req, res) => {
    res.json({ ok: true, data: { password: sso.localPasswords, sso: oidc ? { name: oidc.settings.name ?? null, loginUrl: OIDC_LOGIN_PATH } : null } });
  });

  // With --local-passwords off, passwords open nothing here (the `floorwatch user` command still resets them, for a restart with them on).
  const passwordsOn = (_req: Request, res: Response, next: NextFunction) => {
    if (!sso.localPasswords) return res.status(403).json({ ok: false, error: 'password sign-in is turned off on this server: sign in with single sign-on' });
    next();
  };

  app.post('/api/login', passwordsOn, json, credentialsGiven, ...throttle.middleware, async (req, res, next) => {
    try {
      const { username, password } = req.body as { username: string; password: string };
      const user = await auth.checkPassword(username, password);
      if (!user) return res.status(401).json({ ok: false, error: 'wrong user name or password' });
      const sid = auth.createSession(user.id, clock.now());
      res.cookie(SESSION_COOKIE, sid, { httpOnly: true, sameSite: 'lax', secure: ctx.secureCookies, path: '/' });
      throttle.rememberDevice(req, res, user.username);
      res.json({ ok: true, data: { username: user.username, role: user.role, agentId: user.agentId, mustChange: user.mustChange } });
    } catch (err) {
      next(err);
    }
  });

  // Ends the local session; a single sign-on session also gets the provider's logout URL, where the page goes next.
  app.post('/api/logout', async (req, res) => {
    const sid = parseCookies(req.headers.cookie)[SESSION_COOKIE];
    const idToken = sid && oidc ? auth.sessionIdToken(sid) : undefined;
    if (sid) auth.deleteSession(sid);
    res.clearCookie(SESSION_COOKIE, { path: '/' });
    const endSessionUrl = idToken && oidc ? await oidc.endSessionUrl(idToken, new URL('/login', oidc.settings.redirectUrl ?? ownOrigin(req, ctx.secureCookies)).href) : undefined;
    res.json({ ok: true, data: endSessionUrl ? { endSessionUrl } : null });
  });

  app.get('/api/me', (req, res) => {
    const p = ctx.principalOf(req);
    // Nobody signed in is an answer, not an error: the page shows the sign-in form.
    if (!p) return res.json({ ok: true, data: null });
    const user = p.kind === 'user' ? auth.getUser(p.userId) : undefined;
    const extension = user?.extension ?? null;
    // A single sign-on account says so (`sso`), and `localPassword: false` when it has no password here to change.
    const sso = user?.sso ? { sso: true, localPassword: user.localPassword } : {};
    res.json({ ok: true, data: { username: p.username, role: p.role, agentId: p.kind === 'user' ? p.agentId : null, demo: p.kind === 'demo', mustChange: p.kind === 'user' && p.mustChange === true, extension, ...sso, ...scopeField(p) } });
  });

  // One's own phone (listen, whisper and barge ring it: server/action-routes.ts): any signed-in user may set it; audited.
  app.put('/api/me/extension', json, async (req, res, next) => {
    try {
      const p = ctx.principalOf(req);
      if (p?.kind !== 'user') return res.status(p ? 403 : 401).json({ ok: false, error: p ? 'only a signed-in user has an extension' : 'sign in first' });
      const before = auth.getUser(p.userId);
      if (!before) return res.status(404).json({ ok: false, error: 'no such user' });
      let after;
      try {
        after = auth.setExtension(p.userId, (req.body as { extension?: unknown } | undefined)?.extension);
      } catch (err) {
        return res.status(400).json({ ok: false, error: (err as Error).message });
      }
      if (after && after.extension !== before.extension) await log.appendAudit({ atMs: clock.now(), actor: p.username, action: 'user.extension', before: { username: p.username, extension: before.extension }, after: { username: p.username, extension: after.extension } });
      res.json({ ok: true, data: { extension: after?.extension ?? null } });
    } catch (err) {
      next(err);
    }
  });

  // One's own password: the current one is required; every other session of the user ends (store.ts changePassword).
  const changeThrottle = passwordChangeThrottle({
    now: () => clock.now(),
    logger: ctx.logger,
    userOf: (req) => {
      const p = ctx.principalOf(req);
      return p?.kind === 'user' ? String(p.userId) : undefined;
    },
  });
  app.post('/api/me/password', json, changeThrottle.middleware, async (req, res, next) => {
    try {
      const p = ctx.principalOf(req);
      if (p?.kind !== 'user') return res.status(p ? 403 : 401).json({ ok: false, error: p ? 'only a signed-in user has a password to change' : 'sign in first' });
      const me = auth.getUser(p.userId);
      if (me && ssoOnly(me)) return res.status(409).json({ ok: false, error: SSO_NO_PASSWORD });
      const b = (req.body ?? {}) as { current?: unknown; next?: unknown };
      if (typeof b.current !== 'string' || typeof b.next !== 'string' || !b.current || !b.next) {
        return res.status(400).json({ ok: false, error: 'expected { current, next }: the current password and the new one' });
      }
      const sid = parseCookies(req.headers.cookie)[SESSION_COOKIE];
      const r = await auth.changePassword(p.userId, b.current, b.next, sid);
      if (!r.ok) return res.status(r.wrong ? 403 : 400).json({ ok: false, error: r.error });
      await log.appendAudit({ atMs: clock.now(), actor: p.username, action: 'user.password-change', before: { username: p.username, mustChange: p.mustChange === true }, after: { username: p.username, mustChange: false } });
      res.json({ ok: true, data: { username: r.user.username, role: r.user.role, agentId: r.user.agentId, mustChange: false } });
    } catch (err) {
      next(err);
    }
  });

  // ------------------------------------------------------------ admin: users
  app.get('/api/admin/users', ctx.requireAdmin, (_req, res) => {
    res.json({ ok: true, data: auth.listUsers() });
  });

  app.post('/api/admin/users', ctx.requireAdmin, json, async (req, res, next) => {
    try {
      const b = (req.body ?? {}) as { username?: unknown; password?: unknown; role?: unknown; agentId?: unknown; scope?: unknown; extension?: unknown };
      if (typeof b.username !== 'string' || typeof b.password !== 'string' || typeof b.role !== 'string' || !ROLES.includes(b.role as Role)) {
        return res.status(400).json({ ok: false, error: `expected { username, password, role: ${ROLES.join('|')}, agentId?, scope?: { queues?, teams? }, extension? }` });
      }
      const ext = parseExtension(b.extension);
      if (!ext.ok) return res.status(400).json({ ok: false, error: ext.error });
      let user;
      try {
        // The admin chose this password, so it is one-time: the user sets their own at first sign-in.
        user = await auth.createUser({ username: b.username, password: b.password, role: b.role as Role, agentId: typeof b.agentId === 'string' ? b.agentId : null, scope: b.scope, mustChange: true }, clock.now());
        if (ext.extension !== null) user = auth.setExtension(user.id, ext.extension) ?? user;
      } catch (err) {
        return res.status(400).json({ ok: false, error: (err as Error).message });
      }
      await log.appendAudit({ atMs: clock.now(), actor: actor(res).username, action: 'user.create', after: user });
      res.status(201).json({ ok: true, data: user });
    } catch (err) {
      next(err);
    }
  });

  app.delete('/api/admin/users/:id', ctx.requireAdmin, async (req, res) => {
    const id = Number(req.params.id);
    const before = Number.isInteger(id) ? auth.getUser(id) : undefined;
    if (!before) return res.status(404).json({ ok: false, error: 'no such user' });
    const me = actor(res);
    if (me.kind === 'user' && me.userId === id) return res.status(400).json({ ok: false, error: 'you cannot delete your own account' });
    auth.deleteUser(id);
    await log.appendAudit({ atMs: clock.now(), actor: me.username, action: 'user.delete', before });
    res.json({ ok: true, data: before });
  });

  // A new role, agent or scope ends the user's sessions and open sockets at once (store.ts updateUser, revocation.ts).
  app.patch('/api/admin/users/:id', ctx.requireAdmin, json, async (req, res, next) => {
    try {
      const id = Number(req.params.id);
      const before = Number.isInteger(id) ? auth.getUser(id) : undefined;
      if (!before) return res.status(404).json({ ok: false, error: 'no such user' });
      const b = (req.body ?? {}) as { role?: unknown; agentId?: unknown; scope?: unknown; extension?: unknown };
      if ((b.role !== undefined && !ROLES.includes(b.role as Role)) || (b.agentId !== undefined && b.agentId !== null && typeof b.agentId !== 'string')) {
        return res.status(400).json({ ok: false, error: `expected { role?: ${ROLES.join('|')}, agentId?: text | null, scope?: { queues?, teams? } | null, extension?: text | null }` });
      }
      const ext = b.extension === undefined ? undefined : parseExtension(b.extension);
      if (ext && !ext.ok) return res.status(400).json({ ok: false, error: ext.error });
      const me = actor(res);
      if (me.kind === 'user' && me.userId === id && b.role !== undefined && b.role !== before.role) return res.status(400).json({ ok: false, error: 'you cannot change your own role' });
      let after;
      try {
        after = auth.updateUser(id, { role: b.role as Role | undefined, agentId: b.agentId as string | null | undefined, scope: b.scope });
        // The phone alone changes no access: no session ends for it (store.ts setExtension).
        if (ext?.ok) after = auth.setExtension(id, ext.extension) ?? after;
      } catch (err) {
        return res.status(400).json({ ok: false, error: (err as Error).message });
      }
      await log.appendAudit({ atMs: clock.now(), actor: me.username, action: 'user.update', before, after });
      res.json({ ok: true, data: after });
    } catch (err) {
      next(err);
    }
  });

  // A one-time password, shown once to the admin; the user must change it at next sign-in. Their sessions end now.
  app.post('/api/admin/users/:id/reset-password', ctx.requireAdmin, async (req, res, next) => {
    try {
      const id = Number(req.params.id);
      const before = Number.isInteger(id) ? auth.getUser(id) : undefined;
      if (!before) return res.status(404).json({ ok: false, error: 'no such user' });
      const me = actor(res);
      if (me.kind === 'user' && me.userId === id) return res.status(400).json({ ok: false, error: 'change your own password on your account page' });
      const password = await auth.resetPassword(id);
      const after = auth.getUser(id);
      // The password itself never goes to the audit trail, only that it was reset.
      await log.appendAudit({ atMs: clock.now(), actor: me.username, action: 'user.password-reset', before, after });
      res.json({ ok: true, data: { ...after, password } });
    } catch (err) {
      next(err);
    }
  });

  // ------------------------------------------------------------ admin: tokens
  app.get('/api/admin/tokens', ctx.requireAdmin, (_req, res) => {
    res.json({ ok: true, data: auth.listTokens() });
  });

  app.post('/api/admin/tokens', ctx.requireAdmin, json, async (req, res) => {
    const b = (req.body ?? {}) as { kind?: unknown; name?: unknown; scope?: unknown };
    if ((b.kind !== 'ingest' && b.kind !== 'wallboard') || typeof b.name !== 'string') {
      return res.status(400).json({ ok: false, error: 'expected { kind: ingest|wallboard, name, scope?: { queues?, teams? } (wallboard) }' });
    }
    let created;
    try {
      created = auth.createToken(b.kind as TokenKind, b.name, actor(res).username, clock.now(), b.scope);
    } catch (err) {
      return res.status(400).json({ ok: false, error: (err as Error).message });
    }
    await log.appendAudit({ atMs: clock.now(), actor: actor(res).username, action: 'token.create', after: created.info });
    // The token itself is shown once, here, and never stored in clear.
    res.status(201).json({ ok: true, data: { ...created.info, token: created.token } });
  });

  app.delete('/api/admin/tokens/:id', ctx.requireAdmin, async (req, res) => {
    const id = Number(req.params.id);
    const before = auth.listTokens().find((t) => t.id === id);
    if (!before) return res.status(404).json({ ok: false, error: 'no such token' });
    const after = auth.revokeToken(id, clock.now());
    await log.appendAudit({ atMs: clock.now(), actor: actor(res).username, action: 'token.revoke', before, after });
    res.json({ ok: true, data: after });
  });

  // ------------------------------------------------------------ admin: audit
  app.get('/api/admin/audit', ctx.requireAdmin, async (req, res, next) => {
    try {
      const limit = Math.min(Number(req.query.limit) || 1_000, 100_000);
      const entries = await log.listAudit(limit);
      if (req.query.format === 'csv') {
        res.type('text/csv').attachment('floorwatch-audit.csv');
        return res.send(toCsv(['at', 'actor', 'action', 'before', 'after'], entries.map((e) => [new Date(e.atMs).toISOString(), e.actor, e.action, e.before, e.after])));
      }
      res.json({ ok: true, data: entries });
    } catch (err) {
      next(err);
    }
  });
}
