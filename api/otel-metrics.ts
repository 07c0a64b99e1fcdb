/**
 * OpenTelemetry metrics: the figures of /metrics (api/metrics.ts), pushed
 * over OTLP by a periodic reader on the API thread. Configured by the
 * standard variables: on when OTEL_METRICS_EXPORTER is "otlp", or when it is
 * unset and an OTLP endpoint is set; OTEL_METRIC_EXPORT_INTERVAL sets the
 * period (default 60 s); OTEL_EXPORTER_OTLP_(METRICS_)PROTOCOL picks
 * http/protobuf (default) or http/json. The SDK is loaded only when on.
 *
 * The instruments are observable: at each export one Stats and one Metrics
 * call read the bus counters, as a Prometheus scrape does.
 */
import type { Metrics } from './metrics.js';
import type { Operations } from './operations.js';
import { CAXTON_VERSION } from '../runtime/tracing.js';

export function otelMetricsEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  if ((env.OTEL_SDK_DISABLED ?? '').toLowerCase() === 'true') return false;
  const exporters = (env.OTEL_METRICS_EXPORTER ?? '').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  if (exporters.includes('none')) return false;
  if (exporters.includes('otlp')) return true;
  return exporters.length === 0 && Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT);
}

export interface OtelMetrics {
  shutdown(): Promise<void>;
}

export async function startOtelMetrics(ops: Operations, prom: Metrics, env: NodeJS.ProcessEnv = process.env): Promise<OtelMetrics | undefined> {
  if (!otelMetricsEnabled(env)) return undefined;
  const { MeterProvider, PeriodicExportingMetricReader } = await import('@opentelemetry/sdk-metrics');
  const { detectResources, envDetector, resourceFromAttributes } = await import('@opentelemetry/resources');
  const protocol = (env.OTEL_EXPORTER_OTLP_METRICS_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf').trim().toLowerCase();
  const exporter = protocol === 'http/json'
    ? new (await import('@opentelemetry/exporter-metrics-otlp-http')).OTLPMetricExporter()
    : new (await import('@opentelemetry/exporter-metrics-otlp-proto')).OTLPMetricExporter();
  const resource = detectResources({ detectors: [envDetector] }).merge(resourceFromAttributes({
    'service.name': env.OTEL_SERVICE_NAME ?? 'caxton', 'service.version': CAXTON_VERSION, 'caxton.thread': 'api',
  }));
  const provider = new MeterProvider({
    resource,
    readers: [new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: Number(env.OTEL_METRIC_EXPORT_INTERVAL) || 60_000 })],
  });
  const meter = provider.getMeter('caxton', CAXTON_VERSION);
  const counter = (name: string, description: string, unit = '{message}') => meter.createObservableCounter(name, { description, unit });
  const gauge = (name: string, description: string, unit = '1') => meter.createObservableGauge(name, { description, unit });
  const accepted = counter('caxton.messages.accepted', 'Messages accepted onto the bus, by performative');
  const delivered = counter('caxton.messages.delivered', 'Messages handled by their agent or endpoint, by performative');
  const deadLettered = counter('caxton.messages.dead_lettered', 'Dead letters, by performative');
  const inFlight = gauge('caxton.messages.in_flight', 'Accepted messages not yet delivered or dead-lettered', '{message}');
  const depth = gauge('caxton.mailbox.depth', 'Messages waiting for each agent', '{message}');
  const agents = gauge('caxton.agents', 'Agents by state', '{agent}');
  const utilisation = gauge('caxton.worker.utilisation', 'Share of time each worker spent handling messages since the previous reading');
  const handleTime = counter('caxton.handle.time', 'Time agents spent in caxton_handle (timed calls only, see docs/observability.md)', 's');
  const handled = counter('caxton.handle.timed_calls', 'caxton_handle calls timed for caxton.handle.time', '{call}');
  const calls = counter('caxton.api.calls', 'API calls by gateway, operation and status', '{call}');
  meter.addBatchObservableCallback(async (result) => {
    const [stats, m] = await Promise.all([ops.stats(), ops.metrics()]);
    for (const [performative, c] of Object.entries(m.byPerformative)) {
      result.observe(accepted, c.accepted, { performative });
      result.observe(delivered, c.delivered, { performative });
      result.observe(deadLettered, c.deadLettered, { performative });
    }
    result.observe(inFlight, stats.inFlight);
    for (const d of m.mailboxDepth) result.observe(depth, d.depth, { agent: d.agent });
    for (const [state, n] of Object.entries(m.agentsByState)) result.observe(agents, n, { state });
    for (const w of m.workers) result.observe(utilisation, w.utilisation, { worker: w.worker });
    result.observe(handleTime, m.handleTime.sumUs / 1e6);
    result.observe(handled, m.handleTime.counts.reduce((a, b) => a + b, 0));
    const api = await prom.registry.getSingleMetric('caxton_api_calls_total')?.get();
    for (const v of api?.values ?? []) result.observe(calls, v.value, v.labels as Record<string, string>);
  }, [accepted, delivered, deadLettered, inFlight, depth, agents, utilisation, handleTime, handled, calls]);
  return { shutdown: () => provider.shutdown() };
}
