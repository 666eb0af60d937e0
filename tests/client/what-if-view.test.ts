// @vitest-environment happy-dom
/**
 * The what-if page: the form sends only what differs from the floor's settings; the result shows
 * per rule now against the candidate with the change; an example call not in the server's memory
 * opens rebuilt from its logged events; "Apply these settings" (admins) confirms, then saves the
 * candidate through PUT /api/settings, and refuses when the settings changed since the run.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import WhatIfView from '../../client/src/views/WhatIfView.vue';
import { i18n } from '../../client/src/i18n/index.ts';
import { useSessionStore } from '../../client/src/stores/session.ts';
import { defaultConfig, type FloorConfig } from '../../shared/config.ts';
import type { FloorEvent } from '../../shared/events.ts';
import type { Alert } from '../../shared/state.ts';
import type { CallDetail } from '../../shared/wire.ts';
import { createWhatIfFold, readChanges } from '../../shared/what-if.ts';

const NOW = Date.parse('2026-11-24T15:00:00Z');
const DAY = '2026-11-23';
const T9 = Date.parse(`${DAY}T09:00:00Z`);

/** Agent A's four calls with holds of 40, 55, 70 and 95 s (as in tests/shared/what-if.test.ts). */
function feed(): FloorEvent[] {
  let n = 0;
  const e = (at: number, body: Record<string, unknown>) => ({ id: `v${++n}`, at, ...body }) as FloorEvent;
  const out = [e(T9 - 60_000, { type: 'agent.state', agentId: 'A', state: 'available', name: 'Ann', team: 'north' })];
  [40, 55, 70, 95].forEach((holdSec, i) => {
    const t = T9 + i * 600_000;
    const callId = `hold-${holdSec}`;
    out.push(
      e(t, { type: 'call.queued', callId, queueId: 'sales' }),
      e(t + 6_000, { type: 'call.answered', callId, agentId: 'A', ringCount: 1 }),
      e(t + 30_000, { type: 'call.hold', callId, askedPermission: true }),
      e(t + 30_000 + holdSec * 1000, { type: 'call.unhold', callId }),
      e(t + 200_000, { type: 'call.ended', callId, notes: true }),
    );
  });
  return out;
}

/** The hold-long warning the log recorded on `callId` (held `sec` s, from 30 s after the call was queued). */
function loggedWarn(callId: string, sec: number): Alert {
  const queued = feed().find((x) => x.type === 'call.queued' && x.callId === callId)!.at;
  return { id: `hold-long:${callId}:1`, ruleId: 'hold-long', level: 'warn', status: 'resolved', callId, agentId: 'A', queueId: 'sales', value: sec, threshold: 45, unit: 'sec', raisedAtMs: queued + 75_000, updatedAtMs: queued + 30_000 + sec * 1000 };
}
/** A call's detail as the live floor answers it. */
function liveCall(callId: string): CallDetail {
  const at = feed().find((x) => x.type === 'call.queued' && x.callId === callId)!.at;
  return {
    callId, queueId: 'sales', agentId: 'A', status: 'ended', queuedAtMs: at, ringStartMs: null, ringAttempts: 0, answeredAtMs: at + 6_000, ringsToAnswer: 1, holdStartMs: null, holdCount: 1, holdSec: 70, endedAtMs: at + 200_000,
    caller: null, timeline: [{ atMs: at, type: 'call.queued', queueId: 'sales' }, { atMs: at + 200_000, type: 'call.ended' }], alerts: [],
  };
}

let alertAsks: string[];
let config: FloorConfig;
let posts: { from: string; to: string; set: string[] }[];
let puts: FloorConfig[];

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
  setActivePinia(createPinia());
  i18n.global.locale.value = 'en';
  config = defaultConfig();
  posts = [];
  puts = [];
  alertAsks = [];
  vi.stubGlobal('fetch', async (path: string, init?: { method?: string; body?: string }) => {
    const reply = (body: unknown, status = 200) => ({ status, json: async () => body });
    if (path === '/api/settings' && init?.method === 'PUT') {
      puts.push(JSON.parse(init.body ?? '{}') as FloorConfig);
      return reply({ ok: true, data: puts[puts.length - 1] });
    }
    if (path === '/api/settings') return reply({ ok: true, data: structuredClone(config) });
    if (path === '/api/what-if') {
      const body = JSON.parse(init?.body ?? '{}') as { from: string; to: string; set: string[] };
      posts.push(body);
      // The server's answer, computed by the same fold on the feed (the range asked for is the page's own).
      const changes = readChanges({ set: body.set }, config);
      if (!changes.ok) return reply({ ok: false, error: changes.error }, 400);
      const fold = createWhatIfFold({ config, changes: changes.changes, from: DAY, to: DAY });
      for (const ev of feed()) fold.add(ev, ev.at);
      return reply({ ok: true, data: { ...fold.finish(), ms: 120 } });
    }
    // A past call: no longer in the server's memory, so its logged events come back.
    if (path === '/api/calls/hold-55') return reply({ ok: true, data: { callId: 'hold-55', events: feed().filter((x) => 'callId' in x && x.callId === 'hold-55') } });
    // A call still in the floor's memory whose resolved warning is not any more (its last 500 resolved alerts).
    if (path === '/api/calls/hold-70') return reply({ ok: true, data: { ...liveCall('hold-70'), alerts: [] } });
    // The log's alerts of the span asked: the calls' hold warnings (and another call's, which stays out).
    if (path.startsWith('/api/alerts?')) {
      alertAsks.push(path);
      return reply({ ok: true, data: [loggedWarn('hold-55', 55), loggedWarn('hold-70', 70), loggedWarn('hold-95', 95)] });
    }
    return reply({ ok: false, error: 'not here' }, 404);
  });
});
afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
  document.body.innerHTML = '';
});

async function page(role: 'admin' | 'supervisor') {
  useSessionStore().me = { username: role, role, agentId: null, demo: false };
  const w = mount(WhatIfView, { attachTo: document.body });
  await flushPromises();
  return w;
}

describe('what-if page', () => {
  it('prefills the thresholds with the floor’s settings and sends only what changed, the last 7 days by default', async () => {
    const w = await page('supervisor');
    expect((w.find('[data-testid=wi-rules-holdLongWarnSec]').element as HTMLInputElement).value).toBe('45');
    expect((w.find('[data-testid=wi-rules-voicemailWarnSec]').element as HTMLInputElement).value).toBe('4'); // hours, as on the settings page
    await w.find('[data-testid=wi-rules-holdLongWarnSec]').setValue('60');
    await w.find('[data-testid=wi-rules-voicemailWarnSec]').setValue('2');
    await w.find('[data-testid=wi-on-speakerphone]').setValue(false);
    await w.find('[data-testid=wi-extra]').setValue('queues.sales.hold-long.warnSec=90\n# a note\n');
    expect(w.find('[data-testid=wi-candidate]').text()).toContain('rules.holdLongWarnSec=60');
    await w.find('[data-testid=wi-run]').trigger('submit');
    await flushPromises();
    expect(posts).toEqual([{ from: '2026-11-18', to: '2026-11-24', set: ['rules.holdLongWarnSec=60', 'rules.voicemailWarnSec=7200', 'disabled=speakerphone', 'queues.sales.hold-long.warnSec=90'] }]);
    w.unmount();
  });

  it('shows per rule now against the candidate with the change, per agent, and the calls that change', async () => {
    const w = await page('supervisor');
    await w.find('[data-testid=wi-rules-holdLongWarnSec]').setValue('60');
    await w.find('form').trigger('submit');
    await flushPromises();
    const row = w.find('[data-testid=wi-rule-hold-long]');
    expect(row.findAll('td').map((td) => td.text())).toEqual(['2', '1', '−1', '1', '1', '0']);
    expect(row.findAll('td')[2].classes()).toContain('tone-ok');
    expect(w.find('[data-testid=wi-agents]').text()).toContain('Ann');
    expect(w.find('[data-testid=wi-better]').text()).toMatch(/Long hold · Ann\s*warning · 55 s → none/);
    expect(w.find('[data-testid=wi-worse]').text()).toContain('None.');
    // Supervisors see the result; applying is an admin's.
    expect(w.find('[data-testid=wi-apply]').exists()).toBe(false);
    expect(w.text()).toContain('An admin can apply these settings.');
    w.unmount();
  });

  it('opens a past call rebuilt from its logged events', async () => {
    const w = await page('supervisor');
    await w.find('[data-testid=wi-rules-holdLongWarnSec]').setValue('60');
    await w.find('form').trigger('submit');
    await flushPromises();
    await w.find('[data-testid=wi-better] [data-testid=wi-open-call]').trigger('click');
    await flushPromises();
    const detail = w.find('[data-testid=call-detail]');
    expect(detail.exists()).toBe(true);
    expect(detail.text()).toContain('back from hold after 55 s');
    expect(detail.text()).toContain('hold-55');
    // The item said "warning · 55 s → none": the drill-down lists that warning, not "None".
    expect(detail.find('h3').text()).toBe('Alerts on this call');
    expect(detail.findAll('[data-testid=call-alerts] li').map((li) => li.text())).toEqual([expect.stringMatching(/Warn — Long hold \(Ann\): 55 s at /)]);
    w.unmount();
  });

  it('adds to a call still in the floor’s memory the warnings the log holds and the floor no longer does', async () => {
    const w = await page('supervisor');
    await w.find('[data-testid=wi-rules-holdLongWarnSec]').setValue('75');
    await w.find('form').trigger('submit');
    await flushPromises();
    const item = w.findAll('[data-testid=wi-better] li').find((li) => li.text().includes('1 min 10 s'))!;
    expect(item.text()).toMatch(/warning · 1 min 10 s → none/);
    await item.find('[data-testid=wi-open-call]').trigger('click');
    await flushPromises();
    const alerts = w.findAll('[data-testid=call-alerts] li').map((li) => li.text());
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatch(/Warn — Long hold \(Ann\): 1 min 10 s at /);
    // Asked over the call's own span (from its first event to two hours after its last).
    const q = new URLSearchParams(alertAsks.at(-1)!.split('?')[1]);
    const queued = liveCall('hold-70').queuedAtMs!;
    expect([Number(q.get('sinceMs')), Number(q.get('untilMs'))]).toEqual([queued, queued + 200_000 + 2 * 3_600_000]);
    w.unmount();
  });

  it('lets an admin apply the candidate after confirming, through PUT /api/settings', async () => {
    const w = await page('admin');
    await w.find('[data-testid=wi-rules-holdLongWarnSec]').setValue('60');
    await w.find('form').trigger('submit');
    await flushPromises();
    await w.find('[data-testid=wi-apply]').trigger('click');
    await flushPromises();
    expect(w.find('[data-testid=wi-confirm]').text()).toContain('rules.holdLongWarnSec=60');
    expect(puts).toEqual([]);
    await w.find('[data-testid=wi-apply-confirm]').trigger('click');
    await flushPromises();
    expect(puts).toEqual([{ ...defaultConfig(), rules: { ...defaultConfig().rules, holdLongWarnSec: 60 } }]);
    expect(w.find('[data-testid=wi-apply-message]').text()).toBe('Applied: the floor runs with these settings now.');
    expect(w.find('[data-testid=wi-confirm]').exists()).toBe(false);
    w.unmount();
  });

  it('does not apply over settings changed since the run', async () => {
    const w = await page('admin');
    await w.find('[data-testid=wi-rules-holdLongWarnSec]').setValue('60');
    await w.find('form').trigger('submit');
    await flushPromises();
    config = { ...config, rules: { ...config.rules, ringBreachAt: 5 } }; // another admin saved meanwhile
    await w.find('[data-testid=wi-apply]').trigger('click');
    await flushPromises();
    await w.find('[data-testid=wi-apply-confirm]').trigger('click');
    await flushPromises();
    expect(puts).toEqual([]);
    expect(w.find('[data-testid=wi-apply-message]').text()).toBe('The settings were changed since this run: run it again before applying.');
    w.unmount();
  });

  it('says a range longer than 92 days at once and does not run it', async () => {
    const w = await page('supervisor');
    await w.find('[data-testid=range-from]').setValue('2026-01-01');
    await w.find('[data-testid=range-from]').trigger('change');
    expect(w.find('[data-testid=wi-range-help]').text()).toBe('That is 328 days; a what-if covers at most 92.');
    expect((w.find('[data-testid=wi-run]').element as HTMLButtonElement).disabled).toBe(true);
    w.unmount();
  });
});
