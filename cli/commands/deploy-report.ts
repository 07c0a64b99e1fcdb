/**
 * What `caxton deploy -f` finds wrong, agent by agent and tool server by
 * tool server: the module checks made before anything changes (the runtime's
 * own: runtime/module/abi.ts) and the server's rejections while applying.
 * Every rejection is reported at once, with its code, message and hint, and
 * what was applied.
 */
import { CliError, EXIT } from '../errors.js';
import type { ModuleRejection, NotTried } from '../../manifest/apply.js';

/** One agent or tool server the check or the server refused. */
export interface Rejection {
  /** default: an agent */
  kind?: 'agent' | 'toolServer';
  name: string;
  /** create, update, remove */
  action: string;
  code: string;
  message: string;
  hint: string;
  exitCode: number;
  /** where the manifest declares it */
  at?: string;
  /** an update whose old agent was removed before the new one was refused */
  removed?: boolean;
}

/** The modules the runtime's checks refuse (manifest/apply.ts checkModules), at their place in `file`. */
export function moduleRejections(file: string, bad: readonly ModuleRejection[]): Rejection[] {
  return bad.map(({ agent, action, code, message, hint }) => ({ name: agent.name, action, code, message, hint, exitCode: EXIT.USAGE, at: `${file}:${agent.source.line}:${agent.source.column}` }));
}

/** A rejection from a CliError (the server's code, message and hint, with the exit code of its gRPC status). */
export function rejection(e: unknown, name: string, action: string, at?: string, kind: 'agent' | 'toolServer' = 'agent'): Rejection {
  if (e instanceof CliError) return { ...(kind === 'toolServer' ? { kind } : {}), name, action, code: e.code, message: e.message, hint: e.hint, exitCode: e.exitCode, ...(at ? { at } : {}) };
  throw e;
}

function counted(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}

/**
 * The error that ends a deploy with rejections: one line per rejected agent
 * or tool server, what was applied and what was not tried. The exit code is
 * the first rejection's.
 */
export function deployFailed(rejected: Rejection[], applied: string[], notTried?: NotTried): CliError {
  const lines = rejected.map((r) => {
    const what = r.kind === 'toolServer' ? 'tool server' : 'agent';
    const removed = r.removed ? ` (the old ${what} was removed; the new one was not deployed)` : '';
    // The runtime's messages start with the agent's name, given once here already.
    const message = r.message.startsWith(`agent "${r.name}": `) ? r.message.slice(`agent "${r.name}": `.length) : r.message;
    return `  ${r.at ? `${r.at}: ` : ''}${what} "${r.name}" (${r.action}): ${r.code}: ${message}${removed}${r.hint ? `\n    hint: ${r.hint}` : ''}`;
  });
  const tools = rejected.filter((r) => r.kind === 'toolServer').length;
  const agents = rejected.length - tools;
  const who = [tools ? counted(tools, 'tool server') : '', agents ? counted(agents, 'agent') : ''].filter(Boolean).join(' and ');
  const count = `${who} ${rejected.length === 1 ? 'was' : 'were'} rejected`;
  const what = applied.length ? `applied: ${applied.join(', ')}` : 'nothing was changed';
  const skipped = notTried?.names.length ? `; not tried (${notTried.why}): ${notTried.names.join(', ')}` : '';
  return new CliError(`${count}; ${what}${skipped}\n${lines.join('\n')}`, 'DEPLOY_FAILED',
    `Fix each ${tools && agents ? 'one' : tools ? 'tool server' : 'agent'} as its own hint says (docs/errors.md explains every code), then deploy again: it changes only what still differs.`,
    rejected[0]?.exitCode ?? EXIT.INTERNAL);
}
