import { afterEach, describe, expect, it, vi } from 'vitest';
import { createSimulator, STALE_FLOOR_MS } from '../../server/simulator.ts';
import { applyEvent, createFloorState, tick } from '../../shared/engine.ts';
import { defaultConfig } from '../../shared/config.ts';
import { EVENT_TYPES, parseEvent, type FloorEvent, type FloorEventInput } from '../../shared/events.ts';
import type { FloorState } from '../../shared/state.ts';

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

  it('uses every event type of the feed, the conversation events (transcripts, talk detection) included', () => {
    const used = [...new Set(events.map((e) => e.type))].sort();
    expect(used).toEqual([...EVENT_TYPES].sort());
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

  it('drives itself from the clock, every event stamped at or before the clock that emits it, and stops when told', () => {
    vi.useFakeTimers();
    let now = T0;
    const got: { e: FloorEventInput; clockMs: number }[] = [];
    const sim = createSimulator({ seed: 2, speed: 60, emit: (b) => void got.push(...b.map((e) => ({ e, clockMs: now }))) }, T0);
    const stop = sim.start({ now: () => now });
    for (let i = 0; i < 240; i++) {
      now += 250; // one real minute, four drives a second
      vi.advanceTimersByTime(250);
    }
    expect(got.every(({ e, clockMs }) => (e.at as number) <= clockMs)).toBe(true);
    expect(Math.max(...got.map(({ e }) => e.at as number))).toBeLessThanOrEqual(T0 + 60_000);
    expect(Math.max(...got.map(({ e }) => e.at as number))).toBeGreaterThan(T0 + 59_000);
    // Sixty times as busy: about an hour's callers (~300) in one real minute.
    const arrivals = got.filter(({ e }) => e.type === 'call.queued').length;
    expect(arrivals).toBeGreaterThan(180);
    expect(arrivals).toBeLessThan(450);
    stop();
    const count = got.length;
    now += 60_000;
    vi.advanceTimersByTime(1_000);
    expect(got.length).toBe(count);
    expect(sim.stats.emitted).toBe(count);
  });

  it('--speed N divides every duration by N: N times the calls per hour of the clock, talk and rings N times shorter', () => {
    const at1 = run(3, 2).events;
    const raw: FloorEventInput[] = [];
    const sim = createSimulator({ seed: 3, speed: 20, emit: (b) => void raw.push(...b) }, T0);
    for (let t = T0; t <= T0 + 6 * 60_000; t += 250) sim.step(t); // 2 h of floor work in 6 min of clock
    const at20 = raw.map((e) => parseEvent(e)).flatMap((r) => (r.ok ? [r.event] : []));
    expect(at20.length).toBe(raw.length);
    expect(Math.max(...at20.map((e) => e.at))).toBeLessThanOrEqual(T0 + 6 * 60_000);
    const queuedPerMin = (evs: FloorEvent[], min: number) => evs.filter((e) => e.type === 'call.queued').length / min;
    const ratio = queuedPerMin(at20, 6) / queuedPerMin(at1, 120);
    expect(ratio).toBeGreaterThan(15);
    expect(ratio).toBeLessThan(25);
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const talks = (evs: FloorEvent[]) => {
      const answered = new Map<string, number>();
      const out: number[] = [];
      for (const e of evs) {
        if (e.type === 'call.answered') answered.set(e.callId, e.at);
        if (e.type === 'call.ended' && answered.has(e.callId)) out.push(e.at - answered.get(e.callId)!);
      }
      return out;
    };
    const talkRatio = median(talks(at1)) / median(talks(at20));
    expect(talkRatio).toBeGreaterThan(14);
    expect(talkRatio).toBeLessThan(28);
  });

  it('rings a ringall queue\'s free members at once: one answers, the other rings are cut off (canceled), timed-out rings are no-answer', () => {
    const rung = new Map<string, Set<string>>();
    for (const e of events) if (e.type === 'call.ringing') (rung.get(e.callId) ?? rung.set(e.callId, new Set()).get(e.callId)!).add(e.agentId);
    const parallel = [...byCall.entries()].filter(([, evs]) => {
      const first = evs.find((e) => e.type === 'call.ringing');
      return first && evs.filter((e) => e.type === 'call.ringing' && e.at === first.at).length >= 2;
    });
    expect(parallel.length).toBeGreaterThan(20);
    for (const [, evs] of parallel) {
      const answer = evs.find((e) => e.type === 'call.answered');
      if (!answer || answer.type !== 'call.answered') continue;
      const cut = evs.filter((e) => e.type === 'call.ring-ended' && e.outcome === 'canceled' && e.at === answer.at);
      expect(cut.every((e) => e.type === 'call.ring-ended' && e.agentId !== answer.agentId)).toBe(true);
    }
    expect(events.some((e) => e.type === 'call.ring-ended' && e.outcome === 'no-answer')).toBe(true);
    expect(events.some((e) => e.type === 'call.ring-ended' && e.outcome === 'canceled')).toBe(true);
  });
});

describe('simulator taking over a floor a previous run left', () => {
  /** Folds a first run into an engine state, as a restart's replay does. */
  function firstRun(minutes: number): { state: FloorState; events: FloorEvent[]; end: number } {
    const state = createFloorState({ ...defaultConfig(), timeZone: 'UTC' }, 0);
    const events: FloorEvent[] = [];
    const sim = createSimulator(
      {
        seed: 7,
        speed: 5,
        emit: (b) => {
          for (const raw of b) {
            const r = parseEvent(raw);
            if (!r.ok) throw new Error(r.error);
            events.push(r.event);
            applyEvent(state, r.event);
          }
        },
      },
      T0,
    );
    const end = T0 + minutes * 60_000;
    for (let t = T0; t <= end; t += 250) {
      sim.step(t);
      if (t % 1_000 === 0) tick(state, t);
    }
    return { state, events, end };
  }

  it('emits nothing at the start instant and carries every open call of its own to an end', () => {
    const { state, end } = firstRun(20);
    const open = [...state.liveCalls];
    expect(open.length).toBeGreaterThan(3);
    const got: FloorEvent[] = [];
    const sim = createSimulator({ seed: 8, speed: 5, resume: state, emit: (b) => void got.push(...b.map((e) => parseEvent(e)).flatMap((r) => (r.ok ? [r.event] : []))) }, end);
    sim.step(end);
    expect(got).toEqual([]);
    for (let t = end; t <= end + 30 * 60_000; t += 1_000) sim.step(t);
    expect(got.every((e) => e.at > end)).toBe(true);
    // No agent signs in again: those on the floor are carried on as they stand.
    expect(got.filter((e) => e.type === 'agent.state' && e.name !== undefined)).toEqual([]);
    for (const id of open) {
      const mine = got.filter((e) => 'callId' in e && e.callId === id);
      expect(mine.some((e) => ['call.ended', 'call.abandoned', 'call.lost', 'call.transferred'].includes(e.type)), id).toBe(true);
    }
    // The new run's ids never collide with the old run's.
    expect(got.some((e) => e.id.startsWith('sim-8-'))).toBe(true);
  });

  it('closes a floor left for longer than STALE_FLOOR_MS as "end lost" at the last moment it was seen, then starts afresh', () => {
    const { state, events, end } = firstRun(10);
    const lastSeen = events[events.length - 1].at;
    const open = [...state.liveCalls];
    const restart = end + STALE_FLOOR_MS + 60_000;
    const got: FloorEvent[] = [];
    const sim = createSimulator({ seed: 9, resume: state, emit: (b) => void got.push(...b.map((e) => parseEvent(e)).flatMap((r) => (r.ok ? [r.event] : []))) }, restart);
    sim.step(restart);
    const lost = got.filter((e) => e.type === 'call.lost');
    expect(lost.map((e) => (e as { callId: string }).callId).sort()).toEqual(open.sort());
    expect(lost.every((e) => e.at === lastSeen)).toBe(true);
    expect(got.filter((e) => e.type === 'agent.state' && e.state === 'offline').every((e) => e.at === lastSeen)).toBe(true);
    for (let t = restart; t <= restart + 60_000; t += 1_000) sim.step(t);
    expect(new Set(got.filter((e) => e.type === 'agent.state' && e.name !== undefined).map((e) => (e as { agentId: string }).agentId)).size).toBe(40);
  });
});
