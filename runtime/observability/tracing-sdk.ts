/**
 * The OpenTelemetry SDK side of runtime/observability/tracing.ts, loaded only when tracing
 * is on: one NodeTracerProvider per thread, batching spans to an OTLP
 * exporter chosen by the standard OTEL_* variables.
 */
import { ROOT_CONTEXT, TraceFlags, trace, type Attributes, type Context, type Span, type SpanKind, type Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter as OtlpHttpJson } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpHttpProto } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPTraceExporter as OtlpGrpc } from '@opentelemetry/exporter-trace-otlp-grpc';
import { otlpProtocol } from './otel-env.js';
import { caxtonResource } from './otel-resource.js';
import { CAXTON_VERSION } from '../version.js';

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

  constructor(thread: string, exporter: SpanExporter = exporterFor(otlpProtocol('TRACES'))) {
    const resource = caxtonResource(thread);
    // The sampler comes from OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG
    // (default parentbased_always_on); the batch sizes from OTEL_BSP_*.
    this.provider = new NodeTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(exporter)] });
    this.tracer = this.provider.getTracer('caxton', CAXTON_VERSION);
  }

  /** The context of an incoming request's `traceparent`/`tracestate` (gRPC metadata or HTTP headers). */
  extract(headers: Record<string, unknown>): Context {
    return propagator.extract(ROOT_CONTEXT, headers, HEADER_GETTER);
  }

  /** A span, child of `parent` (an extracted request context), or a root. */
  start(name: string, kind: SpanKind, parent: Context | undefined, attributes?: Attributes): Span {
    return this.tracer.startSpan(name, { kind, attributes }, parent ?? ROOT_CONTEXT);
  }

  /** A child of the span whose ids a frame carries (hex), as a remote parent. */
  startFromFrame(name: string, kind: SpanKind, traceId: string, spanId: string, attributes?: Attributes): Span {
    const parent = trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId, traceFlags: TraceFlags.SAMPLED, isRemote: true });
    return this.tracer.startSpan(name, { kind, attributes }, parent);
  }

  shutdown(): Promise<void> {
    return this.provider.shutdown();
  }
}

