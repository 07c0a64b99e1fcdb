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
import { otlpEnabled } from './otel-env.js';

export { SpanKind, SpanStatusCode, type Span, type Tracing };


// The settings (which signals are exported, where, how) are read in otel-env.ts;
// they are re-exported here for callers that also trace.
export { otlpEnabled, checkOtlpEndpoint, otlpProtocol, type OtlpSignal } from './otel-env.js';

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

