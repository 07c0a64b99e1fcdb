// `caxton … | head`: when the reader of the CLI's output goes away, the CLI
// stops quietly (exit 0, nothing on stderr) instead of dying with an EPIPE
// stack trace (#16 item 7). `caxton acl format` needs no server and writes
// only after its input ends, so the reader can be gone before it writes.
import t from 'tap';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from '../helpers/cli.js';
import { within } from '../helpers/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'caxton-epipe-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const env = { ...process.env, CAXTON_TOKEN: '', CAXTON_SERVER: '' };
// About 900 KB of output, far more than a pipe holds (64 KiB).
const receivers = Array.from({ length: 20_000 }, (_, i) => ({ name: `receiver-number-${i}` }));
const message = JSON.stringify({ performative: 'inform', receiver: receivers, content: 'x' });

t.test('the reader closed before the CLI writes: exit 0, no stack trace', async (t) => {
  const child = spawn(process.execPath, [cli, 'acl', 'format'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  const closed = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  child.stdout.destroy(); // our end of its stdout: every write the CLI makes now fails with EPIPE
  child.stdin.end(message);
  const code = await within(closed, 'the CLI exiting', { seen: () => stderr });
  t.equal(stderr, '', 'nothing on stderr');
  t.equal(code, 0, 'exit 0');
});

t.test('caxton acl format | head -c 10 (with pipefail): the CLI exits 0 and quietly', async (t) => {
  const input = join(dir, 'message.json');
  writeFileSync(input, message);
  const script = `set -o pipefail; "${process.execPath}" "${cli}" acl format < "${input}" | head -c 10`;
  const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile('bash', ['-c', script], { env, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0, stdout, stderr });
    });
  });
  t.equal(r.stdout, '(inform\n  ', 'head got its 10 bytes');
  t.equal(r.stderr, '', 'no EPIPE stack trace');
  t.equal(r.code, 0, 'the pipeline succeeds');
});
