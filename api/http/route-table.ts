/**
 * The route table: every REST operation and its documentation, one file per
 * OpenAPI tag under routes/. The order is the matching order, and the order
 * of the methods an `allow` header lists.
 */
import { toolRoutes } from './routes/tools.js';
import type { Operations } from '../operations.js';
import type { Metrics } from '../metrics.js';
import { buildOpenApi, type RouteDoc } from '../openapi.js';
import type { Route } from './route.js';
import { healthRoutes } from './routes/health.js';
import { agentRoutes } from './routes/agents.js';
import { messageRoutes } from './routes/messages.js';
import { logRoutes } from './routes/logs.js';
import { taskRoutes } from './routes/tasks.js';
import { managementRoutes } from './routes/management.js';

export function routes(ops: Operations, metrics: Metrics): Route[] {
  // The OpenAPI route serves the document of this table: built once, when the
  // table is (the route reads `openApi` when it serves, after it is set below).
  const table = [
    ...healthRoutes(ops, metrics, () => openApi),
    ...agentRoutes(ops),
    ...messageRoutes(ops),
    ...logRoutes(ops),
    ...taskRoutes(ops),
    ...managementRoutes(ops),
    ...toolRoutes(ops),
  ];
  const openApi: unknown = buildOpenApi(table);
  return table;
}

/**
 * The table's documentation alone (paths, schemas, summaries), without
 * handlers: for what describes the operations without serving them, such
 * as the MCP tools of `caxton mcp` (api/mcp/tools.ts), which call them over gRPC.
 */
export function routeDocs(): RouteDoc[] {
  // The handlers close over the operations and are dropped here, never called.
  return routes(null as never, null as never).map(({ method, path, operationId, summary, tag, body, query, status, produces, public: open }) => ({
    method, path, operationId, summary, tag,
    ...(body ? { body } : {}), ...(query ? { query } : {}), ...(status ? { status } : {}), ...(produces ? { produces } : {}), ...(open ? { public: open } : {}),
  }));
}
