/**
 * The queue_log adapter on queue_log text written for the purpose: every verb,
 * the units of its fields, and the damage found in real files.
 */
import { describe, expect, it } from 'vitest';
import { FINISHED_CALLS_KEPT, normalizeAgent, QueueLogAdapter } from '../../server/queuelog/adapter.ts';
import { QueueLogReader } from '../../server/queuelog/reader.ts';
import { hashText, parseTime, type QueueLogRecord } from '../../server/queuelog/parse.ts';
import { applyEvent, createFloorState } from '../../shared/engine.ts';
import { defaultConfig } from '../../shared/config.ts';
import type { FloorEvent } from '../../shared/events.ts';

/** 2026-11-24T09:00:00Z in epoch seconds. */
const B = 1_795_510_800;
const ms = (dt: number) => (B + dt) * 1000;

function ql(dt: number, callId: string, queue: string, agent: string, verb: string, ...data: (string | number)[]): string {
  return [B + dt, callId, queue, agent, verb, ...data].join('|');
}

function read(lines: string[], timeZone = 'UTC') {
  const reader = new QueueLogReader({ timeZone, name: 'test' });
  const events: FloorEvent[] = [];
  for (const l of lines) events.push(...reader.line(l));
  return { reader, events, stats: reader.stats };
}

/** Events without ids, for readable expectations. */
function shape(events: FloorEvent[]) {
  return events.map(({ id: _id, ...rest }) => rest);
}

function engineOf(events: FloorEvent[]) {
  const s = createFloorState(defaultConfig(), 0);
  for (const e of [...events].sort((a, b) => a.at - b.at)) applyEvent(s, e);
  return s;
}

describe('queue_log call verbs', () => {
  it('maps ENTERQUEUE to call.queued with the caller id and the time in whole seconds', () => {
    const { events } = read([ql(0, '1795510800.1', 'sales', 'NONE', 'ENTERQUEUE', '', '5550100', 1)]);
    expect(shape(events)).toEqual([{ type: 'call.queued', at: ms(0), callId: '1795510800.1', queueId: 'sales', caller: '5550100' }]);
  });

  it('turns RINGNOANSWER (ms) into a ring back-dated by its duration, ended as that member\'s no-answer', () => {
    const { events } = read([
      ql(0, 'c1', 'sales', 'NONE', 'ENTERQUEUE', '', '555', 1),
      ql(20, 'c1', 'sales', 'SIP/1001', 'RINGNOANSWER', 15000),
    ]);
    expect(shape(events)).toEqual([
      { type: 'call.queued', at: ms(0), callId: 'c1', queueId: 'sales', caller: '555' },
      { type: 'agent.state', at: ms(5), agentId: 'SIP/1001', state: 'available', queues: ['sales'] },
      { type: 'call.ringing', at: ms(5), callId: 'c1', agentId: 'SIP/1001' },
      { type: 'call.ring-ended', at: ms(20), callId: 'c1', agentId: 'SIP/1001', outcome: 'no-answer' },
    ]);
  });

  it('reads RINGCANCELED as ms of ringing cut off by the caller: a ring ended as cancelled', () => {
    const { events } = read([
      ql(0, 'c1', 'sales', 'NONE', 'ENTERQUEUE', '', '555', 1),
      ql(25, 'c1', 'sales', 'SIP/1001', 'RINGCANCELED', 19000),
      ql(25, 'c1', 'sales', 'NONE', 'ABANDON', 1, 1, 25),
    ]);
    expect(shape(events).filter((e) => e.type !== 'agent.state')).toEqual([
      { type: 'call.queued', at: ms(0), callId: 'c1', queueId: 'sales', caller: '555' },
      { type: 'call.ringing', at: ms(6), callId: 'c1', agentId: 'SIP/1001' },
      { type: 'call.ring-ended', at: ms(25), callId: 'c1', agentId: 'SIP/1001', outcome: 'canceled' },
      { type: 'call.abandoned', at: ms(25), callId: 'c1', waitSec: 25 },
    ]);
  });

  it('reads CONNECT as queue wait (s) | member uniqueid | ring time (s): a ring then the answer, with no ring count', () => {
    const { events } = read([
      ql(0, 'c1', 'sales', 'NONE', 'ENTERQUEUE', '', '555', 1),
      ql(30, 'c1', 'sales', 'SIP/1001', 'CONNECT', 30, '1795510825.7', 19),
    ]);
    expect(shape(events).slice(2)).toEqual([
      { type: 'call.ringing', at: ms(11), callId: 'c1', agentId: 'SIP/1001' },
      { type: 'call.answered', at: ms(30), callId: 'c1', agentId: 'SIP/1001', waitSec: 30 },
    ]);
    const s = engineOf(events);
    expect(s.calls.get('c1')?.ringsToAnswer).toBe(4); // 19 s at the 6 s cadence
    expect(s.calls.get('c1')?.waitMs).toBe(30_000);
    expect(s.agents.get('SIP/1001')?.today.alerts['ring-limit']?.breach).toBe(1);
  });

  it('accepts the legacy two-field CONNECT: an answer without a ring', () => {
    const { events } = read([ql(0, 'c1', 'sales', 'NONE', 'ENTERQUEUE', '', '', 1), ql(9, 'c1', 'sales', 'SIP/1001', 'CONNECT', 9, 'x.1')]);
    expect(events.map((e) => e.type)).toEqual(['call.queued', 'agent.state', 'call.answered']);
    expect(engineOf(events).calls.get('c1')?.ringsToAnswer).toBeUndefined();
  });

  it('maps COMPLETECALLER and COMPLETEAGENT (wait|talk|origposition) to call.ended by caller or agent', () => {
    const lines = (verb: string, id: string) => [
      ql(0, id, 'sales', 'NONE', 'ENTERQUEUE', '', '', 1),
      ql(5, id, 'sales', 'SIP/1001', 'CONNECT', 5, `${id}b`, 2),
      ql(65, id, 'sales', 'SIP/1001', verb, 5, 60, 1),
    ];
    const { events, reader } = read([...lines('COMPLETECALLER', 'c1'), ...lines('COMPLETEAGENT', 'c2')]);
    const ends = events.filter((e) => e.type === 'call.ended');
    expect(shape(ends)).toEqual([
      { type: 'call.ended', at: ms(65), callId: 'c1', by: 'caller' },
      { type: 'call.ended', at: ms(65), callId: 'c2', by: 'agent' },
    ]);
    expect(reader.adapter.talkByAgent.get('SIP/1001')).toEqual({ sumSec: 120, count: 2 });
    expect(reader.adapter.openCalls()).toEqual([]);
  });

  it('maps BLINDTRANSFER (ext|context|wait|talk|origposition) to a blind transfer off the floor', () => {
    const { events, reader } = read([
      ql(0, 'c1', 'sales', 'NONE', 'ENTERQUEUE', '', '', 1),
      ql(4, 'c1', 'sales', 'SIP/1001', 'CONNECT', 4, 'x', 1),
      ql(50, 'c1', 'sales', 'SIP/1001', 'BLINDTRANSFER', '2000', 'from-internal', 4, 46, 1),
    ]);
    expect(shape(events).at(-1)).toEqual({ type: 'call.transferred', at: ms(50), callId: 'c1', mode: 'blind' });
    const s = engineOf(events);
    expect(s.calls.get('c1')).toMatchObject({ status: 'ended', endReason: 'transferred-out' });
    expect(s.queues.get('sales')?.today).toMatchObject({ answered: 1, transferredOut: 1 });
    expect(reader.adapter.talkByQueue.get('sales')).toEqual({ sumSec: 46, count: 1 });
  });

  it('reads both ATTENDEDTRANSFER variants: BRIDGE|id and LINK|chan|chan with one extra field', () => {
    const { events, reader, stats } = read([
      ql(0, 'c1', 'sales', 'NONE', 'ENTERQUEUE', '', '', 1),
      ql(3, 'c1', 'sales', 'SIP/1001', 'CONNECT', 3, 'x', 1),
      ql(33, 'c1', 'sales', 'SIP/1001', 'ATTENDEDTRANSFER', 'BRIDGE', '0e3c-bridge', 3, 30, 1),
      ql(40, 'c2', 'sales', 'NONE', 'ENTERQUEUE', '', '', 1),
      ql(42, 'c2', 'sales', 'SIP/1002', 'CONNECT', 2, 'y', 1),
      ql(52, 'c2', 'sales', 'SIP/1002', 'ATTENDEDTRANSFER', 'LINK', 'SIP/1002-0000000a', 'SIP/2000-0000000b', 2, 10, 1),
      ql(60, 'c3', 'sales', 'NONE', 'ENTERQUEUE', '', '', 1),
      ql(61, 'c3', 'sales', 'SIP/1001', 'CONNECT', 1, 'z', 1),
      ql(71, 'c3', 'sales', 'SIP/1001', 'ATTENDEDTRANSFER', 'APP', 'Voicemail', 1, 10, 1),
    ]);
    expect(stats.damaged).toBe(0);
    expect(events.filter((e) => e.type === 'call.transferred').map((e) => [e.callId, e.at, 'mode' in e ? e.mode : undefined])).toEqual([
      ['c1', ms(33), 'attended'],
      ['c2', ms(52), 'attended'],
      ['c3', ms(71), 'attended'],
    ]);
    expect(reader.adapter.talkByAgent.get('SIP/1002')).toEqual({ sumSec: 10, count: 1 });
    expect(reader.adapter.talkByAgent.get('SIP/1001')).toEqual({ sumSec: 40, count: 2 });
  });

  it('maps the legacy TRANSFER (ext|context|wait|talk[|origposition]) to a transfer with no mode', () => {
    const { events, stats } = read([
      ql(0, 'c1', 'sales', 'NONE', 'ENTERQUEUE', '', '', 1),
      ql(2, 'c1', 'sales', 'SIP/1001', 'CONNECT', 2, 'x', 1),
      ql(22, 'c1', 'sales', 'SIP/1001', 'TRANSFER', '3000', 'from-internal', 2, 20),
    ]);
    expect(stats.damaged).toBe(0);
    expect(shape(events).at(-1)).toEqual({ type: 'call.transferred', at: ms(22), callId: 'c1' });
  });

  it('maps ABANDON, EXITWITHTIMEOUT, EXITEMPTY, EXITWITHKEY and WITHDRAW to call.abandoned', () => {
    const lines: string[] = [];
    const exits: [string, (string | number)[]][] = [
      ['ABANDON', [1, 1, 10]],
      ['EXITWITHTIMEOUT', [1, 1, 10]],
      ['EXITWITHTIMEOUT', [1]], // the one-field variant of the "n" option
      ['EXITEMPTY', [1, 1, 10]],
      ['EXITWITHKEY', ['5', 1, 1, 10]],
      ['EXITWITHKEY', ['5', 1]], // older Asterisk: key|position
      ['WITHDRAW', [1, 1, 10, 'callback requested']], // AMI QueueWithdrawCaller (Asterisk 20)
    ];
    exits.forEach(([verb, data], i) => {
      lines.push(ql(0, `c${i}`, 'sales', 'NONE', 'ENTERQUEUE', '', '', 1));
      lines.push(ql(10, `c${i}`, 'sales', 'NONE', verb, ...data));
    });
    const { events, stats } = read(lines);
    expect(stats).toMatchObject({ read: 14, mapped: 14, damaged: 0 });
    expect(events.filter((e) => e.type === 'call.abandoned').map((e) => e.callId)).toEqual(['c0', 'c1', 'c2', 'c3', 'c4', 'c5', 'c6']);
    expect(engineOf(events).queues.get('sales')?.today.abandoned).toBe(7);
  });

  it('rebuilds a call that began before the file from its data fields', () => {
    const { events } = read([
      ql(100, 'c1', 'sales', 'SIP/1001', 'COMPLETECALLER', 12, 80, 1), // waited 12 s, talked 80 s
      ql(200, 'c2', 'sales', 'NONE', 'ABANDON', 3, 4, 40),
    ]);
    expect(shape(events)).toEqual([
      { type: 'call.queued', at: ms(8), callId: 'c1', queueId: 'sales' },
      { type: 'agent.state', at: ms(20), agentId: 'SIP/1001', state: 'available', queues: ['sales'] },
      { type: 'call.answered', at: ms(20), callId: 'c1', agentId: 'SIP/1001', waitSec: 12 },
      { type: 'call.ended', at: ms(100), callId: 'c1', by: 'caller' },
      { type: 'call.queued', at: ms(160), callId: 'c2', queueId: 'sales' },
      { type: 'call.abandoned', at: ms(200), callId: 'c2', waitSec: 40 },
    ]);
    const s = engineOf(events);
    expect(s.queues.get('sales')?.today).toMatchObject({ offered: 2, answered: 1, abandoned: 1, answeredWaitMs: 12_000 });
  });

  it('keeps one call in time order when a ring would start before its previous event (1-second resolution)', () => {
    const { events } = read([
      ql(10, 'c1', 'sales', 'NONE', 'ENTERQUEUE', '', '', 1),
      // Entered at 10.9 s, rang from 11.0 s, logged at 25 s (really 25.8 s) with 14.8 s of ringing: 10.2 s < 10 s is impossible.
      ql(25, 'c1', 'sales', 'SIP/1001', 'RINGNOANSWER', 15800),
    ]);
    const times = events.filter((e) => 'callId' in e).map((e) => e.at);
    expect(times).toEqual([ms(10), ms(10), ms(25)]);
  });

  it('opens a new leg when a call comes back into a queue after a transfer', () => {
    const { events } = read([
      ql(0, 'c1', 'sales', 'NONE', 'ENTERQUEUE', '', '', 1),
      ql(2, 'c1', 'sales', 'SIP/1001', 'CONNECT', 2, 'x', 1),
      ql(30, 'c1', 'sales', 'SIP/1001', 'BLINDTRANSFER', '600', 'queues', 2, 28, 1),
      ql(31, 'c1', 'support', 'NONE', 'ENTERQUEUE', '', '', 1),
      ql(40, 'c1', 'support', 'SIP/1002', 'CONNECT', 9, 'y', 2),
      ql(100, 'c1', 'support', 'SIP/1002', 'COMPLETECALLER', 9, 60, 1),
    ]);
    expect([...new Set(events.flatMap((e) => ('callId' in e ? [e.callId] : [])))]).toEqual(['c1', 'c1#2']);
    const s = engineOf(events);
    expect(s.queues.get('sales')?.today).toMatchObject({ offered: 1, answered: 1, transferredOut: 1 });
    expect(s.queues.get('support')?.today).toMatchObject({ offered: 1, answered: 1 });
  });

  it('leaves calls open at the end of the file as they are', () => {
    const { events, reader } = read([
      ql(0, 'c1', 'sales', 'NONE', 'ENTERQUEUE', '', '', 1),
      ql(5, 'c2', 'sales', 'NONE', 'ENTERQUEUE', '', '', 1),
      ql(9, 'c2', 'sales', 'SIP/1001', 'CONNECT', 4, 'x', 2),
    ]);
    expect(reader.adapter.openCalls()).toEqual([
      { callId: 'c1', queueId: 'sales' },
      { callId: 'c2', queueId: 'sales', agentId: 'SIP/1001' },
    ]);
    const s = engineOf(events);
    expect([...s.liveCalls].sort()).toEqual(['c1', 'c2']);
    expect(s.calls.get('c2')?.status).toBe('talking');
  });

  it('closes calls left open by a restart at QUEUESTART as lost, at the last line before it, and otherwise skips it', () => {
    const { events, stats } = read([
      ql(0, 'NONE', 'NONE', 'NONE', 'QUEUESTART', ''),
      ql(10, 'c1', 'sales', 'NONE', 'ENTERQUEUE', '', '', 1),
      ql(12, 'c2', 'sales', 'NONE', 'ENTERQUEUE', '', '', 1),
      ql(14, 'c2', 'sales', 'SIP/1001', 'CONNECT', 2, 'x', 1),
      ql(90, 'NONE', 'sales', 'SIP/1002', 'PAUSE', 'lunch'), // Asterisk still running at 90 s
      ql(500, 'NONE', 'NONE', 'NONE', 'QUEUESTART', ''),
    ]);
    expect(stats).toMatchObject({ read: 6, mapped: 5, skipped: 1 });
    const reason = 'Asterisk restarted (QUEUESTART) while the call was open';
    expect(shape(events.slice(-2))).toEqual([
      { type: 'call.lost', at: ms(90), callId: 'c1', reason },
      { type: 'call.lost', at: ms(90), callId: 'c2', reason },
    ]);
  });
});

describe('queue_log adapter memory', () => {
  it('forgets the oldest finished calls beyond its bound, never an open one', () => {
    const adapter = new QueueLogAdapter();
    const rec = (dt: number, callId: string, verb: string, ...data: string[]): QueueLogRecord => {
      const raw = ql(dt, callId, 'sales', 'NONE', verb, ...data);
      return { raw, hash: hashText(raw), atMs: ms(dt), callId, queue: 'sales', agent: 'NONE', verb, data, cut: false, where: 't' };
    };
    const callIdOf = (r: ReturnType<QueueLogAdapter['feed']>) => (r.kind === 'events' ? (r.events[0] as { callId: string }).callId : r.kind);
    adapter.feed(rec(0, 'open-1', 'ENTERQUEUE', '', '', '1'));
    const n = Math.ceil(FINISHED_CALLS_KEPT * 1.1) + 10;
    for (let i = 0; i < n; i++) {
      adapter.feed(rec(1, `c${i}`, 'ENTERQUEUE', '', '', '1'));
      adapter.feed(rec(2, `c${i}`, 'ABANDON', '1', '1', '1'));
    }
    expect(adapter.openCalls()).toEqual([{ callId: 'open-1', queueId: 'sales' }]);
    // A recent call that comes back is its second leg; one long forgotten starts afresh.
    expect(callIdOf(adapter.feed(rec(3, `c${n - 1}`, 'ENTERQUEUE', '', '', '1')))).toBe(`c${n - 1}#2`);
    expect(callIdOf(adapter.feed(rec(3, 'c0', 'ENTERQUEUE', '', '', '1')))).toBe('c0');
  });
});

describe('queue_log agent verbs', () => {
  it('maps membership, pause and login lines to agent.state', () => {
    const { events, stats } = read([
      ql(0, 'NONE', 'sales', 'SIP/1001', 'ADDMEMBER', ''),
      ql(1, 'NONE', 'support', 'SIP/1001', 'ADDMEMBER', ''),
      ql(2, 'NONE', 'sales', 'SIP/1001', 'PAUSE', 'Lunch'),
      ql(3, 'NONE', 'sales', 'SIP/1001', 'UNPAUSE', ''),
      ql(4, 'NONE', 'NONE', 'SIP/1001', 'PAUSEALL', ''),
      ql(5, 'NONE', 'NONE', 'SIP/1001', 'UNPAUSEALL', ''),
      ql(6, 'NONE', 'sales', 'SIP/1001', 'REMOVEMEMBER', ''),
      ql(7, 'NONE', 'support', 'SIP/1001', 'REMOVEMEMBER', ''),
      ql(8, '1795510808.3', 'NONE', 'Agent/1004', 'AGENTLOGIN', 'SIP/1004-00000003'),
      ql(9, 'NONE', 'NONE', 'Agent/1004', 'AGENTLOGOFF', 'SIP/1004-00000003', 1),
    ]);
    expect(stats).toMatchObject({ read: 10, mapped: 10 });
    expect(shape(events)).toEqual([
      { type: 'agent.state', at: ms(0), agentId: 'SIP/1001', state: 'available', queues: ['sales'] },
      { type: 'agent.state', at: ms(1), agentId: 'SIP/1001', state: 'available', queues: ['sales', 'support'] },
      { type: 'agent.state', at: ms(2), agentId: 'SIP/1001', state: 'away', reason: 'lunch' },
      { type: 'agent.state', at: ms(3), agentId: 'SIP/1001', state: 'available' },
      { type: 'agent.state', at: ms(4), agentId: 'SIP/1001', state: 'away' },
      { type: 'agent.state', at: ms(5), agentId: 'SIP/1001', state: 'available' },
      { type: 'agent.state', at: ms(6), agentId: 'SIP/1001', state: 'available', queues: ['support'] },
      { type: 'agent.state', at: ms(7), agentId: 'SIP/1001', state: 'offline', queues: [] },
      { type: 'agent.state', at: ms(8), agentId: 'Agent/1004', state: 'available' },
      { type: 'agent.state', at: ms(9), agentId: 'Agent/1004', state: 'offline' },
    ]);
  });

  it('normalises agent fields: Local dial options and channel suffixes go, technologies stay', () => {
    expect(normalizeAgent('Local/1001@from-queue/n')).toBe('Local/1001@from-queue');
    expect(normalizeAgent('Local/1001@from-queue/nj')).toBe('Local/1001@from-queue');
    expect(normalizeAgent('Local/1001@from-queue')).toBe('Local/1001@from-queue');
    expect(normalizeAgent('Local/1001@from-queue-0000002b;1')).toBe('Local/1001@from-queue');
    expect(normalizeAgent('SIP/1001-0000002a')).toBe('SIP/1001');
    expect(normalizeAgent('PJSIP/1001')).toBe('PJSIP/1001');
    expect(normalizeAgent('Agent/1001')).toBe('Agent/1001');
    expect(normalizeAgent(' Ann Lee ')).toBe('Ann Lee');
    expect(normalizeAgent('NONE')).toBeUndefined();
    expect(normalizeAgent('')).toBeUndefined();
    // The same member written two ways in one file is one agent.
    const { events } = read([
      ql(0, 'NONE', 'sales', 'Local/1001@from-queue/n', 'ADDMEMBER', ''),
      ql(1, 'c1', 'sales', 'NONE', 'ENTERQUEUE', '', '', 1),
      ql(3, 'c1', 'sales', 'Local/1001@from-queue', 'CONNECT', 2, 'x', 2),
    ]);
    expect(new Set(events.flatMap((e) => ('agentId' in e && e.agentId ? [e.agentId] : [])))).toEqual(new Set(['Local/1001@from-queue']));
  });
});

describe('messy queue_log', () => {
  it('skips informational and custom verbs and counts them', () => {
    const { events, stats } = read([
      ql(0, 'NONE', 'NONE', 'NONE', 'QUEUESTART', ''),
      ql(1, 'NONE', 'NONE', 'NONE', 'CONFIGRELOAD', ''),
      ql(2, 'c1', 'sales', 'NONE', 'DID', '5551000'),
      ql(3, 'c1', 'sales', 'NONE', 'INFO', 'anything'),
      ql(4, 'c1', 'sales', 'NONE', 'CustomRating', '5'),
    ]);
    expect(events).toEqual([]);
    expect(stats).toMatchObject({ read: 5, mapped: 0, skipped: 5, damaged: 0 });
  });

  it('counts damaged lines with a reason and goes on', () => {
    const { events, stats, reader } = read([
      'garbage',
      '',
      '1795510800|c1|sales',
      'yesterday|c1|sales|NONE|ENTERQUEUE||555|1',
      ql(1, 'c1', 'sales', 'NONE', 'ENTER QUEUE', '', '', 1),
      ql(2, 'c1', 'sales', 'SIP/1001', 'RINGNOANSWER', 'soon'),
      ql(3, 'c1', 'sales', 'NONE', 'RINGNOANSWER', 1000),
      ql(4, 'NONE', 'sales', 'NONE', 'ENTERQUEUE', '', '', 1),
      ql(5, 'c1', 'NONE', 'NONE', 'ENTERQUEUE', '', '', 1),
      ql(6, 'c9', 'sales', 'SIP/1001', 'ATTENDEDTRANSFER', 'TELEPORT', 'x', 1, 2, 1),
      ql(7, 'c8', 'sales', 'NONE', 'COMPLETECALLER', 1, 2, 1),
      ql(8, 'c2', 'sales', 'NONE', 'ENTERQUEUE', '', '', 1),
    ]);
    expect(stats).toMatchObject({ read: 11, mapped: 1, skipped: 0, damaged: 10 });
    expect(stats.damagedSamples.map((d) => d.reason)).toEqual([
      'no field separator',
      '3 fields, a record has at least 5',
      'time "yesterday" is not epoch seconds or a date',
      'verb "ENTER QUEUE" is not a word',
      'RINGNOANSWER: ring time (ms) "soon" is not a whole number',
      'RINGNOANSWER: no agent',
      'ENTERQUEUE: a call record without a call id',
      'ENTERQUEUE: a call record without a queue',
      'ATTENDEDTRANSFER: unknown transfer method "TELEPORT"',
      'COMPLETECALLER: no agent, and no CONNECT before it',
    ]);
    expect(stats.damagedSamples[0].where).toBe('test:1');
    expect(events.map((e) => e.type)).toEqual(['call.queued']);
    // Damaged records leave no half-built call behind.
    expect(reader.adapter.openCalls()).toEqual([{ callId: 'c2', queueId: 'sales' }]);
  });

  it('splits a line at NUL bytes: the cut-short text before them is damaged, the record after them is read', () => {
    const nul = '\u0000'.repeat(37);
    const { events, stats } = read([
      ql(0, 'c1', 'sales', 'NONE', 'ENTERQUEUE', '', '555', 1),
      // A crash lost the end of this CONNECT; after the restart a new line was appended.
      `${ql(9, 'c1', 'sales', 'SIP/1001', 'CONNECT', 9)}|17955${nul}${ql(100, 'NONE', 'sales', 'SIP/1002', 'ADDMEMBER', '')}`,
      // A complete record followed by padding is kept.
      `${ql(101, 'c2', 'sales', 'NONE', 'ENTERQUEUE', '', '777', 2)}${nul}`,
      // A whole block of NULs.
      nul,
      // NULs in the middle of a record cut it in two damaged halves.
      `${B + 102}|c3|sa${nul}les|NONE|ENTERQUEUE||888|1`,
    ]);
    expect(stats).toMatchObject({ read: 7, mapped: 3, damaged: 4 });
    expect(stats.damagedSamples.map((d) => d.reason)).toEqual([
      'CONNECT: cut short by NUL bytes (2 of 3 data fields)',
      'only NUL bytes (a block lost in a crash)',
      '3 fields, a record has at least 5',
      'time "les" is not epoch seconds or a date',
    ]);
    expect(shape(events)).toEqual([
      { type: 'call.queued', at: ms(0), callId: 'c1', queueId: 'sales', caller: '555' },
      // The cut CONNECT is damaged, and what happened to c1 at 9 s is unknown: closed as lost then.
      { type: 'call.lost', at: ms(9), callId: 'c1', reason: 'its queue_log record was cut short by NUL bytes: what happened then is unknown' },
      { type: 'agent.state', at: ms(100), agentId: 'SIP/1002', state: 'available', queues: ['sales'] },
      { type: 'call.queued', at: ms(101), callId: 'c2', queueId: 'sales', caller: '777' },
    ]);
  });

  it('gives the same ids to the same lines, and drops a line repeated later in the same read', () => {
    const lines = [
      ql(0, 'c1', 'sales', 'NONE', 'ENTERQUEUE', '', '555', 1),
      ql(20, 'c1', 'sales', 'SIP/1001', 'RINGNOANSWER', 15000),
      ql(25, 'c1', 'sales', 'SIP/1002', 'CONNECT', 25, 'x', 3),
    ];
    const a = read(lines).events.map((e) => e.id);
    const b = read(lines).events.map((e) => e.id);
    expect(a).toEqual(b);
    expect(new Set(a).size).toBe(a.length);
    expect(a[0]).toMatch(/^ql:1795510800:c1:ENTERQUEUE:[0-9a-f]{12}$/);
    expect(a.every((id) => id.length <= 128)).toBe(true);
    const twice = read([...lines, lines[2]]);
    expect(twice.events.map((e) => e.id)).toEqual(a);
    expect(twice.stats.reasons['exact repeat of an earlier record']).toBe(1);
  });
});

describe('database exports of queue_log', () => {
  it('reads the realtime table as psql prints it: header, border, local times, data1..data5', () => {
    const { events, stats } = read(
      [
        '           time            |     callid      | queuename |   agent    |    event    | data1 |  data2  | data3 | data4 | data5',
        '---------------------------+-----------------+-----------+------------+-------------+-------+---------+-------+-------+-------',
        ' 2026-11-24 10:00:00.250000 | 1795510800.1    | sales     | NONE       | ENTERQUEUE  |       | 5550100 | 1     |       |',
        ' 2026-11-24 10:00:12.000000 | 1795510800.1    | sales     | SIP/1001   | CONNECT     | 12    | 1795510807.2 | 5 |       |',
        '(2 rows)',
      ],
      'Europe/Berlin',
    );
    expect(stats).toMatchObject({ read: 5, mapped: 2, skipped: 3, damaged: 0 });
    expect(shape(events)).toEqual([
      { type: 'call.queued', at: ms(0) + 250, callId: '1795510800.1', queueId: 'sales', caller: '5550100' },
      { type: 'agent.state', at: ms(7), agentId: 'SIP/1001', state: 'available', queues: ['sales'] },
      { type: 'call.ringing', at: ms(7), callId: '1795510800.1', agentId: 'SIP/1001' },
      // The wait as Asterisk measured it (12 s), not the times' 11.75 s.
      { type: 'call.answered', at: ms(12), callId: '1795510800.1', agentId: 'SIP/1001', waitSec: 12 },
    ]);
  });

  it('reads CSV and tab-separated exports with an id column and a single pipe-joined data column', () => {
    const csv = read(['id,time,callid,queuename,agent,event,data', '7,"2026-11-24 09:00:00",c1,sales,NONE,ENTERQUEUE,"|555|1"', '8,"2026-11-24 09:00:30",c1,sales,SIP/1001,CONNECT,"30|x|4"']);
    expect(csv.stats).toMatchObject({ mapped: 2, damaged: 0 });
    expect(csv.events.find((e) => e.type === 'call.ringing')?.at).toBe(ms(26));
    const tsv = read([`12\t${B}\tc1\tsales\tNONE\tENTERQUEUE\t\\N\t555\t1`, `13\t${B + 5}\tc1\tsales\tNONE\tABANDON\t1\t1\t5`]);
    expect(tsv.stats).toMatchObject({ mapped: 2, damaged: 0 });
    expect(shape(tsv.events)).toEqual([
      { type: 'call.queued', at: ms(0), callId: 'c1', queueId: 'sales', caller: '555' },
      { type: 'call.abandoned', at: ms(5), callId: 'c1', waitSec: 5 },
    ]);
  });

  it('reads times as epoch seconds or as dates in the given zone, and rejects impossible ones', () => {
    expect(parseTime('1795510800', 'UTC')).toBe(ms(0));
    expect(parseTime('1795510800.5', 'UTC')).toBe(ms(0) + 500);
    expect(parseTime('2026-11-24 09:00:00', 'UTC')).toBe(ms(0));
    expect(parseTime('2026-11-24 10:00:00', 'Europe/Berlin')).toBe(ms(0));
    expect(parseTime('2026-11-24T11:00:00+02:00', 'UTC')).toBe(ms(0));
    expect(parseTime('2026-02-30 09:00:00', 'UTC')).toBeUndefined();
    expect(parseTime('12', 'UTC')).toBeUndefined();
  });
});
