import { afterEach, describe, expect, it } from 'vitest';
import { connectLive, ev, postEvents, startHarness, T0, VIEW_TOKEN, WALL_TOKEN, waitFor, type Harness, type Recorder } from './harness.ts';
import type { AgentPayload, Delta, FloorPayload, Snapshot, WallboardPayload } from '../../shared/wire.ts';
import { serializeState } from '../../shared/selectors.ts';
import { applyAgentPatch } from '../../shared/agent-patch.ts';
import { applyAlertPatch } from '../../shared/alert-patch.ts';

let harnesses: Harness[] = [];
let clients: Recorder[] = [];
afterEach(async () => {
  for (const c of clients) c.socket.close();
  for (const h of harnesses) await h.close();
  harnesses = [];
  clients = [];
});

async function start(opts: Parameters<typeof startHarness>[0] = {}) {
  const h = await startHarness(opts);
  harnesses.push(h);
  return h;
}
function live(h: Harness, auth: Record<string, string>) {
  const r = connectLive(h, auth);
  clients.push(r);
  return r;
}

/** Applies deltas to a floor snapshot's payload the way a client store does. */
function applyFloorDelta(p: FloorPayload, d: Delta): void {
  if (d.queues) p.queues = d.queues;
  if (d.totals) p.totals = d.totals;
  const upsert = <T>(list: T[], items: T[] | undefined, key: (t: T) => string, removed?: string[]) => {
    const m = new Map(list.map((x) => [key(x), x]));
    for (const x of items ?? []) m.set(key(x), x);
    for (const id of removed ?? []) m.delete(id);
    return [...m.values()];
  };
  const held = new Map(p.agents.map((a) => [a.agentId, a]));
  for (const patch of d.agents ?? []) held.set(patch.agentId, applyAgentPatch(held.get(patch.agentId), patch));
  p.agents = [...held.values()];
  p.calls = upsert(p.calls, d.calls, (c) => c.callId, d.callsRemoved);
  p.alerts = upsert(p.alerts, d.alerts, (a) => a.id, d.alertsRemoved).map((a) => {
    const patch = d.alertPatches?.find((x) => x.id === a.id);
    return patch ? applyAlertPatch(a, patch) : a;
  });
}

describe('/live', () => {
  it('sends a versioned snapshot on connect, then deltas in sequence', async () => {
    const h = await start();
    await postEvents(h, [ev.agent('a1', 'available', 0, { name: 'Ann Lee', queues: ['sales'] })]);
    const c = live(h, { scope: 'floor', token: VIEW_TOKEN });
    const snap = (await c.firstSnapshot) as Snapshot<FloorPayload>;
    expect(snap.scope).toEqual({ kind: 'floor' });
    expect(snap.payload.agents.map((a) => a.name)).toEqual(['Ann Lee']);
    await postEvents(h, [ev.queued('c1', 'sales', 1), ev.ringing('c1', 'a1', 2)]);
    await waitFor(() => c.deltas.some((d) => d.calls?.some((x) => x.status === 'ringing')), 3000, 'ringing delta');
    const seqs = c.deltas.map((d) => d.seq);
    expect(seqs[0]).toBe(snap.seq + 1);
    seqs.forEach((s, i) => i > 0 && expect(s).toBe(seqs[i - 1] + 1));
    const ringing = c.deltas.flatMap((d) => d.agents ?? []).find((a) => a.agentId === 'a1' && a.activity === 'ringing');
    expect(ringing?.activitySinceMs).toBe(T0 + 2000);
  });

  it('sends the floor only the fields of an agent that changed', async () => {
    const h = await start();
    await postEvents(h, [ev.agent('a1', 'available', 0, { name: 'Ann', team: 'blue', queues: ['q'] })]);
    const c = live(h, { scope: 'floor', token: VIEW_TOKEN });
    await c.firstSnapshot;
    // The first change after a client joins may carry the whole view; the next carries what changed.
    await postEvents(h, [ev.agent('a1', 'away', 10, { reason: 'lunch' })]);
    await waitFor(() => c.deltas.some((d) => d.agents?.some((a) => a.agentId === 'a1')), 2_000, 'the first agent delta');
    await postEvents(h, [ev.agent('a1', 'away', 20, { reason: 'training' })]);
    await waitFor(() => c.deltas.some((d) => d.agents?.some((a) => a.agentId === 'a1' && a.reason === 'training')), 2_000, 'the second agent delta');
    const patch = c.deltas.flatMap((d) => d.agents ?? []).find((a) => a.agentId === 'a1' && a.reason === 'training');
    // The reason, the new pause's timer (training has no limit), and the lunch's 10 s now counted: nothing else.
    expect(patch).toEqual({ agentId: 'a1', reason: 'training', away: { reason: 'training', sinceMs: T0 + 20_000, countedFromMs: T0 + 20_000, limitSec: null, breachSec: null }, awaySecByReason: { lunch: 10 } });
    expect(patch).not.toHaveProperty('name');
    expect(patch).not.toHaveProperty('queues');
    expect(patch).not.toHaveProperty('ringsHist');
  });

  it('pushes KPI updates coalesced to at most 4 per second', async () => {
    const h = await start();
    const c = live(h, { scope: 'floor', token: VIEW_TOKEN });
    await c.firstSnapshot;
    const startMs = Date.now();
    for (let i = 0; i < 40; i++) {
      await postEvents(h, [ev.queued(`k${i}`, 'sales', i)]);
    }
    const kpiDeltas = () => c.deltas.filter((d) => d.queues !== undefined);
    await waitFor(() => kpiDeltas().at(-1)?.queues?.find((q) => q.queueId === 'sales')?.offered === 40, 5_000, 'the final KPI push');
    const elapsed = Date.now() - startMs;
    // 40 state changes, but KPI pushes at most one per 250 ms (+1 for the first, which goes at once).
    expect(kpiDeltas().length).toBeLessThanOrEqual(Math.ceil(elapsed / 250) + 1);
    expect(kpiDeltas().length).toBeLessThan(40);
  });

  it('recovers from a gap in sequence numbers with a fresh snapshot that matches the server', async () => {
    const h = await start();
    const c = live(h, { scope: 'floor', token: VIEW_TOKEN });
    const snap = (await c.firstSnapshot) as Snapshot<FloorPayload>;
    await postEvents(h, [ev.agent('a1', 'available', 0), ev.queued('c1', 'q', 1)]);
    await postEvents(h, [ev.ringing('c1', 'a1', 2)]);
    await postEvents(h, [ev.answered('c1', 'a1', 5)]);
    await waitFor(() => c.deltas.some((d) => d.calls?.some((x) => x.status === 'talking')), 3000, 'answer delta');
    // The client lost the second delta: it applies in order until the gap, then resyncs.
    const payload = structuredClone(snap.payload);
    let seq = snap.seq;
    let gapSeen = false;
    for (const [i, d] of c.deltas.entries()) {
      if (i === 1) continue; // dropped on the way
      if (d.seq !== seq + 1) {
        gapSeen = true;
        break;
      }
      applyFloorDelta(payload, d);
      seq = d.seq;
    }
    expect(gapSeen).toBe(true);
    const fresh = await new Promise<Snapshot<FloorPayload>>((resolve, reject) =>
      c.socket.emit('live:resync', (r) => (r.ok ? resolve(r.data as Snapshot<FloorPayload>) : reject(new Error(r.error)))),
    );
    expect(fresh.seq).toBe(c.deltas[c.deltas.length - 1].seq);
    expect(fresh.payload.calls.find((x) => x.callId === 'c1')?.status).toBe('talking');
    // A client that applied every delta in order holds the same live calls and agents as the fresh snapshot.
    const full = structuredClone(snap.payload);
    for (const d of c.deltas) applyFloorDelta(full, d);
    expect(full.calls).toEqual(fresh.payload.calls);
    expect(full.agents.map((a) => [a.agentId, a.activity, a.handled])).toEqual(fresh.payload.agents.map((a) => [a.agentId, a.activity, a.handled]));
  });

  it('raises a live ring alert from the tick at the fourth ring, without another event', async () => {
    const h = await start();
    const c = live(h, { scope: 'floor', token: VIEW_TOKEN });
    await c.firstSnapshot;
    await postEvents(h, [ev.agent('a1', 'available', 0), ev.queued('c1', 'q', 0), ev.ringing('c1', 'a1', 0)]);
    h.clock.t = T0 + 17_999;
    h.server.tickNow();
    expect([...h.server.state().alerts.values()].map((a) => a.level)).toEqual(['warn']);
    h.clock.t = T0 + 18_000;
    h.server.tickNow();
    // The warning went out whole; the floor, which holds it, gets the breach as a patch of what changed.
    await waitFor(() => c.deltas.some((d) => d.alertPatches?.some((p) => p.level === 'breach')), 3000, 'breach delta');
    const warned = c.deltas.flatMap((d) => d.alerts ?? []).find((a) => a.ruleId === 'ring-limit');
    const patch = c.deltas.flatMap((d) => d.alertPatches ?? []).find((p) => p.level === 'breach');
    expect(warned).toMatchObject({ level: 'warn' });
    expect(patch?.id).toBe(warned?.id);
    const alert = warned && patch ? applyAlertPatch(warned, patch) : undefined;
    expect(alert).toMatchObject({ ruleId: 'ring-limit', callId: 'c1', agentId: 'a1', value: 4, threshold: 4, status: 'open' });
  });

  it("never sends agent A anything about agent B's calls, name or alerts", async () => {
    const h = await start();
    await postEvents(h, [ev.agent('A', 'available', 0, { name: 'Alice Ames', team: 't1' }), ev.agent('B', 'available', 0, { name: 'Bob Brown', team: 't1' })]);
    const a = live(h, { scope: 'agent', agentId: 'A', token: VIEW_TOKEN });
    const snapA = (await a.firstSnapshot) as Snapshot<AgentPayload>;
    expect(snapA.payload.me?.name).toBe('Alice Ames');
    await postEvents(h, [ev.queued('cb1', 'q', 1), ev.ringing('cb1', 'B', 2), ev.answered('cb1', 'B', 3), ev.hold('cb1', 10, false), ev.unhold('cb1', 20), ev.ended('cb1', 60, { notes: false })]);
    await postEvents(h, [ev.queued('ca1', 'q', 61), ev.ringing('ca1', 'A', 62), ev.answered('ca1', 'A', 63)]);
    await waitFor(() => a.deltas.some((d) => d.calls?.some((x) => x.callId === 'ca1' && x.status === 'talking')), 3000, "A's own call");
    await new Promise((r) => setTimeout(r, 1100)); // let the coalesced totals arrive too
    const everything = JSON.stringify([snapA, a.deltas]);
    expect(everything).not.toContain('Bob Brown');
    expect(everything).not.toContain('"B"');
    expect(everything).not.toContain('cb1');
    expect(a.deltas.some((d) => d.totals !== undefined)).toBe(true);
    // Asking for another agent's call detail is refused.
    const detail = await new Promise<{ ok: boolean; error?: string }>((resolve) => a.socket.emit('call:detail', 'cb1', resolve));
    expect(detail.ok).toBe(false);
  });

  it('gives the wallboard aggregates only, and refuses it the floor', async () => {
    const h = await start();
    await postEvents(h, [ev.agent('A', 'available', 0, { name: 'Alice Ames', queues: ['q'] }), ev.queued('c1', 'q', 1)]);
    const w = live(h, { scope: 'wallboard', token: WALL_TOKEN });
    const snap = (await w.firstSnapshot) as Snapshot<WallboardPayload>;
    expect(Object.keys(snap.payload).sort()).toEqual(['queues', 'ticker', 'totals']);
    expect(snap.payload.queues[0]).toMatchObject({ queueId: 'q', waiting: 1, offered: 1 });
    expect(JSON.stringify(snap)).not.toContain('Alice');
    const f = live(h, { scope: 'floor', token: WALL_TOKEN });
    await expect(f.firstSnapshot).rejects.toThrow(/opens the wallboard only/);
    const none = live(h, { scope: 'floor' });
    await expect(none.firstSnapshot).rejects.toThrow(/sign in first/);
  });

  it('rebuilds the same state from the log after a restart, losing nothing', async () => {
    const h1 = await start();
    await postEvents(h1, [
      ev.agent('a1', 'available', 0, { name: 'Ann', queues: ['q'] }),
      ev.queued('c1', 'q', 1),
      ev.ringing('c1', 'a1', 2),
      ev.answered('c1', 'a1', 25),
      ev.hold('c1', 30, false),
      ev.unhold('c1', 130),
      ev.ended('c1', 200, { notes: false }),
      ev.queued('c2', 'q', 210),
      ev.ringing('c2', 'a1', 211),
    ]);
    h1.clock.t = T0 + 240_000;
    h1.server.tickNow(T0 + 240_000);
    const before = serializeState(h1.server.state());
    const dbFile = h1.dbFile;
    await h1.close();
    harnesses = harnesses.filter((x) => x !== h1);

    const h2 = await start({ dbFile, clock: h1.clock });
    expect(h2.server.replayed).toBe(9);
    h2.server.tickNow(T0 + 240_000);
    expect(serializeState(h2.server.state())).toEqual(before);
    const alerts = await h2.log.listAlerts({});
    expect(alerts.map((a) => a.ruleId).sort()).toEqual(['hold-long', 'hold-permission', 'notes-missing', 'ring-limit', 'ring-limit'].sort());
  });

  it('records after a restart an alert the last run raised but had not yet written when it stopped', async () => {
    const h1 = await start();
    await postEvents(h1, [ev.agent('a1', 'available', 0, { queues: ['q'] }), ev.queued('c1', 'q', 1), ev.ringing('c1', 'a1', 2), ev.answered('c1', 'a1', 5), ev.hold('c1', 10, false)]);
    // Alert writes are coalesced: this one is not in the log's alert record yet…
    expect(await h1.log.listAlerts({})).toEqual([]);
    // …and the process dies before it is: the log goes away under the server, as in a crash.
    await h1.log.close();
    const errors: unknown[] = [];
    const origError = console.error;
    console.error = (m: unknown) => errors.push(m);
    try {
      await h1.server.close();
    } finally {
      console.error = origError;
    }
    expect(String(errors[0])).toMatch(/saving alerts failed/);
    harnesses = harnesses.filter((x) => x !== h1);

    const h2 = await start({ dbFile: h1.dbFile, clock: h1.clock });
    const alerts = await h2.log.listAlerts({});
    expect(alerts.map((a) => `${a.ruleId}:${a.callId}`)).toEqual(['hold-permission:c1']);
  });
});
