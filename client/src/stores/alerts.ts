/** Alerts: open ones and the recent record, newest first, bounded. */
import { defineStore } from 'pinia';
import { computed, shallowRef } from 'vue';
import type { Alert, AlertLevel } from '../../../shared/state.ts';
import { applyAlertPatch, isValueOnly, type AlertPatch } from '../../../shared/alert-patch.ts';
import { needsAck } from '../alertFilter.ts';

/** Alerts kept in the browser: a shift's worth of the feed without growing for ever. */
export const ALERTS_CAP = 500;

const RANK: Record<AlertLevel, number> = { info: 1, warn: 2, breach: 3 };

/** Hears the alerts that newly need attention: raised, risen to a higher level, or reopened. */
export type AlertSignalListener = (alerts: Alert[]) => void;

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
  /**
   * Breaches open now (not ended, not withdrawn), acknowledged or not: the count in the tab's title and
   * favicon, the same figure as the header's "open breaches" (the server's open alerts by level). An
   * ended breach still waiting for an acknowledgement (a hold without asking ends as it happens) is
   * at the top of the feed, not in this count: it is no longer open.
   */
  const openBreaches = computed(() => open.value.reduce((n, a) => (a.level === 'breach' ? n + 1 : n), 0));

  /**
   * The level each alert waiting for an acknowledgement was last announced at (not reactive:
   * bookkeeping only). An alert is announced when it first needs one (raised, or a breach that
   * arrives already ended) and again when it rises or is reopened; an acknowledgement forgets it.
   */
  let announced = new Map<string, AlertLevel>();
  /** False until the first snapshot: what a page finds on opening is shown, not sounded. */
  let seeded = false;
  const listeners = new Set<AlertSignalListener>();

  /** Subscribes to alerts that newly need attention; returns the unsubscribe. */
  function onSignal(fn: AlertSignalListener): () => void {
    listeners.add(fn);
    return () => listeners.delete(fn);
  }

  /** Compares the touched alerts with what was announced; returns those to announce now. */
  function detect(ids: Iterable<string>, held: Map<string, Alert>, quiet: boolean): Alert[] {
    const out: Alert[] = [];
    for (const id of ids) {
      const a = held.get(id);
      if (!a || !needsAck(a)) {
        announced.delete(id);
        continue;
      }
      const was = announced.get(id);
      if (was !== undefined && RANK[was] >= RANK[a.level]) continue;
      announced.set(id, a.level);
      if (!quiet) out.push(a);
    }
    return out;
  }

  function emit(list: Alert[]): void {
    if (list.length === 0) return;
    for (const fn of listeners) fn(list);
  }

  function hydrate(alerts: Alert[]): void {
    const next = new Map(alerts.map((a) => [a.id, a]));
    byId.value = next;
    // A later snapshot (after a gap) announces what arrived meanwhile; the first one only sets the baseline.
    const quiet = !seeded;
    seeded = true;
    for (const id of [...announced.keys()]) if (!next.has(id)) announced.delete(id);
    emit(detect(next.keys(), next, quiet));
  }

  /**
   * Applies a delta's alert changes: upserts (whole alerts), removals by id, and patches of open
   * alerts the store holds (the changed fields only; one for an alert not held is ignored: the
   * server patches only what the room holds).
   */
  function apply(alerts: Alert[] | undefined, removed: string[] | undefined, patches?: AlertPatch[]): void {
    if (!alerts?.length && !removed?.length && !patches?.length) return;
    const next = new Map(byId.value);
    const touched = new Set<string>();
    for (const a of alerts ?? []) {
      next.set(a.id, a);
      touched.add(a.id);
    }
    for (const p of patches ?? []) {
      const held = next.get(p.id);
      if (held) next.set(p.id, applyAlertPatch(held, p));
      // A value-only patch cannot change what needs attention: 10,000 growing alerts cost nothing here.
      if (held && !isValueOnly(p)) touched.add(p.id);
    }
    for (const id of removed ?? []) {
      next.delete(id);
      announced.delete(id);
      touched.delete(id);
    }
    if (next.size > ALERTS_CAP) {
      // Drop the oldest resolved alerts first; open ones always stay.
      const resolved = [...next.values()].filter((a) => a.status !== 'open').sort((a, b) => a.raisedAtMs - b.raisedAtMs);
      for (const a of resolved.slice(0, next.size - ALERTS_CAP)) next.delete(a.id);
    }
    byId.value = next;
    emit(detect(touched, next, !seeded));
  }

  function reset(): void {
    byId.value = new Map();
    announced = new Map();
    seeded = false;
  }

  return { byId, list, retracted, feed, open, breachingAgents, openBreaches, onSignal, hydrate, apply, reset };
});
