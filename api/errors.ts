/**
 * How a Caxton error becomes a gRPC status (with google.rpc rich details) or
 * an HTTP response. One table, STATUS_OF_CODE, decides the status of every
 * stable error code; test/api/errors.test.ts checks it covers them all and
 * docs/errors.md shows it.
 *
 * Rich details follow the gRPC richer error model: the trailer
 * `grpc-status-details-bin` holds a google.rpc.Status whose details are
 *   - google.rpc.ErrorInfo   reason = our code, domain = caxton.dev,
 *                            metadata = { hint, and the error's details }
 *   - google.rpc.BadRequest  field violations (INVALID_ARGUMENT)
 *   - google.rpc.RetryInfo   retry delay (RESOURCE_EXHAUSTED from a full mailbox)
 *   - google.rpc.ResourceInfo which agent (NOT_FOUND, ALREADY_EXISTS)
 * Plain trailers `caxton-error-code` and `caxton-hint` carry the same for
 * clients that do not decode details.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import protobuf from 'protobufjs';
import { Metadata, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { CaxtonError, InternalError, isCaxtonError, reviveError, type SerializedError } from '../runtime/errors.js';

export const ERROR_DOMAIN = 'caxton.dev';

/** gRPC status code of every stable error code (docs/errors.md, "gRPC status"). */
export const STATUS_OF_CODE: Readonly<Record<string, GrpcStatus>> = Object.freeze({
  INVALID_WASM: GrpcStatus.INVALID_ARGUMENT,
  MISSING_EXPORT: GrpcStatus.INVALID_ARGUMENT,
  MEMORY_NOT_IMPORTED: GrpcStatus.INVALID_ARGUMENT,
  MODULE_TOO_LARGE: GrpcStatus.INVALID_ARGUMENT,
  TABLES_TOO_LARGE: GrpcStatus.INVALID_ARGUMENT,
  UNSUPPORTED_MODULE: GrpcStatus.INVALID_ARGUMENT,
  UNKNOWN_IMPORT: GrpcStatus.INVALID_ARGUMENT,
  ABI_VERSION_MISMATCH: GrpcStatus.INVALID_ARGUMENT,
  AGENT_INIT_FAILED: GrpcStatus.FAILED_PRECONDITION,
  AGENT_NOT_FOUND: GrpcStatus.NOT_FOUND,
  AGENT_EXISTS: GrpcStatus.ALREADY_EXISTS,
  AGENT_STOPPED: GrpcStatus.FAILED_PRECONDITION,
  INVALID_AGENT_SPEC: GrpcStatus.INVALID_ARGUMENT,
  INVALID_TOOL_SPEC: GrpcStatus.INVALID_ARGUMENT,
  TOOL_SERVER_NOT_ALLOWED: GrpcStatus.PERMISSION_DENIED,
  TOOL_SERVER_NOT_FOUND: GrpcStatus.NOT_FOUND,
  TOO_MANY_AGENTS: GrpcStatus.RESOURCE_EXHAUSTED,
  MAILBOX_FULL: GrpcStatus.RESOURCE_EXHAUSTED,
  FRAME_TOO_LARGE: GrpcStatus.INVALID_ARGUMENT,
  UNKNOWN_PERFORMATIVE: GrpcStatus.INVALID_ARGUMENT,
  REPLY_TIMEOUT: GrpcStatus.DEADLINE_EXCEEDED,
  INVALID_REPLY: GrpcStatus.INTERNAL,
  RUNTIME_NOT_RUNNING: GrpcStatus.UNAVAILABLE,
  WORKER_FAILED: GrpcStatus.INTERNAL,
  INVALID_ARGUMENT: GrpcStatus.INVALID_ARGUMENT,
  ACL_SYNTAX: GrpcStatus.INVALID_ARGUMENT,
  INVALID_MESSAGE: GrpcStatus.INVALID_ARGUMENT,
  REPLY_BY_IN_PAST: GrpcStatus.INVALID_ARGUMENT,
  CONTENT_TOO_LARGE: GrpcStatus.INVALID_ARGUMENT,
  UNAUTHENTICATED: GrpcStatus.UNAUTHENTICATED,
  TOO_MANY_STREAMS: GrpcStatus.RESOURCE_EXHAUSTED,
  UNKNOWN_ROUTE: GrpcStatus.NOT_FOUND,
  SERVER_DRAINING: GrpcStatus.UNAVAILABLE,
  INVALID_MANIFEST: GrpcStatus.INVALID_ARGUMENT,
  MODULE_FILE_NOT_FOUND: GrpcStatus.INVALID_ARGUMENT,
  MODULE_FILE_UNREADABLE: GrpcStatus.INVALID_ARGUMENT,
  PORT_IN_USE: GrpcStatus.FAILED_PRECONDITION,
  FLEET_STORE_UNREADABLE: GrpcStatus.FAILED_PRECONDITION,
  STREAM_TOO_SLOW: GrpcStatus.RESOURCE_EXHAUSTED,
  REQUEST_TOO_LARGE: GrpcStatus.RESOURCE_EXHAUSTED,
  LOGS_UNAVAILABLE: GrpcStatus.FAILED_PRECONDITION,
  TELEMETRY_CONFIG_INVALID: GrpcStatus.FAILED_PRECONDITION,
  UNKNOWN_TOOL: GrpcStatus.NOT_FOUND,
  UNKNOWN_RESOURCE: GrpcStatus.NOT_FOUND,
  UNKNOWN_MCP_METHOD: GrpcStatus.NOT_FOUND,
  METHOD_NOT_ALLOWED: GrpcStatus.UNIMPLEMENTED,
  MODULE_NOT_INLINE: GrpcStatus.INVALID_ARGUMENT,
  PERMISSION_DENIED: GrpcStatus.PERMISSION_DENIED,
  INTERNAL: GrpcStatus.INTERNAL,
});

/** HTTP status of each gRPC status (the REST gateway), as in Google's API design guide. */
export const HTTP_OF_STATUS: Readonly<Partial<Record<GrpcStatus, number>>> = Object.freeze({
  [GrpcStatus.OK]: 200,
  [GrpcStatus.INVALID_ARGUMENT]: 400,
  [GrpcStatus.FAILED_PRECONDITION]: 409,
  [GrpcStatus.UNAUTHENTICATED]: 401,
  [GrpcStatus.PERMISSION_DENIED]: 403,
  [GrpcStatus.NOT_FOUND]: 404,
  [GrpcStatus.ALREADY_EXISTS]: 409,
  [GrpcStatus.RESOURCE_EXHAUSTED]: 429,
  [GrpcStatus.DEADLINE_EXCEEDED]: 504,
  [GrpcStatus.UNAVAILABLE]: 503,
  [GrpcStatus.INTERNAL]: 500,
  [GrpcStatus.UNIMPLEMENTED]: 501,
});

export function toCaxtonError(e: unknown): CaxtonError {
  if (isCaxtonError(e)) return e;
  if (e && typeof e === 'object' && 'code' in e && 'hint' in e && 'message' in e) return reviveError(e as SerializedError);
  return new InternalError(e instanceof Error ? e.message : String(e));
}

export function grpcStatusOf(e: CaxtonError): GrpcStatus {
  return STATUS_OF_CODE[e.code] ?? GrpcStatus.INTERNAL;
}

/** Codes whose HTTP status is not their gRPC status's: 413 says "too large" and 405 "another method" to any HTTP client. */
export const HTTP_STATUS_OF_CODE: Readonly<Record<string, number>> = Object.freeze({ REQUEST_TOO_LARGE: 413, METHOD_NOT_ALLOWED: 405 });

export function httpStatusOf(e: CaxtonError): number {
  const own = HTTP_STATUS_OF_CODE[e.code];
  if (own !== undefined) return own;
  return HTTP_OF_STATUS[grpcStatusOf(e)] ?? 500;
}

/** The JSON body of a REST error: {error: {code, message, hint, details}}. */
export function httpErrorBody(e: CaxtonError): { error: SerializedError & { status: string } } {
  return { error: { ...e.toJSON(), status: GrpcStatus[grpcStatusOf(e)] ?? 'INTERNAL' } };
}

/**
 * An operation's error as REST shows it. The operations name the field an
 * error is about by its proto name (`timeout_ms`, which gRPC's BadRequest
 * carries); a REST client sent the JSON name (`timeoutMs`): say that one, in
 * the details, the message and the hint. Only for the operations' errors: a
 * field the REST body check refuses is named as the client spelt it.
 */
export function withJsonFieldNames(e: unknown): unknown {
  if (!isCaxtonError(e)) return e;
  const j = e.toJSON();
  const d = j.details as { argument?: unknown; field?: unknown } | undefined;
  const proto = typeof d?.argument === 'string' ? d.argument : typeof d?.field === 'string' ? d.field : undefined;
  if (proto === undefined || !/^[a-z0-9]+(_[a-z0-9]+)+$/.test(proto)) return e;
  const json = proto.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  const word = new RegExp(`\\b${proto}\\b`, 'g');
  const details = { ...d, ...(d!.argument === proto ? { argument: json } : {}), ...(d!.field === proto ? { field: json } : {}) };
  return reviveError({ ...j, message: j.message.replace(word, json), hint: j.hint.replace(word, json), details });
}

/** Seconds to wait before retrying, when the error says (MAILBOX_FULL). */
export function retryAfterMs(e: CaxtonError): number | undefined {
  const ms = (e.details as { retryAfterMs?: unknown }).retryAfterMs;
  return typeof ms === 'number' && ms >= 0 ? ms : undefined;
}

/** The field (proto field name) an INVALID_ARGUMENT-like error is about. */
export function fieldOf(e: CaxtonError): string | undefined {
  const d = e.details as { argument?: unknown; field?: unknown };
  const f = typeof d.argument === 'string' ? d.argument : typeof d.field === 'string' ? d.field : undefined;
  return f ? snakeCase(f) : undefined;
}

function snakeCase(s: string): string {
  return s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

// ------------------------------------------------------------------ google.rpc types

const requireHere = createRequire(import.meta.url);
const protoRoot = dirname(requireHere.resolve('google-proto-files/package.json'));

let rpc: {
  Status: protobuf.Type; ErrorInfo: protobuf.Type; BadRequest: protobuf.Type; RetryInfo: protobuf.Type; ResourceInfo: protobuf.Type;
} | undefined;

/** google.rpc message types, loaded once (lazily: only error paths need them). */
export function rpcTypes(): NonNullable<typeof rpc> {
  if (rpc) return rpc;
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => join(protoRoot, target);
  root.loadSync(['google/rpc/status.proto', 'google/rpc/error_details.proto'], { keepCase: false });
  rpc = {
    Status: root.lookupType('google.rpc.Status'),
    ErrorInfo: root.lookupType('google.rpc.ErrorInfo'),
    BadRequest: root.lookupType('google.rpc.BadRequest'),
    RetryInfo: root.lookupType('google.rpc.RetryInfo'),
    ResourceInfo: root.lookupType('google.rpc.ResourceInfo'),
  };
  return rpc;
}

/** A google.protobuf.Any (protobufjs's built-in definition keeps the proto field name type_url). */
function any(type: protobuf.Type, value: Record<string, unknown>): { type_url: string; value: Uint8Array } {
  return { type_url: `type.googleapis.com/${type.fullName.slice(1)}`, value: type.encode(type.fromObject(value)).finish() };
}

function metadataOf(e: CaxtonError): Record<string, string> {
  const out: Record<string, string> = { hint: e.hint };
  for (const [k, v] of Object.entries(e.details)) {
    if (v === undefined) continue;
    out[k] = typeof v === 'string' ? v : JSON.stringify(v);
  }
  return out;
}

/** Encode a google.rpc.Status with the rich details of `e`. */
export function encodeStatusDetails(e: CaxtonError): Uint8Array {
  const t = rpcTypes();
  const code = grpcStatusOf(e);
  const details = [any(t.ErrorInfo, { reason: e.code, domain: ERROR_DOMAIN, metadata: metadataOf(e) })];
  const field = fieldOf(e);
  if (code === GrpcStatus.INVALID_ARGUMENT && field) {
    details.push(any(t.BadRequest, { fieldViolations: [{ field, description: e.message }] }));
  }
  const retry = retryAfterMs(e);
  if (retry !== undefined) {
    details.push(any(t.RetryInfo, { retryDelay: { seconds: Math.floor(retry / 1000), nanos: (retry % 1000) * 1e6 } }));
  }
  const agent = (e.details as { agent?: unknown }).agent;
  if ((code === GrpcStatus.NOT_FOUND || code === GrpcStatus.ALREADY_EXISTS) && typeof agent === 'string') {
    details.push(any(t.ResourceInfo, { resourceType: 'caxton.dev/Agent', resourceName: agent, description: e.message }));
  }
  return t.Status.encode(t.Status.fromObject({ code, message: e.message, details })).finish();
}

/** A ServiceError for grpc-js callbacks and stream.destroy/emit. */
export function toServiceError(err: unknown): Partial<ServiceError> {
  const e = toCaxtonError(err);
  const metadata = new Metadata();
  metadata.set('caxton-error-code', e.code);
  metadata.set('caxton-hint', e.hint.replace(/[^\x20-\x7e]/g, '?'));
  metadata.set('grpc-status-details-bin', Buffer.from(encodeStatusDetails(e)));
  const retry = retryAfterMs(e);
  if (retry !== undefined) metadata.set('retry-after-ms', String(retry));
  return { code: grpcStatusOf(e), details: e.message, metadata, name: e.code, message: e.message };
}

/** Decoded rich details (for clients: the CLI and the tests). */
export interface RichError {
  code: number;
  message: string;
  reason?: string;
  domain?: string;
  hint?: string;
  metadata: Record<string, string>;
  fieldViolations: { field: string; description: string }[];
  retryDelayMs?: number;
  resource?: { resourceType: string; resourceName: string };
}

/** Read the rich details of a gRPC error's `grpc-status-details-bin` trailer. */
export function decodeStatusDetails(metadata: Metadata | undefined): RichError | undefined {
  const raw = metadata?.get('grpc-status-details-bin')[0];
  if (!raw || typeof raw === 'string') return undefined;
  const t = rpcTypes();
  const status = t.Status.toObject(t.Status.decode(raw), { defaults: true }) as { code: number; message: string; details: { type_url: string; value: Uint8Array }[] };
  const out: RichError = { code: status.code, message: status.message, metadata: {}, fieldViolations: [] };
  for (const d of status.details) {
    const name = d.type_url.slice(d.type_url.lastIndexOf('/') + 1);
    if (name === 'google.rpc.ErrorInfo') {
      const info = t.ErrorInfo.toObject(t.ErrorInfo.decode(d.value), { defaults: true }) as { reason: string; domain: string; metadata: Record<string, string> };
      out.reason = info.reason;
      out.domain = info.domain;
      out.metadata = info.metadata;
      out.hint = info.metadata.hint;
    } else if (name === 'google.rpc.BadRequest') {
      const br = t.BadRequest.toObject(t.BadRequest.decode(d.value), { defaults: true }) as { fieldViolations: { field: string; description: string }[] };
      out.fieldViolations.push(...br.fieldViolations.map((v) => ({ field: v.field, description: v.description })));
    } else if (name === 'google.rpc.RetryInfo') {
      const ri = t.RetryInfo.toObject(t.RetryInfo.decode(d.value), { defaults: true, longs: Number }) as { retryDelay?: { seconds: number; nanos: number } };
      if (ri.retryDelay) out.retryDelayMs = ri.retryDelay.seconds * 1000 + Math.round(ri.retryDelay.nanos / 1e6);
    } else if (name === 'google.rpc.ResourceInfo') {
      const r = t.ResourceInfo.toObject(t.ResourceInfo.decode(d.value), { defaults: true }) as { resourceType: string; resourceName: string };
      out.resource = { resourceType: r.resourceType, resourceName: r.resourceName };
    }
  }
  return out;
}
