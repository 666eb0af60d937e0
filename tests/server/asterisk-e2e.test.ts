/**
 * Parallel rings and lost ends from Asterisk, end to end: the events the
 * queue_log and AMI adapters make, folded live through the engine with its
 * 1 Hz tick, give the figures and alerts the issue asks for (ring-limit per
 * ringing member, ring-no-answer only for rings that timed out on that member,
 * cancelled rings counted apart, lost ends closed and corrected, alerts the
 * correction disproves retracted). The exact adapter events are asserted in
 * asterisk-rings.test.ts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AmiAdapter } from '../../server/ami/adapter.ts';
import type { AmiMessage } from '../../server/ami/parse.ts';
import { QueueLogReader } from '../../server/queuelog/reader.ts';
import { buildReport } from '../../server/queuelog/report.ts';
import { defaultConfig } from '../../shared/config.ts';
import { applyEvent, createFloorState, drainChanges, tick } from '../../shared/engine.ts';
import { parseEvent, type FloorEvent, type FloorEventInput } from '../../shared/events.ts';
import type { Alert } from '../../shared/state.ts';
import { ami, B, called, caller, complete, connect, join, M200, M201, M202, ms, Q, UID } from './asterisk-fixtures.ts';

/**
 * A live floor (UTC) ticked every second like the server: each batch arrives at
 * the latest time it carries (a back-dated ring arrives with its end), after
 * the ticks up to then.
 */
function liveFloor() {
  const s = createFloorState({ ...defaultConfig(), timeZone: 'UTC' }, ms(-60));
  const alerts = new Map<string, Alert>();
  let clock = ms(-60);
  const collect = () => {
    for (const a of drainChanges(s).alerts) alerts.set(a.id, a);
  };
  const tickTo = (untilMs: number) => {
    while (clock + 1000 <= untilMs) {
      clock += 1000;
      tick(s, clock);
      collect();
    }
  };
  const feed = (batch: (FloorEvent | FloorEventInput)[]) => {
    if (batch.length === 0) return;
    const valid = batch.map((e) => {
      const r = parseEvent(e);
      if (!r.ok) throw new Error(`${e.type} ${e.id}: ${r.error}`);
      return r.event;
    });
    tickTo(Math.max(...valid.map((e) => e.at)));
    for (const e of valid) {
      applyEvent(s, e);
      collect();
    }
  };
  const ringLimit = (agentId: string) => [...alerts.values()].filter((a) => a.ruleId === 'ring-limit' && a.agentId === agentId);
  return { s, alerts, feed, tickTo, ringLimit };
}

type Floor = ReturnType<typeof liveFloor>;

/** queue_log lines tailed into a live floor, one line's events at a time. */
function tailInto(f: Floor, lines: string[]): void {
  const reader = new QueueLogReader({ timeZone: 'UTC', name: 'test' });
  for (const l of lines) f.feed(reader.line(l));
}

/** AMI events fed into a live floor through one adapter; `arrivalMs` dates those without a Timestamp. */
function amiInto(f: Floor, adapter: AmiAdapter, msgs: AmiMessage[], arrivalMs = ms(0)): void {
  for (const m of msgs) {
    const r = adapter.feed(m, arrivalMs);
    if (r.kind === 'events') f.feed(r.events);
  }
}

describe('Asterisk parallel rings through the engine', () => {
  const ISSUE_LOG = [
    '1795510800|X|support|NONE|ENTERQUEUE||5550111|1',
    '1795510830|X|support|EXT-200|RINGNOANSWER|30000',
    '1795510830|X|support|EXT-201|RINGNOANSWER|30000',
    '1795510840|X|support|NONE|ABANDON|1|1|40',
  ];

  it('queue_log ringall timed out: EXT-200 and EXT-201 each rang 30 s (6 rings), each a ring-limit breach and a ring-no-answer', () => {
    const f = liveFloor();
    tailInto(f, ISSUE_LOG);
    f.tickTo(ms(60));
    for (const agent of ['EXT-200', 'EXT-201']) {
      expect(f.s.agents.get(agent)?.today).toMatchObject({ ringNoAnswer: 1, ringCanceled: 0 });
      const breaches = f.ringLimit(agent).filter((a) => a.level === 'breach' && a.status !== 'retracted');
      expect(breaches.map((a) => a.value)).toEqual([6]);
    }
    expect(f.s.queues.get('support')?.today).toMatchObject({ offered: 1, abandoned: 1, answered: 0 });
  });

  it('queue_log ringall timed out: the offline report gives both members the same ring-no-answer and breach', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floorwatch-rings-'));
    fs.writeFileSync(path.join(dir, 'queue_log'), ISSUE_LOG.join('\n') + '\n');
    const { report } = await buildReport([path.join(dir, 'queue_log')], { timeZone: 'UTC' });
    for (const agent of ['EXT-200', 'EXT-201']) expect(report.agents[agent]).toMatchObject({ ringNoAnswer: 1, ringCanceled: 0, breaches: { 'ring-limit': 1 } });
  });

  it('AMI ringall answered: EXT-201 answered after 2 rings; EXT-200 cancelled, ring-no-answer 0, no ring-limit alert', () => {
    const f = liveFloor();
    amiInto(f, new AmiAdapter(), [join(0), called(1, M200), called(1, M201), connect(9, M201, 9, 8), complete(69, M201, 9, 60)]);
    f.tickTo(ms(70));
    expect(f.s.calls.get(UID)).toMatchObject({ ringsToAnswer: 2, status: 'ended' });
    expect(f.s.agents.get('EXT-201')?.today).toMatchObject({ ringNoAnswer: 0, handled: 1 });
    expect(f.s.agents.get('EXT-200')?.today).toMatchObject({ ringNoAnswer: 0, ringCanceled: 1 });
    expect([...f.alerts.values()].filter((a) => a.ruleId === 'ring-limit')).toEqual([]);
  });

  it('AMI three members rung at once, one answers: the other two cancelled, never a ring-no-answer', () => {
    const f = liveFloor();
    amiInto(f, new AmiAdapter(), [join(0), called(1, M200), called(1, M201), called(1, M202), connect(7, M202, 7, 6), complete(60, M202, 7, 53)]);
    for (const agent of ['EXT-200', 'EXT-201']) expect(f.s.agents.get(agent)?.today).toMatchObject({ ringNoAnswer: 0, ringCanceled: 1 });
    expect(f.s.agents.get('EXT-202')?.today).toMatchObject({ ringNoAnswer: 0, ringCanceled: 0, handled: 1 });
    expect(f.s.calls.get(UID)?.ringsToAnswer).toBe(2);
  });

  it('queue_log ring timed out on one member, then another answers: a ring-no-answer for the first only', () => {
    const f = liveFloor();
    tailInto(f, [
      `${B}|c1|sales|NONE|ENTERQUEUE||555|1`,
      `${B + 15}|c1|sales|EXT-200|RINGNOANSWER|15000`,
      `${B + 24}|c1|sales|EXT-201|CONNECT|24|1795510820.3|4`,
      `${B + 84}|c1|sales|EXT-201|COMPLETECALLER|24|60|1`,
    ]);
    expect(f.s.agents.get('EXT-200')?.today).toMatchObject({ ringNoAnswer: 1, ringCanceled: 0 });
    expect(f.s.agents.get('EXT-201')?.today).toMatchObject({ ringNoAnswer: 0, ringCanceled: 0, handled: 1 });
    // 15 s is 3 rings: a warning for EXT-200, not a breach; EXT-201 answered at the first ring.
    expect(f.ringLimit('EXT-200').map((a) => a.level)).toEqual(['warn']);
    expect(f.s.calls.get('c1')?.ringsToAnswer).toBe(1);
  });

  it('caller hangs up while two phones ring: both rings cancelled, neither held against the member (queue_log and AMI)', () => {
    const viaLog = liveFloor();
    tailInto(viaLog, [
      `${B}|c1|sales|NONE|ENTERQUEUE||555|1`,
      `${B + 14}|c1|sales|EXT-200|RINGCANCELED|12000`,
      `${B + 14}|c1|sales|EXT-201|RINGCANCELED|12000`,
      `${B + 14}|c1|sales|NONE|ABANDON|1|1|14`,
    ]);
    const viaAmi = liveFloor();
    amiInto(viaAmi, new AmiAdapter(), [join(0), called(2, M200), called(2, M201), ami('QueueCallerAbandon', 14, { ...caller(), ...Q, Position: 1, OriginalPosition: 1, HoldTime: 14 })]);
    for (const f of [viaLog, viaAmi]) {
      for (const agent of ['EXT-200', 'EXT-201']) {
        expect(f.s.agents.get(agent)?.today).toMatchObject({ ringNoAnswer: 0, ringCanceled: 1 });
        expect(f.ringLimit(agent).filter((a) => a.level === 'breach' && a.status !== 'retracted')).toEqual([]);
      }
      expect([...f.s.queues.values()][0].today).toMatchObject({ abandoned: 1 });
    }
  });
});

describe('Asterisk lost ends through the engine', () => {
  it('AMI link lost while a caller waits, answered unseen at 09:00:10: nobody waits after the reconnect, and the queue-wait alert is retracted once AgentComplete back-dates the answer', () => {
    const f = liveFloor();
    const adapter = new AmiAdapter();
    amiInto(f, adapter, [join(0)]);
    // The link drops; the floor ticks on with the caller still "waiting" until the reconnect at 09:01.
    f.tickTo(ms(60));
    const waitAlerts = () => [...f.alerts.values()].filter((a) => a.ruleId === 'queue-wait');
    expect(waitAlerts().map((a) => [a.level, a.status])).toEqual([['warn', 'open']]);
    const lostAt = adapter.lastEventAtMs;
    const waitingBefore = new Map(adapter.openCalls().map((c) => [c.uid, c.callId]));
    amiInto(f, adapter, [ami('QueueMember', undefined, { Queue: 'support', Name: 'EXT-201', Location: 'PJSIP/EXT-201', Status: 2, InCall: 1, Paused: 0 })], ms(60));
    f.feed(adapter.reconcileQueues(waitingBefore, new Set(), ms(60), lostAt));
    // Nobody waits after the reconnect, and no queue-wait breach grows for six minutes.
    f.tickTo(ms(369));
    expect(f.s.queues.get('support')?.waiting.size).toBe(0);
    expect(waitAlerts().filter((a) => a.level === 'breach' && a.status !== 'retracted')).toEqual([]);
    expect(waitAlerts().filter((a) => a.status === 'open')).toEqual([]);
    // AgentComplete at 09:06:10: waited 10 s, talked 360 s.
    amiInto(f, adapter, [complete(370, M201, 10, 360, 'caller')]);
    expect(f.s.calls.get(UID)).toMatchObject({ status: 'ended', answeredAtMs: ms(10), waitMs: 10_000 });
    expect(f.s.queues.get('support')?.today).toMatchObject({ offered: 1, answered: 1, abandoned: 0, endLost: 0 });
    expect(waitAlerts().map((a) => a.status)).toEqual(['retracted']);
  });

  it('AMI reconnect with two waiting callers, one still listed: one closed as end lost, the other still waiting', () => {
    const f = liveFloor();
    const adapter = new AmiAdapter();
    amiInto(f, adapter, [join(0), join(3, '1795510803.7')]);
    const waitingBefore = new Map(adapter.openCalls().map((c) => [c.uid, c.callId]));
    f.feed(adapter.reconcileQueues(waitingBefore, new Set(['1795510803.7']), ms(40), adapter.lastEventAtMs));
    f.tickTo(ms(40));
    const q = f.s.queues.get('support');
    expect([...(q?.waiting.keys() ?? [])]).toEqual(['1795510803.7']);
    expect(q?.today).toMatchObject({ offered: 2, answered: 0, abandoned: 0, endLost: 1 });
    expect(f.s.calls.get(UID)?.status).toBe('lost');
  });

  it('queue_log QUEUESTART: calls open at the restart counted as end lost, not abandoned, and no longer on the floor', () => {
    const f = liveFloor();
    tailInto(f, [
      `${B}|c1|sales|NONE|ENTERQUEUE||555|1`,
      `${B + 5}|c2|sales|NONE|ENTERQUEUE||556|1`,
      `${B + 9}|c2|sales|EXT-200|CONNECT|4|1795510805.2|3`,
      `${B + 30}|NONE|sales|EXT-201|PAUSE|lunch`,
      `${B + 600}|NONE|NONE|NONE|QUEUESTART|`,
    ]);
    const q = f.s.queues.get('sales');
    expect(q?.today).toMatchObject({ offered: 2, answered: 1, abandoned: 0, endLost: 2 });
    expect(q?.waiting.size).toBe(0);
    expect(f.s.agents.get('EXT-200')?.callId).toBeUndefined();
    expect([...f.alerts.values()].filter((a) => a.ruleId === 'queue-wait' && a.level === 'breach' && a.status !== 'retracted')).toEqual([]);
  });
});
