/**
 * No English on a Turkish or Estonian screen: every face and page (sign-in,
 * floor, agent view, wallboard, settings, users, audit, account, the agent
 * picker, and a first-run floor in demo mode) rendered in headless Chromium in
 * tr and et, its visible text (document.body.innerText) split into words, and
 * any word that the English catalogue uses but the target catalogue does not
 * reported with the line it sits on. The word lists are built from the
 * catalogues at test time; names, ids and numbers from the feed are left out.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { AuthStore } from '../../server/auth/store.ts';
import { buildClient, chromiumPresent, launchChromium, postEvents, startServer, submitSignIn, type E2eServer } from './helpers.ts';
import { en } from '../../client/src/i18n/en.ts';
import { tr } from '../../client/src/i18n/tr.ts';
import { et } from '../../client/src/i18n/et.ts';

const hasChromium = chromiumPresent('i18n browser tests');

const INGEST = 'e2e-words-ingest';
const ADMIN = { user: 'kerttu', password: 'admin-password-1' };

/** Every string of a catalogue, nested objects flattened. */
function strings(o: unknown): string[] {
  if (typeof o === 'string') return [o];
  if (o && typeof o === 'object') return Object.values(o).flatMap(strings);
  return [];
}

/**
 * The words of a text, lower-cased: letters only (numbers, times and signs are no language),
 * placeholders `{n}` and dotted ids (`alert.acknowledge`, `/api/events`) left out.
 */
function words(text: string): string[] {
  const clean = text.replace(/\{[^}]*\}/g, ' ').replace(/\S*[\p{L}\d][._/=?][\p{L}\d]\S*/gu, ' ');
  return (clean.match(/\p{L}+/gu) ?? []).map((w) => w.toLowerCase()).filter((w) => w.length >= 2);
}

/**
 * What `Intl` writes in a language (month and weekday names, long and short): the pages format
 * dates with it, so those words are that language's even where one looks English ("Per", Thursday in Turkish).
 */
function intlWords(locale: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < 12; i++) {
    const d = new Date(Date.UTC(2026, i, 1 + i, 12));
    for (const o of [{ month: 'long' }, { month: 'short' }, { weekday: 'long' }, { weekday: 'short' }] as Intl.DateTimeFormatOptions[]) out.push(new Intl.DateTimeFormat(locale, { ...o, timeZone: 'UTC' }).format(d));
  }
  return out.flatMap(words);
}

const vocabulary = (cat: unknown, locale = 'en') => new Set([...strings(cat).flatMap(words), ...(locale === 'en' ? [] : intlWords(locale))]);
const EN = vocabulary(en);

// The feed's and the accounts' own names and ids are not words of any language.
const FEED_NAMES = ['Mari Tamm', 'Ahmet Yılmaz', 'põhi', 'güney', 'müşteri', 'kerttu', 'Floorwatch'];
const NAMES = new Set(FEED_NAMES.flatMap(words));

/** English words on the screen that the target language's catalogue never uses (those it shares, like "SL", are allowed). */
function leaks(text: string, target: Set<string>): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const bad = [...new Set(words(line))].filter((w) => EN.has(w) && !target.has(w) && !NAMES.has(w));
    if (bad.length) out.push(`${bad.join(', ')}  ←  “${line.trim().slice(0, 140)}”`);
  }
  return out;
}

let browser: Browser;
let srv: E2eServer;
let demo: E2eServer;
let base = '';
let demoBase = '';
let n = 0;
const errors: string[] = [];

async function send(events: Record<string, unknown>[]): Promise<void> {
  await postEvents(base, INGEST, events.map((e) => ({ id: `w-${++n}`, at: Date.now() - 60_000 + n * 100, ...e })));
}

async function newPage(ctx: BrowserContext): Promise<Page> {
  const page = await ctx.newPage();
  page.on('pageerror', (e) => errors.push(String(e)));
  return page;
}

/** Opens a page, waits for what shows it is drawn, and returns its visible text. */
async function visibleText(page: Page, url: string, ready: string): Promise<string> {
  await page.goto(url);
  try {
    await page.locator(ready).first().waitFor({ timeout: 10_000 });
  } catch (err) {
    throw new Error(`${url}: ${ready} never showed; the page said: ${(await page.evaluate(() => document.body.innerText)).slice(0, 400)}`, { cause: err });
  }
  // Live figures and lazy parts settle within a moment.
  await page.waitForTimeout(300);
  return page.evaluate(() => document.body.innerText);
}

const PAGES: { name: string; path: string; ready: string }[] = [
  { name: 'floor', path: '/floor', ready: '[data-testid=agent-row]' },
  { name: 'agent view', path: '/me?agent=4001', ready: '[data-testid=me-breach]' },
  { name: 'agent picker', path: '/me', ready: '[data-testid=empty-pick-agent]' },
  { name: 'wallboard', path: '/wall', ready: '[data-testid=wall-number]' },
  { name: 'settings', path: '/settings', ready: '[data-testid=settings-save]' },
  { name: 'users', path: '/users', ready: '[data-testid=user-row]' },
  { name: 'audit', path: '/audit', ready: '[data-testid=audit-row]' },
  { name: 'account', path: '/account', ready: '[data-testid=password-form]' },
  { name: 'reports', path: '/reports', ready: '[data-testid=report-totals]' },
  { name: 'scorecard', path: '/scorecard?agent=4001', ready: '[data-testid=sc-worst]' },
];

describe.skipIf(!hasChromium)('Turkish and Estonian screens show no English', () => {
  beforeAll(async () => {
    buildClient();
    const auth = new AuthStore(':memory:');
    await auth.createUser({ username: ADMIN.user, password: ADMIN.password, role: 'admin' }, Date.now());
    srv = await startServer({ auth, ingestTokens: [INGEST] });
    base = srv.base;
    // A second floor in demo mode with nothing on it: the first run, under the demo banner.
    demo = await startServer({ auth: new AuthStore(':memory:'), ingestTokens: [], demo: true });
    demoBase = demo.base;
    browser = await launchChromium();
    await send([
      { type: 'agent.state', agentId: '4001', state: 'available', name: 'Mari Tamm', team: 'põhi', queues: ['müşteri'] },
      { type: 'agent.state', agentId: '4002', state: 'available', name: 'Ahmet Yılmaz', team: 'güney', queues: ['müşteri'] },
      { type: 'call.queued', callId: 'w1', queueId: 'müşteri' },
      { type: 'call.ringing', callId: 'w1', agentId: '4001' },
      { type: 'call.answered', callId: 'w1', agentId: '4001', ringCount: 2 },
      { type: 'call.ended', callId: 'w1', notes: true },
      { type: 'call.queued', callId: 'w2', queueId: 'müşteri' },
      { type: 'call.ringing', callId: 'w2', agentId: '4001' },
      { type: 'call.answered', callId: 'w2', agentId: '4001', ringCount: 5 },
      { type: 'call.hold', callId: 'w2', askedPermission: false },
      { type: 'call.queued', callId: 'w3', queueId: 'müşteri' },
      { type: 'call.ringing', callId: 'w3', agentId: '4002' },
      { type: 'call.answered', callId: 'w3', agentId: '4002', ringCount: 1 },
      { type: 'call.queued', callId: 'w4', queueId: 'müşteri' },
    ]);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await srv?.close();
    await demo?.close();
  });

  it('builds its word lists from the catalogues', () => {
    // The check means something only if the lists do: English has its words, and the targets differ from it.
    expect(EN.has('waiting')).toBe(true);
    expect(vocabulary(tr, 'tr').has('waiting')).toBe(false);
    expect(vocabulary(tr, 'tr').has('per')).toBe(true); // Perşembe, short
    expect(vocabulary(et, 'et').has('waiting')).toBe(false);
    expect(leaks('3 callers waiting', vocabulary(et, 'et'))).toHaveLength(1);
    expect(leaks('Mari Tamm 4001 dBFS', vocabulary(et, 'et'))).toEqual([]);
  });

  for (const [lang, cat] of [['tr', tr], ['et', et]] as const) {
    it(`shows no English word on any page in ${lang}`, async () => {
      const target = vocabulary(cat, lang);
      const found: string[] = [];
      const anon = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const signIn = await newPage(anon);
      found.push(...leaks(await visibleText(signIn, `${base}/login?lang=${lang}`, '[data-testid=login-form]'), target).map((l) => `sign-in: ${l}`));
      await submitSignIn(signIn, ADMIN.user, ADMIN.password);
      await signIn.locator('[data-testid=nav-user]').waitFor({ timeout: 10_000 });
      // An acknowledgement, so the audit trail has a line to show.
      await signIn.evaluate(async () => {
        const r = (await (await fetch('/api/alerts')).json()) as { data: { id: string }[] };
        await fetch(`/api/alerts/${encodeURIComponent(r.data[0].id)}/ack`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ note: 'x' }) });
      });
      for (const p of PAGES) {
        const page = await newPage(anon);
        const sep = p.path.includes('?') ? '&' : '?';
        found.push(...leaks(await visibleText(page, `${base}${p.path}${sep}lang=${lang}`, p.ready), target).map((l) => `${p.name}: ${l}`));
        await page.close();
      }
      const visitor = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const first = await newPage(visitor);
      found.push(...leaks(await visibleText(first, `${demoBase}/floor?lang=${lang}`, '[data-testid=empty-first-run]'), target).map((l) => `first-run floor (demo): ${l}`));
      expect(await first.locator('[data-testid=demo-banner]').count()).toBe(1);
      await anon.close();
      await visitor.close();
      expect(found, `English words on ${lang} screens:\n${found.join('\n')}`).toEqual([]);
    }, 90_000);
  }

  it('raised no page errors', () => {
    expect(errors).toEqual([]);
  });
});
