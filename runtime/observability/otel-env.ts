/**
 * The standard OpenTelemetry environment variables, read for traces and
 * metrics (docs/observability.md): whether a signal is exported, to which
 * endpoint, over which protocol. Pure functions of an env object (tests pass
 * their own); no SDK is loaded here, so any thread can ask cheaply.
 */
import { TelemetryConfigError } from '../errors.js';

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
