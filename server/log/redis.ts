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
import { createClient, type RedisClientType } from 'redis';
import type { FloorEvent } from '../../shared/events.ts';
import type { FloorConfig } from '../../shared/config.ts';
import type { Alert } from '../../shared/state.ts';
import type { AppendResult, AuditEntry, LogStore } from './store.ts';
import { parseRevocationMessage, type RevocationBus } from '../auth/revocation.ts';

/** Events kept per call for a drill-down: a long, messy call fits. */
const CALL_EVENTS_CAP = 500;
/** Stream entries read per round trip during replay and follow. */
const READ_CHUNK = 5_000;
/** How long a follower's blocking read waits before looping, ms (also how soon it notices stop()). */
const BLOCK_MS = 1_000;

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
  private readonly keys: { events: string; ids: string; config: string; alerts: string; audit: string };
  private scriptSha: string | undefined;
  private followers: RedisClientType[] = [];
  private stopping = false;

  private constructor(
    client: RedisClientType,
    private readonly prefix: string,
  ) {
    this.client = client;
    this.keys = { events: `${prefix}:events`, ids: `${prefix}:ids`, config: `${prefix}:config`, alerts: `${prefix}:alerts`, audit: `${prefix}:audit` };
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

  async listAlerts(opts: { sinceMs?: number; untilMs?: number; limit?: number; agentId?: string } = {}): Promise<Alert[]> {
    const all = (await this.client.hVals(this.keys.alerts)).map((b) => JSON.parse(b) as Alert);
    return all
      .filter((a) => (opts.sinceMs === undefined || a.raisedAtMs >= opts.sinceMs) && (opts.untilMs === undefined || a.raisedAtMs < opts.untilMs) && (opts.agentId === undefined || a.agentId === opts.agentId))
      .sort((a, b) => b.raisedAtMs - a.raisedAtMs || a.id.localeCompare(b.id))
      .slice(0, opts.limit ?? 1_000);
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
