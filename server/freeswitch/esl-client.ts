/**
 * The FreeSWITCH input: an inbound Event Socket (mod_event_socket) client that authenticates,
 * subscribes to mod_callcenter's events and the channel events of hold and hang-up, and feeds what
 * the adapter makes of them to the ingest pipeline (`server.pipeline.submit`), like any producer.
 *
 * Our own small client rather than an npm one: `modesl` (the usual Node ESL library) is plain
 * JavaScript without types, callback-based and last released in 2024, and `esl-lite` brings its
 * own connection and queueing model; neither gives the reconnect, health and replay behaviour the
 * AMI input already has, and the wire format is a few lines (esl-parse.ts).
 *
 * - Connect; FreeSWITCH writes `Content-Type: auth/request`; we send `auth <password>`; the
 *   `command/reply` says `Reply-Text: +OK accepted`, or `-ERR invalid` and FreeSWITCH closes the
 *   socket (mod_event_socket.c, parse_command()). A refusal is logged once ("auth refused"), and the
 *   client tries again with backoff: the password may be fixed on the PBX.
 * - Subscribes with `event plain CHANNEL_ANSWER CHANNEL_HOLD CHANNEL_UNHOLD CHANNEL_HANGUP_COMPLETE
 *   CUSTOM callcenter::info`. `CUSTOM` comes last on purpose: mod_event_socket takes every word
 *   after `CUSTOM` as a subclass name, so channel events named after it would be read as subclasses
 *   and never delivered.
 * - After each login asks `api callcenter_config queue list members` and `api show channels as json`
 *   and reconciles (see {@link FsAdapter.reconcile}): callers answered, abandoned or gone while
 *   nobody listened are closed, callers waiting before we listened are taken in. Then
 *   `api callcenter_config agent list` and `tier list`: each agent's status and queues
 *   ({@link FsAdapter.roster}).
 * - Reconnects for ever with exponential backoff (0.5 s doubling to 30 s), back to 0.5 s after a
 *   good login. An `api uptime` every 20 s is the keepalive: a link that stops answering is dropped.
 * - Replies come in the order commands were sent (mod_event_socket answers each command on the
 *   socket's own thread): a FIFO of waiting handlers matches them.
 * - Events are submitted in order, one batch at a time; a refused submission is retried until it is
 *   accepted. Ids are deterministic (see the adapter), so a retry is harmless.
 * The password is never logged nor shown in the stats.
 */
import { PbxLink, parseHostPort, type PbxSubmitCounts } from '../pbx-link.ts';
import net from 'node:net';
import type { FloorEventInput } from '../../shared/events.ts';
import type { IngestResult } from '../../shared/wire.ts';
import { FsAdapter, parseChannelList, parseMemberList, parsePipeList } from './adapter.ts';
import { EslParser, formatCommand, parseEventPlain, type EslMessage } from './esl-parse.ts';

/** Keepalive period; an `api uptime` not answered by the next one drops the link. */
export const PING_MS = 20_000;
/** The auth request and the answers to auth and subscription must come within this. */
const HANDSHAKE_TIMEOUT_MS = 10_000;
/** A command sent with {@link FsClient.api} not answered within this is given up (callcenter_config and bgapi answer at once). */
export const ACTION_TIMEOUT_MS = 10_000;
/** Commands of {@link FsClient.api} waiting for their reply at most: a stuck PBX does not pile them up. */
const MAX_REQUESTS = 50;
/** The subscription: channel events first, `CUSTOM` and its subclass last (see the header). */
export const SUBSCRIPTION = 'event plain CHANNEL_ANSWER CHANNEL_HOLD CHANNEL_UNHOLD CHANNEL_HANGUP_COMPLETE CUSTOM callcenter::info';

export interface FsClientOptions {
  host: string;
  port: number;
  /** The event_socket.conf.xml password, from the environment only (a flag would show in `ps`). */
  password: string;
  submit: (events: FloorEventInput[]) => Promise<IngestResult>;
  /** Arrival time of events without `Event-Date-Timestamp`, and the reconcile's clock. */
  now?: () => number;
  logger?: Pick<Console, 'info' | 'warn' | 'error'>;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /** Keepalive period; 0 switches it off. */
  pingMs?: number;
  handshakeTimeoutMs?: number;
  retryMs?: number;
  maxPending?: number;
  adapter?: FsAdapter;
}

/** What `/api/health` shows under `sources.freeswitch`. */
export interface FsClientStats {
  target: string;
  /** Authenticated and subscribed: events flow. */
  connected: boolean;
  /** `connected`, `connecting`, `auth refused`, `unreachable` (refused or timed out) or `stopped`. */
  state: 'connected' | 'connecting' | 'auth refused' | 'unreachable' | 'stopped';
  connects: number;
  logins: number;
  authFailures: number;
  disconnects: number;
  /** Arrival time of the latest event, epoch ms. */
  lastEventAtMs: number | undefined;
  lastError: string | undefined;
  /** Event Socket messages read; header lines or values damaged; events the adapter did not use. */
  messages: number;
  damaged: number;
  ignored: number;
  reconciles: number;
  /** Feed events made, and what the pipeline said of them. */
  events: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  pending: number;
  dropped: number;
}

/**
 * What became of a command sent with {@link FsClient.api}: FreeSWITCH's reply (an `api` command's
 * `api/response` body, a `bgapi`'s `Reply-Text`), or why there is none: not connected, the link
 * dropped before the reply (it may or may not have been done), no reply in time, too many waiting.
 */
export type FsApiAnswer = { kind: 'reply'; text: string } | { kind: 'not-connected' } | { kind: 'lost' } | { kind: 'timeout' } | { kind: 'busy' };

type Phase = 'auth-request' | 'auth' | 'subscribe' | 'ready';
type ReplyHandler = (msg: EslMessage) => void;

/** The link's own counts beside the submission's (shown in /api/health). */
type FsLinkCounts = PbxSubmitCounts & { connects: number; logins: number; authFailures: number; disconnects: number; reconciles: number; listDamaged: number };

export class FsClient extends PbxLink<FsClientOptions, FsLinkCounts> {
  readonly adapter: FsAdapter;
  private readonly parser = new EslParser();
  private phase: Phase = 'auth-request';
  private state: FsClientStats['state'] = 'stopped';
  private handshakeTimer: NodeJS.Timeout | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private pingOutstanding = false;
  private replies: ReplyHandler[] = [];
  /** Callers of {@link api} waiting for their reply: answered `lost` when the link drops. */
  private readonly requests = new Set<(a: FsApiAnswer) => void>();

  constructor(opts: FsClientOptions) {
    super(opts, 'FreeSWITCH', { connects: 0, logins: 0, authFailures: 0, disconnects: 0, reconciles: 0, events: 0, accepted: 0, duplicates: 0, rejected: 0, dropped: 0, listDamaged: 0 });
    this.adapter = opts.adapter ?? new FsAdapter();
  }

  get stats(): FsClientStats {
    return {
      target: this.target(),
      connected: this.phase === 'ready' && this.socket !== undefined,
      state: this.state,
      connects: this.counts.connects,
      logins: this.counts.logins,
      authFailures: this.counts.authFailures,
      disconnects: this.counts.disconnects,
      lastEventAtMs: this.lastEventAtMs,
      lastError: this.lastError || undefined,
      messages: this.parser.stats.messages,
      damaged: this.parser.stats.damaged + this.counts.listDamaged,
      ignored: this.adapter.stats.skipped,
      reconciles: this.counts.reconciles,
      events: this.counts.events,
      accepted: this.counts.accepted,
      duplicates: this.counts.duplicates,
      rejected: this.counts.rejected,
      pending: this.queue.size,
      dropped: this.counts.dropped,
    };
  }

  /** Says `exit`, closes the connection and stops reconnecting; waits for a submission in flight. */
  override async stop(): Promise<void> {
    this.state = 'stopped';
    await super.stop();
  }

  /** The event socket's goodbye on an established link: `exit`. */
  protected sayGoodbye(sock: net.Socket): void {
    if (this.phase === 'ready') sock.write(formatCommand('exit'));
  }

  // ------------------------------------------------------------ connection

  protected connect(): void {
    if (this.stopped) return;
    this.counts.connects++;
    this.parser.reset();
    this.phase = 'auth-request';
    if (this.state !== 'auth refused' && this.state !== 'unreachable') this.state = 'connecting';
    this.replies = [];
    const sock = net.createConnection({ host: this.opts.host, port: this.opts.port });
    this.socket = sock;
    sock.setNoDelay(true);
    sock.setKeepAlive(true, 30_000);
    let resolveClosed: () => void = () => {};
    this.closed = new Promise<void>((r) => (resolveClosed = r));
    const timeoutMs = this.opts.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS;
    this.handshakeTimer = setTimeout(() => {
      this.state = 'unreachable';
      this.report(`FreeSWITCH ${this.target()}: no ${this.phase === 'auth-request' ? 'auth request' : this.phase === 'auth' ? 'answer to auth' : 'answer to the subscription'} within ${timeoutMs} ms`);
      sock.destroy();
    }, timeoutMs);
    sock.on('data', (chunk: Buffer) => {
      if (this.socket !== sock) return;
      for (const msg of this.parser.push(chunk)) {
        if (this.socket !== sock) return;
        this.onMessage(sock, msg);
      }
      if (this.parser.framingLost && this.socket === sock) {
        this.report(`FreeSWITCH ${this.target()}: a message without a usable Content-Length; reconnecting`);
        sock.destroy();
      }
    });
    sock.on('error', (err: NodeJS.ErrnoException) => {
      // Before the auth request nothing answered: unreachable, even after an earlier refused auth
      // (else a PBX gone down after a wrong password would read "auth refused" for ever).
      if (this.phase === 'auth-request' || (this.phase !== 'ready' && this.state !== 'auth refused')) this.state = 'unreachable';
      this.report(`FreeSWITCH ${this.target()}: ${err.code === 'ECONNREFUSED' ? 'connection refused' : err.message}`);
    });
    sock.on('close', () => {
      clearTimeout(this.handshakeTimer);
      clearInterval(this.pingTimer);
      this.pingOutstanding = false;
      this.replies = [];
      for (const done of [...this.requests]) done({ kind: 'lost' });
      if (this.socket === sock) {
        this.socket = undefined;
        if (this.phase === 'ready') {
          this.counts.disconnects++;
          if (!this.stopped) {
            this.state = 'connecting';
            this.report(`FreeSWITCH ${this.target()}: connection lost; reconnecting`);
          }
        }
        this.phase = 'auth-request';
        this.scheduleReconnect();
      }
      resolveClosed();
    });
  }

  /**
   * Sends one command on the event socket (`api …` or `bgapi …`, for the supervisor actions) and
   * resolves with FreeSWITCH's reply; never retried, never rejects. The command is one line: line
   * breaks in it are replaced (formatCommand), so it cannot smuggle a second command.
   */
  api(command: string, timeoutMs = ACTION_TIMEOUT_MS): Promise<FsApiAnswer> {
    const sock = this.socket;
    if (!sock || this.phase !== 'ready') return Promise.resolve({ kind: 'not-connected' });
    if (this.requests.size >= MAX_REQUESTS) return Promise.resolve({ kind: 'busy' });
    return new Promise<FsApiAnswer>((resolve) => {
      const done = (a: FsApiAnswer) => {
        if (!this.requests.delete(done)) return;
        clearTimeout(timer);
        resolve(a);
      };
      const timer = setTimeout(() => done({ kind: 'timeout' }), timeoutMs);
      this.requests.add(done);
      // A reply that comes after the timeout still takes its place in the FIFO: the next reply stays matched.
      this.command(sock, command, (r) => done({ kind: 'reply', text: (r.body ?? r.headers.get('Reply-Text') ?? '').trim() }));
    });
  }

  /** Sends a command and waits for its `command/reply` or `api/response`, in order. */
  private command(sock: net.Socket, command: string, onReply: ReplyHandler): void {
    this.replies.push(onReply);
    sock.write(formatCommand(command));
  }

  private onMessage(sock: net.Socket, msg: EslMessage): void {
    const type = msg.contentType;
    if (type === 'auth/request') {
      if (this.phase !== 'auth-request') return;
      this.phase = 'auth';
      this.command(sock, `auth ${this.opts.password}`, (reply) => this.onAuthReply(sock, reply));
      return;
    }
    if (type === 'command/reply' || type === 'api/response') {
      this.replies.shift()?.(msg);
      return;
    }
    if (type === 'text/disconnect-notice' || type === 'text/rude-rejection') {
      // FreeSWITCH is closing the socket (shutting down, or an ACL refused us): the close follows.
      this.report(`FreeSWITCH ${this.target()}: ${type === 'text/rude-rejection' ? 'refused by the event socket ACL' : 'disconnect notice'}${msg.body ? ` (${msg.body.trim().slice(0, 80)})` : ''}`);
      return;
    }
    if (type === 'text/event-plain' && this.phase === 'ready' && msg.body !== undefined) {
      const ev = parseEventPlain(msg.body, this.parser.stats);
      this.lastEventAtMs = this.now();
      const r = this.adapter.feed(ev, this.lastEventAtMs);
      if (r.kind === 'events') this.enqueue(r.events);
    }
  }

  private onAuthReply(sock: net.Socket, reply: EslMessage): void {
    const text = (reply.headers.get('Reply-Text') ?? '').trim();
    if (!text.startsWith('+OK')) {
      this.counts.authFailures++;
      this.state = 'auth refused';
      this.report(`FreeSWITCH ${this.target()}: auth refused (${text.replace(/\s+/g, ' ').slice(0, 60) || 'no reply text'}); check FLOORWATCH_FS_PASSWORD against event_socket.conf.xml; retrying`);
      sock.destroy();
      return;
    }
    this.phase = 'subscribe';
    this.command(sock, SUBSCRIPTION, (r) => {
      const t = (r.headers.get('Reply-Text') ?? '').trim();
      if (!t.startsWith('+OK')) {
        this.report(`FreeSWITCH ${this.target()}: the subscription was refused (${t.slice(0, 60)}); retrying`);
        sock.destroy();
        return;
      }
      this.onReady(sock);
    });
  }

  private onReady(sock: net.Socket): void {
    clearTimeout(this.handshakeTimer);
    this.phase = 'ready';
    this.state = 'connected';
    this.counts.logins++;
    this.loggedIn();
    this.logger.info(`FreeSWITCH ${this.target()}: connected to the event socket, subscribed to mod_callcenter events`);
    // What ended while we were away ended after the last event we saw (undefined on the first login: now).
    const lostAtMs = this.adapter.lastEventAtMs;
    let members: ReturnType<typeof parseMemberList> | undefined;
    this.command(sock, 'api callcenter_config queue list members', (r) => {
      members = parseMemberList(r.body ?? '');
      this.counts.listDamaged += members.damaged;
      if (!members.ok) this.report(`FreeSWITCH ${this.target()}: callcenter_config queue list members failed (${(r.body ?? '').trim().slice(0, 60)}); is mod_callcenter loaded?`);
    });
    this.command(sock, 'api show channels as json', (r) => {
      if (!members?.ok) return;
      const live = parseChannelList(r.body ?? '');
      this.counts.reconciles++;
      this.enqueue(this.adapter.reconcile(members.rows, live, this.now(), lostAtMs));
    });
    // The agents' status and their queues: the floor starts with everyone signed in or out as they are.
    let agents: ReturnType<typeof parsePipeList> | undefined;
    this.command(sock, 'api callcenter_config agent list', (r) => {
      agents = parsePipeList(r.body ?? '');
      this.counts.listDamaged += agents.damaged;
    });
    this.command(sock, 'api callcenter_config tier list', (r) => {
      const tiers = parsePipeList(r.body ?? '');
      this.counts.listDamaged += tiers.damaged;
      if (agents?.ok && tiers.ok) this.enqueue(this.adapter.roster(agents.rows, tiers.rows, this.now()));
    });
    const pingMs = this.opts.pingMs ?? PING_MS;
    if (pingMs > 0) {
      this.pingTimer = setInterval(() => {
        if (this.pingOutstanding) {
          this.report(`FreeSWITCH ${this.target()}: no answer to a keepalive in ${pingMs} ms; reconnecting`);
          sock.destroy();
          return;
        }
        this.pingOutstanding = true;
        this.command(sock, 'api uptime', () => (this.pingOutstanding = false));
      }, pingMs);
    }
  }
}

/** Starts a client and returns it (call `stop()` on shutdown). */
export function startFsClient(opts: FsClientOptions): FsClient {
  return new FsClient(opts).start();
}

/** Reads `HOST:PORT` (port defaults to mod_event_socket's 8021; `[::1]:8021` for IPv6). */
export function parseFsAddress(text: string): { host: string; port: number } {
  return parseHostPort(text, '--freeswitch', 8021);
}
