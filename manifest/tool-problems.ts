/**
 * Schema problems in a manifest's `tools:` section (the MCP tool servers) and
 * in an agent's `tools:` allow-list, as sentences for people. problems.ts
 * asks here first; what is not about tools it words itself.
 */
import type { ErrorObject } from 'ajv/dist/2020.js';
import { pathText, type Segment } from './positions.js';
import { suggestField } from './suggestions.js';
import { DURATION_RULE, durationSuggestion } from './units.js';
import { TOOL_SERVER_NAME_LIMIT, type SchemaFields } from './schema.js';
import { describe, listWords, quote } from './words.js';

/** Where a path is, for tool messages. */
type ToolContext = 'tools' | 'toolServer' | 'toolField' | 'transport' | 'transportField' | 'inside' | 'allowList' | 'allowEntry';

export const TOOL_SERVER_NAME_RULE = `1-${TOOL_SERVER_NAME_LIMIT} lowercase letters, digits, '-' or '_', starting with a letter or digit`;
const PATTERN_RULE = 'server/tool (one tool), server/* (every tool of that server) or * (every tool of every server)';
const ENV_NAME_RULE = "letters, digits and '_', not starting with a digit";

function contextOf(path: readonly Segment[]): ToolContext | undefined {
  const [a, , c, d] = path;
  if (a === 'tools') {
    if (path.length === 1) return 'tools';
    if (path.length === 2) return 'toolServer';
    if (path.length === 3) return c === 'stdio' || c === 'http' ? 'transport' : 'toolField';
    return path.length === 4 ? 'transportField' : 'inside';
  }
  if (a === 'agents' && c === 'tools') {
    if (path.length === 3) return 'allowList';
    if (path.length === 4 && typeof d === 'number') return 'allowEntry';
  }
  return undefined;
}

/** Why a tool server name does not match the rule, in a few words. */
function nameFault(value: string): string {
  if (value.length === 0) return 'it is empty';
  if (value.length > TOOL_SERVER_NAME_LIMIT) return `it is ${value.length} characters long, more than ${TOOL_SERVER_NAME_LIMIT}`;
  if (/[A-Z]/.test(value)) return 'it has capital letters';
  if (!/^[a-z0-9]/.test(value)) return `it starts with ${quote(value[0]!)}`;
  const bad = [...value].find((ch) => !/[a-z0-9_-]/.test(ch));
  return bad === ' ' ? 'it contains a space' : `it contains ${quote(bad ?? '')}`;
}

/** What is wrong with an allow-list entry, and what was probably meant. */
function patternFault(value: string): string {
  const slash = value.indexOf('/');
  if (slash < 0) {
    return /^[a-z0-9][a-z0-9_-]{0,62}$/.test(value)
      ? `it has no "/" (a tool is named with its server: ${quote(`<server>/${value}`)}; or ${quote(`${value}/*`)} for every tool of a server named ${quote(value)})`
      : 'it has no "/"';
  }
  const server = value.slice(0, slash);
  const tool = value.slice(slash + 1);
  if (!/^[a-z0-9][a-z0-9_-]{0,62}$/.test(server)) return `the server name ${quote(server)} is not one: ${nameFault(server)} (a tool server's name is ${TOOL_SERVER_NAME_RULE})`;
  if (tool === '') return `no tool after the "/"; write ${quote(`${server}/*`)} for all of them`;
  if (tool.includes('*')) return 'a "*" stands alone, for every tool of the server: there are no partial wildcards';
  return `the tool name ${quote(tool)} has characters a tool name cannot have (letters, digits, '_', '.', ':', '/' and '-')`;
}

function fieldsOf(ctx: ToolContext, path: readonly Segment[], fields: SchemaFields): { known: string[]; what: string } {
  if (ctx === 'transport') return path[2] === 'stdio' ? { known: fields.stdioFields, what: 'stdio' } : { known: fields.httpFields, what: 'http' };
  return { known: fields.toolServerFields, what: 'a tool server' };
}

function unknownField(ctx: ToolContext, path: readonly Segment[], field: string, fields: SchemaFields): string {
  const where = `${pathText(path)} has an unknown field ${quote(field)}`;
  if (ctx === 'toolServer') {
    if (fields.stdioFields.includes(field)) return `${where} (it goes under stdio:)`;
    if (fields.httpFields.includes(field)) return `${where} (it goes under http:)`;
    if (fields.agentFields.includes(field)) return `${where} (that is an agent's field: agents go under agents:)`;
  }
  if (ctx === 'transport') {
    const other = path[2] === 'stdio' ? { known: fields.httpFields, name: 'http' } : { known: fields.stdioFields, name: 'stdio' };
    if (other.known.includes(field)) return `${where} (${field} belongs to ${other.name}:, not ${String(path[2])}:)`;
    if (field === 'timeoutMs' || field === 'startTimeoutMs') return `${where} (${field} goes on the tool server itself, beside name)`;
  }
  const { known, what } = fieldsOf(ctx, path, fields);
  const suggestion = suggestField(field, known);
  if (suggestion) return `${where} (did you mean "${suggestion}"?)`;
  return `${where}; ${what === 'a tool server' ? 'a tool server\'s' : `${what}'s`} fields are ${listWords(known)}`;
}

function typeWanted(ctx: ToolContext, path: readonly Segment[], type: string | string[]): string {
  const field = path[path.length - 1];
  if (ctx === 'tools') return 'a list with one `- name: ...` entry per tool server';
  if (ctx === 'toolServer') return 'a mapping of the tool server\'s fields (name, stdio or http, timeoutMs, startTimeoutMs)';
  if (ctx === 'transport') return path[2] === 'stdio' ? 'a mapping of command, args, env and cwd' : 'a mapping of url, headers and tokenEnv';
  if (ctx === 'toolField' && (field === 'timeoutMs' || field === 'startTimeoutMs')) return DURATION_RULE;
  if (ctx === 'allowList') return 'a list of tools such as [everything/get-sum, "weather/*"]';
  if (ctx === 'transportField' && (field === 'env' || field === 'headers')) return 'a mapping of names to strings';
  if (ctx === 'transportField' && field === 'args') return 'a list of strings, such as [stdio]';
  const one = Array.isArray(type) ? type[0] : type;
  return { integer: 'a whole number', number: 'a number', string: 'a string', array: 'a list', object: 'a mapping', boolean: 'true or false' }[one ?? ''] ?? `of type ${String(type)}`;
}

/** A problem about tools: where (its value, or with `key` its key) and what is wrong. */
export interface ToolProblem { path: Segment[]; message: string; key?: boolean }

/**
 * The problem for an Ajv error about tools (in `tools:` or an agent's
 * `tools:`); undefined when the error is about something else, null when it
 * says nothing another error does not say better (the branches of "exactly
 * one transport", the pattern inside a key check).
 */
export function toolSchemaProblem(e: ErrorObject, path: Segment[], value: unknown, fields: SchemaFields): ToolProblem | null | undefined {
  const ctx = contextOf(path);
  if (ctx === undefined) return undefined;
  const subject = pathText(path);
  const params = e.params as Record<string, unknown>;
  const text = String(value);
  switch (e.keyword) {
    case 'additionalProperties': {
      const field = String(params.additionalProperty);
      return { path: [...path, field], message: unknownField(ctx, path, field, fields), key: true };
    }
    case 'required': {
      if (e.schemaPath.includes('/oneOf/')) return null; // the oneOf error says it once
      const field = String(params.missingProperty);
      const hint = field === 'name' ? 'agents call its tools as <name>/<tool>' : field === 'command' ? 'the program to run' : field === 'url' ? 'the endpoint, http:// or https://' : '';
      return { path: [...path, field], message: `${subject} is missing the required field "${field}"${hint ? ` (${hint})` : ''}` };
    }
    case 'oneOf': {
      if (!value || typeof value !== 'object' || Array.isArray(value)) return null; // not a mapping: the type error says so
      const entry = value as Record<string, unknown>;
      if ('stdio' in entry && 'http' in entry) {
        return { path: [...path, 'http'], message: `${subject} has both stdio and http: a tool server has exactly one transport, keep one of them`, key: true };
      }
      return { path, message: `${subject} has no transport: add stdio: (command, args, env, cwd) to run a command, or http: (url, headers, tokenEnv) to call an endpoint` };
    }
    case 'type': {
      const wanted = params.type as string | string[];
      const quoteIt = wanted === 'string' && (typeof value === 'number' || typeof value === 'boolean') ? ` (write it in quotes, "${String(value)}", to make it a string)` : '';
      return { path, message: `${subject} must be ${typeWanted(ctx, path, wanted)}, got ${describe(value)}${quoteIt}` };
    }
    case 'propertyNames': {
      const key = String(params.propertyName);
      const what = path[path.length - 1] === 'env' ? `not an environment variable name: use ${ENV_NAME_RULE}` : 'not an HTTP header name: use letters, digits and -';
      return { path: [...path, key], message: `${subject} has the key ${quote(key)}, ${what}`, key: true };
    }
    case 'pattern': {
      if (e.propertyName !== undefined) return null; // inside propertyNames: said by that error
      const field = path[path.length - 1];
      if (ctx === 'toolField' && field === 'name') return { path, message: `${subject} ${quote(text)} is not a valid tool server name: ${nameFault(text)}; use ${TOOL_SERVER_NAME_RULE}` };
      if (ctx === 'toolField' && (field === 'timeoutMs' || field === 'startTimeoutMs')) {
        const s = durationSuggestion(text);
        return { path, message: `${subject} ${quote(text)} is not a duration: write ${DURATION_RULE}${s ? ` (did you mean "${s}"?)` : ''}` };
      }
      if (ctx === 'allowEntry') return { path, message: `${subject} ${quote(text)} is not a tool: ${patternFault(text)}. Write ${PATTERN_RULE}` };
      if (field === 'url') return { path, message: `${subject} ${quote(text)} is not an http:// or https:// URL` };
      if (field === 'command') return { path, message: `${subject} is blank: give the program to run (its arguments go in args)` };
      if (field === 'tokenEnv') return { path, message: `${subject} ${quote(text)} is not an environment variable name: use ${ENV_NAME_RULE} (it names the variable holding the token, not the token)` };
      return undefined;
    }
    case 'minLength':
      if (path[path.length - 1] === 'cwd') return { path, message: `${subject} is empty: give a directory, absolute or relative to the manifest, or leave cwd out` };
      return undefined;
    default:
      return undefined;
  }
}
