/**
 * An incremental parser of the Asterisk Manager Interface wire format.
 *
 * On connect Asterisk writes one banner line (`Asterisk Call Manager/5.0.1`),
 * then every response and event is a block of `Key: Value` lines ended by a
 * blank line, each line ended by `\r\n`. TCP hands us those bytes in chunks
 * cut anywhere: inside a key, inside a value, between the `\r` and the `\n`,
 * inside a multi-byte UTF-8 character. The parser keeps the unfinished line as
 * bytes and decodes only whole lines, so none of those cuts matter.
 *
 * It is lenient where real servers and proxies are sloppy (`\n` alone ends a
 * line too, blank lines between messages are ignored) and never throws: a
 * line that is not `Key: Value` is counted as damaged and skipped, and an
 * over-long line or message is cut off at a bound so a broken peer cannot
 * make us buffer without end.
 */

/** Longest line kept: far beyond any real AMI header (channel variables included). */
export const MAX_LINE_BYTES = 64 * 1024;
/** Most fields kept in one message: real events carry 20–60, plus channel variables. */
export const MAX_FIELDS = 1_000;

const LF = 0x0a;
const BANNER = /^Asterisk Call Manager\//i;

/** One AMI message (a response or an event): its fields in the order received. */
export class AmiMessage {
  /** Lower-cased key → indexes in `fields`, for case-insensitive lookups. */
  private readonly index = new Map<string, number[]>();

  constructor(readonly fields: ReadonlyArray<readonly [key: string, value: string]>) {
    fields.forEach(([k], i) => {
      const lk = k.toLowerCase();
      const at = this.index.get(lk);
      if (at) at.push(i);
      else this.index.set(lk, [i]);
    });
  }

  /** The first value of a key, looked up without regard to case (`uniqueid` finds `Uniqueid`). */
  get(key: string): string | undefined {
    const at = this.index.get(key.toLowerCase());
    return at ? this.fields[at[0]][1] : undefined;
  }

  /** Every value of a key that may repeat (`ChanVariable`), in order. */
  all(key: string): string[] {
    return (this.index.get(key.toLowerCase()) ?? []).map((i) => this.fields[i][1]);
  }

  has(key: string): boolean {
    return this.index.has(key.toLowerCase());
  }

  /** `Event` value of an event, undefined for a response. */
  get event(): string | undefined {
    return this.get('Event');
  }

  /** `Response` value of a response (`Success`, `Error`, `Goodbye`…), undefined for an event. */
  get response(): string | undefined {
    return this.get('Response');
  }
}

export type AmiFrame = { kind: 'banner'; text: string } | { kind: 'message'; message: AmiMessage };

export interface AmiParseStats {
  /** Messages completed (responses and events). */
  messages: number;
  /** Lines that were not `Key: Value`, or were cut at a bound; skipped. */
  damagedLines: number;
  /** Messages left unfinished when the connection was reset (a disconnect mid-message). */
  discardedMessages: number;
  /** The last banner seen, e.g. `Asterisk Call Manager/5.0.1`. */
  banner: string | undefined;
}

export class AmiParser {
  private partial: Buffer = Buffer.alloc(0);
  /** The current line grew past MAX_LINE_BYTES: drop bytes until its end. */
  private skippingLongLine = false;
  private fields: [string, string][] = [];
  private expectBanner = true;
  readonly stats: AmiParseStats = { messages: 0, damagedLines: 0, discardedMessages: 0, banner: undefined };
  /** The first damaged lines, for a log that stays short. */
  readonly damagedSamples: string[] = [];

  /** Forgets a half-received line or message: call it for every new connection. */
  reset(): void {
    if (this.fields.length > 0 || this.partial.length > 0) this.stats.discardedMessages++;
    this.partial = Buffer.alloc(0);
    this.skippingLongLine = false;
    this.fields = [];
    this.expectBanner = true;
  }

  /** Takes the next chunk of bytes and returns the frames it completed, in order. */
  push(chunk: Buffer | string): AmiFrame[] {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    const out: AmiFrame[] = [];
    let start = 0;
    for (;;) {
      const nl = bytes.indexOf(LF, start);
      if (nl === -1) {
        this.keepPartial(bytes.subarray(start));
        return out;
      }
      let line: Buffer = bytes.subarray(start, nl);
      start = nl + 1;
      if (this.skippingLongLine) {
        this.skippingLongLine = false;
        this.partial = Buffer.alloc(0);
        continue;
      }
      if (this.partial.length > 0) {
        line = Buffer.concat([this.partial, line]);
        this.partial = Buffer.alloc(0);
      }
      if (line.length > 0 && line[line.length - 1] === 0x0d) line = line.subarray(0, line.length - 1);
      this.line(line.toString('utf8'), out);
    }
  }

  private keepPartial(rest: Buffer): void {
    if (rest.length === 0 || this.skippingLongLine) return;
    if (this.partial.length + rest.length > MAX_LINE_BYTES) {
      this.damaged(`line longer than ${MAX_LINE_BYTES} bytes`);
      this.partial = Buffer.alloc(0);
      this.skippingLongLine = true;
      return;
    }
    // Copy: the caller's chunk buffer may be reused.
    this.partial = Buffer.concat([this.partial, rest]);
  }

  private line(text: string, out: AmiFrame[]): void {
    if (this.expectBanner) {
      this.expectBanner = false;
      // The banner is one line with no blank line after it. A peer without one starts with a message.
      if (BANNER.test(text) || (text !== '' && !text.includes(':'))) {
        this.stats.banner = text;
        out.push({ kind: 'banner', text });
        return;
      }
    }
    if (text === '' || text.trim() === '') {
      if (this.fields.length === 0) return; // blank lines between messages
      this.stats.messages++;
      out.push({ kind: 'message', message: new AmiMessage(this.fields) });
      this.fields = [];
      return;
    }
    const colon = text.indexOf(':');
    if (colon <= 0) {
      this.damaged(`not "Key: Value": ${clip(text)}`);
      return;
    }
    if (this.fields.length >= MAX_FIELDS) {
      this.damaged(`more than ${MAX_FIELDS} fields in one message`);
      return;
    }
    const key = text.slice(0, colon).trim();
    if (key === '' || /\s/.test(key)) {
      this.damaged(`not "Key: Value": ${clip(text)}`);
      return;
    }
    this.fields.push([key, text.slice(colon + 1).replace(/^ /, '').trimEnd()]);
  }

  private damaged(reason: string): void {
    this.stats.damagedLines++;
    if (this.damagedSamples.length < 20) this.damagedSamples.push(reason);
  }
}

/** Builds one action as it goes on the wire: `Key: Value\r\n` lines and the blank line. */
export function formatAction(fields: Record<string, string>): string {
  let s = '';
  for (const [k, v] of Object.entries(fields)) s += `${k}: ${v.replace(/[\r\n]+/g, ' ')}\r\n`;
  return `${s}\r\n`;
}

function clip(s: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = s.replace(/[\u0000-\u001f\u007f]/g, '?');
  return clean.length > 40 ? `${clean.slice(0, 40)}…` : clean;
}
