/**
 * The callback worklist in a real browser (headless Chromium) against the real server with the
 * built client (issue 15): a caller who hung up appears on the floor's worklist, a supervisor
 * assigns it to an agent with the keyboard-usable select, the agent sees it with the full number
 * in their own view (another unassigned caller masked), and it leaves both views when the agent's
 * outbound call to that number is sent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import { AuthStore } from '../../server/auth/store.ts';
import { buildClient, chromiumPresent, launchChromium, postEvents, signInAt, watchErrors, type E2eServer, startServer } from './helpers.ts';

const hasChromium = chromiumPresent('callback worklist browser tests');
const INGEST = 'e2e-worklist-ingest';

let browser: Browser;
let srv: E2eServer;
let n = 0;

/** Serious and critical axe violations of a page, one line each. */
async function axeSerious(page: Page): Promise<string[]> {
  const r = await new AxeBuilder({ page }).analyze();
  return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}) ×${v.nodes.length}: ${v.nodes.slice(0, 3).map((x) => x.target.join(' ')).join(' | ')}`);
}

async function send(events: Record<string, unknown>[]): Promise<void> {
  await postEvents(srv.base, INGEST, events.map((e) => ({ id: `e2e-wl-${++n}`, at: Date.now(), ...e })), true);
}
/** A caller from `caller` who waited `waitSec` in `queueId` and hung up just now. */
function abandoned(callId: string, caller: string, waitSec: number, queueId = 'sales'): Record<string, unknown>[] {
  const now = Date.now();
  return [
    { type: 'call.queued', callId, queueId, caller, at: now - waitSec * 1000 },
    { type: 'call.abandoned', callId, at: now },
  ];
}

describe.skipIf(!hasChromium)('callback worklist in Chromium', () => {
  beforeAll(async () => {
    buildClient();
    const auth = new AuthStore(':memory:');
    const now = Date.now();
    await auth.createUser({ username: 'sue', password: 'supervisor-pass-1', role: 'supervisor' }, now);
    await auth.createUser({ username: 'ann', password: 'agent-password-1', role: 'agent', agentId: '5001' }, now);
    srv = await startServer({ auth, ingestTokens: [INGEST] });
    browser = await launchChromium();
    await send([
      { type: 'agent.state', agentId: '5001', state: 'available', name: 'Ann Agent', queues: ['sales'] },
      { type: 'agent.state', agentId: '5002', state: 'available', name: 'Ben Other', queues: ['sales'] },
    ]);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await srv?.close();
  });

  it('shows an abandoned caller on the worklist, assigns it to an agent who sees it, and drops it when the agent calls back', async () => {
    const errors: string[] = [];
    const supCtx = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const sue = await supCtx.newPage();
    watchErrors(sue, 'sue', errors);
    await signInAt(sue, `${srv.base}/floor`, 'sue', 'supervisor-pass-1');
    const agentCtx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const ann = await agentCtx.newPage();
    watchErrors(ann, 'ann', errors);
    await signInAt(ann, `${srv.base}/me`, 'ann', 'agent-password-1');

    await send([...abandoned('wl-e1', '+372 5550 1234', 45), ...abandoned('wl-e2', '+372 5550 9876', 30), ...abandoned('wl-short', '+372 5550 0000', 2)]);
    const rows = sue.locator('[data-testid=worklist-item]');
    await expect.poll(() => rows.count(), { timeout: 5_000 }).toBe(2); // the 2 s hang-up is a short abandon: no callback
    const row = sue.locator('[data-testid=worklist-item][data-item="wl:wl-e1"]');
    await expect.poll(() => row.textContent()).toContain('+372 5550 1234');
    expect(await row.textContent()).toContain('sales');
    expect(await row.textContent()).toContain('0:45'); // waited 45 s before hanging up

    // The agent sees both callers masked while neither is theirs.
    const mine = ann.locator('[data-testid=me-worklist-item]');
    await expect.poll(() => mine.allTextContents(), { timeout: 5_000 }).toEqual([expect.stringContaining('•••• 1234'), expect.stringContaining('•••• 9876')]);
    expect(await ann.content()).not.toContain('5550 1234');

    // Assign with the keyboard: focus the row's select (named for screen readers), pick Ann, confirm.
    const select = sue.getByRole('combobox', { name: 'Assign the call back to +372 5550 1234 to' });
    await select.focus();
    await select.selectOption('5001');
    await expect.poll(() => select.inputValue(), { timeout: 5_000 }).toBe('5001');

    // Ann's own view now has the full number; the other caller stays masked.
    await expect.poll(() => ann.locator('[data-testid=me-worklist-item][data-item="wl:wl-e1"]').textContent(), { timeout: 5_000 }).toContain('+372 5550 1234');
    expect(await ann.locator('[data-testid=me-worklist-item][data-item="wl:wl-e2"]').textContent()).toContain('•••• 9876');
    // Her own lead the list; callers not assigned to anyone wait folded behind their count.
    expect(await ann.locator('[data-testid=me-worklist] [data-item="wl:wl-e1"]').isVisible()).toBe(true);
    expect(await ann.locator('[data-testid=me-worklist-unassigned] summary').textContent()).toBe('Not assigned to anyone yet (1)');
    expect(await ann.locator('[data-item="wl:wl-e2"]').isVisible()).toBe(false);
    // The panel with its rows and the agent's list pass axe (no serious or critical violation).
    expect(await axeSerious(sue)).toEqual([]);
    expect(await axeSerious(ann)).toEqual([]);

    // Ann calls the caller back: the item leaves the floor's worklist and her view, and is listed as called back today.
    await send([{ type: 'call.outbound', callId: 'wl-out-1', to: '+37255501234', agentId: '5001', answered: true }]);
    await expect.poll(() => rows.count(), { timeout: 5_000 }).toBe(1);
    await expect.poll(() => ann.locator('[data-testid=me-worklist-item][data-item="wl:wl-e1"]').count(), { timeout: 5_000 }).toBe(0);
    await sue.locator('.wl-closed summary').click();
    expect(await sue.locator('[data-testid=worklist-closed]').first().textContent()).toContain('reached');
    expect(errors).toEqual([]);
    await supCtx.close();
    await agentCtx.close();
  }, 60_000);

  it('shows each caller as a card with the assign select in view on a phone (390 px), nothing scrolling sideways', async () => {
    const ctx = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const sue = await ctx.newPage();
    const errors: string[] = [];
    watchErrors(sue, 'sue', errors);
    await signInAt(sue, `${srv.base}/floor`, 'sue', 'supervisor-pass-1');
    await send(abandoned('wl-phone', '+372 5550 4321', 40, 'support-callbacks-long-queue-name'));
    const item = sue.locator('[data-testid=worklist-item][data-item="wl:wl-phone"]');
    await expect.poll(() => item.count(), { timeout: 5_000 }).toBe(1);
    const select = sue.locator('[data-testid=worklist-item] [data-testid=worklist-assign]').first();
    // Bring the card's start into view as a reader would (the select itself may not move a scroller for them).
    await item.evaluate((tr) => tr.scrollIntoView({ block: 'center', inline: 'start' }));
    const box = await select.boundingBox();
    expect(box).not.toBeNull();
    expect(box!.x).toBeGreaterThanOrEqual(0);
    expect(box!.x + box!.width).toBeLessThanOrEqual(390);
    // Each line is labelled on the card (the column headers are off screen).
    expect(await item.locator('td:has(select)').evaluate((td) => getComputedStyle(td, '::before').content)).toBe('"Assigned to"');
    // No element of the page scrolls sideways, and the page itself is no wider than the screen.
    const sideways = await sue.evaluate(() => {
      const out: string[] = [];
      for (const el of Array.from(document.querySelectorAll<HTMLElement>('body *'))) {
        const ox = getComputedStyle(el).overflowX;
        if ((ox === 'auto' || ox === 'scroll') && el.scrollWidth > el.clientWidth + 1) out.push(`${el.tagName.toLowerCase()}.${el.className} ${el.scrollWidth}>${el.clientWidth}`);
      }
      if (document.documentElement.scrollWidth > innerWidth) out.push(`page ${document.documentElement.scrollWidth}>${innerWidth}`);
      return out;
    });
    expect(sideways).toEqual([]);
    expect(errors).toEqual([]);
    await ctx.close();
  }, 60_000);
});
