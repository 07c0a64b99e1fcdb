// Review reproductions for the API thread (api/http.ts, api/bus-client.ts, bus/tap.ts).
// Each sub-test fails on the code as reviewed; see the report for the fixes.
import t from 'tap';
import net from 'node:net';
import { status } from '@grpc/grpc-js';
import { example, fixture } from '../helpers/agents.js';
import { startTestServer, stopTestServer, type TestServer } from '../helpers/server.js';
import { G_WATCH_COUNT } from '../../dist/bus/layout.js';
import { waitUntil, within } from '../helpers/wait.js';

/** Is the API thread still serving? (a gRPC call and an HTTP probe, each answered or refused, no timers) */
async function apiAlive(s: TestServer): Promise<boolean> {
  const info = await s.call(s.management, 'ServerInfo', {}, { deadlineMs: 10_000 }).then(() => true, () => false);
  const http = await fetch(`${s.base}/healthz`).then((r) => r.status === 200, () => false);
  return info && http;
}

t.test('an HTTP request whose target URL cannot be parsed must not kill the API thread', async (t) => {
  const s = await startTestServer();
  t.teardown(() => stopTestServer(s));
  t.ok(await apiAlive(s), 'serving before');
  // No token needed: the URL is parsed before routing and auth, outside the try block of serve().
  const sock = net.connect(s.server.httpPort!, '127.0.0.1');
  t.teardown(() => sock.destroy());
  sock.on('error', () => undefined);
  await within(new Promise<void>((resolve) => sock.once('connect', () => resolve())), 'the connection to the HTTP port');
  sock.write('GET //[ HTTP/1.1\r\nHost: x\r\n\r\n');
  // Either an answer (fixed: a 400) or the connection dropping (the thread died).
  const first = await within(new Promise<string>((resolve) => {
    sock.once('data', (d) => resolve(d.toString('latin1')));
    sock.once('close', () => resolve('closed'));
  }), 'an answer to the malformed request, or the connection closing');
  sock.destroy();
  t.match(first, /^HTTP\/1\.1 4\d\d/, 'the malformed request gets a 4xx answer');
  t.ok(await apiAlive(s), 'the API still serves gRPC and HTTP afterwards');
});

t.test('an agent reply with undecodable params must not kill the API thread', async (t) => {
  const s = await startTestServer();
  t.teardown(() => stopTestServer(s));
  // r-bad-reply answers every message with an INFORM whose params are a truncated msgpack str8.
  await s.call(s.agents, 'Deploy', { name: 'garbler', module: fixture('r-bad-reply') });
  await s.call(s.agents, 'Deploy', { name: 'echo', module: example('echo') });
  const r = await s.call(s.messages, 'Invoke', { agent: 'garbler', contentJson: '1' }, { deadlineMs: 5000 }).catch((e) => e);
  t.not(r?.code, status.UNAVAILABLE, `the Invoke is answered, not cut off (got ${r?.code ?? 'a reply'})`);
  t.ok(await apiAlive(s), 'the API still serves after the bad reply');
  const ok = await s.call(s.messages, 'Invoke', { agent: 'echo', contentJson: '2' }, { deadlineMs: 5000 }).catch((e) => e);
  t.equal(ok?.reply?.contentJson, '2', 'other agents can still be invoked');
});

t.test('streaming conversation "0" must not corrupt the watch table for other streams', async (t) => {
  const s = await startTestServer();
  t.teardown(() => stopTestServer(s));
  await s.call(s.agents, 'Deploy', { name: 'echo', module: example('echo') });
  const i32 = s.server.runtime.bus.i32;
  const open = (id: string) => {
    const stream = (s.messages.StreamConversation as Function).call(s.messages, { conversationId: id }, s.metadata());
    t.teardown(() => {
      stream.on('error', () => undefined); // CANCELLED
      stream.cancel();
    });
    const opened = within(new Promise<'open' | any>((resolve) => {
      stream.once('metadata', () => resolve('open'));
      stream.once('error', (e: any) => resolve(e));
    }), `the stream of conversation "${id}" opened or refused`);
    return { stream, opened };
  };
  // "0" is the all-zero conversation key ("no conversation"). Rejecting it is a fine fix too.
  const zero = open('0');
  const zeroOpened = await zero.opened;
  if (zeroOpened !== 'open') t.equal(zeroOpened.code, status.INVALID_ARGUMENT, 'conversation "0" refused as an invalid argument');
  const other = open('order-7');
  t.equal(await other.opened, 'open', 'the second stream opens');
  const received: any[] = [];
  const gotReply = new Promise<void>((resolve, reject) => {
    other.stream.on('data', (m: any) => {
      received.push(m);
      if (m.sender === 'echo') resolve();
    });
    other.stream.on('error', (e: any) => { if (e.code !== status.CANCELLED) reject(e); });
  });
  if (zeroOpened === 'open') {
    const before = Atomics.load(i32, G_WATCH_COUNT);
    zero.stream.on('error', () => undefined);
    zero.stream.cancel();
    // wait (on the shared count, not a timer) until the server has dropped the "0" watch
    await waitUntil(() => Atomics.load(i32, G_WATCH_COUNT), (n) => n < before, `the watch count below ${before}`, { intervalMs: 0 });
    t.equal(Atomics.load(i32, G_WATCH_COUNT), before - 1, 'the "0" stream is gone');
  }
  await s.call(s.messages, 'Send', { agent: 'echo', performative: 'inform', contentJson: '"hi"', conversationId: 'order-7' });
  // The request copy (a tap made by the worker before echo runs) precedes echo's reply
  // on the same worker -> API ring, so once the reply is here the copy must be too.
  await within(gotReply, 'echo\'s reply on the stream', { seen: () => received });
  other.stream.cancel();
  t.ok(received.some((m) => m.sender === '$api' && m.receiver === 'echo'), 'the stream saw the request delivered to echo (its watch entry survived)');
});
