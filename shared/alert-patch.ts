/**
 * Open-alert changes on the wire carry only what changed. A live rule
 * updates every open alert it watches each second (its measured value and
 * `updatedAtMs`): with 10,000 open alerts, whole alerts every second were
 * 4.55 MB/s to each floor client (issue 13). The floor room is sent an
 * alert whole once, then patches against the copy every member holds.
 */
import type { Alert } from './state.ts';

/** Fields an alert may lose (an acknowledgement cleared by a reopening, …). */
export type AlertOptionalKey = 'ack' | 'reopened' | 'resolvedAtMs' | 'callId' | 'agentId' | 'queueId' | 'voicemailId' | 'callbackId';

/** An alert's id, the fields that changed, and the optional fields it no longer has (`unset`). */
export type AlertPatch = Pick<Alert, 'id'> & Partial<Omit<Alert, 'id'>> & { unset?: AlertOptionalKey[] };

const OPTIONAL: readonly AlertOptionalKey[] = ['ack', 'reopened', 'resolvedAtMs', 'callId', 'agentId', 'queueId', 'voicemailId', 'callbackId'];

function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  // Small nested records (ack, reopened): compared by content.
  return typeof a === 'object' && typeof b === 'object' && a !== null && b !== null && JSON.stringify(a) === JSON.stringify(b);
}

/**
 * The fields of `next` that differ from `prev` (which must be the copy the
 * receiver holds), with the id; null when nothing changed.
 */
export function diffAlert(prev: Alert, next: Alert): AlertPatch | null {
  const patch: Record<string, unknown> = { id: next.id };
  let changed = false;
  for (const key of Object.keys(next) as (keyof Alert)[]) {
    if (key === 'id' || same(prev[key], next[key])) continue;
    patch[key] = next[key];
    changed = true;
  }
  const unset = OPTIONAL.filter((k) => prev[k] !== undefined && next[k] === undefined);
  if (unset.length > 0) {
    patch.unset = unset;
    changed = true;
  }
  return changed ? (patch as AlertPatch) : null;
}

/** True when a patch moves only the measured value and its time: a growing alert's tick, which may wait for the next coalesced push. */
export function isValueOnly(patch: AlertPatch): boolean {
  for (const key of Object.keys(patch)) if (key !== 'id' && key !== 'value' && key !== 'updatedAtMs') return false;
  return true;
}

/** The alert a receiver holds after a patch: `prev` with the patch's fields, without its `unset` ones. Returns a new object. */
export function applyAlertPatch(prev: Alert, patch: AlertPatch): Alert {
  const { unset, ...fields } = patch;
  const next: Alert = { ...prev, ...fields };
  for (const k of unset ?? []) delete next[k];
  return next;
}
