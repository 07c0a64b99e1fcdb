/** `caxton agents list|get|remove` and their options; the calls are in ../commands/agents.ts, loaded when one runs. */
import type { Argv } from 'yargs';
import { OUTPUTS } from './output.js';

export function agentsCommand(y: Argv): Argv {
  return y
    .command('list', 'list the deployed agents', (c) => c.option('output', { alias: 'o', choices: OUTPUTS, describe: 'table (default on a terminal), json or yaml' }),
      async (a) => (await import('../commands/agents.js')).runList(a))
    .command('get <name>', 'one agent: state, worker, limits, mailbox depth, counts', (c) => c
      .positional('name', { type: 'string', demandOption: true })
      .option('output', { alias: 'o', choices: OUTPUTS }), async (a) => (await import('../commands/agents.js')).runGet(a))
    .command('remove <name>', 'remove an agent (messages still queued for it are dead-lettered)', (c) => c.positional('name', { type: 'string', demandOption: true }),
      async (a) => (await import('../commands/agents.js')).runRemove(a))
    .demandCommand(1, 'name a subcommand: list, get or remove');
}
