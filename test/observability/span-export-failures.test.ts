// Span export failures are logged (issue #16, item 17), not only counted:
// the first at once with the exporter's reason, then one summary line per
// period for the failures and the drops since (runtime/observability/span-export.ts).
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Runtime } from '../../dist/runtime/index.js';
import { ExportFailureLog } from '../../dist/runtime/observability/span-export.js';
import { example } from '../helpers/agents.js';
import { setOtelEnv } from '../helpers/otel-env.js';
import { waitUntil } from '../helpers/wait.js';

/** A pino logger whose lines land in `lines` (parsed). */
function capture() {
  const lines: { level: number; msg: string; [k: string]: unknown }[] = [];
  const stream = new Writable({ write(chunk: Buffer, _enc, done) { lines.push(JSON.parse(chunk.toString())); done(); } });
  return { lines, logger: pino({ level: 'info' }, stream) };
}

t.test('a collector that refuses every export: the first failure is logged at once, with its reason', async (t) => {
  const server = createServer((req, res) => { req.resume().on('end', () => res.writeHead(400).end('no')); });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));
  const { lines, logger } = capture();
  const restore = setOtelEnv({
    OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf', OTEL_METRICS_EXPORTER: 'none',
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, OTEL_BSP_SCHEDULE_DELAY: '50',
  });
  let rt: Runtime;
  try {
    rt = await Runtime.start({ workers: 1, logger });
  } finally {
    restore();
  }
  t.teardown(() => rt.shutdown(5000));
  await rt.deploy({ name: 'echo', module: example('echo'), worker: 1 });
  const trace = randomBytes(16).toString('hex');
  for (let i = 0; i < 10; i++) rt.send({ to: 'echo', performative: 'inform', content: i, traceparent: `00-${trace}-${randomBytes(8).toString('hex')}-01` });
  const failed = await waitUntil(() => lines.find((l) => l.msg.startsWith('span export failed')), (l) => l !== undefined, 'the first export failure in the log');
  t.equal(failed!.level, 40, 'a warning');
  t.match(failed!.msg, /OTEL_EXPORTER_OTLP_ENDPOINT/, 'says what to check');
  t.ok((failed!.spans as number) > 0, 'says how many spans were lost');
  t.ok(rt.metricsSnapshot().spans!.failed > 0, 'and they are counted');
});

t.test('later failures and drops are summed up once a period; a quiet period re-arms the first line', async (t) => {
  const { lines, logger } = capture();
  let dropped = 0;
  const log = new ExportFailureLog(logger, () => dropped);
  log.failed(100, 'refused');
  log.failed(200, 'timeout');
  log.failed(300, 'timeout');
  t.equal(lines.length, 1, 'only the first failure at once');
  dropped = 42;
  log.summarize();
  t.equal(lines.length, 2);
  t.match(lines[1]!.msg, /500 spans in 2 more export request\(s\) failed \(last error: timeout\); 42 spans were dropped/);
  log.summarize();
  t.equal(lines.length, 2, 'nothing new: no line');
  log.failed(7, 'refused again');
  t.equal(lines.length, 3, 'after a quiet period the next failure is logged at once');
  t.match(lines[2]!.msg, /span export failed: refused again \(7 spans lost\)/);
});
