/** `volume` — mind your volume on a loud floor: agent voice samples above −10 dBFS sustained 5 s give a warning. */
import type { EventOf } from '../../events.ts';
import type { CallState, FloorState } from '../../state.ts';
import { closeAlert, raiseOrUpdate } from '../alerts.ts';
import { callConfig, enabled, timeline, touchCall } from '../core.ts';

/** The loud stretch of a call ended at `atMs`. */
export function endLoud(s: FloorState, c: CallState, atMs: number): void {
  c.loudSinceMs = undefined;
  const id = c.openAlerts.volume;
  const a = id !== undefined ? s.alerts.get(id) : undefined;
  if (a) closeAlert(s, a, atMs, 'resolved');
}

/** One voice-level sample on a connected call. */
export function judgeVolume(s: FloorState, c: CallState, e: EventOf<'call.volume'>): void {
  const eff = callConfig(s, c);
  if (e.dbfs <= eff.rules.volumeWarnDbfs) {
    if (c.loudSinceMs !== undefined) endLoud(s, c, e.at);
    return;
  }
  if (c.loudSinceMs === undefined) {
    c.loudSinceMs = e.at;
    c.volumeEpisodes++;
  }
  const loudSinceMs = c.loudSinceMs;
  if (e.at - loudSinceMs < eff.rules.volumeSustainSec * 1000 || !enabled(eff, 'volume')) return;
  const open = c.openAlerts.volume !== undefined ? s.alerts.get(c.openAlerts.volume) : undefined;
  if (!open) timeline(c, e, { dbfs: e.dbfs });
  raiseOrUpdate(s, {
    id: `volume:${c.callId}:${c.volumeEpisodes}`,
    ruleId: 'volume',
    level: 'warn',
    value: Math.max(e.dbfs, open?.value ?? -200),
    threshold: eff.rules.volumeWarnDbfs,
    unit: 'dbfs',
    raisedAtMs: loudSinceMs + eff.rules.volumeSustainSec * 1000,
    atMs: e.at,
    callId: c.callId,
    agentId: c.agentId,
    queueId: c.queueId,
  });
  touchCall(s, c);
}
