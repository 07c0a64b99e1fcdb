/**
 * The plan of applying a fleet manifest: its agents and tool servers
 * compared with the server's. Pure, and the one plan there is: `caxton
 * deploy -f` (cli/commands/deploy.ts, over gRPC) and the MCP deploy tool
 * (api/mcp/deploy.ts, over the API thread's operations on /mcp or over gRPC
 * in `caxton mcp`) both plan with it and apply it with ./apply.ts.
 *
 *   create     named in the manifest, not on the server
 *   update     on the server but different from the manifest: for an agent,
 *              its module (content hash), config, capabilities, tools or a
 *              limit, as the last deploy asked for them; for a tool server,
 *              its spec (transport, command, args, env, cwd, url, headers,
 *              tokenEnv, timeoutMs, startTimeoutMs)
 *   unchanged  the same
 *   remove     on the server, not in the manifest (only with prune; tool
 *              servers only when the manifest has a tools: section)
 *
 * The steps come in the order they are applied: tool servers to create or
 * update first (an agent's caxton_init may call a tool), then the agents,
 * then the tool servers to remove (no agent of the fleet calls them any more).
 */
import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { Fleet, ManifestAgent } from './load.js';
import type { ManifestToolServer } from './tools.js';
import { sameSpec, type ToolServerSpec } from '../runtime/tools/spec.js';

export type Action = 'create' | 'update' | 'unchanged' | 'remove';
export type Kind = 'agent' | 'toolServer';

export interface PlanStep {
  kind: Kind;
  action: Action;
  name: string;
  /** what differs (update) */
  changes?: string[];
  agent?: ManifestAgent;
  tool?: ManifestToolServer;
}

/**
 * A deployed agent as the plan compares it: the API's view of it (GET
 * /v1/agents; AgentService.List with configJson and specJson parsed).
 */
export interface CurrentAgent {
  name: string;
  /** content hash of its module */
  kind: string;
  state: string;
  /** the config it was deployed with (null when none) */
  config: unknown;
  /** the tools it may call (compared when `requested` does not list them) */
  tools?: readonly string[];
  /** limits, capabilities and tools as its deploy asked for them */
  requested?: {
    capabilities?: readonly string[]; tools?: readonly string[]; memoryLimitBytes?: number; timeLimitMs?: number; mailbox?: number; worker?: number; maxSendsPerSecond?: number;
  };
}

/** A tool server as the plan compares it: the spec it was put with (undefined when it cannot be read: then it is updated). */
export interface CurrentToolServer {
  name: string;
  spec: ToolServerSpec | undefined;
}

/** The server's `kind` of a module: the first 16 hex digits of its SHA-256. */
export function kindOf(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 16);
}

const sortedSet = (xs: readonly string[] | undefined): string[] => [...new Set(xs ?? [])].sort();

/** What differs between an agent of the manifest and the one on the server. */
function agentChanges(w: ManifestAgent, have: CurrentAgent): string[] {
  // Compared with the deploy request as it was made (`requested`), not with
  // what the server made of it (memory rounded to pages, capabilities
  // registered by the agent itself at run time).
  const spec = have.requested ?? {};
  const changes: string[] = [];
  if (have.kind !== kindOf(w.moduleBytes)) changes.push('module');
  if (!isDeepStrictEqual(have.config ?? null, w.config ?? null)) changes.push('config');
  if (!isDeepStrictEqual(sortedSet(spec.capabilities), sortedSet(w.capabilities))) changes.push('capabilities');
  if (!isDeepStrictEqual(sortedSet(spec.tools ?? have.tools), sortedSet(w.tools))) changes.push('tools');
  if (spec.memoryLimitBytes !== w.memoryLimitBytes) changes.push('memoryLimitBytes');
  if (spec.timeLimitMs !== w.timeLimitMs) changes.push('timeLimitMs');
  if (spec.mailbox !== w.mailbox) changes.push('mailbox');
  if (spec.worker !== w.worker) changes.push('worker');
  if (spec.maxSendsPerSecond !== w.maxSendsPerSecond) changes.push('maxSendsPerSecond');
  if (have.state === 'failed') changes.push('state (failed)');
  return changes;
}

const sortedMap = (m: Record<string, string> | undefined): [string, string][] | undefined => (m ? Object.entries(m).sort(([a], [b]) => (a < b ? -1 : 1)) : undefined);

/** What differs between two tool server specs, by field (the server's sameSpec decides whether anything does). */
export function toolChanges(want: ToolServerSpec, have: ToolServerSpec): string[] {
  if (sameSpec(want, have)) return [];
  const changes: string[] = [];
  if (!!want.stdio !== !!have.stdio) changes.push('transport');
  else if (want.stdio && have.stdio) {
    if (want.stdio.command !== have.stdio.command) changes.push('command');
    if (!isDeepStrictEqual(want.stdio.args ?? [], have.stdio.args ?? [])) changes.push('args');
    if (!isDeepStrictEqual(sortedMap(want.stdio.env), sortedMap(have.stdio.env))) changes.push('env');
    if (want.stdio.cwd !== have.stdio.cwd) changes.push('cwd');
  } else if (want.http && have.http) {
    if (want.http.url !== have.http.url) changes.push('url');
    if (!isDeepStrictEqual(sortedMap(want.http.headers), sortedMap(have.http.headers))) changes.push('headers');
    if (want.http.tokenEnv !== have.http.tokenEnv) changes.push('tokenEnv');
  }
  if (want.timeoutMs !== have.timeoutMs) changes.push('timeoutMs');
  if (want.startTimeoutMs !== have.startTimeoutMs) changes.push('startTimeoutMs');
  return changes.length ? changes : ['spec'];
}

/** The spec a tool server was put with, from its JSON text (gRPC's spec_json); undefined when it cannot be read. */
export function specFromJson(json: string): ToolServerSpec | undefined {
  try {
    const spec = JSON.parse(json || 'null') as ToolServerSpec | null;
    return spec && typeof spec === 'object' ? spec : undefined;
  } catch {
    return undefined;
  }
}

/** Compare the manifest with the server's agents and tool servers (tested through the CLI and the MCP deploy tool). */
export function plan(fleet: Pick<Fleet, 'agents' | 'tools' | 'toolsDeclared'>, agents: readonly CurrentAgent[], tools: readonly CurrentToolServer[], prune: boolean): PlanStep[] {
  const steps: PlanStep[] = [];
  const toolsByName = new Map(tools.map((s) => [s.name, s]));
  for (const w of fleet.tools) {
    const have = toolsByName.get(w.name);
    if (!have) steps.push({ kind: 'toolServer', action: 'create', name: w.name, tool: w });
    else {
      const changes = have.spec ? toolChanges(w.spec, have.spec) : ['spec'];
      steps.push(changes.length ? { kind: 'toolServer', action: 'update', name: w.name, changes, tool: w } : { kind: 'toolServer', action: 'unchanged', name: w.name });
    }
  }
  const agentsByName = new Map(agents.map((a) => [a.name, a]));
  for (const w of fleet.agents) {
    const have = agentsByName.get(w.name);
    if (!have) {
      steps.push({ kind: 'agent', action: 'create', name: w.name, agent: w });
      continue;
    }
    const changes = agentChanges(w, have);
    steps.push(changes.length ? { kind: 'agent', action: 'update', name: w.name, changes, agent: w } : { kind: 'agent', action: 'unchanged', name: w.name });
  }
  if (prune) {
    const names = new Set(fleet.agents.map((w) => w.name));
    for (const a of agents) if (!names.has(a.name)) steps.push({ kind: 'agent', action: 'remove', name: a.name });
    // A manifest without a tools: section says nothing about tool servers: it leaves them alone.
    if (fleet.toolsDeclared) {
      const declared = new Set(fleet.tools.map((w) => w.name));
      for (const s of tools) if (!declared.has(s.name)) steps.push({ kind: 'toolServer', action: 'remove', name: s.name });
    }
  }
  return steps;
}

const SIGN: Record<Action, string> = { create: '+', update: '~', unchanged: '=', remove: '-' };

/** The plan for people: one line per step, then the counts. */
export function describePlan(steps: PlanStep[], toolsDeclared: boolean): string {
  const lines = steps.map((s) => `  ${SIGN[s.action]} ${s.action.padEnd(9)} ${s.kind === 'toolServer' ? 'tool server ' : ''}${s.name}${s.changes ? `  (${s.changes.join(', ')})` : ''}`);
  const count = (kind: Kind, a: Action): number => steps.filter((s) => s.kind === kind && s.action === a).length;
  const counts = (kind: Kind): string => `${count(kind, 'create')} to create, ${count(kind, 'update')} to update, ${count(kind, 'unchanged')} unchanged, ${count(kind, 'remove')} to remove`;
  const tools = toolsDeclared || steps.some((s) => s.kind === 'toolServer');
  lines.push(`plan: ${counts('agent')}${tools ? `; tool servers: ${counts('toolServer')}` : ''}`);
  return lines.join('\n');
}

/** A step as `caxton deploy -o json|yaml` and the MCP deploy tool show it. */
export interface StepView {
  kind: Kind;
  action: Action;
  name: string;
  changes?: string[];
}

export function stepView(s: PlanStep): StepView {
  return { kind: s.kind, action: s.action, name: s.name, ...(s.changes ? { changes: s.changes } : {}) };
}
