/**
 * The API thread's journal of accepted-but-unfinished external messages
 * (issue #16 item 8; decision 0016). Every Send and Invoke the API accepts
 * is written here before its caller hears OK; the rings' settled marks are
 * written beside them, so that after a `kill -9` the next start can tell
 * which accepted messages never reached an outcome (api/journal/recover.ts)
 * and dead-letter them LOST_IN_CRASH, or send a durable one again.
 *
 * Cost, and the switch for each trick (`journal: false` turns it all off):
 * - One line per message, built by string concatenation into one buffer; a
 *   job's records reach the file in one write(2) at the end of the job (the
 *   same microtask that publishes the job's frames, BusClient.publishAll).
 *   The caller's OK waits for that microtask (BusClient.afterJournal), so an
 *   OK is never sent for a message that is not in the file.
 * - write(2), not fsync: the page cache survives the process being killed,
 *   which is the crash this journal is for. A durable message (`durable:
 *   true`) also gets fdatasync before its OK, so it survives the machine.
 * - Settled marks are read from the rings (one f64 per worker) and written
 *   with a job's records when they moved, and every markIntervalMs while
 *   anything is unsettled, so a quiet server's last messages settle too.
 * - Files rotate at rotateBytes; a file is deleted once every message in it
 *   is settled. A clean stop deletes the run's files when everything is
 *   settled, and otherwise marks them stopped.
 */
import { closeSync, fdatasyncSync, mkdirSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { RingProducer } from '../../bus/ring.js';
import { JOURNAL_DIR, JOURNAL_VERSION, journalFileName, type DurablePart } from './format.js';

export interface JournalOptions {
  /** the data directory; files go to <dataDir>/journal */
  dataDir: string;
  /** this run's id (api/journal/recover.ts newRunId) */
  run: string;
  /** the API thread's producers, by consumer thread index */
  producers: readonly RingProducer[];
  /** a file is sealed and a new one started past this size (default 8 MiB) */
  rotateBytes?: number;
  /** how often marks are written while anything is unsettled, ms (default 100) */
  markIntervalMs?: number;
}

interface Sealed {
  path: string;
  /** the last ordinal recorded in it, by thread (0 = none) */
  last: Float64Array;
}

export class Journal {
  private readonly dir: string;
  private readonly run: string;
  private readonly producers: readonly RingProducer[];
  private readonly rotateBytes: number;
  private fd = -1;
  private path = '';
  private seq = 0;
  private size = 0;
  private buf = '';
  private durable = false;
  /** the last ordinal recorded this run, by thread; for the current file, and for each sealed one */
  private readonly last: Float64Array;
  private fileLast: Float64Array;
  private readonly marks: Float64Array;
  private readonly sealed: Sealed[] = [];
  private readonly timer: NodeJS.Timeout;
  /** resolves the callers waiting for this job's records (one promise per job, not per message) */
  private written: Promise<void> | undefined;
  private resolveWritten: (() => void) | undefined;
  private closed = false;
  /** messages journaled this run (a counter for tests and metrics) */
  records = 0;

  constructor(o: JournalOptions) {
    this.dir = join(o.dataDir, JOURNAL_DIR);
    this.run = o.run;
    this.producers = o.producers;
    this.rotateBytes = o.rotateBytes ?? 8 * 1024 * 1024;
    const n = o.producers.length;
    this.last = new Float64Array(n);
    this.fileLast = new Float64Array(n);
    this.marks = new Float64Array(n);
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    this.open();
    this.timer = setInterval(() => this.tick(), o.markIntervalMs ?? 100);
    this.timer.unref();
  }

  /**
   * Note one accepted message: its frame is the `ordinal`-th of the ring to
   * `thread`. Written at the end of the job (flush).
   */
  record(thread: number, ordinal: number, messageId: string, agent: string, performative: string, conversation: string, at: number, durable: DurablePart | undefined): void {
    let line = '{"m":"' + messageId + '","a":' + JSON.stringify(agent) + ',"p":"' + performative + '"';
    if (conversation !== '') line += ',"c":' + JSON.stringify(conversation);
    line += ',"t":' + thread + ',"o":' + ordinal + ',"at":' + at;
    if (durable !== undefined) {
      line += ',"d":' + JSON.stringify(durable);
      this.durable = true;
    }
    this.buf += line + '}\n';
    this.last[thread] = ordinal;
    this.fileLast[thread] = ordinal;
    this.records++;
  }

  /** True when records wait for flush(). */
  get pending(): boolean {
    return this.buf.length !== 0;
  }

  /** A promise that resolves once this job's records are written (flush() resolves it). */
  afterWrite(): Promise<void> {
    if (this.buf.length === 0) return Promise.resolve();
    this.written ??= new Promise((resolve) => { this.resolveWritten = resolve; });
    return this.written;
  }

  /** Write this job's records (and the marks, when they moved) in one write; fdatasync when one was durable. */
  flush(): void {
    if (this.buf.length === 0 || this.closed) return;
    const text = this.buf + this.marksLine();
    this.buf = '';
    this.write(text);
    if (this.durable) {
      this.durable = false;
      fdatasyncSync(this.fd);
    }
    const resolve = this.resolveWritten;
    this.written = undefined;
    this.resolveWritten = undefined;
    resolve?.();
    if (this.size >= this.rotateBytes) this.rotate();
  }

  /** Stop: final marks; delete every file when all is settled, else mark the run stopped and keep its files. */
  close(): void {
    if (this.closed) return;
    this.flush();
    clearInterval(this.timer);
    this.closed = true;
    this.readMarks();
    if (this.allSettled(this.last)) {
      closeSync(this.fd);
      this.unlink(this.path);
      for (const s of this.sealed) this.unlink(s.path);
      this.sealed.length = 0;
      return;
    }
    this.write(this.marksLine(true) + '{"end":"stopped","at":' + Date.now() + '}\n');
    closeSync(this.fd);
  }

  /** The files of this run still on disk (tests). */
  get files(): string[] {
    return [...this.sealed.map((s) => s.path), this.path];
  }

  // ---------------------------------------------------------------- internals

  private open(): void {
    this.seq++;
    this.path = join(this.dir, journalFileName(this.run, this.seq));
    this.fd = openSync(this.path, 'a', 0o600);
    this.size = 0;
    this.fileLast = new Float64Array(this.producers.length);
    this.write('{"run":"' + this.run + '","pid":' + process.pid + ',"at":' + Date.now() + ',"v":' + JOURNAL_VERSION + '}\n' + this.marksLine(true));
  }

  private write(text: string): void {
    const b = Buffer.from(text, 'utf8');
    let off = 0;
    while (off < b.length) off += writeSync(this.fd, b, off, b.length - off);
    this.size += b.length;
  }

  /** Read every ring's settled mark; true when one moved. */
  private readMarks(): boolean {
    let moved = false;
    for (let t = 0; t < this.producers.length; t++) {
      if (this.last[t] === 0) continue; // nothing of ours ever went there
      const s = this.producers[t]!.settledFrames();
      if (s !== this.marks[t]) {
        this.marks[t] = s;
        moved = true;
      }
    }
    return moved;
  }

  /** The marks as a line, when they moved since the last one written (or `always`), else ''. */
  private marksLine(always = false): string {
    if (!this.readMarks() && !always) return '';
    return '{"s":[' + this.marks.join(',') + '],"at":' + Date.now() + '}\n';
  }

  private allSettled(last: Float64Array): boolean {
    for (let t = 0; t < last.length; t++) if (last[t]! > this.marks[t]!) return false;
    return true;
  }

  /** Every markIntervalMs: marks while anything is unsettled; sealed files that settled are deleted. */
  private tick(): void {
    if (this.closed) return;
    if (this.buf.length !== 0) return; // the job's flush comes first, with the marks
    const line = this.marksLine();
    if (line !== '') this.write(line);
    for (let i = this.sealed.length - 1; i >= 0; i--) {
      if (this.allSettled(this.sealed[i]!.last)) {
        this.unlink(this.sealed[i]!.path);
        this.sealed.splice(i, 1);
      }
    }
    // A settled file past a MiB starts over, so a quiet server keeps a small journal.
    if (this.size > 1024 * 1024 && this.allSettled(this.fileLast)) this.rotate();
  }

  private rotate(): void {
    closeSync(this.fd);
    this.sealed.push({ path: this.path, last: this.fileLast });
    this.open();
  }

  private unlink(path: string): void {
    try {
      unlinkSync(path);
    } catch {
      // gone already: nothing to keep
    }
  }
}
