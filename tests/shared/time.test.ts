import { describe, expect, it } from 'vitest';
import { localDay } from '../../shared/time.ts';
import { applyEvent, createFloorState } from '../../shared/engine.ts';
import { defaultConfig } from '../../shared/config.ts';
import { parseEvent } from '../../shared/events.ts';

const ms = (iso: string) => Date.parse(iso);

describe('days in zones whose midnight does not exist', () => {
  it.each([
    // Chile starts DST on 2026-09-06: 00:00 jumps to 01:00 (-04 → -03).
    ['America/Santiago', '2026-09-06T12:00:00Z', '2026-09-06T04:00:00Z', '2026-09-07T03:00:00Z'],
    ['America/Santiago', '2026-09-06T03:30:00Z', '2026-09-05T04:00:00Z', '2026-09-06T04:00:00Z'],
    // Cuba starts DST on 2026-03-08: 00:00 jumps to 01:00 (-05 → -04).
    ['America/Havana', '2026-03-08T12:00:00Z', '2026-03-08T05:00:00Z', '2026-03-09T04:00:00Z'],
    ['America/Havana', '2026-03-08T04:30:00Z', '2026-03-07T05:00:00Z', '2026-03-08T05:00:00Z'],
    // And the ordinary cases: a DST day at 03:00, a 25-hour day, UTC.
    ['Europe/Tallinn', '2026-03-29T12:00:00Z', '2026-03-28T22:00:00Z', '2026-03-29T21:00:00Z'],
    ['America/Santiago', '2026-04-05T03:30:00Z', '2026-04-04T03:00:00Z', '2026-04-05T04:00:00Z'],
    ['UTC', '2026-11-24T09:00:00Z', '2026-11-24T00:00:00Z', '2026-11-25T00:00:00Z'],
  ])('%s at %s: the day runs from %s to %s', (tz, at, start, end) => {
    expect(localDay(ms(at), tz)).toEqual({ startMs: ms(start), endMs: ms(end) });
  });

  it('turns the day once, not at every event of the last hour (America/Santiago, 2026-09-05 23:00 to 09-06 01:30)', () => {
    const config = { ...defaultConfig(), timeZone: 'America/Santiago' };
    const s = createFloorState(config, ms('2026-09-06T02:00:00Z'));
    const days = new Set<number>();
    let resyncs = 0;
    for (let t = ms('2026-09-06T03:00:00Z'), n = 0; t <= ms('2026-09-06T05:30:00Z'); t += 60_000, n++) {
      const r = parseEvent({ type: 'agent.state', id: `e${n}`, at: t, agentId: 'a1', state: n % 2 ? 'away' : 'available' });
      if (!r.ok) throw new Error(r.error);
      applyEvent(s, r.event);
      if (s.changes.resync) resyncs++;
      s.changes.resync = false;
      days.add(s.dayStartMs);
    }
    expect([...days]).toEqual([ms('2026-09-05T04:00:00Z'), ms('2026-09-06T04:00:00Z')]);
    expect(resyncs).toBe(1);
  });
});
