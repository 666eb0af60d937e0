/**
 * A strict parser of the Prometheus text exposition format (version 0.0.4), for
 * the metrics tests: `# HELP` / `# TYPE` lines, samples with escaped label
 * values, `+Inf` / `-Inf` / `NaN`, optional timestamps. It throws on anything a
 * Prometheus server would refuse or misread: a malformed line, a sample of no
 * declared family, a family declared twice, a series given twice, a histogram
 * whose buckets are not cumulative or whose `+Inf` bucket is not its count.
 */

export type PromType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface PromSample {
  /** The sample's own name (`x_bucket`, `x_sum`, `x_count` for a histogram `x`). */
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface PromFamily {
  name: string;
  type: PromType;
  help: string;
  samples: PromSample[];
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** A sample value as Prometheus reads it (Go's strconv.ParseFloat: `Inf`, `NaN` in any case; prom-client writes `Nan`). */
function parseValue(text: string, line: number): number {
  if (/^\+?inf(inity)?$/i.test(text)) return Infinity;
  if (/^-inf(inity)?$/i.test(text)) return -Infinity;
  if (/^nan$/i.test(text)) return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`line ${line}: bad value "${text}"`);
  return Number(text);
}

/** Parses `{a="x",b="y\"z"}` starting at `i` (at the `{`); returns the labels and the index after `}`. */
function parseLabels(s: string, i: number, line: number): [Record<string, string>, number] {
  const labels: Record<string, string> = {};
  i++; // {
  for (;;) {
    if (s[i] === '}') return [labels, i + 1];
    const eq = s.indexOf('=', i);
    if (eq < 0) throw new Error(`line ${line}: label without "="`);
    const name = s.slice(i, eq).trim();
    if (!LABEL_NAME.test(name)) throw new Error(`line ${line}: bad label name "${name}"`);
    if (name in labels) throw new Error(`line ${line}: label ${name} twice`);
    if (s[eq + 1] !== '"') throw new Error(`line ${line}: label value not quoted`);
    let v = '';
    let j = eq + 2;
    for (; j < s.length && s[j] !== '"'; j++) {
      if (s[j] === '\\') {
        const n = s[++j];
        if (n === 'n') v += '\n';
        else if (n === '\\' || n === '"') v += n;
        else throw new Error(`line ${line}: bad escape "\\${n}"`);
      } else v += s[j];
    }
    if (s[j] !== '"') throw new Error(`line ${line}: unterminated label value`);
    labels[name] = v;
    i = j + 1;
    if (s[i] === ',') i++;
    else if (s[i] !== '}') throw new Error(`line ${line}: expected "," or "}" after a label`);
  }
}

/** The family a sample name belongs to, given the declared families. */
function familyOf(name: string, families: Map<string, PromFamily>): PromFamily | undefined {
  const direct = families.get(name);
  if (direct) return direct;
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!name.endsWith(suffix)) continue;
    const f = families.get(name.slice(0, -suffix.length));
    if (f && (f.type === 'histogram' || (f.type === 'summary' && suffix !== '_bucket'))) return f;
  }
  return undefined;
}

/** Parses an exposition; throws with the line number on anything malformed. */
export function parsePrometheusText(text: string): Map<string, PromFamily> {
  const families = new Map<string, PromFamily>();
  const seen = new Set<string>();
  const lines = text.split('\n');
  if (lines[lines.length - 1] !== '') throw new Error('the exposition must end with a newline');
  lines.forEach((raw, idx) => {
    const line = idx + 1;
    if (raw === '') return;
    const meta = new RegExp(`^# (HELP|TYPE) (${NAME})(?: (.*))?$`).exec(raw);
    if (meta) {
      const [, kind, name, rest = ''] = meta;
      let f = families.get(name);
      if (kind === 'TYPE') {
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest)) throw new Error(`line ${line}: bad type "${rest}"`);
        if (f && f.samples.length) throw new Error(`line ${line}: TYPE of ${name} after its samples`);
        if (f && f.type !== 'untyped') throw new Error(`line ${line}: ${name} declared twice`);
        if (!f) families.set(name, (f = { name, type: rest as PromType, help: '', samples: [] }));
        else f.type = rest as PromType;
      } else {
        if (!f) families.set(name, (f = { name, type: 'untyped', help: '', samples: [] }));
        f.help = rest.replace(/\\n/g, '\n').replace(/\\\\/g, '\\');
      }
      return;
    }
    if (raw.startsWith('#')) return; // a comment
    const m = new RegExp(`^(${NAME})`).exec(raw);
    if (!m) throw new Error(`line ${line}: not a sample: ${raw}`);
    const name = m[1];
    let i = name.length;
    let labels: Record<string, string> = {};
    if (raw[i] === '{') [labels, i] = parseLabels(raw, i, line);
    if (raw[i] !== ' ') throw new Error(`line ${line}: expected a space before the value`);
    const parts = raw.slice(i + 1).trim().split(/\s+/);
    if (parts.length < 1 || parts.length > 2) throw new Error(`line ${line}: expected a value and an optional timestamp`);
    const value = parseValue(parts[0], line);
    if (parts[1] !== undefined && !/^-?\d+$/.test(parts[1])) throw new Error(`line ${line}: bad timestamp`);
    const fam = familyOf(name, families);
    if (!fam) throw new Error(`line ${line}: sample ${name} of no declared family`);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (seen.has(key)) throw new Error(`line ${line}: series ${key} given twice`);
    seen.add(key);
    if (fam.type === 'counter' && !(value >= 0)) throw new Error(`line ${line}: counter ${name} is ${value}`);
    fam.samples.push({ name, labels, value });
  });
  for (const f of families.values()) if (f.type === 'histogram') checkHistogram(f);
  return families;
}

/** Buckets cumulative and ending in `+Inf` equal to `_count`, per label set. */
function checkHistogram(f: PromFamily): void {
  const groups = new Map<string, { buckets: [number, number][]; count?: number }>();
  for (const s of f.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    const g = groups.get(key) ?? { buckets: [] };
    groups.set(key, g);
    if (s.name === `${f.name}_bucket`) {
      if (le === undefined) throw new Error(`${f.name}: a bucket without le`);
      g.buckets.push([parseValue(le, 0), s.value]);
    } else if (s.name === `${f.name}_count`) g.count = s.value;
  }
  for (const [key, g] of groups) {
    g.buckets.sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < g.buckets.length; i++) if (g.buckets[i][1] < g.buckets[i - 1][1]) throw new Error(`${f.name}${key}: buckets not cumulative`);
    const inf = g.buckets[g.buckets.length - 1];
    if (!inf || inf[0] !== Infinity) throw new Error(`${f.name}${key}: no +Inf bucket`);
    if (inf[1] !== g.count) throw new Error(`${f.name}${key}: +Inf bucket ${inf[1]} is not the count ${g.count}`);
  }
}

/** The value of the one sample of `name` whose labels include `labels`; throws when there is not exactly one. */
export function sampleValue(families: Map<string, PromFamily>, name: string, labels: Record<string, string> = {}): number {
  const fam = familyOf(name, families);
  if (!fam) throw new Error(`no family for ${name}`);
  const hits = fam.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (hits.length !== 1) throw new Error(`${name}${JSON.stringify(labels)}: ${hits.length} samples`);
  return hits[0].value;
}
