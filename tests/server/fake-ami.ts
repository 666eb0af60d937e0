/**
 * A fake Asterisk manager for the supervisor-action tests: the real wire
 * format (banner, `Key: Value` lines, responses carrying the ActionID), one
 * manager.conf user, QueueStatus listing its members, and QueuePause,
 * QueueRemove and Originate answered with Asterisk's own texts (apps/app_queue.c
 * manager_pause_queue_member / manager_remove_queue_member, main/manager.c
 * action_originate), or `Permission denied` for the actions the user's
 * `write =` classes leave out (main/manager.c process_message). A pause or a
 * removal is followed by the member event Asterisk sends, so a floor fed by
 * the same link sees it happen.
 */
import net from 'node:net';
import { AmiParser, type AmiMessage } from '../../server/ami/parse.ts';

export const FAKE_USER = 'floorwatch';
export const FAKE_SECRET = 's3cret';

/** One queue member as queues.conf or a QueueAdd made it. */
export interface FakeMember {
  queue: string;
  /** MemberName (Floorwatch's agent id). */
  name: string;
  /** Interface (`PJSIP/1001`). */
  iface: string;
  /** Added at run time (removable), as opposed to a queues.conf member. */
  dynamic: boolean;
  paused: boolean;
  reason?: string;
}

export interface FakeConn {
  socket: net.Socket;
  parser: AmiParser;
  actions: AmiMessage[];
  loggedIn: boolean;
}

export class FakeAmi {
  readonly server = net.createServer((s) => this.accept(s));
  readonly conns: FakeConn[] = [];
  port = 0;
  members: FakeMember[] = [];
  /** Members removed by QueueRemove (their queue still exists). */
  removed: FakeMember[] = [];
  /** Actions (lower case) answered `Permission denied`: the manager user's `write =` lacks their class. */
  denied = new Set<string>();
  /** Actions (lower case) never answered. */
  silent = new Set<string>();
  /**
   * The OriginateResponse of an Async Originate: its `Reason` (AST_CONTROL_*: 4 answered, 0 unreachable, 3
   * rang unanswered, 5 busy; not 4 is `Response: Failure`), sent after `originateDelayMs` (0: in the same
   * write as the response); `null`: never sent (the phone still ringing).
   */
  originateReason: number | null = 4;
  originateDelayMs = 0;

  async listen(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this;
  }

  async close(): Promise<void> {
    for (const c of this.conns) c.socket.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  /** Every action received after the logins, on every connection, in order, without the keepalives and the login's lists. */
  get received(): AmiMessage[] {
    return this.conns.flatMap((c) => c.actions).filter((a) => !['login', 'ping', 'queuestatus', 'coreshowchannels', 'logoff'].includes((a.get('Action') ?? '').toLowerCase()));
  }

  /** Drops every connection (the client dials again and logs in anew). */
  dropAll(): void {
    for (const c of this.conns) c.socket.destroy();
  }

  /** How many logins succeeded so far. */
  get logins(): number {
    return this.conns.filter((c) => c.loggedIn).length;
  }

  private accept(socket: net.Socket): void {
    socket.setNoDelay(true);
    const conn: FakeConn = { socket, parser: new AmiParser(), actions: [], loggedIn: false };
    this.conns.push(conn);
    socket.on('error', () => {});
    socket.write('Asterisk Call Manager/9.0.0\r\n');
    conn.parser.push('Asterisk Call Manager/9.0.0\r\n'); // the server side reads no banner: prime the parser past it
    socket.on('data', (chunk: Buffer) => {
      for (const f of conn.parser.push(chunk)) if (f.kind === 'message') this.action(conn, f.message);
    });
  }

  private write(conn: FakeConn, fields: Record<string, string | number>): void {
    let s = '';
    for (const [k, v] of Object.entries(fields)) s += `${k}: ${v}\r\n`;
    conn.socket.write(`${s}\r\n`);
  }

  private action(conn: FakeConn, a: AmiMessage): void {
    conn.actions.push(a);
    const id = a.get('ActionID') ?? '';
    const name = (a.get('Action') ?? '').toLowerCase();
    const ok = (message: string, more: Record<string, string> = {}) => this.write(conn, { Response: 'Success', ActionID: id, Message: message, ...more });
    const error = (message: string) => this.write(conn, { Response: 'Error', ActionID: id, Message: message });
    if (name !== 'login' && !conn.loggedIn) return error('Permission denied');
    if (this.silent.has(name)) return;
    if (this.denied.has(name)) return error('Permission denied');
    switch (name) {
      case 'login':
        if (a.get('Username') === FAKE_USER && a.get('Secret') === FAKE_SECRET) {
          conn.loggedIn = true;
          ok('Authentication accepted');
        } else error('Authentication failed');
        return;
      case 'ping':
        return ok('', { Ping: 'Pong' });
      case 'queuestatus':
        ok('Queue status will follow', { EventList: 'start' });
        for (const m of this.members) {
          this.write(conn, { Event: 'QueueMember', ActionID: id, Queue: m.queue, Name: m.name, Location: m.iface, StateInterface: m.iface, Membership: m.dynamic ? 'dynamic' : 'static', Status: 1, Paused: m.paused ? 1 : 0, PausedReason: m.reason ?? '', InCall: 0 });
        }
        this.write(conn, { Event: 'QueueStatusComplete', ActionID: id, EventList: 'Complete', ListItems: this.members.length });
        return;
      case 'coreshowchannels':
        ok('Channels will follow', { EventList: 'start' });
        this.write(conn, { Event: 'CoreShowChannelsComplete', ActionID: id, EventList: 'Complete', ListItems: 0 });
        return;
      case 'queuepause': {
        const iface = a.get('Interface') ?? '';
        const queue = a.get('Queue');
        const paused = (a.get('Paused') ?? '').toLowerCase() === 'true';
        const hit = this.members.filter((m) => m.iface === iface && (queue === undefined || m.queue === queue));
        if (hit.length === 0) return error('Interface not found');
        ok(paused ? 'Interface paused successfully' : 'Interface unpaused successfully');
        for (const m of hit) {
          m.paused = paused;
          m.reason = paused ? (a.get('Reason') ?? '') : '';
          this.write(conn, { Event: 'QueueMemberPause', Queue: m.queue, MemberName: m.name, Interface: m.iface, StateInterface: m.iface, Membership: m.dynamic ? 'dynamic' : 'static', Status: 1, Paused: paused ? 1 : 0, PausedReason: m.reason });
        }
        return;
      }
      case 'queueremove': {
        const m = this.members.find((x) => x.iface === a.get('Interface') && x.queue === a.get('Queue'));
        if (![...this.members, ...this.removed].some((x) => x.queue === a.get('Queue'))) return error('Unable to remove interface from queue: No such queue');
        if (!m) return error('Unable to remove interface: Not there');
        if (!m.dynamic) return error('Member not dynamic');
        this.members = this.members.filter((x) => x !== m);
        this.removed.push(m);
        ok('Removed interface from queue');
        this.write(conn, { Event: 'QueueMemberRemoved', Queue: m.queue, MemberName: m.name, Interface: m.iface, StateInterface: m.iface, Membership: 'dynamic' });
        return;
      }
      case 'originate':
        if (!a.get('Channel')) return error('Channel not specified');
        if ((a.get('Async') ?? '').toLowerCase() === 'true') {
          ok('Originate successfully queued');
          // The phone rings later: the event carries the same ActionID (and a Response field of its own).
          const reason = this.originateReason;
          const send = () => this.write(conn, { Event: 'OriginateResponse', ActionID: id, Response: reason === 4 ? 'Success' : 'Failure', Channel: a.get('Channel') ?? '', Context: '', Exten: '', Reason: reason ?? 0, Uniqueid: reason === 4 ? '1795510900.77' : '<null>' });
          if (reason !== null) {
            if (this.originateDelayMs > 0) setTimeout(send, this.originateDelayMs);
            else send();
          }
        } else ok('Originate successfully queued');
        return;
      case 'logoff':
        this.write(conn, { Response: 'Goodbye', ActionID: id, Message: 'Thanks for all the fish.' });
        conn.socket.end();
        return;
      default:
        return error(`Invalid/unknown command: ${a.get('Action') ?? ''}. Use Action: ListCommands to show available commands.`);
    }
  }
}
