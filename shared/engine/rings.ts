/**
 * Rings. A call may ring any number of agents at once (ringall, hunt groups)
 * or in turn; each ring has its own start and end and is judged on its own.
 * A ring ends answered (by that agent), no-answer (timed out on that agent:
 * RINGNOANSWER, AgentRingNoAnswer, the call sent back to its queue, or the
 * agent rung for another call or gone offline: it ran out) or canceled (a
 * colleague answered, the caller hung up, the call left): canceled rings are
 * counted apart and never held against the agent.
 */
import type { AgentState, CallState, FloorState, Ring, RingOutcome } from '../state.ts';
import { ensureAgent, isConnected, timeline, touchCall } from './core.ts';
import { agentDay } from './days.ts';
import { judgeRing, ringsSoFar } from './rules/ring-limit.ts';
import { finishWrap } from './segments.ts';
import { closeLost } from './lost.ts';

/**
 * Agent `agentId` is now taken by call `c` (rung or answering) at `atMs`. Evidence about the call
 * they were on before: a connected one lost its end; a ring elsewhere ran out.
 */
export function takeAgent(s: FloorState, c: CallState, agentId: string, atMs: number): AgentState {
  const a = ensureAgent(s, agentId, atMs);
  if (c.history) return a; // a past day's call never touches who is doing what now
  if (a.callId !== undefined && a.callId !== c.callId) {
    const other = s.calls.get(a.callId);
    if (other && isConnected(other) && other.agentId === agentId) closeLost(s, other, atMs, 'agent taken by another call');
    else if (other && other.rings.some((r) => r.agentId === agentId)) endRing(s, other, agentId, atMs, 'no-answer');
    if (a.callId !== undefined && a.callId !== c.callId) a.callId = undefined;
  }
  finishWrap(s, a, atMs);
  a.callId = c.callId;
  s.changes.agents.add(agentId);
  return a;
}

/** Starts a ring of `agentId` on `c` at `atMs` (`seen` false: an answer came with no ring seen, so its start is unknown). Repeats are ignored. */
export function startRing(s: FloorState, c: CallState, agentId: string, atMs: number, seen = true): Ring | undefined {
  if (c.rings.some((r) => r.agentId === agentId)) return undefined;
  takeAgent(s, c, agentId, atMs);
  c.ringAttempts++;
  const ring: Ring = { agentId, attempt: c.ringAttempts };
  if (seen) ring.startMs = atMs;
  c.rings.push(ring);
  if (!isConnected(c)) {
    c.status = 'ringing';
    c.agentId = agentId;
  }
  touchCall(s, c);
  return ring;
}

/**
 * Ends the ring of `agentId` on `c` at `atMs` with `outcome`; returns its ring
 * count (explicit `ringCount`, else from ringing time and cadence; undefined
 * when unknown or when the agent was not ringing).
 */
export function endRing(s: FloorState, c: CallState, agentId: string, atMs: number, outcome: RingOutcome, ringCount?: number): number | undefined {
  const i = c.rings.findIndex((r) => r.agentId === agentId);
  if (i < 0) return undefined;
  const ring = c.rings[i];
  c.rings.splice(i, 1);
  const rings = ringCount ?? ringsSoFar(s, c, ring, atMs);
  judgeRing(s, c, ring, rings, atMs, outcome);
  const a = s.agents.get(agentId);
  if (a) {
    const d = agentDay(s, a, c.dayStartMs);
    if (outcome === 'answered') {
      if (rings !== undefined) d.ringsHist[Math.min(6, rings)]++;
    } else {
      if (outcome === 'no-answer') d.ringNoAnswer++;
      else d.ringCanceled++;
      timeline(c, { at: atMs, type: 'call.ring-ended', agentId }, rings !== undefined ? { outcome, rings } : { outcome });
      if (a.callId === c.callId) {
        a.callId = undefined;
        a.freeSinceMs = atMs;
      }
    }
    s.changes.agents.add(agentId);
  }
  if (!isConnected(c)) {
    const last = c.rings[c.rings.length - 1];
    c.agentId = outcome === 'answered' ? agentId : last?.agentId;
    if (c.status === 'ringing' && c.rings.length === 0 && outcome !== 'answered') c.status = 'queued';
  }
  touchCall(s, c);
  return rings;
}

/** Ends every open ring of `c` (but `except`'s) at `atMs` with `outcome`. */
export function endRings(s: FloorState, c: CallState, atMs: number, outcome: RingOutcome, except?: string): void {
  for (const r of [...c.rings]) if (r.agentId !== except) endRing(s, c, r.agentId, atMs, outcome);
}
