// The gRPC API end to end: a real server (runtime + API thread), real
// grpc-js clients over loopback, real WASM agents built from examples/.
import t from 'tap';
import { status } from '@grpc/grpc-js';
import { G_WATCH_COUNT } from '../../dist/bus/layout.js';
import { example, fixture } from '../helpers/agents.js';
import { apiAlive, rich, startTestServer, stopTestServer, type StreamFn, type TestServer } from '../helpers/server.js';
import { waitUntil, within } from '../helpers/wait.js';

const HEX16 = /^[0-9a-f]{16}$/;

let s: TestServer;
t.before(async () => {
  s = await startTestServer();
  await s.call(s.agents, 'Deploy', { name: 'echo', module: example('echo'), worker: 2 });
  // slow shares no worker with echo: it must not delay calls to echo
  await s.call(s.agents, 'Deploy', { name: 'slow', module: example('slow'), worker: 1, timeLimitMs: 20_000 });
});
t.teardown(() => stopTestServer(s));

/** Wait until nothing is in flight (ManagementService.Drain without shutdown). */
async function settle(): Promise<any> {
  const r = await s.call(s.management, 'Drain', { timeoutMs: 10_000 });
  if (!r.drained) throw new Error('the server did not settle');
  return r.stats;
}

/** Poll Stats until a message is on the bus (an agent is handling it). */
function somethingInFlight(): Promise<any> {
  return waitUntil(() => s.call(s.management, 'Stats', {}), (st) => st.inFlight > 0, 'a message in flight (Stats.inFlight > 0)', { intervalMs: 0 });
}

/** The teardown of a stream: cancel it (the CANCELLED error it then emits is expected). */
function cancel(stream: { on(event: 'error', f: () => void): unknown; cancel(): void }): void {
  stream.on('error', () => undefined);
  stream.cancel();
}

/** `call.once(event)`, with a deadline. */
function once(call: { once(event: string, f: (...a: any[]) => void): unknown }, event: string, what: string): Promise<unknown> {
  return within(new Promise((resolve) => call.once(event, resolve)), what);
}

t.test('AgentService: Deploy, List, Get, Undeploy', async (t) => {
  const { agent } = await s.call(s.agents, 'Deploy', {
    name: 'counter-1', module: example('counter'), configJson: '{"start": 5}', capabilities: ['counting'],
    memoryLimitBytes: 1 << 20, timeLimitMs: 500, mailbox: 16,
  });
  t.match(agent, { name: 'counter-1', state: 'running', capabilities: ['counting'], memoryLimitBytes: 1 << 20, timeLimitMs: 500, mailbox: 16 });
  t.ok(agent.worker >= 1 && agent.worker <= 2, 'placed on a worker');
  t.match(agent.kind, HEX16);
  const { agents } = await s.call(s.agents, 'List', {});
  t.same(agents.map((a: any) => a.name).sort(), ['counter-1', 'echo', 'slow']);
  const before = await s.call(s.agents, 'Get', { name: 'echo' });
  await s.call(s.messages, 'Invoke', { agent: 'echo', contentJson: '1' });
  await settle();
  const after = await s.call(s.agents, 'Get', { name: 'echo' });
  t.equal(after.handled, before.handled + 1, 'Get counts the handled message');
  t.equal(after.failed, 0);
  t.equal(after.mailboxDepth, 0, 'nothing waits in its mailbox');
  await s.call(s.agents, 'Undeploy', { name: 'counter-1' });
  const err = await s.call(s.agents, 'Get', { name: 'counter-1' }).catch((e) => e);
  t.equal(err.code, status.NOT_FOUND, 'gone after Undeploy');
});

t.test('MessageService.Invoke: request-reply in one conversation', async (t) => {
  const r = await s.call(s.messages, 'Invoke', { agent: 'echo', contentJson: '{"greeting":"hello","n":[1,2,3]}' });
  t.same(JSON.parse(r.reply.contentJson), { greeting: 'hello', n: [1, 2, 3] }, 'same content back');
  t.match(r.reply, { performative: 'inform', sender: 'echo', receiver: '$api' });
  t.match(r.reply.messageId, HEX16);
  t.match(r.reply.inReplyTo, HEX16);
  t.ok(r.latencyUs > 0, 'latency reported');
  const named = await s.call(s.messages, 'Invoke', { agent: 'echo', contentJson: '"x"', conversationId: '00000000000abc12' });
  t.equal(named.reply.conversationId, '00000000000abc12', 'the given conversation id is kept');
  const performative = await s.call(s.messages, 'Invoke', { agent: 'echo', performative: 'query-ref', contentJson: '"q"' });
  t.equal(performative.reply.performative, 'inform');
  const parallel = await Promise.all(Array.from({ length: 200 }, (_, i) => s.call(s.messages, 'Invoke', { agent: 'echo', contentJson: String(i) })));
  t.same(parallel.map((p) => Number(p.reply.contentJson)), Array.from({ length: 200 }, (_, i) => i), '200 concurrent calls each get their own reply');
});

t.test('MessageService.Send: fire and forget', async (t) => {
  const before = (await s.call(s.agents, 'Get', { name: 'echo' })).handled;
  const r = await s.call(s.messages, 'Send', { agent: 'echo', performative: 'inform', contentJson: '"fire"' });
  t.match(r.messageId, HEX16);
  await settle();
  t.equal((await s.call(s.agents, 'Get', { name: 'echo' })).handled, before + 1, 'delivered');
  // echo answered the API endpoint, where no call waited: dead-lettered NO_WAITER, not lost
  const { deadLetters } = await s.call(s.management, 'ListDeadLetters', { limit: 5 });
  const last = deadLetters.at(-1);
  t.match(last, { reason: 'NO_WAITER', from: 'echo', performative: 'inform', contentJson: '"fire"' });
  t.ok(last.hint.length > 10, 'with a hint');
});

t.test('MessageService.StreamConversation sees every message of a conversation', async (t) => {
  const conversation = 'order-42';
  const stream = (s.messages.StreamConversation as StreamFn).call(s.messages, { conversationId: conversation }, s.metadata());
  t.teardown(() => cancel(stream));
  const received: any[] = [];
  const gotTwo = new Promise<void>((resolve, reject) => {
    stream.on('data', (m: any) => {
      received.push(m);
      if (received.length === 2) resolve();
    });
    stream.on('error', (e: any) => { if (e.code !== status.CANCELLED) reject(e); });
  });
  // The server sends headers once the watch is in place.
  await once(stream, 'metadata', 'the stream\'s headers (its watch in place)');
  const r = await s.call(s.messages, 'Invoke', { agent: 'echo', contentJson: '{"item":7}', conversationId: conversation });
  await within(gotTwo, 'the request and the reply on the stream', { seen: () => received });
  stream.cancel();
  t.match(received[0], { performative: 'request', sender: '$api', receiver: 'echo', contentJson: '{"item":7}' }, 'the request, as echo got it');
  t.match(received[1], { performative: 'inform', sender: 'echo', receiver: '$api', messageId: r.reply.messageId }, 'the reply');
  t.equal(received[0].conversationId, r.reply.conversationId, 'one conversation');
  t.equal(received[1].inReplyTo, received[0].messageId, 'the reply answers the request');
  const stats = await settle();
  t.equal(stats.accepted, stats.delivered + stats.deadLettered + stats.inFlight, 'stream copies are not counted as messages');
});

t.test('TaskService.StartContractNet', async (t) => {
  const contractor = example('contract-net-contractor');
  const offers: [string, Record<string, unknown>][] = [['cn-cheap', { price: 5 }], ['cn-mid', { price: 9 }], ['cn-busy', { refuse: true }]];
  for (const [name, config] of offers) {
    await s.call(s.agents, 'Deploy', { name, module: contractor, capabilities: ['grpc-work'], configJson: JSON.stringify({ name, ...config }) });
  }
  const o = await s.call(s.tasks, 'StartContractNet', { capability: 'grpc-work', taskJson: '{"job":"translate"}', deadlineMs: 5000 });
  t.equal(o.status, 'completed');
  t.equal(o.winner, 'cn-cheap', 'lowest price wins');
  t.same(o.proposals.map((p: any) => p.agent).sort(), ['cn-cheap', 'cn-mid']);
  t.same(o.refusals.map((p: any) => p.agent), ['cn-busy']);
  t.not(o.resultJson, 'null', 'the winner reported a result');
  t.ok(o.transcript.length >= 7, `a transcript of ${o.transcript.length} messages`);
  t.match(o.conversationId, HEX16);
  const highest = await s.call(s.tasks, 'StartContractNet', { contractors: ['cn-cheap', 'cn-mid'], taskJson: '"x"', deadlineMs: 5000, select: 'highest:price' });
  t.equal(highest.winner, 'cn-mid', 'highest:price');
  const none = await s.call(s.tasks, 'StartContractNet', { capability: 'nobody-offers-this', taskJson: '"x"', deadlineMs: 100 });
  t.equal(none.status, 'no-contractors');
  const bad = await s.call(s.tasks, 'StartContractNet', { capability: 'grpc-work', taskJson: '"x"', deadlineMs: 100, select: 'cheapest' }).catch((e) => e);
  t.equal(bad.code, status.INVALID_ARGUMENT);
  t.equal(rich(bad).reason, 'INVALID_ARGUMENT');
});

t.test('ManagementService: ServerInfo, Stats, ListDeadLetters, Drain', async (t) => {
  const info = await s.call(s.management, 'ServerInfo', {});
  t.match(info, { workers: 2, abiVersion: 2, state: 'running', nodeVersion: process.version });
  t.match(info.version, /^\d+\.\d+\.\d+/);
  t.ok(info.uptimeSeconds > 0);
  t.ok(info.agents >= 2);
  const stats = await settle();
  t.equal(stats.accepted, stats.delivered + stats.deadLettered + stats.inFlight, 'accepted = delivered + dead-lettered + in flight');
  t.equal(stats.inFlight, 0);
  t.equal(stats.workers, 2);
  const direct = await s.call(s.management, 'Stats', {});
  t.equal(direct.accepted, stats.accepted, 'Stats agrees with Drain');
  const dl = await s.call(s.management, 'ListDeadLetters', { limit: 1 });
  t.ok(dl.deadLetters.length <= 1, 'limit honoured');
});

t.test('errors map to gRPC statuses with rich details', async (t) => {
  const notFound = await s.call(s.messages, 'Invoke', { agent: 'ghost', contentJson: '1' }).catch((e) => e);
  t.equal(notFound.code, status.NOT_FOUND);
  const nf = rich(notFound);
  t.match(nf, { reason: 'AGENT_NOT_FOUND', domain: 'caxton.dev', resource: { resourceName: 'ghost' } });
  t.ok(nf.hint && nf.hint.length > 10, 'hint');
  t.equal(notFound.metadata.get('caxton-error-code')[0], 'AGENT_NOT_FOUND');

  const badJson = await s.call(s.messages, 'Send', { agent: 'echo', contentJson: '{not json' }).catch((e) => e);
  t.equal(badJson.code, status.INVALID_ARGUMENT);
  t.equal(rich(badJson).fieldViolations[0]?.field, 'content_json', 'BadRequest names the field');

  const badAct = await s.call(s.messages, 'Send', { agent: 'echo', performative: 'shout', contentJson: '1' }).catch((e) => e);
  t.equal(badAct.code, status.INVALID_ARGUMENT);
  t.equal(rich(badAct).reason, 'UNKNOWN_PERFORMATIVE');

  const noName = await s.call(s.agents, 'Deploy', { name: '', module: example('echo') }).catch((e) => e);
  t.equal(noName.code, status.INVALID_ARGUMENT);
  t.equal(rich(noName).fieldViolations[0]?.field, 'name');

  const badWasm = await s.call(s.agents, 'Deploy', { name: 'not-wasm', module: Buffer.from('hello, world') }).catch((e) => e);
  t.equal(badWasm.code, status.INVALID_ARGUMENT);
  t.equal(rich(badWasm).reason, 'INVALID_WASM');

  const twice = await s.call(s.agents, 'Deploy', { name: 'echo', module: example('echo') }).catch((e) => e);
  t.equal(twice.code, status.ALREADY_EXISTS);
  t.equal(rich(twice).reason, 'AGENT_EXISTS');

  const big = await s.call(s.messages, 'Send', { agent: 'echo', contentJson: JSON.stringify('x'.repeat(70_000)) }).catch((e) => e);
  t.equal(big.code, status.INVALID_ARGUMENT, 'oversized message');
  t.equal(rich(big).reason, 'FRAME_TOO_LARGE');

  const noToken = await s.call(s.management, 'Stats', {}, { token: null }).catch((e) => e);
  t.equal(noToken.code, status.UNAUTHENTICATED);
  t.equal(rich(noToken).reason, 'UNAUTHENTICATED');
  t.match(rich(noToken).hint, /Bearer/);
  const wrong = await s.call(s.management, 'Stats', {}, { token: 'not-the-token-at-all' }).catch((e) => e);
  t.equal(wrong.code, status.UNAUTHENTICATED);
  t.match(wrong.details, /wrong/);
  // the server keeps serving after every one of these
  t.equal((await s.call(s.messages, 'Invoke', { agent: 'echo', contentJson: '"still here"' })).reply.contentJson, '"still here"');
});

t.test('Invoke honours the gRPC deadline', async (t) => {
  const err = await s.call(s.messages, 'Invoke', { agent: 'slow', contentJson: '1500' }, { deadlineMs: 200 }).catch((e) => e);
  t.equal(err.code, status.DEADLINE_EXCEEDED);
  // slow still answers (late): the reply is dead-lettered NO_WAITER, not lost
  const stats = await settle();
  t.equal(stats.inFlight, 0);
  const { deadLetters } = await s.call(s.management, 'ListDeadLetters', { limit: 3 });
  t.ok(deadLetters.some((d: any) => d.reason === 'NO_WAITER' && d.from === 'slow'), 'the late reply is in the dead-letter queue');
});

t.test('a cancelled Invoke stops waiting: the late reply is dead-lettered NO_WAITER and the server keeps serving', async (t) => {
  await settle();
  const countLate = async (): Promise<number> => {
    const { deadLetters } = await s.call(s.management, 'ListDeadLetters', { limit: 1000 });
    return deadLetters.filter((d: any) => d.reason === 'NO_WAITER' && d.from === 'slow').length;
  };
  const before = await countLate();
  let call: { cancel(): void } | undefined;
  const outcome = new Promise<any>((resolve) => {
    call = (s.messages as any).Invoke({ agent: 'slow', contentJson: '2000' }, s.metadata(), { deadline: Date.now() + 30_000 }, (e: unknown, v: unknown) => resolve(e ?? v));
  });
  // cancel once the request is on the bus (the agent is handling it)
  await somethingInFlight();
  call!.cancel();
  const err = await outcome;
  t.equal(err.code, status.CANCELLED, 'the client sees its own cancel');
  const stats = await settle();
  t.equal(stats.inFlight, 0);
  t.equal(await countLate(), before + 1, 'the reply that came after the cancel is a NO_WAITER dead letter, not lost');
  t.equal((await s.call(s.messages, 'Invoke', { agent: 'echo', contentJson: '"after cancel"' })).reply.contentJson, '"after cancel"');
});

t.test('a slow agent does not delay calls to other agents', async (t) => {
  const order: string[] = [];
  const slowCall = s.call(s.messages, 'Invoke', { agent: 'slow', contentJson: '1500' }, { deadlineMs: 30_000 }).then(() => order.push('slow'));
  // make sure the slow call's request is on the bus before calling echo
  await somethingInFlight();
  for (let i = 0; i < 20; i++) {
    await s.call(s.messages, 'Invoke', { agent: 'echo', contentJson: String(i) });
    order.push('echo');
  }
  await slowCall;
  t.same(order, [...Array(20).fill('echo'), 'slow'], '20 calls to echo finished while slow was still busy');
});

t.test('a full mailbox turns into RESOURCE_EXHAUSTED with a retry delay; nothing is lost', async (t) => {
  // A server with small rings, so a busy agent's mailbox fills quickly.
  const small = await startTestServer({ runtime: { workers: 1, ringCapacity: 16 * 1024, maxFrameBytes: 4096 } });
  t.teardown(() => stopTestServer(small));
  await small.call(small.agents, 'Deploy', { name: 'slow', module: example('slow'), timeLimitMs: 20_000 });
  let accepted = 0;
  let exhausted: any;
  // Each message keeps the agent busy 5 ms: the API fills the ring far faster than that.
  for (let i = 0; i < 20_000 && !exhausted; i++) {
    try {
      await small.call(small.messages, 'Send', { agent: 'slow', contentJson: '5' });
      accepted++;
    } catch (e) {
      exhausted = e;
    }
  }
  t.ok(exhausted, `refused after ${accepted} accepted sends`);
  t.equal(exhausted.code, status.RESOURCE_EXHAUSTED);
  const r = rich(exhausted);
  t.equal(r.reason, 'MAILBOX_FULL');
  t.ok((r.retryDelayMs ?? 0) > 0, `RetryInfo says retry after ${r.retryDelayMs} ms`);
  t.equal(exhausted.metadata.get('retry-after-ms')[0], String(r.retryDelayMs));
  const drained = await small.call(small.management, 'Drain', { timeoutMs: 60_000 }, { deadlineMs: 70_000 });
  t.ok(drained.drained);
  const slow = await small.call(small.agents, 'Get', { name: 'slow' });
  t.equal(slow.handled, accepted, 'every accepted message was handled');
  t.ok(drained.stats.refused >= 1, 'the refusal is counted');
  // once drained, sends are accepted again
  await small.call(small.messages, 'Send', { agent: 'slow', contentJson: '"again"' });
});

t.test('a stream whose client stops reading is closed with STREAM_TOO_SLOW, not buffered without limit', async (t) => {
  const conversation = 'firehose';
  const stream = (s.messages.StreamConversation as StreamFn).call(s.messages, { conversationId: conversation }, s.metadata());
  t.teardown(() => cancel(stream));
  await once(stream, 'metadata', 'the stream\'s headers (its watch in place)');
  stream.pause(); // the client stops reading
  const closed = new Promise<any>((resolve) => stream.on('error', resolve));
  const big = JSON.stringify('x'.repeat(8000));
  let ended: any;
  void closed.then((e) => { ended = e; });
  // Each message (and echo's reply) is copied to the stream: about 16 KB per Send.
  // A full mailbox is back-pressure, not a failure: the client retries, as
  // documented (RetryInfo), so a slow echo on a busy machine cannot fail this.
  const send = async (): Promise<void> => {
    for (;;) {
      try {
        await s.call(s.messages, 'Send', { agent: 'echo', contentJson: big, conversationId: conversation });
        return;
      } catch (e: any) {
        if (e?.code !== status.RESOURCE_EXHAUSTED || rich(e).reason !== 'MAILBOX_FULL') throw e;
        if (ended) return;
        await new Promise((r) => setTimeout(r, 10));
      }
    }
  };
  for (let batch = 0; batch < 100 && !ended; batch++) {
    await Promise.all(Array.from({ length: 20 }, send));
  }
  stream.resume();
  const err = ended ?? await within(closed, 'the server closing the stream of a client that stopped reading');
  t.ok(err, 'the server closed the stream');
  t.equal(err.code, status.RESOURCE_EXHAUSTED);
  t.equal(rich(err).reason, 'STREAM_TOO_SLOW');
  const stats = await settle();
  t.equal(stats.accepted, stats.delivered + stats.deadLettered + stats.inFlight, 'the messages themselves were all accounted for');
});

// The API thread's bus side (api/bus-client.ts, bus/tap.ts) against what an
// agent or a client may send it. Each test has its own server (its `s`): one
// that killed the API thread or corrupted its watch table would take the
// tests above with it.

t.test('an agent reply with undecodable params must not kill the API thread', async (t) => {
  const s = await startTestServer();
  t.teardown(() => stopTestServer(s));
  // r-bad-reply answers every message with an INFORM whose params are a truncated msgpack str8.
  await s.call(s.agents, 'Deploy', { name: 'garbler', module: fixture('r-bad-reply') });
  await s.call(s.agents, 'Deploy', { name: 'echo', module: example('echo') });
  // Answered at once with the error that names the bad frame (not cut off, and
  // not left to run into its deadline, which a check for "not UNAVAILABLE" let pass).
  const r: any = await s.call(s.messages, 'Invoke', { agent: 'garbler', contentJson: '1' }, { deadlineMs: 30_000 }).then(
    () => 'a reply', (e: unknown) => e);
  t.equal(r?.code, status.INTERNAL, `the Invoke fails with INTERNAL (got ${r?.code ?? r})`);
  t.match(rich(r), { reason: 'INVALID_REPLY', metadata: { agent: 'garbler' } }, 'INVALID_REPLY, naming the agent');
  t.match(r.details, /parameters are not a valid msgpack map/, 'the message says what is wrong with the reply');
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
    const stream = (s.messages.StreamConversation as StreamFn).call(s.messages, { conversationId: id }, s.metadata());
    t.teardown(() => cancel(stream));
    const opened = within(new Promise<'open' | any>((resolve) => {
      stream.once('metadata', () => resolve('open'));
      stream.once('error', (e: any) => resolve(e));
    }), `the stream of conversation "${id}" opened or refused`);
    return { stream, opened };
  };
  const watches = Atomics.load(i32, G_WATCH_COUNT);
  // "0" is the all-zero conversation key ("no conversation"): refused (api/bus-client.ts), and no watch is taken.
  const zero = await open('0').opened;
  t.equal(zero?.code, status.INVALID_ARGUMENT, `conversation "0" is refused as an invalid argument (got ${zero === 'open' ? 'an open stream' : zero?.code})`);
  t.match(rich(zero), { reason: 'INVALID_ARGUMENT', metadata: { argument: 'conversation_id' } }, 'naming conversation_id');
  t.equal(Atomics.load(i32, G_WATCH_COUNT), watches, 'the refused stream took no watch');
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
  await s.call(s.messages, 'Send', { agent: 'echo', performative: 'inform', contentJson: '"hi"', conversationId: 'order-7' });
  // The request copy (a tap made by the worker before echo runs) precedes echo's reply
  // on the same worker -> API ring, so once the reply is here the copy must be too.
  await within(gotReply, 'echo\'s reply on the stream', { seen: () => received });
  other.stream.cancel();
  t.ok(received.some((m) => m.sender === '$api' && m.receiver === 'echo'), 'the stream saw the request delivered to echo (its watch entry survived)');
});
