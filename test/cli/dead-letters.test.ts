// `caxton dead-letters` as a subprocess against a real server it starts
// itself: an empty queue, HANDLER_FAILED and NO_WAITER letters made one at a
// time (each settled before the next, so their order is known), the table
// and NDJSON outputs, every filter, --limit applied after the filters (also
// when the matches are older than the first window the CLI fetches), a window
// larger than grpc-js's default 4 MiB message limit, bad flags, no token,
// no server.
import t from 'tap';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadCaxtonGrpc } from '../../dist/api/grpc.js';
import { conversationKey } from '../../dist/runtime/fipa/acl/bridge.js';
import { agentsDir, runCli, stopDetachedServer, type CliRun } from '../helpers/cli.js';
import { waitUntil } from '../helpers/wait.js';
import type { UnaryFn } from '../helpers/server.js';

const dir = mkdtempSync(join(tmpdir(), 'caxton-dead-letters-'));
const dataDir = join(dir, 'data');
const env = { ...process.env, CAXTON_DATA_DIR: dataDir, CAXTON_TOKEN: '', CAXTON_SERVER: '' };
const caxton = (...args: string[]): Promise<CliRun> => runCli(args, env);

/** `caxton dead-letters ...args -o json`, parsed line by line (it must exit 0). */
async function letters(...args: string[]): Promise<any[]> {
  const r = await caxton('dead-letters', ...args, '-o', 'json');
  if (r.code !== 0) throw new Error(`caxton dead-letters ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));
}

// lonely's handler fails on every "start" request (its peer is not deployed): one HANDLER_FAILED each.
// echo answers every message; the answer to a Send finds no waiter: one NO_WAITER each.
mkdirSync(join(dir, 'agents'));
for (const m of ['ping-pong', 'echo']) copyFileSync(join(agentsDir, `${m}.wasm`), join(dir, 'agents', `${m}.wasm`));
const fleet = join(dir, 'fleet.yaml');
writeFileSync(fleet, `apiVersion: caxton.dev/v1
kind: Fleet
agents:
  - name: lonely
    module: agents/ping-pong.wasm
    config: { peer: nobody, reportTo: nobody, rounds: 1 }
  - name: echo
    module: agents/echo.wasm
`);

type Client = grpc.Client & Record<string, UnaryFn>;
let management: Client;
let messages: Client;
let target = '';

function call<T = any>(client: Client, method: string, req: unknown): Promise<T> {
  const md = new grpc.Metadata();
  md.set('authorization', `Bearer ${readFileSync(join(dataDir, 'token'), 'utf8').trim()}`);
  return new Promise((resolve, reject) => {
    client[method]!.call(client, req, md, { deadline: Date.now() + 30_000 }, (e: unknown, v: T) => (e ? reject(e) : resolve(v)));
  });
}

/**
 * Wait until the server counts `n` dead letters and nothing is in flight, then
 * Drain (without shutdown), which returns once every counted dead letter's
 * record has reached the list (the count is on the bus, the records follow
 * by message port).
 */
async function settled(n: number): Promise<void> {
  await waitUntil(() => call(management, 'Stats', {}), (s: any) => s.deadLettered === n && s.inFlight === 0, `${n} dead letters counted, nothing in flight`);
  const d = await call(management, 'Drain', { timeoutMs: 20_000, shutdown: false });
  if (!d.drained) throw new Error(`not drained: ${JSON.stringify(d.stats)}`);
}

t.before(async () => {
  const r = await caxton('server', 'start', '--detach', '--grpc-port', '0', '--http-port', '0', '--workers', '2');
  if (r.code !== 0) throw new Error(`server start failed: ${r.stderr}`);
  const info = JSON.parse(readFileSync(join(dataDir, 'server.json'), 'utf8'));
  target = `127.0.0.1:${info.grpcPort}`;
  const v1 = loadCaxtonGrpc().caxton.v1;
  management = new v1.ManagementService(target, grpc.credentials.createInsecure()) as unknown as Client;
  messages = new v1.MessageService(target, grpc.credentials.createInsecure()) as unknown as Client;
  const d = await caxton('deploy', '-f', fleet, '-o', 'json');
  if (d.code !== 0) throw new Error(`deploy failed: ${d.stderr}`);
});
t.teardown(async () => {
  management?.close();
  messages?.close();
  await stopDetachedServer(dataDir, env);
});

t.test('an empty queue', async (t) => {
  const json = await caxton('dead-letters', '-o', 'json');
  t.equal(json.code, 0, json.stderr);
  t.equal(json.stdout, '', 'no lines');
  const table = await caxton('dead-letters', '-o', 'table');
  t.equal(table.code, 0, table.stderr);
  t.equal(table.stdout, 'no dead letters\n');
});

const HANDLER_FAILED_HINT = /^caxton_handle returned a negative code/;
const NO_WAITER_HINT = /^A message reached the API endpoint \(\$api\) but no call was waiting/;
const sent: string[] = [];

t.test('the letters made, with every field', async (t) => {
  // One at a time, each settled before the next: their order in the queue is the order here.
  const send = async (...args: string[]): Promise<string> => {
    const r = await caxton('send', ...args, '-o', 'json');
    if (r.code !== 0) throw new Error(`send failed: ${r.stderr}`);
    return JSON.parse(r.stdout).messageId;
  };
  sent.push(await send('lonely', '-p', 'request', '-c', 'start', '--conversation', 'order-1'));
  await settled(1);
  sent.push(await send('lonely', '-p', 'request', '-c', 'start', '--conversation', 'order-1'));
  await settled(2);
  sent.push(await send('lonely', '-p', 'request', '-c', 'start'));
  await settled(3);
  sent.push(await send('echo', '-c', '{"n":4}', '--conversation', 'order-2'));
  await settled(4);

  const all = await letters();
  t.equal(all.length, 4, 'exactly the four letters');
  const order1 = 'order-1';
  t.match(all[0], { reason: 'HANDLER_FAILED', agent: 'lonely', from: '$api', performative: 'request', messageId: sent[0], conversationId: order1, content: 'start', detail: 'caxton_handle returned -2', hint: HANDLER_FAILED_HINT });
  t.match(all[1], { reason: 'HANDLER_FAILED', agent: 'lonely', from: '$api', performative: 'request', messageId: sent[1], conversationId: order1, content: 'start' });
  t.match(all[2], { reason: 'HANDLER_FAILED', agent: 'lonely', from: '$api', performative: 'request', messageId: sent[2], conversationId: '', content: 'start' });
  t.match(all[3], { reason: 'NO_WAITER', agent: '$api', from: 'echo', performative: 'inform', conversationId: 'order-2', content: { n: 4 }, hint: NO_WAITER_HINT });
  t.notOk(sent.includes(all[3].messageId), "the NO_WAITER letter is echo's answer, not the message sent");
  t.same(all.map((d) => d.seq), [1, 2, 3, 4], 'oldest first');
  for (const d of all) {
    t.same(Object.keys(d).sort(), ['agent', 'at', 'content', 'conversationId', 'detail', 'from', 'hint', 'messageId', 'performative', 'reason', 'seq'], 'every field');
    t.ok(!Number.isNaN(Date.parse(d.at)) && /Z$/.test(d.at), `at is an ISO time (${d.at})`);
  }
  // The same letters as ListDeadLetters itself gives (content parsed, as REST shows it).
  const { deadLetters } = await call(management, 'ListDeadLetters', { limit: 100 });
  t.same(all, deadLetters.map(({ contentJson, ...d }: any) => ({ ...d, seq: Number(d.seq), content: JSON.parse(contentJson || 'null') })));
});

t.test('the table: one row each, each reason\'s hint once', async (t) => {
  const r = await caxton('dead-letters', '-o', 'table');
  t.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  t.match(lines[0], /^TIME +REASON +AGENT +FROM +PERFORMATIVE +CONVERSATION +DETAIL$/);
  t.match(lines[1], new RegExp(`^\\S+Z +HANDLER_FAILED +lonely +\\$api +request +order-1 +caxton_handle returned -2$`));
  t.match(lines[2], new RegExp(`^\\S+Z +HANDLER_FAILED +lonely +\\$api +request +order-1 +caxton_handle returned -2$`), 'the second letter of order-1');
  t.match(lines[3], /^\S+Z +HANDLER_FAILED +lonely +\$api +request +caxton_handle returned -2$/, 'no conversation: an empty cell');
  t.match(lines[4], new RegExp(`^\\S+Z +NO_WAITER +\\$api +echo +inform +order-2 +no call waits`));
  t.equal(lines[5], '', 'a blank line, then the hints');
  t.match(lines[6], /^HANDLER_FAILED +caxton_handle returned a negative code/);
  t.match(lines[7], /^NO_WAITER +A message reached the API endpoint/);
  t.equal(lines.length, 8, 'nothing more: everything was shown');
  const one = await caxton('dead-letters', '-o', 'table', '--limit', '1');
  t.match(one.stdout, /^TIME.*\n\S+Z +NO_WAITER .*\n\nNO_WAITER +A message.*\n\n\(the 1 most recent; older ones are kept: raise --limit to see them\)\n$/);
  t.notMatch(one.stdout, /HANDLER_FAILED/, 'only the hints of the rows shown');
  const none = await caxton('dead-letters', '-o', 'table', '--agent', 'echo');
  t.equal(none.stdout, 'no dead letters match\n');
});

t.test('filters', async (t) => {
  const seqs = async (...args: string[]): Promise<number[]> => (await letters(...args)).map((d) => d.seq);
  t.same(await seqs('--agent', 'lonely'), [1, 2, 3]);
  t.same(await seqs('--agent', '$api'), [4]);
  t.same(await seqs('--from', 'echo'), [4]);
  t.same(await seqs('--from', '$api'), [1, 2, 3]);
  t.same(await seqs('--reason', 'HANDLER_FAILED'), [1, 2, 3]);
  t.same(await seqs('--reason', 'no_waiter'), [4], 'reasons in any case');
  t.same(await seqs('--reason', 'NO_WAITER,HANDLER_FAILED'), [1, 2, 3, 4], 'several reasons');
  t.same(await seqs('--reason', 'AGENT_TRAPPED'), [], 'a known reason with no letters');
  t.same(await seqs('--conversation', 'order-1'), [1, 2], 'the string given to send');
  t.same(await seqs('--conversation', conversationKey('order-1')), [1, 2], 'or its 16 hex digits');
  t.same(await seqs('--conversation', 'order-2', '--agent', '$api', '--reason', 'NO_WAITER'), [4], 'filters combine');
  t.same(await seqs('--conversation', 'order-2', '--agent', 'lonely'), []);
  t.same(await seqs('--since', '1h'), [1, 2, 3, 4]);
});

t.test('--limit keeps the most recent, after the filters', async (t) => {
  const seqs = async (...args: string[]): Promise<number[]> => (await letters(...args)).map((d) => d.seq);
  t.same(await seqs('--limit', '2'), [3, 4], 'the two most recent, oldest first');
  t.same(await seqs('-n', '1'), [4]);
  t.same(await seqs('--limit', '1', '--agent', 'lonely'), [3], 'the most recent match, though it is not among the most recent letters');
  t.same(await seqs('--limit', '100000'), [1, 2, 3, 4]);
});

t.test('matches older than the first window fetched, and a window over 4 MiB', async (t) => {
  // 2,500 NO_WAITER letters of 2 KiB content each after the first four: about 6 MB of
  // letters, and lonely's three are older than the first 1,000 the CLI asks for.
  const bulk = 2500;
  const content = JSON.stringify('x'.repeat(2048));
  for (let i = 0; i < bulk; i += 100) {
    await Promise.all(Array.from({ length: Math.min(100, bulk - i) }, () => call(messages, 'Send', { agent: 'echo', performative: 'inform', contentJson: content })));
  }
  await settled(4 + bulk);
  const lonely = await letters('--agent', 'lonely');
  t.same(lonely.map((d) => d.seq), [1, 2, 3], 'found behind 2,500 newer letters');
  t.same((await letters('--agent', 'lonely', '--limit', '2')).map((d) => d.seq), [2, 3]);
  const newest = await letters('--limit', '3');
  t.same(newest.map((d) => d.seq), [bulk + 2, bulk + 3, bulk + 4]);
  const all = await letters('--reason', 'NO_WAITER', '--limit', '100000');
  t.equal(all.length, bulk + 1, 'every NO_WAITER letter, in one response larger than 4 MiB');
  t.same(all.map((d) => d.seq), Array.from({ length: bulk + 1 }, (_, i) => i + 4));
});

t.test('bad flags are usage errors', async (t) => {
  const bad: [string[], RegExp][] = [
    [['--limit', '0'], /--limit takes a whole number from 1 to 100000, got "0"/],
    [['--limit', '100001'], /--limit takes a whole number/],
    [['--limit', 'lots'], /--limit takes a whole number .*got "lots"/],
    [['--limit', '1.5'], /--limit takes a whole number/],
    [['--reason', 'EXPLODED'], /--reason: unknown dead-letter reason "EXPLODED" \(known: AGENT_TRAPPED, /],
    [['--reason', ','], /--reason needs at least one reason/],
    [['--agent', ''], /--agent needs a value/],
    [['--conversation', ''], /--conversation needs a value/],
    [['--since', 'soon'], /--since takes a duration/],
    [['-o', 'yaml'], /Invalid values:[\s\S]*output/],
    [['--colour'], /Unknown argument: colour/],
  ];
  for (const [args, message] of bad) {
    const r = await caxton('dead-letters', ...args);
    t.equal(r.code, 1, `${args.join(' ')}: exit 1`);
    t.match(r.stderr, message, args.join(' '));
    t.match(r.stderr, /Run `caxton --help` for usage/);
    t.equal(r.stdout, '');
  }
});

t.test('no token, a wrong token, no server', async (t) => {
  const noToken = await runCli(['dead-letters', '--server', target], { ...env, CAXTON_DATA_DIR: join(dir, 'elsewhere') });
  t.equal(noToken.code, 5);
  t.match(noToken.stderr, /^caxton: UNAUTHENTICATED: /);
  t.match(noToken.stderr, /hint: No token found: set \$CAXTON_TOKEN/);
  t.equal(noToken.stdout, '');
  const wrong = await runCli(['dead-letters'], { ...env, CAXTON_TOKEN: 'definitely-not-the-token' });
  t.equal(wrong.code, 5);
  t.match(wrong.stderr, /UNAUTHENTICATED/);
  const away = await caxton('dead-letters', '--server', '127.0.0.1:1');
  t.equal(away.code, 2);
  t.match(away.stderr, /^caxton: SERVER_UNREACHABLE: /);
});
