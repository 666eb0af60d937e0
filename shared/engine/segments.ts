/**
 * An agent's part of a call (a segment: from answer or transfer-in to end or
 * transfer-out), its holds, and the wrap-up after it. Counted on the call's day.
 */
import type { AgentState, CallState, FloorState } from '../state.ts';
import { HOLD_HIST_EDGES_SEC } from '../state.ts';
import { isConnected } from './core.ts';
import { agentDay, bucketOf, offerIntervalOf, queueDay } from './days.ts';
import { judgeHold } from './rules/hold.ts';
import { judgeCallLong } from './rules/call-long.ts';
import { endSpeaker } from './rules/speakerphone.ts';
import { endLoud } from './rules/volume.ts';
import { evaluatePace } from './rules/quota-pace.ts';
import { endConversationSegment } from './conversation.ts';

/** Ends the current hold at `atMs`, adding its time to the call and the agent. */
export function endHold(s: FloorState, c: CallState, atMs: number): void {
  if (c.status !== 'hold' || c.holdStartMs === undefined) return;
  const ms = Math.max(0, atMs - c.holdStartMs);
  judgeHold(s, c, ms, atMs);
  c.holdMs += ms;
  c.segmentHoldMs += ms;
  const a = c.agentId !== undefined ? s.agents.get(c.agentId) : undefined;
  if (a) {
    const d = agentDay(s, a, c.dayStartMs);
    d.holdMs += ms;
    let b = 0;
    while (b < HOLD_HIST_EDGES_SEC.length && ms >= HOLD_HIST_EDGES_SEC[b] * 1000) b++;
    d.holdHist[b]++;
  }
  c.holdStartMs = undefined;
  c.resumedAtMs = atMs;
  c.status = 'talking';
}

/** The agent is free of call `c` at `atMs` (its end, a transfer, a lost end). */
export function releaseAgent(s: FloorState, c: CallState, atMs: number): void {
  if (c.agentId === undefined) return;
  const a = s.agents.get(c.agentId);
  if (a && a.callId === c.callId) {
    a.callId = undefined;
    a.freeSinceMs = atMs;
  }
  s.changes.agents.add(c.agentId);
  c.agentId = undefined;
}

/**
 * Ends the current agent's part of a call (at end, transfer or lost end):
 * counts it as handled by that agent and checks its length against the budget.
 */
export function endSegment(s: FloorState, c: CallState, atMs: number): void {
  if (!isConnected(c)) return;
  endHold(s, c, atMs);
  endConversationSegment(s, c, atMs);
  endSpeaker(s, c, atMs);
  endLoud(s, c, atMs);
  const startMs = c.segmentStartMs ?? atMs;
  judgeCallLong(s, c, startMs, atMs);
  const durMs = Math.max(0, atMs - startMs);
  const talkMs = Math.max(0, durMs - c.segmentHoldMs);
  const live = c.dayStartMs === s.dayStartMs && !c.history;
  const a = c.agentId !== undefined ? s.agents.get(c.agentId) : undefined;
  if (a) {
    if (live) evaluatePace(s, a, atMs);
    const d = agentDay(s, a, c.dayStartMs);
    d.handled++;
    d.talkMs += talkMs;
    if (a.callId === c.callId) {
      a.callId = undefined;
      a.freeSinceMs = atMs;
    }
    if (!c.history) {
      // Wrap-up time counts while the agent is in the wrap-up state after this call.
      a.wrapQueueId = c.queueId;
      a.wrapDayMs = c.dayStartMs;
      a.wrapIntervalMs = offerIntervalOf(c);
      a.wrapStartMs = a.presence === 'wrapup' ? atMs : undefined;
    }
    if (live) evaluatePace(s, a, atMs);
    s.changes.agents.add(a.agentId);
  }
  const q = c.queueId !== undefined ? s.queues.get(c.queueId) : undefined;
  if (q) {
    const rec = queueDay(s, q, c.dayStartMs);
    rec.today.handled++;
    rec.today.handleMs += durMs;
    const bucket = bucketOf(rec, c.dayStartMs, offerIntervalOf(c));
    bucket.handled++;
    bucket.handleMs += durMs;
    s.changes.queues.add(q.queueId);
  }
  c.segmentHoldMs = 0;
  c.segmentStartMs = undefined;
  s.changes.kpis = true;
}

/** The agent left wrap-up at `atMs`: the time since their last call's end counts towards its handling. */
export function finishWrap(s: FloorState, a: AgentState, atMs: number): void {
  if (a.wrapStartMs !== undefined) {
    const ms = Math.max(0, atMs - a.wrapStartMs);
    const day = a.wrapDayMs ?? s.dayStartMs;
    agentDay(s, a, day).wrapMs += ms;
    const q = a.wrapQueueId !== undefined ? s.queues.get(a.wrapQueueId) : undefined;
    if (q) {
      const rec = queueDay(s, q, day);
      rec.today.handleMs += ms;
      if (a.wrapIntervalMs !== undefined) bucketOf(rec, day, a.wrapIntervalMs).handleMs += ms;
    }
  }
  a.wrapStartMs = undefined;
  a.wrapQueueId = undefined;
  a.wrapDayMs = undefined;
  a.wrapIntervalMs = undefined;
}
