/**
 * Typed views over the bus SharedArrayBuffer. Every thread builds one Bus from
 * the same buffer; the views are created once here, never per message.
 */
import {
  BUS_MAGIC, BUS_VERSION, G_MAGIC, G_VERSION, G_THREADS, G_RING_CAPACITY, G_MAX_AGENTS,
  THREAD_BLOCK_BYTES, THREAD_METRICS_BYTES, computeLayout, type BusLayout,
} from './layout.js';

export interface BusInit {
  readonly buffer: SharedArrayBuffer;
  readonly threads: number;
  readonly ringCapacity: number;
  readonly maxAgents: number;
}

export class Bus {
  readonly buffer: SharedArrayBuffer;
  readonly layout: BusLayout;
  readonly i32: Int32Array;
  readonly u8: Uint8Array;
  readonly f64: Float64Array;

  constructor(init: BusInit) {
    this.buffer = init.buffer;
    this.layout = computeLayout(init.threads, init.ringCapacity, init.maxAgents);
    if (this.buffer.byteLength < this.layout.totalBytes) {
      throw new RangeError(`bus buffer is ${this.buffer.byteLength} bytes, layout needs ${this.layout.totalBytes}`);
    }
    this.i32 = new Int32Array(this.buffer);
    this.u8 = new Uint8Array(this.buffer);
    this.f64 = new Float64Array(this.buffer);
  }

  /** Allocate and stamp a new bus (supervisor only). */
  static create(threads: number, ringCapacity: number, maxAgents: number): Bus {
    const layout = computeLayout(threads, ringCapacity, maxAgents);
    const bus = new Bus({ buffer: new SharedArrayBuffer(layout.totalBytes), threads, ringCapacity, maxAgents });
    bus.i32[G_MAGIC] = BUS_MAGIC;
    bus.i32[G_VERSION] = BUS_VERSION;
    bus.i32[G_THREADS] = threads;
    bus.i32[G_RING_CAPACITY] = ringCapacity;
    bus.i32[G_MAX_AGENTS] = maxAgents;
    return bus;
  }

  /** What another thread needs to attach to this bus (structured-clonable). */
  get init(): BusInit {
    const { threads, ringCapacity, maxAgents } = this.layout;
    return { buffer: this.buffer, threads, ringCapacity, maxAgents };
  }

  /** i32 index of the start of a thread's block. */
  threadI32(thread: number): number {
    return (this.layout.threadBlocksOffset + thread * THREAD_BLOCK_BYTES) >> 2;
  }

  /** f64 index of the start of a thread's block. */
  threadF64(thread: number): number {
    return (this.layout.threadBlocksOffset + thread * THREAD_BLOCK_BYTES) >> 3;
  }

  /** f64 index of the start of a thread's metrics block (layout.ts M_*). */
  metricsF64(thread: number): number {
    return (this.layout.metricsOffset + thread * THREAD_METRICS_BYTES) >> 3;
  }
}
