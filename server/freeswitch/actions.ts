/**
 * Supervisor actions on FreeSWITCH (server/pbx-actions.ts), over the event socket the FreeSWITCH
 * input already holds (esl-client.ts `api`: one command, its reply, no retry).
 *
 * The commands, as FreeSWITCH's sources define them:
 * - pause / unpause: `api callcenter_config agent set status <agent> 'On Break'` / `Available`
 *   (cc_config_api_function() and cc_agent_update() in mod_callcenter.c; the arguments are split on
 *   spaces with single quotes kept together, switch_separate_string()). mod_callcenter's status is
 *   the agent's, not a queue's: a pause holds in every queue. A supervisor scoped to some queues may
 *   pause an agent only when those cover every queue the agent is known to serve; otherwise the
 *   request is refused rather than reaching beyond their scope. mod_callcenter keeps no pause
 *   reason: the reason stays in Floorwatch's audit, and the floor shows the status `on break`.
 *   Answers `+OK`, or `-ERR Agent not found!`, `-ERR Invalid Agent Status!` ….
 * - remove: `api callcenter_config tier del <queue> <agent>` (the agent leaves that queue).
 * - listen / whisper / barge: `bgapi originate {vars}<supervisor's phone> &eavesdrop(<uuid>)`. bgapi,
 *   not api: an api originate holds the socket until the supervisor answers, and the events queue
 *   up behind it. The uuid is the agent's channel of their live call (`CC-Agent-UUID`), else the
 *   caller's. eavesdrop (mod_dptools.c) mixes the spy's voice in with `eavesdrop_whisper_aleg`
 *   (ED_MUX_READ: into what the eavesdropped channel reads, i.e. what its far side hears) and
 *   `eavesdrop_whisper_bleg` (ED_MUX_WRITE: into what is written to it, i.e. what its own phone
 *   hears), switch_ivr_async.c eavesdrop_callback(). So whisper to the agent is `bleg` on the agent's
 *   channel (`aleg` on the caller's), barge is both, listen neither. `eavesdrop_enable_dtmf=false`:
 *   the supervisor cannot switch modes with keys, so what happens is what was confirmed and audited.
 *   A plain extension is dialled as `user/<ext>` (the directory user), a dial string as given.
 *
 * `-ERR … Command not found` (mod_callcenter not loaded) or `-ERR permission denied` (an event socket
 * user whose allowed API excludes it) makes the actions unavailable until the next login: one
 * refusal, not a storm. The password never appears in any message.
 */
import type { PauseRequest, PbxActionKind, PbxActionResult, PbxActions, PbxActionsStatus, RemoveRequest, SpyMode, SpyRequest } from '../pbx-actions.ts';
import { isPlainExtension } from '../../shared/extension.ts';
import type { FsApiAnswer } from './esl-client.ts';

/** The part of the FreeSWITCH client the actions use (the real one, or a test's). */
export interface FsActionLink {
  api(command: string, timeoutMs?: number): Promise<FsApiAnswer>;
  readonly stats: { connected: boolean; logins: number };
  readonly adapter: {
    liveCallOf(agentId: string): { uuid: string; side: 'agent' | 'caller' } | undefined;
    queuesOf(agentId: string): string[];
  };
}

export interface FsActionsOptions {
  /** How a plain extension (`2001`) is dialled: `{ext}` is replaced (default `user/{ext}`, FreeSWITCH's directory user). */
  dialTemplate?: string;
  /** How long the supervisor's phone rings, s (originate_timeout; default 30). */
  ringTimeoutSec?: number;
  /** How long a command waits for FreeSWITCH's reply, ms (default the client's, 10 s). */
  actionTimeoutMs?: number;
  now?: () => number;
}

const KINDS: PbxActionKind[] = ['pause', 'unpause', 'remove', 'listen', 'whisper', 'barge'];
/** FreeSWITCH's answers that mean nothing of this kind can work now. */
const UNAVAILABLE = /permission denied|command not found/i;
/** Agent names and queue names as mod_callcenter takes them on a command line: no space, quote or control character. */
const SAFE_NAME = /^[A-Za-z0-9@._+*#:/-]{1,128}$/;

/** The channel variables that make eavesdrop listen, whisper to the agent, or barge, for the side whose channel is spied on. */
export function eavesdropVars(mode: SpyMode, side: 'agent' | 'caller'): Record<string, string> {
  const toAgent = side === 'agent' ? 'eavesdrop_whisper_bleg' : 'eavesdrop_whisper_aleg';
  const toCaller = side === 'agent' ? 'eavesdrop_whisper_aleg' : 'eavesdrop_whisper_bleg';
  return {
    [toAgent]: mode === 'listen' ? 'false' : 'true',
    [toCaller]: mode === 'barge' ? 'true' : 'false',
    eavesdrop_enable_dtmf: 'false',
  };
}

export class FsActions implements PbxActions {
  private refused: { atMs: number; message: string; login: number } | undefined;
  private readonly now: () => number;

  constructor(
    private readonly link: FsActionLink,
    private readonly opts: FsActionsOptions = {},
  ) {
    this.now = opts.now ?? (() => Date.now());
  }

  status(): PbxActionsStatus {
    const base = { pbx: 'freeswitch', kinds: [...KINDS] };
    if (this.refused && this.refused.login !== this.link.stats.logins) this.refused = undefined;
    if (!this.link.stats.connected) return { ...base, available: false, reason: 'not connected to the FreeSWITCH event socket' };
    if (this.refused) return { ...base, available: false, reason: `FreeSWITCH refused: ${this.refused.message}`, refusedAtMs: this.refused.atMs };
    return { ...base, available: true };
  }

  async pause(req: PauseRequest): Promise<PbxActionResult> {
    if (!SAFE_NAME.test(req.agentId)) return bad(`agent ${req.agentId.slice(0, 64)}`);
    if (req.queues !== undefined) {
      const known = this.link.adapter.queuesOf(req.agentId);
      const outside = known.filter((q) => !req.queues!.includes(q));
      if (known.length === 0 || outside.length > 0) {
        return {
          ok: false,
          reason: 'refused',
          message: `FreeSWITCH pauses an agent in every queue at once; ${req.agentId} ${known.length === 0 ? 'is not known to serve only your queues' : `also serves ${outside.join(', ')}`}`,
        };
      }
    }
    const status = req.paused ? "'On Break'" : 'Available';
    return this.send(`api callcenter_config agent set status ${req.agentId} ${status}`, 'callcenter_config');
  }

  async remove(req: RemoveRequest): Promise<PbxActionResult> {
    if (!SAFE_NAME.test(req.agentId)) return bad(`agent ${req.agentId.slice(0, 64)}`);
    if (!SAFE_NAME.test(req.queueId)) return bad(`queue ${req.queueId.slice(0, 64)}`);
    return this.send(`api callcenter_config tier del ${req.queueId} ${req.agentId}`, 'callcenter_config');
  }

  async spy(req: SpyRequest): Promise<PbxActionResult> {
    const call = this.link.adapter.liveCallOf(req.agentId);
    if (!call) return { ok: false, reason: 'refused', message: `agent ${req.agentId.slice(0, 64)} is on no live queue call FreeSWITCH has shown` };
    if (!/^[0-9a-f-]{8,64}$/i.test(call.uuid)) return bad('channel');
    const dial = isPlainExtension(req.extension) ? (this.opts.dialTemplate ?? 'user/{ext}').replaceAll('{ext}', req.extension) : req.extension;
    const vars: Record<string, string> = {
      ...eavesdropVars(req.mode, call.side),
      origination_caller_id_name: `'${callerName(`${req.mode} ${req.agentId}`)}'`,
      originate_timeout: String(this.opts.ringTimeoutSec ?? 30),
    };
    const varText = Object.entries(vars)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    return this.send(`bgapi originate {${varText}}${dial} &eavesdrop(${call.uuid})`, 'originate');
  }

  /** Sends one command unless FreeSWITCH is known to refuse us; maps the reply. */
  private async send(command: string, what: string): Promise<PbxActionResult> {
    const st = this.status();
    if (!st.available) return { ok: false, reason: 'unavailable', message: st.reason ?? 'actions unavailable' };
    const login = this.link.stats.logins;
    const a = await this.link.api(command, this.opts.actionTimeoutMs);
    switch (a.kind) {
      case 'reply': {
        const text = a.text.split('\n')[0].trim();
        if (text.startsWith('+OK')) return { ok: true, message: text };
        if (UNAVAILABLE.test(text)) {
          this.refused = { atMs: this.now(), message: text.slice(0, 120), login };
          return { ok: false, reason: 'unavailable', message: `FreeSWITCH refused ${what}: ${text.slice(0, 120)}` };
        }
        return { ok: false, reason: 'refused', message: `FreeSWITCH refused ${what}: ${text.slice(0, 120) || 'no answer text'}` };
      }
      case 'not-connected':
        return { ok: false, reason: 'unavailable', message: 'not connected to the FreeSWITCH event socket' };
      case 'lost':
        return { ok: false, reason: 'timeout', message: `the event socket dropped before FreeSWITCH answered ${what}: it may or may not have been done` };
      case 'timeout':
        return { ok: false, reason: 'timeout', message: `FreeSWITCH did not answer ${what} in time: it may or may not have been done` };
      case 'busy':
        return { ok: false, reason: 'unavailable', message: 'too many actions waiting for FreeSWITCH; try again in a moment' };
    }
  }
}

function bad(what: string): PbxActionResult {
  return { ok: false, reason: 'refused', message: `${what}: not a name FreeSWITCH takes on a command line (spaces, quotes or control characters)` };
}

/** Text safe inside a single-quoted originate variable. */
function callerName(s: string): string {
  return s.replace(/[^A-Za-z0-9@._ -]/g, '').slice(0, 40);
}
