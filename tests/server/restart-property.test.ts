/**
 * Issue 11, section 5 and its "Done when" property test: a restart changes
 * nothing. For each seed, a messy feed over three floor-local days (UTC, two
 * busy nights around midnight and a quiet day between) is sent to a real
 * server over HTTP while its fake clock moves on and the 1 Hz tick runs
 * (every 30 s while nothing is live): calls across midnight, back-dated
 * batches (minutes old, sent after newer events, shuffled), events out of
 * order within a call, a past day's events arriving after it ended, events up
 * to 20 s ahead of the server's clock (max-future 60 s), parallel rings
 * (answered, no-answer, canceled), lost ends (the agent rung while still on an
 * unfinished call, `call.lost` while waiting or connected, the agent going
 * offline) and late events correcting them, holds, transfers, abandons,
 * callbacks and voicemails, retried batches, and supervisors acknowledging and
 * reopening open and resolved alerts through the HTTP API.
 *
 * Then the floor, wallboard and every agent's snapshot, /api/alerts and
 * /api/report for every day are read; the server is stopped and a new one
 * started on the same database with its clock at the same time: the same
 * readings must be identical, field for field. A third server on a copy of
 * the log without its saved alert records must rebuild the same alerts.
 * Finally the report's queue and agent counters, day by day, equal the engine
 * folding the same events offline in the order and at the receive times the
 * server had (what `floorwatch report` does with a file; its queue_log reader
 * is not involved here).
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { defaultConfig, type FloorConfig } from '../../shared/config.ts';
import { applyEvent, createFloorState, observeClock } from '../../shared/engine.ts';
import { parseEvent, type FloorEvent, type FloorEventInput } from '../../shared/events.ts';
import { selectDayTables } from '../../shared/selectors.ts';
import type { Alert } from '../../shared/state.ts';
import type { AgentView, QueueKpis } from '../../shared/wire.ts';
import { Rng } from './faults/prng.ts';
import { closeHarnessesAfterEach, FakeClock, getJson, postEvents, VIEW_TOKEN, type Harness } from './harness.ts';

const SEC = 1_000;
const MIN = 60 * SEC;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const D1 = Date.parse('2026-11-24T00:00:00Z');
const DAYS = [D1, D1 + DAY, D1 + 2 * DAY];
/** The feed's busy stretches: each crosses a midnight. Between them the floor idles (ticks every 30 s). */
const PHASES = [
  { start: D1 + 23 * HOUR + 20 * MIN, end: D1 + DAY + 50 * MIN },
  { start: D1 + DAY + 23 * HOUR + 30 * MIN, end: D1 + 2 * DAY + 40 * MIN },
];
const END = PHASES[1].end + 5 * MIN;
const QUEUES = ['sales', 'support'];
const MAX_FUTURE_SEC = 60;
const config: FloorConfig = { ...defaultConfig(), timeZone: 'UTC' };
/** Three seeds by default (~2 s each); RESTART_SEEDS=4,5,6 runs others. */
const SEEDS = process.env.RESTART_SEEDS ? process.env.RESTART_SEEDS.split(',').map(Number) : [1, 2, 3];

const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

// ------------------------------------------------------------------ the feed

type Wire = Record<string, unknown> & { type: string; id: string; at: number | string };

/** One event of the feed: its own time, when the producer sends it, and its place in its batch. */
interface Planned {
  ev: Wire;
  atMs: number;
  sendAt: number;
  key: number;
  callId?: string;
}

interface SimAgent {
  id: string;
  online: boolean;
  freeAt: number;
}

/**
 * Builds one seed's feed as a floor would produce it (each call a plausible
 * story on agents who are free), then messes up its delivery.
 */
class FeedBuilder {
  readonly planned: Planned[] = [];
  readonly stats = { calls: 0, kinds: {} as Record<string, number>, backDatedBatches: 0, pastDayLate: 0, ahead: 0, jittered: 0 };
  private n = 0;
  private calls = 0;
  private readonly agents: SimAgent[];
  /** Calls whose end the feed never sends: a reconcile at the shift's end reports them lost. */
  private unended: string[] = [];

  constructor(
    readonly seed: number,
    readonly rng: Rng,
  ) {
    this.agents = ['a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7'].map((id) => ({ id, online: false, freeAt: 0 }));
  }

  emit(type: string, atMs: number, fields: Record<string, unknown>, sendAt?: number): Planned {
    const at = Math.round(atMs);
    // Half of the producers send ISO-8601, the others epoch ms.
    const ev = { type, id: `s${this.seed}-${++this.n}`, at: this.rng.bool(0.3) ? new Date(at).toISOString() : at, ...fields } as Wire;
    const p: Planned = { ev, atMs: at, sendAt: sendAt ?? at, key: at, callId: typeof fields.callId === 'string' ? fields.callId : undefined };
    this.planned.push(p);
    return p;
  }

  private agent(id: string): SimAgent {
    return this.agents.find((a) => a.id === id) as SimAgent;
  }

  private state(a: SimAgent, state: string, atMs: number, extra: Record<string, unknown> = {}): void {
    a.online = state !== 'offline';
    this.emit('agent.state', atMs, { agentId: a.id, state, ...extra });
  }

  /** Up to `n` agents free at `atMs`, taken (busy until `until`, set later by the story). */
  private take(atMs: number, n: number): SimAgent[] {
    const free = this.rng.shuffle(this.agents.filter((a) => a.online && a.freeAt <= atMs));
    const got = free.slice(0, n);
    for (const a of got) a.freeAt = Number.POSITIVE_INFINITY;
    return got;
  }

  /** After a call: wrap-up for a while, or straight back. */
  private release(a: SimAgent, endMs: number): void {
    if (this.rng.bool(0.4)) {
      const back = endMs + this.rng.int(5, 40) * SEC;
      this.state(a, 'wrapup', endMs + this.rng.int(0, 800));
      this.state(a, 'available', back);
      a.freeAt = back + SEC;
    } else a.freeAt = endMs + SEC;
  }

  private waitMs(): number {
    const r = this.rng.next();
    if (r < 0.7) return this.rng.int(1_500, 30_000);
    if (r < 0.85) return this.rng.int(30_000, 65_000);
    return this.rng.int(65_000, 140_000); // a queue-wait warning or breach
  }

  private ringMs(): number {
    return this.rng.bool(0.8) ? this.rng.int(2_000, 11_500) : this.rng.int(12_500, 26_000); // ring 3+ = ring-limit
  }

  private talkMs(): number {
    const r = this.rng.next();
    if (r < 0.85) return this.rng.int(20, 300) * SEC;
    if (r < 0.95) return this.rng.int(300, 800) * SEC;
    return this.rng.int(850, 1_800) * SEC; // call-long warn (816 s) or breach (1,632 s)
  }

  private permission(): Record<string, unknown> {
    const r = this.rng.next();
    return r < 0.5 ? { askedPermission: true } : r < 0.7 ? { askedPermission: false } : {};
  }

  /** A connected stretch on agent `a` from `fromMs`: holds, maybe an escalation; returns its end. */
  private talk(callId: string, fromMs: number, lengthMs: number): number {
    let cursor = fromMs + this.rng.int(4, 20) * SEC;
    const holds = this.rng.pick([0, 0, 0, 0, 0, 1, 1, 1, 2, 3]);
    for (let i = 0; i < holds; i++) {
      const dur = this.rng.bool(0.8) ? this.rng.int(6, 60) * SEC : this.rng.int(60, 110) * SEC;
      this.emit('call.hold', cursor, { callId, ...this.permission() });
      this.emit('call.unhold', cursor + dur, { callId });
      cursor += dur + this.rng.int(5, 30) * SEC;
    }
    if (this.rng.bool(0.05)) this.emit('call.escalation', cursor, { callId });
    return Math.max(fromMs + lengthMs, cursor + 5 * SEC);
  }

  private end(callId: string, atMs: number, sendAt?: number): void {
    const notes = this.rng.pick([true, true, false, undefined]);
    const by = this.rng.pick(['agent', 'caller', undefined]);
    this.emit('call.ended', atMs, { callId, ...(notes === undefined ? {} : { notes }), ...(by === undefined ? {} : { by }) }, sendAt);
  }

  private abandon(callId: string, atMs: number): void {
    if (this.rng.bool(0.15)) this.emit('call.ended', atMs, { callId, by: 'caller' });
    else this.emit('call.abandoned', atMs, { callId });
  }

  /** Rings `ringers` at once from `ringAt`; one answers after `ringMs`; the others' rings end their own ways. Returns the answer time. */
  private ringAndAnswer(callId: string, ringers: SimAgent[], winner: SimAgent, ringAt: number, ringMs: number): number {
    const ansAt = ringAt + ringMs;
    for (const a of ringers) this.emit('call.ringing', ringAt + this.rng.int(0, 400), { callId, agentId: a.id });
    for (const a of ringers) {
      if (a === winner) continue;
      const r = this.rng.next();
      if (r < 0.25 && ringMs > 6_000) {
        const out = ringAt + this.rng.int(4_000, ringMs - 1_000);
        this.emit('call.ring-ended', out, { callId, agentId: a.id, outcome: 'no-answer' });
        a.freeAt = out + SEC;
      } else {
        if (r < 0.6) this.emit('call.ring-ended', ansAt + this.rng.int(0, 300), { callId, agentId: a.id, outcome: 'canceled' });
        a.freeAt = ansAt + SEC;
      }
    }
    const ringCount = this.rng.bool(0.15) ? { ringCount: Math.floor(ringMs / 6_000) + 1 } : {};
    this.emit('call.answered', ansAt, { callId, agentId: winner.id, ...ringCount });
    return ansAt;
  }

  private count(kind: string): void {
    this.stats.kinds[kind] = (this.stats.kinds[kind] ?? 0) + 1;
  }

  /** One call offered at `t`, of a kind drawn at random. */
  call(t: number): void {
    const callId = `s${this.seed}-c${++this.calls}`;
    const queueId = this.rng.pick(QUEUES);
    this.stats.calls++;
    this.emit('call.queued', t, { callId, queueId, ...(this.rng.bool(0.5) ? { caller: `+37255501${String(this.calls).padStart(2, '0')}` } : {}) });
    const r = this.rng.next();
    if (r < 0.42) return this.normal(callId, queueId, t);
    if (r < 0.58) return this.abandoned(callId, t);
    if (r < 0.68) return this.ringNoAnswer(callId, queueId, t);
    if (r < 0.78) return this.lostByNextRing(callId, t);
    if (r < 0.9) return this.lostByReconcile(callId, t);
    return this.lostByOffline(callId, t);
  }

  private normal(callId: string, queueId: string, t: number): void {
    const ringAt = t + this.waitMs();
    const ringers = this.take(ringAt, this.rng.pick([1, 1, 1, 2, 2, 3]));
    if (ringers.length === 0) {
      this.count('abandoned (nobody free)');
      return this.abandon(callId, t + this.rng.int(20, 150) * SEC);
    }
    this.count(ringers.length > 1 ? 'parallel rings' : 'answered');
    const winner = this.rng.pick(ringers);
    const ansAt = this.ringAndAnswer(callId, ringers, winner, ringAt, this.ringMs());
    let endAt = this.talk(callId, ansAt, this.talkMs());
    if (this.rng.bool(0.2)) {
      // Transferred half-way: to a colleague, to the other queue, or out of sight.
      const at = endAt;
      const kind = this.rng.next();
      const colleague = kind < 0.5 ? this.take(at, 1)[0] : undefined;
      if (colleague) {
        this.count('transfer to agent');
        this.emit('call.transferred', at, { callId, toAgentId: colleague.id, ...this.permission(), ...(this.rng.bool(0.5) ? { mode: this.rng.pick(['blind', 'attended']) } : {}) });
        this.release(winner, at);
        const ans2 = at + this.rng.int(2, 9) * SEC;
        this.emit('call.answered', ans2, { callId, agentId: colleague.id });
        endAt = this.talk(callId, ans2, this.rng.int(20, 200) * SEC);
        this.end(callId, endAt);
        return this.release(colleague, endAt);
      }
      if (kind < 0.85) {
        this.count('transfer to queue');
        this.emit('call.transferred', at, { callId, toQueueId: QUEUES.find((q) => q !== queueId) as string, ...this.permission() });
        this.release(winner, at);
        const ring2 = at + this.rng.int(3, 30) * SEC;
        const next = this.take(ring2, 1);
        if (next.length === 0) return this.abandon(callId, ring2 + this.rng.int(10, 60) * SEC);
        const ans2 = this.ringAndAnswer(callId, next, next[0], ring2, this.ringMs());
        endAt = this.talk(callId, ans2, this.rng.int(20, 200) * SEC);
        this.end(callId, endAt);
        return this.release(next[0], endAt);
      }
      this.count('transfer out');
      this.emit('call.transferred', at, { callId, ...this.permission() });
      return this.release(winner, at);
    }
    this.end(callId, endAt);
    this.release(winner, endAt);
  }

  private abandoned(callId: string, t: number): void {
    const r = this.rng.next();
    const waitMs = r < 0.2 ? this.rng.int(1_000, 4_500) : r < 0.5 ? this.rng.int(5_000, 20_000) : this.rng.int(20_000, 150_000);
    const ringAt = t + this.rng.int(1_000, Math.max(1_000, waitMs - 1_000));
    const ringers = waitMs > 5_000 && this.rng.bool(0.6) ? this.take(ringAt, this.rng.pick([1, 2])) : [];
    for (const a of ringers) {
      this.emit('call.ringing', ringAt, { callId, agentId: a.id });
      a.freeAt = t + waitMs + SEC;
    }
    this.count(ringers.length ? 'abandoned while ringing' : 'abandoned');
    this.abandon(callId, t + waitMs);
  }

  private ringNoAnswer(callId: string, queueId: string, t: number): void {
    const ringAt = t + this.rng.int(2, 20) * SEC;
    const [a] = this.take(ringAt, 1);
    if (!a) {
      this.count('abandoned (nobody free)');
      return this.abandon(callId, t + this.rng.int(20, 150) * SEC);
    }
    this.count('ring-no-answer, then answered');
    this.emit('call.ringing', ringAt, { callId, agentId: a.id });
    const out = ringAt + this.rng.int(15, 30) * SEC;
    // The ring timed out: said so, or shown by the call going back to its queue.
    if (this.rng.bool(0.5)) this.emit('call.ring-ended', out, { callId, agentId: a.id, outcome: 'no-answer' });
    else this.emit('call.queued', out, { callId, queueId });
    a.freeAt = out + 30 * SEC;
    const ring2 = out + this.rng.int(2, 10) * SEC;
    const [b] = this.take(ring2, 1);
    if (!b) return this.abandon(callId, ring2 + this.rng.int(5, 60) * SEC);
    const ansAt = this.ringAndAnswer(callId, [b], b, ring2, this.rng.int(2, 10) * SEC);
    const endAt = this.talk(callId, ansAt, this.talkMs());
    this.end(callId, endAt);
    this.release(b, endAt);
  }

  /** Answered; its end is lost (the agent is then free, and the next call that rings them shows it), or comes minutes late. */
  private lostByNextRing(callId: string, t: number): void {
    const ringAt = t + this.rng.int(2, 20) * SEC;
    const [a] = this.take(ringAt, 1);
    if (!a) {
      this.count('abandoned (nobody free)');
      return this.abandon(callId, t + this.rng.int(20, 150) * SEC);
    }
    const ansAt = this.ringAndAnswer(callId, [a], a, ringAt, this.rng.int(2, 10) * SEC);
    const endAt = ansAt + this.rng.int(20, 240) * SEC;
    if (this.rng.bool(0.5)) {
      this.count('end lost, then corrected late');
      this.end(callId, endAt, endAt + this.rng.int(4, 12) * MIN);
    } else {
      this.count('end lost');
      this.unended.push(callId);
    }
    a.freeAt = endAt + SEC;
  }

  /** A reconcile reports the call gone (`call.lost`): while it waits, or while connected. Some waiting ones turn out answered after all. */
  private lostByReconcile(callId: string, t: number): void {
    if (this.rng.bool(0.35)) {
      const ringAt = t + this.rng.int(2, 20) * SEC;
      const [a] = this.take(ringAt, 1);
      if (a) {
        this.count('call.lost while connected');
        const ansAt = this.ringAndAnswer(callId, [a], a, ringAt, this.rng.int(2, 10) * SEC);
        const lostAt = ansAt + this.rng.int(30, 300) * SEC;
        this.emit('call.lost', lostAt, { callId, reason: 'reconcile: no such channel' });
        a.freeAt = lostAt + SEC;
        return;
      }
    }
    const lostAt = t + this.rng.int(20, 200) * SEC;
    this.emit('call.lost', lostAt, { callId, reason: 'reconcile: caller not listed' });
    const ansAt = lostAt - this.rng.int(3, 15) * SEC;
    const [b] = ansAt > t + 2 * SEC && this.rng.bool(0.5) ? this.take(ansAt, 1) : [];
    if (!b) {
      this.count('call.lost while waiting');
      return;
    }
    // The PBX's record of the answer comes late: the caller was answered after all.
    this.count('call.lost while waiting, answer found late');
    const late = lostAt + this.rng.int(20, 90) * SEC;
    this.emit('call.answered', ansAt, { callId, agentId: b.id }, late);
    const endAt = Math.max(this.talk(callId, ansAt, this.rng.int(60, 240) * SEC), late + 5 * SEC);
    this.end(callId, endAt);
    this.release(b, endAt);
  }

  /** Answered; the agent goes offline with no end (lost), and comes back; the true end sometimes arrives late. */
  private lostByOffline(callId: string, t: number): void {
    const ringAt = t + this.rng.int(2, 20) * SEC;
    const [a] = this.take(ringAt, 1);
    if (!a) {
      this.count('abandoned (nobody free)');
      return this.abandon(callId, t + this.rng.int(20, 150) * SEC);
    }
    this.count('agent offline on a call');
    const ansAt = this.ringAndAnswer(callId, [a], a, ringAt, this.rng.int(2, 10) * SEC);
    const offAt = ansAt + this.rng.int(20, 200) * SEC;
    this.state(a, 'offline', offAt);
    const back = offAt + this.rng.int(60, 240) * SEC;
    this.state(a, 'available', back);
    if (this.rng.bool(0.3)) this.end(callId, offAt - this.rng.int(1, 10) * SEC, back + this.rng.int(10, 60) * SEC);
    a.freeAt = back + SEC;
  }

  private breakTime(t: number): void {
    const [a] = this.take(t, 1);
    if (!a) return;
    const back = t + this.rng.int(60, 300) * SEC;
    this.state(a, 'away', t, { reason: this.rng.pick(['break', 'lunch', 'meeting']) });
    this.state(a, 'available', back);
    a.freeAt = back + SEC;
  }

  /**
   * Agent a8 takes no calls from the queue's pool: they sign in and idle, so a live tick finds them
   * behind the quota's pace; their only calls (one before midnight, one after) reach the server a
   * quarter of an hour late, showing they were not behind when the tick thought so.
   */
  private slowAgent(start: number, end: number, first: boolean): void {
    const a8: SimAgent = { id: 'a8', online: true, freeAt: Number.POSITIVE_INFINITY };
    this.state(a8, 'available', start + MIN, first ? { name: 'Agent A8', team: 'green', queues: [QUEUES[0]] } : {});
    const midnight = Math.ceil(start / DAY) * DAY;
    for (const [t, late] of [
      [start + 20 * MIN, 15 * MIN],
      [midnight + 5 * MIN + this.rng.int(0, 60) * SEC, this.rng.int(29, 33) * MIN],
    ]) {
      const callId = `s${this.seed}-c${++this.calls}`;
      this.stats.calls++;
      this.count('slow agent, sent late');
      const ans = t + this.rng.int(3, 9) * SEC;
      this.emit('call.queued', t, { callId, queueId: QUEUES[0] }, t + late);
      this.emit('call.ringing', t + SEC, { callId, agentId: 'a8' }, t + late);
      this.emit('call.answered', ans, { callId, agentId: 'a8' }, t + late);
      this.emit('call.ended', ans + this.rng.int(60, 200) * SEC, { callId, notes: true }, t + late);
    }
    this.state(a8, 'offline', end - MIN);
  }

  /**
   * Promises to callers: callbacks kept on time, kept late, rescheduled after they were missed, or
   * never kept; voicemails returned or not.
   */
  private promises(start: number, end: number): void {
    for (let i = 0; i < 5; i++) {
      const callbackId = `s${this.seed}-cb${start}-${i}`;
      const agentId = this.rng.pick(['a1', 'a2', 'a3', 'a4', 'a5', 'a6']);
      const at = start + this.rng.int(2, 30) * MIN;
      const due = at + this.rng.int(5, 20) * MIN;
      this.emit('callback.scheduled', at, { callbackId, agentId, dueAt: due });
      const r = this.rng.next();
      if (r < 0.35) this.emit('callback.completed', due + this.rng.int(-240, 240) * SEC, { callbackId, agentId });
      else if (r < 0.55) this.emit('callback.completed', due + this.rng.int(6, 15) * MIN, { callbackId, agentId });
      else if (r < 0.85) {
        const again = due + this.rng.int(6, 12) * MIN; // missed, then rescheduled
        this.emit('callback.scheduled', again, { callbackId, agentId, dueAt: again + 10 * MIN });
        if (this.rng.bool(0.6)) this.emit('callback.completed', again + this.rng.int(3, 12) * MIN, { callbackId, agentId });
      }
    }
    for (let i = 0; i < 3; i++) {
      const voicemailId = `s${this.seed}-vm${start}-${i}`;
      const at = start + this.rng.int(1, 40) * MIN;
      this.emit('voicemail.left', at, { voicemailId, queueId: this.rng.pick(QUEUES) });
      if (this.rng.bool(0.6)) this.emit('voicemail.returned', Math.min(end, at + this.rng.int(5, 60) * MIN), { voicemailId, agentId: this.rng.pick(['a1', 'a2', 'a3']) });
    }
  }

  /** A shift: sign-ins, calls every 20–110 s, breaks, and at its end most agents sign out (two stay on through the quiet day). */
  phase(start: number, end: number, first: boolean): void {
    this.slowAgent(start, end, first);
    this.promises(start, end);
    this.agents.forEach((a, i) => {
      if (a.id === 'a7' && first) return; // joins on the second night
      if (a.online) return;
      const extra = first || a.id === 'a7' ? { name: `Agent ${a.id.toUpperCase()}`, team: i % 2 ? 'blue' : 'green', queues: i < 4 ? QUEUES : [QUEUES[i % 2]] } : {};
      this.state(a, 'available', start + i * 7 * SEC + this.rng.int(0, 999), extra);
      a.freeAt = start + i * 7 * SEC + SEC;
    });
    for (let t = start + MIN; t < end - 10 * MIN; t += this.rng.int(20, 110) * SEC + this.rng.int(0, 999)) {
      if (this.rng.bool(0.05)) this.breakTime(t);
      this.call(t);
    }
    // Shift end: a reconcile reports the calls whose end never came; the night shift signs out.
    for (const callId of this.unended) this.emit('call.lost', end - 3 * MIN, { callId, reason: 'reconcile at shift end' });
    this.unended = [];
    for (const a of this.agents) {
      if (!a.online || a.id === 'a5' || a.id === 'a6') continue;
      this.state(a, 'offline', Math.max(end - 2 * MIN, Math.min(a.freeAt, end + 30 * MIN) + 2 * SEC));
      a.freeAt = Number.POSITIVE_INFINITY;
    }
  }

  /**
   * The delivery: most events are sent live, some a few seconds late (out of
   * order within their call), a few a little ahead of the server's clock;
   * back-dated batches send minutes of events at once, in a shuffled order;
   * the last minutes before each midnight arrive after it; one call of each
   * evening arrives long after its day ended.
   */
  deliver(): void {
    const rng = this.rng;
    for (const p of this.planned) {
      const r = rng.next();
      if (r < 0.08) {
        p.sendAt += rng.int(1_000, 6_000);
        this.stats.jittered++;
      } else if (r < 0.11) {
        p.sendAt -= rng.int(1_000, 20_000); // the producer's clock runs ahead (within the limit)
        this.stats.ahead++;
      }
    }
    const batch = (from: number, to: number, sendAt: number) => {
      this.stats.backDatedBatches++;
      for (const p of this.planned) {
        if (p.atMs < from || p.atMs >= to) continue;
        p.sendAt = Math.max(p.sendAt, sendAt);
        p.key = p.atMs + rng.int(-5_000, 5_000); // out of order within the batch
      }
    };
    for (const { start, end } of PHASES) {
      for (let i = 0; i < 3; i++) {
        const from = start + rng.int(5, Math.round((end - start) / MIN) - 20) * MIN;
        const to = from + rng.int(60, 180) * SEC;
        batch(from, to, to + rng.int(30, 150) * SEC);
      }
      // The minutes before midnight, cut off and sent after it: a past day's events.
      const midnight = Math.ceil(start / DAY) * DAY;
      batch(midnight - rng.int(60, 180) * SEC, midnight, midnight + rng.int(60, 200) * SEC);
      // One whole call of the evening, sent 20-40 minutes after its day ended.
      const evening = this.planned.filter((p) => p.ev.type === 'call.queued' && p.atMs > midnight - 25 * MIN && p.atMs < midnight - 5 * MIN);
      if (evening.length) {
        const callId = rng.pick(evening).callId;
        const late = midnight + rng.int(20, 40) * MIN;
        for (const p of this.planned) {
          if (p.callId !== callId) continue;
          p.sendAt = Math.max(p.sendAt, late);
          this.stats.pastDayLate++;
        }
      }
    }
  }
}

function buildFeed(seed: number) {
  const rng = new Rng(seed);
  const b = new FeedBuilder(seed, rng);
  PHASES.forEach((p, i) => b.phase(p.start, p.end, i === 0));
  b.deliver();
  // Sent whole seconds, each second's events as one batch in their (shuffled) order; nothing after the end.
  const groups = new Map<number, Planned[]>();
  for (const p of b.planned) {
    const sec = Math.max(Math.ceil(p.sendAt / SEC) * SEC, PHASES[0].start);
    if (sec > END) continue;
    expect(p.atMs - sec).toBeLessThanOrEqual(MAX_FUTURE_SEC * SEC);
    let g = groups.get(sec);
    if (!g) groups.set(sec, (g = []));
    g.push(p);
  }
  for (const g of groups.values()) g.sort((x, y) => x.key - y.key);
  return { groups, stats: b.stats, rng, planned: b.planned.length };
}

// ------------------------------------------------------------------ the server

const { start, stop } = closeHarnessesAfterEach();

async function supervise(h: Harness, p: string, body: unknown): Promise<{ status: number; body: { ok: boolean; data?: unknown; error?: string } }> {
  const res = await fetch(`${h.url}${p}`, { method: 'POST', headers: { authorization: `Bearer ${VIEW_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as { ok: boolean; data?: unknown; error?: string } };
}

async function read(h: Harness, p: string): Promise<unknown> {
  const r = await getJson(h, p);
  expect(r.status, `${p}: ${r.body.error ?? ''}`).toBe(200);
  return r.body.data;
}

/** Everything a restart must not change, read the way clients and scripts read it. */
async function observe(h: Harness, agentIds: string[]) {
  const snapshots: Record<string, unknown> = {
    floor: await read(h, '/api/snapshot?scope=floor'),
    wallboard: await read(h, '/api/snapshot?scope=wallboard'),
  };
  for (const id of agentIds) snapshots[`agent ${id}`] = await read(h, `/api/snapshot?scope=agent&agentId=${id}`);
  const alerts = (await read(h, '/api/alerts?limit=5000')) as Alert[];
  const reports: Record<string, { queues: QueueKpis[]; agents: AgentView[] }> = {};
  for (const d of DAYS) reports[isoDay(d)] = (await read(h, `/api/report?date=${isoDay(d)}`)) as { queues: QueueKpis[]; agents: AgentView[] };
  return { snapshots, alerts, reports };
}

/** A supervisor at work: acknowledges open and resolved alerts, reopens acknowledged ones (picked from the server's own floor). */
async function superviseOnce(h: Harness, rng: Rng, tally: Record<string, number>): Promise<void> {
  const s = h.server.state();
  const open = [...s.alerts.values()].sort((a, b) => a.id.localeCompare(b.id));
  const resolved = [...s.recentAlerts].sort((a, b) => a.id.localeCompare(b.id));
  const acked = [...open, ...resolved].filter((a) => a.ack);
  const r = rng.next();
  let target: Alert | undefined;
  let action: 'ack' | 'reopen' = 'ack';
  if (r < 0.4) target = rng.pick(open.filter((a) => !a.ack));
  else if (r < 0.6) target = rng.pick(resolved.filter((a) => !a.ack));
  else if (r < 0.85) {
    target = rng.pick(acked);
    action = 'reopen';
  } else if (r < 0.93) target = rng.pick(acked); // acknowledged twice: nothing new
  else {
    target = rng.pick([...open, ...resolved].filter((a) => !a.ack));
    action = 'reopen';
  }
  if (!target) return;
  const note = rng.bool(0.5) ? { note: `${action} by the night supervisor` } : {};
  const res = await supervise(h, `/api/alerts/${encodeURIComponent(target.id)}/${action}`, note);
  expect(res.status, res.body.error).toBe(200);
  const kind = `${action} ${target.status}`;
  tally[kind] = (tally[kind] ?? 0) + 1;
}

/** A copy of a stopped server's database with its event log (and settings) but no alert records. */
function copyWithoutAlerts(dbFile: string): string {
  const copy = path.join(path.dirname(dbFile), 'events-only.db');
  for (const ext of ['', '-wal', '-shm']) if (fs.existsSync(dbFile + ext)) fs.copyFileSync(dbFile + ext, copy + ext);
  const db = new Database(copy);
  db.exec('DELETE FROM alerts');
  db.close();
  return copy;
}

/** Alerts on record as retracted. */
function retractedIn(dbFile: string): number {
  const db = new Database(dbFile, { readonly: true });
  try {
    return (db.prepare("SELECT count(*) AS n FROM alerts WHERE json_extract(body, '$.status') = 'retracted'").get() as { n: number }).n;
  } finally {
    db.close();
  }
}

interface Received {
  event: FloorEvent;
  receivedAtMs: number;
}

/** Sends the feed over HTTP, second by second, ticking as the 1 Hz timer would (every 30 s while the floor is quiet). */
async function runFeed(h: Harness, seed: number) {
  const { groups, stats, rng, planned } = buildFeed(seed);
  const received: Received[] = [];
  const tally: Record<string, number> = {};
  let posts = 0;
  let retries = 0;
  let nextAction = PHASES[0].start + rng.int(3, 6) * MIN;
  const sendTimes = [...groups.keys()].sort((a, b) => a - b);
  let gi = 0;
  const inPhase = (t: number) => PHASES.some((p) => t >= p.start && t <= p.end);
  let t = PHASES[0].start;
  while (t <= END) {
    h.clock.t = t;
    while (gi < sendTimes.length && sendTimes[gi] <= t) {
      const batch = (groups.get(sendTimes[gi]) as Planned[]).map((p) => p.ev);
      const r = await postEvents(h, batch);
      expect(r.status).toBe(200);
      expect(r.body.data?.rejected, JSON.stringify(r.body.data?.rejected)).toEqual([]);
      expect(r.body.data?.accepted).toBe(batch.length);
      posts++;
      for (const ev of batch) {
        const parsed = parseEvent(ev as unknown as FloorEventInput);
        if (!parsed.ok) throw new Error(parsed.error);
        received.push({ event: parsed.event, receivedAtMs: t });
      }
      if (rng.bool(0.04)) {
        // A producer that did not see the answer sends the batch again: nothing changes.
        const again = await postEvents(h, batch);
        expect(again.body.data).toMatchObject({ accepted: 0, duplicates: batch.length });
        retries++;
      }
      gi++;
    }
    if (t >= nextAction) {
      await superviseOnce(h, rng, tally);
      nextAction = t + (inPhase(t) ? rng.int(60, 300) * SEC : rng.int(20, 60) * MIN);
    }
    h.server.tickNow();
    const busy = inPhase(t) || h.server.state().liveCalls.size > 0;
    let next = t + (busy ? SEC : 30 * SEC);
    if (gi < sendTimes.length) next = Math.min(next, sendTimes[gi]);
    if (!busy) next = Math.min(next, Math.max(nextAction, t + SEC));
    t = next;
  }
  h.clock.t = END;
  h.server.tickNow();
  return { received, stats: { ...stats, planned, sent: received.length, posts, retries, supervisor: tally } };
}

/** The engine folding the same events offline, in the order and at the receive times the server had, keeping every day. */
function offlineFold(received: Received[]) {
  const s = createFloorState(config, 0, { historyDays: Number.POSITIVE_INFINITY, clock: 'server' });
  for (const { event, receivedAtMs } of received) {
    observeClock(s, receivedAtMs);
    applyEvent(s, event);
  }
  return s;
}

const QUEUE_FIGURES = ['offered', 'answered', 'abandoned', 'shortAbandoned', 'endLost', 'transferredOut', 'maxWaitSec', 'serviceLevelPct', 'asaSec', 'ahtSec'] as const;
const AGENT_FIGURES = ['handled', 'ahtSec', 'holds', 'holdSec', 'ringNoAnswer', 'ringCanceled', 'ringsHist', 'holdHist'] as const;
const pickFields = <T extends object, K extends keyof T>(o: T, keys: readonly K[]) => Object.fromEntries(keys.map((k) => [k, o[k]]));

/** Kinds of mess the seeds' feeds held, summed over the seeds (checked by the last test). */
const coverage: Record<string, number> = {};

describe('a restart changes nothing: a seeded, messy feed over three days', () => {
  for (const seed of SEEDS) {
    it(`seed ${seed}: snapshots, /api/alerts and /api/report for every day are identical after a restart, and the report equals the offline fold`, async () => {
      const startedAt = Date.now();
      const clock = new FakeClock(PHASES[0].start - SEC);
      const first = await start({ clock, config, maxFutureSec: MAX_FUTURE_SEC });
      const { received, stats } = await runFeed(first, seed);
      const agentIds = [...first.server.state().agents.keys()].sort();
      const before = await observe(first, agentIds);

      const dbFile = first.dbFile;
      await stop(first);
      const eventsOnly = copyWithoutAlerts(dbFile);

      // A new server on the same data folder, its clock at the same time. The readings are compared
      // whole: both servers read the same clock and no live client ever joined a room, so even each
      // snapshot's `seq` and `serverNowMs` match; nothing is dropped.
      const second = await start({ dbFile, clock: new FakeClock(clock.now()), config, maxFutureSec: MAX_FUTURE_SEC });
      const after = await observe(second, agentIds);
      for (const k of Object.keys(before.snapshots)) expect.soft(after.snapshots[k], `snapshot ${k}`).toEqual(before.snapshots[k]);
      expect.soft(after.alerts, '/api/alerts').toEqual(before.alerts);
      for (const d of Object.keys(before.reports)) expect.soft(after.reports[d], `/api/report?date=${d}`).toEqual(before.reports[d]);

      // /api/alerts reads the saved alert records, which a replay only overwrites: an alert the live
      // run raised and the replay never rebuilt would still show. A server on a copy of the log
      // without its alert records must rebuild every one of them, and the same screens.
      const third = await start({ dbFile: eventsOnly, clock: new FakeClock(clock.now()), config, maxFutureSec: MAX_FUTURE_SEC });
      const rebuilt = await observe(third, agentIds);
      // Except one kind: a warning a live tick raised and a late event withdrew while it was still
      // open (a ring a colleague's answer cut off after ring 3) stays on record, as retracted, from the
      // live run; a replay has no tick to raise it. Every other alert must be rebuilt exactly.
      const rebuiltIds = new Set(rebuilt.alerts.map((a) => a.id));
      const liveOnly = before.alerts.filter((a) => !rebuiltIds.has(a.id));
      expect.soft(liveOnly.filter((a) => a.status !== 'retracted'), 'alerts only the live run had, other than withdrawn ones').toEqual([]);
      expect.soft(rebuilt.alerts, '/api/alerts rebuilt from the events alone').toEqual(before.alerts.filter((a) => rebuiltIds.has(a.id)));
      for (const k of Object.keys(before.snapshots)) expect.soft(rebuilt.snapshots[k], `snapshot ${k} rebuilt from the events alone`).toEqual(before.snapshots[k]);

      // The report equals the engine folding the same events offline, day by day, and summed over the days.
      const off = offlineFold(received);
      const sums = (rows: QueueKpis[][]) => {
        const m: Record<string, Record<string, number>> = {};
        for (const row of rows) for (const q of row) for (const k of ['offered', 'answered', 'abandoned', 'endLost'] as const) ((m[q.queueId] ??= {})[k] = (m[q.queueId]?.[k] ?? 0) + q[k]);
        return m;
      };
      const offDays: QueueKpis[][] = [];
      for (const d of DAYS) {
        const day = isoDay(d);
        const t = selectDayTables(off, d);
        offDays.push(t.queues);
        const served = before.reports[day];
        expect.soft(served.queues.map((q) => pickFields(q, QUEUE_FIGURES)), `queues on ${day}: /api/report vs the offline fold`).toEqual(t.queues.map((q) => pickFields(q, QUEUE_FIGURES)));
        const byId = (xs: AgentView[]) => [...xs].sort((a, b) => a.agentId.localeCompare(b.agentId)).map((a) => ({ agentId: a.agentId, ...pickFields(a, AGENT_FIGURES) }));
        expect.soft(byId(served.agents), `agents on ${day}: /api/report vs the offline fold`).toEqual(byId(t.agents));
      }
      expect(sums(Object.values(before.reports).map((r) => r.queues))).toEqual(sums(offDays));

      // The feed spans every day, and /api/alerts returned every alert (under its limit).
      const total = sums(offDays);
      const offered = Object.values(total).reduce((n, q) => n + q.offered, 0);
      const perDay = DAYS.map((d) => selectDayTables(off, d).queues.reduce((n, q) => n + q.offered, 0));
      expect(perDay.every((n) => n > 0), `calls on every day: ${perDay}`).toBe(true);
      expect(before.alerts.length).toBeLessThan(5000);
      // What kinds of mess it held, checked over all the seeds at the end.
      const tally = (k: string, n = 1) => (coverage[k] = (coverage[k] ?? 0) + n);
      for (const [k, n] of Object.entries(stats.kinds)) tally(`calls: ${k}`, n);
      for (const [k, n] of Object.entries(stats.supervisor)) tally(`supervisor: ${k}`, n);
      for (const { event: e } of received) tally(`event: ${e.type}${e.type === 'call.ring-ended' ? ` ${e.outcome}` : ''}`);
      tally('end lost', Object.values(total).reduce((n, q) => n + q.endLost, 0));
      tally('end lost corrected', off.diagnostics.endLostCorrected);
      tally('past-day events', off.diagnostics.pastDay);
      tally('back-dated batches', stats.backDatedBatches);
      tally('events sent late', stats.jittered + stats.pastDayLate);
      tally('events sent early', stats.ahead);
      tally('alerts', before.alerts.length);
      tally('alerts acknowledged', before.alerts.filter((a) => a.ack).length);
      tally('alerts reopened', before.alerts.filter((a) => a.reopened).length);
      tally('alerts retracted', retractedIn(dbFile));
      console.info(
        `seed ${seed}: ${stats.calls} calls (${offered} offers; per day ${perDay.join('/')}), ${stats.sent} events in ${stats.posts} posts (+${stats.retries} retried), ` +
          `${stats.backDatedBatches} back-dated batches, ${stats.pastDayLate} events of a late past-day call, ${stats.jittered} late and ${stats.ahead} early events; ` +
          `kinds ${JSON.stringify(stats.kinds)}; supervisor ${JSON.stringify(stats.supervisor)}; ${before.alerts.length} alerts; ` +
          `end lost ${off.diagnostics.endLost}, corrected ${off.diagnostics.endLostCorrected}; ${Date.now() - startedAt} ms`,
      );
    }, 30_000);
  }

  it('the seeds together held every kind of mess the property is about', () => {
    const wanted = [
      'calls: parallel rings',
      'calls: abandoned while ringing',
      'calls: ring-no-answer, then answered',
      'calls: end lost',
      'calls: end lost, then corrected late',
      'calls: call.lost while waiting',
      'calls: call.lost while waiting, answer found late',
      'calls: call.lost while connected',
      'calls: agent offline on a call',
      'calls: transfer to agent',
      'calls: transfer to queue',
      'calls: slow agent, sent late',
      'supervisor: ack open',
      'supervisor: ack resolved',
      'supervisor: reopen open',
      'supervisor: reopen resolved',
      'event: call.ring-ended no-answer',
      'event: call.ring-ended canceled',
      'event: call.hold',
      'event: call.transferred',
      'event: call.abandoned',
      'event: call.lost',
      'event: callback.scheduled',
      'event: voicemail.left',
      'end lost',
      'end lost corrected',
      'past-day events',
      'back-dated batches',
      'events sent late',
      'events sent early',
      'alerts acknowledged',
      'alerts reopened',
      'alerts retracted',
    ];
    console.info(`the seeds held: ${JSON.stringify(coverage)}`);
    expect(wanted.filter((k) => !(coverage[k] > 0))).toEqual([]);
  });
});
