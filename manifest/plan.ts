/**
 * What applying a fleet manifest changes: each agent of the manifest
 * compared with the server's agent of the same name.
 *   create     named in the manifest, not on the server
 *   update     on the server but different from the manifest: module (content
 *              hash), config, capabilities or a limit, as the last deploy
 *              asked for them
 *   unchanged  the same
 *   remove     on the server, not in the manifest (only with prune)
 * Pure, so that `caxton deploy -f` (over gRPC) and the MCP deploy tool (over
 * gRPC in `caxton mcp`, over the operations on /mcp) plan alike.
 */
import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { ManifestAgent } from './load.js';

export type Action = 'create' | 'update' | 'unchanged' | 'remove';

export interface PlanStep {
  action: Action;
  name: string;
  /** what differs (update) */
  changes?: string[];
  agent?: ManifestAgent;
}

/** A deployed agent as the plan compares it: REST's view of it (GET /v1/agents), or gRPC's with configJson and specJson parsed. */
export interface CurrentAgent {
  name: string;
  /** content hash of its module */
  kind: string;
  state: string;
  /** the config it was deployed with (null when none) */
  config: unknown;
  /** limits and capabilities as its deploy asked for them */
  requested: { capabilities?: string[]; memoryLimitBytes?: number; timeLimitMs?: number; mailbox?: number; worker?: number; maxSendsPerSecond?: number };
}

/** The server's `kind` of a module: the first 16 hex digits of its SHA-256. */
export function kindOf(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 16);
}

/** Compare the manifest with the server's agents. */
export function plan(wanted: ManifestAgent[], current: CurrentAgent[], prune: boolean): PlanStep[] {
  const byName = new Map(current.map((a) => [a.name, a]));
  const steps: PlanStep[] = [];
  for (const w of wanted) {
    const have = byName.get(w.name);
    if (!have) {
      steps.push({ action: 'create', name: w.name, agent: w });
      continue;
    }
    // Compared with the deploy request as it was made (`requested`), not with
    // what the server made of it (memory rounded to pages, capabilities
    // registered by the agent itself at run time).
    const spec = have.requested ?? {};
    const changes: string[] = [];
    if (have.kind !== kindOf(w.moduleBytes)) changes.push('module');
    if (!isDeepStrictEqual(have.config ?? null, w.config ?? null)) changes.push('config');
    if (!isDeepStrictEqual([...new Set(spec.capabilities ?? [])].sort(), [...new Set(w.capabilities)].sort())) changes.push('capabilities');
    if (spec.memoryLimitBytes !== w.memoryLimitBytes) changes.push('memoryLimitBytes');
    if (spec.timeLimitMs !== w.timeLimitMs) changes.push('timeLimitMs');
    if (spec.mailbox !== w.mailbox) changes.push('mailbox');
    if (spec.worker !== w.worker) changes.push('worker');
    if (spec.maxSendsPerSecond !== w.maxSendsPerSecond) changes.push('maxSendsPerSecond');
    if (have.state === 'failed') changes.push('state (failed)');
    steps.push(changes.length ? { action: 'update', name: w.name, changes, agent: w } : { action: 'unchanged', name: w.name });
  }
  if (prune) {
    const names = new Set(wanted.map((w) => w.name));
    for (const a of current) if (!names.has(a.name)) steps.push({ action: 'remove', name: a.name });
  }
  return steps;
}
