/**
 * One throughput run: `agents` relay agents spread over every worker,
 * passing `tokens` messages around a ring for `durationSeconds`. Each hop
 * crosses to another worker (agent i lives on worker i mod W, its successor
 * on the next). A token carries its deadline; after it, the relay that holds
 * it hands it back to the bench's endpoint, so the run ends quiescent and
 * sent == delivered + dead-lettered can be checked exactly.
 *
 * Each run measures a steady state: the tokens circulate for WARMUP_SECONDS
 * first (every thread's code reaches its optimising tier, rings and
 * batches fill), and only the messages delivered after that count. A run's
 * new threads (workers, and with observability the span export and logging
 * threads) otherwise spend its first second compiling, which is not what a
 * long-running server pays (decision 0011). The run reports both parts, so
 * that its messages/s can be checked against them.
 *
 * The scenario (rounds of runs, the baseline and observability comparisons)
 * is in throughput-scenario.ts.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Runtime } from '../runtime/runtime.js';
import { decodeFrame } from '../bus/frame.js';
import { createLogger, type Logger } from '../runtime/observability/logger.js';
import { SpanKind, startTracing, type Tracing } from '../runtime/observability/tracing.js';
import { loadAgent, withTicker } from './common.js';
import type { BenchContext } from './progress.js';
import type { Transport } from '../runtime/thread-messages.js';
import type { SpanCounts } from '../runtime/observability/span-export.js';

/** The server log's level in an observed run. */
export const OBSERVED_LOG_LEVEL = 'info';

/** Observability switched on for a run: tracing at this sampling ratio, and the server's log at info to a rotated file. */
export interface ObservedRun {
  sampleRatio: number;
  /** the OTLP/HTTP endpoint spans are exported to (an in-process sink, started by throughputRounds) */
  endpoint: string;
  logDir: string;
}

export interface ThroughputOptions {
  durationSeconds: number;
  workers: number;
  agentsPerWorker: number;
  tokens: number;
}

/** Seconds of traffic before a run's measured window opens. */
export const WARMUP_SECONDS = 1;

/** A stretch of a run: how long it lasted and how many messages were delivered in it. */
export interface Span {
  seconds: number;
  delivered: number;
}

/** The progress label of a run: which transport, and whether tracing and logs are on. */
export function throughputPhase(transport: Transport, observed: boolean): string {
  if (transport === 'postmessage') return 'throughput (postMessage)';
  return observed ? 'throughput (bus, tracing and logs on)' : 'throughput (bus)';
}

export interface ThroughputRun {
  transport: Transport;
  sent: number;
  delivered: number;
  deadLettered: number;
  lost: number;
  /** the traffic before the measured window: its length and the messages delivered in it (not counted) */
  warmup: Span;
  /** the measured window, from the end of the warm-up until every token is back */
  window: Span;
  /** window.delivered / window.seconds */
  messagesPerSecond: number;
  tokensBack: number;
  /** the workers' spans (tracing on): recorded, exported, failed, dropped */
  spans?: SpanCounts;
}

/**
 * Whether token `i` of `tokens` is traced when `traced` of them are: exactly
 * that many, spread evenly over the ring (so over agents and workers).
 * `traced` is the sampling ratio's share of the tokens, rounded up. Drawing
 * each token's sampling at random (the trace-id ratio sampler, as an API
 * call would) traced 20 ± 4.5 of 2048 tokens at 1 %, and a run's span load,
 * which is proportional, varied up to 1.75× between runs: noise in the very
 * ratio this scenario measures.
 */
export function tracedToken(i: number, traced: number, tokens: number): boolean {
  return Math.floor(((i + 1) * traced) / tokens) > Math.floor((i * traced) / tokens);
}

/** How many of `tokens` a traced run traces at `sampleRatio`: its share, rounded up. */
export function tracedTokenCount(tokens: number, sampleRatio: number): number {
  return Math.ceil(tokens * sampleRatio);
}

export async function runThroughputOnce(opts: ThroughputOptions, transport: Transport, ctx: BenchContext, observed?: ObservedRun): Promise<ThroughputRun> {
  // Worker threads read the OTEL_* variables when they start: set them around Runtime.start only.
  const vars: Record<string, string> = {};
  const saved: Record<string, string | undefined> = {};
  let logger: Logger | undefined;
  let tracing: Tracing | undefined;
  if (observed) {
    Object.assign(vars, {
      OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: observed.endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: String(observed.sampleRatio),
    });
    for (const [k, v] of Object.entries(vars)) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
    logger = createLogger(OBSERVED_LOG_LEVEL, { file: join(observed.logDir, 'caxton.log'), stderr: false });
    // The bench chooses which tokens are traced (tracedToken); its own root spans are always sampled.
    tracing = await startTracing('bench', { ...process.env, OTEL_TRACES_SAMPLER: 'always_on' });
  }
  let rt: Runtime;
  try {
    rt = await Runtime.start({ workers: opts.workers, transport, spinMicros: 50, ...(logger ? { logger } : {}) });
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
  let result: ThroughputRun | undefined;
  try {
    const relay = loadAgent('relay');
    const n = opts.agentsPerWorker * opts.workers;
    let back = 0;
    let done!: () => void;
    const allBack = new Promise<void>((r) => { done = r; });
    rt.openEndpoint('bench-reporter', (frame) => {
      const f = decodeFrame(frame);
      if (f.performative === 'confirm' || f.performative === 'failure') {
        back++;
        if (back === opts.tokens) done();
      }
    });
    const specs = Array.from({ length: n }, (_, i) => ({
      name: `relay-${i}`, module: relay, worker: (i % opts.workers) + 1,
      config: { next: `relay-${(i + 1) % n}`, reportTo: 'bench-reporter' },
    }));
    await rt.deploy(specs);
    const bar = ctx.progress(throughputPhase(transport, observed !== undefined), Math.round((WARMUP_SECONDS + opts.durationSeconds) * 10));
    const deliveredAtStart = rt.stats().delivered;
    const started = performance.now();
    const deadline = performance.timeOrigin + started + (WARMUP_SECONDS + opts.durationSeconds) * 1000;
    // The measured window opens after the warm-up: what was delivered by then does not count.
    let t0 = started;
    let deliveredBefore = deliveredAtStart;
    const warm = new Promise<void>((resolve) => setTimeout(() => {
      t0 = performance.now();
      deliveredBefore = rt.stats().delivered;
      resolve();
    }, WARMUP_SECONDS * 1000));
    const traced = observed ? tracedTokenCount(opts.tokens, observed.sampleRatio) : 0;
    for (let i = 0; i < opts.tokens; i++) {
      if (tracing) {
        // Each token is one trace; a traced token's every hop is a span on the
        // worker handling it (the workers follow the parent's sampled flag).
        if (tracedToken(i, traced, opts.tokens)) {
          const span = tracing.start('bench token', SpanKind.PRODUCER, undefined);
          const sc = span.spanContext();
          rt.send({ to: `relay-${i % n}`, performative: 'inform', content: deadline, traceparent: `00-${sc.traceId}-${sc.spanId}-01` });
          span.end();
        } else {
          // as from an upstream caller that did not sample its trace
          rt.send({ to: `relay-${i % n}`, performative: 'inform', content: deadline, traceparent: `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-00` });
        }
      } else {
        rt.send({ to: `relay-${i % n}`, performative: 'inform', content: deadline });
      }
    }
    await withTicker(Promise.all([allBack, warm]), 100, () => bar.update(Math.round((performance.now() - started) / 100)));
    const window: Span = { seconds: (performance.now() - t0) / 1000, delivered: 0 };
    bar.stop();
    const s = await rt.waitIdle(30_000);
    // Every token is back, so nothing was delivered after the window closed.
    window.delivered = s.delivered - deliveredBefore;
    const warmup: Span = { seconds: (t0 - started) / 1000, delivered: deliveredBefore - deliveredAtStart };
    // Tokens handed back to the bench endpoint are deliveries too; every
    // accepted message is either delivered or dead-lettered once the run is idle.
    return (result = {
      transport, sent: s.accepted, delivered: s.delivered, deadLettered: s.deadLettered, lost: s.accepted - s.delivered - s.deadLettered,
      warmup, window, messagesPerSecond: Math.round(window.delivered / window.seconds), tokensBack: back,
    });
  } finally {
    await rt.shutdown(5000);
    // After shutdown: every recorded span has been exported, failed or dropped.
    const spans = rt.metricsSnapshot().spans;
    if (result && spans) result.spans = spans;
    await tracing?.shutdown();
    if (logger) await new Promise<void>((resolve) => logger!.flush(() => resolve()));
  }
}
