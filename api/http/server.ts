/**
 * The REST gateway's node:http server: each request is routed, authenticated,
 * its body read and checked, then handled; every failure is answered with
 * the JSON error body (api/errors.ts) and every call counted in the metrics.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InvalidArgumentError, RequestTooLargeError, UnknownRouteError, isCaxtonError } from '../../runtime/errors.js';
import type { ApiLimits } from '../api-limits.js';
import { ConnectionGuard } from '../connection-guard.js';
import { httpErrorBody, httpStatusOf, retryAfterMs, toCaxtonError, withJsonFieldNames } from '../errors.js';
import { jsonReplacer, type Operations } from '../operations.js';
import type { TokenCheck } from '../auth.js';
import type { Metrics } from '../metrics.js';
import { checkBody, readBody } from './body.js';
import { bodyUnread, lingerClose } from './linger.js';
import { routes } from './route-table.js';
import { compileRoutes, matchRoute, pathParams } from './router.js';
import { MCP_OPERATION, MCP_PATH, mcpEndpoint } from '../mcp/http-endpoint.js';
import { ToolSet } from '../mcp/tools.js';

/** Answers with the error's status and JSON body; returns the status. */
function sendError(res: ServerResponse, err: unknown): number {
  const e = toCaxtonError(err);
  const status = httpStatusOf(e);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const retry = retryAfterMs(e);
  if (retry !== undefined) headers['retry-after'] = String(Math.max(1, Math.ceil(retry / 1000)));
  if (status === 401) headers['www-authenticate'] = 'Bearer realm="caxton"';
  const req = res.req;
  const unread = bodyUnread(req);
  if (res.headersSent) {
    res.end();
    return status;
  }
  res.writeHead(status, headers);
  // A body left unread (refused by its size, or before it was read) is not waited for.
  res.end(JSON.stringify(httpErrorBody(e), jsonReplacer), unread ? () => lingerClose(req.socket) : undefined);
  return status;
}


export interface HttpGateway {
  server: Server;
  /** its connections' counts */
  guard: ConnectionGuard;
  port: number;
  close(): Promise<void>;
}

export async function startHttp(ops: Operations, tokens: TokenCheck, metrics: Metrics, host: string, port: number, limits: ApiLimits): Promise<HttpGateway> {
  const table = routes(ops, metrics);
  const compiled = compileRoutes(table);
  const guard = new ConnectionGuard(limits.maxConnections, limits.authTimeoutMs);
  // MCP on the same port, its tools built from the same route table (api/mcp/tools.ts)
  const mcp = mcpEndpoint({ ops, tokens, limits, guard, tools: new ToolSet(table), bug: (e, op) => metrics.bug(e, op) });
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
    let status: number;
    try {
      let url: URL;
      try {
        url = new URL(req.url ?? '/', 'http://caxton');
      } catch {
        throw new InvalidArgumentError('path', `"${String(req.url).slice(0, 200)}" is not a valid request target`, 'Send a path such as /v1/agents (percent-encode special characters).');
      }
      if (url.pathname === MCP_PATH) {
        // Answers every request itself, errors included (as JSON-RPC errors, not REST's bodies).
        metrics.countCall('http', MCP_OPERATION, String(await mcp(req, res)));
        return;
      }
      const match = matchRoute(compiled, method, url.pathname);
      if (match.route === undefined) {
        if (match.allow !== undefined) res.setHeader('allow', match.allow);
        throw new UnknownRouteError(method, url.pathname);
      }
      const { route, body: bodyCheck } = match.route;
      operation = route.operationId;
      // By its declared size, before a byte of it is read.
      const maxBody = route.deployBody ? limits.maxDeployRequestBytes : limits.maxRequestBytes;
      const declared = Number(req.headers['content-length'] ?? 0);
      if (declared > maxBody) throw new RequestTooLargeError(declared, maxBody, operation);
      if (!route.public) {
        const err = tokens.check(req.headers.authorization);
        if (err) throw err;
      }
      guard.authenticated(req.socket);
      const params = pathParams(match.route, match.groups);
      if (route.beforeBody !== undefined) route.beforeBody(params);
      const body = method === 'GET' || method === 'DELETE' ? {} : await readBody(req, maxBody, operation);
      if (bodyCheck !== undefined) checkBody(body, bodyCheck, route.operationId);
      // The operations' errors name proto fields: REST names the JSON ones.
      let result: unknown;
      try {
        result = await route.handle({ params, query: url.searchParams, body, raw: req, res });
      } catch (e) {
        throw withJsonFieldNames(e);
      }
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
  guard.watch(server);
  const bound = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
  server.keepAliveTimeout = limits.idleTimeoutMs;
  return {
    server, port: bound, guard,
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
