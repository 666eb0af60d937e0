/** The pure parts of notifications: route matching, quiet hours in a time zone, backoff, webhook addresses. */
import { describe, expect, it } from 'vitest';
import { escalateAfterMin, inQuietHours, routesFor } from '../../server/notify/router.ts';
import { backoffMs } from '../../server/notify/dispatcher.ts';
import { summarize, textOf } from '../../server/notify/message.ts';
import type { Alert } from '../../shared/state.ts';
import { routingSchema } from '../../server/notify/types.ts';
import { webhookUrlProblem } from '../../server/notify/webhook.ts';

const routing = routingSchema.parse({
  routes: [
    { id: 'sales-breaches', levels: ['breach'], queueIds: ['sales'], channelIds: ['a'] },
    { id: 'red-holds', ruleIds: ['hold-long'], levels: ['warn', 'breach'], teams: ['red'], channelIds: ['b', 'c'] },
  ],
  escalation: { defaultMin: 5, perRule: { 'hold-long': 2 } },
});

describe('routes', () => {
  it('matches by level, queue, rule and team; empty lists match anything; info never', () => {
    const ids = (a: { ruleId: 'hold-long' | 'ring-limit'; level: 'info' | 'warn' | 'breach'; queueId?: string }, team?: string) => routesFor(routing, a, team).map((r) => r.id);
    expect(ids({ ruleId: 'ring-limit', level: 'breach', queueId: 'sales' })).toEqual(['sales-breaches']);
    expect(ids({ ruleId: 'ring-limit', level: 'warn', queueId: 'sales' })).toEqual([]);
    expect(ids({ ruleId: 'ring-limit', level: 'breach', queueId: 'support' })).toEqual([]);
    expect(ids({ ruleId: 'ring-limit', level: 'breach' })).toEqual([]); // no queue: only routes without queues
    expect(ids({ ruleId: 'hold-long', level: 'warn', queueId: 'support' }, 'red')).toEqual(['red-holds']);
    expect(ids({ ruleId: 'hold-long', level: 'breach', queueId: 'sales' }, 'red')).toEqual(['sales-breaches', 'red-holds']);
    expect(ids({ ruleId: 'hold-long', level: 'warn', queueId: 'sales' }, 'blue')).toEqual([]);
    expect(ids({ ruleId: 'hold-long', level: 'info', queueId: 'sales' }, 'red')).toEqual([]);
  });

  it('waits the rule’s own minutes before escalating, else the default', () => {
    expect(escalateAfterMin(routing, 'hold-long')).toBe(2);
    expect(escalateAfterMin(routing, 'ring-limit')).toBe(5);
    expect(routingSchema.parse({}).escalation.defaultMin).toBe(5);
  });
});

describe('quiet hours', () => {
  const at = (iso: string) => Date.parse(iso);
  it('span midnight in the floor’s time zone, from inclusive, to exclusive', () => {
    const night = { from: '22:00', to: '07:00' };
    // Tallinn is UTC+2 in winter: 20:00Z is 22:00 there.
    expect(inQuietHours(night, at('2026-11-24T19:59:00Z'), 'Europe/Tallinn')).toBe(false);
    expect(inQuietHours(night, at('2026-11-24T20:00:00Z'), 'Europe/Tallinn')).toBe(true);
    expect(inQuietHours(night, at('2026-11-25T04:59:00Z'), 'Europe/Tallinn')).toBe(true);
    expect(inQuietHours(night, at('2026-11-25T05:00:00Z'), 'Europe/Tallinn')).toBe(false);
    // The same instant is not quiet on a floor in UTC (20:30 there), nor in New York (15:30).
    expect(inQuietHours(night, at('2026-11-24T20:30:00Z'), 'UTC')).toBe(false);
    expect(inQuietHours(night, at('2026-11-24T22:30:00Z'), 'UTC')).toBe(true);
    expect(inQuietHours(night, at('2026-11-24T20:30:00Z'), 'America/New_York')).toBe(false);
  });

  it('within one day, and never when from equals to or none are set', () => {
    const lunch = { from: '12:00', to: '13:00' };
    expect(inQuietHours(lunch, at('2026-11-24T12:30:00Z'), 'UTC')).toBe(true);
    expect(inQuietHours(lunch, at('2026-11-24T13:00:00Z'), 'UTC')).toBe(false);
    expect(inQuietHours({ from: '09:00', to: '09:00' }, at('2026-11-24T09:00:00Z'), 'UTC')).toBe(false);
    expect(inQuietHours(null, at('2026-11-24T09:00:00Z'), 'UTC')).toBe(false);
  });
});

describe('delivery helpers', () => {
  it('backs off 5 s, 10 s, 20 s … up to 2 min', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 10].map(backoffMs)).toEqual([5_000, 10_000, 20_000, 40_000, 80_000, 120_000, 120_000, 120_000]);
  });

  it('takes https anywhere and plain http only on loopback; no credentials in the URL', () => {
    expect(webhookUrlProblem('https://hooks.example.com/x')).toBeUndefined();
    expect(webhookUrlProblem('http://127.0.0.1:8080/x')).toBeUndefined();
    expect(webhookUrlProblem('http://localhost/x')).toBeUndefined();
    expect(webhookUrlProblem('http://[::1]:9/x')).toBeUndefined();
    expect(webhookUrlProblem('http://10.0.0.5/x')).toMatch(/must be https/);
    expect(webhookUrlProblem('ftp://example.com/x')).toMatch(/must be https/);
    expect(webhookUrlProblem('https://user:pw@example.com/x')).toMatch(/no user or password/);
    expect(webhookUrlProblem('not a url')).toBe('url: not a URL');
  });
});

describe('message text', () => {
  const away = (reason: string | undefined): Alert => ({ id: 'away-long:A1:1', ruleId: 'away-long', level: 'breach', status: 'open', agentId: 'A1', ...(reason === undefined ? {} : { reason }), value: 1_860, threshold: 1_800, unit: 'sec', raisedAtMs: Date.UTC(2026, 0, 5, 12, 0), updatedAtMs: Date.UTC(2026, 0, 5, 12, 31) });
  const text = (a: Alert) => textOf({ id: 'n', kind: 'alert', escalationStep: 0, alerts: [summarize(a, () => ({ name: 'Ann' }))] }, 'UTC');

  it('names the alert’s reason beside its rule when it carries one (an away-long alert’s pause reason)', () => {
    expect(summarize(away('lunch'), () => undefined).reason).toBe('lunch');
    expect(text(away('lunch'))).toContain('- BREACH away-long (lunch) agent Ann (A1)');
  });

  it('adds nothing when the alert has no reason or an empty one', () => {
    expect(text(away(undefined))).toContain('- BREACH away-long agent Ann (A1)');
    expect(text(away(''))).toContain('- BREACH away-long agent Ann (A1)');
    expect(summarize(away(''), () => undefined)).not.toHaveProperty('reason');
  });
});
