/**
 * What a deploy says about a fleet's tool servers after the apply (or, on a
 * dry run and when nothing changes, as they are): those that are down (put,
 * but their start failed: the server keeps retrying them) with their last
 * error, and allow-list entries that name a tool server nobody declared or
 * a tool a ready server does not offer. Warnings, not failures: the deploy
 * itself succeeded. `caxton deploy -f` writes them on stderr (and in -o
 * json/yaml), the MCP deploy tool returns them (toolServersDown, warnings).
 */
import { editDistance } from '../runtime/did-you-mean.js';
import type { Fleet } from './load.js';
import type { PlanStep } from './plan.js';

/** A tool server's state as ToolService.List gives it, over gRPC or REST. */
export interface ToolServerState {
  name: string;
  state: string;
  restarts: number;
  lastError: string;
  tools: readonly { name: string }[];
}

export interface ToolReport {
  /** the manifest's tool servers that are down, with why */
  down: { name: string; lastError: string; restarts: number }[];
  /** allow-list entries naming no known tool server, or a tool a ready server lacks */
  warnings: string[];
}

function closest(given: string, names: readonly string[]): string | undefined {
  return names.map((n) => ({ n, d: editDistance(given, n) }))
    .filter(({ d }) => d <= Math.max(1, Math.floor(given.length / 3)))
    .sort((a, b) => a.d - b.d)[0]?.n;
}

/** The states known before an apply: those of the tool servers the plan leaves unchanged (an apply adds those it puts). */
export function unchangedStates<S extends ToolServerState>(steps: readonly PlanStep[], servers: readonly S[]): Map<string, S> {
  return new Map(servers.filter((s) => steps.some((p) => p.kind === 'toolServer' && p.name === s.name && p.action === 'unchanged')).map((s) => [s.name, s]));
}

/**
 * The report for `fleet`: `states` has the tool servers whose state is known
 * (put by this deploy, or unchanged), `known` the names of every tool server
 * there is (on the server or in the manifest).
 */
export function toolReport(fleet: Pick<Fleet, 'agents' | 'tools'>, states: ReadonlyMap<string, ToolServerState>, known: ReadonlySet<string>): ToolReport {
  const down = fleet.tools.flatMap((w) => {
    const s = states.get(w.name);
    return s?.state === 'down' ? [{ name: w.name, lastError: s.lastError || '(no error recorded)', restarts: s.restarts }] : [];
  });
  const warnings: string[] = [];
  const seen = new Set<number>();
  for (const a of fleet.agents) {
    // instances share their entry's allow-list: one warning per entry
    if (seen.has(a.source.entry)) continue;
    seen.add(a.source.entry);
    const who = a.instances > 1 ? `agents "${a.name}" … (the ${a.instances} instances of agents[${a.source.entry}])` : `agent "${a.name}"`;
    for (const pattern of a.tools) {
      const slash = pattern.indexOf('/');
      if (slash < 0) continue; // "*"
      const server = pattern.slice(0, slash);
      const tool = pattern.slice(slash + 1);
      if (!known.has(server)) {
        const near = closest(server, [...known]);
        warnings.push(`${who} may call "${pattern}", but there is no tool server "${server}" (on the server or in this manifest)${near ? `; did you mean "${near}/${tool}"?` : ''}: its calls fail TOOL_NOT_FOUND until one is put`);
        continue;
      }
      const s = states.get(server);
      if (tool === '*' || s?.state !== 'ready') continue;
      const tools = s.tools.map((x) => x.name);
      if (tools.includes(tool)) continue;
      const near = closest(tool, tools);
      warnings.push(`${who} may call "${pattern}", but the tool server "${server}" has no tool "${tool}"${near ? ` (did you mean "${server}/${near}"?)` : ''}; ${tools.length === 0 ? 'it has none' : tools.length <= 10 ? `it has ${tools.join(', ')}` : `\`caxton tools get ${server}\` lists its ${tools.length} tools`}`);
    }
  }
  return { down, warnings };
}

/** What -o json/yaml and the MCP deploy tool add about tool servers: those down, and warnings about allow-lists (nothing when all is well). */
export function reportFields(r: ToolReport): { toolServersDown?: ToolReport['down']; warnings?: string[] } {
  return { ...(r.down.length ? { toolServersDown: r.down } : {}), ...(r.warnings.length ? { warnings: r.warnings } : {}) };
}
