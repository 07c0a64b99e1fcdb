/**
 * OpenTelemetry tracing, one tracer provider per thread (docs/observability.md).
 *
 * Every thread that handles messages (the workers, the API thread) builds its
 * own provider from the standard OTEL_* variables: worker threads inherit the
 * process's environment. Spans are batched per thread and exported over OTLP;
 * the trace context crosses threads inside the frame header (trace id @48,
 * span id @64, FLAG_TRACE_SAMPLED), never through a shared provider.
 *
 * Tracing is on when OTEL_TRACES_EXPORTER is "otlp", or when it is unset and
 * an OTLP endpoint is configured; OTEL_SDK_DISABLED=true or
 * OTEL_TRACES_EXPORTER=none turn it off. When it is off, `startTracing`
 * returns undefined and the hot paths test one field and go on: an
 * unsampled message costs a flag test.
 */
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, trace, type Attributes, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { OTLPTraceExporter as OtlpHttpJson } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpHttpProto } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPTraceExporter as OtlpGrpc } from '@opentelemetry/exporter-trace-otlp-grpc';
import { createRequire } from 'node:module';

export { SpanKind, SpanStatusCode, type Span };

/** package.json's version (two levels up from both runtime/ and dist/runtime/). */
export const CAXTON_VERSION = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

/** Why tracing is on or off, from the environment (pure: tests call it with their own env). */
export function tracingEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  if ((env.OTEL_SDK_DISABLED ?? '').toLowerCase() === 'true') return false;
  const exporters = (env.OTEL_TRACES_EXPORTER ?? '').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  if (exporters.includes('none')) return false;
  if (exporters.includes('otlp')) return true;
  return exporters.length === 0 && Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/** The OTLP protocol the standard variables ask for (default http/protobuf, as the spec says). */
export function otlpProtocol(env: NodeJS.ProcessEnv = process.env): 'http/protobuf' | 'http/json' | 'grpc' {
  const p = (env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf').trim().toLowerCase();
  return p === 'http/json' || p === 'grpc' ? p : 'http/protobuf';
}

function exporterFor(protocol: ReturnType<typeof otlpProtocol>): SpanExporter {
  // Each exporter reads its endpoint, headers, timeout and compression from OTEL_EXPORTER_OTLP_*.
  if (protocol === 'http/json') return new OtlpHttpJson();
  if (protocol === 'grpc') return new OtlpGrpc();
  return new OtlpHttpProto();
}

const propagator = new W3CTraceContextPropagator();
const HEADER_GETTER = {
  get: (carrier: Record<string, unknown>, key: string): string | undefined => {
    const v = carrier[key];
    return Array.isArray(v) ? String(v[0]) : v === undefined ? undefined : String(v);
  },
  keys: (carrier: Record<string, unknown>): string[] => Object.keys(carrier),
};

export class Tracing {
  readonly tracer: Tracer;
  private readonly provider: NodeTracerProvider;

  constructor(thread: string, exporter: SpanExporter = exporterFor(otlpProtocol())) {
    const resource = detectResources({ detectors: [envDetector] }).merge(resourceFromAttributes({
      'service.name': process.env.OTEL_SERVICE_NAME ?? 'caxton',
      'service.version': CAXTON_VERSION,
      'caxton.thread': thread,
    }));
    // The sampler comes from OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG
    // (default parentbased_always_on); the batch sizes from OTEL_BSP_*.
    this.provider = new NodeTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(exporter)] });
    this.tracer = this.provider.getTracer('caxton', CAXTON_VERSION);
  }

  /** The context of an incoming request's `traceparent`/`tracestate` (gRPC metadata or HTTP headers). */
  extract(headers: Record<string, unknown>): Context {
    return propagator.extract(ROOT_CONTEXT, headers, HEADER_GETTER);
  }

  /** A child of the span whose ids a frame carries (hex), as a remote parent. */
  start(name: string, kind: SpanKind, parent: Context | undefined, attributes?: Attributes): Span {
    return this.tracer.startSpan(name, { kind, attributes }, parent ?? ROOT_CONTEXT);
  }

  startFromFrame(name: string, kind: SpanKind, traceId: string, spanId: string, attributes?: Attributes): Span {
    const parent = trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId, traceFlags: TraceFlags.SAMPLED, isRemote: true });
    return this.tracer.startSpan(name, { kind, attributes }, parent);
  }

  /** Export what is batched (tests, before a thread ends). */
  flush(): Promise<void> {
    return this.provider.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.provider.shutdown();
  }
}

/** This thread's tracing, or undefined when the environment turns it off. */
export function startTracing(thread: string, env: NodeJS.ProcessEnv = process.env): Tracing | undefined {
  return tracingEnabled(env) ? new Tracing(thread) : undefined;
}

// ---- frame bytes <-> W3C hex ids (only on sampled messages) ----

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** `n` bytes of `u8` from `at` as lowercase hex. */
export function bytesToHex(u8: Uint8Array, at: number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += HEX[u8[at + i]!];
  return s;
}

/** Write a hex id into `words` (little-endian i32s, as the frame header holds it) from word `at`. */
export function hexToWords(hex: string, words: Int32Array, at: number): void {
  const n = hex.length >> 3;
  for (let i = 0; i < n; i++) {
    let v = 0;
    for (let b = 3; b >= 0; b--) v = (v << 8) | parseInt(hex.substr(i * 8 + b * 2, 2), 16);
    words[at + i] = v;
  }
}

/** `n` little-endian i32 words (a frame header's id fields) as lowercase hex. */
export function wordsToHex(words: Int32Array, at: number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) {
    const v = words[at + i]!;
    s += HEX[v & 0xff]! + HEX[(v >>> 8) & 0xff]! + HEX[(v >>> 16) & 0xff]! + HEX[v >>> 24]!;
  }
  return s;
}

/** Hex id -> bytes (frames built with encodeFrame). */
export function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
  return out;
}

export function endSpan(span: Span, ok: boolean, message?: string): void {
  if (!ok) span.setStatus({ code: SpanStatusCode.ERROR, message });
  span.end();
}
