/**
 * The socket.io contract, shared by server and client: event maps of the
 * `/live` and `/ingest` namespaces and the payloads they carry.
 */
import type { FloorEventInput } from './events.ts';
import type { AgentPatch } from './agent-patch.ts';
import type { AlertPatch } from './alert-patch.ts';
import type { AgentPresence } from './events.ts';
import type { Alert, AlertLevel, AgentNote, CallStatus, RuleCounts, TickerMessage, TimelineEntry } from './state.ts';
import type { FloorConfig, RuleId, RuleThresholds, Workload } from './config.ts';
import type { WorklistOutcome } from './engine/worklist.ts';
import type { SupervisorScope } from './scope.ts';

export type Ack<T> = { ok: true; data: T } | { ok: false; error: string };

/**
 * Rooms of `/live`. `limit`: the queues and teams a scoped supervisor or wallboard is limited to
 * (shared/scope.ts), set by the server from the credential, never taken from the client; absent
 * for the whole floor.
 */
export type LiveScope = { kind: 'floor'; limit?: SupervisorScope } | { kind: 'wallboard'; limit?: SupervisorScope } | { kind: 'agent'; agentId: string; limit?: SupervisorScope };

export interface QueueKpis {
  queueId: string;
  offered: number;
  answered: number;
  abandoned: number;
  shortAbandoned: number;
  transferredOut: number;
  /** Calls closed as "end lost" (their end never reported; later evidence closed them), counted apart from answered and abandoned. */
  endLost: number;
  waiting: number;
  /** Start of the longest current wait (the client ticks it), or null when nobody waits. */
  longestWaitSinceMs: number | null;
  maxWaitSec: number;
  /** Service level in percent, or null before any call counts. */
  serviceLevelPct: number | null;
  serviceLevelTargetPct: number;
  serviceLevelThresholdSec: number;
  asaSec: number | null;
  ahtSec: number | null;
  agentsByState: Record<AgentActivity, number>;
  /** Worst open alert level on this queue (queue-wait). */
  alertLevel: AlertLevel | null;
  /**
   * Live staffing (Erlang C, shared/staffing.ts): agents needed now against agents there. Null
   * when no AHT is known yet (no handled call in the window or today) and for a past day; absent
   * from servers before live staffing.
   */
  staffing?: QueueStaffing | null;
}

/**
 * Agents a queue needs now by Erlang C (shared/erlang.ts) to meet its service-level target with an
 * occupancy at most the floor's target occupancy, from the arrivals and AHT of the last
 * `windowMin` minutes; and the agents signed in to the queue and free now.
 */
export interface QueueStaffing {
  /** Smallest agent count meeting the SL target (T, target %) under the occupancy cap; 0 with no arrivals. */
  neededAgents: number;
  /** Agents of the queue free now (available, not ringing or on a call). */
  availableAgents: number;
  /** Agents of the queue not offline (available, ringing, on a call, wrap-up or away). */
  signedInAgents: number;
  /**
   * Agents of the queue taking calls: signed in and not away (available, ringing, on a call or in
   * wrap-up, which is part of the AHT). Erlang C's N: what `neededAgents` is compared with ("has").
   */
  servingAgents: number;
  /** Offered traffic, Erlangs (arrivals per second × AHT), 2 decimals. */
  erlangs: number;
  /** Calls offered per hour over the window, 1 decimal. */
  callsPerHour: number;
  /** AHT used (talk + hold + wrap-up), s, 1 decimal. */
  ahtSec: number;
  /** Length of the measuring window, minutes. */
  windowMin: number;
  /** Where the AHT came from: the window's handled calls, or the day's so far when the window held too few. */
  source: 'window' | 'day';
}

export type AgentActivity = AgentPresence | 'ringing' | 'talking' | 'hold';

export interface AgentView {
  agentId: string;
  name: string;
  team: string | null;
  queues: string[];
  presence: AgentPresence;
  reason: string | null;
  activity: AgentActivity;
  /** Start of the current activity (client ticks "time in state"). */
  activitySinceMs: number;
  callId: string | null;
  handled: number;
  quota: number;
  /**
   * First sign-in of the day and the shift length: the pace (calls the quota
   * expects by now) is `paceExpectedAt` of these, computed by the view each
   * second rather than pushed, since it changes with the clock alone.
   */
  shiftStartMs: number | null;
  shiftMinutes: number;
  ahtSec: number | null;
  holds: number;
  holdSec: number;
  /** Rings that timed out on this agent (RINGNOANSWER, AgentRingNoAnswer, or a ring that ran out). */
  ringNoAnswer: number;
  /** Rings cut off by a colleague's answer or the caller hanging up: never held against the agent. */
  ringCanceled: number;
  ringsHist: number[];
  holdHist: number[];
  alertsByRule: Partial<Record<RuleId, RuleCounts>>;
  /** Open alerts on this agent right now. */
  openAlerts: number;
  worstOpenLevel: AlertLevel | null;
  /**
   * Time away on the day by normalised reason ('' none), s, of the stretches that are over; the one
   * in progress is `away` (add now − `away.countedFromMs`). Absent from servers before pause limits.
   */
  awaySecByReason?: Record<string, number>;
  /** The away stretch in progress (today only): its normalised reason, its start (the timer), where the day's count of it starts, and its limits, s (null: none). */
  away?: AwayStretchView | null;
}

/** An agent's away stretch in progress, as views show it ("lunch 31:10 / 35:00"). */
export interface AwayStretchView {
  reason: string;
  sinceMs: number;
  countedFromMs: number;
  limitSec: number | null;
  breachSec: number | null;
}

export interface CallView {
  callId: string;
  queueId: string | null;
  agentId: string | null;
  status: CallStatus;
  queuedAtMs: number | null;
  ringStartMs: number | null;
  ringAttempts: number;
  answeredAtMs: number | null;
  ringsToAnswer: number | null;
  holdStartMs: number | null;
  holdCount: number;
  holdSec: number;
  endedAtMs: number | null;
  /**
   * Calls with talk detection (`call.talking`) only: when the current silence on the line began (epoch ms;
   * shared/engine/rules/dead-air.ts `silenceSinceMs`), null while someone talks, the call is on hold or not
   * connected. The agent's page ticks it to nudge before the dead-air warning; absent without talk detection.
   */
  silenceSinceMs?: number | null;
}

export interface CallDetail extends CallView {
  caller: string | null;
  timeline: TimelineEntry[];
  alerts: Alert[];
  /**
   * The words of the call's transcript the server keeps (`--transcripts keep`: every final segment;
   * `evidence`: only those a conversation alert stands on; `drop`: none), oldest first; absent when
   * the call has none. Listed words are masked for agents (`masked: true`), shown to supervisors.
   */
  transcript?: TranscriptSegmentView[];
  /** How the server keeps transcripts: says why `transcript` holds what it does. */
  transcriptMode?: TranscriptMode;
}

/** How the server keeps transcript words: all final segments, only the evidence of alerts, or none (judged and dropped). */
export type TranscriptMode = 'keep' | 'evidence' | 'drop';

/** One kept transcript segment of a call (times epoch ms). */
export interface TranscriptSegmentView {
  speaker: 'agent' | 'caller';
  startMs: number;
  endMs: number;
  text: string;
  lang?: string;
  /** Spans (UTF-16, end exclusive) of the cues found in it, e.g. a listed word, a request to repeat, the greeting. */
  spans: { cue: string; start: number; end: number }[];
  /** The listed words are masked in `text` (shown to agents). */
  masked?: boolean;
  /** Ids of the alerts this segment is evidence of. */
  alertIds: string[];
}

export interface VoicemailView {
  voicemailId: string;
  queueId: string | null;
  agentId: string | null;
  leftAtMs: number;
  dueByMs: number;
  returnedAtMs: number | null;
}

export interface CallbackView {
  callbackId: string;
  agentId: string;
  dueAtMs: number;
  completedAtMs: number | null;
}

export interface FloorTotals {
  offered: number;
  answered: number;
  abandoned: number;
  waiting: number;
  longestWaitSinceMs: number | null;
  serviceLevelPct: number | null;
  serviceLevelTargetPct: number;
  asaSec: number | null;
  ahtSec: number | null;
  agentsByState: Record<AgentActivity, number>;
  openAlerts: Record<AlertLevel, number>;
}

export interface IntervalView {
  startMs: number;
  offered: number;
  answered: number;
  abandoned: number;
  serviceLevelPct: number | null;
}

/**
 * One item of the callback worklist as a face shows it (see shared/engine/worklist.ts). `caller`
 * is the full number on the floor and for the agent it is assigned to; any other agent receives
 * it masked ("•••• 0123"), masked on the server ({@link maskCaller}).
 */
export interface WorklistItemView {
  itemId: string;
  caller: string;
  /** True when `caller` was masked for this receiver. */
  masked: boolean;
  queueId: string;
  /** Wait before hanging up (latest abandon), s. */
  waitSec: number;
  firstAbandonedAtMs: number;
  lastAbandonedAtMs: number;
  abandons: number;
  attempts: number;
  lastAttemptAtMs: number | null;
  outcome: WorklistOutcome;
  assignedTo: string | null;
  closedAtMs: number | null;
}

/** Everything a supervisor's floor view needs. */
export interface FloorPayload {
  queues: QueueKpis[];
  totals: FloorTotals;
  agents: AgentView[];
  calls: CallView[];
  alerts: Alert[];
  intervals: Record<string, IntervalView[]>;
  voicemails: VoicemailView[];
  callbacks: CallbackView[];
  ticker: TickerMessage[];
  /** The callback worklist: open items oldest first, then the items closed today (newest first). Absent from servers before the worklist. */
  worklist?: WorklistItemView[];
}

/** One agent's own view: their data only, and anonymous floor totals. */
export interface AgentPayload {
  me: AgentView | null;
  calls: CallView[];
  voicemails: VoicemailView[];
  callbacks: CallbackView[];
  /**
   * Every alert of this agent of the live day, newest first, as the engine
   * keeps them (`state.agentAlerts`): open and resolved, and retracted when a
   * late event disproved one already resolved (shown as such, counted as no
   * breach); none of an earlier day's but those still open when it turned.
   * Without `ack` and `reopened`: who acted on an alert, and their note, are
   * supervisors' business.
   */
  alerts: Alert[];
  totals: FloorTotals;
  /** Private notes from supervisors to this agent. */
  notes: AgentNote[];
  /**
   * Open worklist items assigned to this agent (full number) and those assigned to nobody yet (number
   * masked); never an item assigned to another agent. Absent from servers before the worklist.
   */
  worklist?: WorklistItemView[];
}

/** A ticker message as the wallboard shows it: its text and times, not who posted it. */
export type TickerText = Pick<TickerMessage, 'id' | 'text' | 'atMs' | 'untilMs'>;

/** The wallboard: aggregates only. */
export interface WallboardPayload {
  queues: QueueKpis[];
  totals: FloorTotals;
  ticker: TickerText[];
}

/**
 * An agent's thresholds, for the nudges on their own screen: the rules in
 * force for their team (floor defaults with their team's overrides), and
 * nothing of other teams or queues.
 */
export interface AgentConfig {
  rules: RuleThresholds;
  workload: Workload;
  /** The pause limits of the agent's team, minutes per normalised reason (see shared/away.ts). */
  awayLimitMinutes?: Readonly<Record<string, number | null>>;
}

/** The wallboard's thresholds: how long a wait turns amber and red. */
export interface WallboardConfig {
  rules: Pick<RuleThresholds, 'queueWaitWarnSec' | 'queueWaitBreachSec'>;
}

/** The settings a face is sent: the floor (supervisors) all of them, every other face only what it shows. */
export type ScopeConfig = FloorConfig | AgentConfig | WallboardConfig;

export type ScopePayload = FloorPayload | AgentPayload | WallboardPayload;

export interface Snapshot<P = ScopePayload> {
  scope: LiveScope;
  /** Sequence of this room's stream: the next delta carries seq + 1. */
  seq: number;
  serverNowMs: number;
  day: { startMs: number; endMs: number };
  /**
   * Thresholds in force, so views colour numbers by the same rules the engine
   * applies: the full settings on the floor, an {@link AgentConfig} in an
   * agent's room, a {@link WallboardConfig} on the wallboard.
   */
  config: ScopeConfig;
  payload: P;
}

/** A change to a room: upserts by id, removals by id. Absent keys mean "unchanged". */
export interface Delta {
  seq: number;
  serverNowMs: number;
  queues?: QueueKpis[];
  totals?: FloorTotals;
  /**
   * Agents that changed: on the floor only the fields that differ from what
   * every member holds as of the previous seq (see agent-patch.ts).
   */
  agents?: AgentPatch[];
  me?: AgentView | null;
  calls?: CallView[];
  callsRemoved?: string[];
  /**
   * Alerts raised or changed that the room's list holds (upserts): on the
   * floor the open ones and the day's resolved ones; in an agent's room every
   * alert of theirs of the live day, which may be one retracted after it was resolved.
   */
  alerts?: Alert[];
  /** Alerts that changed and left the room's list (retracted, or a past day's resolved after midnight). */
  alertsRemoved?: string[];
  /**
   * Floor only: open alerts the room already holds, as the fields that differ
   * from what every member holds as of the previous seq (see alert-patch.ts).
   * A change of level, status, acknowledgement… goes out at once; a growing
   * alert's value alone at most every `ALERT_VALUE_PUSH_MS` (server/live.ts).
   */
  alertPatches?: AlertPatch[];
  voicemails?: VoicemailView[];
  callbacks?: CallbackView[];
  intervals?: Record<string, IntervalView[]>;
  /** The floor's carry who posted each message; the wallboard's do not ({@link TickerText}). */
  ticker?: TickerText[];
  notes?: AgentNote[];
  /** The room's whole worklist, replacing the one held (bounded: shared/engine/worklist.ts). */
  worklist?: WorklistItemView[];
  /** The day rolled over or the configuration changed: clients must take a fresh snapshot. */
  resync?: boolean;
}

/**
 * Why the server ended a socket's access: the credential it connected with was
 * signed out, its user deleted or given another role or agent (or another
 * scope of queues and teams: `scope-changed`), its session left idle too
 * long, or its token revoked. `session-ended` when the server
 * only knows the session is gone (e.g. ended on another node).
 */
export type RevokeReason = 'signed-out' | 'user-deleted' | 'role-changed' | 'scope-changed' | 'session-expired' | 'session-ended' | 'token-revoked';

/** Sent just before the server disconnects a socket whose access ended; the client shows it and does not reconnect. */
export interface RevokedNotice {
  reason: RevokeReason;
  /** The same in plain English, for logs and clients without a translation. */
  message: string;
}

/**
 * Sent to every socket when the server stops gracefully (SIGTERM), just before
 * it closes them: nothing acknowledged is lost, and the client reconnects by
 * itself with backoff (to this node once it is back, or to another behind the
 * same address) instead of reporting an error.
 */
export interface ShutdownNotice {
  /** The soonest a reconnect is worth trying, s: a service restart takes a few seconds. */
  retryAfterSec: number;
  /** The same in plain English, for logs and clients without a translation. */
  message: string;
}

export interface LiveServerToClient {
  'live:snapshot': (snapshot: Snapshot) => void;
  'live:delta': (delta: Delta) => void;
  'auth:revoked': (notice: RevokedNotice) => void;
  'server:shutdown': (notice: ShutdownNotice) => void;
}

export interface LiveClientToServer {
  /** Ask for a fresh snapshot (after a gap in seq). */
  'live:resync': (ack: (r: Ack<Snapshot>) => void) => void;
  'call:detail': (callId: string, ack: (r: Ack<CallDetail>) => void) => void;
  /** Supervisors: acknowledge an alert, with an optional note. */
  'alert:acknowledge': (req: { alertId: string; note?: string }, ack: (r: Ack<Alert>) => void) => void;
  /** Supervisors: reopen an alert so it needs attention again. */
  'alert:reopen': (req: { alertId: string; note?: string }, ack: (r: Ack<Alert>) => void) => void;
  /** Supervisors: assign an open worklist item to an agent, or take it back (`agentId: null`). */
  'worklist:assign': (req: { itemId: string; agentId: string | null }, ack: (r: Ack<WorklistItemView>) => void) => void;
}

export interface IngestResult {
  accepted: number;
  duplicates: number;
  rejected: { index: number; error: string }[];
}

export interface IngestServerToClient {
  'ingest:ready': () => void;
  'auth:revoked': (notice: RevokedNotice) => void;
  /** The server is stopping: batches sent from now on are refused (nothing written); reconnect and send them again. */
  'server:shutdown': (notice: ShutdownNotice) => void;
}

export interface IngestClientToServer {
  'events:ingest': (events: FloorEventInput[] | unknown, ack: (r: Ack<IngestResult>) => void) => void;
}
