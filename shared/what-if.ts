/**
 * "What if": past days replayed from the log through the engine twice at once,
 * with the settings as they were (baseline) and with candidate settings
 * (candidate), and the alerts of a date range compared. Pure: the caller reads
 * the log and passes each event with its receive time; nothing here does I/O.
 *
 * - **Baseline** is the log as it is: the starting configuration, then every
 *   `config.changed` event as logged. Folded as the live run and a restart's
 *   replay fold it (`observeClock(receivedAt)` then `applyEvent`, no ticks
 *   between events; see `foldReceived` in server/app.ts), so with unchanged
 *   settings its alerts are the ones the server recorded.
 * - **Candidate** is the same fold with the candidate changes applied on top
 *   of the starting configuration and again on top of every logged
 *   `config.changed` (a change an admin made later does not undo the
 *   candidate; a change the candidate cannot be applied to is an error, not
 *   a silent skip).
 * - **Which alerts count**: those whose floor-local day is in the range,
 *   where an alert's day is its call's day (the day the call was offered, as
 *   the engine counts it) or, for an alert without a call (queue wait, pace,
 *   voicemail, callback, pause), the day it was raised (`alertDay`). Each
 *   alert counts once, at its final level (an alert that warned, then
 *   breached, is one breach); retracted alerts count nowhere. The same
 *   alert id on both sides is the same episode (ids are deterministic: rule,
 *   call, episode), which is how examples of changed calls are found.
 *
 * Settings are written `path=value` (see {@link parseSetting}): a config path
 * (`rules.holdLongWarnSec`, `queues.sales.rules.holdLongWarnSec`,
 * `serviceLevel.thresholdSec`), a rule's own name for its thresholds
 * (`hold-long.warnSec`, `ring-limit.breachAt`, derived from the field names of
 * shared/config.ts through {@link RULE_KEY_PREFIX}), a bare threshold name
 * (`holdLongWarnSec`), `away-long.<reason>` for a pause limit in minutes, and
 * `disabled=…`, `disabled+=…`, `disabled-=…` for the rules switched off.
 * Every candidate is validated by the real schema (`parseConfig`).
 */
import { floorConfigSchema, parseConfig, RULE_IDS, ruleThresholdsSchema, serviceLevelSchema, workloadSchema, type FloorConfig, type RuleId, type RuleThresholds } from './config.ts';
import { alertDay, applyEvent, createFloorState, drainChanges, observeClock, tick, type EngineLimits } from './engine.ts';
import type { FloorEvent } from './events.ts';
import type { ScopeLimit } from './scope.ts';
import type { Alert, AlertLevel, FloorState, RuleCounts } from './state.ts';
import { localDay, zoneOffsetMs } from './time.ts';

/** Longest range a what-if replays, days: a quarter (92 = the longest three months), as reports allow. */
export const MAX_WHAT_IF_DAYS = 92;
/** Example alerts kept per direction (newly worse, now better): enough to see the pattern, few enough to read. */
export const WHAT_IF_EXAMPLES = 20;
/** Events folded between two reads of the engines' alert logs (which are then drained to bound memory). */
const DRAIN_EVERY = 5_000;

/** A what-if that cannot run as asked: a bad setting, date or range. `status` is the HTTP answer (400). */
export class WhatIfError extends Error {
  readonly status = 400;
}

// ---------------------------------------------------------------- settings

/**
 * The prefix of each rule's threshold names in `RuleThresholds` (shared/config.ts):
 * `holdLongWarnSec` is `hold-long` + `warnSec`. Data, not code: the aliases
 * ({@link RULE_ALIASES}) are derived from it and the schema's field names, so a
 * new threshold field gets its alias by its name alone.
 */
export const RULE_KEY_PREFIX: Partial<Record<RuleId, string>> = {
  'ring-limit': 'ring',
  'hold-long': 'holdLong',
  'hold-repeat': 'holdRepeat',
  'call-long': 'callLong',
  'quota-pace': 'quotaPace',
  'voicemail-return': 'voicemail',
  'callback-missed': 'callback',
  speakerphone: 'speaker',
  volume: 'volume',
  'queue-wait': 'queueWait',
  'abandon-callback': 'abandonCallback',
  greeting: 'greeting',
  clarity: 'clarity',
  'dont-know': 'dontKnow',
  'dead-air': 'deadAir',
  'talk-over': 'talkOver',
};

const lowerFirst = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);

/**
 * `rule-id.field` → threshold key, e.g. `hold-long.warnSec` → `holdLongWarnSec`,
 * derived from {@link RULE_KEY_PREFIX} and the keys of `ruleThresholdsSchema`
 * (the longest matching prefix wins: `callbackGraceSec` is `callback-missed`,
 * never a shorter prefix's).
 */
export const RULE_ALIASES: Readonly<Record<string, keyof RuleThresholds>> = (() => {
  const out: Record<string, keyof RuleThresholds> = {};
  const prefixes = Object.entries(RULE_KEY_PREFIX).sort((a, b) => b[1].length - a[1].length);
  for (const key of Object.keys(ruleThresholdsSchema.shape) as (keyof RuleThresholds)[]) {
    const hit = prefixes.find(([, p]) => key.startsWith(p) && /^[A-Z]/.test(key.slice(p.length)));
    if (hit) out[`${hit[0]}.${lowerFirst(key.slice(hit[1].length))}`] = key;
  }
  return out;
})();

/** Sections whose field names may also be written bare (`holdLongWarnSec=60`): their names do not repeat across them. */
const BARE_SECTIONS = { rules: ruleThresholdsSchema.shape, workload: workloadSchema.shape, serviceLevel: serviceLevelSchema.shape } as const;

/** One change of the candidate settings, resolved to a config path. */
export interface SettingChange {
  /** How it reads, `path=value` in the form given (or the config path for a change found by {@link diffConfig}). */
  text: string;
  /** Config path, e.g. `['queues', 'sales', 'rules', 'holdLongWarnSec']`. */
  path: string[];
  /** `set` the value; `add`/`remove` rules to or from a `disabled` list; `delete` the key (inherit again). */
  op: 'set' | 'add' | 'remove' | 'delete';
  value?: unknown;
}

/** What a config path holds, found by walking the schema. */
type Leaf = 'number' | 'string' | 'rules' | 'minutes' | 'object';

/** The few zod internals walked here: an object's shape, a record's value, an optional's or nullable's inner type. */
interface SchemaNode {
  def: { type: string; innerType?: SchemaNode; valueType?: SchemaNode; element?: SchemaNode };
  shape?: Record<string, SchemaNode>;
}

function unwrap(n: SchemaNode): { node: SchemaNode; nullable: boolean } {
  let nullable = false;
  while (n.def.type === 'optional' || n.def.type === 'nullable') {
    if (n.def.type === 'nullable') nullable = true;
    n = n.def.innerType as SchemaNode;
  }
  return { node: n, nullable };
}

/** Walks `path` through the config schema: the leaf's kind, or why the path is not a setting. */
function leafOf(path: string[]): Leaf | { error: string } {
  let node = floorConfigSchema as unknown as SchemaNode;
  let nullable = false;
  for (let i = 0; i < path.length; i++) {
    const here = path.slice(0, i).join('.') || 'the settings';
    ({ node, nullable } = unwrap(node));
    if (node.def.type === 'object' && node.shape) {
      const next = node.shape[path[i]];
      if (!next) return { error: `unknown setting: ${path.slice(0, i + 1).join('.')} (${here} ${here === 'the settings' ? 'have' : 'has'} ${Object.keys(node.shape).join(', ')})` };
      node = next;
    } else if (node.def.type === 'record' && node.def.valueType) {
      if (!path[i]) return { error: `${here}: a name is missing` };
      node = node.def.valueType;
    } else return { error: `unknown setting: ${path.join('.')} (${here} is a value, not a group)` };
  }
  ({ node, nullable } = unwrap(node));
  switch (node.def.type) {
    case 'number':
      return nullable ? 'minutes' : 'number';
    case 'string':
      return 'string';
    case 'array':
      return 'rules';
    default:
      return 'object';
  }
}

/**
 * A user's path → config path: the scope (`queues.<id>.`, `teams.<id>.`) then
 * a rule alias (`hold-long.warnSec`), `away-long.<reason>`, a bare threshold
 * name, or the config path itself.
 */
function configPath(userPath: string): string[] | { error: string } {
  const segs = userPath.split('.');
  if (segs.some((s) => s === '')) return { error: `"${userPath}" is not a setting path (an empty part)` };
  const scoped = segs[0] === 'queues' || segs[0] === 'teams';
  if (scoped && segs.length < 3) return { error: `${userPath}: name the ${segs[0] === 'queues' ? 'queue' : 'team'} and the setting, e.g. ${segs[0]}.${segs[1] ?? 'sales'}.hold-long.warnSec=60` };
  const scope = scoped ? segs.slice(0, 2) : [];
  const rest = scoped ? segs.slice(2) : segs;
  const alias = rest.length === 2 ? RULE_ALIASES[`${rest[0]}.${rest[1]}`] : undefined;
  if (alias) return [...scope, 'rules', alias];
  if (rest[0] === 'away-long' && rest.length === 2) return [...scope, 'awayLimitMinutes', rest[1]];
  if ((RULE_IDS as readonly string[]).includes(rest[0])) {
    const fields = Object.keys(RULE_ALIASES)
      .filter((a) => a.startsWith(`${rest[0]}.`))
      .map((a) => a.slice(rest[0].length + 1));
    const has = rest[0] === 'away-long' ? 'away-long.<reason> (minutes)' : fields.length ? `${rest[0]}.${fields.join(`, ${rest[0]}.`)}` : `no thresholds (switch it off with disabled+=${rest[0]})`;
    return { error: `unknown setting: ${userPath} (${rest[0]} has ${has})` };
  }
  if (rest.length === 1) {
    for (const [section, shape] of Object.entries(BARE_SECTIONS)) if (Object.hasOwn(shape, rest[0])) return [...scope, section, rest[0]];
  }
  return [...scope, ...rest];
}

const NONE = new Set(['none', 'null', 'off']);
/** Why the time zone is not a what-if setting: both sides must count the same days. */
const SAME_ZONE = 'the time zone is not a threshold: a what-if compares the same floor-local days (change it in the settings)';

/** The value of a change from its text or JSON form, as its leaf needs it; a string error names the path. */
function valueFor(leaf: Leaf, name: string, raw: unknown, op: SettingChange['op']): unknown {
  switch (leaf) {
    case 'number':
    case 'minutes': {
      if (leaf === 'minutes' && (raw === null || (typeof raw === 'string' && NONE.has(raw.trim().toLowerCase())))) return null;
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
      if (!Number.isFinite(n)) return { error: `${name}: expected a number${leaf === 'minutes' ? ' of minutes or "none"' : ''}, got ${JSON.stringify(raw)}` };
      return n;
    }
    case 'string':
      if (typeof raw !== 'string' || raw === '') return { error: `${name}: expected text, got ${JSON.stringify(raw)}` };
      return raw;
    case 'rules': {
      const list = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',').map((s) => s.trim()).filter(Boolean) : null;
      if (!list || list.some((r) => typeof r !== 'string')) return { error: `${name}: expected rule ids separated by commas, got ${JSON.stringify(raw)}` };
      const bad = (list as string[]).filter((r) => !(RULE_IDS as readonly string[]).includes(r));
      if (bad.length) return { error: `${name}: unknown rule ${bad.map((b) => `"${b}"`).join(', ')} (rules: ${RULE_IDS.join(', ')})` };
      if (op !== 'set' && list.length === 0) return { error: `${name}: name at least one rule` };
      return [...new Set(list as string[])];
    }
    default:
      return { error: `${name} is a group of settings: name one of its fields (e.g. ${name}.<field>=value)` };
  }
}

function isError(v: unknown): v is { error: string } {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && typeof (v as { error?: unknown }).error === 'string' && Object.keys(v).length === 1;
}

/**
 * One setting from its path and value (the API's `set` map: `{ 'hold-long.warnSec': 60 }`; a path
 * ending in `+` or `-` adds rules to or removes them from a `disabled` list). The value may be a
 * number, text, a list of rule ids, or null (a pause without limit). Returns the change or a
 * one-line error naming the path.
 */
export function parseSettingEntry(userPath: string, raw: unknown): { ok: true; change: SettingChange } | { ok: false; error: string } {
  const trimmed = userPath.trim();
  const op: SettingChange['op'] = trimmed.endsWith('+') ? 'add' : trimmed.endsWith('-') ? 'remove' : 'set';
  const name = op === 'set' ? trimmed : trimmed.slice(0, -1);
  if (!name) return { ok: false, error: `"${userPath}" names no setting` };
  const path = configPath(name);
  if (isError(path)) return { ok: false, error: path.error };
  if (path[0] === 'timeZone') return { ok: false, error: `${name}: ${SAME_ZONE}` };
  const leaf = leafOf(path);
  if (typeof leaf !== 'string') return { ok: false, error: leaf.error };
  if (op !== 'set' && leaf !== 'rules') return { ok: false, error: `${name}${op === 'add' ? '+=' : '-='}: only a list of rules (disabled) takes += or -=` };
  const value = valueFor(leaf, name, raw, op);
  if (isError(value)) return { ok: false, error: value.error };
  const shown = Array.isArray(value) ? value.join(',') : value === null ? 'none' : String(value);
  return { ok: true, change: { text: `${name}${op === 'add' ? '+=' : op === 'remove' ? '-=' : '='}${shown}`, path, op, value } };
}

/**
 * One setting written `path=value` (the command line's `--set`): `hold-long.warnSec=60`,
 * `ring-limit.breachAt=5`, `serviceLevel.thresholdSec=30`, `rules.holdLongWarnSec=60`,
 * `queues.sales.rules.holdLongWarnSec=90`, `teams.A.disabled=hold-repeat,speakerphone`,
 * `disabled+=speakerphone`, `away-long.lunch=45`. Returns the change or a one-line error naming
 * the path (never a silent ignore).
 */
export function parseSetting(text: string): { ok: true; change: SettingChange } | { ok: false; error: string } {
  const eq = text.indexOf('=');
  if (eq <= 0) return { ok: false, error: `"${text}" is not path=value (e.g. hold-long.warnSec=60)` };
  return parseSettingEntry(text.slice(0, eq), text.slice(eq + 1));
}

/** Plain JSON copy (a config is plain data). */
const copy = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/**
 * `config` with `changes` applied in order, validated by `parseConfig`. A
 * validation error is given with the change it concerns (`hold-long.warnSec=100:
 * rules.holdLongWarnSec: must not exceed holdLongBreachSec`).
 */
export function applyChanges(config: FloorConfig, changes: readonly SettingChange[]): { ok: true; config: FloorConfig } | { ok: false; error: string } {
  const next = copy(config) as unknown as Record<string, unknown>;
  for (const c of changes) {
    let holder = next;
    for (const key of c.path.slice(0, -1)) {
      const v = holder[key];
      if (typeof v !== 'object' || v === null || Array.isArray(v)) {
        if (c.op === 'delete') break;
        holder[key] = {};
      }
      holder = holder[key] as Record<string, unknown>;
    }
    const last = c.path[c.path.length - 1];
    if (c.op === 'delete') delete holder[last];
    else if (c.op === 'set') holder[last] = copy(c.value);
    else {
      const now = new Set(Array.isArray(holder[last]) ? (holder[last] as string[]) : []);
      for (const r of c.value as string[]) {
        if (c.op === 'add') now.add(r);
        else now.delete(r);
      }
      holder[last] = [...now];
    }
  }
  const r = parseConfig(next);
  if (r.ok) return r;
  const first = r.error.split('; ')[0];
  const where = first.slice(0, first.indexOf(':'));
  const culprit = [...changes].reverse().find((c) => where === c.path.join('.') || where.startsWith(`${c.path.join('.')}.`) || c.path.join('.').startsWith(`${where}.`));
  return { ok: false, error: culprit ? `${culprit.text}: ${r.error}` : `the candidate settings: ${r.error}` };
}

const isPlain = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The changes that turn `from` into `to` (a whole candidate configuration, as
 * the client may send one): every leaf that differs is set, every key `to`
 * lacks is deleted; lists are compared whole.
 */
export function diffConfig(from: FloorConfig, to: FloorConfig): SettingChange[] {
  const out: SettingChange[] = [];
  const walk = (a: unknown, b: unknown, path: string[]) => {
    if (isPlain(a) && isPlain(b)) {
      for (const k of Object.keys(a)) if (!Object.hasOwn(b, k)) out.push({ text: `${[...path, k].join('.')} (removed)`, path: [...path, k], op: 'delete' });
      for (const k of Object.keys(b)) walk(a[k], b[k], [...path, k]);
      return;
    }
    if (JSON.stringify(a) === JSON.stringify(b)) return;
    out.push({ text: `${path.join('.')}=${Array.isArray(b) ? b.join(',') : isPlain(b) ? JSON.stringify(b) : String(b)}`, path, op: 'set', value: copy(b) });
  };
  walk(from, to, []);
  return out;
}

// ---------------------------------------------------------------- dates

const dateFormats = new Map<string, Intl.DateTimeFormat>();

/** The floor-local calendar date (`YYYY-MM-DD`) at instant `ms` in `timeZone`. */
export function localDate(ms: number, timeZone: string): string {
  let f = dateFormats.get(timeZone);
  if (!f) dateFormats.set(timeZone, (f = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' })));
  const p: Record<string, string> = {};
  for (const part of f.formatToParts(new Date(ms))) p[part.type] = part.value;
  return `${p.year}-${p.month}-${p.day}`;
}

/** `YYYY-MM-DD` → its UTC noon (ms), or null when it is no calendar date (2026-02-30 is not). */
function noonOf(date: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) return null;
  const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), 12);
  return new Date(t).toISOString().slice(0, 10) === date ? t : null;
}

/** The floor-local days from `from` to `to` (inclusive, `YYYY-MM-DD`) in `timeZone`, as epoch ms (end exclusive), and their number. */
export interface WhatIfRange {
  from: string;
  to: string;
  startMs: number;
  endMs: number;
  days: number;
}

/**
 * Checks and resolves a date range. Throws a {@link WhatIfError} for a string
 * that is no date, `to` before `from`, or more than {@link MAX_WHAT_IF_DAYS} days.
 */
export function whatIfRange(from: string, to: string, timeZone: string, maxDays = MAX_WHAT_IF_DAYS): WhatIfRange {
  const a = noonOf(from);
  const b = noonOf(to);
  if (a === null) throw new WhatIfError(`from: "${from}" is not a date (YYYY-MM-DD)`);
  if (b === null) throw new WhatIfError(`to: "${to}" is not a date (YYYY-MM-DD)`);
  if (b < a) throw new WhatIfError(`to (${to}) is before from (${from})`);
  const days = Math.round((b - a) / 86_400_000) + 1;
  if (days > maxDays) throw new WhatIfError(`${from} to ${to} is ${days} days; a what-if covers at most ${maxDays}`);
  // Local noon of each date: a day boundary of any zone (±14 h) is found from it.
  const local = (noon: number) => localDay(noon - zoneOffsetMs(noon, timeZone), timeZone);
  return { from, to, startMs: local(a).startMs, endMs: local(b).endMs, days };
}

// ---------------------------------------------------------------- the fold

/** Baseline and candidate counts of one rule, one agent, or the whole range. */
export interface WhatIfCounts {
  baseline: RuleCounts;
  candidate: RuleCounts;
}

/** One side of a changed alert: its level and measurement. */
export interface WhatIfSide {
  level: AlertLevel;
  value: number;
  threshold: number;
}

/** An alert whose level differs between baseline and candidate (null: not raised, or retracted, on that side). */
export interface WhatIfExample {
  alertId: string;
  ruleId: RuleId;
  callId?: string;
  agentId?: string;
  queueId?: string;
  /** The floor-local day it counts on, `YYYY-MM-DD`. */
  day: string;
  raisedAtMs: number;
  unit: Alert['unit'];
  baseline: WhatIfSide | null;
  candidate: WhatIfSide | null;
}

/** What a what-if found. */
export interface WhatIfResult {
  from: string;
  to: string;
  timeZone: string;
  /** The candidate changes as given (`path=value`). */
  settings: string[];
  /** The starting configuration (the settings in force when the run began) and the candidate made from it: what "Apply these settings" saves. */
  baselineConfig: FloorConfig;
  candidateConfig: FloorConfig;
  /** Events folded (the whole log: a day's calls depend on what came before), of them dated in the range, and skipped (the engine threw). */
  events: number;
  eventsInRange: number;
  skipped: number;
  /** `config.changed` events in the log, each replayed with the candidate on top. */
  configChanges: number;
  totals: WhatIfCounts;
  /** Every rule with an alert on either side, in the order of `RULE_IDS`. */
  rules: (WhatIfCounts & { ruleId: RuleId })[];
  /** Every agent with an alert on either side (by agent id); `byRule` as `rules`. */
  agents: (WhatIfCounts & { agentId: string; name?: string; team?: string; byRule: (WhatIfCounts & { ruleId: RuleId })[] })[];
  /** Alerts more severe with the candidate (new, or warn → breach), fewer or milder (gone, or breach → warn). */
  changed: { worse: number; better: number };
  /** Up to {@link WHAT_IF_EXAMPLES} of each, alerts on a call first, newest first. */
  examples: { worse: WhatIfExample[]; better: WhatIfExample[] };
}

export interface WhatIfOptions {
  /** The starting configuration: what the log's first events were folded with (the live server's current settings). */
  config: FloorConfig;
  changes: readonly SettingChange[];
  from: string;
  to: string;
  /** The live floor's stale-call limits and cap (default: the engine's). */
  limits?: Partial<EngineLimits>;
  /**
   * A scoped supervisor's limits (shared/scope.ts `ScopeFilter.limit`): only alerts each of whose
   * subjects is theirs are counted and shown — their queue (if it names one) in `queues`, their
   * agent (if it names one) of a team in `teams` (the agent's team at the end of the replay) and in
   * `agents`; an alert naming neither is left out.
   */
  scope?: ScopeLimit;
}

const RANK: Record<AlertLevel, number> = { info: 1, warn: 2, breach: 3 };
const zero = (): RuleCounts => ({ info: 0, warn: 0, breach: 0 });

/** One engine of the pair, with the alerts of the range it raised (latest content per id). */
interface Side {
  s: FloorState;
  alerts: Map<string, Alert>;
  skipped: number;
}

/**
 * A what-if fold (see the module comment), fed with every event of the log
 * in log order and its receive time (ms); `finish(nowMs)` ticks both engines
 * at `nowMs` (the server's clock: what the live floor's ticks had reached)
 * and compares. Throws a {@link WhatIfError} at creation for a bad range or
 * changes the starting configuration does not accept, and from `add` when a
 * logged `config.changed` does not accept them.
 */
export function createWhatIfFold(opts: WhatIfOptions) {
  const range = whatIfRange(opts.from, opts.to, opts.config.timeZone);
  if (opts.changes.some((c) => c.path[0] === 'timeZone')) throw new WhatIfError(`timeZone: ${SAME_ZONE}`);
  const start = applyChanges(opts.config, opts.changes);
  if (!start.ok) throw new WhatIfError(start.error);
  const startConfig = start.config;
  const floor = (config: FloorConfig): Side => ({ s: createFloorState(config, 0, { historyDays: Number.MAX_SAFE_INTEGER, clock: 'server', limits: opts.limits }), alerts: new Map(), skipped: 0 });
  const base = floor(opts.config);
  const cand = floor(startConfig);
  let events = 0;
  let eventsInRange = 0;
  let configChanges = 0;

  /** Keeps the alerts the engine changed since the last read whose day is in the range (and forgets one whose day moved out). */
  const collect = (side: Side) => {
    for (const a of drainChanges(side.s).alerts) {
      const day = alertDay(side.s, a);
      if (day >= range.startMs && day < range.endMs) side.alerts.set(a.id, a);
      else if (side.alerts.get(a.id) === a) side.alerts.delete(a.id);
    }
  };
  const fold = (side: Side, e: FloorEvent, receivedAtMs: number) => {
    try {
      observeClock(side.s, receivedAtMs);
      applyEvent(side.s, e);
    } catch {
      side.skipped++;
    }
  };

  return {
    add(e: FloorEvent, receivedAtMs: number): void {
      let candidate = e;
      if (e.type === 'config.changed') {
        configChanges++;
        const c = applyChanges(e.config, opts.changes);
        if (!c.ok) throw new WhatIfError(`the settings saved at ${new Date(e.at).toISOString()} by ${e.by} do not take the candidate: ${c.error}`);
        candidate = { ...e, config: c.config };
      }
      fold(base, e, receivedAtMs);
      fold(cand, candidate, receivedAtMs);
      if (e.at >= range.startMs && e.at < range.endMs) eventsInRange++;
      if (++events % DRAIN_EVERY === 0) {
        collect(base);
        collect(cand);
      }
    },
    finish(nowMs?: number): WhatIfResult {
      for (const side of [base, cand]) {
        tick(side.s, Math.max(side.s.nowMs, nowMs ?? side.s.nowMs));
        collect(side);
      }
      return compare();
    },
    get events() {
      return events;
    },
  };

  function compare(): WhatIfResult {
    const tz = opts.config.timeZone;
    const totals: WhatIfCounts = { baseline: zero(), candidate: zero() };
    const byRule = new Map<RuleId, WhatIfCounts>();
    const byAgent = new Map<string, { all: WhatIfCounts; rules: Map<RuleId, WhatIfCounts> }>();
    const count = (a: Alert, side: 'baseline' | 'candidate') => {
      if (a.status === 'retracted') return;
      totals[side][a.level]++;
      let r = byRule.get(a.ruleId);
      if (!r) byRule.set(a.ruleId, (r = { baseline: zero(), candidate: zero() }));
      r[side][a.level]++;
      if (a.agentId === undefined) return;
      let ag = byAgent.get(a.agentId);
      if (!ag) byAgent.set(a.agentId, (ag = { all: { baseline: zero(), candidate: zero() }, rules: new Map() }));
      ag.all[side][a.level]++;
      let ar = ag.rules.get(a.ruleId);
      if (!ar) ag.rules.set(a.ruleId, (ar = { baseline: zero(), candidate: zero() }));
      ar[side][a.level]++;
    };
    const lim = opts.scope;
    const teamOf = (agentId: string) => base.s.agents.get(agentId)?.team ?? cand.s.agents.get(agentId)?.team;
    const theirs = (a: Alert): boolean => {
      if (!lim) return true;
      if (a.queueId === undefined && a.agentId === undefined) return false;
      if (a.queueId !== undefined && lim.queues && !lim.queues.includes(a.queueId)) return false;
      if (a.agentId === undefined) return true;
      const team = teamOf(a.agentId);
      return (!lim.teams || (team !== undefined && lim.teams.includes(team))) && (!lim.agents || lim.agents.includes(a.agentId));
    };
    for (const a of base.alerts.values()) if (theirs(a)) count(a, 'baseline');
    for (const a of cand.alerts.values()) if (theirs(a)) count(a, 'candidate');

    const worse: WhatIfExample[] = [];
    const better: WhatIfExample[] = [];
    const side = (a: Alert | undefined): WhatIfSide | null => (a && a.status !== 'retracted' ? { level: a.level, value: a.value, threshold: a.threshold } : null);
    for (const id of new Set([...base.alerts.keys(), ...cand.alerts.keys()])) {
      const b = base.alerts.get(id);
      const c = cand.alerts.get(id);
      const bs = side(b);
      const cs = side(c);
      const diff = (cs ? RANK[cs.level] : 0) - (bs ? RANK[bs.level] : 0);
      if (diff === 0) continue;
      const a = (cs ? c : b) as Alert;
      if (!theirs(a)) continue;
      const owner = cs ? cand : base;
      const ex: WhatIfExample = { alertId: id, ruleId: a.ruleId, day: localDate(alertDay(owner.s, a), tz), raisedAtMs: a.raisedAtMs, unit: a.unit, baseline: bs, candidate: cs };
      if (a.callId !== undefined) ex.callId = a.callId;
      if (a.agentId !== undefined) ex.agentId = a.agentId;
      if (a.queueId !== undefined) ex.queueId = a.queueId;
      (diff > 0 ? worse : better).push(ex);
    }
    const pick = (list: WhatIfExample[]) =>
      [...list].sort((x, y) => Number(y.callId !== undefined) - Number(x.callId !== undefined) || y.raisedAtMs - x.raisedAtMs || x.alertId.localeCompare(y.alertId)).slice(0, WHAT_IF_EXAMPLES);
    const ruleRows = (m: Map<RuleId, WhatIfCounts>) => RULE_IDS.filter((r) => m.has(r)).map((ruleId) => ({ ruleId, ...(m.get(ruleId) as WhatIfCounts) }));
    const agents = [...byAgent.entries()]
      .sort(([x], [y]) => x.localeCompare(y))
      .map(([agentId, ag]) => {
        const known = base.s.agents.get(agentId);
        return { agentId, ...(known?.name !== undefined ? { name: known.name } : {}), ...(known?.team !== undefined ? { team: known.team } : {}), ...ag.all, byRule: ruleRows(ag.rules) };
      });
    return {
      from: range.from,
      to: range.to,
      timeZone: tz,
      settings: opts.changes.map((c) => c.text),
      baselineConfig: opts.config,
      candidateConfig: startConfig,
      events,
      eventsInRange,
      skipped: Math.max(base.skipped, cand.skipped),
      configChanges,
      totals,
      rules: ruleRows(byRule),
      agents,
      changed: { worse: worse.length, better: better.length },
      examples: { worse: pick(worse), better: pick(better) },
    };
  }
}

/**
 * The changes of a request: a map of `path → value` (`{ 'hold-long.warnSec': 60 }`), a list of
 * `path=value` texts, or a whole candidate configuration (compared with `current`). Returns them
 * or the first error (with its path).
 */
export function readChanges(req: { set?: unknown; config?: unknown }, current: FloorConfig): { ok: true; changes: SettingChange[] } | { ok: false; error: string } {
  if (req.set !== undefined && req.config !== undefined) return { ok: false, error: 'give either set (the changes) or config (a whole candidate configuration), not both' };
  if (req.config !== undefined) {
    const r = parseConfig(req.config);
    if (!r.ok) return { ok: false, error: `config: ${r.error}` };
    return { ok: true, changes: diffConfig(current, r.config) };
  }
  const changes: SettingChange[] = [];
  if (Array.isArray(req.set)) {
    for (const item of req.set) {
      if (typeof item !== 'string') return { ok: false, error: `set: expected "path=value" texts, got ${JSON.stringify(item)}` };
      const r = parseSetting(item);
      if (!r.ok) return r;
      changes.push(r.change);
    }
  } else if (isPlain(req.set)) {
    for (const [k, v] of Object.entries(req.set)) {
      const r = parseSettingEntry(k, v);
      if (!r.ok) return r;
      changes.push(r.change);
    }
  } else if (req.set !== undefined) return { ok: false, error: 'set: expected an object of path → value, e.g. { "hold-long.warnSec": 60 }' };
  return { ok: true, changes };
}
