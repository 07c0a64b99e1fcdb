/**
 * The supervisor's side of span export: starts the span export thread
 * (runtime/observability/span-export-thread.ts) when tracing is on, gives each worker a
 * port straight to it (span batches never pass through the supervisor), and
 * reads its counters.
 */
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { SpanBatch } from './span-recorder.js';
import type { Logger } from './logger.js';

export interface SpanExportInput {
  /** [received, exported, failed, dropped], written by the export thread */
  readonly counters: Float64Array;
}

export const C_RECEIVED = 0;
export const C_EXPORTED = 1;
export const C_FAILED = 2;
export const C_DROPPED = 3;

/** On the control port (supervisor -> export thread). */
export type ToSpanExport =
  /** a worker's span port: batches arrive on it until it closes */
  | { type: 'source'; port: MessagePort }
  /** wait (bounded) for every source to close, export what is queued, stop */
  | { type: 'shutdown'; waitForSourcesMs: number };
export type FromSpanExport =
  | { type: 'ready' }
  | { type: 'closed' }
  /** an export request failed: its spans are lost (counted in C_FAILED) */
  | { type: 'export-failed'; spans: number; error: string };
/** On a worker's span port. */
export type SpanSourceMessage = SpanBatch;

export interface SpanCounts {
  /** records the export thread received from the workers */
  readonly received: number;
  /** spans the exporter delivered */
  readonly exported: number;
  /** spans whose export failed (collector down, refused, timed out) */
  readonly failed: number;
  /** spans dropped because the export queue was full (OTEL_BSP_MAX_QUEUE_SIZE) */
  readonly dropped: number;
}

/** How often the failures after the first are summed up in one line. */
export const FAILURE_SUMMARY_MS = 60_000;

/**
 * Export failures in the server log: the first at once (with the
 * exporter's reason, so a wrong endpoint shows at the first export), then at
 * most one line per FAILURE_SUMMARY_MS summing up the failed requests and
 * spans since, and the spans dropped because the queue was full. A failure
 * after a quiet period is logged at once again.
 */
export class ExportFailureLog {
  private failedSpans = 0;
  private failedRequests = 0;
  private lastError = '';
  /** a line was written in this period: further failures wait for the summary */
  private reported = false;
  private droppedSeen = 0;

  constructor(private readonly logger: Logger, private readonly dropped: () => number) {}

  failed(spans: number, error: string): void {
    if (!this.reported) {
      this.reported = true;
      this.logger.warn({ spans, error }, `span export failed: ${error} (${spans} spans lost); check OTEL_EXPORTER_OTLP_ENDPOINT and that the collector is up. Further failures are summed up every ${FAILURE_SUMMARY_MS / 1000} s`);
      return;
    }
    this.failedSpans += spans;
    this.failedRequests++;
    this.lastError = error;
  }

  /** The end of a period: one line for what failed or was dropped during it, if anything. */
  summarize(): void {
    const dropped = this.dropped() - this.droppedSeen;
    this.droppedSeen += dropped;
    if (this.failedRequests === 0 && dropped === 0) {
      this.reported = false;
      return;
    }
    const parts: string[] = [];
    if (this.failedRequests > 0) parts.push(`${this.failedSpans} spans in ${this.failedRequests} more export request(s) failed (last error: ${this.lastError})`);
    if (dropped > 0) parts.push(`${dropped} spans were dropped: the export queue was full (OTEL_BSP_MAX_QUEUE_SIZE)`);
    this.logger.warn({ failedSpans: this.failedSpans, failedRequests: this.failedRequests, droppedSpans: dropped }, `in the last ${FAILURE_SUMMARY_MS / 1000} s: ${parts.join('; ')}`);
    this.failedSpans = 0;
    this.failedRequests = 0;
    this.reported = true;
  }
}

export class SpanExport {
  private readonly worker: Worker;
  private readonly counters: Float64Array;
  private readonly failures: ExportFailureLog;
  private readonly summaryTimer: NodeJS.Timeout;
  private closed: Promise<void> | undefined;

  private constructor(worker: Worker, counters: Float64Array, logger: Logger) {
    this.worker = worker;
    this.counters = counters;
    this.failures = new ExportFailureLog(logger, () => this.counters[C_DROPPED]!);
    worker.on('message', (m: FromSpanExport) => {
      if (m.type === 'export-failed') this.failures.failed(m.spans, m.error);
    });
    this.summaryTimer = setInterval(() => this.failures.summarize(), FAILURE_SUMMARY_MS).unref();
  }

  /** Start the thread (it reads the OTEL_* variables of this moment) and wait until it listens; failures go to `logger`. */
  static async start(logger: Logger): Promise<SpanExport> {
    const counters = new Float64Array(new SharedArrayBuffer(4 * 8));
    const worker = new Worker(new URL('./span-export-thread.js', import.meta.url), { workerData: { counters } satisfies SpanExportInput });
    await new Promise<void>((resolve, reject) => {
      const onMessage = (m: FromSpanExport): void => {
        if (m.type !== 'ready') return;
        worker.off('error', reject);
        worker.off('message', onMessage);
        resolve();
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
    });
    // Spans are not a reason to keep a process alive: Runtime.shutdown flushes them.
    worker.unref();
    return new SpanExport(worker, counters, logger);
  }

  /** A new port for a worker (a restarted worker gets a new one; the old one closes with its thread). */
  connect(): MessagePort {
    const { port1, port2 } = new MessageChannel();
    this.worker.postMessage({ type: 'source', port: port1 } satisfies ToSpanExport, [port1]);
    return port2;
  }

  counts(): SpanCounts {
    const c = this.counters;
    return { received: c[C_RECEIVED]!, exported: c[C_EXPORTED]!, failed: c[C_FAILED]!, dropped: c[C_DROPPED]! };
  }

  /**
   * Export what the workers sent (the thread waits up to 1 s for their span
   * ports to close) and stop the thread. A collector that does not answer
   * would keep the exporter retrying: after `timeoutMs` the thread is
   * terminated and what it still held is lost.
   */
  shutdown(timeoutMs = 5000): Promise<void> {
    this.closed ??= (async () => {
      const done = new Promise<void>((resolve) => {
        this.worker.on('message', (m: FromSpanExport) => { if (m.type === 'closed') resolve(); });
        this.worker.once('exit', () => resolve());
      });
      this.worker.postMessage({ type: 'shutdown', waitForSourcesMs: 1000 } satisfies ToSpanExport);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([done, new Promise<void>((resolve) => { timer = setTimeout(resolve, timeoutMs); })]);
      clearTimeout(timer);
      await this.worker.terminate();
      clearInterval(this.summaryTimer);
      this.failures.summarize();
    })();
    return this.closed;
  }
}
