// `caxton server start` on a port another server holds, in the foreground and
// with --detach: the same exit code (7) and the same one-line PORT_IN_USE
// error naming the port, with a hint, and no grpc-js log lines; and
// `start --detach` prints the log file the server really writes
// (#16 item 11). Real servers, the real CLI.
import t, { type Test } from 'tap';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, stopDetachedServer, type CliRun } from '../helpers/cli.js';
import { waitUntil } from '../helpers/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'caxton-port-in-use-'));
const first = join(dir, 'first');
const env = { ...process.env, CAXTON_TOKEN: '', CAXTON_SERVER: '', CAXTON_DATA_DIR: '' };
let ports: { grpcPort: number; httpPort: number };
let started: CliRun;

t.before(async () => {
  started = await runCli(['server', 'start', '--detach', '--data-dir', first, '--grpc-port', '0', '--http-port', '0', '--workers', '1'], env);
  if (started.code !== 0) throw new Error(`server start failed: ${started.stderr}`);
  ports = JSON.parse(readFileSync(join(first, 'server.json'), 'utf8'));
});
t.teardown(async () => {
  await stopDetachedServer(first, { ...env, CAXTON_DATA_DIR: first });
  rmSync(dir, { recursive: true, force: true });
});

t.test('start --detach prints the log file the server writes', async (t) => {
  const m = /; logs: (\S+)\n$/.exec(started.stdout);
  t.ok(m, `the logs: path is printed: ${started.stdout}`);
  const file = m![1]!;
  t.match(file, new RegExp(`^${first.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/logs/caxton\\.\\d+\\.log$`), 'a file in <data-dir>/logs/');
  // Written by pino's thread, so it may lag the ready line a little.
  await waitUntil(() => (existsSync(file) ? readFileSync(file, 'utf8') : ''), (text) => text.includes('caxton server ready'), `"caxton server ready" in ${file}`);
  t.pass('the server\'s log lines are in that file');
});

const noNoise = (t: Test, r: CliRun): void => {
  t.notMatch(r.stderr, /No address added|EADDRINUSE|^E /m, 'no grpc-js log line or raw error');
  t.equal(r.stderr.split('\n').filter(Boolean).length, 2, `one error and its hint: ${r.stderr}`);
};

for (const detach of [false, true]) {
  const how = detach ? 'with --detach' : 'in the foreground';
  t.test(`a gRPC port in use, ${how}: exit 7, PORT_IN_USE naming the port, a hint`, async (t) => {
    const data = join(dir, `grpc-${detach}`);
    const r = await runCli(['server', 'start', ...(detach ? ['--detach'] : []), '--data-dir', data, '--grpc-port', String(ports.grpcPort), '--http-port', '0', '--workers', '1'], env, 60_000);
    t.notOk(r.killed, 'it ended by itself');
    t.equal(r.code, 7, 'exit 7 (conflict), as docs/errors.md says');
    t.match(r.stderr, new RegExp(`^caxton: PORT_IN_USE: cannot listen on 127\\.0\\.0\\.1:${ports.grpcPort}, the gRPC port: another process is using it\\n`));
    t.match(r.stderr, /\n {2}hint: Another Caxton server may be running there: stop it with `caxton server stop`.*--grpc-port/);
    noNoise(t, r);
  });
  t.test(`an HTTP port in use, ${how}: the same, naming the HTTP port`, async (t) => {
    const data = join(dir, `http-${detach}`);
    const r = await runCli(['server', 'start', ...(detach ? ['--detach'] : []), '--data-dir', data, '--grpc-port', '0', '--http-port', String(ports.httpPort), '--workers', '1'], env, 60_000);
    t.notOk(r.killed, 'it ended by itself');
    t.equal(r.code, 7);
    t.match(r.stderr, new RegExp(`^caxton: PORT_IN_USE: cannot listen on 127\\.0\\.0\\.1:${ports.httpPort}, the HTTP port: another process is using it\\n`));
    t.match(r.stderr, /\n {2}hint: .*--http-port/);
    noNoise(t, r);
  });
}
