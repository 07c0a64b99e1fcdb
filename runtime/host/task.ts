/**
 * piscina's entry point for a worker thread: one call per thread, the host
 * task, which resolves only at shutdown (decision 0004). The supervisor
 * chooses the host: the real one, or the benchmark's postMessage baseline.
 */
import type { HostTaskInput } from '../thread-messages.js';
import { WorkerHost } from './worker-host.js';
import { BaselineWorkerHost } from './baseline-host.js';

export default async function hostTask(input: HostTaskInput): Promise<{ thread: number }> {
  const host = input.options.transport === 'postmessage' ? new BaselineWorkerHost(input) : new WorkerHost(input);
  await host.run();
  return { thread: input.thread };
}
