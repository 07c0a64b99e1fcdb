/**
 * `caxton logs`: the server's log, filtered in the server (LogService.Tail),
 * so it works against a remote server too. `-o json` prints each line as the
 * server wrote it (NDJSON); `-o pretty` formats it with pino-pretty.
 */
import { status, type ServiceError } from '@grpc/grpc-js';
import { prettyFactory } from 'pino-pretty';
import { Connection, type ConnectionOptions } from '../client.js';
import { UsageError, durationFlag } from '../usage.js';
import { PRETTY_FORMAT } from '../../runtime/observability/log-levels.js';
import type { LogLine__Output } from '../../proto/generated/caxton/v1/LogLine.js';

/** `caxton logs`' options (cli/options/logs.ts). */
export interface LogsArgs extends ConnectionOptions {
  conversation?: string;
  agent?: string;
  level?: string;
  since?: string;
  follow?: boolean;
  output?: 'json' | 'pretty';
}

export async function runLogs(a: LogsArgs): Promise<void> {
  const output: 'json' | 'pretty' = a.output ?? (process.stdout.isTTY ? 'pretty' : 'json');
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
  const stop = (): void => {
    stream.cancel();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await new Promise<void>((resolve, reject) => {
      stream.on('data', (line: LogLine__Output) => {
        const ok = process.stdout.write(pretty ? pretty(line.json) : `${line.json}\n`);
        // Back-pressure: a slow terminal or pipe pauses the stream.
        if (!ok) {
          stream.pause();
          process.stdout.once('drain', () => stream.resume());
        }
      });
      stream.on('end', resolve);
      stream.on('error', (e: ServiceError) => (e.code === status.CANCELLED /* by Ctrl-C */ ? resolve() : reject(conn.toCliError(e))));
    });
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    conn.close();
  }
}
