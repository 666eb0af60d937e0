/** Who is signed in, and signing in and out. Roles are enforced by the server; this only steers the pages. */
import { defineStore } from 'pinia';
import { ref } from 'vue';

export interface Me {
  username: string;
  role: 'admin' | 'supervisor' | 'agent' | 'wallboard' | 'ingest';
  agentId: string | null;
  demo: boolean;
  /** The password is a one-time one (first start, an admin's reset): the server refuses everything but changing it. */
  mustChange?: boolean;
  /** A scoped supervisor's queues and teams (shared/scope.ts): the server sends and allows only these. Absent: the whole floor. */
  scope?: { queues?: string[]; teams?: string[] };
  /** The user's own phone, where listen, whisper and barge ring (shared/extension.ts); null: none set. */
  extension?: string | null;
  /** Linked to a single sign-on identity (absent: not). */
  sso?: boolean;
  /** A single sign-on account's local password: false when it has none here to change. */
  localPassword?: boolean;
}

async function api<T>(method: string, path: string, body?: unknown): Promise<{ ok: true; data: T } | { ok: false; error: string; status: number }> {
  const res = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let json: { ok: boolean; data?: T; error?: string } = { ok: false, error: `HTTP ${res.status}` };
  try {
    json = (await res.json()) as typeof json;
  } catch {
    // a non-JSON answer keeps the HTTP status as the error
  }
  return json.ok ? { ok: true, data: json.data as T } : { ok: false, error: json.error ?? `HTTP ${res.status}`, status: res.status };
}

export { api };

export const useSessionStore = defineStore('session', () => {
  const me = ref<Me | null>(null);
  const checked = ref(false);
  const error = ref<string | null>(null);
  /** Why the server signed this page out (access ended on an open socket), shown on the sign-in form. */
  const notice = ref<string | null>(null);
  /**
   * The one-time password this page just signed in with, kept in memory only while it must be
   * changed, so the change form does not ask for it a second time (a reload forgets it: then it asks).
   */
  let oneTimePassword: string | null = null;

  async function load(): Promise<void> {
    const r = await api<Me>('GET', '/api/me');
    me.value = r.ok ? r.data : null;
    checked.value = true;
  }

  async function login(username: string, password: string): Promise<boolean> {
    error.value = null;
    notice.value = null;
    const r = await api<Me>('POST', '/api/login', { username, password });
    if (!r.ok) {
      error.value = r.error;
      return false;
    }
    await load();
    oneTimePassword = me.value?.mustChange === true ? password : null;
    return true;
  }

  /** The one-time password typed at sign-in, while it must still be changed (see {@link oneTimePassword}). */
  function signedInWith(): string | null {
    return me.value?.mustChange === true ? oneTimePassword : null;
  }

  /**
   * Changes the signed-in user's password; resolves with null when it is done
   * (the user's other sessions have ended), else the server's error and status
   * (403: the current password is not right).
   */
  async function changePassword(current: string, next: string): Promise<{ error: string; status: number } | null> {
    const r = await api<Me>('POST', '/api/me/password', { current, next });
    if (!r.ok) return { error: r.error, status: r.status };
    if (me.value) me.value = { ...me.value, mustChange: false };
    oneTimePassword = null;
    return null;
  }

  /** Sets (or with '' clears) the user's own phone; resolves with null when saved, else the server's error. */
  async function setExtension(extension: string): Promise<string | null> {
    const r = await api<{ extension: string | null }>('PUT', '/api/me/extension', { extension });
    if (!r.ok) return r.error;
    if (me.value) me.value = { ...me.value, extension: r.data.extension };
    return null;
  }

  /** Signs out here; resolves with the identity provider's logout URL when the session came from single sign-on (the page goes there next), else null. */
  async function logout(): Promise<string | null> {
    const r = await api<{ endSessionUrl?: string } | null>('POST', '/api/logout');
    me.value = null;
    return r.ok && r.data?.endSessionUrl ? r.data.endSessionUrl : null;
  }

  function reset(): void {
    me.value = null;
    checked.value = false;
    error.value = null;
    notice.value = null;
    oneTimePassword = null;
  }

  return { me, checked, error, notice, load, login, signedInWith, changePassword, setExtension, logout, reset };
});
