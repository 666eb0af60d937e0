/**
 * The callback worklist over the wire (issue 15): supervisors assign items over the live socket
 * (an event in the log and a line in the audit trail); an agent receives the items assigned to
 * them with the full number and the unassigned ones masked, never another agent's, in snapshots
 * and deltas alike; a non-supervisor cannot assign.
 */
import { describe, expect, it } from 'vitest';
import { io as ioClient } from 'socket.io-client';
import { closeHarnessesAfterEach, ev, postEvents, T0, VIEW_TOKEN, waitFor, type Harness, type LiveClient } from './harness.ts';
import type { Ack, AgentPayload, Delta, FloorPayload, Snapshot, WorklistItemView } from '../../shared/wire.ts';

const { start, live } = closeHarnessesAfterEach();
let n = 0;
const at = (sec: number) => T0 + sec * 1000;
const queuedFrom = (callId: string, caller: string, atSec: number) => ({ type: 'call.queued', id: `wl-${++n}`, at: at(atSec), callId, queueId: 'sales', caller });
const outbound = (callId: string, to: string, agentId: string, atSec: number, answered?: boolean) => ({ type: 'call.outbound', id: `wl-${++n}`, at: at(atSec), callId, to, agentId, ...(answered === undefined ? {} : { answered }) });

const NUMBERS = { mine: '+372 5550 1111', free: '+372 5550 2222', theirs: '+372 5550 3333' };

function assign(socket: LiveClient, itemId: string, agentId: string | null): Promise<Ack<WorklistItemView>> {
  return new Promise((resolve) => socket.emit('worklist:assign', { itemId, agentId }, resolve));
}

/** A /live socket of a signed-in user (session cookie), recording what it is sent. */
async function asUser(h: Harness, username: string, role: 'agent' | 'supervisor', agentId?: string) {
  const user = await h.auth.createUser({ username, password: 'correct horse battery', role, agentId }, h.clock.now());
  const cookie = `fw_session=${h.auth.createSession(user.id, h.clock.now())}`;
  const socket: LiveClient = ioClient(`${h.url}/live`, {
    auth: agentId !== undefined ? { scope: 'agent', agentId } : { scope: 'floor' },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    extraHeaders: { origin: h.url, cookie },
  });
  const deltas: Delta[] = [];
  socket.on('live:delta', (d) => deltas.push(d));
  const first = await new Promise<Snapshot>((resolve, reject) => {
    socket.once('live:snapshot', resolve);
    socket.once('connect_error', reject);
  });
  return { socket, first, deltas };
}

async function floorWithThreeCallers(h: Harness) {
  const r = await postEvents(h, [
    ev.agent('1001', 'available', 0, { name: 'Alice Ames' }),
    ev.agent('1002', 'available', 0, { name: 'Bob Brown' }),
    queuedFrom('w1', NUMBERS.mine, 1),
    ev.abandoned('w1', 31),
    queuedFrom('w2', NUMBERS.free, 2),
    ev.abandoned('w2', 32),
    queuedFrom('w3', NUMBERS.theirs, 3),
    ev.abandoned('w3', 33),
  ]);
  expect(r.body.data?.rejected).toEqual([]);
}

describe('callback worklist over the wire', () => {
  it('lets a supervisor assign and unassign, recorded in the log and the audit trail', async () => {
    const h = await start();
    await floorWithThreeCallers(h);
    const floor = live(h, { scope: 'floor', token: VIEW_TOKEN });
    const snap = (await floor.firstSnapshot).payload as FloorPayload;
    expect(snap.worklist?.map((i) => [i.itemId, i.caller, i.masked, i.waitSec])).toEqual([
      ['wl:w1', NUMBERS.mine, false, 30],
      ['wl:w2', NUMBERS.free, false, 30],
      ['wl:w3', NUMBERS.theirs, false, 30],
    ]);
    const r = await assign(floor.socket, 'wl:w1', '1001');
    expect(r).toMatchObject({ ok: true, data: { itemId: 'wl:w1', assignedTo: '1001' } });
    await waitFor(() => floor.deltas.some((d) => d.worklist?.find((i) => i.itemId === 'wl:w1')?.assignedTo === '1001'), 3_000, 'the floor told of the assignment');
    expect(await assign(floor.socket, 'wl:w1', null)).toMatchObject({ ok: true, data: { assignedTo: null } });
    expect(await assign(floor.socket, 'wl:nope', '1001')).toMatchObject({ ok: false, error: expect.stringContaining('not open') });
    expect(await assign(floor.socket, 'wl:w2', 'nobody')).toMatchObject({ ok: false, error: expect.stringContaining('unknown agent') });
    expect(await assign(floor.socket, 'wl:w2', 5 as never)).toMatchObject({ ok: false, error: expect.stringContaining('agentId') });
    const audit = await h.log.listAudit();
    expect(audit.filter((a) => a.action.startsWith('worklist.')).map((a) => [a.action, a.actor])).toEqual([
      ['worklist.unassign', expect.any(String)],
      ['worklist.assign', expect.any(String)],
    ]);
    // The assignment is in the log: a restart rebuilds it.
    expect(await assign(floor.socket, 'wl:w3', '1002')).toMatchObject({ ok: true });
    const logged: unknown[] = [];
    await h.log.replay((e) => {
      if (e.type === 'worklist.assigned') logged.push({ itemId: e.itemId, agentId: e.agentId ?? null });
    });
    expect(logged).toEqual([
      { itemId: 'wl:w1', agentId: '1001' },
      { itemId: 'wl:w1', agentId: null },
      { itemId: 'wl:w3', agentId: '1002' },
    ]);
  });

  it('sends an agent their own items with the number and unassigned ones masked, never another agent’s', async () => {
    const h = await start();
    await floorWithThreeCallers(h);
    const floor = live(h, { scope: 'floor', token: VIEW_TOKEN });
    await floor.firstSnapshot;
    expect(await assign(floor.socket, 'wl:w1', '1001')).toMatchObject({ ok: true });
    expect(await assign(floor.socket, 'wl:w3', '1002')).toMatchObject({ ok: true });

    const alice = await asUser(h, 'alice', 'agent', '1001');
    const mine = (alice.first.payload as AgentPayload).worklist ?? [];
    expect(mine.map((i) => [i.itemId, i.caller, i.masked, i.assignedTo])).toEqual([
      ['wl:w1', NUMBERS.mine, false, '1001'],
      ['wl:w2', '•••• 2222', true, null],
    ]);
    const text = JSON.stringify(alice.first);
    expect(text).not.toContain('5550 2222');
    expect(text).not.toContain('3333');
    expect(text).not.toContain('wl:w3');

    // A delta carries the same scoping: w2 given to 1002 leaves Alice's list; w1 taken back is masked.
    expect(await assign(floor.socket, 'wl:w2', '1002')).toMatchObject({ ok: true });
    expect(await assign(floor.socket, 'wl:w1', null)).toMatchObject({ ok: true });
    await waitFor(() => alice.deltas.filter((d) => d.worklist).length >= 2, 3_000, 'two worklist deltas for Alice');
    const last = alice.deltas.filter((d) => d.worklist).at(-1)?.worklist ?? [];
    expect(last.map((i) => [i.itemId, i.caller, i.masked])).toEqual([['wl:w1', '•••• 1111', true]]);
    const all = JSON.stringify(alice.deltas);
    expect(all).not.toContain('5550 2222');
    expect(all).not.toContain('3333');

    // Alice's outbound call reaches her caller: the item leaves every list.
    expect(await assign(floor.socket, 'wl:w1', '1001')).toMatchObject({ ok: true });
    await postEvents(h, [outbound('o1', '37255501111', '1001', 120, true)]);
    await waitFor(() => (alice.deltas.filter((d) => d.worklist).at(-1)?.worklist ?? []).length === 0, 3_000, 'the item gone from Alice’s list');
    alice.socket.close();
  });

  it('refuses an assignment from an agent', async () => {
    const h = await start();
    await floorWithThreeCallers(h);
    const bob = await asUser(h, 'bob', 'agent', '1002');
    const r = await assign(bob.socket, 'wl:w2', '1002');
    expect(r).toMatchObject({ ok: false, error: 'only supervisors assign callbacks' });
    const floor = live(h, { scope: 'floor', token: VIEW_TOKEN });
    const snap = (await floor.firstSnapshot).payload as FloorPayload;
    expect(snap.worklist?.find((i) => i.itemId === 'wl:w2')?.assignedTo).toBeNull();
    expect((await h.log.listAudit()).some((a) => a.action.startsWith('worklist.'))).toBe(false);
    bob.socket.close();
  });
});
