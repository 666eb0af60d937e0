/**
 * The floor's charts and a lost feed in a real browser (headless Chromium)
 * against the real server with the built client: the charts name the floor's
 * zone and draw its SL target; with the server gone, the timers stand still,
 * dimmed and marked "as of", and run again on reconnect.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { AuthStore } from '../../server/auth/store.ts';
import { defaultConfig } from '../../shared/config.ts';
import { tempDbFile } from '../server/harness.ts';
import { buildClient, chromiumPresent, launchChromium, openPage, postEvents, startServer, type E2eServer } from './helpers.ts';

const hasChromium = chromiumPresent('chart and lost-feed browser tests');

const INGEST = 'e2e-charts-ingest';
const VIEW = 'e2e-charts-view';

// A floor in Istanbul (UTC+3 all year) with an 85 % target: neither is a default, so the page must have read them.
const config = { ...defaultConfig(), timeZone: 'Europe/Istanbul', serviceLevel: { ...defaultConfig().serviceLevel, targetPct: 85 } };

let browser: Browser;
let srv: E2eServer;
let port = 0;
let dbFile = '';
let n = 0;

async function start(): Promise<void> {
  srv = await startServer({ auth: new AuthStore(':memory:'), config, ingestTokens: [INGEST], viewTokens: [VIEW] }, { dbFile, port });
  port = srv.port;
}

async function send(events: Record<string, unknown>[]): Promise<void> {
  await postEvents(srv.base, INGEST, events.map((e) => ({ id: `e2e-charts-${++n}`, at: Date.now(), ...e })), true);
}

function open(p: string, errors: string[]): Promise<Page> {
  return openPage(browser, `http://127.0.0.1:${port}`, p, errors, { width: 1280, height: 800 });
}

/** How many pixels of the canvas are (nearly) the given colour. */
async function pixelsOf(page: Page, selector: string, rgb: [number, number, number]): Promise<number> {
  return page.locator(selector).evaluate((el, want) => {
    const c = el as HTMLCanvasElement;
    const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let hits = 0;
    for (let i = 0; i < data.length; i += 4) if (Math.abs(data[i] - want[0]) < 12 && Math.abs(data[i + 1] - want[1]) < 12 && Math.abs(data[i + 2] - want[2]) < 12 && data[i + 3] > 200) hits++;
    return hits;
  }, rgb);
}

describe.skipIf(!hasChromium)('charts and a lost feed in Chromium', () => {
  const errors: string[] = [];

  beforeAll(async () => {
    buildClient();
    dbFile = tempDbFile();
    await start();
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await srv?.close();
  });

  it('says "no calls yet today" before the first call instead of drawing empty axes', async () => {
    const page = await open(`/floor?token=${VIEW}`, errors);
    await expect.poll(() => page.locator('[data-testid=chart-empty]').first().textContent(), { timeout: 5_000 }).toBe('No calls yet today');
    expect(await page.locator('[data-testid=chart-volume]').isVisible()).toBe(false);
    await page.close();
  });

  it("names the floor's zone on the time axis and draws the SL target", async () => {
    await send([
      { type: 'agent.state', agentId: '3001', state: 'available', name: 'Ada Lovelace', team: 'north', queues: ['sales'] },
      { type: 'call.queued', callId: 'k1', queueId: 'sales' },
      { type: 'call.ringing', callId: 'k1', agentId: '3001' },
      { type: 'call.answered', callId: 'k1', agentId: '3001', ringCount: 1 },
      { type: 'call.ended', callId: 'k1', notes: true },
      { type: 'call.queued', callId: 'k2', queueId: 'sales' }, // stays waiting: its timer is what must freeze below
    ]);
    const page = await open(`/floor?token=${VIEW}`, errors);
    const sl = page.locator('[data-testid=chart-sl]');
    await sl.waitFor({ state: 'visible', timeout: 10_000 });
    expect(await sl.getAttribute('aria-label')).toBe('Service level through the day · Time (Europe/Istanbul (GMT+3)) · target 85%');
    expect(await page.locator('[data-testid=chart-volume]').getAttribute('aria-label')).toContain('Europe/Istanbul (GMT+3)');
    // The dashed target line is drawn in amber (#fbbf24) across the chart.
    // (charts follow the data at most once a second, so the first draw may come a little after the page)
    await expect.poll(() => pixelsOf(page, '[data-testid=chart-sl]', [0xfb, 0xbf, 0x24]), { timeout: 10_000 }).toBeGreaterThan(50);
    await page.close();
    // In Turkish the target reads as Turkish writes a percentage.
    const tr = await open(`/floor?token=${VIEW}&lang=tr`, errors);
    await expect.poll(() => tr.locator('[data-testid=chart-sl]').getAttribute('aria-label'), { timeout: 10_000 }).toBe('Gün boyunca hizmet seviyesi · Saat (Europe/Istanbul (GMT+3)) · hedef %85');
    await tr.close();
  });

  it('stops the timers where they stood while the feed is lost, marked with that time, and runs them again on reconnect', async () => {
    const pageErrors: string[] = [];
    const page = await open(`/floor?token=${VIEW}`, pageErrors);
    const wait = page.locator('[data-testid=queue-tile][data-queue=sales] [data-testid=kpi-longest-wait] .v');
    await expect.poll(() => wait.textContent(), { timeout: 5_000 }).toMatch(/^\d+:\d\d$/);
    await srv.close();
    const banner = page.locator('[data-testid=stale-banner]');
    await banner.waitFor({ timeout: 5_000 });
    const stood = await wait.textContent();
    const bannerText = (await banner.textContent()) ?? '';
    const time = /(\d{1,2}:\d{2}:\d{2}(?: [AP]M)?)/.exec(bannerText)?.[1];
    expect(time).toBeTruthy();
    await page.waitForTimeout(3_000);
    expect(await wait.textContent()).toBe(stood);
    const tile = page.locator('[data-testid=queue-tile][data-queue=sales]');
    expect(await tile.getAttribute('class')).toContain('frozen');
    expect(await tile.locator('[data-testid=as-of]').textContent()).toBe(`as of ${time}`);
    // Dimmed, not faded: the frozen figure is light grey on the panel, with contrast far above 4.5:1.
    expect(await wait.evaluate((e) => getComputedStyle(e).color)).toBe('rgb(226, 232, 240)');
    expect(await wait.evaluate((e) => getComputedStyle(e).opacity)).toBe('1');

    await start(); // same port, same log
    await banner.waitFor({ state: 'detached', timeout: 15_000 });
    expect(await page.locator('[data-testid=as-of]').count()).toBe(0);
    const back = await wait.textContent();
    await expect.poll(() => wait.textContent(), { timeout: 3_000 }).not.toBe(back);
    expect(pageErrors.filter((e) => !/WebSocket|ERR_CONNECTION_REFUSED|Failed to load resource/.test(e))).toEqual([]);
    await page.close();
  }, 40_000);

  it('had no console errors', () => {
    expect(errors).toEqual([]);
  });
});
