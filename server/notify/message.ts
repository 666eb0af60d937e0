/**
 * What a notification says, once for every channel kind: the alerts it is
 * about (with the agent's name and team, the queue and the times) and a short
 * text for humans (the email's body, the Slack/Teams `text`).
 */
import type { Alert } from '../../shared/state.ts';
import type { NotificationKind } from './types.ts';

/** One alert as a notification carries it: what the floor showed, nothing more. */
export interface AlertSummary {
  id: string;
  ruleId: string;
  level: string;
  status: string;
  agentId?: string;
  agentName?: string;
  team?: string;
  queueId?: string;
  callId?: string;
  /** Why it was raised, where the alert says (e.g. an away-long alert's pause reason, normalised). */
  reason?: string;
  value: number;
  threshold: number;
  unit: string;
  raisedAtMs: number;
  resolvedAtMs?: number;
  acknowledged?: { by: string; atMs: number };
}

/** A notification before it is put into a channel's form. */
export interface Notification {
  /** The same key on every node (the delivery record's id). */
  id: string;
  kind: NotificationKind;
  /** 0 for the first channel of a route, 1 for the next one after an escalation… */
  escalationStep: number;
  /** Minutes the breach waited unacknowledged (escalations only). */
  unacknowledgedMin?: number;
  alerts: AlertSummary[];
  /** Alerts of the burst beyond the {@link MAX_ALERTS_PER_MESSAGE} listed. */
  omittedAlerts?: number;
}

/** Alerts listed in one message; more are counted, not listed. */
export const MAX_ALERTS_PER_MESSAGE = 100;

/** The agent's name and team, as the floor knows them. */
export type AgentLookup = (agentId: string) => { name?: string; team?: string } | undefined;

/** The summary of an alert for a notification. */
export function summarize(a: Alert, agentOf: AgentLookup): AlertSummary {
  const agent = a.agentId ? agentOf(a.agentId) : undefined;
  return {
    id: a.id,
    ruleId: a.ruleId,
    level: a.level,
    status: a.status,
    ...(a.agentId ? { agentId: a.agentId } : {}),
    ...(agent?.name ? { agentName: agent.name } : {}),
    ...(agent?.team ? { team: agent.team } : {}),
    ...(a.queueId ? { queueId: a.queueId } : {}),
    ...(a.callId ? { callId: a.callId } : {}),
    ...(a.reason ? { reason: a.reason } : {}),
    value: a.value,
    threshold: a.threshold,
    unit: a.unit,
    raisedAtMs: a.raisedAtMs,
    ...(a.resolvedAtMs !== undefined ? { resolvedAtMs: a.resolvedAtMs } : {}),
    ...(a.ack ? { acknowledged: { by: a.ack.by, atMs: a.ack.atMs } } : {}),
  };
}

function clockText(ms: number, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false }).format(ms);
}

function alertLine(a: AlertSummary, timeZone: string): string {
  const who = a.agentId ? ` agent ${a.agentName ? `${a.agentName} (${a.agentId})` : a.agentId}` : '';
  const where = a.queueId ? ` queue ${a.queueId}` : '';
  const value = a.unit === 'event' ? '' : `: ${Math.round(a.value * 10) / 10} ${a.unit} (threshold ${a.threshold})`;
  const why = a.reason ? ` (${a.reason})` : '';
  return `${a.level.toUpperCase()} ${a.ruleId}${why}${who}${where}${value} at ${clockText(a.raisedAtMs, timeZone)}`;
}

/** The subject line (email) and first line of the text. */
export function subjectOf(n: Notification): string {
  const count = n.alerts.length + (n.omittedAlerts ?? 0);
  const many = count === 1 ? `${n.alerts[0].level} ${n.alerts[0].ruleId}` : `${count} alerts`;
  switch (n.kind) {
    case 'test':
      return 'Floorwatch: test message';
    case 'all-clear':
      return `Floorwatch: all clear (${many})`;
    case 'escalation':
      return `Floorwatch: unacknowledged for ${n.unacknowledgedMin ?? '?'} min (${many})`;
    default:
      return `Floorwatch: ${many}`;
  }
}

/** The human text: subject, then one line per alert (times in the floor's time zone). */
export function textOf(n: Notification, timeZone: string): string {
  if (n.kind === 'test') return 'Floorwatch: test message. This channel works.';
  const lines = [subjectOf(n), ...n.alerts.map((a) => `- ${alertLine(a, timeZone)}`)];
  if (n.omittedAlerts) lines.push(`- and ${n.omittedAlerts} more`);
  if (n.kind === 'all-clear') lines.push('These alerts have ended.');
  return lines.join('\n');
}
