/**
 * The deploy_manifest tool: a fleet manifest given as text, applied as
 * `caxton deploy -f` applies a file (cli/commands/deploy.ts): parse and
 * validate it (cli/manifest/load.ts parseManifest), plan against the
 * deployed agents (cli/manifest/plan.ts), check every module to deploy with
 * the runtime's own checks before anything changes, then remove and deploy
 * agent by agent, going on past an agent the server refuses.
 *
 * Module bytes: over HTTP only from the tool's `modules` argument
 * (inlineModules: a path the client wrote is a key, never opened); `caxton
 * mcp` also reads files relative to its working directory.
 */
import { parseManifest, type ModuleResolver } from '../../manifest/load.js';
import { plan, type PlanStep } from '../../manifest/plan.js';
import { checkTables, validateAgentModule } from '../../runtime/module/abi.js';
import { ModuleNotInlineError, isCaxtonError } from '../../runtime/errors.js';
import type { ModuleShape } from '../../runtime/module/inspect.js';
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

/** An agent the checks or the server refused. */
export interface Rejected {
  name: string;
  action: string;
  code: string;
  message: string;
  hint: string;
  /** an update whose old agent was removed before the new one was refused */
  removed?: boolean;
}

export interface DeployOutcome {
  plan: { action: string; name: string; changes?: string[] }[];
  dryRun: boolean;
  /** "created echo", "updated counter", "removed old" in order */
  applied: string[];
  rejected: Rejected[];
  /** agents not tried because the server stopped answering or accepting (unreachable, token refused, draining) */
  notTried: string[];
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

/** The runtime's checks of each module to deploy (runtime/module/abi.ts), as the CLI makes them before an apply: every failure. */
function checkModules(work: PlanStep[]): Rejected[] {
  const interruptChecks = process.env.CAXTON_INTERRUPT_CHECKS !== 'off';
  const passed = new Map<Uint8Array, ModuleShape>();
  const out: Rejected[] = [];
  for (const { action, agent } of work) {
    if (!agent) continue;
    try {
      let shape = passed.get(agent.moduleBytes);
      if (!shape) {
        shape = validateAgentModule(agent.name, agent.moduleBytes, { interruptChecks }).shape;
        passed.set(agent.moduleBytes, shape);
      }
      if (agent.memoryLimitBytes !== undefined) checkTables(agent.name, shape, agent.memoryLimitBytes);
    } catch (e) {
      if (!isCaxtonError(e)) throw e;
      out.push({ name: agent.name, action, code: e.code, message: e.message, hint: e.hint });
    }
  }
  return out;
}

/** Codes after which the next agents are not tried: the server no longer answers or accepts. */
const STOPPERS = new Set(['UNAUTHENTICATED', 'PERMISSION_DENIED', 'SERVER_UNREACHABLE', 'SERVER_DRAINING', 'RUNTIME_NOT_RUNNING']);

function deployArgs(step: PlanStep): DeployArgs {
  const a = step.agent!;
  const args: DeployArgs = { name: a.name, module: a.moduleBytes, capabilities: a.capabilities };
  if (a.config !== undefined) args.config = a.config;
  for (const k of ['memoryLimitBytes', 'timeLimitMs', 'mailbox', 'worker', 'maxSendsPerSecond'] as const) if (a[k] !== undefined) args[k] = a[k];
  return args;
}

/** Apply `args.manifest`. Errors before anything changed (permission, manifest, module files) are thrown; refused agents are in the outcome. */
export async function deployManifest(args: DeployToolArgs, backend: Backend): Promise<DeployOutcome> {
  const denied = mayDeploy(backend.caller);
  if (denied) throw denied;
  const fleet = parseManifest(args.manifest, MANIFEST_NAME, backend.modules(args.modules ?? {}));
  const steps = plan(fleet.agents, await backend.listAgents(), args.prune === true);
  const work = steps.filter((s) => s.action !== 'unchanged');
  const outcome: DeployOutcome = {
    plan: steps.map(({ action, name, changes }) => ({ action, name, ...(changes ? { changes } : {}) })),
    dryRun: args.dryRun === true, applied: [], rejected: checkModules(work), notTried: [],
  };
  if (outcome.dryRun || outcome.rejected.length) return outcome;
  for (const [i, s] of work.entries()) {
    let removed = false;
    try {
      if (s.action === 'remove' || s.action === 'update') {
        await backend.undeploy(s.name);
        removed = true;
      }
      if (s.action === 'create' || s.action === 'update') await backend.deploy(deployArgs(s));
    } catch (e) {
      const c = toCaxtonError(e);
      outcome.rejected.push({ name: s.name, action: s.action, code: c.code, message: c.message, hint: c.hint, ...(s.action === 'update' && removed ? { removed } : {}) });
      if (STOPPERS.has(c.code)) {
        outcome.notTried.push(...work.slice(i + 1).map((w) => w.name));
        break;
      }
      continue;
    }
    outcome.applied.push(`${s.action === 'remove' ? 'removed' : s.action === 'create' ? 'created' : 'updated'} ${s.name}`);
  }
  return outcome;
}
