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
import { join } from 'node:path';
import { pino, type Logger, type TransportTargetOptions } from 'pino';
import { PinoPretty } from 'pino-pretty';

export type { Logger };

export type LevelName = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
export const LEVEL_NAMES: readonly string[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/** pino's numeric levels; caxton.log levels (docs/agent-abi.md) are the same numbers. */
export const LEVEL_VALUES: Readonly<Record<string, number>> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };

/** The numeric level of a level name (any case); undefined for an unknown name. */
export function levelNumber(name: string): number | undefined {
  return LEVEL_VALUES[name.toLowerCase()];
}

/**
 * How lines look in pretty form, on the server's terminal and in `caxton
 * logs -o pretty` alike: local time (SYS:), and without the fields every
 * line shares.
 */
export const PRETTY_FORMAT = { ignore: 'pid,hostname,name', translateTime: 'SYS:HH:MM:ss.l' } as const;

export function levelName(level: number): LevelName {
  if (level <= 10) return 'trace';
  if (level <= 20) return 'debug';
  if (level <= 30) return 'info';
  if (level <= 40) return 'warn';
  if (level <= 50) return 'error';
  return 'fatal';
}

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

export function createLogger(level = process.env.CAXTON_LOG_LEVEL ?? 'info', opts: LoggerOptions = {}): Logger {
  const stderr = opts.stderr ?? true;
  // The terminal's pretty form, in the logging thread (with a file) or in this one.
  const pretty = { destination: 2, colorize: process.stderr.isTTY, ...PRETTY_FORMAT };
  if (opts.file) {
    const targets: TransportTargetOptions[] = [{
      target: 'pino-roll', level,
      options: { file: opts.file, size: opts.rotateSize ?? '10m', limit: { count: opts.keep ?? 5 }, mkdir: true },
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
