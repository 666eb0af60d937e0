/**
 * Report tables as files: one XLSX workbook (a sheet per table, typed cells)
 * or one CSV per table, from the same column definitions, so both carry the
 * same headers and values.
 *
 * XLSX is written by exceljs. It has no time zones: a date or time is written
 * as the floor's local wall-clock reading (what a supervisor on the floor saw),
 * not as UTC. Text is always written as a text cell, never as a formula, so a
 * caller's name such as `=HYPERLINK(…)` cannot run when the file is opened.
 * CSV goes through {@link toCsv} (csv-stringify, formulas defused with a
 * leading apostrophe), the helper every other CSV export of the server uses.
 */
import ExcelJS from 'exceljs';
import { zoneOffsetMs } from '../../shared/time.ts';
import { toCsv } from '../context.ts';

/** One column of an exported table. type decides the cell: 'string'; 'int'; 'number' (decimals as given); 'pct' (a percentage 0..100, written in XLSX as a fraction with a 0.0% number format); 'sec' (seconds, a number); 'date' (epoch ms → a real date cell, floor-local date given as 'YYYY-MM-DD' string is also accepted); 'datetime' (epoch ms). null/undefined values are empty cells. */
export interface ExportColumn {
  key: string;
  header: string;
  type: 'string' | 'int' | 'number' | 'pct' | 'sec' | 'date' | 'datetime';
}

/** One table to export: `name` becomes the XLSX sheet's name (made valid and unique), `rows` are read by each column's `key`. */
export interface ExportTable {
  name: string;
  columns: ExportColumn[];
  rows: Record<string, string | number | null | undefined>[];
}

/** Options of {@link tablesToXlsx} and {@link tableToCsv}. */
export interface ExportOptions {
  /** The floor's IANA time zone: dates and times are written as its local wall-clock readings. */
  timeZone: string;
  /** The workbook's title (document properties); XLSX only. */
  title?: string;
}

/** Excel's limit on a sheet name, characters. */
export const SHEET_NAME_MAX = 31;
/** Excel's limit on a cell's text, characters: longer text is cut there (Excel would refuse the file otherwise). */
export const CELL_TEXT_MAX = 32_767;
/** Column widths, in Excel's character units: wide enough for a header, never so wide a sheet needs sideways scrolling for one column. */
const WIDTH_MIN = 6;
const WIDTH_MAX = 60;
/** Rows looked at to fit a column's width: enough to see the shape of the data, cheap on a 100,000-row sheet. */
const WIDTH_SAMPLE_ROWS = 2_000;

const NUM_FMT: Record<ExportColumn['type'], string | undefined> = {
  string: undefined,
  int: '0',
  number: undefined, // General: decimals as given
  pct: '0.0%',
  sec: undefined,
  date: 'yyyy-mm-dd',
  datetime: 'yyyy-mm-dd hh:mm:ss',
};

const YMD = /^(\d{4})-(\d{2})-(\d{2})$/;
/** Characters XML 1.0 cannot hold (C0 controls but tab, LF, CR; U+FFFE/U+FFFF; lone surrogates): a cell holding one would make the file unreadable. */
// eslint-disable-next-line no-control-regex
const XML_INVALID = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
/** Characters Excel refuses in a sheet name. */
const SHEET_FORBIDDEN = /[[\]:*?/\\]/g;

type Cell = string | number | Date | null;

/**
 * The cell a value becomes in XLSX. Numbers that are not finite (a rate over
 * no calls) are empty cells, as null is in the JSON. Throws a TypeError naming
 * the table, column and row when a value does not fit its column's type.
 */
function xlsxCell(v: string | number | null | undefined, col: ExportColumn, timeZone: string, where: () => string): Cell {
  if (v === null || v === undefined) return null;
  switch (col.type) {
    case 'string':
      return typeof v === 'number' ? (Number.isFinite(v) ? String(v) : null) : cleanText(v);
    case 'int':
    case 'number':
    case 'sec':
      return finite(v, where);
    case 'pct': {
      const n = finite(v, where);
      return n === null ? null : n / 100;
    }
    case 'date': {
      if (typeof v === 'string') return new Date(ymdWall(v, where));
      const n = finite(v, where);
      if (n === null) return null;
      const wall = n + zoneOffsetMs(n, timeZone);
      return new Date(wall - mod(wall, 86_400_000));
    }
    case 'datetime': {
      const n = finite(v, where);
      return n === null ? null : new Date(n + zoneOffsetMs(n, timeZone));
    }
  }
}

function mod(a: number, b: number): number {
  return ((a % b) + b) % b;
}

function finite(v: string | number, where: () => string): number | null {
  if (typeof v !== 'number') throw new TypeError(`${where()}: expected a number, got the text "${v.slice(0, 40)}"`);
  return Number.isFinite(v) ? v : null;
}

/** 'YYYY-MM-DD' as wall-clock midnight encoded as UTC ms (how XLSX dates are written). */
function ymdWall(s: string, where: () => string): number {
  const m = YMD.exec(s);
  const ms = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : NaN;
  if (!m || new Date(ms).toISOString().slice(0, 10) !== s) throw new TypeError(`${where()}: expected epoch ms or a date YYYY-MM-DD, got "${s.slice(0, 40)}"`);
  return ms;
}

/** Text as it goes into a cell: XML-invalid characters replaced by U+FFFD, cut at Excel's limit. */
function cleanText(s: string): string {
  const clean = s.replace(XML_INVALID, '\uFFFD');
  return clean.length > CELL_TEXT_MAX ? clean.slice(0, CELL_TEXT_MAX) : clean;
}

/** A wall-clock reading (UTC-encoded ms) as 'YYYY-MM-DD' or 'YYYY-MM-DD HH:MM:SS'. */
function wallText(wallMs: number, withTime: boolean): string {
  const iso = new Date(wallMs).toISOString();
  return withTime ? `${iso.slice(0, 10)} ${iso.slice(11, 19)}` : iso.slice(0, 10);
}

/** How wide the cell reads, in characters, for fitting its column. */
function shownLength(c: Cell, type: ExportColumn['type']): number {
  if (c === null) return 0;
  if (c instanceof Date) return type === 'datetime' ? 19 : 10;
  if (typeof c === 'number') return type === 'pct' ? (c * 100).toFixed(1).length + 1 : type === 'int' ? Math.round(c).toString().length : String(c).length;
  // The longest line of a multi-line text; code points, so 'ş' or an emoji counts once.
  return Math.max(...c.split(/\r\n|\r|\n/).map((l) => [...l].length));
}

/**
 * A valid, unique sheet name for `name`: Excel's forbidden characters
 * ([ ] : * ? / \) become '_', apostrophes at either end and blanks are trimmed,
 * 'History' (reserved) gets a '_', the result is cut to 31 characters (never
 * inside a surrogate pair), and a name already in `used` (compared without
 * case, as Excel does) gets ' (2)', ' (3)'… within the 31. Adds the result to `used`.
 */
export function sheetName(name: string, used: Set<string>): string {
  let base = cleanText(name).replace(SHEET_FORBIDDEN, '_').replace(/^['\s]+|['\s]+$/g, '');
  if (base === '') base = 'Sheet';
  if (base.toLowerCase() === 'history') base = 'History_';
  const cut = (s: string, max: number) => {
    const cps = [...s];
    return cps.length <= max ? s : cps.slice(0, max).join('').replace(/['\s]+$/, '');
  };
  let candidate = cut(base, SHEET_NAME_MAX);
  for (let i = 2; used.has(candidate.toLowerCase()); i++) {
    const suffix = ` (${i})`;
    candidate = cut(base, SHEET_NAME_MAX - suffix.length) + suffix;
  }
  used.add(candidate.toLowerCase());
  return candidate;
}

/**
 * An XLSX workbook of `tables`, one worksheet each, in order: a bold header
 * row, frozen (it stays while scrolling) and with an auto-filter; typed cells
 * (numbers as numbers, 'pct' as a fraction shown as 0.0 %, 'date' and
 * 'datetime' as date cells holding the floor's local wall-clock time in
 * `opts.timeZone`); text always as text, never a formula; column widths fitted
 * to the content (6..60 characters). Sheet names are made valid and unique by
 * {@link sheetName}. Resolves with the file's bytes. Throws a TypeError when a
 * value does not fit its column's type (text in a number column, a date that is
 * neither epoch ms nor YYYY-MM-DD).
 */
export async function tablesToXlsx(tables: ExportTable[], opts: ExportOptions): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'Floorwatch';
  if (opts.title !== undefined) wb.title = cleanText(opts.title);
  const used = new Set<string>();
  for (const table of tables) {
    const name = sheetName(table.name, used);
    const ws = wb.addWorksheet(name, { views: [{ state: 'frozen', xSplit: 0, ySplit: 1 }] });
    const cols = table.columns;
    const widths = cols.map((c) => shownLength(cleanText(c.header), 'string'));
    const header = ws.getRow(1);
    cols.forEach((c, i) => (header.getCell(i + 1).value = cleanText(c.header)));
    header.font = { bold: true };
    table.rows.forEach((row, r) => {
      const xr = ws.getRow(r + 2);
      cols.forEach((c, i) => {
        const cell = xlsxCell(row[c.key], c, opts.timeZone, () => `table "${table.name}", column "${c.key}", row ${r + 1}`);
        if (cell === null) return;
        const xc = xr.getCell(i + 1);
        xc.value = cell;
        const fmt = NUM_FMT[c.type];
        if (fmt !== undefined && typeof cell !== 'string') xc.numFmt = fmt;
        if (r < WIDTH_SAMPLE_ROWS) widths[i] = Math.max(widths[i], shownLength(cell, c.type));
      });
    });
    cols.forEach((_, i) => (ws.getColumn(i + 1).width = Math.min(WIDTH_MAX, Math.max(WIDTH_MIN, widths[i] + 2))));
    if (cols.length > 0) ws.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1 + table.rows.length, column: cols.length } };
  }
  const out = await wb.xlsx.writeBuffer();
  return Buffer.isBuffer(out) ? out : Buffer.from(out as ArrayBuffer);
}

/**
 * One table as CSV (RFC 4180, CRLF lines) through {@link toCsv}: the same
 * header names as its XLSX sheet, then one line per row. Numbers as given
 * ('pct' as the percentage 0..100, as in the JSON), 'date' as the floor-local
 * date 'YYYY-MM-DD', 'datetime' as the floor-local 'YYYY-MM-DD HH:MM:SS' in
 * `opts.timeZone`, null/undefined and non-finite numbers as empty fields, text
 * defused against formulas (a leading apostrophe). An empty table is its
 * header line alone. Throws a TypeError as {@link tablesToXlsx} does.
 */
export function tableToCsv(table: ExportTable, opts: ExportOptions): string {
  const rows = table.rows.map((row, r) =>
    table.columns.map((c) => {
      const cell = xlsxCell(row[c.key], c, opts.timeZone, () => `table "${table.name}", column "${c.key}", row ${r + 1}`);
      if (cell instanceof Date) return wallText(cell.getTime(), c.type === 'datetime');
      if (c.type === 'pct' && typeof cell === 'number') return row[c.key];
      return cell;
    }),
  );
  return toCsv(
    table.columns.map((c) => c.header),
    rows,
  );
}
