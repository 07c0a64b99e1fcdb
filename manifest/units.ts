/**
 * Sizes and durations as manifests write them ("16MiB", "500ms"), their
 * parsing, and suggestions for units we do not take ("16MB" → "16MiB").
 * Parsing is exact, in integers: a size that is not a whole number of
 * bytes is not a size.
 */

const SIZE_UNITS: Readonly<Record<string, number>> = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 };
const DURATION_UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000 };

/**
 * A size in bytes: a number, or a string such as "16MiB", "512 KiB", "1.5GiB"
 * (units B, KiB, MiB, GiB). Undefined if it is not one, or not a whole number
 * of bytes. The range (64 KiB-4 GiB for memory) is the caller's to check.
 */
export function parseSize(value: string | number): number | undefined {
  return parseQuantity(value, SIZE_UNITS);
}

/**
 * A duration in milliseconds: a number, or a string such as "500ms", "2s",
 * "1.5s" (units ms, s). Undefined if it is not one, or not a whole number of
 * milliseconds.
 */
export function parseDuration(value: string | number, units: Readonly<Record<string, number>> = DURATION_UNITS): number | undefined {
  return parseQuantity(value, units);
}

function parseQuantity(value: string | number, units: Readonly<Record<string, number>>): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const m = /^([0-9]+)(?:\.([0-9]+))? ?([A-Za-z]+)$/.exec(value);
  if (!m) return undefined;
  const unit = units[m[3]!];
  if (unit === undefined) return undefined;
  // exact: whole part * unit + fraction * unit, in integers (no 0.1 + 0.2 surprises)
  const frac = m[2] ?? '';
  const scale = 10 ** frac.length;
  const numerator = (BigInt(m[1]!) * BigInt(scale) + BigInt(frac === '' ? 0 : frac)) * BigInt(unit);
  if (numerator % BigInt(scale) !== 0n) return undefined;
  const n = numerator / BigInt(scale);
  return n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : undefined;
}

/** A suggestion for a size written with a unit we do not take ("16MB" → "16MiB"). */
export function sizeSuggestion(text: string): string | undefined {
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]+)\s*$/.exec(text);
  if (!m) return undefined;
  const unit = { b: 'B', byte: 'B', bytes: 'B', k: 'KiB', kb: 'KiB', ki: 'KiB', kib: 'KiB', m: 'MiB', mb: 'MiB', mi: 'MiB', mib: 'MiB', g: 'GiB', gb: 'GiB', gi: 'GiB', gib: 'GiB' }[m[2]!.toLowerCase()];
  return unit ? `${m[1]}${unit}` : undefined;
}

/** A suggestion for a duration written with a unit we do not take ("2sec" → "2s", "1m" → "60s"). */
export function durationSuggestion(text: string): string | undefined {
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]+)\s*$/.exec(text);
  if (!m) return undefined;
  const u = m[2]!.toLowerCase();
  if (['ms', 'msec', 'msecs', 'millis', 'millisecond', 'milliseconds'].includes(u)) return `${m[1]}ms`;
  if (['s', 'sec', 'secs', 'second', 'seconds'].includes(u)) return `${m[1]}s`;
  if (['m', 'min', 'mins', 'minute', 'minutes'].includes(u)) {
    const ms = parseDuration(`${m[1]}s`);
    return ms === undefined ? undefined : `${ms * 60 / 1000}s`;
  }
  return undefined;
}

/** How sizes and durations are written, for messages about ones that are not. */
export const SIZE_RULE = 'a whole number of bytes, or a number and a unit B, KiB, MiB or GiB such as "16MiB"';
export const DURATION_RULE = 'a whole number of milliseconds, or a number and a unit ms or s such as "500ms" or "2s"';
