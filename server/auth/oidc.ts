/**
 * Single sign-on with OpenID Connect, through openid-client: the authorisation code flow
 * with PKCE (S256), state and nonce. What a sign-in started with travels in one cookie,
 * sealed (AES-256-GCM under a key kept in auth.db), so any node sharing auth.db can finish
 * it and nothing is held in memory per visitor; the cookie is httpOnly, SameSite=Lax (the
 * provider's redirect back is a top-level GET) and sent only to `/api/auth/oidc/…`, which
 * binds the sign-in to the browser that started it. The role and agent a user gets come
 * from the provider's claims at every sign-in (mapIdentity).
 */
import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import * as client from 'openid-client';
import { ROLES, type Role } from './store.ts';

/** Where the browser starts a sign-in: a redirect to the provider. */
export const OIDC_LOGIN_PATH = '/api/auth/oidc/login';
/** Where the provider sends the browser back (the redirect URL registered there). */
export const OIDC_CALLBACK_PATH = '/api/auth/oidc/callback';
/** The sealed cookie of a sign-in under way. */
export const FLOW_COOKIE = 'fw_oidc';
export const FLOW_COOKIE_PATH = '/api/auth/oidc';
/** A sign-in must come back within 10 min: time to type a password and a second factor, short enough that a copied cookie soon opens nothing. */
export const FLOW_TTL_MS = 10 * 60_000;
/** The groups of the issue's example, as the default role map. */
export const DEFAULT_ROLE_MAP = 'floorwatch-admins=admin,floorwatch-supervisors=supervisor,floorwatch-agents=agent';
/** Discovery, token and userinfo requests give up after 10 s: the browser is waiting on the callback. */
const PROVIDER_TIMEOUT_SEC = 10;
/** After a failed discovery the next sign-in tries again, but not more than once every 5 s. */
const REDISCOVER_MS = 5_000;
/** Finished sign-ins remembered (by flow id, until their cookie would expire anyway) so a replayed callback is refused; least recent forgotten first. */
const MAX_FINISHED = 10_000;
/** Highest first: a user in several mapped groups gets the highest role. */
const RANK: Record<Role, number> = { admin: 3, supervisor: 2, agent: 1 };
const USERNAME = /^[A-Za-z0-9._@-]{2,64}$/;

/** One `group=role` pair of `--oidc-role-map`. */
export interface RoleRule {
  group: string;
  role: Role;
}

/** Single sign-on as configured (flags and environment, see readSsoOptions). */
export interface OidcSettings {
  /** The provider's issuer URL (https; http only on loopback, for tests). */
  issuer: string;
  clientId: string;
  /** From FLOORWATCH_OIDC_CLIENT_SECRET only; absent: a public client (PKCE alone). */
  clientSecret?: string;
  /** The redirect URL registered at the provider; absent: the sign-in request's own origin + {@link OIDC_CALLBACK_PATH}. */
  redirectUrl?: string;
  /** The provider's name on the sign-in button ("Sign in with …"); absent: "single sign-on". */
  name?: string;
  /** Scopes asked for (space-separated, `openid` first). */
  scopes: string;
  /** Claim holding the user name (`preferred_username`); `sub` when the token has none. */
  usernameClaim: string;
  /** Claim holding the user's groups or roles (`groups`); a dotted path reaches into objects (`realm_access.roles`). */
  groupsClaim: string;
  roleMap: RoleRule[];
  /** Claim holding an agent's agent id; without it no one is mapped to an agent. */
  agentClaim?: string;
}

/** How people sign in: single sign-on (if configured) and whether local passwords are accepted. */
export interface SsoOptions {
  oidc: OidcSettings | undefined;
  localPasswords: boolean;
}

/** Parses `--oidc-role-map`: `group=role,group=role` (roles admin, supervisor, agent); throws `--oidc-role-map: …` on anything else. */
export function parseRoleMap(text: string): RoleRule[] {
  const rules: RoleRule[] = [];
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const i = part.lastIndexOf('=');
    const group = i > 0 ? part.slice(0, i).trim() : '';
    const role = i > 0 ? part.slice(i + 1).trim() : '';
    if (!group || !ROLES.includes(role as Role)) throw new Error(`--oidc-role-map: expected group=role pairs (roles ${ROLES.join(', ')}), got "${part}"`);
    rules.push({ group, role: role as Role });
  }
  if (rules.length === 0) throw new Error('--oidc-role-map: at least one group=role pair');
  return rules;
}

/** Whether a URL is plain http to this machine (allowed for the issuer only there: tests, a provider on the same host). */
function isLoopbackHttp(u: URL): boolean {
  return u.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname);
}

function absoluteUrl(text: string, what: string): URL {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new Error(`${what}: expected an absolute URL, got "${text}"`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error(`${what}: expected an http(s) URL, got "${text}"`);
  return u;
}

/**
 * Reads the single sign-on settings: `read(flag, envName)` gives a flag's value, else its
 * variable's. The client secret comes from FLOORWATCH_OIDC_CLIENT_SECRET only; a flag for it
 * is refused (it would show in `ps`). Throws `--flag: …` on a bad value, on an `--oidc-*`
 * setting without `--oidc-issuer`, and on `--local-passwords off` without single sign-on
 * (nobody could sign in).
 */
export function readSsoOptions(argv: readonly string[], read: (flag: string, envName: string) => string | undefined, env: NodeJS.ProcessEnv): SsoOptions {
  if (argv.some((a) => a === '--oidc-client-secret' || a.startsWith('--oidc-client-secret='))) {
    throw new Error('--oidc-client-secret: not accepted as a flag (it would show in ps); set FLOORWATCH_OIDC_CLIENT_SECRET');
  }
  const get = (flag: string, envName: string) => {
    const v = read(flag, envName);
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  const lp = get('local-passwords', 'FLOORWATCH_LOCAL_PASSWORDS');
  if (lp !== undefined && !['on', 'off'].includes(lp.toLowerCase())) throw new Error(`--local-passwords: expected on or off, got "${lp}"`);
  const localPasswords = lp === undefined || lp.toLowerCase() === 'on';
  const issuerText = get('oidc-issuer', 'FLOORWATCH_OIDC_ISSUER');
  const others: [string, string][] = [
    ['oidc-client-id', 'FLOORWATCH_OIDC_CLIENT_ID'],
    ['oidc-redirect-url', 'FLOORWATCH_OIDC_REDIRECT_URL'],
    ['oidc-name', 'FLOORWATCH_OIDC_NAME'],
    ['oidc-scopes', 'FLOORWATCH_OIDC_SCOPES'],
    ['oidc-username-claim', 'FLOORWATCH_OIDC_USERNAME_CLAIM'],
    ['oidc-groups-claim', 'FLOORWATCH_OIDC_GROUPS_CLAIM'],
    ['oidc-role-map', 'FLOORWATCH_OIDC_ROLE_MAP'],
    ['oidc-agent-claim', 'FLOORWATCH_OIDC_AGENT_CLAIM'],
  ];
  if (issuerText === undefined) {
    const stray = others.find(([f, e]) => get(f, e) !== undefined);
    if (stray) throw new Error(`--${stray[0]}: single sign-on needs --oidc-issuer as well`);
    if (!localPasswords) throw new Error('--local-passwords off: nobody could sign in; configure single sign-on (--oidc-issuer …) as well');
    return { oidc: undefined, localPasswords };
  }
  const issuer = absoluteUrl(issuerText, '--oidc-issuer');
  if (issuer.protocol !== 'https:' && !isLoopbackHttp(issuer)) throw new Error(`--oidc-issuer: expected https:// (plain http only on this machine's loopback), got "${issuerText}"`);
  const clientId = get('oidc-client-id', 'FLOORWATCH_OIDC_CLIENT_ID');
  if (!clientId) throw new Error('--oidc-client-id: required with --oidc-issuer (the client id registered at the provider)');
  const redirect = get('oidc-redirect-url', 'FLOORWATCH_OIDC_REDIRECT_URL');
  const scopes = get('oidc-scopes', 'FLOORWATCH_OIDC_SCOPES') ?? 'openid profile email';
  if (!scopes.split(/\s+/).includes('openid')) throw new Error(`--oidc-scopes: must include openid, got "${scopes}"`);
  const secret = env.FLOORWATCH_OIDC_CLIENT_SECRET;
  return {
    localPasswords,
    oidc: {
      issuer: issuer.href,
      clientId,
      ...(secret ? { clientSecret: secret } : {}),
      ...(redirect ? { redirectUrl: absoluteUrl(redirect, '--oidc-redirect-url').href } : {}),
      ...(get('oidc-name', 'FLOORWATCH_OIDC_NAME') ? { name: get('oidc-name', 'FLOORWATCH_OIDC_NAME') } : {}),
      scopes,
      usernameClaim: get('oidc-username-claim', 'FLOORWATCH_OIDC_USERNAME_CLAIM') ?? 'preferred_username',
      groupsClaim: get('oidc-groups-claim', 'FLOORWATCH_OIDC_GROUPS_CLAIM') ?? 'groups',
      roleMap: parseRoleMap(get('oidc-role-map', 'FLOORWATCH_OIDC_ROLE_MAP') ?? DEFAULT_ROLE_MAP),
      ...(get('oidc-agent-claim', 'FLOORWATCH_OIDC_AGENT_CLAIM') ? { agentClaim: get('oidc-agent-claim', 'FLOORWATCH_OIDC_AGENT_CLAIM') } : {}),
    },
  };
}

// ------------------------------------------------------------ claims → user

/** A claim by name, or by a dotted path into nested objects when no claim has that literal name (`realm_access.roles`). */
export function claimAt(claims: Record<string, unknown>, name: string): unknown {
  if (name in claims) return claims[name];
  let v: unknown = claims;
  for (const part of name.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

/** The groups in a claim: an array's strings, or one string; a leading `/` dropped (Keycloak's full group paths). */
export function groupsOf(value: unknown): string[] {
  const raw = Array.isArray(value) ? value : typeof value === 'string' ? [value] : [];
  return raw.filter((g): g is string => typeof g === 'string').map((g) => g.trim().replace(/^\//, '')).filter(Boolean);
}

/** Why single sign-on refused someone the provider signed in. */
export type IdentityRefusal = 'no-username' | 'no-role' | 'no-agent';

/** What the claims make of a user: who (name and `<issuer> <sub>` subject), and the role and agent, or why not. */
export type MappedIdentity =
  | { ok: true; username: string; subject: string; role: Role; agentId: string | null; groups: string[] }
  | { ok: false; reason: IdentityRefusal; username: string | undefined; subject: string; groups: string[] };

/**
 * Maps a signed-in user's claims (ID token, with userinfo's merged in) to a Floorwatch user:
 * the name from `usernameClaim` (else `sub`), the highest role any of their groups maps to
 * (admin > supervisor > agent), and for an agent the agent id from `agentClaim`. Refused:
 * no usable name (2–64 letters, digits or . _ @ -), no mapped group, an agent without an
 * agent id. The subject is `<issuer> <sub>`, stable across renames at the provider.
 */
export function mapIdentity(claims: Record<string, unknown>, s: Pick<OidcSettings, 'usernameClaim' | 'groupsClaim' | 'roleMap' | 'agentClaim'>, issuer: string): MappedIdentity {
  const sub = String(claims.sub);
  const subject = `${issuer} ${sub}`;
  const named = claimAt(claims, s.usernameClaim);
  const username = typeof named === 'string' && named.trim() ? named.trim() : sub;
  const groups = groupsOf(claimAt(claims, s.groupsClaim));
  if (!USERNAME.test(username)) return { ok: false, reason: 'no-username', username: undefined, subject, groups };
  let role: Role | undefined;
  for (const rule of s.roleMap) if (groups.includes(rule.group) && (role === undefined || RANK[rule.role] > RANK[role])) role = rule.role;
  if (role === undefined) return { ok: false, reason: 'no-role', username, subject, groups };
  if (role !== 'agent') return { ok: true, username, subject, role, agentId: null, groups };
  const a = s.agentClaim === undefined ? undefined : claimAt(claims, s.agentClaim);
  const agentId = typeof a === 'string' ? a.trim() : typeof a === 'number' && Number.isFinite(a) ? String(a) : '';
  if (!agentId || agentId.length > 128) return { ok: false, reason: 'no-agent', username, subject, groups };
  return { ok: true, username, subject, role, agentId, groups };
}

// ------------------------------------------------------------ the flow

/** What a sign-in under way keeps in its sealed cookie. */
export interface Flow {
  /** Flow id: a finished one is refused if its cookie comes back. */
  id: string;
  state: string;
  nonce: string;
  /** The PKCE code verifier (its S256 challenge went to the provider). */
  verifier: string;
  /** The redirect URL sent to the provider: the token request must repeat it. */
  redirectUrl: string;
  /** The page to land on afterwards (a path on this server). */
  returnTo: string;
  expiresAtMs: number;
}

/** Why a callback fails, for the page and the sign-in form (`/login?sso=<code>`). */
export type SsoErrorCode = 'state' | 'provider' | 'exchange' | 'unavailable' | IdentityRefusal | 'conflict';

/** A refused or failed single sign-on: the HTTP status, the code the sign-in form words, and an English message. */
export class SsoError extends Error {
  constructor(
    readonly code: SsoErrorCode,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** AES-256-GCM: 12-byte IV, ciphertext, 16-byte tag, in base64url. */
function seal(key: Buffer, value: unknown): string {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([c.update(JSON.stringify(value), 'utf8'), c.final()]);
  return Buffer.concat([iv, body, c.getAuthTag()]).toString('base64url');
}

function unseal(key: Buffer, text: string): unknown {
  try {
    const raw = Buffer.from(text, 'base64url');
    if (raw.length < 29) return undefined;
    const d = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
    d.setAuthTag(raw.subarray(raw.length - 16));
    return JSON.parse(Buffer.concat([d.update(raw.subarray(12, raw.length - 16)), d.final()]).toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

export interface OidcClientOptions {
  /** 32 bytes: seals the flow cookie (auth.db's `oidc-flow` secret, the same on every node sharing it). */
  key: Buffer;
  /** Server clock, ms. */
  now: () => number;
}

/** The answer of a finished sign-in: the claims (ID token, with userinfo's when the token lacks one needed), the ID token, and the provider's issuer. */
export interface SignedIn {
  claims: Record<string, unknown>;
  idToken: string;
  issuer: string;
}

/**
 * The relying party: discovery (once, retried after a failure), the authorisation URL with
 * PKCE, state and nonce, the code exchange with their checks, userinfo when needed, and the
 * provider's logout URL. The client secret is only ever handed to openid-client.
 */
export class OidcClient {
  private config: Promise<client.Configuration> | undefined;
  private failed = false;
  private failedAtMs = -Infinity;
  /** Flow id → its expiry, ms: finished sign-ins whose cookie must not work again. */
  private readonly finished = new Map<string, number>();

  constructor(
    readonly settings: OidcSettings,
    private readonly o: OidcClientOptions,
  ) {}

  /** The provider's metadata and this client, discovered once; after a failure a later call (≥ 5 s on) tries again. Rejects with a message naming the issuer. */
  discover(): Promise<client.Configuration> {
    if (this.config && !(this.failed && this.o.now() - this.failedAtMs >= REDISCOVER_MS)) return this.config;
    const s = this.settings;
    const issuer = new URL(s.issuer);
    const auth = s.clientSecret ? client.ClientSecretBasic(s.clientSecret) : client.None();
    this.failed = false;
    this.config = client
      .discovery(issuer, s.clientId, undefined, auth, { timeout: PROVIDER_TIMEOUT_SEC, execute: isLoopbackHttp(issuer) ? [client.allowInsecureRequests] : [] })
      .catch((err: unknown) => {
        this.failed = true;
        this.failedAtMs = this.o.now();
        throw new Error(`discovery at ${s.issuer} failed: ${describe(err)}`);
      });
    return this.config;
  }

  /** Whether the provider publishes a logout endpoint (after discovery; false before). */
  async supportsLogout(): Promise<boolean> {
    try {
      return Boolean((await this.discover()).serverMetadata().end_session_endpoint);
    } catch {
      return false;
    }
  }

  /**
   * Starts a sign-in: the provider's authorisation URL (code flow, S256 challenge, state,
   * nonce) and the sealed cookie value holding what the callback checks. Rejects when the
   * provider cannot be discovered.
   */
  async begin(redirectUrl: string, returnTo: string): Promise<{ url: URL; cookie: string }> {
    const config = await this.discover();
    const flow: Flow = {
      id: randomUUID(),
      state: client.randomState(),
      nonce: client.randomNonce(),
      verifier: client.randomPKCECodeVerifier(),
      redirectUrl,
      returnTo,
      expiresAtMs: this.o.now() + FLOW_TTL_MS,
    };
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUrl,
      scope: this.settings.scopes,
      response_type: 'code',
      code_challenge: await client.calculatePKCECodeChallenge(flow.verifier),
      code_challenge_method: 'S256',
      state: flow.state,
      nonce: flow.nonce,
    });
    return { url, cookie: seal(this.o.key, flow) };
  }

  /**
   * The sign-in a callback belongs to: its cookie opened, not expired, not finished before,
   * and the `state` the provider sent back the one it was started with. Marks it finished
   * (a second callback with the same cookie is refused). Throws {@link SsoError} `state` (400).
   */
  takeFlow(cookie: string | undefined, state: string | null): Flow {
    const f = cookie ? (unseal(this.o.key, cookie) as Partial<Flow> | undefined) : undefined;
    const nowMs = this.o.now();
    const why = !cookie
      ? 'no sign-in was started in this browser (or its cookie expired)'
      : !f || typeof f.id !== 'string' || typeof f.state !== 'string'
        ? 'the sign-in cookie is not one this server made'
        : (f.expiresAtMs ?? 0) < nowMs
          ? 'the sign-in took longer than 10 minutes'
          : this.finished.has(f.id)
            ? 'this sign-in was already used'
            : state !== f.state
              ? 'the state sent back is not the one this sign-in started with'
              : undefined;
    if (why) throw new SsoError('state', 400, `single sign-on refused: ${why}; start again`);
    const flow = f as Flow;
    for (const [id, exp] of this.finished) if (exp < nowMs || this.finished.size >= MAX_FINISHED) this.finished.delete(id);
    this.finished.set(flow.id, flow.expiresAtMs);
    return flow;
  }

  /**
   * Finishes a sign-in: exchanges the code (with the PKCE verifier) and checks the ID token
   * (issuer, audience, signature, expiry) and its nonce against the flow's; fetches userinfo
   * when the ID token lacks the username, groups or agent claim. Throws {@link SsoError}:
   * `provider` when the provider answered with an error, `exchange` when its answer does not
   * check out (nonce, state, signature…), `unavailable` when it cannot be reached.
   */
  async finish(flow: Flow, query: URLSearchParams): Promise<SignedIn> {
    const providerError = query.get('error');
    if (providerError) throw new SsoError('provider', 403, `the identity provider did not sign you in: ${providerError.slice(0, 100)}${query.get('error_description') ? ` (${query.get('error_description')?.slice(0, 200)})` : ''}`);
    let config: client.Configuration;
    try {
      config = await this.discover();
    } catch (err) {
      throw new SsoError('unavailable', 502, (err as Error).message);
    }
    const current = new URL(flow.redirectUrl);
    current.search = query.toString();
    let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
    try {
      tokens = await client.authorizationCodeGrant(config, current, { pkceCodeVerifier: flow.verifier, expectedState: flow.state, expectedNonce: flow.nonce, idTokenExpected: true });
    } catch (err) {
      if (isUnreachable(err)) throw new SsoError('unavailable', 502, `the identity provider cannot be reached: ${describe(err)}`);
      throw new SsoError('exchange', 400, `the identity provider's answer did not check out: ${describe(err)}`);
    }
    const idClaims = tokens.claims();
    if (!idClaims || !tokens.id_token) throw new SsoError('exchange', 400, 'the identity provider sent no ID token');
    let claims: Record<string, unknown> = { ...idClaims };
    const s = this.settings;
    const lacks = [s.usernameClaim, s.groupsClaim, ...(s.agentClaim ? [s.agentClaim] : [])].some((c) => claimAt(claims, c) === undefined);
    if (lacks && config.serverMetadata().userinfo_endpoint) {
      try {
        const info = await client.fetchUserInfo(config, tokens.access_token, idClaims.sub);
        // The ID token's own claims stand; userinfo adds what it lacks.
        claims = { ...info, ...claims };
      } catch (err) {
        if (isUnreachable(err)) throw new SsoError('unavailable', 502, `the identity provider cannot be reached: ${describe(err)}`);
        throw new SsoError('exchange', 400, `the identity provider's userinfo did not check out: ${describe(err)}`);
      }
    }
    return { claims, idToken: tokens.id_token, issuer: config.serverMetadata().issuer };
  }

  /** The provider's logout URL for a session signed in with `idToken`, coming back to `postLogoutUrl`; undefined when it publishes none (or cannot be reached). */
  async endSessionUrl(idToken: string, postLogoutUrl: string): Promise<string | undefined> {
    try {
      const config = await this.discover();
      if (!config.serverMetadata().end_session_endpoint) return undefined;
      return client.buildEndSessionUrl(config, { id_token_hint: idToken, post_logout_redirect_uri: postLogoutUrl }).href;
    } catch {
      return undefined;
    }
  }
}

/** An error's message and code, one line, never a request body or header (which could hold the client secret). */
function describe(err: unknown): string {
  const e = err as { message?: unknown; code?: unknown; error?: unknown; error_description?: unknown; cause?: unknown };
  // A token endpoint's error is in the body (ResponseBodyError) or in a WWW-Authenticate challenge's parameters (e.g. invalid_client).
  const challenge = Array.isArray(e.cause) ? (e.cause[0] as { parameters?: { error?: unknown; error_description?: unknown } } | undefined)?.parameters : undefined;
  const code = typeof e.error === 'string' ? e.error : challenge?.error;
  const text = typeof e.error === 'string' ? e.error_description : challenge?.error_description;
  const oauthError = typeof code === 'string' ? ` (${code}${typeof text === 'string' ? `: ${text.slice(0, 200)}` : ''})` : '';
  const cause = e.cause instanceof Error && !/^\s*$/.test(e.cause.message) && e.cause.message !== e.message ? `: ${e.cause.message}` : '';
  return `${typeof e.message === 'string' ? e.message : String(err)}${oauthError}${cause}`.slice(0, 500);
}

/** A network failure or a timeout (no answer from the provider), as against an answer that is wrong. */
function isUnreachable(err: unknown): boolean {
  const e = err as { name?: unknown; cause?: unknown; code?: unknown };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return true;
  const c = e.cause as { code?: unknown; name?: unknown } | undefined;
  return e.name === 'TypeError' && (typeof c?.code === 'string' || c?.name === 'ConnectTimeoutError');
}
