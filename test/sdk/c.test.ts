// The C SDK (sdk/c/, docs/sdk-c.md) end to end: agents compiled with clang by
// scripts/build-c-agents.mjs, deployed in a real Runtime (worker threads).
// A missing .wasm fails the test with the command that builds it: CI installs
// clang, so a C agent that was not built is a failure, never a skip.
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { Runtime, decodeFrame, type DecodedFrame } from '../../dist/runtime/index.js';
import { silentLogger } from '../../dist/runtime/observability/logger.js';
import { Inbox } from '../helpers/agents.js';
import { waitUntil } from '../helpers/wait.js';

interface LogRecord { agent: string; level: number; msg: string; conversationId?: string }

/** dist/agents/<name>.wasm or dist/fixtures/<name>.wasm, built by scripts/build-c-agents.mjs. */
function cAgent(name: string, dir: 'agents' | 'fixtures' = 'agents'): Uint8Array {
  const url = new URL(`../../dist/${dir}/${name}.wasm`, import.meta.url);
  if (!existsSync(url)) {
    throw new Error(`dist/${dir}/${name}.wasm is missing: install the C toolchain (apt-get install clang lld wasi-libc libclang-rt-dev-wasm32) and run \`node scripts/build-c-agents.mjs\``);
  }
  return readFileSync(url);
}
const cFixture = (name: string): Uint8Array => cAgent(`c-${name}`, 'fixtures');

function echoes(rt: Runtime, to: string, n: number): Promise<unknown[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => rt.request({ to, performative: 'request', content: `${to}-${i}` }, 20_000).then((r) => r.content)));
}

t.test('c-echo and c-counter: request and reply, log lines, state', async (t) => {
  const logs: LogRecord[] = [];
  const rt = await Runtime.start({ workers: 2, logger: silentLogger(), onLog: (r) => logs.push(r as LogRecord) });
  t.teardown(() => rt.shutdown(2000));
  const [echo] = await rt.deploy({ name: 'c-echo', module: cAgent('c-echo') });
  await rt.deploy({ name: 'c-counter', module: cAgent('c-counter'), config: { start: 10 } });

  t.test('c-echo replies INFORM with the same content, conversation and in-reply-to', async (t) => {
    const content = { hello: 'world', n: [1, 2, 3], f: 1.5, big: 2 ** 40, nested: { a: null, b: true } };
    const reply = await rt.request({ to: 'c-echo', performative: 'request', content, conversationId: 'abc123' }, 5000);
    t.equal(reply.performative, 'inform');
    t.same(reply.content, content);
    t.equal(reply.conversationId, '0000000000abc123');
    t.equal(reply.sourceSlot, echo!.slot);
    t.not(reply.inReplyTo, '0000000000000000');
    const line = await waitUntil(() => logs.find((l) => l.agent === 'c-echo' && l.conversationId === '0000000000abc123'), (l) => l !== undefined, 'the c-echo log line');
    t.match(line, { level: 30, msg: /^c-echo: request from slot \d+ in conversation 0000000000abc123$/ });
  });

  t.test('c-echo logs a message it does not answer', async (t) => {
    rt.send({ to: 'c-echo', performative: 'inform', content: 'fyi', conversationId: 'feed' });
    const line = await waitUntil(() => logs.find((l) => l.agent === 'c-echo' && /inform .*000000000000feed/.test(l.msg)), (l) => l !== undefined, 'the c-echo inform line');
    t.equal(line.level, 30);
    t.equal(rt.listDeadLetters().length, 0);
  });

  t.test('c-counter keeps state across messages; a restart starts again from its config', async (t) => {
    t.equal((await rt.request({ to: 'c-counter', performative: 'request', content: 5 })).content, 15);
    t.equal((await rt.request({ to: 'c-counter', performative: 'request', content: 'inc' })).content, 16);
    t.equal((await rt.request({ to: 'c-counter', performative: 'request', content: -20 })).content, -4);
    t.equal((await rt.request({ to: 'c-counter', performative: 'request', content: 2 ** 40 })).content, 2 ** 40 - 4, 'a float64 integer counts');
    t.equal((await rt.request({ to: 'c-counter', performative: 'query-ref', content: null })).content, 2 ** 40 - 4);
    const nu = await rt.request({ to: 'c-counter', performative: 'request', content: 'dec' });
    t.equal(nu.performative, 'not-understood');
    t.match(nu.content, /integer or the string "inc"/);
    t.equal((await rt.request({ to: 'c-counter', performative: 'cfp', content: null })).performative, 'not-understood');
    await rt.stop('c-counter');
    await rt.start('c-counter');
    t.equal((await rt.request({ to: 'c-counter', performative: 'query-ref', content: null })).content, 10);
  });

  t.test('many requests in flight', async (t) => {
    const replies = await Promise.all(Array.from({ length: 200 }, () => rt.request({ to: 'c-counter', performative: 'request', content: 1 }, 20_000)));
    t.same(replies.map((r) => r.content as number).sort((a, b) => a - b), Array.from({ length: 200 }, (_, i) => 11 + i));
  });
});

t.test('the SDK API through the probe agent', async (t) => {
  const rt = await Runtime.start({ workers: 1, logger: silentLogger() });
  t.teardown(() => rt.shutdown(2000));
  // Endpoints the probe looks up: opened before it is deployed, so that its workers know their names.
  const sink = new Inbox<DecodedFrame>();
  const ticks = new Inbox<DecodedFrame>();
  const eps = [rt.openEndpoint('sink', (f) => sink.push(decodeFrame(f))), rt.openEndpoint('ticks', (f) => ticks.push(decodeFrame(f)))];
  t.teardown(() => eps.forEach((e) => e.close()));
  const [probe] = await rt.deploy({ name: 'probe', module: cFixture('probe'), config: { name: 'probé', limit: 2 ** 40, ratio: 0.25, on: true } });
  const ask = async (content: Record<string, unknown>, params?: Record<string, unknown>): Promise<DecodedFrame> =>
    rt.request({ to: 'probe', performative: 'request', content, params, conversationId: 'c0ffee' }, 5000);

  t.test('the writer writes every kind of value in its smallest form', async (t) => {
    const r = await ask({ op: 'types' });
    t.same(r.content, [null, true, false, 5, -7, 300, -40000, 5000000000, -5000000000, 4000000000, 1.5, 'héllo',
      Uint8Array.from([1, 2, 3]), { k: [] }, 'abcdefghijklmnopqrstuvwxyz'.repeat(12).slice(0, 300), -(2n ** 63n)]);
  });

  t.test('the reader reads what JavaScript encodes; find_key, skip, and a wrong type fail cleanly', async (t) => {
    const input = { skip: { deep: [1, [2, [3, { x: 'y' }]], 2 ** 33, -1.25, new Uint8Array(300)] }, a: -123456789012, f: 0.1, s: 'çà', b: Uint8Array.from([9, 8]), l: [1, 2, 3, 4], z: true };
    const r = await ask({ op: 'read', in: input });
    t.same(r.content, { ok: true, a: -123456789012, f: 0.1, s: 'çà', b: Uint8Array.from([9, 8]), l: 4, z: true, missing: true, wrong: true });
  });

  t.test('cx_format prints like printf', async (t) => {
    const r = await ask({ op: 'format' });
    t.equal(r.content, '-42|   42|7   |-0003|4000000000|ff|FF|0000000000abc123|-9000000000|str|abc|Z|%|3.14|-0.500000|0.25|1e+20|1.234568e+04|xy|0x10');
  });

  t.test('parameters, config, compose with params', async (t) => {
    t.same((await ask({ op: 'params' }, { ontology: 'weather', language: 'fipa-sl' })).content, ['weather', 'fipa-sl']);
    t.same((await ask({ op: 'config' })).content, { name: 'probé', limit: 2 ** 40, ratio: 0.25, on: true });
    const c = await ask({ op: 'compose' });
    t.equal(c.performative, 'agree');
    t.equal(c.content, 'composed');
    t.same(c.params, { ontology: 'test' });
    t.equal(c.conversationId, '0000000000c0ffee');
  });

  t.test('lookup, forward, sent message id, self slot', async (t) => {
    const r = await ask({ op: 'forward', to: 'sink' }, { ontology: 'o' });
    const [lo, hi, self] = r.content as number[];
    t.equal(self, probe!.slot);
    const f = await sink.next();
    t.equal(f.performative, 'propagate');
    t.same(f.content, { op: 'forward', to: 'sink' });
    t.same(f.params, { ontology: 'o' });
    t.equal(f.conversationId, '0000000000c0ffee');
    t.equal(f.messageId, hi!.toString(16).padStart(8, '0') + lo!.toString(16).padStart(8, '0'));
  });

  t.test('timers call on_timer; now is the wall clock', async (t) => {
    const before = Date.now();
    rt.send({ to: 'probe', performative: 'request', content: { op: 'timer', to: 'ticks' }, conversationId: '77' });
    const f = await ticks.next();
    const c = f.content as { token: number; now: number };
    t.equal(c.token, 7);
    t.ok(c.now >= before - 1 && c.now <= Date.now() + 1, `now ${c.now} is the wall clock`);
    t.equal(f.conversationId, '0000000000000077');
  });

  t.test('a negative handler result dead-letters the message; the agent keeps serving', async (t) => {
    rt.send({ to: 'probe', performative: 'request', content: { no: 'op' } });
    await rt.waitIdle();
    t.match(rt.listDeadLetters(), [{ reason: 'HANDLER_FAILED', agent: 'probe', detail: /-11/ }]);
    t.equal((await ask({ op: 'params' })).performative, 'inform');
  });
});

t.test('isolation: C agents that misbehave harm only themselves', async (t) => {
  t.test('a trap is contained: dead letter, restart with fresh state, the neighbour keeps its state', async (t) => {
    const rt = await Runtime.start({ workers: 2, logger: silentLogger() });
    t.teardown(() => rt.shutdown(2000));
    await rt.deploy([
      { name: 'trapper', module: cFixture('trap'), worker: 1 },
      { name: 'neighbour', module: cAgent('c-counter'), worker: 1, config: { start: 100 } },
    ]);
    t.equal((await rt.request({ to: 'neighbour', performative: 'request', content: 1 })).content, 101);
    t.same(await echoes(rt, 'trapper', 3), ['trapper-0', 'trapper-1', 'trapper-2']);
    rt.send({ to: 'trapper', performative: 'request', content: 'trap' });
    t.equal((await rt.request({ to: 'trapper', performative: 'request', content: 'count' })).content, 0, 'a fresh instance');
    t.equal((await rt.request({ to: 'neighbour', performative: 'request', content: 1 })).content, 102, 'neighbour state intact');
    const s = await rt.waitIdle();
    t.match(rt.listDeadLetters(), [{ reason: 'AGENT_TRAPPED', agent: 'trapper', content: 'trap', detail: /unreachable/i }]);
    t.equal(s.traps, 1);
    t.equal(rt.get('trapper').restarts, 1);
    t.equal(rt.get('neighbour').restarts, 0);
  });

  t.test('a stack overflow traps (--stack-first) instead of overwriting the agent\'s data', async (t) => {
    const rt = await Runtime.start({ workers: 1, logger: silentLogger() });
    t.teardown(() => rt.shutdown(2000));
    await rt.deploy({ name: 'trapper', module: cFixture('trap') });
    rt.send({ to: 'trapper', performative: 'request', content: 'recurse' });
    t.equal((await rt.request({ to: 'trapper', performative: 'request', content: 'after' }, 20_000)).content, 'after');
    await rt.waitIdle();
    t.match(rt.listDeadLetters(), [{ reason: 'AGENT_TRAPPED', agent: 'trapper', content: 'recurse', detail: /out of bounds/i }]);
    t.equal(rt.get('trapper').restarts, 1);
  });

  t.test('a memory bomb stops at its limit; the neighbour keeps serving', async (t) => {
    const logs: LogRecord[] = [];
    const rt = await Runtime.start({ workers: 2, logger: silentLogger(), onLog: (r) => logs.push(r as LogRecord) });
    t.teardown(() => rt.shutdown(2000));
    await rt.deploy([
      { name: 'bomb', module: cFixture('membomb'), worker: 1, memoryLimitBytes: 4 * 1024 * 1024 },
      { name: 'neighbour', module: cAgent('c-echo'), worker: 1 },
    ]);
    rt.send({ to: 'bomb', performative: 'request', content: 'boom' });
    t.same(await echoes(rt, 'neighbour', 20), Array.from({ length: 20 }, (_, i) => `neighbour-${i}`));
    await rt.waitIdle();
    t.match(rt.listDeadLetters(), [{ reason: 'AGENT_TRAPPED', agent: 'bomb', content: 'boom' }]);
    const line = logs.find((l) => l.agent === 'bomb');
    t.match(line, { level: 50, msg: /^membomb: out of memory after [1-3] MiB$/ }, 'the allocator said no below 4 MiB');
    t.equal((await rt.request({ to: 'bomb', performative: 'request', content: 'still here' }, 20_000)).content, 'still here');
  });

  t.test('an endless loop in a handler is stopped at its time limit; the neighbour keeps its state', async (t) => {
    const rt = await Runtime.start({ workers: 2, logger: silentLogger() });
    t.teardown(() => rt.shutdown(5000));
    await rt.deploy([
      { name: 'spinner', module: cFixture('spin'), worker: 1, timeLimitMs: 200 },
      { name: 'counter', module: cAgent('c-counter'), worker: 1 },
    ]);
    t.equal((await rt.request({ to: 'counter', performative: 'request', content: 5 })).content, 5);
    rt.send({ to: 'spinner', performative: 'request', content: 'spin' });
    const counted = await Promise.all(Array.from({ length: 10 }, () => rt.request({ to: 'counter', performative: 'request', content: 1 }, 20_000)));
    t.same(counted.map((r) => r.content), Array.from({ length: 10 }, (_, i) => 6 + i), 'queued behind the runaway call, then served by the same instance');
    await rt.waitIdle();
    t.match(rt.listDeadLetters(), [{ reason: 'AGENT_TIMEOUT', agent: 'spinner', content: 'spin', detail: /200 ms/ }]);
    t.equal(rt.get('counter').restarts, 0);
    t.equal((await rt.request({ to: 'spinner', performative: 'request', content: 'hello' }, 20_000)).content, 'hello', 'the spinner is back');
  });

  t.test('with interrupt checks off, the watchdog replaces the worker of an endless C loop', async (t) => {
    const rt = await Runtime.start({ workers: 2, logger: silentLogger(), interruptChecks: false });
    t.teardown(() => rt.shutdown(5000));
    let replaced = 0;
    rt.onWorkerReplaced(() => replaced++);
    await rt.deploy([
      { name: 'spinner', module: cFixture('spin'), worker: 1, timeLimitMs: 200 },
      { name: 'same-worker', module: cAgent('c-echo'), worker: 1 },
    ]);
    rt.send({ to: 'spinner', performative: 'request', content: 'spin' });
    t.same(await echoes(rt, 'same-worker', 20), Array.from({ length: 20 }, (_, i) => `same-worker-${i}`));
    t.equal(replaced, 1);
    await rt.waitIdle();
    t.match(rt.listDeadLetters(), [{ reason: 'AGENT_TIMEOUT', agent: 'spinner', content: 'spin' }]);
  });
});

// Agent ABI 2: C against wasi-libc (printf, malloc), memory defined by the module.
t.test('wasi-libc agents (ABI 2)', async (t) => {
  const logs: LogRecord[] = [];
  const rt = await Runtime.start({ workers: 2, logger: silentLogger(), onLog: (r) => logs.push(r as LogRecord) });
  t.teardown(() => rt.shutdown(2000));

  t.test('c-wasi-echo: printf lines become log lines; malloc works; request and reply', async (t) => {
    await rt.deploy({ name: 'wasi-echo', module: cAgent('c-wasi-echo') });
    const started = await waitUntil(() => logs.find((l) => l.agent === 'wasi-echo'), (l) => l !== undefined, 'the start line');
    t.match(started, { level: 30, msg: 'c-wasi-echo: started (abi 2)' });
    const content = { text: 'héllo', list: [1, 2.5, null] };
    const reply = await rt.request({ to: 'wasi-echo', performative: 'request', content, conversationId: 'abc123' }, 5000);
    t.equal(reply.performative, 'inform');
    t.same(reply.content, content);
    t.equal(reply.conversationId, '0000000000abc123');
    const line = await waitUntil(() => logs.find((l) => l.agent === 'wasi-echo' && l.conversationId === '0000000000abc123'), (l) => l !== undefined, 'the printf line');
    t.match(line, { level: 30, msg: 'c-wasi-echo: request #1 in conversation 0000000000abc123' });
    const more = await Promise.all(Array.from({ length: 50 }, (_, i) => rt.request({ to: 'wasi-echo', performative: 'request', content: 'x'.repeat(i * 100) }, 20_000)));
    t.same(more.map((r) => (r.content as string).length), Array.from({ length: 50 }, (_, i) => i * 100));
  });

  t.test('malloc past the memory limit returns NULL; abort() is a contained trap', async (t) => {
    await rt.deploy([
      { name: 'wasi-bomb', module: cFixture('wasi-membomb'), worker: 1, memoryLimitBytes: 4 * 1024 * 1024 },
      { name: 'wasi-neighbour', module: cAgent('c-wasi-echo'), worker: 1 },
    ]);
    rt.send({ to: 'wasi-bomb', performative: 'request', content: 'boom' });
    t.same(await echoes(rt, 'wasi-neighbour', 20), Array.from({ length: 20 }, (_, i) => `wasi-neighbour-${i}`));
    await rt.waitIdle();
    t.match(rt.listDeadLetters(), [{ reason: 'AGENT_TRAPPED', agent: 'wasi-bomb', content: 'boom' }]);
    const line = logs.find((l) => l.agent === 'wasi-bomb');
    t.match(line, { level: 40, msg: /^wasi-membomb: malloc failed after [0-3] MiB$/ }, 'stderr is logged at warn');
    t.equal((await rt.request({ to: 'wasi-bomb', performative: 'request', content: 'again' }, 20_000)).content, 'again', 'restarted');
    t.equal(rt.get('wasi-neighbour').restarts, 0);
  });
});
