/**
 * Webhook delivery: an HTTPS POST of the documented JSON body (or Slack/Teams
 * `{ "text" }`), signed so the receiver can tell it came from this floor and
 * is not a replay.
 *
 * Signature (the scheme Stripe and GitHub use, with the time in the signed
 * material): `X-Floorwatch-Timestamp: <epoch ms>` and
 * `X-Floorwatch-Signature: sha256=<hex HMAC-SHA256 over "<timestamp>.<raw body>">`
 * keyed with the channel's shared secret. A receiver recomputes it over the
 * raw bytes it got, compares in constant time, and refuses a timestamp older
 * than a few minutes (a replay).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Notification } from './message.ts';
import { textOf } from './message.ts';
import type { WebhookChannel } from './types.ts';

/** Carries `sha256=<hex>` (see {@link signWebhook}). */
export const SIGNATURE_HEADER = 'x-floorwatch-signature';
/** Carries the epoch ms the signature covers. */
export const TIMESTAMP_HEADER = 'x-floorwatch-timestamp';
/** Version of the JSON body; a receiver can refuse what it does not know. */
export const WEBHOOK_BODY_VERSION = 1;

/** Hosts plain http may go to: the machine itself (tests, a local relay). Anything else must be https. */
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** Why this URL may not be a webhook, or undefined when it may. */
export function webhookUrlProblem(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'url: not a URL';
  }
  if (u.username || u.password) return 'url: no user or password in the URL (use the shared secret)';
  if (u.protocol === 'https:') return undefined;
  if (u.protocol === 'http:' && LOOPBACK.has(u.hostname)) return undefined;
  return 'url: must be https:// (plain http only to a loopback address)';
}

/** The documented JSON body. */
export interface WebhookBody {
  version: number;
  /** The notification's id: the same on a retry, so a receiver can drop a repeat. */
  id: string;
  kind: Notification['kind'];
  sentAtMs: number;
  channel: { id: string; name: string };
  escalationStep: number;
  unacknowledgedMin?: number;
  alerts: Notification['alerts'];
  /** Alerts of the burst beyond the 100 listed. */
  omittedAlerts?: number;
  /** The same text a person would read. */
  text: string;
}

/** The raw body a webhook channel posts for this notification. */
export function webhookBody(ch: Pick<WebhookChannel, 'id' | 'name' | 'format'>, n: Notification, sentAtMs: number, timeZone: string): string {
  const text = textOf(n, timeZone);
  if (ch.format === 'text') return JSON.stringify({ text });
  const body: WebhookBody = {
    version: WEBHOOK_BODY_VERSION,
    id: n.id,
    kind: n.kind,
    sentAtMs,
    channel: { id: ch.id, name: ch.name },
    escalationStep: n.escalationStep,
    ...(n.unacknowledgedMin !== undefined ? { unacknowledgedMin: n.unacknowledgedMin } : {}),
    alerts: n.alerts,
    ...(n.omittedAlerts ? { omittedAlerts: n.omittedAlerts } : {}),
    text,
  };
  return JSON.stringify(body);
}

/** `sha256=<hex>` over `<timestampMs>.<rawBody>`. */
export function signWebhook(secret: string, timestampMs: number, rawBody: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestampMs}.${rawBody}`).digest('hex')}`;
}

/** What a receiver does: true when the signature matches and the timestamp is within `toleranceMs` of `nowMs`. */
export function verifyWebhook(secret: string, rawBody: string, signature: string | undefined, timestamp: string | undefined, nowMs: number, toleranceMs = 5 * 60_000): boolean {
  if (!signature || !timestamp || !/^\d{1,16}$/.test(timestamp)) return false;
  if (Math.abs(nowMs - Number(timestamp)) > toleranceMs) return false;
  const want = Buffer.from(signWebhook(secret, Number(timestamp), rawBody));
  const got = Buffer.from(signature);
  return want.length === got.length && timingSafeEqual(want, got);
}

/** How long one POST may take, ms: a slow receiver is a failed attempt, retried later. */
export const WEBHOOK_TIMEOUT_MS = 10_000;

/**
 * Posts once; resolves when the receiver answered 2xx, rejects with a reason
 * (status, timeout, refused connection) otherwise. The secret is read from the
 * environment variable the channel names, else the stored one.
 */
export async function sendWebhook(ch: WebhookChannel, n: Notification, o: { nowMs: number; timeZone: string; env: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<void> {
  const problem = webhookUrlProblem(ch.url);
  if (problem) throw new Error(problem);
  const body = webhookBody(ch, n, o.nowMs, o.timeZone);
  const secret = (ch.secretEnv ? o.env[ch.secretEnv] : undefined) || ch.secret;
  const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'Floorwatch-Webhook/1' };
  if (secret) {
    headers[TIMESTAMP_HEADER] = String(o.nowMs);
    headers[SIGNATURE_HEADER] = signWebhook(secret, o.nowMs, body);
  }
  let res: Response;
  try {
    res = await fetch(ch.url, { method: 'POST', headers, body, redirect: 'error', signal: AbortSignal.timeout(o.timeoutMs ?? WEBHOOK_TIMEOUT_MS) });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    if (e.name === 'TimeoutError' || e.name === 'AbortError') throw new Error(`no answer within ${Math.round((o.timeoutMs ?? WEBHOOK_TIMEOUT_MS) / 1000)} s`);
    throw new Error(`request failed: ${e.cause?.code ?? e.cause?.message ?? e.message}`);
  }
  // Read (and drop) the body so the connection is released.
  await res.arrayBuffer().catch(() => undefined);
  if (!res.ok) throw new Error(`receiver answered HTTP ${res.status}`);
}
