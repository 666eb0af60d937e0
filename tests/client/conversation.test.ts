// @vitest-environment happy-dom
/**
 * The conversation rules on the client (issue 18): timeline entries, evidence, transcript segments with
 * their cues, the drill-down that shows them, and the agent's one live nudge.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import CallDetail from '../../client/src/components/CallDetail.vue';
import { CONVERSATION_TIMELINE_TYPES, NUDGE_TIP_MS, conversationNudge, describeConversation, evidenceTexts, transcriptParts } from '../../client/src/conversation.ts';
import { i18n, setLocale } from '../../client/src/i18n/index.ts';
import type { Alert } from '../../shared/state.ts';
import type { CallDetail as Detail } from '../../shared/wire.ts';

const T = Date.UTC(2026, 10, 30, 9, 0);
const ANS = T + 10_000;
const alert = (id: string, ruleId: Alert['ruleId'], over: Partial<Alert> = {}): Alert => ({
  id, ruleId, level: 'warn', status: 'open', callId: 'c1', agentId: '1001', queueId: 'sales', value: 1, threshold: 1, unit: 'event', raisedAtMs: ANS, updatedAtMs: ANS, ...over,
});

beforeEach(() => {
  setActivePinia(createPinia());
  setLocale('en');
});
afterEach(() => setLocale('en'));

describe('conversation timeline entries', () => {
  const entries: Record<(typeof CONVERSATION_TIMELINE_TYPES)[number], Record<string, string | number | boolean>> = {
    'conversation.greeting': { greeted: true, name: true, company: false },
    'conversation.repeat-request': { request: 2 },
    'conversation.language': { words: 2 },
    'conversation.dont-know': { n: 1 },
    'conversation.find-out': { dontKnow: 1 },
    'conversation.dead-air': { sec: 32 },
    'conversation.talk-over': { n: 3 },
  };

  it.each(['en', 'tr', 'et'] as const)('says every type in words in %s, never a raw key or an empty text', (lang) => {
    setLocale(lang);
    for (const [type, detail] of Object.entries(entries)) {
      const line = describeConversation({ type, detail }, 'Ada');
      expect(line, type).not.toBeNull();
      expect(line!.text.trim(), type).not.toBe('');
      expect(line!.text, type).not.toMatch(/\b(conv|tx|ev)\.[a-zA-Z]/);
    }
  });

  it('ticks the greeting’s parts, and is null for other types', () => {
    const g = describeConversation({ type: 'conversation.greeting', detail: { greeted: true, name: true, company: false } }, 'Ada');
    expect(g?.text).toBe('first words of Ada');
    expect(g?.ticks).toEqual([{ label: 'greeting', ok: true }, { label: 'name', ok: true }, { label: 'company', ok: false }]);
    expect(describeConversation({ type: 'conversation.dead-air', detail: { sec: 32 } }, 'Ada')?.text).toBe('silence of 0:32');
    expect(describeConversation({ type: 'conversation.language', detail: { words: 1 } }, 'Ada')?.text).toBe('listed word said');
    expect(describeConversation({ type: 'call.hold' }, 'Ada')).toBeNull();
  });
});

describe('evidence', () => {
  it('gives a silence its length and start from the answer, a segment its speaker and span, a moment its time', () => {
    const a = { evidence: [{ startMs: ANS + 70_000, endMs: ANS + 102_000 }, { speaker: 'caller' as const, startMs: ANS + 41_000, endMs: ANS + 43_500 }, { speaker: 'agent' as const, startMs: ANS + 125_000, endMs: ANS + 125_000 }] };
    expect(evidenceTexts(a, ANS)).toEqual(['silence 0:32 from 1:10', 'Caller 0:41–0:43', 'Agent at 2:05']);
    setLocale('tr');
    expect(evidenceTexts(a, ANS)[0]).toBe('1:10 itibarıyla 0:32 sessizlik');
    setLocale('et');
    expect(evidenceTexts(a, ANS)[0]).toBe('vaikus 0:32 alates 1:10');
    expect(evidenceTexts({}, ANS)).toEqual([]);
    // Half seconds round like the alert's value (38 s), not down.
    expect(evidenceTexts({ evidence: [{ startMs: ANS + 12_000, endMs: ANS + 49_500 }] }, ANS)).toEqual(['vaikus 0:38 alates 0:12']);
    expect(describeConversation({ type: 'conversation.dead-air', detail: { sec: 37.5 } }, 'Ada')?.text).toBe('vaikus 0:38');
  });
});

describe('transcript segments', () => {
  it('cuts the text at its cue spans, keeping every character once, overlaps and stray spans clamped', () => {
    const text = 'Hello, this is Ada from Acme';
    const parts = transcriptParts({ text, spans: [{ cue: 'company', start: 24, end: 28 }, { cue: 'greeting', start: 0, end: 5 }, { cue: 'name', start: 15, end: 18 }, { cue: 'name', start: 16, end: 40 }] });
    expect(parts.map((p) => p.text).join('')).toBe(text);
    expect(parts.filter((p) => p.cue).map((p) => [p.cue, p.text])).toEqual([['greeting', 'Hello'], ['name', 'Ada'], ['name', ' from Acme']]);
    expect(transcriptParts({ text: 'no cues here', spans: [] })).toEqual([{ text: 'no cues here' }]);
  });
});

describe('the drill-down', () => {
  const detail = (over: Partial<Detail> = {}): Detail => ({
    callId: 'c1', queueId: 'sales', agentId: '1001', status: 'ended', queuedAtMs: T, ringStartMs: T + 2_000, ringAttempts: 1, answeredAtMs: ANS, ringsToAnswer: 1, holdStartMs: null, holdCount: 0, holdSec: 0, endedAtMs: ANS + 200_000, caller: '+372 555 0101',
    timeline: [
      { atMs: ANS, type: 'call.answered', agentId: '1001' },
      { atMs: ANS + 1_000, type: 'conversation.greeting', agentId: '1001', detail: { greeted: true, name: true, company: false } },
      { atMs: ANS + 70_000, type: 'conversation.dead-air', agentId: '1001', detail: { sec: 32 } },
      { atMs: ANS + 41_000, type: 'conversation.repeat-request', agentId: '1001', detail: { request: 2 } },
    ],
    alerts: [
      alert('greeting:c1:1', 'greeting', { level: 'breach', status: 'resolved', evidence: [{ speaker: 'agent', startMs: ANS + 1_000, endMs: ANS + 3_000 }] }),
      alert('dead-air:c1:1', 'dead-air', { level: 'breach', status: 'resolved', unit: 'sec', value: 32, threshold: 30, evidence: [{ startMs: ANS + 70_000, endMs: ANS + 102_000 }] }),
    ],
    transcript: [
      { speaker: 'agent', startMs: ANS + 1_000, endMs: ANS + 3_000, text: 'Hello, this is Ada', spans: [{ cue: 'greeting', start: 0, end: 5 }, { cue: 'name', start: 15, end: 18 }], alertIds: ['greeting:c1:1'] },
      { speaker: 'agent', startMs: ANS + 50_000, endMs: ANS + 52_000, text: 'oh ***', spans: [{ cue: 'language', start: 3, end: 6 }], masked: true, alertIds: ['language:c1'] },
    ],
    transcriptMode: 'evidence',
    ...over,
  });

  it.each(['en', 'tr', 'et'] as const)('shows the greeting ticks, the silence, the evidence, and the kept segments with their cues and mode in %s', (lang) => {
    setLocale(lang);
    const w = mount(CallDetail, { props: { detail: detail(), error: null, names: new Map([['1001', 'Ada']]) }, global: { plugins: [i18n] } });
    const html = w.text();
    expect(html).not.toMatch(/\b(conv|tx|ev|rule|unit)\.[a-zA-Z]/);
    expect(w.find('[data-testid="greeting-ticks"]').text()).toContain('✓');
    expect(w.find('[data-testid="greeting-ticks"]').text()).toContain('✗');
    expect(w.findAll('[data-testid="alert-evidence"]').map((e) => e.text()).join(' ')).toContain('0:32');
    const segs = w.findAll('[data-testid="transcript-segment"]');
    expect(segs).toHaveLength(2);
    expect(segs[0].findAll('mark').map((m) => [m.attributes('data-cue'), m.text()])).toEqual([['greeting', 'Hello'], ['name', 'Ada']]);
    expect(segs[1].text()).toContain('oh ***');
    expect(segs[0].text()).toContain('0:01');
    expect(w.find('[data-testid="transcript-mode"]').text()).toBe(i18n.global.t('tx.mode.evidence'));
    w.unmount();
  });

  it('shows no transcript section for a call without conversation, and says so when words were dropped', () => {
    const plain = mount(CallDetail, { props: { detail: detail({ transcript: undefined, transcriptMode: undefined, timeline: [{ atMs: ANS, type: 'call.answered' }], alerts: [] }), error: null, names: new Map() }, global: { plugins: [i18n] } });
    expect(plain.find('[data-testid="call-transcript"]').exists()).toBe(false);
    plain.unmount();
    const dropped = mount(CallDetail, { props: { detail: detail({ transcript: [], transcriptMode: 'drop' }), error: null, names: new Map() }, global: { plugins: [i18n] } });
    expect(dropped.find('[data-testid="call-transcript"]').text()).toContain('No words of this call are kept.');
    expect(dropped.find('[data-testid="transcript-mode"]').text()).toContain('no words are kept');
    dropped.unmount();
  });
});

describe('the agent’s conversation nudge', () => {
  it('says the silence from its start while dead air is open, before anything else', () => {
    const list = [alert('greeting:c1:1:late', 'greeting', { unit: 'sec' }), alert('dead-air:c1:1', 'dead-air', { unit: 'sec', value: 15, threshold: 15, evidence: [{ startMs: ANS + 20_000, endMs: ANS + 35_000 }] })];
    const n = conversationNudge(list, 'c1', ANS + 36_400);
    expect(n).toMatchObject({ ruleId: 'dead-air', level: 'warn', text: 'Silence 16 s — tell the caller what you are doing', spoken: 'Silence 15 s — tell the caller what you are doing' });
  });

  it('asks for the name and the company while the greeting is late, or right after one without them', () => {
    expect(conversationNudge([alert('greeting:c1:1:late', 'greeting', { unit: 'sec' })], 'c1', ANS + 7_000)?.text).toBe('Say your name and the company');
    const fact = alert('greeting:c1:1', 'greeting', { status: 'resolved', level: 'breach', updatedAtMs: ANS + 3_000 });
    expect(conversationNudge([fact], 'c1', ANS + 10_000)).toMatchObject({ ruleId: 'greeting', level: 'breach' });
    expect(conversationNudge([fact], 'c1', ANS + 3_000 + NUDGE_TIP_MS + 1)).toBeNull();
  });

  it('gives talk-over and clarity a calm tip for a minute, ignores other calls, info levels and withdrawn alerts', () => {
    const talk = alert('talk-over:c1', 'talk-over', { status: 'resolved', unit: 'times', value: 3, threshold: 3, updatedAtMs: ANS + 60_000 });
    const clear = alert('clarity:c1', 'clarity', { status: 'resolved', unit: 'requests', value: 2, threshold: 2, updatedAtMs: ANS + 60_000 });
    expect(conversationNudge([clear, talk], 'c1', ANS + 70_000)).toMatchObject({ ruleId: 'talk-over', level: 'info', text: 'Let the caller finish, then speak' });
    expect(conversationNudge([clear], 'c1', ANS + 70_000)?.ruleId).toBe('clarity');
    expect(conversationNudge([clear, talk], 'c2', ANS + 70_000)).toBeNull();
    expect(conversationNudge([{ ...talk, status: 'retracted' }], 'c1', ANS + 70_000)).toBeNull();
    expect(conversationNudge([{ ...talk, level: 'info' }], 'c1', ANS + 70_000)).toBeNull();
    expect(conversationNudge([talk], null, ANS + 70_000)).toBeNull();
  });

  it('nudges before the warning from the silence’s start, when given one', () => {
    expect(conversationNudge([], 'c1', ANS + 11_000, { sinceMs: ANS, leadSec: 12 })).toBeNull();
    expect(conversationNudge([], 'c1', ANS + 12_000, { sinceMs: ANS, leadSec: 12 })?.text).toBe('Silence 12 s — tell the caller what you are doing');
    setLocale('tr');
    expect(conversationNudge([], 'c1', ANS + 12_000, { sinceMs: ANS, leadSec: 12 })?.text).toBe('Sessizlik 12 sn — arayana ne yaptığınızı söyleyin');
  });
});
