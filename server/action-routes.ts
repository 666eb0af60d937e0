/**
 * Supervisor actions from the floor (issue 19): pause/unpause an agent with a
 * reason, remove a member from a queue, and listen/whisper/barge on an
 * agent's live call by ringing the supervisor's own phone. The PBX does the
 * work (server/pbx-actions.ts; Asterisk: server/ami/actions.ts); these routes
 * hold the rules:
 *
 * - signed-in supervisors and admins only (an agent or a wallboard gets 403, and so
 *   do an API token and a demo visitor: an action on the phone system needs a
 *   person, named in the audit);
 * - scoped like everything else (server/scope-guard.ts): a scoped supervisor
 *   acts only on their agents, only in their queues (a pause names each of
 *   their queues the agent serves, never the agent's other queues; an
 *   unscoped one pauses in every queue, the PBX's own "all"), and listens only
 *   to a call of theirs;
 * - every action tried is audited (`action.<kind>`: who, the agent, the
 *   queues, the reason, the PBX's answer);
 * - when the PBX cannot act (no link, permission refused) the answer is 503
 *   with `unavailable: true`, and `GET /api/actions/status` says so until the
 *   PBX can again: the floor greys its buttons rather than failing per click.
 *
 * Answers: 200 `{ ok: true, data: { kind, agentId, queues, message } }`; 400 bad
 * body or no extension set; 403 role or scope; 404 agent not on the floor or
 * unknown to the PBX; 409 the PBX refused this one (not a member, a static
 * member) or no live call to join; 503 unavailable; 504 no answer in time.
 */
import express, { type Request, type Response } from 'express';
import { actor, type RouteContext } from './context.ts';
import { filterOfResponse, refuseOutOfScope } from './scope-guard.ts';
import type { PbxActionKind, PbxActionResult, PbxActions, PbxActionsStatus, SpyMode } from './pbx-actions.ts';
import { AWAY_REASON_MAX_CHARS } from '../shared/away.ts';
import { markExpectedAnswer } from './logging.ts';

/** The status when no PBX can be acted on (no `--ami`): the floor shows the actions unavailable. */
export const NO_PBX_STATUS: PbxActionsStatus = { pbx: 'none', available: false, reason: 'no PBX to act on: start Floorwatch with --ami (see the README, "Supervisor actions")', kinds: [] };

/** Longest agent or queue id accepted: the feed's own id limit. */
const ID_MAX = 128;

const HTTP_OF: Record<Exclude<PbxActionResult, { ok: true }>['reason'], number> = { unavailable: 503, refused: 409, 'unknown-agent': 404, timeout: 504 };

/** What an action was done to, as audited and answered: the agent, and the queues, reason, call or phone it named. */
interface ActionTarget {
  agentId: string;
  /** A pause's queues: the scoped supervisor's, or (with `allQueues`) every queue the floor knew the agent in when asked. */
  queues?: string[];
  /** A pause asked of the PBX in every queue of the agent (an unscoped supervisor), whatever `queues` lists. */
  allQueues?: boolean;
  queueId?: string;
  reason?: string;
  callId?: string;
  extension?: string;
}

function id(v: unknown): string | undefined {
  // eslint-disable-next-line no-control-regex
  return typeof v === 'string' && v.trim() !== '' && v.length <= ID_MAX && !/[\u0000-\u001f\u007f]/.test(v) ? v.trim() : undefined;
}

export function mountActionRoutes(ctx: RouteContext, pbx: () => PbxActions | undefined): void {
  const { app, log, clock } = ctx;
  const json = express.json({ limit: '4kb' });

  app.get('/api/actions/status', ctx.requireSupervisor, (_req, res) => {
    res.json({ ok: true, data: pbx()?.status() ?? NO_PBX_STATUS });
  });

  /** Writes the audit entry of an action tried and answers with its result. */
  async function finish(res: Response, kind: PbxActionKind, target: ActionTarget, result: PbxActionResult): Promise<void> {
    const who = actor(res).username;
    await log.appendAudit({
      atMs: clock.now(),
      actor: who,
      action: `action.${kind}`,
      after: { ...target, pbx: pbx()?.status().pbx ?? NO_PBX_STATUS.pbx, result: result.ok ? 'ok' : result.reason, ...(result.message ? { message: result.message.slice(0, 300) } : {}) },
    });
    if (result.ok) {
      res.json({ ok: true, data: { kind, ...target, message: result.message ?? null } });
      return;
    }
    // Unavailable (503) or no answer from the PBX (504) is the PBX's answer, not a fault of ours: logged at warn.
    if (HTTP_OF[result.reason] >= 500) markExpectedAnswer(res);
    res.status(HTTP_OF[result.reason]).json({ ok: false, error: result.message, reason: result.reason, ...(result.reason === 'unavailable' ? { unavailable: true } : {}) });
  }

  /** The agent of the body, in the asker's scope; answers (and returns undefined) otherwise. */
  function agentOf(req: Request, res: Response): string | undefined {
    if (actor(res).kind !== 'user') {
      res.status(403).json({ ok: false, error: 'only a signed-in supervisor or admin may act on the phone system (not a token or a demo visitor)' });
      return undefined;
    }
    const agentId = id((req.body as { agentId?: unknown } | undefined)?.agentId);
    if (agentId === undefined) {
      res.status(400).json({ ok: false, error: `agentId: the agent's id (text of at most ${ID_MAX} characters)` });
      return undefined;
    }
    const f = filterOfResponse(ctx.state(), res);
    if (f.restricted && !f.agent(agentId)) {
      refuseOutOfScope(res, `agent ${agentId.slice(0, 64)}`);
      return undefined;
    }
    if (!ctx.state().agents.has(agentId)) {
      res.status(404).json({ ok: false, error: `no agent ${agentId.slice(0, 64)} on the floor` });
      return undefined;
    }
    return agentId;
  }

  /** The PBX, or the unavailable answer (audited: the supervisor did try). */
  async function pbxOr503(res: Response, kind: PbxActionKind, target: ActionTarget): Promise<PbxActions | undefined> {
    const p = pbx();
    const st = p?.status() ?? NO_PBX_STATUS;
    if (p && st.available && st.kinds.includes(kind)) return p;
    await finish(res, kind, target, { ok: false, reason: 'unavailable', message: st.available ? `${st.pbx} cannot ${kind}` : (st.reason ?? 'actions unavailable') });
    return undefined;
  }

  for (const kind of ['pause', 'unpause'] as const) {
    app.post(`/api/actions/${kind}`, ctx.requireSupervisor, json, async (req, res, next) => {
      try {
        const agentId = agentOf(req, res);
        if (agentId === undefined) return;
        const rawReason = (req.body as { reason?: unknown }).reason;
        if (rawReason !== undefined && rawReason !== null && typeof rawReason !== 'string') return res.status(400).json({ ok: false, error: 'reason: text' });
        // eslint-disable-next-line no-control-regex
        const reason = kind === 'pause' && typeof rawReason === 'string' ? rawReason.replace(/[\u0000-\u001f\u007f]/g, ' ').trim().slice(0, AWAY_REASON_MAX_CHARS) : '';
        // A scoped supervisor: each of their queues the agent serves (never the agent's others); else every queue.
        const f = filterOfResponse(ctx.state(), res);
        const served = ctx.state().agents.get(agentId)?.queues ?? [];
        let queues: string[] | undefined;
        if (f.restricted) {
          queues = served.filter((q) => f.queue(q));
          if (queues.length === 0) return refuseOutOfScope(res, `agent ${agentId.slice(0, 64)} serves none of your queues`);
        }
        // The PBX is asked for "every queue" (queues undefined), but the audit names them as the floor knows them now.
        const target = { agentId, queues: queues ?? [...served], ...(queues ? {} : { allQueues: true }), ...(reason ? { reason } : {}) };
        const p = await pbxOr503(res, kind, target);
        if (!p) return;
        await finish(res, kind, target, await p.pause({ agentId, paused: kind === 'pause', queues, reason: reason || undefined }));
      } catch (err) {
        next(err);
      }
    });
  }

  app.post('/api/actions/remove', ctx.requireSupervisor, json, async (req, res, next) => {
    try {
      const agentId = agentOf(req, res);
      if (agentId === undefined) return;
      const queueId = id((req.body as { queueId?: unknown }).queueId);
      if (queueId === undefined) return res.status(400).json({ ok: false, error: `queueId: the queue to remove the agent from (text of at most ${ID_MAX} characters)` });
      const f = filterOfResponse(ctx.state(), res);
      if (f.restricted && !f.queue(queueId)) return refuseOutOfScope(res, `queue ${queueId.slice(0, 64)}`);
      const target = { agentId, queueId };
      const p = await pbxOr503(res, 'remove', target);
      if (!p) return;
      await finish(res, 'remove', target, await p.remove({ agentId, queueId }));
    } catch (err) {
      next(err);
    }
  });

  for (const mode of ['listen', 'whisper', 'barge'] as const satisfies readonly SpyMode[]) {
    app.post(`/api/actions/${mode}`, ctx.requireSupervisor, json, async (req, res, next) => {
      try {
        const agentId = agentOf(req, res);
        if (agentId === undefined) return;
        const s = ctx.state();
        const callId = s.agents.get(agentId)?.callId;
        const call = callId === undefined ? undefined : s.calls.get(callId);
        const f = filterOfResponse(s, res);
        // Their agent's call in another queue is not theirs to hear.
        if (call && f.restricted && !f.call(call)) return refuseOutOfScope(res, `the call of agent ${agentId.slice(0, 64)}`);
        if (!call || (call.status !== 'talking' && call.status !== 'hold')) return res.status(409).json({ ok: false, error: `agent ${agentId.slice(0, 64)} is not on a call now`, reason: 'no-call' });
        const p0 = actor(res);
        const extension = p0.kind === 'user' ? ctx.auth.getUser(p0.userId)?.extension : undefined;
        if (!extension) return res.status(400).json({ ok: false, error: 'set your phone extension on your account page first: the PBX rings it to connect you to the call', reason: 'no-extension' });
        const target = { agentId, callId: call.callId, extension };
        const p = await pbxOr503(res, mode, target);
        if (!p) return;
        await finish(res, mode, target, await p.spy({ agentId, mode, extension, supervisor: p0.username }));
      } catch (err) {
        next(err);
      }
    });
  }
}
