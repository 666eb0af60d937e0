/**
 * The Event Socket parser: messages framed by headers and Content-Length, cut anywhere by TCP,
 * event-plain bodies with URL-encoded values, and damage counted, never thrown.
 */
import { describe, expect, it } from 'vitest';
import { EslParser, MAX_BODY_BYTES, parseEventPlain, urlDecode, formatCommand } from '../../server/freeswitch/esl-parse.ts';
import { parseChannelList, parseMemberList } from '../../server/freeswitch/adapter.ts';
import { ccEvent, eventPlain } from './fake-esl.ts';

const B = Date.parse('2026-11-24T09:00:00Z');

describe('Event Socket parser', () => {
  it('reads auth/request, a command/reply and an api/response with its body, in order', () => {
    const p = new EslParser();
    const msgs = p.push('Content-Type: auth/request\n\nContent-Type: command/reply\nReply-Text: +OK accepted\n\nContent-Type: api/response\nContent-Length: 5\n\n4242\n');
    expect(msgs.map((m) => m.contentType)).toEqual(['auth/request', 'command/reply', 'api/response']);
    expect(msgs[1].headers.get('reply-text')).toBe('+OK accepted');
    expect(msgs[2].body).toBe('4242\n');
    expect(p.stats).toMatchObject({ messages: 3, damaged: 0 });
  });

  it('gives the same messages whichever byte the stream is cut at, inside headers, the length digits, the body and a UTF-8 character', () => {
    const ev = ccEvent('member-queue-start', B, { 'CC-Queue': 'support@default', 'CC-Member-CID-Name': 'Jüri Õun & Co', 'CC-Member-Session-UUID': 'a1b2' });
    const wire = Buffer.from(eventPlain(ev) + 'Content-Type: command/reply\nReply-Text: +OK\n\n' + eventPlain(ev), 'utf8');
    const whole = new EslParser().push(wire);
    expect(whole).toHaveLength(3);
    for (let cut = 1; cut < wire.length; cut++) {
      const p = new EslParser();
      const got = [...p.push(wire.subarray(0, cut)), ...p.push(wire.subarray(cut))];
      expect(got.map((m) => [m.contentType, m.body])).toEqual(whole.map((m) => [m.contentType, m.body]));
    }
    const inner = parseEventPlain(whole[0].body!);
    expect(inner.headers.get('CC-Member-CID-Name')).toBe('Jüri Õun & Co');
    expect(inner.headers.get('Event-Subclass')).toBe('callcenter::info');
    expect(inner.headers.get('CC-Queue')).toBe('support@default');
  });

  it('decodes URL-encoded values as switch_url_encode() writes them; a broken escape is kept as sent and counted', () => {
    const stats = { messages: 0, damaged: 0, discardedMessages: 0 };
    const ev = parseEventPlain('Event-Name: CUSTOM\nCaller-Caller-ID-Name: %22Acme%22%20%3Cbilling%3E\nPlus: a+b\nBad: 100%zz\n\n', stats);
    expect(ev.headers.get('Caller-Caller-ID-Name')).toBe('"Acme" <billing>');
    expect(ev.headers.get('Plus')).toBe('a+b');
    expect(ev.headers.get('Bad')).toBe('100%zz');
    expect(stats.damaged).toBe(1);
    expect(urlDecode('%E2%82%AC')).toBe('€');
  });

  it("reads an event's own body after its headers (Content-Length inside the event)", () => {
    const body = 'Event-Name: BACKGROUND_JOB\nJob-UUID: 7f4d\nContent-Length: 8\n\n+OK done';
    const ev = parseEventPlain(body);
    expect(ev.headers.get('Job-UUID')).toBe('7f4d');
    expect(ev.body).toBe('+OK done');
  });

  it('counts a header line that is not "Name: value" and goes on', () => {
    const p = new EslParser();
    const msgs = p.push('Content-Type: command/reply\nthis is not a header\nReply-Text: +OK\n\n');
    expect(msgs[0].headers.get('Reply-Text')).toBe('+OK');
    expect(p.stats.damaged).toBe(1);
  });

  it('stops framing at a Content-Length that is not a number or is too large, and says so', () => {
    const p = new EslParser();
    expect(p.push('Content-Type: api/response\nContent-Length: 12x\n\nhello')).toEqual([]);
    expect(p.framingLost).toBe(true);
    expect(p.stats.damaged).toBe(1);
    p.reset();
    expect(p.framingLost).toBe(false);
    expect(p.push(`Content-Type: api/response\nContent-Length: ${MAX_BODY_BYTES + 1}\n\n`)).toEqual([]);
    expect(p.framingLost).toBe(true);
  });

  it('counts a message cut off by a reset (a disconnect mid-event) and starts clean', () => {
    const p = new EslParser();
    const wire = eventPlain(ccEvent('agent-offering', B, { 'CC-Agent': '1000@default' }));
    p.push(wire.slice(0, wire.length - 20));
    p.reset();
    expect(p.stats.discardedMessages).toBe(1);
    expect(p.push('Content-Type: auth/request\n\n').map((m) => m.contentType)).toEqual(['auth/request']);
  });

  it('writes one command as one line and a blank line, whatever line breaks it holds', () => {
    expect(formatCommand('auth ClueCon')).toBe('auth ClueCon\n\n');
    expect(formatCommand('api status\n\nexit')).toBe('api status exit\n\n');
  });
});

describe('FreeSWITCH list answers', () => {
  it('reads callcenter_config queue list members rows by their column names; an abandoned entry without its session is kept', () => {
    const text =
      'queue|instance_id|uuid|session_uuid|cid_number|cid_name|system_epoch|joined_epoch|rejoined_epoch|bridge_epoch|abandoned_epoch|base_score|skill_score|serving_agent|serving_system|state|score\n' +
      'support@default|single_box|m-1|s-1|5550100|Ann|1795510800|1795510800|0|0|0|0|0||single_box|Waiting|12\n' +
      'support@default|single_box|m-2|s-2|5550101|Bob|1795510790|1795510790|0|1795510805|0|0|0|1000@default|single_box|Answered|22\n' +
      'support@default|single_box|m-3||5550102|Cy|1795510700|1795510700|0|0|1795510760|0|0||single_box|Abandoned|99\n' +
      'broken|line\n' +
      '+OK\n';
    const r = parseMemberList(text);
    expect(r.ok).toBe(true);
    expect(r.damaged).toBe(1);
    expect(r.rows).toEqual([
      { queue: 'support@default', uuid: 'm-1', sessionUuid: 's-1', cidNumber: '5550100', cidName: 'Ann', joinedEpoch: 1795510800, bridgeEpoch: 0, abandonedEpoch: 0, servingAgent: undefined, state: 'Waiting' },
      { queue: 'support@default', uuid: 'm-2', sessionUuid: 's-2', cidNumber: '5550101', cidName: 'Bob', joinedEpoch: 1795510790, bridgeEpoch: 1795510805, abandonedEpoch: 0, servingAgent: '1000@default', state: 'Answered' },
      { queue: 'support@default', uuid: 'm-3', sessionUuid: '', cidNumber: '5550102', cidName: 'Cy', joinedEpoch: 1795510700, bridgeEpoch: 0, abandonedEpoch: 1795510760, servingAgent: undefined, state: 'Abandoned' },
    ]);
    expect(parseMemberList('+OK\n')).toEqual({ rows: [], damaged: 0, ok: true });
    expect(parseMemberList('-ERR callcenter_config Command not found!\n').ok).toBe(false);
  });

  it('reads show channels as json, with rows and without', () => {
    expect([...parseChannelList('{"row_count":2,"rows":[{"uuid":"a"},{"uuid":"b"}]}')!]).toEqual(['a', 'b']);
    expect(parseChannelList('{"row_count": 0}\n')!.size).toBe(0);
    expect(parseChannelList('-ERR no reply')).toBeUndefined();
  });
});
