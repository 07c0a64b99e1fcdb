/**
 * Log levels: their names and numbers (pino's, which are also the numbers of
 * caxton.log, docs/agent-abi.md) and how lines look in pretty form. Kept
 * apart from logger.ts, which loads pino, so that the CLI can offer level
 * choices without loading a logger.
 */

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
