/**
 * What people on the floor do, folded from the same log as the feed:
 * acknowledging and reopening alerts, wallboard ticker posts, private notes to
 * an agent, and settings changes. Each carries the real time it was done.
 */
import type { FloorConfig } from '../config.ts';
import type { EventOf } from '../events.ts';
import type { Alert, FloorState } from '../state.ts';
import { findAlert, touchAlert } from './alerts.ts';
import { note } from './core.ts';
import { tick } from './tick.ts';

/** Ticker messages kept: a TV shows a few, the rest is in the log. */
export const TICKER_CAP = 5;
/** Private notes kept per agent for their view. */
export const NOTES_CAP = 20;

/**
 * Replaces the configuration and re-evaluates everything live at once, so a
 * changed threshold shows on the floor without waiting for the next event.
 */
export function setConfig(s: FloorState, config: FloorConfig, nowMs: number): void {
  s.config = config;
  s.changes.kpis = true;
  s.changes.resync = true; // every view takes the new thresholds with a fresh snapshot
  for (const q of s.queues.keys()) s.changes.queues.add(q);
  tick(s, nowMs);
}

/**
 * The alert a supervisor acted on at `atMs`. The live rules are evaluated at
 * the action's time first, as the live run's ticks had: an alert only a tick
 * raised is not there yet in a replay (which has no ticks), and an id given
 * back by a withdrawn episode may name a newer alert by then. So a restart
 * keeps every action on the alert it was made on.
 */
function alertActedOn(s: FloorState, id: string, atMs: number): Alert | undefined {
  tick(s, atMs);
  return findAlert(s, id);
}

export function onAcknowledged(s: FloorState, e: EventOf<'alert.acknowledged'>): void {
  const a = alertActedOn(s, e.alertId, e.at);
  if (!a) {
    note(s, 'orphan', 'alert.acknowledged for an alert no longer in memory');
    return;
  }
  if (a.ack) return; // acknowledging twice is harmless: the first acknowledgement stands
  a.ack = e.note !== undefined ? { by: e.by, atMs: e.at, note: e.note } : { by: e.by, atMs: e.at };
  touchAlert(s, a);
}

export function onReopened(s: FloorState, e: EventOf<'alert.reopened'>): void {
  const a = alertActedOn(s, e.alertId, e.at);
  if (!a) {
    note(s, 'orphan', 'alert.reopened for an alert no longer in memory');
    return;
  }
  delete a.ack;
  a.reopened = e.note !== undefined ? { by: e.by, atMs: e.at, note: e.note } : { by: e.by, atMs: e.at };
  touchAlert(s, a);
}

export function onTicker(s: FloorState, e: EventOf<'ticker.posted'>): void {
  s.ticker.push({ id: e.id, text: e.text, by: e.by, atMs: e.at, untilMs: e.untilMs ?? null });
  if (s.ticker.length > TICKER_CAP) s.ticker.splice(0, s.ticker.length - TICKER_CAP);
  s.changes.ticker = true;
}

export function onAgentNoted(s: FloorState, e: EventOf<'agent.noted'>): void {
  let list = s.agentNotes.get(e.agentId);
  if (!list) s.agentNotes.set(e.agentId, (list = []));
  list.push({ id: e.id, agentId: e.agentId, text: e.text, by: e.by, atMs: e.at });
  if (list.length > NOTES_CAP) list.splice(0, list.length - NOTES_CAP);
  s.changes.notes.add(e.agentId);
}

export function onConfigChanged(s: FloorState, e: EventOf<'config.changed'>): void {
  setConfig(s, e.config, e.at);
}
