/**
 * A past call's drill-down in the browser: the server answers `GET /api/calls/:id` for a call no longer in
 * the live floor's memory with its logged events, and they are folded here through the same engine. Kept
 * apart from reports.ts so only the page that opens such a call downloads the engine.
 */
import type { CallDetail } from '../../shared/wire.ts';
import type { FloorConfig } from '../../shared/config.ts';
import type { FloorEvent } from '../../shared/events.ts';
import { applyEvent, createFloorState } from '../../shared/engine.ts';
import { selectCallDetail } from '../../shared/selectors.ts';

/**
 * A past call's drill-down rebuilt from its logged events (what `GET /api/calls/:id` answers for a call no
 * longer in the live floor's memory), folded through the same engine with the floor's settings; null when
 * the events do not make the call. A team's own thresholds are not applied (the floor's are).
 */
export function callDetailFromEvents(callId: string, events: readonly FloorEvent[], config: FloorConfig): CallDetail | null {
  if (events.length === 0) return null;
  const s = createFloorState(config, events[0].at);
  for (const e of events) applyEvent(s, e);
  return selectCallDetail(s, callId);
}
