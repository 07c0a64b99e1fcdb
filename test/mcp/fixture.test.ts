// The MCP tool server fixture (test/fixtures/mcp/tool-server.mjs) driven by
// the official SDK client, as Caxton's tool host will drive real servers:
// over stdio (StdioClientTransport spawning `node tool-server.mjs`) and over
// Streamable HTTP (`--http 0`, StreamableHTTPClientTransport). Every tool,
// every start-up failure mode, and what the SDK makes of a dying server, a
// garbage line, a notification flood and a server asking a client for
// sampling it never offered. Real processes; no sleep synchronises anything:
// the calls that must fail by time-out are ones that can never be answered.
import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CreateMessageRequestSchema, ElicitRequestSchema, ErrorCode, LoggingMessageNotificationSchema, McpError, type ClientCapabilities } from '@modelcontextprotocol/sdk/types.js';
import { waitUntil, within } from '../helpers/wait.js';
import { FIXTURE, httpFixture as startHttpFixture, type HttpFixture } from '../helpers/tool-host.js';

const TOOLS = ['add', 'count', 'crash', 'echo', 'elicit', 'env', 'fail', 'flood', 'hangup', 'huge', 'last-headers', 'malformed', 'sample', 'sleep', 'throw'];
const MiB = 1024 * 1024;

/** What a test sees of one client: the errors the SDK reported through onerror, and whether the connection closed. */
interface Conn {
  client: Client;
  errors: Error[];
  closed: () => boolean;
}

function watch(client: Client): Conn {
  const errors: Error[] = [];
  let closed = false;
  client.onerror = (e) => { errors.push(e); };
  client.onclose = () => { closed = true; };
  return { client, errors, closed: () => closed };
}

interface StdioOptions {
  capabilities?: ClientCapabilities;
  env?: Record<string, string>;
  maxBufferSize?: number;
  /** connect's own time-out for the initialize request (the SDK's default: 60 s) */
  timeout?: number;
}

interface Stdio extends Conn {
  transport: StdioClientTransport;
  /** the server's stderr so far ('pipe': the server log) */
  stderr: () => string;
  /** client.connect: the handshake, not yet awaited */
  connecting: Promise<void>;
}

/** A client for `node tool-server.mjs ARGS` over stdio, connecting (closed at the end of the test). */
function stdio(t: Test, args: string[] = [], opts: StdioOptions = {}): Stdio {
  const client = new Client({ name: 'caxton-fixture-test', version: '0.0.0' }, { capabilities: opts.capabilities ?? {} });
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [FIXTURE, ...args],
    stderr: 'pipe',
    ...(opts.env && { env: opts.env }),
    ...(opts.maxBufferSize && { maxBufferSize: opts.maxBufferSize }),
  });
  // The PassThrough exists before start(): nothing the server writes early is lost.
  let err = '';
  transport.stderr!.on('data', (d: Buffer) => { err = (err + d.toString('utf8')).slice(-20_000); });
  const conn = watch(client);
  t.teardown(() => client.close());
  const connecting = client.connect(transport, opts.timeout ? { timeout: opts.timeout } : undefined);
  connecting.catch(() => {}); // awaited (or expected to fail) by the test
  return { ...conn, transport, stderr: () => err, connecting };
}

/** stdio(), connected. */
async function connected(t: Test, args: string[] = [], opts: StdioOptions = {}): Promise<Stdio> {
  const s = stdio(t, args, opts);
  await within(s.connecting, `connecting over stdio to the fixture ${args.join(' ')}`, { seen: s.stderr });
  return s;
}

/** The text blocks of a tool result, joined. */
function text(result: unknown): string {
  const content = (result as { content?: Array<{ type: string; text?: string }> }).content ?? [];
  return content.filter((c) => c.type === 'text').map((c) => c.text).join('');
}

function call(client: Client, name: string, args: Record<string, unknown> = {}, options?: Parameters<Client['callTool']>[2]) {
  return within(client.callTool({ name, arguments: args }, undefined, options), `tools/call ${name}`);
}

/** The McpError `p` rejects with (fails the test if it resolves or rejects with something else). */
async function mcpError(t: Test, p: Promise<unknown>, what: string): Promise<McpError> {
  const outcome = await within(p.then((v) => ({ resolved: v }), (e: unknown) => ({ rejected: e })), what);
  if (!('rejected' in outcome)) throw new Error(`${what}: resolved with ${JSON.stringify(outcome.resolved)}`);
  t.type(outcome.rejected, McpError, `${what}: an McpError`);
  return outcome.rejected as McpError;
}

t.test('stdio: every tool listed with its schema, the server name of --name, the stderr lines of --stderr-lines', async (t) => {
  const s = await connected(t, ['--name', 'fixture-one', '--stderr-lines', '3']);
  t.equal(s.client.getServerVersion()?.name, 'fixture-one');
  t.ok(s.client.getServerCapabilities()?.tools, 'the server has the tools capability');
  t.ok(s.client.getServerCapabilities()?.logging, 'and logging (the flood tool sends log notifications)');
  const { tools } = await within(s.client.listTools(), 'tools/list');
  t.same(tools.map((x) => x.name).sort(), TOOLS);
  const tool = (name: string) => tools.find((x) => x.name === name)!;
  for (const x of tools) {
    t.equal(x.inputSchema.type, 'object', `${x.name}: an object input schema`);
    t.ok(x.description, `${x.name}: a description`);
  }
  t.match(tool('echo'), { inputSchema: { properties: { text: { type: 'string' } }, required: ['text'] }, outputSchema: { properties: { text: { type: 'string' } } } });
  t.match(tool('add'), { inputSchema: { properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'] }, outputSchema: { properties: { sum: { type: 'number' } } } });
  t.match(tool('sleep').inputSchema, { properties: { ms: { type: 'integer', minimum: 0 } }, required: ['ms'] });
  t.match(tool('huge').inputSchema, { properties: { bytes: { type: 'integer' } }, required: ['bytes'] });
  t.match(tool('flood').inputSchema, { properties: { count: { type: 'integer' } }, required: ['count'] });
  t.same(tool('fail').inputSchema.properties, {});
  // stderr is a pipe to the client: the server's log, separate from the protocol on stdout.
  await waitUntil(s.stderr, (e) => /line 3 of 3/.test(e), 'the 3 stderr lines of --stderr-lines 3');
  t.match(s.stderr(), /tool-server stderr line 1 of 3\ntool-server stderr line 2 of 3\ntool-server stderr line 3 of 3\n/);
});

t.test('stdio: echo, add, sleep, fail, huge and count answer; bad arguments and unknown tools', async (t) => {
  const { client, errors } = await connected(t);
  t.equal(text(await call(client, 'count')), '0', 'a new process has answered nothing');
  t.same(await call(client, 'echo', { text: 'hello' }), { content: [{ type: 'text', text: 'hello' }], structuredContent: { text: 'hello' } });
  t.same(await call(client, 'add', { a: 2, b: 3 }), { content: [{ type: 'text', text: '5' }], structuredContent: { sum: 5 } });
  t.equal(text(await call(client, 'sleep', { ms: 20 })), 'slept 20');
  const failed = await call(client, 'fail');
  t.equal(failed.isError, true, 'fail: isError is a result, not a rejection');
  t.equal(text(failed), 'it failed');
  const huge = text(await call(client, 'huge', { bytes: 3 * MiB }));
  t.equal(huge.length, 3 * MiB, 'huge: 3 MiB in one text block');
  t.ok(/^x+$/.test(huge), "huge: all 'x'");
  // Arguments against the schema: an isError result, as the SDK's McpServer answers them.
  const bad = await call(client, 'echo', { text: 42 });
  t.equal(bad.isError, true);
  t.match(text(bad), /^Input validation error: .*text must be string/);
  t.equal((await call(client, 'sleep', { ms: -1 })).isError, true, 'sleep: ms below the minimum');
  // An unknown tool: a JSON-RPC error (-32602), not a result.
  const unknown = await mcpError(t, client.callTool({ name: 'no-such-tool' }), 'calling an unknown tool');
  t.equal(unknown.code, ErrorCode.InvalidParams);
  t.equal(unknown.message, 'MCP error -32602: Unknown tool: no-such-tool', 'the SDK client prefixes "MCP error <code>: "');
  t.equal(text(await call(client, 'count')), '9', 'count: the 9 calls before it, the unknown tool included');
  t.same(errors, [], 'nothing reported through onerror');
});

t.test('stdio: a handler that throws is a JSON-RPC error (McpError -32603); the connection lives on', async (t) => {
  const { client, closed } = await connected(t);
  const e = await mcpError(t, client.callTool({ name: 'throw' }), 'calling throw');
  t.equal(e.code, ErrorCode.InternalError);
  t.equal(e.message, 'MCP error -32603: it threw');
  t.equal(text(await call(client, 'echo', { text: 'still here' })), 'still here');
  t.equal(closed(), false);
});

t.test('stdio: callTool options: timeout and signal end a call the server does not answer in time', async (t) => {
  const { client } = await connected(t);
  const late = await mcpError(t, client.callTool({ name: 'sleep', arguments: { ms: 600_000 } }, undefined, { timeout: 100 }), 'sleep 10 min with timeout 100 ms');
  t.equal(late.code, ErrorCode.RequestTimeout);
  t.match(late.message, /Request timed out/);
  const ac = new AbortController();
  const aborted = client.callTool({ name: 'sleep', arguments: { ms: 600_000 } }, undefined, { signal: ac.signal });
  ac.abort();
  const e = await mcpError(t, aborted, 'sleep 10 min, aborted');
  t.equal(e.code, ErrorCode.RequestTimeout, 'an abort is reported with the time-out code too');
  t.match(e.message, /AbortError/);
  t.equal(text(await call(client, 'echo', { text: 'next' })), 'next', 'both calls were cancelled on the server; the connection lives on');
});

t.test('stdio: crash kills the server in the middle of a call: the call fails, the client closes, a new process starts at 0', async (t) => {
  const s = await connected(t);
  await call(s.client, 'echo', { text: 'one' });
  const e = await mcpError(t, s.client.callTool({ name: 'crash' }), 'calling crash');
  t.equal(e.code, ErrorCode.ConnectionClosed);
  t.equal(e.message, 'MCP error -32000: Connection closed');
  t.equal(s.closed(), true, 'client.onclose ran before the pending call failed');
  await waitUntil(s.stderr, (e) => /crash: exiting with code 7/.test(e), 'the last words of the server on the stderr pipe');
  await t.rejects(s.client.callTool({ name: 'count' }), { message: 'Not connected' }, 'a later call: a plain Error "Not connected"');
  const again = await connected(t);
  t.equal(text(await call(again.client, 'count')), '0', 'a restarted server has answered nothing');
});

t.test('stdio: a flood of notifications arrives', async (t) => {
  const N = 2000;
  const { client, errors } = await connected(t);
  const logs: unknown[] = [];
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => { logs.push(n.params.data); });
  t.equal(text(await call(client, 'flood', { count: N })), `flooded ${N}`);
  await waitUntil(() => logs.length, (n) => n === N, `${N} log notifications`);
  t.same(logs.slice(0, 2), ['flood 1 of 2000', 'flood 2 of 2000']);
  t.equal(logs[N - 1], `flood ${N} of ${N}`, 'in order');
  // Progress: the client dispatches a notification on a later microtask but a
  // response at once. The notifications that came in the same read as the
  // response therefore find their token retired: they go to onerror as
  // "Received a progress notification for an unknown token", not to
  // onprogress (SDK issue modelcontextprotocol/typescript-sdk#2580). How many
  // depends on how the pipe cut the stream; none is lost silently.
  const progress: number[] = [];
  t.equal(text(await call(client, 'flood', { count: N }, { onprogress: (p) => { progress.push(p.progress); } })), `flooded ${N}`);
  const dropped = () => errors.filter((e) => /progress notification for an unknown token/.test(e.message)).length;
  await waitUntil(() => progress.length + dropped(), (n) => n === N, `${N} progress notifications, to onprogress or onerror`);
  t.same(progress, progress.map((_, i) => i + 1), 'onprogress saw 1, 2, ... in order, up to where the response overtook the rest');
  t.comment(`progress: ${progress.length} to onprogress, ${dropped()} to onerror as unknown tokens`);
  t.equal(errors.length, dropped(), 'no other error');
});

t.test('stdio: sample and elicit, refused by a client without the capabilities, answered by one with them', async (t) => {
  const plain = await connected(t);
  for (const tool of ['sample', 'elicit']) {
    const r = await call(plain.client, tool);
    t.equal(r.isError, true, `${tool}: the tool reports the refusal as an isError result`);
    t.match(text(r), /refused: MCP error -32601: Method not found/, `${tool}: the client answered -32601 (no handler)`);
  }
  t.same(plain.errors, [], 'the client reported nothing: a refused request is a normal answer');
  t.throws(() => plain.client.setRequestHandler(CreateMessageRequestSchema, () => ({ model: 'm', role: 'assistant' as const, content: { type: 'text' as const, text: '' } })),
    /Client does not support sampling capability/, 'a handler needs the capability declared in the Client options');
  const able = stdio(t, [], { capabilities: { sampling: {}, elicitation: {} } });
  able.client.setRequestHandler(CreateMessageRequestSchema, (req) => ({
    model: 'test-model', role: 'assistant' as const, content: { type: 'text' as const, text: `heard ${req.params.messages.length} message(s)` },
  }));
  able.client.setRequestHandler(ElicitRequestSchema, () => ({ action: 'accept' as const, content: { ok: true } }));
  await within(able.connecting, 'connecting with sampling and elicitation');
  t.same(JSON.parse(text(await call(able.client, 'sample'))), { model: 'test-model', role: 'assistant', content: { type: 'text', text: 'heard 1 message(s)' } });
  t.same(JSON.parse(text(await call(able.client, 'elicit'))), { action: 'accept', content: { ok: true } });
});

t.test('stdio: a broken JSON-RPC line (malformed) is reported and skipped; its call only ends by time-out', async (t) => {
  const { client, errors, closed } = await connected(t);
  const e = await mcpError(t, client.callTool({ name: 'malformed' }, undefined, { timeout: 200 }), 'calling malformed');
  t.equal(e.code, ErrorCode.RequestTimeout);
  await waitUntil(() => errors.length, (n) => n > 0, 'onerror reporting the broken line');
  t.equal(errors.length, 1, 'one error reported');
  t.type(errors[0], SyntaxError, 'the JSON.parse error of the broken line');
  t.equal(text(await call(client, 'echo', { text: 'after' })), 'after', 'the next line is read as usual');
  t.equal(closed(), false);
});

t.test('stdio: --garbage: a non-JSON line before the handshake is reported and skipped', async (t) => {
  const { client, errors } = await connected(t, ['--garbage']);
  // The line precedes the initialize answer on the pipe: reported before connect resolved.
  t.equal(errors.length, 1);
  t.type(errors[0], SyntaxError);
  t.match(errors[0]!.message, /not valid JSON/);
  t.equal(text(await call(client, 'echo', { text: 'fine' })), 'fine');
});

t.test('stdio: --crash-at-start: connect fails with ConnectionClosed; the stderr written before still arrives', async (t) => {
  const s = stdio(t, ['--crash-at-start', '--stderr-lines', '2']);
  const e = await mcpError(t, s.connecting, 'connecting to a server that exits at start');
  t.equal(e.code, ErrorCode.ConnectionClosed);
  t.equal(s.closed(), true);
  await waitUntil(s.stderr, (e) => /line 2 of 2\n.*--crash-at-start: exiting with code 3/.test(e), 'the stderr lines and the last words of the server');
});

t.test('stdio: --hang-at-start: connect fails at its own time-out', async (t) => {
  const s = stdio(t, ['--hang-at-start'], { timeout: 300 });
  const e = await mcpError(t, s.connecting, 'connecting to a server that never answers initialize');
  t.equal(e.code, ErrorCode.RequestTimeout);
  // connect closes the transport on failure: stdin ends and the fixture exits.
  await waitUntil(() => ({ closed: s.closed(), stderr: s.stderr() }), (v) => v.closed, 'the transport closing after the failed connect');
});

t.test('stdio: a message over maxBufferSize (10 MiB by default) closes the connection', async (t) => {
  const s = await connected(t);
  const e = await mcpError(t, s.client.callTool({ name: 'huge', arguments: { bytes: 11 * MiB } }), 'huge 11 MiB');
  t.equal(e.code, ErrorCode.ConnectionClosed);
  t.match(s.errors.map((x) => x.message), ['ReadBuffer exceeded maximum size of 10485760 bytes']);
  t.equal(s.closed(), true);
  const big = await connected(t, [], { maxBufferSize: 32 * MiB });
  t.equal(text(await call(big.client, 'huge', { bytes: 11 * MiB })).length, 11 * MiB, 'with maxBufferSize 32 MiB it arrives');
});

t.test('stdio: env: the server gets what `env` gives plus a few safe variables, not the rest of ours', async (t) => {
  process.env.CAXTON_MCP_FIXTURE_PARENT_ONLY = 'yes';
  t.teardown(() => { delete process.env.CAXTON_MCP_FIXTURE_PARENT_ONLY; });
  const { client } = await connected(t, [], { env: { CAXTON_MCP_FIXTURE_GIVEN: 'given' } });
  t.equal(text(await call(client, 'env', { name: 'CAXTON_MCP_FIXTURE_GIVEN' })), 'given');
  t.equal(text(await call(client, 'env', { name: 'PATH' })), process.env.PATH, 'PATH is one of the inherited few');
  const parentOnly = await call(client, 'env', { name: 'CAXTON_MCP_FIXTURE_PARENT_ONLY' });
  t.equal(parentOnly.isError, true, 'a variable of the parent alone does not reach the server');
});

// ---- Streamable HTTP -----------------------------------------------------------

/** `node tool-server.mjs --http 0 ARGS` as a process of ours (test/helpers/tool-host.ts), killed at the end of the test; its endpoint as a URL. */
async function httpFixture(t: Test, args: string[] = []): Promise<Omit<HttpFixture, 'url'> & { url: URL }> {
  const f = await startHttpFixture(t, 0, args);
  return { ...f, url: new URL(f.url) };
}

interface Http extends Conn {
  /** the traceparent the next request carries (set before a call) */
  trace: { parent: string };
}

const TOKEN = 'Bearer fixture-token';
const traceparent = (n: number) => `00-${String(n).padStart(32, '0')}-${String(n).padStart(16, '0')}-01`;

/** A client of the fixture at `url`: Authorization from requestInit.headers, traceparent added by a fetch wrapper. */
async function httpClient(t: Test, url: URL, timeout?: number): Promise<Http> {
  const trace = { parent: traceparent(1) };
  const transport = new StreamableHTTPClientTransport(url, {
    requestInit: { headers: { Authorization: TOKEN } },
    fetch: (input, init) => {
      const headers = new Headers(init?.headers);
      headers.set('traceparent', trace.parent);
      return fetch(input, { ...init, headers });
    },
  });
  const client = new Client({ name: 'caxton-fixture-test', version: '0.0.0' });
  const conn = watch(client);
  t.teardown(() => client.close());
  await within(client.connect(transport, timeout ? { timeout } : undefined), `connecting over HTTP to ${url.href}`);
  return { ...conn, trace };
}

t.test('HTTP: the listening line, every tool, results, count across requests, errors', async (t) => {
  const f = await httpFixture(t, ['--name', 'fixture-http']);
  const { client, errors } = await httpClient(t, f.url);
  t.equal(client.getServerVersion()?.name, 'fixture-http');
  const { tools } = await within(client.listTools(), 'tools/list');
  t.same(tools.map((x) => x.name).sort(), TOOLS);
  t.equal(text(await call(client, 'count')), '0');
  t.same(await call(client, 'echo', { text: 'over http' }), { content: [{ type: 'text', text: 'over http' }], structuredContent: { text: 'over http' } });
  t.same((await call(client, 'add', { a: 2, b: 3 })).structuredContent, { sum: 5 });
  t.equal(text(await call(client, 'sleep', { ms: 10 })), 'slept 10');
  t.equal(text(await call(client, 'huge', { bytes: 11 * MiB })).length, 11 * MiB, 'no 10 MiB limit over HTTP');
  const failed = await call(client, 'fail');
  t.equal(failed.isError, true);
  const e = await mcpError(t, client.callTool({ name: 'throw' }), 'calling throw over HTTP');
  t.equal(e.code, ErrorCode.InternalError);
  t.equal(text(await call(client, 'count')), '7', 'one process, a new SDK server per request: the count goes on');
  for (const tool of ['sample', 'elicit', 'malformed']) {
    const r = await call(client, tool);
    t.equal(r.isError, true, `${tool}: refused over stateless HTTP`);
  }
  t.same(errors, []);
});

t.test('HTTP: the Authorization of requestInit.headers and a per-call traceparent reach the server', async (t) => {
  const f = await httpFixture(t);
  const { client, trace } = await httpClient(t, f.url);
  trace.parent = traceparent(2);
  await call(client, 'echo', { text: 'traced' });
  trace.parent = traceparent(3);
  const seen = JSON.parse(text(await call(client, 'last-headers'))) as { previous: Record<string, string>; current: Record<string, string> };
  t.match(seen.previous, { authorization: TOKEN, traceparent: traceparent(2), 'content-type': 'application/json' }, 'the echo call');
  t.match(seen.previous['mcp-protocol-version'], /^\d{4}-\d{2}-\d{2}$/, 'the negotiated protocol version, as a header');
  t.match(seen.current, { authorization: TOKEN, traceparent: traceparent(3) }, 'the last-headers call itself');
});

t.test('HTTP: a flood of notifications arrives on the POST\'s SSE stream', async (t) => {
  const N = 2000;
  const f = await httpFixture(t);
  const { client, errors } = await httpClient(t, f.url);
  const logs: unknown[] = [];
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => { logs.push(n.params.data); });
  t.equal(text(await call(client, 'flood', { count: N })), `flooded ${N}`);
  await waitUntil(() => logs.length, (n) => n === N, `${N} log notifications`);
  t.equal(logs[N - 1], `flood ${N} of ${N}`);
  const progress: number[] = [];
  await call(client, 'flood', { count: N }, { onprogress: (p) => { progress.push(p.progress); } });
  const dropped = () => errors.filter((e) => /progress notification for an unknown token/.test(e.message)).length;
  await waitUntil(() => progress.length + dropped(), (n) => n === N, `${N} progress notifications, to onprogress or onerror`);
  t.comment(`progress over HTTP: ${progress.length} to onprogress, ${dropped()} to onerror as unknown tokens`);
  t.equal(errors.length, dropped());
});

t.test('HTTP: crash: the server dies after accepting the call; the call only ends at its time-out', async (t) => {
  const f = await httpFixture(t);
  const { client, errors, closed } = await httpClient(t, f.url);
  const e = await mcpError(t, client.callTool({ name: 'crash' }, undefined, { timeout: 500 }), 'calling crash over HTTP');
  t.equal(e.code, ErrorCode.RequestTimeout, 'no ConnectionClosed over HTTP: nothing answers the pending call');
  t.equal(await within(f.exited, 'the fixture exiting'), 7);
  await waitUntil(() => errors.map((x) => x.message), (m) => m.some((x) => /SSE stream disconnected/.test(x)), 'onerror: the SSE stream of the call broke');
  t.equal(closed(), false, 'the client does not close by itself');
  await t.rejects(client.callTool({ name: 'count' }), { name: 'TypeError', message: 'fetch failed' }, 'the next call: fetch failed, not an McpError');
});

t.test('HTTP: hangup: the call\'s SSE stream ends cleanly without an answer; the SDK waits for the time-out, then the server answers on', async (t) => {
  const f = await httpFixture(t);
  const { client, errors } = await httpClient(t, f.url);
  const e = await mcpError(t, client.callTool({ name: 'hangup' }, undefined, { timeout: 300 }), 'calling hangup over HTTP');
  t.equal(e.code, ErrorCode.RequestTimeout, 'no event id, no answer: nothing resumes the stream, the call ends at its time-out');
  t.same(errors, [], 'a clean end is no transport error');
  t.equal(text(await call(client, 'echo', { text: 'still here' })), 'still here');
});

t.test('HTTP: --crash-at-start exits 3 without listening; --hang-at-start: connect fails at its time-out', async (t) => {
  const child = spawn(process.execPath, [FIXTURE, '--http', '0', '--crash-at-start'], { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
  const code = await within(new Promise<number | null>((resolve) => child.once('close', resolve)), 'the fixture exiting at start');
  t.equal(code, 3);
  t.equal(out, '', 'nothing on stdout');
  const f = await httpFixture(t, ['--hang-at-start']);
  const client = new Client({ name: 'caxton-fixture-test', version: '0.0.0' });
  t.teardown(() => client.close());
  const e = await mcpError(t, client.connect(new StreamableHTTPClientTransport(f.url), { timeout: 300 }), 'connecting to a server that never answers');
  t.equal(e.code, ErrorCode.RequestTimeout);
});
