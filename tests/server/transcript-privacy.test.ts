/**
 * The transcript privacy setting (`--transcripts keep|evidence|drop`, issue 18) end to end: what the
 * SQLite log, the evidence table beside it, every file of the data folder, the call drill-down (HTTP and
 * socket, supervisor and agent) and the exports hold of a call's words, and that the alerts are the same
 * whatever is kept, across a restart too.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import ExcelJS from 'exceljs';
import { io as ioClient } from 'socket.io-client';
import { describe, expect, it } from 'vitest';
import { closeHarnessesAfterEach, connectIngest, ev, getJson, INGEST_TOKEN, postEvents, T0, tempDbFile, VIEW_TOKEN, type Harness, type LiveClient } from './harness.ts';
import { examineDataFolder } from '../../server/doctor.ts';
import { defaultConfig, type FloorConfig } from '../../shared/config.ts';
import type { Ack, CallDetail, Snapshot, TranscriptMode, TranscriptSegmentView } from '../../shared/wire.ts';
import type { Alert } from '../../shared/state.ts';

const { start, stop } = closeHarnessesAfterEach();

const config = (): FloorConfig => ({ ...defaultConfig(), companyNames: ['Acme'] });
const at = (sec: number) => T0 + sec * 1000;
let n = 0;
/** A final (or interim) segment of call `callId`, offsets from the answer in seconds, sent at `atSec`. */
const say = (callId: string, speaker: 'agent' | 'caller', text: string, fromSec: number, toSec: number, atSec: number, extra: Record<string, unknown> = {}) => ({
  type: 'call.transcript',
  id: `tp-${++n}`,
  at: at(atSec),
  callId,
  speaker,
  text,
  startMs: fromSec * 1000,
  endMs: toSec * 1000,
  final: true,
  ...extra,
});

/** Words that only the small talk (and an interim guess) carries: they must never be kept in `evidence` mode. */
const SMALL_TALK = ['Tallinn', 'weather', 'freezing', 'Hello', 'interimguess'];
/** Words of the three segments alerts stand on: a listed word, two requests to repeat. */
const EVIDENCE = ['damn', 'Pardon', 'repeat'];

/**
 * Call c1 of agent a1 "Ann Lee": a greeting in time with name and company (answered and greeted in one
 * batch: the name is found through the batch), small talk, one listed word ('damn': language breach),
 * two requests to repeat (clarity warn at the 2nd), an interim guess, the end. Answered at 5 s.
 */
async function feedCall(h: Harness): Promise<void> {
  const post = async (body: unknown) => expect((await postEvents(h, body)).body.data?.rejected).toEqual([]);
  await post([
    ev.agent('a1', 'available', 0, { name: 'Ann Lee', team: 'red' }),
    ev.agent('a2', 'available', 0, { name: 'Bo Berg', team: 'red' }),
    ev.queued('c1', 'q1', 1),
    ev.ringing('c1', 'a1', 2),
    ev.answered('c1', 'a1', 5),
    say('c1', 'agent', 'Hello, this is Ann from Acme, how can I help?', 0.5, 3, 8, { lang: 'en' }),
  ]);
  await post(say('c1', 'caller', 'Lovely weather in Tallinn today, is it not?', 4, 6, 11));
  await post(say('c1', 'agent', 'Yes, damn cold though', 7, 9, 14));
  await post(say('c1', 'caller', 'Pardon?', 10, 11, 16));
  await post(say('c1', 'agent', 'I said it is freezing outside', 12, 13, 18));
  await post(say('c1', 'caller', 'interimguess Tallinn', 14, 14.5, 19, { final: false }));
  await post(say('c1', 'caller', 'Sorry, can you repeat that?', 14, 15, 20));
  await post(say('c1', 'agent', 'Of course: it is freezing outside', 16, 18, 23));
  await post(ev.ended('c1', 30, { by: 'caller' }));
}

async function detailOf(h: Harness, callId = 'c1'): Promise<CallDetail> {
  const r = await getJson(h, `/api/calls/${callId}`);
  expect(r.status).toBe(200);
  return r.body.data as CallDetail;
}

/** The call's alerts, as a comparable list (id, rule, level, status, value, evidence). */
function alertsOf(h: Harness, callId = 'c1'): Pick<Alert, 'id' | 'ruleId' | 'level' | 'status' | 'value' | 'evidence'>[] {
  const s = h.server.state();
  return [...s.alerts.values(), ...s.recentAlerts]
    .filter((a) => a.callId === callId)
    .map(({ id, ruleId, level, status, value, evidence }) => ({ id, ruleId, level, status, value, evidence }))
    .sort((a, b) => a.id.localeCompare(b.id));
}

/** Every file of the data folder (the log, its WAL, …) as text. */
function folderText(dbFile: string): string {
  const dir = path.dirname(dbFile);
  return fs
    .readdirSync(dir)
    .map((f) => fs.readFileSync(path.join(dir, f)).toString('latin1'))
    .join('\n');
}

function loggedTranscripts(dbFile: string): { text: string; cues?: string[]; final: boolean }[] {
  const db = new Database(dbFile, { readonly: true });
  try {
    return db
      .prepare<[], { body: string }>("SELECT body FROM events WHERE type = 'call.transcript' ORDER BY rowid")
      .all()
      .map((r) => JSON.parse(r.body) as { text: string; cues?: string[]; final: boolean });
  } finally {
    db.close();
  }
}

const startWith = (transcripts: TranscriptMode, dbFile = tempDbFile(), h?: Harness) => start({ dbFile, config: config(), transcripts, ...(h ? { clock: h.clock } : {}) });
const texts = (t: TranscriptSegmentView[] | undefined) => (t ?? []).map((s) => s.text);

describe('--transcripts evidence (the default)', () => {
  it('logs every segment without its words and keeps only those an alert stands on: the listed word and the two requests', async () => {
    const h = await start({ config: config() }); // no option: the default is evidence
    await feedCall(h);
    const alerts = alertsOf(h);
    expect(alerts.map((a) => [a.ruleId, a.level])).toEqual([
      ['clarity', 'warn'],
      ['language', 'breach'],
    ]);

    // The log: words gone, cues in their place (the greeting read with the agent's name, answered in the same batch).
    const logged = loggedTranscripts(h.dbFile);
    expect(logged).toHaveLength(8);
    expect(logged.every((e) => e.text === '')).toBe(true);
    expect(logged[0].cues).toEqual(expect.arrayContaining(['greeting', 'name', 'company']));
    expect(logged[2].cues).toEqual(['language']);
    expect(logged[3].cues).toEqual(['clarity']);
    expect(logged.find((e) => !e.final)?.cues).toBeUndefined();

    // The evidence table beside the log: exactly the three segments, with their alerts' ids.
    const db = new Database(h.dbFile, { readonly: true });
    const rows = db.prepare<[], { text: string; speaker: string; alert_ids: string }>('SELECT text, speaker, alert_ids FROM transcript_evidence ORDER BY start_ms').all();
    db.close();
    const clarity = alerts.find((a) => a.ruleId === 'clarity')!.id;
    const language = alerts.find((a) => a.ruleId === 'language')!.id;
    expect(rows).toEqual([
      { text: 'Yes, damn cold though', speaker: 'agent', alert_ids: JSON.stringify([language]) },
      { text: 'Pardon?', speaker: 'caller', alert_ids: JSON.stringify([clarity]) },
      { text: 'Sorry, can you repeat that?', speaker: 'caller', alert_ids: JSON.stringify([clarity]) },
    ]);

    // The drill-down: the same three, oldest first, with their spans and alert ids, unmasked for a supervisor.
    const d = await detailOf(h);
    expect(d.transcriptMode).toBe('evidence');
    expect(texts(d.transcript)).toEqual(['Yes, damn cold though', 'Pardon?', 'Sorry, can you repeat that?']);
    const [word, first, second] = d.transcript!;
    expect(word).toMatchObject({ speaker: 'agent', startMs: at(5 + 7), endMs: at(5 + 9), alertIds: [language], spans: [{ cue: 'language', start: 5, end: 9 }] });
    expect(word.masked).toBeUndefined();
    expect(first).toMatchObject({ speaker: 'caller', startMs: at(15), alertIds: [clarity], spans: [{ cue: 'clarity' }] });
    expect(second.alertIds).toEqual([clarity]);

    // No word of the small talk, the greeting or the interim guess in any file of the data folder; the evidence is there.
    const files = folderText(h.dbFile);
    for (const w of SMALL_TALK) expect(files, w).not.toContain(w);
    for (const w of EVIDENCE) expect(files, w).toContain(w);
    const served = JSON.stringify(d);
    for (const w of SMALL_TALK) expect(served, w).not.toContain(w);
    expect((await getJson(h, '/api/health')).body.data).toMatchObject({ transcripts: { mode: 'evidence', stripped: 8, evidenceStored: 3 } });
  });

  it('after a restart: the same alerts, and their evidence finds the same words', async () => {
    const h = await startWith('evidence');
    await feedCall(h);
    const before = alertsOf(h);
    const detail = await detailOf(h);
    await stop(h);
    const again = await startWith('evidence', h.dbFile, h);
    expect(alertsOf(again)).toEqual(before);
    const d = await detailOf(again);
    expect(d.transcript).toEqual(detail.transcript);
    expect(texts(d.transcript)).toEqual(['Yes, damn cold though', 'Pardon?', 'Sorry, can you repeat that?']);
    for (const w of SMALL_TALK) expect(folderText(again.dbFile), w).not.toContain(w);
  });

  it('an agent sees their own evidence with the listed word masked; a supervisor sees it plainly; another agent nothing', async () => {
    const h = await startWith('evidence');
    await feedCall(h);
    const sup = await socketOf(h, {});
    const supDetail = await callDetail(sup, 'c1');
    expect(texts(supDetail.transcript)).toEqual(['Yes, damn cold though', 'Pardon?', 'Sorry, can you repeat that?']);
    expect(supDetail.transcript!.some((s) => s.masked)).toBe(false);

    const mine = await socketOf(h, { username: 'ann', agentId: 'a1' });
    const d = await callDetail(mine, 'c1');
    expect(d.transcript).toHaveLength(3);
    const [word] = d.transcript!;
    expect(word.masked).toBe(true);
    expect(word.text).not.toContain('damn');
    expect(word.text).toBe('Yes, d\u2022\u2022\u2022 cold though');
    expect(d.transcript!.every((s) => s.masked === true)).toBe(true);
    expect(JSON.stringify(d)).not.toContain('damn');

    const other = await socketOf(h, { username: 'bo', agentId: 'a2' });
    const refused = await new Promise<Ack<CallDetail>>((resolve) => other.emit('call:detail', 'c1', resolve));
    expect(refused).toMatchObject({ ok: false });
    expect(JSON.stringify(refused)).not.toContain('Pardon');
    for (const s of [sup, mine, other]) s.close();
  });
});

describe('every input and the data folder', () => {
  it('a segment sent on the /ingest socket is logged without its words too', async () => {
    const h = await startWith('evidence');
    await postEvents(h, [ev.agent('a1', 'available', 0, { name: 'Ann Lee' }), ev.queued('c2', 'q1', 1), ev.ringing('c2', 'a1', 2), ev.answered('c2', 'a1', 5)]);
    const socket = connectIngest(h, INGEST_TOKEN);
    const ack = await new Promise<{ ok: boolean; data?: { accepted: number } }>((resolve) => socket.emit('events:ingest', [say('c2', 'agent', 'Hello, Ann at Acme: sockets say crap and Tallinn', 1, 2, 8)], resolve));
    socket.close();
    expect(ack).toMatchObject({ ok: true, data: { accepted: 1 } });
    const last = loggedTranscripts(h.dbFile).at(-1)!;
    expect(last).toMatchObject({ text: '' });
    expect(last.cues).toEqual(expect.arrayContaining(['greeting', 'name', 'company', 'language']));
    // Its listed word is evidence of the language alert: kept beside the log, not in it.
    expect(alertsOf(h, 'c2').map((a) => a.ruleId)).toEqual(['language']);
    expect(texts((await detailOf(h, 'c2')).transcript)).toEqual(['Hello, Ann at Acme: sockets say crap and Tallinn']);
  });

  it('talk-over stands on moments of voice activity: a segment starting at one is not kept as its evidence', async () => {
    const h = await startWith('evidence');
    const talk = (party: 'agent' | 'caller', talking: boolean, atSec: number) => ({ type: 'call.talking', id: `tp-${++n}`, at: at(atSec), callId: 'c3', party, talking });
    await postEvents(h, [ev.agent('a1', 'available', 0, { name: 'Ann Lee' }), ev.queued('c3', 'q1', 1), ev.ringing('c3', 'a1', 2), ev.answered('c3', 'a1', 5)]);
    for (const e of [talk('caller', true, 6), talk('agent', true, 7), talk('agent', false, 8), talk('agent', true, 9), talk('agent', false, 10), talk('agent', true, 11)]) await postEvents(h, e);
    // Epoch times: the segment starts at the very moment of the third talk-over, and is in hand when the caller's stop raises it.
    await postEvents(h, { ...say('c3', 'agent', 'Hello, this is Ann from Acme, small potatoes', 0, 0, 11.6), startMs: at(11), endMs: at(11.5) });
    await postEvents(h, talk('caller', false, 12));
    const [alert] = alertsOf(h, 'c3');
    expect(alertsOf(h, 'c3').map((a) => a.ruleId)).toEqual(['talk-over']);
    expect(alert.evidence).toContainEqual({ speaker: 'agent', startMs: at(11), endMs: at(11) });
    expect((await detailOf(h, 'c3')).transcript).toBeUndefined();
    expect(folderText(h.dbFile)).not.toContain('potatoes');
  });

  it("an alert withdrawn later takes its words with it: a live \"I don't know\" warning, then the late segment with the offer", async () => {
    const h = await startWith('evidence');
    await postEvents(h, [ev.agent('a1', 'available', 0, { name: 'Ann Lee' }), ev.queued('c4', 'q1', 1), ev.ringing('c4', 'a1', 2), ev.answered('c4', 'a1', 5)]);
    await postEvents(h, say('c4', 'agent', 'Hello, this is Ann from Acme', 0.5, 2, 8));
    await postEvents(h, say('c4', 'agent', "Hmm, I don't know about quinces", 10, 11, 17));
    await postEvents(h, say('c4', 'caller', 'Okay then', 12, 13, 19));
    h.clock.t = at(27);
    h.server.tickNow(at(27));
    expect(alertsOf(h, 'c4').map((a) => [a.ruleId, a.status])).toEqual([['dont-know', 'open']]);
    expect(texts((await detailOf(h, 'c4')).transcript)).toEqual(["Hmm, I don't know about quinces"]);
    // The offer was made in time: its final segment comes late.
    await postEvents(h, say('c4', 'agent', 'let me check that for you', 11.5, 11.9, 28));
    const saved = (await getJson(h, '/api/alerts')).body.data as Alert[];
    expect(saved.filter((a) => a.callId === 'c4').map((a) => [a.ruleId, a.status])).toEqual([['dont-know', 'retracted']]);
    expect((await detailOf(h, 'c4')).transcript).toBeUndefined();
    const db = new Database(h.dbFile, { readonly: true });
    expect(db.prepare("SELECT count(*) AS n FROM transcript_evidence WHERE call_id = 'c4'").get()).toEqual({ n: 0 });
    db.close();
  });

  it('doctor says what the folder holds of transcript words', async () => {
    const ev1 = await startWith('evidence');
    await feedCall(ev1);
    expect(examineDataFolder(path.dirname(ev1.dbFile)).log.transcripts).toEqual({ segmentsWithWords: 0, evidenceSegments: 3 });
    const keep = await startWith('keep');
    await feedCall(keep);
    const r = examineDataFolder(path.dirname(keep.dbFile));
    expect(r.log.transcripts).toEqual({ segmentsWithWords: 8, evidenceSegments: 0 });
    expect(r.notes.join('\n')).toContain('8 logged segment(s) with their words');
  });

  it('--retain-days pruning deletes the evidence words of the days cut; the alerts stay', async () => {
    const h = await startWith('evidence');
    await feedCall(h);
    const alerts = alertsOf(h);
    expect(h.server.transcripts.pruneBefore(at(0))).toBe(0);
    expect(h.server.transcripts.pruneBefore(at(3_600))).toBe(3);
    expect((await detailOf(h)).transcript).toBeUndefined();
    expect(alertsOf(h)).toEqual(alerts);
    const served = JSON.stringify(await detailOf(h));
    for (const w of ['damn', 'Pardon', 'can you repeat']) expect(served, w).not.toContain(w);
  });
});

describe('--transcripts drop', () => {
  it('keeps no word anywhere and raises the same alerts as evidence', async () => {
    const kept = await startWith('evidence');
    await feedCall(kept);
    const expected = alertsOf(kept);
    const h = await startWith('drop');
    await feedCall(h);
    expect(alertsOf(h)).toEqual(expected);
    expect(expected.length).toBe(2);
    expect(loggedTranscripts(h.dbFile).every((e) => e.text === '')).toBe(true);
    const files = folderText(h.dbFile);
    for (const w of [...SMALL_TALK, ...EVIDENCE]) expect(files, w).not.toContain(w);
    const d = await detailOf(h);
    expect(d.transcriptMode).toBe('drop');
    expect(d.transcript).toBeUndefined();
    // A restart judges the logged cues alike.
    await stop(h);
    const again = await startWith('drop', h.dbFile, h);
    expect(alertsOf(again)).toEqual(expected);
  });
});

describe('--transcripts keep', () => {
  it('logs the words as sent and shows every final segment, the alerts linked to theirs', async () => {
    const h = await startWith('keep');
    await feedCall(h);
    const alerts = alertsOf(h);
    expect(alerts.map((a) => a.ruleId)).toEqual(['clarity', 'language']);
    expect(loggedTranscripts(h.dbFile)[0].text).toBe('Hello, this is Ann from Acme, how can I help?');
    const d = await detailOf(h);
    expect(d.transcriptMode).toBe('keep');
    expect(texts(d.transcript)).toEqual([
      'Hello, this is Ann from Acme, how can I help?',
      'Lovely weather in Tallinn today, is it not?',
      'Yes, damn cold though',
      'Pardon?',
      'I said it is freezing outside',
      'Sorry, can you repeat that?',
      'Of course: it is freezing outside',
    ]);
    const t = d.transcript!;
    expect(t[0].spans.map((s) => s.cue)).toEqual(expect.arrayContaining(['greeting', 'name', 'company']));
    expect(t[0].alertIds).toEqual([]);
    expect(t[2].alertIds).toEqual([alerts.find((a) => a.ruleId === 'language')!.id]);
    expect(t[5].alertIds).toEqual([alerts.find((a) => a.ruleId === 'clarity')!.id]);
    expect(t[0].startMs).toBe(at(5.5));
  });
});

describe('exports never hold transcript words', () => {
  it('CSV and XLSX, day and range, every table: none of the words, even with every word in the log (keep)', async () => {
    const h = await startWith('keep');
    await feedCall(h);
    const words = [...SMALL_TALK.filter((w) => w !== 'interimguess'), ...EVIDENCE];
    const auth = { authorization: `Bearer ${VIEW_TOKEN}` };
    const q = 'from=2026-11-24&to=2026-11-24';
    const paths = [
      '/api/export/agents.csv',
      '/api/export/queues.csv',
      ...['rows', 'queues', 'agents', 'rules'].map((t) => `/api/reports/export/${t}.csv?${q}`),
    ];
    for (const p of paths) {
      const res = await fetch(`${h.url}${p}`, { headers: auth });
      expect(res.status, p).toBe(200);
      const body = await res.text();
      expect(body.length, p).toBeGreaterThan(0);
      for (const w of words) expect(body, `${p}: ${w}`).not.toContain(w);
    }
    // The agents table does carry the call's agent: the exports were of this floor.
    expect(await (await fetch(`${h.url}/api/export/agents.csv`, { headers: auth })).text()).toContain('a1');
    const res = await fetch(`${h.url}/api/reports/export.xlsx?${q}`, { headers: auth });
    expect(res.status).toBe(200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(await res.arrayBuffer());
    const cells: string[] = [];
    for (const ws of wb.worksheets) ws.eachRow((row) => row.eachCell((c) => cells.push(String(c.value))));
    expect(cells.length).toBeGreaterThan(10);
    const all = cells.join('\n');
    for (const w of words) expect(all, w).not.toContain(w);
    // The audit export (admins; a settings change is in it) and the alerts list hold none either.
    const admin = await h.auth.createUser({ username: 'root', password: 'correct horse battery', role: 'admin' }, h.clock.now());
    const cookie = `fw_session=${h.auth.createSession(admin.id, h.clock.now())}`;
    const put = await fetch(`${h.url}/api/settings`, { method: 'PUT', headers: { cookie, origin: h.url, 'content-type': 'application/json' }, body: JSON.stringify({ ...config(), companyNames: ['Acme', 'Acme Ltd'] }) });
    expect(put.status).toBe(200);
    const audit = await fetch(`${h.url}/api/admin/audit?format=csv`, { headers: { cookie } });
    expect(audit.status).toBe(200);
    const auditCsv = await audit.text();
    expect(auditCsv).toContain('Acme Ltd');
    for (const w of words) expect(auditCsv, w).not.toContain(w);
    const alerts = await getJson(h, '/api/alerts');
    expect((alerts.body.data as unknown[]).length).toBe(2);
    for (const w of words) expect(JSON.stringify(alerts.body), w).not.toContain(w);
  });
});

/** A /live socket: a supervisor's floor view (view token), or an agent's own view (a signed-in agent user). */
async function socketOf(h: Harness, who: { username?: string; agentId?: string }): Promise<LiveClient> {
  let extraHeaders: Record<string, string> = {};
  let auth: Record<string, string> = { scope: 'floor', token: VIEW_TOKEN };
  if (who.agentId !== undefined) {
    const user = await h.auth.createUser({ username: who.username ?? who.agentId, password: 'correct horse battery', role: 'agent', agentId: who.agentId }, h.clock.now());
    extraHeaders = { origin: h.url, cookie: `fw_session=${h.auth.createSession(user.id, h.clock.now())}` };
    auth = { scope: 'agent', agentId: who.agentId };
  }
  const socket: LiveClient = ioClient(`${h.url}/live`, { auth, transports: ['websocket'], reconnection: false, forceNew: true, extraHeaders });
  await new Promise<Snapshot>((resolve, reject) => {
    socket.once('live:snapshot', resolve);
    socket.once('connect_error', reject);
  });
  return socket;
}

async function callDetail(socket: LiveClient, callId: string): Promise<CallDetail> {
  const r = await new Promise<Ack<CallDetail>>((resolve) => socket.emit('call:detail', callId, resolve));
  if (!r.ok) throw new Error(r.error);
  return r.data;
}

describe('--transcripts flag', () => {
  it('defaults to evidence, reads the flag over FLOORWATCH_TRANSCRIPTS, refuses anything else as a usage error (exit 2)', async () => {
    const { readOptions, UsageError } = await import('../../server/main.ts');
    expect(readOptions([], {}).transcripts).toBe('evidence');
    expect(readOptions([], { FLOORWATCH_TRANSCRIPTS: 'drop' }).transcripts).toBe('drop');
    expect(readOptions(['--transcripts', 'keep'], { FLOORWATCH_TRANSCRIPTS: 'drop' }).transcripts).toBe('keep');
    expect(readOptions(['--transcripts=evidence'], {}).transcripts).toBe('evidence');
    for (const [argv, env] of [[['--transcripts', 'all'], {}], [[], { FLOORWATCH_TRANSCRIPTS: 'none' }]] as const) {
      let thrown: unknown;
      try {
        readOptions([...argv], { ...env });
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(UsageError);
      expect((thrown as InstanceType<typeof UsageError>).exitCode).toBe(2);
      expect((thrown as Error).message).toMatch(/^--transcripts: expected keep, evidence or drop, got "(all|none)"$/);
    }
  });
});
