/**
 * Entry point of the API thread (a worker_thread started by api/server.ts).
 * It joins the bus as one more thread, serves gRPC and HTTP, and never runs
 * agent code: a slow agent can delay only the calls waiting for that agent.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import * as grpc from '@grpc/grpc-js';
import type { BusInit } from '../bus/shared.js';
import type { PeerJoin } from '../runtime/runtime.js';
import { BusClient, type BusClientOptions } from './bus-client.js';
import { redeliver } from './journal/redeliver.js';
import type { Redelivery } from './journal/format.js';
import { ControlClient } from './control.js';
import { Operations } from './operations.js';
import { TokenCheck } from './auth.js';
import { Metrics } from './metrics.js';
import { startGrpc, type GrpcGateway } from './grpc.js';
import { startHttp, type HttpGateway } from './http.js';
import { startTracing } from '../runtime/observability/tracing.js';
import { startOtelMetrics } from './otel-metrics.js';
import { resolveApiLimits, type ApiLimits } from './api-limits.js';

export interface ApiThreadInput {
  bus: BusInit;
  join: PeerJoin;
  busPort: MessagePort;
  controlPort: MessagePort;
  token: string;
  host: string;
  grpcPort: number;
  /** false = no HTTP gateway */
  httpPort: number | false;
  spinMicros: number;
  eagerPublish: boolean;
  replyPollMicros: number;
  prewake: boolean;
  defaultInvokeTimeoutMs: number;
  retryAfterMs: number;
  /** pino level number of the server's logger: 20 (debug) or lower logs each Send/Invoke */
  logLevel: number;
  /** the server's log file (pino-roll base name) that LogService.Tail reads; undefined = none */
  logFile: string | undefined;
  /** request sizes and connections (api/api-limits.ts); defaults for the ones not given */
  limits: Partial<ApiLimits> | undefined;
  /** the journal of accepted messages (api/journal/writer.ts); undefined = off */
  journal: BusClientOptions['journal'];
}


/** Lifecycle messages between api/server.ts and this thread (parentPort). */
export type ToApiThread =
  | { type: 'serving'; serving: boolean } | { type: 'draining' } | { type: 'close' }
  | {
    type: 'redeliver';
    messages: Redelivery[];
    /**
     * The supervisor's names when it asks: the restored fleet's names reach
     * this thread on the peer port, and two ports keep no order between them,
     * so without these a redelivery could run before the names it needs.
     */
    names: [string, number][];
  };
export type FromApiThread =
  | { type: 'listening'; grpcPort: number; httpPort: number | undefined }
  | { type: 'failed'; message: string; portInUse?: { gateway: 'gRPC' | 'HTTP'; port: number } }
  | { type: 'log'; level: 'debug' | 'info' | 'warn' | 'error'; msg: string; operation?: string; fields?: Record<string, unknown> }
  | { type: 'closed' }
  | { type: 'redelivered'; sent: number; failed: { index: number; error: string }[] };

const input = workerData as ApiThreadInput;
const post = (m: FromApiThread): void => parentPort!.postMessage(m);

// grpc-js's own log lines go to the server's log, not to stderr; the failure
// to bind is reported as PORT_IN_USE, so grpc-js's line about it is only debug.
grpc.setLogger({
  error: (m: unknown) => post({ type: 'log', level: /^No address added/.test(String(m)) ? 'debug' : 'warn', msg: `grpc-js: ${String(m)}` }),
  info: (m: unknown) => post({ type: 'log', level: 'debug', msg: `grpc-js: ${String(m)}` }),
  debug: (m: unknown) => post({ type: 'log', level: 'debug', msg: `grpc-js: ${String(m)}` }),
});

async function main(): Promise<void> {
  const bus = new BusClient(input.bus, input.join, input.busPort, {
    spinMicros: input.spinMicros, retryAfterMs: input.retryAfterMs, eagerPublish: input.eagerPublish, replyPollMicros: input.replyPollMicros,
    prewake: input.prewake, journal: input.journal,
  });
  const control = new ControlClient(input.controlPort);
  const tracing = await startTracing('api');
  const debug = input.logLevel <= 20
    ? (fields: Record<string, unknown>, msg: string): void => post({ type: 'log', level: 'debug', msg, fields })
    : undefined;
  const ops = new Operations(bus, control, { defaultInvokeTimeoutMs: input.defaultInvokeTimeoutMs, tracing, debug, logFile: input.logFile });
  const tokens = new TokenCheck(input.token);
  const bug = (e: unknown, operation: string): void => post({ type: 'log', level: 'error', msg: `bug in ${operation}: ${(e as Error)?.stack ?? String(e)}`, operation });
  const metrics = new Metrics(() => ops.stats(), bug, () => ops.metrics('prometheus'));
  metrics.counterFrom('caxton_api_prewakes_total', 'Invokes from a sequential caller for which the API thread woke the likely worker before reading the request', () => bus.prewakes);
  const otelMetrics = await startOtelMetrics(ops, metrics);
  let grpc: GrpcGateway | undefined;
  let http: HttpGateway | undefined;
  try {
    const limits = resolveApiLimits(input.limits, input.join.maxFrameBytes);
    grpc = await startGrpc(ops, tokens, metrics, input.host, input.grpcPort, limits);
    if (input.httpPort !== false) http = await startHttp(ops, tokens, metrics, input.host, input.httpPort, limits);
  } catch (e) {
    grpc?.closeListener();
    grpc?.server.forceShutdown();
    // grpc-js says EADDRINUSE only inside its message; Node's http sets the code.
    const inUse = (e as NodeJS.ErrnoException).code === 'EADDRINUSE' || /EADDRINUSE/.test((e as Error).message);
    const gateway = grpc ? 'HTTP' : 'gRPC';
    post({ type: 'failed', message: (e as Error).message, ...(inUse ? { portInUse: { gateway, port: gateway === 'gRPC' ? input.grpcPort : input.httpPort as number } } : {}) });
    return;
  }
  const guards = [grpc.guard, ...(http ? [http.guard] : [])];
  metrics.counterFrom('caxton_api_connections_refused_total', 'Connections closed at once because the gateway had ServerOptions api.maxConnections open (gRPC and HTTP)', () => guards.reduce((n, g) => n + g.refused, 0));
  metrics.counterFrom('caxton_api_connections_unauthenticated_total', 'Connections closed because they made no authenticated call within api.authTimeoutMs (gRPC and HTTP)', () => guards.reduce((n, g) => n + g.timedOut, 0));
  parentPort!.on('message', (m: ToApiThread) => {
    if (m.type === 'serving') grpc!.setServing(m.serving);
    if (m.type === 'draining') {
      ops.setDraining();
      grpc!.setServing(false);
    }
    if (m.type === 'close') void close();
    if (m.type === 'redeliver') {
      bus.learnNames(m.names);
      void redeliver(bus, m.messages, input.retryAfterMs).then((r) => post({ type: 'redelivered', ...r }));
    }
  });
  async function close(): Promise<void> {
    grpc!.setServing(false);
    // In-flight calls (a Drain answering right now) finish; new ones are refused.
    await Promise.race([
      new Promise<void>((resolve) => grpc!.server.tryShutdown(() => resolve())),
      new Promise<void>((resolve) => setTimeout(resolve, 2000).unref()),
    ]);
    grpc!.closeListener();
    grpc!.server.forceShutdown();
    await http?.close();
    bus.close();
    // Last spans and metrics out, but a collector that has gone away must not
    // hold the exit while the exporters retry: 5 s at most, as for the workers' spans.
    await Promise.race([
      Promise.all([tracing?.shutdown().catch(() => undefined), otelMetrics?.shutdown().catch(() => undefined)]),
      new Promise<void>((resolve) => setTimeout(resolve, 5000).unref()),
    ]);
    post({ type: 'closed' });
    input.controlPort.close();
    input.busPort.close();
  }
  post({ type: 'listening', grpcPort: grpc.port, httpPort: http?.port });
}

void main();
