/**
 * The scope filter's definitions (shared/scope.ts), on a small floor: a scope
 * read from what an admin types, their queues and agents with only queues,
 * only teams and both, their calls (a direct call by its agent), alerts and
 * voicemails by the subjects they name, and the views with everything else
 * blanked.
 */
import { describe, expect, it } from 'vitest';
import { Feed } from './feed.ts';
import { eventsInScope, outsideAlertCounts, parseScope, scopeAgentDayAlerts, scopeAgentView, scopeCallDetail, scopeCallEvents, scopeCallView, scopeFilter, scopeKey, WHOLE_FLOOR } from '../../shared/scope.ts';
import { selectAgentPayload, selectAgentView, selectCallDetail, selectCallView, selectFloorPayload, selectTotals } from '../../shared/selectors.ts';
import type { FloorEvent } from '../../shared/events.ts';
import type { AgentView } from '../../shared/wire.ts';
import { buildRangeReport } from '../../shared/report/range.ts';
import { buildScorecard } from '../../shared/report/scorecard.ts';
import { AGGREGATE_VERSION, type AgentDayAggregate, type DayAggregate } from '../../shared/report/types.ts';
import { dayOfDate } from '../../shared/time.ts';

/** sales: red agent r1 (sales only), blue agents b1 and b2 (sales and care); care: green agent g1. */
function floor(): Feed {
  const f = new Feed();
  f.agent(0, 'r1', 'available', { team: 'red', queues: ['sales'] });
  f.agent(0, 'b1', 'available', { team: 'blue', queues: ['sales', 'care'] });
  f.agent(0, 'g1', 'available', { team: 'green', queues: ['care'] });
  f.connect(1, 'cs', 'r1', 3, 'sales').hold(10, 'cs', false);
  f.connect(1, 'cc', 'g1', 3, 'care').hold(10, 'cc', false);
  // A direct call to b1, never queued.
  f.ringing(20, 'cd', 'b1').answered(22, 'cd', 'b1');
  f.queued(30, 'cw', 'care');
  f.agent(0, 'b2', 'available', { team: 'blue', queues: ['sales', 'care'] });
  f.connect(40, 'cx', 'b2', 3, 'sales');
  return f;
}

describe('reading a scope', () => {
  it('takes lists or comma-separated text, trimmed, without duplicates, sorted; nothing or empty lists are the whole floor', () => {
    expect(parseScope({ queues: ' sales, care ,sales', teams: ['b', 'a', ''] })).toEqual({ ok: true, scope: { queues: ['care', 'sales'], teams: ['a', 'b'] } });
    for (const whole of [null, undefined, {}, { queues: [] }, { queues: ' , ', teams: null }]) expect(parseScope(whole)).toEqual({ ok: true, scope: null });
    expect(parseScope({ queue: ['x'] })).toMatchObject({ ok: false, error: expect.stringMatching(/unknown field queue/) });
    expect(parseScope({ queues: [1] })).toMatchObject({ ok: false });
    expect(parseScope({ queues: ['x'.repeat(129)] })).toMatchObject({ ok: false });
    expect(parseScope({ teams: ['a\u0000b'] })).toMatchObject({ ok: false });
    expect(parseScope('sales')).toMatchObject({ ok: false });
    expect(scopeKey({ queues: ['b', 'a'] })).toBe(scopeKey({ queues: ['a', 'b'], teams: [] }));
    expect(scopeKey({ queues: ['a'] })).not.toBe(scopeKey({ teams: ['a'] }));
    expect(scopeKey(null)).toBe('');
  });
});

describe('their queues, agents and calls', () => {
  it('with only queues: the agents signed in to one of them, the calls in them', () => {
    const f = floor();
    const s = f.state;
    const q = scopeFilter(s, { queues: ['sales'] });
    expect([...s.agents.keys()].filter((id) => q.agent(id))).toEqual(['r1', 'b1', 'b2']);
    expect(['sales', 'care'].filter((id) => q.queue(id))).toEqual(['sales']);
    expect(['cs', 'cc', 'cd', 'cw', 'cx'].filter((id) => q.call(s.calls.get(id)!))).toEqual(['cs', 'cd', 'cx']); // cd: b1's direct call
    expect(q.team('blue')).toBe(true);
    expect(q.team('green')).toBe(false);
    expect(q.limit()).toEqual({ queues: ['sales'], agents: ['b1', 'b2', 'r1'] });
  });

  it('with only teams: their agents, and the queues their agents are signed in to', () => {
    const s = floor().state;
    const t = scopeFilter(s, { teams: ['red'] });
    expect([...s.agents.keys()].filter((id) => t.agent(id))).toEqual(['r1']);
    expect([...(t.queueIds() ?? [])]).toEqual(['sales']);
    // cx is in sales, one of their queues, though b2 (blue) has it: it is theirs, b2 blanked in it.
    expect(['cs', 'cc', 'cd', 'cw', 'cx'].filter((id) => t.call(s.calls.get(id)!))).toEqual(['cs', 'cx']);
    expect(scopeCallView(selectCallView(s.calls.get('cx')!), t).agentId).toBeNull();
    expect(t.limit()).toEqual({ queues: ['sales'], teams: ['red'] });
  });

  it('with both: the teams decide the agents, the queues the calls', () => {
    const s = floor().state;
    const both = scopeFilter(s, { queues: ['care'], teams: ['red'] });
    expect([...s.agents.keys()].filter((id) => both.agent(id))).toEqual(['r1']);
    expect(['cs', 'cc', 'cd', 'cw', 'cx'].filter((id) => both.call(s.calls.get(id)!))).toEqual(['cc', 'cw']);
  });

  it('lets everything through for the whole floor', () => {
    const s = floor().state;
    for (const f of [scopeFilter(s, null), scopeFilter(s, {}), WHOLE_FLOOR]) {
      expect(f.restricted).toBe(false);
      expect(f.agent('anyone') && f.queue('anything') && f.call(s.calls.get('cc')!)).toBe(true);
    }
  });
});

describe('alerts, voicemails and views', () => {
  it('an alert is theirs when every subject it names is; a voicemail is its queue’s', () => {
    const f = floor();
    const s = f.state;
    const sales = scopeFilter(s, { queues: ['sales'] });
    const holds = f.alerts('hold-permission');
    expect(holds.map((a) => [a.agentId, sales.alert(a)])).toEqual([
      ['r1', true],
      ['g1', false],
    ]);
    expect(sales.alert({ queueId: 'sales' })).toBe(true);
    expect(sales.alert({ agentId: 'b1', queueId: 'care' })).toBe(false);
    expect(sales.alert({})).toBe(false);
    expect(sales.voicemail({ queueId: 'sales', agentId: 'g1' })).toBe(true);
    expect(sales.voicemail({ queueId: 'care', agentId: 'r1' })).toBe(false);
    expect(sales.voicemail({ agentId: 'b1' })).toBe(true);
  });

  it('blanks what is not theirs inside what is: another team’s agent on their call, their agent’s call elsewhere, their agent’s other queues', () => {
    const f = floor();
    const s = f.state;
    const red = scopeFilter(s, { teams: ['red'] });
    const care = scopeFilter(s, { queues: ['care'], teams: ['blue'] });
    // b2 (blue, theirs) is on cx, a sales call: its callId is blanked and its queues lose sales. b1's direct call is theirs.
    expect(scopeAgentView(selectAgentView(s, s.agents.get('b2')!), care, s)).toMatchObject({ callId: null, queues: ['care'] });
    expect(scopeAgentView(selectAgentView(s, s.agents.get('b1')!), care, s)).toMatchObject({ callId: 'cd', queues: ['care'] });
    // g1 (green) on care's call cc is not theirs: the call reads agentId null.
    expect(scopeCallView(selectCallView(s.calls.get('cc')!), care).agentId).toBeNull();
    expect(scopeCallView(selectCallView(s.calls.get('cs')!), red).agentId).toBe('r1');
    const detail = scopeCallDetail(selectCallDetail(s, 'cc')!, care);
    expect(JSON.stringify(detail)).not.toContain('g1');
    expect(detail.timeline.length).toBe(selectCallDetail(s, 'cc')!.timeline.length);
  });

  it('builds a scoped floor payload of their things only, with totals of their queues', () => {
    const s = floor().state;
    const care = scopeFilter(s, { queues: ['care'] });
    const p = selectFloorPayload(s, care);
    expect(p.agents.map((a) => a.agentId).sort()).toEqual(['b1', 'b2', 'g1']);
    expect(p.calls.map((c) => c.callId).sort()).toEqual(['cc', 'cd', 'cw']);
    expect(p.queues.map((q) => q.queueId)).toEqual(['care']);
    expect(Object.keys(p.intervals)).toEqual(['care']);
    expect(p.alerts.every((a) => a.agentId === 'g1' || a.queueId === 'care')).toBe(true);
    const all = selectTotals(s);
    const t = selectTotals(s, care);
    expect(t.offered).toBe(2);
    expect(all.offered).toBe(4);
    expect(t.waiting).toBe(1);
    expect(Object.values(t.agentsByState).reduce((a, b) => a + b, 0)).toBe(3);
  });

  it('counts an agent row’s alerts as the feed holds them: their agent’s breach on another queue’s call counts nowhere for them, live or in a report', () => {
    // b1 (blue, sales and care) breaches hold permission on a care call and on a sales call; the care call is still on hold.
    const f = floor();
    f.connect(60, 'cs2', 'b1', 3, 'sales').hold(70, 'cs2', false).unhold(75, 'cs2').ended(80, 'cs2');
    f.connect(90, 'cc2', 'b1', 3, 'care').hold(100, 'cc2', false).tick(700); // and holds on past the hold limit: an open breach
    const s = f.state;
    const lena = scopeFilter(s, { queues: ['sales'], teams: ['blue'] });
    const mine = (v: AgentView) => v.alertsByRule['hold-permission']?.breach ?? 0;
    const b1 = s.agents.get('b1')!;
    const whole = selectAgentView(s, b1);
    expect(mine(whole)).toBe(2);
    expect(whole.openAlerts).toBeGreaterThan(0);
    const row = selectFloorPayload(s, lena).agents.find((a) => a.agentId === 'b1')!;
    expect(mine(row)).toBe(1);
    // The open breach on the care call is not lena's: her badge counts b1's other open alerts only.
    const open = [...s.alerts.values()].filter((a) => a.agentId === 'b1');
    expect(open.some((a) => a.queueId === 'care' && a.level === 'breach')).toBe(true);
    expect(whole.worstOpenLevel).toBe('breach');
    const openTheirs = open.filter((a) => a.queueId !== 'care');
    expect(row.openAlerts).toBe(openTheirs.length);
    expect(row.openAlerts).toBeLessThan(whole.openAlerts);
    if (!openTheirs.some((a) => a.level === 'breach')) expect(row.worstOpenLevel).not.toBe('breach');
    expect(selectAgentPayload(s, 'b1', lena).me).toMatchObject({ openAlerts: row.openAlerts, alertsByRule: row.alertsByRule });
    expect(selectFloorPayload(s, lena).alerts.some((a) => a.agentId === 'b1' && a.queueId === 'care')).toBe(false);
    // A care lead sees the care breach only; the whole floor's view is passed as it is; a past day's view is left to its caller.
    expect(mine(scopeAgentView(whole, scopeFilter(s, { queues: ['care'] }), s))).toBe(1);
    expect(scopeAgentView(whole, WHOLE_FLOOR, s)).toBe(whole);
    expect(mine(scopeAgentView(whole, lena, s, false))).toBe(2);

    // Reports: the day's counts by rule × queue × agent take the other queue's off the agent's row and card.
    const counts = [
      { rule: 'hold-permission' as const, queueId: 'sales', agentId: 'b1', team: 'blue', warn: 0, breach: 1 },
      { rule: 'hold-permission' as const, queueId: 'care', agentId: 'b1', team: 'blue', warn: 0, breach: 1 },
      { rule: 'quota-pace' as const, queueId: null, agentId: 'b1', team: 'blue', warn: 1, breach: 0 },
    ];
    const { startMs, endMs } = dayOfDate('2026-11-24', 'UTC');
    const b1Day: AgentDayAggregate = { agentId: 'b1', name: 'b1', team: 'blue', quota: 30, handled: 2, talkMs: 1, holdMs: 0, wrapMs: 0, holds: 2, ringNoAnswer: 0, ringCanceled: 0, ringsHist: [0, 0, 0, 0, 0, 0, 0], holdHist: [0, 0, 0, 0, 0], alerts: { 'hold-permission': { info: 0, warn: 0, breach: 2 }, 'quota-pace': { info: 0, warn: 1, breach: 0 } }, awayMs: {} };
    const agg: DayAggregate = { version: AGGREGATE_VERSION, date: '2026-11-24', dayStartMs: startMs, dayEndMs: endMs, queues: [], agents: [b1Day], alerts: counts, notableCalls: [] };
    const q = { from: '2026-11-24', to: '2026-11-24', group: 'day' as const, queues: [], teams: [], agents: [] };
    const opts = { startMs, endMs, timeZone: 'UTC' };
    const limited = buildRangeReport([agg], { ...q, limit: { queues: ['sales'], teams: ['blue'] } }, opts);
    expect(limited.agents).toMatchObject([{ agentId: 'b1', breaches: 1, warns: 1 }]);
    expect(limited.totals).toMatchObject({ breaches: 1, warns: 1 });
    const unlimited = buildRangeReport([agg], q, opts);
    expect(unlimited.agents).toMatchObject([{ agentId: 'b1', breaches: 2, warns: 1 }]);
    const period = { from: '2026-11-24', to: '2026-11-24', previousFrom: '2026-11-23', previousTo: '2026-11-23' };
    expect(buildScorecard({ kind: 'agent', agentId: 'b1', queues: ['sales'] }, period, [agg], [], 3).current).toMatchObject({ breaches: 1 });
    expect(buildScorecard({ kind: 'agent', agentId: 'b1' }, period, [agg], [], 3).current).toMatchObject({ breaches: 2 });
    // The day's own report: the view's counts less the day's counts they may not see (info notices are not in them).
    const pastView = { ...whole, alertsByRule: { 'hold-permission': { info: 0, warn: 0, breach: 2 } } };
    const outside = outsideAlertCounts(counts, (c) => lena.alert(c));
    expect([...outside.keys()]).toEqual(['b1']);
    expect(scopeAgentDayAlerts(pastView, outside.get('b1')).alertsByRule).toEqual({ 'hold-permission': { info: 0, warn: 0, breach: 1 } });
    expect(scopeAgentDayAlerts(pastView, undefined)).toBe(pastView);
  });

  it('judges a past call by its logged queues (or agents, never queued) and renames other teams’ agents', () => {
    const s = floor().state;
    const red = scopeFilter(s, { teams: ['red'] });
    const ev = (type: string, extra: Record<string, unknown>) => ({ type, id: `x${type}${JSON.stringify(extra)}`, at: 1, callId: 'old', ...extra }) as unknown as FloorEvent;
    const inSales = [ev('call.queued', { queueId: 'sales' }), ev('call.ringing', { agentId: 'g1' }), ev('call.answered', { agentId: 'g1' }), ev('call.transferred', { toAgentId: 'r1' })];
    expect(eventsInScope(inSales, red)).toBe(true);
    expect(eventsInScope([ev('call.queued', { queueId: 'care' }), ev('call.ringing', { agentId: 'r1' })], red)).toBe(false);
    expect(eventsInScope([ev('call.ringing', { agentId: 'r1' })], red)).toBe(true);
    const renamed = scopeCallEvents(inSales, red) as unknown as { agentId?: string; toAgentId?: string }[];
    expect(renamed.map((e) => e.agentId ?? e.toAgentId ?? null)).toEqual([null, 'other-1', 'other-1', 'r1']);
  });
});
