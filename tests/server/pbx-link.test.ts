/** The PBX inputs' shared parts (server/pbx-link.ts): the link's life, the queue to the log, order, bound, retry, stop; and HOST:PORT. */
import { describe, expect, it } from 'vitest';
import { PbxSubmitQueue, formatHostPort, parseHostPort, type PbxSubmitCounts } from '../../server/pbx-link.ts';
import type { FloorEventInput } from '../../shared/events.ts';
import type { IngestResult } from '../../shared/wire.ts';

const ev = (n: number) => ({ type: 'call.escalation', id: `e${n}`, at: 1_764_000_000_000 + n, callId: 'c' }) as FloorEventInput;
const counts = (): PbxSubmitCounts => ({ events: 0, accepted: 0, duplicates: 0, rejected: 0, dropped: 0 });

describe('PbxSubmitQueue', () => {
  it('submits in order, drops the oldest beyond its bound, retries a refused batch, and counts each', async () => {
    const got: string[] = [];
    const reports: string[] = [];
    let refuse = 1;
    const c = counts();
    const q = new PbxSubmitQueue(
      {
        label: 'AMI',
        submit: async (events): Promise<IngestResult> => {
          if (refuse-- > 0) throw new Error('log down');
          got.push(...events.map((e) => e.id as string));
          return { accepted: events.length - 1, duplicates: 1, rejected: [] };
        },
        report: (m) => reports.push(m),
        warn: (m) => reports.push(m),
        stopped: () => false,
        maxPending: 3,
        retryMs: 5,
      },
      c,
    );
    q.enqueue([ev(1), ev(2), ev(3), ev(4)]);
    expect(q.size).toBe(3);
    await new Promise((r) => setTimeout(r, 40));
    await q.settled();
    expect(got).toEqual(['e2', 'e3', 'e4']);
    expect(c).toEqual({ events: 4, accepted: 2, duplicates: 1, rejected: 0, dropped: 1 });
    expect(reports).toEqual(['AMI: the event log has not accepted events for a long time; 1 oldest events dropped', 'AMI: submitting events failed (log down); retrying']);
  });

  it('gives a refused batch up once the input is stopped', async () => {
    const c = counts();
    const q = new PbxSubmitQueue({ label: 'FreeSWITCH', submit: () => Promise.reject(new Error('down')), report: () => {}, warn: () => {}, stopped: () => true }, c);
    q.enqueue([ev(1)]);
    await q.settled();
    expect(q.size).toBe(1);
    expect(c.accepted).toBe(0);
  });
});

describe('parseHostPort', () => {
  it('reads host, IPv6 and the default port, and names the flag in its errors', () => {
    expect(parseHostPort('pbx:5039', '--ami', 5038)).toEqual({ host: 'pbx', port: 5039 });
    expect(parseHostPort('[::1]', '--freeswitch', 8021)).toEqual({ host: '::1', port: 8021 });
    expect(() => parseHostPort('pbx:0', '--freeswitch', 8021)).toThrow('--freeswitch: port must be 1..65535, got "0"');
    expect(() => parseHostPort('a b', '--ami', 5038)).toThrow('--ami: expected HOST:PORT, got "a b"');
    expect(formatHostPort('::1', 8021)).toBe('[::1]:8021');
    expect(formatHostPort('pbx', 5038)).toBe('pbx:5038');
    expect(parseHostPort(formatHostPort('fe80::1', 5038), '--ami', 1)).toEqual({ host: 'fe80::1', port: 5038 });
  });
});
