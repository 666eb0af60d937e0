/**
 * Shared by the retention tests of the SQLite and the Redis log: a simulated floor over several
 * days in a time zone that is not UTC, and the view of the floor a restart must give again.
 */
import { defaultConfig, type FloorConfig } from '../../shared/config.ts';
import { parseEvent, type FloorEvent } from '../../shared/events.ts';
import { selectDayTables, selectFloorPayload } from '../../shared/selectors.ts';
import type { FloorState } from '../../shared/state.ts';
import { localDay } from '../../shared/time.ts';
import { createSimulator } from '../../server/simulator.ts';

export const TZ = 'America/Los_Angeles'; // UTC-8 in November: local days are not UTC days
export const HOUR = 3_600_000;
export const DAY = 86_400_000;
/** Midnight of Friday 2026-11-20 in Los Angeles. */
export const D0 = Date.parse('2026-11-20T08:00:00Z');
export const configIn = (tz: string, patch: (c: FloorConfig) => void = () => {}): FloorConfig => {
  const c = { ...defaultConfig(), timeZone: tz, rules: { ...defaultConfig().rules } };
  patch(c);
  return c;
};

let n = 0;
/** An event with a fresh id. */
export const ev = (at: number, e: Record<string, unknown>): FloorEvent => ({ id: `e${++n}`, at, ...e }) as FloorEvent;

/**
 * A busy floor for four and a half days in Los Angeles time, from the simulator, with the settings
 * changed twice: batches of events, each with the time it is received at (its step).
 */
export function simulatedFeed(seed: number, endMs: number): { batches: [FloorEvent[], number][]; newest: FloorConfig } {
  const strict = configIn(TZ, (c) => {
    c.rules.holdLongWarnSec = 10;
    c.rules.holdLongBreachSec = 20;
    c.rules.queueWaitWarnSec = 30;
  });
  const newest = configIn(TZ);
  const changes: [number, FloorConfig][] = [
    [D0 + 12 * HOUR, strict],
    [D0 + 3 * DAY + 12 * HOUR, newest],
  ];
  const batches: [FloorEvent[], number][] = [];
  let pending: FloorEvent[] = [];
  const sim = createSimulator(
    {
      seed,
      agents: 6,
      conversations: false, // retention is about days and the log, not speech: a quarter of the events
      queues: [
        { id: 'sales', callsPerHour: 14 },
        { id: 'support', callsPerHour: 10, voicemailShare: 0.05 },
      ],
      emit: (batch) => {
        for (const raw of batch) {
          const r = parseEvent(raw);
          if (!r.ok) throw new Error(r.error);
          pending.push(r.event);
        }
      },
    },
    D0,
  );
  for (let t = D0; t <= endMs; t += 10_000) {
    sim.step(t);
    for (const [at, config] of changes) if (at > t - 10_000 && at <= t) pending.push(ev(t, { type: 'config.changed', config, by: 'admin' }));
    if (pending.length) {
      batches.push([pending, t]);
      pending = [];
    }
  }
  return { batches, newest };
}

/** The live floor and the kept days (today back to the cut's day) as a server shows them (agents in id order), without the counter of its own run (`version`). */
export function floorView(s: FloorState, cutMs: number): unknown {
  const days: number[] = [];
  for (let d = s.dayStartMs; d >= cutMs; d = localDay(d - 1, TZ).startMs) days.push(d);
  const payload = selectFloorPayload(s);
  const strip = (v: unknown) => JSON.parse(JSON.stringify(v, (k, x: unknown) => (k === 'version' ? undefined : x))) as unknown;
  return strip({ payload: { ...payload, agents: [...payload.agents].sort((a, b) => a.agentId.localeCompare(b.agentId)) }, days: days.map((d) => selectDayTables(s, d)) });
}

