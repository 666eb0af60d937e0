/**
 * The call handlers: queued, ringing, ring ended, answered, hold, transfer,
 * end, abandon, lost, and the optional signals on a connected call (speaker,
 * volume, escalation). Each folds one event into the call, its queue and its
 * agents, and hands the measurements to the rules.
 */
import type { EventOf, FloorEvent } from '../events.ts';
import type { CallState, FloorState } from '../state.ts';
import { ensureQueue, isConnected, isOver, newCall, note, retireCall, timeline, touchCall } from './core.ts';
import { agentDay, bucketOf, dayOf, offerIntervalOf, queueDay } from './days.ts';
import { closeLost, correctLost } from './lost.ts';
import { countAbandoned, countAnswered, enterWaiting, leaveQueue, pendingQueue } from './queues.ts';
import { endRing, endRings, startRing, takeAgent } from './rings.ts';
import { endHold, endSegment, releaseAgent } from './segments.ts';
import { judgeHoldStart } from './rules/hold.ts';
import { conversationHolds } from './conversation.ts';
import { judgeNotes, judgeTransfer } from './rules/omission.ts';
import { endSpeaker } from './rules/speakerphone.ts';
import { judgeVolume } from './rules/volume.ts';
import { endEscalation, judgeEscalation } from './rules/escalation.ts';
import { noteAbandonedCaller, noteAnsweredCaller } from './worklist.ts';

export type Handler<T extends FloorEvent['type']> = (s: FloorState, e: EventOf<T>) => void;
type CallEventOf = Extract<FloorEvent, { callId: string }>;

/**
 * The call an event refers to, or undefined (counted) when it is unknown or
 * over. A call closed as end lost is corrected by the event, or reopened for it.
 */
export function callOrOrphan(s: FloorState, e: CallEventOf): CallState | undefined {
  const c = s.calls.get(e.callId);
  if (!c) {
    note(s, 'orphan', `${e.type} for unknown call`);
    return undefined;
  }
  if (c.status === 'lost') {
    if (correctLost(s, c, e)) return c; // reopened: the event applies as usual
    if (c.lost !== undefined) note(s, 'outOfOrder', `${e.type} after the call was closed as end lost`);
    return undefined; // else the event corrected the call's end
  }
  if (isOver(c)) {
    note(s, 'outOfOrder', `${e.type} after the call ended`);
    return undefined;
  }
  return c;
}

/**
 * The call an event that can start one refers to: created when new (an
 * answer with no ring or queue before it is also counted as an orphan),
 * undefined when the call has already ended (counted as out of order).
 */
function callToStart(s: FloorState, e: CallEventOf, orphanIfNew: boolean): { call: CallState; isNew: boolean } | undefined {
  const c = s.calls.get(e.callId);
  if (c) {
    const found = callOrOrphan(s, e);
    return found ? { call: found, isNew: false } : undefined;
  }
  if (orphanIfNew) note(s, 'orphan', `${e.type} for unknown call`);
  return { call: newCall(s, e.callId, e.at), isNew: true };
}

export const onQueued: Handler<'call.queued'> = (s, e) => {
  const found = callToStart(s, e, false);
  if (!found) return;
  const c = found.call;
  if (!found.isNew) {
    // Re-queued: a ring that went unanswered, a transfer to a queue, or a repeat.
    const wasRinging = c.rings.length > 0;
    endRings(s, c, e.at, 'no-answer');
    if (isConnected(c)) endSegment(s, c, e.at);
    const waitingHere = c.queueId === e.queueId && pendingQueue(s, c) !== undefined;
    if (waitingHere) {
      // Still waiting in the same queue: a ring that went unanswered returns it to the queue
      // (it is not offered again); otherwise the event is a plain repeat.
      if (!wasRinging) note(s, 'ignored', 'call.queued repeated for a waiting call');
      c.status = 'queued';
      timeline(c, e);
      touchCall(s, c);
      return;
    }
    const old = pendingQueue(s, c);
    if (old) leaveQueue(s, old, c, e.at, 'transferred');
    releaseAgent(s, c, e.at);
  }
  const q = ensureQueue(s, e.queueId);
  c.queueId = e.queueId;
  if (e.caller !== undefined) c.caller = e.caller;
  c.status = 'queued';
  c.queuedAtMs = e.at;
  c.queueOutcome = undefined;
  c.waitAlertId = undefined;
  c.dayStartMs = dayOf(s, e.at);
  const rec = queueDay(s, q, c.dayStartMs);
  const bucket = bucketOf(rec, c.dayStartMs, e.at);
  c.offeredIntervalMs = bucket.startMs;
  if (!c.history) enterWaiting(q, c.callId, e.at);
  rec.today.offered++;
  bucket.offered++;
  timeline(c, e);
  s.changes.queues.add(q.queueId);
  s.changes.kpis = true;
  touchCall(s, c);
};

export const onRinging: Handler<'call.ringing'> = (s, e) => {
  const found = callToStart(s, e, false); // a new call here is a direct call that never queued
  if (!found) return;
  const c = found.call;
  if (isConnected(c)) {
    note(s, 'ignored', 'call.ringing while connected without a transfer');
    return;
  }
  if (!startRing(s, c, e.agentId, e.at)) return; // the same ring, reported twice
  timeline(c, e);
  touchCall(s, c);
};

export const onRingEnded: Handler<'call.ring-ended'> = (s, e) => {
  const c = callOrOrphan(s, e);
  if (!c) return;
  if (!c.rings.some((r) => r.agentId === e.agentId)) {
    note(s, 'ignored', 'call.ring-ended for an agent not ringing');
    return;
  }
  endRing(s, c, e.agentId, e.at, e.outcome); // puts it on the call's timeline, as every ring that ends unanswered
  touchCall(s, c);
};

export const onAnswered: Handler<'call.answered'> = (s, e) => {
  const found = callToStart(s, e, true);
  if (!found) return;
  const c = found.call;
  if (isConnected(c)) {
    if (c.agentId === e.agentId) {
      note(s, 'ignored', 'call.answered repeated');
      return;
    }
    // Picked up by someone else without a transfer event: the previous agent's part ends.
    endSegment(s, c, e.at);
    releaseAgent(s, c, e.at);
  }
  if (!c.rings.some((r) => r.agentId === e.agentId)) {
    // We never saw it ring: only an explicit ringCount tells the rings.
    startRing(s, c, e.agentId, e.at, false);
  }
  const rings = endRing(s, c, e.agentId, e.at, 'answered', e.ringCount);
  // Every other phone that rang for it stops: a colleague answered, which is no one's fault.
  endRings(s, c, e.at, 'canceled', e.agentId);
  takeAgent(s, c, e.agentId, e.at);
  if (c.answeredAtMs === undefined) {
    c.answeredAtMs = e.at;
    c.ringsToAnswer = rings;
  }
  countAnswered(s, c, e.at, e.waitSec !== undefined ? e.waitSec * 1000 : undefined);
  noteAnsweredCaller(s, c, e.agentId, e.at); // the caller called again and was answered: their callback item closes
  c.agentId = e.agentId;
  c.status = 'talking';
  c.segmentStartMs = e.at;
  c.segments++;
  c.segmentHoldMs = 0;
  timeline(c, e, rings !== undefined ? { rings } : undefined);
  touchCall(s, c);
  s.changes.kpis = true;
};

export const onHold: Handler<'call.hold'> = (s, e) => {
  const c = callOrOrphan(s, e);
  if (!c) return;
  if (c.status !== 'talking') {
    note(s, 'ignored', `call.hold while ${c.status}`);
    return;
  }
  conversationHolds(s, c, e.at);
  c.status = 'hold';
  c.holdStartMs = e.at;
  c.holdCount++;
  const a = c.agentId !== undefined ? s.agents.get(c.agentId) : undefined;
  if (a) agentDay(s, a, c.dayStartMs).holds++;
  judgeHoldStart(s, c, e);
  timeline(c, e, e.askedPermission !== undefined ? { askedPermission: e.askedPermission, hold: c.holdCount } : { hold: c.holdCount });
  touchCall(s, c);
};

export const onUnhold: Handler<'call.unhold'> = (s, e) => {
  const c = callOrOrphan(s, e);
  if (!c) return;
  if (c.status !== 'hold' || c.holdStartMs === undefined) {
    note(s, 'ignored', 'call.unhold without a hold');
    return;
  }
  const holdSec = Math.round((e.at - c.holdStartMs) / 1000);
  endHold(s, c, e.at);
  timeline(c, e, { holdSec });
  touchCall(s, c);
};

export const onTransferred: Handler<'call.transferred'> = (s, e) => {
  const c = callOrOrphan(s, e);
  if (!c) return;
  const ringing = c.rings.length > 0 && !isConnected(c);
  if (!isConnected(c) && !ringing) {
    note(s, 'ignored', `call.transferred while ${c.status}`);
    return;
  }
  if (isConnected(c)) judgeTransfer(s, c, e.askedPermission, e.at);
  c.transfers++;
  const detail: Record<string, string | number | boolean> = {};
  if (e.askedPermission !== undefined) detail.askedPermission = e.askedPermission;
  if (e.mode !== undefined) detail.mode = e.mode;
  if (e.toAgentId !== undefined) detail.toAgentId = e.toAgentId;
  if (e.toQueueId !== undefined) detail.toQueueId = e.toQueueId;
  timeline(c, e, detail);
  if (ringing) endRings(s, c, e.at, 'canceled');
  else {
    if (c.queueId !== undefined) {
      const q = s.queues.get(c.queueId);
      if (q) {
        const rec = queueDay(s, q, c.dayStartMs);
        rec.today.transferredOut++;
        bucketOf(rec, c.dayStartMs, offerIntervalOf(c)).transferredOut++;
      }
    }
    endSegment(s, c, e.at);
    releaseAgent(s, c, e.at);
  }
  c.status = 'queued'; // between agents until routed below
  if (e.toQueueId !== undefined) {
    onQueued(s, { type: 'call.queued', id: e.id, at: e.at, callId: c.callId, queueId: e.toQueueId });
    c.timeline.pop(); // the transfer entry already says where it went
  } else if (e.toAgentId !== undefined) {
    startRing(s, c, e.toAgentId, e.at);
  } else {
    // Transferred out of sight of this floor (an outside number, an unknown extension).
    // A call still waiting in its queue (transferred while it rang) leaves the queue too.
    const q = pendingQueue(s, c);
    if (q) leaveQueue(s, q, c, e.at, 'transferred');
    c.status = 'ended';
    retireCall(s, c, e.at, 'transferred-out');
  }
  touchCall(s, c);
  s.changes.kpis = true;
};

export const onEnded: Handler<'call.ended'> = (s, e) => {
  const c = callOrOrphan(s, e);
  if (!c) return;
  if (c.status === 'queued' || c.status === 'ringing') {
    // Ended before anyone answered: from the caller's side that is an abandon.
    timeline(c, e);
    abandon(s, c, e.at);
    return;
  }
  const agentId = c.agentId;
  endSegment(s, c, e.at);
  judgeNotes(s, c, e.notes, e.at, agentId);
  endEscalation(s, c, e.at);
  releaseAgent(s, c, e.at);
  c.status = 'ended';
  timeline(c, e, e.by !== undefined ? { by: e.by } : undefined);
  retireCall(s, c, e.at, e.by ?? 'ended');
  s.changes.kpis = true;
};

function abandon(s: FloorState, c: CallState, atMs: number, sourceWaitMs?: number): void {
  endRings(s, c, atMs, 'canceled'); // the caller hung up while phones rang: nobody's ring-no-answer
  const waitMs = countAbandoned(s, c, atMs, sourceWaitMs);
  if (waitMs !== undefined) noteAbandonedCaller(s, c, atMs, waitMs); // a caller to call back (the worklist)
  releaseAgent(s, c, atMs);
  c.status = 'abandoned';
  retireCall(s, c, atMs, 'abandoned');
  s.changes.kpis = true;
}

export const onAbandoned: Handler<'call.abandoned'> = (s, e) => {
  const c = callOrOrphan(s, e);
  if (!c) return;
  if (isConnected(c)) {
    note(s, 'ignored', 'call.abandoned after it was answered');
    return;
  }
  timeline(c, e);
  abandon(s, c, e.at, e.waitSec !== undefined ? e.waitSec * 1000 : undefined);
};

export const onLost: Handler<'call.lost'> = (s, e) => {
  const c = s.calls.get(e.callId);
  if (!c) {
    note(s, 'orphan', `${e.type} for unknown call`);
    return;
  }
  if (isOver(c)) {
    note(s, 'ignored', 'call.lost for a call already closed');
    return;
  }
  closeLost(s, c, e.at, e.reason ?? 'the source lost it');
};

/** The connected call a signal of talk (speaker, volume) refers to, or undefined (counted). */
function connectedCall(s: FloorState, e: CallEventOf): CallState | undefined {
  const c = callOrOrphan(s, e);
  if (c && !isConnected(c)) {
    note(s, 'ignored', `${e.type} on a call not connected`);
    return undefined;
  }
  return c;
}

export const onSpeaker: Handler<'call.speaker'> = (s, e) => {
  const c = connectedCall(s, e);
  if (!c) return;
  if (e.on && c.speakerOnMs === undefined) c.speakerOnMs = e.at;
  else if (!e.on) endSpeaker(s, c, e.at);
  timeline(c, e, { on: e.on });
  touchCall(s, c);
};

export const onVolume: Handler<'call.volume'> = (s, e) => {
  const c = connectedCall(s, e);
  if (c) judgeVolume(s, c, e);
};

export const onEscalation: Handler<'call.escalation'> = (s, e) => {
  const c = callOrOrphan(s, e);
  if (!c) return;
  c.escalations++;
  timeline(c, e, { request: c.escalations });
  judgeEscalation(s, c, e.at);
  touchCall(s, c);
};
