// @vitest-environment happy-dom
/**
 * The settings page's live-staffing window: floor-wide minutes (30 by default, also for a
 * configuration saved before it existed), saved in `staffing.windowMinutes`, refused outside
 * 5..240 at the field, and not offered for a queue or team.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import SettingsView from '../../client/src/views/SettingsView.vue';
import { i18n } from '../../client/src/i18n/index.ts';
import { defaultConfig, parseConfig, type FloorConfig } from '../../shared/config.ts';

let puts: FloorConfig[] = [];
let stored: FloorConfig;

beforeEach(() => {
  setActivePinia(createPinia());
  i18n.global.locale.value = 'en';
  puts = [];
  stored = { ...defaultConfig(), queues: { sales: {} } };
  vi.stubGlobal('fetch', async (path: string, init?: { method?: string; body?: string }) => {
    const reply = (body: unknown, status = 200) => ({ status, json: async () => body });
    if (path === '/api/settings' && init?.method === 'PUT') {
      const sent = JSON.parse(init.body ?? '{}') as FloorConfig;
      puts.push(sent);
      const r = parseConfig(sent);
      return r.ok ? reply({ ok: true, data: r.config }) : reply({ ok: false, error: r.error }, 400);
    }
    if (path === '/api/settings') return reply({ ok: true, data: structuredClone(stored) });
    if (path.startsWith('/api/snapshot')) return reply({ ok: true, data: { payload: { queues: [], agents: [] } } });
    return reply({ ok: false, error: 'not here' }, 404);
  });
});
afterEach(() => {
  vi.unstubAllGlobals();
});

async function page() {
  const w = mount(SettingsView, { attachTo: document.body });
  await flushPromises();
  return w;
}
const field = (w: Awaited<ReturnType<typeof page>>) => w.find('[data-testid=staffing-windowMinutes]');

describe('live-staffing window on the settings page', () => {
  it('shows 30 minutes with its bounds and a help line, and saves a new window', async () => {
    const w = await page();
    const input = field(w).element as HTMLInputElement;
    expect([input.value, input.min, input.max]).toEqual(['30', '5', '240']);
    expect(w.find('#help-staffingWindowMinutes').text()).toContain('Erlang C');
    await field(w).setValue('45');
    await w.find('[data-testid=settings-save]').trigger('click');
    await flushPromises();
    expect(puts.map((c) => c.staffing)).toEqual([{ windowMinutes: 45 }]);
    w.unmount();
  });

  it('shows the default for a configuration saved before the window existed', async () => {
    delete stored.staffing;
    const w = await page();
    expect((field(w).element as HTMLInputElement).value).toBe('30');
    w.unmount();
  });

  it('refuses a window over 240 minutes at the field and sends nothing', async () => {
    const w = await page();
    await field(w).setValue('300');
    await w.find('[data-testid=settings-save]').trigger('click');
    await flushPromises();
    expect(puts).toEqual([]);
    expect(w.find('[data-testid=staffing-windowMinutes-problem]').text()).toMatch(/240/);
    w.unmount();
  });

  it('is floor-wide: no field while a queue override is edited', async () => {
    const w = await page();
    await w.find('[data-testid=settings-scope]').setValue('queue:sales');
    expect(field(w).exists()).toBe(false);
    w.unmount();
  });
});
