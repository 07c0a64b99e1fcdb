// The contract-net scenario on real workers and real contractor agents whose
// every accepted task fails: its rate counts completed tasks only, and the
// failed ones are counted as failed.
import t from 'tap';
import { contractNetScenario } from '../../dist/bench/contract-net.js';
import { makeContext } from '../../dist/bench/progress.js';

t.test('contract-net: tasks that fail are not counted in completed tasks per second', async (t) => {
  const quiet = makeContext(process.stderr, true);
  const r = await contractNetScenario({ durationSeconds: 0.5, workers: 2, contractors: 3, concurrency: 4, contractorConfig: { failAfterAccept: true } }, quiet) as Record<string, number>;
  t.ok(r.tasks! > 0, `${r.tasks} tasks ran`);
  t.equal(r.failed, r.tasks, 'every one failed (the winner sent FAILURE after the accept)');
  t.equal(r.completed, 0, 'none completed');
  t.equal(r.completedPerSecond, 0, 'so the rate is 0 completed tasks per second');
  t.equal(r.lost, 0);
});
