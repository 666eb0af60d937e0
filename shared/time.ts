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

/** Start and end (exclusive) of the local calendar day containing `ms`. */
export function localDay(ms: number, timeZone: string): { startMs: number; endMs: number } {
  const p = localParts(ms, timeZone);
  const midnightWall = Date.UTC(p.year, p.month - 1, p.day);
  return {
    startMs: instantOfWall(midnightWall, timeZone),
    endMs: instantOfWall(midnightWall + 86_400_000, timeZone),
  };
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
