/**
 * Supervisor actions over AMI (issue 19): the fake manager (tests/server/fake-ami.ts)
 * receives exactly QueuePause, QueueRemove and Originate into ChanSpy with
 * ActionIDs and answers success and failure; a refused permission makes the
 * actions unavailable without a storm; and over HTTP on a real server fed by
 * the same link, an agent, a wallboard and a scoped supervisor outside the
 * queue are refused on every route, and the audit shows who did what.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AmiClient } from '../../server/ami/client.ts';
import { AmiActions, parseDialTemplate, spyPrefix } from '../../server/ami/actions.ts';
import { readOptions } from '../../server/main.ts';
import type { AmiMessage } from '../../server/ami/parse.ts';
import { FAKE_SECRET, FAKE_USER, FakeAmi, type FakeMember } from './fake-ami.ts';
import { closeHarnessesAfterEach, ev, postEvents, VIEW_TOKEN, WALL_TOKEN, waitFor, type Harness } from './harness.ts';
import type { PbxActions } from '../../server/pbx-actions.ts';
import { parseExtension } from '../../shared/extension.ts';

const quiet = { info: () => {}, warn: () => {}, error: () => {} };
const servers = closeHarnessesAfterEach();

let fakes: FakeAmi[] = [];
let clients: AmiClient[] = [];
afterEach(async () => {
  for (const c of clients) await c.stop();
  for (const f of fakes) await f.close();
  fakes = [];
  clients = [];
});

const MEMBERS = (): FakeMember[] => [
  { queue: 'sales', name: 'alice', iface: 'PJSIP/1001', dynamic: true, paused: false },
  { queue: 'support', name: 'alice', iface: 'PJSIP/1001', dynamic: false, paused: false },
  { queue: 'support', name: 'bob', iface: 'PJSIP/1002', dynamic: true, paused: false },
];

/** A fake manager with the members, and a logged-in client whose QueueStatus has taught the adapter their interfaces. */
async function linked(submit?: ConstructorParameters<typeof AmiClient>[0]['submit'], now?: () => number) {
  const fake = await new FakeAmi().listen();
  fakes.push(fake);
  fake.members = MEMBERS();
  const client = new AmiClient({
    host: '127.0.0.1',
    port: fake.port,
    username: FAKE_USER,
    secret: FAKE_SECRET,
    backoffInitialMs: 20,
    backoffMaxMs: 80,
    pingMs: 0,
    logger: quiet,
    now,
    submit: submit ?? (async (events) => ({ accepted: events.length, duplicates: 0, rejected: [] })),
  });
  clients.push(client.start());
  await waitFor(() => client.stats.connected && client.adapter.interfaceOf('bob') !== undefined, 3_000, 'login and QueueStatus');
  return { fake, client, actions: new AmiActions(client, { actionTimeoutMs: 300 }) };
}

/** The fields of an action as the fake received them, ActionID aside. */
function fields(a: AmiMessage): Record<string, string> {
  return Object.fromEntries(a.fields.filter(([k]) => k !== 'ActionID'));
}

describe('AMI supervisor actions against a fake manager', () => {
  it('pauses in every queue (no Queue header) with the reason, and unpauses without one, each with its own ActionID', async () => {
    const { fake, actions } = await linked();
    expect(await actions.pause({ agentId: 'alice', paused: true, reason: 'coaching' })).toEqual({ ok: true, message: 'Interface paused successfully' });
    expect(await actions.pause({ agentId: 'alice', paused: false })).toEqual({ ok: true, message: 'Interface unpaused successfully' });
    expect(fake.received.map(fields)).toEqual([
      { Action: 'QueuePause', Interface: 'PJSIP/1001', Paused: 'true', Reason: 'coaching' },
      { Action: 'QueuePause', Interface: 'PJSIP/1001', Paused: 'false' },
    ]);
    const ids = fake.received.map((a) => a.get('ActionID'));
    expect(ids.every((id) => /^floorwatch-\d+$/.test(id ?? ''))).toBe(true);
    expect(new Set(ids).size).toBe(2);
    expect(fake.members.filter((m) => m.name === 'alice').every((m) => !m.paused)).toBe(true);
  });

  it('pauses queue by queue when queues are named, and stops at the first refusal', async () => {
    const { fake, actions } = await linked();
    expect((await actions.pause({ agentId: 'alice', paused: true, queues: ['sales', 'support'], reason: 'x' })).ok).toBe(true);
    expect(fake.received.map((a) => a.get('Queue'))).toEqual(['sales', 'support']);
    const r = await actions.pause({ agentId: 'bob', paused: true, queues: ['sales', 'support'] });
    expect(r).toEqual({ ok: false, reason: 'refused', message: 'Asterisk refused QueuePause: Interface not found' });
    expect(fake.received).toHaveLength(3); // bob's pause in support was not tried after sales refused
  });

  it('removes a dynamic member, and reports Asterisk\'s refusal for a static one or one not there', async () => {
    const { fake, actions } = await linked();
    expect(await actions.remove({ agentId: 'alice', queueId: 'sales' })).toEqual({ ok: true, message: 'Removed interface from queue' });
    expect(await actions.remove({ agentId: 'alice', queueId: 'support' })).toEqual({ ok: false, reason: 'refused', message: 'Asterisk refused QueueRemove: Member not dynamic' });
    expect(await actions.remove({ agentId: 'alice', queueId: 'sales' })).toEqual({ ok: false, reason: 'refused', message: 'Asterisk refused QueueRemove: Unable to remove interface: Not there' });
    expect(fake.received.map(fields)[0]).toEqual({ Action: 'QueueRemove', Queue: 'sales', Interface: 'PJSIP/1001' });
    expect(actions.status().available).toBe(true); // a refusal of one request leaves the actions available
  });

  it('rings the supervisor into ChanSpy: q to listen, qw to whisper, qB to barge, on the agent\'s channel prefix', async () => {
    const { fake, actions } = await linked();
    for (const mode of ['listen', 'whisper', 'barge'] as const) {
      expect(await actions.spy({ agentId: 'alice', mode, extension: '2001', supervisor: 'sue' })).toEqual({ ok: true, message: 'Originate successfully queued; the phone answered' });
    }
    expect((await actions.spy({ agentId: 'bob', mode: 'listen', extension: 'SIP/desk-7', supervisor: 'sue' })).ok).toBe(true);
    const got = fake.received.map(fields);
    expect(got[0]).toEqual({ Action: 'Originate', Channel: 'PJSIP/2001', Application: 'ChanSpy', Data: 'PJSIP/1001-,q', Timeout: '30000', CallerID: '"listen alice" <>', Async: 'true' });
    expect(got.map((g) => g.Data)).toEqual(['PJSIP/1001-,q', 'PJSIP/1001-,qw', 'PJSIP/1001-,qB', 'PJSIP/1002-,q']);
    expect(got[3].Channel).toBe('SIP/desk-7');
  });

  it('a Permission denied makes the actions unavailable: that one answer, nothing more sent, until the next login', async () => {
    const { fake, client, actions } = await linked();
    fake.denied.add('queuepause');
    const first = await actions.pause({ agentId: 'alice', paused: true });
    expect(first.ok).toBe(false);
    expect(first).toMatchObject({ reason: 'unavailable' });
    expect((first as { message: string }).message).toContain('write = call,agent,originate');
    const st = actions.status();
    expect(st.available).toBe(false);
    expect(st.reason).toContain('Permission denied');
    // Clicks meanwhile are answered at once, without writing to the PBX (no storm).
    for (let i = 0; i < 5; i++) expect(await actions.spy({ agentId: 'alice', mode: 'listen', extension: '2001', supervisor: 'sue' })).toMatchObject({ ok: false, reason: 'unavailable' });
    expect(fake.received).toHaveLength(1);
    // manager.conf fixed and the link made again: available again.
    fake.denied.clear();
    const logins = client.stats.logins;
    fake.dropAll();
    await waitFor(() => client.stats.logins > logins && client.stats.connected, 3_000, 'the next login');
    expect(actions.status().available).toBe(true);
    expect((await actions.pause({ agentId: 'alice', paused: true })).ok).toBe(true);
  });

  it('without a link, or for an agent Asterisk never named, nothing is sent; an unanswered action times out', async () => {
    const { fake, client, actions } = await linked();
    expect(await actions.pause({ agentId: 'carol', paused: true })).toMatchObject({ ok: false, reason: 'unknown-agent' });
    fake.silent.add('queueremove');
    expect(await actions.remove({ agentId: 'bob', queueId: 'support' })).toMatchObject({ ok: false, reason: 'timeout' });
    await client.stop();
    expect(actions.status()).toMatchObject({ available: false, reason: 'not connected to the Asterisk Manager Interface' });
    expect(await actions.pause({ agentId: 'alice', paused: true })).toMatchObject({ ok: false, reason: 'unavailable' });
    expect(fake.received.map((a) => a.get('Action'))).toEqual(['QueueRemove']);
  });

  it('the OriginateResponse event that follows an Originate reaches the adapter, not the request', async () => {
    const { client, actions } = await linked();
    const before = client.stats.messages;
    await actions.spy({ agentId: 'alice', mode: 'listen', extension: '2001', supervisor: 'sue' });
    await waitFor(() => client.adapter.skippedBy.has("OriginateResponse not for an agent's phone"), 2_000, 'the OriginateResponse fed to the adapter');
    expect(client.stats.messages).toBeGreaterThan(before);
  });

  it('reports an Originate that fails within the wait (phone unreachable, busy) as refused with Asterisk\'s reason; a late or missing OriginateResponse leaves it ok', async () => {
    const { fake, client } = await linked();
    const actions = new AmiActions(client, { actionTimeoutMs: 300, originateWaitMs: 150 });
    const req = { agentId: 'alice', mode: 'listen', extension: '2001', supervisor: 'sue' } as const;
    expect(await actions.spy(req)).toEqual({ ok: true, message: 'Originate successfully queued; the phone answered' });
    fake.originateReason = 0;
    expect(await actions.spy(req)).toEqual({ ok: false, reason: 'refused', message: 'Asterisk could not ring PJSIP/2001: the phone could not be reached (unregistered or unknown) (OriginateResponse Failure, Reason 0)' });
    fake.originateReason = 5;
    fake.originateDelayMs = 50;
    expect(await actions.spy(req)).toMatchObject({ ok: false, reason: 'refused', message: expect.stringContaining('the phone is busy') });
    // Ringing unanswered fails only at the ring timeout, after the wait: the answer stays "queued".
    fake.originateReason = 3;
    fake.originateDelayMs = 400;
    expect(await actions.spy(req)).toEqual({ ok: true, message: 'Originate successfully queued' });
    fake.originateReason = null;
    expect(await actions.spy(req)).toEqual({ ok: true, message: 'Originate successfully queued' });
    // Without a wait, the response is answered at once, as before.
    fake.originateReason = 0;
    fake.originateDelayMs = 0;
    expect(await new AmiActions(client, { actionTimeoutMs: 300, originateWaitMs: 0 }).spy(req)).toEqual({ ok: true, message: 'Originate successfully queued' });
  });

  it('dials a plain extension through --ami-dial\'s template (default PJSIP/{ext}); a template without {ext} or with a comma is refused', async () => {
    const { fake, client } = await linked();
    const local = new AmiActions(client, { dialTemplate: parseDialTemplate('Local/{ext}@from-internal') });
    await local.spy({ agentId: 'alice', mode: 'whisper', extension: '2001', supervisor: 'sue' });
    expect(fake.received[0].get('Channel')).toBe('Local/2001@from-internal');
    expect(readOptions(['--ami', '10.0.0.5', '--ami-dial', 'SIP/{ext}'], { FLOORWATCH_AMI_SECRET: 'x' }).amiDial).toBe('SIP/{ext}');
    expect(readOptions([], {}).amiDial).toBe('PJSIP/{ext}');
    for (const bad of ['PJSIP/2001', 'PJSIP/{ext},qB', '{ext}', 'PJSIP/{ext} x']) expect(() => parseDialTemplate(bad), bad).toThrow(/--ami-dial/);
  });

  it('spyPrefix and extensions: a trailing dash on the interface, Local members by their channel name; no commas or spaces in an extension', () => {
    expect(spyPrefix('PJSIP/1001')).toBe('PJSIP/1001-');
    expect(spyPrefix('Local/1001@agents/n')).toBe('Local/1001@agents-');
    expect(parseExtension(' 2001 ')).toEqual({ ok: true, extension: '2001' });
    expect(parseExtension('PJSIP/2001')).toEqual({ ok: true, extension: 'PJSIP/2001' });
    expect(parseExtension('')).toEqual({ ok: true, extension: null });
    for (const bad of ['2001,qB', 'PJSIP/2001 x', 'PJSIP/20\r\n01', 'abc', '/2001', 42]) expect(parseExtension(bad).ok, String(bad)).toBe(false);
  });
});

// ------------------------------------------------------------------ over HTTP

const PASSWORD = 'actions-test-password-1';
type Body = { ok: boolean; data?: unknown; error?: string; unavailable?: boolean; reason?: string };

async function login(h: Harness, username: string): Promise<string> {
  const res = await fetch(`${h.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: PASSWORD }) });
  expect(res.status, `sign-in of ${username}`).toBe(200);
  return (res.headers.get('set-cookie') ?? '').split(';')[0];
}

async function call(h: Harness, method: string, p: string, auth: string, body?: unknown): Promise<{ status: number; body: Body }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (auth.startsWith('Bearer ')) headers.authorization = auth;
  else headers.cookie = auth;
  const res = await fetch(`${h.url}${p}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Body };
}

/** Every action route, each with a body aimed at `agentId` (and `queueId` for the removal). */
const ROUTES = (agentId: string, queueId: string) => [
  ['pause', { agentId, reason: 'coaching' }],
  ['unpause', { agentId }],
  ['remove', { agentId, queueId }],
  ['listen', { agentId }],
  ['whisper', { agentId }],
  ['barge', { agentId }],
] as const;

/** A server fed by the fake manager's link (members from QueueStatus), alice on a live call in sales, and its users. */
async function floor(opts: { pbx?: boolean } = {}) {
  let actions: PbxActions | undefined;
  const h = await servers.start({ pbxActions: () => actions });
  let link: Awaited<ReturnType<typeof linked>> | undefined;
  if (opts.pbx !== false) {
    link = await linked((events) => h.server.pipeline.submit(events, 'ami'), h.clock.now);
    actions = link.actions;
    await waitFor(() => h.server.state().agents.has('bob'), 3_000, 'the members on the floor');
  } else {
    await postEvents(h, [ev.agent('alice', 'available', 0, { queues: ['sales', 'support'] }), ev.agent('bob', 'available', 0, { queues: ['support'] })]);
  }
  await postEvents(h, [ev.queued('c1', 'sales', 10), ev.ringing('c1', 'alice', 11), ev.answered('c1', 'alice', 14)]);
  const now = h.clock.now();
  await h.auth.createUser({ username: 'boss', password: PASSWORD, role: 'admin' }, now);
  const sue = await h.auth.createUser({ username: 'sue', password: PASSWORD, role: 'supervisor' }, now);
  h.auth.setExtension(sue.id, '2001');
  await h.auth.createUser({ username: 'sam', password: PASSWORD, role: 'supervisor', scope: { queues: ['support'] } }, now);
  await h.auth.createUser({ username: 'sally', password: PASSWORD, role: 'supervisor', scope: { queues: ['sales'] } }, now);
  await h.auth.createUser({ username: 'al', password: PASSWORD, role: 'agent', agentId: 'alice' }, now);
  return { h, fake: link?.fake, actions: link?.actions };
}

describe('supervisor action routes', () => {
  it('an agent, a wallboard, an API token and a scoped supervisor outside the queue are refused (403) on every route; nothing reaches the PBX', async () => {
    const { h, fake } = await floor();
    const agent = await login(h, 'al');
    const sam = await login(h, 'sam'); // scoped to support: alice's call and her sales queue are not his
    for (const [kind, body] of ROUTES('alice', 'sales')) {
      expect((await call(h, 'POST', `/api/actions/${kind}`, agent, body)).status, `agent ${kind}`).toBe(403);
      expect((await call(h, 'POST', `/api/actions/${kind}`, `Bearer ${WALL_TOKEN}`, body)).status, `wallboard ${kind}`).toBe(403);
    }
    // Sam's own agent bob, but in a queue that is not his; and alice's call, in sales.
    expect((await call(h, 'POST', '/api/actions/remove', sam, { agentId: 'bob', queueId: 'sales' })).status).toBe(403);
    expect((await call(h, 'POST', '/api/actions/listen', sam, { agentId: 'alice' })).status).toBe(403);
    // Sally (sales) may not act on bob (support only) at all.
    const sally = await login(h, 'sally');
    for (const [kind, body] of ROUTES('bob', 'support')) expect((await call(h, 'POST', `/api/actions/${kind}`, sally, body)).status, `sally ${kind}`).toBe(403);
    expect((await call(h, 'GET', '/api/actions/status', agent)).status).toBe(403);
    // A view token is a supervisor for reading, not a person to act on the phone system.
    for (const [kind, body] of ROUTES('alice', 'sales')) expect((await call(h, 'POST', `/api/actions/${kind}`, `Bearer ${VIEW_TOKEN}`, body)).status, `token ${kind}`).toBe(403);
    expect(fake?.received).toEqual([]);
  });

  it('a scoped supervisor pauses only in their queues; an unscoped one in every queue; each action audited with who, what, target and result', async () => {
    const { h, fake } = await floor();
    const sally = await login(h, 'sally');
    const r = await call(h, 'POST', '/api/actions/pause', sally, { agentId: 'alice', reason: 'Coaching' });
    expect(r.status).toBe(200);
    expect(fake?.received.map(fields)).toEqual([{ Action: 'QueuePause', Interface: 'PJSIP/1001', Paused: 'true', Reason: 'Coaching', Queue: 'sales' }]);
    await waitFor(() => h.server.state().agents.get('alice')?.presence === 'away', 3_000, 'the pause on the floor');
    expect(h.server.state().agents.get('alice')?.reason).toBe('coaching');
    const sue = await login(h, 'sue');
    expect((await call(h, 'POST', '/api/actions/unpause', sue, { agentId: 'alice' })).status).toBe(200);
    expect(fields(fake!.received[1])).toEqual({ Action: 'QueuePause', Interface: 'PJSIP/1001', Paused: 'false' });
    // The pause came back from Asterisk as a member event: the floor saw alice away with the reason.
    await waitFor(() => h.server.state().agents.get('alice')?.presence === 'available', 3_000, 'the unpause on the floor');
    expect((await call(h, 'POST', '/api/actions/remove', sue, { agentId: 'alice', queueId: 'support' })).status).toBe(409);
    const boss = await login(h, 'boss');
    const audit = (await call(h, 'GET', '/api/admin/audit', boss)).body.data as { actor: string; action: string; after: Record<string, unknown> }[];
    const mine = audit.filter((a) => a.action.startsWith('action.'));
    expect(mine.map((a) => [a.actor, a.action, a.after.agentId, a.after.result]).sort()).toEqual([
      ['sally', 'action.pause', 'alice', 'ok'],
      ['sue', 'action.remove', 'alice', 'refused'],
      ['sue', 'action.unpause', 'alice', 'ok'],
    ]);
    expect(mine.find((a) => a.action === 'action.pause')?.after).toMatchObject({ queues: ['sales'], reason: 'Coaching', pbx: 'asterisk' });
    expect(mine.find((a) => a.action === 'action.pause')?.after.allQueues).toBeUndefined();
    // Sue's unscoped unpause asked Asterisk for every queue (no Queue header); the audit names them as the floor knew them.
    expect(mine.find((a) => a.action === 'action.unpause')?.after).toMatchObject({ queues: ['sales', 'support'], allQueues: true });
    expect(mine.find((a) => a.action === 'action.remove')?.after).toMatchObject({ queueId: 'support', message: 'Asterisk refused QueueRemove: Member not dynamic' });
  });

  it('listen rings the supervisor\'s extension into the agent\'s call; none set, or no live call, is a clear refusal', async () => {
    const { h, fake } = await floor();
    const sally = await login(h, 'sally'); // alice's call is in sales: hers
    expect((await call(h, 'POST', '/api/actions/listen', sally, { agentId: 'alice' })).body.reason).toBe('no-extension');
    expect((await call(h, 'PUT', '/api/me/extension', sally, { extension: '2001,qB' })).status).toBe(400);
    expect((await call(h, 'PUT', '/api/me/extension', sally, { extension: 'PJSIP/2002' })).status).toBe(200);
    expect(((await call(h, 'GET', '/api/me', sally)).body.data as { extension: string }).extension).toBe('PJSIP/2002');
    const r = await call(h, 'POST', '/api/actions/barge', sally, { agentId: 'alice' });
    expect(r.status).toBe(200);
    expect(fields(fake!.received[0])).toMatchObject({ Action: 'Originate', Channel: 'PJSIP/2002', Application: 'ChanSpy', Data: 'PJSIP/1001-,qB', Async: 'true' });
    const sue = await login(h, 'sue');
    const idle = await call(h, 'POST', '/api/actions/listen', sue, { agentId: 'bob' });
    expect([idle.status, idle.body.reason]).toEqual([409, 'no-call']);
    expect(fake?.received).toHaveLength(1);
    // Her phone unreachable: Asterisk queues the Originate, then its OriginateResponse fails at once.
    fake!.originateReason = 0;
    const unreachable = await call(h, 'POST', '/api/actions/listen', sally, { agentId: 'alice' });
    expect([unreachable.status, unreachable.body.reason]).toEqual([409, 'refused']);
    expect(unreachable.body.error).toContain('could not be reached');
    const boss = await login(h, 'boss');
    const audit = (await call(h, 'GET', '/api/admin/audit', boss)).body.data as { action: string; after: Record<string, unknown> }[];
    expect(audit.find((a) => a.action === 'action.listen')?.after).toMatchObject({ result: 'refused', extension: 'PJSIP/2002', message: expect.stringContaining('OriginateResponse Failure, Reason 0') });
  });

  it('a PBX refusal makes the floor\'s actions unavailable (503, status), without a storm; no PBX at all reads the same', async () => {
    const { h, fake } = await floor();
    fake!.denied.add('queuepause');
    const sue = await login(h, 'sue');
    const r = await call(h, 'POST', '/api/actions/pause', sue, { agentId: 'alice' });
    expect([r.status, r.body.unavailable]).toEqual([503, true]);
    expect(r.body.error).toContain('Permission denied');
    const st = (await call(h, 'GET', '/api/actions/status', sue)).body.data as { available: boolean; reason: string };
    expect(st.available).toBe(false);
    expect(st.reason).toContain('write = call,agent,originate');
    for (let i = 0; i < 3; i++) expect((await call(h, 'POST', '/api/actions/listen', sue, { agentId: 'alice' })).status).toBe(503);
    expect(fake!.received).toHaveLength(1);
    const health = (await call(h, 'GET', '/api/health', sue)).body.data as { actions: { available: boolean } };
    expect(health.actions.available).toBe(false);

    const bare = await floor({ pbx: false });
    const sue2 = await login(bare.h, 'sue');
    expect(((await call(bare.h, 'GET', '/api/actions/status', sue2)).body.data as { available: boolean; pbx: string })).toMatchObject({ available: false, pbx: 'none' });
    expect((await call(bare.h, 'POST', '/api/actions/pause', sue2, { agentId: 'alice' })).status).toBe(503);
  });

  it('admins set a user\'s extension on the Users API (validated, audited); an unknown agent is 404', async () => {
    const { h } = await floor();
    const boss = await login(h, 'boss');
    const users = (await call(h, 'GET', '/api/admin/users', boss)).body.data as { id: number; username: string; extension: string | null }[];
    const sam = users.find((u) => u.username === 'sam')!;
    expect(sam.extension).toBeNull();
    expect((await call(h, 'PATCH', `/api/admin/users/${sam.id}`, boss, { extension: 'x y' })).status).toBe(400);
    const ok = await call(h, 'PATCH', `/api/admin/users/${sam.id}`, boss, { extension: '2003' });
    expect((ok.body.data as { extension: string }).extension).toBe('2003');
    expect((await call(h, 'POST', '/api/actions/pause', boss, { agentId: 'nobody' })).status).toBe(404);
  });
});
