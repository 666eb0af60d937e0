/**
 * A call's drill-down with every alert the log recorded on it, warnings as well as breaches. The live floor
 * keeps an ended call's detail longer (its last 2,000 calls) than its resolved alerts (the last 500), so a
 * call of a few hours ago came back with its warnings gone and read "None" while the what-if page listed it
 * for a warning. `GET /api/alerts` answers the alerts raised in a time span: those of the call are merged in.
 * No engine here: the scorecard loads callRebuild.ts only when a past call needs folding.
 */
import type { Alert } from '../../shared/state.ts';
import type { CallDetail } from '../../shared/wire.ts';
import type { FloorConfig } from '../../shared/config.ts';
import type { FloorEvent } from '../../shared/events.ts';

/**
 * How long after a call's last event its alerts may still be raised, ms: notes are judged after wrap-up and
 * an abandoned caller's callback item warns at 30 and breaches at 60 minutes (the defaults).
 */
export const CALL_ALERTS_AFTER_MS = 2 * 3_600_000;
/** Most alerts one look-up reads (the server's cap): a span of a busy floor's two hours holds far fewer. */
const ALERTS_LIMIT = 5_000;

/** A GET of the app's API as stores/session.ts `api` answers it. */
export type ApiGet = <T>(path: string) => Promise<{ ok: true; data: T } | { ok: false; error: string; status: number }>;

/**
 * The alerts of `callId` the log holds, raised from `fromMs` to `untilMs` + {@link CALL_ALERTS_AFTER_MS}
 * (epoch ms), oldest first; null when the log could not be asked (then the drill-down shows what it has).
 */
export async function loggedCallAlerts(callId: string, fromMs: number, untilMs: number, get: ApiGet): Promise<Alert[] | null> {
  const q = new URLSearchParams({ sinceMs: String(Math.floor(fromMs)), untilMs: String(Math.ceil(untilMs + CALL_ALERTS_AFTER_MS)), limit: String(ALERTS_LIMIT) });
  const r = await get<Alert[]>(`/api/alerts?${q}`);
  if (!r.ok || !Array.isArray(r.data)) return null;
  return r.data.filter((a) => a.callId === callId).sort((a, b) => a.raisedAtMs - b.raisedAtMs);
}

/** The first and last time on a call's timeline, epoch ms (null without one). */
export function callSpan(d: CallDetail): { fromMs: number; untilMs: number } | null {
  const times = d.timeline.map((e) => e.atMs);
  if (d.queuedAtMs !== null) times.push(d.queuedAtMs);
  if (d.endedAtMs !== null) times.push(d.endedAtMs);
  return times.length ? { fromMs: Math.min(...times), untilMs: Math.max(...times) } : null;
}

/**
 * `d` with the logged alerts `logged` of its call. `live`: the floor's own detail, whose alerts are the newest
 * (an open alert still growing): the logged ones it no longer holds are added. A detail rebuilt in the browser
 * from the call's events with today's settings (`rebuilt`) takes the log's alerts instead, the record of what
 * was raised under the settings of the day, as the what-if page's baseline counts them. Sorted by time raised.
 */
export function withLoggedAlerts(d: CallDetail, logged: Alert[] | null, kind: 'live' | 'rebuilt'): CallDetail {
  if (logged === null) return d;
  if (kind === 'rebuilt') return { ...d, alerts: [...logged].sort((a, b) => a.raisedAtMs - b.raisedAtMs) };
  const byId = new Map(logged.map((a) => [a.id, a]));
  for (const a of d.alerts) byId.set(a.id, a);
  return { ...d, alerts: [...byId.values()].sort((a, b) => a.raisedAtMs - b.raisedAtMs) };
}

/** {@link withLoggedAlerts} after asking the log ({@link loggedCallAlerts}) over the call's span. */
export async function completeCallAlerts(d: CallDetail, kind: 'live' | 'rebuilt', get: ApiGet): Promise<CallDetail> {
  const span = callSpan(d);
  if (!span) return d;
  return withLoggedAlerts(d, await loggedCallAlerts(d.callId, span.fromMs, span.untilMs, get), kind);
}

/**
 * A call's drill-down from `path` (`GET /api/calls/:id…`): the live floor's when the server still holds
 * the call, else `rebuild` of the logged events it answers with (callRebuild.ts's callDetailFromEvents,
 * which a view may load lazily) with `config` (null without a config); either way with the alerts the
 * log recorded on it ({@link completeCallAlerts}); a rebuilt detail keeps the `transcript` and
 * `transcriptMode` the server sent beside the events. Resolves `{ error }` with the server's message when
 * it refuses. `opts.loggedAlerts: false` (an agent: the alerts API is the supervisors', and the server
 * already answers an agent's own call with their alerts) asks the log nothing more.
 */
export async function loadCallDetail(
  callId: string,
  path: string,
  config: FloorConfig | null | undefined,
  get: ApiGet,
  rebuild: (callId: string, events: FloorEvent[], config: FloorConfig) => CallDetail | null | Promise<CallDetail | null>,
  opts: { loggedAlerts?: boolean } = {},
): Promise<{ detail: CallDetail | null } | { error: string }> {
  const r = await get<CallDetail | ({ callId: string; events: FloorEvent[] } & Pick<CallDetail, 'transcript' | 'transcriptMode'>)>(path);
  if (!r.ok) return { error: r.error };
  if ('timeline' in r.data) return { detail: opts.loggedAlerts === false ? r.data : await completeCallAlerts(r.data, 'live', get) };
  if (!config) return { detail: null };
  const rebuilt = await rebuild(callId, r.data.events, config);
  if (!rebuilt) return { detail: null };
  // The words the server keeps come beside the events (the engine never holds them): carried over as sent.
  const { transcript, transcriptMode } = r.data;
  const withWords: CallDetail = { ...rebuilt, ...(transcript ? { transcript } : {}), ...(transcriptMode ? { transcriptMode } : {}) };
  return { detail: await completeCallAlerts(withWords, 'rebuilt', get) };
}
