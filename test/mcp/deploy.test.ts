// deploy_manifest, the MCP tool that applies a fleet manifest given as text,
// against a real server: over /mcp with the modules sent inline (keyed by
// the path as the manifest writes it), over `caxton mcp` with module files
// read from its working directory. Create, unchanged, update, dry run,
// prune's plan; an invalid manifest and a module the runtime would refuse
// change nothing. (A module path over /mcp that names a file of the server
// is in attacks.test.ts.)
import t from 'tap';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { example } from '../helpers/agents.js';
import { agentsDir } from '../helpers/cli.js';
import { httpSession, rpcError, stdioSession, type McpSession } from '../helpers/mcp.js';
import { startTestServer, stopTestServer, type TestServer } from '../helpers/server.js';

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');
const dir = mkdtempSync(join(tmpdir(), 'caxton-mcp-deploy-'));
copyFileSync(join(agentsDir, 'echo.wasm'), join(dir, 'echo.wasm'));
copyFileSync(join(agentsDir, 'counter.wasm'), join(dir, 'counter.wasm'));
writeFileSync(join(dir, 'not-wasm.wasm'), 'this is text, not a module\n');

let s: TestServer;
let http: McpSession;
let stdio: McpSession;
t.before(async () => {
  s = await startTestServer();
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
