/**
 * `POST /api/what-if` (supervisors and admins): past days replayed from the log
 * with the floor's settings and with candidate ones, compared (shared/what-if.ts,
 * run on a worker by server/what-if.ts). The body:
 *
 *   { "from": "YYYY-MM-DD", "to": "YYYY-MM-DD",
 *     "set": { "hold-long.warnSec": 60, "disabled+": ["speakerphone"] } }   // or
 *     "set": ["hold-long.warnSec=60", "queues.sales.rules.holdLongWarnSec=90"] // or
 *     "config": { …a whole candidate configuration… }
 *
 * The starting configuration is the live floor's current one (as past-day
 * reports start from it). Answers 400 with the reason for a bad range or
 * setting, 503 with Retry-After while another what-if runs or when the run
 * failed. Applying the candidate is the normal audited settings change
 * (`PUT /api/settings`, admins only): the answer carries `candidateConfig`.
 */
import express from 'express';
import type { EngineLimits } from '../shared/engine.ts';
import { readChanges, WhatIfError } from '../shared/what-if.ts';
import type { RouteContext } from './context.ts';
import { WhatIfBusyError, WhatIfFailedError, WhatIfService } from './what-if.ts';
import { filterOfResponse } from './scope-guard.ts';
import { scopeConfig } from '../shared/scope.ts';

/** What the routes need besides the usual context: the live floor's engine limits (the replay closes stale calls as it did). */
export interface WhatIfRouteContext extends RouteContext {
  engineLimits?: Partial<EngineLimits>;
  /** For tests: a shorter run limit. */
  whatIfTimeoutMs?: number;
}

/** Mounts the route; returns the service, to be closed with the server. */
export function mountWhatIfRoutes(ctx: WhatIfRouteContext): WhatIfService {
  const service = new WhatIfService({ log: ctx.log, logger: ctx.logger, engineLimits: ctx.engineLimits, timeoutMs: ctx.whatIfTimeoutMs });
  const json = express.json({ limit: '256kb' });

  ctx.app.post('/api/what-if', ctx.requireSupervisor, json, async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (typeof body !== 'object' || Array.isArray(body)) return res.status(400).json({ ok: false, error: 'body: expected { from, to, set } as JSON' });
    for (const k of ['from', 'to'] as const) {
      if (typeof body[k] !== 'string' || !body[k]) return res.status(400).json({ ok: false, error: `${k}: required, YYYY-MM-DD` });
    }
    const unknown = Object.keys(body).filter((k) => !['from', 'to', 'set', 'config'].includes(k));
    if (unknown.length) return res.status(400).json({ ok: false, error: `unknown field ${unknown.join(', ')}: expected from, to, and set or config` });
    const config = ctx.state().config;
    const changes = readChanges({ set: body.set, config: body.config }, config);
    if (!changes.ok) return res.status(400).json({ ok: false, error: changes.error });
    // A scoped supervisor's run counts and shows their queues' and agents' alerts only, and their part of the settings (shared/scope.ts).
    const f = filterOfResponse(ctx.state(), res);
    const scope = f.limit();
    try {
      const { result, ms } = await service.run({ config, changes: changes.changes, from: body.from as string, to: body.to as string, nowMs: ctx.clock.now(), ...(scope ? { scope } : {}) });
      const shown = f.restricted ? { ...result, baselineConfig: scopeConfig(result.baselineConfig, f), candidateConfig: scopeConfig(result.candidateConfig, f) } : result;
      res.json({ ok: true, data: { ...shown, ms } });
    } catch (err) {
      if (err instanceof WhatIfError) return res.status(400).json({ ok: false, error: err.message });
      if (err instanceof WhatIfBusyError || err instanceof WhatIfFailedError) {
        res.set('Retry-After', err instanceof WhatIfBusyError ? '10' : '5');
        return res.status(503).json({ ok: false, error: err.message });
      }
      ctx.logger.error(`what-if failed: ${(err as Error).message}`);
      res.status(500).json({ ok: false, error: 'the what-if could not be run' });
    }
  });
  return service;
}
