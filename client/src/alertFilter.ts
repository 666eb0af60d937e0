/**
 * The floor's alert feed, arranged for attention: open, unacknowledged alerts
 * first (breaches before warnings, newest first), then open acknowledged ones,
 * and the ended record apart (the feed collapses it behind a count). Filters by
 * level, rule, queue, team and status. Pure: no DOM, no store.
 */
import type { Alert, AlertLevel } from '../../shared/state.ts';

/** An alert's standing as the feed filters it. */
export type AlertStanding = 'attention' | 'acked' | 'ended' | 'retracted';

/** The feed's filters; an empty string lets everything through. `status` 'open' means attention or acked. */
export interface AlertFilter {
  level: '' | AlertLevel;
  rule: string;
  queue: string;
  team: string;
  status: '' | AlertStanding | 'open';
}

const RANK: Record<AlertLevel, number> = { info: 1, warn: 2, breach: 3 };

/** Filters that let every alert through. */
export function emptyAlertFilter(): AlertFilter {
  return { level: '', rule: '', queue: '', team: '', status: '' };
}

/** How many filters are set (shown on the filters button). */
export function activeFilterCount(f: AlertFilter): number {
  return Object.values(f).filter((v) => v !== '').length;
}

/**
 * Does the alert wait for an acknowledgement? A breach does until someone acknowledges it, even
 * once it ended (a hold without asking is a fact, resolved as it is raised, and still needs a
 * supervisor's word); a warning only while it lasts. Withdrawn alerts never do.
 */
export function needsAck(a: Alert): boolean {
  return a.status !== 'retracted' && !a.ack && (a.status === 'open' || a.level === 'breach');
}

/** Waiting for an acknowledgement, open and acknowledged, ended (and settled), or withdrawn as never real. */
export function alertStanding(a: Alert): AlertStanding {
  if (a.status === 'retracted') return 'retracted';
  if (needsAck(a)) return 'attention';
  return a.status === 'open' ? 'acked' : 'ended';
}

/** Does the alert pass the filters? `teamOf` maps an agent id to the agent's team. */
export function matchesAlert(a: Alert, f: AlertFilter, teamOf: (agentId: string) => string | null | undefined): boolean {
  if (f.level && a.level !== f.level) return false;
  if (f.rule && a.ruleId !== f.rule) return false;
  if (f.queue && a.queueId !== f.queue) return false;
  if (f.team && (!a.agentId || teamOf(a.agentId) !== f.team)) return false;
  if (f.status) {
    const s = alertStanding(a);
    if (f.status === 'open' ? s !== 'attention' && s !== 'acked' : s !== f.status) return false;
  }
  return true;
}

/**
 * The filtered feed in the order it is shown: `active` (waiting for an acknowledgement first, by
 * level then newest; then open acknowledged ones, newest first) and `ended` (ended and settled,
 * and withdrawn, newest first). Ended alerts in `keep` (the ones this user just acknowledged)
 * stay among the acknowledged ones, so what was acted on does not vanish from under the focus.
 */
export function arrangeAlerts(
  alerts: readonly Alert[],
  f: AlertFilter,
  teamOf: (agentId: string) => string | null | undefined,
  keep: ReadonlySet<string> = new Set(),
): { active: Alert[]; ended: Alert[] } {
  const attention: Alert[] = [];
  const acked: Alert[] = [];
  const ended: Alert[] = [];
  for (const a of alerts) {
    if (!matchesAlert(a, f, teamOf)) continue;
    const s = alertStanding(a);
    (s === 'attention' ? attention : s === 'acked' || (s === 'ended' && keep.has(a.id)) ? acked : ended).push(a);
  }
  attention.sort((a, b) => RANK[b.level] - RANK[a.level] || b.raisedAtMs - a.raisedAtMs);
  acked.sort((a, b) => b.raisedAtMs - a.raisedAtMs);
  ended.sort((a, b) => b.raisedAtMs - a.raisedAtMs);
  return { active: [...attention, ...acked], ended };
}

/** The distinct values of the alerts for a filter's choices, sorted. */
export function filterChoices(alerts: readonly Alert[], teamOf: (agentId: string) => string | null | undefined): { rules: string[]; queues: string[]; teams: string[] } {
  const rules = new Set<string>();
  const queues = new Set<string>();
  const teams = new Set<string>();
  for (const a of alerts) {
    rules.add(a.ruleId);
    if (a.queueId) queues.add(a.queueId);
    const team = a.agentId ? teamOf(a.agentId) : null;
    if (team) teams.add(team);
  }
  const sort = (s: Set<string>) => [...s].sort((x, y) => x.localeCompare(y));
  return { rules: sort(rules), queues: sort(queues), teams: sort(teams) };
}
