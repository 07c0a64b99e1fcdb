/**
 * Throughput: `agents` relay agents spread over every worker, passing
 * `tokens` messages around a ring for `durationSeconds`. Each hop crosses to
 * another worker (agent i lives on worker i mod W, its successor on the next).
 * A token carries its deadline; after it, the relay that holds it hands it
 * back to the bench's endpoint, so the run ends quiescent and
 * sent == delivered + dead-lettered can be checked exactly.
 *
 * The baseline runs the same agents and traffic with the postMessage
 * transport (one structured-clone message per frame between the same
 * threads), in the same process, right after.
 *
 * Each run measures a steady state: the tokens circulate for WARMUP_SECONDS
 * first (every thread's code reaches its optimising tier, rings and
 * batches fill), and only the messages delivered after that count. A run's
 * new threads (workers, and with observability the span export and logging
 * threads) otherwise spend its first second compiling, which is not what a
 * long-running server pays (decision 0011).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Runtime } from '../runtime/runtime.js';
import { decodeFrame } from '../bus/frame.js';
import { createLogger, type Logger } from '../runtime/observability/logger.js';
import { SpanKind, startTracing, type Tracing } from '../runtime/observability/tracing.js';
import { loadAgent, median, pairInTurn, withTicker, type BenchContext } from './common.js';
import type { Transport } from '../runtime/thread-messages.js';
import type { SpanCounts } from '../runtime/observability/span-export.js';

/** Observability switched on for a run: tracing at this sampling ratio, and the server's log at info to a rotated file. */
/** The server log's level in an observed run. */
const OBSERVED_LOG_LEVEL = 'info';

export interface ObservedRun {
  sampleRatio: number;
  /** the OTLP/HTTP endpoint spans are exported to (an in-process sink, started by observabilityScenario) */
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

export interface ThroughputRun {
  transport: Transport;
  sent: number;
  delivered: number;
  deadLettered: number;
  lost: number;
  elapsedSeconds: number;
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
    const bar = ctx.progress(`throughput (${transport})`, Math.round((WARMUP_SECONDS + opts.durationSeconds) * 10));
    const started = performance.now();
    const deadline = performance.timeOrigin + started + (WARMUP_SECONDS + opts.durationSeconds) * 1000;
    // The measured window opens after the warm-up: what was delivered by then does not count.
    let t0 = started;
    let deliveredBefore = 0;
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
    const elapsedSeconds = (performance.now() - t0) / 1000;
    bar.stop();
    const s = await rt.waitIdle(30_000);
    // Tokens handed back to the bench endpoint are deliveries too; every
    // accepted message is either delivered, dead-lettered or still in flight.
    const lost = s.accepted - s.delivered - s.deadLettered - s.inFlight;
    return (result = {
      transport, sent: s.accepted, delivered: s.delivered, deadLettered: s.deadLettered, lost: lost + s.inFlight,
      elapsedSeconds, messagesPerSecond: Math.round((s.delivered - deliveredBefore) / elapsedSeconds), tokensBack: back,
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

/**
 * Throughput with observability off and on, in the same process, in
 * `pairs` adjacent pairs, the order inside a pair swapped every pair (off,
 * on, on, off, off, on...), so that a machine whose speed drifts hurts both
 * alike (decision 0011). The ratio is the median of the pairs' on/off
 * ratios; the runs shown are the median "off" and "on" runs. "On" is tracing
 * at `sampleRatio` (spans exported over OTLP/HTTP protobuf to an in-process
 * receiver) and the log at info level, written to a rotated file through
 * pino's logging thread.
 */
export async function observabilityRuns(opts: ThroughputOptions, ctx: BenchContext, sampleRatio = 0.01, pairs = OBSERVABILITY_PAIRS): Promise<ObservabilityRuns> {
  const sink = await startSpanSink();
  const logDir = mkdtempSync(join(tmpdir(), 'caxton-bench-logs-'));
  try {
    const offs: ThroughputRun[] = [];
    const ons: ThroughputRun[] = [];
    for (let i = 0; i < pairs; i++) {
      const [off, on] = await pairInTurn(i,
        () => runThroughputOnce(opts, 'bus', ctx),
        () => runThroughputOnce(opts, 'bus', ctx, { sampleRatio, endpoint: sink.endpoint, logDir }));
      offs.push(off);
      ons.push(on);
    }
    const pairRuns = offs.map((off, i) => ({ off: off.messagesPerSecond, on: ons[i]!.messagesPerSecond, ratio: ons[i]!.messagesPerSecond / Math.max(1, off.messagesPerSecond) }));
    return {
      off: medianRun(offs), on: medianRun(ons), ratio: median(pairRuns.map((p) => p.ratio)), pairRuns, sampleRatio,
      lost: [...offs, ...ons].reduce((n, r) => n + r.lost, 0),
      exportRequests: sink.requests(), exportedBytes: sink.bytes(),
    };
  } finally {
    sink.server.close();
    rmSync(logDir, { recursive: true, force: true });
  }
}

/** Off/on pairs of the observability comparison. */
export const OBSERVABILITY_PAIRS = 5;

export interface ObservabilityRuns {
  /** the median runs (by messages/s) */
  off: ThroughputRun;
  on: ThroughputRun;
  /** median of the pairs' on/off ratios */
  ratio: number;
  /** every pair, in order: messages/s off and on, and their ratio */
  pairRuns: { off: number; on: number; ratio: number }[];
  sampleRatio: number;
  /** messages lost over every run, off and on (must be 0) */
  lost: number;
  exportRequests: number;
  exportedBytes: number;
}

/** The run with the median messages/s (the lower middle one of an even count). */
function medianRun(runs: ThroughputRun[]): ThroughputRun {
  return [...runs].sort((a, b) => a.messagesPerSecond - b.messagesPerSecond)[(runs.length - 1) >> 1]!;
}

export async function throughputScenario(opts: ThroughputOptions, ctx: BenchContext): Promise<Record<string, unknown>> {
  const obs = await observabilityRuns(opts, ctx);
  const bus = obs.off;
  const base = await runThroughputOnce(opts, 'postmessage', ctx);
  return {
    scenario: 'throughput',
    durationSeconds: opts.durationSeconds,
    workers: opts.workers,
    agents: opts.agentsPerWorker * opts.workers,
    tokens: opts.tokens,
    sent: bus.sent,
    delivered: bus.delivered,
    deadLettered: bus.deadLettered,
    lost: bus.lost,
    elapsedSeconds: round(bus.elapsedSeconds, 3),
    messagesPerSecond: bus.messagesPerSecond,
    baseline: {
      transport: 'postMessage',
      sent: base.sent,
      delivered: base.delivered,
      lost: base.lost,
      elapsedSeconds: round(base.elapsedSeconds, 3),
      messagesPerSecond: base.messagesPerSecond,
    },
    ratio: round(bus.messagesPerSecond / Math.max(1, base.messagesPerSecond), 2),
    // every bus run of the scenario (the shown one is the median of several)
    busRuns: 2 * obs.pairRuns.length,
    lostAllRuns: obs.lost + base.lost,
    observability: {
      tracingSampleRatio: obs.sampleRatio,
      // tokens with a sampled trace context in each "on" run (tracedToken)
      tracedTokens: tracedTokenCount(opts.tokens, obs.sampleRatio),
      logLevel: OBSERVED_LOG_LEVEL,
      messagesPerSecond: obs.on.messagesPerSecond,
      lost: obs.on.lost,
      exportRequests: obs.exportRequests,
      exportedBytes: obs.exportedBytes,
      // the median "on" run's spans: recorded on the workers, then exported or dropped (export queue full)
      spans: obs.on.spans,
      pairs: obs.pairRuns.length,
      ratioToOff: round(obs.ratio, 3),
      ratioToOffMin: round(Math.min(...obs.pairRuns.map((p) => p.ratio)), 3),
      ratioToOffMax: round(Math.max(...obs.pairRuns.map((p) => p.ratio)), 3),
      pairRuns: obs.pairRuns.map((p) => ({ ...p, ratio: round(p.ratio, 3) })),
    },
  };
}

export function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
