// Tool calls in traces (docs/mcp.md, Observability): a real Runtime with
// OTLP traces on (OTEL_* variables, as span-export.test.ts), exporting to a
// receiver this test runs (test/helpers/otlp.ts); the tool-proxy example
// agent; the MCP fixture server over stdio and over Streamable HTTP as real
// processes. A sampled request to the agent gives, for its tool call, one
// CLIENT span "caxton tool call server/tool" on the supervisor thread, child
// of the agent's handling span on its worker; an HTTP tool server receives
// that CLIENT span's context as its traceparent header.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { Runtime } from '../../dist/runtime/runtime.js';
import { example } from '../helpers/agents.js';
import { KIND, startOtlpReceiver, type ReceivedSpan } from '../helpers/otlp.js';
import { setOtelEnv } from '../helpers/otel-env.js';
import { ASK_MS, captureLog, httpFixture, serverWhen, stdioFixture } from '../helpers/tool-host.js';

const HANDLE = 'caxton handle request';
const receiver = await startOtlpReceiver();
t.teardown(() => receiver.close());
const log = captureLog('debug');
const restore = setOtelEnv({
  OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf', OTEL_METRICS_EXPORTER: 'none',
  OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY: '50',
});
let rt: Runtime;
try {
  rt = await Runtime.start({ workers: 2, logger: log.logger, tools: { allowCommands: [process.execPath], allowUrls: ['http://127.0.0.1:'] } });
} finally {
  restore();
}
t.teardown(() => rt.shutdown(5000));
const web = await httpFixture(t);
rt.tools.put(stdioFixture('fx'));
rt.tools.put({ name: 'web', http: { url: web.url } });
await serverWhen(rt, 'fx', (s) => s.state === 'ready', 'ready');
await serverWhen(rt, 'web', (s) => s.state === 'ready', 'ready');
await rt.deploy({ name: 'caller', module: example('tool-proxy'), tools: ['*'] });

const hex = (bytes: number): string => randomBytes(bytes).toString('hex');

interface Traced {
  trace: string;
  /** the span id of the request's traceparent: the parent of the agent's handling span */
  parent: string;
  conversationId: string;
  reply: Awaited<ReturnType<Runtime['request']>>;
}

/** A request to the caller agent in a trace of its own (sampled unless told). */
async function call(tool: string, args: Record<string, unknown> = {}, sampled = true, params?: Record<string, unknown>): Promise<Traced> {
  const trace = hex(16);
  const parent = hex(8);
  const conversationId = hex(8);
  const reply = await rt.request({
    to: 'caller', performative: 'request', content: { tool, arguments: args }, conversationId,
    traceparent: `00-${trace}-${parent}-${sampled ? '01' : '00'}`, ...(params ? { params } : {}),
  }, ASK_MS);
  return { trace, parent, conversationId, reply };
}

/** The agent's handling span and the tool call's CLIENT span of one traced call, once both have arrived. */
function spansOf(c: Traced, tool: string): Promise<{ handle: ReceivedSpan; client: ReceivedSpan; all: ReceivedSpan[] }> {
  return receiver.waitFor((spans) => {
    const all = spans.filter((s) => s.traceId === c.trace);
    const handle = all.find((s) => s.name === HANDLE && s.attributes['caxton.agent'] === 'caller' && s.parentSpanId === c.parent);
    const client = all.find((s) => s.name === `caxton tool call ${tool}`);
    return handle && client ? { handle, client, all } : undefined;
  }, `the handling span and the CLIENT span of ${tool} in trace ${c.trace}`);
}

t.test('a tool call is a CLIENT span, child of the agent\'s handling span, with the call\'s attributes', async (t) => {
  const c = await call('fx/echo', { text: 'traced' });
  t.match(c.reply, { performative: 'inform', content: { structuredContent: { text: 'traced' } } });
  const { handle, client, all } = await spansOf(c, 'fx/echo');
  t.equal(handle.kind, KIND.CONSUMER, 'the agent handled the request on a worker');
  t.match(String(handle.resource['caxton.thread']), /^worker-\d$/);
  t.equal(client.kind, KIND.CLIENT, 'the tool call is CLIENT');
  t.equal(client.resource['caxton.thread'], 'supervisor', 'made on the supervisor thread');
  t.equal(client.traceId, c.trace, 'in the request\'s trace');
  t.equal(client.parentSpanId, handle.spanId, 'its parent is the agent\'s handling span');
  t.match(client.attributes, {
    'caxton.tool': 'fx/echo', 'caxton.agent': 'caller', 'caxton.conversation_id': c.conversationId, 'rpc.system': 'mcp', 'rpc.method': 'tools/call',
  }, 'names the tool, the agent and the conversation');
  t.equal(client.status.code, 0, 'an answered call leaves the status unset');
  t.equal(all.filter((s) => s.kind === KIND.CLIENT).length, 1, 'one CLIENT span for one call');
  const line = log.lines.find((l) => l.conversationId === c.conversationId && l.tool === 'fx/echo');
  t.match(line, { agent: 'caller', outcome: 'ok', traceId: c.trace }, 'the call\'s log line carries its trace id');
});

t.test('a failed call: the CLIENT span has an error status naming the failure; isError is an attribute', async (t) => {
  const thrown = await call('fx/throw');
  t.match(thrown.reply, { performative: 'failure', content: { code: 'TOOL_ERROR' } });
  const failed = await spansOf(thrown, 'fx/throw');
  t.equal(failed.client.parentSpanId, failed.handle.spanId);
  t.match(failed.client.status, { code: 2, message: /^TOOL_ERROR: tool server "fx" answered with an error: .*it threw/ });

  const late = await call('fx/sleep', { ms: 600_000 }, true, { replyBy: Date.now() + 500 });
  t.match(late.reply, { performative: 'failure', content: { code: 'TOOL_TIMEOUT' } });
  const timedOut = await spansOf(late, 'fx/sleep');
  t.match(timedOut.client.status, { code: 2, message: /^TOOL_TIMEOUT: / });

  const isError = await call('fx/fail');
  t.match(isError.reply, { performative: 'inform', content: { isError: true } });
  const reported = await spansOf(isError, 'fx/fail');
  t.equal(reported.client.status.code, 0, 'a tool that ran and reported an error is not a failed call');
  t.equal(reported.client.attributes['caxton.tool_is_error'], true);
});

t.test('an HTTP tool server receives the CLIENT span\'s context as its traceparent header', async (t) => {
  const c = await call('web/last-headers');
  t.equal(c.reply.performative, 'inform');
  const text = (c.reply.content as { content: { text: string }[] }).content[0]!.text;
  const { current } = JSON.parse(text) as { current: Record<string, string> };
  const { client, handle } = await spansOf(c, 'web/last-headers');
  t.equal(client.parentSpanId, handle.spanId);
  t.equal(current.traceparent, `00-${client.traceId}-${client.spanId}-01`, 'the trace id and span id of the CLIENT span, sampled');

  // Not sampled: no span, and the server still gets the trace id, not sampled.
  const quiet = await call('web/last-headers', {}, false);
  const seenQuiet = JSON.parse((quiet.reply.content as { content: { text: string }[] }).content[0]!.text) as { current: Record<string, string> };
  t.match(seenQuiet.current.traceparent, new RegExp(`^00-${quiet.trace}-[0-9a-f]{16}-00$`), 'the trace context goes on, marked not sampled');
  // Spans leave the supervisor in the order they end: once a later call's span is in, an earlier one would be too.
  const after = await call('web/echo', { text: 'after' });
  await spansOf(after, 'web/echo');
  t.same(receiver.spans.filter((s) => s.traceId === quiet.trace), [], 'an unsampled call makes no span');
});
