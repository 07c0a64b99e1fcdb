/**
 * The `$mcp` host endpoint (docs/mcp.md): agents call MCP tools by sending it
 * a FIPA `request` with content {tool: "server/name", arguments: {...}}; it
 * answers in the same conversation with `inform` (the tool's result:
 * {content, structuredContent?, isError}) or `failure` ({code, message,
 * hint}, runtime/errors.ts ToolFailure). A `query-ref` lists the tools the
 * agent may call, with their input schemas.
 *
 * It lives on the supervisor thread, beside `$df` and `$contract-net`: a
 * call is a promise there, never a blocked worker, and many run at once (up
 * to maxInFlightPerServer per tool server). Who calls is read from the
 * frame's source slot and generation, which the sending worker stamps: an
 * agent cannot borrow another agent's allow-list.
 *
 * Every request gets exactly one answer: the answer is sent once its call
 * settles, and an answer that does not fit the agent's mailbox right now is
 * retried (ANSWER_RETRY_MS) until it fits or the agent is gone.
 */
import { decodeFrame, type DecodedFrame } from '../../bus/frame.js';
import type { Performative } from '../../bus/layout.js';
import { FrameTooLargeError, isCaxtonError, TOOL_FAILURE_HINTS, ToolFailure, ToolServerNotFoundError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import { LineBudget } from '../observability/line-budget.js';
import { SpanKind, SpanStatusCode, type Span, type Tracing } from '../observability/tracing.js';
import type { HostEndpoints } from '../supervisor/endpoints.js';
import type { EndpointRecord, Registry } from '../supervisor/registry.js';
import { isAgent } from '../supervisor/registry.js';
import { allows, checkPolicy, checkToolServerSpec, sameSpec, splitToolName, type ToolOptions, type ToolServerSpec } from './spec.js';
import { ToolCallFailure, ToolServer, type ToolServerState } from './tool-server.js';
import { ToolStats, UNKNOWN_TOOL, type ToolMetrics } from './tool-stats.js';

export const MCP_ENDPOINT = '$mcp';
const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_IN_FLIGHT = 256;
const ANSWER_RETRY_MS = 20;
const ANSWER_PATIENCE_MS = 30_000;
const FAILURE_LINES_PER_SECOND = 50;

/** A tool server as `caxton tools list` shows it. */
export interface ToolServerInfo {
  name: string;
  transport: 'stdio' | 'http';
  /** the command line, or the URL (headers and tokens are never shown) */
  target: string;
  state: ToolServerState;
  restarts: number;
  lastError: string;
  inFlight: number;
  tools: { name: string; description: string; inputSchema: unknown }[];
  spec: ToolServerSpec;
}

export interface ToolHostDeps {
  endpoints: HostEndpoints;
  registry: Registry;
  logger: Logger;
  version: string;
}

export class ToolHost {
  /**
   * The supervisor's tracing (set by the runtime once it has started, when
   * OTLP traces are on): a sampled request gets a CLIENT span per tool call,
   * child of the agent's handling span, and its context is what the tool
   * server receives as traceparent. An SDK span costs a few µs, nothing next
   * to a tool call.
   */
  tracing: Tracing | undefined;
  private readonly endpoints: HostEndpoints;
  private readonly registry: Registry;
  private readonly logger: Logger;
  private readonly version: string;
  private readonly options: ToolOptions;
  private readonly servers = new Map<string, ToolServer>();
  private readonly record: EndpointRecord;
  /** calls by tool and outcome, latency per tool (/metrics) */
  private readonly stats = new ToolStats();
  /** answers waiting for room in an agent's mailbox */
  private pendingAnswers = 0;
  /** warnings about failed calls, at most FAILURE_LINES_PER_SECOND (an agent looping on a refused call cannot flood the log) */
  private readonly failureLines: LineBudget;

  constructor(options: ToolOptions, deps: ToolHostDeps) {
    this.options = options;
    this.endpoints = deps.endpoints;
    this.registry = deps.registry;
    this.logger = deps.logger.child({ endpoint: MCP_ENDPOINT });
    this.version = deps.version;
    this.record = deps.endpoints.add(MCP_ENDPOINT, (frame) => this.onFrame(frame));
    this.failureLines = new LineBudget(FAILURE_LINES_PER_SECOND, (skipped) => {
      this.logger.warn({ skipped }, `${skipped} more failed tool call(s) not logged (their counts are in /metrics: caxton_tool_calls_total)`);
    });
  }

  // ---------------------------------------------------------------- configuration

  /** Add or replace a tool server (checked, then started). `unchanged` when the same spec already runs. */
  put(spec: ToolServerSpec): 'created' | 'updated' | 'unchanged' {
    checkToolServerSpec(spec);
    checkPolicy(spec, this.options);
    const old = this.servers.get(spec.name);
    if (old && sameSpec(old.spec, spec)) return 'unchanged';
    if (old) void old.stop();
    const server = new ToolServer(structuredClone(spec), { logger: this.logger, version: this.version, maxMessageBytes: this.options.maxMessageBytes });
    this.servers.set(spec.name, server);
    server.start();
    return old ? 'updated' : 'created';
  }

  async remove(name: string): Promise<void> {
    const s = this.servers.get(name);
    if (!s) throw new ToolServerNotFoundError(name, [...this.servers.keys()]);
    this.servers.delete(name);
    await s.stop();
  }

  list(): ToolServerInfo[] {
    return [...this.servers.values()].sort((a, b) => (a.name < b.name ? -1 : 1)).map((s) => ({
      name: s.name,
      transport: s.spec.stdio ? 'stdio' : 'http',
      target: s.spec.stdio ? [s.spec.stdio.command, ...(s.spec.stdio.args ?? [])].join(' ') : s.spec.http!.url,
      state: s.state, restarts: s.restarts, lastError: s.lastError, inFlight: s.inFlight,
      tools: [...s.tools.values()].map((e) => ({ name: e.tool.name, description: e.tool.description ?? '', inputSchema: e.tool.inputSchema })),
      spec: structuredClone(s.spec),
    }));
  }

  /** Resolves once every server is ready or down (tests, and `caxton deploy` reporting a server that cannot start). */
  settled(): Promise<void> {
    return new Promise((resolve) => {
      const check = (): void => {
        if ([...this.servers.values()].every((s) => s.state !== 'starting')) resolve();
        else setTimeout(check, 10).unref();
      };
      check();
    });
  }

  async stop(): Promise<void> {
    const all = [...this.servers.values()];
    this.servers.clear();
    await Promise.all(all.map((s) => s.stop()));
  }

  // ---------------------------------------------------------------- calls

  private onFrame(frame: Uint8Array): void {
    const f = decodeFrame(frame);
    const caller = this.registry.atSlot(f.sourceSlot);
    // Only agents call tools; an answer (inform, failure...) to $mcp is never answered back.
    if (!caller || !isAgent(caller) || caller.generation !== f.sourceGeneration) return;
    if (f.performative === 'query-ref') {
      this.answer(f, frame, caller.name, 'inform', { tools: this.toolsFor(caller.tools) });
      return;
    }
    if (f.performative !== 'request') {
      if (f.performative === 'inform' || f.performative === 'failure' || f.performative === 'not-understood') return;
      this.answer(f, frame, caller.name, 'not-understood', `$mcp takes a request {tool: "server/name", arguments: {...}} or a query-ref, not ${f.performative}`);
      return;
    }
    void this.call(f, frame, caller.name, caller.tools);
  }

  private async call(f: DecodedFrame, frame: Uint8Array, agent: string, allowList: readonly string[]): Promise<void> {
    const content = f.content as { tool?: unknown; arguments?: unknown } | null;
    const fail = (code: ToolFailure, message: string, tool = '', ms?: number): void => {
      this.count(tool, code, ms);
      this.logCall(f, agent, tool, code, ms, message);
      this.answer(f, frame, agent, 'failure', { code, message, hint: TOOL_FAILURE_HINTS[code] });
    };
    if (content === null || typeof content !== 'object' || Array.isArray(content)) {
      fail(ToolFailure.TOOL_REQUEST_INVALID, 'the content is not a map {tool, arguments}');
      return;
    }
    const name = splitToolName(content.tool);
    if (!name) {
      fail(ToolFailure.TOOL_REQUEST_INVALID, `tool must be "server/name", got ${JSON.stringify(content.tool) ?? 'nothing'}`);
      return;
    }
    const full = `${name.server}/${name.tool}`;
    const args = content.arguments ?? {};
    if (typeof args !== 'object' || args === null || Array.isArray(args)) {
      fail(ToolFailure.TOOL_REQUEST_INVALID, 'arguments must be a map', full);
      return;
    }
    if (!allows(allowList, name.server, name.tool)) {
      fail(ToolFailure.TOOL_NOT_ALLOWED, `agent "${agent}" may not call ${full}: its tools: list ${allowList.length ? `is ${allowList.join(', ')}` : 'is empty'}`, full);
      return;
    }
    const server = this.servers.get(name.server);
    if (!server) {
      fail(ToolFailure.TOOL_NOT_FOUND, `no tool server named "${name.server}"${this.servers.size ? ` (there are: ${[...this.servers.keys()].join(', ')})` : ''}`, full);
      return;
    }
    const entry = server.tools.get(name.tool);
    if (!entry) {
      if (server.state !== 'ready') fail(ToolFailure.TOOL_SERVER_DOWN, `tool server "${name.server}" is ${server.state}${server.lastError ? ` (${server.lastError})` : ''}`, full);
      else fail(ToolFailure.TOOL_NOT_FOUND, `tool server "${name.server}" has no tool "${name.tool}" (it has: ${[...server.tools.keys()].join(', ') || 'none'})`, full);
      return;
    }
    if (entry.validate && !entry.validate(args)) {
      const e = entry.validate.errors?.[0];
      const at = e ? `arguments${e.instancePath.replace(/\//g, '.')}` : 'arguments';
      fail(ToolFailure.TOOL_ARGUMENTS_INVALID, `${full}: ${at} ${e?.message ?? 'do not match the input schema'}`, full);
      return;
    }
    if (server.inFlight >= (this.options.maxInFlightPerServer ?? DEFAULT_MAX_IN_FLIGHT)) {
      fail(ToolFailure.TOOL_SERVER_BUSY, `${server.inFlight} calls already wait for tool server "${name.server}"`, full);
      return;
    }
    const replyBy = typeof f.params?.replyBy === 'number' ? f.params.replyBy - Date.now() : NaN;
    const timeoutMs = Math.max(1, Number.isFinite(replyBy) ? replyBy : server.spec.timeoutMs ?? this.options.defaultTimeoutMs ?? DEFAULT_TIMEOUT_MS);
    const sampled = (f.flags & 1) !== 0;
    let span: Span | undefined;
    let traceparent: string | undefined;
    if (f.traceId && this.tracing && sampled) {
      span = this.tracing.startFromFrame(`caxton tool call ${full}`, SpanKind.CLIENT, f.traceId, f.spanId, {
        'caxton.agent': agent, 'caxton.tool': full, 'caxton.conversation_id': f.conversationId, 'rpc.system': 'mcp', 'rpc.method': 'tools/call',
      });
      const sc = span.spanContext();
      traceparent = `00-${sc.traceId}-${sc.spanId}-01`;
    } else if (f.traceId) {
      traceparent = `00-${f.traceId}-${f.spanId}-${sampled ? '01' : '00'}`;
    }
    server.inFlight++;
    const started = performance.now();
    try {
      const result = await server.call(name.tool, args as Record<string, unknown>, timeoutMs, traceparent);
      const reply = { content: result.content ?? [], ...(result.structuredContent !== undefined ? { structuredContent: result.structuredContent } : {}), isError: result.isError === true };
      if (this.answer(f, frame, agent, 'inform', reply, () => {
        fail(ToolFailure.TOOL_RESULT_TOO_LARGE, `${full} returned more than an agent may be sent (the frame limit)`, full);
        span?.setStatus({ code: SpanStatusCode.ERROR, message: ToolFailure.TOOL_RESULT_TOO_LARGE });
      })) {
        const ms = performance.now() - started;
        this.count(full, result.isError === true ? 'is_error' : 'ok', ms);
        this.logCall(f, agent, full, result.isError === true ? 'is_error' : 'ok', ms);
        if (result.isError === true) span?.setAttribute('caxton.tool_is_error', true);
      }
    } catch (e) {
      const ms = performance.now() - started;
      const failure = e instanceof ToolCallFailure ? e : new ToolCallFailure(ToolFailure.TOOL_ERROR, `${full}: ${(e as Error)?.message ?? String(e)}`);
      fail(failure.code, failure.message, full, ms);
      span?.setStatus({ code: SpanStatusCode.ERROR, message: `${failure.code}: ${failure.message}` });
    } finally {
      server.inFlight--;
      span?.end();
    }
  }

  /** The tools an allow-list lets an agent call, with their schemas (a query-ref's answer). */
  private toolsFor(allowList: readonly string[]): { name: string; description: string; inputSchema: unknown }[] {
    const out: { name: string; description: string; inputSchema: unknown }[] = [];
    for (const s of this.servers.values()) {
      for (const e of s.tools.values()) {
        if (allows(allowList, s.name, e.tool.name)) out.push({ name: `${s.name}/${e.tool.name}`, description: e.tool.description ?? '', inputSchema: e.tool.inputSchema });
      }
    }
    return out;
  }

  /** Count a call under its tool when a server has that tool, else "(unknown)" (a bounded label set). */
  private count(tool: string, outcome: string, latencyMs?: number): void {
    const name = splitToolName(tool);
    const known = name !== undefined && this.servers.get(name.server)?.tools.has(name.tool) === true;
    this.stats.record(known ? tool : UNKNOWN_TOOL, outcome, latencyMs);
  }

  /**
   * One line per answered call, with its conversation id: debug when the tool
   * answered (ok or is_error), a warning when the call failed (`message` says why).
   */
  private logCall(f: DecodedFrame, agent: string, tool: string, outcome: string, ms: number | undefined, message?: string): void {
    if (message === undefined && !this.logger.isLevelEnabled('debug')) return;
    const fields = { agent, tool, conversationId: f.conversationId, messageId: f.messageId, outcome, ...(ms !== undefined ? { ms: Math.round(ms * 1000) / 1000 } : {}), ...(f.traceId ? { traceId: f.traceId } : {}) };
    if (message === undefined) this.logger.debug(fields, `tool call ${tool}: ${outcome}`);
    else if (this.failureLines.take()) this.logger.warn(fields, `tool call ${tool || '(none)'} failed: ${outcome}: ${message}`);
  }

  /** For /metrics: calls, latencies, and each server's state. */
  metrics(): ToolMetrics {
    return this.stats.snapshot([...this.servers.values()].map((s) => ({ server: s.name, state: s.state, restarts: s.restarts, inFlight: s.inFlight })));
  }

  /**
   * Answer the request `f` in its conversation. Returns false when the
   * answer is too large (then `tooLarge` is called to answer instead).
   * A full mailbox is waited out; an agent that is gone gets nothing.
   */
  private answer(f: DecodedFrame, frame: Uint8Array, agent: string, performative: Performative, content: unknown, tooLarge?: () => void): boolean {
    const giveUpAt = Date.now() + ANSWER_PATIENCE_MS;
    const attempt = (): boolean => {
      // The agent that asked, not a newer one of the same name.
      const now = this.registry.agent(agent);
      if (!now || now.slot !== f.sourceSlot || now.generation !== f.sourceGeneration) return true;
      try {
        // The request's own header words (ids, sender): no hex strings, no name lookup per answer.
        this.endpoints.answerFrame(frame, agent, performative, content, this.record);
        return true;
      } catch (e) {
        if (e instanceof FrameTooLargeError && tooLarge) {
          tooLarge();
          return false;
        }
        if (isCaxtonError(e) && e.code === 'MAILBOX_FULL' && Date.now() < giveUpAt) {
          this.pendingAnswers++;
          setTimeout(() => {
            this.pendingAnswers--;
            attempt();
          }, ANSWER_RETRY_MS).unref();
          return true;
        }
        this.logger.warn({ agent, conversationId: f.conversationId }, `could not answer a tool call: ${(e as Error).message}`);
        return true;
      }
    };
    return attempt();
  }
}
