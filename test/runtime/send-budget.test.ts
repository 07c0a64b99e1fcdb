// Send budgets (issue #16, item 5; runtime/host/send-budget.ts): an agent
// that sends past its maxSendsPerSecond is throttled, tick by tick, so a
// message storm is held to its budget while its neighbours on the same
// worker keep being served; the throttling shows in `agents get` and stats.
import t from 'tap';
import { Runtime } from '../../dist/runtime/index.js';
import { silentLogger } from '../../dist/runtime/observability/logger.js';
import { example, fixture } from '../helpers/agents.js';
import { waitUntil } from '../helpers/wait.js';

const TICK_MS = 100;

t.test('a message storm is held to its send budget; its neighbour keeps being served', async (t) => {
  const rt = await Runtime.start({ workers: 1, logger: silentLogger() });
  t.teardown(() => rt.shutdown(5000));
  const budget = 2000; // 200 sends per tick: the storm sends 2 per message, so about 100 messages a tick
  await rt.deploy([
    { name: 'storm', module: fixture('storm'), worker: 1, maxSendsPerSecond: budget },
    { name: 'counter', module: example('counter'), worker: 1 },
  ]);
  t.equal(rt.get('storm').maxSendsPerSecond, budget);
  rt.send({ to: 'storm', performative: 'inform', content: 'go' });
  await waitUntil(() => rt.get('storm').throttled, (n) => n >= 3, 'the storm throttled three times');
  // An upper bound, so a slow machine cannot fail it: over any stretch of
  // time the storm handles at most its budget's worth per tick, plus the
  // call that reached the budget, for each tick begun in the stretch.
  const before = rt.agentCounts('storm', false).handled;
  const throttledBefore = rt.get('storm').throttled;
  const started = performance.now();
  for (let i = 1; i <= 20; i++) t.equal((await rt.request({ to: 'counter', performative: 'request', content: 1 }, 20_000)).content, i);
  // Throttled again and again: it is called each tick, and stopped each tick.
  await waitUntil(() => rt.get('storm').throttled, (n) => n >= throttledBefore + 5, 'five more ticks of throttling');
  const handled = rt.agentCounts('storm', false).handled - before;
  const ticks = Math.ceil((performance.now() - started) / TICK_MS) + 2;
  t.ok(handled <= ticks * (budget / 10 / 2 + 1), `the storm handled ${handled} messages in at most ${ticks} ticks (at most ${budget / 10 / 2 + 1} a tick)`);
  t.ok(handled >= 5 * (budget / 10 / 2), 'it was called each tick, up to its budget');
  t.ok(rt.stats().throttled >= 3, 'stats count the throttling');
  t.equal(rt.get('counter').throttled, 0);
  await rt.remove('storm');
});

t.test('the budget is checked like every other limit', async (t) => {
  const rt = await Runtime.start({ workers: 1, logger: silentLogger() });
  t.teardown(() => rt.shutdown(2000));
  for (const bad of [5, 1e300, 1.5, -1]) {
    await t.rejects(rt.deploy({ name: 'x', module: example('echo'), maxSendsPerSecond: bad }), { code: 'INVALID_AGENT_SPEC', message: /maxSendsPerSecond/ }, `${bad}`);
  }
  t.equal((await rt.deploy({ name: 'y', module: example('echo') }))[0]!.maxSendsPerSecond, 200_000, 'the default');
});
