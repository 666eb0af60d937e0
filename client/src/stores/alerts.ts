/** Alerts: open ones and the recent record, newest first, bounded. */
import { defineStore } from 'pinia';
import { computed, shallowRef } from 'vue';
import type { Alert } from '../../../shared/state.ts';
import { applyAlertPatch, type AlertPatch } from '../../../shared/alert-patch.ts';

/** Alerts kept in the browser: a shift's worth of the feed without growing for ever. */
export const ALERTS_CAP = 500;

export const useAlertsStore = defineStore('alerts', () => {
  const byId = shallowRef(new Map<string, Alert>());

  const sorted = computed(() => [...byId.value.values()].sort((a, b) => b.raisedAtMs - a.raisedAtMs));
  /**
   * Alerts that stand, newest first: what breach lists show and count. A room
   * also holds alerts retracted after they were resolved (later evidence showed
   * they were never real); those are in `retracted`, never counted as breaches,
   * and in `feed`, marked.
   */
  const list = computed(() => sorted.value.filter((a) => a.status !== 'retracted'));
  /** Alerts later evidence showed were never real, newest first (agent scope: shown as retracted). */
  const retracted = computed(() => sorted.value.filter((a) => a.status === 'retracted'));
  const open = computed(() => list.value.filter((a) => a.status === 'open'));
  /** The floor's feed: every alert held, newest first, withdrawn ones included (the feed marks them). */
  const feed = sorted;
  /** Agents with an open warn or breach right now. */
  const breachingAgents = computed(() => new Set(open.value.filter((a) => a.level !== 'info' && a.agentId).map((a) => a.agentId as string)));

  function hydrate(alerts: Alert[]): void {
    byId.value = new Map(alerts.map((a) => [a.id, a]));
  }

  /**
   * Applies a delta's alert changes: upserts (whole alerts), removals by id, and patches of open
   * alerts the store holds (the changed fields only; one for an alert not held is ignored: the
   * server patches only what the room holds).
   */
  function apply(alerts: Alert[] | undefined, removed: string[] | undefined, patches?: AlertPatch[]): void {
    if (!alerts?.length && !removed?.length && !patches?.length) return;
    const next = new Map(byId.value);
    for (const a of alerts ?? []) next.set(a.id, a);
    for (const p of patches ?? []) {
      const held = next.get(p.id);
      if (held) next.set(p.id, applyAlertPatch(held, p));
    }
    for (const id of removed ?? []) next.delete(id);
    if (next.size > ALERTS_CAP) {
      // Drop the oldest resolved alerts first; open ones always stay.
      const resolved = [...next.values()].filter((a) => a.status !== 'open').sort((a, b) => a.raisedAtMs - b.raisedAtMs);
      for (const a of resolved.slice(0, next.size - ALERTS_CAP)) next.delete(a.id);
    }
    byId.value = next;
  }

  function reset(): void {
    byId.value = new Map();
  }

  return { byId, list, retracted, feed, open, breachingAgents, hydrate, apply, reset };
});
