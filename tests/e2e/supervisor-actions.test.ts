/**
 * Supervisor actions in a real browser (headless Chromium) against a real server whose PBX is the
 * fake Asterisk manager (tests/server/fake-ami.ts) over a real AMI link (issue 19): a supervisor
 * opens an agent's actions from the floor's grid, pauses them with a reason after confirming, and
 * the manager receives the QueuePause, whose member event puts the agent away on the floor; listen
 * rings their own extension into ChanSpy; once the manager refuses the permission, the dialog says
 * "actions unavailable" and greys the buttons. The dialog passes axe (serious and critical) and keeps
 * the keyboard inside.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import { AuthStore } from '../../server/auth/store.ts';
import { AmiClient } from '../../server/ami/client.ts';
import { AmiActions } from '../../server/ami/actions.ts';
import { FAKE_SECRET, FAKE_USER, FakeAmi } from '../server/fake-ami.ts';
import { buildClient, chromiumPresent, launchChromium, postEvents, signInAt, watchErrors, type E2eServer, startServer } from './helpers.ts';

const hasChromium = chromiumPresent('supervisor action browser tests');
const INGEST = 'e2e-actions-ingest';

let browser: Browser;
let srv: E2eServer;
let fake: FakeAmi;
let client: AmiClient;
let n = 0;

async function axeSerious(page: Page): Promise<string[]> {
  const r = await new AxeBuilder({ page }).include('[data-testid=agent-actions]').analyze();
  return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}) ×${v.nodes.length}: ${v.nodes.slice(0, 3).map((x) => x.target.join(' ')).join(' | ')}`);
}

async function waitUntil(cond: () => boolean, what: string, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.skipIf(!hasChromium)('supervisor actions in Chromium', () => {
  beforeAll(async () => {
    buildClient();
    fake = await new FakeAmi().listen();
    fake.members = [
      { queue: 'sales', name: 'alice', iface: 'PJSIP/1001', dynamic: true, paused: false },
      { queue: 'sales', name: 'bob', iface: 'PJSIP/1002', dynamic: true, paused: false },
    ];
    const auth = new AuthStore(':memory:');
    const now = Date.now();
    const sue = await auth.createUser({ username: 'sue', password: 'supervisor-pass-1', role: 'supervisor' }, now);
    auth.setExtension(sue.id, '2001');
    // The link is made after the server (its events go to the server's pipeline), as server/main.ts does.
    client = new AmiClient({ host: '127.0.0.1', port: fake.port, username: FAKE_USER, secret: FAKE_SECRET, pingMs: 0, backoffInitialMs: 20, backoffMaxMs: 100, logger: { info() {}, warn() {}, error() {} }, submit: (events) => srv.server.pipeline.submit(events, 'ami') });
    const actions = new AmiActions(client);
    srv = await startServer({ auth, ingestTokens: [INGEST], pbxActions: () => actions });
    client.start();
    await waitUntil(() => srv.server.state().agents.has('bob'), 'the members on the floor');
    // Alice on a live call in sales.
    const at = Date.now();
    await postEvents(srv.base, INGEST, [
      { id: `e2e-act-${++n}`, type: 'call.queued', callId: 'act-c1', queueId: 'sales', at: at - 30_000 },
      { id: `e2e-act-${++n}`, type: 'call.ringing', callId: 'act-c1', agentId: 'alice', at: at - 25_000 },
      { id: `e2e-act-${++n}`, type: 'call.answered', callId: 'act-c1', agentId: 'alice', at: at - 20_000 },
    ], true);
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await client?.stop();
    await srv?.close();
    await fake?.close();
  });

  it('pauses an agent with a reason after confirming, listens to a live call, and greys the actions once the PBX refuses', async () => {
    const errors: string[] = [];
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    watchErrors(page, 'sue', errors);
    await signInAt(page, `${srv.base}/floor`, 'sue', 'supervisor-pass-1');

    const bobRow = page.locator('[data-testid=agent-row][data-agent=bob]');
    await bobRow.waitFor();
    const open = bobRow.locator('[data-testid=agent-actions-open]');
    expect(await open.getAttribute('aria-label')).toBe('Actions for bob');
    await open.click();
    const dialog = page.locator('[data-testid=agent-actions]');
    await dialog.waitFor();
    expect(await axeSerious(page)).toEqual([]);
    // Bob has no live call: listen, whisper and barge are greyed with the reason.
    expect(await dialog.locator('[data-testid=action-listen]').isDisabled()).toBe(true);
    expect(await dialog.textContent()).toContain('Listening needs a live call.');

    await dialog.locator('[data-testid=action-reason]').fill('coaching');
    await dialog.locator('[data-testid=action-pause]').click();
    const confirmBox = dialog.locator('[data-testid=action-confirm]');
    await confirmBox.waitFor();
    expect(await confirmBox.textContent()).toContain('Pause this agent?');
    expect(await confirmBox.textContent()).toContain('coaching');
    // Confirm has the focus; nothing is sent before it is pressed.
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('action-confirm-yes');
    expect(fake.received).toHaveLength(0);
    await page.keyboard.press('Enter');
    await dialog.locator('[data-testid=action-result]').waitFor();
    expect(await dialog.locator('[data-testid=action-result]').textContent()).toBe('Done: Pause.');
    expect(fake.received.map((a) => [a.get('Action'), a.get('Interface'), a.get('Paused'), a.get('Reason')])).toEqual([['QueuePause', 'PJSIP/1002', 'true', 'coaching']]);
    // Asterisk's member event puts bob away on the floor, with the reason.
    await expect.poll(() => bobRow.locator('[data-testid=agent-state]').textContent(), { timeout: 5_000 }).toContain('coaching');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    // Focus goes back to the button that opened the dialog.
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('agent-actions-open');

    // Listen on alice's live call: Originate of sue's extension into ChanSpy, quiet.
    await page.locator('[data-testid=agent-row][data-agent=alice] [data-testid=agent-actions-open]').click();
    await dialog.locator('[data-testid=action-listen]').click();
    await dialog.locator('[data-testid=action-confirm-yes]').click();
    await expect.poll(() => dialog.locator('[data-testid=action-result]').textContent()).toBe('Your phone (2001) is ringing.');
    const originate = fake.received[1];
    expect([originate.get('Action'), originate.get('Channel'), originate.get('Application'), originate.get('Data')]).toEqual(['Originate', 'PJSIP/2001', 'ChanSpy', 'PJSIP/1001-,q']);

    // The manager user loses the permission: one refusal, then the actions are unavailable.
    fake.denied.add('queuepause');
    await dialog.locator('[data-testid=action-unpause]').click();
    await dialog.locator('[data-testid=action-confirm-yes]').click();
    await expect.poll(() => dialog.locator('[data-testid=action-result]').textContent()).toContain('Permission denied');
    await dialog.locator('[data-testid=actions-unavailable]').waitFor();
    expect(await dialog.locator('[data-testid=actions-unavailable]').textContent()).toContain('Actions unavailable');
    for (const k of ['pause', 'unpause', 'remove', 'listen']) expect(await dialog.locator(`[data-testid=action-${k}]`).isDisabled(), k).toBe(true);
    expect(fake.received).toHaveLength(3);
    expect(errors.filter((e) => !e.includes('503'))).toEqual([]);
    await ctx.close();
  }, 60_000);
});
