/**
 * Conversation taps: how the API thread streams "every message of a
 * conversation as it happens" (MessageService.StreamConversation) although
 * agents talk to each other on rings it never sees.
 *
 * The API thread writes the conversation keys it streams into the bus's
 * watch table (WatchTable). Every thread that delivers a frame (a worker to
 * its agents, the supervisor to its endpoints) asks the ConversationTap
 * whether the frame's conversation is watched; if so it writes a COPY of the
 * frame, flagged FLAG_TAP, into its ring towards the tap thread. The copy is
 * an observation, not a message: it is counted in T_STAT_TAPS_SENT /
 * T_STAT_TAPS_RECEIVED, which stats() subtracts, so the accounting identity
 * (accepted = delivered + dead-lettered + in flight) is unchanged.
 *
 * Cost when nobody streams: one plain load of G_WATCH_COUNT per delivered
 * frame (the branch is never taken). Set CAXTON_TAPS=off to compile the tap
 * out of the workers entirely (`enabled` is decided once, at construction).
 *
 * Concurrency: the watch table has one writer (the API thread) and many
 * readers. An entry is written hi word first, then lo, then the count is
 * raised; it is cleared lo first. A reader racing a writer can at worst see a
 * half-written entry and tap a frame nobody watches (the API thread drops
 * copies it does not want) or miss a frame delivered while the stream was
 * being opened: the stream promises messages delivered after it opened.
 */
import type { Bus } from './shared.js';
import type { RingProducer } from './ring.js';
import * as layout from './layout.js';

// Layout constants copied into module constants: on the hot path an imported
// binding costs a cell load and a TDZ check at every use, a module constant
// does not (about 800 instructions per message on a worker; decision 0012).
const {
  FLAG_TAP, FRAME_CONV_HI, FRAME_CONV_LO, FRAME_FLAGS, G_TAP_THREAD, G_WATCH_COUNT, T_STAT_TAPS_DROPPED,
  T_STAT_TAPS_SENT, WATCH_ENTRY_I32, WATCH_SLOTS,
} = layout;

export const TAPS_ENABLED = process.env.CAXTON_TAPS !== 'off';

/** The reading side, one per delivering thread. */
export class ConversationTap {
  private readonly i32: Int32Array;
  private readonly u8: Uint8Array;
  private readonly f64: Float64Array;
  private readonly table: number;
  private readonly stat: number;
  private readonly producers: readonly (RingProducer | undefined)[];
  private readonly halfRing: number;
  readonly enabled: boolean;
  private sent: number;
  private dropped: number;

  constructor(bus: Bus, thread: number, producers: readonly (RingProducer | undefined)[]) {
    this.i32 = bus.i32;
    this.u8 = bus.u8;
    this.f64 = bus.f64;
    this.table = bus.layout.watchOffset >> 2;
    this.stat = bus.threadF64(thread);
    this.producers = producers;
    this.halfRing = bus.layout.ringCapacity >> 1;
    this.enabled = TAPS_ENABLED;
    this.sent = this.f64[this.stat + T_STAT_TAPS_SENT]!;
    this.dropped = this.f64[this.stat + T_STAT_TAPS_DROPPED]!;
  }

  /** True when some conversation is being streamed (one plain load). */
  get active(): boolean {
    return this.enabled && this.i32[G_WATCH_COUNT] !== 0;
  }

  /** Is this conversation key in the watch table? */
  watched(lo: number, hi: number): boolean {
    if ((lo | hi) === 0) return false;
    const i32 = this.i32;
    for (let e = this.table, end = this.table + WATCH_SLOTS * WATCH_ENTRY_I32; e < end; e += WATCH_ENTRY_I32) {
      if (i32[e] === lo && i32[e + 1] === hi) return true;
    }
    return false;
  }

  /**
   * Copy the frame at `src[off..off+len)` to the tap thread if its
   * conversation is watched. Must be called when no frame of the current
   * handler is reserved in the producers (before the agent runs): the copy is
   * published at once.
   */
  offer(src: Uint8Array, off: number, len: number): void {
    const lo = readI32(src, off + FRAME_CONV_LO);
    const hi = readI32(src, off + FRAME_CONV_HI);
    if (!this.watched(lo, hi)) return;
    const target = Atomics.load(this.i32, G_TAP_THREAD);
    const p = target > 0 ? this.producers[target] : undefined;
    if (!p) return;
    // Copies never take the second half of the ring: replies to the API
    // thread share it and must not be refused because a stream is busy.
    const at = p.usedBytes() + len > this.halfRing ? -1 : p.reserve(len);
    if (at < 0) {
      // The tap thread is not keeping up: the stream misses this copy (the
      // message itself is delivered as usual). Counted for /metrics.
      this.f64[this.stat + T_STAT_TAPS_DROPPED] = ++this.dropped;
      return;
    }
    this.u8.set(src.subarray(off, off + len), at);
    this.u8[at + FRAME_FLAGS] = this.u8[at + FRAME_FLAGS]! | FLAG_TAP;
    // Published first, counted second: stats() reads this counter before the
    // ring counters, so a copy in between can only make in-flight look
    // larger for a moment, never smaller.
    p.publish();
    this.f64[this.stat + T_STAT_TAPS_SENT] = ++this.sent;
  }
}

function readI32(u8: Uint8Array, at: number): number {
  return (u8[at]! | (u8[at + 1]! << 8) | (u8[at + 2]! << 16) | (u8[at + 3]! << 24)) | 0;
}

/** The writing side: the API thread only. Entries are reference-counted per key. */
export class WatchTable {
  private readonly i32: Int32Array;
  private readonly table: number;
  private readonly refs = new Map<string, { entry: number; count: number }>();

  constructor(bus: Bus, tapThread: number) {
    this.i32 = bus.i32;
    this.table = bus.layout.watchOffset >> 2;
    Atomics.store(this.i32, G_TAP_THREAD, tapThread);
  }

  /** Watch a conversation; false when the table is full (WATCH_SLOTS streams at once). */
  add(lo: number, hi: number): boolean {
    const key = `${lo}:${hi}`;
    const r = this.refs.get(key);
    if (r) {
      r.count++;
      return true;
    }
    for (let i = 0; i < WATCH_SLOTS; i++) {
      const e = this.table + i * WATCH_ENTRY_I32;
      if (this.i32[e] === 0 && this.i32[e + 1] === 0) {
        Atomics.store(this.i32, e + 1, hi);
        Atomics.store(this.i32, e, lo);
        Atomics.add(this.i32, G_WATCH_COUNT, 1);
        this.refs.set(key, { entry: e, count: 1 });
        return true;
      }
    }
    return false;
  }

  remove(lo: number, hi: number): void {
    const key = `${lo}:${hi}`;
    const r = this.refs.get(key);
    if (!r || --r.count > 0) return;
    this.refs.delete(key);
    Atomics.store(this.i32, r.entry, 0);
    Atomics.store(this.i32, r.entry + 1, 0);
    Atomics.sub(this.i32, G_WATCH_COUNT, 1);
  }

  /** Forget every watch (the API thread is stopping). */
  clear(): void {
    for (const [key, r] of this.refs) {
      Atomics.store(this.i32, r.entry, 0);
      Atomics.store(this.i32, r.entry + 1, 0);
      this.refs.delete(key);
    }
    Atomics.store(this.i32, G_WATCH_COUNT, 0);
    Atomics.store(this.i32, G_TAP_THREAD, 0);
  }
}
