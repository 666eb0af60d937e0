/**
 * Sign-in that resists guessing without letting a stranger lock a real user out
 * (issue 13 §4): attempts counted before the password check, per address and per
 * account, growing delays, X-Forwarded-For only from a trusted proxy, a known
 * device keeps its user in, unknown names take as long as known ones.
 */
import { describe, expect, it } from 'vitest';
import { ACCOUNT_RULE, ADDRESS_RULE, BackoffStore, DEVICE_COOKIE } from '../../server/auth/throttle.ts';
import { readOptions } from '../../server/main.ts';
import type { Harness } from './harness.ts';
import { edgeServers } from './edge-server.ts';

const servers = edgeServers();

interface Answer {
  status: number;
  retryAfterSec: number | undefined;
  error: string | undefined;
  cookies: string[];
}

async function login(h: Harness, username: string, password: string, o: { from?: string; cookie?: string } = {}): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (o.from) headers['x-forwarded-for'] = o.from;
  if (o.cookie) headers.cookie = o.cookie;
  const res = await fetch(`${h.url}/api/login`, { method: 'POST', headers, body: JSON.stringify({ username, password }) });
  const body = (await res.json()) as { error?: string };
  const ra = res.headers.get('retry-after');
  return { status: res.status, retryAfterSec: ra === null ? undefined : Number(ra), error: body.error, cookies: res.headers.getSetCookie() };
}

/** Counts the password checks that actually run (scrypt verifications). */
function countChecks(h: Harness): { readonly n: number } {
  const counter = { n: 0 };
  const original = h.auth.checkPassword.bind(h.auth);
  h.auth.checkPassword = (u, p) => {
    counter.n++;
    return original(u, p);
  };
  return counter;
}

async function withUsers(h: Harness): Promise<Harness> {
  await h.auth.createUser({ username: 'sue', password: 'supervisor-pass-1', role: 'supervisor' }, h.clock.now());
  await h.auth.createUser({ username: 'admin', password: 'admin-password-1', role: 'admin' }, h.clock.now());
  return h;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

describe('sign-in throttling', () => {
  it('lets at most the account limit of 100 parallel wrong guesses reach the password check, and then not even the right password', async () => {
    const h = await withUsers(await servers.start());
    const checks = countChecks(h);
    const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => login(h, 'sue', `wrong-guess-${i}`)));
    expect(checks.n).toBeLessThanOrEqual(ACCOUNT_RULE.limit);
    expect(answers.filter((a) => a.status === 401)).toHaveLength(checks.n);
    const refused = answers.filter((a) => a.status === 429);
    expect(refused).toHaveLength(100 - checks.n);
    for (const a of refused) {
      expect(a.retryAfterSec).toBeGreaterThanOrEqual(1);
      expect(a.error).toMatch(/too many failed sign-ins/);
    }
    const right = await login(h, 'sue', 'supervisor-pass-1');
    expect(right.status).toBe(429);
    expect(checks.n).toBeLessThanOrEqual(ACCOUNT_RULE.limit);
  });

  it('lets at most the address limit of 100 parallel guesses at 100 names reach the password check', async () => {
    const h = await withUsers(await servers.start());
    const checks = countChecks(h);
    const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => login(h, i === 0 ? 'sue' : `name-${i}`, `wrong-guess-${i}`)));
    expect(checks.n).toBeLessThanOrEqual(ADDRESS_RULE.limit);
    expect(answers.filter((a) => a.status === 200)).toHaveLength(0);
    expect(answers.filter((a) => a.status === 429)).toHaveLength(100 - checks.n);
    // The right password from the blocked address, for an account nobody guessed at: still refused, unchecked.
    expect((await login(h, 'admin', 'admin-password-1')).status).toBe(429);
    expect(checks.n).toBeLessThanOrEqual(ADDRESS_RULE.limit);
  });

  it('doubles the delay after each failure past a block, and lets the right password in once it has passed', async () => {
    const h = await withUsers(await servers.start());
    for (let i = 0; i < ACCOUNT_RULE.limit; i++) expect((await login(h, 'sue', `wrong-${i}`)).status).toBe(401);
    const first = await login(h, 'sue', 'supervisor-pass-1');
    expect(first.status).toBe(429);
    expect(first.retryAfterSec).toBe(ACCOUNT_RULE.firstBlockMs / 1000);
    h.clock.advance(ACCOUNT_RULE.firstBlockMs);
    expect((await login(h, 'sue', 'wrong-again')).status).toBe(401);
    const second = await login(h, 'sue', 'supervisor-pass-1');
    expect(second.status).toBe(429);
    expect(second.retryAfterSec).toBe((2 * ACCOUNT_RULE.firstBlockMs) / 1000);
    h.clock.advance(2 * ACCOUNT_RULE.firstBlockMs - 1_000);
    expect((await login(h, 'sue', 'supervisor-pass-1')).status).toBe(429);
    h.clock.advance(1_000);
    expect((await login(h, 'sue', 'supervisor-pass-1')).status).toBe(200);
  });

  it('caps a block and forgets a key that stayed quiet for a window after it', () => {
    let now = 0;
    const store = new BackoffStore({ limit: 2, windowMs: 10_000, firstBlockMs: 1_000, maxBlockMs: 4_000 }, () => now);
    const blockMs = () => {
      const r = store.increment('k');
      return r.totalHits > 2 ? Math.round((r.resetTime!.getTime() - Date.now()) / 1000) * 1000 : 0;
    };
    expect([blockMs(), blockMs(), blockMs()]).toEqual([0, 0, 1_000]);
    const seen: number[] = [];
    for (let i = 0; i < 4; i++) {
      now += 4_000;
      expect(blockMs()).toBe(0); // the one attempt a lapsed block allows
      seen.push(blockMs());
    }
    expect(seen).toEqual([2_000, 4_000, 4_000, 4_000]);
    now += 4_000 + 10_000;
    expect([blockMs(), blockMs(), blockMs()]).toEqual([0, 0, 1_000]);
  });

  it('gives unknown user names the same answers and the same throttle as known ones', async () => {
    const h = await withUsers(await servers.start());
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < ACCOUNT_RULE.limit + 1; i++) {
      known.push((await login(h, 'sue', `wrong-${i}`)).status);
      unknown.push((await login(h, 'nobody-here', `wrong-${i}`)).status);
    }
    expect(known).toEqual([401, 401, 401, 401, 401, 429]);
    expect(unknown).toEqual(known);
  });

  it('answers an unknown name in about the time of a known one (median of 15 each, within 0.5–2×)', async () => {
    const h = await withUsers(await servers.start({ trustProxy: ['loopback'] }));
    const time = async (username: string, i: number) => {
      h.clock.advance(ACCOUNT_RULE.windowMs + ADDRESS_RULE.windowMs); // every attempt in a fresh window: no throttle in the way
      const t0 = performance.now();
      const r = await login(h, username, `wrong-password-${i}`, { from: `10.9.${i}.1` });
      expect(r.status).toBe(401);
      return performance.now() - t0;
    };
    await time('sue', 99); // warm-up: the dummy hash is made on first use
    await time('nobody', 98);
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 15; i++) {
      known.push(await time('sue', i));
      unknown.push(await time(`nobody-${i}`, i));
    }
    const ratio = median(unknown) / median(known);
    expect(ratio).toBeGreaterThan(0.5);
    expect(ratio).toBeLessThan(2);
  });
});

describe('addresses behind a proxy', () => {
  it('ignores X-Forwarded-For without --trust-proxy: every guess counts against the connecting address', async () => {
    const h = await withUsers(await servers.start());
    for (let i = 0; i < ADDRESS_RULE.limit; i++) expect((await login(h, `name-${i}`, 'wrong-password', { from: `10.0.0.${i}` })).status).toBe(401);
    expect((await login(h, 'sue', 'supervisor-pass-1', { from: '10.0.0.200' })).status).toBe(429);
  });

  it('takes the client address from X-Forwarded-For with --trust-proxy loopback', async () => {
    const h = await withUsers(await servers.start({ trustProxy: ['loopback'] }));
    for (let i = 0; i < ADDRESS_RULE.limit; i++) expect((await login(h, `name-${i}`, 'wrong-password', { from: '10.0.0.66' })).status).toBe(401);
    expect((await login(h, 'sue', 'supervisor-pass-1', { from: '10.0.0.66' })).status).toBe(429);
    expect((await login(h, 'sue', 'supervisor-pass-1', { from: '10.0.0.7' })).status).toBe(200);
  });

  it('reads --trust-proxy and FLOORWATCH_TRUST_PROXY, and refuses "on"', () => {
    expect(readOptions(['--trust-proxy', 'loopback,10.0.0.0/8'], {}).trustProxy).toEqual(['loopback', '10.0.0.0/8']);
    expect(readOptions([], { FLOORWATCH_TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(readOptions([], {}).trustProxy).toBe(false);
    expect(() => readOptions(['--trust-proxy', 'on'], {})).toThrow(/say which proxies/);
    expect(() => readOptions(['--trust-proxy', 'nginx.local'], {})).toThrow(/neither an address/);
  });
});

describe('a stranger cannot lock a real user out', () => {
  it("keeps the real user's known device in while strangers on many addresses hammer the account", async () => {
    const h = await withUsers(await servers.start({ trustProxy: ['loopback'] }));
    const first = await login(h, 'sue', 'supervisor-pass-1', { from: '192.0.2.10' });
    expect(first.status).toBe(200);
    const device = first.cookies.find((c) => c.startsWith(`${DEVICE_COOKIE}=`));
    expect(device).toMatch(/HttpOnly/i);
    expect(device).toMatch(/Path=\/api\/login/i);
    const deviceCookie = device!.split(';')[0];

    // 60 wrong guesses from 20 addresses: the account is throttled for every client it does not know.
    const strangers = await Promise.all(Array.from({ length: 60 }, (_, i) => login(h, 'sue', `guess-${i}`, { from: `203.0.113.${i % 20}` })));
    expect(strangers.filter((a) => a.status === 401).length).toBeLessThanOrEqual(ACCOUNT_RULE.limit);
    const newcomer = await login(h, 'sue', 'supervisor-pass-1', { from: '198.51.100.5' });
    expect(newcomer.status).toBe(429);
    expect(newcomer.retryAfterSec).toBeLessThanOrEqual(ACCOUNT_RULE.maxBlockMs / 1000);

    // Sue's own browser, from her own address or a new one, gets straight in.
    expect((await login(h, 'sue', 'supervisor-pass-1', { from: '192.0.2.10', cookie: deviceCookie })).status).toBe(200);
    expect((await login(h, 'sue', 'supervisor-pass-1', { from: '198.51.100.77', cookie: deviceCookie })).status).toBe(200);
    // A device cookie is for its own account only, and a forged one counts for nothing.
    expect((await login(h, 'admin', 'admin-password-1', { from: '192.0.2.11', cookie: deviceCookie })).status).toBe(200);
    expect((await login(h, 'sue', 'supervisor-pass-1', { from: '192.0.2.12', cookie: `${DEVICE_COOKIE}=${deviceCookie.split('=')[1].slice(0, -2)}xx` })).status).toBe(429);
  });

  it('throttles a known device on its own after repeated failures, without touching other devices', async () => {
    const h = await withUsers(await servers.start({ trustProxy: ['loopback'] }));
    const cookieOf = (a: Answer) => a.cookies.find((c) => c.startsWith(`${DEVICE_COOKIE}=`))!.split(';')[0];
    const laptop = cookieOf(await login(h, 'sue', 'supervisor-pass-1', { from: '192.0.2.10' }));
    const desk = cookieOf(await login(h, 'sue', 'supervisor-pass-1', { from: '192.0.2.20' }));
    expect(laptop).not.toBe(desk);
    for (let i = 0; i < ACCOUNT_RULE.limit; i++) expect((await login(h, 'sue', `wrong-${i}`, { from: '192.0.2.10', cookie: laptop })).status).toBe(401);
    expect((await login(h, 'sue', 'supervisor-pass-1', { from: '192.0.2.10', cookie: laptop })).status).toBe(429);
    expect((await login(h, 'sue', 'supervisor-pass-1', { from: '192.0.2.20', cookie: desk })).status).toBe(200);
  });
});
