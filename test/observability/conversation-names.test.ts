// Conversation ids are the user's strings everywhere (issue #16 item 9): a
// Send or an Invoke with --conversation order-10 is found under order-10 in
// every log line (the API thread's and each worker's), by logs --follow, in
// dead letters, in a StreamConversation over REST and in the invoke's output.
// A real server and the CLI as subprocesses. Before the fix the workers'
// lines carried the 16-hex-digit hash, so `logs --conversation order-10`
// found one line of four.
import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agentsDir, cli, runCli, stopDetachedServer, type CliRun } from '../helpers/cli.js';
import { waitUntil } from '../helpers/wait.js';
import { LINES_PER_SEND, writeFanOutFleet } from '../helpers/fan-out-fleet.js';
import { conversationKey } from '../../dist/runtime/fipa/acl/bridge.js';
import { NAME_MAX_BYTES } from '../../dist/bus/layout.js';

const dir = mkdtempSync(join(tmpdir(), 'caxton-conv-names-'));
const dataDir = join(dir, 'data');
const env = { ...process.env, CAXTON_DATA_DIR: dataDir, CAXTON_TOKEN: '', CAXTON_SERVER: '' };
const caxton = (...args: string[]): Promise<CliRun> => runCli(args, env);

async function ok(...args: string[]): Promise<string> {
  const r = await caxton(...args);
  if (r.code !== 0) throw new Error(`caxton ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

type Line = Record<string, any>;
const parseLines = (text: string): Line[] => text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line);
function logsUntil(args: string[], n: number): Promise<Line[]> {
  return waitUntil(async () => parseLines(await ok('logs', ...args, '-o', 'json')), (lines) => lines.length >= n,
    `${n} lines from caxton logs ${args.join(' ')}`, { intervalMs: 100 });
}

writeFanOutFleet(dir, agentsDir);
const send = (conversation: string): Promise<string> => ok('send', 'hub', '-p', 'request', '-c', '"x"', '--conversation', conversation);

t.before(async () => {
  const r = await caxton('server', 'start', '--detach', '--grpc-port', '0', '--http-port', '0', '--workers', '3', '--log-level', 'debug');
  if (r.code !== 0) throw new Error(`server start failed: ${r.stderr}`);
  await ok('deploy', '-f', join(dir, 'fleet.yaml'));
});
t.teardown(() => stopDetachedServer(dataDir, env));

t.test('every line of a conversation, on every thread, carries the id as given', async (t) => {
  const sent = await send('order-10');
  t.match(JSON.parse(sent), { conversationId: 'order-10' }, 'send names the conversation as given, not its hash');
  const lines = await logsUntil(['--conversation', 'order-10'], LINES_PER_SEND);
  t.equal(lines.length, LINES_PER_SEND, 'the API line and the three agents\' lines');
  for (const l of lines) t.equal(l.conversationId, 'order-10', `"${l.msg}" (${l.thread ?? `worker ${l.worker}`}) says order-10`);
  t.same(lines.filter((l) => l.msg === 'handled request').map((l) => l.worker).sort(), [1, 2, 3], 'handled on three workers');
  const byKey = parseLines(await ok('logs', '--conversation', conversationKey('order-10'), '-o', 'json'));
  t.equal(byKey.length, 0, 'no line was written under the hash');
  const other = parseLines(await ok('logs', '--conversation', 'order-1', '-o', 'json'));
  t.equal(other.length, 0, 'order-1 does not match order-10');
});

t.test('logs --follow shows the new lines of a conversation named by the user', async (t) => {
  const child = spawn(process.execPath, [cli, 'logs', '--follow', '--conversation', 'order-11', '-o', 'json'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => { out += c; });
  child.stderr.setEncoding('utf8').on('data', (c: string) => { err += c; });
  // The follower says on stderr when it has read the backlog and follows.
  await waitUntil(() => err, (e) => e.includes('following the log'), 'logs --follow to start following', { intervalMs: 50 });
  await send('order-11');
  const lines = await waitUntil(() => parseLines(out.slice(0, out.lastIndexOf('\n') + 1)), (l) => l.length >= LINES_PER_SEND, 'the four lines of order-11', { intervalMs: 50 });
  t.equal(lines.length, LINES_PER_SEND, 'all four lines came, live');
  t.ok(lines.every((l) => l.conversationId === 'order-11'), 'each says order-11');
});

t.test('invoke shows the conversation; a reply nobody waits for is dead-lettered under the id as given', async (t) => {
  const table = await ok('invoke', 'greeter', '-c', '"bob"', '--conversation', 'order-12', '-o', 'table');
  t.match(table, /\(conversation order-12\)/, 'the table names the conversation');
  const json = JSON.parse(await ok('invoke', 'greeter', '-c', '"bob"', '--conversation', 'order-12b', '-o', 'json')) as Line;
  t.equal(json.conversationId, 'order-12b', 'the JSON reply carries the id as given, not its hash');
  const fresh = JSON.parse(await ok('invoke', 'greeter', '-c', '"bob"', '-o', 'json')) as Line;
  t.match(fresh.conversationId, /^[0-9a-f]{16}$/, 'without one, the id the server made');
  t.equal((await logsUntil(['--conversation', fresh.conversationId], 2)).length >= 2, true, 'and the logs know it');

  // A Send gets no waiter: greeter's answer to the API is a NO_WAITER dead letter.
  await ok('send', 'greeter', '-p', 'request', '-c', '"ann"', '--conversation', 'order-13');
  const dead = await waitUntil(async () => parseLines(await ok('dead-letters', '--conversation', 'order-13', '-o', 'json')), (d) => d.length >= 1, 'the dead letter of order-13', { intervalMs: 100 });
  t.equal(dead[0]!.conversationId, 'order-13', 'the dead letter names the conversation as given');
  t.equal(dead[0]!.reason, 'NO_WAITER');
  const warn = await logsUntil(['--conversation', 'order-13', '--level', 'warn'], 1);
  t.match(warn[0], { msg: /dead letter/, conversationId: 'order-13' }, 'and so does its warning in the log');
});

t.test('StreamConversation over REST shows the id as given', async (t) => {
  const server = JSON.parse(readFileSync(join(dataDir, 'server.json'), 'utf8')) as { host: string; httpPort: number };
  const token = readFileSync(join(dataDir, 'token'), 'utf8').trim();
  const ac = new AbortController();
  t.teardown(() => ac.abort());
  const res = await fetch(`http://${server.host}:${server.httpPort}/v1/conversations/${encodeURIComponent('order 14/ü')}/stream`, {
    headers: { authorization: `Bearer ${token}` }, signal: ac.signal,
  });
  t.equal(res.status, 200);
  const reader = res.body!.getReader();
  const seen: Line[] = [];
  let buf = '';
  // The stream is open once its headers came; what is delivered from now on is in it.
  await send('order 14/ü');
  while (seen.length < 3) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += Buffer.from(value).toString('utf8');
    const parts = buf.split('\n');
    buf = parts.pop()!;
    for (const p of parts) if (p.trim()) seen.push(JSON.parse(p) as Line);
  }
  t.equal(seen.length, 3, 'hub, left and right each received it');
  for (const m of seen) t.equal(m.conversationId, 'order 14/ü', `the message to ${m.receiver} names the conversation as given`);
});

t.test('an id too long for the names table still works by filter, shown by its key', async (t) => {
  const long = `order-${'x'.repeat(NAME_MAX_BYTES)}`;
  const sent = await send(long);
  t.ok(sent.includes(long), 'send names it as given');
  const lines = await logsUntil(['--conversation', long], LINES_PER_SEND);
  t.equal(lines.length, LINES_PER_SEND, 'logs --conversation finds every line');
  t.ok(lines.some((l) => l.conversationId === long), 'the API thread, which had the string, wrote it');
  t.ok(lines.filter((l) => l.worker !== undefined).every((l) => l.conversationId === conversationKey(long)), 'the workers wrote the key (documented)');
});
