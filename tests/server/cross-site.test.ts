/**
 * Cross-site requests and headers (issue 13 §5): a page on another origin (here:
 * another port of the same host, as in the finding) cannot acknowledge an alert
 * with a no-cors text/plain or form POST, nor open /live with the victim's
 * cookie; the floor's own origin and `--allowed-origins` can; headers; Secure
 * cookies on the switch.
 */
import { describe, expect, it } from 'vitest';
import { io as ioClient, type Socket } from 'socket.io-client';
import { readOptions } from '../../server/main.ts';
import { ev, INGEST_TOKEN, postEvents, VIEW_TOKEN, type Harness } from './harness.ts';
import { edgeServers } from './edge-server.ts';
import type { Alert } from '../../shared/state.ts';

const servers = edgeServers();
/** The attacker's page: same host, another port. */
const EVIL = 'http://127.0.0.1:1';

/** An alert, open or recently closed (a hold without permission is a one-off breach). */
function findAlert(h: Harness, match: (a: Alert) => boolean): Alert | undefined {
  const s = h.server.state();
  return [...s.alerts.values(), ...s.recentAlerts].find(match);
}
const acked = (h: Harness, id: string) => findAlert(h, (a) => a.id === id)?.ack !== undefined;

async function withAlert(h: Harness): Promise<{ cookie: string; alert: Alert }> {
  await h.auth.createUser({ username: 'sue', password: 'supervisor-pass-1', role: 'supervisor' }, h.clock.now());
  await postEvents(h, [ev.agent('A', 'available', 0), ev.queued('c1', 'q', 1), ev.ringing('c1', 'A', 2), ev.answered('c1', 'A', 3), ev.hold('c1', 10, false)]);
  const alert = findAlert(h, (a) => a.ruleId === 'hold-permission');
  if (!alert) throw new Error('no hold-permission alert raised');
  const res = await fetch(`${h.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'sue', password: 'supervisor-pass-1' }) });
  expect(res.status).toBe(200);
  return { cookie: (res.headers.get('set-cookie') ?? '').split(';')[0], alert };
}

async function send(h: Harness, method: string, path: string, headers: Record<string, string>, body?: string) {
  const res = await fetch(`${h.url}${path}`, { method, headers, body });
  const text = await res.text();
  return { status: res.status, text, headers: res.headers };
}


/** Opens a socket.io client with the given headers; resolves 'connected' or the connect error's message. */
function handshake(h: Harness, nsp: string, o: { headers?: Record<string, string>; auth?: Record<string, string>; transport?: 'websocket' | 'polling' }): Promise<{ result: string; socket: Socket }> {
  const socket = ioClient(`${h.url}${nsp}`, { auth: o.auth ?? {}, transports: [o.transport ?? 'websocket'], reconnection: false, forceNew: true, extraHeaders: o.headers ?? {}, timeout: 3_000 });
  return new Promise((resolve) => {
    const done = (result: string) => {
      socket.close();
      resolve({ result, socket });
    };
    socket.once('connect', () => done('connected'));
    socket.once('connect_error', (e) => done(`refused: ${e.message}`));
  });
}

describe('state-changing requests from another site', () => {
  it('refuses a no-cors text/plain POST from another origin that would acknowledge an alert', async () => {
    const h = await servers.start();
    const { cookie, alert } = await withAlert(h);
    const r = await send(h, 'POST', `/api/alerts/${alert.id}/ack`, { cookie, origin: EVIL, 'content-type': 'text/plain;charset=UTF-8' }, '{"note":"pwned"}');
    expect(r.status).toBe(403);
    expect(r.text).toMatch(/cross-site request refused/);
    // Same bytes from the floor's own page: refused too, for the content type.
    const own = await send(h, 'POST', `/api/alerts/${alert.id}/ack`, { cookie, origin: h.url, 'content-type': 'text/plain;charset=UTF-8' }, '{"note":"x"}');
    expect(own.status).toBe(415);
    expect(acked(h, alert.id)).toBe(false);
  });

  it('refuses a form POST: from another origin 403, from a foreign Referer without Origin 403, as a form at all 415', async () => {
    const h = await servers.start();
    const { cookie, alert } = await withAlert(h);
    const form = { cookie, 'content-type': 'application/x-www-form-urlencoded' };
    expect((await send(h, 'POST', `/api/alerts/${alert.id}/ack`, { ...form, origin: EVIL }, 'note=pwned')).status).toBe(403);
    expect((await send(h, 'POST', `/api/alerts/${alert.id}/ack`, { ...form, origin: 'null' }, 'note=pwned')).status).toBe(403);
    expect((await send(h, 'POST', `/api/alerts/${alert.id}/ack`, { ...form, referer: `${EVIL}/attack.html` }, 'note=pwned')).status).toBe(403);
    expect((await send(h, 'POST', `/api/alerts/${alert.id}/ack`, form, 'note=pwned')).status).toBe(415);
    expect((await send(h, 'POST', `/api/alerts/${alert.id}/ack`, { cookie, 'content-type': 'multipart/form-data; boundary=x' }, '--x--')).status).toBe(415);
    expect(acked(h, alert.id)).toBe(false);
  });

  it("accepts the floor's own origin, a same-origin Referer, and a request naming no origin", async () => {
    const h = await servers.start();
    const { cookie, alert } = await withAlert(h);
    const json = { cookie, 'content-type': 'application/json' };
    const r = await send(h, 'POST', `/api/alerts/${alert.id}/ack`, { ...json, origin: h.url }, '{"note":"seen"}');
    expect(r.status).toBe(200);
    expect(acked(h, alert.id)).toBe(true);
    expect((await send(h, 'POST', `/api/alerts/${alert.id}/reopen`, { ...json, referer: `${h.url}/floor` }, '{}')).status).toBe(200);
    expect((await send(h, 'POST', `/api/alerts/${alert.id}/ack`, json, '{}')).status).toBe(200);
    // A body-less POST (curl -X POST) needs no content type.
    expect((await send(h, 'POST', '/api/logout', { cookie, origin: h.url })).status).toBe(200);
  });

  it('keeps bearer-token scripts without Origin working, and refuses a token sent from a foreign page', async () => {
    const h = await servers.start();
    const bearer = { authorization: `Bearer ${VIEW_TOKEN}`, 'content-type': 'application/json' };
    expect((await send(h, 'POST', '/api/ticker', bearer, '{"text":"from a script"}')).status).toBe(201);
    expect((await send(h, 'POST', '/api/ticker', { ...bearer, origin: EVIL }, '{"text":"from a page"}')).status).toBe(403);
    const ingest = await send(h, 'POST', '/api/events', { authorization: `Bearer ${INGEST_TOKEN}`, 'content-type': 'application/json' }, JSON.stringify([ev.agent('B', 'available', 5)]));
    expect(ingest.status).toBe(200);
  });

  it('accepts an origin from --allowed-origins, and believes X-Forwarded-Host only from a trusted proxy', async () => {
    const wall = 'https://wall.example.com';
    const h = await servers.start({ allowedOrigins: [wall] });
    const { cookie, alert } = await withAlert(h);
    const json = { cookie, 'content-type': 'application/json' };
    expect((await send(h, 'POST', `/api/alerts/${alert.id}/ack`, { ...json, origin: 'https://other.example.com' }, '{}')).status).toBe(403);
    expect((await send(h, 'POST', `/api/alerts/${alert.id}/ack`, { ...json, origin: wall }, '{}')).status).toBe(200);
    // Behind nginx: the page is https://floor.example.com, the request reaches us on 127.0.0.1.
    const proxied = { ...json, origin: 'https://floor.example.com', 'x-forwarded-host': 'floor.example.com' };
    expect((await send(h, 'POST', `/api/alerts/${alert.id}/reopen`, proxied, '{}')).status).toBe(403);
    const behind = await servers.start({ trustProxy: ['loopback'] });
    const b = await withAlert(behind);
    expect((await send(behind, 'POST', `/api/alerts/${b.alert.id}/ack`, { ...proxied, cookie: b.cookie }, '{}')).status).toBe(200);
  });

  it('reads --allowed-origins and FLOORWATCH_ALLOWED_ORIGINS as origins, and refuses anything else', () => {
    expect(readOptions(['--allowed-origins', 'https://wall.example.com/, http://10.0.0.5:8080'], {}).allowedOrigins).toEqual(['https://wall.example.com', 'http://10.0.0.5:8080']);
    expect(readOptions([], { FLOORWATCH_ALLOWED_ORIGINS: 'https://a.example:443' }).allowedOrigins).toEqual(['https://a.example']);
    expect(() => readOptions(['--allowed-origins', 'https://a.example/floor'], {})).toThrow(/scheme, host and port only/);
    expect(() => readOptions(['--allowed-origins', 'a.example'], {})).toThrow(/not an origin/);
  });
});

describe('socket.io handshakes from another site', () => {
  it("refuses a /live handshake with a foreign Origin and the victim's cookie, over WebSocket and polling", async () => {
    const h = await servers.start();
    const { cookie } = await withAlert(h);
    for (const transport of ['websocket', 'polling'] as const) {
      const r = await handshake(h, '/live', { headers: { cookie, origin: EVIL }, auth: { scope: 'floor' }, transport });
      expect(r.result).toMatch(/^refused/);
    }
    expect(h.server.io.of('/live').sockets.size).toBe(0);
  });

  it('refuses a foreign Origin on /ingest and the default namespace too', async () => {
    const h = await servers.start();
    expect((await handshake(h, '/ingest', { headers: { origin: EVIL }, auth: { token: INGEST_TOKEN } })).result).toMatch(/^refused/);
    expect((await handshake(h, '/', { headers: { origin: EVIL } })).result).toMatch(/^refused/);
  });

  it('opens /live from the same origin, from an allowed origin, and from a Node client without Origin', async () => {
    const extra = 'https://wall.example.com';
    const h = await servers.start({ allowedOrigins: [extra] });
    const { cookie } = await withAlert(h);
    expect((await handshake(h, '/live', { headers: { cookie, origin: h.url }, auth: { scope: 'floor' } })).result).toBe('connected');
    expect((await handshake(h, '/live', { headers: { cookie, origin: h.url }, auth: { scope: 'floor' }, transport: 'polling' })).result).toBe('connected');
    expect((await handshake(h, '/live', { headers: { cookie, origin: extra }, auth: { scope: 'floor' } })).result).toBe('connected');
    expect((await handshake(h, '/live', { headers: { cookie }, auth: { scope: 'floor' } })).result).toBe('connected');
    expect((await handshake(h, '/live', { auth: { scope: 'floor', token: VIEW_TOKEN } })).result).toBe('connected');
  });
});

describe('security headers and cookies', () => {
  it('sends CSP with frame-ancestors none, X-Frame-Options, nosniff and a referrer policy on pages and API answers', async () => {
    const h = await servers.start();
    for (const path of ['/floor', '/api/me', '/wall']) {
      const r = await send(h, 'GET', path, {});
      const csp = r.headers.get('content-security-policy') ?? '';
      expect(csp).toMatch(/frame-ancestors 'none'/);
      expect(csp).toMatch(/default-src 'self'/);
      expect(csp).toMatch(/script-src 'self'/);
      expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
      expect(r.headers.get('x-frame-options')).toBe('DENY');
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
      expect(r.headers.get('referrer-policy')).toBe('no-referrer');
      expect(r.headers.get('strict-transport-security')).toBeNull();
    }
  });

  it('allows the fallback page its own inline script and style by hash, and nothing else inline', async () => {
    const h = await servers.start();
    const r = await send(h, 'GET', '/floor', {});
    const csp = r.headers.get('content-security-policy') ?? '';
    expect(r.text).toMatch(/<script>/);
    expect(csp).toMatch(/script-src 'self' 'sha256-[A-Za-z0-9+/=]+';/);
    expect(csp).toMatch(/style-src 'self' 'sha256-[A-Za-z0-9+/=]+';/);
  });

  it('marks the session and device cookies Secure and sends HSTS with --secure-cookies, and not without', async () => {
    for (const secureCookies of [true, false]) {
      const h = await servers.start({ secureCookies });
      await h.auth.createUser({ username: 'sue', password: 'supervisor-pass-1', role: 'supervisor' }, h.clock.now());
      const res = await fetch(`${h.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'sue', password: 'supervisor-pass-1' }) });
      expect(res.status).toBe(200);
      const cookies = res.headers.getSetCookie();
      expect(cookies.map((c) => c.split('=')[0]).sort()).toEqual(['fw_device', 'fw_session']);
      for (const c of cookies) expect(/;\s*Secure/i.test(c)).toBe(secureCookies);
      expect(res.headers.get('strict-transport-security') !== null).toBe(secureCookies);
      expect(/upgrade-insecure-requests/.test(res.headers.get('content-security-policy') ?? '')).toBe(secureCookies);
    }
  });

  it('reads --secure-cookies and FLOORWATCH_SECURE_COOKIES', () => {
    expect(readOptions(['--secure-cookies', 'on'], {}).secureCookies).toBe(true);
    expect(readOptions([], { FLOORWATCH_SECURE_COOKIES: '1' }).secureCookies).toBe(true);
    expect(readOptions([], {}).secureCookies).toBe(false);
  });
});
