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
 */
import { Runtime } from '../runtime/supervisor.js';
import { decodeFrame } from '../bus/frame.js';
import { loadAgent, withTicker, type BenchContext } from './common.js';
import type { Transport } from '../runtime/protocol.js';

export interface ThroughputOptions {
  durationSeconds: number;
  workers: number;
  agentsPerWorker: number;
  tokens: number;
}

export interface ThroughputRun {
  transport: Transport;
  sent: number;
  delivered: number;
  deadLettered: number;
  lost: number;
  elapsedSeconds: number;
  messagesPerSecond: number;
  tokensBack: number;
}

export async function runThroughputOnce(opts: ThroughputOptions, transport: Transport, ctx: BenchContext): Promise<ThroughputRun> {
  const rt = await Runtime.start({ workers: opts.workers, transport, spinMicros: 50 });
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
    const bar = ctx.progress(`throughput (${transport})`, Math.round(opts.durationSeconds * 10));
    const t0 = performance.now();
    const deadline = performance.timeOrigin + t0 + opts.durationSeconds * 1000;
    for (let i = 0; i < opts.tokens; i++) {
      rt.send({ to: `relay-${i % n}`, performative: 'inform', content: deadline });
    }
    await withTicker(allBack, 100, () => bar.update(Math.round((performance.now() - t0) / 100)));
    const elapsedSeconds = (performance.now() - t0) / 1000;
    bar.stop();
    const s = await rt.waitIdle(30_000);
    // Tokens handed back to the bench endpoint are deliveries too; every
    // accepted message is either delivered, dead-lettered or still in flight.
    const lost = s.accepted - s.delivered - s.deadLettered - s.inFlight;
    return {
      transport, sent: s.accepted, delivered: s.delivered, deadLettered: s.deadLettered, lost: lost + s.inFlight,
      elapsedSeconds, messagesPerSecond: Math.round(s.delivered / elapsedSeconds), tokensBack: back,
    };
  } finally {
    await rt.shutdown(5000);
  }
}

export async function throughputScenario(opts: ThroughputOptions, ctx: BenchContext): Promise<Record<string, unknown>> {
  const bus = await runThroughputOnce(opts, 'bus', ctx);
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
  };
}

export function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
