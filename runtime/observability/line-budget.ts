/**
 * At most `perWindow` log lines of one kind per window (default a second);
 * the rest are counted, and the count is reported once the window is over
 * (by the next line, or by a timer when no line follows), so a flood of
 * stderr or of failed calls costs a bounded number of lines and is never
 * silently dropped. The timer is unref'd: it never keeps a process alive.
 */
export class LineBudget {
  private readonly perWindow: number;
  private readonly windowMs: number;
  private readonly onSkipped: (skipped: number) => void;
  private readonly now: () => number;
  private windowStart = -Infinity;
  private used = 0;
  private skipped = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(perWindow: number, onSkipped: (skipped: number) => void, options: { windowMs?: number; now?: () => number } = {}) {
    this.perWindow = perWindow;
    this.onSkipped = onSkipped;
    this.windowMs = options.windowMs ?? 1000;
    this.now = options.now ?? Date.now;
  }

  /** May this line be written? false: it was counted instead, as `count` (a line that stands for several events). */
  take(count = 1): boolean {
    const now = this.now();
    if (now - this.windowStart >= this.windowMs) {
      this.flush();
      this.windowStart = now;
      this.used = 0;
    }
    if (++this.used <= this.perWindow) return true;
    if (this.skipped === 0) {
      this.timer = setTimeout(() => this.flush(), Math.max(1, this.windowStart + this.windowMs - now));
      this.timer.unref();
    }
    this.skipped += count;
    return false;
  }

  /** Report what was counted and not written (nothing when nothing was). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.skipped === 0) return;
    const n = this.skipped;
    this.skipped = 0;
    this.onSkipped(n);
  }
}
