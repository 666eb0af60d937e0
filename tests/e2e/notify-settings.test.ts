/**
 * The notification section of the settings page in Chromium (issue 15): an
 * admin adds a signed webhook to a real local receiver, sees its secret only
 * as "set", sends a test that the receiver verifies, routes a rule to it, sees
 * the delivery in the table, and deletes the channel only after confirming.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { AuthStore } from '../../server/auth/store.ts';
import { buildClient, chromiumPresent, launchChromium, signInAt, startServer, watchErrors, type E2eServer } from './helpers.ts';
import { startReceiver } from '../server/notify-helpers.ts';

const hasChromium = chromiumPresent('notification settings browser test');
const SECRET = 'e2e-shared-secret-77';

let browser: Browser;
let srv: E2eServer;
let auth: AuthStore;
let hook: Awaited<ReturnType<typeof startReceiver>>;

describe.skipIf(!hasChromium)('notification settings in Chromium', () => {
  beforeAll(async () => {
    buildClient();
    auth = new AuthStore(':memory:');
    await auth.createUser({ username: 'ada', password: 'admin-password-1', role: 'admin' }, Date.now());
    srv = await startServer({ auth, ingestTokens: ['e2e-notify-ingest'] });
    hook = await startReceiver(SECRET);
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await hook?.close();
    await srv?.close();
    auth?.close();
  });

  it('adds a webhook, tests it, routes to it and deletes it after a confirmation', async () => {
    const errors: string[] = [];
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    watchErrors(page, 'settings', errors);
    await signInAt(page, `${srv.base}/settings`, 'ada', 'admin-password-1');
    const section = page.locator('[data-testid=notify-settings]');
    await section.waitFor();
    await page.fill('[data-testid=ns-name]', 'Floor leads');
    await page.fill('[data-testid=ns-url]', hook.url);
    await page.fill('[data-testid=ns-secret]', SECRET);
    await page.click('[data-testid=ns-save-channel]');
    await page.locator('[data-testid=ns-channel-row]').waitFor();
    await expect.poll(() => page.locator('[data-testid=ns-secret-state]').innerText()).toBe('set');
    expect(await section.innerText()).not.toContain(SECRET);

    await page.click('[data-testid="ns-test-Floor leads"]');
    await expect.poll(() => page.locator('[data-testid=ns-message]').innerText()).toContain('Test message sent to “Floor leads”');
    expect(hook.got).toHaveLength(1);
    expect(hook.got[0].verified).toBe(true);
    expect(hook.got[0].body).toMatchObject({ kind: 'test' });
    await expect.poll(() => page.locator('[data-testid=ns-delivery-row]').count()).toBe(1);

    await page.click('[data-testid=ns-add-route]');
    await page.locator('[data-testid=ns-route] select[multiple]').selectOption(['hold-permission']);
    await page.click('[data-testid=ns-save-routing]');
    await expect.poll(() => page.locator('[data-testid=ns-message]').innerText()).toBe('Routing saved.');
    const routing = (await page.evaluate(() => fetch('/api/admin/notify/routing').then((r) => r.json()))) as { data: { routes: { ruleIds: string[]; channelIds: string[] }[] } };
    expect(routing.data.routes).toHaveLength(1);
    expect(routing.data.routes[0].ruleIds).toEqual(['hold-permission']);

    // Deleting asks first: dismissed, the channel stays; accepted, it goes.
    page.once('dialog', (d) => void d.dismiss());
    await page.click('[data-testid="ns-delete-Floor leads"]');
    await page.waitForTimeout(200);
    expect(await page.locator('[data-testid=ns-channel-row]').count()).toBe(1);
    let asked = '';
    page.once('dialog', (d) => {
      asked = d.message();
      void d.accept();
    });
    await page.click('[data-testid="ns-delete-Floor leads"]');
    await expect.poll(() => page.locator('[data-testid=ns-channel-row]').count()).toBe(0);
    expect(asked).toContain('Delete the channel “Floor leads”?');
    expect(errors).toEqual([]);
  });
});
