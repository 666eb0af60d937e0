/**
 * A fake Asterisk manager that feeds events, for the AMI client and the talk-detection tests: the
 * real wire format (banner, `Key: Value` lines ending in a blank line, responses carrying the
 * ActionID), Login against one manager.conf user, Ping, QueueStatus and CoreShowChannels answered as
 * Asterisk does, and events written in pieces cut anywhere, each its own TCP packet. One queue call
 * ('sales': a caller answered by member PJSIP/1001) in AMI events as Asterisk 13+ writes them.
 */
import net from 'node:net';
import { AmiParser, type AmiMessage } from '../../server/ami/parse.ts';

/** 2026-11-24T09:00:00Z in epoch seconds: the harness clock's start. */
export const B = 1_795_510_800;
/** The manager.conf user the fake accepts, and its secret. */
export const USER = 'floorwatch';
export const SECRET = 's3cret';
/** A logger that says nothing. */
export const quiet = { info: () => {}, warn: () => {}, error: () => {} };
/** Waits `ms` real milliseconds (the fake's pauses between TCP packets). */
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One AMI event as Asterisk writes it, stamped B + dt seconds (`timestampevents = yes`). */
export function wire(event: string, dt: number, fields: Record<string, string | number>): string {
  let s = `Event: ${event}\r\nPrivilege: agent,all\r\nTimestamp: ${(B + dt).toFixed(6)}\r\n`;
  for (const [k, v] of Object.entries(fields)) s += `${k}: ${v}\r\n`;
  return `${s}\r\n`;
}

/** One queue call: the caller's channel on queue 'sales', answered by member PJSIP/1001 on its own channel. */
export const CALLER = { Channel: 'PJSIP/trunk-00000001', Uniqueid: '1795510800.1', Linkedid: '1795510800.1', CallerIDNum: '5550100' };
export const AGENT = { DestChannel: 'PJSIP/1001-00000002', DestUniqueid: '1795510805.2', DestLinkedid: '1795510800.1', Interface: 'PJSIP/1001', MemberName: 'PJSIP/1001' };
export const call = (uid: string) => ({ ...CALLER, Uniqueid: uid, Linkedid: uid });
export const join = (dt: number, uid = CALLER.Uniqueid) => wire('QueueCallerJoin', dt, { ...call(uid), Queue: 'sales', Position: 1, Count: 1 });
export const called = (dt: number) => wire('AgentCalled', dt, { ...CALLER, ...AGENT, Queue: 'sales' });
export const connect = (dt: number) => wire('AgentConnect', dt, { ...CALLER, ...AGENT, Queue: 'sales', HoldTime: dt, RingTime: 5 });
export const hold = (event: 'Hold' | 'Unhold', dt: number) => wire(event, dt, { Channel: AGENT.DestChannel, Uniqueid: AGENT.DestUniqueid, Linkedid: CALLER.Linkedid });
export const complete = (dt: number) => wire('AgentComplete', dt, { ...CALLER, ...AGENT, Queue: 'sales', HoldTime: 10, TalkTime: dt - 10, Reason: 'agent' });

/** One manager connection as the fake sees it. */
export interface Conn {
  socket: net.Socket;
  parser: AmiParser;
  actions: AmiMessage[];
  loggedIn: boolean;
}

/**
 * A fake Asterisk manager: banner on connect, Login checked against one
 * user, Ping, QueueStatus and CoreShowChannels answered as Asterisk does.
 */
export class FakeAmi {
  readonly server = net.createServer((s) => this.accept(s));
  readonly conns: Conn[] = [];
  port = 0;
  secret = SECRET;
  answerPings = true;
  /** Close every new connection at once, before the banner. */
  slam = false;
  /** Channels CoreShowChannels lists. */
  liveChannels: string[] = [];
  /** Callers QueueStatus lists as waiting (QueueEntry), with their wait so far in seconds. */
  queueEntries: { uid: string; waitSec: number }[] = [];
  /** Members QueueStatus lists (QueueMember). */
  queueMembers: { name: string; inCall: boolean }[] = [];
  readonly acceptedAt: number[] = [];

  async listen(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this;
  }

  async close(): Promise<void> {
    for (const c of this.conns) c.socket.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  /** The connection that logged in last. */
  get current(): Conn | undefined {
    return [...this.conns].reverse().find((c) => c.loggedIn && !c.socket.destroyed);
  }

  private accept(socket: net.Socket): void {
    this.acceptedAt.push(Date.now());
    if (this.slam) {
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    const conn: Conn = { socket, parser: new AmiParser(), actions: [], loggedIn: false };
    this.conns.push(conn);
    socket.on('error', () => {});
    socket.write('Asterisk Call Manager/5.0.1\r\n');
    conn.parser.push('Asterisk Call Manager/5.0.1\r\n'); // the server side reads no banner: prime the parser past it
    socket.on('data', (chunk: Buffer) => {
      for (const f of conn.parser.push(chunk)) if (f.kind === 'message') this.action(conn, f.message);
    });
  }

  private action(conn: Conn, a: AmiMessage): void {
    conn.actions.push(a);
    const id = a.get('ActionID') ?? '';
    const reply = (fields: string) => conn.socket.write(`Response: ${fields.replace('\0', `\r\nActionID: ${id}`)}\r\n\r\n`);
    switch ((a.get('Action') ?? '').toLowerCase()) {
      case 'login':
        if (a.get('Username') === USER && a.get('Secret') === this.secret) {
          conn.loggedIn = true;
          reply('Success\0\r\nMessage: Authentication accepted');
          conn.socket.write('Event: FullyBooted\r\nPrivilege: system,all\r\nStatus: Fully Booted\r\n\r\n');
        } else {
          reply('Error\0\r\nMessage: Authentication failed');
        }
        break;
      case 'ping':
        if (this.answerPings) reply(`Success\0\r\nPing: Pong\r\nTimestamp: ${B}.000000`);
        break;
      case 'queuestatus':
        // As Asterisk writes the list: no Timestamp on its items, each with the ActionID.
        reply('Success\0\r\nEventList: start\r\nMessage: Queue status will follow');
        for (const m of this.queueMembers)
          conn.socket.write(`Event: QueueMember\r\nActionID: ${id}\r\nQueue: sales\r\nName: ${m.name}\r\nLocation: ${m.name}\r\nStateInterface: ${m.name}\r\nMembership: dynamic\r\nStatus: ${m.inCall ? 2 : 1}\r\nPaused: 0\r\nInCall: ${m.inCall ? 1 : 0}\r\n\r\n`);
        this.queueEntries.forEach((e, i) =>
          conn.socket.write(`Event: QueueEntry\r\nActionID: ${id}\r\nQueue: sales\r\nPosition: ${i + 1}\r\nChannel: X/${e.uid}\r\nUniqueid: ${e.uid}\r\nCallerIDNum: 555${i}\r\nWait: ${e.waitSec}\r\n\r\n`),
        );
        conn.socket.write(`Event: QueueStatusComplete\r\nActionID: ${id}\r\nEventList: Complete\r\nListItems: ${this.queueMembers.length + this.queueEntries.length}\r\n\r\n`);
        break;
      case 'coreshowchannels':
        reply('Success\0\r\nEventList: start\r\nMessage: Channels will follow');
        for (const u of this.liveChannels) conn.socket.write(`Event: CoreShowChannel\r\nActionID: ${id}\r\nChannel: X/${u}\r\nUniqueid: ${u}\r\nLinkedid: ${u}\r\n\r\n`);
        conn.socket.write(`Event: CoreShowChannelsComplete\r\nActionID: ${id}\r\nEventList: Complete\r\nListItems: ${this.liveChannels.length}\r\n\r\n`);
        break;
      case 'logoff':
        reply('Goodbye\0\r\nMessage: Thanks for all the fish.');
        conn.socket.end();
        break;
    }
  }

  /** Writes text to every logged-in connection in pieces cut at the given offsets, each its own TCP packet. */
  async send(text: string, cuts: number[] = []): Promise<void> {
    const conns = this.conns.filter((c) => c.loggedIn && !c.socket.destroyed);
    if (conns.length === 0) throw new Error('nobody logged in');
    let at = 0;
    for (const cut of [...cuts, text.length]) {
      for (const c of conns) c.socket.write(text.slice(at, cut));
      at = cut;
      await sleep(5);
    }
  }
}
