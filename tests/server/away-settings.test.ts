/**
 * Pause limits through the settings API (issue 15): bad limits are refused with a clear error naming
 * the field, reason names are normalised when saved, a team's limits reach its agents (their view's
 * pause and their own config), and away-long fires on the server's tick at the team's limit.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ev, postEvents, startHarness, type Harness } from './harness.ts';
import { defaultConfig, type FloorConfig } from '../../shared/config.ts';
import { selectAgentView, selectScopeConfig } from '../../shared/selectors.ts';
import type { AgentConfig } from '../../shared/wire.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function adminCookie(): Promise<string> {
  await h!.auth.createUser({ username: 'admin', password: 'admin-password-1', role: 'admin' }, h!.clock.now());
  const res = await fetch(`${h!.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'admin-password-1' }) });
  return (res.headers.get('set-cookie') ?? '').split(';')[0];
}

async function putSettings(cookie: string, config: unknown): Promise<{ status: number; body: { ok: boolean; error?: string; data?: FloorConfig } }> {
  const res = await fetch(`${h!.url}/api/settings`, { method: 'PUT', headers: { 'content-type': 'application/json', cookie }, body: JSON.stringify(config) });
  return { status: res.status, body: (await res.json()) as { ok: boolean; error?: string; data?: FloorConfig } };
}

describe('pause limits in the settings', () => {
  it('refuses bad limits with a clear error naming the field', async () => {
    h = await startHarness();
    const cookie = await adminCookie();
    const base = defaultConfig();
    const cases: [unknown, string][] = [
      [{ ...base, awayLimitMinutes: { break: 0 } }, 'awayLimitMinutes.break: Too small: expected number to be >=1'],
      [{ ...base, awayLimitMinutes: { lunch: 'long' } }, 'awayLimitMinutes.lunch: Invalid input: expected number, received string'],
      [{ ...base, awayLimitMinutes: { Break: 10, ' break ': 12 } }, 'awayLimitMinutes: "Break" and " break " are the same reason ("break") once case and spaces are ignored'],
      [{ ...base, teams: { night: { awayLimitMinutes: { lunch: 1441 } } } }, 'teams.night.awayLimitMinutes.lunch: Too big: expected number to be <=1440'],
      [{ ...base, queues: { sales: { awayLimitMinutes: { break: 10 } } } }, 'queues.sales.awayLimitMinutes: pause limits are set per team (or for the floor), not per queue'],
    ];
    for (const [config, error] of cases) {
      const r = await putSettings(cookie, config);
      expect(r.status).toBe(400);
      expect(r.body.error).toBe(error);
    }
    expect(h.server.state().config.awayLimitMinutes).toEqual({ break: 15, lunch: 35, training: null });
  });

  it('saves reasons normalised, gives a team its limits, and fires away-long at the team\'s limit', async () => {
    h = await startHarness();
    const cookie = await adminCookie();
    const config = { ...defaultConfig(), awayLimitMinutes: { break: 15, lunch: 35, training: null, ' Coffee  Break ': 5 }, teams: { night: { awayLimitMinutes: { 'COFFEE BREAK': 3 } } } };
    const r = await putSettings(cookie, config);
    expect(r.status).toBe(200);
    expect(r.body.data?.awayLimitMinutes).toEqual({ break: 15, lunch: 35, training: null, 'coffee break': 5 });
    expect(r.body.data?.teams.night.awayLimitMinutes).toEqual({ 'coffee break': 3 });

    await postEvents(h, [ev.agent('N1', 'available', 0, { team: 'night' }), ev.agent('D1', 'available', 0, { team: 'day' })]);
    await postEvents(h, [ev.agent('N1', 'away', 10, { reason: 'Coffee Break' }), ev.agent('D1', 'away', 10, { reason: 'coffee   break' })]);
    const s = h.server.state();
    expect(selectAgentView(s, s.agents.get('N1')!).away).toMatchObject({ reason: 'coffee break', limitSec: 180, breachSec: 270 });
    expect(selectAgentView(s, s.agents.get('D1')!).away).toMatchObject({ reason: 'coffee break', limitSec: 300, breachSec: 450 });
    expect((selectScopeConfig(s, { kind: 'agent', agentId: 'N1' }) as AgentConfig).awayLimitMinutes).toMatchObject({ 'coffee break': 3, lunch: 35 });

    h.clock.advance(179_000); // the clock followed the feed to the pause at 10 s
    h.server.tickNow();
    expect([...h.server.state().alerts.values()].filter((a) => a.ruleId === 'away-long')).toEqual([]);
    h.clock.advance(1_000);
    h.server.tickNow();
    expect([...h.server.state().alerts.values()].filter((a) => a.ruleId === 'away-long').map((a) => [a.agentId, a.level, a.threshold])).toEqual([['N1', 'warn', 180]]);
  });
});
