/**
 * The built-in simulator of a busy floor: Poisson arrivals per queue, agents
 * serving one to three queues each, realistic talk, hold, wrap-up and breaks,
 * parallel rings on the priority queue, conversations on answered calls
 * (transcripts and talk detection in en, tr and et: server/sim-conversation.ts),
 * and occasional etiquette lapses of every kind. It is a producer like any
 * other: its events go through the same ingest path.
 *
 * Time: the simulated floor lives on the server's clock. Every event is
 * stamped with the instant it falls due on that clock and is sent at the
 * first step at or after it, so no event is ever ahead of the clock it is
 * emitted by (the ingest rejects events too far ahead, and the engine's clock
 * never runs backwards). `speed` N makes the floor N times busier and faster:
 * every duration (arrival gaps, rings, talk, holds, wrap-up, breaks, patience,
 * callback and voicemail delays) is divided by N. There is no virtual clock.
 *
 * Deterministic: the same seed and the same `step` times give the same events.
 * `step` has no timers; `start` drives it from a clock.
 */
import type { FloorEventInput } from '../shared/events.ts';
import type { AgentState, FloorState } from '../shared/state.ts';
import type { IngestResult } from '../shared/wire.ts';
import { MAX_BATCH_EVENTS, type IngestSource } from './ingest.ts';
import { mulberry32 as prng } from '../shared/random.ts';
import { type ConversationLapse, type SimHold, type SimLang, SIM_LANGS, scriptLeg } from './sim-conversation.ts';

export interface SimQueue {
  id: string;
  callsPerHour: number;
  /** Share of this queue's callers who leave a voicemail instead of waiting, 0..1. */
  voicemailShare?: number;
  /** Rings every free member at once (Asterisk `ringall`), up to three; the first to answer takes the call. */
  ringAll?: boolean;
}

export interface SimulatorOptions {
  seed?: number;
  agents?: number;
  queues?: SimQueue[];
  teams?: string[];
  /** The floor runs this many times busier and faster: every duration is divided by it (default 1). Times stay the clock's. */
  speed?: number;
  /** Multiplier on the probability of etiquette lapses. */
  lapseRate?: number;
  /**
   * Whether answered calls carry a conversation (`call.talking`, `call.transcript`; default true).
   * Off, the floor is the same call for call without them (their draws are a stream of their own):
   * for tests and benchmarks of other things that need not carry four times the events.
   */
  conversations?: boolean;
  /**
   * The floor a previous run left in the log (the engine's state after the
   * replay): its agents, calls, voicemails and callbacks are taken over and
   * carried on, with nothing emitted at the start instant, so a restart
   * changes no figure and no alert. When the floor was left for longer than
   * {@link STALE_FLOOR_MS}, its open calls are closed as "end lost" and its
   * agents signed off at the last moment it was seen, and a fresh floor starts.
   */
  resume?: FloorState;
  emit: (events: FloorEventInput[]) => void | Promise<unknown>;
  /**
   * Told of every agent's part of a call the simulator scripts a conversation for (server/sim-conversation.ts),
   * when it is scripted (its events are still to come): the call, the agent, the language and the lapses it
   * holds (none on most). For tests and diagnostics; the floor is the same without it.
   */
  onConversation?: (leg: { callId: string; agentId: string; lang: SimLang; lapses: readonly ConversationLapse[] }) => void;
}

export interface Simulator {
  /**
   * Runs the floor up to `nowMs` (the server's clock), emitting every event due
   * by then in one batch, in time order, each stamped with the instant it fell
   * due (never after `nowMs`). Returns what `emit` returned.
   */
  step(nowMs: number): void | Promise<unknown>;
  /** Drives `step` from a clock, four times a second, from where it stands. */
  start(clock: { now(): number }): () => void;
  readonly stats: { emitted: number };
}

/**
 * ~300 calls an hour at ~6.5 min handle time keeps 40 agents about 85 % busy:
 * a realistic floor where queues form now and then.
 */
export const DEFAULT_QUEUES: SimQueue[] = [
  { id: 'sales', callsPerHour: 95 },
  { id: 'support', callsPerHour: 115, voicemailShare: 0.03 },
  { id: 'billing', callsPerHour: 55, voicemailShare: 0.05 },
  { id: 'priority', callsPerHour: 30, ringAll: true },
];
export const DEFAULT_TEAMS = ['north', 'south', 'east', 'west'];
/** How often `start` advances the simulation: 4 Hz keeps timers smooth without flooding ingest. */
const DRIVE_MS = 250;
/** Ring cadence the simulated phones use, s (matches the default rule config). */
const RING_SEC = 6;
/** Headset level meters report every 2.5 s (a sensor's rate, not a floor duration: not scaled by speed). */
const VOLUME_SAMPLE_MS = 2_500;
/** Most agents a ringall queue rings at once. */
const RING_ALL_MAX = 3;
/**
 * A floor left without a single event for longer than this (real time: the
 * server was down) is not carried on: its calls' ends were lost meanwhile.
 */
export const STALE_FLOOR_MS = 5 * 60_000;

const FIRST = ['Aino', 'Mehmet', 'Liis', 'Ayşe', 'Jaan', 'Elif', 'Kristjan', 'Zeynep', 'Mari', 'Emre', 'Kadri', 'Burak', 'Triin', 'Selin', 'Marko', 'Deniz', 'Kati', 'Can', 'Piret', 'Ece', 'Tiit', 'Hande', 'Reet', 'Oğuz', 'Ott', 'Sibel', 'Helen', 'Kerem', 'Anu', 'Merve', 'Peeter', 'Gül', 'Ly', 'Hakan', 'Eva', 'Serkan', 'Rein', 'Derya', 'Maarja', 'Tolga'];
const LAST = ['Tamm', 'Yılmaz', 'Saar', 'Kaya', 'Sepp', 'Demir', 'Mägi', 'Şahin', 'Kask', 'Çelik', 'Kukk', 'Aydın', 'Rebane', 'Öztürk', 'Ilves', 'Arslan', 'Pärn', 'Doğan', 'Koppel', 'Kılıç'];

interface Action {
  at: number;
  seq: number;
  run: () => void;
}

/** Binary min-heap of actions by time, then insertion order (stable). */
class Agenda {
  private heap: Action[] = [];
  private seq = 0;
  push(at: number, run: () => void): void {
    const h = this.heap;
    h.push({ at, seq: this.seq++, run });
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (less(h[p], h[i])) break;
      [h[p], h[i]] = [h[i], h[p]];
      i = p;
    }
  }
  peek(): Action | undefined {
    return this.heap[0];
  }
  pop(): Action | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && less(h[l], h[m])) m = l;
        if (r < h.length && less(h[r], h[m])) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i], h[m]];
        i = m;
      }
    }
    return top;
  }
}
function less(a: Action, b: Action): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

interface SimAgent {
  id: string;
  name: string;
  team: string;
  queues: string[];
  state: 'available' | 'busy' | 'wrapup' | 'away';
  idleSinceMs: number;
}

interface SimCall {
  id: string;
  queueId: string;
  queuedAtMs: number;
  /** When the caller gives up if nobody has answered by then. */
  abandonAtMs: number;
  /** Ringing or connected: out of the waiting list. */
  picked: boolean;
  /** Agents that already let this call ring out. */
  skipped: Set<string>;
  /** The caller's number: one who hangs up is called back (the worklist). */
  caller?: string;
  /** The conversation once answered: kept across transfers (same caller, same language, offsets from the first answer). */
  talk?: CallTalk;
}

/** What a call's conversation keeps from one agent's part to the next. */
interface CallTalk {
  lang: SimLang;
  /** The call's first answer, epoch ms: transcript offsets count from it. */
  answeredAtMs: number;
  /** Transcript times as offsets from the answer, else epoch ms (both forms, as engines send them). */
  offsets: boolean;
}

interface OpenRing {
  agent: SimAgent;
  /** When this ring would time out or be answered. */
  endAt: number;
  noAnswer: boolean;
}

/** Builds a simulator whose floor starts at `startMs` (a past instant for a warm-up). */
export function createSimulator(opts: SimulatorOptions, startMs: number): Simulator {
  const seed = opts.seed ?? 1;
  const rnd = prng(seed);
  /** Draws of the conversations (issue 18), a stream of their own so the floor's other draws stay as they were. */
  const talkRnd = prng(seed ^ 0x7a1c5eed);
  const conversations = opts.conversations ?? true;
  const lapse = opts.lapseRate ?? 1;
  const speed = opts.speed ?? 1;
  if (!(speed > 0) || !Number.isFinite(speed)) throw new Error(`speed: expected a positive number, got ${speed}`);
  // The default queues are sized for 40 agents: a bigger floor gets proportionally more callers.
  const scale = (opts.agents ?? 40) / 40;
  const queues = opts.queues ?? DEFAULT_QUEUES.map((q) => ({ ...q, callsPerHour: q.callsPerHour * scale }));
  const teams = opts.teams ?? DEFAULT_TEAMS;
  const agenda = new Agenda();
  const stats = { emitted: 0 };
  let out: FloorEventInput[] = [];
  let n = 0;
  /** The latest instant stepped to: actions are scheduled at or after it (but for closing a stale floor at its last-seen time). */
  let simNow = startMs;
  let callNo = 0;
  let vmNo = 0;
  let cbNo = 0;

  const chance = (p: number) => rnd() < p;
  const lapseChance = (p: number) => rnd() < p * lapse;
  const between = (lo: number, hi: number) => lo + rnd() * (hi - lo);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)];
  const exp = (meanSec: number) => -Math.log(1 - rnd()) * meanSec;
  /** Log-normal with the given median (s) and spread. */
  const lognormal = (medianSec: number, sigma: number) => {
    const u = 1 - rnd();
    const v = rnd();
    const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    return medianSec * Math.exp(sigma * z);
  };
  /** A floor duration of `s` seconds, in ms on the clock: divided by the speed, at least 1 ms. */
  const sec = (s: number) => Math.max(1, Math.round((s * 1000) / speed));
  /** A shift of `s` seconds (may be negative), in ms on the clock. */
  const shift = (s: number) => Math.round((s * 1000) / speed);
  /** Schedules an action, never before the instant already stepped to. */
  const at = (t: number, run: (t: number) => void) => {
    const when = Math.max(t, simNow);
    agenda.push(when, () => run(when));
  };

  function emit(t: number, e: Record<string, unknown>): void {
    out.push({ id: `sim-${seed}-${++n}`, at: t, ...e } as FloorEventInput);
  }

  // ------------------------------------------------------------ agents
  const count = opts.agents ?? 40;
  const agents: SimAgent[] = [];
  for (let i = 0; i < count; i++) {
    const own = queues.filter(() => chance(0.45)).map((q) => q.id);
    const qs = own.length > 0 ? own.slice(0, 3) : [queues[i % queues.length].id];
    agents.push({
      id: String(1001 + i),
      name: `${FIRST[i % FIRST.length]} ${LAST[(i * 7 + Math.floor(i / FIRST.length)) % LAST.length]}`,
      team: teams[i % teams.length],
      queues: qs,
      state: 'away',
      idleSinceMs: startMs,
    });
  }
  // Make sure every queue has someone serving it.
  for (const q of queues) if (!agents.some((a) => a.queues.includes(q.id)) && agents.length) agents[0].queues.push(q.id);
  const queueById = new Map(queues.map((q) => [q.id, q]));

  const waiting = new Map<string, SimCall[]>();
  for (const q of queues) waiting.set(q.id, []);
  const waitingIn = (queueId: string): SimCall[] => {
    let list = waiting.get(queueId);
    if (!list) waiting.set(queueId, (list = []));
    return list;
  };

  function setAgent(a: SimAgent, t: number, state: 'available' | 'wrapup' | 'away' | 'offline', reason?: string): void {
    const e: Record<string, unknown> = { type: 'agent.state', agentId: a.id, state };
    if (reason) e.reason = reason;
    emit(t, e);
  }

  /** An agent's first sign-in on this floor, with name, team and queues. */
  function signIn(a: SimAgent, from: number): void {
    at(from + sec(between(0, 20)), (t) => {
      emit(t, { type: 'agent.state', agentId: a.id, state: 'available', name: a.name, team: a.team, queues: a.queues });
      a.state = 'available';
      a.idleSinceMs = t;
      dispatch(t);
    });
  }

  // ------------------------------------------------------------ arrivals
  function arrivals(q: SimQueue, from: number): void {
    const next = (t0: number) => {
      at(t0 + sec(exp(3600 / q.callsPerHour)), (t) => {
        arrive(q, t);
        next(t);
      });
    };
    next(from);
  }

  /** The caller's patience runs out at `call.abandonAtMs` unless someone picked the call up by then. */
  function patience(call: SimCall): void {
    at(call.abandonAtMs, (t) => {
      if (call.picked) return;
      const list = waitingIn(call.queueId);
      const i = list.indexOf(call);
      if (i < 0) return;
      list.splice(i, 1);
      emit(t, { type: 'call.abandoned', callId: call.id });
      callBack(call, t);
    });
  }

  function arrive(q: SimQueue, t: number): void {
    if (q.voicemailShare && chance(q.voicemailShare)) {
      leaveVoicemail(q.id, t);
      return;
    }
    const call: SimCall = {
      id: `sim-${seed}-c${++callNo}`,
      queueId: q.id,
      queuedAtMs: t,
      abandonAtMs: t + sec(chance(0.08) ? between(1, 4.5) : exp(150) + 10),
      picked: false,
      skipped: new Set(),
    };
    call.caller = `+372 5${String(Math.floor(rnd() * 1e7)).padStart(7, '0')}`;
    emit(t, { type: 'call.queued', callId: call.id, queueId: q.id, caller: call.caller });
    waitingIn(q.id).push(call);
    patience(call);
    dispatch(t);
  }

  function leaveVoicemail(queueId: string, t: number): void {
    const id = `sim-${seed}-vm${++vmNo}`;
    emit(t, { type: 'voicemail.left', voicemailId: id, queueId });
    if (!lapseChance(0.12)) returnVoicemail(id, queueId, t + sec(exp(5400) + 300));
  }

  function returnVoicemail(id: string, queueId: string | undefined, when: number): void {
    at(when, (t) => {
      const a = queueId === undefined ? undefined : pick(agents.filter((x) => x.queues.includes(queueId)));
      emit(t, { type: 'voicemail.returned', voicemailId: id, ...(queueId === undefined ? {} : { queueId }), ...(a ? { agentId: a.id } : {}) });
    });
  }

  const free = (a: SimAgent, queueId: string, call: SimCall) => a.state === 'available' && a.queues.includes(queueId) && !call.skipped.has(a.id);
  const longerIdle = (a: SimAgent, b: SimAgent) => a.idleSinceMs - b.idleSinceMs;

  /** Matches waiting calls (oldest first) with available agents (longest idle first). */
  function dispatch(t: number): void {
    for (;;) {
      let best: { call: SimCall; agent: SimAgent } | undefined;
      for (const [qid, list] of waiting) {
        const call = list[0];
        if (!call) continue;
        if (best && best.call.queuedAtMs <= call.queuedAtMs) continue;
        let agent: SimAgent | undefined;
        for (const a of agents) {
          if (!free(a, qid, call)) continue;
          if (!agent || a.idleSinceMs < agent.idleSinceMs) agent = a;
        }
        if (agent) best = { call, agent };
      }
      if (!best) return;
      const { call, agent } = best;
      waitingIn(call.queueId).shift();
      call.picked = true;
      const group = queueById.get(call.queueId)?.ringAll
        ? agents.filter((a) => free(a, call.queueId, call)).sort(longerIdle).slice(0, RING_ALL_MAX)
        : [agent];
      ring(call, group, t);
    }
  }

  /**
   * Rings one agent, or several at once (ringall). Each ring has its own end:
   * the first agent to answer takes the call and the other rings are cut off
   * (`canceled`); a ring that runs out before that times out on its agent
   * (`no-answer`); a caller who hangs up first cuts off every open ring.
   */
  function ring(call: SimCall, group: SimAgent[], t: number): void {
    const rings: OpenRing[] = group.map((a) => {
      a.state = 'busy';
      emit(t, { type: 'call.ringing', callId: call.id, agentId: a.id });
      const noAnswer = lapseChance(0.025);
      const slow = lapseChance(0.04);
      const ringSec = noAnswer ? between(20, 26) : slow ? between(RING_SEC * 3 + 0.5, RING_SEC * 4.5) : between(2, RING_SEC * 2 - 0.5);
      return { agent: a, noAnswer, endAt: t + sec(ringSec) };
    });
    let answering: OpenRing | undefined;
    for (const r of rings) if (!r.noAnswer && (!answering || r.endAt < answering.endAt)) answering = r;
    const decidedAt = Math.min(answering?.endAt ?? Infinity, call.abandonAtMs);
    const open = new Set(rings);
    /** Cuts off every open ring but `keep` (reported before the answer or hang-up that cut them); the agents are freed by `then`. */
    const cutOff = (when: number, keep: OpenRing | undefined, then: () => void) => {
      const freed: SimAgent[] = [];
      for (const r of open) {
        if (r === keep) continue;
        emit(when, { type: 'call.ring-ended', callId: call.id, agentId: r.agent.id, outcome: 'canceled' });
        freed.push(r.agent);
      }
      open.clear();
      then();
      for (const a of freed) becomeAvailable(a, when, true);
    };
    for (const r of rings) {
      if (!r.noAnswer || r.endAt >= decidedAt) continue;
      // Rang out on this agent before anyone answered: the caller waits on, to ring someone else.
      at(r.endAt, (te) => {
        open.delete(r);
        emit(te, { type: 'call.ring-ended', callId: call.id, agentId: r.agent.id, outcome: 'no-answer' });
        call.skipped.add(r.agent.id);
        if (open.size === 0) {
          call.picked = false;
          // The caller's patience (scheduled on arrival, after this ring's end) still runs.
          waitingIn(call.queueId).unshift(call);
        }
        becomeAvailable(r.agent, te, true);
      });
    }
    if (call.abandonAtMs < (answering?.endAt ?? Infinity)) {
      // The caller gives up while it rings.
      at(call.abandonAtMs, (ta) => {
        if (open.size === 0) return; // every ring ran out first: the caller is back in the queue
        cutOff(ta, undefined, () => {
          emit(ta, { type: 'call.abandoned', callId: call.id });
          callBack(call, ta);
        });
      });
      return;
    }
    if (!answering) return;
    const r = answering;
    at(r.endAt, (ta) => {
      const answered: Record<string, unknown> = { type: 'call.answered', callId: call.id, agentId: r.agent.id };
      // Rings as a phone counts them: from the ring's real length on the clock, at the real cadence.
      if (chance(0.3)) answered.ringCount = Math.floor((ta - t) / 1000 / RING_SEC) + 1;
      cutOff(ta, r, () => emit(ta, answered));
      talk(call, r.agent, ta);
    });
  }

  function talk(call: SimCall, a: SimAgent, t: number): void {
    const again = call.talk !== undefined;
    call.talk ??= newTalk(t);
    const fullSec = lapseChance(0.005) ? between(1700, 2100) : lapseChance(0.02) ? between(830, 1200) : Math.min(lognormal(290, 0.5), 1500);
    // Now and then the call is transferred instead of finished here: this agent's part ends then.
    const transferAt = chance(0.04) && fullSec > 90 ? t + sec(between(45, fullSec - 10)) : undefined;
    const endAt = transferAt ?? t + sec(fullSec);
    carryOn(call, a, t, endAt, transferAt !== undefined, again ? 'greet-again' : 'greet');
  }

  /** A call's conversation from its first answer at `answeredAtMs`: the caller's language, the transcript's time form. */
  function newTalk(answeredAtMs: number): CallTalk {
    const lang = SIM_LANGS[Math.floor(talkRnd() * SIM_LANGS.length)];
    return { lang, answeredAtMs, offsets: talkRnd() < 0.8 };
  }

  /** Schedules the conversation of an agent's part of a call, from `fromMs` to `toMs` around its holds. */
  function converse(call: SimCall, a: SimAgent, fromMs: number, toMs: number, holds: SimHold[], opening: 'greet' | 'greet-again' | 'mid-call', closing: 'goodbye' | 'transfer'): void {
    if (!conversations) return;
    const ct = (call.talk ??= newTalk(fromMs));
    const leg = scriptLeg(talkRnd, {
      callId: call.id,
      agentName: a.name,
      queueId: call.queueId,
      lang: ct.lang,
      answeredAtMs: ct.answeredAtMs,
      offsets: ct.offsets,
      fromMs,
      toMs,
      holds,
      opening,
      closing,
      msPerSec: 1000 / speed,
      lapseRate: lapse,
    });
    for (const { at: when, ...e } of leg.events) at(when, (t) => emit(t, e));
    opts.onConversation?.({ callId: call.id, agentId: a.id, lang: ct.lang, lapses: leg.lapses });
  }

  /** Holds, conversation, speaker, voice level and escalations of an agent's part of a call from `t` to `endAt`, then its end or transfer. */
  function carryOn(call: SimCall, a: SimAgent, t: number, endAt: number, transfers: boolean, opening: 'greet' | 'greet-again'): void {
    const talkMs = endAt - t;
    // Holds, spread through the call.
    const holds = lapseChance(0.02) ? 3 : chance(0.1) ? 2 : chance(0.3) ? 1 : 0;
    const held: SimHold[] = [];
    let cursor = t + sec(15);
    for (let i = 0; i < holds; i++) {
      const start = cursor + Math.round(between(sec(10), Math.max(sec(11), talkMs / (holds + 1))));
      const len = sec(lapseChance(0.02) ? between(92, 130) : lapseChance(0.05) ? between(47, 85) : between(8, 40));
      if (start + len >= endAt - sec(5)) break;
      const asked = !lapseChance(0.05);
      at(start, (th) => emit(th, { type: 'call.hold', callId: call.id, askedPermission: asked }));
      at(start + len, (tu) => emit(tu, { type: 'call.unhold', callId: call.id }));
      held.push({ startMs: start, endMs: start + len, asked });
      cursor = start + len;
    }
    // What is said, between the holds.
    converse(call, a, t, endAt, held, opening, transfers ? 'transfer' : 'goodbye');
    // Speakerphone.
    if (chance(0.08) || lapseChance(0.02)) {
      const on = t + sec(between(5, 30));
      const len = sec(lapseChance(0.25) ? between(65, 140) : between(10, 50));
      const off = Math.min(on + len, endAt - 1);
      if (off > on) {
        at(on, (ts) => emit(ts, { type: 'call.speaker', callId: call.id, on: true }));
        at(off, (ts) => emit(ts, { type: 'call.speaker', callId: call.id, on: false }));
      }
    }
    // Voice level samples on some headsets, with a loud stretch now and then.
    if (chance(0.06)) {
      const loudFrom = lapseChance(0.3) ? t + Math.round(between(sec(20), Math.max(sec(21), talkMs - sec(30)))) : Infinity;
      const loudTo = loudFrom + sec(between(7.5, 15));
      for (let s = t + VOLUME_SAMPLE_MS; s < endAt - 1; s += VOLUME_SAMPLE_MS) {
        const loud = s >= loudFrom && s <= loudTo;
        const dbfs = loud ? between(-9.5, -4) : between(-32, -18);
        at(s, (tv) => emit(tv, { type: 'call.volume', callId: call.id, dbfs: Math.round(dbfs * 10) / 10 }));
      }
    }
    // Escalations.
    if (lapseChance(0.025)) {
      const first = t + Math.round(between(sec(30), Math.max(sec(31), talkMs / 2)));
      at(first, (te) => emit(te, { type: 'call.escalation', callId: call.id }));
      if (chance(0.35)) {
        const second = first + sec(between(20, 90));
        if (second < endAt) at(second, (te) => emit(te, { type: 'call.escalation', callId: call.id }));
      }
    }
    if (transfers) at(endAt, (te) => transfer(call, a, te));
    else at(endAt, (te) => finish(call, a, te));
  }

  function transfer(call: SimCall, a: SimAgent, t: number): void {
    const asked = !lapseChance(0.15);
    const mode = chance(0.6) ? 'blind' : 'attended';
    const target = agents.find((x) => x.state === 'available' && x.id !== a.id && chance(0.5));
    if (target && chance(0.4)) {
      emit(t, { type: 'call.transferred', callId: call.id, toAgentId: target.id, askedPermission: asked, mode });
      target.state = 'busy';
      at(t + sec(between(3, 10)), (ta) => {
        emit(ta, { type: 'call.answered', callId: call.id, agentId: target.id });
        talk({ ...call, skipped: new Set() }, target, ta);
      });
    } else {
      const others = queues.filter((q) => q.id !== call.queueId);
      const q = others.length ? pick(others) : queues[0];
      emit(t, { type: 'call.transferred', callId: call.id, toQueueId: q.id, askedPermission: asked, mode });
      const moved: SimCall = { id: call.id, queueId: q.id, queuedAtMs: t, abandonAtMs: t + sec(exp(200) + 30), picked: false, skipped: new Set(), talk: call.talk };
      waitingIn(q.id).push(moved);
      patience(moved);
    }
    wrapUp(a, t);
    dispatch(t);
  }

  function finish(call: SimCall, a: SimAgent, t: number): void {
    if (lapseChance(0.004)) {
      // The end never reaches us (a lost BYE); a reconcile later no longer finds the call.
      const why = 'the PBX no longer lists the call';
      at(t + sec(between(20, 120)), (tl) => emit(tl, { type: 'call.lost', callId: call.id, reason: why }));
    } else {
      emit(t, { type: 'call.ended', callId: call.id, by: chance(0.6) ? 'caller' : 'agent', notes: !lapseChance(0.04) });
    }
    if (chance(0.05)) scheduleCallback(a, t);
    wrapUp(a, t);
  }

  function wrapUp(a: SimAgent, t: number): void {
    a.state = 'wrapup';
    setAgent(a, t, 'wrapup');
    afterWrapUp(a, t + sec(between(20, 90)));
  }

  /** The end of an agent's wrap-up: back to the queue, or now and then a break first. */
  function afterWrapUp(a: SimAgent, when: number): void {
    at(when, (t) => {
      if (chance(0.035)) {
        a.state = 'away';
        // Breaks and lunches against their default limits (break 15 min, lunch 35; training none), written
        // as sources do ("Lunch", "BREAK" come normalised). Now and then one runs over: past the limit
        // (a warning) or past it by half (a breach), so the floor shows away-long at work.
        const reason = chance(0.6) ? pick(['break', 'Break', 'BREAK']) : chance(0.6) ? pick(['lunch', 'Lunch']) : 'training';
        const limitSec = reason.toLowerCase() === 'break' ? 900 : reason.toLowerCase() === 'lunch' ? 2100 : 1800;
        const awaySec = lapseChance(0.3) ? limitSec * (chance(0.5) ? between(1.02, 1.45) : between(1.55, 2)) : limitSec * between(0.3, 0.97);
        setAgent(a, t, 'away', reason);
        at(t + sec(awaySec), (tb) => becomeAvailable(a, tb));
      } else {
        becomeAvailable(a, t);
      }
    });
  }

  function becomeAvailable(a: SimAgent, t: number, quiet = false): void {
    a.state = 'available';
    a.idleSinceMs = t;
    if (!quiet) setAgent(a, t, 'available');
    dispatch(t);
  }

  function scheduleCallback(a: SimAgent, t: number): void {
    const id = `sim-${seed}-cb${++cbNo}`;
    const due = t + sec(between(600, 3600));
    emit(t, { type: 'callback.scheduled', callbackId: id, agentId: a.id, dueAt: due });
    if (lapseChance(0.03)) return; // forgotten
    const late = lapseChance(0.06);
    completeCallback(id, a.id, due, due + shift(late ? between(360, 900) : between(-120, 180)));
  }

  function completeCallback(id: string, agentId: string, due: number, when: number): void {
    at(when, (t) => emit(t, { type: 'callback.completed', callbackId: id, agentId, dueAt: due }));
  }

  /** Draws of the callbacks to abandoned callers, a stream of their own so the floor's other draws stay as they were. */
  const cbRnd = prng(seed ^ 0x0ca11bac);
  let obNo = 0;
  /**
   * A caller who hung up after waiting (not a short abandon, under 5 s) is called back by an agent
   * (`call.outbound`, issue 15's worklist): most within 25 minutes; now and then late enough to warn
   * (abandon-callback, 30 min) or breach (60 min); a quarter after a first try nobody answered; a
   * few never (the item stays on the worklist and its breach stands).
   */
  function callBack(call: SimCall, t: number): void {
    if (call.caller === undefined || t - call.queuedAtMs < sec(5)) return;
    if (cbRnd() < 0.05 * lapse) return;
    const agent = agents[Math.floor(cbRnd() * agents.length)];
    if (!agent) return;
    const late = cbRnd() < 0.2 * lapse;
    let when = t + sec(late ? cbBetween(1900, 4300) : cbBetween(240, 1500));
    const dial = (answered: boolean) => (ta: number) => emit(ta, { type: 'call.outbound', callId: `sim-${seed}-ob${++obNo}`, to: call.caller as string, agentId: agent.id, answered });
    if (cbRnd() < 0.25) {
      at(when, dial(false));
      when += sec(cbBetween(300, 900));
    }
    at(when, dial(true));
  }
  /** A uniform draw in [lo, hi) from the callbacks' own stream. */
  function cbBetween(lo: number, hi: number): number {
    return lo + cbRnd() * (hi - lo);
  }

  // ------------------------------------------------------------ a floor taken over from a previous run
  /** Agents the previous run left signed in, taken over as they stand (no sign-in event). */
  const known = new Set<string>();

  /**
   * Carries on the floor a previous run of the simulator left: only its own
   * calls (ids `sim-…`), voicemails, callbacks and agents (the roster, or an
   * agent on one of its calls); another producer's are left alone. Nothing is
   * emitted at `startMs` itself: a restart on the same data changes nothing.
   */
  function takeOver(s: FloorState): void {
    const lastSeen = s.diagnostics.lastEventAtMs;
    const stale = lastSeen !== undefined && startMs - lastSeen > STALE_FLOOR_MS;
    const roster = new Map(agents.map((a) => [a.id, a]));
    const ours = (id: string) => id.startsWith('sim-');
    const calls = [...s.liveCalls]
      .flatMap((id) => s.calls.get(id) ?? [])
      .filter((c) => ours(c.callId))
      .sort((x, y) => (x.queuedAtMs ?? x.firstSeenMs) - (y.queuedAtMs ?? y.firstSeenMs));
    const onOurCall = (a: AgentState) => a.callId !== undefined && ours(a.callId) && s.liveCalls.has(a.callId);
    /** The simulated agent standing for an agent of the state (added to the floor when the roster lacks them), with the queues it had. */
    const agentFor = (agentId: string): SimAgent => {
      const prior = s.agents.get(agentId);
      let a = roster.get(agentId);
      if (!a) {
        a = { id: agentId, name: prior?.name ?? agentId, team: prior?.team ?? teams[0], queues: [queues[0].id], state: 'away', idleSinceMs: startMs };
        agents.push(a);
        roster.set(agentId, a);
      }
      if (prior && prior.queues.length > 0) a.queues = [...prior.queues];
      return a;
    };
    if (stale) {
      // The server was down: the calls' ends were lost meanwhile, and the agents went home. Both are
      // stamped at the last moment the floor was seen (the best-known time); a fresh floor then starts.
      const when = Math.min(lastSeen, startMs);
      agenda.push(when, () => {
        for (const c of calls) emit(when, { type: 'call.lost', callId: c.callId, reason: 'the simulator stopped with the server' });
        for (const a of s.agents.values()) if ((roster.has(a.agentId) || onOurCall(a)) && a.presence !== 'offline') emit(when, { type: 'agent.state', agentId: a.agentId, state: 'offline' });
      });
    } else {
      const ringing = new Map<string, SimAgent[]>();
      for (const prior of s.agents.values()) {
        if (prior.presence === 'offline' || !(roster.has(prior.agentId) || onOurCall(prior))) continue;
        const a = agentFor(prior.agentId);
        known.add(a.id);
        a.idleSinceMs = prior.presenceSinceMs;
        if (onOurCall(prior)) {
          a.state = 'busy';
          const c = s.calls.get(prior.callId as string);
          if (c?.status === 'ringing') ringing.set(c.callId, [...(ringing.get(c.callId) ?? []), a]);
        } else if (prior.presence === 'wrapup') {
          a.state = 'wrapup';
          afterWrapUp(a, startMs + sec(between(5, 60)));
        } else if (prior.presence === 'away') {
          a.state = 'away';
          at(startMs + sec(between(60, 600)), (t) => becomeAvailable(a, t));
        } else {
          a.state = 'available';
        }
      }
      for (const c of calls) {
        const queueId = c.queueId ?? queues[0].id;
        const call: SimCall = { id: c.callId, queueId, queuedAtMs: c.queuedAtMs ?? c.firstSeenMs, abandonAtMs: startMs + sec(exp(120) + 10), picked: true, skipped: new Set() };
        // A call answered before (talking, on hold, or transferred since) goes on in a language of its own, its offsets from that answer.
        if (c.answeredAtMs !== undefined) call.talk = newTalk(c.answeredAtMs);
        if (c.status === 'queued') {
          call.picked = false;
          waitingIn(queueId).push(call);
          patience(call);
        } else if (c.status === 'ringing') {
          // The ring (or rings) carry on: answered by the agent rung last, the others cut off.
          const group = ringing.get(c.callId) ?? (c.agentId !== undefined ? [agentFor(c.agentId)] : []);
          const answerer = group.find((a) => a.id === c.agentId) ?? group[0];
          if (!answerer) continue;
          answerer.state = 'busy';
          at(startMs + sec(between(1, 6)), (t) => {
            const others = group.filter((a) => a !== answerer);
            for (const a of others) emit(t, { type: 'call.ring-ended', callId: c.callId, agentId: a.id, outcome: 'canceled' });
            emit(t, { type: 'call.answered', callId: c.callId, agentId: answerer.id });
            for (const a of others) becomeAvailable(a, t, true);
            talk(call, answerer, t);
          });
        } else if ((c.status === 'talking' || c.status === 'hold') && c.agentId !== undefined) {
          const a = agentFor(c.agentId);
          a.state = 'busy';
          let from = startMs;
          if (c.status === 'hold') {
            from = startMs + sec(between(3, 30));
            at(from, (t) => emit(t, { type: 'call.unhold', callId: c.callId }));
          }
          const endAt = from + sec(between(20, 240));
          if (c.speakerOnMs !== undefined) at(endAt - 1, (t) => emit(t, { type: 'call.speaker', callId: c.callId, on: false }));
          // Speech the restart cut off ends; the conversation goes on from where it stood (no greeting).
          for (const party of ['agent', 'caller'] as const) {
            if (conversations && c.conversation?.[party].talkingSinceMs !== undefined) at(startMs + 1, (t) => emit(t, { type: 'call.talking', callId: c.callId, party, talking: false }));
          }
          converse(call, a, from, endAt, [], 'mid-call', 'goodbye');
          at(endAt, (t) => finish(call, a, t));
        }
      }
      // A waiting caller and a free agent left side by side are matched a moment after the start, never at it.
      at(startMs + 1, (t) => dispatch(t));
    }
    // Its voicemails and callbacks still open are answered in their time.
    for (const v of s.voicemails.values()) {
      if (v.returnedAtMs === undefined && ours(v.voicemailId)) returnVoicemail(v.voicemailId, v.queueId, startMs + sec(exp(1800) + 60));
    }
    for (const cb of s.callbacks.values()) {
      if (cb.completedAtMs !== undefined || !ours(cb.callbackId)) continue;
      const when = cb.dueAtMs > startMs ? cb.dueAtMs + shift(between(-120, 180)) : startMs + sec(between(5, 120));
      completeCallback(cb.callbackId, cb.agentId, cb.dueAtMs, Math.max(startMs + 1, when));
    }
  }

  if (opts.resume) takeOver(opts.resume);
  for (const a of agents) if (!known.has(a.id)) signIn(a, startMs);
  for (const q of queues) arrivals(q, startMs + sec(5));

  // ------------------------------------------------------------ driving
  function step(target: number): void | Promise<unknown> {
    for (;;) {
      const next = agenda.peek();
      if (!next || next.at > target) break;
      agenda.pop();
      simNow = Math.max(simNow, next.at);
      next.run();
    }
    simNow = Math.max(simNow, target);
    if (out.length === 0) return;
    const batch = out;
    out = [];
    // Every action emits at its own instant and actions run in time order: the batch is already
    // in time order; the sort (stable) only guards that.
    batch.sort((x, y) => (x.at as number) - (y.at as number));
    stats.emitted += batch.length;
    return opts.emit(batch);
  }

  function start(clock: { now(): number }): () => void {
    const timer = setInterval(() => {
      const now = clock.now();
      if (now > simNow) void step(now);
    }, DRIVE_MS);
    return () => clearInterval(timer);
  }

  return { step, start, stats };
}

// ---------------------------------------------------------------- wiring to a server

/** What the simulator needs of a Floorwatch node: its state after the replay, and its ingest. */
export interface SimulatorHost {
  /** Events replayed from the log at start: 0 is an empty log, a fresh floor. */
  readonly replayed: number;
  state(): FloorState;
  /** `source` names the simulator in the ingest counters (ingest.ts). */
  pipeline: { submit(input: unknown, source?: IngestSource): Promise<IngestResult> };
}

export interface FloorSimulatorOptions {
  /** The server's clock: every event is stamped at or before it. */
  clock: { now(): number };
  seed: number;
  agents: number;
  speed: number;
  /** On an empty log, the last this many minutes are simulated first, with their own (past) times. */
  warmupMin: number;
  lapseRate?: number;
  logger?: Pick<Console, 'warn'>;
}

/**
 * Puts a simulated floor on a node whose log has been replayed, without
 * driving it yet (`start` does): on an empty log, the warm-up's last
 * `warmupMin` minutes are simulated and ingested, in time order, every event
 * dated before the clock; on a log that already holds a floor, that floor is
 * taken over as it stands (see {@link SimulatorOptions.resume}).
 */
export async function openSimulator(host: SimulatorHost, o: FloorSimulatorOptions): Promise<Simulator & { warmupEvents: number }> {
  const logger = o.logger ?? console;
  const now = o.clock.now();
  const fresh = host.replayed === 0;
  const warmupMs = fresh ? Math.max(0, o.warmupMin) * 60_000 : 0;
  const sim = createSimulator(
    {
      seed: o.seed,
      agents: o.agents,
      speed: o.speed,
      lapseRate: o.lapseRate,
      resume: fresh ? undefined : host.state(),
      emit: (events) => submitAll(host, events, logger),
    },
    now - warmupMs,
  );
  // The warm-up goes in as one batch (slices submitted together are written and folded together):
  // no live tick evaluates the floor half-way through its past hour against the present clock.
  await sim.step(now);
  return Object.assign(sim, { warmupEvents: warmupMs > 0 ? sim.stats.emitted : 0 });
}

/** Submits events in slices of at most one batch each, all in the same turn, so they are folded together in order. */
async function submitAll(host: SimulatorHost, events: FloorEventInput[], logger: Pick<Console, 'warn'>): Promise<void> {
  const parts: Promise<void>[] = [];
  for (let i = 0; i < events.length; i += MAX_BATCH_EVENTS) {
    parts.push(
      host.pipeline.submit(events.slice(i, i + MAX_BATCH_EVENTS), 'simulator').then(
        (r) => {
          if (r.rejected.length) logger.warn(`simulator: ${r.rejected.length} events rejected: ${r.rejected[0].error}`);
        },
        (err: Error) => logger.warn(`simulator: events not ingested: ${err.message}`),
      ),
    );
  }
  await Promise.all(parts);
}
