/**
 * Retention (`--retain-days N`, issue 16): the log's raw events of whole floor-local days before
 * the N days ahead of today are pruned, what the kept days still stand on stays, a restart then
 * rebuilds the same live floor and the same alerts, the prune is logged and audited, and the flag
 * is checked. Redis's prune is in tests/server/redis-retention.test.ts.
 */
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createFloorState, drainChanges, observeClock, applyEvent, tick } from '../../shared/engine.ts';
import type { FloorEvent } from '../../shared/events.ts';
import type { Alert } from '../../shared/state.ts';
import { createServer } from '../../server/app.ts';
import { AuthStore } from '../../server/auth/store.ts';
import { openSqliteLog, type SqliteLog } from '../../server/log/sqlite.ts';
import { applyHorizon, episodesLeftBy } from '../../server/log/prune.ts';
import type { LogStore } from '../../server/log/store.ts';
import { readOptions } from '../../server/main.ts';
import { localDate, nextRunAtMs, parseRetainDays, Retention, retentionCut, RETENTION_AFTER_MIDNIGHT_MS } from '../../server/retention.ts';
import { tempDbFile, VIEW_TOKEN } from './harness.ts';
import { configIn, D0, DAY, ev, floorView, HOUR, simulatedFeed, TZ } from './retention-fixtures.ts';

const quiet = { info: () => {}, warn: () => {}, error: () => {} };

/** Appends events one by one, each received at its own time (as a live feed would). */
async function appendAll(log: LogStore, events: FloorEvent[]): Promise<void> {
  for (const e of events) await log.append([e], e.at);
}
async function ids(log: LogStore): Promise<string[]> {
  const out: string[] = [];
  await log.replay((e) => out.push(e.id));
  return out;
}

describe('retentionCut and the schedule', () => {
  it('cuts at the start of the floor-local day N days before today, across a DST change', () => {
    // Tallinn turns its clocks back on Sunday 2026-10-25 (a 25-hour day).
    const now = Date.parse('2026-10-27T10:00:00Z');
    const tz = 'Europe/Tallinn';
    const { cutMs, day } = retentionCut(now, tz, 2);
    expect(day).toBe('2026-10-25');
    expect(cutMs).toBe(Date.parse('2026-10-24T21:00:00Z')); // 00:00 at UTC+3, before the change
    expect(retentionCut(now, tz, 1)).toEqual({ cutMs: Date.parse('2026-10-25T22:00:00Z'), day: '2026-10-26' }); // 00:00 at UTC+2
    // Just after local midnight the new day counts as today; just before, the old one does.
    expect(retentionCut(D0 + 2 * DAY, TZ, 1).day).toBe('2026-11-21');
    expect(retentionCut(D0 + 2 * DAY - 1, TZ, 1).day).toBe('2026-11-20');
    expect(retentionCut(D0 + 12 * HOUR, TZ, 90).day).toBe('2026-08-22');
    expect(localDate(retentionCut(D0 + 12 * HOUR, TZ, 90).cutMs, TZ)).toBe('2026-08-22');
  });

  it('runs a few minutes after the next floor-local midnight', () => {
    expect(nextRunAtMs(D0 + 10 * HOUR, TZ)).toBe(D0 + DAY + RETENTION_AFTER_MIDNIGHT_MS);
    expect(nextRunAtMs(D0 + 60_000, TZ)).toBe(D0 + RETENTION_AFTER_MIDNIGHT_MS);
    // The night the clocks go back in Los Angeles (2026-11-01) is 25 hours long.
    const sat = Date.parse('2026-10-31T19:00:00Z');
    expect(nextRunAtMs(sat, TZ)).toBe(Date.parse('2026-11-01T07:00:00Z') + RETENTION_AFTER_MIDNIGHT_MS);
    expect(nextRunAtMs(Date.parse('2026-11-01T12:00:00Z'), TZ)).toBe(Date.parse('2026-11-02T08:00:00Z') + RETENTION_AFTER_MIDNIGHT_MS);
  });
});

describe('--retain-days', () => {
  it('reads a whole number of days from the flag or the environment, and none by default', () => {
    expect(readOptions([], {}).retainDays).toBeUndefined();
    expect(readOptions(['--retain-days', '30'], {}).retainDays).toBe(30);
    expect(readOptions(['--retain-days=1'], {}).retainDays).toBe(1);
    expect(readOptions([], { FLOORWATCH_RETAIN_DAYS: '90' }).retainDays).toBe(90);
    expect(readOptions(['--retain-days', '7'], { FLOORWATCH_RETAIN_DAYS: '90' }).retainDays).toBe(7);
  });

  it('refuses 0, fractions, negative numbers and text with a clear error', () => {
    expect(() => readOptions(['--retain-days', '0'], {})).toThrow('--retain-days: expected a whole number of days, 1 to 36500, got "0" (0 would prune yesterday');
    for (const bad of ['1.5', '-2', 'week', '1e9']) expect(() => parseRetainDays(bad), bad).toThrow(`--retain-days: expected a whole number of days, 1 to 36500, got "${bad}"`);
    expect(() => readOptions([], { FLOORWATCH_RETAIN_DAYS: 'x' })).toThrow('--retain-days');
  });
});

describe('SQLite log prune', () => {
  /**
   * Two days before the cut and two after, in Los Angeles time. Day 1 (2026-11-21) is the last
   * pruned one; the cut is 2026-11-22 00:00 local (08:00 UTC).
   */
  function scriptedDays() {
    const cut = D0 + 2 * DAY;
    const cfgOld = configIn(TZ, (c) => (c.rules.holdLongWarnSec = 30));
    const cfgMid = configIn(TZ, (c) => (c.rules.holdLongWarnSec = 40));
    const events = [
      ev(D0 + 8 * HOUR, { type: 'call.escalation', callId: 'c-esc' }),
      ev(D0 + 9 * HOUR, { type: 'config.changed', config: cfgOld, by: 'admin' }),
      ev(D0 + 9 * HOUR + 1, { type: 'agent.state', agentId: 'a1', state: 'available', name: 'Ayşe Yılmaz', team: 'north', queues: ['sales'] }),
      ev(D0 + 9 * HOUR + 2, { type: 'agent.state', agentId: 'a2', state: 'available', name: 'Jüri Mägi', queues: ['support'] }),
      ev(D0 + 10 * HOUR, { type: 'call.queued', callId: 'c-old', queueId: 'sales' }),
      ev(D0 + 10 * HOUR + 5_000, { type: 'call.answered', callId: 'c-old', agentId: 'a1' }),
      ev(D0 + 10 * HOUR + 60_000, { type: 'call.ended', callId: 'c-old', by: 'caller', notes: true }),
      ev(D0 + 11 * HOUR, { type: 'callback.scheduled', callbackId: 'cb-done', agentId: 'a1', dueAt: D0 + 12 * HOUR }),
      ev(D0 + 11 * HOUR + 1, { type: 'callback.completed', callbackId: 'cb-done', agentId: 'a1' }),
      ev(D0 + 11 * HOUR + 2, { type: 'callback.scheduled', callbackId: 'cb-open', agentId: 'a2', dueAt: D0 + 5 * DAY }),
      ev(D0 + 11 * HOUR + 3, { type: 'voicemail.left', voicemailId: 'vm-open', queueId: 'support' }),
      ev(D0 + 11 * HOUR + 4, { type: 'voicemail.left', voicemailId: 'vm-done', queueId: 'support' }),
      ev(D0 + 11 * HOUR + 5, { type: 'voicemail.returned', voicemailId: 'vm-done', agentId: 'a2' }),
      ...Array.from({ length: 7 }, (_, i) => ev(D0 + 12 * HOUR + i, { type: 'ticker.posted', text: `note ${i}`, by: 'sup' })),
      ev(D0 + DAY + 9 * HOUR, { type: 'config.changed', config: cfgMid, by: 'admin' }),
      ev(D0 + DAY + 9 * HOUR + 1, { type: 'agent.state', agentId: 'a1', state: 'away', reason: 'lunch' }),
      ev(D0 + DAY + 10 * HOUR, { type: 'agent.state', agentId: 'a1', state: 'available' }),
      ev(D0 + DAY + 10 * HOUR + 1, { type: 'alert.acknowledged', alertId: 'escalation:c-esc', by: 'sup' }),
      ev(D0 + DAY + 10 * HOUR + 2, { type: 'alert.acknowledged', alertId: 'hold-long:c-old:1', by: 'sup' }),
      // A call over the cut's midnight: queued at 23:59:50 on day 1, ended on day 2.
      ev(cut - 10_000, { type: 'call.queued', callId: 'c-night', queueId: 'sales' }),
      ev(cut - 1, { type: 'call.answered', callId: 'c-night', agentId: 'a1' }),
      ev(cut + 120_000, { type: 'call.ended', callId: 'c-night', by: 'agent', notes: true }),
      ev(cut, { type: 'call.queued', callId: 'c-day2', queueId: 'support' }),
      ev(cut + DAY + HOUR, { type: 'call.queued', callId: 'c-day3', queueId: 'support' }),
    ];
    return { cut, events, cfgMid };
  }

  it('deletes the events before the cut but for what the days after stand on', async () => {
    const log = openSqliteLog({ file: ':memory:' });
    const { cut, events, cfgMid } = scriptedDays();
    await appendAll(log, events);
    await log.saveConfig(cfgMid, 'admin');
    // What the alerts table holds: an escalation still open at the cut, a hold alert closed before it.
    await log.saveAlerts([
      { id: 'escalation:c-esc', ruleId: 'escalation', level: 'warn', status: 'open', value: 2, threshold: 2, unit: 'requests', raisedAtMs: D0 + 8 * HOUR, updatedAtMs: D0 + 8 * HOUR, callId: 'c-esc' },
      { id: 'hold-long:c-old:1', ruleId: 'hold-long', level: 'warn', status: 'resolved', value: 50, threshold: 45, unit: 'sec', raisedAtMs: D0 + 10 * HOUR, updatedAtMs: D0 + 10 * HOUR + 50_000, resolvedAtMs: D0 + 10 * HOUR + 50_000, callId: 'c-old' },
    ] as Alert[]);
    const before = new Map(events.map((e) => [e.id, e]));
    const all = await ids(log);

    const r = await log.prune(cut);
    const left = await ids(log);
    const gone = all.filter((id) => !left.includes(id));
    const typeOf = (id: string) => before.get(id)?.type;

    // Everything dated on or after the cut stays; the call over midnight stays whole.
    for (const e of events) if (e.at >= cut) expect(left, e.id).toContain(e.id);
    expect(left).toContain(events.find((e) => 'callId' in e && e.callId === 'c-night' && e.type === 'call.queued')!.id);
    // The newest settings change before the cut stays; the older one goes; the saved settings are untouched.
    const configs = events.filter((e) => e.type === 'config.changed');
    expect(left).toContain(configs[1].id);
    expect(gone).toContain(configs[0].id);
    expect(await log.loadConfig()).toEqual(cfgMid);
    // Each agent's newest presence, and the newest with a name, a team and queues.
    const states = events.filter((e) => e.type === 'agent.state').map((e) => e.id);
    expect(left).toEqual(expect.arrayContaining([states[0], states[1], states[3]]));
    expect(gone).toContain(states[2]);
    // A finished call, a completed callback and a returned voicemail go; the open ones stay.
    for (const id of gone) expect(['call.queued', 'call.answered', 'call.ended', 'callback.scheduled', 'callback.completed', 'voicemail.left', 'voicemail.returned', 'config.changed', 'agent.state', 'ticker.posted', 'alert.acknowledged']).toContain(typeOf(id));
    const bodies = new Map<string, FloorEvent>();
    await log.replay((e) => bodies.set(e.id, e));
    const has = (pred: (e: FloorEvent) => boolean) => [...bodies.values()].some(pred);
    expect(has((e) => e.type === 'callback.scheduled' && e.callbackId === 'cb-open')).toBe(true);
    expect(has((e) => e.type.startsWith('callback.') && 'callbackId' in e && e.callbackId === 'cb-done')).toBe(false);
    expect(has((e) => e.type === 'voicemail.left' && e.voicemailId === 'vm-open')).toBe(true);
    expect(has((e) => e.type.startsWith('voicemail.') && 'voicemailId' in e && e.voicemailId === 'vm-done')).toBe(false);
    expect(has((e) => 'callId' in e && e.callId === 'c-old')).toBe(false);
    // The call of the alert still open at the cut, and its acknowledgement, stay; the closed one's go.
    expect(has((e) => e.type === 'call.escalation')).toBe(true);
    expect(has((e) => e.type === 'alert.acknowledged' && e.alertId === 'escalation:c-esc')).toBe(true);
    expect(has((e) => e.type === 'alert.acknowledged' && e.alertId === 'hold-long:c-old:1')).toBe(false);
    // The wallboard's last five ticker posts.
    expect([...bodies.values()].filter((e) => e.type === 'ticker.posted').map((e) => (e.type === 'ticker.posted' ? e.text : ''))).toEqual(['note 2', 'note 3', 'note 4', 'note 5', 'note 6']);

    expect(r.events).toBe(gone.length);
    expect(r.events + r.kept + events.filter((e) => e.at >= cut).length).toBe(events.length);
    expect(r.keptBy).toMatchObject({ config: 1, agents: 3, calls: 3, callbacks: 1, voicemails: 1, alerts: 1, ticker: 5 });
    expect(await log.count()).toBe(left.length);
    expect(await log.horizon()).toEqual({ beforeMs: cut, queueWaitEpisodes: { sales: 0, support: 0 } });

    // A second prune with the same cut finds nothing more; the kept events stay kept.
    const again = await log.prune(cut);
    expect(again.events).toBe(0);
    expect(await ids(log)).toEqual(left);
    await log.close();
  });

  it('goes by receive time too: an event received after the cut stays, whatever its date', async () => {
    const log = openSqliteLog({ file: ':memory:' });
    const cut = D0 + 2 * DAY;
    const older = ev(cut - 2 * DAY, { type: 'agent.state', agentId: 'a9', state: 'available' });
    const early = ev(cut - DAY, { type: 'agent.state', agentId: 'a9', state: 'away' });
    const late = ev(cut - HOUR, { type: 'agent.state', agentId: 'a1', state: 'offline' });
    const ahead = ev(cut + 100, { type: 'agent.state', agentId: 'a2', state: 'available' });
    await log.append([older], older.at);
    await log.append([early], early.at);
    await log.append([ahead], cut - 100); // dated 100 ms ahead of the clock that received it
    await log.append([late], cut + 10); // arrived after midnight, dated before it
    const r = await log.prune(cut);
    expect(r).toEqual({ events: 1, kept: 1, keptBy: { agents: 1 } });
    expect(await ids(log)).toEqual([early.id, ahead.id, late.id]);
    await log.close();
  });
});

describe('a restart after a prune', () => {
  const END = D0 + 4 * DAY + 14 * HOUR; // 14:00 on Tuesday 2026-11-24
  const CUT = D0 + 2 * DAY; // --retain-days 2: Sunday 22 and Monday 23 are kept with today

  async function start(file: string, opts: { retainDays?: number; logger?: Pick<Console, 'info' | 'warn' | 'error'> } = {}) {
    const log = openSqliteLog({ file, synchronous: 'normal' });
    const auth = new AuthStore(':memory:');
    const server = createServer({ log, auth, clock: { now: () => END }, ingestTokens: ['t'], viewTokens: [VIEW_TOKEN], tickMs: 0, logger: opts.logger ?? quiet, retainDays: opts.retainDays });
    const port = await server.listen(0, '127.0.0.1');
    return {
      server,
      log,
      port,
      async close() {
        await server.close();
        await log.close();
        auth.close();
      },
    };
  }

  it('rebuilds the same live floor, days and alerts, and leaves the alerts on record as they were', async () => {
    const { batches, newest } = simulatedFeed(11, END);
    // Supervisors acknowledged two alerts the engine raised: a queue-wait episode after the cut, and
    // one raised before the cut and still open.
    const probe = createFloorState(newest, 0, { clock: 'server' });
    const seen = new Map<string, Alert>();
    for (const [events, rx] of batches) {
      observeClock(probe, rx);
      for (const e of events) applyEvent(probe, e);
      for (const a of drainChanges(probe).alerts) seen.set(a.id, { ...a });
    }
    const earlyWait = [...seen.values()].find((a) => a.ruleId === 'queue-wait' && a.raisedAtMs > CUT + 4 * HOUR && a.raisedAtMs < CUT + 20 * HOUR && a.status === 'resolved');
    const openEarly = [...probe.alerts.values()].find((a) => a.raisedAtMs < CUT);
    expect(earlyWait, 'a queue-wait episode after the cut').toBeDefined();
    expect(openEarly, 'an alert raised before the cut and still open').toBeDefined();
    // A caller waits in "sales" over the cut's midnight and hangs up after it: the queue-wait episode
    // opened before the cut is opened again by the replay, which must not shift the numbers after it.
    const night: [FloorEvent[], number][] = [
      [[ev(CUT - 200_000, { type: 'call.queued', callId: 'x-night', queueId: 'sales', caller: '+1 555 0100' })], CUT - 200_000],
      [[ev(CUT + 60_000, { type: 'call.abandoned', callId: 'x-night' })], CUT + 60_000],
    ];
    const acks: [FloorEvent[], number][] = [
      [[ev(earlyWait!.updatedAtMs + 1_000, { type: 'alert.acknowledged', alertId: earlyWait!.id, by: 'sup' })], earlyWait!.updatedAtMs + 1_000],
      [[ev(END - HOUR, { type: 'alert.acknowledged', alertId: openEarly!.id, by: 'sup', note: 'seen' })], END - HOUR],
    ];
    const file = tempDbFile();
    const seeded = openSqliteLog({ file, synchronous: 'normal' });
    for (const [events, rx] of [...batches, ...night, ...acks].sort((x, y) => x[1] - y[1])) await seeded.append(events, rx);
    await seeded.saveConfig(newest, 'admin');
    await seeded.close();

    // The live run: a replay of the whole log, which saves every alert.
    const a = await start(file);
    const full = floorView(a.server.state(), CUT);
    const alertsBefore = await a.log.listAlerts({ limit: 100_000 });
    const eventsBefore = await a.log.count();
    expect(alertsBefore.find((x) => x.id === earlyWait!.id)?.ack?.by).toBe('sup');
    await a.close();

    // Retention at start prunes Friday and Saturday, logs it and audits it.
    const lines: string[] = [];
    const b = await start(file, { retainDays: 2, logger: { ...quiet, info: (m: string) => lines.push(m) } });
    const run = await b.server.retention!.settled(); // the run started after the replay
    expect(run?.day).toBe('2026-11-22');
    expect(run?.cutMs).toBe(CUT);
    const pruned = run!.result.events;
    expect(pruned).toBeGreaterThan(eventsBefore / 3);
    expect(lines).toContain(`retention: pruned ${pruned} events before 2026-11-22 (${run!.result.kept} older kept: ${Object.entries(run!.result.keptBy).map(([k, v]) => `${k} ${v}`).join(', ')})`);
    const audit = (await b.log.listAudit()).find((x) => x.action === 'events.prune');
    expect(audit).toMatchObject({ actor: 'system', after: { beforeDay: '2026-11-22', beforeMs: CUT, retainDays: 2, events: pruned, timeZone: TZ } });
    const health = (await (await fetch(`http://127.0.0.1:${b.port}/api/health`, { headers: { authorization: `Bearer ${VIEW_TOKEN}` } })).json()) as { data: { retention: Record<string, unknown> } };
    expect(health.data.retention).toMatchObject({ retainDays: 2, lastCutDay: '2026-11-22', lastPruned: pruned, totalPruned: pruned, lastError: null, running: false });
    expect(await b.log.count()).toBe(eventsBefore - pruned);
    await b.close();

    // The restart: the pruned log alone gives the floor, the kept days and the alerts of the live run.
    const c = await start(file);
    const after = floorView(c.server.state(), CUT);
    expect(isDeepStrictEqual(after, full)).toBe(true);
    expect(after).toEqual(full);
    const alertsAfter = await c.log.listAlerts({ limit: 100_000 });
    expect(alertsAfter).toEqual(alertsBefore);
    // The acknowledgement made after the cut still finds its queue-wait episode, by the same id.
    expect(alertsAfter.find((x) => x.id === earlyWait!.id)?.ack?.by).toBe('sup');
    expect(c.server.state().alerts.get(openEarly!.id)?.ack?.note).toBe('seen');
    await c.close();
  });
});

describe('Retention', () => {
  it('audits a prune as the system, logs it, and reports it', async () => {
    const log = openSqliteLog({ file: ':memory:' });
    const cut = D0 + 2 * DAY;
    await appendAll(log, [
      ev(cut - DAY, { type: 'call.queued', callId: 'x1', queueId: 'q' }),
      ev(cut - DAY + 1_000, { type: 'call.abandoned', callId: 'x1' }),
      ev(cut + HOUR, { type: 'call.queued', callId: 'x2', queueId: 'q' }),
    ]);
    const lines: string[] = [];
    const clock = { now: () => cut + 2 * DAY + 10 * HOUR };
    const r = new Retention({ retainDays: 2, log, clock, timeZone: () => TZ, logger: { ...quiet, info: (m) => lines.push(m) } });
    const run = await r.runNow();
    expect(run?.result.events).toBe(2);
    expect(lines).toEqual(['retention: pruned 2 events before 2026-11-22']);
    expect(await log.listAudit()).toEqual([
      { atMs: clock.now(), actor: 'system', action: 'events.prune', after: { beforeDay: '2026-11-22', beforeMs: cut, timeZone: TZ, retainDays: 2, events: 2, kept: 0, keptBy: {} } },
    ]);
    expect(r.stats()).toMatchObject({ retainDays: 2, lastCutDay: '2026-11-22', lastPruned: 2, lastKept: 0, totalPruned: 2, lastError: null, running: false, lastRunAtMs: clock.now() });
    // Nothing left to prune: logged, not audited.
    await r.runNow();
    expect(lines[1]).toBe('retention: pruned 0 events before 2026-11-22');
    expect(await log.listAudit()).toHaveLength(1);
    await r.stop();
    await log.close();
  });

  it('logs a failure instead of throwing, and deletes nothing when the hook before it refuses', async () => {
    const log = openSqliteLog({ file: ':memory:' });
    await appendAll(log, [ev(D0, { type: 'call.queued', callId: 'x1', queueId: 'q' })]);
    const errors: string[] = [];
    const r = new Retention({
      retainDays: 1,
      log,
      clock: { now: () => D0 + 5 * DAY },
      timeZone: () => TZ,
      logger: { ...quiet, error: (m) => errors.push(m) },
      beforePrune: async () => {
        throw new Error('aggregates of 2026-11-20 not built yet');
      },
    });
    await expect(r.runNow()).resolves.toBeUndefined();
    expect(errors).toEqual(['retention: pruning the events before 2026-11-24 failed: aggregates of 2026-11-20 not built yet; tried again at the next run']);
    expect(r.stats().lastError).toBe('aggregates of 2026-11-20 not built yet');
    expect(await log.count()).toBe(1);
    expect(await log.listAudit()).toEqual([]);
    await log.close();
    // A closed log: the store's error, logged.
    const broken = new Retention({ retainDays: 1, log, clock: { now: () => D0 + 5 * DAY }, timeZone: () => TZ, logger: { ...quiet, error: (m) => errors.push(m) } });
    await expect(broken.runNow()).resolves.toBeUndefined();
    expect(errors[1]).toMatch(/^retention: pruning the events before 2026-11-24 failed: event log :memory: is closed/);
  });

  it('refuses fewer than one day', () => {
    const log = {} as SqliteLog;
    expect(() => new Retention({ retainDays: 0, log, clock: { now: () => 0 }, timeZone: () => TZ, logger: quiet })).toThrow(RangeError);
  });
});

describe('episodesLeftBy', () => {
  it('counts the queue-wait episodes a replay opens from the events left before the cut', () => {
    const cfg = configIn(TZ);
    const cut = D0 + DAY;
    // A caller waits 90 s in "sales" just before midnight (past the 60 s warning), answered after it.
    const events: [FloorEvent, number][] = [
      [ev(cut - 100_000, { type: 'call.queued', callId: 'w1', queueId: 'sales' }), cut - 100_000],
      [ev(cut - 10_000, { type: 'call.answered', callId: 'w1', agentId: 'a1' }), cut - 10_000],
    ];
    expect(episodesLeftBy(() => cfg)(events, cut)).toEqual({ sales: 1 });
    expect(episodesLeftBy(() => cfg)([], cut)).toEqual({});
    // And a replay starts each queue where its horizon says.
    const s = applyHorizon(createFloorState(cfg, 0), { beforeMs: cut, queueWaitEpisodes: { sales: 41, support: 0 } });
    expect(s.queues.get('sales')?.waitEpisodes).toBe(41);
    expect([...s.queues.keys()]).toEqual(['sales', 'support']);
    drainChanges(s);
    tick(s, cut);
  });
});
