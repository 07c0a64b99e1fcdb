// Deploy-time validation: every refusal names the problem and the fix, and
// the server keeps serving afterwards.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { Runtime, type DecodedFrame } from '../../dist/runtime/index.js';
import { silentLogger } from '../../dist/runtime/observability/logger.js';
import { example, fixture } from '../helpers/agents.js';
import { waitUntil } from '../helpers/wait.js';

t.test('bad modules are refused with a clear error', async (t) => {
  const rt = await Runtime.start({ workers: 2, logger: silentLogger() });
  t.teardown(() => rt.shutdown(2000));

  const notWasm = readFileSync(new URL('../fixtures/not-wasm.wasm.txt', import.meta.url));
  await t.rejects(rt.deploy({ name: 'text', module: notWasm }), { code: 'INVALID_WASM', message: /"text".*not valid WebAssembly.*magic/ });

  const truncated = example('echo').subarray(0, 60);
  await t.rejects(rt.deploy({ name: 'cut', module: truncated }), { code: 'INVALID_WASM', hint: /npm run build:agents/ });

  await t.rejects(rt.deploy({ name: 'bad-import', module: fixture('bad-import') }), {
    code: 'UNKNOWN_IMPORT', message: /caxton\.launch_missiles/, details: { module: 'caxton', name: 'launch_missiles' },
  });
  await t.rejects(rt.deploy({ name: 'no-handle', module: fixture('no-handle') }), { code: 'MISSING_EXPORT', message: /caxton_handle/ });
  await t.rejects(rt.deploy({ name: 'no-memory', module: fixture('no-memory') }), { code: 'MEMORY_NOT_IMPORTED', message: /no memory/, hint: /--importMemory/ });
  await t.rejects(rt.deploy({ name: 'wrong-abi', module: fixture('wrong-abi') }), { code: 'ABI_VERSION_MISMATCH', details: { found: 99, supported: 2 } });
  await t.rejects(rt.deploy({ name: 'init-fails', module: fixture('init-fails') }), { code: 'AGENT_INIT_FAILED', message: /returned -7/ });
  t.throws(() => rt.get('init-fails'), { code: 'AGENT_NOT_FOUND' }, 'an agent whose init failed is not registered');

  await t.rejects(rt.deploy({ name: 'bad name!', module: example('echo') }), { code: 'INVALID_AGENT_SPEC', details: { field: 'name' } });
  await t.rejects(rt.deploy({ name: 'tiny', module: example('echo'), memoryLimitBytes: 1000 }), { code: 'INVALID_AGENT_SPEC', details: { field: 'memoryLimitBytes' } });
  await t.rejects(rt.deploy({ name: 'pinned', module: example('echo'), worker: 9 }), { code: 'INVALID_AGENT_SPEC', details: { field: 'worker' } });
  // one bad spec in a batch: nothing of the batch is deployed
  await t.rejects(rt.deploy([{ name: 'good-1', module: example('echo') }, { name: 'bad-2', module: notWasm }]), { code: 'INVALID_WASM' });
  t.same(rt.list(), [], 'nothing was deployed');

  t.throws(() => rt.send({ to: 'nobody', performative: 'inform', content: 1 }), { code: 'AGENT_NOT_FOUND', hint: /deploy/ });
  t.throws(() => rt.send({ to: '$host', performative: 'shout' as never, content: 1 }), { code: 'UNKNOWN_PERFORMATIVE' });

  // the server still serves, and the name of the failed agent is free
  await rt.deploy({ name: 'init-fails', module: example('echo') });
  t.equal((await rt.request({ to: 'init-fails', performative: 'request', content: 'still here' })).content, 'still here');
  t.equal(rt.stats().deadLettered, 0);
});

t.test('oversized messages are refused before they are accepted', async (t) => {
  const rt = await Runtime.start({ workers: 2, logger: silentLogger(), maxFrameBytes: 4096, ringCapacity: 1 << 16 });
  t.teardown(() => rt.shutdown(2000));
  await rt.deploy({ name: 'echo', module: example('echo') });
  t.throws(() => rt.send({ to: 'echo', performative: 'inform', content: 'x'.repeat(5000) }), { code: 'FRAME_TOO_LARGE', details: { limit: 4096 } });
  t.equal(rt.stats().accepted, 0);
});

t.test('a full mailbox pushes back on the sender, nothing is lost', async (t) => {
  // Worker 1 is kept busy by an agent stuck in its handler, so the ring from
  // the supervisor to worker 1 cannot drain: the burst below must fill it.
  // (FIFO: the stuck call is first in line, everything else waits behind it.)
  const rt = await Runtime.start({ workers: 2, logger: silentLogger(), ringCapacity: 1 << 14, maxFrameBytes: 4096 });
  t.teardown(() => rt.shutdown(5000));
  await rt.deploy([
    { name: 'spinner', module: fixture('infinite-loop'), worker: 1, timeLimitMs: 1500 },
    { name: 'counter', module: example('counter'), worker: 1 },
  ]);
  rt.send({ to: 'spinner', performative: 'request', content: 'spin' });
  let accepted = 0;
  let refusal: { code?: string; details?: { retryAfterMs?: number }; hint?: string } | undefined;
  for (let i = 0; i < 100_000 && !refusal; i++) {
    try {
      rt.send({ to: 'counter', performative: 'request', content: 1 });
      accepted++;
    } catch (e) {
      refusal = e as typeof refusal;
    }
  }
  t.equal(refusal?.code, 'MAILBOX_FULL', `the ring filled after ${accepted} messages`);
  t.ok((refusal?.details?.retryAfterMs ?? 0) > 0, 'carries a retry delay');
  t.match(refusal?.hint, /retry/i);
  t.ok(accepted > 50 && accepted < 200, 'a 16 KiB ring holds ~170 such frames');
  // The watchdog frees worker 1; every accepted message then reaches the counter.
  // Like any client, retry while the mailbox is full, after the delay it asks for.
  type Refusal = { code: 'MAILBOX_FULL'; details: { retryAfterMs: number } };
  const refused = (r: unknown): r is Refusal => (r as { code?: string }).code === 'MAILBOX_FULL';
  const count = await waitUntil(async (): Promise<DecodedFrame | Refusal> => {
    try {
      return await rt.request({ to: 'counter', performative: 'query-ref', content: null }, 30_000);
    } catch (e) {
      if (!refused(e)) throw e;
      await new Promise((r) => setTimeout(r, e.details.retryAfterMs));
      return e;
    }
  }, (r): r is DecodedFrame => !refused(r), 'the counter\'s answer once its mailbox has room', { intervalMs: 0, timeoutMs: 60_000 });
  t.equal(count.content, accepted, 'every accepted message reached the counter');
  const s = await rt.waitIdle(10_000);
  t.equal(s.inFlight, 0);
  t.equal(s.accepted, s.delivered + s.deadLettered, 'accepted = delivered + dead-lettered');
  t.ok(s.refused >= 1);
});
