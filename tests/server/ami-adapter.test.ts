/**
 * The AMI adapter on events written as Asterisk 13+ sends them: the fields it
 * reads, their units (RingTime in ms on AgentRingNoAnswer, in s on
 * AgentConnect), how a channel finds its call, and what the engine makes of
 * the result.
 */
import { describe, expect, it } from 'vitest';
import { AmiAdapter, amiTimestampMs } from '../../server/ami/adapter.ts';
import { AmiMessage } from '../../server/ami/parse.ts';
import { applyEvent, createFloorState, drainChanges } from '../../shared/engine.ts';
import { defaultConfig } from '../../shared/config.ts';
import { parseEvent, type FeedEvent, type FloorEventInput } from '../../shared/events.ts';
import type { Alert } from '../../shared/state.ts';
import { ami, feedAmi, ms, shape } from './asterisk-fixtures.ts';

/** The arrival clock: deliberately far from the Timestamps, to show which one is used. */
const ARRIVAL = ms(10_000);

const CALLER = { Channel: 'PJSIP/trunk-00000001', Uniqueid: '1795510800.1', Linkedid: '1795510800.1', CallerIDNum: '+3725550100', CallerIDName: 'Mari Mets' };
const AGENT_1001 = { DestChannel: 'PJSIP/1001-00000002', DestUniqueid: '1795510805.2', DestLinkedid: '1795510800.1', Interface: 'PJSIP/1001', MemberName: 'PJSIP/1001' };
const AGENT_1002 = { DestChannel: 'PJSIP/1002-00000003', DestUniqueid: '1795510805.3', DestLinkedid: '1795510800.1', Interface: 'PJSIP/1002', MemberName: 'PJSIP/1002' };

const join = (dt: number, extra: Record<string, string> = {}) => ami('QueueCallerJoin', dt, { ...CALLER, Queue: 'sales', Position: 1, Count: 1, ...extra });
const called = (dt: number, agent = AGENT_1001) => ami('AgentCalled', dt, { ...CALLER, ...agent, Queue: 'sales' });
const rna = (dt: number, ringMs: number, agent = AGENT_1001) => ami('AgentRingNoAnswer', dt, { ...CALLER, ...agent, Queue: 'sales', RingTime: ringMs });
const connect = (dt: number, holdSec: number, ringSec: number, agent = AGENT_1001) => ami('AgentConnect', dt, { ...CALLER, ...agent, Queue: 'sales', HoldTime: holdSec, RingTime: ringSec });
const complete = (dt: number, reason: string, holdSec = 5, talkSec = 60, agent = AGENT_1001) =>
  ami('AgentComplete', dt, { ...CALLER, ...agent, Queue: 'sales', HoldTime: holdSec, TalkTime: talkSec, Reason: reason });
const chan = (event: string, dt: number, uid: string, linkedid = '1795510800.1', channel = 'PJSIP/1001-00000002') => ami(event, dt, { Channel: channel, Uniqueid: uid, Linkedid: linkedid });

const run = (msgs: AmiMessage[], adapter = new AmiAdapter()) => feedAmi(msgs, ARRIVAL, adapter);

/** Validates every event with the ingest schema and folds them through the engine, collecting alerts. */
function engineOf(events: FloorEventInput[]) {
  const s = createFloorState(defaultConfig(), 0);
  const alerts = new Map<string, Alert>();
  const valid: FeedEvent[] = events.map((e) => {
    const r = parseEvent(e);
    if (!r.ok) throw new Error(`${e.type} ${e.id}: ${r.error}`);
    return r.event;
  });
  for (const e of valid) {
    applyEvent(s, e);
    for (const a of drainChanges(s).alerts) alerts.set(a.id, a);
  }
  return { s, alerts: [...alerts.values()] };
}

describe('AMI call events', () => {
  it('maps QueueCallerJoin to call.queued on the caller channel Uniqueid, at the event Timestamp, with the caller number', () => {
    const { events } = run([join(0)]);
    expect(shape(events)).toEqual([{ type: 'call.queued', at: ms(0), callId: '1795510800.1', queueId: 'sales', caller: '+3725550100' }]);
  });

  it('uses the arrival time when the event carries no Timestamp', () => {
    const { events } = run([ami('QueueCallerJoin', undefined, { ...CALLER, Queue: 'sales' })]);
    expect(events[0].at).toBe(ARRIVAL);
  });

  it('shows a ring live from AgentCalled, with the member first seen signed in and in the queue', () => {
    const { events } = run([join(0), called(5)]);
    expect(shape(events.slice(1))).toEqual([
      { type: 'agent.state', at: ms(5), agentId: 'PJSIP/1001', state: 'available', queues: ['sales'] },
      { type: 'call.ringing', at: ms(5), callId: '1795510800.1', agentId: 'PJSIP/1001' },
    ]);
  });

  it('names a Local-channel member like the queue_log adapter does', () => {
    const local = { ...AGENT_1001, Interface: 'Local/1001@from-queue/n', MemberName: 'Local/1001@from-queue/n' };
    const { events } = run([join(0), called(5, local)]);
    expect(events.find((e) => e.type === 'call.ringing')).toMatchObject({ agentId: 'Local/1001@from-queue' });
  });

  it("maps AgentRingNoAnswer's RingTime in ms to a ring that started that long before, ended as that member's no-answer", () => {
    const { events, adapter } = run([join(0), rna(20, 15_500)]);
    expect(shape(events.filter((e) => e.type !== 'agent.state'))).toEqual([
      { type: 'call.queued', at: ms(0), callId: '1795510800.1', queueId: 'sales', caller: '+3725550100' },
      { type: 'call.ringing', at: ms(4.5), callId: '1795510800.1', agentId: 'PJSIP/1001' },
      { type: 'call.ring-ended', at: ms(20), callId: '1795510800.1', agentId: 'PJSIP/1001', outcome: 'no-answer' },
    ]);
    expect(adapter.openCalls()[0]).toMatchObject({ status: 'waiting' });
  });

  it('ends a ring it saw start at AgentRingNoAnswer, without a second ring and without sending the call back to its queue', () => {
    const { events } = run([join(0), called(5), rna(20, 15_000)]);
    expect(events.filter((e) => e.type === 'call.ringing')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'call.queued')).toHaveLength(1);
    expect(shape([events.at(-1) as FloorEventInput])).toEqual([{ type: 'call.ring-ended', at: ms(20), callId: '1795510800.1', agentId: 'PJSIP/1001', outcome: 'no-answer' }]);
  });

  it('answers at AgentConnect the ring it saw, so the engine counts rings from the ringing time', () => {
    const { events } = run([join(0), called(5), connect(25, 25, 20)]);
    expect(events.at(-1)).toMatchObject({ type: 'call.answered', at: ms(25), agentId: 'PJSIP/1001' });
    const { s, alerts } = engineOf(events);
    expect(s.calls.get('1795510800.1')).toMatchObject({ status: 'talking', ringsToAnswer: 4 }); // 20 s at a 6 s cadence
    expect(alerts.some((a) => a.ruleId === 'ring-limit' && a.level === 'breach')).toBe(true);
  });

  it("takes AgentConnect's RingTime in seconds when the ring was not seen, and rebuilds the entry from HoldTime in seconds", () => {
    const { events } = run([connect(100, 30, 8)]);
    expect(shape(events.filter((e) => e.type !== 'agent.state'))).toEqual([
      { type: 'call.queued', at: ms(70), callId: '1795510800.1', queueId: 'sales' },
      { type: 'call.ringing', at: ms(92), callId: '1795510800.1', agentId: 'PJSIP/1001' },
      { type: 'call.answered', at: ms(100), callId: '1795510800.1', agentId: 'PJSIP/1001' },
    ]);
  });

  it('gives every member a strategy rings at once a ring of their own, and cancels the others at the answer', () => {
    const { events, skipped } = run([join(0), called(5), called(5, AGENT_1002), connect(9, 9, 4, AGENT_1002)]);
    expect(skipped).toEqual([]);
    expect(shape(events.filter((e) => e.type !== 'agent.state' && e.type !== 'call.queued'))).toEqual([
      { type: 'call.ringing', at: ms(5), callId: '1795510800.1', agentId: 'PJSIP/1001' },
      { type: 'call.ringing', at: ms(5), callId: '1795510800.1', agentId: 'PJSIP/1002' },
      { type: 'call.ring-ended', at: ms(9), callId: '1795510800.1', agentId: 'PJSIP/1001', outcome: 'canceled' },
      { type: 'call.answered', at: ms(9), callId: '1795510800.1', agentId: 'PJSIP/1002' },
    ]);
  });

  it('maps AgentComplete by its Reason: caller and agent end the call, transfer transfers it', () => {
    for (const [reason, want] of [
      ['caller', { type: 'call.ended', by: 'caller' }],
      ['agent', { type: 'call.ended', by: 'agent' }],
      ['transfer', { type: 'call.transferred' }],
    ] as const) {
      const { events } = run([join(0), called(5), connect(10, 10, 5), complete(70, reason)]);
      expect(shape([events.at(-1) as FloorEventInput])).toEqual([{ ...want, at: ms(70), callId: '1795510800.1' }]);
    }
  });

  it('rebuilds a call from AgentComplete alone: entered HoldTime + TalkTime s before, answered TalkTime s before', () => {
    const { events } = run([complete(200, 'caller', 15, 120)]);
    expect(shape(events.filter((e) => e.type !== 'agent.state'))).toEqual([
      { type: 'call.queued', at: ms(65), callId: '1795510800.1', queueId: 'sales' },
      { type: 'call.answered', at: ms(80), callId: '1795510800.1', agentId: 'PJSIP/1001' },
      { type: 'call.ended', at: ms(200), callId: '1795510800.1', by: 'caller' },
    ]);
  });

  it('maps QueueCallerAbandon to call.abandoned', () => {
    const { events } = run([join(0), ami('QueueCallerAbandon', 40, { ...CALLER, Queue: 'sales', Position: 1, OriginalPosition: 1, HoldTime: 40 })]);
    expect(shape([events.at(-1) as FloorEventInput])).toEqual([{ type: 'call.abandoned', at: ms(40), callId: '1795510800.1' }]);
  });

  it('takes QueueCallerLeave while nobody rings as leaving unanswered, and while a member rings as the answer on its way', () => {
    const leave = (dt: number) => ami('QueueCallerLeave', dt, { ...CALLER, Queue: 'sales', Count: 0, Position: 1 });
    const timeout = run([join(0), leave(300)]);
    expect(timeout.events.at(-1)).toMatchObject({ type: 'call.abandoned', at: ms(300) });
    const answered = run([join(0), called(5), leave(9), connect(9, 9, 4)]);
    expect(answered.events.map((e) => e.type)).toEqual(['call.queued', 'agent.state', 'call.ringing', 'call.answered']);
  });

  it('ignores events for a caller channel that already hung up', () => {
    const { events, skipped } = run([join(0), chan('Hangup', 10, '1795510800.1', '1795510800.1', CALLER.Channel), complete(11, 'caller')]);
    expect(events.map((e) => e.type)).toEqual(['call.queued', 'call.abandoned']);
    expect(skipped).toEqual(['AgentComplete after the caller hung up']);
  });
});

describe('AMI hold', () => {
  const answered = () => [join(0), called(5), connect(10, 10, 5)];

  it('maps Hold and Unhold on the agent channel to the call, with no askedPermission', () => {
    const { events } = run([...answered(), chan('Hold', 30, AGENT_1001.DestUniqueid), chan('Unhold', 50, AGENT_1001.DestUniqueid)]);
    expect(shape(events.slice(-2))).toEqual([
      { type: 'call.hold', at: ms(30), callId: '1795510800.1' },
      { type: 'call.unhold', at: ms(50), callId: '1795510800.1' },
    ]);
    expect(events.at(-2)).not.toHaveProperty('askedPermission');
  });

  it('counts a hold once when the agent phone says Hold and the caller channel hears MusicOnHoldStart', () => {
    const { events, skipped } = run([
      ...answered(),
      chan('Hold', 30, AGENT_1001.DestUniqueid),
      chan('MusicOnHoldStart', 30.001, CALLER.Uniqueid, CALLER.Linkedid, CALLER.Channel),
      chan('Unhold', 50, AGENT_1001.DestUniqueid),
      chan('MusicOnHoldStop', 50.001, CALLER.Uniqueid, CALLER.Linkedid, CALLER.Channel),
    ]);
    expect(events.filter((e) => e.type === 'call.hold' || e.type === 'call.unhold').map((e) => e.type)).toEqual(['call.hold', 'call.unhold']);
    expect(skipped).toEqual(['hold while already on hold', 'unhold while not on hold']);
  });

  it('finds the call of a phone behind a Local-channel member by its Linkedid', () => {
    const { events } = run([...answered(), chan('Hold', 30, '1795510806.9', '1795510800.1', 'PJSIP/1001-00000009')]);
    expect(events.at(-1)).toMatchObject({ type: 'call.hold', callId: '1795510800.1' });
  });

  it('ignores music on hold played to a caller still waiting in the queue', () => {
    const { events, skipped } = run([join(0), chan('MusicOnHoldStart', 1, CALLER.Uniqueid, CALLER.Linkedid, CALLER.Channel)]);
    expect(events).toHaveLength(1);
    expect(skipped).toEqual(['hold on a call not connected']);
  });

  it('raises hold-long (breach past 90 s) and hold-repeat (3rd hold) but never hold-permission', () => {
    const a = AGENT_1001.DestUniqueid;
    const { events } = run([
      ...answered(),
      chan('Hold', 20, a),
      chan('Unhold', 40, a), // 20 s
      chan('Hold', 60, a),
      chan('Unhold', 160, a), // 100 s: past 90 s
      chan('Hold', 180, a), // the 3rd hold
      chan('Unhold', 185, a),
      complete(200, 'agent'),
    ]);
    const { alerts } = engineOf(events);
    const rules = alerts.map((x) => `${x.ruleId}:${x.level}`);
    expect(rules).toContain('hold-long:breach');
    expect(rules).toContain('hold-repeat:breach');
    expect(alerts.some((x) => x.ruleId === 'hold-permission')).toBe(false);
    expect(alerts.filter((x) => x.ruleId === 'hold-long' && x.level === 'breach')).toHaveLength(1);
  });
});

describe('AMI transfers and hangups', () => {
  const answered = () => [join(0), called(5), connect(10, 10, 5)];
  const blind = (dt: number, result = 'Success') =>
    ami('BlindTransfer', dt, {
      Result: result,
      TransfererChannel: AGENT_1001.DestChannel,
      TransfererUniqueid: AGENT_1001.DestUniqueid,
      TransfererLinkedid: CALLER.Linkedid,
      TransfereeChannel: CALLER.Channel,
      TransfereeUniqueid: CALLER.Uniqueid,
      TransfereeLinkedid: CALLER.Linkedid,
      IsExternal: 'No',
      Context: 'from-internal',
      Extension: '600',
    });

  it('maps a successful BlindTransfer to a blind transfer that takes the call off the floor', () => {
    const { events } = run([...answered(), blind(60)]);
    expect(shape([events.at(-1) as FloorEventInput])).toEqual([{ type: 'call.transferred', at: ms(60), callId: '1795510800.1', mode: 'blind' }]);
  });

  it('skips a transfer that did not succeed, and AgentComplete(transfer) after a BlindTransfer', () => {
    const { events, skipped } = run([...answered(), blind(50, 'Fail'), blind(60), complete(60, 'transfer')]);
    expect(events.filter((e) => e.type === 'call.transferred')).toHaveLength(1);
    expect(skipped).toEqual(['BlindTransfer that did not succeed', 'AgentComplete after the call was finished']);
  });

  it('maps AttendedTransfer found by the original transferer channel to an attended transfer', () => {
    const { events } = run([
      ...answered(),
      ami('AttendedTransfer', 90, {
        Result: 'Success',
        OrigTransfererUniqueid: AGENT_1001.DestUniqueid,
        OrigTransfererLinkedid: CALLER.Linkedid,
        SecondTransfererUniqueid: '1795510870.7',
        SecondTransfererLinkedid: '1795510870.7',
        TransferTargetUniqueid: '1795510870.8',
        DestType: 'Bridge',
      }),
    ]);
    expect(events.at(-1)).toMatchObject({ type: 'call.transferred', mode: 'attended', at: ms(90) });
  });

  it('offers a call transferred back into a queue again, as a new leg', () => {
    const { events } = run([...answered(), blind(60), join(65, { Queue: 'support' })]);
    expect(events.at(-1)).toMatchObject({ type: 'call.queued', callId: '1795510800.1#2', queueId: 'support' });
    const { s } = engineOf(events);
    expect(s.queues.get('support')?.waiting.has('1795510800.1#2')).toBe(true);
  });

  it('ends a connected call, and abandons a waiting one, when the caller channel hangs up', () => {
    const talking = run([...answered(), chan('Hangup', 70, CALLER.Uniqueid, CALLER.Linkedid, CALLER.Channel)]);
    expect(talking.events.at(-1)).toMatchObject({ type: 'call.ended', at: ms(70) });
    const waiting = run([join(0), chan('Hangup', 12, CALLER.Uniqueid, CALLER.Linkedid, CALLER.Channel)]);
    expect(waiting.events.at(-1)).toMatchObject({ type: 'call.abandoned', at: ms(12) });
  });

  it('leaves the ending to AgentComplete when only the agent channel hangs up', () => {
    const { events, skipped } = run([...answered(), chan('Hangup', 70, AGENT_1001.DestUniqueid)]);
    expect(events.at(-1)?.type).toBe('call.answered');
    expect(skipped).toEqual(['Hangup of an agent channel']);
  });
});

describe('AMI queue members', () => {
  const member = (event: string, dt: number, extra: Record<string, string | number>) =>
    ami(event, dt, { Queue: 'sales', MemberName: 'Ann Lee', Interface: 'PJSIP/1001', StateInterface: 'PJSIP/1001', Membership: 'dynamic', Status: 1, Paused: 0, PausedReason: '', ...extra });

  it('maps QueueMemberPause to away with its PausedReason, and back to available', () => {
    const { events } = run([member('QueueMemberAdded', 0, {}), member('QueueMemberPause', 60, { Paused: 1, PausedReason: 'lunch' }), member('QueueMemberPause', 120, { Paused: 0 })]);
    expect(shape(events)).toEqual([
      { type: 'agent.state', at: ms(0), agentId: 'Ann Lee', state: 'available', queues: ['sales'] },
      { type: 'agent.state', at: ms(60), agentId: 'Ann Lee', state: 'away', queues: ['sales'], reason: 'lunch' },
      { type: 'agent.state', at: ms(120), agentId: 'Ann Lee', state: 'available', queues: ['sales'] },
    ]);
  });

  it('reports QueueMemberStatus only when presence changes: a phone in use or ringing is not a new state', () => {
    const { events, skipped } = run([member('QueueMemberStatus', 0, {}), member('QueueMemberStatus', 5, { Status: 6 }), member('QueueMemberStatus', 6, { Status: 2, InCall: 1 }), member('QueueMemberStatus', 99, { Status: 5 })]);
    expect(events.map((e) => (e as { state: string }).state)).toEqual(['available', 'offline']);
    expect(skipped).toHaveLength(2);
  });

  it('reads the QueueStatus list, whose QueueMember says Name and Location, and whose QueueEntry gives the wait so far in seconds', () => {
    const { events } = run([
      ami('QueueMember', undefined, { Queue: 'sales', Name: 'Ann Lee', Location: 'PJSIP/1001', Status: 1, Paused: 1, PausedReason: 'training' }),
      ami('QueueEntry', undefined, { Queue: 'sales', Position: 1, Channel: CALLER.Channel, Uniqueid: CALLER.Uniqueid, CallerIDNum: '+3725550100', Wait: 42 }),
    ]);
    expect(shape(events)).toEqual([
      { type: 'agent.state', at: ARRIVAL, agentId: 'Ann Lee', state: 'away', queues: ['sales'], reason: 'training' },
      { type: 'call.queued', at: ARRIVAL - 42_000, callId: '1795510800.1', queueId: 'sales', caller: '+3725550100' },
    ]);
  });

  it('signs a member out when removed from their last queue, not before', () => {
    const { events } = run([
      member('QueueMemberAdded', 0, {}),
      member('QueueMemberAdded', 0, { Queue: 'support' }),
      member('QueueMemberRemoved', 50, {}),
      member('QueueMemberRemoved', 60, { Queue: 'support' }),
    ]);
    expect(events.map((e) => [(e as { state: string }).state, (e as { queues: string[] }).queues])).toEqual([
      ['available', ['sales']],
      ['available', ['sales', 'support']],
      ['available', ['support']],
      ['offline', []],
    ]);
  });
});

describe('AMI ids, time and memory', () => {
  it('reads Timestamp seconds with microseconds to epoch ms', () => {
    expect(amiTimestampMs(new AmiMessage([['Timestamp', '1795510800.123456']]))).toBe(1_795_510_800_123);
    expect(amiTimestampMs(new AmiMessage([['Timestamp', 'soon']]))).toBeUndefined();
    expect(amiTimestampMs(new AmiMessage([['Timestamp', '12.5']]))).toBeUndefined();
  });

  it('gives the same ids to the same stamped events, so a second delivery is a duplicate', () => {
    const msgs = () => [join(0), called(5), connect(10, 10, 5), chan('Hold', 30, AGENT_1001.DestUniqueid), complete(70, 'caller')];
    const a = run(msgs()).events.map((e) => e.id);
    const b = run(msgs()).events.map((e) => e.id);
    expect(a).toEqual(b);
    expect(new Set(a).size).toBe(a.length);
    for (const id of a) expect(id.length).toBeLessThanOrEqual(128);
    expect(a[0]).toBe('ami:1795510800.1:QueueCallerJoin:1795510800.000000');
  });

  it('skips a stamped event delivered a second time, so a repeat cannot reset a connected call', () => {
    const { events, skipped, adapter } = run([join(0), called(5), connect(10, 10, 5), join(0)]);
    expect(events.map((e) => e.type)).toEqual(['call.queued', 'agent.state', 'call.ringing', 'call.answered']);
    expect(skipped).toEqual(['the same event again']);
    expect(adapter.openCalls()[0]).toMatchObject({ status: 'connected', agentId: 'PJSIP/1001' });
  });

  it('gives unstamped events unique ids even when they arrive in the same millisecond', () => {
    const a = new AmiAdapter();
    const m = (dt: number) => ami('QueueMemberPause', undefined, { Queue: 'sales', MemberName: 'Ann', Paused: dt % 2 });
    const ids = [0, 1, 2, 3].flatMap((i) => {
      const r = a.feed(m(i), ARRIVAL);
      return r.kind === 'events' ? r.events.map((e) => e.id) : [];
    });
    expect(ids).toHaveLength(4);
    expect(new Set(ids).size).toBe(4);
  });

  it('forgets finished calls beyond its bound, and channels with them', () => {
    const adapter = new AmiAdapter({ finishedCallsKept: 10 });
    for (let i = 0; i < 200; i++) {
      const c = { ...CALLER, Uniqueid: `1795510800.${1000 + i}`, Linkedid: `1795510800.${1000 + i}` };
      const ag = { ...AGENT_1001, DestUniqueid: `1795510801.${1000 + i}` };
      adapter.feed(ami('QueueCallerJoin', i, { ...c, Queue: 'sales' }), ARRIVAL);
      adapter.feed(ami('AgentConnect', i + 0.5, { ...c, ...ag, Queue: 'sales', HoldTime: 0, RingTime: 0 }), ARRIVAL);
      adapter.feed(ami('AgentComplete', i + 0.9, { ...c, ...ag, Queue: 'sales', HoldTime: 0, TalkTime: 0, Reason: 'agent' }), ARRIVAL);
    }
    const sizes = adapter.sizes;
    expect(sizes.calls).toBeLessThanOrEqual(11);
    expect(sizes.channels).toBeLessThanOrEqual(11);
    expect(sizes.linkedids).toBeLessThanOrEqual(11);
    expect(adapter.openCalls()).toEqual([]);
  });

  it('continues, after a restart, the calls the engine still has open instead of rebuilding them', () => {
    const adapter = new AmiAdapter();
    const n = adapter.resume(
      [
        { callId: '1795510800.1', queueId: 'sales', status: 'hold', agentId: 'PJSIP/1001' },
        { callId: 'web-77', queueId: 'sales', status: 'queued' }, // another producer's call
      ],
      ms(100),
    );
    expect(n).toBe(1);
    const { events } = run([chan('Unhold', 110, CALLER.Uniqueid, CALLER.Linkedid, CALLER.Channel), complete(120, 'caller')], adapter);
    expect(shape(events)).toEqual([
      { type: 'call.unhold', at: ms(110), callId: '1795510800.1' },
      { type: 'call.ended', at: ms(120), callId: '1795510800.1', by: 'caller' },
    ]);
  });

  it('closes as lost, after a reconnect, the calls whose caller channel is no longer live: when the link was lost, else at the reconcile', () => {
    const adapter = new AmiAdapter();
    run([join(0), called(5), connect(10, 10, 5), join(20, { Uniqueid: '1795510820.5', Linkedid: '1795510820.5' })], adapter);
    expect(adapter.lastEventAtMs).toBe(ms(20));
    const events = adapter.reconcile(new Set(['1795510800.1', '1795510820.5']), new Set(['1795510820.5']), ms(500), adapter.lastEventAtMs);
    expect(shape(events)).toEqual([{ type: 'call.lost', at: ms(20), callId: '1795510800.1', reason: 'caller channel gone after an AMI reconnect' }]);
    expect(adapter.openCalls().map((c) => c.uid)).toEqual(['1795510820.5']);
    // With no event seen before (a restart), the reconcile's own time is the best known.
    const fresh = new AmiAdapter();
    fresh.resume([{ callId: '1795510800.1', queueId: 'sales', status: 'queued' }], ms(400));
    expect(shape(fresh.reconcile(new Set(['1795510800.1']), new Set(), ms(500)))).toEqual([{ type: 'call.lost', at: ms(500), callId: '1795510800.1', reason: 'caller channel gone after an AMI reconnect' }]);
  });

  it('makes events the ingest schema accepts and the engine folds without a diagnostic, over a whole call', () => {
    const { events } = run([
      join(0),
      called(5),
      rna(20, 15_000),
      called(22, AGENT_1002),
      connect(26, 26, 4, AGENT_1002),
      chan('Hold', 30, AGENT_1002.DestUniqueid),
      chan('Unhold', 40, AGENT_1002.DestUniqueid),
      complete(90, 'caller', 26, 64, AGENT_1002),
      chan('Hangup', 90.1, CALLER.Uniqueid, CALLER.Linkedid, CALLER.Channel),
    ]);
    const { s } = engineOf(events);
    expect(s.calls.get('1795510800.1')).toMatchObject({ status: 'ended', holdCount: 1 });
    // Nothing the engine had to ignore, treat as an orphan or as out of order.
    expect(s.diagnostics).toMatchObject({ orphan: 0, outOfOrder: 0, ignored: 0, byReason: {} });
    expect(s.agents.get('PJSIP/1001')?.today.ringNoAnswer).toBe(1);
  });
});
