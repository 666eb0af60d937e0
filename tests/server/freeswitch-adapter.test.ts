/**
 * The mod_callcenter adapter: each CC-Action and channel event to exact feed events (types, ids,
 * times, agents, waits, outcomes), the reconcile after a reconnect, and the simulator's floor played
 * as FreeSWITCH events coming back as the same floor.
 */
import { describe, expect, it } from 'vitest';
import { FsAdapter, type CcMemberRow } from '../../server/freeswitch/adapter.ts';
import { EslParser, parseEventPlain, type EslEvent } from '../../server/freeswitch/esl-parse.ts';
import { createSimulator } from '../../server/simulator.ts';
import { parseEvent, type FloorEventInput } from '../../shared/events.ts';
import { ccEvent, channelEvent, eventPlain, floorToCallcenter, uuidOf, type FsEvent } from './fake-esl.ts';

/** 2026-11-24T09:00:00Z, ms. */
const B = Date.parse('2026-11-24T09:00:00Z');
const S = B / 1000;
const CALLER = '8a1f7c52-3b0e-4c1d-9f6a-2d4e5b6c7d80';
const MEMBER = '0c9d8e7f-6a5b-4c3d-8e1f-0a9b8c7d6e5f';
const AGENT_CH = 'b7e6d5c4-1a2b-4c3d-9e8f-7a6b5c4d3e2f';
const Q = 'support@default';
const A1 = '1000@default';
const A2 = '1001@default';
const member = { 'CC-Queue': Q, 'CC-Member-UUID': MEMBER, 'CC-Member-Session-UUID': CALLER, 'CC-Member-CID-Name': 'Ann', 'CC-Member-CID-Number': '+3725550100' };

/** An event through the real wire: serialised as FreeSWITCH does, framed, parsed back. */
function esl(ev: FsEvent): EslEvent {
  const [msg] = new EslParser().push(eventPlain(ev));
  return parseEventPlain(msg.body!);
}

function feedAll(a: FsAdapter, evs: FsEvent[]): FloorEventInput[] {
  const out: FloorEventInput[] = [];
  for (const e of evs) {
    const r = a.feed(esl(e), 0);
    if (r.kind === 'events') out.push(...r.events);
  }
  for (const e of out) {
    const p = parseEvent(e);
    if (!p.ok) throw new Error(`${e.type} ${e.id}: ${p.error}`);
  }
  return out;
}

const at = (dt: number) => B + dt * 1000;
const start = (dt: number) => ccEvent('member-queue-start', at(dt), { 'Unique-ID': CALLER, ...member });
const offer = (dt: number, agent = A1) => ccEvent('agent-offering', at(dt), { 'CC-Agent': agent, 'CC-Agent-Type': 'callback', ...member });
const fail = (dt: number, cause: string, agent = A1) => ccEvent('bridge-agent-fail', at(dt), { 'CC-Hangup-Cause': cause, 'CC-Agent': agent, 'CC-Agent-Called-Time': String(S), 'CC-Agent-Aborted-Time': String(S + dt), ...member, 'CC-Member-Joined-Time': String(S) });
const bridge = (dt: number, agent = A1) =>
  ccEvent('bridge-agent-start', at(dt), { 'Unique-ID': AGENT_CH, 'CC-Agent': agent, 'CC-Agent-UUID': AGENT_CH, 'CC-Agent-Called-Time': String(S + 2), 'CC-Agent-Answered-Time': String(S + Math.floor(dt)), 'CC-Member-Joined-Time': String(S), ...member });
const bridgeEnd = (dt: number, agent = A1) => ccEvent('bridge-agent-end', at(dt), { 'Unique-ID': AGENT_CH, 'CC-Hangup-Cause': 'NORMAL_CLEARING', 'CC-Agent': agent, 'CC-Agent-UUID': AGENT_CH, 'CC-Agent-Answered-Time': String(S + 12), 'CC-Member-Joined-Time': String(S), ...member });
const queueEnd = (dt: number, fields: FsEvent) => ccEvent('member-queue-end', at(dt), { 'Unique-ID': CALLER, 'CC-Member-Joined-Time': String(S), 'CC-Member-Leaving-Time': String(S + dt), ...member, ...fields });
const strip = (evs: FloorEventInput[]) => evs.map(({ id: _id, ...e }) => e);

describe('FreeSWITCH adapter', () => {
  it('maps a call queued, offered, answered, held, ended by the caller to exact feed events with stamped ids', () => {
    const a = new FsAdapter();
    const out = feedAll(a, [
      start(0),
      offer(2),
      bridge(12.5),
      channelEvent('CHANNEL_HOLD', at(30), AGENT_CH),
      channelEvent('CHANNEL_UNHOLD', at(75), AGENT_CH),
      channelEvent('CHANNEL_HANGUP_COMPLETE', at(100), CALLER, { 'Hangup-Cause': 'NORMAL_CLEARING' }),
      channelEvent('CHANNEL_HANGUP_COMPLETE', at(100.2), AGENT_CH, { 'Hangup-Cause': 'NORMAL_CLEARING' }),
      bridgeEnd(100.3),
      queueEnd(100.3, { 'CC-Cause': 'Terminated', 'CC-Agent': A1 }),
    ]);
    expect(strip(out)).toEqual([
      { type: 'call.queued', at: at(0), callId: CALLER, queueId: Q, caller: '+3725550100' },
      { type: 'agent.state', at: at(2), agentId: A1, state: 'available', queues: [Q] },
      { type: 'call.ringing', at: at(2), callId: CALLER, agentId: A1 },
      { type: 'call.answered', at: at(12.5), callId: CALLER, agentId: A1, waitSec: 12 },
      { type: 'call.hold', at: at(30), callId: CALLER },
      { type: 'call.unhold', at: at(75), callId: CALLER },
      { type: 'call.ended', at: at(100.3), callId: CALLER, by: 'caller' },
    ]);
    expect(out[0].id).toBe(`fs:${CALLER}:member-queue-start:${at(0) * 1000}`);
    expect(out[2].id).toBe(`fs:${CALLER}:agent-offering:${at(2) * 1000}:${A1}`);
    expect(a.openCalls()).toEqual([]);
    expect(a.skippedBy.get('member-queue-end Terminated after the call was finished')).toBe(1);
    expect(a.skippedBy.get('hangup: noted for who ended the call')).toBe(2);
  });

  it('ends rings as no-answer or canceled by the hangup cause of bridge-agent-fail, and cancels the other ring-all rings at the answer', () => {
    const a = new FsAdapter();
    const out = feedAll(a, [start(0), offer(1, A1), offer(1, A2), fail(16, 'NO_ANSWER', A1), offer(20, A1), bridge(25, A2), fail(25.1, 'LOSE_RACE', A1)]);
    expect(strip(out).filter((e) => e.type === 'call.ring-ended' || e.type === 'call.answered')).toEqual([
      { type: 'call.ring-ended', at: at(16), callId: CALLER, agentId: A1, outcome: 'no-answer' },
      { type: 'call.ring-ended', at: at(25), callId: CALLER, agentId: A1, outcome: 'canceled' },
      { type: 'call.answered', at: at(25), callId: CALLER, agentId: A2, waitSec: 25 },
    ]);
    expect(a.skippedBy.get('bridge-agent-fail of no open ring')).toBe(1);
    const b = new FsAdapter();
    const cancelled = feedAll(b, [start(0), offer(1), fail(9, 'ORIGINATOR_CANCEL'), offer(10), fail(12, 'USER_BUSY')]);
    expect(cancelled.filter((e) => e.type === 'call.ring-ended').map((e) => (e as { outcome: string }).outcome)).toEqual(['canceled', 'no-answer']);
  });

  it('maps member-queue-end Cancel to call.abandoned with the wait from Joined and Leaving, open rings cancelled first', () => {
    const a = new FsAdapter();
    const out = feedAll(a, [start(0), offer(3), queueEnd(47, { 'CC-Cause': 'Cancel', 'CC-Cancel-Reason': 'TIMEOUT' })]);
    expect(strip(out).slice(-2)).toEqual([
      { type: 'call.ring-ended', at: at(47), callId: CALLER, agentId: A1, outcome: 'canceled' },
      { type: 'call.abandoned', at: at(47), callId: CALLER, waitSec: 47 },
    ]);
  });

  it('opens a second leg when the same channel enters a queue again, and rebuilds a call first seen at its offering from its join time', () => {
    const a = new FsAdapter();
    const out = feedAll(a, [start(0), queueEnd(5, { 'CC-Cause': 'Cancel', 'CC-Cancel-Reason': 'BREAK_OUT' }), start(8)]);
    expect(out.filter((e) => e.type === 'call.queued').map((e) => (e as { callId: string }).callId)).toEqual([CALLER, `${CALLER}#2`]);
    const b = new FsAdapter();
    const late = feedAll(b, [bridge(30)]);
    expect(strip(late).map((e) => [e.type, e.at])).toEqual([
      ['call.queued', at(0)],
      ['agent.state', at(30)],
      ['call.answered', at(30)],
    ]);
  });

  it('maps agent-status-change and the Idle agent state to presence, once per change', () => {
    const a = new FsAdapter();
    const st = (dt: number, status: string) => ccEvent('agent-status-change', at(dt), { 'CC-Agent': A1, 'CC-Agent-Status': status });
    const state = (dt: number, s: string) => ccEvent('agent-state-change', at(dt), { 'CC-Agent': A1, 'CC-Agent-State': s });
    const out = feedAll(a, [st(0, 'Available'), st(1, 'Available'), st(60, 'On Break'), st(120, 'Available (On Demand)'), state(121, 'Receiving'), state(200, 'Idle'), state(260, 'Waiting'), st(300, 'Logged Out'), st(301, 'Bogus')]);
    expect(strip(out)).toEqual([
      { type: 'agent.state', at: at(0), agentId: A1, state: 'available' },
      { type: 'agent.state', at: at(60), agentId: A1, state: 'away', reason: 'on break' },
      { type: 'agent.state', at: at(120), agentId: A1, state: 'available' },
      { type: 'agent.state', at: at(200), agentId: A1, state: 'away', reason: 'idle' },
      { type: 'agent.state', at: at(260), agentId: A1, state: 'available' },
      { type: 'agent.state', at: at(300), agentId: A1, state: 'offline' },
    ]);
    expect(a.skippedBy.get('agent-state-change: the state follows the calls')).toBe(1);
    expect(a.skippedBy.get('agent-status-change to an unknown status')).toBe(1);
  });

  it('forgets an open call with no event for longer than the idle limit, at most once a minute of event time, and counts it', () => {
    const a = new FsAdapter({ idleLimitSec: 3600 });
    feedAll(a, [start(0), offer(2), bridge(12)]);
    const other = (dt: number) => ccEvent('agent-status-change', at(dt), { 'CC-Agent': A2, 'CC-Agent-Status': dt % 2 ? 'On Break' : 'Available' });
    feedAll(a, [other(3600)]);
    expect(a.openCalls()).toHaveLength(1); // its latest event (12 s) is 3588 s old: not yet
    feedAll(a, [other(3613)]);
    expect(a.openCalls()).toHaveLength(1); // within a minute of the last sweep
    feedAll(a, [other(3661)]);
    expect(a.openCalls()).toEqual([]);
    expect(a.stats.expired).toBe(1);
    // A late event of it is a new leg's business, not an error.
    expect(feedAll(a, [channelEvent('CHANNEL_HOLD', at(3700), AGENT_CH)])).toEqual([]);
  });

  it("finds a call taken over after a restart from the agent channel's Other-Leg-Unique-ID, and learns that channel for the hold's end and who hung up", () => {
    const a = new FsAdapter();
    expect(a.resume([{ callId: CALLER, queueId: Q, status: 'talking', agentId: A1 }], at(100))).toBe(1);
    const out = feedAll(a, [
      channelEvent('CHANNEL_HOLD', at(110), AGENT_CH, { 'Other-Leg-Unique-ID': CALLER }),
      channelEvent('CHANNEL_UNHOLD', at(130), AGENT_CH), // no Other-Leg header: the channel is known now
      channelEvent('CHANNEL_HANGUP_COMPLETE', at(150), AGENT_CH, { 'Other-Leg-Unique-ID': CALLER }),
      bridgeEnd(150.5),
    ]);
    expect(strip(out)).toEqual([
      { type: 'call.hold', at: at(110), callId: CALLER },
      { type: 'call.unhold', at: at(130), callId: CALLER },
      { type: 'call.ended', at: at(150.5), callId: CALLER, by: 'agent' },
    ]);
  });

  it('skips what it does not use, each counted by reason', () => {
    const a = new FsAdapter();
    feedAll(a, [
      ccEvent('members-count', at(0), { 'CC-Queue': Q, 'CC-Count': '3', 'CC-Selection': 'single_queue' }),
      ccEvent('agent-max-no-answer', at(0), { 'CC-Agent': A1 }),
      channelEvent('CHANNEL_HOLD', at(1), 'ffffffff-0000-4000-a000-000000000000'),
      channelEvent('CHANNEL_ANSWER', at(1), CALLER),
      { ...ccEvent('x', at(1), {}), 'Event-Subclass': 'sofia::register' },
    ]);
    expect(Object.fromEntries(a.skippedBy)).toEqual({
      "members-count: the queue's length follows the calls": 1,
      'CC-Action not used': 1,
      'hold on a channel of no queue call': 1,
      'CHANNEL_ANSWER: an answer counts from bridge-agent-start': 1,
      'CUSTOM event of another subclass': 1,
    });
  });

  it('reconciles after a reconnect: answered and abandoned meanwhile from the list, lost when gone, waiting kept, unseen callers taken in', () => {
    const a = new FsAdapter();
    const uid = (n: number) => `00000000-0000-4000-a000-00000000000${n}`;
    const startOf = (n: number, dt: number) => ccEvent('member-queue-start', at(dt), { 'CC-Queue': Q, 'CC-Member-UUID': `m${n}`, 'CC-Member-Session-UUID': uid(n) });
    const bridgeOf = (n: number, dt: number) => ccEvent('bridge-agent-start', at(dt), { 'CC-Queue': Q, 'CC-Agent': A1, 'CC-Agent-UUID': 'ag', 'CC-Member-UUID': `m${n}`, 'CC-Member-Session-UUID': uid(n) });
    feedAll(a, [startOf(1, 0), startOf(2, 1), startOf(3, 2), startOf(4, 3), startOf(5, 4), bridgeOf(5, 6)]);
    const row = (n: number, state: string, extra: Partial<CcMemberRow> = {}): CcMemberRow => ({ queue: Q, uuid: `m${n}`, sessionUuid: uid(n), joinedEpoch: S + n - 1, bridgeEpoch: 0, abandonedEpoch: 0, state, ...extra });
    const rows = [row(1, 'Waiting'), row(2, 'Answered', { bridgeEpoch: S + 20, servingAgent: A2 }), row(3, 'Abandoned', { sessionUuid: '', abandonedEpoch: S + 30 }), row(6, 'Waiting', { cidNumber: '5550199' })];
    // 4 is no longer listed (gone); 5 is connected but its channel is gone; 6 waited before we listened.
    const out = a.reconcile(rows, new Set([uid(1), uid(2), uid(6)]), at(60), at(6));
    expect(strip(out)).toEqual([
      { type: 'call.answered', at: at(20), callId: uid(2), agentId: A2, waitSec: 19 },
      { type: 'call.abandoned', at: at(30), callId: uid(3), waitSec: 28 },
      { type: 'call.lost', at: at(6), callId: uid(4), reason: 'caller no longer in its queue after a FreeSWITCH reconnect' },
      { type: 'call.lost', at: at(6), callId: uid(5), reason: 'caller channel gone after a FreeSWITCH reconnect' },
      { type: 'call.queued', at: at(5), callId: uid(6), queueId: Q, caller: '5550199' },
    ]);
    expect(a.openCalls().map((c) => [c.uid, c.status]).sort()).toEqual([
      [uid(1), 'waiting'],
      [uid(2), 'connected'],
      [uid(6), 'waiting'],
    ]);
    // A later event of a call closed as lost continues it: its bridge end is the answer and the end.
    const later = feedAll(a, [ccEvent('bridge-agent-end', at(90), { 'CC-Queue': Q, 'CC-Agent': A1, 'CC-Agent-UUID': 'ag', 'CC-Agent-Answered-Time': String(S + 10), 'CC-Member-UUID': 'm4', 'CC-Member-Session-UUID': uid(4) })]);
    expect(strip(later)).toEqual([
      { type: 'call.answered', at: at(10), callId: uid(4), agentId: A1 },
      { type: 'call.ended', at: at(90), callId: uid(4) },
    ]);
  });

  it("plays the simulator's floor as FreeSWITCH events and gets the same calls back: queue, rings and their outcomes, answers, holds and ends, at the same times", () => {
    const sim: FloorEventInput[] = [];
    const s = createSimulator({ seed: 19, agents: 8, emit: (e) => void sim.push(...e) }, B);
    for (let t = B; t <= B + 40 * 60_000; t += 1000) s.step(t);
    const fs = floorToCallcenter(sim);
    expect(fs.length).toBeGreaterThan(100);
    const out = feedAll(new FsAdapter(), fs);
    const transferred = new Set(sim.filter((e) => e.type === 'call.transferred').map((e) => (e as { callId: string }).callId));
    const KEPT = new Set(['call.queued', 'call.ringing', 'call.ring-ended', 'call.answered', 'call.hold', 'call.unhold', 'call.ended', 'call.abandoned']);
    const story = (evs: FloorEventInput[], id: (e: FloorEventInput & { callId: string }) => string) =>
      evs
        .filter((e): e is FloorEventInput & { callId: string } => 'callId' in e && KEPT.has(e.type))
        .map((e) => `${id(e)} ${e.type} ${'agentId' in e ? e.agentId : ''} ${'outcome' in e ? e.outcome : ''} ${e.at}`)
        .sort();
    const expected = story(
      sim.filter((e) => !('callId' in e) || !transferred.has(e.callId)),
      (e) => uuidOf(e.callId),
    );
    expect(story(out, (e) => e.callId)).toEqual(expected);
    expect(expected.some((l) => l.includes('call.hold'))).toBe(true);
    expect(expected.some((l) => l.includes('call.abandoned'))).toBe(true);
  });
});
