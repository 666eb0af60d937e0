/**
 * What an audited change changed: the paths whose values differ between the
 * `before` and `after` of an audit entry (a settings save holds the whole
 * configuration on both sides: the page shows only what moved).
 */

/** One changed value: its dotted path (`rules.holdLongWarnSec`), and both sides (undefined: absent on that side). */
export interface AuditChange {
  path: string;
  before: unknown;
  after: unknown;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The leaves that differ between `before` and `after`, in key order, at most
 * `limit` (arrays compare whole). Empty when either side is not an object or nothing differs.
 */
export function auditChanges(before: unknown, after: unknown, limit = 12): AuditChange[] {
  if (!isPlainObject(before) || !isPlainObject(after)) return [];
  const out: AuditChange[] = [];
  const walk = (a: unknown, b: unknown, path: string): void => {
    if (out.length >= limit) return;
    if (isPlainObject(a) && isPlainObject(b)) {
      const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
      for (const k of keys) walk(a[k], b[k], path ? `${path}.${k}` : k);
      return;
    }
    if (JSON.stringify(a) !== JSON.stringify(b)) out.push({ path, before: a, after: b });
  };
  walk(before, after, '');
  return out;
}

/** A value as the audit page shows it: JSON, cut at `max` characters; '–' for absent. */
export function auditValue(v: unknown, max = 160): string {
  return v === undefined ? '–' : JSON.stringify(v).slice(0, max);
}
