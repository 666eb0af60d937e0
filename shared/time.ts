/**
 * Calendar arithmetic in the floor's time zone, without I/O: "today" and the
 * business day are local to the floor, not to the server.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function localParts(ms: number, timeZone: string): LocalParts {
  const out: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(ms))) {
    if (p.type !== 'literal') out[p.type] = Number(p.value);
  }
  return out as unknown as LocalParts;
}

/** Offset of local wall-clock time from UTC at instant `ms`, in ms. */
export function zoneOffsetMs(ms: number, timeZone: string): number {
  const p = localParts(ms, timeZone);
  const wall = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return wall - Math.floor(ms / 1000) * 1000;
}

/** The instant at which the local wall clock shows `wallMs` (wall time encoded as if UTC). */
function instantOfWall(wallMs: number, timeZone: string): number {
  // Two passes settle the offset across a DST change.
  let guess = wallMs - zoneOffsetMs(wallMs, timeZone);
  guess = wallMs - zoneOffsetMs(guess, timeZone);
  return guess;
}

/** The local calendar date at `ms` as one comparable number, yyyymmdd. */
function localDateKey(ms: number, timeZone: string): number {
  const p = localParts(ms, timeZone);
  return p.year * 10_000 + p.month * 100 + p.day;
}

/** How far around a wall-clock midnight a day boundary is looked for: wider than any DST shift. */
const BOUNDARY_SEARCH_MS = 4 * 3_600_000;
/** Day boundaries already found, per zone and date (a replay asks for the same few days again and again). */
const boundaries = new Map<string, number>();

/**
 * The instant from which the local date is (year, month, day) for good. Where
 * local midnight does not exist (America/Santiago or America/Havana on the day
 * DST begins, when 00:00 jumps to 01:00) it is the first instant of that date
 * (01:00); found by a minute-wise scan around the wall midnight, since zone
 * changes fall on whole minutes, and cached.
 */
function dayBoundary(year: number, month: number, day: number, timeZone: string): number {
  const wallMidnight = Date.UTC(year, month - 1, day);
  const d = new Date(wallMidnight); // normalises a day past the month's end
  const key = d.getUTCFullYear() * 10_000 + (d.getUTCMonth() + 1) * 100 + d.getUTCDate();
  const cacheKey = `${timeZone}|${key}`;
  const cached = boundaries.get(cacheKey);
  if (cached !== undefined) return cached;
  const guess = instantOfWall(wallMidnight, timeZone);
  let boundary: number;
  if (localDateKey(guess, timeZone) >= key && localDateKey(guess - 60_000, timeZone) < key) boundary = guess; // the usual case: midnight exists
  else {
    let lastBefore = guess - BOUNDARY_SEARCH_MS;
    for (let t = guess - BOUNDARY_SEARCH_MS; t <= guess + BOUNDARY_SEARCH_MS; t += 60_000) if (localDateKey(t, timeZone) < key) lastBefore = t;
    boundary = lastBefore + 60_000;
  }
  if (boundaries.size > 10_000) boundaries.clear();
  boundaries.set(cacheKey, boundary);
  return boundary;
}

/**
 * Start and end (exclusive) of the local calendar day containing `ms`, in
 * `timeZone`; one boundary per day even where local midnight does not exist.
 */
export function localDay(ms: number, timeZone: string): { startMs: number; endMs: number } {
  const p = localParts(ms, timeZone);
  let startMs = dayBoundary(p.year, p.month, p.day, timeZone);
  let endMs = dayBoundary(p.year, p.month, p.day + 1, timeZone);
  if (ms < startMs) {
    endMs = startMs;
    startMs = dayBoundary(p.year, p.month, p.day - 1, timeZone);
  }
  return { startMs, endMs };
}

/**
 * The close of the business day by which something arriving at `ms` must be
 * handled: today's close if it arrives before it, else the next day's.
 */
export function businessDayCloseAfter(ms: number, timeZone: string, closeHour: number): number {
  const p = localParts(ms, timeZone);
  const midnightWall = Date.UTC(p.year, p.month - 1, p.day);
  const todayClose = instantOfWall(midnightWall + closeHour * 3_600_000, timeZone);
  if (ms < todayClose) return todayClose;
  return instantOfWall(midnightWall + 86_400_000 + closeHour * 3_600_000, timeZone);
}

/** Start of the 15-minute interval containing `ms`, counted from the local day start. */
export const INTERVAL_MS = 15 * 60_000;
export function intervalStart(ms: number, dayStartMs: number): number {
  return dayStartMs + Math.floor((ms - dayStartMs) / INTERVAL_MS) * INTERVAL_MS;
}

/** `YYYY-MM-DD` as a calendar date from 1970 on, or null when it is not one (2026-02-30 is not; nor is 0001-01-01, before any log). */
export function parseDate(date: string): { year: number; month: number; day: number } | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) return null;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (year < 1970) return null;
  const t = new Date(Date.UTC(year, month - 1, day));
  if (t.getUTCFullYear() !== year || t.getUTCMonth() !== month - 1 || t.getUTCDate() !== day) return null;
  return { year, month, day };
}

/** The floor-local day of calendar date `date` (`YYYY-MM-DD`) in `timeZone`, epoch ms. Throws a RangeError for a string that is no date. */
export function dayOfDate(date: string, timeZone: string): { startMs: number; endMs: number } {
  const d = parseDate(date);
  if (!d) throw new RangeError(`${date} is not a date (YYYY-MM-DD)`);
  return localDay(instantOfWall(Date.UTC(d.year, d.month - 1, d.day, 12), timeZone), timeZone);
}

/** The calendar dates from `from` to `to` inclusive (`YYYY-MM-DD`), in order; empty when `to` is before `from`. Throws a RangeError for a string that is no date. */
export function datesBetween(from: string, to: string): string[] {
  const a = parseDate(from);
  const b = parseDate(to);
  if (!a) throw new RangeError(`${from} is not a date (YYYY-MM-DD)`);
  if (!b) throw new RangeError(`${to} is not a date (YYYY-MM-DD)`);
  const out: string[] = [];
  const end = Date.UTC(b.year, b.month - 1, b.day);
  for (let t = Date.UTC(a.year, a.month - 1, a.day); t <= end; t += 86_400_000) out.push(new Date(t).toISOString().slice(0, 10));
  return out;
}

/** The date `days` calendar days after `date` (negative: before), `YYYY-MM-DD`. Throws a RangeError for a string that is no date. */
export function addDays(date: string, days: number): string {
  const d = parseDate(date);
  if (!d) throw new RangeError(`${date} is not a date (YYYY-MM-DD)`);
  return new Date(Date.UTC(d.year, d.month - 1, d.day + days)).toISOString().slice(0, 10);
}

/** ISO 8601 week of calendar date `date`: its label (`2026-W48`) and its Monday (`YYYY-MM-DD`). */
export function isoWeekOf(date: string): { label: string; monday: string } {
  const d = parseDate(date);
  if (!d) throw new RangeError(`${date} is not a date (YYYY-MM-DD)`);
  const t = new Date(Date.UTC(d.year, d.month - 1, d.day));
  const dow = (t.getUTCDay() + 6) % 7; // Monday 0 … Sunday 6
  const monday = new Date(t.getTime() - dow * 86_400_000);
  const thursday = new Date(monday.getTime() + 3 * 86_400_000); // the week belongs to the year of its Thursday
  const year = thursday.getUTCFullYear();
  const week = 1 + Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / (7 * 86_400_000));
  return { label: `${year}-W${String(week).padStart(2, '0')}`, monday: monday.toISOString().slice(0, 10) };
}
