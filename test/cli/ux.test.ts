// What a new user trips on (#16 item 15), through the real `caxton` as a
// subprocess against a real server it starts itself (detached): did-you-mean
// for mistyped commands and agent names (also over REST, from the server's
// own AGENT_NOT_FOUND hint), hints that name CLI commands, plain `caxton`,
// the data directory found in a parent directory.
import t from 'tap';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agentsDir, cli, runCli, stopDetachedServer, type CliRun } from '../helpers/cli.js';
import { waitUntil } from '../helpers/wait.js';
import { COMMANDS } from '../../dist/cli/commands-tree.js';
import { AgentNotFoundError, AgentStoppedError } from '../../dist/runtime/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'caxton-ux-'));
// Named .caxton, as a server started without --data-dir names it, for the CLI to find from below.
const dataDir = join(dir, '.caxton');
const env = { ...process.env, CAXTON_DATA_DIR: dataDir, CAXTON_TOKEN: '', CAXTON_SERVER: '' };
const caxton = (...args: string[]): Promise<CliRun> => runCli(args, env);

mkdirSync(join(dir, 'agents'));
copyFileSync(join(agentsDir, 'echo.wasm'), join(dir, 'agents', 'echo.wasm'));
const fleet = join(dir, 'fleet.yaml');
writeFileSync(fleet, `apiVersion: caxton.dev/v1
kind: Fleet
agents:
  - name: order-processor
    module: agents/echo.wasm
  - name: order-audit
    module: agents/echo.wasm
  - name: billing
    module: agents/echo.wasm
`);

let httpPort = 0;
t.before(async () => {
  const r = await caxton('server', 'start', '--detach', '--grpc-port', '0', '--http-port', '0', '--workers', '2', '--log-level', 'debug');
  if (r.code !== 0) throw new Error(`server start failed: ${r.stderr}`);
  httpPort = JSON.parse(readFileSync(join(dataDir, 'server.json'), 'utf8')).httpPort;
  const d = await caxton('deploy', '-f', fleet, '-o', 'json');
  if (d.code !== 0) throw new Error(`deploy failed: ${d.stderr}`);
});
t.teardown(() => stopDetachedServer(dataDir, env));

t.test('a mistyped command: did you mean the right one (exit 1)', async (t) => {
  for (const [typed, meant] of [
    [['agent', 'list'], 'agents list'],
    [['agents', 'lst'], 'agents list'],
    [['bnech'], 'bench'],
    [['--server', '127.0.0.1:1', 'agent', 'ls'], 'agents list'],
    [['dead-leters'], 'dead-letters'],
    [['server', 'stpo'], 'server stop'],
  ] as const) {
    const r = await caxton(...typed);
    t.equal(r.code, 1, `caxton ${typed.join(' ')} exits 1`);
    t.match(r.stderr, `Did you mean \`caxton ${meant}\`?`, `caxton ${typed.join(' ')}: did you mean ${meant}`);
  }
  const far = await caxton('frobnicate');
  t.equal(far.code, 1);
  t.notMatch(far.stderr, /Did you mean/, 'nothing close: no suggestion');
});

t.test('the command table behind the suggestions is the CLI\'s own', async (t) => {
  const help = await caxton('--help');
  t.equal(help.code, 0);
  const listed = [...help.stdout.matchAll(/^ {2}caxton ([a-z-]+)/gm)].map((m) => m[1]);
  t.same([...listed].sort(), Object.keys(COMMANDS).sort(), 'the same top-level commands as `caxton --help`');
  for (const [command, subs] of Object.entries(COMMANDS)) {
    if (subs.length === 0) continue;
    const h = await caxton(command, '--help');
    const listedSubs = [...h.stdout.matchAll(new RegExp(`^ {2}caxton ${command} ([a-z-]+)`, 'gm'))].map((m) => m[1]);
    t.same([...listedSubs].sort(), [...subs].sort(), `the subcommands of ${command}`);
  }
});

t.test('plain `caxton` prints the help and exits 0', async (t) => {
  const r = await caxton();
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /^caxton <command> \[options\]/, 'the usage line');
  t.match(r.stdout, /caxton agents/, 'the commands');
  t.equal(r.stderr, '');
});

t.test('an unknown agent: the closest deployed names, and hints in CLI terms', async (t) => {
  const get = await caxton('agents', 'get', 'order-procesor');
  t.equal(get.code, 3, get.stderr);
  t.match(get.stderr, 'AGENT_NOT_FOUND');
  t.match(get.stderr, 'Did you mean "order-processor"?');
  t.match(get.stderr, '`caxton agents list`');
  t.notMatch(get.stderr, 'runtime.', 'no JavaScript API in the hint');

  // Send and Invoke resolve names on the API thread: the same hint.
  const invoke = await caxton('invoke', 'order', '-c', '1');
  t.equal(invoke.code, 3, invoke.stderr);
  t.match(invoke.stderr, 'Did you mean "order-audit" or "order-processor"?');

  const remove = await caxton('agents', 'remove', 'biling');
  t.equal(remove.code, 3, remove.stderr);
  t.match(remove.stderr, 'Did you mean "billing"?');

  const far = await caxton('agents', 'get', 'zzzzzz');
  t.equal(far.code, 3);
  t.notMatch(far.stderr, 'Did you mean', 'nothing close: no suggestion');
  t.match(far.stderr, '`caxton agents list`');
});

t.test('REST callers get the suggestion in the error\'s hint', async (t) => {
  const token = readFileSync(join(dataDir, 'token'), 'utf8').trim();
  const res = await fetch(`http://127.0.0.1:${httpPort}/v1/agents/order-procesor`, { headers: { authorization: `Bearer ${token}` } });
  t.equal(res.status, 404);
  const body = await res.json() as { error?: { code: string; hint: string }; code?: string; hint?: string };
  const err = body.error ?? body;
  t.equal(err.code, 'AGENT_NOT_FOUND');
  t.match(err.hint, /^Did you mean "order-processor"\? List the deployed agents \(`caxton agents list`, AgentService\.List, GET \/v1\/agents\)/);
});

t.test('hints name CLI commands and API calls; the JavaScript API only as "embedded:"', async (t) => {
  const errors = [new AgentNotFoundError('a', ['b']), new AgentStoppedError('a'), new AgentStoppedError('a', 'failed', 'trapped')];
  for (const e of errors) {
    t.match(e.hint, /`caxton [a-z]/, `${e.code} (${e.message}): names a caxton command`);
    t.notMatch(e.hint.replace(/embedded: runtime\.\w+\(\w*\)/g, ''), /runtime\.\w+\(/, `${e.code}: no JavaScript call but as "embedded:"`);
  }
  const docs = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  t.notMatch(docs.replace(/embedded: `runtime\.\w+\(\w*\)`/g, ''), /`runtime\.(list|start)\(/, 'docs/errors.md: no runtime.list()/start() as the fix');
});

t.test('the CLI finds .caxton in a parent directory, as git finds .git', async (t) => {
  const below = join(dir, 'src', 'deep');
  mkdirSync(below, { recursive: true });
  const noDataDir: NodeJS.ProcessEnv = { ...env };
  delete noDataDir.CAXTON_DATA_DIR;
  const inBelow = (...args: string[]): Promise<CliRun> => new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { env: noDataDir, cwd: below, timeout: 60_000 }, (e, stdout, stderr) => {
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : -1) : 0, stdout, stderr, killed: !!e?.killed });
    });
  });
  const list = await inBelow('agents', 'list', '-o', 'json');
  t.equal(list.code, 0, `found the server and its token from ${below}: ${list.stderr}`);
  t.same(JSON.parse(list.stdout).map((a: { name: string }) => a.name).sort(), ['billing', 'order-audit', 'order-processor']);
  const status = await inBelow('server', 'status', '-o', 'json');
  t.equal(status.code, 0, status.stderr);
  t.equal(JSON.parse(status.stdout).server, `127.0.0.1:${JSON.parse(readFileSync(join(dataDir, 'server.json'), 'utf8')).grpcPort}`, 'the server named in the parent\'s .caxton/server.json');
});

t.test('server stop with nothing running succeeds and says so', async (t) => {
  // A data directory whose server died without cleaning up (kill -9): its server.json names a dead process and a closed port.
  const stale = mkdtempSync(join(tmpdir(), 'caxton-ux-stale-'));
  writeFileSync(join(stale, 'server.json'), JSON.stringify({ pid: 2 ** 22 + 1, host: '127.0.0.1', grpcPort: 1, startedAt: new Date().toISOString() }));
  const r = await runCli(['server', 'stop'], { ...env, CAXTON_DATA_DIR: stale });
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout, `no server running at 127.0.0.1:1 (data directory ${stale}): nothing to stop\n`);
  t.equal(r.stderr, '');
  const away = await caxton('server', 'stop', '--server', '127.0.0.1:1');
  t.equal(away.code, 0, away.stderr);
  t.match(away.stdout, /^no server running at 127\.0\.0\.1:1 .*nothing to stop\n$/);
});

t.test('--server naming the HTTP port says so, with the gRPC port', async (t) => {
  const grpcPort = JSON.parse(readFileSync(join(dataDir, 'server.json'), 'utf8')).grpcPort;
  for (const args of [['agents', 'list'], ['health'], ['logs']]) {
    const r = await caxton(...args, '--server', `127.0.0.1:${httpPort}`);
    t.equal(r.code, 2, `${args.join(' ')}: exit 2`);
    t.match(r.stderr, `caxton: SERVER_UNREACHABLE: 127.0.0.1:${httpPort} answers, but not in gRPC: it looks like an HTTP port`, args.join(' '));
    t.match(r.stderr, `its gRPC port is ${grpcPort}: use --server 127.0.0.1:${grpcPort}`, `${args.join(' ')}: the gRPC port`);
    t.notMatch(r.stderr, 'Protocol error', `${args.join(' ')}: no grpc-js detail`);
  }
  // Another machine's HTTP port: no server.json to name the gRPC port, the rule instead.
  const elsewhere = await runCli(['agents', 'list', '--server', `127.0.0.1:${httpPort}`], { ...env, CAXTON_DATA_DIR: join(dir, 'nowhere') });
  t.equal(elsewhere.code, 2);
  t.match(elsewhere.stderr, 'take the gRPC port: 50051 by default');
});

t.test('logs -o table: time, level, agent, conversation and message in columns', async (t) => {
  const invoke = await caxton('invoke', 'order-processor', '-c', '"x"', '--conversation', 'ux-log', '-o', 'json');
  t.equal(invoke.code, 0, invoke.stderr);
  // Lines about the message (debug level): the API thread's and the worker's, once both are written.
  const json = await waitUntil(() => caxton('logs', '--conversation', 'ux-log', '--agent', 'order-processor', '-o', 'json'),
    (j) => j.code === 0 && j.stdout.split('\n').filter((l) => l !== '').length >= 2, 'two log lines about the invoke');
  const lines = json.stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));
  const r = await caxton('logs', '--conversation', 'ux-log', '--agent', 'order-processor', '-o', 'table');
  t.equal(r.code, 0, r.stderr);
  const rows = r.stdout.split('\n').filter((l) => l !== '');
  t.match(rows[0], /^TIME\s+LEVEL\s+AGENT\s+CONVERSATION\s+MSG$/, 'the header');
  t.equal(rows.length, lines.length + 1, 'one row per line');
  for (const [i, l] of lines.entries()) {
    t.match(rows[i + 1], new RegExp(`^${new Date(l.time).toISOString().replace(/\./g, '\\.')}\\s+(info|debug|warn|error)\\s+order-processor\\s+ux-log\\s`), `row ${i + 1}: time, level, agent, conversation`);
    t.ok(rows[i + 1]!.endsWith(String(l.msg).replace(/\s+/g, ' ').trim().slice(0, 100)) || rows[i + 1]!.includes(String(l.msg).slice(0, 50)), `row ${i + 1}: the message`);
  }
  const none = await caxton('logs', '--agent', 'nobody-at-all', '-o', 'table');
  t.equal(none.code, 0, none.stderr);
  t.equal(none.stdout, 'no log lines match\n');
});

t.test('completion: agent names from the server, -o values, no options that do not apply', async (t) => {
  const complete = async (...words: string[]): Promise<string[]> => {
    const r = await runCli(['--get-yargs-completions', 'caxton', ...words], { ...env, SHELL: '/bin/bash' });
    t.equal(r.code, 0, `complete "${words.join(' ')}" exits 0`);
    t.equal(r.stderr, '', `complete "${words.join(' ')}": nothing on stderr`);
    return r.stdout.split('\n').filter((l) => l !== '').sort();
  };
  const all = ['billing', 'order-audit', 'order-processor'];
  t.same(await complete('agents', 'get', ''), all, 'agents get: the deployed agents');
  t.same(await complete('agents', 'remove', 'ord'), ['order-audit', 'order-processor'], 'agents remove ord: those starting so');
  t.same(await complete('invoke', ''), all, 'invoke: the agents');
  t.same(await complete('send', 'b'), ['billing'], 'send b');
  t.same(await complete('logs', '--agent', ''), all, 'logs --agent');
  t.same(await complete('dead-letters', '--from', 'bi'), ['billing'], 'dead-letters --from bi');
  t.same(await complete('agents', 'get', '', '--server', '127.0.0.1:1'), [], 'no server: quietly no names');
  const still = await caxton('agents', 'list', '-o', 'json');
  t.same(JSON.parse(still.stdout).map((a: { name: string }) => a.name).sort(), all, 'completing `agents remove ord` removed nothing');

  t.same(await complete('agents', 'list', '-o', ''), ['json', 'table', 'yaml'], 'agents list -o');
  t.same(await complete('logs', '-o', ''), ['json', 'pretty', 'table'], 'logs -o');
  t.same(await complete('dead-letters', '--output', ''), ['json', 'table'], 'dead-letters --output');

  t.same(await complete('completion', ''), [], 'completion takes nothing');
  const bench = await complete('bench', '');
  for (const bogus of ['--server', '--data-dir', '--version']) t.notOk(bench.includes(bogus), `bench: no ${bogus}`);
  t.ok(bench.includes('--scenario'), 'bench: its own options');
  const acl = await complete('acl', 'parse', '');
  t.notOk(acl.includes('--server'), 'acl parse: no --server');
  const start = await complete('server', 'start', '');
  t.notOk(start.includes('--server'), 'server start: no --server (it listens; --host, --grpc-port)');
  t.ok(start.includes('--data-dir'), 'server start: --data-dir');
  const list = await complete('agents', 'list', '-');
  t.notOk(list.includes('--version'), 'agents list: no --version');
  t.ok(list.includes('--server') && list.includes('--output'), 'agents list: --server and --output');
});
