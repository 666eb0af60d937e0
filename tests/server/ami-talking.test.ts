/**
 * Asterisk's talk detection (`TALK_DETECT(set)=` on the caller's and the agent's channels) through the
 * AMI adapter: `ChannelTalkingStart` / `ChannelTalkingStop` become `call.talking` on the call's id, with
 * the party told by which channel of the call spoke; a channel of no party is skipped and counted.
 */
import { describe, expect, it } from 'vitest';
import { AmiAdapter } from '../../server/ami/adapter.ts';
import { applyEvent, createFloorState } from '../../shared/engine.ts';
import { defaultConfig } from '../../shared/config.ts';
import { parseEvent, type FloorEventInput } from '../../shared/events.ts';
import { ami, feedAmi, ms, shape } from './asterisk-fixtures.ts';

const ARRIVAL = ms(10_000);
const CALLER = { Channel: 'PJSIP/trunk-00000001', Uniqueid: '1795510800.1', Linkedid: '1795510800.1', CallerIDNum: '+3725550100' };
const AGENT = { DestChannel: 'PJSIP/1001-00000002', DestUniqueid: '1795510805.2', DestLinkedid: '1795510800.1', Interface: 'PJSIP/1001', MemberName: 'PJSIP/1001' };
const CALL_ID = CALLER.Uniqueid;

const answered = () => [
  ami('QueueCallerJoin', 0, { ...CALLER, Queue: 'sales', Position: 1, Count: 1 }),
  ami('AgentCalled', 5, { ...CALLER, ...AGENT, Queue: 'sales' }),
  ami('AgentConnect', 10, { ...CALLER, ...AGENT, Queue: 'sales', HoldTime: 10, RingTime: 5 }),
];
/** A talk-detection event as Asterisk 13+ writes it: the channel snapshot, and Duration (ms) on the stop. */
const talkOn = (dt: number, ch: { Channel: string; Uniqueid: string; Linkedid: string }, extra: Record<string, string | number> = {}) =>
  ami('ChannelTalkingStart', dt, { Channel: ch.Channel, ChannelState: 6, ChannelStateDesc: 'Up', Uniqueid: ch.Uniqueid, Linkedid: ch.Linkedid, ...extra });
const talkOff = (dt: number, ch: { Channel: string; Uniqueid: string; Linkedid: string }, durationMs: number | string) =>
  ami('ChannelTalkingStop', dt, { Channel: ch.Channel, ChannelState: 6, ChannelStateDesc: 'Up', Uniqueid: ch.Uniqueid, Linkedid: ch.Linkedid, Duration: durationMs });
const AGENT_CH = { Channel: AGENT.DestChannel, Uniqueid: AGENT.DestUniqueid, Linkedid: CALLER.Linkedid };

type TalkingInput = Extract<FloorEventInput, { type: 'call.talking' }>;
const talking = (events: FloorEventInput[]) => shape(events.filter((e): e is TalkingInput => e.type === 'call.talking')) as Omit<TalkingInput, 'id'>[];

describe('AMI talk detection', () => {
  it('maps a burst of starts and stops on the caller and the agent channels to call.talking of the call, each with its party', () => {
    const { events, skipped } = feedAmi(
      [
        ...answered(),
        talkOn(11, AGENT_CH),
        talkOff(16.5, AGENT_CH, 3_000), // spoke 11 → 14 s; silence threshold 2.5 s
        talkOn(15, CALLER),
        talkOff(20, CALLER, 2_500), // 15 → 17.5 s
        talkOn(19, AGENT_CH),
        talkOff(24, AGENT_CH, 2_400),
      ],
      ARRIVAL,
    );
    expect(skipped).toEqual([]);
    expect(talking(events)).toEqual([
      { type: 'call.talking', at: ms(11), callId: CALL_ID, party: 'agent', talking: true },
      { type: 'call.talking', at: ms(14), callId: CALL_ID, party: 'agent', talking: false },
      // The caller's start came at 15 s, after the agent's stop was dated 14 s: in order anyway.
      { type: 'call.talking', at: ms(15), callId: CALL_ID, party: 'caller', talking: true },
      { type: 'call.talking', at: ms(17.5), callId: CALL_ID, party: 'caller', talking: false },
      { type: 'call.talking', at: ms(19), callId: CALL_ID, party: 'agent', talking: true },
      { type: 'call.talking', at: ms(21.4), callId: CALL_ID, party: 'agent', talking: false },
    ]);
    // Every event is valid feed input, with an id of its own (the party is part of it).
    for (const e of events) expect(parseEvent(e).ok, JSON.stringify(e)).toBe(true);
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
  });

  it("never dates a stop before the call's latest event, and dates it at its own time without a usable Duration or start", () => {
    const { events } = feedAmi(
      [
        ...answered(),
        talkOn(11, CALLER),
        talkOn(12, AGENT_CH),
        talkOff(13, CALLER, 500), // 11.5 s is before the agent's start at 12 s: kept in order at 12 s
        talkOff(20, AGENT_CH, 'n/a'), // no usable Duration
        talkOff(30, CALLER, 1_000), // no start seen for this stretch
        talkOn(31, CALLER),
        talkOff(32, CALLER, 60_000), // a Duration longer than the stretch: not trusted
      ],
      ARRIVAL,
    );
    expect(talking(events).map((e) => [e.party, e.talking, e.at])).toEqual([
      ['caller', true, ms(11)],
      ['agent', true, ms(12)],
      ['caller', false, ms(12)],
      ['agent', false, ms(20)],
      ['caller', false, ms(30)],
      ['caller', true, ms(31)],
      ['caller', false, ms(32)],
    ]);
  });

  it("finds the agent's phone behind a Local-channel member by Linkedid and its interface", () => {
    const phone = { Channel: 'PJSIP/1001-00000009', Uniqueid: '1795510806.9', Linkedid: CALLER.Linkedid };
    const stranger = { Channel: 'PJSIP/1099-0000000b', Uniqueid: '1795510806.11', Linkedid: CALLER.Linkedid };
    const { events, skipped } = feedAmi([...answered(), talkOn(12, phone), talkOn(13, stranger)], ARRIVAL);
    expect(talking(events)).toEqual([{ type: 'call.talking', at: ms(12), callId: CALL_ID, party: 'agent', talking: true }]);
    expect(skipped).toEqual(['talking on a channel neither the caller nor the agent of its call']);
  });

  it('skips talk on an unknown channel and on a call not yet answered, and counts each reason', () => {
    const adapter = new AmiAdapter();
    const unknown = { Channel: 'PJSIP/2002-00000077', Uniqueid: '1795510900.77', Linkedid: '1795510900.77' };
    const { events, skipped } = feedAmi(
      [ami('QueueCallerJoin', 0, { ...CALLER, Queue: 'sales', Position: 1, Count: 1 }), talkOn(1, CALLER), talkOn(2, unknown), talkOff(4, unknown, 1_000)],
      ARRIVAL,
      adapter,
    );
    expect(events.map((e) => e.type)).toEqual(['call.queued']);
    expect(skipped).toEqual(['talking on a call not connected', 'talking on a channel of no queue call', 'talking on a channel of no queue call']);
    expect(adapter.skippedBy.get('talking on a channel of no queue call')).toBe(2);
    expect(adapter.stats).toMatchObject({ messages: 4, skipped: 3 });
  });

  it('stops after the call is over: talk on its channels is skipped once AgentComplete closed it', () => {
    const { events, skipped } = feedAmi(
      [...answered(), ami('AgentComplete', 40, { ...CALLER, ...AGENT, Queue: 'sales', HoldTime: 10, TalkTime: 30, Reason: 'caller' }), talkOn(41, CALLER)],
      ARRIVAL,
    );
    expect(events.filter((e) => e.type === 'call.talking')).toEqual([]);
    expect(skipped).toEqual(['talking on a channel of no queue call']);
  });

  it('takes the same AMI event delivered twice once', () => {
    const { events, skipped } = feedAmi([...answered(), talkOn(11, CALLER), talkOn(11, CALLER)], ARRIVAL);
    expect(talking(events)).toHaveLength(1);
    expect(skipped).toEqual(['the same event again']);
  });

  it('feeds the engine: the call records when each party spoke, with no orphan and nothing ignored', () => {
    const { events } = feedAmi([...answered(), talkOn(11, AGENT_CH), talkOff(16.5, AGENT_CH, 3_000), talkOn(15, CALLER)], ARRIVAL);
    const s = createFloorState(defaultConfig(), 0);
    for (const e of events) {
      const r = parseEvent(e);
      if (!r.ok) throw new Error(r.error);
      applyEvent(s, r.event);
    }
    expect(s.diagnostics).toMatchObject({ orphan: 0, outOfOrder: 0, ignored: 0 });
    // The rules' own records (talkDetection, the greeting's) are the engine tests' business.
    expect(s.calls.get(CALL_ID)?.conversation).toMatchObject({
      agent: { firstSpeechMs: ms(11), lastSpeechEndMs: ms(14) },
      caller: { firstSpeechMs: ms(15), talkingSinceMs: ms(15) },
      talkDetection: true,
    });
    expect(s.calls.get(CALL_ID)?.conversation?.agent.talkingSinceMs).toBeUndefined();
  });
});
