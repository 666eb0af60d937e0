/**
 * A restart changes nothing (issue 11, section 5), at the engine's level: a
 * live fold that ticks every second and a replay of the same log (each event
 * at its receive time, no ticks between events, one tick at the end) give the
 * same alerts and figures. Each test is a cause the server's restart property
 * test (tests/server/restart-property.test.ts) found, reduced to its core.
 */
import { describe, expect, it } from 'vitest';
import { applyEvent, createFloorState, observeClock, tick } from '../../shared/engine.ts';
import { defaultConfig } from '../../shared/config.ts';
import { parseEvent, type FloorEvent, type FloorEventInput } from '../../shared/events.ts';
import { selectAgentAlerts, selectAgentView, selectFloorPayload } from '../../shared/selectors.ts';
import type { Alert, FloorState } from '../../shared/state.ts';

const ms = (iso: string) => Date.parse(iso);

/** A floor in UTC driven like the server: events received at a time, and (live) a tick every second. */
class Run {
  readonly state: FloorState;
  readonly log: { event: FloorEvent; receivedAtMs: number }[] = [];
  private n = 0;
  constructor(startIso: string) {
    this.state = createFloorState(defaultConfig(), ms(startIso));
  }
  /** Events received at `receivedIso` (each with its own time). */
  receive(receivedIso: string, events: [string, Record<string, unknown>][]): this {
    for (const [at, e] of events) {
      const r = parseEvent({ id: `e${++this.n}`, at: ms(at), ...e } as FloorEventInput);
      if (!r.ok) throw new Error(r.error);
      this.log.push({ event: r.event, receivedAtMs: ms(receivedIso) });
      observeClock(this.state, ms(receivedIso));
      applyEvent(this.state, r.event);
    }
    return this;
  }
  /** The 1 Hz tick from `fromIso` to `toIso`. */
  tickEach(fromIso: string, toIso: string): this {
    for (let t = ms(fromIso); t <= ms(toIso); t += 1000) tick(this.state, t);
    return this;
  }
  /** The same log folded as the server's start-up replay does, then one tick at `nowIso`. */
  replay(nowIso: string): FloorState {
    const s = createFloorState(defaultConfig(), 0);
    for (const { event, receivedAtMs } of this.log) {
      observeClock(s, receivedAtMs);
      applyEvent(s, event);
    }
    tick(s, ms(nowIso));
    return s;
  }
}

/** Every alert of `ruleId` the fold ever raised, as it now stands (what the server saves), retracted ones included. */
function alertsOf(s: FloorState, ruleId: string): Alert[] {
  const byId = new Map(s.alertLog.filter((a) => a.ruleId === ruleId).map((a) => [a.id, a]));
  return [...byId.values()].sort((a, b) => a.id.localeCompare(b.id));
}

describe('the day turns the same way live and in a replay', () => {
  it("keeps a long call's alert that was open at midnight in the agent's view of the new day, live and replayed", () => {
    const run = new Run('2026-11-24T23:30:00Z')
      .receive('2026-11-24T23:30:00Z', [['2026-11-24T23:30:00Z', { type: 'agent.state', agentId: 'a1', state: 'available', queues: ['q1'] }]])
      .receive('2026-11-24T23:40:00Z', [
        ['2026-11-24T23:40:00Z', { type: 'call.queued', callId: 'm1', queueId: 'q1' }],
        ['2026-11-24T23:40:00Z', { type: 'call.ringing', callId: 'm1', agentId: 'a1' }],
      ])
      .receive('2026-11-24T23:40:05Z', [['2026-11-24T23:40:05Z', { type: 'call.answered', callId: 'm1', agentId: 'a1' }]])
      .tickEach('2026-11-24T23:40:06Z', '2026-11-25T00:05:00Z')
      .receive('2026-11-25T00:05:00Z', [['2026-11-25T00:05:00Z', { type: 'call.ended', callId: 'm1' }]])
      .tickEach('2026-11-25T00:05:01Z', '2026-11-25T00:06:00Z');
    // 13.6 min of budget: the warning crossed at 23:53:41, before midnight, and the call ran on into the new day.
    const live = selectAgentAlerts(run.state, 'a1');
    expect(live.map((a) => [a.ruleId, a.level, a.status, a.raisedAtMs])).toEqual([['call-long', 'warn', 'resolved', ms('2026-11-24T23:53:41Z')]]);
    const replayed = run.replay('2026-11-25T00:06:00Z');
    expect(selectAgentAlerts(replayed, 'a1')).toEqual(live);
    expect(selectFloorPayload(replayed).agents).toEqual(selectFloorPayload(run.state).agents);
  });

  it("closes at midnight a quota-pace warning only ticks had raised, and a replay records the same day's warning", () => {
    const run = new Run('2026-11-24T20:00:00Z')
      .receive('2026-11-24T20:00:00Z', [['2026-11-24T20:00:00Z', { type: 'agent.state', agentId: 'a1', state: 'available', queues: ['q1'] }]])
      .tickEach('2026-11-24T20:00:01Z', '2026-11-25T00:00:30Z');
    const live = alertsOf(run.state, 'quota-pace');
    expect(run.state.agents.get('a1')!.pastDays.get(ms('2026-11-24T00:00:00Z'))!.alerts['quota-pace']).toEqual({ info: 0, warn: 1, breach: 0 });
    const replayed = run.replay('2026-11-25T00:00:30Z');
    expect(replayed.agents.get('a1')!.pastDays.get(ms('2026-11-24T00:00:00Z'))).toEqual(run.state.agents.get('a1')!.pastDays.get(ms('2026-11-24T00:00:00Z')));
    expect(alertsOf(replayed, 'quota-pace')).toEqual(live);
  });
});

describe('queue-wait episodes are figured from the callers who really waited', () => {
  it('takes the level, longest wait and start from the true waits when the answers come back-dated, not from what the ticks measured', () => {
    const run = new Run('2026-11-24T09:00:00Z')
      .receive('2026-11-24T09:00:00Z', [['2026-11-24T09:00:00Z', { type: 'call.queued', callId: 'w1', queueId: 'q1' }]])
      .receive('2026-11-24T09:00:05Z', [['2026-11-24T09:00:05Z', { type: 'call.queued', callId: 'w2', queueId: 'q1' }]])
      .tickEach('2026-11-24T09:00:31Z', '2026-11-24T09:03:00Z');
    // The ticks saw w1 waiting three minutes: a breach, value 180.
    expect(alertsOf(run.state, 'queue-wait')).toMatchObject([{ status: 'open', level: 'breach', value: 180 }]);
    // The PBX link comes back: both were answered long ago, after 70 s and 95 s.
    run.receive('2026-11-24T09:03:01Z', [
      ['2026-11-24T09:01:10Z', { type: 'call.answered', callId: 'w1', agentId: 'a1' }],
      ['2026-11-24T09:01:40Z', { type: 'call.answered', callId: 'w2', agentId: 'a2' }],
    ]);
    const live = alertsOf(run.state, 'queue-wait');
    expect(live).toMatchObject([{ id: 'queue-wait:q1:1', status: 'resolved', level: 'warn', threshold: 60, value: 95, raisedAtMs: ms('2026-11-24T09:01:00Z'), resolvedAtMs: ms('2026-11-24T09:01:40Z') }]);
    expect(alertsOf(run.replay('2026-11-24T09:03:01Z'), 'queue-wait')).toEqual(live);
  });

  it('ends an episode when its last caller left, also when the event that closes it is back-dated', () => {
    const run = new Run('2026-11-24T10:00:00Z')
      .receive('2026-11-24T10:00:00Z', [['2026-11-24T10:00:00Z', { type: 'call.queued', callId: 's1', queueId: 'q1' }]])
      .receive('2026-11-24T10:01:00Z', [['2026-11-24T10:01:00Z', { type: 'call.queued', callId: 's2', queueId: 'q1' }]])
      .tickEach('2026-11-24T10:01:01Z', '2026-11-24T10:05:00Z')
      .receive('2026-11-24T10:05:00Z', [['2026-11-24T10:05:00Z', { type: 'call.answered', callId: 's1', agentId: 'a1' }]])
      .tickEach('2026-11-24T10:05:01Z', '2026-11-24T10:06:00Z')
      // s2 had hung up at 10:03, which the server learns only now.
      .receive('2026-11-24T10:06:00Z', [['2026-11-24T10:03:00Z', { type: 'call.abandoned', callId: 's2' }]]);
    const live = alertsOf(run.state, 'queue-wait');
    expect(live).toMatchObject([{ status: 'resolved', level: 'breach', value: 300, raisedAtMs: ms('2026-11-24T10:01:00Z'), resolvedAtMs: ms('2026-11-24T10:05:00Z') }]);
    expect(alertsOf(run.replay('2026-11-24T10:06:00Z'), 'queue-wait')).toEqual(live);
  });

  it('gives the number of an episode that was never real back, so the next one has the same id live and replayed', () => {
    const run = new Run('2026-11-24T09:00:00Z')
      .receive('2026-11-24T09:00:00Z', [['2026-11-24T09:00:00Z', { type: 'call.queued', callId: 'p1', queueId: 'q1' }]])
      .tickEach('2026-11-24T09:00:01Z', '2026-11-24T09:02:00Z')
      .receive('2026-11-24T09:02:00Z', [['2026-11-24T09:00:20Z', { type: 'call.answered', callId: 'p1', agentId: 'a1' }]])
      .receive('2026-11-24T09:10:00Z', [['2026-11-24T09:10:00Z', { type: 'call.queued', callId: 'p2', queueId: 'q1' }]])
      .tickEach('2026-11-24T09:10:01Z', '2026-11-24T09:11:30Z')
      .receive('2026-11-24T09:11:30Z', [['2026-11-24T09:11:30Z', { type: 'call.abandoned', callId: 'p2' }]]);
    const live = alertsOf(run.state, 'queue-wait');
    expect(live).toMatchObject([{ id: 'queue-wait:q1:1', status: 'resolved', value: 90, raisedAtMs: ms('2026-11-24T09:11:00Z') }]);
    expect(alertsOf(run.replay('2026-11-24T09:11:30Z'), 'queue-wait')).toEqual(live);
  });

  it("records a past day's caller who arrives late on that day, leaving today's open episode as it was", () => {
    const run = new Run('2026-11-25T00:00:00Z')
      .receive('2026-11-25T00:10:00Z', [['2026-11-25T00:10:00Z', { type: 'call.queued', callId: 't1', queueId: 'q1' }]])
      .tickEach('2026-11-25T00:10:01Z', '2026-11-25T00:12:00Z')
      .receive('2026-11-25T00:12:00Z', [
        ['2026-11-24T23:50:00Z', { type: 'call.queued', callId: 'y1', queueId: 'q1' }],
        ['2026-11-24T23:52:30Z', { type: 'call.abandoned', callId: 'y1' }],
      ])
      .tickEach('2026-11-25T00:12:01Z', '2026-11-25T00:12:30Z');
    const live = alertsOf(run.state, 'queue-wait');
    expect(live).toMatchObject([
      { id: 'queue-wait:q1:1', status: 'open', level: 'breach', raisedAtMs: ms('2026-11-25T00:11:00Z'), value: 150 },
      { id: 'queue-wait:q1:y1:' + ms('2026-11-24T23:50:00Z'), status: 'resolved', level: 'breach', value: 150, raisedAtMs: ms('2026-11-24T23:51:00Z') },
    ]);
    expect(selectFloorPayload(run.state).alerts.map((a) => a.id)).toEqual(['queue-wait:q1:1']); // yesterday's is history only
    expect(alertsOf(run.replay('2026-11-25T00:12:30Z'), 'queue-wait')).toEqual(live);
  });
});

describe('quota pace is judged now, also on a late call end', () => {
  it('keeps a warning a live tick raised when a call end of before it arrives late, as a replay does', () => {
    const run = new Run('2026-11-24T08:00:00Z')
      .receive('2026-11-24T08:00:00Z', [['2026-11-24T08:00:00Z', { type: 'agent.state', agentId: 'a1', state: 'available', queues: ['q1'] }]])
      .tickEach('2026-11-24T08:00:01Z', '2026-11-24T09:00:00Z');
    // More than 2 calls behind since 08:32 (30 calls in 480 min, none handled).
    expect(alertsOf(run.state, 'quota-pace')).toMatchObject([{ status: 'open', raisedAtMs: ms('2026-11-24T08:32:00Z') }]);
    // A call a1 took at 08:15 reaches the server at 09:00: one call handled, and still behind now (3.75 − 1 > 2).
    run.receive('2026-11-24T09:00:00Z', [
      ['2026-11-24T08:15:00Z', { type: 'call.answered', callId: 'k1', agentId: 'a1' }],
      ['2026-11-24T08:19:00Z', { type: 'call.ended', callId: 'k1' }],
    ]);
    const live = alertsOf(run.state, 'quota-pace');
    expect(live).toMatchObject([{ id: `quota-pace:a1:${ms('2026-11-24T00:00:00Z')}:1`, status: 'open', value: 2.8 }]);
    expect(alertsOf(run.replay('2026-11-24T09:00:00Z'), 'quota-pace')).toEqual(live);
  });

  it('lists two warnings raised at the same instant in the same order live and replayed', () => {
    const run = new Run('2026-11-24T08:00:00Z')
      .receive('2026-11-24T08:00:00Z', [
        ['2026-11-24T08:00:00Z', { type: 'agent.state', agentId: 'a1', state: 'available', queues: ['q1'] }],
        ['2026-11-24T08:00:00Z', { type: 'agent.state', agentId: 'a2', state: 'available', queues: ['q1'] }],
      ])
      .tickEach('2026-11-24T08:00:01Z', '2026-11-24T09:00:00Z')
      // a2's call ends (still behind after it): in a replay, a2's warning (same crossing as a1's, 08:32) is raised before a1's.
      .receive('2026-11-24T09:00:00Z', [
        ['2026-11-24T08:59:00Z', { type: 'call.answered', callId: 'k2', agentId: 'a2' }],
        ['2026-11-24T09:00:00Z', { type: 'call.ended', callId: 'k2' }],
      ])
      .tickEach('2026-11-24T09:00:01Z', '2026-11-24T09:10:00Z');
    const feed = selectFloorPayload(run.state).alerts;
    expect(feed.map((a) => [a.agentId, a.raisedAtMs])).toEqual([
      ['a1', ms('2026-11-24T08:32:00Z')],
      ['a2', ms('2026-11-24T08:32:00Z')],
    ]);
    expect(selectFloorPayload(run.replay('2026-11-24T09:10:00Z')).alerts).toEqual(feed);
  });
});

describe('promises to callers', () => {
  it('keeps a missed callback on record when it is rescheduled, whether or not a tick had raised it', () => {
    const run = new Run('2026-11-24T09:00:00Z')
      .receive('2026-11-24T09:00:00Z', [['2026-11-24T09:00:00Z', { type: 'callback.scheduled', callbackId: 'cb1', agentId: 'a1', dueAt: ms('2026-11-24T09:10:00Z') }]])
      .tickEach('2026-11-24T09:00:01Z', '2026-11-24T09:20:00Z')
      .receive('2026-11-24T09:20:00Z', [['2026-11-24T09:20:00Z', { type: 'callback.scheduled', callbackId: 'cb1', agentId: 'a1', dueAt: ms('2026-11-24T09:40:00Z') }]]);
    const live = alertsOf(run.state, 'callback-missed');
    expect(live).toMatchObject([{ id: 'callback-missed:cb1:0', status: 'resolved', level: 'breach', value: 600, raisedAtMs: ms('2026-11-24T09:15:00Z'), resolvedAtMs: ms('2026-11-24T09:20:00Z') }]);
    expect(alertsOf(run.replay('2026-11-24T09:20:00Z'), 'callback-missed')).toEqual(live);
  });
});

describe("an agent's alerts by rule", () => {
  it('leave out a rule whose only alert was retracted, as a replay that never raised it does', () => {
    const run = new Run('2026-11-24T09:00:00Z')
      .receive('2026-11-24T09:00:00Z', [
        ['2026-11-24T09:00:00Z', { type: 'call.queued', callId: 'r1', queueId: 'q1' }],
        ['2026-11-24T09:00:00Z', { type: 'call.ringing', callId: 'r1', agentId: 'a1' }],
        ['2026-11-24T09:00:00Z', { type: 'call.ringing', callId: 'r1', agentId: 'a2' }],
      ])
      .tickEach('2026-11-24T09:00:01Z', '2026-11-24T09:00:14Z')
      .receive('2026-11-24T09:00:15Z', [['2026-11-24T09:00:15Z', { type: 'call.answered', callId: 'r1', agentId: 'a2' }]]);
    // a1's ring-3 warning was live, then a2's answer cut the ring off: retracted.
    const a1 = selectAgentView(run.state, run.state.agents.get('a1')!);
    expect(a1.alertsByRule).toEqual({});
    const replayed = run.replay('2026-11-24T09:00:15Z');
    expect(selectAgentView(replayed, replayed.agents.get('a1')!)).toEqual(a1);
  });
});
