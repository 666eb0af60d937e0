/**
 * The engine's entry: `applyEvent` folds one event into the floor, `tick`
 * evaluates the live rules. Each event type has one handler, in the module of
 * its domain (calls, agents, promises, supervisor actions); each rule family
 * has its module under `rules/`, with its thresholds, its live check and its
 * final check.
 */
import type { FloorEvent } from '../events.ts';
import type { FloorState } from '../state.ts';
import { countReason, promoteToLive } from './core.ts';
import { advanceClock } from './days.ts';
import { enforceLiveCap, noteCallActivity } from './bounds.ts';
import { onAgentState } from './agents.ts';
import {
  type Handler,
  onAbandoned,
  onAnswered,
  onEnded,
  onEscalation,
  onHold,
  onLost,
  onQueued,
  onRingEnded,
  onRinging,
  onSpeaker,
  onTransferred,
  onUnhold,
  onVolume,
} from './calls.ts';
import { onTalking, onTranscript } from './conversation.ts';
import { onCallbackCompleted, onCallbackScheduled, onVoicemailLeft, onVoicemailReturned } from './promises.ts';
import { onAcknowledged, onAgentNoted, onConfigChanged, onReopened, onTicker } from './supervisor.ts';
import { onOutbound, onWorklistAssigned } from './worklist.ts';

export { AGENT_ALERTS_CAP, ENDED_CALLS_CAP, HISTORY_DAYS, RECENT_ALERTS_CAP, TIMELINE_CAP, configFor, createFloorState, drainChanges, emptyAgentDay, emptyQueueDay, type FloorOptions } from './core.ts';
export { observeClock } from './days.ts';
export { alertDay } from './alerts.ts';
export { DEFAULT_ENGINE_LIMITS, type EngineBoundsReport, type EngineLimits, engineBounds, engineLimits, setEngineLimits } from './bounds.ts';
export { tick } from './tick.ts';
export { NOTES_CAP, TICKER_CAP, setConfig } from './supervisor.ts';
export { paceExpected } from './rules/quota-pace.ts';
export { MIN_NUMBER_DIGITS, WORKLIST_CAP, WORKLIST_CLOSED_CAP, WORKLIST_MAX_AGE_MS, type WorklistItem, type WorklistOutcome, closedWorklistItems, findOpenItem, numberDigits, openWorklistItems, worklistBounds } from './worklist.ts';
export { ringsAfter } from '../measure.ts';

const HANDLERS: { [T in FloorEvent['type']]: Handler<T> } = {
  'config.changed': onConfigChanged,
  'alert.acknowledged': onAcknowledged,
  'alert.reopened': onReopened,
  'ticker.posted': onTicker,
  'agent.noted': onAgentNoted,
  'agent.state': onAgentState,
  'call.queued': onQueued,
  'call.ringing': onRinging,
  'call.ring-ended': onRingEnded,
  'call.answered': onAnswered,
  'call.hold': onHold,
  'call.unhold': onUnhold,
  'call.transferred': onTransferred,
  'call.ended': onEnded,
  'call.abandoned': onAbandoned,
  'call.lost': onLost,
  'call.speaker': onSpeaker,
  'call.volume': onVolume,
  'call.escalation': onEscalation,
  'call.transcript': onTranscript,
  'call.talking': onTalking,
  'voicemail.left': onVoicemailLeft,
  'voicemail.returned': onVoicemailReturned,
  'callback.scheduled': onCallbackScheduled,
  'callback.completed': onCallbackCompleted,
  'call.outbound': onOutbound,
  'worklist.assigned': onWorklistAssigned,
};

/**
 * Folds one validated event into the state, O(1). Never throws on odd input:
 * orphan and out-of-order events are counted in `diagnostics` and otherwise
 * ignored. The clock moves to the event's time if that is later (never back);
 * an event of a day already over counts in that day's history only.
 */
export function applyEvent(s: FloorState, e: FloorEvent): void {
  if (s.clock === 'events') advanceClock(s, e.at);
  else if (e.at > s.nowMs) {
    // Dated ahead of the server's clock (a producer's clock running fast): it counts now.
    s.diagnostics.aheadOfClock++;
    e = { ...e, at: s.nowMs };
  }
  if (s.diagnostics.lastEventAtMs !== undefined && e.at < s.diagnostics.lastEventAtMs - 60_000) {
    // More than a minute older than the feed's newest event: nothing wrong (history, a late report),
    // counted so an operator can see a producer that lags; applied at its own time.
    s.diagnostics.backDated++;
    countReason(s, 'back-dated: more than 60 s older than the newest event (counted at its own time)');
  }
  if (e.at < s.dayStartMs && e.type !== 'agent.state') s.diagnostics.pastDay++;
  else if ('callId' in e) {
    const c = s.calls.get(e.callId);
    if (c?.history) promoteToLive(s, c);
  }
  (HANDLERS[e.type] as Handler<typeof e.type>)(s, e as never);
  if ('callId' in e) {
    const b = noteCallActivity(s, e.callId);
    if (s.liveCalls.size > b.limits.maxLiveCalls) enforceLiveCap(s, b);
  }
  s.diagnostics.applied++;
  if (s.diagnostics.lastEventAtMs === undefined || e.at > s.diagnostics.lastEventAtMs) s.diagnostics.lastEventAtMs = e.at;
  s.version++;
}
