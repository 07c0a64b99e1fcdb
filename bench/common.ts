/** Shared pieces of the benchmark scenarios. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Path of an example agent built by `npm run build:agents` (dist/agents/NAME.wasm). */
export function agentPath(name: string): string {
  return fileURLToPath(new URL(`../agents/${name}.wasm`, import.meta.url));
}

export function loadAgent(name: string): Uint8Array {
  try {
    return readFileSync(agentPath(name));
  } catch {
    throw new Error(`example agent "${name}" is not built (${agentPath(name)} is missing): run \`npm run build\` first`);
  }
}

/** Run `fn` every `everyMs` until the promise settles (used to drive progress bars). */
export async function withTicker<T>(p: Promise<T>, everyMs: number, fn: () => void): Promise<T> {
  const t = setInterval(fn, everyMs);
  try {
    return await p;
  } finally {
    clearInterval(t);
    fn();
  }
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Pair `i` of an alternating comparison (decision 0011): runs `a` and `b`
 * one after the other, `a` first in even pairs and `b` first in odd ones, so
 * that a steady drift of the machine's speed favours neither. Returns
 * [a's result, b's result].
 */
export async function pairInTurn<A, B>(i: number, a: () => Promise<A>, b: () => Promise<B>): Promise<[A, B]> {
  if (i % 2 === 0) {
    const x = await a();
    return [x, await b()];
  }
  const y = await b();
  return [await a(), y];
}

/** `x` rounded to `digits` decimals. */
export function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
