// @vitest-environment happy-dom
import { beforeEach, describe, expect, it } from 'vitest';
import { nextTick } from 'vue';
import { mount } from '@vue/test-utils';
import { createPinia, setActivePinia, type Pinia } from 'pinia';
import AlertsFeed from '../../client/src/components/AlertsFeed.vue';
import { i18n, setLocale } from '../../client/src/i18n/index.ts';
import { useFloorStore } from '../../client/src/stores/floor.ts';
import type { Alert } from '../../shared/state.ts';
import type { AgentView } from '../../shared/wire.ts';

const T = 1_795_510_800_000;
const alert = (id: string, status: Alert['status'], over: Partial<Alert> = {}): Alert => ({
  id, ruleId: 'queue-wait', level: 'warn', status, queueId: 'sales', value: 61, threshold: 60, unit: 'sec', raisedAtMs: T, updatedAtMs: T + 1_000, ...over,
});
function agent(id: string, team: string): AgentView {
  return {
    agentId: id, name: `Agent ${id}`, team, queues: ['sales'], presence: 'available', reason: null, activity: 'available', activitySinceMs: T,
    callId: null, handled: 0, quota: 30, shiftStartMs: null, shiftMinutes: 480, ahtSec: null, holds: 0, holdSec: 0, ringNoAnswer: 0, ringCanceled: 0, ringsHist: [0, 0, 0, 0, 0, 0, 0],
    holdHist: [0, 0, 0, 0, 0], alertsByRule: {}, openAlerts: 0, worstOpenLevel: null,
  };
}

let pinia: Pinia;
beforeEach(() => {
  pinia = createPinia();
  setActivePinia(pinia);
  setLocale('en');
});

function feed(alerts: Alert[], canAct = true) {
  return mount(AlertsFeed, { props: { alerts, names: new Map([['a1', 'Ada'], ['a2', 'Bo']]), canAct }, global: { plugins: [i18n, pinia] } });
}

describe('alerts feed', () => {
  it('marks an alert later evidence withdrew, offers no acknowledgement for it nor for an ended one, and keeps the open one actionable', async () => {
    const w = feed([alert('open-1', 'open'), alert('gone-1', 'retracted', { raisedAtMs: T + 2 }), alert('done-1', 'resolved', { raisedAtMs: T + 1 })]);
    await w.find('[data-testid="alerts-ended-toggle"]').trigger('click');
    const items = w.findAll('[data-testid="alert-item"]');
    expect(items.map((i) => i.find('[data-testid="alert-status"]').text())).toEqual(['open', 'withdrawn: never real', 'ended']);
    expect(items[1].classes()).toContain('retracted');
    expect(items[0].find('[data-testid="ack-button"]').exists()).toBe(true);
    expect(items[1].find('[data-testid="ack-button"]').exists()).toBe(false);
    expect(items[2].find('[data-testid="ack-button"]').exists()).toBe(false);
  });

  it('puts open unacknowledged alerts first (breaches before warnings), then acknowledged ones, and collapses ended ones behind a count that expands', async () => {
    const w = feed([
      alert('ended-new', 'resolved', { raisedAtMs: T + 50, agentId: 'a1', queueId: undefined }),
      alert('acked', 'open', { raisedAtMs: T + 40, ack: { by: 'sam', atMs: T + 41 } }),
      alert('warn-new', 'open', { raisedAtMs: T + 30 }),
      alert('breach-old', 'open', { level: 'breach', raisedAtMs: T + 10 }),
      alert('ended-old', 'resolved', { raisedAtMs: T + 5 }),
    ]);
    const order = () => w.findAll('[data-testid="alert-item"]').map((i) => i.find('[data-testid="alert-status"]').text() + '/' + i.attributes('data-level') + (i.classes('acked') ? '/acked' : ''));
    expect(order()).toEqual(['open/breach', 'open/warn', 'open/warn/acked']);
    const toggle = w.find('[data-testid="alerts-ended-toggle"]');
    expect(toggle.text()).toContain('Ended alerts (2)');
    expect(toggle.attributes('aria-expanded')).toBe('false');
    expect(w.find('[data-testid="alerts-attention"]').text()).toBe('2 to acknowledge');
    await toggle.trigger('click');
    expect(order()).toEqual(['open/breach', 'open/warn', 'open/warn/acked', 'ended/warn', 'ended/warn']);
    const hide = w.find('[data-testid="alerts-ended-toggle"]');
    expect(hide.text()).toContain('Hide ended alerts (2)');
    expect(hide.attributes('aria-expanded')).toBe('true');
    await hide.trigger('click');
    expect(w.findAll('[data-testid="alert-item"]')).toHaveLength(3);
  });

  it('keeps a breach that ended unacknowledged (a hold without asking) with the open ones, offering Ack, and settles it among the ended once acknowledged', () => {
    const fact = alert('fact', 'resolved', { level: 'breach', ruleId: 'hold-permission', unit: 'event', agentId: 'a1', queueId: undefined, raisedAtMs: T + 9 });
    const w = feed([alert('open-1', 'open'), fact]);
    let items = w.findAll('[data-testid="alert-item"]');
    expect(items.map((i) => i.attributes('data-rule'))).toEqual(['hold-permission', 'queue-wait']);
    expect(items[0].find('[data-testid="ack-button"]').exists()).toBe(true);
    expect(w.find('[data-testid="alerts-attention"]').text()).toBe('2 to acknowledge');
    expect(w.find('[data-testid="alerts-ended-toggle"]').exists()).toBe(false);
    const after = feed([alert('open-1', 'open'), { ...fact, ack: { by: 'sam', atMs: T + 10 } }]);
    items = after.findAll('[data-testid="alert-item"]');
    expect(items.map((i) => i.attributes('data-rule'))).toEqual(['queue-wait']);
    expect(after.find('[data-testid="alerts-ended-toggle"]').text()).toContain('Ended alerts (1)');
  });

  it('keeps an alert acknowledged from this feed in view after it settles, with who and when', async () => {
    const fact = alert('fact', 'resolved', { level: 'breach', ruleId: 'hold-permission', unit: 'event', agentId: 'a1', queueId: undefined });
    const w = feed([fact]);
    await w.find('[data-testid="ack-button"]').trigger('click');
    await w.find('[data-testid="ack-note"]').setValue('coached');
    await w.find('[data-testid="ack-confirm"]').trigger('click');
    expect(w.emitted('acknowledge')).toEqual([['fact', 'coached']]);
    await w.setProps({ alerts: [{ ...fact, ack: { by: 'sam', atMs: T + 5, note: 'coached' } }] } as never);
    const item = w.find('[data-testid="alert-item"]');
    expect(item.find('[data-testid="alert-acked"]').text()).toContain('acknowledged by sam');
    expect(w.find('[data-testid="alerts-ended-toggle"]').exists()).toBe(false);
  });

  it('marks an acknowledged alert with who acknowledged it and when, and offers to reopen it instead of Ack', () => {
    const w = feed([alert('acked', 'open', { ack: { by: 'sam', atMs: T + 60_000, note: 'on it' } })]);
    const item = w.find('[data-testid="alert-item"]');
    expect(item.classes()).toContain('acked');
    expect(item.find('[data-testid="alert-acked"]').text()).toMatch(/^✓ acknowledged by sam at \d{1,2}:\d{2}.*on it/);
    expect(item.find('[data-testid="ack-button"]').exists()).toBe(false);
    expect(item.find('[data-testid="reopen-button"]').exists()).toBe(true);
  });

  it('filters by level, rule, queue, team and status, says how many filters are set, and clears them', async () => {
    useFloorStore().hydrate({ queues: [], totals: null as never, agents: [agent('a1', 'north'), agent('a2', 'south')], calls: [], alerts: [], intervals: {}, voicemails: [], callbacks: [], ticker: [] });
    const w = feed([
      alert('b-north', 'open', { level: 'breach', ruleId: 'hold-long', agentId: 'a1', queueId: 'sales', raisedAtMs: T + 4 }),
      alert('w-south', 'open', { level: 'warn', ruleId: 'ring-limit', agentId: 'a2', queueId: 'support', raisedAtMs: T + 3 }),
      alert('w-queue', 'open', { level: 'warn', ruleId: 'queue-wait', queueId: 'billing', raisedAtMs: T + 2, ack: { by: 'sam', atMs: T + 3 } }),
      alert('e-north', 'resolved', { level: 'breach', ruleId: 'hold-long', agentId: 'a1', queueId: 'sales', raisedAtMs: T + 1, ack: { by: 'kim', atMs: T + 2 } }),
    ]);
    const who = () => w.findAll('[data-testid="alert-item"]').map((i) => i.find('.who').text());
    await w.find('[data-testid="alerts-filters-toggle"]').trigger('click');
    expect(w.find('[data-testid="alert-filters"]').isVisible()).toBe(true);
    const pick = async (name: string, value: string) => w.find(`[data-testid="alerts-filter-${name}"]`).setValue(value);

    await pick('level', 'warn');
    expect(who()).toEqual(['Bo', 'queue billing']);
    expect(w.find('[data-testid="alerts-filters-toggle"]').text()).toBe('Filters (1)');
    await pick('level', '');

    expect(w.findAll('[data-testid="alerts-filter-rule"] option').map((o) => o.attributes('value'))).toEqual(['', 'hold-long', 'queue-wait', 'ring-limit']);
    await pick('rule', 'ring-limit');
    expect(who()).toEqual(['Bo']);
    await pick('rule', '');

    await pick('queue', 'billing');
    expect(who()).toEqual(['queue billing']);
    await pick('queue', '');

    expect(w.findAll('[data-testid="alerts-filter-team"] option').map((o) => o.attributes('value'))).toEqual(['', 'north', 'south']);
    await pick('team', 'north');
    expect(who()).toEqual(['Ada']);
    expect(w.find('[data-testid="alerts-ended-toggle"]').text()).toContain('(1)');

    await pick('status', 'ended');
    // Asked for, ended alerts are the list itself: no toggle to open first.
    expect(who()).toEqual(['Ada']);
    expect(w.find('[data-testid="alert-item"]').find('[data-testid="alert-status"]').text()).toBe('ended');
    expect(w.find('[data-testid="alerts-ended-toggle"]').exists()).toBe(false);
    await pick('team', '');
    await pick('status', 'acked');
    expect(who()).toEqual(['queue billing']);
    await pick('status', 'attention');
    expect(who()).toEqual(['Ada', 'Bo']);
    await pick('level', 'info');
    expect(who()).toEqual([]);
    expect(w.find('[data-testid="alerts-no-match"]').exists()).toBe(true);

    await w.find('[data-testid="alerts-filter-clear"]').trigger('click');
    expect(who()).toEqual(['Ada', 'Bo', 'queue billing']);
    expect(w.find('[data-testid="alerts-filters-toggle"]').text()).toBe('Filters');
  });

  it('speaks Turkish and Estonian in its filters and the ended count', async () => {
    for (const [lang, words] of [['tr', ['Süzgeçler', 'Biten alarmlar (1)']], ['et', ['Filtrid', 'Lõppenud häired (1)']]] as const) {
      setLocale(lang);
      const w = feed([alert('o', 'open'), alert('e', 'resolved')]);
      expect(w.find('[data-testid="alerts-filters-toggle"]').text()).toBe(words[0]);
      expect(w.find('[data-testid="alerts-ended-toggle"]').text()).toContain(words[1]);
      w.unmount();
    }
  });

  describe('focus after the note field closes (keyboard users are never dropped on <body>)', () => {
    const open = (id: string, at: number) => alert(id, 'open', { raisedAtMs: T + at });
    function attached(alerts: Alert[]) {
      return mount(AlertsFeed, { props: { alerts, names: new Map(), canAct: true }, attachTo: document.body, global: { plugins: [i18n, pinia] } });
    }
    const focusedId = () => document.activeElement?.getAttribute('data-testid') ?? document.activeElement?.tagName;
    const focusedAlert = () => document.activeElement?.closest('[data-alert-id]')?.getAttribute('data-alert-id');
    async function openNote(w: ReturnType<typeof attached>, id: string) {
      await w.find(`[data-alert-id="${id}"] [data-testid="ack-button"]`).trigger('click');
      await nextTick();
      expect(focusedId()).toBe('ack-note');
    }

    it('confirming moves focus to the alert row, then to its Reopen button once the ack is recorded; reopening to its Acknowledge button', async () => {
      const a = open('x', 2);
      const w = attached([a, open('y', 1)]);
      await openNote(w, 'x');
      await w.find('[data-testid="ack-note"]').setValue('on it');
      await w.find('[data-testid="ack-note"]').trigger('keydown', { key: 'Enter' });
      await nextTick();
      expect(w.emitted('acknowledge')).toEqual([['x', 'on it']]);
      expect([focusedId(), focusedAlert()]).toEqual(['alert-item', 'x']);
      await w.setProps({ alerts: [{ ...a, ack: { by: 'sam', atMs: T + 5, note: 'on it' } }, open('y', 1)] } as never);
      await nextTick();
      expect([focusedId(), focusedAlert()]).toEqual(['reopen-button', 'x']);
      // Reopen replaces itself with Acknowledge: focus waits on the row, then takes the new button.
      await w.find('[data-testid="reopen-button"]').trigger('click');
      await nextTick();
      expect(w.emitted('reopen')).toEqual([['x']]);
      expect([focusedId(), focusedAlert()]).toEqual(['alert-item', 'x']);
      await w.setProps({ alerts: [{ ...a, reopened: { by: 'sam', atMs: T + 6 } }, open('y', 1)] } as never);
      await nextTick();
      expect([focusedId(), focusedAlert()]).toEqual(['ack-button', 'x']);
      w.unmount();
    });

    it('Cancel and Escape close the note and give focus back to the same Acknowledge button', async () => {
      const w = attached([open('x', 2), open('y', 1)]);
      await openNote(w, 'y');
      await w.find('[data-testid="ack-cancel"]').trigger('click');
      await nextTick();
      expect([focusedId(), focusedAlert()]).toEqual(['ack-button', 'y']);
      await openNote(w, 'y');
      await w.find('[data-testid="ack-note"]').trigger('keydown', { key: 'Escape' });
      await nextTick();
      expect(w.find('[data-testid="ack-note"]').exists()).toBe(false);
      expect([focusedId(), focusedAlert()]).toEqual(['ack-button', 'y']);
      expect(w.emitted('acknowledge')).toBeUndefined();
      w.unmount();
    });

    it('when the acknowledged alert leaves the list, focus goes to the next alert, else the one before, else the heading', async () => {
      const w = attached([open('x', 3), open('y', 2), open('z', 1)]);
      await openNote(w, 'y');
      await w.find('[data-testid="ack-confirm"]').trigger('click');
      await w.setProps({ alerts: [open('x', 3), open('z', 1)] } as never);
      await nextTick();
      expect([focusedId(), focusedAlert()]).toEqual(['ack-button', 'z']);
      await openNote(w, 'z');
      await w.find('[data-testid="ack-confirm"]').trigger('click');
      await w.setProps({ alerts: [open('x', 3)] } as never);
      await nextTick();
      expect([focusedId(), focusedAlert()]).toEqual(['ack-button', 'x']);
      await openNote(w, 'x');
      await w.find('[data-testid="ack-confirm"]').trigger('click');
      await w.setProps({ alerts: [] } as never);
      await nextTick();
      expect(document.activeElement?.tagName).toBe('H2');
      w.unmount();
    });
  });
});
