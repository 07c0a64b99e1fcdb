// An OTLP endpoint that is not a URL is refused at start with
// TELEMETRY_CONFIG_INVALID and a hint, embedded (Runtime.start) and from the
// real CLI (exit 1, no stack trace), for traces and for metrics.
import t from 'tap';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Runtime } from '../../dist/runtime/index.js';
import { silentLogger } from '../../dist/runtime/logger.js';
import { runCli } from '../helpers/cli.js';

const BAD = 'http://[not-a-host';

t.test('Runtime.start refuses a traces endpoint that is not a URL', async (t) => {
  const saved = { ...process.env };
  t.teardown(() => {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  });
  Object.assign(process.env, { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: BAD });
  await t.rejects(Runtime.start({ workers: 1, logger: silentLogger() }), {
    code: 'TELEMETRY_CONFIG_INVALID', message: `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT="${BAD}" is not a URL`, hint: /collector's URL/,
  });
  // Off, the same value is not read at all.
  process.env.OTEL_TRACES_EXPORTER = 'none';
  const rt = await Runtime.start({ workers: 1, logger: silentLogger() });
  await rt.shutdown(2000);
});

for (const signal of ['TRACES', 'METRICS'] as const) {
  t.test(`caxton server start with a bad endpoint for ${signal.toLowerCase()}: exit 1, code and hint`, async (t) => {
    const env: NodeJS.ProcessEnv = { ...process.env, CAXTON_TOKEN: '', CAXTON_LOG_PRETTY: '0' };
    for (const k of Object.keys(env)) if (k.startsWith('OTEL_')) delete env[k];
    Object.assign(env, { [`OTEL_${signal}_EXPORTER`]: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_ENDPOINT: BAD });
    const dataDir = mkdtempSync(join(tmpdir(), 'caxton-otel-config-'));
    const r = await runCli(['server', 'start', '--data-dir', dataDir, '--grpc-port', '0', '--http-port', '0', '--workers', '1'], env, 60_000);
    t.equal(r.code, 1, 'exit 1');
    t.match(r.stderr, `TELEMETRY_CONFIG_INVALID: OTEL_EXPORTER_OTLP_ENDPOINT="${BAD}" is not a URL`);
    t.match(r.stderr, /hint: Set OTEL_EXPORTER_OTLP_ENDPOINT to the collector's URL/);
    t.notMatch(r.stderr, /\n\s+at /, 'no stack trace');
  });
}

t.test('the resource: service.name defaults to caxton, OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME override it', async (t) => {
  const { caxtonResource } = await import('../../dist/runtime/otel-resource.js');
  const saved = { OTEL_SERVICE_NAME: process.env.OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES: process.env.OTEL_RESOURCE_ATTRIBUTES };
  t.teardown(() => {
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
  });
  delete process.env.OTEL_SERVICE_NAME;
  delete process.env.OTEL_RESOURCE_ATTRIBUTES;
  t.match(caxtonResource('api').attributes, { 'service.name': 'caxton', 'caxton.thread': 'api' });
  process.env.OTEL_RESOURCE_ATTRIBUTES = 'service.name=fleet-a,deployment.environment=test';
  t.match(caxtonResource('worker-1').attributes, { 'service.name': 'fleet-a', 'deployment.environment': 'test', 'caxton.thread': 'worker-1' });
  process.env.OTEL_SERVICE_NAME = 'fleet-b';
  t.equal(caxtonResource('api').attributes['service.name'], 'fleet-b', 'OTEL_SERVICE_NAME wins');
});
