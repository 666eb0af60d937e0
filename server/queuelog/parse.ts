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
 * - database exports of a queue_log table: `|`-, tab- or comma-separated, as
 *   CSV or TSV or as the psql and mysql clients print tables (borders, the
 *   `(2 rows)` and `85 rows in set (0.00 sec)` footers). With a header line the
 *   columns are read by name (see {@link COLUMN_NAMES}): Asterisk's realtime
 *   table (`time`, `callid`, `queuename`, `agent`, `event`, `data1`…`data5`,
 *   and/or one `data` column still joined with `|`), QueueMetrics' table
 *   (`partition`, `time_id`, `call_id`, `queue`, `agent`, `verb`,
 *   `data1`…`data5`, `serverid`, `unique_row_count`) and the like. Times are
 *   epoch seconds or `YYYY-MM-DD HH:MM:SS[.ffffff]` in the PBX's zone. A row id
 *   column (`id`, `uid`, `unique_row_count`) gives the order of rows written
 *   in the same second. Without a header: the file layout, or an export with
 *   a leading id column.
 * - a header that names no layout Floorwatch reads (no time, call id, queue,
 *   agent or event column among its names) is a layout problem: the rows under
 *   it are damaged and {@link QueueLogParser.layoutProblem} says which columns
 *   were found and which were expected.
 */
import crypto from 'node:crypto';
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
  /** The export's row id (`id`, `uid`, `unique_row_count`), when it has one: orders rows of the same second. */
  rowId?: number;
}

export type RecordResult =
  | { kind: 'record'; record: QueueLogRecord }
  | { kind: 'skipped'; reason: string; where: string }
  /** `text`: the damaged text as found, for messages. */
  | { kind: 'damaged'; reason: string; where: string; text?: string };

/** Earliest and latest times accepted (the feed schema's bounds): outside them a field is not a time. */
const MIN_MS = 946_684_800_000;
const MAX_MS = 4_102_444_800_000;

const EPOCH = /^\d{9,10}(\.\d{1,6})?$/;
const DATETIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/;
/** A verb as Asterisk or a dialplan's QueueLog() writes it. */
const VERB = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
/** Table borders and footers printed by psql and mysql around exported rows. */
const TABLE_BORDER = /^[-+=|\s]+$/;
/** psql's `(2 rows)`; mysql's `85 rows in set (0.00 sec)`, `1 row in set, 1 warning (0.01 sec)`, `Empty set (0.00 sec)`. */
const TABLE_FOOTER = /^(?:\(\d+ rows?\)|(?:\d+ rows? in set|Empty set)(?:, \d+ warnings?)? \(\d+(?:\.\d+)? sec\))$/i;
/** A column name in a header line: a word, maybe quoted, maybe `table.column`. */
const COLUMN_WORD = /^[A-Za-z_][A-Za-z0-9_ .-]*$/;
/** A row id as databases number rows. */
const ROW_ID = /^\d{1,15}$/;

/** SHA-1 in one call where Node has it (20.12+): a third of the cost of a Hash object per record. */
const sha1Hex: (text: string) => string =
  typeof crypto.hash === 'function' ? (text) => crypto.hash('sha1', text, 'hex') : (text) => crypto.createHash('sha1').update(text).digest('hex');

/** The one record a scanning parser returns (see {@link QueueLogParser}). */
const SCANNED: QueueLogRecord = { raw: '', hash: '', atMs: 0, callId: '', queue: '', agent: '', verb: '', data: [], cut: false, where: '' };
const SCANNED_RESULT: RecordResult = { kind: 'record', record: SCANNED };

/** Upper-case verbs already seen: one string per verb, so later comparisons and lookups of it are cheap. */
const VERBS = new Map<string, string>();
/** Verbs remembered at most (a file of made-up verbs must not grow the map without end). */
const VERBS_KEPT = 1_000;

/** `verb` in upper case, the same string each time for the same verb. */
function upperVerb(verb: string): string {
  let v = VERBS.get(verb);
  if (v === undefined) {
    v = verb.toUpperCase();
    if (VERBS.size >= VERBS_KEPT) VERBS.clear();
    VERBS.set(verb, v);
  }
  return v;
}

export function hashText(text: string): string {
  return sha1Hex(text).slice(0, 12);
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
      ms = wall - localOffsetMs(wall, timeZone);
    }
  }
  if (!Number.isFinite(ms) || ms < MIN_MS || ms >= MAX_MS) return undefined;
  return ms;
}

/** The zone's offset at a local wall time (encoded as if UTC): two passes settle it across a DST change. */
function wallOffsetMs(wall: number, timeZone: string): number {
  let guess = wall - zoneOffsetMs(wall, timeZone);
  guess = wall - zoneOffsetMs(guess, timeZone);
  return wall - guess;
}

const HOUR_MS = 3_600_000;
/** Offsets by zone and wall-clock hour; NaN for an hour with a change of offset in it. */
const hourOffsets = new Map<string, number>();

/**
 * {@link wallOffsetMs}, looked up once per wall-clock hour: an export of a
 * million rows has a few thousand hours, and a zone's offset changes at most
 * once in an hour (then each time in that hour is worked out on its own).
 */
function localOffsetMs(wall: number, timeZone: string): number {
  const hour = Math.floor(wall / HOUR_MS);
  const key = `${timeZone} ${hour}`;
  let off = hourOffsets.get(key);
  if (off === undefined) {
    const start = wallOffsetMs(hour * HOUR_MS, timeZone);
    off = wallOffsetMs(hour * HOUR_MS + HOUR_MS - 1, timeZone) === start ? start : NaN;
    if (hourOffsets.size >= 100_000) hourOffsets.clear();
    hourOffsets.set(key, off);
  }
  return Number.isNaN(off) ? wallOffsetMs(wall, timeZone) : off;
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

type Separator = '|' | '\t' | ',';

/**
 * The field separator of a line and its fields: "|" (queue_log files, psql),
 * tab (mysql) or comma (CSV), whichever splits it into a record; a CSV line's
 * quoted data column may itself hold "|".
 */
function splitFields(text: string): { sep: Separator; fields: string[] } | undefined {
  if (text.startsWith('"')) return { sep: ',', fields: splitCsv(text) };
  let first: { sep: Separator; fields: string[] } | undefined;
  for (const c of ['|', '\t', ','] as const) {
    if (!text.includes(c)) continue;
    const fields = c === ',' ? splitCsv(text) : text.split(c);
    if (fields.length >= 5) return { sep: c, fields };
    first ??= { sep: c, fields };
  }
  return first;
}

/** What a column of an export holds. */
type Role = 'time' | 'callid' | 'queue' | 'agent' | 'verb' | 'data' | 'rowid' | 'other';

/**
 * Column names read in a header line (lower case), by what they hold. Names
 * of Asterisk's realtime queue_log table (contrib/realtime/*_queue_log.sql in
 * the Asterisk source: `id`, `time`, `callid`, `queuename`, `agent`, `event`,
 * `data1`…`data5`; main/logger.c stores one joined `data` column instead
 * when `queue_adaptive_realtime` is off), of QueueMetrics' table (`partition`,
 * `time_id`, `call_id`, `queue`, `agent`, `verb`, `data1`…`data5`,
 * `serverid`, `unique_row_count`), and the usual variants. `data1`…`data5`
 * and `param1`…`param5` are numbered data columns (see {@link numberedData}).
 */
export const COLUMN_NAMES: Record<string, Role> = {
  time: 'time',
  time_id: 'time',
  date_time: 'time',
  datetime: 'time',
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
  id: 'rowid',
  uid: 'rowid',
  unique_row_count: 'rowid',
  partition: 'other',
  serverid: 'other',
};

/** `data3` → 3, `param1` → 1; undefined for other names. */
function numberedData(name: string): number | undefined {
  const m = /^(?:data|param)([1-9])$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** The roles a header must name for its rows to be records, with the names each accepts (for messages). */
const REQUIRED: { role: Role; what: string }[] = [
  { role: 'time', what: 'a time (time, time_id or date_time)' },
  { role: 'callid', what: 'a call id (callid or call_id)' },
  { role: 'queue', what: 'a queue (queuename, queue or queue_name)' },
  { role: 'agent', what: 'agent' },
  { role: 'verb', what: 'an event (event or verb)' },
];

/** The columns Floorwatch reads in an export, as words for messages. */
export const EXPECTED_COLUMNS =
  'time (or time_id, date_time), callid (or call_id), queuename (or queue, queue_name), agent, event (or verb), ' +
  'data1…data5 (or param1…param5) and/or data (the fields joined with "|"); optionally a row id (id, uid or unique_row_count)';

/** The queue_log file layout, as words for messages. */
export const EXPECTED_LINE = 'epochSeconds|callid|queue|agent|VERB|data… (a queue_log file)';

/** Where each field of an export's rows is, from its header line. */
export interface ExportLayout {
  sep: Separator;
  /** The header's column names as written (trimmed). */
  columns: string[];
  time: number;
  callid: number;
  queue: number;
  agent: number;
  verb: number;
  /** Columns of data1…data5 (or param1…): entry n − 1 is the column of data n, −1 when absent. */
  numbered: number[];
  /** The `data` column holding the fields joined with "|", −1 when absent. */
  joined: number;
  rowId: number;
}

/** A header line whose names are not a layout Floorwatch reads. */
export interface LayoutProblem {
  where: string;
  /** The header's column names as written. */
  found: string[];
  /** What is missing, as words. */
  missing: string[];
}

/** The parser's state between lines: the header in force (it changes only at a header line). */
export interface ParserState {
  layout: ExportLayout | undefined;
  problem: LayoutProblem | undefined;
  /** A line other than a blank or a border was seen: a header of unknown names is recognised only before it. */
  seenContent: boolean;
}

/** The column names of a line read as a header: trimmed, unquoted, lower case, without a `table.` prefix. */
function columnName(field: string): string {
  return field
    .trim()
    .replace(/^[`"'[]|[`"'\]]$/g, '')
    .trim()
    .toLowerCase()
    .replace(/^.*\./, '');
}

/**
 * Turns lines of one source (a file, or a tailed file until it rotates) into
 * records. Stateful only for a database export's header line, which names the
 * columns of the rows after it.
 */
export class QueueLogParser {
  private state: ParserState = { layout: undefined, problem: undefined, seenContent: false };
  private lineNo = 0;
  /**
   * A first pass that needs only each record's time and row id: a record is
   * not built (no hash, no data), and the same result object is returned for
   * every record, valid until the next line is parsed.
   */
  private readonly scan: boolean;

  constructor(
    private readonly opts: { timeZone: string; name?: string; scan?: boolean },
  ) {
    this.scan = opts.scan ?? false;
  }

  /** Where the current line is, for messages. */
  private where(): string {
    return `${this.opts.name ?? 'queue_log'}:${this.lineNo}`;
  }

  /** Forgets the header of a previous file (after a rotation). */
  reset(): void {
    this.state = { layout: undefined, problem: undefined, seenContent: false };
    this.lineNo = 0;
  }

  /** The header in force: the same object until a header line changes it. */
  get current(): ParserState {
    return this.state;
  }

  /** Reads the next lines as under `state` (read a line again exactly as it was read the first time). */
  restore(state: ParserState): void {
    this.state = state;
  }

  /** The header line that named no layout Floorwatch reads, while its rows are being read. */
  get layoutProblem(): LayoutProblem | undefined {
    return this.state.problem;
  }

  /**
   * The time of a line read as bytes when it is a plain queue_log record
   * (`epochSeconds|callid|queue|agent|VERB…` with no header in force, no
   * spaces, NULs, quotes or fractions where they would matter): exactly what
   * {@link parseLine} would give its one record, without decoding or splitting
   * the line. Undefined otherwise: then read the line with `parseLine(text, lineNo)`.
   */
  plainTime(buf: Buffer, from: number, to: number, lineNo: number): number | undefined {
    if (this.state.layout || this.state.problem || lineNo === 1) return undefined;
    // The time: 9 or 10 digits, then "|".
    let i = from;
    let secs = 0;
    while (i < to) {
      const c = buf[i];
      if (c < 48 || c > 57) break;
      secs = secs * 10 + (c - 48);
      i++;
    }
    const digits = i - from;
    if ((digits !== 9 && digits !== 10) || i >= to || buf[i] !== 124) return undefined;
    const ms = secs * 1000;
    if (ms < MIN_MS || ms >= MAX_MS) return undefined;
    // Call id, queue, agent: anything but NUL, CR and the separators that could split the line otherwise.
    let bars = 1;
    i++;
    while (bars < 4 && i < to) {
      const c = buf[i];
      if (c === 124) bars++;
      else if (c === 0 || c === 13 || c === 9 || c === 34) return undefined;
      i++;
    }
    if (bars < 4) return undefined;
    // The verb: a letter, then letters, digits, "_" or "-" (at most 64), up to "|" or the end.
    const verbFrom = i;
    if (i >= to) return undefined;
    const first = buf[i] | 0x20;
    if (first < 97 || first > 122) return undefined;
    for (i++; i < to && buf[i] !== 124; i++) {
      const c = buf[i];
      const l = c | 0x20;
      if (!((l >= 97 && l <= 122) || (c >= 48 && c <= 57) || c === 95 || c === 45)) return undefined;
    }
    if (i - verbFrom > 64) return undefined;
    // The rest (data) may hold anything but what would split or trim the line differently.
    for (; i < to; i++) {
      const c = buf[i];
      if (c === 0 || c === 13) return undefined;
    }
    const last = buf[to - 1];
    if (last === 32 || last === 9 || last === 41) return undefined;
    this.lineNo = lineNo;
    this.state.seenContent = true;
    return ms;
  }

  /**
   * Splits one physical line (without its line break) into records. A blank
   * line yields nothing; a NUL run splits the line into several records.
   * `lineNo` (1-based) reads a line again out of file order.
   */
  parseLine(line: string, lineNo?: number): RecordResult[] {
    this.lineNo = lineNo ?? this.lineNo + 1;
    let text = line;
    if (this.lineNo === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (text.endsWith('\r')) text = text.slice(0, -1);
    if (!text.includes('\u0000')) {
      const t = text.trim();
      if (t === '') return [];
      return [this.parseRecord(t, false)];
    }
    // eslint-disable-next-line no-control-regex -- NUL runs are what a crash leaves: they are the split points
    const parts = text.split(/\u0000+/);
    const out: RecordResult[] = [];
    parts.forEach((part, i) => {
      const t = part.trim();
      if (t === '') return;
      // Every part but the last was followed by NULs: it was cut short.
      const r = this.parseRecord(t, i < parts.length - 1);
      out.push(r === SCANNED_RESULT ? { kind: 'record', record: { ...SCANNED } } : r);
    });
    if (out.length === 0) out.push({ kind: 'damaged', reason: 'only NUL bytes (a block lost in a crash)', where: this.where(), text });
    return out;
  }

  private parseRecord(text: string, cut: boolean): RecordResult {
    if (TABLE_BORDER.test(text)) return { kind: 'skipped', reason: 'table border of an export', where: this.where() };
    if (text.charCodeAt(text.length - 1) === 41 && TABLE_FOOTER.test(text)) return { kind: 'skipped', reason: 'table footer of an export', where: this.where() };
    const layout = this.state.layout;
    const split = layout ? { sep: layout.sep, fields: layout.sep === ',' ? splitCsv(text) : text.split(layout.sep) } : splitFields(text);
    if (!split) {
      this.state.seenContent = true;
      return { kind: 'damaged', reason: 'no field separator', where: this.where(), text };
    }
    const sep = split.sep;
    let fields = split.fields;
    // mysql prints rows between borders: "| a | b |".
    if (sep === '|' && fields.length > 2 && text.charCodeAt(0) === 124 && text.charCodeAt(text.length - 1) === 124) fields = fields.slice(1, -1);
    for (let i = 0; i < fields.length; i++) fields[i] = fields[i].trim();

    if (sep !== '|' || layout) {
      for (let i = 0; i < fields.length; i++) if (fields[i] === '\\N' || fields[i] === 'NULL') fields[i] = '';
    }
    // Where the time is: a row has one there, a header line (or a damaged line) has none.
    let atMs: number | undefined;
    let first = 0;
    if (!this.state.problem) {
      if (layout) atMs = layout.time < fields.length ? parseTime(fields[layout.time], this.opts.timeZone) : undefined;
      else {
        atMs = parseTime(fields[0], this.opts.timeZone);
        // An export without a header but with a leading id column.
        if (atMs === undefined && fields.length >= 6) {
          atMs = parseTime(fields[1], this.opts.timeZone);
          if (atMs !== undefined) first = 1;
        }
      }
    }
    if (atMs === undefined) {
      const header = this.header(fields, sep);
      if (header) return header;
    }
    this.state.seenContent = true;
    if (this.state.problem) return { kind: 'damaged', reason: 'a row of an export whose header names no layout Floorwatch reads', where: this.where(), text };

    let time: string, callId: string, queue: string, agent: string, verb: string, data: string[];
    let rowIdText: string | undefined;
    if (layout) {
      time = field(fields, layout.time);
      callId = field(fields, layout.callid);
      queue = field(fields, layout.queue);
      agent = field(fields, layout.agent);
      verb = field(fields, layout.verb);
      data = [];
      let numbered = false;
      for (const i of layout.numbered) {
        const d = field(fields, i);
        if (d !== '') numbered = true;
        data.push(d);
      }
      // Asterisk's realtime table may have both: data1…data5 when queue_adaptive_realtime is on, else `data`.
      const joined = field(fields, layout.joined);
      if (joined !== '' && !numbered) data = joined.split('|');
      if (layout.rowId >= 0) rowIdText = field(fields, layout.rowId);
    } else {
      if (first === 1) {
        rowIdText = fields[0];
        fields = fields.slice(1);
      }
      if (fields.length < 5) return { kind: 'damaged', reason: `${fields.length} fields, a record has at least 5`, where: this.where(), text };
      [time, callId, queue, agent, verb] = fields;
      data = fields.slice(5);
      // A CSV or TSV export's single data column still holds the fields joined with "|".
      if (sep !== '|') data = data.flatMap((d) => (d.includes('|') ? d.split('|') : [d]));
    }

    if (atMs === undefined) return { kind: 'damaged', reason: `time "${clip(time)}" is not epoch seconds or a date`, where: this.where(), text };
    if (!VERB.test(verb)) return { kind: 'damaged', reason: `verb "${clip(verb)}" is not a word`, where: this.where(), text };
    if (this.scan) {
      // A first pass needs only the time and row id: one record object for every row.
      SCANNED.atMs = atMs;
      SCANNED.rowId = rowIdText !== undefined && ROW_ID.test(rowIdText) ? Number(rowIdText) : undefined;
      return SCANNED_RESULT;
    }
    while (data.length > 0 && data[data.length - 1] === '') data.pop();
    const record: QueueLogRecord = { raw: text, hash: hashText(text), atMs, callId, queue, agent, verb: upperVerb(verb), data, cut, where: this.where() };
    if (rowIdText !== undefined && ROW_ID.test(rowIdText)) record.rowId = Number(rowIdText);
    return { kind: 'record', record };
  }

  /**
   * A header line: its names become the layout of the rows after it. A line
   * is a header when it names a call id and an event column, or three known
   * columns, or, as the first line of a file, only words and at least five of
   * them with no time among them (the header of a layout Floorwatch does not
   * know: a layout problem).
   */
  private header(fields: string[], sep: Separator): RecordResult | undefined {
    if (fields.length < 3) return undefined;
    const names = fields.map(columnName);
    let known = 0;
    const roles = new Set<Role>();
    for (const n of names) {
      const role = COLUMN_NAMES[n] ?? (numberedData(n) !== undefined ? 'data' : undefined);
      if (role) {
        known++;
        roles.add(role);
      }
    }
    const named = (roles.has('callid') && roles.has('verb')) || known >= 3;
    if (!named) {
      if (this.state.seenContent || fields.length < 5) return undefined;
      if (!fields.every((f) => COLUMN_WORD.test(f.replace(/^[`"'[]|[`"'\]]$/g, '')))) return undefined;
    }
    // A line that holds a time is a (damaged) row, whatever words its other fields are.
    if (fields.some((f) => parseTime(f, this.opts.timeZone) !== undefined)) return undefined;

    const index = (role: Role) => names.findIndex((n) => COLUMN_NAMES[n] === role);
    const missing = REQUIRED.filter((r) => index(r.role) < 0).map((r) => r.what);
    const columns = fields.map((f) => f.trim());
    if (missing.length > 0) {
      this.state = { layout: undefined, problem: { where: this.where(), found: columns, missing }, seenContent: true };
      return { kind: 'skipped', reason: 'header line of an export', where: this.where() };
    }
    const numbered: number[] = [];
    names.forEach((n, i) => {
      const k = numberedData(n);
      if (k !== undefined && numbered[k - 1] === undefined) numbered[k - 1] = i;
    });
    for (let k = 0; k < numbered.length; k++) numbered[k] ??= -1;
    this.state = {
      layout: {
        sep,
        columns,
        time: index('time'),
        callid: index('callid'),
        queue: index('queue'),
        agent: index('agent'),
        verb: index('verb'),
        numbered,
        joined: index('data'),
        rowId: index('rowid'),
      },
      problem: undefined,
      seenContent: true,
    };
    return { kind: 'skipped', reason: 'header line of an export', where: this.where() };
  }
}

/** Field i of a row, or empty when the row has no such column. */
function field(fields: string[], i: number): string {
  return i >= 0 && i < fields.length ? fields[i] : '';
}

function clip(s: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = s.replace(/[\u0000-\u001f\u007f]/g, '?');
  return clean.length > 40 ? `${clean.slice(0, 40)}…` : clean;
}

/** A line's text for messages: control characters shown as "?", at most 80 characters. */
export function clipLine(s: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = s.replace(/[\u0000-\u001f\u007f]/g, '?');
  return clean.length > 80 ? `${clean.slice(0, 80)}…` : clean;
}
