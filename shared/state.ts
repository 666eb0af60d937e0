/**
 * The engine's state: what `applyEvent` and `tick` fold the feed into.
 * Plain data plus Maps, mutated in place so that each event costs O(1).
 */
import type { AgentPresence } from './events.ts';
import type { FloorConfig, RuleId } from './config.ts';

export type AlertLevel = 'info' | 'warn' | 'breach';
export type AlertStatus = 'open' | 'resolved' | 'retracted';
export type AlertUnit = 'rings' | 'sec' | 'holds' | 'calls' | 'dbfs' | 'requests' | 'event' | 'words' | 'times';

/**
 * What a conversation alert stands on: a transcript segment (`speaker` and its times, epoch ms — the
 * server keeps its words, if the privacy setting allows, under the call, speaker and `startMs`), or a
 * stretch of silence (no `speaker`). The words are never in the engine's state.
 */
export interface AlertEvidence {
  speaker?: 'agent' | 'caller';
  startMs: number;
  endMs: number;
}

/** Most evidence items one alert keeps (the first ones: a call with twenty repeat requests shows the first few). */
export const ALERT_EVIDENCE_CAP = 10;

export interface AlertAck {
  by: string;
  atMs: number;
  note?: string;
}

/** A rule breach (or warning) with its lifecycle: raised, updated while it grows, resolved. */
export interface Alert {
  /** Deterministic: the same log always yields the same ids. */
  id: string;
  ruleId: RuleId;
  level: AlertLevel;
  status: AlertStatus;
  callId?: string;
  agentId?: string;
  queueId?: string;
  voicemailId?: string;
  callbackId?: string;
  /** `away-long`: the away reason (normalised, '' when none was given) of the pause it measures. */
  reason?: string;
  /** The measured value, in `unit`, at `updatedAtMs`. */
  value: number;
  /** The threshold of the current level, in `unit`. */
  threshold: number;
  unit: AlertUnit;
  raisedAtMs: number;
  updatedAtMs: number;
  resolvedAtMs?: number;
  /** Set when a supervisor acknowledged it; cleared when it is reopened. */
  ack?: AlertAck;
  /** The last reopening, if any: the alert needs attention again. */
  reopened?: AlertAck;
  /** Conversation rules: the segments or the silence the alert stands on, oldest first, at most ALERT_EVIDENCE_CAP. */
  evidence?: AlertEvidence[];
}

/** A supervisor's message for the wallboard ticker. */
export interface TickerMessage {
  id: string;
  text: string;
  by: string;
  atMs: number;
  /** Shown until then (null: until replaced by newer ones). */
  untilMs: number | null;
}

/** A supervisor's private note to one agent. */
export interface AgentNote {
  id: string;
  agentId: string;
  text: string;
  by: string;
  atMs: number;
}

/** `lost`: closed as "end lost" because later evidence showed its end (or its leaving the queue) was never reported. */
export type CallStatus = 'queued' | 'ringing' | 'talking' | 'hold' | 'ended' | 'abandoned' | 'lost';

/** One agent's ring on a call: a call may ring several agents at once (ringall, hunt groups). */
export interface Ring {
  agentId: string;
  /** When it began to ring; undefined when the answer came with no ring seen first. */
  startMs?: number;
  /** The call's ringing attempt this ring is (1, 2, …): names its ring-limit alert. */
  attempt: number;
}

/** How an open ring ended: answered by this agent, timed out on them, or cut off (a colleague answered, the caller hung up). */
export type RingOutcome = 'answered' | 'no-answer' | 'canceled';

/** Where a call stood when it was closed as "end lost", so a late event of it can still correct it. */
export interface LostEnd {
  atMs: number;
  stage: 'waiting' | 'connected';
  /** Start of the agent's segment that was cut at `atMs`, and that agent (connected calls). */
  segmentStartMs?: number;
  agentId?: string;
  why: string;
}

/** One line of a call's timeline (drill-down). */
export interface TimelineEntry {
  atMs: number;
  type: string;
  agentId?: string;
  queueId?: string;
  /** Free detail, e.g. `{ askedPermission: false }` or `{ holdSec: 52 }`. */
  detail?: Record<string, string | number | boolean>;
}

/** A side of a call's conversation, as transcripts and voice activity name it. */
export type ConversationParty = 'agent' | 'caller';

/**
 * What the conversation rules read of one party's speech (shared/engine/conversation.ts), times in epoch ms.
 * From transcripts only final segments count; the words themselves are never kept here.
 */
export interface PartyVoice {
  /** Set while voice activity says the party is talking: when they started. */
  talkingSinceMs?: number;
  /** End of the party's latest speech (a talking stop, or a final segment's end). */
  lastSpeechEndMs?: number;
  /** First time the party was heard on the call (a talking start, or a final segment's start). */
  firstSpeechMs?: number;
  /** Final transcript segments of this party so far. */
  finalSegments?: number;
}

/** A bare "I don't know" waiting for its offer to find out (`dont-know`), times in epoch ms. */
export interface PendingDontKnow {
  /** The segment that said it. */
  startMs: number;
  endMs: number;
  /** The offer must start by then (the segment's end + the window). */
  deadlineMs: number;
  /** When the caller first spoke after it: the agent's turn is over, only the window is left. */
  turnOverMs?: number;
  /** When the agent spoke again within the window: their turn goes on until the caller speaks. */
  agentSpokeMs?: number;
  /** Which one on the call (names its alert). */
  n: number;
}

/**
 * A call's conversation so far, per party, and what the conversation rules keep between events
 * (shared/engine/rules/greeting.ts, spoken-words.ts, dead-air.ts, talk-over.ts); made on the call's
 * first conversation event. Counts and times only.
 */
export interface ConversationState {
  agent: PartyVoice;
  caller: PartyVoice;
  /** The agent segment (`CallState.segments`) whose greeting words have been judged. */
  greetedSegment?: number;
  /** The agent segment whose greeting time has been judged (the agent was heard, or the segment ended). */
  greetingTimedSegment?: number;
  /** The language of the call's last segment that named one: a segment without `lang` is read in it. */
  lang?: string;
  /** A call.talking event was seen: talk detection runs on this call (dead-air is then judged live). */
  talkDetection?: boolean;
  /** Caller's requests to repeat so far, as evidence (times only, at most ALERT_EVIDENCE_CAP). */
  repeatEvidence?: AlertEvidence[];
  /** Caller's requests to repeat so far (`clarity`). */
  repeatRequests?: number;
  /** Listed words the agent said so far (`language`). */
  listedWords?: number;
  /** Bare "I don't know"s so far, and the one waiting for its offer to find out. */
  dontKnows?: number;
  dontKnow?: PendingDontKnow;
  /** Silences that reached the warning so far (`dead-air`: names the next one's alert). */
  deadAirs?: number;
  /** Times the agent started while the caller was talking (`talk-over`), and when (at most ALERT_EVIDENCE_CAP). */
  talkOvers?: number;
  talkOverEvidence?: AlertEvidence[];
  /**
   * The agent's starts while the caller was talking (epoch ms), not yet judged (`talk-over`): one is a
   * talk-over when the caller's speech is known to have gone on past it, at the caller's stop or the
   * end of the agent's part (rules/talk-over.ts).
   */
  cutInsMs?: number[];
}

export interface CallState {
  callId: string;
  queueId?: string;
  caller?: string;
  status: CallStatus;
  firstSeenMs: number;
  /** When it entered its current queue (reset when transferred to another queue). */
  queuedAtMs?: number;
  /** Interval bucket the call was offered in, for per-interval counting. */
  offeredIntervalMs?: number;
  /** Floor-local day (its start, ms) the call counts on: the day it was last offered to a queue (or first seen). */
  dayStartMs: number;
  /** A call of a past day, learnt of after its day was over: counted in that day's history, never live on today's floor. */
  history?: boolean;
  /** Agent talking or holding (connected); while only ringing, the agent rung last. */
  agentId?: string;
  /** Open rings, one per agent being rung now. */
  rings: Ring[];
  /** Ringing attempts so far (a call may ring several agents, at once or in turn). */
  ringAttempts: number;
  /** How the call left its current queue, once it has (answered, abandoned, lost, transferred): a call leaves a queue once. */
  queueOutcome?: 'answered' | 'abandoned' | 'lost' | 'transferred';
  /** The queue-wait alert this caller's wait counted towards, if any. */
  waitAlertId?: string;
  /** Set while the call stands closed as "end lost". */
  lost?: LostEnd;
  answeredAtMs?: number;
  /** Rings before the answer (explicit or from ringing time / cadence). */
  ringsToAnswer?: number;
  /** Queue wait of the answer, ms. */
  waitMs?: number;
  /** Start of the current agent's segment (answer, or transfer-in). */
  segmentStartMs?: number;
  segments: number;
  holdStartMs?: number;
  /** End of the call's last hold (dead-air counts silence from it, not from before the hold). */
  resumedAtMs?: number;
  holdCount: number;
  holdMs: number;
  speakerOnMs?: number;
  loudSinceMs?: number;
  escalations: number;
  /** Speech on the call (transcripts, voice activity), once any was reported: see {@link ConversationState}. */
  conversation?: ConversationState;
  transfers: number;
  /** Hold time within the current agent's segment, ms. */
  segmentHoldMs: number;
  volumeEpisodes: number;
  endedAtMs?: number;
  /** Why the call ended: `agent`, `caller`, `abandoned`, `transferred-out`. */
  endReason?: string;
  timeline: TimelineEntry[];
  /** Open alert ids on this call, by rule (one live alert per rule at a time). */
  openAlerts: Partial<Record<RuleId, string>>;
  /** Every alert id ever raised on this call (drill-down). */
  alertIds: string[];
}

export interface RuleCounts {
  info: number;
  warn: number;
  breach: number;
}

export interface AgentDay {
  handled: number;
  talkMs: number;
  holdMs: number;
  wrapMs: number;
  holds: number;
  /** Rings that timed out on this agent (RINGNOANSWER, AgentRingNoAnswer, or a ring that ran out). */
  ringNoAnswer: number;
  /** Rings cut off by a colleague's answer or the caller hanging up: counted apart, never held against the agent. */
  ringCanceled: number;
  /** rings-to-answer histogram: index 0..5 = that many rings, 6 = six or more. */
  ringsHist: number[];
  /** Hold-duration histogram, by HOLD_HIST_EDGES_SEC (last bucket open-ended). */
  holdHist: number[];
  alerts: Partial<Record<RuleId, RuleCounts>>;
  /** Time away by normalised reason ('' none), ms, of the stretches (or their parts) on this day that are over; see shared/away.ts. */
  awayMs: Record<string, number>;
}

/** Upper edges of the hold-duration buckets, s: under 15, 15–30, 30–45, 45–90, 90 and over. */
export const HOLD_HIST_EDGES_SEC = [15, 30, 45, 90];

export interface AgentState {
  agentId: string;
  name?: string;
  team?: string;
  queues: string[];
  presence: AgentPresence;
  reason?: string;
  presenceSinceMs: number;
  /** Call ringing, connected or on hold with this agent. */
  callId?: string;
  /** When the agent last came free of a call or a ring: their time in state counts from the later of this and `presenceSinceMs`. */
  freeSinceMs?: number;
  /** First sign-in of the day: the quota's pace is measured from here. */
  shiftStartMs?: number;
  /** Handled calls whose wrap-up time is still being counted. */
  wrapStartMs?: number;
  wrapQueueId?: string;
  today: AgentDay;
  /** Counters of past days still in memory (late events of calls offered then), by day start. */
  pastDays: Map<number, AgentDay>;
  /** Day start of the call whose wrap-up is being counted. */
  wrapDayMs?: number;
  /** Offer interval (its start, ms) of the call whose wrap-up is being counted: its handle time lands there too. */
  wrapIntervalMs?: number;
  /**
   * The current away stretch (presence away): its normalised reason, when it began (the
   * `away-long` timer), and where its time on the day's figures counts from (its start, or
   * the start of the day when it ran past midnight).
   */
  away?: { reason: string; sinceMs: number; countedFromMs: number };
  /** Open quota-pace alert and episode counter. */
  paceAlertId?: string;
  paceEpisodes: number;
}

/** The counters a queue keeps for the day and for each 15-minute interval. */
export interface CallCounts {
  offered: number;
  answered: number;
  abandoned: number;
  shortAbandoned: number;
  answeredWithinT: number;
  abandonedAfterT: number;
  /** Calls closed as "end lost" (counted apart from answered and abandoned; not in service level). */
  endLost: number;
}

/** One 15-minute interval of a queue's day: the calls offered in it and what became of them (wherever their answer or end fell). */
export interface IntervalBucket extends CallCounts {
  startMs: number;
  /** Sum of queue waits of its answered calls, ms (ASA). */
  answeredWaitMs: number;
  /** Longest wait of its callers who left the queue (answered or abandoned), ms. */
  maxWaitMs: number;
  /** Agent segments handled of its calls, and their talk + hold + wrap-up, ms (AHT, and the Erlang C workload). */
  handled: number;
  handleMs: number;
  transferredOut: number;
}

export interface QueueDay extends CallCounts {
  /** Sum of queue waits of answered calls, for ASA. */
  answeredWaitMs: number;
  maxWaitMs: number;
  transferredOut: number;
  handled: number;
  /** Sum of talk + hold + wrap-up over handled calls, for AHT. */
  handleMs: number;
}

/** One day of a queue: its counters and its 15-minute buckets. */
export interface QueueDayRecord {
  today: QueueDay;
  intervals: Map<number, IntervalBucket>;
}

export interface QueueState {
  queueId: string;
  /** callId → time it entered the queue; insertion order. */
  waiting: Map<string, number>;
  today: QueueDay;
  /** 15-minute buckets of today, keyed by bucket start ms. */
  intervals: Map<number, IntervalBucket>;
  /** Past days still in memory, by day start: late events of calls offered then count there. */
  pastDays: Map<number, QueueDayRecord>;
  /** Callers whose wait counted towards each recent queue-wait alert (to retract one later evidence disproves). */
  waitContributors: Map<string, Set<string>>;
  waitAlertId?: string;
  waitEpisodes: number;
}

export interface Voicemail {
  voicemailId: string;
  queueId?: string;
  agentId?: string;
  leftAtMs: number;
  /** End of the business day it must be returned by. */
  dueByMs: number;
  returnedAtMs?: number;
}

export interface Callback {
  callbackId: string;
  agentId: string;
  dueAtMs: number;
  scheduledAtMs: number;
  completedAtMs?: number;
  reschedules: number;
}

/** What changed since the server last drained: ids per kind. */
export interface ChangeSet {
  agents: Set<string>;
  queues: Set<string>;
  calls: Set<string>;
  alerts: Set<string>;
  voicemails: Set<string>;
  callbacks: Set<string>;
  /** KPIs moved only because time passed or counters changed (coalesced by the server). */
  kpis: boolean;
  /** The day rolled over: every view needs a fresh snapshot. */
  resync: boolean;
  ticker: boolean;
  /** Agents with a new private note. */
  notes: Set<string>;
  /** The callback worklist changed (an item opened, moved, was assigned or closed). */
  worklist: boolean;
}

export interface Diagnostics {
  applied: number;
  /** Events about a call, voicemail or callback the engine never saw begin. */
  orphan: number;
  /** Events that arrived older than the latest event of their call. */
  outOfOrder: number;
  /** Events that made no sense in the call's state (e.g. unhold without hold). */
  ignored: number;
  lastEventAtMs?: number;
  /** Calls closed as "end lost" (and not corrected since by a late event of theirs). */
  endLost: number;
  /** Lost calls a late event corrected. */
  endLostCorrected: number;
  /** Events of a day already over when they arrived: counted in that day's history only. */
  pastDay: number;
  /** Events dated ahead of the server's clock (within the ingest limit), counted at the clock's time. */
  aheadOfClock: number;
  /** Events more than 60 s older than the feed's newest (history, late reports): applied at their own time. */
  backDated: number;
  byReason: Record<string, number>;
}

export interface FloorState {
  config: FloorConfig;
  /** Increments with every applied event and every tick that changed something. */
  version: number;
  /** The engine's clock: the latest of event times and ticks. */
  nowMs: number;
  dayStartMs: number;
  dayEndMs: number;
  /** Past days kept in memory per queue and agent (late events of calls offered then still count there). */
  historyDays: number;
  /**
   * What moves the clock. `events`: each event's time (an offline fold of a file, tests). `server`:
   * only `observeClock`/`tick` with the server's time; an event dated ahead of it (a producer whose
   * clock runs fast, within the ingest limit) counts at the clock's time, so the floor never runs ahead.
   */
  clock: 'events' | 'server';
  queues: Map<string, QueueState>;
  agents: Map<string, AgentState>;
  /** Live calls plus recently ended ones (bounded). */
  calls: Map<string, CallState>;
  /** Open alerts. */
  alerts: Map<string, Alert>;
  /** Recently resolved alerts, newest last (bounded). */
  recentAlerts: Alert[];
  /**
   * Every alert of each agent raised on the live day (open, resolved and retracted), oldest
   * first, capped at AGENT_ALERTS_CAP per agent; emptied when the day rolls over. The agent's
   * snapshot takes their alerts from here, never from the floor's recent ones.
   */
  agentAlerts: Map<string, Alert[]>;
  voicemails: Map<string, Voicemail>;
  callbacks: Map<string, Callback>;
  /** Calls queued, ringing or connected. */
  liveCalls: Set<string>;
  /** Ended calls kept for drill-down, oldest first (bounded). */
  endedCalls: Set<string>;
  diagnostics: Diagnostics;
  changes: ChangeSet;
  /** Alerts whose content changed since the last drain (for persistence), in order. */
  alertLog: Alert[];
  /** Latest ticker messages, newest last (bounded). */
  ticker: TickerMessage[];
  /** Private notes per agent, newest last (bounded). */
  agentNotes: Map<string, AgentNote[]>;
}
