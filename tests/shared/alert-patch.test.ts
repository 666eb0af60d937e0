import { describe, expect, it } from 'vitest';
import { applyAlertPatch, diffAlert, isValueOnly } from '../../shared/alert-patch.ts';
import type { Alert } from '../../shared/state.ts';

const T = 1_795_510_800_000;
const base: Alert = { id: 'call-long:c1:1', ruleId: 'call-long', level: 'warn', status: 'open', value: 820, threshold: 816, unit: 'sec', raisedAtMs: T, updatedAtMs: T + 4_000, callId: 'c1', agentId: 'a1' };

describe('alert patches', () => {
  it('carries only the value and its time for a growing alert, and nothing for an unchanged one', () => {
    const patch = diffAlert(base, { ...base, value: 821, updatedAtMs: T + 5_000 });
    expect(patch).toEqual({ id: base.id, value: 821, updatedAtMs: T + 5_000 });
    expect(patch && isValueOnly(patch)).toBe(true);
    expect(diffAlert(base, { ...base })).toBeNull();
  });

  it('carries a new level, an acknowledgement, and the fields a reopening clears, so the patched copy equals the alert', () => {
    const acked: Alert = { ...base, ack: { by: 'sue', atMs: T + 6_000, note: 'on it' } };
    const ackPatch = diffAlert(base, acked);
    expect(ackPatch && isValueOnly(ackPatch)).toBe(false);
    expect(applyAlertPatch(base, ackPatch!)).toEqual(acked);
    const reopened: Alert = { ...base, level: 'breach', threshold: 1632, value: 1640, reopened: { by: 'sam', atMs: T + 9_000 } };
    const reopenPatch = diffAlert(acked, reopened);
    expect(reopenPatch?.unset).toEqual(['ack']);
    expect(applyAlertPatch(acked, reopenPatch!)).toEqual(reopened);
    expect(JSON.stringify(reopenPatch).length).toBeLessThan(JSON.stringify(reopened).length);
  });
});
