/**
 * Pause limits in the views: an away agent's reason and timer against its
 * limit ("lunch 31:10 / 35:00"), its tone at warn and breach, the words a
 * screen reader says, and an agent's time away today by reason. The limits
 * come with the agent's view from the server (shared/engine/rules/away-long.ts).
 */
import { t } from './i18n/index.ts';
import { formatDuration, thresholdTone, type ToneView } from './format.ts';
import { formatValue } from './rules.ts';
import { AWAY_NO_REASON, AWAY_OTHER_REASON, awayLimitSec } from '../../shared/away.ts';
import type { AgentView, AwayStretchView } from '../../shared/wire.ts';

/** The reasons with words of their own in every language (the defaults of the pause limits). */
const NAMED = new Set(['break', 'lunch', 'training']);

/** An away reason in words: the usual ones in the page's language, any other as the source wrote it (normalised). */
export function awayReasonName(reason: string): string {
  if (reason === AWAY_NO_REASON) return t('away.reason.none');
  if (reason === AWAY_OTHER_REASON) return t('away.reason.other');
  return NAMED.has(reason) ? t(`away.reason.${reason}`) : reason;
}

/** The timer of an away stretch at `nowMs`: its text, what a screen reader says, and its tone (warn at the limit, breach at +50 %). */
export function awayTimer(w: AwayStretchView, nowMs: number): { text: string; spoken: string; tone: ToneView } {
  const elapsedMs = Math.max(0, nowMs - w.sinceMs);
  const reason = awayReasonName(w.reason);
  const time = formatDuration(elapsedMs);
  const timeWords = formatValue(Math.floor(elapsedMs / 1000), 'sec');
  if (w.limitSec === null) {
    return { text: t('away.timerNoLimit', { reason, time }), spoken: t('away.srNoLimit', { reason, time: timeWords }), tone: thresholdTone(null, 0, 0) };
  }
  const tone = thresholdTone(elapsedMs / 1000, w.limitSec, w.breachSec ?? w.limitSec * 1.5);
  const limitWords = formatValue(w.limitSec, 'sec');
  const key = tone.tone === 'breach' ? 'away.srBreach' : tone.tone === 'warn' ? 'away.srWarn' : 'away.srTimer';
  return { text: t('away.timer', { reason, time, limit: formatDuration(w.limitSec * 1000) }), spoken: t(key, { reason, time: timeWords, limit: limitWords }), tone };
}

/**
 * An agent's time away today by reason, s, longest first: the stretches that
 * are over plus today's part of the one in progress at `nowMs`, each with its
 * limit from `limitMinutes` (the agent's team's, when known).
 */
export function awayToday(a: AgentView, nowMs: number, limitMinutes?: Readonly<Record<string, number | null>>): { reason: string; sec: number; limitSec: number | null }[] {
  const byReason: Record<string, number> = { ...(a.awaySecByReason ?? {}) };
  if (a.away) byReason[a.away.reason] = (byReason[a.away.reason] ?? 0) + Math.max(0, Math.floor((nowMs - a.away.countedFromMs) / 1000));
  return Object.entries(byReason)
    .filter(([, sec]) => sec > 0)
    .map(([reason, sec]) => ({ reason, sec, limitSec: a.away?.reason === reason ? a.away.limitSec : limitMinutes ? awayLimitSec(limitMinutes, reason) : null }))
    .sort((x, y) => y.sec - x.sec || x.reason.localeCompare(y.reason));
}
