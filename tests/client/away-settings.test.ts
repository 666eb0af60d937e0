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

  it('refuses a limit under its minimum at the field, sends nothing, and says so beside the Save button', async () => {
    const w = await page();
    await w.find('[data-testid=away-min-break]').setValue('0');
    await w.find('[data-testid=settings-save]').trigger('click');
    await flushPromises();
    expect(puts).toEqual([]);
    expect(w.find('[data-testid=away-min-break-problem]').text()).toBe('At least 1.');
    const input = w.find('[data-testid=away-min-break]').element as HTMLInputElement;
    expect(input.getAttribute('aria-invalid')).toBe('true');
    expect(input.getAttribute('aria-describedby')).toContain('away-min-break-problem');
    expect(document.activeElement).toBe(input);
    const beside = w.find('.save-bar [data-testid=settings-save-message]');
    expect(beside.attributes('role')).toBe('alert');
    expect(beside.text()).toBe('Not saved: 1 field needs a fix (marked above).');
    w.unmount();
  });

  it('checks every bounded number field the same way, by the server schema\'s bounds', async () => {
    const w = await page();
    await w.find('[data-testid=rule-ringWarnAt]').setValue('99');
    await w.find('[data-testid=work-targetOccupancy]').setValue('2');
    await w.find('#settings-day-start').setValue('30');
    await w.find('[data-testid=settings-save]').trigger('click');
    await flushPromises();
    expect(puts).toEqual([]);
    expect(w.find('[data-testid=rule-ringWarnAt-problem]').text()).toBe('At most 50.');
    expect(w.find('[data-testid=work-targetOccupancy-problem]').text()).toBe('At least 5.');
    expect(w.find('[data-testid=settings-day-start-problem]').text()).toContain('At most 23.');
    expect(w.find('[data-testid=settings-save-message]').text()).toBe('Not saved: 3 fields need a fix (marked above).');
    w.unmount();
  });

  it('shows the server\'s error beside the Save button, where it was pressed', async () => {
    const w = await page();
    await w.find('[data-testid=rule-ringWarnAt]').setValue('1.5'); // in bounds, but the server wants a whole number
    await w.find('[data-testid=settings-save]').trigger('click');
    await flushPromises();
    expect(puts).toHaveLength(1);
    const beside = w.find('.save-bar [data-testid=settings-save-message]');
    expect(beside.text()).toMatch(/^rules\.ringWarnAt: /);
    expect(beside.attributes('role')).toBe('alert');
    w.unmount();
  });

  it('starts a new reason with minutes to fill, not "no limit", and does not save it empty', async () => {
    const w = await page();
    await w.find('[data-testid=away-new]').setValue('  Coffee  Break ');
    await w.find('[data-testid=away-add]').trigger('click');
    await flushPromises();
    const min = w.find('[data-testid="away-min-coffee break"]').element as HTMLInputElement;
    expect((w.find('[data-testid="away-none-coffee break"]').element as HTMLInputElement).checked).toBe(false);
    expect(min.disabled).toBe(false);
    expect(min.value).toBe('');
    expect(document.activeElement).toBe(min);
    await w.find('[data-testid=settings-save]').trigger('click');
    await flushPromises();
    expect(puts).toEqual([]);
    expect(w.find('[data-testid="away-min-coffee break-problem"]').text()).toBe('Type the minutes, or tick “no limit”.');
    await w.find('[data-testid="away-min-coffee break"]').setValue('5');
    await w.find('[data-testid=settings-save]').trigger('click');
    await flushPromises();
    expect(w.find('[data-testid=settings-save-message]').text()).toMatch(/^Saved\./);
    expect(w.find('[data-testid=settings-save-message]').attributes('role')).toBe('status');
    expect(puts.at(-1)?.awayLimitMinutes).toEqual({ break: 15, lunch: 35, training: null, 'coffee break': 5 });
    w.unmount();
  });

  it('edits a team\'s own limits over the floor\'s, and says a queue has none', async () => {
    const w = await page();
    await w.find('[data-testid=settings-scope]').setValue('team:night');
    expect(w.find('[data-testid=away-help]').text()).toContain('pauses with no reason. This team’s limits replace the floor’s');
    // The floor's reasons, inherited: empty, the floor's value greyed as the placeholder, editable.
    const brk = w.find('[data-testid=away-min-break]').element as HTMLInputElement;
    expect([brk.value, brk.placeholder, brk.disabled]).toEqual(['', '15', false]);
    expect(w.find('[data-testid=away-break]').classes()).toContain('away-inherited');
    expect((w.find('[data-testid=away-min-training]').element as HTMLInputElement).placeholder).toBe('no limit');
    await w.find('[data-testid=away-new]').setValue('coffee');
    await w.find('[data-testid=away-add]').trigger('click');
    const coffee = w.find('[data-testid=away-min-coffee]').element as HTMLInputElement;
    expect([coffee.value, coffee.disabled, (w.find('[data-testid=away-none-coffee]').element as HTMLInputElement).checked]).toEqual(['', false, false]);
    await w.find('[data-testid=away-min-lunch]').setValue('45');
    await w.find('[data-testid=settings-save]').trigger('click');
    await flushPromises();
    expect(puts).toEqual([]); // coffee has no minutes yet
    await w.find('[data-testid=away-none-coffee]').setValue(true);
    await w.find('[data-testid=settings-save]').trigger('click');
    await flushPromises();
    expect(puts.at(-1)?.teams.night.awayLimitMinutes).toEqual({ lunch: 45, coffee: null });
    expect(puts.at(-1)?.awayLimitMinutes).toEqual({ break: 15, lunch: 35, training: null });
    await w.find('[data-testid=settings-scope]').setValue('queue:sales');
    expect(w.find('[data-testid=away-limits]').text()).toBe('Pause limits are set for the floor or per team, not per queue.');
    w.unmount();
  });
});
