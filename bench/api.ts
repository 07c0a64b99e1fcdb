/**
 * `caxton bench --scenario api`: Invoke on an echo agent through a real
 * Caxton server (API thread, bus, worker, WASM agent and back) over loopback
 * with a grpc-js client, next to a bare grpc-js echo server (bench/api-baseline.ts)
 * measured in the same run with the same client, proto and payload.
 *
 * Latency: one call in flight at a time, each round trip recorded in an HDR
 * histogram (ns). Throughput: `concurrency` calls kept in flight.
 *
 * The machines are shared 2-core VMs whose speed drifts by tens of percent
 * within a minute, so the two targets are measured in many short alternating
 * turns (decision 0011): latency in rounds of at most LATENCY_ROUND_CALLS
 * calls per target, pooled into one histogram per target; throughput in
 * `pairs` pairs of short phases, the order inside a pair swapped every pair,
 * and the ratio is the median of the pairs' ratios (the spread is reported
 * too). A drift then hits both targets alike, and one unlucky phase moves
 * the result by one pair out of `pairs`, not by half of it.
 *
 * Journal cost (issue #16 item 8): Send throughput (fire and forget, the
 * cheapest call, so the journal's share of it is largest) of this server,
 * whose journal is on as by default, against a second server in the same
 * process with `journal: false`, in alternating pairs the same way.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import * as grpc from '@grpc/grpc-js';
import * as hdr from 'hdr-histogram-js';
import { CaxtonServer } from '../api/server.js';
import { loadCaxtonGrpc } from '../api/grpc.js';
import { silentLogger } from '../runtime/observability/logger.js';
import { loadAgent, median, pairInTurn } from './common.js';
import type { BenchContext, PlannedRun } from './progress.js';
import { round } from './common.js';
import type { MessageServiceClient } from '../proto/generated/caxton/v1/MessageService.js';

export interface ApiBenchOptions {
  /** sequential (latency) calls per target, in alternating rounds */
  calls: number;
  /** seconds of throughput per target, split over the pairs' phases */
  durationSeconds: number;
  /** alternating throughput pairs (one phase per target each) */
  pairs: number;
  concurrency: number;
  workers: number;
}

/** Latency calls per target per round: short enough that a drift hits both targets alike. */
const LATENCY_ROUND_CALLS = 1000;

/** Sequential calls per target before the measurement (connections, JIT, the agent's inbox buffer). */
const warmupCalls = (o: ApiBenchOptions): number => Math.min(2000, o.calls);

const LATENCY_PHASE = 'api latency (sequential Invoke)';
const throughputPhaseName = (o: ApiBenchOptions): string => `api throughput (${o.concurrency} in flight)`;
const journalPhaseName = (o: ApiBenchOptions): string => `api journal cost (Send, ${o.concurrency} in flight, journal on vs off)`;

/** The runs the scenario makes, for the progress estimate: about 0.8 ms per sequential call on a shared 2-core machine, and a server to start. */
export function planApi(o: ApiBenchOptions): PlannedRun[] {
  return [
    { phase: LATENCY_PHASE, seconds: 1.5 + 2 * (warmupCalls(o) + o.calls) * 0.0008 },
    { phase: throughputPhaseName(o), seconds: 2 * o.durationSeconds + 0.5 },
    { phase: journalPhaseName(o), seconds: 2 * o.durationSeconds + 1.5 },
  ];
}

interface Target {
  name: 'baseline' | 'caxton' | 'no-journal';
  client: MessageServiceClient;
  metadata: grpc.Metadata;
  histogram: hdr.Histogram;
  completed: number;
  seconds: number;
  errors: number;
}

const PAYLOAD = JSON.stringify({ order: 42, item: 'widget', quantity: 3 });

function invoke(t: Target): Promise<void> {
  return new Promise((resolve, reject) => {
    t.client.Invoke({ agent: 'echo', contentJson: PAYLOAD }, t.metadata, { deadline: Date.now() + 10_000 }, (err) => (err ? reject(err) : resolve()));
  });
}

async function latencyPhase(t: Target, calls: number, onProgress: () => void): Promise<void> {
  for (let i = 0; i < calls; i++) {
    const t0 = process.hrtime.bigint();
    try {
      await invoke(t);
      t.histogram.recordValue(Math.max(1, Number(process.hrtime.bigint() - t0)));
    } catch {
      t.errors++;
    }
    if ((i & 255) === 0) onProgress();
  }
}

function send(t: Target): Promise<void> {
  return new Promise((resolve, reject) => {
    t.client.Send({ agent: 'echo', contentJson: PAYLOAD }, t.metadata, { deadline: Date.now() + 10_000 }, (err) => (err ? reject(err) : resolve()));
  });
}

/** One throughput phase; returns its calls/s (and adds to the target's totals). */
async function throughputPhase(t: Target, seconds: number, concurrency: number, call: (t: Target) => Promise<void> = invoke): Promise<number> {
  const until = performance.now() + seconds * 1000;
  const t0 = performance.now();
  let done = 0;
  const lane = async (): Promise<void> => {
    while (performance.now() < until) {
      try {
        await call(t);
        done++;
      } catch {
        t.errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  const elapsed = (performance.now() - t0) / 1000;
  t.completed += done;
  t.seconds += elapsed;
  return done / elapsed;
}

function summary(t: Target): Record<string, number> {
  const us = (p: number): number => round(t.histogram.getValueAtPercentile(p) / 1000, 1);
  return { p50Us: us(50), p99Us: us(99), p999Us: us(99.9), callsPerSecond: Math.round(t.completed / t.seconds), calls: t.histogram.totalCount, errors: t.errors };
}

/**
 * Send throughput with the journal (this server, `caxton`) over without it
 * (a second server started for this phase with `journal: false`), median of
 * alternating pairs. The two servers share the process but only one is
 * driven at a time; the other's threads sleep on their doorbells.
 */
async function journalCost(o: ApiBenchOptions, caxton: Target, phaseSeconds: number, pairs: number, ctx: BenchContext): Promise<Record<string, unknown>> {
  const dataDir = mkdtempSync(join(tmpdir(), 'caxton-bench-api-'));
  const bare = await CaxtonServer.start({ dataDir, grpcPort: 0, httpPort: false, journal: false, runtime: { workers: o.workers, logger: silentLogger() } });
  const metadata = new grpc.Metadata();
  metadata.set('authorization', `Bearer ${bare.token}`);
  const target: Target = {
    name: 'no-journal', metadata, completed: 0, seconds: 0, errors: 0,
    client: new (loadCaxtonGrpc().caxton.v1.MessageService)(`127.0.0.1:${bare.grpcPort}`, grpc.credentials.createInsecure()) as unknown as MessageServiceClient,
    histogram: hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: 3 }),
  };
  try {
    await bare.runtime.deploy({ name: 'echo', module: loadAgent('echo') });
    // Warm-up of both: connections and JIT for Send.
    await throughputPhase(target, 0.3, o.concurrency, send);
    await throughputPhase(caxton, 0.3, o.concurrency, send);
    const ratios: number[] = [];
    let on = 0;
    let off = 0;
    const bar = ctx.progress(journalPhaseName(o), 2 * pairs);
    for (let p = 0; p < pairs; p++) {
      const [j, n] = await pairInTurn(p, () => throughputPhase(caxton, phaseSeconds, o.concurrency, send), () => throughputPhase(target, phaseSeconds, o.concurrency, send));
      ratios.push(j / Math.max(1e-9, n));
      on += j;
      off += n;
      bar.update(2 * (p + 1));
    }
    bar.stop();
    return {
      journalSendsPerSecond: Math.round(on / pairs),
      noJournalSendsPerSecond: Math.round(off / pairs),
      journalRatio: round(median(ratios), 2),
      journalRatioMin: round(Math.min(...ratios), 2),
      journalRatioMax: round(Math.max(...ratios), 2),
    };
  } finally {
    target.client.close();
    await bare.stop(2000);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function apiScenario(o: ApiBenchOptions, ctx: BenchContext): Promise<Record<string, unknown>> {
  const dataDir = mkdtempSync(join(tmpdir(), 'caxton-bench-api-'));
  const server = await CaxtonServer.start({ dataDir, grpcPort: 0, httpPort: false, runtime: { workers: o.workers, logger: silentLogger() } });
  const baselineThread = new Worker(new URL('./api-baseline.js', import.meta.url));
  const baselinePort = await new Promise<number>((resolve, reject) => {
    baselineThread.once('message', (m: { port: number }) => resolve(m.port));
    baselineThread.once('error', reject);
  });
  const pkg = loadCaxtonGrpc();
  const mk = (name: Target['name'], port: number, token?: string): Target => {
    const metadata = new grpc.Metadata();
    if (token) metadata.set('authorization', `Bearer ${token}`);
    return {
      name, metadata, completed: 0, seconds: 0, errors: 0,
      client: new pkg.caxton.v1.MessageService(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as MessageServiceClient,
      histogram: hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: 3 }),
    };
  };
  const baseline = mk('baseline', baselinePort);
  const caxton = mk('caxton', server.grpcPort, server.token);
  try {
    await server.runtime.deploy({ name: 'echo', module: loadAgent('echo') });
    for (const t of [baseline, caxton]) await latencyPhase(t, warmupCalls(o), () => undefined);
    baseline.histogram.reset();
    caxton.histogram.reset();
    baseline.errors = 0;
    caxton.errors = 0;
    // Latency: alternating rounds, the order swapped every round.
    const rounds = Math.max(2, Math.ceil(o.calls / LATENCY_ROUND_CALLS));
    const bar = ctx.progress(LATENCY_PHASE, 2 * o.calls);
    let done = 0;
    for (let r = 0; r < rounds; r++) {
      // Calls in this round: o.calls spread over the rounds, the remainder to the first ones.
      const calls = Math.floor(o.calls / rounds) + (r < o.calls % rounds ? 1 : 0);
      for (const t of r % 2 === 0 ? [baseline, caxton] : [caxton, baseline]) {
        const start = done;
        let k = 0;
        await latencyPhase(t, calls, () => bar.update(start + 256 * k++));
        done = start + calls;
        bar.update(done);
      }
    }
    bar.stop();
    // Throughput: `pairs` pairs of short phases; the ratio is the median of the pairs' ratios.
    const pairs = Math.max(1, o.pairs);
    const phaseSeconds = o.durationSeconds / pairs;
    const ratios: number[] = [];
    const tbar = ctx.progress(throughputPhaseName(o), 2 * pairs);
    for (let p = 0; p < pairs; p++) {
      const [b, x] = await pairInTurn(p, () => throughputPhase(baseline, phaseSeconds, o.concurrency), () => throughputPhase(caxton, phaseSeconds, o.concurrency));
      ratios.push(x / Math.max(1e-9, b));
      tbar.update(2 * (p + 1));
    }
    tbar.stop();
    const journal = await journalCost(o, caxton, phaseSeconds, pairs, ctx);
    const c = summary(caxton);
    const b = summary(baseline);
    return {
      scenario: 'api',
      ...c,
      concurrency: o.concurrency,
      workers: o.workers,
      baseline: b,
      addedP50Us: round(c.p50Us! - b.p50Us!, 1),
      addedP99Us: round(c.p99Us! - b.p99Us!, 1),
      throughputRatio: round(median(ratios), 2),
      throughputPairs: pairs,
      throughputRatioMin: round(Math.min(...ratios), 2),
      throughputRatioMax: round(Math.max(...ratios), 2),
      throughputPairRatios: ratios.map((r) => round(r, 2)),
      ...journal,
    };
  } finally {
    baseline.client.close();
    caxton.client.close();
    baselineThread.postMessage('close');
    await Promise.race([new Promise((r) => baselineThread.once('exit', r)), new Promise((r) => setTimeout(r, 2000).unref())]);
    await baselineThread.terminate();
    await server.stop(2000);
    rmSync(dataDir, { recursive: true, force: true });
  }
}
