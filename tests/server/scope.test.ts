/**
 * Each role sees exactly its own: an agent's call detail shows their own part
 * of a call only, and the wallboard and agent faces carry no supervisor's user
 * name and no settings beyond what they show.
 */
import { describe, expect, it } from 'vitest';
import { closeHarnessesAfterEach, ev, postEvents, T0, VIEW_TOKEN, WALL_TOKEN, waitFor, type Harness, type Recorder } from './harness.ts';
import type { Ack, AgentConfig, AgentPayload, CallDetail, Snapshot, WallboardConfig, WallboardPayload } from '../../shared/wire.ts';
import { defaultConfig, type FloorConfig } from '../../shared/config.ts';

const { start, live } = closeHarnessesAfterEach();
function detailOf(r: Recorder, callId: string): Promise<Ack<CallDetail>> {
  return new Promise((resolve) => r.socket.emit('call:detail', callId, resolve));
}
async function supervise(h: Harness, p: string, body: unknown = {}): Promise<{ ok: boolean; data?: unknown; error?: string }> {
  const res = await fetch(`${h.url}${p}`, { method: 'POST', headers: { authorization: `Bearer ${VIEW_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return (await res.json()) as { ok: boolean; data?: unknown; error?: string };
}

let n = 0;
const at = (sec: number) => T0 + sec * 1000;
const raw = {
  transferred: (callId: string, atSec: number, extra: Record<string, unknown>) => ({ type: 'call.transferred', id: `scope-${++n}`, at: at(atSec), callId, ...extra }),
  escalation: (callId: string, atSec: number) => ({ type: 'call.escalation', id: `scope-${++n}`, at: at(atSec), callId }),
  ringEnded: (callId: string, agentId: string, atSec: number, outcome: 'no-answer' | 'canceled') => ({ type: 'call.ring-ended', id: `scope-${++n}`, at: at(atSec), callId, agentId, outcome }),
};

const AGENTS = [ev.agent('1001', 'available', 0, { name: 'Alice Ames', team: 'red' }), ev.agent('1002', 'available', 0, { name: 'Bob Brown', team: 'blue' })];

describe("an agent's call detail", () => {
  it('shows agent 1001 their part of a transferred call, nothing of what 1002 did after it', async () => {
    const h = await start();
    await postEvents(h, [
      ...AGENTS,
      ev.queued('x1', 'sales', 1),
      ev.ringing('x1', '1001', 2),
      ev.answered('x1', '1001', 4),
      ev.hold('x1', 10, true),
      ev.unhold('x1', 20),
      raw.transferred('x1', 30, { toAgentId: '1002', askedPermission: true, mode: 'blind' }),
      ev.answered('x1', '1002', 33),
      ev.hold('x1', 40, false), // a hold without asking: an alert on 1002
      raw.escalation('x1', 50),
      ev.ended('x1', 90, { by: 'caller' }),
    ]);
    const state = h.server.state();
    expect([...state.alerts.values(), ...state.recentAlerts].some((a) => a.callId === 'x1' && a.agentId === '1002')).toBe(true);

    const a = live(h, { scope: 'agent', agentId: '1001', token: VIEW_TOKEN });
    await a.firstSnapshot;
    const r = await detailOf(a, 'x1');
    expect(r.ok).toBe(true);
    const d = (r as { data: CallDetail }).data;
    expect(d.timeline.map((t) => t.type)).toEqual(['call.queued', 'call.ringing', 'call.answered', 'call.hold', 'call.unhold', 'call.transferred']);
    expect(d.timeline.every((t) => t.agentId === undefined || t.agentId === '1001')).toBe(true);
    expect(d.timeline.find((t) => t.type === 'call.transferred')?.detail).toEqual({ askedPermission: true, mode: 'blind' });
    expect(d).toMatchObject({ agentId: '1001', status: 'ended', answeredAtMs: at(4), holdCount: 1, holdSec: 10, endedAtMs: at(30), queueId: 'sales', ringAttempts: 1 });
    expect(d.alerts.every((x) => x.agentId === '1001')).toBe(true);
    const text = JSON.stringify(d);
    expect(text).not.toContain('1002');
    expect(text).not.toContain('Bob');
    expect(text).not.toContain('call.ended');
    expect(text).not.toContain('call.escalation');
    expect(text).not.toContain('"askedPermission":false');

    // 1002 sees their own part: their answer, their hold (their first), the escalation and the end; nothing of 1001.
    const b = live(h, { scope: 'agent', agentId: '1002', token: VIEW_TOKEN });
    await b.firstSnapshot;
    const rb = await detailOf(b, 'x1');
    const db = (rb as { data: CallDetail }).data;
    expect(db.timeline.map((t) => [t.type, t.detail ?? null])).toEqual([
      ['call.answered', { rings: 1 }],
      ['call.hold', { askedPermission: false, hold: 1 }],
      ['call.escalation', { request: 1 }],
      ['call.ended', { by: 'caller' }],
    ]);
    expect(db).toMatchObject({ agentId: '1002', status: 'ended', holdCount: 1, endedAtMs: at(90) });
    expect(db.alerts.length).toBeGreaterThan(0);
    expect(JSON.stringify(db)).not.toContain('1001');

    // The floor still sees the whole call.
    const f = live(h, { scope: 'floor', token: VIEW_TOKEN });
    await f.firstSnapshot;
    const rf = await detailOf(f, 'x1');
    expect((rf as { data: CallDetail }).data.timeline.length).toBe(10);
  });

  it('shows an agent a call that only rang them: their ring and its outcome, nothing after', async () => {
    const h = await start();
    await postEvents(h, [
      ...AGENTS,
      // Rang 1001, timed out, then rang and was answered by 1002.
      ev.queued('x2', 'sales', 1),
      ev.ringing('x2', '1001', 2),
      raw.ringEnded('x2', '1001', 20, 'no-answer'),
      ev.ringing('x2', '1002', 21),
      ev.answered('x2', '1002', 23),
      ev.hold('x2', 30, false),
      ev.ended('x2', 60),
      // Rang both at once; 1002 answered, which cancels 1001's ring.
      ev.queued('x3', 'sales', 61),
      ev.ringing('x3', '1001', 62),
      ev.ringing('x3', '1002', 62),
      ev.answered('x3', '1002', 64),
      raw.escalation('x3', 70),
      ev.ended('x3', 90),
    ]);
    const a = live(h, { scope: 'agent', agentId: '1001', token: VIEW_TOKEN });
    await a.firstSnapshot;
    const d2 = ((await detailOf(a, 'x2')) as { data: CallDetail }).data;
    expect(d2.timeline.map((t) => [t.type, t.detail?.outcome ?? null])).toEqual([
      ['call.queued', null],
      ['call.ringing', null],
      ['call.ring-ended', 'no-answer'],
    ]);
    expect(d2).toMatchObject({ agentId: null, status: 'ended', answeredAtMs: null, ringsToAnswer: null, holdCount: 0, holdSec: 0, endedAtMs: at(20), ringStartMs: at(2) });
    expect(d2.alerts.map((x) => [x.ruleId, x.agentId])).toEqual([['ring-limit', '1001']]); // their own ring that ran long
    expect(JSON.stringify(d2)).not.toContain('1002');

    const d3 = ((await detailOf(a, 'x3')) as { data: CallDetail }).data;
    expect(d3.timeline.map((t) => [t.type, t.detail?.outcome ?? null])).toEqual([
      ['call.queued', null],
      ['call.ringing', null],
      ['call.ring-ended', 'canceled'],
    ]);
    expect(d3).toMatchObject({ agentId: null, status: 'ended', endedAtMs: at(64) });
    expect(JSON.stringify(d3)).not.toContain('1002');

    // A call that never rang them stays closed to them.
    await postEvents(h, [ev.queued('x4', 'sales', 91), ev.ringing('x4', '1002', 92), ev.answered('x4', '1002', 93)]);
    const r4 = await detailOf(a, 'x4');
    expect(r4).toEqual({ ok: false, error: 'not your call' });
  });

  it("shows an agent ringing now their ring only, and a live call of theirs with their own holds after a colleague's", async () => {
    const h = await start();
    await postEvents(h, [
      ...AGENTS,
      ev.queued('x5', 'sales', 1),
      ev.ringing('x5', '1002', 2),
      ev.answered('x5', '1002', 3),
      ev.hold('x5', 5, false),
      ev.unhold('x5', 8),
      ev.hold('x5', 10, false),
      ev.unhold('x5', 12),
      raw.transferred('x5', 15, { toQueueId: 'billing' }),
      ev.ringing('x5', '1001', 16),
      ev.answered('x5', '1001', 18),
      ev.hold('x5', 25, true),
    ]);
    const a = live(h, { scope: 'agent', agentId: '1001', token: VIEW_TOKEN });
    await a.firstSnapshot;
    const d = ((await detailOf(a, 'x5')) as { data: CallDetail }).data;
    expect(d.timeline.map((t) => [t.type, t.detail?.hold ?? null])).toEqual([
      ['call.ringing', null],
      ['call.answered', null],
      ['call.hold', 1],
    ]);
    expect(d).toMatchObject({ agentId: '1001', status: 'hold', holdCount: 1, holdStartMs: at(25), endedAtMs: null, queueId: 'billing', answeredAtMs: at(18) });
    expect(JSON.stringify(d)).not.toContain('1002');
  });
});

describe('what each face is sent', () => {
  const config: FloorConfig = {
    ...defaultConfig(),
    queues: { 'vip-secret-queue': { rules: { queueWaitWarnSec: 10 } } },
    teams: { red: { rules: { ringBreachAt: 6, ringWarnAt: 5 }, workload: { dailyQuota: 77 } }, 'blue-secret-team': { rules: { ringBreachAt: 9 } } },
  };

  it('gives the wallboard ticker texts and times, its wait thresholds, and no supervisor name or settings', async () => {
    const h = await start({ config });
    await postEvents(h, [...AGENTS, ev.queued('w1', 'sales', 1)]);
    expect((await supervise(h, '/api/ticker', { text: 'Lunch rota changed', minutes: 30 })).ok).toBe(true);
    const w = live(h, { scope: 'wallboard', token: WALL_TOKEN });
    const snap = (await w.firstSnapshot) as Snapshot<WallboardPayload>;
    expect(snap.payload.ticker).toHaveLength(1);
    expect(Object.keys(snap.payload.ticker[0]).sort()).toEqual(['atMs', 'id', 'text', 'untilMs']);
    expect(snap.payload.ticker[0].text).toBe('Lunch rota changed');
    expect(snap.config).toEqual({ rules: { queueWaitWarnSec: config.rules.queueWaitWarnSec, queueWaitBreachSec: config.rules.queueWaitBreachSec } } satisfies WallboardConfig);
    // A message posted while it watches arrives without its author too.
    expect((await supervise(h, '/api/ticker', { text: 'Team meeting at 15:00', minutes: 30 })).ok).toBe(true);
    await waitFor(() => w.deltas.some((d) => d.ticker?.some((m) => m.text === 'Team meeting at 15:00')), 3000, 'ticker delta');
    const everything = JSON.stringify([snap, w.deltas]);
    expect(everything).not.toContain('api-token');
    expect(everything).not.toContain('"by"');
    expect(everything).not.toContain('secret');
    expect(everything).not.toContain('"teams"');
    // The floor still gets the full settings and who posted what.
    const f = live(h, { scope: 'floor', token: VIEW_TOKEN });
    const fsnap = await f.firstSnapshot;
    expect(fsnap.config).toEqual(config);
    expect(JSON.stringify(fsnap.payload)).toContain('api-token');
  });

  it("gives an agent their own team's thresholds and no supervisor's name on their alerts", async () => {
    const h = await start({ config });
    await postEvents(h, [...AGENTS, ev.queued('y1', 'sales', 1), ev.ringing('y1', '1001', 2), ev.answered('y1', '1001', 3), ev.hold('y1', 5, false)]);
    const alert = [...h.server.state().alerts.values(), ...h.server.state().recentAlerts].find((x) => x.agentId === '1001' && x.ruleId === 'hold-permission');
    expect(alert).toBeDefined();
    const acked = await supervise(h, `/api/alerts/${encodeURIComponent(alert!.id)}/ack`, { note: 'talked to her about it' });
    expect(acked.ok, acked.error).toBe(true);
    expect(h.server.state().alerts.get(alert!.id)?.ack?.by ?? [...h.server.state().recentAlerts].find((x) => x.id === alert!.id)?.ack?.by).toBe('api-token');

    const a = live(h, { scope: 'agent', agentId: '1001', token: VIEW_TOKEN });
    const snap = (await a.firstSnapshot) as Snapshot<AgentPayload>;
    const effective: AgentConfig = { rules: { ...config.rules, ringBreachAt: 6, ringWarnAt: 5 }, workload: { ...config.workload, dailyQuota: 77 }, awayLimitMinutes: { ...config.awayLimitMinutes } };
    expect(snap.config).toEqual(effective);
    expect(snap.payload.alerts.find((x) => x.id === alert!.id)).toBeDefined();
    expect(snap.payload.alerts.every((x) => x.ack === undefined && x.reopened === undefined)).toBe(true);

    // A reopening while the agent watches reaches them without who did it, or their note.
    expect((await supervise(h, `/api/alerts/${encodeURIComponent(alert!.id)}/reopen`, { note: 'again' })).ok).toBe(true);
    await waitFor(() => a.deltas.some((d) => d.alerts?.some((x) => x.id === alert!.id)), 3000, 'alert delta');
    const everything = JSON.stringify([snap, a.deltas]);
    expect(everything).not.toContain('api-token');
    expect(everything).not.toContain('talked to her');
    expect(everything).not.toContain('secret');
    expect(everything).not.toContain('"teams"');
    expect(everything).not.toContain('"queues":{');
  });

  it('sends an agent whose team changed a resync, and then their new team’s thresholds', async () => {
    const h = await start({ config });
    await postEvents(h, AGENTS);
    const b = live(h, { scope: 'agent', agentId: '1002', token: VIEW_TOKEN });
    const snap = await b.firstSnapshot;
    expect((snap.config as AgentConfig).rules.ringBreachAt).toBe(config.rules.ringBreachAt);
    await postEvents(h, [ev.agent('1002', 'available', 5, { team: 'red' })]);
    await waitFor(() => b.deltas.some((d) => d.resync === true), 3000, 'resync');
    const again = await new Promise<Ack<Snapshot>>((resolve) => b.socket.emit('live:resync', resolve));
    expect(again.ok).toBe(true);
    expect(((again as { data: Snapshot }).data.config as AgentConfig).rules.ringBreachAt).toBe(6);
  });
});
