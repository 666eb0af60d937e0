/** What route modules get from `createServer`: no globals, everything passed in. */
import type { Express, NextFunction, Request, Response } from 'express';
import { stringify, type Options as StringifyOptions } from 'csv-stringify/sync';
import type { FloorConfig } from '../shared/config.ts';
import type { FloorEvent } from '../shared/events.ts';
import type { FloorState } from '../shared/state.ts';
import type { AuthStore } from './auth/store.ts';
import type { Principal } from './auth/principal.ts';
import type { LogStore } from './log/store.ts';
import type { LiveHub } from './live.ts';
import type { ReportService } from './report-cache.ts';

/** `Omit` that keeps a union a union: one new-event shape per event type. */
export type NewEvent = FloorEvent extends unknown ? (FloorEvent extends infer E ? (E extends FloorEvent ? Omit<E, 'id' | 'at'> : never) : never) : never;

export type Middleware = (req: Request, res: Response, next: NextFunction) => unknown;

export interface RouteContext {
  app: Express;
  auth: AuthStore;
  log: LogStore;
  clock: { now(): number };
  logger: Pick<Console, 'info' | 'warn' | 'error'>;
  principalOf: (req: Request) => Principal | undefined;
  requireSupervisor: Middleware;
  requireAdmin: Middleware;
  record: (events: NewEvent[]) => Promise<FloorEvent[]>;
  state: () => FloorState;
  hub: LiveHub;
  engineNow: () => number;
  secureCookies: boolean;
  setConfig: (config: FloorConfig, actor: string) => Promise<void>;
  /** Past days' reports: built on a worker thread, cached per closed day. */
  reports: ReportService;
}

/** The principal a `require…` middleware put on the response. */
/** A role with its article, for messages: "an agent", "a supervisor", "an admin". */
export function anA(role: string): string {
  return `${/^[aeiou]/i.test(role) ? 'an' : 'a'} ${role}`;
}

export function actor(res: Response): Principal {
  return res.locals.principal as Principal;
}

/**
 * Spreadsheet formula defusing (CSV injection), after OWASP's guidance
 * (https://owasp.org/www-community/attacks/CSV_Injection): a cell must not
 * begin with = + - @ tab or CR, and a single quote before it makes Excel and
 * LibreOffice show the text instead of running it. OWASP also warns that the
 * field separator may start a new cell: Excel in locales whose list separator
 * is `;` (Turkish, Estonian, German…) splits our comma-separated lines at `;`
 * and ignores the quoting, so `x;=1+1;y` would hand it a cell `=1+1`. Hence a
 * quote goes in front of every field start inside a cell as well: at its
 * beginning and after each `,` `;` tab or line break, when the next visible
 * character (after spaces) is one of = + - @ (or their full-width forms);
 * a cell that begins with a tab or CR gets one too.
 */
const FORMULA_AT_START = /^(?:[ \t\r\n\u3000]*[=+\-@\uFF1D\uFF0B\uFF0D\uFF20]|[\t\r])/;
const FORMULA_AFTER_SEPARATOR = /([,;\t\r\n])(?=[ \t\r\n\u3000]*[=+\-@\uFF1D\uFF0B\uFF0D\uFF20])/g;

/** A text cell with every formula start defused (see {@link FORMULA_AT_START}). */
export function defuseFormulas(s: string): string {
  const inner = s.replace(FORMULA_AFTER_SEPARATOR, "$1'");
  return FORMULA_AT_START.test(s) ? `'${inner}` : inner;
}

/** Fields quoted besides the library's own rule (separator, quote, the record delimiter): `;`, a lone CR or LF, and a leading or trailing space, which some readers split or trim. */
const QUOTE_ALSO = [/[;\r\n]/, /^\s|\s$/];

const CSV_OPTIONS: StringifyOptions = {
  record_delimiter: '\r\n',
  quoted_match: QUOTE_ALSO,
  cast: {
    string: (v) => defuseFormulas(v),
    // Numbers are written as numbers (a negative one is a value, not a formula).
    number: (v) => String(v),
    bigint: (v) => String(v),
    boolean: (v) => (v ? 'true' : 'false'),
    date: (v) => v.toISOString(),
    object: (v) => defuseFormulas(JSON.stringify(v)),
  },
};

/** One CSV field as {@link toCsv} writes it: quoted when needed, formulas defused. */
export function csvField(v: unknown): string {
  return stringify([[v]], { ...CSV_OPTIONS, record_delimiter: '\n' }).replace(/\n$/, '');
}

/** A CSV file (RFC 4180, CRLF lines) written by csv-stringify, every text cell defused against formulas. */
export function toCsv(header: string[], rows: unknown[][]): string {
  return stringify([header, ...rows], CSV_OPTIONS);
}
