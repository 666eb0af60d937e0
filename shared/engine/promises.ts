/**
 * Promises to callers: voicemails to return and callbacks to keep. A
 * voicemail is returned, a callback completed, once: an unknown id is an
 * orphan and a second time is ignored, both counted.
 */
import type { EventOf } from '../events.ts';
import type { FloorState } from '../state.ts';
import { businessDayCloseAfter } from '../time.ts';
import { ensureAgent, note } from './core.ts';
import { judgeVoicemailReturned } from './rules/voicemail-return.ts';
import { endMissedPromise, judgeCallbackCompleted } from './rules/callback-missed.ts';

export function onVoicemailLeft(s: FloorState, e: EventOf<'voicemail.left'>): void {
  if (s.voicemails.has(e.voicemailId)) {
    note(s, 'ignored', 'voicemail.left repeated');
    return;
  }
  const v = {
    voicemailId: e.voicemailId,
    queueId: e.queueId,
    agentId: e.agentId,
    leftAtMs: e.at,
    dueByMs: businessDayCloseAfter(e.at, s.config.timeZone, s.config.businessDayEndHour),
  };
  if (v.queueId === undefined) delete v.queueId;
  if (v.agentId === undefined) delete v.agentId;
  s.voicemails.set(e.voicemailId, v);
  s.changes.voicemails.add(e.voicemailId);
  if (e.agentId !== undefined) s.changes.agents.add(e.agentId);
}

function firstSettlement(s: FloorState, type: string, what: string, settledAtMs: number | undefined, unknown = false): boolean {
  if (unknown) {
    note(s, 'orphan', `${type} for unknown ${what}`);
    return false;
  }
  if (settledAtMs !== undefined) {
    note(s, 'ignored', `${type} twice`);
    return false;
  }
  return true;
}

export function onVoicemailReturned(s: FloorState, e: EventOf<'voicemail.returned'>): void {
  const v = s.voicemails.get(e.voicemailId);
  if (!firstSettlement(s, e.type, 'voicemail', v?.returnedAtMs, v === undefined) || !v) return;
  v.returnedAtMs = e.at;
  if (e.agentId !== undefined && v.agentId === undefined) v.agentId = e.agentId;
  judgeVoicemailReturned(s, v, e.at);
  s.changes.voicemails.add(v.voicemailId);
}

export function onCallbackScheduled(s: FloorState, e: EventOf<'callback.scheduled'>): void {
  ensureAgent(s, e.agentId, e.at);
  const cb = s.callbacks.get(e.callbackId);
  if (cb && cb.completedAtMs === undefined) {
    // Rescheduled: a missed promise stays on record, the new one starts clean.
    endMissedPromise(s, cb, e.at);
    cb.reschedules++;
    cb.dueAtMs = e.dueAt;
    cb.agentId = e.agentId;
  } else if (cb) {
    note(s, 'ignored', 'callback.scheduled after it was completed');
    return;
  } else {
    s.callbacks.set(e.callbackId, { callbackId: e.callbackId, agentId: e.agentId, dueAtMs: e.dueAt, scheduledAtMs: e.at, reschedules: 0 });
  }
  s.changes.callbacks.add(e.callbackId);
  s.changes.agents.add(e.agentId);
}

export function onCallbackCompleted(s: FloorState, e: EventOf<'callback.completed'>): void {
  const cb = s.callbacks.get(e.callbackId);
  if (!firstSettlement(s, e.type, 'callback', cb?.completedAtMs, cb === undefined) || !cb) return;
  cb.completedAtMs = e.at;
  judgeCallbackCompleted(s, cb, e.at);
  s.changes.callbacks.add(cb.callbackId);
  s.changes.agents.add(cb.agentId);
}
