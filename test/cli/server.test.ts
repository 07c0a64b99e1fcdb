// The real CLI as a subprocess against a real server it starts itself:
// server start/status/stop, deploy -f (create, unchanged, update, prune,
// dry-run), agents list/get/remove in every output format, send, invoke,
// invoke time-out, health, exit codes, SIGKILL with the fleet restored.
// At the end, deploy -f against an in-process server (a manifest re-applied,
// an update refused), and server starts that fail (a broken fleet.json, a
// port in use).
import t from 'tap';
import { mkdtempSync, readFileSync, writeFileSync, copyFileSync, mkdirSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { agentsDir, runCli, stopDetachedServer, type CliRun } from '../helpers/cli.js';
import { startTestServer, stopTestServer, type TestServer } from '../helpers/server.js';

const dir = mkdtempSync(join(tmpdir(), 'caxton-cli-'));
const dataDir = join(dir, 'data');
const env = { ...process.env, CAXTON_DATA_DIR: dataDir, CAXTON_TOKEN: '', CAXTON_SERVER: '' };

const caxton = (...args: string[]): Promise<CliRun> => runCli(args, env);

async function json(...args: string[]): Promise<any> {
  const r = await caxton(...args, '-o', 'json');
  if (r.code !== 0) throw new Error(`caxton ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

// Manifests in a temp folder, with the modules next to them (paths are relative to the manifest).
mkdirSync(join(dir, 'agents'));
for (const m of ['echo', 'slow', 'counter', 'contract-net-contractor']) copyFileSync(join(agentsDir, `${m}.wasm`), join(dir, 'agents', `${m}.wasm`));
function manifest(name: string, text: string): string {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
}
const fleetV1 = manifest('fleet.yaml', `apiVersion: caxton.dev/v1
kind: Fleet
metadata:
  name: cli-test
agents:
  - name: echo
    module: agents/echo.wasm
    capabilities: [echoing]
  - name: slow
    module: agents/slow.wasm
    timeLimitMs: 20000
  - name: counter
    module: agents/counter.wasm
    config: { start: 1 }
`);

t.before(async () => {
  const r = await caxton('server', 'start', '--detach', '--grpc-port', '0', '--http-port', '0', '--workers', '2');
  if (r.code !== 0) throw new Error(`server start failed: ${r.stderr}`);
});
t.teardown(() => stopDetachedServer(dataDir, env));

t.test('server status and health', async (t) => {
  const st = await json('server', 'status');
  t.match(st, { workers: 2, abiVersion: 2, state: 'running' });
  const h = await caxton('health');
  t.equal(h.code, 0);
  t.equal(h.stdout.trim(), 'SERVING');
  const again = await caxton('server', 'start', '--detach', '--grpc-port', '0');
  t.equal(again.code, 7, 'a second server on the same data directory is refused');
  t.match(again.stderr, /SERVER_RUNNING/);
  const running = JSON.parse(readFileSync(join(dataDir, 'server.json'), 'utf8'));
  const other = await runCli(['server', 'start', '--grpc-port', String(running.grpcPort), '--http-port', '0', '--workers', '1'],
    { ...env, CAXTON_DATA_DIR: join(dir, 'other') });
  t.equal(other.code, 7, 'a port in use is a conflict, not a crash');
  t.match(other.stderr, /PORT_IN_USE/);
  t.match(other.stderr, /hint: .*--grpc-port/);
  const shortToken = await runCli(['server', 'start', '--grpc-port', '0', '--http-port', '0', '--workers', '1'],
    { ...env, CAXTON_DATA_DIR: join(dir, 'short'), CAXTON_TOKEN: 'abc' });
  t.equal(shortToken.code, 1, 'a too-short CAXTON_TOKEN is a usage error');
  t.match(shortToken.stderr, /CAXTON_TOKEN/);
});

t.test('deploy -f: create, unchanged, dry-run, update, prune', async (t) => {
  const first = await json('deploy', '-f', fleetV1);
  t.same(first.plan.map((s: any) => s.action), ['create', 'create', 'create']);
  t.equal(first.applied, true);
  const again = await json('deploy', '-f', fleetV1);
  t.same(again.plan.map((s: any) => s.action), ['unchanged', 'unchanged', 'unchanged'], 're-applying changes nothing');
  t.equal(again.applied, false);
  const table = await caxton('deploy', '-f', fleetV1, '-o', 'table');
  t.match(table.stdout, /= unchanged +echo/);
  t.match(table.stdout, /nothing to change/);

  const changed = manifest('fleet-v2.yaml', readFileSync(fleetV1, 'utf8').replace('{ start: 1 }', '{ start: 100 }').replace('  - name: slow\n    module: agents/slow.wasm\n    timeLimitMs: 20000\n', ''));
  const dry = await json('deploy', '-f', changed, '--dry-run', '--prune');
  t.same(dry.plan, [{ kind: 'agent', action: 'unchanged', name: 'echo' }, { kind: 'agent', action: 'update', name: 'counter', changes: ['config'] }, { kind: 'agent', action: 'remove', name: 'slow' }]);
  t.equal(dry.applied, false);
  t.equal((await json('agents', 'get', 'counter')).config.start, 1, 'dry-run changed nothing');
  const noPrune = await json('deploy', '-f', changed);
  t.same(noPrune.plan.map((s: any) => s.action), ['unchanged', 'update'], 'without --prune slow stays');
  t.equal((await json('agents', 'get', 'counter')).config.start, 100, 'the changed agent was updated');
  t.same((await json('agents', 'list')).map((a: any) => a.name).sort(), ['counter', 'echo', 'slow']);
  const pruned = await json('deploy', '-f', changed, '--prune');
  t.same(pruned.plan.map((s: any) => s.action), ['unchanged', 'unchanged', 'remove']);
  t.same((await json('agents', 'list')).map((a: any) => a.name).sort(), ['counter', 'echo']);
  await json('deploy', '-f', fleetV1);
});

t.test('broken manifests name the file and line', async (t) => {
  const badYaml = manifest('bad-yaml.yaml', 'apiVersion: caxton.dev/v1\nkind: Fleet\nagents:\n  - name: echo\n    module: [unclosed\n');
  const r1 = await caxton('deploy', '-f', badYaml);
  t.equal(r1.code, 1);
  t.match(r1.stderr, /bad-yaml\.yaml:\d+:\d+/);
  const unknown = manifest('unknown-field.yaml', 'apiVersion: caxton.dev/v1\nkind: Fleet\nagents:\n  - name: echo\n    module: agents/echo.wasm\n    memroy: 5\n');
  const r2 = await caxton('deploy', '-f', unknown);
  t.equal(r2.code, 1);
  t.match(r2.stderr, /unknown-field\.yaml:6:5/);
  t.match(r2.stderr, /memroy/);
  const missing = manifest('missing-module.yaml', 'apiVersion: caxton.dev/v1\nkind: Fleet\nagents:\n  - name: ghost\n    module: agents/ghost.wasm\n');
  const r3 = await caxton('deploy', '-f', missing);
  t.equal(r3.code, 1);
  t.match(r3.stderr, /MODULE_FILE_NOT_FOUND/);
  t.match(r3.stderr, /missing-module\.yaml:5:/);
  t.match(r3.stderr, /hint:/);
  t.notOk((await json('agents', 'list')).some((a: any) => a.name === 'ghost'), 'nothing was applied');
});

t.test('agents list and get in every output format', async (t) => {
  const asJson = await json('agents', 'list');
  t.same(asJson.map((a: any) => a.name).sort(), ['counter', 'echo', 'slow']);
  const yamlOut = await caxton('agents', 'list', '-o', 'yaml');
  t.equal(yamlOut.code, 0);
  t.same((parse(yamlOut.stdout) as any[]).map((a) => a.name).sort(), ['counter', 'echo', 'slow']);
  const tableOut = await caxton('agents', 'list', '-o', 'table');
  t.match(tableOut.stdout, /^NAME +STATE +WORKER/);
  t.match(tableOut.stdout, /\necho +running/);
  const one = await json('agents', 'get', 'echo');
  t.match(one, { name: 'echo', state: 'running', capabilities: ['echoing'] });
  const gone = await caxton('agents', 'get', 'nobody');
  t.equal(gone.code, 3, 'not found exits 3');
  t.match(gone.stderr, /AGENT_NOT_FOUND/);
  t.match(gone.stderr, /hint:/);
});

t.test('send and invoke', async (t) => {
  const sent = await json('send', 'echo', '--content', '{"n":1}');
  t.match(sent.messageId, /^[0-9a-f]{16}$/);
  const reply = await json('invoke', 'echo', '--content', '{"hello":"world"}');
  t.match(reply, { performative: 'inform', sender: 'echo', content: { hello: 'world' } });
  const text = await caxton('invoke', 'echo', '--content', 'plain words', '-o', 'table');
  t.equal(text.code, 0);
  t.match(text.stdout, /inform from echo: "plain words"/, 'text that is not JSON is sent as a string');
  const timeout = await caxton('invoke', 'slow', '--content', '2000', '--timeout', '200ms');
  t.equal(timeout.code, 6, 'a time-out exits 6');
  t.match(timeout.stderr, /DEADLINE_EXCEEDED|REPLY_TIMEOUT/);
  const bad = await caxton('invoke', 'echo', '--timeout', 'soon');
  t.equal(bad.code, 1);
  t.match(bad.stderr, /--timeout takes a duration/);
  const badAct = await caxton('send', 'echo', '-p', 'shout');
  t.equal(badAct.code, 1);
  t.match(badAct.stderr, /UNKNOWN_PERFORMATIVE/);
});

t.test('wrong token and unreachable server', async (t) => {
  const wrong = await runCli(['agents', 'list'], { ...env, CAXTON_TOKEN: 'definitely-not-the-token' });
  t.equal(wrong.code, 5);
  t.match(wrong.stderr, /UNAUTHENTICATED/);
  const away = await caxton('agents', 'list', '--server', '127.0.0.1:1');
  t.equal(away.code, 2);
  t.match(away.stderr, /SERVER_UNREACHABLE/);
});

t.test('task contract-net', async (t) => {
  const f = manifest('contractors.yaml', `apiVersion: caxton.dev/v1
kind: Fleet
agents:
  - name: c-cheap
    module: agents/contract-net-contractor.wasm
    capabilities: [cli-work]
    config: { name: c-cheap, price: 3 }
  - name: c-dear
    module: agents/contract-net-contractor.wasm
    capabilities: [cli-work]
    config: { name: c-dear, price: 8 }
  - name: c-busy
    module: agents/contract-net-contractor.wasm
    capabilities: [cli-work]
    config: { name: c-busy, refuse: true }
`);
  await json('deploy', '-f', f);
  const o = await json('task', 'contract-net', '--capability', 'cli-work', '--content', '{"job":"translate"}', '--deadline', '5s');
  t.equal(o.status, 'completed');
  t.equal(o.winner, 'c-cheap');
  t.same(o.proposals.map((p: any) => p.agent).sort(), ['c-cheap', 'c-dear']);
  t.same(o.refusals.map((p: any) => p.agent), ['c-busy']);
  t.not(o.result, null, 'the result is printed');
  const hi = await caxton('task', 'contract-net', '--capability', 'cli-work', '--content', '"x"', '--deadline', '5s', '--select', 'highest:price', '-o', 'table');
  t.equal(hi.code, 0, hi.stderr);
  t.match(hi.stdout, /status +completed\nwinner +c-dear/);
  const bad = await caxton('task', 'contract-net', '--capability', 'cli-work', '--content', '{oops');
  t.equal(bad.code, 1);
  t.match(bad.stderr, /--content must be JSON/);
  await caxton('agents', 'remove', 'c-cheap');
  await caxton('agents', 'remove', 'c-dear');
  await caxton('agents', 'remove', 'c-busy');
});

t.test('the Contract Net example fleet, applied by caxton deploy -f', async (t) => {
  const example = fileURLToPath(new URL('../../examples/contract-net/fleet.yaml', import.meta.url));
  const applied = await json('deploy', '-f', example);
  t.same(applied.plan.map((s: any) => s.action), Array(6).fill('create'));
  const o = await json('task', 'contract-net', '--capability', 'translate', '--content', '{"job":"translate","words":300}', '--deadline', '5s');
  t.equal(o.status, 'failed', 'the cheapest contractor fails after acceptance (as the example intends)');
  t.equal(o.winner, 'cheap-but-unreliable');
  t.same(o.refusals.map((r: any) => r.agent).sort(), ['busy-1', 'busy-2']);
  const viaManager = await json('invoke', 'manager', '--content', '{"job":"translate"}', '--timeout', '10s');
  t.match(viaManager, { performative: 'inform', sender: 'manager', content: { winner: 'cheap-but-unreliable' } }, 'the manager agent runs the same task');
  const back = await json('deploy', '-f', fleetV1, '--prune');
  t.same(back.plan.filter((s: any) => s.action === 'remove').map((s: any) => s.name).sort(), ['busy-1', 'busy-2', 'cheap-but-unreliable', 'manager', 'premium', 'steady']);
});

t.test('a server killed with SIGKILL restarts with its fleet', async (t) => {
  const before = (await json('agents', 'list')).map((a: any) => a.name).sort();
  const pid = Number(readFileSync(join(dataDir, 'server.pid'), 'utf8'));
  process.kill(pid, 'SIGKILL');
  const r = await caxton('server', 'start', '--detach', '--grpc-port', '0', '--http-port', '0', '--workers', '2');
  t.equal(r.code, 0, r.stderr);
  t.same((await json('agents', 'list')).map((a: any) => a.name).sort(), before, 'the same agents');
  t.equal((await json('agents', 'get', 'counter')).config.start, 1, 'with their config');
  t.match(await json('invoke', 'echo', '--content', '"back"'), { content: 'back' });
});

t.test('server stop drains in-flight messages', async (t) => {
  const running = JSON.parse(readFileSync(join(dataDir, 'server.json'), 'utf8'));
  for (let i = 0; i < 5; i++) t.equal((await caxton('send', 'slow', '--content', '200')).code, 0);
  const stop = await caxton('server', 'stop', '--timeout', '20s');
  t.equal(stop.code, 0, stop.stderr);
  const m = /^drained: accepted (\d+), delivered (\d+), dead-lettered (\d+)/m.exec(stop.stdout);
  t.ok(m, stop.stdout);
  t.equal(Number(m![1]), Number(m![2]) + Number(m![3]), 'every accepted message was delivered or dead-lettered');
  t.match(stop.stdout, /stopped/);
  const after = await caxton('server', 'status', '--server', `127.0.0.1:${running.grpcPort}`);
  t.equal(after.code, 2, 'nothing serves any more');
  // the teardown's stop finds no server: that is fine
  const r = await caxton('server', 'start', '--detach=true', '--grpc-port', '0', '--http-port', '0', '--workers', '2');
  t.equal(r.code, 0, 'it starts again (--detach=true) for the teardown');
});

// ---------------------------------------------------------------- servers of their own

/** `caxton ...args` with `env` added to this process's environment (not the detached server's). */
const caxtonWith = (env: NodeJS.ProcessEnv, args: string[], timeout = 120_000): Promise<CliRun> =>
  runCli(args, { ...process.env, CAXTON_LOG_PRETTY: '0', ...env }, timeout);

/** A folder with modules for manifests: two that load, one that is not WebAssembly. */
function workdir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'caxton-cli-deploy-'));
  for (const m of ['echo', 'contract-net-contractor']) copyFileSync(join(agentsDir, `${m}.wasm`), join(dir, `${m}.wasm`));
  writeFileSync(join(dir, 'broken.wasm'), 'this is not a WebAssembly module\n');
  return dir;
}

t.test('deploy -f', async (t) => {
  let s: TestServer;
  t.before(async () => { s = await startTestServer(); });
  t.teardown(() => stopTestServer(s));
  const env = (): NodeJS.ProcessEnv => ({ CAXTON_TOKEN: s.token, CAXTON_SERVER: s.target, CAXTON_DATA_DIR: mkdtempSync(join(tmpdir(), 'caxton-cli-deploy-dd-')) });

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
    const first = await caxtonWith(env(), ['deploy', '-f', file, '-o', 'json']);
    t.equal(first.code, 0, first.stderr);
    const again = await caxtonWith(env(), ['deploy', '-f', file, '-o', 'json']);
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
    const first = await caxtonWith(env(), ['deploy', '-f', v1, '-o', 'json']);
    t.equal(first.code, 0, first.stderr);
    const bad = await caxtonWith(env(), ['deploy', '-f', v2, '-o', 'json']);
    t.not(bad.code, 0, 'the bad manifest is refused');
    const { agents } = await s.call(s.agents, 'List', {});
    t.ok(agents.some((a: any) => a.name === 'keeper'), 'keeper (v1) still runs after the refused update');
  });
});

t.test('server start with an unreadable fleet.json exits (it does not hang) and names the file', async (t) => {
  const data = mkdtempSync(join(tmpdir(), 'caxton-cli-data-'));
  writeFileSync(join(data, 'fleet.json'), '{"version": 1, "agents": [\n');
  const r = await caxtonWith({ CAXTON_TOKEN: '' }, ['server', 'start', '--data-dir', data, '--grpc-port', '0', '--http-port', '0', '--workers', '1'], 60_000);
  t.notOk(r.killed, 'the process ended on its own');
  t.not(r.code, 0);
  t.match(r.stderr, /fleet\.json/, 'the message names the fleet file');
});

t.test('server start on a port in use is a clear error with a hint, not an internal error (70)', async (t) => {
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
  t.teardown(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
  const port = (blocker.address() as net.AddressInfo).port;
  const data = mkdtempSync(join(tmpdir(), 'caxton-cli-data-'));
  const r = await caxtonWith({ CAXTON_TOKEN: '' }, ['server', 'start', '--data-dir', data, '--grpc-port', String(port), '--http-port', '0', '--workers', '1'], 60_000);
  t.notOk(r.killed, 'the process ended on its own');
  t.not(r.code, 0, 'it fails');
  t.not(r.code, 70, 'a port in use is not an internal error (exit 70 = "a bug, please report it")');
  t.notMatch(r.stderr, /internal error/);
  t.match(r.stderr, /hint:/, 'with a hint');
});
