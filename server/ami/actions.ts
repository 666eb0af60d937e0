/**
 * Supervisor actions on Asterisk over AMI (server/pbx-actions.ts), on the
 * link the AMI input already holds (server/ami/client.ts `request`: one
 * action, its ActionID, the response matched by it; no retry).
 *
 * The actions, as Asterisk documents them (checked against asterisk/asterisk
 * apps/app_queue.c, main/manager.c and apps/app_chanspy.c):
 * - `QueuePause` (Interface, Paused `true`/`false`, Queue optional: without it
 *   the member is paused in every queue it is a member of; Reason, which
 *   Asterisk repeats as `PausedReason` on the member events the adapter reads).
 *   Registered with EVENT_FLAG_AGENT: the manager.conf user needs `write = agent`.
 *   Answers "Interface paused successfully" / "Interface not found".
 * - `QueueRemove` (Queue, Interface), EVENT_FLAG_AGENT. Answers "Removed
 *   interface from queue", or "Unable to remove interface: Not there", "…: No
 *   such queue", "Member not dynamic" (a member of queues.conf cannot be removed
 *   at run time).
 * - `Originate` (EVENT_FLAG_ORIGINATE: `write = originate`) of the supervisor's
 *   phone (`Channel`) into the application `ChanSpy` with `Data`
 *   `<member interface>-,<options>`: ChanSpy spies on channels whose name begins
 *   with the prefix (the trailing `-` keeps `PJSIP/1001` from matching
 *   `PJSIP/10010-…`); options `q` (no beep, no name spoken), `w` (whisper: the
 *   spy talks to the spied-on channel, the agent) and `B` (barge: talks to both
 *   channels of the call). `Async: true` answers "Originate successfully queued"
 *   at once (the phone rings afterwards; its OriginateResponse event follows)
 *   instead of holding the answer until the supervisor picks up. ChanSpy is not
 *   among the applications Originate reserves for `system` (manager.c's
 *   originate_app_permissions), so `originate` suffices.
 *   The README asks for `write = call,agent,originate`: these three actions need
 *   `agent` and `originate`; `call` (Redirect, Hangup) is for what a supervisor
 *   will expect next, and issue 19 names the three together.
 *
 * Any action the manager user may not send is answered `Response: Error`,
 * `Message: Permission denied` (manager.c process_message). That, or no link,
 * makes the actions unavailable (status) until the next login, and further
 * requests are answered so without writing to the PBX: one refusal, not a storm.
 */
import type { PauseRequest, PbxActionKind, PbxActionResult, PbxActions, PbxActionsStatus, RemoveRequest, SpyMode, SpyRequest } from '../pbx-actions.ts';
import { isPlainExtension, parseExtension } from '../../shared/extension.ts';
import type { AmiActionAnswer } from './client.ts';

/** The part of the AMI client the actions use (the real one, or a test's). */
export interface AmiActionLink {
  request(fields: Record<string, string>, timeoutMs?: number, eventWaitMs?: number): Promise<AmiActionAnswer>;
  readonly stats: { connected: boolean; logins: number };
  readonly adapter: { interfaceOf(agentId: string): string | undefined };
}

/** How an extension of digits is dialled by default: chan_pjsip, Asterisk's SIP channel since 12 (chan_sip left in 21). */
export const DEFAULT_DIAL_TEMPLATE = 'PJSIP/{ext}';

/**
 * Reads `--ami-dial`: a dial string with `{ext}` where the extension goes (`PJSIP/{ext}`, `SIP/{ext}`,
 * `Local/{ext}@from-internal`); throws a readable error otherwise.
 */
export function parseDialTemplate(text: string): string {
  const tpl = text.trim();
  if (!tpl.includes('{ext}') || !parseExtension(tpl.replaceAll('{ext}', '2001')).ok || isPlainExtension(tpl.replaceAll('{ext}', '2001'))) {
    throw new Error(`--ami-dial: a dial string with {ext} where the extension goes, e.g. PJSIP/{ext} or Local/{ext}@from-internal; got "${text.slice(0, 60)}"`);
  }
  return tpl;
}

export interface AmiActionsOptions {
  /** How a plain extension (`2001`) is dialled: `{ext}` is replaced (default `PJSIP/{ext}`, chan_pjsip being Asterisk's SIP channel since 12). */
  dialTemplate?: string;
  /** How long the supervisor's phone rings before the Originate gives up, ms (default 30 s). */
  ringTimeoutMs?: number;
  /** How long an action waits for Asterisk's response, ms (default the client's, 10 s). */
  actionTimeoutMs?: number;
  /**
   * How long listen/whisper/barge wait, after "Originate successfully queued", for the OriginateResponse
   * event, ms (default 2 s; 0: not at all): a failure within it (the phone unreachable, busy, rejected)
   * is answered `refused` with Asterisk's reason. A phone that rings unanswered fails only after
   * `ringTimeoutMs`, well after the answer: that failure is not reported (README, "Supervisor actions").
   */
  originateWaitMs?: number;
  now?: () => number;
}

/**
 * OriginateResponse `Reason`: the last control frame the dialled channel gave (include/asterisk/frame.h
 * AST_CONTROL_*; 0 when it could not be reached at all, as Asterisk's developers describe it).
 */
const ORIGINATE_REASONS: Readonly<Record<string, string>> = {
  '0': 'the phone could not be reached (unregistered or unknown)',
  '1': 'the phone hung up',
  '3': 'the phone rang but was not answered',
  '5': 'the phone is busy',
  '8': 'the phone could not be reached (congestion)',
};

/** ChanSpy's options per mode: always quiet (`q`), whisper `w`, barge `B` (app_chanspy.c). */
export const CHANSPY_OPTIONS: Readonly<Record<SpyMode, string>> = { listen: 'q', whisper: 'qw', barge: 'qB' };

const KINDS: PbxActionKind[] = ['pause', 'unpause', 'remove', 'listen', 'whisper', 'barge'];
/** Asterisk's text when the manager user lacks the action's class (manager.c). */
const PERMISSION_DENIED = /permission denied|access forbidden/i;

/** The ChanSpy channel prefix of a member interface: `Local/1001@agents/n` → `Local/1001@agents-`, `PJSIP/1001` → `PJSIP/1001-`. */
export function spyPrefix(iface: string): string {
  const local = /^(Local\/[^/]+)\/[A-Za-z]*$/i.exec(iface);
  return `${local ? local[1] : iface}-`;
}

/** Text safe inside an AMI `CallerID` header's quoted name. */
function callerName(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f"<>\\]/g, '').slice(0, 40);
}

export class AmiActions implements PbxActions {
  /** The permission refusal and the login it came on: cleared by a later login. */
  private refused: { atMs: number; message: string; login: number } | undefined;
  private readonly now: () => number;

  constructor(
    private readonly link: AmiActionLink,
    private readonly opts: AmiActionsOptions = {},
  ) {
    this.now = opts.now ?? (() => Date.now());
  }

  status(): PbxActionsStatus {
    const base = { pbx: 'asterisk', kinds: [...KINDS] };
    if (this.refused && this.refused.login !== this.link.stats.logins) this.refused = undefined;
    if (!this.link.stats.connected) return { ...base, available: false, reason: 'not connected to the Asterisk Manager Interface' };
    if (this.refused) return { ...base, available: false, reason: `Asterisk refused: ${this.refused.message} (the manager.conf user needs write = call,agent,originate)`, refusedAtMs: this.refused.atMs };
    return { ...base, available: true };
  }

  async pause(req: PauseRequest): Promise<PbxActionResult> {
    const iface = this.link.adapter.interfaceOf(req.agentId);
    if (iface === undefined) return unknownAgent(req.agentId);
    const base: Record<string, string> = { Action: 'QueuePause', Interface: iface, Paused: req.paused ? 'true' : 'false' };
    if (req.paused && req.reason) base.Reason = req.reason;
    // Every queue (Asterisk's own "all queues") when none is named; else one action per queue, stopping at the first refusal.
    const queues = req.queues ?? [undefined];
    if (queues.length === 0) return { ok: false, reason: 'refused', message: 'no queue to act in' };
    let last: PbxActionResult = { ok: true };
    for (const q of queues) {
      last = await this.send(q === undefined ? base : { ...base, Queue: q });
      if (!last.ok) return last;
    }
    return last;
  }

  async remove(req: RemoveRequest): Promise<PbxActionResult> {
    const iface = this.link.adapter.interfaceOf(req.agentId);
    if (iface === undefined) return unknownAgent(req.agentId);
    return this.send({ Action: 'QueueRemove', Queue: req.queueId, Interface: iface });
  }

  async spy(req: SpyRequest): Promise<PbxActionResult> {
    const iface = this.link.adapter.interfaceOf(req.agentId);
    if (iface === undefined) return unknownAgent(req.agentId);
    const channel = isPlainExtension(req.extension) ? (this.opts.dialTemplate ?? DEFAULT_DIAL_TEMPLATE).replaceAll('{ext}', req.extension) : req.extension;
    return this.send(
      {
        Action: 'Originate',
        Channel: channel,
        Application: 'ChanSpy',
        Data: `${spyPrefix(iface)},${CHANSPY_OPTIONS[req.mode]}`,
        Timeout: String(this.opts.ringTimeoutMs ?? 30_000),
        CallerID: `"${callerName(`${req.mode} ${req.agentId}`)}" <>`,
        Async: 'true',
      },
      this.opts.originateWaitMs ?? 2_000,
    );
  }

  /** Sends one action unless the PBX is known to refuse us; maps the answer. */
  private async send(fields: Record<string, string>, eventWaitMs?: number): Promise<PbxActionResult> {
    const st = this.status();
    if (!st.available) return { ok: false, reason: 'unavailable', message: st.reason ?? 'actions unavailable' };
    const login = this.link.stats.logins;
    const a = await this.link.request(fields, this.opts.actionTimeoutMs, eventWaitMs);
    switch (a.kind) {
      case 'response':
        if (a.success && a.event?.event === 'OriginateResponse' && (a.event.get('Response') ?? '').trim().toLowerCase() === 'failure') {
          // The Async Originate was queued, then failed within the wait (manager.c fast_originate: Response Failure, Reason).
          const code = (a.event.get('Reason') ?? '').trim();
          return { ok: false, reason: 'refused', message: `Asterisk could not ring ${fields.Channel}: ${ORIGINATE_REASONS[code] ?? 'the call failed'} (OriginateResponse Failure, Reason ${code || '?'})` };
        }
        if (a.success && a.event?.event === 'OriginateResponse') return { ok: true, message: `${a.message ?? 'Originate successfully queued'}; the phone answered` };
        if (a.success) return { ok: true, message: a.message };
        if (PERMISSION_DENIED.test(a.message ?? '')) {
          this.refused = { atMs: this.now(), message: a.message ?? 'Permission denied', login };
          return { ok: false, reason: 'unavailable', message: `Asterisk refused ${fields.Action}: ${a.message ?? 'Permission denied'} (the manager.conf user needs write = call,agent,originate)` };
        }
        return { ok: false, reason: 'refused', message: `Asterisk refused ${fields.Action}: ${a.message ?? 'error'}` };
      case 'not-connected':
        return { ok: false, reason: 'unavailable', message: 'not connected to the Asterisk Manager Interface' };
      case 'lost':
        return { ok: false, reason: 'timeout', message: `the AMI link dropped before Asterisk answered ${fields.Action}: it may or may not have been done` };
      case 'timeout':
        return { ok: false, reason: 'timeout', message: `Asterisk did not answer ${fields.Action} in time: it may or may not have been done` };
      case 'busy':
        return { ok: false, reason: 'unavailable', message: 'too many actions waiting for Asterisk; try again in a moment' };
    }
  }
}

function unknownAgent(agentId: string): PbxActionResult {
  return { ok: false, reason: 'unknown-agent', message: `Asterisk has not shown the phone of agent ${agentId.slice(0, 64)} yet (no member event or QueueStatus names it)` };
}
