/**
 * The rules read in the words of a call (issue 18), each from a final transcript segment's cues
 * (shared/engine/cues.ts):
 * - `clarity` — speak so the caller need not ask you to repeat: the caller's request to repeat
 *   ("pardon?", "efendim?", "kuidas palun?") number `clarityWarnAt` (default 2) on a call warns; later
 *   ones raise its count.
 * - `language` — no slang or swearing: a listed word said by the agent is a breach (its value counts
 *   the words on the call). The caller's words are not the agent's lapse and are never judged.
 * - `dont-know` — never leave a bare "I don't know": one not followed, within the same turn or
 *   `dontKnowWindowSec` (default 10 s) of its end, by an offer to find out warns. Judged when the
 *   window is over and so is the turn — the caller spoke after it, or nobody spoke within the window
 *   (silence ends a turn) — or when the agent's part of the call ends.
 */
import { conversationThreshold } from '../../config.ts';
import type { TranscriptCue } from '../../events.ts';
import { type AlertEvidence, type CallState, type ConversationState, type FloorState, type PendingDontKnow, ALERT_EVIDENCE_CAP } from '../../state.ts';
import { type RaiseSpec, countOnCall, finalize, findAnyAlert, raiseOrUpdate, retractResolved, withdrawOpen } from '../alerts.ts';
import { callConfig, enabled, timeline } from '../core.ts';

/** `clarity`: a caller's final segment `seg` with `cues`. */
export function judgeClarity(s: FloorState, c: CallState, conv: ConversationState, cues: readonly TranscriptCue[], seg: AlertEvidence): void {
  if (!cues.includes('clarity')) return;
  const n = (conv.repeatRequests = (conv.repeatRequests ?? 0) + 1);
  const list = (conv.repeatEvidence ??= []);
  if (list.length < ALERT_EVIDENCE_CAP) list.push(seg);
  timeline(c, { at: seg.startMs, type: 'conversation.repeat-request', agentId: c.agentId }, { request: n });
  const eff = callConfig(s, c);
  if (!enabled(eff, 'clarity')) return;
  countOnCall(s, c, 'clarity', 'warn', 'requests', n, conversationThreshold(eff.rules, 'clarityWarnAt'), seg.endMs, list);
}

/** `language`: an agent's final segment `seg` with `cues` (one `language` cue per listed word). */
export function judgeLanguage(s: FloorState, c: CallState, conv: ConversationState, cues: readonly TranscriptCue[], seg: AlertEvidence): void {
  let words = 0;
  for (const cue of cues) if (cue === 'language') words++;
  if (words === 0) return;
  const total = (conv.listedWords = (conv.listedWords ?? 0) + words);
  timeline(c, { at: seg.startMs, type: 'conversation.language', agentId: c.agentId }, { words });
  if (!enabled(callConfig(s, c), 'language')) return;
  countOnCall(s, c, 'language', 'breach', 'words', total, 1, seg.endMs, [seg]);
}

/** The alert of the pending "I don't know" `p`, dated `atMs`. */
function dontKnowSpec(s: FloorState, c: CallState, p: PendingDontKnow, atMs: number): RaiseSpec & { on: boolean } {
  const eff = callConfig(s, c);
  const windowSec = conversationThreshold(eff.rules, 'dontKnowWindowSec');
  return {
    id: `dont-know:${c.callId}:${p.n}`,
    ruleId: 'dont-know',
    level: 'warn',
    value: windowSec,
    threshold: windowSec,
    unit: 'sec',
    raisedAtMs: atMs,
    atMs,
    callId: c.callId,
    agentId: c.agentId,
    queueId: c.queueId,
    evidence: [{ speaker: 'agent', startMs: p.startMs, endMs: p.endMs }],
    on: enabled(eff, 'dont-know'),
  };
}

/** The pending "I don't know" is a lapse, closed at `atMs` (a live tick may have raised it already, open, at the same time). */
function raiseDontKnow(s: FloorState, c: CallState, conv: ConversationState, atMs: number): void {
  const p = conv.dontKnow;
  if (!p) return;
  delete conv.dontKnow;
  const { on, ...spec } = dontKnowSpec(s, c, p, atMs);
  if (on) finalize(s, spec);
}

/** When the pending "I don't know" is a lapse: once both its window and the agent's turn are over (undefined: not yet). */
function dueMs(p: PendingDontKnow): number | undefined {
  if (p.turnOverMs !== undefined) return Math.max(p.deadlineMs, p.turnOverMs);
  // Nobody spoke within the window: the silence ended the agent's turn with nothing offered.
  return p.agentSpokeMs === undefined ? p.deadlineMs : undefined;
}

/**
 * At an event of the call at `atMs` (a segment's start, a talking change, a hold, the end of the
 * agent's part): a pending "I don't know" past its window with the turn over is closed as a lapse,
 * dated when it became one. A live tick raises it open at that same time ({@link checkDontKnowLive});
 * here it is closed in the live run and raised and closed in a replay, at the same event, so both
 * runs hold the same alerts in the same order.
 */
export function settleDontKnow(s: FloorState, c: CallState, conv: ConversationState, atMs: number): void {
  const p = conv.dontKnow;
  const due = p ? dueMs(p) : undefined;
  if (due === undefined || atMs <= p!.deadlineMs) return;
  raiseDontKnow(s, c, conv, due);
}

/** Live, at `nowMs`: a pending "I don't know" that became a lapse is raised open (closed at the call's next event). */
export function checkDontKnowLive(s: FloorState, c: CallState, conv: ConversationState, nowMs: number): void {
  const p = conv.dontKnow;
  const due = p ? dueMs(p) : undefined;
  if (!p || due === undefined || nowMs <= p.deadlineMs) return;
  const { on, ...spec } = dontKnowSpec(s, c, p, due);
  if (on && !s.alerts.has(spec.id)) raiseOrUpdate(s, spec);
}

/**
 * The agent began to speak at `startMs`: within the window of a pending "I don't know" their turn goes
 * on (an offer may still come in it). A live tick that took the silence for the turn's end ran ahead
 * of this speech (a final segment comes after its start): its open alert is withdrawn.
 */
export function agentSpokeAfterDontKnow(s: FloorState, c: CallState, conv: ConversationState, startMs: number): void {
  const p = conv.dontKnow;
  if (!p || startMs < p.endMs || startMs > p.deadlineMs || p.turnOverMs !== undefined) return;
  p.agentSpokeMs ??= startMs;
  const open = s.alerts.get(`dont-know:${c.callId}:${p.n}`);
  if (open) withdrawOpen(s, open, startMs, open.value, open.threshold);
}

/** The caller began to speak at `startMs`: a pending "I don't know" said before it has its turn over. */
export function callerSpokeAfterDontKnow(_s: FloorState, _c: CallState, conv: ConversationState, startMs: number): void {
  const p = conv.dontKnow;
  if (!p || startMs < p.endMs || p.turnOverMs !== undefined) return;
  p.turnOverMs = startMs;
}

/** `dont-know`: an agent's final segment `seg` with `cues` — an offer settles the pending one, a bare one starts waiting. */
export function judgeDontKnow(s: FloorState, c: CallState, conv: ConversationState, cues: readonly TranscriptCue[], seg: AlertEvidence): void {
  const p = conv.dontKnow;
  if (p && cues.includes('find-out') && seg.startMs >= p.startMs && (seg.startMs <= p.deadlineMs || p.turnOverMs === undefined || seg.startMs < p.turnOverMs)) {
    delete conv.dontKnow;
    // A live tick ran ahead of this segment (its words come when it is final, after its start): never a lapse.
    const open = s.alerts.get(`dont-know:${c.callId}:${p.n}`);
    if (open) withdrawOpen(s, open, seg.startMs, open.value, open.threshold);
    timeline(c, { at: seg.startMs, type: 'conversation.find-out', agentId: c.agentId }, { dontKnow: p.n });
  } else if (!p && cues.includes('find-out')) {
    // An offer whose segment comes after the lapse was closed (a late final segment): withdrawn when in time.
    withdrawAnswered(s, c, conv, seg);
  }
  if (!cues.includes('dont-know')) return;
  if (conv.dontKnow) raiseDontKnow(s, c, conv, seg.startMs); // a second bare one before the first was settled
  const n = (conv.dontKnows = (conv.dontKnows ?? 0) + 1);
  const windowMs = conversationThreshold(callConfig(s, c).rules, 'dontKnowWindowSec') * 1000;
  conv.dontKnow = { startMs: seg.startMs, endMs: seg.endMs, deadlineMs: seg.endMs + windowMs, n };
  timeline(c, { at: seg.startMs, type: 'conversation.dont-know', agentId: c.agentId }, { n });
}

/** A late offer to find out whose start lies within the window of the last "I don't know" raised: that alert is withdrawn. */
function withdrawAnswered(s: FloorState, c: CallState, conv: ConversationState, seg: AlertEvidence): void {
  const n = conv.dontKnows;
  if (n === undefined) return;
  const a = findAnyAlert(s, `dont-know:${c.callId}:${n}`);
  const said = a?.evidence?.[0];
  if (!a || !said || a.status !== 'resolved') return;
  const windowMs = conversationThreshold(callConfig(s, c).rules, 'dontKnowWindowSec') * 1000;
  if (seg.startMs >= said.startMs && seg.startMs <= said.endMs + windowMs) retractResolved(s, a, seg.endMs);
}

/** The agent's part of the call ends at `atMs`: a bare "I don't know" still waiting was never answered. */
export function endDontKnow(s: FloorState, c: CallState, conv: ConversationState, atMs: number): void {
  settleDontKnow(s, c, conv, atMs); // as a live tick would have, when its window and turn were over
  if (conv.dontKnow) raiseDontKnow(s, c, conv, Math.max(conv.dontKnow.endMs, Math.min(atMs, conv.dontKnow.deadlineMs)));
}
