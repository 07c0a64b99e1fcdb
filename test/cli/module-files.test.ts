// A manifest's `module:` is read by the real CLI (`caxton deploy -f`) only
// when it is a regular file of at most the server's module limit, and a
// file that is not WebAssembly is refused without echoing its content
// (#16 item 7). No server is needed: the manifest is read before the CLI
// connects, so --server names a port where nothing listens.
import t, { type Test } from 'tap';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agentsDir, runCli, type CliRun } from '../helpers/cli.js';
import { MAX_MODULE_BYTES } from '../../dist/runtime/limits.js';

const dir = mkdtempSync(join(tmpdir(), 'caxton-module-files-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const env = { ...process.env, CAXTON_DATA_DIR: join(dir, 'data'), CAXTON_TOKEN: '', CAXTON_SERVER: '' };

let n = 0;
/** `caxton deploy -f` of a one-agent manifest whose module is `module`. Before the fix some of these never ended: 30 s at most. */
function deployModule(module: string): Promise<CliRun & { file: string }> {
  const file = join(dir, `fleet-${n++}.yaml`);
  writeFileSync(file, `apiVersion: caxton.dev/v1\nkind: Fleet\nagents:\n  - name: probe\n    module: ${JSON.stringify(module)}\n`);
  return runCli(['deploy', '-f', file, '--dry-run', '--server', '127.0.0.1:1'], env, 30_000).then((r) => ({ ...r, file }));
}

function refused(t: Test, r: CliRun & { file: string }, code: string, message: RegExp): void {
  t.notOk(r.killed, 'the CLI ended by itself');
  t.equal(r.code, 1, 'exit code 1 (validation)');
  t.match(r.stderr, new RegExp(`^caxton: ${code}: ${r.file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:5:5: `), `${code} at the module: key`);
  t.match(r.stderr, message);
  t.match(r.stderr, /\n {2}hint: \S/, 'with a hint');
  t.notMatch(r.stderr, /SERVER_UNREACHABLE|\n {4}at /, 'refused before connecting, no stack trace');
}

t.test('module: /dev/zero is refused before a byte is read (MODULE_FILE_UNREADABLE)', async (t) => {
  refused(t, await deployModule('/dev/zero'), 'MODULE_FILE_UNREADABLE', /the module file "\/dev\/zero" is a character device, not a regular file/);
});

t.test('module: a FIFO is refused without waiting for a writer', async (t) => {
  execFileSync('mkfifo', [join(dir, 'agent.fifo')]);
  refused(t, await deployModule('agent.fifo'), 'MODULE_FILE_UNREADABLE', /the module file "agent\.fifo" \(.*agent\.fifo\) is a named pipe \(FIFO\), not a regular file/);
});

t.test('module: a directory is refused', async (t) => {
  mkdirSync(join(dir, 'agents'));
  refused(t, await deployModule('agents'), 'MODULE_FILE_UNREADABLE', /is a directory, not a regular file/);
});

t.test('a module file larger than the server accepts is refused by its size, unread (MODULE_TOO_LARGE)', async (t) => {
  const big = join(dir, 'big.wasm');
  copyFileSync(join(agentsDir, 'echo.wasm'), big);
  truncateSync(big, MAX_MODULE_BYTES + 1); // sparse: no disk, no reading needed to know its size
  refused(t, await deployModule('big.wasm'), 'MODULE_TOO_LARGE', new RegExp(`the module is ${MAX_MODULE_BYTES + 1} bytes, more than the ${MAX_MODULE_BYTES} bytes`));
});

t.test('a file that is not WebAssembly is refused without showing any of its content (INVALID_WASM)', async (t) => {
  const secret = 'SECRET-k3y-do-not-print';
  writeFileSync(join(dir, 'id_key'), `${secret}\n`);
  const hex = (s: string): RegExp => new RegExp([...Buffer.from(s.slice(0, 4))].map((b) => b.toString(16).padStart(2, '0')).join('[ ,]*'), 'i');
  const r = await deployModule('id_key');
  refused(t, r, 'INVALID_WASM', /does not start with the 4 bytes "\\0asm"/);
  t.notMatch(r.stderr, /SECRET|k3y/, 'no text of the file');
  t.notMatch(r.stderr, hex(secret), 'nor its bytes in hex');

  const passwd = await deployModule('/etc/passwd');
  refused(t, passwd, 'INVALID_WASM', /\/etc\/passwd: agent "probe": the module is not valid WebAssembly/);
  t.notMatch(passwd.stderr, /root|72 6f 6f 74/, 'nothing of /etc/passwd');

  writeFileSync(join(dir, 'v2.wasm'), new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x02, 0x00, 0x00, 0x00]));
  refused(t, await deployModule('v2.wasm'), 'INVALID_WASM', /not a WebAssembly binary of version 1/);
  writeFileSync(join(dir, 'empty.wasm'), '');
  refused(t, await deployModule('empty.wasm'), 'INVALID_WASM', /the file is empty/);
});
