/**
 * Every face at a phone's, a laptop's, a desktop's and a TV's size, with axe-core and with the keyboard alone,
 * in headless Chromium against the real server and the built client (issue 14: layout, keyboard and assistive
 * technology): no horizontal scroll anywhere, alerts before the grid on a phone, six queues in one row on a
 * laptop; no serious or critical axe violation on any page; a supervisor acknowledges an alert with a note and
 * opens a call without a mouse.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import { AuthStore } from '../../server/auth/store.ts';
import { buildClient, chromiumPresent, launchChromium, postEvents, signInAt, startServer, type E2eServer } from './helpers.ts';

const hasChromium = chromiumPresent('layout, axe and keyboard browser tests');

const INGEST = 'e2e-a11y-ingest';
const QUEUES = ['sales', 'support', 'billing', 'priority', 'retention', 'outbound'];
const SIZES = [
  { width: 390, height: 844 },
  { width: 1280, height: 800 },
  { width: 1920, height: 1080 },
];

let browser: Browser;
let srv: E2eServer;
let auth: AuthStore;
let base = '';
let n = 0;
const errors: string[] = [];

async function send(events: Record<string, unknown>[]): Promise<void> {
  await postEvents(base, INGEST, events.map((e) => ({ id: `a11y-${++n}`, at: Date.now(), ...e })));
}

function watch(page: Page, who: string): void {
  page.on('pageerror', (e) => errors.push(`${who}: ${String(e)}`));
}

async function signIn(ctx: BrowserContext, user: string, password: string, landing: string): Promise<Page> {
  const page = await ctx.newPage();
  watch(page, user);
  return signInAt(page, `${base}${landing}`, user, password);
}

/** A face is drawn once its live figures are on screen. */
async function ready(page: Page, face: string): Promise<void> {
  const sel = face === 'floor' ? '[data-testid=agent-row]' : face === 'wall' ? '[data-kpi=waiting] .n >> text=/\\d/' : 'main.me';
  await page
    .locator(sel)
    .first()
    .waitFor({ timeout: 10_000 })
    .catch((e: unknown) => {
      throw new Error(`${face} at ${page.url()} (${page.viewportSize()?.width} px) never drew ${sel}: ${String(e).slice(0, 200)}`);
    });
  await page.waitForTimeout(300);
}

/** Serious and critical axe violations, one line each with the first offending elements. */
async function axeProblems(page: Page): Promise<string[]> {
  const r = await new AxeBuilder({ page }).analyze();
  return r.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}) ×${v.nodes.length}: ${v.nodes.slice(0, 3).map((x) => x.target.join(' ')).join(' | ')}`);
}

const FACES: [string, string][] = [
  ['floor', '/floor'],
  ['me', '/me?agent=3001'],
  ['wall', '/wall'],
];

describe.skipIf(!hasChromium)('layout, axe and keyboard in Chromium', () => {
  let sup: BrowserContext;

  beforeAll(async () => {
    buildClient();
    auth = new AuthStore(':memory:');
    const now = Date.now();
    await auth.createUser({ username: 'sue', password: 'supervisor-pass-1', role: 'supervisor' }, now);
    await auth.createUser({ username: 'ada', password: 'admin-password-1', role: 'admin' }, now);
    srv = await startServer({ auth, ingestTokens: [INGEST] });
    base = srv.base;
    browser = await launchChromium();
    // Six queues with a call answered in each, two callers still waiting, and two holds without asking (breaches to acknowledge).
    const events: Record<string, unknown>[] = [];
    QUEUES.forEach((q, i) => {
      const agentId = String(3001 + i);
      events.push(
        { type: 'agent.state', agentId, state: 'available', name: ['Ann Tamm', 'Burak Doğan', 'Cara Kask', 'Deniz Demir', 'Eva Koppel', 'Fatma Şahin'][i], team: i % 2 ? 'north' : 'south', queues: [q] },
        { type: 'call.queued', callId: `c${i}`, queueId: q, caller: `+372 555 010${i}` },
        { type: 'call.ringing', callId: `c${i}`, agentId },
        { type: 'call.answered', callId: `c${i}`, agentId, ringCount: 1 },
      );
    });
    events.push(
      { type: 'call.hold', callId: 'c0', askedPermission: false },
      { type: 'call.unhold', callId: 'c0' },
      { type: 'call.hold', callId: 'c1', askedPermission: false },
      { type: 'call.ended', callId: 'c5', by: 'caller', notes: true },
      { type: 'agent.state', agentId: '3006', state: 'available' },
      { type: 'call.queued', callId: 'w1', queueId: 'sales' },
      { type: 'call.queued', callId: 'w2', queueId: 'billing' },
    );
    await send(events);
    sup = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    (await signIn(sup, 'sue', 'supervisor-pass-1', '/floor')).close();
  }, 120_000);

  afterAll(async () => {
    await sup?.close();
    await browser?.close();
    await srv?.close();
    auth?.close();
  });

  it('never scrolls sideways on a phone, a laptop or a desktop, nor the wallboard on a 4K TV', async () => {
    const overflow: string[] = [];
    for (const size of [...SIZES, { width: 3840, height: 2160 }]) {
      const page = await sup.newPage();
      watch(page, `layout ${size.width}`);
      await page.setViewportSize(size);
      for (const [face, url] of size.width === 3840 ? FACES.filter(([f]) => f === 'wall') : FACES) {
        await page.goto(`${base}${url}`);
        await ready(page, face);
        const [scroll, inner] = await page.evaluate(() => [document.documentElement.scrollWidth, innerWidth]);
        if (scroll > inner) overflow.push(`${face} at ${size.width}×${size.height}: ${scroll} px wide in ${inner}`);
      }
      await page.close();
    }
    expect(overflow).toEqual([]);
  }, 60_000);

  it('puts the alerts before the queues and the agents on a phone, shown as cards in one column', async () => {
    const page = await sup.newPage();
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${base}/floor`);
    await ready(page, 'floor');
    const alerts = await page.locator('section.alerts').boundingBox();
    const grid = await page.locator('section.agent-grid').boundingBox();
    expect(alerts && grid && alerts.y + alerts.height <= grid.y).toBe(true);
    // Before the queue tiles too, and in the DOM's order, so the keyboard meets them in the order they are seen.
    const tiles = await page.locator('[data-testid=queue-tile]').first().boundingBox();
    expect(alerts && tiles && alerts.y + alerts.height <= tiles.y).toBe(true);
    expect(await page.evaluate(() => {
      const a = document.querySelector('section.alerts');
      const q = document.querySelector('[data-testid=queue-tile]');
      return !!a && !!q && (a.compareDocumentPosition(q) & Node.DOCUMENT_POSITION_FOLLOWING) !== 0;
    })).toBe(true);
    expect(Math.round(grid?.width ?? 0)).toBeLessThanOrEqual(390);
    // A card holds the name, the state and the call on lines of their own: taller than a desktop row (40 px).
    const row = await page.locator('[data-testid=agent-row]').first().boundingBox();
    expect(row?.height ?? 0).toBeGreaterThan(60);
    await page.close();
  });

  it('fits six queue tiles in one row on a laptop, none cut', async () => {
    const page = await sup.newPage();
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(`${base}/floor`);
    await ready(page, 'floor');
    await expect.poll(() => page.locator('[data-testid=queue-tile]').count(), { timeout: 5_000 }).toBe(6);
    const boxes = await page.locator('[data-testid=queue-tile]').evaluateAll((els) => els.map((e) => ({ top: e.getBoundingClientRect().top, right: e.getBoundingClientRect().right, overflow: e.scrollWidth > e.clientWidth })));
    expect(new Set(boxes.map((b) => Math.round(b.top))).size).toBe(1);
    expect(Math.max(...boxes.map((b) => b.right))).toBeLessThanOrEqual(1280);
    expect(boxes.filter((b) => b.overflow)).toEqual([]);
    // The header's totals and clock share one line with the title.
    const h1 = await page.locator('.topbar h1').boundingBox();
    const clock = await page.locator('.topbar .clock').boundingBox();
    expect(Math.abs((h1?.y ?? 0) + (h1?.height ?? 0) / 2 - ((clock?.y ?? 0) + (clock?.height ?? 0) / 2))).toBeLessThan(12);
    await page.close();
  });

  it('keeps every agent-grid column clear of the next (4 px or more) on a laptop in English, Turkish and Estonian', async () => {
    const page = await sup.newPage();
    await page.setViewportSize({ width: 1280, height: 800 });
    const touching: string[] = [];
    for (const lang of ['en', 'tr', 'et']) {
      await page.goto(`${base}/floor?lang=${lang}`);
      await ready(page, 'floor');
      // Rows, not cards: a laptop has room for every column.
      expect(await page.locator('section.agent-grid').getAttribute('class')).not.toContain('cards');
      touching.push(
        ...(await page.evaluate(() => {
          // The box of a cell's text as drawn: clipped to the cell where the cell clips (an ellipsis).
          const textBox = (el: Element): { l: number; r: number } | null => {
            const range = document.createRange();
            range.selectNodeContents(el);
            const rects = Array.from(range.getClientRects()).filter((x) => x.width > 0);
            if (!rects.length) return null;
            const cell = el.getBoundingClientRect();
            const right = Math.max(...rects.map((x) => x.right));
            return { l: Math.min(...rects.map((x) => x.left)), r: getComputedStyle(el).overflow === 'visible' ? right : Math.min(right, cell.right) };
          };
          const found: string[] = [];
          for (const row of Array.from(document.querySelectorAll('[data-testid=agent-row]')).slice(0, 12)) {
            const cells = Array.from(row.children);
            for (let i = 0; i + 1 < cells.length; i++) {
              const a = textBox(cells[i]);
              const b = textBox(cells[i + 1]);
              if (a && b && b.l - a.r < 4) found.push(`"${cells[i].textContent?.trim()}" ${(b.l - a.r).toFixed(1)} px from "${cells[i + 1].textContent?.trim()}"`);
            }
          }
          return found;
        })).map((x) => `${lang}: ${x}`),
      );
    }
    expect(touching).toEqual([]);
    await page.close();
  });

  it('shows the wallboard with its clock, "–" for no wait and the free-agent count in breach colour when callers wait with nobody free', async () => {
    const page = await sup.newPage();
    await page.setViewportSize({ width: 1920, height: 1080 });
    await page.goto(`${base}/wall`);
    await ready(page, 'wall');
    expect(await page.locator('[data-testid=wall-clock]').textContent()).toMatch(/\d{1,2}[:.]\d{2}/);
    expect(await page.locator('h1').count()).toBe(1);
    // Support has nobody waiting: its longest wait is a dash, not "0:00".
    const idle = page.locator('.wall-queue', { hasText: /support/i }).locator('[data-testid=wall-queue-longest] b');
    expect(await idle.textContent()).toBe('–');
    // Five agents are on calls, Fatma's call ended: one free, two waiting: not a breach.
    expect(await page.locator('[data-kpi=available]').getAttribute('class')).not.toContain('tone-breach');
    await send([{ type: 'agent.state', agentId: '3006', state: 'away', reason: 'lunch' }]);
    await expect.poll(() => page.locator('[data-kpi=available]').getAttribute('class'), { timeout: 5_000 }).toContain('tone-breach');
    // The megaphone on a supervisor's message is an inline SVG, not an emoji a TV may lack.
    expect(await page.locator('.ticker').textContent()).not.toContain('📣');
    await page.close();
  });

  it('has no serious or critical axe violation on any face or page', async () => {
    const problems: string[] = [];
    const admin = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const adminPage = await signIn(admin, 'ada', 'admin-password-1', '/settings');
    for (const size of [SIZES[0], SIZES[1]]) {
      const page = await sup.newPage();
      await page.setViewportSize(size);
      for (const [face, url] of FACES) {
        await page.goto(`${base}${url}`);
        await ready(page, face);
        problems.push(...(await axeProblems(page)).map((p) => `${face} ${size.width}: ${p}`));
      }
      await page.close();
    }
    for (const p of ['/settings', '/users', '/audit']) {
      await adminPage.goto(`${base}${p}`);
      await adminPage.locator('main').first().waitFor();
      await adminPage.waitForTimeout(500);
      problems.push(...(await axeProblems(adminPage)).map((x) => `${p}: ${x}`));
    }
    await admin.close();
    const anon = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const login = await anon.newPage();
    await login.goto(`${base}/floor`);
    await login.locator('[data-testid=login-form]').waitFor();
    problems.push(...(await axeProblems(login)).map((x) => `sign-in: ${x}`));
    await anon.close();
    expect(problems).toEqual([]);
  }, 90_000);

  it('lets a supervisor acknowledge an alert with a note and open a call with the keyboard alone, focus kept in the dialog and given back', async () => {
    const page = await sup.newPage();
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(`${base}/floor`);
    await ready(page, 'floor');
    await page.locator('[data-testid=ack-button]').first().waitFor();
    const focused = () => page.evaluate(() => ({ testid: document.activeElement?.getAttribute('data-testid') ?? '', agent: document.activeElement?.getAttribute('data-agent') ?? '', label: document.activeElement?.getAttribute('aria-label') ?? '' }));
    // Tab from the top of the page to the first Ack button.
    let f = await focused();
    for (let i = 0; i < 120 && f.testid !== 'ack-button'; i++) {
      await page.keyboard.press('Tab');
      f = await focused();
    }
    expect(f.testid).toBe('ack-button');
    // Named after its alert: the rule, whose, when.
    expect(f.label).toMatch(/^Acknowledge: .+, .+, \d{1,2}:\d{2}/);
    const ackedFor = f.label.replace(/^Acknowledge: /, '');
    await page.keyboard.press('Enter');
    await expect.poll(async () => (await focused()).testid, { timeout: 2_000 }).toBe('ack-note');
    await page.keyboard.type('Talked it through');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('[data-testid=alert-acked]', { hasText: 'Talked it through' }).count(), { timeout: 5_000 }).toBe(1);
    expect(ackedFor.length).toBeGreaterThan(0);
    // Focus stays with the alert: its Reopen button once the ack is recorded, never <body>.
    const where = () => page.evaluate(() => ({ testid: document.activeElement?.getAttribute('data-testid') ?? document.activeElement?.tagName ?? '', acked: document.activeElement?.closest('[data-testid=alert-item]')?.querySelector('[data-testid=alert-acked]')?.textContent ?? '' }));
    await expect.poll(async () => (await where()).testid, { timeout: 2_000 }).toBe('reopen-button');
    expect((await where()).acked).toContain('Talked it through');
    // The other alert (acknowledged ones sort after it): Cancel (Tab past the note and Acknowledge) and Escape both give focus back to its Acknowledge button.
    f = await focused();
    for (let i = 0; i < 20 && f.testid !== 'ack-button'; i++) {
      await page.keyboard.press('Shift+Tab');
      f = await focused();
    }
    expect(f.testid).toBe('ack-button');
    const nextLabel = f.label;
    await page.keyboard.press('Enter');
    await expect.poll(async () => (await focused()).testid, { timeout: 2_000 }).toBe('ack-note');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    expect((await focused()).testid).toBe('ack-cancel');
    await page.keyboard.press('Enter');
    await expect.poll(async () => (await focused()).testid, { timeout: 2_000 }).toBe('ack-button');
    expect((await focused()).label).toBe(nextLabel);
    await page.keyboard.press('Enter');
    await expect.poll(async () => (await focused()).testid, { timeout: 2_000 }).toBe('ack-note');
    await page.keyboard.press('Escape');
    await expect.poll(async () => (await focused()).testid, { timeout: 2_000 }).toBe('ack-button');
    expect((await focused()).label).toBe(nextLabel);
    expect(await page.locator('[data-testid=ack-note]').count()).toBe(0);
    // Back up to Ann's row (on a call) with Shift+Tab, and open her call with Enter.
    for (let i = 0; i < 150 && f.agent !== '3001'; i++) {
      await page.keyboard.press('Shift+Tab');
      f = await focused();
    }
    expect(f.agent).toBe('3001');
    await page.keyboard.press('Enter');
    const dialog = page.locator('[data-testid=call-detail]');
    await dialog.waitFor();
    expect(await dialog.getAttribute('aria-modal')).toBe('true');
    await expect.poll(() => dialog.locator('h2').textContent(), { timeout: 5_000 }).toContain('sales');
    expect(await page.evaluate(() => !!document.activeElement?.closest('[data-testid=call-detail]'))).toBe(true);
    for (let i = 0; i < 6; i++) {
      await page.keyboard.press(i % 2 ? 'Shift+Tab' : 'Tab');
      await page.keyboard.press('Tab');
      expect(await page.evaluate(() => !!document.activeElement?.closest('[data-testid=call-detail]'))).toBe(true);
    }
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.count()).toBe(0);
    expect((await focused()).agent).toBe('3001');
    await page.close();
    expect(errors).toEqual([]);
  }, 60_000);
});
