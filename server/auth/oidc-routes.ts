/**
 * The single sign-on routes: `GET /api/auth/oidc/login` sends the browser to the provider,
 * `GET /api/auth/oidc/callback` brings it back signed in. At every sign-in the user's role
 * and agent are set from the provider's claims; someone the claims give no role is refused
 * and their sessions end. Every sign-in, refusal, creation and change is audited.
 */
import type { Request, RequestHandler, Response } from 'express';
import type { RouteContext } from '../context.ts';
import { SESSION_COOKIE, parseCookies } from './principal.ts';
import type { User } from './store.ts';
import { FLOW_COOKIE, FLOW_COOKIE_PATH, FLOW_TTL_MS, OIDC_CALLBACK_PATH, OIDC_LOGIN_PATH, SsoError, mapIdentity, type OidcClient, type SsoErrorCode } from './oidc.ts';

/** The audit trail's actor for what single sign-on does on its own (creating and changing users). */
export const SSO_ACTOR = 'single-sign-on';
/** A page to land on after signing in: a path of this server, no scheme, host or `//` (never an open redirect). */
const RETURN_PATH = /^\/(?!\/)[A-Za-z0-9._~/-]{0,200}$/;

/** This server's origin as the browser sees it: `https` behind `--secure-cookies on`, else the request's protocol; the host as `trust proxy` resolves it. */
export function ownOrigin(req: Request, secure: boolean): string {
  return `${secure ? 'https' : req.protocol}://${req.host}`;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * A refused or failed sign-in as a page with its status: the reason in English, and a
 * redirect (meta refresh, no script) to the sign-in form, which words the code in the
 * user's language (`/login?sso=<code>`).
 */
export function ssoErrorPage(res: Response, status: number, code: SsoErrorCode | 'throttled', message: string): void {
  const back = `/login?sso=${encodeURIComponent(code)}`;
  res
    .status(status)
    .type('html')
    .set('cache-control', 'no-store')
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="0; url=${back}"><title>Floorwatch: sign-in refused</title></head>` +
        `<body><h1>Sign-in refused</h1><p data-code="${code}">${escapeHtml(message)}</p><p><a href="${back}">Back to sign-in</a></p></body></html>`,
    );
}

export interface OidcRouteOptions {
  sso: OidcClient;
  /** The sign-in throttle's per-address limiter (throttle.ts): failed callbacks count as failed sign-ins. */
  perAddress: RequestHandler;
}

/** Mounts the sign-in start and the callback. */
export function mountOidcRoutes(ctx: RouteContext, o: OidcRouteOptions): void {
  const { app, auth, log, clock, logger } = ctx;
  const { sso } = o;
  const flowCookie = { httpOnly: true, sameSite: 'lax' as const, secure: ctx.secureCookies, path: FLOW_COOKIE_PATH };

  app.get(OIDC_LOGIN_PATH, async (req, res) => {
    const to = typeof req.query.to === 'string' && RETURN_PATH.test(req.query.to) && !req.query.to.startsWith('/api/') ? req.query.to : '/floor';
    const redirectUrl = sso.settings.redirectUrl ?? `${ownOrigin(req, ctx.secureCookies)}${OIDC_CALLBACK_PATH}`;
    try {
      const { url, cookie } = await sso.begin(redirectUrl, to);
      res.cookie(FLOW_COOKIE, cookie, { ...flowCookie, maxAge: FLOW_TTL_MS });
      res.set('cache-control', 'no-store').redirect(303, url.href);
    } catch (err) {
      logger.warn(`single sign-on: ${(err as Error).message}`);
      ssoErrorPage(res, 502, 'unavailable', 'The identity provider cannot be reached; try again in a moment.');
    }
  });

  // Failed callbacks count against the address like failed password sign-ins; the throttle's refusal is a page here.
  const refuseAsPage: RequestHandler = (_req, res, next) => {
    res.locals.refusalPage = (status: number, message: string) => ssoErrorPage(res, status, 'throttled', message);
    next();
  };

  app.get(OIDC_CALLBACK_PATH, refuseAsPage, o.perAddress, async (req, res, next) => {
    // The flow cookie is spent whatever happens next.
    res.clearCookie(FLOW_COOKIE, flowCookie);
    const query = new URL(req.originalUrl, 'http://callback.invalid').searchParams;
    try {
      const flow = sso.takeFlow(parseCookies(req.headers.cookie)[FLOW_COOKIE], query.get('state'));
      const signed = await sso.finish(flow, query);
      const user = await settleUser(signed.claims, signed.issuer);
      const sid = auth.createSession(user.id, clock.now(), signed.idToken);
      res.cookie(SESSION_COOKIE, sid, { httpOnly: true, sameSite: 'lax', secure: ctx.secureCookies, path: '/' });
      await log.appendAudit({ atMs: clock.now(), actor: user.username, action: 'user.sso-sign-in', after: { username: user.username, role: user.role, agentId: user.agentId, issuer: signed.issuer } });
      res.set('cache-control', 'no-store').redirect(303, flow.returnTo);
    } catch (err) {
      if (!(err instanceof SsoError)) return next(err);
      logger.warn(`single sign-on: ${err.message}`);
      ssoErrorPage(res, err.status, err.code, err.message);
    }
  });

  /**
   * The Floorwatch user for a signed-in identity: found by its link to the provider's subject,
   * else by name (and linked), else created; role and agent set from the claims. Throws
   * {@link SsoError} when the claims give no role (their sessions end), no name or no agent
   * id, or the name belongs to a user linked to another identity.
   */
  async function settleUser(claims: Record<string, unknown>, issuer: string): Promise<User> {
    const id = mapIdentity(claims, sso.settings, issuer);
    const now = clock.now();
    let user = auth.findUserBySubject(id.subject);
    if (!user && id.username !== undefined) {
      const named = auth.findUser(id.username);
      const linked = named ? auth.subjectOf(named.id) : null;
      if (named && linked !== null && linked !== id.subject) {
        throw new SsoError('conflict', 403, `the user name "${id.username}" belongs to a Floorwatch account linked to another identity at the provider; an admin must rename or delete one of them`);
      }
      if (named && id.ok) {
        auth.linkSubject(named.id, id.subject);
        await log.appendAudit({ atMs: now, actor: SSO_ACTOR, action: 'user.sso-link', before: named, after: { ...named, issuer } });
      }
      user = named;
    }
    if (!id.ok) {
      const name = user?.username ?? id.username ?? String(claims.sub);
      // Someone the provider no longer gives a role loses the access they had: every session ends now.
      if (user && id.reason === 'no-role') auth.endSessions(user.id, 'role-changed');
      await log.appendAudit({ atMs: now, actor: SSO_ACTOR, action: 'user.sso-refused', before: user, after: { username: name, reason: id.reason, groups: id.groups } });
      if (id.reason === 'no-role') throw new SsoError('no-role', 403, `your account has no Floorwatch role: "${name}" is in none of the groups mapped to one; ask an administrator to add you`);
      if (id.reason === 'no-agent')
        throw new SsoError('no-agent', 403, `"${name}" is mapped to an agent, but the provider names no agent id${sso.settings.agentClaim ? ` (claim ${sso.settings.agentClaim})` : ' (no --oidc-agent-claim is configured)'}`);
      throw new SsoError('no-username', 403, `the provider's user name (claim ${sso.settings.usernameClaim}) cannot be used here: 2–64 letters, digits or . _ @ -`);
    }
    if (!user) {
      user = auth.createSsoUser({ username: id.username, role: id.role, agentId: id.agentId, subject: id.subject }, now);
      await log.appendAudit({ atMs: now, actor: SSO_ACTOR, action: 'user.create', after: { ...user, issuer } });
      return user;
    }
    if (user.role !== id.role || user.agentId !== id.agentId) {
      // A new role or agent ends the user's other sessions and sockets (store.ts updateUser): they open again with the new one.
      const after = auth.updateUser(user.id, { role: id.role, agentId: id.agentId }) as User;
      await log.appendAudit({ atMs: now, actor: SSO_ACTOR, action: 'user.update', before: user, after });
      user = after;
    }
    return user;
  }
}
