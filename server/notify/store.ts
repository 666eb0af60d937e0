/**
 * Where notification channels, routing and delivery records are kept: beside
 * the event log. On one node that is the SQLite file of the log (its own
 * tables, a second connection, WAL); on several nodes it is Redis under the
 * log's prefix, as the floor's configuration is, so every node routes with
 * the same settings and an admin on any node sees every delivery.
 *
 * `claim` is how nodes agree on who sends a notification: the first to claim
 * its key sends it, the others do not (Redis `SET key NX PX`, or a row with an
 * expiry in SQLite for processes sharing one file).
 */
import type Database from 'better-sqlite3';
import { openBesideLog } from '../log/side-db.ts';
import { createClient, type RedisClientType } from 'redis';
import { routingSchema, type Channel, type DeliveryRecord, type Routing } from './types.ts';

/** Delivery records kept; older ones are dropped as new ones come (the audit trail keeps each outcome). */
export const DELIVERIES_KEPT = 10_000;

/** Channels, routing, delivery records and send claims. */
export interface NotifyStore {
  /** `sqlite` or `redis`, for health and logs. */
  readonly kind: string;
  listChannels(): Promise<Channel[]>;
  getChannel(id: string): Promise<Channel | undefined>;
  /** Inserts or replaces a channel by id. */
  putChannel(channel: Channel): Promise<void>;
  /** Whether a channel was there to delete. */
  deleteChannel(id: string): Promise<boolean>;
  /** The routing in force (empty when never saved). */
  loadRouting(): Promise<Routing>;
  saveRouting(routing: Routing): Promise<void>;
  /** Inserts or updates a delivery record by id. */
  saveDelivery(record: DeliveryRecord): Promise<void>;
  /** The newest `limit` delivery records (by creation), newest first. */
  listDeliveries(limit?: number): Promise<DeliveryRecord[]>;
  /** True for exactly one owner per key until `ttlMs` after the winning claim (and again for that owner, so a retry of its own claim holds). */
  claim(key: string, owner: string, ttlMs: number, nowMs: number): Promise<boolean>;
  close(): Promise<void>;
}

const emptyRouting = (): Routing => routingSchema.parse({});

/** The tables live in the event log's file under their own names; the log's schema version does not cover them. */
const SCHEMA = `
  CREATE TABLE IF NOT EXISTS notify_channels (id TEXT PRIMARY KEY, body TEXT NOT NULL, updated_ms INTEGER NOT NULL);
  CREATE TABLE IF NOT EXISTS notify_routing (id INTEGER PRIMARY KEY CHECK (id = 1), body TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS notify_deliveries (id TEXT PRIMARY KEY, created_ms INTEGER NOT NULL, body TEXT NOT NULL);
  CREATE INDEX IF NOT EXISTS notify_deliveries_created ON notify_deliveries(created_ms);
  CREATE TABLE IF NOT EXISTS notify_claims (key TEXT PRIMARY KEY, owner TEXT NOT NULL, until_ms INTEGER NOT NULL);`;

/**
 * The SQLite store: `file` is the event log's (or ':memory:'). The file is
 * opened at first use, not when the store is made: `createServer` builds one
 * with no side effects.
 */
export class SqliteNotifyStore implements NotifyStore {
  readonly kind = 'sqlite';
  private handle: Database.Database | undefined;
  private inserts = 0;

  constructor(private readonly file: string) {}

  private get db(): Database.Database {
    return (this.handle ??= openBesideLog(this.file, SCHEMA));
  }

  async listChannels(): Promise<Channel[]> {
    return (this.db.prepare('SELECT body FROM notify_channels ORDER BY id').pluck().all() as string[]).map((b) => JSON.parse(b) as Channel);
  }

  async getChannel(id: string): Promise<Channel | undefined> {
    const b = this.db.prepare('SELECT body FROM notify_channels WHERE id = ?').pluck().get(id) as string | undefined;
    return b === undefined ? undefined : (JSON.parse(b) as Channel);
  }

  async putChannel(c: Channel): Promise<void> {
    this.db
      .prepare('INSERT INTO notify_channels (id, body, updated_ms) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET body = excluded.body, updated_ms = excluded.updated_ms')
      .run(c.id, JSON.stringify(c), c.updatedAtMs);
  }

  async deleteChannel(id: string): Promise<boolean> {
    return this.db.prepare('DELETE FROM notify_channels WHERE id = ?').run(id).changes === 1;
  }

  async loadRouting(): Promise<Routing> {
    const b = this.db.prepare('SELECT body FROM notify_routing WHERE id = 1').pluck().get() as string | undefined;
    return b === undefined ? emptyRouting() : routingSchema.parse(JSON.parse(b));
  }

  async saveRouting(r: Routing): Promise<void> {
    this.db.prepare('INSERT INTO notify_routing (id, body) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET body = excluded.body').run(JSON.stringify(r));
  }

  async saveDelivery(r: DeliveryRecord): Promise<void> {
    this.db.prepare('INSERT INTO notify_deliveries (id, created_ms, body) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET body = excluded.body').run(r.id, r.createdAtMs, JSON.stringify(r));
    // Trim now and then, not on every write.
    if (++this.inserts % 500 === 0) {
      this.db.prepare('DELETE FROM notify_deliveries WHERE id IN (SELECT id FROM notify_deliveries ORDER BY created_ms DESC LIMIT -1 OFFSET ?)').run(DELIVERIES_KEPT);
    }
  }

  async listDeliveries(limit = 500): Promise<DeliveryRecord[]> {
    const rows = this.db.prepare('SELECT body FROM notify_deliveries ORDER BY created_ms DESC, id DESC LIMIT ?').pluck().all(Math.max(1, Math.min(limit, DELIVERIES_KEPT))) as string[];
    return rows.map((b) => JSON.parse(b) as DeliveryRecord);
  }

  async claim(key: string, owner: string, ttlMs: number, nowMs: number): Promise<boolean> {
    // An expired claim may be taken over; a live one is nobody else's.
    const r = this.db
      .prepare('INSERT INTO notify_claims (key, owner, until_ms) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET owner = excluded.owner, until_ms = excluded.until_ms WHERE notify_claims.until_ms < ? OR notify_claims.owner = excluded.owner')
      .run(key, owner, nowMs + ttlMs, nowMs);
    if (r.changes === 1 && Math.random() < 0.01) this.db.prepare('DELETE FROM notify_claims WHERE until_ms < ?').run(nowMs);
    return r.changes === 1;
  }

  async close(): Promise<void> {
    if (this.handle?.open) this.handle.close();
  }
}

/** The Redis store, under `<prefix>:notify:*` (the event log's prefix: a purge of the log removes it too). */
export class RedisNotifyStore implements NotifyStore {
  readonly kind = 'redis';
  private readonly keys: { channels: string; routing: string; deliveries: string; order: string; claim: string };

  private constructor(
    private readonly client: RedisClientType,
    prefix: string,
  ) {
    const p = `${prefix}:notify`;
    this.keys = { channels: `${p}:channels`, routing: `${p}:routing`, deliveries: `${p}:deliveries`, order: `${p}:delivery-order`, claim: `${p}:claim:` };
  }

  /** Connects its own client; rejects with a clear message when Redis cannot be reached. */
  static async open(opts: { url: string; prefix?: string }): Promise<RedisNotifyStore> {
    const client = createClient({ url: opts.url, socket: { reconnectStrategy: (n) => Math.min(100 * 2 ** n, 2_000) } }) as RedisClientType;
    client.on('error', () => {
      // node-redis reconnects; a failed call rejects and the dispatcher retries.
    });
    try {
      await client.connect();
    } catch (err) {
      throw new Error(`notifications: cannot reach Redis at ${opts.url}: ${(err as Error).message}`);
    }
    return new RedisNotifyStore(client, opts.prefix ?? 'fw');
  }

  async listChannels(): Promise<Channel[]> {
    const all = await this.client.hVals(this.keys.channels);
    return all.map((b) => JSON.parse(b) as Channel).sort((a, b) => a.id.localeCompare(b.id));
  }

  async getChannel(id: string): Promise<Channel | undefined> {
    const b = await this.client.hGet(this.keys.channels, id);
    return b ? (JSON.parse(b) as Channel) : undefined;
  }

  async putChannel(c: Channel): Promise<void> {
    await this.client.hSet(this.keys.channels, c.id, JSON.stringify(c));
  }

  async deleteChannel(id: string): Promise<boolean> {
    return (await this.client.hDel(this.keys.channels, id)) === 1;
  }

  async loadRouting(): Promise<Routing> {
    const b = await this.client.get(this.keys.routing);
    return b === null ? emptyRouting() : routingSchema.parse(JSON.parse(b));
  }

  async saveRouting(r: Routing): Promise<void> {
    await this.client.set(this.keys.routing, JSON.stringify(r));
  }

  async saveDelivery(r: DeliveryRecord): Promise<void> {
    await this.client.multi().hSet(this.keys.deliveries, r.id, JSON.stringify(r)).zAdd(this.keys.order, { score: r.createdAtMs, value: r.id }, { NX: true }).exec();
    const n = await this.client.zCard(this.keys.order);
    if (n > DELIVERIES_KEPT) {
      const old = await this.client.zRange(this.keys.order, 0, n - DELIVERIES_KEPT - 1);
      if (old.length) await this.client.multi().zRem(this.keys.order, old).hDel(this.keys.deliveries, old).exec();
    }
  }

  async listDeliveries(limit = 500): Promise<DeliveryRecord[]> {
    const ids = await this.client.zRange(this.keys.order, 0, Math.max(1, Math.min(limit, DELIVERIES_KEPT)) - 1, { REV: true });
    if (ids.length === 0) return [];
    const bodies = await this.client.hmGet(this.keys.deliveries, ids);
    return bodies.filter((b): b is string => typeof b === 'string').map((b) => JSON.parse(b) as DeliveryRecord);
  }

  async claim(key: string, owner: string, ttlMs: number): Promise<boolean> {
    // SET NX PX: atomic on the one Redis every node shares (https://redis.io/docs/latest/commands/set/).
    if ((await this.client.set(this.keys.claim + key, owner, { NX: true, PX: Math.max(1, Math.round(ttlMs)) })) === 'OK') return true;
    return (await this.client.get(this.keys.claim + key)) === owner;
  }

  async close(): Promise<void> {
    if (this.client.isOpen) await this.client.quit().catch(() => this.client.disconnect().catch(() => undefined));
  }
}

/** The file of a SQLite event log (its `file`), or ':memory:' for any other log: where the default store keeps its tables. */
export function sqliteFileOf(log: { kind: string }): string {
  const file = (log as { file?: unknown }).file;
  return log.kind === 'sqlite' && typeof file === 'string' ? file : ':memory:';
}

/** Opens the notification store that goes with an event log: SQLite on its file, or Redis when `redis` is given. */
export async function openNotifyStore(opts: { sqliteFile?: string; redis?: { url: string; prefix?: string } }): Promise<NotifyStore> {
  if (opts.redis) return RedisNotifyStore.open(opts.redis);
  return new SqliteNotifyStore(opts.sqliteFile ?? ':memory:');
}
