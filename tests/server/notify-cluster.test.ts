/**
 * Two Floorwatch nodes on one Redis prefix: both fold every breach, both
 * route it, and exactly one sends each notification (a claim with SET NX PX).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { openRedisLog, type RedisLog } from '../../server/log/redis.ts';
import { RedisNotifyStore } from '../../server/notify/store.ts';
import type { DeliveryRecord, PublicChannel } from '../../server/notify/types.ts';
import { FakeClock, redisReachable, waitFor } from './harness.ts';
import { agentOn, api, holdWithoutAsking, post, startNotifyNode, startReceiver, type NotifyNode } from './notify-helpers.ts';

const redisUp = await redisReachable('the two-node notification test needs Redis on 127.0.0.1:6379');
const SECRET = 'cluster-secret-1';

let closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.reverse()) await c().catch(() => undefined);
  closers = [];
});

async function clusterNode(prefix: string, clock: FakeClock): Promise<NotifyNode> {
  const log: RedisLog = await openRedisLog({ url: 'redis://127.0.0.1:6379', prefix });
  const store = await RedisNotifyStore.open({ url: 'redis://127.0.0.1:6379', prefix });
  const n = await startNotifyNode({ clock, log, notify: { store } });
  closers.push(async () => {
    await n.server.close();
    await log.purge().catch(() => undefined);
    await log.close();
    await store.close();
    n.auth.close();
  });
  return n;
}

/**
 * Two nodes on one fresh Redis prefix sharing a fake clock, two signed-webhook receivers, and on
 * node A two channels to them (`groupWindowSec`) routed for hold-permission in that order (escalation 3 min).
 */
async function twoNodesRouted(groupWindowSec: number) {
  const prefix = `fw-notify-${process.pid}-${Math.random().toString(36).slice(2)}`;
  const clock = new FakeClock();
  const a = await clusterNode(prefix, clock);
  const b = await clusterNode(prefix, clock);
  const first = await startReceiver(SECRET);
  const second = await startReceiver(SECRET);
  closers.push(() => first.close(), () => second.close());
  const channel = async (name: string, url: string) =>
    (await api(a.url, 'POST', '/api/admin/notify/channels', { cookie: a.adminCookie }, { kind: 'webhook', name, url, secret: SECRET, groupWindowSec })).body.data as PublicChannel;
  const ch1 = await channel('first', first.url);
  const ch2 = await channel('second', second.url);
  const put = await api(a.url, 'PUT', '/api/admin/notify/routing', { cookie: a.adminCookie }, { routes: [{ id: 'r', ruleIds: ['hold-permission'], channelIds: [ch1.id, ch2.id] }], escalation: { defaultMin: 3, perRule: {} } });
  expect(put.status, put.text).toBe(200);
  return { clock, a, b, first, second, ch1, ch2 };
}

describe.skipIf(!redisUp)('notifications on two nodes', () => {
  it('sends one notification per breach, and one escalation, whichever node ingested it', async () => {
    // Configured on node A, in force on node B (the store is shared).
    const { clock, a, b, first, second, ch1, ch2 } = await twoNodesRouted(0);
    expect(((await api(b.url, 'GET', '/api/admin/notify/channels', { cookie: b.adminCookie })).body.data as PublicChannel[]).map((c) => c.id).sort()).toEqual([ch1.id, ch2.id].sort());

    await post(a, [agentOn('A1', 'Ann', 'red')]);
    // Five breaches, on either node, at different times.
    for (let i = 0; i < 5; i++) await post(i % 2 ? b : a, holdWithoutAsking(`k${i}`, 'A1', 10 + i * 5));
    await waitFor(() => a.server.state().recentAlerts.filter((x) => x.ruleId === 'hold-permission').length === 5, 3_000, 'node A folding the breaches');
    await waitFor(() => b.server.state().recentAlerts.filter((x) => x.ruleId === 'hold-permission').length === 5, 3_000, 'node B folding the breaches');
    await waitFor(() => first.got.length >= 5, 5_000, 'five notifications');
    await a.server.notifier.settle();
    await b.server.notifier.settle();
    await new Promise((r) => setTimeout(r, 500)); // time for a second copy to arrive, if one were sent
    expect(first.got).toHaveLength(5);
    expect(new Set(first.got.map((g) => (g.body.alerts as { id: string }[])[0].id)).size).toBe(5);
    expect(first.got.every((g) => g.verified)).toBe(true);
    // Both nodes routed every breach; the claims split the sending between them.
    const sa = a.server.notifier.stats;
    const sb = b.server.notifier.stats;
    expect(sa.sent + sb.sent).toBe(5);
    expect(sa.claimedElsewhere + sb.claimedElsewhere).toBe(5);

    // Three minutes unacknowledged: both nodes find the escalations due; one sends each.
    clock.advance(3 * 60_000 + 30_000);
    a.server.tickNow();
    b.server.tickNow();
    await waitFor(() => second.got.length >= 1, 5_000, 'the escalation');
    await a.server.notifier.settle();
    await b.server.notifier.settle();
    await new Promise((r) => setTimeout(r, 500));
    const escalated = second.got.flatMap((g) => (g.body.alerts as { id: string }[]).map((x) => x.id));
    expect(escalated.sort()).toEqual([...new Set(escalated)].sort());
    expect(escalated).toHaveLength(5);
    // Every delivery is on record once, visible from either node.
    const recs = (await api(b.url, 'GET', '/api/admin/notify/deliveries', { cookie: b.adminCookie })).body.data as DeliveryRecord[];
    expect(recs.filter((r) => r.channelId === ch1.id && r.status === 'sent')).toHaveLength(5);
    expect(recs.filter((r) => r.kind === 'escalation' && r.status === 'sent').length).toBe(second.got.length);
  });

  it('puts each alert of a burst ingested half on each node at once into exactly one message, and escalates each once', async () => {
    // A 30 s window: the whole burst is one group, however each node's reader happens to fold it.
    const { clock, a, b, first, second } = await twoNodesRouted(30);
    await post(a, [agentOn('A1', 'Ann', 'red'), agentOn('A2', 'Bo', 'blue')]);

    // Twelve breaches within 24 s; the even ones posted to node A, the odd ones to node B, all at once.
    const count = 12;
    await Promise.all(Array.from({ length: count }, (_, i) => post(i % 2 ? b : a, holdWithoutAsking(`burst${i}`, i % 2 ? 'A2' : 'A1', 10 + i * 2))));
    const holds = (n: NotifyNode) => n.server.state().recentAlerts.filter((x) => x.ruleId === 'hold-permission').length;
    await waitFor(() => holds(a) === count && holds(b) === count, 5_000, 'both nodes folding the burst');
    await a.server.notifier.settle();
    await b.server.notifier.settle();
    const tickBoth = async (ms: number) => {
      clock.advance(ms);
      a.server.tickNow();
      b.server.tickNow();
      await a.server.notifier.settle();
      await b.server.notifier.settle();
    };
    await tickBoth(60_000); // past the window and its grace
    const idsIn = (got: { body: Record<string, unknown> }[]) => got.flatMap((g) => (g.body.alerts as { id: string }[]).map((x) => x.id));
    await waitFor(() => idsIn(first.got).length >= count, 5_000, 'every alert of the burst');
    await new Promise((r) => setTimeout(r, 500)); // time for a second copy to arrive, if one were sent
    const told = idsIn(first.got);
    expect(told).toHaveLength(count);
    expect(new Set(told).size).toBe(count);
    expect(first.got.every((g) => g.verified && g.body.kind === 'alert')).toBe(true);
    // Each node claimed some alerts and lost the others: together, every alert once.
    expect(a.server.notifier.stats.claimedElsewhere + b.server.notifier.stats.claimedElsewhere).toBe(count);

    await tickBoth(3 * 60_000);
    await tickBoth(1_000);
    await waitFor(() => idsIn(second.got).length >= count, 5_000, 'every escalation');
    await new Promise((r) => setTimeout(r, 500));
    const escalated = idsIn(second.got);
    expect(escalated).toHaveLength(count);
    expect(new Set(escalated).size).toBe(count);
    expect(new Set(escalated)).toEqual(new Set(told));
  });
});
