/**
 * Asterisk input for the adapter tests: times relative to one morning, AMI
 * events written as Asterisk 13+ sends them, and one queue ('support') whose
 * caller rings members EXT-200, EXT-201 and EXT-202.
 */
import { AmiAdapter } from '../../server/ami/adapter.ts';
import { AmiMessage } from '../../server/ami/parse.ts';
import type { FloorEvent, FloorEventInput } from '../../shared/events.ts';

/** 2026-11-24T09:00:00Z in epoch seconds. */
export const B = 1_795_510_800;
/** B + dt seconds in epoch ms. */
export const ms = (dt: number) => (B + dt) * 1000;

/** Events without ids, for readable expectations. */
export function shape(events: (FloorEvent | FloorEventInput)[]) {
  return events.map(({ id: _id, ...rest }) => rest);
}

/** An AMI event at B + dt seconds (with µs, as `timestampevents = yes` writes it); none when dt is undefined. */
export function ami(event: string, dt: number | undefined, fields: Record<string, string | number>): AmiMessage {
  const list: [string, string][] = [
    ['Event', event],
    ['Privilege', 'agent,all'],
  ];
  if (dt !== undefined) list.push(['Timestamp', (B + dt).toFixed(6)]);
  for (const [k, v] of Object.entries(fields)) list.push([k, String(v)]);
  return new AmiMessage(list);
}

// ------------------------------------------------------------ one queue, three members

/** The caller channel's Uniqueid, which is the call id. */
export const UID = '1795510800.1';
export const caller = (uid = UID) => ({ Channel: `PJSIP/trunk-${uid}`, Uniqueid: uid, Linkedid: uid, CallerIDNum: '5550111' });
const member = (ext: string, dest: string) => ({ DestChannel: `PJSIP/${ext}-0000000a`, DestUniqueid: dest, Interface: `PJSIP/${ext}`, MemberName: ext });
export const M200 = member('EXT-200', '1795510801.2');
export const M201 = member('EXT-201', '1795510801.3');
export const M202 = member('EXT-202', '1795510801.4');
export const Q = { Queue: 'support' };

export const join = (dt: number, uid = UID) => ami('QueueCallerJoin', dt, { ...caller(uid), ...Q, Position: 1, Count: 1 });
export const called = (dt: number, m: Record<string, string>, uid = UID) => ami('AgentCalled', dt, { ...caller(uid), ...m, ...Q });
export const rna = (dt: number, m: Record<string, string>, ringMs: number) => ami('AgentRingNoAnswer', dt, { ...caller(), ...m, ...Q, RingTime: ringMs });
export const connect = (dt: number, m: Record<string, string>, holdSec: number, ringSec: number) => ami('AgentConnect', dt, { ...caller(), ...m, ...Q, HoldTime: holdSec, RingTime: ringSec });
export const complete = (dt: number, m: Record<string, string>, holdSec: number, talkSec: number, reason = 'agent', uid = UID) =>
  ami('AgentComplete', dt, { ...caller(uid), ...m, ...Q, HoldTime: holdSec, TalkTime: talkSec, Reason: reason });
export const dialEnd = (dt: number, m: Record<string, string>, status: string) => ami('DialEnd', dt, { ...caller(), DestChannel: m.DestChannel, DestUniqueid: m.DestUniqueid, DialStatus: status });
export const hangup = (dt: number, uid = UID) => ami('Hangup', dt, { Channel: `PJSIP/trunk-${uid}`, Uniqueid: uid, Linkedid: uid, Cause: 16 });

/** Feeds `msgs` to `adapter` (a new one by default), each arriving at `arrivalMs`: the events it gives and the reasons of what it skipped. */
export function feedAmi(msgs: AmiMessage[], arrivalMs: number, adapter = new AmiAdapter()): { adapter: AmiAdapter; events: FloorEventInput[]; skipped: string[] } {
  const events: FloorEventInput[] = [];
  const skipped: string[] = [];
  for (const m of msgs) {
    const r = adapter.feed(m, arrivalMs);
    if (r.kind === 'events') events.push(...r.events);
    else skipped.push(r.reason);
  }
  return { adapter, events, skipped };
}
