/**
 * Opens the /live socket for a scope and routes snapshots and deltas to the
 * stores. Components never touch the socket.
 */
import { io } from 'socket.io-client';
import type { Delta, LiveClientToServer, LiveScope, LiveServerToClient, RevokeReason, Snapshot } from '../../shared/wire.ts';
import type { Socket } from 'socket.io-client';
import { useConnectionStore, type LiveSocketLike } from './stores/connection.ts';
import { useFloorStore } from './stores/floor.ts';
import { useAlertsStore } from './stores/alerts.ts';

export type LiveSocket = Socket<LiveServerToClient, LiveClientToServer>;

/** Reconnects for ever, backing off to at most 10 s between tries: a wallboard must come back by itself. */
const RECONNECT_MAX_MS = 10_000;

/** The i18n key (under `revoked.reasons`) that says why the server ended a socket's access. */
export function revokedReasonKey(reason: RevokeReason): string {
  const keys: Record<RevokeReason, string> = {
    'signed-out': 'signedOut',
    'user-deleted': 'userDeleted',
    'role-changed': 'roleChanged',
    'scope-changed': 'scopeChanged',
    'session-expired': 'sessionExpired',
    'session-ended': 'sessionEnded',
    'token-revoked': 'tokenRevoked',
  };
  return `revoked.reasons.${keys[reason] ?? 'sessionEnded'}`;
}

export function routeTo(socket: LiveSocketLike): void {
  const floor = useFloorStore();
  const alerts = useAlertsStore();
  useConnectionStore().bindEvents(socket, {
    snapshot(s: Snapshot) {
      floor.hydrate(s.payload);
      alerts.hydrate('alerts' in s.payload ? s.payload.alerts : []);
    },
    delta(d: Delta) {
      floor.applyDelta(d);
      alerts.apply(d.alerts, d.alertsRemoved, d.alertPatches);
    },
  });
}

export function connectLive(scope: LiveScope, creds: { token?: string | null; kiosk?: string | null } = {}): LiveSocket {
  const auth: Record<string, string> = { scope: scope.kind };
  if (scope.kind === 'agent') auth.agentId = scope.agentId;
  if (creds.token) auth.token = creds.token;
  if (creds.kiosk) auth.kiosk = creds.kiosk;
  const socket: LiveSocket = io('/live', { auth, reconnection: true, reconnectionAttempts: Infinity, reconnectionDelayMax: RECONNECT_MAX_MS, transports: ['websocket', 'polling'] });
  routeTo(socket as unknown as LiveSocketLike);
  return socket;
}
