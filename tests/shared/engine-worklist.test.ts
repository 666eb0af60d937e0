/**
 * The callback worklist (shared/engine/worklist.ts) and its rule `abandon-callback`
 * (shared/engine/rules/abandon-callback.ts): which abandons open an item, what closes it,
 * assignment, replay, bounds, and the rule at its exact thresholds.
 */
import { describe, expect, it } from 'vitest';
import { Feed, T0, sec, configWith } from './feed.ts';
import { applyEvent, closedWorklistItems, createFloorState, engineBounds, openWorklistItems, tick, WORKLIST_CAP, WORKLIST_MAX_AGE_MS } from '../../shared/engine.ts';
import { defaultConfig, parseConfig } from '../../shared/config.ts';
import { parseEvent, parseInternalEvent, type FloorEvent } from '../../shared/events.ts';
import { serializeState } from '../../shared/selectors.ts';

/** A caller from `caller` waits in `queueId` from `atSec` and hangs up `waitSec` later. */
function abandon(f: Feed, atSec: number, callId: string, caller: string, waitSec: number, queueId = 'q1'): Feed {
  return f.send(atSec, { type: 'call.queued', callId, queueId, caller }).send(atSec + waitSec, { type: 'call.abandoned', callId });
}
function outbound(f: Feed, atSec: number, callId: string, to: string, agentId: string, answered?: boolean): Feed {
  return f.send(atSec, { type: 'call.outbound', callId, to, agentId, ...(answered === undefined ? {} : { answered }) });
}
/** A supervisor's assignment (an internal event, which the feed's schema refuses) applied at `atSec`. */
function assign(f: Feed, atSec: number, itemId: string, agentId?: string): Feed {
  const r = parseInternalEvent({ id: `as${atSec}`, at: sec(atSec), type: 'worklist.assigned', itemId, by: 'sam', ...(agentId === undefined ? {} : { agentId }) });
  if (!r.ok) throw new Error(r.error);
  applyEvent(f.state, r.event);
  return f;
}
const open = (f: Feed) => [...openWorklistItems(f.state)];
const closed = (f: Feed) => [...closedWorklistItems(f.state)];

describe('callback worklist', () => {
  it('opens an item for an abandoned caller with their number, queue, wait and time', () => {
    const f = abandon(new Feed(), 0, 'c1', '+372 555 0123', 40);
    expect(open(f)).toMatchObject([{ itemId: 'wl:c1', caller: '+372 555 0123', queueId: 'q1', waitSec: 40, firstAbandonedAtMs: sec(40), abandons: 1, attempts: 0, outcome: 'new' }]);
    expect(f.state.changes.worklist).toBe(true);
  });

  it('leaves out a short abandon (under serviceLevel.shortAbandonSec, 5 s) and takes one at exactly 5 s', () => {
    const f = abandon(new Feed(), 0, 'c1', '5550001', 4.999);
    expect(open(f)).toEqual([]);
    abandon(f, 10, 'c2', '5550002', 5);
    expect(open(f).map((i) => i.itemId)).toEqual(['wl:c2']);
  });

  it('leaves out a caller with no number, or too few digits to call', () => {
    const f = abandon(new Feed(), 0, 'c1', 'anonymous', 30);
    f.send(0, { type: 'call.queued', callId: 'c2', queueId: 'q1' }).abandoned(30, 'c2');
    abandon(f, 0, 'c3', '12', 30);
    expect(open(f)).toEqual([]);
  });

  it('counts repeat abandons from one number in a day on one item, matched on digits', () => {
    const f = abandon(new Feed(), 0, 'c1', '+372 555-0123', 20);
    abandon(f, 300, 'c2', '3725550123', 65);
    expect(open(f)).toMatchObject([{ itemId: 'wl:c1', abandons: 2, waitSec: 65, firstAbandonedAtMs: sec(20), lastAbandonedAtMs: sec(365) }]);
  });

  it('keeps it open after an unanswered outbound attempt, and closes it when an outbound call is answered', () => {
    const f = abandon(new Feed(), 0, 'c1', '5550123', 20);
    outbound(f, 100, 'o1', '555 0123', 'a1', false);
    expect(open(f)).toMatchObject([{ attempts: 1, outcome: 'no-answer', lastAttemptAtMs: sec(100) }]);
    outbound(f, 100, 'o1', '5550123', 'a1', false); // the same call reported twice counts once
    expect(open(f)[0].attempts).toBe(1);
    outbound(f, 200, 'o2', '5550123', 'a1', true);
    expect(open(f)).toEqual([]);
    expect(closed(f)).toMatchObject([{ itemId: 'wl:c1', attempts: 2, outcome: 'reached', closedAtMs: sec(200), closedBy: 'a1' }]);
  });

  it('closes it as called when the source does not say whether the outbound call was answered', () => {
    const f = outbound(abandon(new Feed(), 0, 'c1', '5550123', 20), 100, 'o1', '5550123', 'a1');
    expect(open(f)).toEqual([]);
    expect(closed(f)).toMatchObject([{ outcome: 'called', attempts: 1 }]);
  });

  it('ignores an outbound call to another number, or one dialled before the abandon', () => {
    const f = outbound(new Feed(), 0, 'o0', '5550123', 'a1', true);
    abandon(f, 10, 'c1', '5550123', 20);
    outbound(f, 100, 'o1', '5559999', 'a1', true);
    expect(open(f)).toMatchObject([{ itemId: 'wl:c1', attempts: 0 }]);
  });

  it('closes it when the same caller calls again and is answered, not when they only queue', () => {
    const f = abandon(new Feed().agent(0, 'a1'), 0, 'c1', '5550123', 20);
    f.send(100, { type: 'call.queued', callId: 'c2', queueId: 'q1', caller: '5550123' });
    expect(open(f)).toHaveLength(1);
    f.ringing(100, 'c2', 'a1').answered(105, 'c2', 'a1');
    expect(open(f)).toEqual([]);
    expect(closed(f)).toMatchObject([{ outcome: 'called-in', closedBy: 'a1', closedAtMs: sec(105) }]);
  });

  it('is assigned and unassigned by worklist.assigned events; an unknown item is an orphan', () => {
    const f = abandon(new Feed(), 0, 'c1', '5550123', 20);
    assign(f, 60, 'wl:c1', 'a2');
    expect(open(f)[0]).toMatchObject({ assignedTo: 'a2', assignedBy: 'sam', assignedAtMs: sec(60) });
    assign(f, 70, 'wl:c1');
    expect(open(f)[0].assignedTo).toBeUndefined();
    const orphans = f.state.diagnostics.orphan;
    assign(f, 80, 'wl:nope', 'a2');
    expect(f.state.diagnostics.orphan).toBe(orphans + 1);
  });

  it('gives the same list, outcomes and alerts on a replay of the log without ticks', () => {
    const events: FloorEvent[] = [];
    let n = 0;
    const ev = (atSec: number, e: Record<string, unknown>) => {
      const r = e.type === 'worklist.assigned' ? parseInternalEvent({ id: `e${++n}`, at: sec(atSec), ...e }) : parseEvent({ id: `e${++n}`, at: sec(atSec), ...e });
      if (!r.ok) throw new Error(r.error);
      events.push(r.event);
    };
    ev(0, { type: 'agent.state', agentId: 'a1', state: 'available' });
    for (let i = 0; i < 6; i++) {
      ev(i * 60, { type: 'call.queued', callId: `c${i}`, queueId: 'q1', caller: `555000${i % 4}` });
      ev(i * 60 + 30, { type: 'call.abandoned', callId: `c${i}` });
    }
    ev(400, { type: 'worklist.assigned', itemId: 'wl:c1', agentId: 'a1', by: 'sam' });
    ev(2000, { type: 'call.outbound', callId: 'o1', to: '5550001', agentId: 'a1', answered: false });
    ev(2500, { type: 'call.outbound', callId: 'o2', to: '5550001', agentId: 'a1', answered: true });
    ev(4200, { type: 'call.outbound', callId: 'o3', to: '5550002', agentId: 'a1' });
    const end = sec(5000);
    const live = createFloorState(defaultConfig(), T0);
    let i = 0;
    for (let t = T0; t <= end; t += 1000) {
      while (i < events.length && events[i].at <= t) applyEvent(live, events[i++]);
      tick(live, t);
    }
    const replay = createFloorState(defaultConfig(), T0);
    for (const e of events) applyEvent(replay, e);
    tick(replay, end);
    const a = serializeState(live) as { worklist: unknown; alerts: unknown; recentAlerts: unknown };
    const b = serializeState(replay) as typeof a;
    expect(b.worklist).toEqual(a.worklist);
    expect(b.alerts).toEqual(a.alerts);
    expect(b.recentAlerts).toEqual(a.recentAlerts);
    expect((a.worklist as { open: unknown[] }).open).toHaveLength(2); // 5550000 and 5550003 still to call
  });

  it('closes an item a day old as expired, at that instant', () => {
    const f = abandon(new Feed(), 0, 'c1', '5550123', 20);
    f.tick(20 + WORKLIST_MAX_AGE_MS / 1000 - 1);
    expect(open(f)).toHaveLength(1);
    f.tick(20 + WORKLIST_MAX_AGE_MS / 1000 + 100);
    expect(closed(f)).toMatchObject([{ outcome: 'expired', closedAtMs: sec(20) + WORKLIST_MAX_AGE_MS }]);
  });

  it(`keeps at most ${WORKLIST_CAP} open items, dropping the oldest`, () => {
    const f = new Feed();
    for (let i = 0; i <= WORKLIST_CAP; i++) abandon(f, i, `c${i}`, `555${String(i).padStart(5, '0')}`, 10);
    expect(open(f)).toHaveLength(WORKLIST_CAP);
    expect(open(f)[0].itemId).toBe('wl:c1');
    expect(closed(f).at(-1)).toMatchObject({ itemId: 'wl:c0', outcome: 'dropped' });
    // GET /api/health shows it under limits.
    const b = engineBounds(f.state, { recentAlerts: 500, agentAlerts: 1000 });
    expect(b.worklist).toEqual({ size: WORKLIST_CAP, cap: WORKLIST_CAP });
    expect(b.worklistDropped).toBe(1);
  });
});

describe('abandon-callback', () => {
  it('warns 30 min after the abandon and breaches at 60 min, live, then resolves when reached', () => {
    const f = abandon(new Feed(), 0, 'c1', '5550123', 20);
    f.tick(20 + 1800 - 0.001);
    expect(f.alerts('abandon-callback')).toEqual([]);
    f.tick(20 + 1800);
    expect(f.open('abandon-callback')).toMatchObject([{ level: 'warn', value: 1800, threshold: 1800, raisedAtMs: sec(1820), queueId: 'q1' }]);
    f.tick(20 + 3600 - 0.001);
    expect(f.open('abandon-callback')[0].level).toBe('warn');
    f.tick(20 + 3600);
    expect(f.open('abandon-callback')[0]).toMatchObject({ level: 'breach', threshold: 3600, value: 3600 });
    outbound(f, 4000, 'o1', '5550123', 'a1', true);
    expect(f.open('abandon-callback')).toEqual([]);
    expect(f.alerts('abandon-callback')).toMatchObject([{ status: 'resolved', level: 'breach', value: 3980, resolvedAtMs: sec(4000) }]);
  });

  it('raises nothing for a caller reached back within 30 min', () => {
    const f = abandon(new Feed(), 0, 'c1', '5550123', 20);
    f.tick(1000);
    outbound(f, 1819, 'o1', '5550123', 'a1', true);
    f.tick(5000);
    expect(f.alerts('abandon-callback')).toEqual([]);
  });

  it('records the warning of a caller reached between 30 and 60 min even with no tick (a replay)', () => {
    const f = outbound(abandon(new Feed(), 0, 'c1', '5550123', 20), 20 + 2000, 'o1', '5550123', 'a1');
    expect(f.alerts('abandon-callback')).toMatchObject([{ level: 'warn', status: 'resolved', value: 2000, raisedAtMs: sec(1820) }]);
  });

  it('follows a per-queue threshold (10 min on vip: warn at 10, breach at 20) and leaves other queues at 30', () => {
    const f = new Feed(configWith((c) => (c.queues.vip = { rules: { abandonCallbackWarnSec: 600 } })));
    abandon(f, 0, 'v1', '5550001', 20, 'vip');
    abandon(f, 0, 'n1', '5550002', 20, 'q1');
    f.tick(20 + 599.999);
    expect(f.alerts('abandon-callback')).toEqual([]);
    f.tick(20 + 600);
    expect(f.open('abandon-callback')).toMatchObject([{ level: 'warn', queueId: 'vip', threshold: 600 }]);
    f.tick(20 + 1200);
    expect(f.open('abandon-callback')).toMatchObject([{ level: 'breach', queueId: 'vip', threshold: 1200 }]);
    f.tick(20 + 1800);
    expect(f.open('abandon-callback').map((a) => [a.queueId, a.level])).toEqual([['vip', 'breach'], ['q1', 'warn']]);
  });

  it('takes the 30 min default for a configuration saved before the rule, which still parses and saves', () => {
    const old = defaultConfig();
    delete old.rules.abandonCallbackWarnSec;
    expect(parseConfig(old).ok).toBe(true);
    const f = abandon(new Feed(old), 0, 'c1', '5550123', 20);
    f.tick(20 + 1799);
    expect(f.alerts('abandon-callback')).toEqual([]);
    f.tick(20 + 1800);
    expect(f.open('abandon-callback')).toMatchObject([{ level: 'warn', threshold: 1800 }]);
  });

  it('stays silent when the rule is disabled', () => {
    const f = abandon(new Feed(configWith((c) => (c.disabled = ['abandon-callback']))), 0, 'c1', '5550123', 20);
    f.tick(10_000);
    expect(f.alerts('abandon-callback')).toEqual([]);
    expect(open(f)).toHaveLength(1); // the worklist itself stays
  });
});
