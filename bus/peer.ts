/**
 * BusPeer: one thread's seat on the bus. Every thread that sends or
 * receives frames (the workers, the supervisor's host endpoints, the API
 * thread) is one; this base class holds what they all do the same way, so
 * each of them only says what a frame means to it (`deliverFrame`).
 *
 * What it owns:
 * - this thread's ends of the rings: `producers[t]` writes ring (this -> t)
 *   and `consumers[t]` reads ring (t -> this), for every thread t including
 *   this one (an agent may send to a neighbour on its own worker);
 * - the drain loop: a Pump (bus/pump.ts) that calls drain() while frames
 *   come and sleeps on this thread's doorbell when none do;
 * - message ids: unique per run, because the high word holds the thread
 *   index and an owner epoch that every new owner of the index bumps (a
 *   worker replaced by the watchdog never reuses its predecessor's ids);
 * - this thread's counters in its thread block (delivered, dead-lettered,
 *   refused): plain f64 stores of private copies, written only here and read
 *   by the supervisor's stats(); a new owner resumes from the bus values;
 * - publish batching: frames reserved in the producers become visible to
 *   their consumers only at publishAll(), one tail store and at most one
 *   wake-up per ring for the whole batch (bus/ring.ts).
 *
 * The tricks, and where each is switched:
 * - Fair draining: at most `framesPerRing` frames from one ring before the
 *   next, and at most `drainBudget` frames (in passes over every ring, up to
 *   `maxPasses`) before the loop yields to the event loop, so one busy
 *   producer cannot starve the others nor the thread's timers and control
 *   messages. framesPerRing = drainBudget = 1 would turn batching off.
 * - Batches per job: schedulePublish() publishes at the end of the current
 *   job (a microtask), so a burst of sends from one call costs one tail store
 *   per ring. A thread that wants a frame out at once calls publishAll()
 *   (the workers do after every handler call: decision 0002 makes a call's
 *   sends one batch that a trap rolls back with rollbackAll()).
 * - Spinning, polling and sleeping: see bus/pump.ts (spinMicros = 0 and
 *   pollMicros = 0 turn them off).
 *
 * Nothing here allocates per frame: the views, rings and the bound drain
 * functions are made once, in the constructor.
 */
import { Bus } from './shared.js';
import { RingConsumer, RingProducer } from './ring.js';
import { Pump, type PumpOptions } from './pump.js';
import { RouterTable } from './router.js';
import * as layout from './layout.js';

// Layout constants copied into module constants: on the hot path an imported
// binding costs a cell load and a TDZ check at every use, a module constant
// does not (about 800 instructions per message on a worker; decision 0012).
const {
  M_ACCEPTED, M_DELIVERED, PERFORMATIVES, T_DOORBELL, T_OWNER_EPOCH, T_STAT_DEAD_LETTERED, T_STAT_DELIVERED,
  T_STAT_REFUSED, W_LENGTH,
} = layout;

export interface PeerOptions extends PumpOptions {
  /** frames taken from one ring before the drain moves on to the next (fairness between producers) */
  readonly framesPerRing: number;
  /** frames one drain() may handle before it yields to the event loop */
  readonly drainBudget: number;
  /** passes over the rings one drain() may make (each pass visits every ring once) */
  readonly maxPasses: number;
  /** after publishing, poll for pollMicros instead of sleeping (Pump.expectReply): a thread whose sends are answered soon */
  readonly pollAfterPublish?: boolean;
}

const PERFORMATIVE_COUNT = PERFORMATIVES.length;

/**
 * Message ids of one thread: 64 bits, the low word counting up and the high
 * word = thread index << 24 | owner epoch. Unique per run without any
 * coordination between threads; a wrapped low word moves the epoch part on.
 */
export class MessageIds {
  lo = 0;
  hi: number;

  constructor(thread: number, epoch: number) {
    this.hi = ((thread & 0xff) << 24) | (epoch & 0xffffff);
  }

  /** The next id's low word; its high word is `hi`, read after this call. */
  next(): number {
    const lo = (this.lo = (this.lo + 1) | 0);
    if (lo === 0) this.hi = (this.hi & 0xff000000) | ((this.hi + 1) & 0xffffff);
    return lo;
  }
}

export abstract class BusPeer {
  readonly bus: Bus;
  /** this thread's index on the bus (0 = supervisor, 1..W = workers, W+1.. = peers such as the API thread) */
  readonly thread: number;
  readonly router: RouterTable;
  protected readonly i32: Int32Array;
  protected readonly u8: Uint8Array;
  protected readonly f64: Float64Array;
  /** producers[t]: this thread's ring towards thread t (the thread's own parts write frames into them) */
  readonly producers: RingProducer[] = [];
  /** consumers[t]: the ring from thread t towards this thread */
  protected readonly consumers: RingConsumer[] = [];
  protected readonly pump: Pump;
  /** f64 index of this thread's statistics (bus/layout.ts T_STAT_*) */
  protected readonly stat: number;
  /** f64 index of this thread's metrics block (bus/layout.ts M_*) */
  protected readonly metrics: number;
  /** i32 index of this thread's doorbell */
  protected readonly doorbell: number;
  /** ids of the messages this thread makes */
  readonly ids: MessageIds;
  private delivered: number;
  private deadLettered: number;
  private refused: number;
  private readonly framesPerRing: number;
  private readonly drainBudget: number;
  private readonly maxPasses: number;
  private publishScheduled = false;
  private readonly publishAtEndOfJob: () => void;

  constructor(bus: Bus, thread: number, options: PeerOptions) {
    this.bus = bus;
    this.thread = thread;
    this.i32 = bus.i32;
    this.u8 = bus.u8;
    this.f64 = bus.f64;
    this.router = new RouterTable(bus);
    this.framesPerRing = options.framesPerRing;
    this.drainBudget = options.drainBudget;
    this.maxPasses = options.maxPasses;
    const t32 = bus.threadI32(thread);
    this.doorbell = t32 + T_DOORBELL;
    // A new owner of this thread index: message ids stay unique across restarts.
    this.ids = new MessageIds(thread, Atomics.add(this.i32, t32 + T_OWNER_EPOCH, 1) + 1);
    this.stat = bus.threadF64(thread);
    this.metrics = bus.metricsF64(thread);
    this.delivered = this.f64[this.stat + T_STAT_DELIVERED]!;
    this.deadLettered = this.f64[this.stat + T_STAT_DEAD_LETTERED]!;
    this.refused = this.f64[this.stat + T_STAT_REFUSED]!;
    for (let t = 0; t < bus.layout.threads; t++) {
      this.producers.push(new RingProducer(bus, thread, t));
      this.consumers.push(new RingConsumer(bus, t, thread));
    }
    const poll = options.pollAfterPublish === true && (options.pollMicros ?? 0) > 0;
    this.publishAtEndOfJob = () => {
      this.publishScheduled = false;
      this.publishAll();
      if (poll) this.pump.expectReply();
    };
    // Bound once: the pump calls these on every turn without a closure per turn.
    this.pump = new Pump(this.i32, this.doorbell, this.drain.bind(this), this.hasData.bind(this), options, {
      expecting: this.expectingReply.bind(this),
      beforeSleep: this.beforeSleep.bind(this),
    });
  }

  /** Handle one frame at byte `off` of the bus, `len` bytes long. The base releases it from its ring afterwards. */
  protected abstract deliverFrame(ring: RingConsumer, off: number, len: number): void;

  /** A reply is due: the pump polls instead of sleeping, up to pollMicros (bus/pump.ts). */
  protected expectingReply(): boolean {
    return false;
  }

  /** Called just before the drain loop sleeps: work that can wait for a quiet moment. */
  protected beforeSleep(): void {}

  /** One turn of the drain loop; returns the frames handled (0 = the rings were empty). */
  protected drain(): number {
    return this.drainRings();
  }

  /**
   * Round-robin over the inbound rings: up to framesPerRing from each, in
   * passes, until the rings are empty, drainBudget frames were handled or
   * maxPasses passes were made. Each frame is released (its ring space given
   * back to the producer) only after deliverFrame returns, so the frames it
   * caused are published first: a thread killed mid-call loses nothing that
   * was accepted.
   */
  protected drainRings(): number {
    const cs = this.consumers;
    const i32 = this.i32;
    const perRing = this.framesPerRing;
    let total = 0;
    let passes = 0;
    let progress = true;
    while (progress && total < this.drainBudget && passes < this.maxPasses) {
      progress = false;
      passes++;
      for (let i = 0; i < cs.length; i++) {
        const c = cs[i]!;
        for (let k = 0; k < perRing; k++) {
          const off = c.peek();
          if (off < 0) break;
          const len = i32[(off >> 2) + W_LENGTH]!;
          this.deliverFrame(c, off, len);
          c.advance(len);
          c.release();
          total++;
          progress = true;
        }
      }
    }
    return total;
  }

  /** Is any inbound ring non-empty? (the pump's last check before it sleeps) */
  protected hasData(): boolean {
    const cs = this.consumers;
    for (let i = 0; i < cs.length; i++) if (cs[i]!.hasData()) return true;
    return false;
  }

  // ---------------------------------------------------------------- publishing

  /** Make every frame reserved so far visible to its consumer (and wake it if it sleeps). */
  publishAll(): void {
    const ps = this.producers;
    for (let i = 0; i < ps.length; i++) ps[i]!.publish();
  }

  /** Forget every frame reserved since the last publish (the call that sent them failed). */
  protected rollbackAll(): void {
    const ps = this.producers;
    for (let i = 0; i < ps.length; i++) ps[i]!.rollback();
  }

  /**
   * Publish at the end of the current job: frames sent in one synchronous
   * burst go out as one batch per ring. They already sit in their rings, so
   * a full ring is still reported when the frame is reserved.
   */
  protected schedulePublish(): void {
    if (this.publishScheduled) return;
    this.publishScheduled = true;
    queueMicrotask(this.publishAtEndOfJob);
  }

  /** Publish now what schedulePublish() would publish at the end of the job (a reader wants exact counts). */
  protected publishScheduledNow(): void {
    if (this.publishScheduled) this.publishAtEndOfJob();
  }

  // ---------------------------------------------------------------- counters (this thread's block)
  // Public: the thread's other parts (its host imports, its protocol guard) count through them.

  countDelivered(): void {
    this.f64[this.stat + T_STAT_DELIVERED] = ++this.delivered;
  }

  countDeadLettered(): void {
    this.f64[this.stat + T_STAT_DEAD_LETTERED] = ++this.deadLettered;
  }

  /** A send refused with MAILBOX_FULL (back-pressure). */
  countRefused(): void {
    this.f64[this.stat + T_STAT_REFUSED] = ++this.refused;
  }

  /** A frame of this performative put on the bus by this thread (metrics by performative). */
  countAccepted(performative: number): void {
    if (performative < PERFORMATIVE_COUNT) this.f64[this.metrics + M_ACCEPTED + performative]! += 1;
  }

  /** A frame counted by countAccepted that was rolled back after all (its call failed). */
  uncountAccepted(performative: number): void {
    if (performative < PERFORMATIVE_COUNT) this.f64[this.metrics + M_ACCEPTED + performative]! -= 1;
  }

  /** A frame of this performative handled by this thread (metrics by performative). */
  countHandled(performative: number): void {
    if (performative < PERFORMATIVE_COUNT) this.f64[this.metrics + M_DELIVERED + performative]! += 1;
  }
}
