/**
 * `quota-pace` — reach the daily call quota: handled calls against the pace
 * the quota needs at this point of the agent's shift (quota × elapsed share of
 * the shift since their first sign-in of the day); warn when more than 2 calls behind.
 */
import type { EffectiveConfig } from '../../config.ts';
import type { AgentState, FloorState } from '../../state.ts';
import { paceExpectedAt } from '../../measure.ts';
import { closeAlert, raiseOrUpdate } from '../alerts.ts';
import { agentConfig, enabled, round1 } from '../core.ts';

/** Calls the quota's pace expects from an agent by `atMs` (null before their shift). */
export function paceExpected(a: AgentState, eff: EffectiveConfig, atMs: number): number | null {
  return paceExpectedAt(a.shiftStartMs, eff.workload.shiftMinutes, eff.workload.dailyQuota, atMs);
}

/**
 * Live and on every handled call: the agent's pace. Pace is a judgement of
 * now: it is made at the engine's clock even when a back-dated event (a call
 * end that arrives late) triggers it, so the late call counts towards the pace
 * from now on instead of closing, at a past time, a warning a live tick raised
 * since. A replay of the log, which has no ticks, then judges at the same
 * moments with the same knowledge as the live run and keeps the same warnings.
 */
export function evaluatePace(s: FloorState, a: AgentState, eventAtMs: number): void {
  const atMs = Math.max(eventAtMs, s.nowMs);
  const eff = agentConfig(s, a);
  if (!enabled(eff, 'quota-pace')) return;
  const expected = paceExpected(a, eff, atMs);
  if (expected === null) return;
  const behind = expected - a.today.handled;
  const limit = eff.rules.quotaPaceWarnBehind;
  const open = a.paceAlertId !== undefined ? s.alerts.get(a.paceAlertId) : undefined;
  if (behind > limit && a.presence !== 'offline') {
    if (!open) a.paceEpisodes++;
    const shiftMs = eff.workload.shiftMinutes * 60_000;
    const crossing = (a.shiftStartMs ?? atMs) + ((a.today.handled + limit) / eff.workload.dailyQuota) * shiftMs;
    const alert = raiseOrUpdate(s, {
      id: a.paceAlertId ?? `quota-pace:${a.agentId}:${s.dayStartMs}:${a.paceEpisodes}`,
      ruleId: 'quota-pace',
      level: 'warn',
      value: round1(behind),
      threshold: limit,
      unit: 'calls',
      raisedAtMs: Math.min(atMs, Math.round(crossing)),
      atMs,
      agentId: a.agentId,
    });
    a.paceAlertId = alert.id;
  } else if (open && behind <= limit) {
    open.value = round1(Math.max(0, behind));
    closeAlert(s, open, atMs, 'resolved');
    a.paceAlertId = undefined;
  }
}

/** Live: every signed-in agent's pace at `nowMs`. */
export function checkPaceLive(s: FloorState, nowMs: number): void {
  for (const a of s.agents.values()) {
    if (a.shiftStartMs !== undefined && a.presence !== 'offline') evaluatePace(s, a, nowMs);
  }
}
