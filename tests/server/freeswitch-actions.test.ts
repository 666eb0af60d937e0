/**
 * Supervisor actions on FreeSWITCH (issue 19): the fake event socket receives exactly the
 * callcenter_config and bgapi originate … &eavesdrop commands and answers success and failure; a
 * refusal of the command itself makes the actions unavailable without a storm; a slow reply stays
 * matched to its own command; and over HTTP on a real server fed by the same event socket, a scoped
 * supervisor cannot pause beyond their queues and the audit shows who did what.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FsClient } from '../../server/freeswitch/esl-client.ts';
import { eavesdropVars, FsActions } from '../../server/freeswitch/actions.ts';
import type { PbxActions } from '../../server/pbx-actions.ts';
import { ccEvent, FakeEsl, FS_PASSWORD } from './fake-esl.ts';
import { closeHarnessesAfterEach, waitFor, type Harness } from './harness.ts';

const quiet = { info: () => {}, warn: () => {}, error: () => {} };
const servers = closeHarnessesAfterEach();
const B = Date.parse('2026-11-24T09:00:00Z');
const ALICE = '1000@default';
const BOB = '1001@default';
const CALLER = '8a1f7c52-3b0e-4c1d-9f6a-2d4e5b6c7d80';
const ALICE_CH = 'b7e6d5c4-1a2b-4c3d-9e8f-7a6b5c4d3e2f';

let fakes: FakeEsl[] = [];
let clients: FsClient[] = [];
afterEach(async () => {
  for (const c of clients) await c.stop();
  for (const f of fakes) await f.close();
  fakes = [];
  clients = [];
});

/** The commands a test's actions sent (the handshake, the lists and keepalives left out). */
function sent(fake: FakeEsl): string[] {
  return fake.conns.flatMap((c) => c.commands).filter((c) => /^(api callcenter_config (agent set|tier del)|bgapi )/.test(c));
}

/** A fake FreeSWITCH with alice (sales, support) and bob (support), and a connected client; alice on a live call in sales. */
async function linked(submit?: ConstructorParameters<typeof FsClient>[0]['submit'], now?: () => number) {
  const fake = await new FakeEsl().listen();
  fakes.push(fake);
  fake.agents = [
    { name: ALICE, status: 'Available' },
    { name: BOB, status: 'Available' },
  ];
  fake.tiers = [
    { queue: 'sales', agent: ALICE },
    { queue: 'support', agent: ALICE },
    { queue: 'support', agent: BOB },
  ];
  fake.onApi = (cmd) => (cmd.startsWith('api callcenter_config') ? '+OK\n' : cmd.startsWith('bgapi originate') ? '+OK Job-UUID: 0d6c6f8e-0000-4000-a000-00000000b6b6' : undefined);
  const client = new FsClient({
    host: '127.0.0.1',
    port: fake.port,
    password: FS_PASSWORD,
    backoffInitialMs: 20,
    backoffMaxMs: 80,
    pingMs: 0,
    logger: quiet,
    now,
    submit: submit ?? (async (events) => ({ accepted: events.length, duplicates: 0, rejected: [] })),
  });
  clients.push(client.start());
  await waitFor(() => client.stats.connected && client.adapter.queuesOf(BOB).length > 0, 3_000, 'login and the roster');
  const member = { 'CC-Queue': 'sales', 'CC-Member-UUID': 'm-1', 'CC-Member-Session-UUID': CALLER };
  await fake.events([
    ccEvent('member-queue-start', B + 10_000, member),
    ccEvent('agent-offering', B + 11_000, { 'CC-Agent': ALICE, ...member }),
    ccEvent('bridge-agent-start', B + 14_000, { 'CC-Agent': ALICE, 'CC-Agent-UUID': ALICE_CH, 'CC-Member-Joined-Time': String(B / 1000 + 10), 'CC-Agent-Answered-Time': String(B / 1000 + 14), ...member }),
  ]);
  await waitFor(() => client.adapter.liveCallOf(ALICE) !== undefined, 3_000, "alice's call");
  return { fake, client, actions: new FsActions(client, { actionTimeoutMs: 300 }) };
}

describe('FreeSWITCH supervisor actions', () => {
  it('pauses with the On Break status and unpauses to Available, in every queue; removes by deleting the tier', async () => {
    const { fake, actions } = await linked();
    expect(await actions.pause({ agentId: ALICE, paused: true, reason: 'coaching' })).toEqual({ ok: true, message: '+OK' });
    expect(await actions.pause({ agentId: ALICE, paused: false })).toEqual({ ok: true, message: '+OK' });
    expect(await actions.remove({ agentId: BOB, queueId: 'support' })).toEqual({ ok: true, message: '+OK' });
    expect(sent(fake)).toEqual([`api callcenter_config agent set status ${ALICE} 'On Break'`, `api callcenter_config agent set status ${ALICE} Available`, `api callcenter_config tier del support ${BOB}`]);
    expect(actions.status()).toEqual({ pbx: 'freeswitch', available: true, kinds: ['pause', 'unpause', 'remove', 'listen', 'whisper', 'barge'] });
  });

  it("pauses for a scoped supervisor only when their queues cover every queue of the agent (mod_callcenter's status is the agent's)", async () => {
    const { fake, actions } = await linked();
    expect(await actions.pause({ agentId: ALICE, paused: true, queues: ['sales'] })).toEqual({ ok: false, reason: 'refused', message: `FreeSWITCH pauses an agent in every queue at once; ${ALICE} also serves support` });
    expect(await actions.pause({ agentId: BOB, paused: true, queues: ['support'] })).toEqual({ ok: true, message: '+OK' });
    expect(await actions.pause({ agentId: 'carol@default', paused: true, queues: ['support'] })).toMatchObject({ ok: false, reason: 'refused' });
    expect(sent(fake)).toEqual([`api callcenter_config agent set status ${BOB} 'On Break'`]);
  });

  it("rings the supervisor into eavesdrop on the agent's channel: listen hears, whisper talks to the agent, barge to both; DTMF mode changes off", async () => {
    const { fake, actions } = await linked();
    for (const mode of ['listen', 'whisper', 'barge'] as const) {
      const r = await actions.spy({ agentId: ALICE, mode, extension: mode === 'barge' ? 'sofia/internal/2002@pbx.example' : '2001', supervisor: 'sue' });
      expect(r).toEqual({ ok: true, message: '+OK Job-UUID: 0d6c6f8e-0000-4000-a000-00000000b6b6' });
    }
    expect(sent(fake)).toEqual([
      `bgapi originate {eavesdrop_whisper_bleg=false,eavesdrop_whisper_aleg=false,eavesdrop_enable_dtmf=false,origination_caller_id_name='listen 1000@default',originate_timeout=30}user/2001 &eavesdrop(${ALICE_CH})`,
      `bgapi originate {eavesdrop_whisper_bleg=true,eavesdrop_whisper_aleg=false,eavesdrop_enable_dtmf=false,origination_caller_id_name='whisper 1000@default',originate_timeout=30}user/2001 &eavesdrop(${ALICE_CH})`,
      `bgapi originate {eavesdrop_whisper_bleg=true,eavesdrop_whisper_aleg=true,eavesdrop_enable_dtmf=false,origination_caller_id_name='barge 1000@default',originate_timeout=30}sofia/internal/2002@pbx.example &eavesdrop(${ALICE_CH})`,
    ]);
    // On the caller's channel (the agent's not known) the legs swap: whisper to the agent is aleg there.
    expect(eavesdropVars('whisper', 'caller')).toEqual({ eavesdrop_whisper_aleg: 'true', eavesdrop_whisper_bleg: 'false', eavesdrop_enable_dtmf: 'false' });
    expect(await actions.spy({ agentId: BOB, mode: 'listen', extension: '2001', supervisor: 'sue' })).toEqual({ ok: false, reason: 'refused', message: `agent ${BOB} is on no live queue call FreeSWITCH has shown` });
  });

  it("reports FreeSWITCH's refusal of one request, and a command refused outright makes the actions unavailable: nothing more sent until the next login", async () => {
    const { fake, client, actions } = await linked();
    fake.onApi = () => '-ERR Agent not found!\n';
    expect(await actions.pause({ agentId: ALICE, paused: true })).toEqual({ ok: false, reason: 'refused', message: 'FreeSWITCH refused callcenter_config: -ERR Agent not found!' });
    expect(actions.status().available).toBe(true);
    fake.onApi = () => undefined; // mod_callcenter unloaded: "-ERR callcenter_config Command not found!"
    expect(await actions.pause({ agentId: ALICE, paused: true })).toEqual({ ok: false, reason: 'unavailable', message: 'FreeSWITCH refused callcenter_config: -ERR callcenter_config Command not found!' });
    expect(actions.status()).toMatchObject({ available: false, reason: 'FreeSWITCH refused: -ERR callcenter_config Command not found!' });
    for (let i = 0; i < 5; i++) expect(await actions.remove({ agentId: BOB, queueId: 'support' })).toMatchObject({ ok: false, reason: 'unavailable' });
    expect(sent(fake)).toHaveLength(2);
    fake.onApi = () => '+OK\n';
    const logins = client.stats.logins;
    fake.current?.socket.destroy();
    await waitFor(() => client.stats.logins > logins && client.stats.connected, 3_000, 'the next login');
    expect(actions.status().available).toBe(true);
    expect(await actions.pause({ agentId: ALICE, paused: true })).toEqual({ ok: true, message: '+OK' });
  });

  it('times out a slow reply without mismatching the next one, and says unavailable without a link', async () => {
    const { fake, client, actions } = await linked();
    fake.apiDelayMs = 400;
    expect(await actions.remove({ agentId: BOB, queueId: 'support' })).toMatchObject({ ok: false, reason: 'timeout' });
    fake.apiDelayMs = 0;
    fake.onApi = (cmd) => (cmd.includes('agent set status') ? '-ERR Invalid Agent Status!\n' : '+OK\n');
    // The late "+OK" of the removal arrives first: it must not be taken as the pause's answer.
    expect(await new FsActions(client, { actionTimeoutMs: 2_000 }).pause({ agentId: ALICE, paused: true })).toEqual({ ok: false, reason: 'refused', message: 'FreeSWITCH refused callcenter_config: -ERR Invalid Agent Status!' });
    await client.stop();
    expect(actions.status()).toMatchObject({ available: false, reason: 'not connected to the FreeSWITCH event socket' });
    expect(await actions.pause({ agentId: ALICE, paused: true })).toEqual({ ok: false, reason: 'unavailable', message: 'not connected to the FreeSWITCH event socket' });
    expect(sent(fake)).toHaveLength(2);
  });

  it('never lets a name with a space or quote reach the command line', async () => {
    const { fake, actions } = await linked();
    expect(await actions.remove({ agentId: "x' ; api shutdown", queueId: 'support' })).toMatchObject({ ok: false, reason: 'refused' });
    expect(await actions.remove({ agentId: BOB, queueId: 'sup port' })).toMatchObject({ ok: false, reason: 'refused' });
    expect(sent(fake)).toEqual([]);
  });
});

const PASSWORD = 'actions-test-password-1';
type Body = { ok: boolean; data?: unknown; error?: string; reason?: string };

async function login(h: Harness, username: string): Promise<string> {
  const res = await fetch(`${h.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: PASSWORD }) });
  expect(res.status, `sign-in of ${username}`).toBe(200);
  return (res.headers.get('set-cookie') ?? '').split(';')[0];
}

async function call(h: Harness, method: string, p: string, cookie: string, body?: unknown): Promise<{ status: number; body: Body }> {
  const res = await fetch(`${h.url}${p}`, { method, headers: { 'content-type': 'application/json', cookie }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Body };
}

describe('FreeSWITCH supervisor actions on a real server', () => {
  it('a scoped supervisor cannot pause beyond their queues, an unscoped one pauses and barges; each action audited with pbx freeswitch', async () => {
    const pbx: { actions?: PbxActions } = {};
    const h = await servers.start({ pbxActions: () => pbx.actions });
    const link = await linked((events) => h.server.pipeline.submit(events, 'freeswitch'), h.clock.now);
    pbx.actions = link.actions;
    await waitFor(() => h.server.state().calls.get(CALLER)?.status === 'talking' && h.server.state().agents.has(BOB), 3_000, 'the floor from FreeSWITCH');
    const now = h.clock.now();
    await h.auth.createUser({ username: 'boss', password: PASSWORD, role: 'admin' }, now);
    const sue = await h.auth.createUser({ username: 'sue', password: PASSWORD, role: 'supervisor' }, now);
    h.auth.setExtension(sue.id, '2001');
    await h.auth.createUser({ username: 'sally', password: PASSWORD, role: 'supervisor', scope: { queues: ['sales'] } }, now);

    const sally = await login(h, 'sally');
    const refused = await call(h, 'POST', '/api/actions/pause', sally, { agentId: ALICE, reason: 'coaching' });
    expect(refused.status).toBe(409);
    expect(sent(link.fake)).toEqual([]);
    const sueCookie = await login(h, 'sue');
    expect((await call(h, 'POST', '/api/actions/pause', sueCookie, { agentId: ALICE, reason: 'coaching' })).status).toBe(200);
    expect((await call(h, 'POST', '/api/actions/barge', sueCookie, { agentId: ALICE })).status).toBe(200);
    expect(sent(link.fake)).toEqual([
      `api callcenter_config agent set status ${ALICE} 'On Break'`,
      `bgapi originate {eavesdrop_whisper_bleg=true,eavesdrop_whisper_aleg=true,eavesdrop_enable_dtmf=false,origination_caller_id_name='barge 1000@default',originate_timeout=30}user/2001 &eavesdrop(${ALICE_CH})`,
    ]);
    const status = await call(h, 'GET', '/api/actions/status', sueCookie);
    expect(status.body.data).toMatchObject({ pbx: 'freeswitch', available: true });
    const boss = await login(h, 'boss');
    const audit = (await call(h, 'GET', '/api/admin/audit', boss)).body.data as { actor: string; action: string; after: Record<string, unknown> }[];
    const mine = audit.filter((a) => a.action.startsWith('action.'));
    expect(mine.map((a) => [a.actor, a.action, a.after.agentId, a.after.result, a.after.pbx]).sort()).toEqual([
      ['sally', 'action.pause', ALICE, 'refused', 'freeswitch'],
      ['sue', 'action.barge', ALICE, 'ok', 'freeswitch'],
      ['sue', 'action.pause', ALICE, 'ok', 'freeswitch'],
    ]);
    // The unscoped pause asked FreeSWITCH for every queue; the audit names them as the floor knew them then.
    const served = [...(h.server.state().agents.get(ALICE)?.queues ?? [])];
    expect(served.length).toBeGreaterThan(1);
    expect(mine.find((a) => a.actor === 'sue' && a.action === 'action.pause')?.after).toMatchObject({ queues: served, allQueues: true, reason: 'coaching' });
    expect(mine.find((a) => a.actor === 'sally')?.after).toMatchObject({ queues: ['sales'] });
    expect(mine.find((a) => a.actor === 'sally')?.after.allQueues).toBeUndefined();
  });
});
