/**
 * The three faces in a real browser (headless Chromium) against the real
 * server with the built client and a scripted feed.
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
if (!hasChromium) console.warn(`\n*** SKIPPED: end-to-end browser tests need Chromium at ${CHROMIUM} (apt-get install chromium); .ci/run installs it ***\n`);

const ROOT = path.resolve(__dirname, '../..');
const DIST = path.join(ROOT, 'dist', 'client');
const INGEST = 'e2e-ingest';
const VIEW = 'e2e-view';
const WALL = 'e2e-wall';

// A 1 s ring cadence so ring 3 and ring 4 arrive within seconds.
const config = { ...defaultConfig(), rules: { ...defaultConfig().rules, ringCadenceSec: 1 } };

let browser: Browser;
let server: FloorwatchServer;
let log: SqliteLog;
let port = 0;
let dbFile = '';
let n = 0;

async function start(): Promise<void> {
  log = openSqliteLog({ file: dbFile, synchronous: 'normal' });
  server = createServer({ log, auth: new AuthStore(':memory:'), config, ingestTokens: [INGEST], viewTokens: [VIEW], wallboardTokens: [WALL], staticDir: DIST, logger: { info() {}, warn() {}, error() {} } });
  port = await server.listen(port, '127.0.0.1');
}

async function send(events: Record<string, unknown>[]): Promise<void> {
  const body = events.map((e) => ({ id: `e2e-${++n}`, at: Date.now(), ...e }));
  const res = await fetch(`http://127.0.0.1:${port}/api/events`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${INGEST}` }, body: JSON.stringify(body) });
  const r = (await res.json()) as { ok: boolean; data?: { accepted: number; rejected: unknown[] } };
  if (!r.ok || r.data?.rejected.length) throw new Error(`feed rejected: ${JSON.stringify(r)}`);
}

async function open(p: string, errors: string[]): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') errors.push(`${p}: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`${p}: ${String(e)}`));
  await page.goto(`http://127.0.0.1:${port}${p}`);
  return page;
}

describe.skipIf(!hasChromium)('views in Chromium', () => {
  const errors: string[] = [];

  beforeAll(async () => {
    if (!fs.existsSync(path.join(DIST, 'index.html'))) execFileSync(process.execPath, [path.join(ROOT, 'node_modules/vite/bin/vite.js'), 'build'], { cwd: ROOT, stdio: 'ignore' });
    dbFile = tempDbFile();
    await start();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
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
    await server?.close();
    await log?.close();
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
    await page.close();
  });

  it('had no console errors on any view', () => {
    expect(errors).toEqual([]);
  });

  it('shows "feed lost since" when the server goes away and clears it on reconnect', async () => {
    const pageErrors: string[] = [];
    const page = await open(`/wall?token=${WALL}`, pageErrors);
    await page.locator('[data-testid=wall-number]').first().waitFor();
    expect(await page.locator('[data-testid=stale-banner]').count()).toBe(0);
    await server.close();
    await log.close();
    const banner = page.locator('[data-testid=stale-banner]');
    await banner.waitFor({ timeout: 5_000 });
    expect(await banner.textContent()).toMatch(/Feed lost since \d{1,2}:\d{2}/);
    await start(); // same port, same log
    await banner.waitFor({ state: 'detached', timeout: 15_000 });
    expect(await page.locator('[data-testid=wall-number][data-kpi=waiting] .n').textContent()).toBe('0');
    // The only console noise allowed is the browser reporting the refused connections.
    expect(pageErrors.filter((e) => !/WebSocket|ERR_CONNECTION_REFUSED|Failed to load resource/.test(e))).toEqual([]);
    await page.close();
  }, 40_000);
});
