/**
 * SIGTERM mid-ingest on the real server process (server/main.ts, as systemd
 * stops it): producers keep posting batches over HTTP and the /ingest socket,
 * a /live page is open; the process must exit 0, every event acknowledged to a
 * producer must be in the log, no batch half-written, every batch refused
 * while it stopped answered with a retry hint, and the live page told to
 * reconnect. Loopback only, bounded in time.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { io as ioClient } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { startChild, stopChild, type ChildServer } from './faults/child.ts';
import { openSqliteLog } from '../../server/log/sqlite.ts';
import { SHUTTING_DOWN } from '../../server/ingest.ts';
import type { Ack, IngestResult, ShutdownNotice } from '../../shared/wire.ts';

const INGEST = 'graceful-ingest-token';
const VIEW = 'graceful-view-token';
/** Events per batch: a torn batch would show. */
const BATCH = 25;
/** HTTP producers posting at once, so batches are in flight when the signal lands. */
const HTTP_PRODUCERS = 3;
/** Batches acknowledged (HTTP and socket together) before the SIGTERM. */
const SIGNAL_AFTER_ACKED = 60;
/** The stop must be over well inside the server's own 10 s limit. */
const EXIT_WITHIN_MS = 8_000;

let children: ChildServer[] = [];
let dirs: string[] = [];
afterEach(async () => {
  for (const c of children) await stopChild(c, 'SIGKILL');
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  children = [];
  dirs = [];
});

function batch(name: string) {
  const at = Date.now();
  return Array.from({ length: BATCH }, (_, i) => ({ type: 'call.queued', id: `${name}-${i}`, at, callId: `call-${name}-${i}`, queueId: 'graceful' }));
}

describe('graceful shutdown of the server process', () => {
  it('exits 0 on SIGTERM mid-ingest with every acknowledged event in the log, none half-written, and the live page told to reconnect', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'floorwatch-graceful-'));
    dirs.push(dataDir);
    const child = await startChild(['--simulator', 'off', '--demo', 'off', '--sync', 'full', '--port', '0', '--host', '127.0.0.1', '--data', dataDir], {
      FLOORWATCH_INGEST_TOKENS: INGEST,
      FLOORWATCH_API_TOKENS: VIEW,
    });
    children.push(child);

    // A live page, as the browser opens it.
    const page = ioClient(`${child.url}/live`, { auth: { scope: 'floor', token: VIEW }, transports: ['websocket'], reconnection: false, forceNew: true });
    const pageNotices: ShutdownNotice[] = [];
    page.on('server:shutdown', (n) => pageNotices.push(n));
    await new Promise<void>((resolve, reject) => {
      page.once('live:snapshot', () => resolve());
      page.once('connect_error', reject);
    });

    const sent = new Set<string>();
    const acked = new Set<string>();
    const refused: string[] = [];
    const problems: string[] = [];
    let signalled = false;
    const maybeSignal = () => {
      if (!signalled && acked.size >= SIGNAL_AFTER_ACKED) {
        signalled = true;
        child.proc.kill('SIGTERM');
      }
    };

    const httpProducer = async (p: number) => {
      for (let n = 0; ; n++) {
        const name = `h${p}-${n}`;
        sent.add(name);
        let res: Response;
        try {
          res = await fetch(`${child.url}/api/events`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${INGEST}` }, body: JSON.stringify(batch(name)) });
        } catch (err) {
          // The listener is gone: the stop is under way (before the signal, that is a failure).
          if (!signalled) problems.push(`${name}: ${(err as Error).message}`);
          return;
        }
        const body = (await res.json()) as { ok: boolean; data?: IngestResult; error?: string };
        if (res.status === 200 && body.data?.accepted === BATCH) acked.add(name);
        else if (res.status === 503 && signalled) {
          refused.push(name);
          if (res.headers.get('retry-after') === null || body.error !== SHUTTING_DOWN) problems.push(`${name}: 503 without the retry hint: ${JSON.stringify(body)}`);
          return;
        } else {
          problems.push(`${name}: ${res.status} ${JSON.stringify(body).slice(0, 200)}`);
          return;
        }
        maybeSignal();
      }
    };

    const ingest = ioClient(`${child.url}/ingest`, { auth: { token: INGEST }, transports: ['websocket'], reconnection: false, forceNew: true });
    const ingestNotices: ShutdownNotice[] = [];
    ingest.on('server:shutdown', (n) => ingestNotices.push(n));
    await new Promise<void>((resolve, reject) => {
      ingest.once('ingest:ready', () => resolve());
      ingest.once('connect_error', reject);
    });
    const socketProducer = async () => {
      for (let n = 0; ; n++) {
        const name = `s-${n}`;
        sent.add(name);
        let r: Ack<IngestResult>;
        try {
          r = (await ingest.timeout(5_000).emitWithAck('events:ingest', batch(name))) as Ack<IngestResult>;
        } catch (err) {
          // No answer: the socket was closed under a batch sent after the notice (never before the signal).
          if (!signalled) problems.push(`${name}: ${(err as Error).message}`);
          return;
        }
        if (r.ok && r.data.accepted === BATCH) acked.add(name);
        else if (!r.ok && signalled && r.error === SHUTTING_DOWN) {
          refused.push(name);
          return;
        } else {
          problems.push(`${name}: ${JSON.stringify(r).slice(0, 200)}`);
          return;
        }
        maybeSignal();
        if (!ingest.connected) return;
      }
    };

    const t0 = Date.now();
    await Promise.all([...Array.from({ length: HTTP_PRODUCERS }, (_, p) => httpProducer(p)), socketProducer()]);
    const code = await Promise.race([child.exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), EXIT_WITHIN_MS))]);
    const tookMs = Date.now() - t0;
    page.close();
    ingest.close();
    expect(problems, child.output()).toEqual([]);
    expect(signalled).toBe(true);
    expect(code, child.output()).toBe(0);
    expect(child.output()).toContain('SIGTERM: stopping');
    expect(child.output()).toMatch(/\bstopped\b/);

    // Sockets were told to reconnect: the page, and the producer on /ingest.
    expect(pageNotices).toHaveLength(1);
    expect(pageNotices[0].retryAfterSec).toBeGreaterThan(0);
    expect(ingestNotices).toHaveLength(1);

    // The log, reopened: every acknowledged batch whole, each batch whole or absent, nothing twice.
    const log = openSqliteLog({ file: path.join(dataDir, 'floorwatch.db') });
    const ids = new Map<string, number>();
    await log.replay((e) => ids.set(e.id, (ids.get(e.id) ?? 0) + 1));
    await log.close();
    expect([...ids.values()].every((n) => n === 1)).toBe(true);
    const countOf = (name: string) => Array.from({ length: BATCH }, (_, i) => `${name}-${i}`).filter((id) => ids.has(id)).length;
    const missing = [...acked].filter((name) => countOf(name) !== BATCH);
    expect(missing).toEqual([]);
    for (const name of sent) expect([0, BATCH], `batch ${name}`).toContain(countOf(name));
    for (const name of refused) expect(countOf(name), `refused batch ${name}`).toBe(0);
    // Nothing in the log that no producer was told about: the stop answers every batch it committed.
    const unanswered = [...sent].filter((name) => !acked.has(name) && countOf(name) === BATCH);
    expect(unanswered).toEqual([]);
    expect(ids.size).toBe(acked.size * BATCH);
    console.info(
      `graceful: ${acked.size} batches (${acked.size * BATCH} events) acknowledged, ${refused.length} refused with a retry hint while stopping, ` +
        `${sent.size - acked.size - refused.length} cut off by the closed listener; exit ${String(code)} ${tookMs} ms after the producers started`,
    );
  });
});
