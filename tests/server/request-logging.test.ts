/**
 * Request log lines (server/logging.ts `requestLogging`): the level of each answer (expected
 * refusals at warn without a stack, only unexpected 5xx at error) and the client's address behind
 * a trusted proxy, read back from a captured JSON log stream.
 */
import type { AddressInfo } from 'node:net';
import http from 'node:http';
import { Writable } from 'node:stream';
import express, { type NextFunction, type Request, type Response } from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogging, markExpectedAnswer, requestIds, requestLogging } from '../../server/logging.ts';
import { createServer } from '../../server/app.ts';
import { openSqliteLog } from '../../server/log/sqlite.ts';
import { AuthStore } from '../../server/auth/store.ts';
import { ev, FakeClock, INGEST_TOKEN, postEvents, T0, tempDbFile, type Harness } from './harness.ts';

interface Line {
  level: string;
  msg?: string;
  err?: { stack?: string };
  req?: { remoteAddress?: string; peer?: string; url?: string };
  res?: { statusCode?: number };
}

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const s of stops.splice(0).reverse()) await s();
});

/** An express app answering each status the server gives, logging into a captured stream; `trustProxy` as express takes it. */
async function start(trustProxy: string | false): Promise<{ base: string; lines: string[] }> {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      cb();
    },
  });
  const logging = createLogging({ destination: sink, format: 'json', level: 'debug' });
  const app = express();
  app.set('trust proxy', trustProxy);
  app.use(requestIds());
  app.use(requestLogging(logging.pino));
  // The start-up replay and a graceful stop: 503 with Retry-After.
  app.get('/api/replaying', (_req, res) => void res.set('Retry-After', '5').status(503).json({ ok: false }));
  app.post('/api/events', (_req, res) => void res.set('Retry-After', '2').status(503).json({ ok: false }));
  // The identity provider unreachable.
  app.get('/auth/oidc/login', (_req, res) => void res.status(502).send('unavailable'));
  // A 503 nobody expected (no Retry-After), a bug (500 from the error handler), refusals.
  app.get('/api/odd', (_req, res) => void res.status(503).end());
  // A 503 and a 504 the route marks as expected answers (supervisor actions: the PBX unavailable, or silent).
  app.post('/api/actions/pause', (_req, res) => {
    markExpectedAnswer(res);
    res.status(503).json({ ok: false, unavailable: true });
  });
  app.post('/api/actions/listen', (_req, res) => {
    markExpectedAnswer(res);
    res.status(504).json({ ok: false });
  });
  app.get('/api/boom', () => {
    throw new Error('kaboom');
  });
  app.get('/api/me', (_req, res) => void res.status(401).json({ ok: false }));
  app.post('/api/login', (_req, res) => void res.status(429).json({ ok: false }));
  app.get('/api/ok', (_req, res) => void res.json({ ok: true }));
  app.use((err: Error, _req: Request, res: Response, next: NextFunction) => {
    void next;
    void err;
    res.status(500).json({ ok: false, error: 'internal error' });
  });
  const srv = http.createServer(app);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  stops.push(() => new Promise<void>((r) => srv.close(() => r())));
  return { base: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`, lines };
}

function lineOf(lines: string[], prefix: string): Line {
  const found = lines.map((l) => JSON.parse(l) as Line).find((l) => l.msg?.startsWith(prefix));
  if (!found) throw new Error(`no log line starting "${prefix}" in:\n${lines.join('\n')}`);
  return found;
}

/** Waits for pino-http's line of each answer (written on the response's finish). */
async function settle(lines: string[], n: number): Promise<void> {
  for (let i = 0; i < 100 && lines.length < n; i++) await new Promise((r) => setTimeout(r, 10));
}

describe('request log lines', () => {
  it('log expected 503s (with Retry-After) and the identity provider’s 502 at warn without a stack, only unexpected 5xx at error', async () => {
    const { base, lines } = await start(false);
    await fetch(`${base}/api/replaying`);
    await fetch(`${base}/api/events`, { method: 'POST' });
    await fetch(`${base}/auth/oidc/login`);
    await fetch(`${base}/api/odd`);
    await fetch(`${base}/api/boom`);
    await fetch(`${base}/api/me`);
    await fetch(`${base}/api/login`, { method: 'POST' });
    await fetch(`${base}/api/ok`);
    await fetch(`${base}/api/actions/pause`, { method: 'POST' });
    await fetch(`${base}/api/actions/listen`, { method: 'POST' });
    await settle(lines, 10);
    for (const [prefix, level] of [
      ['GET /api/replaying 503', 'warn'],
      ['POST /api/events 503', 'warn'],
      ['GET /auth/oidc/login 502', 'warn'],
      ['GET /api/odd 503', 'error'],
      ['GET /api/boom 500', 'error'],
      ['GET /api/me 401', 'info'],
      ['POST /api/login 429', 'warn'],
      ['GET /api/ok 200', 'info'],
      ['POST /api/actions/pause 503', 'warn'],
      ['POST /api/actions/listen 504', 'warn'],
    ] as const) {
      expect(lineOf(lines, prefix), prefix).toMatchObject({ level });
    }
    // pino-http's stand-in Error (`failed with status code …` at onResFinished) is never written.
    expect(lines.join('\n')).not.toContain('failed with status code');
    expect(lines.join('\n')).not.toContain('onResFinished');
    for (const l of lines) expect((JSON.parse(l) as Line).err).toBeUndefined();
    expect(lineOf(lines, 'GET /api/replaying 503').res?.statusCode).toBe(503);
  });

  it('log the client behind a trusted proxy as remoteAddress (X-Forwarded-For), the proxy as peer', async () => {
    const { base, lines } = await start('loopback');
    await fetch(`${base}/api/ok`, { headers: { 'X-Forwarded-For': '203.0.113.7' } });
    await fetch(`${base}/api/me`);
    await settle(lines, 2);
    expect(lineOf(lines, 'GET /api/ok 200').req).toMatchObject({ remoteAddress: '203.0.113.7', peer: '127.0.0.1' });
    const direct = lineOf(lines, 'GET /api/me 401').req;
    expect(direct?.remoteAddress).toBe('127.0.0.1');
    expect(direct?.peer).toBeUndefined();
  });

  it('keep the socket’s address when no proxy is trusted, whatever X-Forwarded-For says', async () => {
    const { base, lines } = await start(false);
    await fetch(`${base}/api/ok`, { headers: { 'X-Forwarded-For': '203.0.113.7' } });
    await settle(lines, 1);
    expect(lineOf(lines, 'GET /api/ok 200').req).toMatchObject({ remoteAddress: '127.0.0.1' });
    expect(lines.join('\n')).not.toContain('203.0.113.7');
  });

  it('log a real server’s 503 during the start-up replay at warn, with no stack', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(...String(chunk).split('\n').filter(Boolean));
        cb();
      },
    });
    const logging = createLogging({ destination: sink, format: 'json', level: 'debug' });
    const log = openSqliteLog({ file: tempDbFile(), synchronous: 'normal' });
    const server = createServer({ log, auth: new AuthStore(':memory:'), clock: new FakeClock(T0), ingestTokens: [], tickMs: 0, logger: logging.logger, httpLogger: logging.pino });
    // Bound but not replayed (listen() not called): every request but the probes answers 503 with Retry-After.
    await new Promise<void>((r) => server.httpServer.listen(0, '127.0.0.1', r));
    stops.push(async () => {
      await new Promise<void>((r) => server.httpServer.close(() => r()));
      await log.close();
    });
    const res = await fetch(`http://127.0.0.1:${(server.httpServer.address() as AddressInfo).port}/api/me`);
    expect(res.status).toBe(503);
    await settle(lines, 1);
    const line = lineOf(lines, 'GET /api/me 503');
    expect(line.level).toBe('warn');
    expect(line.err).toBeUndefined();
    expect(lines.join('\n')).not.toContain('onResFinished');
  });

  it('log a real server’s refused supervisor actions (503 unavailable, 403 scope, 409 no call) at warn or info, never error', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(...String(chunk).split('\n').filter(Boolean));
        cb();
      },
    });
    const logging = createLogging({ destination: sink, format: 'json', level: 'debug' });
    const log = openSqliteLog({ file: tempDbFile(), synchronous: 'normal' });
    const auth = new AuthStore(':memory:');
    const clock = new FakeClock(T0);
    // No PBX to act on: every action that reaches the PBX step is answered 503 "unavailable".
    const server = createServer({ log, auth, clock, ingestTokens: [INGEST_TOKEN], tickMs: 0, maxFutureSec: 86_400, logger: logging.logger, httpLogger: logging.pino });
    const port = await server.listen(0, '127.0.0.1');
    stops.push(async () => {
      await server.close();
      await log.close();
      auth.close();
    });
    const url = `http://127.0.0.1:${port}`;
    const h = { url, clock, followPosts: true } as unknown as Harness;
    expect((await postEvents(h, [ev.agent('alice', 'available', 0, { queues: ['sales'] })])).status).toBe(200);
    await auth.createUser({ username: 'sue', password: 'logging-test-password-1', role: 'supervisor' }, clock.now());
    await auth.createUser({ username: 'sam', password: 'logging-test-password-1', role: 'supervisor', scope: { queues: ['support'] } }, clock.now());
    const cookie = async (username: string) => {
      const r = await fetch(`${url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: 'logging-test-password-1' }) });
      expect(r.status).toBe(200);
      return (r.headers.get('set-cookie') ?? '').split(';')[0];
    };
    const act = async (who: string, kind: string) =>
      (await fetch(`${url}/api/actions/${kind}`, { method: 'POST', headers: { 'content-type': 'application/json', cookie: who }, body: JSON.stringify({ agentId: 'alice' }) })).status;
    const sue = await cookie('sue');
    const sam = await cookie('sam');
    expect(await act(sue, 'pause')).toBe(503);
    expect(await act(sam, 'pause')).toBe(403);
    expect(await act(sue, 'listen')).toBe(409);
    await settle(lines, lines.length + 3);
    for (const [prefix, level] of [
      ['POST /api/actions/pause 503', 'warn'],
      ['POST /api/actions/pause 403', 'info'],
      ['POST /api/actions/listen 409', 'info'],
    ] as const) {
      expect(lineOf(lines, prefix), prefix).toMatchObject({ level });
    }
    expect(lines.map((l) => JSON.parse(l) as Line).filter((l) => l.level === 'error')).toEqual([]);
  });
});
