/**
 * Density: resident memory per idle agent and the deploy time, for each
 * agent count. Each measurement runs in a fresh process started with
 * --expose-gc (bench/density-child.ts, bench/density-run.ts), so that
 * nothing an earlier scenario left behind is collected while it measures;
 * DENSITY_RUNS measurements per count, and the figures are their medians
 * with the spread next to them. Nothing is clamped: a measurement that came
 * out negative would show in the spread.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { median, round } from './common.js';
import type { DensityChildMessage } from './density-child.js';
import type { DensityRun, DensityRunOptions } from './density-run.js';
import type { BenchContext, PlannedRun } from './progress.js';

export interface DensityOptions {
  counts: number[];
  workers: number;
  batch: number;
}

/** Measurements per agent count, each in its own process. */
export const DENSITY_RUNS = 3;

const densityPhase = (agents: number): string => `density (${agents.toLocaleString('en-US')} agents)`;

/** The runs the scenario makes, for the progress estimate: a process start, a runtime, and the deploy (about 5,000 agents/s on a shared 2-core machine). */
export function planDensity(o: DensityOptions): PlannedRun[] {
  return o.counts.flatMap((n) => Array.from({ length: DENSITY_RUNS }, () => ({ phase: densityPhase(n), seconds: 1.5 + n / 5000 })));
}

/** One measurement in a fresh process. */
function measureInChild(o: DensityRunOptions, onDeployed: (n: number) => void): Promise<DensityRun> {
  const child = fork(fileURLToPath(new URL('./density-child.js', import.meta.url)), [JSON.stringify(o)], {
    execArgv: ['--expose-gc'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    let outcome: DensityRun | Error | undefined;
    child.on('message', (m: DensityChildMessage) => {
      if ('deployed' in m) onDeployed(m.deployed);
      else if ('result' in m) outcome = m.result;
      else outcome = new Error(`the density measurement failed: ${m.failed}`);
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (outcome instanceof Error) reject(outcome);
      else if (outcome) resolve(outcome);
      else reject(new Error(`the density measurement's process exited with ${signal ?? `code ${code}`} before reporting a result`));
    });
  });
}

export async function densityScenario(agents: number, o: DensityOptions, ctx: BenchContext): Promise<Record<string, unknown>> {
  const runs: DensityRun[] = [];
  for (let i = 0; i < DENSITY_RUNS; i++) {
    const bar = ctx.progress(densityPhase(agents), agents);
    runs.push(await measureInChild({ agents, workers: o.workers, batch: o.batch }, (n) => bar.update(n)));
    bar.stop();
  }
  const perAgent = runs.map((r) => r.rssBytesPerAgent);
  const deploySeconds = median(runs.map((r) => r.deploySeconds));
  const deployed = Math.min(...runs.map((r) => r.agents));
  const error = runs.find((r) => r.error)?.error;
  return {
    scenario: 'density',
    durationSeconds: round(deploySeconds, 3),
    agents: deployed,
    requested: agents,
    workers: o.workers,
    rssBytesPerAgent: Math.round(median(perAgent)),
    rssBytesPerAgentMin: Math.min(...perAgent),
    rssBytesPerAgentMax: Math.max(...perAgent),
    deploySeconds: round(deploySeconds, 3),
    agentsPerSecond: Math.round(deployed / deploySeconds),
    lastAgentAnswered: runs.every((r) => r.lastAgentAnswered),
    runs: runs.map((r) => ({ ...r, deploySeconds: round(r.deploySeconds, 3) })),
    ...(error ? { error } : {}),
  };
}
