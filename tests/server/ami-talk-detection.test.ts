/**
 * Issue 18's talk detection from Asterisk, against the fake manager (tests/server/fake-ami-feed.ts):
 * `ChannelTalkingStart` / `ChannelTalkingStop` bursts cut across TCP packets become the exact
 * `call.talking` events of the call, party told by the channel; and end to end, a real Floorwatch
 * server fed by the fake manager raises `dead-air` (its 1 Hz tick at chosen times of the fake clock)
 * and `talk-over` from them.
 *
 * The events as Asterisk writes them (funcs/func_talkdetect.c, talk_detect_audiohook_cb, published
 * through main/manager_channels.c; AMI_Events/ChannelTalkingStart and ChannelTalkingStop in the
 * Asterisk documentation): both carry the channel snapshot (Channel, ChannelState, ChannelStateDesc,
 * CallerIDNum, …, Uniqueid, Linkedid); the stop adds `Duration`, in ms, which func_talkdetect.c
 * computes as the time since the start minus `dsp_silence_threshold` (2,500 ms unless
 * `TALK_DETECT(set)=<dsp_silence_threshold>,<dsp_talking_threshold>` says otherwise): the stop is
 * raised that long after the last word, and start + Duration is the end of speech.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AmiClient, type AmiClientOptions } from '../../server/ami/client.ts';
import type { FloorEventInput } from '../../shared/events.ts';
import type { Alert } from '../../shared/state.ts';
import type { FloorPayload, IngestResult, Snapshot } from '../../shared/wire.ts';
import { AGENT, B, CALLER, called, connect, FakeAmi, hold, join, quiet, SECRET, USER, wire } from './fake-ami-feed.ts';
import { connectLive, FakeClock, getJson, startHarness, VIEW_TOKEN, waitFor, type Harness, type Recorder } from './harness.ts';

/** B + `offsetMs` in epoch ms (integer ms: no float error in expectations). */
const at = (offsetMs: number) => B * 1000 + offsetMs;
type Ch = { Channel: string; Uniqueid: string; Linkedid: string };
const CALLER_CH: Ch = { Channel: CALLER.Channel, Uniqueid: CALLER.Uniqueid, Linkedid: CALLER.Linkedid };
const AGENT_CH: Ch = { Channel: AGENT.DestChannel, Uniqueid: AGENT.DestUniqueid, Linkedid: CALLER.Linkedid };
/** The channel snapshot fields Asterisk writes on both events (an answered channel: state 6, Up). */
const snapshot = (ch: Ch) => ({ Channel: ch.Channel, ChannelState: 6, ChannelStateDesc: 'Up', CallerIDNum: '5550100', CallerIDName: '<unknown>', ConnectedLineNum: '1001', ConnectedLineName: '<unknown>', Language: 'en', AccountCode: '', Context: 'from-trunk', Exten: 's', Priority: 3, Uniqueid: ch.Uniqueid, Linkedid: ch.Linkedid });
/** A ChannelTalkingStart at B + `ms` ms. */
const on = (ms: number, ch: Ch) => wire('ChannelTalkingStart', ms / 1000, snapshot(ch));
/** A ChannelTalkingStop at B + `ms` ms with its Duration (ms), or none when undefined. */
const off = (ms: number, ch: Ch, durationMs: number | string | undefined) => wire('ChannelTalkingStop', ms / 1000, { ...snapshot(ch), ...(durationMs === undefined ? {} : { Duration: durationMs }) });

/** Cut points for `text`: every `step` characters, and inside every "\r\n" (between \r and \n). */
function cutsOf(text: string, step: number): number[] {
  const cuts = new Set<number>();
  for (let i = step; i < text.length; i += step) cuts.add(i);
  for (let i = text.indexOf('\r\n'); i !== -1; i = text.indexOf('\r\n', i + 2 * step)) cuts.add(i + 1);
  return [...cuts].sort((a, b) => a - b);
}

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

/** A client of `fake` whose submissions are recorded. */
async function recordingClient(fake: FakeAmi, opts: Partial<AmiClientOptions> = {}) {
  const submitted: FloorEventInput[] = [];
  const client = new AmiClient({
    host: '127.0.0.1',
    port: fake.port,
    username: USER,
    secret: SECRET,
    pingMs: 0,
    backoffInitialMs: 20,
    backoffMaxMs: 160,
    retryMs: 20,
    now: () => B * 1000,
    logger: quiet,
    submit: async (events): Promise<IngestResult> => {
      submitted.push(...events);
      return { accepted: events.length, duplicates: 0, rejected: [] };
    },
    ...opts,
  });
  clients.push(client.start());
  await waitFor(() => client.stats.connected, 2000, 'login');
  const talking = () => submitted.flatMap((e) => (e.type === 'call.talking' ? [[e.party, e.talking, (typeof e.at === 'number' ? e.at : Date.parse(e.at)) - B * 1000] as const] : []));
  return { client, submitted, talking };
}

/** The queue call answered at B + 10 s. */
const answered = () => join(0) + called(5) + connect(10);

describe('AMI talk detection against the fake manager', () => {
  it('maps rapid alternating starts and stops on both channels, cut across TCP packets, to call.talking of the call: party by channel, each stop at the end of speech (start + Duration), never before the call’s latest event', async () => {
    const fake = await fakeAmi();
    const { client, submitted, talking } = await recordingClient(fake);
    // A silence threshold of 300 ms (TALK_DETECT(set)=300): each stop comes 300 ms after the last word.
    const burst =
      answered() +
      on(11_000, AGENT_CH) +
      on(11_100, CALLER_CH) + // the caller starts while the agent talks (not a talk-over: the agent did not start)
      off(11_700, AGENT_CH, 400) + // agent spoke 11.0 → 11.4 s
      on(11_750, AGENT_CH) +
      off(11_800, CALLER_CH, 400) + // caller 11.1 → 11.5 s: dated 11.75 s, the agent's start, so the call's events stay in order
      on(11_900, CALLER_CH) +
      off(12_050, AGENT_CH, 0) + // agent 11.75 → 11.75 s: dated 11.9 s, the caller's start
      off(12_300, CALLER_CH, 100) + // caller 11.9 → 12.0 s
      on(12_310, AGENT_CH) +
      on(12_320, CALLER_CH) +
      off(12_900, CALLER_CH, 280) + // caller 12.32 → 12.6 s
      off(12_950, AGENT_CH, 340); // agent 12.31 → 12.65 s
    await fake.send(burst, cutsOf(burst, 37));
    await waitFor(() => talking().length >= 12, 3000, 'the talk burst');
    expect(talking()).toEqual([
      ['agent', true, 11_000],
      ['caller', true, 11_100],
      ['agent', false, 11_400],
      ['agent', true, 11_750],
      ['caller', false, 11_750],
      ['caller', true, 11_900],
      ['agent', false, 11_900],
      ['caller', false, 12_000],
      ['agent', true, 12_310],
      ['caller', true, 12_320],
      ['caller', false, 12_600],
      ['agent', false, 12_650],
    ]);
    const talk = submitted.filter((e) => e.type === 'call.talking');
    expect(new Set(talk.map((e) => e.callId))).toEqual(new Set([CALLER.Uniqueid]));
    expect(new Set(talk.map((e) => e.id)).size).toBe(12);
    expect(client.stats).toMatchObject({ damagedLines: 0, pending: 0 });
    expect([...client.adapter.skippedBy.keys()].filter((r) => r.includes('talk'))).toEqual([]);
  });

  it('sends a party’s repeated start once, closes on a stop without a start, and treats two talking channels of one party as one voice', async () => {
    const fake = await fakeAmi();
    const { client, talking } = await recordingClient(fake);
    // A second channel of the agent's phone on the call (same Linkedid, named by the member's
    // interface), with TALK_DETECT set on it too (the phones' own dialplan): one voice, two reports.
    const phoneCh: Ch = { Channel: 'PJSIP/1001-00000009', Uniqueid: '1795510806.9', Linkedid: CALLER.Linkedid };
    const burst =
      answered() +
      // The caller's stop came while the link was down (or never): a second start on the same channel.
      on(20_000, CALLER_CH) +
      on(21_000, CALLER_CH) + // nothing sent; Duration now counts from here
      off(25_000, CALLER_CH, 1_500) + // 21.0 → 22.5 s
      off(26_000, CALLER_CH, 900) + // a stop without a start: at its own time
      on(30_000, AGENT_CH) +
      on(30_020, phoneCh) +
      off(34_000, AGENT_CH, 1_500) + // the other channel still talks: nothing sent
      off(34_030, phoneCh, 1_510); // 30.02 → 31.53 s: the agent's last word
    await fake.send(burst, cutsOf(burst, 53));
    await waitFor(() => talking().length >= 5, 3000, 'the talk burst');
    await waitFor(() => client.adapter.stats.messages >= 12, 2000, 'every event read'); // FullyBooted and 11
    expect(talking()).toEqual([
      ['caller', true, 20_000],
      ['caller', false, 22_500],
      ['caller', false, 26_000],
      ['agent', true, 30_000],
      ['agent', false, 31_530],
    ]);
    expect([...client.adapter.skippedBy].filter(([r]) => r.includes('talk'))).toEqual([
      ['talking start on a channel already talking', 1],
      ['talking start of a party already talking on another channel', 1],
      ['talking stop of a party still talking on another channel', 1],
    ]);
  });

  it('ignores talk on channels of no queue call, of a call still waiting and of a call over, and counts each', async () => {
    const fake = await fakeAmi();
    const { client, submitted } = await recordingClient(fake);
    const stranger: Ch = { Channel: 'PJSIP/2002-00000077', Uniqueid: '1795510900.77', Linkedid: '1795510900.77' };
    const waiting: Ch = { Channel: 'PJSIP/trunk-00000009', Uniqueid: '1795510801.9', Linkedid: '1795510801.9' };
    const thirdParty: Ch = { Channel: 'PJSIP/1099-0000000b', Uniqueid: '1795510806.11', Linkedid: CALLER.Linkedid };
    const burst =
      answered() +
      join(1, waiting.Uniqueid) +
      on(11_000, stranger) + // an internal call nobody queued
      off(14_000, stranger, 500) +
      on(12_000, waiting) + // a caller speaking to the music while waiting
      on(13_000, thirdParty) + // a consultation call on the same Linkedid, neither caller nor agent
      wire('AgentComplete', 40, { ...CALLER, ...AGENT, Queue: 'sales', HoldTime: 10, TalkTime: 30, Reason: 'caller' }) +
      off(41_000, CALLER_CH, 2_000); // the caller's last stop after the call was over
    await fake.send(burst, cutsOf(burst, 41));
    await waitFor(() => submitted.some((e) => e.type === 'call.ended') && client.adapter.stats.messages >= 10, 3000, 'the burst');
    expect(submitted.filter((e) => e.type === 'call.talking')).toEqual([]);
    expect(Object.fromEntries(client.adapter.skippedBy)).toMatchObject({
      'talking on a channel of no queue call': 3,
      'talking on a call not connected': 1,
      'talking on a channel neither the caller nor the agent of its call': 1,
    });
    expect([...client.adapter.skippedBy].filter(([r]) => r.includes('talk')).reduce((n, [, k]) => n + k, 0)).toBe(5);
  });

  it('dates a stop by its Duration: the end of speech when a usable length within the stretch; at the start when 0 or less (nothing said); at its own time when missing, not a number or longer than the stretch', async () => {
    const fake = await fakeAmi();
    const { client, talking } = await recordingClient(fake);
    const burst =
      answered() +
      on(11_000, AGENT_CH) +
      off(15_500, AGENT_CH, 2_000) + // 11.0 → 13.0 s
      on(16_000, AGENT_CH) +
      off(19_000, AGENT_CH, undefined) + // no Duration
      on(20_000, AGENT_CH) +
      off(23_000, AGENT_CH, '2.5s') +
      // func_talkdetect.c counts silence from 0 when TALK_DETECT is set: the first frames raise a start
      // with nothing behind it, and its stop, a silence threshold later, a Duration of about −20 ms.
      on(24_000, AGENT_CH) +
      off(26_480, AGENT_CH, -20) +
      on(27_000, AGENT_CH) +
      off(29_500, AGENT_CH, 0) +
      on(30_000, AGENT_CH) +
      off(31_000, AGENT_CH, 5_000) + // longer than the 1 s since the start
      on(32_000, AGENT_CH) +
      off(34_500, AGENT_CH, 2_500) + // exactly the stretch: the stop's own time
      off(36_000, CALLER_CH, -20); // the caller's stretch of nothing began before the answer: skipped
    await fake.send(burst, cutsOf(burst, 61));
    await waitFor(() => talking().length >= 14 && client.adapter.stats.messages >= 19, 3000, 'the talk burst'); // FullyBooted and 18
    expect(talking().filter(([, talks]) => !talks).map(([, , ms]) => ms)).toEqual([13_000, 19_000, 23_000, 24_000, 27_000, 31_000, 34_500]);
    expect(talking()).toHaveLength(14);
    expect(client.adapter.skippedBy.get('talking stop with nothing said and no start seen')).toBe(1);
  });

  it('stops, at the reconnect, the parties that were talking when the link dropped (their stops may have been lost with it); a stop still to come is a stop without a start', async () => {
    let nowMs = at(12_000);
    const fake = await fakeAmi();
    const { client, talking } = await recordingClient(fake, { now: () => nowMs });
    fake.liveChannels = [CALLER.Uniqueid]; // the call goes on while the link is down
    await fake.send(answered() + on(11_000, CALLER_CH) + on(12_000, AGENT_CH));
    await waitFor(() => talking().length >= 2, 3000, 'the starts');
    nowMs = at(40_000);
    fake.current?.socket.destroy();
    await waitFor(() => client.stats.logins === 2, 3000, 'the reconnect');
    await waitFor(() => talking().length >= 4, 3000, 'the stops at the reconnect');
    expect(talking()).toEqual([
      ['caller', true, 11_000],
      ['agent', true, 12_000],
      ['agent', false, 40_000],
      ['caller', false, 40_000],
    ]);
    await fake.send(off(42_000, CALLER_CH, 28_500) + on(45_000, AGENT_CH));
    await waitFor(() => talking().length >= 6, 3000, 'the events after the reconnect');
    expect(talking().slice(4)).toEqual([
      ['caller', false, 42_000],
      ['agent', true, 45_000],
    ]);
  });
});

describe('AMI talk detection on a real server', () => {
  /** A harness on the fake clock, fed by an AMI client of a fake manager, with a /live floor client. */
  async function floor() {
    const h = await startHarness({ clock: new FakeClock(B * 1000) });
    harnesses.push(h);
    const fake = await fakeAmi();
    const client = new AmiClient({ host: '127.0.0.1', port: fake.port, username: USER, secret: SECRET, pingMs: 0, logger: quiet, now: () => h.clock.now(), submit: (events) => h.server.pipeline.submit(events, 'ami') });
    clients.push(client.start());
    await waitFor(() => client.stats.connected, 2000, 'login');
    const live = connectLive(h, { scope: 'floor', token: VIEW_TOKEN });
    lives.push(live);
    await live.firstSnapshot;
    /** Sends `text` (cut into packets) once the server's clock is at its last event, B + `lastMs`, and waits until the server holds all of it. */
    const send = async (lastMs: number, text: string) => {
      h.clock.t = at(lastMs);
      const messages = client.stats.messages;
      await fake.send(text, cutsOf(text, 45));
      const count = text.split('\r\n\r\n').length - 1;
      const done = () => {
        const st = client.stats;
        return st.messages >= messages + count && st.pending === 0 && st.accepted + st.duplicates + st.rejected === st.events;
      };
      await waitFor(done, 3000, 'the burst stored');
      expect(client.stats.rejected).toBe(0);
    };
    /** The server's 1 Hz tick at B + `ms`. */
    const tickAt = (ms: number) => {
      h.clock.t = at(ms);
      h.server.tickNow();
    };
    /** The call's alerts of `ruleId`, open or closed (the agent's list keeps both). */
    const alerts = (ruleId: string) => (h.server.state().agentAlerts.get(AGENT.MemberName) ?? []).filter((a) => a.ruleId === ruleId && a.callId === CALLER.Uniqueid);
    return { h, fake, client, live, send, tickAt, alerts };
  }

  it('raises dead-air from Asterisk talk detection: warn at 15 s and breach at 30 s of silence after both parties spoke, on the floor and in /api/alerts; hold time is not silence', async () => {
    const { h, live, send, tickAt, alerts } = await floor();
    await send(10_000, answered());
    await waitFor(() => h.server.state().calls.get(CALLER.Uniqueid)?.status === 'talking', 2000, 'the answered call');
    // Default threshold (2,500 ms): each stop comes 2.5 s after the last word.
    // The agent greets 10.5 → 13.0 s; the caller answers 13.5 → 16.0 s. Then nobody says a thing.
    // (The agent's stop, dated back to 13.0 s, comes after the caller's start: kept at 13.5 s, in order.)
    await send(18_500, on(10_500, AGENT_CH) + on(13_500, CALLER_CH) + off(15_500, AGENT_CH, 2_500) + off(18_500, CALLER_CH, 2_500));
    expect(h.server.state().calls.get(CALLER.Uniqueid)?.conversation).toMatchObject({ talkDetection: true, agent: { lastSpeechEndMs: at(13_500) }, caller: { lastSpeechEndMs: at(16_000) } });
    for (let s = 19; s <= 30; s++) tickAt(s * 1000);
    expect(alerts('dead-air')).toEqual([]); // 14 s of silence
    tickAt(31_000);
    expect(alerts('dead-air')).toMatchObject([{ level: 'warn', status: 'open', value: 15, threshold: 15, unit: 'sec', agentId: AGENT.MemberName, queueId: 'sales' }]);
    for (let s = 32; s <= 46; s++) tickAt(s * 1000);
    tickAt(47_000); // 31 s of silence
    const [breach] = alerts('dead-air');
    expect(breach).toMatchObject({ id: `dead-air:${CALLER.Uniqueid}:1`, level: 'breach', status: 'open', value: 31, threshold: 30, raisedAtMs: at(31_000), evidence: [{ startMs: at(16_000), endMs: at(47_000) }] });

    // The floor sees it: a /live resync, and the alerts API.
    const snap = await new Promise<Snapshot>((resolve, reject) => live.socket.emit('live:resync', (r) => (r.ok ? resolve(r.data) : reject(new Error(r.error)))));
    expect((snap as Snapshot<FloorPayload>).payload.alerts.filter((a) => a.ruleId === 'dead-air')).toMatchObject([{ id: breach.id, level: 'breach', callId: CALLER.Uniqueid }]);
    const listed = ((await getJson(h, '/api/alerts')).body.data as Alert[]).filter((a) => a.ruleId === 'dead-air');
    expect(listed).toMatchObject([{ id: breach.id, level: 'breach', value: 31, callId: CALLER.Uniqueid }]);

    // The caller speaks at 49 s: the silence ends, judged at 33 s.
    await send(49_000, on(49_000, CALLER_CH));
    expect(alerts('dead-air')).toMatchObject([{ id: breach.id, level: 'breach', status: 'resolved', value: 33, evidence: [{ startMs: at(16_000), endMs: at(49_000) }] }]);
    // Then the agent puts the caller on hold for 60 s, saying nothing: no dead air while on hold.
    await send(60_000, off(54_000, CALLER_CH, 2_500) + hold('Hold', 60));
    for (let s = 61; s <= 120; s++) tickAt(s * 1000);
    await send(120_000, hold('Unhold', 120));
    for (let s = 121; s <= 134; s++) tickAt(s * 1000);
    expect(alerts('dead-air').map((a) => a.id)).toEqual([breach.id]);
    // Silence counts again from the unhold: the warning 15 s after it.
    tickAt(135_000);
    expect(alerts('dead-air')).toMatchObject([{ id: breach.id }, { id: `dead-air:${CALLER.Uniqueid}:2`, level: 'warn', evidence: [{ startMs: at(120_000), endMs: at(135_000) }] }]);
  });

  it('raises talk-over at the third time the agent starts while the caller is still talking', async () => {
    const { h, send, tickAt, alerts } = await floor();
    await send(10_000, answered());
    await waitFor(() => h.server.state().calls.get(CALLER.Uniqueid)?.status === 'talking', 2000, 'the answered call');
    // Three times: the caller talks 5 s; 1 s in, the agent cuts in for 1 s.
    const over = async (s: number) => {
      const ms = s * 1000;
      await send(ms + 7_500, on(ms, CALLER_CH) + on(ms + 1_000, AGENT_CH) + off(ms + 4_500, AGENT_CH, 1_000) + off(ms + 7_500, CALLER_CH, 5_000));
      tickAt(ms + 7_500);
    };
    await over(11);
    await over(20);
    expect(alerts('talk-over')).toEqual([]);
    await over(30);
    expect(alerts('talk-over')).toMatchObject([{ level: 'warn', value: 3, threshold: 3, unit: 'times', agentId: AGENT.MemberName }]);
    expect(alerts('talk-over')[0].evidence?.map((e) => e.startMs)).toEqual([at(12_000), at(21_000), at(31_000)]);
    const listed = ((await getJson(h, '/api/alerts')).body.data as Alert[]).filter((a) => a.ruleId === 'talk-over');
    expect(listed).toMatchObject([{ level: 'warn', value: 3, callId: CALLER.Uniqueid }]);
  });

  it('does not count a talk-over when the agent answers after the caller’s last word but before Asterisk’s stop (sent 2.5 s of silence later)', async () => {
    const { h, send, tickAt, alerts } = await floor();
    await send(10_000, answered());
    await waitFor(() => h.server.state().calls.get(CALLER.Uniqueid)?.status === 'talking', 2000, 'the answered call');
    // Four turns: the caller speaks 3 s; the agent answers 0.8 s after the last word, 1.7 s before the
    // caller's ChannelTalkingStop comes (its default 2,500 ms silence threshold), and speaks 2 s.
    for (const s of [11, 20, 29, 38]) {
      const ms = s * 1000;
      await send(ms + 8_300, on(ms, CALLER_CH) + on(ms + 3_800, AGENT_CH) + off(ms + 5_500, CALLER_CH, 3_000) + off(ms + 8_300, AGENT_CH, 2_000));
      tickAt(ms + 8_300);
    }
    expect(h.server.state().calls.get(CALLER.Uniqueid)?.conversation?.talkOvers ?? 0).toBe(0);
    expect(alerts('talk-over')).toEqual([]);
  });
});
