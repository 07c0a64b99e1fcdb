// deploy_manifest, the MCP tool that applies a fleet manifest given as text,
// against a real server: over /mcp with the modules sent inline (keyed by
// the path as the manifest writes it), over `caxton mcp` with module files
// read from its working directory. Create, unchanged, update, dry run,
// prune's plan; an invalid manifest and a module the runtime would refuse
// change nothing. A manifest's tools: section (tool servers: the test
// fixture's MCP server over stdio, allowed by the server's operator policy
// as `--tool-command node` would) is planned and applied as `caxton deploy
// -f` applies it, with the same plan text. (A module path over /mcp that
// names a file of the server is in attacks.test.ts.)
import t from 'tap';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { example } from '../helpers/agents.js';
import { agentsDir, runCli } from '../helpers/cli.js';
import { httpSession, rpcError, stdioSession, type McpSession } from '../helpers/mcp.js';
import { startTestServer, stopTestServer, type TestServer } from '../helpers/server.js';

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');
const dir = mkdtempSync(join(tmpdir(), 'caxton-mcp-deploy-'));
copyFileSync(join(agentsDir, 'echo.wasm'), join(dir, 'echo.wasm'));
copyFileSync(join(agentsDir, 'counter.wasm'), join(dir, 'counter.wasm'));
writeFileSync(join(dir, 'not-wasm.wasm'), 'this is text, not a module\n');
copyFileSync(join(agentsDir, 'tool-proxy.wasm'), join(dir, 'tool-proxy.wasm'));
mkdirSync(join(dir, 'work'));
const node = process.execPath;
const fixture = fileURLToPath(new URL('../fixtures/mcp/tool-server.mjs', import.meta.url));

let s: TestServer;
let http: McpSession;
let stdio: McpSession;
t.before(async () => {
  // The operator's policy: stdio tool servers whose command is this node (`caxton server start --tool-command <node>`).
  s = await startTestServer({ runtime: { tools: { allowCommands: [node] } } });
  http = await httpSession(s.base, s.token);
  stdio = await stdioSession(s.target, s.token, dir);
});
t.teardown(async () => {
  await http?.close();
  await stdio?.close();
  await stopTestServer(s);
  rmSync(dir, { recursive: true, force: true });
});

const manifest = (agents: string): string => `apiVersion: caxton.dev/v1\nkind: Fleet\nagents:\n${agents}`;
const names = async (): Promise<string[]> => ((await s.call(s.agents, 'List', {})).agents as { name: string }[]).map((a) => a.name).sort();

t.test('over /mcp: modules inline, keyed by the path as written; apply, again, update, dry run, prune\'s plan', async (t) => {
  const modules = { './echo.wasm': b64(example('echo')), 'lib/counter.wasm': b64(example('counter')) };
  const fleet = manifest(`  - { name: h-echo, module: ./echo.wasm, capabilities: [say] }\n  - { name: h-counter, module: lib/counter.wasm, instances: 2 }\n`);
  const first = await http.call('deploy_manifest', { manifest: fleet, modules });
  t.notOk(first.isError, first.text);
  t.same(first.value.plan.map((p: any) => `${p.action} ${p.name}`), ['create h-echo', 'create h-counter-0', 'create h-counter-1']);
  t.same(first.value.applied, ['created h-echo', 'created h-counter-0', 'created h-counter-1']);
  t.same(first.value.rejected, []);
  t.same(await names(), ['h-counter-0', 'h-counter-1', 'h-echo']);
  t.match((await http.call('invoke_agent', { agent: 'h-counter-1', content: 2 })).value, { reply: { content: 2 } }, 'the deployed agents run');

  const again = await http.call('deploy_manifest', { manifest: fleet, modules });
  t.same(again.value.plan.map((p: any) => p.action), ['unchanged', 'unchanged', 'unchanged'], 'applying again changes nothing');
  t.same(again.value.applied, []);

  const changed = manifest(`  - { name: h-echo, module: ./echo.wasm, capabilities: [say], config: { v: 2 } }\n  - { name: h-counter, module: lib/counter.wasm, instances: 2 }\n`);
  const dry = await http.call('deploy_manifest', { manifest: changed, modules, dryRun: true, prune: true });
  t.match(dry.value, { dryRun: true, applied: [], plan: [{ action: 'update', name: 'h-echo', changes: ['config'] }, { action: 'unchanged' }, { action: 'unchanged' }] });
  t.equal((await http.call('get_agent', { name: 'h-echo' })).value.config, null, 'a dry run changes nothing');
  const update = await http.call('deploy_manifest', { manifest: changed, modules });
  t.same(update.value.applied, ['updated h-echo']);
  t.same((await http.call('get_agent', { name: 'h-echo' })).value.config, { v: 2 });
});

t.test('over caxton mcp: module paths from its working directory, or inline', async (t) => {
  const r = await stdio.call('deploy_manifest', { manifest: manifest(`  - { name: s-echo, module: echo.wasm }\n  - { name: s-counter, module: other/counter.wasm }\n`), modules: { 'other/counter.wasm': b64(example('counter')) } });
  t.notOk(r.isError, r.text);
  t.same(r.value.applied, ['created s-echo', 'created s-counter']);
  t.match((await stdio.call('invoke_agent', { agent: 's-echo', content: 'x' })).value, { reply: { content: 'x', sender: 's-echo' } });
  const missing = await stdio.call('deploy_manifest', { manifest: manifest('  - { name: s-ghost, module: ghost.wasm }\n') });
  t.ok(missing.isError);
  t.match(missing.value.error, { code: 'MODULE_FILE_NOT_FOUND', message: `manifest:4:22: the module file "ghost.wasm" (${join(dir, 'ghost.wasm')}) does not exist` });
});

t.test('what would be refused changes nothing: an invalid manifest, a module that is not WebAssembly', async (t) => {
  const before = await names();
  for (const mcp of [http, stdio]) {
    const bad = await mcp.call('deploy_manifest', { manifest: 'apiVersion: caxton.dev/v1\nkind: Fleet\nagents:\n  - { name: x, modul: echo.wasm }\n' });
    t.ok(bad.isError);
    t.match(bad.value.error, { code: 'INVALID_MANIFEST', message: /^manifest:4:\d+: .*"modul"/m, hint: /docs\/manifest\.md/ });
    const notWasm = await mcp.call('deploy_manifest', {
      manifest: manifest('  - { name: ok-one, module: echo.wasm }\n  - { name: broken, module: not-wasm.wasm }\n'),
      modules: { 'echo.wasm': b64(example('echo')), 'not-wasm.wasm': b64(Buffer.from('this is text, not a module\n')) },
    });
    t.ok(notWasm.isError, `${mcp.via}: isError`);
    t.match(notWasm.value, { applied: [], rejected: [{ name: 'broken', action: 'create', code: 'INVALID_WASM', hint: /core WebAssembly module/ }] });
    t.match(notWasm.text, /^DEPLOY_FAILED: 1 agent\(s\) refused; nothing was changed\nagent "broken" \(create\): INVALID_WASM/);
  }
  t.same(await names(), before, 'no agent was deployed or removed');
});

t.test('the deploy tool\'s arguments are checked like any tool\'s', async (t) => {
  const notB64 = await rpcError(http.client.callTool({ name: 'deploy_manifest', arguments: { manifest: 'x', modules: { 'a.wasm': 'not base64!' } } }));
  t.match(notB64, { code: -32602, message: /modules\.a\.wasm: is not base64/, data: { code: 'INVALID_ARGUMENT' } });
  const noManifest = await rpcError(stdio.client.callTool({ name: 'deploy_manifest', arguments: { prune: true } }));
  t.match(noManifest, { code: -32602, message: /manifest: is required/ });
});

// ---- tool servers: the last tests here, since their prune removes every agent the earlier ones deployed ----

const q = (x: string): string => JSON.stringify(x);
/** A manifest with a tools: section (`tools`: its entries as YAML, '' for `tools: []`) and the agents as YAML. */
const withTools = (tools: string, agents: string): string =>
  `apiVersion: caxton.dev/v1\nkind: Fleet\ntools:${tools ? `\n${tools}` : ' []\n'}agents:\n${agents}`;
const FX = (extra: string[] = []) => `  - name: fx\n    stdio:\n      command: ${q(node)}\n      args: [${[fixture, ...extra].map(q).join(', ')}]\n`;
const PROXY = '  - name: tp\n    module: tool-proxy.wasm\n    tools: [fx/add]\n';
const proxyModules = { 'tool-proxy.wasm': b64(example('tool-proxy')) };
const toolServers = async (): Promise<any[]> => (await s.http('GET', '/v1/tools')).body.servers;
const steps = (o: any): string[] => o.plan.map((p: any) => `${p.kind} ${p.action} ${p.name}${p.changes ? ` (${p.changes.join(', ')})` : ''}`);

/** `caxton deploy -f` of the same manifest, against the same server: its exit code and output. */
async function cliDeploy(text: string, ...flags: string[]) {
  const file = join(dir, 'cli-fleet.yaml');
  writeFileSync(file, text);
  const env = { ...process.env, CAXTON_TOKEN: s.token, CAXTON_SERVER: s.target, CAXTON_DATA_DIR: join(dir, 'no-data') };
  return runCli(['deploy', '-f', file, ...flags], env);
}

t.test('over /mcp, a tools: section: the tool server is put before the agents, as caxton deploy -f does', async (t) => {
  const fleet = withTools(FX(), PROXY);
  const dry = await http.call('deploy_manifest', { manifest: fleet, modules: proxyModules, dryRun: true });
  t.notOk(dry.isError, dry.text);
  t.same(steps(dry.value), ['toolServer create fx', 'agent create tp']);
  t.same(await toolServers(), [], 'a dry run puts no tool server');
  const cli = await cliDeploy(fleet, '--dry-run', '-o', 'table');
  t.equal(cli.code, 0, cli.stderr);
  t.equal(cli.stdout, `${dry.value.planText}\n`, 'the same plan text as the CLI');
  t.equal(dry.value.planText, '  + create    tool server fx\n  + create    tp\n' +
    'plan: 1 to create, 0 to update, 0 unchanged, 0 to remove; tool servers: 1 to create, 0 to update, 0 unchanged, 0 to remove');

  const first = await http.call('deploy_manifest', { manifest: fleet, modules: proxyModules });
  t.notOk(first.isError, first.text);
  t.same(first.value.applied, ['created tool server fx', 'created tp'], 'the tool server first');
  t.same(first.value.rejected, []);
  t.notOk(first.value.toolServersDown, 'no tool server is down');
  t.notOk(first.value.warnings, 'no warning: fx has add');
  const servers = await toolServers();
  t.equal(servers.length, 1);
  t.match(servers[0], { name: 'fx', transport: 'stdio', state: 'ready', spec: { name: 'fx', stdio: { command: node, args: [fixture] } } });
  t.ok(servers[0].tools.some((x: { name: string }) => x.name === 'add'), 'its tools are listed');
  t.same((await http.call('get_agent', { name: 'tp' })).value.tools, ['fx/add'], 'the agent got its allow-list');
  const call = await http.call('invoke_agent', { agent: 'tp', content: { tool: 'fx/add', arguments: { a: 2, b: 3 } } });
  t.match(call.value.reply, { performative: 'inform', content: { isError: false, structuredContent: { sum: 5 } } }, 'the agent calls the tool');

  const again = await http.call('deploy_manifest', { manifest: fleet, modules: proxyModules });
  t.same(steps(again.value), ['toolServer unchanged fx', 'agent unchanged tp'], 'deploying again changes nothing');
  t.same(again.value.applied, []);
  const cliAgain = await cliDeploy(fleet, '-o', 'json');
  t.same(JSON.parse(cliAgain.stdout).plan, again.value.plan, 'the CLI plans the same');
});

t.test('over /mcp, a changed tool server entry: the dry run changes nothing, the apply updates it', async (t) => {
  const changed = withTools(FX(['--name', 'fx-two']), PROXY);
  const dry = await http.call('deploy_manifest', { manifest: changed, modules: proxyModules, dryRun: true });
  t.same(steps(dry.value), ['toolServer update fx (args)', 'agent unchanged tp']);
  t.same(dry.value.applied, []);
  t.same((await toolServers())[0].spec.stdio.args, [fixture], 'a dry run changes nothing');
  const cli = await cliDeploy(changed, '--dry-run', '-o', 'table');
  t.equal(cli.stdout, `${dry.value.planText}\n`, 'the same plan text as the CLI');
  t.match(dry.value.planText, /^ {2}~ update {4}tool server fx {2}\(args\)\n {2}= unchanged tp\n/);

  const update = await http.call('deploy_manifest', { manifest: changed, modules: proxyModules });
  t.notOk(update.isError, update.text);
  t.same(update.value.applied, ['updated tool server fx']);
  t.match(await toolServers(), [{ name: 'fx', state: 'ready', spec: { stdio: { args: [fixture, '--name', 'fx-two'] } } }]);
  const call = await http.call('invoke_agent', { agent: 'tp', content: { tool: 'fx/add', arguments: { a: 1, b: 1 } } });
  t.match(call.value.reply, { performative: 'inform', content: { structuredContent: { sum: 2 } } }, 'the new tool server answers');
});

t.test('a tool server the operator does not allow is refused; the agents are left as they are', async (t) => {
  const fleet = withTools(`${FX(['--name', 'fx-two'])}  - name: shell\n    stdio: { command: sh, args: [-c, "true"] }\n`,
    `${PROXY}  - name: late\n    module: tool-proxy.wasm\n    tools: [shell/*]\n`);
  const r = await http.call('deploy_manifest', { manifest: fleet, modules: proxyModules });
  t.ok(r.isError);
  t.match(r.value, {
    applied: [], notTried: ['late'], notTriedWhy: /a tool server was refused/,
    rejected: [{ kind: 'toolServer', name: 'shell', action: 'create', code: 'TOOL_SERVER_NOT_ALLOWED', hint: /--tool-command/ }],
  });
  t.match(r.text, /^DEPLOY_FAILED: 1 tool server\(s\) refused; nothing was changed; not tried \(a tool server was refused, so the agents were left as they are\): late\ntool server "shell" \(create\): TOOL_SERVER_NOT_ALLOWED/);
  t.same((await toolServers()).map((x) => x.name), ['fx'], 'nothing was started');
  t.notOk((await names()).includes('late'), 'late was not deployed');
});

t.test('a tool server that cannot start is reported down; the deploy goes on', async (t) => {
  const fleet = withTools(`${FX(['--name', 'fx-two'])}  - name: broken\n    stdio:\n      command: ${q(node)}\n      args: [${q(fixture)}, --crash-at-start]\n`, PROXY);
  const r = await http.call('deploy_manifest', { manifest: fleet, modules: proxyModules });
  t.notOk(r.isError, r.text);
  t.same(r.value.applied, ['created tool server broken']);
  t.match(r.value.toolServersDown, [{ name: 'broken', lastError: /\S/ }]);
  t.match((await toolServers()).find((x) => x.name === 'broken'), { lastError: /\S/ }, 'the server keeps it, retrying');
});

t.test('over caxton mcp, a relative cwd is from its working directory; over /mcp a manifest has no directory', async (t) => {
  const fleet = withTools(`${FX(['--name', 'fx-two'])}  - name: here\n    stdio:\n      command: ${q(node)}\n      args: [${q(fixture)}]\n      cwd: work\n`, PROXY);
  const viaHttp = await http.call('deploy_manifest', { manifest: fleet, modules: proxyModules, dryRun: true });
  t.ok(viaHttp.isError);
  t.match(viaHttp.value.error, { code: 'INVALID_MANIFEST', message: /^manifest:\d+:\d+: tools\[1\]\.stdio\.cwd "work" is a relative path, but this manifest was sent without a directory/m });
  const viaStdio = await stdio.call('deploy_manifest', { manifest: fleet, modules: proxyModules });
  t.notOk(viaStdio.isError, viaStdio.text);
  t.same(viaStdio.value.applied, ['created tool server here'], 'without prune, broken stays');
  t.match((await toolServers()).find((x) => x.name === 'here'), { state: 'ready', spec: { stdio: { cwd: join(dir, 'work') } } });
});

t.test('prune removes the tool servers a tools: section does not declare, after the agents; the dry run first changes nothing', async (t) => {
  const fleet = withTools('', '  - name: tp\n    module: tool-proxy.wasm\n');
  const before = await names();
  const dry = await stdio.call('deploy_manifest', { manifest: fleet, modules: proxyModules, prune: true, dryRun: true });
  t.notOk(dry.isError, dry.text);
  const others = before.filter((n) => n !== 'tp');
  const plan = steps(dry.value);
  t.equal(plan[0], 'agent update tp (tools)');
  t.same(plan.slice(1, -3).sort(), others.map((n) => `agent remove ${n}`), 'every other agent removed');
  t.same(plan.slice(-3), ['toolServer remove broken', 'toolServer remove fx', 'toolServer remove here'], 'the tool servers last');
  t.same((await toolServers()).map((x) => x.name), ['broken', 'fx', 'here'], 'a dry run removes nothing');
  t.same(await names(), before);
  const cli = await cliDeploy(fleet, '--prune', '--dry-run', '-o', 'table');
  t.equal(cli.stdout, `${dry.value.planText}\n`, 'the same plan text as the CLI');

  const r = await http.call('deploy_manifest', { manifest: fleet, modules: proxyModules, prune: true });
  t.notOk(r.isError, r.text);
  t.same(r.value.applied, ['updated tp', ...plan.slice(1, -3).map((x) => `removed ${x.slice('agent remove '.length)}`), 'removed tool server broken', 'removed tool server fx', 'removed tool server here'],
    'in the plan\'s order: the tool servers after the agents');
  t.same(await toolServers(), [], 'GET /v1/tools: none left');
  t.same(await names(), ['tp']);
  const none = await http.call('deploy_manifest', { manifest: fleet, modules: proxyModules, prune: true });
  t.same(steps(none.value), ['agent unchanged tp']);
});
