/**
 * Fuzz of the ingest edge: thousands of generated hostile inputs mixed with
 * valid events, over HTTP (`POST /api/events`) and the `/ingest` socket at
 * once. The server must answer every one with a clear error, stay up, let
 * nothing pollute a prototype, and count every valid event exactly once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { connectIngest, getJson, INGEST_TOKEN, startHarness, type Harness } from './harness.ts';
import { Rng } from './faults/prng.ts';
import { invalidItem, ODD_IDS, rawRequests, validEvent, type GenItem, type RawRequest } from './faults/hostile.ts';
import type { Ack, FloorPayload, IngestResult, Snapshot } from '../../shared/wire.ts';

/** A fixed seed: a failure replays exactly. */
const SEED = 0x5eed_f10;
/** Longest a /healthz answer may take while the fuzz runs: a liveness bound, not a performance target. */
const HEALTHZ_MAX_MS = 2_000;

type IngestBody = { ok: boolean; data?: IngestResult; error?: string };

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

/** Own property names of the built-in prototypes, to prove nothing was added to them. */
function prototypeKeys(): string[] {
  return [Object.prototype, Array.prototype, Function.prototype, String.prototype].flatMap((p) => Object.getOwnPropertyNames(p)).sort();
}

function expectNoPollution(before: string[]): void {
  const probe: Record<string, unknown> = {};
  expect(probe.polluted).toBeUndefined();
  expect(probe.isAdmin).toBeUndefined();
  expect(([] as unknown as Record<string, unknown>).polluted).toBeUndefined();
  expect(typeof probe.toString).toBe('function');
  expect(prototypeKeys()).toEqual(before);
}

/** Polls /healthz until stopped; every answer must be 200 `{ ok: true }` and quick enough to count as alive. */
function healthMonitor(h: Harness) {
  let running = true;
  const seen = { answers: 0, failures: [] as string[], maxMs: 0 };
  const done = (async () => {
    while (running) {
      const t = performance.now();
      try {
        const res = await fetch(`${h.url}/healthz`);
        const body = (await res.json()) as { ok?: boolean };
        if (res.status !== 200 || body.ok !== true) seen.failures.push(`status ${res.status}`);
      } catch (err) {
        seen.failures.push((err as Error).message);
      }
      seen.maxMs = Math.max(seen.maxMs, performance.now() - t);
      seen.answers++;
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return {
    seen,
    async stop() {
      running = false;
      await done;
      return seen;
    },
  };
}

/** Runs `work` over `items` with at most `n` in flight. */
async function pool<T>(items: T[], n: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) await work(items[next++]);
    }),
  );
}

/**
 * Builds the inputs and keeps the books: which valid ids were sent how often,
 * and what each batch's answer must be.
 */
class Books {
  readonly rng: Rng;
  private n = 0;
  readonly validSent = new Map<string, number>();
  private validPool: Record<string, unknown>[] = [];
  inputs = 0;
  accepted = 0;
  duplicates = 0;
  readonly kinds = new Map<string, number>();

  constructor(seed: number) {
    this.rng = new Rng(seed);
  }

  private count(kind: string): void {
    this.kinds.set(kind, (this.kinds.get(kind) ?? 0) + 1);
  }

  /** A new valid event with a unique id (sometimes with odd but legal characters in it). */
  freshValid(): GenItem {
    const suffix = this.rng.bool(0.15) ? this.rng.pick(ODD_IDS.filter((s) => s.length < 64)) : '';
    const id = `f${++this.n}${suffix}`;
    const value = validEvent(this.rng, id);
    this.validPool.push(value);
    return { value, valid: true, id, kind: 'valid' };
  }

  /** A valid event sent before (a retry), or a new event reusing an old id: both are duplicates. */
  duplicate(): GenItem | undefined {
    if (this.validPool.length === 0) return undefined;
    const old = this.rng.pick(this.validPool);
    const id = old.id as string;
    const value = this.rng.bool(0.7) ? old : validEvent(this.rng, id);
    return { value, valid: true, id, kind: 'duplicate' };
  }

  item(): GenItem {
    const r = this.rng.next();
    if (r < 0.4) return this.freshValid();
    if (r < 0.47) return this.duplicate() ?? this.freshValid();
    return invalidItem(this.rng, `inv${this.n}`);
  }

  batch(size: number): GenItem[] {
    return Array.from({ length: size }, () => this.item());
  }

  refusedWhole(it: GenItem): void {
    this.inputs++;
    this.count(it.kind);
  }

  /** Checks one batch's answer against what was sent, and books the valid ones. */
  check(items: GenItem[], data: IngestResult, where: string): void {
    this.inputs += items.length;
    const expectedRejected = items.flatMap((it, i) => (it.valid ? [] : [i]));
    expect(
      data.rejected.map((r) => r.index),
      `${where}: rejected indices`,
    ).toEqual(expectedRejected);
    for (const r of data.rejected) {
      const it = items[r.index];
      this.count(it.kind);
      expect(typeof r.error, `${where}: error of item ${r.index}`).toBe('string');
      expect(r.error.length, `${where}: error of item ${r.index}`).toBeGreaterThan(0);
      expect(r.error.length, `${where}: error of item ${r.index} is bounded`).toBeLessThan(2_000);
      expect(r.error, `${where}: item ${r.index} (${it.kind}) error names the problem`).toContain(it.mention ?? '');
      // A field that is present with the wrong content is not reported as missing.
      if (it.kind !== 'missing' && it.kind !== 'type-missing') expect(r.error, `${where}: item ${r.index} (${it.kind})`).not.toMatch(/: required/);
    }
    const valid = items.filter((it) => it.valid);
    for (const it of valid) {
      this.count(it.kind);
      this.validSent.set(it.id as string, (this.validSent.get(it.id as string) ?? 0) + 1);
    }
    expect(data.accepted + data.duplicates, `${where}: accepted + duplicates`).toBe(valid.length);
    this.accepted += data.accepted;
    this.duplicates += data.duplicates;
  }
}

async function post(h: Harness, body: unknown): Promise<{ status: number; body: IngestBody }> {
  const res = await fetch(`${h.url}/api/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${INGEST_TOKEN}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as IngestBody };
}

/** An HTTP batch (or one bare event): a 200 with the books, or a 400 with a clear error when nothing in it was valid. */
async function postAndCheck(h: Harness, books: Books, items: GenItem[], single: boolean, where: string): Promise<void> {
  // A bare value that is an array is a batch of its own: send it as a batch of one instead.
  const bare = single && !Array.isArray(items[0].value);
  const r = await post(h, bare ? items[0].value : items.map((it) => it.value));
  if (bare && (items[0].value === null || typeof items[0].value !== 'object')) {
    // Not an object, not an array: refused as a whole, before any event is looked at.
    expect(r.status, `${where}: status`).toBe(400);
    expect(r.body.ok).toBe(false);
    expect(r.body.error).toMatch(/body must be a JSON array/);
    books.refusedWhole(items[0]);
    return;
  }
  const anyValid = items.some((it) => it.valid);
  expect(r.status, `${where}: status`).toBe(anyValid ? 200 : 400);
  expect(r.body.ok, `${where}: ok`).toBe(anyValid);
  if (!anyValid) expect(r.body.error, `${where}: error`).toMatch(/\S/);
  expect(r.body.data, `${where}: data`).toBeDefined();
  books.check(items, r.body.data as IngestResult, where);
}

describe('ingest edge under hostile input', () => {
  it('answers 10,000+ hostile and valid inputs over HTTP and /ingest with clear errors, stays up, and keeps every valid event exactly once', async () => {
    const h = (harness = await startHarness());
    const protoBefore = prototypeKeys();
    const books = new Books(SEED);
    const monitor = healthMonitor(h);
    const sockets = [connectIngest(h, INGEST_TOKEN), connectIngest(h, INGEST_TOKEN)];
    const ready = Promise.all(sockets.map((s) => new Promise<void>((resolve, reject) => (s.once('ingest:ready', resolve), s.once('connect_error', reject)))));
    try {

    // Every odd id is itself a legal event id, once.
    const oddItems: GenItem[] = ODD_IDS.map((id) => ({ value: validEvent(books.rng, id), valid: true, id, kind: 'odd-id' }));
    await postAndCheck(h, books, oddItems, false, 'odd ids');

    const httpBatches = Array.from({ length: 36 }, () => books.batch(books.rng.int(100, 400)));
    const singles = Array.from({ length: 300 }, () => [books.item()]);
    await ready;
    const socketBatches = Array.from({ length: 30 }, () => books.batch(books.rng.int(50, 150)));

    const emit = (i: number, payload: unknown) =>
      new Promise<Ack<IngestResult>>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('no ack within 10 s')), 10_000);
        sockets[i % 2].emit('events:ingest', payload, (r) => (clearTimeout(t), resolve(r)));
      });

    await Promise.all([
      pool(httpBatches, 4, (items) => postAndCheck(h, books, items, false, 'http batch')),
      pool(singles, 8, (items) => postAndCheck(h, books, items, true, 'http single')),
      pool(
        socketBatches.map((items, i) => ({ items, i })),
        4,
        async ({ items, i }) => {
          const r = await emit(i, items.map((it) => it.value));
          expect(r.ok, 'socket batch answered ok with its books').toBe(true);
          if (r.ok) books.check(items, r.data, 'socket batch');
        },
      ),
    ]);

    // Socket payloads that are not a batch at all: each is one bad item, answered with its reason.
    const oddPayloads: unknown[] = [null, 42, 'events', true, { type: 'nope' }, [], [[[]]], Buffer.from('binary'), { length: 10_001 }];
    for (const [i, p] of oddPayloads.entries()) {
      const r = await emit(i, p);
      books.inputs++;
      expect(r.ok, `payload ${i} answered`).toBe(true);
      if (r.ok) {
        expect(r.data.accepted).toBe(0);
        if (Array.isArray(p) && p.length === 0) expect(r.data.rejected).toEqual([]);
        else for (const x of r.data.rejected) expect(x.error).toMatch(/\S/);
      }
    }
    // A batch over the limit is refused whole, with the limit in the reason.
    const big = await emit(0, Array.from({ length: 10_001 }, () => 0));
    books.inputs++;
    expect(big).toMatchObject({ ok: false });
    if (!big.ok) expect(big.error).toMatch(/at most 10000/);
    // Emits without an ack (or with a non-function in its place) are dropped, and the socket stays usable.
    for (const p of [[books.freshValid().value], 'x', null]) {
      (sockets[1] as unknown as { emit(ev: string, ...args: unknown[]): void }).emit('events:ingest', p);
      (sockets[1] as unknown as { emit(ev: string, ...args: unknown[]): void }).emit('events:ingest', p, 'not-a-function');
      books.inputs += 2;
    }
    const after = books.batch(20);
    const r = await emit(1, after.map((it) => it.value));
    expect(r.ok).toBe(true);
    if (r.ok) books.check(after, r.data, 'socket after dropped emits');

    } finally {
      await monitor.stop();
      for (const s of sockets) s.close();
    }
    const seen = monitor.seen;

    // The server stayed up throughout and answers now.
    expect(seen.failures).toEqual([]);
    expect(seen.answers).toBeGreaterThan(5);
    expect(seen.maxMs).toBeLessThan(HEALTHZ_MAX_MS);
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200);

    // Enough inputs, of every kind.
    expect(books.inputs).toBeGreaterThanOrEqual(10_000);
    for (const kind of ['pollution', 'at-invalid', 'at-deep', 'id-huge', 'id-control', 'text-bad', 'not-object', 'duplicate', 'valid']) {
      expect(books.kinds.get(kind) ?? 0, `inputs of kind ${kind}`).toBeGreaterThan(10);
    }

    // Exactly once: every distinct valid id accepted once, every repeat counted as a duplicate.
    const distinct = books.validSent.size;
    const sends = [...books.validSent.values()].reduce((a, b) => a + b, 0);
    expect(books.accepted).toBe(distinct);
    expect(books.duplicates).toBe(sends - distinct);
    expect(h.server.pipeline.stats.accepted).toBe(distinct);
    expect(await h.log.count()).toBe(distinct);
    const logged = new Map<string, number>();
    await h.log.replay((e) => logged.set(e.id, (logged.get(e.id) ?? 0) + 1));
    expect([...logged.values()].every((n) => n === 1)).toBe(true);
    expect(new Set(logged.keys())).toEqual(new Set(books.validSent.keys()));

    // Nothing reached a prototype, and ids like __proto__ are ordinary data all the way to the views.
    expectNoPollution(protoBefore);
    const health = await getJson(h, '/api/health');
    expect(health.status).toBe(200);
    expect((health.body.data as { log: { events: number } }).log.events).toBe(distinct);
    const snap = await getJson(h, '/api/snapshot?scope=floor');
    const floor = (snap.body.data as Snapshot<FloorPayload>).payload;
    expect(floor.agents.map((a) => a.agentId)).toEqual(expect.arrayContaining(['__proto__', 'constructor', '日本語']));
    expect(floor.queues.map((q) => q.queueId)).toEqual(expect.arrayContaining(['__proto__', 'constructor', 'toString']));
    for (const q of floor.queues) expect(Object.hasOwn(floor.intervals, q.queueId), `intervals of queue ${q.queueId}`).toBe(true);

    console.info(
      `fuzz: ${books.inputs} inputs, ${distinct} distinct valid events (${sends - distinct} repeats), ` +
        `healthz answered ${seen.answers} times, slowest ${Math.round(seen.maxMs)} ms`,
    );
  });

  it('answers malformed, oversized and mislabelled HTTP bodies and bad tokens with a 4xx and a clear error, accepting nothing', async () => {
    const h = (harness = await startHarness());
    const protoBefore = prototypeKeys();
    const rng = new Rng(SEED + 1);
    const raws: RawRequest[] = rawRequests(rng, 200);
    await pool(raws, 4, async (raw) => {
      const headers: Record<string, string> = { authorization: `Bearer ${INGEST_TOKEN}`, ...(raw.headers ?? {}) };
      if (raw.contentType !== null) headers['content-type'] = raw.contentType;
      const res = await fetch(`${h.url}/api/events`, { method: 'POST', headers, body: raw.body });
      const text = await res.text();
      expect(res.status, `${raw.kind}: status`).toBe(raw.status);
      const body = JSON.parse(text) as IngestBody;
      expect(body.ok, raw.kind).toBe(false);
      expect(body.error, `${raw.kind}: error`).toMatch(/\S/);
      expect(text, `${raw.kind}: no stack trace`).not.toMatch(/\n\s+at /);
    });
    // Tokens: none, wrong, almost right, hostile.
    for (const auth of [null, 'Bearer nope', `Bearer ${INGEST_TOKEN}x`, 'Basic abc', `bearer ${INGEST_TOKEN}`, `Bearer ${'x'.repeat(8_000)}`]) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (auth !== null) headers.authorization = auth;
      const res = await fetch(`${h.url}/api/events`, { method: 'POST', headers, body: '[]' }).catch((err: Error) => err);
      if (res instanceof Error) throw res;
      expect(res.status, `token ${auth?.slice(0, 20)}`).toBe(401);
      expect(((await res.json()) as IngestBody).error).toMatch(/token/);
    }
    expect(await h.log.count()).toBe(0);
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
    expectNoPollution(protoBefore);
    console.info(`fuzz: ${raws.length} raw HTTP bodies and 7 bad tokens refused`);
  });
});
