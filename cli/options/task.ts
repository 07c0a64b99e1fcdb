/** `caxton task contract-net` and its options; the delegation is in ../commands/task.ts, loaded when it runs. */
import type { Argv } from 'yargs';
import { OUTPUTS } from './output.js';

export function taskCommand(y: Argv): Argv {
  return y
    .command('contract-net', 'send a call for proposals, pick a winner, return its result', (c) => c
      .option('capability', { type: 'string', describe: 'agents offering this capability get the CFP' })
      .option('contractors', { type: 'string', describe: 'or these agents, comma-separated' })
      .option('content', { alias: 'c', type: 'string', demandOption: true, describe: 'the task as JSON (the CFP content)' })
      .option('deadline', { type: 'string', default: '1s', describe: 'how long proposals are collected (e.g. 500ms, 2s)' })
      .option('select', { type: 'string', describe: 'lowest:FIELD (default lowest:price), highest:FIELD or agent:NAME' })
      .option('result-timeout', { type: 'string', describe: 'how long the winner has to report (default 10s)' })
      .option('output', { alias: 'o', choices: OUTPUTS }), async (a) => (await import('../commands/task.js')).runContractNet(a))
    .demandCommand(1, 'name a task protocol: contract-net');
}
