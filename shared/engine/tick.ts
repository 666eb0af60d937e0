/**
 * The 1 Hz tick: evaluates the live rules at `nowMs` — rings while ringing,
 * hold and call length, speaker use, the conversation (greeting, dead air, a
 * bare "I don't know"), queue wait, quota pace, voicemails and
 * callbacks due. An alert fires on the first tick at or after its threshold,
 * with the exact crossing time as `raisedAtMs`.
 */
import type { FloorState } from '../state.ts';
import { callConfig, isConnected } from './core.ts';
import { advanceClock } from './days.ts';
import { checkRingsLive } from './rules/ring-limit.ts';
import { checkHoldLive } from './rules/hold.ts';
import { checkCallLongLive } from './rules/call-long.ts';
import { checkSpeakerLive } from './rules/speakerphone.ts';
import { checkQueueWaitLive } from './rules/queue-wait.ts';
import { checkPaceLive } from './rules/quota-pace.ts';
import { checkVoicemailsLive } from './rules/voicemail-return.ts';
import { checkCallbacksLive } from './rules/callback-missed.ts';
import { checkAwayLive } from './rules/away-long.ts';
import { checkWorklistLive } from './rules/abandon-callback.ts';
import { openWorklistItems } from './worklist.ts';
import { checkConversationLive } from './conversation.ts';

/** Evaluates every live rule at `nowMs` (the clock never moves back: an earlier `nowMs` evaluates at the engine's clock). */
export function tick(s: FloorState, nowMs: number): void {
  const before = s.alertLog.length;
  advanceClock(s, nowMs);
  evaluateLive(s, s.nowMs);
  if (s.alertLog.length !== before) s.version++;
}

/** The live rules at `now` (the engine's clock, already there): rings, holds, call length, speaker, queue waits, pace, promises. */
export function evaluateLive(s: FloorState, now: number): void {
  for (const id of s.liveCalls) {
    const c = s.calls.get(id);
    if (!c) continue;
    if (c.rings.length > 0) checkRingsLive(s, c, now);
    if (isConnected(c)) {
      const eff = callConfig(s, c); // once per call: the tick looks at every live call each second
      checkHoldLive(s, c, now, eff);
      checkCallLongLive(s, c, now, eff);
      checkSpeakerLive(s, c, now, eff);
      if (c.conversation) checkConversationLive(s, c, now, eff);
    }
  }
  for (const q of s.queues.values()) checkQueueWaitLive(s, q, now);
  checkPaceLive(s, now);
  checkVoicemailsLive(s, now);
  checkCallbacksLive(s, now);
  checkAwayLive(s, now);
  checkWorklistLive(s, openWorklistItems(s), now);
}
