/**
 * Which routes an alert takes, and whether a channel is in its quiet hours.
 * Pure: no clock, no I/O (time comes in as `nowMs`).
 */
import type { Alert } from '../../shared/state.ts';
import type { QuietHours, Route, Routing } from './types.ts';

/** The routes an alert matches at its current level (info alerts match none). */
export function routesFor(routing: Routing, a: Pick<Alert, 'ruleId' | 'level' | 'queueId'>, team: string | undefined): Route[] {
  if (a.level !== 'warn' && a.level !== 'breach') return [];
  return routing.routes.filter(
    (r) =>
      (r.ruleIds.length === 0 || (r.ruleIds as string[]).includes(a.ruleId)) &&
      (r.levels as string[]).includes(a.level) &&
      (r.queueIds.length === 0 || (a.queueId !== undefined && r.queueIds.includes(a.queueId))) &&
      (r.teams.length === 0 || (team !== undefined && r.teams.includes(team))),
  );
}

/** Minutes an unacknowledged breach of this rule waits before it goes to the next channel. */
export function escalateAfterMin(routing: Routing, ruleId: string): number {
  return (routing.escalation.perRule as Record<string, number | undefined>)[ruleId] ?? routing.escalation.defaultMin;
}

/** Minutes since floor-local midnight at `nowMs`. */
export function localMinuteOfDay(nowMs: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(nowMs);
  const hour = Number(parts.find((p) => p.type === 'hour')?.value ?? 0);
  const minute = Number(parts.find((p) => p.type === 'minute')?.value ?? 0);
  return hour * 60 + minute;
}

/** Whether `nowMs` falls in the quiet hours (floor-local, `from` inclusive, `to` exclusive; `from` > `to` spans midnight; equal = never). */
export function inQuietHours(q: QuietHours | null | undefined, nowMs: number, timeZone: string): boolean {
  if (!q) return false;
  const toMin = (t: string) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3, 5));
  const from = toMin(q.from);
  const to = toMin(q.to);
  if (from === to) return false;
  const m = localMinuteOfDay(nowMs, timeZone);
  return from < to ? m >= from && m < to : m >= from || m < to;
}
