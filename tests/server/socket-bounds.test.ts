/**
 * No single client can stall the server (issue 13, section 2, the socket
 * parts): resync floods, big messages before (and without) credentials,
 * connections that never authenticate, connections per address, and open
 * alerts pushed as changes. Every test is bounded in count and time and runs
 * on loopback.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import WebSocket from 'ws';
import express from 'express';
import { io as ioClient, Manager } from 'socket.io-client';
import { closeHarnessesAfterEach, INGEST_TOKEN, T0, VIEW_TOKEN, waitFor, type Harness, type Recorder } from './harness.ts';
import { ALERT_VALUE_PUSH_MS, liveBacklogBytes, LIVE_MAX_BACKLOG_BYTES, RESYNC_MAX_WAITING, RESYNC_MIN_INTERVAL_MS } from '../../server/live.ts';
import { comparable, Mirror, stateOf } from './faults/mirror.ts';
import { AUTH_DEADLINE_MS, clientAddress, COMMAND_BURST_SEC, COMMANDS_PER_SEC, COMMANDS_REFUSED_TO_CLOSE, DEFAULT_MAX_CONNECTIONS_PER_ADDRESS, packetNamespace, SMALL_MESSAGE_BYTES } from '../../server/socket-guard.ts';
import type { Ack, Delta, IngestResult, Snapshot } from '../../shared/wire.ts';
import type { IncomingMessage } from 'node:http';
import { readOptions } from '../../server/main.ts';

const { start, live } = closeHarnessesAfterEach();

/** The underlying `ws` socket of a socket.io client, to stop reading. */
function wsOf(r: Recorder): { pause(): void; resume(): void } {
  return (r.socket.io.engine.transport as unknown as { ws: { pause(): void; resume(): void } }).ws;
}

/** GET /healthz, timed (ms). */
async function healthzMs(h: Harness): Promise<number> {
  const t = performance.now();
  const res = await fetch(`${h.url}/healthz`);
  await res.text();
  expect(res.status).toBe(200);
  return performance.now() - t;
}

/** A floor of `n` agents with long names, so each floor snapshot is big (~n × 0.6 kB). */
async function bigFloor(h: Harness, n: number): Promise<void> {
  const events = Array.from({ length: n }, (_, i) => ({ type: 'agent.state', id: `big-${i}`, at: T0, agentId: `agent-${i}`, state: 'available', name: `Agent ${i} `.padEnd(200, '.'), queues: ['q1'] }));
  const res = await fetch(`${h.url}/api/events`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${INGEST_TOKEN}` }, body: JSON.stringify(events) });
  expect(res.status).toBe(200);
}

/** Polls /healthz every 50 ms for `ms`: the worst answer time, peak RSS and the largest backlog of `socket`. */
async function watch(h: Harness, ms: number, socket?: { conn: unknown }): Promise<{ worstHealthzMs: number; peakRss: number; maxBacklog: number }> {
  const started = performance.now();
  const out = { worstHealthzMs: 0, peakRss: process.memoryUsage().rss, maxBacklog: 0 };
  while (performance.now() - started < ms) {
    out.worstHealthzMs = Math.max(out.worstHealthzMs, await healthzMs(h));
    out.peakRss = Math.max(out.peakRss, process.memoryUsage().rss);
    if (socket) out.maxBacklog = Math.max(out.maxBacklog, liveBacklogBytes(socket));
    await new Promise((r) => setTimeout(r, 50));
  }
  return out;
}

describe('resync floods', () => {
  it('builds at most one snapshot a second for a socket that floods live:resync and stops reading; memory and /healthz stay bounded', async () => {
    // The resync guard on its own: the per-socket command budget (tested below) would cut this flood first.
    const h = await start({ edge: { commandsPerSec: 0 } });
    await bigFloor(h, 300);
    const c = live(h, { scope: 'floor', token: VIEW_TOKEN });
    const first = await c.firstSnapshot;
    const snapshotBytes = JSON.stringify(first).length;
    expect(snapshotBytes).toBeGreaterThan(100_000);
    const FLOOD = 3_000;

    // What any 3,000 tiny commands cost this process (socket.io's own decoding and acks, on a shared
    // machine): the resync flood may add at most 500 ms to it. Today each resync builds a snapshot: seconds.
    let tiny = 0;
    for (let i = 0; i < FLOOD; i++) c.socket.emit('call:detail', 'none', () => tiny++);
    const baseline = await watch(h, 1_000);
    await waitFor(() => tiny === FLOOD, 10_000, 'the tiny commands answered');

    const snapshotsBefore = h.server.hub.stats.snapshots;
    const rssBefore = process.memoryUsage().rss;
    // 3,000 resyncs (each a ~180 kB snapshot today: ~550 MB), from a socket that stops reading.
    const answers: Ack<Snapshot>[] = [];
    const ws = wsOf(c);
    ws.pause();
    onTestFinished(() => ws.resume());
    for (let i = 0; i < FLOOD; i++) c.socket.emit('live:resync', (r) => answers.push(r));
    const serverSide = h.server.io.of('/live').sockets.get(c.socket.id as string);
    expect(serverSide).toBeDefined();
    // Two and a half rate-limit periods: the flood is all in; the server answers what it will.
    const flood = await watch(h, 2.5 * RESYNC_MIN_INTERVAL_MS, serverSide);
    const built = h.server.hub.stats.snapshots - snapshotsBefore;
    const growthMb = (flood.peakRss - rssBefore) / 1e6;
    console.info(
      `resync flood: ${FLOOD} resyncs of a ${Math.round(snapshotBytes / 1024)} kB floor snapshot → ${built} snapshots built, RSS +${growthMb.toFixed(0)} MB, ` +
        `/healthz worst ${flood.worstHealthzMs.toFixed(0)} ms (${FLOOD} tiny commands: ${baseline.worstHealthzMs.toFixed(0)} ms), backlog at most ${Math.round(flood.maxBacklog / 1024)} KiB`,
    );
    // One now, then at most one per period (plus one for the period under way).
    expect(built).toBeLessThanOrEqual(4);
    expect(growthMb).toBeLessThan(100);
    expect(flood.worstHealthzMs).toBeLessThan(baseline.worstHealthzMs + 500);
    // What the server holds for the socket stays within the backlog guard plus the snapshots of one answer.
    expect(flood.maxBacklog).toBeLessThanOrEqual(LIVE_MAX_BACKLOG_BYTES + RESYNC_MAX_WAITING * snapshotBytes);

    // Reading again, every request is answered, and the socket ends with a fresh snapshot.
    ws.resume();
    await waitFor(() => answers.length === FLOOD, 10_000, 'every resync answered');
    await waitFor(() => h.server.hub.settled, 5_000, 'the hub to settle');
    const ok = answers.filter((a) => a.ok).length;
    // Requests that waited together shared one snapshot (built once).
    expect(ok).toBeGreaterThanOrEqual(1);
    expect(ok).toBeLessThanOrEqual((h.server.hub.stats.snapshots - snapshotsBefore) * RESYNC_MAX_WAITING);
    for (const a of answers) if (!a.ok) expect(a.error).toMatch(/pending|too slow/);
  }, 30_000);

  it('counts snapshots against the backlog guard: a socket over it gets no new snapshot until it drains, then one', async () => {
    const h = await start();
    await bigFloor(h, 1_000);
    const c = live(h, { scope: 'floor', token: VIEW_TOKEN });
    await c.firstSnapshot;
    wsOf(c).pause();
    const answers: Ack<Snapshot>[] = [];
    // A few resyncs a period, each answered with a ~600 kB snapshot that is never read: past the
    // kernel's socket buffers and the 1 MiB guard within a few periods.
    const serverSide = h.server.io.of('/live').sockets.get(c.socket.id as string);
    expect(serverSide).toBeDefined();
    const backlog = () => liveBacklogBytes(serverSide as NonNullable<typeof serverSide>);
    try {
      for (let i = 0; i < 12 && backlog() <= LIVE_MAX_BACKLOG_BYTES; i++) {
        for (let j = 0; j < RESYNC_MAX_WAITING; j++) c.socket.emit('live:resync', (r) => answers.push(r));
        await new Promise((r) => setTimeout(r, RESYNC_MIN_INTERVAL_MS + 50));
      }
      // Over the guard: marked behind, and what it holds stops growing.
      expect(backlog()).toBeGreaterThan(LIVE_MAX_BACKLOG_BYTES);
      expect(h.server.hub.stats.laggards).toBeGreaterThanOrEqual(1);
      const held = backlog();
      const builtWhileBehind = h.server.hub.stats.snapshots;
      const whileBehind: Ack<Snapshot>[] = [];
      for (let j = 0; j < RESYNC_MAX_WAITING; j++) c.socket.emit('live:resync', (r) => whileBehind.push(r));
      await new Promise((r) => setTimeout(r, RESYNC_MIN_INTERVAL_MS + 50));
      expect(h.server.hub.stats.snapshots).toBe(builtWhileBehind);
      // The refusals are small; no snapshot was queued.
      expect(backlog()).toBeLessThan(held + 4_096);
      const pushedBefore = c.snapshots.length;
      wsOf(c).resume();
      await waitFor(() => whileBehind.length === RESYNC_MAX_WAITING, 10_000, 'the refusals');
      for (const a of whileBehind) expect(a).toEqual({ ok: false, error: expect.stringMatching(/too slow/) as unknown });
      // Drained, it gets one fresh snapshot.
      await waitFor(() => c.snapshots.length > pushedBefore, 10_000, 'the snapshot pushed once drained');
    } finally {
      wsOf(c).resume();
    }
  }, 30_000);
});

/** A raw engine.io WebSocket connection (no namespace joined): resolves once the server's open packet arrived. */
function rawEngine(h: Harness): Promise<{ ws: WebSocket; closed: Promise<{ code: number; atMs: number }> }> {
  const ws = new WebSocket(`ws://127.0.0.1:${h.port}/socket.io/?EIO=4&transport=websocket`);
  const closed = new Promise<{ code: number; atMs: number }>((resolve) => ws.on('close', (code) => resolve({ code, atMs: performance.now() })));
  ws.on('error', () => undefined);
  return new Promise((resolve, reject) => {
    ws.once('message', (m) => (String(m).startsWith('0') ? resolve({ ws, closed }) : reject(new Error(`unexpected first packet ${String(m).slice(0, 40)}`))));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`handshake refused: HTTP ${res.statusCode}`)));
  });
}

/** `n` agent.state events with 200-character names: ~330 bytes each on the wire. */
function bigBatch(n: number, tag: string) {
  return Array.from({ length: n }, (_, i) => ({ type: 'agent.state', id: `${tag}-${i}`, at: T0, agentId: `${tag}-${i}`, state: 'available', name: `${tag} ${i} `.padEnd(200, '.') }));
}

describe('commands per socket', () => {
  it(`answers the first ${COMMANDS_PER_SEC * COMMAND_BURST_SEC} commands of a burst, refuses the rest in their acks, refills at ${COMMANDS_PER_SEC} a second, and disconnects a socket that keeps on`, async () => {
    const h = await start();
    const c = live(h, { scope: 'floor', token: VIEW_TOKEN });
    await c.firstSnapshot;
    const burst = COMMANDS_PER_SEC * COMMAND_BURST_SEC;
    const detail = () => new Promise<{ ok: boolean; error?: string }>((resolve) => c.socket.emit('call:detail', 'none', resolve));
    const first = await Promise.all(Array.from({ length: burst + 20 }, detail));
    // The burst ran (the call is unknown: its own error); the 20 after it were refused without running.
    expect(first.slice(0, burst).every((r) => !r.ok && /not in memory/.test(r.error ?? ''))).toBe(true);
    expect(first.slice(burst).every((r) => !r.ok && /too many commands: at most 10 a second/.test(r.error ?? ''))).toBe(true);
    // Half a second later about five commands' worth is back.
    await new Promise((r) => setTimeout(r, 500));
    const later = await Promise.all(Array.from({ length: 10 }, detail));
    const ran = later.filter((r) => /not in memory/.test(r.error ?? '')).length;
    expect(ran).toBeGreaterThanOrEqual(3);
    expect(ran).toBeLessThanOrEqual(8);
    // Another socket of the same client is not slowed by this one.
    const other = live(h, { scope: 'floor', token: VIEW_TOKEN });
    await other.firstSnapshot;
    const otherAnswer = await new Promise<{ ok: boolean; error?: string }>((resolve) => other.socket.emit('call:detail', 'none', resolve));
    expect(otherAnswer.error).toMatch(/not in memory/);
    // Flooding on: after COMMANDS_REFUSED_TO_CLOSE refusals in a row the socket is disconnected.
    const gone = new Promise<void>((resolve) => c.socket.once('disconnect', () => resolve()));
    for (let i = 0; i < COMMANDS_REFUSED_TO_CLOSE + 50; i++) c.socket.emit('call:detail', 'none', () => undefined);
    await gone;
    const health = (await (await fetch(`${h.url}/api/health`, { headers: { authorization: `Bearer ${VIEW_TOKEN}` } })).json()) as { data: { live: { connections: { commandsRefused: number; closedFlooding: number } } } };
    expect(health.data.live.connections.closedFlooding).toBe(1);
    expect(health.data.live.connections.commandsRefused).toBeGreaterThanOrEqual(20 + COMMANDS_REFUSED_TO_CLOSE);
    expect(other.socket.connected).toBe(true);
  });
});

describe('--commands-per-sec', () => {
  it('takes 0 or more (0 = no budget), defaults to 10, and names a bad value', () => {
    expect(readOptions([], {}).commandsPerSec).toBe(COMMANDS_PER_SEC);
    expect(readOptions(['--commands-per-sec', '0'], {}).commandsPerSec).toBe(0);
    expect(readOptions([], { FLOORWATCH_COMMANDS_PER_SEC: '2.5' }).commandsPerSec).toBe(2.5);
    expect(() => readOptions(['--commands-per-sec', '-1'], {})).toThrow('--commands-per-sec: expected a number of commands a second, 0 or more (0 = no budget), got "-1"');
  });
});

describe('message limits', () => {
  it('closes an unauthenticated WebSocket that sends a 1 MB message, on its header (close 1009), without reading it', async () => {
    const h = await start();
    const { ws, closed } = await rawEngine(h);
    const rssBefore = process.memoryUsage().rss;
    const sent = performance.now();
    ws.send(`42${JSON.stringify(['live:resync', 'x'.repeat(1024 * 1024)])}`);
    const { code, atMs } = await closed;
    expect(code).toBe(1009);
    expect(atMs - sent).toBeLessThan(1_000);
    expect(h.server.io.engine.clientsCount).toBe(0);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(32 * 1024 * 1024);
  });

  it('answers 413 to an unauthenticated long-polling POST over the small limit', async () => {
    const h = await start();
    const open = await (await fetch(`${h.url}/socket.io/?EIO=4&transport=polling`)).text();
    const sid = (JSON.parse(open.slice(1)) as { sid: string }).sid;
    const res = await fetch(`${h.url}/socket.io/?EIO=4&transport=polling&sid=${sid}`, { method: 'POST', headers: { 'content-type': 'text/plain;charset=UTF-8' }, body: `4${'x'.repeat(SMALL_MESSAGE_BYTES + 1)}` });
    expect(res.status).toBe(413);
  });

  it.each(['websocket', 'polling', 'polling upgraded to websocket'] as const)('still accepts a 1.6 MB batch on an authenticated /ingest socket (%s)', async (transport) => {
    const h = await start();
    const transports = transport === 'polling upgraded to websocket' ? ['polling', 'websocket'] : [transport];
    const socket = ioClient(`${h.url}/ingest`, { auth: { token: INGEST_TOKEN }, transports, reconnection: false, forceNew: true });
    onTestFinished(() => void socket.close());
    await new Promise<void>((resolve, reject) => {
      socket.once('ingest:ready', resolve);
      socket.once('connect_error', reject);
    });
    // The raise is made for the transport of the handshake; an upgrade gets it again.
    if (transports.length > 1) await waitFor(() => socket.io.engine.transport.name === 'websocket', 3_000, 'the upgrade');
    const batch = bigBatch(5_000, transport.replace(/ /g, '-'));
    expect(JSON.stringify(batch).length).toBeGreaterThan(1_500_000);
    const r = await new Promise<Ack<IngestResult>>((resolve, reject) => {
      socket.emit('events:ingest', batch, resolve);
      socket.once('disconnect', (why) => reject(new Error(`the batch closed the connection: ${why}`)));
    });
    expect(r).toEqual({ ok: true, data: { accepted: 5_000, duplicates: 0, rejected: [] } });
  });

  it('closes a connection raised for /ingest that sends a /live message over the small limit', async () => {
    const h = await start();
    const m = new Manager(h.url, { transports: ['websocket'], reconnection: false, forceNew: true });
    const ingest = m.socket('/ingest', { auth: { token: INGEST_TOKEN } });
    const liveSocket = m.socket('/live', { auth: { scope: 'floor', token: VIEW_TOKEN } });
    onTestFinished(() => {
      ingest.close();
      liveSocket.close();
    });
    await new Promise<void>((resolve) => ingest.once('ingest:ready', resolve));
    await new Promise<void>((resolve) => (liveSocket.connected ? resolve() : liveSocket.once('connect', resolve)));
    const gone = new Promise<void>((resolve) => liveSocket.once('disconnect', () => resolve()));
    let answered = false;
    liveSocket.emit('call:detail', 'x'.repeat(SMALL_MESSAGE_BYTES * 2), () => (answered = true));
    await gone;
    expect(answered).toBe(false);
    expect(ingest.connected).toBe(false);
  });

  it('reads the namespace of a socket.io packet, binary ones included', () => {
    expect(packetNamespace('2/live,["live:resync"]')).toBe('/live');
    expect(packetNamespace('2/ingest,3["events:ingest",[]]')).toBe('/ingest');
    expect(packetNamespace('51-/ingest,["events:ingest",{"_placeholder":true,"num":0}]')).toBe('/ingest');
    expect(packetNamespace('2["x"]')).toBe('/');
  });
});

describe('connections', () => {
  it('closes an engine connection that joins no authenticated namespace in time, refuses the default namespace, and keeps an authenticated one', async () => {
    const h = await start();
    const t0 = performance.now();
    const { closed } = await rawEngine(h);
    const plain = ioClient(h.url, { transports: ['websocket'], reconnection: false, forceNew: true });
    onTestFinished(() => void plain.close());
    const refused = await new Promise<string>((resolve) => plain.once('connect_error', (e) => resolve(e.message)));
    expect(refused).toMatch(/connect to \/live or \/ingest/);
    const c = live(h, { scope: 'floor', token: VIEW_TOKEN });
    await c.firstSnapshot;
    const { atMs } = await closed;
    expect(atMs - t0).toBeGreaterThanOrEqual(AUTH_DEADLINE_MS - 100);
    expect(atMs - t0).toBeLessThan(AUTH_DEADLINE_MS + 1_500);
    await waitFor(() => h.server.io.engine.clientsCount === 1, 2_000, 'only the authenticated connection left');
    expect(c.socket.connected).toBe(true);
  }, 15_000);

  it(`refuses connection ${DEFAULT_MAX_CONNECTIONS_PER_ADDRESS + 1} from one address at the handshake, and takes one again when one closes`, async () => {
    const h = await start();
    const open: WebSocket[] = [];
    onTestFinished(() => open.forEach((ws) => ws.close()));
    for (let i = 0; i < DEFAULT_MAX_CONNECTIONS_PER_ADDRESS; i++) open.push((await rawEngine(h)).ws);
    await expect(rawEngine(h)).rejects.toThrow(/handshake refused: HTTP 4\d\d/);
    const polled = await fetch(`${h.url}/socket.io/?EIO=4&transport=polling`);
    expect(polled.status).toBe(403);
    expect(await polled.text()).toMatch(/too many connections/);
    open.pop()?.close();
    await waitFor(() => h.server.io.engine.clientsCount === DEFAULT_MAX_CONNECTIONS_PER_ADDRESS - 1, 2_000, 'the closed one to be counted out');
    open.push((await rawEngine(h)).ws);
  }, 15_000);

  it('counts connections by the X-Forwarded-For client only when trust proxy says so', () => {
    const req = (peer: string, xff?: string) => ({ socket: { remoteAddress: peer }, headers: xff ? { 'x-forwarded-for': xff } : {} }) as unknown as IncomingMessage;
    const app = express();
    app.set('trust proxy', 'loopback');
    const trusts = app.get('trust proxy fn') as (addr: string, hop: number) => boolean;
    expect(clientAddress(req('127.0.0.1', '203.0.113.7'), trusts)).toBe('203.0.113.7');
    expect(clientAddress(req('127.0.0.1', '198.51.100.1, 203.0.113.7'), trusts)).toBe('203.0.113.7');
    expect(clientAddress(req('198.51.100.9', '203.0.113.7'), trusts)).toBe('198.51.100.9');
    expect(clientAddress(req('127.0.0.1', '203.0.113.7'))).toBe('127.0.0.1');
  });
});

/** The alert changes a delta carries: whole alerts, patches and removals, and their bytes on the wire. */
function alertPart(d: Delta): { entries: number; bytes: number } {
  const part = { alerts: d.alerts, alertPatches: d.alertPatches, alertsRemoved: d.alertsRemoved };
  const entries = (d.alerts?.length ?? 0) + (d.alertPatches?.length ?? 0) + (d.alertsRemoved?.length ?? 0);
  return { entries, bytes: entries === 0 ? 0 : JSON.stringify(part).length };
}

describe('open alerts', () => {
  it('sends the floor one change, not 10,000 open alerts, when one of them is acknowledged while all of them grow; values follow coalesced and small', async () => {
    const h = await start();
    const N = 10_000;
    // 10,000 unreturned voicemails: after 4 h each has an open voicemail-return warning whose value grows every tick.
    const left = Array.from({ length: N }, (_, i) => ({ type: 'voicemail.left', id: `vm-e${i}`, at: T0, voicemailId: `vm-${i}`, queueId: 'q1' }));
    const res = await fetch(`${h.url}/api/events`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${INGEST_TOKEN}` }, body: JSON.stringify(left) });
    expect(res.status).toBe(200);
    const c = live(h, { scope: 'floor', token: VIEW_TOKEN });
    const mirror = new Mirror(c.socket);
    await c.firstSnapshot;
    h.clock.t = T0 + 4 * 3_600_000 + 1_000;
    h.server.tickNow();
    expect(h.server.state().alerts.size).toBe(N);
    await waitFor(() => mirror.state?.alerts.size === N, 10_000, 'the 10,000 warnings on the floor');
    const wholeBytes = c.deltas.reduce((n, d) => n + alertPart(d).bytes, 0);

    // A second later every value moved; then a supervisor acknowledges one of them.
    const from = c.deltas.length;
    h.clock.t += 1_000;
    h.server.tickNow();
    const target = 'voicemail-return:vm-42';
    const ack = await fetch(`${h.url}/api/alerts/${encodeURIComponent(target)}/ack`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${VIEW_TOKEN}` }, body: JSON.stringify({ note: 'calling back now' }) });
    expect(ack.status).toBe(200);
    await waitFor(() => c.deltas.slice(from).some((d) => d.alertPatches?.some((p) => p.id === target && p.ack !== undefined)), 3_000, 'the acknowledgement');
    const after = c.deltas.slice(from).map(alertPart);
    const entries = after.reduce((n, a) => n + a.entries, 0);
    const bytes = after.reduce((n, a) => n + a.bytes, 0);
    console.info(`open alerts: ${N} raised (${Math.round(wholeBytes / 1024)} kB whole); a tick and one acknowledgement then sent ${entries} alert change(s), ${bytes} bytes`);
    expect(entries).toBe(1);
    expect(bytes).toBeLessThan(1_000);
    expect(mirror.state?.alerts.get(target)?.ack?.note).toBe('calling back now');

    // The values that moved follow in one coalesced push of small patches, and the page ends equal to a fresh snapshot.
    const before = c.deltas.length;
    await waitFor(() => c.deltas.slice(before).some((d) => (d.alertPatches?.length ?? 0) > 1), ALERT_VALUE_PUSH_MS + 2_000, 'the coalesced values');
    const push = c.deltas.slice(before).find((d) => (d.alertPatches?.length ?? 0) > 1) as Delta;
    // Every value but the acknowledged one's, which went with its acknowledgement.
    expect(push.alertPatches).toHaveLength(N - 1);
    console.info(`open alerts: the coalesced values of ${push.alertPatches?.length} alerts: ${Math.round(alertPart(push).bytes / 1024)} kB, every ${ALERT_VALUE_PUSH_MS / 1000} s`);
    expect(alertPart(push).bytes).toBeLessThan(wholeBytes / 3);
    const fresh = await new Promise<Ack<Snapshot>>((resolve) => c.socket.emit('live:resync', resolve));
    expect(fresh.ok).toBe(true);
    if (fresh.ok) {
      await waitFor(() => mirror.seq === fresh.data.seq, 3_000, 'the mirror at the snapshot seq');
      expect(mirror.view({ stateOnly: true })).toEqual(comparable(stateOf(fresh.data.payload), { stateOnly: true }));
    }
  }, 30_000);
});
