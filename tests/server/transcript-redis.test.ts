/**
 * `--transcripts evidence` on a shared Redis log: the stream holds no words, and the node that received a
 * segment keeps the words an alert stands on once it has read the segment back from the stream.
 */
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type FloorwatchServer } from '../../server/app.ts';
import { openRedisLog, type RedisLog } from '../../server/log/redis.ts';
import { AuthStore } from '../../server/auth/store.ts';
import { defaultConfig } from '../../shared/config.ts';
import type { CallDetail } from '../../shared/wire.ts';
import { ev, FakeClock, INGEST_TOKEN, redisReachable, T0, VIEW_TOKEN, waitFor } from './harness.ts';

const redisUp = await redisReachable('the transcript test on Redis needs Redis on 127.0.0.1:6379');

let open: { server: FloorwatchServer; log: RedisLog; auth: AuthStore }[] = [];
afterEach(async () => {
  for (const n of open) {
    await n.server.close();
    await n.log.purge().catch(() => undefined);
    await n.log.close();
    n.auth.close();
  }
  open = [];
});

describe.skipIf(!redisUp)('transcripts on a shared Redis log', () => {
  it('the stream holds cues, not words; the evidence words are kept by the receiving node', async () => {
    const prefix = `fw-transcripts-${process.pid}-${Math.random().toString(36).slice(2)}`;
    const log = await openRedisLog({ url: 'redis://127.0.0.1:6379', prefix });
    const auth = new AuthStore(':memory:');
    const clock = new FakeClock(T0 + 60_000);
    const server = createServer({ log, auth, clock, config: { ...defaultConfig(), companyNames: ['Acme'] }, ingestTokens: [INGEST_TOKEN], viewTokens: [VIEW_TOKEN], tickMs: 0, transcripts: 'evidence', logger: { info() {}, warn() {}, error() {} } });
    open.push({ server, log, auth });
    const url = `http://127.0.0.1:${await server.listen(0, '127.0.0.1')}`;
    const say = (id: string, speaker: 'agent' | 'caller', text: string, fromSec: number) => ({ type: 'call.transcript', id, at: T0 + (fromSec + 6) * 1000, callId: 'r1', speaker, text, startMs: fromSec * 1000, endMs: fromSec * 1000 + 900, final: true, lang: 'en' });
    const res = await fetch(`${url}/api/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${INGEST_TOKEN}` },
      body: JSON.stringify([
        ev.agent('a1', 'available', 0, { name: 'Ann Lee' }),
        ev.queued('r1', 'q1', 1),
        ev.ringing('r1', 'a1', 2),
        ev.answered('r1', 'a1', 5),
        say('s1', 'agent', 'Hello, this is Ann from Acme', 0.5),
        say('s2', 'caller', 'Lovely weather in Tallinn', 2),
        say('s3', 'agent', 'Yes, damn cold', 4),
      ]),
    });
    expect(res.status).toBe(200);
    const alerts = () => [...server.state().alerts.values(), ...server.state().recentAlerts].filter((a) => a.callId === 'r1');
    await waitFor(() => alerts().length > 0, 3_000, 'the language alert, read back from the stream');
    expect(alerts().map((a) => a.ruleId)).toEqual(['language']);
    const stream = JSON.stringify(await log.eventsForCall('r1'));
    for (const w of ['Hello', 'Tallinn', 'damn']) expect(stream, w).not.toContain(w);
    expect(stream).toContain('"cues":["language"]');
    const detail = (await (await fetch(`${url}/api/calls/r1`, { headers: { authorization: `Bearer ${VIEW_TOKEN}` } })).json()) as { data: CallDetail };
    expect(detail.data.transcriptMode).toBe('evidence');
    expect(detail.data.transcript?.map((s) => s.text)).toEqual(['Yes, damn cold']);
    // The keys of this run: no transcript words stored in Redis under them either.
    const dump = spawnSync('redis-cli', ['--scan', '--pattern', `${prefix}:*`], { encoding: 'utf8' });
    expect(dump.status).toBe(0);
    const keys = dump.stdout.split('\n').filter(Boolean);
    expect(keys).toContain(`${prefix}:events`);
    for (const key of keys) {
      const type = spawnSync('redis-cli', ['type', key], { encoding: 'utf8' }).stdout.trim();
      const cmd = type === 'stream' ? ['xrange', key, '-', '+'] : type === 'hash' ? ['hgetall', key] : type === 'list' ? ['lrange', key, '0', '-1'] : type === 'zset' ? ['zrange', key, '0', '-1'] : type === 'set' ? ['smembers', key] : ['get', key];
      const value = spawnSync('redis-cli', cmd, { encoding: 'utf8' }).stdout;
      for (const w of ['Tallinn', 'damn']) expect(value, `${key}: ${w}`).not.toContain(w);
    }
  });
});
