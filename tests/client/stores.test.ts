// @vitest-environment happy-dom
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import { useConnectionStore } from '../../client/src/stores/connection.ts';
import { useFloorStore } from '../../client/src/stores/floor.ts';
import { useAlertsStore, ALERTS_CAP } from '../../client/src/stores/alerts.ts';
import { routeTo } from '../../client/src/live.ts';
import { filterAgents } from '../../client/src/agentFilter.ts';
import { nudgesFor } from '../../client/src/nudges.ts';
import { defaultConfig } from '../../shared/config.ts';
import type { AgentView, Delta, FloorPayload, Snapshot } from '../../shared/wire.ts';
import type { Alert } from '../../shared/state.ts';
import { FakeSocket } from './helpers.ts';

const T = 1_795_510_800_000;

function agent(id: string, over: Partial<AgentView> = {}): AgentView {
  return {
    agentId: id, name: `Agent ${id}`, team: 't1', queues: ['q1'], presence: 'available', reason: null, activity: 'available', activitySinceMs: T,
    callId: null, handled: 0, quota: 30, shiftStartMs: null, shiftMinutes: 480, ahtSec: null, holds: 0, holdSec: 0, ringNoAnswer: 0, ringCanceled: 0, ringsHist: [0, 0, 0, 0, 0, 0, 0],
    holdHist: [0, 0, 0, 0, 0], alertsByRule: {}, openAlerts: 0, worstOpenLevel: null, ...over,
  };
}
function alert(id: string, over: Partial<Alert> = {}): Alert {
  return { id, ruleId: 'hold-long', level: 'warn', status: 'open', value: 50, threshold: 45, unit: 'sec', raisedAtMs: T, updatedAtMs: T, agentId: 'a1', ...over };
}
function snapshot(seq: number, agents: AgentView[], alerts: Alert[] = []): Snapshot<FloorPayload> {
  return {
    scope: { kind: 'floor' }, seq, serverNowMs: T, day: { startMs: T - 9 * 3_600_000, endMs: T + 15 * 3_600_000 }, config: defaultConfig(),
    payload: { queues: [], totals: null as never, agents, calls: [], alerts, intervals: {}, voicemails: [], callbacks: [], ticker: [] },
  };
}

beforeEach(() => {
  setActivePinia(createPinia());
});

describe('connection and floor stores', () => {
  it('hydrate from a snapshot and apply deltas in sequence', () => {
    const s = new FakeSocket();
    routeTo(s);
    s.fire('live:snapshot', snapshot(7, [agent('a1'), agent('a2')]));
    const floor = useFloorStore();
    const conn = useConnectionStore();
    expect(conn.status).toBe('live');
    expect(floor.agentList.map((a) => a.agentId)).toEqual(['a1', 'a2']);
    const d: Delta = { seq: 8, serverNowMs: T + 1000, agents: [agent('a1', { activity: 'talking', callId: 'c1' })], alerts: [alert('x')] };
    s.fire('live:delta', d);
    expect(conn.seq).toBe(8);
    expect(floor.agents.get('a1')?.activity).toBe('talking');
    expect(useAlertsStore().open.map((a) => a.id)).toEqual(['x']);
    expect(useAlertsStore().breachingAgents.has('a1')).toBe(true);
  });

  it('asks for a fresh snapshot on a gap in sequence numbers instead of applying the delta', () => {
    const s = new FakeSocket();
    routeTo(s);
    s.fire('live:snapshot', snapshot(7, [agent('a1')]));
    s.fire('live:delta', { seq: 9, serverNowMs: T, agents: [agent('a1', { handled: 99 })] } satisfies Delta);
    const floor = useFloorStore();
    expect(floor.agents.get('a1')?.handled).toBe(0);
    expect(s.resyncRequests).toHaveLength(1);
    // Deltas arriving while the resync is out are dropped, not applied on a stale base.
    s.fire('live:delta', { seq: 10, serverNowMs: T, agents: [agent('a1', { handled: 50 })] } satisfies Delta);
    expect(floor.agents.get('a1')?.handled).toBe(0);
    s.resyncRequests[0]({ ok: true, data: snapshot(10, [agent('a1', { handled: 3 })]) });
    expect(useConnectionStore().seq).toBe(10);
    expect(floor.agents.get('a1')?.handled).toBe(3);
    s.fire('live:delta', { seq: 11, serverNowMs: T, agents: [agent('a1', { handled: 4 })] } satisfies Delta);
    expect(floor.agents.get('a1')?.handled).toBe(4);
  });

  it('applies deltas again after a reconnect that interrupted a resync, and ignores the late answer', () => {
    const s = new FakeSocket();
    routeTo(s);
    s.fire('live:snapshot', snapshot(7, [agent('a1')]));
    s.fire('live:delta', { seq: 9, serverNowMs: T, agents: [agent('a1', { handled: 99 })] } satisfies Delta);
    expect(s.resyncRequests).toHaveLength(1);
    // The connection drops before the answer; the reconnect pushes a fresh snapshot.
    s.fire('disconnect');
    s.fire('live:snapshot', snapshot(20, [agent('a1', { handled: 5 })]));
    s.fire('live:delta', { seq: 21, serverNowMs: T, agents: [agent('a1', { handled: 6 })] } satisfies Delta);
    const floor = useFloorStore();
    expect(floor.agents.get('a1')?.handled).toBe(6);
    expect(useConnectionStore().seq).toBe(21);
    // An answer from the old connection, should one ever arrive, does not roll the view back.
    s.resyncRequests[0]({ ok: true, data: snapshot(10, [agent('a1', { handled: 3 })]) });
    expect(floor.agents.get('a1')?.handled).toBe(6);
    expect(useConnectionStore().seq).toBe(21);
  });

  it('resyncs when the server says the day rolled over', () => {
    const s = new FakeSocket();
    routeTo(s);
    s.fire('live:snapshot', snapshot(1, []));
    s.fire('live:delta', { seq: 2, serverNowMs: T, resync: true } satisfies Delta);
    expect(s.resyncRequests).toHaveLength(1);
  });

  it('shows the feed as lost since the moment of disconnect, and clears it on the next snapshot', () => {
    vi.useFakeTimers();
    vi.setSystemTime(T);
    const s = new FakeSocket();
    routeTo(s);
    s.fire('live:snapshot', snapshot(1, []));
    const conn = useConnectionStore();
    expect(conn.stale).toBe(false);
    s.fire('disconnect');
    expect(conn.stale).toBe(true);
    expect(conn.lostSinceMs).toBe(T);
    vi.setSystemTime(T + 30_000);
    s.fire('connect_error', new Error('xhr poll error'));
    expect(conn.lostSinceMs).toBe(T); // still the first moment it was lost
    expect(conn.lastError).toBe('xhr poll error');
    s.fire('live:snapshot', snapshot(1, []));
    expect(conn.stale).toBe(false);
    expect(conn.lostSinceMs).toBeNull();
    vi.useRealTimers();
  });

  it('ticks a server-corrected now for the timers', () => {
    vi.useFakeTimers();
    vi.setSystemTime(T - 2_000); // the browser clock is 2 s behind the server
    const s = new FakeSocket();
    routeTo(s);
    s.fire('live:snapshot', snapshot(1, []));
    const conn = useConnectionStore();
    expect(conn.nowMs).toBe(T);
    vi.advanceTimersByTime(3_000);
    expect(conn.nowMs).toBe(T + 3_000);
    conn.reset();
    vi.useRealTimers();
  });

  it('reset empties every store', () => {
    const s = new FakeSocket();
    routeTo(s);
    s.fire('live:snapshot', snapshot(3, [agent('a1')], [alert('x')]));
    useFloorStore().reset();
    useAlertsStore().reset();
    useConnectionStore().reset();
    expect(useFloorStore().agentList).toEqual([]);
    expect(useAlertsStore().list).toEqual([]);
    expect(useConnectionStore().status).toBe('connecting');
  });
});

describe('alerts store', () => {
  it('keeps newest first, removes retracted alerts and caps the record without dropping open ones', () => {
    const alerts = useAlertsStore();
    alerts.hydrate([alert('old', { raisedAtMs: T - 10 }), alert('new', { raisedAtMs: T })]);
    expect(alerts.list.map((a) => a.id)).toEqual(['new', 'old']);
    alerts.apply(undefined, ['old']);
    expect(alerts.list.map((a) => a.id)).toEqual(['new']);
    const many = Array.from({ length: ALERTS_CAP + 50 }, (_, i) => alert(`r${i}`, { status: 'resolved', raisedAtMs: T + i }));
    alerts.apply(many, undefined);
    expect(alerts.byId.size).toBe(ALERTS_CAP);
    expect(alerts.byId.has('new')).toBe(true);
    expect(alerts.byId.has('r0')).toBe(false);
  });

  it("holds an agent's alert retracted after it was resolved apart: shown as retracted, never in the list that counts breaches", () => {
    const alerts = useAlertsStore();
    alerts.hydrate([alert('kept', { level: 'breach', status: 'resolved', raisedAtMs: T }), alert('gone', { level: 'breach', status: 'resolved', raisedAtMs: T - 5 })]);
    expect(alerts.list.map((a) => a.id)).toEqual(['kept', 'gone']);
    alerts.apply([alert('gone', { level: 'breach', status: 'retracted', raisedAtMs: T - 5 })], undefined);
    expect(alerts.list.map((a) => a.id)).toEqual(['kept']);
    expect(alerts.retracted.map((a) => [a.id, a.status])).toEqual([['gone', 'retracted']]);
    expect(alerts.byId.size).toBe(2);
  });

  it('applies a delta\'s alert patches to the open alerts it holds: changed fields set, cleared ones removed, unknown ids ignored', () => {
    const alerts = useAlertsStore();
    alerts.hydrate([alert('h1', { ack: { by: 'sue', atMs: T } }), alert('h2')]);
    alerts.apply(undefined, undefined, [
      { id: 'h1', value: 95, updatedAtMs: T + 45_000, level: 'breach', threshold: 90, reopened: { by: 'sam', atMs: T + 45_000 }, unset: ['ack'] },
      { id: 'h2', value: 60, updatedAtMs: T + 10_000 },
      { id: 'not-held', value: 1 },
    ]);
    expect(alerts.byId.get('h1')).toEqual(alert('h1', { value: 95, updatedAtMs: T + 45_000, level: 'breach', threshold: 90, reopened: { by: 'sam', atMs: T + 45_000 } }));
    expect(alerts.byId.get('h2')).toEqual(alert('h2', { value: 60, updatedAtMs: T + 10_000 }));
    expect(alerts.byId.has('not-held')).toBe(false);
  });
});

describe('agent filter', () => {
  const agents = [
    agent('1001', { name: 'Aino Tamm', team: 'north', queues: ['sales'], activity: 'talking' }),
    agent('1002', { name: 'Mehmet Yılmaz', team: 'south', queues: ['support', 'sales'], activity: 'hold' }),
    agent('1003', { name: 'Liis Saar', team: 'north', queues: ['billing'], activity: 'available' }),
  ];
  const none = { team: '', queue: '', state: '', breachingOnly: false, search: '' };
  it('filters by team, queue, state, breaching now and name', () => {
    expect(filterAgents(agents, { ...none, team: 'north' }, new Set()).map((a) => a.agentId)).toEqual(['1001', '1003']);
    expect(filterAgents(agents, { ...none, queue: 'sales' }, new Set()).map((a) => a.agentId)).toEqual(['1001', '1002']);
    expect(filterAgents(agents, { ...none, state: 'hold' }, new Set()).map((a) => a.agentId)).toEqual(['1002']);
    expect(filterAgents(agents, { ...none, breachingOnly: true }, new Set(['1003'])).map((a) => a.agentId)).toEqual(['1003']);
    expect(filterAgents(agents, { ...none, search: 'yıl' }, new Set()).map((a) => a.agentId)).toEqual(['1002']);
    expect(filterAgents(agents, { ...none, search: '1003' }, new Set()).map((a) => a.agentId)).toEqual(['1003']);
  });
});

describe('nudges', () => {
  const config = defaultConfig();
  it('says "3rd ring — answer now" at the third ring and turns it into a breach at the fourth', () => {
    const me = agent('a1', { activity: 'ringing', activitySinceMs: T });
    expect(nudgesFor(me, null, config, T + 6_000)).toEqual([{ level: 'info', text: 'Ringing (2nd ring) — answer within 3 rings' }]);
    expect(nudgesFor(me, null, config, T + 12_000)).toEqual([{ level: 'warn', text: '3rd ring — answer now' }]);
    expect(nudgesFor(me, null, config, T + 18_000)[0]).toMatchObject({ level: 'breach', text: '4th ring — answer now' });
  });

  it('says "on hold 40 s — check back with the caller" before the hold threshold', () => {
    const me = agent('a1', { activity: 'hold', activitySinceMs: T, callId: 'c1' });
    expect(nudgesFor(me, null, config, T + 30_000)).toEqual([]);
    expect(nudgesFor(me, null, config, T + 40_000)).toEqual([{ level: 'warn', text: 'On hold 40 s — check back with the caller' }]);
    expect(nudgesFor(me, null, config, T + 95_000)[0].level).toBe('breach');
  });
});
