/**
 * POST /mcp on the HTTP gateway's port: MCP over Streamable HTTP, stateless
 * (docs/decisions/0017): each request gets a fresh Server and transport,
 * no session, plain JSON answers (no event stream).
 *
 * Before the SDK's transport sees a request, it passes the same gates as a
 * REST call, in the same order (api/http/server.ts): its declared size, the
 * bearer token (TokenCheck), then the body read with a size limit. Then what
 * the transport would refuse in its own words is refused here in ours, each
 * as a JSON-RPC error whose data carries our code and hint: another HTTP
 * method, a content type or Accept it cannot serve, a body that is not JSON
 * or not JSON-RPC, too large a batch, an unknown protocol version. The
 * messages that pass then meet the gate (api/mcp/gate.ts) and the tools'
 * schema checks inside the Server.
 */
import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isJsonContentType } from '@modelcontextprotocol/sdk/shared/mediaType.js';
import { JSONRPCMessageSchema, SUPPORTED_PROTOCOL_VERSIONS, isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { HttpMethodNotAllowedError, InvalidArgumentError, RequestTooLargeError, isCaxtonError, type CaxtonError } from '../../runtime/errors.js';
import type { ApiLimits } from '../api-limits.js';
import { toCaxtonError } from '../errors.js';
import type { TokenCheck } from '../auth.js';
import type { ConnectionGuard } from '../connection-guard.js';
import { readBytes } from '../http/body.js';
import { bodyUnread, lingerClose } from '../http/linger.js';
import type { Operations } from '../operations.js';
import { tokenCaller } from './caller.js';
import { JSONRPC, errorResponse } from './errors.js';
import { GatedTransport } from './gate.js';
import { operationsBackend } from './operations-backend.js';
import { createMcpServer } from './server.js';
import type { ToolSet } from './tools.js';

export const MCP_PATH = '/mcp';
/** The operation name /mcp calls are counted under (caxton_api_calls_total) and named by in errors. */
export const MCP_OPERATION = 'Mcp';
/**
 * The most JSON-RPC messages one POST may carry. MCP 2025-06-18 dropped
 * batches; older clients may still send small ones. Each message is a call,
 * so a batch of thousands would multiply what one request makes the server
 * do; 16 is more than any client batches.
 */
export const MAX_BATCH = 16;

export interface McpEndpointDeps {
  ops: Operations;
  tokens: TokenCheck;
  limits: ApiLimits;
  guard: ConnectionGuard;
  tools: ToolSet;
  /** a failure that is not a CaxtonError: a bug, for the log */
  bug(e: unknown, operation: string): void;
}

/** A request refused before the MCP server sees it: the HTTP status, the error, its JSON-RPC code. */
class Refusal {
  constructor(readonly status: number, readonly error: CaxtonError, readonly code: number = JSONRPC.SERVER_ERROR) {}
}

const ACCEPT_HINT = 'Send "accept: application/json, text/event-stream" and "content-type: application/json", as the MCP Streamable HTTP transport asks; an MCP client library does.';
const MESSAGE_HINT = 'Send one JSON-RPC 2.0 message, e.g. {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, or a small array of them (docs/mcp.md).';

/** The body's JSON-RPC messages, or the refusal naming what is wrong. */
function messagesOf(text: string): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new Refusal(400, new InvalidArgumentError('body', `is not valid JSON (${(e as Error).message})`, MESSAGE_HINT), JSONRPC.PARSE_ERROR);
  }
  const list = Array.isArray(parsed) ? parsed : [parsed];
  if (Array.isArray(parsed) && parsed.length === 0) throw new Refusal(400, new InvalidArgumentError('body', 'is an empty batch', MESSAGE_HINT), JSONRPC.INVALID_REQUEST);
  if (list.length > MAX_BATCH) {
    throw new Refusal(400, new InvalidArgumentError('body', `is a batch of ${list.length} messages, more than the ${MAX_BATCH} one request may carry`, `Send at most ${MAX_BATCH} messages per request, or one at a time (MCP 2025-06-18 has no batches).`), JSONRPC.INVALID_REQUEST);
  }
  list.forEach((m, i) => {
    const r = JSONRPCMessageSchema.safeParse(m);
    if (r.success) return;
    const where = Array.isArray(parsed) ? `body[${i}]` : 'body';
    const issue = r.error.issues[0];
    const why = typeof m !== 'object' || m === null || Array.isArray(m) ? 'is not a JSON object' : (m as { jsonrpc?: unknown }).jsonrpc !== '2.0' ? 'has no "jsonrpc": "2.0"' : `is not a JSON-RPC 2.0 request, notification or response${issue ? ` (${issue.path.join('.') || 'message'}: ${issue.message})` : ''}`;
    throw new Refusal(400, new InvalidArgumentError(where, why, MESSAGE_HINT), JSONRPC.INVALID_REQUEST);
  });
  return parsed;
}

/** The checks of a request's head: method, token, media types, protocol version (before its body). */
function checkHead(req: IncomingMessage, d: McpEndpointDeps): void {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > d.limits.maxDeployRequestBytes) throw new Refusal(413, new RequestTooLargeError(declared, d.limits.maxDeployRequestBytes, MCP_OPERATION));
  const denied = d.tokens.check(req.headers.authorization);
  if (denied) throw new Refusal(401, denied);
  d.guard.authenticated(req.socket);
  if (req.method !== 'POST') throw new Refusal(405, new HttpMethodNotAllowedError(req.method ?? '', MCP_PATH, 'POST'));
  if (!isJsonContentType(req.headers['content-type'])) {
    throw new Refusal(415, new InvalidArgumentError('content-type', `is "${String(req.headers['content-type'] ?? '')}"; MCP messages are application/json`, ACCEPT_HINT));
  }
  const accept = req.headers.accept ?? '';
  if (!accept.includes('application/json') || !accept.includes('text/event-stream')) {
    throw new Refusal(406, new InvalidArgumentError('accept', `is "${accept}"; an MCP client must accept both application/json and text/event-stream`, ACCEPT_HINT));
  }
}

function checkProtocolVersion(req: IncomingMessage, messages: unknown): void {
  const version = req.headers['mcp-protocol-version'];
  const initializing = (Array.isArray(messages) ? messages : [messages]).some(isInitializeRequest);
  if (initializing || version === undefined || SUPPORTED_PROTOCOL_VERSIONS.includes(String(version))) return;
  throw new Refusal(400, new InvalidArgumentError('mcp-protocol-version', `"${String(version)}" is not an MCP version this server speaks`, `Send one of ${SUPPORTED_PROTOCOL_VERSIONS.join(', ')} (the version initialize agreed on).`));
}

/** Answer a refusal: its status and a JSON-RPC error (id null: the request was not read as one). */
function refuse(res: ServerResponse, r: Refusal): void {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (r.status === 401) headers['www-authenticate'] = 'Bearer realm="caxton"';
  if (r.status === 405) headers.allow = 'POST';
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(r.status, headers);
  const unread = bodyUnread(res.req);
  res.end(JSON.stringify(errorResponse(null, r.error, r.code)), unread ? () => lingerClose(res.req.socket) : undefined);
}

/** The /mcp handler: answers the request, resolves with the HTTP status it answered (for the call counts). */
export function mcpEndpoint(d: McpEndpointDeps): (req: IncomingMessage, res: ServerResponse) => Promise<number> {
  return async (req, res) => {
    try {
      checkHead(req, d);
      let bytes: Buffer;
      try {
        bytes = await readBytes(req, d.limits.maxDeployRequestBytes, MCP_OPERATION);
      } catch (e) {
        if (e instanceof RequestTooLargeError) throw new Refusal(413, e);
        throw e;
      }
      const messages = messagesOf(bytes.toString('utf8'));
      checkProtocolVersion(req, messages);
      await serve(req, res, messages, d);
    } catch (e) {
      if (e instanceof Refusal) refuse(res, e);
      else {
        if (!isCaxtonError(e)) d.bug(e, MCP_OPERATION);
        refuse(res, new Refusal(500, toCaxtonError(e), JSONRPC.INTERNAL_ERROR));
      }
    }
    return res.statusCode;
  };
}

/** Hand the checked messages to a fresh Server over a stateless transport. */
async function serve(req: IncomingMessage, res: ServerResponse, messages: unknown, d: McpEndpointDeps): Promise<void> {
  const server = createMcpServer(operationsBackend(d.ops, tokenCaller('http'), () => req.headers), d.tools);
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  await server.connect(new GatedTransport(transport));
  const closed = once(res, 'close');
  // The answer is out or the client has gone: either way this request's
  // server is done; closing it aborts what it still runs (an Invoke waiting).
  void closed.then(() => server.close());
  // A client that goes away mid-call leaves the transport's answer pending forever: the close ends the wait.
  await Promise.race([transport.handleRequest(req, res, messages), closed]);
}
