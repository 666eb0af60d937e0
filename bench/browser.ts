/**
 * The browser side: the floor view's frame time with 1,000 agents under a
 * 1,000 events/s feed, in headless Chromium, and the client's bundle size.
 *
 * - The client is built by Vite into a temporary folder (with a manifest, so
 *   each face's files are known), and served by a real node (`createServer`,
 *   demo mode on, no simulator) in a child process.
 * - A feeder in a third process posts the simulator's 1,000-agent floor: its
 *   last 20 minutes at once (so every agent is signed in and busy), then, on
 *   cue, 1,000 events/s in batches every 100 ms. The live part is the same
 *   floor sped up (~35×): its feed time runs ahead of the wall clock and the
 *   server follows the feed's clock, as it does for any skewed source.
 * - Frame time = deltas between requestAnimationFrame callbacks on /floor.
 *   Baseline: the same page, same agents, with the feed paused, in the same run.
 *
 * Bundle: gzip sizes of the JS and CSS each face loads (the shared entry and
 * its imports, plus the face's own lazily loaded chunk and its imports).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import readline from 'node:readline';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { BenchRow, BenchRun } from './types.ts';
import { percentile, ratio } from './types.ts';
import { progress } from './lib/feed.ts';
import { startChildServer, type ChildServer } from './lib/ingest-child.ts';
import type { FeederOptions } from './lib/browser-feeder.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const INGEST_TOKEN = 'bench-ingest-token';
const VIEW_TOKEN = 'bench-view-token';
const AGENTS = 1_000;
const RATE = 1_000;
const WARMUP_SEC = 20 * 60;
const TARGET_P95_MS = 33;

// ------------------------------------------------------------------ bundle

interface ManifestChunk {
  file: string;
  isEntry?: boolean;
  imports?: string[];
  css?: string[];
}
type Manifest = Record<string, ManifestChunk>;

/** Every file a chunk loads up front: itself, its CSS, and its static imports, recursively. */
function filesOf(manifest: Manifest, key: string, into = new Set<string>()): Set<string> {
  const c = manifest[key];
  if (!c || into.has(c.file)) return into;
  into.add(c.file);
  for (const css of c.css ?? []) into.add(css);
  for (const imp of c.imports ?? []) filesOf(manifest, imp, into);
  return into;
}

function gzipKB(dir: string, files: Iterable<string>): number {
  let bytes = 0;
  for (const f of files) bytes += zlib.gzipSync(fs.readFileSync(path.join(dir, f)), { level: 9 }).length;
  return Math.round((bytes / 1024) * 10) / 10;
}

function bundleRows(outDir: string): BenchRow[] {
  const manifest = JSON.parse(fs.readFileSync(path.join(outDir, '.vite', 'manifest.json'), 'utf8')) as Manifest;
  const entryKey = Object.keys(manifest).find((k) => manifest[k].isEntry);
  if (!entryKey) throw new Error('vite manifest has no entry');
  const shared = filesOf(manifest, entryKey);
  const sharedKB = gzipKB(outDir, shared);
  const faces: [string, string][] = [
    ['floor', 'src/views/FloorView.vue'],
    ['agent', 'src/views/AgentView.vue'],
    ['wallboard', 'src/views/WallView.vue'],
  ];
  return faces.map(([face, key]) => {
    if (!manifest[key]) throw new Error(`vite manifest has no chunk for ${key}`);
    const files = filesOf(manifest, key, new Set(shared));
    const kb = gzipKB(outDir, files);
    return {
      bench: 'browser',
      metric: `client bundle gzipped, ${face} face (JS + CSS it loads)`,
      value: kb,
      unit: 'kB',
      baseline: { name: 'shared entry alone', value: sharedKB },
      ratio: ratio(kb, sharedKB),
      note: `${files.size} files, gzip -9`,
    };
  });
}

/** FLOORWATCH_BENCH_PROFILE=DIR: an unminified build, and a CPU profile of the page during each fed window saved into DIR. */
const PROFILE_DIR = process.env.FLOORWATCH_BENCH_PROFILE;

function build(outDir: string): void {
  progress('browser', `building the client with Vite${PROFILE_DIR ? ' (unminified, for profiling: bundle sizes are not the product’s)' : ''}…`);
  const minify = PROFILE_DIR ? ['--minify', 'false'] : [];
  execFileSync(process.execPath, [path.join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--outDir', outDir, '--emptyOutDir', '--manifest', ...minify, '--logLevel', 'warn'], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

// ------------------------------------------------------------------ feeder

interface Feeder {
  /** Starts (or re-paces) the live feed: one batch every `everyMs`. */
  go(everyMs: number): void;
  /** Events sent and ms since the first `go`. */
  mark(): Promise<{ sent: number; ms: number }>;
  stop(): Promise<{ sent: number; ms: number }>;
  kill(): void;
}

async function startFeeder(o: FeederOptions): Promise<Feeder> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', path.join(HERE, 'lib', 'browser-feeder.ts'), JSON.stringify(o)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = readline.createInterface({ input: child.stdout! });
  const messages: Record<string, number>[] = [];
  const waiters: ((m: Record<string, number>) => void)[] = [];
  lines.on('line', (l) => {
    if (!l.startsWith('{')) return;
    const m = JSON.parse(l) as Record<string, number>;
    const w = waiters.shift();
    if (w) w(m);
    else messages.push(m);
  });
  const next = () =>
    new Promise<Record<string, number>>((resolve, reject) => {
      const m = messages.shift();
      if (m) return resolve(m);
      waiters.push(resolve);
      child.once('exit', (code) => reject(new Error(`feeder exited with code ${code}`)));
    });
  const warm = await next();
  progress('browser', `feeder posted ${warm.warm} warm-up events`);
  return {
    go: (everyMs) => child.stdin?.write(`go ${everyMs}\n`),
    mark: async () => {
      child.stdin?.write('mark\n');
      const m = await next();
      return { sent: m.sent, ms: m.ms };
    },
    stop: async () => {
      child.stdin?.write('stop\n');
      const m = await next();
      return { sent: m.sent, ms: m.ms };
    },
    kill: () => {
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

// ------------------------------------------------------------------ frames

interface Frames {
  deltas: number[];
  /** DOM mutation records on the page during the window: proof the feed reaches the screen. */
  mutations: number;
  longTasks: number;
  longTaskMs: number;
  scriptMs: number;
  layoutMs: number;
  windowMs: number;
}

/** Deltas between animation frames for `ms`, plus main-thread time spent in script and layout meanwhile (CDP Performance metrics). */
async function measureFrames(page: Page, ms: number): Promise<Frames> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const metric = async () => {
    const { metrics } = await cdp.send('Performance.getMetrics');
    const get = (n: string) => metrics.find((m) => m.name === n)?.value ?? 0;
    return { script: get('ScriptDuration'), layout: get('LayoutDuration') + get('RecalcStyleDuration') };
  };
  const before = await metric();
  // A string, not a function: the bench runs under tsx, whose name-keeping helpers do not exist in the page.
  const got = (await page.evaluate(`(async (windowMs) => {
    const deltas = [];
    let longTasks = 0;
    let longTaskMs = 0;
    const obs = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        longTasks++;
        longTaskMs += e.duration;
      }
    });
    obs.observe({ entryTypes: ['longtask'] });
    let mutations = 0;
    const mo = new MutationObserver((records) => { mutations += records.length; });
    mo.observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
    await new Promise((resolve) => {
      let last = -1;
      const start = performance.now();
      function frame(t) {
        if (last >= 0) deltas.push(t - last);
        last = t;
        if (t - start < windowMs) requestAnimationFrame(frame);
        else resolve();
      }
      requestAnimationFrame(frame);
    });
    obs.disconnect();
    mo.disconnect();
    return { deltas, longTasks, longTaskMs, mutations };
  })(${ms})`)) as { deltas: number[]; longTasks: number; longTaskMs: number; mutations: number };
  const after = await metric();
  await cdp.detach();
  return { ...got, scriptMs: (after.script - before.script) * 1000, layoutMs: (after.layout - before.layout) * 1000, windowMs: ms };
}

function summary(f: Frames): string {
  const p = (q: number) => percentile(f.deltas, q).toFixed(1);
  return `${f.deltas.length} frames, p50 ${p(50)} ms, p95 ${p(95)} ms, max ${Math.max(...f.deltas).toFixed(1)} ms; ${Math.round((f.mutations / f.windowMs) * 1000)} DOM mutations/s; ${f.longTasks} long tasks (${Math.round(f.longTaskMs)} ms); script ${Math.round((100 * f.scriptMs) / f.windowMs)} %, style+layout ${Math.round((100 * f.layoutMs) / f.windowMs)} % of the window`;
}

// ------------------------------------------------------------------ run

export const run: BenchRun = async ({ quick }) => {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`the browser bench needs Chromium at ${CHROMIUM} (or CHROMIUM_PATH)`);
  const windowMs = quick ? 4_000 : 10_000;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floorwatch-bench-browser-'));
  const outDir = path.join(dir, 'client');
  let server: ChildServer | undefined;
  let feeder: Feeder | undefined;
  let browser: Browser | undefined;
  try {
    build(outDir);
    const rows = bundleRows(outDir);

    server = await startChildServer({ file: path.join(dir, 'floorwatch.db'), sync: 'full', ingestToken: INGEST_TOKEN, viewToken: VIEW_TOKEN, demo: true, staticDir: outDir });
    progress('browser', `server on port ${server.port}; feeding a ${AGENTS}-agent floor…`);
    feeder = await startFeeder({
      url: server.url,
      token: INGEST_TOKEN,
      agents: AGENTS,
      seed: 9,
      startMs: Date.now() - WARMUP_SEC * 1000,
      warmupSec: WARMUP_SEC,
      rate: RATE,
      liveEvents: RATE * (Math.ceil(windowMs / 1000) + 15),
    });

    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${server.url}/floor`);
    await page.waitForSelector('[data-testid="agent-row"]', { timeout: 30_000 });
    const shown = await page.locator('.agent-grid h2 small').textContent();
    progress('browser', `floor open: ${shown?.trim() ?? '?'}`);
    // Let the first render, fonts and charts settle before measuring.
    await page.waitForTimeout(1_500);

    const idle = await measureFrames(page, windowMs);
    progress('browser', `idle floor: ${summary(idle)}`);

    // Two cadences of the same 1,000 events/s: 10 batches a second (a producer batching every
    // 100 ms), then 100 a second (10-event batches: ten times the deltas for the page to apply).
    const phases: { everyMs: number; label: string }[] = [
      { everyMs: 100, label: '100-event batches' },
      { everyMs: 10, label: '10-event batches' },
    ];
    const frameRows: BenchRow[] = [];
    for (const ph of phases) {
      feeder.go(ph.everyMs);
      await page.waitForTimeout(1_000);
      const m0 = await feeder.mark();
      // FLOORWATCH_BENCH_TRACE=DIR saves a Chrome performance trace of each fed window (open it in DevTools).
      const traceDir = process.env.FLOORWATCH_BENCH_TRACE;
      if (traceDir) await browser.startTracing(page, { path: path.join(traceDir, `floor-${ph.everyMs}ms.json`), screenshots: false });
      const cdp = PROFILE_DIR ? await page.context().newCDPSession(page) : undefined;
      if (cdp) {
        await cdp.send('Profiler.enable');
        await cdp.send('Profiler.start');
      }
      const busy = await measureFrames(page, windowMs);
      if (cdp && PROFILE_DIR) {
        const { profile } = await cdp.send('Profiler.stop');
        fs.writeFileSync(path.join(PROFILE_DIR, `floor-${ph.everyMs}ms.cpuprofile`), JSON.stringify(profile));
        await cdp.detach();
      }
      if (traceDir) await browser.stopTracing();
      const m1 = await feeder.mark();
      const rate = Math.round(((m1.sent - m0.sent) / (m1.ms - m0.ms)) * 1000);
      progress('browser', `under feed (${ph.label}, ${rate} events/s): ${summary(busy)}`);
      const cond = `1,000 agents, ${rate.toLocaleString('en-US')} events/s in ${ph.label}`;
      const p95 = percentile(busy.deltas, 95);
      const idleP95 = percentile(idle.deltas, 95);
      frameRows.push(
        {
          bench: 'browser',
          metric: `floor frame time p95, ${cond}`,
          value: Math.round(p95 * 10) / 10,
          unit: 'ms',
          baseline: { name: 'same page, feed paused', value: Math.round(idleP95 * 10) / 10 },
          ratio: ratio(p95, idleP95),
          target: `< ${TARGET_P95_MS} ms`,
          met: p95 < TARGET_P95_MS,
          note: summary(busy),
        },
        {
          bench: 'browser',
          metric: `floor frame time p50, ${cond}`,
          value: Math.round(percentile(busy.deltas, 50) * 10) / 10,
          unit: 'ms',
          baseline: { name: 'same page, feed paused', value: Math.round(percentile(idle.deltas, 50) * 10) / 10 },
          ratio: ratio(percentile(busy.deltas, 50), percentile(idle.deltas, 50)),
        },
        {
          bench: 'browser',
          metric: `floor frame time max, ${cond}`,
          value: Math.round(Math.max(...busy.deltas) * 10) / 10,
          unit: 'ms',
          baseline: { name: 'same page, feed paused', value: Math.round(Math.max(...idle.deltas) * 10) / 10 },
          ratio: ratio(Math.max(...busy.deltas), Math.max(...idle.deltas)),
        },
      );
    }
    await feeder.stop();
    if (errors.length) throw new Error(`page errors: ${errors.slice(0, 3).join('; ')}`);
    return [...frameRows, ...rows];
  } finally {
    feeder?.kill();
    if (browser) await browser.close();
    if (server) await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
};
