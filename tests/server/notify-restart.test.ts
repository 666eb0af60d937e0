/**
 * Escalation across a restart: the server stops, a new one starts on the same
 * SQLite file with the clock moved on, replays the log (sending nothing) and
 * rebuilds the escalations from the delivery records and the rebuilt alerts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteLog } from '../../server/log/sqlite.ts';
import type { DeliveryRecord, PublicChannel } from '../../server/notify/types.ts';
import { FakeClock, tempDbFile, VIEW_TOKEN, waitFor } from './harness.ts';
import { agentOn, api, holdWithoutAsking, post, startNotifyNode, startReceiver, type NotifyNode } from './notify-helpers.ts';

const SECRET = 'restart-webhook-secret-7';
let closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.reverse()) await c().catch(() => undefined);
  closers = [];
});

/** A node on the given SQLite file (its notification tables live there too). */
async function nodeOn(file: string, clock: FakeClock): Promise<NotifyNode> {
  const n = await startNotifyNode({ clock, log: openSqliteLog({ file, synchronous: 'normal' }) });
  let closed = false;
  const close = n.close.bind(n);
  n.close = async () => {
    if (closed) return;
    closed = true;
    await close();
  };
  closers.push(() => n.close());
  return n;
}
async function receivers(count: number) {
  const out = [];
  for (let i = 0; i < count; i++) {
    const r = await startReceiver(SECRET);
    closers.push(() => r.close());
    out.push(r);
  }
  return out;
}
/** Three channels on one route, escalating after `afterMin` minutes for holds without asking. */
async function setUp(n: NotifyNode, urls: string[], afterMin = 2): Promise<string[]> {
  const ids: string[] = [];
  for (const url of urls) {
    const res = await api(n.url, 'POST', '/api/admin/notify/channels', { cookie: n.adminCookie }, { kind: 'webhook', name: 'hook', url, secret: SECRET, groupWindowSec: 0 });
    expect(res.status, res.text).toBe(201);
    ids.push((res.body.data as PublicChannel).id);
  }
  const put = await api(n.url, 'PUT', '/api/admin/notify/routing', { cookie: n.adminCookie }, { routes: [{ id: 'r', ruleIds: ['hold-permission'], channelIds: ids }], escalation: { defaultMin: 5, perRule: { 'hold-permission': afterMin } } });
  expect(put.status, put.text).toBe(200);
  return ids;
}
async function advance(n: NotifyNode, ms: number): Promise<void> {
  n.clock.advance(ms);
  n.server.tickNow();
  await n.server.notifier.settle();
}
/** Time for a copy that should not come to arrive, if it were sent. */
const quiet = () => new Promise((r) => setTimeout(r, 300));
const alertIds = (body: Record<string, unknown>) => (body.alerts as { id: string }[]).map((a) => a.id);

describe('escalation across a restart', () => {
  it('escalates a notified, unacknowledged breach once after a restart, re-sends nothing, and leaves an acknowledged one alone', async () => {
    const file = tempDbFile();
    const [r1, r2, r3] = await receivers(3);
    const before = await nodeOn(file, new FakeClock());
    await setUp(before, [r1.url, r2.url, r3.url]);
    await post(before, [agentOn('A1', 'Ann', 'red'), agentOn('A2', 'Bo', 'red')]);
    await post(before, holdWithoutAsking('open1', 'A1', 10));
    await post(before, holdWithoutAsking('acked1', 'A2', 20));
    await waitFor(() => r1.got.length === 2, 3_000, 'both breaches on the first channel');
    const [openId, ackedId] = r1.got.map((g) => alertIds(g.body)[0]);
    const ack = await api(before.url, 'POST', `/api/alerts/${encodeURIComponent(ackedId)}/ack`, { bearer: VIEW_TOKEN }, { note: 'on it' });
    expect(ack.status).toBe(200);
    await before.server.notifier.settle();
    const stoppedAt = before.clock.t;
    await before.close();

    // Three minutes later (past the 2 minutes): the new server replays the same file.
    const after = await nodeOn(file, new FakeClock(stoppedAt + 3 * 60_000));
    expect(after.server.replayed).toBeGreaterThan(0);
    await waitFor(() => r2.got.length >= 1, 3_000, 'the escalation after the restart');
    await after.server.notifier.settle();
    await advance(after, 1_000);
    await quiet();
    expect(r2.got).toHaveLength(1);
    expect(r2.got[0].body).toMatchObject({ kind: 'escalation', escalationStep: 1, unacknowledgedMin: 2 });
    expect(alertIds(r2.got[0].body)).toEqual([openId]);
    expect(r1.got).toHaveLength(2); // the replay re-sent nothing
    expect(r3.got).toHaveLength(0);

    // The rebuilt schedule goes on: 2 minutes after the escalation, the third channel; nothing twice.
    await advance(after, 2 * 60_000);
    await waitFor(() => r3.got.length >= 1, 3_000, 'the second escalation');
    await advance(after, 10 * 60_000);
    await quiet();
    expect(r3.got).toHaveLength(1);
    expect(alertIds(r3.got[0].body)).toEqual([openId]);
    expect([r1.got.length, r2.got.length, r3.got.length]).toEqual([2, 1, 1]);
    const recs = (await api(after.url, 'GET', '/api/admin/notify/deliveries', { cookie: after.adminCookie })).body.data as DeliveryRecord[];
    expect(recs.filter((r) => r.kind === 'escalation').map((r) => [r.escalationStep, r.alertIds, r.status])).toEqual([
      [2, [openId], 'sent'],
      [1, [openId], 'sent'],
    ]);
  });

  it('does not send again an escalation already sent before the restart, and counts the next step from it', async () => {
    const file = tempDbFile();
    const [r1, r2, r3] = await receivers(3);
    const before = await nodeOn(file, new FakeClock());
    await setUp(before, [r1.url, r2.url, r3.url], 30);
    await post(before, [agentOn('A1', 'Ann', 'red'), ...holdWithoutAsking('c1', 'A1', 10)]);
    await waitFor(() => r1.got.length === 1, 3_000, 'the first channel');
    await advance(before, 30 * 60_000 + 1_000);
    await waitFor(() => r2.got.length === 1, 3_000, 'the escalation before the restart');
    const escalatedAt = before.clock.t;
    await before.close();

    // Restarted 25 minutes later, when the old claims have lapsed: only the record says step 1 was sent,
    // and step 2 is due 30 minutes after it.
    const after = await nodeOn(file, new FakeClock(escalatedAt + 25 * 60_000));
    await advance(after, 4 * 60_000);
    await quiet();
    expect([r1.got.length, r2.got.length, r3.got.length]).toEqual([1, 1, 0]);
    await advance(after, 61_000);
    await waitFor(() => r3.got.length === 1, 3_000, 'the second escalation after the restart');
    await advance(after, 10 * 60_000);
    await quiet();
    expect([r1.got.length, r2.got.length, r3.got.length]).toEqual([1, 1, 1]);
    expect(r3.got[0].body).toMatchObject({ kind: 'escalation', escalationStep: 2 });
  });
});
