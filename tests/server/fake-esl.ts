/**
 * A fake FreeSWITCH Event Socket (inbound mode) that speaks the real wire format
 * (mod_event_socket.c): `Content-Type: auth/request` on connect, `auth <password>` answered with a
 * `command/reply` (`+OK accepted`, or `-ERR invalid` and a close), `event plain …` recorded and
 * acknowledged, `api …` answered as `api/response` with a Content-Length, and events written as
 * `text/event-plain` with URL-encoded header values, in TCP pieces cut wherever a test says.
 *
 * It can also play a floor: {@link floorToCallcenter} turns Floorwatch-like events (a list written
 * by a test, or the simulator's output) into the mod_callcenter and channel events FreeSWITCH would
 * send for them, so the simulator can stand in for a FreeSWITCH floor in the tests.
 */
import crypto from 'node:crypto';
import net from 'node:net';
import type { FloorEventInput } from '../../shared/events.ts';

export const FS_PASSWORD = 'ClueCon-test';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One event as its headers, in order (values plain: the fake encodes them). */
export type FsEvent = Record<string, string>;

interface Conn {
  socket: net.Socket;
  commands: string[];
  authed: boolean;
  subscribed: boolean;
  /** Replies held back behind a slow one, in order. */
  held: Promise<void>;
}

/** FreeSWITCH's serialisation of one event (switch_event_serialize(), URL-encoded values) framed as text/event-plain. */
export function eventPlain(ev: FsEvent): string {
  let body = '';
  for (const [k, v] of Object.entries(ev)) body += `${k}: ${encodeURIComponent(v)}\n`;
  body += '\n';
  return `Content-Length: ${Buffer.byteLength(body)}\nContent-Type: text/event-plain\n\n${body}`;
}

export class FakeEsl {
  readonly server = net.createServer((s) => this.accept(s));
  readonly conns: Conn[] = [];
  readonly acceptedAt: number[] = [];
  port = 0;
  password = FS_PASSWORD;
  answerPings = true;
  /** Rows of `callcenter_config queue list members` (as mod_callcenter's members table). */
  members: { queue: string; uuid: string; session: string; cidNumber?: string; joined: number; bridge?: number; abandoned?: number; agent?: string; state: string }[] = [];
  /** UUIDs `show channels as json` lists. */
  channels: string[] = [];
  /** Agents `callcenter_config agent list` lists, and the tiers (queue, agent) `tier list` lists. */
  agents: { name: string; status: string; state?: string }[] = [];
  tiers: { queue: string; agent: string }[] = [];
  /** Answer `callcenter_config` with -ERR (mod_callcenter not loaded). */
  noCallcenter = false;
  /** A test's answer to any other `api` command (the body) or `bgapi` (the Reply-Text); undefined: `-ERR command not found`. */
  onApi: ((cmd: string) => string | undefined) | undefined;
  /** Answers of `onApi` come this late, ms (a slow PBX: the reply still comes, in its turn). */
  apiDelayMs = 0;

  async listen(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this;
  }

  async close(): Promise<void> {
    for (const c of this.conns) c.socket.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  /** The connection subscribed last and still open. */
  get current(): Conn | undefined {
    return [...this.conns].reverse().find((c) => c.subscribed && !c.socket.destroyed);
  }

  private accept(socket: net.Socket): void {
    this.acceptedAt.push(Date.now());
    socket.setNoDelay(true);
    const conn: Conn = { socket, commands: [], authed: false, subscribed: false, held: Promise.resolve() };
    this.conns.push(conn);
    socket.on('error', () => {});
    socket.write('Content-Type: auth/request\n\n');
    let buf = '';
    socket.on('data', (chunk: Buffer) => {
      buf += chunk.toString('utf8');
      for (let end = buf.indexOf('\n\n'); end >= 0; end = buf.indexOf('\n\n')) {
        const cmd = buf.slice(0, end).trim();
        buf = buf.slice(end + 2);
        if (cmd) this.command(conn, cmd);
      }
    });
  }

  private reply(conn: Conn, text: string): void {
    conn.socket.write(`Content-Type: command/reply\nReply-Text: ${text}\n\n`);
  }

  private api(conn: Conn, body: string): void {
    conn.socket.write(`Content-Type: api/response\nContent-Length: ${Buffer.byteLength(body)}\n\n${body}`);
  }

  private command(conn: Conn, cmd: string): void {
    conn.commands.push(cmd);
    if (!conn.authed) {
      if (!cmd.startsWith('auth ')) return;
      if (cmd.slice(5) === this.password) {
        conn.authed = true;
        this.reply(conn, '+OK accepted');
      } else {
        // parse_command(): `-ERR invalid`, then the listener stops and the socket closes.
        this.reply(conn, '-ERR invalid');
        conn.socket.end();
      }
      return;
    }
    if (cmd.startsWith('event plain ')) {
      conn.subscribed = true;
      this.reply(conn, '+OK event listener enabled plain');
    } else if (cmd === 'api callcenter_config queue list members') {
      if (this.noCallcenter) return this.api(conn, '-ERR callcenter_config Command not found!\n');
      const cols = 'queue|instance_id|uuid|session_uuid|cid_number|cid_name|system_epoch|joined_epoch|rejoined_epoch|bridge_epoch|abandoned_epoch|base_score|skill_score|serving_agent|serving_system|state|score';
      const rows = this.members.map((m) => [m.queue, 'single_box', m.uuid, m.session, m.cidNumber ?? '', '', m.joined, m.joined, 0, m.bridge ?? 0, m.abandoned ?? 0, 0, 0, m.agent ?? '', m.agent ? 'single_box' : '', m.state, 10].join('|'));
      this.api(conn, rows.length ? `${cols}\n${rows.join('\n')}\n+OK\n` : '+OK\n');
    } else if (cmd === 'api callcenter_config agent list') {
      if (this.noCallcenter) return this.api(conn, '-ERR callcenter_config Command not found!\n');
      const cols = 'name|instance_id|uuid|type|contact|status|state|max_no_answer|wrap_up_time|reject_delay_time|busy_delay_time|no_answer_delay_time|last_bridge_start|last_bridge_end|last_offered_call|last_status_change|no_answer_count|calls_answered|talk_time|ready_time|external_calls_count';
      const rows = this.agents.map((a) => [a.name, 'single_box', '', 'callback', `[leg_timeout=10]user/${a.name}`, a.status, a.state ?? 'Waiting', 3, 10, 10, 60, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0].join('|'));
      this.api(conn, rows.length ? `${cols}\n${rows.join('\n')}\n+OK\n` : '+OK\n');
    } else if (cmd === 'api callcenter_config tier list') {
      if (this.noCallcenter) return this.api(conn, '-ERR callcenter_config Command not found!\n');
      const rows = this.tiers.map((t) => [t.queue, t.agent, 'Ready', 1, 1].join('|'));
      this.api(conn, rows.length ? `queue|agent|state|level|position\n${rows.join('\n')}\n+OK\n` : '+OK\n');
    } else if (cmd === 'api show channels as json') {
      this.api(conn, this.channels.length ? JSON.stringify({ row_count: this.channels.length, rows: this.channels.map((uuid) => ({ uuid, direction: 'inbound', name: `sofia/internal/${uuid.slice(0, 4)}` })) }) : '{"row_count": 0}\n');
    } else if (cmd === 'api uptime') {
      if (this.answerPings) this.api(conn, '4242\n');
    } else if (cmd === 'exit') {
      this.reply(conn, '+OK bye');
      conn.socket.end();
    } else if (cmd.startsWith('api ') || cmd.startsWith('bgapi ')) {
      const answer = this.onApi?.(cmd);
      if (cmd.startsWith('bgapi ')) {
        // A bgapi is answered at once with the job's UUID; its result would follow as a BACKGROUND_JOB event.
        if (answer === undefined) this.reply(conn, '-ERR command not found');
        else conn.socket.write(`Content-Type: command/reply\nReply-Text: ${answer}\nJob-UUID: 0d6c6f8e-0000-4000-a000-00000000b6b6\n\n`);
      } else {
        const body = answer ?? `-ERR ${cmd.slice(4).split(' ')[0]} Command not found!\n`;
        // mod_event_socket answers one command at a time: a slow one holds back the replies after it.
        conn.held = conn.held.then(() => new Promise<void>((r) => setTimeout(() => (this.api(conn, body), r()), this.apiDelayMs)));
        return;
      }
    } else {
      this.reply(conn, '-ERR command not found');
    }
  }

  /** Writes text to every subscribed connection in pieces cut at the given offsets, each its own TCP packet. */
  async send(text: string, cuts: number[] = []): Promise<void> {
    const conns = this.conns.filter((c) => c.subscribed && !c.socket.destroyed);
    if (conns.length === 0) throw new Error('nobody subscribed');
    let at = 0;
    for (const cut of [...cuts, text.length]) {
      for (const c of conns) c.socket.write(text.slice(at, cut));
      at = cut;
      await sleep(5);
    }
  }

  /** Sends events, each framed as text/event-plain. */
  async events(evs: FsEvent[], cuts: number[] = []): Promise<void> {
    await this.send(evs.map(eventPlain).join(''), cuts);
  }
}

// ------------------------------------------------------------ events FreeSWITCH writes

/** A UUID made from a name, so a test's calls have stable channel ids. */
export function uuidOf(name: string): string {
  const h = crypto.createHash('sha1').update(name).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Headers every event carries (switch_event_prep_for_delivery()): its name, time in µs and the switch's identity. */
function common(name: string, atMs: number): FsEvent {
  return {
    'Event-Name': name,
    'Core-UUID': 'f1e2d3c4-0000-4000-a000-000000000001',
    'FreeSWITCH-Hostname': 'pbx1',
    'Event-Date-Local': new Date(atMs).toISOString().replace('T', ' ').slice(0, 19),
    'Event-Date-Timestamp': String(Math.round(atMs * 1000)),
  };
}

/** A `CUSTOM callcenter::info` event with its `CC-Action` and fields. */
export function ccEvent(action: string, atMs: number, fields: FsEvent): FsEvent {
  return { ...common('CUSTOM', atMs), 'Event-Subclass': 'callcenter::info', 'CC-Action': action, ...fields };
}

/** A channel event (`CHANNEL_HOLD`, `CHANNEL_HANGUP_COMPLETE` …) of one channel. */
export function channelEvent(name: string, atMs: number, uuid: string, fields: FsEvent = {}): FsEvent {
  return { ...common(name, atMs), 'Unique-ID': uuid, 'Channel-Name': `sofia/internal/${uuid.slice(0, 8)}`, ...fields };
}

const sec = (ms: number) => String(Math.floor(ms / 1000));

interface PlayCall {
  session: string;
  member: string;
  queueId: string;
  caller: string;
  joinedMs: number;
  agentChannel?: string;
  agentId?: string;
  ringStart: Map<string, number>;
  answeredMs?: number;
}

/**
 * The mod_callcenter and channel events FreeSWITCH would write for a floor's events, in order:
 * call.queued → member-queue-start; call.ringing → agent-offering; call.ring-ended →
 * bridge-agent-fail (NO_ANSWER, or ORIGINATOR_CANCEL / LOSE_RACE when cancelled); call.answered →
 * bridge-agent-start; call.hold/unhold → CHANNEL_HOLD/UNHOLD on the agent's channel; call.ended →
 * CHANNEL_HANGUP_COMPLETE of the side that hung up, bridge-agent-end, member-queue-end Terminated;
 * call.abandoned → member-queue-end Cancel; agent.state → agent-status-change. A call's channel
 * UUID is {@link uuidOf} its call id. Calls with a transfer (not a mod_callcenter event) are left
 * out whole, as are the events FreeSWITCH has no counterpart for.
 */
export function floorToCallcenter(events: readonly FloorEventInput[]): FsEvent[] {
  const transferred = new Set(events.filter((e) => e.type === 'call.transferred').map((e) => (e as { callId: string }).callId));
  const calls = new Map<string, PlayCall>();
  const out: FsEvent[] = [];
  const at = (e: FloorEventInput) => (typeof e.at === 'number' ? e.at : Date.parse(e.at));
  for (const e of events) {
    const t = at(e);
    if (e.type === 'agent.state') {
      const status = e.state === 'offline' ? 'Logged Out' : e.state === 'away' ? 'On Break' : 'Available';
      if (e.state !== 'wrapup') out.push(ccEvent('agent-status-change', t, { 'CC-Agent': e.agentId, 'CC-Agent-Status': status }));
      continue;
    }
    if (!('callId' in e) || transferred.has(e.callId)) continue;
    let c = calls.get(e.callId);
    if (e.type === 'call.queued') {
      c = { session: uuidOf(e.callId), member: uuidOf(`member:${e.callId}`), queueId: e.queueId, caller: e.caller ?? '', joinedMs: t, ringStart: new Map() };
      calls.set(e.callId, c);
      out.push(ccEvent('member-queue-start', t, { 'Unique-ID': c.session, 'CC-Queue': c.queueId, 'CC-Member-UUID': c.member, 'CC-Member-Session-UUID': c.session, 'CC-Member-CID-Name': 'Caller', 'CC-Member-CID-Number': c.caller }));
      continue;
    }
    if (!c) continue;
    const member = { 'CC-Queue': c.queueId, 'CC-Member-UUID': c.member, 'CC-Member-Session-UUID': c.session, 'CC-Member-CID-Name': 'Caller', 'CC-Member-CID-Number': c.caller };
    switch (e.type) {
      case 'call.ringing':
        c.ringStart.set(e.agentId, t);
        out.push(ccEvent('agent-offering', t, { 'CC-Agent': e.agentId, 'CC-Agent-Type': 'callback', 'CC-Agent-System': 'single_box', ...member }));
        break;
      case 'call.ring-ended': {
        const cause = e.outcome === 'no-answer' ? 'NO_ANSWER' : c.answeredMs !== undefined ? 'LOSE_RACE' : 'ORIGINATOR_CANCEL';
        out.push(ccEvent('bridge-agent-fail', t, { 'CC-Hangup-Cause': cause, 'CC-Agent': e.agentId, 'CC-Agent-System': 'single_box', 'CC-Agent-Called-Time': sec(c.ringStart.get(e.agentId) ?? t), 'CC-Agent-Aborted-Time': sec(t), ...member, 'CC-Member-Joined-Time': sec(c.joinedMs) }));
        c.ringStart.delete(e.agentId);
        break;
      }
      case 'call.answered':
        c.agentId = e.agentId;
        c.agentChannel = uuidOf(`agent:${e.callId}:${e.agentId}`);
        c.answeredMs = t;
        out.push(
          ccEvent('bridge-agent-start', t, {
            'Unique-ID': c.agentChannel,
            'CC-Agent': e.agentId,
            'CC-Agent-System': 'single_box',
            'CC-Agent-UUID': c.agentChannel,
            'CC-Agent-Called-Time': sec(c.ringStart.get(e.agentId) ?? t),
            'CC-Agent-Answered-Time': sec(t),
            'CC-Member-Joined-Time': sec(c.joinedMs),
            ...member,
          }),
        );
        c.ringStart.delete(e.agentId);
        break;
      case 'call.hold':
      case 'call.unhold':
        if (c.agentChannel) out.push(channelEvent(e.type === 'call.hold' ? 'CHANNEL_HOLD' : 'CHANNEL_UNHOLD', t, c.agentChannel));
        break;
      case 'call.ended': {
        if (!c.agentChannel || !c.agentId) break;
        const first = e.by === 'agent' ? c.agentChannel : c.session;
        if (e.by) out.push(channelEvent('CHANNEL_HANGUP_COMPLETE', t, first, { 'Hangup-Cause': 'NORMAL_CLEARING' }));
        const times = { 'CC-Agent-Called-Time': sec(c.answeredMs ?? t), 'CC-Agent-Answered-Time': sec(c.answeredMs ?? t), 'CC-Member-Joined-Time': sec(c.joinedMs) };
        out.push(ccEvent('bridge-agent-end', t, { 'Unique-ID': c.agentChannel, 'CC-Hangup-Cause': 'NORMAL_CLEARING', 'CC-Agent': c.agentId, 'CC-Agent-System': 'single_box', 'CC-Agent-UUID': c.agentChannel, 'CC-Agent-Bridged': 'true', ...times, 'CC-Bridge-Terminated-Time': sec(t), ...member }));
        out.push(ccEvent('member-queue-end', t, { 'Unique-ID': c.session, 'CC-Hangup-Cause': 'NORMAL_CLEARING', 'CC-Cause': 'Terminated', 'CC-Agent': c.agentId, 'CC-Agent-UUID': c.agentChannel, ...times, 'CC-Member-Leaving-Time': sec(t), ...member }));
        calls.delete(e.callId);
        break;
      }
      case 'call.abandoned':
        out.push(ccEvent('member-queue-end', t, { 'Unique-ID': c.session, 'CC-Member-Leaving-Time': sec(t), 'CC-Member-Joined-Time': sec(c.joinedMs), 'CC-Cause': 'Cancel', 'CC-Cancel-Reason': 'NONE', ...member }));
        calls.delete(e.callId);
        break;
    }
  }
  return out;
}
