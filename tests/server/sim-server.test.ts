/**
 * The simulator on a real server, in the server's time model: every event is
 * stamped at or before the server's clock when it is emitted, at any speed;
 * the warm-up's past lands on the days it belongs to; a restart on the same
 * data carries the floor on without a change. Fake clock throughout: the
 * tests step the simulator and the server's rules themselves.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { openSimulator, type Simulator, type SimulatorHost } from '../../server/simulator.ts';
import { defaultConfig } from '../../shared/config.ts';
import type { FloorEventInput } from '../../shared/events.ts';
import type { Alert } from '../../shared/state.ts';
import type { WallboardPayload } from '../../shared/wire.ts';
import { FakeClock, startHarness, tempDbFile, type Harness } from './harness.ts';

const UTC = { ...defaultConfig(), timeZone: 'UTC' };
const quiet = { warn: () => {} };

let open: Harness[] = [];
afterEach(async () => {
  for (const h of open) await h.close();
  open = [];
});

async function harness(opts: Parameters<typeof startHarness>[0]): Promise<Harness> {
  const h = await startHarness(opts);
  open.push(h);
  return h;
}

interface Sent {
  e: FloorEventInput;
  /** The server's clock when the batch holding it was submitted. */
  clockMs: number;
}

/** The harness's server as the simulator's host, recording every event with the clock at its submission. */
function host(h: Harness, sent: Sent[], rejected: string[]): SimulatorHost {
  return {
    get replayed() {
      return h.server.replayed;
    },
    state: () => h.server.state(),
    pipeline: {
      submit: async (input: unknown) => {
        const clockMs = h.clock.now();
        for (const e of input as FloorEventInput[]) sent.push({ e, clockMs });
        const r = await h.server.pipeline.submit(input);
        for (const x of r.rejected) rejected.push(x.error);
        return r;
      },
    },
  };
}

/** Drives the simulator and the 1 Hz rules on the fake clock for `ms`, four steps a second as `start` does. */
async function drive(h: Harness, sim: Simulator, ms: number, each?: () => void): Promise<void> {
  for (let t = 0; t < ms; t += 250) {
    h.clock.advance(250);
    await sim.step(h.clock.now());
    if (h.clock.now() % 1_000 === 0) h.server.tickNow();
    each?.();
  }
}

const openAlerts = (h: Harness): Alert[] => [...h.server.state().alerts.values()].map((a) => ({ ...a })).sort((a, b) => a.id.localeCompare(b.id));

describe('simulator on the server clock', () => {
  it('at --speed 20 stamps every event at or before the server clock, and a waiting caller\'s longest wait grows on the wallboard', async () => {
    const h = await harness({ clock: new FakeClock(Date.parse('2026-11-24T10:00:00Z')) });
    const sent: Sent[] = [];
    const rejected: string[] = [];
    const sim = await openSimulator(host(h, sent, rejected), { clock: h.clock, seed: 20, agents: 40, speed: 20, warmupMin: 0, logger: quiet });
    const waits: { waiting: number; sinceMs: number | null; nowMs: number }[] = [];
    await drive(h, sim, 5 * 60_000, () => {
      const snap = h.server.hub.snapshot({ kind: 'wallboard' });
      const t = (snap.payload as WallboardPayload).totals;
      waits.push({ waiting: t.waiting, sinceMs: t.longestWaitSinceMs, nowMs: snap.serverNowMs });
    });

    expect(rejected).toEqual([]);
    expect(sent.length).toBeGreaterThan(2_000);
    expect(sent.filter(({ e, clockMs }) => (e.at as number) > clockMs)).toEqual([]);
    // Twenty times as busy: about 300 × 20 callers an hour, 500 in these five minutes.
    const arrivals = sent.filter(({ e }) => e.type === 'call.queued').length;
    expect(arrivals).toBeGreaterThan(300);
    expect(arrivals).toBeLessThan(750);
    // The engine's clock is the server's: never ahead of it.
    expect(h.server.state().nowMs).toBeLessThanOrEqual(h.clock.now());

    // Someone waited, and never with a wait from the future (the 0:00 of a clock running ahead).
    const withCallers = waits.filter((w) => w.waiting > 0);
    expect(withCallers.length).toBeGreaterThan(10);
    expect(withCallers.every((w) => w.sinceMs !== null && w.sinceMs <= w.nowMs)).toBe(true);
    // The same longest waiter, seen at two moments: the wait grew with the clock, above 0.
    const waitOf = (w: (typeof waits)[number]) => (w.sinceMs === null ? 0 : w.nowMs - w.sinceMs);
    const grew = waits.some((w, i) => i > 0 && w.waiting > 0 && w.sinceMs === waits[i - 1].sinceMs && waitOf(waits[i - 1]) > 0 && waitOf(w) > waitOf(waits[i - 1]));
    expect(grew).toBe(true);
    const longest = Math.max(...withCallers.map((w) => w.nowMs - w.sinceMs!));
    expect(longest).toBeGreaterThan(1_000);
  }, 60_000);

  it('a warm-up started just after local midnight dates every event in the past, in order, and puts none of yesterday into today\'s figures', async () => {
    const midnight = Date.parse('2026-11-28T00:00:00Z');
    const h = await harness({ clock: new FakeClock(midnight + 10 * 60_000), config: UTC });
    const sent: Sent[] = [];
    const rejected: string[] = [];
    const sim = await openSimulator(host(h, sent, rejected), { clock: h.clock, seed: 11, agents: 40, speed: 1, warmupMin: 60, logger: quiet });

    expect(rejected).toEqual([]);
    expect(sim.warmupEvents).toBe(sent.length);
    const times = sent.map(({ e }) => e.at as number);
    expect(sent.filter(({ e, clockMs }) => (e.at as number) > clockMs)).toEqual([]);
    expect(times.every((t, i) => i === 0 || t >= times[i - 1])).toBe(true);
    expect(Math.min(...times)).toBeGreaterThanOrEqual(midnight - 50 * 60_000);
    expect(times.filter((t) => t < midnight).length).toBeGreaterThan(500); // yesterday's 23:10–24:00
    expect(times.filter((t) => t >= midnight).length).toBeGreaterThan(50); // today's 00:00–00:10

    // A call counts on the day it was offered: today's offers are the calls first queued today.
    const firstQueued = new Map<string, number>();
    for (const { e } of sent) if (e.type === 'call.queued' && !firstQueued.has(e.callId)) firstQueued.set(e.callId, e.at as number);
    const todays = (id: string) => (firstQueued.get(id) ?? -Infinity) >= midnight;
    const offeredToday = sent.filter(({ e }) => e.type === 'call.queued' && todays(e.callId)).length;
    const abandonedToday = sent.filter(({ e }) => e.type === 'call.abandoned' && todays(e.callId)).length;
    // Calls of yesterday still going after midnight: they must stay on yesterday.
    const crossing = new Set(sent.filter(({ e }) => 'callId' in e && (e.at as number) >= midnight && !todays(e.callId)).map(({ e }) => (e as { callId: string }).callId));
    expect(crossing.size).toBeGreaterThan(0);
    expect(offeredToday).toBeGreaterThan(10);

    h.server.tickNow();
    const snap = h.server.hub.snapshot({ kind: 'wallboard' });
    expect(snap.day.startMs).toBe(midnight);
    const totals = (snap.payload as WallboardPayload).totals;
    expect(totals.offered).toBe(offeredToday);
    expect(totals.abandoned).toBe(abandonedToday);
    expect(h.server.state().nowMs).toBe(h.clock.now());
  }, 60_000);

  it('a restart on the same data with the clock held leaves the open alerts and the floor clock as they were, and the floor carries on', async () => {
    const clock = new FakeClock(Date.parse('2026-11-24T10:00:00Z'));
    const dbFile = tempDbFile();
    const a = await harness({ dbFile, clock });
    const sentA: Sent[] = [];
    const rejected: string[] = [];
    const simA = await openSimulator(host(a, sentA, rejected), { clock, seed: 31, agents: 40, speed: 1, warmupMin: 60, lapseRate: 5, logger: quiet });
    await drive(a, simA, 4 * 60_000);
    a.server.tickNow();
    const alertsBefore = openAlerts(a);
    const nowBefore = a.server.state().nowMs;
    const wallBefore = a.server.hub.snapshot({ kind: 'wallboard' });
    const liveBefore = [...a.server.state().liveCalls].sort();
    const connectedBefore = liveBefore.filter((id) => ['talking', 'hold'].includes(a.server.state().calls.get(id)!.status));
    expect(alertsBefore.length).toBeGreaterThan(0);
    expect(liveBefore.length).toBeGreaterThan(0);
    await a.close();
    open = open.filter((x) => x !== a);

    // Same data folder, same instant.
    const b = await harness({ dbFile, clock });
    const sentB: Sent[] = [];
    const simB = await openSimulator(host(b, sentB, rejected), { clock, seed: 32, agents: 40, speed: 1, warmupMin: 60, lapseRate: 5, logger: quiet });
    expect(b.server.replayed).toBeGreaterThan(0);
    expect(simB.warmupEvents).toBe(0);
    expect(sentB).toEqual([]); // nothing happens on the floor at the instant of the restart
    b.server.tickNow();
    expect(openAlerts(b)).toEqual(alertsBefore);
    expect(b.server.state().nowMs).toBe(nowBefore);
    const wallAfter = b.server.hub.snapshot({ kind: 'wallboard' });
    expect(wallAfter.serverNowMs).toBe(wallBefore.serverNowMs);
    expect(wallAfter.payload).toEqual(wallBefore.payload);
    expect([...b.server.state().liveCalls].sort()).toEqual(liveBefore);

    // Carried on: the old run's calls go on and its connected calls end within minutes, nothing is
    // dated ahead of the clock, no alert storm.
    await drive(b, simB, 5 * 60_000);
    expect(rejected).toEqual([]);
    expect(sentB.filter(({ e, clockMs }) => (e.at as number) > clockMs)).toEqual([]);
    const ended = new Set(sentB.filter(({ e }) => ['call.ended', 'call.abandoned', 'call.lost', 'call.transferred'].includes(e.type)).map(({ e }) => (e as { callId: string }).callId));
    const moved = new Set(sentB.filter(({ e }) => 'callId' in e).map(({ e }) => (e as { callId: string }).callId));
    expect(connectedBefore.length).toBeGreaterThan(5);
    expect(connectedBefore.filter((id) => !ended.has(id))).toEqual([]);
    expect(liveBefore.filter((id) => !moved.has(id))).toEqual([]);
    const breaches = (xs: Alert[]) => xs.filter((x) => x.level === 'breach').length;
    expect(breaches(openAlerts(b))).toBeLessThanOrEqual(breaches(alertsBefore) + 10);
    // Rings are counted from ring starts at or before the clock: no "4250 rings".
    const s = b.server.state();
    for (const id of s.liveCalls) {
      const c = s.calls.get(id)!;
      expect(c.timeline.every((t) => t.atMs <= clock.now())).toBe(true);
    }
    for (const al of openAlerts(b)) if (al.unit === 'rings') expect(al.value).toBeLessThan(10);
  }, 60_000);
});
