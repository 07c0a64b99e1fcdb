// The MCP tools cannot drift from REST: every tool that is a REST operation
// has, as its input schema, the JSON Schemas the REST gateway validates
// with and publishes in /v1/openapi.json (body properties and required
// fields, query parameters, path parameters as arguments, no other field),
// and the same invalid input is refused with the same code and message by
// REST and by MCP. Against a real server; tools/list over stdio is compared
// with /mcp's in tools.test.ts.
import t from 'tap';
import { httpSession } from '../helpers/mcp.js';
import { startTestServer, stopTestServer } from '../helpers/server.js';
import { example } from '../helpers/agents.js';

const s = await startTestServer();
await s.call(s.agents, 'Deploy', { name: 'echo', module: example('echo') });
const mcp = await httpSession(s.base, s.token);
t.teardown(async () => {
  await mcp.close();
  await stopTestServer(s);
});

/** Each tool, the REST operation it is, and its path parameters' argument names. */
const TOOLS: Record<string, { method: string; path: string; path2arg?: Record<string, string>; query?: string[]; required?: string[] }> = {
  list_agents: { method: 'get', path: '/v1/agents' },
  get_agent: { method: 'get', path: '/v1/agents/{name}', path2arg: { name: 'name' } },
  send_message: { method: 'post', path: '/v1/agents/{name}/messages', path2arg: { name: 'agent' } },
  invoke_agent: { method: 'post', path: '/v1/agents/{name}/invoke', path2arg: { name: 'agent' } },
  start_contract_net: { method: 'post', path: '/v1/tasks/contract-net' },
  list_dead_letters: { method: 'get', path: '/v1/dead-letters', query: ['limit'] },
  read_conversation_log: { method: 'get', path: '/v1/logs', query: ['conversationId', 'agent', 'level', 'sinceUnixMs'], required: ['conversationId'] },
};

t.test('each tool\'s input schema is its REST operation\'s, as /v1/openapi.json publishes it', async (t) => {
  const openapi = (await s.http('GET', '/v1/openapi.json')).body;
  const { tools } = await mcp.client.listTools();
  t.same(tools.map((x) => x.name).sort(), [...Object.keys(TOOLS), 'deploy_manifest'].sort());
  for (const [name, op] of Object.entries(TOOLS)) {
    const tool = tools.find((x) => x.name === name)!;
    const doc = openapi.paths[op.path][op.method];
    t.ok(tool.description?.startsWith(doc.summary), `${name}: described by the route's summary first`);
    const body = doc.requestBody?.content['application/json'].schema ?? { properties: {}, required: [] };
    const want: Record<string, unknown> = {};
    for (const [param, arg] of Object.entries(op.path2arg ?? {})) want[arg] = doc.parameters.find((p: any) => p.in === 'path' && p.name === param).schema;
    for (const q of op.query ?? []) want[q] = doc.parameters.find((p: any) => p.in === 'query' && p.name === q).schema;
    Object.assign(want, body.properties);
    t.same(tool.inputSchema.properties, want, `${name}: the same properties and schemas`);
    t.same([...(tool.inputSchema.required ?? [])].sort(), [...new Set([...Object.values(op.path2arg ?? {}), ...(body.required ?? []), ...(op.required ?? [])])].sort(), `${name}: required`);
    t.equal((tool.inputSchema as { additionalProperties?: unknown }).additionalProperties, false, `${name}: no other field, as REST refuses unknown fields`);
    if (body.additionalProperties !== undefined) t.equal(body.additionalProperties, false);
  }
  const deploy = tools.find((x) => x.name === 'deploy_manifest')!;
  t.same(deploy.inputSchema.required, ['manifest']);
  t.match(deploy.annotations, { destructiveHint: true, readOnlyHint: false });
  t.ok(tools.filter((x) => x.name.startsWith('list_') || x.name.startsWith('get_') || x.name.startsWith('read_')).every((x) => x.annotations?.readOnlyHint), 'the readers say so');
});

t.test('the same invalid input: the same code and message over REST and MCP', async (t) => {
  const cases: [string, string, Record<string, unknown>, string, Record<string, unknown>][] = [
    ['invoke_agent', '/v1/agents/echo/invoke', { timeoutMs: 0 }, 'timeoutMs', { agent: 'echo', timeoutMs: 0 }],
    ['invoke_agent', '/v1/agents/echo/invoke', { contnet: 1 }, 'contnet', { agent: 'echo', contnet: 1 }],
    ['send_message', '/v1/agents/echo/messages', { durable: 'yes' }, 'durable', { agent: 'echo', durable: 'yes' }],
    ['start_contract_net', '/v1/tasks/contract-net', { capability: 'x' }, 'task', { capability: 'x' }],
    ['start_contract_net', '/v1/tasks/contract-net', { task: 1, resultTimeoutMs: 700_000 }, 'resultTimeoutMs', { task: 1, resultTimeoutMs: 700_000 }],
  ];
  for (const [tool, path, body, field, args] of cases) {
    const viaRest = await s.http('POST', path, body);
    t.equal(viaRest.status, 400, `${path} ${JSON.stringify(body)}`);
    let viaMcp: any;
    try {
      await mcp.client.callTool({ name: tool, arguments: args });
    } catch (e) {
      viaMcp = e;
    }
    t.equal(viaMcp?.code, -32602, `${tool}: invalid params`);
    t.equal(viaMcp.data.code, viaRest.body.error.code, `${tool} ${field}: the same code`);
    t.equal(viaMcp.data.details.argument, field);
    t.ok(String(viaMcp.message).endsWith(viaRest.body.error.message), `${tool} ${field}: the same message (${viaRest.body.error.message})`);
  }
});
