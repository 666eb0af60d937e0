/**
 * Notification channels, routing and delivery records: the shapes an admin
 * configures (validated with zod at the API's edge) and the records the
 * dispatcher keeps. Secrets (an SMTP password, a webhook's shared secret) live
 * only in the stored channel; what leaves the server is {@link PublicChannel},
 * which says whether a secret is set and never what it is.
 */
import { z } from 'zod';
import { RULE_IDS } from '../../shared/config.ts';

/** `HH:MM`, 24-hour, floor-local. */
const clockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time as HH:MM (00:00–23:59)');
/** An environment variable's name (where a secret is read from instead of the store). */
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'an environment variable name: letters, digits and _');

/** Hours during which a channel is not sent to, in the floor's time zone (config `timeZone`); `from` > `to` spans midnight. */
export const quietHoursSchema = z.strictObject({ from: clockTime, to: clockTime });
/** Floor-local `from`–`to`, HH:MM. */
export type QuietHours = z.infer<typeof quietHoursSchema>;

/** Longest grouping window: a burst is one message, but nobody waits more than this, s. */
export const MAX_GROUP_WINDOW_SEC = 600;

const channelCommon = {
  name: z.string().trim().min(1).max(100),
  enabled: z.boolean().default(true),
  /** Not sent to in these hours (floor-local); none = always. */
  quietHours: quietHoursSchema.nullable().default(null),
  /** Alerts for this channel within this many seconds of the first go out as one message (0 = each at once). */
  groupWindowSec: z.number().int().min(0).max(MAX_GROUP_WINDOW_SEC).default(30),
  /** Send an "all clear" when an alert this channel was told about ends. */
  allClear: z.boolean().default(false),
};

/**
 * An email channel over SMTP (nodemailer). `tls`: `implicit` = TLS from the
 * first byte (port 465, RFC 8314), `starttls` = plain then upgraded and
 * required (port 587, RFC 3207), `none` = no TLS (a relay on loopback only).
 */
export const emailChannelInputSchema = z.strictObject({
  kind: z.literal('email'),
  ...channelCommon,
  host: z.string().trim().min(1).max(253),
  port: z.number().int().min(1).max(65_535),
  tls: z.enum(['implicit', 'starttls', 'none']),
  user: z.string().max(256).optional(),
  /** Read the password from this environment variable at send time (wins over a stored one). */
  passwordEnv: envName.optional(),
  /** A password kept in the store; write-only: `''` clears it, absent keeps it. */
  password: z.string().max(1024).optional(),
  from: z.email().max(254),
  to: z.array(z.email().max(254)).min(1).max(50),
});

/**
 * A webhook: HTTPS POST (http only to a loopback address, for tests and local
 * relays). `format: json` sends the documented body; `text` sends
 * `{ "text": "…" }`, which Slack incoming webhooks and Teams workflows accept.
 */
export const webhookChannelInputSchema = z.strictObject({
  kind: z.literal('webhook'),
  ...channelCommon,
  url: z.url().max(2_000),
  format: z.enum(['json', 'text']).default('json'),
  /** Read the shared secret from this environment variable (wins over a stored one). */
  secretEnv: envName.optional(),
  /** The shared signing secret kept in the store; write-only like `password`. */
  secret: z.string().max(1024).optional(),
});

/** A channel as an admin sends it: email or webhook, by `kind`. */
export const channelInputSchema = z.discriminatedUnion('kind', [emailChannelInputSchema, webhookChannelInputSchema]);
/** The body of a channel create or update, before defaults. */
export type ChannelInput = z.input<typeof channelInputSchema>;

/** A channel as stored: the input plus its id and times; secrets in clear (only ever in the store). */
export type Channel = z.infer<typeof channelInputSchema> & { id: string; createdAtMs: number; updatedAtMs: number };
/** A stored email channel. */
export type EmailChannel = Extract<Channel, { kind: 'email' }>;
/** A stored webhook channel. */
export type WebhookChannel = Extract<Channel, { kind: 'webhook' }>;

/** A channel as the API shows it: every secret replaced by whether one is set. */
export type PublicChannel =
  | (Omit<EmailChannel, 'password'> & { password: 'set' | 'not set' })
  | (Omit<WebhookChannel, 'secret'> & { secret: 'set' | 'not set' });

/** Levels a route can carry: info alerts stay on the floor. */
export const NOTIFY_LEVELS = ['warn', 'breach'] as const;
/** `warn` or `breach`. */
export type NotifyLevel = (typeof NOTIFY_LEVELS)[number];

/**
 * One routing rule: alerts of these rules and levels, on these queues or
 * teams (empty = any), go to `channelIds[0]`; a breach nobody acknowledges in
 * time goes on to the next channel, and so on (the escalation path).
 */
export const routeSchema = z.strictObject({
  id: z.string().trim().min(1).max(64),
  name: z.string().trim().max(100).default(''),
  /** Empty: every rule. */
  ruleIds: z.array(z.enum(RULE_IDS)).max(RULE_IDS.length).default([]),
  levels: z.array(z.enum(NOTIFY_LEVELS)).min(1).default(['breach']),
  /** Empty: every queue. An alert with no queue matches only a route without queues. */
  queueIds: z.array(z.string().min(1).max(128)).max(200).default([]),
  /** Empty: every team (the agent's team). */
  teams: z.array(z.string().min(1).max(128)).max(200).default([]),
  /** The escalation path, in order. */
  channelIds: z.array(z.string().min(1).max(64)).min(1).max(10),
});
/** One routing rule, defaults filled in. */
export type Route = z.infer<typeof routeSchema>;

/** Minutes before an unacknowledged breach goes to the next channel, unless its rule says otherwise. */
export const DEFAULT_ESCALATE_AFTER_MIN = 5;

/** Every route, in order, and the minutes before escalating. */
export const routingSchema = z.strictObject({
  routes: z.array(routeSchema).max(100).default([]),
  /** Minutes to wait for an acknowledgement before escalating, per rule; `defaultMin` for the others. */
  escalation: z
    .strictObject({
      defaultMin: z.number().min(1).max(24 * 60).default(DEFAULT_ESCALATE_AFTER_MIN),
      perRule: z.partialRecord(z.enum(RULE_IDS), z.number().min(1).max(24 * 60)).default({}),
    })
    .default({ defaultMin: DEFAULT_ESCALATE_AFTER_MIN, perRule: {} }),
});
/** The routing in force. */
export type Routing = z.infer<typeof routingSchema>;

/** What a message is about. */
export type NotificationKind = 'alert' | 'escalation' | 'all-clear' | 'test';
/** `suppressed`: not sent because the channel was in its quiet hours. */
export type DeliveryStatus = 'pending' | 'retrying' | 'sent' | 'failed' | 'suppressed';

/** One notification to one channel and what became of it. */
export interface DeliveryRecord {
  /** The notification's key: the same on every node, so exactly one of them claims and sends it. */
  id: string;
  channelId: string;
  channelName: string;
  kind: NotificationKind;
  /** 0 for a route's first channel, k for its k-th escalation (absent in records made before it was kept). */
  escalationStep?: number;
  alertIds: string[];
  status: DeliveryStatus;
  attempts: number;
  /** Why the last attempt failed (or why it was not sent); never a secret. */
  lastError: string | null;
  createdAtMs: number;
  updatedAtMs: number;
  sentAtMs: number | null;
  /** When the next attempt is due (retrying only). */
  nextAttemptAtMs: number | null;
}

/** Replaces each secret by whether it is set. */
export function publicChannel(c: Channel): PublicChannel {
  if (c.kind === 'email') {
    const { password, ...rest } = c;
    return { ...rest, password: password ? 'set' : 'not set' };
  }
  const { secret, ...rest } = c;
  return { ...rest, secret: secret ? 'set' : 'not set' };
}
