/**
 * A manifest's `tools:` section (the MCP tool servers its agents may call)
 * and the agents' `tools:` allow-lists: the checks the schema cannot make
 * (names unique, no Authorization header, durations written as strings in
 * range, allow-lists naming declared servers) and the specs sent to
 * ToolService.Put, with `cwd` resolved from the manifest's directory.
 */
import { isAbsolute, resolve } from 'node:path';
import type { ToolServerSpec } from '../runtime/tools/spec.js';
import { editDistance } from '../runtime/did-you-mean.js';
import type { Locator, Segment } from './positions.js';
import { problemAt, type ManifestProblem } from './problems.js';
import { parseDuration } from './units.js';
import { quote } from './words.js';

/** One tool server of a fleet, as `caxton deploy` puts it. */
export interface ManifestToolServer {
  name: string;
  /** what ToolService.Put is sent: the entry with `cwd` made absolute and `timeoutMs` in milliseconds */
  spec: ToolServerSpec;
  /** where it is declared: its index in tools: and that entry's line:column */
  source: { entry: number; line: number; column: number };
}

/** A tools: entry as written (valid: the schema has checked it). */
export interface ToolEntry {
  name: string;
  stdio?: { command: string; args?: string[]; env?: Record<string, string>; cwd?: string };
  http?: { url: string; headers?: Record<string, string>; tokenEnv?: string };
  timeoutMs?: number | string;
  startTimeoutMs?: number | string;
}

const MAX_TIMEOUT_MS = 600_000;
/** An allow-list entry naming one server: `server/tool` or `server/*` (the schema's toolPattern). */
const SERVER_PATTERN = /^([a-z0-9][a-z0-9_-]{0,62})\/(\*|[A-Za-z0-9_.:-][A-Za-z0-9_.:/-]{0,127})$/;

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/**
 * The checks a JSON Schema cannot make on tool servers and allow-lists. Only
 * values of the right type are looked at (the schema reports the rest).
 * `relativeCwd`: whether a relative `cwd` has a directory to be resolved
 * from (not in a manifest sent as text over HTTP).
 */
export function toolProblems(data: unknown, where: Locator, relativeCwd = true): ManifestProblem[] {
  const problems: ManifestProblem[] = [];
  const problem = (path: Segment[], message: string, key = false) => problems.push(problemAt(where, path, message, key));
  if (!isObject(data)) return problems;
  const declared = Array.isArray(data.tools) ? data.tools : undefined;
  const first = new Map<string, number>();
  (declared ?? []).forEach((raw, index) => {
    if (!isObject(raw)) return;
    for (const field of ['timeoutMs', 'startTimeoutMs'] as const) {
      const time = raw[field];
      if (typeof time !== 'string' || !/^[0-9]+(\.[0-9]+)? ?(ms|s)$/.test(time)) continue;
      const ms = parseDuration(time);
      const at = ['tools', index, field];
      const what = field === 'timeoutMs' ? 'a tool call may take' : 'a tool server may take to start';
      if (ms === undefined) problem(at, `tools[${index}].${field} ${quote(time)} is not a whole number of milliseconds`);
      else if (ms < 1) problem(at, `tools[${index}].${field} ${quote(time)} must be at least 1 ms`);
      else if (ms > MAX_TIMEOUT_MS) problem(at, `tools[${index}].${field} ${quote(time)} is ${ms} ms, more than the ${MAX_TIMEOUT_MS} ms (10 minutes) ${what}`);
    }
    const cwd = isObject(raw.stdio) ? raw.stdio.cwd : undefined;
    if (!relativeCwd && typeof cwd === 'string' && !isAbsolute(cwd)) {
      problem(['tools', index, 'stdio', 'cwd'], `tools[${index}].stdio.cwd ${quote(cwd)} is a relative path, but this manifest was sent without a directory for it to be relative to: ` +
        'give an absolute path on the server\'s machine, or leave cwd out (the tool server then starts in the server\'s working directory)');
    }
    const headers = isObject(raw.http) ? raw.http.headers : undefined;
    if (isObject(headers)) {
      for (const h of Object.keys(headers)) {
        if (h.toLowerCase() !== 'authorization') continue;
        problem(['tools', index, 'http', 'headers', h], `tools[${index}].http.headers must not hold an Authorization header: a manifest is no place for a secret. ` +
          'Put the token in an environment variable of the Caxton server and name that variable in tokenEnv (it is sent as Authorization: Bearer <token>)', true);
      }
    }
    if (typeof raw.name !== 'string') return;
    const before = first.get(raw.name);
    if (before === undefined) {
      first.set(raw.name, index);
      return;
    }
    const at = where.locate(['tools', before, 'name']);
    problem(['tools', index, 'name'], `the tool server name ${quote(raw.name)} is used twice: by tools[${before}] (line ${at.line}, column ${at.column}) and by tools[${index}]; tool server names must be unique in the fleet`);
  });
  // With a tools: section the manifest declares the fleet's tool servers: an allow-list naming another is a mistake.
  if (declared === undefined || !Array.isArray(data.agents)) return problems;
  const names = [...first.keys()];
  const valid = names.filter((n) => /^[a-z0-9][a-z0-9_-]{0,62}$/.test(n));
  // a typo: within a third of the name's length in edits (at least 1)
  const closest = (given: string): string | undefined => valid
    .map((n) => ({ n, d: editDistance(given, n) }))
    .filter(({ d }) => d <= Math.max(1, Math.floor(given.length / 3)))
    .sort((a, b) => a.d - b.d)[0]?.n;
  data.agents.forEach((agent, index) => {
    if (!isObject(agent) || !Array.isArray(agent.tools)) return;
    agent.tools.forEach((entry, j) => {
      const m = typeof entry === 'string' ? SERVER_PATTERN.exec(entry) : null;
      if (!m || first.has(m[1]!)) return;
      const close = closest(m[1]!);
      const declares = names.length ? `it declares ${names.map((n) => quote(n)).join(', ')}` : 'it declares none';
      problem(['agents', index, 'tools', j], `agents[${index}].tools[${j}] ${quote(entry as string)} names the tool server ${quote(m[1]!)}, which this manifest's tools: section does not declare (${declares})` +
        `${close ? `; did you mean ${quote(`${close}/${m[2]}`)}?` : '; declare it under tools:, or leave the tools: section out of this manifest to use tool servers put by other means'}`);
    });
  });
  return problems;
}

/** The tool servers to put, in manifest order (valid entries: problems were reported before). */
export function resolveToolServers(entries: readonly ToolEntry[], baseDir: string, where: Locator): ManifestToolServer[] {
  return entries.map((entry, index) => {
    const spec: ToolServerSpec = { name: entry.name };
    if (entry.stdio) {
      const { command, args, env, cwd } = entry.stdio;
      spec.stdio = { command };
      if (args !== undefined) spec.stdio.args = [...args];
      if (env !== undefined) spec.stdio.env = { ...env };
      if (cwd !== undefined) spec.stdio.cwd = resolve(baseDir, cwd);
    }
    if (entry.http) {
      const { url, headers, tokenEnv } = entry.http;
      spec.http = { url };
      if (headers !== undefined) spec.http.headers = { ...headers };
      if (tokenEnv !== undefined) spec.http.tokenEnv = tokenEnv;
    }
    if (entry.timeoutMs !== undefined) spec.timeoutMs = parseDuration(entry.timeoutMs)!;
    if (entry.startTimeoutMs !== undefined) spec.startTimeoutMs = parseDuration(entry.startTimeoutMs)!;
    const pos = where.locate(['tools', index]);
    return { name: entry.name, spec, source: { entry: index, line: pos.line, column: pos.column } };
  });
}
