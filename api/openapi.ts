/**
 * The OpenAPI 3.1 document of the REST gateway, built from its route table
 * (api/http/route-table.ts) when the gateway starts: paths, parameters,
 * bodies, the bearer scheme, and the one error shape every failure uses.
 */
import { CAXTON_VERSION } from '../runtime/version.js';

export interface RouteDoc {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  operationId: string;
  summary: string;
  tag: string;
  /** JSON Schema of the request body's object */
  body?: { required?: string[]; properties: Record<string, unknown> };
  query?: Record<string, unknown>;
  /** success status when not 200 */
  status?: number;
  produces?: string;
  public?: boolean;
}


const errorSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message', 'hint'],
      properties: {
        code: { type: 'string', description: 'stable error code (docs/errors.md)' },
        message: { type: 'string', description: 'what went wrong, and why' },
        hint: { type: 'string', description: 'how to fix it' },
        details: { type: 'object', description: 'the values the message is about (agent, field, retryAfterMs...)' },
        status: { type: 'string', description: 'the gRPC status name of the same error' },
      },
    },
  },
};

export function buildOpenApi(routes: readonly RouteDoc[]): unknown {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const params = [...r.path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    for (const [name, schema] of Object.entries(r.query ?? {})) params.push({ name, in: 'query', required: false, schema: schema as { type: string } });
    const op: Record<string, unknown> = {
      operationId: r.operationId,
      summary: r.summary,
      tags: [r.tag],
      responses: {
        [String(r.status ?? 200)]: { description: 'success', content: { [r.produces ?? 'application/json']: { schema: {} } } },
        default: { description: 'an error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
      },
    };
    if (params.length) op.parameters = params;
    if (r.body) {
      // additionalProperties false: the gateway refuses unknown fields (api/http/body.ts)
      op.requestBody = { required: (r.body.required ?? []).length > 0, content: { 'application/json': { schema: { type: 'object', additionalProperties: false, ...r.body } } } };
    }
    if (r.public) op.security = [];
    (paths[r.path] ??= {})[r.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Caxton REST gateway', version: CAXTON_VERSION, description: 'The REST/JSON face of the caxton.v1 gRPC services (docs/api.md).' },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: '$CAXTON_TOKEN or the data directory\'s token file' } },
      schemas: { Error: errorSchema },
    },
    paths,
  };
}
