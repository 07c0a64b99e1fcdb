/**
 * Contract Net throughput: 10 contractor agents (AssemblyScript) on the
 * workers, the runtime as manager; tasks are started back to back with
 * `concurrency` in flight for `durationSeconds`. Each task is 10 CFPs, 10
 * proposals, 1 accept, 9 rejects and 1 result (31 messages). Task latency
 * percentiles come from an HDR histogram.
 */
import * as hdr from 'hdr-histogram-js';
import { Runtime } from '../runtime/runtime.js';
import { silentLogger } from '../runtime/observability/logger.js';
import { loadAgent, withTicker, type BenchContext } from './common.js';
import { round } from './throughput.js';

export interface ContractNetBenchOptions {
  durationSeconds: number;
  workers: number;
  contractors: number;
  concurrency: number;
}

export async function contractNetScenario(o: ContractNetBenchOptions, ctx: BenchContext): Promise<Record<string, unknown>> {
  const rt = await Runtime.start({ workers: o.workers, logger: silentLogger() });
  try {
    const contractor = loadAgent('contract-net-contractor');
    await rt.deploy(Array.from({ length: o.contractors }, (_, i) => ({
      name: `contractor-${i}`, module: contractor, capabilities: ['bench-work'], config: { price: 10 + ((i * 7) % o.contractors), name: `contractor-${i}` },
    })));
    const h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 });
    let completed = 0;
    let other = 0;
    const bar = ctx.progress('contract-net', Math.round(o.durationSeconds * 10));
    const t0 = performance.now();
    const end = t0 + o.durationSeconds * 1000;
    const lane = async (): Promise<void> => {
      while (performance.now() < end) {
        const start = performance.now();
        const outcome = await rt.contractNet({ capability: 'bench-work', task: { size: 1 }, deadlineMs: 10_000 });
        h.recordValue(Math.max(1, Math.round((performance.now() - start) * 1000)));
        if (outcome.status === 'completed') completed++;
        else other++;
      }
    };
    await withTicker(Promise.all(Array.from({ length: o.concurrency }, lane)), 100, () => bar.update(Math.round((performance.now() - t0) / 100)));
    const elapsed = (performance.now() - t0) / 1000;
    bar.stop();
    const s = await rt.waitIdle(30_000);
    const out = {
      scenario: 'contract-net',
      durationSeconds: round(elapsed, 3),
      workers: o.workers,
      contractors: o.contractors,
      concurrency: o.concurrency,
      tasks: completed + other,
      completed,
      notCompleted: other,
      tasksPerSecond: Math.round((completed + other) / elapsed),
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
