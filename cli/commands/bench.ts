/** `caxton bench`: measure the runtime on this machine (docs/cli.md). */
import { formatResult, runBench, type Scenario } from '../../bench/index.js';
import type { BenchArgs } from '../options/bench.js';
import { EXIT } from '../errors.js';

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
    return EXIT.CHECK_FAILED;
  }
  return 0;
}
