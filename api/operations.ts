/**
 * The operations both gateways (gRPC and REST) offer, in one place: argument
 * checks with the field they concern, then the bus (Send, Invoke, streams)
 * or the supervisor (everything that reads or changes the registry). The
 * gateways only translate their wire format to these calls and errors to
 * their statuses.
 */
import { InvalidArgumentError, LogsUnavailableError, ServerDrainingError } from '../runtime/errors.js';
import { CALL_LIMITS, checkAgentLimit, checkCallLimit, type AgentLimitField } from '../runtime/limits.js';
import { assertWellFormed } from './well-formed.js';
import { conversationKey } from '../runtime/fipa/acl/bridge.js';
import { tailLog, type LogLine } from './log-tail.js';
import { levelNumber } from '../runtime/observability/logger.js';
import type { ContractNetOutcome, ContractNetRequest } from '../runtime/fipa/contract-net.js';
import type { DeadLetter, MetricsReader, RuntimeMetrics, RuntimeStats } from '../runtime/runtime.js';
import type { ToolServerSpec } from '../runtime/tools/spec.js';
import type { ToolServerInfo } from '../runtime/tools/tool-host.js';
import type { ApiMessage, BusClient, FrameTrace, OnCancel, SendInput } from './bus-client.js';
import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { SpanKind, SpanStatusCode, type Span, type Tracing } from '../runtime/observability/tracing.js';
import type { AgentView, ControlClient, DeployArgs, ServerInfoView } from './control.js';

export interface OperationsOptions {
  /** Invoke's time limit when the call has no deadline, ms */
  defaultInvokeTimeoutMs: number;
  /** this thread's tracing (runtime/observability/tracing.ts); undefined = off */
  tracing?: Tracing | undefined;
  /** the server's log file (pino-roll base name) for LogService.Tail; undefined = none */
  logFile?: string | undefined;
  /** debug lines about each Send/Invoke; undefined when the level is above debug (decided once) */
  debug?: ((fields: Record<string, unknown>, msg: string) => void) | undefined;
}

export interface MessageInput {
  agent: string;
  performative?: string | undefined;
  /** undefined = no content */
  content?: unknown;
  conversationId?: string | undefined;
  inReplyTo?: string | undefined;
  /** keep the message in the journal and send it again after a crash (at-least-once; api/journal/) */
  durable?: boolean | undefined;
  /** the request's headers or gRPC metadata, for its W3C trace context (traceparent); read only when tracing is on */
  headers?: (() => Record<string, unknown>) | undefined;
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

interface CallSpans {
  server: Span;
  send: Span;
  frame: FrameTrace;
  traceId: string;
  spanId: string;
}

function traceFields(spans: CallSpans | undefined): { traceId?: string; spanId?: string } {
  return spans ? { traceId: spans.traceId, spanId: spans.spanId } : {};
}

function required(value: string | undefined, field: string, what: string): string {
  if (typeof value !== 'string' || value === '') {
    throw new InvalidArgumentError(field, 'is required', `Give ${what}.`);
  }
  return value;
}

/** The deploy limits and their gRPC field names (REST has checked its camelCase ones against the same ranges already). */
const DEPLOY_LIMIT_FIELDS = [
  ['memoryLimitBytes', 'memory_limit_bytes'], ['timeLimitMs', 'time_limit_ms'], ['mailbox', 'mailbox'],
  ['maxSendsPerSecond', 'max_sends_per_second'], ['worker', 'worker'],
] as const satisfies readonly (readonly [AgentLimitField, string])[];

/** The text of a message (its strings and content) is well-formed UTF-16 (api/well-formed.ts). */
function wellFormedMessage(m: MessageInput): void {
  for (const [field, value] of [['agent', m.agent], ['performative', m.performative], ['conversation_id', m.conversationId], ['in_reply_to', m.inReplyTo], ['content', m.content]] as const) {
    assertWellFormed(value, field);
  }
}

export class Operations {
  private draining = false;

  private readonly tracing: Tracing | undefined;
  private readonly debug: OperationsOptions['debug'];

  constructor(
    private readonly bus: BusClient,
    private readonly control: ControlClient,
    private readonly options: OperationsOptions,
  ) {
    this.tracing = options.tracing;
    this.debug = options.debug;
  }

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
    assertWellFormed(a.name, 'name');
    assertWellFormed(a.config, 'config');
    assertWellFormed(a.capabilities, 'capabilities');
    if (!(a.module instanceof Uint8Array) || a.module.byteLength === 0) {
      throw new InvalidArgumentError('module', 'is empty', 'Send the bytes of a compiled .wasm agent (e.g. dist/agents/echo.wasm after `npm run build:agents`).');
    }
    const args: DeployArgs = { name: a.name, module: a.module };
    if (a.config !== undefined) args.config = a.config;
    if (a.capabilities && a.capabilities.length) args.capabilities = a.capabilities;
    assertWellFormed(a.tools, 'tools');
    if (a.tools && a.tools.length) args.tools = a.tools;
    // Checked here, before the supervisor, against the same table (runtime/limits.ts);
    // 0 is a protobuf field's "not given", so it means the default.
    for (const [field, label] of DEPLOY_LIMIT_FIELDS) {
      const value = a[field];
      checkAgentLimit(field, value ?? 0, label, true);
      if (value !== undefined && value !== 0) args[field] = value;
    }
    return this.control.call('deploy', args);
  }

  // ------------------------------------------------------------ tool servers

  /** Add or replace a tool server (ToolService.Put); `spec` as the manifest's tools: entry. */
  toolPut(spec: unknown): Promise<{ outcome: 'created' | 'updated' | 'unchanged'; server: ToolServerInfo }> {
    this.assertAccepting();
    assertWellFormed(spec, 'spec');
    if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
      throw new InvalidArgumentError('spec_json', 'must be a tool server: {"name", "stdio": {...} | "http": {...}}', 'Give the tool server as a manifest tools: entry in JSON (docs/mcp.md).');
    }
    return this.control.call('toolPut', { spec: spec as ToolServerSpec });
  }

  toolRemove(name: string): Promise<void> {
    this.assertAccepting();
    return this.control.call('toolRemove', { name: required(name, 'name', 'the name of the tool server to remove') });
  }

  toolList(): Promise<ToolServerInfo[]> {
    return this.control.call('toolList');
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

  /** The result comes once the message is in the journal (BusClient.afterJournal): a promise when the journal is on. */
  send(m: MessageInput): { messageId: string; conversationId: string } | Promise<{ messageId: string; conversationId: string }> {
    this.assertAccepting();
    const agent = required(m.agent, 'agent', 'the name of the agent to send to');
    wellFormedMessage(m);
    const performative = m.performative || 'inform';
    const spans = this.tracing ? this.beginSpans(m, agent, performative, 'MessageService/Send') : undefined;
    let r: ReturnType<BusClient['send']>;
    try {
      r = this.bus.send({ agent, performative, content: m.content, conversationId: m.conversationId, inReplyTo: m.inReplyTo, trace: spans?.frame, durable: m.durable });
    } catch (e) {
      if (spans) this.endSpans(spans, e);
      throw e;
    }
    if (spans) {
      spans.send.setAttribute('caxton.message_id', r.messageId);
      this.endSpans(spans);
    }
    this.debug?.({ agent, messageId: r.messageId, conversationId: r.conversationId, performative, ...traceFields(spans) }, `sent ${performative} to ${agent}`);
    return this.bus.afterJournal({ messageId: r.messageId, conversationId: r.conversationId });
  }

  /**
   * A sampled call's spans: the gateway's (SERVER, child of the request's
   * traceparent) and the send's (PRODUCER), whose ids the frame carries to
   * the agent's worker, where the agent's handling becomes its child.
   */
  private beginSpans(m: MessageInput, agent: string, performative: string, operation: string): CallSpans {
    const tracing = this.tracing!;
    const parent = m.headers ? tracing.extract(m.headers()) : ROOT_CONTEXT;
    const server = tracing.start(`caxton.v1.${operation}`, SpanKind.SERVER, parent, { 'rpc.system': 'caxton', 'caxton.agent': agent });
    const send = tracing.start(`caxton send ${performative}`, SpanKind.PRODUCER, trace.setSpan(parent, server), {
      'messaging.system': 'caxton', 'messaging.operation.type': 'send', 'caxton.agent': agent, 'caxton.performative': performative,
    });
    const sc = send.spanContext();
    return { server, send, frame: { traceId: Buffer.from(sc.traceId, 'hex'), spanId: Buffer.from(sc.spanId, 'hex'), sampled: (sc.traceFlags & 1) === 1 }, traceId: sc.traceId, spanId: sc.spanId };
  }

  private endSpans(spans: CallSpans, error?: unknown): void {
    if (error !== undefined) {
      const message = (error as Error)?.message ?? String(error);
      spans.send.setStatus({ code: SpanStatusCode.ERROR, message });
      spans.server.setStatus({ code: SpanStatusCode.ERROR, message });
    }
    spans.send.end();
    spans.server.end();
  }

  /** `timeoutMs` undefined = the default; the gRPC deadline or REST timeoutMs otherwise. */
  invoke(m: MessageInput, timeoutMs: number | undefined, onCancel?: OnCancel): Promise<{ reply: ApiMessage; latencyUs: number }> {
    this.assertAccepting();
    const agent = required(m.agent, 'agent', 'the name of the agent to call');
    wellFormedMessage(m);
    const ms = timeoutMs ?? this.options.defaultInvokeTimeoutMs;
    if (!(ms > 0)) throw new InvalidArgumentError('timeout_ms', `must be positive, got ${ms}`, 'Give a positive timeout (gRPC: a deadline in the future).');
    // A later deadline is cut to the longest wait (REST's timeoutMs was checked against the same range).
    const wait = Math.min(ms, CALL_LIMITS.invokeTimeoutMs.max);
    const performative = m.performative || 'request';
    const input = { agent, performative, content: m.content, conversationId: m.conversationId, inReplyTo: m.inReplyTo, durable: m.durable };
    if (this.tracing === undefined && this.debug === undefined) return this.bus.invoke(input, wait, onCancel);
    return this.invokeObserved(m, input, wait, onCancel);
  }

  /** An Invoke to `agent` (when known) is coming: see BusClient.prewake. */
  prewake(agent?: string): void {
    if (!this.draining) this.bus.prewake(agent);
  }

  /** Invoke with spans and/or debug lines (only when tracing or debug logging is on). */
  private async invokeObserved(m: MessageInput, input: SendInput, ms: number, onCancel: OnCancel | undefined): Promise<{ reply: ApiMessage; latencyUs: number }> {
    const spans = this.tracing ? this.beginSpans(m, input.agent, input.performative, 'MessageService/Invoke') : undefined;
    // Named here so that the lines and spans about the request carry it too.
    input.conversationId ||= this.bus.nextInvokeConversation();
    spans?.server.setAttribute('caxton.conversation_id', input.conversationId);
    spans?.send.setAttribute('caxton.conversation_id', input.conversationId);
    let pending: Promise<{ reply: ApiMessage; latencyUs: number }>;
    try {
      pending = this.bus.invoke({ ...input, trace: spans?.frame }, ms, onCancel);
    } catch (e) {
      if (spans) this.endSpans(spans, e);
      throw e;
    }
    spans?.send.end();
    this.debug?.({ agent: input.agent, performative: input.performative, conversationId: input.conversationId, ...traceFields(spans) }, `invoke: sent ${input.performative} to ${input.agent}`);
    try {
      const r = await pending;
      if (spans && r.reply.sampled && r.reply.spanId) {
        // The reply's span: child of the agent's handling, whose id the reply carries.
        const span = this.tracing!.startFromFrame(`caxton receive ${r.reply.performative}`, SpanKind.CONSUMER, r.reply.traceId, r.reply.spanId, {
          'messaging.system': 'caxton', 'messaging.operation.type': 'receive', 'caxton.agent': r.reply.sender,
          'caxton.performative': r.reply.performative, 'caxton.message_id': r.reply.messageId, 'caxton.conversation_id': r.reply.conversationId,
        });
        span.end();
      }
      spans?.server.end();
      this.debug?.({
        agent: r.reply.sender, messageId: r.reply.messageId, conversationId: r.reply.conversationId, performative: r.reply.performative,
        ...(r.reply.traceId ? { traceId: r.reply.traceId, spanId: r.reply.spanId } : {}), latencyUs: Math.round(r.latencyUs),
      }, `invoke: reply ${r.reply.performative} from ${r.reply.sender}`);
      return r;
    } catch (e) {
      if (spans) {
        spans.server.setStatus({ code: SpanStatusCode.ERROR, message: (e as Error)?.message ?? String(e) });
        spans.server.end();
      }
      throw e;
    }
  }

  watch(conversationId: string, listener: (m: ApiMessage) => void): () => void {
    assertWellFormed(conversationId, 'conversation_id');
    return this.bus.watchConversation(required(conversationId, 'conversation_id', 'the conversation id to watch (as given to Send/Invoke, or 16 hex digits)'), listener);
  }

  contractNet(req: ContractNetRequest): Promise<ContractNetOutcome> {
    this.assertAccepting();
    if (req.task === undefined) {
      throw new InvalidArgumentError('task', 'is required', 'Give the task (the CFP\'s content) as JSON, e.g. {"job": "translate", "words": 300}.');
    }
    for (const [field, value] of [['task', req.task], ['capability', req.capability], ['contractors', req.contractors], ['select', req.select]] as const) assertWellFormed(value, field);
    return this.control.call('contractNet', req);
  }

  // ------------------------------------------------------------ server

  serverInfo(): Promise<ServerInfoView> {
    return this.control.call('serverInfo').then((i) => (this.draining ? { ...i, state: 'draining' } : i));
  }

  stats(): Promise<RuntimeStats> {
    return this.control.call('stats');
  }

  /** `reader` ('prometheus', 'otel'): whose utilisation window this reading ends and restarts */
  metrics(reader: MetricsReader): Promise<RuntimeMetrics> {
    return this.control.call('metrics', { reader });
  }

  // ------------------------------------------------------------ logs

  /** The log's lines that pass the filter (LogService.Tail); `signal` ends a follow. */
  tailLogs(req: { conversationId?: string; agent?: string; level?: string; sinceUnixMs?: number; follow?: boolean }, signal: AbortSignal): AsyncGenerator<LogLine> {
    if (!this.options.logFile) throw new LogsUnavailableError();
    let minLevel: number | undefined;
    if (req.level) {
      minLevel = levelNumber(req.level);
      if (minLevel === undefined || !Number.isFinite(minLevel)) {
        throw new InvalidArgumentError('level', `must be one of trace, debug, info, warn, error, fatal, got "${req.level}"`, 'Give the lowest level to show, e.g. "info", or leave it empty for all.');
      }
    }
    const conversationIds = req.conversationId ? [...new Set([req.conversationId, conversationKey(req.conversationId)])] : undefined;
    if (req.sinceUnixMs !== undefined && !(req.sinceUnixMs >= 0)) {
      throw new InvalidArgumentError('since_unix_ms', `must be a time in ms since the epoch, got ${req.sinceUnixMs}`, 'Give 0 for everything kept, or a recent time.');
    }
    return tailLog(this.options.logFile, { conversationIds, agent: req.agent || undefined, minLevel, sinceMs: req.sinceUnixMs || undefined }, Boolean(req.follow), signal);
  }

  deadLetters(limit: number | undefined): Promise<DeadLetter[]> {
    checkCallLimit('deadLetterLimit', limit ?? 0, 'limit', true);
    const n = limit === undefined || limit === 0 ? 100 : limit;
    return this.control.call('deadLetters', { limit: n });
  }

  drain(timeoutMs: number | undefined, shutdown: boolean): Promise<{ drained: boolean; stats: RuntimeStats }> {
    checkCallLimit('drainTimeoutMs', timeoutMs ?? 0, 'timeout_ms', true);
    if (shutdown) this.draining = true;
    return this.control.call('drain', { timeoutMs: timeoutMs || 10_000, shutdown });
  }

  ready(): Promise<{ ready: boolean; reason: string }> {
    return this.control.call('ready');
  }
}
