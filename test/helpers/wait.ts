// Waiting in tests, always with a deadline. A wait whose event never comes
// fails with what it waited for and what it last saw, instead of hanging
// until tap's own time-out (which kills the test process: its teardowns
// never run and the servers it started outlive the run).
//
// The deadlines are generous backstops, reached only when something is
// broken; they are never what a test measures.

/** The default deadline of every wait. */
export const WAIT_MS = 30_000;

export interface WaitOptions {
  /** give up after this long (default WAIT_MS) */
  timeoutMs?: number;
  /** what the wait has seen so far, for the error message */
  seen?: () => unknown;
}

export interface PollOptions {
  /** give up after this long (default WAIT_MS) */
  timeoutMs?: number;
  /** pause between two checks; 0 = one event-loop turn (setImmediate). Default 10 ms. */
  intervalMs?: number;
}

/** A value for an error message: JSON where it can be, cut to a readable length. */
export function show(v: unknown): string {
  let s: string;
  if (typeof v === 'string') s = v;
  else {
    try {
      s = JSON.stringify(v, (_, x: unknown) => (typeof x === 'bigint' ? String(x) : x)) ?? String(v);
    } catch {
      s = String(v);
    }
  }
  return s.length > 4000 ? `${s.slice(0, 4000)}... (${s.length} characters)` : s;
}

/**
 * `p`, or an Error once `timeoutMs` has passed: "WHAT: not within N ms;
 * last seen: ...". The timer is cleared either way (no handle keeps the process
 * alive). What `p` was waiting on is left to the caller to cancel.
 */
export async function within<T>(p: Promise<T>, what: string, opts: WaitOptions = {}): Promise<T> {
  const ms = opts.timeoutMs ?? WAIT_MS;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      let seen = '';
      if (opts.seen) {
        try {
          seen = `; last seen: ${show(opts.seen())}`;
        } catch (e) {
          seen = `; last seen: (unreadable: ${String(e)})`;
        }
      }
      reject(new Error(`${what}: not within ${ms} ms${seen}`));
    }, ms);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Calls `observe` until `done` holds for what it returns, and resolves with
 * that value. Once `timeoutMs` has passed (even in the middle of a call to
 * `observe` that does not return) it rejects with an Error naming `what` and
 * the last value observed. An error thrown by `observe` ends the wait with
 * that error.
 */
export function waitUntil<T, U extends T>(observe: () => T | Promise<T>, done: (value: T) => value is U, what: string, opts?: PollOptions): Promise<U>;
export function waitUntil<T>(observe: () => T | Promise<T>, done: (value: T) => boolean, what: string, opts?: PollOptions): Promise<T>;
export async function waitUntil<T>(observe: () => T | Promise<T>, done: (value: T) => boolean, what: string, opts: PollOptions = {}): Promise<T> {
  const interval = opts.intervalMs ?? 10;
  let last: { value: T } | undefined;
  let over = false;
  const poll = async (): Promise<T> => {
    for (;;) {
      const value = await observe();
      last = { value };
      if (done(value)) return value;
      if (over) return value; // the wait has already failed: just stop
      await new Promise((r) => (interval > 0 ? setTimeout(r, interval) : setImmediate(r)));
    }
  };
  try {
    return await within(poll(), what, {
      timeoutMs: opts.timeoutMs,
      seen: () => (last ? last.value : '(nothing: the first check has not returned)'),
    });
  } finally {
    over = true;
  }
}
