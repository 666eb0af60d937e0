/**
 * The engine takes the conversation events (`call.transcript`, `call.talking`): it records per call,
 * per party, what the rules read (shared/engine/conversation.ts), counts an unknown call as an orphan,
 * keeps no words, and changes no figure of the floor but the conversation rules' alerts
 * (tests/shared/engine-conversation-rules.test.ts judges those).
 */
import { describe, expect, it } from 'vitest';
import { serializeState, selectTotals } from '../../shared/selectors.ts';
import { Feed, sec } from './feed.ts';

const say = (speaker: 'agent' | 'caller', text: string, startMs: number, endMs: number, extra: Record<string, unknown> = {}) => ({
  type: 'call.transcript',
  callId: 'c1',
  speaker,
  text,
  startMs,
  endMs,
  final: true,
  ...extra,
});
const talk = (party: 'agent' | 'caller', talking: boolean, callId = 'c1') => ({ type: 'call.talking', callId, party, talking });

/** One answered call (answered at 5 s), with or without a conversation on it, then ended at 90 s. */
function floor(withConversation: boolean): Feed {
  const f = new Feed().agent(0, 'a1').connect(0, 'c1', 'a1');
  if (withConversation) {
    f.send(6, talk('agent', true))
      .send(9, say('agent', 'Hello, this is Ann from Floorwatch, how can I help?', 1_000, 4_000, { lang: 'en' }))
      .send(9, talk('agent', false))
      .send(10, talk('caller', true))
      .send(14, say('caller', 'Pardon?', 6_000, 7_000, { final: false }))
      .send(15, talk('caller', false))
      .send(16, say('caller', 'Kuidas palun?', 6_000, 9_500, { lang: 'et' }));
  }
  f.send(40, { type: 'call.hold', callId: 'c1' }).send(60, { type: 'call.unhold', callId: 'c1' });
  if (withConversation) f.send(61, talk('agent', true)).send(70, say('agent', 'İyi günler', sec(61), sec(63), { lang: 'tr' }));
  return f.ended(90, 'c1', { by: 'caller' }).tick(95);
}

describe('engine: conversation events', () => {
  it('records per party when speech started and last ended, from talk detection and final segments', () => {
    const f = new Feed().agent(0, 'a1').connect(0, 'c1', 'a1'); // answered at 5 s
    f.send(6, talk('agent', true));
    expect(f.state.calls.get('c1')?.conversation).toMatchObject({ agent: { talkingSinceMs: sec(6), firstSpeechMs: sec(6) }, caller: {}, talkDetection: true });
    f.send(7, talk('agent', true)); // a repeated start keeps the first
    f.send(9, talk('agent', false));
    f.send(10, say('agent', 'Hello, this is Ann', 1_500, 4_500)); // offsets from the answer
    f.send(12, say('caller', 'Hi', 5_000, 6_000, { final: false })); // interim: not counted
    f.send(13, say('caller', 'Hi, I have a question', sec(11), sec(12.5))); // epoch ms
    expect(f.state.calls.get('c1')?.conversation).toMatchObject({
      agent: { firstSpeechMs: sec(6), lastSpeechEndMs: sec(9.5), finalSegments: 1 }, // 5 s + 4,500 ms
      caller: { firstSpeechMs: sec(11), lastSpeechEndMs: sec(12.5), finalSegments: 1 },
    });
    // A late segment never moves the last end back; an earlier one moves the first start forward.
    f.send(14, say('agent', 'Floorwatch', 0, 1_000));
    expect(f.state.calls.get('c1')?.conversation?.agent).toEqual({ firstSpeechMs: sec(5), lastSpeechEndMs: sec(9.5), finalSegments: 2 });
  });

  it('keeps no words of a transcript in the state', () => {
    const f = floor(true);
    const text = JSON.stringify(serializeState(f.state));
    for (const words of ['Hello, this is Ann', 'Pardon', 'Kuidas palun', 'İyi günler']) expect(text).not.toContain(words);
  });

  it('counts a conversation event for an unknown call as an orphan, and one after the end as out of order', () => {
    const f = new Feed();
    f.send(1, talk('caller', true, 'nobody')).send(2, { ...say('agent', 'Hello', 0, 500), callId: 'nobody' });
    expect(f.state.diagnostics.orphan).toBe(2);
    expect(f.state.diagnostics.byReason['call.talking for unknown call']).toBe(1);
    expect(f.state.diagnostics.byReason['call.transcript for unknown call']).toBe(1);
    expect(f.state.calls.has('nobody')).toBe(false);
    const g = floor(false);
    g.send(100, talk('caller', false));
    expect(g.state.diagnostics.outOfOrder).toBe(1);
    expect(g.state.calls.get('c1')?.conversation).toBeUndefined();
  });

  it('changes no figure of the floor but the conversation alerts and timeline entries', () => {
    const plain = floor(false);
    const talked = floor(true);
    const strip = (f: Feed) => {
      const s = serializeState(f.state) as Record<string, unknown> & { calls: [string, Record<string, unknown>][]; diagnostics?: unknown };
      for (const [, c] of s.calls) {
        delete c.conversation;
        delete c.alertIds;
        delete c.resumedAtMs;
        c.timeline = (c.timeline as { type: string }[]).filter((t) => !t.type.startsWith('conversation.'));
      }
      delete s.diagnostics;
      delete s.alerts;
      delete s.recentAlerts;
      delete s.agentAlerts;
      delete s.agents;
      return s;
    };
    expect(talked.state.calls.get('c1')?.conversation?.agent.finalSegments).toBe(2);
    expect(strip(talked)).toEqual(strip(plain));
    const { alertsByRule: _a, ...talkedTotals } = selectTotals(talked.state) as unknown as Record<string, unknown>;
    const { alertsByRule: _b, ...plainTotals } = selectTotals(plain.state) as unknown as Record<string, unknown>;
    expect(talkedTotals).toEqual(plainTotals);
    // The one clarity request is under the warning; the only alerts are the conversation rules'.
    expect([...talked.state.recentAlerts, ...talked.state.alerts.values()].every((a) => ['greeting', 'clarity', 'language', 'dont-know', 'dead-air', 'talk-over'].includes(a.ruleId))).toBe(true);
  });
});
