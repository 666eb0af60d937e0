/**
 * Range reports and scorecards in a real browser against the real server with the built client (issue 16):
 * a supervisor opens the 7-day report, reads its totals, exports the XLSX workbook (read back with the
 * same library the server writes it with), and opens an agent's scorecard and its worst call; an agent
 * sees their own scorecard and no picker; on a phone nothing scrolls sideways. Screenshots land in the
 * system's temp folder for a person to look at.
 */
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import ExcelJS from 'exceljs';
import { AuthStore } from '../../server/auth/store.ts';
import { buildClient, chromiumPresent, launchChromium, postEvents, signInAt, watchErrors, type E2eServer, startServer } from './helpers.ts';

const hasChromium = chromiumPresent('range report browser tests');
const INGEST = 'e2e-reports-ingest';
const SHOTS = path.join(os.tmpdir(), 'floorwatch-e2e-reports');

let browser: Browser;
let srv: E2eServer;
let n = 0;

async function send(events: Record<string, unknown>[]): Promise<void> {
  await postEvents(srv.base, INGEST, events.map((e) => ({ id: `e2e-rp-${++n}`, ...e })), true);
}

/** Serious and critical axe violations of a page, one line each. */
async function axeSerious(page: Page): Promise<string[]> {
  const r = await new AxeBuilder({ page }).analyze();
  return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}) ×${v.nodes.length}: ${v.nodes.slice(0, 3).map((x) => x.target.join(' ')).join(' | ')}`);
}

describe.skipIf(!hasChromium)('range reports in Chromium', () => {
  beforeAll(async () => {
    buildClient();
    fs.mkdirSync(SHOTS, { recursive: true });
    const auth = new AuthStore(':memory:');
    const now = Date.now();
    await auth.createUser({ username: 'sue', password: 'supervisor-pass-1', role: 'supervisor' }, now);
    await auth.createUser({ username: 'ann', password: 'agent-password-1', role: 'agent', agentId: '5001' }, now);
    srv = await startServer({ auth, ingestTokens: [INGEST] });
    browser = await launchChromium();
    // Two answered calls by Ann (one put on hold without asking: a breach), one caller who hung up.
    const t0 = now - 20 * 60_000;
    const at = (sec: number) => t0 + sec * 1000;
    await send([
      { type: 'agent.state', agentId: '5001', state: 'available', name: 'Ann Agent', team: 'North', at: at(0) },
      { type: 'call.queued', callId: 'rp-1', queueId: 'sales', caller: '+372 5550 1001', at: at(10) },
      { type: 'call.ringing', callId: 'rp-1', agentId: '5001', at: at(12) },
      { type: 'call.answered', callId: 'rp-1', agentId: '5001', ringCount: 1, at: at(15) },
      { type: 'call.hold', callId: 'rp-1', askedPermission: false, at: at(60) },
      { type: 'call.unhold', callId: 'rp-1', at: at(80) },
      { type: 'call.ended', callId: 'rp-1', by: 'caller', notes: true, at: at(200) },
      { type: 'call.queued', callId: 'rp-2', queueId: 'sales', caller: '+372 5550 1002', at: at(300) },
      { type: 'call.ringing', callId: 'rp-2', agentId: '5001', at: at(302) },
      { type: 'call.answered', callId: 'rp-2', agentId: '5001', ringCount: 1, at: at(305) },
      { type: 'call.ended', callId: 'rp-2', by: 'agent', notes: true, at: at(400) },
      { type: 'call.queued', callId: 'rp-3', queueId: 'sales', caller: '+372 5550 1003', at: at(500) },
      { type: 'call.abandoned', callId: 'rp-3', at: at(560) },
    ]);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await srv?.close();
  });

  it('opens the 7-day report with its totals, exports the XLSX workbook, and opens a scorecard and its worst call', async () => {
    const errors: string[] = [];
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    const sue = await ctx.newPage();
    watchErrors(sue, 'sue', errors);
    await signInAt(sue, `${srv.base}/reports`, 'sue', 'supervisor-pass-1');
    await sue.locator('[data-testid=report-totals]').waitFor({ timeout: 20_000 });
    expect(await sue.locator('[data-testid=range-preset]').inputValue()).toBe('last7');
    expect(await sue.locator('[data-testid=range-words]').textContent()).toContain('7 days');
    expect(new URL(sue.url()).searchParams.get('group')).toBe('day');
    expect(await sue.locator('[data-testid=total-offered] dd').textContent()).toBe('3');
    expect(await sue.locator('[data-testid=total-answered] dd').textContent()).toBe('2');
    expect(await sue.locator('[data-testid=total-breaches] dd').textContent()).toMatch(/^1 /);
    await sue.screenshot({ path: path.join(SHOTS, 'reports-1280.png'), fullPage: true });
    expect(await axeSerious(sue)).toEqual([]);

    // The XLSX link carries the report's query; the workbook has one sheet per table.
    const href = await sue.locator('[data-testid=export-xlsx]').getAttribute('href');
    expect(href).toBe(`/api/reports/export.xlsx?${new URL(sue.url()).search.slice(1).replace(/&?lang=[a-z]+/, '')}`);
    const [download] = await Promise.all([sue.waitForEvent('download'), sue.click('[data-testid=export-xlsx]')]);
    const file = path.join(SHOTS, 'report.xlsx');
    await download.saveAs(file);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(file);
    expect(wb.worksheets.length).toBe(4);
    const cells = wb.worksheets.flatMap((ws) => ws.getSheetValues().flat().map(String));
    expect(cells).toContain('Ann Agent');

    // The agent's row links to their scorecard over the same range; the worst call opens its drill-down.
    await sue.click('[data-testid=table-agents] a:text("Ann Agent")');
    await sue.locator('[data-testid=sc-worst-call] button').waitFor({ timeout: 20_000 });
    expect(new URL(sue.url()).searchParams.get('agent')).toBe('5001');
    await sue.click('[data-testid=sc-worst-call] button');
    await sue.locator('[data-testid=call-detail] [data-testid=timeline-item]').first().waitFor({ timeout: 10_000 });
    expect(await sue.locator('[data-testid=call-detail]').textContent()).toContain('+372 5550 1001');
    await sue.screenshot({ path: path.join(SHOTS, 'scorecard-drilldown-1280.png') });
    await sue.keyboard.press('Escape');
    await sue.locator('[data-testid=call-detail]').waitFor({ state: 'detached' });
    expect(errors).toEqual([]);
    await ctx.close();
  }, 90_000);

  it('on a phone, in Estonian, never scrolls the page sideways', async () => {
    const ctx = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const page = await ctx.newPage();
    await signInAt(page, `${srv.base}/reports?lang=et`, 'sue', 'supervisor-pass-1');
    await page.locator('[data-testid=report-totals]').waitFor({ timeout: 20_000 });
    expect(await page.locator('h1').textContent()).toBe('Aruanded');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: path.join(SHOTS, 'reports-390-et.png'), fullPage: true });
    await page.goto(`${srv.base}/scorecard?agent=5001&lang=et`);
    await page.locator('[data-testid=sc-worst]').waitFor({ timeout: 20_000 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: path.join(SHOTS, 'scorecard-390-et.png'), fullPage: true });
    await ctx.close();
  }, 60_000);

  it('shows an agent their own scorecard with no picker, and sends them from /reports to their day', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const ann = await ctx.newPage();
    await signInAt(ann, `${srv.base}/me`, 'ann', 'agent-password-1');
    await ann.click('[data-testid=me-scorecard]');
    await ann.locator('[data-testid=sc-worst]').waitFor({ timeout: 20_000 });
    expect(await ann.locator('[data-testid=sc-picker]').count()).toBe(0);
    expect(await ann.locator('[data-testid=sc-heading]').textContent()).toContain('Ann Agent');
    expect(await ann.locator('[data-testid=sc-per100] .v').textContent()).toBe('50');
    await ann.goto(`${srv.base}/reports`);
    await ann.waitForURL(/\/me/);
    await ctx.close();
  }, 60_000);
});
