// The API thread cannot be stalled or starved (#16 item 6): a REST body is
// refused by its declared size before it is read (413 REQUEST_TOO_LARGE), a
// chunked one once it passes the limit; a gRPC message past its method's
// limit is RESOURCE_EXHAUSTED before it is decoded; a deploy has its own,
// larger limit; connections past the cap are closed while the clients
// already connected keep being served; a connection that does not
// authenticate in time is closed.
import t from 'tap';
import { connect, type Socket } from 'node:net';
import { example } from '../helpers/agents.js';
import { rich, startTestServer, stopTestServer, type TestServer } from '../helpers/server.js';
import { b64 } from '../helpers/rest.js';
import { waitUntil, within } from '../helpers/wait.js';

const LIMIT = 256 * 1024;
const s = await startTestServer({ api: { maxRequestBytes: LIMIT, maxConnections: 8 } });
t.teardown(() => stopTestServer(s));
await s.call(s.agents, 'Deploy', { name: 'echo', module: example('echo') });

/** echo.wasm with a custom section of `pad` bytes: a valid module of any size. */
function padded(pad: number): Uint8Array {
  const name = Buffer.from('pad');
  const body = Buffer.concat([Buffer.from([name.length]), name, Buffer.alloc(pad)]);
  const leb: number[] = [];
  for (let n = body.length; ; ) {
    const byte = n & 0x7f;
    n >>>= 7;
    leb.push(n ? byte | 0x80 : byte);
    if (!n) break;
  }
  return Buffer.concat([example('echo'), Buffer.from([0, ...leb]), body]);
}

/** A raw TCP connection to `port` that records what comes back and when it closes. */
function raw(port: number): { socket: Socket; received: () => string; closed: () => boolean; opened: Promise<void> } {
  const socket = connect(port, '127.0.0.1');
  let text = '';
  let closed = false;
  socket.on('data', (d: Buffer) => { text += d.toString('latin1'); });
  socket.on('error', () => undefined);
  socket.on('close', () => { closed = true; });
  const opened = new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return { socket, received: () => text, closed: () => closed, opened };
}

const auth = (srv: TestServer): string => `authorization: Bearer ${srv.token}\r\n`;

t.test('REST: a Content-Length over the limit is answered 413 before a byte of the body is sent', async (t) => {
  for (const [path, size] of [['/v1/agents/echo/messages', LIMIT + 1], ['/v1/agents', 2 ** 30]] as const) {
    const c = raw(s.server.httpPort!);
    await c.opened;
    c.socket.write(`POST ${path} HTTP/1.1\r\nhost: caxton\r\n${auth(s)}content-type: application/json\r\ncontent-length: ${size}\r\n\r\n`);
    await waitUntil(() => c.closed(), (x) => x, `the answer to ${path} and the connection closed`);
    t.match(c.received(), /^HTTP\/1\.1 413 /, `${path}: 413 while the body was never sent`);
    t.match(c.received(), '"code":"REQUEST_TOO_LARGE"');
    t.match(c.received(), `is ${size} bytes, more than the`);
    t.match(c.received(), '"hint":"Send less');
  }
});

t.test('REST: a chunked body is cut off once it passes the limit, and other clients are served meanwhile', async (t) => {
  const c = raw(s.server.httpPort!);
  await c.opened;
  c.socket.write(`POST /v1/agents/echo/messages HTTP/1.1\r\nhost: caxton\r\n${auth(s)}content-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n`);
  const chunk = 'x'.repeat(16 * 1024);
  let sent = 0;
  // Bounded: ten times the limit at most, then the body would end (and be answered otherwise).
  while (c.received() === '' && !c.closed() && sent < 10 * LIMIT) {
    // a server that answers and closes never drains: the close ends the wait too
    if (!c.socket.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`)) await new Promise((r) => { c.socket.once('drain', r); c.socket.once('close', r); });
    sent += chunk.length;
    if (sent === 2 * chunk.length) {
      // while that upload is under way, the others are served
      t.equal((await s.http('GET', '/v1/server')).status, 200, 'REST is served during the upload');
      t.ok((await s.call(s.management, 'ServerInfo', {})).version, 'gRPC is served during the upload');
    }
  }
  // The body never ends: only a server that cuts it off answers.
  await waitUntil(() => c.closed(), (x) => x, 'the connection closed');
  t.match(c.received(), /^HTTP\/1\.1 413 /, `answered 413 (${sent} bytes written, no last chunk)`);
  t.match(c.received(), /REQUEST_TOO_LARGE/);
  const r = await s.http('POST', '/v1/agents/echo/invoke', { content: 'still here' });
  t.equal(r.body?.reply?.content, 'still here', 'Invoke works after it');
});

t.test('gRPC: a message over its method\'s limit is RESOURCE_EXHAUSTED, REQUEST_TOO_LARGE, before it is decoded', async (t) => {
  const e = await s.call(s.messages, 'Send', { agent: 'echo', contentJson: JSON.stringify('x'.repeat(LIMIT)) }).then(() => undefined, (err: unknown) => err);
  t.ok(e, 'refused');
  t.equal((e as { code: number }).code, 8, 'RESOURCE_EXHAUSTED');
  t.equal(rich(e).reason, 'REQUEST_TOO_LARGE');
  t.match((e as Error).message, `MessageService/Send request is`);
  t.match((e as Error).message, `${LIMIT}-byte limit`);
  const r = await s.call(s.messages, 'Invoke', { agent: 'echo', contentJson: '"ok"' });
  t.equal(r.reply.contentJson, '"ok"', 'the next call is served');
});

t.test('a deploy has its own, larger limit (a module): over REST and gRPC', async (t) => {
  const big = padded(4 * LIMIT);
  const viaGrpc = await s.call(s.agents, 'Deploy', { name: 'big-grpc', module: big });
  t.equal(viaGrpc.agent.state, 'running', `a ${big.length}-byte module over gRPC`);
  const viaRest = await s.http('POST', '/v1/agents', { name: 'big-rest', module: b64(big) });
  t.equal(viaRest.status, 201, `and over REST (${b64(big).length} bytes of base64)`);
});

t.test('connections past the cap are closed; the client already connected keeps being served', async (t) => {
  t.ok((await s.call(s.management, 'ServerInfo', {})).version, 'connected and served');
  const junk = Array.from({ length: 12 }, () => raw(s.server.grpcPort));
  // at most 8 are open at once, the test's own connection among them
  await waitUntil(() => junk.filter((c) => c.closed()).length, (n) => n >= 4, 'the connections past the cap closed');
  t.ok((await s.call(s.management, 'ServerInfo', {})).version, 'the connected client is still served');
  const m = await s.http('GET', '/metrics');
  const refused = Number(/^caxton_api_connections_refused_total (\d+)/m.exec(m.text)?.[1]);
  t.ok(refused >= 4, `counted in /metrics (${refused})`);
  for (const c of junk) c.socket.destroy();
});

t.test('a connection that does not authenticate in time is closed; an authenticated one stays', async (t) => {
  const s2 = await startTestServer({ api: { authTimeoutMs: 500 } });
  t.teardown(() => stopTestServer(s2));
  // authenticated first: its own time-out would have come before the others'
  const good = raw(s2.server.httpPort!);
  await good.opened;
  good.socket.write(`GET /v1/server HTTP/1.1\r\nhost: caxton\r\n${auth(s2)}\r\n`);
  await waitUntil(() => good.received(), (x) => x.includes('"version"'), 'the authenticated answer');
  const silentHttp = raw(s2.server.httpPort!);
  const silentGrpc = raw(s2.server.grpcPort);
  const noToken = raw(s2.server.httpPort!);
  await noToken.opened;
  noToken.socket.write('GET /v1/server HTTP/1.1\r\nhost: caxton\r\n\r\n');
  await waitUntil(() => [silentHttp, silentGrpc, noToken].every((c) => c.closed()), (x) => x, 'the unauthenticated connections closed');
  t.match(noToken.received(), /^HTTP\/1\.1 401 /, 'the one without a token was answered 401 first');
  t.notOk(good.closed(), 'the authenticated connection is still open');
  good.socket.write(`GET /v1/server HTTP/1.1\r\nhost: caxton\r\n${auth(s2)}\r\n`);
  await waitUntil(() => good.received().split('"version"').length, (n) => n === 3, 'a second answer on it');
  good.socket.destroy();
  const m = await within(s2.http('GET', '/metrics'), '/metrics');
  t.ok(Number(/^caxton_api_connections_unauthenticated_total (\d+)/m.exec(m.text)?.[1]) >= 3, 'counted in /metrics');
});
