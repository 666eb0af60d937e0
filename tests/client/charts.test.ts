// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import FloorCharts from '../../client/src/components/FloorCharts.vue';
import { localHourTicks, mergeIntervals, ringsChartConfig, slChartConfig, volumeChartConfig, zoneLabel, formatZonedClock, type ChartContext } from '../../client/src/charts.ts';
import { i18n, setLocale, t } from '../../client/src/i18n/index.ts';
import { useConnectionStore } from '../../client/src/stores/connection.ts';
import { defaultConfig } from '../../shared/config.ts';
import { localDay, INTERVAL_MS } from '../../shared/time.ts';
import type { AgentView, FloorPayload, IntervalView, Snapshot } from '../../shared/wire.ts';

const ZONE = 'Europe/Istanbul'; // UTC+3 all year
// 2026-11-30 10:42 in Istanbul.
const NOW = Date.UTC(2026, 10, 30, 7, 42);
const DAY = localDay(NOW, ZONE);
const at = (h: number, m = 0) => DAY.startMs + h * 3_600_000 + m * 60_000;
const config = { ...defaultConfig(), timeZone: ZONE, serviceLevel: { ...defaultConfig().serviceLevel, targetPct: 85 } };

function ctx(over: Partial<ChartContext> = {}): ChartContext {
  return { t: (k, n) => (n ? t(k, n) : t(k)), locale: 'en', config, day: DAY, ...over };
}
function iv(startMs: number, offered: number, answered: number, abandoned: number, sl: number | null): IntervalView {
  return { startMs, offered, answered, abandoned, serviceLevelPct: sl };
}

beforeEach(() => {
  setActivePinia(createPinia());
  i18n.global.locale.value = 'en';
});

describe('interval charts', () => {
  const intervals = {
    sales: [iv(at(9), 4, 3, 1, 75), iv(at(9, 15), 2, 2, 0, 100), iv(at(23), 1, 1, 0, 100)],
    support: [iv(at(9), 6, 6, 0, 100)],
  };

  it('puts the calls on a linear time axis over epoch ms titled with the floor zone', () => {
    const series = mergeIntervals(intervals, ctx());
    const cfg = volumeChartConfig(series, ctx());
    const x = cfg.options!.scales!.x as unknown as { type: string; min: number; max: number; title: { text: string }; ticks: { callback: (v: number) => string } };
    expect(x.type).toBe('linear');
    expect(x.title.text).toBe('Time (Europe/Istanbul (GMT+3))');
    // The business day (08:00–18:00 local) and the late call at 23:00 are all on the axis, 23:00 far from 09:00.
    expect(x.min).toBe(at(8));
    expect(x.max).toBe(at(23, 15));
    expect(x.ticks.callback(at(9))).toBe('09:00 AM');
    expect(formatZonedClock(at(23), ZONE, 'tr')).toBe('23:00');
  });

  it('counts in whole numbers only', () => {
    const series = mergeIntervals(intervals, ctx());
    const y = volumeChartConfig(series, ctx()).options!.scales!.y as { ticks: { precision: number }; beginAtZero: boolean };
    expect(y.ticks.precision).toBe(0);
    expect(y.beginAtZero).toBe(true);
    const ry = ringsChartConfig([], ctx()).options!.scales!.y as { ticks: { precision: number } };
    expect(ry.ticks.precision).toBe(0);
  });

  it('sums the queues per interval and leaves intervals without calls as null, not 0', () => {
    const series = mergeIntervals(intervals, ctx());
    const y = (ms: number) => series.offered.find((p) => p.x === ms + INTERVAL_MS / 2)?.y;
    expect(y(at(9))).toBe(10);
    expect(y(at(9, 15))).toBe(2);
    expect(y(at(9, 30))).toBeNull();
    expect(y(at(12))).toBeNull();
    expect(y(at(23))).toBe(1);
    expect(series.sl.find((p) => p.x === at(12) + INTERVAL_MS / 2)?.y).toBeNull();
    // One slot per 15 minutes from 08:00 to 23:15.
    expect(series.offered).toHaveLength((at(23, 15) - at(8)) / INTERVAL_MS);
    expect(series.hasCalls).toBe(true);
  });

  it('draws the configured service level target as its own dashed line and never bridges gaps', () => {
    const series = mergeIntervals(intervals, ctx());
    const cfg = slChartConfig(series, ctx());
    const [sl, target] = cfg.data.datasets;
    expect(sl.spanGaps).toBe(false);
    expect(target.label).toBe('target 85%');
    expect(target.data.map((p) => p.y)).toEqual([85, 85]);
    expect(target.data.map((p) => p.x)).toEqual([series.minMs, series.maxMs]);
    expect(target.borderDash).toEqual([6, 4]);
    const y = cfg.options!.scales!.y as { min: number; max: number };
    expect([y.min, y.max]).toEqual([0, 100]);
  });

  it('gives every legend entry the colour its data is drawn in', () => {
    const series = mergeIntervals(intervals, ctx());
    for (const cfg of [volumeChartConfig(series, ctx()), slChartConfig(series, ctx())]) {
      for (const d of cfg.data.datasets as { backgroundColor?: unknown; borderColor?: unknown }[]) expect(d.backgroundColor).toBe(d.borderColor);
    }
  });

  it('colours the rings by the configured limit, one legend entry per level', () => {
    const a = { ringsHist: [1, 5, 2, 3, 2, 0, 1], holdHist: [0, 0, 0, 0, 0] } as AgentView;
    const cfg = ringsChartConfig([a, a], ctx({ config: { ...config, rules: { ...config.rules, ringWarnAt: 2, ringBreachAt: 3 } } }));
    expect(cfg.data.datasets.map((d) => d.label)).toEqual(['within limit', 'warning', 'breach']);
    expect(cfg.data.datasets[0].data).toEqual([2, 10, null, null, null, null, null]);
    expect(cfg.data.datasets[1].data).toEqual([null, null, 4, null, null, null, null]);
    expect(cfg.data.datasets[2].data).toEqual([null, null, null, 6, 4, 0, 2]);
  });

  it('places hour ticks on whole local hours, also in a half-hour zone', () => {
    const kolkata = localDay(NOW, 'Asia/Kolkata');
    const ticks = localHourTicks(kolkata.startMs + 9 * 3_600_000, kolkata.startMs + 12 * 3_600_000, 'Asia/Kolkata', 1);
    expect(ticks.map((ms) => formatZonedClock(ms, 'Asia/Kolkata', 'et'))).toEqual(['09:00', '10:00', '11:00', '12:00']);
    expect(zoneLabel('UTC', 'en', NOW)).toBe('UTC');
    expect(zoneLabel('Asia/Kolkata', 'en', NOW)).toBe('Asia/Kolkata (GMT+5:30)');
  });

  it('spaces the hour labels so none touch the next at any width, in a 12-hour and a 24-hour language', () => {
    // A day of 08:00–18:00, labelled on a canvas from a phone's width to a TV's; text measured at 6.5 px a character.
    const series = mergeIntervals(intervals, ctx());
    const crowded: string[] = [];
    for (const locale of ['en', 'tr']) {
      for (const width of [300, 340, 390, 480, 640, 800, 1200, 1900]) {
        const x = volumeChartConfig(series, ctx({ locale })).options!.scales!.x as unknown as {
          afterBuildTicks(scale: unknown): void;
          min: number;
          max: number;
          ticks: { autoSkip: boolean; maxRotation: number; callback(v: number): string };
        };
        const measured = (label: string): number => label.length * 6.5;
        const scale = {
          chart: { width },
          ctx: { font: '', save() {}, restore() {}, measureText: (text: string) => ({ width: measured(text) }) },
          options: { ticks: { font: { size: 12, family: 'sans-serif' } } as Record<string, unknown> },
          ticks: [] as { value: number }[],
        };
        x.afterBuildTicks(scale);
        const plotPx = width - 56;
        const labels = scale.ticks.map((tk) => ({ at: ((tk.value - x.min) / (x.max - x.min)) * plotPx, text: x.ticks.callback(tk.value) }));
        expect(labels.length).toBeGreaterThanOrEqual(2);
        const limit = scale.options.ticks.maxTicksLimit as number | undefined;
        if (!(labels.length <= (limit ?? 0))) crowded.push(`${locale} ${width} px: ${labels.length} labels, maxTicksLimit ${limit}`);
        for (let i = 0; i + 1 < labels.length; i++) {
          const clear = labels[i + 1].at - labels[i].at - measured(labels[i].text) / 2 - measured(labels[i + 1].text) / 2;
          if (clear < 12) crowded.push(`${locale} ${width} px: ${labels[i].text} and ${labels[i + 1].text} ${clear.toFixed(1)} px apart`);
        }
      }
    }
    expect(crowded).toEqual([]);
    const ticks = (volumeChartConfig(series, ctx()).options!.scales!.x as { ticks: Record<string, unknown> }).ticks;
    expect(ticks).toMatchObject({ autoSkip: true, maxRotation: 0 });
  });

  it('knows there were no calls when no interval has any', () => {
    expect(mergeIntervals({}, ctx()).hasCalls).toBe(false);
    expect(mergeIntervals({ sales: [iv(at(9), 0, 0, 0, null)] }, ctx()).hasCalls).toBe(false);
    // Without calls the axis still spans the business day rather than 0–1.
    const empty = mergeIntervals({}, ctx());
    expect([empty.minMs, empty.maxMs]).toEqual([at(8), at(18)]);
  });
});

describe('FloorCharts', () => {
  // happy-dom has no 2D canvas: Chart.js says so and draws nothing, which is all these tests need.
  const consoleError = console.error;
  beforeEach(() => {
    vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
      if (!String(args[0]).includes("can't acquire context")) consoleError(...args);
    });
  });
  afterEach(() => vi.restoreAllMocks());

  function hydrate(): void {
    const conn = useConnectionStore();
    const snap: Snapshot<FloorPayload> = {
      scope: { kind: 'floor' }, seq: 1, serverNowMs: NOW, day: DAY, config,
      payload: { queues: [], totals: null as never, agents: [], calls: [], alerts: [], intervals: {}, voicemails: [], callbacks: [], ticker: [] },
    };
    conn.hydrate(snap);
  }

  it.each(['en', 'tr', 'et'] as const)('says "no calls yet today" in %s instead of drawing empty axes', (lang) => {
    setLocale(lang);
    hydrate();
    const w = mount(FloorCharts, { props: { intervals: {}, agents: [] } });
    const empty = w.findAll('[data-testid=chart-empty]').map((e) => e.text());
    expect(empty).toHaveLength(4);
    expect(empty[0]).toBe(t('charts.noCalls'));
    expect(empty[0]).toBe({ en: 'No calls yet today', tr: 'Bugün henüz çağrı yok', et: 'Täna pole veel kõnesid olnud' }[lang]);
    // The canvases stay (hidden) so the charts appear as soon as the first call comes.
    expect((w.find('[data-testid=chart-volume]').element.parentElement as HTMLElement).style.display).toBe('none');
    w.unmount();
  });

  it('shows the charts, not the empty state, once a call was offered', () => {
    hydrate();
    const w = mount(FloorCharts, { props: { intervals: { sales: [iv(at(9), 1, 1, 0, 100)] }, agents: [] } });
    const texts = w.findAll('[data-testid=chart-empty]').map((e) => e.text());
    expect(texts).not.toContain(t('charts.noCalls'));
    expect((w.find('[data-testid=chart-volume]').element.parentElement as HTMLElement).style.display).toBe('');
    w.unmount();
  });
});
