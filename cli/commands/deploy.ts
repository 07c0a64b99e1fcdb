/**
 * `caxton deploy -f fleet.yaml`: idempotent apply of a fleet manifest, its
 * agents and its tool servers (the plan is cli/commands/deploy-plan.ts).
 *
 * Tool servers to create or update are put first (an agent's caxton_init may
 * call a tool), then the agents are applied, then the tool servers to remove
 * are removed. An agent update is a remove then a deploy of the new spec:
 * messages still queued for the old agent are dead-lettered (AGENT_GONE); a
 * tool server update replaces the server (ToolService.Put). Before anything
 * changes (and with --dry-run), every module to deploy gets the server's
 * module checks here (cli/commands/deploy-report.ts), so a broken module
 * stops the apply with the running agents untouched. An agent the server
 * still refuses does not stop the others: every rejection is reported at the
 * end, with what was applied. A tool server the server refuses (its
 * operator's policy: TOOL_SERVER_NOT_ALLOWED) leaves the agents untouched:
 * they may need it. A tool server that was put but could not start is
 * reported (its last error) without failing the deploy: the server keeps
 * trying it (cli/commands/deploy-tools.ts).
 */
import cliProgress from 'cli-progress';
import { loadManifest } from '../../manifest/index.js';
import { Connection, type ConnectionOptions } from '../client.js';
import { CliError, EXIT } from '../errors.js';
import { checkModules, deployFailed, rejection, type NotTried, type Rejection } from './deploy-report.js';
import { describePlan, plan, stepView, type PlanStep } from './deploy-plan.js';
import { toolReport, writeToolReport, type ToolReport } from './deploy-tools.js';
import { defaultOutput, render } from '../output.js';
import type { Output } from '../options/output.js';
import type { DeployRequest } from '../../proto/generated/caxton/v1/DeployRequest.js';
import type { ManifestAgent } from '../../manifest/index.js';
import type { ToolServer__Output } from '../../proto/generated/caxton/v1/ToolServer.js';

function deployRequest(a: ManifestAgent): DeployRequest {
  return {
    name: a.name, module: a.moduleBytes, configJson: a.config === undefined ? '' : JSON.stringify(a.config), capabilities: a.capabilities,
    memoryLimitBytes: a.memoryLimitBytes ?? 0, timeLimitMs: a.timeLimitMs ?? 0, mailbox: a.mailbox ?? 0, worker: a.worker ?? 0,
    maxSendsPerSecond: a.maxSendsPerSecond ?? 0, tools: a.tools,
  };
}

/** `caxton deploy`'s options (cli/options/deploy.ts). */
export interface DeployArgs extends ConnectionOptions {
  file: string;
  'dry-run': boolean;
  prune: boolean;
  output?: Output;
}

/** What -o json/yaml add about tool servers: those down, and warnings about allow-lists. */
function reportFields(r: ToolReport): Record<string, unknown> {
  return { ...(r.down.length ? { toolServersDown: r.down } : {}), ...(r.warnings.length ? { warnings: r.warnings } : {}) };
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
    const steps = plan(fleet, agents, servers, a.prune);
    const work = steps.filter((s) => s.action !== 'unchanged');
    // The server's own module checks, here, before anything changes (and with --dry-run).
    const bad = checkModules(fleet.file, work);
    const view = steps.map(stepView);
    if (output === 'table') process.stdout.write(`${describePlan(steps, fleet.toolsDeclared)}\n`);
    if (bad.length) {
      if (output !== 'table') process.stdout.write(`${render({ plan: view, applied: false, rejected: bad.map(shown) }, output, () => '')}\n`);
      throw deployFailed(bad, []);
    }
    // The tool servers as they are now: those the plan leaves unchanged keep their state.
    const states = new Map(servers.filter((s) => steps.some((p) => p.kind === 'toolServer' && p.name === s.name && p.action === 'unchanged')).map((s) => [s.name, s]));
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

const DONE = { create: 'created', update: 'updated', remove: 'removed', unchanged: 'unchanged' } as const;

/** One step on the server; a tool server put records its state in `states`. */
async function applyStep(conn: Connection, s: PlanStep, states: Map<string, ToolServer__Output>, removed: () => void): Promise<void> {
  if (s.kind === 'toolServer') {
    if (s.action === 'remove') {
      await conn.call('tools', 'Remove', { name: s.name });
      states.delete(s.name);
      return;
    }
    // Put answers once the server's first start has succeeded or failed.
    const r = await conn.call('tools', 'Put', { specJson: JSON.stringify(s.tool!.spec) }, 120_000);
    if (r.server) states.set(s.name, r.server);
    return;
  }
  if (s.action === 'remove' || s.action === 'update') {
    await conn.call('agents', 'Undeploy', { name: s.name });
    removed();
  }
  if (s.action === 'create' || s.action === 'update') await conn.call('agents', 'Deploy', deployRequest(s.agent!), 120_000);
}

/**
 * Apply the steps: tool servers to put, then agents, then tool servers to
 * remove. A step the server refuses is recorded and the rest of its phase
 * still applied; a refused tool server leaves the agents and removals
 * untried, and a server that stops answering (unreachable, or the token
 * refused) everything after it.
 */
async function apply(conn: Connection, file: string, work: PlanStep[], output: Output, states: Map<string, ToolServer__Output>):
  Promise<{ applied: string[]; rejected: Rejection[]; notTried?: NotTried }> {
  const bar = process.stderr.isTTY && output === 'table'
    ? new cliProgress.SingleBar({ format: 'applying [{bar}] {value}/{total} {name}', stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic)
    : undefined;
  bar?.start(work.length, 0, { name: '' });
  const phases = [
    work.filter((s) => s.kind === 'toolServer' && s.action !== 'remove'),
    work.filter((s) => s.kind === 'agent'),
    work.filter((s) => s.kind === 'toolServer' && s.action === 'remove'),
  ];
  const ordered = phases.flat();
  const applied: string[] = [];
  const rejected: Rejection[] = [];
  const label = (s: PlanStep): string => `${s.kind === 'toolServer' ? 'tool server ' : ''}${s.name}`;
  const rest = (from: number): string[] => ordered.slice(from).map(label);
  let done = 0;
  let notTried: NotTried | undefined;
  for (const [p, phase] of phases.entries()) {
    for (const s of phase) {
      bar?.update(done, { name: label(s) });
      const source = s.agent?.source ?? s.tool?.source;
      let removed = false;
      try {
        await applyStep(conn, s, states, () => { removed = true; });
      } catch (e) {
        const r = rejection(e, s.name, s.action, source ? `${file}:${source.line}:${source.column}` : undefined, s.kind);
        rejected.push(s.action === 'update' && removed ? { ...r, removed: true } : r);
        done++;
        if (r.exitCode === EXIT.UNREACHABLE || (r.exitCode === EXIT.UNAUTHENTICATED && r.code === 'UNAUTHENTICATED')) {
          notTried = { names: rest(done), why: 'the server stopped answering' };
          bar?.stop();
          return { applied, rejected, notTried };
        }
        continue;
      }
      done++;
      applied.push(`${DONE[s.action]} ${label(s)}`);
      bar?.update(done, { name: label(s) });
      if (!bar && output === 'table') process.stdout.write(`${DONE[s.action]} ${label(s)}\n`);
    }
    if (p === 0 && rejected.length) {
      notTried = { names: rest(done), why: 'a tool server was refused, so the agents were left as they are' };
      break;
    }
  }
  bar?.stop();
  return { applied, rejected, ...(notTried ? { notTried } : {}) };
}
