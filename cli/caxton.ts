#!/usr/bin/env node
/**
 * The `caxton` command line. Exit codes (docs/cli.md):
 *   0 success, 1 usage or validation error, 4 a benchmark's own check failed
 *   (messages lost), 70 internal error.
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { BENCH_DEFAULTS, SCENARIOS, formatResult, runBench, type Scenario } from '../bench/index.js';
import { isCaxtonError } from '../runtime/errors.js';

export const EXIT_OK = 0;
export const EXIT_USAGE = 1;
export const EXIT_CHECK_FAILED = 4;
export const EXIT_INTERNAL = 70;

/** A mistake in how the command was called: reported on stderr, exit code 1. */
class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  let code = EXIT_OK;
  await yargs(argv)
    .scriptName('caxton')
    .usage('$0 <command> [options]')
    .command(
      'bench',
      'measure throughput, latency and density of the runtime on this machine',
      (y) => y
        .option('scenario', { alias: 's', choices: SCENARIOS, default: BENCH_DEFAULTS.scenario, describe: 'what to measure' })
        .option('duration', { alias: 'd', type: 'number', default: BENCH_DEFAULTS.durationSeconds, describe: 'seconds of traffic per throughput run' })
        .option('workers', { alias: 'w', type: 'number', default: BENCH_DEFAULTS.workers, describe: 'worker threads' })
        .option('agents', { type: 'number', default: BENCH_DEFAULTS.agentsPerWorker, describe: 'relay agents per worker (throughput)' })
        .option('tokens', { type: 'number', default: BENCH_DEFAULTS.tokens, describe: 'messages circulating at once (throughput)' })
        .option('rounds', { type: 'number', default: BENCH_DEFAULTS.rounds, describe: 'round trips (pingpong)' })
        .option('density', { type: 'string', default: BENCH_DEFAULTS.densityCounts.join(','), describe: 'agent counts for the density scenario, comma-separated' })
        .option('spin', { type: 'number', default: BENCH_DEFAULTS.spinMicros, describe: 'µs a thread busy-polls before sleeping (0 = off)' })
        .option('json', { type: 'boolean', default: false, describe: 'print one JSON object per scenario per line' })
        .check((a) => {
          if (!(a.duration > 0)) throw new UsageError('--duration must be a positive number of seconds');
          if (!Number.isInteger(a.workers) || a.workers < 2) throw new UsageError('--workers must be an integer >= 2 (pingpong needs two workers)');
          if (!Number.isInteger(a.agents) || a.agents < 1) throw new UsageError('--agents must be a positive integer');
          if (!Number.isInteger(a.tokens) || a.tokens < 1) throw new UsageError('--tokens must be a positive integer');
          if (!Number.isInteger(a.rounds) || a.rounds < 1) throw new UsageError('--rounds must be a positive integer');
          if (!a.density.split(',').every((s) => /^\d+$/.test(s.trim()) && Number(s) > 0)) throw new UsageError('--density takes positive integers separated by commas, e.g. 1000,10000');
          return true;
        }),
      async (a) => {
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
          json: a.json,
        }, (r) => {
          if (typeof r.lost === 'number') lost += r.lost;
          process.stdout.write(a.json ? `${JSON.stringify(r)}\n` : `${formatResult(r)}\n`);
        });
        if (lost !== 0) {
          process.stderr.write(`caxton bench: ${lost} message(s) were lost (sent != delivered + dead-lettered): this is a bug, please report it\n`);
          code = EXIT_CHECK_FAILED;
        }
      },
    )
    .demandCommand(1, 'name a command, e.g. `caxton bench`')
    .strict()
    .fail((msg, err) => {
      if (err && !(err instanceof UsageError)) throw err;
      // Throwing stops yargs from running the command after a failed check.
      throw new UsageError(msg ?? err?.message ?? 'invalid usage');
    })
    .help()
    .version()
    .parseAsync();
  return code;
}

main(hideBin(process.argv)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    if (err instanceof UsageError) {
      process.stderr.write(`caxton: ${err.message}\nRun \`caxton --help\` for usage.\n`);
      process.exitCode = EXIT_USAGE;
    } else if (isCaxtonError(err)) {
      process.stderr.write(`caxton: ${err.code}: ${err.message}\n  hint: ${err.hint}\n`);
      process.exitCode = EXIT_USAGE;
    } else {
      process.stderr.write(`caxton: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
      process.exitCode = EXIT_INTERNAL;
    }
  },
);
