/**
 * Running a tool: its checked arguments to a Backend call, the answer to a
 * tool result. The answers are the REST gateway's bodies (GET /v1/agents
 * gives {agents}, Invoke {reply, latencyUs}...), so the docs of one serve
 * for the other. A failure of the call itself (AGENT_NOT_FOUND,
 * REPLY_TIMEOUT...) is a result with isError, never a thrown error.
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Backend, LogQuery, MessageArgs } from './backend.js';
import { deployManifest, deploySummary, type DeployOutcome, type DeployToolArgs } from './deploy.js';
import { toolError, toolResult } from './errors.js';
import { MAX_LOG_LINES, type ToolDef } from './tools.js';

type Args = Record<string, unknown>;

const str = (a: Args, k: string): string | undefined => a[k] as string | undefined;
const num = (a: Args, k: string): number | undefined => a[k] as number | undefined;

function message(a: Args): MessageArgs {
  return {
    agent: str(a, 'agent') ?? '', performative: str(a, 'performative'), content: a.content, conversationId: str(a, 'conversationId'),
    inReplyTo: str(a, 'inReplyTo'), durable: a.durable === true,
  };
}

/** The newest MAX_LOG_LINES lines of a non-following tail, oldest first, and whether older ones were left out. */
export async function newestLines(backend: Backend, q: LogQuery, signal: AbortSignal): Promise<{ lines: Record<string, unknown>[]; truncated: boolean }> {
  const lines: Record<string, unknown>[] = [];
  let truncated = false;
  for await (const line of backend.logLines(q, signal)) {
    lines.push(line);
    if (lines.length > MAX_LOG_LINES) {
      lines.shift();
      truncated = true;
    }
  }
  return { lines, truncated };
}

async function conversationLog(backend: Backend, a: Args, signal: AbortSignal): Promise<object> {
  const conversationId = str(a, 'conversationId') ?? '';
  return { conversationId, ...await newestLines(backend, { conversationId, agent: str(a, 'agent'), level: str(a, 'level'), sinceUnixMs: num(a, 'sinceUnixMs') }, signal) };
}

async function run(tool: ToolDef, a: Args, backend: Backend, signal: AbortSignal): Promise<object> {
  switch (tool.name) {
    case 'list_agents': return { agents: await backend.listAgents() };
    case 'get_agent': return backend.getAgent(str(a, 'name') ?? '');
    case 'send_message': return backend.send(message(a));
    case 'invoke_agent': return backend.invoke(message(a), num(a, 'timeoutMs'), signal);
    case 'start_contract_net': {
      const capability = str(a, 'capability');
      const contractors = a.contractors as string[] | undefined;
      const select = str(a, 'select');
      const resultTimeoutMs = num(a, 'resultTimeoutMs');
      return backend.contractNet({
        ...(capability ? { capability } : {}), ...(contractors ? { contractors } : {}), task: a.task,
        deadlineMs: num(a, 'deadlineMs') ?? 1000, ...(select ? { select } : {}), ...(resultTimeoutMs ? { resultTimeoutMs } : {}),
      });
    }
    case 'list_dead_letters': return { deadLetters: await backend.deadLetters(num(a, 'limit')) };
    case 'read_conversation_log': return conversationLog(backend, a, signal);
    case 'deploy_manifest': return deployManifest(a as unknown as DeployToolArgs, backend);
    default: {
      const never: never = tool.name;
      throw new Error(`tool ${String(never)} has no implementation`);
    }
  }
}

/** Run `tool` with its checked arguments; every failure comes back as a result with isError. */
export async function callTool(tool: ToolDef, args: Args, backend: Backend, signal: AbortSignal): Promise<CallToolResult> {
  let value: object;
  try {
    value = await run(tool, args, backend, signal);
  } catch (e) {
    return toolError(e);
  }
  if (tool.name === 'deploy_manifest' && (value as DeployOutcome).rejected.length) {
    const result = toolResult(value, true);
    result.content.unshift({ type: 'text', text: deploySummary(value as DeployOutcome) });
    return result;
  }
  return toolResult(value);
}
