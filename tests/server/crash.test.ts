/**
 * Crash safety: the real server process is killed with SIGKILL in the middle
 * of a steady ingest, then started again on the same data folder. Every
 * batch it acknowledged must be in the state, none twice; a batch in flight
 * at the kill is all there or not there at all (one transaction per commit).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startChild, stopChild, type ChildServer } from './faults/child.ts';
import { openSqliteLog } from '../../server/log/sqlite.ts';
import type { FloorPayload, IngestResult, Snapshot } from '../../shared/wire.ts';

const INGEST = 'crash-ingest-token';
const VIEW = 'crash-view-token';
/** Events per batch: small enough for many commits before the kill, big enough that a torn batch would show. */
const BATCH = 40;
/** Producers posting at once, so several batches are in flight (and share commits) when the kill lands. */
const PRODUCERS = 4;
/** Acknowledged batches before the kill: enough commits to land the kill mid-stream. */
const KILL_AFTER_ACKED = 60;

let children: ChildServer[] = [];
let dirs: string[] = [];
afterEach(async () => {
  for (const c of children) await stopChild(c, 'SIGKILL');
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  children = [];
  dirs = [];
});

async function start(dataDir: string): Promise<ChildServer> {
  const c = await startChild(['--simulator', 'off', '--demo', 'off', '--sync', 'full', '--port', '0', '--host', '127.0.0.1', '--data', dataDir], {
    FLOORWATCH_INGEST_TOKENS: INGEST,
    FLOORWATCH_API_TOKENS: VIEW,
  });
  children.push(c);
  return c;
}

function batchEvents(b: number) {
  const at = Date.now();
  return Array.from({ length: BATCH }, (_, i) => ({ type: 'call.queued', id: `k-${b}-${i}`, at, callId: `call-${b}-${i}`, queueId: 'crash' }));
}

describe('crash safety', () => {
  it('keeps every acknowledged event exactly once, and no half batch, after a SIGKILL mid-ingest and a restart', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'floorwatch-crash-'));
    dirs.push(dataDir);
    const first = await start(dataDir);

    const acked = new Set<number>();
    const sent = new Set<number>();
    let next = 0;
    let killed = false;
    const producer = async () => {
      while (!killed) {
        const b = next++;
        sent.add(b);
        try {
          const res = await fetch(`${first.url}/api/events`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${INGEST}` },
            body: JSON.stringify(batchEvents(b)),
          });
          const body = (await res.json()) as { ok: boolean; data: IngestResult };
          if (res.status === 200 && body.data.accepted === BATCH) acked.add(b);
          else throw new Error(`batch ${b}: ${res.status} ${JSON.stringify(body).slice(0, 200)}`);
        } catch (err) {
          if (!killed) throw err;
        }
        if (!killed && acked.size >= KILL_AFTER_ACKED) {
          killed = true;
          first.proc.kill('SIGKILL');
        }
      }
    };
    await Promise.all(Array.from({ length: PRODUCERS }, producer));
    await first.exited;
    expect(first.proc.signalCode).toBe('SIGKILL');
    const inFlight = [...sent].filter((b) => !acked.has(b));
    expect(acked.size).toBeGreaterThanOrEqual(KILL_AFTER_ACKED);

    // Restart on the same folder: the state is rebuilt from the log.
    const second = await start(dataDir);
    const res = await fetch(`${second.url}/api/snapshot?scope=floor`, { headers: { authorization: `Bearer ${VIEW}` } });
    const floor = ((await res.json()) as { data: Snapshot<FloorPayload> }).data.payload;
    const callIds = floor.calls.map((c) => c.callId);
    const present = new Set(callIds);
    expect(callIds.length, 'no call twice in the state').toBe(present.size);

    // Every acknowledged batch is there, whole.
    const missing = [...acked].flatMap((b) => Array.from({ length: BATCH }, (_, i) => `call-${b}-${i}`)).filter((id) => !present.has(id));
    expect(missing).toEqual([]);
    // A batch in flight at the kill is all there or not at all.
    const recoveredInFlight = inFlight.filter((b) => present.has(`call-${b}-0`));
    for (const b of inFlight) {
      const n = Array.from({ length: BATCH }, (_, i) => `call-${b}-${i}`).filter((id) => present.has(id)).length;
      expect([0, BATCH], `batch ${b} in flight at the kill`).toContain(n);
    }
    const expected = (acked.size + recoveredInFlight.length) * BATCH;
    expect(present.size).toBe(expected);
    // Each event counted once by the metrics too.
    expect(floor.queues.find((q) => q.queueId === 'crash')?.offered).toBe(expected);

    // And the log file itself holds each id once.
    await stopChild(second);
    const log = openSqliteLog({ file: path.join(dataDir, 'floorwatch.db') });
    const ids = new Map<string, number>();
    await log.replay((e) => ids.set(e.id, (ids.get(e.id) ?? 0) + 1));
    await log.close();
    expect(ids.size).toBe(expected);
    expect([...ids.values()].every((n) => n === 1)).toBe(true);
    console.info(
      `crash: ${acked.size} batches (${acked.size * BATCH} events) acknowledged before SIGKILL, ${inFlight.length} in flight ` +
        `(${recoveredInFlight.length} of them committed whole); ${ids.size} events recovered`,
    );
  });
});
