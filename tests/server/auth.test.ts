import { afterEach, describe, expect, it } from 'vitest';
import { io as ioClient } from 'socket.io-client';
import { ev, postEvents, startHarness, T0, WALL_TOKEN, waitFor, type Harness, type LiveClient } from './harness.ts';
import type { Alert } from '../../shared/state.ts';
import type { AgentPayload, Delta, Snapshot, WallboardPayload } from '../../shared/wire.ts';
import { defaultConfig } from '../../shared/config.ts';

let h: Harness | undefined;
const sockets: { close(): void }[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.close();
  await h?.close();
  h = undefined;
});

async function setup(): Promise<Harness> {
  h = await startHarness();
  const now = h.clock.now();
  await h.auth.createUser({ username: 'admin', password: 'admin-password-1', role: 'admin' }, now);
  await h.auth.createUser({ username: 'sue', password: 'supervisor-pass-1', role: 'supervisor' }, now);
  await h.auth.createUser({ username: 'sam', password: 'supervisor-pass-2', role: 'supervisor' }, now);
  await h.auth.createUser({ username: 'ann', password: 'agent-password-1', role: 'agent', agentId: 'A' }, now);
  return h;
}

async function login(username: string, password: string): Promise<{ status: number; cookie: string; body: { ok: boolean; error?: string; data?: unknown }; setCookie: string }> {
  const res = await fetch(`${h!.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  const setCookie = res.headers.get('set-cookie') ?? '';
  return { status: res.status, cookie: setCookie.split(';')[0], body: (await res.json()) as { ok: boolean; error?: string }, setCookie };
}

async function call(method: string, path: string, cookie: string | null, body?: unknown, bearer?: string) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (cookie) headers.cookie = cookie;
  if (bearer) headers.authorization = `Bearer ${bearer}`;
  const res = await fetch(`${h!.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let json: { ok: boolean; data?: unknown; error?: string } | undefined;
  try {
    json = JSON.parse(text) as typeof json;
  } catch {
    json = undefined;
  }
  return { status: res.status, body: json, text };
}

function live(auth: Record<string, string>, cookie?: string) {
  const socket: LiveClient = ioClient(`${h!.url}/live`, { auth, transports: ['websocket'], reconnection: false, forceNew: true, extraHeaders: cookie ? { cookie } : {} });
  sockets.push(socket);
  const deltas: Delta[] = [];
  socket.on('live:delta', (d) => deltas.push(d));
  const first = new Promise<Snapshot>((resolve, reject) => {
    socket.once('live:snapshot', resolve);
    socket.once('connect_error', reject);
  });
  return { socket, deltas, first };
}

describe('sign-in', () => {
  it('sets an httpOnly SameSite session cookie and tells who is signed in', async () => {
    await setup();
    const r = await login('sue', 'supervisor-pass-1');
    expect(r.status).toBe(200);
    expect(r.setCookie).toMatch(/^fw_session=/);
    expect(r.setCookie).toMatch(/HttpOnly/i);
    expect(r.setCookie).toMatch(/SameSite=Lax/i);
    const me = await call('GET', '/api/me', r.cookie);
    expect(me.body).toEqual({ ok: true, data: { username: 'sue', role: 'supervisor', agentId: null, demo: false, mustChange: false, extension: null } });
    await call('POST', '/api/logout', r.cookie);
    expect((await call('GET', '/api/me', r.cookie)).body).toEqual({ ok: true, data: null });
  });

  it('refuses a wrong password, then rate-limits repeated failures', async () => {
    await setup();
    const bad = await login('sue', 'nope-nope-nope');
    expect(bad.status).toBe(401);
    expect(bad.body.error).toBe('wrong user name or password');
    for (let i = 0; i < 4; i++) await login('sue', `wrong-${i}-xxxxxx`);
    const limited = await login('sue', 'supervisor-pass-1');
    expect(limited.status).toBe(429);
    expect(limited.body.error).toMatch(/too many failed sign-ins/);
  });

  it('ends a session after the idle time', async () => {
    await setup();
    const r = await login('sue', 'supervisor-pass-1');
    expect(((await call('GET', '/api/me', r.cookie)).body?.data as { username: string }).username).toBe('sue');
    h!.clock.advance(8 * 3_600_000 + 1_000);
    expect((await call('GET', '/api/me', r.cookie)).body?.data).toBeNull();
  });
});

describe('role boundaries', () => {
  it("keeps an agent in their own room: another agent's room and the floor are refused", async () => {
    await setup();
    await postEvents(h!, [ev.agent('A', 'available', 0, { name: 'Ann' }), ev.agent('B', 'available', 0, { name: 'Bob' })]);
    const { cookie } = await login('ann', 'agent-password-1');
    const other = live({ scope: 'agent', agentId: 'B' }, cookie);
    await expect(other.first).rejects.toThrow(/agents see only their own view/);
    const floor = live({ scope: 'floor' }, cookie);
    await expect(floor.first).rejects.toThrow(/agents see only their own view/);
    const own = live({ scope: 'agent', agentId: 'A' }, cookie);
    const snap = (await own.first) as Snapshot<AgentPayload>;
    expect(snap.scope).toEqual({ kind: 'agent', agentId: 'A' });
    expect(snap.payload.me?.name).toBe('Ann');
    expect(JSON.stringify(snap)).not.toContain('Bob');
  });

  it('refuses REST data to agents, wallboard tokens and callers without credentials', async () => {
    await setup();
    const { cookie } = await login('ann', 'agent-password-1');
    for (const p of ['/api/snapshot?scope=floor', '/api/alerts', '/api/health', '/api/export/agents.csv', '/api/settings']) {
      expect((await call('GET', p, cookie)).status, `agent ${p}`).toBe(403);
      expect((await call('GET', p, null, undefined, WALL_TOKEN)).status, `wallboard ${p}`).toBe(403);
      expect((await call('GET', p, null)).status, `nobody ${p}`).toBe(401);
    }
    const sup = await login('sue', 'supervisor-pass-1');
    expect((await call('GET', '/api/admin/users', sup.cookie)).status).toBe(403);
    expect((await call('PUT', '/api/settings', sup.cookie, defaultConfig())).status).toBe(403);
  });

  it('stops accepting an ingest token once an admin revokes it, over HTTP and socket', async () => {
    await setup();
    const admin = await login('admin', 'admin-password-1');
    const created = await call('POST', '/api/admin/tokens', admin.cookie, { kind: 'ingest', name: 'pbx-1' });
    expect(created.status).toBe(201);
    const { id, token } = created.body!.data as { id: number; token: string };
    expect((await postEvents(h!, [ev.queued('t1', 'q', 1)], token)).status).toBe(200);
    expect((await call('DELETE', `/api/admin/tokens/${id}`, admin.cookie)).status).toBe(200);
    const after = await postEvents(h!, [ev.queued('t2', 'q', 2)], token);
    expect(after.status).toBe(401);
    expect(after.body.error).toMatch(/revoked/);
    const s = ioClient(`${h!.url}/ingest`, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true });
    sockets.push(s);
    const err = await new Promise<Error>((resolve) => s.once('connect_error', resolve));
    expect(err.message).toMatch(/invalid or revoked/);
    const audit = await call('GET', '/api/admin/audit', admin.cookie);
    expect((audit.body!.data as { action: string }[]).map((e) => e.action)).toEqual(['token.revoke', 'token.create']);
  });

  it('opens the wallboard with an issued kiosk token in the URL, and nothing else with it', async () => {
    await setup();
    const admin = await login('admin', 'admin-password-1');
    const { token } = (await call('POST', '/api/admin/tokens', admin.cookie, { kind: 'wallboard', name: 'TV by the door' })).body!.data as { token: string };
    const wall = live({ scope: 'wallboard', kiosk: token });
    expect(((await wall.first) as Snapshot<WallboardPayload>).scope).toEqual({ kind: 'wallboard' });
    const floor = live({ scope: 'floor', kiosk: token });
    await expect(floor.first).rejects.toThrow(/wallboard only/);
    expect((await call('GET', `/api/snapshot?scope=wallboard&kiosk=${token}`, null)).status).toBe(403);
  });
});

describe('acknowledgements and audit', () => {
  it("shows one supervisor's acknowledgement with its note to another, is harmless twice, and can be reopened", async () => {
    await setup();
    await postEvents(h!, [ev.agent('A', 'available', 0), ev.queued('c1', 'q', 1), ev.ringing('c1', 'A', 2), ev.answered('c1', 'A', 3), ev.hold('c1', 10, false)]);
    const alert = [...h!.server.state().recentAlerts].find((a) => a.ruleId === 'hold-permission') as Alert;
    const sue = await login('sue', 'supervisor-pass-1');
    const sam = await login('sam', 'supervisor-pass-2');
    const sueLive = live({ scope: 'floor' }, sue.cookie);
    const samLive = live({ scope: 'floor' }, sam.cookie);
    await Promise.all([sueLive.first, samLive.first]);
    const ack = (req: unknown, s = sueLive.socket) => new Promise<{ ok: boolean; data?: Alert; error?: string }>((resolve) => s.emit('alert:acknowledge', req as { alertId: string }, resolve));
    const r = await ack({ alertId: alert.id, note: 'spoke to Ann about it' });
    expect(r.ok).toBe(true);
    expect(r.data?.ack).toEqual({ by: 'sue', atMs: expect.any(Number), note: 'spoke to Ann about it' });
    await waitFor(() => samLive.deltas.some((d) => d.alerts?.some((a) => a.id === alert.id && a.ack?.by === 'sue')), 2_000, "sam sees sue's ack");
    const again = await ack({ alertId: alert.id, note: 'second time' }, samLive.socket);
    expect(again.data?.ack?.by).toBe('sue'); // the first acknowledgement stands
    expect((await ack({ alertId: 'no-such-alert' })).error).toMatch(/not open or recent/);
    expect((await ack({ nope: 1 })).error).toMatch(/alertId/);
    const reopened = await new Promise<{ ok: boolean; data?: Alert }>((resolve) => samLive.socket.emit('alert:reopen', { alertId: alert.id, note: 'happened again' }, resolve));
    expect(reopened.data?.ack).toBeUndefined();
    expect(reopened.data?.reopened?.by).toBe('sam');
    const admin = await login('admin', 'admin-password-1');
    const audit = (await call('GET', '/api/admin/audit', admin.cookie)).body!.data as { actor: string; action: string; after: { ack?: { note?: string } } }[];
    expect(audit.map((e) => [e.actor, e.action])).toEqual([
      ['sam', 'alert.reopen'],
      ['sue', 'alert.acknowledge'],
    ]);
    expect(audit[1].after.ack?.note).toBe('spoke to Ann about it');
    const csv = await call('GET', '/api/admin/audit?format=csv', admin.cookie);
    expect(csv.text.split('\r\n')[0]).toBe('at,actor,action,before,after');
    expect(csv.text).toContain('alert.acknowledge');
    // An agent cannot acknowledge.
    const ann = await login('ann', 'agent-password-1');
    const annLive = live({ scope: 'agent', agentId: 'A' }, ann.cookie);
    await annLive.first;
    expect((await ack({ alertId: alert.id }, annLive.socket)).error).toMatch(/only supervisors/);
  });

  it('keeps acknowledgements across a restart, since they are events in the log', async () => {
    await setup();
    await postEvents(h!, [ev.agent('A', 'available', 0), ev.queued('c1', 'q', 1), ev.ringing('c1', 'A', 2), ev.answered('c1', 'A', 3), ev.hold('c1', 10, false)]);
    const alert = h!.server.state().recentAlerts.find((a) => a.ruleId === 'hold-permission') as Alert;
    const sue = await login('sue', 'supervisor-pass-1');
    expect((await call('POST', `/api/alerts/${encodeURIComponent(alert.id)}/ack`, sue.cookie, { note: 'ok' })).status).toBe(200);
    const dbFile = h!.dbFile;
    const clock = h!.clock;
    await h!.close();
    h = await startHarness({ dbFile, clock });
    expect(h.server.state().recentAlerts.find((a) => a.id === alert.id)?.ack).toMatchObject({ by: 'sue', note: 'ok' });
  });
});

describe('settings, ticker and notes', () => {
  it('re-evaluates live calls at once when a threshold changes, and audits the change', async () => {
    await setup();
    await postEvents(h!, [ev.agent('A', 'available', 0), ev.queued('c1', 'q', 0), ev.ringing('c1', 'A', 0), ev.answered('c1', 'A', 1), ev.hold('c1', 10, true)]);
    h!.clock.t = T0 + 40_000; // on hold 30 s: under the 45 s default
    h!.server.tickNow();
    expect(h!.server.state().alerts.size).toBe(0);
    const admin = await login('admin', 'admin-password-1');
    const floor = live({ scope: 'floor' }, admin.cookie);
    await floor.first;
    const config = defaultConfig();
    config.rules.holdLongWarnSec = 20;
    const r = await call('PUT', '/api/settings', admin.cookie, config);
    expect(r.status).toBe(200);
    // No tick and no event since: the change itself raised the alert.
    expect([...h!.server.state().alerts.values()].map((a) => [a.ruleId, a.level, a.threshold])).toEqual([['hold-long', 'warn', 20]]);
    await waitFor(() => floor.deltas.some((d) => d.resync === true), 2_000, 'resync after settings');
    const bad = await call('PUT', '/api/settings', admin.cookie, { ...config, rules: { ...config.rules, holdLongWarnSec: 500 } });
    expect(bad.status).toBe(400);
    expect(bad.body?.error).toBe('rules.holdLongWarnSec: must not exceed holdLongBreachSec');
    const audit = (await call('GET', '/api/admin/audit', admin.cookie)).body!.data as { action: string; before: { rules: { holdLongWarnSec: number } }; after: { rules: { holdLongWarnSec: number } } }[];
    expect(audit[0].action).toBe('config.update');
    expect([audit[0].before.rules.holdLongWarnSec, audit[0].after.rules.holdLongWarnSec]).toEqual([45, 20]);
  });

  it('posts a ticker message to the wallboard and a private note to one agent only', async () => {
    await setup();
    await postEvents(h!, [ev.agent('A', 'available', 0), ev.agent('B', 'available', 0)]);
    const sue = await login('sue', 'supervisor-pass-1');
    const ann = await login('ann', 'agent-password-1');
    const wall = live({ scope: 'wallboard', token: WALL_TOKEN });
    const annLive = live({ scope: 'agent', agentId: 'A' }, ann.cookie);
    await Promise.all([wall.first, annLive.first]);
    expect((await call('POST', '/api/ticker', sue.cookie, { text: 'Team meeting at 15:00' })).status).toBe(201);
    expect((await call('POST', '/api/agents/B/notes', sue.cookie, { text: 'Please see me after this call' })).status).toBe(201);
    expect((await call('POST', '/api/agents/A/notes', sue.cookie, { text: 'Great call just now' })).status).toBe(201);
    await waitFor(() => wall.deltas.some((d) => d.ticker?.some((t) => t.text === 'Team meeting at 15:00')), 2_000, 'ticker');
    await waitFor(() => annLive.deltas.some((d) => d.notes?.some((n) => n.text === 'Great call just now')), 2_000, 'note');
    expect(JSON.stringify(annLive.deltas)).not.toContain('Please see me');
    expect((await call('POST', '/api/ticker', sue.cookie, { text: '' })).status).toBe(400);
    expect((await call('POST', '/api/agents/nobody/notes', sue.cookie, { text: 'hi' })).status).toBe(404);
  });

  it("exports today's agent and queue tables as CSV", async () => {
    await setup();
    await postEvents(h!, [ev.agent('A', 'available', 0, { name: 'Ann, the "best"' }), ev.queued('c1', 'q', 1), ev.ringing('c1', 'A', 2), ev.answered('c1', 'A', 3), ev.ended('c1', 60)]);
    const sue = await login('sue', 'supervisor-pass-1');
    const agents = await call('GET', '/api/export/agents.csv', sue.cookie);
    const lines = agents.text.trim().split('\r\n');
    expect(lines[0]).toBe('agent_id,name,team,handled,quota,aht_sec,holds,hold_sec,ring_no_answer,ring_canceled,breaches,warnings');
    expect(lines[1]).toBe('A,"Ann, the ""best""",,1,30,57,0,0,0,0,0,0');
    const queues = await call('GET', '/api/export/queues.csv', sue.cookie);
    expect(queues.text.trim().split('\r\n')[1]).toBe('q,1,1,0,0,0,0,100,2,57,2');
    expect((await call('GET', '/api/export/agents.csv?date=2099-01-01', sue.cookie)).status).toBe(404);
  });

  it("rebuilds a past day's tables from the log", async () => {
    await setup();
    await postEvents(h!, [ev.agent('A', 'available', 0), ev.queued('d1', 'q', 1), ev.ringing('d1', 'A', 2), ev.answered('d1', 'A', 3), ev.ended('d1', 60)]);
    const nextDay = 24 * 3600;
    h!.clock.advance(nextDay * 1000); // the next morning: the live floor is on the new day
    await postEvents(h!, [ev.queued('d2', 'q', nextDay), ev.abandoned('d2', nextDay + 30), ev.queued('d3', 'q', nextDay + 40)]);
    const sue = await login('sue', 'supervisor-pass-1');
    const today = (await call('GET', '/api/report', sue.cookie)).body!.data as { queues: { offered: number; answered: number }[] };
    expect([today.queues[0].offered, today.queues[0].answered]).toEqual([2, 0]);
    const past = (await call('GET', '/api/report?date=2026-11-24', sue.cookie)).body!.data as { queues: { offered: number; answered: number }[]; agents: { handled: number }[] };
    expect([past.queues[0].offered, past.queues[0].answered, past.agents[0].handled]).toEqual([1, 1, 1]);
    const csv = await call('GET', '/api/export/queues.csv?date=2026-11-24', sue.cookie);
    expect(csv.text.split('\r\n')[1]).toMatch(/^q,1,1,0,/);
    expect((await call('GET', '/api/report?date=24-11-2026', sue.cookie)).status).toBe(400);
  });
});
