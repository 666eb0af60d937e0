/**
 * Reading Asterisk queue_log text as it is found in the wild: one record per
 * line, `epochSeconds|callid|queue|agent|VERB|data1|data2|...`.
 *
 * Real files are messy, so this layer only splits and checks the shape of a
 * record; what a verb means is the adapter's business. It copes with:
 * - NUL bytes: a crash can leave a run of NULs where a partly written line was
 *   (the file was extended but the data never reached the disk). A NUL run ends
 *   a record; the text before it was cut short and is accepted only if it is
 *   complete for its verb, the text after it is a fresh record.
 * - database exports of the realtime `queue_log` table: `|`-, tab- or
 *   comma-separated, with or without a header line, a leading `id` column,
 *   `YYYY-MM-DD HH:MM:SS[.ffffff]` times (local time of the PBX), data in
 *   `data1..data5` columns or in one `data` column still joined with `|`, and
 *   the borders psql and mysql print around tables.
 */
import { createHash } from 'node:crypto';
import { zoneOffsetMs } from '../../shared/time.ts';

/** One queue_log record, split but not yet interpreted. */
export interface QueueLogRecord {
  /** The record's text (without NULs or the line break): the same text always gives the same event ids. */
  raw: string;
  /** Hash of `raw`, 12 hex digits. */
  hash: string;
  /** The record's time, epoch ms (whole seconds in a queue_log file). */
  atMs: number;
  /** The fields as written; `NONE` and empty are kept as they are. */
  callId: string;
  queue: string;
  agent: string;
  /** The verb, upper case. */
  verb: string;
  /** Data fields after the verb; trailing empty fields removed. */
  data: string[];
  /** True when a NUL run cut the record short: the adapter then insists on every field its verb has. */
  cut: boolean;
  /** Where it was read, for messages. */
  where: string;
}

export type RecordResult =
  | { kind: 'record'; record: QueueLogRecord }
  | { kind: 'skipped'; reason: string; where: string }
  | { kind: 'damaged'; reason: string; where: string };

/** Earliest and latest times accepted (the feed schema's bounds): outside them a field is not a time. */
const MIN_MS = 946_684_800_000;
const MAX_MS = 4_102_444_800_000;

const EPOCH = /^\d{9,10}(\.\d{1,6})?$/;
const DATETIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/;
/** A verb as Asterisk or a dialplan's QueueLog() writes it. */
const VERB = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
/** Table borders and footers printed by psql and mysql around exported rows. */
const TABLE_BORDER = /^[-+=|\s]+$/;
const TABLE_FOOTER = /^\(\d+ rows?\)$/;

export function hashText(text: string): string {
  return createHash('sha1').update(text).digest('hex').slice(0, 12);
}

/**
 * Parses a time field: epoch seconds (queue_log files; fractions allowed), or
 * a date and time as databases store it, read in `timeZone` unless it names
 * its own offset. Returns epoch ms, or undefined when it is not a usable time.
 */
export function parseTime(text: string, timeZone: string): number | undefined {
  let ms: number;
  if (EPOCH.test(text)) {
    ms = Math.round(Number(text) * 1000);
  } else {
    const m = DATETIME.exec(text);
    if (!m) return undefined;
    const [, y, mo, d, h, mi, s, frac, zone] = m;
    const fracMs = frac ? Math.round(Number(frac) * 1000) : 0;
    const wall = Date.UTC(+y, +mo - 1, +d, +h, +mi, +s) + fracMs;
    const back = new Date(wall);
    if (back.getUTCMonth() !== +mo - 1 || back.getUTCDate() !== +d || +h > 23 || +mi > 59 || +s > 59) return undefined;
    if (zone) {
      const off = zone === 'Z' ? 0 : zoneMinutes(zone);
      ms = wall - off * 60_000;
    } else {
      // Local wall time of the PBX: two passes settle the offset across a DST change.
      let guess = wall - zoneOffsetMs(wall, timeZone);
      guess = wall - zoneOffsetMs(guess, timeZone);
      ms = guess;
    }
  }
  if (!Number.isFinite(ms) || ms < MIN_MS || ms >= MAX_MS) return undefined;
  return ms;
}

function zoneMinutes(zone: string): number {
  const sign = zone[0] === '-' ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || '0'));
}

/** Splits one CSV line (RFC 4180 quoting, no line breaks inside fields). */
function splitCsv(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

/**
 * The field separator of a line: "|" (queue_log files, psql), tab (mysql) or
 * comma (CSV), whichever splits it into a record; a CSV line's quoted data
 * column may itself hold "|".
 */
function separatorOf(text: string): Separator | undefined {
  if (text.startsWith('"')) return ',';
  const present = (['|', '\t', ','] as const).filter((c) => text.includes(c));
  for (const c of present) if ((c === ',' ? splitCsv(text) : text.split(c)).length >= 5) return c;
  return present[0];
}

type Column = 'time' | 'callid' | 'queue' | 'agent' | 'verb' | 'data' | 'ignore';

const HEADER_NAMES: Record<string, Column> = {
  time: 'time',
  timestamp: 'time',
  eventdate: 'time',
  created: 'time',
  callid: 'callid',
  call_id: 'callid',
  uniqueid: 'callid',
  queuename: 'queue',
  queue: 'queue',
  queue_name: 'queue',
  agent: 'agent',
  membername: 'agent',
  event: 'verb',
  verb: 'verb',
  data: 'data',
  data1: 'data',
  data2: 'data',
  data3: 'data',
  data4: 'data',
  data5: 'data',
};

type Separator = '|' | '\t' | ',';

/**
 * Turns lines of one source (a file, or a tailed file until it rotates) into
 * records. Stateful only for a database export's header line, which names the
 * columns of the rows after it.
 */
export class QueueLogParser {
  private header: { sep: Separator; columns: Column[] } | undefined;
  private lineNo = 0;

  constructor(
    private readonly opts: { timeZone: string; name?: string },
  ) {}

  /** Forgets the header of a previous file (after a rotation). */
  reset(): void {
    this.header = undefined;
    this.lineNo = 0;
  }

  /**
   * Splits one physical line (without its line break) into records. A blank
   * line yields nothing; a NUL run splits the line into several records.
   */
  parseLine(line: string): RecordResult[] {
    this.lineNo++;
    const where = `${this.opts.name ?? 'queue_log'}:${this.lineNo}`;
    let text = line;
    if (this.lineNo === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (text.endsWith('\r')) text = text.slice(0, -1);
    if (!text.includes('\u0000')) {
      if (text.trim() === '') return [];
      return [this.parseRecord(text.trim(), false, where)];
    }
    // eslint-disable-next-line no-control-regex -- NUL runs are what a crash leaves: they are the split points
    const parts = text.split(/\u0000+/);
    const out: RecordResult[] = [];
    parts.forEach((part, i) => {
      const t = part.trim();
      if (t === '') return;
      // Every part but the last was followed by NULs: it was cut short.
      out.push(this.parseRecord(t, i < parts.length - 1, where));
    });
    if (out.length === 0) out.push({ kind: 'damaged', reason: 'only NUL bytes (a block lost in a crash)', where });
    return out;
  }

  private parseRecord(text: string, cut: boolean, where: string): RecordResult {
    if (TABLE_BORDER.test(text) || TABLE_FOOTER.test(text)) return { kind: 'skipped', reason: 'table border of an export', where };
    const sep = this.header?.sep ?? separatorOf(text);
    if (!sep) return { kind: 'damaged', reason: 'no field separator', where };
    let fields = sep === ',' ? splitCsv(text) : text.split(sep);
    // mysql prints rows between borders: "| a | b |".
    if (sep === '|' && text.startsWith('|') && text.endsWith('|') && fields.length > 2) fields = fields.slice(1, -1);
    fields = fields.map((f) => f.trim());

    const lower = fields.map((f) => f.toLowerCase());
    if (lower.includes('callid') && (lower.includes('event') || lower.includes('verb'))) {
      this.header = { sep, columns: lower.map((f) => HEADER_NAMES[f] ?? 'ignore') };
      return { kind: 'skipped', reason: 'header line of an export', where };
    }
    if (sep !== '|' || this.header) fields = fields.map((f) => (f === '\\N' || f === 'NULL' ? '' : f));

    let time: string, callId: string, queue: string, agent: string, verb: string, data: string[];
    if (this.header && this.header.sep === sep) {
      const cols = this.header.columns;
      const pick = (c: Column) => {
        const i = cols.indexOf(c);
        return i >= 0 && i < fields.length ? fields[i] : '';
      };
      time = pick('time');
      callId = pick('callid');
      queue = pick('queue');
      agent = pick('agent');
      verb = pick('verb');
      data = fields.filter((_, i) => cols[i] === 'data');
    } else {
      // No header: the file layout, or an export with a leading id column.
      if (fields.length >= 6 && parseTime(fields[0], this.opts.timeZone) === undefined && parseTime(fields[1], this.opts.timeZone) !== undefined) {
        fields = fields.slice(1);
      }
      if (fields.length < 5) return { kind: 'damaged', reason: `${fields.length} fields, a record has at least 5`, where };
      [time, callId, queue, agent, verb] = fields;
      data = fields.slice(5);
    }

    const atMs = parseTime(time, this.opts.timeZone);
    if (atMs === undefined) return { kind: 'damaged', reason: `time "${clip(time)}" is not epoch seconds or a date`, where };
    if (!VERB.test(verb)) return { kind: 'damaged', reason: `verb "${clip(verb)}" is not a word`, where };
    // A single `data` column still holds the fields joined with "|".
    data = data.flatMap((d) => (d.includes('|') ? d.split('|') : [d]));
    while (data.length > 0 && data[data.length - 1] === '') data.pop();
    return {
      kind: 'record',
      record: { raw: text, hash: hashText(text), atMs, callId, queue, agent, verb: verb.toUpperCase(), data, cut, where },
    };
  }
}

function clip(s: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = s.replace(/[\u0000-\u001f\u007f]/g, '?');
  return clean.length > 40 ? `${clean.slice(0, 40)}…` : clean;
}
