/**
 * `floorwatch replay`: sends queue_log files into a running server over
 * `POST /api/events`, in time order, at N× real time or as fast as possible.
 *
 * A replay knows every ring's start in advance, so unlike the live tail it
 * sends each `call.ringing` at the moment the ring began: the floor shows the
 * agent ringing while the replay plays. Event ids are the same as the tail's,
 * so replaying a file the server already has changes nothing.
 */
import type { FloorEvent } from '../../shared/events.ts';
import type { IngestResult } from '../../shared/wire.ts';
import { readQueueLogFiles, type LineStats } from './reader.ts';

/** Events per request when sending as fast as possible: well under the server's 10,000. */
const FAST_BATCH = 2_000;
/** At N× real time, events due within this window go in one request. */
const TIMED_SLOT_MS = 50;

export class ReplayError extends Error {}

export interface ReplayOptions {
  files: string[];
  /** Server base URL (`http://host:3000`) or the full events endpoint. */
  to: string;
  token: string;
  /** N× real time; undefined = as fast as possible. */
  speed?: number;
  timeZone: string;
  /** Called after each request, for progress output. */
  onProgress?: (sent: number, total: number) => void;
  fetchImpl?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

export interface ReplaySummary {
  lines: LineStats;
  events: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  requests: number;
  firstError?: string;
}

export function eventsUrl(to: string): string {
  let u: URL;
  try {
    u = new URL(to);
  } catch {
    throw new ReplayError(`--to: "${to}" is not a URL (expected e.g. http://localhost:3000)`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ReplayError(`--to: expected an http or https URL, got "${to}"`);
  if (!u.pathname.endsWith('/api/events')) u.pathname = `${u.pathname.replace(/\/+$/, '')}/api/events`;
  return u.toString();
}

export async function replayQueueLog(o: ReplayOptions): Promise<ReplaySummary> {
  const url = eventsUrl(o.to);
  const doFetch = o.fetchImpl ?? fetch;
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = o.now ?? (() => Date.now());
  const { reader, events } = await readQueueLogFiles(o.files, { timeZone: o.timeZone });
  const summary: ReplaySummary = { lines: reader.stats, events: events.length, accepted: 0, duplicates: 0, rejected: 0, requests: 0 };

  const post = async (batch: FloorEvent[]) => {
    let res: Response;
    try {
      res = await doFetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${o.token}` },
        body: JSON.stringify(batch),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new ReplayError(`cannot reach ${url}: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
    }
    let body: { ok?: boolean; data?: IngestResult; error?: string } = {};
    try {
      body = (await res.json()) as typeof body;
    } catch {
      // not JSON: reported by status below
    }
    if (!body.data) throw new ReplayError(`${url} answered ${res.status}: ${body.error ?? res.statusText}`);
    summary.requests++;
    summary.accepted += body.data.accepted;
    summary.duplicates += body.data.duplicates;
    summary.rejected += body.data.rejected.length;
    if (body.data.rejected.length && summary.firstError === undefined) summary.firstError = body.data.rejected[0].error;
  };

  let i = 0;
  if (o.speed === undefined) {
    for (; i < events.length; i += FAST_BATCH) {
      await post(events.slice(i, i + FAST_BATCH));
      o.onProgress?.(Math.min(i + FAST_BATCH, events.length), events.length);
    }
    return summary;
  }
  const speed = o.speed;
  const feedStart = events[0]?.at ?? 0;
  const wallStart = now();
  while (i < events.length) {
    const dueAt = wallStart + (events[i].at - feedStart) / speed;
    const wait = dueAt - now();
    if (wait > 0) await sleep(Math.min(wait, 1_000));
    if (dueAt - now() > 0) continue;
    const horizon = now() + TIMED_SLOT_MS;
    let j = i;
    while (j < events.length && j - i < FAST_BATCH && wallStart + (events[j].at - feedStart) / speed <= horizon) j++;
    await post(events.slice(i, j));
    i = j;
    o.onProgress?.(i, events.length);
  }
  return summary;
}
