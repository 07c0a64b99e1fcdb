/**
 * `caxton logs`: the server's log, filtered in the server (LogService.Tail),
 * so it works against a remote server too. `-o json` prints each line as the
 * server wrote it (NDJSON); `-o pretty` formats it with pino-pretty; `-o table`
 * shows time, level, agent, conversation and message in columns.
 */
import { status, type ServiceError } from '@grpc/grpc-js';
import { prettyFactory } from 'pino-pretty';
import { Connection, type ConnectionOptions } from '../client.js';
import { UsageError, durationFlag } from '../usage.js';
import { PRETTY_FORMAT, levelName } from '../../runtime/observability/log-levels.js';
import { table } from '../output.js';
import type { LogLine__Output } from '../../proto/generated/caxton/v1/LogLine.js';

/** `caxton logs`' options (cli/options/logs.ts). */
export interface LogsArgs extends ConnectionOptions {
  conversation?: string;
  agent?: string;
  level?: string;
  since?: string;
  follow?: boolean;
  output?: 'json' | 'pretty' | 'table';
}

const COLUMNS = ['time', 'level', 'agent', 'conversation', 'msg'];
/** With --follow the columns cannot be sized to lines not yet written: these widths (longer cells push the rest right). */
const FOLLOW_WIDTHS = [24, 5, 16, 16];
/** The table cuts a message longer than this to one line (the JSON output has all of it, stacks included). */
const MSG_WIDTH = 120;

function tableRow(json: string): Record<string, string> {
  let l: Record<string, unknown>;
  try {
    l = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return { time: '', level: '', agent: '', conversation: '', msg: json };
  }
  const flat = String(l.msg ?? '').replace(/\s+/g, ' ').trim();
  return {
    time: typeof l.time === 'number' ? new Date(l.time).toISOString() : '',
    level: typeof l.level === 'number' ? levelName(l.level) : String(l.level ?? ''),
    agent: String(l.agent ?? ''),
    conversation: String(l.conversationId ?? ''),
    msg: flat.length > MSG_WIDTH ? `${flat.slice(0, MSG_WIDTH - 1)}…` : flat,
  };
}

function followLine(cells: string[]): string {
  return cells.map((c, i) => (i < FOLLOW_WIDTHS.length ? c.padEnd(FOLLOW_WIDTHS[i]!) : c)).join('  ').trimEnd();
}

export async function runLogs(a: LogsArgs): Promise<void> {
  const output = a.output ?? (process.stdout.isTTY ? 'pretty' : 'json');
  if (a.conversation === '') throw new UsageError('--conversation needs an id');
  const sinceUnixMs = a.since ? Date.now() - durationFlag(a.since, '--since') : 0;
  const pretty = output === 'pretty' ? prettyFactory({ colorize: Boolean(process.stdout.isTTY), ...PRETTY_FORMAT }) : undefined;
  const conn = new Connection(a);
  const stream = conn.stream('logs', 'Tail', {
    conversationId: a.conversation ?? '', agent: a.agent ?? '', level: a.level ?? '', sinceUnixMs, follow: Boolean(a.follow),
  });
  // On a terminal, say when the backlog has been asked for and new lines follow
  // (stderr, so that stdout stays pure NDJSON for scripts).
  if (a.follow) stream.once('metadata', () => process.stderr.write('following the log (Ctrl-C to stop)\n'));
  // Without --follow the table is printed at the end, its columns sized to the lines.
  const rows: Record<string, string>[] | undefined = output === 'table' && !a.follow ? [] : undefined;
  if (output === 'table' && a.follow) process.stdout.write(`${followLine(COLUMNS.map((c) => c.toUpperCase()))}\n`);
  const format = (json: string): string => {
    if (pretty) return pretty(json);
    if (output === 'table') return `${followLine(COLUMNS.map((c) => tableRow(json)[c]!))}\n`;
    return `${json}\n`;
  };
  const stop = (): void => {
    stream.cancel();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await new Promise<void>((resolve, reject) => {
      stream.on('data', (line: LogLine__Output) => {
        if (rows) {
          rows.push(tableRow(line.json));
          return;
        }
        const ok = process.stdout.write(format(line.json));
        // Back-pressure: a slow terminal or pipe pauses the stream.
        if (!ok) {
          stream.pause();
          process.stdout.once('drain', () => stream.resume());
        }
      });
      stream.on('end', resolve);
      stream.on('error', (e: ServiceError) => (e.code === status.CANCELLED /* by Ctrl-C */ ? resolve() : reject(conn.toCliError(e))));
    });
    if (rows) process.stdout.write(`${rows.length ? table(rows, COLUMNS) : 'no log lines match'}\n`);
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    conn.close();
  }
}
