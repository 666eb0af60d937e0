/**
 * The link to the server: snapshot/delta sequencing, clock offset, the
 * ticking "now" every timer renders from, and the stale-feed state.
 */
import { defineStore } from 'pinia';
import { ref, shallowRef, computed } from 'vue';
import type { Ack, AgentConfig, Delta, LiveScope, RevokedNotice, ScopeConfig, ShutdownNotice, Snapshot } from '../../../shared/wire.ts';
import type { FloorConfig } from '../../../shared/config.ts';

export type LinkStatus = 'connecting' | 'live' | 'lost';

/** Timers on screen advance once a second: the finest unit any of them shows. */
export const NOW_TICK_MS = 1_000;

/** What the store needs of a socket.io client socket (a fake one in tests). */
export interface LiveSocketLike {
  on(event: 'connect' | 'disconnect', fn: () => void): unknown;
  on(event: 'connect_error', fn: (err: Error) => void): unknown;
  on(event: 'live:snapshot', fn: (s: Snapshot) => void): unknown;
  on(event: 'live:delta', fn: (d: Delta) => void): unknown;
  on(event: 'auth:revoked', fn: (n: RevokedNotice) => void): unknown;
  on(event: 'server:shutdown', fn: (n: ShutdownNotice) => void): unknown;
  emit(event: 'live:resync', ack: (r: Ack<Snapshot>) => void): unknown;
}

export interface LiveHandlers {
  snapshot(s: Snapshot): void;
  delta(d: Delta): void;
}

export const useConnectionStore = defineStore('connection', () => {
  const status = ref<LinkStatus>('connecting');
  /** When the feed was lost (browser clock), or null while live. */
  const lostSinceMs = ref<number | null>(null);
  const lastError = ref<string | null>(null);
  /** Server time minus browser time. */
  const offsetMs = ref(0);
  const seq = ref(0);
  const scope = shallowRef<LiveScope | null>(null);
  /** The settings this face was sent: all of them on the floor, only what the face shows elsewhere. */
  const config = shallowRef<ScopeConfig | null>(null);
  /** The full settings, on the floor only. */
  const floorConfig = computed(() => (scope.value?.kind === 'floor' ? (config.value as FloorConfig | null) : null));
  /** An agent's own thresholds (their team's rules), in an agent's view only. */
  const agentConfig = computed(() => (scope.value?.kind === 'agent' ? (config.value as AgentConfig | null) : null));
  const day = shallowRef<{ startMs: number; endMs: number } | null>(null);
  const resyncs = ref(0);
  /**
   * Set when the server ended this socket's access (signed out, user deleted or
   * changed, session idle, token revoked): the server closed the socket and it
   * does not come back by itself; the page signs out or shows why.
   */
  const revoked = shallowRef<RevokedNotice | null>(null);
  /**
   * Set when the server said it is stopping (a restart, an upgrade): the link
   * drops on purpose and socket.io reconnects by itself with backoff, so the
   * page says "restarting" rather than reporting an error; the next snapshot
   * clears it.
   */
  const restarting = shallowRef<ShutdownNotice | null>(null);
  /**
   * Server-corrected now every live timer and colour renders from, ticking once
   * a second while the feed is live. While the feed is lost it stands still at
   * the moment it was lost (`frozenAtMs`): the figures on screen are as of then,
   * so a wait timer must not run on into a "breach" the floor never had.
   */
  const nowMs = ref(Date.now());
  /** Server-corrected wall-clock time, ticking once a second whatever the feed (a clock on screen). */
  const clockMs = ref(Date.now());
  /** The server-corrected moment the screen stands at while the feed is lost, or null while it is not. */
  const frozenAtMs = ref<number | null>(null);
  let socket: LiveSocketLike | null = null;
  let handlers: LiveHandlers | null = null;
  let timer: ReturnType<typeof setInterval> | undefined;
  let resyncing = false;
  /** Bumped by every snapshot and disconnect: a resync answer from before them is stale and ignored. */
  let resyncGen = 0;

  const stale = computed(() => status.value === 'lost');

  /** Moves the clocks on; the timers' `nowMs` only while the screen is not frozen on a lost feed. */
  function tickNow(): void {
    clockMs.value = Date.now() + offsetMs.value;
    if (frozenAtMs.value === null) nowMs.value = clockMs.value;
  }

  function hydrate(s: Snapshot): void {
    // A snapshot (pushed on reconnect, or a resync answer) is a fresh base: nothing is pending any more.
    resyncing = false;
    resyncGen++;
    seq.value = s.seq;
    offsetMs.value = s.serverNowMs - Date.now();
    scope.value = s.scope;
    config.value = s.config;
    day.value = s.day;
    status.value = 'live';
    lostSinceMs.value = null;
    frozenAtMs.value = null;
    lastError.value = null;
    restarting.value = null;
    tickNow();
    handlers?.snapshot(s);
  }

  function requestResync(): void {
    if (!socket || resyncing) return;
    resyncing = true;
    resyncs.value++;
    const gen = ++resyncGen;
    socket.emit('live:resync', (r) => {
      if (gen !== resyncGen) return;
      resyncing = false;
      if (r.ok) hydrate(r.data);
      else lastError.value = r.error;
    });
  }

  /** Applies a delta in sequence; a gap or a resync request fetches a fresh snapshot instead. */
  function accept(d: Delta): boolean {
    if (resyncing) return false;
    if (d.resync || d.seq !== seq.value + 1) {
      requestResync();
      return false;
    }
    seq.value = d.seq;
    offsetMs.value = d.serverNowMs - Date.now();
    handlers?.delta(d);
    return true;
  }

  function markLost(reason: string | null): void {
    if (status.value !== 'lost') {
      lostSinceMs.value = Date.now();
      // Only a screen that had live figures freezes; one still connecting has nothing to stand still.
      if (status.value === 'live') {
        tickNow();
        frozenAtMs.value = nowMs.value;
      }
    }
    status.value = 'lost';
    lastError.value = reason;
  }

  /** Wires the socket once; the socket reconnects for ever and each reconnect brings a fresh snapshot. */
  function bindEvents(s: LiveSocketLike, h: LiveHandlers): void {
    socket = s;
    handlers = h;
    s.on('live:snapshot', hydrate);
    s.on('live:delta', accept);
    s.on('disconnect', () => {
      // An answer to a resync asked on the lost connection never comes: do not wait for it.
      resyncing = false;
      resyncGen++;
      markLost(null);
    });
    // While a stopping server is away its address refuses connections: expected, not an error to show.
    s.on('connect_error', (err) => markLost(restarting.value ? null : err.message));
    s.on('server:shutdown', (n) => {
      restarting.value = n;
    });
    s.on('auth:revoked', (n) => {
      revoked.value = { reason: n.reason, message: n.message };
      markLost(n.message);
    });
    if (timer === undefined) timer = setInterval(tickNow, NOW_TICK_MS);
  }

  function reset(): void {
    if (timer !== undefined) clearInterval(timer);
    timer = undefined;
    socket = null;
    handlers = null;
    resyncing = false;
    status.value = 'connecting';
    lostSinceMs.value = null;
    frozenAtMs.value = null;
    lastError.value = null;
    seq.value = 0;
    offsetMs.value = 0;
    resyncs.value = 0;
    scope.value = null;
    config.value = null;
    revoked.value = null;
    restarting.value = null;
  }

  return { status, lostSinceMs, lastError, offsetMs, seq, scope, config, floorConfig, agentConfig, day, resyncs, revoked, restarting, nowMs, clockMs, frozenAtMs, stale, hydrate, accept, requestResync, bindEvents, reset, tickNow };
});
