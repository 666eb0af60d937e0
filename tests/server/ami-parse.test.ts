/**
 * The AMI frame parser on the wire format as Asterisk writes it, cut into TCP
 * chunks at every possible place.
 */
import { describe, expect, it } from 'vitest';
import { AmiParser, formatAction, MAX_LINE_BYTES, type AmiFrame } from '../../server/ami/parse.ts';

const BANNER = 'Asterisk Call Manager/5.0.1\r\n';
const LOGIN_OK = 'Response: Success\r\nActionID: floorwatch-1\r\nMessage: Authentication accepted\r\n\r\n';
const HOLD =
  'Event: Hold\r\nPrivilege: call,all\r\nTimestamp: 1795510860.250000\r\nChannel: PJSIP/1001-00000002\r\nChannelState: 6\r\nChannelStateDesc: Up\r\n' +
  'CallerIDNum: 1001\r\nCallerIDName: Ann Lee – ärge\r\nUniqueid: 1795510800.2\r\nLinkedid: 1795510800.1\r\nMusicClass: default\r\n\r\n';

function all(parser: AmiParser, chunks: (string | Buffer)[]): AmiFrame[] {
  return chunks.flatMap((c) => parser.push(c));
}

/** Frames as plain data, for comparing runs. */
function plain(frames: AmiFrame[]) {
  return frames.map((f) => (f.kind === 'banner' ? f : { kind: f.kind, fields: f.message.fields }));
}

describe('AMI frame parser', () => {
  it('reads the banner, then a response and an event ended by blank lines', () => {
    const p = new AmiParser();
    const frames = p.push(BANNER + LOGIN_OK + HOLD);
    expect(frames.map((f) => f.kind)).toEqual(['banner', 'message', 'message']);
    expect(frames[0]).toEqual({ kind: 'banner', text: 'Asterisk Call Manager/5.0.1' });
    const [, login, hold] = frames as [AmiFrame, Extract<AmiFrame, { kind: 'message' }>, Extract<AmiFrame, { kind: 'message' }>];
    expect(login.message.response).toBe('Success');
    expect(login.message.get('ActionID')).toBe('floorwatch-1');
    expect(hold.message.event).toBe('Hold');
    expect(hold.message.get('CallerIDName')).toBe('Ann Lee – ärge');
    expect(p.stats).toMatchObject({ messages: 2, damagedLines: 0, banner: 'Asterisk Call Manager/5.0.1' });
  });

  it('gives the same frames whatever byte the TCP chunks are cut at, including between \\r and \\n and inside a UTF-8 character', () => {
    const bytes = Buffer.from(BANNER + LOGIN_OK + HOLD, 'utf8');
    const whole = plain(new AmiParser().push(bytes));
    for (let cut = 1; cut < bytes.length; cut++) {
      const p = new AmiParser();
      expect(plain(all(p, [bytes.subarray(0, cut), bytes.subarray(cut)])), `cut at byte ${cut}`).toEqual(whole);
    }
    // And one byte at a time.
    const p = new AmiParser();
    const frames: AmiFrame[] = [];
    for (let i = 0; i < bytes.length; i++) frames.push(...p.push(bytes.subarray(i, i + 1)));
    expect(plain(frames)).toEqual(whole);
  });

  it('returns nothing for a message until its blank line arrives', () => {
    const p = new AmiParser();
    expect(p.push(BANNER + 'Event: Hangup\r\nUniqueid: 1.1\r\n')).toHaveLength(1);
    expect(p.push('Cause: 16\r')).toEqual([]);
    const frames = p.push('\n\r\n');
    expect(frames).toHaveLength(1);
    expect(frames[0].kind === 'message' && frames[0].message.get('cause')).toBe('16');
  });

  it('accepts lines ended by \\n alone', () => {
    const p = new AmiParser();
    const frames = p.push('Asterisk Call Manager/2.10.4\nEvent: Unhold\nUniqueid: 7.7\n\n');
    expect(frames).toHaveLength(2);
    expect(frames[1].kind === 'message' && frames[1].message.get('Uniqueid')).toBe('7.7');
  });

  it('looks keys up without regard to case and keeps every value of a repeated key', () => {
    const p = new AmiParser();
    const [, frame] = p.push(`${BANNER}Event: AgentConnect\r\nUniqueID: 1.5\r\nChanVariable: FROM_DID=5550100\r\nChanVariable: MEMBER=1001\r\n\r\n`);
    if (frame.kind !== 'message') throw new Error('expected a message');
    expect(frame.message.get('uniqueid')).toBe('1.5');
    expect(frame.message.get('UNIQUEID')).toBe('1.5');
    expect(frame.message.all('ChanVariable')).toEqual(['FROM_DID=5550100', 'MEMBER=1001']);
    expect(frame.message.get('ChanVariable')).toBe('FROM_DID=5550100');
    expect(frame.message.get('Missing')).toBeUndefined();
  });

  it('keeps colons inside a value and an empty value', () => {
    const p = new AmiParser();
    const [, frame] = p.push(`${BANNER}Event: VarSet\r\nValue: sip:1001@10.0.0.1:5060\r\nAccountCode:\r\n\r\n`);
    if (frame.kind !== 'message') throw new Error('expected a message');
    expect(frame.message.get('Value')).toBe('sip:1001@10.0.0.1:5060');
    expect(frame.message.get('AccountCode')).toBe('');
  });

  it('counts a damaged line, skips it and keeps the rest of its message', () => {
    const p = new AmiParser();
    const frames = p.push(`${BANNER}Event: Hangup\r\nthis line has no key\r\nUniqueid: 1.9\r\n\r\n`);
    expect(frames).toHaveLength(2);
    expect(frames[1].kind === 'message' && frames[1].message.get('Uniqueid')).toBe('1.9');
    expect(p.stats.damagedLines).toBe(1);
    expect(p.damagedSamples[0]).toMatch(/not "Key: Value"/);
  });

  it('ignores blank lines between messages', () => {
    const p = new AmiParser();
    expect(p.push(`${BANNER}\r\n\r\nEvent: Hangup\r\nUniqueid: 1.1\r\n\r\n\r\n`)).toHaveLength(2);
    expect(p.stats.messages).toBe(1);
  });

  it('drops a line longer than the bound without buffering it, and reads on after it', () => {
    const p = new AmiParser();
    p.push(`${BANNER}Event: Hangup\r\nJunk: `);
    const big = Buffer.alloc(MAX_LINE_BYTES + 10, 0x61);
    expect(p.push(big)).toEqual([]);
    expect(p.push(big)).toEqual([]);
    const frames = p.push('\r\nUniqueid: 2.2\r\n\r\n');
    expect(frames).toHaveLength(1);
    expect(frames[0].kind === 'message' && frames[0].message.get('Uniqueid')).toBe('2.2');
    expect(frames[0].kind === 'message' && frames[0].message.has('Junk')).toBe(false);
    expect(p.stats.damagedLines).toBe(1);
  });

  it('forgets a half-received message on reset, and expects a banner again', () => {
    const p = new AmiParser();
    p.push(`${BANNER}Event: AgentConnect\r\nUniqueid: 1.1\r\nQue`);
    p.reset();
    const frames = p.push(BANNER + HOLD);
    expect(frames.map((f) => f.kind)).toEqual(['banner', 'message']);
    expect(frames[1].kind === 'message' && frames[1].message.event).toBe('Hold');
    expect(frames[1].kind === 'message' && frames[1].message.has('Que')).toBe(false);
    expect(p.stats.discardedMessages).toBe(1);
  });

  it('formats an action as Key: Value lines and a blank line, with no line break smuggled in a value', () => {
    expect(formatAction({ Action: 'Login', Username: 'floor\r\nAction: Originate', Events: 'on' })).toBe(
      'Action: Login\r\nUsername: floor Action: Originate\r\nEvents: on\r\n\r\n',
    );
  });
});
