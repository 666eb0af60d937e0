/**
 * What a prune of the event log deletes and what it keeps, shared by the
 * SQLite and the Redis store (each reads its rows and deletes in its own way).
 *
 * A row goes when it is dated and received before the cut, unless the floor
 * after the cut still stands on it. A start-up replay folds what is left; for
 * it to rebuild the days after the cut as the live run saw them, these stay:
 * - the newest `config.changed`. The saved configuration (the `config` table or
 *   key, written with every change, never pruned) is what a replay starts
 *   from, but the replay then re-applies each `config.changed` of the log at
 *   its place: without the last one before the cut, the first kept days would
 *   fold with the newest settings instead of those they had. Older changes are
 *   superseded by it and go.
 * - per agent, the newest `agent.state` (presence carries over midnight) and
 *   the newest carrying a name, a team and a queue list (a source may send an
 *   agent's name once, at their first sign-in).
 * - every event of a call that has an event at or after the cut (a call over
 *   midnight, a late event), or that an alert still open at the cut is about
 *   (an escalation stays open until someone acts on it): the call is folded
 *   whole, and its alert rebuilt as it was.
 * - every event of a callback not completed, and of a voicemail not returned,
 *   before the cut: they stay on the floor, and due, until then.
 * - acknowledgements and reopenings of alerts still open at the cut.
 * - the newest ticker posts (the wallboard shows the last {@link TICKER_CAP})
 *   and each agent's newest notes ({@link NOTES_CAP}).
 *
 * What the kept rows cannot carry goes into the log's {@link LogHorizon},
 * which a replay starts from: the queues known before the cut (a queue stays
 * on the floor once seen) and where each one's queue-wait episode numbers
 * start. Those ids (`queue-wait:<queue>:<n>`) count episodes over the whole
 * log; for the episodes after the cut to keep their ids, and the
 * acknowledgements in the log to find them, the replay starts each queue at
 * the live run's count at the cut (the highest number the alerts table holds
 * before it) less the episodes the replay opens again itself from the events
 * left before the cut (calls going on past it): those are counted by folding
 * them ({@link episodesLeftBy}) after the deletions. A replay still differs
 * from the live run before the cut (its calls, and the pace they set, are
 * gone), so alerts last changed before the horizon are not saved again at
 * start-up: the copies in the alerts table, written by the live run, are the
 * record.
 *
 * Left out on purpose: an item of the callback worklist opened by an abandon
 * before the cut expires within 24 hours, so before today begins (the cut is
 * at least a day back) but after the cut; a replay no longer has it, nor its
 * expiry on the first kept day (its alert's record stays as the live run saved
 * it). A late event received after the cut for a call otherwise pruned stays
 * alone. An agent only ever seen in calls, never in an `agent.state`, leaves
 * the floor with their calls.
 *
 * Two passes over the rows before the cut, in log order: the first finds what
 * must stay (the newest of each kind, open callbacks and voicemails, queues),
 * the second deletes the rest in batches. Both stop at the first row received
 * {@link PRUNE_CLOCK_SLACK_MS} after the cut: the receive clock only moves
 * forward, bar a clock step, and a row missed that way is met by a later
 * prune, whose cut is later.
 */
import type { FloorConfig } from '../../shared/config.ts';
import { applyEvent, createFloorState, NOTES_CAP, observeClock, TICKER_CAP, type EngineLimits } from '../../shared/engine.ts';
import { ensureQueue } from '../../shared/engine/core.ts';
import type { FloorEvent } from '../../shared/events.ts';
import type { FloorState } from '../../shared/state.ts';
import type { LogHorizon, PruneOptions, PruneResult } from './store.ts';

/**
 * Rows read (and deleted) per step; ingest runs between steps. Measured on a
 * 1,000,000-event SQLite log (a busy 2-core machine): 800,000 pruned in 5-7 s,
 * the longest step 30-60 ms; with 5,000 per step, 220-350 ms.
 */
export const PRUNE_BATCH = 1_000;
/**
 * How far past the cut a pass goes on before it stops, ms: covers a step back
 * of the server's clock and, on Redis, the difference between Redis's clock
 * (which stamps stream ids) and the server's.
 */
export const PRUNE_CLOCK_SLACK_MS = 3_600_000;
/** Event types whose body a prune reads (the rest are decided by type, times and call id alone). */
export const PRUNE_BODY_TYPES: ReadonlySet<string> = new Set([
  'agent.state',
  'call.queued',
  'callback.scheduled',
  'callback.completed',
  'voicemail.left',
  'voicemail.returned',
  'alert.acknowledged',
  'alert.reopened',
  'agent.noted',
]);

/** One row of the log as a prune sees it; `key` is the store's own (SQLite seq, Redis stream id). */
export interface PruneRow<K> {
  key: K;
  type: string | null;
  atMs: number;
  receivedMs: number;
  callId: string | null;
  /** The parsed body, for the types of {@link PRUNE_BODY_TYPES} (else absent); undefined when unreadable. */
  body?: Record<string, unknown>;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * Starts a replay's floor from the log's horizon: every queue known before
 * the cut, with the queue-wait episodes it had numbered. Call on a fresh state,
 * before the replay. Returns the floor it was given.
 */
export function applyHorizon(s: FloorState, horizon: LogHorizon | undefined): FloorState {
  if (!horizon) return s;
  for (const [queueId, episodes] of Object.entries(horizon.queueWaitEpisodes)) {
    const q = ensureQueue(s, queueId);
    q.waitEpisodes = Math.max(q.waitEpisodes, episodes);
  }
  return s;
}

/** One prune: `noteAlerts`, `survey` every chunk of the log (first pass), `endSurvey`, then `sweep` every chunk again and delete what it returns. */
export class PrunePlan<K> {
  readonly result: PruneResult = { events: 0, kept: 0, keptBy: {} };
  /** The current pass has seen a row received well after the cut: nothing after it is read. */
  done = false;
  private readonly keep = new Set<K>();
  private configKey: K | undefined;
  private readonly agents = new Map<string, { last: K; name?: K; team?: K; queues?: K }>();
  private readonly tickers: K[] = [];
  private readonly notes = new Map<string, K[]>();
  /** Callback and voicemail ids: true while open (scheduled or left, not yet completed or returned). */
  private readonly callbacks = new Map<string, boolean>();
  private readonly voicemails = new Map<string, boolean>();
  /** Calls known to go on past the cut (true) or not (false). */
  private readonly callsOn = new Map<string, boolean>();
  private readonly openAlerts = new Set<string>();
  private readonly queues: Record<string, number>;

  constructor(
    readonly cutMs: number,
    /** The horizon of the last prune, if any: its queues carry over. */
    previous: LogHorizon | undefined,
    /** Of these call ids, the ones with an event dated or received at or after the cut. */
    private readonly callsGoingOn: (callIds: string[]) => Promise<Set<string>>,
  ) {
    this.queues = { ...previous?.queueWaitEpisodes };
  }

  /**
   * The stored alerts (the alerts table's content) raised before the cut, at
   * least those still open at it and the queue-wait ones: which alerts were
   * open at the cut (their acknowledgements stay, and their calls), and how
   * many queue-wait episodes each queue had numbered by then.
   */
  noteAlerts(alerts: Iterable<unknown>): void {
    for (const value of alerts) {
      if (value === null || typeof value !== 'object') continue;
      const a = value as { id?: unknown; status?: unknown; raisedAtMs?: unknown; resolvedAtMs?: unknown; callId?: unknown; queueId?: unknown; ruleId?: unknown };
      const id = str(a.id);
      if (id === undefined || typeof a.raisedAtMs !== 'number' || !(a.raisedAtMs < this.cutMs)) continue;
      if (a.status === 'open' || (a.status === 'resolved' && typeof a.resolvedAtMs === 'number' && a.resolvedAtMs >= this.cutMs)) {
        this.openAlerts.add(id);
        const call = str(a.callId);
        if (call !== undefined) this.callsOn.set(call, true);
      }
      // Episode n of queue q is `queue-wait:q:n`; a retracted one was never real and gave its number back.
      const queue = str(a.queueId);
      if (a.ruleId === 'queue-wait' && queue !== undefined && a.status !== 'retracted' && id.startsWith(`queue-wait:${queue}:`)) {
        const n = id.slice(`queue-wait:${queue}:`.length);
        if (/^\d{1,9}$/.test(n)) this.queues[queue] = Math.max(this.queues[queue] ?? 0, Number(n));
      }
    }
  }

  /** The rows of a chunk that are before the cut; sets {@link done} at the first row past the slack. */
  private before(rows: PruneRow<K>[]): PruneRow<K>[] {
    const out: PruneRow<K>[] = [];
    for (const r of rows) {
      if (r.receivedMs >= this.cutMs + PRUNE_CLOCK_SLACK_MS) {
        this.done = true;
        break;
      }
      if (r.atMs < this.cutMs && r.receivedMs < this.cutMs) out.push(r);
    }
    return out;
  }

  /** First pass: notes the newest of each kind, the open callbacks and voicemails, and the queues. */
  survey(rows: PruneRow<K>[]): void {
    for (const r of this.before(rows)) {
      const b = r.body ?? {};
      switch (r.type) {
        case 'config.changed':
          this.configKey = r.key;
          break;
        case 'call.queued': {
          const q = str(b.queueId);
          if (q !== undefined) this.queues[q] ??= 0;
          break;
        }
        case 'agent.state': {
          const id = str(b.agentId);
          if (id === undefined) break;
          const a = this.agents.get(id) ?? { last: r.key };
          a.last = r.key;
          if (b.name !== undefined) a.name = r.key;
          if (b.team !== undefined) a.team = r.key;
          if (b.queues !== undefined) a.queues = r.key;
          this.agents.set(id, a);
          if (Array.isArray(b.queues)) for (const q of b.queues) if (str(q) !== undefined) this.queues[q as string] ??= 0;
          break;
        }
        case 'callback.scheduled':
        case 'callback.completed': {
          const id = str(b.callbackId);
          if (id !== undefined) this.callbacks.set(id, r.type === 'callback.scheduled' && this.callbacks.get(id) !== false);
          break;
        }
        case 'voicemail.left':
        case 'voicemail.returned': {
          const id = str(b.voicemailId);
          if (id !== undefined) this.voicemails.set(id, r.type === 'voicemail.left' && this.voicemails.get(id) !== false);
          break;
        }
        case 'ticker.posted':
          this.tickers.push(r.key);
          if (this.tickers.length > TICKER_CAP) this.tickers.shift();
          break;
        case 'agent.noted': {
          const id = str(b.agentId);
          if (id === undefined) break;
          const list = this.notes.get(id) ?? [];
          list.push(r.key);
          if (list.length > NOTES_CAP) list.shift();
          this.notes.set(id, list);
          break;
        }
      }
    }
  }

  /** Ends the first pass: what it found to keep is fixed, and the second pass starts from the top. */
  endSurvey(): void {
    if (this.configKey !== undefined) this.keep.add(this.configKey);
    for (const a of this.agents.values()) for (const k of [a.last, a.name, a.team, a.queues]) if (k !== undefined) this.keep.add(k);
    for (const k of this.tickers) this.keep.add(k);
    for (const list of this.notes.values()) for (const k of list) this.keep.add(k);
    this.done = false;
  }

  /**
   * The horizon to store once this prune's deletions are done: each queue's
   * count at the cut less `reopened[queue]`, the episodes a replay opens again
   * from the events left before the cut.
   */
  horizon(reopened: Record<string, number> = {}): LogHorizon {
    const queueWaitEpisodes: Record<string, number> = {};
    for (const [q, n] of Object.entries(this.queues)) queueWaitEpisodes[q] = Math.max(0, n - (reopened[q] ?? 0));
    return { beforeMs: this.cutMs, queueWaitEpisodes };
  }

  /**
   * Second pass: the keys of this chunk to delete, and the call ids among them
   * (for stores that keep per-call lists: a call is deleted whole or not at all).
   * Counts them in {@link result}; the caller deletes them.
   */
  async sweep(rows: PruneRow<K>[]): Promise<{ remove: K[]; calls: string[] }> {
    const candidates = this.before(rows);
    const unknown = new Set<string>();
    for (const r of candidates) if (r.callId !== null && !this.callsOn.has(r.callId)) unknown.add(r.callId);
    if (unknown.size > 0) {
      const on = await this.callsGoingOn([...unknown]);
      for (const id of unknown) this.callsOn.set(id, on.has(id));
    }
    const remove: K[] = [];
    const calls = new Set<string>();
    for (const r of candidates) {
      const why = this.keepReason(r);
      if (why !== undefined) {
        this.result.kept++;
        this.result.keptBy[why] = (this.result.keptBy[why] ?? 0) + 1;
        continue;
      }
      remove.push(r.key);
      if (r.callId !== null) calls.add(r.callId);
    }
    this.result.events += remove.length;
    return { remove, calls: [...calls] };
  }

  private keepReason(r: PruneRow<K>): string | undefined {
    if (r.callId !== null && this.callsOn.get(r.callId)) return 'calls';
    if (this.keep.has(r.key)) {
      if (r.type === 'config.changed') return 'config';
      if (r.type === 'agent.state') return 'agents';
      return r.type === 'ticker.posted' ? 'ticker' : 'notes';
    }
    const b = r.body;
    if (b === undefined) return undefined;
    if ((r.type === 'alert.acknowledged' || r.type === 'alert.reopened') && this.openAlerts.has(str(b.alertId) ?? '')) return 'alerts';
    if (r.type?.startsWith('callback.') && this.callbacks.get(str(b.callbackId) ?? '')) return 'callbacks';
    if (r.type?.startsWith('voicemail.') && this.voicemails.get(str(b.voicemailId) ?? '')) return 'voicemails';
    return undefined;
  }
}

/**
 * The `episodesLeft` of {@link PruneOptions} for a server: folds the events left
 * before the cut as its start-up replay does (from `startConfig`, the saved
 * configuration or else the server's, each event at its receive time, with the
 * live run's engine limits), brings the clock to the cut, and counts the
 * queue-wait episodes each queue opened.
 */
export function episodesLeftBy(startConfig: () => FloorConfig, limits?: Partial<EngineLimits>): NonNullable<PruneOptions['episodesLeft']> {
  return (events, cutMs) => {
    const s = createFloorState(startConfig(), 0, { clock: 'server', limits });
    for (const [e, receivedMs] of events) {
      observeClock(s, receivedMs);
      applyEvent(s, e as FloorEvent);
    }
    observeClock(s, cutMs);
    const out: Record<string, number> = {};
    for (const q of s.queues.values()) if (q.waitEpisodes > 0) out[q.queueId] = q.waitEpisodes;
    return out;
  };
}
