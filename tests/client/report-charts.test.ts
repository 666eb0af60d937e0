/**
 * The range report's and scorecard's chart configurations (client/src/reportCharts.ts): what each chart
 * claims, and the sentence a screen reader hears for it, without a canvas.
 */
import { describe, expect, it } from 'vitest';
import { ellipsize, rangeSlConfig, rangeVolumeConfig, ringsPctConfig, ringsSummary, rulesPer100Config, rulesSummary, slSummary, targetLinePlugin, volumeSummary, type ReportChartContext } from '../../client/src/reportCharts.ts';
import { COLORS } from '../../client/src/charts.ts';
import { REPORT } from './report-fixtures.ts';

const ctx: ReportChartContext = {
  t: (key, named) => (named ? `${key}${JSON.stringify(named)}` : key),
  pct: (p) => `${p}%`,
  num: (n, digits = 1) => n.toFixed(digits),
};
const LABELS = ['Mon 23', 'Tue 24'];

describe('range report charts', () => {
  it('stacks answered and abandoned per row under an offered line, labels thinned and never tilted', () => {
    const c = rangeVolumeConfig(REPORT.rows, LABELS, ctx);
    expect(c.data.labels).toEqual(LABELS);
    expect(c.data.datasets.map((d) => [d.type, d.label, d.data])).toEqual([
      ['line', 'charts.offered', [600, 634]],
      ['bar', 'charts.answered', [580, 600]],
      ['bar', 'charts.abandoned', [20, 34]],
    ]);
    const x = c.options!.scales!.x as { ticks: { autoSkip: boolean; maxRotation: number } };
    expect(x.ticks).toMatchObject({ autoSkip: true, maxRotation: 0 });
    expect(c.options!.animation).toBe(false);
  });

  it('draws the SL per row and the target across the whole plot, even for a one-day report', () => {
    const one = rangeSlConfig(REPORT.rows.slice(0, 1), LABELS.slice(0, 1), 80, ctx);
    expect(one.data.datasets[0].data).toEqual([88]);
    expect(one.data.datasets[1]).toMatchObject({ label: 'charts.slTarget{"pct":"80%"}', targetPct: 80 });
    expect(one.plugins).toContain(targetLinePlugin);
    // The plugin strokes from the plot's left edge to its right at the target's height.
    const calls: string[] = [];
    const fakeCtx = { save() {}, restore() {}, setLineDash() {}, beginPath() {}, stroke: () => calls.push('stroke'), moveTo: (x: number, y: number) => calls.push(`move ${x},${y}`), lineTo: (x: number, y: number) => calls.push(`line ${x},${y}`), strokeStyle: '', lineWidth: 0 };
    const chart = { data: one.data, scales: { y: { getPixelForValue: (v: number) => 200 - v } }, chartArea: { left: 40, right: 300 }, ctx: fakeCtx };
    (targetLinePlugin.afterDatasetsDraw as unknown as (c: unknown) => void)(chart);
    expect(calls).toEqual(['move 40,120', 'line 300,120', 'stroke']);
    expect(fakeCtx.strokeStyle).toBe(COLORS.target);
  });

  it('lists rules with alerts only, most breaches per 100 first, breaches red and warnings amber', () => {
    const c = rulesPer100Config(REPORT.rules, (id) => `«${id}»`, ctx);
    expect(c.data.labels).toEqual(['«hold-long»', '«ring-limit»']);
    expect(c.data.datasets.map((d) => [d.data, d.backgroundColor])).toEqual([[[2.5, 1], COLORS.breach], [[3.3, 3.3], COLORS.warn]]);
    expect(c.options!.indexAxis).toBe('y');
  });

  it('cuts a long rule name on the axis to its share of the chart’s width, whole in the tooltip and the summary', () => {
    const long = 'Caller who hung up not called back';
    const rules = [{ rule: 'abandon-callback' as const, warns: 3, breaches: 2, warnsPer100: 3, breachesPer100: 2 }, { rule: 'hold-long' as const, warns: 1, breaches: 0, warnsPer100: 1, breachesPer100: 0 }];
    const name = (id: string) => (id === 'abandon-callback' ? long : 'Long hold');
    const c = rulesPer100Config(rules, name, ctx);
    // The chart's labels, which the tooltip's title shows, stay whole.
    expect(c.data.labels).toEqual([long, 'Long hold']);
    const measured: string[] = [];
    const canvas = { font: '', save() {}, restore() {}, measureText: (s: string) => (measured.push(canvas.font), { width: s.length * 8 }) };
    const scale = { chart: { width: 300 }, ctx: canvas, options: { ticks: { font: { size: 13, family: 'system-ui', style: 'normal', lineHeight: 1.2 } } }, getLabelForValue: (i: number) => c.data.labels![i] };
    const tick = (c.options!.scales!.y as unknown as { ticks: { callback: (this: unknown, v: number, i: number) => string } }).ticks.callback;
    const cut = tick.call(scale, 0, 0);
    expect(cut).toBe('Caller who hun…');
    expect(cut.length * 8).toBeLessThanOrEqual(300 * 0.4);
    expect(measured.every((f) => f.includes('13px') && f.includes('system-ui'))).toBe(true); // in the axis's own font
    expect(tick.call(scale, 1, 1)).toBe('Long hold');
    // A wide chart keeps the whole name; a narrow one still gives it its least width.
    expect(tick.call({ ...scale, chart: { width: 900 } }, 0, 0)).toBe(long);
    expect(tick.call({ ...scale, chart: { width: 100 } }, 0, 0)).toBe('Caller who…');
    expect(rulesSummary(rules, name, { ...ctx, t: (k, n) => (k === 'rp.ruleRate' ? `${n!.rule}` : `${n!.list}`) })).toBe(`${long}; Long hold`);
  });

  it('ellipsizes at the longest prefix that fits, dropping a trailing space', () => {
    const w = (s: string) => s.length * 10;
    expect(ellipsize('Long hold', 90, w)).toBe('Long hold');
    expect(ellipsize('Long hold', 60, w)).toBe('Long…');
    expect(ellipsize('Long hold', 20, w)).toBe('L…');
    expect(ellipsize('Long hold', 5, w)).toBe('…');
  });

  it('colours the rings by the ring limit: within green, the warning ring amber, from the breaching ring red', () => {
    const c = ringsPctConfig([40, 30, 15, 10, 5, 0, 0], 3, 4, ctx);
    expect(c.data.labels).toEqual(['0', '1', '2', '3', '4', '5', '6+']);
    expect(c.data.datasets.map((d) => [d.label, d.data])).toEqual([
      ['charts.level.ok', [40, 30, 15, null, null, null, null]],
      ['charts.level.warn', [null, null, null, 10, null, null, null]],
      ['charts.level.breach', [null, null, null, null, 5, 0, 0]],
    ]);
  });

  it('says what each chart shows in one sentence', () => {
    expect(slSummary(REPORT.rows, LABELS, 80, ctx)).toBe('rp.slSummary{"low":"71%","lowAt":"Tue 24","high":"88%","highAt":"Mon 23","target":"80%","below":1,"rows":2}');
    expect(volumeSummary(REPORT.rows, LABELS, ctx)).toBe('rp.volumeSummary{"offered":"1234","answered":"1180","abandoned":"54","busiest":"Tue 24","busiestN":"634"}');
    expect(rulesSummary(REPORT.rules, (id) => id, ctx)).toBe(
      'rp.rulesSummary{"list":"rp.ruleRate{\\"rule\\":\\"hold-long\\",\\"breaches\\":\\"2.5\\",\\"warns\\":\\"3.3\\"}; rp.ruleRate{\\"rule\\":\\"ring-limit\\",\\"breaches\\":\\"1.0\\",\\"warns\\":\\"3.3\\"}"}',
    );
    expect(rulesSummary([], (id) => id, ctx)).toBe('rp.noAlerts');
    expect(ringsSummary(95, 4, ctx)).toBe('sc.ringsSummary{"pct":"95%","max":3}');
    expect(ringsSummary(null, 4, ctx)).toBe('sc.noAnswers');
  });
});
