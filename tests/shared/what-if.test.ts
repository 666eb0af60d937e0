/**
 * What if (issue 16): the pure fold that replays the log with today's settings and with candidate
 * ones, the settings parser, and the date range. With unchanged settings the candidate equals the
 * baseline, which equals what the engine itself counted and what a live run with ticks recorded;
 * a changed hold-long threshold on a hand-built feed gives the hand-computed counts.
 */
import { describe, expect, it } from 'vitest';
import { defaultConfig, DEFAULT_RULES, RULE_IDS, ruleThresholdsSchema, type FloorConfig, type RuleId } from '../../shared/config.ts';
import { alertDay, applyEvent, createFloorState, drainChanges, observeClock, tick } from '../../shared/engine.ts';
import { parseEvent, type FloorEvent } from '../../shared/events.ts';
import type { Alert, RuleCounts } from '../../shared/state.ts';
import { localDay } from '../../shared/time.ts';
import { applyChanges, createWhatIfFold, diffConfig, MAX_WHAT_IF_DAYS, parseSetting, readChanges, RULE_ALIASES, whatIfRange, WhatIfError, type SettingChange, type WhatIfResult } from '../../shared/what-if.ts';
import { createSimulator } from '../../server/simulator.ts';

const DAY = '2026-11-23';
const T9 = Date.parse(`${DAY}T09:00:00Z`);

let n = 0;
function event(atMs: number, e: Record<string, unknown>): FloorEvent {
  // A settings change is the server's own event (not accepted at ingest): built as the server records it.
  if (e.type === 'config.changed') return { id: `srv-${++n}`, at: atMs, ...e } as FloorEvent;
  const r = parseEvent({ id: `w${++n}`, at: atMs, ...e });
  if (!r.ok) throw new Error(r.error);
  return r.event;
}

/**
 * Four calls of agent A on 2026-11-23, one hold each: 40, 55, 70 and 95 s. With the defaults
 * (warn 45 s, breach 90 s) hold-long has 2 warnings (55, 70) and 1 breach (95); with the warning
 * at 60 s, 1 warning (70) and 1 breach (95): the 55 s hold no longer warns.
 */
function holdsFeed(): FloorEvent[] {
  const out: FloorEvent[] = [event(T9 - 60_000, { type: 'agent.state', agentId: 'A', state: 'available', name: 'Ann', team: 'north' })];
  [40, 55, 70, 95].forEach((holdSec, i) => {
    const t = T9 + i * 600_000;
    const callId = `hold-${holdSec}`;
    out.push(
      event(t, { type: 'call.queued', callId, queueId: 'sales' }),
      event(t + 2_000, { type: 'call.ringing', callId, agentId: 'A' }),
      event(t + 6_000, { type: 'call.answered', callId, agentId: 'A' }),
      event(t + 30_000, { type: 'call.hold', callId, askedPermission: true }),
      event(t + 30_000 + holdSec * 1000, { type: 'call.unhold', callId }),
      event(t + 200_000, { type: 'call.ended', callId, by: 'agent', notes: true }),
    );
  });
  return out;
}

function changes(...texts: string[]): SettingChange[] {
  return texts.map((t) => {
    const r = parseSetting(t);
    if (!r.ok) throw new Error(r.error);
    return r.change;
  });
}

function run(events: FloorEvent[], opts: { config?: FloorConfig; set?: string[]; from?: string; to?: string; nowMs?: number }): WhatIfResult {
  const fold = createWhatIfFold({ config: opts.config ?? defaultConfig(), changes: changes(...(opts.set ?? [])), from: opts.from ?? DAY, to: opts.to ?? DAY });
  for (const e of events) fold.add(e, e.at);
  return fold.finish(opts.nowMs);
}

const ruleRow = (r: WhatIfResult, ruleId: RuleId) => r.rules.find((x) => x.ruleId === ruleId);

describe('what-if fold', () => {
  it('counts a lower hold-long warning as fewer warnings, as computed by hand (holds of 40, 55, 70, 95 s; warn 45 → 60 s)', () => {
    const r = run(holdsFeed(), { set: ['hold-long.warnSec=60'] });
    expect(ruleRow(r, 'hold-long')).toEqual({ ruleId: 'hold-long', baseline: { info: 0, warn: 2, breach: 1 }, candidate: { info: 0, warn: 1, breach: 1 } });
    expect(r.changed).toEqual({ worse: 0, better: 1 });
    expect(r.examples.better).toEqual([
      expect.objectContaining({ alertId: 'hold-long:hold-55:1', callId: 'hold-55', agentId: 'A', queueId: 'sales', ruleId: 'hold-long', day: DAY, baseline: { level: 'warn', value: 55, threshold: 45 }, candidate: null }),
    ]);
    expect(r.agents).toEqual([expect.objectContaining({ agentId: 'A', name: 'Ann', team: 'north', baseline: { info: 0, warn: 2, breach: 1 }, candidate: { info: 0, warn: 1, breach: 1 } })]);
    expect(r.settings).toEqual(['hold-long.warnSec=60']);
    expect(r.candidateConfig.rules.holdLongWarnSec).toBe(60);
    expect(r.baselineConfig.rules.holdLongWarnSec).toBe(45);
  });

  it('finds calls that newly breach: breach at 60 s turns the 70 s hold into a breach and the 55 s hold stays a warning', () => {
    const r = run(holdsFeed(), { set: ['hold-long.breachSec=60'] });
    expect(ruleRow(r, 'hold-long')?.candidate).toEqual({ info: 0, warn: 1, breach: 2 });
    expect(r.examples.worse.map((x) => [x.callId, x.baseline?.level, x.candidate?.level])).toEqual([['hold-70', 'warn', 'breach']]);
    expect(r.examples.better).toEqual([]);
  });

  it('applies a queue override and a switched-off rule only where they belong', () => {
    expect(ruleRow(run(holdsFeed(), { set: ['queues.sales.hold-long.warnSec=80'] }), 'hold-long')?.candidate).toEqual({ info: 0, warn: 0, breach: 1 });
    expect(ruleRow(run(holdsFeed(), { set: ['queues.support.hold-long.warnSec=80'] }), 'hold-long')?.candidate).toEqual({ info: 0, warn: 2, breach: 1 });
    expect(ruleRow(run(holdsFeed(), { set: ['teams.north.disabled=hold-long'] }), 'hold-long')?.candidate).toEqual({ info: 0, warn: 0, breach: 0 });
    expect(ruleRow(run(holdsFeed(), { set: ['disabled+=hold-long'] }), 'hold-long')?.candidate).toEqual({ info: 0, warn: 0, breach: 0 });
  });

  it('counts only the days of the range (an alert counts on its call’s day)', () => {
    expect(run(holdsFeed(), { from: '2026-11-24', to: '2026-11-24' }).totals.baseline).toEqual({ info: 0, warn: 0, breach: 0 });
    expect(run(holdsFeed(), { from: '2026-11-22', to: '2026-11-23' }).totals.baseline.warn).toBeGreaterThanOrEqual(2);
    // A hold over midnight on a call offered before it counts on the call's day.
    const late = Date.parse('2026-11-23T23:58:00Z');
    const feed = [
      event(late - 60_000, { type: 'agent.state', agentId: 'B', state: 'available' }),
      event(late, { type: 'call.queued', callId: 'night', queueId: 'sales' }),
      event(late + 2_000, { type: 'call.answered', callId: 'night', agentId: 'B' }),
      event(late + 100_000, { type: 'call.hold', callId: 'night', askedPermission: true }),
      event(late + 160_000, { type: 'call.unhold', callId: 'night' }),
      event(late + 200_000, { type: 'call.ended', callId: 'night', notes: true }),
    ];
    expect(ruleRow(run(feed, { from: DAY, to: DAY }), 'hold-long')?.baseline.warn).toBe(1);
    expect(ruleRow(run(feed, { from: '2026-11-24', to: '2026-11-24' }), 'hold-long')).toBeUndefined();
  });

  it('re-applies the candidate on top of every logged settings change', () => {
    // Halfway, an admin lowered the warning to 30 s: with it the 40 s hold warns too (3 warnings).
    const changed = { ...defaultConfig(), rules: { ...DEFAULT_RULES, holdLongWarnSec: 30 } };
    const feed = holdsFeed();
    feed.splice(1, 0, event(T9 - 30_000, { type: 'config.changed', config: changed, by: 'admin' }));
    const r = run(feed, { set: ['hold-long.warnSec=60'] });
    expect(r.configChanges).toBe(1);
    expect(ruleRow(r, 'hold-long')).toMatchObject({ baseline: { warn: 3, breach: 1 }, candidate: { warn: 1, breach: 1 } });
    // A candidate a logged change cannot take is an error naming it, never skipped.
    const strict = { ...defaultConfig(), rules: { ...DEFAULT_RULES, holdLongBreachSec: 50 } };
    const bad = holdsFeed();
    bad.splice(1, 0, event(T9 - 30_000, { type: 'config.changed', config: strict, by: 'admin' }));
    expect(() => run(bad, { set: ['hold-long.warnSec=60'] })).toThrow(/saved at .* by admin do not take the candidate: hold-long.warnSec=60: rules.holdLongWarnSec: must not exceed holdLongBreachSec/);
  });
});

/** Hours of a simulated floor (lapses five times as frequent) from `startMs`, over midnight when asked. */
function simulated(startMs: number, hours: number, seed: number): FloorEvent[] {
  const events: FloorEvent[] = [];
  const sim = createSimulator(
    {
      seed,
      lapseRate: 5,
      emit: (batch) => {
        for (const e of batch) {
          const r = parseEvent(e);
          if (!r.ok) throw new Error(r.error);
          events.push(r.event);
        }
      },
    },
    startMs,
  );
  for (let t = startMs; t <= startMs + hours * 3_600_000; t += 10_000) sim.step(t);
  return events;
}

const add = (into: RuleCounts, from: RuleCounts | undefined) => {
  if (!from) return;
  into.info += from.info;
  into.warn += from.warn;
  into.breach += from.breach;
};

describe('what-if with unchanged settings', () => {
  // 18:00 on the 22nd to 06:00 on the 24th: three floor days, two midnights, one settings change.
  const START = Date.parse('2026-11-22T18:00:00Z');
  const events = simulated(START, 36, 7);
  const change = { ...defaultConfig(), rules: { ...DEFAULT_RULES, holdLongWarnSec: 30, ringBreachAt: 3 } };
  events.splice(Math.floor(events.length / 2), 0, event(events[Math.floor(events.length / 2)].at, { type: 'config.changed', config: change, by: 'admin' }));
  const end = events[events.length - 1].at + 1_000;
  const result = run(events, { from: '2026-11-22', to: '2026-11-23', nowMs: end });

  it('gives a candidate equal to the baseline, and no changed alerts', () => {
    expect(result.totals.baseline.warn + result.totals.baseline.breach).toBeGreaterThan(100);
    expect(result.rules.length).toBeGreaterThanOrEqual(8);
    expect(result.rules.map((r) => r.candidate)).toEqual(result.rules.map((r) => r.baseline));
    expect(result.agents.map((a) => a.candidate)).toEqual(result.agents.map((a) => a.baseline));
    expect(result.changed).toEqual({ worse: 0, better: 0 });
    expect(result.configChanges).toBe(1);
    expect(result.skipped).toBe(0);
  });

  it('counts per agent what the engine itself counted on those days', () => {
    const s = createFloorState(defaultConfig(), 0, { historyDays: Number.MAX_SAFE_INTEGER, clock: 'server' });
    for (const e of events) {
      observeClock(s, e.at);
      applyEvent(s, e);
    }
    tick(s, end);
    const days = [Date.parse('2026-11-22T00:00:00Z'), Date.parse('2026-11-23T00:00:00Z')];
    for (const a of result.agents) {
      const agent = s.agents.get(a.agentId);
      expect(agent).toBeDefined();
      const engine: RuleCounts = { info: 0, warn: 0, breach: 0 };
      for (const d of days) for (const c of Object.values((d === s.dayStartMs ? agent?.today : agent?.pastDays.get(d))?.alerts ?? {})) add(engine, c);
      expect(a.baseline, a.agentId).toEqual(engine);
    }
  });

  it('equals the alerts a live run with ticks between the events recorded (latest content per id, on the days of the range)', () => {
    // Six hours over midnight with a settings change: the range is the first day, so calls offered
    // before midnight and ended after it count there. A tick every 2 s (a tick every second
    // gives the same: ticks only bring forward what the events settle), kept short for the suite.
    const from = Date.parse('2026-11-22T21:00:00Z');
    const feed = simulated(from, 6, 11);
    const mid = Math.floor(feed.length / 2);
    feed.splice(mid, 0, event(feed[mid].at, { type: 'config.changed', config: change, by: 'admin' }));
    const until = feed[feed.length - 1].at + 1_000;
    const live = createFloorState(defaultConfig(), 0, { historyDays: Number.MAX_SAFE_INTEGER, clock: 'server' });
    const recorded = new Map<string, Alert>();
    const days = new Map<string, number>();
    const keep = () => {
      for (const a of drainChanges(live).alerts) {
        recorded.set(a.id, { ...a });
        days.set(a.id, alertDay(live, a));
      }
    };
    let i = 0;
    for (let t = from; t <= until; t += 2_000) {
      while (i < feed.length && feed[i].at <= t) {
        observeClock(live, feed[i].at);
        applyEvent(live, feed[i++]);
      }
      tick(live, t);
      keep();
    }
    tick(live, until);
    keep();
    const day = localDay(from, 'UTC');
    const byRule = new Map<RuleId, RuleCounts>();
    for (const a of recorded.values()) {
      const d = days.get(a.id) ?? 0;
      if (a.status === 'retracted' || d !== day.startMs) continue;
      let c = byRule.get(a.ruleId);
      if (!c) byRule.set(a.ruleId, (c = { info: 0, warn: 0, breach: 0 }));
      c[a.level]++;
    }
    const r = run(feed, { from: '2026-11-22', to: '2026-11-22', nowMs: until });
    expect(r.totals.baseline.warn + r.totals.baseline.breach).toBeGreaterThan(20);
    expect(Object.fromEntries(r.rules.map((x) => [x.ruleId, x.baseline]))).toEqual(Object.fromEntries(byRule));
    expect(r.rules.map((x) => x.candidate)).toEqual(r.rules.map((x) => x.baseline));
  });
});

describe('settings parser', () => {
  it('reads every documented form', () => {
    const cases: [string, string[], unknown][] = [
      ['hold-long.warnSec=60', ['rules', 'holdLongWarnSec'], 60],
      ['ring-limit.breachAt=5', ['rules', 'ringBreachAt'], 5],
      ['serviceLevel.thresholdSec=30', ['serviceLevel', 'thresholdSec'], 30],
      ['rules.holdLongWarnSec=60', ['rules', 'holdLongWarnSec'], 60],
      ['holdLongWarnSec=60', ['rules', 'holdLongWarnSec'], 60],
      ['queues.sales.rules.holdLongWarnSec=90', ['queues', 'sales', 'rules', 'holdLongWarnSec'], 90],
      ['queues.sales.hold-long.warnSec=90', ['queues', 'sales', 'rules', 'holdLongWarnSec'], 90],
      ['teams.A.disabled=hold-repeat,speakerphone', ['teams', 'A', 'disabled'], ['hold-repeat', 'speakerphone']],
      ['away-long.lunch=45', ['awayLimitMinutes', 'lunch'], 45],
      ['away-long.lunch=none', ['awayLimitMinutes', 'lunch'], null],
      ['workload.dailyQuota=25', ['workload', 'dailyQuota'], 25],
    ];
    for (const [text, path, value] of cases) expect(parseSetting(text), text).toEqual({ ok: true, change: expect.objectContaining({ path, op: 'set', value }) });
    expect(parseSetting('disabled+=speakerphone')).toEqual({ ok: true, change: expect.objectContaining({ path: ['disabled'], op: 'add', value: ['speakerphone'] }) });
    expect(parseSetting('teams.B.disabled-=volume')).toEqual({ ok: true, change: expect.objectContaining({ path: ['teams', 'B', 'disabled'], op: 'remove', value: ['volume'] }) });
  });

  it('derives an alias for every threshold of shared/config.ts', () => {
    expect(Object.values(RULE_ALIASES).sort()).toEqual(Object.keys(ruleThresholdsSchema.shape).sort());
    for (const alias of Object.keys(RULE_ALIASES)) expect(RULE_IDS).toContain(alias.slice(0, alias.indexOf('.')));
    expect(RULE_ALIASES['callback-missed.graceSec']).toBe('callbackGraceSec');
    expect(RULE_ALIASES['speakerphone.warnSec']).toBe('speakerWarnSec');
  });

  it('names the bad path in every error, never ignoring a setting', () => {
    const bad: [string, RegExp][] = [
      ['hold-long.warnSecs=60', /^unknown setting: hold-long\.warnSecs \(hold-long has hold-long\.warnSec, hold-long\.breachSec\)$/],
      ['rules.holdLong=60', /^unknown setting: rules\.holdLong \(rules has ringWarnAt, .*holdLongWarnSec/],
      ['hold-long.warnSec=soon', /^hold-long\.warnSec: expected a number, got "soon"$/],
      ['hold-long.warnSec=', /^hold-long\.warnSec: expected a number, got ""$/],
      ['disabled+=speaker', /^disabled: unknown rule "speaker" \(rules: ring-limit, /],
      ['ring-limit.breachAt+=5', /^ring-limit\.breachAt\+=: only a list of rules \(disabled\) takes \+= or -=$/],
      ['queues.sales=1', /^queues\.sales: name the queue and the setting/],
      ['rules=1', /^rules is a group of settings/],
      ['escalation.warnAt=2', /^unknown setting: escalation\.warnAt \(escalation has no thresholds/],
      ['nonsense', /is not path=value/],
      ['timezone=UTC', /^unknown setting: timezone \(the settings have timeZone, /],
      ['teams..disabled=volume', /an empty part/],
      ['timeZone=Europe/Tallinn', /^timeZone: the time zone is not a threshold/],
    ];
    for (const [text, re] of bad) {
      const r = parseSetting(text);
      expect(r.ok, text).toBe(false);
      if (!r.ok) expect(r.error, text).toMatch(re);
    }
  });

  it('validates the candidate with the real schema, naming the setting', () => {
    const apply = (...texts: string[]) => applyChanges(defaultConfig(), changes(...texts));
    expect(apply('hold-long.warnSec=100')).toEqual({ ok: false, error: 'hold-long.warnSec=100: rules.holdLongWarnSec: must not exceed holdLongBreachSec' });
    expect(apply('ring-limit.breachAt=2.5')).toMatchObject({ ok: false, error: expect.stringMatching(/^ring-limit\.breachAt=2\.5: rules\.ringBreachAt: /) });
    expect(apply('serviceLevel.targetPct=120')).toMatchObject({ ok: false, error: expect.stringMatching(/^serviceLevel\.targetPct=120: serviceLevel\.targetPct: /) });
    expect(apply('queues.sales.away-long.lunch=30')).toMatchObject({ ok: false, error: expect.stringMatching(/^queues\.sales\.away-long\.lunch=30: queues\.sales\.awayLimitMinutes: pause limits are set per team/) });
    const ok = apply('hold-long.warnSec=60', 'hold-long.breachSec=120', 'teams.A.disabled=volume', 'teams.A.disabled+=speakerphone', 'disabled+=escalation');
    expect(ok.ok && ok.config.rules).toMatchObject({ holdLongWarnSec: 60, holdLongBreachSec: 120 });
    expect(ok.ok && ok.config.teams.A.disabled).toEqual(['volume', 'speakerphone']);
    expect(ok.ok && ok.config.disabled).toEqual(['escalation']);
  });

  it('reads the API forms: a map, a list of texts, or a whole candidate configuration', () => {
    const current = defaultConfig();
    expect(readChanges({ set: { 'hold-long.warnSec': 60, 'disabled+': ['volume'] } }, current)).toMatchObject({ ok: true, changes: [{ path: ['rules', 'holdLongWarnSec'], value: 60 }, { path: ['disabled'], op: 'add', value: ['volume'] }] });
    expect(readChanges({ set: ['ring-limit.breachAt=5'] }, current)).toMatchObject({ ok: true, changes: [{ path: ['rules', 'ringBreachAt'], value: 5 }] });
    expect(readChanges({ set: { 'hold-long.warnSec': 'x' } }, current)).toEqual({ ok: false, error: 'hold-long.warnSec: expected a number, got "x"' });
    expect(readChanges({ set: 'hold-long.warnSec=60' }, current)).toMatchObject({ ok: false, error: expect.stringMatching(/^set: expected an object/) });
    const candidate = { ...current, rules: { ...current.rules, holdLongWarnSec: 50 }, queues: { sales: { rules: { holdLongBreachSec: 80 } } } };
    const r = readChanges({ config: candidate }, current);
    expect(r).toMatchObject({ ok: true, changes: [{ path: ['rules', 'holdLongWarnSec'], value: 50 }, { path: ['queues', 'sales'], value: { rules: { holdLongBreachSec: 80 } } }] });
    expect(r.ok && applyChanges(current, r.changes)).toEqual({ ok: true, config: candidate });
    expect(diffConfig(candidate, current).map((c) => c.op)).toEqual(['set', 'delete']);
    const zoned = readChanges({ config: { ...current, timeZone: 'Europe/Tallinn' } }, current);
    expect(() => zoned.ok && createWhatIfFold({ config: current, changes: zoned.changes, from: DAY, to: DAY })).toThrow(/^timeZone: the time zone is not a threshold/);
    expect(readChanges({ config: { ...current, rules: {} } }, current)).toMatchObject({ ok: false, error: expect.stringMatching(/^config: rules\./) });
  });
});

describe('what-if range', () => {
  it('resolves floor-local days and refuses bad or long ranges', () => {
    expect(whatIfRange('2026-11-01', '2026-11-07', 'Europe/Tallinn')).toEqual({ from: '2026-11-01', to: '2026-11-07', startMs: Date.parse('2026-10-31T22:00:00Z'), endMs: Date.parse('2026-11-07T22:00:00Z'), days: 7 });
    expect(whatIfRange('2026-11-24', '2026-11-24', 'Pacific/Kiritimati').startMs).toBe(Date.parse('2026-11-23T10:00:00Z'));
    expect(() => whatIfRange('2026-02-30', '2026-03-01', 'UTC')).toThrow(/from: "2026-02-30" is not a date/);
    expect(() => whatIfRange('2026-03-02', '2026-03-01', 'UTC')).toThrow(/is before from/);
    expect(() => whatIfRange('2026-01-01', '2026-12-31', 'UTC')).toThrow(new RegExp(`365 days; a what-if covers at most ${MAX_WHAT_IF_DAYS}`));
    expect(() => whatIfRange('2026-01-01', '2026-12-31', 'UTC')).toThrow(WhatIfError);
  });
});
