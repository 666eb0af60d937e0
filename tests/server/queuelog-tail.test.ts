/**
 * The live queue_log tail: appends, partial lines, rotation by rename and by
 * truncation, retries; and, on a real server, a line appended to the file
 * shows on the floor view within a second.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { QueueLogTail, TAIL_POLL_MS } from '../../server/queuelog/tail.ts';
import type { FloorEvent } from '../../shared/events.ts';
import type { IngestResult } from '../../shared/wire.ts';
import type { FloorPayload, Snapshot } from '../../shared/wire.ts';
import { closeHarnessesAfterEach, VIEW_TOKEN, waitFor } from './harness.ts';

const B = 1_795_510_800; // 2026-11-24T09:00:00Z, the harness clock's start
const quiet = { info: () => {}, warn: () => {}, error: () => {} };

/** Tails, live clients and servers a test starts, stopped after it in that order. */
const opened = closeHarnessesAfterEach();

function ql(dt: number, callId: string, queue: string, agent: string, verb: string, ...data: (string | number)[]): string {
  return [B + dt, callId, queue, agent, verb, ...data].join('|');
}

function tempFile(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'floorwatch-tail-')), 'queue_log');
}

/** A tail whose submissions are recorded instead of ingested. */
function recordingTail(file: string, opts: { from?: 'start' | 'end'; failFirst?: number } = {}) {
  const submitted: FloorEvent[] = [];
  let failures = opts.failFirst ?? 0;
  const tail = new QueueLogTail({
    file,
    timeZone: 'UTC',
    pollMs: 20,
    from: opts.from,
    logger: quiet,
    submit: async (events): Promise<IngestResult> => {
      if (failures > 0) {
        failures--;
        throw new Error('event log unavailable');
      }
      submitted.push(...events);
      return { accepted: events.length, duplicates: 0, rejected: [] };
    },
  });
  opened.track(tail);
  return { tail: tail.start(), submitted, calls: () => submitted.filter((e) => e.type === 'call.queued').map((e) => e.callId) };
}

const enter = (dt: number, id: string) => ql(dt, id, 'sales', 'NONE', 'ENTERQUEUE', '', '555', 1) + '\n';

describe('queue_log tail', () => {
  it('reads the file from its start, then follows what is appended', async () => {
    const file = tempFile();
    fs.writeFileSync(file, enter(0, 'c1'));
    const { calls } = recordingTail(file);
    await waitFor(() => calls().length === 1, 2000, 'the existing line');
    fs.appendFileSync(file, enter(1, 'c2') + enter(2, 'c3'));
    await waitFor(() => calls().length === 3, 2000, 'the appended lines');
    expect(calls()).toEqual(['c1', 'c2', 'c3']);
  });

  it('waits for the rest of a line written in two parts', async () => {
    const file = tempFile();
    fs.writeFileSync(file, '');
    const { tail, calls } = recordingTail(file);
    const line = enter(0, 'c1');
    fs.appendFileSync(file, line.slice(0, 20));
    await new Promise((r) => setTimeout(r, 150));
    expect(calls()).toEqual([]);
    expect(tail.stats.lines.read).toBe(0);
    fs.appendFileSync(file, line.slice(20));
    await waitFor(() => calls().length === 1, 2000, 'the completed line');
    expect(tail.stats.lines).toMatchObject({ read: 1, mapped: 1, damaged: 0 });
  });

  it('finishes the old file and goes on with the new one when the file is rotated by rename', async () => {
    const file = tempFile();
    fs.writeFileSync(file, enter(0, 'c1'));
    const { tail, calls } = recordingTail(file);
    await waitFor(() => calls().length === 1, 2000, 'first line');
    // Asterisk writes one more line to the open file, then rotates: rename, and a new file.
    const fd = fs.openSync(file, 'a');
    fs.renameSync(file, `${file}.1`);
    fs.writeSync(fd, enter(1, 'c2'));
    fs.closeSync(fd);
    fs.writeFileSync(file, enter(2, 'c3') + enter(3, 'c4'));
    await waitFor(() => calls().length === 4, 3000, 'lines of both files');
    expect(calls()).toEqual(['c1', 'c2', 'c3', 'c4']);
    expect(tail.stats.rotations).toBe(1);
    fs.appendFileSync(file, enter(4, 'c5'));
    await waitFor(() => calls().length === 5, 2000, 'a line appended to the new file');
  });

  it('keeps reading while the rotated file has no successor yet', async () => {
    const file = tempFile();
    fs.writeFileSync(file, enter(0, 'c1'));
    const { calls } = recordingTail(file);
    await waitFor(() => calls().length === 1, 2000, 'first line');
    fs.renameSync(file, `${file}.1`);
    fs.appendFileSync(`${file}.1`, enter(1, 'c2'));
    await waitFor(() => calls().length === 2, 2000, 'a line written to the renamed file');
    fs.writeFileSync(file, enter(2, 'c3'));
    await waitFor(() => calls().length === 3, 2000, 'the new file');
  });

  it('starts over when the file is truncated in place (copytruncate)', async () => {
    const file = tempFile();
    fs.writeFileSync(file, enter(0, 'c1') + enter(1, 'c2'));
    const { tail, calls } = recordingTail(file);
    await waitFor(() => calls().length === 2, 2000, 'first lines');
    fs.truncateSync(file, 0);
    await new Promise((r) => setTimeout(r, 100));
    fs.appendFileSync(file, enter(2, 'c3'));
    await waitFor(() => calls().length === 3, 2000, 'line after the truncation');
    expect(calls()).toEqual(['c1', 'c2', 'c3']);
    expect(tail.stats.truncations).toBe(1);
  });

  it('waits for a file that does not exist yet', async () => {
    const file = tempFile();
    const { calls } = recordingTail(file);
    await new Promise((r) => setTimeout(r, 80));
    fs.writeFileSync(file, enter(0, 'c1'));
    await waitFor(() => calls().length === 1, 2000, 'the file to appear');
  });

  it('can start at the end of the file, reading only what is appended', async () => {
    const file = tempFile();
    fs.writeFileSync(file, enter(0, 'c1'));
    const { calls } = recordingTail(file, { from: 'end' });
    await new Promise((r) => setTimeout(r, 80));
    fs.appendFileSync(file, enter(1, 'c2'));
    await waitFor(() => calls().length === 1, 2000, 'the appended line');
    expect(calls()).toEqual(['c2']);
  });

  it('submits again until the pipeline accepts, losing nothing', async () => {
    const file = tempFile();
    fs.writeFileSync(file, enter(0, 'c1'));
    const { calls } = recordingTail(file, { failFirst: 1 });
    await waitFor(() => calls().length === 1, 4000, 'the retried submission');
  });

  it('counts damaged lines and carries on', async () => {
    const file = tempFile();
    fs.writeFileSync(file, `garbage\n${'\u0000'.repeat(20)}${enter(0, 'c1')}`);
    const { tail, calls } = recordingTail(file);
    await waitFor(() => calls().length === 1, 2000, 'the good line');
    expect(tail.stats.lines).toMatchObject({ read: 2, mapped: 1, damaged: 1 });
  });
});

describe('queue_log tail on a real server', () => {
  it('shows a line appended to the file on the floor view within a second', async () => {
    const h = await opened.start();
    const file = tempFile();
    fs.writeFileSync(file, ql(0, 'NONE', 'sales', 'SIP/1001', 'ADDMEMBER', '') + '\n');
    const tail = new QueueLogTail({ file, timeZone: 'UTC', logger: quiet, submit: (events) => h.server.pipeline.submit(events) }).start();
    opened.track(tail);
    await waitFor(() => h.server.state().agents.has('SIP/1001'), 3000, 'the existing line');
    const c = opened.live(h, { scope: 'floor', token: VIEW_TOKEN });
    const snap = (await c.firstSnapshot) as Snapshot<FloorPayload>;
    expect(snap.payload.agents.map((a) => a.agentId)).toEqual(['SIP/1001']);

    h.clock.t = (B + 5) * 1000; // Asterisk writes the line when the caller enters the queue
    const appendedAt = Date.now();
    fs.appendFileSync(file, ql(5, '1795510805.42', 'sales', 'NONE', 'ENTERQUEUE', '', '5550100', 1) + '\n');
    await waitFor(() => c.deltas.some((d) => d.calls?.some((x) => x.callId === '1795510805.42')), 1000, 'the call on the floor within 1 s');
    const latencyMs = Date.now() - appendedAt;
    expect(latencyMs).toBeLessThan(1000);
    expect(TAIL_POLL_MS).toBeLessThanOrEqual(250);
    const call = c.deltas.flatMap((d) => d.calls ?? []).find((x) => x.callId === '1795510805.42');
    expect(call).toMatchObject({ queueId: 'sales', status: 'queued', queuedAtMs: (B + 5) * 1000 });
  });

  it('ignores the same lines tailed twice: a restarted tail re-reads the file and changes nothing', async () => {
    const h = await opened.start();
    const file = tempFile();
    fs.writeFileSync(
      file,
      [
        ql(0, 'c1', 'sales', 'NONE', 'ENTERQUEUE', '', '555', 1),
        ql(20, 'c1', 'sales', 'SIP/1001', 'RINGNOANSWER', 15000),
        ql(25, 'c1', 'sales', 'SIP/1002', 'CONNECT', 25, 'x', 3),
      ].join('\n') + '\n',
    );
    const submit = (events: FloorEvent[]) => h.server.pipeline.submit(events);
    const first = new QueueLogTail({ file, timeZone: 'UTC', pollMs: 20, logger: quiet, submit }).start();
    opened.track(first);
    await waitFor(() => first.stats.accepted === 7, 3000, 'first read');
    await first.stop();
    const before = await h.log.count();
    const second = new QueueLogTail({ file, timeZone: 'UTC', pollMs: 20, logger: quiet, submit }).start();
    opened.track(second);
    await waitFor(() => second.stats.duplicates === 7, 3000, 'second read');
    expect(second.stats.accepted).toBe(0);
    expect(await h.log.count()).toBe(before);
    expect(h.server.state().calls.get('c1')).toMatchObject({ status: 'talking', agentId: 'SIP/1002', ringsToAnswer: 1 });
  });
});
