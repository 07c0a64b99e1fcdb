/**
 * `caxton deploy -f fleet.yaml`: idempotent apply of a fleet manifest.
 *
 * The plan compares the manifest with the server's agents:
 *   create     named in the manifest, not on the server
 *   update     on the server but different from the manifest: module (content
 *              hash), config, capabilities or a limit, as the last deploy
 *              asked for them
 *   unchanged  the same
 *   remove     on the server, not in the manifest (only with --prune)
 * An update is a remove then a deploy of the new spec: messages still queued
 * for the old agent are dead-lettered (AGENT_GONE). Before anything changes
 * (and with --dry-run), every module to deploy gets the server's module
 * checks here (cli/commands/deploy-report.ts), so a broken module stops the
 * apply with the running agents untouched. An agent the server still refuses
 * does not stop the others: every rejection is reported at the end, with
 * what was applied.
 */
import cliProgress from 'cli-progress';
import { loadManifest, type ManifestAgent } from '../manifest.js';
import { plan, type Action, type CurrentAgent, type PlanStep } from '../manifest/plan.js';
import { Connection, type ConnectionOptions } from '../client.js';
import { EXIT } from '../errors.js';
import { checkModules, deployFailed, rejection, type Rejection } from './deploy-report.js';
import { defaultOutput, render } from '../output.js';
import type { Output } from '../options/output.js';
import type { Agent__Output } from '../../proto/generated/caxton/v1/Agent.js';
import type { DeployRequest } from '../../proto/generated/caxton/v1/DeployRequest.js';

/** An agent of the server as the plan compares it (cli/manifest/plan.ts): its config and spec parsed. */
function current(a: Agent__Output): CurrentAgent {
  return { name: a.name, kind: a.kind, state: a.state, config: JSON.parse(a.configJson || 'null'), requested: JSON.parse(a.specJson || '{}') as CurrentAgent['requested'] };
}

const SIGN: Record<Action, string> = { create: '+', update: '~', unchanged: '=', remove: '-' };

function describe(steps: PlanStep[]): string {
  const lines = steps.map((s) => `  ${SIGN[s.action]} ${s.action.padEnd(9)} ${s.name}${s.changes ? `  (${s.changes.join(', ')})` : ''}`);
  const count = (a: Action): number => steps.filter((s) => s.action === a).length;
  lines.push(`plan: ${count('create')} to create, ${count('update')} to update, ${count('unchanged')} unchanged, ${count('remove')} to remove`);
  return lines.join('\n');
}

function deployRequest(a: ManifestAgent): DeployRequest {
  return {
    name: a.name, module: a.moduleBytes, configJson: a.config === undefined ? '' : JSON.stringify(a.config), capabilities: a.capabilities,
    memoryLimitBytes: a.memoryLimitBytes ?? 0, timeLimitMs: a.timeLimitMs ?? 0, mailbox: a.mailbox ?? 0, worker: a.worker ?? 0,
    maxSendsPerSecond: a.maxSendsPerSecond ?? 0,
  };
}

/** `caxton deploy`'s options (cli/options/deploy.ts). */
export interface DeployArgs extends ConnectionOptions {
  file: string;
  'dry-run': boolean;
  prune: boolean;
  output?: Output;
}

export async function runDeploy(a: DeployArgs): Promise<void> {
  const fleet = loadManifest(a.file);
  const conn = new Connection(a);
  const output: Output = a.output ?? defaultOutput();
  try {
    const { agents } = await conn.call('agents', 'List', {});
    const steps = plan(fleet.agents, agents.map(current), a.prune);
    const work = steps.filter((s) => s.action !== 'unchanged');
    // The server's own module checks, here, before anything changes (and with --dry-run).
    const bad = checkModules(fleet.file, work);
    const view = steps.map(({ action, name, changes }) => ({ action, name, ...(changes ? { changes } : {}) }));
    if (output === 'table') process.stdout.write(`${describe(steps)}\n`);
    if (bad.length) {
      if (output !== 'table') process.stdout.write(`${render({ plan: view, applied: false, rejected: bad.map(shown) }, output, () => '')}\n`);
      throw deployFailed(bad, [], []);
    }
    if (a['dry-run'] || work.length === 0) {
      if (output !== 'table') process.stdout.write(`${render({ plan: view, applied: false }, output, () => '')}\n`);
      else if (work.length === 0) process.stdout.write('nothing to change\n');
      return;
    }
    const { applied, rejected, notTried } = await apply(conn, fleet.file, work, output);
    if (output === 'table') {
      if (!rejected.length) process.stdout.write(`applied: ${applied.length} change(s)\n`);
    } else {
      process.stdout.write(`${render({ plan: view, applied: applied.length > 0, ...(rejected.length ? { rejected: rejected.map(shown), ...(notTried.length ? { notTried } : {}) } : {}) }, output, () => '')}\n`);
    }
    if (rejected.length) throw deployFailed(rejected, applied, notTried);
  } finally {
    conn.close();
  }
}

/** A rejection as -o json/yaml show it. */
function shown(r: Rejection): Record<string, unknown> {
  return { name: r.name, action: r.action, code: r.code, message: r.message, hint: r.hint, ...(r.removed ? { removed: true } : {}) };
}

/**
 * Apply the steps in order. A step the server refuses is recorded and the
 * rest still applied; only when the server stops answering (unreachable, or
 * the token refused) are the remaining steps left untried.
 */
async function apply(conn: Connection, file: string, work: PlanStep[], output: Output): Promise<{ applied: string[]; rejected: Rejection[]; notTried: string[] }> {
  const bar = process.stderr.isTTY && output === 'table'
    ? new cliProgress.SingleBar({ format: 'applying [{bar}] {value}/{total} {name}', stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic)
    : undefined;
  bar?.start(work.length, 0, { name: '' });
  const applied: string[] = [];
  const rejected: Rejection[] = [];
  const notTried: string[] = [];
  for (const [i, s] of work.entries()) {
    bar?.update(i, { name: s.name });
    const at = s.agent ? `${file}:${s.agent.source.line}:${s.agent.source.column}` : undefined;
    let removed = false;
    try {
      if (s.action === 'remove' || s.action === 'update') {
        await conn.call('agents', 'Undeploy', { name: s.name });
        removed = true;
      }
      if (s.action === 'create' || s.action === 'update') await conn.call('agents', 'Deploy', deployRequest(s.agent!), 120_000);
    } catch (e) {
      const r = rejection(e, s.name, s.action, at);
      rejected.push(s.action === 'update' && removed ? { ...r, removed: true } : r);
      if (r.exitCode === EXIT.UNREACHABLE || r.exitCode === EXIT.UNAUTHENTICATED) {
        notTried.push(...work.slice(i + 1).map((w) => w.name));
        break;
      }
      continue;
    }
    const done = s.action === 'remove' ? 'removed' : s.action === 'create' ? 'created' : 'updated';
    applied.push(`${done} ${s.name}`);
    bar?.update(i + 1, { name: s.name });
    if (!bar && output === 'table') process.stdout.write(`${done} ${s.name}\n`);
  }
  bar?.stop();
  return { applied, rejected, notTried };
}
