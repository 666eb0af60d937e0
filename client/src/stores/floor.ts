/**
 * Queues, totals, agents, live calls, intervals, voicemails and callbacks of
 * the floor (or the subset a scope receives). Big lists are shallow: each
 * delta replaces the affected entries and the array, never deep-watched.
 */
import { defineStore } from 'pinia';
import { computed, shallowRef } from 'vue';
import type { AgentNote, TickerMessage } from '../../../shared/state.ts';
import type { AgentView, CallView, CallbackView, Delta, FloorTotals, IntervalView, QueueKpis, ScopePayload, VoicemailView } from '../../../shared/wire.ts';

function upsert<T>(current: Map<string, T>, items: T[] | undefined, key: (t: T) => string, removed?: string[]): Map<string, T> {
  if (!items?.length && !removed?.length) return current;
  const next = new Map(current);
  for (const it of items ?? []) next.set(key(it), it);
  for (const id of removed ?? []) next.delete(id);
  return next;
}

export const useFloorStore = defineStore('floor', () => {
  const queues = shallowRef<QueueKpis[]>([]);
  const totals = shallowRef<FloorTotals | null>(null);
  const agents = shallowRef(new Map<string, AgentView>());
  const calls = shallowRef(new Map<string, CallView>());
  const intervals = shallowRef<Record<string, IntervalView[]>>({});
  const voicemails = shallowRef(new Map<string, VoicemailView>());
  const callbacks = shallowRef(new Map<string, CallbackView>());
  /** The agent's own view (agent scope only). */
  const me = shallowRef<AgentView | null>(null);
  const ticker = shallowRef<TickerMessage[]>([]);
  /** Private notes to the agent (agent scope only). */
  const notes = shallowRef<AgentNote[]>([]);

  const agentList = computed(() => [...agents.value.values()].sort((a, b) => a.name.localeCompare(b.name)));
  const teams = computed(() => [...new Set(agentList.value.map((a) => a.team).filter((t): t is string => t !== null))].sort());
  const queueIds = computed(() => queues.value.map((q) => q.queueId));

  function hydrate(p: ScopePayload): void {
    queues.value = 'queues' in p ? p.queues : [];
    totals.value = p.totals;
    agents.value = new Map(('agents' in p ? p.agents : []).map((a) => [a.agentId, a]));
    calls.value = new Map(('calls' in p ? p.calls : []).map((c) => [c.callId, c]));
    intervals.value = 'intervals' in p ? p.intervals : {};
    voicemails.value = new Map(('voicemails' in p ? p.voicemails : []).map((v) => [v.voicemailId, v]));
    callbacks.value = new Map(('callbacks' in p ? p.callbacks : []).map((c) => [c.callbackId, c]));
    me.value = 'me' in p ? p.me : null;
    ticker.value = 'ticker' in p ? p.ticker : [];
    notes.value = 'notes' in p ? p.notes : [];
  }

  function applyDelta(d: Delta): void {
    if (d.queues) queues.value = d.queues;
    if (d.totals) totals.value = d.totals;
    if (d.intervals) intervals.value = { ...intervals.value, ...d.intervals };
    if (d.me !== undefined) me.value = d.me;
    if (d.ticker) ticker.value = d.ticker;
    if (d.notes) notes.value = d.notes;
    agents.value = upsert(agents.value, d.agents, (a) => a.agentId);
    calls.value = upsert(calls.value, d.calls, (c) => c.callId, d.callsRemoved);
    voicemails.value = upsert(voicemails.value, d.voicemails, (v) => v.voicemailId);
    callbacks.value = upsert(callbacks.value, d.callbacks, (c) => c.callbackId);
  }

  function reset(): void {
    queues.value = [];
    totals.value = null;
    agents.value = new Map();
    calls.value = new Map();
    intervals.value = {};
    voicemails.value = new Map();
    callbacks.value = new Map();
    me.value = null;
    ticker.value = [];
    notes.value = [];
  }

  return {
    ticker,
    notes, queues, totals, agents, calls, intervals, voicemails, callbacks, me, agentList, teams, queueIds, hydrate, applyDelta, reset };
});
