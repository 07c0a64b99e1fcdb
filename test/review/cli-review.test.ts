// Review reproductions for the CLI (cli/commands/deploy.ts, cli/commands/server.ts)
// and server start-up (api/server.ts). The real CLI runs as a subprocess.
import t from 'tap';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, stopTestServer, type TestServer } from '../helpers/server.js';
import { agentsDir, runCli, type CliRun } from '../helpers/cli.js';

const caxton = (env: NodeJS.ProcessEnv, args: string[], timeout = 120_000): Promise<CliRun> =>
  runCli(args, { ...process.env, CAXTON_LOG_PRETTY: '0', ...env }, timeout);

function workdir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'caxton-review-'));
  for (const m of ['echo', 'contract-net-contractor']) copyFileSync(join(agentsDir, `${m}.wasm`), join(dir, `${m}.wasm`));
  writeFileSync(join(dir, 'broken.wasm'), 'this is not a WebAssembly module\n');
  return dir;
}

t.test('deploy -f', async (t) => {
  let s: TestServer;
  t.before(async () => { s = await startTestServer(); });
  t.teardown(() => stopTestServer(s));
  const env = (): NodeJS.ProcessEnv => ({ CAXTON_TOKEN: s.token, CAXTON_SERVER: s.target, CAXTON_DATA_DIR: mkdtempSync(join(tmpdir(), 'caxton-review-dd-')) });

  t.test('re-applying an unchanged manifest changes nothing (idempotent)', async (t) => {
    const dir = workdir();
    const file = join(dir, 'fleet.yaml');
    // Both specs are valid manifests: a size that is not a whole number of 64 KiB pages,
    // and the example contractor, which registers its `capability` config with the directory.
    writeFileSync(file, `apiVersion: caxton.dev/v1
kind: Fleet
agents:
  - name: small-echo
    module: echo.wasm
    memoryLimitBytes: 100KiB
  - name: seller
    module: contract-net-contractor.wasm
    config: { name: seller, price: 5, capability: translate }
`);
    const first = await caxton(env(), ['deploy', '-f', file, '-o', 'json']);
    t.equal(first.code, 0, first.stderr);
    const again = await caxton(env(), ['deploy', '-f', file, '-o', 'json']);
    t.equal(again.code, 0, again.stderr);
    const plan = JSON.parse(again.stdout).plan as { action: string; name: string; changes?: string[] }[];
    for (const step of plan) t.equal(step.action, 'unchanged', `${step.name}: ${step.action}${step.changes ? ` (${step.changes.join(', ')})` : ''}`);
  });

  t.test('an update with a broken module leaves the running agent in place', async (t) => {
    const dir = workdir();
    const v1 = join(dir, 'v1.yaml');
    const v2 = join(dir, 'v2.yaml');
    writeFileSync(v1, 'apiVersion: caxton.dev/v1\nkind: Fleet\nagents:\n  - name: keeper\n    module: echo.wasm\n');
    writeFileSync(v2, 'apiVersion: caxton.dev/v1\nkind: Fleet\nagents:\n  - name: keeper\n    module: broken.wasm\n');
    const first = await caxton(env(), ['deploy', '-f', v1, '-o', 'json']);
    t.equal(first.code, 0, first.stderr);
    const bad = await caxton(env(), ['deploy', '-f', v2, '-o', 'json']);
    t.not(bad.code, 0, 'the bad manifest is refused');
    const { agents } = await s.call(s.agents, 'List', {});
    t.ok(agents.some((a: any) => a.name === 'keeper'), 'keeper (v1) still runs after the refused update');
  });
});

t.test('server start with an unreadable fleet.json exits (it does not hang) and names the file', async (t) => {
  const data = mkdtempSync(join(tmpdir(), 'caxton-review-data-'));
  writeFileSync(join(data, 'fleet.json'), '{"version": 1, "agents": [\n');
  const r = await caxton({ CAXTON_TOKEN: '' }, ['server', 'start', '--data-dir', data, '--grpc-port', '0', '--http-port', '0', '--workers', '1'], 60_000);
  t.notOk(r.killed, 'the process ended on its own');
  t.not(r.code, 0);
  t.match(r.stderr, /fleet\.json/, 'the message names the fleet file');
});

t.test('server start on a port in use is a clear error with a hint, not an internal error (70)', async (t) => {
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
  t.teardown(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
  const port = (blocker.address() as net.AddressInfo).port;
  const data = mkdtempSync(join(tmpdir(), 'caxton-review-data-'));
  const r = await caxton({ CAXTON_TOKEN: '' }, ['server', 'start', '--data-dir', data, '--grpc-port', String(port), '--http-port', '0', '--workers', '1'], 60_000);
  t.notOk(r.killed, 'the process ended on its own');
  t.not(r.code, 0, 'it fails');
  t.not(r.code, 70, 'a port in use is not an internal error (exit 70 = "a bug, please report it")');
  t.notMatch(r.stderr, /internal error/);
  t.match(r.stderr, /hint:/, 'with a hint');
});
