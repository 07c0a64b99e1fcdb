// Isolation: a trap, a memory bomb or an endless loop harms only the agent
// that misbehaves. Real worker threads, agents built from this repository.
import t from 'tap';
import { Runtime } from '../../dist/runtime/index.js';
import { silentLogger } from '../../dist/runtime/observability/logger.js';
import { example, fixture } from '../helpers/agents.js';

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

t.test('an endless loop: the watchdog replaces the worker, neighbours get every message', async (t) => {
  const rt = await Runtime.start({ workers: 2, logger: silentLogger() });
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
  // the spinner itself is back, on a fresh instance
  t.equal((await rt.request({ to: 'spinner', performative: 'request', content: 'hello' }, 20_000)).content, 'hello');
  const s = await rt.waitIdle();
  t.equal(s.workerRestarts, 1);
  t.equal(s.accepted, s.delivered + s.deadLettered + s.inFlight);
  t.equal(s.inFlight, 0);
});

t.test('a module whose start function never returns is refused; the server keeps serving', async (t) => {
  const rt = await Runtime.start({ workers: 2, logger: silentLogger() });
  t.teardown(() => rt.shutdown(5000));
  await rt.deploy({ name: 'resident', module: example('counter'), worker: 1, config: { start: 7 } });
  await t.rejects(rt.deploy({ name: 'hangs', module: fixture('start-loop'), worker: 1, timeLimitMs: 150 }), {
    code: 'AGENT_INIT_FAILED', message: /did not finish starting within its 150 ms/,
  });
  t.throws(() => rt.get('hangs'), { code: 'AGENT_NOT_FOUND' });
  t.equal((await rt.request({ to: 'resident', performative: 'query-ref', content: null }, 20_000)).content, 7, 'the neighbour is back (fresh instance, same config)');
  t.equal((await rt.waitIdle()).workerRestarts, 1);
});

t.test('an agent that keeps timing out is marked failed instead of taking its worker down forever', async (t) => {
  const rt = await Runtime.start({ workers: 2, logger: silentLogger() });
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
