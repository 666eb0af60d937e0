/**
 * Parallel rings and lost ends on the Asterisk side: the exact feed events the
 * queue_log and AMI adapters make of calls that ring several members at once,
 * of rings cut off, and of calls whose end was lost while nobody listened.
 * What the engine makes of them is in asterisk-e2e.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { AmiAdapter } from '../../server/ami/adapter.ts';
import type { AmiMessage } from '../../server/ami/parse.ts';
import { QueueLogReader } from '../../server/queuelog/reader.ts';
import type { FloorEvent, FloorEventInput } from '../../shared/events.ts';
import { ami, B, called, caller, complete, connect, dialEnd, hangup, join, M200, M201, M202, ms, Q, rna, shape, UID } from './asterisk-fixtures.ts';

const noAgentState = (events: (FloorEvent | FloorEventInput)[]) => events.filter((e) => e.type !== 'agent.state');

// ------------------------------------------------------------ queue_log

function readLog(lines: string[]) {
  const reader = new QueueLogReader({ timeZone: 'UTC', name: 'test' });
  const events: FloorEvent[] = [];
  for (const l of lines) events.push(...reader.line(l));
  return { reader, events };
}

const ql = (dt: number, rest: string) => `${B + dt}|${rest}`;

describe('queue_log: several members rung at once', () => {
  it("gives each member's RINGNOANSWER written in the same second its own ring: the issue's ringall example", () => {
    const { events } = readLog([
      '1795510800|X|support|NONE|ENTERQUEUE||5550111|1',
      '1795510830|X|support|EXT-200|RINGNOANSWER|30000',
      '1795510830|X|support|EXT-201|RINGNOANSWER|30000',
      '1795510840|X|support|NONE|ABANDON|1|1|40',
    ]);
    expect(shape(events)).toEqual([
      { type: 'call.queued', at: ms(0), callId: 'X', queueId: 'support', caller: '5550111' },
      { type: 'agent.state', at: ms(0), agentId: 'EXT-200', state: 'available', queues: ['support'] },
      { type: 'call.ringing', at: ms(0), callId: 'X', agentId: 'EXT-200' },
      { type: 'call.ring-ended', at: ms(30), callId: 'X', agentId: 'EXT-200', outcome: 'no-answer' },
      { type: 'agent.state', at: ms(0), agentId: 'EXT-201', state: 'available', queues: ['support'] },
      { type: 'call.ringing', at: ms(0), callId: 'X', agentId: 'EXT-201' },
      { type: 'call.ring-ended', at: ms(30), callId: 'X', agentId: 'EXT-201', outcome: 'no-answer' },
      { type: 'call.abandoned', at: ms(40), callId: 'X', waitSec: 40 },
    ]);
    // No call.queued back into the queue: that would end every open ring as a no-answer.
    expect(events.filter((e) => e.type === 'call.queued')).toHaveLength(1);
  });

  it('shows only the answering member when three ring at once: app_queue writes no line for the phones it hangs up at the answer', () => {
    const { events } = readLog([
      ql(0, 'c1|sales|NONE|ENTERQUEUE||555|1'),
      ql(2, 'c1|sales|EXT-200|RINGNOANSWER|0'), // busy at once (rna() in whole seconds)
      ql(12, 'c1|sales|EXT-202|CONNECT|12|1795510802.5|10'),
      ql(72, 'c1|sales|EXT-202|COMPLETEAGENT|12|60|1'),
    ]);
    expect(shape(noAgentState(events))).toEqual([
      { type: 'call.queued', at: ms(0), callId: 'c1', queueId: 'sales', caller: '555' },
      { type: 'call.ringing', at: ms(2), callId: 'c1', agentId: 'EXT-200' },
      { type: 'call.ring-ended', at: ms(2), callId: 'c1', agentId: 'EXT-200', outcome: 'no-answer' },
      { type: 'call.ringing', at: ms(2), callId: 'c1', agentId: 'EXT-202' },
      { type: 'call.answered', at: ms(12), callId: 'c1', agentId: 'EXT-202', waitSec: 12 },
      { type: 'call.ended', at: ms(72), callId: 'c1', by: 'agent' },
    ]);
  });

  it("ends one member's ring as a no-answer, then answers with the next member's ring", () => {
    const { events } = readLog([
      ql(0, 'c1|sales|NONE|ENTERQUEUE||555|1'),
      ql(15, 'c1|sales|EXT-200|RINGNOANSWER|15000'),
      ql(24, 'c1|sales|EXT-201|CONNECT|24|1795510820.3|4'),
    ]);
    expect(shape(noAgentState(events))).toEqual([
      { type: 'call.queued', at: ms(0), callId: 'c1', queueId: 'sales', caller: '555' },
      { type: 'call.ringing', at: ms(0), callId: 'c1', agentId: 'EXT-200' },
      { type: 'call.ring-ended', at: ms(15), callId: 'c1', agentId: 'EXT-200', outcome: 'no-answer' },
      { type: 'call.ringing', at: ms(20), callId: 'c1', agentId: 'EXT-201' },
      { type: 'call.answered', at: ms(24), callId: 'c1', agentId: 'EXT-201', waitSec: 24 },
    ]);
  });

  it('ends both rings as cancelled when the caller hangs up while two phones ring (RINGCANCELED), then abandons', () => {
    const { events } = readLog([
      ql(0, 'c1|sales|NONE|ENTERQUEUE||555|1'),
      ql(14, 'c1|sales|EXT-200|RINGCANCELED|12000'),
      ql(14, 'c1|sales|EXT-201|RINGCANCELED|12000'),
      ql(14, 'c1|sales|NONE|ABANDON|1|1|14'),
    ]);
    expect(shape(noAgentState(events))).toEqual([
      { type: 'call.queued', at: ms(0), callId: 'c1', queueId: 'sales', caller: '555' },
      { type: 'call.ringing', at: ms(2), callId: 'c1', agentId: 'EXT-200' },
      { type: 'call.ring-ended', at: ms(14), callId: 'c1', agentId: 'EXT-200', outcome: 'canceled' },
      { type: 'call.ringing', at: ms(2), callId: 'c1', agentId: 'EXT-201' },
      { type: 'call.ring-ended', at: ms(14), callId: 'c1', agentId: 'EXT-201', outcome: 'canceled' },
      { type: 'call.abandoned', at: ms(14), callId: 'c1', waitSec: 14 },
    ]);
  });

  it("never starts a member's ring before their previous ring of the same call ended, nor before the call entered", () => {
    const { events } = readLog([
      ql(10, 'c1|sales|NONE|ENTERQUEUE||555|1'),
      ql(25, 'c1|sales|EXT-200|RINGNOANSWER|15800'), // 9.2 s is before the entry at 10 s (whole-second log)
      ql(40, 'c1|sales|EXT-200|RINGNOANSWER|15800'), // 24.2 s is before that ring's end at 25 s
    ]);
    expect(events.filter((e) => e.type === 'call.ringing').map((e) => e.at)).toEqual([ms(10), ms(25)]);
  });

  it('keeps each ring in time order once the events are sorted as the report and replay do', () => {
    const { events } = readLog([
      '1795510800|X|support|NONE|ENTERQUEUE||5550111|1',
      '1795510830|X|support|EXT-200|RINGNOANSWER|30000',
      '1795510830|X|support|EXT-201|RINGNOANSWER|30000',
    ]);
    const sorted = [...events].filter((e) => e.type !== 'agent.state').sort((a, b) => a.at - b.at);
    expect(sorted.map((e) => [e.type, 'agentId' in e ? e.agentId : undefined])).toEqual([
      ['call.queued', undefined],
      ['call.ringing', 'EXT-200'],
      ['call.ringing', 'EXT-201'],
      ['call.ring-ended', 'EXT-200'],
      ['call.ring-ended', 'EXT-201'],
    ]);
  });
});

describe('queue_log: ends lost to a restart', () => {
  it('closes calls still open at QUEUESTART as lost, not abandoned, at the last line Asterisk wrote before it', () => {
    const { events, reader } = readLog([
      ql(0, 'c1|sales|NONE|ENTERQUEUE||555|1'),
      ql(5, 'c2|sales|NONE|ENTERQUEUE||556|1'),
      ql(9, 'c2|sales|EXT-200|CONNECT|4|1795510805.2|3'),
      ql(30, 'c3|sales|NONE|ENTERQUEUE||557|1'),
      ql(31, 'c3|sales|NONE|ABANDON|1|1|1'),
      ql(3600, 'NONE|NONE|NONE|QUEUESTART|'),
    ]);
    const reason = 'Asterisk restarted (QUEUESTART) while the call was open';
    expect(shape(events.slice(-2))).toEqual([
      { type: 'call.lost', at: ms(31), callId: 'c1', reason },
      { type: 'call.lost', at: ms(31), callId: 'c2', reason },
    ]);
    expect(events.some((e) => e.type === 'call.abandoned' && e.callId !== 'c3')).toBe(false);
    expect(reader.adapter.openCalls()).toEqual([]);
  });
});

// ------------------------------------------------------------ AMI

function runAmi(msgs: AmiMessage[], adapter = new AmiAdapter()) {
  const events: FloorEventInput[] = [];
  const skipped: string[] = [];
  for (const m of msgs) {
    const r = adapter.feed(m, ms(100_000));
    if (r.kind === 'events') events.push(...r.events);
    else skipped.push(r.reason);
  }
  return { adapter, events, skipped };
}

describe('AMI: several members rung at once', () => {
  it("gives each member AgentCalled their own ring and cancels the other's at the answer: the issue's ringall example", () => {
    const { events, skipped } = runAmi([join(0), called(1, M200), called(1, M201), connect(9, M201, 9, 8), complete(69, M201, 9, 60)]);
    expect(skipped).toEqual([]);
    expect(shape(events)).toEqual([
      { type: 'call.queued', at: ms(0), callId: UID, queueId: 'support', caller: '5550111' },
      { type: 'agent.state', at: ms(1), agentId: 'EXT-200', state: 'available', queues: ['support'] },
      { type: 'call.ringing', at: ms(1), callId: UID, agentId: 'EXT-200' },
      { type: 'agent.state', at: ms(1), agentId: 'EXT-201', state: 'available', queues: ['support'] },
      { type: 'call.ringing', at: ms(1), callId: UID, agentId: 'EXT-201' },
      { type: 'call.ring-ended', at: ms(9), callId: UID, agentId: 'EXT-200', outcome: 'canceled' },
      { type: 'call.answered', at: ms(9), callId: UID, agentId: 'EXT-201' },
      { type: 'call.ended', at: ms(69), callId: UID, by: 'agent' },
    ]);
  });

  it('cancels the two other rings when one of three members rung at once answers', () => {
    const { events } = runAmi([join(0), called(1, M200), called(1, M201), called(1, M202), connect(7, M202, 7, 6)]);
    expect(shape(noAgentState(events)).slice(4)).toEqual([
      { type: 'call.ring-ended', at: ms(7), callId: UID, agentId: 'EXT-200', outcome: 'canceled' },
      { type: 'call.ring-ended', at: ms(7), callId: UID, agentId: 'EXT-201', outcome: 'canceled' },
      { type: 'call.answered', at: ms(7), callId: UID, agentId: 'EXT-202' },
    ]);
  });

  it("ends a ring at the DialEnd CANCEL app_queue sends as it hangs up the others' phones, before AgentConnect", () => {
    const { events, skipped } = runAmi([join(0), called(1, M200), called(1, M201), called(1, M202), dialEnd(6.9, M202, 'ANSWER'), dialEnd(7, M200, 'CANCEL'), dialEnd(7, M201, 'CANCEL'), connect(7.1, M202, 7, 6)]);
    expect(shape(noAgentState(events)).slice(4)).toEqual([
      { type: 'call.ring-ended', at: ms(7), callId: UID, agentId: 'EXT-200', outcome: 'canceled' },
      { type: 'call.ring-ended', at: ms(7), callId: UID, agentId: 'EXT-201', outcome: 'canceled' },
      { type: 'call.answered', at: ms(7.1), callId: UID, agentId: 'EXT-202' },
    ]);
    expect(skipped).toEqual(['DialEnd other than CANCEL']);
  });

  it("ends one member's ring at their AgentRingNoAnswer, then answers with the next member's ring", () => {
    const { events } = runAmi([join(0), called(1, M200), rna(16, M200, 15_000), called(21, M201), connect(25, M201, 25, 4)]);
    expect(shape(noAgentState(events))).toEqual([
      { type: 'call.queued', at: ms(0), callId: UID, queueId: 'support', caller: '5550111' },
      { type: 'call.ringing', at: ms(1), callId: UID, agentId: 'EXT-200' },
      { type: 'call.ring-ended', at: ms(16), callId: UID, agentId: 'EXT-200', outcome: 'no-answer' },
      { type: 'call.ringing', at: ms(21), callId: UID, agentId: 'EXT-201' },
      { type: 'call.answered', at: ms(25), callId: UID, agentId: 'EXT-201' },
    ]);
  });

  it('ends only the member whose ring timed out when several ring at once, the others ringing on', () => {
    const { events, adapter } = runAmi([join(0), called(1, M200), called(1, M201), rna(6, M200, 5_000)]);
    expect(shape(events.slice(-1))).toEqual([{ type: 'call.ring-ended', at: ms(6), callId: UID, agentId: 'EXT-200', outcome: 'no-answer' }]);
    expect(adapter.openCalls()[0]).toMatchObject({ status: 'ringing' });
  });

  it('back-dates each ring not seen starting on its own, even when AgentRingNoAnswer of both comes at once', () => {
    const { events } = runAmi([join(0), rna(30, M200, 30_000), rna(30, M201, 30_000)]);
    expect(events.filter((e) => e.type === 'call.ringing').map((e) => [(e as { agentId: string }).agentId, e.at])).toEqual([
      ['EXT-200', ms(0)],
      ['EXT-201', ms(0)],
    ]);
  });

  it('cancels every open ring when the caller abandons while two phones ring', () => {
    const { events, skipped } = runAmi([join(0), called(1, M200), called(1, M201), ami('QueueCallerAbandon', 12, { ...caller(), ...Q, Position: 1, OriginalPosition: 1, HoldTime: 12 }), hangup(12.1)]);
    expect(shape(noAgentState(events)).slice(3)).toEqual([
      { type: 'call.ring-ended', at: ms(12), callId: UID, agentId: 'EXT-200', outcome: 'canceled' },
      { type: 'call.ring-ended', at: ms(12), callId: UID, agentId: 'EXT-201', outcome: 'canceled' },
      { type: 'call.abandoned', at: ms(12), callId: UID },
    ]);
    expect(skipped).toEqual(['Hangup after the call was finished']);
  });

  it('cancels every open ring when the caller channel hangs up while two phones ring', () => {
    const { events } = runAmi([join(0), called(1, M200), called(1, M201), hangup(12)]);
    expect(shape(noAgentState(events)).slice(3)).toEqual([
      { type: 'call.ring-ended', at: ms(12), callId: UID, agentId: 'EXT-200', outcome: 'canceled' },
      { type: 'call.ring-ended', at: ms(12), callId: UID, agentId: 'EXT-201', outcome: 'canceled' },
      { type: 'call.abandoned', at: ms(12), callId: UID },
    ]);
  });

  it('takes a caller leaving with a key while phones ring as rings cancelled (DialEnd CANCEL), then leaving unanswered', () => {
    const { events } = runAmi([join(0), called(1, M200), called(1, M201), dialEnd(8, M200, 'CANCEL'), dialEnd(8, M201, 'CANCEL'), ami('QueueCallerLeave', 8.1, { ...caller(), ...Q, Count: 0, Position: 1 })]);
    expect(shape(noAgentState(events)).slice(3)).toEqual([
      { type: 'call.ring-ended', at: ms(8), callId: UID, agentId: 'EXT-200', outcome: 'canceled' },
      { type: 'call.ring-ended', at: ms(8), callId: UID, agentId: 'EXT-201', outcome: 'canceled' },
      { type: 'call.abandoned', at: ms(8.1), callId: UID },
    ]);
  });

  it('gives every ring event a distinct id within 128 characters, the same on a second run', () => {
    const msgs = () => [join(0), called(1, M200), called(1, M201), called(1, M202), rna(6, M200, 5000), connect(9, M201, 9, 8), complete(69, M201, 9, 60)];
    const a = runAmi(msgs()).events.map((e) => e.id);
    expect(new Set(a).size).toBe(a.length);
    expect(runAmi(msgs()).events.map((e) => e.id)).toEqual(a);
    for (const id of a) expect(id.length).toBeLessThanOrEqual(128);
  });
});

describe('AMI: ends lost while the link was down', () => {
  it("closes as lost, at the last event seen, a caller QueueStatus no longer lists, and back-dates the answer from AgentComplete on the same call id: the issue's example", () => {
    const adapter = new AmiAdapter();
    runAmi([join(0)], adapter);
    // The link drops after 09:00:00; reconnect at 09:01; QueueStatus: nobody waiting, the member in a call.
    const lostAt = adapter.lastEventAtMs;
    const waitingBefore = new Map(adapter.openCalls().map((c) => [c.uid, c.callId]));
    const statusList = runAmi([ami('QueueMember', undefined, { Queue: 'support', Name: 'EXT-201', Location: 'PJSIP/EXT-201', Status: 2, InCall: 1, Paused: 0 })], adapter);
    const lost = adapter.reconcileQueues(waitingBefore, new Set(), ms(60), lostAt);
    expect(shape(lost)).toEqual([{ type: 'call.lost', at: ms(0), callId: UID, reason: 'caller no longer in its queue after an AMI reconnect' }]);
    expect(statusList.events.map((e) => e.type)).toEqual(['agent.state']);
    expect(adapter.openCalls()).toEqual([]);
    // AgentComplete at 09:06:10: waited 10 s, talked 360 s, so answered at 09:00:10.
    const { events } = runAmi([complete(370, M201, 10, 360, 'caller')], adapter);
    expect(shape(events)).toEqual([
      { type: 'call.answered', at: ms(10), callId: UID, agentId: 'EXT-201' },
      { type: 'call.ended', at: ms(370), callId: UID, by: 'caller' },
    ]);
  });

  it('takes the reconcile time as the best known when no event was seen before the reconnect', () => {
    const adapter = new AmiAdapter();
    adapter.resume([{ callId: UID, queueId: 'support', status: 'queued', queuedAtMs: ms(0), timeline: [{ atMs: ms(0) }] }], ms(50));
    const lost = adapter.reconcileQueues(new Map([[UID, UID]]), new Set(), ms(60), adapter.lastEventAtMs);
    expect(shape(lost)).toEqual([{ type: 'call.lost', at: ms(60), callId: UID, reason: 'caller no longer in its queue after an AMI reconnect' }]);
    // The correction keeps its true time: the resumed call's own last event, not the reconcile, bounds it.
    expect(shape(noAgentState(runAmi([complete(100, M200, 5, 95)], adapter).events))[0]).toEqual({ type: 'call.answered', at: ms(5), callId: UID, agentId: 'EXT-200' });
  });

  it('keeps the waiting caller QueueStatus still lists and closes the other as lost, its open ring cancelled first', () => {
    const adapter = new AmiAdapter();
    const other = '1795510803.7';
    runAmi([join(0), join(3, other), called(4, M200, other)], adapter);
    const waitingBefore = new Map(adapter.openCalls().map((c) => [c.uid, c.callId]));
    const lost = adapter.reconcileQueues(waitingBefore, new Set([UID]), ms(60), adapter.lastEventAtMs);
    expect(shape(lost)).toEqual([
      { type: 'call.ring-ended', at: ms(4), callId: other, agentId: 'EXT-200', outcome: 'canceled' },
      { type: 'call.lost', at: ms(4), callId: other, reason: 'caller no longer in its queue after an AMI reconnect' },
    ]);
    expect(adapter.openCalls().map((c) => [c.uid, c.status])).toEqual([[UID, 'waiting']]);
    // The same reconcile again changes nothing; a QueueEntry for the listed caller is not a new offer.
    expect(adapter.reconcileQueues(waitingBefore, new Set([UID]), ms(61), ms(4))).toEqual([]);
    expect(runAmi([ami('QueueEntry', undefined, { ...caller(), ...Q, Position: 1, Wait: 60 })], adapter).skipped).toEqual(['QueueEntry for a call we follow']);
  });

  it('leaves alone a caller answered since the QueueStatus list was asked for', () => {
    const adapter = new AmiAdapter();
    runAmi([join(0)], adapter);
    const waitingBefore = new Map(adapter.openCalls().map((c) => [c.uid, c.callId]));
    runAmi([connect(62, M200, 62, 3)], adapter); // a live event between the request and the list's end
    expect(adapter.reconcileQueues(waitingBefore, new Set(), ms(63), ms(0))).toEqual([]);
  });

  it('continues a lost call on the same call id when AgentConnect and AgentComplete follow, and starts a new leg at a new QueueCallerJoin', () => {
    const adapter = new AmiAdapter();
    runAmi([join(0)], adapter);
    adapter.reconcileQueues(new Map([[UID, UID]]), new Set(), ms(60), ms(0));
    const late = runAmi([connect(61, M201, 61, 2), complete(120, M201, 61, 59)], adapter);
    expect(shape(noAgentState(late.events))).toEqual([
      { type: 'call.ringing', at: ms(59), callId: UID, agentId: 'EXT-201' },
      { type: 'call.answered', at: ms(61), callId: UID, agentId: 'EXT-201' },
      { type: 'call.ended', at: ms(120), callId: UID, by: 'agent' },
    ]);
    const again = new AmiAdapter();
    runAmi([join(0)], again);
    again.reconcileQueues(new Map([[UID, UID]]), new Set(), ms(60), ms(0));
    expect(runAmi([join(200)], again).events[0]).toMatchObject({ type: 'call.queued', callId: `${UID}#2` });
  });

  it("does not reopen a lost call for its caller's Hangup, but still takes the AgentComplete after it", () => {
    const adapter = new AmiAdapter();
    runAmi([join(0)], adapter);
    adapter.reconcileQueues(new Map([[UID, UID]]), new Set(), ms(60), ms(0));
    const { events, skipped } = runAmi([hangup(130), complete(130.2, M200, 10, 120, 'caller')], adapter);
    expect(skipped).toEqual(['Hangup of a call closed as lost']);
    expect(shape(noAgentState(events))).toEqual([
      { type: 'call.answered', at: ms(10.2), callId: UID, agentId: 'EXT-200' },
      { type: 'call.ended', at: ms(130.2), callId: UID, by: 'caller' },
    ]);
  });

  it('closes as lost a connected call whose caller channel is gone, at the last event seen, not as ended at the reconnect', () => {
    const adapter = new AmiAdapter();
    runAmi([join(0), called(1, M200), connect(5, M200, 5, 4), ami('QueueMemberPause', 30, { Queue: 'support', MemberName: 'EXT-201', Interface: 'PJSIP/EXT-201', Paused: 1, PausedReason: 'lunch' })], adapter);
    const lost = adapter.reconcile(new Set([UID]), new Set(), ms(3600), adapter.lastEventAtMs);
    expect(shape(lost)).toEqual([{ type: 'call.lost', at: ms(30), callId: UID, reason: 'caller channel gone after an AMI reconnect' }]);
  });
});
