/**
 * The MCP resources: what a client can read without calling a tool.
 *
 *   caxton://agents              every deployed agent (AgentService.List)
 *   caxton://agents/{name}       one agent, with its mailbox depth (AgentService.Get)
 *   caxton://conversations/{id}  what the server keeps of a conversation
 *
 * The server does not store the messages it delivers (they pass through the
 * bus rings and are gone once handled), so a conversation's resource holds
 * what it does keep: the log lines about the conversation (LogService.Tail,
 * the newest MAX_LOG_LINES; at level debug one per Send/Invoke and per
 * handling) and its dead letters, with their content (ListDeadLetters, from
 * the server's retained window). A live conversation is followed with
 * StreamConversation (gRPC, REST), not here.
 */
import type { ListResourcesResult, ListResourceTemplatesResult, ReadResourceResult, Resource } from '@modelcontextprotocol/sdk/types.js';
import { UnknownResourceError } from '../../runtime/errors.js';
import { conversationKey } from '../../runtime/fipa/acl/bridge.js';
import { CALL_LIMITS } from '../../runtime/limits.js';
import { toCaxtonError } from '../errors.js';
import { jsonReplacer } from '../operations.js';
import type { Backend } from './backend.js';
import { newestLines } from './tool-calls.js';
import { MAX_LOG_LINES } from './tools.js';

const JSON_TYPE = 'application/json';
const AGENTS = 'caxton://agents';
const CONVERSATIONS = 'caxton://conversations';

export async function listResources(backend: Backend): Promise<ListResourcesResult> {
  const agents = await backend.listAgents();
  const resources: Resource[] = [
    { uri: AGENTS, name: 'agents', title: 'Deployed agents', mimeType: JSON_TYPE, description: 'Every deployed agent: state, worker, limits, capabilities, counts (as GET /v1/agents).' },
    ...agents.map((a) => ({
      uri: `${AGENTS}/${encodeURIComponent(a.name)}`, name: a.name, title: `Agent ${a.name}`, mimeType: JSON_TYPE,
      description: `${a.state} on worker ${a.worker}${a.capabilities.length ? `; offers ${a.capabilities.join(', ')}` : ''}`,
    })),
  ];
  return { resources };
}

export function listTemplates(): ListResourceTemplatesResult {
  return {
    resourceTemplates: [
      { uriTemplate: `${AGENTS}/{name}`, name: 'agent', title: 'An agent', mimeType: JSON_TYPE, description: 'One agent, with its mailbox depth and handled/failed counts (as GET /v1/agents/{name}).' },
      {
        uriTemplate: `${CONVERSATIONS}/{id}`, name: 'conversation', title: 'A conversation', mimeType: JSON_TYPE,
        description: `What the server keeps of a conversation (the id as given to send/invoke, or its 16-hex-digit key; percent-encoded): its log lines (the newest ${MAX_LOG_LINES}) and its dead letters with their content. Delivered messages themselves are not stored.`,
      },
    ],
  };
}

function json(uri: string, value: unknown): ReadResourceResult {
  return { contents: [{ uri, mimeType: JSON_TYPE, text: JSON.stringify(value, jsonReplacer) }] };
}

/** The part of `uri` after `prefix/`, percent-decoded; undefined when it is not one segment. */
function segment(uri: string, prefix: string): string | undefined {
  if (!uri.startsWith(`${prefix}/`)) return undefined;
  const rest = uri.slice(prefix.length + 1);
  if (rest === '' || rest.includes('/')) return undefined;
  try {
    return decodeURIComponent(rest);
  } catch {
    return undefined;
  }
}

/** What the server keeps of conversation `id`: its log lines and dead letters. */
async function conversation(backend: Backend, id: string, signal: AbortSignal): Promise<object> {
  const out: Record<string, unknown> = { conversationId: id };
  try {
    const { lines, truncated } = await newestLines(backend, { conversationId: id }, signal);
    out.logLines = lines;
    if (truncated) out.logLinesTruncated = true;
  } catch (e) {
    // No log file (an embedded server): the dead letters are still worth reading.
    const c = toCaxtonError(e);
    if (c.code !== 'LOGS_UNAVAILABLE') throw c;
    out.logLines = [];
    out.logs = { code: c.code, message: c.message };
  }
  const key = conversationKey(id);
  // The whole retained window: a letter shows the id as given when the server knew it, else its key; either finds it.
  out.deadLetters = (await backend.deadLetters(CALL_LIMITS.deadLetterLimit.max))
    .filter((d) => d.conversationId === id || (d.conversationId !== '' && conversationKey(d.conversationId) === key));
  return out;
}

export async function readResource(backend: Backend, uri: string, signal: AbortSignal): Promise<ReadResourceResult> {
  if (uri === AGENTS) return json(uri, { agents: await backend.listAgents() });
  const name = segment(uri, AGENTS);
  if (name !== undefined) return json(uri, await backend.getAgent(name));
  const id = segment(uri, CONVERSATIONS);
  if (id !== undefined) return json(uri, await conversation(backend, id, signal));
  throw new UnknownResourceError(uri);
}
