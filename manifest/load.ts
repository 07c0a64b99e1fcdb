/**
 * Loading a fleet manifest: read the YAML, validate it against the schema,
 * make the checks a schema cannot, get the modules, expand instances.
 * All problems found are reported at once (ManifestError).
 *
 * Where a module's bytes come from is the caller's choice (ModuleResolver):
 * `caxton deploy -f` reads the files a manifest names (moduleFiles); the
 * MCP deploy tool over HTTP takes them from its request and never opens a
 * path a client wrote (api/mcp/deploy.ts).
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, visit, type Document } from 'yaml';
import { ManifestError } from '../runtime/errors.js';
import { readModuleFile, type ModuleSource } from './module-file.js';
import { Locator, type Segment } from './positions.js';
import { problemAt, quote, schemaProblems, sortProblems, yamlProblems, type ManifestProblem } from './problems.js';
import { resolveToolServers, toolProblems, type ManifestToolServer, type ToolEntry } from './tools.js';
import { MAX_MEMORY, MIN_MEMORY, NAME_LIMIT, schema } from './schema.js';
import { AGENT_LIMITS } from '../runtime/limits.js';
import { parseDuration, parseSize } from './units.js';

const MAX_TIME_LIMIT = AGENT_LIMITS.timeLimitMs.max;

/** One agent of a fleet, after `instances` is expanded (one entry per agent to deploy). */
export interface ManifestAgent {
  /** the agent's name: the entry's name, or `<name>-<i>` when the entry has instances > 1 */
  name: string;
  /** the module's path: absolute for a file (moduleFiles), as written for bytes sent with the manifest */
  modulePath: string;
  /** the module's bytes (agents built from the same module share one buffer) */
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
  /** messages per second before it is throttled; absent = the server's default */
  maxSendsPerSecond?: number;
  /** the MCP tools it may call (`server/tool`, `server/*`, `*`), as written; [] if not given */
  tools: string[];
  /** where the agent is declared: its entry (index into the manifest's agents) and that entry's line:column */
  source: { entry: number; line: number; column: number };
}

export interface Fleet {
  /** absolute path of the manifest (as named in messages when it was given as text) */
  file: string;
  /** metadata.name, if given */
  name?: string;
  /** the agents, in manifest order, instances expanded */
  agents: ManifestAgent[];
  /** the tool servers of the tools: section, in manifest order ([] without one) */
  tools: ManifestToolServer[];
  /** whether the manifest has a tools: section (even `tools: []`): then it declares the fleet's tool servers, and --prune removes the others */
  toolsDeclared: boolean;
}

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
  maxSendsPerSecond?: number;
  tools?: string[];
}

interface ManifestDoc {
  apiVersion: string;
  kind: string;
  metadata?: { name?: string };
  agents: AgentEntry[];
  tools?: ToolEntry[];
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
 * Where the modules of a manifest come from: for a `module:` value as
 * written (and where it is written), the key agents sharing the module share
 * (a file's absolute path) and a function that gets its bytes, called once
 * per key. It throws the module's error (MODULE_FILE_NOT_FOUND, ...).
 */
export type ModuleResolver = (written: string, at: ModuleSource) => { path: string; bytes: () => Uint8Array };

/** The module files a manifest names, relative paths from `baseDir` (`caxton deploy -f`: the manifest's directory). */
export function moduleFiles(baseDir: string): ModuleResolver {
  return (written, at) => {
    const path = resolve(baseDir, written);
    return { path, bytes: () => readModuleFile(at, path) };
  };
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
  return parseManifest(source, file, moduleFiles(dirname(absolute)), absolute);
}

/**
 * A fleet manifest given as text (`source`), named `file` in messages, its
 * modules from `modules`; Fleet.file is `absolute` (default `file`). A tool
 * server's relative `cwd` is resolved from `dir` (default: the directory of
 * `absolute`); with `dir` null (a manifest sent over HTTP, which has no
 * directory) a relative `cwd` is a problem.
 */
export function parseManifest(source: string, file: string, modules: ModuleResolver, absolute = file, dir: string | null = dirname(absolute)): Fleet {
  if (source.charCodeAt(0) === 0xfeff) source = source.slice(1);

  const lines = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lines, merge: true, prettyErrors: false, uniqueKeys: true });
  const where = new Locator(doc, lines);
  if (doc.errors.length) throw new ManifestError(file, yamlProblems(doc.errors, source, where));
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
  const problems: ManifestProblem[] = validate(data) ? [] : schemaProblems(validate.errors ?? [], data, fields, where);
  const agentsIn = isManifestShaped(data) ? data.agents : [];
  problems.push(...semanticProblems(agentsIn, where), ...toolProblems(data, where, dir !== null));
  if (problems.length) throw new ManifestError(file, sortProblems(problems));

  // valid: resolve and get the modules, expand instances
  const manifest = data as ManifestDoc;
  const got = new Map<string, Uint8Array>();
  const agents: ManifestAgent[] = [];
  manifest.agents.forEach((entry, index) => {
    const at = where.locate(['agents', index, 'module'], true);
    const module = modules(entry.module, { agent: entry.name, file, line: at.line, column: at.column, written: entry.module });
    const modulePath = module.path;
    let bytes = got.get(modulePath);
    if (!bytes) {
      bytes = module.bytes();
      got.set(modulePath, bytes);
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
        tools: [...(entry.tools ?? [])],
        source: { entry: index, line: pos.line, column: pos.column },
      };
      if (entry.memoryLimitBytes !== undefined) agent.memoryLimitBytes = parseSize(entry.memoryLimitBytes)!;
      if (entry.mailbox !== undefined) agent.mailbox = entry.mailbox;
      if (entry.timeLimitMs !== undefined) agent.timeLimitMs = parseDuration(entry.timeLimitMs)!;
      if ('config' in entry) agent.config = count > 1 ? structuredClone(entry.config) : entry.config;
      if (entry.worker !== undefined) agent.worker = entry.worker;
      if (entry.maxSendsPerSecond !== undefined) agent.maxSendsPerSecond = entry.maxSendsPerSecond;
      agents.push(agent);
    }
  });
  const fleet: Fleet = { file: absolute, agents, tools: resolveToolServers(manifest.tools ?? [], dir ?? '/', where), toolsDeclared: manifest.tools !== undefined };
  if (manifest.metadata?.name !== undefined) fleet.name = manifest.metadata.name;
  return fleet;
}

function isManifestShaped(data: unknown): data is { agents: unknown[] } {
  return !!data && typeof data === 'object' && Array.isArray((data as { agents?: unknown }).agents);
}

/**
 * The checks a JSON Schema cannot make: sizes and durations written as
 * strings, instance names within the length limit, names unique after
 * expansion. Only values of the right type are looked at (the schema reports
 * the rest).
 */
function semanticProblems(entries: readonly unknown[], where: Locator): ManifestProblem[] {
  const problems: ManifestProblem[] = [];
  const problem = (path: Segment[], message: string) => problems.push(problemAt(where, path, message));
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
      else if (ms > MAX_TIME_LIMIT) problem(['agents', index, 'timeLimitMs'], `agents[${index}].timeLimitMs ${quote(time)} is ${ms} ms, more than the ${MAX_TIME_LIMIT} ms (10 minutes) an agent may take per message`);
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
