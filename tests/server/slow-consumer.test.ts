/**
 * Slow consumers: a /live client that stops reading its socket while the
 * floor changes fast. The server must not queue deltas for it without bound,
 * must not delay the other clients, and must bring it back with a fresh
 * snapshot once it reads again.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { connectLive, postEvents, startHarness, T0, VIEW_TOKEN, waitFor, type Harness, type Recorder } from './harness.ts';
import { Mirror } from './faults/mirror.ts';
import { liveBacklogBytes, LIVE_MAX_BACKLOG_BYTES } from '../../server/live.ts';
import type { Socket as ServerSocket } from 'socket.io';

/** Agents on the floor: each round changes them all, with a long away reason, so each floor delta is ~100 kB. */
const AGENTS = 200;
/** Rounds of changes while the slow client does not read: ~15 MB of deltas, far beyond the kernel's socket buffers. */
const ROUNDS = 150;
/** Longest a reading client may wait for a round's delta: a liveness bound, not a performance target. */
const PROMPT_MS = 1_000;

let harness: Harness | undefined;
let clients: Recorder[] = [];
afterEach(async () => {
  for (const c of clients) c.socket.close();
  await harness?.close();
  harness = undefined;
  clients = [];
});

/** The underlying `ws` socket of a socket.io client, to stop and restart reading. */
function wsOf(r: Recorder): { pause(): void; resume(): void } {
  return (r.socket.io.engine.transport as unknown as { ws: { pause(): void; resume(): void } }).ws;
}

describe('slow consumers', () => {
  it('keeps what it buffers for a client that stops reading bounded, serves the others promptly, and resyncs the slow one when it reads again', async () => {
    const h = (harness = await startHarness());
    const ids = Array.from({ length: AGENTS }, (_, i) => `agent-${i}`);
    await postEvents(h, ids.map((id, i) => ({ type: 'agent.state', id: `init-${i}`, at: T0, agentId: id, state: 'available', name: `Agent ${i}`, queues: ['q1'] })));

    const normal = connectLive(h, { scope: 'floor', token: VIEW_TOKEN });
    const slow = connectLive(h, { scope: 'floor', token: VIEW_TOKEN });
    clients.push(normal, slow);
    const normalMirror = new Mirror(normal.socket);
    const slowMirror = new Mirror(slow.socket);
    await Promise.all([normal.firstSnapshot, slow.firstSnapshot]);
    const serverSide = h.server.io.of('/live').sockets.get(slow.socket.id as string) as ServerSocket | undefined;
    expect(serverSide).toBeDefined();
    wsOf(slow).pause();

    let maxBacklog = 0;
    let maxDeltaBytes = 0;
    let maxWaitMs = 0;
    for (let r = 1; r <= ROUNDS; r++) {
      const state = r % 2 === 0 ? 'available' : 'away';
      // Deltas carry only the fields that changed: a long reason and name keep them big.
      const reason = `round ${r} `.padEnd(190, '.');
      const before = normal.deltas.length;
      const { status } = await postEvents(h, ids.map((id, i) => ({ type: 'agent.state', id: `r${r}-${i}`, at: T0 + r * 1000, agentId: id, state, reason, name: `${reason} ${i}` })));
      expect(status).toBe(200);
      const t = performance.now();
      await waitFor(() => normal.deltas.slice(before).some((d) => d.agents?.some((a) => a.agentId === 'agent-0' && a.presence === state)), PROMPT_MS, `round ${r} at the reading client`);
      maxWaitMs = Math.max(maxWaitMs, performance.now() - t);
      for (const d of normal.deltas.slice(before)) maxDeltaBytes = Math.max(maxDeltaBytes, JSON.stringify(d).length);
      maxBacklog = Math.max(maxBacklog, liveBacklogBytes(serverSide as ServerSocket));
    }

    // The reading client got every delta, in order, without a gap.
    const seqs = normal.deltas.map((d) => d.seq);
    seqs.forEach((s, i) => i > 0 && expect(s).toBe(seqs[i - 1] + 1));
    expect(normalMirror.resyncRequests).toBe(0);
    // What the server holds for the silent one stayed within the limit (plus the delta that crossed it).
    const pushedBytes = ROUNDS * maxDeltaBytes;
    expect(pushedBytes).toBeGreaterThan(8 * LIVE_MAX_BACKLOG_BYTES);
    expect(maxBacklog).toBeLessThanOrEqual(LIVE_MAX_BACKLOG_BYTES + 2 * maxDeltaBytes);
    expect(h.server.hub.stats.laggards).toBeGreaterThanOrEqual(1);

    // Reading again, it catches up with a fresh snapshot and ends where the reading client is.
    wsOf(slow).resume();
    await waitFor(() => slowMirror.snapshots >= 2 && slowMirror.seq === normalMirror.seq, 10_000, 'the slow client to catch up');
    // Queue KPIs are coalesced (250 ms): a snapshot can be ahead of the last KPI push until the next one lands in both.
    await waitFor(() => slowMirror.seq === normalMirror.seq && JSON.stringify(slowMirror.view()) === JSON.stringify(normalMirror.view()), 2_000, 'the KPI push after the last round');
    expect(slowMirror.view()).toEqual(normalMirror.view());
    console.info(
      `slow consumer: ~${Math.round(pushedBytes / 1e6)} MB pushed to the room in ${ROUNDS} deltas; server held at most ${Math.round(maxBacklog / 1024)} KiB ` +
        `for the silent client (limit ${LIVE_MAX_BACKLOG_BYTES / 1024} KiB); the reading client waited at most ${Math.round(maxWaitMs)} ms for a round`,
    );
  });
});
