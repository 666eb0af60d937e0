/**
 * The floor's charts as plain Chart.js configurations, built from the wire's
 * interval and agent figures: pure functions, so what a chart claims (its axes,
 * its zone, its target, its gaps) is tested without a canvas.
 *
 * Time axis: a linear scale over epoch ms whose ticks are placed on the floor's
 * local hours and labelled with Intl.DateTimeFormat in the floor's IANA zone.
 * Chart.js's own time scale needs a date adapter; the date-fns one knows only
 * the browser's zone, and the Luxon one would add a ~70 kB library for what
 * Intl (already used for every other time on the page) does in a few lines.
 */
import type { ChartConfiguration, ChartDataset, LinearScaleOptions, Scale, TooltipItem } from 'chart.js';
import { toFont } from 'chart.js/helpers';
import type { AgentView, IntervalView } from '../../shared/wire.ts';
import type { FloorConfig } from '../../shared/config.ts';
import { HOLD_HIST_EDGES_SEC } from '../../shared/state.ts';
import { INTERVAL_MS, businessDayCloseAfter, zoneOffsetMs } from '../../shared/time.ts';

/** What the charts need besides the figures: words, zone, day and thresholds. */
export interface ChartContext {
  /** Translates a catalogue key (vue-i18n's `t`). */
  t: (key: string, named?: Record<string, unknown>) => string;
  locale: string;
  /** The floor's settings (zone, service level target, business day, thresholds); null before the first snapshot. */
  config: Pick<FloorConfig, 'timeZone' | 'businessDayStartHour' | 'businessDayEndHour' | 'serviceLevel' | 'rules'> | null;
  /** The live floor-local day, from the snapshot; null before it. */
  day: { startMs: number; endMs: number } | null;
}

/** One point per 15-minute interval of the axis; `y` is null where the interval has no figures. */
export interface SlotPoint {
  x: number;
  y: number | null;
}

/** The day's intervals, all queues summed, one slot per interval from the axis start to its end. */
export interface IntervalSeries {
  minMs: number;
  maxMs: number;
  offered: SlotPoint[];
  answered: SlotPoint[];
  abandoned: SlotPoint[];
  sl: SlotPoint[];
  /** Whether any call was offered today: without one the volume and SL charts show an empty state. */
  hasCalls: boolean;
}

export const COLORS = {
  offered: '#94a3b8',
  answered: '#22c55e',
  abandoned: '#ef4444',
  sl: '#38bdf8',
  target: '#fbbf24',
  ok: '#22c55e',
  warn: '#f59e0b',
  breach: '#ef4444',
} as const;

const HOUR_MS = 3_600_000;
const DEFAULT_ZONE = 'UTC';

const dtf = new Map<string, Intl.DateTimeFormat>();
function zoned(locale: string, timeZone: string, key: string, opts: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const k = `${locale}|${timeZone}|${key}`;
  let f = dtf.get(k);
  if (!f) {
    f = new Intl.DateTimeFormat(locale, { ...opts, timeZone });
    dtf.set(k, f);
  }
  return f;
}

/** Hours and minutes at `ms` on the floor's wall clock, in the given language. */
export function formatZonedClock(ms: number, timeZone: string, locale: string): string {
  return zoned(locale, timeZone, 'hm', { hour: '2-digit', minute: '2-digit' }).format(ms);
}

/** The floor's zone as people read it: "Europe/Istanbul (GMT+3)", or just "UTC". */
export function zoneLabel(timeZone: string, locale: string, atMs: number): string {
  const offset = zoned(locale, timeZone, 'offset', { timeZoneName: 'shortOffset' })
    .formatToParts(atMs)
    .find((p) => p.type === 'timeZoneName')?.value;
  // UTC itself (or a zone at +0 now) needs no offset after its name.
  return !offset || /^(GMT|UTC)(\s*[+−-]\s*0+(:00)?)?$/.test(offset) ? timeZone : `${timeZone} (${offset})`;
}

/** The business day's start and end on the live day, as instants (DST-aware through shared/time). */
function businessDay(ctx: ChartContext): { startMs: number; endMs: number } | null {
  if (!ctx.day || !ctx.config) return null;
  const { timeZone, businessDayStartHour, businessDayEndHour } = ctx.config;
  const at = (hour: number): number => (hour === 0 ? ctx.day!.startMs : hour === 24 ? ctx.day!.endMs : businessDayCloseAfter(ctx.day!.startMs, timeZone, hour));
  return { startMs: at(businessDayStartHour), endMs: at(businessDayEndHour) };
}

/**
 * Sums the queues' intervals and lays them on one slot per 15 minutes, from the
 * business day's open (or the first call, if earlier) to its close (or the last
 * interval, if later). An interval with no calls is null, not 0: the charts show
 * a gap, and the SL line is not drawn across it.
 */
export function mergeIntervals(intervals: Record<string, IntervalView[]>, ctx: ChartContext): IntervalSeries {
  const by = new Map<number, { offered: number; answered: number; abandoned: number; slW: number; slN: number }>();
  for (const list of Object.values(intervals)) {
    for (const b of list) {
      const m = by.get(b.startMs) ?? { offered: 0, answered: 0, abandoned: 0, slW: 0, slN: 0 };
      m.offered += b.offered;
      m.answered += b.answered;
      m.abandoned += b.abandoned;
      if (b.serviceLevelPct !== null) {
        // Weighted by answered calls: an approximation of the floor SL from per-queue figures.
        m.slW += b.serviceLevelPct * Math.max(1, b.answered);
        m.slN += Math.max(1, b.answered);
      }
      by.set(b.startMs, m);
    }
  }
  const keys = [...by.keys()].sort((a, b) => a - b);
  const biz = businessDay(ctx);
  const anchor = ctx.day?.startMs ?? keys[0] ?? 0;
  const align = (ms: number): number => anchor + Math.floor((ms - anchor) / INTERVAL_MS) * INTERVAL_MS;
  let minMs = biz ? biz.startMs : keys.length ? keys[0] : anchor;
  let maxMs = biz ? biz.endMs : keys.length ? keys[keys.length - 1] + INTERVAL_MS : anchor + INTERVAL_MS;
  if (keys.length) {
    minMs = Math.min(minMs, keys[0]);
    maxMs = Math.max(maxMs, keys[keys.length - 1] + INTERVAL_MS);
  }
  minMs = align(minMs);
  const out: IntervalSeries = { minMs, maxMs, offered: [], answered: [], abandoned: [], sl: [], hasCalls: false };
  for (let s = minMs; s < maxMs; s += INTERVAL_MS) {
    const m = by.get(s);
    const x = s + INTERVAL_MS / 2; // a bar or point stands in the middle of its interval
    out.offered.push({ x, y: m ? m.offered : null });
    out.answered.push({ x, y: m ? m.answered : null });
    out.abandoned.push({ x, y: m ? m.abandoned : null });
    out.sl.push({ x, y: m && m.slN ? Math.round(m.slW / m.slN) : null });
    if (m && m.offered > 0) out.hasCalls = true;
  }
  return out;
}

/** How many hours between labelled ticks, so a day's axis keeps to at most `maxTicks` labels. */
function hourStep(spanMs: number, maxTicks: number): number {
  for (const h of [1, 2, 3, 4, 6, 12]) if (spanMs / (h * HOUR_MS) + 1 <= maxTicks) return h;
  return 24;
}

/** Clear space between two time labels, in px: more than Chart.js's own 3 px, so labels read as separate. */
export const TIME_LABEL_GAP_PX = 12;
/** What the y axis (its title and up to three digits) takes from the canvas's width, in px. */
const Y_AXIS_PX = 56;

/**
 * How many time labels fit on an axis in a canvas `widthPx` wide when the widest label is `labelPx`: each label
 * and a gap after it, over the plot's width (the canvas less the y axis), the first label centred on the axis's
 * start. At least 2 (the day's start and end).
 */
export function timeTickLimit(widthPx: number, labelPx: number): number {
  return Math.max(2, Math.floor((widthPx - Y_AXIS_PX) / (labelPx + TIME_LABEL_GAP_PX)) + 1);
}

/**
 * Tick positions on whole local hours of the floor's zone (a zone with a
 * half-hour offset still gets 09:00, 10:00 …), every `step` hours.
 */
export function localHourTicks(minMs: number, maxMs: number, timeZone: string, step: number): number[] {
  const out: number[] = [];
  // Whole hours fall on a 15-minute grid in every zone in use (offsets are multiples of 15 min).
  const first = Math.ceil(minMs / INTERVAL_MS) * INTERVAL_MS;
  for (let ms = first; ms <= maxMs; ms += INTERVAL_MS) {
    const wall = ms + zoneOffsetMs(ms, timeZone);
    const minute = Math.floor(wall / 60_000) % 60;
    const hour = Math.floor(wall / HOUR_MS) % 24;
    if (minute === 0 && hour % step === 0) out.push(ms);
  }
  return out;
}

/** The shared x axis of the interval charts: epoch ms, labelled in the floor's zone, titled with it. */
function timeAxis(series: IntervalSeries, ctx: ChartContext) {
  const timeZone = ctx.config?.timeZone ?? DEFAULT_ZONE;
  return {
    type: 'linear' as const,
    min: series.minMs,
    max: series.maxMs,
    offset: false,
    grid: { display: false },
    title: { display: true, text: ctx.t('charts.timeAxis', { zone: zoneLabel(timeZone, ctx.locale, series.minMs) }) },
    afterBuildTicks(scale: Scale<LinearScaleOptions>) {
      // The canvas width, not the axis's (which depends on the y labels): neighbouring charts get the same hours.
      const width = scale.chart.width || 300;
      // As many hourly labels as fit their measured width ("06:00 AM" in English is wider than "06:00" in Turkish).
      const hourly = localHourTicks(series.minMs, series.maxMs, timeZone, 1);
      const limit = timeTickLimit(width, widestLabel(scale, hourly.map((ms) => formatZonedClock(ms, timeZone, ctx.locale))));
      scale.options.ticks.maxTicksLimit = limit;
      const step = hourStep(series.maxMs - series.minMs, limit);
      scale.ticks = localHourTicks(series.minMs, series.maxMs, timeZone, step).map((value) => ({ value }));
    },
    ticks: {
      // Chart.js's own guard as well: it drops labels (never more than maxTicksLimit) so that none overlap,
      // with this much space between them, and never tilts them.
      autoSkip: true,
      autoSkipPadding: TIME_LABEL_GAP_PX,
      maxRotation: 0,
      callback: (v: number | string) => formatZonedClock(Number(v), timeZone, ctx.locale),
    },
  };
}

/** The widest of `labels` in the scale's tick font, in px (7 px a character where there is no canvas to measure with). */
function widestLabel(scale: Scale<LinearScaleOptions>, labels: string[]): number {
  const c = scale.ctx as CanvasRenderingContext2D | undefined;
  const font = toFont(scale.options.ticks.font as Parameters<typeof toFont>[0]);
  let widest = 0;
  for (const label of labels) {
    let w = label.length * 7;
    if (c && typeof c.measureText === 'function') {
      c.save();
      c.font = font.string;
      w = c.measureText(label).width || w;
      c.restore();
    }
    widest = Math.max(widest, w);
  }
  return widest;
}

/** A count axis: whole numbers only (no 0.5 call), from zero. */
function countAxis(title: string) {
  return { beginAtZero: true, title: { display: true, text: title }, ticks: { precision: 0 } };
}

/** "09:00–09:15" for the interval whose middle is `midMs`. */
function intervalTitle(midMs: number, ctx: ChartContext): string {
  const timeZone = ctx.config?.timeZone ?? DEFAULT_ZONE;
  const start = midMs - INTERVAL_MS / 2;
  return `${formatZonedClock(start, timeZone, ctx.locale)}–${formatZonedClock(start + INTERVAL_MS, timeZone, ctx.locale)}`;
}

const BASE = {
  animation: false as const,
  responsive: true,
  maintainAspectRatio: false,
  plugins: { legend: { labels: { boxWidth: 12 } } },
};
/** Legends of the interval charts drawn in each dataset's own shape: a bar's square, a line's dot, the target's dashed line. */
const SHAPED_LEGEND = { legend: { labels: { boxWidth: 12, boxHeight: 8, usePointStyle: true } } };

/**
 * Calls per 15 minutes on the floor's time axis: answered and abandoned as one
 * stacked bar per interval (wide enough to read on a phone), offered as a line
 * over them (offered = answered + abandoned + still open); gaps stay gaps.
 */
export function volumeChartConfig(series: IntervalSeries, ctx: ChartContext): ChartConfiguration<'bar' | 'line', SlotPoint[]> {
  const bar = (label: string, data: SlotPoint[], color: string): ChartDataset<'bar', SlotPoint[]> => ({
    type: 'bar',
    label,
    data,
    backgroundColor: color,
    borderColor: color,
    stack: 'calls',
    pointStyle: 'rect',
    barPercentage: 0.9,
    categoryPercentage: 1,
    order: 2,
  });
  const offered: ChartDataset<'line', SlotPoint[]> = {
    type: 'line',
    label: ctx.t('charts.offered'),
    data: series.offered,
    borderColor: COLORS.offered,
    backgroundColor: COLORS.offered,
    borderWidth: 2,
    pointRadius: 2,
    pointStyle: 'circle',
    spanGaps: false,
    stack: 'offered',
    order: 1,
  };
  return {
    type: 'bar',
    data: { datasets: [offered, bar(ctx.t('charts.answered'), series.answered, COLORS.answered), bar(ctx.t('charts.abandoned'), series.abandoned, COLORS.abandoned)] },
    options: {
      ...BASE,
      plugins: { ...SHAPED_LEGEND, tooltip: { mode: 'index', intersect: false, usePointStyle: true, callbacks: { title: (items: TooltipItem<'bar' | 'line'>[]) => (items.length ? intervalTitle(items[0].parsed.x ?? 0, ctx) : '') } } },
      scales: { x: { ...timeAxis(series, ctx), stacked: true }, y: { ...countAxis(ctx.t('charts.calls')), stacked: true } },
    },
  };
}

/** The SL target's legend text in the floor's language: "target 80%", "hedef %80". */
export function slTargetLabel(ctx: ChartContext): string {
  const target = ctx.config?.serviceLevel.targetPct ?? 80;
  return ctx.t('charts.slTarget', { pct: new Intl.NumberFormat(ctx.locale, { style: 'percent', maximumFractionDigits: 0 }).format(target / 100) });
}

/** The service level per interval with the floor's target as a dashed line, gaps left as gaps. */
export function slChartConfig(series: IntervalSeries, ctx: ChartContext): ChartConfiguration<'line', SlotPoint[]> {
  const target = ctx.config?.serviceLevel.targetPct ?? 80;
  return {
    type: 'line',
    data: {
      datasets: [
        { label: ctx.t('charts.slPct'), data: series.sl, borderColor: COLORS.sl, backgroundColor: COLORS.sl, pointRadius: 2, pointStyle: 'circle', spanGaps: false },
        {
          label: slTargetLabel(ctx),
          data: [{ x: series.minMs, y: target }, { x: series.maxMs, y: target }],
          borderColor: COLORS.target,
          backgroundColor: COLORS.target,
          borderDash: [6, 4],
          borderWidth: 2,
          pointRadius: 0,
          pointHoverRadius: 0,
          pointStyle: 'line',
        },
      ],
    },
    options: {
      ...BASE,
      plugins: {
        ...SHAPED_LEGEND,
        tooltip: {
          // The nearest interval along the time axis: a thin line is hard to hit with a pointer.
          mode: 'nearest',
          axis: 'x',
          intersect: false,
          usePointStyle: true,
          filter: (item: TooltipItem<'line'>) => item.datasetIndex === 0,
          callbacks: { title: (items: TooltipItem<'line'>[]) => (items.length ? intervalTitle(items[0].parsed.x ?? 0, ctx) : '') },
        },
      },
      scales: {
        x: timeAxis(series, ctx),
        y: { min: 0, max: 100, title: { display: true, text: '%' }, ticks: { stepSize: 20, precision: 0 } },
      },
    },
  };
}

/** Sums one per-agent histogram over the floor. */
export function sumHist(agents: AgentView[], key: 'ringsHist' | 'holdHist', n: number): number[] {
  const out = new Array<number>(n).fill(0);
  for (const a of agents) a[key].forEach((v, i) => (out[i] += v));
  return out;
}

type Level = 'ok' | 'warn' | 'breach';

/**
 * One bar chart whose bars are coloured by level, as three stacked datasets so
 * the legend names each colour ("within limit", "warning", "breach").
 */
function leveledBars(labels: string[], counts: number[], levels: Level[], xTitle: string, yTitle: string, ctx: ChartContext): ChartConfiguration<'bar', (number | null)[], string> {
  const ds = (lv: Level): ChartDataset<'bar', (number | null)[]> => ({
    label: ctx.t(`charts.level.${lv}`),
    data: counts.map((n, i) => (levels[i] === lv ? n : null)),
    backgroundColor: COLORS[lv],
    borderColor: COLORS[lv],
  });
  const used = (['ok', 'warn', 'breach'] as Level[]).filter((lv) => levels.includes(lv));
  return {
    type: 'bar',
    data: { labels, datasets: used.map(ds) },
    options: {
      ...BASE,
      scales: {
        x: { stacked: true, grid: { display: false }, title: { display: true, text: xTitle } },
        y: { ...countAxis(yTitle), stacked: true },
      },
    },
  };
}

/** Rings before answer, 0 … 6+, coloured by the ring limit's warn and breach counts. */
export function ringsChartConfig(agents: AgentView[], ctx: ChartContext): ChartConfiguration<'bar', (number | null)[], string> {
  const warnAt = ctx.config?.rules.ringWarnAt ?? 3;
  const breachAt = ctx.config?.rules.ringBreachAt ?? 4;
  const labels = ['0', '1', '2', '3', '4', '5', '6+'];
  const levels = labels.map((_, i): Level => (i >= breachAt ? 'breach' : i >= warnAt ? 'warn' : 'ok'));
  return leveledBars(labels, sumHist(agents, 'ringsHist', 7), levels, ctx.t('charts.ringsAxis'), ctx.t('charts.answers'), ctx);
}

/** Hold lengths by bucket, coloured by the long-hold thresholds (a bucket's lower edge decides). */
export function holdsChartConfig(agents: AgentView[], ctx: ChartContext): ChartConfiguration<'bar', (number | null)[], string> {
  const warnSec = ctx.config?.rules.holdLongWarnSec ?? 45;
  const breachSec = ctx.config?.rules.holdLongBreachSec ?? 90;
  const lowers = [0, ...HOLD_HIST_EDGES_SEC];
  const labels = HOLD_HIST_EDGES_SEC.map((e, i) => (i === 0 ? `<${e} s` : `${HOLD_HIST_EDGES_SEC[i - 1]}–${e} s`)).concat(`${HOLD_HIST_EDGES_SEC.at(-1)} s+`);
  const levels = lowers.map((lo): Level => (lo >= breachSec ? 'breach' : lo >= warnSec ? 'warn' : 'ok'));
  return leveledBars(labels, sumHist(agents, 'holdHist', labels.length), levels, ctx.t('charts.holdAxis'), ctx.t('charts.holdsCount'), ctx);
}
