/**
 * Span recording on a worker thread (docs/decisions/0010-span-recording.md).
 *
 * A sampled message costs its worker a few stores into preallocated typed
 * arrays, not an OpenTelemetry SDK span: building and exporting a span with
 * the SDK took about 5 µs of the worker's time, and a sampled conversation
 * makes one per hop. Batches go, copied (never transferred: see flush), over
 * a port of the worker's own to the span export thread
 * (runtime/observability/span-export-thread.ts), which encodes them as OTLP and sends them
 * with the OpenTelemetry exporter's transport.
 *
 * One record per handled sampled message, REC_WORDS int32 words:
 *   trace id (4 words, as the frame holds it), parent span id (2, the
 *   sender's span), span id (2, this hop's, made here), conversation id (lo,
 *   hi), performative, caxton_handle's return code, and the indexes of the
 *   agent's name, the sender's name and the error message (-1: none) in the
 *   batch's `names`;
 * and two f64 (start and end, ms since the epoch). A batch carries each
 * distinct string once: cloning three strings per record into the export
 * thread cost the throughput benchmark several per cent, a few hundred
 * distinct names per batch cost nothing measurable.
 *
 * A batch leaves when it is full, when the worker is about to sleep and the
 * batch is IDLE_FLUSH_MS old (the pump's beforeSleep), or at the first drain
 * after it is MAX_AGE_MS old: spans reach the exporter within about a second
 * without a timer per record, and a busy worker sends few, full batches. Records of a worker that
 * is killed (watchdog) before its batch left are lost, as the spans of an SDK
 * that dies with its thread would be.
 */
import { performance } from 'node:perf_hooks';

/** This thread's time origin (epoch ms), read once: the getter calls into C++ each time. */
const TIME_ORIGIN = performance.timeOrigin;

export const REC_WORDS = 15;
export const R_TRACE = 0;
export const R_PARENT = 4;
export const R_SPAN = 6;
export const R_CONV_LO = 8;
export const R_CONV_HI = 9;
export const R_PERF = 10;
export const R_STATUS = 11;
export const R_AGENT = 12;
export const R_SENDER = 13;
export const R_ERROR = 14;

/**
 * Records per batch. Every batch sent wakes the export thread, and on a
 * machine whose cores the workers keep busy a wake-up preempts a worker: the
 * throughput benchmark (about 17,000 sampled hops a second per worker) lost
 * more to 200 small batches a second than to the spans themselves. 2048
 * records make about 8 batches a second there (128 KiB each).
 */
export const BATCH_RECORDS = 2048;
/** A batch leaves when its worker is about to sleep, if its first record is this old (ms). */
export const IDLE_FLUSH_MS = 100;
/** A batch leaves at the latest this long after its first record (ms), checked at each drain; a sleeping worker drains at least once a second. */
export const MAX_AGE_MS = 500;

export interface SpanBatch {
  readonly type: 'spans';
  /** the worker thread that recorded them (the spans' resource says so) */
  readonly thread: number;
  readonly count: number;
  /** count × REC_WORDS */
  readonly words: Int32Array;
  /** count × 2: start, end (ms since the epoch) */
  readonly times: Float64Array;
  /** the batch's distinct strings (names, error messages), indexed by R_AGENT, R_SENDER, R_ERROR */
  readonly names: string[];
}

/** The string a record's R_AGENT, R_SENDER or R_ERROR word points at ('' for -1). */
export function recordText(b: SpanBatch, record: number, field: number): string {
  const k = b.words[record * REC_WORDS + field]!;
  return k < 0 ? '' : b.names[k]!;
}

/** Span ids drawn per refill of the random pool (two words each). */
const ID_POOL_WORDS = 1024;

export class SpanRecorder {
  private readonly thread: number;
  private readonly send: (batch: SpanBatch) => void;
  private readonly words = new Int32Array(BATCH_RECORDS * REC_WORDS);
  private readonly times = new Float64Array(BATCH_RECORDS * 2);
  private names: string[] = [];
  private readonly nameIndex = new Map<string, number>();
  private count = 0;
  private firstAt = 0;
  /** random words for span ids, refilled from crypto when used up */
  private readonly ids = new Int32Array(ID_POOL_WORDS);
  private idAt = ID_POOL_WORDS;
  /** records handed on since the thread started */
  recorded = 0;

  /** `send` posts the batch (structured clone: the receiver gets copies of its arrays). */
  constructor(thread: number, send: (batch: SpanBatch) => void) {
    this.thread = thread;
    this.send = send;
  }

  /**
   * Open the record of a sampled message whose trace context is
   * `src[tw..tw+5]` (trace id, sender's span id). This hop's span context
   * (trace id, new span id) is written to `out[0..5]`: the agent's sends
   * carry it as their parent.
   */
  begin(src: Int32Array, tw: number, out: Int32Array, convLo: number, convHi: number, perf: number, agent: string, sender: string): void {
    const w = this.words;
    const r = this.count * REC_WORDS;
    w[r + R_TRACE] = out[0] = src[tw]!;
    w[r + R_TRACE + 1] = out[1] = src[tw + 1]!;
    w[r + R_TRACE + 2] = out[2] = src[tw + 2]!;
    w[r + R_TRACE + 3] = out[3] = src[tw + 3]!;
    w[r + R_PARENT] = src[tw + 4]!;
    w[r + R_PARENT + 1] = src[tw + 5]!;
    // A span id is 8 random bytes, never all zero (W3C trace context).
    let lo: number;
    let hi: number;
    do {
      if (this.idAt === ID_POOL_WORDS) {
        crypto.getRandomValues(this.ids);
        this.idAt = 0;
      }
      lo = this.ids[this.idAt++]!;
      hi = this.ids[this.idAt++]!;
    } while ((lo | hi) === 0);
    w[r + R_SPAN] = out[4] = lo;
    w[r + R_SPAN + 1] = out[5] = hi;
    w[r + R_CONV_LO] = convLo;
    w[r + R_CONV_HI] = convHi;
    w[r + R_PERF] = perf;
    w[r + R_AGENT] = this.intern(agent);
    w[r + R_SENDER] = this.intern(sender);
    this.times[this.count * 2] = TIME_ORIGIN + performance.now();
  }

  /**
   * Close the record `begin` opened (calls do not nest on a thread):
   * caxton_handle's return code, and what went wrong when it is not 0.
   */
  end(status: number, error: string): void {
    this.words[this.count * REC_WORDS + R_STATUS] = status;
    const now = performance.now();
    this.times[this.count * 2 + 1] = TIME_ORIGIN + now;
    this.words[this.count * REC_WORDS + R_ERROR] = error === '' ? -1 : this.intern(error);
    if (this.count++ === 0) this.firstAt = now;
    if (this.count === BATCH_RECORDS) this.flush();
  }

  /** Hand on a batch whose first record is at least `ageMs` old (`now`: performance.now()). */
  flushIfOld(now: number, ageMs: number): void {
    if (this.count !== 0 && now - this.firstAt >= ageMs) this.flush();
  }

  private intern(s: string): number {
    let k = this.nameIndex.get(s);
    if (k === undefined) {
      k = this.names.length;
      this.names.push(s);
      this.nameIndex.set(s, k);
    }
    return k;
  }

  /**
   * Hand on what is recorded (if anything) and start a new batch in the same
   * arrays.
   *
   * The batch is copied by the structured clone, never transferred. Detaching
   * an ArrayBuffer (which a transfer does) invalidates V8's isolate-wide
   * "array buffer detaching" protector for good, and from then on every
   * optimised typed-array access on this thread, ring-buffer reads and
   * writes included, carries a detached-buffer check. Transferring
   * 20 batches a second cost the throughput benchmark about 15 % on
   * every message; copying 150 KiB 20 times a second costs nothing
   * measurable (docs/decisions/0010-span-recording.md).
   */
  flush(): void {
    const n = this.count;
    if (n === 0) return;
    // A full batch is cloned as it is; a partial one is cut first, so that only its records are copied.
    const full = n === BATCH_RECORDS;
    const batch: SpanBatch = {
      type: 'spans', thread: this.thread, count: n,
      words: full ? this.words : this.words.slice(0, n * REC_WORDS),
      times: full ? this.times : this.times.slice(0, n * 2),
      names: this.names,
    };
    this.send(batch);
    this.recorded += n;
    this.names = [];
    this.nameIndex.clear();
    this.count = 0;
  }
}
