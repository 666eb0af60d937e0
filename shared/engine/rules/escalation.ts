/** `escalation` — a caller asking for a manager: one chance to resolve it yourself first. Info at the 1st request, warn at the 2nd; resolved when the call ends. */
import type { CallState, FloorState } from '../../state.ts';
import { closeAlert, raiseOrUpdate } from '../alerts.ts';
import { callConfig, enabled } from '../core.ts';

/** A request counted on the call (`c.escalations` already includes it). */
export function judgeEscalation(s: FloorState, c: CallState, atMs: number): void {
  if (!enabled(callConfig(s, c), 'escalation')) return;
  raiseOrUpdate(s, {
    id: `escalation:${c.callId}`,
    ruleId: 'escalation',
    level: c.escalations >= 2 ? 'warn' : 'info',
    value: c.escalations,
    threshold: c.escalations >= 2 ? 2 : 1,
    unit: 'requests',
    raisedAtMs: atMs,
    atMs,
    callId: c.callId,
    agentId: c.agentId,
    queueId: c.queueId,
  });
}

/** The call ended: an open escalation ends with it. */
export function endEscalation(s: FloorState, c: CallState, atMs: number): void {
  const esc = c.openAlerts.escalation !== undefined ? s.alerts.get(c.openAlerts.escalation) : undefined;
  if (esc) closeAlert(s, esc, atMs, 'resolved');
}
