/**
 * Demo mode opens the floor to anyone: an acknowledgement made there is marked
 * as a demo visitor's (in the alert and the audit trail), never passed off as
 * a supervisor's.
 */
import { describe, expect, it } from 'vitest';
import { closeHarnessesAfterEach, ev, postEvents, VIEW_TOKEN, type Harness } from './harness.ts';
import { DEMO_ACTOR } from '../../server/alert-commands.ts';
import type { Alert } from '../../shared/state.ts';

const { start, live } = closeHarnessesAfterEach();

/** A hold without asking: one breach alert on the floor. Resolves with its id. */
async function breach(h: Harness): Promise<string> {
  const r = await postEvents(h, [ev.agent('1001', 'available', 0, { name: 'Ada' }), ev.queued('c1', 'sales', 1), ev.ringing('c1', '1001', 2), ev.answered('c1', '1001', 3, { ringCount: 1 }), ev.hold('c1', 10, false)]);
  expect(r.body.data?.rejected).toEqual([]);
  const alerts = await fetch(`${h.url}/api/alerts`, { headers: { authorization: `Bearer ${VIEW_TOKEN}` } }).then((x) => x.json() as Promise<{ data: Alert[] }>);
  const a = alerts.data.find((x) => x.ruleId === 'hold-permission');
  expect(a).toBeDefined();
  return (a as Alert).id;
}

describe('demo acknowledgements', () => {
  it('marks an anonymous demo visitor’s acknowledgement over the socket as a demo one', async () => {
    const h = await start({ demo: true });
    const id = await breach(h);
    const c = live(h, {});
    await c.firstSnapshot;
    const r = await c.socket.timeout(3_000).emitWithAck('alert:acknowledge', { alertId: id, note: 'seen' });
    expect(r).toMatchObject({ ok: true, data: { ack: { by: DEMO_ACTOR } } });
    // The audit line is written before the reply.
    const audit = await h.log.listAudit();
    const line = audit.find((e) => e.action === 'alert.acknowledge');
    expect(line?.actor).toBe(DEMO_ACTOR);
    expect(line?.after).toMatchObject({ demo: true, ack: { by: DEMO_ACTOR } });
  });

  it('marks a demo visitor’s acknowledgement over HTTP as a demo one, and a supervisor token’s not', async () => {
    const h = await start({ demo: true });
    const id = await breach(h);
    const res = await fetch(`${h.url}/api/alerts/${encodeURIComponent(id)}/ack`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    const body = (await res.json()) as { ok: boolean; data: Alert };
    expect(body.data.ack?.by).toBe(DEMO_ACTOR);
    await fetch(`${h.url}/api/alerts/${encodeURIComponent(id)}/reopen`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${VIEW_TOKEN}` }, body: '{}' });
    const audit = await h.log.listAudit();
    expect(audit.find((e) => e.action === 'alert.acknowledge')?.after).toMatchObject({ demo: true });
    const reopen = audit.find((e) => e.action === 'alert.reopen');
    expect(reopen?.actor).not.toBe(DEMO_ACTOR);
    expect(reopen?.after).not.toHaveProperty('demo');
  });
});
