/**
 * Alerts that are noticed, in a real browser (headless Chromium) against the real
 * server with the built client: a new breach puts the count of open breaches in
 * the tab's title and favicon (a data: URL the server's CSP allows), and with
 * notifications switched on and permitted a desktop notification fires for it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { AuthStore } from '../../server/auth/store.ts';
import { defaultConfig } from '../../shared/config.ts';
import { buildClient, chromiumPresent, launchChromium, postEvents, startServer, type E2eServer } from './helpers.ts';

const hasChromium = chromiumPresent('alert title and notification browser tests');

const INGEST = 'e2e-signals-ingest';
const VIEW = 'e2e-signals-view';

let browser: Browser;
let srv: E2eServer;
let port = 0;
let n = 0;

async function send(events: Record<string, unknown>[]): Promise<void> {
  await postEvents(`http://127.0.0.1:${port}`, INGEST, events.map((e) => ({ id: `e2e-signals-${++n}`, at: Date.now(), ...e })), true);
}

/** A caller on hold (with permission) for 100 s: an open hold-long breach (90 s) that stays open while the hold lasts. */
const longHold = (callId: string, agentId: string) => {
  const now = Date.now();
  return [
    { type: 'call.queued', callId, queueId: 'sales', at: now - 200_000 },
    { type: 'call.ringing', callId, agentId, at: now - 199_000 },
    { type: 'call.answered', callId, agentId, ringCount: 1, at: now - 195_000 },
    { type: 'call.hold', callId, askedPermission: true, at: now - 100_000 },
  ];
};

describe.skipIf(!hasChromium)('alerts that are noticed, in Chromium', () => {
  beforeAll(async () => {
    buildClient();
    srv = await startServer({ auth: new AuthStore(':memory:'), config: defaultConfig(), ingestTokens: [INGEST], viewTokens: [VIEW] });
    port = srv.port;
    browser = await launchChromium();
    await send([
      { type: 'agent.state', agentId: '4001', state: 'available', name: 'Ada Lovelace', team: 'north', queues: ['sales'] },
      { type: 'agent.state', agentId: '4002', state: 'available', name: 'Grace Hopper', team: 'south', queues: ['sales'] },
      { type: 'agent.state', agentId: '4003', state: 'available', name: 'Alan Turing', team: 'south', queues: ['sales'] },
    ]);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await srv?.close();
  });

  it('puts a new breach in the tab title and favicon, and fires a desktop notification once permitted and switched on', async () => {
    const origin = `http://127.0.0.1:${port}`;
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await context.grantPermissions(['notifications'], { origin });
    // Headless Chromium shows no notifications: a stand-in records what the page asks for.
    await context.addInitScript(() => {
      const shown: { title: string; body?: string; tag?: string }[] = [];
      (window as unknown as { __notes: typeof shown }).__notes = shown;
      class Recorded {
        static get permission(): NotificationPermission { return 'granted'; }
        static requestPermission(): Promise<NotificationPermission> { return Promise.resolve('granted'); }
        onclick: (() => void) | null = null;
        constructor(title: string, opts?: NotificationOptions) { shown.push({ title, body: opts?.body, tag: opts?.tag }); }
        close(): void {}
      }
      Object.defineProperty(window, 'Notification', { value: Recorded, configurable: true, writable: true });
    });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('pageerror', (e) => errors.push(String(e)));
    const res = await page.goto(`${origin}/floor?token=${VIEW}`);
    // The generated favicon is a data: URL: the CSP must allow it as an image.
    expect(res?.headers()['content-security-policy']).toMatch(/img-src 'self' data:/);
    await page.locator('[data-testid=signals-toggle]').waitFor();
    await expect.poll(() => page.title(), { timeout: 5_000 }).toBe('Floorwatch');

    await page.locator('[data-testid=signals-toggle]').click();
    await page.locator('[data-testid=signals-desktop]').check();
    await expect.poll(() => page.locator('[data-testid=signals-toggle]').textContent()).toContain('Signals: on');
    await page.keyboard.press('Escape');

    await send(longHold('n1', '4001'));
    await expect.poll(() => page.title(), { timeout: 5_000 }).toBe('(1) Floorwatch');
    const icon = page.locator('link[rel=icon][data-fw-badge]');
    expect(await icon.getAttribute('data-count')).toBe('1');
    expect(decodeURIComponent((await icon.getAttribute('href')) ?? '')).toMatch(/^data:image\/svg\+xml,.*>1<\/text>/);
    const notes = () => page.evaluate(() => (window as unknown as { __notes: { title: string; body?: string }[] }).__notes);
    await expect.poll(async () => (await notes()).map((x) => x.title), { timeout: 5_000 }).toEqual(['Breach: Long hold']);
    expect((await notes())[0]).toMatchObject({ body: expect.stringMatching(/^Ada Lovelace · 1 min 4\d s$/), tag: expect.stringMatching(/^fw-alert-/) });

    // A second breach: the count moves on, one more notification, the first is not repeated (repetition is off).
    await send(longHold('n2', '4002'));
    await expect.poll(() => page.title(), { timeout: 5_000 }).toBe('(2) Floorwatch');
    await expect.poll(async () => (await notes()).map((x) => x.body?.split(' · ')[0]), { timeout: 5_000 }).toEqual(['Ada Lovelace', 'Grace Hopper']);

    // A hold without asking is a fact, ended as it happens: it notifies (it waits for an acknowledgement), but it is
    // not open, so the title and favicon keep counting what the header calls open breaches.
    await send([
      { type: 'call.queued', callId: 'n3', queueId: 'sales' },
      { type: 'call.ringing', callId: 'n3', agentId: '4003' },
      { type: 'call.answered', callId: 'n3', agentId: '4003', ringCount: 1 },
      { type: 'call.hold', callId: 'n3', askedPermission: false },
    ]);
    await expect.poll(async () => (await notes()).map((x) => x.title).at(-1), { timeout: 5_000 }).toBe('Breach: Hold without asking');
    expect(await page.title()).toBe('(2) Floorwatch');
    expect(await icon.getAttribute('data-count')).toBe('2');
    await expect.poll(() => page.locator('.topbar .totals .tone-breach b').textContent(), { timeout: 5_000 }).toBe('2');

    // Remembered: after a reload the choice holds and the title is right at once.
    await page.reload();
    await expect.poll(() => page.locator('[data-testid=signals-toggle]').textContent(), { timeout: 5_000 }).toContain('Signals: on');
    await expect.poll(() => page.title(), { timeout: 5_000 }).toBe('(2) Floorwatch');
    expect(errors).toEqual([]);
    await context.close();
  }, 60_000);
});
