/**
 * What a worker tells the supervisor besides frames: dead-letter records and
 * agents' log lines. They are batched and posted on the worker's control
 * port (structured clone), never on the message path: one post per drain
 * or per turn of the event loop, not one per record.
 *
 * The counters that make them add up (T_STAT_DEAD_LETTERED) live on the bus
 * and are bumped by the caller when the record is made; the supervisor waits
 * until every counted dead letter has its record (Runtime.waitIdle).
 */
import type { AgentLogRecord, DeadLetterRecord, FromWorker } from '../thread-messages.js';

/** Log lines held before they are posted even if the loop is busy. */
const MAX_PENDING_LOGS = 1000;

export class Reports {
  private deadLetters: DeadLetterRecord[] = [];
  private logs: AgentLogRecord[] = [];
  private flushScheduled = false;
  private readonly post: (m: FromWorker) => void;
  private readonly flushNow = (): void => {
    this.flushScheduled = false;
    this.flush();
  };

  constructor(post: (m: FromWorker) => void) {
    this.post = post;
  }

  get pending(): boolean {
    return this.deadLetters.length !== 0 || this.logs.length !== 0;
  }

  get pendingDeadLetters(): boolean {
    return this.deadLetters.length !== 0;
  }

  deadLetter(record: DeadLetterRecord): void {
    this.deadLetters.push(record);
  }

  /** A log line; posted at the next turn of the event loop, or at once when many wait. */
  log(record: AgentLogRecord): void {
    this.logs.push(record);
    if (this.logs.length > MAX_PENDING_LOGS) this.flush();
    else this.scheduleFlush();
  }

  /** Post what is pending: dead letters first, then log lines. */
  flush(): void {
    if (this.deadLetters.length) {
      this.post({ type: 'dead-letters', records: this.deadLetters });
      this.deadLetters = [];
    }
    if (this.logs.length) {
      this.post({ type: 'logs', records: this.logs });
      this.logs = [];
    }
  }

  scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(this.flushNow);
  }
}
