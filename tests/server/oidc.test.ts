/**
 * Single sign-on against a real OpenID provider (oidc-provider, in this process on loopback),
 * through HTTP with a cookie jar: users created with the role their groups map to, agents
 * bound by a claim, access lost at the next sign-in after leaving the group, tampered state
 * and nonce refused, replays refused, the client secret never in a log line, passwords off.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createServer, type FloorwatchServer } from '../../server/app.ts';
import { AuthStore } from '../../server/auth/store.ts';
import { mapIdentity, parseRoleMap, readSsoOptions } from '../../server/auth/oidc.ts';
import { parseTrustProxy } from '../../server/http-guard.ts';
import { openSqliteLog, type SqliteLog } from '../../server/log/sqlite.ts';
import { readOptions } from '../../server/main.ts';
import { tempDbFile } from './harness.ts';
import { CLIENT_ID, CLIENT_SECRET, FetchBrowser, SCOPES, providerSignIn, startOidcProvider, type TestProvider } from './oidc-fixture.ts';

const WRONG_SECRET = 'not-the-client-secret-4b1d22';

interface Floorwatch {
  server: FloorwatchServer;
  auth: AuthStore;
  log: SqliteLog;
  base: string;
  /** Every line the server logged. */
  lines: string[];
  close(): Promise<void>;
}

/** A Floorwatch server configured through the command line's own reader (main.ts readOptions), logging into `lines`. */
async function startFloorwatch(issuer: string, flags: string[], secret: string): Promise<Floorwatch> {
  const argv = ['--oidc-issuer', issuer, '--oidc-client-id', CLIENT_ID, '--oidc-scopes', SCOPES, '--oidc-agent-claim', 'agent_id', '--oidc-name', 'Test IdP', ...flags];
  const { sso } = readOptions(argv, { FLOORWATCH_OIDC_CLIENT_SECRET: secret });
  const lines: string[] = [];
  const logger = { info: (m: unknown) => lines.push(String(m)), warn: (m: unknown) => lines.push(String(m)), error: (m: unknown) => lines.push(String(m)) };
  const log = openSqliteLog({ file: tempDbFile(), synchronous: 'normal' });
  const auth = new AuthStore(':memory:');
  // Loopback is the trusted proxy, so each test browser's X-Forwarded-For is its own address (and throttle).
  const server = createServer({ log, auth, ingestTokens: ['sso-test-ingest'], sso, logger, tickMs: 0, trustProxy: parseTrustProxy('loopback') });
  const port = await server.listen(0, '127.0.0.1');
  return {
    server,
    auth,
    log,
    base: `http://127.0.0.1:${port}`,
    lines,
    async close() {
      await server.close();
      await log.close();
      auth.close();
    },
  };
}

let provider: TestProvider;
let fw: Floorwatch;
let off: Floorwatch;
let wrong: Floorwatch;
let address = 0;
const consoleLines: string[] = [];

/** A fresh browser with its own client address. */
const browser = () => new FetchBrowser(`10.9.0.${++address}`);

/** The whole sign-in as a browser does it: Floorwatch's button, the provider's page, the callback. Returns the callback's answer. */
async function signIn(b: FetchBrowser, at: Floorwatch, login: string, o: { to?: string; tamperAuth?: (u: URL) => void; tamperCallback?: (u: URL) => void } = {}): Promise<{ res: Response; body: string; callbackUrl: string }> {
  const start = await b.request(`${at.base}/api/auth/oidc/login${o.to ? `?to=${o.to}` : ''}`);
  expect(start.status).toBe(303);
  const auth = new URL(start.headers.get('location') as string);
  expect(auth.origin).toBe(provider.issuer);
  o.tamperAuth?.(auth);
  const callback = new URL(await providerSignIn(b, auth.href, login, `${at.base}/api/auth/oidc/callback`));
  o.tamperCallback?.(callback);
  const res = await b.request(callback.href);
  return { res, body: await res.text(), callbackUrl: callback.href };
}

async function me(b: FetchBrowser, at: Floorwatch): Promise<{ username: string; role: string; agentId: string | null } | null> {
  const r = (await (await b.request(`${at.base}/api/me`)).json()) as { data: { username: string; role: string; agentId: string | null } | null };
  return r.data;
}

const audit = async (at: Floorwatch) => (await at.log.listAudit(1_000)).reverse();

beforeAll(async () => {
  for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void consoleLines.push(args.map(String).join(' ')));
  }
  provider = await startOidcProvider();
  fw = await startFloorwatch(provider.issuer, ['--trust-proxy', 'loopback'], CLIENT_SECRET);
  off = await startFloorwatch(provider.issuer, ['--local-passwords', 'off'], CLIENT_SECRET);
  wrong = await startFloorwatch(provider.issuer, [], WRONG_SECRET);
  const all = [fw, off, wrong];
  provider.register({ redirectUris: all.map((s) => `${s.base}/api/auth/oidc/callback`), postLogoutRedirectUris: all.map((s) => `${s.base}/login`) });
  const a = provider.accounts;
  a.set('sue', { username: 'sue', groups: ['floorwatch-supervisors', 'somebody-elses-group'] });
  a.set('ada', { username: 'ada', groups: ['floorwatch-agents', '/floorwatch-admins'], agentId: '9999' });
  a.set('ann', { username: 'ann', groups: ['floorwatch-agents'], agentId: '3001' });
  a.set('abe', { username: 'abe', groups: ['floorwatch-agents'] });
  a.set('sam', { username: 'sam', groups: ['floorwatch-supervisors'], agentId: '3002' });
  a.set('rita-sub', { username: 'rita', groups: ['floorwatch-supervisors'] });
  a.set('lee-sub', { username: 'lee', groups: ['floorwatch-supervisors'] });
  a.set('lee-impostor', { username: 'lee', groups: ['floorwatch-admins'] });
  a.set('tom', { username: 'tom', groups: ['floorwatch-supervisors'] });
  a.set('nia', { username: 'nia', groups: ['floorwatch-supervisors'] });
  a.set('ola', { username: 'ola', groups: ['floorwatch-supervisors'] });
  a.set('una', { username: 'una', groups: ['floorwatch-supervisors'] });
  a.set('kai-sub', { username: 'kai', groups: ['floorwatch-supervisors'] });
}, 60_000);

afterAll(async () => {
  await fw?.close();
  await off?.close();
  await wrong?.close();
  await provider?.close();
  vi.restoreAllMocks();
});

describe('single sign-on settings', () => {
  it('reads every flag and its variable, takes the secret only from the environment, and refuses what cannot work', () => {
    const read = (argv: string[], env: NodeJS.ProcessEnv = {}) => readOptions(argv, env).sso;
    expect(read([])).toEqual({ oidc: undefined, localPasswords: true });
    const s = read(['--oidc-issuer', 'https://id.example.com/realms/floor', '--oidc-client-id', 'fw'], { FLOORWATCH_OIDC_CLIENT_SECRET: 's3cret', FLOORWATCH_OIDC_GROUPS_CLAIM: 'realm_access.roles' });
    expect(s.oidc).toEqual({
      issuer: 'https://id.example.com/realms/floor',
      clientId: 'fw',
      clientSecret: 's3cret',
      scopes: 'openid profile email',
      usernameClaim: 'preferred_username',
      groupsClaim: 'realm_access.roles',
      roleMap: parseRoleMap('floorwatch-admins=admin,floorwatch-supervisors=supervisor,floorwatch-agents=agent'),
    });
    expect(() => read(['--oidc-issuer', 'https://id.example.com', '--oidc-client-id', 'fw', '--oidc-client-secret', 'x'])).toThrow(/FLOORWATCH_OIDC_CLIENT_SECRET/);
    expect(() => read(['--oidc-issuer', 'http://id.example.com', '--oidc-client-id', 'fw'])).toThrow(/https/);
    expect(() => read(['--oidc-issuer', 'https://id.example.com'])).toThrow(/--oidc-client-id/);
    expect(() => read(['--oidc-client-id', 'fw'])).toThrow(/needs --oidc-issuer/);
    expect(() => read(['--local-passwords', 'off'])).toThrow(/nobody could sign in/);
    expect(() => read(['--oidc-issuer', 'https://id.example.com', '--oidc-client-id', 'fw', '--oidc-role-map', 'ops=boss'])).toThrow(/--oidc-role-map/);
    expect(() => readSsoOptions([], () => 'maybe', {})).toThrow(/--local-passwords/);
  });

  it('maps claims: highest role wins, Keycloak paths and nested claims, sub when no name, an agent needs an agent id', () => {
    const s = { usernameClaim: 'preferred_username', groupsClaim: 'realm_access.roles', roleMap: parseRoleMap('ops=supervisor,leads=admin,floor=agent'), agentClaim: 'ext.agent' };
    expect(mapIdentity({ sub: 'x1', preferred_username: 'kim', realm_access: { roles: ['floor', '/leads'] } }, s, 'https://i')).toMatchObject({ ok: true, username: 'kim', role: 'admin', agentId: null, subject: 'https://i x1' });
    expect(mapIdentity({ sub: 'x2', realm_access: { roles: ['floor'] }, ext: { agent: 4001 } }, s, 'https://i')).toMatchObject({ ok: true, username: 'x2', role: 'agent', agentId: '4001' });
    expect(mapIdentity({ sub: 'x3', preferred_username: 'lia', realm_access: { roles: ['floor'] } }, s, 'https://i')).toMatchObject({ ok: false, reason: 'no-agent' });
    expect(mapIdentity({ sub: 'x4', preferred_username: 'max', realm_access: { roles: ['other'] } }, s, 'https://i')).toMatchObject({ ok: false, reason: 'no-role', username: 'max' });
    expect(mapIdentity({ sub: 'x5', preferred_username: 'has space', realm_access: { roles: ['ops'] } }, s, 'https://i')).toMatchObject({ ok: false, reason: 'no-username' });
    // A claim whose name holds dots (Auth0's namespaced claims) is read by its name first.
    expect(mapIdentity({ sub: 'x6', preferred_username: 'ned', 'realm_access.roles': ['ops'] }, s, 'https://i')).toMatchObject({ ok: true, role: 'supervisor' });
  });
});

describe('single sign-on through a real OpenID provider', () => {
  it('tells the sign-in form what is on', async () => {
    const r = (await (await fetch(`${fw.base}/api/auth/methods`)).json()) as unknown;
    expect(r).toEqual({ ok: true, data: { password: true, sso: { name: 'Test IdP', loginUrl: '/api/auth/oidc/login' } } });
    const o = (await (await fetch(`${off.base}/api/auth/methods`)).json()) as { data: { password: boolean } };
    expect(o.data.password).toBe(false);
  });

  it('starts the code flow with PKCE (S256), state and nonce, keeping them in a sealed, httpOnly, SameSite=Lax cookie', async () => {
    const b = browser();
    const res = await b.request(`${fw.base}/api/auth/oidc/login?to=/reports`);
    const auth = new URL(res.headers.get('location') as string);
    const q = auth.searchParams;
    expect(q.get('response_type')).toBe('code');
    expect(q.get('code_challenge_method')).toBe('S256');
    expect(q.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(q.get('state')).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect(q.get('nonce')).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect(q.get('redirect_uri')).toBe(`${fw.base}/api/auth/oidc/callback`);
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('fw_oidc='));
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).toMatch(/Path=\/api\/auth\/oidc/);
    // Nothing of the flow is readable in the cookie: not the state, nor the nonce.
    const value = b.cookie('fw_oidc') as string;
    expect(value).not.toContain(q.get('state'));
    expect(Buffer.from(value, 'base64url').toString('latin1')).not.toContain(q.get('nonce'));
  });

  it('creates a user with the role their group maps to, audits it, and lands on the page asked for', async () => {
    const b = browser();
    const { res } = await signIn(b, fw, 'sue', { to: '/reports' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/reports');
    expect(b.cookie('fw_session')).toBeTruthy();
    expect(b.cookie('fw_oidc')).toBeUndefined();
    expect(await me(b, fw)).toMatchObject({ username: 'sue', role: 'supervisor', agentId: null });
    const user = fw.auth.findUser('sue');
    expect(user).toMatchObject({ role: 'supervisor', mustChange: false });
    expect(fw.auth.subjectOf(user?.id as number)).toBe(`${provider.issuer} sue`);
    // No password opens the account.
    expect((await b.request(`${fw.base}/api/login`, { json: { username: 'sue', password: 'anything-at-all' } })).status).toBe(401);
    const entries = (await audit(fw)).filter((e) => JSON.stringify(e).includes('"sue"'));
    expect(entries.map((e) => `${e.actor} ${e.action}`)).toEqual(['single-sign-on user.create', 'sue user.sso-sign-in']);
    // The highest role of several groups wins (Keycloak's "/group" paths too).
    const a = browser();
    await signIn(a, fw, 'ada');
    expect(await me(a, fw)).toMatchObject({ username: 'ada', role: 'admin', agentId: null });
  });

  it('binds an agent to the agent id in its claim, and refuses an agent without one', async () => {
    const b = browser();
    const { res } = await signIn(b, fw, 'ann');
    expect(res.status).toBe(303);
    expect(await me(b, fw)).toMatchObject({ username: 'ann', role: 'agent', agentId: '3001', demo: false, mustChange: false });
    const c = browser();
    const refused = await signIn(c, fw, 'abe');
    expect(refused.res.status).toBe(403);
    expect(refused.body).toContain('data-code="no-agent"');
    expect(refused.body).toContain('url=/login?sso=no-agent');
    expect(fw.auth.findUser('abe')).toBeUndefined();
    expect(c.cookie('fw_session')).toBeUndefined();
  });

  it('refuses a user removed from the group at the next sign-in, ending the session they had; a changed role ends the old one', async () => {
    const first = browser();
    await signIn(first, fw, 'nia');
    expect(await me(first, fw)).toMatchObject({ role: 'supervisor' });
    provider.accounts.get('nia')!.groups = ['somebody-elses-group'];
    const second = browser();
    const { res, body } = await signIn(second, fw, 'nia');
    expect(res.status).toBe(403);
    expect(body).toContain('your account has no Floorwatch role');
    expect(second.cookie('fw_session')).toBeUndefined();
    expect(await me(first, fw)).toBeNull();
    expect((await audit(fw)).at(-1)).toMatchObject({ action: 'user.sso-refused', after: { username: 'nia', reason: 'no-role' } });

    // A supervisor moved to the agents' group: the supervisor's session ends, the new one is an agent's.
    const sup = browser();
    await signIn(sup, fw, 'sam');
    expect(await me(sup, fw)).toMatchObject({ role: 'supervisor' });
    provider.accounts.get('sam')!.groups = ['floorwatch-agents'];
    const ag = browser();
    await signIn(ag, fw, 'sam');
    expect(await me(ag, fw)).toMatchObject({ username: 'sam', role: 'agent', agentId: '3002' });
    expect(await me(sup, fw)).toBeNull();
    expect((await audit(fw)).filter((e) => e.action === 'user.update').at(-1)).toMatchObject({ actor: 'single-sign-on', before: { role: 'supervisor' }, after: { role: 'agent', agentId: '3002' } });
  });

  it('matches a user renamed at the provider by its subject, links an existing local account by name, and refuses a second identity under that name', async () => {
    const b = browser();
    await signIn(b, fw, 'rita-sub');
    const rita = fw.auth.findUser('rita');
    provider.accounts.get('rita-sub')!.username = 'rita.renamed';
    const c = browser();
    await signIn(c, fw, 'rita-sub');
    expect(await me(c, fw)).toMatchObject({ username: 'rita' });
    expect(fw.auth.findUser('rita.renamed')).toBeUndefined();
    expect(fw.auth.findUser('rita')?.id).toBe(rita?.id);

    const lee = await fw.auth.createUser({ username: 'lee', password: 'local-password-1', role: 'agent', agentId: '77' }, Date.now());
    const d = browser();
    await signIn(d, fw, 'lee-sub');
    expect(await me(d, fw)).toMatchObject({ username: 'lee', role: 'supervisor', agentId: null });
    expect(fw.auth.subjectOf(lee.id)).toBe(`${provider.issuer} lee-sub`);
    const e = browser();
    const conflict = await signIn(e, fw, 'lee-impostor');
    expect(conflict.res.status).toBe(403);
    expect(conflict.body).toContain('data-code="conflict"');
    expect(await me(e, fw)).toBeNull();
    expect(fw.auth.findUser('lee')?.role).toBe('supervisor');
  });

  it('marks single sign-on accounts, and refuses in words a password change to one without a password here; a linked local account keeps its own', async () => {
    const b = browser();
    await signIn(b, fw, 'una');
    expect(await me(b, fw)).toMatchObject({ username: 'una', sso: true, localPassword: false });
    const change = await b.request(`${fw.base}/api/me/password`, { json: { current: 'anything-at-all', next: 'a-new-password-12' } });
    expect(change.status).toBe(409);
    expect(((await change.json()) as { error: string }).error).toMatch(/single sign-on.*no password here.*identity provider/);
    expect(fw.auth.findUser('una')).toMatchObject({ sso: true, localPassword: false });
    // The admin's list of users marks them.
    const admin = browser();
    await signIn(admin, fw, 'ada');
    const users = ((await (await admin.request(`${fw.base}/api/admin/users`)).json()) as { data: { username: string; sso: boolean; localPassword: boolean }[] }).data;
    expect(users.find((u) => u.username === 'una')).toMatchObject({ sso: true, localPassword: false });
    // A local account linked by name keeps its password, and may change it.
    await fw.auth.createUser({ username: 'kai', password: 'kais-local-password-1', role: 'supervisor' }, Date.now());
    expect(users.find((u) => u.username === 'kai')).toBeUndefined();
    const k = browser();
    await signIn(k, fw, 'kai-sub');
    expect(await me(k, fw)).toMatchObject({ username: 'kai', sso: true, localPassword: true });
    expect((await k.request(`${fw.base}/api/me/password`, { json: { current: 'kais-local-password-1', next: 'kais-new-password-2' } })).status).toBe(200);
    // A local account never signed in through the provider says nothing of single sign-on.
    await fw.auth.createUser({ username: 'loc', password: 'locs-local-password-1', role: 'supervisor' }, Date.now());
    expect(fw.auth.findUser('loc')).toMatchObject({ sso: false, localPassword: true });
  });

  it('refuses a tampered or missing state with 400, creating nothing, before asking the provider anything', async () => {
    const users = fw.auth.countUsers();
    const b = browser();
    const tampered = await signIn(b, fw, 'tom', { tamperCallback: (u) => u.searchParams.set('state', `${u.searchParams.get('state')}x`) });
    expect(tampered.res.status).toBe(400);
    expect(tampered.body).toContain('data-code="state"');
    expect(tampered.body).toContain('not the one this sign-in started with');
    const c = browser();
    const missing = await signIn(c, fw, 'tom', { tamperCallback: (u) => u.searchParams.delete('state') });
    expect(missing.res.status).toBe(400);
    // The callback from another browser (no flow cookie) is refused too.
    const d = browser();
    const elsewhere = await d.request(missing.callbackUrl.replace(/state=[^&]*/, ''));
    expect(elsewhere.status).toBe(400);
    expect(await elsewhere.text()).toContain('no sign-in was started in this browser');
    for (const x of [b, c, d]) expect(x.cookie('fw_session')).toBeUndefined();
    expect(fw.auth.countUsers()).toBe(users);
    expect(fw.auth.findUser('tom')).toBeUndefined();
  });

  it('refuses an ID token whose nonce is not the one the sign-in sent (tampered, or replayed from an earlier sign-in)', async () => {
    const users = fw.auth.countUsers();
    const b = browser();
    const tampered = await signIn(b, fw, 'tom', { tamperAuth: (u) => u.searchParams.set('nonce', 'a-nonce-of-the-attackers-choosing') });
    expect(tampered.res.status).toBe(400);
    expect(tampered.body).toContain('data-code="exchange"');
    expect(tampered.body).toMatch(/nonce/);
    // An earlier sign-in's nonce, replayed into a new one.
    const earlier = browser();
    let oldNonce = '';
    await signIn(earlier, fw, 'ola', { tamperAuth: (u) => void (oldNonce = u.searchParams.get('nonce') as string) });
    const c = browser();
    const replayed = await signIn(c, fw, 'tom', { tamperAuth: (u) => u.searchParams.set('nonce', oldNonce) });
    expect(replayed.res.status).toBe(400);
    expect(replayed.body).toMatch(/nonce/);
    expect(fw.auth.findUser('tom')).toBeUndefined();
    expect(fw.auth.countUsers()).toBe(users + 1); // ola only
  });

  it('refuses a finished sign-in replayed with its own cookie and code', async () => {
    const b = browser();
    const flowCookie: string[] = [];
    const ok = await signIn(b, fw, 'ola', { tamperCallback: () => void flowCookie.push(b.cookie('fw_oidc') as string) });
    expect(ok.res.status).toBe(303);
    const thief = browser();
    thief.cookies.set('fw_oidc;/api/auth/oidc', { value: flowCookie[0], path: '/api/auth/oidc' });
    const again = await thief.request(ok.callbackUrl);
    expect(again.status).toBe(400);
    expect(await again.text()).toContain('already used');
    expect(thief.cookie('fw_session')).toBeUndefined();
  });

  it('logs out locally and hands back the provider logout URL with the ID token hint', async () => {
    const b = browser();
    await signIn(b, fw, 'sue');
    const r = (await (await b.request(`${fw.base}/api/logout`, { method: 'POST' })).json()) as { data: { endSessionUrl: string } };
    const end = new URL(r.data.endSessionUrl);
    expect(end.origin).toBe(provider.issuer);
    expect(end.searchParams.get('id_token_hint')).toMatch(/^eyJ/);
    expect(end.searchParams.get('post_logout_redirect_uri')).toBe(`${fw.base}/login`);
    expect(end.searchParams.get('client_id')).toBe(CLIENT_ID);
    expect(await me(b, fw)).toBeNull();
    // The provider accepts it: its logout page asks to confirm.
    expect((await b.request(end.href)).status).toBe(200);
    // A password session's logout has nothing to hand back.
    await fw.auth.createUser({ username: 'pat', password: 'local-password-2', role: 'supervisor' }, Date.now());
    const p = browser();
    expect((await p.request(`${fw.base}/api/login`, { json: { username: 'pat', password: 'local-password-2' } })).status).toBe(200);
    expect(((await (await p.request(`${fw.base}/api/logout`, { method: 'POST' })).json()) as { data: unknown }).data).toBeNull();
  });

  it('with local passwords off refuses password sign-in with 403 while single sign-on works', async () => {
    await off.auth.createUser({ username: 'admin', password: 'admin-password-1', role: 'admin' }, Date.now());
    const r = await fetch(`${off.base}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'admin-password-1' }) });
    expect(r.status).toBe(403);
    expect(((await r.json()) as { error: string }).error).toMatch(/password sign-in is turned off/);
    const b = browser();
    await signIn(b, off, 'ann');
    expect(await me(b, off)).toMatchObject({ username: 'ann', role: 'agent' });
  });

  it('counts failed callbacks against the address like failed sign-ins: the 11th in 15 min gets 429', async () => {
    const b = browser();
    for (let i = 0; i < 10; i++) expect((await b.request(`${fw.base}/api/auth/oidc/callback?code=x&state=y`)).status).toBe(400);
    const blocked = await b.request(`${fw.base}/api/auth/oidc/callback?code=x&state=y`);
    expect(blocked.status).toBe(429);
    expect(await blocked.text()).toContain('url=/login?sso=throttled');
    // Another address is not held up.
    const c = browser();
    expect((await signIn(c, fw, 'sue')).res.status).toBe(303);
  });

  it('never writes the client secret to a log line, an audit entry or a page, even when the provider refuses it', async () => {
    const b = browser();
    const refused = await signIn(b, wrong, 'sue');
    expect(refused.res.status).toBe(400);
    expect(refused.body).toContain('invalid_client');
    expect(wrong.lines.some((l) => l.includes('invalid_client'))).toBe(true);
    const everything = [...fw.lines, ...off.lines, ...wrong.lines, ...consoleLines, refused.body, JSON.stringify(await fw.log.listAudit(10_000)), JSON.stringify(await wrong.log.listAudit(10_000))].join('\n');
    expect(everything).not.toContain(CLIENT_SECRET);
    expect(everything).not.toContain(WRONG_SECRET);
    expect(everything).not.toContain(Buffer.from(`${CLIENT_ID}:${WRONG_SECRET}`).toString('base64'));
  });
});
