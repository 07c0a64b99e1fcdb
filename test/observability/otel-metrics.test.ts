// OpenTelemetry metrics end to end: the real CLI server as a subprocess,
// configured only by the standard OTEL_* variables, pushes its metrics over
// OTLP to a receiver this test runs, in each protocol offered (http/json,
// http/protobuf, grpc); after three Invokes the exported counters say three
// requests and three informs, by performative, and three Invoke calls by
// gateway, operation and status.
import t from 'tap';
import { example } from '../helpers/agents.js';
import { startServer } from '../helpers/cli-server.js';
import { startOtlpGrpcReceiver, startOtlpReceiver, type OtlpReceiver } from '../helpers/otlp.js';

const CONTENT_TYPE = { 'http/json': 'application/json', 'http/protobuf': 'application/x-protobuf', grpc: 'application/grpc' } as const;

for (const protocol of ['http/json', 'http/protobuf', 'grpc'] as const) {
  t.test(`metrics pushed over OTLP ${protocol} match the traffic`, async (t) => {
    const receiver: OtlpReceiver = protocol === 'grpc' ? await startOtlpGrpcReceiver() : await startOtlpReceiver();
    const s = await startServer({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: protocol, OTEL_METRIC_EXPORT_INTERVAL: '300', OTEL_TRACES_EXPORTER: 'none',
    }).catch(async (e: unknown) => {
      await receiver.close();
      throw e;
    });
    // The server first (its last export goes to a receiver still listening), then the receiver.
    t.teardown(async () => {
      await s.stop();
      await receiver.close();
    });
    const value = (name: string, attrs: Record<string, string>): number | undefined =>
      receiver.metrics.get(name)?.find((p) => Object.entries(attrs).every(([k, v]) => p.attributes[k] === v))?.value;

    await s.call(s.agents, 'Deploy', { name: 'greeter', module: example('greeter') });
    for (let i = 0; i < 3; i++) await s.call(s.messages, 'Invoke', { agent: 'greeter', contentJson: `"n${i}"` });
    // Each export received re-checks; no sleeps.
    const invokes = (): number | undefined => value('caxton.api.calls', { gateway: 'grpc', operation: 'MessageService.Invoke', status: 'OK' });
    const informs = (): number | undefined => value('caxton.messages.delivered', { performative: 'inform' });
    await receiver.waitFor(() => (invokes() === 3 && informs() === 3) || undefined, 'an export counting 3 Invoke calls and 3 informs delivered', {
      seen: () => `${receiver.requests.length} export(s); Invoke calls ${invokes()}, informs delivered ${informs()}; errors ${JSON.stringify(receiver.errors)}`,
    });
    t.same(receiver.errors, [], 'every export decoded');
    t.ok(receiver.requests.length > 0, `${receiver.requests.length} export(s) received`);
    for (const q of receiver.requests) t.equal(q.signal, 'metrics', 'metrics only (traces are off)');
    t.ok(receiver.requests.every((q) => q.contentType.split(';')[0] === CONTENT_TYPE[protocol]), `sent as ${CONTENT_TYPE[protocol]}`);
    t.equal(value('caxton.messages.accepted', { performative: 'request' }), 3, 'three requests accepted');
    t.equal(value('caxton.messages.accepted', { performative: 'inform' }), 3, 'three informs (the replies) accepted');
    t.equal(value('caxton.messages.delivered', { performative: 'request' }), 3);
    t.equal(value('caxton.messages.dead_lettered', { performative: 'request' }), 0);
    t.equal(value('caxton.agents', { state: 'running' }), 1);
    t.equal(value('caxton.mailbox.depth', { agent: 'greeter' }), 0);
    t.equal(value('caxton.messages.in_flight', {}), 0);
    const util = receiver.metrics.get('caxton.worker.utilisation') ?? [];
    t.same(util.map((p) => p.attributes.worker).sort(), ['1', '2', '3'], 'one utilisation per worker (the helper starts 3)');
    t.ok(util.every((p) => p.value >= 0 && p.value <= 1));
  });
}
