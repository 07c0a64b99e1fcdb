// OpenTelemetry metrics end to end: the real CLI server as a subprocess,
// configured only by the standard OTEL_* variables, pushes its metrics over
// OTLP/HTTP (json) to a receiver this test runs; after three Invokes the
// exported counters say three requests and three informs, by performative,
// and three Invoke calls by gateway, operation and status.
import t from 'tap';
import { execFile, spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../../dist/cli/caxton.js', import.meta.url));
const agentsDir = fileURLToPath(new URL('../../dist/agents/', import.meta.url));

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
  const dir = mkdtempSync(join(tmpdir(), 'caxton-otel-metrics-'));
  const dataDir = join(dir, 'data');
  const env: NodeJS.ProcessEnv = { ...process.env, CAXTON_TOKEN: '', CAXTON_SERVER: '', CAXTON_DATA_DIR: dataDir };
  for (const k of Object.keys(env)) if (k.startsWith('OTEL_')) delete env[k];
  Object.assign(env, {
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(receiver.address() as { port: number }).port}`,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_METRIC_EXPORT_INTERVAL: '300', OTEL_TRACES_EXPORTER: 'none',
  });
  const server = spawn(process.execPath, [cli, 'server', 'start', '--grpc-port', '0', '--http-port', '0', '--workers', '2'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  server.stderr!.setEncoding('utf8').on('data', (d: string) => { err += d; });
  const closed = new Promise<number | null>((resolve) => server.once('close', (code) => resolve(code)));
  t.teardown(async () => {
    server.kill('SIGTERM');
    await closed;
  });
  const caxton = (...args: string[]): Promise<string> => new Promise((resolve, reject) => {
    execFile(process.execPath, [cli, ...args], { env }, (e, stdout, stderr) => (e ? reject(new Error(`caxton ${args.join(' ')}: ${stderr}`)) : resolve(stdout)));
  });
  // Ready once server.json names the process.
  for (;;) {
    try {
      if (JSON.parse(readFileSync(join(dataDir, 'server.json'), 'utf8')).pid === server.pid) break;
    } catch {
      // not yet
    }
    if (server.exitCode !== null) throw new Error(`server exited: ${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  writeFileSync(join(dir, 'fleet.yaml'), `apiVersion: caxton.dev/v1\nkind: Fleet\nagents:\n  - name: greeter\n    module: ${join(agentsDir, 'greeter.wasm')}\n`);
  await caxton('deploy', '-f', join(dir, 'fleet.yaml'));
  for (let i = 0; i < 3; i++) await caxton('invoke', 'greeter', '-c', `"n${i}"`);
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
  t.same((latest.get('caxton.worker.utilisation') ?? []).map((p) => p.attributes.worker).sort(), ['1', '2'], 'one utilisation per worker');
  t.ok((latest.get('caxton.worker.utilisation') ?? []).every((p) => p.value >= 0 && p.value <= 1));
});
