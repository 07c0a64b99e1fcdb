/**
 * Contract Net throughput: 10 contractor agents (AssemblyScript) on the
 * workers, the runtime as manager; tasks are started back to back with
 * `concurrency` in flight for `durationSeconds`. Each task is 10 CFPs, 10
 * proposals, 1 accept, 9 rejects and 1 result (31 messages). Task latency
 * percentiles come from an HDR histogram. The rate counts completed tasks
 * only; tasks that ended otherwise (a contractor's failure, no proposal, no
 * result by the deadline) are counted by how they ended.
 */
import * as hdr from 'hdr-histogram-js';
import { Runtime } from '../runtime/runtime.js';
import { silentLogger } from '../runtime/observability/logger.js';
import { loadAgent, round, withTicker } from './common.js';
import type { BenchContext, PlannedRun } from './progress.js';
import type { ContractNetStatus } from '../runtime/fipa/contract-net.js';

export interface ContractNetBenchOptions {
  durationSeconds: number;
  workers: number;
  contractors: number;
  concurrency: number;
  /** merged into every contractor's config (e.g. `failAfterAccept`, to check how failed tasks are counted) */
  contractorConfig?: Record<string, unknown>;
}

const PHASE = 'contract-net';

/** The run the scenario makes, for the progress estimate. */
export function planContractNet(o: ContractNetBenchOptions): PlannedRun[] {
  return [{ phase: PHASE, seconds: o.durationSeconds + 0.6 }];
}

export async function contractNetScenario(o: ContractNetBenchOptions, ctx: BenchContext): Promise<Record<string, unknown>> {
  const rt = await Runtime.start({ workers: o.workers, logger: silentLogger() });
  try {
    const contractor = loadAgent('contract-net-contractor');
    await rt.deploy(Array.from({ length: o.contractors }, (_, i) => ({
      name: `contractor-${i}`, module: contractor, capabilities: ['bench-work'], config: { price: 10 + ((i * 7) % o.contractors), name: `contractor-${i}`, ...o.contractorConfig },
    })));
    const h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 });
    const ended: Record<ContractNetStatus, number> = { 'completed': 0, 'failed': 0, 'no-contractors': 0, 'no-proposals': 0, 'result-timeout': 0 };
    const bar = ctx.progress(PHASE, Math.round(o.durationSeconds * 10));
    const t0 = performance.now();
    const end = t0 + o.durationSeconds * 1000;
    const lane = async (): Promise<void> => {
      while (performance.now() < end) {
        const start = performance.now();
        const outcome = await rt.contractNet({ capability: 'bench-work', task: { size: 1 }, deadlineMs: 10_000 });
        h.recordValue(Math.max(1, Math.round((performance.now() - start) * 1000)));
        ended[outcome.status]++;
      }
    };
    await withTicker(Promise.all(Array.from({ length: o.concurrency }, lane)), 100, () => bar.update(Math.round((performance.now() - t0) / 100)));
    // Until the last task started before the end has ended: every task counted ended in it.
    const elapsed = (performance.now() - t0) / 1000;
    bar.stop();
    const s = await rt.waitIdle(30_000);
    const out = {
      scenario: 'contract-net',
      durationSeconds: round(elapsed, 3),
      workers: o.workers,
      contractors: o.contractors,
      concurrency: o.concurrency,
      tasks: Object.values(ended).reduce((a, b) => a + b, 0),
      completed: ended.completed,
      failed: ended.failed,
      noProposals: ended['no-proposals'],
      noContractors: ended['no-contractors'],
      resultTimeout: ended['result-timeout'],
      completedPerSecond: Math.round(ended.completed / elapsed),
      p50Us: round(h.getValueAtPercentile(50), 1),
      p99Us: round(h.getValueAtPercentile(99), 1),
      p999Us: round(h.getValueAtPercentile(99.9), 1),
      sent: s.accepted,
      delivered: s.delivered,
      deadLettered: s.deadLettered,
      lost: s.accepted - s.delivered - s.deadLettered,
    };
    h.destroy();
    return out;
  } finally {
    await rt.shutdown(5000);
  }
}
