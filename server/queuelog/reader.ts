/**
 * Reading queue_log text into validated feed events, with the line counts the
 * report and the tail show: every record read is mapped, skipped or damaged.
 *
 * The live tail feeds lines as they are appended; the report and the replay
 * read whole files with {@link readQueueLogFiles}, which puts the records of
 * several files (rotated ones, exports) in time order first. Both run the same
 * adapter over the same record order, so they produce the same event ids.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { FloorEvent } from '../../shared/events.ts';
import { parseEvent } from '../../shared/events.ts';
import { QueueLogAdapter } from './adapter.ts';
import { QueueLogParser, type QueueLogRecord, type RecordResult } from './parse.ts';

/** Records remembered to drop exact repeats (a rotated file read again, an overlapping export). */
const DEDUPE_RECORDS = 200_000;
/** Damaged records kept with their place and reason, for messages. */
const DAMAGED_SAMPLES = 50;

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

export class QueueLogReader {
  readonly adapter = new QueueLogAdapter();
  readonly stats = emptyStats();
  private parser: QueueLogParser;
  private seen = new Set<string>();
  /** Latest record time, epoch ms. */
  lastAtMs: number | undefined;
  firstAtMs: number | undefined;

  constructor(private readonly opts: { timeZone: string; name?: string }) {
    this.parser = new QueueLogParser({ timeZone: opts.timeZone, name: opts.name });
  }

  /** A new file begins (rotation): line numbers and export headers start over; calls and agents carry on. */
  newFile(name?: string): void {
    this.parser = new QueueLogParser({ timeZone: this.opts.timeZone, name: name ?? this.opts.name });
  }

  /** Splits one physical line into records (no adapter yet): used to order several files. */
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
    if (r.kind === 'skipped') return this.count('skipped', r.reason);
    if (r.kind === 'damaged') return this.damaged(r.where, r.reason);
    this.record(r.record, out);
  }

  private record(rec: QueueLogRecord, out: FloorEvent[]): void {
    if (this.seen.has(rec.hash)) return this.count('skipped', 'exact repeat of an earlier record');
    this.seen.add(rec.hash);
    if (this.seen.size > DEDUPE_RECORDS) this.seen.delete(this.seen.values().next().value as string);
    if (this.firstAtMs === undefined || rec.atMs < this.firstAtMs) this.firstAtMs = rec.atMs;
    if (this.lastAtMs === undefined || rec.atMs > this.lastAtMs) this.lastAtMs = rec.atMs;
    const r = this.adapter.feed(rec);
    if (r.kind === 'skipped') return this.count('skipped', r.reason);
    if (r.kind === 'damaged') return this.damaged(rec.where, r.reason);
    const valid: FloorEvent[] = [];
    for (const e of r.events) {
      const v = parseEvent(e);
      if (!v.ok) return this.damaged(rec.where, `${rec.verb}: gives an invalid event (${v.error})`);
      valid.push(v.event);
    }
    this.stats.mapped++;
    for (const e of valid) out.push(e);
  }

  private count(kind: 'skipped' | 'damaged', reason: string): void {
    this.stats[kind]++;
    this.stats.reasons[reason] = (this.stats.reasons[reason] ?? 0) + 1;
  }

  private damaged(where: string, reason: string): void {
    this.count('damaged', reason);
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

export interface ReadResult {
  reader: QueueLogReader;
  /** Every event of the files, in time order (one call's events keep their order). */
  events: FloorEvent[];
}

export class UnreadableFileError extends Error {}

/**
 * Reads whole queue_log files (a rotated set, in any order) into events.
 * Files are ordered by their first record's time and the records by time
 * (a file exported newest-first is turned round), then mapped in that order.
 */
export async function readQueueLogFiles(files: string[], opts: { timeZone: string }): Promise<ReadResult> {
  const reader = new QueueLogReader({ timeZone: opts.timeZone });
  const perFile: { results: RecordResult[]; firstMs: number }[] = [];
  for (const file of files) {
    let buf: Buffer;
    try {
      buf = await fs.readFile(file);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const why = e.code === 'ENOENT' ? 'no such file' : e.code === 'EACCES' ? 'permission denied' : e.code === 'EISDIR' ? 'is a directory' : e.message;
      throw new UnreadableFileError(`cannot read ${file}: ${why}`);
    }
    reader.newFile(path.basename(file));
    let results: RecordResult[] = [];
    for (const line of splitLines(buf)) results.push(...reader.parse(line));
    const times = results.flatMap((r) => (r.kind === 'record' ? [r.record.atMs] : []));
    let up = 0;
    let down = 0;
    for (let i = 1; i < times.length; i++) {
      if (times[i] > times[i - 1]) up++;
      else if (times[i] < times[i - 1]) down++;
    }
    if (down > up) results = results.reverse();
    let firstMs = Infinity;
    for (const t of times) if (t < firstMs) firstMs = t;
    perFile.push({ results, firstMs });
  }
  perFile.sort((a, b) => a.firstMs - b.firstMs);

  const all = perFile.flatMap((f) => f.results);
  const records = all.filter((r) => r.kind === 'record').map((r, seq) => ({ r, seq }));
  records.sort((a, b) => (a.r as { record: QueueLogRecord }).record.atMs - (b.r as { record: QueueLogRecord }).record.atMs || a.seq - b.seq);
  const events: FloorEvent[] = [];
  for (const r of all) if (r.kind !== 'record') reader.result(r, events);
  for (const { r } of records) reader.result(r, events);

  // Back-dated rings make the list out of order, across calls and within one (members rung at once
  // are each logged at their ring's end): sorted by time, stably, each ring starts before the
  // others end and events of the same time keep their order.
  const seen = new Set<string>();
  const unique = events.filter((e) => (seen.has(e.id) ? false : (seen.add(e.id), true)));
  unique.sort((a, b) => a.at - b.at);
  return { reader, events: unique };
}
