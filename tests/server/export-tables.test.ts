/**
 * Report tables as XLSX and CSV (issue 16): written by exceljs, read back by exceljs, every cell
 * equal to its input in type and value; the header bold, frozen and filtered; sheet names valid
 * and unique; dates as the floor's wall clock; text never a formula.
 */
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { sheetName, tablesToXlsx, tableToCsv, type ExportColumn, type ExportTable } from '../../server/export/tables.ts';

const TZ = 'Europe/Tallinn'; // UTC+2 in winter, +3 in summer
/** 2026-11-24 23:30 in Tallinn (21:30 UTC): the local date is the 24th, the UTC date too; 00:30 local is the 25th there but the 24th in UTC. */
const LATE = Date.parse('2026-11-24T21:30:15.000Z');
const AFTER_MIDNIGHT = Date.parse('2026-11-24T22:30:00.000Z'); // 00:30 on the 25th in Tallinn
const SUMMER = Date.parse('2026-07-01T06:05:09.000Z'); // 09:05:09 in Tallinn (UTC+3)

const ALL_TYPES: ExportColumn[] = [
  { key: 'name', header: 'Agent', type: 'string' },
  { key: 'calls', header: 'Calls', type: 'int' },
  { key: 'ratio', header: 'Holds per call', type: 'number' },
  { key: 'sl', header: 'Service level', type: 'pct' },
  { key: 'aht', header: 'AHT (s)', type: 'sec' },
  { key: 'day', header: 'Day', type: 'date' },
  { key: 'at', header: 'Worst call at', type: 'datetime' },
];

const agents: ExportTable = {
  name: 'Agents: scorecard [week 48]',
  columns: ALL_TYPES,
  rows: [
    { name: 'Ayşe Yılmaz', calls: 42, ratio: 0.35, sl: 79.6, aht: 181.25, day: LATE, at: LATE },
    { name: 'Mägi Tõnis-Jüri Õun', calls: 9_007_199_254_740_991, ratio: 1e-7, sl: 100, aht: 0, day: '2026-11-25', at: SUMMER },
    { name: '=HYPERLINK("http://x.example/","click")', calls: 0, ratio: -3.5, sl: 0, aht: 12_345_678.9, day: AFTER_MIDNIGHT, at: AFTER_MIDNIGHT },
    { name: '+1 555 0100', calls: null, ratio: undefined, sl: null, aht: null, day: null, at: undefined },
    { name: '-2', calls: 1, ratio: 2, sl: 12.3, aht: 1, day: SUMMER, at: LATE },
    { name: '@SUM(A1)', calls: 2, ratio: 3, sl: 50, aht: 2, day: '2026-02-28', at: LATE },
    { name: null, calls: 3, ratio: 4, sl: 66.7, aht: 3, day: LATE, at: LATE },
  ],
};
const queues: ExportTable = {
  name: 'Agents: scorecard [week 48]', // the same name: the sheet must get another
  columns: [
    { key: 'queue', header: 'Kuyruk / Järjekord', type: 'string' },
    { key: 'offered', header: 'Offered', type: 'int' },
    { key: 'sl', header: 'SL', type: 'pct' },
  ],
  rows: [
    { queue: 'satış', offered: 120, sl: 88.8 },
    { queue: 'müük', offered: 3, sl: 33.33333333 },
  ],
};
const empty: ExportTable = { name: 'Breaches?*/\\ by rule and by some very long name indeed', columns: ALL_TYPES.slice(0, 3), rows: [] };

/** The wall-clock reading of `ms` in Tallinn as UTC-encoded ms (what an XLSX date holds). */
function tallinnWall(ms: number): number {
  const offsetH = new Date(ms).getUTCMonth() >= 3 && new Date(ms).getUTCMonth() <= 9 ? 3 : 2; // the test's dates are far from the DST switches
  return ms + offsetH * 3_600_000;
}
const wallDay = (ms: number) => {
  const w = tallinnWall(ms);
  return w - (w % 86_400_000);
};

/** What the read-back cell must hold for an input value of a column. */
function expected(v: string | number | null | undefined, type: ExportColumn['type']): unknown {
  if (v === null || v === undefined) return null;
  if (type === 'pct') return (v as number) / 100;
  if (type === 'date') return typeof v === 'string' ? new Date(`${v}T00:00:00Z`) : new Date(wallDay(v));
  if (type === 'datetime') return new Date(tallinnWall(v as number));
  return v;
}

async function readBack(buf: Buffer): Promise<ExcelJS.Workbook> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(buf as unknown as ArrayBuffer);
  return wb;
}

describe('tablesToXlsx', () => {
  it('writes every cell typed and equal to its input, read back with exceljs', async () => {
    const buf = await tablesToXlsx([agents, queues, empty], { timeZone: TZ, title: 'Week 48' });
    expect(buf.subarray(0, 2).toString('latin1')).toBe('PK'); // a zip, as XLSX is
    const wb = await readBack(buf);
    expect(wb.title).toBe('Week 48');
    expect(wb.worksheets.map((w) => w.name)).toEqual(['Agents_ scorecard _week 48_', 'Agents_ scorecard _week 48_ (2)', 'Breaches____ by rule and by som']);
    for (const [i, table] of [agents, queues, empty].entries()) {
      const ws = wb.worksheets[i];
      const header = ws.getRow(1);
      table.columns.forEach((c, j) => {
        expect(header.getCell(j + 1).value).toBe(c.header);
        expect(header.getCell(j + 1).font?.bold).toBe(true);
      });
      table.rows.forEach((row, r) => {
        table.columns.forEach((c, j) => {
          const cell = ws.getRow(r + 2).getCell(j + 1);
          const want = expected(row[c.key], c.type);
          expect(cell.value, `${table.name} row ${r + 1} ${c.key}`).toEqual(want);
          if (want === null) expect(cell.type).toBe(ExcelJS.ValueType.Null);
          else if (want instanceof Date) expect(cell.type).toBe(ExcelJS.ValueType.Date);
          else if (typeof want === 'number') expect(cell.type).toBe(ExcelJS.ValueType.Number);
          else expect([ExcelJS.ValueType.String, ExcelJS.ValueType.SharedString]).toContain(cell.type);
          if (want !== null && c.type === 'pct') expect(cell.numFmt).toBe('0.0%');
          if (want !== null && c.type === 'date') expect(cell.numFmt).toBe('yyyy-mm-dd');
          if (want !== null && c.type === 'datetime') expect(cell.numFmt).toBe('yyyy-mm-dd hh:mm:ss');
        });
      });
      // Nothing below the last row.
      expect(ws.actualRowCount).toBe(1 + table.rows.length);
    }
  });

  it('writes a text that starts like a formula as text, never a formula', async () => {
    const wb = await readBack(await tablesToXlsx([agents], { timeZone: TZ }));
    const ws = wb.worksheets[0];
    for (let r = 2; r <= ws.rowCount; r++) {
      for (let c = 1; c <= ALL_TYPES.length; c++) {
        const cell = ws.getRow(r).getCell(c);
        expect(cell.type).not.toBe(ExcelJS.ValueType.Formula);
        expect(cell.formula).toBeUndefined();
      }
    }
    expect(ws.getRow(4).getCell(1).value).toBe('=HYPERLINK("http://x.example/","click")');
  });

  it('freezes the header row, filters it and fits the column widths within bounds', async () => {
    const long = { name: 'Wide', columns: [{ key: 't', header: 'T', type: 'string' as const }, { key: 'n', header: 'A rather long header', type: 'int' as const }], rows: [{ t: 'x'.repeat(500), n: 1 }] };
    const wb = await readBack(await tablesToXlsx([agents, long], { timeZone: TZ }));
    for (const ws of wb.worksheets) {
      expect(ws.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
      expect(ws.autoFilter).toBeTruthy();
    }
    expect(wb.worksheets[0].autoFilter).toBe(`A1:G${1 + agents.rows.length}`);
    const [t, n] = [wb.worksheets[1].getColumn(1).width, wb.worksheets[1].getColumn(2).width];
    expect(t).toBe(60); // 500 characters, capped
    expect(n).toBe('A rather long header'.length + 2); // the header is the widest
    expect(wb.worksheets[0].getColumn(1).width).toBeGreaterThanOrEqual('=HYPERLINK("http://x.example/","click")'.length);
  });

  it('still writes the header of an empty table', async () => {
    const wb = await readBack(await tablesToXlsx([empty], { timeZone: TZ }));
    const ws = wb.worksheets[0];
    expect(ws.actualRowCount).toBe(1);
    expect([1, 2, 3].map((c) => ws.getRow(1).getCell(c).value)).toEqual(['Agent', 'Calls', 'Holds per call']);
  });

  it('refuses a value that does not fit its column, naming where', async () => {
    const bad: ExportTable = { name: 'T', columns: [{ key: 'n', header: 'N', type: 'int' }], rows: [{ n: 1 }, { n: '12' }] };
    await expect(tablesToXlsx([bad], { timeZone: TZ })).rejects.toThrow('table "T", column "n", row 2: expected a number');
    const badDate: ExportTable = { name: 'T', columns: [{ key: 'd', header: 'D', type: 'date' }], rows: [{ d: '2026-02-30' }] };
    await expect(tablesToXlsx([badDate], { timeZone: TZ })).rejects.toThrow('expected epoch ms or a date YYYY-MM-DD');
  });

  it('writes non-finite numbers as empty cells and replaces characters XML cannot hold', async () => {
    const t: ExportTable = { name: 'T', columns: [{ key: 's', header: 'S', type: 'string' }, { key: 'n', header: 'N', type: 'number' }], rows: [{ s: 'bell\u0007', n: NaN }, { s: 'ok', n: Infinity }] };
    const ws = (await readBack(await tablesToXlsx([t], { timeZone: TZ }))).worksheets[0];
    expect(ws.getRow(2).getCell(1).value).toBe('bell\uFFFD');
    expect(ws.getRow(2).getCell(2).value).toBeNull();
    expect(ws.getRow(3).getCell(2).value).toBeNull();
  });
});

describe('sheetName', () => {
  it('makes names valid for Excel and unique without regard to case', () => {
    const used = new Set<string>();
    expect(sheetName('a/b\\c?d*e:f[g]h', used)).toBe('a_b_c_d_e_f_g_h');
    expect(sheetName("'quoted'", used)).toBe('quoted');
    expect(sheetName('QUOTED', used)).toBe('QUOTED (2)');
    expect(sheetName('', used)).toBe('Sheet');
    expect(sheetName('history', used)).toBe('History_');
    expect(sheetName('Çağrılar ve bekleme süreleri, haftalık özet', used)).toBe('Çağrılar ve bekleme süreleri, h');
    expect(sheetName('Çağrılar ve bekleme süreleri, haftalık özet', used)).toBe('Çağrılar ve bekleme süreler (2)');
    for (const n of used) expect(n.length).toBeLessThanOrEqual(31);
    // Never cut inside a surrogate pair.
    expect(sheetName('📞'.repeat(40), new Set())).toBe('📞'.repeat(31));
  });
});

describe('tableToCsv', () => {
  it('writes the same headers, local dates and defused text', () => {
    const csv = tableToCsv(agents, { timeZone: TZ });
    const lines = csv.split('\r\n');
    expect(lines[0]).toBe('Agent,Calls,Holds per call,Service level,AHT (s),Day,Worst call at');
    expect(lines[1]).toBe('Ayşe Yılmaz,42,0.35,79.6,181.25,2026-11-24,2026-11-24 23:30:15');
    expect(lines[2]).toBe('Mägi Tõnis-Jüri Õun,9007199254740991,1e-7,100,0,2026-11-25,2026-07-01 09:05:09');
    expect(lines[3]).toBe(`"'=HYPERLINK(""http://x.example/"",""click"")",0,-3.5,0,12345678.9,2026-11-25,2026-11-25 00:30:00`);
    expect(lines[4]).toBe("'+1 555 0100,,,,,,");
    expect(lines[5]).toBe("'-2,1,2,12.3,1,2026-07-01,2026-11-24 23:30:15");
    expect(lines[6]).toBe("'@SUM(A1),2,3,50,2,2026-02-28,2026-11-24 23:30:15");
    expect(lines[7]).toBe(',3,4,66.7,3,2026-11-24,2026-11-24 23:30:15');
    expect(lines[8]).toBe('');
    expect(lines).toHaveLength(9);
  });

  it('quotes separators, quotes and line breaks', () => {
    const t: ExportTable = { name: 'T', columns: [{ key: 's', header: 'Note, with comma', type: 'string' }], rows: [{ s: 'a,b' }, { s: 'say "hi"' }, { s: 'two\nlines' }, { s: 'x;y' }] };
    expect(tableToCsv(t, { timeZone: TZ })).toBe('"Note, with comma"\r\n"a,b"\r\n"say ""hi"""\r\n"two\nlines"\r\n"x;y"\r\n');
  });

  it('writes the header line alone for an empty table', () => {
    expect(tableToCsv(empty, { timeZone: TZ })).toBe('Agent,Calls,Holds per call\r\n');
  });
});
