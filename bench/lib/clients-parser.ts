/**
 * A socket.io wire parser for the benchmark's clients (socket.io-client's
 * `parser` option), compatible with the server's default one for text
 * packets. It differs in one way: the payloads of `live:delta` and
 * `live:snapshot` are handed over as their raw JSON text, not parsed.
 *
 * Why: the benchmark's thousands of clients share a small machine with the
 * server they measure. Parsing every delta in every client would spend most
 * of its CPU on the load generator (a real dashboard parses on its own
 * machine); scanning the text for the send-time marker costs a fraction.
 * Connects, errors, acks and every other event decode as usual.
 */
import { EventEmitter } from 'node:events';

/** socket.io protocol 5 packet types. */
const CONNECT = 0;
const CONNECT_ERROR = 4;

export interface WirePacket {
  type: number;
  nsp: string;
  data?: unknown;
  id?: number;
}

/** Events whose payload stays text. */
const RAW_EVENTS = ['live:delta', 'live:snapshot'];

export class Encoder {
  encode(p: WirePacket): string[] {
    let s = String(p.type);
    if (p.nsp && p.nsp !== '/') s += `${p.nsp},`;
    if (p.id !== undefined) s += String(p.id);
    if (p.data !== undefined) s += JSON.stringify(p.data);
    return [s];
  }
}

export class Decoder extends EventEmitter {
  add(chunk: unknown): void {
    if (typeof chunk !== 'string') throw new Error('binary packets are not used by the benchmark');
    const type = Number(chunk.charAt(0));
    if (!Number.isInteger(type) || type < 0 || type > 4) throw new Error(`unknown packet type ${chunk.charAt(0)}`);
    let i = 1;
    let nsp = '/';
    if (chunk.charAt(i) === '/') {
      const comma = chunk.indexOf(',', i);
      const end = comma < 0 ? chunk.length : comma;
      nsp = chunk.slice(i, end);
      i = comma < 0 ? end : end + 1;
    }
    let id: number | undefined;
    let j = i;
    while (j < chunk.length && chunk.charCodeAt(j) >= 48 && chunk.charCodeAt(j) <= 57) j++;
    if (j > i) {
      id = Number(chunk.slice(i, j));
      i = j;
    }
    const payload = chunk.slice(i);
    const packet: WirePacket = { type, nsp, ...(id !== undefined ? { id } : {}) };
    if (payload.length > 0) {
      const raw = RAW_EVENTS.find((e) => payload.startsWith(`["${e}",`));
      packet.data = raw ? [raw, payload] : JSON.parse(payload);
    } else if (type === CONNECT || type === CONNECT_ERROR) {
      packet.data = undefined;
    }
    this.emit('decoded', packet);
  }

  /** Nothing is buffered between packets (no binary attachments), so nothing to free. */
  destroy(): void {}
}

/** The parser object for socket.io-client's `parser` option. */
export const rawDeltaParser = { Encoder, Decoder };
