/**
 * The time agents see and their timers run on (caxton.now, caxton.set_timer,
 * the WASI clocks). Real by default. A runtime started with a virtual clock
 * (Runtime option `virtualClock: true`, used by the test kit, caxton/testing)
 * gives agents a time that moves only when the test says so
 * (Runtime.advanceClock): timers then fire in due order, at once, however
 * far the clock jumps, and a test of an agent's timers never waits for them.
 *
 * The virtual time is one BigInt64 cell of shared memory (microseconds since
 * the epoch) that the supervisor writes and every worker reads with Atomics:
 * all agents see the same time. The choice is made at construction; the
 * real clock pays nothing for the virtual one.
 */
import { performance } from 'node:perf_hooks';

/** This thread's time origin (epoch ms): performance.timeOrigin is a getter that calls into C++ each time. */
const TIME_ORIGIN = performance.timeOrigin;

export type TimerHandle = unknown;

export interface AgentClock {
  /** ms since the epoch, with a sub-millisecond fraction */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
  /** virtual clock: run every timer now due (the supervisor moved the time); the real clock has none waiting */
  fireDue(): void;
}

export const realClock: AgentClock = {
  now: () => TIME_ORIGIN + performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  fireDue: () => undefined,
};

interface VirtualTimer { due: number; seq: number; fn: () => void }

/** A shared cell for the virtual time, starting at `startMs` (epoch ms). */
export function virtualTimeCell(startMs: number): SharedArrayBuffer {
  const sab = new SharedArrayBuffer(8);
  Atomics.store(new BigInt64Array(sab), 0, BigInt(Math.round(startMs * 1000)));
  return sab;
}

/** Move the virtual time in `cell` on by `ms` (never back); returns the new time, epoch ms. */
export function advanceTimeCell(cell: SharedArrayBuffer, ms: number): number {
  const a = new BigInt64Array(cell);
  const next = Atomics.load(a, 0) + BigInt(Math.round(Math.max(0, ms) * 1000));
  Atomics.store(a, 0, next);
  return Number(next) / 1000;
}

export class VirtualClock implements AgentClock {
  private readonly cell: BigInt64Array;
  /** pending timers, in due order (then in the order they were set) */
  private readonly timers: VirtualTimer[] = [];
  private seq = 0;
  /** while a timer fires: its due time, which is "now" for its handler (-1: none firing) */
  private firing = -1;

  constructor(cell: SharedArrayBuffer) {
    this.cell = new BigInt64Array(cell);
  }

  now(): number {
    return this.firing >= 0 ? this.firing : Number(Atomics.load(this.cell, 0)) / 1000;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const t: VirtualTimer = { due: this.now() + Math.max(0, ms), seq: ++this.seq, fn };
    let i = this.timers.length;
    while (i > 0 && this.timers[i - 1]!.due > t.due) i--;
    this.timers.splice(i, 0, t);
    return t;
  }

  clearTimeout(handle: TimerHandle): void {
    const i = this.timers.indexOf(handle as VirtualTimer);
    if (i >= 0) this.timers.splice(i, 1);
  }

  /**
   * Timers due by now, in due order, each seeing its due time as "now" (as
   * it would on a real clock), so a timer that sets the next one (a periodic
   * tick) fires as often in one long advance as in many short ones.
   */
  fireDue(): void {
    const end = Number(Atomics.load(this.cell, 0)) / 1000;
    while (this.timers.length > 0 && this.timers[0]!.due <= end) {
      const t = this.timers.shift()!;
      this.firing = t.due;
      try {
        t.fn();
      } finally {
        this.firing = -1;
      }
    }
  }
}
