/**
 * Daily aggregates: what a range report keeps of each closed floor-local day,
 * taken from a folded floor (the live one for today, a replay of the log for
 * past days). The counters are the engine's own day counters, so a range's
 * figures are exactly the sum of its single-day reports; alerts are taken
 * from the engine's alert log as the fold drains it ({@link AlertTally}).
 */
import type { RuleId } from '../config.ts';
import { configFor } from '../engine/core.ts';
import type { Alert, AgentDay, FloorState, IntervalBucket, QueueDay } from '../state.ts';
import { localDay } from '../time.ts';
import { AGGREGATE_VERSION, type AgentDayAggregate, type AlertCount, type DayAggregate, type NotableCall, type QueueCounters, type QueueDayAggregate } from './types.ts';

/** Worst calls kept per agent and day (and for calls without an agent, per day). */
export const NOTABLE_CALLS_PER_AGENT = 5;

/** What the tally keeps of one alert: its final level and where it counts. */
export interface TalliedAlert {
  ruleId: RuleId;
  level: Alert['level'];
  retracted: boolean;
  dayStartMs: number;
  callId?: string;
  agentId?: string;
  queueId?: string;
  raisedAtMs: number;
}

/**
 * Collects the alerts of a fold as the engine logs them (each change of an
 * alert appears in `drainChanges(...).alerts`; the last one seen is its final
 * state). An alert counts on the day of its call (the day the call was
 * offered), else on the day it was raised. `take(day)` hands over and forgets
 * one day's alerts, so a fold of months keeps only the open days in memory.
 */
export class AlertTally {
  private readonly byId = new Map<string, TalliedAlert>();

  /** `keep`: the days whose alerts are wanted (default all); others are not held. */
  constructor(private readonly keep: (dayStartMs: number) => boolean = () => true) {}

  /** Notes the alerts of one drain of `s` (call right after `drainChanges`). */
  add(s: FloorState, alerts: readonly Alert[]): void {
    for (const a of alerts) {
      let t = this.byId.get(a.id);
      if (!t) {
        const call = a.callId !== undefined ? s.calls.get(a.callId) : undefined;
        const dayStartMs = call?.dayStartMs ?? localDay(a.raisedAtMs, s.config.timeZone).startMs;
        if (!this.keep(dayStartMs)) continue;
        t = { ruleId: a.ruleId, level: a.level, retracted: false, dayStartMs, callId: a.callId, agentId: a.agentId, queueId: a.queueId ?? call?.queueId, raisedAtMs: a.raisedAtMs };
        this.byId.set(a.id, t);
      }
      t.level = a.level;
      t.retracted = a.status === 'retracted';
      if (t.agentId === undefined && a.agentId !== undefined) t.agentId = a.agentId;
    }
  }

  /** The alerts (not retracted) counting on the day starting at `dayStartMs`; forgets them. */
  take(dayStartMs: number): TalliedAlert[] {
    const out: TalliedAlert[] = [];
    for (const [id, t] of this.byId) {
      if (t.dayStartMs !== dayStartMs) continue;
      this.byId.delete(id);
      if (!t.retracted) out.push(t);
    }
    return out;
  }

  /** Alerts held (for tests and memory checks). */
  get size(): number {
    return this.byId.size;
  }
}

/** The alerts of the live day as the floor holds them: every agent's of the day, and the open and recent ones. */
export function liveDayAlerts(s: FloorState): Alert[] {
  const byId = new Map<string, Alert>();
  for (const list of s.agentAlerts.values()) for (const a of list) byId.set(a.id, a);
  for (const a of s.recentAlerts) byId.set(a.id, a);
  for (const a of s.alerts.values()) byId.set(a.id, a);
  return [...byId.values()];
}

/** Copies the summable counters of a queue's day or interval. */
export function countersOf(d: QueueDay | IntervalBucket): QueueCounters {
  return {
    offered: d.offered,
    answered: d.answered,
    abandoned: d.abandoned,
    shortAbandoned: d.shortAbandoned,
    answeredWithinT: d.answeredWithinT,
    abandonedAfterT: d.abandonedAfterT,
    endLost: d.endLost,
    transferredOut: d.transferredOut,
    answeredWaitMs: d.answeredWaitMs,
    maxWaitMs: d.maxWaitMs,
    handled: d.handled,
    handleMs: d.handleMs,
  };
}

/** The day's alerts summed by rule, queue and agent (info notices left out); the team is each agent's on floor `s`. */
export function alertCounts(s: FloorState, alerts: readonly TalliedAlert[]): AlertCount[] {
  const byKey = new Map<string, AlertCount>();
  for (const t of alerts) {
    if (t.level === 'info') continue;
    const key = `${t.ruleId}\u0000${t.queueId ?? ''}\u0000${t.agentId ?? ''}`;
    let c = byKey.get(key);
    if (!c) byKey.set(key, (c = { rule: t.ruleId, queueId: t.queueId ?? null, agentId: t.agentId ?? null, team: (t.agentId !== undefined ? s.agents.get(t.agentId)?.team : undefined) ?? null, warn: 0, breach: 0 }));
    c[t.level]++;
  }
  return [...byKey.values()].sort((a, b) => a.rule.localeCompare(b.rule) || (a.queueId ?? '').localeCompare(b.queueId ?? '') || (a.agentId ?? '').localeCompare(b.agentId ?? ''));
}

function agentAggregate(s: FloorState, agentId: string, d: AgentDay): AgentDayAggregate {
  const a = s.agents.get(agentId);
  const eff = configFor(s, undefined, a?.team);
  const alerts: AgentDayAggregate['alerts'] = {};
  for (const [k, v] of Object.entries(d.alerts)) if (v.info || v.warn || v.breach) alerts[k as RuleId] = { ...v };
  return {
    agentId,
    name: a?.name ?? agentId,
    team: a?.team ?? null,
    quota: eff.workload.dailyQuota,
    handled: d.handled,
    talkMs: d.talkMs,
    holdMs: d.holdMs,
    wrapMs: d.wrapMs,
    holds: d.holds,
    ringNoAnswer: d.ringNoAnswer,
    ringCanceled: d.ringCanceled,
    ringsHist: [...d.ringsHist],
    holdHist: [...d.holdHist],
    alerts,
    awayMs: { ...d.awayMs },
  };
}

/** Notable calls of the day: per call, its breaches and warnings; the worst few per agent. */
function notableCalls(alerts: readonly TalliedAlert[], date: string): NotableCall[] {
  const byCall = new Map<string, NotableCall>();
  for (const t of alerts) {
    if (t.callId === undefined || t.level === 'info') continue;
    let n = byCall.get(t.callId);
    if (!n) byCall.set(t.callId, (n = { callId: t.callId, date, agentId: t.agentId ?? null, queueId: t.queueId ?? null, atMs: t.raisedAtMs, breaches: 0, warns: 0, rules: [] }));
    if (t.level === 'breach') n.breaches++;
    else n.warns++;
    if (!n.rules.includes(t.ruleId)) n.rules.push(t.ruleId);
    if (t.raisedAtMs < n.atMs) n.atMs = t.raisedAtMs;
    if (n.agentId === null && t.agentId !== undefined) n.agentId = t.agentId;
  }
  const perAgent = new Map<string, NotableCall[]>();
  for (const n of byCall.values()) {
    const key = n.agentId ?? '';
    let list = perAgent.get(key);
    if (!list) perAgent.set(key, (list = []));
    list.push(n);
  }
  const out: NotableCall[] = [];
  for (const list of perAgent.values()) out.push(...list.sort(worseFirst).slice(0, NOTABLE_CALLS_PER_AGENT));
  return out.sort(worseFirst);
}

/** Order of "worst": more breaches, then more warnings, then earlier. */
export function worseFirst(a: NotableCall, b: NotableCall): number {
  return b.breaches - a.breaches || b.warns - a.warns || a.atMs - b.atMs || a.callId.localeCompare(b.callId);
}

/** YYYY-MM-DD of the floor-local day starting at `dayStartMs` in `timeZone` (the date at its noon). */
export function dateOfDay(dayStartMs: number, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(dayStartMs + 12 * 3_600_000);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')}`;
}

/**
 * The aggregate of the floor-local day starting at `dayStartMs` of folded
 * floor `s` (today's live counters or a past day's kept in memory), with that
 * day's `alerts` (from {@link AlertTally.take}, or {@link liveDayAlerts} for
 * today). Queues and agents without any figure that day are left out.
 */
export function dayAggregate(s: FloorState, dayStartMs: number, alerts: readonly (TalliedAlert | Alert)[]): DayAggregate {
  const today = dayStartMs === s.dayStartMs;
  const dayEndMs = today ? s.dayEndMs : localDay(dayStartMs + 43_200_000, s.config.timeZone).endMs;
  const date = dateOfDay(dayStartMs, s.config.timeZone);
  const tallied: TalliedAlert[] = alerts.map((a) =>
    'id' in a
      ? { ruleId: a.ruleId, level: a.level, retracted: a.status === 'retracted', dayStartMs, callId: a.callId, agentId: a.agentId, queueId: a.queueId ?? (a.callId !== undefined ? s.calls.get(a.callId)?.queueId : undefined), raisedAtMs: a.raisedAtMs }
      : a,
  ).filter((a) => !a.retracted);
  const queues: QueueDayAggregate[] = [];
  for (const q of s.queues.values()) {
    const rec = today ? q : q.pastDays.get(dayStartMs);
    if (!rec) continue;
    const counters = countersOf(rec.today);
    if (counters.offered === 0 && counters.handled === 0 && counters.transferredOut === 0) continue;
    const sl = configFor(s, q.queueId, undefined).serviceLevel;
    const intervals = [...rec.intervals.values()].sort((a, b) => a.startMs - b.startMs).map((b) => ({ startMs: b.startMs, ...countersOf(b) }));
    queues.push({ queueId: q.queueId, counters, thresholdSec: sl.thresholdSec, targetPct: sl.targetPct, intervals });
  }
  queues.sort((a, b) => a.queueId.localeCompare(b.queueId));
  const agents: AgentDayAggregate[] = [];
  for (const a of s.agents.values()) {
    const d = today ? a.today : a.pastDays.get(dayStartMs);
    if (!d) continue;
    const agg = agentAggregate(s, a.agentId, d);
    const worked = agg.handled > 0 || agg.ringNoAnswer > 0 || agg.ringCanceled > 0 || Object.keys(agg.alerts).length > 0 || Object.keys(agg.awayMs).length > 0;
    if (!worked) continue;
    agents.push(agg);
  }
  agents.sort((a, b) => a.name.localeCompare(b.name) || a.agentId.localeCompare(b.agentId));
  return { version: AGGREGATE_VERSION, date, dayStartMs, dayEndMs, queues, agents, alerts: alertCounts(s, tallied), notableCalls: notableCalls(tallied, date) };
}
