/**
 * Single sign-on in Chromium against a real OpenID provider (oidc-provider, in this process):
 * the sign-in form's button, the provider's own sign-in page, back on the floor as a
 * supervisor; a user taken out of the group is refused at the next sign-in and their open
 * floor signed out; a tampered state or nonce is refused and said in words; with local
 * passwords off the form shows only the button; sign-out goes through the provider's logout.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import { AuthStore } from '../../server/auth/store.ts';
import { readSsoOptions } from '../../server/auth/oidc.ts';
import { CLIENT_ID, CLIENT_SECRET, SCOPES, startOidcProvider, type TestProvider } from '../server/oidc-fixture.ts';
import { buildClient, chromiumPresent, launchChromium, startServer, watchErrors, type E2eServer } from './helpers.ts';

const hasChromium = chromiumPresent('single sign-on browser tests');

let browser: Browser;
let provider: TestProvider;
let fw: E2eServer;
let off: E2eServer;
let auth: AuthStore;
let offAuth: AuthStore;
const errors: string[] = [];

/** The settings `floorwatch serve` would read from these flags and the secret in its environment. */
function sso(extra: string[] = []) {
  const argv = ['--oidc-issuer', provider.issuer, '--oidc-client-id', CLIENT_ID, '--oidc-scopes', SCOPES, '--oidc-agent-claim', 'agent_id', '--oidc-name', 'Test IdP', ...extra];
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) flags.set(argv[i].slice(2), argv[i + 1]);
  return readSsoOptions(argv, (name) => flags.get(name), { FLOORWATCH_OIDC_CLIENT_SECRET: CLIENT_SECRET });
}

/** A browser context that reaches only this machine (the provider's pages ask for web fonts). */
async function context(): Promise<BrowserContext> {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await ctx.route('**/*', (route) => (new URL(route.request().url()).hostname === '127.0.0.1' ? route.continue() : route.abort()));
  return ctx;
}

/** On the provider's sign-in page (its development interactions): any password; the login name picks the account. */
async function signInAtProvider(page: Page, login: string): Promise<void> {
  await page.waitForURL((u) => u.origin === provider.issuer, { timeout: 10_000 });
  await page.fill('input[name=login]', login);
  await page.fill('input[name=password]', 'whatever-the-provider-checks');
  await page.click('button[type=submit]');
}

/** Opens `path`, clicks the sign-in form's single sign-on button and signs in at the provider as `login`. */
async function ssoSignIn(ctx: BrowserContext, base: string, login: string, path = '/floor'): Promise<Page> {
  const page = await ctx.newPage();
  watchErrors(page, login, errors);
  await page.goto(`${base}${path}`);
  await page.locator('[data-testid=login-sso]').click();
  await signInAtProvider(page, login);
  return page;
}

describe.skipIf(!hasChromium)('single sign-on in Chromium', () => {
  beforeAll(async () => {
    buildClient();
    provider = await startOidcProvider();
    auth = new AuthStore(':memory:');
    offAuth = new AuthStore(':memory:');
    fw = await startServer({ auth, ingestTokens: ['e2e-sso-ingest'], sso: sso() });
    off = await startServer({ auth: offAuth, ingestTokens: ['e2e-sso-ingest'], sso: sso(['--local-passwords', 'off']) });
    provider.register({ redirectUris: [fw, off].map((s) => `${s.base}/api/auth/oidc/callback`), postLogoutRedirectUris: [fw, off].map((s) => `${s.base}/login`) });
    provider.accounts.set('sue', { username: 'sue', groups: ['floorwatch-supervisors'] });
    provider.accounts.set('nia', { username: 'nia', groups: ['floorwatch-supervisors'] });
    provider.accounts.set('ann', { username: 'ann', groups: ['floorwatch-agents'], agentId: '3001' });
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await fw?.close();
    await off?.close();
    await provider?.close();
    auth?.close();
    offAuth?.close();
  });

  it('signs a supervisor in through the provider and lands on the floor', async () => {
    const ctx = await context();
    const page = await ssoSignIn(ctx, fw.base, 'sue');
    await page.waitForURL(`${fw.base}/floor`, { timeout: 10_000 });
    await expect.poll(() => page.locator('[data-testid=nav-user]').textContent(), { timeout: 10_000 }).toMatch(/sue\s*Supervisor/i);
    await page.locator('[data-testid=nav-reports]').waitFor();
    expect(auth.findUser('sue')?.role).toBe('supervisor');
    await ctx.close();
  });

  it('shows the button with the provider name next to the password form, in the chosen language, on a phone too', async () => {
    const ctx = await context();
    const page = await ctx.newPage();
    await page.goto(`${fw.base}/login?lang=et`);
    await expect.poll(() => page.locator('[data-testid=login-sso]').textContent()).toBe('Logi sisse Test IdP kaudu');
    expect(await page.locator('[data-testid=login-form]').count()).toBe(1);
    await page.setViewportSize({ width: 390, height: 800 });
    await page.goto(`${fw.base}/login?lang=tr&sso=no-role`);
    await expect.poll(() => page.locator('[data-testid=sso-error]').textContent()).toMatch(/Floorwatch’ta bir rolü yok/);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    const axe = await new AxeBuilder({ page }).analyze();
    expect(axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(' | ')}`)).toEqual([]);
    await ctx.close();
  });

  it('binds an agent by its claim and shows their own view', async () => {
    const ctx = await context();
    const page = await ssoSignIn(ctx, fw.base, 'ann');
    await page.waitForURL(`${fw.base}/me`, { timeout: 10_000 });
    expect(auth.findUser('ann')).toMatchObject({ role: 'agent', agentId: '3001' });
    await ctx.close();
  });

  it('refuses a user taken out of the group at the next sign-in, in words, and signs out the floor they had open', async () => {
    const first = await context();
    const floor = await ssoSignIn(first, fw.base, 'nia');
    await floor.waitForURL(`${fw.base}/floor`, { timeout: 10_000 });
    await floor.locator('[data-testid=nav-user]').waitFor();
    provider.accounts.get('nia')!.groups = ['payroll'];
    const second = await context();
    const page = await ssoSignIn(second, fw.base, 'nia');
    await page.waitForURL(/\/login\?sso=no-role$/, { timeout: 10_000 });
    await expect.poll(() => page.locator('[data-testid=sso-error]').textContent()).toBe('Your account has no Floorwatch role. Ask an administrator to add you to a Floorwatch group.');
    // The floor open in the first browser loses its session at once (its socket is told why).
    await floor.locator('[data-testid=login-notice]').waitFor({ timeout: 10_000 });
    await first.close();
    await second.close();
  });

  it('refuses a tampered state and a tampered nonce, saying so on the sign-in form', async () => {
    const ctx = await context();
    // A sign-in started in this browser (its cookie set), then a callback with another state than the one it started with.
    const page = await ctx.newPage();
    watchErrors(page, 'state', errors);
    await page.goto(`${fw.base}/floor`);
    await page.locator('[data-testid=login-sso]').click();
    await page.waitForURL((u) => u.origin === provider.issuer, { timeout: 10_000 });
    await page.goto(`${fw.base}/api/auth/oidc/callback?code=stolen-code&state=forged-state-value`);
    await page.waitForURL(/\/login\?sso=state$/, { timeout: 10_000 });
    await expect.poll(() => page.locator('[data-testid=sso-error]').textContent()).toMatch(/expired, was already used or was started in another browser/);
    // The request to the provider carries another nonce than the one the sign-in keeps: the redirect Floorwatch answers
    // the button with is rewritten on its way to the browser (Playwright routes only the first request of a redirect chain).
    await ctx.route(
      (u) => u.origin === fw.base && u.pathname === '/api/auth/oidc/login',
      async (route) => {
        const response = await route.fetch({ maxRedirects: 0 });
        const to = new URL(response.headers().location);
        to.searchParams.set('nonce', 'forged-nonce-value');
        await route.fulfill({ response, headers: { ...response.headers(), location: to.href } });
      },
    );
    const again = await ssoSignIn(ctx, fw.base, 'sue');
    await again.waitForURL(/\/login\?sso=exchange$/, { timeout: 10_000 });
    await expect.poll(() => again.locator('[data-testid=sso-error]').textContent()).toMatch(/could not be verified/);
    expect(await again.locator('[data-testid=nav-user]').count()).toBe(0);
    expect(auth.findUser('sue')?.role).toBe('supervisor');
    await ctx.close();
  });

  it('with local passwords off shows only the button, and signs out through the provider', async () => {
    const ctx = await context();
    const page = await ctx.newPage();
    watchErrors(page, 'off', errors);
    await page.goto(`${off.base}/floor`);
    await page.locator('[data-testid=login-sso]').waitFor();
    expect(await page.locator('[data-testid=login-form]').count()).toBe(0);
    await page.locator('[data-testid=login-sso]').click();
    await signInAtProvider(page, 'sue');
    await page.waitForURL(`${off.base}/floor`, { timeout: 10_000 });
    await page.locator('[data-testid=sign-out]').click();
    // The provider asks to confirm, then sends the browser back to the sign-in form.
    await page.waitForURL((u) => u.origin === provider.issuer, { timeout: 10_000 });
    await page.click('button[name=logout]');
    await page.waitForURL(`${off.base}/login`, { timeout: 10_000 });
    await page.locator('[data-testid=login-sso]').waitFor();
    // Signed out at the provider too: the next sign-in asks for the login again.
    await page.locator('[data-testid=login-sso]').click();
    await page.waitForURL((u) => u.origin === provider.issuer, { timeout: 10_000 });
    await page.locator('input[name=login]').waitFor();
    await ctx.close();
  });

  it('logged no page errors', () => {
    expect(errors.filter((e) => !/Failed to load resource/.test(e))).toEqual([]);
  });
});
