/**
 * The span export thread (runtime/observability/span-export.ts starts it when tracing is
 * on). It queues the workers' span records (runtime/observability/span-recorder.ts),
 * encodes them as OTLP (runtime/observability/otlp-spans.ts) and sends them with the
 * OpenTelemetry exporter's own transport for the protocol the OTEL_*
 * variables choose (http/protobuf, http/json or grpc: endpoint, headers,
 * timeout, compression and retries all come from the exporter). It runs
 * beside the workers so that no drain loop ever waits for telemetry.
 *
 * Batching follows the BatchSpanProcessor's settings, OTEL_BSP_*: a request
 * leaves when OTEL_BSP_MAX_EXPORT_BATCH_SIZE spans (default 8192 here, four
 * worker batches, see maxBatch) are queued,
 * or OTEL_BSP_SCHEDULE_DELAY ms (default 5000) after the oldest was queued;
 * one request is in flight at a time; records that arrive while
 * OTEL_BSP_MAX_QUEUE_SIZE are queued (default four requests' worth, 32768,
 * see maxQueue) are dropped and counted.
 *
 * Counters (a shared Float64Array written only here, read by the supervisor):
 * [0] records received, [1] spans exported, [2] spans whose export failed,
 * [3] spans dropped because the queue was full.
 */
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { ExportResultCode, getNumberFromEnv, type ExportResult } from '@opentelemetry/core';
import { createOtlpHttpExportDelegate, convertLegacyHttpOptions } from '@opentelemetry/otlp-exporter-base/node-http';
import { createOtlpGrpcExportDelegate, convertLegacyOtlpGrpcOptions } from '@opentelemetry/otlp-grpc-exporter-base';
import type { IOtlpExportDelegate } from '@opentelemetry/otlp-exporter-base';
import type { IExporterMetricsHelper, ISerializer } from '@opentelemetry/otlp-transformer';
import type { Attributes } from '@opentelemetry/api';
import { caxtonResource } from './otel-resource.js';
import { ProtobufSpanEncoder, encodeJson, type SpanRange, type SpanSource } from './otlp-spans.js';
import { BATCH_RECORDS, type SpanBatch } from './span-recorder.js';
import { C_DROPPED, C_EXPORTED, C_FAILED, C_RECEIVED, type FromSpanExport, type SpanExportInput, type SpanSourceMessage, type ToSpanExport } from './span-export.js';
import { otlpProtocol } from './otel-env.js';
import { CAXTON_VERSION } from '../version.js';

type Request = readonly SpanRange[];

/** Spans per export request unless OTEL_BSP_MAX_EXPORT_BATCH_SIZE says otherwise: four worker batches. */
const EXPORT_BATCH_SPANS = 4 * BATCH_RECORDS;

const countItems: IExporterMetricsHelper<Request> = {
  name: 'span',
  countItems: (req) => req.reduce((n, r) => n + r.end - r.start, 0),
};

/** The exporter's transport for `protocol`, fed by our encoder (the response body is not read). */
function delegateFor(protocol: ReturnType<typeof otlpProtocol>, source: SpanSource): IOtlpExportDelegate<Request> {
  if (protocol === 'http/json') {
    const json: ISerializer<Request, unknown> = { serializeRequest: (req) => encodeJson(req, source), deserializeResponse: () => ({}) };
    return createOtlpHttpExportDelegate(convertLegacyHttpOptions({}, 'TRACES', 'v1/traces', { 'Content-Type': 'application/json' }),
      json, 'otlp_http_json_span_exporter', countItems, undefined);
  }
  const encoder = new ProtobufSpanEncoder(source);
  const protobuf: ISerializer<Request, unknown> = { serializeRequest: (req) => encoder.encode(req), deserializeResponse: () => ({}) };
  if (protocol === 'grpc') {
    return createOtlpGrpcExportDelegate(convertLegacyOtlpGrpcOptions({}, 'TRACES'), protobuf, 'otlp_grpc_span_exporter', countItems, undefined,
      'TraceExportService', '/opentelemetry.proto.collector.trace.v1.TraceService/Export');
  }
  return createOtlpHttpExportDelegate(convertLegacyHttpOptions({}, 'TRACES', 'v1/traces', { 'Content-Type': 'application/x-protobuf' }),
    protobuf, 'otlp_http_span_exporter', countItems, undefined);
}

class SpanQueue {
  private readonly counters: Float64Array;
  private readonly delegate: IOtlpExportDelegate<Request>;
  /**
   * The SDK's default request (512 spans) is sized for its span objects.
   * Caxton's spans are about 190 bytes of OTLP each and come from the
   * workers in batches of BATCH_RECORDS, so by default a request carries
   * four such batches (8192 spans, about 1.6 MB; collectors accept 4 MiB
   * over gRPC and 20 MiB over HTTP by default). Each request costs this
   * thread about a millisecond of the HTTP client's code, which stays cold
   * at a few requests a second, and costs the collector as much again: in
   * the throughput benchmark this thread's CPU time fell by a third from
   * requests of 2048 spans, and the main thread's (the bench's collector)
   * by a fifth (decision 0010). OTEL_BSP_MAX_EXPORT_BATCH_SIZE still sets it.
   */
  private readonly maxBatch = getNumberFromEnv('OTEL_BSP_MAX_EXPORT_BATCH_SIZE') ?? EXPORT_BATCH_SPANS;
  /**
   * The SDK's default queue (2048) is one SDK's, fed span by span. This one
   * is fed by every worker in batches of up to BATCH_RECORDS: by default it
   * holds four requests (or four worker batches, if requests are smaller),
   * or OTEL_BSP_MAX_QUEUE_SIZE when that is set.
   */
  private readonly maxQueue = Math.max(this.maxBatch, getNumberFromEnv('OTEL_BSP_MAX_QUEUE_SIZE') ?? 4 * Math.max(this.maxBatch, BATCH_RECORDS));
  private readonly delayMs = getNumberFromEnv('OTEL_BSP_SCHEDULE_DELAY') ?? 5000;
  private readonly queue: SpanRange[] = [];
  private queued = 0;
  private exporting = false;
  private timer: NodeJS.Timeout | undefined;
  private idle: (() => void)[] = [];

  /** told of each request that failed: its spans and why (the supervisor logs it: span-export.ts) */
  private readonly onFailed: (spans: number, error: string) => void;

  constructor(counters: Float64Array, delegate: IOtlpExportDelegate<Request>, onFailed: (spans: number, error: string) => void) {
    this.counters = counters;
    this.delegate = delegate;
    this.onFailed = onFailed;
  }

  add(b: SpanBatch): void {
    this.counters[C_RECEIVED]! += b.count;
    const room = Math.min(b.count, this.maxQueue - this.queued);
    if (room < b.count) this.counters[C_DROPPED]! += b.count - room;
    if (room <= 0) return;
    this.queue.push({ batch: b, start: 0, end: room });
    this.queued += room;
    this.schedule();
  }

  private schedule(): void {
    if (this.exporting) return;
    if (this.queued >= this.maxBatch) this.exportOne();
    else if (this.queued > 0 && this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        if (!this.exporting) this.exportOne();
      }, this.delayMs);
    }
  }

  /** Up to maxBatch queued spans in one request. */
  private exportOne(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.queued === 0) {
      const waiting = this.idle;
      this.idle = [];
      for (const f of waiting) f();
      return;
    }
    const req: SpanRange[] = [];
    let n = 0;
    while (n < this.maxBatch && this.queue.length > 0) {
      const r = this.queue[0]!;
      const take = Math.min(r.end - r.start, this.maxBatch - n);
      req.push(take === r.end - r.start ? r : { batch: r.batch, start: r.start, end: r.start + take });
      if (take === r.end - r.start) this.queue.shift();
      else this.queue[0] = { batch: r.batch, start: r.start + take, end: r.end };
      n += take;
    }
    this.queued -= n;
    this.exporting = true;
    this.delegate.export(req, (result: ExportResult) => {
      this.counters[result.code === ExportResultCode.SUCCESS ? C_EXPORTED : C_FAILED]! += n;
      if (result.code !== ExportResultCode.SUCCESS) this.onFailed(n, result.error?.message ?? String(result.error ?? 'no reason given'));
      this.exporting = false;
      if (this.idle.length > 0) this.exportOne();
      else this.schedule();
    });
  }

  /** Export everything queued, one request after another. */
  flush(): Promise<void> {
    return new Promise((resolve) => {
      this.idle.push(resolve);
      if (!this.exporting) this.exportOne();
    });
  }

  shutdown(): Promise<void> {
    return this.flush().then(() => this.delegate.shutdown());
  }
}

/** The export thread's nice value unless CAXTON_SPAN_EXPORT_NICE says otherwise (0 = the workers' priority). */
const SPAN_EXPORT_NICE = 10;

/**
 * Run this thread at a lower CPU priority than the workers. When the cores
 * are busy, the bus's threads get them first and telemetry gets what is
 * left: a wake-up of this thread then waits for the end of the running
 * worker's time slice instead of preempting it mid-drain (a preempted worker
 * also stalls the workers whose messages it holds). If this thread falls
 * behind, its queue fills and spans are dropped and counted, the bus is
 * never slowed. In the throughput benchmark the workers' share of the CPU in
 * traced runs rose from 0.92 to 0.94 of the untraced runs' (three runs
 * each); at nice 19 spans were dropped.
 *
 * Linux only: a thread's nice value is set through its thread id
 * (/proc/thread-self). Elsewhere, or if the system refuses, nothing changes.
 */
function lowerPriority(env: NodeJS.ProcessEnv): void {
  const nice = env.CAXTON_SPAN_EXPORT_NICE === undefined || env.CAXTON_SPAN_EXPORT_NICE === '' ? SPAN_EXPORT_NICE : Number(env.CAXTON_SPAN_EXPORT_NICE);
  if (process.platform !== 'linux' || !Number.isInteger(nice) || nice <= 0) return;
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    setPriority(tid, Math.min(nice, 19));
  } catch {
    // no /proc, or not allowed: run at the workers' priority
  }
}

function main(): void {
  lowerPriority(process.env);
  const port = parentPort!;
  const { counters } = workerData as SpanExportInput;
  const resources: Attributes[] = [];
  const source: SpanSource = {
    resource: (thread) => (resources[thread] ??= caxtonResource(`worker-${thread}`).attributes),
    scopeName: 'caxton',
    scopeVersion: CAXTON_VERSION,
  };
  const queue = new SpanQueue(counters, delegateFor(otlpProtocol('TRACES'), source),
    (spans, error) => port.postMessage({ type: 'export-failed', spans, error } satisfies FromSpanExport));
  // One port per worker thread; it closes after the worker's last batch.
  const sources = new Set<MessagePort>();
  let sourcesClosed: (() => void) | undefined;
  port.on('message', (m: ToSpanExport) => {
    if (m.type === 'source') {
      sources.add(m.port);
      m.port.on('message', (b: SpanSourceMessage) => queue.add(b));
      m.port.once('close', () => {
        sources.delete(m.port);
        if (sources.size === 0) sourcesClosed?.();
      });
    } else if (m.type === 'shutdown') {
      // The workers' last batches first (bounded), then export what is queued.
      const allClosed = sources.size === 0 ? Promise.resolve() : new Promise<void>((resolve) => { sourcesClosed = resolve; });
      const timeout = new Promise<void>((resolve) => setTimeout(resolve, m.waitForSourcesMs).unref());
      void Promise.race([allClosed, timeout])
        .then(() => queue.shutdown())
        .catch(() => undefined)
        .finally(() => {
          for (const p of sources) p.close();
          port.postMessage({ type: 'closed' } satisfies FromSpanExport);
          port.close();
        });
    }
  });
  port.postMessage({ type: 'ready' } satisfies FromSpanExport);
}

main();
