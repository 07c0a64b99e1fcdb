/**
 * The operations both gateways (gRPC and REST) offer, in one place: argument
 * checks with the field they concern, then the bus (Send, Invoke, streams)
 * or the supervisor (everything that reads or changes the registry). The
 * gateways only translate their wire format to these calls and errors to
 * their statuses.
 */
import { InvalidArgumentError, ServerDrainingError } from '../runtime/errors.js';
import type { ContractNetOutcome, ContractNetRequest } from '../runtime/contract-net.js';
import type { DeadLetter, RuntimeStats } from '../runtime/supervisor.js';
import type { ApiMessage, BusClient } from './bus-client.js';
import type { AgentView, ControlClient, DeployArgs, ServerInfoView } from './control.js';

export interface OperationsOptions {
  /** Invoke's time limit when the call has no deadline, ms */
  defaultInvokeTimeoutMs: number;
}

export interface MessageInput {
  agent: string;
  performative?: string | undefined;
  /** undefined = no content */
  content?: unknown;
  conversationId?: string | undefined;
  inReplyTo?: string | undefined;
}

/** JSON text for a field of the API, or undefined when empty. */
export function parseJsonField(text: string | undefined, field: string): unknown {
  if (text === undefined || text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new InvalidArgumentError(field, `is not valid JSON (${(e as Error).message})`, `Send ${field} as JSON text, e.g. "{\\"x\\": 1}" or "\\"hello\\"", or leave it empty.`);
  }
}

/** Content as JSON text: binary content becomes {"$base64": "..."}. */
export function toJsonText(value: unknown): string {
  if (value === undefined) return 'null';
  return JSON.stringify(value, jsonReplacer);
}

export function jsonReplacer(_key: string, v: unknown): unknown {
  if (v instanceof Uint8Array) return { $base64: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') };
  if (typeof v === 'bigint') return v.toString();
  return v;
}

function required(value: string | undefined, field: string, what: string): string {
  if (typeof value !== 'string' || value === '') {
    throw new InvalidArgumentError(field, 'is required', `Give ${what}.`);
  }
  return value;
}

function optionalCount(value: number | undefined, field: string): number | undefined {
  if (value === undefined || value === 0) return undefined;
  if (!Number.isFinite(value) || value < 0) throw new InvalidArgumentError(field, `must be a positive number, got ${value}`, `Give ${field} as a positive number, or 0 for the server's default.`);
  return value;
}

export class Operations {
  private draining = false;

  constructor(
    private readonly bus: BusClient,
    private readonly control: ControlClient,
    private readonly options: OperationsOptions,
  ) {}

  /** Refuse new work from now on (Drain with shutdown). */
  setDraining(): void {
    this.draining = true;
  }

  get isDraining(): boolean {
    return this.draining;
  }

  private assertAccepting(): void {
    if (this.draining) throw new ServerDrainingError();
  }

  // ------------------------------------------------------------ agents

  deploy(a: DeployArgs): Promise<AgentView> {
    this.assertAccepting();
    required(a.name, 'name', 'the agent\'s name');
    if (!(a.module instanceof Uint8Array) || a.module.byteLength === 0) {
      throw new InvalidArgumentError('module', 'is empty', 'Send the bytes of a compiled .wasm agent (e.g. dist/agents/echo.wasm after `npm run build:agents`).');
    }
    const args: DeployArgs = { name: a.name, module: a.module };
    if (a.config !== undefined) args.config = a.config;
    if (a.capabilities && a.capabilities.length) args.capabilities = a.capabilities;
    const memory = optionalCount(a.memoryLimitBytes, 'memory_limit_bytes');
    const time = optionalCount(a.timeLimitMs, 'time_limit_ms');
    const mailbox = optionalCount(a.mailbox, 'mailbox');
    const worker = optionalCount(a.worker, 'worker');
    if (memory !== undefined) args.memoryLimitBytes = memory;
    if (time !== undefined) args.timeLimitMs = time;
    if (mailbox !== undefined) args.mailbox = mailbox;
    if (worker !== undefined) args.worker = worker;
    return this.control.call('deploy', args);
  }

  undeploy(name: string): Promise<void> {
    this.assertAccepting();
    return this.control.call('undeploy', { name: required(name, 'name', 'the name of the agent to remove') });
  }

  list(): Promise<AgentView[]> {
    return this.control.call('list');
  }

  get(name: string): Promise<AgentView> {
    return this.control.call('get', { name: required(name, 'name', 'the agent\'s name') });
  }

  // ------------------------------------------------------------ messages

  send(m: MessageInput): { messageId: string; conversationId: string } {
    this.assertAccepting();
    const r = this.bus.send({
      agent: required(m.agent, 'agent', 'the name of the agent to send to'),
      performative: m.performative || 'inform',
      content: m.content,
      conversationId: m.conversationId,
      inReplyTo: m.inReplyTo,
    });
    return { messageId: r.messageId, conversationId: r.conversationId };
  }

  /** `timeoutMs` undefined = the default; the gRPC deadline or REST timeoutMs otherwise. */
  invoke(m: MessageInput, timeoutMs: number | undefined, signal?: AbortSignal): Promise<{ reply: ApiMessage; latencyUs: number }> {
    this.assertAccepting();
    const agent = required(m.agent, 'agent', 'the name of the agent to call');
    const ms = timeoutMs ?? this.options.defaultInvokeTimeoutMs;
    if (!(ms > 0)) throw new InvalidArgumentError('timeout_ms', `must be positive, got ${ms}`, 'Give a positive timeout (gRPC: a deadline in the future).');
    return this.bus.invoke({
      agent, performative: m.performative || 'request', content: m.content, conversationId: m.conversationId, inReplyTo: m.inReplyTo,
    }, Math.min(ms, 2 ** 31 - 1), signal);
  }

  watch(conversationId: string, listener: (m: ApiMessage) => void): () => void {
    return this.bus.watchConversation(required(conversationId, 'conversation_id', 'the conversation id to watch (as given to Send/Invoke, or 16 hex digits)'), listener);
  }

  contractNet(req: ContractNetRequest): Promise<ContractNetOutcome> {
    this.assertAccepting();
    if (req.task === undefined) {
      throw new InvalidArgumentError('task', 'is required', 'Give the task (the CFP\'s content) as JSON, e.g. {"job": "translate", "words": 300}.');
    }
    return this.control.call('contractNet', req);
  }

  // ------------------------------------------------------------ server

  serverInfo(): Promise<ServerInfoView> {
    return this.control.call('serverInfo').then((i) => (this.draining ? { ...i, state: 'draining' } : i));
  }

  stats(): Promise<RuntimeStats> {
    return this.control.call('stats');
  }

  deadLetters(limit: number | undefined): Promise<DeadLetter[]> {
    const n = limit === undefined || limit === 0 ? 100 : limit;
    if (!Number.isInteger(n) || n < 0 || n > 100_000) throw new InvalidArgumentError('limit', `must be an integer in 1..100000, got ${limit}`, 'Ask for at most 100000 dead letters (the default is 100).');
    return this.control.call('deadLetters', { limit: n });
  }

  drain(timeoutMs: number | undefined, shutdown: boolean): Promise<{ drained: boolean; stats: RuntimeStats }> {
    if (shutdown) this.draining = true;
    return this.control.call('drain', { timeoutMs: timeoutMs || 10_000, shutdown });
  }

  ready(): Promise<{ ready: boolean; reason: string }> {
    return this.control.call('ready');
  }
}
