/**
 * The simulator's conversations (issue 18): transcripts and talk detection on answered calls, in the
 * floor's three languages, with the occasional lapse of every conversation rule.
 */
import { describe, expect, it } from 'vitest';
import { createSimulator } from '../../server/simulator.ts';
import { CONVERSATION_LAPSES, SIM_COMPANY_NAME, scriptLeg, type ConversationLapse, type LegInput, type SimHold } from '../../server/sim-conversation.ts';
import { applyEvent, createFloorState, drainChanges, tick } from '../../shared/engine.ts';
import { defaultConfig, type RuleId } from '../../shared/config.ts';
import { parseEvent, SEGMENT_OFFSET_LIMIT_MS, type EventOf, type FloorEvent, type FloorEventInput } from '../../shared/events.ts';
import { DEFAULT_PHRASES, compilePhrases, type PhraseLang, type PhraseRuleId } from '../../shared/phrases.ts';
import { mulberry32 } from '../../shared/random.ts';
import type { Alert, FloorState } from '../../shared/state.ts';

const T0 = Date.parse('2026-11-24T08:00:00Z');

interface Leg {
  callId: string;
  agentId: string;
  lang: string;
  lapses: readonly ConversationLapse[];
}

/** A seeded floor run for `minutes`, stepped every 10 s: its events (all parsed) and the legs the simulator scripted. */
function run(seed: number, minutes: number, speed = 1): { events: FloorEvent[]; bad: string[]; legs: Leg[] } {
  const raw: FloorEventInput[] = [];
  const legs: Leg[] = [];
  const sim = createSimulator({ seed, speed, emit: (b) => void raw.push(...b), onConversation: (l) => legs.push(l) }, T0);
  for (let t = T0; t <= T0 + minutes * 60_000; t += 10_000) sim.step(t);
  const events: FloorEvent[] = [];
  const bad: string[] = [];
  for (const e of raw) {
    const r = parseEvent(e);
    if (r.ok) events.push(r.event);
    else bad.push(`${e.type}: ${r.error}`);
  }
  return { events, bad, legs };
}

type Transcript = EventOf<'call.transcript'>;
type Talking = EventOf<'call.talking'>;

/** One call's events, its stretches on the line (answer or unhold to hold, transfer or end) and its speech. */
interface CallView {
  callId: string;
  events: FloorEvent[];
  firstAnswerMs?: number;
  /** The agent who answered first. */
  firstAgentId?: string;
  /** [from, to] on the line, epoch ms: answered and not on hold. */
  online: [number, number][];
  holds: [number, number][];
  finals: Transcript[];
  talking: Talking[];
  lost: boolean;
  /** Ended (or lost, or abandoned) within the run: its conversation is complete. */
  over: boolean;
}

function callsOf(events: FloorEvent[]): Map<string, CallView> {
  const calls = new Map<string, CallView>();
  for (const e of events) {
    if (!('callId' in e)) continue;
    let c = calls.get(e.callId);
    if (!c) calls.set(e.callId, (c = { callId: e.callId, events: [], online: [], holds: [], finals: [], talking: [], lost: false, over: false }));
    c.events.push(e);
  }
  for (const c of calls.values()) {
    let open: number | undefined;
    let heldAt: number | undefined;
    for (const e of c.events) {
      if (e.type === 'call.answered') {
        c.firstAnswerMs ??= e.at;
        c.firstAgentId ??= e.agentId;
        open ??= e.at;
      } else if (e.type === 'call.hold') {
        if (open !== undefined) c.online.push([open, e.at]);
        open = undefined;
        heldAt = e.at;
      } else if (e.type === 'call.unhold') {
        if (heldAt !== undefined) c.holds.push([heldAt, e.at]);
        heldAt = undefined;
        open = e.at;
      } else if (e.type === 'call.transferred' || e.type === 'call.ended' || e.type === 'call.lost' || e.type === 'call.abandoned') {
        if (open !== undefined) c.online.push([open, e.at]);
        open = undefined;
        if (e.type === 'call.lost') c.lost = true;
        if (e.type !== 'call.transferred') c.over = true;
      } else if (e.type === 'call.transcript' && e.final) {
        c.finals.push(e);
      } else if (e.type === 'call.talking') {
        c.talking.push(e);
      }
    }
    // Still on the line when the run stopped.
    if (open !== undefined) c.online.push([open, Infinity]);
  }
  return calls;
}

/** A segment time as epoch ms: offsets count from the call's first answer. */
function absMs(c: CallView, ms: number): number {
  return ms < SEGMENT_OFFSET_LIMIT_MS ? (c.firstAnswerMs ?? NaN) + ms : ms;
}

const inside = (spans: [number, number][], t: number) => spans.some(([a, b]) => t >= a && t <= b);
const strictlyInside = (spans: [number, number][], t: number) => spans.some(([a, b]) => t > a && t < b);

const matchers = new Map<string, ReturnType<typeof compilePhrases>>();
/** Whether `text` holds a phrase of the default list of `rule` in `lang`. */
function says(rule: PhraseRuleId, lang: string, text: string): boolean {
  const key = `${rule}:${lang}`;
  let m = matchers.get(key);
  if (!m) matchers.set(key, (m = compilePhrases(DEFAULT_PHRASES[rule][lang as PhraseLang], lang)));
  return m.match(text).length > 0;
}

/**
 * The lapses a call's events show, found from the events alone, with the rules' default thresholds
 * (issue 18): the first agent segment later than 5 s or without the agent's name or the company;
 * two or more requests to repeat; a listed word by the agent; a bare "I don't know" with no offer to
 * find out in the segment or within 10 s; 15 s or more without speech on the line; the agent starting
 * three times while the caller talks.
 */
function observedLapses(c: CallView, names: Map<string, string>): Set<ConversationLapse> {
  const found = new Set<ConversationLapse>();
  const agentFinals = c.finals.filter((s) => s.speaker === 'agent').sort((x, y) => absMs(c, x.startMs) - absMs(c, y.startMs));
  const first = agentFinals[0];
  if (first && c.firstAnswerMs !== undefined) {
    if (absMs(c, first.startMs) - c.firstAnswerMs > 5_000) found.add('greeting-late');
    const name = names.get(c.firstAgentId ?? '') ?? '?';
    if (!first.text.includes(name) || !first.text.includes(SIM_COMPANY_NAME)) found.add('greeting-unnamed');
  }
  if (c.finals.filter((s) => s.speaker === 'caller' && says('clarity', s.lang ?? 'en', s.text)).length >= 2) found.add('clarity');
  if (agentFinals.some((s) => says('language', s.lang ?? 'en', s.text))) found.add('language');
  for (const s of agentFinals) {
    const lang = s.lang ?? 'en';
    if (!says('dont-know', lang, s.text) || says('find-out', lang, s.text)) continue;
    const end = absMs(c, s.endMs);
    const offered = agentFinals.some((o) => absMs(c, o.startMs) >= end && absMs(c, o.startMs) <= end + 10_000 && says('find-out', lang, o.text));
    if (!offered) found.add('dont-know');
  }
  // Silence: the longest stretch on the line with nobody talking (from the line opening to the last speech).
  const talks = [...c.talking].sort((x, y) => x.at - y.at);
  for (const [from, to] of c.online) {
    let lastEnd = from;
    let talkingNow = 0;
    for (const e of talks) {
      if (e.at < from || e.at > to) continue;
      if (e.talking) {
        if (talkingNow === 0 && e.at - lastEnd >= 15_000) found.add('dead-air');
        talkingNow++;
      } else {
        talkingNow--;
        if (talkingNow === 0) lastEnd = e.at;
      }
    }
  }
  let callerTalking = false;
  let over = 0;
  for (const e of talks) {
    if (e.party === 'caller') callerTalking = e.talking;
    else if (e.talking && callerTalking) over++;
  }
  if (over >= 3) found.add('talk-over');
  return found;
}

function agentNames(events: FloorEvent[]): Map<string, string> {
  const names = new Map<string, string>();
  for (const e of events) if (e.type === 'agent.state' && e.name !== undefined) names.set(e.agentId, e.name);
  return names;
}

describe('simulator conversations', () => {
  const { events, bad, legs } = run(1, 120);
  const calls = callsOf(events);
  const names = agentNames(events);
  const transcripts = events.filter((e): e is Transcript => e.type === 'call.transcript');

  it('are valid feed events, in all three languages, with their own letters', () => {
    expect(bad).toEqual([]);
    expect(transcripts.length).toBeGreaterThan(1_000);
    expect(events.filter((e) => e.type === 'call.talking').length).toBeGreaterThan(2_000);
    expect(new Set(transcripts.map((e) => e.lang))).toEqual(new Set(['en', 'tr', 'et']));
    const text = (lang: string) => transcripts.filter((e) => e.lang === lang).map((e) => e.text).join(' ');
    expect(text('tr')).toMatch(/ı/);
    expect(text('tr')).toMatch(/ş/);
    expect(text('tr')).toMatch(/ğ/);
    expect(text('tr')).toMatch(/İ/);
    expect(text('et')).toMatch(/õ/);
    expect(text('et')).toMatch(/ä/);
    expect(text('et')).toMatch(/ü/);
    // Offsets from the answer and epoch times both occur; some interim guesses too.
    expect(transcripts.some((e) => e.startMs < SEGMENT_OFFSET_LIMIT_MS)).toBe(true);
    expect(transcripts.some((e) => e.startMs >= SEGMENT_OFFSET_LIMIT_MS)).toBe(true);
    expect(transcripts.filter((e) => !e.final).length).toBeGreaterThan(50);
  });

  it('speaks only on answered calls, on the line: never before the answer, on hold, or after the transfer or end', () => {
    let checked = 0;
    for (const c of calls.values()) {
      if (c.talking.length === 0 && c.finals.length === 0) continue;
      expect(c.firstAnswerMs, c.callId).toBeDefined();
      for (const e of c.talking) {
        expect(inside(c.online, e.at), `${c.callId} talking at ${e.at}`).toBe(true);
        expect(strictlyInside(c.holds, e.at)).toBe(false);
      }
      for (const e of c.events) {
        if (e.type !== 'call.transcript') continue;
        for (const t of [e.at, absMs(c, e.startMs), absMs(c, e.endMs)]) {
          expect(inside(c.online, t), `${c.callId} segment "${e.text}" at ${t}`).toBe(true);
          expect(strictlyInside(c.holds, t)).toBe(false);
        }
      }
      checked++;
    }
    expect(checked).toBeGreaterThan(400);
    // Every answered call that stayed on the line a while has a conversation.
    const answered = [...calls.values()].filter((c) => c.online.some(([a, b]) => b - a > 30_000));
    expect(answered.every((c) => c.finals.length > 0)).toBe(true);
  });

  it('gives each turn a talking start and stop and one final segment over the same stretch; a handful to a few dozen segments a call', () => {
    for (const c of calls.values()) {
      if (c.finals.length === 0 || !c.over) continue;
      const stretches = new Set<string>();
      const open = new Map<string, number>();
      for (const e of c.talking) {
        if (e.talking) {
          expect(open.has(e.party), `${c.callId}: ${e.party} starts twice`).toBe(false);
          open.set(e.party, e.at);
        } else {
          expect(open.has(e.party), `${c.callId}: ${e.party} stops without a start`).toBe(true);
          stretches.add(`${e.party} ${open.get(e.party)} ${e.at}`);
          open.delete(e.party);
        }
      }
      expect(open.size, c.callId).toBe(0);
      for (const s of c.finals) expect(stretches.has(`${s.speaker} ${absMs(c, s.startMs)} ${absMs(c, s.endMs)}`), `${c.callId}: "${s.text}"`).toBe(true);
      expect(c.talking.length).toBe(2 * c.finals.length);
      expect(c.finals.length).toBeGreaterThanOrEqual(3);
      expect(c.finals.length).toBeLessThanOrEqual(60);
    }
    const counts = [...calls.values()].map((c) => c.finals.length).filter((n) => n > 0).sort((a, b) => a - b);
    const median = counts[Math.floor(counts.length / 2)];
    expect(median).toBeGreaterThanOrEqual(8);
    expect(median).toBeLessThanOrEqual(18);
  });

  it('greets with the agent\'s name and the company, and says no listed word but when a lapse is meant', () => {
    const lapsed = new Set(legs.filter((l) => l.lapses.length > 0).map((l) => l.callId));
    let clean = 0;
    for (const c of calls.values()) {
      if (c.finals.length === 0 || lapsed.has(c.callId)) continue;
      clean++;
      const first = c.finals.find((s) => s.speaker === 'agent');
      expect(first?.text).toContain(names.get(c.firstAgentId ?? ''));
      expect(first?.text).toContain(SIM_COMPANY_NAME);
      expect(says('greeting', first?.lang ?? 'en', first?.text ?? '')).toBe(true);
      for (const s of c.finals) {
        const lang = s.lang ?? 'en';
        expect(says('clarity', lang, s.text), s.text).toBe(false);
        expect(says('language', lang, s.text), s.text).toBe(false);
        // "I don't know" only with an offer to find out in the same breath.
        expect(says('dont-know', lang, s.text) && !says('find-out', lang, s.text), s.text).toBe(false);
      }
    }
    expect(clean).toBeGreaterThan(300);
  });

  it('makes every kind of lapse now and then, a few per cent of the calls each, and the events show exactly the lapses meant', () => {
    const meant = new Map<string, Set<ConversationLapse>>();
    for (const l of legs) for (const k of l.lapses) (meant.get(l.callId) ?? meant.set(l.callId, new Set()).get(l.callId)!).add(k);
    const perKind = new Map<ConversationLapse, number>(CONVERSATION_LAPSES.map((k) => [k, 0]));
    for (const ks of meant.values()) for (const k of ks) perKind.set(k, (perKind.get(k) ?? 0) + 1);
    const answered = [...calls.values()].filter((c) => c.finals.length > 0).length;
    for (const [kind, n] of perKind) {
      expect(n, kind).toBeGreaterThanOrEqual(3);
      expect(n / answered, kind).toBeLessThan(0.07);
    }
    expect(meant.size / answered).toBeLessThan(0.3);
    for (const c of calls.values()) {
      if (c.finals.length === 0 || c.lost || !c.over) continue;
      expect([...observedLapses(c, names)].sort(), c.callId).toEqual([...(meant.get(c.callId) ?? [])].sort());
    }
  });

  it('leaves the rest of the floor as it was: switched off, the same events but the conversation ones', () => {
    const raw: FloorEventInput[] = [];
    const sim = createSimulator({ seed: 1, conversations: false, emit: (b) => void raw.push(...b) }, T0);
    for (let t = T0; t <= T0 + 120 * 60_000; t += 10_000) sim.step(t);
    const strip = (e: FloorEvent | FloorEventInput) => JSON.stringify({ ...e, id: undefined });
    const without = raw.map((e) => parseEvent(e)).flatMap((r) => (r.ok ? [strip(r.event)] : []));
    expect(without.length).toBe(raw.length);
    expect(raw.some((e) => e.type === 'call.talking' || e.type === 'call.transcript')).toBe(false);
    expect(events.filter((e) => e.type !== 'call.talking' && e.type !== 'call.transcript').map(strip)).toEqual(without);
  });

  it('keeps to the rules at any speed: on the line only, durations divided by the speed', () => {
    const fast = run(4, 6, 20);
    expect(fast.bad).toEqual([]);
    const fc = callsOf(fast.events);
    let n = 0;
    for (const c of fc.values()) {
      for (const e of c.talking) {
        expect(inside(c.online, e.at)).toBe(true);
        expect(strictlyInside(c.holds, e.at)).toBe(false);
        n++;
      }
    }
    expect(n).toBeGreaterThan(1_000);
    const medianMs = (evs: FloorEvent[]) => {
      const d = evs.flatMap((e) => (e.type === 'call.transcript' && e.final ? [e.endMs - e.startMs] : [])).sort((a, b) => a - b);
      return d[Math.floor(d.length / 2)];
    };
    const ratio = medianMs(events) / medianMs(fast.events);
    expect(ratio).toBeGreaterThan(12);
    expect(ratio).toBeLessThan(30);
  });
});

describe('scriptLeg', () => {
  /** Random legs: short and long, with up to three holds, at speed 1 or 20. */
  function randomLeg(rnd: () => number, i: number): LegInput {
    const msPerSec = rnd() < 0.5 ? 1000 : 50;
    const fromMs = T0 + i * 10_000_000;
    const lenMs = Math.round((5 + rnd() * 2000) * msPerSec);
    const holds: SimHold[] = [];
    let cursor = fromMs + 25 * msPerSec;
    for (let h = Math.floor(rnd() * 4); h > 0; h--) {
      const start = cursor + Math.round((10 + rnd() * 200) * msPerSec);
      const end = start + Math.round((8 + rnd() * 120) * msPerSec);
      if (end >= fromMs + lenMs - 5 * msPerSec) break;
      holds.push({ startMs: start, endMs: end, asked: rnd() < 0.9 });
      cursor = end;
    }
    return {
      callId: `c${i}`,
      agentName: 'Ayşe Yılmaz',
      queueId: ['sales', 'support', 'billing', 'priority'][i % 4],
      lang: (['en', 'tr', 'et'] as const)[i % 3],
      answeredAtMs: fromMs - (i % 2) * 60_000,
      offsets: i % 5 !== 0,
      fromMs,
      toMs: fromMs + lenMs,
      holds,
      opening: (['greet', 'greet-again', 'mid-call'] as const)[i % 3],
      closing: i % 7 === 0 ? 'transfer' : 'goodbye',
      msPerSec,
      lapseRate: i % 4 === 0 ? 20 : 1,
    };
  }

  it('lays every turn inside the leg and outside its holds, in time order, for any length, hold pattern and speed', () => {
    const rnd = mulberry32(42);
    const wrong: string[] = [];
    let n = 0;
    for (let i = 0; i < 400; i++) {
      const leg = randomLeg(rnd, i);
      const { events } = scriptLeg(rnd, leg);
      if (events.length === 0) wrong.push(`${leg.callId}: nothing said`);
      const holds = leg.holds.map((h) => [h.startMs, h.endMs] as [number, number]);
      const abs = (ms: number) => (leg.offsets ? leg.answeredAtMs + ms : ms);
      for (const [k, e] of events.entries()) {
        n++;
        if (k > 0 && e.at < events[k - 1].at) wrong.push(`${leg.callId}: out of order at ${k}`);
        const times = e.type === 'call.transcript' ? [e.at, abs(e.startMs), abs(e.endMs)] : [e.at];
        for (const t of times) {
          if (t <= leg.fromMs || t >= leg.toMs) wrong.push(`${leg.callId}: ${e.type} at ${t} outside the leg`);
          if (strictlyInside(holds, t) || holds.some(([a, b]) => t === a || t === b)) wrong.push(`${leg.callId}: ${e.type} at ${t} on hold`);
        }
        const r = parseEvent({ id: 'x', ...e });
        if (!r.ok) wrong.push(`${leg.callId}: ${r.error}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(n).toBeGreaterThan(10_000);
  });

  it('is the same for the same draws', () => {
    const leg = randomLeg(mulberry32(1), 3);
    expect(scriptLeg(mulberry32(9), leg)).toEqual(scriptLeg(mulberry32(9), leg));
  });
});

describe('simulator taking over a floor with conversations under way', () => {
  it('ends the speech a restart cut off and carries the conversation on after the start instant', () => {
    const state: FloorState = createFloorState({ ...defaultConfig(), timeZone: 'UTC' }, 0);
    const sim = createSimulator(
      {
        seed: 7,
        emit: (b) => {
          for (const raw of b) {
            const r = parseEvent(raw);
            if (!r.ok) throw new Error(r.error);
            applyEvent(state, r.event);
          }
        },
      },
      T0,
    );
    const end = T0 + 40 * 60_000 + 3_210;
    for (let t = T0; t <= end; t += 1_000) {
      sim.step(t);
      if (t % 10_000 === 0) tick(state, t);
    }
    const talkingCalls = [...state.liveCalls].flatMap((id) => state.calls.get(id) ?? []).filter((c) => c.status === 'talking');
    expect(talkingCalls.length).toBeGreaterThan(3);
    const cut = talkingCalls.flatMap((c) => (['agent', 'caller'] as const).filter((p) => c.conversation?.[p].talkingSinceMs !== undefined).map((p) => `${c.callId} ${p}`));
    expect(cut.length).toBeGreaterThan(0);
    const got: FloorEvent[] = [];
    const next = createSimulator({ seed: 8, resume: state, emit: (b) => void got.push(...b.map((e) => parseEvent(e)).flatMap((r) => (r.ok ? [r.event] : []))) }, end);
    next.step(end);
    expect(got).toEqual([]);
    for (let t = end; t <= end + 10 * 60_000; t += 1_000) next.step(t);
    expect(got.every((e) => e.at > end)).toBe(true);
    for (const c of talkingCalls) {
      const said = got.filter((e): e is Transcript => e.type === 'call.transcript' && e.callId === c.callId && e.final);
      expect(said.length, c.callId).toBeGreaterThan(0);
    }
    for (const k of cut) {
      const [callId, party] = k.split(' ');
      const stop = got.find((e) => e.type === 'call.talking' && e.callId === callId && e.party === party);
      expect(stop && stop.type === 'call.talking' && stop.talking, k).toBe(false);
    }
  });
});

describe('simulator conversations through the engine', () => {
  /** The rule each lapse breaks. */
  const RULE_OF: Record<ConversationLapse, RuleId> = {
    'greeting-late': 'greeting',
    'greeting-unnamed': 'greeting',
    clarity: 'clarity',
    language: 'language',
    'dont-know': 'dont-know',
    'dead-air': 'dead-air',
    'talk-over': 'talk-over',
  };
  const CONVERSATION_RULES: RuleId[] = ['greeting', 'clarity', 'language', 'dont-know', 'dead-air', 'talk-over'];

  /**
   * Two hours of the demo floor (its settings name the company, as `npm start` does) folded by the
   * engine with a tick every second, as the server runs it: every alert it raised (its last state), and the legs.
   */
  function floorRun(seed: number, minutes: number): { alerts: Map<string, Alert>; legs: Leg[]; events: FloorEvent[] } {
    const state = createFloorState({ ...defaultConfig(), timeZone: 'UTC', companyNames: [SIM_COMPANY_NAME] }, 0);
    const alerts = new Map<string, Alert>();
    const legs: Leg[] = [];
    const events: FloorEvent[] = [];
    const sim = createSimulator(
      {
        seed,
        onConversation: (l) => legs.push(l),
        emit: (b) => {
          for (const raw of b) {
            const r = parseEvent(raw);
            if (!r.ok) throw new Error(r.error);
            events.push(r.event);
            applyEvent(state, r.event);
          }
        },
      },
      T0,
    );
    for (let t = T0; t <= T0 + minutes * 60_000; t += 1_000) {
      sim.step(t);
      tick(state, t);
      for (const a of drainChanges(state).alerts) alerts.set(a.id, a);
    }
    return { alerts, legs, events };
  }

  const { alerts, legs, events } = floorRun(1, 120);
  const raised = [...alerts.values()].filter((a) => a.status !== 'retracted' && CONVERSATION_RULES.includes(a.ruleId));

  it('raises alerts of each of the six conversation rules', () => {
    const byRule = new Map<string, number>();
    for (const a of raised) byRule.set(a.ruleId, (byRule.get(a.ruleId) ?? 0) + 1);
    for (const rule of CONVERSATION_RULES) expect(byRule.get(rule) ?? 0, rule).toBeGreaterThanOrEqual(1);
    // dead-air both ways: a warning (15 s) and a breach (30 s).
    expect(raised.some((a) => a.ruleId === 'dead-air' && a.level === 'warn')).toBe(true);
    expect(raised.some((a) => a.ruleId === 'dead-air' && a.level === 'breach')).toBe(true);
  });

  it('raises on each call exactly the conversation rules its lapses break: none on a call without a lapse', () => {
    const calls = callsOf(events);
    const meant = new Map<string, Set<RuleId>>();
    for (const l of legs) for (const k of l.lapses) (meant.get(l.callId) ?? meant.set(l.callId, new Set()).get(l.callId)!).add(RULE_OF[k]);
    const got = new Map<string, Set<RuleId>>();
    for (const a of raised) if (a.callId !== undefined) (got.get(a.callId) ?? got.set(a.callId, new Set()).get(a.callId)!).add(a.ruleId);
    let clean = 0;
    let lapsed = 0;
    for (const c of calls.values()) {
      // A call whose end was lost stays "on the line" in silence until the loss is known: dead air, rightly.
      if (c.finals.length === 0 || !c.over || c.lost) continue;
      const want = [...(meant.get(c.callId) ?? [])].sort();
      expect([...(got.get(c.callId) ?? [])].sort(), c.callId).toEqual(want);
      if (want.length === 0) clean++;
      else lapsed++;
    }
    expect(clean).toBeGreaterThan(300);
    expect(lapsed).toBeGreaterThan(30);
  });
});
