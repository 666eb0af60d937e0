/**
 * A call's drill-down completed with the alerts the log recorded on it (client/src/callAlerts.ts): the live
 * floor forgets resolved alerts (its last 500) before it forgets ended calls (its last 2,000).
 */
import { describe, expect, it } from 'vitest';
import { CALL_ALERTS_AFTER_MS, completeCallAlerts, loadCallDetail, loggedCallAlerts, withLoggedAlerts, type ApiGet } from '../../client/src/callAlerts.ts';
import { defaultConfig } from '../../shared/config.ts';
import type { Alert } from '../../shared/state.ts';
import type { CallDetail } from '../../shared/wire.ts';

const T = Date.UTC(2026, 10, 24, 9, 0);
const alert = (id: string, callId: string, atSec: number, over: Partial<Alert> = {}): Alert => ({
  id, ruleId: 'hold-long', level: 'warn', status: 'resolved', callId, agentId: 'A', queueId: 'sales', value: 50, threshold: 45, unit: 'sec', raisedAtMs: T + atSec * 1000, updatedAtMs: T + atSec * 1000, ...over,
});
const detail = (alerts: Alert[]): CallDetail => ({
  callId: 'c1', queueId: 'sales', agentId: 'A', status: 'ended', queuedAtMs: T, ringStartMs: T + 1_000, ringAttempts: 1, answeredAtMs: T + 5_000, ringsToAnswer: 1, holdStartMs: null, holdCount: 1, holdSec: 50, endedAtMs: T + 300_000,
  caller: null, timeline: [{ atMs: T, type: 'call.queued' }, { atMs: T + 300_000, type: 'call.ended' }], alerts,
});

/** An API stand-in answering `/api/alerts` with `alerts` (or failing), keeping what was asked. */
function api(alerts: Alert[] | null, asked: string[] = []): ApiGet {
  return (async (path: string) => {
    asked.push(path);
    return alerts === null ? { ok: false, error: 'a supervisor’s', status: 403 } : { ok: true, data: alerts };
  }) as ApiGet;
}

describe('a call’s alerts from the log', () => {
  it('asks for the call’s span and two hours after, and keeps only that call’s alerts, oldest first', async () => {
    const asked: string[] = [];
    const got = await loggedCallAlerts('c1', T, T + 300_000, api([alert('b', 'c1', 200), alert('x', 'c2', 100), alert('a', 'c1', 80)], asked));
    expect(got?.map((a) => a.id)).toEqual(['a', 'b']);
    const q = new URLSearchParams(asked[0].split('?')[1]);
    expect(asked[0].startsWith('/api/alerts?')).toBe(true);
    expect([Number(q.get('sinceMs')), Number(q.get('untilMs'))]).toEqual([T, T + 300_000 + CALL_ALERTS_AFTER_MS]);
    expect(await loggedCallAlerts('c1', T, T + 1, api(null))).toBeNull();
  });

  it('adds to a live call’s detail the logged alerts it no longer holds, its own version winning', () => {
    const open = alert('hold-long:c1:2', 'c1', 250, { status: 'open', level: 'breach', value: 95 });
    const d = withLoggedAlerts(detail([open]), [alert('hold-long:c1:1', 'c1', 80), alert('hold-long:c1:2', 'c1', 250, { value: 60 })], 'live');
    expect(d.alerts.map((a) => [a.id, a.level, a.value])).toEqual([['hold-long:c1:1', 'warn', 50], ['hold-long:c1:2', 'breach', 95]]);
  });

  it('gives a call rebuilt with today’s settings the alerts the log recorded under the settings of its day', () => {
    // Rebuilt under a later, stricter threshold the call breached; on its day it warned.
    const rebuilt = detail([alert('hold-long:c1:1', 'c1', 80, { level: 'breach' })]);
    expect(withLoggedAlerts(rebuilt, [alert('hold-long:c1:1', 'c1', 80)], 'rebuilt').alerts.map((a) => a.level)).toEqual(['warn']);
    // The log not reachable: the rebuilt alerts stand.
    expect(withLoggedAlerts(rebuilt, null, 'rebuilt')).toBe(rebuilt);
  });

  it('completes a detail whose alerts were all forgotten, so a warned call does not read "None"', async () => {
    const d = await completeCallAlerts(detail([]), 'live', api([alert('hold-long:c1:1', 'c1', 80)]));
    expect(d.alerts.map((a) => [a.ruleId, a.level])).toEqual([['hold-long', 'warn']]);
  });

  it('keeps the transcript and its mode the server sends beside a past call’s events when the call is rebuilt', async () => {
    const transcript = [{ speaker: 'caller' as const, startMs: T + 9_000, endMs: T + 10_000, text: 'Pardon?', spans: [{ cue: 'clarity', start: 0, end: 6 }], alertIds: ['clarity:c1'] }];
    const get = (async (path: string) =>
      path.startsWith('/api/calls/') ? { ok: true, data: { callId: 'c1', events: [], transcript, transcriptMode: 'evidence' } } : { ok: true, data: [] }) as ApiGet;
    const r = await loadCallDetail('c1', '/api/calls/c1?day=2026-11-24', defaultConfig(), get, () => detail([]));
    expect('detail' in r && r.detail ? [r.detail.transcript, r.detail.transcriptMode] : null).toEqual([transcript, 'evidence']);
    const bare = await loadCallDetail('c1', '/api/calls/c1', defaultConfig(), (async (path: string) => (path.startsWith('/api/calls/') ? { ok: true, data: { callId: 'c1', events: [] } } : { ok: true, data: [] })) as ApiGet, () => detail([]));
    expect('detail' in bare && bare.detail ? 'transcript' in bare.detail || 'transcriptMode' in bare.detail : null).toBe(false);
  });
});
