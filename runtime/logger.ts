/**
 * The server's structured log: pino NDJSON on stderr by default, level from
 * CAXTON_LOG_LEVEL (default "info"). Agents' `caxton.log` lines arrive here
 * with the agent's name and worker. (Per-conversation fields, the log file
 * and pino-pretty come with the observability issue.)
 */
import { pino, type Logger } from 'pino';
import { PinoPretty } from 'pino-pretty';

export type { Logger };

/** caxton.log levels (docs/agent-abi.md) are pino's numeric levels. */
export function levelName(level: number): 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' {
  if (level <= 10) return 'trace';
  if (level <= 20) return 'debug';
  if (level <= 30) return 'info';
  if (level <= 40) return 'warn';
  if (level <= 50) return 'error';
  return 'fatal';
}

export function createLogger(level = process.env.CAXTON_LOG_LEVEL ?? 'info', opts: { pretty?: boolean } = {}): Logger {
  if (opts.pretty) {
    // For people at a terminal (`caxton server start` in the foreground).
    return pino({ name: 'caxton', level }, PinoPretty({ destination: 2, colorize: process.stderr.isTTY, ignore: 'pid,hostname,name', translateTime: 'HH:MM:ss.l' }));
  }
  return pino({ name: 'caxton', level }, pino.destination({ fd: 2, sync: false }));
}

/** A logger that writes nothing (tests, benchmarks). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
