// @vitest-environment happy-dom
/**
 * The floor grid's pause timer: an away agent's reason and time against its
 * limit ("lunch 31:10 / 35:00"), amber at the limit and red at +50 %, said in
 * words to screen readers, in en, tr and et; and an agent's time away today.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mount } from '@vue/test-utils';
import AgentGrid from '../../client/src/components/AgentGrid.vue';
import AlertsFeed from '../../client/src/components/AlertsFeed.vue';
import { awayToday } from '../../client/src/away.ts';
import { i18n } from '../../client/src/i18n/index.ts';
import { defaultConfig } from '../../shared/config.ts';
import { startLiveClient, stopLiveClient } from './helpers.ts';
import type { AgentView, AwayStretchView } from '../../shared/wire.ts';
import type { Alert } from '../../shared/state.ts';

const T0 = Date.UTC(2026, 10, 30, 12, 0, 0);
const LUNCH: AwayStretchView = { reason: 'lunch', sinceMs: T0, countedFromMs: T0, limitSec: 2100, breachSec: 3150 };

function agent(away: AwayStretchView | null, extra: Partial<AgentView> = {}): AgentView {
  return {
    agentId: 'a1', name: 'Ada', team: 't1', queues: ['sales'], presence: away ? 'away' : 'available', reason: away?.reason ?? null, activity: away ? 'away' : 'available', activitySinceMs: T0,
    callId: null, handled: 3, quota: 30, shiftStartMs: null, shiftMinutes: 480, ahtSec: null, holds: 0, holdSec: 0, ringNoAnswer: 0, ringCanceled: 0, ringsHist: [0, 0, 0, 0, 0, 0, 0],
    holdHist: [0, 0, 0, 0, 0], alertsByRule: {}, openAlerts: 0, worstOpenLevel: null, away, awaySecByReason: {}, ...extra,
  };
}

function grid(a: AgentView, nowMs: number) {
  return mount(AgentGrid, { props: { agents: [a], calls: new Map(), nowMs, config: defaultConfig(), teams: [], queues: [], breaching: new Set<string>() } });
}

beforeEach(() => {
  startLiveClient(T0);
});
afterEach(stopLiveClient);

describe('the pause timer on the floor grid', () => {
  it('shows the reason and its timer against the limit, calm below it', () => {
    const w = grid(agent(LUNCH), T0 + (31 * 60 + 10) * 1000);
    const timer = w.find('[data-testid=agent-away-timer]');
    expect(timer.find('[aria-hidden=true]').text()).toBe('● lunch 31:10 / 35:00');
    expect(timer.classes()).toContain('tone-ok');
    expect(timer.find('.sr-only').text()).toBe('Away for lunch: 31 min 10 s of 35 min 0 s allowed.');
    expect(w.find('[data-testid=agent-row]').attributes('aria-label')).toContain('Away for lunch: 31 min 10 s of 35 min 0 s allowed.');
  });

  it('turns amber at the limit (not a second before) and red at the limit + 50 %', () => {
    const at = (sec: number) => grid(agent(LUNCH), T0 + sec * 1000).find('[data-testid=agent-away-timer]');
    expect(at(2099).classes()).toContain('tone-ok');
    expect(at(2100).classes()).toContain('tone-warn');
    expect(at(2100).find('.sr-only').text()).toBe('Away for lunch: 35 min 0 s, over the 35 min 0 s allowed (warning).');
    expect(at(3149).classes()).toContain('tone-warn');
    expect(at(3150).classes()).toContain('tone-breach');
    expect(at(3150).find('[aria-hidden=true]').text()).toContain('lunch 52:30 / 35:00');
    expect(at(3150).find('.sr-only').text()).toContain('(breach)');
  });

  it('shows a reason with no limit without one, and nothing for an agent not away', () => {
    const training = grid(agent({ reason: 'training', sinceMs: T0, countedFromMs: T0, limitSec: null, breachSec: null }), T0 + 3 * 3600_000);
    expect(training.find('[data-testid=agent-away-timer] [aria-hidden=true]').text()).toContain('training 3:00:00');
    expect(training.find('[data-testid=agent-away-timer]').text()).not.toContain('/');
    expect(grid(agent(null), T0 + 60_000).find('[data-testid=agent-away-timer]').exists()).toBe(false);
  });

  it('says it in Turkish and Estonian, reasons of their own words included', () => {
    i18n.global.locale.value = 'tr';
    const tr = grid(agent(LUNCH), T0 + 2200 * 1000).find('[data-testid=agent-away-timer]');
    expect(tr.find('[aria-hidden=true]').text()).toContain('öğle yemeği 36:40 / 35:00');
    expect(tr.find('.sr-only').text()).toContain('(uyarı)');
    i18n.global.locale.value = 'et';
    const et = grid(agent({ ...LUNCH, reason: 'break', limitSec: 900, breachSec: 1350 }), T0 + 1400 * 1000).find('[data-testid=agent-away-timer]');
    expect(et.find('[aria-hidden=true]').text()).toContain('paus 23:20 / 15:00');
    expect(et.find('.sr-only').text()).toContain('(rikkumine)');
    // A reason the floor named itself is shown as the source wrote it (normalised).
    const own = grid(agent({ ...LUNCH, reason: 'coaching 1:1' }), T0 + 60_000).find('[data-testid=agent-away-timer]');
    expect(own.find('[aria-hidden=true]').text()).toContain('coaching 1:1 1:00 / 35:00');
  });
});

describe('time away today', () => {
  it('adds today\'s part of the pause in progress to the finished ones, with the limits, longest first', () => {
    const a = agent({ ...LUNCH, sinceMs: T0 - 600_000, countedFromMs: T0 }, { awaySecByReason: { break: 900, lunch: 300, '': 60 } });
    expect(awayToday(a, T0 + 1200_000, defaultConfig().awayLimitMinutes)).toEqual([
      { reason: 'lunch', sec: 1500, limitSec: 2100 },
      { reason: 'break', sec: 900, limitSec: 900 },
      { reason: '', sec: 60, limitSec: null },
    ]);
  });
});

describe('the reason in the grid\'s state column', () => {
  it('names the usual reasons in the page\'s language', () => {
    i18n.global.locale.value = 'et';
    const w = grid(agent({ ...LUNCH, reason: 'lunch' }, { reason: 'Lunch' }), T0 + 60_000);
    expect(w.find('[data-testid=agent-state] .what').text()).toBe('eemal (lõuna)');
    i18n.global.locale.value = 'en';
  });
});

describe('an away-long alert in the feed', () => {
  it('names the reason of the pause beside the rule', () => {
    const alert: Alert = { id: 'away-long:a1:1', ruleId: 'away-long', level: 'warn', status: 'open', agentId: 'a1', reason: 'lunch', value: 2200, threshold: 2100, unit: 'sec', raisedAtMs: T0, updatedAtMs: T0 };
    const w = mount(AlertsFeed, { props: { alerts: [alert], names: new Map([['a1', 'Ada']]), canAct: false } });
    expect(w.text()).toContain('Long break (lunch)');
    expect(w.text()).toContain('36 min 40 s');
  });
});
