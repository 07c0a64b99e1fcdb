// The REST gateway's errors on the wire: a real server on loopback, real WASM
// agents from examples/, plain fetch. The error mapping (api/errors.ts) is
// checked as a client sees it: status code, headers and the {error: {code,
// message, hint, details, status}} body; an invoke that times out; a request
// target that cannot be parsed.
import t from 'tap';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { apiAlive, startTestServer, stopTestServer, type TestServer } from '../helpers/server.js';
import { b64, restCalls } from '../helpers/rest.js';
import { example } from '../helpers/agents.js';
import { within } from '../helpers/wait.js';

t.test('REST gateway: errors', async (t) => {
  const s = await startTestServer();
  t.teardown(() => stopTestServer(s));
  const { deploy, drain } = restCalls(s);
  await deploy({ name: 'echo', module: b64(example('echo')) }); // the agent the calls below address

  t.test('errors: status, code, hint and details on the wire', async (t) => {
    const expectError = (r: Awaited<ReturnType<TestServer['http']>>, status: number, code: string, what: string) => {
      t.equal(r.status, status, `${what}: HTTP ${status}`);
      t.match(r.headers.get('content-type'), /^application\/json/, `${what}: JSON`);
      t.equal(r.body?.error?.code, code, `${what}: ${code}`);
      t.type(r.body?.error?.message, 'string');
      t.ok(typeof r.body?.error?.hint === 'string' && r.body.error.hint.length > 0, `${what}: a hint`);
      t.type(r.body?.error?.details, 'object');
      t.type(r.body?.error?.status, 'string');
      return r.body?.error;
    };

    const nf = expectError(await s.http('GET', '/v1/agents/ghost'), 404, 'AGENT_NOT_FOUND', 'get ghost');
    t.equal(nf.details.agent, 'ghost');
    t.equal(nf.status, 'NOT_FOUND');
    t.match(nf.message, /ghost/);
    t.equal(expectError(await s.http('POST', '/v1/agents/ghost/invoke', { content: 1 }), 404, 'AGENT_NOT_FOUND', 'invoke ghost').details.agent, 'ghost');
    t.equal(expectError(await s.http('POST', '/v1/agents/ghost/messages', { content: 1 }), 404, 'AGENT_NOT_FOUND', 'send to ghost').details.agent, 'ghost');

    const bad = expectError(await s.http('POST', '/v1/agents/echo/invoke', '{"content": '), 400, 'INVALID_ARGUMENT', 'malformed JSON');
    t.equal(bad.details.argument, 'body');
    t.equal(bad.status, 'INVALID_ARGUMENT');
    t.equal(expectError(await s.http('POST', '/v1/agents/echo/messages', '[1,2]'), 400, 'INVALID_ARGUMENT', 'a JSON array').details.argument, 'body');
    t.equal(expectError(await s.http('POST', '/v1/agents/echo/invoke', { content: 1, timeoutMs: 'soon' }), 400, 'INVALID_ARGUMENT', 'a string timeout').details.argument, 'timeoutMs');
    // Every body is checked against its route's schema (the one /v1/openapi.json shows) before the handler runs.
    const typed = expectError(await s.http('POST', '/v1/agents/echo/messages', { performative: 5, content: 1 }), 400, 'INVALID_ARGUMENT', 'a number performative');
    t.equal(typed.details.argument, 'performative');
    t.match(typed.message, /performative/);
    t.match(typed.hint, /a JSON string.*openapi\.json/, 'the hint names the type and where the schema is');
    t.equal(expectError(await s.http('POST', '/v1/agents/echo/invoke', { content: 1, timeoutMs: 1.5 }), 400, 'INVALID_ARGUMENT', 'a fractional timeout').details.argument, 'timeoutMs');
    const missing = expectError(await s.http('POST', '/v1/tasks/contract-net', { capability: 'x' }), 400, 'INVALID_ARGUMENT', 'a task without its task');
    t.equal(missing.details.argument, 'task');
    t.match(missing.message, /task.*required/);
    t.equal(expectError(await deploy({ name: 'x', module: b64(example('echo')), capabilities: ['ok', 1] }), 400, 'INVALID_ARGUMENT', 'a capability that is not a string').details.argument, 'capabilities.1');
    t.equal(expectError(await s.http('POST', '/v1/drain', { shutdown: 'yes' }), 400, 'INVALID_ARGUMENT', 'a string shutdown').details.argument, 'shutdown');
    // null means absent, as before the schemas
    const nulls = await s.http('POST', '/v1/agents/echo/invoke', { content: 'n', conversationId: null, performative: null });
    t.equal(nulls.status, 200, 'null fields are taken as absent');
    t.equal(nulls.body?.reply?.content, 'n');
    // ...but a null content is the JSON value null, sent as such (echo returns it)
    const nullContent = await s.http('POST', '/v1/agents/echo/invoke', { content: null });
    t.equal(nullContent.status, 200);
    t.equal(nullContent.body?.reply?.content, null, 'content null is not dropped');

    const perf = expectError(await s.http('POST', '/v1/agents/echo/messages', { performative: 'shout', content: 1 }), 400, 'UNKNOWN_PERFORMATIVE', 'send shout');
    t.equal(perf.details.performative, 'shout');
    expectError(await s.http('POST', '/v1/agents/echo/invoke', { performative: 'shout', content: 1 }), 400, 'UNKNOWN_PERFORMATIVE', 'invoke shout');

    const notWasm = readFileSync(new URL('../fixtures/not-wasm.wasm.txt', import.meta.url));
    const iw = expectError(await deploy({ name: 'text', module: b64(notWasm) }), 400, 'INVALID_WASM', 'deploy text');
    t.equal(iw.details.agent, 'text');
    t.equal((await s.http('GET', '/v1/agents/text')).status, 404, 'nothing was deployed');
    t.equal(expectError(await deploy({ name: 'x', module: 'not base64!' }), 400, 'INVALID_ARGUMENT', 'module not base64').details.argument, 'module');
    expectError(await deploy({ module: b64(example('echo')) }), 400, 'INVALID_ARGUMENT', 'deploy without a name');

    const ex = expectError(await deploy({ name: 'echo', module: b64(example('echo')) }), 409, 'AGENT_EXISTS', 'deploy echo twice');
    t.equal(ex.details.agent, 'echo');
    t.equal(ex.status, 'ALREADY_EXISTS');

    const none = expectError(await s.http('GET', '/v1/agents', undefined, null), 401, 'UNAUTHENTICATED', 'no token');
    t.equal(none.status, 'UNAUTHENTICATED');
    const none2 = await s.http('GET', '/v1/agents', undefined, null);
    t.match(none2.headers.get('www-authenticate'), /^Bearer\b/, 'www-authenticate names the scheme');
    const wrong = await s.http('GET', '/v1/agents', undefined, 'x'.repeat(43));
    expectError(wrong, 401, 'UNAUTHENTICATED', 'wrong token');
    t.match(wrong.headers.get('www-authenticate'), /^Bearer\b/);
    const basic = await fetch(`${s.base}/v1/agents`, { headers: { authorization: `Basic ${s.token}` } });
    t.equal(basic.status, 401, 'a Basic header is refused');
    t.equal(((await basic.json()) as any).error.code, 'UNAUTHENTICATED');
    t.equal((await s.http('POST', '/v1/agents/echo/messages', { content: 1 }, 'wrong-token-wrong-token')).status, 401, 'sends need the token too');

    const unknown = expectError(await s.http('GET', '/v1/nothing-here'), 404, 'UNKNOWN_ROUTE', 'unknown path');
    t.match(unknown.details, { method: 'GET', path: '/v1/nothing-here' });
    t.equal(unknown.status, 'NOT_FOUND');
    t.equal(unknown.hint.includes('/v1/openapi.json'), true, 'the hint points at the OpenAPI document');
    t.equal((await s.http('GET', '/v1/nothing-here', undefined, null)).status, 404, 'unknown paths are 404 with or without a token');

    const wrongMethod = await s.http('PUT', '/v1/agents', { name: 'x' });
    expectError(wrongMethod, 404, 'UNKNOWN_ROUTE', 'PUT /v1/agents');
    t.same(new Set(wrongMethod.headers.get('allow')?.split(/,\s*/)), new Set(['GET', 'POST']), 'allow lists the methods of the path');
    const wrongMethod2 = await s.http('POST', '/v1/agents/echo');
    expectError(wrongMethod2, 404, 'UNKNOWN_ROUTE', 'POST /v1/agents/echo');
    t.same(new Set(wrongMethod2.headers.get('allow')?.split(/,\s*/)), new Set(['GET', 'DELETE']));
    t.equal((await s.http('GET', '/v1/nothing-here')).headers.get('allow'), null, 'no allow header on an unknown path');

    // a malformed percent-escape in a path parameter is the client's mistake, not a server bug
    for (const path of ['/v1/agents/%E0%A4%A', '/v1/agents/%ZZ', '/v1/conversations/%E0%A4%A/stream']) {
      const r = await s.http('GET', path);
      t.equal(r.status, 400, `${path}: 400, not 500`);
      t.equal(r.body?.error?.code, 'INVALID_ARGUMENT', `${path}: INVALID_ARGUMENT, not INTERNAL`);
    }

    // the gateway still serves after all that
    t.equal((await s.http('POST', '/v1/agents/echo/invoke', { content: 'still here' })).body.reply.content, 'still here');
  });

  t.test('invoke times out with 504 REPLY_TIMEOUT; the late reply is dead-lettered', async (t) => {
    const d = await deploy({ name: 'slow', module: b64(example('slow')), timeLimitMs: 10_000 });
    t.equal(d.status, 201);
    t.equal(d.body.agent.timeLimitMs, 10_000);
    const quick = await s.http('POST', '/v1/agents/slow/invoke', { content: 'now' });
    t.equal(quick.body.reply.content, 'now', 'slow answers non-integer content at once');

    const r = await s.http('POST', '/v1/agents/slow/invoke', { content: 3000, timeoutMs: 200 });
    t.equal(r.status, 504);
    t.equal(r.body.error.code, 'REPLY_TIMEOUT');
    t.equal(r.body.error.status, 'DEADLINE_EXCEEDED');
    t.match(r.body.error.details, { agent: 'slow', timeoutMs: 200 });
    t.ok(r.body.error.hint.length > 0);

    await drain(t); // waits for the 3 s handler and its reply
    const dl = await s.http('GET', '/v1/dead-letters');
    const late = dl.body.deadLetters.filter((x: any) => x.from === 'slow' && x.content === 3000);
    t.equal(late.length, 1, 'the reply that came too late');
    t.match(late[0], { reason: 'NO_WAITER', agent: '$api', performative: 'inform' });
    const slow = await s.http('GET', '/v1/agents/slow');
    t.match(slow.body, { state: 'running', restarts: 0, failed: 0 }, 'the watchdog left it alone');
  });
});

// Its own server: a request that killed the API thread would take the tests above with it.
t.test('an HTTP request whose target URL cannot be parsed must not kill the API thread', async (t) => {
  const s = await startTestServer();
  t.teardown(() => stopTestServer(s));
  t.ok(await apiAlive(s), 'serving before');
  // No token needed: the URL is parsed before routing and auth.
  const sock = net.connect(s.server.httpPort!, '127.0.0.1');
  t.teardown(() => sock.destroy());
  sock.on('error', () => undefined);
  await within(new Promise<void>((resolve) => sock.once('connect', () => resolve())), 'the connection to the HTTP port');
  sock.write('GET //[ HTTP/1.1\r\nHost: x\r\n\r\n');
  // Either an answer (a 400) or the connection dropping (the thread died).
  const first = await within(new Promise<string>((resolve) => {
    sock.once('data', (d) => resolve(d.toString('latin1')));
    sock.once('close', () => resolve('closed'));
  }), 'an answer to the malformed request, or the connection closing');
  sock.destroy();
  t.match(first, /^HTTP\/1\.1 4\d\d/, 'the malformed request gets a 4xx answer');
  t.ok(await apiAlive(s), 'the API still serves gRPC and HTTP afterwards');
});
