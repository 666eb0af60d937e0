/**
 * Supervisor actions on the PBX (server/action-routes.ts): whether they can be
 * taken now (`GET /api/actions/status`), and taking one. The server checks the
 * role and the scope; this store only asks and remembers the answer. No timer
 * and no retry: the status is read when the floor opens, when an agent's
 * actions open, and after every action (a 503 says "unavailable" at once).
 */
import { defineStore } from 'pinia';
import { ref } from 'vue';
import { api } from './session.ts';

/** An action kind, as the routes name them. */
export type ActionKind = 'pause' | 'unpause' | 'remove' | 'listen' | 'whisper' | 'barge';
/** The spy modes among them. */
export const SPY_KINDS = ['listen', 'whisper', 'barge'] as const satisfies readonly ActionKind[];

/** What the server says of the PBX (server/pbx-actions.ts PbxActionsStatus). */
export interface ActionsStatus {
  pbx: string;
  available: boolean;
  reason?: string;
  kinds: ActionKind[];
  /** When the PBX refused the permission (epoch ms); absent when it did not. */
  refusedAtMs?: number;
}

/** The body of an action: the agent, and the reason (pause) or the queue (remove). */
export interface ActionRequest {
  agentId: string;
  reason?: string;
  queueId?: string;
}

export const useActionsStore = defineStore('actions', () => {
  const status = ref<ActionsStatus | null>(null);

  async function load(): Promise<void> {
    const r = await api<ActionsStatus>('GET', '/api/actions/status');
    status.value = r.ok ? r.data : { pbx: 'none', available: false, reason: r.error, kinds: [] };
  }

  /** Takes one action; resolves with null when done, else the server's error (the status is read again after a refusal). */
  async function run(kind: ActionKind, body: ActionRequest): Promise<{ error: string; status: number } | null> {
    const r = await api<unknown>('POST', `/api/actions/${kind}`, body);
    if (r.ok) return null;
    if (r.status === 503) await load();
    return { error: r.error, status: r.status };
  }

  function reset(): void {
    status.value = null;
  }

  return { status, load, run, reset };
});
