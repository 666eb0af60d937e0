/**
 * The AMI input: a TCP client of the Asterisk Manager Interface that logs in,
 * listens to events and feeds what the adapter makes of them to the ingest
 * pipeline (`server.pipeline.submit`), like any other producer.
 *
 * - Connect, read the banner (`Asterisk Call Manager/…`), send `Action: Login`
 *   with `Events: on`; `Response: Success` with our ActionID starts the
 *   session, `Response: Error` ("Authentication failed") ends the connection
 *   and the client tries again later. A failure is logged once per distinct
 *   message, not on every attempt.
 * - Reconnects for ever with exponential backoff (0.5 s doubling to 30 s),
 *   back to 0.5 s after a good login.
 * - After each login it asks for `QueueStatus` (members and waiting callers,
 *   so a restart or a reconnect learns the floor as it is) and, when calls were
 *   open, `CoreShowChannels`. A caller we saw waiting that the queue no longer
 *   lists, or a call whose caller channel vanished, ended while we were away,
 *   how we cannot tell: it is closed as lost at the time the link was lost (the
 *   last event seen before it), rather than left ticking or called abandoned.
 * - A `Ping` every 20 s: a link that stops answering is dropped and dialled
 *   again (TCP alone can take minutes to notice).
 * - Events are submitted in order, one batch at a time; a refused submission
 *   is retried until it is accepted, so a brief outage of the event log loses
 *   nothing. Ids are deterministic (see the adapter), so a retry is harmless.
 */
import { PbxLink, parseHostPort, type PbxSubmitCounts } from '../pbx-link.ts';
import net from 'node:net';
import type { FloorEventInput } from '../../shared/events.ts';
import type { IngestResult } from '../../shared/wire.ts';
import { AmiAdapter } from './adapter.ts';
import { AmiParser, formatAction, type AmiMessage } from './parse.ts';

/** Keepalive period; a Ping not answered by the next one drops the link. */
export const PING_MS = 20_000;
/** Banner and login answer must come within this, or the attempt counts as failed. */
const HANDSHAKE_TIMEOUT_MS = 10_000;
/** An action sent with {@link AmiClient.request} not answered within this is given up (Asterisk answers at once; Originate with Async too). */
export const ACTION_TIMEOUT_MS = 10_000;
/** Actions waiting for their answer at most: a supervisor clicks, they do not stream. */
const MAX_REQUESTS = 100;

export interface AmiClientOptions {
  host: string;
  port: number;
  username: string;
  /** From the environment only: a flag would show it in `ps`. */
  secret: string;
  submit: (events: FloorEventInput[]) => Promise<IngestResult>;
  /** Arrival time of events without a `Timestamp` header. */
  now?: () => number;
  logger?: Pick<Console, 'info' | 'warn' | 'error'>;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /** Keepalive period; 0 switches it off. */
  pingMs?: number;
  handshakeTimeoutMs?: number;
  retryMs?: number;
  maxPending?: number;
  adapter?: AmiAdapter;
}

export interface AmiClientStats {
  target: string;
  /** TCP connected and logged in: events flow. */
  connected: boolean;
  banner: string | undefined;
  connects: number;
  logins: number;
  loginFailures: number;
  disconnects: number;
  /** Arrival time of the latest event, epoch ms. */
  lastEventAtMs: number | undefined;
  lastError: string | undefined;
  /** AMI messages read, and lines that were not `Key: Value`. */
  messages: number;
  damagedLines: number;
  /** Feed events made, and what the pipeline said of them. */
  events: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  /** Waiting to be submitted; dropped when too many waited. */
  pending: number;
  dropped: number;
}

type Phase = 'banner' | 'login' | 'ready';

/**
 * What became of an action sent with {@link AmiClient.request}: Asterisk's response (`Response: Success`
 * or `Error`, with its `Message`), or why none came: not logged in, the link dropped first, no answer in time,
 * too many actions already waiting.
 */
export type AmiActionAnswer =
  | { kind: 'response'; success: boolean; message: string | undefined; actionId: string; response: AmiMessage; event?: AmiMessage }
  | { kind: 'not-connected' | 'lost' | 'timeout' | 'busy'; actionId?: string };

/** The link's own counts beside the submission's (shown in /api/health). */
type AmiLinkCounts = PbxSubmitCounts & { connects: number; logins: number; loginFailures: number; disconnects: number };

export class AmiClient extends PbxLink<AmiClientOptions, AmiLinkCounts> {
  readonly adapter: AmiAdapter;
  private readonly parser = new AmiParser();
  private phase: Phase = 'banner';
  private handshakeTimer: NodeJS.Timeout | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private pingOutstanding: string | undefined;
  private actionSeq = 0;
  private loginId = '';
  /** The CoreShowChannels request in flight: its id, the calls open when it was sent, the channels listed so far. */
  private channelList: { id: string; openBefore: Set<string>; live: Set<string>; lostAtMs?: number } | undefined;
  /** The QueueStatus request in flight: its id, the callers waiting when it was sent (Uniqueid → call id), those listed so far. */
  private queueList: { id: string; waitingBefore: Map<string, string>; listed: Set<string>; lostAtMs?: number } | undefined;
  /** Actions sent with {@link request} waiting for their response, by ActionID. */
  private readonly requests = new Map<string, { done: (a: AmiActionAnswer) => void; timer: NodeJS.Timeout; eventWaitMs?: number }>();
  /** Requests answered with success that wait for the first event carrying their ActionID (`eventWaitMs`). */
  private readonly followers = new Map<string, { answer: Extract<AmiActionAnswer, { kind: 'response' }>; done: (a: AmiActionAnswer) => void; timer: NodeJS.Timeout }>();

  constructor(opts: AmiClientOptions) {
    super(opts, 'AMI', { connects: 0, logins: 0, loginFailures: 0, disconnects: 0, events: 0, accepted: 0, duplicates: 0, rejected: 0, dropped: 0 });
    this.adapter = opts.adapter ?? new AmiAdapter();
  }

  get stats(): AmiClientStats {
    return {
      target: this.target(),
      connected: this.phase === 'ready' && this.socket !== undefined,
      banner: this.parser.stats.banner,
      ...this.counts,
      lastEventAtMs: this.lastEventAtMs,
      lastError: this.lastError || undefined,
      messages: this.parser.stats.messages,
      damagedLines: this.parser.stats.damagedLines,
      pending: this.queue.size,
    };
  }

  /** Asterisk's goodbye on a logged-in link: `Action: Logoff`. */
  protected sayGoodbye(sock: net.Socket): void {
    if (this.phase === 'ready') sock.write(formatAction({ Action: 'Logoff', ActionID: this.nextId() }));
  }

  /**
   * Sends one action on the logged-in link (a fresh ActionID is added) and resolves with Asterisk's
   * response to it, matched by ActionID; never rejects and never retries: an action not answered within
   * `timeoutMs`, or cut off by a lost link, may or may not have been done, and the caller says so.
   * Events that carry the same ActionID afterwards (Originate's OriginateResponse) go to the adapter as usual;
   * with `eventWaitMs`, a successful response is held up to that long more for the first such event, returned
   * as `event` (absent when none came in time or the link dropped meanwhile).
   */
  request(fields: Record<string, string>, timeoutMs = ACTION_TIMEOUT_MS, eventWaitMs?: number): Promise<AmiActionAnswer> {
    const sock = this.socket;
    if (!sock || sock.destroyed || this.phase !== 'ready') return Promise.resolve({ kind: 'not-connected' });
    if (this.requests.size >= MAX_REQUESTS) return Promise.resolve({ kind: 'busy' });
    return new Promise((resolve) => {
      const id = this.send(sock, fields);
      const timer = setTimeout(() => {
        this.requests.delete(id);
        resolve({ kind: 'timeout', actionId: id });
      }, timeoutMs);
      this.requests.set(id, { done: resolve, timer, eventWaitMs });
    });
  }

  // ------------------------------------------------------------ connection

  protected connect(): void {
    if (this.stopped) return;
    this.counts.connects++;
    this.parser.reset();
    this.phase = 'banner';
    const sock = net.createConnection({ host: this.opts.host, port: this.opts.port });
    this.socket = sock;
    sock.setNoDelay(true);
    sock.setKeepAlive(true, 30_000);
    let resolveClosed: () => void = () => {};
    this.closed = new Promise<void>((r) => (resolveClosed = r));
    this.handshakeTimer = setTimeout(() => {
      this.report(`AMI ${this.target()}: no ${this.phase === 'banner' ? 'banner' : 'answer to the login'} within ${this.opts.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS} ms`);
      sock.destroy();
    }, this.opts.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS);
    sock.on('data', (chunk: Buffer) => {
      if (this.socket !== sock) return;
      for (const frame of this.parser.push(chunk)) {
        if (this.socket !== sock) return; // dropped while handling an earlier frame
        if (frame.kind === 'banner') this.onBanner(sock);
        else this.onMessage(sock, frame.message);
      }
    });
    sock.on('error', (err: NodeJS.ErrnoException) => {
      this.report(`AMI ${this.target()}: ${err.code === 'ECONNREFUSED' ? 'connection refused' : err.message}`);
    });
    sock.on('close', () => {
      clearTimeout(this.handshakeTimer);
      clearInterval(this.pingTimer);
      this.pingOutstanding = undefined;
      this.channelList = undefined;
      this.queueList = undefined;
      for (const [id, r] of [...this.requests]) {
        this.requests.delete(id);
        clearTimeout(r.timer);
        r.done({ kind: 'lost', actionId: id });
      }
      for (const [id, f] of [...this.followers]) {
        this.followers.delete(id);
        clearTimeout(f.timer);
        f.done(f.answer);
      }
      if (this.socket === sock) {
        this.socket = undefined;
        if (this.phase === 'ready') {
          this.counts.disconnects++;
          if (!this.stopped) this.report(`AMI ${this.target()}: connection lost; reconnecting`);
        }
        this.phase = 'banner';
        this.scheduleReconnect();
      }
      resolveClosed();
    });
  }

  private nextId(): string {
    return `floorwatch-${++this.actionSeq}`;
  }

  private send(sock: net.Socket, fields: Record<string, string>): string {
    const id = this.nextId();
    sock.write(formatAction({ Action: fields.Action, ActionID: id, ...fields }));
    return id;
  }

  private onBanner(sock: net.Socket): void {
    if (this.phase !== 'banner') return;
    this.phase = 'login';
    this.loginId = this.send(sock, { Action: 'Login', Username: this.opts.username, Secret: this.opts.secret, Events: 'on' });
  }

  private onMessage(sock: net.Socket, msg: AmiMessage): void {
    const response = msg.response;
    const actionId = msg.get('ActionID');
    if (this.phase !== 'ready') {
      if (response === undefined || actionId !== this.loginId) return; // nothing counts before the login answer
      if (response.toLowerCase() === 'success') this.onLoggedIn(sock);
      else {
        this.counts.loginFailures++;
        this.report(`AMI ${this.target()}: login as "${this.opts.username}" refused: ${msg.get('Message') ?? response}; retrying`);
        sock.destroy();
      }
      return;
    }
    // A response has no Event header; OriginateResponse is an event that carries a Response field.
    if (response !== undefined && msg.event === undefined) {
      if (actionId !== undefined && actionId === this.pingOutstanding) this.pingOutstanding = undefined;
      const waiting = actionId === undefined ? undefined : this.requests.get(actionId);
      if (waiting && actionId !== undefined) {
        this.requests.delete(actionId);
        clearTimeout(waiting.timer);
        const answer = { kind: 'response' as const, success: response.toLowerCase() === 'success', message: msg.get('Message')?.trim() || undefined, actionId, response: msg };
        if (answer.success && waiting.eventWaitMs !== undefined && waiting.eventWaitMs > 0) {
          // Registered before the next message is parsed: an event in the same read is not missed.
          const timer = setTimeout(() => {
            this.followers.delete(actionId);
            waiting.done(answer);
          }, waiting.eventWaitMs);
          this.followers.set(actionId, { answer, done: waiting.done, timer });
          return;
        }
        waiting.done(answer);
        return;
      }
      if (response.toLowerCase() === 'error') {
        // A list refused (e.g. CoreShowChannels without `write = reporting`): no reconcile from it.
        if (actionId === this.channelList?.id) this.channelList = undefined;
        if (actionId === this.queueList?.id) this.queueList = undefined;
      }
      return;
    }
    const name = msg.event;
    if (name === undefined) return;
    const follower = actionId === undefined ? undefined : this.followers.get(actionId);
    if (follower && actionId !== undefined) {
      // The event still goes on to the adapter below.
      this.followers.delete(actionId);
      clearTimeout(follower.timer);
      follower.done({ ...follower.answer, event: msg });
    }
    if (this.queueList && actionId === this.queueList.id) {
      if (name === 'QueueStatusComplete') {
        const { waitingBefore, listed, lostAtMs } = this.queueList;
        this.queueList = undefined;
        this.enqueue(this.adapter.reconcileQueues(waitingBefore, listed, this.now(), lostAtMs));
        return;
      }
      if (name === 'QueueEntry') {
        const uid = msg.get('Uniqueid')?.trim();
        if (uid) this.queueList.listed.add(uid);
      }
      // The list's members and callers are fed like any event: they tell presence and unknown callers.
    } else if (this.channelList && actionId === this.channelList.id) {
      if (name === 'CoreShowChannel') {
        const uid = msg.get('Uniqueid')?.trim();
        if (uid) this.channelList.live.add(uid);
      } else if (name === 'CoreShowChannelsComplete') {
        const { openBefore, live, lostAtMs } = this.channelList;
        this.channelList = undefined;
        this.enqueue(this.adapter.reconcile(openBefore, live, this.now(), lostAtMs));
      }
      return;
    }
    this.lastEventAtMs = this.now();
    const r = this.adapter.feed(msg, this.lastEventAtMs);
    if (r.kind === 'events') this.enqueue(r.events);
  }

  private onLoggedIn(sock: net.Socket): void {
    clearTimeout(this.handshakeTimer);
    this.phase = 'ready';
    this.counts.logins++;
    this.loggedIn();
    this.logger.info(`AMI ${this.target()}: logged in as "${this.opts.username}"${this.parser.stats.banner ? ` (${this.parser.stats.banner})` : ''}`);
    // What is true now: members and waiting callers; and which of our open calls still exist. What
    // ended meanwhile ended after the last event we saw (undefined on the first login: reconcile time).
    const lostAtMs = this.adapter.lastEventAtMs;
    const open = this.adapter.openCalls();
    const waitingBefore = new Map(open.filter((c) => c.status !== 'connected').map((c) => [c.uid, c.callId]));
    this.queueList = { id: this.send(sock, { Action: 'QueueStatus' }), waitingBefore, listed: new Set(), lostAtMs };
    if (open.length > 0) {
      const openBefore = new Set(open.map((c) => c.uid));
      this.channelList = { id: this.send(sock, { Action: 'CoreShowChannels' }), openBefore, live: new Set(), lostAtMs };
    }
    const pingMs = this.opts.pingMs ?? PING_MS;
    if (pingMs > 0) {
      this.pingTimer = setInterval(() => {
        if (this.pingOutstanding !== undefined) {
          this.report(`AMI ${this.target()}: no answer to a keepalive in ${pingMs} ms; reconnecting`);
          sock.destroy();
          return;
        }
        this.pingOutstanding = this.send(sock, { Action: 'Ping' });
      }, pingMs);
    }
  }
}

/** Starts a client and returns it (call `stop()` on shutdown). */
export function startAmiClient(opts: AmiClientOptions): AmiClient {
  return new AmiClient(opts).start();
}

/** Reads `HOST:PORT` (port defaults to AMI's 5038; `[::1]:5038` for IPv6). */
export function parseAmiAddress(text: string): { host: string; port: number } {
  return parseHostPort(text, '--ami', 5038);
}
