import { afterEach, describe, expect, it, vi } from 'vitest';
import { createSimulator } from '../../server/simulator.ts';
import { EVENT_TYPES, parseEvent, type FloorEvent, type FloorEventInput } from '../../shared/events.ts';

const T0 = Date.parse('2026-11-24T08:00:00Z');

function run(seed: number, hours: number, lapseRate = 1): { events: FloorEvent[]; raw: FloorEventInput[]; bad: string[] } {
  const raw: FloorEventInput[] = [];
  const sim = createSimulator({ seed, lapseRate, emit: (b) => void raw.push(...b) }, T0);
  for (let t = T0; t <= T0 + hours * 3_600_000; t += 10_000) sim.step(t);
  const events: FloorEvent[] = [];
  const bad: string[] = [];
  for (const e of raw) {
    const r = parseEvent(e);
    if (r.ok) events.push(r.event);
    else bad.push(r.error);
  }
  return { events, raw, bad };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('simulator', () => {
  const { events, raw, bad } = run(1, 8);
  const byCall = new Map<string, FloorEvent[]>();
  for (const e of events) if ('callId' in e) (byCall.get(e.callId) ?? byCall.set(e.callId, []).get(e.callId)!).push(e);

  it('emits only valid events, in time order, with unique ids', () => {
    expect(bad).toEqual([]);
    expect(events.length).toBe(raw.length);
    expect(events.every((e, i) => i === 0 || e.at >= events[i - 1].at)).toBe(true);
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
  });

  it('uses every event type of the feed', () => {
    expect([...new Set(events.map((e) => e.type))].sort()).toEqual([...EVENT_TYPES].sort());
  });

  it('runs a floor of 40 named agents and roughly 300 calls an hour', () => {
    const agents = new Set(events.filter((e) => e.type === 'agent.state').map((e) => (e as { agentId: string }).agentId));
    expect(agents.size).toBe(40);
    const first = events.find((e) => e.type === 'agent.state' && e.name !== undefined);
    expect(first && first.type === 'agent.state' && first.name).toMatch(/^\S+ \S+$/);
    const arrivals = events.filter((e) => e.type === 'call.queued').length - events.filter((e) => e.type === 'call.transferred' && e.toQueueId).length;
    const perHour = arrivals / 8;
    expect(perHour).toBeGreaterThan(220);
    expect(perHour).toBeLessThan(380);
  });

  it('makes every kind of etiquette lapse now and then', () => {
    const holds = events.filter((e) => e.type === 'call.hold');
    expect(holds.some((e) => e.type === 'call.hold' && e.askedPermission === false)).toBe(true);
    expect([...byCall.values()].some((evs) => evs.filter((e) => e.type === 'call.hold').length >= 3)).toBe(true);
    const holdLengths = [...byCall.values()].flatMap((evs) => {
      const out: number[] = [];
      let start: number | undefined;
      for (const e of evs) {
        if (e.type === 'call.hold') start = e.at;
        if (e.type === 'call.unhold' && start !== undefined) out.push(e.at - start);
      }
      return out;
    });
    expect(Math.max(...holdLengths)).toBeGreaterThan(90_000);
    expect(events.some((e) => e.type === 'call.transferred' && e.askedPermission === false)).toBe(true);
    const ringTimes = [...byCall.values()].flatMap((evs) => {
      const r = evs.find((e) => e.type === 'call.ringing');
      const a = evs.find((e) => e.type === 'call.answered');
      return r && a ? [a.at - r.at] : [];
    });
    expect(Math.max(...ringTimes)).toBeGreaterThanOrEqual(18_000);
    expect(events.some((e) => e.type === 'call.ended' && e.notes === false)).toBe(true);
    const speakerLong = [...byCall.values()].some((evs) => {
      const on = evs.find((e) => e.type === 'call.speaker' && e.on);
      const off = evs.find((e) => e.type === 'call.speaker' && !e.on);
      return on && off && off.at - on.at > 60_000;
    });
    expect(speakerLong).toBe(true);
    const loud = [...byCall.values()].some((evs) => {
      const v = evs.filter((e) => e.type === 'call.volume' && e.dbfs > -10);
      return v.length >= 2 && v[v.length - 1].at - v[0].at >= 5_000;
    });
    expect(loud).toBe(true);
    expect([...byCall.values()].some((evs) => evs.filter((e) => e.type === 'call.escalation').length >= 2)).toBe(true);
    const talk = [...byCall.values()].flatMap((evs) => {
      const a = evs.find((e) => e.type === 'call.answered');
      const z = evs.find((e) => e.type === 'call.ended');
      return a && z ? [z.at - a.at] : [];
    });
    expect(Math.max(...talk)).toBeGreaterThan(27 * 60_000);
    const due = new Map(events.filter((e) => e.type === 'callback.scheduled').map((e) => [(e as { callbackId: string }).callbackId, (e as { dueAt: number }).dueAt]));
    const done = new Map(events.filter((e) => e.type === 'callback.completed').map((e) => [(e as { callbackId: string }).callbackId, e.at]));
    expect([...due].some(([id, d]) => !done.has(id) || done.get(id)! - d > 5 * 60_000)).toBe(true);
    expect(events.some((e) => e.type === 'agent.state' && e.state === 'away' && e.reason)).toBe(true);
  });

  it('is deterministic for a seed and differs across seeds', () => {
    const a = run(5, 1).raw;
    const b = run(5, 1).raw;
    const c = run(6, 1).raw;
    expect(b).toEqual(a);
    expect(JSON.stringify(c)).not.toEqual(JSON.stringify(a));
  });

  it('drives itself from a clock at the configured speed and stops when told', () => {
    vi.useFakeTimers();
    let now = 1_000;
    const got: FloorEventInput[] = [];
    const sim = createSimulator({ seed: 2, speed: 60, emit: (b) => void got.push(...b) }, T0);
    const stop = sim.start({ now: () => now });
    now += 60_000; // one real minute = one simulated hour
    vi.advanceTimersByTime(250);
    expect(got.length).toBeGreaterThan(100);
    expect(Math.max(...got.map((e) => e.at as number))).toBeLessThanOrEqual(T0 + 3_600_000);
    expect(Math.max(...got.map((e) => e.at as number))).toBeGreaterThan(T0 + 3_000_000);
    stop();
    const count = got.length;
    now += 60_000;
    vi.advanceTimersByTime(1_000);
    expect(got.length).toBe(count);
    expect(sim.stats.emitted).toBe(count);
  });
});
