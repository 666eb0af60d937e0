/**
 * What if over the wire (issue 16): POST /api/what-if replays the SQLite log on a worker with the
 * floor's settings and with candidate ones. With unchanged settings both sides equal the alerts
 * the live server recorded for the day; a changed hold-long warning gives the hand-computed
 * counts; bad input is a 400 with the reason; supervisors may run it, agents may not; a second run
 * while one is running is a 503; other stores are streamed from the main thread.
 */
import { describe, expect, it } from 'vitest';
import { defaultConfig, DEFAULT_RULES } from '../../shared/config.ts';
import type { FloorEvent } from '../../shared/events.ts';
import type { Alert, RuleCounts } from '../../shared/state.ts';
import { parseSetting, type WhatIfResult } from '../../shared/what-if.ts';
import { openSqliteLog } from '../../server/log/sqlite.ts';
import { WhatIfService } from '../../server/what-if.ts';
import { closeHarnessesAfterEach, ev, getJson, postEvents, T0, VIEW_TOKEN, type Harness } from './harness.ts';

const { start } = closeHarnessesAfterEach();
const TODAY = '2026-11-24';

type Answer = { status: number; body: { ok: boolean; data?: WhatIfResult & { ms: number }; error?: string }; retryAfter: string | null };

async function whatIf(h: Harness, body: unknown, auth: { token?: string; cookie?: string } = { token: VIEW_TOKEN }): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': 'application/json', origin: h.url };
  if (auth.token) headers.authorization = `Bearer ${auth.token}`;
  if (auth.cookie) headers.cookie = auth.cookie;
  const res = await fetch(`${h.url}/api/what-if`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body), signal: AbortSignal.timeout(60_000) });
  return { status: res.status, body: (await res.json()) as Answer['body'], retryAfter: res.headers.get('retry-after') };
}

async function session(h: Harness, username: string, role: 'admin' | 'supervisor' | 'agent', agentId?: string): Promise<string> {
  const user = await h.auth.createUser({ username, password: 'correct horse battery', role, agentId }, h.clock.now());
  return `fw_session=${h.auth.createSession(user.id, h.clock.now())}`;
}

/**
 * A morning of agent 1001: four calls with one hold each (40, 55, 70, 95 s), asked for; a fifth
 * call held three times (hold-repeat at the third), the first without asking; a sixth answered at
 * the fifth ring; then an admin lowers the hold-long warning to 50 s and a seventh call holds 52 s.
 */
async function morning(h: Harness): Promise<void> {
  const admin = await session(h, 'root', 'admin');
  const feed: Record<string, unknown>[] = [ev.agent('1001', 'available', 0, { name: 'Alice Ames', team: 'north' })];
  [40, 55, 70, 95].forEach((holdSec, i) => {
    const t = 60 + i * 600;
    const c = `hold-${holdSec}`;
    feed.push(ev.queued(c, 'sales', t), ev.ringing(c, '1001', t + 2), ev.answered(c, '1001', t + 6), ev.hold(c, t + 30, true), ev.unhold(c, t + 30 + holdSec), ev.ended(c, t + 200, { notes: true }));
  });
  const r = 2_700;
  feed.push(
    ev.queued('repeat', 'sales', r),
    ev.answered('repeat', '1001', r + 4, { ringCount: 1 }),
    ev.hold('repeat', r + 10, false),
    ev.unhold('repeat', r + 20),
    ev.hold('repeat', r + 30, true),
    ev.unhold('repeat', r + 40),
    ev.hold('repeat', r + 50, true),
    ev.unhold('repeat', r + 60),
    ev.ended('repeat', r + 100, { notes: true }),
    ev.queued('slow', 'support', r + 200),
    ev.answered('slow', '1001', r + 230, { ringCount: 5 }),
    ev.ended('slow', r + 300, { notes: true }),
  );
  for (const e of feed) {
    expect((await postEvents(h, [e])).body.data?.rejected).toEqual([]);
    h.server.tickNow(); // the live floor ticks between events, as it does every second
  }
  h.clock.t = T0 + 3_100_000;
  const put = await fetch(`${h.url}/api/settings`, {
    method: 'PUT',
    headers: { cookie: admin, origin: h.url, 'content-type': 'application/json' },
    body: JSON.stringify({ ...h.server.state().config, rules: { ...h.server.state().config.rules, holdLongWarnSec: 50 } }),
  });
  expect(put.status).toBe(200);
  const later = 3_200;
  for (const e of [ev.queued('after', 'sales', later), ev.answered('after', '1001', later + 4, { ringCount: 1 }), ev.hold('after', later + 10, true)]) await postEvents(h, [e]);
  // A live tick raises the warning while the caller is still on hold; the unhold settles it.
  h.clock.t = T0 + (later + 65) * 1000;
  h.server.tickNow();
  await postEvents(h, [ev.unhold('after', later + 62), ev.ended('after', later + 90, { notes: true })]);
  h.clock.t = T0 + (later + 120) * 1000;
  h.server.tickNow();
}

/** The recorded alerts (GET /api/alerts: latest content per id) as counts per rule, retracted ones left out. */
async function recordedByRule(h: Harness): Promise<Record<string, RuleCounts>> {
  const r = await getJson(h, '/api/alerts?limit=5000');
  const out: Record<string, RuleCounts> = {};
  for (const a of r.body.data as Alert[]) {
    if (a.status === 'retracted') continue;
    (out[a.ruleId] ??= { info: 0, warn: 0, breach: 0 })[a.level]++;
  }
  return out;
}

const byRule = (rows: WhatIfResult['rules'], side: 'baseline' | 'candidate') => Object.fromEntries(rows.map((r) => [r.ruleId, r[side]]));

describe('POST /api/what-if', () => {
  it('with unchanged settings equals the alerts the live server recorded, and with a changed warning the hand-computed counts', async () => {
    const h = await start();
    await morning(h);
    const recorded = await recordedByRule(h);
    // The morning as written: hold-long warns at 55, 70 (45 s) and 52 s (50 s after the change), breaches at 95;
    // hold-repeat at the third hold; hold-permission once; ring-limit at the fifth ring.
    expect(recorded['hold-long']).toEqual({ info: 0, warn: 3, breach: 1 });
    expect(recorded['hold-repeat']).toEqual({ info: 0, warn: 0, breach: 1 });
    expect(recorded['hold-permission']).toEqual({ info: 0, warn: 0, breach: 1 });
    expect(recorded['ring-limit']?.breach).toBe(1);

    const same = await whatIf(h, { from: TODAY, to: TODAY });
    expect(same.status).toBe(200);
    const d = same.body.data as WhatIfResult;
    expect(byRule(d.rules, 'baseline')).toEqual(recorded);
    expect(byRule(d.rules, 'candidate')).toEqual(recorded);
    expect(d.changed).toEqual({ worse: 0, better: 0 });
    expect(d.configChanges).toBe(1);
    expect(d.eventsInRange).toBe(d.events);

    // Warning at 60 s, on top of the starting settings and of the admin's change: 55 s and 52 s no longer warn.
    const r = await whatIf(h, { from: TODAY, to: TODAY, set: { 'hold-long.warnSec': 60 } });
    expect(r.status).toBe(200);
    const w = r.body.data as WhatIfResult;
    expect(w.rules.find((x) => x.ruleId === 'hold-long')).toEqual({ ruleId: 'hold-long', baseline: { info: 0, warn: 3, breach: 1 }, candidate: { info: 0, warn: 1, breach: 1 } });
    expect(w.examples.better.map((x) => x.callId).sort()).toEqual(['after', 'hold-55']);
    expect(w.examples.worse).toEqual([]);
    expect(w.agents).toEqual([expect.objectContaining({ agentId: '1001', name: 'Alice Ames', team: 'north' })]);
    // What "Apply these settings" would save: the floor's settings now, with the candidate on top.
    expect(w.candidateConfig).toEqual({ ...h.server.state().config, rules: { ...h.server.state().config.rules, holdLongWarnSec: 60 } });
    expect(w.baselineConfig).toEqual(h.server.state().config);
    // The live floor is untouched.
    expect(h.server.state().config.rules.holdLongWarnSec).toBe(50);

    // The same as a list of texts, and as a whole candidate configuration.
    const asList = await whatIf(h, { from: TODAY, to: TODAY, set: ['hold-long.warnSec=60'] });
    expect(byRule((asList.body.data as WhatIfResult).rules, 'candidate')).toEqual(byRule(w.rules, 'candidate'));
    const asConfig = await whatIf(h, { from: TODAY, to: TODAY, config: w.candidateConfig });
    expect(byRule((asConfig.body.data as WhatIfResult).rules, 'candidate')).toEqual(byRule(w.rules, 'candidate'));
    // A day without events: nothing counted.
    const empty = await whatIf(h, { from: '2026-11-20', to: '2026-11-21' });
    expect(empty.body.data).toMatchObject({ eventsInRange: 0, rules: [], totals: { baseline: { warn: 0, breach: 0 } } });
  });

  it('answers 400 with the reason for a bad range or setting', async () => {
    const h = await start();
    await postEvents(h, [ev.agent('1001', 'available', 0)]);
    const cases: [unknown, RegExp][] = [
      [{ to: TODAY }, /^from: required, YYYY-MM-DD$/],
      [{ from: TODAY }, /^to: required, YYYY-MM-DD$/],
      [{ from: '2026-11-31', to: TODAY }, /^from: "2026-11-31" is not a date/],
      [{ from: TODAY, to: '2026-11-01' }, /is before from/],
      [{ from: '2026-01-01', to: TODAY }, /is 328 days; a what-if covers at most 92/],
      [{ from: TODAY, to: TODAY, set: { 'hold-long.warnSecs': 60 } }, /^unknown setting: hold-long\.warnSecs/],
      [{ from: TODAY, to: TODAY, set: { 'hold-long.warnSec': 'soon' } }, /^hold-long\.warnSec: expected a number, got "soon"$/],
      [{ from: TODAY, to: TODAY, set: { 'hold-long.warnSec': 120 } }, /^hold-long\.warnSec=120: rules\.holdLongWarnSec: must not exceed holdLongBreachSec$/],
      [{ from: TODAY, to: TODAY, set: ['disabled+=nope'] }, /^disabled: unknown rule "nope"/],
      [{ from: TODAY, to: TODAY, set: {}, config: defaultConfig() }, /either set .* or config/],
      [{ from: TODAY, to: TODAY, config: { rules: {} } }, /^config: /],
      [{ from: TODAY, to: TODAY, sett: {} }, /^unknown field sett/],
      ['{"from": ', /^malformed JSON/],
    ];
    for (const [body, re] of cases) {
      const r = await whatIf(h, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error, JSON.stringify(body)).toMatch(re);
    }
  });

  it('lets supervisors and admins run it and refuses agents (403) and strangers (401)', async () => {
    const h = await start();
    await postEvents(h, [ev.agent('1001', 'available', 0)]);
    const body = { from: TODAY, to: TODAY, set: { 'ring-limit.breachAt': 5 } };
    expect((await whatIf(h, body, { cookie: await session(h, 'sue', 'supervisor') })).status).toBe(200);
    expect((await whatIf(h, body, { cookie: await session(h, 'ada', 'admin') })).status).toBe(200);
    const agent = await whatIf(h, body, { cookie: await session(h, 'al', 'agent', '1001') });
    expect(agent.status).toBe(403);
    expect(agent.body.error).toBe('an agent may not do this');
    expect((await whatIf(h, body, {})).status).toBe(401);
  });

  it('runs one what-if at a time: a second one meanwhile is a 503 with Retry-After', async () => {
    const h = await start();
    await postEvents(h, [ev.agent('1001', 'available', 0)]);
    const body = { from: TODAY, to: TODAY };
    const [a, b] = await Promise.all([whatIf(h, body), whatIf(h, body)]);
    expect([a.status, b.status].sort()).toEqual([200, 503]);
    const busy = a.status === 503 ? a : b;
    expect(busy.body.error).toMatch(/another what-if is running/);
    expect(busy.retryAfter).toBe('10');
    expect((await whatIf(h, body)).status).toBe(200);
  });
});

describe('WhatIfService', () => {
  it('streams a log it cannot open itself (a :memory: SQLite log) to the worker, with the same counts', async () => {
    const log = openSqliteLog({ file: ':memory:' });
    const at = (s: number) => T0 + s * 1000;
    const events = [
      { type: 'agent.state', id: 'm1', at: at(0), agentId: 'A', state: 'available' },
      { type: 'call.queued', id: 'm2', at: at(10), callId: 'c1', queueId: 'q' },
      { type: 'call.answered', id: 'm3', at: at(12), callId: 'c1', agentId: 'A', ringCount: 1 },
      { type: 'call.hold', id: 'm4', at: at(20), callId: 'c1', askedPermission: true },
      { type: 'call.unhold', id: 'm5', at: at(75), callId: 'c1' },
      { type: 'call.ended', id: 'm6', at: at(90), callId: 'c1', notes: true },
    ] as FloorEvent[];
    for (const e of events) await log.append([e], e.at);
    const service = new WhatIfService({ log });
    const set = parseSetting('hold-long.warnSec=60');
    if (!set.ok) throw new Error(set.error);
    const { result } = await service.run({ config: defaultConfig(), changes: [set.change], from: TODAY, to: TODAY, nowMs: at(100) });
    expect(result.rules).toEqual([{ ruleId: 'hold-long', baseline: { info: 0, warn: 1, breach: 0 }, candidate: { info: 0, warn: 0, breach: 0 } }]);
    expect(result.events).toBe(6);
    expect(service.stats()).toMatchObject({ running: false, runs: 1, failures: 0 });
    await log.close();
  });

  it('stops a run that takes too long and answers 503, and the next run works', async () => {
    const log = openSqliteLog({ file: ':memory:' });
    await log.append([{ type: 'agent.state', id: 'x1', at: T0, agentId: 'A', state: 'available' } as FloorEvent], T0);
    const slow = new WhatIfService({ log, timeoutMs: 1, logger: { error: () => {} } });
    await expect(slow.run({ config: defaultConfig(), changes: [], from: TODAY, to: TODAY, nowMs: T0 })).rejects.toMatchObject({ status: 503, message: expect.stringMatching(/took longer than 0 s/) });
    expect(slow.stats()).toMatchObject({ running: false, failures: 1 });
    const ok = new WhatIfService({ log });
    await expect(ok.run({ config: { ...defaultConfig(), rules: { ...DEFAULT_RULES } }, changes: [], from: TODAY, to: TODAY, nowMs: T0 })).resolves.toMatchObject({ result: { events: 1 } });
    await log.close();
  });
});
