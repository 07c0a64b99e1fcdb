/**
 * The throughput scenario: the shared-memory bus against two comparisons,
 * each measured in alternating pairs in the same process (decision 0011):
 *
 * - the postMessage baseline: the same agents and traffic with one
 *   structured-clone message per frame between the same threads;
 * - the bus with observability on: tracing at `sampleRatio` (spans exported
 *   over OTLP/HTTP protobuf to an in-process receiver) and the log at info
 *   level, written to a rotated file through pino's logging thread.
 *
 * A round is three runs with the plain bus run in the middle, so that it is
 * adjacent to both runs it is compared with, and the order flips every
 * round: baseline, bus, observed; then observed, bus, baseline; ... Each pair
 * (bus and baseline, bus and observed) thus swaps which side goes first
 * every round, and a machine whose speed drifts hurts both sides alike. A
 * ratio is the median of its pairs' ratios; the runs shown are each side's
 * median run.
 */
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, round } from './common.js';
import type { BenchContext, PlannedRun } from './progress.js';
import {
  OBSERVED_LOG_LEVEL, WARMUP_SECONDS, runThroughputOnce, throughputPhase, tracedTokenCount, type Span, type ThroughputOptions,
  type ThroughputRun,
} from './throughput.js';

/** Rounds of the scenario: each has one run of every kind, so each comparison has this many pairs. */
export const THROUGHPUT_ROUNDS = 5;

/** Seconds a run spends outside its traffic on a quiet 2-core machine (start, deploy, drain, shutdown); more with tracing and logs. */
const RUN_OVERHEAD_SECONDS = 0.6;
const OBSERVED_OVERHEAD_SECONDS = 1.2;

/** The runs the scenario makes, in order, for the progress estimate. */
export function planThroughput(opts: ThroughputOptions): PlannedRun[] {
  const traffic = WARMUP_SECONDS + opts.durationSeconds;
  const baseline = { phase: throughputPhase('postmessage', false), seconds: traffic + RUN_OVERHEAD_SECONDS };
  const bus = { phase: throughputPhase('bus', false), seconds: traffic + RUN_OVERHEAD_SECONDS };
  const observed = { phase: throughputPhase('bus', true), seconds: traffic + OBSERVED_OVERHEAD_SECONDS };
  return Array.from({ length: THROUGHPUT_ROUNDS }, (_, i) => (i % 2 === 0 ? [baseline, bus, observed] : [observed, bus, baseline])).flat();
}

/** An OTLP/HTTP receiver that accepts and counts exports (the bench's collector). */
async function startSpanSink(): Promise<{ server: Server; endpoint: string; requests: () => number; bytes: () => number }> {
  let requests = 0;
  let bytes = 0;
  const server = createServer((req, res) => {
    req.on('data', (c: Buffer) => { bytes += c.length; });
    req.on('end', () => {
      requests++;
      res.writeHead(200, { 'content-type': 'application/x-protobuf' });
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return { server, endpoint: `http://127.0.0.1:${port}`, requests: () => requests, bytes: () => bytes };
}

/** One round's three runs, and which went first. */
interface Round {
  bus: ThroughputRun;
  baseline: ThroughputRun;
  observed: ThroughputRun;
  baselineFirst: boolean;
}

export interface ThroughputRounds {
  rounds: Round[];
  sampleRatio: number;
  exportRequests: number;
  exportedBytes: number;
}

export async function throughputRounds(opts: ThroughputOptions, ctx: BenchContext, sampleRatio = 0.01, rounds = THROUGHPUT_ROUNDS): Promise<ThroughputRounds> {
  const sink = await startSpanSink();
  const logDir = mkdtempSync(join(tmpdir(), 'caxton-bench-logs-'));
  const bus = (): Promise<ThroughputRun> => runThroughputOnce(opts, 'bus', ctx);
  const baseline = (): Promise<ThroughputRun> => runThroughputOnce(opts, 'postmessage', ctx);
  const observed = (): Promise<ThroughputRun> => runThroughputOnce(opts, 'bus', ctx, { sampleRatio, endpoint: sink.endpoint, logDir });
  try {
    const out: Round[] = [];
    for (let i = 0; i < rounds; i++) {
      if (i % 2 === 0) {
        const b = await baseline();
        const x = await bus();
        out.push({ baseline: b, bus: x, observed: await observed(), baselineFirst: true });
      } else {
        const o = await observed();
        const x = await bus();
        out.push({ observed: o, bus: x, baseline: await baseline(), baselineFirst: false });
      }
    }
    return { rounds: out, sampleRatio, exportRequests: sink.requests(), exportedBytes: sink.bytes() };
  } finally {
    sink.server.close();
    rmSync(logDir, { recursive: true, force: true });
  }
}

/** The run with the median messages/s (the lower middle one of an even count). */
function medianRun(runs: ThroughputRun[]): ThroughputRun {
  return [...runs].sort((a, b) => a.messagesPerSecond - b.messagesPerSecond)[(runs.length - 1) >> 1]!;
}

const span = (s: Span): Span => ({ seconds: round(s.seconds, 3), delivered: s.delivered });

/** A ratio's median and spread over its pairs. */
function ratioSummary(ratios: number[], digits: number): { ratio: number; min: number; max: number } {
  return { ratio: round(median(ratios), digits), min: round(Math.min(...ratios), digits), max: round(Math.max(...ratios), digits) };
}

export async function throughputScenario(opts: ThroughputOptions, ctx: BenchContext): Promise<Record<string, unknown>> {
  const r = await throughputRounds(opts, ctx);
  const bus = medianRun(r.rounds.map((x) => x.bus));
  const base = medianRun(r.rounds.map((x) => x.baseline));
  const on = medianRun(r.rounds.map((x) => x.observed));
  const baselinePairs = r.rounds.map((x) => ({
    first: x.baselineFirst ? 'postMessage' : 'bus', bus: x.bus.messagesPerSecond, baseline: x.baseline.messagesPerSecond,
    ratio: x.bus.messagesPerSecond / Math.max(1, x.baseline.messagesPerSecond),
  }));
  const observedPairs = r.rounds.map((x) => ({
    first: x.baselineFirst ? 'off' : 'on', off: x.bus.messagesPerSecond, on: x.observed.messagesPerSecond,
    ratio: x.observed.messagesPerSecond / Math.max(1, x.bus.messagesPerSecond),
  }));
  const vsBaseline = ratioSummary(baselinePairs.map((p) => p.ratio), 2);
  const vsOff = ratioSummary(observedPairs.map((p) => p.ratio), 3);
  return {
    scenario: 'throughput',
    durationSeconds: opts.durationSeconds,
    workers: opts.workers,
    agents: opts.agentsPerWorker * opts.workers,
    tokens: opts.tokens,
    // the median bus run
    sent: bus.sent,
    delivered: bus.delivered,
    deadLettered: bus.deadLettered,
    lost: bus.lost,
    warmup: span(bus.warmup),
    window: span(bus.window),
    messagesPerSecond: bus.messagesPerSecond,
    // the median baseline run
    baseline: {
      transport: 'postMessage',
      sent: base.sent,
      delivered: base.delivered,
      deadLettered: base.deadLettered,
      lost: base.lost,
      warmup: span(base.warmup),
      window: span(base.window),
      messagesPerSecond: base.messagesPerSecond,
    },
    ratio: vsBaseline.ratio,
    ratioMin: vsBaseline.min,
    ratioMax: vsBaseline.max,
    baselinePairs: baselinePairs.map((p) => ({ ...p, ratio: round(p.ratio, 2) })),
    // every bus run of the scenario, off and on (the shown ones are medians)
    busRuns: 2 * r.rounds.length,
    lostAllRuns: r.rounds.reduce((n, x) => n + x.bus.lost + x.baseline.lost + x.observed.lost, 0),
    observability: {
      tracingSampleRatio: r.sampleRatio,
      // tokens with a sampled trace context in each "on" run (tracedToken)
      tracedTokens: tracedTokenCount(opts.tokens, r.sampleRatio),
      logLevel: OBSERVED_LOG_LEVEL,
      messagesPerSecond: on.messagesPerSecond,
      lost: on.lost,
      exportRequests: r.exportRequests,
      exportedBytes: r.exportedBytes,
      // the median "on" run's spans: recorded on the workers, then exported or dropped (export queue full)
      spans: on.spans,
      pairs: observedPairs.length,
      ratioToOff: vsOff.ratio,
      ratioToOffMin: vsOff.min,
      ratioToOffMax: vsOff.max,
      pairRuns: observedPairs.map((p) => ({ ...p, ratio: round(p.ratio, 3) })),
    },
  };
}
