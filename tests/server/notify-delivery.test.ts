/**
 * Notifications end to end on one node: a real HTTP receiver and a real SMTP
 * server on loopback, the admin API, a fake clock for grouping, escalation
 * and retries.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { DeliveryRecord, PublicChannel } from '../../server/notify/types.ts';
import { verifyWebhook } from '../../server/notify/webhook.ts';
import { SqliteNotifyStore } from '../../server/notify/store.ts';
import type { AuditEntry } from '../../server/log/store.ts';
import { VIEW_TOKEN, waitFor } from './harness.ts';
import { agentOn, AGENT, api, holdWithoutAsking, post, signIn, startNotifyNode, startReceiver, startSmtp, type NotifyNode } from './notify-helpers.ts';

const SECRET = 'shared-webhook-secret-42';
let closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.reverse()) await c().catch(() => undefined);
  closers = [];
});

async function node(o: Parameters<typeof startNotifyNode>[0] = {}): Promise<NotifyNode> {
  const n = await startNotifyNode(o);
  closers.push(() => n.close());
  return n;
}
async function receiver(secret: string | undefined, mode?: Parameters<typeof startReceiver>[1]) {
  const r = await startReceiver(secret, mode);
  closers.push(() => r.close());
  return r;
}
async function addWebhook(n: NotifyNode, url: string, extra: Record<string, unknown> = {}): Promise<PublicChannel> {
  const res = await api(n.url, 'POST', '/api/admin/notify/channels', { cookie: n.adminCookie }, { kind: 'webhook', name: 'hook', url, secret: SECRET, groupWindowSec: 0, ...extra });
  expect(res.status, res.text).toBe(201);
  return res.body.data as PublicChannel;
}
async function setRouting(n: NotifyNode, routing: unknown): Promise<void> {
  const res = await api(n.url, 'PUT', '/api/admin/notify/routing', { cookie: n.adminCookie }, routing);
  expect(res.status, res.text).toBe(200);
}
async function deliveries(n: NotifyNode): Promise<DeliveryRecord[]> {
  const res = await api(n.url, 'GET', '/api/admin/notify/deliveries', { cookie: n.adminCookie });
  return res.body.data as DeliveryRecord[];
}
/** Moves the fake clock and runs what is due at the new time. */
async function advance(n: NotifyNode, ms: number): Promise<void> {
  n.clock.advance(ms);
  n.server.tickNow();
  await n.server.notifier.settle();
}
const alertsOf = (body: Record<string, unknown>) => body.alerts as { id: string; ruleId: string; level: string; agentName?: string; team?: string; queueId?: string }[];

describe('webhook channels', () => {
  it('routes a breach by rule and level to a signed webhook that the receiver verifies, and records the delivery', async () => {
    const n = await node();
    const hook = await receiver(SECRET);
    const other = await receiver(SECRET);
    const ch = await addWebhook(n, hook.url);
    const ch2 = await addWebhook(n, other.url);
    await setRouting(n, {
      routes: [
        { id: 'holds', ruleIds: ['hold-permission'], levels: ['breach'], channelIds: [ch.id] },
        { id: 'rings', ruleIds: ['ring-limit'], levels: ['breach'], channelIds: [ch2.id] },
        { id: 'other-queue', ruleIds: ['hold-permission'], levels: ['breach'], queueIds: ['support'], channelIds: [ch2.id] },
      ],
    });
    await post(n, [agentOn('A1', 'Ann', 'red'), ...holdWithoutAsking('c1', 'A1', 10)]);
    await waitFor(() => hook.got.length === 1, 3_000, 'the webhook');
    await n.server.notifier.settle();
    const got = hook.got[0];
    expect(got.verified).toBe(true);
    // The server's own helper agrees, and refuses a replay an hour later or a changed body.
    const ts = String(got.headers['x-floorwatch-timestamp']);
    const sig = String(got.headers['x-floorwatch-signature']);
    expect(sig).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verifyWebhook(SECRET, got.raw, sig, ts, Number(ts))).toBe(true);
    expect(verifyWebhook(SECRET, got.raw, sig, ts, Number(ts) + 3_600_000)).toBe(false);
    expect(verifyWebhook(SECRET, got.raw.replace('hold', 'held'), sig, ts, Number(ts))).toBe(false);
    expect(verifyWebhook('another-secret', got.raw, sig, ts, Number(ts))).toBe(false);
    expect(got.body).toMatchObject({ version: 1, kind: 'alert', escalationStep: 0, channel: { id: ch.id, name: 'hook' } });
    expect(alertsOf(got.body)).toEqual([expect.objectContaining({ ruleId: 'hold-permission', level: 'breach', agentName: 'Ann', team: 'red', queueId: 'sales' })]);
    expect(String(got.body.text)).toContain('hold-permission');
    // Neither the ring route nor the route of another queue matched.
    expect(other.got).toHaveLength(0);
    const recs = await deliveries(n);
    expect(recs).toEqual([expect.objectContaining({ channelId: ch.id, kind: 'alert', status: 'sent', attempts: 1, lastError: null })]);
    const audit = (await api(n.url, 'GET', '/api/admin/audit', { cookie: n.adminCookie })).body.data as AuditEntry[];
    expect(audit.some((e) => e.action === 'notify.sent' && (e.after as DeliveryRecord).id === recs[0].id)).toBe(true);
  });

  it('sends the Slack/Teams text form when asked', async () => {
    const n = await node();
    const hook = await receiver(SECRET);
    const ch = await addWebhook(n, hook.url, { format: 'text' });
    await setRouting(n, { routes: [{ id: 'r', ruleIds: ['hold-permission'], channelIds: [ch.id] }] });
    await post(n, [agentOn('A1', 'Ann', 'red'), ...holdWithoutAsking('c1', 'A1', 10)]);
    await waitFor(() => hook.got.length === 1, 3_000, 'the webhook');
    expect(Object.keys(hook.got[0].body)).toEqual(['text']);
    expect(String(hook.got[0].body.text)).toMatch(/BREACH hold-permission agent Ann \(A1\) queue sales/);
    expect(hook.got[0].verified).toBe(true);
  });

  it('groups a burst of 10 breaches within 30 s into one message listing them', async () => {
    const n = await node();
    const hook = await receiver(SECRET);
    const ch = await addWebhook(n, hook.url, { groupWindowSec: 30 });
    await setRouting(n, { routes: [{ id: 'r', ruleIds: ['hold-permission'], channelIds: [ch.id] }] });
    await post(n, [agentOn('A1', 'Ann', 'red')]);
    for (let i = 0; i < 10; i++) await post(n, holdWithoutAsking(`b${i}`, 'A1', 10 + i * 2));
    await n.server.notifier.settle();
    expect(hook.got).toHaveLength(0); // the window is still open
    await advance(n, 35_000);
    await waitFor(() => hook.got.length === 1, 3_000, 'the grouped message');
    expect(alertsOf(hook.got[0].body)).toHaveLength(10);
    expect(String(hook.got[0].body.text)).toContain('10 alerts');
    await advance(n, 60_000);
    expect(hook.got).toHaveLength(1);
    expect((await deliveries(n))[0].alertIds).toHaveLength(10);
  });

  it('keeps quiet hours in the floor time zone: suppressed and recorded, while another channel is sent to', async () => {
    const n = await node(); // T0 is 09:00 UTC; the floor's time zone is UTC
    const quiet = await receiver(SECRET);
    const awake = await receiver(SECRET);
    const q = await addWebhook(n, quiet.url, { quietHours: { from: '08:00', to: '10:00' } });
    const a = await addWebhook(n, awake.url, { quietHours: { from: '22:00', to: '07:00' } });
    await setRouting(n, { routes: [{ id: 'r', channelIds: [q.id] }, { id: 'r2', channelIds: [a.id] }] });
    await post(n, [agentOn('A1', 'Ann', 'red'), ...holdWithoutAsking('c1', 'A1', 10)]);
    await waitFor(() => awake.got.length === 1, 3_000, 'the awake channel');
    await n.server.notifier.settle();
    expect(quiet.got).toHaveLength(0);
    const recs = await deliveries(n);
    expect(recs.find((r) => r.channelId === q.id)).toMatchObject({ status: 'suppressed', lastError: 'quiet hours 08:00–10:00' });
    expect(recs.find((r) => r.channelId === a.id)).toMatchObject({ status: 'sent' });
  });
});

describe('escalation', () => {
  it('sends an unacknowledged breach to the next channel after the rule’s minutes, and stops when it is acknowledged', async () => {
    const n = await node();
    const [r1, r2, r3] = [await receiver(SECRET), await receiver(SECRET), await receiver(SECRET)];
    const c1 = await addWebhook(n, r1.url);
    const c2 = await addWebhook(n, r2.url);
    const c3 = await addWebhook(n, r3.url);
    await setRouting(n, { routes: [{ id: 'r', ruleIds: ['hold-permission'], channelIds: [c1.id, c2.id, c3.id] }], escalation: { defaultMin: 5, perRule: { 'hold-permission': 2 } } });
    await post(n, [agentOn('A1', 'Ann', 'red'), ...holdWithoutAsking('c1', 'A1', 10)]);
    await waitFor(() => r1.got.length === 1, 3_000, 'the first channel');
    await advance(n, 60_000);
    expect(r2.got).toHaveLength(0); // one minute: not yet
    await advance(n, 61_000);
    await waitFor(() => r2.got.length === 1, 3_000, 'the escalation');
    expect(r2.got[0].body).toMatchObject({ kind: 'escalation', escalationStep: 1, unacknowledgedMin: 2 });
    const alertId = alertsOf(r2.got[0].body)[0].id;
    const ack = await api(n.url, 'POST', `/api/alerts/${encodeURIComponent(alertId)}/ack`, { bearer: VIEW_TOKEN }, { note: 'on it' });
    expect(ack.status).toBe(200);
    await n.server.notifier.settle();
    await advance(n, 10 * 60_000);
    expect(r3.got).toHaveLength(0);
    expect(r1.got).toHaveLength(1);
  });

  it('escalates after the default 5 minutes and goes on to the third channel while nobody acknowledges', async () => {
    const n = await node();
    const [r1, r2, r3] = [await receiver(SECRET), await receiver(SECRET), await receiver(SECRET)];
    const ids = [(await addWebhook(n, r1.url)).id, (await addWebhook(n, r2.url)).id, (await addWebhook(n, r3.url)).id];
    await setRouting(n, { routes: [{ id: 'r', ruleIds: ['hold-permission'], channelIds: ids }] });
    await post(n, [agentOn('A1', 'Ann', 'red'), ...holdWithoutAsking('c1', 'A1', 10)]);
    await waitFor(() => r1.got.length === 1, 3_000, 'the first channel');
    await advance(n, 4 * 60_000 + 50_000);
    expect(r2.got).toHaveLength(0);
    await advance(n, 15_000);
    await waitFor(() => r2.got.length === 1, 3_000, 'the second channel');
    await advance(n, 5 * 60_000);
    await waitFor(() => r3.got.length === 1, 3_000, 'the third channel');
    expect(r3.got[0].body).toMatchObject({ kind: 'escalation', escalationStep: 2, unacknowledgedMin: 10 });
  });

  it('sends the breach a warning grows into, and counts the escalation from the breach, not from the warning', async () => {
    const n = await node();
    const [r1, r2] = [await receiver(SECRET), await receiver(SECRET)];
    const c1 = await addWebhook(n, r1.url);
    const c2 = await addWebhook(n, r2.url);
    await setRouting(n, { routes: [{ id: 'waits', ruleIds: ['queue-wait'], levels: ['breach'], channelIds: [c1.id, c2.id] }], escalation: { defaultMin: 5, perRule: { 'queue-wait': 2 } } });
    const T = n.clock.t;
    await post(n, [agentOn('A1', 'Ann', 'red'), { type: 'call.queued', id: 'ww1', at: T + 1_000, callId: 'w1', queueId: 'sales' }]);
    n.clock.t = T + 65_000;
    n.server.tickNow();
    await n.server.notifier.settle();
    expect(r1.got).toHaveLength(0); // a warning: not routed here
    n.clock.t = T + 125_000;
    n.server.tickNow();
    await waitFor(() => r1.got.length === 1, 3_000, 'the breach');
    expect(alertsOf(r1.got[0].body)[0]).toMatchObject({ ruleId: 'queue-wait', level: 'breach' });
    // Two minutes from the warning have passed, not two from the breach.
    n.clock.t = T + 235_000;
    n.server.tickNow();
    await n.server.notifier.settle();
    expect(r2.got).toHaveLength(0);
    n.clock.t = T + 250_000;
    n.server.tickNow();
    await waitFor(() => r2.got.length === 1, 3_000, 'the escalation');
    expect(r2.got[0].body).toMatchObject({ kind: 'escalation', escalationStep: 1 });
  });

  it('sends an all clear when the alert ends, only to channels that asked for it', async () => {
    const n = await node();
    const wants = await receiver(SECRET);
    const not = await receiver(SECRET);
    const w = await addWebhook(n, wants.url, { allClear: true });
    const x = await addWebhook(n, not.url, { allClear: false });
    await setRouting(n, { routes: [{ id: 'r', ruleIds: ['queue-wait'], levels: ['breach'], channelIds: [w.id] }, { id: 'r2', ruleIds: ['queue-wait'], levels: ['breach'], channelIds: [x.id] }] });
    const T = n.clock.t;
    await post(n, [agentOn('A1', 'Ann', 'red'), { type: 'call.queued', id: 'q1', at: T + 1_000, callId: 'w1', queueId: 'sales' }]);
    n.clock.t = T + 125_000;
    n.server.tickNow();
    await waitFor(() => wants.got.length === 1 && not.got.length === 1, 3_000, 'the queue-wait breach');
    expect(alertsOf(wants.got[0].body)[0]).toMatchObject({ ruleId: 'queue-wait', level: 'breach' });
    await post(n, [
      { type: 'call.ringing', id: 'q2', at: T + 126_000, callId: 'w1', agentId: 'A1' },
      { type: 'call.answered', id: 'q3', at: T + 127_000, callId: 'w1', agentId: 'A1' },
    ]);
    await waitFor(() => wants.got.length === 2, 3_000, 'the all clear');
    expect(wants.got[1].body).toMatchObject({ kind: 'all-clear' });
    expect(String(wants.got[1].body.text)).toContain('all clear');
    await advance(n, 60_000);
    expect(not.got).toHaveLength(1);
  });
});

describe('delivery', () => {
  it('retries with exponential backoff and records each attempt until it is sent', async () => {
    const n = await node();
    const hook = await receiver(SECRET, 2); // 500, 500, then 204
    const ch = await addWebhook(n, hook.url);
    await setRouting(n, { routes: [{ id: 'r', ruleIds: ['hold-permission'], channelIds: [ch.id] }] });
    await post(n, [agentOn('A1', 'Ann', 'red'), ...holdWithoutAsking('c1', 'A1', 10)]);
    await waitFor(() => hook.got.length === 1, 3_000, 'the first attempt');
    await n.server.notifier.settle();
    const first = (await deliveries(n))[0];
    expect(first).toMatchObject({ status: 'retrying', attempts: 1, lastError: 'receiver answered HTTP 500', nextAttemptAtMs: n.clock.t + 5_000 });
    await advance(n, 4_000);
    expect(hook.got).toHaveLength(1); // not before the backoff
    await advance(n, 1_000);
    await waitFor(() => hook.got.length === 2, 3_000, 'the second attempt');
    await n.server.notifier.settle();
    expect((await deliveries(n))[0]).toMatchObject({ status: 'retrying', attempts: 2, nextAttemptAtMs: n.clock.t + 10_000 });
    await advance(n, 10_000);
    await waitFor(() => hook.got.length === 3, 3_000, 'the third attempt');
    await n.server.notifier.settle();
    expect((await deliveries(n))[0]).toMatchObject({ status: 'sent', attempts: 3, lastError: null, sentAtMs: n.clock.t });
    // The same notification id on every attempt: a receiver can drop a repeat.
    expect(new Set(hook.got.map((g) => g.body.id)).size).toBe(1);
  });

  it('gives up after the retry span and records the failure with its reason in the audit trail', async () => {
    const n = await node({ notify: { retryForMs: 60_000 } });
    const hook = await receiver(SECRET, 'fail');
    const ch = await addWebhook(n, hook.url);
    await setRouting(n, { routes: [{ id: 'r', ruleIds: ['hold-permission'], channelIds: [ch.id] }] });
    await post(n, [agentOn('A1', 'Ann', 'red'), ...holdWithoutAsking('c1', 'A1', 10)]);
    await waitFor(() => hook.got.length === 1, 3_000, 'the first attempt');
    // Attempts at 0, 5, 15 and 35 s; the next would be at 75 s, past the 60 s span.
    for (let i = 0; i < 30; i++) await advance(n, 5_000);
    const rec = (await deliveries(n))[0];
    expect(rec).toMatchObject({ status: 'failed', lastError: 'receiver answered HTTP 500' });
    expect(rec.attempts).toBe(4);
    expect(hook.got).toHaveLength(4);
    const audit = (await api(n.url, 'GET', '/api/admin/audit', { cookie: n.adminCookie })).body.data as AuditEntry[];
    expect(audit.find((e) => e.action === 'notify.failed')?.after).toMatchObject({ id: rec.id, status: 'failed' });
  });

  it('keeps a notification whose claim could not reach the store and queues it at a later flush', async () => {
    class FlakyStore extends SqliteNotifyStore {
      failures = 2;
      override async claim(key: string, owner: string, ttlMs: number, nowMs: number): Promise<boolean> {
        if (this.failures-- > 0) throw new Error('store unreachable');
        return super.claim(key, owner, ttlMs, nowMs);
      }
    }
    const store = new FlakyStore(':memory:');
    closers.push(() => store.close());
    const n = await node({ notify: { store } });
    const hook = await receiver(SECRET);
    const ch = await addWebhook(n, hook.url);
    await setRouting(n, { routes: [{ id: 'r', ruleIds: ['hold-permission'], channelIds: [ch.id] }] });
    await post(n, [agentOn('A1', 'Ann', 'red'), ...holdWithoutAsking('c1', 'A1', 10)]);
    await n.server.notifier.settle();
    expect(hook.got).toHaveLength(0);
    await advance(n, 1_000);
    expect(hook.got).toHaveLength(0);
    await advance(n, 1_000);
    await waitFor(() => hook.got.length === 1, 3_000, 'the notification after the store came back');
    expect(n.logged.some((l) => l.includes('not queued yet (store unreachable); trying again'))).toBe(true);
  });

  it('never slows ingest or the live push when a channel never answers', async () => {
    const n = await node();
    const dead = await receiver(SECRET, 'hang');
    const ch = await addWebhook(n, dead.url);
    await setRouting(n, { routes: [{ id: 'r', levels: ['warn', 'breach'], channelIds: [ch.id] }] });
    const { io } = await import('socket.io-client');
    const live = io(`${n.url}/live`, { auth: { scope: 'floor', token: VIEW_TOKEN }, transports: ['websocket'], reconnection: false, forceNew: true });
    closers.push(async () => void live.close());
    const seen = new Set<string>();
    live.on('live:delta', (d: { alerts?: { callId?: string }[] }) => d.alerts?.forEach((a) => a.callId && seen.add(a.callId)));
    await new Promise((r) => live.once('live:snapshot', r));
    await post(n, [agentOn('A1', 'Ann', 'red')]);
    const slowest: number[] = [];
    for (let i = 0; i < 30; i++) {
      const t0 = performance.now();
      expect(await post(n, holdWithoutAsking(`d${i}`, 'A1', 10 + i * 3))).toBe(200);
      slowest.push(performance.now() - t0);
      const callId = `d${i}`;
      await waitFor(() => seen.has(callId), 1_000, `the live push of ${callId}`);
    }
    // Every batch was accepted at once and pushed at once, though every send hangs.
    expect(Math.max(...slowest)).toBeLessThan(500);
    await waitFor(() => dead.got.length >= 2, 3_000, 'sends reaching the dead receiver');
    expect(n.server.notifier.stats.inFlight).toBeLessThanOrEqual(2); // its share, not every slot
  });
});

describe('email over SMTP', () => {
  it('sends a breach and a test message through a real SMTP server, the password read from the environment', async () => {
    const smtp = await startSmtp('floor-mailer', 'smtp-pass-from-env');
    closers.push(() => smtp.close());
    const n = await node({ notify: { env: { FW_SMTP_PASSWORD: 'smtp-pass-from-env' } } });
    const res = await api(n.url, 'POST', '/api/admin/notify/channels', { cookie: n.adminCookie }, {
      kind: 'email',
      name: 'supervisors',
      host: '127.0.0.1',
      port: smtp.port,
      tls: 'none',
      user: 'floor-mailer',
      passwordEnv: 'FW_SMTP_PASSWORD',
      from: 'floorwatch@example.com',
      to: ['sup@example.com', 'lead@example.com'],
      groupWindowSec: 0,
    });
    expect(res.status, res.text).toBe(201);
    const ch = res.body.data as PublicChannel;
    const test = await api(n.url, 'POST', `/api/admin/notify/channels/${ch.id}/test`, { cookie: n.adminCookie });
    expect(test.body.data).toMatchObject({ status: 'sent', kind: 'test', attempts: 1 });
    expect(smtp.mails).toHaveLength(1);
    expect(smtp.mails[0].raw).toContain('Subject: Floorwatch: test message');
    await setRouting(n, { routes: [{ id: 'r', ruleIds: ['hold-permission'], channelIds: [ch.id] }] });
    await post(n, [agentOn('A1', 'Ann', 'red'), ...holdWithoutAsking('c1', 'A1', 10)]);
    await waitFor(() => smtp.mails.length === 2, 5_000, 'the alert email');
    const mail = smtp.mails[1];
    expect(mail).toMatchObject({ from: 'floorwatch@example.com', to: ['sup@example.com', 'lead@example.com'], user: 'floor-mailer' });
    expect(mail.raw).toContain('Subject: Floorwatch: breach hold-permission');
    expect(mail.raw).toContain('agent Ann (A1) queue sales');
  });

  it('refuses to send in clear when STARTTLS is required and the server does not offer it', async () => {
    const smtp = await startSmtp('floor-mailer', 'smtp-pass');
    closers.push(() => smtp.close());
    const n = await node();
    const res = await api(n.url, 'POST', '/api/admin/notify/channels', { cookie: n.adminCookie }, {
      kind: 'email', name: 'm', host: '127.0.0.1', port: smtp.port, tls: 'starttls', user: 'floor-mailer', password: 'smtp-pass', from: 'fw@example.com', to: ['a@example.com'],
    });
    const test = await api(n.url, 'POST', `/api/admin/notify/channels/${(res.body.data as PublicChannel).id}/test`, { cookie: n.adminCookie });
    expect(test.body.data).toMatchObject({ status: 'failed' });
    expect(String((test.body.data as DeliveryRecord).lastError)).toMatch(/STARTTLS/i);
    expect(smtp.mails).toHaveLength(0);
  });

  it('records a wrong password as a failed test with the server’s reason, without the password', async () => {
    const smtp = await startSmtp('floor-mailer', 'the-right-one');
    closers.push(() => smtp.close());
    const n = await node();
    const res = await api(n.url, 'POST', '/api/admin/notify/channels', { cookie: n.adminCookie }, {
      kind: 'email', name: 'm', host: '127.0.0.1', port: smtp.port, tls: 'none', user: 'floor-mailer', password: 'wrong-password-xyz', from: 'fw@example.com', to: ['a@example.com'],
    });
    const ch = res.body.data as PublicChannel;
    const test = await api(n.url, 'POST', `/api/admin/notify/channels/${ch.id}/test`, { cookie: n.adminCookie });
    expect(test.body.data).toMatchObject({ status: 'failed' });
    expect(String((test.body.data as DeliveryRecord).lastError)).toMatch(/EAUTH|535|Invalid/);
    expect(test.text).not.toContain('wrong-password-xyz');
    expect(smtp.mails).toHaveLength(0);
  });
});

describe('admin API', () => {
  it('never returns, audits or logs a secret: "set" or "not set" only', async () => {
    const n = await node();
    const hook = await receiver(SECRET, 'fail');
    const email = await api(n.url, 'POST', '/api/admin/notify/channels', { cookie: n.adminCookie }, {
      kind: 'email', name: 'm', host: '127.0.0.1', port: 1, tls: 'none', user: 'u', password: 'smtp-password-shh', from: 'fw@example.com', to: ['a@example.com'],
    });
    expect(email.status, email.text).toBe(201);
    const ch = await addWebhook(n, hook.url);
    expect(ch).toMatchObject({ secret: 'set' });
    expect(email.body.data).toMatchObject({ password: 'set' });
    // An update without the secret keeps it; '' clears it.
    const emailId = (email.body.data as PublicChannel).id;
    const kept = await api(n.url, 'PUT', `/api/admin/notify/channels/${emailId}`, { cookie: n.adminCookie }, { kind: 'email', name: 'm2', host: '127.0.0.1', port: 1, tls: 'none', user: 'u', from: 'fw@example.com', to: ['a@example.com'] });
    expect(kept.body.data).toMatchObject({ name: 'm2', password: 'set' });
    await setRouting(n, { routes: [{ id: 'r', channelIds: [ch.id, emailId] }] });
    await post(n, [agentOn('A1', 'Ann', 'red'), ...holdWithoutAsking('c1', 'A1', 10)]);
    await waitFor(() => hook.got.length === 1, 3_000, 'the webhook');
    await api(n.url, 'POST', `/api/admin/notify/channels/${emailId}/test`, { cookie: n.adminCookie });
    const texts = [
      (await api(n.url, 'GET', '/api/admin/notify/channels', { cookie: n.adminCookie })).text,
      (await api(n.url, 'GET', '/api/admin/notify/deliveries', { cookie: n.adminCookie })).text,
      (await api(n.url, 'GET', '/api/admin/audit', { cookie: n.adminCookie })).text,
      (await api(n.url, 'GET', '/api/health', { cookie: n.adminCookie })).text,
      n.logged.join('\n'),
    ];
    for (const t of texts) {
      expect(t).not.toContain('smtp-password-shh');
      expect(t).not.toContain(SECRET);
    }
    expect(texts[2]).toContain('notify.channel-create');
    const cleared = await api(n.url, 'PUT', `/api/admin/notify/channels/${emailId}`, { cookie: n.adminCookie }, { kind: 'email', name: 'm2', host: '127.0.0.1', port: 1, tls: 'none', user: 'u', password: '', from: 'fw@example.com', to: ['a@example.com'] });
    expect(cleared.body.data).toMatchObject({ password: 'not set' });
  });

  it('refuses non-admins on every endpoint: supervisors and agents 403, nobody 401', async () => {
    const n = await node();
    const agentCookie = await signIn(n.url, AGENT.username, AGENT.password);
    const calls: [string, string, unknown?][] = [
      ['GET', '/api/admin/notify/channels'],
      ['POST', '/api/admin/notify/channels', { kind: 'webhook', name: 'x', url: 'https://example.com/h' }],
      ['PUT', '/api/admin/notify/channels/ch-1', { kind: 'webhook', name: 'x', url: 'https://example.com/h' }],
      ['DELETE', '/api/admin/notify/channels/ch-1'],
      ['POST', '/api/admin/notify/channels/ch-1/test'],
      ['GET', '/api/admin/notify/routing'],
      ['PUT', '/api/admin/notify/routing', { routes: [] }],
      ['GET', '/api/admin/notify/deliveries'],
    ];
    for (const [method, path, body] of calls) {
      expect((await api(n.url, method, path, { bearer: VIEW_TOKEN }, body)).status, `${method} ${path} as supervisor`).toBe(403);
      expect((await api(n.url, method, path, { cookie: agentCookie }, body)).status, `${method} ${path} as agent`).toBe(403);
      expect((await api(n.url, method, path, null, body)).status, `${method} ${path} signed out`).toBe(401);
    }
    expect((await api(n.url, 'GET', '/api/admin/notify/channels', { cookie: n.adminCookie })).body.data).toEqual([]);
  });

  it('refuses bad input with a clear reason: plain http off loopback, unknown channels, bad quiet hours', async () => {
    const n = await node();
    const bad = await api(n.url, 'POST', '/api/admin/notify/channels', { cookie: n.adminCookie }, { kind: 'webhook', name: 'x', url: 'http://example.com/hook' });
    expect(bad).toMatchObject({ status: 400, body: { error: 'url: must be https:// (plain http only to a loopback address)' } });
    const hours = await api(n.url, 'POST', '/api/admin/notify/channels', { cookie: n.adminCookie }, { kind: 'webhook', name: 'x', url: 'https://example.com/h', quietHours: { from: '25:00', to: '07:00' } });
    expect(hours.status).toBe(400);
    expect(hours.body.error).toContain('quietHours.from');
    const route = await api(n.url, 'PUT', '/api/admin/notify/routing', { cookie: n.adminCookie }, { routes: [{ id: 'r', channelIds: ['ch-nope'] }] });
    expect(route).toMatchObject({ status: 400, body: { error: 'routes.r: no channel "ch-nope"' } });
    const rule = await api(n.url, 'PUT', '/api/admin/notify/routing', { cookie: n.adminCookie }, { routes: [{ id: 'r', ruleIds: ['no-such-rule'], channelIds: ['x'] }] });
    expect(rule.status).toBe(400);
    const created = await addWebhook(n, 'https://example.com/h');
    const del = await api(n.url, 'DELETE', `/api/admin/notify/channels/${created.id}`, { cookie: n.adminCookie });
    expect(del.status).toBe(200);
    expect((await api(n.url, 'DELETE', `/api/admin/notify/channels/${created.id}`, { cookie: n.adminCookie })).status).toBe(404);
  });
});
