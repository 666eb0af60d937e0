/**
 * The operations settings as an operator gives them: flags and environment
 * read into options (and refused with a reason), and the real server process
 * started with them — JSON log lines on a pipe, the metrics port and token,
 * the probes, a request id followed from the response into the log.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readOptions } from '../../server/main.ts';
import { startChild, stopChild, type ChildServer } from './faults/child.ts';
import { parsePrometheusText, sampleValue } from './prom-text.ts';

const TOKEN = 'ops-metrics-token-4b7e19c2a0';

let child: ChildServer | undefined;
afterEach(async () => {
  if (child) await stopChild(child);
  child = undefined;
});

describe('operations settings', () => {
  it('reads the metrics and log settings from flags and environment, and refuses bad ones with a reason', () => {
    expect(readOptions([], {})).toMatchObject({ metrics: {}, logFormat: undefined, logLevel: 'info' });
    expect(readOptions(['--metrics-port', '9464'], { FLOORWATCH_METRICS_TOKEN: TOKEN }).metrics).toEqual({ token: TOKEN, port: 9464, host: '127.0.0.1' });
    expect(readOptions(['--metrics-host=10.0.0.11'], { FLOORWATCH_METRICS_PORT: '9464' }).metrics).toEqual({ port: 9464, host: '10.0.0.11' });
    expect(readOptions(['--log-format', 'json', '--log-level', 'DEBUG'], {})).toMatchObject({ logFormat: 'json', logLevel: 'debug' });
    expect(readOptions([], { FLOORWATCH_LOG_FORMAT: 'pretty', FLOORWATCH_LOG_LEVEL: 'warn' })).toMatchObject({ logFormat: 'pretty', logLevel: 'warn' });
    expect(() => readOptions(['--metrics-token', TOKEN], {})).toThrow(/not accepted as a flag.*FLOORWATCH_METRICS_TOKEN/);
    expect(() => readOptions([], { FLOORWATCH_METRICS_TOKEN: 'short' })).toThrow(/at least 16 characters/);
    expect(() => readOptions(['--metrics-port', '70000'], {})).toThrow(/--metrics-port: expected 0..65535/);
    expect(() => readOptions(['--metrics-host', '0.0.0.0'], {})).toThrow(/only with --metrics-port/);
    expect(() => readOptions(['--log-format', 'xml'], {})).toThrow(/--log-format: expected json or pretty/);
    expect(() => readOptions(['--log-level', 'loud'], {})).toThrow(/--log-level: expected one of/);
  });

  it('runs as a service would: JSON lines on a pipe, the metrics on their port and behind the token, the probes, request ids in the log', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'floorwatch-ops-'));
    child = await startChild(['--port', '0', '--data', dataDir, '--simulator', 'off', '--metrics-port', '0', '--log-level', 'debug'], {
      FLOORWATCH_METRICS_TOKEN: TOKEN,
      FLOORWATCH_INGEST_TOKENS: 'ops-ingest-token-77aa01',
    });
    const c = child;
    const metricsPort = Number(/metrics: http:\/\/127\.0\.0\.1:(\d+)\/metrics/.exec(c.output())?.[1]);
    expect(metricsPort).toBeGreaterThan(0);

    const post = await fetch(`${c.url}/api/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer ops-ingest-token-77aa01', 'x-request-id': 'ops-req-0001' },
      body: JSON.stringify([{ type: 'call.queued', id: 'ops-1', at: Date.now(), callId: 'ops-c1', queueId: 'sales', caller: '+905321234567' }]),
    });
    expect(post.status).toBe(200);
    expect(post.headers.get('x-request-id')).toBe('ops-req-0001');

    expect((await fetch(`${c.url}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${c.url}/readyz`)).json()).toMatchObject({ ok: true, status: 'ready' });
    expect((await fetch(`${c.url}/metrics`)).status).toBe(401);
    const viaToken = parsePrometheusText(await (await fetch(`${c.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text());
    const viaPort = parsePrometheusText(await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text());
    for (const m of [viaToken, viaPort]) {
      expect(sampleValue(m, 'floorwatch_events_ingested_total', { source: 'http' })).toBe(1);
      expect(sampleValue(m, 'floorwatch_queue_waiting', { queue: 'sales' })).toBe(1);
    }

    // Every line the process wrote is one JSON object; the request is there under its id, at debug.
    await new Promise((r) => setTimeout(r, 200));
    const lines = c.output().split('\n').filter(Boolean);
    for (const l of lines) expect(() => JSON.parse(l), l).not.toThrow();
    const req = lines.map((l) => JSON.parse(l) as { level: string; reqId?: string; msg?: string }).find((l) => l.reqId === 'ops-req-0001');
    expect(req).toMatchObject({ level: 'debug', msg: expect.stringMatching(/^POST \/api\/events 200 \d+ ms$/) });
    expect(c.output()).not.toContain(TOKEN);
    expect(c.output()).not.toContain('ops-ingest-token-77aa01');
    expect(c.output()).not.toContain('905321234567');
  }, 60_000);
});
