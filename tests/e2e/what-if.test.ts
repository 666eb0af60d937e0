/**
 * What if in a real browser against the real server with the built client (issue 16): a supervisor
 * runs a what-if on the last 7 days with a later hold warning and sees the hold that would no longer
 * warn, opens its call; an admin applies the candidate through the audited settings change; on a
 * phone nothing scrolls sideways; an agent is sent to their own page. Screenshots land in the
 * system's temp folder for a person to look at.
 */
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { AuthStore } from '../../server/auth/store.ts';
import { buildClient, chromiumPresent, launchChromium, postEvents, signInAt, watchErrors, type E2eServer, startServer } from './helpers.ts';

const hasChromium = chromiumPresent('what-if browser tests');
const INGEST = 'e2e-what-if-ingest';
const SHOTS = path.join(os.tmpdir(), 'floorwatch-e2e-what-if');

let browser: Browser;
let srv: E2eServer;
let n = 0;

describe.skipIf(!hasChromium)('what if in Chromium', () => {
  beforeAll(async () => {
    buildClient();
    fs.mkdirSync(SHOTS, { recursive: true });
    const auth = new AuthStore(':memory:');
    const now = Date.now();
    await auth.createUser({ username: 'sue', password: 'supervisor-pass-1', role: 'supervisor' }, now);
    await auth.createUser({ username: 'ada', password: 'admin-password-1', role: 'admin' }, now);
    await auth.createUser({ username: 'ann', password: 'agent-password-1', role: 'agent', agentId: '5001' }, now);
    srv = await startServer({ auth, ingestTokens: [INGEST] });
    browser = await launchChromium();
    // Ann's two calls twenty minutes ago: holds of 55 s and 100 s (a warning and a breach with the defaults).
    const t0 = now - 20 * 60_000;
    const at = (sec: number) => t0 + sec * 1000;
    const events: Record<string, unknown>[] = [{ type: 'agent.state', agentId: '5001', state: 'available', name: 'Ann Agent', team: 'North', at: at(0) }];
    for (const [i, holdSec] of [55, 100].entries()) {
      const s = 10 + i * 300;
      const callId = `wi-${holdSec}`;
      events.push(
        { type: 'call.queued', callId, queueId: 'sales', caller: `+372 5550 10${i}`, at: at(s) },
        { type: 'call.ringing', callId, agentId: '5001', at: at(s + 2) },
        { type: 'call.answered', callId, agentId: '5001', ringCount: 1, at: at(s + 5) },
        { type: 'call.hold', callId, askedPermission: true, at: at(s + 20) },
        { type: 'call.unhold', callId, at: at(s + 20 + holdSec) },
        { type: 'call.ended', callId, by: 'caller', notes: true, at: at(s + 200) },
      );
    }
    await postEvents(srv.base, INGEST, events.map((e) => ({ id: `e2e-wi-${++n}`, ...e })), true);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await srv?.close();
  });

  it('lets a supervisor run a what-if and open a call that would change; an admin applies it through the settings', async () => {
    const errors: string[] = [];
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const sue = await ctx.newPage();
    watchErrors(sue, 'sue', errors);
    await signInAt(sue, `${srv.base}/what-if`, 'sue', 'supervisor-pass-1');
    await sue.locator('[data-testid=wi-run]').waitFor({ timeout: 20_000 });
    expect(await sue.locator('[data-testid=range-preset]').inputValue()).toBe('last7');
    expect(await sue.locator('[data-testid=wi-rules-holdLongWarnSec]').inputValue()).toBe('45');
    await sue.locator('[data-testid=wi-rules-holdLongWarnSec]').fill('60');
    await sue.locator('[data-testid=wi-run]').click();
    await sue.locator('[data-testid=wi-result]').waitFor({ timeout: 60_000 });
    const row = sue.locator('[data-testid=wi-rule-hold-long] td');
    expect(await row.allTextContents()).toEqual(['1', '0', '−1', '1', '1', '0']);
    expect(await sue.locator('[data-testid=wi-better]').textContent()).toContain('Ann Agent');
    expect(await sue.locator('[data-testid=wi-apply]').count()).toBe(0); // a supervisor does not apply
    await sue.screenshot({ path: path.join(SHOTS, 'what-if-1280.png'), fullPage: true });
    await sue.locator('[data-testid=wi-better] [data-testid=wi-open-call]').first().click();
    await sue.locator('[data-testid=call-detail] .timeline').waitFor();
    expect(await sue.locator('[data-testid=call-detail]').textContent()).toContain('back from hold after 55 s');
    await ctx.close();

    const actx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const ada = await actx.newPage();
    watchErrors(ada, 'ada', errors);
    await signInAt(ada, `${srv.base}/what-if`, 'ada', 'admin-password-1');
    await ada.locator('[data-testid=wi-run]').waitFor({ timeout: 20_000 });
    await ada.locator('[data-testid=wi-rules-holdLongWarnSec]').fill('60');
    await ada.locator('[data-testid=wi-run]').click();
    await ada.locator('[data-testid=wi-apply]').click();
    await ada.locator('[data-testid=wi-confirm]').waitFor();
    await ada.screenshot({ path: path.join(SHOTS, 'what-if-apply-1280.png') });
    await ada.locator('[data-testid=wi-apply-confirm]').click();
    await ada.locator('[data-testid=wi-apply-message].tone-ok').waitFor();
    expect(srv.server.state().config.rules.holdLongWarnSec).toBe(60);
    const audit = await srv.log.listAudit(5);
    expect(audit.find((a) => a.action === 'config.update')?.actor).toBe('ada');
    await actx.close();
    expect(errors).toEqual([]);
  }, 120_000);

  it('fits a phone without scrolling sideways, and sends an agent to their own page', async () => {
    const ctx = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const sue = await ctx.newPage();
    await signInAt(sue, `${srv.base}/what-if?lang=et`, 'sue', 'supervisor-pass-1');
    await sue.locator('[data-testid=wi-run]').click();
    await sue.locator('[data-testid=wi-result]').waitFor({ timeout: 60_000 });
    expect(await sue.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await sue.screenshot({ path: path.join(SHOTS, 'what-if-390-et.png'), fullPage: true });
    await ctx.close();
    const actx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const ann = await actx.newPage();
    await signInAt(ann, `${srv.base}/what-if`, 'ann', 'agent-password-1');
    await ann.waitForURL(/\/me$/);
    await actx.close();
  }, 120_000);
});
