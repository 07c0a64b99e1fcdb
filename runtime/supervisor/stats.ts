/**
 * Statistics read from the bus counters: every thread counts what it does in
 * its own block (bus/layout.ts T_STAT_*, M_*), every ring counts the frames
 * through it, every agent slot its handled and failed messages. Read when
 * asked (stats(), a metrics scrape, AgentService.Get), off the message path.
 */
import type { Bus } from '../../bus/shared.js';
import { RingCounters } from '../../bus/ring.js';
import {
  AC_FAILED, AC_HANDLED, AGENT_COUNTER_F64, FRAME_DST_SLOT, FRAME_HEADER_BYTES, HANDLE_BUCKETS, HANDLE_TIMING_SAMPLE, M_ACCEPTED, M_BUSY_MS,
  M_DELIVERED, M_HANDLE_BUCKET, M_HANDLE_SUM_US, PERFORMATIVES, T_STAT_AGENTS, T_STAT_BASELINE_SENT, T_STAT_CONVERSATIONS,
  T_STAT_DEAD_LETTERED, T_STAT_DELIVERED, T_STAT_PARKED, T_STAT_REFUSED, T_STAT_RESTARTS, T_STAT_SYNTHESIZED,
  T_STAT_TAPS_RECEIVED, T_STAT_TAPS_SENT, T_STAT_TRAPS,
} from '../../bus/layout.js';
import { InternalError } from '../errors.js';
import type { SpanCounts } from '../observability/span-export.js';
import type { Transport } from '../thread-messages.js';
import { METRICS_READERS, type MetricsReader, type RuntimeMetrics, type RuntimeStats } from '../types.js';
import type { DeadLetters } from './dead-letters.js';
import type { AgentRecord, Registry } from './registry.js';

/** A worker's busy-time counter (ms) read at `at` (performance.now()). */
interface BusyMark {
  at: number;
  busyMs: number;
}

export interface StatsDeps {
  bus: Bus;
  registry: Registry;
  deadLetters: DeadLetters;
  /** publish the frames the supervisor sent in this job (host endpoints) */
  publishPending: () => void;
  /** workers replaced so far (the watchdog) */
  workerRestarts: () => number;
  /** agents throttled so far (their workers report it) */
  throttled: () => number;
  /** the span export thread's counts, when tracing is on */
  spanCounts: () => SpanCounts | undefined;
}

export class StatsReader {
  private readonly workers: number;
  private readonly transport: Transport;
  private readonly bus: Bus;
  private readonly registry: Registry;
  private readonly deadLetters: DeadLetters;
  private readonly publishPending: () => void;
  private readonly workerRestarts: () => number;
  private readonly throttled: () => number;
  private readonly spanCounts: () => SpanCounts | undefined;
  /** f64 index of the per-agent counters (handled, failed) */
  private readonly agentCounters: number;
  /** every ring's frame counters */
  private readonly ringCounters: RingCounters[] = [];
  /** per reader, per worker thread: where its utilisation window starts (its previous snapshot) */
  private readonly busyWindows = new Map<MetricsReader, BusyMark[]>();
  private readonly metricsStart: BusyMark = { at: performance.now(), busyMs: 0 };

  constructor(workers: number, transport: Transport, deps: StatsDeps) {
    this.workers = workers;
    this.transport = transport;
    this.bus = deps.bus;
    this.registry = deps.registry;
    this.deadLetters = deps.deadLetters;
    this.publishPending = deps.publishPending;
    this.workerRestarts = deps.workerRestarts;
    this.throttled = deps.throttled;
    this.spanCounts = deps.spanCounts;
    this.agentCounters = this.bus.layout.agentCountersOffset >> 3;
    const threads = this.bus.layout.threads;
    for (let t = 0; t < threads; t++) {
      for (let c = 0; c < threads; c++) this.ringCounters.push(new RingCounters(this.bus, t, c));
    }
  }

  /** f64 index of a slot's counters entry (AC_HANDLED, AC_FAILED inside it) */
  private countersOf(slot: number): number {
    return this.agentCounters + slot * AGENT_COUNTER_F64;
  }

  /** A new agent in this slot starts from zero. */
  resetAgentCounters(slot: number): void {
    this.bus.f64[this.countersOf(slot) + AC_HANDLED] = 0;
    this.bus.f64[this.countersOf(slot) + AC_FAILED] = 0;
  }

  /** Messages an agent handled and failed (trap, handler error, time-out), from the bus counters. */
  agentCounts(rec: AgentRecord, withDepth: boolean): { handled: number; failed: number; mailboxDepth: number } {
    const f64 = this.bus.f64;
    let depth = 0;
    const threads = withDepth ? this.bus.layout.threads : 0;
    for (let p = 0; p < threads; p++) {
      depth += this.ringCounters[p * threads + rec.thread]!.countFramesFor(rec.slot, FRAME_DST_SLOT, FRAME_HEADER_BYTES);
    }
    return {
      handled: f64[this.countersOf(rec.slot) + AC_HANDLED]!,
      failed: f64[this.countersOf(rec.slot) + AC_FAILED]!,
      mailboxDepth: depth,
    };
  }

  /**
   * What /metrics and OTel metrics show beyond stats(): counts by
   * performative, the handle-time histogram, worker utilisation, agents by
   * state and mailbox depths. Off the hot path: read from the bus counters
   * when scraped (one pass over the rings for the depths).
   *
   * Worker utilisation is busy time / wall time since `reader`'s previous
   * snapshot (since start for its first): each reader has its own window, so
   * readers do not shorten each other's. Without a reader (tests, the bench),
   * it is since start and no window moves.
   */
  metricsSnapshot(reader?: MetricsReader): RuntimeMetrics {
    let window: BusyMark[] | undefined;
    if (reader !== undefined) {
      window = this.busyWindows.get(reader);
      if (window === undefined) {
        if (!METRICS_READERS.includes(reader)) throw new InternalError(`unknown metrics reader ${JSON.stringify(reader)}`);
        this.busyWindows.set(reader, (window = []));
      }
    }
    const f64 = this.bus.f64;
    const threads = this.bus.layout.threads;
    const byPerformative: RuntimeMetrics['byPerformative'] = {};
    for (const p of PERFORMATIVES) byPerformative[p] = { accepted: 0, delivered: 0, deadLettered: 0 };
    // Dead letters also come as 'unknown' (an unreadable frame) or unknown(N) (a bad performative code).
    for (const [p, n] of this.deadLetters.byPerformative) (byPerformative[p] ??= { accepted: 0, delivered: 0, deadLettered: 0 }).deadLettered = n;
    const buckets = new Array<number>(HANDLE_BUCKETS).fill(0);
    let sumUs = 0;
    const workers: RuntimeMetrics['workers'] = [];
    const now = performance.now();
    for (let t = 0; t < threads; t++) {
      const m = this.bus.metricsF64(t);
      for (let i = 0; i < PERFORMATIVES.length; i++) {
        byPerformative[PERFORMATIVES[i]!]!.accepted += f64[m + M_ACCEPTED + i]!;
        byPerformative[PERFORMATIVES[i]!]!.delivered += f64[m + M_DELIVERED + i]!;
      }
      for (let k = 0; k < HANDLE_BUCKETS; k++) buckets[k]! += f64[m + M_HANDLE_BUCKET + k]!;
      sumUs += f64[m + M_HANDLE_SUM_US]!;
      if (t >= 1 && t <= this.workers) {
        // Utilisation since this reader's previous snapshot (or since start): busy time / wall time.
        const busyMs = f64[m + M_BUSY_MS]!;
        const prev = window?.[t] ?? this.metricsStart;
        const utilisation = now > prev.at ? Math.min(1, Math.max(0, (busyMs - prev.busyMs) / (now - prev.at))) : 0;
        if (window !== undefined) window[t] = { at: now, busyMs };
        workers.push({ worker: t, busySeconds: busyMs / 1000, utilisation });
      }
    }
    const agentsByState: Record<string, number> = { starting: 0, running: 0, stopped: 0, failed: 0, removing: 0 };
    const depthBySlot = new Map<number, number>();
    for (const c of this.ringCounters) c.countFramesBySlot(depthBySlot, FRAME_DST_SLOT, FRAME_HEADER_BYTES);
    const mailboxDepth: RuntimeMetrics['mailboxDepth'] = [];
    for (const a of this.registry.agents()) {
      agentsByState[a.state] = (agentsByState[a.state] ?? 0) + 1;
      mailboxDepth.push({ agent: a.name, depth: depthBySlot.get(a.slot) ?? 0 });
    }
    // Bucket k < last holds calls under 2^k µs.
    const bounds = Array.from({ length: HANDLE_BUCKETS - 1 }, (_, k) => 2 ** k);
    const spans = this.spanCounts();
    return {
      byPerformative, handleTime: { boundsUs: bounds, counts: buckets, sumUs, oneIn: HANDLE_TIMING_SAMPLE }, workers, agentsByState, mailboxDepth,
      ...(spans ? { spans } : {}),
    };
  }

  stats(): RuntimeStats {
    // Frames sent in this job but not yet published are accepted already.
    this.publishPending();
    const f64 = this.bus.f64;
    let accepted = 0;
    let consumed = 0;
    const threads = this.bus.layout.threads;
    // Observer copies (bus/tap.ts) travel on the rings but are not messages.
    // Copies sent are read BEFORE the ring counters (a copy published in
    // between then counts as in flight for a moment), copies received AFTER
    // them (the receiver counts a copy before it releases the ring): either
    // way in-flight can only be over-estimated, so waitIdle never stops early.
    for (let t = 0; t < threads; t++) accepted -= f64[this.bus.threadF64(t) + T_STAT_TAPS_SENT]!;
    for (const r of this.ringCounters) {
      accepted += r.publishedFrames();
      consumed += r.consumedFrames();
    }
    let delivered = 0;
    let deadLettered = 0;
    let parked = 0;
    let refused = 0;
    let traps = 0;
    let restarts = 0;
    let agents = 0;
    let baselineSent = 0;
    let conversations = 0;
    for (let t = 0; t < threads; t++) {
      const s = this.bus.threadF64(t);
      delivered += f64[s + T_STAT_DELIVERED]!;
      deadLettered += f64[s + T_STAT_DEAD_LETTERED]!;
      parked += f64[s + T_STAT_PARKED]!;
      refused += f64[s + T_STAT_REFUSED]!;
      traps += f64[s + T_STAT_TRAPS]!;
      restarts += f64[s + T_STAT_RESTARTS]!;
      agents += f64[s + T_STAT_AGENTS]!;
      baselineSent += f64[s + T_STAT_BASELINE_SENT]!;
      // Host-made messages are handed over as they are made: accepted and consumed at once.
      accepted += f64[s + T_STAT_SYNTHESIZED]!;
      consumed += f64[s + T_STAT_SYNTHESIZED]!;
      conversations += f64[s + T_STAT_CONVERSATIONS]!;
      consumed -= f64[s + T_STAT_TAPS_RECEIVED]!;
    }
    if (this.transport === 'postmessage') {
      // Baseline: frames travel by postMessage; count them where they are sent.
      accepted += baselineSent;
      consumed = delivered + deadLettered - parked;
    }
    return {
      accepted, delivered, deadLettered, inFlight: accepted - consumed + parked, refused, traps, restarts,
      workerRestarts: this.workerRestarts(), agents, workers: this.workers, baselineSent, conversations, throttled: this.throttled(),
      lostInCrash: this.deadLetters.lostInCrash, redelivered: this.deadLetters.redelivered,
    };
  }
}
