/**
 * Email delivery over SMTP with nodemailer. TLS modes: `implicit` is TLS from
 * connect (submissions port 465, RFC 8314 §3.3); `starttls` upgrades a plain
 * connection and refuses to go on without it (port 587, RFC 3207;
 * nodemailer's `requireTLS`); `none` sends in clear, for a relay on the same
 * machine. The password comes from the environment variable the channel
 * names, else the stored one; it is handed to nodemailer and nowhere else
 * (nodemailer's logger stays off, so it never reaches a log).
 */
import nodemailer from 'nodemailer';
import type { Notification } from './message.ts';
import { subjectOf, textOf } from './message.ts';
import type { EmailChannel } from './types.ts';

/** Connect, greeting and socket timeouts, ms: a dead server is a failed attempt, retried later. */
export const SMTP_TIMEOUT_MS = 10_000;

/** Sends once; resolves when the server accepted the message for every recipient, rejects with a reason otherwise. */
export async function sendEmail(ch: EmailChannel, n: Notification, o: { timeZone: string; env: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<void> {
  const password = (ch.passwordEnv ? o.env[ch.passwordEnv] : undefined) || ch.password;
  const timeout = o.timeoutMs ?? SMTP_TIMEOUT_MS;
  const transport = nodemailer.createTransport({
    host: ch.host,
    port: ch.port,
    secure: ch.tls === 'implicit',
    requireTLS: ch.tls === 'starttls',
    ignoreTLS: ch.tls === 'none',
    ...(ch.user ? { auth: { user: ch.user, pass: password ?? '' } } : {}),
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
    logger: false,
    debug: false,
  });
  try {
    const info = await transport.sendMail({ from: ch.from, to: ch.to, subject: subjectOf(n), text: textOf(n, o.timeZone), headers: { 'X-Floorwatch-Notification': n.id } });
    const rejected = (info.rejected ?? []) as unknown[];
    if (rejected.length) throw new Error(`the server refused ${rejected.length} recipient(s)`);
  } catch (err) {
    const e = err as Error & { code?: string; responseCode?: number };
    // nodemailer's messages name the server's answer, never the password.
    throw new Error(`SMTP ${e.code ?? 'error'}${e.responseCode ? ` ${e.responseCode}` : ''}: ${(e.message || 'failed').slice(0, 300)}`);
  } finally {
    transport.close();
  }
}
