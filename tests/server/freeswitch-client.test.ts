/**
 * The FreeSWITCH Event Socket client against a fake FreeSWITCH that speaks the real wire format
 * (auth request, refused auth, command/reply, api/response, text/event-plain with URL-encoded values
 * cut across TCP packets, a disconnect mid-event and the reconcile after the reconnect), its flags,
 * and end to end into a real Floorwatch server: ring-limit and hold-long raised from FreeSWITCH
 * events, and the simulator's floor played through the event socket.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FsClient, parseFsAddress, SUBSCRIPTION, type FsClientOptions } from '../../server/freeswitch/esl-client.ts';
import { createSimulator } from '../../server/simulator.ts';
import { readOptions } from '../../server/main.ts';
import type { FloorEventInput } from '../../shared/events.ts';
import type { FloorPayload, IngestResult, Snapshot } from '../../shared/wire.ts';
import { ccEvent, channelEvent, eventPlain, FakeEsl, floorToCallcenter, FS_PASSWORD, uuidOf } from './fake-esl.ts';
import { connectLive, FakeClock, getJson, startHarness, VIEW_TOKEN, waitFor, type Harness, type Recorder } from './harness.ts';

const B = Date.parse('2026-11-24T09:00:00Z');
const S = B / 1000;
const at = (dt: number) => B + dt * 1000;
const quiet = { info: () => {}, warn: () => {}, error: () => {} };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const CALLER = '8a1f7c52-3b0e-4c1d-9f6a-2d4e5b6c7d80';
const CALLER2 = '9b2e8d63-4c1f-4d2e-8a7b-3e5f6a7b8c91';
const AGENT_CH = 'b7e6d5c4-1a2b-4c3d-9e8f-7a6b5c4d3e2f';
const Q = 'support@default';
const A1 = '1000@default';
const member = (uid = CALLER) => ({ 'CC-Queue': Q, 'CC-Member-UUID': uuidOf(`m:${uid}`), 'CC-Member-Session-UUID': uid, 'CC-Member-CID-Name': 'Jüri Õun', 'CC-Member-CID-Number': '+372 5550 100' });
const start = (dt: number, uid = CALLER) => ccEvent('member-queue-start', at(dt), { 'Unique-ID': uid, ...member(uid) });
const offer = (dt: number, uid = CALLER) => ccEvent('agent-offering', at(dt), { 'CC-Agent': A1, 'CC-Agent-Type': 'callback', ...member(uid) });
const fail = (dt: number, cause = 'NO_ANSWER') => ccEvent('bridge-agent-fail', at(dt), { 'CC-Hangup-Cause': cause, 'CC-Agent': A1, 'CC-Agent-Aborted-Time': String(S + dt), ...member() });
const bridge = (dt: number) => ccEvent('bridge-agent-start', at(dt), { 'Unique-ID': AGENT_CH, 'CC-Agent': A1, 'CC-Agent-UUID': AGENT_CH, 'CC-Agent-Answered-Time': String(S + dt), 'CC-Member-Joined-Time': String(S), ...member() });
const bridgeEnd = (dt: number) => ccEvent('bridge-agent-end', at(dt), { 'Unique-ID': AGENT_CH, 'CC-Agent': A1, 'CC-Agent-UUID': AGENT_CH, 'CC-Hangup-Cause': 'NORMAL_CLEARING', ...member() });

let fakes: FakeEsl[] = [];
let clients: FsClient[] = [];
let harnesses: Harness[] = [];
let lives: Recorder[] = [];
afterEach(async () => {
  for (const c of clients) await c.stop();
  for (const l of lives) l.socket.close();
  for (const f of fakes) await f.close();
  for (const h of harnesses) await h.close();
  fakes = [];
  clients = [];
  harnesses = [];
  lives = [];
});

async function fakeEsl(): Promise<FakeEsl> {
  const f = await new FakeEsl().listen();
  fakes.push(f);
  return f;
}

function recordingClient(fake: FakeEsl, opts: Partial<FsClientOptions> = {}) {
  const submitted: FloorEventInput[] = [];
  const warnings: string[] = [];
  const infos: string[] = [];
  const client = new FsClient({
    host: '127.0.0.1',
    port: fake.port,
    password: FS_PASSWORD,
    backoffInitialMs: 20,
    backoffMaxMs: 160,
    retryMs: 20,
    pingMs: 0,
    now: () => B,
    logger: { ...quiet, warn: (m: string) => warnings.push(m), info: (m: string) => infos.push(m) },
    submit: async (events): Promise<IngestResult> => {
      submitted.push(...events);
      return { accepted: events.length, duplicates: 0, rejected: [] };
    },
    ...opts,
  });
  clients.push(client);
  return { client: client.start(), submitted, warnings, infos, types: () => submitted.map((e) => e.type) };
}

describe('FreeSWITCH client', () => {
  it('answers the auth request with the password, subscribes with CUSTOM callcenter::info last, then asks the queue members and the channels', async () => {
    const fake = await fakeEsl();
    const { client } = recordingClient(fake);
    await waitFor(() => fake.conns[0]?.commands.length >= 6, 2000, 'the handshake and the lists');
    expect(fake.conns[0].commands).toEqual([
      `auth ${FS_PASSWORD}`,
      SUBSCRIPTION,
      'api callcenter_config queue list members',
      'api show channels as json',
      'api callcenter_config agent list',
      'api callcenter_config tier list',
    ]);
    expect(SUBSCRIPTION).toBe('event plain CHANNEL_ANSWER CHANNEL_HOLD CHANNEL_UNHOLD CHANNEL_HANGUP_COMPLETE CUSTOM callcenter::info');
    await waitFor(() => client.stats.reconciles === 1, 2000, 'the reconcile');
    expect(client.stats).toMatchObject({ connected: true, state: 'connected', logins: 1, target: `127.0.0.1:${fake.port}` });
  });

  it('maps events cut across TCP packets mid-name, inside a URL escape, inside the Content-Length digits and between the blank lines, each once and in order', async () => {
    const fake = await fakeEsl();
    const { client, submitted, types } = recordingClient(fake);
    await waitFor(() => client.stats.reconciles === 1, 2000, 'login');
    const wire = [start(0), offer(2), bridge(9)].map(eventPlain).join('');
    const second = wire.indexOf('Content-Length', 10);
    expect(wire.indexOf('%C3%BC')).toBeGreaterThan(0);
    const cuts = [3, wire.indexOf('%C3%BC') + 2, second + 'Content-Length: '.length + 1, wire.indexOf('\n\n', second) + 1, wire.indexOf('CC-Agent-UUID') + 4, wire.length - 1];
    await fake.send(wire, cuts);
    await waitFor(() => types().includes('call.answered'), 2000, 'the burst');
    expect(submitted.map(({ id: _id, ...e }) => e)).toEqual([
      { type: 'call.queued', at: at(0), callId: CALLER, queueId: Q, caller: '+372 5550 100' },
      { type: 'agent.state', at: at(2), agentId: A1, state: 'available', queues: [Q] },
      { type: 'call.ringing', at: at(2), callId: CALLER, agentId: A1 },
      { type: 'call.answered', at: at(9), callId: CALLER, agentId: A1, waitSec: 9 },
    ]);
    expect(client.stats).toMatchObject({ damaged: 0, pending: 0, messages: 10 }); // the auth request, two command replies, four api answers, three events
    expect(client.stats.lastEventAtMs).toBe(B);
  });

  it('says once that auth was refused, never shows the password, keeps trying with growing pauses, and connects when it is fixed', async () => {
    const fake = await fakeEsl();
    fake.password = 'changed-on-the-pbx';
    const { client, warnings, infos } = recordingClient(fake);
    await waitFor(() => client.stats.authFailures >= 4, 3000, 'several refused attempts');
    expect(client.stats).toMatchObject({ connected: false, state: 'auth refused' });
    expect(warnings.filter((w) => w.includes('auth refused'))).toHaveLength(1);
    expect(warnings.find((w) => w.includes('auth refused'))).toBe(`FreeSWITCH 127.0.0.1:${fake.port}: auth refused (-ERR invalid); check FLOORWATCH_FS_PASSWORD against event_socket.conf.xml; retrying`);
    expect(JSON.stringify(client.stats)).not.toContain(FS_PASSWORD);
    // Pauses of 20, 40, 80 ms: timers are late, never early, so the third gap is at least 80 ms however loaded the machine.
    const gaps = fake.acceptedAt.slice(1).map((t, i) => t - fake.acceptedAt[i]);
    expect(gaps[2]).toBeGreaterThanOrEqual(79);
    fake.password = FS_PASSWORD;
    await waitFor(() => client.stats.connected, 3000, 'auth with the right password');
    expect(client.stats.state).toBe('connected');
    expect([...warnings, ...infos].some((l) => l.includes(FS_PASSWORD))).toBe(false);
  });

  it('reports a PBX that refuses connections as unreachable and dials again', async () => {
    const fake = await fakeEsl();
    const port = fake.port;
    await fake.close();
    fakes = [];
    const { client, warnings } = recordingClient(fake, { port });
    await waitFor(() => client.stats.connects >= 3, 3000, 'several attempts');
    expect(client.stats.state).toBe('unreachable');
    expect(warnings).toEqual([`FreeSWITCH 127.0.0.1:${port}: connection refused`]);
  });

  it('shows unreachable, not auth refused, when a PBX that refused the password then stops taking connections', async () => {
    const fake = await fakeEsl();
    fake.password = 'changed-on-the-pbx';
    const { client } = recordingClient(fake);
    await waitFor(() => client.stats.authFailures >= 1, 3000, 'a refused auth');
    expect(client.stats.state).toBe('auth refused');
    await fake.close();
    fakes = [];
    const before = client.stats.connects;
    await waitFor(() => client.stats.connects >= before + 2, 3000, 'attempts at a closed port');
    expect(client.stats).toMatchObject({ connected: false, state: 'unreachable', lastError: `FreeSWITCH 127.0.0.1:${fake.port}: connection refused` });
  });

  it('drops half an event when the link dies in it, and after the reconnect takes the answer it missed from the queue list', async () => {
    const fake = await fakeEsl();
    const { client, submitted } = recordingClient(fake);
    await waitFor(() => client.stats.reconciles === 1, 2000, 'login');
    const half = eventPlain(offer(2));
    await fake.send(eventPlain(start(0)) + half.slice(0, half.length - 30));
    await waitFor(() => submitted.length === 1, 2000, 'the whole event');
    // While the link is down the agent answers: mod_callcenter lists the member Answered by its agent.
    fake.members = [{ queue: Q, uuid: uuidOf(`m:${CALLER}`), session: CALLER, cidNumber: '5550100', joined: S, bridge: S + 11, agent: A1, state: 'Answered' }];
    fake.channels = [CALLER, AGENT_CH];
    fake.current?.socket.destroy();
    await waitFor(() => client.stats.logins === 2 && client.stats.reconciles === 2, 3000, 'the reconnect and its reconcile');
    await waitFor(() => submitted.some((e) => e.type === 'call.answered'), 2000, 'the answer');
    expect(submitted.slice(1).map(({ id: _id, ...e }) => e)).toEqual([{ type: 'call.answered', at: at(11), callId: CALLER, agentId: A1, waitSec: 11 }]);
    expect(client.stats.disconnects).toBe(1);
    // The call goes on: a hold on the agent's channel (its bridge event was missed) is found through its bridged peer.
    await fake.events([channelEvent('CHANNEL_HOLD', at(20), AGENT_CH, { 'Other-Leg-Unique-ID': CALLER })]);
    await waitFor(() => submitted.some((e) => e.type === 'call.hold'), 2000, 'the hold');
  });

  it('closes as lost, after a reconnect, a waiting caller no longer listed and an answered call whose channel is gone, at the last event seen', async () => {
    const fake = await fakeEsl();
    const { client, submitted } = recordingClient(fake);
    await waitFor(() => client.stats.reconciles === 1, 2000, 'login');
    await fake.events([start(0), start(3, CALLER2), offer(4), bridge(8)]);
    await waitFor(() => submitted.some((e) => e.type === 'call.answered'), 2000, 'the calls');
    fake.members = [];
    fake.channels = [];
    fake.current?.socket.destroy();
    await waitFor(() => submitted.filter((e) => e.type === 'call.lost').length === 2, 3000, 'both closed');
    expect(submitted.filter((e) => e.type === 'call.lost').map((e) => [e.callId, e.at, (e as { reason?: string }).reason])).toEqual([
      [CALLER, at(8), 'caller channel gone after a FreeSWITCH reconnect'],
      [CALLER2, at(8), 'caller no longer in its queue after a FreeSWITCH reconnect'],
    ]);
    expect(client.adapter.openCalls()).toEqual([]);
  });

  it('takes in, at the first connect, callers already waiting in mod_callcenter and the agents with their status and queues, and tolerates a FreeSWITCH without mod_callcenter', async () => {
    const fake = await fakeEsl();
    fake.members = [{ queue: Q, uuid: 'm-7', session: CALLER2, cidNumber: '5550177', joined: S - 30, state: 'Waiting' }];
    fake.channels = [CALLER2];
    fake.agents = [
      { name: A1, status: 'Available' },
      { name: '1001@default', status: 'On Break' },
      { name: '1002@default', status: 'Logged Out' },
      { name: '1003@default', status: 'Available (On Demand)', state: 'Idle' },
    ];
    fake.tiers = [
      { queue: Q, agent: A1 },
      { queue: 'sales@default', agent: A1 },
      { queue: Q, agent: '1001@default' },
    ];
    const { client, submitted } = recordingClient(fake);
    await waitFor(() => submitted.length === 5, 2000, 'the waiting caller and the agents');
    expect(submitted.map(({ id: _id, ...e }) => e)).toEqual([
      { type: 'call.queued', at: at(-30), callId: CALLER2, queueId: Q, caller: '5550177' },
      { type: 'agent.state', at: B, agentId: A1, state: 'available', queues: [Q, 'sales@default'] },
      { type: 'agent.state', at: B, agentId: '1001@default', state: 'away', reason: 'on break', queues: [Q] },
      { type: 'agent.state', at: B, agentId: '1002@default', state: 'offline' },
      { type: 'agent.state', at: B, agentId: '1003@default', state: 'away', reason: 'idle' },
    ]);
    expect(client.adapter.queuesOf(A1)).toEqual([Q, 'sales@default']);
    expect(client.adapter.openCalls().map((c) => c.status)).toEqual(['waiting']);

    const bare = await fakeEsl();
    bare.noCallcenter = true;
    const other = recordingClient(bare);
    await waitFor(() => other.warnings.some((w) => w.includes('is mod_callcenter loaded?')), 2000, 'the warning');
    expect(other.client.stats).toMatchObject({ connected: true, reconciles: 0 });
  });

  it('drops a link that stops answering its keepalive, and dials again', async () => {
    const fake = await fakeEsl();
    fake.answerPings = false;
    const { client, warnings } = recordingClient(fake, { pingMs: 40 });
    await waitFor(() => client.stats.logins >= 2, 3000, 'a second login after the silent link');
    expect(warnings.some((w) => w.includes('no answer to a keepalive'))).toBe(true);
  });

  it('says exit and closes on stop, and does not dial again', async () => {
    const fake = await fakeEsl();
    const { client } = recordingClient(fake);
    await waitFor(() => client.stats.connected, 2000, 'login');
    await client.stop();
    expect(fake.conns[0].commands).toContain('exit');
    await sleep(100);
    expect(fake.acceptedAt).toHaveLength(1);
    expect(client.stats).toMatchObject({ connected: false, state: 'stopped' });
  });
});

describe('FreeSWITCH settings', () => {
  it('reads --freeswitch HOST:PORT, the password only from FLOORWATCH_FS_PASSWORD, and turns the simulator off', () => {
    const o = readOptions(['--freeswitch', '10.0.0.7:8021'], { FLOORWATCH_FS_PASSWORD: 'pw' });
    expect(o.freeswitch).toEqual({ host: '10.0.0.7', port: 8021, password: 'pw' });
    expect(o.simulator).toBe(false);
    expect(readOptions([], { FLOORWATCH_FREESWITCH: '[::1]:9021', FLOORWATCH_FS_PASSWORD: 'pw' }).freeswitch).toEqual({ host: '::1', port: 9021, password: 'pw' });
    expect(readOptions(['--freeswitch=pbx', '--simulator', 'on'], { FLOORWATCH_FS_PASSWORD: 'pw' }).simulator).toBe(true);
    expect(() => readOptions(['--freeswitch', 'pbx'], {})).toThrow(/FLOORWATCH_FS_PASSWORD/);
    expect(() => readOptions(['--freeswitch', 'pbx', '--fs-password', 'pw'], { FLOORWATCH_FS_PASSWORD: 'pw' })).toThrow(/--fs-password: not accepted as a flag/);
    expect(readOptions([], {}).freeswitch).toBeUndefined();
    expect(parseFsAddress('pbx')).toEqual({ host: 'pbx', port: 8021 });
    expect(() => parseFsAddress('pbx:0')).toThrow(/1\.\.65535/);
  });
});

describe('FreeSWITCH on a real server', () => {
  it('raises ring-limit from a long offering and hold-long from a long hold, and shows the input under sources in /api/health', async () => {
    const input: { client?: FsClient } = {};
    const h = await startHarness({ clock: new FakeClock(B), sources: () => ({ freeswitch: input.client?.stats }) });
    harnesses.push(h);
    const fake = await fakeEsl();
    const client = (input.client = new FsClient({ host: '127.0.0.1', port: fake.port, password: FS_PASSWORD, pingMs: 0, logger: quiet, now: () => h.clock.now(), submit: (events) => h.server.pipeline.submit(events, 'freeswitch') }));
    clients.push(client.start());
    await waitFor(() => client.stats.reconciles === 1, 2000, 'login');
    const live = connectLive(h, { scope: 'floor', token: VIEW_TOKEN });
    lives.push(live);
    await live.firstSnapshot;

    // The server's clock moves with FreeSWITCH's: each burst is sent when its last event happens.
    h.clock.t = at(32);
    await fake.events([start(0), offer(2), fail(32)], [50]);
    h.clock.t = at(40);
    await fake.events([offer(38), bridge(40)]);
    await waitFor(() => h.server.state().calls.get(CALLER)?.status === 'talking', 2000, 'the answered call');
    h.clock.t = at(160);
    await fake.events([channelEvent('CHANNEL_HOLD', at(50), AGENT_CH), channelEvent('CHANNEL_UNHOLD', at(160), AGENT_CH)]);
    h.clock.t = at(200);
    await fake.events([channelEvent('CHANNEL_HANGUP_COMPLETE', at(200), AGENT_CH), bridgeEnd(200), ccEvent('member-queue-end', at(200), { 'CC-Cause': 'Terminated', ...member() })]);
    await waitFor(() => h.server.state().calls.get(CALLER)?.status === 'ended', 3000, 'the call to end');
    await waitFor(() => client.stats.pending === 0, 2000, 'all submitted');
    expect(client.stats.rejected).toBe(0);

    const fresh = await new Promise<Snapshot>((resolve, reject) => live.socket.emit('live:resync', (r) => (r.ok ? resolve(r.data) : reject(new Error(r.error)))));
    const alerts = (fresh as Snapshot<FloorPayload>).payload.alerts.filter((x) => x.callId === CALLER);
    expect(alerts.find((x) => x.ruleId === 'ring-limit' && x.level === 'breach')).toMatchObject({ agentId: A1 });
    expect(alerts.find((x) => x.ruleId === 'hold-long' && x.level === 'breach')).toMatchObject({ agentId: A1, value: 110 });
    expect(alerts.some((x) => x.ruleId === 'hold-permission')).toBe(false);
    expect(h.server.state().calls.get(CALLER)).toMatchObject({ holdCount: 1 });

    const health = await getJson(h, '/api/health');
    expect(health.body.data).toMatchObject({ sources: { freeswitch: { connected: true, state: 'connected', target: `127.0.0.1:${fake.port}`, events: client.stats.events, damaged: 0, lastEventAtMs: at(200) } } });
    expect(JSON.stringify(health.body)).not.toContain(FS_PASSWORD);
  });

  it("stands in the simulator's floor for a FreeSWITCH floor: played through the event socket, the server ends with the simulator's answers and abandons", async () => {
    const sim: FloorEventInput[] = [];
    const s = createSimulator({ seed: 5, agents: 8, emit: (e) => void sim.push(...e) }, B);
    for (let t = B; t <= B + 30 * 60_000; t += 1000) s.step(t);
    const fsEvents = floorToCallcenter(sim);
    const h = await startHarness({ clock: new FakeClock(B + 30 * 60_000) });
    harnesses.push(h);
    const fake = await fakeEsl();
    const client = new FsClient({ host: '127.0.0.1', port: fake.port, password: FS_PASSWORD, pingMs: 0, logger: quiet, now: () => h.clock.now(), submit: (events) => h.server.pipeline.submit(events, 'freeswitch') });
    clients.push(client.start());
    await waitFor(() => client.stats.reconciles === 1, 2000, 'login');
    const wire = fsEvents.map(eventPlain).join('');
    // In packets of 1400 bytes, as a busy socket delivers them: cut wherever that falls.
    const cuts: number[] = [];
    for (let c = 1400; c < wire.length; c += 1400) cuts.push(c);
    await fake.send(wire, cuts);
    await waitFor(() => client.stats.messages >= fsEvents.length && client.stats.pending === 0, 5000, 'the floor played');
    expect(client.stats).toMatchObject({ damaged: 0, rejected: 0 });

    const transferred = new Set(sim.filter((e) => e.type === 'call.transferred').map((e) => (e as { callId: string }).callId));
    const outcome = (type: string) => sim.filter((e) => e.type === type && !transferred.has((e as { callId: string }).callId)).map((e) => uuidOf((e as { callId: string }).callId)).sort();
    const state = h.server.state();
    const byStatus = (status: string) => [...state.calls.values()].filter((c) => c.status === status).map((c) => c.callId).sort();
    expect(outcome('call.abandoned').length).toBeGreaterThan(0);
    expect(byStatus('abandoned')).toEqual(outcome('call.abandoned'));
    expect(byStatus('ended')).toEqual(outcome('call.ended'));
  });
});
