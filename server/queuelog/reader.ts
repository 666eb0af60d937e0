/**
 * Reading queue_log text into validated feed events, with the line counts the
 * report and the tail show: every record read is mapped, skipped or damaged.
 *
 * The live tail feeds lines as they are appended; the report and the replay
 * read whole files with {@link loadQueueLogFiles}, which puts the records of
 * several files (rotated ones, exports) in time order first. Both run the same
 * adapter over the same record order, so they produce the same event ids.
 *
 * Whole files are read in two passes, in time and memory linear in the files:
 * the first keeps only each record's time, row id and place in the file
 * (typed arrays, about 30 bytes a record); the second reads the records again
 * in time order through the adapter, and the events come out in time order
 * through a reorder buffer holding only the events of the last few hours at
 * the start, then of the last quarter hour (see {@link REORDER_WINDOW_MS} and
 * {@link STEADY_WINDOW_MS}).
 */
import fsSync from 'node:fs';
import path from 'node:path';
import type { FloorEvent } from '../../shared/events.ts';
import { parseEvent } from '../../shared/events.ts';
import { orderWithinSeconds, QueueLogAdapter } from './adapter.ts';
import { clipLine, EXPECTED_COLUMNS, EXPECTED_LINE, QueueLogParser, type LayoutProblem, type ParserState, type QueueLogRecord, type RecordResult } from './parse.ts';

/** Records remembered to drop exact repeats (a rotated file read again, an overlapping export). */
const DEDUPE_RECORDS = 200_000;
/** Damaged records kept with their place and reason, for messages. */
const DAMAGED_SAMPLES = 50;
/** Distinct reasons counted one by one; more (a value in each reason) are counted together. */
const REASONS_KEPT = 500;
const OTHER_REASONS = 'other reasons';
/**
 * How far back of the record being read an event may be dated and still be
 * put in time order on the way out: a ring logged at its end, a call rebuilt
 * from its wait and talk fields. A file with an event dated further back is
 * read again with no bound (see {@link QueueLogRun.late}).
 */
export const REORDER_WINDOW_MS = 2 * 3_600_000;
/**
 * The reorder window once the records have run for a whole window (ms): by then the calls that
 * were in progress when the files began (rebuilt from their wait and talk fields, dated back by
 * up to hours) have ended, and what is dated back is a ring logged at its end (seconds), unless a
 * call's lines were lost. The narrow window holds a quarter hour's events instead of two hours':
 * on a million-line file that is about a quarter of the reading's CPU (the garbage collector
 * moving the held events). An event dated back further still is counted late, and the files are
 * read again with no bound, as before.
 */
export const STEADY_WINDOW_MS = 15 * 60_000;
/** A file is "mostly damaged" when more than this share of its records is. */
const DAMAGED_SHARE = 0.5;

export interface LineStats {
  /** Records read: lines, or parts of a line separated by NUL runs; blank lines are not counted. */
  read: number;
  /** Records that produced events. */
  mapped: number;
  /** Well-formed records that produce no event: informational and custom verbs, export headers, exact repeats. */
  skipped: number;
  /** Records that could not be used: not queue_log, a bad time or number, cut short by NUL bytes. */
  damaged: number;
  /** Count per reason of skipped and damaged records. */
  reasons: Record<string, number>;
  damagedSamples: { where: string; reason: string }[];
}

export function emptyStats(): LineStats {
  return { read: 0, mapped: 0, skipped: 0, damaged: 0, reasons: {}, damagedSamples: [] };
}

/** Skip reasons of the lines around an export's rows: not records of the file, so not in its damaged share. */
const FRAME_REASONS = new Set(['table border of an export', 'table footer of an export', 'header line of an export']);

/** A file (or a tailed file since it was opened) Floorwatch cannot read as queue_log. */
export interface FileProblem {
  file: string;
  /** `layout`: the header names no layout Floorwatch reads; `damaged`: most records are damaged. */
  kind: 'layout' | 'damaged';
  /** One line saying what is wrong. */
  message: string;
  /** What was found: the header's columns, or a damaged line. */
  found: string;
  /** What Floorwatch reads. */
  expected: string;
}

/** Records of the current file and how many were damaged, for {@link fileProblem}. */
interface FileCounts {
  records: number;
  damaged: number;
  /** The first damaged line of the file, as found. */
  firstDamaged?: { where: string; text: string; reason: string };
}

/**
 * What is wrong with a file, if anything: its header names no layout
 * Floorwatch reads, or most of its records are damaged (from `minRecords`
 * records on).
 */
export function fileProblem(file: string, layout: LayoutProblem | undefined, c: FileCounts, minRecords = 1): FileProblem | undefined {
  if (layout) {
    return {
      file,
      kind: 'layout',
      message: `${file}: the header (${layout.where}) names no queue_log layout Floorwatch reads; missing ${layout.missing.join(', ')}`,
      found: `columns ${layout.found.join(', ')}`,
      expected: `columns ${EXPECTED_COLUMNS}`,
    };
  }
  if (c.records >= minRecords && c.records > 0 && c.damaged > c.records * DAMAGED_SHARE) {
    const pct = Math.round((100 * c.damaged) / c.records);
    const d = c.firstDamaged;
    return {
      file,
      kind: 'damaged',
      message: `${file}: ${c.damaged} of ${c.records} records (${pct} %) are damaged: not a queue_log layout Floorwatch reads`,
      found: d ? `lines like ${d.where} "${clipLine(d.text)}" (${d.reason})` : 'damaged lines',
      expected: `${EXPECTED_LINE}, or an export (CSV, TSV, psql or mysql output) with a header naming ${EXPECTED_COLUMNS}`,
    };
  }
  return undefined;
}

/** A problem as the report and the tail print it: three lines. */
export function formatProblem(p: FileProblem): string {
  return `${p.message}\n  found: ${p.found}\n  expected: ${p.expected}`;
}

function addReason(stats: LineStats, reason: string, n: number): void {
  const key = reason in stats.reasons || Object.keys(stats.reasons).length < REASONS_KEPT ? reason : OTHER_REASONS;
  stats.reasons[key] = (stats.reasons[key] ?? 0) + n;
}

export class QueueLogReader {
  readonly adapter = new QueueLogAdapter();
  readonly stats = emptyStats();
  private parser: QueueLogParser;
  /** Hashes of the latest records, to drop exact repeats: a Set, and a ring of the same hashes in arrival order to evict the oldest in O(1). */
  private readonly seen = new Set<string>();
  private readonly seenRing: string[] = [];
  private seenNext = 0;
  /**
   * `same-time` dedupe: the hashes of the records of one time (the first `sameTimeCount`: the array
   * is overwritten, not emptied, since emptying an array frees its storage and the next push
   * allocates it again, for every second of a file), and that time.
   */
  private readonly sameTime: string[] = [];
  private sameTimeCount = 0;
  private seenAtMs = NaN;
  /** The current file's records and damage (the tail: since it was opened), for {@link problem}. */
  private file: FileCounts = { records: 0, damaged: 0 };
  private fileName: string;
  /** Latest record time, epoch ms. */
  lastAtMs: number | undefined;
  firstAtMs: number | undefined;

  /**
   * `dedupe`: `window` (the tail, records in file order) drops a repeat of any of the latest
   * {@link DEDUPE_RECORDS} records; `same-time` (whole files read in time order, where a repeat
   * has the same time as its original and comes next to it) remembers the records of one time.
   */
  constructor(private readonly opts: { timeZone: string; name?: string; dedupe?: 'window' | 'same-time'; dedupeRecords?: number }) {
    this.fileName = opts.name ?? 'queue_log';
    this.parser = new QueueLogParser({ timeZone: opts.timeZone, name: opts.name });
  }

  /** A new file begins (rotation): line numbers and export headers start over; calls and agents carry on. */
  newFile(name?: string): void {
    this.fileName = name ?? this.opts.name ?? 'queue_log';
    this.parser = new QueueLogParser({ timeZone: this.opts.timeZone, name: name ?? this.opts.name });
    this.file = { records: 0, damaged: 0 };
  }

  /**
   * What is wrong with the current file, if anything (see {@link fileProblem}):
   * judged once `minRecords` records were read.
   */
  problem(minRecords = 1): FileProblem | undefined {
    return fileProblem(this.fileName, this.parser.layoutProblem, this.file, minRecords);
  }

  /** Splits one physical line into records (no adapter yet): the tail orders a burst of lines first. */
  parse(line: string): RecordResult[] {
    return this.parser.parseLine(line);
  }

  /** One physical line (without its line break) → the events of its records. */
  line(text: string): FloorEvent[] {
    const out: FloorEvent[] = [];
    for (const r of this.parser.parseLine(text)) this.result(r, out);
    return out;
  }

  /** Takes one parse result: counts it and, for a record, maps it. */
  result(r: RecordResult, out: FloorEvent[]): void {
    this.stats.read++;
    if (r.kind !== 'skipped' || !FRAME_REASONS.has(r.reason)) this.file.records++;
    if (r.kind === 'skipped') return this.count('skipped', r.reason);
    if (r.kind === 'damaged') return this.damaged(r.where, r.reason, r.text);
    this.record(r.record, out);
  }

  /** Adds counts of records read elsewhere (a first pass over a file). */
  merge(s: LineStats): void {
    this.stats.read += s.read;
    this.stats.mapped += s.mapped;
    this.stats.skipped += s.skipped;
    this.stats.damaged += s.damaged;
    for (const [reason, n] of Object.entries(s.reasons)) addReason(this.stats, reason, n);
    for (const d of s.damagedSamples) if (this.stats.damagedSamples.length < DAMAGED_SAMPLES) this.stats.damagedSamples.push(d);
  }

  private record(rec: QueueLogRecord, out: FloorEvent[]): void {
    if (this.opts.dedupe === 'same-time') {
      if (rec.atMs !== this.seenAtMs) {
        this.sameTimeCount = 0;
        this.seenAtMs = rec.atMs;
      } else if (this.sameTime.lastIndexOf(rec.hash, this.sameTimeCount - 1) >= 0) {
        return this.count('skipped', 'exact repeat of an earlier record');
      }
      this.sameTime[this.sameTimeCount++] = rec.hash;
    } else {
      if (this.seen.has(rec.hash)) return this.count('skipped', 'exact repeat of an earlier record');
      this.remember(rec.hash);
    }
    if (this.firstAtMs === undefined || rec.atMs < this.firstAtMs) this.firstAtMs = rec.atMs;
    if (this.lastAtMs === undefined || rec.atMs > this.lastAtMs) this.lastAtMs = rec.atMs;
    const r = this.adapter.feed(rec);
    if (r.kind === 'skipped') return this.count('skipped', r.reason);
    const before = out.length;
    for (const e of r.events ?? []) {
      const v = parseEvent(e);
      if (!v.ok) {
        out.length = before;
        return this.damaged(rec.where, `${rec.verb}: gives an invalid event (${v.error})`, rec.raw);
      }
      out.push(v.event);
    }
    // A damaged record may still say something (a record cut short closes its call as lost).
    if (r.kind === 'damaged') this.damaged(rec.where, r.reason, rec.raw);
    else this.stats.mapped++;
  }

  /** Remembers a record's hash, forgetting the oldest beyond {@link DEDUPE_RECORDS}. */
  private remember(hash: string): void {
    const bound = this.opts.dedupeRecords ?? DEDUPE_RECORDS;
    if (this.seenRing.length < bound) this.seenRing.push(hash);
    else {
      this.seen.delete(this.seenRing[this.seenNext]);
      this.seenRing[this.seenNext] = hash;
      this.seenNext = (this.seenNext + 1) % bound;
    }
    this.seen.add(hash);
  }

  /** Hashes remembered to drop repeats (at most the bound). */
  get remembered(): number {
    return this.seen.size;
  }

  private count(kind: 'skipped' | 'damaged', reason: string): void {
    this.stats[kind]++;
    addReason(this.stats, reason, 1);
  }

  private damaged(where: string, reason: string, text?: string): void {
    this.count('damaged', reason);
    this.file.damaged++;
    if (text !== undefined) this.file.firstDamaged ??= { where, text, reason };
    if (this.stats.damagedSamples.length < DAMAGED_SAMPLES) this.stats.damagedSamples.push({ where, reason });
  }
}

/** Splits a buffer into lines at "\n" bytes and decodes each (the tail decodes the same way, so ids match). */
export function splitLines(buf: Buffer): string[] {
  const lines: string[] = [];
  let start = 0;
  for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, start)) {
    lines.push(buf.toString('utf8', start, i));
    start = i + 1;
  }
  if (start < buf.length) lines.push(buf.toString('utf8', start));
  return lines;
}

export class UnreadableFileError extends Error {}

/** Files Floorwatch cannot read as queue_log: the replay refuses them (the report says so and exits 1). */
export class QueueLogLayoutError extends Error {
  constructor(readonly problems: FileProblem[]) {
    super(problems.map(formatProblem).join('\n'));
  }
}

/** A growable column of numbers. */
class Column<T extends Float64Array | Uint32Array> {
  length = 0;
  constructor(
    public data: T,
    private readonly make: (n: number) => T,
  ) {}
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = this.make(Math.max(4096, this.data.length * 2));
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
}
const f64 = (n: number) => new Float64Array(n);
const u32 = (n: number) => new Uint32Array(n);

/** Bytes read at a time. */
const CHUNK_BYTES = 1 << 20;

function unreadable(file: string, err: unknown): UnreadableFileError {
  const e = err as NodeJS.ErrnoException;
  const why = e.code === 'ENOENT' ? 'no such file' : e.code === 'EACCES' ? 'permission denied' : e.code === 'EISDIR' ? 'is a directory' : e.message;
  return new UnreadableFileError(`cannot read ${file}: ${why}`);
}

/**
 * A file's lines by byte offset, read a chunk at a time around the lines asked
 * for (forwards or backwards), or from the whole file held in memory when
 * they are asked for in no order.
 */
class FileLines {
  private chunk: Buffer = Buffer.alloc(0);
  /** File offset of chunk[0]. */
  private base = 0;
  private whole: Buffer | undefined;
  constructor(
    private readonly fd: number,
    readonly size: number,
  ) {}

  /** Holds the whole file from now on (records read in no order of place). */
  loadWhole(): void {
    if (this.whole) return;
    const buf = Buffer.allocUnsafe(this.size);
    let got = 0;
    while (got < this.size) {
      const n = fsSync.readSync(this.fd, buf, got, this.size - got, got);
      if (n === 0) break;
      got += n;
    }
    this.whole = buf.subarray(0, got);
  }

  /** The text of the line that starts at `from`, without its line break. */
  lineAt(from: number): string {
    if (this.whole) {
      const nl = this.whole.indexOf(10, from);
      return this.whole.toString('utf8', from, nl === -1 ? this.whole.length : nl);
    }
    for (let want = CHUNK_BYTES; ; want *= 2) {
      const rel = from - this.base;
      if (rel >= 0 && rel < this.chunk.length) {
        const nl = this.chunk.indexOf(10, rel);
        if (nl !== -1) return this.chunk.toString('utf8', rel, nl);
        if (this.base + this.chunk.length >= this.size) return this.chunk.toString('utf8', rel);
      }
      // Forwards: the chunk starts at the line; backwards: it ends a little after it.
      const start = rel < 0 ? Math.max(0, from + 65_536 - want) : from;
      this.read(start, Math.min(want, this.size - start));
      if (want >= this.size) {
        const r = from - this.base;
        const nl = this.chunk.indexOf(10, r);
        return this.chunk.toString('utf8', r, nl === -1 ? this.chunk.length : nl);
      }
    }
  }

  private read(start: number, length: number): void {
    if (this.chunk.length < length || this.chunk.length > length * 4) this.chunk = Buffer.allocUnsafe(length);
    let got = 0;
    while (got < length) {
      const n = fsSync.readSync(this.fd, this.chunk, got, length - got, start + got);
      if (n === 0) break;
      got += n;
    }
    this.chunk = this.chunk.subarray(0, got);
    this.base = start;
  }
}

/** One file after the first pass. */
interface LoadedFile {
  name: string;
  lines: FileLines;
  /** Records [first, end) of the columns are this file's, in file order. */
  first: number;
  end: number;
  firstMs: number;
  /** Newest first: its records are read from the end. */
  reversed: boolean;
  /** Counts of the lines that are not records (headers, borders, damaged lines), in file order. */
  stats: LineStats;
  counts: FileCounts;
  layout: LayoutProblem | undefined;
  /** Parser states the file's records were read under (a header line starts a new one). */
  states: ParserState[];
}

/** One read of loaded files through a fresh reader and adapter. */
export interface QueueLogRun {
  reader: QueueLogReader;
  /** The events in time order (stably: one call's events keep their order). Iterate once. */
  events: Iterable<FloorEvent>;
  /** Events dated further back than the window allowed, once `events` was iterated: then read again with no bound. */
  readonly late: number;
  /** Files Floorwatch cannot read as queue_log (known once `events` was iterated). */
  problems(): FileProblem[];
}

/** Files read once (first pass), ready to be run through the adapter in time order. */
export interface LoadedQueueLog {
  files: string[];
  records: number;
  /** Problems already known from the first pass: a header of an unknown layout, most lines damaged. */
  problems(): FileProblem[];
  /**
   * Runs the records through a fresh reader. `windowMs`: the reorder window for the first
   * `windowMs` of record time (default {@link REORDER_WINDOW_MS}; `Infinity`: no bound), then at
   * most {@link STEADY_WINDOW_MS}.
   */
  run(windowMs?: number): QueueLogRun;
  /** Closes the files. */
  close(): void;
}

/**
 * Reads whole queue_log files (a rotated set, in any order): the first pass.
 * Files are ordered by their first record's time and the records by time
 * (a file exported newest-first is turned round; rows of the same time by
 * their row id when the export has one), and run through the adapter in that
 * order by {@link LoadedQueueLog.run}. Memory: about 30 bytes a record and a
 * chunk of each file, unless its records are out of order (then the file).
 */
export async function loadQueueLogFiles(files: string[], opts: { timeZone: string }): Promise<LoadedQueueLog> {
  const atMs = new Column(f64(0), f64);
  /** Row ids (−1: none); parts of a line split by NULs, parser states: only once a file has one. */
  let rowId: Column<Float64Array> | undefined;
  const start = new Column(f64(0), f64);
  const lineNo = new Column(u32(0), u32);
  let part: Column<Uint32Array> | undefined;
  let state: Column<Uint32Array> | undefined;
  const loaded: LoadedFile[] = [];
  const fds: number[] = [];
  const closeAll = () => {
    for (const fd of fds.splice(0)) fsSync.closeSync(fd);
  };
  const lazy = <T extends Float64Array | Uint32Array>(col: Column<T> | undefined, make: (n: number) => T, fill: number, upTo: number): Column<T> => {
    if (col) return col;
    const c = new Column(make(Math.max(4096, upTo)), make);
    if (fill !== 0) c.data.fill(fill);
    c.length = upTo;
    return c;
  };

  try {
    for (const file of files) {
      let fd: number;
      let size: number;
      try {
        fd = fsSync.openSync(file, 'r');
        fds.push(fd);
        const st = fsSync.fstatSync(fd);
        if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
        size = st.size;
      } catch (err) {
        throw unreadable(file, err);
      }
      const name = path.basename(file);
      const parser = new QueueLogParser({ timeZone: opts.timeZone, name, scan: true });
      const f: LoadedFile = {
        name,
        lines: new FileLines(fd, size),
        first: atMs.length,
        end: 0,
        firstMs: Infinity,
        reversed: false,
        stats: emptyStats(),
        counts: { records: 0, damaged: 0 },
        layout: undefined,
        states: [parser.current],
      };
      const local = new QueueLogReader({ timeZone: opts.timeZone, name });
      let up = 0;
      let down = 0;
      let prev = NaN;
      let n = 0;
      const take = (text: string, from: number) => {
        n++;
        const results = parser.parseLine(text, n);
        if (parser.current !== f.states[f.states.length - 1]) {
          f.states.push(parser.current);
          state = lazy(state, u32, 0, atMs.length);
        }
        for (let p = 0; p < results.length; p++) {
          const r = results[p];
          if (r.kind !== 'skipped' || !FRAME_REASONS.has(r.reason)) f.counts.records++;
          if (r.kind !== 'record') {
            local.result(r, []);
            if (r.kind === 'damaged') {
              f.counts.damaged++;
              f.counts.firstDamaged ??= { where: r.where, text: r.text ?? text, reason: r.reason };
            }
            continue;
          }
          const t = r.record.atMs;
          atMs.push(t);
          if (r.record.rowId !== undefined) rowId = lazy(rowId, f64, -1, atMs.length - 1);
          rowId?.push(r.record.rowId ?? -1);
          if (p > 0) part = lazy(part, u32, 0, atMs.length - 1);
          part?.push(p);
          state?.push(f.states.length - 1);
          start.push(from);
          lineNo.push(n);
          if (t > prev) up++;
          else if (t < prev) down++;
          prev = t;
          if (t < f.firstMs) f.firstMs = t;
        }
      };
      // The file a chunk at a time; a line across two chunks is put together.
      const buf = Buffer.allocUnsafe(CHUNK_BYTES);
      /** The start of a line that goes on in the next chunk(s). */
      let carry: Buffer[] = [];
      let carryFrom = 0;
      for (let pos = 0; ; ) {
        let got: number;
        try {
          got = fsSync.readSync(fd, buf, 0, buf.length, pos);
        } catch (err) {
          throw unreadable(file, err);
        }
        if (got === 0) break;
        const chunk = buf.subarray(0, got);
        let from = 0;
        let nl = chunk.indexOf(10);
        if (carry.length > 0 && nl !== -1) {
          take(Buffer.concat([...carry, chunk.subarray(0, nl)]).toString('utf8'), carryFrom);
          carry = [];
          from = nl + 1;
          nl = chunk.indexOf(10, from);
        }
        for (; nl !== -1; nl = chunk.indexOf(10, from)) {
          // Most lines of a queue_log file are plain records: their time is read from the bytes.
          const plain = parser.plainTime(chunk, from, nl, n + 1);
          if (plain === undefined) take(chunk.toString('utf8', from, nl), pos + from);
          else {
            n++;
            f.counts.records++;
            atMs.push(plain);
            rowId?.push(-1);
            part?.push(0);
            state?.push(f.states.length - 1);
            start.push(pos + from);
            lineNo.push(n);
            if (plain > prev) up++;
            else if (plain < prev) down++;
            prev = plain;
            if (plain < f.firstMs) f.firstMs = plain;
          }
          from = nl + 1;
        }
        if (from < got) {
          if (carry.length === 0) carryFrom = pos + from;
          carry.push(Buffer.from(chunk.subarray(from)));
        }
        pos += got;
      }
      if (carry.length > 0) take(Buffer.concat(carry).toString('utf8'), carryFrom);
      f.end = atMs.length;
      f.reversed = down > up;
      f.stats = local.stats;
      f.layout = parser.layoutProblem ?? f.states.find((st) => st.problem)?.problem;
      loaded.push(f);
    }
  } catch (err) {
    closeAll();
    throw err;
  }
  // Files in the order of their first record (stable for equal times and empty files).
  const byTime = loaded.map((f, i) => ({ f, i })).sort((a, b) => a.f.firstMs - b.f.firstMs || a.i - b.i);

  // Record order: the files one after another, each turned round if newest first…
  const total = atMs.length;
  let order = new Uint32Array(total);
  const fileOf = new Uint32Array(total);
  let k = 0;
  for (const { f, i: fi } of byTime) {
    fileOf.fill(fi, f.first, f.end);
    if (f.reversed) for (let i = f.end - 1; i >= f.first; i--) order[k++] = i;
    else for (let i = f.first; i < f.end; i++) order[k++] = i;
  }
  // …then stably by time, and rows of the same time by their row id (rows without one first).
  const t = atMs.data;
  const id = rowId?.data;
  let sorted = true;
  for (let i = 1; i < total && sorted; i++) {
    const a = order[i];
    const b = order[i - 1];
    if (t[a] < t[b] || (id && t[a] === t[b] && id[a] < id[b])) sorted = false;
  }
  if (!sorted) {
    const pos = new Uint32Array(total);
    for (let i = 0; i < total; i++) pos[i] = i;
    const o = order;
    if (id) pos.sort((p, q) => t[o[p]] - t[o[q]] || id[o[p]] - id[o[q]] || p - q);
    else pos.sort((p, q) => t[o[p]] - t[o[q]] || p - q);
    const next = new Uint32Array(total);
    for (let i = 0; i < total; i++) next[i] = o[pos[i]];
    order = next;
  }
  // A file whose records are read in no order of place is held whole; the others a chunk at a time.
  const lastFrom = new Float64Array(loaded.length).fill(-1);
  const direction = new Int8Array(loaded.length);
  for (let i = 0; i < total; i++) {
    const r = order[i];
    const fi = fileOf[r];
    const from = start.data[r];
    const prevFrom = lastFrom[fi];
    lastFrom[fi] = from;
    if (prevFrom < 0 || from === prevFrom || direction[fi] === 2) continue;
    const dir = from > prevFrom ? 1 : -1;
    if (direction[fi] === 0) direction[fi] = dir;
    else if (direction[fi] !== dir) direction[fi] = 2;
  }
  direction.forEach((d, fi) => {
    if (d === 2) loaded[fi].lines.loadWhole();
  });

  const problemsOf = (extraDamaged?: Uint32Array): FileProblem[] => {
    const out: FileProblem[] = [];
    loaded.forEach((f, i) => {
      const counts = { ...f.counts, damaged: f.counts.damaged + (extraDamaged?.[i] ?? 0) };
      const p = fileProblem(f.name, f.layout, counts);
      if (p) out.push(p);
    });
    return out;
  };

  return {
    files,
    records: total,
    problems: () => problemsOf(),
    close: closeAll,
    run(windowMs = REORDER_WINDOW_MS): QueueLogRun {
      const reader = new QueueLogReader({ timeZone: opts.timeZone, dedupe: 'same-time' });
      for (const { f } of byTime) reader.merge(f.stats);
      const parsers = loaded.map((f) => new QueueLogParser({ timeZone: opts.timeZone, name: f.name }));
      const adapterDamaged = new Uint32Array(loaded.length);
      let late = 0;
      let done = false;
      /** Reads record r of the columns again, now with its hash. */
      const reparseOne = (r: number): RecordResult => {
        const fi = fileOf[r];
        const f = loaded[fi];
        const parser = parsers[fi];
        parser.restore(f.states[state ? state.data[r] : 0]);
        const results = parser.parseLine(f.lines.lineAt(start.data[r]), lineNo.data[r]);
        return results[part ? part.data[r] : 0];
      };
      const reparse = (r: number): { res: RecordResult; fi: number } => ({ res: reparseOne(r), fi: fileOf[r] });
      const recordOf = (x: { res: RecordResult }) => (x.res.kind === 'record' ? x.res.record : undefined);
      function* events(): Generator<FloorEvent> {
        const pending = new TimeOrder();
        // One record's events are appended to `out`, which is emptied only now and then: emptying an
        // array frees its storage, and the next push would allocate it again for every record.
        const out: FloorEvent[] = [];
        const feed = (res: RecordResult, fi: number) => {
          const damagedBefore = reader.stats.damaged;
          if (out.length >= 1024) out.length = 0;
          const from = out.length;
          reader.result(res, out);
          if (reader.stats.damaged > damagedBefore) adapterDamaged[fi]++;
          for (let k = from; k < out.length; k++) pending.add(out[k]);
        };
        // The whole window from the first record on, the steady one once a whole window has passed.
        const steadyFrom = total > 0 ? t[order[0]] + windowMs : Infinity;
        const steadyMs = Math.min(windowMs, STEADY_WINDOW_MS);
        for (let i = 0; i < total; ) {
          // The records of one time, in the order app_queue writes one call's lines.
          const now = t[order[i]];
          let j = i + 1;
          while (j < total && t[order[j]] === now) j++;
          if (j - i === 1) feed(reparseOne(order[i]), fileOf[order[i]]);
          else {
            const run: { res: RecordResult; fi: number }[] = [];
            for (let k = i; k < j; k++) run.push(reparse(order[k]));
            for (const x of orderWithinSeconds(run, recordOf)) feed(x.res, x.fi);
          }
          i = j;
          // No later record gives an event before this: what is older goes out.
          const bound = now - (now < steadyFrom ? windowMs : steadyMs);
          while (pending.size > 0 && pending.firstAt() < bound) yield pending.shift();
        }
        while (pending.size > 0) yield pending.shift();
        late = pending.late;
        done = true;
      }
      return {
        reader,
        events: { [Symbol.iterator]: events },
        get late() {
          return late;
        },
        problems: () => (done ? problemsOf(adapterDamaged) : problemsOf()),
      };
    },
  };
}

/**
 * Events in time order, stably (events of one time in the order they were
 * added), taken out oldest first. An event is put in place from the end: the
 * adapter's events are nearly in order (a ring back-dated by its seconds), so
 * adding costs a few steps. `late` counts events added before one already
 * taken out.
 */
class TimeOrder {
  private items: FloorEvent[] = [];
  private head = 0;
  private takenAt = -Infinity;
  late = 0;
  get size(): number {
    return this.items.length - this.head;
  }
  firstAt(): number {
    return this.items[this.head].at;
  }
  add(e: FloorEvent): void {
    if (e.at < this.takenAt) this.late++;
    const items = this.items;
    let i = items.length;
    while (i > this.head && items[i - 1].at > e.at) i--;
    if (i === items.length) items.push(e);
    else items.splice(i, 0, e);
  }
  shift(): FloorEvent {
    const e = this.items[this.head++];
    this.takenAt = e.at;
    if (this.head >= 4096 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return e;
  }
}

export interface ReadResult {
  reader: QueueLogReader;
  /** Every event of the files, in time order (one call's events keep their order). */
  events: FloorEvent[];
}

/**
 * Reads whole queue_log files into one list of events in time order (the
 * replay sends them all). Throws {@link UnreadableFileError} for a file it
 * cannot read and {@link QueueLogLayoutError} for one that is not queue_log.
 */
export async function readQueueLogFiles(files: string[], opts: { timeZone: string }): Promise<ReadResult> {
  const loaded = await loadQueueLogFiles(files, opts);
  try {
    const early = loaded.problems();
    if (early.length > 0) throw new QueueLogLayoutError(early);
    let run = loaded.run();
    let events = [...run.events];
    if (run.late > 0) {
      run = loaded.run(Infinity);
      events = [...run.events];
    }
    const problems = run.problems();
    if (problems.length > 0) throw new QueueLogLayoutError(problems);
    return { reader: run.reader, events };
  } finally {
    loaded.close();
  }
}
