/**
 * The rules of a skipped step, judged at one moment on one call:
 * `transfer-permission` (ask before transferring: `askedPermission: false`)
 * and `notes-missing` (log every call: `call.ended` with `notes: false`); the
 * hold family uses the same shape for `hold-permission`. A missing flag is
 * "unknown", never "no".
 */
import type { RuleId } from '../../config.ts';
import type { CallState, FloorState } from '../../state.ts';
import { recordFact } from '../alerts.ts';
import { callConfig, enabled } from '../core.ts';

/** A step the etiquette asks for was skipped: a breach at one moment, on one call. */
export function recordOmission(s: FloorState, c: CallState, ruleId: RuleId, id: string, atMs: number, agentId: string | undefined): void {
  recordFact(s, { id, ruleId, level: 'breach', value: 0, threshold: 1, unit: 'event', raisedAtMs: atMs, atMs, callId: c.callId, agentId, queueId: c.queueId });
}

/** `transfer-permission`: a connected call transferred with `askedPermission: false`. */
export function judgeTransfer(s: FloorState, c: CallState, askedPermission: boolean | undefined, atMs: number): void {
  if (askedPermission !== false || !enabled(callConfig(s, c), 'transfer-permission')) return;
  recordOmission(s, c, 'transfer-permission', `transfer-permission:${c.callId}:${c.transfers + 1}`, atMs, c.agentId);
}

/** `notes-missing`: the call ended with `notes: false`, charged to the agent who had it. */
export function judgeNotes(s: FloorState, c: CallState, notes: boolean | undefined, atMs: number, agentId: string | undefined): void {
  if (notes !== false || !enabled(callConfig(s, c, agentId), 'notes-missing')) return;
  recordOmission(s, c, 'notes-missing', `notes-missing:${c.callId}`, atMs, agentId);
}
