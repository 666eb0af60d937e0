/**
 * Gentle nudges for an agent's live call, before a threshold is crossed
 * rather than after: pure so they are tested on their own.
 */
import type { AgentView, CallView } from '../../shared/wire.ts';
import type { FloorConfig } from '../../shared/config.ts';
import { ringsAfter, callBudgetSec } from '../../shared/measure.ts';

export interface Nudge {
  level: 'info' | 'warn' | 'breach';
  text: string;
}

/** How early a hold or call-length nudge appears before its warning threshold, s. */
const HOLD_LEAD_SEC = 10;
const CALL_LEAD_SHARE = 0.8;

function ordinal(n: number): string {
  const s = ['th', 'st', 'nd', 'rd'];
  const v = n % 100;
  return `${n}${s[(v - 20) % 10] ?? s[v] ?? s[0]}`;
}

export function nudgesFor(me: AgentView, call: CallView | null, config: FloorConfig, nowMs: number): Nudge[] {
  const r = config.rules;
  const out: Nudge[] = [];
  if (me.activity === 'ringing') {
    const ring = ringsAfter(nowMs - me.activitySinceMs, r.ringCadenceSec);
    if (ring >= r.ringBreachAt) out.push({ level: 'breach', text: `${ordinal(ring)} ring — answer now` });
    else if (ring >= r.ringWarnAt) out.push({ level: 'warn', text: `${ordinal(ring)} ring — answer now` });
    else out.push({ level: 'info', text: `Ringing (${ordinal(ring)} ring) — answer within ${r.ringBreachAt - 1} rings` });
  }
  if (me.activity === 'hold') {
    const sec = Math.floor((nowMs - me.activitySinceMs) / 1000);
    if (sec >= r.holdLongBreachSec) out.push({ level: 'breach', text: `On hold ${sec} s — go back to the caller now` });
    else if (sec >= r.holdLongWarnSec - HOLD_LEAD_SEC) out.push({ level: 'warn', text: `On hold ${sec} s — check back with the caller` });
  }
  if (call && (me.activity === 'talking' || me.activity === 'hold') && call.answeredAtMs !== null) {
    const budget = callBudgetSec(config.workload);
    const sec = (nowMs - call.answeredAtMs) / 1000;
    if (sec >= budget * r.callLongBreachFactor) out.push({ level: 'breach', text: `Call at ${Math.floor(sec / 60)} min — twice the per-call budget` });
    else if (sec >= budget * r.callLongWarnFactor) out.push({ level: 'warn', text: `Call at ${Math.floor(sec / 60)} min — over the ${Math.round(budget / 60)} min budget; start wrapping up` });
    else if (sec >= budget * CALL_LEAD_SHARE) out.push({ level: 'info', text: `Call at ${Math.floor(sec / 60)} min — budget is ${Math.round(budget / 60)} min` });
    if (call.holdCount === r.holdRepeatBreachAt - 1 && me.activity === 'talking') {
      out.push({ level: 'info', text: `${call.holdCount} holds on this call already — avoid another` });
    }
  }
  return out;
}
