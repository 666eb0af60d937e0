/**
 * Supervisor actions on the telephone system, whatever it is: what the floor's
 * routes (server/action-routes.ts) ask of a PBX, with no PBX's own words in it.
 * The Asterisk implementation (server/ami/actions.ts) speaks AMI; a FreeSWITCH
 * one would speak the Event Socket (`callcenter_config agent set status`,
 * `eavesdrop`). Routes check the role, the scope and the confirmation, write
 * the audit entry and pick the queues; an implementation only translates
 * Floorwatch's agent and queue ids to the PBX's and reports what it answered.
 *
 * - **pause / unpause** an agent in some or all of their queues, with a reason;
 * - **remove** a (stuck) member from one queue;
 * - **listen / whisper / barge** on an agent's live call: the PBX rings the
 *   supervisor's own phone (`extension`) and, once answered, connects it to
 *   the agent's call silently (listen), heard by the agent only (whisper) or
 *   by both parties (barge).
 *
 * An implementation never retries on its own: a refusal is answered once, and
 * one that says the PBX will not let us act at all (missing permission, no
 * link) makes {@link PbxActions.status} say "unavailable" until the link is
 * made again, so the floor greys its buttons instead of failing on every click.
 */

/** How a supervisor joins an agent's call: heard by nobody, by the agent only, or by both parties. */
export type SpyMode = 'listen' | 'whisper' | 'barge';

/** Every supervisor action, as the routes, the audit and the client name them. */
export type PbxActionKind = 'pause' | 'unpause' | 'remove' | SpyMode;

/** All action kinds, in the order the floor shows them. */
export const PBX_ACTION_KINDS: readonly PbxActionKind[] = ['pause', 'unpause', 'remove', 'listen', 'whisper', 'barge'];

/** Spy modes, in the order the floor shows them. */
export const SPY_MODES: readonly SpyMode[] = ['listen', 'whisper', 'barge'];

/**
 * What the PBX said. `unavailable`: nothing can be done now (no link, or the PBX refuses us the
 * permission; the floor shows "actions unavailable"); `refused`: this request was refused (an agent not
 * in that queue, a static member that cannot be removed…), others may still work; `unknown-agent`: the
 * PBX has not shown us this agent's phone; `timeout`: no answer in time (it may still have been done).
 * `message` is readable, for the supervisor and the audit (the PBX's own text when it gave one).
 */
export type PbxActionResult =
  | { ok: true; message?: string }
  | { ok: false; reason: 'unavailable' | 'refused' | 'unknown-agent' | 'timeout'; message: string };

/** Whether actions can be taken now, for `/api/actions/status` and the floor's buttons. */
export interface PbxActionsStatus {
  /** Which PBX acts: `asterisk`, `freeswitch`. */
  pbx: string;
  /** Connected, logged in and not refused the permission: the buttons are enabled. */
  available: boolean;
  /** Why not, when not available (readable; the PBX's refusal when there was one). */
  reason?: string;
  /** The kinds this PBX can do at all (a PBX without barge leaves it out). */
  kinds: PbxActionKind[];
  /** When the PBX last refused us the permission, epoch ms: cleared by the next login. */
  refusedAtMs?: number;
}

/** A pause or unpause. */
export interface PauseRequest {
  /** Floorwatch agent id (the feed's `agentId`). */
  agentId: string;
  paused: boolean;
  /** The queues to pause in; absent: every queue the agent serves (the PBX's own "all queues"). */
  queues?: string[];
  /** Why, as the agent's pause reason (shown on the floor as the away reason); at most 40 characters (shared/away.ts AWAY_REASON_MAX_CHARS). */
  reason?: string;
}

/** Removing a member from one queue. */
export interface RemoveRequest {
  agentId: string;
  queueId: string;
}

/** Ringing the supervisor's phone into an agent's live call. */
export interface SpyRequest {
  agentId: string;
  mode: SpyMode;
  /**
   * The supervisor's phone as set on their user (shared/extension.ts): an extension (`2001`), which
   * the implementation dials its usual way, or a dial string of that PBX (`PJSIP/2001`, `user/2001`).
   */
  extension: string;
  /** Who asks (username), shown as the caller name on the supervisor's phone where the PBX allows. */
  supervisor: string;
}

/** A PBX the floor can act on. Implementations must not throw: every failure is a result. */
export interface PbxActions {
  status(): PbxActionsStatus;
  pause(req: PauseRequest): Promise<PbxActionResult>;
  remove(req: RemoveRequest): Promise<PbxActionResult>;
  spy(req: SpyRequest): Promise<PbxActionResult>;
}
