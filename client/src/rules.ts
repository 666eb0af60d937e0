/** Every rule in plain words, in the current language (the texts live in the i18n catalogues). */
import { t, catalogues } from './i18n/index.ts';
import { formatNumber } from './format.ts';

/** The rule ids, in the order of the design. */
export const RULE_TEXT = catalogues.en.rule;

export function ruleName(id: string): string {
  return id in RULE_TEXT ? t(`rule.${id}.name`) : id;
}

export function ruleExplain(id: string): string {
  return id in RULE_TEXT ? t(`rule.${id}.explain`) : '';
}

/** "4 rings", "1 min 35 s", "-6.5 dBFS": a measured value with its unit, for people. */
export function formatValue(value: number, unit: string): string {
  switch (unit) {
    case 'rings':
      return t('unit.rings', { n: value }, value);
    case 'sec': {
      // Round once, then split: rounding the seconds part alone turns 119.7 s into "1 min 60 s".
      const totalSec = Math.round(value);
      return totalSec >= 60 ? t('unit.min', { m: Math.floor(totalSec / 60), s: totalSec % 60 }) : t('unit.sec', { n: totalSec });
    }
    case 'holds':
      return t('unit.holds', { n: value });
    case 'calls':
      return t('unit.calls', { n: formatNumber(value) });
    case 'dbfs':
      return t('unit.dbfs', { n: formatNumber(value) });
    case 'requests':
      return t('unit.requests', { n: value }, value);
    case 'words':
      return t('unit.words', { n: value }, value);
    case 'times':
      return t('unit.times', { n: value }, value);
    default:
      return '';
  }
}
