/**
 * A past call's drill-down rebuilt in the browser from its logged events (client/src/callRebuild.ts), as the
 * scorecard's worst calls open it when the call is no longer in the live floor's memory.
 */
import { describe, expect, it } from 'vitest';
import { callDetailFromEvents } from '../../client/src/callRebuild.ts';
import { parseEvent, type FloorEvent } from '../../shared/events.ts';
import { defaultConfig } from '../../shared/config.ts';

const T = Date.UTC(2026, 10, 24, 9, 0);
let n = 0;
const ev = (sec: number, e: Record<string, unknown>): FloorEvent => {
  const r = parseEvent({ id: `cr-${++n}`, at: T + sec * 1000, ...e });
  if (!r.ok) throw new Error(r.error);
  return r.event;
};

describe('a past call rebuilt from its events', () => {
  it('has its timeline and the breach it raised, under the floor’s settings', () => {
    const events = [
      ev(0, { type: 'call.queued', callId: 'p1', queueId: 'sales', caller: '+372 5550 1001' }),
      ev(2, { type: 'call.ringing', callId: 'p1', agentId: '5001' }),
      ev(5, { type: 'call.answered', callId: 'p1', agentId: '5001', ringCount: 1 }),
      ev(30, { type: 'call.hold', callId: 'p1', askedPermission: false }),
      ev(40, { type: 'call.unhold', callId: 'p1' }),
      ev(90, { type: 'call.ended', callId: 'p1', by: 'caller', notes: true }),
    ];
    const d = callDetailFromEvents('p1', events, defaultConfig());
    expect(d?.caller).toBe('+372 5550 1001');
    expect(d?.timeline.map((e) => e.type)).toEqual(['call.queued', 'call.ringing', 'call.answered', 'call.hold', 'call.unhold', 'call.ended']);
    expect(d?.alerts.map((a) => [a.ruleId, a.level])).toContainEqual(['hold-permission', 'breach']);
  });

  it('is null without events', () => {
    expect(callDetailFromEvents('p1', [], defaultConfig())).toBeNull();
  });
});
