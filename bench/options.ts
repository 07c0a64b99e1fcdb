/**
 * What a `caxton bench` run can be told, and the defaults. Apart from the
 * scenarios (bench/index.ts), so the CLI can offer these options without
 * loading the runtime.
 */
import { availableParallelism } from 'node:os';

export const SCENARIOS = ['throughput', 'pingpong', 'density', 'contract-net', 'api', 'mcp', 'all'] as const;
export type Scenario = (typeof SCENARIOS)[number];

export interface BenchOptions {
  scenario: Scenario;
  durationSeconds: number;
  workers: number;
  agentsPerWorker: number;
  tokens: number;
  rounds: number;
  densityCounts: number[];
  spinMicros: number;
  /** sequential Invoke calls per target, in alternating rounds (api) */
  apiCalls: number;
  /** alternating throughput phase pairs (api); the ratio is their median */
  apiPairs: number;
  /** Invoke calls kept in flight for the api throughput phases */
  apiConcurrency: number;
  json: boolean;
}

export const BENCH_DEFAULTS: BenchOptions = {
  scenario: 'all',
  durationSeconds: 5,
  workers: Math.max(2, availableParallelism()),
  agentsPerWorker: 64,
  tokens: 2048,
  rounds: 200_000,
  densityCounts: [1000, 10_000],
  spinMicros: 50,
  apiCalls: 20_000,
  apiPairs: 8,
  apiConcurrency: 32,
  json: false,
};
