// OpenTelemetry end to end: the real CLI server as a subprocess, configured
// only by the standard OTEL_* variables, exports its spans over OTLP/HTTP to
// a receiver this test runs (test/helpers/otlp.ts). One Invoke from a real
// grpc-js client must give one connected trace across the API thread and a
// worker thread: SERVER -> PRODUCER (send) -> CONSUMER (handle, on a worker)
// -> CONSUMER (receive the reply, on the API thread).
import t, { type Test } from 'tap';
import { randomBytes } from 'node:crypto';
import { example } from '../helpers/agents.js';
import { startServer } from '../helpers/cli-server.js';
import { KIND, roots, startOtlpGrpcReceiver, startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../helpers/otlp.js';
const HEX16 = /^[0-9a-f]{16}$/;
const HEX32 = /^[0-9a-f]{32}$/;

const NAMES = {
  server: 'caxton.v1.MessageService/Invoke',
  send: 'caxton send request',
  handle: 'caxton handle request',
  receive: 'caxton receive inform',
};

interface InvokeTrace { server: ReceivedSpan; send: ReceivedSpan; handle: ReceivedSpan; receive: ReceivedSpan; all: ReceivedSpan[] }

/**
 * Resolves once the four spans of one Invoke's trace have all arrived. Spans
 * that never come fail the subtest (after waitFor's deadline) with what did
 * come, and its teardown still stops the server.
 */
function traceOf(receiver: OtlpReceiver, isServerSpan: (s: ReceivedSpan) => boolean): Promise<InvokeTrace> {
  return receiver.waitFor((spans) => {
    const server = spans.find((s) => s.name === NAMES.server && isServerSpan(s));
    if (!server) return undefined;
    const all = spans.filter((s) => s.traceId === server.traceId);
    const send = all.find((s) => s.name === NAMES.send);
    const handle = all.find((s) => s.name === NAMES.handle);
    const receive = all.find((s) => s.name === NAMES.receive);
    return send && handle && receive ? { server, send, handle, receive, all } : undefined;
  }, 'the four spans of the Invoke');
}

/** Every check on one Invoke's trace; `remoteParent` = the caller's span id when it sent a traceparent. */
function checkTrace(t: Test, tr: InvokeTrace, agent: string, conversationId: string, remoteParent?: string): void {
  const { server, send, handle, receive, all } = tr;
  t.match(server.traceId, HEX32, 'a W3C trace id');
  for (const s of all) {
    t.equal(s.traceId, server.traceId, `${s.name}: same trace`);
    t.match(s.spanId, HEX16, `${s.name}: a span id`);
  }
  t.same(all.map((s) => s.name).sort(), Object.values(NAMES).sort(), 'exactly the four spans of one Invoke, each once');

  // (a) the gateway's span on the API thread
  t.equal(server.kind, KIND.SERVER, 'the gateway span is SERVER');
  t.equal(server.resource['caxton.thread'], 'api');
  t.equal(server.resource['service.name'], 'caxton');
  t.equal(server.attributes['caxton.agent'], agent);
  t.equal(server.attributes['caxton.conversation_id'], conversationId, 'the gateway span names the conversation');
  if (remoteParent) t.equal(server.parentSpanId, remoteParent, 'the gateway span is the child of the caller\'s traceparent');
  else t.equal(server.parentSpanId, '', 'without a traceparent the gateway span is the root');
  // (b) the send, on the API thread
  t.equal(send.kind, KIND.PRODUCER, 'the send is PRODUCER');
  t.equal(send.resource['caxton.thread'], 'api');
  t.equal(send.parentSpanId, server.spanId, 'send <- gateway');
  t.equal(send.attributes['caxton.performative'], 'request');
  // (c) the agent's handling, on a worker thread
  t.equal(handle.kind, KIND.CONSUMER, 'the handling is CONSUMER');
  t.match(String(handle.resource['caxton.thread']), /^worker-[1-3]$/, 'handled on a worker thread');
  t.equal(handle.parentSpanId, send.spanId, 'handle <- send, across threads (through the frame header)');
  t.equal(handle.attributes['caxton.agent'], agent);
  t.equal(handle.attributes['caxton.sender'], '$api');
  t.equal(handle.attributes['caxton.conversation_id'], conversationId);
  // (d) the reply, back on the API thread
  t.equal(receive.kind, KIND.CONSUMER, 'the reply\'s receipt is CONSUMER');
  t.equal(receive.resource['caxton.thread'], 'api');
  t.equal(receive.parentSpanId, handle.spanId, 'receive <- handle, across threads again');
  t.equal(receive.attributes['caxton.agent'], agent, 'the reply came from the agent');

  // One connected tree: one root, and every other span's parent is among them.
  const ids = new Set(all.map((s) => s.spanId));
  t.equal(ids.size, all.length, 'span ids are unique');
  const r = roots(all);
  t.equal(r.length, 1, 'exactly one root');
  t.equal(r[0]?.spanId, server.spanId, 'the root is the gateway span');
  for (const s of all) if (s !== server) t.ok(ids.has(s.parentSpanId), `${s.name}: its parent is in the trace`);
  const threads = new Set(all.map((s) => s.resource['caxton.thread']));
  t.ok(threads.size >= 2, `spans from ${threads.size} threads (${[...threads].join(', ')})`);
}

for (const protocol of ['http/json', 'http/protobuf', 'grpc'] as const) {
  t.test(`OTLP over ${protocol}: one connected trace per Invoke`, async (t) => {
    const receiver = protocol === 'grpc' ? await startOtlpGrpcReceiver() : await startOtlpReceiver();
    const s = await startServer({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
      OTEL_BSP_SCHEDULE_DELAY: '200',
      // Traces only: with an endpoint set, metrics would be pushed too (otel-metrics.test.ts covers them).
      OTEL_METRICS_EXPORTER: 'none',
    }).catch(async (e: unknown) => {
      await receiver.close();
      throw e;
    });
    let stopped = false;
    // The server first (its last batches go to a receiver still listening), then the receiver.
    t.teardown(async () => {
      if (!stopped) await s.stop();
      await receiver.close();
      if (!t.passing()) {
        // What did arrive, to tell a missing span from a wrong parent.
        for (const sp of receiver.spans) t.comment(`${sp.resource['caxton.thread']} ${sp.name} trace=${sp.traceId} span=${sp.spanId} parent=${sp.parentSpanId || '-'}`);
        t.comment(`receiver errors: ${JSON.stringify(receiver.errors)}\nserver stderr (end):\n${s.stderr().slice(-4000)}`);
      }
    });
    await s.call(s.agents, 'Deploy', { name: 'greeter', module: example('greeter') });
    const unsampledTrace = randomBytes(16).toString('hex');

    await t.test('an Invoke without a traceparent starts a trace', async (t) => {
      const r = await s.call(s.messages, 'Invoke', { agent: 'greeter', contentJson: '"otel"' });
      t.match(r.reply, { performative: 'inform', sender: 'greeter', contentJson: '"hello, otel"' });
      const tr = await traceOf(receiver, (sp) => sp.attributes['caxton.conversation_id'] === r.reply.conversationId);
      checkTrace(t, tr, 'greeter', r.reply.conversationId);
      // The reply names its trace and the span of the handling that sent it, so a client can look it up.
      t.match(r.reply, { traceId: tr.server.traceId, spanId: tr.handle.spanId, sampled: true }, 'the reply carries its trace context');
    });

    await t.test('an Invoke with a traceparent continues the caller\'s trace', async (t) => {
      const traceId = randomBytes(16).toString('hex');
      const parent = randomBytes(8).toString('hex');
      const r = await s.call(s.messages, 'Invoke', { agent: 'greeter', contentJson: '"caller"' }, { traceparent: `00-${traceId}-${parent}-01` });
      t.equal(r.reply.contentJson, '"hello, caller"');
      const tr = await traceOf(receiver, (sp) => sp.traceId === traceId);
      t.equal(tr.server.traceId, traceId, 'the trace id is the caller\'s');
      checkTrace(t, tr, 'greeter', r.reply.conversationId, parent);
      t.match(r.reply, { traceId, spanId: tr.handle.spanId, sampled: true }, 'the reply carries the caller\'s trace');
    });

    await t.test('a traceparent that is not sampled exports nothing (parentbased_always_on)', async (t) => {
      const r = await s.call(s.messages, 'Invoke', { agent: 'greeter', contentJson: '"quiet"' }, { traceparent: `00-${unsampledTrace}-${randomBytes(8).toString('hex')}-00` });
      t.equal(r.reply.contentJson, '"hello, quiet"', 'the call itself works');
      t.match(r.reply, { traceId: unsampledTrace, spanId: /^[0-9a-f]{16}$/, sampled: false }, 'the reply carries the unsampled trace on');
      // checked once the server has stopped and flushed every thread's batch, below
    });

    await t.test('after SIGTERM every batch is flushed: nothing more, nothing malformed', async (t) => {
      const code = await s.stop();
      stopped = true;
      t.equal(code, 0, 'the server exits 0 on SIGTERM');
      t.same(receiver.errors, [], 'every export request decoded');
      t.ok(receiver.requests.length > 0);
      const want = protocol === 'http/json' ? 'application/json' : protocol === 'grpc' ? 'application/grpc' : 'application/x-protobuf';
      for (const q of receiver.requests) t.equal(q.contentType.split(';')[0], want, `sent as ${want}`);
      t.notOk(receiver.spans.some((sp) => sp.traceId === unsampledTrace), 'no span of the unsampled trace');
      // Each sampled Invoke still has exactly its four spans (nothing came late).
      const byTrace = new Map<string, ReceivedSpan[]>();
      for (const sp of receiver.spans) byTrace.set(sp.traceId, [...(byTrace.get(sp.traceId) ?? []), sp]);
      t.equal(byTrace.size, 2, 'two traces: the two sampled Invokes');
      for (const [id, spans] of byTrace) t.same(spans.map((sp) => sp.name).sort(), Object.values(NAMES).sort(), `trace ${id}: four spans`);
      const threads = new Set(receiver.spans.map((sp) => sp.resource['caxton.thread']));
      t.ok(threads.has('api'), 'the API thread exported');
      t.ok([...threads].some((th) => /^worker-\d+$/.test(String(th))), 'a worker thread exported');
    });
  });
}
