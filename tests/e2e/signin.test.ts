/**
 * Sign-in and acknowledgement in real browsers: two supervisors and an agent,
 * each in their own browser context (their own cookies).
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { AuthStore } from '../../server/auth/store.ts';
import { ROOT, buildClient, chromiumPresent, launchChromium, postEvents, signInAt, startServer, submitSignIn, type E2eServer } from './helpers.ts';

const hasChromium = chromiumPresent('sign-in browser tests');
const INGEST = 'e2e-signin-ingest';

let browser: Browser;
let srv: E2eServer;
let auth: AuthStore;
let base = '';
let n = 0;
const errors: string[] = [];

async function send(events: Record<string, unknown>[]): Promise<void> {
  await postEvents(base, INGEST, events.map((e) => ({ id: `si-${++n}`, at: Date.now(), ...e })));
}

async function signIn(ctx: BrowserContext, user: string, password: string, landing = '/floor'): Promise<Page> {
  const page = await ctx.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') errors.push(`${user}: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`${user}: ${String(e)}`));
  return signInAt(page, `${base}${landing}`, user, password);
}

describe.skipIf(!hasChromium)('sign-in in Chromium', () => {
  beforeAll(async () => {
    buildClient();
    auth = new AuthStore(':memory:');
    const now = Date.now();
    await auth.createUser({ username: 'sue', password: 'supervisor-pass-1', role: 'supervisor' }, now);
    await auth.createUser({ username: 'sam', password: 'supervisor-pass-2', role: 'supervisor' }, now);
    await auth.createUser({ username: 'ann', password: 'agent-password-1', role: 'agent', agentId: '3001' }, now);
    await auth.createUser({ username: 'ada', password: 'admin-password-1', role: 'admin' }, now);
    srv = await startServer({ auth, ingestTokens: [INGEST] });
    base = srv.base;
    browser = await launchChromium();
    await send([
      { type: 'agent.state', agentId: '3001', state: 'available', name: 'Ann Agent', queues: ['support'] },
      { type: 'agent.state', agentId: '3002', state: 'available', name: 'Ben Other', queues: ['support'] },
      { type: 'call.queued', callId: 'k1', queueId: 'support' },
      { type: 'call.ringing', callId: 'k1', agentId: '3001' },
      { type: 'call.answered', callId: 'k1', agentId: '3001', ringCount: 1 },
      { type: 'call.hold', callId: 'k1', askedPermission: false },
      { type: 'call.queued', callId: 'ben-private-call', queueId: 'support' },
      { type: 'call.ringing', callId: 'ben-private-call', agentId: '3002' },
      { type: 'call.answered', callId: 'ben-private-call', agentId: '3002', ringCount: 1 },
      { type: 'call.hold', callId: 'ben-private-call', askedPermission: false },
    ]);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await srv?.close();
    auth?.close();
  });

  it('sends a visitor without a session to the sign-in form and refuses a wrong password', async () => {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await page.goto(`${base}/floor`);
    await page.locator('[data-testid=login-form]').waitFor();
    expect(await page.locator('[data-testid=agent-row]').count()).toBe(0);
    await submitSignIn(page, 'sue', 'not-the-password');
    await expect.poll(() => page.locator('[data-testid=login-error]').textContent()).toBe('wrong user name or password');
    await ctx.close();
  });

  it("shows one supervisor's acknowledgement, with its note, in a second supervisor's browser", async () => {
    const sueCtx = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
    const samCtx = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
    const sue = await signIn(sueCtx, 'sue', 'supervisor-pass-1');
    const sam = await signIn(samCtx, 'sam', 'supervisor-pass-2');
    const sueAlert = sue.locator('[data-testid=alert-item][data-rule=hold-permission]', { hasText: 'Ann Agent' }).first();
    await sueAlert.waitFor();
    await sueAlert.locator('[data-testid=ack-button]').click();
    await sueAlert.locator('[data-testid=ack-note]').fill('Coached Ann on asking first');
    await sueAlert.locator('[data-testid=ack-confirm]').click();
    const samAlert = sam.locator('[data-testid=alert-item][data-rule=hold-permission]', { hasText: 'Ann Agent' }).first();
    // Acknowledged, the hold without asking (a fact, ended as it happened) settles among the ended alerts, behind their count.
    await sam.locator('[data-testid=alerts-ended-toggle][aria-expanded=false]').click();
    await expect.poll(() => samAlert.locator('[data-testid=alert-acked]').textContent(), { timeout: 3_000 }).toMatch(/acknowledged by sue at .* — “Coached Ann on asking first”/);
    // Sam can reopen it; Sue sees that too.
    await samAlert.locator('[data-testid=reopen-button]').click();
    await expect.poll(() => sueAlert.textContent(), { timeout: 3_000 }).toContain('reopened by sam');
    await sue.screenshot({ path: path.join(ROOT, 'test-results', 'supervisor-ack.png') }).catch(() => undefined);
    await sueCtx.close();
    await samCtx.close();
  });

  it('shows an agent who signs in their own day only', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const ann = await signIn(ctx, 'ann', 'agent-password-1', '/floor'); // asks for the floor, lands on their own view
    await expect.poll(() => ann.locator('[data-testid=me-live-call]').textContent(), { timeout: 5_000 }).toContain('hold');
    expect(new URL(ann.url()).pathname).toBe('/me');
    // Asking for a colleague's view shows their own, and the address says so; so does /login once signed in.
    for (const asked of ['/me?agent=3002&lang=en', '/login?lang=en']) {
      await ann.goto(`${base}${asked}`);
      await ann.locator('[data-testid=me-live-call]').waitFor();
      await expect.poll(() => { const u = new URL(ann.url()); return u.pathname + u.search; }).toBe('/me?lang=en');
    }
    expect(await ann.locator('[data-testid=me-breach]').count()).toBeGreaterThanOrEqual(1);
    const html = await ann.content();
    expect(html).not.toContain('Ben Other');
    expect(html).not.toContain('ben-private-call');
    expect(await ann.locator('[data-testid=nav-settings]').count()).toBe(0);
    await ctx.close();
  });

  it('lets an admin issue a kiosk token that opens the wallboard on a TV with no keyboard', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const admin = await signIn(ctx, 'ada', 'admin-password-1', '/users');
    await admin.selectOption('#new-token-kind', 'wallboard');
    await admin.fill('#new-token-name', 'TV by the door');
    await admin.click('form button[type=submit]:has-text("Create token")');
    const token = (await admin.locator('[data-testid=fresh-token] code').first().textContent()) ?? '';
    expect(token.length).toBeGreaterThan(20);
    const tv = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
    const wall = await tv.newPage();
    await wall.goto(`${base}/wall?kiosk=${encodeURIComponent(token)}`);
    await expect.poll(() => wall.locator('[data-testid=wall-number][data-kpi=waiting] .n').textContent(), { timeout: 5_000 }).toBe('0');
    expect(await wall.content()).not.toContain('Ann Agent');
    await tv.close();
    await ctx.close();
  });

  it('had no console errors', () => {
    expect(errors, errors.join('\n')).toEqual([]);
  });
});
