/** `caxton bench`: run scenarios, print results (JSON lines or a table). */
import { planThroughput, throughputScenario } from './throughput-scenario.js';
import { pingpongScenario, planPingpong, type PingPongOptions } from './pingpong.js';
import { densityScenario, planDensity, type DensityOptions } from './density.js';
import { contractNetScenario, planContractNet, type ContractNetBenchOptions } from './contract-net.js';
import { apiScenario, planApi, type ApiBenchOptions } from './api.js';
import { mcpScenario, planMcp, type McpBenchOptions } from './mcp.js';
import { makeContext, type BenchContext, type PlannedRun } from './progress.js';
import type { ThroughputOptions } from './throughput.js';
import type { BenchOptions, Scenario } from './options.js';

export { BENCH_DEFAULTS, SCENARIOS, type BenchOptions, type Scenario } from './options.js';
export { formatResult } from './format.js';

/** Each scenario's options, taken from the bench's. */
function scenarioOptions(o: BenchOptions): {
  throughput: ThroughputOptions; pingpong: PingPongOptions; density: DensityOptions; contractNet: ContractNetBenchOptions; api: ApiBenchOptions; mcp: McpBenchOptions;
} {
  return {
    throughput: { durationSeconds: o.durationSeconds, workers: o.workers, agentsPerWorker: o.agentsPerWorker, tokens: o.tokens },
    pingpong: { rounds: o.rounds, warmupRounds: Math.min(20_000, o.rounds), spinMicros: o.spinMicros },
    density: { counts: o.densityCounts, workers: o.workers, batch: 1000 },
    contractNet: { durationSeconds: o.durationSeconds, workers: o.workers, contractors: 10, concurrency: 64 },
    api: { calls: o.apiCalls, pairs: o.apiPairs, durationSeconds: o.durationSeconds, concurrency: o.apiConcurrency, workers: o.workers },
    mcp: { calls: Math.min(o.apiCalls, 5000), pairs: o.apiPairs, durationSeconds: o.durationSeconds, concurrency: o.apiConcurrency },
  };
}

/** Run the scenarios in turn; `emit` receives one result object per scenario run. */
export async function runBench(o: BenchOptions, emit: (result: Record<string, unknown>) => void, ctx: BenchContext = makeContext()): Promise<void> {
  const want = (s: Scenario): boolean => o.scenario === s || o.scenario === 'all';
  const so = scenarioOptions(o);
  const plan: PlannedRun[] = [
    ...(want('throughput') ? planThroughput(so.throughput) : []),
    ...(want('pingpong') ? planPingpong(so.pingpong) : []),
    ...(want('density') ? planDensity(so.density) : []),
    ...(want('contract-net') ? planContractNet(so.contractNet) : []),
    ...(want('api') ? planApi(so.api) : []),
    ...(want('mcp') ? planMcp(so.mcp) : []),
  ];
  ctx.expect(plan);
  if (want('throughput')) emit(await throughputScenario(so.throughput, ctx));
  if (want('pingpong')) emit(await pingpongScenario(so.pingpong, ctx));
  if (want('density')) for (const n of o.densityCounts) emit(await densityScenario(n, so.density, ctx));
  if (want('contract-net')) emit(await contractNetScenario(so.contractNet, ctx));
  if (want('api')) emit(await apiScenario(so.api, ctx));
  if (want('mcp')) for (const r of await mcpScenario(so.mcp, ctx)) emit(r);
}
