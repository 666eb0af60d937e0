/**
 * What the browser tests share: Chromium (where it is, the standard launch arguments), the built
 * client, a real server on loopback with a SQLite log in a temp folder, the feed, and the sign-in form.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { chromium, type Browser, type Page, type ViewportSize } from 'playwright-core';
import { createServer, type FloorwatchServer, type ServerOptions } from '../../server/app.ts';
import { openSqliteLog, type SqliteLog } from '../../server/log/sqlite.ts';
import { tempDbFile } from '../server/harness.ts';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const ROOT = path.resolve(__dirname, '../..');
export const DIST = path.join(ROOT, 'dist', 'client');

/** The arguments every browser test launches Chromium with. */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Whether Chromium is there; if not, says which tests are skipped (`what` names them). */
export function chromiumPresent(what: string): boolean {
  const present = fs.existsSync(CHROMIUM);
  if (!present) console.warn(`\n*** SKIPPED: ${what} need Chromium at ${CHROMIUM} (apt-get install chromium); .ci/run installs it ***\n`);
  return present;
}

/** Builds the client into dist/client unless it is built already. */
export function buildClient(): void {
  if (!fs.existsSync(path.join(DIST, 'index.html'))) execFileSync(process.execPath, [path.join(ROOT, 'node_modules/vite/bin/vite.js'), 'build'], { cwd: ROOT, stdio: 'ignore' });
}

export function launchChromium(args: string[] = CHROMIUM_ARGS): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args });
}

export interface E2eServer {
  server: FloorwatchServer;
  log: SqliteLog;
  port: number;
  /** http://127.0.0.1:port */
  base: string;
  /** Closes the server, then its log. */
  close(): Promise<void>;
}

/**
 * A real server serving the built client, quiet, on loopback: its log in `at.dbFile` (a new temp file
 * if not given), on `at.port` (any free port if not given, so a restarted server can take its old one).
 */
export async function startServer(opts: Omit<ServerOptions, 'log' | 'staticDir' | 'logger'>, at: { dbFile?: string; port?: number } = {}): Promise<E2eServer> {
  const log = openSqliteLog({ file: at.dbFile ?? tempDbFile(), synchronous: 'normal' });
  const server = createServer({ log, ...opts, staticDir: DIST, logger: { info() {}, warn() {}, error() {} } });
  const port = await server.listen(at.port ?? 0, '127.0.0.1');
  return {
    server,
    log,
    port,
    base: `http://127.0.0.1:${port}`,
    async close() {
      await server.close();
      await log.close();
    },
  };
}

/**
 * Posts events to the feed with an ingest token. By default any answer but 200 fails; `strict` also
 * fails a 200 whose answer is not ok or rejects any event.
 */
export async function postEvents(base: string, token: string, body: Record<string, unknown>[], strict = false): Promise<void> {
  const res = await fetch(`${base}/api/events`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
  if (strict) {
    const r = (await res.json()) as { ok: boolean; data?: { accepted: number; rejected: unknown[] } };
    if (!r.ok || r.data?.rejected.length) throw new Error(`feed rejected: ${JSON.stringify(r)}`);
  } else if (res.status !== 200) throw new Error(`feed rejected: ${await res.text()}`);
}

/** Fills in the sign-in form once it shows and submits it. */
export async function submitSignIn(page: Page, user: string, password: string): Promise<void> {
  await page.locator('[data-testid=login-form]').waitFor();
  await page.fill('[data-testid=login-user]', user);
  await page.fill('[data-testid=login-password]', password);
  await page.click('[data-testid=login-submit]');
}

/** Opens `url` on a page, signs in there and waits until signed in. */
export async function signInAt(page: Page, url: string, user: string, password: string): Promise<Page> {
  await page.goto(url);
  await submitSignIn(page, user, password);
  await page.locator('[data-testid=nav-user]').waitFor({ timeout: 10_000 });
  return page;
}

/** Records the page's uncaught errors, and its console errors and warnings, in `errors` as `who: …`. */
export function watchErrors(page: Page, who: string, errors: string[]): void {
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') errors.push(`${who}: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`${who}: ${String(e)}`));
}

/** A new page at `viewport` whose errors go to `errors` (named by `p`), opened at `base` + `p`. */
export async function openPage(browser: Browser, base: string, p: string, errors: string[], viewport: ViewportSize): Promise<Page> {
  const page = await browser.newPage({ viewport });
  watchErrors(page, p, errors);
  await page.goto(`${base}${p}`);
  return page;
}
