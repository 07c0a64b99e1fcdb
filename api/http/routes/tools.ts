/** ToolService over REST: the MCP tool servers agents call through $mcp (tag Tools; docs/mcp.md). */
import type { Operations } from '../../operations.js';
import type { Route } from '../route.js';

/** A tools: entry of a fleet manifest, as JSON (runtime/tools/spec.ts checks it in full). */
const TOOL_SERVER_SCHEMA = {
  properties: {
    name: { type: 'string' },
    stdio: {
      type: 'object', additionalProperties: false, required: ['command'],
      properties: { command: { type: 'string' }, args: { type: 'array', items: { type: 'string' } }, env: { type: 'object', additionalProperties: { type: 'string' } }, cwd: { type: 'string' } },
    },
    http: {
      type: 'object', additionalProperties: false, required: ['url'],
      properties: { url: { type: 'string' }, headers: { type: 'object', additionalProperties: { type: 'string' } }, tokenEnv: { type: 'string' } },
    },
    timeoutMs: { type: 'integer', minimum: 1, maximum: 600_000 },
    startTimeoutMs: { type: 'integer', minimum: 1, maximum: 600_000 },
  },
};

export function toolRoutes(ops: Operations): Route[] {
  return [
    {
      method: 'GET', path: '/v1/tools', operationId: 'ToolService.List', tag: 'Tools',
      summary: 'The tool servers: state, restarts, last error and their tools with input schemas.',
      handle: async () => ({ servers: await ops.toolList() }),
    },
    {
      method: 'POST', path: '/v1/tools', operationId: 'ToolService.Put', tag: 'Tools',
      summary: 'Add or replace a tool server (a manifest tools: entry in JSON); answers once its first start has succeeded or failed.',
      body: { required: ['name'], ...TOOL_SERVER_SCHEMA },
      handle: ({ body }) => ops.toolPut(body),
    },
    {
      method: 'DELETE', path: '/v1/tools/{name}', operationId: 'ToolService.Remove', tag: 'Tools',
      summary: 'Stop and forget a tool server; calls waiting for it fail TOOL_SERVER_DOWN.',
      async handle({ params }) {
        await ops.toolRemove(params.name!);
        return {};
      },
    },
  ];
}
