import { describe, expect, it } from 'vitest';
import { Feed, T0, sec, configWith } from './feed.ts';

describe('ring-limit', () => {
  it('warns live at the third ring and breaches at the fourth, from ringing time and the 6 s cadence', () => {
    const f = new Feed().agent(0, 'a1').queued(0, 'c1').ringing(0, 'c1', 'a1');
    f.tick(11.999);
    expect(f.alerts('ring-limit')).toEqual([]);
    f.tick(12);
    expect(f.open('ring-limit')).toMatchObject([{ level: 'warn', value: 3, threshold: 3, raisedAtMs: sec(12), agentId: 'a1', callId: 'c1', queueId: 'q1' }]);
    f.tick(17.999);
    expect(f.open('ring-limit')[0].level).toBe('warn');
    f.tick(18);
    const [a] = f.open('ring-limit');
    expect(a).toMatchObject({ level: 'breach', value: 4, threshold: 4, raisedAtMs: sec(12), updatedAtMs: sec(18) });
    f.answered(20, 'c1', 'a1');
    expect(f.open('ring-limit')).toEqual([]);
    expect(f.alerts('ring-limit')).toMatchObject([{ id: a.id, status: 'resolved', resolvedAtMs: sec(20), level: 'breach', value: 4 }]);
  });

  it('keeps an answer at the third ring a resolved warning, never a breach', () => {
    const f = new Feed().agent(0, 'a1').queued(0, 'c1').ringing(0, 'c1', 'a1').tick(13).answered(14, 'c1', 'a1');
    expect(f.alerts('ring-limit')).toMatchObject([{ level: 'warn', status: 'resolved', value: 3 }]);
  });

  it('uses an explicit ringCount over ringing time when the source sends one', () => {
    const f = new Feed().agent(0, 'a1').queued(0, 'c1').ringing(0, 'c1', 'a1').answered(8, 'c1', 'a1', 5);
    expect(f.alerts('ring-limit')).toMatchObject([{ level: 'breach', value: 5, status: 'resolved' }]);
    const g = new Feed().agent(0, 'a1').queued(0, 'c1').ringing(0, 'c1', 'a1').tick(13).answered(14, 'c1', 'a1', 2);
    // The tick saw ring 3 by the clock, but the phone counted two: the late truth retracts the warning.
    expect(g.alerts('ring-limit')).toEqual([]);
    expect(g.state.agents.get('a1')?.today.alerts['ring-limit']).toEqual({ info: 0, warn: 0, breach: 0 });
  });

  it('checks each agent a call rings in turn separately', () => {
    const f = new Feed().agent(0, 'a1').agent(0, 'a2').queued(0, 'c1').ringing(0, 'c1', 'a1');
    f.send(20, { type: 'call.ring-ended', callId: 'c1', agentId: 'a1', outcome: 'no-answer' }).ringing(20, 'c1', 'a2').answered(25, 'c1', 'a2');
    expect(f.alerts('ring-limit').map((a) => [a.agentId, a.level, a.value])).toEqual([['a1', 'breach', 4]]);
    expect(f.state.agents.get('a1')?.today.ringNoAnswer).toBe(1);
    expect(f.state.agents.get('a2')?.today.ringsHist[1]).toBe(1);
  });

  it('follows a per-queue cadence and thresholds', () => {
    const config = configWith((c) => (c.queues.vip = { rules: { ringCadenceSec: 3, ringWarnAt: 2, ringBreachAt: 3 } }));
    const f = new Feed(config).agent(0, 'a1').queued(0, 'c1', 'vip').ringing(0, 'c1', 'a1');
    f.tick(2.999);
    expect(f.alerts('ring-limit')).toEqual([]);
    f.tick(3);
    expect(f.open('ring-limit')[0]).toMatchObject({ level: 'warn', value: 2 });
    f.tick(6);
    expect(f.open('ring-limit')[0]).toMatchObject({ level: 'breach', value: 3, threshold: 3 });
  });

  it('stays silent when the rule is disabled', () => {
    const f = new Feed(configWith((c) => (c.disabled = ['ring-limit']))).agent(0, 'a1').queued(0, 'c1').ringing(0, 'c1', 'a1').tick(60).answered(61, 'c1', 'a1');
    expect(f.alerts('ring-limit')).toEqual([]);
  });
});

describe('hold rules', () => {
  it('flags a hold started without permission as a breach', () => {
    const f = new Feed().agent(0, 'a1').connect(0, 'c1', 'a1').hold(30, 'c1', false);
    expect(f.alerts('hold-permission')).toMatchObject([{ level: 'breach', agentId: 'a1', callId: 'c1', raisedAtMs: sec(30), status: 'resolved' }]);
  });

  it('does not flag a hold with permission or with the permission flag missing', () => {
    const f = new Feed().agent(0, 'a1').connect(0, 'c1', 'a1').hold(30, 'c1', true).unhold(40, 'c1').hold(50, 'c1').unhold(60, 'c1');
    expect(f.alerts('hold-permission')).toEqual([]);
  });

  it('warns at 45 s on hold and breaches at 90 s, live, then resolves at unhold', () => {
    const f = new Feed().agent(0, 'a1').connect(0, 'c1', 'a1').hold(100, 'c1', true);
    f.tick(144.999);
    expect(f.alerts('hold-long')).toEqual([]);
    f.tick(145);
    expect(f.open('hold-long')).toMatchObject([{ level: 'warn', value: 45, threshold: 45, raisedAtMs: sec(145) }]);
    f.tick(189.999);
    expect(f.open('hold-long')[0].level).toBe('warn');
    f.tick(190);
    expect(f.open('hold-long')[0]).toMatchObject({ level: 'breach', threshold: 90 });
    f.unhold(200, 'c1');
    expect(f.alerts('hold-long')).toMatchObject([{ status: 'resolved', level: 'breach', value: 100, resolvedAtMs: sec(200) }]);
  });

  it('lets a late unhold event correct a tick that ran ahead', () => {
    const f = new Feed().agent(0, 'a1').connect(0, 'c1', 'a1').hold(100, 'c1', true).tick(191).unhold(189.9, 'c1');
    expect(f.alerts('hold-long')).toMatchObject([{ status: 'resolved', level: 'warn', value: 89.9, threshold: 45 }]);
    expect(f.state.agents.get('a1')?.today.alerts['hold-long']).toEqual({ info: 0, warn: 1, breach: 0 });
  });

  it('breaches at the third hold on one call, not at the second', () => {
    const f = new Feed().agent(0, 'a1').connect(0, 'c1', 'a1');
    f.hold(10, 'c1', true).unhold(15, 'c1').hold(20, 'c1', true).unhold(25, 'c1');
    expect(f.alerts('hold-repeat')).toEqual([]);
    f.hold(30, 'c1', true);
    expect(f.alerts('hold-repeat')).toMatchObject([{ level: 'breach', value: 3, threshold: 3, raisedAtMs: sec(30) }]);
  });

  it('applies a per-team hold threshold to that team only', () => {
    const config = configWith((c) => (c.teams.new = { rules: { holdLongWarnSec: 20, holdLongBreachSec: 40 } }));
    const f = new Feed(config).agent(0, 'a1', 'available', { team: 'new' }).agent(0, 'a2', 'available', { team: 'old' });
    f.connect(0, 'c1', 'a1').connect(0, 'c2', 'a2').hold(10, 'c1', true).hold(10, 'c2', true).tick(30);
    expect(f.open('hold-long').map((a) => a.agentId)).toEqual(['a1']);
  });
});

describe('transfer-permission', () => {
  it('flags a transfer made without asking', () => {
    const f = new Feed().agent(0, 'a1').agent(0, 'a2').connect(0, 'c1', 'a1');
    f.send(60, { type: 'call.transferred', callId: 'c1', toAgentId: 'a2', askedPermission: false, mode: 'blind' });
    expect(f.alerts('transfer-permission')).toMatchObject([{ level: 'breach', agentId: 'a1', raisedAtMs: sec(60) }]);
    f.send(70, { type: 'call.answered', callId: 'c1', agentId: 'a2' });
    f.send(80, { type: 'call.transferred', callId: 'c1', toQueueId: 'q2', askedPermission: true });
    expect(f.alerts('transfer-permission')).toHaveLength(1);
  });
});

describe('call-long', () => {
  it('warns at the per-call budget (8 h × 85 % ÷ 30 = 816 s) and breaches at twice it', () => {
    const f = new Feed().agent(0, 'a1').connect(0, 'c1', 'a1', 0);
    f.tick(815.999);
    expect(f.alerts('call-long')).toEqual([]);
    f.tick(816);
    expect(f.open('call-long')).toMatchObject([{ level: 'warn', threshold: 816, value: 816, raisedAtMs: sec(816) }]);
    f.tick(1631.999);
    expect(f.open('call-long')[0].level).toBe('warn');
    f.tick(1632);
    expect(f.open('call-long')[0]).toMatchObject({ level: 'breach', threshold: 1632 });
    f.ended(1700, 'c1');
    expect(f.alerts('call-long')).toMatchObject([{ status: 'resolved', value: 1700 }]);
  });

  it('uses the workload of the agent’s team for the budget', () => {
    const config = configWith((c) => (c.teams.sales = { workload: { dailyQuota: 60 } }));
    const f = new Feed(config).agent(0, 'a1', 'available', { team: 'sales' }).connect(0, 'c1', 'a1', 0).tick(408);
    expect(f.open('call-long')).toMatchObject([{ level: 'warn', threshold: 408 }]);
  });
});

describe('quota-pace', () => {
  it('warns when more than two calls behind the pace and resolves when caught up', () => {
    // 30 calls in 480 min: one every 16 min; more than 2 behind just after 32 min with none handled.
    const f = new Feed().agent(0, 'a1');
    f.tick(32 * 60);
    expect(f.alerts('quota-pace')).toEqual([]);
    f.tick(32 * 60 + 1);
    const [a] = f.open('quota-pace');
    expect(a).toMatchObject({ level: 'warn', agentId: 'a1', threshold: 2, raisedAtMs: sec(32 * 60) });
    f.connect(1930, 'c1', 'a1', 2).ended(1990, 'c1');
    expect(f.alerts('quota-pace')).toMatchObject([{ id: a.id, status: 'resolved', resolvedAtMs: sec(1990) }]);
  });

  it('does not run for agents who never signed in', () => {
    const f = new Feed().agent(0, 'a1', 'offline').tick(6 * 3600);
    expect(f.alerts('quota-pace')).toEqual([]);
  });
});

describe('voicemail-return', () => {
  it('warns after 4 h and breaches at the close of the business day', () => {
    const f = new Feed().send(0, { type: 'voicemail.left', voicemailId: 'v1', queueId: 'q1' }); // 09:00 UTC
    f.tick(4 * 3600 - 0.001);
    expect(f.alerts('voicemail-return')).toEqual([]);
    f.tick(4 * 3600);
    expect(f.open('voicemail-return')).toMatchObject([{ level: 'warn', raisedAtMs: sec(4 * 3600), voicemailId: 'v1', queueId: 'q1' }]);
    f.tick(9 * 3600 - 0.001); // 17:59:59.999
    expect(f.open('voicemail-return')[0].level).toBe('warn');
    f.tick(9 * 3600); // 18:00
    expect(f.open('voicemail-return')[0].level).toBe('breach');
    f.send(9 * 3600 + 60, { type: 'voicemail.returned', voicemailId: 'v1', agentId: 'a1' });
    expect(f.alerts('voicemail-return')).toMatchObject([{ status: 'resolved', level: 'breach' }]);
  });

  it('raises nothing for a voicemail returned within 4 h', () => {
    const f = new Feed().send(0, { type: 'voicemail.left', voicemailId: 'v1' }).tick(3600).send(3 * 3600, { type: 'voicemail.returned', voicemailId: 'v1' });
    f.tick(10 * 3600);
    expect(f.alerts('voicemail-return')).toEqual([]);
  });

  it('gives a voicemail left after closing until the next day’s close', () => {
    const f = new Feed().send(10 * 3600, { type: 'voicemail.left', voicemailId: 'v1' }); // 19:00
    expect(f.state.voicemails.get('v1')?.dueByMs).toBe(Date.parse('2026-11-25T18:00:00Z'));
  });
});

describe('callback-missed', () => {
  it('breaches 5 min after the due time when the callback was not made', () => {
    const due = sec(600);
    const f = new Feed().agent(0, 'a1').send(0, { type: 'callback.scheduled', callbackId: 'b1', agentId: 'a1', dueAt: due });
    f.tick(899.999);
    expect(f.alerts('callback-missed')).toEqual([]);
    f.tick(900);
    expect(f.open('callback-missed')).toMatchObject([{ level: 'breach', agentId: 'a1', callbackId: 'b1', raisedAtMs: sec(900), threshold: 300 }]);
    f.send(1000, { type: 'callback.completed', callbackId: 'b1', agentId: 'a1' });
    expect(f.alerts('callback-missed')).toMatchObject([{ status: 'resolved', value: 400 }]);
  });

  it('raises nothing for a callback made a little late but within 5 min', () => {
    const f = new Feed().agent(0, 'a1').send(0, { type: 'callback.scheduled', callbackId: 'b1', agentId: 'a1', dueAt: sec(600) }).send(880, { type: 'callback.completed', callbackId: 'b1', agentId: 'a1' }).tick(2000);
    expect(f.alerts('callback-missed')).toEqual([]);
  });

  it('lets an agent reschedule before the due time without a breach', () => {
    const f = new Feed().agent(0, 'a1').send(0, { type: 'callback.scheduled', callbackId: 'b1', agentId: 'a1', dueAt: sec(600) });
    f.send(500, { type: 'callback.scheduled', callbackId: 'b1', agentId: 'a1', dueAt: sec(3600) }).tick(1000);
    expect(f.alerts('callback-missed')).toEqual([]);
    f.tick(3900);
    expect(f.open('callback-missed')).toHaveLength(1);
  });
});

describe('speakerphone and volume', () => {
  it('warns after 60 s of continuous speaker use and resolves when it goes off', () => {
    const f = new Feed().agent(0, 'a1').connect(0, 'c1', 'a1').send(10, { type: 'call.speaker', callId: 'c1', on: true });
    f.tick(69.999);
    expect(f.alerts('speakerphone')).toEqual([]);
    f.tick(70);
    expect(f.open('speakerphone')).toMatchObject([{ level: 'warn', threshold: 60 }]);
    f.send(80, { type: 'call.speaker', callId: 'c1', on: false });
    expect(f.alerts('speakerphone')).toMatchObject([{ status: 'resolved', value: 70 }]);
  });

  it('warns on a voice above -10 dBFS sustained 5 s, not on a short peak', () => {
    const f = new Feed().agent(0, 'a1').connect(0, 'c1', 'a1');
    const vol = (t: number, dbfs: number) => f.send(t, { type: 'call.volume', callId: 'c1', dbfs });
    vol(10, -6);
    vol(12, -5);
    vol(14, -20); // a peak of 4 s
    vol(16, -8);
    vol(18, -7);
    vol(20.999, -6);
    expect(f.alerts('volume')).toEqual([]);
    vol(21, -4);
    expect(f.open('volume')).toMatchObject([{ level: 'warn', value: -4, threshold: -10, raisedAtMs: sec(21) }]);
    vol(23, -25);
    expect(f.alerts('volume')).toMatchObject([{ status: 'resolved', resolvedAtMs: sec(23) }]);
  });
});

describe('notes-missing and escalation', () => {
  it('breaches when a call ends with notes: false, and not when notes is missing', () => {
    const f = new Feed().agent(0, 'a1').connect(0, 'c1', 'a1').ended(100, 'c1', { notes: false });
    f.connect(200, 'c2', 'a1').ended(300, 'c2').connect(400, 'c3', 'a1').ended(500, 'c3', { notes: true });
    expect(f.alerts('notes-missing').map((a) => a.callId)).toEqual(['c1']);
  });

  it('informs at the first request for a manager and warns at the second', () => {
    const f = new Feed().agent(0, 'a1').connect(0, 'c1', 'a1').send(30, { type: 'call.escalation', callId: 'c1' });
    expect(f.open('escalation')).toMatchObject([{ level: 'info', value: 1 }]);
    f.send(60, { type: 'call.escalation', callId: 'c1' });
    expect(f.open('escalation')).toMatchObject([{ level: 'warn', value: 2, threshold: 2 }]);
    f.ended(90, 'c1');
    expect(f.alerts('escalation')).toMatchObject([{ status: 'resolved', level: 'warn' }]);
    expect(f.state.agents.get('a1')?.today.alerts.escalation).toEqual({ info: 0, warn: 1, breach: 0 });
  });
});

describe('queue-wait', () => {
  it('warns when the longest wait reaches 60 s and breaches at 120 s, resolving when the queue clears', () => {
    const f = new Feed().agent(0, 'a1').queued(0, 'c1').queued(30, 'c2');
    f.tick(59.999);
    expect(f.alerts('queue-wait')).toEqual([]);
    f.tick(60);
    expect(f.open('queue-wait')).toMatchObject([{ level: 'warn', queueId: 'q1', value: 60, raisedAtMs: sec(60) }]);
    f.tick(120);
    expect(f.open('queue-wait')[0]).toMatchObject({ level: 'breach', threshold: 120 });
    f.ringing(125, 'c1', 'a1').answered(130, 'c1', 'a1');
    // c2 has waited 100 s: the episode goes on.
    expect(f.open('queue-wait')).toHaveLength(1);
    f.abandoned(140, 'c2');
    expect(f.alerts('queue-wait')).toMatchObject([{ status: 'resolved', level: 'breach', value: 130, resolvedAtMs: sec(140) }]);
  });

  it('raises the episode from event times alone when no tick ran', () => {
    const f = new Feed().agent(0, 'a1').queued(0, 'c1').ringing(70, 'c1', 'a1').answered(75, 'c1', 'a1');
    expect(f.alerts('queue-wait')).toMatchObject([{ level: 'warn', value: 75, raisedAtMs: sec(60), status: 'resolved' }]);
  });
});

describe('sources without optional events', () => {
  it('raise no alerts for speaker, volume, notes, escalation, voicemail or callback rules over a long day', () => {
    const f = new Feed();
    for (let i = 0; i < 10; i++) f.agent(0, `a${i}`, 'available', { queues: ['q1'] });
    let t = 10;
    for (let c = 0; c < 400; c++) {
      const agent = `a${c % 10}`;
      f.queued(t, `c${c}`).ringing(t + 1, `c${c}`, agent).answered(t + 6, `c${c}`, agent);
      if (c % 3 === 0) f.hold(t + 30, `c${c}`).unhold(t + 100, `c${c}`);
      f.ended(t + 300 + (c % 7) * 50, `c${c}`);
      t += 70;
      if (c % 20 === 0) f.tick(t);
    }
    f.tick(t + 3600);
    const optional = ['speakerphone', 'volume', 'notes-missing', 'escalation', 'voicemail-return', 'callback-missed', 'hold-permission', 'transfer-permission'];
    expect(f.alerts().filter((a) => optional.includes(a.ruleId))).toEqual([]);
    expect(f.alerts('hold-long').length).toBeGreaterThan(0); // the rules that need no optional data still work
  });
});

describe('alert records', () => {
  it('count each alert once per agent at its highest level', () => {
    const f = new Feed().agent(0, 'a1').connect(0, 'c1', 'a1').hold(10, 'c1', false).tick(60).tick(110).unhold(120, 'c1');
    expect(f.state.agents.get('a1')?.today.alerts).toEqual({
      'hold-permission': { info: 0, warn: 0, breach: 1 },
      'hold-long': { info: 0, warn: 0, breach: 1 },
    });
    expect(f.alerts().every((a) => a.raisedAtMs >= T0)).toBe(true);
  });
});
