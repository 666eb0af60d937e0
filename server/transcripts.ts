/**
 * The transcript privacy setting (`--transcripts keep|evidence|drop`, issue 18) and the server's side of
 * transcripts: what of a `call.transcript` segment's words is logged, kept and shown.
 *
 * - `keep`: segments are logged as sent (words in the log); the drill-down reads a call's final
 *   segments back from the log.
 * - `evidence` (default): every segment is logged without its words — `text: ''` and the `cues` the
 *   rules read in them (shared/engine/cues.ts), so the engine, a replay, a report or a what-if judges it
 *   exactly as from the words. The words of final segments wait in a bounded buffer per call; when an
 *   alert stands on a segment (its `evidence`: speaker and start), the words are stored with the alert's
 *   ids in a table beside the log (its SQLite file, or in memory when the log is not SQLite). The rest
 *   is forgotten a little after the call ends.
 * - `drop`: logged without words as in `evidence`; nothing is kept anywhere.
 *
 * Interim segments (`final: false`) are never judged: in `evidence` and `drop` their words are dropped too.
 * The mode applies to what is received from now on: a log written under `keep` keeps its words.
 */
import type Database from 'better-sqlite3';
import type { FloorEvent, EventOf } from '../shared/events.ts';
import type { Alert, CallState, FloorState } from '../shared/state.ts';
import type { CallDetail, TranscriptMode, TranscriptSegmentView } from '../shared/wire.ts';
import type { ScopeFilter } from '../shared/scope.ts';
import { readingContext, readSegment } from '../shared/engine/cues.ts';
import { segmentTimeMs } from '../shared/engine/conversation.ts';
import { maskMatches } from '../shared/phrases.ts';
import { openBesideLog } from './log/side-db.ts';
import type { LogStore } from './log/store.ts';

/** `--transcripts` when not given: keep only the words an alert stands on. */
export const DEFAULT_TRANSCRIPT_MODE: TranscriptMode = 'evidence';

/** `--transcripts` / FLOORWATCH_TRANSCRIPTS: keep, evidence or drop; absent or empty: evidence. Throws with the flag's name on anything else. */
export function parseTranscriptMode(v: string | undefined): TranscriptMode {
  if (v === undefined || v === '') return DEFAULT_TRANSCRIPT_MODE;
  const m = v.trim().toLowerCase();
  if (m === 'keep' || m === 'evidence' || m === 'drop') return m;
  throw new Error(`--transcripts: expected keep, evidence or drop, got "${v.slice(0, 40)}"`);
}

/** Final segments' words held per call until an alert may want them: a long call has dozens of segments. */
export const BUFFER_PER_CALL = 200;
/**
 * …and on the whole floor, UTF-16 units of text (≈ 16 MB): a segment is ~100 characters, so a busy floor's
 * last minutes — or a warm-up's thousands of calls folded in one batch — fit, and a flood of 2,000-character
 * segments cannot grow it further. Past it the call held longest is forgotten first.
 */
export const BUFFER_TOTAL_CHARS = 8_000_000;
/**
 * Words of segments logged but not yet applied, by event id: a shared log applies a segment when it reads
 * it back. (Applied straight after the append, a segment's words are found through the logged object itself.)
 */
export const PENDING_CAP = 20_000;
/** A call's buffered words are forgotten this long after it ends, ms: the alerts judged at its end (dont-know, greeting) come in the same batch. */
export const FORGET_AFTER_END_MS = 120_000;
/** Calls answered and agents named in events this node prepared, remembered for a shared log's lag (see {@link TranscriptKeeper.prepare}). */
export const RECENT_CAP = 10_000;
/** Sweeps of the buffer at most this often, ms. */
const SWEEP_EVERY_MS = 5_000;

/** A segment's words, where it was said, and who was on the call then (never sent to a client as such). */
export interface KeptSegment {
  callId: string;
  speaker: 'agent' | 'caller';
  /** Epoch ms, as the engine counted them (segmentTimeMs). */
  startMs: number;
  endMs: number;
  text: string;
  lang?: string;
  /** The call's agent when the segment was applied. */
  agentId?: string;
  /** Alerts this segment is evidence of (stored with it in `evidence` mode). */
  alertIds: string[];
}

/** Who looks at a drill-down: a supervisor (whole floor or scoped) sees the words; an agent their own evidence, listed words masked. */
export type TranscriptViewer = { kind: 'supervisor'; filter: ScopeFilter } | { kind: 'agent'; agentId: string };

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS transcript_evidence (
    call_id TEXT NOT NULL,
    speaker TEXT NOT NULL,
    start_ms INTEGER NOT NULL,
    end_ms INTEGER NOT NULL,
    lang TEXT,
    agent_id TEXT,
    text TEXT NOT NULL,
    alert_ids TEXT NOT NULL,
    PRIMARY KEY (call_id, speaker, start_ms)
  );`;

interface Row {
  call_id: string;
  speaker: string;
  start_ms: number;
  end_ms: number;
  lang: string | null;
  agent_id: string | null;
  text: string;
  alert_ids: string;
}

/** Sets `key` in a FIFO-bounded map ({@link RECENT_CAP}): the oldest entry goes first. */
function remember(m: Map<string, string>, key: string, value: string): void {
  m.delete(key);
  if (m.size >= RECENT_CAP) {
    const oldest = m.keys().next();
    if (!oldest.done) m.delete(oldest.value);
  }
  m.set(key, value);
}

function fromRow(r: Row): KeptSegment {
  return {
    callId: r.call_id,
    speaker: r.speaker === 'caller' ? 'caller' : 'agent',
    startMs: r.start_ms,
    endMs: r.end_ms,
    text: r.text,
    ...(r.lang !== null ? { lang: r.lang } : {}),
    ...(r.agent_id !== null ? { agentId: r.agent_id } : {}),
    alertIds: JSON.parse(r.alert_ids) as string[],
  };
}

/** What a {@link TranscriptKeeper} works with: the mode, where its table lives, the log (read back in `keep` mode) and the engine's state. */
export interface TranscriptKeeperOptions {
  mode: TranscriptMode;
  /** The event log's SQLite file, or ':memory:' (the store is then this process's). */
  file: string;
  log: Pick<LogStore, 'eventsForCall'>;
  state: () => FloorState;
}

/** What `/api/health` shows under `transcripts`. */
export interface TranscriptStats {
  mode: TranscriptMode;
  /** Segments logged without their words since the start. */
  stripped: number;
  /** Final segments' words held now, waiting for an alert. */
  buffered: number;
  /** Their text, UTF-16 units (capped at {@link BUFFER_TOTAL_CHARS}). */
  bufferedChars: number;
  /** Segments whose words were stored as an alert's evidence since the start. */
  evidenceStored: number;
}

/** A segment's words as held until it is applied, with the language it was read in. */
interface Words {
  text: string;
  lang?: string;
}

/** One call's buffered segments (`evidence` mode). */
interface CallBuffer {
  segs: KeptSegment[];
}

/**
 * The privacy setting at work: {@link prepare} before the log, {@link applied} after the engine applied a
 * segment, {@link observeAlerts} after each fold, {@link withTranscript} on a drill-down.
 */
export class TranscriptKeeper {
  readonly mode: TranscriptMode;
  private handle: Database.Database | undefined;
  private readonly pending = new Map<string, Words>();
  /** The words of each event object logged in place of a segment (the local log applies those very objects). */
  private readonly wordsOf = new WeakMap<FloorEvent, Words>();
  private bufferedChars = 0;
  private readonly buffers = new Map<string, CallBuffer>();
  private buffered = 0;
  private lastSweepMs = 0;
  private readonly counts = { stripped: 0, evidenceStored: 0 };
  /** Who answered each call, and agents' names, as recently prepared here (FIFO, {@link RECENT_CAP} each). */
  private readonly recentAgent = new Map<string, string>();
  private readonly recentName = new Map<string, string>();

  constructor(private readonly opts: TranscriptKeeperOptions) {
    this.mode = opts.mode;
  }

  private get db(): Database.Database {
    if (!this.handle) {
      this.handle = openBesideLog(this.opts.file, SCHEMA);
      // Deleted words (a withdrawn alert's, pruned days') are overwritten in the file's pages, not just unlinked.
      this.handle.pragma('secure_delete = ON');
    }
    return this.handle;
  }

  /** The counts for `/api/health`. */
  stats(): TranscriptStats {
    return { mode: this.mode, stripped: this.counts.stripped, buffered: this.buffered, bufferedChars: this.bufferedChars, evidenceStored: this.counts.evidenceStored };
  }

  /**
   * What is logged in place of each event (same length, same order; events other than transcripts as
   * they are). In `evidence` and `drop` a final segment becomes `text: ''` with the cues its words give,
   * read as the engine reads them (shared/engine/conversation.ts `readTranscript`): the floor's settings,
   * the name of the call's agent, the segment's language, else the call's last named one, else the
   * floor's `transcriptLang`. The engine's state is as of before the batch, so the batch's own answers,
   * agent names and languages before each segment count first; on a shared log (Redis) the state may lag
   * behind this node's own earlier batches, so a call the state has no agent for yet takes the one this
   * node saw answer it. An interim segment loses its words. In `keep` nothing changes.
   */
  prepare(events: FloorEvent[]): FloorEvent[] {
    if (this.mode === 'keep') return events;
    const s = this.opts.state();
    // The batch's own answers, agent names and languages, as they stand at each event (one pass, O(n)).
    const callAgent = new Map<string, string>();
    const agentName = new Map<string, string>();
    const callLang = new Map<string, string>();
    // Made at the first segment: a batch without one is logged as it came.
    let out: FloorEvent[] | undefined;
    for (let i = 0; i < events.length; i++) {
      const e = events[i];
      if (e.type === 'call.answered') {
        callAgent.set(e.callId, e.agentId);
        remember(this.recentAgent, e.callId, e.agentId);
      } else if (e.type === 'agent.state' && e.name !== undefined) {
        agentName.set(e.agentId, e.name);
        remember(this.recentName, e.agentId, e.name);
      }
      if (e.type !== 'call.transcript') continue;
      // A final segment names the call's language for those after it (the engine's `conversation.lang`).
      if (e.final && e.lang !== undefined) callLang.set(e.callId, e.lang);
      if (e.text === '') continue;
      out ??= events.slice();
      this.counts.stripped++;
      if (!e.final || e.text.trim() === '') {
        out[i] = { ...e, text: '' };
        continue;
      }
      const c = s.calls.get(e.callId);
      const agentId = callAgent.get(e.callId) ?? c?.agentId ?? this.recentAgent.get(e.callId);
      const name = agentId === undefined ? undefined : agentName.get(agentId) ?? s.agents.get(agentId)?.name ?? this.recentName.get(agentId);
      const lang = e.lang ?? callLang.get(e.callId) ?? c?.conversation?.lang ?? s.config.transcriptLang;
      const { cues } = readSegment(e.text, lang, readingContext(s.config, name));
      // The language it was read in is kept with the words: the drill-down finds the same spans.
      out[i] = { ...e, text: '', cues };
      if (this.mode === 'evidence') this.hold(e, out[i], lang);
    }
    return out ?? events;
  }

  /** Words of a segment about to be logged, until the engine applies it (bounded: the oldest go first). */
  private hold(e: EventOf<'call.transcript'>, logged: FloorEvent, lang: string | undefined): void {
    const words: Words = { text: e.text, ...(lang !== undefined ? { lang } : {}) };
    this.wordsOf.set(logged, words);
    if (this.pending.size >= PENDING_CAP) {
      const oldest = this.pending.keys().next();
      if (!oldest.done) this.pending.delete(oldest.value);
    }
    this.pending.set(e.id, words);
  }

  /**
   * After the engine applied event `e` to `s` (live, or read back from a shared log): a final segment
   * whose words are held joins its call's buffer, with its times as the engine counted them and the
   * call's agent then. Replayed segments have no words held and cost a map lookup.
   */
  applied(e: FloorEvent, s: FloorState): void {
    if (e.type !== 'call.transcript') return;
    const words = this.wordsOf.get(e) ?? this.pending.get(e.id);
    if (!words) return;
    this.pending.delete(e.id);
    const c = s.calls.get(e.callId);
    if (!c) return; // an orphan: never judged, nothing to keep
    let buf = this.buffers.get(e.callId);
    if (!buf) this.buffers.set(e.callId, (buf = { segs: [] }));
    if (buf.segs.length >= BUFFER_PER_CALL) this.forget(buf.segs.shift());
    buf.segs.push({
      callId: e.callId,
      speaker: e.speaker,
      startMs: segmentTimeMs(c, e.startMs, e.at),
      endMs: segmentTimeMs(c, e.endMs, e.at),
      text: words.text,
      ...(words.lang !== undefined ? { lang: words.lang } : {}),
      ...(c.agentId !== undefined ? { agentId: c.agentId } : {}),
      alertIds: [],
    });
    this.buffered++;
    this.bufferedChars += words.text.length;
    // Past the floor's cap the call held longest is forgotten first.
    while (this.bufferedChars > BUFFER_TOTAL_CHARS) {
      const first = this.buffers.entries().next();
      if (first.done) break;
      this.dropBuffer(first.value[0], first.value[1]);
    }
  }

  /** Counts a segment's words out of the buffer. */
  private forget(seg: KeptSegment | undefined): void {
    if (!seg) return;
    this.buffered--;
    this.bufferedChars -= seg.text.length;
  }

  private dropBuffer(callId: string, buf: CallBuffer): void {
    for (const seg of buf.segs) this.forget(seg);
    this.buffers.delete(callId);
  }

  /**
   * Alerts raised or changed in a fold (`drainChanges`): in `evidence` mode the buffered words of each
   * segment an alert stands on (same speaker and start) are stored with its id; a retracted alert's id is
   * taken off its segments, and a segment no alert stands on any more is deleted. Then, at most every few
   * seconds, the buffers of calls ended a while ago are forgotten.
   */
  observeAlerts(alerts: readonly Alert[], nowMs: number): void {
    if (this.mode !== 'evidence') return;
    for (const a of alerts) {
      // Talk-over stands on moments of voice activity (speaker, start = end), not on words: a segment that
      // happens to start at such a moment is not its evidence.
      if (a.callId === undefined || a.ruleId === 'talk-over' || !a.evidence?.some((ev) => ev.speaker !== undefined)) continue;
      if (a.status === 'retracted') this.unlink(a);
      else this.link(a);
    }
    if (nowMs - this.lastSweepMs >= SWEEP_EVERY_MS) this.sweep(nowMs);
  }

  private link(a: Alert): void {
    const buf = this.buffers.get(a.callId as string);
    if (!buf) return;
    for (const ev of a.evidence ?? []) {
      if (ev.speaker === undefined) continue;
      const seg = buf.segs.find((x) => x.speaker === ev.speaker && x.startMs === ev.startMs);
      if (!seg || seg.alertIds.includes(a.id)) continue;
      seg.alertIds.push(a.id);
      this.store(seg);
    }
  }

  /** Upserts a segment's words, its alert ids merged with those already stored. */
  private store(seg: KeptSegment): void {
    const db = this.db;
    db.transaction(() => {
      const old = db.prepare<[string, string, number], Row>('SELECT * FROM transcript_evidence WHERE call_id = ? AND speaker = ? AND start_ms = ?').get(seg.callId, seg.speaker, seg.startMs);
      const ids = new Set(old ? (JSON.parse(old.alert_ids) as string[]) : []);
      for (const id of seg.alertIds) ids.add(id);
      if (!old) this.counts.evidenceStored++;
      db.prepare(
        'INSERT INTO transcript_evidence (call_id, speaker, start_ms, end_ms, lang, agent_id, text, alert_ids) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(call_id, speaker, start_ms) DO UPDATE SET end_ms = excluded.end_ms, alert_ids = excluded.alert_ids',
      ).run(seg.callId, seg.speaker, seg.startMs, seg.endMs, seg.lang ?? null, seg.agentId ?? null, seg.text, JSON.stringify([...ids]));
    })();
  }

  private unlink(a: Alert): void {
    const db = this.db;
    const callId = a.callId as string;
    for (const seg of this.buffers.get(callId)?.segs ?? []) seg.alertIds = seg.alertIds.filter((id) => id !== a.id);
    db.transaction(() => {
      for (const ev of a.evidence ?? []) {
        if (ev.speaker === undefined) continue;
        const old = db.prepare<[string, string, number], Row>('SELECT * FROM transcript_evidence WHERE call_id = ? AND speaker = ? AND start_ms = ?').get(callId, ev.speaker, ev.startMs);
        if (!old) continue;
        const ids = (JSON.parse(old.alert_ids) as string[]).filter((id) => id !== a.id);
        if (ids.length === 0) db.prepare('DELETE FROM transcript_evidence WHERE call_id = ? AND speaker = ? AND start_ms = ?').run(callId, ev.speaker, ev.startMs);
        else db.prepare('UPDATE transcript_evidence SET alert_ids = ? WHERE call_id = ? AND speaker = ? AND start_ms = ?').run(JSON.stringify(ids), callId, ev.speaker, ev.startMs);
      }
    })();
  }

  /** Forgets the buffered words of calls that ended over {@link FORGET_AFTER_END_MS} ago, or that the engine no longer holds. */
  sweep(nowMs: number): void {
    this.lastSweepMs = nowMs;
    if (this.buffers.size === 0) return;
    const s = this.opts.state();
    for (const [callId, buf] of this.buffers) {
      const c = s.calls.get(callId);
      if (c && (c.endedAtMs === undefined || nowMs - c.endedAtMs < FORGET_AFTER_END_MS)) continue;
      this.dropBuffer(callId, buf);
    }
  }

  /** The kept segments of a call, oldest first: the stored evidence, or in `keep` mode its final segments read back from the log. */
  async segmentsOf(callId: string, c: CallState | undefined, alerts: readonly Alert[]): Promise<KeptSegment[]> {
    let segs: KeptSegment[];
    if (this.mode === 'drop') return [];
    if (this.mode === 'evidence') {
      segs = this.db.prepare<[string], Row>('SELECT * FROM transcript_evidence WHERE call_id = ? ORDER BY start_ms, speaker').all(callId).map(fromRow);
    } else {
      segs = [];
      // In log order: the agent who answered last had the call; a past call (not in memory) is anchored at its first answer, as the engine's `answeredAtMs`.
      let answeredAtMs: number | undefined;
      let agentId: string | undefined;
      let callLang = this.opts.state().config.transcriptLang;
      for (const e of await this.opts.log.eventsForCall(callId)) {
        if (e.type === 'call.answered') {
          answeredAtMs ??= e.at;
          agentId = e.agentId;
        }
        if (e.type !== 'call.transcript' || !e.final) continue;
        if (e.lang !== undefined) callLang = e.lang;
        if (e.text.trim() === '') continue;
        const anchor = c ?? ({ answeredAtMs } as CallState);
        segs.push({
          callId,
          speaker: e.speaker,
          startMs: segmentTimeMs(anchor, e.startMs, e.at),
          endMs: segmentTimeMs(anchor, e.endMs, e.at),
          text: e.text,
          ...(callLang !== undefined ? { lang: callLang } : {}),
          ...(agentId !== undefined ? { agentId } : {}),
          alertIds: [],
        });
      }
      segs.sort((a, b) => a.startMs - b.startMs);
    }
    // The alerts in memory name their segments too (in `keep` mode, the only way they are linked).
    for (const a of alerts) {
      if (a.ruleId === 'talk-over') continue;
      for (const ev of a.evidence ?? []) {
        if (ev.speaker === undefined) continue;
        const seg = segs.find((x) => x.speaker === ev.speaker && x.startMs === ev.startMs);
        if (seg && !seg.alertIds.includes(a.id)) seg.alertIds.push(a.id);
      }
    }
    return segs;
  }

  /**
   * A drill-down with its `transcript` and `transcriptMode` added, for `viewer`. A supervisor sees the
   * words (a scoped one: no segment said while an agent not theirs had the call, and only their alerts'
   * ids); an agent only the segments their own alerts stand on, listed words masked (`masked: true`).
   * `detail.alerts` must already be what the viewer may see.
   */
  async withTranscript(detail: CallDetail, c: CallState | undefined, viewer: TranscriptViewer): Promise<CallDetail> {
    const out: CallDetail = { ...detail, transcriptMode: this.mode };
    if (this.mode === 'drop') return out;
    const s = this.opts.state();
    const segs = await this.segmentsOf(detail.callId, c, detail.alerts);
    const visible = new Set(detail.alerts.map((a) => a.id));
    const views: TranscriptSegmentView[] = [];
    for (const seg of segs) {
      let alertIds = seg.alertIds;
      if (viewer.kind === 'agent') {
        alertIds = alertIds.filter((id) => visible.has(id));
        if (alertIds.length === 0 || seg.agentId !== viewer.agentId) continue;
      } else if (viewer.filter.restricted) {
        if (seg.agentId !== undefined && !viewer.filter.agent(seg.agentId)) continue;
        alertIds = alertIds.filter((id) => visible.has(id));
      }
      const name = seg.agentId !== undefined ? s.agents.get(seg.agentId)?.name : undefined;
      const { spans } = readSegment(seg.text, seg.lang, readingContext(s.config, name));
      const view: TranscriptSegmentView = {
        speaker: seg.speaker,
        startMs: seg.startMs,
        endMs: seg.endMs,
        text: seg.text,
        ...(seg.lang !== undefined ? { lang: seg.lang } : {}),
        spans: spans.map((sp) => ({ cue: sp.cue, start: sp.start, end: sp.end })),
        alertIds: [...alertIds],
      };
      if (viewer.kind === 'agent') {
        view.text = maskMatches(seg.text, spans.filter((sp) => sp.cue === 'language'));
        view.masked = true;
      }
      views.push(view);
    }
    if (views.length > 0) out.transcript = views;
    return out;
  }

  /**
   * `--retain-days`: the evidence words of segments said before `cutMs` (epoch ms) go with the raw events of
   * their days; the alerts themselves stay, their evidence times without words. Returns the rows deleted.
   */
  pruneBefore(cutMs: number): number {
    // Whatever the mode now: rows an earlier run kept under `evidence` age out too.
    return this.db.prepare('DELETE FROM transcript_evidence WHERE start_ms < ?').run(cutMs).changes;
  }

  /** Closes the evidence table's connection (the server's stop). */
  close(): void {
    this.handle?.close();
    this.handle = undefined;
  }
}
