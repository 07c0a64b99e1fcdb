/**
 * What `caxton deploy -f` says about a fleet's tool servers after the apply
 * (or, with --dry-run and when nothing changes, as they are): those that are
 * down (put, but their start failed: the server keeps retrying them) with
 * their last error, and allow-list entries that name a tool server nobody
 * declared or a tool a ready server does not offer. These are warnings on
 * stderr (and in -o json/yaml), not failures: the deploy itself succeeded.
 */
import { editDistance } from '../../runtime/did-you-mean.js';
import type { Fleet } from '../../manifest/index.js';
import type { ToolServer__Output } from '../../proto/generated/caxton/v1/ToolServer.js';

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

/**
 * The report for `fleet`: `states` has the tool servers whose state is known
 * (put by this deploy, or unchanged), `known` the names of every tool server
 * there is (on the server or in the manifest).
 */
export function toolReport(fleet: Pick<Fleet, 'agents' | 'tools'>, states: ReadonlyMap<string, ToolServer__Output>, known: ReadonlySet<string>): ToolReport {
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

/** The report on stderr, one line each (nothing when all is well). */
export function writeToolReport(r: ToolReport): void {
  for (const d of r.down) {
    process.stderr.write(`warning: tool server "${d.name}" is down: ${d.lastError}\n` +
      '  hint: the server keeps trying to start it (with back-off); its agents\' calls fail TOOL_SERVER_DOWN meanwhile. Fix its command, args or URL in the manifest and deploy again; `caxton tools list` shows its state.\n');
  }
  for (const w of r.warnings) process.stderr.write(`warning: ${w}\n`);
}
