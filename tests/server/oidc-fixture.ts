/**
 * A real OpenID provider (oidc-provider 8) started in the test process on loopback, with one
 * confidential client (code flow, PKCE S256 required) and accounts the test controls, and a
 * cookie-jar "browser" over fetch (manual redirects) that walks its sign-in pages.
 *
 * The provider's development interactions are its sign-in page: any login name that is a
 * key of `accounts` signs in (the password is not checked); consent is granted without a
 * page (a first-party client). The ID token carries `sub` only, as by default in
 * oidc-provider: the name, groups and agent id come from userinfo, for the scopes
 * `profile`, `groups` and `agent`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { type KoaContextWithOidc } from 'oidc-provider';

export const CLIENT_ID = 'floorwatch-test';
export const CLIENT_SECRET = 'sso-client-secret-do-not-leak-7f3a9c';
export const SCOPES = 'openid profile groups agent';

/** One account at the provider; change `groups` between sign-ins to move it in and out of groups. */
export interface TestAccount {
  username: string;
  groups: string[];
  agentId?: string;
}

export interface TestProvider {
  /** http://127.0.0.1:port */
  issuer: string;
  /** Login name (also the `sub`) → account. */
  accounts: Map<string, TestAccount>;
  /** Sets up the client once Floorwatch's redirect and logout URLs are known. */
  register(client: { redirectUris: string[]; postLogoutRedirectUris: string[] }): void;
  close(): Promise<void>;
}

/** Starts the provider's HTTP server; it answers 503 until `register` gives it its client. */
export async function startOidcProvider(): Promise<TestProvider> {
  let handler: http.RequestListener = (_req, res) => {
    res.statusCode = 503;
    res.end('not configured yet');
  };
  const server = http.createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const accounts = new Map<string, TestAccount>();
  return {
    issuer,
    accounts,
    register(client) {
      const provider = new Provider(issuer, {
        clients: [
          {
            client_id: CLIENT_ID,
            client_secret: CLIENT_SECRET,
            redirect_uris: client.redirectUris,
            post_logout_redirect_uris: client.postLogoutRedirectUris,
            response_types: ['code'],
            grant_types: ['authorization_code'],
            token_endpoint_auth_method: 'client_secret_basic',
          },
        ],
        pkce: { required: () => true, methods: ['S256'] },
        scopes: ['openid', 'profile', 'groups', 'agent'],
        claims: { openid: ['sub'], profile: ['preferred_username', 'name'], groups: ['groups'], agent: ['agent_id'] },
        cookies: { keys: ['floorwatch-test-provider-cookie-key'] },
        // Lifetimes stated (oidc-provider notices each default it falls back to), in seconds.
        ttl: { AccessToken: 3600, AuthorizationCode: 60, IdToken: 3600, Grant: 3600, Interaction: 600, Session: 3600 },
        features: {
          devInteractions: { enabled: true },
          // The logout confirmation, plain (the default page asks the web for fonts): the form and a "yes" button.
          rpInitiatedLogout: {
            enabled: true,
            logoutSource: (ctx: { body: string }, form: string) => {
              ctx.body = `<!doctype html><html><head><meta charset="utf-8"><title>Sign out</title></head><body>${form}<button autofocus type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button></body></html>`;
            },
            postLogoutSuccessSource: (ctx: { body: string }) => {
              ctx.body = '<!doctype html><html><head><meta charset="utf-8"><title>Signed out</title></head><body>Signed out</body></html>';
            },
          },
        },
        findAccount: (_ctx: unknown, id: string) => {
          const a = accounts.get(id);
          if (!a) return undefined;
          return { accountId: id, claims: () => ({ sub: id, preferred_username: a.username, name: a.username, groups: a.groups, ...(a.agentId ? { agent_id: a.agentId } : {}) }) };
        },
        // A first-party client: consent is granted without asking (oidc-provider's recipe for skipping consent).
        loadExistingGrant: async (ctx: KoaContextWithOidc) => {
          const { client: c, session, provider: p } = ctx.oidc;
          if (!c || !session?.accountId) return undefined;
          const grant = new p.Grant({ clientId: c.clientId, accountId: session.accountId });
          grant.addOIDCScope(SCOPES);
          await grant.save();
          return grant;
        },
      });
      handler = provider.callback();
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// ------------------------------------------------------------ a browser over fetch

interface JarCookie {
  value: string;
  path: string;
}

/**
 * A cookie jar and manual redirects over fetch, like one browser: cookies kept by name and
 * path and sent to every port of the host (as browsers do), expiry and Max-Age=0 honoured.
 */
export class FetchBrowser {
  readonly cookies = new Map<string, JarCookie>();

  /** `forwardedFor`: the client address this browser claims through X-Forwarded-For (a server trusting loopback as its proxy believes it), so each browser has its own throttle. */
  constructor(private readonly forwardedFor?: string) {}

  cookieHeader(url: string): string {
    const p = new URL(url).pathname;
    return [...this.cookies.entries()]
      .filter(([, c]) => p === c.path || p.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`))
      .map(([k, c]) => `${k.slice(0, k.indexOf(';'))}=${c.value}`)
      .join('; ');
  }

  /** The value of a cookie by name (any path), or undefined. */
  cookie(name: string): string | undefined {
    for (const [k, c] of this.cookies) if (k.startsWith(`${name};`)) return c.value;
    return undefined;
  }

  private keep(res: Response, url: string): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';').map((s) => s.trim());
      const i = pair.indexOf('=');
      const name = pair.slice(0, i);
      const value = pair.slice(i + 1);
      let path = new URL(url).pathname.replace(/\/[^/]*$/, '') || '/';
      let gone = value === '';
      for (const a of attrs) {
        const [k, v = ''] = a.split('=');
        if (k.toLowerCase() === 'path') path = v;
        if (k.toLowerCase() === 'max-age' && Number(v) <= 0) gone = true;
        if (k.toLowerCase() === 'expires' && Date.parse(v) < Date.now()) gone = true;
      }
      if (gone) this.cookies.delete(`${name};${path}`);
      else this.cookies.set(`${name};${path}`, { value, path });
    }
  }

  /** One request, no redirect followed; cookies sent and kept. */
  async request(url: string, init: { method?: string; form?: Record<string, string>; json?: unknown; origin?: string } = {}): Promise<Response> {
    const headers: Record<string, string> = {};
    const cookie = this.cookieHeader(url);
    if (cookie) headers.cookie = cookie;
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    } else if (init.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(init.json);
    }
    if (init.origin) headers.origin = init.origin;
    if (this.forwardedFor) headers['x-forwarded-for'] = this.forwardedFor;
    const res = await fetch(url, { method: init.method ?? (body === undefined ? 'GET' : 'POST'), headers, body, redirect: 'manual' });
    this.keep(res, url);
    return res;
  }

  /**
   * Follows redirects from `url` until an answer that is not one, or until `stop(url)` says so
   * for the next location (that location is then returned unvisited). Returns the last answer
   * and its URL.
   */
  async follow(url: string, stop: (next: string) => boolean = () => false, init: Parameters<FetchBrowser['request']>[1] = {}): Promise<{ res: Response; url: string; stoppedAt?: string }> {
    let res = await this.request(url, init);
    for (let hops = 0; hops < 20 && res.status >= 300 && res.status < 400; hops++) {
      const next = new URL(res.headers.get('location') as string, url).href;
      if (stop(next)) return { res, url, stoppedAt: next };
      url = next;
      res = await this.request(url);
    }
    return { res, url };
  }
}

/**
 * Signs in at the provider's page the browser is on (its dev-interactions form): posts the
 * login name and follows on until the redirect to `backTo` (Floorwatch's callback), returned
 * unvisited; or, when the provider still knows the browser, goes straight there.
 */
export async function providerSignIn(b: FetchBrowser, authUrl: string, login: string, backTo: string): Promise<string> {
  const atCallback = (u: string) => u.startsWith(backTo);
  let step = await b.follow(authUrl, atCallback);
  if (step.stoppedAt) return step.stoppedAt;
  const html = await step.res.text();
  const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
  if (!action || !html.includes('name="login"')) throw new Error(`no sign-in form at ${step.url} (${step.res.status}): ${html.slice(0, 300)}`);
  step = await b.follow(new URL(action, step.url).href, atCallback, { form: { prompt: 'login', login, password: 'any' } });
  if (!step.stoppedAt) throw new Error(`the provider did not send the browser back (${step.res.status} at ${step.url}): ${(await step.res.text()).slice(0, 300)}`);
  return step.stoppedAt;
}
