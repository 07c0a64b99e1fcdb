/**
 * The REST/JSON gateway (node:http): the same operations as gRPC under /v1,
 * with the same error codes as JSON bodies ({error: {code, message, hint,
 * details, status}}), plus /healthz, /readyz, /metrics and the OpenAPI
 * document at /v1/openapi.json, which is generated from the route table
 * (one table: a route cannot exist without its documentation).
 *
 * Content is JSON on this side (not JSON text as in gRPC): `"content": {...}`.
 *
 * The parts are in http/: server.ts (the node:http server), router.ts
 * (matching), body.ts (body reading and schema checks), route-table.ts and
 * routes/ (the operations, one file per OpenAPI tag). The same port serves
 * MCP at POST /mcp (api/mcp/http-endpoint.ts), its tools built from the
 * same route table.
 */
export type { HttpRequest, Route } from './http/route.js';
export { routes } from './http/route-table.js';
export { startHttp, type HttpGateway } from './http/server.js';
