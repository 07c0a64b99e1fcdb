/**
 * One supervised MCP tool server: an SDK `Client` over stdio (a child
 * process) or Streamable HTTP, its tool list with compiled input-schema
 * validators, and its calls. It restarts with back-off whenever the
 * connection is lost (the process exits, stdout closes, a message is too
 * large to buffer, the HTTP endpoint fails to initialize), and every call in
 * flight at that moment fails TOOL_SERVER_DOWN: a call is answered once,
 * whatever the server does.
 *
 * Tricks, and their switches:
 * - The child gets only the SDK's safe default environment (PATH, HOME...)
 *   plus the spec's `env`, never the Caxton server's secrets.
 * - A stdio message is buffered up to MAX_MESSAGE_BYTES (SDK maxBufferSize;
 *   ToolOptions.maxMessageBytes); a larger one closes the connection (a tool
 *   that floods stdout cannot exhaust our memory). Messages are read with
 *   LineBuffer (line-buffer.ts), linear in their size where the SDK's read
 *   buffer is quadratic. Over HTTP the same limit
 *   caps a POST's response (a call's answer over it fails that call
 *   TOOL_RESULT_TOO_LARGE; the connection stays) and each line of the
 *   notification stream (over it, the connection restarts). Results above
 *   the agent's frame limit but under it are refused per call
 *   (TOOL_RESULT_TOO_LARGE, in tool-host.ts).
 * - stderr lines go to the server log, at most STDERR_LINES_PER_SECOND a
 *   second, the rest counted in one line.
 * - Why a stdio connection closed is kept in lastError (`caxton tools list`):
 *   the process's exit code or signal, which the SDK's transport does not
 *   expose (StdioWithExit reads them off its child), its last stderr line,
 *   and a message over the limit.
 * - The W3C trace context of the call reaches an HTTP tool server as a
 *   `traceparent` header (an AsyncLocalStorage read by our fetch), and any
 *   server as `_meta.traceparent`.
 * - Over HTTP the SDK sees no connection to lose, so our fetch watches for
 *   it: a request that cannot reach the server (refused, reset) marks it
 *   down and restarts the connection with back-off; a call whose response
 *   stream breaks before its answer (the server died in the middle of it) is
 *   failed TOOL_SERVER_DOWN at once, since an answer lost with a stream that
 *   has no event ids is never resumed (else the call would wait for its time
 *   limit); one whose stream ends cleanly without the answer and without
 *   event ids fails TOOL_ERROR for the same reason.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport, getDefaultEnvironment, type StdioServerParameters } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { McpError, ErrorCode, ToolListChangedNotificationSchema, type CallToolResult, type Tool } from '@modelcontextprotocol/sdk/types.js';
import { Ajv, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { Logger } from '../observability/logger.js';
import { LineBudget } from '../observability/line-budget.js';
import { LineBuffer } from './line-buffer.js';
import { ToolFailure } from '../errors.js';
import type { ToolServerSpec } from './spec.js';

const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
/** read stdio messages with LineBuffer (linear time), not the SDK's ReadBuffer (quadratic): CAXTON_TOOL_LINE_BUFFER=off turns it off */
const LINE_BUFFER = process.env.CAXTON_TOOL_LINE_BUFFER !== 'off';
/** how long a server may take to start and list its tools, unless its spec says (startTimeoutMs) */
const START_TIMEOUT_MS = 30_000;
const BACKOFF_FIRST_MS = 250;
const BACKOFF_MAX_MS = 30_000;
/** up this long, the next loss starts the back-off from the beginning again */
const HEALTHY_MS = 60_000;
const STDERR_LINES_PER_SECOND = 50;
/** the last stderr line kept for lastError is cut to this many characters */
const STDERR_TAIL_CHARS = 300;
/** a call whose HTTP response stream ended cleanly without its answer fails after this long (the answer, had it come, is handled by then) */
const ENDED_GRACE_MS = 20;

export type ToolServerState = 'starting' | 'ready' | 'down' | 'stopped';

export interface ToolEntry {
  tool: Tool;
  /** undefined: the schema could not be compiled, arguments are passed unchecked (logged once) */
  validate: ValidateFunction | undefined;
}

/** A failed call: the code the agent gets (runtime/errors.ts ToolFailure) and why. */
export class ToolCallFailure extends Error {
  constructor(readonly code: ToolFailure, message: string) {
    super(message);
  }
}

/** The call being made over HTTP, for our fetch: its trace context (a header to send) and what to do if its response stream breaks. */
interface CallContext {
  traceparent: string | undefined;
  broke: (e: unknown) => void;
  /** its response passed maxMessageBytes */
  tooLarge: (limit: number) => void;
  /** its response stream ended cleanly, and carried no event id the SDK could resume it from */
  ended: () => void;
}
const callContext = new AsyncLocalStorage<CallContext>();

export interface ToolServerDeps {
  logger: Logger;
  version: string;
  /** the largest stdio message read (default MAX_MESSAGE_BYTES) */
  maxMessageBytes?: number;
  /** called when the state or the tool list changes (metrics, `caxton tools list`) */
  onChange?: () => void;
}

export class ToolServer {
  readonly spec: ToolServerSpec;
  state: ToolServerState = 'starting';
  restarts = 0;
  lastError = '';
  tools = new Map<string, ToolEntry>();
  /** calls waiting for this server now */
  inFlight = 0;
  private client: Client | undefined;
  /** bumped at every connection: events of an older one are ignored */
  private epoch = 0;
  private readyAt = 0;
  private backoffMs = BACKOFF_FIRST_MS;
  private retry: NodeJS.Timeout | undefined;
  private readonly logger: Logger;
  private readonly version: string;
  private readonly maxMessageBytes: number;
  private readonly onChange: () => void;
  /** the last stderr line of the current process (stdio) */
  private lastStderr = '';
  private readonly stderrBudget: LineBudget;

  constructor(spec: ToolServerSpec, deps: ToolServerDeps) {
    this.spec = spec;
    this.logger = deps.logger.child({ toolServer: spec.name });
    this.version = deps.version;
    this.maxMessageBytes = deps.maxMessageBytes ?? MAX_MESSAGE_BYTES;
    this.onChange = deps.onChange ?? (() => undefined);
    this.stderrBudget = new LineBudget(STDERR_LINES_PER_SECOND, (skipped) => {
      this.logger.info({ skipped }, `${skipped} more stderr line(s) of the tool server not logged`);
    });
  }

  get name(): string {
    return this.spec.name;
  }

  /** Connect (in the background); failures are retried with back-off until stop(). */
  start(): void {
    void this.connect();
  }

  /** Disconnect for good: the child is stopped (SIGTERM, then SIGKILL); calls in flight fail TOOL_SERVER_DOWN. */
  async stop(): Promise<void> {
    this.state = 'stopped';
    this.epoch++;
    if (this.retry) clearTimeout(this.retry);
    const c = this.client;
    this.client = undefined;
    await c?.close().catch(() => undefined);
  }

  /**
   * Call `tool` with `args` (already validated by the caller), within
   * `timeoutMs`. Resolves with the tool's result; rejects with a
   * ToolCallFailure saying why there is none.
   */
  async call(tool: string, args: Record<string, unknown>, timeoutMs: number, traceparent: string | undefined): Promise<CallToolResult> {
    const client = this.client;
    if (this.state !== 'ready' || client === undefined) {
      throw new ToolCallFailure(ToolFailure.TOOL_SERVER_DOWN, `tool server "${this.name}" is ${this.state}${this.lastError ? ` (${this.lastError})` : ''}`);
    }
    const params = { name: tool, arguments: args, ...(traceparent ? { _meta: { traceparent } } : {}) };
    try {
      if (!this.spec.http) return await client.callTool(params, undefined, { timeout: timeoutMs }) as CallToolResult;
      // Over HTTP, a broken response stream aborts the call (the SDK then sends notifications/cancelled).
      const broken = new AbortController();
      let settled = false;
      // The SDK turns an abort reason that is not an McpError into a time-out: ours is kept here instead.
      let failure: ToolCallFailure | undefined;
      const fail = (f: ToolCallFailure): void => {
        if (settled) return;
        failure = f;
        broken.abort(new McpError(ErrorCode.InternalError, f.message));
      };
      const ctx: CallContext = {
        traceparent,
        broke: (e) => { if (!settled) broken.abort(new McpError(ErrorCode.ConnectionClosed, `its answer's HTTP stream broke (${causeOf(e)})`)); },
        // Checked a moment after the end: the answer, if the stream carried one, has settled the call by then.
        ended: () => setTimeout(() => fail(new ToolCallFailure(ToolFailure.TOOL_ERROR, `tool server "${this.name}" ended the call's HTTP response stream without an answer`)), ENDED_GRACE_MS).unref(),
        tooLarge: (limit) => fail(new ToolCallFailure(ToolFailure.TOOL_RESULT_TOO_LARGE, `tool server "${this.name}" answered with more than ${limit} bytes (maxMessageBytes)`)),
      };
      try {
        return await callContext.run(ctx, () => client.callTool(params, undefined, { timeout: timeoutMs, signal: broken.signal })) as CallToolResult;
      } catch (e) {
        throw failure ?? e;
      } finally {
        settled = true;
      }
    } catch (e) {
      throw this.failureOf(e, timeoutMs);
    }
  }

  private failureOf(e: unknown, timeoutMs: number): ToolCallFailure {
    if (e instanceof ToolCallFailure) return e;
    if (e instanceof McpError) {
      if (e.code === ErrorCode.RequestTimeout) return new ToolCallFailure(ToolFailure.TOOL_TIMEOUT, `tool server "${this.name}" did not answer within ${timeoutMs} ms`);
      if (e.code === ErrorCode.ConnectionClosed) {
        const why = this.lastError ? ` (${this.lastError})` : `: ${e.message.replace(/^MCP error -?\d+: /, '')}`;
        return new ToolCallFailure(ToolFailure.TOOL_SERVER_DOWN, `tool server "${this.name}" went away during the call${why}`);
      }
      return new ToolCallFailure(ToolFailure.TOOL_ERROR, `tool server "${this.name}" answered with an error: ${e.message}`);
    }
    // Not a JSON-RPC error: a result that is not a CallToolResult (the SDK's
    // schema refused it) while the server stays up, or a transport failure.
    const text = (e as Error)?.message ?? String(e);
    if (this.state === 'ready') return new ToolCallFailure(ToolFailure.TOOL_ERROR, `tool server "${this.name}" sent a result that is not a valid tool result: ${text.slice(0, 500)}`);
    return new ToolCallFailure(ToolFailure.TOOL_SERVER_DOWN, `tool server "${this.name}": ${text}`);
  }

  // ---------------------------------------------------------------- connection

  private async connect(): Promise<void> {
    if (this.state === 'stopped') return;
    const epoch = ++this.epoch;
    this.state = 'starting';
    this.onChange();
    let transport: Transport;
    try {
      transport = this.transport(epoch);
    } catch (e) {
      this.lost(epoch, (e as Error).message);
      return;
    }
    const client = new Client({ name: 'caxton', version: this.version }, { capabilities: {} });
    /** set when the transport closes itself because of what the server sent */
    let closing: string | undefined;
    client.onclose = () => this.lost(epoch, this.closedBecause(transport, closing));
    // A line that is not JSON-RPC, a message for an unknown request: logged, not fatal.
    // A message over the limit: the SDK's transport closes the connection next.
    client.onerror = (e) => {
      if (epoch !== this.epoch) return;
      if (e.message.includes('ReadBuffer exceeded maximum size')) closing = `it sent a message larger than ${this.maxMessageBytes} bytes`;
      this.logger.warn(`tool server error: ${e.message}`);
    };
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      if (epoch === this.epoch) void this.refreshTools(client, epoch).catch((e: Error) => this.logger.warn(`could not refresh the tool list: ${e.message}`));
    });
    this.client = client;
    try {
      await client.connect(transport, { timeout: this.spec.startTimeoutMs ?? START_TIMEOUT_MS });
      await this.refreshTools(client, epoch);
    } catch (e) {
      this.lost(epoch, `could not start: ${(e as Error).message}`);
      return;
    }
    if (epoch !== this.epoch) return;
    this.state = 'ready';
    this.readyAt = Date.now();
    this.lastError = '';
    this.logger.info({ tools: this.tools.size }, `tool server "${this.name}" is ready`);
    this.onChange();
  }

  /** The transport of connection `epoch`. */
  private transport(epoch: number): Transport {
    const s = this.spec;
    if (s.stdio) {
      const t = new StdioWithExit({
        command: s.stdio.command, args: s.stdio.args ?? [], cwd: s.stdio.cwd,
        env: { ...getDefaultEnvironment(), ...s.stdio.env }, stderr: 'pipe', maxBufferSize: this.maxMessageBytes,
      }, this.maxMessageBytes);
      this.lastStderr = '';
      if (t.stderr) {
        createInterface({ input: t.stderr as unknown as NodeJS.ReadableStream, crlfDelay: Infinity }).on('line', (line) => {
          if (epoch === this.epoch) this.lastStderr = line.length > STDERR_TAIL_CHARS ? `${line.slice(0, STDERR_TAIL_CHARS)}...` : line;
          this.stderrLine(line);
        });
      }
      return t;
    }
    const h = s.http!;
    const headers: Record<string, string> = { ...h.headers };
    if (h.tokenEnv !== undefined) {
      const token = process.env[h.tokenEnv];
      if (!token) throw new Error(`the environment variable ${h.tokenEnv} (http.tokenEnv) is not set in the Caxton server's environment`);
      headers.authorization = `Bearer ${token}`;
    }
    return new StreamableHTTPClientTransport(new URL(h.url), {
      requestInit: { headers },
      fetch: async (url, init) => {
        const call = callContext.getStore();
        let req = withOwnSignal(init);
        if (call?.traceparent !== undefined) {
          const withTrace = new Headers(init?.headers);
          withTrace.set('traceparent', call.traceparent);
          req = { ...req, headers: withTrace };
        }
        let res: Response;
        try {
          res = await fetch(url, req);
        } catch (e) {
          // fetch's TypeError: no answer at all (refused, reset, DNS). Our own close aborts with an AbortError instead.
          if (e instanceof TypeError) this.lost(epoch, `the tool server cannot be reached: ${causeOf(e)}`);
          throw e;
        }
        if (!res.body) return res;
        // A POST's response (JSON, or the event stream that carries a call's
        // answer) is capped as a whole; the long-lived GET event stream of
        // notifications per line, so one event cannot grow without end.
        const post = init?.method === 'POST';
        const limit = this.maxMessageBytes;
        const overLimit = (): void => {
          if (call) call.tooLarge(limit);
          else this.lost(epoch, `it sent a message larger than ${limit} bytes (maxMessageBytes)`);
        };
        // A call's answer comes on the event stream of its POST: watch it for a break, and for an end without the answer.
        const sse = (res.headers.get('content-type') ?? '').includes('text/event-stream');
        const watch = call && post && sse ? call : undefined;
        return new Response(guardBody(res.body, limit, post ? 'total' : 'line', overLimit, watch), { status: res.status, statusText: res.statusText, headers: res.headers });
      },
    });
  }

  /** The tool list, every page of it, with each input schema compiled once. */
  private async refreshTools(client: Client, epoch: number): Promise<void> {
    const tools = new Map<string, ToolEntry>();
    let cursor: string | undefined;
    do {
      const page = await client.listTools(cursor ? { cursor } : undefined, { timeout: this.spec.startTimeoutMs ?? START_TIMEOUT_MS });
      for (const tool of page.tools) tools.set(tool.name, { tool, validate: this.compile(tool) });
      cursor = page.nextCursor;
    } while (cursor);
    if (epoch !== this.epoch) return;
    this.tools = tools;
    this.onChange();
  }

  private compile(tool: Tool): ValidateFunction | undefined {
    const schema = tool.inputSchema as Record<string, unknown>;
    try {
      const modern = typeof schema.$schema !== 'string' || schema.$schema.includes('2020-12') || schema.$schema.includes('2019-09');
      const ajv = modern ? new Ajv2020({ strict: false, allErrors: false, validateFormats: false }) : new Ajv({ strict: false, allErrors: false, validateFormats: false });
      return ajv.compile(schema);
    } catch (e) {
      this.logger.warn({ tool: tool.name }, `the input schema of tool "${tool.name}" does not compile (${(e as Error).message}); its arguments are passed on unchecked`);
      return undefined;
    }
  }

  /**
   * Why a connection closed, for lastError: what the server sent that made
   * the transport close (`closing`), how its process ended and the last line
   * it wrote to stderr (stdio). Read at the close: a child's 'exit' comes
   * before its 'close', and its stderr has ended by then.
   */
  private closedBecause(transport: Transport, closing: string | undefined): string {
    const why: string[] = [];
    if (closing) why.push(closing);
    const exit = transport instanceof StdioWithExit ? transport.exit : undefined;
    if (exit) why.push(exit.signal ? `the process was killed by ${exit.signal}` : `the process exited with code ${exit.code}`);
    if (transport instanceof StdioWithExit && this.lastStderr) why.push(`its last stderr line: ${this.lastStderr}`);
    return why.length ? `the connection closed: ${why.join('; ')}` : 'the connection closed';
  }

  /** The connection of `epoch` is gone: fail over to a restart with back-off. */
  private lost(epoch: number, why: string): void {
    if (epoch !== this.epoch || this.state === 'stopped') return;
    this.epoch++;
    const c = this.client;
    this.client = undefined;
    void c?.close().catch(() => undefined);
    if (this.state === 'ready' && Date.now() - this.readyAt > HEALTHY_MS) this.backoffMs = BACKOFF_FIRST_MS;
    this.state = 'down';
    this.lastError = why;
    this.logger.warn({ retryInMs: this.backoffMs }, `tool server "${this.name}" is down: ${why}; restarting`);
    this.onChange();
    this.retry = setTimeout(() => {
      this.retry = undefined;
      this.restarts++;
      void this.connect();
    }, this.backoffMs);
    this.retry.unref();
    this.backoffMs = Math.min(this.backoffMs * 2, BACKOFF_MAX_MS);
  }

  private stderrLine(line: string): void {
    if (this.stderrBudget.take()) this.logger.info({ stderr: true }, line);
  }
}

/**
 * The SDK's stdio transport, which also keeps how its process ended: the SDK
 * does not expose the exit code or signal (test/fixtures/mcp/README.md), so
 * they are read off the child it spawns (a private field; without it, exit
 * stays undefined and lastError just lacks them).
 */
class StdioWithExit extends StdioClientTransport {
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;

  constructor(params: StdioServerParameters, maxMessageBytes: number) {
    super(params);
    // The SDK's read buffer costs quadratic time in a message's size (line-buffer.ts); ours, linear.
    // CAXTON_TOOL_LINE_BUFFER=off keeps the SDK's.
    if (LINE_BUFFER) (this as unknown as { _readBuffer: LineBuffer })._readBuffer = new LineBuffer(maxMessageBytes);
  }

  override start(): Promise<void> {
    // The child is spawned synchronously, before start() returns its promise.
    const started = super.start();
    (this as unknown as { _process?: ChildProcess })._process?.once('exit', (code, signal) => {
      this.exit = { code, signal };
    });
    return started;
  }
}

/** The reason of a network failure: fetch's TypeError says "fetch failed", its cause says why (connect ECONNREFUSED 127.0.0.1:PORT). */
function causeOf(e: unknown): string {
  const err = e as (Error & { cause?: Error & { code?: string; errors?: Error[] } }) | undefined;
  const c = err?.cause;
  return c?.message || c?.errors?.[0]?.message || c?.code || err?.message || String(e);
}

/**
 * `init` with a signal of its own that follows the transport's. The SDK
 * passes every request the transport's one long-lived signal, and fetch
 * (undici) adds an abort listener to it per request that only goes when the
 * request is garbage-collected: at thousands of calls a second they pile up
 * past 1500 and Node warns of a leak (MaxListenersExceededWarning). A
 * signal from AbortSignal.any is followed through a weak reference, and the
 * listener lands on it, collected with it.
 */
export function withOwnSignal(init: RequestInit | undefined): RequestInit | undefined {
  return init?.signal ? { ...init, signal: AbortSignal.any([init.signal]) } : init;
}

/**
 * `body`, read through with a size cap: more than `limit` bytes in all
 * (`total`) or since the last newline (`line`) calls `overLimit` and ends
 * the stream with an error. For a call's event stream (`call`): a read that
 * fails (the connection broke) calls `broke`, and an end with no `id:` line
 * seen calls `ended` (with an id, the SDK resumes the stream itself).
 */
function guardBody(body: ReadableStream<Uint8Array>, limit: number, mode: 'total' | 'line', overLimit: () => void, call: CallContext | undefined): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let bytes = 0;
  let sawId = false;
  // The bytes "\nid:" may be split over two chunks: the last three of the previous are kept.
  let tail = '\n';
  const decoder = call ? new TextDecoder() : undefined;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let r: ReadableStreamReadResult<Uint8Array>;
      try {
        r = await reader.read();
      } catch (e) {
        call?.broke(e);
        controller.error(e);
        return;
      }
      if (r.done) {
        if (call && !sawId) call.ended();
        controller.close();
        return;
      }
      const chunk = r.value;
      const nl = mode === 'line' ? chunk.lastIndexOf(0x0a) : -1;
      bytes = nl >= 0 ? chunk.length - nl - 1 : bytes + chunk.length;
      if (bytes > limit) {
        overLimit();
        controller.error(new Error(`the response passed ${limit} bytes`));
        void reader.cancel().catch(() => undefined);
        return;
      }
      if (decoder && !sawId) {
        const text = tail + decoder.decode(chunk, { stream: true });
        sawId = /[\r\n]id:/.test(text);
        tail = text.slice(-3);
      }
      controller.enqueue(chunk);
    },
    cancel: (reason) => reader.cancel(reason),
  });
}
