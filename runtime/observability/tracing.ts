/**
 * OpenTelemetry tracing settings and helpers (docs/observability.md).
 *
 * The API thread builds an SDK tracer provider from the standard OTEL_*
 * variables (tracing-sdk.ts, loaded only when tracing is on). The workers
 * load no SDK: they record sampled hops and the span export thread exports
 * them (span-recorder.ts, span-export-thread.ts, decision 0010). The trace
 * context crosses threads inside the frame header (trace id @48, span id
 * @64, FLAG_TRACE_SAMPLED), never through shared SDK state.
 *
 * Tracing is on when OTEL_TRACES_EXPORTER is "otlp", or when it is unset and
 * an OTLP endpoint is configured; OTEL_SDK_DISABLED=true or
 * OTEL_TRACES_EXPORTER=none turn it off. When it is off an unsampled
 * message costs a flag test per hop.
 */
import { SpanKind, SpanStatusCode, type Span } from '@opentelemetry/api';
import type { Tracing } from './tracing-sdk.js';
import { TelemetryConfigError } from '../errors.js';

export { SpanKind, SpanStatusCode, type Span, type Tracing };


export type OtlpSignal = 'TRACES' | 'METRICS';

/**
 * Is a signal exported, by the standard variables (pure: tests pass their
 * own env)? On when OTEL_<SIGNAL>_EXPORTER is "otlp", or when it is unset and
 * an OTLP endpoint is set; off with OTEL_SDK_DISABLED=true or "none".
 */
export function otlpEnabled(signal: OtlpSignal, env: NodeJS.ProcessEnv = process.env): boolean {
  if ((env.OTEL_SDK_DISABLED ?? '').toLowerCase() === 'true') return false;
  const exporters = (env[`OTEL_${signal}_EXPORTER`] ?? '').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  if (exporters.includes('none')) return false;
  if (exporters.includes('otlp')) return true;
  return exporters.length === 0 && Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env[`OTEL_EXPORTER_OTLP_${signal}_ENDPOINT`]);
}

/**
 * Refuse, before any thread starts, an OTLP endpoint that is not a URL: the
 * HTTP exporters would fail every export quietly and the gRPC ones throw
 * inside a thread. Only checked when the signal is exported.
 */
export function checkOtlpEndpoint(signal: OtlpSignal, env: NodeJS.ProcessEnv = process.env): void {
  if (!otlpEnabled(signal, env)) return;
  for (const variable of [`OTEL_EXPORTER_OTLP_${signal}_ENDPOINT`, 'OTEL_EXPORTER_OTLP_ENDPOINT']) {
    const value = env[variable];
    if (value && !URL.canParse(value)) throw new TelemetryConfigError(variable, value, 'is not a URL');
  }
}

/** The OTLP protocol the standard variables ask for a signal (default http/protobuf, as the spec says). */
export function otlpProtocol(signal: OtlpSignal, env: NodeJS.ProcessEnv = process.env): 'http/protobuf' | 'http/json' | 'grpc' {
  const p = (env[`OTEL_EXPORTER_OTLP_${signal}_PROTOCOL`] ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf').trim().toLowerCase();
  return p === 'http/json' || p === 'grpc' ? p : 'http/protobuf';
}

/**
 * This thread's tracing, or undefined when the environment turns it off.
 * The SDK (about 130 ms and 8 MB per thread to load) is imported only when
 * tracing is on.
 */
export async function startTracing(thread: string, env: NodeJS.ProcessEnv = process.env): Promise<Tracing | undefined> {
  if (!otlpEnabled('TRACES', env)) return undefined;
  const { Tracing: Impl } = await import('./tracing-sdk.js');
  return new Impl(thread);
}

// ---- frame words -> W3C hex ids (log lines and OTLP/JSON of sampled messages) ----

/** `n` little-endian i32 words (a frame header's id fields: the id's bytes in order) as lowercase hex. */
export function wordsToHex(words: Int32Array, at: number, n: number): string {
  return Buffer.from(words.buffer, words.byteOffset + at * 4, n * 4).toString('hex');
}

