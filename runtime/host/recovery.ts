/**
 * What a worker does when one of its agents traps: the call's sends are
 * rolled back (decision 0002: a failed call has no effects), the agent gets
 * a fresh instance at once, and if it traps again within FAILURE_WINDOW_MS
 * it restarts with back-off (10 ms doubling to 5 s). Messages that arrive
 * meanwhile are parked in order, up to the agent's mailbox, and delivered
 * after the restart; more are dead-lettered BACKOFF_OVERFLOW. Its neighbours
 * on the worker never notice.
 *
 * Parked frames live in this thread's heap; only their count is on the bus
 * (T_STAT_PARKED), so that the supervisor can still account for them if the
 * whole thread is lost. While frames of a ring are parked, that ring's
 * settled mark stays below the oldest of them (RingConsumer.hold): the API
 * thread's journal must not count a parked message as finished.
 */
import type { AgentClock } from './agent-clock.js';
import type { BusPeer } from '../../bus/peer.js';
import type { RingConsumer } from '../../bus/ring.js';
import { T_STAT_PARKED, T_STAT_RESTARTS, T_STAT_TRAPS } from '../../bus/layout.js';
import { DeadLetterReason, type SerializedError } from '../errors.js';
import type { FromWorker } from '../thread-messages.js';
import { AgentState, type HostedAgent } from './hosted-agent.js';

/** caxton_handle's result when the call trapped (no real return code is this negative) */
export const TRAPPED = -0x7fffffff;
/** caxton_handle's result when the interrupt checks ended the call at the agent's time limit */
export const TIMED_OUT = -0x7ffffffe;

/**
 * Thrown by the interrupt check (host-imports.ts) into a call that ran past
 * its agent's time limit. Agent code compiled with exception handling could
 * catch it and go on: then the next check throws again, and the watchdog's
 * backstop (runtime/supervisor/watchdog.ts) still stops the thread.
 */
export class CallInterrupted extends Error {
  constructor(readonly limitMs: number) {
    super(`agent ran past its ${limitMs} ms time limit`);
  }
}
const BACKOFF_FIRST_MS = 10;
const BACKOFF_MAX_MS = 5000;
const FAILURE_WINDOW_MS = 10_000;

/** What recovery needs from its worker. */
export interface RecoveryHost {
  /** what the agents' timers run on (agent-clock.ts) */
  readonly clock: AgentClock;
  /** the call in progress (its seq tells a trap which stderr line is this call's) */
  readonly call: { readonly seq: number };
  /** is this the agent object the worker hosts at its slot (not removed or replaced)? */
  hosts(agent: HostedAgent): boolean;
  /** forget the failed call's sends */
  rollbackSends(): void;
  /** a fresh instance, init run; the error, or undefined */
  instantiate(agent: HostedAgent): SerializedError | undefined;
  /** deliver a frame that waited for the restart */
  deliverParked(agent: HostedAgent, frame: Int32Array): void;
  deadLetterCopy(frame: Int32Array, agent: string, reason: DeadLetterReason, detail: string): void;
  warn(agent: HostedAgent, text: string): void;
  post(m: FromWorker): void;
  flush(): void;
}

export class Recovery {
  /** why the last trap happened (dead letters and spans of the failed call say it) */
  lastTrap = '';
  private readonly host: RecoveryHost;
  private readonly f64: Float64Array;
  private readonly stat: number;
  private traps: number;
  private restarts: number;
  private parked = 0;
  /** rings with parked frames: their settled marks are held back */
  private readonly heldRings = new Set<RingConsumer>();
  /** agents with parked frames */
  private readonly holding = new Set<HostedAgent>();

  constructor(peer: BusPeer, host: RecoveryHost) {
    this.host = host;
    this.f64 = peer.bus.f64;
    this.stat = peer.bus.threadF64(peer.thread);
    this.traps = this.f64[this.stat + T_STAT_TRAPS]!;
    this.restarts = this.f64[this.stat + T_STAT_RESTARTS]!;
    // Messages parked by a predecessor died with it (the supervisor counted them as WORKER_LOST).
    this.f64[this.stat + T_STAT_PARKED] = 0;
  }

  /**
   * The agent trapped, or ran past its time limit: drop its sends from this
   * call and restart it (with back-off when it keeps failing). Returns
   * TIMED_OUT or TRAPPED, the call's result.
   */
  trap(agent: HostedAgent, e: unknown): number {
    this.host.rollbackSends();
    const timedOut = e instanceof CallInterrupted;
    if (timedOut) {
      this.lastTrap = e.message;
      // The supervisor counts time-outs: an agent that keeps timing out is marked failed.
      this.host.post({ type: 'agent-timed-out', slot: agent.slot, generation: agent.generation, reason: e.message });
    } else {
      this.lastTrap = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      // What the agent wrote to stderr in this call (WASI): a Go panic or a C abort() says why there.
      if (agent.stderrCallSeq === this.host.call.seq) this.lastTrap += ` (its stderr: ${JSON.stringify(agent.callStderr)})`;
      this.f64[this.stat + T_STAT_TRAPS] = ++this.traps;
    }
    const now = Date.now();
    if (now - agent.lastFailureAt > FAILURE_WINDOW_MS) agent.failures = 0;
    agent.failures++;
    agent.lastFailureAt = now;
    this.host.warn(agent, `agent "${agent.name}" ${timedOut ? 'was stopped' : 'trapped'} (${this.lastTrap}); restarting`);
    if (agent.failures === 1) {
      this.restart(agent);
    } else {
      agent.state = AgentState.Backoff;
      agent.clearTimers(this.host.clock);
      setTimeout(() => this.restart(agent), backoffMs(agent.failures)).unref();
    }
    return timedOut ? TIMED_OUT : TRAPPED;
  }

  private restart(agent: HostedAgent): void {
    if (agent.state === AgentState.Removed || !this.host.hosts(agent)) return;
    this.f64[this.stat + T_STAT_RESTARTS] = ++this.restarts;
    const err = this.host.instantiate(agent);
    this.host.post({ type: 'agent-restarted', slot: agent.slot, reason: err ? err.message : this.lastTrap, failures: agent.failures });
    if (err) {
      agent.failures++;
      agent.lastFailureAt = Date.now();
      agent.state = AgentState.Backoff;
      setTimeout(() => this.restart(agent), backoffMs(agent.failures)).unref();
      return;
    }
    this.releaseParked(agent);
    this.host.flush();
  }

  /**
   * Deliver what waited for the agent (a restart, or the end of its
   * throttling), in arrival order. Each frame stays counted as parked until
   * its call returns: if the worker dies in that call, the supervisor still
   * counts it (WORKER_LOST). What arrives while it is stopped again waits.
   */
  releaseParked(agent: HostedAgent): void {
    const parked = agent.parked;
    const rings = agent.parkedRing;
    const ordinals = agent.parkedOrdinal;
    agent.parked = [];
    agent.parkedRing = [];
    agent.parkedOrdinal = [];
    for (let i = 0; i < parked.length; i++) {
      const frame = parked[i]!;
      if (agent.state !== AgentState.Running) {
        // still counted, still held
        agent.parked.push(frame);
        agent.parkedRing.push(rings[i]);
        agent.parkedOrdinal.push(ordinals[i]!);
        continue;
      }
      this.host.deliverParked(agent, frame);
      this.countParked(-1);
    }
    this.settle(agent);
  }

  /**
   * Hold a frame for an agent in back-off, or dead-letter it when its mailbox
   * is full. `from` is the ring it was taken from (none: the host made it).
   */
  park(agent: HostedAgent, frame: Int32Array, from?: RingConsumer): void {
    if (agent.parked.length >= agent.mailbox) {
      const why = agent.state === AgentState.Throttled ? 'for the agent, which is throttled (it sent past its maxSendsPerSecond)' : 'for the restart';
      this.host.deadLetterCopy(frame, agent.name, DeadLetterReason.BACKOFF_OVERFLOW, `${agent.mailbox} messages already wait ${why}`);
      return;
    }
    agent.parked.push(frame);
    agent.parkedRing.push(from);
    agent.parkedOrdinal.push(from ? from.ordinal : 0);
    this.holding.add(agent);
    // Frames of a ring arrive in order: the first one held is its oldest.
    if (from !== undefined && !this.heldRings.has(from)) {
      this.heldRings.add(from);
      from.hold(from.ordinal);
    }
    this.countParked(1);
  }

  /** The agent is removed: what waited for it is dead-lettered with `reason`. */
  dropParked(agent: HostedAgent, reason: DeadLetterReason): void {
    for (const frame of agent.parked) this.host.deadLetterCopy(frame, agent.name, reason, 'agent removed while restarting');
    this.countParked(-agent.parked.length);
    agent.parked = [];
    agent.parkedRing = [];
    agent.parkedOrdinal = [];
    this.settle(agent);
  }

  /**
   * `agent` gave up parked frames: move each held ring's mark to its oldest
   * frame still parked by any agent (a few agents in back-off at most, and
   * only when frames leave the park, never per message).
   */
  private settle(agent: HostedAgent): void {
    if (agent.parked.length === 0) this.holding.delete(agent);
    for (const ring of this.heldRings) {
      let oldest = 0;
      for (const a of this.holding) {
        const i = a.parkedRing.indexOf(ring);
        if (i >= 0 && (oldest === 0 || a.parkedOrdinal[i]! < oldest)) oldest = a.parkedOrdinal[i]!;
      }
      ring.hold(oldest);
      if (oldest === 0) this.heldRings.delete(ring);
    }
  }

  private countParked(delta: number): void {
    this.parked += delta;
    this.f64[this.stat + T_STAT_PARKED] = this.parked;
  }
}

/** The delay before the restart that follows the `failures`-th failure in a row (2 or more). */
function backoffMs(failures: number): number {
  return Math.min(BACKOFF_FIRST_MS * 2 ** (failures - 2), BACKOFF_MAX_MS);
}
