/**
 * Graceful stop, in process: `close()` refuses new ingest (HTTP 503 with
 * Retry-After, a socket batch's ack ok: false) while the batch already in
 * flight is committed and answered, saves the alerts waiting, and tells every
 * socket `server:shutdown` before closing it; the browser's connection store
 * then shows a restart, not an error. The signal handling of server/shutdown.ts
 * (exit 0, second signal or timeout: exit 1) is tested with a stand-in process.
 * tests/server/graceful-shutdown.test.ts does the same to a real process.
 */
import { EventEmitter } from 'node:events';
import http from 'node:http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { closeHarnessesAfterEach, connectIngest, INGEST_TOKEN, waitFor } from './harness.ts';
import { StoreClient } from './live-client.ts';
import { SHUTDOWN_RETRY_AFTER_SEC } from '../../server/app.ts';
import { SHUTTING_DOWN } from '../../server/ingest.ts';
import { openSqliteLog } from '../../server/log/sqlite.ts';
import { onStopSignals } from '../../server/shutdown.ts';
import type { FloorEvent } from '../../shared/events.ts';
import type { ShutdownNotice } from '../../shared/wire.ts';

const hs = closeHarnessesAfterEach();
let stores: StoreClient[] = [];
afterEach(() => {
  for (const s of stores) s.close();
  stores = [];
});

function queued(prefix: string, n: number, at: number) {
  return Array.from({ length: n }, (_, i) => ({ type: 'call.queued', id: `${prefix}-${i}`, at, callId: `${prefix}-call-${i}`, queueId: 'sales' }));
}

async function idsInLog(file: string): Promise<Set<string>> {
  const log = openSqliteLog({ file, synchronous: 'normal' });
  const ids = new Set<string>();
  await log.replay((e: FloorEvent) => void ids.add(e.id));
  await log.close();
  return ids;
}

describe('graceful stop of the server', () => {
  it('answers the batch in flight, refuses batches sent after the stop began (socket ack ok: false, in-server 503) and writes none of them', async () => {
    const h = await hs.start();
    const sock = connectIngest(h, INGEST_TOKEN);
    const notices: ShutdownNotice[] = [];
    sock.on('server:shutdown', (n) => notices.push(n));
    await new Promise<void>((resolve) => sock.once('ingest:ready', resolve));

    // The log append of the first batch waits on a gate: the stop begins while it is in flight.
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const append = h.log.append.bind(h.log);
    let appendsStarted = 0;
    h.log.append = async (events, receivedAtMs) => {
      appendsStarted++;
      await gate;
      return append(events, receivedAtMs);
    };
    const at = h.clock.now();
    const inFlight = fetch(`${h.url}/api/events`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${INGEST_TOKEN}` }, body: JSON.stringify(queued('a', 5, at)) });
    await waitFor(() => appendsStarted === 1, 3_000, 'the first append');

    const closed = h.server.close();
    expect(h.server.draining).toBe(true);
    // A batch over the socket, and one from a source inside the server (the simulator, a queue_log tail).
    const refusedSocket = await sock.timeout(2_000).emitWithAck('events:ingest', queued('c', 3, at));
    expect(refusedSocket).toEqual({ ok: false, error: SHUTTING_DOWN });
    await expect(h.server.pipeline.submit(queued('b', 3, at))).rejects.toMatchObject({ status: 503, message: SHUTTING_DOWN });

    open();
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(((await res.json()) as { data: { accepted: number } }).data.accepted).toBe(5);
    await closed;
    expect(notices).toEqual([{ retryAfterSec: SHUTDOWN_RETRY_AFTER_SEC, message: expect.stringContaining('stopping') }]);
    await waitFor(() => !sock.connected, 2_000, 'the ingest socket closed');
    sock.close();

    await h.log.close();
    const ids = await idsInLog(h.dbFile);
    expect([...ids].filter((id) => id.startsWith('a-'))).toHaveLength(5);
    expect([...ids].filter((id) => id.startsWith('b-') || id.startsWith('c-'))).toEqual([]);
  });

  it('answers an HTTP batch whose body is still coming when the stop begins with 503, Retry-After and Connection: close', async () => {
    const h = await hs.start();
    const arrived = new Promise((resolve) => h.server.httpServer.once('request', resolve));
    const body = JSON.stringify(queued('b', 2, h.clock.now()));
    const answer = new Promise<{ status: number; retryAfter: string | undefined; connection: string | undefined; body: string }>((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port: h.port, path: '/api/events', method: 'POST', agent: new http.Agent({ keepAlive: true }), headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), authorization: `Bearer ${INGEST_TOKEN}` } },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'], connection: res.headers.connection, body: text }));
        },
      );
      req.on('error', reject);
      req.write(body.slice(0, 10));
      // The rest once the stop has begun: the batch reaches the pipeline while it drains.
      void arrived.then(() => {
        const closed = h.server.close();
        req.end(body.slice(10));
        return closed;
      });
    });
    const refused = await answer;
    expect(refused.status).toBe(503);
    expect(refused.retryAfter).toBe(String(SHUTDOWN_RETRY_AFTER_SEC));
    expect(refused.connection).toBe('close');
    expect(JSON.parse(refused.body)).toEqual({ ok: false, error: SHUTTING_DOWN });
    await h.server.close();
    await h.log.close();
    expect([...(await idsInLog(h.dbFile))].filter((id) => id.startsWith('b-'))).toEqual([]);
  });

  it('tells a live page the server is restarting: the page shows no error and comes back by itself', async () => {
    const h = await hs.start();
    const c = new StoreClient(h.url, { kind: 'floor' }, { autoReconnect: true });
    stores.push(c);
    await waitFor(() => c.conn.status === 'live', 3_000, 'the first snapshot');
    await h.server.close();
    await waitFor(() => c.conn.status === 'lost', 3_000, 'the link lost');
    expect(c.conn.restarting).toEqual({ retryAfterSec: SHUTDOWN_RETRY_AFTER_SEC, message: expect.any(String) });
    // Refused reconnects while the server is away are not shown as errors.
    await new Promise((r) => setTimeout(r, 300));
    expect(c.conn.lastError).toBeNull();
    expect(c.conn.revoked).toBeNull();
    // The server back on the same address: the page reconnects, takes a fresh snapshot, and the restart is over.
    const again = await hs.start({ port: h.port, dbFile: h.dbFile });
    await waitFor(() => c.conn.status === 'live', 5_000, 'the page back live');
    expect(c.conn.restarting).toBeNull();
    expect(again.port).toBe(h.port);
  });
});

describe('stop signals', () => {
  function fakeProcess() {
    const target = new EventEmitter() as EventEmitter & Pick<NodeJS.Process, 'on' | 'off'>;
    const exits: number[] = [];
    return { target, exits, exit: (code: number) => void exits.push(code) };
  }
  const quiet = { info: () => {}, error: () => {} };
  afterEach(() => vi.useRealTimers());

  it('exits 0 once the stop has finished', async () => {
    const p = fakeProcess();
    let finish!: () => void;
    const stop = vi.fn(() => new Promise<void>((resolve) => (finish = resolve)));
    onStopSignals({ stop, exit: p.exit, target: p.target, logger: quiet });
    p.target.emit('SIGTERM', 'SIGTERM');
    expect(stop).toHaveBeenCalledTimes(1);
    await Promise.resolve();
    expect(p.exits).toEqual([]);
    finish();
    await vi.waitFor(() => expect(p.exits).toEqual([0]));
  });

  it('exits 1 at a second signal, without waiting for the stop', () => {
    const p = fakeProcess();
    const stop = vi.fn(() => new Promise<void>(() => {}));
    onStopSignals({ stop, exit: p.exit, target: p.target, logger: quiet });
    p.target.emit('SIGINT', 'SIGINT');
    p.target.emit('SIGTERM', 'SIGTERM');
    expect(stop).toHaveBeenCalledTimes(1);
    expect(p.exits).toEqual([1]);
  });

  it('exits 1 when the stop outlasts the timeout, or fails', async () => {
    vi.useFakeTimers();
    const p = fakeProcess();
    onStopSignals({ stop: () => new Promise<void>(() => {}), exit: p.exit, target: p.target, logger: quiet, timeoutMs: 10_000 });
    p.target.emit('SIGTERM', 'SIGTERM');
    vi.advanceTimersByTime(9_999);
    expect(p.exits).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(p.exits).toEqual([1]);

    const q = fakeProcess();
    onStopSignals({ stop: () => Promise.reject(new Error('disk gone')), exit: q.exit, target: q.target, logger: quiet });
    q.target.emit('SIGTERM', 'SIGTERM');
    await vi.waitFor(() => expect(q.exits).toEqual([1]));
  });
});
