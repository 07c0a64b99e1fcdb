// The examples a newcomer runs, as subprocesses: the Contract Net fleet.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

t.test('examples/contract-net/run.mjs deploys the fleet and delegates twice', async (t) => {
  const script = fileURLToPath(new URL('../../examples/contract-net/run.mjs', import.meta.url));
  const r = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, CAXTON_LOG_LEVEL: 'warn' } });
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /runtime as manager: failed winner cheap-but-unreliable failure could not complete the task/);
  t.match(r.stdout, /proposals cheap-but-unreliable=5, premium=30, steady=12 \|/);
  t.match(r.stdout, /refusals busy-1, busy-2/);
  t.match(r.stdout, /manager agent: inform .*"winner":"cheap-but-unreliable"/);
});
