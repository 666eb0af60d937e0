/**
 * Supervisors scoped to queues and teams (issue 17), over real sockets and
 * HTTP: a scoped supervisor (and a scoped wallboard) never receives another
 * queue's call or another team's agent in any snapshot or delta of a long
 * simulated feed, their copy of the room always equals the server's own
 * snapshot of their scope, they cannot acknowledge, open, note, assign or
 * export what is not theirs, reports and scorecards are limited, and a change
 * of their scope ends their session. Admins and unscoped supervisors still
 * see the whole floor.
 */
import { describe, expect, it } from 'vitest';
import { io as ioClient } from 'socket.io-client';
import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { closeHarnessesAfterEach, ev, postEvents, T0, waitFor, type Harness, type LiveClient } from './harness.ts';
import { createSimulator, type SimQueue } from '../../server/simulator.ts';
import { Mirror, comparable, stateOf } from './faults/mirror.ts';
import { AuthStore } from '../../server/auth/store.ts';
import type { Ack, AgentView, CallDetail, CallView, Delta, FloorPayload, RevokedNotice, Snapshot, WallboardPayload, WorklistItemView } from '../../shared/wire.ts';
import type { Alert, FloorState } from '../../shared/state.ts';
import type { SupervisorScope } from '../../shared/scope.ts';
import type { RangeReport, Scorecard } from '../../shared/report/types.ts';

const servers = closeHarnessesAfterEach();
type Body = { ok: boolean; data?: unknown; error?: string };

const PASSWORD = 'scope-test-password-1';

async function login(h: Harness, username: string): Promise<string> {
  const res = await fetch(`${h.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: PASSWORD }) });
  expect(res.status, `sign-in of ${username}`).toBe(200);
  return (res.headers.get('set-cookie') ?? '').split(';')[0];
}

async function call(h: Harness, method: string, p: string, cookie: string, body?: unknown): Promise<{ status: number; body: Body; text: string }> {
  const res = await fetch(`${h.url}${p}`, { method, headers: { 'content-type': 'application/json', cookie }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let parsed: Body;
  try {
    parsed = JSON.parse(text) as Body;
  } catch {
    parsed = { ok: res.ok };
  }
  return { status: res.status, body: parsed, text };
}

/** A /live socket recording every message, with the mirror the real client would keep. */
interface Watcher {
  name: string;
  socket: LiveClient;
  mirror: Mirror;
  messages: (Snapshot | Delta)[];
  revoked?: RevokedNotice;
  ready: Promise<void>;
}
const open: LiveClient[] = [];

function watch(h: Harness, name: string, auth: Record<string, string>, cookie?: string): Watcher {
  const socket: LiveClient = ioClient(`${h.url}/live`, { auth, transports: ['websocket'], reconnection: false, forceNew: true, ...(cookie ? { extraHeaders: { cookie } } : {}) });
  open.push(socket);
  const w: Watcher = { name, socket, mirror: new Mirror(socket), messages: [], ready: Promise.resolve() };
  socket.on('live:snapshot', (s) => w.messages.push(s));
  socket.on('live:delta', (d) => w.messages.push(d));
  socket.on('auth:revoked', (n) => (w.revoked = n));
  // A resync's answer is a snapshot too: record it like a pushed one.
  const emit = socket.emit.bind(socket) as (ev: string, ...args: unknown[]) => LiveClient;
  (socket as unknown as { emit: typeof emit }).emit = (ev: string, ...args: unknown[]) => {
    if (ev === 'live:resync' && typeof args[0] === 'function') {
      const ack = args[0] as (r: Ack<Snapshot>) => void;
      return emit(ev, (r: Ack<Snapshot>) => {
        if (r.ok) w.messages.push(r.data);
        ack(r);
      });
    }
    return emit(ev, ...args);
  };
  w.ready = new Promise<void>((resolve, reject) => {
    socket.once('live:snapshot', () => resolve());
    socket.once('connect_error', reject);
  });
  return w;
}

/** What a scope may receive, worked out from the floor's agents at the end (the simulator never moves an agent). */
interface Truth {
  agents: Set<string>;
  queues: Set<string>;
  /** Every agent and queue (a scope seeing everything must see these). */
  all?: boolean;
}

function truthOf(s: FloorState, scope: SupervisorScope | undefined): Truth {
  if (!scope) return { agents: new Set(s.agents.keys()), queues: new Set(s.queues.keys()), all: true };
  const agents = new Set<string>();
  const derived = new Set<string>();
  for (const a of s.agents.values()) {
    const theirs = scope.teams ? a.team !== undefined && scope.teams.includes(a.team) : a.queues.some((q) => scope.queues?.includes(q));
    if (!theirs) continue;
    agents.add(a.agentId);
    for (const q of a.queues) derived.add(q);
  }
  return { agents, queues: scope.queues ? new Set(scope.queues) : derived };
}

/** Counts of what was checked, for the test's own sanity. */
interface Checked {
  messages: number;
  deltas: number;
  agents: number;
  calls: number;
  alerts: number;
}

/**
 * Checks every message one socket received against what its scope may receive: every agent,
 * call, alert, queue, interval, voicemail, callback and worklist item, and every id in a removal
 * or patch (which must be one the socket was sent before). Returns the counts; throws on a leak.
 */
function checkAll(w: Watcher, t: Truth, into: Checked): void {
  const seenCalls = new Set<string>();
  const seenAlerts = new Set<string>();
  const where = (i: number) => `${w.name}, message ${i}`;
  const agent = (id: string | null | undefined, i: number, what: string) => {
    if (id === null || id === undefined) return;
    if (!t.agents.has(id)) throw new Error(`${where(i)}: ${what} names agent ${id}, not in scope`);
  };
  const queue = (id: string | null | undefined, i: number, what: string) => {
    if (id === null || id === undefined) return;
    if (!t.queues.has(id)) throw new Error(`${where(i)}: ${what} names queue ${id}, not in scope`);
  };
  const checkCall = (c: CallView, i: number) => {
    into.calls++;
    if (c.queueId !== null) queue(c.queueId, i, `call ${c.callId}`);
    else if (c.agentId === null) throw new Error(`${where(i)}: call ${c.callId} with no queue and no agent of theirs`);
    agent(c.agentId, i, `call ${c.callId}`);
    seenCalls.add(c.callId);
  };
  const checkAgent = (a: Partial<AgentView> & { agentId: string }, i: number) => {
    into.agents++;
    agent(a.agentId, i, 'agent');
    for (const q of a.queues ?? []) queue(q, i, `agent ${a.agentId}'s queues`);
  };
  const checkAlert = (a: Alert, i: number) => {
    into.alerts++;
    if (a.agentId === undefined && a.queueId === undefined) throw new Error(`${where(i)}: alert ${a.id} names neither agent nor queue`);
    agent(a.agentId, i, `alert ${a.id}`);
    queue(a.queueId, i, `alert ${a.id}`);
    seenAlerts.add(a.id);
  };
  const checkWorklist = (items: WorklistItemView[] | undefined, i: number) => {
    for (const x of items ?? []) {
      queue(x.queueId, i, `worklist item ${x.itemId}`);
      agent(x.assignedTo, i, `worklist item ${x.itemId}`);
    }
  };
  w.messages.forEach((m, i) => {
    into.messages++;
    if ('payload' in m) {
      const p = m.payload;
      if ('agents' in p) for (const a of p.agents) checkAgent(a, i);
      if ('me' in p && p.me) checkAgent(p.me, i);
      for (const c of 'calls' in p ? p.calls : []) checkCall(c, i);
      for (const a of 'alerts' in p ? p.alerts : []) checkAlert(a, i);
      for (const q of 'queues' in p ? p.queues : []) queue(q.queueId, i, 'queue tile');
      for (const q of Object.keys('intervals' in p ? p.intervals : {})) queue(q, i, 'intervals');
      for (const v of 'voicemails' in p ? p.voicemails : []) {
        agent(v.agentId, i, 'voicemail');
        queue(v.queueId, i, 'voicemail');
      }
      for (const cb of 'callbacks' in p ? p.callbacks : []) agent(cb.agentId, i, 'callback');
      checkWorklist('worklist' in p ? p.worklist : undefined, i);
      // The agents' calls shown must be calls the room holds.
      for (const a of 'agents' in p ? p.agents : []) if (a.callId !== null && !seenCalls.has(a.callId)) throw new Error(`${where(i)}: agent ${a.agentId} on call ${a.callId} the room does not hold`);
      return;
    }
    into.deltas++;
    for (const a of m.agents ?? []) checkAgent(a, i);
    if (m.me) checkAgent(m.me, i);
    for (const c of m.calls ?? []) checkCall(c, i);
    // The whole floor's room removes any call that stopped being live (as before scopes); a scoped room only those it held.
    for (const id of m.callsRemoved ?? []) if (!t.all && !seenCalls.has(id)) throw new Error(`${where(i)}: removes call ${id} it was never sent`);
    for (const a of m.alerts ?? []) checkAlert(a, i);
    for (const id of m.alertsRemoved ?? []) if (!seenAlerts.has(id)) throw new Error(`${where(i)}: removes alert ${id} it was never sent`);
    for (const p of m.alertPatches ?? []) if (!seenAlerts.has(p.id)) throw new Error(`${where(i)}: patches alert ${p.id} it was never sent`);
    for (const q of m.queues ?? []) queue(q.queueId, i, 'queue tile');
    for (const q of Object.keys(m.intervals ?? {})) queue(q, i, 'intervals');
    for (const v of m.voicemails ?? []) {
      agent(v.agentId, i, 'voicemail');
      queue(v.queueId, i, 'voicemail');
    }
    for (const cb of m.callbacks ?? []) agent(cb.agentId, i, 'callback');
    checkWorklist(m.worklist, i);
  });
}

/** A floor with two sites in one Floorwatch: the house's queues and teams, and an outsourcer's. */
const QUEUES: SimQueue[] = [
  { id: 'sales', callsPerHour: 80 },
  { id: 'support', callsPerHour: 90, voicemailShare: 0.04 },
  { id: 'billing', callsPerHour: 50, voicemailShare: 0.05 },
  { id: 'priority', callsPerHour: 30, ringAll: true },
  { id: 'acme-sales', callsPerHour: 60 },
  { id: 'acme-care', callsPerHour: 50, voicemailShare: 0.05 },
];
const TEAMS = ['north', 'south', 'east', 'west', 'acme'];

const SCOPES: Record<string, SupervisorScope | undefined> = {
  boss: undefined, // admin
  sue: undefined, // an unscoped supervisor
  salesLead: { queues: ['sales'] },
  northLead: { teams: ['north'] },
  acme: { queues: ['acme-sales', 'acme-care'], teams: ['acme'] },
};

async function scopedFloor(): Promise<Harness> {
  const h = await servers.start();
  const now = h.clock.now();
  await h.auth.createUser({ username: 'boss', password: PASSWORD, role: 'admin' }, now);
  for (const [name, scope] of Object.entries(SCOPES)) {
    if (name === 'boss') continue;
    await h.auth.createUser({ username: name, password: PASSWORD, role: 'supervisor', scope: scope ?? null }, now);
  }
  return h;
}

/** Drives a simulated floor on the harness's fake clock, one second a step, the 1 Hz rules after each. */
async function runFeed(h: Harness, seconds: number, each?: (step: number) => Promise<void> | void, seed = 17): Promise<number> {
  let events = 0;
  const sim = createSimulator(
    {
      seed,
      agents: 50,
      speed: 6,
      queues: QUEUES,
      teams: TEAMS,
      lapseRate: 2,
      emit: async (batch) => {
        events += batch.length;
        const r = await h.server.pipeline.submit(batch);
        if (r.rejected.length) throw new Error(`simulator events rejected: ${r.rejected[0].error}`);
      },
    },
    h.clock.now(),
  );
  for (let step = 0; step < seconds; step++) {
    h.clock.advance(1_000);
    await sim.step(h.clock.now());
    h.server.tickNow();
    if (each) await each(step);
    // Let the sockets read now and then, as a real network would.
    if (step % 20 === 0) await new Promise((r) => setImmediate(r));
  }
  return events;
}

async function settle(h: Harness): Promise<void> {
  h.server.hub.pushKpis();
  await waitFor(() => h.server.hub.settled, 5_000, 'the hub to settle');
  await new Promise((r) => setTimeout(r, 150));
}

/**
 * A copy and the server's snapshot of the room, compared: equal, but for resolved alerts the
 * snapshot no longer lists (it sends the open ones and the newest resolved ones, the copy keeps
 * what it was sent).
 */
function split(m: Mirror, snap: Snapshot): { mine: unknown; theirs: unknown; extra: { status: string }[] } {
  const mine = m.view({ stateOnly: true }) as { alerts: { id: string; status: string }[] };
  const theirs = comparable(stateOf(snap.payload), { stateOnly: true }) as { alerts: { id: string }[] };
  const ids = new Set(theirs.alerts.map((a) => a.id));
  return { mine: { ...mine, alerts: mine.alerts.filter((a) => ids.has(a.id)) }, theirs, extra: mine.alerts.filter((a) => !ids.has(a.id)) };
}
function sameAsSnapshot(m: Mirror, snap: Snapshot): boolean {
  const { mine, theirs, extra } = split(m, snap);
  return JSON.stringify(mine) === JSON.stringify(theirs) && extra.every((a) => a.status !== 'open');
}
function expectSameAsSnapshot(m: Mirror, snap: Snapshot, name: string): void {
  const { mine, theirs, extra } = split(m, snap);
  expect(mine, name).toEqual(theirs);
  expect(extra.filter((a) => a.status === 'open'), name).toEqual([]);
}

async function scopeSnapshot(h: Harness, cookie: string, q = 'scope=floor'): Promise<Snapshot> {
  const r = await call(h, 'GET', `/api/snapshot?${q}`, cookie);
  expect(r.status).toBe(200);
  return r.body.data as Snapshot;
}

describe('a scoped supervisor over a long simulated feed', () => {
  it('never receives another queue’s call or another team’s agent in any snapshot or delta, and holds what the server’s snapshot of their scope holds', async () => {
    const h = await scopedFloor();
    const cookies: Record<string, string> = {};
    for (const name of Object.keys(SCOPES)) cookies[name] = await login(h, name);
    const tv = h.auth.createToken('wallboard', 'acme TV', 'boss', h.clock.now(), { queues: ['acme-sales', 'acme-care'] }).token;

    const watchers: { w: Watcher; user?: string; scope: SupervisorScope | undefined; kind: 'floor' | 'wallboard' | 'agent' }[] = [];
    const add = (user: string, kind: 'floor' | 'wallboard' = 'floor', n = 1) => {
      for (let i = 0; i < n; i++) watchers.push({ w: watch(h, `${user}/${kind}#${watchers.length}`, { scope: kind }, cookies[user]), user, scope: SCOPES[user], kind });
    };
    add('boss');
    add('sue');
    add('salesLead', 'floor', 2); // two supervisors of one scope share its room
    add('northLead');
    add('acme');
    watchers.push({ w: watch(h, 'acme TV', { scope: 'wallboard', kiosk: tv }), scope: { queues: ['acme-sales', 'acme-care'] }, kind: 'wallboard' });
    await Promise.all(watchers.map((x) => x.w.ready));

    let agentWatcher: Watcher | undefined;
    const events = await runFeed(h, 2_400, async (step) => {
      // Supervisors who open the floor half-way get a snapshot full of calls and alerts.
      if (step === 500) {
        add('salesLead');
        add('acme');
        add('northLead');
        await Promise.all(watchers.map((x) => x.w.ready));
      }
      if (step === 700) {
        // The north lead opens the view of one of their agents (an agent of another team is refused at the handshake).
        const s = h.server.state();
        const north = [...s.agents.values()].find((a) => a.team === 'north') as { agentId: string };
        const south = [...s.agents.values()].find((a) => a.team === 'south') as { agentId: string };
        agentWatcher = watch(h, 'northLead/agent', { scope: 'agent', agentId: north.agentId }, cookies.northLead);
        watchers.push({ w: agentWatcher, user: 'northLead', scope: SCOPES.northLead, kind: 'agent' });
        await agentWatcher.ready;
        const refused = watch(h, 'northLead/other agent', { scope: 'agent', agentId: south.agentId }, cookies.northLead);
        await expect(refused.ready).rejects.toThrow(/not in your scope/);
      }
    });
    await settle(h);

    const s = h.server.state();
    const checked: Checked = { messages: 0, deltas: 0, agents: 0, calls: 0, alerts: 0 };
    for (const { w, scope } of watchers) checkAll(w, truthOf(s, scope), checked);
    expect(events).toBeGreaterThan(10_000);
    expect(checked.deltas).toBeGreaterThan(10_000);
    expect(checked.calls).toBeGreaterThan(1_000);
    expect(checked.alerts).toBeGreaterThan(100);

    // Each copy equals the server's own snapshot of its scope; scoped ones are a proper part of the floor.
    for (const { w, user, kind } of watchers) {
      if (kind !== 'floor' || !user) continue;
      const snap = await scopeSnapshot(h, cookies[user]);
      await waitFor(() => sameAsSnapshot(w.mirror, snap), 3_000, `${w.name} to hold its scope's snapshot`).catch(() => undefined);
      expectSameAsSnapshot(w.mirror, snap, w.name);
      const p = snap.payload as FloorPayload;
      const t = truthOf(s, SCOPES[user]);
      expect(new Set(p.agents.map((a) => a.agentId)), w.name).toEqual(t.agents);
      expect(new Set(p.queues.map((q) => q.queueId)), w.name).toEqual(new Set([...t.queues].filter((q) => s.queues.has(q))));
      if (!SCOPES[user]) {
        expect(p.agents.length).toBe(s.agents.size);
        expect(p.calls.length).toBe(s.liveCalls.size);
      } else {
        expect(p.agents.length).toBeGreaterThan(0);
        expect(p.agents.length).toBeLessThan(s.agents.size);
      }
    }
    // The scoped wallboard: its queues only, its totals theirs.
    const wall = watchers.find((x) => x.kind === 'wallboard')?.w as Watcher;
    const lastWall = [...wall.messages].reverse().find((m) => 'payload' in m || (m as Delta).queues) as Snapshot | Delta;
    const wallQueues = 'payload' in lastWall ? (lastWall.payload as WallboardPayload).queues : (lastWall.queues ?? []);
    expect(wallQueues.map((q) => q.queueId).sort()).toEqual(['acme-care', 'acme-sales']);

    // Two supervisors of one scope shared one room: the same seq numbers, the same deltas.
    const [a, b] = watchers.filter((x) => x.user === 'salesLead' && x.kind === 'floor').map((x) => x.w);
    expect(a.messages.filter((m) => !('payload' in m)).map((m) => m.seq)).toEqual(b.messages.filter((m) => !('payload' in m)).map((m) => m.seq));
    expect(agentWatcher?.messages.length).toBeGreaterThan(10);
    console.info(`supervisor scope: ${events} events; ${checked.messages} messages to ${watchers.length} sockets checked (${checked.deltas} deltas, ${checked.agents} agents, ${checked.calls} calls, ${checked.alerts} alerts); ${h.server.hub.stats.scopeResyncs} scope resyncs`);
  }, 120_000);
});

describe('what a scoped supervisor may do', () => {
  /** A small floor: sales (team red) and acme-care (team acme), one call and alerts on each. */
  async function smallFloor(): Promise<{ h: Harness; lead: string; admin: string }> {
    const h = await scopedFloor();
    await postEvents(h, [
      ev.agent('r1', 'available', 0, { name: 'Rita Red', team: 'north', queues: ['sales'] }),
      ev.agent('a1', 'available', 0, { name: 'Ann Acme', team: 'acme', queues: ['acme-care'] }),
      ev.queued('cs', 'sales', 1),
      ev.ringing('cs', 'r1', 2),
      ev.answered('cs', 'r1', 4),
      ev.hold('cs', 10, false), // hold-permission breach on r1
      ev.queued('ca', 'acme-care', 1),
      ev.ringing('ca', 'a1', 2),
      ev.answered('ca', 'a1', 4),
      ev.hold('ca', 10, false), // hold-permission breach on a1
    ]);
    return { h, lead: await login(h, 'acme'), admin: await login(h, 'boss') };
  }
  const alertOf = (h: Harness, agentId: string) => [...h.server.state().alerts.values(), ...h.server.state().recentAlerts].find((a) => a.agentId === agentId) as Alert;

  it('acknowledges their alerts only (HTTP and socket), opens their calls only, and writes notes only to their agents', async () => {
    const { h, lead, admin } = await smallFloor();
    const mine = alertOf(h, 'a1');
    const other = alertOf(h, 'r1');
    expect((await call(h, 'POST', `/api/alerts/${encodeURIComponent(other.id)}/ack`, lead, {})).status).toBe(403);
    expect((await call(h, 'POST', `/api/alerts/${encodeURIComponent(other.id)}/reopen`, lead, {})).status).toBe(403);
    expect((await call(h, 'POST', `/api/alerts/${encodeURIComponent(mine.id)}/ack`, lead, { note: 'on it' })).status).toBe(200);

    const w = watch(h, 'acme floor', { scope: 'floor' }, lead);
    await w.ready;
    const ack = await new Promise<Ack<Alert>>((resolve) => w.socket.emit('alert:acknowledge', { alertId: other.id }, resolve));
    expect(ack).toMatchObject({ ok: false, error: expect.stringMatching(/not in your scope/) });
    expect(h.server.state().alerts.get(other.id)?.ack).toBeUndefined();

    const detail = await new Promise<Ack<CallDetail>>((resolve) => w.socket.emit('call:detail', 'cs', resolve));
    expect(detail).toMatchObject({ ok: false, error: expect.stringMatching(/not in your scope/) });
    const own = await new Promise<Ack<CallDetail>>((resolve) => w.socket.emit('call:detail', 'ca', resolve));
    expect(own.ok).toBe(true);
    expect((await call(h, 'GET', '/api/calls/cs', lead)).status).toBe(403);
    expect((await call(h, 'GET', '/api/calls/ca', lead)).status).toBe(200);
    expect((await call(h, 'GET', '/api/calls/cs', admin)).status).toBe(200);

    expect((await call(h, 'POST', '/api/agents/r1/notes', lead, { text: 'hello' })).status).toBe(403);
    expect((await call(h, 'POST', '/api/agents/nobody/notes', lead, { text: 'hello' })).status).toBe(403);
    expect((await call(h, 'POST', '/api/agents/a1/notes', lead, { text: 'well done' })).status).toBe(201);
    expect((await call(h, 'POST', '/api/ticker', lead, { text: 'to every site' })).status).toBe(403);
    expect((await call(h, 'POST', '/api/ticker', admin, { text: 'to every site' })).status).toBe(201);
    expect((await call(h, 'GET', '/api/health', lead)).status).toBe(403);

    // The alert record and the snapshot over HTTP: theirs only.
    const alerts = (await call(h, 'GET', '/api/alerts', lead)).body.data as Alert[];
    expect(alerts.length).toBeGreaterThan(0);
    expect(alerts.every((a) => a.agentId === 'a1' || a.queueId === 'acme-care')).toBe(true);
    const snap = await scopeSnapshot(h, lead);
    expect(snap.scope).toEqual({ kind: 'floor', limit: { queues: ['acme-care', 'acme-sales'], teams: ['acme'] } });
    expect(JSON.stringify(snap)).not.toMatch(/Rita|"r1"|"cs"|"sales"/);
    expect((await call(h, 'GET', '/api/snapshot?scope=agent&agentId=r1', lead)).status).toBe(403);
    // Settings: the floor's thresholds and their own overrides, not the other site's.
    const settings = (await call(h, 'GET', '/api/settings', lead)).body.data as { queues: Record<string, unknown> };
    expect(settings.queues).toEqual({});
  });

  it('exports and reports their queues and agents only, refuses a filter outside the scope, and limits scorecards and the what-if to them', async () => {
    const { h, lead, admin } = await smallFloor();
    await postEvents(h, [ev.ended('cs', 60, { notes: true }), ev.ended('ca', 60, { notes: true })]);
    const agentsCsv = await call(h, 'GET', '/api/export/agents.csv', lead);
    expect(agentsCsv.status).toBe(200);
    expect(agentsCsv.text).toContain('a1');
    expect(agentsCsv.text).not.toContain('r1');
    const queuesCsv = await call(h, 'GET', '/api/export/queues.csv', lead);
    expect(queuesCsv.text).toContain('acme-care');
    expect(queuesCsv.text).not.toMatch(/^sales,/m);
    expect((await call(h, 'GET', '/api/export/agents.csv', admin)).text).toContain('r1');

    const day = (await call(h, 'GET', '/api/report', lead)).body.data as { queues: { queueId: string }[]; agents: { agentId: string }[] };
    expect(day.queues.map((q) => q.queueId)).toEqual(['acme-care']);
    expect(day.agents.map((a) => a.agentId)).toEqual(['a1']);

    const report = (await call(h, 'GET', '/api/reports', lead)).body.data as RangeReport;
    expect(report.queues.map((q) => q.queueId)).toEqual(['acme-care']);
    expect(report.agents.map((a) => a.agentId)).toEqual(['a1']);
    expect(report.totals.offered).toBe(1);
    const whole = (await call(h, 'GET', '/api/reports', admin)).body.data as RangeReport;
    expect(whole.totals.offered).toBe(2);
    expect(whole.agents.map((a) => a.agentId).sort()).toEqual(['a1', 'r1']);
    for (const q of ['queue=sales', 'team=north', 'agent=r1']) {
      expect((await call(h, 'GET', `/api/reports?${q}`, lead)).status, q).toBe(403);
      expect((await call(h, 'GET', `/api/reports/export.xlsx?${q}`, lead)).status, q).toBe(403);
      expect((await call(h, 'GET', `/api/reports/export/agents.csv?${q}`, lead)).status, q).toBe(403);
    }
    const rows = await call(h, 'GET', '/api/reports/export/agents.csv', lead);
    expect(rows.status).toBe(200);
    expect(rows.text).toContain('a1');
    expect(rows.text).not.toContain('r1');
    expect((await call(h, 'GET', '/api/reports?queue=acme-care', lead)).status).toBe(200);

    expect((await call(h, 'GET', '/api/scorecard?agent=r1', lead)).status).toBe(403);
    expect((await call(h, 'GET', '/api/scorecard?team=north', lead)).status).toBe(403);
    const card = (await call(h, 'GET', '/api/scorecard?team=acme', lead)).body.data as Scorecard;
    expect(card.members?.map((m) => m.agentId)).toEqual(['a1']);
    expect((await call(h, 'GET', '/api/scorecard?agent=a1', lead)).status).toBe(200);

    // A queues-only supervisor's team scorecard holds the team's agents of their queues only.
    await postEvents(h, [ev.agent('r2', 'available', 61, { name: 'Rolf North', team: 'north', queues: ['billing'] }), ev.queued('cb', 'billing', 62), ev.ringing('cb', 'r2', 63), ev.answered('cb', 'r2', 64), ev.ended('cb', 90, { notes: true })]);
    const sales = await login(h, 'salesLead');
    const north = (await call(h, 'GET', '/api/scorecard?team=north', sales)).body.data as Scorecard;
    expect(north.members?.map((m) => m.agentId)).toEqual(['r1']);

    // What if: the run counts and shows their alerts only (a1's, not r1's), and their part of the settings.
    const whatIf = await call(h, 'POST', '/api/what-if', lead, { from: '2026-11-24', to: '2026-11-24', set: { 'hold-long.warnSec': 5 } });
    expect(whatIf.status, whatIf.text).toBe(200);
    const r = whatIf.body.data as { agents: { agentId: string }[]; totals: { baseline: { breach: number } }; examples: unknown; baselineConfig: { queues: Record<string, unknown> } };
    expect(r.agents.map((a) => a.agentId)).toEqual(['a1']);
    expect(JSON.stringify(r.examples)).not.toContain('"r1"');
    const all = (await call(h, 'POST', '/api/what-if', admin, { from: '2026-11-24', to: '2026-11-24', set: { 'hold-long.warnSec': 5 } })).body.data as typeof r;
    expect(all.agents.map((a) => a.agentId).sort()).toEqual(['a1', 'r1']);
    expect(all.totals.baseline.breach).toBeGreaterThan(r.totals.baseline.breach);
  });

  it('assigns their queues’ callbacks to their agents only', async () => {
    const { h, lead } = await smallFloor();
    // A caller of each site hangs up: one worklist item per queue.
    await postEvents(h, [
      { type: 'call.queued', id: 'wq1', at: T0 + 100_000, callId: 'ab1', queueId: 'sales', caller: '+3725550001' },
      { type: 'call.abandoned', id: 'wq2', at: T0 + 160_000, callId: 'ab1' },
      { type: 'call.queued', id: 'wq3', at: T0 + 100_000, callId: 'ab2', queueId: 'acme-care', caller: '+3725550002' },
      { type: 'call.abandoned', id: 'wq4', at: T0 + 160_000, callId: 'ab2' },
    ]);
    const w = watch(h, 'acme floor', { scope: 'floor' }, lead);
    await w.ready;
    const items = ((w.messages[0] as Snapshot).payload as FloorPayload).worklist ?? [];
    expect(items.map((x) => x.queueId)).toEqual(['acme-care']);
    const assign = (itemId: string, agentId: string | null) => new Promise<Ack<WorklistItemView>>((resolve) => w.socket.emit('worklist:assign', { itemId, agentId }, resolve));
    const salesItem = 'wl:ab1';
    expect(await assign(salesItem, 'a1')).toMatchObject({ ok: false, error: expect.stringMatching(/not in your scope/) });
    expect(await assign(items[0].itemId, 'r1')).toMatchObject({ ok: false, error: expect.stringMatching(/not in your scope/) });
    expect(await assign(items[0].itemId, 'a1')).toMatchObject({ ok: true, data: { assignedTo: 'a1' } });
  });

  it('ends the supervisor’s session and sockets when an admin changes their scope, and audits it', async () => {
    const { h, lead, admin } = await smallFloor();
    const w = watch(h, 'acme floor', { scope: 'floor' }, lead);
    await w.ready;
    const id = (h.auth.findUser('acme') as { id: number }).id;
    const bad = await call(h, 'PATCH', `/api/admin/users/${id}`, admin, { scope: { queues: 'x', colour: 'red' } });
    expect(bad.status).toBe(400);
    expect((await call(h, 'PATCH', `/api/admin/users/${id}`, lead, { scope: null })).status).toBe(403);
    const changed = await call(h, 'PATCH', `/api/admin/users/${id}`, admin, { scope: { queues: 'acme-care, acme-sales , acme-web', teams: ['acme'] } });
    expect(changed.status).toBe(200);
    expect((changed.body.data as { scope: SupervisorScope }).scope).toEqual({ queues: ['acme-care', 'acme-sales', 'acme-web'], teams: ['acme'] });
    await waitFor(() => w.revoked !== undefined && !w.socket.connected, 3_000, 'the socket to be cut');
    expect(w.revoked?.reason).toBe('scope-changed');
    expect((await call(h, 'GET', '/api/me', lead)).body.data).toBeNull();
    expect((await call(h, 'GET', '/api/snapshot?scope=floor', lead)).status).toBe(401);
    // The same scope again changes nothing and ends nothing.
    const again = await login(h, 'acme');
    expect((await call(h, 'GET', '/api/me', again)).body.data).toMatchObject({ scope: { queues: ['acme-care', 'acme-sales', 'acme-web'], teams: ['acme'] } });
    await call(h, 'PATCH', `/api/admin/users/${id}`, admin, { scope: { teams: ['acme'], queues: ['acme-web', 'acme-sales', 'acme-care'] } });
    expect((await call(h, 'GET', '/api/me', again)).status).toBe(200);
    expect((await call(h, 'GET', '/api/me', again)).body.data).not.toBeNull();
    const audit = (await call(h, 'GET', '/api/admin/audit', admin)).body.data as { action: string; before: { scope: unknown }; after: { scope: unknown } }[];
    const entry = audit.find((e) => e.action === 'user.update' && JSON.stringify(e.before.scope) !== JSON.stringify(e.after.scope));
    expect(entry?.before.scope).toEqual({ queues: ['acme-care', 'acme-sales'], teams: ['acme'] });
    expect(entry?.after.scope).toEqual({ queues: ['acme-care', 'acme-sales', 'acme-web'], teams: ['acme'] });
    // Clearing it opens the whole floor at the next sign-in.
    await call(h, 'PATCH', `/api/admin/users/${id}`, admin, { scope: null });
    const whole = await login(h, 'acme');
    expect(((await scopeSnapshot(h, whole)).payload as FloorPayload).agents.map((a) => a.agentId).sort()).toEqual(['a1', 'r1']);
    // Only supervisors and wallboard tokens are scoped.
    expect((await call(h, 'PATCH', `/api/admin/users/${(h.auth.findUser('boss') as { id: number }).id}`, admin, { scope: { queues: ['x'] } })).status).toBe(400);
    expect((await call(h, 'POST', '/api/admin/tokens', admin, { kind: 'ingest', name: 'pbx', scope: { queues: ['x'] } })).status).toBe(400);
    const created = await call(h, 'POST', '/api/admin/tokens', admin, { kind: 'wallboard', name: 'acme tv', scope: { queues: ['acme-care'] } });
    expect(created.status).toBe(201);
    expect((created.body.data as { scope: SupervisorScope }).scope).toEqual({ queues: ['acme-care'] });
  });

  it('resyncs a scoped room when an agent leaves or joins the scope, and the copy then holds the agent no more', async () => {
    const { h, lead } = await smallFloor();
    const w = watch(h, 'acme floor', { scope: 'floor' }, lead);
    await w.ready;
    // a1 moves to the north team: out of the acme scope.
    await postEvents(h, [ev.agent('a1', 'available', 70, { team: 'north' })]);
    await settle(h);
    await waitFor(() => w.mirror.state !== null && !w.mirror.state.agents.has('a1'), 3_000, 'a1 to leave the copy');
    expect(w.messages.some((m) => !('payload' in m) && m.resync)).toBe(true);
    expectSameAsSnapshot(w.mirror, await scopeSnapshot(h, lead), 'acme floor');
    // A new agent of theirs signs in: a patch, no resync.
    const resyncs = w.messages.filter((m) => !('payload' in m) && m.resync).length;
    await postEvents(h, [ev.agent('a9', 'available', 80, { name: 'Abe New', team: 'acme', queues: ['acme-care'] })]);
    await waitFor(() => w.mirror.state?.agents.has('a9') === true, 3_000, 'a9 to join the copy');
    expect(w.messages.filter((m) => !('payload' in m) && m.resync).length).toBe(resyncs);
  });
});

describe('an agent of a scoped team breaching on another queue’s call', () => {
  /** Breaches and warnings of an agent row's alerts by rule. */
  const tally = (v: Pick<AgentView, 'alertsByRule'>) => Object.values(v.alertsByRule).reduce((n, c) => ({ breach: n.breach + (c?.breach ?? 0), warn: n.warn + (c?.warn ?? 0) }), { breach: 0, warn: 0 });
  /** A CSV's row of one agent, by header. */
  const csvRow = (text: string, agentId: string): Record<string, string> => {
    const [head, ...lines] = text.trim().split(/\r?\n/);
    const cols = head.split(',');
    const line = lines.find((l) => l.startsWith(`${agentId},`));
    expect(line, `${agentId} in ${head}`).toBeDefined();
    return Object.fromEntries((line as string).split(',').map((v, i) => [cols[i], v]));
  };

  it('counts it nowhere for the scoped supervisor who cannot open it (agent row live and by day, day CSV, range report, scorecard), and everywhere for an unscoped one', async () => {
    const h = await scopedFloor();
    await h.auth.createUser({ username: 'lena', password: PASSWORD, role: 'supervisor', scope: { queues: ['sales'], teams: ['blue'] } }, h.clock.now());
    // Cara (team blue) serves sales and support: a hold-permission breach on a sales call (lena's) and one on a support call (not lena's), still on hold.
    await postEvents(h, [
      ev.agent('cara', 'available', 0, { name: 'Cara Blue', team: 'blue', queues: ['sales', 'support'] }),
      ev.queued('cs1', 'sales', 1),
      ev.ringing('cs1', 'cara', 2),
      ev.answered('cs1', 'cara', 4),
      ev.hold('cs1', 10, false),
      ev.unhold('cs1', 20),
      ev.ended('cs1', 60, { notes: true }),
      ev.queued('cx1', 'support', 61),
      ev.ringing('cx1', 'cara', 62),
      ev.answered('cx1', 'cara', 64),
      ev.hold('cx1', 70, false),
    ]);
    h.clock.advance(600_000);
    h.server.tickNow();
    const lena = await login(h, 'lena');
    const sue = await login(h, 'sue');
    const s = h.server.state();
    const caras = [...s.alerts.values(), ...s.recentAlerts].filter((a) => a.agentId === 'cara');
    const outside = caras.filter((a) => a.queueId === 'support');
    const inside = caras.filter((a) => a.queueId === 'sales');
    expect(outside.some((a) => a.level === 'breach' && a.status === 'open'), 'an open breach on the support call').toBe(true);
    expect(inside.some((a) => a.level === 'breach'), 'a breach on the sales call').toBe(true);
    const count = (list: Alert[]) => ({ breach: list.filter((a) => a.level === 'breach').length, warn: list.filter((a) => a.level === 'warn').length });
    const all = count(caras);
    const theirs = count(inside);
    const openTheirs = inside.filter((a) => a.status === 'open').length;

    // The alert feed: lena does not get the support call's alerts, and may not act on them.
    const feed = (await call(h, 'GET', '/api/alerts', lena)).body.data as Alert[];
    expect(feed.some((a) => outside.some((o) => o.id === a.id))).toBe(false);
    expect((await call(h, 'POST', `/api/alerts/${encodeURIComponent(outside[0].id)}/ack`, lena, {})).status).toBe(403);

    // The live floor (snapshot, and a socket's copy kept by its deltas) and the agent's view.
    const rowOf = (snap: Snapshot) => (snap.payload as FloorPayload).agents.find((a) => a.agentId === 'cara') as AgentView;
    const lenaRow = rowOf(await scopeSnapshot(h, lena));
    expect(tally(lenaRow)).toEqual(theirs);
    expect(lenaRow.openAlerts).toBe(openTheirs);
    if (openTheirs === 0) expect(lenaRow.worstOpenLevel).toBeNull();
    const sueRow = rowOf(await scopeSnapshot(h, sue));
    expect(tally(sueRow)).toEqual(all);
    expect(sueRow.openAlerts).toBe(caras.filter((a) => a.status === 'open').length);
    expect(sueRow.worstOpenLevel).toBe('breach');
    const me = ((await scopeSnapshot(h, lena, 'scope=agent&agentId=cara')).payload as { me: AgentView }).me;
    expect(tally(me)).toEqual(theirs);
    expect(me.openAlerts).toBe(openTheirs);

    const w = watch(h, 'lena floor', { scope: 'floor' }, lena);
    await w.ready;
    // Another breach on the support call while lena watches: her copy, kept by deltas, still does not count it.
    await postEvents(h, [ev.unhold('cx1', 700), ev.hold('cx1', 710, false)]);
    h.clock.advance(60_000);
    h.server.tickNow();
    await settle(h);
    const mirrored = w.mirror.state?.agents.get('cara') as AgentView | undefined;
    expect(mirrored).toBeDefined();
    expect(tally(mirrored as AgentView)).toEqual(theirs);
    expectSameAsSnapshot(w.mirror, await scopeSnapshot(h, lena), 'lena floor');
    const allNow = count([...h.server.state().alerts.values(), ...h.server.state().recentAlerts].filter((a) => a.agentId === 'cara'));
    expect(allNow.breach).toBeGreaterThan(all.breach);

    // The day's report and its agents CSV.
    const day = (await call(h, 'GET', '/api/report', lena)).body.data as { agents: AgentView[] };
    expect(tally(day.agents.find((a) => a.agentId === 'cara') as AgentView)).toEqual(theirs);
    expect(csvRow((await call(h, 'GET', '/api/export/agents.csv', lena)).text, 'cara')).toMatchObject({ breaches: String(theirs.breach), warnings: String(theirs.warn) });
    expect(csvRow((await call(h, 'GET', '/api/export/agents.csv', sue)).text, 'cara')).toMatchObject({ breaches: String(allNow.breach), warnings: String(allNow.warn) });

    // The range report: the agents row agrees with the rules and the totals; the unscoped one counts every breach.
    const range = (await call(h, 'GET', '/api/reports', lena)).body.data as RangeReport;
    const lenaAgent = range.agents.find((a) => a.agentId === 'cara');
    expect(lenaAgent).toMatchObject({ breaches: theirs.breach, warns: theirs.warn });
    expect(range.totals.breaches).toBe(theirs.breach);
    expect(range.rules.reduce((n, r) => n + r.breaches, 0)).toBe(theirs.breach);
    const rangeCsv = await call(h, 'GET', '/api/reports/export/agents.csv', lena);
    expect(rangeCsv.status).toBe(200);
    const whole = (await call(h, 'GET', '/api/reports', sue)).body.data as RangeReport;
    expect(whole.agents.find((a) => a.agentId === 'cara')).toMatchObject({ breaches: allNow.breach, warns: allNow.warn });

    // The scorecard.
    const card = (await call(h, 'GET', '/api/scorecard?agent=cara', lena)).body.data as Scorecard;
    expect(card.current.breaches).toBe(theirs.breach);
    expect(card.current.rules.reduce((n, r) => n + r.breaches, 0)).toBe(theirs.breach);
    const sueCard = (await call(h, 'GET', '/api/scorecard?agent=cara', sue)).body.data as Scorecard;
    expect(sueCard.current.breaches).toBe(allNow.breach);

    // The next day: the day before's report and CSV, folded from the log, count the same.
    const date = new Date(T0).toISOString().slice(0, 10);
    await postEvents(h, [ev.ended('cx1', 800, { notes: true }), ev.agent('cara', 'available', 86_400)]);
    h.server.tickNow();
    // A day on, their sessions have run out: sign in again.
    const lena2 = await login(h, 'lena');
    const sue2 = await login(h, 'sue');
    const past = await call(h, 'GET', `/api/report?date=${date}`, lena2);
    expect(past.status, past.text).toBe(200);
    expect(JSON.stringify(past.body.data)).not.toContain('"alerts"');
    const pastRow = (past.body.data as { agents: AgentView[] }).agents.find((a) => a.agentId === 'cara') as AgentView;
    // Later that day Cara fell behind her quota pace: a warning naming her alone, which is lena's.
    expect(pastRow.alertsByRule['hold-permission']).toMatchObject({ breach: theirs.breach });
    expect(pastRow.alertsByRule['hold-long']).toBeUndefined();
    expect(tally(pastRow).breach).toBe(theirs.breach);
    expect(csvRow((await call(h, 'GET', `/api/export/agents.csv?date=${date}`, lena2)).text, 'cara')).toMatchObject({ breaches: String(theirs.breach), warnings: String(tally(pastRow).warn) });
    const suePast = (await call(h, 'GET', `/api/report?date=${date}`, sue2)).body.data as { agents: AgentView[] };
    expect(JSON.stringify(suePast)).not.toContain('"alerts"');
    const suePastRow = suePast.agents.find((a) => a.agentId === 'cara') as AgentView;
    const supportBreaches = h.server.state().recentAlerts.filter((a) => a.agentId === 'cara' && a.queueId === 'support' && a.status !== 'retracted' && a.level === 'breach').length;
    expect(supportBreaches).toBeGreaterThan(0);
    expect(tally(suePastRow).breach).toBe(theirs.breach + supportBreaches);
    expect(tally(suePastRow).warn).toBe(tally(pastRow).warn);
  });
});

describe('the user store', () => {
  it('adds the scope columns to an auth.db made before scopes, keeping its users whole-floor', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floorwatch-scope-'));
    const file = path.join(dir, 'auth.db');
    const old = new Database(file);
    old.exec(`
      CREATE TABLE users (id INTEGER PRIMARY KEY, username TEXT NOT NULL UNIQUE COLLATE NOCASE, role TEXT NOT NULL, agent_id TEXT, pw_hash TEXT NOT NULL, created_ms INTEGER NOT NULL, must_change INTEGER NOT NULL DEFAULT 0);
      CREATE TABLE sessions (id_hash TEXT PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE, created_ms INTEGER NOT NULL, seen_ms INTEGER NOT NULL);
      CREATE TABLE tokens (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, name TEXT NOT NULL, token_hash TEXT NOT NULL UNIQUE, created_by TEXT NOT NULL, created_ms INTEGER NOT NULL, revoked_ms INTEGER);
      INSERT INTO users (username, role, pw_hash, created_ms) VALUES ('olde', 'supervisor', 'scrypt$x', 1);
      INSERT INTO tokens (kind, name, token_hash, created_by, created_ms) VALUES ('wallboard', 'tv', 'abc', 'olde', 1);
    `);
    old.close();
    const store = new AuthStore(file);
    try {
      const u = store.findUser('olde');
      expect(u?.scope).toBeNull();
      expect(store.listTokens()[0].scope).toBeNull();
      const after = store.updateUser(u?.id as number, { scope: { teams: ['acme'] } });
      expect(after?.scope).toEqual({ teams: ['acme'] });
      // A role other than supervisor keeps no scope.
      expect(store.updateUser(u?.id as number, { role: 'admin' })?.scope).toBeNull();
    } finally {
      store.close();
    }
  });
});
