import { describe, expect, expectTypeOf, it } from 'vitest';
import { EVENT_TYPES, parseEvent, type FloorEvent, type FloorEventInput } from '../../shared/events.ts';
import { parseConfig, defaultConfig, callBudgetSec } from '../../shared/config.ts';

const at = '2026-11-24T09:00:00Z';
const valid: Record<string, Record<string, unknown>> = {
  'agent.state': { agentId: 'a1', state: 'away', reason: 'lunch', name: 'Ann', team: 't', queues: ['q'] },
  'call.queued': { callId: 'c', queueId: 'q', caller: '+372 555' },
  'call.ringing': { callId: 'c', agentId: 'a1' },
  'call.ring-ended': { callId: 'c', agentId: 'a1', outcome: 'canceled' },
  'call.lost': { callId: 'c', reason: 'not listed by the PBX after a reconnect' },
  'call.answered': { callId: 'c', agentId: 'a1', ringCount: 2 },
  'call.hold': { callId: 'c', askedPermission: true },
  'call.unhold': { callId: 'c' },
  'call.transferred': { callId: 'c', toQueueId: 'q2', askedPermission: false, mode: 'blind' },
  'call.ended': { callId: 'c', by: 'caller', notes: true },
  'call.abandoned': { callId: 'c' },
  'call.speaker': { callId: 'c', on: true },
  'call.volume': { callId: 'c', dbfs: -12.5 },
  'call.escalation': { callId: 'c' },
  'call.transcript': { callId: 'c', speaker: 'agent', text: 'Tere, siin Mari Floorwatchist', startMs: 800, endMs: 2600, lang: 'et', final: true },
  'call.talking': { callId: 'c', party: 'caller', talking: true },
  'voicemail.left': { voicemailId: 'v', queueId: 'q' },
  'voicemail.returned': { voicemailId: 'v', agentId: 'a1' },
  'callback.scheduled': { callbackId: 'b', agentId: 'a1', dueAt: '2026-11-24T10:00:00+02:00' },
  'callback.completed': { callbackId: 'b', agentId: 'a1' },
  'call.outbound': { callId: 'o', to: '+372 555 0123', agentId: 'a1', answered: false },
};

describe('event schema', () => {
  it('accepts every event type of the design in valid form', () => {
    expect(Object.keys(valid).sort()).toEqual([...EVENT_TYPES].sort());
    for (const [type, fields] of Object.entries(valid)) {
      const r = parseEvent({ type, id: `id-${type}`, at, ...fields });
      expect(r.ok, `${type}: ${r.ok ? '' : r.error}`).toBe(true);
    }
  });

  it('parses ISO-8601 and epoch milliseconds to the same instant', () => {
    const a = parseEvent({ type: 'call.abandoned', id: '1', at: '2026-11-24T11:00:00+02:00', callId: 'c' });
    const b = parseEvent({ type: 'call.abandoned', id: '1', at: Date.parse(at), callId: 'c' });
    expect(a.ok && b.ok && a.event.at === b.event.at).toBe(true);
    const due = parseEvent({ type: 'callback.scheduled', id: '2', at, ...valid['callback.scheduled'] });
    expect(due.ok && due.event.type === 'callback.scheduled' && due.event.dueAt).toBe(Date.parse('2026-11-24T08:00:00Z'));
  });

  it.each([
    [{ type: 'call.queued', id: '1', at: 'yesterday', callId: 'c', queueId: 'q' }, /^at: must be ISO-8601/],
    [{ type: 'call.queued', id: '1', at: '2026-11-24T09:00:00', callId: 'c', queueId: 'q' }, /^at: must be ISO-8601 with a time zone/],
    [{ type: 'call.queued', id: '1', at: 1e20, callId: 'c', queueId: 'q' }, /^at: must be a valid time/],
    [{ type: 'call.queued', id: '1', at: '2026-02-31T09:00:00Z', callId: 'c', queueId: 'q' }, /^at: /],
    [{ type: 'call.queued', id: '1', at, callId: 'c' }, /^queueId: required/],
    [{ type: 'call.queued', at, callId: 'c', queueId: 'q' }, /^id: required/],
    [{ type: 'call.queued', id: '', at, callId: 'c', queueId: 'q' }, /^id: must not be empty/],
    [{ type: 'call.queued', id: 'x'.repeat(129), at, callId: 'c', queueId: 'q' }, /^id: must be at most 128/],
    [{ type: 'call.queued', id: 'a\u0000b', at, callId: 'c', queueId: 'q' }, /^id: must not contain control characters/],
    [{ type: 'call.hold', id: '1', at, callId: 'c', askedPermision: false }, /unknown field\(s\) "askedPermision"/],
    [{ type: 'call.answered', id: '1', at, callId: 'c', agentId: 'a', ringCount: -1 }, /^ringCount: /],
    [{ type: 'call.volume', id: '1', at, callId: 'c', dbfs: 3 }, /^dbfs: /],
    [{ type: 'agent.state', id: '1', at, agentId: 'a', state: 'sleeping' }, /^state: /],
    [{ type: 'call.flying', id: '1', at }, /unknown event type "call.flying"/],
    [{ id: '1', at }, /^type: required/],
    [[1, 2], /must be a JSON object/],
    [null, /must be a JSON object/],
    [{ type: 'call.queued', id: 7, at, callId: 'c', queueId: 'q' }, /^id: /],
  ])('rejects %j with a reason naming the field', (input, reason) => {
    const r = parseEvent(input);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(reason);
  });

  it('does not let a prototype-polluting key through', () => {
    const r = parseEvent(JSON.parse('{"type":"call.abandoned","id":"1","at":1795510800000,"callId":"c","__proto__":{"polluted":true}}'));
    expect(r.ok).toBe(false);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('types the wire: input times are text or numbers, validated times are numbers', () => {
    expectTypeOf<FloorEvent['at']>().toEqualTypeOf<number>();
    expectTypeOf<FloorEventInput['at']>().toEqualTypeOf<string | number>();
    expectTypeOf<Extract<FloorEvent, { type: 'call.hold' }>['askedPermission']>().toEqualTypeOf<boolean | undefined>();
  });
});

describe('config', () => {
  it('has the design defaults and a per-call budget of 816 s', () => {
    const c = defaultConfig();
    expect(c.rules).toMatchObject({ ringWarnAt: 3, ringBreachAt: 4, ringCadenceSec: 6, holdLongWarnSec: 45, holdLongBreachSec: 90, queueWaitWarnSec: 60, queueWaitBreachSec: 120 });
    expect(callBudgetSec(c.workload)).toBeCloseTo(816, 6);
    expect(parseConfig(c).ok).toBe(true);
  });

  it('rejects inconsistent or unknown settings with a clear message', () => {
    const bad = defaultConfig();
    bad.rules.holdLongWarnSec = 100;
    expect(parseConfig(bad)).toEqual({ ok: false, error: 'rules.holdLongWarnSec: must not exceed holdLongBreachSec' });
    expect(parseConfig({ ...defaultConfig(), timeZone: 'Mars/Olympus' })).toEqual({ ok: false, error: 'timeZone: unknown time zone "Mars/Olympus"' });
    const r = parseConfig({ ...defaultConfig(), workload: { dailyQuota: 0, shiftMinutes: 480, targetOccupancy: 0.85 } });
    expect(r.ok === false && r.error).toMatch(/^workload.dailyQuota: /);
  });
});
