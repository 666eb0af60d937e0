/**
 * The floor's charts and a lost feed in a real browser (headless Chromium)
 * against the real server with the built client: the charts name the floor's
 * zone and draw its SL target; with the server gone, the timers stand still,
 * dimmed and marked "as of", and run again on reconnect.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createServer, type FloorwatchServer } from '../../server/app.ts';
import { openSqliteLog, type SqliteLog } from '../../server/log/sqlite.ts';
import { AuthStore } from '../../server/auth/store.ts';
import { defaultConfig } from '../../shared/config.ts';
import { tempDbFile } from '../server/harness.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const hasChromium = fs.existsSync(CHROMIUM);
if (!hasChromium) console.warn(`\n*** SKIPPED: chart and lost-feed browser tests need Chromium at ${CHROMIUM} (apt-get install chromium); .ci/run installs it ***\n`);

const ROOT = path.resolve(__dirname, '../..');
const DIST = path.join(ROOT, 'dist', 'client');
const INGEST = 'e2e-charts-ingest';
const VIEW = 'e2e-charts-view';

// A floor in Istanbul (UTC+3 all year) with an 85 % target: neither is a default, so the page must have read them.
const config = { ...defaultConfig(), timeZone: 'Europe/Istanbul', serviceLevel: { ...defaultConfig().serviceLevel, targetPct: 85 } };

let browser: Browser;
let server: FloorwatchServer;
let log: SqliteLog;
let port = 0;
let dbFile = '';
let n = 0;

async function start(): Promise<void> {
  log = openSqliteLog({ file: dbFile, synchronous: 'normal' });
  server = createServer({ log, auth: new AuthStore(':memory:'), config, ingestTokens: [INGEST], viewTokens: [VIEW], staticDir: DIST, logger: { info() {}, warn() {}, error() {} } });
  port = await server.listen(port, '127.0.0.1');
}

async function send(events: Record<string, unknown>[]): Promise<void> {
  const body = events.map((e) => ({ id: `e2e-charts-${++n}`, at: Date.now(), ...e }));
  const res = await fetch(`http://127.0.0.1:${port}/api/events`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${INGEST}` }, body: JSON.stringify(body) });
  const r = (await res.json()) as { ok: boolean; data?: { accepted: number; rejected: unknown[] } };
  if (!r.ok || r.data?.rejected.length) throw new Error(`feed rejected: ${JSON.stringify(r)}`);
}

async function open(p: string, errors: string[]): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') errors.push(`${p}: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`${p}: ${String(e)}`));
  await page.goto(`http://127.0.0.1:${port}${p}`);
  return page;
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
    if (!fs.existsSync(path.join(DIST, 'index.html'))) execFileSync(process.execPath, [path.join(ROOT, 'node_modules/vite/bin/vite.js'), 'build'], { cwd: ROOT, stdio: 'ignore' });
    dbFile = tempDbFile();
    await start();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await log?.close();
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
    await server.close();
    await log.close();
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
