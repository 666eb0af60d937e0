/** Every rule in plain words, as the floor's etiquette code states it: one place, ready for translation. */
import type { RuleId } from '../../shared/config.ts';

export const RULE_TEXT: Record<RuleId, { name: string; explain: string }> = {
  'ring-limit': { name: 'Ring limit', explain: 'Answer every call within three rings.' },
  'hold-permission': { name: 'Hold without asking', explain: 'Ask the caller before putting them on hold.' },
  'hold-long': { name: 'Long hold', explain: "Don't leave a caller on hold; check back with them." },
  'hold-repeat': { name: 'Repeated holds', explain: 'Being put on hold again and again exhausts callers.' },
  'transfer-permission': { name: 'Transfer without asking', explain: 'Ask before transferring a call.' },
  'call-long': { name: 'Long call', explain: "A call that runs on costs the other callers of the day: keep within the per-call budget." },
  'quota-pace': { name: 'Behind quota pace', explain: 'Keep pace with the daily call quota.' },
  'voicemail-return': { name: 'Voicemail not returned', explain: 'Check voicemail at the start and end of every day and answer it.' },
  'callback-missed': { name: 'Missed callback', explain: "Be there when you promised; if you can't, call and reschedule." },
  speakerphone: { name: 'Speakerphone', explain: 'Use the speakerphone only when necessary.' },
  volume: { name: 'Loud voice', explain: 'Mind your volume on a loud floor.' },
  'notes-missing': { name: 'No call notes', explain: 'Take notes and log the call afterwards.' },
  escalation: { name: 'Manager requested', explain: 'A caller asking for a manager: one chance to resolve it yourself first.' },
  'queue-wait': { name: 'Long queue wait', explain: 'Callers must not wait long in the queue.' },
};

export function ruleName(id: string): string {
  return (RULE_TEXT as Record<string, { name: string }>)[id]?.name ?? id;
}

export function ruleExplain(id: string): string {
  return (RULE_TEXT as Record<string, { explain: string }>)[id]?.explain ?? '';
}

/** "4 rings", "95 s", "-6 dBFS": a measured value with its unit, for people. */
export function formatValue(value: number, unit: string): string {
  switch (unit) {
    case 'rings':
      return `${value} ring${value === 1 ? '' : 's'}`;
    case 'sec':
      return value >= 60 ? `${Math.floor(value / 60)} min ${Math.round(value % 60)} s` : `${Math.round(value)} s`;
    case 'holds':
      return `${value} holds`;
    case 'calls':
      return `${value} calls behind`;
    case 'dbfs':
      return `${value} dBFS`;
    case 'requests':
      return `${value} request${value === 1 ? '' : 's'}`;
    default:
      return '';
  }
}
