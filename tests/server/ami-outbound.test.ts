/**
 * The AMI adapter's `call.outbound` (issue 15, the callback worklist): a DialBegin from an agent's
 * phone to an outside number, ended by its DialEnd, and an OriginateResponse Failure of a
 * click-to-call; and what the engine's worklist makes of them.
 */
import { describe, expect, it } from 'vitest';
import type { AmiMessage } from '../../server/ami/parse.ts';
import { applyEvent, closedWorklistItems, createFloorState, openWorklistItems } from '../../shared/engine.ts';
import { defaultConfig } from '../../shared/config.ts';
import { parseEvent, type FloorEventInput } from '../../shared/events.ts';
import { ami, feedAmi, ms } from './asterisk-fixtures.ts';

const ARRIVAL = ms(10_000);
/** Agent 1001 signs in: the member event that tells the adapter PJSIP/1001 is agent 1001. */
const signIn = (dt: number) => ami('QueueMemberAdded', dt, { Queue: 'sales', MemberName: '1001', Interface: 'PJSIP/1001', StateInterface: 'PJSIP/1001', Status: 1, Paused: 0 });
const AGENT_PHONE = { Channel: 'PJSIP/1001-0000002a', Uniqueid: '1795511000.42', Linkedid: '1795511000.42' };
const dialBegin = (dt: number, exten: string, extra: Record<string, string> = {}) =>
  ami('DialBegin', dt, { ...AGENT_PHONE, DestChannel: 'PJSIP/trunk-0000002b', DestUniqueid: '1795511000.43', DestExten: exten, DialString: `trunk/${exten}`, ...extra });
const dialEnd = (dt: number, status: string, extra: Record<string, string> = {}) =>
  ami('DialEnd', dt, { ...AGENT_PHONE, DestChannel: 'PJSIP/trunk-0000002b', DestUniqueid: '1795511000.43', DialStatus: status, ...extra });

function run(msgs: AmiMessage[]) {
  const { events, skipped } = feedAmi(msgs, ARRIVAL);
  return { events, skipped, outbound: events.filter((e) => e.type === 'call.outbound') };
}

describe('AMI call.outbound', () => {
  it('maps a DialBegin from an agent’s phone to an outside number, ended ANSWER, to one answered call.outbound at the DialEnd', () => {
    const { outbound, skipped } = run([signIn(0), dialBegin(10, '+3725550123'), dialEnd(25, 'ANSWER')]);
    expect(outbound).toEqual([{ type: 'call.outbound', id: expect.stringContaining('DialEnd'), at: ms(25), callId: '1795511000.42', to: '+3725550123', agentId: '1001', answered: true }]);
    expect(skipped).toContain('DialBegin of an outbound call: its DialEnd tells the outcome');
    for (const e of outbound) expect(parseEvent(e).ok).toBe(true);
  });

  it.each(['NOANSWER', 'BUSY', 'CONGESTION', 'CHANUNAVAIL', 'CANCEL'])('maps DialEnd %s to an unanswered attempt', (status) => {
    const { outbound } = run([signIn(0), dialBegin(10, '5550123456'), dialEnd(40, status)]);
    expect(outbound).toMatchObject([{ to: '5550123456', agentId: '1001', answered: false }]);
  });

  it('takes the number from DialString when DestExten is absent', () => {
    const { outbound } = run([signIn(0), ami('DialBegin', 10, { ...AGENT_PHONE, DestChannel: 'PJSIP/trunk-0000002b', DestUniqueid: '1795511000.43', DialString: 'PJSIP/+3725550123@trunk' }), dialEnd(20, 'ANSWER')]);
    expect(outbound).toMatchObject([{ to: '+3725550123' }]);
  });

  it('sends nothing for a dial to an internal extension, from a phone that is no agent’s, or the queue’s own dial to a member', () => {
    expect(run([signIn(0), dialBegin(10, '1002'), dialEnd(20, 'ANSWER')]).outbound).toEqual([]);
    expect(run([dialBegin(10, '+3725550123'), dialEnd(20, 'ANSWER')]).outbound).toEqual([]); // no member event: PJSIP/1001 is nobody's
    const queueDial = ami('DialBegin', 10, { Channel: 'PJSIP/trunk-00000001', Uniqueid: '1795510800.1', DestChannel: 'PJSIP/1001-00000002', DestUniqueid: '1795510805.2', DestExten: 'sales', DialString: 'PJSIP/1001' });
    expect(run([signIn(0), queueDial, ami('DialEnd', 20, { Channel: 'PJSIP/trunk-00000001', Uniqueid: '1795510800.1', DestUniqueid: '1795510805.2', DialStatus: 'ANSWER' })]).outbound).toEqual([]);
  });

  it('maps an OriginateResponse Failure of a click-to-call from an agent’s phone to an unanswered attempt, and a Success to nothing (its DialEnd follows)', () => {
    const orig = (dt: number, response: string) => ami('OriginateResponse', dt, { Response: response, Channel: 'PJSIP/1001', Context: 'from-internal', Exten: '+3725550123', Reason: response === 'Success' ? 4 : 3, Uniqueid: `1795511100.${dt}` });
    const failed = run([signIn(0), orig(30, 'Failure')]);
    expect(failed.outbound).toEqual([{ type: 'call.outbound', id: expect.stringContaining('OriginateResponse'), at: ms(30), callId: '1795511100.30', to: '+3725550123', agentId: '1001', answered: false }]);
    const ok = run([signIn(0), orig(30, 'Success')]);
    expect(ok.outbound).toEqual([]);
  });

  it('closes an abandoned caller’s worklist item in the engine when the agent’s dial to them is answered', () => {
    const join = ami('QueueCallerJoin', 1, { Channel: 'PJSIP/trunk-00000001', Uniqueid: '1795510800.1', Linkedid: '1795510800.1', CallerIDNum: '+3725550123', Queue: 'sales', Position: 1, Count: 1 });
    const gone = ami('QueueCallerAbandon', 41, { Channel: 'PJSIP/trunk-00000001', Uniqueid: '1795510800.1', Linkedid: '1795510800.1', Queue: 'sales', Position: 1, OriginalPosition: 1, HoldTime: 40 });
    const s = createFloorState(defaultConfig(), ms(0));
    const fold = (events: FloorEventInput[]) => {
      for (const e of events) {
        const r = parseEvent(e);
        if (!r.ok) throw new Error(r.error);
        applyEvent(s, r.event);
      }
    };
    fold(run([signIn(0), join, gone]).events);
    expect([...openWorklistItems(s)]).toMatchObject([{ caller: '+3725550123', queueId: 'sales', waitSec: 40 }]);
    fold(run([signIn(0), dialBegin(600, '+372 5550123'), dialEnd(620, 'ANSWER')]).outbound);
    expect([...openWorklistItems(s)]).toEqual([]);
    expect([...closedWorklistItems(s)]).toMatchObject([{ outcome: 'reached', closedBy: '1001', attempts: 1 }]);
  });
});
