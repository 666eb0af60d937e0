/**
 * The engine's model of time, rings and lost ends (issue: numbers a floor can
 * trust). Each example of the issue is a test with the value it gives, then
 * more cases of the same kind.
 */
import { describe, expect, it } from 'vitest';
import { applyEvent, createFloorState, observeClock, tick } from '../../shared/engine.ts';
import { defaultConfig } from '../../shared/config.ts';
import { parseEvent, type FloorEvent, type FloorEventInput } from '../../shared/events.ts';
import { agentActivity, selectDayTables, serializeState } from '../../shared/selectors.ts';
import type { Alert, FloorState } from '../../shared/state.ts';

const ms = (iso: string) => Date.parse(iso);

/** A floor in UTC whose events are given with absolute times. */
class Floor {
  readonly state: FloorState;
  readonly log: FloorEvent[] = [];
  private n = 0;
  constructor(startIso: string, historyDays = 3) {
    this.state = createFloorState(defaultConfig(), ms(startIso), { historyDays });
  }
  send(iso: string, e: Record<string, unknown>): this {
    const r = parseEvent({ id: `e${++this.n}`, at: ms(iso), ...e } as FloorEventInput);
    if (!r.ok) throw new Error(r.error);
    this.log.push(r.event);
    applyEvent(this.state, r.event);
    return this;
  }
  internal(e: FloorEvent): this {
    this.log.push(e);
    applyEvent(this.state, e);
    return this;
  }
  clock(iso: string): this {
    observeClock(this.state, ms(iso));
    return this;
  }
  tick(iso: string): this {
    tick(this.state, ms(iso));
    return this;
  }
  /** Ticks once a second from `fromIso` to `toIso`. */
  tickEach(fromIso: string, toIso: string, stepSec = 1): this {
    for (let t = ms(fromIso); t <= ms(toIso); t += stepSec * 1000) tick(this.state, t);
    return this;
  }
  agent(iso: string, agentId: string, state = 'available') {
    return this.send(iso, { type: 'agent.state', agentId, state, queues: ['q1'] });
  }
  day(dateIso: string, queueId = 'q1') {
    return selectDayTables(this.state, ms(`${dateIso}T00:00:00Z`)).queues.find((q) => q.queueId === queueId);
  }
  agentDay(dateIso: string, agentId: string) {
    return selectDayTables(this.state, ms(`${dateIso}T00:00:00Z`)).agents.find((a) => a.agentId === agentId);
  }
  alerts(ruleId?: string): Alert[] {
    const all = [...this.state.alerts.values(), ...this.state.recentAlerts];
    return ruleId ? all.filter((a) => a.ruleId === ruleId) : all;
  }
}

function midnightFeed(f: Floor): Floor {
  return f
    .agent('2026-11-27T23:50:00Z', '2001')
    .send('2026-11-27T23:59:50Z', { type: 'call.queued', callId: 'n1', queueId: 'q1' })
    .send('2026-11-28T00:00:05Z', { type: 'call.ringing', callId: 'n1', agentId: '2001' })
    .send('2026-11-28T00:00:12Z', { type: 'call.answered', callId: 'n1', agentId: '2001' })
    .send('2026-11-28T00:03:12Z', { type: 'call.ended', callId: 'n1' })
    .send('2026-11-28T00:10:00Z', { type: 'call.queued', callId: 'n2', queueId: 'q1' })
    .send('2026-11-28T00:10:40Z', { type: 'call.abandoned', callId: 'n2' });
}

describe('days: every event counts on the day it belongs to', () => {
  it('counts a call answered after midnight on the day it was offered (live, the clock following the feed)', () => {
    const f = midnightFeed(new Floor('2026-11-27T23:00:00Z'));
    expect(f.day('2026-11-27')).toMatchObject({ offered: 1, answered: 1, abandoned: 0, serviceLevelPct: 0, waiting: 0 });
    expect(f.day('2026-11-28')).toMatchObject({ offered: 1, answered: 0, abandoned: 1 });
    expect(f.agentDay('2026-11-27', '2001')?.handled).toBe(1);
    expect(f.agentDay('2026-11-28', '2001')?.handled).toBe(0);
    // A past day's table lists who worked that day, with no "now" of today in it.
    f.agent('2026-11-28T00:20:00Z', '2002').send('2026-11-28T00:21:00Z', { type: 'call.answered', callId: 'n3', agentId: '2002' });
    const past = selectDayTables(f.state, ms('2026-11-27T00:00:00Z')).agents;
    expect(past.map((a) => a.agentId)).toEqual(['2001']);
    expect(past[0]).toMatchObject({ activity: 'offline', callId: null, shiftStartMs: null, openAlerts: 0, activitySinceMs: ms('2026-11-28T00:00:00Z') });
  });

  it('gives the same days when the whole night arrives in one batch after it (clock already on 11-28 00:11)', () => {
    const f = midnightFeed(new Floor('2026-11-28T00:11:00Z'));
    expect(f.day('2026-11-27')).toMatchObject({ offered: 1, answered: 1, abandoned: 0, serviceLevelPct: 0 });
    expect(f.day('2026-11-28')).toMatchObject({ offered: 1, answered: 0, abandoned: 1 });
    // n1 belongs to a day that was over when it was learnt of: never live on today's floor.
    expect(f.state.liveCalls.size).toBe(0);
    expect(f.state.diagnostics.pastDay).toBeGreaterThan(0);
  });

  it('puts a call first heard of after its day on the live floor once it has an event of today (answered after midnight, still on hold)', () => {
    const f = new Floor('2026-11-28T00:11:00Z').agent('2026-11-28T00:00:00Z', 'a1');
    f.send('2026-11-27T23:59:51Z', { type: 'call.queued', callId: 'h1', queueId: 'q1' });
    expect(f.state.liveCalls.has('h1')).toBe(false);
    f.send('2026-11-28T00:08:00Z', { type: 'call.answered', callId: 'h1', agentId: 'a1' }).send('2026-11-28T00:09:00Z', { type: 'call.hold', callId: 'h1' });
    expect(f.state.liveCalls.has('h1')).toBe(true);
    expect(agentActivity(f.state, f.state.agents.get('a1')!)).toEqual({ activity: 'hold', sinceMs: ms('2026-11-28T00:09:00Z') });
    expect(f.day('2026-11-27')).toMatchObject({ offered: 1, answered: 1 });
    expect(f.day('2026-11-28')).toMatchObject({ offered: 0, answered: 0 });
    f.tick('2026-11-28T00:11:00Z');
    expect(f.alerts('hold-long')).toMatchObject([{ status: 'open', agentId: 'a1' }]);
  });

  it('keeps a call of a past day off the live floor: no live call, no long-call or long-hold alert, nobody "behind" (the README example dated 2026-11-24, received on 11-30)', () => {
    const f = new Floor('2026-11-30T09:00:00Z', 10);
    f.send('2026-11-24T09:00:00Z', { type: 'agent.state', agentId: '1001', state: 'available', name: 'Ann Lee', team: 'blue', queues: ['sales'] })
      .send('2026-11-24T09:01:00Z', { type: 'call.queued', callId: 'c-77', queueId: 'sales', caller: '+3725550100' })
      .send('2026-11-24T09:01:05Z', { type: 'call.ringing', callId: 'c-77', agentId: '1001' })
      .send('2026-11-24T09:01:14Z', { type: 'call.answered', callId: 'c-77', agentId: '1001', ringCount: 2 })
      .send('2026-11-24T09:01:40Z', { type: 'call.hold', callId: 'c-77', askedPermission: false })
      .tickEach('2026-11-30T09:00:01Z', '2026-11-30T09:00:05Z');
    expect(f.state.nowMs).toBe(ms('2026-11-30T09:00:05Z'));
    expect(f.state.liveCalls.size).toBe(0);
    expect([...f.state.alerts.values()]).toEqual([]);
    expect(f.day('2026-11-30', 'sales')).toMatchObject({ offered: 0, answered: 0 });
    expect(f.day('2026-11-24', 'sales')).toMatchObject({ offered: 1, answered: 1 });
    const a = f.state.agents.get('1001')!;
    expect(a.presence).toBe('offline'); // a presence of a past day says nothing about now
    expect(a.today.handled).toBe(0);
    expect(a.callId).toBeUndefined();
  });

  it('never moves the clock back for a back-dated event, and counts it on its own day', () => {
    const f = new Floor('2026-11-24T09:00:00Z').tick('2026-11-24T12:00:00Z');
    f.send('2026-11-24T11:58:00Z', { type: 'call.queued', callId: 'b1', queueId: 'q1' });
    expect(f.state.nowMs).toBe(ms('2026-11-24T12:00:00Z'));
    f.tick('2026-11-24T12:00:01Z');
    // The caller has really waited two minutes: the alert is raised at its true crossing.
    expect(f.alerts('queue-wait')).toMatchObject([{ level: 'breach', raisedAtMs: ms('2026-11-24T11:59:00Z') }]);
    expect(f.day('2026-11-24')?.offered).toBe(1);
  });

  it('counts a call on the 15-minute interval it was offered in', () => {
    const f = new Floor('2026-11-24T09:00:00Z')
      .send('2026-11-24T09:14:50Z', { type: 'call.queued', callId: 'i1', queueId: 'q1' })
      .send('2026-11-24T09:15:20Z', { type: 'call.answered', callId: 'i1', agentId: 'a1' });
    const q = f.state.queues.get('q1')!;
    expect(q.intervals.get(ms('2026-11-24T09:00:00Z'))).toMatchObject({ offered: 1, answered: 1 });
    expect(q.intervals.get(ms('2026-11-24T09:15:00Z'))).toBeUndefined();
  });
});

describe("the source's own wait", () => {
  it('counts the wait the source measured (waitSec) over the whole-second event times: ASA, longest wait, service level', () => {
    const f = new Floor('2026-11-24T09:00:00Z');
    f.send('2026-11-24T09:00:00Z', { type: 'call.queued', callId: 'c1', queueId: 'q1' })
      .send('2026-11-24T09:00:04Z', { type: 'call.answered', callId: 'c1', agentId: 'a1', waitSec: 5 })
      .send('2026-11-24T09:03:20Z', { type: 'call.queued', callId: 'c2', queueId: 'q1' })
      .send('2026-11-24T09:03:40Z', { type: 'call.answered', callId: 'c2', agentId: 'a2', waitSec: 21 })
      .send('2026-11-24T09:06:40Z', { type: 'call.queued', callId: 'c3', queueId: 'q1' })
      .send('2026-11-24T09:06:48Z', { type: 'call.abandoned', callId: 'c3', waitSec: 9 });
    expect(f.day('2026-11-24')).toMatchObject({ answered: 2, abandoned: 1, asaSec: 13, maxWaitSec: 21, serviceLevelPct: 50 });
  });
});

describe('rings: a call rings several agents at once', () => {
  it('charges only the agent who answered; a ring cut off by a colleague is no ring-no-answer (ringall, AMI example)', () => {
    const f = new Floor('2026-11-24T08:59:00Z').agent('2026-11-24T08:59:00Z', 'EXT-200').agent('2026-11-24T08:59:00Z', 'EXT-201');
    f.send('2026-11-24T09:00:00Z', { type: 'call.queued', callId: 'r1', queueId: 'q1' })
      .send('2026-11-24T09:00:01Z', { type: 'call.ringing', callId: 'r1', agentId: 'EXT-200' })
      .send('2026-11-24T09:00:01Z', { type: 'call.ringing', callId: 'r1', agentId: 'EXT-201' })
      .tickEach('2026-11-24T09:00:02Z', '2026-11-24T09:00:08Z');
    expect(agentActivity(f.state, f.state.agents.get('EXT-200')!).activity).toBe('ringing');
    expect(agentActivity(f.state, f.state.agents.get('EXT-201')!).activity).toBe('ringing');
    f.send('2026-11-24T09:00:09Z', { type: 'call.answered', callId: 'r1', agentId: 'EXT-201' }).send('2026-11-24T09:01:09Z', { type: 'call.ended', callId: 'r1' });
    const a200 = f.state.agents.get('EXT-200')!.today;
    const a201 = f.state.agents.get('EXT-201')!.today;
    expect(a201.ringsHist[2]).toBe(1); // 8 s of ringing at the 6 s cadence: 2 rings
    expect(a200.ringNoAnswer).toBe(0);
    expect(a200.ringCanceled).toBe(1);
    expect(f.alerts('ring-limit')).toEqual([]);
    expect(agentActivity(f.state, f.state.agents.get('EXT-200')!)).toEqual({ activity: 'available', sinceMs: ms('2026-11-24T09:00:09Z') });
  });

  it('judges rings that timed out each on their own (queue_log example: two RINGNOANSWER of 30 s)', () => {
    const f = new Floor('2026-11-24T08:59:00Z');
    f.send('2026-11-24T09:00:00Z', { type: 'call.queued', callId: 'X', queueId: 'support' })
      .send('2026-11-24T09:00:00Z', { type: 'call.ringing', callId: 'X', agentId: 'EXT-200' })
      .send('2026-11-24T09:00:30Z', { type: 'call.ring-ended', callId: 'X', agentId: 'EXT-200', outcome: 'no-answer' })
      .send('2026-11-24T09:00:00Z', { type: 'call.ringing', callId: 'X', agentId: 'EXT-201' })
      .send('2026-11-24T09:00:30Z', { type: 'call.ring-ended', callId: 'X', agentId: 'EXT-201', outcome: 'no-answer' })
      .send('2026-11-24T09:00:40Z', { type: 'call.abandoned', callId: 'X' });
    const ring = f.alerts('ring-limit').map((a) => [a.agentId, a.level, a.value]).sort();
    expect(ring).toEqual([['EXT-200', 'breach', 6], ['EXT-201', 'breach', 6]]);
    expect(f.state.agents.get('EXT-200')!.today.ringNoAnswer).toBe(1);
    expect(f.state.agents.get('EXT-201')!.today.ringNoAnswer).toBe(1);
  });

  it('retracts a live ring-limit warning of a ring a colleague cut off, and judges the answering ring alone', () => {
    const f = new Floor('2026-11-24T08:59:00Z');
    f.send('2026-11-24T09:00:00Z', { type: 'call.queued', callId: 'r2', queueId: 'q1' })
      .send('2026-11-24T09:00:00Z', { type: 'call.ringing', callId: 'r2', agentId: 'a1' })
      .send('2026-11-24T09:00:00Z', { type: 'call.ringing', callId: 'r2', agentId: 'a2' })
      .send('2026-11-24T09:00:00Z', { type: 'call.ringing', callId: 'r2', agentId: 'a3' })
      .tickEach('2026-11-24T09:00:01Z', '2026-11-24T09:00:19Z');
    expect(f.alerts('ring-limit').filter((a) => a.status === 'open')).toHaveLength(3); // ring 4 on each phone, live
    f.send('2026-11-24T09:00:20Z', { type: 'call.answered', callId: 'r2', agentId: 'a2' });
    expect(f.alerts('ring-limit').map((a) => [a.agentId, a.level, a.status])).toEqual([['a2', 'breach', 'resolved']]);
    for (const id of ['a1', 'a3']) {
      expect(f.state.agents.get(id)!.today).toMatchObject({ ringNoAnswer: 0, ringCanceled: 1 });
      expect(f.state.agents.get(id)!.today.alerts['ring-limit']).toEqual({ info: 0, warn: 0, breach: 0 });
    }
  });

  it('cancels every open ring when the caller hangs up, and holds none of them against the agents', () => {
    const f = new Floor('2026-11-24T08:59:00Z');
    f.send('2026-11-24T09:00:00Z', { type: 'call.queued', callId: 'r3', queueId: 'q1' })
      .send('2026-11-24T09:00:00Z', { type: 'call.ringing', callId: 'r3', agentId: 'a1' })
      .send('2026-11-24T09:00:02Z', { type: 'call.ringing', callId: 'r3', agentId: 'a2' })
      .send('2026-11-24T09:00:25Z', { type: 'call.abandoned', callId: 'r3' });
    expect(f.alerts('ring-limit')).toEqual([]);
    expect(f.state.agents.get('a1')!.today).toMatchObject({ ringNoAnswer: 0, ringCanceled: 1 });
    expect(f.state.agents.get('a2')!.today).toMatchObject({ ringNoAnswer: 0, ringCanceled: 1 });
  });

  it('counts a ring that ran out as a ring-no-answer: the same agent rung for another call, or the call sent back to its queue', () => {
    const f = new Floor('2026-11-24T08:59:00Z');
    f.send('2026-11-24T09:00:00Z', { type: 'call.queued', callId: 'r4', queueId: 'q1' })
      .send('2026-11-24T09:00:00Z', { type: 'call.ringing', callId: 'r4', agentId: 'a1' })
      .send('2026-11-24T09:00:01Z', { type: 'call.queued', callId: 'r5', queueId: 'q1' })
      .send('2026-11-24T09:00:15Z', { type: 'call.ringing', callId: 'r5', agentId: 'a1' })
      .send('2026-11-24T09:00:15Z', { type: 'call.ringing', callId: 'r4', agentId: 'a2' })
      .send('2026-11-24T09:00:30Z', { type: 'call.queued', callId: 'r4', queueId: 'q1' });
    expect(f.state.agents.get('a1')!.today.ringNoAnswer).toBe(1); // r4's ring ran out when r5 rang a1
    expect(f.state.agents.get('a2')!.today.ringNoAnswer).toBe(1); // r4 back in its queue after 15 s
    expect(f.alerts('ring-limit').map((a) => [a.agentId, a.value]).sort()).toEqual([['a1', 3], ['a2', 3]]);
    expect(f.state.queues.get('q1')!.today.offered).toBe(2); // a ring that went unanswered is not a new offer
  });
});

describe('lost ends: later evidence closes a stale call', () => {
  it('closes a call whose end never came when its agent is rung for the next one (no call-long alert growing for ever)', () => {
    const f = new Floor('2026-11-24T09:00:00Z').agent('2026-11-24T09:00:00Z', '1001');
    f.send('2026-11-24T09:01:00Z', { type: 'call.queued', callId: 'c1', queueId: 'q1' })
      .send('2026-11-24T09:01:00Z', { type: 'call.ringing', callId: 'c1', agentId: '1001' })
      .send('2026-11-24T09:01:05Z', { type: 'call.answered', callId: 'c1', agentId: '1001' })
      .tickEach('2026-11-24T09:01:06Z', '2026-11-24T09:06:00Z', 5)
      .send('2026-11-24T09:06:00Z', { type: 'call.queued', callId: 'c2', queueId: 'q1' })
      .send('2026-11-24T09:06:01Z', { type: 'call.ringing', callId: 'c2', agentId: '1001' })
      .send('2026-11-24T09:06:04Z', { type: 'call.answered', callId: 'c2', agentId: '1001' })
      .send('2026-11-24T09:09:04Z', { type: 'call.ended', callId: 'c2' })
      .tickEach('2026-11-24T09:09:05Z', '2026-11-24T09:40:00Z', 5);
    const c1 = f.state.calls.get('c1')!;
    expect(c1).toMatchObject({ status: 'lost', endReason: 'end-lost', endedAtMs: ms('2026-11-24T09:06:01Z') });
    expect(f.alerts('call-long')).toEqual([]);
    expect([...f.state.alerts.values()]).toEqual([]);
    const today = f.state.agents.get('1001')!.today;
    expect(today.handled).toBe(2);
    expect(today.talkMs).toBe((296 + 180) * 1000); // about 5 min of talk on c1, 3 min on c2
    expect(f.state.queues.get('q1')!.today).toMatchObject({ offered: 2, answered: 2, endLost: 1 });
    expect(f.state.diagnostics.endLost).toBe(1);
  });

  it('closes a connected call as end lost when its agent goes offline, and a late end of it corrects the call', () => {
    const f = new Floor('2026-11-24T09:00:00Z').agent('2026-11-24T09:00:00Z', 'a1');
    f.send('2026-11-24T09:01:00Z', { type: 'call.answered', callId: 'd1', agentId: 'a1' }).agent('2026-11-24T09:30:00Z', 'a1', 'offline');
    expect(f.state.calls.get('d1')).toMatchObject({ status: 'lost', endedAtMs: ms('2026-11-24T09:30:00Z') });
    expect(f.alerts('call-long').map((a) => [a.level, a.status])).toEqual([['breach', 'resolved']]); // 29 min by the best-known end
    f.send('2026-11-24T09:05:00Z', { type: 'call.ended', callId: 'd1', by: 'caller' });
    // The true end: 4 min, no long call after all.
    expect(f.state.calls.get('d1')).toMatchObject({ status: 'ended', endReason: 'caller', endedAtMs: ms('2026-11-24T09:05:00Z') });
    expect(f.alerts('call-long').map((a) => [a.level, a.status])).toEqual([['breach', 'retracted']]); // shown as withdrawn
    expect(f.state.agents.get('a1')!.today).toMatchObject({ handled: 1, talkMs: 240_000 });
    expect(f.state.agents.get('a1')!.today.alerts['call-long']).toEqual({ info: 0, warn: 0, breach: 0 });
    expect(f.state.diagnostics).toMatchObject({ endLost: 0, endLostCorrected: 1 });
  });

  it('withdraws a queue-wait alert raised while the caller was in fact answered (reconnect finds nobody waiting, the answer comes back-dated)', () => {
    const f = new Floor('2026-11-24T09:00:00Z');
    f.send('2026-11-24T09:00:00Z', { type: 'call.queued', callId: 'w1', queueId: 'q1' }).tickEach('2026-11-24T09:00:01Z', '2026-11-24T09:01:00Z');
    expect(f.alerts('queue-wait')).toMatchObject([{ status: 'open', level: 'warn' }]);
    // Reconnect at 09:01: the PBX no longer lists the caller.
    f.send('2026-11-24T09:01:00Z', { type: 'call.lost', callId: 'w1', reason: 'not listed by the PBX after a reconnect' }).tickEach('2026-11-24T09:01:01Z', '2026-11-24T09:06:00Z', 10);
    expect(f.state.queues.get('q1')!.waiting.size).toBe(0);
    expect([...f.state.alerts.values()]).toEqual([]);
    expect(f.state.queues.get('q1')!.today).toMatchObject({ offered: 1, answered: 0, abandoned: 0, endLost: 1 });
    // AgentComplete later back-dates the answer to 09:00:10.
    f.send('2026-11-24T09:00:10Z', { type: 'call.answered', callId: 'w1', agentId: 'a1' }).send('2026-11-24T09:06:00Z', { type: 'call.ended', callId: 'w1' });
    const [alert] = [...f.state.alerts.values(), ...f.state.recentAlerts].filter((a) => a.ruleId === 'queue-wait');
    expect(alert.status).toBe('retracted'); // still in the floor's feed, shown as withdrawn, counted nowhere
    expect(f.state.queues.get('q1')!.today).toMatchObject({ offered: 1, answered: 1, endLost: 0, answeredWithinT: 1, maxWaitMs: 10_000 });
    expect(f.state.calls.get('w1')).toMatchObject({ status: 'ended', waitMs: 10_000 });
  });

  it('retracts at once a queue-wait alert when the caller is found gone since before the threshold (lost at the link-loss time)', () => {
    const f = new Floor('2026-11-24T09:00:00Z');
    f.send('2026-11-24T09:00:00Z', { type: 'call.queued', callId: 'w2', queueId: 'q1' }).tickEach('2026-11-24T09:00:01Z', '2026-11-24T09:01:30Z', 5);
    const raised = f.alerts('queue-wait')[0];
    f.send('2026-11-24T09:00:05Z', { type: 'call.lost', callId: 'w2' });
    expect(raised.status).toBe('retracted');
    expect(f.alerts('queue-wait')).toEqual([]);
  });
});

describe('time in state', () => {
  it('counts "available" from the end of the last call, not from the presence change before it', () => {
    const f = new Floor('2026-11-24T09:00:00Z').agent('2026-11-24T09:00:00Z', 'a1');
    f.send('2026-11-24T09:00:00Z', { type: 'call.queued', callId: 't1', queueId: 'q1' })
      .send('2026-11-24T09:00:40Z', { type: 'call.answered', callId: 't1', agentId: 'a1' })
      .send('2026-11-24T09:01:40Z', { type: 'call.ended', callId: 't1' });
    expect(agentActivity(f.state, f.state.agents.get('a1')!)).toEqual({ activity: 'available', sinceMs: ms('2026-11-24T09:01:40Z') });
  });

  it('counts from the end of wrap-up when the agent wraps up, and from a ring that went unanswered', () => {
    const f = new Floor('2026-11-24T09:00:00Z').agent('2026-11-24T09:00:00Z', 'a1');
    f.send('2026-11-24T09:00:00Z', { type: 'call.queued', callId: 't2', queueId: 'q1' })
      .send('2026-11-24T09:00:40Z', { type: 'call.answered', callId: 't2', agentId: 'a1' })
      .send('2026-11-24T09:01:40Z', { type: 'call.ended', callId: 't2' })
      .agent('2026-11-24T09:01:40Z', 'a1', 'wrapup');
    expect(agentActivity(f.state, f.state.agents.get('a1')!)).toEqual({ activity: 'wrapup', sinceMs: ms('2026-11-24T09:01:40Z') });
    f.agent('2026-11-24T09:02:10Z', 'a1');
    expect(agentActivity(f.state, f.state.agents.get('a1')!)).toEqual({ activity: 'available', sinceMs: ms('2026-11-24T09:02:10Z') });
    f.send('2026-11-24T09:03:00Z', { type: 'call.queued', callId: 't3', queueId: 'q1' })
      .send('2026-11-24T09:03:00Z', { type: 'call.ringing', callId: 't3', agentId: 'a1' })
      .send('2026-11-24T09:03:15Z', { type: 'call.ring-ended', callId: 't3', agentId: 'a1', outcome: 'no-answer' });
    expect(agentActivity(f.state, f.state.agents.get('a1')!)).toEqual({ activity: 'available', sinceMs: ms('2026-11-24T09:03:15Z') });
  });
});

describe('a restart changes nothing', () => {
  it('records a withdrawn warning the same whichever tick raised it: the final measurement, at the first level, at the event time', () => {
    const run = (tickUntil: string) => {
      const f = new Floor('2026-11-24T09:00:00Z');
      f.send('2026-11-24T09:00:00Z', { type: 'call.queued', callId: 'w', queueId: 'q1' })
        .send('2026-11-24T09:00:00Z', { type: 'call.ringing', callId: 'w', agentId: 'a1' })
        .send('2026-11-24T09:00:00Z', { type: 'call.ringing', callId: 'w', agentId: 'a2' })
        .tickEach('2026-11-24T09:00:01Z', tickUntil)
        .send('2026-11-24T09:00:30Z', { type: 'call.answered', callId: 'w', agentId: 'a2' });
      return f;
    };
    const early = run('2026-11-24T09:00:13Z'); // ticks saw ring 3 only
    const late = run('2026-11-24T09:00:29Z'); // ticks saw ring 5
    const withdrawn = (f: Floor) => f.state.alertLog.filter((a) => a.agentId === 'a1' && a.ruleId === 'ring-limit').at(-1);
    expect(withdrawn(early)).toMatchObject({ status: 'retracted', level: 'warn', value: 6, threshold: 3, updatedAtMs: ms('2026-11-24T09:00:30Z') });
    expect(withdrawn(late)).toEqual(withdrawn(early));
  });

  it('keeps an acknowledgement on the alert it was made on when a withdrawn episode gave its number back and a newer one took it', () => {
    const live = new Floor('2026-11-24T09:00:00Z');
    live.send('2026-11-24T09:00:00Z', { type: 'call.queued', callId: 'c1', queueId: 'q1' }).tickEach('2026-11-24T09:00:01Z', '2026-11-24T09:01:01Z');
    live.send('2026-11-24T09:01:01Z', { type: 'call.lost', callId: 'c1' }).send('2026-11-24T09:01:10Z', { type: 'call.queued', callId: 'c2', queueId: 'q1' });
    live.send('2026-11-24T09:00:10Z', { type: 'call.answered', callId: 'c1', agentId: 'a1' }); // c1 never waited a minute: episode 1 withdrawn
    live.tickEach('2026-11-24T09:01:11Z', '2026-11-24T09:02:12Z');
    const open = [...live.state.alerts.values()].find((a) => a.ruleId === 'queue-wait')!;
    expect(open.id).toBe('queue-wait:q1:1'); // the number given back
    live.internal({ type: 'alert.acknowledged', id: 'ack1', at: ms('2026-11-24T09:02:12Z'), alertId: open.id, by: 'sup' });
    live.send('2026-11-24T09:02:20Z', { type: 'call.abandoned', callId: 'c2' }).tick('2026-11-24T09:03:00Z');
    const replay = new Floor('2026-11-24T09:00:00Z');
    for (const e of live.log) applyEvent(replay.state, e);
    replay.tick('2026-11-24T09:03:00Z');
    const acked = (f: Floor) => f.state.recentAlerts.filter((a) => a.ruleId === 'queue-wait').map((a) => [a.id, a.status, a.ack?.by ?? null]);
    expect(acked(live)).toEqual([['queue-wait:q1:1', 'resolved', 'sup']]);
    expect(acked(replay)).toEqual(acked(live));
    expect(serializeState(replay.state)).toEqual(serializeState(live.state));
  });

  it('keeps the acknowledgement of an alert only a live tick had raised when the log is replayed without ticks', () => {
    const live = new Floor('2026-11-24T09:00:00Z');
    live.send('2026-11-24T09:00:00Z', { type: 'call.queued', callId: 'k1', queueId: 'q1' }).tickEach('2026-11-24T09:00:01Z', '2026-11-24T09:01:05Z');
    const alertId = live.alerts('queue-wait')[0].id;
    live.internal({ type: 'alert.acknowledged', id: 'ack1', at: ms('2026-11-24T09:01:05Z'), alertId, by: 'sup' }).tickEach('2026-11-24T09:01:06Z', '2026-11-24T09:03:00Z');
    const replay = new Floor('2026-11-24T09:00:00Z');
    for (const e of live.log) applyEvent(replay.state, e);
    replay.tick('2026-11-24T09:03:00Z');
    expect(replay.state.alerts.get(alertId)?.ack).toEqual({ by: 'sup', atMs: ms('2026-11-24T09:01:05Z') });
    expect(serializeState(replay.state)).toEqual(serializeState(live.state));
  });
});
