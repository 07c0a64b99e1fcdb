/**
 * The router table: agent slot -> (hosting thread, generation, stopped flag),
 * one i32 per slot in the bus buffer. Only the supervisor writes it
 * (Atomics.store); every thread reads it lock-free with one Atomics.load, so
 * thread and generation always come from the same write (no torn pair).
 */
import type { Bus } from './shared.js';
import * as layout from './layout.js';

// Layout constants copied into module constants: on the hot path an imported
// binding costs a cell load and a TDZ check at every use, a module constant
// does not (about 800 instructions per message on a worker; decision 0012).
const {
  ROUTE_GENERATION_SHIFT, ROUTE_STOPPED, ROUTE_THREAD_MASK, ROUTE_MAX_GENERATION,
} = layout;

export class RouterTable {
  private readonly i32: Int32Array;
  private readonly base: number;
  readonly size: number;

  constructor(bus: Bus) {
    this.i32 = bus.i32;
    this.base = bus.layout.routerOffset >> 2;
    this.size = bus.layout.maxAgents;
  }

  /** Raw entry of a valid slot; 0 = no agent. Decode with routeThread/routeGeneration/routeStopped. */
  read(slot: number): number {
    return Atomics.load(this.i32, this.base + slot);
  }

  /**
   * The entry of any slot number, as an agent or a frame gave it: 0 (no
   * agent) for one outside the table. The hot path's read: one compare and
   * one Atomics.load, inlined by the compiler.
   */
  lookup(slot: number): number {
    return slot >= 0 && slot < this.size ? Atomics.load(this.i32, this.base + slot) : 0;
  }

  set(slot: number, thread: number, generation: number, stopped: boolean): void {
    if (!Number.isInteger(slot) || slot < 0 || slot >= this.size) throw new RangeError(`slot ${slot} out of range 0..${this.size - 1}`);
    if (!Number.isInteger(thread) || thread < 0 || thread > ROUTE_THREAD_MASK) throw new RangeError(`thread ${thread} out of range 0..${ROUTE_THREAD_MASK}`);
    if (!Number.isInteger(generation) || generation < 1 || generation > ROUTE_MAX_GENERATION) throw new RangeError(`generation ${generation} out of range`);
    Atomics.store(this.i32, this.base + slot, (generation << ROUTE_GENERATION_SHIFT) | (stopped ? ROUTE_STOPPED : 0) | thread);
  }

  clear(slot: number): void {
    Atomics.store(this.i32, this.base + slot, 0);
  }
}

export function routeThread(entry: number): number {
  return entry & ROUTE_THREAD_MASK;
}

export function routeGeneration(entry: number): number {
  return entry >>> ROUTE_GENERATION_SHIFT;
}

export function routeStopped(entry: number): boolean {
  return (entry & ROUTE_STOPPED) !== 0;
}
