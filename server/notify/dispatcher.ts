/**
 * The notifier: learns of alerts as the server flushes the engine's changes
 * (raised, risen to breach, acknowledged, ended), routes them to channels,
 * groups bursts, escalates unacknowledged breaches and delivers with retries.
 *
 * Nothing here runs on the ingest path: `observe` copies the changed alerts
 * into a bounded inbox and returns; routing, sending and waiting happen later
 * on their own promises, with timeouts and a bounded queue, so a dead or slow
 * channel never holds up ingest or the live push.
 *
 * Every time that decides something comes from the alerts (their raise,
 * level-change and end times, set by the engine from the log) or from the
 * injected clock: on several nodes folding the same log, each computes the
 * same notifications with the same keys, and the store's `claim` lets exactly
 * one node send each.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Alert } from '../../shared/state.ts';
import type { AuditEntry } from '../log/store.ts';
import { MAX_ALERTS_PER_MESSAGE, summarize, type AgentLookup, type Notification } from './message.ts';
import { escalateAfterMin, inQuietHours, routesFor } from './router.ts';
import { DELIVERIES_KEPT, type NotifyStore } from './store.ts';
import { MAX_GROUP_WINDOW_SEC, type Channel, type DeliveryRecord, type NotificationKind, type Route, type Routing } from './types.ts';
import { sendEmail } from './email.ts';
import { sendWebhook } from './webhook.ts';

/** How long a notification is retried before it is recorded as failed, ms. */
export const DEFAULT_RETRY_FOR_MS = 10 * 60_000;
/** First retry after this, ms; each next one waits twice as long (capped at {@link MAX_BACKOFF_MS}). */
export const FIRST_BACKOFF_MS = 5_000;
/** Longest wait between two attempts, ms. */
export const MAX_BACKOFF_MS = 2 * 60_000;
/** Notifications waiting to be sent, at most; past it a new one is recorded as failed at once (a storm must not grow memory). */
export const DEFAULT_MAX_QUEUE = 1_000;
/** Sends in flight at once, all channels together, and per channel (a dead channel takes its share, not everyone's). */
const MAX_IN_FLIGHT = 8;
const MAX_IN_FLIGHT_PER_CHANNEL = 2;
/** Alerts waiting to be routed, at most (the inbox between the engine and the notifier). */
const MAX_INBOX = 20_000;
/** Alerts followed for escalation and all-clear, at most. */
const MAX_TRACKED = 50_000;
/** A grouped message waits this long past its window for alerts of the window that another node's log reader had not folded yet, ms. */
const GROUP_GRACE_MS = 2_000;

/** Flushes a message may fail to reach the store (each poll, about a second apart) before it is given up. */
const MAX_FLUSH_TRIES = 60;
/** How long `close` waits for sends in flight, ms. */
const CLOSE_WAIT_MS = 2_000;

/** The backoff before attempt `n + 1` after `n` failed attempts, ms. */
export function backoffMs(failedAttempts: number): number {
  return Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** Math.max(0, failedAttempts - 1));
}

/** Sends one notification to one channel; rejects with a reason. Injected in tests that need a stand-in. */
export type Sender = (ch: Channel, n: Notification, o: { nowMs: number; timeZone: string; env: NodeJS.ProcessEnv }) => Promise<void>;

const defaultSender: Sender = (ch, n, o) => (ch.kind === 'email' ? sendEmail(ch, n, o) : sendWebhook(ch, n, o));

/** What the notifier needs from the server: the store, the audit trail, the clock, the floor's time zone and agents. */
export interface NotifierOptions {
  store: NotifyStore;
  /** Where each delivery's outcome goes (the floor's audit trail). */
  audit: (entry: AuditEntry) => Promise<void>;
  clock: { now(): number };
  /** The floor's time zone (config `timeZone`): quiet hours and times in messages. */
  timeZone: () => string;
  agentOf: AgentLookup;
  env?: NodeJS.ProcessEnv;
  /** This node's name in claims. */
  nodeId?: string;
  /** Real timer period that drives grouping, escalation and retries, ms; 0 = none (tests call `poll`). */
  pollMs?: number;
  retryForMs?: number;
  maxQueue?: number;
  sender?: Sender;
  logger?: Pick<Console, 'warn' | 'error'>;
}

interface Escalation {
  route: Route;
  /** The channel index last notified. */
  step: number;
  /** When the breach began (its level reached breach), ms: each step is due `afterMin` later. */
  sinceMs: number;
  afterMin: number;
}

interface Tracked {
  alert: Alert;
  /** `kind:channel:level` already queued for this alert: nobody is told twice. */
  told: Set<string>;
  /** Channels told about it (for the all-clear). */
  channels: Set<string>;
  escalations: Map<string, Escalation>;
  levelSeen: 'warn' | 'breach' | undefined;
  ended: boolean;
}

/** One alert's notification step to one channel, waiting for its claim before it joins a group. */
interface Candidate {
  channelId: string;
  kind: NotificationKind;
  step: number;
  /** The alert's time for grouping (its raise, breach, end or the escalation's due time), ms. */
  atMs: number;
  t: Tracked;
  level: string;
  unacknowledgedMin?: number;
  /** Flushes whose claim failed to reach the store so far. */
  tries: number;
}

interface Group {
  id: string;
  channelId: string;
  kind: NotificationKind;
  step: number;
  startMs: number;
  endMs: number;
  /** The alerts as they were when added; the latest known content is sent. */
  alerts: Alert[];
  omitted: number;
  unacknowledgedMin?: number;
  /** Flushes that failed to reach the store so far. */
  tries?: number;
}

/** How long an alert's claim on a step holds: past its longest grouping window, its retries and a minute's margin, ms. */
function claimTtlMs(retryForMs: number): number {
  return MAX_GROUP_WINDOW_SEC * 1000 + GROUP_GRACE_MS + retryForMs + 60_000;
}

interface Job {
  channel: Channel;
  notification: Notification;
  record: DeliveryRecord;
  /** Resolved after the first attempt (the "send test" button waits for it). */
  onFirst?: (r: DeliveryRecord) => void;
}

/** Numbers for `/api/health`. */
export interface NotifierStats {
  queued: number;
  inFlight: number;
  tracked: number;
  sent: number;
  failed: number;
  retried: number;
  suppressed: number;
  /** Notifications another node claimed first. */
  claimedElsewhere: number;
  /** Alerts or notifications dropped because a bound was reached. */
  dropped: number;
}

/** Routes, groups, escalates and delivers alerts; one per server (see the file's comment). */
export class Notifier {
  private readonly o: NotifierOptions;
  private readonly nodeId: string;
  private readonly retryForMs: number;
  private readonly maxQueue: number;
  private readonly sender: Sender;
  private readonly env: NodeJS.ProcessEnv;
  private inbox: Alert[] = [];
  private processing: Promise<void> | undefined;
  private readonly tracked = new Map<string, Tracked>();
  /** Alerts no longer followed and the level they were sent at, oldest first (bounded by {@link MAX_TRACKED}). */
  private readonly done = new Map<string, 'warn' | 'breach'>();
  private readonly groups = new Map<string, Group>();
  private queue: Job[] = [];
  private inFlight = 0;
  private readonly inFlightPer = new Map<string, number>();
  private readonly running = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private polling: Promise<void> | undefined;
  readonly stats: NotifierStats = { queued: 0, inFlight: 0, tracked: 0, sent: 0, failed: 0, retried: 0, suppressed: 0, claimedElsewhere: 0, dropped: 0 };

  constructor(o: NotifierOptions) {
    this.o = o;
    this.nodeId = o.nodeId ?? randomUUID();
    this.retryForMs = o.retryForMs ?? DEFAULT_RETRY_FOR_MS;
    this.maxQueue = o.maxQueue ?? DEFAULT_MAX_QUEUE;
    this.sender = o.sender ?? defaultSender;
    this.env = o.env ?? process.env;
  }

  /** Starts the real timer (when `pollMs` > 0). */
  start(): void {
    const ms = this.o.pollMs ?? 0;
    if (ms > 0 && !this.timer) {
      this.timer = setInterval(() => void this.poll(), ms);
      this.timer.unref();
    }
  }

  /**
   * Takes the alerts the engine changed (from the server's flush). Cheap and
   * synchronous: copies into the inbox and schedules the routing for later.
   */
  observe(alerts: readonly Alert[]): void {
    if (this.closed || alerts.length === 0) return;
    for (const a of alerts) {
      if (this.inbox.length >= MAX_INBOX) {
        this.stats.dropped++;
        continue;
      }
      this.inbox.push({ ...a });
    }
    this.schedule();
  }

  /** Runs due groups, escalations and retries at the clock's time. Tests with a fake clock call it after moving the clock. */
  poll(): Promise<void> {
    this.polling ??= this.pollOnce().finally(() => (this.polling = undefined));
    return this.polling;
  }

  /** Resolves when everything observed so far is routed and every send started has ended (tests). */
  async settle(): Promise<void> {
    for (let i = 0; i < 1_000; i++) {
      if (this.processing) await this.processing;
      if (this.polling) await this.polling;
      if (this.running.size) await Promise.allSettled([...this.running]);
      if (!this.processing && !this.polling && this.running.size === 0) return;
    }
  }

  /** Sends a test message to a channel now (quiet hours ignored); resolves with the record after the first attempt. */
  async sendTest(channel: Channel): Promise<DeliveryRecord> {
    const now = this.o.clock.now();
    const n: Notification = { id: `test-${randomUUID()}`, kind: 'test', escalationStep: 0, alerts: [] };
    return new Promise<DeliveryRecord>((resolve, reject) => {
      this.enqueue(channel, n, now, resolve).catch(reject);
    });
  }

  /**
   * Rebuilds what the notifier follows after a restart, from the alerts the
   * log's replay rebuilt and the delivery records in the store; the replay
   * itself sends nothing. An open (or fact), unacknowledged breach whose step
   * k on a route was notified at `t` (the record's creation) escalates at
   * `t` + the rule's minutes, at the next poll if that is past; steps on
   * record are not sent again, and a notified alert keeps its channels for the
   * all-clear. Alerts with no record stay as they were: not re-sent.
   * Call it once, before the first `observe`.
   */
  async restore(alerts: readonly Alert[]): Promise<{ followed: number; escalating: number }> {
    const out = { followed: 0, escalating: 0 };
    if (this.closed || alerts.length === 0) return out;
    const [{ routing }, records] = await Promise.all([this.loadSettings(), this.o.store.listDeliveries(DELIVERIES_KEPT)]);
    const byAlert = new Map<string, DeliveryRecord[]>();
    for (const r of records) {
      if (r.kind === 'test') continue;
      for (const id of r.alertIds) {
        const list = byAlert.get(id);
        if (list) list.push(r);
        else byAlert.set(id, [r]);
      }
    }
    for (const a of alerts) {
      const recs = byAlert.get(a.id);
      const level = a.level === 'warn' || a.level === 'breach' ? a.level : undefined;
      if (!recs || !level || this.tracked.has(a.id)) continue;
      const fact = a.status !== 'open' && a.resolvedAtMs === a.raisedAtMs;
      const ended = a.status !== 'open' && !fact;
      const t: Tracked = { alert: { ...a }, told: new Set(), channels: new Set(), escalations: new Map(), levelSeen: level, ended };
      const team = a.agentId ? this.o.agentOf(a.agentId)?.team : undefined;
      const routes = routesFor(routing, a, team);
      /** When step k on this channel was notified, ms (the newest record). */
      const notifiedAt = (channelId: string, step: number): number | undefined => {
        let at: number | undefined;
        for (const r of recs) {
          if (r.channelId !== channelId || r.kind !== (step === 0 ? 'alert' : 'escalation')) continue;
          // Older records carry no step: the channel's place on a route the alert takes stands for it.
          const rStep = r.escalationStep ?? (step === 0 ? 0 : step);
          if (rStep === step && (at === undefined || r.createdAtMs > at)) at = r.createdAtMs;
        }
        return at;
      };
      for (const r of recs) {
        const step = r.escalationStep ?? (r.kind === 'alert' ? 0 : routes.reduce((k, route) => Math.max(k, route.channelIds.indexOf(r.channelId)), 0));
        if (r.kind === 'all-clear') t.told.add(`all-clear:${r.channelId}:0:clear`);
        else {
          t.told.add(`${r.kind}:${r.channelId}:${step}:${level}`);
          t.channels.add(r.channelId);
        }
      }
      if (level === 'breach' && !a.ack && !ended) {
        const afterMin = escalateAfterMin(routing, a.ruleId);
        for (const route of routes) {
          if (route.channelIds.length < 2) continue;
          // The furthest step of this route already on record.
          let step = -1;
          let atMs = 0;
          route.channelIds.forEach((chId, k) => {
            const at = notifiedAt(chId, k);
            if (at !== undefined && k > step) [step, atMs] = [k, at];
          });
          if (step < 0 || step >= route.channelIds.length - 1) continue;
          // Due at t + N: poll counts step k + 1 from `sinceMs + (k + 1) * N`.
          t.escalations.set(route.id, { route, step, sinceMs: atMs - step * afterMin * 60_000, afterMin });
        }
      }
      if (t.escalations.size === 0 && (ended || fact)) {
        this.forget(t);
        continue;
      }
      this.tracked.set(a.id, t);
      out.followed++;
      if (t.escalations.size) out.escalating++;
    }
    this.stats.tracked = this.tracked.size;
    if (out.followed) this.o.logger?.warn(`notifications: after the restart, following ${out.followed} notified alerts again, ${out.escalating} of them escalating`);
    await this.poll();
    return out;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.processing) await this.processing.catch(() => undefined);
    // Sends in flight end by their own timeouts; closing waits a little for them, not for a dead receiver.
    await Promise.race([Promise.allSettled([...this.running]), new Promise((r) => setTimeout(r, CLOSE_WAIT_MS).unref())]);
  }

  // ---------------------------------------------------------------- routing

  private async loadSettings(): Promise<{ routing: Routing; channels: Map<string, Channel> }> {
    const [routing, list] = await Promise.all([this.o.store.loadRouting(), this.o.store.listChannels()]);
    return { routing, channels: new Map(list.map((c) => [c.id, c])) };
  }

  private schedule(): void {
    if (this.processing || this.closed) return;
    this.processing = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.process());
  }

  private async process(): Promise<void> {
    try {
      while (this.inbox.length && !this.closed) {
        const batch = this.inbox;
        this.inbox = [];
        const settings = await this.loadSettings();
        if (settings.routing.routes.length === 0 && this.tracked.size === 0) continue; // nothing routed: nothing to follow
        for (const a of batch) this.handle(a, settings.routing, settings.channels);
        const nowMs = this.o.clock.now();
        await this.claimCandidates(settings.channels, nowMs);
        await this.flushGroups(settings.channels, nowMs);
      }
    } catch (err) {
      this.o.logger?.error(`notifications: routing failed: ${(err as Error).message}`);
    } finally {
      this.processing = undefined;
      if (this.inbox.length) this.schedule();
    }
  }

  private handle(a: Alert, routing: Routing, channels: Map<string, Channel>): void {
    let t = this.tracked.get(a.id);
    const level = a.level === 'warn' || a.level === 'breach' ? a.level : undefined;
    if (!t) {
      if (!level) return;
      if (this.tracked.size >= MAX_TRACKED) {
        // Forget the oldest followed alert rather than grow without bound.
        const oldest = this.tracked.keys().next().value;
        if (oldest !== undefined) this.tracked.delete(oldest);
        this.stats.dropped++;
      }
      // An alert seen before (the engine reports it again on every change) is not news at a level already sent.
      t = { alert: a, told: new Set(), channels: new Set(), escalations: new Map(), levelSeen: this.done.get(a.id), ended: false };
      this.tracked.set(a.id, t);
    }
    t.alert = a;
    const ended = a.status !== 'open';
    // A fact (a hold without asking) ends as it is raised: it waits for an acknowledgement like an open breach, and has nothing to clear.
    const fact = ended && a.resolvedAtMs === a.raisedAtMs;
    const risen = level !== undefined && (t.levelSeen === undefined || (t.levelSeen === 'warn' && level === 'breach'));
    if (risen && !t.ended && !(ended && !fact)) {
      // The time the alert reached this level: the raise, or the update that made a warning a breach.
      const sinceMs = t.levelSeen === undefined ? a.raisedAtMs : a.updatedAtMs;
      t.levelSeen = level;
      const team = a.agentId ? this.o.agentOf(a.agentId)?.team : undefined;
      for (const route of routesFor(routing, a, team)) {
        this.propose(channels, route.channelIds[0], 'alert', 0, sinceMs, t, level);
        if (level === 'breach' && route.channelIds.length > 1 && !a.ack) {
          t.escalations.set(route.id, { route, step: 0, sinceMs, afterMin: escalateAfterMin(routing, a.ruleId) });
        }
      }
    }
    if (a.ack) t.escalations.clear();
    if (ended && !fact && !t.ended) {
      t.ended = true;
      t.escalations.clear();
      for (const chId of t.channels) {
        const ch = channels.get(chId);
        if (ch?.allClear) this.propose(channels, chId, 'all-clear', 0, a.resolvedAtMs ?? a.updatedAtMs, t, 'clear');
      }
    }
    // Nothing left to do for it (ended, a fact, or told to no channel): remember only its level.
    if (t.escalations.size === 0 && (t.ended || fact || t.channels.size === 0)) this.forget(t);
    this.stats.tracked = this.tracked.size;
  }

  /** Stops following an alert, remembering the level it was sent at (bounded). */
  private forget(t: Tracked): void {
    this.tracked.delete(t.alert.id);
    if (!t.levelSeen) return;
    this.done.delete(t.alert.id);
    this.done.set(t.alert.id, t.levelSeen);
    if (this.done.size > MAX_TRACKED) {
      const oldest = this.done.keys().next().value;
      if (oldest !== undefined) this.done.delete(oldest);
    }
  }

  /**
   * Notes that an alert's step is due on a channel: recorded as told (on every
   * node alike, so each knows who heard of it for the all-clear) and put up
   * for a claim; it joins a group only once this node's claim wins.
   */
  private propose(channels: Map<string, Channel>, channelId: string | undefined, kind: NotificationKind, step: number, atMs: number, t: Tracked, level: string, unacknowledgedMin?: number): void {
    if (channelId === undefined) return;
    const ch = channels.get(channelId);
    if (!ch || !ch.enabled) return;
    const told = `${kind}:${channelId}:${step}:${level}`;
    if (t.told.has(told)) return;
    t.told.add(told);
    if (kind !== 'all-clear') t.channels.add(channelId);
    this.candidates.push({ channelId, kind, step, atMs, t, level, unacknowledgedMin, tries: 0 });
  }

  /** Alert steps waiting for their claim (the next flush makes them). */
  private candidates: Candidate[] = [];

  /**
   * Claims each waiting alert step (SET NX PX, or a unique row): exactly one
   * node wins each, and only that node groups and sends it, so two nodes that
   * group a burst differently still never both send one alert. A claim that
   * cannot reach the store is tried again at the next flush, for a while.
   */
  private async claimCandidates(channels: Map<string, Channel>, nowMs: number): Promise<void> {
    const list = this.candidates;
    this.candidates = [];
    if (list.length === 0) return;
    const ttlMs = claimTtlMs(this.retryForMs);
    const outcomes = await Promise.allSettled(list.map((c) => this.o.store.claim(alertStepKey(c.kind, c.channelId, c.step, c.t.alert.id, c.level), this.nodeId, ttlMs, nowMs)));
    // Added in the order they came, whatever order the claims answered in: grouping stays a matter of the alerts' times.
    list.forEach((c, i) => {
      const r = outcomes[i];
      if (r.status === 'rejected') {
        c.tries++;
        const again = c.tries < MAX_FLUSH_TRIES;
        if (again) this.candidates.push(c);
        else this.stats.dropped++;
        const ch = channels.get(c.channelId);
        this.o.logger?.warn(`notifications: ${c.kind} of ${c.t.alert.id} to ${ch?.name ?? c.channelId} not queued yet (${(r.reason as Error).message})${again ? '; trying again' : '; given up'}`);
      } else if (r.value) this.addToGroup(channels, c);
      else this.stats.claimedElsewhere++;
    });
  }

  private addToGroup(channels: Map<string, Channel>, c: Candidate): void {
    const ch = channels.get(c.channelId);
    if (!ch || !ch.enabled) return;
    const { channelId, kind, step, atMs, t, level, unacknowledgedMin } = c;
    const gk = `${channelId}|${kind}|${step}`;
    let g = this.groups.get(gk);
    // Open while the alert's time is inside the window (a window of 0 s still takes alerts of the very same instant).
    const open = g !== undefined && (atMs < g.endMs || atMs === g.startMs);
    if (!open) {
      if (g) this.ready.push(g); // closed by a newer alert: sent at the next flush
      // The first alert was claimed by this node alone, so no other node makes a message with this key.
      g = { id: notificationKey(kind, channelId, step, t.alert.id, level), channelId, kind, step, startMs: atMs, endMs: atMs + ch.groupWindowSec * 1000, alerts: [], omitted: 0, unacknowledgedMin };
      this.groups.set(gk, g);
    }
    if (g!.alerts.length < MAX_ALERTS_PER_MESSAGE) g!.alerts.push(t.alert);
    else g!.omitted++;
  }

  /** Groups closed by a newer alert, waiting for the next flush. */
  private ready: Group[] = [];

  private async flushGroups(channels: Map<string, Channel>, nowMs: number): Promise<void> {
    const due = this.ready;
    this.ready = [];
    for (const [k, g] of this.groups) {
      const grace = g.endMs > g.startMs ? GROUP_GRACE_MS : 0;
      if (nowMs >= g.endMs + grace) {
        this.groups.delete(k);
        due.push(g);
      }
    }
    for (const g of due) {
      const ch = channels.get(g.channelId);
      if (!ch || !ch.enabled) continue;
      const alerts = g.alerts.map((a) => this.tracked.get(a.id)?.alert ?? a);
      // An escalation for a breach acknowledged meanwhile is not sent.
      const live = g.kind === 'escalation' ? alerts.filter((a) => !a.ack) : alerts;
      if (live.length === 0) continue;
      const n: Notification = {
        id: g.id,
        kind: g.kind,
        escalationStep: g.step,
        ...(g.unacknowledgedMin !== undefined ? { unacknowledgedMin: g.unacknowledgedMin } : {}),
        alerts: live.map((a) => summarize(a, this.o.agentOf)),
        ...(g.omitted ? { omittedAlerts: g.omitted } : {}),
      };
      try {
        await this.enqueue(ch, n, nowMs);
      } catch (err) {
        // The store could not be reached (a Redis blip): try again at the next flush, for a while.
        g.tries = (g.tries ?? 0) + 1;
        if (g.tries < MAX_FLUSH_TRIES) this.ready.push(g);
        else this.stats.dropped++;
        this.o.logger?.warn(`notifications: ${n.id} to ${ch.name} not queued yet (${(err as Error).message})${g.tries < MAX_FLUSH_TRIES ? '; trying again' : '; given up'}`);
      }
    }
  }

  private async pollOnce(): Promise<void> {
    if (this.closed) return;
    try {
      const nowMs = this.o.clock.now();
      const { channels } = await this.loadSettings();
      for (const t of this.tracked.values()) {
        if (t.alert.ack) t.escalations.clear();
        for (const [routeId, e] of t.escalations) {
          const dueMs = e.sinceMs + (e.step + 1) * e.afterMin * 60_000;
          if (nowMs < dueMs) continue;
          e.step++;
          this.propose(channels, e.route.channelIds[e.step], 'escalation', e.step, dueMs, t, 'breach', e.step * e.afterMin);
          if (e.step >= e.route.channelIds.length - 1) t.escalations.delete(routeId);
        }
        if (t.escalations.size === 0 && t.alert.status !== 'open') this.forget(t);
      }
      await this.claimCandidates(channels, nowMs);
      await this.flushGroups(channels, nowMs);
      this.pump();
    } catch (err) {
      this.o.logger?.error(`notifications: ${(err as Error).message}`);
    }
  }

  // ---------------------------------------------------------------- delivery

  private async audit(r: DeliveryRecord): Promise<void> {
    await this.o.audit({ atMs: r.updatedAtMs, actor: 'floorwatch', action: `notify.${r.status}`, after: r }).catch((err: Error) => this.o.logger?.error(`notifications: audit failed: ${err.message}`));
  }

  private async enqueue(ch: Channel, n: Notification, nowMs: number, onFirst?: (r: DeliveryRecord) => void): Promise<void> {
    // No claim here: each alert in it was claimed by this node alone before it joined the message.
    const record: DeliveryRecord = {
      id: n.id,
      channelId: ch.id,
      channelName: ch.name,
      kind: n.kind,
      escalationStep: n.escalationStep,
      alertIds: n.alerts.map((a) => a.id),
      status: 'pending',
      attempts: 0,
      lastError: null,
      createdAtMs: nowMs,
      updatedAtMs: nowMs,
      sentAtMs: null,
      nextAttemptAtMs: nowMs,
    };
    if (n.kind !== 'test' && inQuietHours(ch.quietHours, nowMs, this.o.timeZone())) {
      Object.assign(record, { status: 'suppressed', lastError: `quiet hours ${ch.quietHours?.from}–${ch.quietHours?.to}`, nextAttemptAtMs: null });
      this.stats.suppressed++;
      await this.o.store.saveDelivery(record);
      await this.audit(record);
      return;
    }
    if (this.queue.length >= this.maxQueue) {
      Object.assign(record, { status: 'failed', lastError: `send queue full (${this.maxQueue} waiting)`, nextAttemptAtMs: null });
      this.stats.dropped++;
      this.stats.failed++;
      await this.o.store.saveDelivery(record);
      await this.audit(record);
      onFirst?.(record);
      return;
    }
    await this.o.store.saveDelivery(record);
    this.queue.push({ channel: ch, notification: n, record, onFirst });
    this.stats.queued = this.queue.length;
    this.pump();
  }

  /** Starts every due job the in-flight limits allow. */
  private pump(): void {
    if (this.closed) return;
    const nowMs = this.o.clock.now();
    for (const job of [...this.queue]) {
      if (this.inFlight >= MAX_IN_FLIGHT) break;
      if ((job.record.nextAttemptAtMs ?? 0) > nowMs) continue;
      if ((this.inFlightPer.get(job.channel.id) ?? 0) >= MAX_IN_FLIGHT_PER_CHANNEL) continue;
      this.queue.splice(this.queue.indexOf(job), 1);
      this.inFlight++;
      this.inFlightPer.set(job.channel.id, (this.inFlightPer.get(job.channel.id) ?? 0) + 1);
      const p = this.attempt(job).finally(() => {
        this.inFlight--;
        this.inFlightPer.set(job.channel.id, (this.inFlightPer.get(job.channel.id) ?? 1) - 1);
        this.running.delete(p);
        this.stats.inFlight = this.inFlight;
        this.pump();
      });
      this.running.add(p);
    }
    this.stats.queued = this.queue.length;
    this.stats.inFlight = this.inFlight;
  }

  private async attempt(job: Job): Promise<void> {
    const r = job.record;
    r.attempts++;
    let error: string | undefined;
    try {
      await this.sender(job.channel, job.notification, { nowMs: this.o.clock.now(), timeZone: this.o.timeZone(), env: this.env });
    } catch (err) {
      error = (err as Error).message || 'failed';
    }
    const nowMs = this.o.clock.now();
    r.updatedAtMs = nowMs;
    if (error === undefined) {
      Object.assign(r, { status: 'sent', sentAtMs: nowMs, lastError: null, nextAttemptAtMs: null });
      this.stats.sent++;
    } else {
      r.lastError = redact(error, job.channel, this.env);
      const next = nowMs + backoffMs(r.attempts);
      // A test is tried once: the admin is looking at the answer.
      if (job.notification.kind === 'test' || next - r.createdAtMs > this.retryForMs) {
        Object.assign(r, { status: 'failed', nextAttemptAtMs: null });
        this.stats.failed++;
      } else {
        Object.assign(r, { status: 'retrying', nextAttemptAtMs: next });
        this.stats.retried++;
      }
      // The error with the channel's secret cut out; never the URL (a webhook's path may be its credential).
      this.o.logger?.warn(`notifications: ${job.notification.kind} ${r.id} to ${job.channel.name} (${job.channel.kind}) failed, attempt ${r.attempts}: ${r.lastError}; ${r.status === 'retrying' ? 'trying again later' : 'given up'}`);
    }
    await this.o.store.saveDelivery(r).catch((err: Error) => this.o.logger?.error(`notifications: saving a delivery record failed: ${err.message}`));
    if (r.status === 'retrying') this.queue.push(job);
    else await this.audit(r);
    job.onFirst?.({ ...r });
    job.onFirst = undefined;
  }
}

/**
 * The key of one notification: the same on every node that folds the same log.
 * Made of what every node agrees on (kind, channel, step, the first alert's
 * deterministic id and level), not of times, which a node's tick may see a
 * moment apart.
 */
export function notificationKey(kind: NotificationKind, channelId: string, step: number, firstAlertId: string, level: string): string {
  const h = createHash('sha256').update(`${kind}\n${channelId}\n${step}\n${firstAlertId}\n${level}`).digest('hex').slice(0, 24);
  return `${kind}-${h}`;
}

/**
 * The claim key of one alert's step to one channel (kind, channel, step, the
 * alert's deterministic id and level): every node that folds the same log
 * makes the same key, and the store lets exactly one of them have it.
 */
export function alertStepKey(kind: NotificationKind, channelId: string, step: number, alertId: string, level: string): string {
  const h = createHash('sha256').update(`${kind}\n${channelId}\n${step}\n${alertId}\n${level}`).digest('hex').slice(0, 32);
  return `step-${h}`;
}

/** An error text with the channel's secrets cut out, in case a library ever echoes one. */
function redact(text: string, ch: Channel, env: NodeJS.ProcessEnv): string {
  const secrets = ch.kind === 'email' ? [ch.password, ch.passwordEnv ? env[ch.passwordEnv] : undefined] : [ch.secret, ch.secretEnv ? env[ch.secretEnv] : undefined];
  let out = text;
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join('[secret]');
  return out.slice(0, 500);
}
