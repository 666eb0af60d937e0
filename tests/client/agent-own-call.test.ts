// @vitest-environment happy-dom
/**
 * An agent's own calls (issue 18): the greeting nudge goes once the agent has been heard, so a silence
 * nudge can show; an agent's drill-down is loaded without asking the supervisors' alerts API.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { conversationNudge } from '../../client/src/conversation.ts';
import { loadCallDetail, type ApiGet } from '../../client/src/callAlerts.ts';
import { setLocale } from '../../client/src/i18n/index.ts';
import type { Alert } from '../../shared/state.ts';
import type { CallDetail } from '../../shared/wire.ts';

const ANS = Date.UTC(2026, 10, 30, 9, 0, 10);
const alert = (id: string, ruleId: Alert['ruleId'], over: Partial<Alert> = {}): Alert => ({
  id, ruleId, level: 'warn', status: 'open', callId: 'c1', agentId: '1001', queueId: 'sales', value: 1, threshold: 1, unit: 'event', raisedAtMs: ANS, updatedAtMs: ANS, ...over,
});

beforeEach(() => setLocale('en'));
afterEach(() => setLocale('en'));

describe('the greeting nudge once the agent is heard', () => {
  const late = alert('greeting:c1:1:late', 'greeting', { unit: 'sec', value: 7, threshold: 5 });
  const heard = { ...late, status: 'resolved' as const, updatedAtMs: ANS + 8_000 };

  it('asks for the name while the agent is unheard, and stops when the late greeting resolves', () => {
    expect(conversationNudge([late], 'c1', ANS + 7_000)?.text).toBe('Say your name and the company');
    expect(conversationNudge([heard], 'c1', ANS + 9_000)).toBeNull();
  });

  it('lets a later silence nudge show after a late greeting, in each language', () => {
    const silence = { sinceMs: ANS + 20_000, leadSec: 12 };
    expect(conversationNudge([heard], 'c1', ANS + 32_000, silence)).toMatchObject({ ruleId: 'dead-air', level: 'info', text: 'Silence 12 s — tell the caller what you are doing' });
    setLocale('tr');
    expect(conversationNudge([heard], 'c1', ANS + 32_000, silence)?.ruleId).toBe('dead-air');
  });

  it('puts a growing silence ahead of a tip about missing words, but an open late greeting ahead of the silence', () => {
    const missing = alert('greeting:c1:1', 'greeting', { status: 'resolved', level: 'breach', updatedAtMs: ANS + 3_000 });
    const silence = { sinceMs: ANS + 5_000, leadSec: 12 };
    expect(conversationNudge([missing], 'c1', ANS + 10_000, silence)?.ruleId).toBe('greeting');
    expect(conversationNudge([missing], 'c1', ANS + 17_000, silence)?.ruleId).toBe('dead-air');
    expect(conversationNudge([late], 'c1', ANS + 17_000, silence)?.ruleId).toBe('greeting');
  });
});

describe('an agent’s drill-down', () => {
  it('is the server’s answer as it is, without the supervisors’ alerts API', async () => {
    const detail = { callId: 'c1', timeline: [{ atMs: ANS, type: 'call.answered' }], alerts: [], queuedAtMs: ANS - 5_000, endedAtMs: ANS + 60_000 } as unknown as CallDetail;
    const asked: string[] = [];
    const get = (async (path: string) => {
      asked.push(path);
      return path.startsWith('/api/calls/') ? { ok: true, data: detail } : { ok: false, error: 'agents may not do this', status: 403 };
    }) as ApiGet;
    const r = await loadCallDetail('c1', '/api/calls/c1', null, get, () => null, { loggedAlerts: false });
    expect(r).toEqual({ detail });
    expect(asked).toEqual(['/api/calls/c1']);
    await loadCallDetail('c1', '/api/calls/c1', null, get, () => null);
    expect(asked.some((p) => p.startsWith('/api/alerts'))).toBe(true);
  });
});
