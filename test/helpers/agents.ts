// Paths of the agents built from this repo's sources by `npm run build`.
import { readFileSync } from 'node:fs';
import { show, WAIT_MS, within } from './wait.js';

export function example(name: string): Uint8Array {
  return readFileSync(new URL(`../../dist/agents/${name}.wasm`, import.meta.url));
}

export function fixture(name: string): Uint8Array {
  return readFileSync(new URL(`../../dist/fixtures/${name}.wasm`, import.meta.url));
}

/**
 * A queue of frames received by an endpoint, awaited one by one (no sleeps);
 * a wait that gets nothing within `timeoutMs` fails saying what it got.
 */
export class Inbox<T> {
  private items: T[] = [];
  private waiters: ((v: T) => void)[] = [];
  push = (v: T): void => {
    const w = this.waiters.shift();
    if (w) w(v);
    else this.items.push(v);
  };
  next(timeoutMs = WAIT_MS): Promise<T> {
    const v = this.items.shift();
    if (v !== undefined) return Promise.resolve(v);
    let waiter!: (v: T) => void;
    const arrived = new Promise<T>((r) => {
      waiter = r;
      this.waiters.push(r);
    });
    return within(arrived, 'the next item in the inbox', { timeoutMs }).catch((e: unknown) => {
      // Nobody waits any more: an item that comes later stays in the queue.
      this.waiters = this.waiters.filter((w) => w !== waiter);
      throw e;
    });
  }
  /** `n` items; fails when `timeoutMs` passes without a new one (a stall, however long the whole takes). */
  async take(n: number, timeoutMs = WAIT_MS): Promise<T[]> {
    const out: T[] = [];
    for (let i = 0; i < n; i++) {
      try {
        out.push(await this.next(timeoutMs));
      } catch (e) {
        throw new Error(`${n} items in the inbox: only ${out.length} came (${(e as Error).message}); last seen: ${show(out.slice(-5))}`, { cause: e });
      }
    }
    return out;
  }
  get size(): number {
    return this.items.length;
  }
}
