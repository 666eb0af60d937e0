/**
 * Issue 11, section 5 (server side): a restart changes nothing. A day folded
 * live with ticks (live, back-dated and past-day events, supervisor actions)
 * and the same log replayed by a new server at the same clock give the same
 * floor snapshot and the same /api/alerts.
 */
import { describe, expect, it } from 'vitest';
import type { Alert } from '../../shared/state.ts';
import type { FloorPayload, Snapshot } from '../../shared/wire.ts';
import { closeHarnessesAfterEach, ev, FakeClock, getJson, postEvents, T0, VIEW_TOKEN, type Harness } from './harness.ts';

const { start, stop } = closeHarnessesAfterEach();

async function supervise(h: Harness, p: string, body: unknown = {}): Promise<{ ok: boolean; data?: unknown; error?: string }> {
  const res = await fetch(`${h.url}${p}`, { method: 'POST', headers: { authorization: `Bearer ${VIEW_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return (await res.json()) as { ok: boolean; data?: unknown; error?: string };
}

async function floorSnapshot(h: Harness): Promise<FloorPayload> {
  const r = await getJson(h, '/api/snapshot?scope=floor');
  expect(r.status).toBe(200);
  return (r.body.data as Snapshot<FloorPayload>).payload;
}

async function alertsApi(h: Harness): Promise<Alert[]> {
  const r = await getJson(h, '/api/alerts?limit=5000');
  expect(r.status).toBe(200);
  return r.body.data as Alert[];
}

/** Everything a restart must not change, taken the way clients and scripts read it. */
async function observe(h: Harness) {
  return { floor: await floorSnapshot(h), alerts: await alertsApi(h), nowMs: h.server.state().nowMs, day: { startMs: h.server.state().dayStartMs, endMs: h.server.state().dayEndMs } };
}

/** Advances the fake clock second by second, ticking as the 1 Hz timer would, up to `atSec` after T0. */
function tickTo(h: Harness, atSec: number): void {
  while (h.clock.now() < T0 + atSec * 1000) {
    h.clock.advance(1_000);
    h.server.tickNow();
  }
}

describe('a restart changes nothing', () => {
  it('gives the same floor snapshot and /api/alerts after a day of live, back-dated and past-day events, ticks and supervisor actions', async () => {
    const clock = new FakeClock(T0 - 30 * 60_000); // 08:30
    const first = await start({ clock });
    const h = first;
    const ok = async (events: unknown[]) => {
      const r = await postEvents(h, events);
      expect(r.body.data?.rejected, JSON.stringify(r.body.data?.rejected)).toEqual([]);
    };

    // 08:30: the agents sign in, live.
    await ok([ev.agent('a1', 'available', -1800, { name: 'Ann Lee', team: 'blue', queues: ['sales'] }), ev.agent('a2', 'available', -1800, { name: 'Bo Tan', team: 'blue', queues: ['sales'] })]);
    // A call of yesterday, arriving late (a producer catching up).
    await ok([ev.queued('y1', 'sales', -20 * 3600), ev.ringing('y1', 'a2', -20 * 3600 + 3), ev.answered('y1', 'a2', -20 * 3600 + 9), ev.ended('y1', -20 * 3600 + 200)]);
    tickTo(h, -1790);

    // 09:00: a call folded live, a ring, a long hold (a tick raises the hold alert, the unhold settles it).
    clock.t = T0 - 1000;
    await ok([ev.queued('c1', 'sales', 0)]);
    tickTo(h, 2);
    await ok([ev.ringing('c1', 'a1', 2)]);
    tickTo(h, 8);
    await ok([ev.answered('c1', 'a1', 8)]);
    tickTo(h, 20);
    await ok([ev.hold('c1', 20, true)]);
    tickTo(h, 140);
    await ok([ev.unhold('c1', 140)]);
    tickTo(h, 200);
    await ok([ev.ended('c1', 200)]);

    // 09:05: a back-dated batch, 90 s old: c2 came and went on a2 while the producer was cut off.
    tickTo(h, 300);
    await ok([ev.queued('c2', 'sales', 210), ev.ringing('c2', 'a2', 212), ev.answered('c2', 'a2', 220), ev.ended('c2', 290)]);

    // 09:06: c3 queues and nobody takes it; the tick raises a queue-wait alert at 09:07 (60 s).
    tickTo(h, 360);
    await ok([ev.agent('a1', 'away', 360, { reason: 'lunch' }), ev.agent('a2', 'away', 360, { reason: 'meeting' }), ev.queued('c3', 'sales', 360)]);
    tickTo(h, 425);
    const wait = [...h.server.state().alerts.values()].find((a) => a.ruleId === 'queue-wait');
    expect(wait, 'the queue-wait alert a tick raised').toBeDefined();
    expect(wait!.raisedAtMs).toBe(T0 + 420_000);

    // A supervisor acknowledges it while the caller still waits, and posts to the ticker and to an agent.
    const acked = await supervise(h, `/api/alerts/${encodeURIComponent(wait!.id)}/ack`, { note: 'calling people back from lunch' });
    expect(acked.ok, acked.error).toBe(true);
    expect((acked.data as Alert).ack).toEqual({ by: 'api-token', atMs: clock.now(), note: 'calling people back from lunch' });
    expect((await supervise(h, '/api/ticker', { text: 'Queue is backing up', minutes: 30 })).ok).toBe(true);
    expect((await supervise(h, '/api/agents/a1/notes', { text: 'Back from lunch please' })).ok).toBe(true);

    // The caller waits on into a breach; the alert stays acknowledged.
    tickTo(h, 500);
    expect(h.server.state().alerts.get(wait!.id)?.ack?.atMs).toBe(T0 + 425_000);
    expect(h.server.state().alerts.get(wait!.id)?.level).toBe('breach');

    const before = await observe(h);
    expect(before.alerts.find((a) => a.id === wait!.id)?.ack?.atMs).toBe(T0 + 425_000);
    const dbFile = h.dbFile;
    await stop(h);

    // A new server on the same data folder, its clock at the same time.
    const second = await start({ dbFile, clock: new FakeClock(clock.now()) });
    const after = await observe(second);
    expect.soft(after.nowMs).toBe(before.nowMs);
    expect.soft(after.day).toEqual(before.day);
    expect.soft(after.floor.alerts).toEqual(before.floor.alerts);
    expect.soft(after.floor.queues).toEqual(before.floor.queues);
    expect.soft(after.floor.agents).toEqual(before.floor.agents);
    expect.soft(after.floor).toEqual(before.floor);
    expect.soft(after.alerts).toEqual(before.alerts);
  });
});
