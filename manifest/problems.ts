/**
 * Problems of a manifest as people read them: YAML syntax errors and Ajv's
 * schema errors become ManifestProblems, each at its line:column with a
 * sentence that says what is wrong and, when it can, what was meant.
 */
import type { YAMLError } from 'yaml';
import type { ErrorObject } from 'ajv/dist/2020.js';
import type { ManifestError } from '../runtime/errors.js';
import { pathText, pointerToPath, valueAtPath, type Locator, type Segment } from './positions.js';
import { suggestField } from './suggestions.js';
import { DURATION_RULE, SIZE_RULE, durationSuggestion, sizeSuggestion } from './units.js';
import { MANIFEST_API_VERSION, MANIFEST_KIND, MAX_MEMORY, MIN_MEMORY, NAME_LIMIT, type SchemaFields } from './schema.js';
import { describe, listWords, quote } from './words.js';
import { toolSchemaProblem } from './tool-problems.js';

export { quote };

/** One problem of a manifest: where (1-based line and column; 0:0 = the file as a whole), which field, what is wrong. */
export type ManifestProblem = ManifestError['problems'][number];

/** A problem at `path`: at its value in the file, or with `key` at its key. */
export function problemAt(where: Locator, path: readonly Segment[], message: string, key = false): ManifestProblem {
  return { ...where.locate(path, key), path: pathText(path), message };
}

export function sortProblems(problems: ManifestProblem[]): ManifestProblem[] {
  return problems.sort((a, b) => a.line - b.line || a.column - b.column);
}

const FIELD_HINTS: Readonly<Record<string, string>> = {
  apiVersion: `add \`apiVersion: ${MANIFEST_API_VERSION}\``,
  kind: `add \`kind: ${MANIFEST_KIND}\``,
  agents: 'add `agents:` with one `- name: ...` entry per agent',
  name: 'the agent\'s name, unique in the fleet',
  module: 'the path of the agent\'s .wasm file, relative to the manifest',
};

const NAME_RULE = "1-128 letters, digits, '.', '_' or '-', starting with a letter or digit";
const CAPABILITY_RULE = "1-128 letters, digits, '.', '_', ':', '/' or '-', starting with a letter or digit";

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

export type Fields = SchemaFields;

function unknownFieldMessage(path: readonly Segment[], field: string, fields: Fields): string {
  const ctx = contextOf(path);
  const known = ctx === 'root' ? fields.topFields : ctx === 'metadata' ? fields.metadataFields : fields.agentFields;
  const where = ctx === 'root' ? 'the manifest has an unknown top-level field' : `${subjectOf(path)} has an unknown field`;
  if (ctx === 'root') {
    if (field === 'name') return `${where} "name" (did you mean metadata.name? The fleet's name goes under metadata:)`;
    if (fields.agentFields.includes(field)) return `${where} "${field}" (an agent's fields go in an entry under agents:)`;
    if ([...fields.toolServerFields, ...fields.stdioFields, ...fields.httpFields].includes(field)) return `${where} "${field}" (a tool server's fields go in an entry under tools:)`;
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
  return field === 'memoryLimitBytes' ? ' bytes' : field === 'timeLimitMs' || field === 'timeoutMs' || field === 'startTimeoutMs' ? ' ms' : '';
}

/** The problems of a YAML document that does not parse; one per place (one mistake often yields two errors there). */
export function yamlProblems(errors: readonly YAMLError[], source: string, where: Locator): ManifestProblem[] {
  const seen = new Set<number>();
  const problems: ManifestProblem[] = [];
  for (const err of errors) {
    if (seen.has(err.pos[0])) continue;
    seen.add(err.pos[0]);
    problems.push({ ...where.at(err.pos[0]), path: '', message: yamlProblemMessage(err.code, err.message, source, err.pos) });
  }
  return sortProblems(problems);
}

/** The problems Ajv found, each said once. */
export function schemaProblems(errors: readonly ErrorObject[], data: unknown, fields: Fields, where: Locator): ManifestProblem[] {
  const problems: ManifestProblem[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
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
  // likewise "stdoi" (did you mean "stdio"?) and "has no transport"
  for (let i = problems.length - 1; i >= 0; i--) {
    const p = problems[i]!;
    if (!p.message.startsWith(`${p.path} has no transport`)) continue;
    if (problems.some((q) => /\(did you mean "(stdio|http)"\?\)/.test(q.message) && q.path.startsWith(`${p.path}.`))) problems.splice(i, 1);
  }
  return problems;
}

function schemaProblem(e: ErrorObject, data: unknown, fields: Fields, where: Locator): ManifestProblem | undefined {
  const path = pointerToPath(e.instancePath, data);
  const value = valueAtPath(data, path);
  const subject = subjectOf(path);
  const ctx = contextOf(path);
  const params = e.params as Record<string, unknown>;
  const problem = (p: readonly Segment[], message: string, key = false): ManifestProblem => problemAt(where, p, message, key);
  const tool = toolSchemaProblem(e, path, value, fields);
  if (tool === null) return undefined;
  if (tool) return problem(tool.path, tool.message, tool.key);
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
