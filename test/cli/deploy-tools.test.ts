// `caxton deploy -f` with a tools: section, end to end: the real CLI as a
// subprocess, a real server started with `caxton server start --detach
// --tool-command <node>` (the operator's policy, passed on to the detached
// process), a real MCP server from npm (@modelcontextprotocol/server-everything
// over stdio) and the tool-proxy agent built from examples/tool-proxy, which
// hands a request to $mcp and the answer back. Tool servers are planned and
// applied like agents (before them; removed after them with --prune), an
// agent calls the tool its allow-list names and is refused the others, a
// command the policy does not allow is refused with the hint, a tool server
// that cannot start is reported, and a restarted server still has them.
import t from 'tap';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agentsDir, runCli, stopDetachedServer, type CliRun } from '../helpers/cli.js';
import { waitUntil } from '../helpers/wait.js';

const everything = createRequire(import.meta.url).resolve('@modelcontextprotocol/server-everything/dist/index.js');
const node = process.execPath;
const dir = mkdtempSync(join(tmpdir(), 'caxton-deploy-tools-'));
const dataDir = join(dir, 'data');
copyFileSync(join(agentsDir, 'tool-proxy.wasm'), join(dir, 'tool-proxy.wasm'));
const env: NodeJS.ProcessEnv = {
  ...process.env, CAXTON_TOKEN: '', CAXTON_SERVER: '', CAXTON_DATA_DIR: dataDir, CAXTON_TOOL_COMMANDS: '', CAXTON_TOOL_URLS: '',
};
const caxton = (...args: string[]): Promise<CliRun> => runCli(args, env);
const start = (): Promise<CliRun> => caxton('server', 'start', '--detach', '--grpc-port', '0', '--http-port', '0', '--workers', '2', '--tool-command', node);

async function json(...args: string[]): Promise<any> {
  const r = await caxton(...args, '-o', 'json');
  if (r.code !== 0) throw new Error(`caxton ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

const q = (s: string): string => JSON.stringify(s);
const EVERYTHING = (args: string[]) => `  - name: everything\n    stdio:\n      command: ${q(node)}\n      args: [${args.map(q).join(', ')}]\n`;
let n = 0;
/** A manifest in `dir`: its tools: section (undefined: none) and its agents, as YAML text. */
function manifest(tools: string | undefined, agents: string): string {
  const file = join(dir, `fleet-${n++}.yaml`);
  writeFileSync(file, `apiVersion: caxton.dev/v1\nkind: Fleet\n${tools === undefined ? '' : `tools:\n${tools}`}agents:\n${agents}`);
  return file;
}
const v1 = manifest(EVERYTHING([everything, 'stdio']), '  - name: proxy\n    module: tool-proxy.wasm\n    tools: [everything/get-sum]\n  - name: nobody\n    module: tool-proxy.wasm\n');
const sum = JSON.stringify({ tool: 'everything/get-sum', arguments: { a: 2, b: 3 } });
const echo = JSON.stringify({ tool: 'everything/echo', arguments: { message: 'hi' } });

t.before(async () => {
  const r = await start();
  if (r.code !== 0) throw new Error(`server start --detach exited ${r.code}: ${r.stderr}`);
});
t.teardown(async () => {
  await stopDetachedServer(dataDir, env);
  rmSync(dir, { recursive: true, force: true });
});

t.test('--dry-run: tool servers are planned first, and nothing changes', async (t) => {
  const dry = await json('deploy', '-f', v1, '--dry-run');
  t.same(dry.plan, [
    { kind: 'toolServer', action: 'create', name: 'everything' },
    { kind: 'agent', action: 'create', name: 'proxy' },
    { kind: 'agent', action: 'create', name: 'nobody' },
  ]);
  t.equal(dry.applied, false);
  const table = await caxton('deploy', '-f', v1, '--dry-run', '-o', 'table');
  t.equal(table.stdout, '  + create    tool server everything\n  + create    proxy\n  + create    nobody\n' +
    'plan: 2 to create, 0 to update, 0 unchanged, 0 to remove; tool servers: 1 to create, 0 to update, 0 unchanged, 0 to remove\n');
  t.same((await json('tools', 'list')).servers, []);
});

t.test('apply: the tool server is put before the agents; an agent calls its allowed tool and is refused the others', async (t) => {
  const r = await caxton('deploy', '-f', v1, '-o', 'table');
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /\ncreated tool server everything\ncreated proxy\ncreated nobody\napplied: 3 change\(s\)\n$/, 'in that order');
  t.equal(r.stderr, '', 'no warning: the tool server is ready');

  const ok = await json('invoke', 'proxy', '-c', sum);
  t.equal(ok.performative, 'inform');
  t.match(ok.content, { isError: false, content: [{ type: 'text', text: /5/ }] });
  const nobody = await json('invoke', 'nobody', '-c', sum);
  t.equal(nobody.performative, 'failure');
  t.match(nobody.content, { code: 'TOOL_NOT_ALLOWED', message: /its tools: list is empty/ });
  const other = await json('invoke', 'proxy', '-c', echo);
  t.match(other.content, { code: 'TOOL_NOT_ALLOWED', message: /everything\/echo/ }, 'only the tool its allow-list names');
  t.same((await json('agents', 'get', 'proxy')).tools, ['everything/get-sum'], 'agents get shows the allow-list');
});

t.test('caxton tools list and get', async (t) => {
  const table = await caxton('tools', 'list', '-o', 'table');
  t.equal(table.code, 0, table.stderr);
  t.match(table.stdout, /^NAME +TRANSPORT +TARGET +STATE +RESTARTS +TOOLS +LAST ERROR\n/);
  t.match(table.stdout, /\neverything +stdio +\/\S+ \S+ +ready +0 +echo, [a-z-]+, [a-z-]+, [a-z-]+, [a-z-]+ \+\d+ more\n$/);
  const { servers } = await json('tools', 'list');
  t.equal(servers.length, 1);
  t.match(servers[0], { name: 'everything', transport: 'stdio', target: `${node} ${everything} stdio`, state: 'ready', restarts: 0, lastError: '', inFlight: 0 });
  t.same(servers[0].spec, { name: 'everything', stdio: { command: node, args: [everything, 'stdio'] } }, 'the spec as put');
  const getSum = servers[0].tools.find((x: { name: string }) => x.name === 'get-sum');
  t.match(getSum, { description: /sum/i, inputSchema: { type: 'object', required: ['a', 'b'] } }, 'input schemas parsed from their JSON text');
  const yaml = await caxton('tools', 'list', '-o', 'yaml');
  t.match(yaml.stdout, /^servers:\n {2}- name: everything\n/);

  const get = await caxton('tools', 'get', 'everything', '-o', 'table');
  t.match(get.stdout, /^name +everything\ntransport +stdio\n/);
  t.match(get.stdout, /\n {2}get-sum +Returns the sum of two numbers\n +arguments: a: number, b: number\n/);
  t.match((await json('tools', 'get', 'everything')).tools, [{ name: 'echo', inputSchema: { type: 'object' } }]);
  const missing = await caxton('tools', 'get', 'everythin');
  t.equal(missing.code, 3);
  t.match(missing.stderr, /^caxton: TOOL_SERVER_NOT_FOUND: no tool server named "everythin" \(there are: everything\)\n {2}hint: Did you mean "everything"\?/);
});

t.test('the second run changes nothing', async (t) => {
  const again = await json('deploy', '-f', v1);
  t.same(again.plan.map((s: { kind: string; action: string }) => `${s.kind} ${s.action}`), ['toolServer unchanged', 'agent unchanged', 'agent unchanged']);
  t.equal(again.applied, false);
  const table = await caxton('deploy', '-f', v1, '-o', 'table');
  t.match(table.stdout, /plan: 0 to create, 0 to update, 2 unchanged, 0 to remove; tool servers: 0 to create, 0 to update, 1 unchanged, 0 to remove\nnothing to change\n$/);
});

const v2 = manifest(EVERYTHING([everything]), '  - name: proxy\n    module: tool-proxy.wasm\n    tools: [everything/*]\n  - name: nobody\n    module: tool-proxy.wasm\n');

t.test('changed args update the tool server; a changed allow-list updates the agent', async (t) => {
  const dry = await json('deploy', '-f', v2, '--dry-run');
  t.same(dry.plan, [
    { kind: 'toolServer', action: 'update', name: 'everything', changes: ['args'] },
    { kind: 'agent', action: 'update', name: 'proxy', changes: ['tools'] },
    { kind: 'agent', action: 'unchanged', name: 'nobody' },
  ]);
  const r = await caxton('deploy', '-f', v2, '-o', 'table');
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /\nupdated tool server everything\nupdated proxy\napplied: 2 change\(s\)\n$/);
  t.same((await json('tools', 'list')).servers[0].spec.stdio.args, [everything]);
  const now = await json('invoke', 'proxy', '-c', echo);
  t.equal(now.performative, 'inform', 'everything/* allows echo now');
  t.match(now.content, { content: [{ text: /hi/ }] });
});

t.test('a restarted server has its tool servers again (kept with the fleet)', async (t) => {
  const stop = await caxton('server', 'stop');
  t.equal(stop.code, 0, stop.stderr);
  const again = await start();
  t.equal(again.code, 0, again.stderr);
  // Restored before the agents, started in the background: ready soon after.
  const servers = await waitUntil(async () => (await json('tools', 'list')).servers as { name: string; state: string }[],
    (s) => s.length === 1 && s[0]!.state === 'ready', 'the restored tool server ready', { intervalMs: 100 });
  t.equal(servers[0]!.name, 'everything');
  const r = await json('invoke', 'proxy', '-c', sum);
  t.equal(r.performative, 'inform', 'the restored agent calls the restored tool server');
  t.match(r.content, { content: [{ text: /5/ }] });
  const plan = await json('deploy', '-f', v2);
  t.same(plan.plan.map((s: { action: string }) => s.action), ['unchanged', 'unchanged', 'unchanged'], 'the fleet as it was deployed');
});

t.test('a tool server whose command the server does not allow is refused with the hint; the agents are left as they are', async (t) => {
  const file = manifest(`${EVERYTHING([everything])}  - name: shell\n    stdio: { command: sh, args: [-c, "touch /tmp/nope"] }\n`,
    '  - name: proxy\n    module: tool-proxy.wasm\n    tools: [everything/*]\n  - name: late\n    module: tool-proxy.wasm\n    tools: [shell/*]\n');
  const r = await caxton('deploy', '-f', file, '-o', 'table');
  t.equal(r.code, 5, 'exit 5: PERMISSION_DENIED');
  t.match(r.stderr, /^caxton: DEPLOY_FAILED: 1 tool server was rejected; nothing was changed; not tried \(a tool server was refused, so the agents were left as they are\): late\n/);
  t.match(r.stderr, `  ${file}:8:5: tool server "shell" (create): TOOL_SERVER_NOT_ALLOWED: tool server "shell" is not allowed on this server: the command line "sh -c touch /tmp/nope"`);
  t.match(r.stderr, /\n {4}hint: .*--tool-command/, 'the server\'s hint: the setting that would allow it');
  t.match(r.stderr, /\n {2}hint: Fix each tool server as its own hint says/);
  const out = await caxton('deploy', '-f', file, '-o', 'json');
  t.equal(out.code, 5);
  const body = JSON.parse(out.stdout);
  t.same(body.rejected.map((x: { kind: string; name: string; code: string }) => [x.kind, x.name, x.code]), [['toolServer', 'shell', 'TOOL_SERVER_NOT_ALLOWED']]);
  t.same(body.notTried, ['late']);
  t.same((await json('agents', 'list')).map((a: { name: string }) => a.name).sort(), ['nobody', 'proxy'], 'late was not deployed');
  t.same((await json('tools', 'list')).servers.map((s: { name: string }) => s.name), ['everything'], 'nothing was started');
});

const withBroken = manifest(`${EVERYTHING([everything])}  - name: broken\n    stdio: { command: ${q(node)}, args: [-e, "process.exit(3)"] }\n`,
  '  - name: proxy\n    module: tool-proxy.wasm\n    tools: [everything/*]\n  - name: nobody\n    module: tool-proxy.wasm\n');

t.test('a tool server that cannot start is reported with its last error; the deploy goes on', async (t) => {
  const r = await caxton('deploy', '-f', withBroken, '-o', 'json');
  t.equal(r.code, 0, r.stderr);
  const body = JSON.parse(r.stdout);
  t.equal(body.applied, true);
  t.match(body.toolServersDown, [{ name: 'broken', lastError: /\S/ }]);
  t.match(r.stderr, /^warning: tool server "broken" is down: \S.*\n {2}hint: the server keeps trying to start it/);
  const { servers } = await json('tools', 'list');
  t.match(servers.find((s: { name: string }) => s.name === 'broken'), { state: 'down', lastError: /\S/ });
  const again = await caxton('deploy', '-f', withBroken, '-o', 'table');
  t.match(again.stdout, /nothing to change\n$/);
  t.match(again.stderr, /warning: tool server "broken" is down/, 'said again while it stays down');
});

t.test('--prune removes the tool servers a tools: section does not declare, after the agents; without one it leaves them', async (t) => {
  const noSection = manifest(undefined, '  - name: nobody\n    module: tool-proxy.wasm\n    tools: [evrything/echo]\n');
  const dry = await caxton('deploy', '-f', noSection, '--prune', '--dry-run', '-o', 'json');
  t.equal(dry.code, 0, dry.stderr);
  t.same(JSON.parse(dry.stdout).plan, [
    { kind: 'agent', action: 'update', name: 'nobody', changes: ['tools'] },
    { kind: 'agent', action: 'remove', name: 'proxy' },
  ], 'no tool server step without a tools: section');
  t.match(dry.stderr, /warning: agent "nobody" may call "evrything\/echo", but there is no tool server "evrything" \(on the server or in this manifest\); did you mean "everything\/echo"\?/);

  const pruned = manifest(EVERYTHING([everything]), '  - name: nobody\n    module: tool-proxy.wasm\n');
  const r = await caxton('deploy', '-f', pruned, '--prune', '-o', 'table');
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, '  = unchanged tool server everything\n  = unchanged nobody\n  - remove    proxy\n  - remove    tool server broken\n');
  t.match(r.stdout, /\nremoved proxy\nremoved tool server broken\napplied: 2 change\(s\)\n$/, 'the agent first, then the tool server');
  t.same((await json('tools', 'list')).servers.map((s: { name: string }) => s.name), ['everything']);
  const none = manifest('  []\n', '  - name: nobody\n    module: tool-proxy.wasm\n');
  const all = await json('deploy', '-f', none, '--prune');
  t.same(all.plan, [{ kind: 'agent', action: 'unchanged', name: 'nobody' }, { kind: 'toolServer', action: 'remove', name: 'everything' }], 'tools: [] removes them all');
  t.same((await json('tools', 'list')).servers, []);
});
