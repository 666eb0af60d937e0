// @vitest-environment happy-dom
/**
 * The nav bar (client/src/components/NavBar.vue): the floor's day picker and its CSV exports belong to the
 * floor view; on the reports, scorecard, what-if and admin pages they would read as that page's controls.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { mount } from '@vue/test-utils';
import { createPinia, setActivePinia, type Pinia } from 'pinia';
import NavBar from '../../client/src/components/NavBar.vue';
import { i18n, setLocale } from '../../client/src/i18n/index.ts';
import { useSessionStore } from '../../client/src/stores/session.ts';

let pinia: Pinia;
beforeEach(() => {
  pinia = createPinia();
  setActivePinia(pinia);
  setLocale('en');
  useSessionStore().me = { username: 'root', role: 'admin', agentId: null, demo: false };
});

const mountNav = (view: string) => mount(NavBar, { props: { view }, global: { plugins: [i18n, pinia] } });

describe('nav bar', () => {
  it('offers the day picker and the day’s CSVs on the floor view', () => {
    const w = mountNav('floor');
    expect(w.find('[data-testid="day-picker"]').exists()).toBe(true);
    expect(w.find('[data-testid="nav-agents-csv"]').attributes('href')).toBe('/api/export/agents.csv');
    expect(w.find('[data-testid="nav-queues-csv"]').attributes('href')).toBe('/api/export/queues.csv');
  });

  it.each(['reports', 'scorecard', 'what-if', 'settings', 'users', 'audit', 'account'])('leaves them out on the %s page, keeping the page links', (view) => {
    const w = mountNav(view);
    expect(w.find('[data-testid="day-picker"]').exists()).toBe(false);
    expect(w.find('[data-testid="nav-agents-csv"]').exists()).toBe(false);
    expect(w.find('[data-testid="nav-queues-csv"]').exists()).toBe(false);
    expect(w.find('[data-testid="nav-reports"]').exists()).toBe(true);
    expect(w.text()).not.toContain('CSV');
  });
});
