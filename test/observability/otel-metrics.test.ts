// OpenTelemetry metrics end to end: the real CLI server as a subprocess,
// configured only by the standard OTEL_* variables, pushes its metrics over
// OTLP/HTTP (json) to a receiver this test runs; after three Invokes the
// exported counters say three requests and three informs, by performative,
// and three Invoke calls by gateway, operation and status.
import t from 'tap';
import { createServer } from 'node:http';
import { example } from '../helpers/agents.js';
import { startServer } from '../helpers/cli-server.js';

type Point = { attributes: Record<string, string>; value: number };
/** The newest export's data points by metric name. */
let latest = new Map<string, Point[]>();
let exports = 0;
let waiters: (() => void)[] = [];

function decode(body: any): Map<string, Point[]> {
  const out = new Map<string, Point[]>();
  for (const rm of body.resourceMetrics ?? []) {
    for (const sm of rm.scopeMetrics ?? []) {
      for (const m of sm.metrics ?? []) {
        const points = (m.sum ?? m.gauge ?? m.histogram)?.dataPoints ?? [];
        out.set(m.name, points.map((p: any) => ({
          attributes: Object.fromEntries((p.attributes ?? []).map((a: any) => [a.key, String(Object.values(a.value ?? {})[0])])),
          value: Number(p.asInt ?? p.asDouble ?? 0),
        })));
      }
    }
  }
  return out;
}

const receiver = createServer((req, res) => {
  let body = '';
  req.setEncoding('utf8').on('data', (c: string) => { body += c; }).on('end', () => {
    if (req.url === '/v1/metrics') {
      latest = decode(JSON.parse(body));
      exports++;
      const w = waiters;
      waiters = [];
      for (const f of w) f();
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
});

const value = (name: string, attrs: Record<string, string>): number | undefined =>
  latest.get(name)?.find((p) => Object.entries(attrs).every(([k, v]) => p.attributes[k] === v))?.value;

/** Resolves once an export satisfies `done` (each export re-checks; no sleeps). */
function exported(done: () => boolean): Promise<void> {
  if (done()) return Promise.resolve();
  return new Promise((resolve) => {
    const check = (): void => {
      if (done()) resolve();
      else waiters.push(check);
    };
    waiters.push(check);
  });
}

t.test('metrics pushed over OTLP match the traffic', async (t) => {
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  t.teardown(() => receiver.close());
  const s = await startServer({
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(receiver.address() as { port: number }).port}`,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_METRIC_EXPORT_INTERVAL: '300', OTEL_TRACES_EXPORTER: 'none',
  });
  t.teardown(() => s.stop());
  await s.call(s.agents, 'Deploy', { name: 'greeter', module: example('greeter') });
  for (let i = 0; i < 3; i++) await s.call(s.messages, 'Invoke', { agent: 'greeter', contentJson: `"n${i}"` });
  await exported(() => value('caxton.api.calls', { gateway: 'grpc', operation: 'MessageService.Invoke', status: 'OK' }) === 3
    && value('caxton.messages.delivered', { performative: 'inform' }) === 3);
  t.ok(exports > 0, `${exports} export(s) received`);
  t.equal(value('caxton.messages.accepted', { performative: 'request' }), 3, 'three requests accepted');
  t.equal(value('caxton.messages.accepted', { performative: 'inform' }), 3, 'three informs (the replies) accepted');
  t.equal(value('caxton.messages.delivered', { performative: 'request' }), 3);
  t.equal(value('caxton.messages.dead_lettered', { performative: 'request' }), 0);
  t.equal(value('caxton.agents', { state: 'running' }), 1);
  t.equal(value('caxton.mailbox.depth', { agent: 'greeter' }), 0);
  t.equal(value('caxton.messages.in_flight', {}), 0);
  t.same((latest.get('caxton.worker.utilisation') ?? []).map((p) => p.attributes.worker).sort(), ['1', '2', '3'], 'one utilisation per worker (the helper starts 3)');
  t.ok((latest.get('caxton.worker.utilisation') ?? []).every((p) => p.value >= 0 && p.value <= 1));
});
