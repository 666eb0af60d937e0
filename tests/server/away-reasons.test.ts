/**
 * Pause reasons from each source, mapped to the away reasons the pause limits
 * know (shared/away.ts): queue_log PAUSE / PAUSEALL data fields and AMI
 * QueueMemberPause's PausedReason (Reason before Asterisk 13), normalised
 * the same way, and what the engine's away-long rule makes of them.
 */
import { describe, expect, it } from 'vitest';
import { QueueLogReader } from '../../server/queuelog/reader.ts';
import { AmiAdapter } from '../../server/ami/adapter.ts';
import type { AmiMessage } from '../../server/ami/parse.ts';
import { applyEvent, createFloorState, tick } from '../../shared/engine.ts';
import { defaultConfig } from '../../shared/config.ts';
import { parseEvent, type FloorEvent, type FloorEventInput } from '../../shared/events.ts';
import { ami, ms as amiMs } from './asterisk-fixtures.ts';

/** 2026-11-24T09:00:00Z in epoch seconds. */
const B = 1_795_510_800;
const ms = (dt: number) => (B + dt) * 1000;
const ql = (dt: number, callId: string, queue: string, agent: string, verb: string, ...data: (string | number)[]) => [B + dt, callId, queue, agent, verb, ...data].join('|');

function readQueueLog(lines: string[]): FloorEvent[] {
  const reader = new QueueLogReader({ timeZone: 'UTC', name: 'test' });
  return lines.flatMap((l) => reader.line(l));
}

function runAmi(msgs: AmiMessage[]): FloorEventInput[] {
  const adapter = new AmiAdapter();
  return msgs.flatMap((m) => {
    const r = adapter.feed(m, amiMs(10_000));
    return r.kind === 'events' ? r.events : [];
  });
}

/** The events through the schema and the engine; the away-long alerts and the agent's time away at `untilMs`. */
function fold(events: (FloorEvent | FloorEventInput)[], agentId: string, untilMs: number) {
  const s = createFloorState(defaultConfig(), 0);
  for (const raw of events) {
    const r = parseEvent(raw);
    if (!r.ok) throw new Error(r.error);
    applyEvent(s, r.event);
  }
  tick(s, untilMs);
  const alerts = [...s.alerts.values(), ...s.recentAlerts].filter((a) => a.ruleId === 'away-long');
  const a = s.agents.get(agentId);
  return { alerts, away: a?.away, awayMs: a?.today.awayMs };
}

const reasons = (events: (FloorEvent | FloorEventInput)[]) => events.map((e) => [(e as { state?: string }).state, (e as { reason?: string }).reason]);

describe('queue_log pause reasons', () => {
  it('takes PAUSE and PAUSEALL reasons from the data field, normalised (case, spaces)', () => {
    const events = readQueueLog([
      ql(0, 'NONE', 'sales', 'SIP/1001', 'ADDMEMBER', ''),
      ql(10, 'NONE', 'sales', 'SIP/1001', 'PAUSE', '  Coffee   BREAK '),
      ql(20, 'NONE', 'sales', 'SIP/1001', 'UNPAUSE', ''),
      // PauseQueueMember without a queue: PAUSEALL (queue NONE) first, then each queue's PAUSE, both with the reason.
      ql(30, 'NONE', 'NONE', 'SIP/1001', 'PAUSEALL', 'Lunch'),
      ql(30, 'NONE', 'sales', 'SIP/1001', 'PAUSE', 'Lunch'),
      ql(40, 'NONE', 'NONE', 'SIP/1001', 'UNPAUSEALL', ''),
      ql(40, 'NONE', 'sales', 'SIP/1001', 'UNPAUSE', ''),
    ]);
    expect(reasons(events)).toEqual([
      ['available', undefined],
      ['away', 'coffee break'],
      ['available', undefined],
      ['away', 'lunch'],
      ['away', 'lunch'],
      ['available', undefined],
      ['available', undefined],
    ]);
  });

  it('maps a member added paused (ADDMEMBER with PAUSED) to away with no reason', () => {
    const events = readQueueLog([ql(0, 'NONE', 'sales', 'SIP/1001', 'ADDMEMBER', 'PAUSED')]);
    expect(reasons(events)).toEqual([['away', undefined]]);
  });

  it('gives a break from queue_log its limit: warn at 15 min, breach at 22:30, one stretch for PAUSEALL and the queues\' PAUSE lines', () => {
    const events = readQueueLog([
      ql(0, 'NONE', 'sales', 'SIP/1001', 'ADDMEMBER', ''),
      ql(0, 'NONE', 'support', 'SIP/1001', 'ADDMEMBER', ''),
      ql(60, 'NONE', 'NONE', 'SIP/1001', 'PAUSEALL', 'BREAK'),
      ql(60, 'NONE', 'sales', 'SIP/1001', 'PAUSE', 'BREAK'),
      ql(61, 'NONE', 'support', 'SIP/1001', 'PAUSE', 'Break'),
    ]);
    expect(fold(events, 'SIP/1001', ms(60 + 899)).alerts).toEqual([]);
    expect(fold(events, 'SIP/1001', ms(60 + 900)).alerts).toMatchObject([{ level: 'warn', raisedAtMs: ms(960) }]);
    const late = fold([...events, ...readQueueLog([ql(60 + 1350, 'NONE', 'NONE', 'SIP/1001', 'UNPAUSEALL', '')])], 'SIP/1001', ms(60 + 1400));
    expect(late.alerts).toMatchObject([{ level: 'breach', status: 'resolved', value: 1350 }]);
    expect(late.awayMs).toEqual({ break: 1350_000 });
  });

  it('starts a new stretch when Asterisk logs UNPAUSE "Auto-Unpause" and PAUSE with another reason (log_unpause_on_reason_change)', () => {
    const events = readQueueLog([
      ql(0, 'NONE', 'sales', 'SIP/1001', 'ADDMEMBER', ''),
      ql(0, 'NONE', 'sales', 'SIP/1001', 'PAUSE', 'break'),
      ql(600, 'NONE', 'sales', 'SIP/1001', 'UNPAUSE', 'Auto-Unpause'),
      ql(600, 'NONE', 'sales', 'SIP/1001', 'PAUSE', 'lunch'),
    ]);
    const r = fold(events, 'SIP/1001', ms(1200));
    expect(r.alerts).toEqual([]);
    expect(r.away).toMatchObject({ reason: 'lunch', sinceMs: ms(600) });
    expect(r.awayMs).toEqual({ break: 600_000 });
  });
});

describe('AMI pause reasons', () => {
  const member = (event: string, dt: number, extra: Record<string, string | number>) =>
    ami(event, dt, { Queue: 'sales', MemberName: 'Ann Lee', Interface: 'PJSIP/1001', StateInterface: 'PJSIP/1001', Membership: 'dynamic', Status: 1, Paused: 0, ...extra });

  it('takes PausedReason (Asterisk 13+) and Reason (QueueMemberPause of 12), normalised', () => {
    const events = runAmi([
      member('QueueMemberAdded', 0, { PausedReason: '' }),
      member('QueueMemberPause', 60, { Paused: 1, PausedReason: ' LUNCH ' }),
      member('QueueMemberPause', 120, { Paused: 0, PausedReason: '' }),
      member('QueueMemberPause', 180, { Paused: 1, Reason: 'Break' }),
    ]);
    expect(reasons(events)).toEqual([
      ['available', undefined],
      ['away', 'lunch'],
      ['available', undefined],
      ['away', 'break'],
    ]);
  });

  it('keeps a known reason when a member event says nothing of it (QueueMemberStatus before 13): the timer runs on', () => {
    const msgs = [
      member('QueueMemberAdded', 0, {}),
      member('QueueMemberPause', 60, { Paused: 1, Reason: 'break' }),
      member('QueueMemberStatus', 300, { Paused: 1, Status: 2 }), // phone in use, no reason field
      member('QueueMemberStatus', 400, { Paused: 1, Status: 1 }),
    ];
    const events = runAmi(msgs);
    expect(reasons(events)).toEqual([
      ['available', undefined],
      ['away', 'break'],
    ]);
    const r = fold(events, 'Ann Lee', amiMs(60 + 900));
    expect(r.alerts).toMatchObject([{ level: 'warn', raisedAtMs: amiMs(960) }]);
  });

  it('takes a paused member\'s empty PausedReason (13+) as no reason', () => {
    const events = runAmi([member('QueueMemberAdded', 0, { PausedReason: '' }), member('QueueMemberPause', 60, { Paused: 1, PausedReason: '' })]);
    expect(reasons(events)).toEqual([
      ['available', undefined],
      ['away', undefined],
    ]);
  });

  it('gives a lunch from AMI its limit: warn at 35 min, breach at 52:30, ended when unpaused', () => {
    const events = runAmi([
      member('QueueMemberAdded', 0, {}),
      member('QueueMemberPause', 0, { Paused: 1, PausedReason: 'Lunch' }),
      member('QueueMemberPause', 3200, { Paused: 0, PausedReason: '' }),
    ]);
    const r = fold(events.slice(0, 2), 'Ann Lee', amiMs(2100));
    expect(r.alerts).toMatchObject([{ level: 'warn', threshold: 2100 }]);
    expect(fold(events.slice(0, 2), 'Ann Lee', amiMs(3149)).alerts).toMatchObject([{ level: 'warn' }]);
    expect(fold(events.slice(0, 2), 'Ann Lee', amiMs(3150)).alerts).toMatchObject([{ level: 'breach', threshold: 3150 }]);
    const done = fold(events, 'Ann Lee', amiMs(3300));
    expect(done.alerts).toMatchObject([{ level: 'breach', status: 'resolved', resolvedAtMs: amiMs(3200) }]);
    expect(done.awayMs).toEqual({ lunch: 3200_000 });
  });
});

describe('time away in the queue_log report', () => {
  it('reports time away per agent, floor-local day and reason, split at midnight, the open pause up to the last record', async () => {
    const { buildReport, formatReport } = await import('../../server/queuelog/report.ts');
    const fs = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floorwatch-away-'));
    // Tallinn is UTC+2 in November: local midnight of the 25th is 22:00 UTC on the 24th.
    const midnight = Date.parse('2026-11-24T22:00:00Z') / 1000;
    const line = (t: number, rest: string) => `${t}|${rest}`;
    const file = path.join(dir, 'queue_log');
    fs.writeFileSync(
      file,
      [
        line(midnight - 3600, 'NONE|sales|SIP/1001|ADDMEMBER|'),
        line(midnight - 1800, 'NONE|sales|SIP/1001|PAUSE|Break'),
        line(midnight - 1200, 'NONE|sales|SIP/1001|UNPAUSE|'),
        line(midnight - 600, 'NONE|sales|SIP/1001|PAUSE|LUNCH'), // 10 min before midnight, 20 min after
        line(midnight + 1200, 'NONE|sales|SIP/1001|UNPAUSE|'),
        line(midnight + 1800, 'NONE|sales|SIP/1001|PAUSE|training'), // still paused at the last record
        line(midnight + 2400, 'NONE|sales|SIP/1002|ADDMEMBER|'),
      ].join('\n') + '\n',
    );
    try {
      const { report, details } = await buildReport([file], { timeZone: 'Europe/Tallinn', threads: 'one' });
      expect(report.agents['SIP/1001'].awaySecByDay).toEqual({ '2026-11-24': { break: 600, lunch: 600 }, '2026-11-25': { lunch: 1200, training: 600 } });
      expect(report.agents['SIP/1002'].awaySecByDay).toBeUndefined();
      const text = formatReport(report, details);
      expect(text).toContain('Time away (paused), per agent, day and reason:');
      expect(text).toMatch(/SIP\/1001\s+2026-11-25\s+lunch 20:00, training 10:00/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the simulator\'s pauses', () => {
  it('sends breaks and lunches with reasons, some past their limit and some past it by half, and training', async () => {
    const { createSimulator } = await import('../../server/simulator.ts');
    const T0 = Date.parse('2026-11-24T08:00:00Z');
    const raw: FloorEventInput[] = [];
    const sim = createSimulator({ seed: 1, emit: (b) => void raw.push(...b) }, T0);
    for (let t = T0; t <= T0 + 8 * 3_600_000; t += 10_000) sim.step(t);
    const s = createFloorState(defaultConfig(), T0);
    const alerts = new Map<string, { level: string }>();
    for (const e of raw) {
      const r = parseEvent(e);
      if (!r.ok) throw new Error(r.error);
      applyEvent(s, r.event);
      if (r.event.at % 10_000 < 1000) tick(s, r.event.at);
      for (const a of s.alerts.values()) if (a.ruleId === 'away-long') alerts.set(a.id, a);
    }
    const away = raw.filter((e) => e.type === 'agent.state' && e.state === 'away').map((e) => (e as { reason?: string }).reason?.toLowerCase());
    expect(new Set(away)).toEqual(new Set(['break', 'lunch', 'training']));
    const levels = [...alerts.values()].map((a) => a.level);
    expect(levels).toContain('warn');
    expect(levels).toContain('breach');
  });
});
