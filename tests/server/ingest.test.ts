import { afterEach, describe, expect, it } from 'vitest';
import { connectIngest, ev, getJson, INGEST_TOKEN, postEvents, startHarness, VIEW_TOKEN, WALL_TOKEN, type Harness } from './harness.ts';
import type { IngestResult } from '../../shared/wire.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('HTTP ingest', () => {
  it('accepts a valid batch and applies it to the engine', async () => {
    h = await startHarness();
    const r = await postEvents(h, [ev.agent('a1', 'available', 0, { name: 'Ann Lee' }), ev.queued('c1', 'sales', 1), ev.ringing('c1', 'a1', 2)]);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ ok: true, data: { accepted: 3, duplicates: 0, rejected: [] } });
    const s = h.server.state();
    expect(s.calls.get('c1')?.status).toBe('ringing');
    expect(s.agents.get('a1')?.name).toBe('Ann Lee');
    expect(await h.log.count()).toBe(3);
  });

  it('reports invalid events by index and reason while accepting the valid ones beside them', async () => {
    h = await startHarness();
    const batch = [
      ev.queued('c1', 'sales', 1),
      { type: 'call.queued', id: 'bad-1', at: 'not a date', callId: 'c2', queueId: 'sales' },
      ev.queued('c3', 'sales', 2),
      { type: 'call.teleported', id: 'bad-2', at: 0 },
      42,
      { type: 'call.hold', id: 'bad-3', at: Date.now(), callId: 'c1', askedPermission: 'maybe' },
    ];
    const r = await postEvents(h, batch);
    expect(r.status).toBe(200);
    expect(r.body.data?.accepted).toBe(2);
    expect(r.body.data?.rejected.map((x) => x.index)).toEqual([1, 3, 4, 5]);
    const reasons = r.body.data?.rejected.map((x) => x.error) ?? [];
    expect(reasons[0]).toMatch(/^at: /);
    expect(reasons[1]).toMatch(/unknown event type "call.teleported"/);
    expect(reasons[2]).toMatch(/must be a JSON object/);
    expect(reasons[3]).toMatch(/askedPermission/);
    expect(h.server.state().queues.get('sales')?.today.offered).toBe(2);
  });

  it('answers 400 when every event of a batch is invalid', async () => {
    h = await startHarness();
    const r = await postEvents(h, [{ type: 'call.queued' }]);
    expect(r.status).toBe(400);
    expect(r.body.ok).toBe(false);
    expect(r.body.data?.rejected[0].error).toMatch(/id: required/);
  });

  it('rejects malformed JSON with a clear error and writes nothing', async () => {
    h = await startHarness();
    const r = await postEvents(h, '[{"type": "call.queued", ', INGEST_TOKEN, true);
    expect(r.status).toBe(400);
    expect(r.body.error).toMatch(/malformed JSON/);
    expect(await h.log.count()).toBe(0);
  });

  it('rejects a batch of more than 10,000 events as too large', async () => {
    h = await startHarness();
    const batch = Array.from({ length: 10_001 }, (_, i) => ({ ...ev.queued(`c${i}`, 'q', 1), id: `big-${i}` }));
    const r = await postEvents(h, batch);
    expect(r.status).toBe(413);
    expect(r.body.error).toMatch(/at most 10000/);
    expect(await h.log.count()).toBe(0);
  });

  it('accepts exactly 10,000 events in one batch', async () => {
    h = await startHarness();
    const batch = Array.from({ length: 10_000 }, (_, i) => ({ ...ev.queued(`c${i}`, 'q', 1), id: `max-${i}` }));
    const r = await postEvents(h, batch);
    expect(r.status).toBe(200);
    expect(r.body.data?.accepted).toBe(10_000);
  });

  it('refuses a missing or wrong token, and a view token, with 401', async () => {
    h = await startHarness();
    const none = await postEvents(h, [ev.queued('c1', 'q', 1)], null);
    expect(none.status).toBe(401);
    expect(none.body.error).toMatch(/missing ingest token/);
    const wrong = await postEvents(h, [ev.queued('c1', 'q', 1)], 'nope');
    expect(wrong.status).toBe(401);
    const view = await postEvents(h, [ev.queued('c1', 'q', 1)], VIEW_TOKEN);
    expect(view.status).toBe(401);
    expect(await h.log.count()).toBe(0);
  });

  it('ignores events whose id was already seen, so retries are safe', async () => {
    h = await startHarness();
    const batch = [ev.queued('c1', 'q', 1), ev.queued('c2', 'q', 2)];
    const first = await postEvents(h, batch);
    const again = await postEvents(h, batch);
    expect(first.body.data).toEqual({ accepted: 2, duplicates: 0, rejected: [] });
    expect(again.status).toBe(200);
    expect(again.body.data).toEqual({ accepted: 0, duplicates: 2, rejected: [] });
    const inside = await postEvents(h, [ev.queued('c3', 'q', 3)].flatMap((e) => [e, e]));
    expect(inside.body.data).toEqual({ accepted: 1, duplicates: 1, rejected: [] });
    expect(h.server.state().queues.get('q')?.today.offered).toBe(3);
    expect(h.server.state().diagnostics.applied).toBe(3);
  });

  it('counts orphan and out-of-order events in /api/health without crashing', async () => {
    h = await startHarness();
    await postEvents(h, [ev.ended('ghost', 5), ev.unhold('ghost2', 6), ev.queued('c1', 'q', 1), ev.ended('c1', 2), ev.answered('c1', 'a1', 3)]);
    const health = await getJson(h, '/api/health');
    expect(health.status).toBe(200);
    const d = (health.body.data as { engine: { diagnostics: { orphan: number; outOfOrder: number; byReason: Record<string, number> } } }).engine.diagnostics;
    expect(d.orphan).toBe(2);
    expect(d.outOfOrder).toBe(1);
    expect(d.byReason['call.ended for unknown call']).toBe(1);
    const live = await fetch(`${h.url}/healthz`);
    expect(live.status).toBe(200);
  });

  it('keeps /api/health and snapshots closed without a token, and the wallboard token off the floor API', async () => {
    h = await startHarness();
    expect((await getJson(h, '/api/health', null)).status).toBe(401);
    expect((await getJson(h, '/api/snapshot?scope=floor', null)).status).toBe(401);
    expect((await getJson(h, '/api/snapshot?scope=floor', WALL_TOKEN)).status).toBe(403);
    expect((await getJson(h, '/api/snapshot?scope=floor', VIEW_TOKEN)).status).toBe(200);
  });
});

describe('socket ingest', () => {
  it('acks a batch once it is in the log, with per-event rejections', async () => {
    h = await startHarness();
    const socket = connectIngest(h, INGEST_TOKEN);
    try {
      const r = await new Promise<{ ok: boolean; data?: IngestResult; error?: string }>((resolve) =>
        socket.emit('events:ingest', [ev.queued('s1', 'q', 1), { type: 'call.queued', id: 'x' }], resolve),
      );
      expect(r.ok).toBe(true);
      expect(r.data?.accepted).toBe(1);
      expect(r.data?.rejected).toHaveLength(1);
      expect(r.data?.rejected[0].index).toBe(1);
      expect(await h.log.count()).toBe(1);
      const single = await new Promise<{ ok: boolean; data?: IngestResult }>((resolve) => socket.emit('events:ingest', ev.queued('s2', 'q', 2), resolve));
      expect(single.data?.accepted).toBe(1);
    } finally {
      socket.close();
    }
  });

  it('groups concurrent socket batches into few log commits', async () => {
    h = await startHarness();
    const socket = connectIngest(h, INGEST_TOKEN);
    try {
      await new Promise<void>((resolve) => socket.once('ingest:ready', () => resolve()));
      const commitsBefore = h.server.pipeline.stats.commits;
      const acks = await Promise.all(
        Array.from({ length: 200 }, (_, i) => new Promise<{ ok: boolean; data?: IngestResult }>((resolve) => socket.emit('events:ingest', [{ ...ev.queued(`g${i}`, 'q', 1), id: `g-${i}` }], resolve))),
      );
      expect(acks.every((a) => a.ok && a.data?.accepted === 1)).toBe(true);
      expect(await h.log.count()).toBe(200);
      expect(h.server.pipeline.stats.commits - commitsBefore).toBeLessThan(200);
    } finally {
      socket.close();
    }
  });

  it('refuses a connection with a wrong token', async () => {
    h = await startHarness();
    const socket = connectIngest(h, 'wrong');
    try {
      const err = await new Promise<Error>((resolve) => socket.once('connect_error', resolve));
      expect(err.message).toMatch(/invalid or revoked ingest token/);
    } finally {
      socket.close();
    }
  });
});
