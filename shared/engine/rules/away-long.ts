/**
 * `away-long` — be there for the callers: breaks within their limits. While an
 * agent is away with a reason that has a limit (shared/away.ts; break 15 min,
 * lunch 35 min, training none by default; per team), a warning at the limit and
 * a breach at the limit + 50 %, live; the alert ends when the agent comes back.
 * The time away itself is counted here too: per reason, on the floor-local day
 * it falls on (a stretch past midnight is split at the day's start).
 */
import { AWAY_BREACH_FACTOR, addAwayMs, awayLimitSec, normalizeAwayReason } from '../../away.ts';
import type { AgentPresence } from '../../events.ts';
import type { AgentState, FloorState } from '../../state.ts';
import { type FinalSpec, LEVEL_RANK, closeAlert, finalize, raiseOrUpdate, reviseAlert } from '../alerts.ts';
import { agentConfig, enabled } from '../core.ts';

type Stretch = NonNullable<AgentState['away']>;

/** The warning and breach limits of `reason` for agent `a`, s (null: no limit for it). */
export function awayLimitsFor(s: FloorState, a: AgentState, reason: string): { limitSec: number; breachSec: number } | null {
  const limitSec = awayLimitSec(agentConfig(s, a).awayLimitMinutes, reason);
  return limitSec === null ? null : { limitSec, breachSec: Math.round(limitSec * AWAY_BREACH_FACTOR) };
}

/** The alert id of an away stretch: one per agent and stretch start, the same in every replay. */
function awayAlertId(a: AgentState, w: Stretch): string {
  return `away-long:${a.agentId}:${w.sinceMs}`;
}

function awaySpec(s: FloorState, a: AgentState, w: Stretch, atMs: number): (FinalSpec & { on: boolean }) | null {
  const lim = awayLimitsFor(s, a, w.reason);
  if (!lim) return null;
  const sec = Math.max(0, atMs - w.sinceMs) / 1000;
  const level = sec >= lim.breachSec ? 'breach' : sec >= lim.limitSec ? 'warn' : null;
  return {
    id: awayAlertId(a, w),
    ruleId: 'away-long',
    level,
    value: Math.floor(sec),
    threshold: level === 'breach' ? lim.breachSec : lim.limitSec,
    unit: 'sec',
    raisedAtMs: w.sinceMs + lim.limitSec * 1000,
    atMs,
    agentId: a.agentId,
    reason: w.reason,
    on: enabled(agentConfig(s, a), 'away-long'),
  };
}

/**
 * Live: every agent away with a limited reason, at `nowMs`. An open alert is judged by the
 * limits in force now, so a change of settings (a `config.changed` ticks the floor at once) acts
 * on a pause under way as the README promises: a limit raised past the pause ends its alert there
 * (resolved: it was real under the limit of its time), a breach that is only a warning under the
 * new limit steps down, a lifted limit or a rule switched off ends it.
 */
export function checkAwayLive(s: FloorState, nowMs: number): void {
  for (const a of s.agents.values()) {
    const w = a.away;
    if (w === undefined) continue;
    const spec = awaySpec(s, a, w, nowMs);
    const open = s.alerts.get(awayAlertId(a, w));
    if (spec === null || !spec.on || spec.level === null) {
      if (open) {
        open.value = Math.floor(Math.max(0, nowMs - w.sinceMs) / 1000);
        closeAlert(s, open, nowMs, 'resolved');
      }
      continue;
    }
    const { on: _on, ...rest } = spec;
    const level = spec.level;
    if (open && LEVEL_RANK[level] < LEVEL_RANK[open.level]) reviseAlert(s, open, { level, value: rest.value, threshold: rest.threshold, raisedAtMs: open.raisedAtMs, atMs: nowMs });
    raiseOrUpdate(s, { ...rest, level });
  }
}

/**
 * An agent's presence changes to `state` (with the source's `rawReason`) at
 * `atMs`, an event of the live day: the away stretch in progress ends (its time
 * counted, its alert ended with its final length) when the agent is no longer
 * away or is away for another reason, and a new one begins when they go away.
 */
export function trackAway(s: FloorState, a: AgentState, state: AgentPresence, rawReason: string | undefined, atMs: number): void {
  const reason = state === 'away' ? normalizeAwayReason(rawReason) : undefined;
  const w = a.away;
  if (w !== undefined && w.reason === reason) return;
  if (w !== undefined) {
    a.away = undefined;
    const endMs = Math.max(atMs, w.sinceMs);
    addAwayMs(a.today.awayMs, w.reason, endMs - w.countedFromMs);
    const spec = awaySpec(s, a, w, endMs);
    // An alert a change of settings already ended (checkAwayLive) is not open: a stretch that no longer
    // deserves one leaves it as it ended; one that does is judged anew by its length.
    if (spec !== null && spec.on) {
      const { on: _on, ...rest } = spec;
      finalize(s, rest);
    } else {
      // The limit was lifted or the rule switched off during the stretch: what it raised ends with it.
      const open = s.alerts.get(awayAlertId(a, w));
      if (open) closeAlert(s, open, endMs, 'resolved');
    }
  }
  if (reason !== undefined) a.away = { reason, sinceMs: atMs, countedFromMs: atMs };
}

/**
 * The live day turns at `newDayStartMs`: the time of an agent's away stretch
 * still in progress counts on the day that ends up to its last instant, and on
 * the new day from its start. Call it before the day's tallies are put away.
 */
export function splitAwayAtDay(a: AgentState, newDayStartMs: number): void {
  const w = a.away;
  if (w === undefined || w.countedFromMs >= newDayStartMs) return;
  addAwayMs(a.today.awayMs, w.reason, newDayStartMs - w.countedFromMs);
  w.countedFromMs = newDayStartMs;
}

/** Time away of agent `a` by reason, ms, on its day `day` (today's includes the stretch in progress up to `nowMs`). */
export function awayMsByReason(a: AgentState, day: AgentState['today'], today: boolean, nowMs: number): Record<string, number> {
  const out = { ...day.awayMs };
  if (today && a.away !== undefined) addAwayMs(out, a.away.reason, nowMs - a.away.countedFromMs);
  return out;
}
