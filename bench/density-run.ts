/**
 * One density measurement, in the process it runs in (a fresh one per
 * measurement: bench/density-child.ts). Deploys `agents` idle echo agents
 * in batches, spread over the workers, and reads the resident memory of the
 * whole process (every thread) before and after, each time right after a
 * forced garbage collection of the main thread's heap: the difference is
 * then the fleet's, not garbage made before the measurement and collected
 * during it (which once made it negative). One agent is then invoked to
 * prove the fleet is live.
 */
import { Runtime } from '../runtime/runtime.js';
import { loadAgent } from './common.js';

export interface DensityRun {
  /** the process that measured */
  pid: number;
  /** whether a collection was forced before each reading (node --expose-gc) */
  gcForced: boolean;
  agents: number;
  rssBeforeBytes: number;
  rssAfterBytes: number;
  /** (after - before) / agents, not clamped */
  rssBytesPerAgent: number;
  deploySeconds: number;
  lastAgentAnswered: boolean;
  /** why the deploy stopped before every agent was deployed */
  error?: string;
}

export interface DensityRunOptions {
  agents: number;
  workers: number;
  batch: number;
}

/** RSS after a full collection of this thread's heap, when the process allows one. */
function settledRss(): number {
  globalThis.gc?.();
  return process.memoryUsage().rss;
}

export async function measureDensity(o: DensityRunOptions, onDeployed: (n: number) => void): Promise<DensityRun> {
  const rt = await Runtime.start({ workers: o.workers, maxAgents: Math.max(1 << 16, o.agents + 64) });
  try {
    const echo = loadAgent('echo');
    // One agent deployed and removed first: the workers' code paths and caches exist before "before".
    await rt.deploy({ name: 'warm-up', module: echo });
    await rt.remove('warm-up');
    const rssBefore = settledRss();
    const t0 = performance.now();
    let deployed = 0;
    let error: string | undefined;
    while (deployed < o.agents) {
      const k = Math.min(o.batch, o.agents - deployed);
      try {
        await rt.deploy(Array.from({ length: k }, (_, i) => ({ name: `idle-${deployed + i}`, module: echo, memoryLimitBytes: 1 << 20 })));
      } catch (e) {
        error = (e as Error).message;
        break;
      }
      deployed += k;
      onDeployed(deployed);
    }
    const deploySeconds = (performance.now() - t0) / 1000;
    const rssAfter = settledRss();
    const reply = deployed > 0 ? await rt.request({ to: `idle-${deployed - 1}`, performative: 'request', content: 'alive?' }, 5000) : undefined;
    return {
      pid: process.pid,
      gcForced: typeof globalThis.gc === 'function',
      agents: deployed,
      rssBeforeBytes: rssBefore,
      rssAfterBytes: rssAfter,
      rssBytesPerAgent: deployed ? Math.round((rssAfter - rssBefore) / deployed) : 0,
      deploySeconds,
      lastAgentAnswered: reply?.content === 'alive?',
      ...(error ? { error } : {}),
    };
  } finally {
    await rt.shutdown(5000);
  }
}
