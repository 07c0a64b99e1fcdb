/**
 * Caxton's MCP server: the SDK's low-level Server (so that the tools' input
 * schemas are given as the raw JSON Schemas of the REST routes, not rebuilt
 * in Zod), with the tools of api/mcp/tools.ts and the resources of
 * api/mcp/resources.ts over a Backend. One per /mcp request (stateless) or
 * one for the life of `caxton mcp`; connect it to a GatedTransport.
 */
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema, ListResourcesRequestSchema, ListResourceTemplatesRequestSchema, ListToolsRequestSchema, ReadResourceRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import type { jsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/types.js';
import { CAXTON_VERSION } from '../../runtime/version.js';
import { withJsonFieldNames } from '../errors.js';
import type { Backend } from './backend.js';
import { JSONRPC, JsonRpcError } from './errors.js';
import { listResources, listTemplates, readResource } from './resources.js';
import { callTool } from './tool-calls.js';
import type { ToolSet } from './tools.js';

const INSTRUCTIONS = 'Caxton runs WebAssembly agents that exchange FIPA ACL messages. list_agents shows the deployed agents; '
  + 'invoke_agent calls one and returns its reply; send_message sends without waiting; start_contract_net delegates a task to the agents '
  + 'offering a capability; list_dead_letters and read_conversation_log show what went wrong; deploy_manifest applies a fleet manifest. '
  + 'A failed call returns isError with a stable code (docs/errors.md) and a hint saying how to fix it.';

/**
 * The SDK builds an Ajv validator per Server unless given one; it is only
 * used for what this server never does (elicitation, client tool output),
 * so every per-request Server shares one that is never called.
 */
const UNUSED_VALIDATOR: jsonSchemaValidator = {
  getValidator: () => () => ({ valid: false, data: undefined, errorMessage: 'Caxton\'s MCP server validates no client schemas' }),
};

export function createMcpServer(backend: Backend, tools: ToolSet): Server {
  const server = new Server({ name: 'caxton', title: 'Caxton', version: CAXTON_VERSION }, {
    capabilities: { tools: { listChanged: false }, resources: { listChanged: false, subscribe: false } },
    instructions: INSTRUCTIONS,
    jsonSchemaValidator: UNUSED_VALIDATOR,
  });
  server.setRequestHandler(ListToolsRequestSchema, () => ({
    tools: tools.defs.map(({ name, title, description, inputSchema, annotations }) => ({ name, title, description, inputSchema, annotations: { title, ...annotations } })),
  }));
  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    // A call that cannot be made (no such tool, arguments against the schema) is a JSON-RPC error; one that ran and failed, a result with isError.
    let tool;
    const args = { ...(request.params.arguments ?? {}) };
    try {
      tool = tools.get(request.params.name);
      tools.check(tool, args);
    } catch (e) {
      throw new JsonRpcError(e, JSONRPC.INVALID_PARAMS);
    }
    return callTool(tool, args, backend, extra.signal);
  });
  server.setRequestHandler(ListResourcesRequestSchema, async () => {
    try {
      return await listResources(backend);
    } catch (e) {
      throw new JsonRpcError(withJsonFieldNames(e));
    }
  });
  server.setRequestHandler(ListResourceTemplatesRequestSchema, () => listTemplates());
  server.setRequestHandler(ReadResourceRequestSchema, async (request, extra) => {
    try {
      return await readResource(backend, request.params.uri, extra.signal);
    } catch (e) {
      throw new JsonRpcError(withJsonFieldNames(e));
    }
  });
  return server;
}
