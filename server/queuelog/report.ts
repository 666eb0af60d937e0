/**
 * `floorwatch report`: replays queue_log files through the engine and sums up
 * the whole file per queue and per agent.
 *
 * The events are applied in time order to a fresh floor, exactly as a live
 * server would; the figures come from the engine's counters (summed over every
 * day the files span: the engine counts each call on the local day it was
 * offered, and this floor keeps every past day), except
 * talk time, which is taken from queue_log's own data fields (the talk field
 * of COMPLETECALLER, COMPLETEAGENT and the transfer records). A final tick at
 * the last record's time evaluates the live rules on calls still open.
 */
import fs from 'node:fs';
import type { FloorConfig, RuleId } from '../../shared/config.ts';
import { defaultConfig, parseConfig } from '../../shared/config.ts';
import { applyEvent, createFloorState, drainChanges, tick, type EngineLimits } from '../../shared/engine.ts';
import type { FloorEvent } from '../../shared/events.ts';
import { serviceLevelPct } from '../../shared/selectors.ts';
import type { Alert, FloorState } from '../../shared/state.ts';
import { awayMsByReason } from '../../shared/engine/rules/away-long.ts';
import type { TalkTally } from './adapter.ts';
import { loadQueueLogFiles, type FileProblem, type LineStats, type QueueLogReader } from './reader.ts';
import { readInThread, type ReadSummary } from './read-thread.ts';

export interface QueueFigures {
  offered: number;
  answered: number;
  abandoned: number;
  /** Calls whose end was lost (open when Asterisk restarted): neither answered nor abandoned. */
  endLost: number;
  transferred: number;
  avgWaitSec: number | null;
  avgTalkSec: number | null;
  maxWaitSec: number;
  serviceLevelPct: number | null;
}

export interface AgentFigures {
  answered: number;
  /** Rings that timed out on this agent (RINGNOANSWER). */
  ringNoAnswer: number;
  /** Rings cut off by the caller hanging up (RINGCANCELED): counted apart, never held against the agent. */
  ringCanceled: number;
  avgTalkSec: number | null;
  breaches: Partial<Record<RuleId, number>>;
  /**
   * Time away (paused) per floor-local day (YYYY-MM-DD) and normalised reason ('' when the source gave
   * none), whole seconds; a pause still open at the end of the files counts up to the last record.
   * Present only for an agent who was away.
   */
  awaySecByDay?: Record<string, Record<string, number>>;
}

/** The `--json` output. */
export interface QueueLogReport {
  queues: Record<string, QueueFigures>;
  agents: Record<string, AgentFigures>;
  lines: { read: number; skipped: number; damaged: number };
}

/** What the text output adds to the figures. */
export interface ReportDetails {
  files: string[];
  timeZone: string;
  firstAtMs: number | null;
  lastAtMs: number | null;
  lineStats: LineStats;
  /** Calls still waiting or connected at the end of the files. */
  open: { waiting: number; connected: number };
  /** Events the engine could not place (e.g. a call record before its call). */
  engine: FloorState['diagnostics'];
  /** Files Floorwatch cannot read as queue_log (an unknown layout, most records damaged): the command exits 1. */
  problems: FileProblem[];
}

/** What the figures need of an alert: its latest level and status, its agent and rule. */
type BreachSeen = Pick<Alert, 'level' | 'status' | 'agentId' | 'ruleId'>;

interface QueueSums {
  offered: number;
  answered: number;
  abandoned: number;
  endLost: number;
  transferred: number;
  answeredWithinT: number;
  abandonedAfterT: number;
  answeredWaitMs: number;
  maxWaitMs: number;
}

function mean1(sum: number, count: number): number | null {
  return count === 0 ? null : Math.round((sum / count) * 10) / 10;
}

function talkMean(t: TalkTally | undefined): number | null {
  return t ? mean1(t.sumSec, t.count) : null;
}

/** What the report takes from the reading besides the events (see {@link ReadSummary}). */
export type ReportInput = Pick<ReadSummary, 'stats' | 'lastAtMs' | 'talkByQueue' | 'talkByAgent'>;

/** The report's input from a reader that read the files on this thread. */
export function readerInput(reader: QueueLogReader): ReportInput {
  return { stats: reader.stats, lastAtMs: reader.lastAtMs, talkByQueue: reader.adapter.talkByQueue, talkByAgent: reader.adapter.talkByAgent };
}

/** Applies the events to a fresh floor and computes the figures. */
export function computeReport(events: Iterable<FloorEvent>, input: ReportInput, config: FloorConfig, limits?: Partial<EngineLimits>): { report: QueueLogReport; engine: FloorState } {
  const b = new ReportBuilder(config, limits);
  for (const e of events) b.apply(e);
  return b.finish(input);
}

/** {@link computeReport} in steps: the events one at a time (in time order), then the figures. */
export class ReportBuilder {
  // Every past day stays in memory: a late event of a call still counts on the day it was offered.
  private readonly s: FloorState;
  private readonly answered = new Map<string, number>();
  /** The latest level and status of every alert that ever reached breach, by alert id (see {@link collect}). */
  private readonly alerts = new Map<string, BreachSeen>();
  private n = 0;

  /** `limits`: the engine's stale-call limits and live-call cap, as the server's (default: the engine's). */
  constructor(config: FloorConfig, limits?: Partial<EngineLimits>) {
    this.s = createFloorState(config, 0, { historyDays: Number.POSITIVE_INFINITY, limits });
  }

  /** Applies one event. */
  apply(e: FloorEvent): void {
    const s = this.s;
    const before = e.type === 'call.answered' ? s.calls.get(e.callId)?.segments ?? 0 : 0;
    applyEvent(s, e);
    if (e.type === 'call.answered') {
      const c = s.calls.get(e.callId);
      if (c && c.agentId === e.agentId && c.segments > before) this.answered.set(e.agentId, (this.answered.get(e.agentId) ?? 0) + 1);
    }
    // The changed alerts, in order, every thousand events: the same latest versions, a fresh change set less often.
    if (++this.n % 1000 === 0) this.collect();
  }

  /**
   * Keeps the latest level and status of every alert that ever reached breach (only breaches are
   * counted), not the alert itself: neither the warnings nor the breaches' texts of a million-line
   * file need stay in memory.
   */
  private collect(): void {
    for (const a of drainChanges(this.s).alerts) {
      if (a.level === 'breach' || this.alerts.has(a.id)) this.alerts.set(a.id, { level: a.level, status: a.status, agentId: a.agentId, ruleId: a.ruleId });
    }
  }

  /** The figures, once every event is in: a last tick at the last record's time, then the engine's counters of every day. */
  finish(input: ReportInput): { report: QueueLogReport; engine: FloorState } {
    const s = this.s;
    const { answered, alerts } = this;
    const queues = new Map<string, QueueSums>();
    const agentRings = new Map<string, { noAnswer: number; canceled: number }>();
    if (input.lastAtMs !== undefined) tick(s, Math.max(input.lastAtMs, s.nowMs));
    this.collect();
    for (const q of s.queues.values()) {
      const sum: QueueSums = { offered: 0, answered: 0, abandoned: 0, endLost: 0, transferred: 0, answeredWithinT: 0, abandonedAfterT: 0, answeredWaitMs: 0, maxWaitMs: 0 };
      for (const t of [...[...q.pastDays.values()].map((r) => r.today), q.today]) {
        sum.offered += t.offered;
        sum.answered += t.answered;
        sum.abandoned += t.abandoned;
        sum.endLost += t.endLost;
        sum.transferred += t.transferredOut;
        sum.answeredWithinT += t.answeredWithinT;
        sum.abandonedAfterT += t.abandonedAfterT;
        sum.answeredWaitMs += t.answeredWaitMs;
        sum.maxWaitMs = Math.max(sum.maxWaitMs, t.maxWaitMs);
      }
      queues.set(q.queueId, sum);
    }
    for (const a of s.agents.values()) {
      const r = { noAnswer: 0, canceled: 0 };
      for (const d of [...a.pastDays.values(), a.today]) {
        r.noAnswer += d.ringNoAnswer;
        r.canceled += d.ringCanceled;
      }
      agentRings.set(a.agentId, r);
    }
    const breaches = new Map<string, Partial<Record<RuleId, number>>>();
    for (const a of alerts.values()) {
      if (a.level !== 'breach' || a.status === 'retracted' || a.agentId === undefined) continue;
      const b = breaches.get(a.agentId) ?? {};
      b[a.ruleId] = (b[a.ruleId] ?? 0) + 1;
      breaches.set(a.agentId, b);
    }

    const report: QueueLogReport = { queues: {}, agents: {}, lines: { read: input.stats.read, skipped: input.stats.skipped, damaged: input.stats.damaged } };
    for (const id of [...queues.keys()].sort()) {
      const q = queues.get(id) as QueueSums;
      report.queues[id] = {
        offered: q.offered,
        answered: q.answered,
        abandoned: q.abandoned,
        endLost: q.endLost,
        transferred: q.transferred,
        avgWaitSec: mean1(q.answeredWaitMs / 1000, q.answered),
        avgTalkSec: talkMean(input.talkByQueue.get(id)),
        maxWaitSec: Math.round(q.maxWaitMs / 1000),
        serviceLevelPct: serviceLevelPct(q.answeredWithinT, q.answered, q.abandonedAfterT),
      };
    }
    for (const id of [...s.agents.keys()].sort()) {
      const b = breaches.get(id) ?? {};
      const sorted: Partial<Record<RuleId, number>> = {};
      for (const k of Object.keys(b).sort() as RuleId[]) sorted[k] = b[k];
      report.agents[id] = {
        answered: answered.get(id) ?? 0,
        ringNoAnswer: agentRings.get(id)?.noAnswer ?? 0,
        ringCanceled: agentRings.get(id)?.canceled ?? 0,
        avgTalkSec: talkMean(input.talkByAgent.get(id)),
        breaches: sorted,
      };
      const away = awayByDay(s, id);
      if (away) report.agents[id].awaySecByDay = away;
    }
    return { report, engine: s };
  }
}

/** An agent's time away per floor-local day and reason, s (null when never away); see {@link AgentFigures.awaySecByDay}. */
function awayByDay(s: FloorState, agentId: string): Record<string, Record<string, number>> | null {
  const a = s.agents.get(agentId);
  if (!a) return null;
  const dayName = new Intl.DateTimeFormat('sv-SE', { timeZone: s.config.timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
  const out: Record<string, Record<string, number>> = {};
  for (const [dayStartMs, d] of [...a.pastDays.entries(), [s.dayStartMs, a.today] as const]) {
    const byReason = awayMsByReason(a, d, dayStartMs === s.dayStartMs, s.nowMs);
    const secs: Record<string, number> = {};
    for (const k of Object.keys(byReason).sort()) secs[k] = Math.round(byReason[k] / 1000);
    if (Object.keys(secs).length > 0) out[dayName.format(new Date(dayStartMs))] = secs;
  }
  return Object.keys(out).length > 0 ? out : null;
}

/**
 * Files at least this large in all (bytes) are read on a thread of their own while the engine runs
 * on this one ({@link readInThread}); smaller ones on this thread, where starting a thread would
 * cost more than it saves.
 */
export const THREAD_FROM_BYTES = 8 * 1024 * 1024;

/**
 * Reads the files and computes the report. `threads`: `auto` (default) reads on a second thread
 * from {@link THREAD_FROM_BYTES}; `one` and `two` force either way (the figures are the same).
 * Throws `UnreadableFileError` for a file it cannot read.
 */
export async function buildReport(
  files: string[],
  opts: { timeZone: string; config?: FloorConfig; threads?: 'auto' | 'one' | 'two'; limits?: Partial<EngineLimits> },
): Promise<{ report: QueueLogReport; details: ReportDetails }> {
  const config = opts.config ?? { ...defaultConfig(), timeZone: opts.timeZone };
  const checked = parseConfig(config);
  if (!checked.ok) throw new Error(checked.error);
  const threads = opts.threads ?? 'auto';
  const two = threads === 'two' || (threads === 'auto' && (await totalBytes(files)) >= THREAD_FROM_BYTES);
  const { report, engine, read } = two ? await reportOnTwoThreads(files, opts.timeZone, checked.config, opts.limits) : await reportOnOneThread(files, opts.timeZone, checked.config, opts.limits);
  let waiting = 0;
  let connected = 0;
  for (const id of engine.liveCalls) {
    const c = engine.calls.get(id);
    if (c?.status === 'talking' || c?.status === 'hold') connected++;
    else if (c) waiting++;
  }
  return {
    report,
    details: {
      files,
      timeZone: opts.timeZone,
      firstAtMs: read.firstAtMs ?? null,
      lastAtMs: read.lastAtMs ?? null,
      lineStats: read.stats,
      open: { waiting, connected },
      engine: engine.diagnostics,
      problems: read.problems,
    },
  };
}

type Built = { report: QueueLogReport; engine: FloorState; read: Omit<ReadSummary, 'talkByQueue' | 'talkByAgent' | 'late'> };

async function totalBytes(files: string[]): Promise<number> {
  let n = 0;
  for (const f of files) n += await fs.promises.stat(f).then((st) => st.size, () => 0);
  return n;
}

/**
 * Events stream from the files to the engine in time order; a file with an event dated further
 * back than the reorder window (a call rebuilt from hours of talk) is read again with no window.
 */
async function reportOnOneThread(files: string[], timeZone: string, config: FloorConfig, limits?: Partial<EngineLimits>): Promise<Built> {
  const loaded = await loadQueueLogFiles(files, { timeZone });
  try {
    let run = loaded.run();
    let built = computeReport(run.events, readerInput(run.reader), config, limits);
    if (run.late > 0) {
      run = loaded.run(Infinity);
      built = computeReport(run.events, readerInput(run.reader), config, limits);
    }
    const r = run.reader;
    return { ...built, read: { stats: r.stats, firstAtMs: r.firstAtMs, lastAtMs: r.lastAtMs, problems: run.problems() } };
  } finally {
    loaded.close();
  }
}

/** {@link reportOnOneThread} with the reading on a second thread ({@link readInThread}). */
async function reportOnTwoThreads(files: string[], timeZone: string, config: FloorConfig, limits?: Partial<EngineLimits>): Promise<Built> {
  const thread = readInThread(files, timeZone);
  try {
    let b = new ReportBuilder(config, limits);
    const apply = (events: FloorEvent[]) => {
      for (const e of events) b.apply(e);
    };
    let read = await thread.run(apply);
    if (read.late > 0) {
      b = new ReportBuilder(config, limits);
      read = await thread.run(apply, Infinity);
    }
    return { ...b.finish(read), read };
  } finally {
    await thread.close();
  }
}

// ------------------------------------------------------------ text output

function fmtTime(ms: number | null, timeZone: string): string {
  if (ms === null) return '–';
  const f = new Intl.DateTimeFormat('sv-SE', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
  return f.format(new Date(ms));
}

/** A plain-text table: the first column and any in `leftAligned` flush left, numbers flush right. */
function table(head: string[], rows: string[][], leftAligned: number[] = []): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const left = (i: number) => i === 0 || leftAligned.includes(i);
  const line = (cells: string[]) => cells.map((c, i) => (left(i) ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  return [line(head), ...rows.map(line)].join('\n');
}

const sec = (v: number | null) => (v === null ? '–' : `${v.toFixed(1)} s`);

/** Whole seconds as h:mm:ss or m:ss. */
const clock = (n: number) => {
  const h = Math.floor(n / 3600);
  const m = Math.floor((n % 3600) / 60);
  const ss = String(n % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
};

/** The human-readable report. */
export function formatReport(report: QueueLogReport, d: ReportDetails): string {
  const out: string[] = [];
  out.push(`Floorwatch report of ${d.files.join(', ')}`);
  out.push(`${fmtTime(d.firstAtMs, d.timeZone)} – ${fmtTime(d.lastAtMs, d.timeZone)} (${d.timeZone})`);
  out.push(`Lines: ${report.lines.read} read, ${report.lines.skipped} skipped, ${report.lines.damaged} damaged`);
  out.push('');
  const qRows = Object.entries(report.queues).map(([id, q]) => [
    id,
    String(q.offered),
    String(q.answered),
    String(q.abandoned),
    String(q.endLost),
    String(q.transferred),
    sec(q.avgWaitSec),
    sec(q.avgTalkSec),
    `${q.maxWaitSec} s`,
    q.serviceLevelPct === null ? '–' : `${q.serviceLevelPct.toFixed(1)} %`,
  ]);
  out.push(qRows.length ? table(['Queue', 'Offered', 'Answered', 'Abandoned', 'End lost', 'Transferred', 'Avg wait', 'Avg talk', 'Max wait', 'Service level'], qRows) : 'No queues.');
  out.push('');
  const aRows = Object.entries(report.agents).map(([id, a]) => [
    id,
    String(a.answered),
    String(a.ringNoAnswer),
    String(a.ringCanceled),
    sec(a.avgTalkSec),
    Object.entries(a.breaches)
      .map(([rule, n]) => `${rule} ${n}`)
      .join(', ') || '–',
  ]);
  out.push(aRows.length ? table(['Agent', 'Answered', 'Ring-no-answer', 'Ring cancelled', 'Avg talk', 'Breaches'], aRows, [5]) : 'No agents.');
  const awayRows = Object.entries(report.agents).flatMap(([id, a]) =>
    Object.entries(a.awaySecByDay ?? {}).map(([day, byReason]) => [id, day, Object.entries(byReason).map(([reason, n]) => `${reason || '(no reason)'} ${clock(n)}`).join(', ')]),
  );
  if (awayRows.length) {
    out.push('');
    out.push('Time away (paused), per agent, day and reason:');
    out.push(table(['Agent', 'Day', 'Away'], awayRows, [1, 2]));
  }
  if (d.open.waiting + d.open.connected > 0) {
    out.push('');
    out.push(`Still open at the end of the file: ${d.open.waiting} waiting or ringing, ${d.open.connected} connected (counted as offered and, if connected, answered; no talk time yet).`);
  }
  const skippedReasons = Object.entries(d.lineStats.reasons).sort((a, b) => b[1] - a[1]);
  if (skippedReasons.length) {
    out.push('');
    out.push('Skipped and damaged, by reason:');
    for (const [reason, n] of skippedReasons.slice(0, 15)) out.push(`  ${String(n).padStart(6)}  ${reason}`);
  }
  if (d.lineStats.damagedSamples.length) {
    out.push('');
    out.push('Damaged lines:');
    for (const s of d.lineStats.damagedSamples.slice(0, 10)) out.push(`  ${s.where}  ${s.reason}`);
  }
  return out.join('\n') + '\n';
}
