/** `caxton bench`'s options and their checks; the run is in ../commands/bench.ts, loaded when it starts. */
import type { Argv } from 'yargs';
import { BENCH_DEFAULTS, SCENARIOS } from '../../bench/options.js';
import { UsageError } from '../usage.js';

export function benchOptions(y: Argv) {
  return y
    .option('scenario', { alias: 's', choices: SCENARIOS, default: BENCH_DEFAULTS.scenario, describe: 'what to measure' })
    .option('duration', { alias: 'd', type: 'number', default: BENCH_DEFAULTS.durationSeconds, describe: 'seconds of traffic per throughput and contract-net run' })
    .option('workers', { alias: 'w', type: 'number', default: BENCH_DEFAULTS.workers, describe: 'worker threads' })
    .option('agents', { type: 'number', default: BENCH_DEFAULTS.agentsPerWorker, describe: 'relay agents per worker (throughput)' })
    .option('tokens', { type: 'number', default: BENCH_DEFAULTS.tokens, describe: 'messages circulating at once (throughput)' })
    .option('rounds', { type: 'number', default: BENCH_DEFAULTS.rounds, describe: 'round trips (pingpong)' })
    .option('density', { type: 'string', default: BENCH_DEFAULTS.densityCounts.join(','), describe: 'agent counts for the density scenario, comma-separated' })
    .option('spin', { type: 'number', default: BENCH_DEFAULTS.spinMicros, describe: 'µs a thread busy-polls before sleeping (0 = off)' })
    .option('api-calls', { type: 'number', default: BENCH_DEFAULTS.apiCalls, describe: 'sequential Invoke calls per target, in alternating rounds (api)' })
    .option('api-pairs', { type: 'number', default: BENCH_DEFAULTS.apiPairs, describe: 'alternating throughput phase pairs; the ratio is their median (api)' })
    .option('api-concurrency', { type: 'number', default: BENCH_DEFAULTS.apiConcurrency, describe: 'Invoke calls in flight for throughput (api)' })
    .option('json', { type: 'boolean', default: false, describe: 'print one JSON object per scenario per line' })
    .check((a) => {
      if (!(a.duration > 0)) throw new UsageError('--duration must be a positive number of seconds');
      if (!Number.isInteger(a.workers) || a.workers < 2) throw new UsageError('--workers must be an integer >= 2 (pingpong needs two workers)');
      if (!Number.isInteger(a.agents) || a.agents < 1) throw new UsageError('--agents must be a positive integer');
      if (!Number.isInteger(a.tokens) || a.tokens < 1) throw new UsageError('--tokens must be a positive integer');
      if (!Number.isInteger(a.rounds) || a.rounds < 1) throw new UsageError('--rounds must be a positive integer');
      if (!Number.isInteger(a['api-calls']) || a['api-calls'] < 1) throw new UsageError('--api-calls must be a positive integer');
      if (!Number.isInteger(a['api-pairs']) || a['api-pairs'] < 1) throw new UsageError('--api-pairs must be a positive integer');
      if (!Number.isInteger(a['api-concurrency']) || a['api-concurrency'] < 1) throw new UsageError('--api-concurrency must be a positive integer');
      if (!Number.isInteger(a.spin) || a.spin < 0) throw new UsageError('--spin must be a whole number of microseconds >= 0');
      if (!a.density.split(',').every((s) => /^\d+$/.test(s.trim()) && Number(s) > 0)) throw new UsageError('--density takes positive integers separated by commas, e.g. 1000,10000');
      return true;
    });
}

export type BenchArgs = Awaited<ReturnType<typeof benchOptions>['argv']>;
