/** `caxton tools list|get` and their options; the calls are in ../commands/tools.ts, loaded when one runs. */
import type { Argv } from 'yargs';
import { OUTPUTS } from './output.js';

export function toolsCommand(y: Argv): Argv {
  return y
    .command('list', 'list the tool servers: transport, target, state, restarts, tools, last error', (c) => c
      .option('output', { alias: 'o', choices: OUTPUTS, describe: 'table (default on a terminal), json or yaml: the whole answer, input schemas included' }),
    async (a) => (await import('../commands/tools.js')).runToolsList(a))
    .command('get <name>', 'one tool server: its state and each tool with its description and arguments', (c) => c
      .positional('name', { type: 'string', demandOption: true, describe: 'the tool server\'s name' })
      .option('output', { alias: 'o', choices: OUTPUTS }), async (a) => (await import('../commands/tools.js')).runToolsGet(a))
    .demandCommand(1, 'name a subcommand: list or get');
}
