/**
 * Floor configuration: etiquette thresholds, service-level target, quota and
 * shift. Defaults are the floor's etiquette code as stated in DESIGN.md; every
 * threshold can be overridden per queue, and the agent-side ones per team.
 */
import { z } from 'zod';
import { callBudgetSec } from './measure.ts';
import { PhraseListsSchema, phraseSchema } from './phrases.ts';
import { AWAY_LIMIT_REASONS_MAX, AWAY_REASON_MAX_CHARS, DEFAULT_AWAY_LIMIT_MINUTES, normalizeAwayLimits } from './away.ts';

export const RULE_IDS = [
  'ring-limit',
  'hold-permission',
  'hold-long',
  'hold-repeat',
  'transfer-permission',
  'call-long',
  'quota-pace',
  'voicemail-return',
  'callback-missed',
  'speakerphone',
  'volume',
  'notes-missing',
  'escalation',
  'queue-wait',
  'abandon-callback',
  'away-long',
  'greeting',
  'clarity',
  'language',
  'dont-know',
  'dead-air',
  'talk-over',
] as const;
export type RuleId = (typeof RULE_IDS)[number];

const sec = z.number().min(0).max(7 * 24 * 3600);

/** Thresholds of every rule. Times in seconds unless the name says otherwise. */
export const ruleThresholdsSchema = z.strictObject({
  /** Ring number that raises a live warning while still ringing (3 = "third ring"). */
  ringWarnAt: z.number().int().min(1).max(50),
  /** Ring number that is a breach (4 = "answer within three rings"). */
  ringBreachAt: z.number().int().min(1).max(50),
  /** Seconds per ring when the source gives ringing time instead of a count. */
  ringCadenceSec: z.number().min(0.5).max(60),
  holdLongWarnSec: sec,
  holdLongBreachSec: sec,
  /** The hold number on one call that is a breach (3 = "third hold"). */
  holdRepeatBreachAt: z.number().int().min(2).max(100),
  /** Multiples of the per-call budget. */
  callLongWarnFactor: z.number().min(0.1).max(20),
  callLongBreachFactor: z.number().min(0.1).max(20),
  /** Calls behind the quota's pace that raise a warning. */
  quotaPaceWarnBehind: z.number().min(0).max(1000),
  voicemailWarnSec: sec,
  callbackGraceSec: sec,
  speakerWarnSec: sec,
  volumeWarnDbfs: z.number().min(-100).max(0),
  volumeSustainSec: sec,
  queueWaitWarnSec: sec,
  queueWaitBreachSec: sec,
  /**
   * An abandoned caller not reached back this long after hanging up warns; at twice it, a breach
   * (`abandon-callback`). Optional: a configuration saved before the rule existed has none, and the
   * default (`DEFAULT_RULES`, 30 min) holds, so such a floor's settings still load and save.
   */
  abandonCallbackWarnSec: sec.optional(),
  /*
   * The conversation rules (issue 18, shared/engine/rules/greeting.ts, spoken-words.ts, dead-air.ts,
   * talk-over.ts). Optional like `abandonCallbackWarnSec`: a configuration saved before them has none,
   * and `DEFAULT_RULES` holds.
   */
  /** `greeting`: the agent's first words later than this after the answer warn. */
  greetingWarnSec: sec.optional(),
  /** `clarity`: the caller's request to repeat that warns (2 = "the second time the caller asks"). */
  clarityWarnAt: z.number().int().min(1).max(100).optional(),
  /** `dont-know`: how long after a bare "I don't know" the agent has to offer to find out. */
  dontKnowWindowSec: z.number().min(0).max(600).optional(),
  /** `dead-air`: silence on the line (hold excluded) that warns, and that is a breach. */
  deadAirWarnSec: sec.optional(),
  deadAirBreachSec: sec.optional(),
  /** `talk-over`: the time on one call the agent starts while the caller talks that warns (3 = "third time"). */
  talkOverWarnAt: z.number().int().min(1).max(100).optional(),
});
export type RuleThresholds = z.infer<typeof ruleThresholdsSchema>;

/** What is needed for the quota and call-length budget. */
export const workloadSchema = z.strictObject({
  dailyQuota: z.number().int().min(1).max(1000),
  shiftMinutes: z.number().min(1).max(24 * 60),
  /** Share of the shift spent handling calls, 0..1. */
  targetOccupancy: z.number().min(0.05).max(1),
});
export type Workload = z.infer<typeof workloadSchema>;

export const serviceLevelSchema = z.strictObject({
  /** Answer threshold T in seconds ("80/20" has T = 20). */
  thresholdSec: z.number().min(1).max(3600),
  /** Target share answered within T, in percent. */
  targetPct: z.number().min(1).max(100),
  /** Abandons shorter than this are excluded from the service level. */
  shortAbandonSec: z.number().min(0).max(600),
});
export type ServiceLevelConfig = z.infer<typeof serviceLevelSchema>;

/**
 * Pause limits (`away-long`): minutes per away reason, `null` for no limit; `*` for every reason not
 * named (none by default: an unknown reason has no limit). Keys are normalised by {@link parseConfig}.
 */
export const awayLimitMinutesSchema = z
  .record(z.string().min(1).max(AWAY_REASON_MAX_CHARS), z.number().min(1).max(24 * 60).nullable())
  .refine((r) => Object.keys(r).length <= AWAY_LIMIT_REASONS_MAX, `at most ${AWAY_LIMIT_REASONS_MAX} reasons`);

const overrideSchema = z.strictObject({
  rules: ruleThresholdsSchema.partial().optional(),
  /** Per team only (a pause belongs to a person, not to a queue): merged over the floor's, reason by reason. */
  awayLimitMinutes: awayLimitMinutesSchema.optional(),
  workload: workloadSchema.partial().optional(),
  serviceLevel: serviceLevelSchema.partial().optional(),
  /** Rules switched off for this queue or team. */
  disabled: z.array(z.enum(RULE_IDS)).optional(),
});
export type ConfigOverride = z.infer<typeof overrideSchema>;

/** Live staffing (Erlang C per queue, shared/erlang.ts): how far back the arrival rate and AHT are measured. */
export const staffingSchema = z.strictObject({
  /** Minutes of the measuring window: long enough to smooth single calls, short enough to follow the day's curve. */
  windowMinutes: z.number().int().min(5).max(240),
});
export type StaffingConfig = z.infer<typeof staffingSchema>;

/** The live-staffing window when the configuration names none (saved before it existed), minutes. */
export const DEFAULT_STAFFING_WINDOW_MINUTES = 30;

export const floorConfigSchema = z.strictObject({
  /** IANA time zone of the floor: decides where "today" and the business day start and end. */
  timeZone: z.string().min(1).max(64),
  /** Business day, local hours (voicemails must be returned before it closes). */
  businessDayStartHour: z.number().int().min(0).max(23),
  businessDayEndHour: z.number().int().min(1).max(24),
  rules: ruleThresholdsSchema,
  workload: workloadSchema,
  serviceLevel: serviceLevelSchema,
  disabled: z.array(z.enum(RULE_IDS)),
  /** Pause limits per away reason (absent in configurations saved before they existed: the defaults apply). */
  awayLimitMinutes: awayLimitMinutesSchema.optional(),
  /** Live staffing's window (absent in configurations saved before it existed: {@link DEFAULT_STAFFING_WINDOW_MINUTES}). */
  staffing: staffingSchema.optional(),
  /**
   * The names the company answers the phone with (`greeting` checks the agent's first words name one),
   * e.g. `["Acme", "Acme Insurance"]`; none: the company is not checked. Matched like the phrase lists.
   */
  companyNames: z.array(phraseSchema).max(20).optional(),
  /**
   * The language of transcript segments that name none and whose call named none before (a floor whose
   * speech-to-text engine sends no `lang`); none: such a segment is read in every listed language.
   */
  transcriptLang: z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$/, 'a language tag such as en, tr, et or en-GB').optional(),
  /** The admin's phrase lists per conversation rule and language, over the defaults (shared/phrases.ts). */
  phrases: PhraseListsSchema.optional(),
  queues: z.record(z.string(), overrideSchema),
  teams: z.record(z.string(), overrideSchema),
});
export type FloorConfig = z.infer<typeof floorConfigSchema>;

/** `abandon-callback` warns after 30 min (DESIGN), breaches at 60; the default also for configurations saved before the rule. */
export const DEFAULT_ABANDON_CALLBACK_WARN_SEC = 30 * 60;

/** The conversation rules' thresholds as issue 18 states the floor's code; also for configurations saved before them. */
export const DEFAULT_CONVERSATION_RULES = {
  greetingWarnSec: 5,
  clarityWarnAt: 2,
  dontKnowWindowSec: 10,
  deadAirWarnSec: 15,
  deadAirBreachSec: 30,
  talkOverWarnAt: 3,
} as const satisfies Partial<RuleThresholds>;

/** A threshold of the conversation rules in force: the configured one, else the default. */
export function conversationThreshold(r: RuleThresholds, key: keyof typeof DEFAULT_CONVERSATION_RULES): number {
  return r[key] ?? DEFAULT_CONVERSATION_RULES[key];
}

export const DEFAULT_RULES: RuleThresholds = {
  ringWarnAt: 3,
  ringBreachAt: 4,
  ringCadenceSec: 6,
  holdLongWarnSec: 45,
  holdLongBreachSec: 90,
  holdRepeatBreachAt: 3,
  callLongWarnFactor: 1,
  callLongBreachFactor: 2,
  quotaPaceWarnBehind: 2,
  voicemailWarnSec: 4 * 3600,
  callbackGraceSec: 5 * 60,
  speakerWarnSec: 60,
  volumeWarnDbfs: -10,
  volumeSustainSec: 5,
  queueWaitWarnSec: 60,
  queueWaitBreachSec: 120,
  abandonCallbackWarnSec: DEFAULT_ABANDON_CALLBACK_WARN_SEC,
  ...DEFAULT_CONVERSATION_RULES,
};

export function defaultConfig(): FloorConfig {
  return {
    timeZone: 'UTC',
    businessDayStartHour: 8,
    businessDayEndHour: 18,
    rules: { ...DEFAULT_RULES },
    workload: { dailyQuota: 30, shiftMinutes: 480, targetOccupancy: 0.85 },
    serviceLevel: { thresholdSec: 20, targetPct: 80, shortAbandonSec: 5 },
    disabled: [],
    awayLimitMinutes: { ...DEFAULT_AWAY_LIMIT_MINUTES },
    staffing: { windowMinutes: DEFAULT_STAFFING_WINDOW_MINUTES },
    queues: {},
    teams: {},
  };
}

/** The thresholds in force for one call or agent, after queue and team overrides. */
export interface EffectiveConfig {
  rules: RuleThresholds;
  workload: Workload;
  serviceLevel: ServiceLevelConfig;
  disabled: ReadonlySet<RuleId>;
  /** Per-call budget in seconds = shift × occupancy ÷ quota. */
  callBudgetSec: number;
  /** Pause limits, minutes per normalised reason (the floor's with the team's over them); see shared/away.ts. */
  awayLimitMinutes: Readonly<Record<string, number | null>>;
}

/**
 * Merges the floor defaults with a queue's and then a team's overrides (team
 * wins: it is the narrower group of people).
 */
export function effectiveConfig(config: FloorConfig, queueId?: string, team?: string): EffectiveConfig {
  const q = queueId !== undefined ? config.queues[queueId] : undefined;
  const t = team !== undefined ? config.teams[team] : undefined;
  const rules = { ...config.rules, ...q?.rules, ...t?.rules };
  const workload = { ...config.workload, ...q?.workload, ...t?.workload };
  const serviceLevel = { ...config.serviceLevel, ...q?.serviceLevel, ...t?.serviceLevel };
  const disabled = new Set<RuleId>([...config.disabled, ...(q?.disabled ?? []), ...(t?.disabled ?? [])]);
  return {
    rules,
    workload,
    serviceLevel,
    disabled,
    callBudgetSec: callBudgetSec(workload),
    awayLimitMinutes: { ...(config.awayLimitMinutes ?? DEFAULT_AWAY_LIMIT_MINUTES), ...t?.awayLimitMinutes },
  };
}

export { callBudgetSec } from './measure.ts';

/** Validates a full config; returns readable errors. */
export function parseConfig(value: unknown): { ok: true; config: FloorConfig } | { ok: false; error: string } {
  const r = floorConfigSchema.safeParse(value);
  if (!r.success) {
    return { ok: false, error: r.error.issues.map((i) => `${i.path.join('.') || '(config)'}: ${i.message}`).join('; ') };
  }
  const c = r.data;
  const away = checkAwayLimits(c);
  if (away) return { ok: false, error: away };
  if (c.rules.ringWarnAt > c.rules.ringBreachAt) return { ok: false, error: 'rules.ringWarnAt: must not exceed ringBreachAt' };
  if (c.rules.holdLongWarnSec > c.rules.holdLongBreachSec) return { ok: false, error: 'rules.holdLongWarnSec: must not exceed holdLongBreachSec' };
  if (c.rules.queueWaitWarnSec > c.rules.queueWaitBreachSec) return { ok: false, error: 'rules.queueWaitWarnSec: must not exceed queueWaitBreachSec' };
  if (conversationThreshold(c.rules, 'deadAirWarnSec') > conversationThreshold(c.rules, 'deadAirBreachSec')) return { ok: false, error: 'rules.deadAirWarnSec: must not exceed deadAirBreachSec' };
  if (c.businessDayEndHour <= c.businessDayStartHour) return { ok: false, error: 'businessDayEndHour: must be after businessDayStartHour' };
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: c.timeZone });
  } catch {
    return { ok: false, error: `timeZone: unknown time zone "${c.timeZone}"` };
  }
  return { ok: true, config: c };
}

/**
 * Normalises the pause-limit tables of `c` in place (reason keys in the form
 * `normalizeAwayReason` gives) and returns an error for a table that names one
 * reason twice, or for pause limits set on a queue (they are per team).
 */
function checkAwayLimits(c: FloorConfig): string | null {
  const tables: [string, { awayLimitMinutes?: Record<string, number | null> }][] = [['awayLimitMinutes', c], ...Object.entries(c.teams).map(([id, o]) => [`teams.${id}.awayLimitMinutes`, o] as [string, ConfigOverride])];
  for (const [id, o] of Object.entries(c.queues)) {
    if (o.awayLimitMinutes !== undefined) return `queues.${id}.awayLimitMinutes: pause limits are set per team (or for the floor), not per queue`;
  }
  for (const [where, holder] of tables) {
    if (holder.awayLimitMinutes === undefined) continue;
    const n = normalizeAwayLimits(holder.awayLimitMinutes, where);
    if (!n.ok) return n.error;
    holder.awayLimitMinutes = n.limits;
  }
  return null;
}
