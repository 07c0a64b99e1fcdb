// Agent ABI 2 (docs/agent-abi.md): a module that defines its own memory,
// imports WASI preview 1 and exports _initialize, as WASI toolchains make
// them (test/fixtures/wat/wasi-agent.wat), in a real runtime: _initialize
// runs first, stdout and stderr become the agent's log lines, the memory
// limit holds for a memory the module defined, no file can be opened,
// random_get fills, proc_exit ends only the call. The capability-free WASI
// functions one by one: test/runtime/wasi.test.ts.
import t, { type Test } from 'tap';
import { Runtime } from '../../dist/runtime/index.js';
import { example, fixture } from '../helpers/agents.js';
import { captureLog } from '../helpers/tool-host.js';
import { waitUntil } from '../helpers/wait.js';

type Line = { msg: string; level: number; agent?: string; conversationId?: string };

async function start(t: Test): Promise<{ rt: Runtime; lines: Line[] }> {
  const { lines, logger } = captureLog('debug');
  const rt = await Runtime.start({ workers: 2, logger });
  t.teardown(() => rt.shutdown(2000));
  return { rt, lines: lines as unknown as Line[] };
}

t.test('an ABI 2 module: _initialize first, stdout and stderr as log lines with the conversation id', async (t) => {
  const { rt, lines } = await start(t);
  // caxton_init fails unless _initialize ran before it
  await rt.deploy({ name: 'wasi', module: fixture('wasi-agent') });
  const r = await rt.request({ to: 'wasi', performative: 'request', content: 'hi!', conversationId: 'abcdef0123456789' });
  t.equal(r.performative, 'inform');
  t.equal(r.content, 'hi!');
  const out = await waitUntil(() => lines.filter((l) => l.agent === 'wasi'), (l) => l.length >= 2, 'the agent\'s two log lines');
  t.match(out.find((l) => l.msg === 'hello from wasi'), { level: 30, conversationId: 'abcdef0123456789' }, 'stdout: one line from two writes, at info');
  t.match(out.find((l) => l.msg === 'to stderr'), { level: 40, conversationId: 'abcdef0123456789' }, 'stderr at warn');
});

t.test('a memory the module defines is capped at the agent\'s limit', async (t) => {
  const { rt, lines } = await start(t);
  await rt.deploy({ name: 'small', module: fixture('wasi-agent'), memoryLimitBytes: 1 << 20 });
  t.equal((await rt.request({ to: 'small', performative: 'request', content: 'grow' })).content, 'grow');
  await waitUntil(() => lines.find((l) => l.agent === 'small' && l.msg.startsWith('grow')), Boolean, 'the grow result');
  t.ok(lines.some((l) => l.msg === 'grow refused'), 'memory.grow by 1000 pages past a 1 MiB limit returned -1');
  // and with room for it, the same module may grow
  await rt.deploy({ name: 'big', module: fixture('wasi-agent'), memoryLimitBytes: 128 << 20 });
  await rt.request({ to: 'big', performative: 'request', content: 'grow' });
  await waitUntil(() => lines.find((l) => l.agent === 'big' && l.msg.startsWith('grow')), Boolean, 'the grow result');
  t.ok(lines.some((l) => l.agent === 'big' && l.msg === 'grow allowed'));
});

t.test('no files: path_open answers EBADF; random_get fills', async (t) => {
  const { rt, lines } = await start(t);
  await rt.deploy({ name: 'wasi', module: fixture('wasi-agent') });
  await rt.request({ to: 'wasi', performative: 'request', content: 'open' });
  await waitUntil(() => lines.find((l) => l.msg.startsWith('path_open')), Boolean, 'the path_open result');
  t.ok(lines.some((l) => l.msg === 'path_open EBADF'));
  const a = (await rt.request({ to: 'wasi', performative: 'request', content: 'rand' })).content as Uint8Array;
  const b = (await rt.request({ to: 'wasi', performative: 'request', content: 'rand' })).content as Uint8Array;
  t.equal(a.length, 16);
  t.ok(a.some((x) => x !== 0) && Buffer.compare(Buffer.from(a), Buffer.from(b)) !== 0, 'random bytes, different each time');
});

t.test('proc_exit ends the call like a trap: the agent restarts, its neighbours keep serving', async (t) => {
  const { rt } = await start(t);
  await rt.deploy([
    { name: 'quitter', module: fixture('wasi-agent'), worker: 1 },
    { name: 'neighbour', module: example('counter'), worker: 1, config: { start: 10 } },
  ]);
  t.equal((await rt.request({ to: 'neighbour', performative: 'request', content: 1 })).content, 11);
  rt.send({ to: 'quitter', performative: 'request', content: 'exit' });
  t.equal((await rt.request({ to: 'quitter', performative: 'request', content: 'back' })).content, 'back', 'answers after its restart');
  t.equal((await rt.request({ to: 'neighbour', performative: 'request', content: 1 })).content, 12, 'the neighbour kept its state');
  await rt.waitIdle();
  const dl = rt.listDeadLetters();
  t.equal(dl.length, 1);
  t.match(dl[0], { reason: 'AGENT_TRAPPED', agent: 'quitter', content: 'exit', detail: /proc_exit\(3\)/ });
  t.equal(rt.get('quitter').restarts, 1);
});

t.test('refusals: ABI 2 features under ABI 1, a module without memory', async (t) => {
  const { rt } = await start(t);
  await t.rejects(rt.deploy({ name: 'says-1', module: fixture('wasi-says-abi1') }), {
    code: 'ABI_VERSION_MISMATCH', message: /imports wasi_snapshot_preview1, which needs agent ABI 2/, hint: /Return 2/,
    details: { found: 1, supported: 2, uses: 'imports wasi_snapshot_preview1' },
  });
  await t.rejects(rt.deploy({ name: 'no-memory', module: fixture('no-memory') }), { code: 'MEMORY_NOT_IMPORTED', message: /no memory/ });
  // ABI 1 modules run as before
  await rt.deploy({ name: 'echo', module: example('echo') });
  t.equal((await rt.request({ to: 'echo', performative: 'request', content: 'v1' })).content, 'v1');
});
