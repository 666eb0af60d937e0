/**
 * Reconnect: clients that lose the connection (a network drop, simulated by
 * closing the transport under them; a server restart on the same database)
 * while events keep coming must end in the same state as a client that never
 * dropped, and as the server's own snapshot.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { io as ioClient } from 'socket.io-client';
import { FakeClock, getJson, postEvents, startHarness, tempDbFile, T0, VIEW_TOKEN, WALL_TOKEN, waitFor, type Harness, type LiveClient } from './harness.ts';
import { Mirror, stateOf, comparable } from './faults/mirror.ts';
import { Rng } from './faults/prng.ts';
import type { Snapshot } from '../../shared/wire.ts';

let servers: Harness[] = [];
let sockets: LiveClient[] = [];
afterEach(async () => {
  for (const s of sockets) s.close();
  for (const h of servers) await h.close().catch(() => {});
  servers = [];
  sockets = [];
});

type Scope = { scope: 'floor' } | { scope: 'wallboard' } | { scope: 'agent'; agentId: string };

/** A /live client that reconnects by itself (quickly, for the test), with its mirror. */
function client(url: string, scope: Scope, reconnect: boolean): { socket: LiveClient; mirror: Mirror; scope: Scope } {
  const auth: Record<string, string> = { ...scope, token: scope.scope === 'wallboard' ? WALL_TOKEN : VIEW_TOKEN };
  const socket: LiveClient = ioClient(`${url}/live`, { auth, transports: ['websocket'], forceNew: true, reconnection: reconnect, reconnectionDelay: 50, reconnectionDelayMax: 200 });
  sockets.push(socket);
  return { socket, mirror: new Mirror(socket), scope };
}

async function serverView(h: Harness, scope: Scope): Promise<unknown> {
  const q = scope.scope === 'agent' ? `scope=agent&agentId=${encodeURIComponent(scope.agentId)}` : `scope=${scope.scope}`;
  const r = await getJson(h, `/api/snapshot?${q}`);
  return comparable(stateOf((r.body.data as Snapshot).payload));
}

/** The server's view of `scope` once `view()` has reached it (the last coalesced push may still be on its way), or after 5 s as it is. */
async function serverViewReached(h: Harness, scope: Scope, view: () => unknown): Promise<unknown> {
  const deadline = Date.now() + 5_000;
  let server = await serverView(h, scope);
  while (JSON.stringify(view()) !== JSON.stringify(server) && Date.now() < deadline) {
    await new Promise((res) => setTimeout(res, 50));
    server = await serverView(h, scope);
  }
  return server;
}

const AGENTS = ['a1', 'a2', 'a3', 'a4'];
/** Events of one round: a call through its life (with a hold without permission and no notes: two alerts), and an agent state change. */
function round(r: number, rng: Rng) {
  const at = (k: number) => T0 + r * 10 + k; // ms apart: the feed stays within the server's clock, so nothing is "as of now" stale
  const agent = AGENTS[r % AGENTS.length];
  const call = `c${r}`;
  const events: Record<string, unknown>[] = [{ type: 'call.queued', id: `${call}-q`, at: at(0), callId: call, queueId: rng.pick(['q1', 'q2']) }];
  events.push({ type: 'call.ringing', id: `${call}-r`, at: at(1), callId: call, agentId: agent });
  if (rng.bool(0.8)) {
    events.push({ type: 'call.answered', id: `${call}-a`, at: at(2), callId: call, agentId: agent });
    if (rng.bool()) events.push({ type: 'call.hold', id: `${call}-h`, at: at(3), callId: call, askedPermission: false }, { type: 'call.unhold', id: `${call}-u`, at: at(4), callId: call });
    if (rng.bool(0.7)) events.push({ type: 'call.ended', id: `${call}-e`, at: at(5), callId: call, notes: rng.bool() });
  } else if (rng.bool()) events.push({ type: 'call.abandoned', id: `${call}-x`, at: at(5), callId: call });
  if (rng.bool(0.3)) events.push({ type: 'agent.state', id: `${call}-s`, at: at(6), agentId: AGENTS[(r + 1) % AGENTS.length], state: rng.pick(['available', 'away']) });
  return events;
}

const SCOPES: Scope[] = [{ scope: 'floor' }, { scope: 'agent', agentId: 'a1' }, { scope: 'wallboard' }];

describe('reconnect', () => {
  it('brings clients whose transport dropped, repeatedly and while events flowed, to the state of clients that never dropped', async () => {
    const h = await startHarness();
    servers.push(h);
    const rng = new Rng(7);
    await postEvents(h, AGENTS.map((a, i) => ({ type: 'agent.state', id: `init-${a}`, at: T0 + i, agentId: a, state: 'available', name: `Agent ${a}`, queues: ['q1', 'q2'] })));
    const steady = SCOPES.map((s) => client(h.url, s, false));
    const dropping = SCOPES.flatMap((s) => [client(h.url, s, true), client(h.url, s, true)]);
    await waitFor(() => [...steady, ...dropping].every((c) => c.mirror.state !== null), 3_000, 'first snapshots');

    let drops = 0;
    for (let r = 1; r <= 60; r++) {
      expect((await postEvents(h, round(r, rng))).status).toBe(200);
      if (r % 4 === 0) {
        // A network drop: the transport closes under the client, which reconnects by itself.
        // (Only a connected one: closing a transport that is already down is not another drop.)
        const up = dropping.filter((c) => c.socket.connected);
        if (up.length > 0) {
          rng.pick(up).socket.io.engine.close();
          drops++;
        }
      }
      if (r % 10 === 0) await new Promise((res) => setTimeout(res, 30));
    }

    for (const [i, scope] of SCOPES.entries()) {
      const ref = steady[i];
      const others = dropping.filter((c) => c.scope === scope);
      await waitFor(
        () => others.every((c) => c.socket.connected && JSON.stringify(c.mirror.view()) === JSON.stringify(ref.mirror.view())),
        5_000,
        `${scope.scope} clients to converge`,
      );
      for (const c of others) expect(c.mirror.view()).toEqual(ref.mirror.view());
      // The last delta may still be on its way (KPI pushes are coalesced): the steady client reaches the server's state.
      expect(ref.mirror.view()).toEqual(await serverViewReached(h, scope, () => ref.mirror.view()));
      await waitFor(() => others.every((c) => JSON.stringify(c.mirror.view()) === JSON.stringify(ref.mirror.view())), 5_000, `${scope.scope} clients to reach the server's state`);
      for (const c of others) expect(c.mirror.view()).toEqual(ref.mirror.view());
      expect(ref.mirror.snapshots, 'the steady client never needed another snapshot').toBe(1);
    }
    const reconnects = dropping.reduce((n, c) => n + c.mirror.snapshots - 1, 0);
    expect(reconnects).toBeGreaterThanOrEqual(drops);
    const floorAlerts = (steady[0].mirror.state?.alerts.size ?? 0);
    expect(floorAlerts).toBeGreaterThan(0);
    console.info(`reconnect: ${drops} transport drops, ${reconnects} fresh snapshots after reconnecting; ${floorAlerts} alerts on the floor, all clients converged`);
  });

  it('removes from an agent view a call it first saw in a snapshot after a restart, when the call ends', async () => {
    const dbFile = tempDbFile();
    const clock = new FakeClock();
    let h = await startHarness({ dbFile, port: 0, clock });
    servers.push(h);
    const ev = (n: number, e: Record<string, unknown>) => ({ id: `sr-${n}`, at: T0 + n * 1_000, ...e });
    await postEvents(h, [
      ev(1, { type: 'agent.state', agentId: 'a1', state: 'available', name: 'Agent a1', queues: ['q1'] }),
      ev(2, { type: 'call.queued', callId: 'c1', queueId: 'q1' }),
      ev(3, { type: 'call.ringing', callId: 'c1', agentId: 'a1' }),
      ev(4, { type: 'call.answered', callId: 'c1', agentId: 'a1' }),
    ]);
    const port = h.port;
    servers = [];
    await h.close();
    // A new server on the same log: the call is known only from the replay, never sent in a delta here.
    h = await startHarness({ dbFile, port, clock });
    servers.push(h);
    const agent = client(h.url, { scope: 'agent', agentId: 'a1' }, false);
    await waitFor(() => agent.mirror.state !== null, 3_000, 'the agent snapshot');
    expect((agent.mirror.view() as { calls: unknown[] }).calls).toHaveLength(1);
    await postEvents(h, [ev(60, { type: 'call.ended', callId: 'c1', by: 'caller', notes: true })]);
    await waitFor(() => (agent.mirror.view() as { calls: unknown[] }).calls.length === 0, 3_000, 'the ended call removed from the agent view');
    expect((agent.mirror.view() as { calls: unknown[] }).calls).toEqual(((await serverView(h, { scope: 'agent', agentId: 'a1' })) as { calls: unknown[] }).calls);
  });

  it('brings clients back to the same state after a server restart on the same database, with events sent during the outage retried', async () => {
    const dbFile = tempDbFile();
    const clock = new FakeClock();
    let h = await startHarness({ dbFile, port: 0, clock });
    servers.push(h);
    const port = h.port;
    const rng = new Rng(11);
    await postEvents(h, AGENTS.map((a, i) => ({ type: 'agent.state', id: `init-${a}`, at: T0 + i, agentId: a, state: 'available', name: `Agent ${a}`, queues: ['q1', 'q2'] })));
    const clients = SCOPES.flatMap((s) => [client(h.url, s, true), client(h.url, s, true)]);
    await waitFor(() => clients.every((c) => c.mirror.state !== null), 3_000, 'first snapshots');

    /** Posts one round, retrying until the (possibly restarting) server acknowledges it: retries are safe by id. */
    const send = async (r: number, events: Record<string, unknown>[]) => {
      for (let attempt = 0; ; attempt++) {
        try {
          const res = await postEvents(h, events);
          if (res.status === 200) return attempt;
        } catch {
          // the server is down: try again
        }
        if (attempt > 200) throw new Error(`round ${r} never acknowledged`);
        await new Promise((res) => setTimeout(res, 20));
      }
    };
    let retries = 0;
    for (let r = 1; r <= 40; r++) {
      if (r === 20) {
        const old = h;
        servers = servers.filter((s) => s !== old);
        await old.close();
        // Events keep coming while the server is down; they are retried until it is back.
        const during = send(r, round(r, rng));
        await new Promise((res) => setTimeout(res, 100));
        h = await startHarness({ dbFile, port, clock });
        servers.push(h);
        retries += await during;
        continue;
      }
      retries += await send(r, round(r, rng));
    }

    const fresh = SCOPES.map((s) => client(h.url, s, false));
    await waitFor(() => fresh.every((c) => c.mirror.state !== null), 3_000, 'fresh clients');
    for (const [i, scope] of SCOPES.entries()) {
      const ref = fresh[i];
      const others = clients.filter((c) => c.scope === scope);
      await waitFor(
        () => others.every((c) => c.socket.connected && JSON.stringify(c.mirror.view()) === JSON.stringify(ref.mirror.view())),
        5_000,
        `${scope.scope} clients to converge after the restart`,
      );
      expect(ref.mirror.view()).toEqual(await serverView(h, scope));
      for (const c of others) expect(c.mirror.snapshots, 'a fresh snapshot after reconnecting').toBeGreaterThanOrEqual(2);
    }
    expect(retries).toBeGreaterThan(0);
    expect(h.server.replayed).toBeGreaterThan(0);
    console.info(`reconnect: server restarted after ${h.server.replayed} events; ${retries} posts retried during the outage; ${clients.length} clients converged`);
  });
});
