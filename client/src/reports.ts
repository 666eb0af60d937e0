/**
 * Range reports and scorecards on the client: the query a report page keeps in
 * its address (and sends to `GET /api/reports`, the exports and the
 * scorecard), date presets, fetching with the server's "still building" answer,
 * and the trend of a scorecard figure against the previous period. Pure apart
 * from {@link fetchRangeJson} (which takes `fetch` and a sleep to be tested).
 *
 * Dates are floor-local calendar days written `YYYY-MM-DD`; arithmetic on them
 * is done on UTC noon of the day, so no zone or DST change moves a date.
 */
import type { ReportGroup } from '../../shared/report/types.ts';
import type { FloorPayload, Snapshot } from '../../shared/wire.ts';
import type { FloorConfig } from '../../shared/config.ts';

/** Every grouping the report API takes, in the order the picker lists them. */
export const REPORT_GROUPS: readonly ReportGroup[] = ['day', 'week', 'interval15', 'interval30', 'interval60'];

/** The range presets of the picker; `custom` keeps the dates typed. */
export const RANGE_PRESETS = ['last7', 'thisWeek', 'lastWeek', 'last30', 'thisMonth', 'custom'] as const;
export type RangePreset = (typeof RANGE_PRESETS)[number];

/** What a report page asks for: inclusive floor-local dates, a grouping, and filters (empty = all). */
export interface ReportForm {
  from: string;
  to: string;
  group: ReportGroup;
  queues: string[];
  teams: string[];
  agents: string[];
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;

/** Whether `s` is a real calendar date written `YYYY-MM-DD` (2026-02-30 is not). */
export function isIsoDate(s: string | null | undefined): s is string {
  if (!s || !DATE.test(s)) return false;
  const [y, m, d] = s.split('-').map(Number);
  const t = new Date(Date.UTC(y, m - 1, d, 12));
  return t.getUTCFullYear() === y && t.getUTCMonth() === m - 1 && t.getUTCDate() === d;
}

function noonMs(iso: string): number {
  const [y, m, d] = iso.split('-').map(Number);
  return Date.UTC(y, m - 1, d, 12);
}

function isoOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** `iso` moved by `days` calendar days (negative: back). */
export function addDays(iso: string, days: number): string {
  return isoOf(noonMs(iso) + days * DAY_MS);
}

/** Calendar days from `from` to `to`, both included (0 when `to` is before `from`). */
export function daysInRange(from: string, to: string): number {
  return Math.max(0, Math.round((noonMs(to) - noonMs(from)) / DAY_MS) + 1);
}

/** Longest range one report covers, days: the server's bound (server/report-routes.ts REPORT_RANGE_MAX_DAYS), checked here too so the page says it at once. */
export const REPORT_MAX_DAYS = 366;

/** Why the server would refuse a report of `from`..`to`, as an i18n key and its values; null when it would not. */
export type RangeProblem = { key: 'rp.rangeBadDate' } | { key: 'rp.rangeFromAfterTo'; from: string; to: string } | { key: 'rp.rangeTooLong'; n: number; max: number };

/**
 * Checks a report's range as the server does (server/report-routes.ts `readReportQuery`): both dates real
 * dates, `from` ≤ `to`, at most {@link REPORT_MAX_DAYS} days. Null for a range the server takes.
 */
export function reportRangeProblem(from: string, to: string): RangeProblem | null {
  if (!isIsoDate(from) || !isIsoDate(to)) return { key: 'rp.rangeBadDate' };
  if (from > to) return { key: 'rp.rangeFromAfterTo', from, to };
  const n = daysInRange(from, to);
  return n > REPORT_MAX_DAYS ? { key: 'rp.rangeTooLong', n, max: REPORT_MAX_DAYS } : null;
}

/** Today's date on the floor's wall clock (`timeZone` an IANA zone; the browser's own zone without one). */
export function todayIn(nowMs: number, timeZone?: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(nowMs);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')}`;
}

/**
 * A preset's dates, counted back from `today` (floor-local). Weeks are ISO weeks (Monday first), as the
 * report's week rows are. Presets that reach today include it: today's figures are the live day's.
 */
export function presetRange(preset: Exclude<RangePreset, 'custom'>, today: string): { from: string; to: string } {
  const weekday = (new Date(noonMs(today)).getUTCDay() + 6) % 7; // 0 = Monday
  switch (preset) {
    case 'last7':
      return { from: addDays(today, -6), to: today };
    case 'last30':
      return { from: addDays(today, -29), to: today };
    case 'thisWeek':
      return { from: addDays(today, -weekday), to: today };
    case 'lastWeek':
      return { from: addDays(today, -weekday - 7), to: addDays(today, -weekday - 1) };
    case 'thisMonth':
      return { from: `${today.slice(0, 8)}01`, to: today };
  }
}

/** The preset that gives exactly these dates today, else `custom`. */
export function presetOf(from: string, to: string, today: string): RangePreset {
  for (const p of RANGE_PRESETS) {
    if (p === 'custom') continue;
    const r = presetRange(p, today);
    if (r.from === from && r.to === to) return p;
  }
  return 'custom';
}

function list(v: string | null): string[] {
  return (v ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}

/**
 * The report a page's address asks for (`?from&to&group&queue=a,b&team&agent`); missing or wrong dates
 * give the last 7 days, a wrong grouping gives `day`, dates the wrong way round are swapped.
 */
export function parseReportQuery(search: string, today: string): ReportForm {
  const p = new URLSearchParams(search);
  let from = p.get('from');
  let to = p.get('to');
  if (!isIsoDate(from) || !isIsoDate(to)) ({ from, to } = presetRange('last7', today));
  if (from > to) [from, to] = [to, from];
  const g = p.get('group') as ReportGroup | null;
  return { from, to, group: g && REPORT_GROUPS.includes(g) ? g : 'day', queues: list(p.get('queue')), teams: list(p.get('team')), agents: list(p.get('agent')) };
}

/**
 * The query string of a report (no leading `?`), the same for the page's address, `GET /api/reports`,
 * the XLSX and the CSV exports: `from`, `to`, `group`, then each filter as a comma-separated list, left out when empty.
 */
export function reportSearch(f: ReportForm): string {
  const p = new URLSearchParams({ from: f.from, to: f.to, group: f.group });
  if (f.queues.length) p.set('queue', f.queues.join(','));
  if (f.teams.length) p.set('team', f.teams.join(','));
  if (f.agents.length) p.set('agent', f.agents.join(','));
  return p.toString();
}

/** The tables the CSV export serves, as `GET /api/reports/export/<table>.csv`. */
export const EXPORT_TABLES = ['rows', 'queues', 'agents', 'rules'] as const;

/** The export links of a report: the XLSX workbook and one CSV per table, each carrying the report's query. */
export function exportLinks(f: ReportForm): { xlsx: string; csv: Record<(typeof EXPORT_TABLES)[number], string> } {
  const q = reportSearch(f);
  const csv = Object.fromEntries(EXPORT_TABLES.map((t) => [t, `/api/reports/export/${t}.csv?${q}`])) as Record<(typeof EXPORT_TABLES)[number], string>;
  return { xlsx: `/api/reports/export.xlsx?${q}`, csv };
}

/** A scorecard's subject: one agent or one team. */
export type ScorecardSubject = { kind: 'agent'; id: string } | { kind: 'team'; id: string };

/** The query string of a scorecard (no leading `?`): the range, then `agent=` or `team=`. */
export function scorecardSearch(from: string, to: string, who: ScorecardSubject | null): string {
  const p = new URLSearchParams({ from, to });
  if (who) p.set(who.kind, who.id);
  return p.toString();
}

/**
 * Breaches per 100 handled calls, one decimal (the unit of the report's rule and agent rows);
 * null without a handled call.
 */
export function per100(count: number, calls: number): number | null {
  return calls > 0 ? Math.round((count * 1000) / calls) / 10 : null;
}

/** An interval row's label "09:15" as "09:15–09:30" for a grouping of `minutes`. */
export function intervalSpan(label: string, minutes: number): string {
  const [h, m] = label.split(':').map(Number);
  if (!Number.isFinite(h) || !Number.isFinite(m)) return label;
  const end = h * 60 + m + minutes;
  const pad = (n: number) => String(n).padStart(2, '0');
  // The day's last interval ends at 24:00, as interval reports write it.
  return `${label}–${pad(Math.min(24, Math.floor(end / 60)))}:${pad(end % 60)}`;
}

/** Minutes of an interval grouping (null for days and weeks). */
export function groupMinutes(g: ReportGroup): number | null {
  return g === 'interval15' ? 15 : g === 'interval30' ? 30 : g === 'interval60' ? 60 : null;
}

/** Which way is better for a figure: `higher`, `lower`, or `neutral` (neither is better in itself). */
export type Better = 'higher' | 'lower' | 'neutral';

/** How a figure moved against the previous period, and whether that is good news. */
export interface Trend {
  /** `none`: one of the two periods has no figure to compare. */
  dir: 'up' | 'down' | 'same' | 'none';
  /** current − previous (null with `none`). */
  delta: number | null;
  verdict: 'better' | 'worse' | 'neutral' | 'same' | 'none';
}

/**
 * The trend of a figure: up or down by `current − previous`, judged by `better`. Differences within
 * `epsilon` (half the shown precision, so a change that displays as 0 is "same") count as no change.
 */
export function trendOf(current: number | null, previous: number | null, better: Better, epsilon = 0.05): Trend {
  if (current === null || previous === null) return { dir: 'none', delta: null, verdict: 'none' };
  const delta = current - previous;
  if (Math.abs(delta) < epsilon) return { dir: 'same', delta: 0, verdict: 'same' };
  const dir = delta > 0 ? 'up' : 'down';
  if (better === 'neutral') return { dir, delta, verdict: 'neutral' };
  return { dir, delta, verdict: (dir === 'up') === (better === 'higher') ? 'better' : 'worse' };
}

/** The answer of a report endpoint, or why there is none (`status` 0: the server was not reached). */
export type RangeAnswer<T> = { ok: true; data: T } | { ok: false; error: string; status: number };

/** What {@link fetchRangeJson} reports while the server builds the range's days (503 with Retry-After). */
export interface BuildingNotice {
  /** Attempts answered "still building" so far. */
  attempts: number;
  /** When it asks again, ms from now. */
  retryInMs: number;
}

/** The longest pause between two asks while the server builds, ms: a long Retry-After must not leave the page idle for minutes. */
export const MAX_RETRY_MS = 10_000;

/**
 * GETs a report endpoint (`{ ok, data } | { ok: false, error }`); while it answers 503 (the days are being
 * built) it waits as its Retry-After says (1–10 s) and asks again, telling `onBuilding`. Resolves null when
 * `signal` aborts (a newer request took its place); never throws.
 */
export async function fetchRangeJson<T>(
  url: string,
  signal: AbortSignal,
  onBuilding: (n: BuildingNotice) => void,
  io: { fetch: typeof fetch; sleep: (ms: number, signal: AbortSignal) => Promise<void> } = { fetch: (...a) => fetch(...a), sleep: abortableSleep },
): Promise<RangeAnswer<T> | null> {
  for (let attempts = 1; ; attempts++) {
    let res: Response;
    try {
      res = await io.fetch(url, { credentials: 'same-origin', signal });
    } catch (err) {
      if (signal.aborted) return null;
      return { ok: false, error: (err as Error).message, status: 0 };
    }
    if (signal.aborted) return null;
    if (res.status === 503) {
      const retryInMs = Math.min(MAX_RETRY_MS, Math.max(1_000, (Number(res.headers.get('retry-after')) || 2) * 1000));
      onBuilding({ attempts, retryInMs });
      try {
        await io.sleep(retryInMs, signal);
      } catch {
        return null;
      }
      if (signal.aborted) return null;
      continue;
    }
    let body: { ok?: boolean; data?: T; error?: string } = {};
    try {
      body = (await res.json()) as typeof body;
    } catch {
      // not JSON: the status says what went wrong
    }
    if (signal.aborted) return null;
    if (res.ok && body.ok) return { ok: true, data: body.data as T };
    return { ok: false, error: body.error ?? `HTTP ${res.status}`, status: res.status };
  }
}

/** setTimeout as a promise that rejects when `signal` aborts. */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new Error('aborted'));
    const id = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(id);
      reject(new Error('aborted'));
    }, { once: true });
  });
}

/** What a report page takes from the live floor: its zone and targets, and who and what can be filtered on. */
export interface FloorInfo {
  /** The floor's settings in force (for rebuilding a past call's drill-down from its events). */
  config: FloorConfig;
  timeZone: string;
  slTargetPct: number;
  ringWarnAt: number;
  ringBreachAt: number;
  queues: string[];
  teams: string[];
  agents: { agentId: string; name: string; team: string | null }[];
}

/**
 * The floor's snapshot (`GET /api/snapshot`, supervisors and admins) as {@link FloorInfo}; null when it is
 * not given (an agent, the server away): the page then uses the browser's zone and the default targets.
 */
export async function loadFloorInfo(io: { fetch: typeof fetch } = { fetch: (...a) => fetch(...a) }): Promise<FloorInfo | null> {
  try {
    const res = await io.fetch('/api/snapshot?scope=floor', { credentials: 'same-origin' });
    if (!res.ok) return null;
    const body = (await res.json()) as { ok: boolean; data?: Snapshot<FloorPayload> };
    const snap = body.ok ? body.data : undefined;
    if (!snap || !('timeZone' in snap.config)) return null;
    const agents = (snap.payload.agents ?? []).map((a) => ({ agentId: a.agentId, name: a.name, team: a.team }));
    return {
      config: snap.config,
      timeZone: snap.config.timeZone,
      slTargetPct: snap.config.serviceLevel.targetPct,
      ringWarnAt: snap.config.rules.ringWarnAt,
      ringBreachAt: snap.config.rules.ringBreachAt,
      queues: (snap.payload.queues ?? []).map((q) => q.queueId),
      teams: [...new Set(agents.map((a) => a.team).filter((t): t is string => t !== null))].sort(),
      agents,
    };
  } catch {
    return null;
  }
}

/** Sorted dates `YYYY-MM-DD` as runs of consecutive days (a missing month reads as one span, not thirty dates). */
export function dateRuns(dates: readonly string[]): { from: string; to: string }[] {
  const out: { from: string; to: string }[] = [];
  for (const d of [...dates].sort()) {
    const last = out.at(-1);
    if (last && addDays(last.to, 1) === d) last.to = d;
    else if (!last || last.to !== d) out.push({ from: d, to: d });
  }
  return out;
}
