/** AgentService over REST: deploy, list, get, undeploy (tag Agents). */
import type { Operations } from '../../operations.js';
import { AGENT_LIMITS, AGENT_LIMIT_FIELDS, rangeSchema } from '../../../runtime/limits.js';
import { num, str, strings } from '../body.js';
import type { Route } from '../route.js';

export function agentRoutes(ops: Operations): Route[] {
  return [
    {
      method: 'POST', path: '/v1/agents', operationId: 'AgentService.Deploy', tag: 'Agents',
      summary: 'Deploy an agent. "module" is the .wasm file, base64-encoded.',
      body: {
        required: ['name', 'module'],
        properties: {
          name: { type: 'string' }, module: { type: 'string', format: 'byte' }, config: {},
          capabilities: { type: 'array', items: { type: 'string' } },
          tools: { type: 'array', items: { type: 'string' } },
          ...Object.fromEntries(AGENT_LIMIT_FIELDS.map((f) => [f, rangeSchema(AGENT_LIMITS[f])])),
        },
      },
      status: 201,
      deployBody: true,
      async handle({ body, res }) {
        const b64 = str(body, 'module');
        const agent = await ops.deploy({
          name: str(body, 'name') ?? '', module: b64 ? Buffer.from(b64, 'base64') : new Uint8Array(0), config: body.config,
          capabilities: strings(body, 'capabilities') ?? [], tools: strings(body, 'tools') ?? [], memoryLimitBytes: num(body, 'memoryLimitBytes') ?? 0,
          timeLimitMs: num(body, 'timeLimitMs') ?? 0, mailbox: num(body, 'mailbox') ?? 0, worker: num(body, 'worker') ?? 0,
          maxSendsPerSecond: num(body, 'maxSendsPerSecond') ?? 0,
        });
        res.statusCode = 201;
        return { agent };
      },
    },
    {
      method: 'GET', path: '/v1/agents', operationId: 'AgentService.List', tag: 'Agents',
      summary: 'List the deployed agents.',
      handle: async () => ({ agents: await ops.list() }),
    },
    {
      method: 'GET', path: '/v1/agents/{name}', operationId: 'AgentService.Get', tag: 'Agents',
      summary: 'One agent: state, worker, limits, mailbox depth, handled and failed counts.',
      handle: ({ params }) => ops.get(params.name!),
    },
    {
      method: 'DELETE', path: '/v1/agents/{name}', operationId: 'AgentService.Undeploy', tag: 'Agents',
      summary: 'Remove an agent; messages still queued for it are dead-lettered (AGENT_GONE).',
      async handle({ params }) {
        await ops.undeploy(params.name!);
        return {};
      },
    },
  ];
}
