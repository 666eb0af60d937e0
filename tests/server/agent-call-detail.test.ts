/**
 * `GET /api/calls/:id` for an agent (issue 18: agents see their own evidence only): their own call's
 * drill-down, live or past (folded on the server from the log), with their alerts and the segments those
 * stand on, listed words masked; another agent's call is refused as if it did not exist.
 */
import { describe, expect, it } from 'vitest';
import { closeHarnessesAfterEach, ev, postEvents, T0, type Harness } from './harness.ts';
import { defaultConfig } from '../../shared/config.ts';
import type { CallDetail } from '../../shared/wire.ts';

const { start } = closeHarnessesAfterEach();
const at = (sec: number) => T0 + sec * 1000;
let n = 0;
const say = (callId: string, speaker: 'agent' | 'caller', text: string, fromSec: number, toSec: number, atSec: number) => ({
  type: 'call.transcript', id: `acd-${++n}`, at: at(atSec), callId, speaker, text, startMs: fromSec * 1000, endMs: toSec * 1000, final: true, lang: 'en',
});

/** c1 of a1 (a listed word: a language breach), c2 of a2 (the same). */
async function feed(h: Harness): Promise<void> {
  const post = async (body: unknown) => expect((await postEvents(h, body)).body.data?.rejected).toEqual([]);
  await post([ev.agent('a1', 'available', 0, { name: 'Ann Lee', team: 'red' }), ev.agent('a2', 'available', 0, { name: 'Bo Berg', team: 'red' })]);
  for (const [c, a] of [['c1', 'a1'], ['c2', 'a2']] as const) {
    await post([ev.queued(c, 'q1', 1), ev.ringing(c, a, 2), ev.answered(c, a, 5), say(c, 'agent', 'Hello, this is someone from Acme', 0.5, 2, 8)]);
    await post(say(c, 'agent', 'Yes, damn cold though', 7, 9, 14));
    await post(ev.ended(c, 30, { by: 'caller' }));
  }
}

async function as(h: Harness, username: string, agentId: string | null, role: 'agent' | 'supervisor' = 'agent'): Promise<(p: string) => Promise<{ status: number; body: { ok: boolean; data?: unknown; error?: string } }>> {
  const user = await h.auth.createUser({ username, password: 'correct horse battery', role, agentId }, h.clock.now());
  const cookie = `fw_session=${h.auth.createSession(user.id, h.clock.now())}`;
  return async (p) => {
    const res = await fetch(`${h.url}${p}`, { headers: { cookie, origin: h.url } });
    return { status: res.status, body: (await res.json()) as { ok: boolean; data?: unknown; error?: string } };
  };
}

function expectMine(d: CallDetail): void {
  expect(d.callId).toBe('c1');
  expect(d.timeline.length).toBeGreaterThan(0);
  expect(d.alerts.map((a) => a.ruleId)).toContain('language');
  expect(d.alerts.every((a) => a.agentId === 'a1')).toBe(true);
  expect(d.transcript?.length).toBeGreaterThan(0);
  expect(d.transcript!.every((s) => s.masked === true)).toBe(true);
  expect(d.transcript!.map((s) => s.text)).toContain('Yes, d\u2022\u2022\u2022 cold though');
  expect(JSON.stringify(d)).not.toContain('damn');
  expect(JSON.stringify(d)).not.toContain('a2');
}

describe('GET /api/calls/:id for an agent', () => {
  it('answers the agent’s own live call with their evidence masked, and refuses another agent’s', async () => {
    const h = await start({ config: { ...defaultConfig(), companyNames: ['Acme'] }, transcripts: 'evidence' });
    await feed(h);
    const ann = await as(h, 'ann', 'a1');
    const mine = await ann('/api/calls/c1');
    expect(mine.status).toBe(200);
    expectMine(mine.body.data as CallDetail);
    const theirs = await ann('/api/calls/c2');
    expect(theirs.status).toBe(404);
    expect(JSON.stringify(theirs.body)).not.toContain('cold');
    expect((await ann('/api/calls/nope')).status).toBe(404);
    // A supervisor still sees the words plainly.
    const sup = await as(h, 'sue', null, 'supervisor');
    const plain = (await sup('/api/calls/c1')).body.data as CallDetail;
    expect(plain.transcript?.map((s) => s.text)).toContain('Yes, damn cold though');
  });

  it('folds a past call (no longer in memory) on the server: the agent gets their part, never raw events', async () => {
    const h = await start({ config: { ...defaultConfig(), companyNames: ['Acme'] }, transcripts: 'evidence' });
    await feed(h);
    h.server.state().calls.delete('c1');
    h.server.state().calls.delete('c2');
    const ann = await as(h, 'ann', 'a1');
    const mine = await ann('/api/calls/c1');
    expect(mine.status).toBe(200);
    expect(mine.body.data).not.toHaveProperty('events');
    expectMine(mine.body.data as CallDetail);
    expect((await ann('/api/calls/c2')).status).toBe(404);
    const bo = await as(h, 'bo', 'a2');
    expect((await bo('/api/calls/c1')).status).toBe(404);
    expect((await bo('/api/calls/c2')).status).toBe(200);
  });
});
