// Paths of the agents built from this repo's sources by `npm run build`.
import { readFileSync } from 'node:fs';

export function example(name: string): Uint8Array {
  return readFileSync(new URL(`../../dist/agents/${name}.wasm`, import.meta.url));
}

export function fixture(name: string): Uint8Array {
  return readFileSync(new URL(`../../dist/fixtures/${name}.wasm`, import.meta.url));
}

/** A queue of frames received by an endpoint, awaited one by one (no sleeps). */
export class Inbox<T> {
  private items: T[] = [];
  private waiters: ((v: T) => void)[] = [];
  push = (v: T): void => {
    const w = this.waiters.shift();
    if (w) w(v);
    else this.items.push(v);
  };
  next(): Promise<T> {
    const v = this.items.shift();
    if (v !== undefined) return Promise.resolve(v);
    return new Promise((r) => this.waiters.push(r));
  }
  async take(n: number): Promise<T[]> {
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(await this.next());
    return out;
  }
  get size(): number {
    return this.items.length;
  }
}
