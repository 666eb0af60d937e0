// @vitest-environment happy-dom
/**
 * The agent view leads with progress and what went well, shows each breach as
 * something to improve with the rule's advice, and says how many callers wait;
 * empty states say what to do next; demo mode shows its banner.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { flushPromises, mount } from '@vue/test-utils';
import AgentView from '../../client/src/views/AgentView.vue';
import EmptyState from '../../client/src/components/EmptyState.vue';
import DemoBanner from '../../client/src/components/DemoBanner.vue';
import { useSessionStore } from '../../client/src/stores/session.ts';
import { i18n, catalogues } from '../../client/src/i18n/index.ts';
import { actorLabel, dayChoices, roleLabel } from '../../client/src/format.ts';
import { DEMO_ACTOR } from '../../server/alert-commands.ts';
import { defaultConfig } from '../../shared/config.ts';
import { startLiveClient, stopLiveClient, type FakeSocket } from './helpers.ts';
import type { Alert } from '../../shared/state.ts';
import type { AgentActivity, AgentPayload, AgentView as Agent, FloorTotals, Snapshot } from '../../shared/wire.ts';

const T0 = Date.UTC(2026, 10, 30, 10, 40, 0);
const config = defaultConfig();

const states = (): Record<AgentActivity, number> => ({ available: 1, away: 0, wrapup: 0, offline: 0, ringing: 0, talking: 1, hold: 0 });
const totals = (waiting: number): FloorTotals => ({ offered: 10, answered: 8, abandoned: 1, waiting, longestWaitSinceMs: waiting ? T0 : null, serviceLevelPct: 90, serviceLevelTargetPct: 80, asaSec: 10, ahtSec: 200, agentsByState: states(), openAlerts: { info: 0, warn: 0, breach: 0 } });
function agent(handled: number): Agent {
  return {
    agentId: '1001', name: 'Ada', team: 'north', queues: ['sales'], presence: 'available', reason: null, activity: 'available', activitySinceMs: T0,
    callId: null, handled, quota: 30, shiftStartMs: T0 - 2 * 3_600_000, shiftMinutes: 480, ahtSec: 200, holds: 0, holdSec: 0, ringNoAnswer: 0, ringCanceled: 0,
    ringsHist: [0, 4, 2, 0, 1, 0, 0], holdHist: [0, 0, 0, 0, 0], alertsByRule: {}, openAlerts: 0, worstOpenLevel: null,
  };
}
function alert(id: string, ruleId: Alert['ruleId'], level: Alert['level'], value: number, unit: Alert['unit']): Alert {
  return { id, ruleId, level, status: 'resolved', agentId: '1001', value, threshold: 4, unit, raisedAtMs: T0 - 600_000, updatedAtMs: T0 - 600_000 };
}
function snapshot(p: Partial<AgentPayload>): Snapshot<AgentPayload> {
  return {
    scope: { kind: 'agent', agentId: '1001' }, seq: 1, serverNowMs: Date.now(), day: { startMs: T0 - 10 * 3_600_000, endMs: T0 + 14 * 3_600_000 }, config,
    payload: { me: agent(7), calls: [], voicemails: [], callbacks: [], alerts: [], totals: totals(3), notes: [], ...p },
  };
}

let socket: FakeSocket;
beforeEach(() => {
  socket = startLiveClient(T0);
  socket.fire('connect');
});
afterEach(stopLiveClient);

describe('agent view', () => {
  it('leads with progress and what went well, before anything to improve', () => {
    socket.fire('live:snapshot', snapshot({ alerts: [alert('a1', 'ring-limit', 'breach', 4, 'rings')] }));
    const w = mount(AgentView, { props: { agentId: '1001' } });
    const html = w.html();
    expect(w.find('[data-testid=me-progress] h2').text()).toBe('My progress today');
    expect(w.find('[data-testid=me-handled]').text()).toBe('7');
    expect(w.find('[data-testid=me-went-well]').text()).toContain('You handled 7 calls today.');
    // Six of seven answers came before the 4th ring.
    expect(w.find('[data-testid=me-went-well]').text()).toContain('6 of 7 calls answered within 3 rings.');
    expect(html.indexOf('data-testid="me-progress"')).toBeLessThan(html.indexOf('data-testid="me-breach"'));
  });

  it('says the pace in whole calls, never "3.9"', () => {
    socket.fire('live:snapshot', snapshot({}));
    const w = mount(AgentView, { props: { agentId: '1001' } });
    // Two hours into an 8-hour shift with a quota of 30: 7.5 calls by now, said as "about 8".
    expect(w.find('[data-testid=me-pace]').text()).toContain('the quota expects about 8 calls by now');
    expect(w.find('[data-testid=me-pace]').text()).not.toMatch(/\d[.,]\d/);
  });

  it('shows each breach as something to improve with the rule’s advice, in each language', async () => {
    socket.fire('live:snapshot', snapshot({ alerts: [alert('a1', 'ring-limit', 'breach', 5, 'rings'), alert('a2', 'hold-permission', 'breach', 1, 'event')] }));
    const w = mount(AgentView, { props: { agentId: '1001' } });
    expect(w.text()).toContain('To improve');
    const items = w.findAll('[data-testid=me-breach]');
    expect(items.map((i) => i.attributes('data-rule')).sort()).toEqual(['hold-permission', 'ring-limit']);
    const advice = w.findAll('[data-testid=me-advice]').map((a) => a.text());
    expect(advice).toContain(catalogues.en.advice['ring-limit']);
    expect(advice).toContain(catalogues.en.advice['hold-permission']);
    expect(items.find((i) => i.attributes('data-rule') === 'ring-limit')?.text()).toContain('5 rings');
    // A rule with no measured value says only when.
    expect(items.find((i) => i.attributes('data-rule') === 'hold-permission')?.text()).toMatch(/at \d\d:\d\d$|at \d\d:\d\d\s/);
    for (const lang of ['tr', 'et'] as const) {
      i18n.global.locale.value = lang;
      await flushPromises();
      const texts = w.findAll('[data-testid=me-advice]').map((a) => a.text());
      expect(texts).toContain(catalogues[lang].advice['ring-limit']);
      expect(texts).not.toContain(catalogues.en.advice['ring-limit']);
    }
  });

  it('says well done when there is nothing to improve', () => {
    socket.fire('live:snapshot', snapshot({}));
    const w = mount(AgentView, { props: { agentId: '1001' } });
    expect(w.findAll('[data-testid=me-breach]')).toHaveLength(0);
    expect(w.text()).toContain('Nothing to improve today — well done.');
    expect(w.find('[data-testid=me-went-well]').text()).toContain('No breaches today.');
  });

  it('shows how many callers wait on the floor, from the totals in the payload', () => {
    socket.fire('live:snapshot', snapshot({ totals: totals(3) }));
    const w = mount(AgentView, { props: { agentId: '1001' } });
    expect(w.find('[data-testid=me-waiting]').text()).toBe('Callers waiting on the floor now: 3');
  });

  it('labels the rings chart', () => {
    socket.fire('live:snapshot', snapshot({}));
    const w = mount(AgentView, { props: { agentId: '1001' } });
    const chart = w.find('[data-testid=me-rings-chart]');
    expect(chart.find('.hist-title').text()).toBe('How many rings before you answered, today');
    expect(chart.text()).toContain('rings before answer');
    expect(chart.text()).toContain('answered calls');
  });
});

describe('empty states', () => {
  it('tells a first-run floor what to do next: send events, start the simulator, read the README', () => {
    const w = mount(EmptyState, { props: { kind: 'firstRun' } });
    expect(w.text()).toContain('Nothing on the floor yet');
    expect(w.text()).toContain('POST /api/events');
    expect(w.text()).toContain('npm start');
    expect(w.find('[data-testid=readme-link]').attributes('href')).toBe('/readme');
    expect(w.find('[data-testid=readme-link]').text()).toContain('Sending events');
  });

  it('tells /me without an id how to pick an agent, with a way to the floor', () => {
    const w = mount(EmptyState, { props: { kind: 'pickAgent' } });
    expect(w.text()).toContain('clicking their name on the floor');
    expect(w.text()).toContain('/me?agent=1001');
    expect(w.find('a').attributes('href')).toBe('/floor');
  });
});

describe('demo banner and words', () => {
  it('shows the demo banner in demo mode and not otherwise', async () => {
    const session = useSessionStore();
    session.me = { username: 'demo', role: 'supervisor', agentId: null, demo: true };
    const w = mount(DemoBanner);
    expect(w.find('[data-testid=demo-banner]').text()).toContain('Demo mode');
    expect(w.find('[data-testid=demo-banner]').attributes('role')).toBe('note');
    session.me = { username: 'sue', role: 'supervisor', agentId: null, demo: false };
    await flushPromises();
    expect(w.find('[data-testid=demo-banner]').exists()).toBe(false);
  });

  it('names roles, demo visitors and days in the page’s language', () => {
    i18n.global.locale.value = 'et';
    expect(roleLabel('admin')).toBe('administraator');
    expect(roleLabel('wallboard')).toBe('wallboard');
    // The server's name for a demo visitor reads in the page's language; anyone else by name.
    expect(actorLabel(DEMO_ACTOR)).toBe('demokülastaja');
    expect(actorLabel('sue')).toBe('sue');
    const days = dayChoices(T0, 3, 'et');
    expect(days.map((d) => d.value)).toEqual(['2026-11-30', '2026-11-29', '2026-11-28']);
    expect(days[0].label).toMatch(/november 2026/);
    expect(dayChoices(T0, 1, 'tr')[0].label).toMatch(/Kasım 2026/);
  });
});
