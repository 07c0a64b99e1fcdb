/**
 * How a Caxton error reaches an MCP client. Two forms, as MCP has them:
 *
 * - a tool that ran and failed (AGENT_NOT_FOUND, REPLY_TIMEOUT, an invalid
 *   manifest...) answers a tool result with `isError: true`: its text says
 *   "CODE: message" and the hint, its structuredContent is
 *   {error: {code, message, hint, details}}. The model reads it and can act.
 * - a call that cannot be made (not JSON, not JSON-RPC, an unknown method or
 *   tool, arguments that fail the tool's schema, no token, too large) answers
 *   a JSON-RPC error whose `data` is {code, hint, details}: the client library
 *   raises it to the program.
 */
import type { CallToolResult, JSONRPCErrorResponse, RequestId } from '@modelcontextprotocol/sdk/types.js';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { grpcStatusOf, toCaxtonError } from '../errors.js';
import { jsonReplacer } from '../operations.js';
import type { CaxtonError, ErrorDetails } from '../../runtime/errors.js';

/** JSON-RPC 2.0 error codes, and MCP's "resource not found". */
export const JSONRPC = Object.freeze({
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
  /** implementation-defined server errors (-32000 to -32099): no token, too large, draining... */
  SERVER_ERROR: -32000,
  RESOURCE_NOT_FOUND: -32002,
});

/** The `data` of every JSON-RPC error Caxton sends. */
export interface ErrorData {
  /** the stable code (docs/errors.md) */
  code: string;
  hint: string;
  details: ErrorDetails;
}

/** The JSON-RPC code of a Caxton error that stops a call. */
export function jsonRpcCodeOf(e: CaxtonError): number {
  switch (e.code) {
    case 'UNKNOWN_MCP_METHOD': return JSONRPC.METHOD_NOT_FOUND;
    case 'UNKNOWN_TOOL': return JSONRPC.INVALID_PARAMS;
    case 'UNKNOWN_RESOURCE': case 'AGENT_NOT_FOUND': return JSONRPC.RESOURCE_NOT_FOUND;
    default:
  }
  const s = grpcStatusOf(e);
  if (s === GrpcStatus.INVALID_ARGUMENT) return JSONRPC.INVALID_PARAMS;
  if (s === GrpcStatus.INTERNAL) return JSONRPC.INTERNAL_ERROR;
  return JSONRPC.SERVER_ERROR;
}

/**
 * A Caxton error as the SDK's Server sends it from a request handler: the
 * Protocol takes a thrown error's numeric `code`, `message` and `data`.
 * (The SDK's McpError would prefix the message with "MCP error -32602: ".)
 */
export class JsonRpcError extends Error {
  readonly code: number;
  readonly data: ErrorData;
  constructor(e: unknown, code?: number) {
    const c = toCaxtonError(e);
    super(c.message);
    this.code = code ?? jsonRpcCodeOf(c);
    this.data = dataOf(c);
  }
}

function dataOf(e: CaxtonError): ErrorData {
  // details as JSON: a Uint8Array or bigint in them must not break the answer
  return { code: e.code, hint: e.hint, details: JSON.parse(JSON.stringify(e.details, jsonReplacer)) as ErrorDetails };
}

/** A JSON-RPC error response (for the transports' own answers: the endpoint and the gate). */
export function errorResponse(id: RequestId | null, e: unknown, code?: number): JSONRPCErrorResponse {
  const c = toCaxtonError(e);
  // id null: the request could not be read, so its id is not known (JSON-RPC 2.0, 5.1)
  return { jsonrpc: '2.0', id: id as RequestId, error: { code: code ?? jsonRpcCodeOf(c), message: c.message, data: dataOf(c) } };
}

/** A tool that ran and failed: its result, with isError. */
export function toolError(e: unknown): CallToolResult {
  const c = toCaxtonError(e);
  return {
    isError: true,
    content: [{ type: 'text', text: `${c.code}: ${c.message}\nhint: ${c.hint}` }],
    structuredContent: { error: { code: c.code, message: c.message, hint: c.hint, details: dataOf(c).details } },
  };
}

/** A tool's answer: the JSON as text (what every client shows) and as structuredContent. */
export function toolResult(value: object, isError = false): CallToolResult {
  const text = JSON.stringify(value, jsonReplacer);
  return { ...(isError ? { isError } : {}), content: [{ type: 'text', text }], structuredContent: JSON.parse(text) as Record<string, unknown> };
}
