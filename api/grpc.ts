/**
 * The gRPC gateway (@grpc/grpc-js): caxton.v1 services, grpc.health.v1.Health
 * and server reflection. Handlers are made once at registration; each one
 * translates the request to an Operations call and errors to statuses with
 * rich details (api/errors.ts). Auth is one server interceptor, so it covers
 * every service (reflection included) except health.
 */
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { HealthImplementation, protoPath as healthProtoPath } from 'grpc-health-check';
import { ReflectionService } from '@grpc/reflection';
import { toServiceError } from './errors.js';
import { InvalidArgumentError, StreamTooSlowError, isCaxtonError, type CaxtonError } from '../runtime/errors.js';
import type { ApiLimits } from './api-limits.js';
import { ConnectionGuard } from './connection-guard.js';
import { guardService, listenGuarded, refusedRequestInterceptor } from './grpc-requests.js';
import { levelName } from '../runtime/observability/logger.js';
import { LOADER_OPTIONS, PROTO_DIR, PROTO_FILES, loadCaxtonGrpc, loadPackageDefinition } from '../proto/load.js';

// Still exported from here, where clients (docs/api.md, tests, benchmarks) have imported them.
export { LOADER_OPTIONS, PROTO_DIR, PROTO_FILES, loadCaxtonGrpc, loadPackageDefinition, type CaxtonGrpc } from '../proto/load.js';

/** Bytes (REST) a conversation stream may have waiting for a slow client before it is closed (STREAM_TOO_SLOW). */
export const STREAM_BUFFER_LIMIT = 4 * 1024 * 1024;
/** Messages (gRPC streams count objects, not bytes) waiting for a slow client before the stream is closed. */
export const STREAM_MESSAGE_LIMIT = 1024;
import type { Metrics } from './metrics.js';
import { parseJsonField, toJsonText, type Operations } from './operations.js';
import type { TokenCheck } from './auth.js';
import type { ApiMessage } from './bus-client.js';
import type { AgentView } from './control.js';
import type { LogServiceHandlers } from '../proto/generated/caxton/v1/LogService.js';
import type { ToolServiceHandlers } from '../proto/generated/caxton/v1/ToolService.js';
import type { ToolServer } from '../proto/generated/caxton/v1/ToolServer.js';
import type { ToolServerInfo } from '../runtime/tools/tool-host.js';
import type { LogLine } from '../proto/generated/caxton/v1/LogLine.js';
import type { LogLine as TailedLine } from './log-tail.js';
import type { AgentServiceHandlers } from '../proto/generated/caxton/v1/AgentService.js';
import type { MessageServiceHandlers } from '../proto/generated/caxton/v1/MessageService.js';
import type { TaskServiceHandlers } from '../proto/generated/caxton/v1/TaskService.js';
import type { ManagementServiceHandlers } from '../proto/generated/caxton/v1/ManagementService.js';
import type { Agent } from '../proto/generated/caxton/v1/Agent.js';
import type { Message } from '../proto/generated/caxton/v1/Message.js';
import type { ServerStats } from '../proto/generated/caxton/v1/ServerStats.js';
import type { RuntimeStats } from '../runtime/runtime.js';

export const SERVICE_NAMES = ['caxton.v1.AgentService', 'caxton.v1.MessageService', 'caxton.v1.TaskService', 'caxton.v1.ManagementService', 'caxton.v1.LogService', 'caxton.v1.ToolService'];

export function agentToProto(a: AgentView): Agent {
  return {
    name: a.name, state: a.state, worker: a.worker, kind: a.kind, slot: a.slot, generation: a.generation,
    memoryLimitBytes: a.memoryLimitBytes, timeLimitMs: a.timeLimitMs, mailbox: a.mailbox, restarts: a.restarts,
    lastError: a.lastError ?? '', capabilities: a.capabilities, mailboxDepth: a.mailboxDepth, handled: a.handled, failed: a.failed, configJson: toJsonText(a.config ?? null), specJson: toJsonText(a.requested),
    maxSendsPerSecond: a.maxSendsPerSecond, throttled: a.throttled, tools: a.tools,
  };
}

export function toolServerToProto(s: ToolServerInfo): ToolServer {
  return {
    name: s.name, transport: s.transport, target: s.target, state: s.state, restarts: s.restarts, lastError: s.lastError, inFlight: s.inFlight,
    tools: s.tools.map((t) => ({ name: t.name, description: t.description, inputSchemaJson: toJsonText(t.inputSchema) })), specJson: toJsonText(s.spec),
  };
}

export function messageToProto(m: ApiMessage): Message {
  return {
    messageId: m.messageId, conversationId: m.conversationId, performative: m.performative, sender: m.sender, receiver: m.receiver,
    inReplyTo: m.inReplyTo, contentJson: toJsonText(m.content), protocol: m.protocol,
    paramsJson: m.params ? toJsonText(m.params) : '', observedAtUnixMs: m.observedAtUnixMs,
    traceId: m.traceId, spanId: m.spanId, sampled: m.sampled,
  };
}

export function logLineToProto(f: Record<string, unknown>, text: string): LogLine {
  const s = (v: unknown): string => (typeof v === 'string' ? v : '');
  return {
    timeUnixMs: typeof f.time === 'number' ? f.time : 0, level: typeof f.level === 'number' ? levelName(f.level) : s(f.level), msg: s(f.msg),
    conversationId: s(f.conversationId), messageId: s(f.messageId), agent: s(f.agent), performative: s(f.performative),
    traceId: s(f.traceId), spanId: s(f.spanId), json: text,
  };
}

export function statsToProto(s: RuntimeStats): ServerStats {
  return {
    accepted: s.accepted, delivered: s.delivered, deadLettered: s.deadLettered, inFlight: s.inFlight, refused: s.refused,
    traps: s.traps, restarts: s.restarts, workerRestarts: s.workerRestarts, agents: s.agents, workers: s.workers, conversations: s.conversations,
    throttled: s.throttled, lostInCrash: s.lostInCrash, redelivered: s.redelivered,
  };
}

/** Milliseconds left before the call's deadline, or undefined when it has none. */
function msUntil(deadline: grpc.Deadline): number | undefined {
  const at = deadline instanceof Date ? deadline.getTime() : deadline;
  if (!Number.isFinite(at)) return undefined;
  return Math.max(1, at - Date.now());
}

type Callback<T> = (err: Partial<grpc.ServiceError> | null, value?: T) => void;

/**
 * A unary handler from a (possibly async) function, made once per method:
 * errors become rich statuses, each call is counted for /metrics, and an
 * error that is not a CaxtonError (a bug) is logged.
 */
function unaryFor(metrics: Metrics) {
  return function unary<Req, Res>(operation: string, fn: (req: Req, call: grpc.ServerUnaryCall<Req, Res>) => Promise<Res> | Res) {
    const ok = metrics.counterFor('grpc', operation, 'OK');
    const fail = (callback: Callback<Res>, e: unknown): void => {
      if (!isCaxtonError(e)) metrics.bug(e, operation);
      const err = toServiceError(e);
      metrics.countCall('grpc', operation, grpc.status[err.code!] ?? String(err.code));
      callback(err);
    };
    return (call: grpc.ServerUnaryCall<Req, Res>, callback: Callback<Res>): void => {
      let result: Promise<Res> | Res;
      try {
        result = fn(call.request, call);
      } catch (e) {
        fail(callback, e);
        return;
      }
      if (result instanceof Promise) {
        result.then((v) => {
          ok.inc();
          callback(null, v);
        }, (e: unknown) => fail(callback, e));
      } else {
        ok.inc();
        callback(null, result);
      }
    };
  };
}

const INVOKE_PATH = '/caxton.v1.MessageService/Invoke';
const DEPLOY_PATH = '/caxton.v1.AgentService/Deploy';

/**
 * Auth for every call but health checks (Kubernetes probes and load
 * balancers send no token). An authenticated Invoke also pre-wakes its
 * likely worker here, its earliest moment: only its metadata has been read
 * (BusClient.prewake).
 */
function authInterceptor(tokens: TokenCheck, ops: Operations, guard: ConnectionGuard): grpc.ServerInterceptor {
  return (method, call) => {
    if (method.path.startsWith('/grpc.health.v1.Health/')) {
      guard.authenticatedPeer(call.getPeer());
      return new grpc.ServerInterceptingCall(call);
    }
    const invoke = method.path === INVOKE_PATH;
    return new grpc.ServerInterceptingCall(call, {
      start(next) {
        next({
          onReceiveMetadata(metadata, nextMetadata) {
            const value = metadata.get('authorization')[0];
            const err = tokens.check(typeof value === 'string' ? value : undefined);
            if (!err) {
              guard.authenticatedPeer(call.getPeer());
              if (invoke) ops.prewake();
              nextMetadata(metadata);
              return;
            }
            const e = toServiceError(err);
            call.sendStatus({ code: e.code!, details: e.details!, metadata: e.metadata! });
          },
        });
      },
    });
  };
}

export interface GrpcGateway {
  server: grpc.Server;
  health: HealthImplementation;
  port: number;
  /** set every service's health status */
  setServing(serving: boolean): void;
  /** stop accepting connections (the server's own shutdown closes the open ones) */
  closeListener(): void;
  /** its connections' counts */
  guard: ConnectionGuard;
}

export async function startGrpc(ops: Operations, tokens: TokenCheck, metrics: Metrics, host: string, port: number, limits: ApiLimits): Promise<GrpcGateway> {
  const unary = unaryFor(metrics);
  const definition = loadPackageDefinition();
  const pkg = loadCaxtonGrpc(definition);
  const guard = new ConnectionGuard(limits.maxConnections, limits.authTimeoutMs);
  const refused = (path: string, e: CaxtonError): void => {
    const err = toServiceError(e);
    metrics.countCall('grpc', path.slice(1).replace(/^caxton\.v1\./, '').replace('/', '.'), grpc.status[err.code!] ?? String(err.code));
  };
  const server = new grpc.Server({
    interceptors: [authInterceptor(tokens, ops, guard), refusedRequestInterceptor(refused)],
    // Server-wide, so the largest (a deploy's module); every other method
    // checks its own smaller limit before decoding (api/grpc-requests.ts).
    'grpc.max_receive_message_length': limits.maxDeployRequestBytes,
    // a connection without calls this long gets a GOAWAY (clients reconnect when they need to)
    'grpc.max_connection_idle_ms': limits.idleTimeoutMs,
  });
  const limitOf = (path: string): number => (path === DEPLOY_PATH ? limits.maxDeployRequestBytes : limits.maxRequestBytes);
  const caxton = (service: grpc.ServiceDefinition): grpc.ServiceDefinition => guardService(service, limitOf);

  const agents: AgentServiceHandlers = {
    Deploy: unary('AgentService.Deploy', async (r) => {
      const config = parseJsonField(r.configJson, 'config_json');
      const agent = await ops.deploy({
        name: r.name, module: r.module, config, capabilities: r.capabilities,
        memoryLimitBytes: r.memoryLimitBytes, timeLimitMs: r.timeLimitMs, mailbox: r.mailbox, worker: r.worker, maxSendsPerSecond: r.maxSendsPerSecond,
        tools: r.tools,
      });
      return { agent: agentToProto(agent) };
    }),
    Undeploy: unary('AgentService.Undeploy', async (r) => {
      await ops.undeploy(r.name);
      return {};
    }),
    List: unary('AgentService.List', async () => ({ agents: (await ops.list()).map(agentToProto) })),
    Get: unary('AgentService.Get', async (r) => agentToProto(await ops.get(r.name))),
  };

  /** A server stream that cannot start: its error as a status, counted like a unary call's. */
  function refuseStream(call: grpc.ServerWritableStream<unknown, unknown>, operation: string, e: unknown): void {
    const err = toServiceError(e);
    metrics.countCall('grpc', operation, grpc.status[err.code!] ?? String(err.code));
    call.emit('error', err);
  }

  const messages: MessageServiceHandlers = {
    Send: unary('MessageService.Send', (r, call) => ops.send({
      agent: r.agent, performative: r.performative, content: parseJsonField(r.contentJson, 'content_json'),
      conversationId: r.conversationId, inReplyTo: r.inReplyTo, durable: r.durable, headers: () => call.metadata.getMap(),
    })),
    Invoke: unary('MessageService.Invoke', async (r, call) => {
      // grpc-js also emits 'cancelled' when a finished call's stream closes:
      // the bus client ignores a cancel for a call that is no longer waiting.
      const { reply, latencyUs } = await ops.invoke({
        agent: r.agent, performative: r.performative, content: parseJsonField(r.contentJson, 'content_json'), conversationId: r.conversationId,
        durable: r.durable, headers: () => call.metadata.getMap(),
      }, msUntil(call.getDeadline()), (cancel) => { call.once('cancelled', cancel); });
      return { reply: messageToProto(reply), latencyUs };
    }),
    StreamConversation(call) {
      let stop: (() => void) | undefined;
      try {
        stop = ops.watch(call.request.conversationId, (m) => {
          // A client that stops reading must not make this thread buffer without limit.
          if (call.writableLength > STREAM_MESSAGE_LIMIT) {
            stop?.();
            call.emit('error', toServiceError(new StreamTooSlowError(call.writableLength, STREAM_MESSAGE_LIMIT)));
            return;
          }
          call.write(messageToProto(m));
        });
      } catch (e) {
        refuseStream(call, 'MessageService.StreamConversation', e);
        return;
      }
      metrics.countCall('grpc', 'MessageService.StreamConversation', 'OK');
      // Headers now, so a client knows the stream is open before the first message.
      call.sendMetadata(new grpc.Metadata());
      const end = (): void => stop?.();
      call.on('cancelled', end);
      call.on('close', end);
      call.on('error', end);
    },
  };

  const tasks: TaskServiceHandlers = {
    StartContractNet: unary('TaskService.StartContractNet', async (r) => {
      const task = parseJsonField(r.taskJson, 'task_json');
      if (task === undefined) throw new InvalidArgumentError('task_json', 'is required', 'Give the task (the CFP\'s content) as JSON text, e.g. "{\\"job\\": \\"translate\\"}".');
      const o = await ops.contractNet({
        ...(r.capability ? { capability: r.capability } : {}),
        ...(r.contractors.length ? { contractors: r.contractors } : {}),
        task, deadlineMs: r.deadlineMs || 1000,
        ...(r.select ? { select: r.select } : {}),
        ...(r.resultTimeoutMs ? { resultTimeoutMs: r.resultTimeoutMs } : {}),
      });
      return {
        status: o.status, winner: o.winner ?? '', conversationId: o.conversationId,
        proposals: o.proposals.map((p) => ({ agent: p.agent, contentJson: toJsonText(p.content) })),
        refusals: o.refusals.map((p) => ({ agent: p.agent, contentJson: toJsonText(p.content) })),
        resultJson: toJsonText(o.result), failureJson: toJsonText(o.failure), silent: o.silent, durationMs: o.durationMs,
        transcript: o.transcript.map((t) => ({ at: t.at, from: t.from, to: t.to, performative: t.performative, contentJson: toJsonText(t.content), note: t.note ?? '' })),
      };
    }),
  };

  const management: ManagementServiceHandlers = {
    ServerInfo: unary('ManagementService.ServerInfo', () => ops.serverInfo()),
    Stats: unary('ManagementService.Stats', async () => statsToProto(await ops.stats())),
    ListDeadLetters: unary('ManagementService.ListDeadLetters', async (r) => ({
      deadLetters: (await ops.deadLetters(r.limit)).map((d) => ({
        seq: d.seq, at: d.at, reason: d.reason, hint: d.hint, detail: d.detail, agent: d.agent, from: d.from,
        performative: d.performative, messageId: d.messageId, conversationId: d.conversationId, contentJson: toJsonText(d.content),
      })),
    })),
    Drain: unary('ManagementService.Drain', async (r) => {
      const res = await ops.drain(r.timeoutMs, r.shutdown);
      return { drained: res.drained, stats: statsToProto(res.stats) };
    }),
  };

  server.addService(caxton(pkg.caxton.v1.AgentService.service), agents);
  server.addService(caxton(pkg.caxton.v1.MessageService.service), messages);
  server.addService(caxton(pkg.caxton.v1.TaskService.service), tasks);
  server.addService(caxton(pkg.caxton.v1.ManagementService.service), management);
  const tools: ToolServiceHandlers = {
    Put: unary('ToolService.Put', async (r) => {
      const { outcome, server: s } = await ops.toolPut(parseJsonField(r.specJson, 'spec_json'));
      return { outcome, server: toolServerToProto(s) };
    }),
    Remove: unary('ToolService.Remove', async (r) => {
      await ops.toolRemove(r.name);
      return {};
    }),
    List: unary('ToolService.List', async () => ({ servers: (await ops.toolList()).map(toolServerToProto) })),
  };
  server.addService(caxton(pkg.caxton.v1.ToolService.service), tools);

  const logs: LogServiceHandlers = {
    Tail(call) {
      const stop = new AbortController();
      const end = (): void => stop.abort();
      call.on('cancelled', end);
      call.on('close', end);
      call.on('error', end);
      let lines: AsyncGenerator<TailedLine>;
      try {
        lines = ops.tailLogs(call.request, stop.signal);
      } catch (e) {
        refuseStream(call, 'LogService.Tail', e);
        return;
      }
      metrics.countCall('grpc', 'LogService.Tail', 'OK');
      // Headers now: a follower knows the stream is open before the first line.
      call.sendMetadata(new grpc.Metadata());
      void (async () => {
        try {
          for await (const line of lines) {
            // Back-pressure: a slow reader pauses the file reading, nothing piles up here.
            // A client gone while the stream is full never drains: the abort ends the wait.
            if (!call.write(logLineToProto(line.fields, line.text))) await once(call, 'drain', { signal: stop.signal });
            if (stop.signal.aborted) break;
          }
          if (!stop.signal.aborted) call.end();
        } catch (e) {
          if (stop.signal.aborted) return;
          if (!isCaxtonError(e)) metrics.bug(e, 'LogService.Tail');
          call.emit('error', toServiceError(e));
        }
      })();
    },
  };
  server.addService(caxton(pkg.caxton.v1.LogService.service), logs);

  const statuses: Record<string, 'SERVING' | 'NOT_SERVING'> = { '': 'NOT_SERVING' };
  for (const s of SERVICE_NAMES) statuses[s] = 'NOT_SERVING';
  const health = new HealthImplementation(statuses);
  health.addToServer(server);
  // Reflection describes health too, so generic tools can find and call it.
  const healthIncludeDir = join(dirname(healthProtoPath), '..', '..');
  const described = protoLoader.loadSync([...PROTO_FILES, 'health/v1/health.proto'], { ...LOADER_OPTIONS, includeDirs: [PROTO_DIR, healthIncludeDir] });
  new ReflectionService(described).addToServer(server);

  const listener = await listenGuarded(server, guard, host, port);
  return {
    server, health, port: listener.port,
    closeListener: () => listener.close(), guard,
    setServing(serving) {
      const s = serving ? 'SERVING' : 'NOT_SERVING';
      health.setStatus('', s);
      for (const name of SERVICE_NAMES) health.setStatus(name, s);
    },
  };
}
