/**
 * A call's view carries when its current silence began (`silenceSinceMs`) only where talk detection
 * runs, so the agent's page can nudge before the dead-air warning (issue 18): null while someone talks
 * or the caller is on hold, absent on a call without talk detection.
 */
import { describe, expect, it } from 'vitest';
import { configWith, Feed, sec } from './feed.ts';
import { selectAgentPayload, selectCallView } from '../../shared/selectors.ts';

const talk = (party: 'agent' | 'caller', talking: boolean) => ({ type: 'call.talking', callId: 'c1', party, talking });
const view = (f: Feed) => selectCallView(f.state.calls.get('c1')!);

describe('silenceSinceMs on a call view', () => {
  it('is absent on a call without talk detection, even with a transcript', () => {
    const f = new Feed(configWith(() => {})).agent(0, 'a1', 'available', { name: 'Ann Lee' }).connect(0, 'c1', 'a1');
    f.send(8, { type: 'call.transcript', callId: 'c1', speaker: 'agent', text: 'Hello', startMs: 1_000, endMs: 2_000, final: true });
    expect('silenceSinceMs' in view(f)).toBe(false);
  });

  it('follows talk detection: null while talking, the last speech’s end once quiet, null on hold', () => {
    const f = new Feed(configWith(() => {})).agent(0, 'a1', 'available', { name: 'Ann Lee' }).connect(0, 'c1', 'a1');
    f.send(6, talk('agent', true));
    expect(view(f).silenceSinceMs).toBeNull();
    f.send(9, talk('agent', false));
    expect(view(f).silenceSinceMs).toBe(sec(9));
    expect(selectAgentPayload(f.state, 'a1').calls.find((c) => c.callId === 'c1')?.silenceSinceMs).toBe(sec(9));
    f.send(12, { type: 'call.hold', callId: 'c1', askedPermission: true });
    expect(view(f).silenceSinceMs).toBeNull();
  });
});
