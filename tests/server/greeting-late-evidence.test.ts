/**
 * A late greeting timed by talk detection stands on the agent's first final segment too (issue 18,
 * README "Transcript privacy": the words of "a late or incomplete greeting" are kept under `evidence`).
 * Found trying the product: with talk detection the warning was raised from the `call.talking` start,
 * before the segment came, and kept neither the segment's times nor its words.
 */
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { closeHarnessesAfterEach, ev, getJson, postEvents, T0, tempDbFile } from './harness.ts';
import { configWith, Feed, sec } from '../shared/feed.ts';
import { defaultConfig } from '../../shared/config.ts';
import type { Alert } from '../../shared/state.ts';
import type { CallDetail } from '../../shared/wire.ts';

const { start } = closeHarnessesAfterEach();

describe('a late greeting heard first through talk detection', () => {
  it('engine: the warning gets the first agent segment as its evidence when it comes', () => {
    const f = new Feed(configWith((c) => (c.companyNames = ['Acme'])))
      .agent(0, 'a1', 'available', { name: 'Ann Lee' })
      .connect(0, 'c1', 'a1') // answered at 5 s
      .send(11.5, { type: 'call.talking', callId: 'c1', party: 'agent', talking: true });
    const [late] = f.alerts('greeting');
    expect(late).toMatchObject({ level: 'warn', value: 6.5, status: 'resolved' });
    expect(late.evidence ?? []).toEqual([]);
    f.send(15, { type: 'call.transcript', callId: 'c1', speaker: 'agent', text: 'Hello, this is Ann from Acme', startMs: sec(11.5), endMs: sec(14.5), final: true });
    expect(f.alerts('greeting')).toHaveLength(1);
    expect(f.alerts('greeting')[0].evidence).toEqual([{ speaker: 'agent', startMs: sec(11.5), endMs: sec(14.5) }]);
  });

  it('server, --transcripts evidence: the greeting segment is kept with the warning and shown on the drill-down', async () => {
    const h = await start({ dbFile: tempDbFile(), config: { ...defaultConfig(), companyNames: ['Acme'] }, transcripts: 'evidence' });
    const at = (s: number) => T0 + s * 1000;
    let n = 0;
    const talk = (talking: boolean, s: number) => ({ type: 'call.talking', id: `gl-${++n}`, at: at(s), callId: 'c1', party: 'agent', talking });
    expect((await postEvents(h, [ev.agent('a1', 'available', 0, { name: 'Ann Lee' }), ev.queued('c1', 'q1', 1), ev.ringing('c1', 'a1', 2), ev.answered('c1', 'a1', 5)])).status).toBe(200);
    await postEvents(h, talk(true, 12));
    await postEvents(h, talk(false, 15));
    const seg = { type: 'call.transcript', id: `gl-${++n}`, at: at(15.2), callId: 'c1', speaker: 'agent', text: 'Hello, this is Ann from Acme, latequince', startMs: 7000, endMs: 10000, final: true, lang: 'en' };
    expect((await postEvents(h, seg)).body.data?.rejected).toEqual([]);
    const saved = ((await getJson(h, '/api/alerts')).body.data as Alert[]).filter((a) => a.callId === 'c1' && a.ruleId === 'greeting');
    expect(saved).toMatchObject([{ level: 'warn', value: 7, evidence: [{ speaker: 'agent', startMs: at(12), endMs: at(15) }] }]);
    const d = (await getJson(h, '/api/calls/c1')).body.data as CallDetail;
    expect(d.transcript?.map((t) => t.text)).toEqual(['Hello, this is Ann from Acme, latequince']);
    const db = new Database(h.dbFile, { readonly: true });
    try {
      expect(db.prepare("SELECT count(*) AS n FROM transcript_evidence WHERE call_id = 'c1'").get()).toEqual({ n: 1 });
    } finally {
      db.close();
    }
  });
});
