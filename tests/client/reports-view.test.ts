// @vitest-environment happy-dom
/**
 * The reports and scorecard pages (client/src/views/ReportsView.vue, ScorecardView.vue) mounted against
 * fixture answers of the API: the range's totals in words and numbers, the exports carrying the query in
 * the address, the address following the filters, a trend arrow's direction and colour, and an agent seeing
 * no picker of whose scorecard.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia, type Pinia } from 'pinia';
import ReportsView from '../../client/src/views/ReportsView.vue';
import ScorecardView from '../../client/src/views/ScorecardView.vue';
import { i18n, setLocale } from '../../client/src/i18n/index.ts';
import { useSessionStore } from '../../client/src/stores/session.ts';
import { AGENT_CARD, REPORT, TEAM_CARD } from './report-fixtures.ts';
import { addDays, todayIn } from '../../client/src/reports.ts';

let pinia: Pinia;
let asked: string[];

/** Answers the page's requests: the report or scorecard from the fixtures, no floor snapshot (as for an agent). */
function serve(answers: Record<string, unknown>): void {
  asked = [];
  vi.stubGlobal('fetch', async (url: string) => {
    asked.push(url);
    const path = url.split('?')[0];
    if (path in answers) return new Response(JSON.stringify({ ok: true, data: answers[path] }), { status: 200, headers: { 'content-type': 'application/json' } });
    return new Response(JSON.stringify({ ok: false, error: 'sign in first' }), { status: 403, headers: { 'content-type': 'application/json' } });
  });
}

function mountView(view: typeof ReportsView | typeof ScorecardView) {
  return mount(view, { global: { plugins: [i18n, pinia], stubs: { ChartCanvas: true } } });
}

beforeEach(() => {
  pinia = createPinia();
  setActivePinia(pinia);
  setLocale('en');
});
afterEach(() => {
  vi.unstubAllGlobals();
  history.replaceState(null, '', '/');
});

describe('reports page', () => {
  it('shows the range’s totals, the missing dates, and the tables with captions', async () => {
    history.replaceState(null, '', '/reports?from=2026-11-23&to=2026-11-29&group=day&queue=sales');
    serve({ '/api/reports': REPORT });
    const w = mountView(ReportsView);
    await flushPromises();
    expect(asked).toContain('/api/reports?from=2026-11-23&to=2026-11-29&group=day&queue=sales');
    const total = (k: string) => w.find(`[data-testid="total-${k}"] dd`).text();
    expect(total('offered')).toBe('1,234');
    expect(total('answered')).toBe('1,180');
    expect(total('abandoned')).toBe('54 9 short');
    expect(total('transferred')).toBe('31');
    expect(total('sl')).toContain('83%');
    expect(total('asa')).toBe('0:14');
    expect(total('aht')).toBe('4:05');
    expect(total('maxwait')).toBe('5:12');
    expect(total('breaches')).toBe('42 3.5 per 100 calls');
    expect(w.find('[data-testid="missing-dates"]').text()).toMatch(/^No events recorded on 2 days: Nov 28\s–\s29, 2026\.$/);
    expect(w.findAll('caption').map((c) => c.text())).toEqual(['Per day', 'Queues', 'Agents: handled calls against quota · 2 agents', 'Alerts by rule']);
    // The agents table grows with its rows instead of scrolling inside the page, and says the queue filter does not narrow it.
    expect(w.find('[data-testid="table-agents"]').classes()).toContain('grow');
    expect(w.find('[data-testid="agents-queue-note"]').text()).toContain('an agent’s day is not split by queue');
    // Day rows carry breaches and warnings, as the queues table does.
    expect(w.findAll('[data-testid="table-rows"] thead th').map((c) => c.text()).slice(-2)).toEqual(['Breaches', 'Warnings']);
    expect(w.findAll('[data-testid="table-rows"] tbody tr').map((r) => [r.find('[data-col="breaches"]').text(), r.find('[data-col="warns"]').text()])).toEqual([['20', '31'], ['22', '49']]);
    const ada = w.find('[data-testid="table-agents"] tbody tr');
    expect(ada.find('th').text()).toBe('Ada Lovelace');
    expect(ada.find('a').attributes('href')).toBe('/scorecard?from=2026-11-23&to=2026-11-29&agent=1001');
    expect(ada.find('[data-col="handled"]').text()).toBe('140 / 150 (93%)');
    // Rules without any alert are left out; the rest by breaches per 100.
    expect(w.findAll('[data-testid="table-rules"] tbody th').map((c) => c.text())).toEqual(['Long hold', 'Ring limit']);
  });

  it('gives export links carrying the report’s query, and follows a new filter in the address and the links', async () => {
    history.replaceState(null, '', '/reports?from=2026-11-23&to=2026-11-29&group=day&queue=sales&lang=en');
    serve({ '/api/reports': REPORT });
    const w = mountView(ReportsView);
    await flushPromises();
    const q = 'from=2026-11-23&to=2026-11-29&group=day&queue=sales';
    expect(w.find('[data-testid="export-xlsx"]').attributes('href')).toBe(`/api/reports/export.xlsx?${q}`);
    for (const tb of ['rows', 'queues', 'agents', 'rules']) expect(w.find(`[data-testid="export-${tb}"]`).attributes('href')).toBe(`/api/reports/export/${tb}.csv?${q}`);

    // A team picked from the report's own agents: the address, the next request and the links follow.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const add = w.find('[data-testid="filter-teams"] [data-testid="chip-add"]');
    expect(add.findAll('option').map((o) => o.text())).toEqual(['Add…', 'North', 'South']);
    await add.setValue('North');
    await vi.advanceTimersByTimeAsync(400);
    vi.useRealTimers();
    await flushPromises();
    const q2 = `${q}&team=North`;
    expect(location.search).toBe(`?${q2}&lang=en`);
    expect(asked.at(-1)).toBe(`/api/reports?${q2}`);
    expect(w.find('[data-testid="export-xlsx"]').attributes('href')).toBe(`/api/reports/export.xlsx?${q2}`);
    expect(w.find('[data-testid="filter-teams"] [data-testid="chip"] button').attributes('aria-label')).toBe('Remove North');
  });

  it('says in words why there is no report', async () => {
    history.replaceState(null, '', '/reports?from=2026-11-23&to=2026-11-29');
    vi.stubGlobal('fetch', async () => new Response(JSON.stringify({ ok: false, error: 'a report covers at most 366 days (asked: 400)' }), { status: 400 }));
    const w = mountView(ReportsView);
    await flushPromises();
    expect(w.find('[data-testid="report-error"]').text()).toContain('The server did not accept this report: a report covers at most 366 days (asked: 400)');
    // Asking the same again cannot pass: no "Try again".
    expect(w.find('[data-testid="report-retry"]').exists()).toBe(false);
    expect(w.find('[data-testid="report-totals"]').exists()).toBe(false);
  });

  it('says a range over 366 days beside the dates without asking, greys the previous figures and offers no export', async () => {
    history.replaceState(null, '', '/reports?from=2026-11-23&to=2026-11-29&group=day&queue=sales');
    serve({ '/api/reports': REPORT });
    const w = mountView(ReportsView);
    await flushPromises();
    expect(w.find('[data-testid="report-results"]').attributes('data-stale')).toBeUndefined();
    expect(w.find('[data-testid="report-exports"]').exists()).toBe(true);
    const before = asked.length;
    const from = w.find('[data-testid="range-from"]');
    (from.element as HTMLInputElement).value = '2024-01-01';
    await from.trigger('change');
    await new Promise((r) => setTimeout(r, 400)); // past the page's debounce
    await flushPromises();
    expect(asked.length).toBe(before);
    expect(w.find('[data-testid="range-problem"]').text()).toBe('That is 1,064 days; a report covers at most 366. Pick a later start or an earlier end.');
    expect(from.attributes('aria-invalid')).toBe('true');
    expect(w.find('[data-testid="report-results"]').attributes('data-stale')).toBe('true');
    expect(w.find('[data-testid="not-updated"]').text()).toMatch(/^Not updated: the greyed figures below are still the report of Nov 23\s–\s29, 2026\.$/);
    expect(w.find('[data-testid="report-exports"]').exists()).toBe(false);
    expect(w.find('[data-testid="report-range"]').exists()).toBe(false);
    expect(w.find('[data-testid="report-error"]').exists()).toBe(false);
  });

  it('asks nothing for a refused range in the address, and says why', async () => {
    history.replaceState(null, '', '/reports?from=2024-01-01&to=2026-11-29');
    serve({ '/api/reports': REPORT });
    const w = mountView(ReportsView);
    await flushPromises();
    expect(asked.filter((u) => u.startsWith('/api/reports'))).toEqual([]);
    expect(w.find('[data-testid="range-problem"]').exists()).toBe(true);
    expect(w.find('[data-testid="report-status"]').text()).toBe('');
  });

  it('offers "Try again" only when the server was not reached or failed, with the figures greyed meanwhile', async () => {
    history.replaceState(null, '', '/reports?from=2026-11-23&to=2026-11-29&group=day');
    serve({ '/api/reports': REPORT });
    const w = mountView(ReportsView);
    await flushPromises();
    vi.stubGlobal('fetch', async () => {
      throw new TypeError('Failed to fetch');
    });
    await w.find('[data-testid="report-group"]').setValue('week');
    await new Promise((r) => setTimeout(r, 400));
    await flushPromises();
    expect(w.find('[data-testid="report-error"]').text()).toContain('The server could not be reached');
    expect(w.find('[data-testid="report-retry"]').exists()).toBe(true);
    expect(w.find('[data-testid="report-results"]').attributes('data-stale')).toBe('true');
    expect(w.find('[data-testid="not-updated"]').exists()).toBe(true);
    expect(w.find('[data-testid="report-exports"]').exists()).toBe(false);
  });

  it('does not call days after today missing, and says the figures go up to today', async () => {
    const today = todayIn(Date.now());
    history.replaceState(null, '', `/reports?from=${addDays(today, -3)}&to=${addDays(today, 3)}`);
    serve({
      '/api/reports': {
        ...REPORT,
        query: { ...REPORT.query, from: addDays(today, -3), to: addDays(today, 3), queues: [] },
        // As a server before the change answered: the days to come among the missing.
        missingDates: [addDays(today, -2), addDays(today, 1), addDays(today, 2), addDays(today, 3)],
        // A server before day rows carried warnings: a dash, not 0.
        rows: REPORT.rows.map((r) => ({ ...r, warns: undefined })),
      },
    });
    const w = mountView(ReportsView);
    await flushPromises();
    expect(w.find('[data-testid="missing-dates"]').text()).toMatch(/^No events recorded on 1 day: /);
    expect(w.find('[data-testid="up-to-today"]').text()).toMatch(/^The range runs past today: its figures go up to today, /);
    expect(w.find('[data-testid="agents-queue-note"]').exists()).toBe(false);
    expect(w.findAll('[data-testid="table-rows"] tbody [data-col="warns"]').map((c) => c.text())).toEqual(['–', '–']);
  });

  it('writes the page in Turkish with Turkish numbers', async () => {
    setLocale('tr');
    history.replaceState(null, '', '/reports?from=2026-11-23&to=2026-11-29&group=day&queue=sales');
    serve({ '/api/reports': REPORT });
    const w = mountView(ReportsView);
    await flushPromises();
    expect(w.find('h1').text()).toBe('Raporlar');
    expect(w.find('[data-testid="total-offered"] dd').text()).toBe('1.234');
    expect(w.find('[data-testid="total-sl"] dd').text()).toContain('%83');
    // AHT is the handle time (talk + hold + wrap-up): "işlem süresi", not "konuşma süresi" (talk time).
    expect(w.find('[data-testid="total-aht"] dt').text()).toBe('OİS');
    expect(w.find('[data-testid="table-queues"] thead').text()).toContain('OİS');
  });
});

describe('scorecard page', () => {
  it('shows each figure’s trend: fewer breaches green and down, a longer AHT grey, more holds red and up', async () => {
    useSessionStore().me = { username: 'sup', role: 'supervisor', agentId: null, demo: false };
    history.replaceState(null, '', '/scorecard?from=2026-11-23&to=2026-11-29&agent=1001');
    serve({ '/api/scorecard': AGENT_CARD });
    const w = mountView(ScorecardView);
    await flushPromises();
    await new Promise((r) => setTimeout(r, 300)); // the page asks once its subject settles
    await flushPromises();
    expect(asked).toContain('/api/scorecard?from=2026-11-23&to=2026-11-29&agent=1001');
    const trend = (k: string) => w.find(`[data-testid="sc-${k}"] [data-testid="trend"]`);
    expect(trend('per100').attributes()).toMatchObject({ 'data-dir': 'down', 'data-verdict': 'better' });
    expect(trend('per100').classes()).toContain('tone-ok');
    expect(trend('per100').text()).toContain('▼ −3');
    expect(trend('per100').find('.sr-only').text()).toBe('down 3 on the previous period (6) (better)');
    expect(trend('aht').attributes()).toMatchObject({ 'data-dir': 'up', 'data-verdict': 'neutral' });
    expect(trend('aht').classes()).toContain('tone-none');
    expect(w.find('[data-testid="sc-aht"] .note').text()).toContain('Neutral');
    expect(trend('holdsPerCall').attributes()).toMatchObject({ 'data-dir': 'up', 'data-verdict': 'worse' });
    expect(trend('holdsPerCall').classes()).toContain('tone-breach');
    // The rules table has a trend per rule; the worst call opens its drill-down for a supervisor.
    const rows = w.findAll('[data-testid="sc-rules"] tbody tr');
    expect(rows[0].find('th').text()).toBe('Long hold');
    expect(rows[0].find('[data-testid="trend"]').attributes('data-verdict')).toBe('better');
    expect(w.find('[data-testid="sc-worst-call"] button').attributes('aria-label')).toMatch(/^Open the call of Tue, Nov 24 at /);
  });

  it('lists a rule that only warned, with warnings per 100 now and before, and a worst call with no breach not in red', async () => {
    useSessionStore().me = { username: 'sup', role: 'supervisor', agentId: null, demo: false };
    history.replaceState(null, '', '/scorecard?from=2026-11-23&to=2026-11-29&agent=1001');
    serve({
      '/api/scorecard': {
        ...AGENT_CARD,
        current: { ...AGENT_CARD.current, calls: 280, breaches: 0, breachesPer100: 0, rules: [{ rule: 'hold-long', warns: 7, breaches: 0, warnsPer100: 2.5, breachesPer100: 0 }] },
        previous: { ...AGENT_CARD.previous, breaches: 0, breachesPer100: 0, rules: [] },
        worstCalls: [{ callId: 'c-9', date: '2026-11-24', agentId: '1001', queueId: 'sales', atMs: Date.UTC(2026, 10, 24, 10, 5), breaches: 0, warns: 1, rules: ['hold-long'] }],
      },
    });
    const w = mountView(ScorecardView);
    await flushPromises();
    await new Promise((r) => setTimeout(r, 300));
    await flushPromises();
    expect(w.find('[data-testid="sc-rules"]').text()).not.toContain('No alerts in this period or the one before');
    const rows = w.findAll('[data-testid="sc-rules"] tbody tr');
    expect(rows).toHaveLength(1);
    const cell = (k: string) => rows[0].find(`[data-col="${k}"]`);
    expect(rows[0].find('th').text()).toBe('Long hold');
    expect([cell('breachNow').text(), cell('breachBefore').text(), cell('warnNow').text(), cell('warnBefore').text()]).toEqual(['0', '0', '2.5', '0']);
    expect(cell('breachTrend').find('[data-testid="trend"]').attributes('data-dir')).toBe('same');
    expect(cell('warnTrend').find('[data-testid="trend"]').attributes()).toMatchObject({ 'data-dir': 'up', 'data-verdict': 'worse' });
    const call = w.find('[data-testid="sc-worst-call"]');
    expect(call.text()).toContain('0 breaches, 1 warning — Long hold');
    expect(call.find('[data-testid="sc-call-breaches"]').classes()).not.toContain('tone-breach');
    expect(call.find('b').exists()).toBe(false);
    expect(call.find('[data-testid="sc-call-warns"]').classes()).toContain('tone-warn');
  });

  it('compares with nothing when the log has no day of the previous period, rather than with zeros', async () => {
    useSessionStore().me = { username: 'sup', role: 'supervisor', agentId: null, demo: false };
    history.replaceState(null, '', '/scorecard?from=2026-11-23&to=2026-11-29&agent=1001');
    serve({ '/api/scorecard': { ...AGENT_CARD, previous: { ...AGENT_CARD.previous, days: 0, calls: 0, breaches: 0, breachesPer100: null, rules: [] } } });
    const w = mountView(ScorecardView);
    await flushPromises();
    await new Promise((r) => setTimeout(r, 300));
    await flushPromises();
    expect(w.find('[data-testid="sc-compare"]').text()).toMatch(/^The log has no day of the previous period of the same length \(Nov 16\s–\s22, 2026\): nothing to compare with yet\./);
    for (const k of ['calls', 'per100', 'rna']) expect(w.find(`[data-testid="sc-${k}"] [data-testid="trend"]`).attributes('data-dir')).toBe('none');
    expect(w.find('[data-testid="sc-rules"] tbody tr [data-col="breachBefore"]').text()).toBe('–');
    expect(w.find('[data-testid="sc-rules"] tbody tr [data-col="warnBefore"]').text()).toBe('–');
  });

  it('lets a supervisor pick an agent or a team; a team lists its members', async () => {
    useSessionStore().me = { username: 'sup', role: 'supervisor', agentId: null, demo: false };
    history.replaceState(null, '', '/scorecard?from=2026-11-23&to=2026-11-29&team=North');
    serve({ '/api/scorecard': TEAM_CARD });
    const w = mountView(ScorecardView);
    await flushPromises();
    await new Promise((r) => setTimeout(r, 300));
    await flushPromises();
    expect(w.find('[data-testid="sc-picker"]').exists()).toBe(true);
    expect((w.find('[data-testid="sc-team"]').element as HTMLSelectElement).value).toBe('North');
    expect(w.find('[data-testid="sc-heading"]').text()).toContain('Team North');
    expect(w.findAll('[data-testid="sc-members"] tbody th').map((c) => c.text())).toEqual(['Ada Lovelace', 'Cy Twombly']);
  });

  it('shows an agent their own scorecard with no picker of whose, and opens their own worst call as the server answers it', async () => {
    useSessionStore().me = { username: 'ada', role: 'agent', agentId: '1001', demo: false };
    history.replaceState(null, '', '/scorecard?agent=1002');
    const worst = AGENT_CARD.worstCalls[0];
    const own = { callId: worst.callId, status: 'ended', agentId: '1001', queueId: 'sales', caller: null, timeline: [{ atMs: worst.atMs, type: 'call.answered', agentId: '1001' }], alerts: [], queuedAtMs: null, ringStartMs: null, ringAttempts: 1, answeredAtMs: worst.atMs, ringsToAnswer: 1, holdStartMs: null, holdCount: 0, holdSec: 0, endedAtMs: worst.atMs + 60_000, transcriptMode: 'evidence' };
    serve({ '/api/scorecard': AGENT_CARD, [`/api/calls/${worst.callId}`]: own });
    const w = mountView(ScorecardView);
    await flushPromises();
    await new Promise((r) => setTimeout(r, 300));
    await flushPromises();
    expect(w.find('[data-testid="sc-picker"]').exists()).toBe(false);
    expect(w.find('[data-testid="sc-agent"]').exists()).toBe(false);
    expect(w.find('h1').text()).toBe('My scorecard');
    expect(asked.filter((u) => u.startsWith('/api/scorecard')).every((u) => u.includes('agent=1001'))).toBe(true);
    expect(asked.some((u) => u.startsWith('/api/snapshot'))).toBe(false);
    expect(location.search).not.toContain('agent=');
    await w.find('[data-testid="sc-worst-call"] button').trigger('click');
    await flushPromises();
    expect(w.find('[role="dialog"]').exists()).toBe(true);
    expect(w.find('[role="dialog"]').text()).not.toContain('Loading the call');
    // The server answers an agent their part of the call with their alerts: the supervisors' alerts API is not asked.
    expect(asked.filter((u) => u.startsWith('/api/calls/'))).toEqual([`/api/calls/${worst.callId}?date=${worst.date}`]);
    expect(asked.some((u) => u.startsWith('/api/alerts'))).toBe(false);
  });
});
