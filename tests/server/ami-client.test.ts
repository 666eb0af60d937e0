/**
 * The AMI client against a fake Asterisk that speaks the real wire format
 * (banner, responses with ActionID, events in bursts cut across TCP packets,
 * login failure, a disconnect in the middle of an event), and end to end into
 * a real Floorwatch server.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AmiClient, parseAmiAddress, type AmiClientOptions } from '../../server/ami/client.ts';
import { readOptions } from '../../server/main.ts';
import type { FloorEventInput } from '../../shared/events.ts';
import type { FloorPayload, IngestResult, Snapshot } from '../../shared/wire.ts';
import { connectLive, FakeClock, getJson, startHarness, VIEW_TOKEN, waitFor, type Harness, type Recorder } from './harness.ts';
import { AGENT, B, CALLER, called, complete, connect, FakeAmi, hold, join, quiet, SECRET, sleep, USER, wire } from './fake-ami-feed.ts';

let fakes: FakeAmi[] = [];
let clients: AmiClient[] = [];
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

async function fakeAmi(): Promise<FakeAmi> {
  const f = await new FakeAmi().listen();
  fakes.push(f);
  return f;
}

/** A client whose submissions are recorded (and can be made to fail). */
function recordingClient(fake: FakeAmi, opts: Partial<AmiClientOptions> & { failFirst?: number } = {}) {
  const submitted: FloorEventInput[] = [];
  const warnings: string[] = [];
  let failures = opts.failFirst ?? 0;
  const client = new AmiClient({
    host: '127.0.0.1',
    port: fake.port,
    username: USER,
    secret: SECRET,
    backoffInitialMs: 20,
    backoffMaxMs: 160,
    retryMs: 20,
    pingMs: 0,
    now: () => B * 1000,
    logger: { ...quiet, warn: (m: string) => warnings.push(m) },
    submit: async (events): Promise<IngestResult> => {
      if (failures > 0) {
        failures--;
        throw new Error('event log unavailable');
      }
      submitted.push(...events);
      return { accepted: events.length, duplicates: 0, rejected: [] };
    },
    ...opts,
  });
  clients.push(client);
  return { client: client.start(), submitted, warnings, types: () => submitted.map((e) => e.type) };
}

describe('AMI client', () => {
  it('reads the banner and logs in with Username, Secret, Events: on and an ActionID', async () => {
    const fake = await fakeAmi();
    const { client } = recordingClient(fake);
    await waitFor(() => client.stats.connected, 2000, 'login');
    const login = fake.conns[0].actions[0];
    expect(login.get('Action')).toBe('Login');
    expect(login.get('Username')).toBe(USER);
    expect(login.get('Secret')).toBe(SECRET);
    expect(login.get('Events')).toBe('on');
    expect(login.get('ActionID')).toMatch(/^floorwatch-\d+$/);
    expect(client.stats.banner).toBe('Asterisk Call Manager/5.0.1');
    // After the login: what the floor looks like now.
    await waitFor(() => fake.conns[0].actions.length >= 2, 2000, 'QueueStatus');
    expect(fake.conns[0].actions[1].get('Action')).toBe('QueueStatus');
  });

  it('maps an event burst cut mid-key, mid-value and between \\r and \\n across TCP packets, each event once and in order', async () => {
    const fake = await fakeAmi();
    const { client, submitted, types } = recordingClient(fake);
    await waitFor(() => client.stats.connected, 2000, 'login');
    const burst = join(0) + called(5) + connect(10);
    const cuts = [3, burst.indexOf('Uniq') + 2, burst.indexOf('AgentCalled') + 5, burst.indexOf('\r\n\r\n', 200) + 1, burst.indexOf('HoldTime') + 9, burst.length - 1];
    await fake.send(burst, cuts);
    await waitFor(() => types().includes('call.answered'), 2000, 'the burst');
    expect(types()).toEqual(['call.queued', 'agent.state', 'call.ringing', 'call.answered']);
    expect(submitted[0]).toMatchObject({ callId: '1795510800.1', at: B * 1000, caller: '5550100' });
    expect(client.stats).toMatchObject({ damagedLines: 0, pending: 0 });
  });

  it('maps a talk-detection burst on the caller and the agent channels, cut across TCP packets, to call.talking of the call with each party; a stranger channel skipped', async () => {
    const fake = await fakeAmi();
    const { client, submitted } = recordingClient(fake);
    await waitFor(() => client.stats.connected, 2000, 'login');
    const agentCh = { Channel: AGENT.DestChannel, Uniqueid: AGENT.DestUniqueid, Linkedid: CALLER.Linkedid };
    const callerCh = { Channel: CALLER.Channel, Uniqueid: CALLER.Uniqueid, Linkedid: CALLER.Linkedid };
    const stranger = { Channel: 'PJSIP/2002-00000077', Uniqueid: '1795510900.77', Linkedid: '1795510900.77' };
    const burst =
      join(0) +
      called(5) +
      connect(10) +
      wire('ChannelTalkingStart', 11, agentCh) +
      wire('ChannelTalkingStart', 12, stranger) +
      wire('ChannelTalkingStop', 16.5, { ...agentCh, Duration: 3000 }) +
      wire('ChannelTalkingStart', 17, callerCh) +
      wire('ChannelTalkingStop', 21, { ...callerCh, Duration: 1500 });
    const talk = burst.indexOf('ChannelTalkingStart');
    const cuts = [talk + 7, burst.indexOf('Uniqueid', talk) + 3, burst.indexOf('Duration') + 10, burst.lastIndexOf('ChannelTalkingStop') - 1, burst.length - 3];
    await fake.send(burst, cuts);
    await waitFor(() => submitted.filter((e) => e.type === 'call.talking').length >= 4, 2000, 'the talk burst');
    const talking = submitted.filter((e) => e.type === 'call.talking').map(({ id: _id, ...e }) => e);
    expect(talking).toEqual([
      { type: 'call.talking', at: (B + 11) * 1000, callId: CALLER.Uniqueid, party: 'agent', talking: true },
      { type: 'call.talking', at: (B + 14) * 1000, callId: CALLER.Uniqueid, party: 'agent', talking: false },
      { type: 'call.talking', at: (B + 17) * 1000, callId: CALLER.Uniqueid, party: 'caller', talking: true },
      { type: 'call.talking', at: (B + 18.5) * 1000, callId: CALLER.Uniqueid, party: 'caller', talking: false },
    ]);
    expect(client.stats).toMatchObject({ damagedLines: 0, pending: 0 });
    expect(client.adapter.skippedBy.get('talking on a channel of no queue call')).toBe(1);
  });

  it('says once that the login was refused, keeps trying with growing pauses, and logs in when the secret is fixed', async () => {
    const fake = await fakeAmi();
    fake.secret = 'changed-on-the-pbx';
    const { client, warnings } = recordingClient(fake);
    await waitFor(() => client.stats.loginFailures >= 4, 3000, 'several refused logins');
    expect(client.stats.connected).toBe(false);
    expect(warnings.filter((w) => w.includes('Authentication failed'))).toHaveLength(1);
    expect(warnings[0]).toMatch(/login as "floorwatch" refused: Authentication failed/);
    const gaps = fake.acceptedAt.slice(1).map((t, i) => t - fake.acceptedAt[i]);
    expect(gaps[2]).toBeGreaterThan(gaps[0]);
    fake.secret = SECRET;
    await waitFor(() => client.stats.connected, 3000, 'login with the right secret');
  });

  it('dials again with doubling pauses up to the cap while nothing answers, and quickly after a good session ends', async () => {
    const fake = await fakeAmi();
    fake.slam = true;
    // Pauses long enough that a loaded machine's late timers cannot blur them: 50, 100, 200, 400, 400, 400 ms.
    const { client } = recordingClient(fake, { backoffInitialMs: 50, backoffMaxMs: 400 });
    await waitFor(() => fake.acceptedAt.length >= 7, 8000, 'seven attempts');
    const gaps = fake.acceptedAt.slice(1).map((t, i) => t - fake.acceptedAt[i]);
    // Timers are late, never early.
    expect(gaps[0]).toBeGreaterThanOrEqual(49);
    expect(gaps[2]).toBeGreaterThanOrEqual(198);
    expect(gaps[3]).toBeGreaterThanOrEqual(398);
    expect(Math.max(...gaps)).toBeLessThan(400 + 250); // capped, not doubling on
    fake.slam = false;
    await waitFor(() => client.stats.connected, 2000, 'login');
    const before = fake.acceptedAt.length;
    fake.current?.socket.destroy();
    const lostAt = Date.now();
    await waitFor(() => fake.acceptedAt.length > before, 2000, 'a new attempt');
    expect(fake.acceptedAt[before] - lostAt).toBeLessThan(300); // back to the first pause (50 ms), not the cap (400 ms)
    await waitFor(() => client.stats.connected, 2000, 'login again');
    expect(client.stats.disconnects).toBe(1);
  });

  it('drops half an event when the link dies in it, and loses nothing nor doubles anything after the reconnect', async () => {
    const fake = await fakeAmi();
    const { client, submitted } = recordingClient(fake);
    await waitFor(() => client.stats.connected, 2000, 'login');
    fake.liveChannels = [CALLER.Uniqueid]; // the call is still there after the reconnect
    fake.queueEntries = [{ uid: CALLER.Uniqueid, waitSec: 1 }]; // and still waiting in its queue
    const second = called(5);
    await fake.send(join(0) + second.slice(0, 60));
    await waitFor(() => submitted.length === 1, 2000, 'the whole event');
    fake.current?.socket.destroy();
    await waitFor(() => client.stats.connected && client.stats.logins === 2, 3000, 'the reconnect');
    // A real Asterisk does not repeat events; this one repeats the first, and sends the cut one whole.
    await fake.send(join(0) + second + connect(10));
    await waitFor(() => submitted.some((e) => e.type === 'call.answered'), 2000, 'the events after the reconnect');
    const ids = submitted.map((e) => e.id);
    expect(submitted.map((e) => e.type)).toEqual(['call.queued', 'agent.state', 'call.ringing', 'call.answered']);
    expect(new Set(ids).size).toBe(ids.length);
    expect(client.stats.messages).toBeGreaterThan(0);
    expect(client.adapter.stats.skipped).toBeGreaterThanOrEqual(1); // the repeated QueueCallerJoin
  });

  it('submits again until the pipeline accepts, in order, losing nothing', async () => {
    const fake = await fakeAmi();
    const { client, types, warnings } = recordingClient(fake, { failFirst: 3 });
    await waitFor(() => client.stats.connected, 2000, 'login');
    await fake.send(join(0) + called(5) + connect(10));
    await waitFor(() => types().length === 4, 3000, 'the retried submission');
    expect(types()).toEqual(['call.queued', 'agent.state', 'call.ringing', 'call.answered']);
    expect(warnings.filter((w) => w.includes('submitting events failed'))).toHaveLength(1);
  });

  it('drops a link that stops answering its keepalive, and dials again', async () => {
    const fake = await fakeAmi();
    fake.answerPings = false;
    const { client, warnings } = recordingClient(fake, { pingMs: 40 });
    await waitFor(() => client.stats.logins >= 2, 3000, 'a second login after the silent link');
    expect(warnings.some((w) => w.includes('no answer to a keepalive'))).toBe(true);
  });

  it('closes as lost, after a reconnect, a call whose caller channel vanished while the link was down, at the last event seen', async () => {
    const fake = await fakeAmi();
    const { client, submitted } = recordingClient(fake);
    await waitFor(() => client.stats.connected, 2000, 'login');
    await fake.send(join(0) + join(1, '1795510801.9') + called(5) + connect(10));
    await waitFor(() => submitted.some((e) => e.type === 'call.answered'), 2000, 'the calls');
    fake.liveChannels = ['1795510801.9']; // the answered call hung up while we were away
    fake.queueEntries = [{ uid: '1795510801.9', waitSec: 60 }];
    fake.current?.socket.destroy();
    await waitFor(() => submitted.some((e) => e.type === 'call.lost'), 3000, 'the vanished call closed');
    expect(submitted.filter((e) => e.type === 'call.lost').map((e) => [e.callId, e.at])).toEqual([['1795510800.1', (B + 10) * 1000]]);
    expect(submitted.some((e) => e.type === 'call.ended' || e.type === 'call.abandoned')).toBe(false);
    expect(client.adapter.openCalls().map((c) => c.uid)).toEqual(['1795510801.9']);
  });

  it('closes as lost, after a reconnect, a caller QueueStatus no longer lists, and takes its AgentComplete later as the answer on the same call id', async () => {
    // The example: joined 09:00:00; the link drops; answered 09:00:10 while nobody listens;
    // on the reconnect at 09:01 QueueStatus lists nobody waiting and the member in a call.
    let nowMs = (B - 5) * 1000; // logged in (FullyBooted seen) before the caller joined
    const fake = await fakeAmi();
    const { client, submitted } = recordingClient(fake, { now: () => nowMs });
    await waitFor(() => client.stats.connected, 2000, 'login');
    await fake.send(join(0));
    await waitFor(() => submitted.length === 1, 2000, 'the join');
    fake.liveChannels = [CALLER.Uniqueid]; // the caller is still on the line: talking to the member
    fake.queueMembers = [{ name: 'PJSIP/1001', inCall: true }];
    nowMs = (B + 60) * 1000;
    fake.current?.socket.destroy();
    await waitFor(() => submitted.some((e) => e.type === 'call.lost'), 3000, 'the caller closed as lost');
    await sleep(50);
    expect(submitted.filter((e) => 'callId' in e).map(({ id: _id, ...e }) => e)).toEqual([
      { type: 'call.queued', at: B * 1000, callId: CALLER.Uniqueid, queueId: 'sales', caller: '5550100' },
      { type: 'call.lost', at: B * 1000, callId: CALLER.Uniqueid, reason: 'caller no longer in its queue after an AMI reconnect' },
    ]);
    // AgentComplete at 09:03:10: waited 10 s, talked 180 s: the answer was at 09:00:10.
    await fake.send(wire('AgentComplete', 190, { ...CALLER, ...AGENT, Queue: 'sales', HoldTime: 10, TalkTime: 180, Reason: 'caller' }));
    await waitFor(() => submitted.some((e) => e.type === 'call.ended'), 2000, 'the completion');
    expect(submitted.slice(-2).map(({ id: _id, ...e }) => e)).toEqual([
      { type: 'call.answered', at: (B + 10) * 1000, callId: CALLER.Uniqueid, agentId: 'PJSIP/1001' },
      { type: 'call.ended', at: (B + 190) * 1000, callId: CALLER.Uniqueid, by: 'caller' },
    ]);
  });

  it('keeps, after a reconnect, the waiting caller QueueStatus still lists and closes as lost the one it does not', async () => {
    const fake = await fakeAmi();
    const { client, submitted } = recordingClient(fake);
    await waitFor(() => client.stats.connected, 2000, 'login');
    await fake.send(join(0) + join(3, '1795510803.7'));
    await waitFor(() => submitted.length === 2, 2000, 'the joins');
    fake.liveChannels = [CALLER.Uniqueid, '1795510803.7'];
    fake.queueEntries = [{ uid: '1795510803.7', waitSec: 57 }];
    fake.current?.socket.destroy();
    await waitFor(() => submitted.some((e) => e.type === 'call.lost'), 3000, 'the caller no longer listed');
    await sleep(50);
    expect(submitted.filter((e) => e.type === 'call.lost').map((e) => [e.callId, e.at])).toEqual([[CALLER.Uniqueid, (B + 3) * 1000]]);
    expect(submitted.filter((e) => e.type === 'call.queued')).toHaveLength(2); // the listed caller is not offered again
    expect(client.adapter.openCalls().map((c) => [c.uid, c.status])).toEqual([['1795510803.7', 'waiting']]);
  });

  it('logs off and closes on stop, and does not dial again', async () => {
    const fake = await fakeAmi();
    const { client } = recordingClient(fake);
    await waitFor(() => client.stats.connected, 2000, 'login');
    await client.stop();
    expect(fake.conns[0].actions.map((a) => a.get('Action'))).toContain('Logoff');
    await sleep(100);
    expect(fake.acceptedAt).toHaveLength(1);
    expect(client.stats.connected).toBe(false);
  });
});

describe('AMI settings', () => {
  it('reads --ami HOST:PORT, the user from --ami-user and the secret only from the environment, and turns the simulator off', () => {
    const o = readOptions(['--ami', '10.0.0.5:5038', '--ami-user', 'fw'], { FLOORWATCH_AMI_SECRET: 'x' });
    expect(o.ami).toEqual({ host: '10.0.0.5', port: 5038, username: 'fw', secret: 'x' });
    expect(o.simulator).toBe(false);
    expect(readOptions(['--ami', 'pbx', '--simulator', 'on'], { FLOORWATCH_AMI_SECRET: 'x' }).simulator).toBe(true);
    expect(readOptions([], { FLOORWATCH_AMI: '[::1]:6000', FLOORWATCH_AMI_USER: 'u', FLOORWATCH_AMI_SECRET: 'x' }).ami).toMatchObject({ host: '::1', port: 6000, username: 'u' });
    expect(() => readOptions(['--ami', 'pbx:5038'], {})).toThrow(/FLOORWATCH_AMI_SECRET/);
    expect(() => readOptions(['--ami', 'pbx', '--ami-secret', 'x'], { FLOORWATCH_AMI_SECRET: 'x' })).toThrow(/not accepted as a flag/);
    expect(() => parseAmiAddress('pbx:99999')).toThrow(/1\.\.65535/);
    expect(parseAmiAddress('pbx')).toEqual({ host: 'pbx', port: 5038 });
  });
});

describe('AMI on a real server', () => {
  it('raises hold-long and hold-repeat on the floor from AMI holds, never hold-permission; two nodes on one Asterisk store each event once', async () => {
    const nodes: AmiClient[] = [];
    const h = await startHarness({ clock: new FakeClock(B * 1000), sources: () => ({ ami: nodes[0]?.stats }) });
    harnesses.push(h);
    const fake = await fakeAmi();
    // Two Floorwatch nodes listening to the same Asterisk, writing to one log.
    const node = () => {
      const c = new AmiClient({ host: '127.0.0.1', port: fake.port, username: USER, secret: SECRET, pingMs: 0, logger: quiet, now: () => h.clock.now(), submit: (events) => h.server.pipeline.submit(events) });
      clients.push(c.start());
      nodes.push(c);
      return c;
    };
    const a = node();
    const b = node();
    await waitFor(() => a.stats.connected && b.stats.connected, 2000, 'both logins');
    const live = connectLive(h, { scope: 'floor', token: VIEW_TOKEN });
    lives.push(live);
    await live.firstSnapshot;

    // The server's clock moves with Asterisk's: each burst is sent when its last event happens.
    h.clock.t = (B + 10) * 1000;
    await fake.send(join(0) + called(5) + connect(10), [40, 500]);
    await waitFor(() => live.deltas.some((d) => d.calls?.some((c) => c.callId === '1795510800.1' && c.status === 'talking')), 2000, 'the answered call on the floor');
    h.clock.t = (B + 60) * 1000;
    await fake.send(hold('Hold', 20) + hold('Unhold', 40) + hold('Hold', 60), [17]);
    h.clock.t = (B + 200) * 1000;
    await fake.send(hold('Unhold', 160) + hold('Hold', 180) + hold('Unhold', 185) + complete(200));
    await waitFor(() => h.server.state().calls.get('1795510800.1')?.status === 'ended', 3000, 'the call to end');
    await waitFor(() => a.stats.pending === 0 && b.stats.pending === 0 && a.stats.events === b.stats.events && a.stats.accepted + b.stats.accepted === a.stats.events, 2000, 'both nodes done');
    expect(a.stats.duplicates + b.stats.duplicates).toBe(a.stats.events);
    expect(a.stats.rejected + b.stats.rejected).toBe(0);
    expect(h.server.state().calls.get('1795510800.1')).toMatchObject({ holdCount: 3 });

    const fresh = await new Promise<Snapshot>((resolve, reject) => live.socket.emit('live:resync', (r) => (r.ok ? resolve(r.data) : reject(new Error(r.error)))));
    const snap = fresh as Snapshot<FloorPayload>;
    const rules = snap.payload.alerts.filter((x) => x.callId === '1795510800.1').map((x) => `${x.ruleId}:${x.level}`);
    expect(rules).toContain('hold-long:breach');
    expect(rules).toContain('hold-repeat:breach');
    expect(rules.some((r) => r.startsWith('hold-permission'))).toBe(false);
    expect(snap.payload.alerts.find((x) => x.ruleId === 'hold-long' && x.level === 'breach')).toMatchObject({ agentId: 'PJSIP/1001', value: 100 });

    // Operators see the input's state in /api/health.
    const health = await getJson(h, '/api/health');
    expect(health.body.data).toMatchObject({ sources: { ami: { connected: true, target: `127.0.0.1:${fake.port}`, events: a.stats.events } } });
  });
});
