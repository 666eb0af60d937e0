/**
 * Structured logs through pino: JSON lines when stdout is not a terminal (a
 * service manager, a container, a pipe), pino-pretty's readable lines in a
 * terminal; `--log-format json|pretty` and `--log-level` override.
 *
 * The rest of the server logs through a `Pick<Console, 'info' | 'warn' | 'error'>`
 * ({@link TextLogger}): {@link createLogging} gives one backed by pino, so every
 * existing call site keeps working, and tests keep passing their own.
 *
 * Nothing secret and no caller's number is written, whichever way it arrives:
 * - pino's `redact` paths censor the known fields (credentials, cookies,
 *   passwords, tokens, secrets, caller numbers) of logged objects;
 * - every line is scrubbed once more just before it is written
 *   ({@link scrubLine}): such fields at any depth, `Bearer` credentials,
 *   passwords in URLs, `key=value` secrets and numbers in free text (AMI's
 *   `CallerIDNum: …` too), the caller of a queue_log `ENTERQUEUE` line quoted in a warning,
 *   E.164-looking numbers (`+` and 7–15 digits) and national ones (`0555 123 45 67`) anywhere, and the exact values
 *   of the secrets this process was configured with (environment variables
 *   named like a token, secret or password).
 *
 * HTTP requests are logged by pino-http ({@link requestLogging}) with a request
 * id ({@link requestIds}: a well-formed `X-Request-Id` is kept, else one is
 * made; it is echoed in the response). Static files, pages, health checks,
 * scrapes and accepted ingest batches are logged at debug level only.
 */
import { randomUUID } from 'node:crypto';
import { format } from 'node:util';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { pino, type DestinationStream, type Level, type Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import pretty from 'pino-pretty';

/** What the server's modules log through (console-shaped, so tests can pass their own). */
export type TextLogger = Pick<Console, 'info' | 'warn' | 'error'>;

export type LogFormat = 'json' | 'pretty';

/** The levels `--log-level` takes, most verbose first. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Replaces every value redacted from a log line. */
export const REDACTED = '[redacted]';

/** Replaces a caller's number found in free text. */
export const REDACTED_NUMBER = '[number]';

/**
 * Field names whose values are never logged, matched case-insensitively at any depth:
 * credentials (anything named like a password, secret, token, key, cookie or authorization, and the
 * kiosk token of a wallboard URL) and callers' numbers (`caller`, `callerId`, `callerIdNum`,
 * `phone`, `number`, `to` of an outbound call is matched by value: see {@link E164}).
 */
const SECRET_KEY = /^(?:.*(?:password|passwd|secret|token|authorization|cookie|api[-_]?key|credential)s?|kiosk|code_verifier|session|sid|caller|caller[-_]?(?:id|id[-_]?num|number|num|name)|connected[-_]?line[-_]?num|phone(?:[-_]?number)?|msisdn|number)$/i;

/** Paths pino's `redact` censors (the known shapes; {@link scrubLine} covers any depth). */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-floorwatch-token"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'password',
  'secret',
  'token',
  'clientSecret',
  'caller',
  'callerId',
  'phone',
  'number',
  '*.password',
  '*.secret',
  '*.token',
  '*.clientSecret',
  '*.caller',
  '*.callerId',
  '*.phone',
  '*.number',
  '*.*.password',
  '*.*.secret',
  '*.*.caller',
];

/**
 * An E.164-looking number in free text: `+`, a non-zero digit, then 6–14 more digits, optionally
 * grouped by single spaces, dots or dashes (ITU-T E.164: at most 15 digits). Not preceded by a
 * letter, digit or `+` (so `1e+21` and time-zone offsets such as `+03:00` are left alone).
 */
const E164 = /(?<![\w+])\+[1-9](?:[ .-]?\d){6,14}(?!\d)/g;

/**
 * A national phone number in free text, written without the `+` and country code ({@link E164}'s
 * job): with the trunk `0` and 10–11 digits in all, together (`05551234567`, `02125551234`) or
 * grouped by single spaces, dots or dashes, the area code in brackets or not (`0 555 123 45 67`,
 * `0555 123 45 67`, `0555-123-4567`, `(0555) 123 45 67`, `0 (555) 123 45 67`; never a dot right
 * after the `0`, a decimal); a mobile number without the `0` (`5` and 9 more digits: `5551234567`,
 * `555 123 45 67`, `(555) 123 45 67`, as Turkish ones are written; ITU-T E.164 national
 * significant number, Turkish numbering plan). Ordinary numbers stay: not inside a word or a
 * longer number, not after `.`, `:`, `/`, `-` or `+` (decimals, times, dates, ports, paths,
 * `1e+21`), not before a letter or a digit joined by `.`, `:` or `-`; the forms without the `0`
 * neither after `,` or `[` nor before `,` and a digit (a JSON number member or array; one with
 * the `0` is never a JSON number). So ids, ports, durations, epoch seconds (`1…` until 2033) and
 * milliseconds (13 digits) are left alone; a bare 10-digit count starting with 5 in free text
 * (5 GB in bytes) reads as a number and is hidden, the safe side.
 */
const NATIONAL = /(?<![\w+.:/-])(?:0[1-9]\d{8,9}|0[ -]?\(?[1-9]\d{2}\)?[ .-]?\d{3}[ .-]?(?:\d{2}[ .-]?\d{2}|\d{4})|\(0[1-9]\d{2}\)[ .-]?\d{3}[ .-]?(?:\d{2}[ .-]?\d{2}|\d{4}))(?![\w(]|[.:-]?\d)|(?<![\w+.:,[/-])(?:5\d{9}|\(?5\d{2}\)?[ .-]\d{3}[ .-](?:\d{2}[ .-]\d{2}|\d{4}))(?![\w(]|[.:,-]?\d)/g;

/** `Bearer <credential>` in free text (an Authorization header echoed in a message); a credential has a digit or a symbol, a word ("bearer token") is not one. */
const BEARER = /\b(Bearer\s+)(?=[A-Za-z]*[0-9._~+/=-])[A-Za-z0-9._~+/=-]{6,}/gi;

/** A password inside a URL: `scheme://user:password@host`. */
const URL_PASSWORD = /([a-z][a-z0-9+.-]*:\/\/[^\s/@:"\\]*):([^\s/@"\\]+)@/gi;

/** `key=value` or `key: value` in free text (query strings, PBX lines) with a key named like a credential or a number. */
const KEY_VALUE = /\b(password|passwd|secret|client[-_]?secret|token|access[-_]?token|id[-_]?token|refresh[-_]?token|api[-_]?key|kiosk|caller(?:[-_]?id(?:[-_]?num)?|[-_]?number)?|\w*callerid\w*|\w*connectedlinenum|phone(?:[-_]?number)?)(\s*[=:]\s*)(?!\[)(\+?\d[\d .()-]*\d|[^\s"\\&,;|)]+)/gi;

/**
 * The caller's number in a queue_log line quoted in free text (a damaged line named in a warning):
 * `time|callid|queue|agent|ENTERQUEUE|url|callerid|position`, data2 of ENTERQUEUE.
 */
const QUEUE_LOG_CALLER = /(\|ENTERQUEUE\|[^|"\\\n]*\|)([^|"\\\n]+)/g;

/**
 * A JSON member `"key":value` whose value is a string, a number, or an array of those: its value
 * is replaced when the key is a {@link SECRET_KEY}.
 */
const JSON_MEMBER = /"([^"\\]{1,64})":("(?:[^"\\]|\\.)*"|-?\d[\d.eE+-]*|\[(?:[^[\]{}"\\]|"(?:[^"\\]|\\.)*")*\])/g;

/** Secrets shorter than this are not scrubbed by value (they would match ordinary words and numbers). */
const MIN_SECRET_CHARS = 6;

/**
 * The values of the secrets this process was given: every environment variable named like a
 * token, secret or password (comma-separated lists split), e.g. `FLOORWATCH_INGEST_TOKENS`,
 * `FLOORWATCH_AMI_SECRET`, the OpenID Connect client secret, SMTP passwords, webhook secrets.
 */
export function secretsFromEnv(env: NodeJS.ProcessEnv): string[] {
  const out = new Set<string>();
  for (const [name, value] of Object.entries(env)) {
    if (!value || !/(TOKEN|SECRET|PASSWORD|PASSWD|PASS$|API_?KEY|CREDENTIAL)/i.test(name)) continue;
    for (const part of [value, ...value.split(',')]) {
      const v = part.trim();
      if (v.length >= MIN_SECRET_CHARS) out.add(v);
    }
  }
  return [...out];
}

/** Escapes a string for a RegExp. */
function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/**
 * Scrubs one piece of text (a message, or a whole JSON log line): known secret values, `Bearer`
 * credentials, URL passwords, `key=value` credentials and numbers, E.164-looking and national numbers, and, in
 * JSON, the values of members named like a credential or a number. Valid JSON stays valid JSON
 * (only whole values or runs of characters that need no escaping are replaced).
 */
export function scrubLine(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const s of secrets) {
    if (!out.includes(s) && !out.includes(JSON.stringify(s).slice(1, -1))) continue;
    out = out.replace(new RegExp(escapeRe(s), 'g'), REDACTED);
    const escaped = JSON.stringify(s).slice(1, -1);
    if (escaped !== s) out = out.replace(new RegExp(escapeRe(escaped), 'g'), REDACTED);
  }
  out = out.replace(JSON_MEMBER, (m, key: string) => (SECRET_KEY.test(key) && !/^"\[(redacted|number)\]"$/.test(m.slice(key.length + 3)) ? `"${key}":"${REDACTED}"` : m));
  out = out.replace(BEARER, `$1${REDACTED}`);
  out = out.replace(URL_PASSWORD, `$1:${REDACTED}@`);
  out = out.replace(KEY_VALUE, `$1$2${REDACTED}`);
  out = out.replace(QUEUE_LOG_CALLER, `$1${REDACTED_NUMBER}`);
  out = out.replace(E164, REDACTED_NUMBER);
  out = out.replace(NATIONAL, REDACTED_NUMBER);
  return out;
}

/** Options of {@link createLogging}. */
export interface LoggingOptions {
  /** `json` (one JSON object a line) or `pretty` (pino-pretty); default: pretty when the destination is a terminal. */
  format?: LogFormat;
  /** Lowest level written (default `info`). */
  level?: LogLevel;
  /** Where lines go (default: stdout). Tests pass a stream to read them back. */
  destination?: DestinationStream & { isTTY?: boolean };
  /** Secret values scrubbed from every line wherever they appear (see {@link secretsFromEnv}). */
  secrets?: readonly string[];
}

/** The structured logger, and the console-shaped one the server's modules take. */
export interface Logging {
  pino: Logger;
  logger: TextLogger;
  format: LogFormat;
}

/** Parses `--log-format`; undefined when absent. Throws on anything but json or pretty. */
export function parseLogFormat(v: string | undefined): LogFormat | undefined {
  if (v === undefined || v === '') return undefined;
  if (v === 'json' || v === 'pretty') return v;
  throw new Error(`--log-format: expected json or pretty, got "${v}"`);
}

/** Parses `--log-level` (default `info`). Throws on an unknown level. */
export function parseLogLevel(v: string | undefined): LogLevel {
  if (v === undefined || v === '') return 'info';
  const l = v.toLowerCase();
  if ((LOG_LEVELS as readonly string[]).includes(l)) return l as LogLevel;
  throw new Error(`--log-level: expected one of ${LOG_LEVELS.join(', ')}, got "${v}"`);
}

/**
 * Makes the process's logger. JSON lines carry `level` as a name (`"level":"info"`), `time` as
 * ISO-8601 and `msg`; pretty lines show the local time and drop pid and host name.
 */
export function createLogging(o: LoggingOptions = {}): Logging {
  const destination = o.destination ?? pino.destination({ dest: 1, sync: true });
  const isTTY = o.destination ? o.destination.isTTY === true : process.stdout.isTTY === true;
  const fmt: LogFormat = o.format ?? (isTTY ? 'pretty' : 'json');
  const secrets = [...new Set(o.secrets ?? [])].filter((s) => s.length >= MIN_SECRET_CHARS).sort((a, b) => b.length - a.length);
  const stream: DestinationStream =
    fmt === 'pretty'
      ? pretty({ destination: destination as unknown as NodeJS.WritableStream, colorize: isTTY, sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' })
      : destination;
  const p = pino(
    {
      level: o.level ?? 'info',
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT_PATHS, censor: REDACTED },
      hooks: {
        // The last word before a line is written: whatever a message or an object carried.
        streamWrite: (line) => scrubLine(line, secrets),
      },
    },
    stream,
  );
  return { pino: p, logger: textLogger(p), format: fmt };
}

/**
 * A console-shaped logger writing to pino: `info('text')` logs the text; several arguments are
 * joined as console would (`util.format`); an Error among them is logged as `err` too; a lone
 * plain object is logged as fields.
 */
export function textLogger(p: Logger): TextLogger {
  const at = (level: Level) => (...args: unknown[]) => {
    if (args.length === 1 && args[0] !== null && typeof args[0] === 'object' && !(args[0] instanceof Error)) return p[level](args[0] as object);
    const err = args.find((a): a is Error => a instanceof Error);
    // An Error's stack goes in `err`, its message in the text.
    const msg = format(...args.map((a) => (a instanceof Error ? a.message : a)));
    if (err) p[level]({ err }, msg);
    else p[level](msg);
  };
  return { info: at('info'), warn: at('warn'), error: at('error') };
}

/** A request id a client or proxy may set: 1–128 characters of letters, digits and `._:-`. */
const REQUEST_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** The request's id (set by {@link requestIds}), for log lines about it. */
export function requestIdOf(req: IncomingMessage): string | undefined {
  const id = (req as { id?: unknown }).id;
  return typeof id === 'string' ? id : undefined;
}

/**
 * Gives every request an id: the client's (or proxy's) `X-Request-Id` when well-formed, else a new
 * UUID; echoed in the response's `X-Request-Id`, and found by {@link requestIdOf}.
 */
export function requestIds(): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const given = req.headers['x-request-id'];
    const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    (req as { id?: string }).id = id;
    res.setHeader('X-Request-Id', id);
    next();
  };
}

/** Query parameters whose values are never logged (credentials a URL may carry). */
const SECRET_QUERY = /^(kiosk|token|access_token|id_token|code|state|session_state|password|secret|key|sig|signature)$/i;

/** A request's path and query as logged: credentials in the query replaced (see {@link SECRET_QUERY}). */
export function loggedUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = new URLSearchParams(url.slice(q + 1));
  const out: string[] = [];
  for (const [k, v] of params) out.push(`${encodeURIComponent(k)}=${SECRET_QUERY.test(k) ? REDACTED : encodeURIComponent(v)}`);
  return `${url.slice(0, q)}?${out.join('&')}`;
}

/** Requests whose success is logged at debug level only: static files and pages, health checks, scrapes, accepted ingest batches. */
function quiet(req: IncomingMessage): boolean {
  const path = ((req as { originalUrl?: string }).originalUrl ?? req.url ?? '/').split('?')[0];
  if (path === '/api/events' && req.method === 'POST') return true;
  return !path.startsWith('/api/');
}

/** pino-http's stand-in when a request fails without an Error (`failed with status code 503`): its stack is pino-http's own, never logged. */
const SYNTHETIC_ERROR = /^failed with status code \d+$/;

/** Marks a response as an expected answer (see {@link markExpectedAnswer}). */
const EXPECTED_ANSWER = Symbol('floorwatch.expectedAnswer');

/**
 * Marks a response whose 5xx status is an expected answer, not a server fault (a supervisor action
 * answered "unavailable" 503 or "no answer in time" 504 by the PBX): {@link requestLogLevel} logs
 * it at warn, not error. Call it before the answer is sent; a thrown error is still logged at error.
 */
export function markExpectedAnswer(res: ServerResponse): void {
  (res as ServerResponse & { [EXPECTED_ANSWER]?: boolean })[EXPECTED_ANSWER] = true;
}

/**
 * The level of a request's log line: a real error thrown while answering, or an unexpected 5xx
 * (500, 504 …) at error; an expected refusal at warn, without a stack: a 503 with `Retry-After`
 * (the start-up replay, a graceful stop, a busy or failed report worker, the event log refusing
 * writes), a 502 (the identity provider unreachable) and a 5xx marked by {@link markExpectedAnswer}
 * (supervisor actions unavailable or unanswered by the PBX); 429 at warn; other 4xx at info; quiet
 * successes ({@link quiet}) at debug; the rest at info.
 */
export function requestLogLevel(req: IncomingMessage, res: ServerResponse, err?: Error): Level | 'silent' {
  const status = res.statusCode;
  if (err && !SYNTHETIC_ERROR.test(err.message)) return 'error';
  if (status === 503 && res.getHeader('Retry-After') !== undefined) return 'warn';
  if (status >= 500 && (res as ServerResponse & { [EXPECTED_ANSWER]?: boolean })[EXPECTED_ANSWER] === true) return 'warn';
  if (status === 502) return 'warn';
  if (status >= 500) return 'error';
  if (status === 429) return 'warn';
  if (status >= 400) return 'info';
  return quiet(req) ? 'debug' : 'info';
}

/** The path and query of a request as logged (express's `originalUrl` when mounted under a path). */
function urlOf(req: IncomingMessage): string {
  return loggedUrl((req as { originalUrl?: string }).originalUrl ?? req.url ?? '/');
}

/**
 * Logs every HTTP request once it is answered, through pino-http, with its request id (from
 * {@link requestIds}, mounted before it): method, path (credentials in the query redacted), status,
 * time, the client's address (`remoteAddress`: express's `req.ip`, so behind a trusted proxy the
 * address from X-Forwarded-For) and the socket's peer (`peer`). Levels: {@link requestLogLevel};
 * an Error is logged (`err`, with its stack) only when one was really thrown, never pino-http's
 * stand-in for a 5xx. Headers and bodies are not logged. Mount it after express's `trust proxy`
 * is set.
 */
export function requestLogging(p: Logger): RequestHandler {
  const handler = pinoHttp({
    logger: p,
    genReqId: (req: IncomingMessage) => requestIdOf(req) ?? randomUUID(),
    quietReqLogger: true,
    customAttributeKeys: { reqId: 'reqId' },
    customLogLevel: requestLogLevel,
    customSuccessMessage: (req: IncomingMessage, res: ServerResponse, ms: number) => `${req.method} ${urlOf(req)} ${res.statusCode} ${ms} ms`,
    customErrorMessage: (req: IncomingMessage, res: ServerResponse, err: Error) => `${req.method} ${urlOf(req)} ${res.statusCode}${SYNTHETIC_ERROR.test(err.message) ? '' : `: ${err.message}`}`,
    // pino-http makes an Error for every 5xx: its stack says nothing about the request, so only a thrown one is kept.
    customErrorObject: (_req: IncomingMessage, _res: ServerResponse, err: Error, val: Record<string, unknown>) => {
      if (!SYNTHETIC_ERROR.test(err.message)) return val;
      const { err: _synthetic, ...rest } = val;
      void _synthetic;
      return rest;
    },
    serializers: {
      req: (req: { method?: string; url?: string; remoteAddress?: string; raw?: IncomingMessage }) => {
        const raw = req.raw as (IncomingMessage & { originalUrl?: string; ip?: string }) | undefined;
        const ip = raw?.ip;
        return {
          method: req.method,
          url: loggedUrl((raw?.originalUrl ?? req.url) || '/'),
          remoteAddress: ip ?? req.remoteAddress,
          ...(ip !== undefined && ip !== req.remoteAddress ? { peer: req.remoteAddress } : {}),
        };
      },
      res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
    },
  });
  return handler as unknown as RequestHandler;
}
