// The agent test kit (caxton/testing) as an agent's author uses it: real
// runtime, real modules, waits with deadlines that fail saying why, the
// agents' log lines, a mailbox agents send to, and the virtual clock that
// fires timers without waiting for them.
import t from 'tap';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { TestKit, TestTimeoutError } from '../../dist/testing/index.js';

const agents = fileURLToPath(new URL('../../dist/agents/', import.meta.url));
const fixtures = fileURLToPath(new URL('../../dist/fixtures/', import.meta.url));

t.test('deploy from a path, request with a deadline, the agent\'s log lines', async (t) => {
  const kit = await TestKit.start();
  t.teardown(() => kit.stop());
  await kit.deploy('echo', `${agents}echo.wasm`);
  const r = await kit.request('echo', { hello: 'kit' });
  t.same(r.content, { hello: 'kit' });
  t.equal(r.performative, 'inform');
  await kit.deploy('wasi', `${fixtures}wasi-agent.wasm`);
  await kit.request('wasi', 'hi!', { conversationId: '00000000000000aa' });
  const line = await kit.waitForLog('wasi', 'hello from');
  t.match(line, { msg: 'hello from wasi', level: 30, conversationId: '00000000000000aa' });
  t.ok(kit.logs('wasi').some((l) => l.msg === 'to stderr'));
  await t.rejects(kit.deploy('broken', `${fixtures}bad-import.wasm`), { code: 'UNKNOWN_IMPORT' }, 'a deploy error as the server gives it');
});

t.test('a wait past its deadline says what it waited for', async (t) => {
  const kit = await TestKit.start();
  t.teardown(() => kit.stop());
  // the ticker ignores what it is sent: a request to it is never answered
  await kit.deploy('mute', `${agents}ticker.wasm`, { config: { count: 0 } });
  const err = await kit.request('mute', 'x', { within: 50 }).catch((e: unknown) => e);
  t.type(err, TestTimeoutError);
  t.match((err as Error).message, /no reply from "mute" within 50 ms to a request with content "x" \(the agent logged nothing\)/);
  const logErr = await kit.waitForLog('mute', /never/, { within: 30 }).catch((e: unknown) => e);
  t.match((logErr as Error).message, /no log line of "mute" matching \/never\/ within 30 ms/);
  const box = kit.mailbox('nobody-writes');
  await t.rejects(box.next({ within: 20 }), { code: 'TEST_TIMEOUT', message: /mailbox "nobody-writes": no matching message within 20 ms \(0 other/ });
});

t.test('the virtual clock fires timers when it is moved, not before, in order', async (t) => {
  const kit = await TestKit.start();
  t.teardown(() => kit.stop());
  const inbox = kit.mailbox('observer'); // before the deploy: the ticker looks it up at start
  const start = kit.clock.now();
  await kit.deploy('ticker', `${agents}ticker.wasm`, { config: { periodMs: 60_000, count: 3, reportTo: 'observer' } });
  await kit.clock.advance(59_999);
  t.equal(inbox.pending.length, 0, 'no tick a millisecond early');
  await kit.clock.advance(1);
  t.equal((await inbox.expect('inform')).content, 1, 'the first tick after exactly one minute');
  // one long step fires both remaining periods, each handler seeing its own due time
  await kit.clock.advance(120_000);
  t.equal((await inbox.next()).content, 2);
  t.equal((await inbox.next()).content, 3);
  await kit.clock.advance(10 * 60_000);
  t.equal(inbox.pending.length, 0, 'count: 3, then it stops');
  t.equal(kit.clock.now() - start, 59_999 + 1 + 120_000 + 10 * 60_000, 'the agents\' time moved only when told');
});

t.test('from node:test, importing caxton/testing by its package name', async (t) => {
  const file = fileURLToPath(new URL('../fixtures/testing/node-test.mjs', import.meta.url));
  const child = spawn(process.execPath, ['--test', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  t.equal(code, 0, out);
  t.match(out, /# pass 1/);
});
