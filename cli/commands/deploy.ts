/**
 * `caxton deploy -f fleet.yaml`: idempotent apply of a fleet manifest, its
 * agents and its tool servers, over gRPC. The plan and the apply are
 * manifest/plan.ts and manifest/apply.ts, shared with the MCP deploy tool
 * (api/mcp/deploy.ts); this file is their CLI side: the server's agents and
 * tool servers read over gRPC, the plan and the progress printed, the
 * rejections turned into a DEPLOY_FAILED error and an exit code.
 *
 * Tool servers to create or update are put first (an agent's caxton_init may
 * call a tool), then the agents are applied, then the tool servers to remove
 * are removed. Before anything changes (and with --dry-run), every module to
 * deploy gets the server's module checks here, so a broken module stops the
 * apply with the running agents untouched. An agent the server still
 * refuses does not stop the others: every rejection is reported at the end,
 * with what was applied. A tool server the server refuses (its operator's
 * policy: TOOL_SERVER_NOT_ALLOWED) leaves the agents untouched: they may
 * need it. A tool server that was put but could not start is reported (its
 * last error) without failing the deploy: the server keeps trying it
 * (manifest/tool-report.ts, cli/commands/deploy-tools.ts).
 */
import cliProgress from 'cli-progress';
import { loadManifest, type ManifestAgent } from '../../manifest/index.js';
import { applyPlan, checkModules, stepLabel, type DeployTarget } from '../../manifest/apply.js';
import { describePlan, plan, specFromJson, stepView, type CurrentAgent, type PlanStep } from '../../manifest/plan.js';
import { reportFields, toolReport, unchangedStates, type ToolServerState } from '../../manifest/tool-report.js';
import { Connection, type ConnectionOptions } from '../client.js';
import { CliError, EXIT } from '../errors.js';
import { deployFailed, moduleRejections, rejection, type Rejection } from './deploy-report.js';
import { writeToolReport } from './deploy-tools.js';
import { defaultOutput, render } from '../output.js';
import type { Output } from '../options/output.js';
import type { Agent__Output } from '../../proto/generated/caxton/v1/Agent.js';
import type { DeployRequest } from '../../proto/generated/caxton/v1/DeployRequest.js';

function deployRequest(a: ManifestAgent): DeployRequest {
  return {
    name: a.name, module: a.moduleBytes, configJson: a.config === undefined ? '' : JSON.stringify(a.config), capabilities: a.capabilities,
    memoryLimitBytes: a.memoryLimitBytes ?? 0, timeLimitMs: a.timeLimitMs ?? 0, mailbox: a.mailbox ?? 0, worker: a.worker ?? 0,
    maxSendsPerSecond: a.maxSendsPerSecond ?? 0, tools: a.tools,
  };
}

/** An agent as the plan compares it: gRPC's, its config and deploy request parsed from JSON text. */
function currentAgent(a: Agent__Output): CurrentAgent {
  return { name: a.name, kind: a.kind, state: a.state, tools: a.tools, config: JSON.parse(a.configJson || 'null'), requested: JSON.parse(a.specJson || '{}') as CurrentAgent['requested'] };
}

/** `caxton deploy`'s options (cli/options/deploy.ts). */
export interface DeployArgs extends ConnectionOptions {
  file: string;
  'dry-run': boolean;
  prune: boolean;
  output?: Output;
}

/** The plan's changes over gRPC. Put answers once the tool server's first start has succeeded or failed. */
function grpcTarget(conn: Connection): DeployTarget {
  return {
    putToolServer: async (spec) => (await conn.call('tools', 'Put', { specJson: JSON.stringify(spec) }, 120_000)).server ?? undefined,
    removeToolServer: async (name) => {
      await conn.call('tools', 'Remove', { name });
    },
    deployAgent: async (a) => {
      await conn.call('agents', 'Deploy', deployRequest(a), 120_000);
    },
    undeployAgent: async (name) => {
      await conn.call('agents', 'Undeploy', { name });
    },
  };
}

export async function runDeploy(a: DeployArgs): Promise<void> {
  const fleet = loadManifest(a.file);
  const conn = new Connection(a);
  const output: Output = a.output ?? defaultOutput();
  try {
    const [{ agents }, servers] = await Promise.all([conn.call('agents', 'List', {}), conn.call('tools', 'List', {}).then((r) => r.servers, (e: unknown) => {
      // A server from before ToolService: fine for a manifest without a tools: section.
      if (e instanceof CliError && e.code === 'UNIMPLEMENTED' && !fleet.toolsDeclared) return [];
      throw e;
    })]);
    const steps = plan(fleet, agents.map(currentAgent), servers.map((s) => ({ name: s.name, spec: specFromJson(s.specJson) })), a.prune);
    const work = steps.filter((s) => s.action !== 'unchanged');
    // The server's own module checks, here, before anything changes (and with --dry-run).
    const bad = moduleRejections(fleet.file, checkModules(work));
    const view = steps.map(stepView);
    if (output === 'table') process.stdout.write(`${describePlan(steps, fleet.toolsDeclared)}\n`);
    if (bad.length) {
      if (output !== 'table') process.stdout.write(`${render({ plan: view, applied: false, rejected: bad.map(shown) }, output, () => '')}\n`);
      throw deployFailed(bad, []);
    }
    // The tool servers as they are now: those the plan leaves unchanged keep their state.
    const states: Map<string, ToolServerState> = unchangedStates(steps, servers);
    const known = new Set([...servers.map((s) => s.name), ...fleet.tools.map((w) => w.name)]);
    if (a['dry-run'] || work.length === 0) {
      const report = toolReport(fleet, states, known);
      writeToolReport(report);
      if (output !== 'table') process.stdout.write(`${render({ plan: view, applied: false, ...reportFields(report) }, output, () => '')}\n`);
      else if (work.length === 0) process.stdout.write('nothing to change\n');
      return;
    }
    const { applied, rejected, notTried } = await apply(conn, fleet.file, work, output, states);
    const report = toolReport(fleet, states, known);
    writeToolReport(report);
    if (output === 'table') {
      if (!rejected.length) process.stdout.write(`applied: ${applied.length} change(s)\n`);
    } else {
      const failed = rejected.length ? { rejected: rejected.map(shown), ...(notTried?.names.length ? { notTried: notTried.names } : {}) } : {};
      process.stdout.write(`${render({ plan: view, applied: applied.length > 0, ...failed, ...reportFields(report) }, output, () => '')}\n`);
    }
    if (rejected.length) throw deployFailed(rejected, applied, notTried);
  } finally {
    conn.close();
  }
}

/** A rejection as -o json/yaml show it. */
function shown(r: Rejection): Record<string, unknown> {
  return { ...(r.kind ? { kind: r.kind } : {}), name: r.name, action: r.action, code: r.code, message: r.message, hint: r.hint, ...(r.removed ? { removed: true } : {}) };
}

/**
 * Apply the steps (manifest/apply.ts) with a progress bar on a terminal, a
 * line per step otherwise; a rejection gets its exit code and its place in
 * the manifest. The server stopped answering when it is unreachable or
 * refuses the token.
 */
async function apply(conn: Connection, file: string, work: PlanStep[], output: Output, states: Map<string, ToolServerState>) {
  const bar = process.stderr.isTTY && output === 'table'
    ? new cliProgress.SingleBar({ format: 'applying [{bar}] {value}/{total} {name}', stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic)
    : undefined;
  bar?.start(work.length, 0, { name: '' });
  const toRejection = (e: unknown, s: PlanStep): Rejection => {
    const source = s.agent?.source ?? s.tool?.source;
    return rejection(e, s.name, s.action, source ? `${file}:${source.line}:${source.column}` : undefined, s.kind);
  };
  const result = await applyPlan(work, grpcTarget(conn), states, {
    stops: (e) => {
      if (!(e instanceof CliError)) throw e; // a bug, not a rejection
      return e.exitCode === EXIT.UNREACHABLE || (e.exitCode === EXIT.UNAUTHENTICATED && e.code === 'UNAUTHENTICATED');
    },
    starting: (s, done) => bar?.update(done, { name: stepLabel(s) }),
    applied: (s, line, done) => {
      bar?.update(done, { name: stepLabel(s) });
      if (!bar && output === 'table') process.stdout.write(`${line}\n`);
    },
  });
  bar?.stop();
  const rejected = result.failed.map((f) => {
    const r = toRejection(f.error, f.step);
    return f.removed ? { ...r, removed: true } : r;
  });
  return { applied: result.applied, rejected, ...(result.notTried ? { notTried: result.notTried } : {}) };
}
