// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mount } from '@vue/test-utils';
import { defineComponent, h } from 'vue';
import QueueTile from '../../client/src/components/QueueTile.vue';
import AgentGrid from '../../client/src/components/AgentGrid.vue';
import WallView from '../../client/src/views/WallView.vue';
import FloorView from '../../client/src/views/FloorView.vue';
import StaleBanner from '../../client/src/components/StaleBanner.vue';
import { useConnectionStore } from '../../client/src/stores/connection.ts';
import { useFloorStore } from '../../client/src/stores/floor.ts';
import { formatClockSec } from '../../client/src/format.ts';
import { defaultConfig } from '../../shared/config.ts';
import { startLiveClient, stopLiveClient, type FakeSocket } from './helpers.ts';
import type { AgentActivity, AgentView, FloorPayload, FloorTotals, QueueKpis, Snapshot } from '../../shared/wire.ts';

// The browser's clock and the server's agree here (offset 0), so waits read the same on both.
const T0 = Date.UTC(2026, 10, 30, 10, 40, 0);
const config = defaultConfig(); // queue-wait: warn 60 s, breach 120 s

const states = (): Record<AgentActivity, number> => ({ available: 1, away: 0, wrapup: 0, offline: 0, ringing: 0, talking: 1, hold: 0 });
function queue(waitSinceMs: number | null): QueueKpis {
  return {
    queueId: 'sales', offered: 10, answered: 8, abandoned: 1, shortAbandoned: 0, transferredOut: 0, endLost: 0, waiting: waitSinceMs === null ? 0 : 1,
    longestWaitSinceMs: waitSinceMs, maxWaitSec: 30, serviceLevelPct: 90, serviceLevelTargetPct: 80, serviceLevelThresholdSec: 20, asaSec: 10, ahtSec: 200,
    agentsByState: states(), alertLevel: null,
  };
}
function totals(waitSinceMs: number | null): FloorTotals {
  return { offered: 10, answered: 8, abandoned: 1, waiting: 1, longestWaitSinceMs: waitSinceMs, serviceLevelPct: 90, serviceLevelTargetPct: 80, asaSec: 10, ahtSec: 200, agentsByState: states(), openAlerts: { info: 0, warn: 0, breach: 0 } };
}
function agent(): AgentView {
  return {
    agentId: 'a1', name: 'Ada', team: 't1', queues: ['sales'], presence: 'available', reason: null, activity: 'hold', activitySinceMs: T0,
    callId: null, handled: 3, quota: 30, shiftStartMs: null, shiftMinutes: 480, ahtSec: null, holds: 1, holdSec: 0, ringNoAnswer: 0, ringCanceled: 0, ringsHist: [0, 0, 0, 0, 0, 0, 0],
    holdHist: [0, 0, 0, 0, 0], alertsByRule: {}, openAlerts: 0, worstOpenLevel: null,
  };
}
function snapshot(seq: number, waitSinceMs: number): Snapshot<FloorPayload> {
  return {
    scope: { kind: 'floor' }, seq, serverNowMs: Date.now(), day: { startMs: T0 - 10 * 3_600_000, endMs: T0 + 14 * 3_600_000 }, config,
    payload: { queues: [queue(waitSinceMs)], totals: totals(waitSinceMs), agents: [agent()], calls: [], alerts: [], intervals: {}, voicemails: [], callbacks: [], ticker: [] },
  };
}

/** What the floor view does: every tile and the grid render from the connection store's now. */
const Floor = defineComponent({
  setup() {
    const conn = useConnectionStore();
    const floor = useFloorStore();
    return () =>
      h('div', [
        h(StaleBanner),
        ...floor.queues.map((q) => h(QueueTile, { q, nowMs: conn.nowMs, config: conn.floorConfig })),
        h(AgentGrid, { agents: floor.agentList, calls: floor.calls, nowMs: conn.nowMs, config: conn.floorConfig, teams: [], queues: [], breaching: new Set<string>() }),
      ]);
  },
});

let socket: FakeSocket;
beforeEach(() => {
  socket = startLiveClient(T0);
});
afterEach(stopLiveClient);

async function advance(ms: number): Promise<void> {
  await vi.advanceTimersByTimeAsync(ms);
}

describe('a lost feed freezes the live timers', () => {
  it('stops the queue wait and the hold timer where they stood, keeps the tile out of breach, and resumes on reconnect', async () => {
    socket.fire('live:snapshot', snapshot(1, T0)); // one caller waiting since T0, an agent on hold since T0
    const w = mount(Floor);
    const wait = () => w.find('[data-testid=kpi-longest-wait] .v').text();
    const tile = () => w.find('[data-testid=queue-tile]');
    await advance(30_000);
    expect(wait()).toBe('0:30');
    expect(w.find('[data-testid=agent-hold-timer]').text()).toContain('0:30');
    expect(tile().classes()).toContain('tone-ok');

    socket.fire('disconnect');
    const lostAt = Date.now();
    await advance(120_000); // well past the 120 s breach, had the timer run on
    expect(wait()).toBe('0:30');
    expect(w.find('[data-testid=agent-hold-timer]').text()).toContain('0:30');
    expect(tile().classes()).not.toContain('tone-breach');
    expect(tile().classes()).toContain('frozen');
    expect(w.find('[data-testid=agent-hold-timer]').classes()).not.toContain('tone-breach');
    // Marked with the time they stand at, the same time as the banner.
    const asOf = w.findAll('[data-testid=as-of]').map((e) => e.text());
    expect(asOf).toEqual([`as of ${formatClockSec(lostAt)}`, `as of ${formatClockSec(lostAt)}`]);
    expect(w.find('[data-testid=stale-banner]').text()).toContain(formatClockSec(lostAt));

    // Back: the fresh snapshot brings the true wait (the caller still waits since T0) and the timers run again.
    socket.fire('connect');
    socket.fire('live:snapshot', snapshot(2, T0));
    await advance(0);
    expect(wait()).toBe('2:30');
    expect(tile().classes()).toContain('tone-breach');
    expect(tile().classes()).not.toContain('frozen');
    expect(w.findAll('[data-testid=as-of]')).toHaveLength(0);
    await advance(5_000);
    expect(wait()).toBe('2:35');
    w.unmount();
  });

  it('does not let the wallboard turn amber or red from a stale wait', async () => {
    socket.fire('live:snapshot', snapshot(1, T0));
    const w = mount(WallView);
    const cell = () => w.find('[data-kpi=longest-wait]');
    await advance(50_000);
    expect(cell().find('.n').text()).toBe('0:50');
    socket.fire('disconnect');
    await advance(200_000);
    expect(cell().find('.n').text()).toBe('0:50');
    expect(cell().classes()).toContain('tone-ok');
    expect(w.find('main').classes()).toContain('frozen');
    expect(w.find('[data-testid=as-of]').text()).toBe(`as of ${formatClockSec(T0 + 50_000)}`);
    socket.fire('live:snapshot', snapshot(2, T0));
    await advance(1_000);
    expect(cell().find('.n').text()).toBe('4:11');
    expect(cell().classes()).toContain('tone-breach');
    expect(w.find('main').classes()).not.toContain('frozen');
    w.unmount();
  });

  it("keeps the floor header's clock running while its totals stand still, uncoloured and marked", async () => {
    socket.fire('live:snapshot', snapshot(1, T0));
    const w = mount(FloorView, { props: { socket: undefined }, global: { stubs: { FloorCharts: true } } }); // no canvas here
    await advance(1_000);
    const clock = () => w.find('.topbar .clock').text();
    const before = clock();
    expect(w.find('.totals').classes()).not.toContain('frozen');
    socket.fire('disconnect');
    const lostAt = Date.now();
    await advance(120_000);
    expect(clock()).not.toBe(before); // two minutes on: the clock moved
    expect(w.find('.totals').classes()).toContain('frozen');
    expect(w.find('[data-testid=totals-as-of]').text()).toBe(`as of ${formatClockSec(lostAt)}`);
    socket.fire('connect');
    socket.fire('live:snapshot', snapshot(2, T0));
    await advance(0);
    expect(w.find('.totals').classes()).not.toContain('frozen');
    expect(w.find('[data-testid=totals-as-of]').exists()).toBe(false);
    w.unmount();
  });

  it('keeps the clock running while the timers stand still', async () => {
    socket.fire('live:snapshot', snapshot(1, T0));
    const conn = useConnectionStore();
    socket.fire('disconnect');
    const frozen = conn.nowMs;
    await advance(10_000);
    expect(conn.nowMs).toBe(frozen);
    expect(conn.frozenAtMs).toBe(frozen);
    expect(conn.clockMs).toBe(T0 + 10_000);
  });

  it('has nothing to freeze on a screen that never had a snapshot', async () => {
    const conn = useConnectionStore();
    socket.fire('connect_error', new Error('refused'));
    expect(conn.status).toBe('lost');
    expect(conn.frozenAtMs).toBeNull();
    await advance(3_000);
    expect(conn.nowMs).toBe(T0 + 3_000);
  });
});
