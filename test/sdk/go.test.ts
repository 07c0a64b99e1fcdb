// Go agents end to end (Go SDK in sdk/go/, agent ABI 2): real worker threads,
// modules built by scripts/build-go-agents.mjs from examples/go-*/ and
// test/fixtures/go/. CI has Go, so a missing module fails these tests (it
// does not skip them): build them with `node scripts/build-go-agents.mjs`.
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { Runtime, decodeFrame, type DecodedFrame } from '../../dist/runtime/index.js';
import type { AgentLogRecord } from '../../dist/runtime/thread-messages.js';
import { silentLogger } from '../../dist/runtime/observability/logger.js';
import { example, Inbox } from '../helpers/agents.js';
import { waitUntil } from '../helpers/wait.js';

const MiB = 1024 * 1024;

/** A Go module from dist/, or an error that says how to build it. */
function goModule(kind: 'agents' | 'fixtures', name: string): Uint8Array {
  const url = new URL(`../../dist/${kind}/${name}.wasm`, import.meta.url);
  if (!existsSync(url)) {
    throw new Error(`dist/${kind}/${name}.wasm is missing: the Go agents are not built. Install Go >= 1.24 and run \`node scripts/build-go-agents.mjs\``);
  }
  return readFileSync(url);
}

const goEcho = (): Uint8Array => goModule('agents', 'go-echo');
const goCounter = (): Uint8Array => goModule('agents', 'go-counter');
const trouble = (): Uint8Array => goModule('fixtures', 'go-trouble');

function echoes(rt: Runtime, to: string, n: number): Promise<unknown[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => rt.request({ to, performative: 'request', content: `${to}-${i}` }, 20_000).then((r) => r.content)));
}
const expected = (to: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${to}-${i}`);

t.test('the Go modules are built', async (t) => {
  for (const name of ['go-echo', 'go-counter']) t.ok(goModule('agents', name).length > 0, `dist/agents/${name}.wasm`);
  t.ok(trouble().length > 0, 'dist/fixtures/go-trouble.wasm');
});

t.test('Go agents serve requests', async (t) => {
  const logs: AgentLogRecord[] = [];
  const rt = await Runtime.start({ workers: 2, logger: silentLogger(), onLog: (r) => logs.push(r) });
  const lineOf = (agent: string, msg: RegExp): Promise<AgentLogRecord | undefined> =>
    waitUntil(() => logs.find((r) => r.agent === agent && msg.test(r.msg)), (r) => r !== undefined, `a log line of ${agent} matching ${msg}`);
  t.teardown(() => rt.shutdown(2000));

  t.test('go-echo replies INFORM with the same content, conversation and in-reply-to, and logs the conversation id', async (t) => {
    const [info] = await rt.deploy({ name: 'go-echo', module: goEcho() });
    t.equal(info!.state, 'running');
    const content = { hello: 'world', n: [1, 2, 3], nested: { ok: true, pi: 3.25 } };
    const reply = await rt.request({ to: 'go-echo', performative: 'request', content, conversationId: 'abc123' }, 5000);
    t.equal(reply.performative, 'inform');
    t.same(reply.content, content);
    t.equal(reply.conversationId, '0000000000abc123');
    t.equal(reply.sourceSlot, info!.slot);
    t.not(reply.inReplyTo, '0000000000000000');
    t.match(await lineOf('go-echo', /^go-echo: request/), { level: 30, msg: 'go-echo: request in conversation 0000000000abc123', conversationId: '0000000000abc123' });
    const nu = await rt.request({ to: 'go-echo', performative: 'inform', content: 1 }, 5000);
    t.equal(nu.performative, 'not-understood');
    t.ok(await lineOf('go-echo', /^go-echo: inform in conversation [0-9a-f]{16}$/), 'the inform is logged too');
  });

  t.test('go-echo keeps up with many requests in flight', async (t) => {
    t.same(await echoes(rt, 'go-echo', 500), expected('go-echo', 500));
  });

  t.test('go-counter keeps state across messages; stop/start gives a fresh instance', async (t) => {
    await rt.deploy({ name: 'go-counter', module: goCounter(), config: { start: 10 } });
    t.equal((await rt.request({ to: 'go-counter', performative: 'request', content: 5 })).content, 15);
    t.equal((await rt.request({ to: 'go-counter', performative: 'request', content: 'inc' })).content, 16);
    t.equal((await rt.request({ to: 'go-counter', performative: 'query-ref', content: null })).content, 16);
    t.equal((await rt.request({ to: 'go-counter', performative: 'request', content: 2 ** 40 })).content, 16 + 2 ** 40, 'a big integer (float64 from JavaScript) counts');
    t.equal((await rt.request({ to: 'go-counter', performative: 'request', content: -(2 ** 40) })).content, 16);
    const bad = await rt.request({ to: 'go-counter', performative: 'request', content: 'two' });
    t.equal(bad.performative, 'not-understood');
    t.match(bad.content, /integer or the string "inc"/);
    t.equal((await rt.request({ to: 'go-counter', performative: 'cfp', content: null })).performative, 'not-understood');
    const all = await Promise.all(Array.from({ length: 200 }, () => rt.request({ to: 'go-counter', performative: 'request', content: 1 })));
    t.equal(Math.max(...all.map((r) => Number(r.content))), 216, 'every increment counted once');

    t.equal((await rt.stop('go-counter')).state, 'stopped');
    t.equal((await rt.start('go-counter')).state, 'running');
    t.equal((await rt.request({ to: 'go-counter', performative: 'query-ref', content: null })).content, 10, 'init ran again with its config');
  });

  t.test('WASI: stdout and stderr lines reach the agent log, clocks and random work', async (t) => {
    await rt.deploy({ name: 'go-trouble', module: trouble() });
    t.equal((await rt.request({ to: 'go-trouble', performative: 'request', content: 'print' })).content, 'printed');
    const printed = (): string[] => logs.filter((r) => r.agent === 'go-trouble' && r.msg.startsWith('trouble: ')).map((r) => r.msg).sort();
    await waitUntil(printed, (m) => m.length >= 3, 'three log lines from stdout and stderr');
    t.same(printed(), ['trouble: first line', 'trouble: second line', 'trouble: to stderr'], 'one log line per text line');

    const [wasiNow, hostNow] = (await rt.request({ to: 'go-trouble', performative: 'request', content: 'time' })).content as number[];
    t.ok(Math.abs(wasiNow! - Date.now()) < 5000, `time.Now() is the wall clock (${wasiNow})`);
    t.ok(Math.abs(wasiNow! - hostNow!) < 1000, 'time.Now() and caxton.Now() agree');
    const random = (await rt.request({ to: 'go-trouble', performative: 'request', content: 'random' })).content as Uint8Array;
    t.equal(random.length, 16);
    t.ok(random.some((b) => b !== 0), 'crypto/rand gives bytes');
    t.equal((await rt.request({ to: 'go-trouble', performative: 'request', content: 'garbage' }, 10_000)).performative, 'inform', '64 MiB of garbage in a 16 MiB agent: the collector keeps up');
  });

  t.test('timers: SetTimer calls the timer handler, which looks up a name and sends', async (t) => {
    const ticks = new Inbox<DecodedFrame>();
    const ep = rt.openEndpoint('ticks', (f) => ticks.push(decodeFrame(f)));
    t.teardown(() => ep.close());
    const id = (await rt.request({ to: 'go-trouble', performative: 'request', content: 'timer' })).content;
    t.type(id, 'number');
    const tick = await ticks.next();
    t.match(tick, { performative: 'inform', content: 7 });
  });
});

t.test('a Go agent that exceeds its memory limit fails contained; a limit below its minimum is refused at deploy', async (t) => {
  const rt = await Runtime.start({ workers: 2, logger: silentLogger() });
  t.teardown(() => rt.shutdown(2000));
  await rt.deploy([
    { name: 'bomb', module: trouble(), worker: 1, memoryLimitBytes: 8 * MiB },
    { name: 'neighbour', module: goCounter(), worker: 1, memoryLimitBytes: 8 * MiB, config: { start: 100 } },
    { name: 'other', module: example('echo'), worker: 1 },
  ]);
  t.equal((await rt.request({ to: 'neighbour', performative: 'request', content: 1 })).content, 101);
  rt.send({ to: 'bomb', performative: 'request', content: 'boom' });
  t.same(await echoes(rt, 'other', 20), expected('other', 20));
  t.equal((await rt.request({ to: 'neighbour', performative: 'request', content: 1 })).content, 102, 'neighbour state intact');
  t.equal((await rt.request({ to: 'bomb', performative: 'request', content: 'back?' }, 20_000)).content, 'back?', 'the bomb is back on a fresh instance');
  await rt.waitIdle();
  const dl = rt.listDeadLetters();
  t.equal(dl.length, 1);
  t.match(dl[0], { reason: 'AGENT_TRAPPED', agent: 'bomb', content: 'boom' });
  await waitUntil(() => rt.get('bomb').restarts, (n) => n === 1, 'one restart of the bomb');
  t.equal(rt.get('neighbour').restarts, 0);

  await t.rejects(rt.deploy({ name: 'tiny', module: goEcho(), memoryLimitBytes: 1 * MiB }), /memory/i, 'a limit below the declared minimum');
  t.throws(() => rt.get('tiny'), { code: 'AGENT_NOT_FOUND' });
  t.same(await echoes(rt, 'other', 5), expected('other', 5), 'the server keeps serving');
});

t.test('a Go handler that loops forever ends at its time limit; neighbours keep their state', async (t) => {
  const rt = await Runtime.start({ workers: 2, logger: silentLogger() });
  t.teardown(() => rt.shutdown(5000));
  let replaced = 0;
  rt.onWorkerReplaced(() => replaced++);
  await rt.deploy([
    { name: 'spinner', module: trouble(), worker: 1, timeLimitMs: 200 },
    { name: 'counter', module: goCounter(), worker: 1 },
  ]);
  for (let i = 0; i < 5; i++) await rt.request({ to: 'counter', performative: 'request', content: 1 });
  rt.send({ to: 'spinner', performative: 'request', content: 'spin' });
  const counted = await Promise.all(Array.from({ length: 5 }, () => rt.request({ to: 'counter', performative: 'request', content: 1 }, 20_000)));
  t.same(counted.map((r) => r.content), [6, 7, 8, 9, 10], 'the counter went on: its instance was not replaced');
  t.equal((await rt.request({ to: 'spinner', performative: 'request', content: 'hello' }, 20_000)).content, 'hello', 'the spinner is back');
  await rt.waitIdle();
  t.equal(replaced, 0, 'no worker replaced: the interrupt checks ended the call inside the worker');
  t.match(rt.listDeadLetters(), [{ reason: 'AGENT_TIMEOUT', agent: 'spinner', content: 'spin', detail: /200 ms/ }]);
  t.equal(rt.get('counter').restarts, 0);
});

t.test('a Go handler that loops forever, interrupt checks off: the watchdog replaces the worker, neighbours get every message', async (t) => {
  const rt = await Runtime.start({ workers: 2, logger: silentLogger(), interruptChecks: false });
  t.teardown(() => rt.shutdown(5000));
  let replaced = 0;
  rt.onWorkerReplaced(() => replaced++);
  await rt.deploy([
    { name: 'spinner', module: trouble(), worker: 1, timeLimitMs: 200 },
    { name: 'same-worker', module: goEcho(), worker: 1 },
    { name: 'other-worker', module: goEcho(), worker: 2 },
  ]);
  rt.send({ to: 'spinner', performative: 'request', content: 'spin' });
  const [same, other] = await Promise.all([echoes(rt, 'same-worker', 20), echoes(rt, 'other-worker', 20)]);
  t.same(same, expected('same-worker', 20));
  t.same(other, expected('other-worker', 20));
  t.equal(replaced, 1, 'one worker replaced');
  await rt.waitIdle();
  t.match(rt.listDeadLetters(), [{ reason: 'AGENT_TIMEOUT', agent: 'spinner', content: 'spin' }]);
  t.equal((await rt.request({ to: 'spinner', performative: 'request', content: 'hello' }, 20_000)).content, 'hello');
});

t.test('a Go panic and os.Exit trap the call: the message is dead-lettered, the agent restarts, neighbours keep their state', async (t) => {
  const logs: AgentLogRecord[] = [];
  const rt = await Runtime.start({ workers: 2, logger: silentLogger(), onLog: (r) => logs.push(r) });
  t.teardown(() => rt.shutdown(2000));
  await rt.deploy([
    { name: 'panicker', module: trouble(), worker: 2 },
    { name: 'counter', module: goCounter(), worker: 2, config: { start: 1 } },
  ]);
  rt.send({ to: 'panicker', performative: 'request', content: 'panic' });
  t.equal((await rt.request({ to: 'panicker', performative: 'request', content: 'after panic' }, 20_000)).content, 'after panic');
  t.equal((await rt.request({ to: 'counter', performative: 'request', content: 1 })).content, 2, 'neighbour state intact');
  rt.send({ to: 'panicker', performative: 'request', content: 'exit' });
  t.equal((await rt.request({ to: 'panicker', performative: 'request', content: 'after exit' }, 20_000)).content, 'after exit');
  await rt.waitIdle();
  t.match(rt.listDeadLetters(), [
    { reason: 'AGENT_TRAPPED', agent: 'panicker', content: 'panic', detail: /its stderr: "panic: trouble: asked to panic/ },
    { reason: 'AGENT_TRAPPED', agent: 'panicker', content: 'exit' },
  ]);
  // the supervisor hears of restarts on another channel than the replies: wait for it
  await waitUntil(() => rt.get('panicker').restarts, (n) => n === 2, 'two restarts of the panicker');
  t.equal(rt.get('counter').restarts, 0);
  t.ok(logs.some((r) => r.agent === 'panicker' && /panic: trouble: asked to panic/.test(r.msg)), 'the panic message is in the agent log');
});
