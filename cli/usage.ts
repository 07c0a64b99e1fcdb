import { parseDuration } from '../manifest/units.js';

/** A mistake in how a command was called: reported on stderr with exit code 1. */
export class UsageError extends Error {}

/** Flags take what manifests take (ms, s) plus minutes and hours. */
const FLAG_DURATION_UNITS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * A duration flag ("500ms", "5s", "2m", "1h") in milliseconds. A bare number
 * is refused: `--timeout 5` meant 5 ms once, and people meant 5 s.
 */
export function durationFlag(text: string, option: string): number {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) {
    const n = Number(t);
    throw new UsageError(`${option} ${t}: give a unit, e.g. ${t}s or ${Number.isSafeInteger(n * 1000) ? n * 1000 : t}ms (units: ms, s, m, h)`);
  }
  const ms = parseDuration(t, FLAG_DURATION_UNITS);
  if (ms === undefined || ms <= 0) throw new UsageError(`${option} takes a duration like 500ms, 5s or 2m (units: ms, s, m, h), got "${text}"`);
  return ms;
}

/** A duration in milliseconds, as a person writes it: "200 ms", "5 s", "2.5 s", "2 min". */
export function showDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000 || ms % 1000 !== 0 || ms % 60_000 !== 0) return `${ms / 1000} s`;
  return `${ms / 60_000} min`;
}
