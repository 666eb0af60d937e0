/**
 * Pause limits in a real browser (headless Chromium) against the real server with the built client
 * (issue 15): the floor grid shows each away agent's reason and timer against its limit, amber past
 * the limit and red past it by half, with the words for screen readers; the agent's own page shows
 * the pause against its limit and the time away today.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { AuthStore } from '../../server/auth/store.ts';
import { buildClient, chromiumPresent, launchChromium, postEvents, signInAt, watchErrors, type E2eServer, startServer } from './helpers.ts';

const hasChromium = chromiumPresent('pause limit browser tests');
const INGEST = 'e2e-away-ingest';
const MIN = 60_000;

let browser: Browser;
let srv: E2eServer;
let n = 0;

async function send(events: Record<string, unknown>[]): Promise<void> {
  await postEvents(srv.base, INGEST, events.map((e) => ({ id: `e2e-away-${++n}`, at: Date.now(), ...e })), true);
}

describe.skipIf(!hasChromium)('pause limits in Chromium', () => {
  beforeAll(async () => {
    buildClient();
    const auth = new AuthStore(':memory:');
    const now = Date.now();
    await auth.createUser({ username: 'sue', password: 'supervisor-pass-1', role: 'supervisor' }, now);
    await auth.createUser({ username: 'ann', password: 'agent-password-1', role: 'agent', agentId: '6001' }, now);
    srv = await startServer({ auth, ingestTokens: [INGEST] });
    browser = await launchChromium();
    await send([
      { type: 'agent.state', agentId: '6001', state: 'available', name: 'Ann Agent', queues: ['sales'], at: now - 60 * MIN },
      { type: 'agent.state', agentId: '6002', state: 'available', name: 'Ben Break', queues: ['sales'], at: now - 60 * MIN },
      { type: 'agent.state', agentId: '6003', state: 'available', name: 'Cem Coffee', queues: ['sales'], at: now - 60 * MIN },
      // Ann: a 5-minute break that is over, then lunch for 36 minutes (past 35: a warning).
      { type: 'agent.state', agentId: '6001', state: 'away', reason: 'Break', at: now - 45 * MIN },
      { type: 'agent.state', agentId: '6001', state: 'available', at: now - 40 * MIN },
      { type: 'agent.state', agentId: '6001', state: 'away', reason: 'LUNCH', at: now - 36 * MIN },
      // Ben: a break of 23 minutes (past 22:30: a breach). Cem: 2 minutes of a 15-minute break.
      { type: 'agent.state', agentId: '6002', state: 'away', reason: 'break', at: now - 23 * MIN },
      { type: 'agent.state', agentId: '6003', state: 'away', reason: 'break', at: now - 2 * MIN },
    ]);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await srv?.close();
  });

  it('shows each pause against its limit on the floor grid, coloured at warn and breach, in words for screen readers', async () => {
    const errors: string[] = [];
    const ctx = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const sue = await ctx.newPage();
    watchErrors(sue, 'sue', errors);
    await signInAt(sue, `${srv.base}/floor`, 'sue', 'supervisor-pass-1');
    const timer = (agentId: string) => sue.locator(`[data-testid=agent-row][data-agent="${agentId}"] [data-testid=agent-away-timer]`);
    await timer('6001').waitFor();
    expect(await timer('6001').locator('[aria-hidden=true]').textContent()).toMatch(/^▲ lunch 36:\d\d \/ 35:00$/);
    expect(await timer('6001').getAttribute('class')).toContain('tone-warn');
    expect(await timer('6001').locator('.sr-only').textContent()).toMatch(/^Away for lunch: 36 min \d+ s, over the 35 min 0 s allowed \(warning\)\.$/);
    expect(await timer('6002').locator('[aria-hidden=true]').textContent()).toMatch(/^■ break 23:\d\d \/ 15:00$/);
    expect(await timer('6002').getAttribute('class')).toContain('tone-breach');
    expect(await timer('6003').getAttribute('class')).toContain('tone-ok');
    // The timer ticks in the browser.
    const before = await timer('6003').locator('[aria-hidden=true]').textContent();
    await expect.poll(() => timer('6003').locator('[aria-hidden=true]').textContent(), { timeout: 5_000 }).not.toBe(before);
    expect(errors).toEqual([]);
    await ctx.close();
  });

  it('shows the agent their pause against its limit and their time away today', async () => {
    const errors: string[] = [];
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const ann = await ctx.newPage();
    watchErrors(ann, 'ann', errors);
    await signInAt(ann, `${srv.base}/me`, 'ann', 'agent-password-1');
    const now = ann.locator('[data-testid=me-away-timer]');
    await now.waitFor();
    expect(await now.locator('[aria-hidden=true]').textContent()).toMatch(/lunch 36:\d\d \/ 35:00/);
    const today = ann.locator('[data-testid=me-away-today]');
    expect(await today.textContent()).toMatch(/lunch 36:\d\d \(limit 35:00\)\s*break 5:00 \(limit 15:00\)/);
    expect(errors).toEqual([]);
    await ctx.close();
  });
});
