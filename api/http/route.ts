/**
 * What a REST route is: its documentation (the OpenAPI fields of RouteDoc)
 * and its handler, in one object, so a route cannot exist undocumented.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RouteDoc } from '../openapi.js';

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
  /** true: the body carries a module (Deploy) and may be as large as ServerOptions api.maxDeployRequestBytes */
  deployBody?: boolean;
  /** returns the JSON body, or undefined when the handler wrote the response itself */
  handle(req: HttpRequest): Promise<unknown> | unknown;
  /** called once the request is authenticated and before its body is read (Invoke: pre-wake the agent's worker) */
  beforeBody?(params: Record<string, string>): void;
}
