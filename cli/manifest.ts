/**
 * Fleet manifests: the YAML files `caxton deploy -f fleet.yaml` applies.
 *
 * loadManifest() reads the YAML, validates it against docs/fleet.schema.json
 * (the published schema is the one enforced), makes the checks a JSON Schema
 * cannot express (sizes and durations written as strings, instance names,
 * duplicate names), resolves module paths from the manifest's directory and
 * reads the module files. Every problem is reported at its line:column in
 * the file, in a sentence for people; all problems found are reported at
 * once, in a ManifestError (INVALID_MANIFEST). A module file that does not
 * exist is a ModuleFileNotFoundError (MODULE_FILE_NOT_FOUND) at the line of
 * its `module:` key. docs/manifest.md documents the format.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node as YamlNode, type Pair } from 'yaml';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { ManifestError, ModuleFileNotFoundError } from '../runtime/errors.js';

/** One agent of a fleet, after `instances` is expanded (one entry per agent to deploy). */
export interface ManifestAgent {
  /** the agent's name: the entry's name, or `<name>-<i>` when the entry has instances > 1 */
  name: string;
  /** absolute path of the module file */
  modulePath: string;
  /** the module file's bytes (agents built from the same file share one buffer) */
  moduleBytes: Uint8Array;
  /** the `instances` of the manifest entry this agent comes from (1 if not given) */
  instances: number;
  /** capabilities, [] if not given */
  capabilities: string[];
  /** bytes; absent = the server's default */
  memoryLimitBytes?: number;
  /** absent = the server's default */
  mailbox?: number;
  /** milliseconds; absent = the server's default */
  timeLimitMs?: number;
  /** the entry's `config` (present only if the manifest gives one; each instance gets its own copy) */
  config?: unknown;
  /** worker pin (1-based); absent = the least loaded worker */
  worker?: number;
  /** where the agent is declared: its entry (index into the manifest's agents) and that entry's line:column */
  source: { entry: number; line: number; column: number };
}

export interface Fleet {
  /** absolute path of the manifest */
  file: string;
  /** metadata.name, if given */
  name?: string;
  /** the agents, in manifest order, instances expanded */
  agents: ManifestAgent[];
}

/** One problem of a manifest: where (1-based line and column; 0:0 = the file as a whole), which field, what is wrong. */
export type ManifestProblem = ManifestError['problems'][number];

export const MANIFEST_API_VERSION = 'caxton.dev/v1';
export const MANIFEST_KIND = 'Fleet';

/** The JSON Schema the manifests are validated against (docs/fleet.schema.json). */
export const FLEET_SCHEMA_FILE = fileURLToPath(new URL('../../docs/fleet.schema.json', import.meta.url));

const NAME_LIMIT = 128;
const MIN_MEMORY = 64 * 1024;
const MAX_MEMORY = 4 * 1024 ** 3;
const MAX_LISTED = 20;

// ------------------------------------------------------------------ sizes and durations

const SIZE_UNITS: Readonly<Record<string, number>> = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 };
const DURATION_UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000 };

/**
 * A size in bytes: a number, or a string such as "16MiB", "512 KiB", "1.5GiB"
 * (units B, KiB, MiB, GiB). Undefined if it is not one, or not a whole number
 * of bytes. The range (64 KiB-4 GiB for memory) is the caller's to check.
 */
export function parseSize(value: string | number): number | undefined {
  return parseQuantity(value, SIZE_UNITS);
}

/**
 * A duration in milliseconds: a number, or a string such as "500ms", "2s",
 * "1.5s" (units ms, s). Undefined if it is not one, or not a whole number of
 * milliseconds.
 */
export function parseDuration(value: string | number, units: Readonly<Record<string, number>> = DURATION_UNITS): number | undefined {
  return parseQuantity(value, units);
}

function parseQuantity(value: string | number, units: Readonly<Record<string, number>>): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const m = /^([0-9]+)(?:\.([0-9]+))? ?([A-Za-z]+)$/.exec(value);
  if (!m) return undefined;
  const unit = units[m[3]!];
  if (unit === undefined) return undefined;
  // exact: whole part * unit + fraction * unit, in integers (no 0.1 + 0.2 surprises)
  const frac = m[2] ?? '';
  const scale = 10 ** frac.length;
  const numerator = (BigInt(m[1]!) * BigInt(scale) + BigInt(frac === '' ? 0 : frac)) * BigInt(unit);
  if (numerator % BigInt(scale) !== 0n) return undefined;
  const n = numerator / BigInt(scale);
  return n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : undefined;
}

/** A suggestion for a size written with a unit we do not take ("16MB" → "16MiB"). */
function sizeSuggestion(text: string): string | undefined {
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]+)\s*$/.exec(text);
  if (!m) return undefined;
  const unit = { b: 'B', byte: 'B', bytes: 'B', k: 'KiB', kb: 'KiB', ki: 'KiB', kib: 'KiB', m: 'MiB', mb: 'MiB', mi: 'MiB', mib: 'MiB', g: 'GiB', gb: 'GiB', gi: 'GiB', gib: 'GiB' }[m[2]!.toLowerCase()];
  return unit ? `${m[1]}${unit}` : undefined;
}

/** A suggestion for a duration written with a unit we do not take ("2sec" → "2s", "1m" → "60s"). */
function durationSuggestion(text: string): string | undefined {
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]+)\s*$/.exec(text);
  if (!m) return undefined;
  const u = m[2]!.toLowerCase();
  if (['ms', 'msec', 'msecs', 'millis', 'millisecond', 'milliseconds'].includes(u)) return `${m[1]}ms`;
  if (['s', 'sec', 'secs', 'second', 'seconds'].includes(u)) return `${m[1]}s`;
  if (['m', 'min', 'mins', 'minute', 'minutes'].includes(u)) {
    const ms = parseDuration(`${m[1]}s`);
    return ms === undefined ? undefined : `${ms * 60 / 1000}s`;
  }
  return undefined;
}

// ------------------------------------------------------------------ the schema

interface SchemaShape {
  properties: Record<string, unknown>;
  $defs: { agent: { properties: Record<string, unknown> } };
}

let compiled: { validate: ValidateFunction; topFields: string[]; metadataFields: string[]; agentFields: string[] } | undefined;

function schema(): NonNullable<typeof compiled> {
  if (compiled) return compiled;
  const json = JSON.parse(readFileSync(FLEET_SCHEMA_FILE, 'utf8')) as SchemaShape & { properties: { metadata: { properties: Record<string, unknown> } } };
  const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
  compiled = {
    validate: ajv.compile(json),
    topFields: Object.keys(json.properties),
    metadataFields: Object.keys(json.properties.metadata.properties),
    agentFields: Object.keys(json.$defs.agent.properties),
  };
  return compiled;
}

// ------------------------------------------------------------------ positions

type Segment = string | number;

class Locator {
  constructor(private readonly doc: Document, private readonly lines: LineCounter) {}

  /** line:column of an offset (1-based) */
  at(offset: number): { line: number; column: number } {
    const p = this.lines.linePos(offset);
    return { line: Math.max(p.line, 1), column: p.col };
  }

  /**
   * Where a JSON path is in the file: its value (or, with `key`, its key).
   * A path that is not in the file as written (a merge key's value, a
   * missing field) gives the nearest enclosing node.
   */
  locate(path: readonly Segment[], key = false): { line: number; column: number } {
    let node: unknown = this.doc.contents;
    let best = this.offsetOf(node) ?? 0;
    for (let i = 0; i < path.length; i++) {
      node = this.deref(node);
      const seg = path[i]!;
      const last = i === path.length - 1;
      if (isMap(node)) {
        const pair = this.findPair(node.items as Pair[], String(seg), 0);
        if (!pair) break;
        if (last && key) return this.at(this.offsetOf(pair.key) ?? best);
        const keyAt = this.offsetOf(pair.key);
        const valueAt = this.offsetOf(pair.value);
        // an empty value (`module:`) has no useful position: use the key's
        best = valueAt !== undefined && !(isScalar(pair.value) && pair.value.value === null) ? valueAt : keyAt ?? best;
        node = pair.value;
      } else if (isSeq(node) && typeof seg === 'number') {
        const item = node.items[seg];
        const at = this.offsetOf(item);
        if (at === undefined) break;
        best = at;
        node = item;
      } else {
        break;
      }
    }
    return this.at(best);
  }

  private deref(node: unknown): unknown {
    for (let i = 0; i < 100 && isAlias(node); i++) node = node.resolve(this.doc);
    return node;
  }

  private findPair(items: Pair[], key: string, depth: number): Pair | undefined {
    for (const p of items) if (isScalar(p.key) && typeof p.key.value !== 'symbol' && String(p.key.value) === key) return p;
    if (depth > 10) return undefined;
    // merge keys (<<: *base): the field comes from the merged mapping(s)
    for (const p of items) {
      const k = isScalar(p.key) ? p.key.value : undefined;
      if (!(k === '<<' || (typeof k === 'symbol' && k.description === '<<'))) continue;
      const sources = isSeq(p.value) ? p.value.items : [p.value];
      for (const s of sources) {
        const m = this.deref(s);
        if (isMap(m)) {
          const found = this.findPair(m.items as Pair[], key, depth + 1);
          if (found) return found;
        }
      }
    }
    return undefined;
  }

  private offsetOf(node: unknown): number | undefined {
    const range = (node as YamlNode | null | undefined)?.range;
    return range ? range[0] : undefined;
  }
}

// ------------------------------------------------------------------ paths and words

function pathText(path: readonly Segment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

function pointerToPath(pointer: string, data: unknown): Segment[] {
  if (pointer === '') return [];
  const out: Segment[] = [];
  let here: unknown = data;
  for (const raw of pointer.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(here)) {
      out.push(Number(seg));
      here = here[Number(seg)];
    } else {
      out.push(seg);
      here = here && typeof here === 'object' ? (here as Record<string, unknown>)[seg] : undefined;
    }
  }
  return out;
}

function valueAtPath(data: unknown, path: readonly Segment[]): unknown {
  let here = data;
  for (const seg of path) here = here && typeof here === 'object' ? (here as Record<string | number, unknown>)[seg] : undefined;
  return here;
}

/** How a value reads in a message: `the string "16MB"`, `1.5`, `a list`... */
function describe(value: unknown): string {
  if (value === null || value === undefined) return 'nothing (an empty value)';
  if (typeof value === 'string') return `the string ${quote(value)}`;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return String(value);
}

function quote(s: string, max = 60): string {
  return JSON.stringify(s.length > max ? `${s.slice(0, max)}…` : s);
}

function listWords(words: readonly string[]): string {
  return words.length <= 1 ? words.join('') : `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
}

/** Optimal string alignment distance (Levenshtein with adjacent transpositions). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** Words people use for a field, that are too far from its name for the edit distance. */
const FIELD_ALIASES: Readonly<Record<string, string>> = {
  version: 'apiVersion', api: 'apiVersion', type: 'kind', meta: 'metadata', agent: 'agents', agentlist: 'agents',
  mem: 'memoryLimitBytes', memorylimit: 'memoryLimitBytes', memorybytes: 'memoryLimitBytes', maxmemory: 'memoryLimitBytes', ram: 'memoryLimitBytes',
  timeout: 'timeLimitMs', timeoutms: 'timeLimitMs', timelimit: 'timeLimitMs', deadline: 'timeLimitMs', deadlinems: 'timeLimitMs',
  replicas: 'instances', replicacount: 'instances', count: 'instances', scale: 'instances', copies: 'instances',
  caps: 'capabilities', capability: 'capabilities', offers: 'capabilities', services: 'capabilities', skills: 'capabilities',
  wasm: 'module', path: 'module', file: 'module', image: 'module', binary: 'module', src: 'module', source: 'module',
  cfg: 'config', conf: 'config', configuration: 'config', settings: 'config', params: 'config', parameters: 'config', args: 'config', options: 'config', env: 'config',
  thread: 'worker', pin: 'worker', workerid: 'worker',
  queue: 'mailbox', queuesize: 'mailbox', inbox: 'mailbox',
  id: 'name', agentname: 'name',
};

function normalise(s: string): string {
  return s.toLowerCase().replace(/[-_ .]/g, '');
}

/** The known field closest to `given` (a typo, another casing, snake_case, a common synonym), if any is close. */
export function suggestField(given: string, known: readonly string[]): string | undefined {
  const g = normalise(given);
  if (g === '') return undefined;
  const alias = FIELD_ALIASES[g];
  if (alias && known.includes(alias)) return alias;
  const limit = g.length <= 4 ? 1 : g.length <= 8 ? 2 : 3;
  let best: { field: string; score: number } | undefined;
  for (const field of known) {
    // the field and its leading words: memoryLimitBytes → memory, memorylimit, memorylimitbytes
    const words = field.split(/(?=[A-Z])/).map((w) => w.toLowerCase());
    let score = Infinity;
    for (let n = 1; n <= words.length; n++) {
      const prefix = words.slice(0, n).join('');
      if (prefix.length < 4 && n < words.length) continue;
      score = Math.min(score, editDistance(g, prefix));
      if (prefix.length >= 4 && g.startsWith(prefix)) score = Math.min(score, 1);
    }
    if (score <= limit && score < g.length && (!best || score < best.score)) best = { field, score };
  }
  return best?.field;
}

// ------------------------------------------------------------------ messages for schema errors

const FIELD_HINTS: Readonly<Record<string, string>> = {
  apiVersion: `add \`apiVersion: ${MANIFEST_API_VERSION}\``,
  kind: `add \`kind: ${MANIFEST_KIND}\``,
  agents: 'add `agents:` with one `- name: ...` entry per agent',
  name: 'the agent\'s name, unique in the fleet',
  module: 'the path of the agent\'s .wasm file, relative to the manifest',
};

const NAME_RULE = "1-128 letters, digits, '.', '_' or '-', starting with a letter or digit";
const CAPABILITY_RULE = "1-128 letters, digits, '.', '_', ':', '/' or '-', starting with a letter or digit";
const SIZE_RULE = 'a whole number of bytes, or a number and a unit B, KiB, MiB or GiB such as "16MiB"';
const DURATION_RULE = 'a whole number of milliseconds, or a number and a unit ms or s such as "500ms" or "2s"';

type Context = 'root' | 'metadata' | 'metadata.name' | 'agents' | 'agent' | 'capabilities' | 'capability' | 'field' | 'other';

function contextOf(path: readonly Segment[]): Context {
  const [a, b, c, d] = path;
  if (path.length === 0) return 'root';
  if (a === 'metadata') return path.length === 1 ? 'metadata' : path.length === 2 && b === 'name' ? 'metadata.name' : 'other';
  if (a === 'agents') {
    if (path.length === 1) return 'agents';
    if (path.length === 2) return 'agent';
    if (c === 'capabilities') return path.length === 3 ? 'capabilities' : path.length === 4 && typeof d === 'number' ? 'capability' : 'other';
    if (path.length === 3) return 'field';
  }
  return 'other';
}

function subjectOf(path: readonly Segment[]): string {
  return path.length === 0 ? 'the manifest' : pathText(path);
}

/** Why a name does not match the name rule, in a few words. */
function nameFault(value: string, allowed: RegExp): string {
  if (value.length === 0) return 'it is empty';
  if (value.length > NAME_LIMIT) return `it is ${value.length} characters long, more than ${NAME_LIMIT}`;
  if (!/^[A-Za-z0-9]/.test(value)) return `it starts with ${quote(value[0]!)}`;
  const bad = [...value].find((ch) => !allowed.test(ch));
  return bad === undefined ? 'it has characters that are not allowed' : bad === ' ' ? 'it contains a space' : `it contains ${quote(bad)}`;
}

interface Fields { topFields: string[]; metadataFields: string[]; agentFields: string[] }

function unknownFieldMessage(path: readonly Segment[], field: string, fields: Fields): string {
  const ctx = contextOf(path);
  const known = ctx === 'root' ? fields.topFields : ctx === 'metadata' ? fields.metadataFields : fields.agentFields;
  const where = ctx === 'root' ? 'the manifest has an unknown top-level field' : `${subjectOf(path)} has an unknown field`;
  if (ctx === 'root') {
    if (field === 'name') return `${where} "name" (did you mean metadata.name? The fleet's name goes under metadata:)`;
    if (fields.agentFields.includes(field)) return `${where} "${field}" (an agent's fields go in an entry under agents:)`;
  }
  if (ctx === 'metadata' && fields.agentFields.includes(field) && field !== 'name') {
    return `${where} "${field}" (an agent's fields go in an entry under agents:)`;
  }
  const suggestion = suggestField(field, known);
  if (suggestion) return `${where} ${quote(field)} (did you mean "${suggestion}"?)`;
  const list = ctx === 'root'
    ? `the top-level fields are ${listWords(known)}`
    : ctx === 'metadata' ? `metadata has ${listWords(known.map((k) => `"${k}"`))} only` : `an agent's fields are ${listWords(known)}`;
  return `${where} ${quote(field)}; ${list}`;
}

function typeWanted(path: readonly Segment[], type: string | string[]): string {
  const ctx = contextOf(path);
  const field = path[path.length - 1];
  if (ctx === 'root') return 'a YAML mapping of apiVersion, kind, metadata and agents';
  if (ctx === 'agents') return 'a list with one `- name: ...` entry per agent';
  if (ctx === 'agent') return 'a mapping of the agent\'s fields (name, module, ...)';
  if (ctx === 'metadata') return 'a mapping (name: ...)';
  if (ctx === 'capabilities') return 'a list of names, such as [translate]';
  if (ctx === 'field' && field === 'memoryLimitBytes') return SIZE_RULE;
  if (ctx === 'field' && field === 'timeLimitMs') return DURATION_RULE;
  if (ctx === 'field' && field === 'module') return 'a path (a string) to the agent\'s .wasm file';
  const one = Array.isArray(type) ? type[0] : type;
  return { integer: 'a whole number', number: 'a number', string: 'a string', array: 'a list', object: 'a mapping', boolean: 'true or false' }[one ?? ''] ?? `of type ${String(type)}`;
}

function unitOf(path: readonly Segment[]): string {
  const field = path[path.length - 1];
  return field === 'memoryLimitBytes' ? ' bytes' : field === 'timeLimitMs' ? ' ms' : '';
}

function schemaProblem(e: ErrorObject, data: unknown, fields: Fields, where: Locator): ManifestProblem | undefined {
  const path = pointerToPath(e.instancePath, data);
  const value = valueAtPath(data, path);
  const subject = subjectOf(path);
  const ctx = contextOf(path);
  const params = e.params as Record<string, unknown>;
  const problem = (p: readonly Segment[], message: string, key = false): ManifestProblem => ({ ...where.locate(p, key), path: pathText(p), message });
  switch (e.keyword) {
    case 'additionalProperties': {
      const field = String(params.additionalProperty);
      return problem([...path, field], unknownFieldMessage(path, field, fields), true);
    }
    case 'required': {
      const field = String(params.missingProperty);
      const hint = ctx === 'root' || ctx === 'agent' ? FIELD_HINTS[field] : undefined;
      return problem([...path, field], `${subject} is missing the required field "${field}"${hint ? ` (${hint})` : ''}`);
    }
    case 'type': {
      if (ctx === 'root' && (value === null || value === undefined)) {
        return problem(path, 'the manifest is empty: it must be a YAML mapping with apiVersion, kind, metadata and agents (see docs/manifest.md)');
      }
      const wanted = params.type as string | string[];
      const quoteIt = wanted === 'string' && (typeof value === 'number' || typeof value === 'boolean')
        ? ` (write it in quotes, "${String(value)}", to make it a string)` : '';
      return problem(path, `${subject} must be ${typeWanted(path, wanted)}, got ${describe(value)}${quoteIt}`);
    }
    case 'const':
    case 'enum': {
      const allowed = (e.keyword === 'const' ? [params.allowedValue] : (params.allowedValues as unknown[])).map((v) => JSON.stringify(v));
      const sameButCase = typeof value === 'string' && allowed.some((a) => a.toLowerCase() === JSON.stringify(value).toLowerCase());
      const note = sameButCase ? ' (it is case-sensitive)'
        : path[0] === 'apiVersion' && path.length === 1 ? ` (this version of Caxton reads ${MANIFEST_API_VERSION} manifests)`
          : path[0] === 'kind' && path.length === 1 ? ` (the only kind of manifest is ${MANIFEST_KIND})` : '';
      return problem(path, `${subject} must be ${allowed.length === 1 ? allowed[0] : `one of ${allowed.join(', ')}`}, got ${describe(value)}${note}`);
    }
    case 'pattern': {
      const text = String(value);
      if (ctx === 'field' && path[2] === 'name') return problem(path, `${subject} ${quote(text)} is not a valid agent name: ${nameFault(text, /[A-Za-z0-9._-]/)}; use ${NAME_RULE}`);
      if (ctx === 'metadata.name') return problem(path, `${subject} ${quote(text)} is not a valid fleet name: ${nameFault(text, /[A-Za-z0-9._-]/)}; use ${NAME_RULE}`);
      if (ctx === 'capability') return problem(path, `${subject} ${quote(text)} is not a valid capability name: ${nameFault(text, /[A-Za-z0-9._:/-]/)}; use ${CAPABILITY_RULE}`);
      if (ctx === 'field' && path[2] === 'memoryLimitBytes') {
        const s = sizeSuggestion(text);
        return problem(path, `${subject} ${quote(text)} is not a size: write ${SIZE_RULE}${s ? ` (did you mean "${s}"? Sizes are binary: 1 MiB = 1048576 bytes)` : ''}`);
      }
      if (ctx === 'field' && path[2] === 'timeLimitMs') {
        const s = durationSuggestion(text);
        return problem(path, `${subject} ${quote(text)} is not a duration: write ${DURATION_RULE}${s ? ` (did you mean "${s}"?)` : ''}`);
      }
      return problem(path, `${subject} ${quote(text)} does not have the expected form (${String(params.pattern)})`);
    }
    case 'minimum':
    case 'exclusiveMinimum':
    case 'maximum':
    case 'exclusiveMaximum': {
      const low = e.keyword.endsWith('inimum');
      const limit = Number(params.limit);
      const unit = unitOf(path);
      const pretty = unit === ' bytes' ? ` (${limit === MIN_MEMORY ? '64 KiB' : limit === MAX_MEMORY ? '4 GiB' : `${limit} bytes`})` : '';
      return problem(path, `${subject} must be ${low ? 'at least' : 'at most'} ${limit}${unit}${pretty}, got ${describe(value)}`);
    }
    case 'minItems':
      if (ctx === 'agents') return problem(path, 'agents must list at least one agent');
      return problem(path, `${subject} must have at least ${String(params.limit)} entries`);
    case 'minLength':
      if (ctx === 'field' && path[2] === 'module') return problem(path, `${subject} is empty: give the path of the agent's .wasm file, relative to the manifest`);
      return problem(path, `${subject} must not be empty`);
    default:
      return problem(path, `${subject} ${e.message ?? 'is invalid'}`);
  }
}

// ------------------------------------------------------------------ YAML syntax errors

function yamlProblemMessage(code: string, message: string, source: string, pos: readonly [number, number]): string {
  switch (code) {
    case 'BLOCK_AS_IMPLICIT_KEY':
    case 'MULTILINE_IMPLICIT_KEY':
      return 'YAML syntax: bad indentation after this value: the next line is indented further than it should be, so YAML reads it as part of this value (keys of the same mapping must start in the same column)';
    case 'TAB_AS_INDENT':
      return 'YAML syntax: a tab is used for indentation; YAML allows spaces only';
    case 'DUPLICATE_KEY':
      return `YAML syntax: the key ${quote(keyAt(source, pos[0]))} appears twice in the same mapping`;
    case 'MULTIPLE_DOCS':
      return 'YAML syntax: the file holds more than one YAML document (a `---` line after content); a fleet manifest is one document';
    default:
      return `YAML syntax: ${message.replace(/ at line \d+, column \d+:[\s\S]*$/, '').trim()}`;
  }
}

/** The text of a mapping key that starts at `offset` (`name:` → name, `"a b":` → a b). */
function keyAt(source: string, offset: number): string {
  const rest = source.slice(offset);
  const quoted = /^(["'])((?:(?!\1)[^\n])*)\1/.exec(rest);
  if (quoted) return quoted[2]!;
  return (/^[^\n]*?(?=:(?:\s|$))/.exec(rest)?.[0] ?? /^[^\n]*/.exec(rest)![0]).trim();
}

// ------------------------------------------------------------------ loadManifest

interface AgentEntry {
  name: string;
  module: string;
  instances?: number;
  capabilities?: string[];
  memoryLimitBytes?: number | string;
  mailbox?: number;
  timeLimitMs?: number | string;
  config?: unknown;
  worker?: number;
}

interface ManifestDoc {
  apiVersion: string;
  kind: string;
  metadata?: { name?: string };
  agents: AgentEntry[];
}

/**
 * Offset of the first plain `<<` key whose value is not a mapping (or an
 * alias of one, or a list of those): with merge keys on, yaml cannot turn
 * such a document into data. A quoted "<<" is an ordinary key.
 */
function badMergeKeyAt(doc: Document): number | undefined {
  const isMapping = (node: unknown): boolean => isMap(isAlias(node) ? node.resolve(doc) : node);
  let at: number | undefined;
  visit(doc, {
    Pair(_key, pair) {
      const key = pair.key;
      // yaml gives a merge key the value Symbol('<<'); a quoted one stays a string
      if (at !== undefined || !isScalar(key) || typeof key.value !== 'symbol' || key.value.description !== '<<') return;
      const value = pair.value;
      if (isMapping(value) || (isSeq(value) && value.items.every(isMapping))) return;
      at = key.range?.[0] ?? 0;
    },
  });
  return at;
}

/**
 * Read, validate and resolve a fleet manifest. Throws ManifestError
 * (INVALID_MANIFEST, every problem found, each at its line:column) or
 * ModuleFileNotFoundError (MODULE_FILE_NOT_FOUND, at the `module:` key).
 * Error messages name the file as given; Fleet.file is absolute.
 */
export function loadManifest(file: string): Fleet {
  const absolute = resolve(file);
  let source: string;
  try {
    source = readFileSync(absolute, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'there is no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw new ManifestError(file, [{ line: 0, column: 0, path: '', message: `cannot read the manifest: ${why}` }]);
  }
  if (source.charCodeAt(0) === 0xfeff) source = source.slice(1);

  const lines = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lines, merge: true, prettyErrors: false, uniqueKeys: true });
  const where = new Locator(doc, lines);
  if (doc.errors.length) {
    const seen = new Set<number>();
    const problems: ManifestProblem[] = [];
    for (const err of doc.errors) {
      if (seen.has(err.pos[0])) continue; // one mistake often yields two errors at the same place
      seen.add(err.pos[0]);
      problems.push({ ...where.at(err.pos[0]), path: '', message: yamlProblemMessage(err.code, err.message, source, err.pos) });
    }
    throw new ManifestError(file, sortProblems(problems));
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 1000 });
  } catch (e) {
    const merge = badMergeKeyAt(doc);
    if (merge !== undefined) {
      throw new ManifestError(file, [{
        ...where.at(merge), path: '',
        message: 'a plain << key merges mappings into its own (a YAML merge key), but this one\'s value is not a mapping; ' +
          'to use "<<" as an ordinary key, quote it: "<<":',
      }]);
    }
    // unresolved alias, or too many aliases (a "billion laughs" file)
    let at = 0;
    visit(doc, { Alias(_key, node) { if (at === 0 && node.resolve(doc) === undefined && node.range) at = node.range[0]; } });
    throw new ManifestError(file, [{ ...where.at(at), path: '', message: `YAML syntax: ${(e as Error).message}` }]);
  }

  const { validate, ...fields } = schema();
  const problems: ManifestProblem[] = [];
  const valid = validate(data);
  if (!valid) {
    const seen = new Set<string>();
    for (const e of validate.errors ?? []) {
      const p = schemaProblem(e, data, fields, where);
      if (!p || seen.has(`${p.path}\n${p.message}`)) continue;
      seen.add(`${p.path}\n${p.message}`);
      problems.push(p);
    }
    // "modul" (did you mean "module"?) already says what "missing module" would
    for (let i = problems.length - 1; i >= 0; i--) {
      const m = /^(.*) is missing the required field "([^"]+)"/.exec(problems[i]!.message);
      if (!m) continue;
      const parent = problems[i]!.path.slice(0, problems[i]!.path.length - m[2]!.length).replace(/\.$/, '');
      if (problems.some((q) => q.message.includes(`(did you mean "${m[2]}"?)`) && q.path.startsWith(parent))) problems.splice(i, 1);
    }
  }
  const agentsIn = isManifestShaped(data) ? data.agents : [];
  problems.push(...semanticProblems(agentsIn, where));
  if (problems.length) throw new ManifestError(file, sortProblems(problems));

  // valid: resolve and read the modules, expand instances
  const manifest = data as ManifestDoc;
  const baseDir = dirname(absolute);
  const modules = new Map<string, Uint8Array>();
  const agents: ManifestAgent[] = [];
  manifest.agents.forEach((entry, index) => {
    const modulePath = resolve(baseDir, entry.module);
    let bytes = modules.get(modulePath);
    if (!bytes) {
      bytes = readModule(file, where, index, entry.module, modulePath);
      modules.set(modulePath, bytes);
    }
    const count = entry.instances ?? 1;
    const pos = where.locate(['agents', index]);
    for (let i = 0; i < count; i++) {
      const agent: ManifestAgent = {
        name: count > 1 ? `${entry.name}-${i}` : entry.name,
        modulePath,
        moduleBytes: bytes,
        instances: count,
        capabilities: [...(entry.capabilities ?? [])],
        source: { entry: index, line: pos.line, column: pos.column },
      };
      if (entry.memoryLimitBytes !== undefined) agent.memoryLimitBytes = parseSize(entry.memoryLimitBytes)!;
      if (entry.mailbox !== undefined) agent.mailbox = entry.mailbox;
      if (entry.timeLimitMs !== undefined) agent.timeLimitMs = parseDuration(entry.timeLimitMs)!;
      if ('config' in entry) agent.config = count > 1 ? structuredClone(entry.config) : entry.config;
      if (entry.worker !== undefined) agent.worker = entry.worker;
      agents.push(agent);
    }
  });
  const fleet: Fleet = { file: absolute, agents };
  if (manifest.metadata?.name !== undefined) fleet.name = manifest.metadata.name;
  return fleet;
}

function isManifestShaped(data: unknown): data is { agents: unknown[] } {
  return !!data && typeof data === 'object' && Array.isArray((data as { agents?: unknown }).agents);
}

function sortProblems(problems: ManifestProblem[]): ManifestProblem[] {
  return problems.sort((a, b) => a.line - b.line || a.column - b.column);
}

function readModule(file: string, where: Locator, index: number, written: string, modulePath: string): Uint8Array {
  try {
    return readFileSync(modulePath);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const at = where.locate(['agents', index, 'module'], true);
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new ModuleFileNotFoundError(file, at.line, at.column, modulePath, written);
    const why = code === 'EISDIR' ? 'is a directory, not a .wasm file' : code === 'EACCES' ? 'cannot be read (permission denied)' : `cannot be read (${(e as Error).message})`;
    throw new ManifestError(file, [{ ...at, path: pathText(['agents', index, 'module']), message: `agents[${index}].module ${quote(written)} (${modulePath}) ${why}` }]);
  }
}

/**
 * The checks a JSON Schema cannot make: sizes and durations written as
 * strings, instance names within the length limit, names unique after
 * expansion. Only values of the right type are looked at (the schema reports
 * the rest).
 */
function semanticProblems(entries: readonly unknown[], where: Locator): ManifestProblem[] {
  const problems: ManifestProblem[] = [];
  const problem = (path: Segment[], message: string) => problems.push({ ...where.locate(path), path: pathText(path), message });
  const owners = new Map<string, { index: number; instance?: number; count: number; base: string }>();
  entries.forEach((raw, index) => {
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return;
    const entry = raw as Record<string, unknown>;
    const mem = entry.memoryLimitBytes;
    if (typeof mem === 'string' && /^[0-9]+(\.[0-9]+)? ?(B|KiB|MiB|GiB)$/.test(mem)) {
      const bytes = parseSize(mem);
      if (bytes === undefined) problem(['agents', index, 'memoryLimitBytes'], `agents[${index}].memoryLimitBytes ${quote(mem)} is not a whole number of bytes`);
      else if (bytes < MIN_MEMORY) problem(['agents', index, 'memoryLimitBytes'], `agents[${index}].memoryLimitBytes ${quote(mem)} is ${bytes} bytes, less than the 64 KiB (65536 bytes) an agent needs at least`);
      else if (bytes > MAX_MEMORY) problem(['agents', index, 'memoryLimitBytes'], `agents[${index}].memoryLimitBytes ${quote(mem)} is ${bytes} bytes, more than the 4 GiB (4294967296 bytes) a WebAssembly memory can have`);
    }
    const time = entry.timeLimitMs;
    if (typeof time === 'string' && /^[0-9]+(\.[0-9]+)? ?(ms|s)$/.test(time)) {
      const ms = parseDuration(time);
      if (ms === undefined) problem(['agents', index, 'timeLimitMs'], `agents[${index}].timeLimitMs ${quote(time)} is not a whole number of milliseconds`);
      else if (ms < 1) problem(['agents', index, 'timeLimitMs'], `agents[${index}].timeLimitMs ${quote(time)} must be at least 1 ms`);
    }
    const name = entry.name;
    if (typeof name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(name)) return;
    const count = typeof entry.instances === 'number' && Number.isInteger(entry.instances) && entry.instances >= 1 && entry.instances <= 65536 ? entry.instances : 1;
    if (count > 1 && `${name}-${count - 1}`.length > NAME_LIMIT) {
      problem(['agents', index, 'name'], `agents[${index}].name ${quote(name)} is too long for ${count} instances: the instance name "${name.slice(0, 8)}…-${count - 1}" would be ${name.length + 1 + String(count - 1).length} characters, more than ${NAME_LIMIT}`);
      return;
    }
    for (let i = 0; i < count; i++) {
      const full = count > 1 ? `${name}-${i}` : name;
      const first = owners.get(full);
      const me = count > 1 ? { index, instance: i, count, base: name } : { index, count, base: name };
      if (!first) {
        owners.set(full, me);
        continue;
      }
      const describeOwner = (o: { index: number; instance?: number; count: number; base: string }): string => {
        const at = where.locate(['agents', o.index, 'name']);
        return o.instance === undefined
          ? `agents[${o.index}] (line ${at.line}, column ${at.column})`
          : `agents[${o.index}] (instance ${o.instance} of "${o.base}", instances: ${o.count}; line ${at.line}, column ${at.column})`;
      };
      problem(['agents', index, 'name'], `the agent name ${quote(full)} is used twice: by ${describeOwner(first)} and by ${describeOwner(me)}; agent names must be unique in the fleet, after instances are expanded`);
      break; // one report per entry is enough
    }
  });
  return problems;
}
