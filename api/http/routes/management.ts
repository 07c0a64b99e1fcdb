/** ManagementService over REST: server info, stats, dead letters, drain (tag Management). */
import { CALL_LIMITS, rangeSchema } from '../../../runtime/limits.js';
import { InvalidArgumentError } from '../../../runtime/errors.js';
import type { Operations } from '../../operations.js';
import { num } from '../body.js';
import type { Route } from '../route.js';

export function managementRoutes(ops: Operations): Route[] {
  return [
    {
      method: 'GET', path: '/v1/server', operationId: 'ManagementService.ServerInfo', tag: 'Management',
      summary: 'Version, uptime, workers, agents, agent ABI version.',
      handle: () => ops.serverInfo(),
    },
    {
      method: 'GET', path: '/v1/stats', operationId: 'ManagementService.Stats', tag: 'Management',
      summary: 'Message counts: accepted = delivered + deadLettered + inFlight.',
      handle: () => ops.stats(),
    },
    {
      method: 'GET', path: '/v1/dead-letters', operationId: 'ManagementService.ListDeadLetters', tag: 'Management',
      summary: 'The most recent dead letters (?limit=N, default 100).',
      query: { limit: rangeSchema(CALL_LIMITS.deadLetterLimit) },
      async handle({ query }) {
        const l = query.get('limit');
        const limit = l === null ? undefined : Number(l);
        if (limit !== undefined && !Number.isInteger(limit)) throw new InvalidArgumentError('limit', `must be an integer, got "${l}"`, 'Use ?limit=N with N in 1..100000.');
        return { deadLetters: await ops.deadLetters(limit) };
      },
    },
    {
      method: 'POST', path: '/v1/drain', operationId: 'ManagementService.Drain', tag: 'Management',
      summary: 'Wait until nothing is in flight; with "shutdown": true, refuse new work and stop the server afterwards.',
      body: { properties: { timeoutMs: rangeSchema(CALL_LIMITS.drainTimeoutMs), shutdown: { type: 'boolean' } } },
      handle: ({ body }) => ops.drain(num(body, 'timeoutMs'), body.shutdown === true),
    },
  ];
}
