// Attacks on POST /mcp (#17 item 7), against a real server with small
// request limits: no token or a wrong one, a body over the limit (declared
// and streamed), garbage JSON, messages that are not JSON-RPC, a batch of
// many requests, an unknown method, tool or resource, arguments against the
// schema, the HTTP methods and media types the transport does not take, and
// a deploy whose manifest names files of the server (refused without reading
// them, the same answer for a file that exists as for one that does not).
// Each is answered with a JSON-RPC error carrying our code and hint (or the
// HTTP status the transport demands), and the server keeps serving.
import t from 'tap';
import { connect } from 'node:net';
import { example } from '../helpers/agents.js';
import { agentsDir } from '../helpers/cli.js';
import { httpSession, rpcError, type McpSession } from '../helpers/mcp.js';
import { apiAlive, startTestServer, stopTestServer } from '../helpers/server.js';
import { waitUntil } from '../helpers/wait.js';

const DEPLOY_LIMIT = 256 * 1024;
const s = await startTestServer({ api: { maxRequestBytes: 64 * 1024, maxDeployRequestBytes: DEPLOY_LIMIT } });
await s.call(s.agents, 'Deploy', { name: 'echo', module: example('echo') });
const mcp: McpSession = await httpSession(s.base, s.token);
t.teardown(async () => {
  await mcp.close();
  await stopTestServer(s);
});

const MCP_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

/** A raw request to /mcp: the status, headers and JSON body. */
async function post(body: unknown, o: { token?: string | null; headers?: Record<string, string>; method?: string } = {}): Promise<{ status: number; headers: Headers; json: any }> {
  const headers: Record<string, string> = { ...MCP_HEADERS, ...o.headers };
  const token = o.token === undefined ? s.token : o.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${s.base}/mcp`, {
    method: o.method ?? 'POST', headers, signal: AbortSignal.timeout(30_000),
    ...(o.method === 'GET' || o.method === 'DELETE' ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : undefined };
}

const rpc = (id: number, method: string, params?: unknown) => ({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) });

t.test('no token, a wrong token, a malformed header: 401 with our code and hint, for the SDK client too', async (t) => {
  for (const [what, token, problem] of [['none', null, /no "authorization" header/], ['wrong', `${s.token.slice(0, -1)}x`, /the token is wrong/], ['malformed', 'a b c', /not of the form "Bearer TOKEN"/]] as const) {
    const r = await post(rpc(1, 'tools/list'), { token: token === 'a b c' ? null : token, headers: token === 'a b c' ? { authorization: 'Basic abc' } : {} });
    t.equal(r.status, 401, `${what}: 401`);
    t.equal(r.headers.get('www-authenticate'), 'Bearer realm="caxton"');
    t.match(r.json, { jsonrpc: '2.0', id: null, error: { code: -32000, message: problem, data: { code: 'UNAUTHENTICATED', hint: /authorization: Bearer TOKEN/ } } }, `${what}: a JSON-RPC error`);
  }
  await t.rejects(httpSession(s.base, null), /401|UNAUTHENTICATED|not authenticated/i, 'the SDK client cannot connect without the token');
  await t.rejects(httpSession(s.base, 'not-the-token-at-all'), /401|UNAUTHENTICATED|not authenticated/i, 'nor with a wrong one');
});

t.test('a body over the limit: 413 by its Content-Length before it is read, and once a chunked one passes it', async (t) => {
  const big = JSON.stringify(rpc(1, 'tools/call', { name: 'send_message', arguments: { agent: 'echo', content: 'x'.repeat(DEPLOY_LIMIT) } }));
  const r = await post(big);
  t.equal(r.status, 413);
  t.match(r.json, { id: null, error: { code: -32000, message: /the Mcp request is \d+ bytes, more than the 262144-byte limit/, data: { code: 'REQUEST_TOO_LARGE', hint: /Send less/ } } });
  // Chunked: no Content-Length, so the body is refused as it streams in.
  const socket = connect(s.server.httpPort!, '127.0.0.1');
  let answer = '';
  let closed = false;
  socket.on('data', (d: Buffer) => { answer += d.toString('latin1'); });
  socket.on('error', () => undefined);
  socket.on('close', () => { closed = true; });
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write(`POST /mcp HTTP/1.1\r\nhost: caxton\r\nauthorization: Bearer ${s.token}\r\ncontent-type: application/json\r\naccept: application/json, text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n`);
  const chunk = 'x'.repeat(32 * 1024);
  for (let sent = 0; sent <= 2 * DEPLOY_LIMIT && !closed && answer === ''; sent += chunk.length) {
    if (!socket.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`)) await new Promise((resolve) => { socket.once('drain', resolve); socket.once('close', resolve); });
  }
  await waitUntil(() => closed, (c) => c, 'the connection closed after the 413');
  t.match(answer, /^HTTP\/1\.1 413 /, 'answered 413 while the body never ended');
  t.match(answer, '"code":"REQUEST_TOO_LARGE"');
});

t.test('garbage and things that are not JSON-RPC: parse error and invalid request, with our code', async (t) => {
  const garbage = await post('{"jsonrpc": "2.0", "id": 1, "method": ');
  t.equal(garbage.status, 400);
  t.match(garbage.json, { id: null, error: { code: -32700, message: /^body: is not valid JSON/, data: { code: 'INVALID_ARGUMENT', details: { argument: 'body' }, hint: /JSON-RPC 2\.0/ } } });
  for (const [body, message] of [
    [{ hello: 'world' }, 'body: has no "jsonrpc": "2.0"'],
    [{ jsonrpc: '1.0', id: 1, method: 'tools/list' }, 'body: has no "jsonrpc": "2.0"'],
    [{ jsonrpc: '2.0', id: 1 }, /^body: is not a JSON-RPC 2\.0 request, notification or response/],
    ['"just a string"', 'body: is not a JSON object'],
    [[1, 2], 'body[0]: is not a JSON object'],
    [[], 'body: is an empty batch'],
  ] as const) {
    const r = await post(body);
    t.equal(r.status, 400, JSON.stringify(body));
    t.match(r.json, { error: { code: -32600, message, data: { code: 'INVALID_ARGUMENT' } } });
  }
});

t.test('a batch of many requests is refused whole; a small batch is answered message by message', async (t) => {
  const many = await post(Array.from({ length: 1000 }, (_, i) => rpc(i, 'tools/call', { name: 'list_agents', arguments: {} })));
  t.equal(many.status, 400);
  t.match(many.json, { error: { code: -32600, message: 'body: is a batch of 1000 messages, more than the 16 one request may carry', data: { code: 'INVALID_ARGUMENT', hint: /at most 16/ } } });
  const small = await post([rpc(1, 'tools/list'), rpc(2, 'prompts/list'), rpc(3, 'tools/call', { name: 'list_agents', arguments: {} })]);
  t.equal(small.status, 200);
  const byId = new Map((small.json as any[]).map((m) => [m.id, m]));
  t.equal(byId.get(1).result.tools.length, 8);
  t.match(byId.get(2), { error: { code: -32601, data: { code: 'UNKNOWN_MCP_METHOD', hint: /"tools\/call"/ } } });
  t.match(byId.get(3).result.structuredContent, { agents: [{ name: 'echo' }] });
});

t.test('unknown method, malformed params, unknown tool, arguments against the schema', async (t) => {
  const method = await post(rpc(7, 'sampling/createMessage', {}));
  t.equal(method.status, 200, 'a JSON-RPC error travels in a 200');
  t.match(method.json, { id: 7, error: { code: -32601, message: 'the MCP server does not serve the method "sampling/createMessage"', data: { code: 'UNKNOWN_MCP_METHOD' } } });
  const params = await post(rpc(8, 'tools/call', { arguments: {} }));
  t.match(params.json, { id: 8, error: { code: -32602, message: 'params.name: is required', data: { code: 'INVALID_ARGUMENT', hint: /tools\/call takes params/ } } });
  const read = await post(rpc(9, 'resources/read', { uri: 42 }));
  t.match(read.json, { id: 9, error: { code: -32602, message: /^params\.uri: /, data: { code: 'INVALID_ARGUMENT' } } });
  const tool = await post(rpc(10, 'tools/call', { name: 'rm_rf', arguments: {} }));
  t.match(tool.json, { id: 10, error: { code: -32602, data: { code: 'UNKNOWN_TOOL', details: { tool: 'rm_rf' } } } });
  const args = await post(rpc(11, 'tools/call', { name: 'start_contract_net', arguments: { task: 1, deadlineMs: 10_000_000 } }));
  t.match(args.json, { id: 11, error: { code: -32602, message: 'deadlineMs: must be an integer from 1 to 600000, got 10000000', data: { code: 'INVALID_ARGUMENT', details: { argument: 'deadlineMs' } } } });
  const notObject = await post(rpc(12, 'tools/call', { name: 'list_agents', arguments: [1] }));
  t.match(notObject.json, { id: 12, error: { code: -32602, message: /^params\.arguments: / } });
  const viaClient = await rpcError(mcp.client.readResource({ uri: 'file:///etc/passwd' }));
  t.match(viaClient, { code: -32002, data: { code: 'UNKNOWN_RESOURCE' } }, 'a resource outside caxton:// is unknown, not read');
});

t.test('what the stateless transport does not take: other methods, media types, protocol versions', async (t) => {
  for (const m of ['GET', 'DELETE']) {
    const r = await post(undefined, { method: m });
    t.equal(r.status, 405, m);
    t.equal(r.headers.get('allow'), 'POST');
    t.match(r.json, { error: { message: `/mcp does not take ${m}; it takes POST`, data: { code: 'METHOD_NOT_ALLOWED' } } });
  }
  const type = await post(rpc(1, 'tools/list'), { headers: { 'content-type': 'text/plain' } });
  t.equal(type.status, 415);
  t.match(type.json, { error: { data: { code: 'INVALID_ARGUMENT', details: { argument: 'content-type' } } } });
  const accept = await post(rpc(1, 'tools/list'), { headers: { accept: 'application/json' } });
  t.equal(accept.status, 406);
  t.match(accept.json, { error: { data: { code: 'INVALID_ARGUMENT', details: { argument: 'accept' } } } });
  const version = await post(rpc(1, 'tools/list'), { headers: { 'mcp-protocol-version': '1999-01-01' } });
  t.equal(version.status, 400);
  t.match(version.json, { error: { message: /"1999-01-01" is not an MCP version this server speaks/, data: { details: { argument: 'mcp-protocol-version' } } } });
});

t.test('a deploy over /mcp naming a file of the server: refused without reading it, the same whether it exists or not', async (t) => {
  const deploy = (path: string) => mcp.call('deploy_manifest', { manifest: `apiVersion: caxton.dev/v1\nkind: Fleet\nagents:\n  - name: thief\n    module: ${JSON.stringify(path)}\n` });
  // A real agent module on the server's disk: a server that read the path would deploy it.
  const paths = ['/etc/passwd', '/nonexistent/nothing.wasm', `${agentsDir}echo.wasm`, '../../../../etc/shadow', '/dev/zero', '/proc/self/environ'];
  const answers = [];
  for (const p of paths) {
    const r = await deploy(p);
    t.ok(r.isError, `${p}: refused`);
    t.match(r.value.error, { code: 'MODULE_NOT_INLINE', details: { modulePath: p, line: 5, column: 5 }, hint: /"modules"/ });
    t.notMatch(r.text, /root:|x:0:0|\0asm|PATH=|CAXTON_TOKEN/, `${p}: nothing of the file is shown`);
    answers.push(JSON.stringify(r.value.error).replaceAll(JSON.stringify(p).slice(1, -1), '<path>'));
  }
  t.equal(new Set(answers).size, 1, 'every path gets the same answer but for the path itself');
  t.same(((await s.call(s.agents, 'List', {})).agents as { name: string }[]).map((a) => a.name), ['echo'], 'nothing was deployed');
});

t.test('after all that, the server serves on, /mcp and the rest', async (t) => {
  t.ok(await apiAlive(s), 'gRPC and REST answer');
  t.match((await mcp.call('invoke_agent', { agent: 'echo', content: 'still here' })).value, { reply: { content: 'still here' } });
  const metrics = await (await fetch(`${s.base}/metrics`, { headers: { authorization: `Bearer ${s.token}` } })).text();
  t.match(metrics, /caxton_api_calls_total\{gateway="http",operation="Mcp",status="401"\} [1-9]/, '/mcp calls are counted, refusals too');
});
