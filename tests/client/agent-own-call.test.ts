// @vitest-environment happy-dom
/**
 * An agent's own calls (issue 18): the greeting nudge goes once the agent has been heard, so a silence
 * nudge can show; an agent's drill-down is loaded without asking the supervisors' alerts API.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { flushPromises, mount } from '@vue/test-utils';
import AgentView from '../../client/src/views/AgentView.vue';
import { defaultConfig } from '../../shared/config.ts';
import { startLiveClient, stopLiveClient } from './helpers.ts';
import type { AgentPayload, Snapshot } from '../../shared/wire.ts';
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

describe('the agent’s page opens their own call', () => {
  afterEach(() => {
    stopLiveClient();
    vi.unstubAllGlobals();
  });

  it.each(['en', 'tr', 'et'] as const)('from a card to improve, with the evidence the server sends, in %s', async (lang) => {
    setLocale(lang);
    const T0 = ANS + 3_600_000;
    const socket = startLiveClient(T0);
    socket.fire('connect');
    const lang1 = alert('language:c1', 'language', { level: 'breach', status: 'resolved', evidence: [{ speaker: 'agent', startMs: ANS + 7_000, endMs: ANS + 9_000 }] });
    const me = {
      agentId: '1001', name: 'Ada', team: 'north', queues: ['sales'], presence: 'available', reason: null, activity: 'available', activitySinceMs: T0,
      callId: null, handled: 1, quota: 30, shiftStartMs: T0 - 3_600_000, shiftMinutes: 480, ahtSec: 200, holds: 0, holdSec: 0, ringNoAnswer: 0, ringCanceled: 0,
      ringsHist: [0, 1, 0, 0, 0, 0, 0], holdHist: [0, 0, 0, 0, 0], alertsByRule: {}, openAlerts: 0, worstOpenLevel: null,
    };
    const snap = {
      scope: { kind: 'agent', agentId: '1001' }, seq: 1, serverNowMs: Date.now(), day: { startMs: T0 - 36_000_000, endMs: T0 + 50_000_000 }, config: defaultConfig(),
      payload: { me, calls: [], voicemails: [], callbacks: [], alerts: [lang1], totals: null, notes: [] },
    } as unknown as Snapshot<AgentPayload>;
    socket.fire('live:snapshot', snap);
    const detail = {
      callId: 'c1', status: 'ended', agentId: '1001', queueId: 'sales', caller: null, queuedAtMs: ANS - 3_000, ringStartMs: ANS - 2_000, ringAttempts: 1, answeredAtMs: ANS, ringsToAnswer: 1,
      holdStartMs: null, holdCount: 0, holdSec: 0, endedAtMs: ANS + 30_000, timeline: [{ atMs: ANS, type: 'call.answered', agentId: '1001' }], alerts: [lang1], transcriptMode: 'evidence',
      transcript: [{ speaker: 'agent', startMs: ANS + 7_000, endMs: ANS + 9_000, text: 'Yes, d\u2022\u2022\u2022 cold though', spans: [{ cue: 'language', start: 5, end: 9 }], alertIds: ['language:c1'], masked: true }],
    };
    const asked: string[] = [];
    vi.stubGlobal('fetch', async (url: string) => {
      asked.push(url);
      const body = url === '/api/calls/c1' ? { ok: true, data: detail } : { ok: false, error: 'agents may not do this' };
      return new Response(JSON.stringify(body), { status: url === '/api/calls/c1' ? 200 : 403, headers: { 'content-type': 'application/json' } });
    });
    const w = mount(AgentView, { props: { agentId: '1001' }, attachTo: document.body });
    const open = w.find('[data-testid=me-breach] [data-testid=me-open-call]');
    expect(open.text()).not.toMatch(/^me\./);
    expect(open.attributes('aria-label')).toContain('Ada');
    await open.trigger('click');
    await flushPromises();
    expect(asked).toEqual(['/api/calls/c1']);
    const dialog = w.find('[data-testid=call-detail]');
    expect(dialog.exists()).toBe(true);
    expect(dialog.findAll('[data-testid=alert-evidence]').length).toBeGreaterThan(0);
    expect(dialog.find('[data-testid=transcript-segment]').text()).toContain('d\u2022\u2022\u2022');
    w.unmount();
  });
});
