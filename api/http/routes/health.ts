/** Liveness, readiness, Prometheus metrics and the OpenAPI document (tag Health). */
import type { Operations } from '../../operations.js';
import type { Metrics } from '../../metrics.js';
import type { Route } from '../route.js';

/** `openApi` gives the document of the whole table, which includes these routes: it is made after them. */
export function healthRoutes(ops: Operations, metrics: Metrics, openApi: () => unknown): Route[] {
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
      handle: () => openApi(),
    },
  ];
}
