// `caxton logs` against a real server (the CLI as a subprocess both ways):
// a conversation across three agents on three workers gives exactly its own
// lines, each carrying its id; --follow shows messages sent after it started;
// the backlog and the live part meet with nothing missed or repeated, also
// across log-file rotation (the server rotates at 8 KiB here).
import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agentsDir, cli, runCli, stopDetachedServer, type CliRun } from '../helpers/cli.js';
import { waitUntil, within } from '../helpers/wait.js';
import { writeFanOutFleet } from '../helpers/fan-out-fleet.js';

const dir = mkdtempSync(join(tmpdir(), 'caxton-logs-'));
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

/** `caxton logs ARGS -o json`, again until it shows `n` lines or more (the log is written by another thread, a moment later). */
function logsUntil(args: string[], n: number): Promise<Line[]> {
  return waitUntil(async () => parseLines(await ok('logs', ...args, '-o', 'json')), (lines) => lines.length >= n,
    `${n} lines from caxton logs ${args.join(' ')}`, { intervalMs: 100 });
}

/** What one line is about, to compare sets of lines. */
const key = (l: Line): string => `${l.thread ?? 'worker'}|${l.agent}|${l.messageId ?? ''}|${l.msg}`;

writeFanOutFleet(dir, agentsDir);

const send = (conversation: string, content = 'x'): Promise<string> => ok('send', 'hub', '-p', 'request', '-c', JSON.stringify(content), '--conversation', conversation);
const linesPerSend = 4;

t.before(async () => {
  const r = await caxton('server', 'start', '--detach', '--grpc-port', '0', '--http-port', '0', '--workers', '3', '--log-level', 'debug', '--log-max-size', '8k');
  if (r.code !== 0) throw new Error(`server start failed: ${r.stderr}`);
  await ok('deploy', '-f', join(dir, 'fleet.yaml'));
});
t.teardown(() => stopDetachedServer(dataDir, env));

t.test('a conversation across three agents on three workers: exactly its lines, each with its id', async (t) => {
  const conv = 'c0ffee000000000a';
  await send(conv);
  await send('c0ffee000000000b'); // another conversation through the same agents
  await ok('invoke', 'greeter', '-c', '"bob"'); // and another one elsewhere
  const lines = await logsUntil(['--conversation', conv], linesPerSend);
  t.equal(lines.length, linesPerSend, 'one API line and one line per agent that handled it');
  for (const l of lines) {
    t.equal(l.conversationId, conv, `"${l.msg}" carries the conversation id`);
    t.match(l, { time: Number, level: 20, msg: String, messageId: /^[0-9a-f]{16}$/, agent: String, performative: 'request' });
  }
  t.same(lines.filter((l) => l.msg === 'handled request').map((l) => [l.agent, l.worker]).sort(), [['hub', 1], ['left', 2], ['right', 3]], 'handled on three workers');
  t.ok(lines.some((l) => l.thread === 'api' && l.agent === 'hub' && l.msg === 'sent request to hub'), 'the API thread\'s line about the Send');
  const other = await logsUntil(['--conversation', 'c0ffee000000000b'], linesPerSend);
  t.notOk(other.some((l) => lines.some((m) => key(m) === key(l))), 'no line belongs to both conversations');

  // The other filters, on the same log.
  const left = await logsUntil(['--agent', 'left'], 2);
  t.ok(left.every((l) => l.agent === 'left'), '--agent keeps one agent\'s lines');
  const info = parseLines(await ok('logs', '--level', 'info', '-o', 'json'));
  t.ok(info.length > 0 && info.every((l) => l.level >= 30), '--level info drops the debug lines');
  t.ok(info.some((l) => l.msg === 'caxton server ready'), 'and keeps the server\'s own');
  const recent = parseLines(await ok('logs', '--conversation', conv, '--since', '1h', '-o', 'json'));
  t.same(recent.map(key), lines.map(key), '--since 1h keeps everything written just now');
  const pretty = await ok('logs', '--conversation', conv, '-o', 'pretty');
  t.match(pretty, /handled request/, 'pretty output for people');
  t.notMatch(pretty, /^\{/m, 'pretty output is not JSON');
});

/**
 * `caxton logs --follow ARGS -o json` as a child, killed in `t`'s teardown
 * if still running; resolves once it says it follows.
 */
async function follow(t: Test, args: string[]): Promise<{ lines: Line[]; waitFor(n: number): Promise<void>; stop(): Promise<number | null> }> {
  const child = spawn(process.execPath, [cli, 'logs', '--follow', ...args, '-o', 'json'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  const lines: Line[] = [];
  let out = '';
  let waiting: { n: number; resolve: () => void } | undefined;
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    const parts = out.split('\n');
    out = parts.pop()!;
    for (const p of parts) if (p) lines.push(JSON.parse(p) as Line);
    if (waiting && lines.length >= waiting.n) waiting.resolve();
  });
  let err = '';
  await within(new Promise<void>((resolve, reject) => {
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      err += c;
      if (err.includes('following the log')) resolve();
    });
    void exited.then((code) => reject(new Error(`caxton logs --follow exited ${code}: ${err}`)));
  }), 'caxton logs --follow saying it follows', { seen: () => err });
  return {
    lines,
    waitFor: (n) => within(lines.length >= n ? Promise.resolve() : new Promise<void>((resolve) => { waiting = { n, resolve }; }),
      `${n} lines from caxton logs --follow ${args.join(' ')}`, { seen: () => `${lines.length} lines` }),
    stop: async () => {
      child.kill('SIGINT');
      return within(exited, 'caxton logs --follow to exit on SIGINT', { seen: () => err });
    },
  };
}

t.test('--follow shows a message sent after it started', async (t) => {
  const conv = 'c0ffee000000000c';
  const f = await follow(t, ['--conversation', conv]);
  t.equal(f.lines.length, 0, 'nothing yet: the conversation has not started');
  await send(conv);
  await f.waitFor(linesPerSend);
  t.equal(await f.stop(), 0, 'Ctrl-C ends it cleanly');
  t.equal(f.lines.length, linesPerSend);
  t.ok(f.lines.every((l) => l.conversationId === conv));
});

t.test('backlog then live, across rotation: nothing missed, nothing twice', async (t) => {
  const conv = 'c0ffee000000000d';
  // Enough lines before and after the follower starts to fill several 8 KiB files.
  const before = 6;
  const after = 12;
  for (let i = 0; i < before; i++) await send(conv, `before ${i}`);
  await logsUntil(['--conversation', conv], before * linesPerSend);
  const f = await follow(t, ['--conversation', conv]);
  for (let i = 0; i < after; i++) await send(conv, `after ${i}`);
  await f.waitFor((before + after) * linesPerSend);
  // Whatever else is still on its way would show up here too: everything has been sent.
  const all = await logsUntil(['--conversation', conv], (before + after) * linesPerSend);
  t.equal(await f.stop(), 0);
  const seen = f.lines.map(key);
  t.equal(new Set(seen).size, seen.length, 'no line twice');
  t.equal(f.lines.length, (before + after) * linesPerSend, 'every line of the conversation, old and new');
  t.same([...seen].sort(), all.map(key).sort(), 'the same lines as a plain read afterwards');
  const files = readdirSync(join(dataDir, 'logs')).filter((n) => /^caxton\.\d+\.log$/.test(n));
  t.ok(files.length > 1, `the log was rotated (${files.join(', ')})`);
});

t.test('a bad filter is a usage error with a clear message', async (t) => {
  const r = await caxton('logs', '--level', 'loud');
  t.equal(r.code, 1);
  t.match(r.stderr, /level/);
});
