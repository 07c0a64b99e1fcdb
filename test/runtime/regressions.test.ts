// Regression tests for defects found in review and fixed in runtime/supervisor/ (then runtime/supervisor.ts)
// and runtime/host/worker-host.ts. Each test failed (or hung, turned into a failure by
// `within`) before its fix. Real worker threads; the misbehaving agents are the
// WAT fixtures test/fixtures/wat/r-*.wat.
//
// No sleeps: every test waits for replies, for waitIdle(), or (test 4) for one
// internal state change, polled one event-loop turn at a time.
import t from 'tap';
import { Runtime, silentLogger } from '../../dist/runtime/index.js';
import { RouterTable } from '../../dist/bus/router.js';
import { example, fixture } from '../helpers/agents.js';
import { waitUntil, within } from '../helpers/wait.js';

/** Generous: only reached when a test is failing. */
const REPLY_MS = 10_000;

async function runtime(t: { teardown(fn: () => unknown): void }): Promise<Runtime> {
  // Interrupt checks off: several of these regressions are in replacing a
  // worker whose call never returns, the watchdog's path, which the checks
  // (on by default) make the backstop rather than the rule.
  const rt = await Runtime.start({ workers: 2, logger: silentLogger(), interruptChecks: false });
  t.teardown(async () => {
    try {
      await within(rt.shutdown(2000), 'shutdown()', { timeoutMs: REPLY_MS });
    } catch (e) {
      // A worker stuck in agent code that nothing watches (test 1's defect)
      // never answers 'shutdown': terminate the threads so that the failure
      // is reported instead of hanging the file until tap's time-out.
      await (rt as unknown as { pool: { destroy(): Promise<void> } }).pool.destroy().catch(() => undefined);
      throw e;
    }
  });
  return rt;
}

function echoes(rt: Runtime, to: string, n: number): Promise<unknown[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => rt.request({ to, performative: 'request', content: `${to}-${i}` }, REPLY_MS).then((r) => r.content)));
}

const expected = (to: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${to}-${i}`);

/** A frame larger than 1024 bytes: the r-alloc-* fixtures misbehave when asked to make room for it. */
const BIG = 'x'.repeat(2000);

t.test('1. caxton_alloc that never returns is stopped by the watchdog', async (t) => {
  const rt = await runtime(t);
  let replaced = 0;
  rt.onWorkerReplaced(() => replaced++);
  await rt.deploy([
    { name: 'hang', module: fixture('r-alloc-hang'), worker: 1, timeLimitMs: 150 },
    { name: 'neighbour', module: example('echo'), worker: 1 },
  ]);
  rt.send({ to: 'hang', performative: 'request', content: BIG });
  // Queued behind the stuck alloc on the same worker. Before the fix the alloc
  // ran unwatched: the worker hung for good and these requests timed out.
  t.same(await echoes(rt, 'neighbour', 20), expected('neighbour', 20), 'the neighbour gets every message');
  const s = await rt.waitIdle(REPLY_MS);
  t.equal(replaced, 1, 'one worker replacement');
  t.equal(s.workerRestarts, 1);
  const dl = rt.listDeadLetters();
  t.equal(dl.length, 1);
  t.match(dl[0], { reason: 'AGENT_TIMEOUT', agent: 'hang', content: BIG, detail: /150 ms/ });
  t.equal(s.inFlight, 0);
  t.equal(s.accepted, s.delivered + s.deadLettered);
  // put back on the fresh worker: small frames still work
  t.equal((await rt.request({ to: 'hang', performative: 'request', content: 'small' }, REPLY_MS)).content, 'small');
});

t.test('2. caxton_alloc returning an out-of-bounds pointer is a trap, not a worker crash', async (t) => {
  const rt = await runtime(t);
  let replaced = 0;
  rt.onWorkerReplaced(() => replaced++);
  await rt.deploy([
    { name: 'bad', module: fixture('r-alloc-badptr'), worker: 1 },
    { name: 'neighbour', module: example('echo'), worker: 1 },
  ]);
  rt.send({ to: 'bad', performative: 'request', content: BIG });
  // Before the fix the copy to 0x7ffffff1 threw outside any try: the worker
  // died on that frame, and so did every replacement.
  t.same(await echoes(rt, 'neighbour', 20), expected('neighbour', 20), 'the neighbour gets every message');
  const s = await rt.waitIdle(REPLY_MS);
  t.equal(replaced, 0, 'no worker replacement');
  t.equal(s.workerRestarts, 0);
  const dl = rt.listDeadLetters();
  t.equal(dl.length, 1);
  t.match(dl[0], { reason: 'AGENT_TRAPPED', agent: 'bad', content: BIG, detail: /caxton_alloc/ });
  t.equal(s.traps, 1);
  t.equal(s.restarts, 1, 'the agent was restarted');
  t.equal(s.inFlight, 0);
  t.equal(s.accepted, s.delivered + s.deadLettered);
  const info = rt.get('bad');
  t.equal(info.state, 'running');
  t.equal(info.restarts, 1);
  t.match(info.lastError, /caxton_alloc/);
  t.equal((await rt.request({ to: 'bad', performative: 'request', content: 'small' }, REPLY_MS)).content, 'small', 'the restarted instance answers');
});

t.test('3. messages parked during back-off stay counted when the worker dies delivering them', async (t) => {
  const rt = await runtime(t);
  await rt.deploy([
    { name: 'a', module: fixture('r-misbehave'), worker: 1, timeLimitMs: 150 },
    // sends its words in one handler call: they reach worker 1 in one batch
    { name: 'driver', module: fixture('r-burst'), worker: 2, config: 'a' },
  ]);
  // trap (restart at once), trap (back-off: the rest is parked), then the first
  // parked message hangs when delivered after the restart; m0..m4 wait behind it.
  rt.send({ to: 'driver', performative: 'request', content: 'traptrapspinmsg0msg1msg2msg3msg4' });
  const s = await rt.waitIdle(REPLY_MS);
  // Before the fix the parked frames were un-counted before delivery: inFlight
  // read 0 during the hang and the six frames vanished without a dead letter.
  t.equal(s.inFlight, 0);
  t.equal(s.accepted, s.delivered + s.deadLettered, 'accepted == delivered + deadLettered');
  t.equal(s.accepted, 9, 'one message to the driver, eight from it');
  t.equal(s.delivered, 1, 'only the driver\'s');
  t.equal(s.workerRestarts, 1);
  const dl = rt.listDeadLetters();
  t.same(dl.map((d) => d.reason), ['AGENT_TRAPPED', 'AGENT_TRAPPED', 'WORKER_LOST']);
  t.same(dl.slice(0, 2).map((d) => d.content), ['trap', 'trap']);
  t.equal(s.deadLettered - 2, 6, 'spin and m0..m4 are counted as WORKER_LOST');
  t.match(dl[2], { agent: 'a', detail: /^6 message\(s\) waiting for agents in back-off were lost/ });
  t.equal((await rt.request({ to: 'a', performative: 'request', content: 'back' }, REPLY_MS)).content, 'back', 'the agent is back on the fresh worker');
});

t.test('4. remove() and deploy() issued while a worker is being replaced both resolve', async (t) => {
  const rt = await runtime(t);
  let replaced = 0;
  rt.onWorkerReplaced(() => replaced++);
  await rt.deploy([
    { name: 'spinner', module: fixture('r-misbehave'), worker: 1, timeLimitMs: 150 },
    { name: 'victim', module: example('echo'), worker: 1 },
  ]);
  // Internal view of worker 1: the window that lost requests is after the
  // supervisor has started the replacement thread (new control port) and
  // before that thread reports ready.
  const worker1 = (rt as unknown as { slots: { restarting: boolean; port: unknown }[] }).slots[1]!;
  const oldPort = worker1.port;
  rt.send({ to: 'spinner', performative: 'request', content: 'spin' });
  await waitUntil(() => ({ restarting: worker1.restarting, newPort: worker1.port !== oldPort, replaced }), (w) => (w.restarting && w.newPort) || w.replaced > 0,
    'worker 1 restarting on a new control port (or replaced)', { intervalMs: 0 });
  t.ok(worker1.restarting && worker1.port !== oldPort, 'the requests below are made while the replacement thread starts');
  const removed = rt.remove('victim');
  const deployed = rt.deploy({ name: 'late', module: example('echo'), worker: 1 });
  // Before the fix both were parked in the worker's pending map after it had
  // been read for replay: they were never posted and never resolved.
  await within(removed, 'remove(victim)', { timeoutMs: REPLY_MS });
  const [late] = await within(deployed, 'deploy(late)', { timeoutMs: REPLY_MS });
  t.equal(late!.state, 'running');
  t.throws(() => rt.get('victim'), { code: 'AGENT_NOT_FOUND' });
  t.throws(() => rt.send({ to: 'victim', performative: 'request', content: 'alive?' }), { code: 'AGENT_NOT_FOUND' });
  t.equal((await rt.request({ to: 'late', performative: 'request', content: 'hi' }, REPLY_MS)).content, 'hi', 'the new agent answers');
  const s = await rt.waitIdle(REPLY_MS);
  t.equal(replaced, 1);
  t.same(rt.list().map((a) => a.name).sort(), ['late', 'spinner']);
  t.equal(s.agents, 2, 'the workers host exactly those two: the removed agent was not put back');
  t.same(rt.listDeadLetters().map((d) => d.reason), ['AGENT_TIMEOUT']);
});

t.test('5. a dead letter recorded earlier in the batch survives a time-out later in it', async (t) => {
  const rt = await runtime(t);
  await rt.deploy([
    { name: 'a', module: fixture('r-misbehave'), worker: 1, timeLimitMs: 150 },
    { name: 'driver', module: fixture('r-burst'), worker: 2, config: 'a' },
  ]);
  // "fail" (handler returns -1) and "spin" reach worker 1 in one batch.
  rt.send({ to: 'driver', performative: 'request', content: 'failspin' });
  const s = await rt.waitIdle(5000);
  const dl = rt.listDeadLetters();
  // Before the fix the HANDLER_FAILED record died with the worker: the count
  // never matched and waitIdle ran into its time-out.
  t.equal(dl.length, s.deadLettered, 'every counted dead letter has its record');
  t.same(dl.map((d) => [d.reason, d.agent, d.content]), [['HANDLER_FAILED', 'a', 'fail'], ['AGENT_TIMEOUT', 'a', 'spin']]);
  t.match(dl[0], { detail: /returned -1/ });
  t.equal(s.inFlight, 0);
  t.equal(s.accepted, s.delivered + s.deadLettered);
  t.equal(s.workerRestarts, 1);
});

t.test('6. stop() or remove() right after deploy() is not undone by the deploy\'s answer', async (t) => {
  const rt = await runtime(t);
  const dx = rt.deploy({ name: 'x', module: example('echo'), worker: 1 });
  const sx = rt.stop('x'); // the deploy is still on its way to the worker
  await dx;
  t.equal((await sx).state, 'stopped');
  t.equal(rt.get('x').state, 'stopped', 'still stopped after the deploy answered');
  t.throws(() => rt.send({ to: 'x', performative: 'request', content: 1 }), { code: 'AGENT_STOPPED' });
  t.equal((await rt.start('x')).state, 'running', 'start() brings it back');
  const answer = await rt.request({ to: 'x', performative: 'request', content: 1 }, REPLY_MS).then((r) => r.content, (e: { code?: string }) => e.code);
  t.equal(answer, 1, 'x answers');

  const dy = rt.deploy({ name: 'y', module: example('echo'), worker: 2 });
  const slotY = rt.get('y').slot;
  const ry = rt.remove('y');
  await dy;
  await ry;
  t.throws(() => rt.get('y'), { code: 'AGENT_NOT_FOUND' });
  t.throws(() => rt.send({ to: 'y', performative: 'request', content: 1 }), { code: 'AGENT_NOT_FOUND' });
  t.equal(new RouterTable(rt.bus).read(slotY), 0, 'the route of y\'s slot is clear');
  const s = await rt.waitIdle(REPLY_MS);
  t.equal(s.agents, 1, 'only x is hosted');
  t.same(rt.listDeadLetters(), []);
});

t.test('7. an undecodable reply rejects request() with INVALID_REPLY', async (t) => {
  const rt = await runtime(t);
  await rt.deploy({ name: 'garbler', module: fixture('r-bad-reply') });
  // Before the fix the decode error was swallowed after the reply timer had
  // been cleared: the promise never settled.
  await t.rejects(within(rt.request({ to: 'garbler', performative: 'request', content: 1 }, 5000), 'request()', { timeoutMs: 8000 }), {
    code: 'INVALID_REPLY', message: /garbler/,
  });
  const s = await rt.waitIdle(REPLY_MS);
  t.same(rt.listDeadLetters(), []);
  t.equal(s.inFlight, 0);
  t.equal(s.accepted, s.delivered + s.deadLettered);
});
