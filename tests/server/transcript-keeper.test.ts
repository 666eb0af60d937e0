/**
 * server/transcripts.ts on its own (no server): how a segment is read before it is logged without its
 * words — with the batch's own answers, names and languages, and with those this node saw before when the
 * engine's state lags (a shared log) — and the bounds of the words it holds.
 */
import { describe, expect, it } from 'vitest';
import { BUFFER_PER_CALL, FORGET_AFTER_END_MS, PENDING_CAP, TranscriptKeeper } from '../../server/transcripts.ts';
import { applyEvent, createFloorState } from '../../shared/engine.ts';
import { defaultConfig } from '../../shared/config.ts';
import { parseEvent, type FloorEvent } from '../../shared/events.ts';
import type { FloorState } from '../../shared/state.ts';

const T0 = Date.parse('2026-11-24T09:00:00Z');
let n = 0;
function event(atSec: number, e: Record<string, unknown>): FloorEvent {
  const r = parseEvent({ id: `k${++n}`, at: T0 + atSec * 1000, ...e });
  if (!r.ok) throw new Error(r.error);
  return r.event;
}
const seg = (callId: string, speaker: 'agent' | 'caller', text: string, fromSec: number, extra: Record<string, unknown> = {}) =>
  event(fromSec + 5, { type: 'call.transcript', callId, speaker, text, startMs: fromSec * 1000, endMs: fromSec * 1000 + 500, final: true, ...extra });

function keeperOn(state: FloorState, mode: 'evidence' | 'drop' = 'evidence') {
  return new TranscriptKeeper({ mode, file: ':memory:', log: { eventsForCall: () => Promise.resolve([]) }, state: () => state });
}
const cuesOf = (e: FloorEvent) => (e.type === 'call.transcript' ? { text: e.text, cues: e.cues } : undefined);

describe('reading a segment before the log', () => {
  const config = () => ({ ...defaultConfig(), companyNames: ['Acme'] });

  it('finds the name of the agent this node saw answer, though the state does not know the call yet (a shared log lags)', () => {
    const state = createFloorState(config(), T0);
    const keeper = keeperOn(state);
    const first = [event(0, { type: 'agent.state', agentId: 'a1', state: 'available', name: 'Ann Lee' }), event(5, { type: 'call.answered', callId: 'c1', agentId: 'a1' })];
    expect(keeper.prepare(first)).toBe(first); // nothing to strip: logged as it came
    const [later] = keeper.prepare([seg('c1', 'agent', 'Hello, this is Ann from Acme', 1)]);
    expect(cuesOf(later)).toEqual({ text: '', cues: ['greeting', 'name', 'company'] });
    // A node that never saw the answer reads no name.
    const [blind] = keeperOn(createFloorState(config(), T0)).prepare([seg('c1', 'agent', 'Hello, this is Ann from Acme', 1)]);
    expect(cuesOf(blind)?.cues).not.toContain('name');
  });

  it("reads a segment without a language in the call's last named one, as the engine does", () => {
    const keeper = keeperOn(createFloorState(config(), T0));
    // "salak" is listed in Turkish only: an English call's segment does not hold it.
    const [, english] = keeper.prepare([seg('c1', 'caller', 'fine thanks', 1, { lang: 'en' }), seg('c1', 'agent', 'salak', 2)]);
    expect(cuesOf(english)).toEqual({ text: '', cues: [] });
    const [unknown] = keeperOn(createFloorState(config(), T0)).prepare([seg('c2', 'agent', 'salak', 2)]);
    expect(cuesOf(unknown)).toEqual({ text: '', cues: ['language'] });
  });

  it('strips interim segments without reading them, and leaves every other event as it is', () => {
    const keeper = keeperOn(createFloorState(config(), T0), 'drop');
    const other = event(0, { type: 'call.queued', callId: 'c1', queueId: 'q1' });
    const out = keeper.prepare([other, seg('c1', 'caller', 'pardon damn', 1, { final: false })]);
    expect(out[0]).toBe(other);
    expect(out[1]).toMatchObject({ text: '', final: false });
    expect((out[1] as { cues?: unknown }).cues).toBeUndefined();
    expect(keeper.stats()).toMatchObject({ mode: 'drop', stripped: 1, buffered: 0 });
  });
});

describe('the words held in evidence mode', () => {
  it(`holds at most ${BUFFER_PER_CALL} segments of one call, and forgets them ${FORGET_AFTER_END_MS / 1000} s after it ends`, () => {
    const state = createFloorState(defaultConfig(), T0);
    for (const e of [
      event(0, { type: 'agent.state', agentId: 'a1', state: 'available' }),
      event(1, { type: 'call.queued', callId: 'c1', queueId: 'q1' }),
      event(2, { type: 'call.ringing', callId: 'c1', agentId: 'a1' }),
      event(5, { type: 'call.answered', callId: 'c1', agentId: 'a1' }),
    ])
      applyEvent(state, e);
    const keeper = keeperOn(state);
    const sent = Array.from({ length: BUFFER_PER_CALL + 5 }, (_, i) => seg('c1', i % 2 ? 'agent' : 'caller', `words number ${i}`, i));
    for (const e of keeper.prepare(sent)) {
      applyEvent(state, e);
      keeper.applied(e, state);
    }
    expect(keeper.stats().buffered).toBe(BUFFER_PER_CALL);
    applyEvent(state, event(300, { type: 'call.ended', callId: 'c1' }));
    keeper.sweep(T0 + 300_000 + FORGET_AFTER_END_MS - 1);
    expect(keeper.stats().buffered).toBe(BUFFER_PER_CALL);
    keeper.sweep(T0 + 300_000 + FORGET_AFTER_END_MS);
    expect(keeper.stats().buffered).toBe(0);
    keeper.close();
  });
});

describe('a group commit larger than the pending map', () => {
  it(`keeps the words of all ${PENDING_CAP + 50} segments of one append (found through the logged objects), for calls the engine holds`, () => {
    const state = createFloorState(defaultConfig(), T0);
    applyEvent(state, event(0, { type: 'agent.state', agentId: 'a1', state: 'available' }));
    const calls = 200;
    for (let i = 0; i < calls; i++) {
      applyEvent(state, event(1, { type: 'call.queued', callId: `g${i}`, queueId: 'q1' }));
      applyEvent(state, event(2, { type: 'call.answered', callId: `g${i}`, agentId: 'a1' }));
    }
    const keeper = keeperOn(state);
    const sent = Array.from({ length: PENDING_CAP + 50 }, (_, i) => seg(`g${i % calls}`, 'caller', `w${i}`, Math.floor(i / calls), { lang: 'en' }));
    const logged = keeper.prepare(sent);
    for (const e of logged) keeper.applied(e, state);
    expect(keeper.stats().buffered).toBe(PENDING_CAP + 50);
    // The same segments read back as new objects (a shared log): only those still held by id are found.
    const again = keeperOn(state);
    again.prepare(sent);
    for (const e of logged.map((x) => ({ ...x }))) again.applied(e, state);
    expect(again.stats().buffered).toBe(PENDING_CAP);
    keeper.close();
    again.close();
  });
});

describe('the drill-down of a call no longer in memory', () => {
  it('keep: reads its final segments back from the log, anchored at its first answer, each with the agent who had the call', async () => {
    const logged = [
      event(5, { type: 'call.answered', callId: 'p1', agentId: 'a1' }),
      seg('p1', 'agent', 'Hello from Acme', 1),
      seg('p1', 'caller', 'interim words', 2, { final: false }),
      event(30, { type: 'call.answered', callId: 'p1', agentId: 'a2' }),
      seg('p1', 'agent', 'Second agent here', 30),
    ];
    const keeper = new TranscriptKeeper({ mode: 'keep', file: ':memory:', log: { eventsForCall: () => Promise.resolve(logged) }, state: () => createFloorState(defaultConfig(), T0) });
    const segs = await keeper.segmentsOf('p1', undefined, []);
    expect(segs.map((x) => [x.text, x.startMs, x.agentId])).toEqual([
      ['Hello from Acme', T0 + 6_000, 'a1'],
      ['Second agent here', T0 + 35_000, 'a2'],
    ]);
    // A scoped supervisor whose scope holds neither agent sees none of it.
    const outside = { restricted: true, agent: () => false } as unknown as import('../../shared/scope.ts').ScopeFilter;
    const d = await keeper.withTranscript({ callId: 'p1', alerts: [] } as unknown as import('../../shared/wire.ts').CallDetail, undefined, { kind: 'supervisor', filter: outside });
    expect(d).toMatchObject({ transcriptMode: 'keep' });
    expect(d.transcript).toBeUndefined();
    keeper.close();
  });
});
