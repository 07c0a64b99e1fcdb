/**
 * The route table: every REST operation and its documentation, one file per
 * OpenAPI tag under routes/. The order is the matching order, and the order
 * of the methods an `allow` header lists.
 */
import { toolRoutes } from './routes/tools.js';
import type { Operations } from '../operations.js';
import type { Metrics } from '../metrics.js';
import { buildOpenApi } from '../openapi.js';
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
