/**
 * How CLI commands reach a server: the address (--server, $CAXTON_SERVER,
 * the data directory's server.json written by a running server, or
 * 127.0.0.1:50051), the token ($CAXTON_TOKEN, or the data directory's token
 * file), typed gRPC clients, and the mapping of gRPC errors to exit codes
 * (cli/errors.ts).
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { loadCaxtonGrpc } from '../proto/load.js';
import { decodeStatusDetails } from '../api/errors.js';
import { readClientToken } from '../api/auth.js';
import { CliError, EXIT } from './errors.js';
import { showDuration } from './usage.js';
import type { AgentServiceClient } from '../proto/generated/caxton/v1/AgentService.js';
import type { MessageServiceClient } from '../proto/generated/caxton/v1/MessageService.js';
import type { TaskServiceClient } from '../proto/generated/caxton/v1/TaskService.js';
import type { ManagementServiceClient } from '../proto/generated/caxton/v1/ManagementService.js';
import type { LogServiceClient } from '../proto/generated/caxton/v1/LogService.js';
import type { ToolServiceClient } from '../proto/generated/caxton/v1/ToolService.js';

const EXIT_OF_STATUS: Partial<Record<grpc.status, number>> = {
  [grpc.status.INVALID_ARGUMENT]: EXIT.USAGE,
  [grpc.status.NOT_FOUND]: EXIT.NOT_FOUND,
  [grpc.status.UNAVAILABLE]: EXIT.UNREACHABLE,
  [grpc.status.UNAUTHENTICATED]: EXIT.UNAUTHENTICATED,
  // the server's operator does not allow it (TOOL_SERVER_NOT_ALLOWED): 403 beside 401
  [grpc.status.PERMISSION_DENIED]: EXIT.UNAUTHENTICATED,
  [grpc.status.DEADLINE_EXCEEDED]: EXIT.TIMEOUT,
  [grpc.status.ALREADY_EXISTS]: EXIT.CONFLICT,
  [grpc.status.FAILED_PRECONDITION]: EXIT.CONFLICT,
  [grpc.status.RESOURCE_EXHAUSTED]: EXIT.BUSY,
};

export interface ConnectionOptions {
  server?: string | undefined;
  dataDir?: string | undefined;
}

export interface ServerFile {
  pid: number;
  host: string;
  grpcPort: number;
  httpPort?: number | undefined;
  startedAt: string;
}

export const SERVER_FILE = 'server.json';
export const PID_FILE = 'server.pid';

/**
 * --data-dir, else $CAXTON_DATA_DIR, else the nearest `.caxton` directory in
 * the current directory or a parent (as git finds `.git`), else `.caxton` here.
 */
export function dataDirOf(o: ConnectionOptions): string {
  const given = o.dataDir ?? process.env.CAXTON_DATA_DIR;
  if (given) return resolve(given);
  for (let d = process.cwd(); ; d = dirname(d)) {
    const candidate = join(d, '.caxton');
    if (statSync(candidate, { throwIfNoEntry: false })?.isDirectory()) return candidate;
    if (dirname(d) === d) return resolve('.caxton');
  }
}

export function readServerFile(dataDir: string): ServerFile | undefined {
  try {
    return JSON.parse(readFileSync(join(dataDir, SERVER_FILE), 'utf8')) as ServerFile;
  } catch {
    return undefined;
  }
}

/** Is the process `pid` (a server.json's) alive? */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A killed process nobody has reaped yet (a zombie) still answers kill(0).
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

/** host:port of the server to talk to. */
export function targetOf(o: ConnectionOptions): string {
  if (o.server) return o.server;
  if (process.env.CAXTON_SERVER) return process.env.CAXTON_SERVER;
  const running = readServerFile(dataDirOf(o));
  if (running) return `${running.host.includes(':') ? `[${running.host}]` : running.host}:${running.grpcPort}`;
  return '127.0.0.1:50051';
}

/** A unary method called by name: the request, then the answer (`V`) or the error in the callback. */
export type Unary<V = unknown> = (req: unknown, md: grpc.Metadata, opts: grpc.CallOptions, cb: (e: grpc.ServiceError | null, v: V) => void) => void;

/** The generated (proto-loader-gen-types) client of each caxton.v1 service. */
interface Clients {
  agents: AgentServiceClient;
  messages: MessageServiceClient;
  tasks: TaskServiceClient;
  management: ManagementServiceClient;
  logs: LogServiceClient;
  tools: ToolServiceClient;
}

// A generated method's last overload is `(request, callback)` for a unary
// call and `(request, options?)` for a server stream: it gives the request
// and answer types of Connection.call and Connection.stream.
type UnaryOf<F> = F extends (req: infer Req, cb: grpc.requestCallback<infer Res>) => grpc.ClientUnaryCall ? { req: Req; res: Res } : never;
type StreamOf<F> = F extends (req: infer Req, options?: grpc.CallOptions) => grpc.ClientReadableStream<infer Res> ? { req: Req; res: Res } : never;
/** The unary (or server-streaming) methods of service `S`, e.g. 'List'. */
type UnaryMethod<S extends keyof Clients> = { [M in keyof Clients[S]]: [UnaryOf<Clients[S][M]>] extends [never] ? never : M }[keyof Clients[S]];
type StreamMethod<S extends keyof Clients> = { [M in keyof Clients[S]]: [StreamOf<Clients[S][M]>] extends [never] ? never : M }[keyof Clients[S]];

/** What a call that times out is called, and the flag that sets its time-out, for the DEADLINE_EXCEEDED message. */
export interface Deadline {
  /** e.g. "invoke echo"; default: the method's name */
  what?: string;
  /** e.g. "--timeout" */
  flag?: string;
  /** what else to check, e.g. "check that the agent answers (…)" */
  advice?: string;
}

/** A duration as a flag value: "2s", "1500ms", "2m". */
function showFlag(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000}m` : ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

export class Connection {
  readonly target: string;
  private readonly token: string | undefined;
  private readonly dataDir: string;
  private readonly clients: Clients;

  constructor(o: ConnectionOptions) {
    this.target = targetOf(o);
    this.dataDir = dataDirOf(o);
    this.token = readClientToken(this.dataDir);
    const v1 = loadCaxtonGrpc().caxton.v1;
    const creds = grpc.credentials.createInsecure();
    // No receive limit (grpc-js's default is 4 MiB): the CLI reads what its
    // server sends, and a window of dead letters (`caxton dead-letters`, up
    // to the 10,000 a server keeps) can be larger than that.
    const opts = { 'grpc.max_send_message_length': 64 * 1024 * 1024, 'grpc.max_receive_message_length': -1 };
    this.clients = {
      agents: new v1.AgentService(this.target, creds, opts) as never,
      messages: new v1.MessageService(this.target, creds, opts) as never,
      tasks: new v1.TaskService(this.target, creds, opts) as never,
      management: new v1.ManagementService(this.target, creds, opts) as never,
      logs: new v1.LogService(this.target, creds, opts) as never,
      tools: new v1.ToolService(this.target, creds, opts) as never,
    };
  }

  metadata(): grpc.Metadata {
    const md = new grpc.Metadata();
    if (this.token) md.set('authorization', `Bearer ${this.token}`);
    return md;
  }

  /**
   * A unary call, typed by the generated client: `call('agents', 'List', {})`
   * resolves to a ListAgentsResponse__Output. gRPC errors become CliErrors
   * with the server's code and hint; the call's own deadline passing is
   * DEADLINE_EXCEEDED naming `deadline.what` and the flag that sets it.
   */
  call<S extends keyof Clients, M extends UnaryMethod<S>>(service: S, method: M, req: UnaryOf<Clients[S][M]>['req'], timeoutMs = 30_000,
    deadline: Deadline = {}, signal?: AbortSignal): Promise<UnaryOf<Clients[S][M]>['res']> {
    const client = this.clients[service] as unknown as Record<M, (...a: Parameters<Unary>) => grpc.ClientUnaryCall>;
    return new Promise((resolveCall, reject) => {
      const call = client[method].call(client, req, this.metadata(), { deadline: Date.now() + timeoutMs }, (e, v) => {
        signal?.removeEventListener('abort', cancel);
        if (e) reject(this.toCliError(e, { what: `${String(method)}`, ...deadline, timeoutMs }));
        else resolveCall(v as UnaryOf<Clients[S][M]>['res']);
      });
      // `signal`: the caller gave up (caxton mcp: its client cancelled); the server stops waiting too.
      const cancel = (): void => call.cancel();
      if (signal?.aborted) cancel();
      else signal?.addEventListener('abort', cancel, { once: true });
    });
  }

  /** A server stream (LogService.Tail), typed like call(). */
  stream<S extends keyof Clients, M extends StreamMethod<S>>(service: S, method: M, req: StreamOf<Clients[S][M]>['req']): grpc.ClientReadableStream<StreamOf<Clients[S][M]>['res']> {
    const client = this.clients[service] as unknown as Record<M, (r: unknown, md: grpc.Metadata) => grpc.ClientReadableStream<StreamOf<Clients[S][M]>['res']>>;
    return client[method].call(client, req, this.metadata());
  }

  toCliError(e: grpc.ServiceError, deadline?: Deadline & { timeoutMs: number }): CliError {
    if (e.code === grpc.status.UNAVAILABLE && !e.metadata?.get('caxton-error-code').length) {
      return unreachableError(this.target, e.details, this.dataDir);
    }
    if (e.code === grpc.status.DEADLINE_EXCEEDED && deadline && !e.metadata?.get('caxton-error-code').length) {
      // grpc-js's own text ("Deadline exceeded after 0.062s,name resolution: …") says how it spent the time, not what timed out.
      const flag = deadline.flag;
      return new CliError(`${deadline.what}: no answer from the server at ${this.target} within ${showDuration(deadline.timeoutMs)}${flag ? ` (${flag})` : ''}`,
        'DEADLINE_EXCEEDED',
        `${flag ? `Raise ${flag} (e.g. ${flag} ${showFlag(Math.max(deadline.timeoutMs * 2, 1000))})` : 'Try again'}${deadline.advice ? `, or ${deadline.advice}` : '; a server that answers slowly may be overloaded (caxton server status)'}.`,
        EXIT.TIMEOUT);
    }
    const rich = decodeStatusDetails(e.metadata);
    const code = rich?.reason ?? grpc.status[e.code] ?? 'UNKNOWN';
    let hint = rich?.hint ?? '';
    if (e.code === grpc.status.DEADLINE_EXCEEDED && !hint) hint = 'Raise --timeout, or check that the agent answers (caxton agents get NAME, caxton dead-letters --agent NAME).';
    if (e.code === grpc.status.UNAUTHENTICATED && this.token === undefined) {
      hint = `No token found: set $CAXTON_TOKEN, or run the CLI where it can read the server's data directory (--data-dir, now ${this.dataDir}). ${hint}`;
    }
    return new CliError(e.details || e.message, code, hint, EXIT_OF_STATUS[e.code as grpc.status] ?? EXIT.INTERNAL);
  }

  close(): void {
    for (const c of Object.values(this.clients)) c.close();
  }
}

/**
 * SERVER_UNREACHABLE for `target`. Something that answers but not in HTTP/2
 * (grpc-js: "Protocol error") is most likely the REST/metrics port given for
 * the gRPC one: say so, with the gRPC port when the data directory's
 * server.json names that HTTP port.
 */
export function unreachableError(target: string, details: string, dataDir: string): CliError {
  if (!/protocol error/i.test(details)) {
    return new CliError(`cannot reach a Caxton server at ${target}: ${details}`, 'SERVER_UNREACHABLE',
      'Start one with `caxton server start` (or `--detach`), or point at yours with --server HOST:PORT / $CAXTON_SERVER.', EXIT.UNREACHABLE);
  }
  const port = Number(/:(\d+)$/.exec(target)?.[1]);
  const running = readServerFile(dataDir);
  const hint = running && running.httpPort === port
    ? `That is the HTTP port of the server in ${dataDir}; its gRPC port is ${running.grpcPort}: use --server ${running.host}:${running.grpcPort}, or leave --server out.`
    : '--server (and $CAXTON_SERVER) take the gRPC port: 50051 by default, `grpcPort` in the server\'s <data-dir>/server.json. The HTTP port (8080 by default) is for REST clients and /metrics.';
  return new CliError(`${target} answers, but not in gRPC: it looks like an HTTP port (the server's REST/metrics port?), not the gRPC port`, 'SERVER_UNREACHABLE', hint, EXIT.UNREACHABLE);
}

/** A health check (grpc.health.v1, no token needed); resolves to the status name. */
export function healthCheck(target: string, timeoutMs = 5000): Promise<string> {
  type HealthClient = grpc.Client & { Check: Unary<{ status: string }> };
  const loaded = grpc.loadPackageDefinition(protoLoader.loadSync(healthProtoPath, { enums: String, defaults: true }));
  // grpc.health.v1 has no generated types here: the one method the CLI calls, by hand.
  const health = (loaded as unknown as { grpc: { health: { v1: { Health: new (target: string, creds: grpc.ChannelCredentials) => HealthClient } } } }).grpc.health.v1;
  const client = new health.Health(target, grpc.credentials.createInsecure());
  return new Promise((resolveCheck, reject) => {
    client.Check({ service: '' }, new grpc.Metadata(), { deadline: Date.now() + timeoutMs }, (e, v: { status: string }) => {
      client.close();
      if (e) reject(e);
      else resolveCheck(v.status);
    });
  });
}
