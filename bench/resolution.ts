/**
 * How finely a latency figure can honestly be shown: no finer than the step
 * of the clock that timed it, nor than the bucket of the HDR histogram that
 * recorded it (3 significant digits: buckets 1 ns wide up to 2,048 ns, then
 * doubling with every power of two, so about 0.05 % to 0.1 % of the value).
 */
import { round } from './common.js';

/**
 * The step of the clock the agents read, in µs: the smallest nonzero
 * difference between successive readings of the same expression as the
 * host's `now` (runtime/host/host-imports.ts), milliseconds since the epoch
 * in an f64. Successive readings are far less than a step apart, so the
 * smallest difference seen is one step (about 0.244 µs until 2039).
 */
export function agentClockStepMicros(samples = 200_000): number {
  const origin = performance.timeOrigin;
  let step = Infinity;
  let previous = origin + performance.now();
  for (let i = 0; i < samples; i++) {
    const t = origin + performance.now();
    if (t !== previous) {
      step = Math.min(step, t - previous);
      previous = t;
    }
  }
  return step * 1000;
}

/** The finest of 1, 2, 2.5 and 5 times a power of ten that is not finer than `step`. */
export function roundingStep(step: number): number {
  const decade = 10 ** Math.floor(Math.log10(step));
  return [1, 2, 2.5, 5, 10].map((m) => m * decade).find((s) => s >= step * (1 - 1e-9))!;
}

/** Width in ns of the bucket of a 3-significant-digit HDR histogram (lowest value 1 ns) that holds `ns`. */
export function histogramBucketNanos(ns: number): number {
  return 2 ** Math.max(0, Math.floor(Math.log2(Math.max(1, ns))) - 10);
}

/** A latency recorded in ns, in µs, rounded to the coarser of the clock's step and the histogram's bucket. */
export function roundMicros(ns: number, clockStepUs: number): number {
  const step = roundingStep(Math.max(clockStepUs, histogramBucketNanos(ns) / 1000));
  const decimals = Math.max(0, 1 - Math.floor(Math.log10(step)));
  return round(Math.round(ns / 1000 / step) * step, decimals);
}
