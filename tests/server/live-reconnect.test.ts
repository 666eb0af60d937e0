/**
 * What a page shows after it reconnects equals the server: the floor's agent
 * patches are built on what every member of the room holds (whatever happened
 * while the room was empty), and an agent's own list of alerts holds all of
 * theirs of the live day, whatever else happened on the floor.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ev, FakeClock, postEvents, startHarness, T0, waitFor, type Harness } from './harness.ts';
import { StoreClient, snapshotView } from './live-client.ts';
import { Rng } from './faults/prng.ts';
import type { AgentPayload, AgentView, FloorPayload, LiveScope, Snapshot } from '../../shared/wire.ts';

let harnesses: Harness[] = [];
let clients: StoreClient[] = [];
afterEach(async () => {
  for (const c of clients) c.close();
  for (const h of harnesses) await h.close();
  harnesses = [];
  clients = [];
});

const FLOOR: LiveScope = { kind: 'floor' };

async function start(opts: Parameters<typeof startHarness>[0] = {}): Promise<Harness> {
  const h = await startHarness(opts);
  harnesses.push(h);
  return h;
}

function client(h: Harness, scope: LiveScope): StoreClient {
  const c = new StoreClient(h.url, scope);
  clients.push(c);
  return c;
}

/** Posts events with the server's clock moved to the last of them first (it refuses events from its future). */
async function feed(h: Harness, events: { at: number }[]): Promise<void> {
  const last = Math.max(...events.map((e) => e.at));
  if (last > h.clock.t) h.clock.t = last;
  const r = await postEvents(h, events);
  expect(r.status).toBe(200);
  expect(r.body.data?.rejected).toEqual([]);
}

/** Moves the clock on and ticks, as the server's 1 Hz timer would. */
function tickTo(h: Harness, atMs: number): void {
  h.clock.t = atMs;
  h.server.tickNow(atMs);
}

/** The transport closes under the client; resolves once the server has let the socket go (its room may now be empty). */
async function goOffline(h: Harness, c: StoreClient): Promise<void> {
  const id = c.socket.id;
  c.drop();
  await waitFor(() => id === undefined || !h.server.io.of('/live').sockets.has(id), 3_000, 'the server to drop the socket');
}

async function comeBack(c: StoreClient): Promise<void> {
  const before = c.pushedSnapshots;
  c.reconnect();
  await waitFor(() => c.live && c.pushedSnapshots > before, 3_000, 'the snapshot after reconnecting');
}

/** Waits until the clients have every delta their rooms were sent so far (what is pushed at once: agents, calls, alerts). */
async function delivered(h: Harness, ...cs: StoreClient[]): Promise<void> {
  await waitFor(() => cs.every((c) => c.live && c.seq === h.server.hub.seqOf(c.scope)), 5_000, 'clients to get their deltas');
}

/** …and no coalesced KPI push is pending either: the whole copy can be compared with a snapshot. */
async function caughtUp(h: Harness, ...cs: StoreClient[]): Promise<void> {
  await waitFor(() => h.server.hub.settled && cs.every((c) => c.live && c.seq === h.server.hub.seqOf(c.scope)), 5_000, 'clients to catch up');
}

function agentOn(c: StoreClient, id: string): AgentView | undefined {
  return c.floor.agents.get(id);
}

/** What "My breaches today" lists: the agent view's own filter over the alerts store. */
function myBreaches(c: StoreClient) {
  return c.alerts.list.filter((a) => a.level !== 'info');
}

describe('a floor page that was the only floor client while it was offline', () => {
  it('shows an agent who went away for lunch while it was offline as available once they are back, 20 s later, as the server does', async () => {
    const h = await start();
    await feed(h, [ev.agent('a1', 'available', 0, { name: 'Ann Lee', team: 'blue', queues: ['sales'] }), ev.agent('a2', 'available', 0, { name: 'Bo', queues: ['sales'] })]);
    const page = client(h, FLOOR);
    await caughtUp(h, page);
    // The floor room has seen a1 available in a delta: the old baseline.
    await feed(h, [ev.agent('a1', 'wrapup', 5), ev.agent('a1', 'available', 8)]);
    await caughtUp(h, page);
    expect(agentOn(page, 'a1')?.presence).toBe('available');

    await goOffline(h, page);
    await feed(h, [ev.agent('a1', 'away', 20, { reason: 'lunch' })]);
    await comeBack(page);
    expect(agentOn(page, 'a1')).toMatchObject({ presence: 'away', reason: 'lunch', activity: 'away', activitySinceMs: T0 + 20_000 });

    await feed(h, [ev.agent('a1', 'available', 40)]);
    tickTo(h, T0 + 60_000);
    await caughtUp(h, page);
    const server = h.server.hub.snapshot(FLOOR) as Snapshot<FloorPayload>;
    expect(agentOn(page, 'a1')).toMatchObject({ presence: 'available', reason: null, activity: 'available', activitySinceMs: T0 + 40_000 });
    expect(agentOn(page, 'a1')).toEqual(server.payload.agents.find((a) => a.agentId === 'a1'));
    expect(page.seq).toBe(server.seq);
    expect(page.view()).toEqual(snapshotView(server));
    expect(h.server.hub.stats.catchUps).toBe(0);
  });

  it('shows every agent of a 200-agent floor as the server does after a 2-minute outage, and so does a page loaded 8 s after it came back', async () => {
    const h = await start();
    const ids = Array.from({ length: 200 }, (_, i) => `g${String(i).padStart(3, '0')}`);
    await feed(h, ids.map((id) => ev.agent(id, 'available', 0, { name: `Agent ${id}`, queues: ['sales'] })));
    const page = client(h, FLOOR);
    await caughtUp(h, page);
    const rng = new Rng(200);
    const STATES = [
      { state: 'available' },
      { state: 'away', reason: 'lunch' },
      { state: 'away', reason: 'break' },
      { state: 'away', reason: 'training' },
      { state: 'wrapup' },
      { state: 'offline' },
    ] as const;
    let atSec = 1;
    /** A few agents change state each second for `sec` seconds. */
    const churn = async (sec: number) => {
      for (let i = 0; i < sec; i++, atSec++) {
        const batch = Array.from({ length: rng.int(1, 6) }, () => {
          const s = rng.pick(STATES);
          return ev.agent(rng.pick(ids), s.state, atSec, 'reason' in s ? { reason: s.reason } : {});
        });
        await feed(h, batch);
      }
    };
    await churn(10); // every agent the floor room saw in a delta has a baseline
    await caughtUp(h, page);

    await goOffline(h, page);
    await churn(120);
    await comeBack(page);
    await churn(8);
    const fresh = client(h, FLOOR);
    await caughtUp(h, page, fresh);
    await churn(20);
    tickTo(h, T0 + atSec * 1000);
    await caughtUp(h, page, fresh);

    const server = h.server.hub.snapshot(FLOOR) as Snapshot<FloorPayload>;
    const wrong = (c: StoreClient) =>
      server.payload.agents.filter((a) => JSON.stringify(agentOn(c, a.agentId)) !== JSON.stringify(a)).map((a) => a.agentId);
    expect(wrong(page), 'agents the page that came back shows wrongly').toEqual([]);
    expect(wrong(fresh), 'agents the page loaded 8 s later shows wrongly').toEqual([]);
    expect(page.view()).toEqual(snapshotView(server));
    expect(fresh.view()).toEqual(snapshotView(server));
    expect(h.server.hub.stats.catchUps).toBe(0);
  });

  it('sends a catch-up delta before a snapshot when the room holds views the state has left, so members and the new page agree at one seq', async () => {
    const h = await start();
    await feed(h, [ev.agent('a1', 'available', 0, { name: 'Ann', queues: ['sales'] })]);
    const first = client(h, FLOOR);
    const mine = client(h, { kind: 'agent', agentId: 'a1' });
    await caughtUp(h, first, mine);
    // A change the engine did not report (as a change set that missed an agent would): the rooms' members hold the old view.
    const agent = h.server.state().agents.get('a1');
    if (!agent) throw new Error('a1 missing');
    agent.reason = 'coaching';
    const second = client(h, FLOOR);
    const mineAgain = client(h, { kind: 'agent', agentId: 'a1' });
    await caughtUp(h, first, second, mine, mineAgain);
    expect(h.server.hub.stats.catchUps).toBe(2);
    expect(agentOn(first, 'a1')?.reason).toBe('coaching');
    expect(mine.floor.me?.reason).toBe('coaching');
    expect(first.view()).toEqual(second.view());
    expect(mine.view()).toEqual(mineAgain.view());
    // The next change is patched on the new base: both pages follow it.
    await feed(h, [ev.agent('a1', 'available', 10)]);
    await caughtUp(h, first, second);
    expect(agentOn(first, 'a1')?.reason).toBeNull();
    expect(first.view()).toEqual(snapshotView(h.server.hub.snapshot(FLOOR)));
    expect(second.view()).toEqual(first.view());
  });
});

describe("an agent's own alerts of the day", () => {
  /** One call of `agent` put on hold without asking: one hold-permission breach, resolved at once. */
  const breachCall = (callId: string, agent: string, atSec: number) => [
    ev.queued(callId, 'sales', atSec),
    ev.ringing(callId, agent, atSec + 0.5),
    ev.answered(callId, agent, atSec + 1),
    ev.hold(callId, atSec + 2, false),
    ev.unhold(callId, atSec + 3),
    ev.ended(callId, atSec + 4, { notes: true }),
  ];

  it('keeps all 17 of an agent\'s breaches after a reconnect, with more than 500 other resolved alerts on the floor in between', async () => {
    const h = await start();
    await feed(h, [ev.agent('A', 'available', 0, { name: 'Ann', queues: ['sales'] }), ev.agent('B', 'available', 0, { name: 'Bob', queues: ['sales'] })]);
    const me = client(h, { kind: 'agent', agentId: 'A' });
    await caughtUp(h, me);
    let atSec = 1;
    for (let i = 0; i < 11; i++, atSec += 5) await feed(h, breachCall(`a${i}`, 'A', atSec));
    for (let chunk = 0; chunk < 26; chunk++) {
      const events = [];
      for (let i = 0; i < 20; i++, atSec += 5) events.push(...breachCall(`b${chunk * 20 + i}`, 'B', atSec));
      await feed(h, events);
    }
    for (let i = 11; i < 17; i++, atSec += 5) await feed(h, breachCall(`a${i}`, 'A', atSec));
    await caughtUp(h, me);
    const resolvedOnFloor = h.server.state().recentAlerts.length;
    expect(resolvedOnFloor).toBe(500); // the floor keeps its last 500: none of A's first 11 among them
    expect(h.server.state().recentAlerts.filter((a) => a.agentId === 'A')).toHaveLength(6);
    expect(myBreaches(me)).toHaveLength(17);

    await goOffline(h, me);
    await comeBack(me);
    await caughtUp(h, me);
    expect(myBreaches(me)).toHaveLength(17);
    expect(myBreaches(me).every((a) => a.agentId === 'A' && a.ruleId === 'hold-permission')).toBe(true);
    const server = h.server.hub.snapshot({ kind: 'agent', agentId: 'A' }) as Snapshot<AgentPayload>;
    expect(server.payload.alerts).toHaveLength(17);
    expect(me.view()).toEqual(snapshotView(server));
  });

  it("drops yesterday's resolved breach from the agent's list after midnight, keeps the one still open, and adds today's", async () => {
    const NIGHT = Date.parse('2026-11-24T23:50:00Z');
    const at = (sec: number) => NIGHT + sec * 1000;
    const h = await start({ clock: new FakeClock(NIGHT) });
    const e = (type: string, sec: number, extra: Record<string, unknown>) => ({ type, id: `n-${type}-${sec}`, at: at(sec), ...extra });
    await feed(h, [e('agent.state', 0, { agentId: 'A', state: 'available', name: 'Ann', queues: ['sales'] })]);
    const me = client(h, { kind: 'agent', agentId: 'A' });
    await delivered(h, me);
    // 23:51: a hold without asking, resolved at once (yesterday's breach after midnight).
    await feed(h, [
      e('call.queued', 60, { callId: 'y1', queueId: 'sales' }),
      e('call.ringing', 61, { callId: 'y1', agentId: 'A' }),
      e('call.answered', 62, { callId: 'y1', agentId: 'A' }),
      e('call.hold', 80, { callId: 'y1', askedPermission: false }),
      e('call.unhold', 85, { callId: 'y1' }),
      e('call.ended', 90, { callId: 'y1', notes: true }),
    ]);
    // 23:58: a call put on hold (with permission) that is still on hold at midnight: hold-long opens at 23:59:30.
    await feed(h, [
      e('call.queued', 470, { callId: 'y2', queueId: 'sales' }),
      e('call.ringing', 471, { callId: 'y2', agentId: 'A' }),
      e('call.answered', 472, { callId: 'y2', agentId: 'A' }),
      e('call.hold', 480, { callId: 'y2', askedPermission: true }),
    ]);
    tickTo(h, at(575));
    await delivered(h, me);
    const yesterday = myBreaches(me);
    expect(yesterday.map((a) => a.ruleId).sort()).toEqual(['hold-long', 'hold-permission']);
    const holdLong = yesterday.find((a) => a.ruleId === 'hold-long');
    expect(holdLong?.status).toBe('open');

    // Midnight: the day turns over, every room takes a fresh snapshot.
    tickTo(h, at(605));
    await delivered(h, me);
    expect(myBreaches(me).map((a) => [a.ruleId, a.status])).toEqual([['hold-long', 'open']]);
    // 00:00:30 the hold ends (the alert stays in today's list, resolved); 00:01 a new breach of today.
    await feed(h, [e('call.unhold', 630, { callId: 'y2' }), e('call.ended', 640, { callId: 'y2', notes: true })]);
    await feed(h, [
      e('call.queued', 660, { callId: 't1', queueId: 'sales' }),
      e('call.ringing', 661, { callId: 't1', agentId: 'A' }),
      e('call.answered', 662, { callId: 't1', agentId: 'A' }),
      e('call.hold', 670, { callId: 't1', askedPermission: false }),
      e('call.unhold', 675, { callId: 't1' }),
      e('call.ended', 680, { callId: 't1', notes: true }),
    ]);
    await caughtUp(h, me);
    const today = myBreaches(me).map((a) => [a.ruleId, a.callId, a.status]);
    expect(today).toEqual([
      ['hold-permission', 't1', 'resolved'],
      ['hold-long', 'y2', 'resolved'],
    ]);
    const server = h.server.hub.snapshot({ kind: 'agent', agentId: 'A' }) as Snapshot<AgentPayload>;
    expect(server.payload.alerts.map((a) => a.callId)).toEqual(['t1', 'y2']);
    expect(server.payload.alerts.some((a) => a.callId === 'y1')).toBe(false);
    expect(me.view()).toEqual(snapshotView(server));
    // Reconnecting changes nothing.
    await goOffline(h, me);
    await comeBack(me);
    await caughtUp(h, me);
    expect(me.view()).toEqual(snapshotView(h.server.hub.snapshot({ kind: 'agent', agentId: 'A' })));
  });

  it("drops from the agent's list a warning retracted while open, shows one retracted after it was resolved as retracted, counted as no breach, and never another agent's", async () => {
    const h = await start();
    await feed(h, [ev.agent('A', 'available', 0, { name: 'Ann', queues: ['sales'] }), ev.agent('B', 'available', 0, { name: 'Bob', queues: ['sales'] })]);
    const me = client(h, { kind: 'agent', agentId: 'A' });
    const floor = client(h, FLOOR);
    await delivered(h, me, floor);
    // A rings; the tick sees ring 3 (warn); the answer says it was picked up at ring 2: the open warning is
    // retracted, and (a replay without ticks never raises it) leaves the agent's list and the floor's feed.
    await feed(h, [ev.queued('c1', 'sales', 1), ev.ringing('c1', 'A', 2)]);
    tickTo(h, T0 + 15_000);
    await delivered(h, me, floor);
    expect(me.alerts.open.map((a) => a.ruleId)).toEqual(['ring-limit']);
    await feed(h, [ev.answered('c1', 'A', 16, { ringCount: 2 })]);
    await delivered(h, me, floor);
    expect(me.alerts.byId.size).toBe(0);
    expect(floor.alerts.byId.size).toBe(0);
    // c1's end is lost: the call runs on to a call-long breach (2 x 13.6 min), closed when A is rung
    // for c2 at 28:30; c1's true end (5:00) comes late and disproves the breach, already resolved.
    tickTo(h, T0 + 28 * 60_000);
    await delivered(h, me, floor);
    expect(me.alerts.open.map((a) => [a.ruleId, a.level])).toEqual([['call-long', 'breach']]);
    await feed(h, [ev.queued('c2', 'sales', 28 * 60 + 25), ev.ringing('c2', 'A', 28 * 60 + 30)]);
    await delivered(h, me, floor);
    expect(myBreaches(me).map((a) => [a.ruleId, a.status])).toEqual([['call-long', 'resolved']]);
    await feed(h, [ev.ended('c1', 5 * 60, { notes: true })]);
    // c2: a hold without asking, A's one standing breach; B's breach on c3 never reaches A.
    await feed(h, [ev.answered('c2', 'A', 28 * 60 + 32), ev.hold('c2', 28 * 60 + 40, false), ev.unhold('c2', 28 * 60 + 45), ev.ended('c2', 28 * 60 + 50, { notes: true })]);
    await feed(h, [ev.queued('c3', 'sales', 28 * 60 + 51), ev.ringing('c3', 'B', 28 * 60 + 52), ev.answered('c3', 'B', 28 * 60 + 53), ev.hold('c3', 28 * 60 + 54, false), ev.unhold('c3', 28 * 60 + 55), ev.ended('c3', 28 * 60 + 56, { notes: true })]);
    await caughtUp(h, me, floor);
    expect(me.alerts.retracted.map((a) => [a.ruleId, a.callId, a.status])).toEqual([['call-long', 'c1', 'retracted']]);
    expect(myBreaches(me).map((a) => [a.ruleId, a.callId, a.agentId])).toEqual([['hold-permission', 'c2', 'A']]);
    // The floor's feed keeps the withdrawn breach too, marked (it was on screen as real).
    expect([...floor.alerts.byId.values()].map((a) => [a.ruleId, a.callId, a.status]).sort()).toEqual([
      ['call-long', 'c1', 'retracted'],
      ['hold-permission', 'c2', 'resolved'],
      ['hold-permission', 'c3', 'resolved'],
    ]);
    expect(floor.alerts.list.map((a) => a.callId).sort()).toEqual(['c2', 'c3']);
    const server = h.server.hub.snapshot({ kind: 'agent', agentId: 'A' }) as Snapshot<AgentPayload>;
    expect(server.payload.alerts.map((a) => [a.callId, a.status])).toEqual([
      ['c2', 'resolved'],
      ['c1', 'retracted'],
    ]);
    expect(me.view()).toEqual(snapshotView(server));
    expect(floor.view()).toEqual(snapshotView(h.server.hub.snapshot(FLOOR)));
    await goOffline(h, me);
    await comeBack(me);
    expect(me.alerts.retracted).toHaveLength(1);
    expect(myBreaches(me)).toHaveLength(1);
  });
});
