/**
 * Sign-in and acknowledgement in real browsers: two supervisors and an agent,
 * each in their own browser context (their own cookies).
 */
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { createServer, type FloorwatchServer } from '../../server/app.ts';
import { openSqliteLog, type SqliteLog } from '../../server/log/sqlite.ts';
import { AuthStore } from '../../server/auth/store.ts';
import { tempDbFile } from '../server/harness.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const hasChromium = fs.existsSync(CHROMIUM);
if (!hasChromium) console.warn(`\n*** SKIPPED: sign-in browser tests need Chromium at ${CHROMIUM} (apt-get install chromium); .ci/run installs it ***\n`);

const ROOT = path.resolve(__dirname, '../..');
const DIST = path.join(ROOT, 'dist', 'client');
const INGEST = 'e2e-signin-ingest';

let browser: Browser;
let server: FloorwatchServer;
let log: SqliteLog;
let auth: AuthStore;
let base = '';
let n = 0;
const errors: string[] = [];

async function send(events: Record<string, unknown>[]): Promise<void> {
  const body = events.map((e) => ({ id: `si-${++n}`, at: Date.now(), ...e }));
  const res = await fetch(`${base}/api/events`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${INGEST}` }, body: JSON.stringify(body) });
  if (res.status !== 200) throw new Error(`feed rejected: ${await res.text()}`);
}

async function signIn(ctx: BrowserContext, user: string, password: string, landing = '/floor'): Promise<Page> {
  const page = await ctx.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') errors.push(`${user}: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`${user}: ${String(e)}`));
  await page.goto(`${base}${landing}`);
  await page.locator('[data-testid=login-form]').waitFor();
  await page.fill('[data-testid=login-user]', user);
  await page.fill('[data-testid=login-password]', password);
  await page.click('[data-testid=login-submit]');
  await page.locator('[data-testid=nav-user]').waitFor({ timeout: 10_000 });
  return page;
}

describe.skipIf(!hasChromium)('sign-in in Chromium', () => {
  beforeAll(async () => {
    if (!fs.existsSync(path.join(DIST, 'index.html'))) execFileSync(process.execPath, [path.join(ROOT, 'node_modules/vite/bin/vite.js'), 'build'], { cwd: ROOT, stdio: 'ignore' });
    log = openSqliteLog({ file: tempDbFile(), synchronous: 'normal' });
    auth = new AuthStore(':memory:');
    const now = Date.now();
    await auth.createUser({ username: 'sue', password: 'supervisor-pass-1', role: 'supervisor' }, now);
    await auth.createUser({ username: 'sam', password: 'supervisor-pass-2', role: 'supervisor' }, now);
    await auth.createUser({ username: 'ann', password: 'agent-password-1', role: 'agent', agentId: '3001' }, now);
    await auth.createUser({ username: 'ada', password: 'admin-password-1', role: 'admin' }, now);
    server = createServer({ log, auth, ingestTokens: [INGEST], staticDir: DIST, logger: { info() {}, warn() {}, error() {} } });
    base = `http://127.0.0.1:${await server.listen(0, '127.0.0.1')}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
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
    await server?.close();
    await log?.close();
    auth?.close();
  });

  it('sends a visitor without a session to the sign-in form and refuses a wrong password', async () => {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await page.goto(`${base}/floor`);
    await page.locator('[data-testid=login-form]').waitFor();
    expect(await page.locator('[data-testid=agent-row]').count()).toBe(0);
    await page.fill('[data-testid=login-user]', 'sue');
    await page.fill('[data-testid=login-password]', 'not-the-password');
    await page.click('[data-testid=login-submit]');
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
