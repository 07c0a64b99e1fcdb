#!/usr/bin/env node
/**
 * The `caxton` command line. Exit codes (docs/cli.md):
 *   0 success, 1 usage or validation error, 4 a benchmark's own check failed
 *   (messages lost), 70 internal error.
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { isCaxtonError } from '../runtime/errors.js';
import { UsageError } from './usage.js';
import { benchOptions, runBenchCommand } from './commands/bench.js';
import { aclCommand } from './commands/acl.js';

export const EXIT_OK = 0;
export const EXIT_USAGE = 1;
export const EXIT_INTERNAL = 70;

async function main(argv: string[]): Promise<number> {
  let code = EXIT_OK;
  await yargs(argv)
    .scriptName('caxton')
    .usage('$0 <command> [options]')
    .command('bench', 'measure throughput, latency, density and Contract Net on this machine', benchOptions, async (a) => {
      code = await runBenchCommand(a);
    })
    .command('acl', 'read and write FIPA ACL messages in string form (SC00070)', aclCommand)
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
