/**
 * The REST/JSON gateway (node:http): the same operations as gRPC under /v1,
 * with the same error codes as JSON bodies ({error: {code, message, hint,
 * details, status}}), plus /healthz, /readyz, /metrics and the OpenAPI
 * document at /v1/openapi.json, which is generated from the route table
 * below (one table: a route cannot exist without its documentation).
 *
 * Content is JSON on this side (not JSON text as in gRPC): `"content": {...}`.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { InvalidArgumentError, StreamTooSlowError, UnknownRouteError, isCaxtonError } from '../runtime/errors.js';
import { STREAM_BUFFER_LIMIT } from './grpc.js';
import { httpErrorBody, httpStatusOf, retryAfterMs, toCaxtonError } from './errors.js';
import { jsonReplacer, type Operations } from './operations.js';
import type { TokenCheck } from './auth.js';
import type { Metrics } from './metrics.js';
import { buildOpenApi, type RouteDoc } from './openapi.js';

export interface HttpRequest {
  params: Record<string, string>;
  query: URLSearchParams;
  body: Record<string, unknown>;
  raw: IncomingMessage;
  res: ServerResponse;
}

export interface Route extends RouteDoc {
  /** true: no token needed */
  public?: boolean;
  /** returns the JSON body, or undefined when the handler wrote the response itself */
  handle(req: HttpRequest): Promise<unknown> | unknown;
  /** called once the request is authenticated and before its body is read (Invoke: pre-wake the agent's worker) */
  beforeBody?(params: Record<string, string>): void;
}

interface CompiledRoute {
  route: Route;
  pattern: RegExp;
  names: string[];
  /** the body's JSON Schema (the route's `body`, as /v1/openapi.json shows it), compiled once */
  validate: ValidateFunction | undefined;
  /** the body fields with a declared type, where null is taken as absent */
  nullable: string[];
}

const MAX_BODY = 64 * 1024 * 1024;

// Bodies are checked against their route's schema before a handler runs
// (bodyValidator), so these only read fields of the declared types.
function str(body: Record<string, unknown>, field: string): string | undefined {
  return body[field] as string | undefined;
}

function num(body: Record<string, unknown>, field: string): number | undefined {
  return body[field] as number | undefined;
}

function strings(body: Record<string, unknown>, field: string): string[] | undefined {
  return body[field] as string[] | undefined;
}

/** base64 (standard or URL-safe alphabet), the OpenAPI "byte" format of a module. */
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

/** One validator per route body, compiled when the gateway starts (a JSON Schema 2020-12 validator, Ajv). */
function bodyValidators(): (route: Route) => ValidateFunction | undefined {
  const ajv = new Ajv2020({ allErrors: false, strict: true });
  ajv.addFormat('byte', BASE64);
  return (route) => (route.body ? ajv.compile({ type: 'object', ...route.body }) : undefined);
}

const TYPE_WORDS: Record<string, string> = {
  string: 'a JSON string', integer: 'a whole JSON number', number: 'a JSON number', boolean: 'true or false',
  array: 'a JSON array', object: 'a JSON object',
};

/** The first schema violation of a body as INVALID_ARGUMENT naming the field, with how to fix it. */
function bodyError(e: ErrorObject, operationId: string): InvalidArgumentError {
  const docs = `the ${operationId} body is described in /v1/openapi.json`;
  if (e.keyword === 'required') {
    const field = String((e.params as { missingProperty: string }).missingProperty);
    return new InvalidArgumentError(field, 'is required', `Add "${field}" to the JSON body (${docs}).`);
  }
  const field = e.instancePath.slice(1).replaceAll('/', '.') || 'body';
  if (e.keyword === 'format' && (e.params as { format: string }).format === 'byte') {
    return new InvalidArgumentError(field, 'is not base64', 'Send the .wasm bytes base64-encoded, e.g. `base64 -w0 dist/agents/echo.wasm`.');
  }
  if (e.keyword === 'type') {
    const type = String((e.params as { type: string }).type);
    return new InvalidArgumentError(field, e.message ?? `must be ${type}`, `Send "${field}" as ${TYPE_WORDS[type] ?? type} (${docs}).`);
  }
  return new InvalidArgumentError(field, e.message ?? 'is not valid', `Fix "${field}" (${docs}).`);
}

/** The route table: every REST operation and its documentation. */
export function routes(ops: Operations, metrics: Metrics): Route[] {
  return [
    {
      method: 'GET', path: '/healthz', operationId: 'Healthz', public: true, tag: 'Health',
      summary: 'Liveness: 200 while the process serves requests.',
      handle: () => ({ status: 'ok' }),
    },
    {
      method: 'GET', path: '/readyz', operationId: 'Readyz', public: true, tag: 'Health',
      summary: 'Readiness: 200 when the workers are up and the stored fleet is loaded, 503 otherwise.',
      async handle(req) {
        const r = await ops.ready();
        const ready = r.ready && !ops.isDraining;
        req.res.statusCode = ready ? 200 : 503;
        return { ready, reason: ops.isDraining ? 'draining' : r.reason };
      },
    },
    {
      method: 'GET', path: '/metrics', operationId: 'Metrics', tag: 'Health', produces: 'text/plain',
      summary: 'Prometheus metrics (text exposition format).',
      async handle(req) {
        const text = await metrics.render();
        req.res.writeHead(200, { 'content-type': metrics.contentType });
        req.res.end(text);
        return undefined;
      },
    },
    {
      method: 'GET', path: '/v1/openapi.json', operationId: 'OpenApi', public: true, tag: 'Health',
      summary: 'This OpenAPI 3.1 document.',
      handle: () => openApiDocument,
    },
    {
      method: 'POST', path: '/v1/agents', operationId: 'AgentService.Deploy', tag: 'Agents',
      summary: 'Deploy an agent. "module" is the .wasm file, base64-encoded.',
      body: {
        required: ['name', 'module'],
        properties: {
          name: { type: 'string' }, module: { type: 'string', format: 'byte' }, config: {},
          capabilities: { type: 'array', items: { type: 'string' } }, memoryLimitBytes: { type: 'integer' },
          timeLimitMs: { type: 'integer' }, mailbox: { type: 'integer' }, worker: { type: 'integer' },
        },
      },
      status: 201,
      async handle({ body, res }) {
        const b64 = str(body, 'module');
        const agent = await ops.deploy({
          name: str(body, 'name') ?? '', module: b64 ? Buffer.from(b64, 'base64') : new Uint8Array(0), config: body.config,
          capabilities: strings(body, 'capabilities') ?? [], memoryLimitBytes: num(body, 'memoryLimitBytes') ?? 0,
          timeLimitMs: num(body, 'timeLimitMs') ?? 0, mailbox: num(body, 'mailbox') ?? 0, worker: num(body, 'worker') ?? 0,
        });
        res.statusCode = 201;
        return { agent };
      },
    },
    {
      method: 'GET', path: '/v1/agents', operationId: 'AgentService.List', tag: 'Agents',
      summary: 'List the deployed agents.',
      handle: async () => ({ agents: await ops.list() }),
    },
    {
      method: 'GET', path: '/v1/agents/{name}', operationId: 'AgentService.Get', tag: 'Agents',
      summary: 'One agent: state, worker, limits, mailbox depth, handled and failed counts.',
      handle: ({ params }) => ops.get(params.name!),
    },
    {
      method: 'DELETE', path: '/v1/agents/{name}', operationId: 'AgentService.Undeploy', tag: 'Agents',
      summary: 'Remove an agent; messages still queued for it are dead-lettered (AGENT_GONE).',
      async handle({ params }) {
        await ops.undeploy(params.name!);
        return {};
      },
    },
    {
      method: 'POST', path: '/v1/agents/{name}/messages', operationId: 'MessageService.Send', tag: 'Messages',
      summary: 'Fire and forget: put a message in the agent\'s mailbox (performative defaults to inform).',
      body: { properties: { performative: { type: 'string' }, content: {}, conversationId: { type: 'string' }, inReplyTo: { type: 'string' } } },
      status: 202,
      handle({ params, body, res, raw }) {
        const r = ops.send({ agent: params.name!, performative: str(body, 'performative'), content: body.content, conversationId: str(body, 'conversationId'), inReplyTo: str(body, 'inReplyTo'), headers: () => raw.headers });
        res.statusCode = 202;
        return r;
      },
    },
    {
      method: 'POST', path: '/v1/agents/{name}/invoke', operationId: 'MessageService.Invoke', tag: 'Messages',
      summary: 'Request-reply: send (performative defaults to request) and wait for the reply in the same conversation, up to timeoutMs (default 30000).',
      body: { properties: { performative: { type: 'string' }, content: {}, conversationId: { type: 'string' }, timeoutMs: { type: 'integer' } } },
      beforeBody(params) {
        ops.prewake(params.name);
      },
      async handle({ params, body, res, raw }) {
        const timeout = num(body, 'timeoutMs');
        // 'close' also comes after the reply was written: the bus client
        // ignores a cancel for a call that is no longer waiting.
        return ops.invoke({ agent: params.name!, performative: str(body, 'performative'), content: body.content, conversationId: str(body, 'conversationId'), headers: () => raw.headers }, timeout, (cancel) => { res.once('close', cancel); });
      },
    },
    {
      method: 'GET', path: '/v1/conversations/{id}/stream', operationId: 'MessageService.StreamConversation', tag: 'Messages', produces: 'application/x-ndjson',
      summary: 'Every message of the conversation as it is delivered, one JSON object per line, until the client disconnects.',
      handle({ params, res, raw }) {
        const stop = ops.watch(params.id!, (m) => {
          // A client that stops reading must not make this thread buffer without limit.
          if (res.writableLength > STREAM_BUFFER_LIMIT) {
            stop();
            res.end(`${JSON.stringify(httpErrorBody(new StreamTooSlowError(res.writableLength, STREAM_BUFFER_LIMIT)), jsonReplacer)}\n`);
            return;
          }
          res.write(`${JSON.stringify(m, jsonReplacer)}\n`);
        });
        res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
        res.flushHeaders();
        raw.on('close', stop);
        return undefined;
      },
    },
    {
      method: 'GET', path: '/v1/logs', operationId: 'LogService.Tail', tag: 'Logs', produces: 'application/x-ndjson',
      summary: 'The server log\'s lines that pass the filters (conversationId, agent, level, sinceUnixMs), as written (NDJSON); with follow=true, then new lines until the client disconnects.',
      query: { conversationId: { type: 'string' }, agent: { type: 'string' }, level: { type: 'string' }, sinceUnixMs: { type: 'integer' }, follow: { type: 'boolean' } },
      async handle({ query, res, raw }) {
        const since = query.get('sinceUnixMs');
        const stop = new AbortController();
        const lines = ops.tailLogs({
          conversationId: query.get('conversationId') ?? undefined, agent: query.get('agent') ?? undefined, level: query.get('level') ?? undefined,
          sinceUnixMs: since === null ? undefined : Number(since), follow: query.get('follow') === 'true',
        }, stop.signal);
        raw.on('close', () => stop.abort());
        res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
        res.flushHeaders();
        void (async () => {
          try {
            for await (const line of lines) {
              // Back-pressure: a slow reader pauses the file reading. A client
              // gone while the response is full never drains: the abort ends the wait.
              if (!res.write(`${line.text}\n`)) await once(res, 'drain', { signal: stop.signal });
            }
          } catch (e) {
            if (!stop.signal.aborted && !res.writableEnded) res.write(`${JSON.stringify(httpErrorBody(toCaxtonError(e)), jsonReplacer)}\n`);
          }
          if (!res.writableEnded) res.end();
        })();
        return undefined;
      },
    },
    {
      method: 'POST', path: '/v1/tasks/contract-net', operationId: 'TaskService.StartContractNet', tag: 'Tasks',
      summary: 'Run a Contract Net task and return its outcome and transcript.',
      body: {
        required: ['task'],
        properties: {
          capability: { type: 'string' }, contractors: { type: 'array', items: { type: 'string' } }, task: {},
          deadlineMs: { type: 'integer' }, select: { type: 'string' }, resultTimeoutMs: { type: 'integer' },
        },
      },
      handle({ body }) {
        const capability = str(body, 'capability');
        const contractors = strings(body, 'contractors');
        const select = str(body, 'select');
        const resultTimeoutMs = num(body, 'resultTimeoutMs');
        return ops.contractNet({
          ...(capability ? { capability } : {}), ...(contractors ? { contractors } : {}), task: body.task,
          deadlineMs: num(body, 'deadlineMs') ?? 1000, ...(select ? { select } : {}), ...(resultTimeoutMs ? { resultTimeoutMs } : {}),
        });
      },
    },
    {
      method: 'GET', path: '/v1/server', operationId: 'ManagementService.ServerInfo', tag: 'Management',
      summary: 'Version, uptime, workers, agents, agent ABI version.',
      handle: () => ops.serverInfo(),
    },
    {
      method: 'GET', path: '/v1/stats', operationId: 'ManagementService.Stats', tag: 'Management',
      summary: 'Message counts: accepted = delivered + deadLettered + inFlight.',
      handle: () => ops.stats(),
    },
    {
      method: 'GET', path: '/v1/dead-letters', operationId: 'ManagementService.ListDeadLetters', tag: 'Management',
      summary: 'The most recent dead letters (?limit=N, default 100).',
      query: { limit: { type: 'integer' } },
      async handle({ query }) {
        const l = query.get('limit');
        const limit = l === null ? undefined : Number(l);
        if (limit !== undefined && !Number.isInteger(limit)) throw new InvalidArgumentError('limit', `must be an integer, got "${l}"`, 'Use ?limit=N with N in 1..100000.');
        return { deadLetters: await ops.deadLetters(limit) };
      },
    },
    {
      method: 'POST', path: '/v1/drain', operationId: 'ManagementService.Drain', tag: 'Management',
      summary: 'Wait until nothing is in flight; with "shutdown": true, refuse new work and stop the server afterwards.',
      body: { properties: { timeoutMs: { type: 'integer' }, shutdown: { type: 'boolean' } } },
      handle: ({ body }) => ops.drain(num(body, 'timeoutMs'), body.shutdown === true),
    },
  ];
}

let openApiDocument: unknown;

function compiler(): (route: Route) => CompiledRoute {
  const validatorOf = bodyValidators();
  return (route) => {
    const names: string[] = [];
    const pattern = new RegExp(`^${route.path.replace(/\{(\w+)\}/g, (_m, n: string) => {
      names.push(n);
      return '([^/]+)';
    })}$`);
    const typed = Object.entries(route.body?.properties ?? {}).filter(([, schema]) => (schema as { type?: unknown }).type !== undefined);
    return { route, pattern, names, validate: validatorOf(route), nullable: typed.map(([k]) => k) };
  };
}

async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > MAX_BODY) throw new InvalidArgumentError('body', `is larger than ${MAX_BODY} bytes`, 'Send a smaller request (modules and content have size limits).');
    chunks.push(c);
  }
  if (size === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (e) {
    throw new InvalidArgumentError('body', `is not valid JSON (${(e as Error).message})`, 'Send a JSON object with content-type application/json.');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new InvalidArgumentError('body', 'must be a JSON object', 'Send a JSON object, e.g. {"content": "hi"}.');
  }
  return parsed as Record<string, unknown>;
}

function sendError(res: ServerResponse, err: unknown): number {
  const e = toCaxtonError(err);
  const status = httpStatusOf(e);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const retry = retryAfterMs(e);
  if (retry !== undefined) headers['retry-after'] = String(Math.max(1, Math.ceil(retry / 1000)));
  if (status === 401) headers['www-authenticate'] = 'Bearer realm="caxton"';
  if (res.headersSent) {
    res.end();
    return status;
  }
  res.writeHead(status, headers);
  res.end(JSON.stringify(httpErrorBody(e), jsonReplacer));
  return status;
}

export interface HttpGateway {
  server: Server;
  port: number;
  close(): Promise<void>;
}

export async function startHttp(ops: Operations, tokens: TokenCheck, metrics: Metrics, host: string, port: number): Promise<HttpGateway> {
  const table = routes(ops, metrics);
  openApiDocument = buildOpenApi(table);
  const compiled = table.map(compiler());
  const server = createServer((req, res) => {
    serve(req, res).catch((e: unknown) => {
      metrics.bug(e, 'http');
      if (!res.headersSent) sendError(res, e);
      else res.destroy();
    });
  });
  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    let operation = 'unknown';
    let status = 200;
    try {
      let url: URL;
      try {
        url = new URL(req.url ?? '/', 'http://caxton');
      } catch {
        throw new InvalidArgumentError('path', `"${String(req.url).slice(0, 200)}" is not a valid request target`, 'Send a path such as /v1/agents (percent-encode special characters).');
      }
      let found: { c: CompiledRoute; m: RegExpExecArray } | undefined;
      let pathMatched = false;
      for (const c of compiled) {
        const m = c.pattern.exec(url.pathname);
        if (!m) continue;
        pathMatched = true;
        if (c.route.method === method) {
          found = { c, m };
          break;
        }
      }
      if (!found) {
        if (pathMatched) res.setHeader('allow', compiled.filter((c) => c.pattern.test(url.pathname)).map((c) => c.route.method).join(', '));
        throw new UnknownRouteError(method, url.pathname);
      }
      const { route, names, validate, nullable } = found.c;
      operation = route.operationId;
      if (!route.public) {
        const err = tokens.check(req.headers.authorization);
        if (err) throw err;
      }
      const params: Record<string, string> = {};
      names.forEach((n, i) => {
        try {
          params[n] = decodeURIComponent(found!.m[i + 1]!);
        } catch {
          throw new InvalidArgumentError(n, `"${found!.m[i + 1]}" is not valid percent-encoding`, 'Percent-encode the path segment as UTF-8 (encodeURIComponent), e.g. %20 for a space.');
        }
      });
      if (route.beforeBody !== undefined) route.beforeBody(params);
      const body = method === 'GET' || method === 'DELETE' ? {} : await readBody(req);
      if (validate !== undefined) {
        // A null typed field means the same as an absent one (as gRPC's
        // defaults do); a null free-form value (content, config, task) is JSON null.
        for (const k of nullable) if (body[k] === null) delete body[k];
        if (!validate(body)) throw bodyError(validate.errors![0]!, route.operationId);
      }
      const result = await route.handle({ params, query: url.searchParams, body, raw: req, res });
      status = res.statusCode;
      if (result !== undefined && !res.headersSent) {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(result, jsonReplacer));
      }
    } catch (e) {
      if (!isCaxtonError(e) && operation !== 'unknown') metrics.bug(e, operation);
      status = sendError(res, e);
    }
    metrics.countCall('http', operation, String(status));
  }
  const bound = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
  server.keepAliveTimeout = 65_000;
  return {
    server, port: bound,
    // Idle connections go at once; a response being written (a Drain with
    // shutdown answering right now) gets a second to finish.
    close: () => new Promise<void>((resolve) => {
      const force = setTimeout(() => server.closeAllConnections(), 1000);
      server.close(() => {
        clearTimeout(force);
        resolve();
      });
      server.closeIdleConnections();
    }),
  };
}
