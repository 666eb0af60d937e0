// @vitest-environment happy-dom
/**
 * A server that stops gracefully says so (`server:shutdown`) before it closes the socket: the page then
 * shows a restart, not a feed failure, hides the refused reconnects, and clears it at the next snapshot.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mount } from '@vue/test-utils';
import StaleBanner from '../../client/src/components/StaleBanner.vue';
import { useConnectionStore } from '../../client/src/stores/connection.ts';
import { defaultConfig } from '../../shared/config.ts';
import { startLiveClient, stopLiveClient, type FakeSocket } from './helpers.ts';
import type { Snapshot } from '../../shared/wire.ts';

const T0 = Date.UTC(2026, 10, 30, 10, 40, 0);

function snapshot(seq: number): Snapshot {
  return {
    scope: { kind: 'wallboard' }, seq, serverNowMs: Date.now(), day: { startMs: T0 - 36_000_000, endMs: T0 + 50_400_000 }, config: defaultConfig(),
    payload: { queues: [], totals: null, ticker: [] },
  } as unknown as Snapshot;
}

let socket: FakeSocket;
beforeEach(() => {
  socket = startLiveClient(T0);
});
afterEach(() => stopLiveClient());

describe('a server restart on the page', () => {
  it('shows "restarting" without a warning sign or an error, and clears it when the server is back', async () => {
    const conn = useConnectionStore();
    const w = mount(StaleBanner);
    socket.fire('live:snapshot', snapshot(1));
    await w.vm.$nextTick();
    expect(w.find('[data-testid=stale-banner]').exists()).toBe(false);

    socket.fire('server:shutdown', { retryAfterSec: 5, message: 'the server is stopping' });
    socket.fire('disconnect');
    socket.fire('connect_error', new Error('xhr poll error'));
    await w.vm.$nextTick();
    const banner = w.find('[data-testid=stale-banner]');
    expect(banner.text()).toContain('The server is restarting');
    expect(banner.text()).not.toContain('⚠');
    expect(banner.classes()).not.toContain('lost');
    expect(banner.find('.why').exists()).toBe(false);
    expect(conn.lastError).toBeNull();

    socket.fire('live:snapshot', snapshot(1));
    await w.vm.$nextTick();
    expect(conn.restarting).toBeNull();
    expect(w.find('[data-testid=stale-banner]').exists()).toBe(false);

    // A loss without the notice is still a failure to show, with its reason.
    socket.fire('disconnect');
    socket.fire('connect_error', new Error('xhr poll error'));
    await w.vm.$nextTick();
    expect(w.find('[data-testid=stale-banner]').text()).toContain('Feed lost');
    expect(w.find('.why').text()).toContain('xhr poll error');
  });
});
