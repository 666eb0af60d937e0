/**
 * The range report's and the scorecard's charts as plain Chart.js
 * configurations (pure, tested without a canvas), in the floor charts' style
 * (charts.ts): the same colours, no animation, whole-number count axes, and
 * category labels that Chart.js thins to what fits, never tilted. Each chart
 * also has a one-sentence summary for its `aria-label`: a canvas says nothing
 * to a screen reader.
 */
import type { ChartConfiguration, ChartDataset, Plugin, Scale } from 'chart.js';
import { toFont } from 'chart.js/helpers';
import type { ReportRuleRow, ReportTimeRow } from '../../shared/report/types.ts';
import { COLORS, TIME_LABEL_GAP_PX } from './charts.ts';

/** What the report charts need besides the figures: words and number formats in the page's language. */
export interface ReportChartContext {
  t: (key: string, named?: Record<string, unknown>) => string;
  /** "80 %" / "%80" / "80%". */
  pct: (p: number) => string;
  /** A number with the language's separators, to `digits` decimals. */
  num: (n: number, digits?: number) => string;
}

const BASE = {
  animation: false as const,
  responsive: true,
  maintainAspectRatio: false,
  plugins: { legend: { labels: { boxWidth: 12, boxHeight: 8, usePointStyle: true } } },
};

/** A category axis whose labels Chart.js drops (evenly) until they fit with a clear gap, never tilting them. */
function categoryAxis(title?: string) {
  return {
    grid: { display: false },
    ...(title ? { title: { display: true, text: title } } : {}),
    ticks: { autoSkip: true, autoSkipPadding: TIME_LABEL_GAP_PX, maxRotation: 0 },
  };
}

function countAxis(title: string) {
  return { beginAtZero: true, title: { display: true, text: title }, ticks: { precision: 0 } };
}

/**
 * Calls per row of the report: answered and abandoned as stacked bars, offered as a line over them
 * (offered = answered + abandoned + calls whose end was lost), one label per row.
 */
export function rangeVolumeConfig(rows: ReportTimeRow[], labels: string[], ctx: ReportChartContext): ChartConfiguration<'bar' | 'line', number[], string> {
  const bar = (label: string, data: number[], color: string): ChartDataset<'bar', number[]> => ({ type: 'bar', label, data, backgroundColor: color, borderColor: color, stack: 'calls', pointStyle: 'rect', order: 2 });
  const offered: ChartDataset<'line', number[]> = {
    type: 'line',
    label: ctx.t('charts.offered'),
    data: rows.map((r) => r.offered),
    borderColor: COLORS.offered,
    backgroundColor: COLORS.offered,
    borderWidth: 2,
    pointRadius: 2,
    pointStyle: 'circle',
    stack: 'offered',
    order: 1,
  };
  return {
    type: 'bar',
    data: { labels, datasets: [offered, bar(ctx.t('charts.answered'), rows.map((r) => r.answered), COLORS.answered), bar(ctx.t('charts.abandoned'), rows.map((r) => r.abandoned), COLORS.abandoned)] },
    options: {
      ...BASE,
      plugins: { ...BASE.plugins, tooltip: { mode: 'index', intersect: false, usePointStyle: true } },
      scales: { x: { ...categoryAxis(), stacked: true }, y: { ...countAxis(ctx.t('charts.calls')), stacked: true } },
    },
  };
}

/**
 * Draws the SL target across the whole plot as a dashed line at `y = target`: a line dataset needs two
 * points, and a report of one day has one. The target dataset stays (empty) for its legend entry.
 */
export const targetLinePlugin: Plugin<'line'> = {
  id: 'fwTargetLine',
  afterDatasetsDraw(chart) {
    const ds = chart.data.datasets[1] as { targetPct?: number } | undefined;
    const target = ds?.targetPct;
    const y = chart.scales.y;
    if (target === undefined || !y) return;
    const py = y.getPixelForValue(target);
    const { left, right } = chart.chartArea;
    const c = chart.ctx;
    c.save();
    c.strokeStyle = COLORS.target;
    c.lineWidth = 2;
    c.setLineDash([6, 4]);
    c.beginPath();
    c.moveTo(left, py);
    c.lineTo(right, py);
    c.stroke();
    c.restore();
  },
};

/**
 * The service level per row (a gap where a row has none), with the floor's target as a dashed line across
 * the plot ({@link targetLinePlugin}). `targetPct` is the floor's default target: queues may have their own,
 * the queues table shows each queue's SL.
 */
export function rangeSlConfig(rows: ReportTimeRow[], labels: string[], targetPct: number, ctx: ReportChartContext): ChartConfiguration<'line', (number | null)[], string> {
  return {
    type: 'line',
    data: {
      labels,
      datasets: [
        { label: ctx.t('charts.slPct'), data: rows.map((r) => r.serviceLevelPct), borderColor: COLORS.sl, backgroundColor: COLORS.sl, pointRadius: 3, pointStyle: 'circle', spanGaps: false },
        {
          label: ctx.t('charts.slTarget', { pct: ctx.pct(targetPct) }),
          data: rows.map(() => null),
          targetPct,
          borderColor: COLORS.target,
          backgroundColor: COLORS.target,
          borderDash: [6, 4],
          borderWidth: 2,
          pointRadius: 0,
          pointHoverRadius: 0,
          pointStyle: 'line',
        } as ChartDataset<'line', (number | null)[]> & { targetPct: number },
      ],
    },
    plugins: [targetLinePlugin],
    options: {
      ...BASE,
      plugins: { ...BASE.plugins, tooltip: { mode: 'index', intersect: false, usePointStyle: true, filter: (item: { datasetIndex: number }) => item.datasetIndex === 0 } },
      // Points in the middle of their row, as the volume chart's bars are.
      scales: { x: { ...categoryAxis(), offset: true }, y: { min: 0, max: 100, title: { display: true, text: '%' }, ticks: { stepSize: 20, precision: 0 } } },
    },
  };
}

/** Rules with any alert, most breaches per 100 calls first (then warnings). */
export function rulesWithAlerts(rules: ReportRuleRow[]): ReportRuleRow[] {
  return rules.filter((r) => r.breaches > 0 || r.warns > 0).sort((a, b) => (b.breachesPer100 ?? 0) - (a.breachesPer100 ?? 0) || (b.warnsPer100 ?? 0) - (a.warnsPer100 ?? 0) || a.rule.localeCompare(b.rule));
}

/**
 * Share of the chart's width a rule's name may take on the axis, and the least it always gets, px: the
 * longest names ("Caller who hung up not called back") were clipped at the canvas edge at every width.
 */
export const RULE_LABEL_SHARE = 0.4;
export const RULE_LABEL_MIN_PX = 90;

/**
 * `label` as it fits in `maxPx` measured by `measure` (px of a string): whole when it fits, else cut at the
 * longest prefix that fits with "…" (trailing spaces dropped). Binary search: O(log n) measurements.
 */
export function ellipsize(label: string, maxPx: number, measure: (s: string) => number): string {
  if (measure(label) <= maxPx) return label;
  let lo = 0;
  let hi = label.length - 1;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (measure(`${label.slice(0, mid).trimEnd()}…`) <= maxPx) lo = mid;
    else hi = mid - 1;
  }
  return `${label.slice(0, lo).trimEnd()}…`;
}

/**
 * A category tick callback for the rule names: each cut to {@link RULE_LABEL_SHARE} of the chart's width
 * (at least {@link RULE_LABEL_MIN_PX}), measured in the axis's own font; the chart's labels (and so the
 * tooltip's title) stay whole.
 */
function ruleTick(this: Scale, value: number | string, index: number): string {
  const label = this.getLabelForValue(typeof value === 'number' ? value : index);
  const maxPx = Math.max(RULE_LABEL_MIN_PX, (this.chart?.width ?? 0) * RULE_LABEL_SHARE);
  const c = this.ctx as CanvasRenderingContext2D | undefined;
  if (!c || typeof c.measureText !== 'function') return ellipsize(label, maxPx, (s) => s.length * 7);
  c.save();
  c.font = toFont((this.options as { ticks?: { font?: unknown } }).ticks?.font as Parameters<typeof toFont>[0]).string;
  const out = ellipsize(label, maxPx, (s) => c.measureText(s).width || s.length * 7);
  c.restore();
  return out;
}

/**
 * Breaches and warnings per 100 handled calls, one horizontal bar pair per rule (rule names as `ruleName` gives
 * them): the axis shows each name cut to fit ({@link ruleTick}), the tooltip and the summary the whole name.
 */
export function rulesPer100Config(rules: ReportRuleRow[], ruleName: (id: string) => string, ctx: ReportChartContext): ChartConfiguration<'bar', number[], string> {
  const shown = rulesWithAlerts(rules);
  return {
    type: 'bar',
    data: {
      labels: shown.map((r) => ruleName(r.rule)),
      datasets: [
        { label: ctx.t('charts.level.breach'), data: shown.map((r) => r.breachesPer100 ?? 0), backgroundColor: COLORS.breach, borderColor: COLORS.breach, pointStyle: 'rect' },
        { label: ctx.t('charts.level.warn'), data: shown.map((r) => r.warnsPer100 ?? 0), backgroundColor: COLORS.warn, borderColor: COLORS.warn, pointStyle: 'rect' },
      ],
    },
    options: {
      ...BASE,
      indexAxis: 'y',
      plugins: { ...BASE.plugins, tooltip: { mode: 'index', intersect: false, usePointStyle: true } },
      scales: { x: { beginAtZero: true, title: { display: true, text: ctx.t('rp.per100Axis') } }, y: { grid: { display: false }, ticks: { autoSkip: false, callback: ruleTick } } },
    },
  };
}

/**
 * Rings to answer as shares of answered calls (0 … 5 rings, 6+), each bar coloured by the ring limit:
 * within it green, at the warning ring amber, from the breaching ring red.
 */
export function ringsPctConfig(ringsPct: number[], ringWarnAt: number, ringBreachAt: number, ctx: ReportChartContext): ChartConfiguration<'bar', (number | null)[], string> {
  const labels = ringsPct.map((_, i) => (i === ringsPct.length - 1 ? `${i}+` : String(i)));
  const level = (i: number): 'ok' | 'warn' | 'breach' => (i >= ringBreachAt ? 'breach' : i >= ringWarnAt ? 'warn' : 'ok');
  const used = (['ok', 'warn', 'breach'] as const).filter((lv) => ringsPct.some((_, i) => level(i) === lv));
  return {
    type: 'bar',
    data: {
      labels,
      datasets: used.map((lv) => ({ label: ctx.t(`charts.level.${lv}`), data: ringsPct.map((p, i) => (level(i) === lv ? p : null)), backgroundColor: COLORS[lv], borderColor: COLORS[lv], pointStyle: 'rect' })),
    },
    options: {
      ...BASE,
      scales: {
        x: { stacked: true, grid: { display: false }, title: { display: true, text: ctx.t('charts.ringsAxis') } },
        y: { stacked: true, beginAtZero: true, suggestedMax: 100, title: { display: true, text: ctx.t('sc.shareOfAnswers') }, ticks: { callback: (v: number | string) => ctx.pct(Number(v)) } },
      },
    },
  };
}

/** The SL chart's sentence: how many rows, the lowest and highest SL and where, and the target. */
export function slSummary(rows: ReportTimeRow[], labels: string[], targetPct: number, ctx: ReportChartContext): string {
  const withSl = rows.map((r, i) => ({ sl: r.serviceLevelPct, label: labels[i] })).filter((r): r is { sl: number; label: string } => r.sl !== null);
  if (withSl.length === 0) return ctx.t('rp.slSummaryNone', { target: ctx.pct(targetPct) });
  const lo = withSl.reduce((a, b) => (b.sl < a.sl ? b : a));
  const hi = withSl.reduce((a, b) => (b.sl > a.sl ? b : a));
  const below = withSl.filter((r) => r.sl < targetPct).length;
  return ctx.t('rp.slSummary', { low: ctx.pct(lo.sl), lowAt: lo.label, high: ctx.pct(hi.sl), highAt: hi.label, target: ctx.pct(targetPct), below, rows: withSl.length });
}

/** The volume chart's sentence: calls offered in all, and the busiest row. */
export function volumeSummary(rows: ReportTimeRow[], labels: string[], ctx: ReportChartContext): string {
  const offered = rows.reduce((n, r) => n + r.offered, 0);
  if (offered === 0) return ctx.t('rp.noCalls');
  let busiest = 0;
  rows.forEach((r, i) => {
    if (r.offered > rows[busiest].offered) busiest = i;
  });
  return ctx.t('rp.volumeSummary', { offered: ctx.num(offered, 0), answered: ctx.num(rows.reduce((n, r) => n + r.answered, 0), 0), abandoned: ctx.num(rows.reduce((n, r) => n + r.abandoned, 0), 0), busiest: labels[busiest], busiestN: ctx.num(rows[busiest].offered, 0) });
}

/**
 * The rules chart's sentence: every rule it shows, by its whole name (the axis may cut it), with breaches and
 * warnings per 100 calls, in the chart's order.
 */
export function rulesSummary(rules: ReportRuleRow[], ruleName: (id: string) => string, ctx: ReportChartContext): string {
  const shown = rulesWithAlerts(rules);
  if (shown.length === 0) return ctx.t('rp.noAlerts');
  const list = shown.map((r) => ctx.t('rp.ruleRate', { rule: ruleName(r.rule), breaches: ctx.num(r.breachesPer100 ?? 0, 1), warns: ctx.num(r.warnsPer100 ?? 0, 1) }));
  return ctx.t('rp.rulesSummary', { list: list.join('; ') });
}

/** The rings chart's sentence: the share answered within the ring limit (the scorecard's `withinRingLimitPct`). */
export function ringsSummary(withinPct: number | null, ringBreachAt: number, ctx: ReportChartContext): string {
  if (withinPct === null) return ctx.t('sc.noAnswers');
  return ctx.t('sc.ringsSummary', { pct: ctx.pct(withinPct), max: ringBreachAt - 1 });
}
