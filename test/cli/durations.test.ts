// Duration flags need a unit: a bare number (`--timeout 5`) once meant
// milliseconds without a word; now it is a usage error that says how to
// write it. A call whose deadline passes is DEADLINE_EXCEEDED naming what
// timed out and the flag to raise, not grpc-js's trace of its own wait
// (#16 item 12). The real CLI as a subprocess; the usage errors come before
// any connection, and the time-out comes from a listener that never answers.
import t from 'tap';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'caxton-durations-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
// Nothing listens on port 1: a flag that was accepted would end in SERVER_UNREACHABLE instead.
const env = { ...process.env, CAXTON_DATA_DIR: join(dir, 'data'), CAXTON_TOKEN: '', CAXTON_SERVER: '127.0.0.1:1' };

// Every duration flag of the CLI, with what else its command needs.
const FLAGS: { flag: string; args: string[] }[] = [
  { flag: '--timeout', args: ['invoke', 'echo', '--content', 'hi'] },
  { flag: '--since', args: ['logs'] },
  { flag: '--since', args: ['dead-letters'] },
  { flag: '--timeout', args: ['server', 'stop'] },
  { flag: '--ready-timeout', args: ['server', 'start', '--detach', '--grpc-port', '0', '--http-port', '0'] },
  { flag: '--deadline', args: ['task', 'contract-net', '--capability', 'x', '--content', '{}'] },
  { flag: '--result-timeout', args: ['task', 'contract-net', '--capability', 'x', '--content', '{}'] },
];

for (const { flag, args } of FLAGS) {
  t.test(`${args.slice(0, 2).join(' ')} ${flag} 5: a bare number is refused with the units to use`, async (t) => {
    const r = await runCli([...args, flag, '5'], env, 60_000);
    t.equal(r.code, 1, `exit 1 (usage): ${r.stderr}`);
    t.equal(r.stderr, `caxton: ${flag} 5: give a unit, e.g. 5s or 5000ms (units: ms, s, m, h)\nRun \`caxton --help\` for usage.\n`);
    const fraction = await runCli([...args, flag, '1.5'], env, 60_000);
    t.equal(fraction.code, 1);
    t.match(fraction.stderr, `${flag} 1.5: give a unit, e.g. 1.5s or 1500ms`);
    const word = await runCli([...args, flag, 'soon'], env, 60_000);
    t.equal(word.code, 1);
    t.match(word.stderr, `${flag} takes a duration like 500ms, 5s or 2m (units: ms, s, m, h), got "soon"`);
  });
}

t.test('a deadline that passes is DEADLINE_EXCEEDED: what timed out, after how long, and the flag to raise', async (t) => {
  // Accepts connections and never answers: the call can only end by its deadline.
  const mute = net.createServer(() => undefined);
  await new Promise<void>((resolve) => mute.listen(0, '127.0.0.1', () => resolve()));
  const sockets = new Set<net.Socket>();
  mute.on('connection', (s) => { sockets.add(s); });
  t.teardown(() => new Promise<void>((resolve) => {
    for (const s of sockets) s.destroy();
    mute.close(() => resolve());
  }));
  const target = `127.0.0.1:${(mute.address() as net.AddressInfo).port}`;
  const r = await runCli(['invoke', 'echo', '--content', 'hi', '--timeout', '300ms', '--server', target], env, 60_000);
  t.equal(r.code, 6, 'exit 6 (timed out)');
  t.match(r.stderr, new RegExp(`^caxton: DEADLINE_EXCEEDED: invoke echo: no answer from the server at ${target.replace(/\./g, '\\.')} within 300 ms \\(--timeout\\)\\n`));
  t.match(r.stderr, /\n {2}hint: Raise --timeout \(e\.g\. --timeout 1s\), or check that the agent answers \(caxton agents get echo, caxton dead-letters --agent echo\)\.\n$/);
  t.notMatch(r.stderr, /Deadline exceeded after|name resolution|LB pick|\n {4}at /, 'none of grpc-js\'s own wording, no stack');
});
