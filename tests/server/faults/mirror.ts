/**
 * A client-side copy of one /live room, kept the way the real client stores
 * keep it (client/src/stores: connection, floor, alerts): hydrate from a
 * snapshot, apply deltas in sequence, and on a gap or a `resync` delta ask
 * for a fresh snapshot. Fault tests compare mirrors with each other and with
 * the server's own snapshot.
 */
import type { Alert, AgentNote } from '../../../shared/state.ts';
import { applyAgentPatch } from '../../../shared/agent-patch.ts';
import { applyAlertPatch } from '../../../shared/alert-patch.ts';
import type { Ack, AgentView, CallbackView, CallView, Delta, FloorTotals, IntervalView, QueueKpis, ScopePayload, Snapshot, TickerText, VoicemailView } from '../../../shared/wire.ts';

/** What a mirror needs of a socket.io client socket. */
export interface MirrorSocket {
  on(event: 'live:snapshot', fn: (s: Snapshot) => void): unknown;
  on(event: 'live:delta', fn: (d: Delta) => void): unknown;
  emit(event: 'live:resync', ack: (r: Ack<Snapshot>) => void): unknown;
}

export interface RoomState {
  queues: QueueKpis[];
  totals: FloorTotals | null;
  agents: Map<string, AgentView>;
  calls: Map<string, CallView>;
  alerts: Map<string, Alert>;
  voicemails: Map<string, VoicemailView>;
  callbacks: Map<string, CallbackView>;
  intervals: Record<string, IntervalView[]>;
  me: AgentView | null;
  ticker: TickerText[];
  notes: AgentNote[];
}

function byId<T>(items: T[] | undefined, key: (t: T) => string): Map<string, T> {
  return new Map((items ?? []).map((x) => [key(x), x]));
}

/** The room state a snapshot payload describes. */
export function stateOf(p: ScopePayload): RoomState {
  return {
    queues: 'queues' in p ? p.queues : [],
    totals: p.totals,
    agents: byId('agents' in p ? p.agents : [], (a) => a.agentId),
    calls: byId('calls' in p ? p.calls : [], (c) => c.callId),
    alerts: byId('alerts' in p ? p.alerts : [], (a) => a.id),
    voicemails: byId('voicemails' in p ? p.voicemails : [], (v) => v.voicemailId),
    callbacks: byId('callbacks' in p ? p.callbacks : [], (c) => c.callbackId),
    intervals: 'intervals' in p ? { ...p.intervals } : {},
    me: 'me' in p ? p.me : null,
    ticker: 'ticker' in p ? p.ticker : [],
    notes: 'notes' in p ? p.notes : [],
  };
}

/** Applies one delta in place, as the stores do (upserts by id, removals by id). */
export function applyDelta(s: RoomState, d: Delta): void {
  if (d.queues) s.queues = d.queues;
  if (d.totals) s.totals = d.totals;
  if (d.intervals) s.intervals = { ...s.intervals, ...d.intervals };
  if (d.me !== undefined) s.me = d.me;
  if (d.ticker) s.ticker = d.ticker;
  if (d.notes) s.notes = d.notes;
  for (const a of d.agents ?? []) s.agents.set(a.agentId, applyAgentPatch(s.agents.get(a.agentId), a));
  for (const c of d.calls ?? []) s.calls.set(c.callId, c);
  for (const id of d.callsRemoved ?? []) s.calls.delete(id);
  for (const a of d.alerts ?? []) s.alerts.set(a.id, a);
  for (const id of d.alertsRemoved ?? []) s.alerts.delete(id);
  for (const p of d.alertPatches ?? []) {
    const held = s.alerts.get(p.id);
    if (held) s.alerts.set(p.id, applyAlertPatch(held, p));
  }
  for (const v of d.voicemails ?? []) s.voicemails.set(v.voicemailId, v);
  for (const c of d.callbacks ?? []) s.callbacks.set(c.callbackId, c);
}

export interface CompareOptions {
  /**
   * Leave out what a room pushes coalesced (queue KPIs, totals, intervals): two
   * copies taken at the same sequence number can differ there for up to one
   * KPI period, by design.
   */
  stateOnly?: boolean;
}

/** A plain, sorted form of a room state, for deep equality. */
export function comparable(s: RoomState, o: CompareOptions = {}): unknown {
  const sorted = <T>(m: Map<string, T>) => [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
  return JSON.parse(
    JSON.stringify({
      ...(o.stateOnly ? {} : { queues: [...s.queues].sort((a, b) => (a.queueId < b.queueId ? -1 : 1)), totals: s.totals, intervals: Object.entries(s.intervals).sort(([a], [b]) => (a < b ? -1 : 1)) }),
      agents: sorted(s.agents),
      calls: sorted(s.calls),
      alerts: sorted(s.alerts),
      voicemails: sorted(s.voicemails),
      callbacks: sorted(s.callbacks),
      me: s.me,
      ticker: s.ticker,
      notes: s.notes,
    }),
  );
}

/** One client's copy of its room, following the socket it is given. */
export class Mirror {
  state: RoomState | null = null;
  seq = -1;
  snapshots = 0;
  deltas = 0;
  resyncRequests = 0;
  /** Every alert id this client was ever told about (for "no alert lost"). */
  readonly alertIdsSeen = new Set<string>();
  /** Alert ids the server took back (a late event showed the threshold was never crossed). */
  readonly alertIdsRetracted = new Set<string>();
  private resyncing = false;

  constructor(private readonly socket: MirrorSocket) {
    socket.on('live:snapshot', (s) => this.hydrate(s));
    socket.on('live:delta', (d) => this.accept(d));
  }

  hydrate(s: Snapshot): void {
    // A snapshot supersedes a resync still in flight (its answer may never come if the connection dropped meanwhile).
    this.resyncing = false;
    this.state = stateOf(s.payload);
    this.seq = s.seq;
    this.snapshots++;
    for (const id of this.state.alerts.keys()) this.alertIdsSeen.add(id);
  }

  private accept(d: Delta): void {
    if (this.resyncing || this.state === null) return;
    if (d.resync || d.seq !== this.seq + 1) {
      this.resync();
      return;
    }
    applyDelta(this.state, d);
    this.seq = d.seq;
    this.deltas++;
    for (const a of d.alerts ?? []) this.alertIdsSeen.add(a.id);
    for (const id of d.alertsRemoved ?? []) this.alertIdsRetracted.add(id);
  }

  /** Asks for a fresh snapshot, as the client does after a gap. */
  resync(): void {
    if (this.resyncing) return;
    this.resyncing = true;
    this.resyncRequests++;
    this.socket.emit('live:resync', (r) => {
      this.resyncing = false;
      if (r.ok) this.hydrate(r.data);
    });
  }

  view(o?: CompareOptions): unknown {
    return this.state ? comparable(this.state, o) : null;
  }
}
