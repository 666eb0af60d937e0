/**
 * Gentle nudges for an agent's live call, before a threshold is crossed
 * rather than after: pure so they are tested on their own.
 */
import type { AgentConfig, AgentView, CallView } from '../../shared/wire.ts';
import { ringsAfter, callBudgetSec } from '../../shared/measure.ts';
import { currentLocale, t } from './i18n/index.ts';

export interface Nudge {
  level: 'info' | 'warn' | 'breach';
  text: string;
}

/** How early a hold or call-length nudge appears before its warning threshold, s. */
const HOLD_LEAD_SEC = 10;
const CALL_LEAD_SHARE = 0.8;

/** "3rd" in English, "3." in Turkish and Estonian. */
function ordinal(n: number): string {
  if (currentLocale() !== 'en') return `${n}.`;
  const s = ['th', 'st', 'nd', 'rd'];
  const v = n % 100;
  return `${n}${s[(v - 20) % 10] ?? s[v] ?? s[0]}`;
}

export function nudgesFor(me: AgentView, call: CallView | null, config: AgentConfig, nowMs: number): Nudge[] {
  const r = config.rules;
  const out: Nudge[] = [];
  if (me.activity === 'ringing') {
    const ring = ringsAfter(nowMs - me.activitySinceMs, r.ringCadenceSec);
    if (ring >= r.ringBreachAt) out.push({ level: 'breach', text: t('nudge.ringNow', { n: ordinal(ring) }) });
    else if (ring >= r.ringWarnAt) out.push({ level: 'warn', text: t('nudge.ringNow', { n: ordinal(ring) }) });
    else out.push({ level: 'info', text: t('nudge.ringing', { n: ordinal(ring), max: r.ringBreachAt - 1 }) });
  }
  if (me.activity === 'hold') {
    const sec = Math.floor((nowMs - me.activitySinceMs) / 1000);
    if (sec >= r.holdLongBreachSec) out.push({ level: 'breach', text: t('nudge.holdNow', { sec }) });
    else if (sec >= r.holdLongWarnSec - HOLD_LEAD_SEC) out.push({ level: 'warn', text: t('nudge.holdBack', { sec }) });
  }
  if (call && (me.activity === 'talking' || me.activity === 'hold') && call.answeredAtMs !== null) {
    const budget = callBudgetSec(config.workload);
    const sec = (nowMs - call.answeredAtMs) / 1000;
    if (sec >= budget * r.callLongBreachFactor) out.push({ level: 'breach', text: t('nudge.callBreach', { min: Math.floor(sec / 60) }) });
    else if (sec >= budget * r.callLongWarnFactor) out.push({ level: 'warn', text: t('nudge.callWarn', { min: Math.floor(sec / 60), budget: Math.round(budget / 60) }) });
    else if (sec >= budget * CALL_LEAD_SHARE) out.push({ level: 'info', text: t('nudge.callInfo', { min: Math.floor(sec / 60), budget: Math.round(budget / 60) }) });
    if (call.holdCount === r.holdRepeatBreachAt - 1 && me.activity === 'talking') {
      out.push({ level: 'info', text: t('nudge.holdsAlready', { n: call.holdCount }) });
    }
  }
  return out;
}
