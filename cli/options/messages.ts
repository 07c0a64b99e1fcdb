/** `caxton send` and `caxton invoke`: their options; the calls are in ../commands/messages.ts, loaded when one runs. */
import type { Argv } from 'yargs';
import { OUTPUTS } from './output.js';

/** What send and invoke both take. */
const common = (c: Argv) => c
  .positional('agent', { type: 'string', demandOption: true, describe: 'the agent to address' })
  .option('content', { alias: 'c', type: 'string', describe: 'content as JSON (text that is not JSON is sent as a string)' })
  .option('conversation', { type: 'string', describe: 'conversation id (16 hex digits, or any string)' })
  .option('performative', { alias: 'p', type: 'string', describe: 'FIPA act' })
  .option('durable', { type: 'boolean', default: false, describe: 'the server keeps the message and sends it again after a crash (at-least-once: it may be handled twice)' });

export function sendCommand(y: Argv) {
  return common(y).option('output', { alias: 'o', choices: OUTPUTS });
}

export function invokeCommand(y: Argv) {
  return common(y)
    .option('timeout', { alias: 't', type: 'string', default: '30s', describe: 'how long to wait for the reply (e.g. 500ms, 5s)' })
    .option('output', { alias: 'o', choices: OUTPUTS });
}
