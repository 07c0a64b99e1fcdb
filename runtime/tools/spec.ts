/**
 * Tool servers (MCP servers agents may call through `$mcp`) as the fleet
 * declares them, the agents' allow-lists, and the operator's policy of which
 * servers may be started at all (docs/mcp.md; decision 0018).
 *
 * A deploy that names a stdio tool server makes this process run a command:
 * without a policy, anyone with deploy rights could run anything on the host.
 * So a stdio server is started only when its command line begins with one of
 * the operator's `allowCommands` (server flag --tool-command), and an HTTP
 * server only when its URL begins with one of `allowUrls` (--tool-url). By
 * default neither is allowed.
 */
import { InvalidToolSpecError, ToolServerNotAllowedError } from '../errors.js';

export interface StdioToolTransport {
  command: string;
  args?: string[];
  /** extra environment, given literally (the server's own environment is not passed on) */
  env?: Record<string, string>;
  cwd?: string;
}

export interface HttpToolTransport {
  /** Streamable HTTP endpoint */
  url: string;
  /** sent with every request; never a secret (the manifest is not a secret store) */
  headers?: Record<string, string>;
  /** name of an environment variable of the Caxton server holding a bearer token for this server */
  tokenEnv?: string;
}

export interface ToolServerSpec {
  /** the server's name: agents call `<name>/<tool>` */
  name: string;
  stdio?: StdioToolTransport;
  http?: HttpToolTransport;
  /** a call's time limit when its request has no reply-by, ms (default: the runtime's) */
  timeoutMs?: number;
  /** how long the server may take to start and list its tools, ms (default 30 s); longer, it is down and restarted with back-off */
  startTimeoutMs?: number;
}

/** The operator's policy and the defaults for tool calls (RuntimeOptions.tools). */
export interface ToolOptions {
  /** command lines a stdio tool server may start with (words compared one by one) */
  allowCommands?: string[];
  /** URL prefixes an HTTP tool server may have */
  allowUrls?: string[];
  /** a call's time limit when neither the request (reply-by) nor the server says, ms (default 30 s) */
  defaultTimeoutMs?: number;
  /** calls waiting for one tool server at once; more are refused TOOL_SERVER_BUSY (default 256) */
  maxInFlightPerServer?: number;
  /**
   * the largest message a tool server may send, bytes (default 16 MiB): a
   * larger stdio message closes its connection, a larger HTTP answer fails
   * its call TOOL_RESULT_TOO_LARGE (a result an agent is sent is limited
   * anyway by the frame limit, maxFrameBytes)
   */
  maxMessageBytes?: number;
}

const NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
/** an allow-list entry: `server/tool`, `server/*`, or `*` for every tool of every server */
const PATTERN = /^(\*|[a-z0-9][a-z0-9_-]{0,62}\/(\*|[A-Za-z0-9_.:-][A-Za-z0-9_.:/-]{0,127}))$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const MAX_TIMEOUT_MS = 600_000;

function isStringMap(v: unknown): v is Record<string, string> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');
}

/** Check a tool server spec's shape (not the policy): InvalidToolSpecError naming the field. */
export function checkToolServerSpec(s: ToolServerSpec): ToolServerSpec {
  if (typeof s?.name !== 'string' || !NAME.test(s.name)) {
    throw new InvalidToolSpecError('name', `must be 1-63 lowercase letters, digits, - or _, starting with a letter or digit; got ${JSON.stringify(s?.name)}`);
  }
  if ((s.stdio === undefined) === (s.http === undefined)) throw new InvalidToolSpecError(s.name, 'needs exactly one transport: stdio (command, args, env, cwd) or http (url, headers, tokenEnv)');
  if (s.stdio) {
    const { command, args, env, cwd } = s.stdio;
    if (typeof command !== 'string' || command.trim() === '') throw new InvalidToolSpecError(`${s.name}.stdio.command`, 'must be a command to run');
    if (args !== undefined && !(Array.isArray(args) && args.every((a) => typeof a === 'string'))) throw new InvalidToolSpecError(`${s.name}.stdio.args`, 'must be a list of strings');
    if (env !== undefined && !isStringMap(env)) throw new InvalidToolSpecError(`${s.name}.stdio.env`, 'must map names to strings');
    if (cwd !== undefined && typeof cwd !== 'string') throw new InvalidToolSpecError(`${s.name}.stdio.cwd`, 'must be a directory path');
  }
  if (s.http) {
    const { url, headers, tokenEnv } = s.http;
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      parsed = undefined;
    }
    if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) throw new InvalidToolSpecError(`${s.name}.http.url`, `must be an http:// or https:// URL, got ${JSON.stringify(url)}`);
    if (headers !== undefined && !isStringMap(headers)) throw new InvalidToolSpecError(`${s.name}.http.headers`, 'must map header names to strings');
    if (headers && Object.keys(headers).some((h) => h.toLowerCase() === 'authorization')) {
      throw new InvalidToolSpecError(`${s.name}.http.headers`, 'must not hold an Authorization header: name the environment variable with the token in tokenEnv instead, so no secret is written into the fleet');
    }
    if (tokenEnv !== undefined && (typeof tokenEnv !== 'string' || !ENV_NAME.test(tokenEnv))) throw new InvalidToolSpecError(`${s.name}.http.tokenEnv`, 'must be the name of an environment variable');
  }
  for (const field of ['timeoutMs', 'startTimeoutMs'] as const) {
    const v = s[field];
    if (v !== undefined && !(Number.isInteger(v) && v >= 1 && v <= MAX_TIMEOUT_MS)) {
      throw new InvalidToolSpecError(`${s.name}.${field}`, `must be a whole number of ms from 1 to ${MAX_TIMEOUT_MS}`);
    }
  }
  return s;
}

/** Check an agent's allow-list: InvalidToolSpecError naming the bad entry. */
export function checkAllowList(tools: unknown): string[] {
  if (tools === undefined) return [];
  if (!Array.isArray(tools)) throw new InvalidToolSpecError('tools', 'must be a list of tool names: server/tool, server/* or *');
  for (const t of tools) {
    if (typeof t !== 'string' || !PATTERN.test(t)) throw new InvalidToolSpecError('tools', `"${String(t)}" is not server/tool, server/* or *`);
  }
  return [...new Set(tools as string[])].sort();
}

/** Does the allow-list let an agent call `server/tool`? Nothing is allowed by default. */
export function allows(list: readonly string[], server: string, tool: string): boolean {
  for (const p of list) {
    if (p === '*') return true;
    const slash = p.indexOf('/');
    if (p.slice(0, slash) !== server) continue;
    const t = p.slice(slash + 1);
    if (t === '*' || t === tool) return true;
  }
  return false;
}

/** Is the operator's policy letting this server start? ToolServerNotAllowedError saying which setting would. */
export function checkPolicy(s: ToolServerSpec, o: ToolOptions): void {
  if (s.stdio) {
    const line = [s.stdio.command, ...(s.stdio.args ?? [])];
    const ok = (o.allowCommands ?? []).some((entry) => {
      const words = entry.trim().split(/\s+/);
      return words.length > 0 && words.every((w, i) => line[i] === w);
    });
    if (!ok) throw new ToolServerNotAllowedError(s.name, `the command line "${line.join(' ')}"`, 'start the server with --tool-command naming it (or the beginning of it, e.g. --tool-command node), or toolCommands in its config file');
  } else if (s.http) {
    const url = s.http.url;
    if (!(o.allowUrls ?? []).some((prefix) => url.startsWith(prefix))) {
      throw new ToolServerNotAllowedError(s.name, `the URL ${url}`, 'start the server with --tool-url naming it or a prefix of it (e.g. --tool-url https://tools.example.com/), or toolUrls in its config file');
    }
  }
}

/** `server/tool` split at the first slash; undefined when it is not of that form. */
export function splitToolName(name: unknown): { server: string; tool: string } | undefined {
  if (typeof name !== 'string') return undefined;
  const slash = name.indexOf('/');
  if (slash <= 0 || slash === name.length - 1) return undefined;
  return { server: name.slice(0, slash), tool: name.slice(slash + 1) };
}

/** Two specs describe the same server (a deploy that changes nothing leaves it running). */
export function sameSpec(a: ToolServerSpec, b: ToolServerSpec): boolean {
  return JSON.stringify(normalize(a)) === JSON.stringify(normalize(b));
}

function normalize(s: ToolServerSpec): unknown {
  const sortMap = (m: Record<string, string> | undefined): [string, string][] | undefined => (m ? Object.entries(m).sort(([x], [y]) => (x < y ? -1 : 1)) : undefined);
  return {
    name: s.name, timeoutMs: s.timeoutMs, startTimeoutMs: s.startTimeoutMs,
    stdio: s.stdio ? { command: s.stdio.command, args: s.stdio.args ?? [], env: sortMap(s.stdio.env), cwd: s.stdio.cwd } : undefined,
    http: s.http ? { url: s.http.url, headers: sortMap(s.http.headers), tokenEnv: s.http.tokenEnv } : undefined,
  };
}
