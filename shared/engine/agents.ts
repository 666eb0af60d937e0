/**
 * Agents: presence (available, away with a reason, wrap-up, offline), the
 * shift that the quota's pace is measured from, and the evidence a presence
 * change gives about a call: an agent going offline is no longer on a call.
 */
import type { EventOf } from '../events.ts';
import type { FloorState } from '../state.ts';
import { countReason, ensureAgent, ensureQueue, isConnected } from './core.ts';
import { closeLost } from './lost.ts';
import { endRing } from './rings.ts';
import { finishWrap } from './segments.ts';
import { evaluatePace } from './rules/quota-pace.ts';
import { trackAway } from './rules/away-long.ts';

export function onAgentState(s: FloorState, e: EventOf<'agent.state'>): void {
  const a = ensureAgent(s, e.agentId, e.at);
  if (e.at < s.dayStartMs) {
    // A presence change of a day already over says nothing about who is here now.
    s.diagnostics.pastDay++;
    countReason(s, 'agent.state of a past day: history only');
    if (a.name === undefined && e.name !== undefined) a.name = e.name;
    if (a.team === undefined && e.team !== undefined) a.team = e.team;
    return;
  }
  if (e.name !== undefined) a.name = e.name;
  if (e.team !== undefined) a.team = e.team;
  if (e.queues !== undefined) {
    a.queues = [...e.queues];
    // A queue someone serves belongs on the floor even before its first call.
    for (const q of e.queues) ensureQueue(s, q);
  }
  if (e.state === 'offline' && a.callId !== undefined) {
    const c = s.calls.get(a.callId);
    if (c && isConnected(c) && c.agentId === a.agentId) closeLost(s, c, e.at, 'agent went offline');
    else if (c && c.rings.some((r) => r.agentId === a.agentId)) endRing(s, c, a.agentId, e.at, 'no-answer');
  }
  evaluatePace(s, a, e.at);
  if (a.presence !== e.state) {
    if (a.presence === 'wrapup') finishWrap(s, a, e.at);
    if (e.state === 'wrapup' && a.wrapQueueId !== undefined && a.wrapStartMs === undefined) a.wrapStartMs = e.at;
    a.presence = e.state;
    a.presenceSinceMs = e.at;
  }
  a.reason = e.reason;
  trackAway(s, a, e.state, e.reason, e.at);
  if (e.state !== 'offline' && a.shiftStartMs === undefined) a.shiftStartMs = e.at;
  s.changes.agents.add(a.agentId);
  s.changes.kpis = true;
}
