/**
 * Queues, totals, agents, live calls, intervals, voicemails and callbacks of
 * the floor (or the subset a scope receives). Big lists are shallow: each
 * delta replaces the affected entries and the array, never deep-watched.
 */
import { defineStore } from 'pinia';
import { computed, shallowRef } from 'vue';
import type { AgentNote } from '../../../shared/state.ts';
import { applyAgentPatch } from '../../../shared/agent-patch.ts';
import type { AgentView, CallView, CallbackView, Delta, FloorTotals, IntervalView, QueueKpis, ScopePayload, TickerText, VoicemailView, WorklistItemView } from '../../../shared/wire.ts';

/** One collator for every sort by name: `localeCompare` builds one per call. */
const byName = new Intl.Collator();

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
  /** Ticker texts and times (the floor's also say who posted them; no view shows it). */
  const ticker = shallowRef<TickerText[]>([]);
  /** Private notes to the agent (agent scope only). */
  const notes = shallowRef<AgentNote[]>([]);
  /** The callback worklist as the server scoped it: every item on the floor; an agent's own and the unassigned (masked) in their view. */
  const worklist = shallowRef<WorklistItemView[]>([]);

  /**
   * Agents by name. A delta replaces a few agents, not the roster: when no
   * agent came, went or was renamed, the previous order is reused (O(n), no
   * sort), so a busy feed costs no 1,000-name sort per delta.
   */
  const agentList = computed<AgentView[]>((prev) => {
    const map = agents.value;
    if (prev && prev.length === map.size) {
      const next = new Array<AgentView>(prev.length);
      let i = 0;
      for (; i < prev.length; i++) {
        const a = map.get(prev[i].agentId);
        if (!a || a.name !== prev[i].name) break;
        next[i] = a;
      }
      if (i === prev.length) return next;
    }
    return [...map.values()].sort((a, b) => byName.compare(a.name, b.name));
  });
  /** Agent id → name; the same Map (so no re-render of what shows names) until the roster changes. */
  const agentNames = computed<Map<string, string>>((prev) => {
    const list = agentList.value;
    if (prev && prev.size === list.length && list.every((a) => prev.get(a.agentId) === a.name)) return prev;
    return new Map(list.map((a) => [a.agentId, a.name]));
  });
  /** Who can be picked in a list of agents: the same array until the roster changes. */
  const roster = computed<{ agentId: string; name: string }[]>((prev) => {
    const names = agentNames.value;
    if (prev && prev.length === names.size && prev.every((r) => names.get(r.agentId) === r.name)) return prev;
    return agentList.value.map((a) => ({ agentId: a.agentId, name: a.name }));
  });
  const teams = computed<string[]>((prev) => {
    const next = [...new Set(agentList.value.map((a) => a.team).filter((t): t is string => t !== null))].sort();
    return prev && prev.length === next.length && prev.every((t, i) => t === next[i]) ? prev : next;
  });
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
    worklist.value = 'worklist' in p ? (p.worklist ?? []) : [];
  }

  function applyDelta(d: Delta): void {
    if (d.queues) queues.value = d.queues;
    if (d.totals) totals.value = d.totals;
    if (d.intervals) intervals.value = { ...intervals.value, ...d.intervals };
    if (d.me !== undefined) me.value = d.me;
    if (d.ticker) ticker.value = d.ticker;
    if (d.notes) notes.value = d.notes;
    if (d.worklist) worklist.value = d.worklist;
    if (d.agents?.length) {
      const next = new Map(agents.value);
      for (const patch of d.agents) next.set(patch.agentId, applyAgentPatch(next.get(patch.agentId), patch));
      agents.value = next;
    }
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
    worklist.value = [];
  }

  return {
    ticker,
    notes, worklist, queues, totals, agents, calls, intervals, voicemails, callbacks, me, agentList, agentNames, roster, teams, queueIds, hydrate, applyDelta, reset };
});
