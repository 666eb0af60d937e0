/**
 * Lost ends. A call closes on its own end event, but ends get lost (a dropped
 * BYE, a PBX link down, a producer restart). Later evidence — the agent rung
 * for or answering another call, the agent gone offline, a reconcile with the
 * PBX that no longer lists the caller (`call.lost`) — closes the stale call
 * as "end lost" at the best-known time, counted apart from answers and
 * abandons. A late event of the call still corrects it: a caller found
 * answered after all is counted answered with their true wait, a connected
 * call gets its true end, and alerts the correction disproves are retracted.
 */
import type { FloorEvent } from '../events.ts';
import type { CallState, FloorState, LostEnd } from '../state.ts';
import { findAnyAlert } from './alerts.ts';
import { countReason, isConnected, isOver, reviveCall, retireCall, timeline } from './core.ts';
import { agentDay, bucketOf, offerIntervalOf, queueDay } from './days.ts';
import { countEndLost, enterWaiting, leaveQueue, pendingQueue } from './queues.ts';
import { endRings } from './rings.ts';
import { endSegment, releaseAgent } from './segments.ts';
import { callLongId, rejudgeCallLong } from './rules/call-long.ts';
import { endEscalation } from './rules/escalation.ts';
import { judgeNotes } from './rules/omission.ts';
import { forgetSilence } from './conversation.ts';

/** Closes call `c` as "end lost" at `atMs` (the best-known time), for the reason `why`. */
export function closeLost(s: FloorState, c: CallState, atMs: number, why: string): void {
  if (isOver(c)) return;
  const lost: LostEnd = { atMs, stage: isConnected(c) ? 'connected' : 'waiting', why };
  if (lost.stage === 'connected') {
    lost.segmentStartMs = c.segmentStartMs;
    lost.agentId = c.agentId;
    forgetSilence(s, c, atMs);
    endSegment(s, c, atMs);
    releaseAgent(s, c, atMs);
  } else {
    endRings(s, c, atMs, 'canceled');
    const q = pendingQueue(s, c);
    if (q) leaveQueue(s, q, c, atMs, 'lost');
    releaseAgent(s, c, atMs);
  }
  endEscalation(s, c, atMs);
  countEndLost(s, c, 1);
  s.diagnostics.endLost++;
  countReason(s, `call closed as end lost: ${why}`);
  c.status = 'lost';
  c.lost = lost;
  timeline(c, { at: atMs, type: 'call.lost' }, { why });
  retireCall(s, c, atMs, 'end-lost');
}

function uncountLost(s: FloorState, c: CallState): void {
  for (let i = c.timeline.length - 1; i >= 0; i--) {
    const t = c.timeline[i];
    if (t.type !== 'call.lost') continue;
    t.detail = { ...t.detail, corrected: true };
    break;
  }
  countEndLost(s, c, -1);
  s.diagnostics.endLost--;
  s.diagnostics.endLostCorrected++;
  c.lost = undefined;
}

/**
 * A late event `e` of a call closed as end lost. Returns true when the call
 * was reopened and the event should now be applied as usual (the caller was
 * still waiting or ringing when the event happened); false when the event was
 * used here to correct the call's end, or could not be used.
 */
export function correctLost(s: FloorState, c: CallState, e: FloorEvent): boolean {
  const lost = c.lost as LostEnd;
  if (lost.stage === 'waiting') {
    if (!['call.answered', 'call.abandoned', 'call.ended', 'call.ringing', 'call.ring-ended', 'call.transferred', 'call.queued'].includes(e.type)) return false;
    uncountLost(s, c);
    c.status = 'queued';
    if (c.queueOutcome === 'lost') {
      c.queueOutcome = undefined;
      const q = c.queueId !== undefined ? s.queues.get(c.queueId) : undefined;
      if (q && c.queuedAtMs !== undefined) enterWaiting(q, c.callId, c.queuedAtMs);
    }
    reviveCall(s, c);
    return true;
  }
  if (e.type !== 'call.ended' && e.type !== 'call.transferred') return false;
  // The true end of the agent's part: move its time from the lost end to this one.
  const extraMs = e.at - lost.atMs;
  const a = lost.agentId !== undefined ? s.agents.get(lost.agentId) : undefined;
  if (a) {
    const d = agentDay(s, a, c.dayStartMs);
    d.talkMs = Math.max(0, d.talkMs + extraMs);
    s.changes.agents.add(a.agentId);
  }
  const q = c.queueId !== undefined ? s.queues.get(c.queueId) : undefined;
  if (q) {
    const rec = queueDay(s, q, c.dayStartMs);
    rec.today.handleMs = Math.max(0, rec.today.handleMs + extraMs);
    const bucket = bucketOf(rec, c.dayStartMs, offerIntervalOf(c));
    bucket.handleMs = Math.max(0, bucket.handleMs + extraMs);
    if (e.type === 'call.transferred') {
      rec.today.transferredOut++;
      bucket.transferredOut++;
    }
  }
  if (lost.segmentStartMs !== undefined) rejudgeCallLong(s, c, findAnyAlert(s, callLongId(c)), lost.segmentStartMs, e.at, lost.agentId);
  if (e.type === 'call.ended') judgeNotes(s, c, e.notes, e.at, lost.agentId);
  uncountLost(s, c);
  c.status = 'ended';
  timeline(c, e, { correctsLostEnd: true });
  retireCall(s, c, e.at, e.type === 'call.transferred' ? 'transferred-out' : e.by ?? 'ended');
  return false;
}
