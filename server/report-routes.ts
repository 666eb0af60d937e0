/**
 * Range reports and scorecards over HTTP:
 *
 * - `GET /api/reports?from&to&group&queue&team&agent` (supervisor, admin): a
 *   {@link RangeReport} of the floor-local dates `from`..`to` (inclusive).
 * - `GET /api/reports/export.xlsx?…` and `/api/reports/export/<table>.csv?…`:
 *   the same report's tables (rows, queues, agents, rules).
 * - `GET /api/scorecard?from&to&agent|team` (agent: their own only): a {@link Scorecard}.
 *
 * Past days come from the daily aggregates (report-cache.ts `range`: the
 * store, else one fold of the log on the report worker); today is read off the
 * live floor. Lists (`queue`, `team`, `agent`) are comma-separated or repeated.
 */
import type express from 'express';
import { dayAggregate, liveDayAlerts } from '../shared/report/aggregate.ts';
import type { ScorecardSubject } from '../shared/report/scorecard.ts';
import type { DayAggregate, RangeReport, ReportGroup, ReportQuery, Scorecard } from '../shared/report/types.ts';
import { addDays, datesBetween, dayOfDate, parseDate } from '../shared/time.ts';
import type { FloorState } from '../shared/state.ts';
import { actor, anA, type RouteContext } from './context.ts';
import { tableToCsv, tablesToXlsx, type ExportTable } from './export/tables.ts';
import { ReportError } from './report-cache.ts';
import type { DatedDay } from './report-worker.ts';
import { filterOfResponse, ScopeError } from './scope-guard.ts';
import type { ScopeFilter } from '../shared/scope.ts';

/** Longest range one report covers, days. */
export const REPORT_RANGE_MAX_DAYS = 366;
/** Days a report covers when `from` is not given (ending `to`, default today). */
const DEFAULT_RANGE_DAYS = 7;
const GROUPS: readonly ReportGroup[] = ['day', 'week', 'interval15', 'interval30', 'interval60'];
/** Most items in one filter list. */
const FILTER_MAX = 500;

/** A request that cannot be answered as asked: 400 with the message. */
class BadQuery extends Error {}

function list(v: unknown, name: string): string[] {
  const raw = Array.isArray(v) ? v : v === undefined ? [] : [v];
  const out: string[] = [];
  for (const item of raw) {
    if (typeof item !== 'string') throw new BadQuery(`${name}: a comma-separated list`);
    for (const part of item.split(',')) {
      const t = part.trim();
      if (t && !out.includes(t)) out.push(t.slice(0, 128));
    }
  }
  if (out.length > FILTER_MAX) throw new BadQuery(`${name}: at most ${FILTER_MAX} items`);
  return out;
}

function dateParam(v: unknown, name: string): string | undefined {
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string' || !parseDate(v)) throw new BadQuery(`${name}: a date, YYYY-MM-DD`);
  return v;
}

/** The floor-local date of today on `s`. */
function todayOf(s: FloorState): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: s.config.timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(s.dayStartMs + 12 * 3_600_000);
}

/** Reads and checks a report's query (dates default to the last 7 days ending today). Throws {@link BadQuery}. */
export function readReportQuery(q: express.Request['query'], today: string): ReportQuery {
  const asked = dateParam(q.from, 'from');
  const to = dateParam(q.to, 'to') ?? today;
  const from = asked ?? addDays(to, -(DEFAULT_RANGE_DAYS - 1));
  if (from > to) throw new BadQuery(`from (${from}) is after to (${to})`);
  const days = datesBetween(from, to).length;
  if (days > REPORT_RANGE_MAX_DAYS) throw new BadQuery(`a report covers at most ${REPORT_RANGE_MAX_DAYS} days (asked: ${days})`);
  const group = (typeof q.group === 'string' && q.group ? q.group : 'day') as ReportGroup;
  if (!GROUPS.includes(group)) throw new BadQuery(`group: one of ${GROUPS.join(', ')}`);
  return { from, to, group, queues: list(q.queue, 'queue'), teams: list(q.team, 'team'), agents: list(q.agent, 'agent') };
}

/** The report's tables as exported (XLSX sheets, CSV files), headers in English snake case like the day exports. */
export function reportTables(r: RangeReport): Record<'rows' | 'queues' | 'agents' | 'rules', ExportTable> {
  const figures = [
    { key: 'offered', header: 'offered', type: 'int' },
    { key: 'answered', header: 'answered', type: 'int' },
    { key: 'abandoned', header: 'abandoned', type: 'int' },
    { key: 'shortAbandoned', header: 'short_abandoned', type: 'int' },
    { key: 'transferredOut', header: 'transferred_out', type: 'int' },
    { key: 'serviceLevelPct', header: 'service_level_pct', type: 'pct' },
    { key: 'asaSec', header: 'asa_sec', type: 'sec' },
    { key: 'ahtSec', header: 'aht_sec', type: 'sec' },
    { key: 'maxWaitSec', header: 'longest_wait_sec', type: 'sec' },
  ] as const;
  const rows: ExportTable = {
    name: r.query.group.startsWith('interval') ? 'intervals' : r.query.group === 'week' ? 'weeks' : 'days',
    columns: [{ key: 'label', header: r.query.group.startsWith('interval') ? 'interval' : r.query.group, type: 'string' }, ...figures, { key: 'neededAgents', header: 'agents_needed', type: 'int' }, { key: 'breaches', header: 'breaches', type: 'int' }],
    rows: r.rows.map((x) => ({ ...x })),
  };
  const queues: ExportTable = { name: 'queues', columns: [{ key: 'queueId', header: 'queue', type: 'string' }, ...figures, { key: 'breaches', header: 'breaches', type: 'int' }, { key: 'warns', header: 'warnings', type: 'int' }], rows: r.queues.map((x) => ({ ...x })) };
  const agents: ExportTable = {
    name: 'agents',
    columns: [
      { key: 'agentId', header: 'agent_id', type: 'string' },
      { key: 'name', header: 'name', type: 'string' },
      { key: 'team', header: 'team', type: 'string' },
      { key: 'days', header: 'days', type: 'int' },
      { key: 'handled', header: 'handled', type: 'int' },
      { key: 'quota', header: 'quota', type: 'int' },
      { key: 'ahtSec', header: 'aht_sec', type: 'sec' },
      { key: 'holds', header: 'holds', type: 'int' },
      { key: 'holdSec', header: 'hold_sec', type: 'sec' },
      { key: 'ringNoAnswer', header: 'ring_no_answer', type: 'int' },
      { key: 'breaches', header: 'breaches', type: 'int' },
      { key: 'warns', header: 'warnings', type: 'int' },
      { key: 'breachesPer100', header: 'breaches_per_100_calls', type: 'number' },
    ],
    rows: r.agents.map((x) => ({ ...x })),
  };
  const rules: ExportTable = {
    name: 'rules',
    columns: [
      { key: 'rule', header: 'rule', type: 'string' },
      { key: 'warns', header: 'warnings', type: 'int' },
      { key: 'breaches', header: 'breaches', type: 'int' },
      { key: 'warnsPer100', header: 'warnings_per_100_calls', type: 'number' },
      { key: 'breachesPer100', header: 'breaches_per_100_calls', type: 'number' },
    ],
    rows: r.rules.map((x) => ({ ...x })),
  };
  return { rows, queues, agents, rules };
}

/** Mounts the range report, export and scorecard routes. */
export function mountReportRoutes(ctx: RouteContext): void {
  const { app } = ctx;

  /** The dates `from`..`to` as floor-local days, and today's live aggregate when they hold today. */
  function datesOf(from: string, to: string): { dates: DatedDay[]; today: DayAggregate | undefined } {
    const s = ctx.state();
    const dates: DatedDay[] = datesBetween(from, to).map((date) => ({ date, ...dayOfDate(date, s.config.timeZone) }));
    const today = dates.some((d) => d.startMs === s.dayStartMs) ? dayAggregate(s, s.dayStartMs, liveDayAlerts(s)) : undefined;
    return { dates, today };
  }

  /**
   * A scoped supervisor's report: a filter naming a queue, team or agent not theirs is refused
   * ({@link ScopeError}, 403); the report is limited to their queues and agents (shared/scope.ts).
   */
  function limitQuery(query: ReportQuery, f: ScopeFilter): ReportQuery {
    if (!f.restricted) return query;
    const queue = query.queues.find((q) => !f.queue(q));
    if (queue !== undefined) throw new ScopeError(`queue ${queue}`);
    const team = query.teams.find((t) => !f.team(t));
    if (team !== undefined) throw new ScopeError(`team ${team}`);
    const agent = query.agents.find((a) => !f.agent(a));
    if (agent !== undefined) throw new ScopeError(`agent ${agent}`);
    return { ...query, limit: f.limit() };
  }

  async function report(req: express.Request, res: express.Response): Promise<RangeReport> {
    const s = ctx.state();
    const query = limitQuery(readReportQuery(req.query, todayOf(s)), filterOfResponse(s, res));
    const { dates, today } = datesOf(query.from, query.to);
    const maxOccupancyPct = Math.round(s.config.workload.targetOccupancy * 1000) / 10;
    const r = await ctx.reports.answer({ kind: 'report', query, timeZone: s.config.timeZone, maxOccupancyPct }, dates, s.config, today);
    return r.answer as RangeReport;
  }

  function failed(res: express.Response, err: unknown) {
    if (err instanceof BadQuery || err instanceof RangeError) return res.status(400).json({ ok: false, error: err.message });
    if (err instanceof ScopeError) return res.status(403).json({ ok: false, error: err.message });
    if (err instanceof ReportError) {
      if (err.status === 503) res.set('Retry-After', '5');
      return res.status(err.status).json({ ok: false, error: err.message });
    }
    ctx.logger.error(`range report failed: ${(err as Error).message}`);
    return res.status(500).json({ ok: false, error: 'the report could not be built' });
  }

  app.get('/api/reports', ctx.requireSupervisor, async (req, res) => {
    try {
      res.json({ ok: true, data: await report(req, res) });
    } catch (err) {
      failed(res, err);
    }
  });

  app.get('/api/reports/export.xlsx', ctx.requireSupervisor, async (req, res) => {
    try {
      const r = await report(req, res);
      const t = reportTables(r);
      const buf = await tablesToXlsx([t.rows, t.queues, t.agents, t.rules], { timeZone: ctx.state().config.timeZone, title: `Floorwatch ${r.query.from} – ${r.query.to}` });
      res.type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet').attachment(`floorwatch-report-${r.query.from}-${r.query.to}.xlsx`).send(buf);
    } catch (err) {
      failed(res, err);
    }
  });

  app.get('/api/reports/export/:table.csv', ctx.requireSupervisor, async (req, res) => {
    const table = String(req.params.table);
    if (table !== 'rows' && table !== 'queues' && table !== 'agents' && table !== 'rules') return res.status(404).json({ ok: false, error: 'tables: rows, queues, agents, rules' });
    try {
      const r = await report(req, res);
      res.type('text/csv').attachment(`floorwatch-${table}-${r.query.from}-${r.query.to}.csv`);
      res.send(tableToCsv(reportTables(r)[table], { timeZone: ctx.state().config.timeZone }));
    } catch (err) {
      failed(res, err);
    }
  });

  // Signed-in users: a supervisor or admin any agent or team, an agent only themself.
  app.get('/api/scorecard', async (req, res) => {
    const p = ctx.principalOf(req);
    if (!p) return res.status(401).json({ ok: false, error: 'sign in first' });
    const agentOnly = p.kind === 'user' && p.role === 'agent';
    if (!agentOnly && p.role !== 'supervisor' && p.role !== 'admin') return res.status(403).json({ ok: false, error: `${anA(p.role)} may not do this` });
    res.locals.principal = p;
    try {
      const s = ctx.state();
      const q = readReportQuery({ from: req.query.from, to: req.query.to }, todayOf(s));
      let subject: ScorecardSubject;
      if (agentOnly) {
        const own = actor(res).kind === 'user' ? (actor(res) as { agentId: string | null }).agentId : null;
        if (!own) return res.status(403).json({ ok: false, error: 'your account is not bound to an agent' });
        const asked = typeof req.query.agent === 'string' && req.query.agent ? req.query.agent : own;
        if (asked !== own || req.query.team !== undefined) return res.status(403).json({ ok: false, error: 'agents see only their own scorecard' });
        subject = { kind: 'agent', agentId: own };
      } else if (typeof req.query.agent === 'string' && req.query.agent) subject = { kind: 'agent', agentId: req.query.agent.slice(0, 128) };
      else if (typeof req.query.team === 'string' && req.query.team) subject = { kind: 'team', team: req.query.team.slice(0, 128) };
      else return res.status(400).json({ ok: false, error: 'agent or team: whose scorecard' });
      // A scoped supervisor: their agents' scorecards, their teams' (with only queues: a team's agents of theirs).
      const f = filterOfResponse(s, res);
      if (f.restricted && subject.kind === 'agent' && !f.agent(subject.agentId)) throw new ScopeError(`agent ${subject.agentId}`);
      if (f.restricted && subject.kind === 'team') {
        if (!f.team(subject.team)) throw new ScopeError(`team ${subject.team}`);
        const agents = f.limit()?.agents;
        if (agents) subject = { ...subject, agents };
      }
      // Their alerts only: their agent's breach on a call of another queue is not on their card (nor in their feed).
      if (f.restricted) subject = { ...subject, queues: [...(f.queueIds() ?? [])].sort() };
      const span = datesBetween(q.from, q.to).length;
      const previousTo = addDays(q.from, -1);
      const previousFrom = addDays(previousTo, -(span - 1));
      // Both periods in one answer: one fold of the log at most.
      const { dates, today } = datesOf(previousFrom, q.to);
      const r = await ctx.reports.answer({ kind: 'scorecard', subject, period: { from: q.from, to: q.to, previousFrom, previousTo }, ringBreachAt: s.config.rules.ringBreachAt }, dates, s.config, today);
      const card = r.answer as Scorecard;
      // Worst calls in queues not theirs stay out (their agent may have taken one): they could not open them.
      if (f.restricted) card.worstCalls = card.worstCalls.filter((c) => c.queueId === null || f.queue(c.queueId));
      res.json({ ok: true, data: card });
    } catch (err) {
      failed(res, err);
    }
  });
}
