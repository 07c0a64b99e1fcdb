/**
 * The MCP tools, as one table over the REST route table: each tool names
 * the REST operation it is (and so the gRPC method), and its input schema
 * is built from that route's own JSON Schemas (body properties, path and
 * query parameters), the very objects the REST gateway validates with. A
 * field added to a route, or a range changed in runtime/limits.ts, reaches
 * REST, OpenAPI and MCP at once. Only deploy_manifest has no route of its
 * own: it applies a fleet manifest, as `caxton deploy -f` does.
 *
 * Arguments are checked with the REST gateway's checker (api/http/body.ts):
 * the same Ajv schemas, the same messages naming the field.
 */
import { bodyChecks, checkBody, type BodyCheck } from '../http/body.js';
import type { RouteDoc } from '../openapi.js';
import { UnknownToolError } from '../../runtime/errors.js';
import { assertWellFormed } from '../well-formed.js';

export type ToolName =
  | 'list_agents' | 'get_agent' | 'send_message' | 'invoke_agent' | 'start_contract_net'
  | 'list_dead_letters' | 'read_conversation_log' | 'deploy_manifest';

/** Hints for clients (MCP tool annotations): what calling a tool does to the server. */
interface Annotations {
  readOnlyHint: boolean;
  destructiveHint?: boolean;
  idempotentHint?: boolean;
  openWorldHint: boolean;
}

/** How a tool stands on its REST route. */
interface RouteTool {
  name: ToolName;
  /** the route's operationId (= the gRPC method) */
  operationId: string;
  title: string;
  /** said after the route's summary */
  description: string;
  /** path parameter → argument name (`{name}` of /v1/agents/{name}/invoke is `agent`) */
  path?: Record<string, string>;
  /** the query parameters taken as arguments (the rest, such as a log's `follow`, make no sense for one call) */
  query?: string[];
  /** arguments the route's schema leaves optional but the tool needs */
  required?: string[];
  annotations: Annotations;
}

/** The most log lines read_conversation_log returns (the newest): a tool's answer goes into a model's context. */
export const MAX_LOG_LINES = 1000;

const ROUTE_TOOLS: readonly RouteTool[] = [
  {
    name: 'list_agents', operationId: 'AgentService.List', title: 'List agents',
    description: 'Each agent: name, state (starting, running, stopped, failed), worker, limits, capabilities, handled and failed counts, config.',
    annotations: { readOnlyHint: true, openWorldHint: false },
  },
  {
    name: 'get_agent', operationId: 'AgentService.Get', title: 'Describe an agent', path: { name: 'name' },
    description: '"name" is the agent\'s name (list_agents gives them).',
    annotations: { readOnlyHint: true, openWorldHint: false },
  },
  {
    name: 'send_message', operationId: 'MessageService.Send', title: 'Send a message', path: { name: 'agent' },
    description: '"agent" is the agent to send to; "performative" a FIPA act (inform, request, query-ref, cfp...); "content" any JSON value; "conversationId" groups messages (any string; read_conversation_log and the resource caxton://conversations/{id} follow it). Returns the message and conversation ids; the agent\'s answer, if any, is not waited for (use invoke_agent).',
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  },
  {
    name: 'invoke_agent', operationId: 'MessageService.Invoke', title: 'Call an agent and wait for its reply', path: { name: 'agent' },
    description: '"agent" is the agent to call; "content" any JSON value. Returns the reply (performative, sender, content, conversationId) and the round trip in µs; REPLY_TIMEOUT when no reply comes within timeoutMs.',
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  },
  {
    name: 'start_contract_net', operationId: 'TaskService.StartContractNet', title: 'Delegate a task (Contract Net)',
    description: 'The agents offering "capability" (or the named "contractors") get a call for proposals with "task"; the best proposal by "select" (lowest:FIELD, highest:FIELD or agent:NAME; default lowest:price) wins and its result comes back, with every proposal, refusal and the transcript.',
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  },
  {
    name: 'list_dead_letters', operationId: 'ManagementService.ListDeadLetters', title: 'Read dead letters', query: ['limit'],
    description: 'Each one: the reason (a stable code, docs/errors.md), a hint, the agent, the sender, the performative, the conversation and the content, oldest first.',
    annotations: { readOnlyHint: true, openWorldHint: false },
  },
  {
    name: 'read_conversation_log', operationId: 'LogService.Tail', title: 'Read a conversation\'s log lines', query: ['conversationId', 'agent', 'level', 'sinceUnixMs'],
    description: `Here without following: the lines written so far about "conversationId" (as given to send_message or invoke_agent, or its 16-hex-digit key), oldest first, at most the newest ${MAX_LOG_LINES}, parsed. Needs a server that writes a log file (caxton server start); each Send and Invoke is logged at level debug.`,
    required: ['conversationId'],
    annotations: { readOnlyHint: true, openWorldHint: false },
  },
];

/** The deploy tool's arguments: a manifest as text and, over HTTP, the bytes of its modules. */
const DEPLOY_SCHEMA = {
  required: ['manifest'],
  properties: {
    manifest: { type: 'string', description: 'the fleet manifest, YAML (apiVersion caxton.dev/v1, kind Fleet; docs/manifest.md), as `caxton deploy -f` takes it' },
    modules: {
      type: 'object', additionalProperties: { type: 'string', format: 'byte' },
      description: 'the .wasm bytes (base64) of each module, keyed by its path exactly as the manifest\'s `module:` writes it. Required over HTTP (/mcp), where the server never reads a file a client names; `caxton mcp` reads the paths it is not given from its working directory',
    },
    prune: { type: 'boolean', description: 'also remove the deployed agents the manifest does not name, and, when it has a tools: section, the tool servers it does not declare' },
    dryRun: { type: 'boolean', description: 'return the plan, change nothing' },
  },
};

export interface ToolDef {
  name: ToolName;
  title: string;
  description: string;
  inputSchema: { type: 'object'; properties: Record<string, unknown>; required?: string[]; additionalProperties: false };
  annotations: Annotations;
  /** the REST operation (and gRPC method) it is; undefined for deploy_manifest */
  operationId: string | undefined;
  /** path parameter → argument, for the backends */
  path: Record<string, string>;
}

/** The schema of a path parameter, as /v1/openapi.json gives it (api/openapi.ts). */
const PATH_PARAMETER = { type: 'string' };

function fromRoute(t: RouteTool, route: RouteDoc): ToolDef {
  const properties: Record<string, unknown> = {};
  const required: string[] = [];
  for (const param of [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!)) {
    const arg = t.path?.[param] ?? param;
    properties[arg] = PATH_PARAMETER;
    required.push(arg);
  }
  for (const q of t.query ?? []) {
    if (!route.query?.[q]) throw new Error(`tool ${t.name}: ${route.operationId} has no query parameter "${q}"`);
    properties[q] = route.query[q];
  }
  for (const [k, v] of Object.entries(route.body?.properties ?? {})) properties[k] = v;
  required.push(...(route.body?.required ?? []), ...(t.required ?? []));
  return {
    name: t.name, title: t.title, description: `${route.summary} ${t.description}`, annotations: t.annotations, operationId: route.operationId, path: t.path ?? {},
    inputSchema: { type: 'object', properties, ...(required.length ? { required: [...new Set(required)] } : {}), additionalProperties: false },
  };
}

const DEPLOY_TOOL: ToolDef = {
  name: 'deploy_manifest', title: 'Deploy a fleet manifest', operationId: undefined, path: {},
  description: 'Applies a fleet manifest as `caxton deploy -f` does: its tool servers (tools:) first, then its agents. Creates what it names that the server lacks, replaces what differs (an agent\'s module, config, capabilities, tools or a limit; a tool server\'s spec), leaves the others, and with "prune" removes the agents it does not name (and, when it has a tools: section, the tool servers it does not declare). Every module is checked first: one that would be refused stops the whole apply with nothing changed. Returns the plan (also as the text `caxton deploy -f` prints), what was applied, each agent or tool server the server refused (with its code and hint), and tool servers that are down. Needs a token with full rights.',
  inputSchema: { type: 'object', ...DEPLOY_SCHEMA, additionalProperties: false },
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
};

/** The tools and their argument checks, built once from a route table. */
export class ToolSet {
  readonly defs: readonly ToolDef[];
  private readonly checks = new Map<string, BodyCheck>();

  /** `table`: the REST gateway's routes (api/http/route-table.ts; routeDocs() without a server) */
  constructor(table: readonly RouteDoc[]) {
    const byOperation = new Map(table.map((r) => [r.operationId, r]));
    this.defs = [...ROUTE_TOOLS.map((t) => {
      const route = byOperation.get(t.operationId);
      if (!route) throw new Error(`tool ${t.name}: no REST route ${t.operationId}`);
      return fromRoute(t, route);
    }), DEPLOY_TOOL];
    const compile = bodyChecks();
    for (const d of this.defs) {
      const { required, properties } = d.inputSchema;
      this.checks.set(d.name, compile({ method: 'POST', path: '', operationId: d.name, summary: '', tag: '', body: { properties, ...(required ? { required } : {}) } })!);
    }
  }

  /** The tool named `name`, or UNKNOWN_TOOL. */
  get(name: string): ToolDef {
    const d = this.defs.find((x) => x.name === name);
    if (!d) throw new UnknownToolError(name, this.defs.map((x) => x.name));
    return d;
  }

  /**
   * `args` checked against the tool's input schema (in place: a null typed
   * field is absent), and its text for lone surrogates (api/well-formed.ts):
   * INVALID_ARGUMENT naming the field otherwise. Here, for both transports:
   * gRPC would turn a lone surrogate into U+FFFD on the way to the server.
   */
  check(tool: ToolDef, args: Record<string, unknown>): void {
    checkBody(args, this.checks.get(tool.name)!, tool.name, { noun: `the arguments of ${tool.name}`, docs: 'its inputSchema in tools/list, docs/mcp.md', container: 'the arguments', plural: true });
    for (const [k, v] of Object.entries(args)) assertWellFormed(v, k);
  }
}
