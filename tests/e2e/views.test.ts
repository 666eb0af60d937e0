/**
 * The three faces in a real browser (headless Chromium) against the real
 * server with the built client and a scripted feed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { AuthStore } from '../../server/auth/store.ts';
import { defaultConfig } from '../../shared/config.ts';
import { tempDbFile } from '../server/harness.ts';
import { buildClient, chromiumPresent, launchChromium, openPage, postEvents, startServer, type E2eServer } from './helpers.ts';

const hasChromium = chromiumPresent('end-to-end browser tests');

const INGEST = 'e2e-ingest';
const VIEW = 'e2e-view';
const WALL = 'e2e-wall';

// A 1 s ring cadence so ring 3 and ring 4 arrive within seconds.
const config = { ...defaultConfig(), rules: { ...defaultConfig().rules, ringCadenceSec: 1 } };

let browser: Browser;
let srv: E2eServer;
let port = 0;
let dbFile = '';
let n = 0;

async function start(): Promise<void> {
  srv = await startServer({ auth: new AuthStore(':memory:'), config, ingestTokens: [INGEST], viewTokens: [VIEW], wallboardTokens: [WALL] }, { dbFile, port });
  port = srv.port;
}

async function send(events: Record<string, unknown>[]): Promise<void> {
  await postEvents(srv.base, INGEST, events.map((e) => ({ id: `e2e-${++n}`, at: Date.now(), ...e })), true);
}

function open(p: string, errors: string[]): Promise<Page> {
  return openPage(browser, `http://127.0.0.1:${port}`, p, errors, { width: 1600, height: 1000 });
}

describe.skipIf(!hasChromium)('views in Chromium', () => {
  const errors: string[] = [];

  beforeAll(async () => {
    buildClient();
    dbFile = tempDbFile();
    await start();
    browser = await launchChromium();
    await send([
      { type: 'agent.state', agentId: '2001', state: 'available', name: 'Ada Lovelace', team: 'north', queues: ['sales'] },
      { type: 'agent.state', agentId: '2002', state: 'available', name: 'Bob Bobson', team: 'south', queues: ['sales'] },
      { type: 'call.queued', callId: 'c1', queueId: 'sales' },
      { type: 'call.ringing', callId: 'c1', agentId: '2001' },
      { type: 'call.answered', callId: 'c1', agentId: '2001', ringCount: 1 },
      { type: 'call.ended', callId: 'c1', notes: true },
      { type: 'call.queued', callId: 'c2', queueId: 'sales' },
      { type: 'call.abandoned', callId: 'c2' },
      { type: 'call.queued', callId: 'c3', queueId: 'sales' },
      { type: 'call.queued', callId: 'secret-b-call', queueId: 'sales' },
      { type: 'call.ringing', callId: 'secret-b-call', agentId: '2002' },
      { type: 'call.answered', callId: 'secret-b-call', agentId: '2002', ringCount: 1 },
    ]);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await srv?.close();
  });

  it('shows the queue numbers on the floor view', async () => {
    const page = await open(`/floor?token=${VIEW}`, errors);
    const tile = page.locator('[data-testid=queue-tile][data-queue=sales]');
    await expect.poll(() => tile.locator('[data-testid=kpi-waiting] .v').textContent(), { timeout: 5_000 }).toBe('1');
    expect(await tile.locator('[data-testid=kpi-abandoned] .v').textContent()).toBe('1');
    expect(await tile.textContent()).toContain('2/4'); // answered/offered
    expect(await page.locator('[data-testid=agent-row]').count()).toBe(2);
    await page.close();
  });

  it('counts the rings of a ringing call up and turns red at ring 4', async () => {
    const page = await open(`/floor?token=${VIEW}`, errors);
    await page.locator('[data-testid=agent-row][data-agent="2001"]').waitFor();
    await send([{ type: 'call.ringing', callId: 'c3', agentId: '2001' }]);
    const ring = page.locator('[data-testid=agent-row][data-agent="2001"] [data-testid=agent-ring-count]');
    await expect.poll(() => ring.textContent(), { timeout: 4_000 }).toMatch(/ring [12]$/);
    await expect.poll(() => ring.textContent(), { timeout: 4_000 }).toMatch(/ring 3$/);
    expect(await ring.getAttribute('class')).toContain('tone-warn');
    await expect.poll(() => ring.textContent(), { timeout: 4_000 }).toMatch(/ring [4-9]$/);
    expect(await ring.getAttribute('class')).toContain('tone-breach');
    await page.close();
  });

  it('puts a hold without permission in the alerts feed within one second', async () => {
    const page = await open(`/floor?token=${VIEW}`, errors);
    await page.locator('[data-testid=agent-row][data-agent="2001"]').waitFor();
    await send([{ type: 'call.answered', callId: 'c3', agentId: '2001' }]);
    const t0 = Date.now();
    await send([{ type: 'call.hold', callId: 'c3', askedPermission: false }]);
    const item = page.locator('[data-testid=alert-item][data-rule=hold-permission]');
    await item.first().waitFor({ timeout: 1_000 });
    const elapsed = Date.now() - t0;
    expect(elapsed).toBeLessThan(1_000);
    expect(await item.first().getAttribute('data-level')).toBe('breach');
    expect(await item.first().textContent()).toContain('Ada Lovelace');
    // Clicking it opens the call with its timeline.
    await item.first().click();
    await page.locator('[data-testid=call-detail] [data-testid=timeline-item]').first().waitFor();
    const timeline = await page.locator('[data-testid=call-detail]').textContent();
    expect(timeline).toContain('without asking');
    expect(timeline).toContain('Hold without asking');
    await page.close();
  });

  it("shows agent A their own day and never agent B's calls or name", async () => {
    const page = await open(`/me?agent=2001&token=${VIEW}`, errors);
    await expect.poll(() => page.locator('[data-testid=me-handled]').textContent(), { timeout: 5_000 }).toBe('1');
    expect(await page.locator('[data-testid=me-quota]').textContent()).toBe('30');
    await expect.poll(() => page.locator('[data-testid=me-live-call]').textContent()).toContain('hold');
    expect(await page.locator('[data-testid=me-breach]').count()).toBeGreaterThanOrEqual(1);
    const html = await page.content();
    expect(html).not.toContain('Bob Bobson');
    expect(html).not.toContain('secret-b-call');
    await page.close();
  });

  it('shows the wallboard numbers', async () => {
    const page = await open(`/wall?token=${WALL}`, errors);
    const waiting = page.locator('[data-testid=wall-number][data-kpi=waiting] .n');
    await expect.poll(() => waiting.textContent(), { timeout: 5_000 }).toBe('0');
    expect(await page.locator('.wall-queue').count()).toBe(1);
    expect(await page.content()).not.toContain('Ada Lovelace');
    // Every status dot has its figure's colour ("longest wait · OK" beside a green number had a grey dot).
    const dots = await page.evaluate(() =>
      Array.from(document.querySelectorAll('.wall .dot')).map((dot) => {
        const holder = dot.closest('.wall-cell, .wall-queue p');
        const figure = holder?.querySelector('.n, b');
        return { text: holder?.textContent?.trim() ?? '', dot: getComputedStyle(dot).color, figure: figure ? getComputedStyle(figure).color : 'no figure' };
      }),
    );
    expect(dots.length).toBe(4); // longest wait and service level in the hero; waiting and service level on the queue
    expect(dots.find((d) => /longest wait/.test(d.text))?.figure).toBe('rgb(74, 222, 128)');
    for (const d of dots) expect(d.dot, d.text).toBe(d.figure);
    await page.close();
  });

  it('had no console errors on any view', () => {
    expect(errors).toEqual([]);
  });

  it('names a queue as the PBX does on the floor and the wallboard: support@default, not Support@Default', async () => {
    // A FreeSWITCH queue id; a CSS text-transform: capitalize once showed it "Support@Default" (found trying issue 19).
    await send([
      { type: 'call.queued', callId: 'fs1', queueId: 'support@default' },
      { type: 'call.abandoned', callId: 'fs1' },
    ]);
    const floor = await open(`/floor?token=${VIEW}`, errors);
    const heading = floor.locator('[data-testid=queue-tile][data-queue="support@default"] h3');
    await heading.waitFor({ timeout: 5_000 });
    // innerText is what is painted (text-transform applied); textContent would not tell.
    expect(await heading.innerText()).toBe('support@default');
    expect(await floor.locator('[data-testid=queue-tile][data-queue=sales] h3').innerText()).toBe('sales');
    await floor.close();
    const wall = await open(`/wall?token=${WALL}`, errors);
    await expect.poll(() => wall.locator('.wall-queue h2').allInnerTexts(), { timeout: 5_000 }).toContain('support@default');
    expect(await wall.locator('.wall-queue h2').allInnerTexts()).toContain('sales');
    await wall.close();
  });

  it('says the server is restarting when it stops gracefully, and clears it on reconnect', async () => {
    const pageErrors: string[] = [];
    const page = await open(`/wall?token=${WALL}`, pageErrors);
    await page.locator('[data-testid=wall-number]').first().waitFor();
    expect(await page.locator('[data-testid=stale-banner]').count()).toBe(0);
    // A graceful stop tells open pages it is restarting (an abrupt loss says "Feed lost since": tests/client/frozen.test.ts).
    await srv.close();
    const banner = page.locator('[data-testid=stale-banner]');
    await banner.waitFor({ timeout: 5_000 });
    expect(await banner.textContent()).toMatch(/The server is restarting \(since \d{1,2}:\d{2}/);
    await start(); // same port, same log
    await banner.waitFor({ state: 'detached', timeout: 15_000 });
    expect(await page.locator('[data-testid=wall-number][data-kpi=waiting] .n').textContent()).toBe('0');
    // The only console noise allowed is the browser reporting the refused connections.
    expect(pageErrors.filter((e) => !/WebSocket|ERR_CONNECTION_REFUSED|Failed to load resource/.test(e))).toEqual([]);
    await page.close();
  }, 40_000);
});
