/**
 * Waiting with a deadline, for the test kit (testing/index.ts): a mailbox of
 * messages agents sent to a name the test owns, and the one wait every other
 * wait of the kit is made of. No polling: a wait wakes when something
 * arrives, and fails at its deadline saying what it waited for.
 */
import type { DecodedFrame } from '../bus/frame.js';

/** A wait of the test kit passed its deadline. */
export class TestTimeoutError extends Error {
  readonly code = 'TEST_TIMEOUT';
}

/**
 * Resolves with `check()`'s first defined result: now, or after a wake-up
 * (`subscribe` is given the wake function and returns how to unsubscribe);
 * rejects with TestTimeoutError(`why()`) after `within` ms.
 */
export function waitFor<T>(check: () => T | undefined, subscribe: (wake: () => void) => () => void, within: number, why: () => string): Promise<T> {
  const now = check();
  if (now !== undefined) return Promise.resolve(now);
  return new Promise<T>((resolve, reject) => {
    const wake = (): void => {
      const v = check();
      if (v === undefined) return;
      clearTimeout(timer);
      unsubscribe();
      resolve(v);
    };
    const unsubscribe = subscribe(wake);
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new TestTimeoutError(why()));
    }, within);
  });
}

export class Mailbox {
  readonly name: string;
  private readonly queue: DecodedFrame[] = [];
  private readonly waiters = new Set<() => void>();

  constructor(name: string) {
    this.name = name;
  }

  /** @internal the kit's endpoint handler */
  push(frame: DecodedFrame): void {
    this.queue.push(frame);
    for (const w of [...this.waiters]) w();
  }

  /** Messages received and not yet taken. */
  get pending(): readonly DecodedFrame[] {
    return this.queue;
  }

  /** Take the oldest message, waiting for one up to `within` ms (default 2000). */
  next(options: { within?: number } = {}): Promise<DecodedFrame> {
    return this.expect(() => true, options);
  }

  /**
   * Take the oldest message that `match` accepts (a performative, or a
   * predicate), waiting for it up to `within` ms; others stay queued.
   */
  expect(match: string | ((m: DecodedFrame) => boolean), options: { within?: number } = {}): Promise<DecodedFrame> {
    const within = options.within ?? 2000;
    const test = typeof match === 'string' ? (m: DecodedFrame) => m.performative === match : match;
    const take = (): DecodedFrame | undefined => {
      const i = this.queue.findIndex(test);
      return i < 0 ? undefined : this.queue.splice(i, 1)[0];
    };
    return waitFor(take, (wake) => {
      this.waiters.add(wake);
      return () => this.waiters.delete(wake);
    }, within, () => `mailbox "${this.name}": no ${typeof match === 'string' ? `"${match}" message` : 'matching message'} within ${within} ms (${this.queue.length} other(s) waiting: ${this.queue.slice(0, 5).map((m) => `${m.performative} ${JSON.stringify(m.content)}`).join('; ') || 'none'})`);
  }
}
