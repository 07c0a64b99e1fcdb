/** `caxton bench`: run scenarios, print results (JSON lines or a table). */
import { throughputScenario } from './throughput.js';
import { pingpongScenario } from './pingpong.js';
import { densityOnce } from './density.js';
import { contractNetScenario } from './contract-net.js';
import { apiScenario } from './api.js';
import { makeContext, type BenchContext } from './common.js';
import type { BenchOptions, Scenario } from './options.js';

export { BENCH_DEFAULTS, SCENARIOS, type BenchOptions, type Scenario } from './options.js';

/** Run the scenarios in turn; `emit` receives one result object per scenario run. */
export async function runBench(o: BenchOptions, emit: (result: Record<string, unknown>) => void, ctx: BenchContext = makeContext()): Promise<void> {
  const want = (s: Scenario): boolean => o.scenario === s || o.scenario === 'all';
  if (want('throughput')) {
    emit(await throughputScenario({ durationSeconds: o.durationSeconds, workers: o.workers, agentsPerWorker: o.agentsPerWorker, tokens: o.tokens }, ctx));
  }
  if (want('pingpong')) {
    emit(await pingpongScenario({ rounds: o.rounds, warmupRounds: Math.min(20_000, o.rounds), spinMicros: o.spinMicros }, ctx));
  }
  if (want('density')) {
    for (const n of o.densityCounts) emit(await densityOnce(n, { counts: o.densityCounts, workers: o.workers, batch: 1000 }, ctx));
  }
  if (want('contract-net')) {
    emit(await contractNetScenario({ durationSeconds: o.durationSeconds, workers: o.workers, contractors: 10, concurrency: 64 }, ctx));
  }
  if (want('api')) {
    emit(await apiScenario({ calls: o.apiCalls, pairs: o.apiPairs, durationSeconds: o.durationSeconds, concurrency: o.apiConcurrency, workers: o.workers }, ctx));
  }
}

/** Human-readable lines for one result. */
export function formatResult(r: Record<string, unknown>): string {
  const n = (x: unknown): string => (typeof x === 'number' ? x.toLocaleString('en-US') : String(x));
  switch (r.scenario) {
    case 'throughput': {
      const b = r.baseline as Record<string, unknown>;
      return [
        `throughput  ${n(r.messagesPerSecond)} msg/s through ${n(r.agents)} WASM agents on ${n(r.workers)} workers (${n(r.durationSeconds)} s)`,
        `            sent ${n(r.sent)}, delivered ${n(r.delivered)}, dead-lettered ${n(r.deadLettered)}, lost ${n(r.lost)}`,
        `            postMessage baseline ${n(b.messagesPerSecond)} msg/s  ->  ${n(r.ratio)}x`,
        ...(r.observability ? (() => {
          const o = r.observability as Record<string, unknown>;
          const sp = o.spans as Record<string, number> | undefined;
          return [
            `            with tracing at ${n((o.tracingSampleRatio as number) * 100)} % and ${n(o.logLevel)} logs: ${n(o.messagesPerSecond)} msg/s  ->  ${n(o.ratioToOff)} of off (median of ${n(o.pairs)} pairs, ${n(o.ratioToOffMin)}-${n(o.ratioToOffMax)})`,
            ...(sp ? [`            spans: ${n(sp.received)} recorded, ${n(sp.exported)} exported, ${n(sp.dropped)} dropped (queue full), ${n(sp.failed)} failed`] : []),
          ];
        })() : []),
      ].join('\n');
    }
    case 'pingpong':
      return `pingpong    round trip p50 ${n(r.p50Us)} µs, p99 ${n(r.p99Us)} µs, p99.9 ${n(r.p999Us)} µs, max ${n(r.maxUs)} µs (${n(r.rounds)} rounds)`;
    case 'contract-net':
      return `contract-net ${n(r.tasksPerSecond)} tasks/s with ${n(r.contractors)} contractors (${n(r.concurrency)} in flight): task p50 ${n(r.p50Us)} µs, p99 ${n(r.p99Us)} µs; ${n(r.completed)} completed, lost ${n(r.lost)}`;
    case 'api': {
      const b = r.baseline as Record<string, unknown>;
      return [
        `api         Invoke on echo over gRPC: p50 ${n(r.p50Us)} µs, p99 ${n(r.p99Us)} µs, ${n(r.callsPerSecond)} calls/s (${n(r.concurrency)} in flight)`,
        `            bare grpc-js echo: p50 ${n(b.p50Us)} µs, p99 ${n(b.p99Us)} µs, ${n(b.callsPerSecond)} calls/s`,
        `            added p50 ${n(r.addedP50Us)} µs, p99 ${n(r.addedP99Us)} µs; throughput ratio ${n(r.throughputRatio)} (median of ${n(r.throughputPairs)} pairs, ${n(r.throughputRatioMin)}-${n(r.throughputRatioMax)})`,
      ].join('\n');
    }
    case 'density':
      return `density     ${n(r.agents)} agents: ${n(Math.round(Number(r.rssBytesPerAgent) / 1024 * 10) / 10)} KiB RSS per idle agent, deployed in ${n(r.deploySeconds)} s${r.error ? `  (stopped: ${String(r.error)})` : ''}`;
    default:
      return JSON.stringify(r);
  }
}
