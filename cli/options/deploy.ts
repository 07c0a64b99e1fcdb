/** `caxton deploy`'s options; the apply is in ../commands/deploy.ts, loaded when it runs. */
import type { Argv } from 'yargs';
import { OUTPUTS } from './output.js';

export function deployCommand(y: Argv) {
  return y
    .option('file', { alias: 'f', type: 'string', demandOption: true, describe: 'the fleet manifest (YAML, apiVersion caxton.dev/v1, kind Fleet)' })
    .option('dry-run', { type: 'boolean', default: false, describe: 'print the plan, change nothing' })
    .option('prune', { type: 'boolean', default: false, describe: 'also remove agents the manifest does not name (and tool servers, when it has a tools: section)' })
    .option('output', { alias: 'o', choices: OUTPUTS, describe: 'how to print the plan' });
}
