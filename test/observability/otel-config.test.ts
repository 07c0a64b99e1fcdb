// An OTLP endpoint that is not a URL is refused at start with
// TELEMETRY_CONFIG_INVALID and a hint, embedded (Runtime.start) and from the
// real CLI (exit 1, no stack trace), for traces and for metrics.
import t from 'tap';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Runtime } from '../../dist/runtime/index.js';
import { silentLogger } from '../../dist/runtime/observability/logger.js';
import { runCli } from '../helpers/cli.js';
import { otelEnv, setOtelEnv } from '../helpers/otel-env.js';

const BAD = 'http://[not-a-host';

t.test('Runtime.start refuses a traces endpoint that is not a URL', async (t) => {
  t.teardown(setOtelEnv({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: BAD }));
  const refused = Runtime.start({ workers: 1, logger: silentLogger() });
  // Should it start after all, its threads must not keep this process alive.
  t.teardown(() => refused.then((rt) => rt.shutdown(2000), () => undefined));
  await t.rejects(refused, {
    code: 'TELEMETRY_CONFIG_INVALID', message: `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT="${BAD}" is not a URL`, hint: /collector's URL/,
  });
  // Off, the same value is not read at all.
  process.env.OTEL_TRACES_EXPORTER = 'none';
  const rt = await Runtime.start({ workers: 1, logger: silentLogger() });
  await rt.shutdown(2000);
});

for (const signal of ['TRACES', 'METRICS'] as const) {
  t.test(`caxton server start with a bad endpoint for ${signal.toLowerCase()}: exit 1, code and hint`, async (t) => {
    const env = otelEnv({ [`OTEL_${signal}_EXPORTER`]: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_ENDPOINT: BAD },
      { ...process.env, CAXTON_TOKEN: '', CAXTON_LOG_PRETTY: '0' });
    const dataDir = mkdtempSync(join(tmpdir(), 'caxton-otel-config-'));
    const r = await runCli(['server', 'start', '--data-dir', dataDir, '--grpc-port', '0', '--http-port', '0', '--workers', '1'], env, 60_000);
    t.equal(r.code, 1, 'exit 1');
    t.match(r.stderr, `TELEMETRY_CONFIG_INVALID: OTEL_EXPORTER_OTLP_ENDPOINT="${BAD}" is not a URL`);
    t.match(r.stderr, /hint: Set OTEL_EXPORTER_OTLP_ENDPOINT to the collector's URL/);
    t.notMatch(r.stderr, /\n\s+at /, 'no stack trace');
  });
}

t.test('the resource: service.name defaults to caxton, OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME override it', async (t) => {
  const { caxtonResource } = await import('../../dist/runtime/observability/otel-resource.js');
  t.teardown(setOtelEnv({})); // no OTEL_SERVICE_NAME, no OTEL_RESOURCE_ATTRIBUTES
  t.match(caxtonResource('api').attributes, { 'service.name': 'caxton', 'caxton.thread': 'api' });
  process.env.OTEL_RESOURCE_ATTRIBUTES = 'service.name=fleet-a,deployment.environment=test';
  t.match(caxtonResource('worker-1').attributes, { 'service.name': 'fleet-a', 'deployment.environment': 'test', 'caxton.thread': 'worker-1' });
  process.env.OTEL_SERVICE_NAME = 'fleet-b';
  t.equal(caxtonResource('api').attributes['service.name'], 'fleet-b', 'OTEL_SERVICE_NAME wins');
});
