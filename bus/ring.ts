/**
 * Single-producer / single-consumer ring over the bus SharedArrayBuffer.
 *
 * Positions (head, tail) are byte counters that only grow, modulo 2^32; the
 * offset inside the data area is `position & mask`. `tail - head` (mod 2^32)
 * is the number of bytes in use, so full and empty never look alike and no
 * slot has to be kept free.
 *
 * Concurrency, and the switch for each trick:
 * - The producer writes frame bytes with plain stores and then publishes the
 *   new tail with Atomics.store; the consumer reads the tail with Atomics.load
 *   before reading the bytes. Under the JS memory model that store/load pair
 *   orders the plain writes before the reads, so no lock is needed.
 * - Batching: reserve() only moves a private tail; publish() makes a whole
 *   batch visible with one atomic store and at most one notify. A worker's
 *   batch is one handler call (decision 0002): that is what lets a trapped
 *   call's sends be rolled back, so it has no off switch; the supervisor
 *   publishes after every send.
 * - Cached indices: the producer re-reads the shared head only when its cached
 *   copy says the ring is full; the consumer re-reads the shared tail only when
 *   its cached copy says the ring is empty. This keeps the other side's cache
 *   line from bouncing on every frame. A stale copy is always conservative
 *   (the ring looks fuller or emptier than it is, never the other way), so
 *   there is nothing to turn off.
 * - Back-pressure: reserve() returns -1 when the frame does not fit. Nothing
 *   is ever overwritten; the caller reports MAILBOX_FULL to whoever sent.
 * - Crash safety: a thread that restarts re-reads head/tail/counters from the
 *   buffer, so a replacement worker continues exactly where the published
 *   state of its predecessor stopped. Unpublished frames of a stopped producer
 *   are simply overwritten (they were never accepted).
 */
import type { Bus } from './shared.js';
import * as layout from './layout.js';
import { ringIndex } from './layout.js';

// Layout constants copied into module constants: on the hot path an imported
// binding costs a cell load and a TDZ check at every use, a module constant
// does not (about 800 instructions per message on a worker; decision 0012).
const {
  RC_CONSUMED_F64, RC_HEAD_I32, RC_PUBLISHED_F64, RC_SETTLED_F64, RC_TAIL_I32, RECORD_ALIGN, RING_CONTROL_BYTES, RING_WRAP,
  DOORBELL_SLEEPING, DOORBELL_AWAKE, T_DOORBELL,
} = layout;

const ALIGN_MASK = ~(RECORD_ALIGN - 1);

/** Wake a consumer that announced it is going to sleep on its doorbell. */
export function wakeConsumer(i32: Int32Array, doorbellIndex: number): void {
  // Cheap load first: in the busy case the consumer is awake and we skip the
  // locked compare-exchange entirely.
  if (Atomics.load(i32, doorbellIndex) === DOORBELL_SLEEPING &&
      Atomics.compareExchange(i32, doorbellIndex, DOORBELL_SLEEPING, DOORBELL_AWAKE) === DOORBELL_SLEEPING) {
    Atomics.notify(i32, doorbellIndex, 1);
  }
}

abstract class RingEnd {
  readonly ring: number;
  readonly producer: number;
  readonly consumer: number;
  protected readonly i32: Int32Array;
  protected readonly f64: Float64Array;
  protected readonly capacity: number;
  protected readonly mask: number;
  /** byte offset of this ring's data area inside the bus */
  readonly dataByte: number;
  protected readonly headIndex: number;
  protected readonly tailIndex: number;
  protected readonly consumedIndex: number;
  protected readonly publishedIndex: number;
  protected readonly settledIndex: number;

  constructor(bus: Bus, producer: number, consumer: number) {
    const { layout } = bus;
    this.ring = ringIndex(layout, producer, consumer);
    this.producer = producer;
    this.consumer = consumer;
    this.i32 = bus.i32;
    this.f64 = bus.f64;
    this.capacity = layout.ringCapacity;
    this.mask = layout.ringCapacity - 1;
    this.dataByte = layout.ringDataOffset + this.ring * layout.ringCapacity;
    const control = layout.ringControlsOffset + this.ring * RING_CONTROL_BYTES;
    this.headIndex = (control >> 2) + RC_HEAD_I32;
    this.tailIndex = (control >> 2) + RC_TAIL_I32;
    this.consumedIndex = (control >> 3) + RC_CONSUMED_F64;
    this.publishedIndex = (control >> 3) + RC_PUBLISHED_F64;
    this.settledIndex = (control >> 3) + RC_SETTLED_F64;
  }

  /** Frames published by the producer so far (shared, may lag by one batch). */
  publishedFrames(): number {
    return this.f64[this.publishedIndex]!;
  }

  consumedFrames(): number {
    return this.f64[this.consumedIndex]!;
  }

  /** Ordinal of the last settled frame: every frame up to it was handled or dead-lettered (RC_SETTLED_F64). */
  settledFrames(): number {
    return this.f64[this.settledIndex]!;
  }

  /** Bytes currently in the ring according to the shared indices. */
  usedBytes(): number {
    return ((Atomics.load(this.i32, this.tailIndex) >>> 0) - (Atomics.load(this.i32, this.headIndex) >>> 0)) >>> 0;
  }
}

/** A read-only view of a ring's frame counters (statistics; owns no end of the ring). */
export class RingCounters extends RingEnd {
  /**
   * Call `visit` with the destination slot (the i32 at `dstByte` in the
   * frame) of every frame waiting in the ring. A snapshot for management
   * calls and metrics scrapes, never used on the message path: it reads
   * between the shared head and tail while both ends keep moving, so it stops
   * at the first record that does not look like a frame.
   */
  private forEachDestination(dstByte: number, minFrame: number, visit: (slot: number) => void): void {
    let head = Atomics.load(this.i32, this.headIndex) >>> 0;
    const tail = Atomics.load(this.i32, this.tailIndex) >>> 0;
    for (let guard = 0; head !== tail && guard < 1 << 20; guard++) {
      const pos = head & this.mask;
      const len = this.i32[(this.dataByte + pos) >> 2]!;
      if (len === RING_WRAP) {
        head = (head + (this.capacity - pos)) >>> 0;
        continue;
      }
      if (len < minFrame || len > this.capacity >> 1) break;
      visit(this.i32[(this.dataByte + pos + dstByte) >> 2]!);
      head = (head + ((len + RECORD_ALIGN - 1) & ALIGN_MASK)) >>> 0;
    }
  }

  /** The frames waiting for `slot` (AgentService.Get's mailbox depth). */
  countFramesFor(slot: number, dstByte: number, minFrame: number): number {
    let n = 0;
    this.forEachDestination(dstByte, minFrame, (s) => {
      if (s === slot) n++;
    });
    return n;
  }

  /** Add the frames waiting in this ring to `into`, by destination slot (one pass for every agent; metrics). */
  countFramesBySlot(into: Map<number, number>, dstByte: number, minFrame: number): void {
    this.forEachDestination(dstByte, minFrame, (s) => into.set(s, (into.get(s) ?? 0) + 1));
  }
}

export class RingProducer extends RingEnd {
  private tail: number;
  private committedTail: number;
  private cachedHead: number;
  private pending = 0;
  private published: number;
  private readonly doorbellIndex: number;
  /** Largest frame this ring accepts (half the capacity, so wrap padding always fits). */
  readonly maxFrame: number;

  constructor(bus: Bus, producer: number, consumer: number) {
    super(bus, producer, consumer);
    this.tail = Atomics.load(this.i32, this.tailIndex) >>> 0;
    this.committedTail = this.tail;
    this.cachedHead = Atomics.load(this.i32, this.headIndex) >>> 0;
    this.published = this.f64[this.publishedIndex]!;
    this.doorbellIndex = bus.threadI32(consumer) + T_DOORBELL;
    this.maxFrame = this.capacity >> 1;
  }

  /**
   * Reserve room for one frame of `length` bytes and return the byte offset
   * (into the bus) where the caller writes it, or -1 when the ring is full.
   * The frame becomes visible to the consumer at the next publish().
   */
  reserve(length: number): number {
    const record = (length + RECORD_ALIGN - 1) & ALIGN_MASK;
    let pos = this.tail & this.mask;
    const room = this.capacity - pos;
    const need = record <= room ? record : room + record;
    if (((this.tail - this.cachedHead) >>> 0) + need > this.capacity) {
      this.cachedHead = Atomics.load(this.i32, this.headIndex) >>> 0;
      if (((this.tail - this.cachedHead) >>> 0) + need > this.capacity) return -1;
    }
    if (record > room) {
      this.i32[(this.dataByte + pos) >> 2] = RING_WRAP;
      this.tail = (this.tail + room) >>> 0;
      pos = 0;
    }
    this.tail = (this.tail + record) >>> 0;
    this.pending++;
    return this.dataByte + pos;
  }

  /** Ordinal (1, 2, ... over the ring's life) of the frame reserved last; its consumer's settledFrames() passes it once that frame is settled. */
  get lastOrdinal(): number {
    return this.published + this.pending;
  }

  /** True when frames were reserved since the last publish. */
  get dirty(): boolean {
    return this.pending !== 0;
  }

  /** Make every reserved frame visible, then wake the consumer if it sleeps. */
  publish(): void {
    if (this.pending === 0) return;
    this.published += this.pending;
    this.pending = 0;
    this.committedTail = this.tail;
    // Counter first, tail second: whoever sees the tail also sees the count.
    this.f64[this.publishedIndex] = this.published;
    Atomics.store(this.i32, this.tailIndex, this.tail | 0);
    wakeConsumer(this.i32, this.doorbellIndex);
  }

  /** Forget every frame reserved since the last publish (the handler that sent them failed). */
  rollback(): void {
    this.tail = this.committedTail;
    this.pending = 0;
  }
}

export class RingConsumer extends RingEnd {
  private head: number;
  private cachedTail: number;
  private consumed: number;
  /** ordinal of the oldest frame this consumer holds back (parked), 0 = none */
  private heldFrom = 0;

  constructor(bus: Bus, producer: number, consumer: number) {
    super(bus, producer, consumer);
    this.head = Atomics.load(this.i32, this.headIndex) >>> 0;
    this.cachedTail = Atomics.load(this.i32, this.tailIndex) >>> 0;
    this.consumed = this.f64[this.consumedIndex]!;
    // A new consumer (a replacement worker) holds nothing: what its
    // predecessor held was dead-lettered WORKER_LOST, so it is settled.
    this.f64[this.settledIndex] = this.consumed;
  }

  /** Ordinal of the frame peek() returned (1, 2, ... over the ring's life). */
  get ordinal(): number {
    return this.consumed + 1;
  }

  /**
   * The oldest frame of this ring the consumer still holds back (0 = none):
   * settledFrames() stays below it until it is handled or dead-lettered.
   */
  hold(oldestOrdinal: number): void {
    this.heldFrom = oldestOrdinal;
    this.f64[this.settledIndex] = oldestOrdinal === 0 ? this.consumed : oldestOrdinal - 1;
  }

  /** Byte offset (into the bus) of the next frame, or -1 when the ring is empty. */
  peek(): number {
    if (this.head === this.cachedTail) {
      this.cachedTail = Atomics.load(this.i32, this.tailIndex) >>> 0;
      if (this.head === this.cachedTail) return -1;
    }
    const pos = this.head & this.mask;
    if (this.i32[(this.dataByte + pos) >> 2] === RING_WRAP) {
      this.head = (this.head + (this.capacity - pos)) >>> 0;
      return this.dataByte;
    }
    return this.dataByte + pos;
  }

  /** Step over the frame returned by peek() (its length is its first word). */
  advance(length: number): void {
    this.head = (this.head + ((length + RECORD_ALIGN - 1) & ALIGN_MASK)) >>> 0;
    this.consumed++;
  }

  /** Publish the head: the producer may now reuse the space. */
  release(): void {
    this.f64[this.consumedIndex] = this.consumed;
    this.f64[this.settledIndex] = this.heldFrom === 0 ? this.consumed : this.heldFrom - 1;
    Atomics.store(this.i32, this.headIndex, this.head | 0);
  }

  /** Non-caching check used right before sleeping. */
  hasData(): boolean {
    return (Atomics.load(this.i32, this.tailIndex) >>> 0) !== this.head;
  }
}
