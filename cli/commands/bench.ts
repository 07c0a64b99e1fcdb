/** `caxton bench`: measure the runtime on this machine (docs/cli.md). */
import type { Argv } from 'yargs';
import { BENCH_DEFAULTS, SCENARIOS, formatResult, runBench, type Scenario } from '../../bench/index.js';
import { UsageError } from '../usage.js';

export const EXIT_CHECK_FAILED = 4;

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

type BenchArgs = Awaited<ReturnType<typeof benchOptions>['argv']>;

/** Runs the benchmark; returns the process exit code. */
export async function runBenchCommand(a: BenchArgs): Promise<number> {
  let lost = 0;
  await runBench({
    scenario: a.scenario as Scenario,
    durationSeconds: a.duration,
    workers: a.workers,
    agentsPerWorker: a.agents,
    tokens: a.tokens,
    rounds: a.rounds,
    densityCounts: a.density.split(',').map((s) => Number(s.trim())),
    spinMicros: a.spin,
    apiCalls: a['api-calls'],
    apiPairs: a['api-pairs'],
    apiConcurrency: a['api-concurrency'],
    json: a.json,
  }, (r) => {
    // A scenario that shows the median of several runs reports the losses of all of them.
    if (typeof r.lostAllRuns === 'number') lost += r.lostAllRuns;
    else if (typeof r.lost === 'number') lost += r.lost;
    process.stdout.write(a.json ? `${JSON.stringify(r)}\n` : `${formatResult(r)}\n`);
  });
  if (lost !== 0) {
    process.stderr.write(`caxton bench: ${lost} message(s) were lost (sent != delivered + dead-lettered): this is a bug, please report it\n`);
    return EXIT_CHECK_FAILED;
  }
  return 0;
}
