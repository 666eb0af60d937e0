/**
 * Users, sessions and access tokens, in their own SQLite file beside the
 * event log. Passwords are scrypt-hashed (Node's crypto); session ids and
 * tokens are stored only as SHA-256 hashes, so a copy of the file opens
 * nothing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createHash, randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import type { RevokeReason } from '../../shared/wire.ts';
import { normalScope, parseScope, scopeKey, type SupervisorScope } from '../../shared/scope.ts';
import { parseExtension } from '../../shared/extension.ts';

const scrypt = promisify(scryptCb) as (pw: string, salt: Buffer, keylen: number, opts: { N: number; r: number; p: number; maxmem: number }) => Promise<Buffer>;

export type Role = 'admin' | 'supervisor' | 'agent';
export const ROLES: Role[] = ['admin', 'supervisor', 'agent'];
export type TokenKind = 'ingest' | 'wallboard';

export interface User {
  id: number;
  username: string;
  role: Role;
  /** The agent an agent account is bound to. */
  agentId: string | null;
  createdAtMs: number;
  /** The password was set by someone else (first start, an admin's reset, the CLI): it must be changed before anything else. */
  mustChange: boolean;
  /** A supervisor's queues and teams (shared/scope.ts); null: the whole floor (always for admins and agents). */
  scope: SupervisorScope | null;
  /** The user's own phone (shared/extension.ts), where listen, whisper and barge ring; null: none set. */
  extension: string | null;
  /** Linked to a single sign-on identity (oidc.ts: made or matched at a sign-in through the provider). */
  sso: boolean;
  /** Has a local password (false: a single sign-on account never given one; {@link AuthStore.resetPassword} gives one). */
  localPassword: boolean;
}

/** A user who signs in only through single sign-on: linked to the provider and without a local password to change. */
export function ssoOnly(u: Pick<User, 'sso' | 'localPassword'>): boolean {
  return u.sso && !u.localPassword;
}

export interface TokenInfo {
  id: number;
  kind: TokenKind;
  name: string;
  createdBy: string;
  createdAtMs: number;
  revokedAtMs: number | null;
  /** A wallboard token's queues and teams (shared/scope.ts); null: the whole floor. */
  scope: SupervisorScope | null;
}

/** scrypt cost: N = 2^14 takes ~50 ms here, slow for guessing, fine for a sign-in. */
const SCRYPT = { N: 16_384, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const KEY_LEN = 64;
export const MIN_PASSWORD_LEN = 10;

/** Why a password is refused, or undefined when it is acceptable: at least {@link MIN_PASSWORD_LEN} characters, at most 1,024, not the user name. */
export function passwordProblem(password: string, username: string): string | undefined {
  if (password.length < MIN_PASSWORD_LEN) return `password: at least ${MIN_PASSWORD_LEN} characters`;
  if (password.length > 1024) return 'password: at most 1024 characters';
  if (password.trim().toLowerCase() === username.trim().toLowerCase()) return 'password: must not be the user name';
  return undefined;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * Credential keys: what an open socket rode on, in a form that names no
 * secret (a session id or token appears only as its SHA-256, as in the file)
 * and that every node sharing this store spells the same way.
 */
export const credentialKey = {
  /** `session:<sha256 hex>` of a session id (the cookie's value). */
  session: (sessionId: string): string => `session:${sha256(sessionId)}`,
  /** `user:<id>`: every session of one user. */
  user: (userId: number): string => `user:${userId}`,
  /** `token:<sha256 hex>` of an issued token. */
  token: (token: string): string => `token:${sha256(token)}`,
};

/** Called when access that sockets may ride on ends: the key of the credential and why. */
export type RevokeListener = (key: string, reason: RevokeReason) => void;

/** An scrypt hash of the password with a fresh salt, in the `scrypt$N$r$p$salt$key` form stored in auth.db. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, KEY_LEN, SCRYPT);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** Whether the password matches a hash made by {@link hashPassword}. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [kind, n, r, p, salt, hash] = stored.split('$');
  if (kind !== 'scrypt') return false;
  const expected = Buffer.from(hash, 'base64');
  const key = await scrypt(password, Buffer.from(salt, 'base64'), expected.length, { N: Number(n), r: Number(r), p: Number(p), maxmem: SCRYPT.maxmem });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** A random secret for a session, token or one-time password. */
export function newSecret(bytes = 24): string {
  return randomBytes(bytes).toString('base64url');
}

const USERNAME = /^[A-Za-z0-9._@-]{2,64}$/;

/**
 * A scope as stored: JSON text, or NULL for the whole floor. One that cannot be read (a damaged
 * row) limits to a queue no feed can name, i.e. to nothing, rather than opening the whole floor.
 */
function storedScope(text: string | null): SupervisorScope | null {
  if (text === null) return null;
  try {
    const r = parseScope(JSON.parse(text));
    return r.ok ? r.scope : { queues: ['\u0000unreadable'] };
  } catch {
    return { queues: ['\u0000unreadable'] };
  }
}

/** Checks a scope given for a user or token: only a supervisor (or a wallboard token) is scoped. Returns it normalised (null: the whole floor), or throws a readable error. */
function checkedScope(scope: unknown, scoped: boolean, what: string): SupervisorScope | null {
  const r = parseScope(scope);
  if (!r.ok) throw new Error(r.error);
  if (r.scope && !scoped) throw new Error(`scope: ${what} is not scoped (only supervisors and wallboard tokens are)`);
  return normalScope(r.scope);
}

/** A scope's stored text: JSON, or NULL for the whole floor. */
const scopeColumn = (scope: SupervisorScope | null): string | null => (scope ? JSON.stringify(scope) : null);
/** The stored hash of an account with no password (single sign-on only): not of the scrypt form, so no password matches it. */
const NO_PASSWORD = 'none';

/** auth.db `meta` key: the time the event log was first seen holding events (AuthStore.logHeldEventsAtMs; read by doctor.ts). */
export const LOG_HELD_EVENTS_KEY = 'log_held_events_ms';

/** Sets up the user store's tables; the first read fails here on a file that is not a SQLite database. */
function openSchema(db: Database.Database): void {
  db.pragma('journal_mode = WAL');
  db.exec(`
    CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, username TEXT NOT NULL UNIQUE COLLATE NOCASE, role TEXT NOT NULL,
      agent_id TEXT, pw_hash TEXT NOT NULL, created_ms INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS sessions (id_hash TEXT PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      created_ms INTEGER NOT NULL, seen_ms INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS tokens (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, name TEXT NOT NULL, token_hash TEXT NOT NULL UNIQUE,
      created_by TEXT NOT NULL, created_ms INTEGER NOT NULL, revoked_ms INTEGER);
    CREATE TABLE IF NOT EXISTS secrets (name TEXT PRIMARY KEY, value BLOB NOT NULL);
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  `);
  // Files made before passwords could be changed have no must_change column: add it (existing users need not change).
  const columns = db.prepare('PRAGMA table_info(users)').all() as { name: string }[];
  if (!columns.some((c) => c.name === 'must_change')) db.exec('ALTER TABLE users ADD COLUMN must_change INTEGER NOT NULL DEFAULT 0');
  // Files made before supervisors could be scoped: a scope column (JSON { queues?, teams? }), NULL for the whole floor, on users and tokens.
  if (!columns.some((c) => c.name === 'scope')) db.exec('ALTER TABLE users ADD COLUMN scope TEXT');
  const tokenColumns = db.prepare('PRAGMA table_info(tokens)').all() as { name: string }[];
  if (!tokenColumns.some((c) => c.name === 'scope')) db.exec('ALTER TABLE tokens ADD COLUMN scope TEXT');
  // Single sign-on (oidc.ts): a user's link to their identity at the provider (issuer and sub), so a renamed account still matches…
  if (!columns.some((c) => c.name === 'oidc_subject')) db.exec('ALTER TABLE users ADD COLUMN oidc_subject TEXT');
  db.exec('CREATE UNIQUE INDEX IF NOT EXISTS users_oidc_subject ON users(oidc_subject) WHERE oidc_subject IS NOT NULL');
  // …and the ID token a session signed in with, the hint the provider's logout asks for (never a credential here).
  // Supervisor actions: a user's own phone, where listen/whisper/barge ring (NULL: none set).
  if (!columns.some((c) => c.name === 'extension')) db.exec('ALTER TABLE users ADD COLUMN extension TEXT');
  const sessionColumns = db.prepare('PRAGMA table_info(sessions)').all() as { name: string }[];
  if (!sessionColumns.some((c) => c.name === 'id_token')) db.exec('ALTER TABLE sessions ADD COLUMN id_token TEXT');
}

/**
 * Turns SQLite's terse open errors ("file is not a database") into one that
 * names the file and says what to do: auth.db holds only users, sessions and
 * tokens (never events), so moving a damaged one aside loses no floor data.
 */
export function authOpenError(file: string, err: unknown): Error {
  const e = (err ?? {}) as { code?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  const msg = typeof e.message === 'string' ? e.message : String(err);
  const aside = `move ${file} aside (with its -wal and -shm files) or restore it from a backup, then start again: a fresh one gets a new "admin" with a one-time password, and users and tokens must be made again; the event log is not affected`;
  let text: string;
  if (code === 'SQLITE_NOTADB') text = `user store ${file} is not a SQLite database (SQLite: ${msg}); ${aside}`;
  else if (code.startsWith('SQLITE_CORRUPT')) text = `user store ${file} is damaged (SQLite: ${msg}); ${aside}`;
  else if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))
    text = `user store ${file} is locked by another process (SQLite: ${msg}); is another Floorwatch running on the same data folder?`;
  else if (code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_PERM'))
    text = `cannot open user store ${file} for writing (SQLite: ${msg}); check the folder's permissions`;
  else text = `cannot open user store ${file}: ${msg}`;
  return new Error(text, { cause: err });
}

export class AuthStore {
  private readonly db: Database.Database;
  /** token hash → kind, for the hot path of every ingest request. */
  private tokenCache = new Map<string, { kind: TokenKind; scope: SupervisorScope | null }>();
  /** A hash of a random password with today's scrypt cost, verified against for unknown names. */
  private dummyHash: Promise<string> | undefined;
  private revokeListeners: RevokeListener[] = [];
  /** Prepared statements of the per-request and per-command path, compiled once (compiling is most of a lookup's cost). */
  private readonly hot = new Map<string, Database.Statement>();

  private stmt(sql: string): Database.Statement {
    let s = this.hot.get(sql);
    if (!s) this.hot.set(sql, (s = this.db.prepare(sql)));
    return s;
  }

  constructor(file: string) {
    let db: Database.Database | undefined;
    try {
      if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
      db = new Database(file);
      openSchema(db);
    } catch (err) {
      if (db?.open) db.close();
      throw authOpenError(file, err);
    }
    this.db = db;
    this.db.pragma('foreign_keys = ON');
    this.reloadTokens();
  }

  /**
   * Calls `fn(key, reason)` synchronously whenever this store ends access:
   * a session deleted (`signed-out`) or found idle too long (`session-expired`),
   * a user deleted (`user-deleted`) or changed (`role-changed`), a token
   * revoked (`token-revoked`). Keys are {@link credentialKey}s. Returns the
   * function that stops the calls. A listener that throws does not stop the change.
   */
  onRevoke(fn: RevokeListener): () => void {
    this.revokeListeners.push(fn);
    return () => {
      this.revokeListeners = this.revokeListeners.filter((f) => f !== fn);
    };
  }

  private revoked(key: string, reason: RevokeReason): void {
    for (const fn of this.revokeListeners) {
      try {
        fn(key, reason);
      } catch {
        // Cutting sockets must never undo or fail the change itself.
      }
    }
  }

  /** Re-reads the live tokens from the file: after another node sharing it revoked one. */
  refreshTokens(): void {
    this.reloadTokens();
  }

  private reloadTokens(): void {
    const rows = this.db.prepare('SELECT token_hash, kind, scope FROM tokens WHERE revoked_ms IS NULL').all() as { token_hash: string; kind: TokenKind; scope: string | null }[];
    this.tokenCache = new Map(rows.map((r) => [r.token_hash, { kind: r.kind, scope: storedScope(r.scope) }]));
  }

  countUsers(): number {
    return this.db.prepare('SELECT count(*) FROM users').pluck().get() as number;
  }

  /**
   * Creates a user; throws a readable error on a bad or taken name, a password
   * the policy refuses ({@link passwordProblem}), a missing agent id or a bad scope.
   * `mustChange`: the password is a one-time one its user must replace at first sign-in.
   * `scope`: a supervisor's queues and teams (shared/scope.ts `parseScope`); absent or null: the whole floor.
   */
  async createUser(u: { username: string; password: string; role: Role; agentId?: string | null; mustChange?: boolean; scope?: unknown }, nowMs: number): Promise<User> {
    if (!USERNAME.test(u.username)) throw new Error('username: 2–64 letters, digits or . _ @ -');
    if (!ROLES.includes(u.role)) throw new Error(`role: one of ${ROLES.join(', ')}`);
    const problem = passwordProblem(u.password, u.username);
    if (problem) throw new Error(problem);
    if (u.role === 'agent' && !u.agentId) throw new Error('agentId: an agent account must be bound to an agent id');
    const scope = scopeColumn(checkedScope(u.scope, u.role === 'supervisor', u.role === 'admin' ? 'an admin' : 'an agent'));
    if (this.db.prepare('SELECT 1 FROM users WHERE username = ?').get(u.username)) throw new Error(`username: "${u.username}" is taken`);
    const hash = await hashPassword(u.password);
    const r = this.db
      .prepare('INSERT INTO users (username, role, agent_id, pw_hash, created_ms, must_change, scope) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(u.username, u.role, u.role === 'agent' ? (u.agentId ?? null) : null, hash, nowMs, u.mustChange ? 1 : 0, scope);
    return this.getUser(Number(r.lastInsertRowid)) as User;
  }

  /**
   * Creates a user who signs in through single sign-on (oidc.ts): linked to `subject`
   * (`<issuer> <sub>`), with no usable password (the stored hash matches none; an admin's
   * reset or `floorwatch user reset-password` can give one later). Throws a readable error
   * on a bad or taken name, a bad role or an agent without an agent id.
   */
  createSsoUser(u: { username: string; role: Role; agentId: string | null; subject: string }, nowMs: number): User {
    if (!USERNAME.test(u.username)) throw new Error('username: 2–64 letters, digits or . _ @ -');
    if (!ROLES.includes(u.role)) throw new Error(`role: one of ${ROLES.join(', ')}`);
    if (u.role === 'agent' && !u.agentId) throw new Error('agentId: an agent account must be bound to an agent id');
    if (this.db.prepare('SELECT 1 FROM users WHERE username = ?').get(u.username)) throw new Error(`username: "${u.username}" is taken`);
    const r = this.db
      .prepare('INSERT INTO users (username, role, agent_id, pw_hash, created_ms, must_change, oidc_subject) VALUES (?, ?, ?, ?, ?, 0, ?)')
      .run(u.username, u.role, u.role === 'agent' ? u.agentId : null, NO_PASSWORD, nowMs, u.subject);
    return this.getUser(Number(r.lastInsertRowid)) as User;
  }

  /** The user linked to this single sign-on subject (`<issuer> <sub>`), or undefined. */
  findUserBySubject(subject: string): User | undefined {
    const id = this.db.prepare('SELECT id FROM users WHERE oidc_subject = ?').pluck().get(subject) as number | undefined;
    return id === undefined ? undefined : this.getUser(id);
  }

  /** The single sign-on subject a user is linked to, or null (never signed in through single sign-on). */
  subjectOf(userId: number): string | null {
    return (this.db.prepare('SELECT oidc_subject FROM users WHERE id = ?').pluck().get(userId) as string | null | undefined) ?? null;
  }

  /** Links a user to a single sign-on subject (`<issuer> <sub>`); throws if another user holds that link. */
  linkSubject(userId: number, subject: string): void {
    this.db.prepare('UPDATE users SET oidc_subject = ? WHERE id = ?').run(subject, userId);
  }

  /** Ends every session of a user, their open sockets told why (`reason`): e.g. single sign-on found them without a role. */
  endSessions(userId: number, reason: RevokeReason): void {
    this.db.prepare('DELETE FROM sessions WHERE user_id = ?').run(userId);
    this.revoked(credentialKey.user(userId), reason);
  }

  /** The user with this id, or undefined. */
  getUser(id: number): User | undefined {
    const r = this.stmt('SELECT id, username, role, agent_id, created_ms, must_change, scope, extension, oidc_subject IS NOT NULL AS sso, pw_hash != ? AS local_pw FROM users WHERE id = ?').get(NO_PASSWORD, id) as
      | { id: number; username: string; role: Role; agent_id: string | null; created_ms: number; must_change: number; scope: string | null; extension: string | null; sso: number; local_pw: number }
      | undefined;
    return (
      r && { id: r.id, username: r.username, role: r.role, agentId: r.agent_id, createdAtMs: r.created_ms, mustChange: r.must_change === 1, scope: r.role === 'supervisor' ? storedScope(r.scope) : null, extension: r.extension, sso: r.sso === 1, localPassword: r.local_pw === 1 }
    );
  }

  /** The user with this name (case-insensitive, as sign-in compares), or undefined. */
  findUser(username: string): User | undefined {
    const id = this.db.prepare('SELECT id FROM users WHERE username = ?').pluck().get(username) as number | undefined;
    return id === undefined ? undefined : this.getUser(id);
  }

  /**
   * A user changes their own password: `current` must be right and `next`
   * pass {@link passwordProblem} and differ from it. Clears mustChange, and
   * ends every other session of the user (their sockets are told,
   * `session-ended`); the session `keepSessionId` (the one asking) stays.
   * Resolves with the user, or a readable error (`wrong` when the current
   * password is not right).
   */
  async changePassword(userId: number, current: string, next: string, keepSessionId: string | undefined): Promise<{ ok: true; user: User } | { ok: false; wrong: boolean; error: string }> {
    const r = this.db.prepare('SELECT username, pw_hash FROM users WHERE id = ?').get(userId) as { username: string; pw_hash: string } | undefined;
    if (!r) return { ok: false, wrong: false, error: 'no such user' };
    if (!(await verifyPassword(current, r.pw_hash))) return { ok: false, wrong: true, error: 'the current password is not right' };
    const problem = passwordProblem(next, r.username);
    if (problem) return { ok: false, wrong: false, error: problem };
    if (next === current) return { ok: false, wrong: false, error: 'password: the new password must differ from the current one' };
    const hash = await hashPassword(next);
    const keep = keepSessionId === undefined ? '' : sha256(keepSessionId);
    const ended = this.db.transaction(() => {
      this.db.prepare('UPDATE users SET pw_hash = ?, must_change = 0 WHERE id = ?').run(hash, userId);
      const others = this.db.prepare('SELECT id_hash FROM sessions WHERE user_id = ? AND id_hash != ?').pluck().all(userId, keep) as string[];
      this.db.prepare('DELETE FROM sessions WHERE user_id = ? AND id_hash != ?').run(userId, keep);
      return others;
    })();
    for (const h of ended) this.revoked(`session:${h}`, 'session-ended');
    return { ok: true, user: this.getUser(userId) as User };
  }

  /**
   * Sets a new random one-time password for a user (an admin's reset, or
   * `floorwatch user reset-password`): marks mustChange and ends every session
   * of the user (their sockets are told, `session-ended`). Resolves with the
   * password, to be shown once, or undefined for an unknown id.
   */
  async resetPassword(userId: number): Promise<string | undefined> {
    if (!this.getUser(userId)) return undefined;
    const password = newSecret(12);
    const hash = await hashPassword(password);
    this.db.transaction(() => {
      this.db.prepare('UPDATE users SET pw_hash = ?, must_change = 1 WHERE id = ?').run(hash, userId);
      this.db.prepare('DELETE FROM sessions WHERE user_id = ?').run(userId);
    })();
    this.revoked(credentialKey.user(userId), 'session-ended');
    return password;
  }

  listUsers(): User[] {
    const ids = this.db.prepare('SELECT id FROM users ORDER BY username').pluck().all() as number[];
    return ids.map((id) => this.getUser(id) as User);
  }

  /** Deletes a user and (by cascade) their sessions; their open sockets are told (`user-deleted`). */
  deleteUser(id: number): boolean {
    const gone = this.db.prepare('DELETE FROM users WHERE id = ?').run(id).changes === 1;
    if (gone) this.revoked(credentialKey.user(id), 'user-deleted');
    return gone;
  }

  /**
   * Changes a user's role, agent binding and/or scope (a supervisor's queues and
   * teams, shared/scope.ts; `null` for the whole floor); throws a readable error
   * on a bad role, an agent without an agent id or a bad scope. A role that is
   * not supervisor keeps no scope. A real change ends every session of the user
   * (they sign in again and get pages for the new role, or their new scope) and
   * their open sockets are told (`role-changed`, or `scope-changed` when only
   * the scope changed). Resolves with the user as now stored, or undefined for
   * an unknown id.
   */
  updateUser(id: number, change: { role?: Role; agentId?: string | null; scope?: unknown }): User | undefined {
    const before = this.getUser(id);
    if (!before) return undefined;
    const role = change.role ?? before.role;
    if (!ROLES.includes(role)) throw new Error(`role: one of ${ROLES.join(', ')}`);
    const agentId = role === 'agent' ? (change.agentId !== undefined ? change.agentId : before.agentId) : null;
    if (role === 'agent' && !agentId) throw new Error('agentId: an agent account must be bound to an agent id');
    if (agentId !== null && (typeof agentId !== 'string' || agentId.length > 128)) throw new Error('agentId: text of at most 128 characters');
    const scope = role !== 'supervisor' && change.scope === undefined ? null : checkedScope(change.scope !== undefined ? change.scope : before.scope, role === 'supervisor', role === 'admin' ? 'an admin' : 'an agent');
    const scopeChanged = scopeKey(scope) !== scopeKey(before.scope);
    if (role === before.role && agentId === before.agentId && !scopeChanged) return before;
    this.db.transaction(() => {
      this.db.prepare('UPDATE users SET role = ?, agent_id = ?, scope = ? WHERE id = ?').run(role, agentId, scopeColumn(scope), id);
      this.db.prepare('DELETE FROM sessions WHERE user_id = ?').run(id);
    })();
    this.revoked(credentialKey.user(id), role === before.role && agentId === before.agentId ? 'scope-changed' : 'role-changed');
    return this.getUser(id);
  }

  /**
   * Sets (or with `null`/`''` clears) a user's own phone (shared/extension.ts `parseExtension`); throws
   * a readable error for anything else. Access does not change, so no session ends. Resolves with the
   * user as now stored, or undefined for an unknown id.
   */
  setExtension(id: number, input: unknown): User | undefined {
    const r = parseExtension(input);
    if (!r.ok) throw new Error(r.error);
    if (!this.getUser(id)) return undefined;
    this.db.prepare('UPDATE users SET extension = ? WHERE id = ?').run(r.extension, id);
    return this.getUser(id);
  }

  /**
   * The user, if the password is right. An unknown name does the same work: one scrypt
   * verification against a dummy hash made once with the same cost, so the answer's
   * time does not tell whether the name exists.
   */
  async checkPassword(username: string, password: string): Promise<User | null> {
    const r = this.db.prepare('SELECT id, pw_hash FROM users WHERE username = ?').get(username) as { id: number; pw_hash: string } | undefined;
    this.dummyHash ??= hashPassword(newSecret(16));
    // An account without a password (single sign-on) costs the same scrypt work as any, and matches nothing.
    const stored = r && r.pw_hash !== NO_PASSWORD ? r.pw_hash : await this.dummyHash;
    const ok = await verifyPassword(password, stored);
    const user = r ? this.getUser(r.id) : undefined;
    return r && ok && r.pw_hash !== NO_PASSWORD ? (user ?? null) : null;
  }

  /**
   * When (epoch ms) this folder's event log was first seen holding events (after a replay or an
   * append with at least one), or undefined if it never was: an empty log next to this mark was
   * lost or replaced (doctor.ts), an empty log without it is a fresh install's.
   */
  logHeldEventsAtMs(): number | undefined {
    const v = this.db.prepare('SELECT value FROM meta WHERE key = ?').pluck().get(LOG_HELD_EVENTS_KEY) as string | undefined;
    return v === undefined ? undefined : Number(v);
  }

  /** Records, once (the first time wins), that the event log held events at `nowMs`; see {@link logHeldEventsAtMs}. */
  markLogHeldEvents(nowMs: number): void {
    this.db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)').run(LOG_HELD_EVENTS_KEY, String(nowMs));
  }

  /**
   * A 32-byte secret kept in this file under `name`, made at first use (e.g. the key
   * that signs device cookies): it survives restarts, and is never shown.
   */
  secret(name: string): Buffer {
    const row = this.db.prepare('SELECT value FROM secrets WHERE name = ?').pluck().get(name) as Buffer | undefined;
    if (row) return row;
    this.db.prepare('INSERT OR IGNORE INTO secrets (name, value) VALUES (?, ?)').run(name, randomBytes(32));
    return this.db.prepare('SELECT value FROM secrets WHERE name = ?').pluck().get(name) as Buffer;
  }

  /** A new session of the user; `idToken`: the ID token of a single sign-on, kept for the provider's logout (its `id_token_hint`). */
  createSession(userId: number, nowMs: number, idToken?: string): string {
    const id = newSecret(32);
    this.db.prepare('INSERT INTO sessions (id_hash, user_id, created_ms, seen_ms, id_token) VALUES (?, ?, ?, ?, ?)').run(sha256(id), userId, nowMs, nowMs, idToken ?? null);
    return id;
  }

  /** The ID token a session signed in with through single sign-on, or undefined (a password sign-in, an unknown session). */
  sessionIdToken(id: string): string | undefined {
    return (this.db.prepare('SELECT id_token FROM sessions WHERE id_hash = ?').pluck().get(sha256(id)) as string | null | undefined) ?? undefined;
  }

  /**
   * The session's user, refreshing its idle timer (unless `touch` is false: a
   * check that is not the user's own activity, like the sweep of open
   * sockets); null if unknown or idle longer than `idleMs`. An idle session
   * is deleted here and its sockets told (`session-expired`).
   */
  sessionUser(id: string, nowMs: number, idleMs: number, touch = true): User | null {
    const h = sha256(id);
    const r = this.stmt('SELECT user_id, seen_ms FROM sessions WHERE id_hash = ?').get(h) as { user_id: number; seen_ms: number } | undefined;
    if (!r) return null;
    if (nowMs - r.seen_ms > idleMs) {
      this.db.prepare('DELETE FROM sessions WHERE id_hash = ?').run(h);
      this.revoked(`session:${h}`, 'session-expired');
      return null;
    }
    // Write the idle timer at most once a minute: every socket event must not be a disk write.
    if (touch && nowMs - r.seen_ms > 60_000) this.stmt('UPDATE sessions SET seen_ms = ? WHERE id_hash = ?').run(nowMs, h);
    return this.getUser(r.user_id) ?? null;
  }

  /** Ends a session (sign-out); its open sockets are told (`signed-out`). */
  deleteSession(id: string): void {
    this.db.prepare('DELETE FROM sessions WHERE id_hash = ?').run(sha256(id));
    this.revoked(credentialKey.session(id), 'signed-out');
  }

  /**
   * Issues a token; throws a readable error on a bad name or scope. `scope`: a wallboard token's
   * queues and teams (shared/scope.ts); an ingest token has none. The token is returned once.
   */
  createToken(kind: TokenKind, name: string, createdBy: string, nowMs: number, scope?: unknown): { info: TokenInfo; token: string } {
    if (!name.trim() || name.length > 100) throw new Error('name: 1–100 characters');
    const scoped = scopeColumn(checkedScope(scope, kind === 'wallboard', 'an ingest token'));
    const token = newSecret(24);
    const r = this.db.prepare('INSERT INTO tokens (kind, name, token_hash, created_by, created_ms, scope) VALUES (?, ?, ?, ?, ?, ?)').run(kind, name.trim(), sha256(token), createdBy, nowMs, scoped);
    this.reloadTokens();
    return { info: this.listTokens().find((t) => t.id === Number(r.lastInsertRowid)) as TokenInfo, token };
  }

  listTokens(): TokenInfo[] {
    const rows = this.db.prepare('SELECT id, kind, name, created_by, created_ms, revoked_ms, scope FROM tokens ORDER BY id').all() as {
      id: number;
      kind: TokenKind;
      name: string;
      created_by: string;
      created_ms: number;
      revoked_ms: number | null;
      scope: string | null;
    }[];
    return rows.map((r) => ({ id: r.id, kind: r.kind, name: r.name, createdBy: r.created_by, createdAtMs: r.created_ms, revokedAtMs: r.revoked_ms, scope: r.kind === 'wallboard' ? storedScope(r.scope) : null }));
  }

  /** Revokes an issued token; its open sockets (kiosk wallboards, ingest producers) are told (`token-revoked`). */
  revokeToken(id: number, nowMs: number): TokenInfo | undefined {
    const hash = this.db.prepare('SELECT token_hash FROM tokens WHERE id = ?').pluck().get(id) as string | undefined;
    const changed = this.db.prepare('UPDATE tokens SET revoked_ms = ? WHERE id = ? AND revoked_ms IS NULL').run(nowMs, id).changes === 1;
    this.reloadTokens();
    if (changed && hash) this.revoked(`token:${hash}`, 'token-revoked');
    return this.listTokens().find((t) => t.id === id);
  }

  /** The kind of a live (unrevoked) token, if it is one. */
  tokenKind(token: string): TokenKind | undefined {
    return this.tokenCache.get(sha256(token))?.kind;
  }

  /** The scope of a live (unrevoked) wallboard token (shared/scope.ts), null for the whole floor; undefined when it is no live token. */
  tokenScope(token: string): SupervisorScope | null | undefined {
    return this.tokenCache.get(sha256(token))?.scope;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
