/**
 * `npm start`: wires the real parts (SQLite log in a data folder, wall clock,
 * simulator unless switched off) and listens.
 *
 * Flags override environment variables:
 *   --port N            PORT                         (3000)
 *   --host H            HOST                         (127.0.0.1 in demo mode, else 0.0.0.0)
 *   --data DIR          FLOORWATCH_DATA              (./data)
 *   --simulator on|off  FLOORWATCH_SIMULATOR         (on, unless a queue_log, AMI or FreeSWITCH is followed)
 *   --queue-log FILE    FLOORWATCH_QUEUE_LOG         (none: follow this Asterisk queue_log, through rotations)
 *   --ami HOST:PORT     FLOORWATCH_AMI               (none: listen to this Asterisk Manager Interface, e.g. 127.0.0.1:5038)
 *   --ami-user NAME     FLOORWATCH_AMI_USER          (floorwatch: the manager.conf user)
 *   --ami-dial TEMPLATE FLOORWATCH_AMI_DIAL          (PJSIP/{ext}: how listen/whisper/barge dial a supervisor's extension of digits)
 *                       FLOORWATCH_AMI_SECRET        (its secret: from the environment only, never a flag, which `ps` would show)
 *   --freeswitch HOST:PORT FLOORWATCH_FREESWITCH     (none: listen to this FreeSWITCH Event Socket for mod_callcenter, e.g. 127.0.0.1:8021)
 *                       FLOORWATCH_FS_PASSWORD       (its event_socket.conf.xml password: from the environment only, never a flag)
 *   --speed N           FLOORWATCH_SIM_SPEED         (1: the simulated floor N times as busy, every duration divided by N; times stay the server's)
 *   --agents N          FLOORWATCH_SIM_AGENTS        (40)
 *   --warmup MIN        FLOORWATCH_SIM_WARMUP        (60: on an empty log, the last MIN minutes are simulated first, with past times)
 *   --demo on|off       FLOORWATCH_DEMO              (off; `npm start` turns it on explicitly)
 *   --tz ZONE           FLOORWATCH_TZ                (the machine's time zone)
 *   --sync full|normal  FLOORWATCH_SYNC              (full: an ack means the event is on disk)
 *   --session-idle MIN  FLOORWATCH_SESSION_IDLE_MIN  (480)
 *   --redis URL         REDIS_URL                    (none: embedded SQLite; with it the event log is a Redis stream shared by several nodes)
 *   --max-future-sec N  FLOORWATCH_MAX_FUTURE_SEC    (300: events dated further ahead of the server's clock are rejected, each with its reason)
 *   --retain-days N     FLOORWATCH_RETAIN_DAYS       (none: keep every event; N ≥ 1 keeps today's raw events and the N floor-local days' before, pruning older ones at start and daily; daily aggregates, alerts and audit stay)
 *   --max-connections-per-address N FLOORWATCH_MAX_CONNECTIONS_PER_ADDRESS (50: open socket.io connections per client address; 0 = no cap)
 *   --commands-per-sec N            FLOORWATCH_COMMANDS_PER_SEC (10: commands one /live socket may send a second, burst 4×; 0 = no budget)
 *   --trust-proxy P     FLOORWATCH_TRUST_PROXY       (off: believe X-Forwarded-For/-Host only from these proxies: loopback, addresses, subnets, or a hop count)
 *   --allowed-origins L FLOORWATCH_ALLOWED_ORIGINS   (none: origins besides the floor's own that may post and open sockets, comma-separated)
 *   --secure-cookies on|off FLOORWATCH_SECURE_COOKIES (off: mark cookies Secure and send HSTS, behind HTTPS)
 *   --oidc-issuer URL   FLOORWATCH_OIDC_ISSUER       (none: single sign-on through this OpenID provider; https, plain http only on loopback)
 *   --oidc-client-id ID FLOORWATCH_OIDC_CLIENT_ID    (required with --oidc-issuer)
 *                       FLOORWATCH_OIDC_CLIENT_SECRET (its secret: from the environment only, never a flag; none: a public client, PKCE alone)
 *   --oidc-redirect-url URL FLOORWATCH_OIDC_REDIRECT_URL (the sign-in request's own origin + /api/auth/oidc/callback)
 *   --oidc-name NAME    FLOORWATCH_OIDC_NAME         (the button says "Sign in with NAME"; none: "single sign-on")
 *   --oidc-scopes S     FLOORWATCH_OIDC_SCOPES       ("openid profile email")
 *   --oidc-username-claim C FLOORWATCH_OIDC_USERNAME_CLAIM (preferred_username; sub when the token has none)
 *   --oidc-groups-claim C   FLOORWATCH_OIDC_GROUPS_CLAIM   (groups; a dotted path reaches into objects, e.g. realm_access.roles)
 *   --oidc-role-map M   FLOORWATCH_OIDC_ROLE_MAP     (floorwatch-admins=admin,floorwatch-supervisors=supervisor,floorwatch-agents=agent; highest wins)
 *   --oidc-agent-claim C FLOORWATCH_OIDC_AGENT_CLAIM (none: the claim holding an agent's agent id)
 *   --local-passwords on|off FLOORWATCH_LOCAL_PASSWORDS (on; off: only single sign-on signs in, `floorwatch user` still resets passwords)
 *                       FLOORWATCH_METRICS_TOKEN     (none: GET /metrics on the main port with "Authorization: Bearer <token>"; environment only)
 *   --metrics-port N    FLOORWATCH_METRICS_PORT      (none: GET /metrics on a port of its own, no token; bind it where only Prometheus reaches)
 *   --metrics-host H    FLOORWATCH_METRICS_HOST      (127.0.0.1: where that port listens)
 *                       (neither token nor port: /metrics answers 404)
 *   --transcripts M     FLOORWATCH_TRANSCRIPTS       (evidence: keep a transcript's words only where an alert stands on them; keep: every final segment, words in the log; drop: judge and forget)
 *   --log-format F      FLOORWATCH_LOG_FORMAT        (pretty in a terminal, json otherwise: one JSON object a line)
 *   --log-level L       FLOORWATCH_LOG_LEVEL         (info; trace, debug, info, warn, error, fatal or silent; debug adds every request)
 *   FLOORWATCH_INGEST_TOKENS, FLOORWATCH_API_TOKENS, FLOORWATCH_WALLBOARD_TOKENS: comma-separated static tokens
 *   (without FLOORWATCH_INGEST_TOKENS an ingest token is made once, kept in auth.db until revoked, and printed only then)
 * Flags come as `--name value` or `--name=value`; an unknown flag, a stray argument or a flag without
 * its value is refused with one line and exit code 2 (checkArgv); `--help` lists the flags.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultConfig, parseConfig } from '../shared/config.ts';
import { createServer } from './app.ts';
import { DEFAULT_MAX_FUTURE_SEC } from './ingest.ts';
import { COMMANDS_PER_SEC, DEFAULT_MAX_CONNECTIONS_PER_ADDRESS } from './socket-guard.ts';
import { normalizeOrigin, parseTrustProxy, type TrustProxy } from './http-guard.ts';
import { AuthStore, newSecret } from './auth/store.ts';
import { emptyLogWarnings, folderBeforeStart } from './doctor.ts';
import { openSqliteLog } from './log/sqlite.ts';
import { openRedisLog } from './log/redis.ts';
import { openSimulator } from './simulator.ts';
import { SIM_COMPANY_NAME } from './sim-conversation.ts';
import { startQueueLogTail, type QueueLogTail } from './queuelog/tail.ts';
import { parseAmiAddress, startAmiClient, type AmiClient } from './ami/client.ts';
import { formatHostPort } from './pbx-link.ts';
import { AmiAdapter } from './ami/adapter.ts';
import { FsAdapter } from './freeswitch/adapter.ts';
import { parseFsAddress, startFsClient, type FsClient } from './freeswitch/esl-client.ts';
import { FsActions } from './freeswitch/actions.ts';
import { AmiActions, DEFAULT_DIAL_TEMPLATE, parseDialTemplate } from './ami/actions.ts';
import { RedisNotifyStore } from './notify/store.ts';
import { parseRetainDays } from './retention.ts';
import type { MetricsAccess } from './metrics.ts';
import { createLogging, parseLogFormat, parseLogLevel, secretsFromEnv, type LogFormat, type LogLevel } from './logging.ts';
import { readSsoOptions, type SsoOptions } from './auth/oidc.ts';
import { clientDir } from './paths.ts';
import { parseTranscriptMode } from './transcripts.ts';
import type { TranscriptMode } from '../shared/wire.ts';
import { onStopSignals } from './shutdown.ts';

export interface MainOptions {
  port: number;
  host: string;
  dataDir: string;
  simulator: boolean;
  /** Asterisk queue_log to follow live. */
  queueLog: string | undefined;
  /** Asterisk Manager Interface to listen to. */
  ami: { host: string; port: number; username: string; secret: string } | undefined;
  /** How supervisor actions dial an extension of digits (`{ext}` replaced): server/ami/actions.ts. */
  amiDial: string;
  /** FreeSWITCH Event Socket to listen to (mod_callcenter). */
  freeswitch: { host: string; port: number; password: string } | undefined;
  speed: number;
  agents: number;
  warmupMin: number;
  demo: boolean;
  timeZone: string;
  sync: 'full' | 'normal';
  ingestTokens: string[];
  sessionIdleMin: number;
  redisUrl: string | undefined;
  viewTokens: string[];
  wallboardTokens: string[];
  /** Events dated more than this many seconds ahead of the server's clock are rejected at ingest. */
  maxFutureSec: number;
  /** Open socket.io connections one client address may hold; 0 = no cap. */
  maxConnectionsPerAddress: number;
  commandsPerSec: number;
  /** Proxies whose X-Forwarded-For / X-Forwarded-Host are believed. */
  trustProxy: TrustProxy;
  /** Origins besides the floor's own that may send state-changing requests and open sockets. */
  allowedOrigins: string[];
  /** Cookies marked Secure, HSTS sent: the floor is served over HTTPS. */
  secureCookies: boolean;
  /** How `/metrics` is exposed: a bearer token on the main port, a port of its own, both, or neither (404). */
  metrics: MetricsAccess;
  /** `json`, `pretty`, or undefined: pretty in a terminal, JSON otherwise. */
  logFormat: LogFormat | undefined;
  logLevel: LogLevel;
  /** Raw events of this many floor-local days before today are kept (and today's); undefined: all. */
  retainDays: number | undefined;
  /** Single sign-on (OpenID Connect) and whether local passwords are accepted. */
  sso: SsoOptions;
  /** `--transcripts`: what of a transcript's words is logged and kept (server/transcripts.ts). */
  transcripts: TranscriptMode;
}

/** `--transcripts` read, a bad value refused as a usage error (exit 2): a privacy setting is never guessed. */
function transcriptModeOf(v: string | undefined): TranscriptMode {
  try {
    return parseTranscriptMode(v);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function flag(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  if (i >= 0 && i + 1 < argv.length) return argv[i + 1];
  const eq = argv.find((a) => a.startsWith(`--${name}=`));
  return eq?.slice(name.length + 3);
}

/** A command-line mistake (unknown flag, stray argument, flag without its value, a bad value): exit code 2, as for usage errors elsewhere. */
export class UsageError extends Error {
  readonly exitCode = 2;
}

/** Flags refused with a message of their own by the readers (a secret belongs in the environment, where `ps` does not show it). */
const REFUSED_SECRET_FLAGS = ['ami-secret', 'fs-password', 'metrics-token', 'oidc-client-secret'];

let knownFlagsMemo: ReadonlySet<string> | undefined;

/**
 * Every flag name the server reads (without `--`): the names {@link flag} is asked for while
 * options are read from an empty command line, so the list is the readers' own and never written twice.
 */
export function knownFlags(): ReadonlySet<string> {
  if (!knownFlagsMemo) {
    const asked = new Set<string>(REFUSED_SECRET_FLAGS);
    parseOptions([], {}, (name) => {
      asked.add(name);
      return undefined;
    });
    knownFlagsMemo = asked;
  }
  return knownFlagsMemo;
}

/** Optimal string alignment distance (Levenshtein with adjacent transpositions counted as one edit; Damerau 1964). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** The known flag closest to `name` within 2 edits and a third of its length (a typo, not a different word), or undefined. */
function closestFlag(name: string, known: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.min(2, Math.floor(name.length / 3)) + 1;
  for (const k of known) {
    const dist = editDistance(name, k);
    if (dist < bestDistance) [best, bestDistance] = [k, dist];
  }
  return best;
}

/**
 * Refuses a command line the server would otherwise half-ignore: an unknown flag (with the closest
 * known one when it looks like a typo), a positional argument, or a flag without its value.
 * Flags come as `--name value` or `--name=value`. Throws {@link UsageError}.
 */
export function checkArgv(argv: readonly string[], known: ReadonlySet<string> = knownFlags()): void {
  const see = '(see floorwatch --help)';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('-') || arg === '-' || arg === '--') throw new UsageError(`unexpected argument "${arg}" ${see}`);
    const eq = arg.indexOf('=');
    const name = arg.replace(/^--?/, '').slice(0, eq < 0 ? undefined : eq - (arg.startsWith('--') ? 2 : 1));
    if (!arg.startsWith('--') || !known.has(name)) {
      const near = closestFlag(name, known);
      throw new UsageError(`unknown flag ${arg.slice(0, eq < 0 ? undefined : eq)} ${see}${near ? `; did you mean --${near}?` : ''}`);
    }
    if (eq >= 0) continue;
    const value = argv[i + 1];
    if (value === undefined || (value.startsWith('--') && value.length > 2)) throw new UsageError(`--${name} needs a value ${see}`);
    i++;
  }
}

/** `floorwatch serve --help`: the flags, from the readers' own list ({@link knownFlags}). */
export function serveHelp(): string {
  const names = [...knownFlags()].filter((n) => !REFUSED_SECRET_FLAGS.includes(n)).sort();
  return (
    'Usage: floorwatch serve [--name value | --name=value ...]   (npm start / npm run serve take the same flags after --)\n' +
    `Flags: ${names.map((n) => `--${n}`).join(' ')}\n` +
    'Each has an environment variable too (the README\'s configuration table); flags win. Secrets come from the environment only.\n'
  );
}

function onOff(v: string | undefined, dflt: boolean, what: string): boolean {
  if (v === undefined || v === '') return dflt;
  if (['on', '1', 'true', 'yes'].includes(v.toLowerCase())) return true;
  if (['off', '0', 'false', 'no'].includes(v.toLowerCase())) return false;
  throw new Error(`${what}: expected on or off, got "${v}"`);
}

function list(v: string | undefined): string[] {
  return (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function positive(v: string | undefined, dflt: number, what: string): number {
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${what}: expected a positive number, got "${v}"`);
  return n;
}

/** `--max-connections-per-address`: a whole number, 0 or more (0 = no cap); absent: {@link DEFAULT_MAX_CONNECTIONS_PER_ADDRESS}. Throws on anything else. */
function connectionCap(v: string | undefined): number {
  if (v === undefined || v === '') return DEFAULT_MAX_CONNECTIONS_PER_ADDRESS;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--max-connections-per-address: expected a whole number, 0 or more (0 = no cap), got "${v}"`);
  return n;
}

/** A number, 0 or more; absent: `dflt`. Throws `<what>: expected <expected>, got "<v>"` on anything else. */
function nonNegative(v: string | undefined, dflt: number, what: string, expected = 'a number of seconds, 0 or more'): number {
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${what}: expected ${expected}, got "${v}"`);
  return n;
}

/**
 * `/metrics` exposure: FLOORWATCH_METRICS_TOKEN (never a flag: `ps` would show it), `--metrics-port`
 * (a whole number 0..65535; 0 = any free port) and `--metrics-host` (default 127.0.0.1). Throws on a bad value.
 */
function readMetricsAccess(argv: string[], env: NodeJS.ProcessEnv, flag: (name: string) => string | undefined): MetricsAccess {
  if (argv.some((a) => a === '--metrics-token' || a.startsWith('--metrics-token='))) {
    throw new Error('--metrics-token: not accepted as a flag (it would show in ps); set FLOORWATCH_METRICS_TOKEN');
  }
  const token = env.FLOORWATCH_METRICS_TOKEN?.trim() || undefined;
  if (token !== undefined && token.length < 16) throw new Error('FLOORWATCH_METRICS_TOKEN: at least 16 characters (e.g. openssl rand -hex 24)');
  const portText = flag('metrics-port') ?? env.FLOORWATCH_METRICS_PORT;
  let port: number | undefined;
  if (portText !== undefined && portText !== '') {
    port = Number(portText);
    if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`--metrics-port: expected 0..65535, got "${portText}"`);
  }
  const host = flag('metrics-host') ?? env.FLOORWATCH_METRICS_HOST;
  if (host !== undefined && port === undefined) throw new Error('--metrics-host: only with --metrics-port');
  return { ...(token ? { token } : {}), ...(port !== undefined ? { port, host: host || '127.0.0.1' } : {}) };
}

/**
 * Reads flags and environment into options; throws {@link UsageError} (exit code 2) on an unknown
 * flag, a stray argument or a flag without a value ({@link checkArgv}), and on a bad value of a flag or
 * an environment setting, with a clear message.
 */
export function readOptions(argv: string[], env: NodeJS.ProcessEnv): MainOptions {
  checkArgv(argv);
  try {
    return parseOptions(argv, env, (name) => flag(argv, name));
  } catch (err) {
    // A bad flag value or environment setting is a usage error like an unknown flag: exit 2, its own words.
    throw err instanceof UsageError ? err : new UsageError((err as Error).message);
  }
}

/** The readers behind {@link readOptions}; `flag` answers one flag's value by name (and {@link knownFlags} records the names). */
function parseOptions(argv: string[], env: NodeJS.ProcessEnv, flag: (name: string) => string | undefined): MainOptions {
  const queueLog = (flag('queue-log') ?? env.FLOORWATCH_QUEUE_LOG) || undefined;
  if (argv.some((a) => a === '--ami-secret' || a.startsWith('--ami-secret='))) {
    throw new Error('--ami-secret: not accepted as a flag (it would show in ps); set FLOORWATCH_AMI_SECRET');
  }
  const amiText = (flag('ami') ?? env.FLOORWATCH_AMI) || undefined;
  // Read whether or not --ami is given: every flag is asked for on every reading (knownFlags).
  const amiUser = (flag('ami-user') ?? env.FLOORWATCH_AMI_USER) || 'floorwatch';
  const amiDial = parseDialTemplate((flag('ami-dial') ?? env.FLOORWATCH_AMI_DIAL) || DEFAULT_DIAL_TEMPLATE);
  let ami: MainOptions['ami'];
  if (amiText !== undefined) {
    const secret = env.FLOORWATCH_AMI_SECRET;
    if (!secret) throw new Error('--ami: set FLOORWATCH_AMI_SECRET to the secret of the manager.conf user');
    ami = { ...parseAmiAddress(amiText), username: amiUser, secret };
  }
  if (argv.some((a) => a === '--fs-password' || a.startsWith('--fs-password='))) {
    throw new Error('--fs-password: not accepted as a flag (it would show in ps); set FLOORWATCH_FS_PASSWORD');
  }
  const fsText = (flag('freeswitch') ?? env.FLOORWATCH_FREESWITCH) || undefined;
  let freeswitch: MainOptions['freeswitch'];
  if (fsText !== undefined) {
    const password = env.FLOORWATCH_FS_PASSWORD;
    if (!password) throw new Error('--freeswitch: set FLOORWATCH_FS_PASSWORD to the event socket password (event_socket.conf.xml)');
    freeswitch = { ...parseFsAddress(fsText), password };
  }
  // A real PBX feed is not mixed with simulated calls unless asked for.
  const simulator = onOff(flag('simulator') ?? env.FLOORWATCH_SIMULATOR, queueLog === undefined && ami === undefined && freeswitch === undefined, '--simulator');
  const viewTokens = list(env.FLOORWATCH_API_TOKENS);
  const demo = onOff(flag('demo') ?? env.FLOORWATCH_DEMO, false, '--demo');
  const sync = flag('sync') ?? env.FLOORWATCH_SYNC ?? 'full';
  if (sync !== 'full' && sync !== 'normal') throw new Error(`--sync: expected full or normal, got "${sync}"`);
  const portText = flag('port') ?? env.PORT;
  const port = portText === '0' ? 0 : positive(portText, 3000, '--port');
  if (!Number.isInteger(port) || port > 65_535) throw new Error(`--port: expected 0..65535, got "${portText}"`);
  return {
    port,
    host: flag('host') ?? env.HOST ?? (demo ? '127.0.0.1' : '0.0.0.0'),
    dataDir: path.resolve(flag('data') ?? env.FLOORWATCH_DATA ?? 'data'),
    simulator,
    queueLog: queueLog === undefined ? undefined : path.resolve(queueLog),
    ami,
    amiDial,
    freeswitch,
    speed: positive(flag('speed') ?? env.FLOORWATCH_SIM_SPEED, 1, '--speed'),
    agents: Math.floor(positive(flag('agents') ?? env.FLOORWATCH_SIM_AGENTS, 40, '--agents')),
    warmupMin: (flag('warmup') ?? env.FLOORWATCH_SIM_WARMUP) === '0' ? 0 : positive(flag('warmup') ?? env.FLOORWATCH_SIM_WARMUP, 60, '--warmup'),
    demo,
    timeZone: flag('tz') ?? env.FLOORWATCH_TZ ?? Intl.DateTimeFormat().resolvedOptions().timeZone,
    sync,
    ingestTokens: list(env.FLOORWATCH_INGEST_TOKENS),
    redisUrl: (flag('redis') ?? env.REDIS_URL) || undefined,
    sessionIdleMin: positive(flag('session-idle') ?? env.FLOORWATCH_SESSION_IDLE_MIN, 480, '--session-idle'),
    viewTokens,
    wallboardTokens: list(env.FLOORWATCH_WALLBOARD_TOKENS),
    maxFutureSec: nonNegative(flag('max-future-sec') ?? env.FLOORWATCH_MAX_FUTURE_SEC, DEFAULT_MAX_FUTURE_SEC, '--max-future-sec'),
    maxConnectionsPerAddress: connectionCap(flag('max-connections-per-address') ?? env.FLOORWATCH_MAX_CONNECTIONS_PER_ADDRESS),
    commandsPerSec: nonNegative(flag('commands-per-sec') ?? env.FLOORWATCH_COMMANDS_PER_SEC, COMMANDS_PER_SEC, '--commands-per-sec', 'a number of commands a second, 0 or more (0 = no budget)'),
    trustProxy: parseTrustProxy(flag('trust-proxy') ?? env.FLOORWATCH_TRUST_PROXY),
    allowedOrigins: list(flag('allowed-origins') ?? env.FLOORWATCH_ALLOWED_ORIGINS).map(normalizeOrigin),
    secureCookies: onOff(flag('secure-cookies') ?? env.FLOORWATCH_SECURE_COOKIES, false, '--secure-cookies'),
    metrics: readMetricsAccess(argv, env, flag),
    logFormat: parseLogFormat(flag('log-format') ?? env.FLOORWATCH_LOG_FORMAT),
    logLevel: parseLogLevel(flag('log-level') ?? env.FLOORWATCH_LOG_LEVEL),
    retainDays: parseRetainDays(flag('retain-days') ?? env.FLOORWATCH_RETAIN_DAYS),
    sso: readSsoOptions(argv, (name, envName) => flag(name) ?? env[envName], env),
    transcripts: transcriptModeOf(flag('transcripts') ?? env.FLOORWATCH_TRANSCRIPTS),
  };
}

/** The name of the ingest token a start makes when none was configured; found again by it on later starts. */
export const FIRST_INGEST_TOKEN_NAME = 'ingest-1';

/**
 * With no FLOORWATCH_INGEST_TOKENS: an ingest token kept in auth.db like any
 * issued one, so producers keep working across restarts until an admin
 * revokes it. Made (and its secret printed, this once) only when the store
 * has never held an ingest token; later starts say where it is instead.
 * Returns the line to print.
 */
export function ingestTokenNotice(auth: AuthStore, authFile: string, nowMs: number): string {
  const ingest = auth.listTokens().filter((t) => t.kind === 'ingest');
  if (ingest.length === 0) {
    const { token } = auth.createToken('ingest', FIRST_INGEST_TOKEN_NAME, 'floorwatch', nowMs);
    return `ingest token (generated at first start and kept in ${authFile} until an admin revokes it on the Users page; shown only now): ${token}`;
  }
  const live = ingest.filter((t) => t.revokedAtMs === null);
  if (live.length === 0) return 'ingest tokens: every one issued has been revoked; an admin issues a new one on the Users page (or set FLOORWATCH_INGEST_TOKENS)';
  const names = live.map((t) => `"${t.name}"`).join(', ');
  return `ingest tokens: ${live.length} kept in ${authFile} (${names}), not shown again; an admin sees, issues and revokes them on the Users page`;
}

export async function main(argv = process.argv.slice(2), env = process.env): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(serveHelp());
    return;
  }
  const o = readOptions(argv, env);
  // The simulated floor's agents answer the phone for the demo company: the greeting rule checks they name it.
  const config = { ...defaultConfig(), timeZone: o.timeZone, ...(o.simulator ? { companyNames: [SIM_COMPANY_NAME] } : {}) };
  const checked = parseConfig(config);
  if (!checked.ok) throw new Error(checked.error);
  // JSON lines unless a terminal (or --log-format) says otherwise; the secrets this process was given never appear in them.
  const logging = createLogging({ format: o.logFormat, level: o.logLevel, secrets: secretsFromEnv(env) });
  const logger = logging.logger;

  // What the data folder held before opening it creates files: an empty log in a folder that had data is said at start.
  const before = folderBeforeStart(o.dataDir);
  // REDIS_URL makes this node one of several sharing the event log on Redis Streams.
  const log = o.redisUrl
    ? await openRedisLog({ url: o.redisUrl, prefix: env.FLOORWATCH_REDIS_PREFIX ?? 'floorwatch' })
    : openSqliteLog({ file: path.join(o.dataDir, 'floorwatch.db'), synchronous: o.sync, warn: (m) => logger.warn(m) });
  const auth = new AuthStore(path.join(o.dataDir, 'auth.db'));
  // Notification channels and delivery records live beside the log: in its SQLite file, or on the shared Redis.
  const notifyStore = o.redisUrl ? await RedisNotifyStore.open({ url: o.redisUrl, prefix: env.FLOORWATCH_REDIS_PREFIX ?? 'floorwatch' }) : undefined;
  const eventsAtStart = await log.count();
  if (!o.redisUrl) for (const w of emptyLogWarnings(o.dataDir, before, { events: eventsAtStart, users: auth.countUsers(), logHeldEventsAtMs: auth.logHeldEventsAtMs() })) logger.warn(`WARNING: ${w}`);
  // auth.db records, once, that the log held events (at this start, or at the first append with one): only then is an empty log a loss.
  if (auth.logHeldEventsAtMs() === undefined) {
    if (eventsAtStart > 0) auth.markLogHeldEvents(Date.now());
    else {
      const append = log.append.bind(log);
      let marked = false;
      log.append = async (events, receivedAtMs) => {
        const result = await append(events, receivedAtMs);
        if (!marked && result.appended.length > 0) {
          auth.markLogHeldEvents(Date.now());
          marked = true;
        }
        return result;
      };
    }
  }
  const ingestTokens = o.ingestTokens;
  let queueLogTail: QueueLogTail | undefined;
  let amiClient: AmiClient | undefined;
  let fsClient: FsClient | undefined;
  let amiActions: AmiActions | undefined;
  let fsActions: FsActions | undefined;
  const server = createServer({
    log,
    auth,
    sessionIdleMs: o.sessionIdleMin * 60_000,
    config: checked.config,
    ingestTokens,
    viewTokens: o.viewTokens,
    wallboardTokens: o.wallboardTokens,
    demo: o.demo,
    maxFutureSec: o.maxFutureSec,
    maxConnectionsPerAddress: o.maxConnectionsPerAddress,
    commandsPerSec: o.commandsPerSec,
    trustProxy: o.trustProxy,
    allowedOrigins: o.allowedOrigins,
    secureCookies: o.secureCookies,
    retainDays: o.retainDays,
    logger,
    httpLogger: logging.pino,
    metrics: o.metrics,
    sso: o.sso,
    transcripts: o.transcripts,
    ...(notifyStore ? { notify: { store: notifyStore } } : {}),
    // dist/client of the package, from the sources (server/) as from the build (dist/server/).
    staticDir: clientDir(),
    // Supervisor actions over the AMI link (server/ami/actions.ts), else the FreeSWITCH event socket (server/freeswitch/actions.ts); none without either.
    pbxActions: () => amiActions ?? fsActions,
    sources: () => ({
      ...(queueLogTail ? { queueLog: queueLogTail.stats } : {}),
      ...(amiClient ? { ami: amiClient.stats } : {}),
      ...(fsClient ? { freeswitch: fsClient.stats } : {}),
      simulator: o.simulator,
    }),
  });
  const t0 = Date.now();
  const port = await server.listen(o.port, o.host);
  logger.info(`event log: ${o.redisUrl ? `Redis stream at ${o.redisUrl}` : path.join(o.dataDir, 'floorwatch.db')} (${server.replayed} events replayed in ${Date.now() - t0} ms)`);
  // First-start secrets only once the port is bound: a start that fails to listen (EADDRINUSE) makes
  // none, so the next one still makes and prints them. Until then nobody can sign in or ingest, which is harmless.
  if (auth.countUsers() === 0) {
    const password = newSecret(12);
    await auth.createUser({ username: 'admin', password, role: 'admin', mustChange: true }, Date.now());
    logger.info(`first start: created user "admin" with the one-time password ${password} (shown once; a new password must be set at the first sign-in)`);
  }
  if (ingestTokens.length === 0) logger.info(ingestTokenNotice(auth, path.join(o.dataDir, 'auth.db'), Date.now()));
  if (o.simulator && !auth.listUsers().some((u) => u.username === 'demo-supervisor')) {
    const sup = newSecret(9);
    const ag = newSecret(9);
    await auth.createUser({ username: 'demo-supervisor', password: sup, role: 'supervisor' }, Date.now());
    await auth.createUser({ username: 'demo-agent-1001', password: ag, role: 'agent', agentId: '1001' }, Date.now());
    logger.info(`simulator demo accounts: demo-supervisor / ${sup}   demo-agent-1001 / ${ag} (agent 1001)`);
  }
  if (o.retainDays !== undefined) logger.info(`retention: the raw events of today and the ${o.retainDays} day(s) before are kept; older ones are pruned now and daily after midnight`);

  let stopSimulator: (() => void) | undefined;
  if (o.simulator) {
    // On the server's clock: a fresh floor starts with its last minutes already simulated (in the past),
    // a floor already in the log is carried on as it stands; --speed makes it busier, never faster than the clock.
    const clock = { now: () => Date.now() };
    const sim = await openSimulator(server, { clock, seed: clock.now() % 2_147_483_647, agents: o.agents, speed: o.speed, warmupMin: o.warmupMin, logger });
    stopSimulator = sim.start(clock);
    const how = sim.warmupEvents ? `, after a ${o.warmupMin}-minute warm-up` : server.replayed ? ', carrying on the floor in the log' : '';
    logger.info(`simulator: ${o.agents} agents, ${o.speed}× as busy as a real floor${how}`);
  }
  if (o.queueLog) {
    queueLogTail = startQueueLogTail({ file: o.queueLog, submit: (events) => server.pipeline.submit(events, 'queue_log'), timeZone: o.timeZone, logger });
  }
  if (o.ami) {
    // Calls still open in the log continue; those that ended while we were down are closed after the login.
    const adapter = new AmiAdapter();
    const state = server.state();
    const resumed = adapter.resume([...state.liveCalls].flatMap((id) => state.calls.get(id) ?? []), Date.now());
    amiClient = startAmiClient({ ...o.ami, adapter, submit: (events) => server.pipeline.submit(events, 'ami'), logger });
    amiActions = new AmiActions(amiClient, { dialTemplate: o.amiDial });
    logger.info(`AMI: listening to ${formatHostPort(o.ami.host, o.ami.port)} as "${o.ami.username}"${resumed ? ` (${resumed} open calls taken over from the log)` : ''}`);
  }
  if (o.freeswitch) {
    // As for AMI: calls still open in the log continue; those that ended meanwhile are closed after the login.
    const adapter = new FsAdapter();
    const state = server.state();
    const resumed = adapter.resume([...state.liveCalls].flatMap((id) => state.calls.get(id) ?? []), Date.now());
    fsClient = startFsClient({ ...o.freeswitch, adapter, submit: (events) => server.pipeline.submit(events, 'freeswitch'), logger });
    fsActions = new FsActions(fsClient);
    logger.info(`FreeSWITCH: listening to the event socket at ${formatHostPort(o.freeswitch.host, o.freeswitch.port)}${resumed ? ` (${resumed} open calls taken over from the log)` : ''}`);
  }
  if (o.sso.oidc) {
    const s = o.sso.oidc;
    // The secret is never printed, only whether there is one.
    logger.info(`single sign-on: ${s.issuer} as client "${s.clientId}" (${s.clientSecret ? 'secret from FLOORWATCH_OIDC_CLIENT_SECRET' : 'public client, no secret'}), roles from claim "${s.groupsClaim}"; local passwords ${o.sso.localPasswords ? 'on' : 'off'}`);
  }
  logger.info(`transcripts: ${o.transcripts}${o.transcripts === 'evidence' ? ' (words kept only where an alert stands on them)' : o.transcripts === 'keep' ? ' (every final segment kept, words in the event log)' : ' (judged, words never kept)'}`);
  if (o.demo) logger.warn('DEMO MODE: the views and read APIs are open without signing in. Never on a real floor: start without --demo on.');
  const shown = o.host === '0.0.0.0' ? 'localhost' : o.host;
  if (o.metrics.port !== undefined) logger.info(`metrics: http://${o.metrics.host}:${server.metricsPort}/metrics (open without a token to whatever reaches ${o.metrics.host})`);
  if (o.metrics.token) logger.info('metrics: GET /metrics on the main port with the bearer token of FLOORWATCH_METRICS_TOKEN');
  logger.info(`Floorwatch is live at http://${shown}:${port}/floor`);

  // SIGTERM/SIGINT: the sources stop first, then the server drains ingest, saves alerts and closes
  // sockets with a reconnect hint (app.ts close()), then the stores; exit 0, or 1 on a second signal or after 10 s.
  onStopSignals({
    logger,
    stop: async () => {
      stopSimulator?.();
      await queueLogTail?.stop();
      await amiClient?.stop();
      await fsClient?.stop();
      await server.close();
      await log.close();
      await notifyStore?.close();
      auth.close();
    },
  });
}

const invokedDirectly = process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  main().catch((err: Error) => {
    console.error(`floorwatch: ${err.message}`);
    process.exit(err instanceof UsageError ? err.exitCode : 1);
  });
}
