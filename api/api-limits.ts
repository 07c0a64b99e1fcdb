/**
 * What the API thread accepts from the network, so that no client can
 * stall it or starve the others: request sizes (checked before a body is
 * read or a message decoded) and connections (a cap per gateway, a bound on
 * how long a connection may stay without authenticating, and on how long
 * it may stay idle). ServerOptions.api sets them; docs/api.md (Limits)
 * lists the defaults.
 */
import { MAX_MODULE_BYTES } from '../runtime/limits.js';

export interface ApiLimits {
  /** the largest request (REST body, gRPC message) but a deploy, bytes; default 4 × the bus frame limit, at least 1 MiB */
  maxRequestBytes: number;
  /** the largest deploy request: a module of MAX_MODULE_BYTES, base64 (REST), plus maxRequestBytes for the rest */
  maxDeployRequestBytes: number;
  /** open connections per gateway (gRPC, HTTP); the ones past it are closed at once; default 1000 */
  maxConnections: number;
  /** a connection that has not made an authenticated call this long after it opened is closed, ms; default 10 s */
  authTimeoutMs: number;
  /** a connection with no request in progress is closed after this long, ms; default 65 s (past common load balancers' 60 s) */
  idleTimeoutMs: number;
}

/** The limits with every default filled in; `maxFrameBytes` is the bus's (content must fit a frame anyway). */
export function resolveApiLimits(given: Partial<ApiLimits> | undefined, maxFrameBytes: number): ApiLimits {
  const maxRequestBytes = given?.maxRequestBytes ?? Math.max(1024 * 1024, 4 * maxFrameBytes);
  const limits: ApiLimits = {
    maxRequestBytes,
    maxDeployRequestBytes: given?.maxDeployRequestBytes ?? Math.ceil(MAX_MODULE_BYTES / 3) * 4 + maxRequestBytes,
    maxConnections: given?.maxConnections ?? 1000,
    authTimeoutMs: given?.authTimeoutMs ?? 10_000,
    idleTimeoutMs: given?.idleTimeoutMs ?? 65_000,
  };
  for (const [k, v] of Object.entries(limits)) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`ServerOptions api.${k} must be a positive integer, got ${v}`);
  }
  return limits;
}
