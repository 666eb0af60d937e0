/**
 * An agent opens their own call (issue 18: agents see their own evidence only) in a real browser against the
 * real server: signed in as an agent, a card to improve on /me opens the call's drill-down with the alert's
 * evidence and the kept segment, its listed word masked; another agent's call is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { AuthStore } from '../../server/auth/store.ts';
import { defaultConfig } from '../../shared/config.ts';
import { buildClient, chromiumPresent, launchChromium, postEvents, signInAt, startServer, watchErrors, type E2eServer } from './helpers.ts';

const hasChromium = chromiumPresent('agent own-call browser tests');
const INGEST = 'e2e-own-ingest';
const config = { ...defaultConfig(), companyNames: ['Acme'] };

let browser: Browser;
let srv: E2eServer;
let n = 0;

async function send(events: Record<string, unknown>[]): Promise<void> {
  await postEvents(srv.base, INGEST, events.map((e) => ({ id: `own-${++n}`, at: Date.now(), ...e })), true);
}

/** A call answered a minute ago by `agentId` whose agent says a listed word (a language breach), then ended. */
function callWithWord(callId: string, agentId: string, name: string): Record<string, unknown>[] {
  const answered = Date.now() - 60_000;
  const say = (speaker: string, startMs: number, endMs: number, text: string) => ({ type: 'call.transcript', callId, speaker, startMs, endMs, text, lang: 'en', final: true, at: answered + endMs });
  return [
    { type: 'call.queued', callId, queueId: 'sales', at: answered - 4_000 },
    { type: 'call.ringing', callId, agentId, at: answered - 3_000 },
    { type: 'call.answered', callId, agentId, ringCount: 1, at: answered },
    say('agent', 500, 2_500, `Hello, this is ${name} from Acme, how can I help?`),
    say('caller', 3_000, 5_000, 'My parcel has not come.'),
    say('agent', 6_000, 8_000, 'Oh damn, let me look at it for you.'),
    { type: 'call.ended', callId, by: 'caller', at: answered + 30_000 },
  ];
}

describe.skipIf(!hasChromium)('an agent’s own call in Chromium', () => {
  const errors: string[] = [];

  beforeAll(async () => {
    buildClient();
    const auth = new AuthStore(':memory:');
    await auth.createUser({ username: 'ann', password: 'agent-password-1', role: 'agent', agentId: '4001' }, Date.now());
    srv = await startServer({ auth, config, ingestTokens: [INGEST], transcripts: 'evidence' });
    browser = await launchChromium();
    await send([
      { type: 'agent.state', agentId: '4001', state: 'available', name: 'Ann Lee', team: 'north', queues: ['sales'] },
      { type: 'agent.state', agentId: '4002', state: 'available', name: 'Bo Berg', team: 'north', queues: ['sales'] },
    ]);
    await send(callWithWord('own-1', '4001', 'Ann'));
    await send(callWithWord('other-1', '4002', 'Bo'));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await srv?.close();
  });

  it('opens their call from a card to improve on /me: the evidence, the word masked; never another agent’s call', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    watchErrors(page, '/me', errors);
    await signInAt(page, `${srv.base}/me?lang=en`, 'ann', 'agent-password-1');
    const card = page.locator('[data-testid=me-breach][data-rule=language]');
    await card.waitFor({ timeout: 10_000 });
    await card.locator('[data-testid=me-open-call]').click();
    const dialog = page.locator('[data-testid=call-detail]');
    await dialog.locator('[data-testid=timeline-item]').first().waitFor({ timeout: 10_000 });
    const text = (await dialog.textContent()) ?? '';
    expect(text).toContain('Improper language');
    expect((await dialog.locator('[data-testid=alert-evidence]').allTextContents()).join(' ')).toContain('Agent 0:06–0:08');
    const seg = dialog.locator('[data-testid=transcript-segment]');
    expect(await seg.count()).toBe(1);
    expect(await seg.first().textContent()).toContain('Oh d\u2022\u2022\u2022, let me look');
    expect(text).not.toContain('damn');
    expect(text).not.toContain('Bo Berg');
    // Another agent's call: refused by the server, whatever is asked with the agent's session.
    const other = await page.request.get(`${srv.base}/api/calls/other-1`);
    expect(other.status()).toBe(404);
    expect(await other.text()).not.toContain('damn');
    expect((await page.request.get(`${srv.base}/api/calls/own-1`)).status()).toBe(200);
    await page.close();
  }, 30_000);

  it('raised no browser errors', () => {
    expect(errors).toEqual([]);
  });
});
