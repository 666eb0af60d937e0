/**
 * The admin's notification API, `/api/admin/notify/…`: channels (secrets
 * write-only: shown as "set" / "not set"), routing and escalation, delivery
 * records, and a test message per channel. Admins only, checked on every
 * request; every change is written to the audit trail without its secrets.
 */
import { randomBytes } from 'node:crypto';
import express from 'express';
import type { z } from 'zod';
import { actor, type RouteContext } from '../context.ts';
import type { Notifier } from './dispatcher.ts';
import type { NotifyStore } from './store.ts';
import { channelInputSchema, publicChannel, routingSchema, type Channel } from './types.ts';
import { webhookUrlProblem } from './webhook.ts';

/** The route context plus the notification store and the notifier. */
export interface NotifyRouteContext extends Pick<RouteContext, 'app' | 'log' | 'clock' | 'requireAdmin'> {
  store: NotifyStore;
  notifier: Notifier;
}

function zodError(err: z.ZodError): string {
  return err.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
}

/** A channel from a request body: validated, with the stored secret kept when the body leaves it out and cleared by `''`. */
function channelFrom(body: unknown, id: string, nowMs: number, before: Channel | undefined): Channel | string {
  const parsed = channelInputSchema.safeParse(body);
  if (!parsed.success) return zodError(parsed.error);
  const input = parsed.data;
  if (before && before.kind !== input.kind) return 'kind: a channel keeps its kind (delete it and add a new one)';
  if (input.kind === 'webhook') {
    const problem = webhookUrlProblem(input.url);
    if (problem) return problem;
  }
  const ch = { ...input, id, createdAtMs: before?.createdAtMs ?? nowMs, updatedAtMs: nowMs } as Channel;
  if (ch.kind === 'email') {
    const old = before?.kind === 'email' ? before.password : undefined;
    if (ch.password === undefined && old) ch.password = old;
    if (ch.password === '') delete ch.password;
  } else {
    const old = before?.kind === 'webhook' ? before.secret : undefined;
    if (ch.secret === undefined && old) ch.secret = old;
    if (ch.secret === '') delete ch.secret;
  }
  return ch;
}

/** Mounts the routes. */
export function mountNotifyRoutes(ctx: NotifyRouteContext): void {
  const { app, store, notifier, log, clock } = ctx;
  const json = express.json({ limit: '256kb' });
  const base = '/api/admin/notify';
  const audit = (who: string, action: string, before?: unknown, after?: unknown) => log.appendAudit({ atMs: clock.now(), actor: who, action, before, after });

  app.get(`${base}/channels`, ctx.requireAdmin, async (_req, res, next) => {
    try {
      res.json({ ok: true, data: (await store.listChannels()).map(publicChannel) });
    } catch (err) {
      next(err);
    }
  });

  app.post(`${base}/channels`, ctx.requireAdmin, json, async (req, res, next) => {
    try {
      const ch = channelFrom(req.body, `ch-${randomBytes(6).toString('hex')}`, clock.now(), undefined);
      if (typeof ch === 'string') return res.status(400).json({ ok: false, error: ch });
      await store.putChannel(ch);
      await audit(actor(res).username, 'notify.channel-create', undefined, publicChannel(ch));
      res.status(201).json({ ok: true, data: publicChannel(ch) });
    } catch (err) {
      next(err);
    }
  });

  app.put(`${base}/channels/:id`, ctx.requireAdmin, json, async (req, res, next) => {
    try {
      const before = await store.getChannel(String(req.params.id));
      if (!before) return res.status(404).json({ ok: false, error: 'no such channel' });
      const ch = channelFrom(req.body, before.id, clock.now(), before);
      if (typeof ch === 'string') return res.status(400).json({ ok: false, error: ch });
      await store.putChannel(ch);
      await audit(actor(res).username, 'notify.channel-update', publicChannel(before), publicChannel(ch));
      res.json({ ok: true, data: publicChannel(ch) });
    } catch (err) {
      next(err);
    }
  });

  app.delete(`${base}/channels/:id`, ctx.requireAdmin, async (req, res, next) => {
    try {
      const before = await store.getChannel(String(req.params.id));
      if (!before || !(await store.deleteChannel(before.id))) return res.status(404).json({ ok: false, error: 'no such channel' });
      await audit(actor(res).username, 'notify.channel-delete', publicChannel(before));
      res.json({ ok: true, data: { id: before.id } });
    } catch (err) {
      next(err);
    }
  });

  app.post(`${base}/channels/:id/test`, ctx.requireAdmin, async (req, res, next) => {
    try {
      const ch = await store.getChannel(String(req.params.id));
      if (!ch) return res.status(404).json({ ok: false, error: 'no such channel' });
      const record = await notifier.sendTest(ch);
      await audit(actor(res).username, 'notify.channel-test', undefined, { channelId: ch.id, status: record.status, lastError: record.lastError });
      res.json({ ok: true, data: record });
    } catch (err) {
      next(err);
    }
  });

  app.get(`${base}/routing`, ctx.requireAdmin, async (_req, res, next) => {
    try {
      res.json({ ok: true, data: await store.loadRouting() });
    } catch (err) {
      next(err);
    }
  });

  app.put(`${base}/routing`, ctx.requireAdmin, json, async (req, res, next) => {
    try {
      const parsed = routingSchema.safeParse(req.body);
      if (!parsed.success) return res.status(400).json({ ok: false, error: zodError(parsed.error) });
      const routing = parsed.data;
      const ids = new Set((await store.listChannels()).map((c) => c.id));
      const seen = new Set<string>();
      for (const r of routing.routes) {
        if (seen.has(r.id)) return res.status(400).json({ ok: false, error: `routes: the id "${r.id}" is used twice` });
        seen.add(r.id);
        const unknown = r.channelIds.find((c) => !ids.has(c));
        if (unknown) return res.status(400).json({ ok: false, error: `routes.${r.id}: no channel "${unknown}"` });
      }
      const before = await store.loadRouting();
      await store.saveRouting(routing);
      await audit(actor(res).username, 'notify.routing-update', before, routing);
      res.json({ ok: true, data: routing });
    } catch (err) {
      next(err);
    }
  });

  app.get(`${base}/deliveries`, ctx.requireAdmin, async (req, res, next) => {
    try {
      const limit = Math.min(Math.max(1, Number(req.query.limit) || 200), 5_000);
      res.json({ ok: true, data: await store.listDeliveries(limit) });
    } catch (err) {
      next(err);
    }
  });
}
