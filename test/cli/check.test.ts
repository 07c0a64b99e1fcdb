// `caxton check FILE.wasm` as a subprocess, without a server: deploy's checks
// and one start of the module, with the problem, the fix and exit code 4 for
// a module that would not deploy.
import t from 'tap';
import { fileURLToPath } from 'node:url';
import { runCli, agentsDir } from '../helpers/cli.js';

const fixtures = fileURLToPath(new URL('../../dist/fixtures/', import.meta.url));
const env = { ...process.env, CAXTON_SERVER: '127.0.0.1:1' }; // no server is asked: an unreachable address proves it

t.test('a good module: ok, its ABI, imports and exports', async (t) => {
  const r = await runCli(['check', `${agentsDir}echo.wasm`], env);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /^echo\.wasm: ok, agent ABI 1 or 2 .* KiB, memory at start 64 KiB\n {2}imports: .*caxton\.send.*\n {2}exports: caxton_abi_version, caxton_alloc, caxton_init, caxton_handle/);
  const j = await runCli(['check', `${fixtures}wasi-agent.wasm`, '-o', 'json'], env);
  t.equal(j.code, 0, j.stderr);
  const report = JSON.parse(j.stdout);
  t.match(report, { ok: true, abi: 2, abi2Uses: 'defines its own memory, imports wasi_snapshot_preview1, exports _initialize', memoryMinBytes: 65536 });
  t.notOk(report.imports.includes('env.memory'), 'the module\'s own imports, not the rewrite\'s');
  t.ok(report.imports.includes('wasi_snapshot_preview1.fd_write'));
});

t.test('a module that would not deploy: the code, the problem, the fix, exit 4', async (t) => {
  const cases: [string, string, RegExp, RegExp][] = [
    ['date-now', 'UNKNOWN_IMPORT', /imports function "env\.Date\.now"/, /now\(\) from the SDK/],
    ['bad-import', 'UNKNOWN_IMPORT', /caxton\.launch_missiles/, /docs\/agent-abi\.md/],
    ['wrong-abi', 'ABI_VERSION_MISMATCH', /returned 99/, /Rebuild/],
    ['wasi-says-abi1', 'ABI_VERSION_MISMATCH', /needs agent ABI 2/, /Return 2/],
    ['init-fails', 'AGENT_INIT_FAILED', /returned -7/, /./],
    ['no-memory', 'MEMORY_NOT_IMPORTED', /no memory/, /env\.memory/],
  ];
  for (const [file, code, message, hint] of cases) {
    const r = await runCli(['check', `${fixtures}${file}.wasm`], env);
    t.equal(r.code, 4, `${file}: exit 4`);
    t.match(r.stderr, new RegExp(`^${file}\\.wasm: ${code}: `), `${file}: ${code}`);
    t.match(r.stderr, message);
    t.match(r.stderr.split('\n  hint: ')[1], hint, `${file}: the hint`);
    t.notMatch(r.stderr, /agent "checked"/, 'no invented agent name in the message');
  }
  const big = await runCli(['check', `${agentsDir}echo.wasm`, '--memory-limit', '1000'], env);
  t.equal(big.code, 4);
  t.match(big.stderr, /INVALID_AGENT_SPEC: .*memoryLimitBytes/);
});

t.test('what is not a module', async (t) => {
  const missing = await runCli(['check', 'no/such/file.wasm'], env);
  t.equal(missing.code, 3);
  t.match(missing.stderr, /MODULE_FILE_NOT_FOUND: no\/such\/file\.wasm does not exist/);
  const text = await runCli(['check', fileURLToPath(import.meta.url)], env);
  t.equal(text.code, 4);
  t.match(text.stderr, /INVALID_WASM/);
  t.notMatch(text.stderr, /caxton check FILE/, 'the file\'s content is not echoed');
  const badConfig = await runCli(['check', `${agentsDir}echo.wasm`, '--config', '{nope'], env);
  t.equal(badConfig.code, 1);
  t.match(badConfig.stderr, /--config is not valid JSON/);
});
