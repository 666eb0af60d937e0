/**
 * An incremental parser of the FreeSWITCH Event Socket (mod_event_socket) wire format.
 *
 * Every message FreeSWITCH writes is a block of `Name: value` header lines, each ended by `\n`,
 * then a blank line; when the headers carry `Content-Length: N`, exactly N bytes of body follow
 * (mod_event_socket.c: `Content-Type: auth/request\n\n` on connect; `Content-Type: command/reply\n
 * Reply-Text: +OK accepted\n\n`; `Content-Type: api/response\nContent-Length: %d\n\n<body>`;
 * events as `Content-Length: %d\nContent-Type: text/event-plain\n\n<body>`). The body of a
 * `text/event-plain` message is itself headers (`switch_event_serialize()` in switch_event.c:
 * `Name: <url-encoded value>\n` per header, a blank line, and, for an event with a body, a
 * `Content-Length: M\n\n<M bytes>` after the headers).
 *
 * TCP cuts those bytes anywhere (inside a header, inside the length's digits, inside a body, inside
 * a UTF-8 character): the parser keeps unfinished bytes and decodes only whole lines and whole
 * bodies. It never throws: a header line that is not `Name: value` is counted as damaged and
 * skipped; a `Content-Length` that is not a number or is beyond {@link MAX_BODY_BYTES} drops the
 * connection's framing (counted: the caller reconnects); an unfinished message at a reset is counted.
 */

/** Longest header block kept, bytes: far beyond any real outer header block (a handful of lines). */
export const MAX_HEADER_BYTES = 64 * 1024;
/** Largest body accepted, bytes: `show channels as json` of a few thousand calls fits with room. */
export const MAX_BODY_BYTES = 16 * 1024 * 1024;
/** Most headers kept in one event: a CHANNEL_* event with every channel variable carries a few hundred. */
export const MAX_HEADERS = 2_000;

/** Headers looked up without regard to case (`content-type` finds `Content-Type`); the first value of a repeated name wins. */
export class EslHeaders {
  private readonly index = new Map<string, string>();

  constructor(readonly entries: ReadonlyArray<readonly [name: string, value: string]>) {
    for (const [k, v] of entries) {
      const lk = k.toLowerCase();
      if (!this.index.has(lk)) this.index.set(lk, v);
    }
  }

  get(name: string): string | undefined {
    return this.index.get(name.toLowerCase());
  }

  has(name: string): boolean {
    return this.index.has(name.toLowerCase());
  }
}

/** One Event Socket message: its outer headers and its body (bytes decoded as UTF-8), if any. */
export interface EslMessage {
  headers: EslHeaders;
  body: string | undefined;
  /** `Content-Type` (`auth/request`, `command/reply`, `api/response`, `text/event-plain`, `text/disconnect-notice` …). */
  contentType: string | undefined;
}

/** A `text/event-plain` event: its headers with values URL-decoded, and its own body when it has one. */
export interface EslEvent {
  headers: EslHeaders;
  body: string | undefined;
}

export interface EslParseStats {
  /** Messages completed. */
  messages: number;
  /** Header lines that were not `Name: value`, values that were not valid URL encoding, blocks cut at a bound. */
  damaged: number;
  /** Messages left unfinished at a reset (a disconnect mid-message). */
  discardedMessages: number;
}

const LF = 0x0a;

export class EslParser {
  private buf: Buffer = Buffer.alloc(0);
  /** Headers of the message whose body is awaited, and its length. */
  private awaiting: { headers: EslHeaders; length: number } | undefined;
  /** The stream could not be framed (a broken Content-Length): nothing more is read until a reset. */
  private broken = false;
  readonly stats: EslParseStats = { messages: 0, damaged: 0, discardedMessages: 0 };
  /** Set when the framing broke: the caller should drop the connection. */
  get framingLost(): boolean {
    return this.broken;
  }

  /** Forgets a half-received message: call it for every new connection. */
  reset(): void {
    if (this.awaiting || this.buf.some((b) => b !== LF && b !== 0x0d)) this.stats.discardedMessages++;
    this.buf = Buffer.alloc(0);
    this.awaiting = undefined;
    this.broken = false;
  }

  /** Takes the next chunk of bytes and returns the messages it completed, in order. */
  push(chunk: Buffer | string): EslMessage[] {
    if (this.broken) return [];
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    // Copy: the caller's chunk buffer may be reused.
    this.buf = this.buf.length === 0 ? Buffer.from(bytes) : Buffer.concat([this.buf, bytes]);
    const out: EslMessage[] = [];
    for (;;) {
      if (this.awaiting) {
        if (this.buf.length < this.awaiting.length) return out;
        const body = this.buf.subarray(0, this.awaiting.length).toString('utf8');
        this.buf = this.buf.subarray(this.awaiting.length);
        out.push(message(this.awaiting.headers, body));
        this.stats.messages++;
        this.awaiting = undefined;
        continue;
      }
      // Blank lines between messages are skipped.
      let start = 0;
      while (start < this.buf.length && (this.buf[start] === LF || this.buf[start] === 0x0d)) start++;
      if (start > 0) this.buf = this.buf.subarray(start);
      const end = headerEnd(this.buf);
      if (end === -1) {
        if (this.buf.length > MAX_HEADER_BYTES) {
          this.stats.damaged++;
          this.broken = true;
          this.buf = Buffer.alloc(0);
        }
        return out;
      }
      const headers = parseHeaderLines(this.buf.subarray(0, end.at).toString('utf8'), false, this.stats);
      this.buf = this.buf.subarray(end.at + end.len);
      const lengthText = headers.get('Content-Length');
      if (lengthText === undefined) {
        out.push(message(headers, undefined));
        this.stats.messages++;
        continue;
      }
      const length = /^\s*\d+\s*$/.test(lengthText) ? Number(lengthText) : NaN;
      if (!Number.isSafeInteger(length) || length > MAX_BODY_BYTES) {
        // Without a length we cannot tell where the next message starts: nothing after this can be trusted.
        this.stats.damaged++;
        this.broken = true;
        this.buf = Buffer.alloc(0);
        return out;
      }
      this.awaiting = { headers, length };
    }
  }
}

/** Where the header block ends: the first `\n\n` (or `\n\r\n`), as `{ at, len }`, or -1 when not yet received. */
function headerEnd(buf: Buffer): { at: number; len: number } | -1 {
  let from = 0;
  for (;;) {
    const nl = buf.indexOf(LF, from);
    if (nl === -1 || nl + 1 >= buf.length) return -1;
    if (buf[nl + 1] === LF) return { at: nl, len: 2 };
    if (buf[nl + 1] === 0x0d && nl + 2 < buf.length && buf[nl + 2] === LF) return { at: nl, len: 3 };
    if (buf[nl + 1] === 0x0d && nl + 2 >= buf.length) return -1;
    from = nl + 1;
  }
}

function message(headers: EslHeaders, body: string | undefined): EslMessage {
  return { headers, body, contentType: headers.get('Content-Type')?.trim().toLowerCase() };
}

/** `Name: value` lines (`\n` or `\r\n` ended) to headers; `decode` URL-decodes the values (event-plain bodies). */
function parseHeaderLines(text: string, decode: boolean, stats: EslParseStats): EslHeaders {
  const entries: [string, string][] = [];
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === '') continue;
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon).trim() : '';
    if (name === '' || /\s/.test(name) || entries.length >= MAX_HEADERS) {
      stats.damaged++;
      continue;
    }
    let value = line.slice(colon + 1).replace(/^ /, '');
    if (decode) {
      const d = urlDecode(value);
      if (d === undefined) stats.damaged++;
      else value = d;
    }
    entries.push([name, value]);
  }
  return new EslHeaders(entries);
}

/**
 * A value as `switch_url_encode()` wrote it (`%XX` escapes of UTF-8 bytes; FreeSWITCH never writes
 * `+` for a space, so `+` is taken literally), or undefined when the escapes are not valid UTF-8.
 */
export function urlDecode(value: string): string | undefined {
  if (!value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

/**
 * The event inside a `text/event-plain` message's body: its headers URL-decoded and, when the event
 * has a body of its own (`Content-Length: M` after its headers), that body. Damage is counted in `stats`.
 */
export function parseEventPlain(body: string, stats: EslParseStats = { messages: 0, damaged: 0, discardedMessages: 0 }): EslEvent {
  const sep = /\r?\n\r?\n/.exec(body);
  const headText = sep ? body.slice(0, sep.index) : body;
  const rest = sep ? body.slice(sep.index + sep[0].length) : '';
  const headers = parseHeaderLines(headText, true, stats);
  const inner = headers.get('Content-Length');
  return { headers, body: inner !== undefined && rest !== '' ? rest : undefined };
}

/**
 * A command as it goes on the wire: its line and the blank line (`auth <password>\n\n`,
 * `api show channels as json\n\n`). Line breaks inside are replaced, so one command stays one.
 */
export function formatCommand(command: string): string {
  return `${command.replace(/[\r\n]+/g, ' ')}\n\n`;
}
