// The API thread's pre-wake (api/bus-client.ts prewake): an Invoke from a
// sequential caller wakes its likely worker as soon as the call's metadata
// (gRPC) or path (REST) is read. Whether a woken worker is in time is a
// matter of microseconds and is measured by `caxton bench --scenario api`;
// what is tested here is when the API thread decides to pre-wake, counted
// by caxton_api_prewakes_total, and that calls are answered the same with
// the trick on or off. Each decision below follows from the order of the
// calls alone: every call is awaited before the next starts, the second of
// the two overlapping calls starts once the first is known to wait (the
// agent has received it), and the next call starts once the server has
// finished both.
import t, { type Test } from 'tap';
import type * as grpc from '@grpc/grpc-js';
import { example } from '../helpers/agents.js';
import { startTestServer, stopTestServer, type TestServer, type UnaryFn } from '../helpers/server.js';
import { parseExposition, type Exposition } from '../helpers/prometheus.js';
import { waitUntil } from '../helpers/wait.js';

async function scrape(s: TestServer): Promise<Exposition> {
  const r = await s.http('GET', '/metrics');
  if (r.status !== 200) throw new Error(`/metrics answered ${r.status}: ${r.text}`);
  return parseExposition(r.text);
}

async function prewakes(s: TestServer): Promise<number> {
  return (await scrape(s)).value('caxton_api_prewakes_total', {});
}

/** gRPC Invokes the server has finished with a status other than OK (counted after the call stopped waiting) */
async function failedInvokes(s: TestServer): Promise<number> {
  return (await scrape(s)).samples('caxton_api_calls_total', { gateway: 'grpc', operation: 'MessageService.Invoke' })
    .filter((x) => x.labels.status !== 'OK').reduce((sum, x) => sum + x.value, 0);
}

async function invokeEcho(t: Test, s: TestServer, i: number): Promise<void> {
  const r = await s.call(s.messages, 'Invoke', { agent: 'echo', contentJson: JSON.stringify({ i }) });
  t.equal(r.reply.contentJson, JSON.stringify({ i }), `call ${i} answered`);
}

async function deploy(s: TestServer): Promise<void> {
  await s.call(s.agents, 'Deploy', { name: 'echo', module: example('echo'), worker: 1 });
  // never answers: Invokes to it wait until cancelled
  await s.call(s.agents, 'Deploy', { name: 'silent', module: example('ticker'), worker: 2, configJson: JSON.stringify({ periodMs: 60_000, reportTo: 'echo', count: 0 }) });
}

t.test('a sequential caller pre-wakes from its second Invoke on; overlapping calls stop it until a lone call again', async (t) => {
  const s = await startTestServer();
  t.teardown(() => stopTestServer(s));
  await deploy(s);
  t.equal(await prewakes(s), 0, 'nothing before the first Invoke');

  for (let i = 0; i < 10; i++) await invokeEcho(t, s, i);
  t.equal(await prewakes(s), 9, 'the first Invoke has no history; each of the next 9 pre-wakes');

  for (let i = 0; i < 5; i++) {
    const r = await s.http('POST', '/v1/agents/echo/invoke', { content: { rest: i } });
    t.same([r.status, r.body?.reply?.content], [200, { rest: i }], `REST call ${i} answered`);
  }
  t.equal(await prewakes(s), 14, 'REST Invokes pre-wake too (their path names the agent)');

  // Two Invokes waiting at once: the caller is no longer sequential. The
  // second starts once the first is known to wait (the agent has it).
  const calls: grpc.ClientUnaryCall[] = [];
  const ended: Promise<unknown>[] = [];
  for (let i = 0; i < 2; i++) {
    const before = (await s.call(s.agents, 'Get', { name: 'silent' })).handled;
    ended.push(new Promise((resolve) => {
      calls.push((s.messages.Invoke as UnaryFn).call(s.messages, { agent: 'silent', contentJson: '1' }, s.metadata(), { deadline: Date.now() + 60_000 }, resolve));
    }));
    await waitUntil(async () => (await s.call(s.agents, 'Get', { name: 'silent' })).handled, (n) => n === before + 1, `the silent agent to receive Invoke ${i + 1}`);
  }
  // The client sees its own cancel at once; the server's count of the two
  // calls' status comes after it stopped waiting for them.
  for (const c of calls) c.cancel();
  await Promise.all(ended);
  await waitUntil(() => failedInvokes(s), (n) => n === 2, 'the server to finish the two cancelled Invokes');
  const afterOverlap = await prewakes(s);
  t.equal(afterOverlap, 15, 'the first of the two pre-woke (a lone caller until then); the second found one waiting');

  await invokeEcho(t, s, 100);
  t.equal(await prewakes(s), afterOverlap, 'the first call after the overlap does not pre-wake');
  await invokeEcho(t, s, 101);
  await invokeEcho(t, s, 102);
  t.equal(await prewakes(s), afterOverlap + 2, 'after a lone call, the next ones pre-wake again');

  const known = await prewakes(s);
  const unknown = await s.http('POST', '/v1/agents/nobody/invoke', { content: 1 });
  t.equal(unknown.status, 404, 'an Invoke to an unknown agent is still NOT_FOUND');
  t.equal(await prewakes(s), known, 'and wakes no worker');
  await invokeEcho(t, s, 103);
});

t.test('apiPrewake: false never pre-wakes, and the calls are answered the same', async (t) => {
  const s = await startTestServer({ apiPrewake: false });
  t.teardown(() => stopTestServer(s));
  await deploy(s);
  for (let i = 0; i < 10; i++) await invokeEcho(t, s, i);
  const r = await s.http('POST', '/v1/agents/echo/invoke', { content: 'x' });
  t.same([r.status, r.body?.reply?.content], [200, 'x']);
  t.equal(await prewakes(s), 0);
});
