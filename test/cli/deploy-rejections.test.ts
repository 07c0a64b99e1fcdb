// `caxton deploy -f` reports every agent that cannot be deployed, not only
// the first: --dry-run runs the server's own module checks (imports, exports,
// memory import: runtime/module/abi.ts) with no change to the server, and
// an apply goes on past an agent the server refuses, then lists each
// rejected agent with its code, message and hint and says what was applied
// (#16 item 14). The real CLI against a real server.
import t from 'tap';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { agentsDir, runCli } from '../helpers/cli.js';
import { startTestServer, stopTestServer, type TestServer } from '../helpers/server.js';

const fixtures = fileURLToPath(new URL('../../dist/fixtures/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'caxton-deploy-rejections-'));
for (const m of ['echo', 'counter']) copyFileSync(join(agentsDir, `${m}.wasm`), join(dir, `${m}.wasm`));
for (const m of ['bad-import', 'no-handle', 'no-memory', 'init-fails', 'wrong-abi']) copyFileSync(join(fixtures, `${m}.wasm`), join(dir, `${m}.wasm`));

let s: TestServer;
t.before(async () => { s = await startTestServer(); });
t.teardown(async () => {
  await stopTestServer(s);
  rmSync(dir, { recursive: true, force: true });
});

const deploy = (file: string, ...args: string[]) => runCli(['deploy', '-f', file, ...args], {
  ...process.env, CAXTON_TOKEN: s.token, CAXTON_SERVER: s.target, CAXTON_DATA_DIR: join(dir, 'data'),
});
const names = async (): Promise<string[]> => ((await s.call(s.agents, 'List', {})).agents as { name: string }[]).map((a) => a.name).sort();
function manifest(name: string, agents: [string, string][]): string {
  const file = join(dir, name);
  writeFileSync(file, `apiVersion: caxton.dev/v1\nkind: Fleet\nagents:\n${agents.map(([n, m]) => `  - name: ${n}\n    module: ${m}.wasm\n`).join('')}`);
  return file;
}

t.test('deploy --dry-run finds every module the server would refuse, and changes nothing', async (t) => {
  const file = manifest('bad-modules.yaml', [['fine', 'echo'], ['imports', 'bad-import'], ['no-handle', 'no-handle'], ['no-memory', 'no-memory']]);
  for (const extra of [['--dry-run'], []]) {
    const r = await deploy(file, ...extra, '-o', 'table');
    t.equal(r.code, 1, `${extra.join(' ') || 'apply'}: exit 1 (validation)`);
    t.match(r.stderr, /^caxton: DEPLOY_FAILED: 3 agents were rejected; nothing was changed\n/);
    t.match(r.stderr, `${file}:6:5: agent "imports" (create): UNKNOWN_IMPORT: the module imports function "caxton.launch_missiles", which the host does not offer\n    hint: `);
    t.match(r.stderr, `${file}:8:5: agent "no-handle" (create): MISSING_EXPORT: the module does not export the function "caxton_handle"`);
    t.match(r.stderr, `${file}:10:5: agent "no-memory" (create): MEMORY_NOT_IMPORTED: `);
    t.notMatch(r.stderr, /agent "fine"/, 'the good agent is not listed');
    t.same(await names(), [], 'nothing deployed');
  }
  const json = await deploy(file, '--dry-run', '-o', 'json');
  const out = JSON.parse(json.stdout);
  t.equal(out.applied, false);
  t.same(out.rejected.map((r: { name: string; code: string }) => [r.name, r.code]), [['imports', 'UNKNOWN_IMPORT'], ['no-handle', 'MISSING_EXPORT'], ['no-memory', 'MEMORY_NOT_IMPORTED']]);
});

t.test('deploy -f goes on past agents the server refuses, reports each of them and what was applied', async (t) => {
  const file = manifest('refused.yaml', [['first', 'echo'], ['init-fails', 'init-fails'], ['wrong-abi', 'wrong-abi'], ['last', 'counter']]);
  const r = await deploy(file, '-o', 'table');
  t.equal(r.code, 7, 'exit 7, the first rejection\'s (AGENT_INIT_FAILED: FAILED_PRECONDITION)');
  t.match(r.stderr, /^caxton: DEPLOY_FAILED: 2 agents were rejected; applied: created first, created last\n/);
  t.match(r.stderr, `${file}:6:5: agent "init-fails" (create): AGENT_INIT_FAILED: caxton_init failed`);
  t.match(r.stderr, `${file}:8:5: agent "wrong-abi" (create): ABI_VERSION_MISMATCH: caxton_abi_version() returned 99`);
  t.match(r.stderr, /\n {2}hint: Fix each agent as its own hint says/);
  t.match(r.stdout, /created first\ncreated last\n/, 'the applied changes, as they happen');
  t.same(await names(), ['first', 'last'], 'the agents after a refused one were deployed too');

  const again = await deploy(file, '-o', 'json');
  t.equal(again.code, 7);
  const out = JSON.parse(again.stdout);
  t.same(out.plan.map((p: { action: string }) => p.action), ['unchanged', 'create', 'create', 'unchanged'], 'a second run tries only what is missing');
  t.equal(out.applied, false);
  t.same(out.rejected.map((x: { name: string; code: string; action: string }) => [x.name, x.action, x.code]), [['init-fails', 'create', 'AGENT_INIT_FAILED'], ['wrong-abi', 'create', 'ABI_VERSION_MISMATCH']]);
  t.ok(out.rejected.every((x: { message: string; hint: string }) => x.message.length > 10 && x.hint.length > 10), 'each with its message and hint');
});
