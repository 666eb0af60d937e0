/**
 * The report pages' logic (client/src/reports.ts): range presets, the query kept in the address and
 * carried by the exports, the trend of a scorecard figure, and fetching while the server builds days.
 */
import { describe, expect, it } from 'vitest';
import { addDays, dateRuns, daysInRange, exportLinks, fetchRangeJson, intervalSpan, isIsoDate, parseReportQuery, presetOf, presetRange, reportRangeProblem, reportSearch, trendOf, todayIn } from '../../client/src/reports.ts';

// Wednesday 25 November 2026.
const TODAY = '2026-11-25';

describe('range presets', () => {
  it('counts back from the floor’s today, weeks starting on Monday', () => {
    expect(presetRange('last7', TODAY)).toEqual({ from: '2026-11-19', to: TODAY });
    expect(presetRange('last30', TODAY)).toEqual({ from: '2026-10-27', to: TODAY });
    expect(presetRange('thisWeek', TODAY)).toEqual({ from: '2026-11-23', to: TODAY });
    expect(presetRange('lastWeek', TODAY)).toEqual({ from: '2026-11-16', to: '2026-11-22' });
    expect(presetRange('thisMonth', TODAY)).toEqual({ from: '2026-11-01', to: TODAY });
    // A Sunday is the last day of its ISO week, a Monday the first.
    expect(presetRange('thisWeek', '2026-11-29')).toEqual({ from: '2026-11-23', to: '2026-11-29' });
    expect(presetRange('lastWeek', '2026-11-23')).toEqual({ from: '2026-11-16', to: '2026-11-22' });
  });

  it('recognises a preset from its dates, else says custom', () => {
    expect(presetOf('2026-11-19', TODAY, TODAY)).toBe('last7');
    expect(presetOf('2026-11-16', '2026-11-22', TODAY)).toBe('lastWeek');
    expect(presetOf('2026-11-02', '2026-11-05', TODAY)).toBe('custom');
  });

  it('does calendar arithmetic across month, year and DST changes', () => {
    expect(addDays('2026-03-28', 2)).toBe('2026-03-30');
    expect(addDays('2027-01-01', -1)).toBe('2026-12-31');
    expect(daysInRange('2026-10-24', '2026-10-26')).toBe(3);
    expect(daysInRange('2026-11-26', '2026-11-25')).toBe(0);
    expect(isIsoDate('2026-02-30')).toBe(false);
    expect(isIsoDate('2026-02-28')).toBe(true);
    expect(todayIn(Date.UTC(2026, 10, 25, 22, 30), 'Europe/Istanbul')).toBe('2026-11-26');
    expect(todayIn(Date.UTC(2026, 10, 25, 22, 30), 'UTC')).toBe('2026-11-25');
  });

  it('groups missing dates into runs of consecutive days', () => {
    expect(dateRuns(['2026-11-03', '2026-11-01', '2026-11-02', '2026-11-05', '2026-12-31', '2027-01-01'])).toEqual([
      { from: '2026-11-01', to: '2026-11-03' },
      { from: '2026-11-05', to: '2026-11-05' },
      { from: '2026-12-31', to: '2027-01-01' },
    ]);
    expect(dateRuns([])).toEqual([]);
  });

  it('writes interval rows as spans, the last one ending at 24:00', () => {
    expect(intervalSpan('09:15', 15)).toBe('09:15–09:30');
    expect(intervalSpan('09:30', 30)).toBe('09:30–10:00');
    expect(intervalSpan('23:00', 60)).toBe('23:00–24:00');
  });
});

describe('the report query', () => {
  it('reads the address, falling back to the last 7 days by day', () => {
    expect(parseReportQuery('?from=2026-11-01&to=2026-11-07&group=week&queue=sales,support&team=North&agent=1001', TODAY)).toEqual({
      from: '2026-11-01', to: '2026-11-07', group: 'week', queues: ['sales', 'support'], teams: ['North'], agents: ['1001'],
    });
    expect(parseReportQuery('?from=nonsense&group=month', TODAY)).toEqual({ from: '2026-11-19', to: TODAY, group: 'day', queues: [], teams: [], agents: [] });
    expect(parseReportQuery('?from=2026-11-07&to=2026-11-01', TODAY)).toMatchObject({ from: '2026-11-01', to: '2026-11-07' });
  });

  it('writes the same query for the address, the API and every export, filters left out when empty', () => {
    const f = { from: '2026-11-01', to: '2026-11-07', group: 'interval30' as const, queues: ['sales', 'vip care'], teams: [], agents: ['1001'] };
    const q = reportSearch(f);
    expect(q).toBe('from=2026-11-01&to=2026-11-07&group=interval30&queue=sales%2Cvip+care&agent=1001');
    expect(parseReportQuery(`?${q}`, TODAY)).toEqual(f);
    const links = exportLinks(f);
    expect(links.xlsx).toBe(`/api/reports/export.xlsx?${q}`);
    expect(links.csv.agents).toBe(`/api/reports/export/agents.csv?${q}`);
    expect(Object.keys(links.csv)).toEqual(['rows', 'queues', 'agents', 'rules']);
  });
});

describe('the range the server takes', () => {
  it('refuses, before asking, what the server would: a bad date, a start after the end, over 366 days', () => {
    expect(reportRangeProblem('2026-11-19', TODAY)).toBeNull();
    expect(reportRangeProblem('2025-11-25', TODAY)).toBeNull(); // 366 days: the most one report covers
    expect(reportRangeProblem('2025-11-24', TODAY)).toEqual({ key: 'rp.rangeTooLong', n: 367, max: 366 });
    expect(reportRangeProblem('2024-01-01', TODAY)).toEqual({ key: 'rp.rangeTooLong', n: 1060, max: 366 });
    expect(reportRangeProblem('2026-11-26', TODAY)).toEqual({ key: 'rp.rangeFromAfterTo', from: '2026-11-26', to: TODAY });
    expect(reportRangeProblem('', TODAY)).toEqual({ key: 'rp.rangeBadDate' });
    expect(reportRangeProblem('2026-02-30', TODAY)).toEqual({ key: 'rp.rangeBadDate' });
  });
});

describe('trend against the previous period', () => {
  it('is better when a lower-is-better figure falls and worse when it rises', () => {
    expect(trendOf(3, 6, 'lower')).toEqual({ dir: 'down', delta: -3, verdict: 'better' });
    expect(trendOf(0.5, 0.3, 'lower')).toMatchObject({ dir: 'up', verdict: 'worse' });
    expect(trendOf(97, 95, 'higher')).toMatchObject({ dir: 'up', verdict: 'better' });
  });

  it('is neutral for a figure neither way is better, the same within the shown precision, none without both periods', () => {
    expect(trendOf(260, 240, 'neutral')).toEqual({ dir: 'up', delta: 20, verdict: 'neutral' });
    expect(trendOf(240.3, 240, 'lower', 0.5)).toEqual({ dir: 'same', delta: 0, verdict: 'same' });
    expect(trendOf(null, 240, 'lower')).toEqual({ dir: 'none', delta: null, verdict: 'none' });
  });
});

describe('fetching a report', () => {
  const json = (status: number, body: unknown, headers: Record<string, string> = {}) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

  it('asks again while the server answers 503, waiting as Retry-After says (capped), and tells each wait', async () => {
    const answers = [json(503, { ok: false, error: 'building' }, { 'retry-after': '3' }), json(503, { ok: false, error: 'building' }, { 'retry-after': '600' }), json(200, { ok: true, data: { n: 1 } })];
    const waits: number[] = [];
    const notices: number[] = [];
    const r = await fetchRangeJson<{ n: number }>('/api/reports?x', new AbortController().signal, (n) => notices.push(n.attempts), {
      fetch: async () => answers.shift()!,
      sleep: async (ms) => void waits.push(ms),
    });
    expect(r).toEqual({ ok: true, data: { n: 1 } });
    expect(waits).toEqual([3_000, 10_000]);
    expect(notices).toEqual([1, 2]);
  });

  it('gives the server’s error with its status, a network failure as status 0, and nothing once aborted', async () => {
    const sleep = async () => {};
    expect(await fetchRangeJson('/x', new AbortController().signal, () => {}, { fetch: async () => json(400, { ok: false, error: 'from: a date' }), sleep })).toEqual({ ok: false, error: 'from: a date', status: 400 });
    expect(await fetchRangeJson('/x', new AbortController().signal, () => {}, { fetch: async () => { throw new TypeError('Failed to fetch'); }, sleep })).toEqual({ ok: false, error: 'Failed to fetch', status: 0 });
    const c = new AbortController();
    const r = fetchRangeJson('/x', c.signal, () => {}, { fetch: async () => { c.abort(); return json(200, { ok: true, data: 1 }); }, sleep });
    expect(await r).toBeNull();
  });
});
