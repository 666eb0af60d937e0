/**
 * Supervisor actions and reports over HTTP: acknowledge/reopen alerts, post
 * to the wallboard ticker, send an agent a private note, read and change the
 * settings, and today's (or a past day's) tables as JSON or CSV. A past
 * day's tables come from the report worker and its cache (report-cache.ts).
 */
import express from 'express';
import { parseConfig } from '../shared/config.ts';
import { selectDayTables } from '../shared/selectors.ts';
import { localDay } from '../shared/time.ts';
import { actor, toCsv, type RouteContext } from './context.ts';
import { actOnAlert, readAlertRequest } from './alert-commands.ts';
import { ReportError } from './report-cache.ts';
import type { DayTables } from './report-worker.ts';
import { filterOfResponse, refuseOutOfScope, ScopeError } from './scope-guard.ts';
import { outsideAlertCounts, scopeAgentDayAlerts, scopeAgentView, scopeConfig, type ScopeFilter } from '../shared/scope.ts';

const DATE = /^\d{4}-\d{2}-\d{2}$/;

function text(body: unknown, field: string, max = 500): string | { error: string } {
  const v = (body as Record<string, unknown> | undefined)?.[field];
  if (typeof v !== 'string' || !v.trim()) return { error: `${field}: required text` };
  if (v.length > max) return { error: `${field}: at most ${max} characters` };
  return v.trim();
}

export function mountFloorRoutes(ctx: RouteContext): void {
  const { app, log, clock } = ctx;
  const json = express.json({ limit: '256kb' });

  for (const action of ['acknowledge', 'reopen'] as const) {
    app.post(`/api/alerts/:id/${action === 'acknowledge' ? 'ack' : 'reopen'}`, ctx.requireSupervisor, json, async (req, res) => {
      const r = readAlertRequest({ alertId: String(req.params.id), note: (req.body as { note?: unknown } | undefined)?.note });
      if (typeof r === 'string') return res.status(400).json({ ok: false, error: r });
      try {
        res.json({ ok: true, data: await actOnAlert({ record: ctx.record, state: ctx.state, log, now: () => clock.now(), logger: ctx.logger }, action, r, actor(res)) });
      } catch (err) {
        res.status(err instanceof ScopeError ? 403 : 404).json({ ok: false, error: (err as Error).message });
      }
    });
  }

  app.post('/api/ticker', ctx.requireSupervisor, json, async (req, res) => {
    // The ticker is the whole floor's (every wallboard shows it): a supervisor limited to some queues and teams does not post to it.
    if (filterOfResponse(ctx.state(), res).restricted) return refuseOutOfScope(res, 'the ticker is the whole floor’s');
    const t = text(req.body, 'text', 200);
    if (typeof t !== 'string') return res.status(400).json({ ok: false, ...t });
    const minutes = (req.body as { minutes?: unknown }).minutes;
    if (minutes !== undefined && (typeof minutes !== 'number' || minutes <= 0 || minutes > 24 * 60)) {
      return res.status(400).json({ ok: false, error: 'minutes: a number of minutes up to 1440' });
    }
    // A supervisor's action happens at the server's real time, whatever the feed's clock.
    const untilMs = typeof minutes === 'number' ? Math.round(clock.now() + minutes * 60_000) : undefined;
    const [e] = await ctx.record([{ type: 'ticker.posted', text: t, by: actor(res).username, ...(untilMs ? { untilMs } : {}) }]);
    await log.appendAudit({ atMs: clock.now(), actor: actor(res).username, action: 'ticker.post', after: { text: t, untilMs } });
    res.status(201).json({ ok: true, data: e });
  });

  app.post('/api/agents/:agentId/notes', ctx.requireSupervisor, json, async (req, res) => {
    const t = text(req.body, 'text');
    if (typeof t !== 'string') return res.status(400).json({ ok: false, ...t });
    const agentId = String(req.params.agentId);
    // A scoped supervisor writes to their agents only (an unknown agent included: the answer tells nothing of others).
    const f = filterOfResponse(ctx.state(), res);
    if (f.restricted && !f.agent(agentId)) return refuseOutOfScope(res, `agent ${agentId.slice(0, 64)}`);
    if (!ctx.state().agents.has(agentId)) return res.status(404).json({ ok: false, error: `no agent ${agentId.slice(0, 64)} on the floor` });
    const [e] = await ctx.record([{ type: 'agent.noted', agentId, text: t, by: actor(res).username }]);
    await log.appendAudit({ atMs: clock.now(), actor: actor(res).username, action: 'agent.note', after: { agentId, text: t } });
    res.status(201).json({ ok: true, data: e });
  });

  app.get('/api/settings', ctx.requireSupervisor, (_req, res) => {
    // A scoped supervisor sees the floor's thresholds and the overrides of their queues and teams only.
    res.json({ ok: true, data: scopeConfig(ctx.state().config, filterOfResponse(ctx.state(), res)) });
  });

  app.put('/api/settings', ctx.requireAdmin, json, async (req, res, next) => {
    try {
      const r = parseConfig(req.body);
      if (!r.ok) return res.status(400).json({ ok: false, error: r.error });
      await ctx.setConfig(r.config, actor(res).username);
      res.json({ ok: true, data: r.config });
    } catch (err) {
      next(err);
    }
  });

  /**
   * Today's tables from the live state; a past day's from the report worker (report-cache.ts), which
   * folds the log as the live run did (each event at its receive time) off the event loop and keeps
   * the result per closed day. Throws a {@link ReportError}: 404 for a day not yet come or without
   * events, 503 when the worker failed or is too busy.
   */
  async function dayTables(date: string | undefined): Promise<DayTables> {
    const s = ctx.state();
    if (!date) return selectDayTables(s);
    const noon = Date.parse(`${date}T12:00:00Z`);
    if (!Number.isFinite(noon)) throw new ReportError(`${date} is not a date`, 404);
    const day = localDay(noon, s.config.timeZone);
    if (day.startMs === s.dayStartMs) return selectDayTables(s);
    if (day.startMs > s.dayStartMs) throw new ReportError(`${date} has not happened yet`, 404);
    return ctx.reports.get(day, s.config);
  }

  /** The answer for a report that could not be given: its status (503s with a hint when to retry), never a stack trace. */
  function reportFailed(res: express.Response, err: unknown) {
    if (err instanceof ReportError) {
      if (err.status === 503) res.set('Retry-After', '5');
      return res.status(err.status).json({ ok: false, error: err.message });
    }
    ctx.logger.error(`report failed: ${(err as Error).message}`);
    return res.status(500).json({ ok: false, error: 'the report could not be built' });
  }

  /**
   * A day's tables as a scoped supervisor may see them: their queues' rows and their agents' rows
   * (by the agents' teams and queues now; shared/scope.ts), their other queues left out of each agent's,
   * and each agent's alerts counting only theirs (the live day's from the floor, a past day's less the
   * day's alert counts they may not see). The day's alert counts a past day carries are never sent.
   */
  function scopedTables(tables: DayTables, f: ScopeFilter): DayTables {
    const { alerts, ...t } = tables;
    if (!f.restricted) return t;
    const s = ctx.state();
    const live = t.day.startMs === s.dayStartMs;
    // A past day: its alert counts naming an agent that the feed's predicate refuses (an agent of theirs, another queue's call).
    const outside = live ? undefined : outsideAlertCounts(alerts ?? [], (c) => f.alert(c));
    const agents = t.agents.filter((a) => f.agentOf(a.team, a.queues)).map((a) => scopeAgentView(a, f, s, live));
    return { ...t, queues: t.queues.filter((q) => f.queue(q.queueId)), agents: outside ? agents.map((a) => scopeAgentDayAlerts(a, outside.get(a.agentId))) : agents };
  }

  app.get('/api/report', ctx.requireSupervisor, async (req, res) => {
    const date = typeof req.query.date === 'string' && req.query.date ? req.query.date : undefined;
    if (date !== undefined && !DATE.test(date)) return res.status(400).json({ ok: false, error: 'date: YYYY-MM-DD' });
    try {
      res.json({ ok: true, data: scopedTables(await dayTables(date), filterOfResponse(ctx.state(), res)) });
    } catch (err) {
      reportFailed(res, err);
    }
  });

  app.get('/api/export/:table.csv', ctx.requireSupervisor, async (req, res) => {
    const table = String(req.params.table);
    if (table !== 'agents' && table !== 'queues') return res.status(404).json({ ok: false, error: 'tables: agents, queues' });
    const date = typeof req.query.date === 'string' && req.query.date ? req.query.date : undefined;
    if (date !== undefined && !DATE.test(date)) return res.status(400).json({ ok: false, error: 'date: YYYY-MM-DD' });
    let t;
    try {
      t = scopedTables(await dayTables(date), filterOfResponse(ctx.state(), res));
    } catch (err) {
      return reportFailed(res, err);
    }
    const label = date ?? new Date(t.day.startMs + 12 * 3_600_000).toISOString().slice(0, 10);
    res.type('text/csv').attachment(`floorwatch-${table}-${label}.csv`);
    if (table === 'queues') {
      return res.send(
        toCsv(
          ['queue', 'offered', 'answered', 'abandoned', 'short_abandoned', 'transferred_out', 'end_lost', 'service_level_pct', 'asa_sec', 'aht_sec', 'max_wait_sec'],
          t.queues.map((q) => [q.queueId, q.offered, q.answered, q.abandoned, q.shortAbandoned, q.transferredOut, q.endLost, q.serviceLevelPct, q.asaSec, q.ahtSec, q.maxWaitSec]),
        ),
      );
    }
    const breaches = (a: (typeof t.agents)[number]) => Object.values(a.alertsByRule).reduce((n, c) => n + (c?.breach ?? 0), 0);
    const warns = (a: (typeof t.agents)[number]) => Object.values(a.alertsByRule).reduce((n, c) => n + (c?.warn ?? 0), 0);
    res.send(
      toCsv(
        ['agent_id', 'name', 'team', 'handled', 'quota', 'aht_sec', 'holds', 'hold_sec', 'ring_no_answer', 'ring_canceled', 'breaches', 'warnings'],
        t.agents.map((a) => [a.agentId, a.name, a.team, a.handled, a.quota, a.ahtSec, a.holds, a.holdSec, a.ringNoAnswer, a.ringCanceled, breaches(a), warns(a)]),
      ),
    );
  });
}
