// A strict parser of the Prometheus text exposition format (version 0.0.4,
// https://prometheus.io/docs/instrumenting/exposition_formats/), for tests:
// it throws on the first line that is not `# HELP`, `# TYPE`, an empty line
// or a well-formed sample, naming the line. Beyond the line syntax it checks
// what a scraper relies on: one TYPE/HELP per family, before its samples;
// each family's lines in one group; no series twice; histogram samples named
// _bucket (with le), _sum and _count.

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface Sample {
  /** the sample's own name (a histogram's carries _bucket, _sum, _count) */
  name: string;
  labels: Record<string, string>;
  value: number;
  timestampMs?: number;
  line: number;
}

export interface Family {
  name: string;
  type: MetricType;
  help?: string;
  samples: Sample[];
}

export interface Exposition {
  families: Map<string, Family>;
  /** the samples named `name` whose labels include `labels` */
  samples(name: string, labels?: Record<string, string>): Sample[];
  /** the value of the one sample named `name` with exactly `labels`; throws when there is none */
  value(name: string, labels?: Record<string, string>): number;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
/** Go's strconv.ParseFloat as Prometheus reads sample values: decimal/exponent floats, Inf and NaN. */
const FLOAT = /^[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[Ii]nf(?:inity)?|NaN)$/;
const INT = /^-?\d+$/;

export class ExpositionError extends Error {
  constructor(line: number, text: string, why: string) {
    super(`line ${line}: ${why}: ${JSON.stringify(text)}`);
  }
}

function parseFloatStrict(s: string): number | undefined {
  if (!FLOAT.test(s)) return undefined;
  const body = s.replace(/^[+-]/, '');
  if (/^inf/i.test(body)) return s.startsWith('-') ? -Infinity : Infinity;
  if (body === 'NaN') return NaN;
  return Number(s);
}

/** The family a sample name belongs to: histograms and summaries add suffixes. */
function familyOf(name: string, families: Map<string, Family>): Family | undefined {
  const direct = families.get(name);
  if (direct) return direct;
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!name.endsWith(suffix)) continue;
    const f = families.get(name.slice(0, -suffix.length));
    if (f && (f.type === 'histogram' || (f.type === 'summary' && suffix !== '_bucket'))) return f;
  }
  return undefined;
}

/** `{a="x",b="y"}` from position `i` (at the brace); returns the labels and the index after `}`. */
function parseLabels(text: string, i: number, line: number, full: string): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {};
  const fail = (why: string): never => {
    throw new ExpositionError(line, full, why);
  };
  i++; // '{'
  for (;;) {
    while (text[i] === ' ' || text[i] === '\t') i++;
    if (text[i] === '}') return { labels, end: i + 1 };
    const nameStart = i;
    while (i < text.length && /[a-zA-Z0-9_]/.test(text[i]!)) i++;
    const name = text.slice(nameStart, i);
    if (!LABEL_NAME.test(name)) fail(`bad label name "${name}"`);
    if (name.startsWith('__')) fail(`label name "${name}" is reserved (starts with __)`);
    if (name in labels) fail(`label "${name}" given twice`);
    while (text[i] === ' ' || text[i] === '\t') i++;
    if (text[i] !== '=') fail(`"=" expected after label "${name}"`);
    i++;
    while (text[i] === ' ' || text[i] === '\t') i++;
    if (text[i] !== '"') fail(`label "${name}": value must be in double quotes`);
    i++;
    let value = '';
    for (;;) {
      if (i >= text.length) fail(`label "${name}": unterminated value`);
      const c = text[i]!;
      if (c === '"') {
        i++;
        break;
      }
      if (c === '\\') {
        const e = text[i + 1];
        if (e === '\\') value += '\\';
        else if (e === '"') value += '"';
        else if (e === 'n') value += '\n';
        else fail(`label "${name}": bad escape "\\${e ?? ''}"`);
        i += 2;
        continue;
      }
      value += c;
      i++;
    }
    labels[name] = value;
    while (text[i] === ' ' || text[i] === '\t') i++;
    if (text[i] === ',') {
      i++;
      continue;
    }
    if (text[i] === '}') return { labels, end: i + 1 };
    fail(`"," or "}" expected after label "${name}"`);
  }
}

function unescapeHelp(s: string, line: number, full: string): string {
  return s.replace(/\\(.?)/g, (_, e: string) => {
    if (e === '\\') return '\\';
    if (e === 'n') return '\n';
    throw new ExpositionError(line, full, `bad escape "\\${e}" in HELP`);
  });
}

const seriesKey = (name: string, labels: Record<string, string>): string =>
  `${name}{${Object.keys(labels).sort().map((k) => `${k}=${JSON.stringify(labels[k])}`).join(',')}}`;

export function parseExposition(text: string): Exposition {
  if (text.length > 0 && !text.endsWith('\n')) throw new ExpositionError(0, text.slice(-80), 'the text must end with a line feed');
  const lines = text.split('\n');
  lines.pop(); // after the final '\n'
  const families = new Map<string, Family>();
  const series = new Set<string>();
  const closed = new Set<string>(); // families whose group of lines has ended
  let current: string | undefined;
  const enter = (name: string, line: number, full: string): void => {
    if (current !== name) {
      if (closed.has(name)) throw new ExpositionError(line, full, `the lines of "${name}" are not in one group`);
      if (current !== undefined) closed.add(current);
      current = name;
    }
  };
  /** A family met by its HELP or TYPE line, or by an untyped sample. */
  const declare = (name: string, line: number, full: string): Family => {
    enter(name, line, full);
    let f = families.get(name);
    if (!f) {
      f = { name, type: 'untyped', samples: [] };
      families.set(name, f);
    }
    return f;
  };
  const typed = new Set<string>();

  lines.forEach((full, idx) => {
    const line = idx + 1;
    if (full.trim() === '') return; // empty lines are ignored
    if (full.startsWith('#')) {
      const m = /^#[ \t]+(HELP|TYPE)[ \t]+(\S+)(?:[ \t]+(.*))?$/.exec(full);
      if (!m) throw new ExpositionError(line, full, 'a comment that is neither "# HELP name text" nor "# TYPE name type"');
      const [, kind, name, rest = ''] = m;
      if (!METRIC_NAME.test(name!)) throw new ExpositionError(line, full, `bad metric name "${name}"`);
      const f = declare(name!, line, full);
      if (kind === 'HELP') {
        if (f.help !== undefined) throw new ExpositionError(line, full, `a second HELP for "${name}"`);
        f.help = unescapeHelp(rest, line, full);
      } else {
        const type = rest.trim();
        if (!TYPES.has(type)) throw new ExpositionError(line, full, `unknown type "${type}"`);
        if (typed.has(name!)) throw new ExpositionError(line, full, `a second TYPE for "${name}"`);
        if (f.samples.length > 0) throw new ExpositionError(line, full, `the TYPE of "${name}" comes after its samples`);
        typed.add(name!);
        f.type = type as MetricType;
      }
      return;
    }
    // name [{labels}] value [timestamp]
    const nm = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(full);
    if (!nm) throw new ExpositionError(line, full, 'not a comment, an empty line or a sample (bad metric name)');
    const name = nm[0];
    let i = name.length;
    let labels: Record<string, string> = {};
    if (full[i] === '{') ({ labels, end: i } = parseLabels(full, i, line, full));
    if (full[i] !== ' ' && full[i] !== '\t') throw new ExpositionError(line, full, 'whitespace expected before the value');
    const fields = full.slice(i).trim().split(/[ \t]+/);
    if (fields.length < 1 || fields.length > 2) throw new ExpositionError(line, full, 'expected a value and an optional timestamp');
    const value = parseFloatStrict(fields[0]!);
    if (value === undefined) throw new ExpositionError(line, full, `"${fields[0]}" is not a float`);
    let timestampMs: number | undefined;
    if (fields[1] !== undefined) {
      if (!INT.test(fields[1])) throw new ExpositionError(line, full, `"${fields[1]}" is not a timestamp (integer milliseconds)`);
      timestampMs = Number(fields[1]);
    }
    const f = familyOf(name, families) ?? declare(name, line, full);
    enter(f.name, line, full);
    if (f.type === 'histogram') {
      if (name === `${f.name}_bucket`) {
        if (labels.le === undefined) throw new ExpositionError(line, full, 'a histogram bucket without "le"');
        if (parseFloatStrict(labels.le) === undefined) throw new ExpositionError(line, full, `le="${labels.le}" is not a float`);
      } else if (name !== `${f.name}_sum` && name !== `${f.name}_count`) {
        throw new ExpositionError(line, full, `histogram "${f.name}" has a sample named "${name}" (only _bucket, _sum, _count)`);
      } else if ('le' in labels) throw new ExpositionError(line, full, `"le" on ${name}`);
    } else if (f.type === 'summary') {
      if (name === f.name && labels.quantile === undefined) throw new ExpositionError(line, full, 'a summary quantile without "quantile"');
    } else if (name !== f.name) throw new ExpositionError(line, full, `sample "${name}" in family "${f.name}"`);
    const key = seriesKey(name, labels);
    if (series.has(key)) throw new ExpositionError(line, full, `the series ${key} appears twice`);
    series.add(key);
    f.samples.push({ name, labels, value, ...(timestampMs !== undefined ? { timestampMs } : {}), line });
  });

  const all = (): Sample[] => [...families.values()].flatMap((f) => f.samples);
  const includes = (s: Sample, labels: Record<string, string>): boolean => Object.entries(labels).every(([k, v]) => s.labels[k] === v);
  return {
    families,
    samples: (name, labels = {}) => all().filter((s) => s.name === name && includes(s, labels)),
    value(name, labels = {}) {
      const key = seriesKey(name, labels);
      const s = all().find((x) => seriesKey(x.name, x.labels) === key);
      if (!s) throw new Error(`no sample ${key}`);
      return s.value;
    },
  };
}
