/**
 * The thresholds of the settings form, shared by the settings page and the
 * what-if page (one list of fields, units and bounds, labels from
 * `settings.f.*` / `settings.u.*` / `settings.help.*` in the i18n catalogues).
 */
import { DEFAULT_RULES, ruleThresholdsSchema, serviceLevelSchema, workloadSchema, type RuleThresholds, type ServiceLevelConfig, type Workload } from '../../shared/config.ts';

/**
 * How a threshold is shown: in its natural unit (hours for the voicemail
 * return, minutes for a callback's grace, % for occupancy). `factor` is how
 * many stored units make one shown unit; the stored config keeps its own unit
 * (shared/config.ts), so values are converted on the way in and out.
 */
export type Section = 'rules' | 'workload' | 'serviceLevel';
export type Unit = 'rings' | 'sec' | 'min' | 'hours' | 'holdNo' | 'budget' | 'calls' | 'dbfs' | 'pct' | 'requestNo' | 'timesNo';
export type Field<K extends string> = { key: K; unit: Unit; factor?: number; step?: number };
export const RULE_FIELDS: Field<keyof RuleThresholds>[] = [
  { key: 'ringWarnAt', unit: 'rings' },
  { key: 'ringBreachAt', unit: 'rings' },
  { key: 'ringCadenceSec', unit: 'sec', step: 0.5 },
  { key: 'holdLongWarnSec', unit: 'sec' },
  { key: 'holdLongBreachSec', unit: 'sec' },
  { key: 'holdRepeatBreachAt', unit: 'holdNo' },
  { key: 'callLongWarnFactor', unit: 'budget', step: 0.1 },
  { key: 'callLongBreachFactor', unit: 'budget', step: 0.1 },
  { key: 'quotaPaceWarnBehind', unit: 'calls' },
  { key: 'voicemailWarnSec', unit: 'hours', factor: 3600, step: 0.25 },
  { key: 'callbackGraceSec', unit: 'min', factor: 60, step: 0.5 },
  { key: 'speakerWarnSec', unit: 'sec' },
  { key: 'volumeWarnDbfs', unit: 'dbfs' },
  { key: 'volumeSustainSec', unit: 'sec' },
  { key: 'queueWaitWarnSec', unit: 'sec' },
  { key: 'queueWaitBreachSec', unit: 'sec' },
  { key: 'abandonCallbackWarnSec', unit: 'min', factor: 60, step: 1 },
  // The conversation rules (issue 18): optional in the schema, DEFAULT_RULES holds for a configuration saved before them.
  { key: 'greetingWarnSec', unit: 'sec' },
  { key: 'clarityWarnAt', unit: 'requestNo' },
  { key: 'dontKnowWindowSec', unit: 'sec' },
  { key: 'deadAirWarnSec', unit: 'sec' },
  { key: 'deadAirBreachSec', unit: 'sec' },
  { key: 'talkOverWarnAt', unit: 'timesNo' },
];
export const WORK_FIELDS: Field<keyof Workload>[] = [
  { key: 'dailyQuota', unit: 'calls' },
  { key: 'shiftMinutes', unit: 'hours', factor: 60, step: 0.25 },
  { key: 'targetOccupancy', unit: 'pct', factor: 0.01, step: 1 },
];
export const SL_FIELDS: Field<keyof ServiceLevelConfig>[] = [
  { key: 'thresholdSec', unit: 'sec' },
  { key: 'targetPct', unit: 'pct' },
  { key: 'shortAbandonSec', unit: 'sec' },
];

/**
 * A section's stored value of `key` in the floor's settings `values` (e.g. `config.rules`); for an optional
 * threshold a configuration saved before it lacks, the default in force (`DEFAULT_RULES`), never undefined.
 */
export function floorValue(section: Section, values: object | undefined, key: string): number {
  const v = (values as Record<string, number | undefined> | undefined)?.[key];
  if (v !== undefined) return v;
  return section === 'rules' ? (DEFAULT_RULES as Record<string, number | undefined>)[key] ?? 0 : 0;
}

/** Rounds away binary noise (0.85 × 100 = 85.00000000000001). */
export const tidy = (n: number) => Math.round(n * 1e6) / 1e6;
/** A stored value in the field's shown unit. */
export const shown = (f: Field<string>, stored: number) => tidy(stored / (f.factor ?? 1));

/** The server schema's bound of each threshold (shared/config.ts), so the form refuses what the server would. */
export type Bounded = { minValue: number | null; maxValue: number | null } | { unwrap(): { minValue: number | null; maxValue: number | null } };
export const SCHEMA_FIELDS: Record<Section, Record<string, Bounded>> = {
  rules: ruleThresholdsSchema.shape,
  workload: workloadSchema.shape,
  serviceLevel: serviceLevelSchema.shape,
};
/** A field's min and max in its shown unit, as input attributes (undefined when the schema has none). */
export function bounds(section: Section, f: Field<string>): { min?: number; max?: number } {
  const s = SCHEMA_FIELDS[section][f.key];
  const n = s && ('unwrap' in s ? s.unwrap() : s);
  return { min: n?.minValue == null ? undefined : shown(f, n.minValue), max: n?.maxValue == null ? undefined : shown(f, n.maxValue) };
}
/** A shown value back in the stored unit. */
export const stored = (f: Field<string>, value: number) => tidy(value * (f.factor ?? 1));
