/**
 * Applying a plan (./plan.ts) to a server, the one way `caxton deploy -f`
 * and the MCP deploy tool both apply it; only how they reach the server (a
 * DeployTarget) and how they tell that it stopped answering differ.
 *
 * Before anything changes (and on a dry run), checkModules() puts every
 * module to deploy through the runtime's own checks (runtime/module/abi.ts):
 * a module the server would refuse stops the apply with nothing changed.
 *
 * applyPlan() then goes in three phases: tool servers to create or update
 * (an agent's caxton_init may call a tool), the agents, the tool servers to
 * remove. An agent update is a remove then a deploy of the new spec
 * (messages still queued for the old agent are dead-lettered AGENT_GONE); a
 * tool server update replaces the server. A step the server refuses is
 * recorded and the rest of its phase still applied; a refused tool server
 * leaves the agents and removals untried (they may need it), and a server
 * that stops answering everything after it.
 */
import { checkTables, validateAgentModule } from '../runtime/module/abi.js';
import { isCaxtonError } from '../runtime/errors.js';
import type { ModuleShape } from '../runtime/module/inspect.js';
import type { ToolServerSpec } from '../runtime/tools/spec.js';
import type { ManifestAgent } from './load.js';
import type { Action, PlanStep } from './plan.js';
import type { ToolServerState } from './tool-report.js';

/** The changes a plan makes, on some server. */
export interface DeployTarget {
  /** add or replace a tool server; resolves once its first start has succeeded or failed, with its state */
  putToolServer(spec: ToolServerSpec): Promise<ToolServerState | undefined>;
  removeToolServer(name: string): Promise<void>;
  deployAgent(agent: ManifestAgent): Promise<void>;
  undeployAgent(name: string): Promise<void>;
}

/** A module the runtime's checks refuse. */
export interface ModuleRejection {
  agent: ManifestAgent;
  action: Action;
  code: string;
  message: string;
  hint: string;
}

/**
 * The checks the server makes on a module at deploy (structure, imports and
 * their signatures, exports, memory import, interrupt-check rewrite) and,
 * when the manifest gives memoryLimitBytes, its tables against that limit,
 * for every agent a step deploys: every failure. ABI version and caxton_init
 * are asked when the agent starts, on the server.
 */
export function checkModules(steps: readonly PlanStep[]): ModuleRejection[] {
  const interruptChecks = process.env.CAXTON_INTERRUPT_CHECKS !== 'off';
  // Agents from the same file share one buffer: compile it once (a failure again per agent, for its name).
  const passed = new Map<Uint8Array, ModuleShape>();
  const out: ModuleRejection[] = [];
  for (const { action, agent } of steps) {
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
      out.push({ agent, action, code: e.code, message: e.message, hint: e.hint });
    }
  }
  return out;
}

/** A step the server refused: its error as thrown by the target, and whether an update's old agent was removed first. */
export interface StepFailure {
  step: PlanStep;
  error: unknown;
  removed: boolean;
}

/** Steps left untried, and why. */
export interface NotTried {
  names: string[];
  why: string;
}

export interface ApplyResult {
  /** "created tool server everything", "updated proxy", "removed old", in the order applied */
  applied: string[];
  failed: StepFailure[];
  notTried?: NotTried;
}

export interface ApplyHooks {
  /** whether, after this error, the server no longer answers or accepts (unreachable, token refused...): the rest is not tried */
  stops(e: unknown): boolean;
  /** a step about to be applied, after `done` others */
  starting?(s: PlanStep, done: number): void;
  /** a step applied (`line`: what `applied` records), `done` now counting it */
  applied?(s: PlanStep, line: string, done: number): void;
}

/** A step's name as reports write it: `tool server everything`, `proxy`. */
export function stepLabel(s: Pick<PlanStep, 'kind' | 'name'>): string {
  return `${s.kind === 'toolServer' ? 'tool server ' : ''}${s.name}`;
}

const DONE = { create: 'created', update: 'updated', remove: 'removed', unchanged: 'unchanged' } as const;

/** One step on the server; a tool server put records its state in `states`. */
async function applyStep(target: DeployTarget, s: PlanStep, states: Map<string, ToolServerState>, removed: () => void): Promise<void> {
  if (s.kind === 'toolServer') {
    if (s.action === 'remove') {
      await target.removeToolServer(s.name);
      states.delete(s.name);
      return;
    }
    const server = await target.putToolServer(s.tool!.spec);
    if (server) states.set(s.name, server);
    return;
  }
  if (s.action === 'remove' || s.action === 'update') {
    await target.undeployAgent(s.name);
    removed();
  }
  if (s.action === 'create' || s.action === 'update') await target.deployAgent(s.agent!);
}

/**
 * Apply the steps that change something (`work`: the plan without its
 * unchanged steps), in phases. `states` gets the state of each tool server
 * put and loses each one removed (for ./tool-report.ts).
 */
export async function applyPlan(work: readonly PlanStep[], target: DeployTarget, states: Map<string, ToolServerState>, hooks: ApplyHooks): Promise<ApplyResult> {
  const phases = [
    work.filter((s) => s.kind === 'toolServer' && s.action !== 'remove'),
    work.filter((s) => s.kind === 'agent'),
    work.filter((s) => s.kind === 'toolServer' && s.action === 'remove'),
  ];
  const ordered = phases.flat();
  const applied: string[] = [];
  const failed: StepFailure[] = [];
  const rest = (from: number): string[] => ordered.slice(from).map(stepLabel);
  let done = 0;
  for (const [p, phase] of phases.entries()) {
    for (const s of phase) {
      hooks.starting?.(s, done);
      let removed = false;
      try {
        await applyStep(target, s, states, () => { removed = true; });
      } catch (error) {
        failed.push({ step: s, error, removed: s.action === 'update' && removed });
        done++;
        if (hooks.stops(error)) return { applied, failed, notTried: { names: rest(done), why: 'the server stopped answering' } };
        continue;
      }
      done++;
      const line = `${DONE[s.action]} ${stepLabel(s)}`;
      applied.push(line);
      hooks.applied?.(s, line, done);
    }
    if (p === 0 && failed.length) {
      const names = rest(done);
      return { applied, failed, ...(names.length ? { notTried: { names, why: 'a tool server was refused, so the agents were left as they are' } } : {}) };
    }
  }
  return { applied, failed };
}
