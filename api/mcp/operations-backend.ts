/**
 * The /mcp endpoint's Backend: the API thread's own Operations, the very
 * calls the REST routes make, on the same thread (no extra hop). Their
 * errors name proto fields (`timeout_ms`); MCP arguments are the JSON ones
 * (`timeoutMs`), renamed as REST does (withJsonFieldNames).
 */
import type { AgentView } from '../control.js';
import type { Operations } from '../operations.js';
import { withJsonFieldNames } from '../errors.js';
import type { Backend, LogQuery, MessageArgs } from './backend.js';
import type { Caller } from './caller.js';
import { inlineModules } from './deploy.js';

/** `p`, its error with JSON field names. */
async function named<T>(p: () => Promise<T> | T): Promise<T> {
  try {
    return await p();
  } catch (e) {
    throw withJsonFieldNames(e);
  }
}

/** An agent deployed without a config shows `config: null`, as over gRPC (configJson "null"), not no field at all. */
function withConfig(a: AgentView): AgentView {
  return { ...a, config: a.config ?? null };
}

/** `headers`: the HTTP request's, for its W3C trace context (read only when tracing is on). */
export function operationsBackend(ops: Operations, caller: Caller, headers: () => Record<string, unknown>): Backend {
  const input = (m: MessageArgs) => ({ ...m, headers });
  return {
    caller,
    listAgents: () => named(async () => (await ops.list()).map(withConfig)),
    getAgent: (name) => named(async () => withConfig(await ops.get(name))),
    send: (m) => named(() => ops.send(input(m))),
    invoke: (m, timeoutMs, signal) => named(() => ops.invoke(input(m), timeoutMs, (cancel) => {
      // the bus client ignores a cancel for a call that is no longer waiting
      if (signal.aborted) cancel();
      else signal.addEventListener('abort', cancel, { once: true });
    })),
    contractNet: (r) => named(() => ops.contractNet(r)),
    deadLetters: (limit) => named(() => ops.deadLetters(limit)),
    logLines: (q, signal) => lines(ops, q, signal),
    deploy: (a) => named(() => ops.deploy(a)),
    undeploy: (name) => named(() => ops.undeploy(name)),
    listToolServers: () => named(() => ops.toolList()),
    putToolServer: (spec) => named(async () => (await ops.toolPut(spec)).server),
    removeToolServer: (name) => named(() => ops.toolRemove(name)),
    // Over HTTP a module comes with the request or not at all: the server never opens a path a client wrote.
    modules: (inline) => inlineModules(inline),
    manifestDir: null,
  };
}

async function* lines(ops: Operations, q: LogQuery, signal: AbortSignal): AsyncGenerator<Record<string, unknown>> {
  const tail = await named(() => ops.tailLogs({ ...q, follow: false }, signal));
  try {
    for await (const line of tail) yield line.fields;
  } catch (e) {
    throw withJsonFieldNames(e);
  }
}
