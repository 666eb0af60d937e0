/**
 * The callback worklist: callers who hung up in a queue, to be called back.
 *
 * Each abandoned call with a caller number that is not a short abandon (it
 * waited at least `serviceLevel.shortAbandonSec`, as the service level counts
 * it) opens an **item**: the caller, the queue, how long they waited before
 * hanging up, when, how many times they hung up, the attempts to reach them
 * and their outcome, and the agent a supervisor assigned it to. Repeat abandons
 * from one number on one floor day are one item with a count.
 *
 * An item closes when the caller is reached back:
 * - an outbound call to the number (`call.outbound`): `answered: true` closes
 *   it as `reached`; `answered` absent closes it as `called` (the source made
 *   the call but cannot tell its outcome: counting it as kept avoids a
 *   breach no one could clear on a source that never reports answers);
 *   `answered: false` is an attempt that leaves it open (`no-answer`).
 *   Each outbound call counts once, however many events report it.
 * - a later inbound call from the same number that is answered (`called-in`).
 *
 * Numbers are matched on their digits alone (`+372 555-0123` = `3725550123`);
 * a caller with fewer than {@link MIN_NUMBER_DIGITS} digits (anonymous,
 * `unknown`) opens no item.
 *
 * Everything here is folded from the log (abandons, outbound calls, answers,
 * and supervisors' `worklist.assigned` events), so a replay rebuilds the same
 * list. Bounded: at most {@link WORKLIST_CAP} open items (beyond it the oldest
 * is closed as `dropped`), an item still open {@link WORKLIST_MAX_AGE_MS} after
 * its first abandon is closed as `expired` at that instant, and the list of
 * closed items keeps the latest {@link WORKLIST_CLOSED_CAP}.
 */
import type { EventOf } from '../events.ts';
import type { CallState, FloorState } from '../state.ts';
import { configFor, note } from './core.ts';
import { dayOf } from './days.ts';
import { judgeItemClosed } from './rules/abandon-callback.ts';

/** Open items kept: a floor with more abandoned callers waiting than this has lost the list anyway; the oldest goes first. */
export const WORKLIST_CAP = 500;
/** Closed items kept for the day's record on the floor (the log holds them all). */
export const WORKLIST_CLOSED_CAP = 100;
/** An item still open a day after its first abandon is closed as expired: a callback a day late is a new conversation, and its breach is on record. */
export const WORKLIST_MAX_AGE_MS = 24 * 3600_000;
/** Fewer digits than this is no number to call back (anonymous, `unknown`, an internal extension). */
export const MIN_NUMBER_DIGITS = 3;
/** Outbound calls remembered per item, so one call reported twice (begin and end) counts once. */
const ATTEMPT_IDS_CAP = 20;

/**
 * Where an item stands. Open: `new` (no attempt yet), `no-answer` (attempted,
 * not reached). Closed: `reached` (an outbound call answered), `called` (an
 * outbound call whose outcome the source did not tell), `called-in` (the caller
 * called again and was answered), `expired`, `dropped` (the cap).
 */
export type WorklistOutcome = 'new' | 'no-answer' | 'reached' | 'called' | 'called-in' | 'expired' | 'dropped';

/** One abandoned caller to call back. Times in epoch ms. */
export interface WorklistItem {
  /** `wl:` + the call id of the first abandon: the same log always gives the same ids. */
  itemId: string;
  /** The caller's number as the source showed it (first abandon). */
  caller: string;
  /** Its digits: what outbound calls and later callers are matched on. */
  digits: string;
  queueId: string;
  /** Floor-local day (its start) of the first abandon: repeat abandons of that day join this item. */
  dayStartMs: number;
  /** Wait before hanging up of the latest abandon, s. */
  waitSec: number;
  firstAbandonedAtMs: number;
  lastAbandonedAtMs: number;
  /** Abandons from this number counted on this item. */
  abandons: number;
  /** Outbound calls to the number since the first abandon. */
  attempts: number;
  lastAttemptAtMs?: number;
  outcome: WorklistOutcome;
  assignedTo?: string;
  assignedBy?: string;
  assignedAtMs?: number;
  closedAtMs?: number;
  /** The agent who reached the caller (outbound or inbound), when known. */
  closedBy?: string;
}

/** One floor's worklist. */
interface Worklist {
  /** Open items by id, in the order they opened. */
  open: Map<string, WorklistItem>;
  /** Open item id by `day|digits`: where a repeat abandon of the day goes. */
  byDayNumber: Map<string, string>;
  /** Open item ids by digits (any day): what an outbound call or an answered caller closes. */
  byNumber: Map<string, Set<string>>;
  /** Outbound call ids already counted, per open item. */
  attemptIds: Map<string, string[]>;
  /** Closed items, newest last (bounded). */
  closed: WorklistItem[];
  expired: number;
  dropped: number;
}

const worklists = new WeakMap<FloorState, Worklist>();

/** The worklist of floor `s`, made on first use. */
function worklistOf(s: FloorState): Worklist {
  let w = worklists.get(s);
  if (!w) worklists.set(s, (w = { open: new Map(), byDayNumber: new Map(), byNumber: new Map(), attemptIds: new Map(), closed: [], expired: 0, dropped: 0 }));
  return w;
}

/** The digits of a phone number (`+372 555-0123` → `3725550123`); what numbers are matched on. */
export function numberDigits(number: string): string {
  return number.replace(/\D/g, '');
}

/** Open items of floor `s`, in the order they opened. */
export function openWorklistItems(s: FloorState): IterableIterator<WorklistItem> {
  return worklistOf(s).open.values();
}

/** The open item `itemId` of floor `s`, if any. */
export function findOpenItem(s: FloorState, itemId: string): WorklistItem | undefined {
  return worklistOf(s).open.get(itemId);
}

/** Closed items of floor `s` kept in memory, newest last. */
export function closedWorklistItems(s: FloorState): readonly WorklistItem[] {
  return worklistOf(s).closed;
}

/** Sizes for the health report: open items against the cap, and items expired or dropped so far. */
export function worklistBounds(s: FloorState): { open: number; cap: number; closed: number; expired: number; dropped: number } {
  const w = worklistOf(s);
  return { open: w.open.size, cap: WORKLIST_CAP, closed: w.closed.length, expired: w.expired, dropped: w.dropped };
}

function close(s: FloorState, w: Worklist, item: WorklistItem, atMs: number, outcome: WorklistOutcome, by?: string): void {
  w.open.delete(item.itemId);
  w.attemptIds.delete(item.itemId);
  const dayKey = `${item.dayStartMs}|${item.digits}`;
  if (w.byDayNumber.get(dayKey) === item.itemId) w.byDayNumber.delete(dayKey);
  const ids = w.byNumber.get(item.digits);
  ids?.delete(item.itemId);
  if (ids?.size === 0) w.byNumber.delete(item.digits);
  item.outcome = outcome;
  item.closedAtMs = atMs;
  if (by !== undefined) item.closedBy = by;
  w.closed.push(item);
  if (w.closed.length > WORKLIST_CLOSED_CAP) w.closed.splice(0, w.closed.length - WORKLIST_CLOSED_CAP);
  judgeItemClosed(s, item, atMs);
  s.changes.worklist = true;
}

/**
 * Call `c` was abandoned at `atMs` after waiting `waitMs` in its queue: opens
 * an item for its caller, or counts on the open item of the same number and
 * day. A short abandon, or a caller with no number, opens nothing.
 */
export function noteAbandonedCaller(s: FloorState, c: CallState, atMs: number, waitMs: number): void {
  if (c.caller === undefined || c.queueId === undefined) return;
  const digits = numberDigits(c.caller);
  if (digits.length < MIN_NUMBER_DIGITS) return;
  if (waitMs < configFor(s, c.queueId, undefined).serviceLevel.shortAbandonSec * 1000) return;
  const w = worklistOf(s);
  expireWorklist(s, atMs);
  const day = dayOf(s, atMs);
  const dayKey = `${day}|${digits}`;
  const waitSec = Math.round(waitMs / 1000);
  const existing = w.byDayNumber.get(dayKey);
  const item = existing !== undefined ? w.open.get(existing) : undefined;
  if (item) {
    item.abandons++;
    item.waitSec = waitSec;
    item.lastAbandonedAtMs = Math.max(item.lastAbandonedAtMs, atMs);
    item.firstAbandonedAtMs = Math.min(item.firstAbandonedAtMs, atMs);
    s.changes.worklist = true;
    return;
  }
  const fresh: WorklistItem = {
    itemId: `wl:${c.callId}`,
    caller: c.caller,
    digits,
    queueId: c.queueId,
    dayStartMs: day,
    waitSec,
    firstAbandonedAtMs: atMs,
    lastAbandonedAtMs: atMs,
    abandons: 1,
    attempts: 0,
    outcome: 'new',
  };
  if (w.open.has(fresh.itemId)) return; // the same call abandoned twice (a corrected end): counted once
  w.open.set(fresh.itemId, fresh);
  w.byDayNumber.set(dayKey, fresh.itemId);
  let ids = w.byNumber.get(digits);
  if (!ids) w.byNumber.set(digits, (ids = new Set()));
  ids.add(fresh.itemId);
  s.changes.worklist = true;
  while (w.open.size > WORKLIST_CAP) {
    const oldest = w.open.values().next().value as WorklistItem;
    w.dropped++;
    close(s, w, oldest, atMs, 'dropped');
  }
}

/** Open items of number `digits` whose last abandon is at or before `atMs` (a call made before it is no callback), oldest first. */
function itemsOfNumber(w: Worklist, digits: string, atMs: number): WorklistItem[] {
  const ids = w.byNumber.get(digits);
  if (!ids) return [];
  const out: WorklistItem[] = [];
  for (const id of ids) {
    const item = w.open.get(id);
    if (item && item.lastAbandonedAtMs <= atMs) out.push(item);
  }
  return out;
}

/** `call.outbound`: an attempt on every open item of the number dialled; it closes them unless the source says it went unanswered. */
export function onOutbound(s: FloorState, e: EventOf<'call.outbound'>): void {
  const digits = numberDigits(e.to);
  if (digits.length < MIN_NUMBER_DIGITS) return;
  const w = worklistOf(s);
  expireWorklist(s, e.at);
  for (const item of itemsOfNumber(w, digits, e.at)) {
    let seen = w.attemptIds.get(item.itemId);
    if (!seen) w.attemptIds.set(item.itemId, (seen = []));
    if (!seen.includes(e.callId)) {
      item.attempts++;
      seen.push(e.callId);
      if (seen.length > ATTEMPT_IDS_CAP) seen.shift();
    }
    item.lastAttemptAtMs = e.at;
    if (e.answered === false) {
      item.outcome = 'no-answer';
      s.changes.worklist = true;
    } else close(s, w, item, e.at, e.answered === true ? 'reached' : 'called', e.agentId);
  }
}

/** Call `c` from a caller was answered by `agentId` at `atMs`: open items of that number close as `called-in`. */
export function noteAnsweredCaller(s: FloorState, c: CallState, agentId: string, atMs: number): void {
  if (c.caller === undefined) return;
  const digits = numberDigits(c.caller);
  if (digits.length < MIN_NUMBER_DIGITS) return;
  const w = worklistOf(s);
  if (!w.byNumber.has(digits)) return;
  expireWorklist(s, atMs);
  for (const item of itemsOfNumber(w, digits, atMs)) close(s, w, item, atMs, 'called-in', agentId);
}

/** `worklist.assigned`: a supervisor gives an open item to an agent, or takes it back. */
export function onWorklistAssigned(s: FloorState, e: EventOf<'worklist.assigned'>): void {
  expireWorklist(s, e.at);
  const item = worklistOf(s).open.get(e.itemId);
  if (!item) {
    note(s, 'orphan', 'worklist.assigned for an item not open');
    return;
  }
  if (e.agentId !== undefined) item.assignedTo = e.agentId;
  else delete item.assignedTo;
  item.assignedBy = e.by;
  item.assignedAtMs = e.at;
  s.changes.worklist = true;
}

/**
 * Closes as `expired` every open item whose first abandon is {@link WORKLIST_MAX_AGE_MS}
 * old at `uptoMs`, each at the instant it came of age. Items are looked at in the
 * order they opened and the first one not due stops the look (O(1) per clock
 * move): a back-dated abandon behind it waits its turn and is closed at its own instant.
 */
export function expireWorklist(s: FloorState, uptoMs: number): void {
  const w = worklists.get(s);
  if (!w) return;
  for (const item of w.open.values()) {
    const dueMs = item.firstAbandonedAtMs + WORKLIST_MAX_AGE_MS;
    if (dueMs > uptoMs) return;
    w.expired++;
    close(s, w, item, dueMs, 'expired');
  }
}

/** The worklist in a canonical plain form, for comparing a live run with a replay. */
export function serializeWorklist(s: FloorState): unknown {
  const w = worklistOf(s);
  return { open: [...w.open.values()], closed: w.closed, expired: w.expired, dropped: w.dropped };
}
