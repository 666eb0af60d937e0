/**
 * The built-in simulator of a busy floor: Poisson arrivals per queue, agents
 * serving one to three queues each, realistic talk, hold, wrap-up and breaks,
 * and occasional etiquette lapses of every kind. It is a producer like any
 * other: its events go through the same ingest path.
 *
 * Deterministic: the same seed and the same `step` times give the same events.
 * `step` has no timers; `start` drives it from a clock.
 */
import type { FloorEventInput } from '../shared/events.ts';

export interface SimQueue {
  id: string;
  callsPerHour: number;
  /** Share of this queue's callers who leave a voicemail instead of waiting, 0..1. */
  voicemailShare?: number;
}

export interface SimulatorOptions {
  seed?: number;
  agents?: number;
  queues?: SimQueue[];
  teams?: string[];
  /** Simulated seconds per real second when driven by `start`. */
  speed?: number;
  /** Multiplier on the probability of etiquette lapses. */
  lapseRate?: number;
  emit: (events: FloorEventInput[]) => void | Promise<unknown>;
}

export interface Simulator {
  /** Advances the simulation to `simNowMs`, emitting every event due by then, in time order. */
  step(simNowMs: number): void;
  /** Drives `step` from a clock, `speed` simulated seconds per real second, from where it stands. */
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
  { id: 'priority', callsPerHour: 30 },
];
export const DEFAULT_TEAMS = ['north', 'south', 'east', 'west'];
/** How often `start` advances the simulation: 4 Hz keeps timers smooth without flooding ingest. */
const DRIVE_MS = 250;
/** Ring cadence the simulated phones use, s (matches the default rule config). */
const RING_SEC = 6;
/** Headset level meters report every 2.5 s: often enough to see a 5 s loud stretch. */
const VOLUME_SAMPLE_MS = 2_500;

const FIRST = ['Aino', 'Mehmet', 'Liis', 'Ayşe', 'Jaan', 'Elif', 'Kristjan', 'Zeynep', 'Mari', 'Emre', 'Kadri', 'Burak', 'Triin', 'Selin', 'Marko', 'Deniz', 'Kati', 'Can', 'Piret', 'Ece', 'Tiit', 'Hande', 'Reet', 'Oğuz', 'Ott', 'Sibel', 'Helen', 'Kerem', 'Anu', 'Merve', 'Peeter', 'Gül', 'Ly', 'Hakan', 'Eva', 'Serkan', 'Rein', 'Derya', 'Maarja', 'Tolga'];
const LAST = ['Tamm', 'Yılmaz', 'Saar', 'Kaya', 'Sepp', 'Demir', 'Mägi', 'Şahin', 'Kask', 'Çelik', 'Kukk', 'Aydın', 'Rebane', 'Öztürk', 'Ilves', 'Arslan', 'Pärn', 'Doğan', 'Koppel', 'Kılıç'];

/** mulberry32: small, fast, good enough for a simulation. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

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
  /** Set while the caller waits: cancelled when the call is picked up. */
  abandonAtMs: number;
  picked: boolean;
  /** Agents that already let this call ring out. */
  skipped: Set<string>;
}

/** Builds a simulator whose simulated clock starts at `startMs`. */
export function createSimulator(opts: SimulatorOptions, startMs: number): Simulator {
  const seed = opts.seed ?? 1;
  const rnd = prng(seed);
  const lapse = opts.lapseRate ?? 1;
  // The default queues are sized for 40 agents: a bigger floor gets proportionally more callers.
  const scale = (opts.agents ?? 40) / 40;
  const queues = opts.queues ?? DEFAULT_QUEUES.map((q) => ({ ...q, callsPerHour: q.callsPerHour * scale }));
  const teams = opts.teams ?? DEFAULT_TEAMS;
  const agenda = new Agenda();
  const stats = { emitted: 0 };
  let out: FloorEventInput[] = [];
  let n = 0;
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
  const sec = (s: number) => Math.round(s * 1000);

  function emit(at: number, e: Record<string, unknown>): void {
    out.push({ id: `sim-${seed}-${++n}`, at, ...e } as FloorEventInput);
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

  const waiting = new Map<string, SimCall[]>();
  for (const q of queues) waiting.set(q.id, []);

  function setAgent(a: SimAgent, at: number, state: 'available' | 'wrapup' | 'away' | 'offline', reason?: string): void {
    const e: Record<string, unknown> = { type: 'agent.state', agentId: a.id, state };
    if (reason) e.reason = reason;
    emit(at, e);
  }

  for (const a of agents) {
    const at = startMs + sec(between(0, 20));
    agenda.push(at, () => {
      emit(at, { type: 'agent.state', agentId: a.id, state: 'available', name: a.name, team: a.team, queues: a.queues });
      a.state = 'available';
      a.idleSinceMs = at;
      dispatch(at);
    });
  }

  // ------------------------------------------------------------ arrivals
  for (const q of queues) {
    const next = (from: number) => {
      const at = from + sec(exp(3600 / q.callsPerHour));
      agenda.push(at, () => {
        arrive(q, at);
        next(at);
      });
    };
    next(startMs + sec(5));
  }

  function arrive(q: SimQueue, at: number): void {
    if (q.voicemailShare && chance(q.voicemailShare)) {
      leaveVoicemail(q.id, at);
      return;
    }
    const call: SimCall = {
      id: `sim-${seed}-c${++callNo}`,
      queueId: q.id,
      queuedAtMs: at,
      abandonAtMs: at + sec(chance(0.08) ? between(1, 4.5) : exp(150) + 10),
      picked: false,
      skipped: new Set(),
    };
    emit(at, { type: 'call.queued', callId: call.id, queueId: q.id, caller: `+372 5${String(Math.floor(rnd() * 1e7)).padStart(7, '0')}` });
    waiting.get(q.id)?.push(call);
    agenda.push(call.abandonAtMs, () => {
      if (call.picked) return;
      const list = waiting.get(call.queueId) ?? [];
      const i = list.indexOf(call);
      if (i >= 0) list.splice(i, 1);
      emit(call.abandonAtMs, { type: 'call.abandoned', callId: call.id });
    });
    dispatch(at);
  }

  function leaveVoicemail(queueId: string, at: number): void {
    const id = `sim-${seed}-vm${++vmNo}`;
    emit(at, { type: 'voicemail.left', voicemailId: id, queueId });
    if (!lapseChance(0.12)) {
      const back = at + sec(exp(5400) + 300);
      agenda.push(back, () => {
        const a = pick(agents.filter((x) => x.queues.includes(queueId)));
        emit(back, { type: 'voicemail.returned', voicemailId: id, queueId, ...(a ? { agentId: a.id } : {}) });
      });
    }
  }

  /** Matches waiting calls (oldest first) with available agents (longest idle first). */
  function dispatch(at: number): void {
    for (;;) {
      let best: { call: SimCall; agent: SimAgent } | undefined;
      for (const [qid, list] of waiting) {
        const call = list[0];
        if (!call) continue;
        if (best && best.call.queuedAtMs <= call.queuedAtMs) continue;
        let agent: SimAgent | undefined;
        for (const a of agents) {
          if (a.state !== 'available' || !a.queues.includes(qid) || call.skipped.has(a.id)) continue;
          if (!agent || a.idleSinceMs < agent.idleSinceMs) agent = a;
        }
        if (agent) best = { call, agent };
      }
      if (!best) return;
      waiting.get(best.call.queueId)?.shift();
      best.call.picked = true;
      ring(best.call, best.agent, at);
    }
  }

  function ring(call: SimCall, a: SimAgent, at: number): void {
    a.state = 'busy';
    emit(at, { type: 'call.ringing', callId: call.id, agentId: a.id });
    const noAnswer = lapseChance(0.025);
    const slow = lapseChance(0.04);
    const ringSec = noAnswer ? between(20, 26) : slow ? between(RING_SEC * 3 + 0.5, RING_SEC * 4.5) : between(2, RING_SEC * 2 - 0.5);
    const end = at + sec(ringSec);
    if (call.abandonAtMs < end) {
      // The caller gives up while it rings.
      agenda.push(call.abandonAtMs, () => {
        emit(call.abandonAtMs, { type: 'call.abandoned', callId: call.id });
        becomeAvailable(a, call.abandonAtMs, true);
      });
      return;
    }
    agenda.push(end, () => {
      if (noAnswer) {
        // Rang out: back to the front of the queue, to ring someone else.
        emit(end, { type: 'call.queued', callId: call.id, queueId: call.queueId });
        call.skipped.add(a.id);
        call.picked = false;
        // The caller's patience (scheduled on arrival, after this ring ends) still runs.
        waiting.get(call.queueId)?.unshift(call);
        becomeAvailable(a, end, true);
        return;
      }
      const answered: Record<string, unknown> = { type: 'call.answered', callId: call.id, agentId: a.id };
      if (chance(0.3)) answered.ringCount = Math.floor(ringSec / RING_SEC) + 1;
      emit(end, answered);
      talk(call, a, end);
    });
  }

  function talk(call: SimCall, a: SimAgent, at: number): void {
    const fullSec = lapseChance(0.005) ? between(1700, 2100) : lapseChance(0.02) ? between(830, 1200) : Math.min(lognormal(290, 0.5), 1500);
    // Now and then the call is transferred instead of finished here: this agent's part ends then.
    const transferAt = chance(0.04) && fullSec > 90 ? at + sec(between(45, fullSec - 10)) : undefined;
    const endAt = transferAt ?? at + sec(fullSec);
    const talkSec = (endAt - at) / 1000;
    // Holds, spread through the call.
    const holds = lapseChance(0.02) ? 3 : chance(0.1) ? 2 : chance(0.3) ? 1 : 0;
    let cursor = at + sec(15);
    for (let i = 0; i < holds; i++) {
      const start = cursor + sec(between(10, Math.max(11, talkSec / (holds + 1))));
      const len = lapseChance(0.02) ? between(92, 130) : lapseChance(0.05) ? between(47, 85) : between(8, 40);
      if (start + sec(len) >= endAt - sec(5)) break;
      const asked = !lapseChance(0.05);
      agenda.push(start, () => emit(start, { type: 'call.hold', callId: call.id, askedPermission: asked }));
      const stop = start + sec(len);
      agenda.push(stop, () => emit(stop, { type: 'call.unhold', callId: call.id }));
      cursor = stop;
    }
    // Speakerphone.
    if (chance(0.08) || lapseChance(0.02)) {
      const on = at + sec(between(5, 30));
      const len = lapseChance(0.25) ? between(65, 140) : between(10, 50);
      const off = Math.min(on + sec(len), endAt - 1000);
      if (off > on) {
        agenda.push(on, () => emit(on, { type: 'call.speaker', callId: call.id, on: true }));
        agenda.push(off, () => emit(off, { type: 'call.speaker', callId: call.id, on: false }));
      }
    }
    // Voice level samples every 2 s on some headsets, with a loud stretch now and then.
    if (chance(0.06)) {
      const loudFrom = lapseChance(0.3) ? at + sec(between(20, Math.max(21, talkSec - 30))) : Infinity;
      const loudTo = loudFrom + sec(between(7.5, 15));
      for (let t = at + VOLUME_SAMPLE_MS; t < endAt - 1000; t += VOLUME_SAMPLE_MS) {
        const loud = t >= loudFrom && t <= loudTo;
        const dbfs = loud ? between(-9.5, -4) : between(-32, -18);
        agenda.push(t, () => emit(t, { type: 'call.volume', callId: call.id, dbfs: Math.round(dbfs * 10) / 10 }));
      }
    }
    // Escalations.
    if (lapseChance(0.025)) {
      const first = at + sec(between(30, Math.max(31, talkSec / 2)));
      agenda.push(first, () => emit(first, { type: 'call.escalation', callId: call.id }));
      if (chance(0.35)) {
        const second = first + sec(between(20, 90));
        if (second < endAt) agenda.push(second, () => emit(second, { type: 'call.escalation', callId: call.id }));
      }
    }
    if (transferAt !== undefined) {
      agenda.push(transferAt, () => transfer(call, a, transferAt));
      return;
    }
    agenda.push(endAt, () => finish(call, a, endAt));
  }

  function transfer(call: SimCall, a: SimAgent, at: number): void {
    const asked = !lapseChance(0.15);
    const mode = chance(0.6) ? 'blind' : 'attended';
    const target = agents.find((x) => x.state === 'available' && x.id !== a.id && chance(0.5));
    if (target && chance(0.4)) {
      emit(at, { type: 'call.transferred', callId: call.id, toAgentId: target.id, askedPermission: asked, mode });
      target.state = 'busy';
      const answerAt = at + sec(between(3, 10));
      agenda.push(answerAt, () => {
        emit(answerAt, { type: 'call.answered', callId: call.id, agentId: target.id });
        talk({ ...call, skipped: new Set() }, target, answerAt);
      });
    } else {
      const others = queues.filter((q) => q.id !== call.queueId);
      const q = others.length ? pick(others) : queues[0];
      emit(at, { type: 'call.transferred', callId: call.id, toQueueId: q.id, askedPermission: asked, mode });
      const moved: SimCall = { id: call.id, queueId: q.id, queuedAtMs: at, abandonAtMs: at + sec(exp(200) + 30), picked: false, skipped: new Set() };
      waiting.get(q.id)?.push(moved);
      agenda.push(moved.abandonAtMs, () => {
        if (moved.picked) return;
        const list = waiting.get(moved.queueId) ?? [];
        const i = list.indexOf(moved);
        if (i >= 0) list.splice(i, 1);
        emit(moved.abandonAtMs, { type: 'call.abandoned', callId: moved.id });
      });
    }
    wrapUp(a, at);
    dispatch(at);
  }

  function finish(call: SimCall, a: SimAgent, at: number): void {
    const ended: Record<string, unknown> = { type: 'call.ended', callId: call.id, by: chance(0.6) ? 'caller' : 'agent' };
    ended.notes = !lapseChance(0.04);
    emit(at, ended);
    if (chance(0.05)) scheduleCallback(a, at);
    wrapUp(a, at);
  }

  function wrapUp(a: SimAgent, at: number): void {
    a.state = 'wrapup';
    setAgent(a, at, 'wrapup');
    const done = at + sec(between(20, 90));
    agenda.push(done, () => {
      if (chance(0.035)) {
        a.state = 'away';
        const reason = chance(0.7) ? 'break' : chance(0.5) ? 'lunch' : 'coaching';
        setAgent(a, done, 'away', reason);
        const back = done + sec(between(300, reason === 'lunch' ? 1800 : 900));
        agenda.push(back, () => becomeAvailable(a, back));
      } else {
        becomeAvailable(a, done);
      }
    });
  }

  function becomeAvailable(a: SimAgent, at: number, quiet = false): void {
    a.state = 'available';
    a.idleSinceMs = at;
    if (!quiet) setAgent(a, at, 'available');
    dispatch(at);
  }

  function scheduleCallback(a: SimAgent, at: number): void {
    const id = `sim-${seed}-cb${++cbNo}`;
    const due = at + sec(between(600, 3600));
    emit(at, { type: 'callback.scheduled', callbackId: id, agentId: a.id, dueAt: due });
    if (lapseChance(0.03)) return; // forgotten
    const late = lapseChance(0.06);
    const done = due + sec(late ? between(360, 900) : between(-120, 180));
    agenda.push(done, () => emit(done, { type: 'callback.completed', callbackId: id, agentId: a.id, dueAt: due }));
  }

  // ------------------------------------------------------------ driving
  function step(target: number): void {
    for (;;) {
      const next = agenda.peek();
      if (!next || next.at > target) break;
      agenda.pop();
      simNow = Math.max(simNow, next.at);
      next.run();
    }
    simNow = Math.max(simNow, target);
    if (out.length > 0) {
      const batch = out;
      out = [];
      // Actions emit at their own time, but a handler may emit at an earlier instant (an abandon
      // noticed late): keep the batch in time order.
      batch.sort((x, y) => (x.at as number) - (y.at as number));
      stats.emitted += batch.length;
      void opts.emit(batch);
    }
  }

  function start(clock: { now(): number }): () => void {
    const speed = opts.speed ?? 1;
    const realStart = clock.now();
    const simStart = simNow; // carries on from wherever `step` got to (e.g. after a warm-up)
    const timer = setInterval(() => step(simStart + (clock.now() - realStart) * speed), DRIVE_MS);
    return () => clearInterval(timer);
  }

  return { step, start, stats };
}
