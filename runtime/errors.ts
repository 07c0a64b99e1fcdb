/**
 * Every error Caxton reports, one class per error, each with a stable `code`,
 * a message that says what happened and why, and a `hint` that says how to
 * fix it. docs/errors.md lists every code; test/errors.test.ts keeps the two
 * in step. Dead-letter reasons share this namespace (DeadLetterReason).
 */
import { IMPORT_HINTS } from './module/import-hints.js';
import { didYouMean } from './did-you-mean.js';

export interface ErrorDetails {
  readonly [key: string]: unknown;
}

export interface SerializedError {
  readonly code: string;
  readonly message: string;
  readonly hint: string;
  readonly details: ErrorDetails;
}

export abstract class CaxtonError extends Error {
  abstract readonly code: string;
  readonly hint: string;
  readonly details: ErrorDetails;

  constructor(message: string, hint: string, details: ErrorDetails = {}) {
    super(message);
    this.name = new.target.name;
    this.hint = hint;
    this.details = details;
  }

  toJSON(): SerializedError {
    return { code: this.code, message: this.message, hint: this.hint, details: this.details };
  }
}

// ---- deploy-time validation of agent modules ----

export class InvalidWasmError extends CaxtonError {
  readonly code = 'INVALID_WASM';
  /** `where`: the module file and where it is named (the CLI checks a file's header before sending it) */
  constructor(agent: string, reason: string, where?: string) {
    super(`${where ? `${where}: ` : ''}agent "${agent}": the module is not valid WebAssembly (${reason})`,
      'Build the agent to a core WebAssembly module (.wasm), e.g. `npm run build:agents`, and deploy that file, not its source or a text file.',
      { agent, reason });
  }
}

export class MissingExportError extends CaxtonError {
  readonly code = 'MISSING_EXPORT';
  constructor(agent: string, exportName: string) {
    super(`agent "${agent}": the module does not export the function "${exportName}" required by agent ABI v1`,
      `Export "${exportName}" (see docs/agent-abi.md). AssemblyScript agents get every required export from \`export * from "sdk/assemblyscript/exports"\`.`,
      { agent, export: exportName });
  }
}

export class MemoryNotImportedError extends CaxtonError {
  readonly code = 'MEMORY_NOT_IMPORTED';
  /** `why`: what about the module's memory the host cannot cap (several memories, a shared or 64-bit one, none) */
  constructor(agent: string, why: string) {
    super(`agent "${agent}": the host cannot cap the module's memory: ${why}`,
      'Give the module one plain 32-bit memory, imported as env.memory (AssemblyScript --importMemory, clang -Wl,--import-memory) or defined by the module (ABI 2); the host sets its maximum to the agent\'s memory limit. Threads (shared memory) and memory64 are not offered.',
      { agent, why });
  }
}

export class ModuleTooLargeError extends CaxtonError {
  readonly code = 'MODULE_TOO_LARGE';
  /** `where`: the module file and where it is named (the CLI checks a file's size before reading it) */
  constructor(agent: string, bytes: number, limit: number, where?: string) {
    super(`${where ? `${where}: ` : ''}agent "${agent}": the module is ${bytes} bytes, more than the ${limit} bytes a module may have`,
      'Build the agent with optimisation and without debug information (e.g. AssemblyScript -O3, wasm-opt -Oz, Rust --release with strip = true).',
      { agent, bytes, limit });
  }
}

export class TablesTooLargeError extends CaxtonError {
  readonly code = 'TABLES_TOO_LARGE';
  constructor(agent: string, reason: string, limitBytes: number) {
    super(`agent "${agent}": ${reason}; an agent's tables may take at most as much as its memory limit (${limitBytes} bytes)`,
      'Give every table a maximum (most compilers do; WAT: `(table 16 16 funcref)`), use fewer table entries, or raise memoryLimitBytes.',
      { agent, reason, limitBytes });
  }
}

export class UnsupportedModuleError extends CaxtonError {
  readonly code = 'UNSUPPORTED_MODULE';
  constructor(agent: string, reason: string) {
    super(`agent "${agent}": Caxton cannot add its time-limit checks to this module: ${reason}`,
      'Build the agent without the WebAssembly GC proposal (most compilers leave it off by default). If the module is ordinary, this is a Caxton bug: please report it; CAXTON_INTERRUPT_CHECKS=off deploys it without the checks meanwhile.',
      { agent, reason });
  }
}

export class UnknownImportError extends CaxtonError {
  readonly code = 'UNKNOWN_IMPORT';
  constructor(agent: string, module: string, name: string, kind: string) {
    super(`agent "${agent}": the module imports ${kind} "${module}.${name}", which the host does not offer`,
      IMPORT_HINTS[`${module}.${name}`] ?? 'Remove the import, or use only the imports listed in docs/agent-abi.md (module "caxton", env.memory, env.abort, env.seed, and the WASI preview 1 functions of module wasi_snapshot_preview1 with their preview 1 signatures).',
      { agent, module, name, kind });
  }
}

export class AbiVersionMismatchError extends CaxtonError {
  readonly code = 'ABI_VERSION_MISMATCH';
  /** `supported`: the newest ABI this server speaks (it speaks every one from 1); `uses`: ABI 2 features of a module that said 1 */
  constructor(agent: string, found: number, supported: number, uses?: string) {
    super(uses
      ? `agent "${agent}": caxton_abi_version() returned ${found}, but the module ${uses}, which needs agent ABI 2`
      : `agent "${agent}": caxton_abi_version() returned ${found}, this server speaks agent ABI 1 to ${supported}`,
    uses
      ? 'Return 2 from caxton_abi_version (the SDKs built on WASI do), or build the module without those features (docs/agent-abi.md, "ABI 2").'
      : `Rebuild the agent against an SDK for agent ABI 1 to ${supported}, or run a Caxton server that supports ABI ${found}.`,
    { agent, found, supported, ...(uses ? { uses } : {}) });
  }
}

export class AgentInitFailedError extends CaxtonError {
  readonly code = 'AGENT_INIT_FAILED';
  constructor(agent: string, reason: string) {
    super(`agent "${agent}": caxton_init failed: ${reason}`,
      'Check the agent\'s config (a negative return from caxton_init means the agent refused it) and its logs.',
      { agent, reason });
  }
}

// ---- registry and lifecycle ----

export class AgentNotFoundError extends CaxtonError {
  readonly code = 'AGENT_NOT_FOUND';
  /** `known`: the names deployed, for a did-you-mean in the hint (agents only, not `$` endpoints). */
  constructor(agent: string, known: Iterable<string> = []) {
    const deployed = [...known].filter((n) => !n.startsWith('$'));
    super(`no agent named "${agent}" is deployed`,
      `${didYouMean(agent, deployed).trimStart()}${deployed.length ? ' ' : ''}List the deployed agents (\`caxton agents list\`, AgentService.List, GET /v1/agents) and check the name; deploy it first if it is missing.`.trimStart(),
      { agent });
  }
}

export class AgentExistsError extends CaxtonError {
  readonly code = 'AGENT_EXISTS';
  constructor(agent: string) {
    super(`an agent named "${agent}" is already deployed`,
      'Pick another name, or remove the existing agent first (names are unique per server).',
      { agent });
  }
}

export class AgentStoppedError extends CaxtonError {
  readonly code = 'AGENT_STOPPED';
  constructor(agent: string, state = 'stopped', reason?: string) {
    super(`agent "${agent}" is ${state} and does not accept messages${reason ? ` (${reason})` : ''}`,
      state === 'failed'
        ? 'Fix the agent (see lastError in `caxton agents get NAME`, e.g. a handler that never returns), then deploy it again: `caxton agents remove NAME` and `caxton deploy -f FLEET` (AgentService.Undeploy and Deploy; embedded: runtime.start(name)).'
        : 'Deploy it again before sending to it: `caxton agents remove NAME` and `caxton deploy -f FLEET` (AgentService.Undeploy and Deploy; embedded: runtime.start(name)).',
      { agent, state, ...(reason ? { reason } : {}) });
  }
}

export class InvalidAgentSpecError extends CaxtonError {
  readonly code = 'INVALID_AGENT_SPEC';
  constructor(field: string, problem: string) {
    super(`invalid agent spec: ${field} ${problem}`,
      'Fix the field as described; docs/manifest.md (Limits) lists every limit with its range and default.',
      { field, problem });
  }
}

export class InvalidToolSpecError extends CaxtonError {
  readonly code = 'INVALID_TOOL_SPEC';
  constructor(field: string, problem: string) {
    super(`invalid tool server: ${field} ${problem}`,
      'Fix the field as described; docs/mcp.md (Tool servers in the manifest) describes every field of a tools: entry and of an agent\'s tools: list.',
      { field, problem });
  }
}

export class ToolServerNotAllowedError extends CaxtonError {
  readonly code = 'TOOL_SERVER_NOT_ALLOWED';
  constructor(server: string, what: string, how: string) {
    super(`tool server "${server}" is not allowed on this server: ${what} is in none of the operator's allowed tool commands or URLs`,
      `A deploy cannot make the server run a command or reach a URL its operator did not allow: ${how}. docs/mcp.md, Security.`,
      { server });
  }
}

export class ToolServerNotFoundError extends CaxtonError {
  readonly code = 'TOOL_SERVER_NOT_FOUND';
  constructor(server: string, known: readonly string[] = []) {
    known = Array.isArray(known) ? known : [];
    super(`no tool server named "${server}"${known.length ? ` (there are: ${known.join(', ')})` : ' (none is configured)'}`,
      'List them with `caxton tools list`; add one with a tools: entry in the fleet manifest and `caxton deploy -f`.',
      { server });
  }
}

export class TooManyAgentsError extends CaxtonError {
  readonly code = 'TOO_MANY_AGENTS';
  constructor(limit: number, reason: string) {
    super(`cannot host more agents: ${reason} (limit ${limit})`,
      'Remove idle agents or spread them over more processes/servers. V8 reserves ~10 GiB of address space per wasm memory, which caps one process near 12,600 live instances (maxInstances, default 12,000); maxAgents bounds the router table.',
      { limit, reason });
  }
}

// ---- messaging ----

export class MailboxFullError extends CaxtonError {
  readonly code = 'MAILBOX_FULL';
  constructor(agent: string, retryAfterMs: number) {
    super(`the mailbox of agent "${agent}" is full; the message was not accepted`,
      `Back off and retry after about ${retryAfterMs} ms; nothing was sent. If this persists, the agent (or its worker) cannot keep up: add instances or raise the ring capacity.`,
      { agent, retryAfterMs });
  }
}

export class FrameTooLargeError extends CaxtonError {
  readonly code = 'FRAME_TOO_LARGE';
  constructor(size: number, limit: number) {
    super(`message of ${size} bytes exceeds the ${limit}-byte limit`,
      'Send smaller content (split it, or pass a reference to where the data lives) or raise maxFrameBytes on the server.',
      { size, limit });
  }
}

export class UnknownPerformativeError extends CaxtonError {
  readonly code = 'UNKNOWN_PERFORMATIVE';
  constructor(given: string) {
    super(`"${given}" is not a FIPA communicative act`,
      'Use one of the 22 FIPA acts, e.g. inform, request, query-ref, cfp, propose (docs/agent-abi.md lists them).',
      { performative: given });
  }
}

export class ReplyTimeoutError extends CaxtonError {
  readonly code = 'REPLY_TIMEOUT';
  constructor(agent: string, timeoutMs: number) {
    super(`agent "${agent}" did not reply within ${timeoutMs} ms`,
      'Raise the timeout, check the agent replies to this performative (its logs, the dead-letter queue), or that it is not overloaded.',
      { agent, timeoutMs });
  }
}

export class InvalidReplyError extends CaxtonError {
  readonly code = 'INVALID_REPLY';
  constructor(agent: string, problem: string) {
    super(`agent "${agent}" replied with a frame that cannot be decoded: ${problem}`,
      'The agent builds malformed frames (e.g. a params length or msgpack content that does not match its bytes); fix the agent or its SDK version.',
      { agent, problem });
  }
}

export class RuntimeNotRunningError extends CaxtonError {
  readonly code = 'RUNTIME_NOT_RUNNING';
  constructor(state: string) {
    super(`the runtime is ${state} and does not accept this call`,
      'Start the runtime first, or wait: a draining runtime refuses new work until it has stopped.',
      { state });
  }
}

export class WorkerFailedError extends CaxtonError {
  readonly code = 'WORKER_FAILED';
  constructor(worker: number, reason: string) {
    super(`worker ${worker} failed: ${reason}`,
      'This is a bug or a resource limit in the host; see the server log. The supervisor replaces the worker and restores its agents.',
      { worker, reason });
  }
}

export class InvalidArgumentError extends CaxtonError {
  readonly code = 'INVALID_ARGUMENT';
  constructor(argument: string, problem: string, hint: string) {
    super(`${argument}: ${problem}`, hint, { argument, problem });
  }
}

/** FIPA ACL (runtime/acl): the text is not a message in the FIPA ACL string representation (SC00070). */
export class AclSyntaxError extends CaxtonError {
  readonly code = 'ACL_SYNTAX';
  constructor(problem: string, expected: string, line: number, column: number, offset: number) {
    super(`${problem} at ${line}:${column} (offset ${offset}): expected ${expected}`,
      'Write the message as (performative :parameter value ...), e.g. (inform :receiver (set (agent-identifier :name bob)) :content "hello"); strings go in double quotes with \\" and \\\\ escapes. docs/fipa.md has the grammar.',
      { line, column, offset, expected });
  }
}

/** A field of an ACL message (JSON form) is missing, has the wrong type or an invalid value. */
export class InvalidMessageError extends CaxtonError {
  readonly code = 'INVALID_MESSAGE';
  constructor(field: string, problem: string, hint?: string) {
    super(`invalid ACL message: ${field} ${problem}`,
      hint ?? 'Fix the field as described; docs/fipa.md lists every message parameter, its JSON type and its string form.',
      { field, problem });
  }
}

export class ReplyByInPastError extends CaxtonError {
  readonly code = 'REPLY_BY_IN_PAST';
  constructor(replyBy: string, now: string) {
    super(`invalid ACL message: replyBy ${replyBy} is already in the past (now is ${now})`,
      'Give a reply-by time in the future (ISO-8601 UTC, e.g. 2030-12-31T23:59:59.000Z), or leave replyBy out if no deadline applies.',
      { field: 'replyBy', replyBy, now });
  }
}

export class ContentTooLargeError extends CaxtonError {
  readonly code = 'CONTENT_TOO_LARGE';
  constructor(size: number, limit: number) {
    super(`invalid ACL message: content is ${size} bytes (UTF-8), more than the ${limit}-byte limit`,
      'Send smaller content: split it over several messages, or send a reference (a URL, a key) to where the data lives.',
      { field: 'content', size, limit });
  }
}

// ---- the API (gRPC and REST gateway) ----

export class UnauthenticatedError extends CaxtonError {
  readonly code = 'UNAUTHENTICATED';
  constructor(problem: string) {
    super(`the call is not authenticated: ${problem}`,
      'Send the server token as "authorization: Bearer TOKEN" (gRPC metadata or HTTP header). It is $CAXTON_TOKEN, or the file "token" in the server\'s data directory (.caxton/token by default); the caxton CLI on the same machine reads it from there.',
      { problem });
  }
}

/** A request larger than the API takes (REST: declared or streamed body; gRPC: the message), refused before it is parsed. */
export class RequestTooLargeError extends CaxtonError {
  readonly code = 'REQUEST_TOO_LARGE';
  constructor(size: number | string, limit: number, operation: string) {
    super(`the ${operation} request is ${typeof size === 'number' ? `${size} bytes` : size}, more than the ${limit}-byte limit`,
      'Send less: content is limited by the bus frame (64 KiB by default) and a module by MODULE_TOO_LARGE (64 MiB); send a reference to large data instead. The server\'s limits are ServerOptions api.maxRequestBytes and api.maxDeployRequestBytes (docs/api.md, Limits).',
      { size, limit, operation });
  }
}

export class TooManyStreamsError extends CaxtonError {
  readonly code = 'TOO_MANY_STREAMS';
  constructor(limit = 64) {
    super(`cannot stream another conversation: ${limit} conversations are streamed already`,
      'Close streams you no longer read, or watch fewer conversations at once (the limit is the bus\'s watch table, WATCH_SLOTS).',
      { limit });
  }
}

export class UnknownRouteError extends CaxtonError {
  readonly code = 'UNKNOWN_ROUTE';
  constructor(method: string, path: string) {
    super(`no REST operation at ${method} ${path}`,
      'See the OpenAPI document at GET /v1/openapi.json (or docs/api.md) for the operations and their paths.',
      { method, path });
  }
}

export class FleetStoreError extends CaxtonError {
  readonly code = 'FLEET_STORE_UNREADABLE';
  constructor(file: string, problem: string) {
    super(`cannot read the stored fleet ${file}: ${problem}`,
      'The file was edited or damaged outside Caxton. Fix it (it is JSON: {"version": 1, "agents": [...]}) or move it away to start with an empty fleet, then re-apply your manifests with `caxton deploy -f`.',
      { file, problem });
  }
}

export class StreamTooSlowError extends CaxtonError {
  readonly code = 'STREAM_TOO_SLOW';
  constructor(waiting: number, limit: number) {
    super(`the stream was closed: its client did not read fast enough (${waiting} waiting, limit ${limit}; messages for gRPC, bytes for REST)`,
      'Read the stream continuously (do not pause it), or watch a quieter conversation; open it again to continue.',
      { waiting, limit });
  }
}

export class LogsUnavailableError extends CaxtonError {
  readonly code = 'LOGS_UNAVAILABLE';
  constructor() {
    super('this server writes no log file, so there is nothing to read back',
      'Start the server with `caxton server start`, which logs to <data-dir>/logs/, or read the log where this embedding process sends it.',
      {});
  }
}

/** An OpenTelemetry setting the server cannot use (checked once, at start). */
export class TelemetryConfigError extends CaxtonError {
  readonly code = 'TELEMETRY_CONFIG_INVALID';
  constructor(variable: string, value: string, problem: string) {
    super(`${variable}="${value}" ${problem}`,
      `Set ${variable} to the collector's URL, e.g. http://collector:4318 for OTLP over HTTP or http://collector:4317 for gRPC; or unset it (OTEL_SDK_DISABLED=true turns OpenTelemetry off).`,
      { variable, value });
  }
}

/** What a gateway reports for anything that is not a CaxtonError (a bug). */
export class InternalError extends CaxtonError {
  readonly code = 'INTERNAL';
  constructor(problem: string) {
    super(`internal error: ${problem}`,
      'This is a bug in the server; the server log has the stack. Please report it with the request that caused it.',
      { problem });
  }
}

export class ServerDrainingError extends CaxtonError {
  readonly code = 'SERVER_DRAINING';
  constructor() {
    super('the server is draining before it stops and accepts no new work',
      'Retry against the server once it has restarted, or against another server.',
      {});
  }
}

// ---- MCP (api/mcp/: the /mcp endpoint and `caxton mcp`) ----

/** tools/call named a tool that tools/list does not offer. */
export class UnknownToolError extends CaxtonError {
  readonly code = 'UNKNOWN_TOOL';
  constructor(tool: string, known: readonly string[]) {
    const list = Array.isArray(known) ? known : [];
    super(`no MCP tool named "${tool}"`,
      `${didYouMean(tool, list)} The tools are ${list.map((k) => `"${k}"`).join(', ')}; tools/list gives each one's arguments (docs/mcp.md).`.trimStart(),
      { tool });
  }
}

/** resources/read named a URI that is not one of Caxton's resources. */
export class UnknownResourceError extends CaxtonError {
  readonly code = 'UNKNOWN_RESOURCE';
  constructor(uri: string) {
    super(`no MCP resource at "${uri}"`,
      'Caxton\'s resources are caxton://agents, caxton://agents/{name} and caxton://conversations/{id} (resources/list and resources/templates/list; docs/mcp.md).',
      { uri });
  }
}

/** A JSON-RPC method the MCP server does not serve. */
export class UnknownMcpMethodError extends CaxtonError {
  readonly code = 'UNKNOWN_MCP_METHOD';
  constructor(method: string, served: readonly string[]) {
    const list = Array.isArray(served) ? served : [];
    super(`the MCP server does not serve the method "${method}"`,
      `Call one of ${list.map((m) => `"${m}"`).join(', ')} (docs/mcp.md); an MCP client library does this for you.`,
      { method });
  }
}

/** An HTTP method an HTTP-only endpoint does not take (GET /mcp: Caxton's MCP endpoint is stateless and opens no event stream). */
export class HttpMethodNotAllowedError extends CaxtonError {
  readonly code = 'METHOD_NOT_ALLOWED';
  constructor(method: string, path: string, allowed: string) {
    super(`${path} does not take ${method}; it takes ${allowed}`,
      `Send MCP requests as ${allowed} ${path} (JSON-RPC in the body). This endpoint keeps no session, so there is no event stream to GET and no session to DELETE (docs/mcp.md).`,
      { method, path, allowed });
  }
}

/**
 * A fleet manifest given to the /mcp deploy tool names a module file whose
 * bytes were not sent with it. The server never reads a path a client
 * names: the same answer whether or not such a file exists on the server.
 */
export class ModuleNotInlineError extends CaxtonError {
  readonly code = 'MODULE_NOT_INLINE';
  constructor(line: number, column: number, modulePath: string) {
    super(`manifest:${line}:${column}: the module "${modulePath}" was not sent with the manifest; over HTTP the server does not read module files`,
      `Send the module's bytes in the deploy tool's "modules" argument, keyed by the path exactly as the manifest writes it: {"modules": {"${modulePath}": "<the .wasm file in base64>"}}; or use \`caxton mcp\` (which reads module files on your machine) or \`caxton deploy -f\`.`,
      { line, column, modulePath });
  }
}

/** The caller's token does not give the rights this call needs (today the one token has them all; issue #19 adds roles). */
export class PermissionDeniedError extends CaxtonError {
  readonly code = 'PERMISSION_DENIED';
  constructor(action: string, problem: string) {
    super(`not allowed to ${action}: ${problem}`,
      'Use a token with the rights to do this (ask the server\'s administrator), or leave this call to someone who has one.',
      { action, problem });
  }
}

// ---- fleet manifests (caxton deploy -f; cli/manifest.ts) ----

/**
 * A fleet manifest is not valid: YAML syntax, or a field the schema
 * (docs/fleet.schema.json) or the format refuses. Lists every problem found,
 * each at its line:column (1-based; 0:0 = the file as a whole).
 */
export class ManifestError extends CaxtonError {
  readonly code = 'INVALID_MANIFEST';
  readonly problems: readonly { readonly line: number; readonly column: number; readonly path: string; readonly message: string }[];
  constructor(file: string, problems: readonly { line: number; column: number; path: string; message: string }[]) {
    const list = Array.isArray(problems) ? problems : [];
    const at = (p: { line: number; column: number }): string => (p.line > 0 ? `${file}:${p.line}:${p.column}` : String(file));
    const lines = list.slice(0, 20).map((p) => `${at(p)}: ${p.message}`);
    if (list.length > 20) lines.push(`… and ${list.length - 20} more problems (details.problems lists them all)`);
    super(lines.length ? lines.join('\n') : `${String(file)}: the fleet manifest is not valid`,
      'Fix each problem at the file:line:column shown. docs/manifest.md describes every field of a fleet manifest, with a full example; docs/fleet.schema.json is its JSON Schema (point your editor\'s YAML support at it to check manifests as you type).',
      { file, problems: list });
    this.problems = list;
  }
}

export class ModuleFileNotFoundError extends CaxtonError {
  readonly code = 'MODULE_FILE_NOT_FOUND';
  constructor(file: string, line: number, column: number, modulePath: string, written?: string) {
    super(`${file}:${line}:${column}: the module file ${written !== undefined && written !== modulePath ? `"${written}" (${modulePath})` : `"${modulePath}"`} does not exist`,
      'Build the agents first (`npm run build:agents` writes dist/agents/*.wasm), or correct the path: a relative module path is resolved from the directory of the manifest, not from the current directory.',
      { file, line, column, modulePath });
  }
}

/** A server could not listen: the address of its gRPC or HTTP gateway is taken. */
export class PortInUseError extends CaxtonError {
  readonly code = 'PORT_IN_USE';
  constructor(host: string, port: number, gateway: 'gRPC' | 'HTTP') {
    const flag = gateway === 'gRPC' ? '--grpc-port' : '--http-port';
    super(`cannot listen on ${host.includes(':') ? `[${host}]` : host}:${port}, the ${gateway} port: another process is using it`,
      `Another Caxton server may be running there: stop it with \`caxton server stop\` (give its --data-dir), or choose another port with ${flag} (0 = any free port).`,
      { host, port, gateway });
  }
}

/**
 * A manifest's `module:` names something that is not a regular file (a
 * directory, a device such as /dev/zero, a FIFO) or that cannot be read. Its
 * content is never read or shown.
 */
export class ModuleFileUnreadableError extends CaxtonError {
  readonly code = 'MODULE_FILE_UNREADABLE';
  constructor(file: string, line: number, column: number, modulePath: string, reason = `the module file "${modulePath}" cannot be read`) {
    super(`${file}:${line}:${column}: ${reason}`,
      'Point `module:` at the agent\'s compiled .wasm file (`npm run build:agents` writes dist/agents/*.wasm), a regular file you can read; a relative path is resolved from the manifest\'s directory.',
      { file, line, column, modulePath });
  }
}

/** Reasons recorded with a dead letter: stable codes listed in docs/errors.md. */
export const DeadLetterReason = Object.freeze({
  AGENT_TRAPPED: 'AGENT_TRAPPED',
  AGENT_TIMEOUT: 'AGENT_TIMEOUT',
  HANDLER_FAILED: 'HANDLER_FAILED',
  AGENT_GONE: 'AGENT_GONE',
  AGENT_STOPPED: 'AGENT_STOPPED',
  BACKOFF_OVERFLOW: 'BACKOFF_OVERFLOW',
  WORKER_LOST: 'WORKER_LOST',
  NO_ENDPOINT: 'NO_ENDPOINT',
  PROTOCOL_VIOLATION: 'PROTOCOL_VIOLATION',
  LATE_REPLY: 'LATE_REPLY',
  NO_WAITER: 'NO_WAITER',
  SPOOFED_REPLY: 'SPOOFED_REPLY',
  MALFORMED_FRAME: 'MALFORMED_FRAME',
  LOST_IN_CRASH: 'LOST_IN_CRASH',
} as const);
export type DeadLetterReason = (typeof DeadLetterReason)[keyof typeof DeadLetterReason];

/** What each dead-letter reason means and what to do about it (docs/errors.md mirrors this). */
export const DEAD_LETTER_HINTS: Readonly<Record<DeadLetterReason, string>> = Object.freeze({
  AGENT_TRAPPED: 'The agent trapped (or aborted) while handling this message; it was restarted. See the detail for the trap text and fix the agent.',
  AGENT_TIMEOUT: 'The agent ran past its per-message time limit and was stopped; raise timeLimitMs or make the handler return sooner.',
  HANDLER_FAILED: 'caxton_handle returned a negative code (in the detail): the agent reported it could not handle the message.',
  AGENT_GONE: 'The destination agent was removed (or redeployed) before the message reached it; resend to the current agent.',
  AGENT_STOPPED: 'The destination agent was stopped before the message reached it; start it and resend.',
  BACKOFF_OVERFLOW: 'The agent was restarting after repeated traps and its waiting queue was full; fix the crash loop, then resend.',
  WORKER_LOST: 'A worker was replaced while it held this message for an agent in back-off; only the count survives. Resend if it matters.',
  NO_ENDPOINT: 'The message was addressed to a host endpoint (an in-process API caller) that no longer exists, e.g. a reply that came after its request timed out.',
  PROTOCOL_VIOLATION: 'The message breaks the interaction protocol of its conversation (the detail says what was expected); the host answered the sender with not-understood. Fix the sender.',
  MALFORMED_FRAME: 'A frame reached a host thread (the API) but could not be read (its parameters or content are not valid msgpack); the sender builds broken frames: fix the agent or its SDK.',
  NO_WAITER: 'A message reached the API endpoint ($api) but no call was waiting for it: the answer to a fire-and-forget Send, or a reply that came after its Invoke timed out or was cancelled. Use Invoke to get answers, or a longer deadline.',
  SPOOFED_REPLY: 'A message to the API endpoint ($api) named a waiting Invoke (by in-reply-to or conversation) but came from another agent than the one invoked (slot and generation); it was not taken as the answer and the call keeps waiting. Find the sender in the dead letter and fix or remove it.',
  LOST_IN_CRASH: 'The server accepted this message (its Send or Invoke returned OK) and then stopped abruptly (killed, crashed, or a stop that timed out) before the message was handled; the next start found it in the journal. It may have been handled just before the stop. Resend it if it matters, or send with durable: true to have the server resend it itself.',
  LATE_REPLY: 'The reply arrived after the reply-by of its conversation had passed; the initiator was already told of the time-out. Answer sooner or ask for a later reply-by.',
});

// Tool call failures ($mcp's failure codes) live in their own module; re-exported here with the other codes.
export { ToolFailure, TOOL_FAILURE_HINTS } from './tool-failures.js';

/** Rebuild a CaxtonError that crossed a thread boundary as JSON. */
export function reviveError(e: SerializedError): CaxtonError {
  const err = new (class extends CaxtonError { readonly code = e.code; })(e.message, e.hint, e.details);
  err.name = 'CaxtonError';
  return err;
}

export function isCaxtonError(e: unknown): e is CaxtonError {
  return e instanceof CaxtonError;
}
