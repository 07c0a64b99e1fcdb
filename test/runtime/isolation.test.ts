// Isolation: a trap, a memory bomb or an endless loop harms only the agent
// that misbehaves. Real worker threads, agents built from this repository.
import t from 'tap';
import { Runtime } from '../../dist/runtime/index.js';
import { silentLogger } from '../../dist/runtime/observability/logger.js';
import { example, fixture } from '../helpers/agents.js';
import { waitUntil } from '../helpers/wait.js';

function echoes(rt: Runtime, to: string, n: number): Promise<unknown[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => rt.request({ to, performative: 'request', content: `${to}-${i}` }, 20_000).then((r) => r.content)));
}

t.test('a trap dead-letters the message and restarts only that agent', async (t) => {
  const rt = await Runtime.start({ workers: 2, logger: silentLogger() });
  t.teardown(() => rt.shutdown(2000));
  await rt.deploy([
    { name: 'trapper', module: fixture('trap'), worker: 1 },
    { name: 'neighbour', module: example('counter'), worker: 1, config: { start: 100 } },
  ]);
  t.equal((await rt.request({ to: 'neighbour', performative: 'request', content: 1 })).content, 101);
  rt.send({ to: 'trapper', performative: 'request', content: 'trap' });
  // the trapper answers again after its restart; its neighbour kept its state
  t.equal((await rt.request({ to: 'trapper', performative: 'request', content: 'ok?' })).content, 'ok?');
  t.equal((await rt.request({ to: 'neighbour', performative: 'request', content: 1 })).content, 102, 'neighbour state intact');
  const s = await rt.waitIdle();
  const dl = rt.listDeadLetters();
  t.equal(dl.length, 1);
  t.match(dl[0], { reason: 'AGENT_TRAPPED', agent: 'trapper', content: 'trap', performative: 'request', detail: /unreachable/i });
  t.ok(dl[0]!.hint.length > 10);
  t.equal(s.restarts, 1);
  t.equal(s.accepted, s.delivered + s.deadLettered);
  t.equal(s.traps, 1);
});

t.test('a memory bomb is stopped at its limit and harms nobody else', async (t) => {
  const rt = await Runtime.start({ workers: 2, logger: silentLogger() });
  t.teardown(() => rt.shutdown(2000));
  await rt.deploy([
    { name: 'bomb', module: fixture('membomb'), worker: 1, memoryLimitBytes: 2 * 1024 * 1024 },
    { name: 'neighbour', module: example('echo'), worker: 1 },
  ]);
  rt.send({ to: 'bomb', performative: 'request', content: 'boom' });
  t.same(await echoes(rt, 'neighbour', 20), Array.from({ length: 20 }, (_, i) => `neighbour-${i}`));
  const s = await rt.waitIdle();
  const dl = rt.listDeadLetters();
  t.equal(dl.length, 1);
  t.match(dl[0], { reason: 'AGENT_TRAPPED', agent: 'bomb', content: 'boom' });
  t.equal(s.accepted, s.delivered + s.deadLettered);
  t.equal(rt.get('bomb').memoryLimitBytes, 2 * 1024 * 1024);
});

t.test('repeated traps restart with back-off; waiting messages are delivered after the restart', async (t) => {
  const rt = await Runtime.start({ workers: 2, logger: silentLogger() });
  t.teardown(() => rt.shutdown(2000));
  await rt.deploy({ name: 'trapper', module: fixture('trap'), worker: 2 });
  rt.send({ to: 'trapper', performative: 'request', content: 'trap' });
  rt.send({ to: 'trapper', performative: 'request', content: 'trap' });
  // these arrive while the agent is in back-off after the second trap
  t.same(await echoes(rt, 'trapper', 10), Array.from({ length: 10 }, (_, i) => `trapper-${i}`));
  const s = await rt.waitIdle();
  t.equal(s.traps, 2);
  t.equal(s.deadLettered, 2);
  t.equal(s.accepted, s.delivered + s.deadLettered);
  t.equal(s.restarts, 2, 'restarted twice (counted by the worker before the replies)');
});

// The watchdog's backstop: with interrupt checks off (runtime/module/interrupts.ts),
// a call that never returns is stopped by replacing its worker thread.

t.test('an endless loop, interrupt checks off: the watchdog replaces the worker, neighbours get every message', async (t) => {
  const rt = await Runtime.start({ workers: 2, logger: silentLogger(), interruptChecks: false });
  t.teardown(() => rt.shutdown(5000));
  let replaced = 0;
  rt.onWorkerReplaced(() => replaced++);
  await rt.deploy([
    { name: 'spinner', module: fixture('infinite-loop'), worker: 1, timeLimitMs: 200 },
    { name: 'same-worker', module: example('echo'), worker: 1 },
    { name: 'other-worker', module: example('echo'), worker: 2 },
  ]);
  rt.send({ to: 'spinner', performative: 'request', content: 'spin' });
  // queued behind the stuck call on worker 1, and on the healthy worker 2
  const [same, other] = await Promise.all([echoes(rt, 'same-worker', 50), echoes(rt, 'other-worker', 50)]);
  t.same(same, Array.from({ length: 50 }, (_, i) => `same-worker-${i}`), 'every message for the stuck worker\'s neighbour delivered');
  t.same(other, Array.from({ length: 50 }, (_, i) => `other-worker-${i}`));
  t.equal(replaced, 1, 'one worker replaced');
  await rt.waitIdle();
  const dl = rt.listDeadLetters();
  t.equal(dl.length, 1);
  t.match(dl[0], { reason: 'AGENT_TIMEOUT', agent: 'spinner', content: 'spin', detail: /200 ms/ });
  t.equal(rt.agentCounts('spinner', false).failed, 1, 'the time-out counts as a failed message (issue #16 item 7)');
  // the spinner itself is back, on a fresh instance
  t.equal((await rt.request({ to: 'spinner', performative: 'request', content: 'hello' }, 20_000)).content, 'hello');
  const s = await rt.waitIdle();
  t.equal(s.workerRestarts, 1);
  t.equal(s.accepted, s.delivered + s.deadLettered + s.inFlight);
  t.equal(s.inFlight, 0);
});

t.test('a module whose start function never returns is refused, interrupt checks off; the server keeps serving', async (t) => {
  const rt = await Runtime.start({ workers: 2, logger: silentLogger(), interruptChecks: false });
  t.teardown(() => rt.shutdown(5000));
  await rt.deploy({ name: 'resident', module: example('counter'), worker: 1, config: { start: 7 } });
  await t.rejects(rt.deploy({ name: 'hangs', module: fixture('start-loop'), worker: 1, timeLimitMs: 150 }), {
    code: 'AGENT_INIT_FAILED', message: /did not finish starting within its 150 ms/,
  });
  t.throws(() => rt.get('hangs'), { code: 'AGENT_NOT_FOUND' });
  t.equal((await rt.request({ to: 'resident', performative: 'query-ref', content: null }, 20_000)).content, 7, 'the neighbour is back (fresh instance, same config)');
  t.equal((await rt.waitIdle()).workerRestarts, 1);
});

t.test('an agent that keeps timing out is marked failed instead of taking its worker down forever (interrupt checks off)', async (t) => {
  const rt = await Runtime.start({ workers: 2, logger: silentLogger(), interruptChecks: false });
  t.teardown(() => rt.shutdown(5000));
  await rt.deploy([
    { name: 'spinner', module: fixture('infinite-loop'), worker: 2, timeLimitMs: 100 },
    { name: 'neighbour', module: example('echo'), worker: 2 },
  ]);
  for (let i = 0; i < 3; i++) rt.send({ to: 'spinner', performative: 'request', content: 'spin' });
  t.same(await echoes(rt, 'neighbour', 10), Array.from({ length: 10 }, (_, i) => `neighbour-${i}`));
  const s = await rt.waitIdle();
  t.equal(s.workerRestarts, 3);
  const info = rt.get('spinner');
  t.equal(info.state, 'failed');
  t.match(info.lastError, /3 time-outs/);
  t.throws(() => rt.send({ to: 'spinner', performative: 'request', content: 'hello' }), { code: 'AGENT_STOPPED', message: /failed/ });
  t.same(rt.listDeadLetters().map((d) => d.reason), ['AGENT_TIMEOUT', 'AGENT_TIMEOUT', 'AGENT_TIMEOUT']);
  t.equal(s.accepted, s.delivered + s.deadLettered);
  // start() gives it another chance
  t.equal((await rt.start('spinner')).state, 'running');
  t.equal((await rt.request({ to: 'spinner', performative: 'request', content: 'ok' }, 20_000)).content, 'ok');
});

// Issue #16 item 3: with interrupt checks on (the default), a call past its
// time limit is ended inside its worker: only the runaway agent restarts.

t.test('an endless loop ends at its time limit inside the worker: neighbours keep their state, their waiting messages and their counters', async (t) => {
  const rt = await Runtime.start({ workers: 2, logger: silentLogger() });
  t.teardown(() => rt.shutdown(5000));
  let replaced = 0;
  rt.onWorkerReplaced(() => replaced++);
  await rt.deploy([
    { name: 'spinner', module: fixture('infinite-loop'), worker: 1, timeLimitMs: 200 },
    { name: 'counter', module: example('counter'), worker: 1, config: { start: 0 } },
    { name: 'trapper', module: fixture('trap'), worker: 1 },
  ]);
  for (let i = 0; i < 30; i++) await rt.request({ to: 'counter', performative: 'request', content: 1 });
  // Two traps in a row put the trapper in back-off: what comes next for it is parked on worker 1.
  rt.send({ to: 'trapper', performative: 'request', content: 'trap' });
  rt.send({ to: 'trapper', performative: 'request', content: 'trap' });
  const parked = echoes(rt, 'trapper', 5);
  rt.send({ to: 'spinner', performative: 'request', content: 'spin' });
  // queued behind the runaway call on the same worker
  const counted = await Promise.all(Array.from({ length: 10 }, () => rt.request({ to: 'counter', performative: 'request', content: 1 }, 20_000)));
  t.same(counted.map((r) => r.content), Array.from({ length: 10 }, (_, i) => 31 + i), 'the counter went on from 30: its instance was not replaced');
  t.same(await parked, Array.from({ length: 5 }, (_, i) => `trapper-${i}`), 'messages parked for a neighbour in back-off were delivered');
  const s = await rt.waitIdle();
  t.equal(replaced, 0, 'no worker replaced');
  t.equal(s.workerRestarts, 0);
  t.equal(rt.get('counter').restarts, 0, 'the counter was never restarted');
  t.equal(rt.get('spinner').restarts, 1, 'the runaway agent was restarted');
  t.match(rt.get('spinner').lastError, /200 ms time limit/);
  const timeouts = rt.listDeadLetters().filter((d) => d.reason === 'AGENT_TIMEOUT');
  t.equal(timeouts.length, 1);
  t.match(timeouts[0], { agent: 'spinner', content: 'spin', detail: /200 ms/ });
  t.same(rt.agentCounts('spinner', false), { handled: 0, failed: 1, mailboxDepth: 0 }, 'the time-out counts as a failed message (item 7)');
  // the spinner itself is back, on a fresh instance
  t.equal((await rt.request({ to: 'spinner', performative: 'request', content: 'hello' }, 20_000)).content, 'hello');
  t.equal(s.accepted, s.delivered + s.deadLettered + s.inFlight);
});

t.test('a module whose start function never returns is refused at its time limit; its neighbour keeps its state', async (t) => {
  const rt = await Runtime.start({ workers: 2, logger: silentLogger() });
  t.teardown(() => rt.shutdown(5000));
  await rt.deploy({ name: 'resident', module: example('counter'), worker: 1, config: { start: 7 } });
  t.equal((await rt.request({ to: 'resident', performative: 'request', content: 1 })).content, 8);
  await t.rejects(rt.deploy({ name: 'hangs', module: fixture('start-loop'), worker: 1, timeLimitMs: 150 }), {
    code: 'AGENT_INIT_FAILED', message: /did not finish starting within its 150 ms/,
  });
  t.throws(() => rt.get('hangs'), { code: 'AGENT_NOT_FOUND' });
  t.equal((await rt.request({ to: 'resident', performative: 'query-ref', content: null }, 20_000)).content, 8, 'the neighbour kept its count');
  t.equal((await rt.waitIdle()).workerRestarts, 0);
});

t.test('an agent that keeps timing out is marked failed; its worker is never replaced', async (t) => {
  const rt = await Runtime.start({ workers: 2, logger: silentLogger() });
  t.teardown(() => rt.shutdown(5000));
  await rt.deploy([
    { name: 'spinner', module: fixture('infinite-loop'), worker: 2, timeLimitMs: 100 },
    { name: 'neighbour', module: example('counter'), worker: 2 },
  ]);
  for (let i = 0; i < 3; i++) rt.send({ to: 'spinner', performative: 'request', content: 'spin' });
  const counts = await Promise.all(Array.from({ length: 10 }, () => rt.request({ to: 'neighbour', performative: 'request', content: 1 }, 20_000)));
  t.same(counts.map((r) => r.content), Array.from({ length: 10 }, (_, i) => i + 1));
  const s = await waitFailed(rt, 'spinner');
  t.equal(s.workerRestarts, 0);
  const info = rt.get('spinner');
  t.equal(info.state, 'failed');
  t.match(info.lastError, /3 time-outs/);
  t.throws(() => rt.send({ to: 'spinner', performative: 'request', content: 'hello' }), { code: 'AGENT_STOPPED', message: /failed/ });
  t.same(rt.listDeadLetters().map((d) => d.reason), ['AGENT_TIMEOUT', 'AGENT_TIMEOUT', 'AGENT_TIMEOUT']);
  t.equal(s.accepted, s.delivered + s.deadLettered);
  t.equal(rt.get('neighbour').restarts, 0);
  // start() gives it another chance
  t.equal((await rt.start('spinner')).state, 'running');
  t.equal((await rt.request({ to: 'spinner', performative: 'request', content: 'ok' }, 20_000)).content, 'ok');
});

/** Stats once `name` is marked failed and nothing is in flight (the third time-out's report comes on the control port). */
async function waitFailed(rt: Runtime, name: string): Promise<Awaited<ReturnType<Runtime['waitIdle']>>> {
  await waitUntil(() => rt.get(name).state, (s) => s === 'failed', `${name} marked failed`);
  return rt.waitIdle();
}
