/**
 * GET /api/alerts?limit=N for a scoped supervisor (issue 17): the scope is applied before the
 * limit, so a supervisor of one queue asking for 50 gets 50 of theirs when the log holds that many,
 * and the log is read in bounded pages (server/scope-guard.ts listAlertsInScope), never whole.
 */
import { describe, expect, it } from 'vitest';
import { closeHarnessesAfterEach, type Harness } from './harness.ts';
import { listAlertsInScope } from '../../server/scope-guard.ts';
import { WHOLE_FLOOR, type ScopeFilter } from '../../shared/scope.ts';
import type { Alert } from '../../shared/state.ts';
import type { AlertQuery } from '../../server/log/store.ts';

const servers = closeHarnessesAfterEach();
const PASSWORD = 'alerts-limit-password-1';

function alert(i: number, queueId: string): Alert {
  const at = Date.UTC(2026, 0, 5, 9) + i * 1_000;
  return { id: `queue-wait:${queueId}:${i}`, ruleId: 'queue-wait', level: 'warn', status: 'resolved', queueId, value: 40, threshold: 30, unit: 'sec', raisedAtMs: at, updatedAtMs: at };
}

/** 1,200 alerts, one in 20 of queue q1 (60 in all), the rest q2's; ids newest first as the log answers. */
async function floorWithAlerts(): Promise<{ h: Harness; lead: string; admin: string; q1Newest: string[] }> {
  const h = await servers.start();
  const now = h.clock.now();
  await h.auth.createUser({ username: 'boss', password: PASSWORD, role: 'admin' }, now);
  await h.auth.createUser({ username: 'lead', password: PASSWORD, role: 'supervisor', scope: { queues: ['q1'] } }, now);
  const all = Array.from({ length: 1_200 }, (_, i) => alert(i, i % 20 === 0 ? 'q1' : 'q2'));
  await h.log.saveAlerts(all);
  const q1Newest = all.filter((a) => a.queueId === 'q1').reverse().map((a) => a.id);
  return { h, lead: await login(h, 'lead'), admin: await login(h, 'boss'), q1Newest };
}

async function login(h: Harness, username: string): Promise<string> {
  const res = await fetch(`${h.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: PASSWORD }) });
  expect(res.status).toBe(200);
  return (res.headers.get('set-cookie') ?? '').split(';')[0];
}

async function alertsOf(h: Harness, cookie: string, query: string): Promise<Alert[]> {
  const res = await fetch(`${h.url}/api/alerts${query}`, { headers: { cookie } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { data: Alert[] }).data;
}

describe('GET /api/alerts for a scoped supervisor', () => {
  it('applies the scope before the limit: 50 of theirs when more exist, all of theirs when fewer', async () => {
    const { h, lead, admin, q1Newest } = await floorWithAlerts();
    const fifty = await alertsOf(h, lead, '?limit=50');
    expect(fifty.map((a) => a.id)).toEqual(q1Newest.slice(0, 50));
    expect((await alertsOf(h, lead, '?limit=500')).map((a) => a.id)).toEqual(q1Newest);
    // The time window still applies, with the scope.
    const since = Date.UTC(2026, 0, 5, 9) + 600 * 1_000;
    const windowed = await alertsOf(h, lead, `?limit=50&sinceMs=${since}`);
    expect(windowed.map((a) => a.id)).toEqual(q1Newest.filter((id) => Number(id.split(':')[2]) >= 600));
    // The whole floor: the newest 50 of every queue, as before.
    const admins = await alertsOf(h, admin, '?limit=50');
    expect(admins).toHaveLength(50);
    expect(admins.filter((a) => a.queueId === 'q1')).toHaveLength(2);
  });
});

describe('listAlertsInScope', () => {
  const onlyQ1: ScopeFilter = { ...WHOLE_FLOOR, restricted: true, alert: (a) => a.queueId === 'q1' };
  function fakeLog(alerts: Alert[]): { listAlerts: (q?: AlertQuery) => Promise<Alert[]>; reads: AlertQuery[] } {
    const reads: AlertQuery[] = [];
    const sorted = [...alerts].sort((a, b) => b.raisedAtMs - a.raisedAtMs || a.id.localeCompare(b.id));
    return {
      reads,
      listAlerts: async (q: AlertQuery = {}) => {
        reads.push(q);
        const from = q.offset ?? 0;
        return sorted.slice(from, from + (q.limit ?? 1_000));
      },
    };
  }

  it('reads page by page until the limit is filled, and no further', async () => {
    const log = fakeLog(Array.from({ length: 100 }, (_, i) => alert(i, i % 10 === 0 ? 'q1' : 'q2')));
    const got = await listAlertsInScope(log, onlyQ1, { limit: 3 }, 10, 1_000);
    expect(got.map((a) => a.id)).toEqual(['queue-wait:q1:90', 'queue-wait:q1:80', 'queue-wait:q1:70']);
    expect(log.reads.map((r) => [r.offset, r.limit])).toEqual([[0, 10], [10, 10], [20, 10]]);
  });

  it('stops at the cap of alerts read and answers with what it found, so a large log is never read whole', async () => {
    const log = fakeLog(Array.from({ length: 1_000 }, (_, i) => alert(i, i === 0 || i === 990 ? 'q1' : 'q2')));
    const got = await listAlertsInScope(log, onlyQ1, { limit: 50 }, 10, 25);
    expect(got.map((a) => a.id)).toEqual(['queue-wait:q1:990']);
    expect(log.reads.map((r) => [r.offset, r.limit])).toEqual([[0, 10], [10, 10], [20, 5]]);
  });

  it('stops at the end of the log, and asks the log once for an unrestricted filter', async () => {
    const log = fakeLog(Array.from({ length: 15 }, (_, i) => alert(i, 'q1')));
    expect(await listAlertsInScope(log, onlyQ1, { limit: 50 }, 10, 1_000)).toHaveLength(15);
    expect(log.reads).toHaveLength(2);
    const whole = fakeLog(Array.from({ length: 15 }, (_, i) => alert(i, 'q2')));
    expect(await listAlertsInScope(whole, WHOLE_FLOOR, { limit: 5 })).toHaveLength(5);
    expect(whole.reads).toEqual([{ limit: 5 }]);
  });
});
