import { describe, expect, it } from 'vitest';
import { Feed, T0, sec, configWith } from './feed.ts';
import { awayLimitSec, normalizeAwayReason, addAwayMs, AWAY_DAY_REASONS_MAX, AWAY_OTHER_REASON } from '../../shared/away.ts';
import { defaultConfig, effectiveConfig, parseConfig } from '../../shared/config.ts';
import { applyEvent, createFloorState, tick } from '../../shared/engine.ts';
import { parseEvent, parseInternalEvent, type FloorEventInput } from '../../shared/events.ts';
import { selectAgentView } from '../../shared/selectors.ts';

const MIN = 60;

describe('away-long', () => {
  it('warns a break at 15:00 (not 14:59) and breaches it at 22:30, live, then ends it when the agent returns', () => {
    const f = new Feed().agent(0, 'a1').agent(100, 'a1', 'away', { reason: 'Break' });
    f.tick(100 + 15 * MIN - 1);
    expect(f.alerts('away-long')).toEqual([]);
    f.tick(100 + 15 * MIN);
    expect(f.open('away-long')).toMatchObject([{ level: 'warn', value: 900, threshold: 900, unit: 'sec', agentId: 'a1', reason: 'break', raisedAtMs: sec(100 + 900) }]);
    f.tick(100 + 22.5 * MIN - 1);
    expect(f.open('away-long')[0].level).toBe('warn');
    f.tick(100 + 22.5 * MIN);
    const [a] = f.open('away-long');
    expect(a).toMatchObject({ level: 'breach', value: 1350, threshold: 1350, raisedAtMs: sec(1000) });
    f.agent(100 + 25 * MIN, 'a1', 'available');
    expect(f.open('away-long')).toEqual([]);
    expect(f.alerts('away-long')).toMatchObject([{ id: a.id, status: 'resolved', level: 'breach', value: 1500, resolvedAtMs: sec(100 + 25 * MIN) }]);
    expect(f.state.agents.get('a1')!.today.alerts['away-long']).toEqual({ info: 0, warn: 0, breach: 1 });
  });

  it('gives lunch 35 min to the warning and 52:30 to the breach', () => {
    const f = new Feed().agent(0, 'a1', 'away', { reason: 'lunch' });
    f.tick(35 * MIN - 1);
    expect(f.alerts('away-long')).toEqual([]);
    f.tick(35 * MIN);
    expect(f.open('away-long')).toMatchObject([{ level: 'warn', threshold: 2100 }]);
    f.tick(52.5 * MIN - 1);
    expect(f.open('away-long')[0].level).toBe('warn');
    f.tick(52.5 * MIN);
    expect(f.open('away-long')[0]).toMatchObject({ level: 'breach', threshold: 3150 });
  });

  it('never limits training, nor a reason the limits do not name, nor a pause without a reason', () => {
    const f = new Feed().agent(0, 'a1', 'away', { reason: 'training' }).agent(0, 'a2', 'away', { reason: 'coaching' }).agent(0, 'a3', 'away');
    f.tick(8 * 3600);
    expect(f.alerts('away-long')).toEqual([]);
  });

  it('limits unnamed reasons and pauses without a reason by the "*" entry when one is set', () => {
    const f = new Feed(configWith((c) => (c.awayLimitMinutes = { ...c.awayLimitMinutes, '*': 10 }))).agent(0, 'a1', 'away', { reason: 'coaching' }).agent(0, 'a2', 'away').agent(0, 'a3', 'away', { reason: 'training' });
    f.tick(10 * MIN - 1);
    expect(f.alerts('away-long')).toEqual([]);
    f.tick(10 * MIN);
    expect(f.open('away-long').map((a) => a.agentId).sort()).toEqual(['a1', 'a2']); // training stays unlimited
  });

  it('follows the team override, reason by reason', () => {
    const config = configWith((c) => (c.teams.night = { awayLimitMinutes: { break: 10, training: 60 } }));
    const f = new Feed(config).agent(0, 'n1', 'away', { reason: 'break', team: 'night' }).agent(0, 'd1', 'away', { reason: 'break', team: 'day' });
    f.agent(0, 'n2', 'away', { reason: 'training', team: 'night' }).agent(0, 'n3', 'away', { reason: 'lunch', team: 'night' });
    f.tick(10 * MIN);
    expect(f.open('away-long').map((a) => [a.agentId, a.level])).toEqual([['n1', 'warn']]);
    f.tick(15 * MIN);
    expect(f.open('away-long').map((a) => [a.agentId, a.level]).sort()).toEqual([['d1', 'warn'], ['n1', 'breach']]);
    f.tick(60 * MIN);
    // lunch keeps the floor's 35 min for the night team; training has 60 min there.
    expect(f.open('away-long').map((a) => [a.agentId, a.level]).sort()).toEqual([['d1', 'breach'], ['n1', 'breach'], ['n2', 'warn'], ['n3', 'breach']]);
  });

  it('raises nothing for an agent back before the limit', () => {
    const f = new Feed().agent(0, 'a1', 'away', { reason: 'break' });
    f.tick(14 * MIN);
    f.agent(15 * MIN - 1, 'a1', 'available');
    f.tick(30 * MIN);
    expect(f.alerts('away-long')).toEqual([]);
  });

  it('judges a stretch no tick saw by its end (a replay), at the level its length deserves', () => {
    const f = new Feed().agent(0, 'a1', 'away', { reason: 'break' }).agent(20 * MIN, 'a1', 'available');
    expect(f.alerts('away-long')).toMatchObject([{ level: 'warn', status: 'resolved', value: 1200, raisedAtMs: sec(15 * MIN) }]);
  });

  it('starts a new stretch when the reason changes, and ignores the same reason in other words', () => {
    const f = new Feed().agent(0, 'a1', 'away', { reason: 'break' });
    f.agent(10 * MIN, 'a1', 'away', { reason: '  BREAK ' }); // same reason: the timer runs on
    f.tick(15 * MIN);
    expect(f.open('away-long')).toHaveLength(1);
    f.agent(16 * MIN, 'a1', 'away', { reason: 'Lunch' });
    expect(f.open('away-long')).toEqual([]);
    f.tick(16 * MIN + 35 * MIN - 1);
    expect(f.open('away-long')).toEqual([]);
    f.tick(16 * MIN + 35 * MIN);
    expect(f.open('away-long')).toMatchObject([{ level: 'warn', threshold: 2100 }]);
    const today = f.state.agents.get('a1')!.today;
    expect(today.awayMs).toEqual({ break: 16 * MIN * 1000 });
  });

  it('stays silent when switched off for the team, and ends what it raised when switched off mid-stretch', () => {
    const off = new Feed(configWith((c) => (c.teams.t = { disabled: ['away-long'] }))).agent(0, 'a1', 'away', { reason: 'break', team: 't' }).tick(60 * MIN).agent(61 * MIN, 'a1', 'available');
    expect(off.alerts('away-long')).toEqual([]);
    const f = new Feed().agent(0, 'a1', 'away', { reason: 'break' }).tick(16 * MIN);
    expect(f.open('away-long')).toHaveLength(1);
    f.state.config = configWith((c) => (c.disabled = ['away-long']));
    f.agent(17 * MIN, 'a1', 'available');
    expect(f.open('away-long')).toEqual([]);
  });
});

describe('away-long under a change of settings during a pause', () => {
  /** The floor's settings changed at `atSec` as an admin's save does (a config.changed event in the log). */
  const change = (f: Feed, atSec: number, patch: (c: ReturnType<typeof defaultConfig>) => void) => {
    const r = parseInternalEvent({ type: 'config.changed', id: `cfg-${atSec}`, at: sec(atSec), config: configWith(patch), by: 'admin' });
    if (!r.ok) throw new Error(r.error);
    applyEvent(f.state, r.event);
  };

  it('ends a breach at once when the limit is raised past the pause, and leaves it so when the agent returns', () => {
    const f = new Feed(configWith((c) => (c.awayLimitMinutes = { ...c.awayLimitMinutes, break: 3 }))).agent(0, 'a1', 'away', { reason: 'break' });
    f.tick(12 * MIN);
    expect(f.open('away-long')).toMatchObject([{ level: 'breach', threshold: 270 }]);
    change(f, 12 * MIN, (c) => (c.awayLimitMinutes = { ...c.awayLimitMinutes, break: 20 }));
    expect(f.open('away-long')).toEqual([]);
    expect(f.alerts('away-long')).toMatchObject([{ status: 'resolved', level: 'breach', value: 720, resolvedAtMs: sec(12 * MIN) }]);
    f.tick(15 * MIN).agent(16 * MIN, 'a1', 'available');
    expect(f.alerts('away-long')).toMatchObject([{ status: 'resolved', level: 'breach', value: 720 }]);
    expect(f.state.agents.get('a1')!.today.alerts['away-long']).toEqual({ info: 0, warn: 0, breach: 1 });
  });

  it('steps a breach down to a warning when the new limit makes it one, and up again as the pause goes on', () => {
    const f = new Feed(configWith((c) => (c.awayLimitMinutes = { ...c.awayLimitMinutes, break: 4 }))).agent(0, 'a1', 'away', { reason: 'break' });
    f.tick(7 * MIN);
    expect(f.open('away-long')).toMatchObject([{ level: 'breach' }]);
    change(f, 7 * MIN, (c) => (c.awayLimitMinutes = { ...c.awayLimitMinutes, break: 6 })); // warn 6:00, breach 9:00
    expect(f.open('away-long')).toMatchObject([{ level: 'warn', threshold: 360, value: 420 }]);
    f.tick(9 * MIN);
    expect(f.open('away-long')).toMatchObject([{ level: 'breach', threshold: 540 }]);
  });

  it('ends what it raised when the limit is lifted or the rule switched off', () => {
    const f = new Feed().agent(0, 'a1', 'away', { reason: 'break' }).agent(0, 'a2', 'away', { reason: 'lunch' });
    f.tick(40 * MIN);
    expect(f.open('away-long').map((a) => a.agentId).sort()).toEqual(['a1', 'a2']);
    change(f, 40 * MIN, (c) => {
      c.awayLimitMinutes = { ...c.awayLimitMinutes, break: null };
      c.teams.t = { disabled: ['away-long'] };
    });
    expect(f.open('away-long').map((a) => a.agentId)).toEqual(['a2']);
    change(f, 41 * MIN, (c) => (c.disabled = ['away-long']));
    expect(f.open('away-long')).toEqual([]);
  });
});

describe('time away per reason per day', () => {
  it('adds up each reason\'s stretches on the agent\'s day, the one in progress in the view', () => {
    const f = new Feed().agent(0, 'a1').agent(60, 'a1', 'away', { reason: 'break' }).agent(60 + 10 * MIN, 'a1', 'available');
    f.agent(3600, 'a1', 'away', { reason: 'Lunch' }).agent(3600 + 30 * MIN, 'a1', 'available').agent(7200, 'a1', 'away', { reason: 'break' });
    f.agent(7200 + 5 * MIN, 'a1', 'offline').agent(9000, 'a1', 'away', { reason: 'break' }).tick(9000 + 2 * MIN);
    const a = f.state.agents.get('a1')!;
    expect(a.today.awayMs).toEqual({ break: 15 * MIN * 1000, lunch: 30 * MIN * 1000 });
    const v = selectAgentView(f.state, a);
    expect(v.awaySecByReason).toEqual({ break: 15 * MIN, lunch: 30 * MIN });
    expect(v.away).toEqual({ reason: 'break', sinceMs: sec(9000), countedFromMs: sec(9000), limitSec: 900, breachSec: 1350 });
  });

  it('splits a stretch across midnight in the floor\'s zone, and the alert runs on', () => {
    // 23:50 in Istanbul (UTC+3) is 20:50 UTC.
    const config = configWith((c) => (c.timeZone = 'Europe/Istanbul'));
    const start = Date.parse('2026-11-24T20:50:00Z');
    const s = createFloorState(config, start);
    let n = 0;
    const send = (atMs: number, e: Record<string, unknown>) => {
      const r = parseEvent({ id: `e${++n}`, at: atMs, ...e } as FloorEventInput);
      if (!r.ok) throw new Error(r.error);
      applyEvent(s, r.event);
    };
    send(start, { type: 'agent.state', agentId: 'a1', state: 'away', reason: 'lunch' });
    tick(s, start + 20 * MIN * 1000); // 00:10 local: the day turned at 21:00 UTC
    const a = s.agents.get('a1')!;
    const oldDay = Date.parse('2026-11-23T21:00:00Z');
    expect(s.dayStartMs).toBe(Date.parse('2026-11-24T21:00:00Z'));
    expect(a.pastDays.get(oldDay)!.awayMs).toEqual({ lunch: 10 * MIN * 1000 });
    expect(a.today.awayMs).toEqual({});
    tick(s, start + 35 * MIN * 1000);
    expect([...s.alerts.values()].filter((x) => x.ruleId === 'away-long')).toMatchObject([{ level: 'warn', raisedAtMs: start + 35 * MIN * 1000 }]);
    send(start + 40 * MIN * 1000, { type: 'agent.state', agentId: 'a1', state: 'available' });
    expect(a.today.awayMs).toEqual({ lunch: 30 * MIN * 1000 });
    expect(selectAgentView(s, a, undefined, oldDay).awaySecByReason).toEqual({ lunch: 10 * MIN });
  });

  it('counts at most a bounded number of reasons apart per day, the rest as "other"', () => {
    const tally: Record<string, number> = {};
    for (let i = 0; i < AWAY_DAY_REASONS_MAX + 5; i++) addAwayMs(tally, `r${i}`, 1000);
    expect(Object.keys(tally)).toHaveLength(AWAY_DAY_REASONS_MAX + 1);
    expect(tally[AWAY_OTHER_REASON]).toBe(5000);
  });
});

describe('away reasons and their limits in the configuration', () => {
  it('normalises case and whitespace', () => {
    expect(normalizeAwayReason('  Lunch   Break ')).toBe('lunch break');
    expect(normalizeAwayReason('LUNCH')).toBe('lunch');
    expect(normalizeAwayReason(undefined)).toBe('');
    expect(normalizeAwayReason('\t ')).toBe('');
  });

  it('defaults to break 15, lunch 35, training none; a team overrides reason by reason', () => {
    const c = configWith((x) => (x.teams.t = { awayLimitMinutes: { lunch: 45, training: 20 } }));
    const floor = effectiveConfig(c).awayLimitMinutes;
    expect(awayLimitSec(floor, 'break')).toBe(900);
    expect(awayLimitSec(floor, 'lunch')).toBe(2100);
    expect(awayLimitSec(floor, 'training')).toBeNull();
    expect(awayLimitSec(floor, 'coaching')).toBeNull();
    const team = effectiveConfig(c, undefined, 't').awayLimitMinutes;
    expect([awayLimitSec(team, 'break'), awayLimitSec(team, 'lunch'), awayLimitSec(team, 'training')]).toEqual([900, 2700, 1200]);
    // A configuration saved before pause limits existed gets the defaults.
    const old = defaultConfig();
    delete old.awayLimitMinutes;
    expect(awayLimitSec(effectiveConfig(old).awayLimitMinutes, 'break')).toBe(900);
  });

  it('normalises the keys when a configuration is saved', () => {
    const r = parseConfig(configWith((c) => (c.awayLimitMinutes = { ' Coffee  Break ': 5, '*': 20 })));
    expect(r.ok && r.config.awayLimitMinutes).toEqual({ 'coffee break': 5, '*': 20 });
  });

  it('rejects bad limits with a clear error', () => {
    const bad = (patch: (c: ReturnType<typeof defaultConfig>) => void) => {
      const r = parseConfig(configWith(patch));
      return r.ok ? 'accepted' : r.error;
    };
    expect(bad((c) => (c.awayLimitMinutes = { break: 0 }))).toMatch(/^awayLimitMinutes\.break: .*1/);
    expect(bad((c) => (c.awayLimitMinutes = { break: -5 }))).toMatch(/^awayLimitMinutes\.break/);
    expect(bad((c) => (c.awayLimitMinutes = { break: 2000 }))).toMatch(/^awayLimitMinutes\.break: .*1440/);
    expect(bad((c) => ((c.awayLimitMinutes as Record<string, unknown>) = { break: '15' }))).toMatch(/^awayLimitMinutes\.break/);
    expect(bad((c) => (c.awayLimitMinutes = { Lunch: 30, lunch: 35 }))).toBe('awayLimitMinutes: "Lunch" and "lunch" are the same reason ("lunch") once case and spaces are ignored');
    expect(bad((c) => (c.awayLimitMinutes = { '  ': 30 }))).toMatch(/awayLimitMinutes: a reason must not be blank/);
    expect(bad((c) => (c.awayLimitMinutes = Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`r${i}`, 5]))))).toMatch(/awayLimitMinutes: .*at most 32 reasons/);
    expect(bad((c) => (c.teams.t = { awayLimitMinutes: { BREAK: 10, ' break': 5 } }))).toMatch(/^teams\.t\.awayLimitMinutes: "BREAK" and " break"/);
    expect(bad((c) => (c.queues.q1 = { awayLimitMinutes: { break: 10 } }))).toBe('queues.q1.awayLimitMinutes: pause limits are set per team (or for the floor), not per queue');
    expect(bad(() => undefined)).toBe('accepted');
  });
});

void T0;
