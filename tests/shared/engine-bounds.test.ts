/**
 * Bounds on what the engine keeps in memory (issue 13, section 2): calls whose
 * end never comes are closed as "end lost" once no event of theirs came for
 * the stale-call limit of their state, and the live calls are capped. Both go
 * through the usual lost-end path, so figures and corrections are those of
 * any lost end.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_ENGINE_LIMITS, applyEvent, createFloorState, engineBounds, observeClock, setEngineLimits, tick } from '../../shared/engine.ts';
import { defaultConfig } from '../../shared/config.ts';
import type { FloorEvent } from '../../shared/events.ts';
import { selectFloorPayload, selectDayTables } from '../../shared/selectors.ts';
import type { FloorState } from '../../shared/state.ts';

const T0 = Date.parse('2026-11-24T08:00:00Z');
const HOUR = 3_600_000;
const CAPS = { recentAlerts: 500, agentAlerts: 1000 };

function floor(): FloorState {
  return createFloorState(defaultConfig(), T0, { clock: 'server' });
}

let n = 0;
function send(s: FloorState, atMs: number, e: Record<string, unknown>): void {
  observeClock(s, atMs);
  applyEvent(s, { id: `b${++n}`, at: atMs, ...e } as FloorEvent);
}

function queue(s: FloorState) {
  return selectDayTables(s).queues.find((q) => q.queueId === 'q1')!;
}

describe('stale calls', () => {
  it('closes 100,000 callers whose end never comes as end lost once the waiting limit passes, on the tick', () => {
    const s = floor();
    setEngineLimits(s, { maxLiveCalls: 200_000 }); // this test is about the stale limit alone
    for (let i = 0; i < 100_000; i++) send(s, T0 + i * 10, { type: 'call.queued', callId: `c${i}`, queueId: `q${i % 4}` });
    expect(s.liveCalls.size).toBe(100_000);
    const bigSnapshot = JSON.stringify(selectFloorPayload(s)).length;

    tick(s, T0 + 4 * HOUR - 1);
    expect(s.liveCalls.size).toBeGreaterThan(99_000); // the first caller queued at T0: nothing is due before T0 + 4 h
    tick(s, T0 + 4 * HOUR + 1_000_000 + 1_000);
    expect(s.liveCalls.size).toBe(0);
    expect(s.calls.size).toBeLessThanOrEqual(2_000);
    const b = engineBounds(s, CAPS);
    expect(b.expiredStale).toBe(100_000);
    expect(b.waiting.size).toBe(0);
    expect(s.diagnostics.endLost).toBe(100_000);
    const small = JSON.stringify(selectFloorPayload(s)).length;
    expect(small).toBeLessThan(bigSnapshot / 20);
    expect(small).toBeLessThan(2_000_000);
    const q0 = selectDayTables(s).queues.find((q) => q.queueId === 'q0')!;
    expect(q0).toMatchObject({ offered: 25_000, answered: 0, abandoned: 0, endLost: 25_000, waiting: 0 });
    // 100,000 events and a mass expiry: about 5 s alone here, four times that on a shared, loaded machine.
  }, 60_000);

  it('closes a waiting caller at the instant the limit ran out: offered, end lost, not abandoned, outside the service level', () => {
    const s = floor();
    send(s, T0, { type: 'agent.state', agentId: 'a1', state: 'available', queues: ['q1'] });
    send(s, T0 + 1000, { type: 'call.queued', callId: 'ok', queueId: 'q1' });
    send(s, T0 + 5000, { type: 'call.answered', callId: 'ok', agentId: 'a1' });
    send(s, T0 + 60_000, { type: 'call.ended', callId: 'ok' });
    send(s, T0 + 2000, { type: 'call.queued', callId: 'gone', queueId: 'q1' });
    for (let t = T0 + 2 * HOUR; t <= T0 + 5 * HOUR; t += 60_000) tick(s, t);
    const c = s.calls.get('gone')!;
    expect(c.status).toBe('lost');
    // Sent back-dated (at +2 s, received at +60 s): the limit runs from when the floor heard of it.
    expect(c.lost).toMatchObject({ stage: 'waiting', atMs: T0 + 60_000 + DEFAULT_ENGINE_LIMITS.staleWaitingSec * 1000 });
    expect(queue(s)).toMatchObject({ offered: 2, answered: 1, abandoned: 0, endLost: 1, waiting: 0, serviceLevelPct: 100 });
    // A queue-wait alert of the long wait is closed with it, not left open.
    expect([...s.alerts.values()].filter((a) => a.ruleId === 'queue-wait')).toEqual([]);
    expect(s.diagnostics.byReason['call closed as end lost: no event while waiting for longer than the stale-call limit']).toBe(1);
  });

  it('keeps a connected call up to its own, longer limit, and counts it handled up to the lost end', () => {
    const s = floor();
    send(s, T0, { type: 'agent.state', agentId: 'a1', state: 'available', queues: ['q1'] });
    send(s, T0, { type: 'call.queued', callId: 'c1', queueId: 'q1' });
    send(s, T0 + 4000, { type: 'call.answered', callId: 'c1', agentId: 'a1' });
    tick(s, T0 + 4000 + 5 * HOUR);
    expect(s.calls.get('c1')!.status).toBe('talking'); // past the waiting limit, within the connected one
    tick(s, T0 + 4000 + 12 * HOUR + 1000);
    const c = s.calls.get('c1')!;
    expect(c.status).toBe('lost');
    expect(c.lost).toMatchObject({ stage: 'connected', agentId: 'a1', atMs: T0 + 4000 + 12 * HOUR });
    expect(s.liveCalls.size).toBe(0);
    expect(s.agents.get('a1')!.callId).toBeUndefined();
  });

  it('measures the limit from the call\'s latest event, and a late end still corrects the call', () => {
    const s = floor();
    send(s, T0, { type: 'agent.state', agentId: 'a1', state: 'available', queues: ['q1'] });
    send(s, T0, { type: 'call.queued', callId: 'c1', queueId: 'q1' });
    send(s, T0 + 3 * HOUR, { type: 'call.ringing', callId: 'c1', agentId: 'a1' });
    tick(s, T0 + 4 * HOUR + 1000);
    expect(s.calls.get('c1')!.status).toBe('ringing'); // rang 1 h ago: not stale yet
    tick(s, T0 + 7 * HOUR + 1000);
    expect(s.calls.get('c1')!.status).toBe('lost');
    expect(queue(s)).toMatchObject({ endLost: 1, abandoned: 0 });
    // The caller's hang-up arrives after all: counted as an abandon, the lost end uncounted.
    send(s, T0 + 7 * HOUR + 2000, { type: 'call.abandoned', callId: 'c1' });
    expect(queue(s)).toMatchObject({ offered: 1, endLost: 0, abandoned: 1 });
    expect(s.diagnostics.endLostCorrected).toBe(1);
  });

  it('closes the same calls at the same instants whether the clock moved by ticks or only by events (replay)', () => {
    const feed = (s: FloorState, ticks: boolean) => {
      n = 0;
      send(s, T0, { type: 'agent.state', agentId: 'a1', state: 'available', queues: ['q1'] });
      for (let i = 0; i < 50; i++) {
        const at = T0 + i * 10 * 60_000;
        if (ticks) for (let t = at - 10 * 60_000 + 1000; t < at; t += 30_000) tick(s, t);
        send(s, at, { type: 'call.queued', callId: `c${i}`, queueId: 'q1' });
        if (i % 3 === 0) send(s, at + 5000, { type: 'call.answered', callId: `c${i}`, agentId: i % 2 ? 'a1' : `a${i}` });
      }
      observeClock(s, T0 + 30 * HOUR);
    };
    const live = floor();
    const replay = floor();
    feed(live, true);
    feed(replay, false);
    const ends = (s: FloorState) => [...s.calls.values()].map((c) => [c.callId, c.status, c.endedAtMs, c.lost?.atMs]).sort();
    expect(ends(replay)).toEqual(ends(live));
    expect(live.liveCalls.size).toBe(0);
    expect(selectDayTables(replay, live.dayStartMs - 24 * HOUR)).toEqual(selectDayTables(live, live.dayStartMs - 24 * HOUR));
  });
});

describe('live-call cap', () => {
  it('closes the call idle longest as end lost when a new call would pass the cap, counted apart', () => {
    const s = floor();
    setEngineLimits(s, { maxLiveCalls: 100 });
    for (let i = 0; i < 100; i++) send(s, T0 + i * 1000, { type: 'call.queued', callId: `c${i}`, queueId: 'q1' });
    send(s, T0 + 200_000, { type: 'call.ringing', callId: 'c0', agentId: 'a1' }); // c0 heard of again: c1 is idle longest now
    send(s, T0 + 201_000, { type: 'call.queued', callId: 'new', queueId: 'q1' });
    expect(s.liveCalls.size).toBe(100);
    expect(s.calls.get('c1')!.status).toBe('lost');
    expect(s.calls.get('c1')!.lost!.why).toBe('live-call cap reached: the call idle longest was closed');
    expect(s.calls.get('c0')!.status).toBe('ringing');
    expect(s.calls.get('new')!.status).toBe('queued');
    for (let i = 0; i < 500; i++) send(s, T0 + 300_000 + i, { type: 'call.queued', callId: `m${i}`, queueId: 'q1' });
    const b = engineBounds(s, CAPS);
    expect(b.liveCalls).toEqual({ size: 100, cap: 100 });
    expect(b.expiredCap).toBe(501);
    expect(b.expiredStale).toBe(0);
    expect(queue(s)).toMatchObject({ offered: 601, endLost: 501, waiting: 100 });
  });

  it('rejects a limit that is not a positive number', () => {
    expect(() => setEngineLimits(floor(), { maxLiveCalls: 0 })).toThrow(RangeError);
    expect(() => setEngineLimits(floor(), { staleWaitingSec: Number.NaN })).toThrow(/staleWaitingSec/);
  });
});

describe('other collections', () => {
  it('keeps per-day records for historyDays only, and ended calls and resolved alerts bounded', () => {
    const s = createFloorState(defaultConfig(), T0, { clock: 'server', historyDays: 2 });
    for (let d = 0; d < 6; d++) {
      const base = T0 + d * 24 * HOUR;
      send(s, base, { type: 'agent.state', agentId: 'a1', state: 'available', queues: ['q1'] });
      for (let i = 0; i < 1500; i++) {
        const id = `d${d}c${i}`;
        send(s, base + i * 20_000, { type: 'call.queued', callId: id, queueId: 'q1' });
        send(s, base + i * 20_000 + 2000, { type: 'call.answered', callId: id, agentId: 'a1' });
        send(s, base + i * 20_000 + 3000, { type: 'call.hold', callId: id, askedPermission: false });
        send(s, base + i * 20_000 + 4000, { type: 'call.ended', callId: id });
      }
    }
    const b = engineBounds(s, CAPS);
    expect(b.pastDaysMax).toEqual({ size: 2, cap: 2 });
    expect(b.endedCalls.size).toBeLessThanOrEqual(2_000);
    expect(b.calls.size).toBeLessThanOrEqual(2_000);
    expect(b.recentAlerts.size).toBeLessThanOrEqual(500);
    expect(b.agentAlertsMax.size).toBeLessThanOrEqual(1000);
  });
});
