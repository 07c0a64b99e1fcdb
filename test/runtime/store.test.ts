// The durable fleet (runtime/store.ts) as a server keeps it: a stored agent
// that could not be restored at start stays removable (api/server.ts).
import t from 'tap';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { startTestServer, stopTestServer } from '../helpers/server.js';

t.test('an agent that could not be restored can still be removed from the stored fleet', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'caxton-store-'));
  // A stored agent whose module file is gone (or whose spec no longer fits, e.g. worker: 4 on a 2-worker server).
  writeFileSync(join(dataDir, 'fleet.json'), `${JSON.stringify({ version: 1, agents: [{ name: 'ghost', module: '0'.repeat(64) }, { name: 'wide', module: '1'.repeat(64), worker: 4 }] })}\n`);
  const s = await startTestServer({ dataDir });
  t.teardown(() => stopTestServer(s));
  t.same(s.server.restored.failed.map((f) => f.name).sort(), ['ghost', 'wide'], 'both are reported as not restored');
  // `caxton agents remove ghost` is the only way a user has to get rid of it.
  // Undeploy succeeds: an error here (it is not running) would leave the user no way out.
  t.same(await s.call(s.agents, 'Undeploy', { name: 'ghost' }), {}, 'Undeploy of the stored, not running agent succeeds');
  const stored = JSON.parse(readFileSync(join(dataDir, 'fleet.json'), 'utf8')) as { agents: { name: string }[] };
  t.notOk(stored.agents.some((a) => a.name === 'ghost'), 'after Undeploy, fleet.json no longer names it (else it comes back at every start)');
  t.ok(stored.agents.some((a) => a.name === 'wide'), 'the other agent that was not restored stays stored');
  await t.rejects(s.call(s.agents, 'Undeploy', { name: 'ghost' }), { code: status.NOT_FOUND }, 'once gone, a second Undeploy is AGENT_NOT_FOUND');
});
