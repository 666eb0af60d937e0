/**
 * The event log on Redis Streams, for several Floorwatch nodes: ingest on any
 * node appends to one stream; every node reads the stream in order and folds
 * the same state.
 *
 * An append is one Lua script (atomic): each event whose id was never seen is
 * added to the stream, its id to a hash (so a retry on any node is a
 * duplicate), and its body to its call's list (drill-down). The promise
 * resolves when Redis has executed it; for an acknowledgement to survive a
 * Redis restart, run Redis with `appendonly yes` and `appendfsync always`.
 *
 * Each stream entry keeps the server-clock time its event was received at
 * (`rx`): a replay, and every node following the stream, fold with that clock
 * rather than their own, so all of them see the same "now". Entries written
 * before `rx` existed fall back to the event's own time.
 */
import { randomUUID } from 'node:crypto';
import { createClient, type RedisClientType } from 'redis';
import type { FloorEvent } from '../../shared/events.ts';
import type { FloorConfig } from '../../shared/config.ts';
import type { Alert } from '../../shared/state.ts';
import type { AlertQuery, AppendResult, AuditEntry, LogHorizon, LogStore, PruneOptions, PruneResult } from './store.ts';
import { PRUNE_BATCH, PrunePlan, type PruneRow } from './prune.ts';
import { parseRevocationMessage, type RevocationBus } from '../auth/revocation.ts';

/** Events kept per call for a drill-down: a long, messy call fits. */
const CALL_EVENTS_CAP = 500;
/** Stream entries read per round trip during replay and follow. */
const READ_CHUNK = 5_000;
/** How long a follower's blocking read waits before looping, ms (also how soon it notices stop()). */
const BLOCK_MS = 1_000;
/** A prune's hold on the log against other nodes' prunes, ms; renewed at every step, so it only runs out when its node died. */
const PRUNE_LOCK_MS = 120_000;
/** Deletes the prune lock only if it still holds this node's token (another node may have taken it after it ran out). */
const UNLOCK_SCRIPT = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

const APPEND_SCRIPT = `
local out = {}
local rx = ARGV[2]
local n = (#ARGV - 2) / 3
for i = 1, n do
  local id = ARGV[2 + (i - 1) * 3 + 1]
  local body = ARGV[2 + (i - 1) * 3 + 2]
  local call = ARGV[2 + (i - 1) * 3 + 3]
  if redis.call('HSETNX', KEYS[2], id, '1') == 1 then
    local sid = redis.call('XADD', KEYS[1], '*', 'id', id, 'body', body, 'rx', rx)
    redis.call('HSET', KEYS[2], id, sid)
    if call ~= '' then
      local key = ARGV[1] .. ':call:' .. call
      redis.call('RPUSH', key, body)
      redis.call('LTRIM', key, -${CALL_EVENTS_CAP}, -1)
    end
    out[#out + 1] = i
  end
end
return out
`;

export interface RedisLogOptions {
  url: string;
  /** Key prefix: several floors (or test runs) can share one Redis. */
  prefix?: string;
}

export class RedisLog implements LogStore {
  readonly kind = 'redis';
  private readonly client: RedisClientType;
  private readonly keys: { events: string; ids: string; config: string; alerts: string; audit: string; horizon: string; pruneLock: string };
  private scriptSha: string | undefined;
  private followers: RedisClientType[] = [];
  private stopping = false;

  private constructor(
    client: RedisClientType,
    private readonly prefix: string,
  ) {
    this.client = client;
    this.keys = {
      events: `${prefix}:events`,
      ids: `${prefix}:ids`,
      config: `${prefix}:config`,
      alerts: `${prefix}:alerts`,
      audit: `${prefix}:audit`,
      horizon: `${prefix}:horizon`,
      pruneLock: `${prefix}:prune-lock`,
    };
  }

  /** Connects; rejects with a clear message when Redis cannot be reached. */
  static async open(opts: RedisLogOptions): Promise<RedisLog> {
    let connectedOnce = false;
    const client = createClient({
      url: opts.url,
      socket: {
        // At start, give up after a few tries with a clear error; once running, keep trying for ever.
        reconnectStrategy: (retries) => (!connectedOnce && retries >= 3 ? new Error('no answer') : Math.min(100 * 2 ** retries, 2_000)),
      },
    }) as RedisClientType;
    client.on('ready', () => (connectedOnce = true));
    client.on('error', () => {
      // Reported through `isWritable()` and /api/health; node-redis reconnects by itself.
    });
    try {
      await client.connect();
    } catch (err) {
      throw new Error(`cannot reach Redis at ${opts.url}: ${(err as Error).message}`);
    }
    return new RedisLog(client, opts.prefix ?? 'fw');
  }

  /** Whether Redis is reachable right now: ingest is refused while it is not. */
  isWritable(): boolean {
    return this.client.isReady;
  }

  async append(events: FloorEvent[], receivedAtMs: number): Promise<AppendResult> {
    if (events.length === 0) return { appended: [], duplicates: 0 };
    const args = [this.prefix, String(Math.round(receivedAtMs))];
    for (const e of events) args.push(e.id, JSON.stringify(e), 'callId' in e ? e.callId : '');
    this.scriptSha ??= await this.client.scriptLoad(APPEND_SCRIPT);
    let idx: number[];
    try {
      idx = (await this.client.evalSha(this.scriptSha, { keys: [this.keys.events, this.keys.ids], arguments: args })) as number[];
    } catch (err) {
      if (!/NOSCRIPT/.test((err as Error).message)) throw err;
      this.scriptSha = await this.client.scriptLoad(APPEND_SCRIPT); // Redis restarted and lost its script cache
      idx = (await this.client.evalSha(this.scriptSha, { keys: [this.keys.events, this.keys.ids], arguments: args })) as number[];
    }
    const appended = idx.map((i) => events[i - 1]);
    return { appended, duplicates: events.length - appended.length };
  }

  /** Reads the stream from the start; resolves with the count (and remembers where it stopped). */
  async replay(fn: (event: FloorEvent, receivedAtMs: number) => void): Promise<number> {
    let n = 0;
    let start = '-';
    for (;;) {
      const rows = await this.client.xRange(this.keys.events, start, '+', { COUNT: READ_CHUNK });
      for (const r of rows) {
        const e = JSON.parse(r.message.body) as FloorEvent;
        fn(e, receivedAt(r.message, e));
        n++;
      }
      if (rows.length < READ_CHUNK) {
        if (rows.length) this.lastReplayedId = rows[rows.length - 1].id;
        return n;
      }
      start = `(${rows[rows.length - 1].id}`;
    }
  }

  /** The stream id of the last event `replay` delivered ('0' before any). */
  lastReplayedId = '0';

  /**
   * Delivers every event appended after `fromId`, in stream order, for as long
   * as the log is open; survives Redis going away and coming back. Beside the
   * events, the receive time stored with each (same index).
   */
  follow(fromId: string, onEvents: (events: FloorEvent[], receivedAtMs: number[]) => void, onError?: (err: Error) => void): void {
    const reader = this.client.duplicate() as RedisClientType;
    reader.on('error', () => {});
    this.followers.push(reader);
    let last = fromId;
    const loop = async () => {
      await reader.connect().catch(() => undefined);
      while (!this.stopping) {
        try {
          const res = await reader.xRead({ key: this.keys.events, id: last }, { BLOCK: BLOCK_MS, COUNT: READ_CHUNK });
          if (!res) continue;
          for (const stream of res) {
            const events = stream.messages.map((m) => JSON.parse(m.message.body) as FloorEvent);
            const received = stream.messages.map((m, i) => receivedAt(m.message, events[i]));
            if (stream.messages.length) last = stream.messages[stream.messages.length - 1].id;
            if (events.length) onEvents(events, received);
          }
        } catch (err) {
          if (this.stopping) break;
          onError?.(err as Error);
          await new Promise((r) => setTimeout(r, 250));
        }
      }
    };
    void loop();
  }

  /**
   * Revocations between nodes on Redis pub/sub (channel `<prefix>:revocations`):
   * a sign-out, deleted user or revoked token on one node cuts the sockets of
   * every node at once. Pub/sub keeps nothing: a node that is away when a
   * message goes out catches the change at its next check (see revocation.ts).
   * The subscriber is its own connection (a subscribed client can do nothing
   * else), resubscribed by node-redis after a reconnect, closed with the log.
   */
  revocationBus(): RevocationBus {
    const channel = `${this.prefix}:revocations`;
    return {
      publish: async (m) => {
        await this.client.publish(channel, JSON.stringify(m));
      },
      subscribe: async (fn) => {
        const sub = this.client.duplicate() as RedisClientType;
        sub.on('error', () => {});
        this.followers.push(sub);
        await sub.connect();
        await sub.subscribe(channel, (raw) => {
          const m = parseRevocationMessage(raw);
          if (m) fn(m);
        });
      },
    };
  }

  async count(): Promise<number> {
    return this.client.xLen(this.keys.events);
  }

  /**
   * Walks the stream twice by id (see {@link PrunePlan} for what is kept), a
   * step of {@link PRUNE_BATCH} entries at a time, and deletes with XDEL, the
   * ids of the deleted events from the duplicate check and the drill-down
   * lists of the deleted calls with them. Not XTRIM MINID: stream ids carry
   * Redis's clock at the append, not the event's time nor the server's, and a
   * trim cannot leave the kept events behind. One node prunes at a time (a
   * lock key renewed at every step); another that asks meanwhile gets `busy`.
   * A call goes on past the cut when the newest event of its drill-down list is
   * dated at or after the cut (a late event of an older call is kept alone).
   */
  async prune(beforeMs: number, opts: PruneOptions = {}): Promise<PruneResult> {
    const token = randomUUID();
    if ((await this.client.set(this.keys.pruneLock, token, { NX: true, PX: PRUNE_LOCK_MS })) !== 'OK') return { events: 0, kept: 0, keptBy: {}, busy: true };
    try {
      const previous = await this.horizon();
      const plan = new PrunePlan<string>(beforeMs, previous, (ids) => this.callsGoingOn(ids, beforeMs));
      plan.noteAlerts((await this.client.hVals(this.keys.alerts)).map((b) => JSON.parse(b) as unknown));
      await this.pruneWalk(plan, opts.signal, async (rows) => plan.survey(rows));
      plan.endSurvey();
      await this.pruneWalk(plan, opts.signal, async (rows, eventIds) => {
        const { remove, calls } = await plan.sweep(rows);
        if (remove.length === 0) return;
        const tx = this.client.multi().xDel(this.keys.events, remove).hDel(
          this.keys.ids,
          remove.map((k) => eventIds.get(k) ?? ''),
        );
        if (calls.length > 0) tx.del(calls.map((c) => `${this.prefix}:call:${c}`));
        await tx.exec();
      });
      const reopened = opts.episodesLeft?.(await this.eventsBefore(beforeMs), beforeMs) ?? {};
      if (previous === undefined || beforeMs >= previous.beforeMs) await this.client.set(this.keys.horizon, JSON.stringify(plan.horizon(reopened)));
      return plan.result;
    } finally {
      await this.client.eval(UNLOCK_SCRIPT, { keys: [this.keys.pruneLock], arguments: [token] }).catch(() => undefined);
    }
  }

  /** One pass of a prune over the stream, renewing the lock at every step; `step` also gets each entry's event id. */
  private async pruneWalk(plan: PrunePlan<string>, signal: AbortSignal | undefined, step: (rows: PruneRow<string>[], eventIds: Map<string, string>) => Promise<void>): Promise<void> {
    let start = '-';
    while (!plan.done) {
      signal?.throwIfAborted();
      await this.client.pExpire(this.keys.pruneLock, PRUNE_LOCK_MS);
      const entries = await this.client.xRange(this.keys.events, start, '+', { COUNT: PRUNE_BATCH });
      if (entries.length === 0) break;
      start = `(${entries[entries.length - 1].id}`;
      const eventIds = new Map<string, string>();
      const rows = entries.map((r): PruneRow<string> => {
        let body: Record<string, unknown> | undefined;
        try {
          const v: unknown = JSON.parse(r.message.body);
          if (v !== null && typeof v === 'object' && !Array.isArray(v)) body = v as Record<string, unknown>;
        } catch {
          // An unreadable entry has no time: it is never before the cut, so it stays.
        }
        const at = typeof body?.at === 'number' ? body.at : NaN;
        if (typeof r.message.id === 'string') eventIds.set(r.id, r.message.id);
        const rx = r.message.rx === undefined ? NaN : Number(r.message.rx);
        return { key: r.id, type: typeof body?.type === 'string' ? body.type : null, atMs: at, receivedMs: Number.isFinite(rx) && rx > 0 ? rx : at, callId: typeof body?.callId === 'string' ? body.callId : null, body };
      });
      await step(rows, eventIds);
      if (entries.length < PRUNE_BATCH) break;
    }
  }

  /** Of `callIds`, those whose newest drill-down event is dated at or after `cutMs`. */
  private async callsGoingOn(callIds: string[], cutMs: number): Promise<Set<string>> {
    const tx = this.client.multi();
    for (const id of callIds) tx.lIndex(`${this.prefix}:call:${id}`, -1);
    const newest = (await tx.exec()) as unknown as (string | null)[];
    const on = new Set<string>();
    newest.forEach((body, i) => {
      if (typeof body !== 'string') return;
      try {
        const at = (JSON.parse(body) as { at?: unknown }).at;
        if (typeof at === 'number' && at >= cutMs) on.add(callIds[i]);
      } catch {
        // unreadable: not known to go on
      }
    });
    return on;
  }

  /** The events a replay folds before reaching `cutMs` (stream order, until the first received at or after it), each with its receive time. */
  private async eventsBefore(cutMs: number): Promise<[FloorEvent, number][]> {
    const out: [FloorEvent, number][] = [];
    let start = '-';
    for (;;) {
      const rows = await this.client.xRange(this.keys.events, start, '+', { COUNT: READ_CHUNK });
      for (const r of rows) {
        const e = JSON.parse(r.message.body) as FloorEvent;
        const rx = receivedAt(r.message, e);
        if (rx >= cutMs) return out;
        out.push([e, rx]);
      }
      if (rows.length < READ_CHUNK) return out;
      start = `(${rows[rows.length - 1].id}`;
    }
  }

  async horizon(): Promise<LogHorizon | undefined> {
    const v = await this.client.get(this.keys.horizon);
    return v === null ? undefined : (JSON.parse(v) as LogHorizon);
  }

  async eventsForCall(callId: string, limit = CALL_EVENTS_CAP): Promise<FloorEvent[]> {
    const rows = await this.client.lRange(`${this.prefix}:call:${callId}`, 0, Math.max(0, Math.min(limit, CALL_EVENTS_CAP)) - 1);
    return rows.map((b) => JSON.parse(b) as FloorEvent);
  }

  async loadConfig(): Promise<FloorConfig | undefined> {
    const body = await this.client.get(this.keys.config);
    return body === null ? undefined : (JSON.parse(body) as FloorConfig);
  }

  async saveConfig(config: FloorConfig, actor: string, before?: FloorConfig): Promise<void> {
    await this.client.multi().set(this.keys.config, JSON.stringify(config)).xAdd(this.keys.audit, '*', auditFields({ atMs: Date.now(), actor, action: 'config.update', before, after: config })).exec();
  }

  async saveAlerts(alerts: Alert[]): Promise<void> {
    if (alerts.length === 0) return;
    const fields: Record<string, string> = {};
    for (const a of alerts) fields[a.id] = JSON.stringify(a);
    await this.client.hSet(this.keys.alerts, fields);
  }

  async listAlerts(opts: AlertQuery = {}): Promise<Alert[]> {
    const all = (await this.client.hVals(this.keys.alerts)).map((b) => JSON.parse(b) as Alert);
    return all
      .filter((a) => (opts.sinceMs === undefined || a.raisedAtMs >= opts.sinceMs) && (opts.untilMs === undefined || a.raisedAtMs < opts.untilMs) && (opts.agentId === undefined || a.agentId === opts.agentId))
      .sort((a, b) => b.raisedAtMs - a.raisedAtMs || a.id.localeCompare(b.id))
      .slice(offsetOf(opts.offset), offsetOf(opts.offset) + (opts.limit ?? 1_000));
  }

  async appendAudit(entry: AuditEntry): Promise<void> {
    await this.client.xAdd(this.keys.audit, '*', auditFields(entry));
  }

  async listAudit(limit = 1_000): Promise<AuditEntry[]> {
    const rows = await this.client.xRevRange(this.keys.audit, '+', '-', { COUNT: limit });
    return rows.map((r) => JSON.parse(r.message.entry) as AuditEntry);
  }

  /** Deletes every key of this log's prefix (tests and tear-down only). */
  async purge(): Promise<void> {
    for await (const key of this.client.scanIterator({ MATCH: `${this.prefix}:*`, COUNT: 1_000 })) await this.client.del(key);
  }

  async close(): Promise<void> {
    this.stopping = true;
    for (const f of this.followers) await f.quit().catch(() => f.disconnect().catch(() => undefined));
    this.followers = [];
    if (this.client.isOpen) await this.client.quit().catch(() => this.client.disconnect().catch(() => undefined));
  }
}

/** A query's offset: a whole number, 0 when absent or not positive. */
function offsetOf(offset: number | undefined): number {
  return offset !== undefined && Number.isFinite(offset) && offset > 0 ? Math.floor(offset) : 0;
}

/** The receive time stored with a stream entry; the event's own time for an entry written before it was kept. */
function receivedAt(fields: Record<string, string>, e: FloorEvent): number {
  const rx = fields.rx === undefined ? NaN : Number(fields.rx);
  return Number.isFinite(rx) && rx > 0 ? rx : e.at;
}

function auditFields(e: AuditEntry): Record<string, string> {
  return { entry: JSON.stringify(e) };
}

export function openRedisLog(opts: RedisLogOptions): Promise<RedisLog> {
  return RedisLog.open(opts);
}
