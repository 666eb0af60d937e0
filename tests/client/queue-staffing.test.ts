// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mount } from '@vue/test-utils';
import QueueTile from '../../client/src/components/QueueTile.vue';
import WallView from '../../client/src/views/WallView.vue';
import { i18n } from '../../client/src/i18n/index.ts';
import { configWith } from '../shared/feed.ts';
import { defaultConfig } from '../../shared/config.ts';
import { startLiveClient, stopLiveClient, type FakeSocket } from './helpers.ts';
import type { AgentActivity, FloorPayload, QueueKpis, QueueStaffing, Snapshot } from '../../shared/wire.ts';

const T0 = Date.UTC(2026, 10, 30, 10, 40, 0);
const states = (): Record<AgentActivity, number> => ({ available: 2, away: 1, wrapup: 1, offline: 0, ringing: 0, talking: 8, hold: 0 });
const short: QueueStaffing = { neededAgents: 14, availableAgents: 2, signedInAgents: 12, servingAgents: 11, erlangs: 10, callsPerHour: 200, ahtSec: 180, windowMin: 30, source: 'window' };

function queue(staffing: QueueStaffing | null | undefined, queueId = 'sales'): QueueKpis {
  const q: QueueKpis = {
    queueId, offered: 100, answered: 95, abandoned: 5, shortAbandoned: 1, transferredOut: 0, endLost: 0, waiting: 0,
    longestWaitSinceMs: null, maxWaitSec: 30, serviceLevelPct: 85, serviceLevelTargetPct: 80, serviceLevelThresholdSec: 20, asaSec: 10, ahtSec: 180,
    agentsByState: states(), alertLevel: null,
  };
  if (staffing !== undefined) q.staffing = staffing;
  return q;
}

const tile = (q: QueueKpis, config = defaultConfig()) => mount(QueueTile, { props: { q, nowMs: T0, config } });

let socket: FakeSocket;
beforeEach(() => {
  socket = startLiveClient(T0);
});
afterEach(stopLiveClient);

describe('queue tile: live staffing', () => {
  it('says "needs 14, has 11" in amber with a ▲ when fewer agents take calls than the queue needs', () => {
    const w = tile(queue(short));
    const k = w.find('[data-testid=kpi-staffing]');
    expect(k.find('.v').text()).toBe('needs 14, has 11');
    expect(k.classes()).toContain('tone-warn');
    expect(k.find('.l').text()).toBe('▲ agents (Erlang C)');
  });

  it('explains the figure in its tooltip: Erlang C, the target, the cap, arrivals an hour, AHT, Erlangs, the window and who is there', () => {
    const title = tile(queue(short), configWith((c) => (c.queues.sales = { workload: { targetOccupancy: 0.8 } }))).find('[data-testid=kpi-staffing]').attributes('title');
    expect(title).toBe(
      'Erlang C: 14 agents answer 80% of callers within 20 s, at most 80% busy, at 200 calls an hour and an AHT of 3:00 (10 Erlangs) over the last 30 minutes. Has: 11 taking calls (2 free); 12 signed in.',
    );
  });

  it('says the AHT is the day\'s when the window held too few calls', () => {
    const title = tile(queue({ ...short, source: 'day', erlangs: 2.47, callsPerHour: 12.5, ahtSec: 711.4 })).find('[data-testid=kpi-staffing]').attributes('title');
    expect(title).toContain('today’s AHT of 11:51 (2.47 Erlangs; under 5 calls handled in the window)');
    expect(title).toContain('at most 85% busy, at 12.5 calls an hour');
  });

  it('stays uncoloured when the queue has what it needs', () => {
    const k = tile(queue({ ...short, servingAgents: 14 })).find('[data-testid=kpi-staffing]');
    expect(k.find('.v').text()).toBe('needs 14, has 14');
    expect(k.classes()).not.toContain('tone-warn');
    expect(k.find('.l').text()).toBe('agents (Erlang C)');
  });

  it('shows a dash while no AHT is known, and nothing from a server before live staffing', () => {
    const k = tile(queue(null)).find('[data-testid=kpi-staffing]');
    expect(k.find('.v').text()).toBe('–');
    expect(k.attributes('title')).toBe('Agents needed (Erlang C): not known until a call of this queue has been handled today.');
    expect(tile(queue(undefined)).find('[data-testid=kpi-staffing]').exists()).toBe(false);
  });

  it('speaks Turkish and Estonian', () => {
    i18n.global.locale.value = 'tr';
    expect(tile(queue(short)).find('[data-testid=kpi-staffing] .v').text()).toBe('gereken 14, mevcut 11');
    i18n.global.locale.value = 'et';
    expect(tile(queue(short)).find('[data-testid=kpi-staffing] .v').text()).toBe('vaja 14, on 11');
  });
});

describe('wallboard: live staffing per queue', () => {
  function snapshot(queues: QueueKpis[]): Snapshot<FloorPayload> {
    const totals = { offered: 100, answered: 95, abandoned: 5, waiting: 0, longestWaitSinceMs: null, serviceLevelPct: 85, serviceLevelTargetPct: 80, asaSec: 10, ahtSec: 180, agentsByState: states(), openAlerts: { info: 0, warn: 0, breach: 0 } };
    return {
      scope: { kind: 'floor' }, seq: 1, serverNowMs: T0, day: { startMs: T0 - 10 * 3_600_000, endMs: T0 + 14 * 3_600_000 }, config: defaultConfig(),
      payload: { queues, totals, agents: [], calls: [], alerts: [], intervals: {}, voicemails: [], callbacks: [], ticker: [] },
    };
  }

  it('shows each queue\'s need against what it has, amber with a ▲ when short, and no line while no AHT is known', async () => {
    socket.fire('live:snapshot', snapshot([queue(short, 'sales'), queue({ ...short, neededAgents: 3, servingAgents: 5 }, 'support'), queue(null, 'vip')]));
    const w = mount(WallView);
    await w.vm.$nextTick();
    const lines = w.findAll('[data-testid=wall-queue-staffing]');
    expect(lines.map((l) => l.text())).toEqual(['▲ needs 14 · has 11', 'needs 3 · has 5']);
    expect(lines.map((l) => l.classes().includes('tone-warn'))).toEqual([true, false]);
    w.unmount();
  });
});
