/**
 * Ping-pong latency: two ping-pong agents on different workers. The first
 * pings the second, measures each round trip with the host clock (`now()`),
 * and reports it to the bench endpoint, which records it in an HDR
 * histogram. Warm-up rounds are recorded separately and discarded.
 *
 * The agents' clock (`caxton.now`, milliseconds since the epoch as an f64)
 * steps by about 0.244 µs: at today's epoch an f64 keeps 2^-12 ms. A round
 * trip is thus a whole number of steps, and the figures are rounded to a
 * step no finer than the clock's, measured when the scenario runs, nor than
 * the histogram's (bench/resolution.ts).
 */
import * as hdr from 'hdr-histogram-js';
import { Runtime } from '../runtime/runtime.js';
import { AGENT_LIMITS } from '../runtime/limits.js';
import { decodeFrame } from '../bus/frame.js';
import { loadAgent, round, withTicker } from './common.js';
import type { BenchContext, PlannedRun } from './progress.js';
import { agentClockStepMicros, roundMicros, roundingStep } from './resolution.js';

export interface PingPongOptions {
  rounds: number;
  warmupRounds: number;
  spinMicros: number;
}

const WARMUP_PHASE = 'pingpong warm-up';
const PHASE = 'pingpong';

/** The runs the scenario makes, for the progress estimate (about 250,000 round trips/s on a quiet 2-core machine). */
export function planPingpong(o: PingPongOptions): PlannedRun[] {
  return [{ phase: WARMUP_PHASE, seconds: 0.5 + o.warmupRounds / 250_000 }, { phase: PHASE, seconds: 0.2 + o.rounds / 250_000 }];
}

async function playRounds(rt: Runtime, rounds: number, onRtt: (us: number) => void, onProgress: (n: number) => void): Promise<number> {
  let n = 0;
  let finished!: () => void;
  const done = new Promise<void>((r) => { finished = r; });
  const ep = rt.openEndpoint(`pingpong-reporter-${rounds}-${Date.now()}`, (frame) => {
    const f = decodeFrame(frame);
    if (f.performative === 'inform' && Array.isArray(f.content)) {
      for (const us of f.content as number[]) onRtt(us);
      n += (f.content as number[]).length;
    } else if (f.performative === 'confirm') {
      finished();
    }
  });
  try {
    // A round trip of a few µs means each agent sends several hundred thousand
    // messages a second, past the default send budget: lift it to the largest.
    const maxSendsPerSecond = AGENT_LIMITS.maxSendsPerSecond.max;
    await rt.deploy([
      { name: `ping-${ep.slot}`, module: loadAgent('ping-pong'), worker: 1, maxSendsPerSecond, config: { peer: `pong-${ep.slot}`, reportTo: ep.name, rounds, reportEvery: 1000 } },
      { name: `pong-${ep.slot}`, module: loadAgent('ping-pong'), worker: 2, maxSendsPerSecond, config: { peer: `ping-${ep.slot}`, reportTo: ep.name, rounds, reportEvery: 1000 } },
    ]);
    rt.send({ to: `ping-${ep.slot}`, performative: 'request', content: 'start' });
    await withTicker(done, 100, () => onProgress(n));
    return n;
  } finally {
    await rt.remove(`ping-${ep.slot}`).catch(() => undefined);
    await rt.remove(`pong-${ep.slot}`).catch(() => undefined);
    ep.close();
  }
}

export async function pingpongScenario(opts: PingPongOptions, ctx: BenchContext): Promise<Record<string, unknown>> {
  const rt = await Runtime.start({ workers: 2, spinMicros: opts.spinMicros });
  try {
    const clockStepUs = agentClockStepMicros();
    const warm = ctx.progress(WARMUP_PHASE, opts.warmupRounds);
    await playRounds(rt, opts.warmupRounds, () => undefined, (n) => warm.update(n));
    warm.stop();
    const h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: 3 });
    const bar = ctx.progress(PHASE, opts.rounds);
    const t0 = performance.now();
    // Values arrive in µs (f64); the histogram counts nanoseconds.
    const n = await playRounds(rt, opts.rounds, (us) => h.recordValue(Math.max(1, Math.round(us * 1000))), (k) => bar.update(k));
    const elapsed = (performance.now() - t0) / 1000;
    bar.stop();
    const us = (p: number): number => roundMicros(h.getValueAtPercentile(p), clockStepUs);
    const out = {
      scenario: 'pingpong',
      durationSeconds: round(elapsed, 3),
      rounds: n,
      workers: 2,
      spinMicros: opts.spinMicros,
      clockStepUs: round(clockStepUs, 3),
      // the finest step a figure is rounded to; larger figures to the histogram's coarser one
      roundedToUs: roundingStep(clockStepUs),
      p50Us: us(50),
      p90Us: us(90),
      p99Us: us(99),
      p999Us: us(99.9),
      maxUs: roundMicros(h.maxValue, clockStepUs),
      meanUs: roundMicros(h.mean, clockStepUs),
      roundTripsPerSecond: Math.round(n / elapsed),
    };
    h.destroy();
    return out;
  } finally {
    await rt.shutdown(5000);
  }
}
