/**
 * Density: deploy N idle echo agents (in batches of 1,000, spread over the
 * workers) and report resident memory per agent and the deploy time. RSS is
 * the whole process (every thread), measured after boot and after deploy.
 * One agent is then invoked to prove the fleet is live.
 */
import { Runtime } from '../runtime/runtime.js';
import { loadAgent, sleep, type BenchContext } from './common.js';
import { round } from './throughput.js';

export interface DensityOptions {
  counts: number[];
  workers: number;
  batch: number;
}

export async function densityOnce(agents: number, opts: DensityOptions, ctx: BenchContext): Promise<Record<string, unknown>> {
  const rt = await Runtime.start({ workers: opts.workers, maxAgents: Math.max(1 << 16, agents + 64) });
  try {
    const echo = loadAgent('echo');
    await rt.deploy({ name: 'warm-up', module: echo });
    await rt.remove('warm-up');
    await sleep(200);
    const rssBefore = process.memoryUsage().rss;
    const bar = ctx.progress(`density: deploying ${agents} agents`, agents);
    const t0 = performance.now();
    let deployed = 0;
    let error: string | undefined;
    while (deployed < agents) {
      const k = Math.min(opts.batch, agents - deployed);
      try {
        await rt.deploy(Array.from({ length: k }, (_, i) => ({ name: `idle-${deployed + i}`, module: echo, memoryLimitBytes: 1 << 20 })));
      } catch (e) {
        error = (e as Error).message;
        break;
      }
      deployed += k;
      bar.update(deployed);
    }
    const deploySeconds = (performance.now() - t0) / 1000;
    bar.stop();
    await sleep(200);
    const rssAfter = process.memoryUsage().rss;
    const reply = deployed > 0 ? await rt.request({ to: `idle-${deployed - 1}`, performative: 'request', content: 'alive?' }, 5000) : undefined;
    return {
      scenario: 'density',
      durationSeconds: round(deploySeconds, 3),
      agents: deployed,
      requested: agents,
      workers: opts.workers,
      rssBeforeBytes: rssBefore,
      rssAfterBytes: rssAfter,
      rssBytesPerAgent: deployed ? Math.round((rssAfter - rssBefore) / deployed) : 0,
      deploySeconds: round(deploySeconds, 3),
      agentsPerSecond: Math.round(deployed / deploySeconds),
      lastAgentAnswered: reply?.content === 'alive?',
      ...(error ? { error } : {}),
    };
  } finally {
    await rt.shutdown(5000);
  }
}
