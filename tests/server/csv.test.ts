/**
 * CSV exports: written by csv-stringify, quoted where needed, and no cell (nor any
 * field start inside one, for Excel in `;`-list locales such as Turkish and
 * Estonian) that a spreadsheet would run as a formula.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { csvField, defuseFormulas, toCsv } from '../../server/context.ts';
import { ev, postEvents, startHarness, type Harness } from './harness.ts';

/** The value from issue 13: Excel with `;` as list separator ran `=1+1`. */
const ISSUE_VALUE = 'x;=1+1;y';

/** A strict RFC 4180 reader (what Excel in a `,` locale and every CSV library do). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  if (field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/**
 * How a reader that splits at any of `,` `;` tab or a line break sees the cells
 * (Excel opening our file with `;` as its list separator, quotes or not): none
 * may start, after blanks and an opening quote, with a formula character.
 * Plain numbers are values, not formulas.
 */
function formulaCells(text: string): string[] {
  return text
    .split(/[,;\t\r\n]/)
    .map((p) => p.replace(/^[\s"]+/, ''))
    .filter((p) => /^[=+\-@\uFF1D\uFF0B\uFF0D\uFF20]/.test(p) && !/^-?\d+(\.\d+)?"?$/.test(p));
}

describe('csv fields', () => {
  it("defuses the issue's value for semicolon-list locales and still reads back in comma ones", () => {
    const csv = toCsv(['name'], [[ISSUE_VALUE]]);
    expect(csv).toBe(`name\r\n"x;'=1+1;y"\r\n`);
    expect(formulaCells(csv)).toEqual([]);
    expect(parseCsv(csv)).toEqual([['name'], ["x;'=1+1;y"]]);
  });

  it.each([
    ['=1+1', "'=1+1"],
    ['+44 20 7946 0000', "'+44 20 7946 0000"],
    ['-2+3', "'-2+3"],
    ['@SUM(A1:A9)', "'@SUM(A1:A9)"],
    ['\t=1', "'\t'=1"],
    ['\tplain', "'\tplain"],
    ['\r=1', "\"'\r'=1\""],
    ['  =HYPERLINK("http://x")', `"'  =HYPERLINK(""http://x"")"`],
    ['a, =b', `"a,' =b"`],
    ['a;-b;c', `"a;'-b;c"`],
    ['one\n=two', `"one\n'=two"`],
    ['\uFF1D1+1', "'\uFF1D1+1"],
    ['Ann, the "best"', '"Ann, the ""best"""'],
    ['ok;fine', '"ok;fine"'],
    ['a-b=c', 'a-b=c'],
    ['x=1', 'x=1'],
    ['plain', 'plain'],
  ])('%j is written %j', (value, written) => {
    expect(csvField(value)).toBe(written);
    expect(formulaCells(csvField(value))).toEqual([]);
    expect(parseCsv(csvField(value) + '\r\n')[0][0]).toBe(written.startsWith('"') ? written.slice(1, -1).replace(/""/g, '"') : written);
  });

  it('writes numbers, empty values, booleans and objects', () => {
    expect(csvField(-5)).toBe('-5');
    expect(csvField(3.5)).toBe('3.5');
    expect(csvField(null)).toBe('');
    expect(csvField(undefined)).toBe('');
    expect(csvField(true)).toBe('true');
    expect(csvField({ note: ISSUE_VALUE })).toBe(`"{""note"":""x;'=1+1;y""}"`);
    expect(defuseFormulas('=a;=b,@c')).toBe("'=a;'=b,'@c");
  });
});

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function signIn(username: string, password: string): Promise<string> {
  const res = await fetch(`${h!.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  expect(res.status).toBe(200);
  return (res.headers.get('set-cookie') ?? '').split(';')[0];
}

async function getText(path: string, cookie: string): Promise<string> {
  const res = await fetch(`${h!.url}${path}`, { headers: { cookie }, signal: AbortSignal.timeout(5_000) });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
  return res.text();
}

describe('CSV exports over HTTP', () => {
  it('agents.csv and queues.csv defuse names, teams and ids', { timeout: 15_000 }, async () => {
    h = await startHarness();
    await h.auth.createUser({ username: 'sue', password: 'supervisor-pass-1', role: 'supervisor' }, h.clock.now());
    await postEvents(h, [
      ev.agent('=A1', 'available', 0, { name: ISSUE_VALUE, team: '@team' }),
      ev.agent('B', 'available', 0, { name: '+1 (555) 0100', team: 'ok;team' }),
      ev.queued('c1', '-q;=cmd|" /C calc"!A0', 1),
      ev.ringing('c1', 'B', 2),
      ev.answered('c1', 'B', 3),
      ev.ended('c1', 60),
    ]);
    const cookie = await signIn('sue', 'supervisor-pass-1');
    const agents = await getText('/api/export/agents.csv', cookie);
    expect(formulaCells(agents)).toEqual([]);
    const rows = parseCsv(agents);
    expect(rows[0][0]).toBe('agent_id');
    const byId = new Map(rows.slice(1).map((r) => [r[0], r]));
    expect(byId.get("'=A1")?.slice(1, 3)).toEqual(["x;'=1+1;y", "'@team"]);
    expect(byId.get('B')?.slice(1, 3)).toEqual(["'+1 (555) 0100", 'ok;team']);
    const queues = await getText('/api/export/queues.csv', cookie);
    expect(formulaCells(queues)).toEqual([]);
    expect(parseCsv(queues)[1].slice(0, 3)).toEqual(["'-q;'=cmd|\" /C calc\"!A0", '1', '1']);
  });

  it('the audit CSV defuses actors and the before/after JSON', { timeout: 15_000 }, async () => {
    h = await startHarness();
    await h.auth.createUser({ username: 'admin', password: 'admin-password-1', role: 'admin' }, h.clock.now());
    await h.log.appendAudit({ atMs: h.clock.now(), actor: '=evil', action: 'alert.acknowledge', before: null, after: { ack: { note: ISSUE_VALUE } } });
    const cookie = await signIn('admin', 'admin-password-1');
    const csv = await getText('/api/admin/audit?format=csv', cookie);
    expect(csv.split('\r\n')[0]).toBe('at,actor,action,before,after');
    expect(formulaCells(csv)).toEqual([]);
    const row = parseCsv(csv).find((r) => r[2] === 'alert.acknowledge');
    expect(row?.[1]).toBe("'=evil");
    expect(JSON.parse(row![4].replace(/;'=/g, ';='))).toEqual({ ack: { note: ISSUE_VALUE } });
  });
});
