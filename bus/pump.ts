/**
 * The drain loop every consuming thread runs (workers and the supervisor).
 *
 * It calls `drain()` (which handles up to a budget of frames) for as long as
 * there is work, yielding to the event loop between batches with setImmediate
 * so control messages and timers still run. When a drain finds nothing it:
 *  1. spins for `spinMicros`, re-checking the rings: a reply that arrives a
 *     few microseconds later is picked up without a sleep/wake round trip
 *     (set spinMicros to 0 to turn this off);
 *  2. announces it is going to sleep (doorbell = SLEEPING), checks the rings
 *     one last time (a producer that published before seeing SLEEPING would
 *     otherwise never wake us: the seq-cst store/load pairs on doorbell and
 *     tail guarantee one side sees the other), then
 *  3. waits with Atomics.waitAsync on its doorbell, which keeps this thread's
 *     event loop free for control messages while it sleeps. Producers only
 *     notify when they see SLEEPING (bus/ring.ts wakeConsumer).
 *
 * A thread that knows a reply is due (the API thread with a lone Invoke
 * pending: `expecting()`) can ask for step 3 to be replaced by polling: it
 * re-runs the loop with setImmediate, which lets the event loop serve its
 * sockets between checks, instead of sleeping. The reply is then seen on the
 * next turn of the loop rather than after a cross-thread wake-up (an
 * Atomics.notify that reaches a waitAsync through libuv costs tens of µs on
 * small VMs). Polling stops after `pollMicros` without any frame arriving, so
 * a slow agent costs at most that much CPU per quiet period; `pollMicros: 0`
 * turns it off. A thread can also say so after the fact (`expectReply()`,
 * called by the supervisor after it publishes: a tool call's answer goes to
 * a worker whose agent replies at once): the loop then polls for pollMicros
 * from that moment, and a waitAsync sleep already under way is ended with a
 * notify to itself (its late resolution is recognised by a token and
 * ignored), so the reply is not left waiting for a cross-thread wake-up.
 *
 * The spin adapts (`adaptiveSpin`, on unless set to false): a spin that
 * ends with nothing found halves the next one (to nothing below an eighth of
 * spinMicros), and a sleep that ends sooner than a full spin would have
 * lasted sets it back to spinMicros. A worker whose agents wait on slow
 * partners (a tool call, the network, a timer) then stops burning the core
 * that partner needs (on 2 cores, a 50 µs spin after each forward to $mcp
 * held the tool server's process off the CPU), while a worker in a quick
 * ping-pong keeps catching its replies in the spin.
 *
 * Just before it sleeps it calls `beforeSleep`, if given: work that can wait
 * for a quiet moment (a worker's span batch) is done then, not after every
 * drain that happens to find the rings empty for a few microseconds.
 */
import { performance } from 'node:perf_hooks';
import { DOORBELL_AWAKE, DOORBELL_SLEEPING } from './layout.js';
// (performance imported, not the global: in a worker thread the global is a
// lazy accessor, and the spin loop reads it on every turn)

export interface PumpOptions {
  /** busy-poll this long before sleeping (0 = never spin) */
  readonly spinMicros: number;
  /** upper bound on one sleep, so a lost wake-up can never hang a thread (ms) */
  readonly maxSleepMs: number;
  /** shorten the spin while spins find nothing, restore it when a sleep was short (default true; false = always spin spinMicros) */
  readonly adaptiveSpin?: boolean;
  /** while `expecting()` is true, poll (setImmediate) instead of sleeping for up to this long without progress (µs; 0 or absent = never) */
  readonly pollMicros?: number;
}

/** What a thread can plug into its drain loop (both optional). */
export interface PumpHooks {
  /** a reply is due: poll instead of sleeping, for up to `pollMicros` without progress */
  readonly expecting?: () => boolean;
  /** called just before the loop sleeps (work that can wait for a quiet moment) */
  readonly beforeSleep?: () => void;
}

const NEVER = (): boolean => false;

export class Pump {
  private readonly i32: Int32Array;
  private readonly doorbell: number;
  private readonly drain: () => number;
  private readonly hasData: () => boolean;
  private readonly spinMs: number;
  /** the spin the next idle moment gets (ms): spinMs, or less while spins find nothing (adaptiveSpin) */
  private spinNowMs: number;
  private readonly adaptive: boolean;
  /** performance.now() when the current sleep began */
  private sleptAt = 0;
  private readonly maxSleepMs: number;
  private readonly pollMs: number;
  private readonly expecting: () => boolean;
  /** performance.now() when the current run of polls without progress began (0 = not polling) */
  private pollingSince = 0;
  /** performance.now() until which the loop polls instead of sleeping (expectReply) */
  private expectUntil = 0;
  /** bumped when a sleep is cut short by expectReply: that sleep's wake-up is then ignored */
  private sleepToken = 0;
  private readonly woken: (token: number) => void;
  private running = false;
  private scheduled = false;
  private sleeping = false;
  private readonly tick: () => void;
  private readonly beforeSleep: (() => void) | undefined;

  constructor(i32: Int32Array, doorbellIndex: number, drain: () => number, hasData: () => boolean, options: PumpOptions, hooks: PumpHooks = {}) {
    this.i32 = i32;
    this.doorbell = doorbellIndex;
    this.drain = drain;
    this.hasData = hasData;
    this.spinMs = options.spinMicros / 1000;
    this.spinNowMs = this.spinMs;
    this.adaptive = options.adaptiveSpin !== false && this.spinMs > 0;
    this.maxSleepMs = options.maxSleepMs;
    this.pollMs = (options.pollMicros ?? 0) / 1000;
    this.expecting = hooks.expecting ?? NEVER;
    this.beforeSleep = hooks.beforeSleep;
    // One bound function, made once: no closure per iteration.
    this.tick = this.loop.bind(this);
    this.woken = (token: number): void => {
      if (token === this.sleepToken) this.loop();
    };
  }

  /**
   * This thread just sent frames that will be answered soon (the supervisor
   * handing work to a worker): poll for the next `pollMicros` instead of
   * sleeping, and stop a sleep that is under way. Its waitAsync is released
   * with a notify to ourselves, and its wake-up, which comes later, ignored.
   */
  expectReply(): void {
    if (this.pollMs <= 0 || !this.running) return;
    this.expectUntil = performance.now() + this.pollMs;
    if (!this.sleeping) return;
    this.sleeping = false;
    this.sleepToken++;
    Atomics.store(this.i32, this.doorbell, DOORBELL_AWAKE);
    Atomics.notify(this.i32, this.doorbell);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.tick);
    }
  }

  start(): void {
    this.running = true;
    this.kick();
  }

  stop(): void {
    this.running = false;
    if (this.sleeping) {
      Atomics.store(this.i32, this.doorbell, DOORBELL_AWAKE);
      Atomics.notify(this.i32, this.doorbell, 1);
    }
  }

  /** Make sure a drain runs soon (e.g. after a control message added work). */
  kick(): void {
    if (!this.scheduled && !this.sleeping && this.running) {
      this.scheduled = true;
      setImmediate(this.tick);
    } else if (this.sleeping) {
      Atomics.store(this.i32, this.doorbell, DOORBELL_AWAKE);
      Atomics.notify(this.i32, this.doorbell, 1);
    }
  }

  private loop(): void {
    this.scheduled = false;
    if (this.sleeping) {
      // Woken by a producer (which already set AWAKE) or by the timeout.
      this.sleeping = false;
      Atomics.store(this.i32, this.doorbell, DOORBELL_AWAKE);
      // A full spin would have caught this frame: spin fully again.
      if (this.adaptive && performance.now() - this.sleptAt < this.spinMs) this.spinNowMs = this.spinMs;
    }
    if (!this.running) return;
    if (this.drain() > 0) {
      this.pollingSince = 0;
      this.scheduled = true;
      setImmediate(this.tick);
      return;
    }
    if (this.spinNowMs > 0) {
      const until = performance.now() + this.spinNowMs;
      do {
        if (this.hasData()) {
          this.scheduled = true;
          setImmediate(this.tick);
          return;
        }
      } while (performance.now() < until);
      // Nothing came: the next idle moment spins half as long, down to none.
      if (this.adaptive) this.spinNowMs = this.spinNowMs / 2 < this.spinMs / 8 ? 0 : this.spinNowMs / 2;
    }
    if (this.pollMs > 0 && this.expectUntil > 0) {
      if (performance.now() < this.expectUntil) {
        this.scheduled = true;
        setImmediate(this.tick);
        return;
      }
      this.expectUntil = 0;
    }
    if (this.pollMs > 0 && this.expecting()) {
      const now = performance.now();
      if (this.pollingSince === 0) this.pollingSince = now;
      if (now - this.pollingSince < this.pollMs) {
        this.scheduled = true;
        setImmediate(this.tick);
        return;
      }
    }
    this.pollingSince = 0;
    if (this.beforeSleep !== undefined) this.beforeSleep();
    Atomics.store(this.i32, this.doorbell, DOORBELL_SLEEPING);
    if (this.hasData()) {
      Atomics.store(this.i32, this.doorbell, DOORBELL_AWAKE);
      this.scheduled = true;
      setImmediate(this.tick);
      return;
    }
    this.sleeping = true;
    if (this.adaptive) this.sleptAt = performance.now();
    const result = Atomics.waitAsync(this.i32, this.doorbell, DOORBELL_SLEEPING, this.maxSleepMs);
    if (result.async) {
      const token = this.sleepToken;
      result.value.then(() => this.woken(token), () => this.woken(token));
    } else {
      this.sleeping = false;
      Atomics.store(this.i32, this.doorbell, DOORBELL_AWAKE);
      this.scheduled = true;
      setImmediate(this.tick);
    }
  }
}
