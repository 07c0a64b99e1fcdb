/**
 * The server's structured log (docs/observability.md): pino NDJSON.
 *
 * `createLogger` without a file writes to stderr from this thread (tests,
 * embedded runtimes). With a file it goes through pino's worker transport:
 * lines are handed to a logging thread, which writes the size-rotated file
 * (pino-roll) and, in the foreground, the terminal (pino-pretty). No thread
 * of the bus ever waits for a disk.
 *
 * Lines about a message carry `conversationId`, `messageId`, `agent`,
 * `performative`, `traceId` and `spanId` (see `MessageContext`).
 */
import { chmodSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pino, type Logger, type TransportTargetOptions } from 'pino';
import { PinoPretty } from 'pino-pretty';

export type { Logger };

// Level names and numbers, and the pretty format, live in log-levels.ts
// (no pino there: the CLI reads them at start-up); re-exported for callers.
export { LEVEL_NAMES, LEVEL_VALUES, PRETTY_FORMAT, levelName, levelNumber, type LevelName } from './log-levels.js';
import { PRETTY_FORMAT } from './log-levels.js';

/** The fields of a log line about one message. Ids are hex, as in the API. */
export interface MessageContext {
  conversationId: string;
  messageId: string;
  performative: string;
  /** W3C trace id (32 hex digits); empty when the message carries no trace context */
  traceId?: string;
  spanId?: string;
}

/** Where the log file lives in a data directory; pino-roll numbers it caxton.1.log, caxton.2.log, … */
export function logFileBase(dataDir: string): string {
  return join(dataDir, 'logs', 'caxton.log');
}

export interface LoggerOptions {
  /** people at a terminal: pino-pretty instead of NDJSON on stderr */
  pretty?: boolean;
  /** write NDJSON to this file (rotated by size) through the logging thread */
  file?: string;
  /** also write to stderr (default true); false when stderr is the detached server's own log */
  stderr?: boolean;
  /** rotate the file at this size (pino-roll units: "10m", "512k"); default 10m */
  rotateSize?: string;
  /** rotated files kept besides the active one; default 5 */
  keep?: number;
}

/** The log folder's and files' permissions: the server's user only. */
export const LOG_DIR_MODE = 0o700;
export const LOG_FILE_MODE = 0o600;

export function createLogger(level = process.env.CAXTON_LOG_LEVEL ?? 'info', opts: LoggerOptions = {}): Logger {
  const stderr = opts.stderr ?? true;
  // The terminal's pretty form, in the logging thread (with a file) or in this one.
  const pretty = { destination: 2, colorize: process.stderr.isTTY, ...PRETTY_FORMAT };
  if (opts.file) {
    // Log lines name agents, conversations and message contents: only the
    // server's user may read them, like its token (a folder of 0700, files
    // of 0600, whatever the umask; an existing folder is narrowed too).
    const dir = dirname(opts.file);
    mkdirSync(dir, { recursive: true, mode: LOG_DIR_MODE });
    chmodSync(dir, LOG_DIR_MODE);
    const targets: TransportTargetOptions[] = [{
      target: 'pino-roll', level,
      options: { file: opts.file, size: opts.rotateSize ?? '10m', limit: { count: opts.keep ?? 5 }, mkdir: true, mode: LOG_FILE_MODE },
    }];
    if (stderr && opts.pretty) {
      targets.push({ target: 'pino-pretty', level, options: pretty });
    } else if (stderr) {
      targets.push({ target: 'pino/file', level, options: { destination: 2 } });
    }
    return pino({ name: 'caxton', level }, pino.transport({ targets }));
  }
  if (opts.pretty) {
    return pino({ name: 'caxton', level }, PinoPretty(pretty));
  }
  return pino({ name: 'caxton', level }, pino.destination({ fd: 2, sync: false }));
}

/** A logger that writes nothing (tests, benchmarks). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
