/** `caxton logs`'s options; the tail is in ../commands/logs.ts, loaded when it runs. */
import type { Argv } from 'yargs';
import { LEVEL_NAMES } from '../../runtime/observability/log-levels.js';

/** What a line can have: the logger's LEVEL_NAMES but "silent" (log-levels.ts loads no pino). */
export const LEVELS = LEVEL_NAMES.filter((l) => l !== 'silent');

export function logsCommand(y: Argv) {
  return y
    .option('conversation', { type: 'string', describe: 'only lines about this conversation (16 hex digits)' })
    .option('agent', { type: 'string', describe: 'only lines about this agent' })
    .option('level', { type: 'string', choices: LEVELS, describe: 'lowest level to show' })
    .option('since', { type: 'string', describe: 'only lines from the last DURATION (e.g. 30s, 5m, 2h)' })
    .option('follow', { alias: 'f', type: 'boolean', default: false, describe: 'keep printing new lines as they are written (Ctrl-C to stop)' })
    .option('output', { alias: 'o', choices: ['json', 'pretty', 'table'] as const, describe: 'json: the NDJSON lines as written; pretty: for people (default on a terminal); table: time, level, agent, conversation, message in columns' });
}
