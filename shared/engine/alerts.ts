/**
 * The alert lifecycle: raised (with the exact threshold crossing as
 * `raisedAtMs`), updated while it grows (the level only rises while open),
 * resolved when the condition ends, or retracted when later evidence shows it
 * was never real. Retracted alerts count nowhere.
 */
import type { RuleId } from '../config.ts';
import { type Alert, type AlertEvidence, type CallState, type AlertLevel, type AlertUnit, type FloorState, ALERT_EVIDENCE_CAP } from '../state.ts';
import { AGENT_ALERTS_CAP, RECENT_ALERTS_CAP } from './core.ts';
import { agentDay, dayOf } from './days.ts';

export const LEVEL_RANK: Record<AlertLevel, number> = { info: 0, warn: 1, breach: 2 };

/** What a rule measured: enough to raise or update its alert. */
export interface RaiseSpec {
  id: string;
  ruleId: RuleId;
  level: AlertLevel;
  value: number;
  threshold: number;
  unit: AlertUnit;
  raisedAtMs: number;
  atMs: number;
  callId?: string;
  agentId?: string;
  queueId?: string;
  voicemailId?: string;
  callbackId?: string;
  reason?: string;
  /** Conversation rules: what the alert stands on (a new alert takes it; an open one adds what it lacks). */
  evidence?: readonly AlertEvidence[];
}

/** A spec whose level may be none: the condition ended below every threshold. */
export type FinalSpec = Omit<RaiseSpec, 'level'> & { level: AlertLevel | null };

/** The floor-local day each alert counts on: its call's day, else the day it was raised. */
const alertDays = new WeakMap<Alert, number>();

/** The floor-local day (its start, epoch ms) alert `a` of floor `s` counts on: its call's day, else the day it was raised (what-if reads it). */
export function alertDay(s: FloorState, a: Alert): number {
  return alertDays.get(a) ?? dayOf(s, a.raisedAtMs);
}

function countAlert(s: FloorState, a: Alert, delta: 1 | -1): void {
  if (a.agentId === undefined) return;
  const agent = s.agents.get(a.agentId);
  if (!agent) return;
  const day = agentDay(s, agent, alertDays.get(a) ?? dayOf(s, a.raisedAtMs));
  const counts = (day.alerts[a.ruleId] ??= { info: 0, warn: 0, breach: 0 });
  counts[a.level] += delta;
  s.changes.agents.add(a.agentId);
}

function logAlert(s: FloorState, a: Alert): void {
  if ((alertDays.get(a) ?? s.dayStartMs) >= s.dayStartMs) s.changes.alerts.add(a.id);
  s.alertLog.push(a);
  if (a.queueId !== undefined) s.changes.queues.add(a.queueId);
  s.changes.kpis = true;
}

/** Records a change of an alert made outside this module (an acknowledgement, a reopening). */
export function touchAlert(s: FloorState, a: Alert): void {
  logAlert(s, a);
}

/**
 * Raises an alert, or updates the open one with the same id: the value moves,
 * the level only ever rises while it is open.
 */
export function raiseOrUpdate(s: FloorState, spec: RaiseSpec): Alert {
  const existing = s.alerts.get(spec.id);
  if (existing) {
    if (LEVEL_RANK[spec.level] > LEVEL_RANK[existing.level]) {
      countAlert(s, existing, -1);
      existing.level = spec.level;
      existing.threshold = spec.threshold;
      countAlert(s, existing, 1);
    }
    existing.value = spec.value;
    existing.updatedAtMs = spec.atMs;
    if (spec.evidence) addEvidence(existing, spec.evidence);
    logAlert(s, existing);
    return existing;
  }
  const earlier = closedIndex.get(s)?.get(spec.id);
  if (earlier) forgetClosed(s, earlier); // an id given back (a queue-wait episode never real) is raised anew
  const a: Alert = {
    id: spec.id,
    ruleId: spec.ruleId,
    level: spec.level,
    status: 'open',
    value: spec.value,
    threshold: spec.threshold,
    unit: spec.unit,
    raisedAtMs: spec.raisedAtMs,
    updatedAtMs: spec.atMs,
  };
  if (spec.callId !== undefined) a.callId = spec.callId;
  if (spec.agentId !== undefined) a.agentId = spec.agentId;
  if (spec.queueId !== undefined) a.queueId = spec.queueId;
  if (spec.voicemailId !== undefined) a.voicemailId = spec.voicemailId;
  if (spec.callbackId !== undefined) a.callbackId = spec.callbackId;
  if (spec.reason !== undefined) a.reason = spec.reason;
  if (spec.evidence) addEvidence(a, spec.evidence);
  const call = spec.callId !== undefined ? s.calls.get(spec.callId) : undefined;
  const day = call?.dayStartMs ?? dayOf(s, a.raisedAtMs);
  alertDays.set(a, day);
  s.alerts.set(a.id, a);
  countAlert(s, a, 1);
  if (call) {
    call.openAlerts[spec.ruleId] = a.id;
    call.alertIds.push(a.id);
  }
  if (a.agentId !== undefined && day >= s.dayStartMs) {
    let list = s.agentAlerts.get(a.agentId);
    if (!list) s.agentAlerts.set(a.agentId, (list = []));
    list.push(a);
    if (list.length > AGENT_ALERTS_CAP) list.splice(0, list.length - AGENT_ALERTS_CAP);
  }
  logAlert(s, a);
  return a;
}

/**
 * Adds evidence items to an alert: those it does not hold yet (same speaker and start), oldest first,
 * at most ALERT_EVIDENCE_CAP (the first ones are kept). Returns whether anything was added.
 */
export function addEvidence(a: Alert, items: readonly AlertEvidence[]): boolean {
  // Copy on write: live views keep shallow copies of alerts and see a change as a new array.
  let list: AlertEvidence[] | undefined;
  for (const ev of items) {
    const cur = list ?? a.evidence ?? [];
    const i = cur.findIndex((x) => x.speaker === ev.speaker && x.startMs === ev.startMs);
    if (i >= 0 && cur[i].endMs === ev.endMs) continue;
    if (i < 0 && cur.length >= ALERT_EVIDENCE_CAP) continue;
    list ??= [...cur];
    if (i >= 0) list[i] = { ...list[i], endMs: ev.endMs };
    else list.push({ ...ev });
  }
  if (!list) return false;
  list.sort((x, y) => x.startMs - y.startMs);
  a.evidence = list;
  return true;
}

export function closeAlert(s: FloorState, a: Alert, atMs: number, status: 'resolved' | 'retracted'): void {
  if (status === 'retracted') countAlert(s, a, -1);
  a.status = status;
  a.resolvedAtMs = atMs;
  a.updatedAtMs = Math.max(a.updatedAtMs, atMs);
  s.alerts.delete(a.id);
  indexClosed(s, a);
  if (a.callId !== undefined) {
    const c = s.calls.get(a.callId);
    if (c && c.openAlerts[a.ruleId] === a.id) delete c.openAlerts[a.ruleId];
    // A live tick ran ahead of an event that shows the threshold was never crossed: a replay
    // (no ticks) never raises it, so it leaves the call and the agent's list; the record keeps it.
    if (c && status === 'retracted') c.alertIds = c.alertIds.filter((id) => id !== a.id);
  }
  if (status === 'retracted' && a.agentId !== undefined) {
    const list = s.agentAlerts.get(a.agentId);
    const i = list ? list.lastIndexOf(a) : -1;
    if (list && i >= 0) list.splice(i, 1);
  }
  if (a.agentId !== undefined) s.changes.agents.add(a.agentId);
  if (status === 'resolved' && (alertDays.get(a) ?? s.dayStartMs) >= s.dayStartMs) {
    s.recentAlerts.push(a);
    if (s.recentAlerts.length > RECENT_ALERTS_CAP) s.recentAlerts.splice(0, s.recentAlerts.length - RECENT_ALERTS_CAP);
  }
  logAlert(s, a);
}

/**
 * Retracts an open alert a live tick raised ahead of an event that shows its
 * threshold was never crossed. Its record is the same whichever tick raised
 * it, or whether a replay (no ticks) raised it at all: the final measurement
 * `value` against the warning `threshold`, at the first level, at `atMs`.
 */
export function withdrawOpen(s: FloorState, a: Alert, atMs: number, value: number, threshold: number): void {
  closeAlert(s, a, atMs, 'retracted');
  a.value = value;
  a.level = 'warn';
  a.threshold = threshold;
  a.updatedAtMs = atMs;
}

/**
 * Retracts an alert already resolved: later evidence (a late event that
 * back-dates what it measured) shows it was never real. It leaves the feed and
 * every count, and its record says retracted.
 */
export function retractResolved(s: FloorState, a: Alert, atMs: number): void {
  if (a.status !== 'resolved') return;
  countAlert(s, a, -1);
  a.status = 'retracted';
  a.updatedAtMs = Math.max(a.updatedAtMs, atMs);
  // It stays in the floor's feed and the agent's list, shown as withdrawn: it was on screen as real.
  if (a.agentId !== undefined) s.changes.agents.add(a.agentId);
  logAlert(s, a);
}

/**
 * Sets an alert's figures anew from what is now known (a rule that measures
 * several things, re-measured after a late event): level (which may go down),
 * value, threshold and crossing time; its counts and its day follow. An open
 * alert is updated at `atMs`; a closed one keeps its end.
 */
export function reviseAlert(s: FloorState, a: Alert, fig: { level: AlertLevel; value: number; threshold: number; raisedAtMs: number; atMs: number }): void {
  const counted = a.status !== 'retracted';
  if (counted) countAlert(s, a, -1);
  a.level = fig.level;
  a.value = fig.value;
  a.threshold = fig.threshold;
  a.raisedAtMs = fig.raisedAtMs;
  a.updatedAtMs = a.status === 'open' ? fig.atMs : Math.max(a.updatedAtMs, fig.atMs);
  if (a.callId === undefined) alertDays.set(a, dayOf(s, a.raisedAtMs));
  if (counted) countAlert(s, a, 1);
  logAlert(s, a);
}

/**
 * A count on call `c` (its requests to repeat, listed words, talk-overs) that reached `threshold`: the
 * first time an alert `<rule>:<callId>` recorded as a fact at `atMs`, later only its value (the count)
 * and evidence grow. Below the threshold nothing happens.
 */
export function countOnCall(s: FloorState, c: CallState, rule: RuleId, level: AlertLevel, unit: AlertUnit, count: number, threshold: number, atMs: number, evidence: readonly AlertEvidence[]): void {
  if (count < threshold) return;
  const id = `${rule}:${c.callId}`;
  const known = findAnyAlert(s, id);
  if (known && known.status !== 'retracted') {
    reviseAlert(s, known, { level: known.level, value: count, threshold: known.threshold, raisedAtMs: known.raisedAtMs, atMs });
    if (addEvidence(known, evidence)) touchAlert(s, known);
    return;
  }
  // Raised before, but no longer within reach (the closed index is bounded): counted once, never again.
  if (c.alertIds.includes(id)) return;
  recordFact(s, { id, ruleId: rule, level, value: count, threshold, unit, raisedAtMs: atMs, atMs, callId: c.callId, agentId: c.agentId, queueId: c.queueId, evidence });
}

/** Raises a point-in-time breach (a fact, not a condition): it is resolved as it is raised. */
export function recordFact(s: FloorState, spec: RaiseSpec): void {
  const a = raiseOrUpdate(s, spec);
  closeAlert(s, a, spec.atMs, 'resolved');
}

/**
 * Ends a live condition with its final measurement: the alert takes the level
 * the final value deserves (raised now if no tick saw it, retracted if a late
 * event shows the threshold was never crossed).
 */
export function finalize(s: FloorState, spec: FinalSpec): void {
  const open = s.alerts.get(spec.id);
  if (spec.level === null) {
    if (open) withdrawOpen(s, open, spec.atMs, spec.value, spec.threshold);
    return;
  }
  if (open && LEVEL_RANK[spec.level] < LEVEL_RANK[open.level]) {
    // A tick ran ahead of a late event: the final measurement rules.
    countAlert(s, open, -1);
    open.level = spec.level;
    open.threshold = spec.threshold;
    countAlert(s, open, 1);
  }
  const a = raiseOrUpdate(s, { ...spec, level: spec.level });
  closeAlert(s, a, spec.atMs, 'resolved');
}

/**
 * Re-measures a condition already ended (a late event corrected when it
 * ended): the resolved alert takes the new level and value, is retracted when
 * the threshold was never crossed, or is raised when it now is.
 */
export function remeasure(s: FloorState, existing: Alert | undefined, spec: FinalSpec): void {
  if (!existing || existing.status === 'open') {
    finalize(s, spec);
    return;
  }
  if (existing.status === 'retracted') {
    if (spec.level === null) return;
    // Raised again under the same id: it was real after all.
    existing.status = 'resolved';
    existing.level = spec.level;
    countAlert(s, existing, 1);
  } else if (spec.level === null) {
    retractResolved(s, existing, spec.atMs);
    return;
  } else if (spec.level !== existing.level) {
    countAlert(s, existing, -1);
    existing.level = spec.level;
    countAlert(s, existing, 1);
  }
  existing.value = spec.value;
  existing.threshold = spec.threshold;
  existing.resolvedAtMs = spec.atMs;
  existing.updatedAtMs = Math.max(existing.updatedAtMs, spec.atMs);
  logAlert(s, existing);
}

/** Finds an alert that is open or still among the recent ones. */
export function findAlert(s: FloorState, id: string): Alert | undefined {
  const open = s.alerts.get(id);
  if (open) return open;
  for (let i = s.recentAlerts.length - 1; i >= 0; i--) if (s.recentAlerts[i].id === id) return s.recentAlerts[i];
  return undefined;
}

/** Finds an alert by id whatever its status: open, or among the recently closed (for corrections by late events). */
export function findAnyAlert(s: FloorState, id: string): Alert | undefined {
  return s.alerts.get(id) ?? closedIndex.get(s)?.get(id);
}

/** Takes a closed alert whose id is raised anew out of the feed and the agent's list (the record is overwritten). */
function forgetClosed(s: FloorState, a: Alert): void {
  const i = s.recentAlerts.lastIndexOf(a);
  if (i >= 0) s.recentAlerts.splice(i, 1);
  const list = a.agentId !== undefined ? s.agentAlerts.get(a.agentId) : undefined;
  const j = list ? list.lastIndexOf(a) : -1;
  if (list && j >= 0) list.splice(j, 1);
  closedIndex.get(s)?.delete(a.id);
}

/** Recently closed alerts by id, newest last, bounded: a late event can still correct them. */
const closedIndex = new WeakMap<FloorState, Map<string, Alert>>();
const CLOSED_INDEX_CAP = 4 * RECENT_ALERTS_CAP;

function indexClosed(s: FloorState, a: Alert): void {
  let m = closedIndex.get(s);
  if (!m) closedIndex.set(s, (m = new Map()));
  m.delete(a.id);
  m.set(a.id, a);
  if (m.size > CLOSED_INDEX_CAP) m.delete(m.keys().next().value as string);
}
