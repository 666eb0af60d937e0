/**
 * Formatting of times, numbers and threshold colours. Every colour comes with
 * a text label and an icon: never colour alone.
 */
import type { AlertLevel } from '../../shared/state.ts';

export type Tone = 'ok' | 'warn' | 'breach' | 'none';

export interface ToneView {
  tone: Tone;
  label: string;
  icon: string;
}

const TONES: Record<Tone, ToneView> = {
  ok: { tone: 'ok', label: 'OK', icon: '●' },
  warn: { tone: 'warn', label: 'Warn', icon: '▲' },
  breach: { tone: 'breach', label: 'Breach', icon: '■' },
  none: { tone: 'none', label: '–', icon: '○' },
};

export function tone(t: Tone): ToneView {
  return TONES[t];
}

export function levelTone(level: AlertLevel | null): ToneView {
  if (level === null) return TONES.ok;
  if (level === 'info') return { tone: 'none', label: 'Info', icon: 'ℹ' };
  return TONES[level];
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

export function formatPct(p: number | null | undefined): string {
  return p === null || p === undefined ? '–' : `${Math.round(p)}%`;
}

/** Wall-clock time in the browser's locale, hours and minutes. */
export function formatClock(ms: number, locale?: string): string {
  return new Date(ms).toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit' });
}

/** A growing value against warn and breach thresholds (same unit). */
export function thresholdTone(value: number | null, warnAt: number, breachAt: number): ToneView {
  if (value === null) return TONES.none;
  if (value >= breachAt) return TONES.breach;
  if (value >= warnAt) return TONES.warn;
  return TONES.ok;
}

/** Service level: green at or above target, amber within 10 points below, red further down. */
export function serviceLevelTone(pct: number | null, targetPct: number): ToneView {
  if (pct === null) return TONES.none;
  if (pct >= targetPct) return TONES.ok;
  if (pct >= targetPct - 10) return TONES.warn;
  return TONES.breach;
}

/** Quota progress: behind pace by more than `warnBehind` calls is amber. */
export function paceTone(handled: number, expected: number | null, warnBehind: number): ToneView {
  if (expected === null) return TONES.none;
  return expected - handled > warnBehind ? TONES.warn : TONES.ok;
}
