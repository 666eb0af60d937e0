// @vitest-environment happy-dom
/**
 * The floor's callback worklist panel (client/src/components/CallbackWorklist.vue): open items as
 * rows with the wait for a call back coloured by abandon-callback's per-queue thresholds, a select
 * named for screen readers that assigns, the closed ones behind a disclosure, words in each language.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { mount } from '@vue/test-utils';
import { createPinia, setActivePinia, type Pinia } from 'pinia';
import CallbackWorklist from '../../client/src/components/CallbackWorklist.vue';
import { i18n, setLocale } from '../../client/src/i18n/index.ts';
import { defaultConfig } from '../../shared/config.ts';
import type { WorklistItemView } from '../../shared/wire.ts';

const T = 1_795_510_800_000;
const MIN = 60_000;
const item = (itemId: string, over: Partial<WorklistItemView> = {}): WorklistItemView => ({
  itemId, caller: '+372 5550 1234', masked: false, queueId: 'sales', waitSec: 45, firstAbandonedAtMs: T, lastAbandonedAtMs: T, abandons: 1, attempts: 0,
  lastAttemptAtMs: null, outcome: 'new', assignedTo: null, closedAtMs: null, ...over,
});
const ROSTER = [{ agentId: '1001', name: 'Ada' }, { agentId: '1002', name: 'Bo' }];

let pinia: Pinia;
beforeEach(() => {
  pinia = createPinia();
  setActivePinia(pinia);
  setLocale('en');
});

function panel(items: WorklistItemView[], nowMs: number, canAct = true) {
  const config = defaultConfig();
  config.queues.vip = { rules: { abandonCallbackWarnSec: 600 } };
  return mount(CallbackWorklist, { props: { items, roster: ROSTER, names: new Map(ROSTER.map((r) => [r.agentId, r.name])), nowMs, config, canAct }, global: { plugins: [i18n, pinia] } });
}

describe('callback worklist panel', () => {
  it('lists open items with their figures and colours the wait for a call back by the queue’s thresholds', () => {
    const w = panel([item('wl:a'), item('wl:b', { queueId: 'vip', caller: '+372 5550 9876', abandons: 2 }), item('wl:c', { closedAtMs: T + MIN, outcome: 'reached', assignedTo: '1001' })], T + 31 * MIN);
    const rows = w.findAll('[data-testid="worklist-item"]');
    expect(rows.map((r) => r.attributes('data-item'))).toEqual(['wl:a', 'wl:b']);
    expect(rows[0].text()).toContain('+372 5550 1234');
    expect(rows[0].text()).toContain('0:45');
    expect(rows[0].text()).toContain('not tried yet');
    expect(rows[0].findAll('td')[3].classes()).toContain('tone-warn'); // 31 min on sales: past 30, before 60
    expect(rows[1].findAll('td')[3].classes()).toContain('tone-breach'); // 31 min on vip: past 2 × 10
    expect(rows[1].text()).toContain('hung up 2 times');
    expect(w.find('table caption').text()).toBe('Callers who hung up in a queue, oldest first');
    expect(w.find('.wl-closed summary').text()).toBe('Called back today (1)');
    expect(w.find('[data-testid="worklist-closed"]').text()).toContain('reached');
  });

  it('assigns from a select named for screen readers, and takes back with "nobody"', async () => {
    const w = panel([item('wl:a', { assignedTo: '1002' })], T);
    const select = w.find('[data-testid="worklist-assign"]');
    expect(select.attributes('aria-label')).toBe('Assign the call back to +372 5550 1234 to');
    expect((select.element as HTMLSelectElement).value).toBe('1002');
    await select.setValue('1001');
    await select.setValue('');
    expect(w.emitted('assign')).toEqual([['wl:a', '1001'], ['wl:a', null]]);
  });

  it('shows the assignee without a control to a face that may not assign', () => {
    const w = panel([item('wl:a', { assignedTo: '1001' })], T, false);
    expect(w.find('[data-testid="worklist-assign"]').exists()).toBe(false);
    expect(w.find('[data-testid="worklist-item"]').text()).toContain('Ada');
  });

  it('speaks Turkish and Estonian', () => {
    setLocale('tr');
    expect(panel([item('wl:a')], T).find('h2').text()).toContain('Geri aranacak arayanlar');
    setLocale('et');
    expect(panel([], T).text()).toContain('Tagasi helistada pole kellelegi.');
  });
});
