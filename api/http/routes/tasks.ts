/** TaskService over REST: a Contract Net run to its outcome (tag Tasks). */
import { CALL_LIMITS, rangeSchema } from '../../../runtime/limits.js';
import type { Operations } from '../../operations.js';
import { num, str, strings } from '../body.js';
import type { Route } from '../route.js';

export function taskRoutes(ops: Operations): Route[] {
  return [
    {
      method: 'POST', path: '/v1/tasks/contract-net', operationId: 'TaskService.StartContractNet', tag: 'Tasks',
      summary: 'Run a Contract Net task and return its outcome and transcript.',
      body: {
        required: ['task'],
        properties: {
          capability: { type: 'string' }, contractors: { type: 'array', items: { type: 'string' } }, task: {},
          deadlineMs: rangeSchema(CALL_LIMITS.contractNetDeadlineMs), select: { type: 'string' }, resultTimeoutMs: rangeSchema(CALL_LIMITS.contractNetResultTimeoutMs),
        },
      },
      handle({ body }) {
        const capability = str(body, 'capability');
        const contractors = strings(body, 'contractors');
        const select = str(body, 'select');
        const resultTimeoutMs = num(body, 'resultTimeoutMs');
        return ops.contractNet({
          ...(capability ? { capability } : {}), ...(contractors ? { contractors } : {}), task: body.task,
          deadlineMs: num(body, 'deadlineMs') ?? 1000, ...(select ? { select } : {}), ...(resultTimeoutMs ? { resultTimeoutMs } : {}),
        });
      },
    },
  ];
}
