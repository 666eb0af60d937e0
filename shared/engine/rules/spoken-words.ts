/**
 * The rules read in the words of a call (issue 18), each from a final transcript segment's cues
 * (shared/engine/cues.ts):
 * - `clarity` — speak so the caller need not ask you to repeat: the caller's request to repeat
 *   ("pardon?", "efendim?", "kuidas palun?") number `clarityWarnAt` (default 2) on a call warns; later
 *   ones raise its count.
 * - `language` — no slang or swearing: a listed word said by the agent is a breach (its value counts
 *   the words on the call). The caller's words are not the agent's lapse and are never judged.
 * - `dont-know` — never leave a bare "I don't know": one not followed, within the same turn or
 *   `dontKnowWindowSec` (default 10 s) of its end, by an offer to find out warns. Judged when both the
 *   window and the turn are over (the caller spoke after it), or when the agent's part of the call ends.
 */
import { conversationThreshold } from '../../config.ts';
import type { TranscriptCue } from '../../events.ts';
import { type AlertEvidence, type CallState, type ConversationState, type FloorState, ALERT_EVIDENCE_CAP } from '../../state.ts';
import { countOnCall, findAnyAlert, recordFact, retractResolved } from '../alerts.ts';
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

/** The alert of a bare "I don't know": raised at `atMs` (the window's end, or the end of the agent's part). */
function raiseDontKnow(s: FloorState, c: CallState, conv: ConversationState, atMs: number): void {
  const p = conv.dontKnow;
  if (!p) return;
  delete conv.dontKnow;
  const eff = callConfig(s, c);
  if (!enabled(eff, 'dont-know')) return;
  const windowSec = conversationThreshold(eff.rules, 'dontKnowWindowSec');
  recordFact(s, {
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
  });
}

/**
 * The pending "I don't know" of a call, at `atMs` (an event's time or a tick): raised once both its
 * window and the agent's turn are over. The alert's time is the later of the two ends, whenever it is
 * seen, so a live tick and a replay give the same alert.
 */
export function settleDontKnow(s: FloorState, c: CallState, conv: ConversationState, atMs: number): void {
  const p = conv.dontKnow;
  if (!p || p.turnOverMs === undefined || atMs <= p.deadlineMs) return;
  raiseDontKnow(s, c, conv, Math.max(p.deadlineMs, p.turnOverMs));
}

/** The caller began to speak at `startMs`: a pending "I don't know" said before it has its turn over. */
export function callerSpokeAfterDontKnow(s: FloorState, c: CallState, conv: ConversationState, startMs: number): void {
  const p = conv.dontKnow;
  if (!p || startMs < p.endMs || p.turnOverMs !== undefined) return;
  p.turnOverMs = startMs;
  settleDontKnow(s, c, conv, startMs);
}

/** `dont-know`: an agent's final segment `seg` with `cues` — an offer settles the pending one, a bare one starts waiting. */
export function judgeDontKnow(s: FloorState, c: CallState, conv: ConversationState, cues: readonly TranscriptCue[], seg: AlertEvidence): void {
  const p = conv.dontKnow;
  if (p && cues.includes('find-out') && seg.startMs >= p.startMs && (seg.startMs <= p.deadlineMs || p.turnOverMs === undefined || seg.startMs < p.turnOverMs)) {
    delete conv.dontKnow;
    timeline(c, { at: seg.startMs, type: 'conversation.find-out', agentId: c.agentId }, { dontKnow: p.n });
  } else if (!p && cues.includes('find-out')) {
    // An offer that arrives after a live tick already raised the lapse (a late final segment): withdrawn when in time.
    withdrawAnswered(s, c, conv, seg);
  } else {
    settleDontKnow(s, c, conv, seg.startMs);
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
