/**
 * `caxton mcp`'s Backend (api/mcp/backend.ts): the MCP tools and resources
 * over the gRPC API of a running server, through the CLI's Connection (the
 * same server address and token as every other command). Answers are turned
 * into the REST gateway's JSON shapes (content parsed, not JSON text), so
 * that a client sees what /mcp gives; errors into CaxtonErrors with the
 * server's code, message and hint.
 */
import { CliError } from '../errors.js';
import type { Connection } from '../client.js';
import { moduleFiles } from '../../manifest/load.js';
import { specFromJson } from '../../manifest/plan.js';
import { ReplyTimeoutError, reviveError } from '../../runtime/errors.js';
import type { AgentView } from '../../api/control.js';
import type { ApiMessage } from '../../api/bus-client.js';
import type { Backend, LogQuery, MessageArgs, ToolServerView } from '../../api/mcp/backend.js';
import { tokenCaller } from '../../api/mcp/caller.js';
import { inlineModules } from '../../api/mcp/deploy.js';
import type { ContractNetOutcome } from '../../runtime/fipa/contract-net.js';
import type { DeadLetter } from '../../runtime/runtime.js';
import type { Agent__Output } from '../../proto/generated/caxton/v1/Agent.js';
import type { Message__Output } from '../../proto/generated/caxton/v1/Message.js';
import type { LogLine__Output } from '../../proto/generated/caxton/v1/LogLine.js';
import type { ToolServer__Output } from '../../proto/generated/caxton/v1/ToolServer.js';

const parse = (text: string, empty: unknown = null): unknown => (text ? JSON.parse(text) : empty);

export function agentView(a: Agent__Output): AgentView {
  const { configJson, specJson, lastError, ...rest } = a;
  return { ...rest, ...(lastError ? { lastError } : {}), config: parse(configJson), requested: parse(specJson, {}) as AgentView['requested'] };
}

function toolServerView(s: ToolServer__Output): ToolServerView {
  return { name: s.name, state: s.state, restarts: s.restarts, lastError: s.lastError, tools: s.tools.map((t) => ({ name: t.name })), spec: specFromJson(s.specJson) };
}

function messageView(m: Message__Output): ApiMessage {
  const { contentJson, paramsJson, ...rest } = m;
  return { ...rest, content: parse(contentJson), params: paramsJson ? parse(paramsJson) as Record<string, unknown> : undefined };
}

/**
 * The proto names of the request fields the tools fill, and their JSON
 * names: the server's messages name a field as gRPC carries it
 * (`conversation_id`), an MCP client gave the JSON one (`conversationId`).
 */
const JSON_NAMES: Readonly<Record<string, string>> = {
  content_json: 'content', conversation_id: 'conversationId', in_reply_to: 'inReplyTo', task_json: 'task', deadline_ms: 'deadlineMs',
  result_timeout_ms: 'resultTimeoutMs', since_unix_ms: 'sinceUnixMs', config_json: 'config', timeout_ms: 'timeoutMs',
};
const PROTO_NAME = new RegExp(`\\b(${Object.keys(JSON_NAMES).join('|')})\\b`, 'g');
const renamed = (text: string): string => text.replace(PROTO_NAME, (n) => JSON_NAMES[n]!);

/** A CliError (the server's code, message and hint, or the CLI's own SERVER_UNREACHABLE) as a CaxtonError, for the MCP answers. */
function caxtonError(e: unknown): unknown {
  if (!(e instanceof CliError)) return e;
  return reviveError({ code: e.code, message: renamed(e.message), hint: renamed(e.hint), details: {} });
}

async function grpc<T>(p: () => Promise<T>): Promise<T> {
  try {
    return await p();
  } catch (e) {
    throw caxtonError(e);
  }
}

/** `cwd`: where module paths that come without bytes are read from (the working directory of `caxton mcp`). */
export function grpcBackend(conn: Connection, cwd: string): Backend {
  const request = (m: MessageArgs) => ({
    agent: m.agent, performative: m.performative ?? '', contentJson: m.content === undefined ? '' : JSON.stringify(m.content),
    conversationId: m.conversationId ?? '', durable: m.durable === true,
  });
  return {
    caller: tokenCaller('stdio'),
    listAgents: () => grpc(async () => (await conn.call('agents', 'List', {})).agents.map(agentView)),
    getAgent: (name) => grpc(async () => agentView(await conn.call('agents', 'Get', { name }))),
    send: (m) => grpc(() => conn.call('messages', 'Send', { ...request(m), inReplyTo: m.inReplyTo ?? '' })),
    async invoke(m, timeoutMs, signal) {
      // The call's deadline is the wait (gRPC has no timeout field): whichever side sees it pass first, it is REPLY_TIMEOUT.
      const ms = timeoutMs ?? 30_000;
      try {
        const r = await conn.call('messages', 'Invoke', request(m), ms, {}, signal);
        return { reply: messageView(r.reply!), latencyUs: Math.round(r.latencyUs * 10) / 10 };
      } catch (e) {
        if (e instanceof CliError && e.code === 'DEADLINE_EXCEEDED') throw new ReplyTimeoutError(m.agent, ms);
        throw caxtonError(e);
      }
    },
    contractNet: (r) => grpc(async () => {
      const o = await conn.call('tasks', 'StartContractNet', {
        capability: r.capability ?? '', contractors: r.contractors ?? [], taskJson: JSON.stringify(r.task ?? null), deadlineMs: r.deadlineMs,
        select: r.select ?? '', resultTimeoutMs: r.resultTimeoutMs ?? 0,
      }, r.deadlineMs + (r.resultTimeoutMs ?? 10_000) + 30_000, { what: 'start_contract_net' });
      const outcome: ContractNetOutcome = {
        status: o.status as ContractNetOutcome['status'], conversationId: o.conversationId,
        proposals: o.proposals.map((p) => ({ agent: p.agent, content: parse(p.contentJson) })),
        refusals: o.refusals.map((p) => ({ agent: p.agent, content: parse(p.contentJson) })),
        silent: o.silent, durationMs: o.durationMs,
        transcript: o.transcript.map((t) => ({ at: t.at, from: t.from, to: t.to, performative: t.performative, content: parse(t.contentJson), ...(t.note ? { note: t.note } : {}) })),
      };
      // REST leaves out what gRPC can only say as "" or "null".
      if (o.winner) outcome.winner = o.winner;
      if (parse(o.resultJson) !== null) outcome.result = parse(o.resultJson);
      if (parse(o.failureJson) !== null) outcome.failure = parse(o.failureJson);
      return outcome;
    }),
    deadLetters: (limit) => grpc(async () => (await conn.call('management', 'ListDeadLetters', { limit: limit ?? 0 })).deadLetters.map((d) => {
      const { contentJson, ...rest } = d;
      return { ...rest, seq: Number(d.seq), reason: d.reason as DeadLetter['reason'], content: parse(contentJson) };
    })),
    logLines: (q, signal) => tail(conn, q, signal),
    deploy: (a) => grpc(async () => {
      const { agent } = await conn.call('agents', 'Deploy', {
        name: a.name, module: a.module, configJson: a.config === undefined ? '' : JSON.stringify(a.config), capabilities: a.capabilities ?? [],
        memoryLimitBytes: a.memoryLimitBytes ?? 0, timeLimitMs: a.timeLimitMs ?? 0, mailbox: a.mailbox ?? 0, worker: a.worker ?? 0, maxSendsPerSecond: a.maxSendsPerSecond ?? 0,
        tools: a.tools ?? [],
      }, 120_000, { what: `deploy ${a.name}` });
      return agentView(agent!);
    }),
    undeploy: (name) => grpc(async () => {
      await conn.call('agents', 'Undeploy', { name });
    }),
    listToolServers: () => grpc(async () => (await conn.call('tools', 'List', {})).servers.map(toolServerView)),
    putToolServer: (spec) => grpc(async () => toolServerView((await conn.call('tools', 'Put', { specJson: JSON.stringify(spec) }, 120_000, { what: `put tool server ${spec.name}` })).server!)),
    removeToolServer: (name) => grpc(async () => {
      await conn.call('tools', 'Remove', { name });
    }),
    // On the user's machine: the modules sent along, else the files, relative to the working directory (as `caxton deploy -f` reads them).
    modules: (inline) => inlineModules(inline, moduleFiles(cwd)),
    manifestDir: cwd,
  };
}

/** A non-following LogService.Tail, each line parsed. */
async function* tail(conn: Connection, q: LogQuery, signal: AbortSignal): AsyncGenerator<Record<string, unknown>> {
  const stream = conn.stream('logs', 'Tail', { conversationId: q.conversationId, agent: q.agent ?? '', level: q.level ?? '', sinceUnixMs: q.sinceUnixMs ?? 0, follow: false });
  const cancel = (): void => stream.cancel();
  signal.addEventListener('abort', cancel, { once: true });
  try {
    for await (const line of stream as AsyncIterable<LogLine__Output>) yield JSON.parse(line.json) as Record<string, unknown>;
  } catch (e) {
    throw caxtonError(conn.toCliError(e as never));
  } finally {
    signal.removeEventListener('abort', cancel);
    stream.cancel();
  }
}
