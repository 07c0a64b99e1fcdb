/** `caxton dead-letters`'s options; the listing is in ../commands/dead-letters.ts, loaded when it runs. */
import type { Argv } from 'yargs';

/** What ListDeadLetters accepts at most (api/operations.ts). */
export const SERVER_MAX_LIMIT = 100_000;

export function deadLettersCommand(y: Argv) {
  return y
    .option('limit', { alias: 'n', type: 'string', default: '20', describe: `show the N most recent that match (1-${SERVER_MAX_LIMIT})` })
    .option('agent', { type: 'string', describe: 'only those dead-lettered at this agent (the AGENT column; $api for replies nobody waited for)' })
    .option('from', { type: 'string', describe: 'only those sent by this agent ($api for Send/Invoke)' })
    .option('reason', { type: 'string', describe: 'only these reasons, comma-separated (HANDLER_FAILED, NO_WAITER, AGENT_TRAPPED... docs/errors.md)' })
    .option('conversation', { type: 'string', describe: 'only this conversation (16 hex digits, or the string given to send/invoke)' })
    .option('since', { type: 'string', describe: 'only those from the last DURATION (e.g. 30s, 5m, 2h)' })
    .option('output', { alias: 'o', choices: ['table', 'json'] as const, describe: 'table: for people (default on a terminal); json: one object per line (NDJSON)' });
}
