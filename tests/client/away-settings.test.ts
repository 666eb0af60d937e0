// @vitest-environment happy-dom
/**
 * The settings page's pause limits: minutes per reason for the floor and per team, "no limit",
 * a new reason (normalised), none for a queue, and the server's clear error for a bad limit.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import SettingsView from '../../client/src/views/SettingsView.vue';
import { i18n } from '../../client/src/i18n/index.ts';
import { defaultConfig, parseConfig, type FloorConfig } from '../../shared/config.ts';

let puts: FloorConfig[] = [];

beforeEach(() => {
  setActivePinia(createPinia());
  i18n.global.locale.value = 'en';
  puts = [];
  const config = { ...defaultConfig(), teams: { night: {} }, queues: { sales: {} } };
  vi.stubGlobal('fetch', async (path: string, init?: { method?: string; body?: string }) => {
    const reply = (body: unknown, status = 200) => ({ status, json: async () => body });
    if (path === '/api/settings' && init?.method === 'PUT') {
      const sent = JSON.parse(init.body ?? '{}') as FloorConfig;
      puts.push(sent);
      const r = parseConfig(sent);
      return r.ok ? reply({ ok: true, data: r.config }) : reply({ ok: false, error: r.error }, 400);
    }
    if (path === '/api/settings') return reply({ ok: true, data: structuredClone(config) });
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

describe('pause limits on the settings page', () => {
  it('shows the floor\'s limits in minutes, training without one, with a help line', async () => {
    const w = await page();
    const box = w.find('[data-testid=away-limits]');
    expect(box.text()).toContain('a warning at the limit, a breach at the limit + 50 %');
    expect((w.find('[data-testid=away-min-break]').element as HTMLInputElement).value).toBe('15');
    expect((w.find('[data-testid=away-min-lunch]').element as HTMLInputElement).value).toBe('35');
    expect((w.find('[data-testid=away-none-training]').element as HTMLInputElement).checked).toBe(true);
    expect((w.find('[data-testid=away-min-training]').element as HTMLInputElement).disabled).toBe(true);
    w.unmount();
  });

  it('shows the server\'s clear error for a bad limit, and saves good ones with a new reason, normalised', async () => {
    const w = await page();
    await w.find('[data-testid=away-min-break]').setValue('0');
    await w.find('[data-testid=settings-save]').trigger('click');
    await flushPromises();
    expect(w.find('[data-testid=settings-message]').text()).toBe('awayLimitMinutes.break: Too small: expected number to be >=1');
    await w.find('[data-testid=away-min-break]').setValue('10');
    await w.find('[data-testid=away-new]').setValue('  Coffee  Break ');
    await w.find('[data-testid=away-add]').trigger('click');
    expect((w.find('[data-testid="away-none-coffee break"]').element as HTMLInputElement).checked).toBe(true);
    await w.find('[data-testid="away-none-coffee break"]').setValue(false);
    await w.find('[data-testid="away-min-coffee break"]').setValue('5');
    await w.find('[data-testid=settings-save]').trigger('click');
    await flushPromises();
    expect(w.find('[data-testid=settings-message]').text()).toMatch(/^Saved\./);
    expect(puts.at(-1)?.awayLimitMinutes).toEqual({ break: 10, lunch: 35, training: null, 'coffee break': 5 });
    w.unmount();
  });

  it('edits a team\'s own limits over the floor\'s, and says a queue has none', async () => {
    const w = await page();
    await w.find('[data-testid=settings-scope]').setValue('team:night');
    expect(w.find('[data-testid=away-limits]').text()).toContain('This team’s limits replace the floor’s');
    expect(w.find('[data-testid=away-min-break]').exists()).toBe(false);
    await w.find('[data-testid=away-new]').setValue('lunch');
    await w.find('[data-testid=away-add]').trigger('click');
    await w.find('[data-testid=away-none-lunch]').setValue(false); // takes the floor's 35 to start from
    expect((w.find('[data-testid=away-min-lunch]').element as HTMLInputElement).value).toBe('35');
    await w.find('[data-testid=away-min-lunch]').setValue('45');
    await w.find('[data-testid=settings-save]').trigger('click');
    await flushPromises();
    expect(puts.at(-1)?.teams.night.awayLimitMinutes).toEqual({ lunch: 45 });
    expect(puts.at(-1)?.awayLimitMinutes).toEqual({ break: 15, lunch: 35, training: null });
    await w.find('[data-testid=settings-scope]').setValue('queue:sales');
    expect(w.find('[data-testid=away-limits]').text()).toBe('Pause limits are set for the floor or per team, not per queue.');
    w.unmount();
  });
});
