/** `caxton tools list|get`: the MCP tool servers agents call through $mcp (ToolService.List). */
import { closestNames } from '../../runtime/did-you-mean.js';
import { Connection, type ConnectionOptions } from '../client.js';
import { CliError, EXIT } from '../errors.js';
import { defaultOutput, render, table } from '../output.js';
import type { Output } from '../options/output.js';
import type { ToolServer__Output } from '../../proto/generated/caxton/v1/ToolServer.js';

/** A tool server as -o json/yaml show it: the List answer with its JSON texts parsed. */
export interface ToolServerView {
  name: string;
  transport: string;
  target: string;
  state: string;
  restarts: number;
  lastError: string;
  inFlight: number;
  tools: { name: string; description: string; inputSchema: unknown }[];
  spec: unknown;
}

function parsed(text: string): unknown {
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function view(s: ToolServer__Output): ToolServerView {
  return {
    name: s.name, transport: s.transport, target: s.target, state: s.state, restarts: s.restarts, lastError: s.lastError, inFlight: s.inFlight,
    tools: s.tools.map((t) => ({ name: t.name, description: t.description, inputSchema: parsed(t.inputSchemaJson) })),
    spec: parsed(s.specJson),
  };
}

/** One line, at most `max` characters. */
function line(text: string, max: number): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

/** At most five names, then how many more. */
function someNames(names: string[]): string {
  return names.length <= 5 ? names.join(', ') : `${names.slice(0, 5).join(', ')} +${names.length - 5} more`;
}

const COLUMNS = ['name', 'transport', 'target', 'state', 'restarts', 'tools', 'last error'];

async function listServers(a: ConnectionOptions): Promise<ToolServer__Output[]> {
  const conn = new Connection(a);
  try {
    return (await conn.call('tools', 'List', {})).servers;
  } finally {
    conn.close();
  }
}

export async function runToolsList(a: ConnectionOptions & { output?: Output }): Promise<void> {
  const servers = (await listServers(a)).map(view);
  const rows = servers.map((s) => ({
    name: s.name, transport: s.transport, target: line(s.target, 60), state: s.state, restarts: s.restarts,
    tools: someNames(s.tools.map((t) => t.name)), 'last error': line(s.lastError, 80),
  }));
  const none = 'no tool servers (declare them in a fleet manifest\'s tools: section and run `caxton deploy -f`)';
  process.stdout.write(`${render({ servers }, a.output ?? defaultOutput(), () => (rows.length ? table(rows, COLUMNS) : none))}\n`);
}

/** A tool's arguments from its input schema: `a: number, b: number, note?: string`. */
export function argumentsOf(schema: unknown): string {
  const s = schema as { properties?: Record<string, { type?: unknown; items?: { type?: unknown }; enum?: unknown[] }>; required?: string[] } | null;
  const props = s && typeof s === 'object' && s.properties && typeof s.properties === 'object' ? s.properties : {};
  const required = new Set(Array.isArray(s?.required) ? s.required : []);
  const typeOf = (p: { type?: unknown; items?: { type?: unknown }; enum?: unknown[] }): string => {
    if (Array.isArray(p?.enum)) return p.enum.map((v) => JSON.stringify(v)).join(' | ');
    const t = Array.isArray(p?.type) ? p.type.join(' | ') : typeof p?.type === 'string' ? p.type : 'any';
    return t === 'array' && typeof p.items?.type === 'string' ? `${p.items.type}[]` : t;
  };
  const args = Object.entries(props).map(([k, p]) => `${k}${required.has(k) ? '' : '?'}: ${typeOf(p)}`);
  return args.length ? args.join(', ') : 'none';
}

export async function runToolsGet(a: ConnectionOptions & { name: string; output?: Output }): Promise<void> {
  const servers = await listServers(a);
  const found = servers.find((s) => s.name === a.name);
  if (!found) {
    const near = closestNames(a.name, servers.map((s) => s.name), 3);
    throw new CliError(`no tool server named "${a.name}"${servers.length ? ` (there are: ${servers.map((s) => s.name).join(', ')})` : ' (there is none)'}`, 'TOOL_SERVER_NOT_FOUND',
      `${near.length ? `Did you mean ${near.map((n) => `"${n}"`).join(' or ')}? ` : ''}List them with \`caxton tools list\`; add one with a tools: entry in the fleet manifest and \`caxton deploy -f\`.`,
      EXIT.NOT_FOUND);
  }
  const s = view(found);
  const asTable = (): string => {
    const head = [['name', s.name], ['transport', s.transport], ['target', s.target], ['state', s.state], ['restarts', String(s.restarts)],
      ['in flight', String(s.inFlight)], ...(s.lastError ? [['last error', s.lastError]] : []), ['tools', String(s.tools.length)]];
    const width = Math.max(0, ...s.tools.map((t) => t.name.length));
    const tools = s.tools.flatMap((t) => [`  ${t.name.padEnd(width)}  ${line(t.description, 100)}`, `  ${''.padEnd(width)}  arguments: ${argumentsOf(t.inputSchema)}`]);
    return [...head.map(([k, v]) => `${k!.padEnd(10)}  ${v}`), ...tools].join('\n');
  };
  process.stdout.write(`${render(s, a.output ?? defaultOutput(), asTable)}\n`);
}
