import { describe, expect, it } from 'vitest';
import { applyEvent, createFloorState, drainChanges, tick } from '../../shared/engine.ts';
import { defaultConfig } from '../../shared/config.ts';
import { parseEvent, type FloorEvent } from '../../shared/events.ts';
import { serializeState } from '../../shared/selectors.ts';
import { createSimulator } from '../../server/simulator.ts';

const T0 = Date.parse('2026-11-24T07:30:00Z');

/** Three simulated hours of a floor with lapses five times as frequent as usual. */
function simulatedFeed(hours: number, seed: number): FloorEvent[] {
  const events: FloorEvent[] = [];
  const sim = createSimulator(
    {
      seed,
      lapseRate: 5,
      emit: (batch) => {
        for (const e of batch) {
          const r = parseEvent(e);
          if (!r.ok) throw new Error(r.error);
          events.push(r.event);
        }
      },
    },
    T0,
  );
  for (let t = T0; t <= T0 + hours * 3_600_000; t += 60_000) sim.step(t);
  return events;
}

describe('replay equality', () => {
  it.each([11, 23])('rebuilds the same state from the log as live ingest with ticks in between (seed %i)', (seed) => {
    const events = simulatedFeed(3, seed);
    const end = events[events.length - 1].at + 1_000;

    // Live: events arrive in time order with a 1 Hz tick between them, and changes drained as the server does.
    const live = createFloorState(defaultConfig(), 0);
    let i = 0;
    for (let t = T0; t <= end; t += 1_000) {
      while (i < events.length && events[i].at <= t) applyEvent(live, events[i++]);
      tick(live, t);
      drainChanges(live);
    }
    // Replay: only the events, as after a restart.
    const replay = createFloorState(defaultConfig(), 0);
    for (const e of events) applyEvent(replay, e);
    tick(replay, end);
    tick(live, end);

    const a = serializeState(live) as { alerts: unknown[]; recentAlerts: unknown[] };
    const b = serializeState(replay) as typeof a;
    expect(live.recentAlerts.length + live.alerts.size).toBeGreaterThan(100); // a feed rich in alerts
    expect(new Set(live.recentAlerts.map((x) => x.ruleId)).size).toBeGreaterThanOrEqual(10);
    expect(b).toEqual(a);
  });

  it('is deterministic: the same log twice gives equal states, a different log a different one', () => {
    const events = simulatedFeed(1, 3);
    const run = (evs: FloorEvent[]) => {
      const s = createFloorState(defaultConfig(), 0);
      for (const e of evs) applyEvent(s, e);
      tick(s, T0 + 2 * 3_600_000);
      return serializeState(s);
    };
    expect(run(events)).toEqual(run(events));
    expect(run(simulatedFeed(1, 4))).not.toEqual(run(events));
  });

  it('handles 50,000 events without error and with bounded memory of ended calls', () => {
    const s = createFloorState(defaultConfig(), 0);
    let n = 0;
    for (let c = 0; c < 10_000; c++) {
      const at = T0 + c * 1_000;
      const base = { callId: `c${c}` };
      const evs = [
        { type: 'call.queued', queueId: `q${c % 7}`, ...base },
        { type: 'call.ringing', agentId: `a${c % 300}`, ...base },
        { type: 'call.answered', agentId: `a${c % 300}`, ...base },
        { type: 'call.hold', askedPermission: c % 2 === 0, ...base },
        { type: 'call.unhold', ...base },
        { type: 'call.ended', ...base },
      ];
      evs.forEach((e, k) => {
        const r = parseEvent({ id: `x${n++}`, at: at + k * 100, ...e });
        if (!r.ok) throw new Error(r.error);
        applyEvent(s, r.event);
      });
    }
    expect(s.diagnostics.applied).toBe(60_000);
    expect(s.liveCalls.size).toBe(0);
    expect(s.calls.size).toBeLessThanOrEqual(2_000);
    expect(s.recentAlerts.length).toBeLessThanOrEqual(500);
  });
});
