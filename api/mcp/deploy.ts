/**
 * The deploy_manifest tool: a fleet manifest given as text, applied as
 * `caxton deploy -f` applies a file, with the same code: parse and validate
 * it (manifest/load.ts parseManifest), plan its agents and tool servers
 * against the server's (manifest/plan.ts), check every module to deploy
 * with the runtime's own checks before anything changes, then apply in
 * phases, tool servers first (manifest/apply.ts), going on past an agent the
 * server refuses. The answer carries the plan as data and as the text
 * `caxton deploy -f` prints, and what manifest/tool-report.ts finds about
 * the tool servers.
 *
 * Module bytes: over HTTP only from the tool's `modules` argument
 * (inlineModules: a path the client wrote is a key, never opened); `caxton
 * mcp` also reads files relative to its working directory.
 */
import { parseManifest, type ManifestAgent, type ModuleResolver } from '../../manifest/load.js';
import { applyPlan, checkModules, type DeployTarget } from '../../manifest/apply.js';
import { describePlan, plan, stepView, type StepView } from '../../manifest/plan.js';
import { reportFields, toolReport, unchangedStates, type ToolReport, type ToolServerState } from '../../manifest/tool-report.js';
import { ModuleNotInlineError } from '../../runtime/errors.js';
import type { DeployArgs } from '../control.js';
import { toCaxtonError } from '../errors.js';
import type { Backend } from './backend.js';
import { mayDeploy } from './caller.js';

/** How manifests given as text are named in messages ("manifest:3:13: ..."). */
export const MANIFEST_NAME = 'manifest';

export interface DeployToolArgs {
  manifest: string;
  modules?: Record<string, string>;
  prune?: boolean;
  dryRun?: boolean;
}

/** An agent or tool server the checks or the server refused. */
export interface Rejected {
  /** present for a tool server only (as `caxton deploy -o json` shows it) */
  kind?: 'toolServer';
  name: string;
  action: string;
  code: string;
  message: string;
  hint: string;
  /** an update whose old agent was removed before the new one was refused */
  removed?: boolean;
}

export interface DeployOutcome {
  plan: StepView[];
  /** the plan as `caxton deploy -f` prints it: a line per step, then the counts */
  planText: string;
  dryRun: boolean;
  /** "created tool server everything", "created echo", "updated counter", "removed old" in order */
  applied: string[];
  rejected: Rejected[];
  /** agents and tool servers not tried, because the server stopped answering or accepting (unreachable, token refused, draining), or a tool server was refused */
  notTried: string[];
  /** why they were not tried */
  notTriedWhy?: string;
  /** the manifest's tool servers that are down after the apply (the server keeps retrying them) */
  toolServersDown?: ToolReport['down'];
  /** allow-list entries naming no known tool server, or a tool a ready server lacks */
  warnings?: string[];
}

/**
 * Module bytes from the deploy tool's `modules` argument only, keyed by the
 * path as the manifest writes it. A path without bytes is MODULE_NOT_INLINE
 * whatever is at that path on this machine: nothing is opened, so the answer
 * says nothing about the server's files. `fallback` (caxton mcp) reads it instead.
 */
export function inlineModules(inline: Readonly<Record<string, string>>, fallback?: ModuleResolver): ModuleResolver {
  return (written, at) => {
    if (Object.hasOwn(inline, written)) return { path: written, bytes: () => Buffer.from(inline[written]!, 'base64') };
    if (fallback) return fallback(written, at);
    throw new ModuleNotInlineError(at.line, at.column, written);
  };
}

/** Codes after which the next steps are not tried: the server no longer answers or accepts. */
const STOPPERS = new Set(['UNAUTHENTICATED', 'PERMISSION_DENIED', 'SERVER_UNREACHABLE', 'SERVER_DRAINING', 'RUNTIME_NOT_RUNNING']);

function deployArgs(a: ManifestAgent): DeployArgs {
  const args: DeployArgs = { name: a.name, module: a.moduleBytes, capabilities: a.capabilities, tools: a.tools };
  if (a.config !== undefined) args.config = a.config;
  for (const k of ['memoryLimitBytes', 'timeLimitMs', 'mailbox', 'worker', 'maxSendsPerSecond'] as const) if (a[k] !== undefined) args[k] = a[k];
  return args;
}

function target(backend: Backend): DeployTarget {
  return {
    putToolServer: (spec) => backend.putToolServer(spec),
    removeToolServer: (name) => backend.removeToolServer(name),
    deployAgent: async (a) => {
      await backend.deploy(deployArgs(a));
    },
    undeployAgent: (name) => backend.undeploy(name),
  };
}

/** Apply `args.manifest`. Errors before anything changed (permission, manifest, module files) are thrown; refused steps are in the outcome. */
export async function deployManifest(args: DeployToolArgs, backend: Backend): Promise<DeployOutcome> {
  const denied = mayDeploy(backend.caller);
  if (denied) throw denied;
  const fleet = parseManifest(args.manifest, MANIFEST_NAME, backend.modules(args.modules ?? {}), MANIFEST_NAME, backend.manifestDir);
  const [agents, servers] = await Promise.all([backend.listAgents(), backend.listToolServers()]);
  const steps = plan(fleet, agents, servers, args.prune === true);
  const work = steps.filter((s) => s.action !== 'unchanged');
  const outcome: DeployOutcome = {
    plan: steps.map(stepView), planText: describePlan(steps, fleet.toolsDeclared), dryRun: args.dryRun === true, applied: [],
    rejected: checkModules(work).map(({ agent, action, code, message, hint }) => ({ name: agent.name, action, code, message, hint })), notTried: [],
  };
  if (outcome.rejected.length) return outcome;
  // The tool servers as they are now: those the plan leaves unchanged keep their state.
  const states: Map<string, ToolServerState> = unchangedStates(steps, servers);
  const known = new Set([...servers.map((s) => s.name), ...fleet.tools.map((w) => w.name)]);
  if (!outcome.dryRun && work.length) {
    const result = await applyPlan(work, target(backend), states, { stops: (e) => STOPPERS.has(toCaxtonError(e).code) });
    outcome.applied = result.applied;
    outcome.rejected = result.failed.map(({ step, error, removed }) => {
      const c = toCaxtonError(error);
      return { ...(step.kind === 'toolServer' ? { kind: 'toolServer' as const } : {}), name: step.name, action: step.action, code: c.code, message: c.message, hint: c.hint, ...(removed ? { removed } : {}) };
    });
    if (result.notTried?.names.length) {
      outcome.notTried = result.notTried.names;
      outcome.notTriedWhy = result.notTried.why;
    }
  }
  return { ...outcome, ...reportFields(toolReport(fleet, states, known)) };
}

/** One line per refused agent or tool server, after the outcome's JSON: what a person or a model reads first. */
export function deploySummary(o: DeployOutcome): string {
  const lines = o.rejected.map((r) => `${r.kind === 'toolServer' ? 'tool server' : 'agent'} "${r.name}" (${r.action}): ${r.code}: ${r.message}\n  hint: ${r.hint}`);
  const tools = o.rejected.filter((r) => r.kind === 'toolServer').length;
  const agents = o.rejected.length - tools;
  const who = [tools ? `${tools} tool server(s)` : '', agents ? `${agents} agent(s)` : ''].filter(Boolean).join(' and ');
  const what = o.applied.length ? `applied: ${o.applied.join(', ')}` : 'nothing was changed';
  const skipped = o.notTried.length ? `; not tried (${o.notTriedWhy ?? 'the server stopped answering'}): ${o.notTried.join(', ')}` : '';
  return `DEPLOY_FAILED: ${who} refused; ${what}${skipped}\n${lines.join('\n')}`;
}
