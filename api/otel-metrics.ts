/**
 * OpenTelemetry metrics: the figures of /metrics (api/metrics.ts), pushed
 * over OTLP by a periodic reader on the API thread. Configured by the
 * standard variables: on when OTEL_METRICS_EXPORTER is "otlp", or when it is
 * unset and an OTLP endpoint is set; OTEL_METRIC_EXPORT_INTERVAL sets the
 * period (default 60 s); OTEL_EXPORTER_OTLP_(METRICS_)PROTOCOL picks
 * http/protobuf (default), http/json or grpc. The SDK and the chosen
 * exporter are loaded only when on.
 *
 * The instruments are observable: at each export one Stats and one Metrics
 * call read the bus counters, as a Prometheus scrape does.
 */
import type { PushMetricExporter } from '@opentelemetry/sdk-metrics';
import type { Metrics } from './metrics.js';
import type { Operations } from './operations.js';
import { otlpEnabled, otlpProtocol } from '../runtime/observability/otel-env.js';
import { CAXTON_VERSION } from '../runtime/version.js';

export interface OtelMetrics {
  shutdown(): Promise<void>;
}

/** Each exporter reads its endpoint, headers, timeout and compression from OTEL_EXPORTER_OTLP_*. */
async function metricExporter(protocol: ReturnType<typeof otlpProtocol>): Promise<PushMetricExporter> {
  if (protocol === 'http/json') return new (await import('@opentelemetry/exporter-metrics-otlp-http')).OTLPMetricExporter();
  if (protocol === 'grpc') return new (await import('@opentelemetry/exporter-metrics-otlp-grpc')).OTLPMetricExporter();
  return new (await import('@opentelemetry/exporter-metrics-otlp-proto')).OTLPMetricExporter();
}

export async function startOtelMetrics(ops: Operations, prom: Metrics, env: NodeJS.ProcessEnv = process.env): Promise<OtelMetrics | undefined> {
  if (!otlpEnabled('METRICS', env)) return undefined;
  const { MeterProvider, PeriodicExportingMetricReader } = await import('@opentelemetry/sdk-metrics');
  const { caxtonResource } = await import('../runtime/observability/otel-resource.js');
  const exporter = await metricExporter(otlpProtocol('METRICS', env));
  const provider = new MeterProvider({
    resource: caxtonResource('api'),
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
  const utilisation = gauge('caxton.worker.utilisation', 'Share of time each worker spent handling messages since the previous OTel export (/metrics scrapes do not reset it)');
  const handleTime = counter('caxton.handle.time', 'Time agents spent in caxton_handle (timed calls only, see docs/observability.md)', 's');
  const handled = counter('caxton.handle.timed_calls', 'caxton_handle calls timed for caxton.handle.time', '{call}');
  const calls = counter('caxton.api.calls', 'API calls by gateway, operation and status', '{call}');
  const prewakes = counter('caxton.api.prewakes', 'Invokes from a sequential caller for which the API thread woke the likely worker before reading the request', '{call}');
  const spans = counter('caxton.trace.spans', 'Spans of the workers: recorded, then exported, failed or dropped', '{span}');
  meter.addBatchObservableCallback(async (result) => {
    const [stats, m] = await Promise.all([ops.stats(), ops.metrics('otel')]);
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
    if (m.spans) {
      result.observe(spans, m.spans.received, { outcome: 'recorded' });
      result.observe(spans, m.spans.exported, { outcome: 'exported' });
      result.observe(spans, m.spans.failed, { outcome: 'failed' });
      result.observe(spans, m.spans.dropped, { outcome: 'dropped' });
    }
    const api = await prom.registry.getSingleMetric('caxton_api_calls_total')?.get();
    for (const v of api?.values ?? []) result.observe(calls, v.value, v.labels as Record<string, string>);
    const early = await prom.registry.getSingleMetric('caxton_api_prewakes_total')?.get();
    if (early?.values[0]) result.observe(prewakes, early.values[0].value);
  }, [accepted, delivered, deadLettered, inFlight, depth, agents, utilisation, handleTime, handled, calls, prewakes, spans]);
  return { shutdown: () => provider.shutdown() };
}
