/**
 * Structured logs (server/logging.ts): a real server logging through pino into
 * a captured stream at debug level while people sign in (and fail to), scripts
 * and a wallboard use their tokens, producers post calls with callers' numbers,
 * a webhook with a shared secret fails (its sender echoing what it sent), a
 * queue_log tail meets a file of damaged lines quoting callers, and modules log
 * objects and AMI text. Every line must be JSON, and no secret and no caller's
 * number may appear in any of them; request ids are kept or made, and echoed.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createServer } from '../../server/app.ts';
import { openSqliteLog } from '../../server/log/sqlite.ts';
import { AuthStore } from '../../server/auth/store.ts';
import { sendWebhook } from '../../server/notify/webhook.ts';
import { startQueueLogTail } from '../../server/queuelog/tail.ts';
import { createLogging, loggedUrl, scrubLine, secretsFromEnv, textLogger } from '../../server/logging.ts';
import { FakeClock, T0, tempDbFile } from './harness.ts';

const ADMIN_PASSWORD = 'admins-own-password-1';
const WRONG_PASSWORD = 'not-the-password-77';
const INGEST_TOKEN = 'ingest-token-5f1c9e2a7b';
const VIEW_TOKEN = 'view-token-a83b02c4d5';
const WALL_TOKEN = 'wall-token-66d1e0f9c3';
const OIDC_SECRET = 'oidc-client-secret-3a9f';
const AMI_SECRET = 'ami-manager-secret-8c2e';
const SMTP_PASSWORD = 'smtp-password-b71d40';
const WEBHOOK_SECRET = 'webhook-shared-secret-e55a';
const REDIS_PASSWORD = 'redis-pass-0c3f7e';
/** Callers: E.164 (with and without grouping) and national numbers, none of which may be logged. */
const CALLERS = ['+905321234567', '+372 5123 4567', '05329876543', '0412 777 8899'];
/** The same numbers' bare digits: a number with its punctuation changed is still the number. */
const DIGITS = CALLERS.map((c) => c.replace(/\D/g, ''));

const stops: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const s of stops.splice(0).reverse()) await s();
});

function capture() {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      cb();
    },
  });
  return { sink, lines };
}

/** A webhook receiver that always fails. */
async function failingReceiver(): Promise<string> {
  const srv = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(500).end('no'));
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  stops.push(() => new Promise<void>((r) => srv.close(() => r())));
  return `http://127.0.0.1:${(srv.address() as AddressInfo).port}/hook`;
}

describe('structured logs', () => {
  it('never write a secret or a caller’s number, whatever the server and its modules log', async () => {
    const { sink, lines } = capture();
    const env = {
      FLOORWATCH_INGEST_TOKENS: INGEST_TOKEN,
      FLOORWATCH_API_TOKENS: VIEW_TOKEN,
      FLOORWATCH_WALLBOARD_TOKENS: WALL_TOKEN,
      FLOORWATCH_OIDC_CLIENT_SECRET: OIDC_SECRET,
      FLOORWATCH_AMI_SECRET: AMI_SECRET,
      SMTP_PASSWORD,
      PATH: '/usr/bin',
    };
    const logging = createLogging({ destination: sink, format: 'json', level: 'debug', secrets: secretsFromEnv(env) });
    const clock = new FakeClock(T0 + 60_000);
    const log = openSqliteLog({ file: tempDbFile(), synchronous: 'normal', warn: (m) => logging.logger.warn(m) });
    const auth = new AuthStore(':memory:');
    await auth.createUser({ username: 'admin', password: ADMIN_PASSWORD, role: 'admin' }, clock.now());
    const server = createServer({
      log,
      auth,
      clock,
      ingestTokens: [INGEST_TOKEN],
      viewTokens: [VIEW_TOKEN],
      wallboardTokens: [WALL_TOKEN],
      tickMs: 0,
      maxFutureSec: 86_400,
      logger: logging.logger,
      httpLogger: logging.pino,
      notify: {
        // A real delivery; when it fails, the error echoes what was sent, as a careless library might.
        sender: async (ch, n, o) => {
          try {
            if (ch.kind === 'webhook') await sendWebhook(ch, n, o);
          } catch (err) {
            const secret = ch.kind === 'webhook' ? ch.secret : '';
            throw new Error(`${(err as Error).message}; sent Authorization: Bearer ${secret} secret=${secret} about caller ${CALLERS[0]}`);
          }
        },
      },
    });
    stops.push(async () => {
      await server.close();
      await log.close();
      auth.close();
    });
    const url = `http://127.0.0.1:${await server.listen(0, '127.0.0.1')}`;

    // Sign-ins: one refused, one accepted; then the session cookie on a request.
    const bad = await fetch(`${url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: WRONG_PASSWORD }) });
    expect(bad.status).toBe(401);
    const ok = await fetch(`${url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }) });
    expect(ok.status).toBe(200);
    const cookie = (ok.headers.get('set-cookie') ?? '').split(';')[0];
    const sessionValue = cookie.split('=')[1];
    expect(sessionValue.length).toBeGreaterThan(8);
    expect((await fetch(`${url}/api/health`, { headers: { cookie } })).status).toBe(200);
    expect((await fetch(`${url}/api/snapshot`, { headers: { authorization: `Bearer ${VIEW_TOKEN}` } })).status).toBe(200);
    // A wallboard opened with its token in the URL, and a request id given by a proxy.
    const wall = await fetch(`${url}/wall?kiosk=${WALL_TOKEN}&lang=et`, { headers: { 'x-request-id': 'lb-7f3a-0001' } });
    expect(wall.headers.get('x-request-id')).toBe('lb-7f3a-0001');
    const odd = await fetch(`${url}/api/me`, { headers: { 'x-request-id': 'no spaces <allowed>' } });
    expect(odd.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);

    // Producers: calls with callers' numbers, accepted; a batch of nothing valid, refused (400, logged at info).
    const events = CALLERS.map((caller, i) => ({ type: 'call.queued', id: `lg-${i}`, at: T0 + i * 1000, callId: `lg-call-${i}`, queueId: 'sales', caller }));
    const post = (body: unknown) => fetch(`${url}/api/events`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${INGEST_TOKEN}` }, body: JSON.stringify(body) });
    expect((await post(events)).status).toBe(200);
    expect((await post([{ type: 'call.queued', id: 'lg-bad', caller: CALLERS[2], queueId: 'sales' }])).status).toBe(400);
    expect((await fetch(`${url}/api/events`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${WRONG_PASSWORD}` }, body: '[]' })).status).toBe(401);

    // A webhook with a shared secret that fails.
    const hook = await failingReceiver();
    const made = await fetch(`${url}/api/admin/notify/channels`, { method: 'POST', headers: { 'content-type': 'application/json', cookie }, body: JSON.stringify({ kind: 'webhook', name: 'pager', url: hook, secret: WEBHOOK_SECRET, groupWindowSec: 0 }) });
    expect(made.status).toBe(201);
    const channelId = ((await made.json()) as { data: { id: string } }).data.id;
    const test = await fetch(`${url}/api/admin/notify/channels/${channelId}/test`, { method: 'POST', headers: { cookie } });
    expect(((await test.json()) as { data: { status: string } }).data.status).toBe('failed');

    // A queue_log tail meeting a file whose lines are damaged (their callers quoted in the warning).
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floorwatch-log-'));
    const file = path.join(dir, 'queue_log');
    fs.writeFileSync(file, Array.from({ length: 30 }, (_, i) => `17000000x${i}|c${i}|sales|NONE|ENTERQUEUE||${i % 2 ? CALLERS[2] : CALLERS[3]}|1`).join('\n') + '\n');
    const tail = startQueueLogTail({ file, submit: (e) => server.pipeline.submit(e, 'queue_log'), timeZone: 'UTC', pollMs: 20, logger: logging.logger });
    stops.push(() => tail.stop());
    await new Promise((r) => setTimeout(r, 300));

    // Modules logging objects, AMI text, errors and URLs with credentials.
    logging.logger.info({ event: { type: 'call.queued', caller: CALLERS[3], callerId: CALLERS[2] }, channel: { secret: WEBHOOK_SECRET, password: SMTP_PASSWORD } });
    logging.logger.warn(`AMI: odd message\r\nEvent: Newchannel\r\nCallerIDNum: ${DIGITS[2]}\r\nConnectedLineNum: ${CALLERS[3]}\r\nSecret: ${AMI_SECRET}`);
    logging.logger.error('event log:', new Error(`connect to redis://floorwatch:${REDIS_PASSWORD}@127.0.0.1:6379 failed`));
    logging.pino.info({ headers: { authorization: `Bearer ${VIEW_TOKEN}`, cookie } }, 'with headers');
    await new Promise((r) => setTimeout(r, 50));

    const all = lines.join('\n');
    // Every line is one JSON object with a level name, a time and a message.
    for (const l of lines) expect(() => JSON.parse(l), l).not.toThrow();
    const parsed = lines.map((l) => JSON.parse(l) as { level: string; time: string; msg?: string; reqId?: string });
    for (const p of parsed) expect(['debug', 'info', 'warn', 'error']).toContain(p.level);

    // What was logged is there (so the absence below means something)…
    const msgs = parsed.map((p) => p.msg ?? '');
    expect(msgs.some((m) => /^POST \/api\/login 401 \d+ ms$/.test(m))).toBe(true);
    expect(msgs.some((m) => /^POST \/api\/login 200 \d+ ms$/.test(m))).toBe(true);
    expect(msgs.some((m) => /^POST \/api\/events 400 \d+ ms$/.test(m))).toBe(true);
    expect(msgs.some((m) => m.startsWith('GET /wall?kiosk=[redacted]&lang=et 200'))).toBe(true);
    expect(parsed.find((p) => p.msg?.startsWith('GET /wall'))).toMatchObject({ level: 'debug', reqId: 'lb-7f3a-0001' });
    expect(parsed.find((p) => p.msg?.startsWith('POST /api/login 401'))).toMatchObject({ level: 'info' });
    expect(msgs.some((m) => /^notifications: test .* to pager \(webhook\) failed, attempt 1: receiver answered HTTP 500; sent Authorization: Bearer \[/.test(m))).toBe(true);
    expect(msgs.some((m) => m.startsWith('queue_log tail: ') && m.includes('ENTERQUEUE||[number]|1'))).toBe(true);
    expect(msgs.some((m) => m.includes('CallerIDNum: [redacted]'))).toBe(true);
    expect(all).toContain('redis://floorwatch:[redacted]@127.0.0.1:6379');
    expect(all).toContain('"caller":"[redacted]"');

    // …and no secret, no session, no caller's number anywhere.
    for (const secret of [ADMIN_PASSWORD, WRONG_PASSWORD, sessionValue, INGEST_TOKEN, VIEW_TOKEN, WALL_TOKEN, OIDC_SECRET, AMI_SECRET, SMTP_PASSWORD, WEBHOOK_SECRET, REDIS_PASSWORD]) {
      expect(all, secret).not.toContain(secret);
    }
    for (const n of [...CALLERS, ...DIGITS]) expect(all.replace(/[ .-]/g, ''), n).not.toContain(n.replace(/[ .-]/g, ''));
  });

  it('write pretty lines when asked, through the same scrub', () => {
    const { sink, lines } = capture();
    const l = createLogging({ destination: sink, format: 'pretty', secrets: [AMI_SECRET] });
    expect(l.format).toBe('pretty');
    l.logger.info(`AMI login with ${AMI_SECRET} for caller ${CALLERS[0]}`);
    expect(lines.join('\n')).toMatch(/INFO.*AMI login with \[redacted\] for caller \[number\]/);
    // Not JSON: a person reads it.
    expect(() => JSON.parse(lines[0])).toThrow();
  });

  it('scrubs national numbers written without the + (05551234567, 5551234567, 0 555 123 45 67 …), and leaves ids, ports, durations and times alone', () => {
    const national = ['05551234567', '5551234567', '0 555 123 45 67', '0555 123 45 67', '0555-123-45-67', '0555.123.45.67', '0555 123 4567', '(0555) 123 45 67', '0 (555) 123 45 67', '555 123 45 67', '(555) 123 45 67', '02125551234', '0212 555 12 34'];
    for (const n of national) {
      expect(scrubLine(`call from ${n} waited`), n).toBe('call from [number] waited');
      expect(scrubLine(`{"msg":"caller ${n}."}`), n).toBe('{"msg":"caller [number]."}');
    }
    expect(scrubLine('callers 05551234567,05321234567 [0 532 123 45 67], 5321234567; +90 555 123 45 67')).toBe('callers [number],[number] [[number]], [number]; [number]');
    // What must stay: ids, ports, durations, counts, epoch seconds and milliseconds, dates, times, decimals, JSON numbers, hex.
    const ordinary = [
      'call 1764500000.1234 (Asterisk uniqueid) on port 5038, 127.0.0.1:8021',
      'at 1764500000 (epoch seconds), 1764500000123 ms, took 5551 ms, 123456789 bytes',
      'queue_log line 5551234 of 90000000, agent 1001, session 20261124',
      'on 2026-11-24 09:00:00, on 05.01.2026 10:30, on 24/11/2026, 0.5551234567 s, 1e+21',
      'seq 0000012345, 000555123456 padded, id 55512345678901, uuid 05551234-5671-4abc-8def-055512345678',
      'hex a05551234567, ab5551234567cd, v0555123456x, /calls/05551234567/events',
      'sizes 300 120 45 60, levels 2 3 4, thresholds 30-45-60',
    ];
    for (const text of ordinary) expect(scrubLine(text), text).toBe(text);
    const json = '{"durationMs":5551234567,"ids":[5551234567,5321234567],"at":1764500000123,"n":3}';
    expect(scrubLine(json)).toBe(json);
  });

  it('scrubs free text without mangling what is not a secret', () => {
    expect(scrubLine('at 2026-11-24T09:00:00.000+03:00, 1e+21 events, port 127.0.0.1:3000, exit code: 1')).toBe('at 2026-11-24T09:00:00.000+03:00, 1e+21 events, port 127.0.0.1:3000, exit code: 1');
    expect(scrubLine('call from +1 415 555 0123 to +44 20 7946 0958')).toBe('call from [number] to [number]');
    expect(scrubLine('GET /metrics with the bearer token of FLOORWATCH_METRICS_TOKEN')).toBe('GET /metrics with the bearer token of FLOORWATCH_METRICS_TOKEN');
    expect(scrubLine('sent Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig')).toBe('sent Authorization: Bearer [redacted]');
    expect(scrubLine('{"password":"x","tokens":["a","b"],"caller":12345,"n":3}')).toBe('{"password":"[redacted]","tokens":"[redacted]","caller":"[redacted]","n":3}');
    expect(loggedUrl('/api/auth/oidc/callback?code=abc&state=def&x=1')).toBe('/api/auth/oidc/callback?code=[redacted]&state=[redacted]&x=1');
    // The console-shaped adapter keeps an Error's stack in `err` and its message in the text.
    const { sink, lines } = capture();
    const p = createLogging({ destination: sink, format: 'json' }).pino;
    textLogger(p).error('failed:', new Error('boom'));
    const line = JSON.parse(lines[0]) as { msg: string; err: { message: string; stack: string } };
    expect(line.msg).toBe('failed: boom');
    expect(line.err.stack).toMatch(/^Error: boom/);
  });
});
