import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteLog, type SqliteLog } from '../../server/log/sqlite.ts';
import type { FloorEvent } from '../../shared/events.ts';
import type { Alert } from '../../shared/state.ts';
import { defaultConfig } from '../../shared/config.ts';

const T = 1_795_510_800_000;
const q = (id: string, callId = 'c1', at = T): FloorEvent => ({ type: 'call.queued', id, at, callId, queueId: 'q1' });
const file = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fw-log-')), 'sub', 'floorwatch.db');
let open: SqliteLog[] = [];
const make = (f = file()) => {
  const l = openSqliteLog({ file: f, synchronous: 'normal' });
  open.push(l);
  return l;
};
afterEach(async () => {
  for (const l of open) await l.close();
  open = [];
});

describe('SQLite event log', () => {
  it('appends in order, replays in the same order and creates its folder', async () => {
    const log = make();
    const r = await log.append([q('e1'), q('e2', 'c2'), q('e3', 'c3')], T);
    expect(r.appended.map((e) => e.id)).toEqual(['e1', 'e2', 'e3']);
    const seen: string[] = [];
    expect(await log.replay((e) => seen.push(e.id))).toBe(3);
    expect(seen).toEqual(['e1', 'e2', 'e3']);
    expect(await log.count()).toBe(3);
  });

  it('writes an id once: duplicates across batches and inside a batch are counted, not written', async () => {
    const log = make();
    await log.append([q('e1'), q('e2')], T);
    const again = await log.append([q('e2'), q('e3'), q('e3')], T);
    expect(again.appended.map((e) => e.id)).toEqual(['e3']);
    expect(again.duplicates).toBe(2);
    expect(await log.count()).toBe(3);
  });

  it('keeps everything across close and reopen', async () => {
    const f = file();
    const a = make(f);
    await a.append([q('e1'), q('e2')], T);
    await a.saveConfig({ ...defaultConfig(), timeZone: 'Europe/Tallinn' }, 'admin');
    await a.close();
    const b = make(f);
    expect(await b.count()).toBe(2);
    expect((await b.loadConfig())?.timeZone).toBe('Europe/Tallinn');
    const audit = await b.listAudit();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor: 'admin', action: 'config.update' });
  });

  it('finds the events of one call', async () => {
    const log = make();
    await log.append([q('e1', 'c1'), q('e2', 'c2'), { type: 'call.abandoned', id: 'e3', at: T + 5, callId: 'c1' }], T);
    expect((await log.eventsForCall('c1')).map((e) => e.id)).toEqual(['e1', 'e3']);
    expect(await log.eventsForCall('nope')).toEqual([]);
  });

  it('upserts alerts by id and lists them newest first with filters', async () => {
    const log = make();
    const alert = (id: string, raisedAtMs: number, agentId: string, level: Alert['level'] = 'warn'): Alert => ({
      id, ruleId: 'hold-long', level, status: 'open', value: 50, threshold: 45, unit: 'sec', raisedAtMs, updatedAtMs: raisedAtMs, agentId,
    });
    await log.saveAlerts([alert('x', T, 'a1'), alert('y', T + 10, 'a2')]);
    await log.saveAlerts([alert('x', T, 'a1', 'breach')]);
    const all = await log.listAlerts();
    expect(all.map((a) => [a.id, a.level])).toEqual([['y', 'warn'], ['x', 'breach']]);
    expect((await log.listAlerts({ agentId: 'a1' })).map((a) => a.id)).toEqual(['x']);
    expect((await log.listAlerts({ sinceMs: T + 1 })).map((a) => a.id)).toEqual(['y']);
    expect((await log.listAlerts({ limit: 1 })).map((a) => a.id)).toEqual(['y']);
  });

  it('replays 200,000 events', async () => {
    const log = make();
    for (let b = 0; b < 20; b++) {
      await log.append(Array.from({ length: 10_000 }, (_, i) => q(`b${b}-${i}`, `c${i}`, T + b * 10_000 + i)), T);
    }
    let last = 0;
    let ordered = true;
    const n = await log.replay((e) => {
      if (e.at < last) ordered = false;
      last = e.at;
    });
    expect(n).toBe(200_000);
    expect(ordered).toBe(true);
  });

  it('refuses a file that is not a database with a clear error', () => {
    const f = file();
    fs.mkdirSync(path.dirname(f), { recursive: true });
    fs.writeFileSync(f, 'this is not sqlite '.repeat(100));
    expect(() => make(f)).toThrow(/event log|not a database/);
  });
});
