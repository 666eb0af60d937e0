/**
 * Away reasons (pause limits, the `away-long` rule). A reason is free text
 * from the source (queue_log PAUSE's data field, AMI's PausedReason, the feed's
 * `reason`); it is normalised here, once, the same way for every source and for
 * the configuration's keys, so "Lunch", " lunch " and "LUNCH" are one reason.
 * Pure: no I/O, no clock.
 */

/** The limit table's key that applies to every reason it does not name (and to pauses with no reason). */
export const AWAY_DEFAULT_KEY = '*';
/** Most reasons one limit table (the floor's, or one team's) may name: a floor has a handful; a bound keeps settings and views small. */
export const AWAY_LIMIT_REASONS_MAX = 32;
/** Longest reason kept, in characters: longer text is cut (a reason is a word or two; the feed allows more). */
export const AWAY_REASON_MAX_CHARS = 40;
/** Most reasons counted separately per agent and day; the time of further ones counts under {@link AWAY_OTHER_REASON}. */
export const AWAY_DAY_REASONS_MAX = 16;
/** The reason further reasons of a day count under once {@link AWAY_DAY_REASONS_MAX} are counted. */
export const AWAY_OTHER_REASON = 'other';
/** The reason of a pause the source gave no reason for. */
export const AWAY_NO_REASON = '';
/** The breach comes at this multiple of the reason's limit ("warn at the limit, breach at limit + 50 %"). */
export const AWAY_BREACH_FACTOR = 1.5;

/** Default limits, minutes per reason; `null` is "no limit" (training takes what it takes). */
export const DEFAULT_AWAY_LIMIT_MINUTES: Readonly<Record<string, number | null>> = Object.freeze({ break: 15, lunch: 35, training: null });

/**
 * The normalised form of an away reason: Unicode NFKC, lower case, trimmed,
 * every run of whitespace one space, cut to {@link AWAY_REASON_MAX_CHARS}.
 * A missing or blank reason is {@link AWAY_NO_REASON} ('').
 */
export function normalizeAwayReason(raw: string | undefined | null): string {
  if (raw === undefined || raw === null) return AWAY_NO_REASON;
  return raw.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim().slice(0, AWAY_REASON_MAX_CHARS).trimEnd();
}

/**
 * The limit of `reason` (normalised) in a limit table, in seconds: the
 * reason's own entry, else the table's `*` entry, else none (`null`). An entry
 * of `null` is "no limit" even when `*` sets one.
 */
export function awayLimitSec(limitMinutes: Readonly<Record<string, number | null>>, reason: string): number | null {
  const own = Object.hasOwn(limitMinutes, reason) && reason !== AWAY_DEFAULT_KEY ? limitMinutes[reason] : undefined;
  const min = own !== undefined ? own : Object.hasOwn(limitMinutes, AWAY_DEFAULT_KEY) ? limitMinutes[AWAY_DEFAULT_KEY] : null;
  return min === null || min === undefined ? null : Math.round(min * 60);
}

/**
 * A limit table with its keys normalised. Returns an error naming the key
 * when two keys are one reason once normalised, or a key is blank.
 */
export function normalizeAwayLimits(
  table: Readonly<Record<string, number | null>>,
  where: string,
): { ok: true; limits: Record<string, number | null> } | { ok: false; error: string } {
  const out: Record<string, number | null> = {};
  const from: Record<string, string> = {};
  for (const [key, minutes] of Object.entries(table)) {
    const k = key.trim() === AWAY_DEFAULT_KEY ? AWAY_DEFAULT_KEY : normalizeAwayReason(key);
    if (k === AWAY_NO_REASON) return { ok: false, error: `${where}: a reason must not be blank (use "${AWAY_DEFAULT_KEY}" for every other reason)` };
    if (Object.hasOwn(out, k)) return { ok: false, error: `${where}: "${from[k]}" and "${key}" are the same reason ("${k}") once case and spaces are ignored` };
    out[k] = minutes;
    from[k] = key;
  }
  return { ok: true, limits: out };
}

/**
 * Adds `ms` of time away for `reason` to a day's tally (by reason, ms), in
 * place. A day counts at most {@link AWAY_DAY_REASONS_MAX} reasons apart;
 * the time of further ones goes to {@link AWAY_OTHER_REASON}.
 */
export function addAwayMs(tally: Record<string, number>, reason: string, ms: number): void {
  if (ms <= 0) return;
  let key = reason;
  if (!Object.hasOwn(tally, key) && Object.keys(tally).length >= AWAY_DAY_REASONS_MAX) key = AWAY_OTHER_REASON;
  tally[key] = (tally[key] ?? 0) + ms;
}
