/**
 * Sign-in throttling: growing delays per client address and per account, built on
 * express-rate-limit (which counts each attempt before the password is checked, keys
 * by `req.ip` as the app's `trust proxy` setting resolves it, and answers 429 with
 * Retry-After). What this module adds is the store: a window of free failures, then
 * blocks that double with each further failure, and forgetting after a quiet window.
 *
 * A stranger must not be able to lock a real user out. The account throttle therefore
 * applies only to clients this account has not signed in from before: a successful
 * sign-in leaves a signed device cookie (OWASP's "device cookies" against online
 * guessing), and a client that presents a valid one for the account it names is
 * throttled on that cookie alone, not on the account. A stranger's guesses, from any
 * number of addresses, slow down only other strangers.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { rateLimit, type ClientRateLimitInfo, type IncrementResponse, type Store } from 'express-rate-limit';
import { parseCookies } from './principal.ts';

/** A throttle's numbers: `limit` failures are free within `windowMs`; then blocks of `firstBlockMs`, doubling, at most `maxBlockMs`. */
export interface BackoffRule {
  limit: number;
  windowMs: number;
  firstBlockMs: number;
  maxBlockMs: number;
}

/**
 * Per address: 10 failed sign-ins per 15 min are free (an office behind one NAT mistypes),
 * then 1 min, 2, 4 … at most 1 h. Only the guesser's own address (or, without
 * `--trust-proxy` behind a proxy, everyone's) is slowed.
 */
export const ADDRESS_RULE: BackoffRule = { limit: 10, windowMs: 15 * 60_000, firstBlockMs: 60_000, maxBlockMs: 60 * 60_000 };
/**
 * Per account, for clients without the account's device cookie: 5 failures per 15 min,
 * then 1 min, 2, 4 … at most 15 min; it bounds a guesser spread over many addresses to
 * about 4 guesses an hour once the blocks are long. The same numbers apply to one device
 * cookie (a stolen cookie buys no extra guesses).
 */
export const ACCOUNT_RULE: BackoffRule = { limit: 5, windowMs: 15 * 60_000, firstBlockMs: 60_000, maxBlockMs: 15 * 60_000 };
/** Keys kept per store; beyond this the least recently used are forgotten (a spray of names must not grow memory). */
const MAX_KEYS = 100_000;

interface Entry {
  /** Attempts counted in the current window (successes are given back). */
  hits: number;
  windowEndMs: number;
  /** Blocks so far; the next block lasts firstBlockMs × 2^strikes. */
  strikes: number;
  blockedUntilMs: number;
  /** After this, with no block running, the key starts afresh. */
  forgetAtMs: number;
}

/**
 * An express-rate-limit store whose blocks grow: within `windowMs` the first `limit`
 * attempts pass; the next one starts a block of `firstBlockMs`, and each attempt that
 * fails after a block ends doubles it (capped at `maxBlockMs`). A key quiet for
 * `windowMs` after its last block is forgotten. Attempts during a block are refused
 * without extending it. Times come from `now()` (ms), so a fake clock drives it in
 * tests; the reset time handed to the library is translated to the wall clock, which
 * the library compares with `Date.now()`.
 */
export class BackoffStore implements Store {
  readonly localKeys = true;
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly rule: BackoffRule,
    private readonly now: () => number,
    private readonly maxKeys = MAX_KEYS,
  ) {}

  private wall(ms: number): Date {
    return new Date(Date.now() + (ms - this.now()));
  }

  private entry(key: string, nowMs: number): Entry {
    let e = this.entries.get(key);
    if (e && nowMs >= e.forgetAtMs && nowMs >= e.blockedUntilMs) e = undefined;
    if (!e) e = { hits: 0, windowEndMs: nowMs + this.rule.windowMs, strikes: 0, blockedUntilMs: 0, forgetAtMs: nowMs + this.rule.windowMs };
    // Re-inserted so that the Map's order is least recently used first.
    this.entries.delete(key);
    this.entries.set(key, e);
    if (this.entries.size > this.maxKeys) this.entries.delete(this.entries.keys().next().value as string);
    return e;
  }

  /** Counts one attempt; `totalHits > limit` means refused until `resetTime`. */
  increment(key: string): IncrementResponse {
    const nowMs = this.now();
    const e = this.entry(key, nowMs);
    const { limit, windowMs, firstBlockMs, maxBlockMs } = this.rule;
    if (nowMs < e.blockedUntilMs) return { totalHits: limit + 1, resetTime: this.wall(e.blockedUntilMs) };
    if (nowMs >= e.windowEndMs && e.strikes === 0) {
      e.hits = 0;
      e.windowEndMs = nowMs + windowMs;
    }
    e.hits++;
    if (e.hits > limit) {
      const blockMs = Math.min(firstBlockMs * 2 ** e.strikes, maxBlockMs);
      e.strikes++;
      e.blockedUntilMs = nowMs + blockMs;
      // After the block one more attempt passes; if it fails too, the next block is twice as long.
      e.hits = limit - 1;
      e.windowEndMs = e.blockedUntilMs + windowMs;
      e.forgetAtMs = e.blockedUntilMs + windowMs;
      return { totalHits: limit + 1, resetTime: this.wall(e.blockedUntilMs) };
    }
    e.forgetAtMs = Math.max(e.forgetAtMs, e.windowEndMs);
    return { totalHits: e.hits, resetTime: this.wall(e.blockedUntilMs > nowMs ? e.blockedUntilMs : e.windowEndMs) };
  }

  /** Gives back an attempt that succeeded. */
  decrement(key: string): void {
    const e = this.entries.get(key);
    if (e && e.hits > 0) e.hits--;
  }

  resetKey(key: string): void {
    this.entries.delete(key);
  }

  /** The key's state, for diagnostics and tests. */
  get(key: string): ClientRateLimitInfo | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    return { totalHits: this.now() < e.blockedUntilMs ? this.rule.limit + 1 : e.hits, resetTime: this.wall(Math.max(e.blockedUntilMs, e.windowEndMs)) };
  }

  /** Keys held (bounded by `maxKeys`). */
  get size(): number {
    return this.entries.size;
  }
}

// ------------------------------------------------------------ device cookies

/** The cookie a successful sign-in leaves, sent back only to the sign-in endpoint. */
export const DEVICE_COOKIE = 'fw_device';
/** A device stays known for 180 days after its last successful sign-in. */
const DEVICE_MAX_AGE_MS = 180 * 86_400_000;
const LOGIN_PATH = '/api/login';

const mac = (secret: Buffer, text: string) => createHmac('sha256', secret).update(text).digest('base64url');

/** A device cookie value for `username`: `<name, base64url>.<nonce>.<HMAC-SHA256 of both>`. */
export function deviceCookieValue(secret: Buffer, username: string): string {
  const body = `${Buffer.from(username.toLowerCase()).toString('base64url')}.${randomBytes(12).toString('base64url')}`;
  return `${body}.${mac(secret, body)}`;
}

/** The device id (its nonce) if `value` is a device cookie this server signed for `username`; else undefined. */
export function deviceIdFor(secret: Buffer, value: string | undefined, username: string): string | undefined {
  if (!value) return undefined;
  const parts = value.split('.');
  if (parts.length !== 3) return undefined;
  const [name, nonce, given] = parts;
  const expected = Buffer.from(mac(secret, `${name}.${nonce}`));
  const g = Buffer.from(given);
  if (g.length !== expected.length || !timingSafeEqual(g, expected)) return undefined;
  return Buffer.from(name, 'base64url').toString() === username.toLowerCase() ? nonce : undefined;
}

// ------------------------------------------------------------ the middleware

export interface SignInThrottleOptions {
  /** Server clock, ms. */
  now: () => number;
  /** Secret for device cookies (kept in auth.db so restarts keep devices known). */
  deviceSecret: Buffer;
  secureCookies: boolean;
  logger: Pick<Console, 'warn'>;
  addressRule?: BackoffRule;
  accountRule?: BackoffRule;
}

export interface SignInThrottle {
  /** Middlewares for `POST /api/login`, after the body is parsed and checked: per address, then per account or device. */
  middleware: RequestHandler[];
  /** The per-address limiter alone (the first of `middleware`, same counts): for sign-ins that name no account, like single sign-on's callback. */
  perAddress: RequestHandler;
  /** Leaves the device cookie for `username` after a successful sign-in (the client's own, renewed, if it already has a valid one). */
  rememberDevice(req: Request, res: Response, username: string): void;
  address: BackoffStore;
  account: BackoffStore;
}

/**
 * What every throttle here shares: draft-7 RateLimit headers, failures counted (a success gives its
 * attempt back), and express-rate-limit's own checks of the proxy setup (e.g. X-Forwarded-For seen
 * without trust proxy) sent to the log as warnings under `label`.
 */
function throttleBase(log: SignInThrottleOptions['logger'], label: string) {
  const warn = (e: unknown) => log.warn(`${label}: ${e instanceof Error ? e.message : String(e)}`);
  return { standardHeaders: 'draft-7' as const, legacyHeaders: false, skipSuccessfulRequests: true, logger: { error: warn, warn } };
}

/**
 * A throttle's refusal: 429 `{ ok: false, error: "<what>: try again in N s" }`, N from Retry-After;
 * a route the browser navigates to (single sign-on's callback) puts `res.locals.refusalPage` to answer with a page instead.
 */
const refusal = (what: string) => (_req: Request, res: Response) => {
  const error = `${what}: try again in ${String(res.getHeader('Retry-After') ?? 60)} s`;
  const page = res.locals.refusalPage as ((status: number, message: string) => void) | undefined;
  if (page) return page(429, error);
  res.status(429).json({ ok: false, error });
};

const loginName = (req: Request) => String((req.body as { username?: unknown }).username).toLowerCase().slice(0, 128);

/**
 * The sign-in throttle: one express-rate-limit per address (`req.ip`, so `trust proxy`
 * decides what counts as the address) and one per account, keyed by the account's
 * name, or by the device cookie when the client presents a valid one for that name.
 * Both count before the password is checked; a successful sign-in gives its attempt back.
 * Refusals answer 429 `{ ok: false, error }` with Retry-After in seconds.
 */
export function signInThrottle(o: SignInThrottleOptions): SignInThrottle {
  const addressRule = o.addressRule ?? ADDRESS_RULE;
  const accountRule = o.accountRule ?? ACCOUNT_RULE;
  const address = new BackoffStore(addressRule, o.now);
  const account = new BackoffStore(accountRule, o.now);
  const common = throttleBase(o.logger, 'sign-in throttle');
  const perAddress = rateLimit({ ...common, store: address, limit: addressRule.limit, windowMs: addressRule.windowMs, handler: refusal('too many failed sign-ins from this address') });
  const perAccount = rateLimit({
    ...common,
    store: account,
    limit: accountRule.limit,
    windowMs: accountRule.windowMs,
    keyGenerator: (req) => {
      const name = loginName(req);
      const device = deviceIdFor(o.deviceSecret, parseCookies(req.headers.cookie)[DEVICE_COOKIE], name);
      return device ? `device:${device}` : `user:${name}`;
    },
    handler: refusal('too many failed sign-ins for this account'),
  });
  return {
    middleware: [perAddress, perAccount],
    perAddress,
    rememberDevice(req, res, username) {
      const held = parseCookies(req.headers.cookie)[DEVICE_COOKIE];
      const value = held && deviceIdFor(o.deviceSecret, held, username) ? held : deviceCookieValue(o.deviceSecret, username);
      res.cookie(DEVICE_COOKIE, value, { httpOnly: true, sameSite: 'strict', secure: o.secureCookies, path: LOGIN_PATH, maxAge: DEVICE_MAX_AGE_MS });
    },
    address,
    account,
  };
}

/**
 * Changing one's own password asks for the current one: a stolen session must not become
 * a way to guess it. Wrong current passwords are counted per account (ACCOUNT_RULE's numbers:
 * 5 per 15 min free, then blocks of 1 min doubling to 15 min); a weak new password or a
 * success costs nothing. Refusals answer 429 `{ ok: false, error }` with Retry-After in seconds.
 * `userOf(req)` names the signed-in account (the route itself refuses anyone else).
 */
export function passwordChangeThrottle(o: { now: () => number; rule?: BackoffRule; logger: SignInThrottleOptions['logger']; userOf: (req: Request) => string | undefined }): { middleware: RequestHandler; store: BackoffStore } {
  const rule = o.rule ?? ACCOUNT_RULE;
  const store = new BackoffStore(rule, o.now);
  const middleware = rateLimit({
    ...throttleBase(o.logger, 'password-change throttle'),
    store,
    limit: rule.limit,
    windowMs: rule.windowMs,
    keyGenerator: (req) => `user:${o.userOf(req) ?? '-'}`,
    // Only a wrong current password (403) counts against the account.
    requestWasSuccessful: (_req, res) => res.statusCode !== 403,
    skip: (req) => o.userOf(req) === undefined,
    handler: refusal('too many wrong current passwords for this account'),
  });
  return { middleware, store };
}
