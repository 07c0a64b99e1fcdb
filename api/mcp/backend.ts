/**
 * What the MCP tools and resources need from a Caxton server, whichever
 * way they reach it: the /mcp endpoint calls the API thread's Operations
 * directly (api/mcp/operations-backend.ts, no extra hop); `caxton mcp`
 * calls the gRPC API (cli/commands/mcp-backend.ts). Both answer in the
 * REST gateway's JSON shapes, so a client sees the same results either way.
 */
import type { AgentView, DeployArgs } from '../control.js';
import type { ApiMessage } from '../bus-client.js';
import type { ContractNetOutcome, ContractNetRequest } from '../../runtime/fipa/contract-net.js';
import type { DeadLetter } from '../../runtime/runtime.js';
import type { ModuleResolver } from '../../manifest/load.js';
import type { CurrentToolServer } from '../../manifest/plan.js';
import type { ToolServerState } from '../../manifest/tool-report.js';
import type { ToolServerSpec } from '../../runtime/tools/spec.js';
import type { Caller } from './caller.js';

export interface MessageArgs {
  agent: string;
  performative?: string | undefined;
  /** undefined = no content */
  content?: unknown;
  conversationId?: string | undefined;
  inReplyTo?: string | undefined;
  durable?: boolean | undefined;
}

/** A tool server as the deploy tool reads it (ToolService.List): what the plan compares and what the report says. */
export type ToolServerView = CurrentToolServer & ToolServerState;

/** A non-following LogService.Tail. */
export interface LogQuery {
  conversationId: string;
  agent?: string | undefined;
  level?: string | undefined;
  sinceUnixMs?: number | undefined;
}

export interface Backend {
  /** who calls, for mayDeploy() (api/mcp/caller.ts) */
  readonly caller: Caller;
  listAgents(): Promise<AgentView[]>;
  getAgent(name: string): Promise<AgentView>;
  send(m: MessageArgs): Promise<{ messageId: string; conversationId: string }>;
  /** `timeoutMs` undefined = the server's default; `signal` cancels the wait (the client went away) */
  invoke(m: MessageArgs, timeoutMs: number | undefined, signal: AbortSignal): Promise<{ reply: ApiMessage; latencyUs: number }>;
  contractNet(r: ContractNetRequest): Promise<ContractNetOutcome>;
  /** the most recent `limit` (undefined = the server's default, 100), oldest first */
  deadLetters(limit: number | undefined): Promise<DeadLetter[]>;
  /** the log lines written so far that pass the query, each parsed, oldest first; `signal` stops the reading */
  logLines(q: LogQuery, signal: AbortSignal): AsyncIterable<Record<string, unknown>>;
  deploy(a: DeployArgs): Promise<AgentView>;
  undeploy(name: string): Promise<void>;
  listToolServers(): Promise<ToolServerView[]>;
  /** add or replace a tool server; answers once its first start has succeeded or failed */
  putToolServer(spec: ToolServerSpec): Promise<ToolServerView>;
  removeToolServer(name: string): Promise<void>;
  /** where a deployed manifest's module bytes come from: `inline`, the deploy tool's `modules` argument, and (`caxton mcp` only) files */
  modules(inline: Readonly<Record<string, string>>): ModuleResolver;
  /** the directory a manifest's relative paths (a tool server's cwd) are read from: `caxton mcp`'s working directory; null over HTTP, where a manifest has none */
  readonly manifestDir: string | null;
}
