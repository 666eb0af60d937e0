import { describe, expect, it } from 'vitest';
import { Feed, T0, sec, configWith } from './feed.ts';
import { selectAgentView, selectAllQueueKpis, selectIntervals, selectTotals, serviceLevelPct, agentActivity } from '../../shared/selectors.ts';
import { paceExpectedAt } from '../../shared/measure.ts';

const kpis = (f: Feed, q = 'q1') => selectAllQueueKpis(f.state).find((k) => k.queueId === q)!;

describe('queue counts', () => {
  it('counts offered, answered and abandoned today and per 15-minute interval of the offer', () => {
    const f = new Feed().agent(0, 'a1');
    f.queued(0, 'c1').ringing(1, 'c1', 'a1').answered(3, 'c1', 'a1').ended(60, 'c1');
    f.queued(100, 'c2').abandoned(130, 'c2');
    f.queued(14 * 60 + 50, 'c3').ringing(15 * 60 + 5, 'c3', 'a1').answered(15 * 60 + 10, 'c3', 'a1'); // offered 09:14:50, answered 09:15:10
    f.queued(16 * 60, 'c4');
    const k = kpis(f);
    expect([k.offered, k.answered, k.abandoned, k.waiting]).toEqual([4, 2, 1, 1]);
    const iv = selectIntervals(f.state, f.state.queues.get('q1')!);
    expect(iv.map((b) => [b.startMs, b.offered, b.answered, b.abandoned])).toEqual([
      [T0, 3, 2, 1],
      [sec(15 * 60), 1, 0, 0],
    ]);
  });

  it('offers a call transferred into another queue to that queue too, and counts the transfer out', () => {
    const f = new Feed().agent(0, 'a1').connect(0, 'c1', 'a1', 5, 'sales');
    f.send(100, { type: 'call.transferred', callId: 'c1', toQueueId: 'billing', askedPermission: true });
    expect(kpis(f, 'sales')).toMatchObject({ offered: 1, answered: 1, transferredOut: 1 });
    expect(kpis(f, 'billing')).toMatchObject({ offered: 1, answered: 0, waiting: 1 });
    expect(f.state.calls.get('c1')?.status).toBe('queued');
    expect(f.state.agents.get('a1')?.today.handled).toBe(1);
  });

  it('rings the target agent of a transfer to an agent', () => {
    const f = new Feed().agent(0, 'a1').agent(0, 'a2').connect(0, 'c1', 'a1');
    f.send(100, { type: 'call.transferred', callId: 'c1', toAgentId: 'a2', mode: 'attended' });
    expect(agentActivity(f.state, f.state.agents.get('a2')!)).toEqual({ activity: 'ringing', sinceMs: sec(100) });
    expect(agentActivity(f.state, f.state.agents.get('a1')!).activity).toBe('available');
    f.answered(104, 'c1', 'a2');
    expect(agentActivity(f.state, f.state.agents.get('a2')!)).toEqual({ activity: 'talking', sinceMs: sec(104) });
    expect(kpis(f).answered).toBe(1); // one answer from the queue's point of view
  });
});

describe('transfers out of the floor', () => {
  it('takes a call transferred away while it rang out of its queue, with no wait alert left growing', () => {
    const f = new Feed().agent(0, 'A').queued(0, 'c1', 'sales').ringing(2, 'c1', 'A');
    f.send(5, { type: 'call.transferred', callId: 'c1' }).tick(300);
    expect(f.state.calls.get('c1')?.status).toBe('ended');
    expect(f.state.queues.get('sales')?.waiting.size).toBe(0);
    expect(f.open('queue-wait')).toEqual([]);
  });
});

describe('service level', () => {
  it('is answered within T over answered plus abandoned after T, short abandons excluded', () => {
    expect(serviceLevelPct(8, 10, 0)).toBe(80);
    expect(serviceLevelPct(0, 0, 0)).toBeNull();
    const f = new Feed().agent(0, 'a1');
    // answered after 10 s (within 20), answered after 30 s (late)
    f.queued(0, 'c1').ringing(5, 'c1', 'a1').answered(10, 'c1', 'a1').ended(50, 'c1');
    f.queued(100, 'c2').ringing(120, 'c2', 'a1').answered(130, 'c2', 'a1').ended(200, 'c2');
    // abandoned after 3 s (short: never counts), after 12 s (before T: not counted), after 40 s (after T: counts)
    f.queued(300, 'c3').abandoned(303, 'c3');
    f.queued(400, 'c4').abandoned(412, 'c4');
    f.queued(500, 'c5').abandoned(540, 'c5');
    const k = kpis(f);
    expect(k.abandoned).toBe(3);
    expect(k.shortAbandoned).toBe(1);
    expect(k.serviceLevelPct).toBeCloseTo((1 / (2 + 1)) * 100, 1);
    expect(selectTotals(f.state).serviceLevelPct).toBeCloseTo(33.3, 1);
  });

  it('counts an answer at exactly T as within T', () => {
    const f = new Feed().agent(0, 'a1').queued(0, 'c1').ringing(10, 'c1', 'a1').answered(20, 'c1', 'a1');
    expect(kpis(f).serviceLevelPct).toBe(100);
  });

  it('follows a configured T, target and short-abandon limit per queue', () => {
    const config = configWith((c) => (c.queues.q1 = { serviceLevel: { thresholdSec: 60, targetPct: 90, shortAbandonSec: 10 } }));
    const f = new Feed(config).agent(0, 'a1');
    f.queued(0, 'c1').ringing(40, 'c1', 'a1').answered(45, 'c1', 'a1'); // within 60
    f.queued(100, 'c2').abandoned(108, 'c2'); // short under a 10 s limit
    f.queued(200, 'c3').abandoned(270, 'c3'); // after T
    const k = kpis(f);
    expect(k).toMatchObject({ serviceLevelThresholdSec: 60, serviceLevelTargetPct: 90, shortAbandoned: 1, serviceLevelPct: 50 });
  });
});

describe('ASA, AHT, waits and agent states', () => {
  it('computes ASA as the mean queue wait of answered calls', () => {
    const f = new Feed().agent(0, 'a1').agent(0, 'a2');
    f.queued(0, 'c1').ringing(2, 'c1', 'a1').answered(10, 'c1', 'a1');
    f.queued(0, 'c2').ringing(20, 'c2', 'a2').answered(30, 'c2', 'a2');
    f.queued(0, 'c3').abandoned(200, 'c3'); // abandoned waits do not count
    expect(kpis(f).asaSec).toBe(20);
  });

  it('computes AHT as talk + hold + wrap-up per handled call', () => {
    const f = new Feed().agent(0, 'a1');
    f.connect(0, 'c1', 'a1', 0).hold(60, 'c1', true).unhold(90, 'c1').ended(200, 'c1'); // 200 s incl. 30 s hold
    f.agent(200, 'a1', 'wrapup').agent(260, 'a1', 'available'); // 60 s wrap-up
    f.connect(300, 'c2', 'a1', 0).ended(400, 'c2'); // 100 s, no wrap-up state
    const view = selectAgentView(f.state, f.state.agents.get('a1')!);
    expect(view.ahtSec).toBe((200 + 60 + 100) / 2);
    expect(view.holds).toBe(1);
    expect(view.holdSec).toBe(30);
    expect(view.handled).toBe(2);
    expect(kpis(f).ahtSec).toBe(180);
  });

  it('shows the longest current wait as a start time and the number waiting', () => {
    const f = new Feed().queued(0, 'c1').queued(10, 'c2').queued(20, 'c3').abandoned(25, 'c1');
    const k = kpis(f);
    expect(k.waiting).toBe(2);
    expect(k.longestWaitSinceMs).toBe(sec(10));
    expect(k.maxWaitSec).toBe(25);
  });

  it('counts agents per state, deriving ringing, talking and hold from their call', () => {
    const f = new Feed();
    for (const id of ['a1', 'a2', 'a3', 'a4', 'a5']) f.agent(0, id, 'available', { queues: ['q1'] });
    f.agent(5, 'a5', 'away', { reason: 'break' });
    f.queued(10, 'c1').ringing(10, 'c1', 'a1');
    f.connect(10, 'c2', 'a2');
    f.connect(10, 'c3', 'a3').hold(30, 'c3', true);
    const t = selectTotals(f.state);
    expect(t.agentsByState).toEqual({ available: 1, ringing: 1, talking: 1, hold: 1, wrapup: 0, away: 1, offline: 0 });
    expect(kpis(f).agentsByState.hold).toBe(1);
    const away = selectAgentView(f.state, f.state.agents.get('a5')!);
    expect(away).toMatchObject({ activity: 'away', reason: 'break', activitySinceMs: sec(5) });
  });

  it('keeps per-agent handled vs quota, pace, rings-to-answer histogram and ring-no-answers', () => {
    const f = new Feed().agent(0, 'a1').agent(0, 'a2');
    f.queued(0, 'c1').ringing(0, 'c1', 'a1').answered(1, 'c1', 'a1').ended(100, 'c1'); // ring 1
    f.queued(200, 'c2').ringing(200, 'c2', 'a1').answered(213, 'c2', 'a1').ended(300, 'c2'); // 13 s: ring 3
    f.queued(400, 'c3').ringing(400, 'c3', 'a1').answered(401, 'c3', 'a1', 7).ended(500, 'c3'); // explicit 7
    f.queued(600, 'c4').ringing(600, 'c4', 'a2').send(630, { type: 'call.ring-ended', callId: 'c4', agentId: 'a2', outcome: 'no-answer' });
    f.ringing(630, 'c4', 'a1').answered(632, 'c4', 'a1').ended(700, 'c4');
    const v = selectAgentView(f.state, f.state.agents.get('a1')!);
    expect(v.handled).toBe(4);
    expect(v.quota).toBe(30);
    expect(paceExpectedAt(v.shiftStartMs, v.shiftMinutes, v.quota, sec(960))).toBe(1); // 960 s of 480 min × 30
    expect(v.ringsHist).toEqual([0, 2, 0, 1, 0, 0, 1]);
    expect(selectAgentView(f.state, f.state.agents.get('a2')!).ringNoAnswer).toBe(1);
  });
});

describe('day rollover', () => {
  it('starts a new day at local midnight with fresh counters, keeping calls in progress', () => {
    // c2 waits from 23:00: within the stale-call limit at midnight (a caller waiting 15 h would be closed as end lost).
    const f = new Feed().agent(0, 'a1').connect(0, 'c1', 'a1').ended(60, 'c1').queued(50_400, 'c2');
    expect(kpis(f).offered).toBe(2);
    const midnight = Date.parse('2026-11-25T00:00:00Z');
    f.tick((midnight - T0) / 1000);
    expect(f.state.dayStartMs).toBe(midnight);
    expect(kpis(f)).toMatchObject({ offered: 0, answered: 0, waiting: 1 });
    expect(f.state.agents.get('a1')?.today.handled).toBe(0);
    expect(f.state.agents.get('a1')?.shiftStartMs).toBe(midnight);
  });

  it('uses the floor time zone for "today"', () => {
    const f = new Feed(configWith((c) => (c.timeZone = 'Europe/Istanbul')));
    f.queued(0, 'c1');
    expect(f.state.dayStartMs).toBe(Date.parse('2026-11-23T21:00:00Z'));
  });
});

describe('odd input', () => {
  it('counts orphans, out-of-order and senseless events without throwing', () => {
    const f = new Feed().agent(0, 'a1');
    f.ended(10, 'ghost').hold(11, 'ghost').send(12, { type: 'voicemail.returned', voicemailId: 'nope' }).send(13, { type: 'callback.completed', callbackId: 'nope', agentId: 'a1' });
    f.connect(20, 'c1', 'a1').unhold(30, 'c1').ended(40, 'c1').hold(50, 'c1').answered(60, 'c1', 'a1');
    const d = f.state.diagnostics;
    expect(d.orphan).toBe(4);
    expect(d.ignored).toBe(1);
    expect(d.outOfOrder).toBe(2);
    expect(d.byReason).toMatchObject({ 'call.unhold without a hold': 1, 'call.hold after the call ended': 1, 'call.answered after the call ended': 1 });
    expect(kpis(f).answered).toBe(1);
  });

  it('answers a call it never saw ring or queue, as a direct call', () => {
    const f = new Feed().agent(0, 'a1').answered(10, 'd1', 'a1').ended(70, 'd1');
    expect(f.state.agents.get('a1')?.today.handled).toBe(1);
    expect(f.state.agents.get('a1')?.today.ringsHist.reduce((a, b) => a + b, 0)).toBe(0); // rings unknown
  });
});
