/**
 * A gate in front of the MCP Server, on both transports: each JSON-RPC
 * request is checked before the SDK's Server sees it, so that a method we do
 * not serve, or params of the wrong shape, get a JSON-RPC error with our
 * code and hint in `data`. Left to the SDK, an unknown method is a bare
 * "Method not found" and params that fail its schema an INTERNAL error
 * carrying a Zod dump. The checks are the SDK's own request schemas.
 *
 * Notifications and responses pass untouched (an unknown notification is
 * ignored, as JSON-RPC wants).
 */
import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  CallToolRequestSchema, InitializeRequestSchema, ListResourcesRequestSchema, ListResourceTemplatesRequestSchema, ListToolsRequestSchema,
  PingRequestSchema, ReadResourceRequestSchema, isJSONRPCErrorResponse, isJSONRPCRequest, isJSONRPCResultResponse, type JSONRPCMessage,
  type JSONRPCRequest, type MessageExtraInfo, type RequestId,
} from '@modelcontextprotocol/sdk/types.js';
import { InvalidArgumentError, UnknownMcpMethodError } from '../../runtime/errors.js';
import { JSONRPC, errorResponse } from './errors.js';

interface RequestSchema {
  safeParse(v: unknown): { success: true } | { success: false; error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] } };
}

/** Every method the server serves, its params' schema, and what to send instead of bad params. */
const SERVED: Readonly<Record<string, { schema: RequestSchema; shape: string }>> = {
  initialize: { schema: InitializeRequestSchema, shape: '{"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "...", "version": "..."}}' },
  ping: { schema: PingRequestSchema, shape: 'no params' },
  'tools/list': { schema: ListToolsRequestSchema, shape: '{} or {"cursor": "..."}' },
  'tools/call': { schema: CallToolRequestSchema, shape: '{"name": "<a tool from tools/list>", "arguments": {...}}' },
  'resources/list': { schema: ListResourcesRequestSchema, shape: '{} or {"cursor": "..."}' },
  'resources/templates/list': { schema: ListResourceTemplatesRequestSchema, shape: '{} or {"cursor": "..."}' },
  'resources/read': { schema: ReadResourceRequestSchema, shape: '{"uri": "caxton://agents"}' },
};

export const SERVED_METHODS: readonly string[] = Object.keys(SERVED);

/** The error to answer `request` with instead of handling it, or undefined when it may go on. */
export function refusal(request: JSONRPCRequest): InvalidArgumentError | UnknownMcpMethodError | undefined {
  const served = Object.hasOwn(SERVED, request.method) ? SERVED[request.method] : undefined;
  if (!served) return new UnknownMcpMethodError(request.method, SERVED_METHODS);
  const parsed = served.schema.safeParse(request);
  if (parsed.success) return undefined;
  const issue = parsed.error.issues[0]!;
  const field = issue.path.map(String).join('.') || 'params';
  const problem = /received undefined/.test(issue.message) ? 'is required' : issue.message.replace(/^Invalid input: /, '');
  return new InvalidArgumentError(field, problem, `${request.method} takes params ${served.shape} (docs/mcp.md).`);
}

/** A Transport whose incoming requests pass refusal() first; a refused one is answered at once and never reaches the Server. */
export class GatedTransport implements Transport {
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  onmessage?: (<T extends JSONRPCMessage>(message: T, extra?: MessageExtraInfo) => void) | undefined;

  /** requests handed to the Server and not answered yet */
  private readonly pending = new Set<RequestId>();
  private idle: (() => void)[] = [];

  constructor(private readonly inner: Transport) {}

  /** Resolves once every request handed to the Server is answered (stdio: a client that closed stdin still gets its answers). */
  whenIdle(): Promise<void> {
    if (this.pending.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  get sessionId(): string | undefined {
    return this.inner.sessionId;
  }

  setProtocolVersion(version: string): void {
    this.inner.setProtocolVersion?.(version);
  }

  async start(): Promise<void> {
    this.inner.onclose = () => this.onclose?.();
    this.inner.onerror = (e) => this.onerror?.(e);
    this.inner.onmessage = (message, extra) => {
      const refused = isJSONRPCRequest(message) ? refusal(message) : undefined;
      if (!refused) {
        if (isJSONRPCRequest(message)) this.pending.add(message.id);
        this.onmessage?.(message, extra);
        return;
      }
      const code = refused.code === 'UNKNOWN_MCP_METHOD' ? JSONRPC.METHOD_NOT_FOUND : JSONRPC.INVALID_PARAMS;
      this.inner.send(errorResponse((message as JSONRPCRequest).id, refused, code)).catch((e: unknown) => this.onerror?.(e as Error));
    };
    await this.inner.start();
  }

  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    try {
      await this.inner.send(message, options);
    } finally {
      if ((isJSONRPCResultResponse(message) || isJSONRPCErrorResponse(message)) && message.id !== undefined && this.pending.delete(message.id) && this.pending.size === 0) {
        for (const resolve of this.idle.splice(0)) resolve();
      }
    }
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
