// Span export from the workers (runtime/observability/span-recorder.ts ->
// runtime/observability/span-export-thread.ts), embedded: a real Runtime with real worker
// threads and the echo agent, tracing configured by OTEL_* variables, an
// OTLP/HTTP receiver run by the test. Every sampled message an agent handles
// is one span, child of the sender's span; the counters in metricsSnapshot()
// account for each one (exported, failed or dropped), and a collector that
// stops answering makes the export queue drop spans, counted, while the bus
// goes on.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Runtime } from '../../dist/runtime/index.js';
import { silentLogger } from '../../dist/runtime/observability/logger.js';
import { decodeFrame } from '../../dist/bus/frame.js';
import { example, Inbox } from '../helpers/agents.js';
import { decodeProtobufRequest, type ReceivedSpan } from '../helpers/otlp.js';
import { setOtelEnv } from '../helpers/otel-env.js';
import { waitUntil } from '../helpers/wait.js';

/** An OTLP/HTTP protobuf receiver whose answers can be held back (a collector that hangs). */
async function receiver() {
  const spans: ReceivedSpan[] = [];
  let held: ServerResponse[] | undefined;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c)).on('end', () => {
      spans.push(...decodeProtobufRequest(Buffer.concat(chunks)));
      if (held) held.push(res);
      else res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    hold(): void { held = []; },
    release(): void {
      for (const res of held ?? []) res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      held = undefined;
    },
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/** Runtime.start with these OTEL_* variables (the threads read them when they start). */
async function startTraced(env: Record<string, string>): Promise<Runtime> {
  const restore = setOtelEnv({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf', OTEL_METRICS_EXPORTER: 'none', ...env });
  try {
    return await Runtime.start({ workers: 2, logger: silentLogger() });
  } finally {
    restore();
  }
}

/** `n` sampled requests to echo-1 and echo-2 (one per worker) in one trace; resolves when every reply is back. */
async function traffic(rt: Runtime, n: number, traceId: string, parent: string): Promise<void> {
  const box = new Inbox<unknown>();
  const ep = rt.openEndpoint(`client-${randomBytes(4).toString('hex')}`, (f) => box.push(decodeFrame(f)));
  for (let i = 0; i < n; i++) rt.send({ to: `echo-${1 + (i % 2)}`, performative: 'request', content: i, traceparent: `00-${traceId}-${parent}-01` }, ep);
  await box.take(n);
  ep.close();
}

t.test('every sampled message handled is one exported span, child of its sender', async (t) => {
  const r = await receiver();
  t.teardown(() => r.close());
  const rt = await startTraced({ OTEL_EXPORTER_OTLP_ENDPOINT: r.endpoint, OTEL_BSP_SCHEDULE_DELAY: '50' });
  let stopped = false;
  t.teardown(async () => { if (!stopped) await rt.shutdown(5000); });
  await rt.deploy([{ name: 'echo-1', module: example('echo'), worker: 1 }, { name: 'echo-2', module: example('echo'), worker: 2 }]);
  const traceId = randomBytes(16).toString('hex');
  const parent = randomBytes(8).toString('hex');
  // Unsampled traffic in between records nothing.
  const quiet = rt.openEndpoint('quiet', () => undefined);
  for (let i = 0; i < 50; i++) rt.send({ to: 'echo-1', performative: 'request', content: i, traceparent: `00-${randomBytes(16).toString('hex')}-${parent}-00` }, quiet);
  await traffic(rt, 600, traceId, parent);

  await waitUntil(() => rt.metricsSnapshot().spans, (sp) => (sp?.exported ?? 0) >= 600, '600 spans exported', { intervalMs: 5 });
  await rt.shutdown(5000);
  stopped = true;
  t.same(rt.metricsSnapshot().spans, { received: 600, exported: 600, failed: 0, dropped: 0 }, 'recorded 600, exported 600, none failed or dropped');
  t.equal(r.spans.length, 600, 'the collector got 600 spans');
  t.ok(r.spans.every((s) => s.traceId === traceId && s.parentSpanId === parent), 'all in the caller\'s trace, children of its span');
  t.equal(new Set(r.spans.map((s) => s.spanId)).size, 600, 'span ids are unique');
  t.ok(r.spans.every((s) => s.name === 'caxton handle request' && s.kind === 5 && s.status.code === 0));
  t.same(new Set(r.spans.map((s) => s.resource['caxton.thread'])), new Set(['worker-1', 'worker-2']), 'from both workers');
  t.same(new Set(r.spans.map((s) => s.attributes['caxton.agent'])), new Set(['echo-1', 'echo-2']));
  t.ok(r.spans.every((s) => BigInt(s.endNanos) >= BigInt(s.startNanos) && BigInt(s.startNanos) > 1_600_000_000n * 1_000_000_000n), 'times are epoch nanoseconds, end after start');
});

t.test('a collector that hangs: the queue drops spans and counts them; the bus goes on', async (t) => {
  const r = await receiver();
  t.teardown(() => r.close());
  r.hold();
  const rt = await startTraced({
    OTEL_EXPORTER_OTLP_ENDPOINT: r.endpoint, OTEL_BSP_SCHEDULE_DELAY: '20',
    OTEL_BSP_MAX_QUEUE_SIZE: '100', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '50',
    // the held request must not time out (the exporter's default is 10 s): it would count as failed
    OTEL_EXPORTER_OTLP_TIMEOUT: '120000',
  });
  let stopped = false;
  t.teardown(async () => { if (!stopped) await rt.shutdown(5000); });
  await rt.deploy([{ name: 'echo-1', module: example('echo'), worker: 1 }, { name: 'echo-2', module: example('echo'), worker: 2 }]);
  // Every message is delivered although no export completes.
  await traffic(rt, 1000, randomBytes(16).toString('hex'), randomBytes(8).toString('hex'));
  await waitUntil(() => rt.metricsSnapshot().spans, (sp) => sp?.received === 1000, '1000 spans received by the export queue', { intervalMs: 5 });
  // One request (≤ 50 spans) is in flight and held, the queue holds ≤ 100: the rest was dropped.
  const held = rt.metricsSnapshot().spans!;
  t.equal(held.exported, 0, 'nothing exported while the collector hangs');
  t.ok(held.dropped >= 850, `${held.dropped} dropped (≥ 850)`);
  r.release();
  await rt.shutdown(5000);
  stopped = true;
  const end = rt.metricsSnapshot().spans!;
  t.equal(end.received, 1000);
  t.equal(end.failed, 0);
  t.equal(end.exported + end.dropped, 1000, `exported ${end.exported} + dropped ${end.dropped} = received`);
  t.equal(r.spans.length, end.exported, 'the collector got what was counted as exported');
});

/** How many of this process's threads run at each nice value (Linux /proc; field 19 of a task's stat). */
function threadsByNice(): Map<number, number> {
  const counts = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended meanwhile
    }
    const nice = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
    counts.set(nice, (counts.get(nice) ?? 0) + 1);
  }
  return counts;
}

// Skipped on other systems, with this reason: the export thread lowers its
// priority only on Linux (through /proc/thread-self), and only Linux's /proc
// shows a thread's nice value; CI runs on Linux, where it always runs.
t.test('the span export thread runs at nice 10, or as CAXTON_SPAN_EXPORT_NICE says (0: the workers\' priority)', { skip: process.platform !== 'linux' && 'a thread\'s nice value is set through Linux\'s /proc/thread-self' }, async (t) => {
  const r = await receiver();
  t.teardown(() => r.close());
  const saved = process.env.CAXTON_SPAN_EXPORT_NICE;
  t.teardown(() => {
    if (saved === undefined) delete process.env.CAXTON_SPAN_EXPORT_NICE;
    else process.env.CAXTON_SPAN_EXPORT_NICE = saved;
  });
  const base = threadsByNice();
  for (const [setting, nice] of [[undefined, 10], ['5', 5], ['0', 0]] as const) {
    if (setting === undefined) delete process.env.CAXTON_SPAN_EXPORT_NICE;
    else process.env.CAXTON_SPAN_EXPORT_NICE = setting;
    const rt = await startTraced({ OTEL_EXPORTER_OTLP_ENDPOINT: r.endpoint, OTEL_BSP_SCHEDULE_DELAY: '20' });
    try {
      await rt.deploy([{ name: 'echo-1', module: example('echo'), worker: 1 }, { name: 'echo-2', module: example('echo'), worker: 2 }]);
      await traffic(rt, 20, randomBytes(16).toString('hex'), randomBytes(8).toString('hex'));
      // spans exported: the export thread has started and set its priority
      await waitUntil(() => rt.metricsSnapshot().spans, (sp) => (sp?.exported ?? 0) >= 20, '20 spans exported', { intervalMs: 5 });
      const now = threadsByNice();
      const label = setting === undefined ? 'by default' : `with CAXTON_SPAN_EXPORT_NICE=${setting}`;
      if (nice === 0) {
        t.same([...now.keys()].filter((n) => n !== 0), [...base.keys()].filter((n) => n !== 0), `${label}: no thread of the runtime runs at another nice value`);
      } else {
        t.equal((now.get(nice) ?? 0) - (base.get(nice) ?? 0), 1, `${label}: one more thread (the export thread) at nice ${nice}`);
      }
    } finally {
      await rt.shutdown(5000);
    }
  }
});
