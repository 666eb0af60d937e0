/**
 * A seeded, realistic Asterisk queue_log for the benchmarks: several queues
 * served by overlapping member sets over business days, as app_queue writes
 * it (Asterisk 16+ field layouts).
 *
 * Per day: members log in (ADDMEMBER), take breaks (PAUSE … UNPAUSE) and log
 * out (REMOVEMEMBER); calls arrive at random (busier mid-morning and
 * mid-afternoon), some with a DID line first, wait for the member who is free
 * first, ring (RINGNOANSWER when a member lets it time out, then the next
 * attempt), are answered (CONNECT) and completed by either side
 * (COMPLETECALLER / COMPLETEAGENT) or transferred (BLINDTRANSFER,
 * ATTENDEDTRANSFER); callers whose patience runs out leave (ABANDON, with a
 * RINGCANCELED when a phone was ringing, EXITWITHTIMEOUT, EXITWITHKEY).
 * A QUEUESTART and a CONFIGRELOAD now and then.
 *
 * Lines are written in time order, whole seconds, each call's lines in the
 * order Asterisk writes them. The same options give the same bytes.
 */
import fs from 'node:fs';
import { mulberry32 as prng } from '../../shared/random.ts';

export interface QueueLogGenOptions {
  /** Lines to write (exactly). */
  lines: number;
  seed?: number;
  /** Epoch seconds of the first day's midnight (UTC). Default 2026-11-02 00:00 UTC, a Monday. */
  startSec?: number;
}

export interface QueueLogGenResult {
  lines: number;
  bytes: number;
  /** ENTERQUEUE lines written. */
  calls: number;
  /** Days begun (the last one cut where the lines run out). */
  days: number;
}

/** Queues: members, calls an hour at 1.0 load, and the ring timeout (s) after which a member's ring is a RINGNOANSWER. */
const QUEUES = [
  { name: 'sales', members: 40, callsPerHour: 420, ringTimeout: 20 },
  { name: 'support', members: 60, callsPerHour: 600, ringTimeout: 15 },
  { name: 'billing', members: 24, callsPerHour: 230, ringTimeout: 30 },
  { name: 'retention', members: 14, callsPerHour: 110, ringTimeout: 25 },
  { name: 'vip', members: 8, callsPerHour: 50, ringTimeout: 15 },
];
const RING_TIMEOUT = new Map(QUEUES.map((q) => [q.name, q.ringTimeout]));
const DAY_START_H = 8;
const DAY_END_H = 18;
const RETRY_S = 5;
const WRAPUP_S = 10;
const QUEUE_TIMEOUT_S = 600;

/** Hourly load profile, 08:00–18:00: a morning and an afternoon peak. */
const PROFILE = [0.6, 1.0, 1.3, 1.2, 0.8, 0.9, 1.2, 1.1, 0.9, 0.6];

/**
 * Writes the file and returns what it holds. Memory: the lines of one day at
 * a time (about 150,000 at the default load), sorted by time, then appended.
 */
export function generateQueueLog(file: string, opts: QueueLogGenOptions): QueueLogGenResult {
  const rnd = prng(opts.seed ?? 1);
  const startSec = opts.startSec ?? 1_793_577_600; // 2026-11-02T00:00:00Z, a Monday
  const exp = (mean: number) => -Math.log(1 - rnd()) * mean;

  // Members: PJSIP/2000… with some in two queues; a few Local/ channels and Agent/ ids.
  const agents: string[] = [];
  const queueMembers = new Map<string, number[]>();
  let n = 0;
  for (const q of QUEUES) {
    const ids: number[] = [];
    for (let i = 0; i < q.members; i++) {
      const kind = n % 23 === 0 ? `Local/${3000 + n}@from-queue/n` : n % 17 === 0 ? `Agent/${4000 + n}` : `PJSIP/${2000 + n}`;
      agents.push(kind);
      ids.push(n++);
    }
    queueMembers.set(q.name, ids);
  }
  // Overlap: every fifth support member also takes billing, every fourth sales member retention.
  queueMembers.get('billing')!.push(...queueMembers.get('support')!.filter((_, i) => i % 5 === 0));
  queueMembers.get('retention')!.push(...queueMembers.get('sales')!.filter((_, i) => i % 4 === 0));
  const queuesOf = new Map<number, string[]>();
  for (const [q, ids] of queueMembers) for (const id of ids) queuesOf.set(id, [...(queuesOf.get(id) ?? []), q]);

  const fd = fs.openSync(file, 'w');
  let written = 0;
  let bytes = 0;
  let calls = 0;
  let day = 0;
  let uniq = 0;
  const uniqueId = (sec: number) => `${sec}.${uniq++}`;

  try {
    while (written < opts.lines) {
      const d0 = startSec + day * 86_400;
      // Saturdays and Sundays are quiet: a fifth of the calls.
      const weekend = day % 7 >= 5 ? 0.2 : 1;
      const buf: { sec: number; text: string }[] = [];
      const add = (sec: number, callId: string, queue: string, agent: string, verb: string, ...data: (string | number)[]) => {
        buf.push({ sec: Math.floor(sec), text: `${Math.floor(sec)}|${callId}|${queue}|${agent}|${verb}${data.length ? `|${data.join('|')}` : ''}` });
      };
      const open = d0 + DAY_START_H * 3600;
      const close = d0 + DAY_END_H * 3600;
      if (day === 0 || rnd() < 0.15) add(open - 600, 'NONE', 'NONE', 'NONE', 'QUEUESTART');
      if (rnd() < 0.3) add(open - 300 + Math.floor(rnd() * 200), 'NONE', 'NONE', 'NONE', 'CONFIGRELOAD');

      // Members' shifts and breaks; `freeAt` is when each can next take a call.
      const freeAt = new Float64Array(agents.length);
      const shiftEnd = new Float64Array(agents.length);
      const breaks: [number, number, string][][] = agents.map(() => []);
      for (let a = 0; a < agents.length; a++) {
        const login = open - 300 + Math.floor(rnd() * 900);
        const logout = close - 600 + Math.floor(rnd() * 1500);
        freeAt[a] = login;
        shiftEnd[a] = logout;
        for (const q of queuesOf.get(a)!) add(login, 'NONE', q, agents[a], 'ADDMEMBER', '');
        for (const [mid, reason] of [
          [open + 2 * 3600, 'coffee'],
          [open + 4.5 * 3600, 'lunch'],
          [open + 7 * 3600, 'coffee'],
        ] as const) {
          const from = Math.floor(mid + (rnd() - 0.5) * 3600);
          const to = from + (reason === 'lunch' ? 1800 : 600) + Math.floor(rnd() * 300);
          breaks[a].push([from, to, reason]);
        }
        for (const q of queuesOf.get(a)!) add(logout, 'NONE', q, agents[a], 'REMOVEMEMBER', '');
      }
      /** A break that starts while the member is free begins then; one during a call waits for its end. */
      const takeBreaks = (a: number, until: number) => {
        const bs = breaks[a];
        while (bs.length && bs[0][0] <= until) {
          const [from, to, reason] = bs.shift()!;
          const start = Math.max(from, freeAt[a]);
          const end = start + (to - from);
          add(start, 'NONE', 'NONE', agents[a], 'PAUSE', reason);
          add(end, 'NONE', 'NONE', agents[a], 'UNPAUSE', '');
          freeAt[a] = end;
        }
      };

      // Calls per queue, Poisson arrivals by the hour's load.
      const arrivals: { t: number; q: string }[] = [];
      for (const q of QUEUES) {
        for (let h = 0; h < PROFILE.length; h++) {
          const rate = (q.callsPerHour * PROFILE[h] * weekend) / 3600;
          let t = open + h * 3600 + exp(1 / rate);
          while (t < open + (h + 1) * 3600) {
            arrivals.push({ t: Math.floor(t), q: q.name });
            t += exp(1 / rate);
          }
        }
      }
      arrivals.sort((x, y) => x.t - y.t);

      for (const { t, q } of arrivals) {
        const id = uniqueId(t);
        if (rnd() < 0.3) add(t, id, q, 'NONE', 'DID', `555${1000 + Math.floor(rnd() * 9000)}`);
        const caller = `0${Math.floor(100000000 + rnd() * 899999999)}`;
        add(t, id, q, 'NONE', 'ENTERQUEUE', '', caller, 1 + Math.floor(rnd() * 3));
        const patience = 10 + exp(120);
        const giveUp = t + patience;
        let now = t + 1;
        let answered = false;
        let attempts = 0;
        while (!answered) {
          // The member of this queue free first (and on shift).
          let best = -1;
          for (const a of queueMembers.get(q)!) {
            if (now > shiftEnd[a]) continue;
            takeBreaks(a, Math.max(now, freeAt[a]));
            if (best === -1 || freeAt[a] < freeAt[best]) best = a;
          }
          const ringFrom = best === -1 ? Infinity : Math.max(now, freeAt[best]);
          if (ringFrom >= giveUp || now - t > QUEUE_TIMEOUT_S) {
            const leave = Math.min(giveUp, t + QUEUE_TIMEOUT_S);
            const wait = Math.floor(leave - t);
            const r = rnd();
            if (leave === t + QUEUE_TIMEOUT_S) add(leave, id, q, 'NONE', 'EXITWITHTIMEOUT', 1, 1, wait);
            else if (r < 0.05) add(leave, id, q, 'NONE', 'EXITWITHKEY', '1', 1, 1, wait);
            else add(leave, id, q, 'NONE', 'ABANDON', 1 + Math.floor(rnd() * 4), 1, wait);
            break;
          }
          attempts++;
          const agent = agents[best];
          const noAnswer = attempts < 4 && rnd() < 0.12;
          const ringS = noAnswer ? (RING_TIMEOUT.get(q) as number) : 2 + Math.floor(rnd() * 12);
          const ringEnd = ringFrom + ringS;
          if (ringEnd > giveUp) {
            // The caller hangs up while the phone rings.
            const leave = Math.floor(giveUp);
            add(leave, id, q, agent, 'RINGCANCELED', Math.floor((leave - ringFrom) * 1000));
            add(leave, id, q, 'NONE', 'ABANDON', 1, 1, Math.floor(leave - t));
            freeAt[best] = leave;
            break;
          }
          if (noAnswer) {
            add(ringEnd, id, q, agent, 'RINGNOANSWER', ringS * 1000);
            freeAt[best] = ringEnd + 1;
            now = ringEnd + RETRY_S;
            continue;
          }
          answered = true;
          const wait = Math.floor(ringEnd - t);
          add(ringEnd, id, q, agent, 'CONNECT', wait, uniqueId(ringEnd), ringS);
          const talk = Math.max(5, Math.floor(Math.exp(Math.log(150) + (rnd() + rnd() + rnd() - 1.5) * 1.2)));
          const end = ringEnd + talk;
          const r = rnd();
          if (r < 0.05) add(end, id, q, agent, 'BLINDTRANSFER', `${2000 + Math.floor(rnd() * 100)}`, 'from-internal', wait, talk, 1);
          else if (r < 0.07) add(end, id, q, agent, 'ATTENDEDTRANSFER', 'BRIDGE', `b${uniq++}`, wait, talk, 1);
          else add(end, id, q, agent, r < 0.55 ? 'COMPLETECALLER' : 'COMPLETEAGENT', wait, talk, 1);
          freeAt[best] = end + WRAPUP_S;
        }
      }
      for (let a = 0; a < agents.length; a++) takeBreaks(a, Infinity);

      // Time order; a call's own lines keep the order they were added in.
      const order = new Float64Array(buf.length);
      for (let i = 0; i < buf.length; i++) order[i] = (buf[i].sec - d0) * 2 ** 21 + i;
      order.sort();
      const chunk: string[] = [];
      for (let i = 0; i < order.length && written < opts.lines; i++) {
        const text = buf[order[i] % 2 ** 21].text;
        if (text.includes('|ENTERQUEUE|')) calls++;
        chunk.push(text);
        written++;
        if (chunk.length === 10_000) {
          const s = chunk.join('\n') + '\n';
          bytes += fs.writeSync(fd, s);
          chunk.length = 0;
        }
      }
      if (chunk.length) bytes += fs.writeSync(fd, chunk.join('\n') + '\n');
      day++;
    }
  } finally {
    fs.closeSync(fd);
  }
  return { lines: written, bytes, calls, days: day };
}

/** `tsx bench/lib/queuelog-gen.ts FILE LINES [SEED]`: writes a file (for profiling by hand). */
if (process.argv[1]?.endsWith('queuelog-gen.ts')) {
  const [file, lines, seed] = process.argv.slice(2);
  if (!file || !lines) {
    console.error('usage: tsx bench/lib/queuelog-gen.ts FILE LINES [SEED]');
    process.exit(2);
  }
  const r = generateQueueLog(file, { lines: Number(lines), seed: seed ? Number(seed) : 1 });
  console.log(JSON.stringify(r));
}
