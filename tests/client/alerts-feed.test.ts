// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { mount } from '@vue/test-utils';
import AlertsFeed from '../../client/src/components/AlertsFeed.vue';
import { i18n } from '../../client/src/i18n/index.ts';
import type { Alert } from '../../shared/state.ts';

const T = 1_795_510_800_000;
const alert = (id: string, status: Alert['status']): Alert => ({
  id, ruleId: 'queue-wait', level: 'warn', status, queueId: 'sales', value: 61, threshold: 60, unit: 'sec', raisedAtMs: T, updatedAtMs: T + 1_000,
});

describe('alerts feed', () => {
  it('marks an alert later evidence withdrew, offers no acknowledgement for it, and keeps the others as they were', () => {
    const w = mount(AlertsFeed, {
      props: { alerts: [alert('open-1', 'open'), alert('gone-1', 'retracted'), alert('done-1', 'resolved')], names: new Map(), canAct: true },
      global: { plugins: [i18n] },
    });
    const items = w.findAll('[data-testid="alert-item"]');
    expect(items.map((i) => i.find('[data-testid="alert-status"]').text())).toEqual(['open', 'withdrawn: never real', 'ended']);
    expect(items[1].classes()).toContain('retracted');
    expect(items[1].find('[data-testid="ack-button"]').exists()).toBe(false);
    expect(items[0].find('[data-testid="ack-button"]').exists()).toBe(true);
    expect(items[2].find('[data-testid="ack-button"]').exists()).toBe(true);
  });
});
