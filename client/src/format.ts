/**
 * Formatting of times, numbers and threshold colours. Every colour comes with
 * a text label and an icon: never colour alone.
 */
import type { AlertLevel } from '../../shared/state.ts';
import { currentLocale, i18n, t } from './i18n/index.ts';
import { paceExpectedAt } from '../../shared/measure.ts';
import type { AgentView } from '../../shared/wire.ts';

export type Tone = 'ok' | 'warn' | 'breach' | 'none';

export interface ToneView {
  tone: Tone;
  label: string;
  icon: string;
}

const ICONS: Record<Tone, string> = { ok: '●', warn: '▲', breach: '■', none: '○' };
const TONE_KEYS: Record<Tone, string> = { ok: 'tone.ok', warn: 'tone.warn', breach: 'tone.breach', none: 'tone.none' };

/** A tone with its label in the current language and its icon. */
function toneView(tn: Tone): ToneView {
  return { tone: tn, label: t(TONE_KEYS[tn]), icon: ICONS[tn] };
}

export function tone(tn: Tone): ToneView {
  return toneView(tn);
}

export function levelTone(level: AlertLevel | null): ToneView {
  if (level === null) return toneView('ok');
  if (level === 'info') return { tone: 'none', label: t('tone.info'), icon: 'ℹ' };
  return toneView(level);
}

/**
 * Intl formatters are costly to build (tens of µs each) and the floor formats
 * hundreds of values per update: build each one once per language and options.
 * `toLocaleTimeString(locale, opts)` builds a new one on every call.
 */
const NumberFormat = Intl.NumberFormat;
const DateTimeFormat = Intl.DateTimeFormat;
const formatters = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat>();
function formatter(kind: typeof Intl.NumberFormat, locale: string, key: string, opts: Intl.NumberFormatOptions): Intl.NumberFormat;
function formatter(kind: typeof Intl.DateTimeFormat, locale: string, key: string, opts: Intl.DateTimeFormatOptions): Intl.DateTimeFormat;
function formatter(kind: typeof Intl.NumberFormat | typeof Intl.DateTimeFormat, locale: string, key: string, opts: Intl.NumberFormatOptions & Intl.DateTimeFormatOptions): Intl.NumberFormat | Intl.DateTimeFormat {
  const k = `${locale}|${key}`;
  let f = formatters.get(k);
  if (!f) {
    f = kind === Intl.NumberFormat ? new Intl.NumberFormat(locale, opts) : new Intl.DateTimeFormat(locale, opts);
    formatters.set(k, f);
  }
  return f;
}

/** A duration as m:ss under an hour, h:mm:ss above; negative durations show as 0:00. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** Seconds as a duration, or a dash when there is nothing to show. */
export function formatSec(sec: number | null | undefined): string {
  return sec === null || sec === undefined ? '–' : formatDuration(sec * 1000);
}

/** A percentage as the current language writes it (80 %, %80, 80%). */
export function formatPct(p: number | null | undefined): string {
  return p === null || p === undefined ? '–' : formatter(NumberFormat, currentLocale(), 'pct', { style: 'percent', maximumFractionDigits: 0 }).format(p / 100);
}

/** A number with the current language's separators. */
export function formatNumber(n: number, digits = 1): string {
  return formatter(NumberFormat, currentLocale(), `num${digits}`, { maximumFractionDigits: digits }).format(n);
}

/** Wall-clock time in the current language, hours and minutes. */
export function formatClock(ms: number, locale: string = currentLocale()): string {
  return formatter(DateTimeFormat, locale, 'clock', { hour: '2-digit', minute: '2-digit' }).format(ms);
}

/** Wall-clock time in the current language, with seconds (a call's timeline). */
export function formatClockSec(ms: number, locale: string = currentLocale()): string {
  return formatter(DateTimeFormat, locale, 'clockSec', { hour: '2-digit', minute: '2-digit', second: '2-digit' }).format(ms);
}

/** Date and time in the current language. */
export function formatDateTime(ms: number): string {
  return formatter(DateTimeFormat, currentLocale(), 'datetime', { dateStyle: 'short', timeStyle: 'medium' }).format(ms);
}

/** A growing value against warn and breach thresholds (same unit). */
export function thresholdTone(value: number | null, warnAt: number, breachAt: number): ToneView {
  if (value === null) return toneView('none');
  if (value >= breachAt) return toneView('breach');
  if (value >= warnAt) return toneView('warn');
  return toneView('ok');
}

/** Service level: green at or above target, amber within 10 points below, red further down. */
export function serviceLevelTone(pct: number | null, targetPct: number): ToneView {
  if (pct === null) return toneView('none');
  if (pct >= targetPct) return toneView('ok');
  if (pct >= targetPct - 10) return toneView('warn');
  return toneView('breach');
}

/** Quota progress: behind pace by more than `warnBehind` calls is amber. */
export function paceTone(handled: number, expected: number | null, warnBehind: number): ToneView {
  if (expected === null) return toneView('none');
  return expected - handled > warnBehind ? toneView('warn') : toneView('ok');
}

/**
 * Calls the quota expects of an agent by `nowMs`, to one decimal: recomputed
 * on every tick of the screen's clock, so the pace marker moves even when
 * nothing about the agent changes.
 */
export function livePace(a: Pick<AgentView, 'shiftStartMs' | 'shiftMinutes' | 'quota'>, nowMs: number): number | null {
  const expected = paceExpectedAt(a.shiftStartMs, a.shiftMinutes, a.quota, nowMs);
  return expected === null ? null : Math.round(expected * 10) / 10;
}

/** A role's name in the current language ("yönetici", "administraator"); a role without a translation as it is. */
export function roleLabel(role: string | null | undefined): string {
  if (!role) return '';
  const key = `users.roles.${role}`;
  return i18n.global.te(key) ? t(key) : role;
}

/** The name the server records a demo visitor's actions under (DEMO_ACTOR in server/alert-commands.ts). */
export const DEMO_ACTOR = 'demo visitor';

/** Who acted on an alert, for people: a demo visitor in the current language, anyone else by name. */
export function actorLabel(by: string): string {
  return by === DEMO_ACTOR ? t('guide.demoVisitor') : by;
}

/**
 * Days to pick from, newest first: `YYYY-MM-DD` values (as the export API
 * takes them) labelled the way the current language writes a date, so no
 * browser shows its own mm/dd/yyyy. `days` counts back from `nowMs`.
 */
export function dayChoices(nowMs: number, days: number, locale: string = currentLocale()): { value: string; label: string }[] {
  const f = formatter(DateTimeFormat, locale, 'dayChoice', { weekday: 'short', day: 'numeric', month: 'long', year: 'numeric' });
  const out: { value: string; label: string }[] = [];
  const d = new Date(nowMs);
  for (let i = 0; i < days; i++) {
    const day = new Date(d.getFullYear(), d.getMonth(), d.getDate() - i, 12);
    const value = `${day.getFullYear()}-${String(day.getMonth() + 1).padStart(2, '0')}-${String(day.getDate()).padStart(2, '0')}`;
    out.push({ value, label: f.format(day) });
  }
  return out;
}

/** A calendar date `YYYY-MM-DD` as the current language writes it: `short` "Mon 23 Nov", `long` "Monday, 23 November 2026". */
export function formatDay(iso: string, style: 'short' | 'long' = 'short', locale: string = currentLocale()): string {
  const [y, m, d] = iso.split('-').map(Number);
  if (!y || !m || !d) return iso;
  const opts: Intl.DateTimeFormatOptions = style === 'short' ? { weekday: 'short', day: 'numeric', month: 'short', timeZone: 'UTC' } : { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' };
  // Noon UTC of the date, formatted in UTC: the calendar date itself, whatever the browser's zone.
  return formatter(DateTimeFormat, locale, `day-${style}`, opts).format(Date.UTC(y, m - 1, d, 12));
}

/** Two calendar dates `YYYY-MM-DD` as one range the way the current language writes it ("23–29 Nov 2026"). */
export function formatDayRange(from: string, to: string, locale: string = currentLocale()): string {
  const at = (iso: string) => {
    const [y, m, d] = iso.split('-').map(Number);
    return Date.UTC(y, m - 1, d, 12);
  };
  return formatter(DateTimeFormat, locale, 'dayRange', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' }).formatRange(at(from), at(to));
}
