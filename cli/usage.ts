import { parseDuration } from './manifest/units.js';

/** A mistake in how a command was called: reported on stderr with exit code 1. */
export class UsageError extends Error {}

/** Flags take what manifests take (ms, s) plus minutes and hours; a bare number is milliseconds. */
const FLAG_DURATION_UNITS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A duration flag ("500ms", "5s", "2m", "1500") in milliseconds. */
export function durationFlag(text: string, option: string): number {
  const ms = parseDuration(/^\d+$/.test(text.trim()) ? Number(text.trim()) : text.trim(), FLAG_DURATION_UNITS);
  if (ms === undefined || ms <= 0) throw new UsageError(`${option} takes a duration like 500ms, 5s or 2m, got "${text}"`);
  return ms;
}
