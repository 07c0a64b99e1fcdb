// A real Caxton server (runtime + API thread) on loopback ports, with real
// grpc-js clients and an HTTP helper. Every test file starts its own.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { CaxtonServer, type ServerOptions } from '../../dist/api/server.js';
import { loadCaxtonGrpc } from '../../dist/api/grpc.js';
import { decodeStatusDetails, type RichError } from '../../dist/api/errors.js';
import { silentLogger } from '../../dist/runtime/observability/logger.js';
import { setOtelEnv } from './otel-env.js';

export type Client = grpc.Client & Record<string, (...args: unknown[]) => unknown>;
/** A unary method of a Client, called by name: request, metadata, options, callback. */
export type UnaryFn = (req: unknown, md: grpc.Metadata, opts: grpc.CallOptions, cb: (e: grpc.ServiceError | null, v: any) => void) => grpc.ClientUnaryCall;
/** A server-streaming method of a Client (StreamConversation), called by name: request, metadata. */
export type StreamFn = (req: unknown, md: grpc.Metadata) => grpc.ClientReadableStream<any>;

export interface TestServer {
  server: CaxtonServer;
  target: string;
  base: string;
  token: string;
  agents: Client;
  messages: Client;
  tasks: Client;
  management: Client;
  /** a unary call with the token (or `token`), rejecting with the grpc error */
  call<T = any>(client: Client, method: string, req: unknown, opts?: { token?: string | null; deadlineMs?: number }): Promise<T>;
  /** an HTTP request with the token, JSON in and out; fails after 60 s without the whole answer */
  http(method: string, path: string, body?: unknown, token?: string | null): Promise<{ status: number; headers: Headers; body: any; text: string }>;
  metadata(token?: string | null): grpc.Metadata;
}

/** An HTTP request's deadline: longer than any wait a request asks the server for (an invoke's timeoutMs of 30 s). */
const HTTP_MS = 60_000;

export async function startTestServer(opts: ServerOptions = {}): Promise<TestServer> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'caxton-test-'));
  // No OTEL_* setting of the machine reaches the server's threads (they read
  // them when they start): with an endpoint set, OTel metrics would read the
  // runtime's metrics on their own schedule, and tracing would be on.
  const restoreOtel = setOtelEnv({});
  let server: CaxtonServer;
  try {
    server = await CaxtonServer.start({
      grpcPort: 0, httpPort: 0, ...opts, dataDir,
      runtime: { workers: 2, logger: silentLogger(), ...opts.runtime },
    });
  } finally {
    restoreOtel();
  }
  const target = `127.0.0.1:${server.grpcPort}`;
  const pkg = loadCaxtonGrpc();
  const creds = grpc.credentials.createInsecure();
  const v1 = pkg.caxton.v1;
  const agents = new v1.AgentService(target, creds) as unknown as Client;
  const messages = new v1.MessageService(target, creds) as unknown as Client;
  const tasks = new v1.TaskService(target, creds) as unknown as Client;
  const management = new v1.ManagementService(target, creds) as unknown as Client;
  const metadata = (token: string | null = server.token): grpc.Metadata => {
    const md = new grpc.Metadata();
    if (token !== null) md.set('authorization', `Bearer ${token}`);
    return md;
  };
  const base = `http://127.0.0.1:${server.httpPort}`;
  return {
    server, target, base, token: server.token, agents, messages, tasks, management, metadata,
    call(client, method, req, o = {}) {
      return new Promise((resolve, reject) => {
        const md = metadata(o.token === undefined ? server.token : o.token);
        (client[method] as UnaryFn).call(client, req, md, { deadline: Date.now() + (o.deadlineMs ?? 10_000) }, (e: unknown, v: unknown) => (e ? reject(e) : resolve(v as never)));
      });
    },
    async http(method, path, body, token = server.token) {
      const headers: Record<string, string> = {};
      if (token !== null) headers.authorization = `Bearer ${token}`;
      if (body !== undefined) headers['content-type'] = 'application/json';
      const signal = AbortSignal.timeout(HTTP_MS);
      let res: Response;
      let text: string;
      try {
        res = await fetch(base + path, { method, headers, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body), signal });
        text = await res.text();
      } catch (e) {
        if (signal.aborted) throw new Error(`${method} ${path}: no answer within ${HTTP_MS} ms`, { cause: e });
        throw e;
      }
      let parsed: unknown;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        parsed = undefined;
      }
      return { status: res.status, headers: res.headers, body: parsed, text };
    },
  };
}

export async function stopTestServer(s: TestServer): Promise<void> {
  for (const c of [s.agents, s.messages, s.tasks, s.management]) c.close();
  await s.server.stop(5000);
}

/** Is the API thread still serving? (a gRPC call and an HTTP probe, each answered or refused, no timers) */
export async function apiAlive(s: TestServer): Promise<boolean> {
  const info = await s.call(s.management, 'ServerInfo', {}, { deadlineMs: 10_000 }).then(() => true, () => false);
  const http = await fetch(`${s.base}/healthz`).then((r) => r.status === 200, () => false);
  return info && http;
}

/** The rich details of a grpc error (ErrorInfo, BadRequest, RetryInfo...). */
export function rich(e: unknown): RichError {
  const r = decodeStatusDetails((e as grpc.ServiceError).metadata);
  if (!r) throw new Error(`no rich details on ${String(e)}`);
  return r;
}
