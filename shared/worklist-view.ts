/**
 * The callback worklist as each face receives it. The floor (supervisors)
 * gets every item with the full number; an agent gets the open items assigned
 * to them with the full number and the open items assigned to nobody with the
 * number masked, and never an item assigned to another agent. The server
 * builds every agent payload and delta with {@link selectAgentWorklist}, so a
 * number an agent may not see never leaves the server.
 */
import type { FloorState } from './state.ts';
import type { WorklistItemView } from './wire.ts';
import { closedWorklistItems, numberDigits, openWorklistItems, type WorklistItem } from './engine/worklist.ts';
import { scopeWorklistItem, WHOLE_FLOOR, type ScopeFilter } from './scope.ts';

/** Digits shown of a masked number: enough to tell two callers apart on a list, too few to dial. */
export const MASK_SHOWN_DIGITS = 4;
/** A number with fewer digits than this is masked whole (its last four would be most of it). */
const MASK_MIN_DIGITS = 8;

/** A caller's number as an agent not assigned to it sees it: `•••• 0123` (or `••••` for a short number). */
export function maskCaller(caller: string): string {
  const digits = numberDigits(caller);
  return digits.length >= MASK_MIN_DIGITS ? `•••• ${digits.slice(-MASK_SHOWN_DIGITS)}` : '••••';
}

/** One item as a view, its number masked when `masked`. */
export function selectWorklistItemView(item: WorklistItem, masked = false): WorklistItemView {
  return {
    itemId: item.itemId,
    caller: masked ? maskCaller(item.caller) : item.caller,
    masked,
    queueId: item.queueId,
    waitSec: item.waitSec,
    firstAbandonedAtMs: item.firstAbandonedAtMs,
    lastAbandonedAtMs: item.lastAbandonedAtMs,
    abandons: item.abandons,
    attempts: item.attempts,
    lastAttemptAtMs: item.lastAttemptAtMs ?? null,
    outcome: item.outcome,
    assignedTo: item.assignedTo ?? null,
    closedAtMs: item.closedAtMs ?? null,
  };
}

/**
 * The floor's worklist: open items oldest first, then those closed on the live day, newest first.
 * With a scope filter `f` (shared/scope.ts): their queues' items only, an assignee who is not theirs blanked.
 */
export function selectFloorWorklist(s: FloorState, f: ScopeFilter = WHOLE_FLOOR): WorklistItemView[] {
  const out: WorklistItemView[] = [];
  const view = (item: WorklistItem) => (f.restricted ? scopeWorklistItem(selectWorklistItemView(item), f) : selectWorklistItemView(item));
  for (const item of openWorklistItems(s)) if (!f.restricted || f.worklistItem(item)) out.push(view(item));
  const closed = closedWorklistItems(s);
  for (let i = closed.length - 1; i >= 0; i--) {
    const item = closed[i];
    if ((item.closedAtMs ?? 0) >= s.dayStartMs && (!f.restricted || f.worklistItem(item))) out.push(view(item));
  }
  return out;
}

/**
 * What agent `agentId` receives of the worklist: open items assigned to them
 * (full number) and open items assigned to nobody (number masked). Items
 * assigned to another agent are left out: that is the other agent's work.
 */
export function selectAgentWorklist(s: FloorState, agentId: string): WorklistItemView[] {
  const out: WorklistItemView[] = [];
  for (const item of openWorklistItems(s)) {
    if (item.assignedTo === agentId) out.push(selectWorklistItemView(item, false));
    else if (item.assignedTo === undefined) out.push(selectWorklistItemView(item, true));
  }
  return out;
}
